"""Region-wide cryosar runs on Dask (``pip install "cryosar[dask]"``).

Dask does the distribution; cryosar adds what each method needs so that a
distributed run equals the whole-image run:

* :func:`slope_aspect` and :func:`gaussian_highpass` work on dask arrays with
  ``map_overlap`` and the halo of their stencil (1 px for slope/aspect,
  ``kernel_px // 2`` for the high-pass); each block gets the transform of its
  own window, so geographic grids keep their per-row metric pixel sizes.
* :func:`track_tiled` splits the velocity template grid into tiles that
  start on a multiple of the step and hold the template + search footprint
  of their cells (:func:`cryosar.velocity_tile_plan`); the stitched fields
  equal :func:`cryosar.track` on the whole image.
* :func:`fill_glaciers` submits one task per glacier with
  ``client.map``; each task reads its own window of the GeoTIFFs (nothing big
  is pickled; PyO3 objects never travel) and returns a small dict.
* :func:`pin_threads` sets cryosar's thread pool on every worker to the
  worker's thread count so that Rust's rayon threads do not oversubscribe
  the cores next to Dask's own threads.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

import cryosar

try:  # dask is optional for `import cryosar`, required here
    import dask
    import dask.array as da
except ImportError as e:  # pragma: no cover - exercised only without dask
    raise ImportError(
        "cryosar.dask needs dask: pip install 'dask[array,distributed]'"
    ) from e

__all__ = [
    "pin_threads",
    "window_transform",
    "slope_aspect",
    "gaussian_highpass",
    "track_tiled",
    "glacier_windows",
    "fill_one_glacier",
    "fill_glaciers",
]

Transform = Tuple[float, float, float, float, float, float]
Window = Tuple[int, int, int, int]


def _task(f):
    """Run ``f`` as a Dask task that fails cleanly: an exception that is not
    an ``Exception`` (PyO3's ``PanicException`` derives from
    ``BaseException``) would leave the task "processing" for ever on a
    dask.distributed worker; it is re-raised as :class:`cryosar.Error`."""

    @functools.wraps(f)
    def run(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception:
            raise
        except BaseException as e:  # noqa: B036 - see the docstring
            raise cryosar.Error(f"{type(e).__name__}: {e}") from None

    return run


def pin_threads(client, threads: Optional[int] = None) -> Dict[str, int]:
    """Set ``cryosar.set_num_threads`` on every worker of ``client``.

    ``threads=None`` uses each worker's own ``nthreads`` (e.g. 1 for
    ``LocalCluster(threads_per_worker=1)``). Returns ``{worker address:
    threads}``. Call it again after scaling the cluster.
    """

    def _pin(dask_worker=None, n=threads):
        k = int(n) if n else int(dask_worker.state.nthreads)
        cryosar.set_num_threads(k)
        return cryosar.get_num_threads()

    return client.run(_pin)


def window_transform(transform: Sequence[float], row0: int, col0: int) -> Transform:
    """Affine transform of the window whose top-left pixel is ``(row0, col0)``."""
    a, b, c, d, e, f = (float(v) for v in tuple(transform)[:6])
    return (a, b, c + a * col0 + b * row0, d, e, f + d * col0 + e * row0)


def _index_grids(arr):
    rows = da.arange(arr.shape[0], chunks=arr.chunks[0], dtype=np.int64)[:, None]
    cols = da.arange(arr.shape[1], chunks=arr.chunks[1], dtype=np.int64)[None, :]
    return (
        da.broadcast_to(rows, arr.shape, chunks=arr.chunks),
        da.broadcast_to(cols, arr.shape, chunks=arr.chunks),
    )


def _as_dask(x, chunks):
    if isinstance(x, da.Array):
        return x if chunks is None else x.rechunk(chunks)
    return da.from_array(np.asarray(x), chunks=chunks or "auto")


def slope_aspect(dem, transform=None, crs=None, method: str = "horn", chunks=None):
    """Slope and aspect (degrees) of a dask (or NumPy) DEM, block by block.

    Equals :func:`cryosar.slope_aspect` on the whole DEM: each block is
    extended by 1 px from its neighbours (``map_overlap``,
    ``boundary="none"``), computed with the transform of its window, and
    trimmed. Returns two lazy dask arrays.
    """
    dem = _as_dask(dem, chunks).astype(np.float64)
    rows, cols = _index_grids(dem)

    @_task
    def _block(which, z, r, c):
        if z.size == 0 or np.isnan(z).all():
            return np.full(z.shape, np.nan)
        t = None if transform is None else window_transform(transform, int(r[0, 0]), int(c[0, 0]))
        return cryosar.slope_aspect(z, t, crs, method)[which]

    out = []
    for which in (0, 1):
        out.append(
            da.map_overlap(
                lambda z, r, c, w=which: _block(w, z, r, c),
                dem,
                rows,
                cols,
                depth=1,
                boundary="none",
                trim=True,
                dtype=np.float64,
                meta=np.array((), dtype=np.float64),
            )
        )
    return out[0], out[1]


def gaussian_highpass(image, kernel_px: int = 51, sigma_px: float = 17.0, chunks=None):
    """:func:`cryosar.gaussian_highpass` on a dask array with a
    ``kernel_px // 2`` halo; equal to the whole-image filter."""
    img = _as_dask(image, chunks).astype(np.float64)
    return da.map_overlap(
        _task(lambda z: cryosar.gaussian_highpass(z, kernel_px, sigma_px)),
        img,
        depth=kernel_px // 2,
        boundary="none",
        trim=True,
        dtype=np.float64,
        meta=np.array((), dtype=np.float64),
    )


_FIELDS = (
    "offset_x_px",
    "offset_y_px",
    "displacement_east_m",
    "displacement_north_m",
    "velocity_east_m_per_day",
    "velocity_north_m_per_day",
    "speed_m_per_day",
    "snr_db",
    "peak",
    "pair_count",
)


@_task
def _track_tile(tile, transform, kwargs, *images):
    t = None if transform is None else window_transform(transform, tile["row0"], tile["col0"])
    res = cryosar.track(list(images), transform=t, allow_empty=True, **kwargs)
    di, dj = tile["cell_offset"]
    sl = (slice(di, di + tile["cell_rows"]), slice(dj, dj + tile["cell_cols"]))
    out = {k: np.ascontiguousarray(res[k][sl]) for k in _FIELDS}
    out["valid"] = int(np.isfinite(out["offset_x_px"]).sum())
    return out


def track_tiled(
    images: Sequence[Any],
    pairs: Sequence[Tuple[int, int]],
    interval_days: float,
    transform=None,
    crs=None,
    template_px: int = 48,
    step_px: int = 16,
    search_px: int = 16,
    tile_cells: Tuple[int, int] = (32, 32),
    form: str = "zncc",
) -> Dict[str, Any]:
    """:func:`cryosar.track` split into template-grid-aligned tiles, one
    Dask task per tile, stitched into whole-grid fields.

    ``images`` are 2-D NumPy or dask arrays of one shape (dask arrays are
    sliced lazily, so each task loads only its window). Runs on the active
    ``dask.distributed`` client if there is one. Returns the keys of
    :func:`cryosar.track` (without ``summary``) plus ``tiles``.
    Oversampling is not supported here (it is a whole-image FFT).
    """
    shape = tuple(images[0].shape)
    if any(tuple(im.shape) != shape for im in images):
        raise cryosar.InputError("track_tiled: every image must have the same shape")
    plan = cryosar.velocity_tile_plan(
        shape[0], shape[1], template_px, step_px, search_px, tuple(tile_cells)
    )
    dimgs = [im if isinstance(im, da.Array) else da.from_array(np.asarray(im)) for im in images]
    kwargs = dict(
        pairs=list(pairs),
        interval_days=float(interval_days),
        crs=None if crs is None else cryosar.normalize_crs(crs),
        template_px=template_px,
        step_px=step_px,
        search_px=search_px,
        form=form,
    )
    tasks = []
    for tile in plan:
        win = (
            slice(tile["row0"], tile["row0"] + tile["rows"]),
            slice(tile["col0"], tile["col0"] + tile["cols"]),
        )
        parts = [im[win] for im in dimgs]
        tasks.append(dask.delayed(_track_tile)(tile, transform, kwargs, *parts))
    results = dask.compute(*tasks)
    nr, nc = shape[0] // step_px, shape[1] // step_px
    out: Dict[str, Any] = {
        k: np.full((nr, nc), np.nan) if k != "pair_count" else np.zeros((nr, nc), np.uint32)
        for k in _FIELDS
    }
    for tile, res in zip(plan, results):
        dst = (
            slice(tile["cell_row0"], tile["cell_row0"] + tile["cell_rows"]),
            slice(tile["cell_col0"], tile["cell_col0"] + tile["cell_cols"]),
        )
        for k in _FIELDS:
            out[k][dst] = res[k]
    if transform is not None:
        a, b, c, d, e, f = tuple(transform)[:6]
        s = float(step_px)
        out["transform"] = (a * s, b * s, c, d * s, e * s, f)
    else:
        out["transform"] = (float(step_px), 0.0, 0.0, 0.0, float(step_px), 0.0)
    out["crs"] = kwargs["crs"]
    out["tiles"] = len(plan)
    return out


def glacier_windows(labels: np.ndarray, ids: Iterable[int], margin: int = 2) -> Dict[int, Window]:
    """Pixel window ``(row0, col0, rows, cols)`` of each glacier label in
    ``labels``, grown by ``margin`` pixels (clipped to the raster). Labels
    absent from the raster raise :class:`cryosar.InputError`."""
    labels = np.asarray(labels)
    out = {}
    for g in ids:
        rr, cc = np.nonzero(labels == g)
        if rr.size == 0:
            raise cryosar.InputError(f"glacier label {g} does not occur in the label raster")
        r0 = max(int(rr.min()) - margin, 0)
        c0 = max(int(cc.min()) - margin, 0)
        r1 = min(int(rr.max()) + 1 + margin, labels.shape[0])
        c1 = min(int(cc.max()) + 1 + margin, labels.shape[1])
        out[int(g)] = (r0, c0, r1 - r0, c1 - c0)
    return out


@_task
def fill_one_glacier(
    glacier: int,
    window: Window,
    dhdt_path: str,
    dem_path: str,
    labels_path: str,
    **fill_kwargs,
) -> Dict[str, Any]:
    """One task: read the glacier's window of the dh/dt, DEM and label
    GeoTIFFs, fill its voids with :func:`cryosar.fill_glacier` and return a
    small dict: ``glacier``, ``window``, ``n_pixels``, ``n_void``,
    ``void_mean`` and ``void_std_error`` (m/yr), ``mean_dhdt_m_yr`` (glacier
    mean after filling), ``validation_rmse`` (m/yr)."""
    window = tuple(int(v) for v in window)
    dh, t, crs = cryosar.read_geotiff(dhdt_path, window=window)
    dem, _, _ = cryosar.read_geotiff(dem_path, window=window)
    lab, _, _ = cryosar.read_geotiff(labels_path, window=window)
    mask = lab == glacier
    r = cryosar.fill_glacier(dh, dem, mask, t, crs, **fill_kwargs)
    filled = r["filled"][mask]
    return {
        "glacier": int(glacier),
        "window": window,
        "n_pixels": int(mask.sum()),
        "n_void": int(r["n_void"]),
        "void_mean": float(r["void_mean"]),
        "void_std_error": float(r["void_std_error"]),
        "mean_dhdt_m_yr": float(np.nanmean(filled)),
        "validation_rmse": float(r["validation_rmse"]),
    }


def fill_glaciers(
    glaciers: Sequence[int],
    windows: Mapping[int, Window],
    dhdt_path: str,
    dem_path: str,
    labels_path: str,
    client=None,
    **fill_kwargs,
) -> List[Dict[str, Any]]:
    """Per-glacier GP void filling, one ``client.map`` task per glacier
    (``client=None``: a serial loop in this process, the reference of a
    distributed run). Only the paths, the glacier id and its window travel
    to the workers; results come back in ``glaciers`` order."""
    if client is None:
        return [
            fill_one_glacier(g, windows[g], dhdt_path, dem_path, labels_path, **fill_kwargs)
            for g in glaciers
        ]
    futures = client.map(
        fill_one_glacier,
        list(glaciers),
        [windows[g] for g in glaciers],
        dhdt_path=dhdt_path,
        dem_path=dem_path,
        labels_path=labels_path,
        pure=False,
        **fill_kwargs,
    )
    return client.gather(futures)
