"""Type stubs of the compiled module ``cryosar._cryosar`` (re-exported by ``cryosar``).

Arrays: any 2-D float or integer NumPy array in C or Fortran order is
accepted (copied to float64); results are new float64 arrays unless stated.
NaN is no-data. ``Transform`` is rasterio's affine ``(a, b, c, d, e, f)``
(``x = a*col + b*row + c``, ``y = d*col + e*row + f``, map units), also an
``affine.Affine``; ``crs`` a string (``"EPSG:32643"``, PROJ.4, WKT) or an
object whose ``str()`` is one (rasterio ``CRS``).
"""

from os import PathLike
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

Transform = Union[Tuple[float, float, float, float, float, float], Sequence[float]]
Affine6 = Tuple[float, float, float, float, float, float]
CrsLike = Union[str, Any, None]
Array = npt.ArrayLike
F64 = npt.NDArray[np.float64]
Model = Mapping[str, Any]
"""A variogram model: ``{"nugget": c0, "components": [(kind, range_m, partial_sill), ...]}``
with ``kind`` in ``"gaussian"``, ``"spherical"``, ``"exponential"``, ranges in
metres and sills in the squared unit of the values."""

__version__: str

class Error(Exception):
    """Base class of every cryosar error."""

class InputError(Error):
    """A bad argument rejected by the binding layer."""

class SarError(Error):
    """An error of sar-core (grids, GeoTIFF, terrain)."""

class NccError(Error):
    """An error of ncc-stack (offset tracking)."""

class SnowError(Error):
    """An error of snowmelt (wet-snow maps)."""

class GpError(Error):
    """An error of gp-voidfill (Gaussian-process void filling)."""

class UncertaintyError(Error):
    """An error of uncertainty (variograms, error propagation)."""

class MbError(Error):
    """An error of geodetic-mb (mass balance)."""

class UnwrapError(Error):
    """An error of phase-unwrap."""

class DemError(Error):
    """An error of insar-dem (interferometric DEM generation, SAR geometry)."""

def set_num_threads(n: int) -> None:
    """Threads for the parallel loops of later calls (0: rayon's default)."""

def get_num_threads() -> int:
    """Threads the next call will use."""

def read_geotiff(
    path: Union[str, PathLike[str]],
    band: int = 0,
    window: Optional[Tuple[int, int, int, int]] = None,
) -> Tuple[F64, Affine6, Optional[str]]:
    """Band ``band`` (0-based) as float64 with no-data as NaN, its affine
    transform and CRS; ``window=(row0, col0, rows, cols)`` reads only that
    pixel window (only the strips or tiles under it are decoded)."""

def read_geotiff_info(path: Union[str, PathLike[str]]) -> Dict[str, Any]:
    """width, height, bands, dtype, transform, crs, nodata, tiled, compression."""

def write_geotiff(
    path: Union[str, PathLike[str]],
    data: Array,
    transform: Optional[Transform] = None,
    crs: CrsLike = None,
    nodata: Optional[float] = None,
) -> None:
    """Write ``(rows, cols)`` or ``(bands, rows, cols)`` data (float64 → Float64,
    float32 → Float32, uint8 → Byte), Deflate-compressed, atomically."""

def slope_aspect(
    dem: Array,
    transform: Optional[Transform] = None,
    crs: CrsLike = None,
    method: str = "horn",
) -> Tuple[F64, F64]:
    """Slope (degrees from horizontal) and aspect (degrees clockwise from
    north, downslope) of a DEM in metres; ``method`` "horn" or
    "zevenbergen_thorne"."""

def local_incidence_angle(
    slope: Array,
    aspect: Array,
    incidence_deg: Union[float, Array],
    heading_deg: float,
    look: str = "right",
) -> F64:
    """Local incidence angle in degrees (> 90: shadow)."""

def gaussian_highpass(image: Array, kernel_px: int = 51, sigma_px: float = 17.0) -> F64:
    """Image minus its edge-normalised Gaussian low-pass (pixels)."""

def form_pairs(
    dates: Sequence[str], interval: int = 1, tolerance_days: float = 0.5
) -> Tuple[List[Tuple[int, int]], float]:
    """Pairs (j, j + interval) of a date series ("YYYY-MM-DD") and their interval in days."""

def track(
    images: Sequence[Array],
    pairs: Sequence[Tuple[int, int]],
    interval_days: float,
    transform: Optional[Transform] = None,
    crs: CrsLike = None,
    template_px: int = 48,
    step_px: int = 16,
    search_px: int = 16,
    form: str = "zncc",
    oversample: bool = False,
    allow_empty: bool = False,
) -> Dict[str, Any]:
    """NCC-stacking offset tracking. Keys: offset_x_px, offset_y_px (pixels),
    displacement_east_m, displacement_north_m (m), velocity_east_m_per_day,
    velocity_north_m_per_day, speed_m_per_day (m/day), snr_db (dB), peak,
    pair_count (uint32), transform and crs of the template grid, summary."""

def velocity_tile_plan(
    rows: int,
    cols: int,
    template_px: int = 48,
    step_px: int = 16,
    search_px: int = 16,
    tile_cells: Tuple[int, int] = (32, 32),
) -> List[Dict[str, Any]]:
    """Template-grid-aligned tiles (starting on even cells, holding their cells'
    FFT batch partners) whose stitched ``track`` equals the whole run bit for bit."""

def empirical_variogram(
    values: Array,
    pixel_size_m: Tuple[float, float],
    mask: Optional[Array] = None,
    estimator: str = "dowd",
    max_lag_m: Optional[float] = None,
    bin_edges_m: Optional[Sequence[float]] = None,
    pairs_per_bin: int = 10000,
    seed: int = 42,
) -> Dict[str, Any]:
    """Keys lower_m, upper_m, mean_lag_m (m), gamma (unit²), count, estimator."""

def fit_variogram(
    variogram: Mapping[str, Any],
    kinds: Sequence[str] = ("gaussian", "spherical"),
    nugget: bool = True,
    min_pairs: int = 30,
    max_iters: int = 400,
) -> Dict[str, Any]:
    """The fitted model (nugget, components) plus weighted_mse, converged, bins_used."""

def variogram_gamma(model: Model, lags_m: Sequence[float]) -> F64:
    """γ(h) of a model at lags in metres."""

def propagate_mean_error(
    coords_m: Array,
    sigma: Sequence[float],
    model: Model,
    method: str = "auto",
    k: int = 1000,
    seed: int = 0,
) -> Dict[str, Any]:
    """standard_error (unit of sigma), n_eff, mean_sigma, n_pixels, subset_size."""

def propagate_mean_error_grid(
    sigma: Array, pixel_size_m: Tuple[float, float], model: Model
) -> Dict[str, Any]:
    """As propagate_mean_error over the finite pixels of a σ grid (exact, FFT)."""

def n_eff(
    coords_m: Array, model: Model, method: str = "auto", k: int = 1000, seed: int = 0
) -> float:
    """Number of effective samples of an area (unit errors)."""

def fill_glacier(
    dhdt: Array,
    dem: Array,
    mask: Array,
    transform: Optional[Transform] = None,
    crs: CrsLike = None,
    seed: int = 0,
    max_iterations: int = 200,
    max_train: int = 30000,
    min_samples: int = 30,
    validation_fraction: float = 0.2,
) -> Dict[str, Any]:
    """GP void fill of one glacier. Keys: filled, latent_std, observation_std
    (m/yr), void_mean, void_std_error (m/yr), n_void, n_skipped,
    validation_rmse (m/yr), n_train."""

def wet_snow_map(
    rc_db: Array,
    dem: Array,
    slope: Array,
    aspect: Array,
    seed: int = 0,
    n_samples: int = 1_000_000,
) -> Dict[str, Any]:
    """Keys: mask (uint8: 1 wet, 0 not, 255 no data), wsi, tsi, si, threshold,
    gmm_means_db, gmm_stds_db, gmm_weights."""

def unwrap_phase(
    phase: Array,
    coherence: Optional[Array] = None,
    mask: Optional[Array] = None,
    looks: float = 1.0,
    assumed_coherence: float = 0.7,
    tile_size: Optional[int] = None,
    tile_overlap: int = 256,
) -> Dict[str, Any]:
    """Keys: phase (radians), cycles (int32), components (uint32),
    n_components, residues, total_cost, tiles."""

def glacier_mass_balance(
    dhdt: Array,
    dem: Array,
    labels: Array,
    stable: Array,
    glaciers: Sequence[Tuple[int, str]],
    transform: Transform,
    crs: CrsLike = None,
    fill: str = "gp",
    min_area_km2: float = 1.0,
    min_coverage: float = 0.3,
    band_m: float = 50.0,
) -> Tuple[F64, F64, List[Dict[str, Any]]]:
    """Filled dh/dt and σ (m/yr) and one result dict per glacier."""

def normalize_crs(crs: CrsLike) -> Optional[str]:
    """Canonical CRS string ("EPSG:<code>", PROJ.4 or WKT)."""

Geometry = Union[Mapping[str, Any], str, PathLike]
"""The JSON geometry description of insar_dem::generic: ``{"mode": "Bistatic"|"Monostatic",
"grid": {sensing_start (s), line_time (s), near_range (m, one-way), range_spacing (m),
wavelength (m), look_side, lines, samples}, "active_orbit": [{time (s), position (m, ECEF),
velocity (m/s)}, ...], "passive_orbit": [...]}`` as a dict, JSON text or a file path."""

def insar_pair_synthetic(
    seed: int = 0,
    lines: int = 160,
    samples: int = 160,
    height_of_ambiguity_m: float = 40.0,
    mode: str = "bistatic",
    glacier_thinning_m: float = 20.0,
    ramp_rad: float = 3.0,
    steep_ridge: bool = True,
) -> Dict[str, Any]:
    """Seeded synthetic SLC pair with its truth. Keys: active_slc, passive_slc
    (complex64, (lines, samples)), geometry (dict), reference, truth, dh_true
    (m, ellipsoid heights, geographic grid), glacier (uint8), transform, crs."""

def insar_dem(
    active_slc: Array,
    passive_slc: Array,
    geometry: Geometry,
    reference: Array,
    transform: Transform,
    crs: CrsLike = "EPSG:4326",
    iterations: int = 3,
    coherence_min: float = 0.3,
    looks: Tuple[int, int] = (3, 3),
    trend_clip_rounds: int = 5,
    plane_flattening: float = 1.0,
    bridge_max_gap: int = 16,
    seed: int = 0,
) -> Dict[str, Any]:
    """DEM from two co-registered complex SLCs (sect. 4.3.1). Keys: dem (m),
    dh (list of Δh_k, m), coherence, mask (uint8 0 valid/1 low coherence/
    2 layover/3 shadow/4 outside), unwrapped_phase (rad), dphi_dh (rad/m),
    looks, transform, crs, stats (list of dicts, m)."""

def insar_height_of_ambiguity(geometry: Geometry, row: float, col: float, height_m: float) -> float:
    """Height of ambiguity (m per 2π) at radar pixel (row, col) and ellipsoid height (m)."""
