"""GeoTIFF I/O, terrain and the behaviour of the binding layer."""

import math
import os
import threading
import time

import numpy as np
import pytest

import cryosar
from conftest import UTM, north_up, smooth_dem

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GDAL_FIXTURE = os.path.join(REPO, "crates", "sar-core", "tests", "data", "geotiff", "geographic_f64.tif")


# ---------------------------------------------------------------- GeoTIFF


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
@pytest.mark.parametrize("shape", [(17, 23), (64, 5)])
def test_geotiff_round_trip_keeps_values_transform_crs(tmp_path, rng, dtype, shape):
    data = (rng.uniform(0, 250, shape)).astype(dtype)
    if dtype != np.uint8:
        data[3, 4] = np.nan
    t = north_up(612345.0, 4_100_000.0, 30.0, 30.0)
    p = tmp_path / "r.tif"
    cryosar.write_geotiff(p, data, t, UTM, nodata=-9999.0 if dtype != np.uint8 else None)
    back, t2, crs = cryosar.read_geotiff(p)
    assert back.dtype == np.float64 and back.shape == shape
    np.testing.assert_array_equal(back, data.astype(np.float64))  # NaN == NaN here
    assert t2 == t
    assert crs == UTM
    info = cryosar.read_geotiff_info(str(p))
    assert (info["height"], info["width"], info["bands"]) == (shape[0], shape[1], 1)
    assert info["dtype"] == {np.float64: "Float64", np.float32: "Float32", np.uint8: "Byte"}[dtype]


def test_geotiff_bands_window_and_rotated_transform(tmp_path, rng):
    stack = rng.standard_normal((3, 20, 30))
    # rotated grid: every affine coefficient non-zero and distinct
    t = (10.0, 2.0, 1000.0, 1.5, -12.0, 5000.0)
    p = tmp_path / "b.tif"
    tm = "+proj=tmerc +lat_0=0 +lon_0=15 +k=0.9996 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m"
    cryosar.write_geotiff(p, stack, t, tm)
    for b in range(3):
        back, t2, crs = cryosar.read_geotiff(p, band=b)
        np.testing.assert_array_equal(back, stack[b])
        assert t2 == pytest.approx(t, abs=1e-9)
        assert "+proj=tmerc" in crs and "+lon_0=15" in crs
    win, tw, _ = cryosar.read_geotiff(p, band=1, window=(5, 7, 4, 6))
    np.testing.assert_array_equal(win, stack[1, 5:9, 7:13])
    # the window's origin is the map position of pixel (row 5, col 7)
    a, b_, c, d, e, f = t
    assert tw == pytest.approx((a, b_, c + a * 7 + b_ * 5, d, e, f + d * 7 + e * 5))


GEOTIFF_FIXTURES = os.path.join(REPO, "crates", "sar-core", "tests", "data", "geotiff")


def _striped_file(tmp_path, rng):
    """A Float64 file written by cryosar (strips) with NaN no-data."""
    z = rng.standard_normal((53, 37))
    z[20:24, 3:9] = np.nan
    p = tmp_path / "striped.tif"
    cryosar.write_geotiff(p, z, north_up(500_000.0, 4_100_000.0, 30.0, 30.0), UTM)
    return str(p)


@pytest.mark.parametrize(
    "name,band,layout",
    [
        ("tiled_lzw_i16.tif", 0, "16 × 16 tiles"),
        ("i32_lzw_tiled.tif", 0, "32 × 16 tiles"),
        ("multiband_pixel_f64.tif", 1, "16 × 16 tiles, pixel interleaved"),
        ("strip_deflate_f32_pred3.tif", 0, "8-row strips"),
        (None, 0, "cryosar-written strips"),
    ],
)
def test_windowed_read_equals_the_crop_of_a_full_read(tmp_path, rng, name, band, layout):
    # GDAL-written tiled and striped fixtures (53 × 37 px: partial tiles at
    # the right and bottom edges) and a cryosar-written striped file
    path = os.path.join(GEOTIFF_FIXTURES, name) if name else _striped_file(tmp_path, rng)
    full, t, crs = cryosar.read_geotiff(path, band=band)
    rows, cols = full.shape
    assert (rows, cols) == (53, 37), layout
    a, b, c, d, e, f = t
    windows = [
        (5, 7, 20, 18),  # across tile / strip boundaries
        (17, 17, 1, 1),  # one pixel
        (rows - 13, cols - 7, 13, 7),  # the bottom-right corner: partial tiles
        (0, cols - 1, rows, 1),  # the last column, every row
        (rows - 1, 0, 1, cols),  # the last row, every column
        (0, 0, rows, cols),  # the whole image
    ]
    for w in windows:
        r0, c0, h, wd = w
        got, tw, crs_w = cryosar.read_geotiff(path, band=band, window=w)
        assert got.shape == (h, wd), (layout, w)
        # bit for bit, NaN where the full read has NaN
        np.testing.assert_array_equal(got, full[r0 : r0 + h, c0 : c0 + wd], err_msg=f"{layout} {w}")
        assert tw == pytest.approx((a, b, c + a * c0 + b * r0, d, e, f + d * c0 + e * r0), abs=1e-9)
        assert crs_w == crs
    # a window reaching outside the image, or an empty one: a Python
    # exception naming the file, not a crash
    for w in [(rows - 5, 0, 6, 4), (0, cols, 1, 1), (0, 0, 0, 4), (10, 30, 5, 10)]:
        with pytest.raises(cryosar.SarError, match=os.path.basename(path)) as ei:
            cryosar.read_geotiff(path, band=band, window=w)
        assert "does not fit" in str(ei.value) and isinstance(ei.value, cryosar.Error)


def test_reads_a_gdal_written_fixture():
    # values stated in README.md from `cryosar info` of this GDAL-written file
    z, t, crs = cryosar.read_geotiff(GDAL_FIXTURE)
    assert z.shape == (53, 37)
    assert crs == "EPSG:4326"
    assert t == pytest.approx((1 / 3600, 0.0, 77.25, 0.0, -1 / 3600, 36.5))
    assert np.nanmin(z) == pytest.approx(2232.480776929322)
    assert np.nanmax(z) == pytest.approx(5756.011035085327)
    assert np.nanmean(z) == pytest.approx(3999.167581186216)


def test_rasterio_style_transform_and_crs_objects_pass_in(tmp_path):
    class Affine(tuple):
        """Mimics affine.Affine: a 9-tuple (a, b, c, d, e, f, 0, 0, 1)."""

    class CRS:
        def to_string(self):
            return "EPSG:2056"

    t9 = Affine((25.0, 0.0, 2_600_000.0, 0.0, -25.0, 1_200_000.0, 0.0, 0.0, 1.0))
    p = tmp_path / "ch.tif"
    cryosar.write_geotiff(p, np.ones((4, 4)), t9, CRS())
    _, t, crs = cryosar.read_geotiff(p)
    assert t == tuple(t9)[:6] and crs == "EPSG:2056"


def test_real_rasterio_dataset_passes_straight_in(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    z = smooth_dem(40, 30, seed=8)
    t = north_up(612_000.0, 4_100_000.0, 30.0, 30.0)
    p = tmp_path / "dem.tif"
    cryosar.write_geotiff(p, z, t, UTM)
    with rasterio.open(p) as ds:
        assert tuple(ds.transform)[:6] == t and ds.crs.to_epsg() == 32643
        s, a = cryosar.slope_aspect(ds.read(1), ds.transform, ds.crs)
    want = cryosar.slope_aspect(z, t, UTM)
    np.testing.assert_array_equal(s, want[0])
    np.testing.assert_array_equal(a, want[1])


# ---------------------------------------------------------------- terrain


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_slope_aspect_of_a_plane_is_analytic(seed):
    rng = np.random.default_rng(seed)
    gx, gy = rng.uniform(-0.8, 0.8, 2)  # dz/dx east, dz/dy north (m/m)
    dx, dy = rng.uniform(5, 40), rng.uniform(5, 40)
    rows, cols = rng.integers(8, 40, 2)
    r, c = np.mgrid[0:rows, 0:cols].astype(float)
    x = c * dx
    y = -r * dy
    z = 1000.0 + gx * x + gy * y
    slope, aspect = cryosar.slope_aspect(z, north_up(0.0, 0.0, dx, dy), UTM)
    inner = (slice(1, -1), slice(1, -1))
    assert np.isnan(slope[0]).all() and np.isnan(slope[:, -1]).all()
    np.testing.assert_allclose(slope[inner], math.degrees(math.atan(math.hypot(gx, gy))), atol=1e-9)
    # downslope azimuth clockwise from north
    expect = math.degrees(math.atan2(-gx, -gy)) % 360.0
    np.testing.assert_allclose(aspect[inner], expect, atol=1e-7)


def test_memory_order_and_precision_do_not_matter():
    z = smooth_dem(40, 50, seed=4)
    t = north_up(500_000.0, 4_000_000.0, 30.0, 30.0)
    ref_s, ref_a = cryosar.slope_aspect(z, t, UTM)
    for variant in (np.asfortranarray(z), z[::-1, :][::-1, :], np.ascontiguousarray(z)):
        s, a = cryosar.slope_aspect(variant, t, UTM)
        np.testing.assert_array_equal(s, ref_s)
        np.testing.assert_array_equal(a, ref_a)
    # float32 input: the same as the float64 array of the same float32 values
    z32 = z.astype(np.float32)
    s32, _ = cryosar.slope_aspect(z32, t, UTM)
    s64, _ = cryosar.slope_aspect(z32.astype(np.float64), t, UTM)
    np.testing.assert_array_equal(s32, s64)
    s32f, _ = cryosar.slope_aspect(np.asfortranarray(z32), t, UTM)
    np.testing.assert_array_equal(s32f, s64)


def unaligned(a):
    """A copy of `a` whose data starts one byte past an aligned address, as
    dask.distributed hands arrays unpickled from a network frame."""
    buf = bytearray(a.nbytes + 1)
    u = np.frombuffer(buf, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
    u[...] = a
    assert not u.flags.aligned
    return u


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32])
def test_unaligned_arrays_are_copied_not_a_crash(dtype):
    z = smooth_dem(30, 40, seed=2).astype(dtype)
    t = north_up(0.0, 0.0, 30.0, 30.0)
    want = cryosar.slope_aspect(z, t, UTM)
    got = cryosar.slope_aspect(unaligned(z), t, UTM)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    # a mask, and the float32 / complex paths of other functions
    dh = 0.001 * z[:12, :12].astype(np.float64)
    dh[5:7, 5:7] = np.nan
    mask = np.ones((12, 12), np.float64)
    want = cryosar.fill_glacier(dh, z[:12, :12], mask, t, UTM, max_iterations=5)
    got = cryosar.fill_glacier(unaligned(dh), unaligned(z[:12, :12]), unaligned(mask), t, UTM, max_iterations=5)
    np.testing.assert_array_equal(got["filled"], want["filled"])


def test_local_incidence_angle_analytic():
    flat = np.zeros((5, 6))
    aspect = np.full((5, 6), np.nan)
    lia = cryosar.local_incidence_angle(flat, aspect, 39.0, -168.0)
    np.testing.assert_allclose(lia, 39.0)
    # a 20° slope facing the sensor (right-looking, heading 0 → looking east;
    # a slope facing west faces the sensor): LIA = 39 − 20
    s = np.full((3, 3), 20.0)
    a = np.full((3, 3), 270.0)
    np.testing.assert_allclose(cryosar.local_incidence_angle(s, a, 39.0, 0.0, "right"), 19.0, atol=1e-9)
    np.testing.assert_allclose(cryosar.local_incidence_angle(s, a, 39.0, 0.0, "left"), 59.0, atol=1e-9)
    inc = np.full((3, 3), 30.0)
    np.testing.assert_allclose(cryosar.local_incidence_angle(s, a, inc, 0.0), 10.0, atol=1e-9)


def test_highpass_removes_planes():
    r, c = np.mgrid[0:60, 0:70].astype(float)
    plane = 3.0 + 0.2 * r - 0.7 * c
    hp = cryosar.gaussian_highpass(plane, 11, 3.0)
    # away from the edges (where the kernel is renormalised over the image)
    # a symmetric low-pass reproduces a plane exactly
    assert np.abs(hp[5:-5, 5:-5]).max() < 1e-9
    assert np.isfinite(hp).all()


# ---------------------------------------------------------------- errors


def test_each_bad_input_class_raises_its_exception(tmp_path):
    t = north_up(0.0, 0.0, 10.0, 10.0)
    cases = [
        (cryosar.InputError, lambda: cryosar.slope_aspect(np.zeros((3, 3, 3)))),  # wrong ndim
        (cryosar.InputError, lambda: cryosar.slope_aspect(np.array([["a", "b"]]))),  # wrong dtype
        (cryosar.InputError, lambda: cryosar.slope_aspect(np.zeros((5, 5)), (1.0, 0.0, 0.0))),
        (cryosar.InputError, lambda: cryosar.slope_aspect(np.zeros((5, 5)), (0, 0, 0, 0, 0, 0))),
        (cryosar.InputError, lambda: cryosar.slope_aspect(np.zeros((5, 5)), t, "UTM 43 north")),
        (cryosar.InputError, lambda: cryosar.slope_aspect(np.zeros((5, 5)), t, UTM, "sobel")),
        (cryosar.SarError, lambda: cryosar.slope_aspect(np.zeros((2, 5)), t, UTM)),  # < 3×3
        (cryosar.SarError, lambda: cryosar.slope_aspect(np.full((5, 5), np.nan), t, UTM)),
        (cryosar.SarError, lambda: cryosar.read_geotiff(tmp_path / "missing.tif")),
        (cryosar.SarError, lambda: cryosar.local_incidence_angle(np.zeros((3, 3)), np.zeros((3, 3)), 95.0, 0.0)),
        (cryosar.InputError, lambda: cryosar.local_incidence_angle(np.zeros((3, 3)), np.zeros((3, 4)), 30.0, 0.0)),
        (cryosar.NccError, lambda: cryosar.gaussian_highpass(np.zeros((9, 9)), 4, 1.0)),
        (cryosar.NccError, lambda: cryosar.track([np.zeros((40, 40))], [(0, 1)], 12.0)),
        (cryosar.InputError, lambda: cryosar.form_pairs(["2020-01-01", "yesterday"])),
        (cryosar.NccError, lambda: cryosar.form_pairs(["2020-01-02", "2020-01-01"])),
    ]
    (tmp_path / "garbage.tif").write_bytes(b"II*\x00garbage that is not a TIFF")
    cases.append((cryosar.SarError, lambda: cryosar.read_geotiff(tmp_path / "garbage.tif")))
    for cls, call in cases:
        with pytest.raises(cls) as ei:
            call()
        assert isinstance(ei.value, cryosar.Error)
        assert str(ei.value), "the Rust message is carried"


def test_exception_hierarchy():
    for cls in (
        cryosar.InputError,
        cryosar.SarError,
        cryosar.NccError,
        cryosar.SnowError,
        cryosar.GpError,
        cryosar.UncertaintyError,
        cryosar.MbError,
        cryosar.UnwrapError,
    ):
        assert issubclass(cls, cryosar.Error) and cls is not cryosar.Error
    assert issubclass(cryosar.Error, Exception)


def test_extreme_values_do_not_crash(tmp_path):
    z = np.full((20, 20), -3.4e38)
    z[5:15, 5:15] = 1000.0
    s, a = cryosar.slope_aspect(z, north_up(0, 0, 30, 30), UTM)
    assert s.shape == z.shape  # huge gradients give finite or NaN degrees, not a crash
    assert np.all((np.isnan(s)) | ((s >= 0) & (s <= 90)))
    with pytest.raises(cryosar.Error):
        cryosar.write_geotiff(tmp_path / "x.tif", np.zeros((0, 5)))


# ---------------------------------------------------------------- threads and the GIL


def test_gil_is_released_while_computing():
    """While a long Rust call runs in thread B, the main thread keeps
    executing Python bytecode. With the GIL held for the call, no main-thread
    tick could land strictly inside B's call."""
    cryosar.set_num_threads(1)
    try:
        n = 3000
        rng = np.random.default_rng(5)
        coords = rng.uniform(0, 5000, (n, 2))
        model = {"nugget": 0.0, "components": [("spherical", 800.0, 1.0)]}
        t0 = time.perf_counter()
        cryosar.propagate_mean_error(coords, np.ones(n), model, method="exact")
        single = time.perf_counter() - t0
        reps = max(1, int(0.6 / max(single, 1e-3)))
        span = {}

        def worker():
            span["start"] = time.perf_counter()
            for _ in range(reps):
                cryosar.propagate_mean_error(coords, np.ones(n), model, method="exact")
            span["end"] = time.perf_counter()

        th = threading.Thread(target=worker)
        ticks = []
        th.start()
        while th.is_alive():
            ticks.append(time.perf_counter())
            time.sleep(0.001)
        th.join()
        inside = [x for x in ticks if span["start"] + 0.05 < x < span["end"] - 0.05]
        duration = span["end"] - span["start"]
        # ~1 tick per ms is possible; demand at least a tenth of that
        assert len(inside) > 0.1 * 1000 * (duration - 0.1), (len(inside), duration)
    finally:
        cryosar.set_num_threads(0)


def test_two_threads_run_concurrently_and_agree():
    z = smooth_dem(300, 300, seed=9)
    t = north_up(0.0, 0.0, 20.0, 20.0)
    ref = cryosar.slope_aspect(z, t, UTM)[0]
    out = [None, None]

    def run(i):
        out[i] = cryosar.slope_aspect(z, t, UTM)[0]

    ths = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    for o in out:
        np.testing.assert_array_equal(o, ref)


def test_thread_pool_setting():
    cryosar.set_num_threads(3)
    assert cryosar.get_num_threads() == 3
    cryosar.set_num_threads(0)
    assert cryosar.get_num_threads() >= 1
