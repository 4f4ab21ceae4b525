"""Distributed runs on a dask.distributed LocalCluster equal the serial,
whole-image runs."""

import numpy as np
import pytest

import cryosar

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
import cryosar.dask as cdask  # noqa: E402
from conftest import UTM, north_up, smooth_dem, speckle_stack  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    c = distributed.Client(cluster)
    cdask.pin_threads(c)  # one rayon thread per worker, as in every test below
    yield c
    c.close()
    cluster.close()


def test_workers_are_pinned_to_their_threads(client):
    got = cdask.pin_threads(client)
    assert len(got) == 2 and set(got.values()) == {1}


@pytest.mark.parametrize(
    "transform,crs",
    [
        (north_up(500_000.0, 4_000_000.0, 30.0, 30.0), UTM),
        # geographic 1" grid: metric pixel sizes change row by row
        ((1 / 3600, 0.0, 77.25, 0.0, -1 / 3600, 36.5), "EPSG:4326"),
        (None, None),
    ],
)
def test_tiled_terrain_equals_whole_raster(client, transform, crs):
    z = smooth_dem(160, 144, seed=12)
    whole_s, whole_a = cryosar.slope_aspect(z, transform, crs)
    dz = da.from_array(z, chunks=(40, 36))  # 4 × 4 tiles
    s, a = cdask.slope_aspect(dz, transform, crs)
    s, a = da.compute(s, a)
    if crs == "EPSG:4326":
        # the block's origin latitude is f + e·row0 instead of f: per-row
        # metric pixel sizes agree to the last bits only
        for tiled, whole in ((s, whole_s), (a, whole_a)):
            assert np.array_equal(np.isnan(tiled), np.isnan(whole))
            ok = np.isfinite(whole)
            np.testing.assert_allclose(tiled[ok], whole[ok], rtol=1e-12, atol=1e-12)
    else:
        # bit for bit everywhere: the 1 px halo gives every stencil its inputs
        np.testing.assert_array_equal(s, whole_s)
        np.testing.assert_array_equal(a, whole_a)


def test_tiled_highpass_equals_whole_image(client):
    rng = np.random.default_rng(3)
    img = rng.standard_normal((200, 180))
    img[50:55, 60:64] = np.nan
    whole = cryosar.gaussian_highpass(img, 21, 7.0)
    tiled = cdask.gaussian_highpass(da.from_array(img, chunks=(50, 45)), 21, 7.0).compute()
    assert np.array_equal(np.isnan(tiled), np.isnan(whole))
    ok = np.isfinite(whole)
    np.testing.assert_allclose(tiled[ok], whole[ok], rtol=0, atol=1e-12)


def test_velocity_tiles_equal_whole_image_run(client):
    imgs = speckle_stack(192, 176, [(0, 0), (2, -1), (4, -2)], seed=5)
    t = north_up(600_000.0, 4_200_000.0, 10.0, 10.0)
    kw = dict(template_px=24, step_px=8, search_px=5)
    whole = cryosar.track(imgs, [(0, 1), (1, 2)], 12.0, t, UTM, **kw)
    nr, nc = whole["offset_x_px"].shape
    tiles = (-(-nr // 4), -(-nc // 4))  # 4 × 4 tiles
    dimgs = [da.from_array(im, chunks=(64, 64)) for im in imgs]
    tiled = cdask.track_tiled(dimgs, [(0, 1), (1, 2)], 12.0, t, UTM, tile_cells=tiles, **kw)
    assert tiled["tiles"] == 16
    assert tiled["transform"] == whole["transform"]
    # bit for bit at every cell, tile borders included (NaN where the whole
    # run has NaN): every cell is correlated on the same pixels and with the
    # same batch partner as in the whole image (tiles start on even cells
    # and hold their cells' partners; see ncc_stack::tiles)
    for k in ("offset_x_px", "offset_y_px", "velocity_east_m_per_day", "snr_db", "peak"):
        np.testing.assert_array_equal(tiled[k], whole[k], err_msg=k)
    np.testing.assert_array_equal(tiled["pair_count"], whole["pair_count"])
    assert np.isfinite(whole["offset_x_px"]).sum() >= 0.5 * nr * nc
    for t0 in cryosar.velocity_tile_plan(*imgs[0].shape, tile_cells=tiles, **kw):
        assert t0["col0"] % (2 * kw["step_px"]) == 0
    ok = np.isfinite(whole["offset_x_px"])
    np.testing.assert_allclose(tiled["offset_x_px"][ok], -1.0, atol=0.05)
    np.testing.assert_allclose(tiled["offset_y_px"][ok], 2.0, atol=0.05)


def _glacier_region(tmp_path, n_glaciers=24, seed=31):
    """A region with n_glaciers elliptical glaciers on a grid of cells, a
    smooth DEM, dh/dt that falls with elevation, and voids; written as
    GeoTIFFs (dh/dt, DEM, labels). Small glaciers (≈ 150–250 px) keep the
    exact GP fits short enough for CI on 2 cores."""
    rng = np.random.default_rng(seed)
    per_row = 6
    cell = 22
    rows = cell * -(-n_glaciers // per_row)
    cols = cell * per_row
    dem = smooth_dem(rows, cols, seed, relief=1200)
    truth = -1.5 + 0.003 * (dem - dem.mean())
    dh = truth + rng.normal(0, 0.1, dem.shape)
    labels = np.zeros((rows, cols), np.uint8)
    r, c = np.mgrid[0:rows, 0:cols]
    for g in range(n_glaciers):
        r0 = (g // per_row) * cell + cell / 2 + rng.uniform(-1.5, 1.5)
        c0 = (g % per_row) * cell + cell / 2 + rng.uniform(-1.5, 1.5)
        ar, ac = rng.uniform(7, 9.5), rng.uniform(7, 9.5)
        inside = ((r - r0) / ar) ** 2 + ((c - c0) / ac) ** 2 <= 1
        labels[inside] = g + 1
        vr, vc = r0 + rng.uniform(-2, 2), c0 + rng.uniform(-2, 2)
        dh[inside & ((r - vr) ** 2 + (c - vc) ** 2 < rng.uniform(5, 12))] = np.nan
    t = north_up(350_000.0, 3_950_000.0, 30.0, 30.0)
    paths = {k: str(tmp_path / f"{k}.tif") for k in ("dhdt", "dem", "labels")}
    cryosar.write_geotiff(paths["dhdt"], dh, t, UTM)
    cryosar.write_geotiff(paths["dem"], dem, t, UTM)
    cryosar.write_geotiff(paths["labels"], labels, t, UTM)
    return paths, labels, dh, truth


def test_per_glacier_jobs_equal_the_serial_loop(client, tmp_path):
    paths, labels, dh, truth = _glacier_region(tmp_path, n_glaciers=24)
    ids = list(range(1, 25))
    windows = cdask.glacier_windows(labels, ids, margin=2)
    kw = dict(seed=4, max_iterations=15)
    distributed_rows = cdask.fill_glaciers(
        ids, windows, paths["dhdt"], paths["dem"], paths["labels"], client=client, **kw
    )
    # the reference: the same tasks as a loop in this process, one thread
    # per task as on the pinned workers
    cryosar.set_num_threads(1)
    try:
        serial_rows = cdask.fill_glaciers(ids, windows, paths["dhdt"], paths["dem"], paths["labels"], **kw)
    finally:
        cryosar.set_num_threads(0)
    assert [r["glacier"] for r in distributed_rows] == ids
    assert distributed_rows == serial_rows  # every number identical
    assert all(r["n_void"] > 0 for r in serial_rows)
    assert all(np.isfinite(r["void_mean"]) and r["void_std_error"] > 0 for r in serial_rows)
    # the voids follow the elevation trend: each void's predicted mean is
    # within 0.1 m/yr (noise σ = 0.1 per pixel) of the noise-free truth over the void
    for r in serial_rows:
        void = (labels == r["glacier"]) & np.isnan(dh)
        assert r["n_void"] == void.sum()
        assert abs(r["void_mean"] - truth[void].mean()) < 0.1, r
    with pytest.raises(cryosar.InputError):
        cdask.glacier_windows(labels, [99])
