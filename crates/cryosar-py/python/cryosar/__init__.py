"""cryosar: glacier and snow measurements from SAR data.

NumPy in, NumPy out. Georeferencing travels as rasterio's affine 6-tuple
``transform`` and a ``crs`` string (``ds.transform`` / ``ds.crs`` of
rasterio pass straight in). Every function releases the GIL while it
computes and runs its parallel loops in a pool of
``set_num_threads(n)`` threads. Errors raise a subclass of
:class:`cryosar.Error`: one class per Rust crate (``SarError``, ``NccError``,
``SnowError``, ``GpError``, ``UncertaintyError``, ``MbError``,
``UnwrapError``, ``DemError``) and ``InputError`` for arguments the binding rejects.

Units: metres, degrees for terrain angles, radians for phase, m/yr for
elevation change, m/day for velocity, dB for backscatter ratios.

``cryosar.dask`` (optional, needs ``dask[distributed]``) runs tiled and
per-glacier jobs on a dask.distributed cluster.
"""

from ._cryosar import (  # noqa: F401
    Error,
    InputError,
    SarError,
    NccError,
    SnowError,
    GpError,
    UncertaintyError,
    MbError,
    UnwrapError,
    DemError,
    __version__,
    set_num_threads,
    get_num_threads,
    read_geotiff,
    read_geotiff_info,
    write_geotiff,
    slope_aspect,
    local_incidence_angle,
    gaussian_highpass,
    form_pairs,
    track,
    velocity_tile_plan,
    empirical_variogram,
    fit_variogram,
    variogram_gamma,
    propagate_mean_error,
    propagate_mean_error_grid,
    n_eff,
    fill_glacier,
    wet_snow_map,
    unwrap_phase,
    glacier_mass_balance,
    normalize_crs,
    insar_pair_synthetic,
    insar_dem,
    insar_height_of_ambiguity,
)

__all__ = [
    "Error",
    "InputError",
    "SarError",
    "NccError",
    "SnowError",
    "GpError",
    "UncertaintyError",
    "MbError",
    "UnwrapError",
    "DemError",
    "__version__",
    "set_num_threads",
    "get_num_threads",
    "read_geotiff",
    "read_geotiff_info",
    "write_geotiff",
    "slope_aspect",
    "local_incidence_angle",
    "gaussian_highpass",
    "form_pairs",
    "track",
    "velocity_tile_plan",
    "empirical_variogram",
    "fit_variogram",
    "variogram_gamma",
    "propagate_mean_error",
    "propagate_mean_error_grid",
    "n_eff",
    "fill_glacier",
    "wet_snow_map",
    "unwrap_phase",
    "glacier_mass_balance",
    "normalize_crs",
    "insar_pair_synthetic",
    "insar_dem",
    "insar_height_of_ambiguity",
]
