"""Every bound method against the Rust library's own result on the same input.

`cryosar_py::reference` (src/reference.rs) runs the Rust libraries directly
(no binding code) on scenes built from a counter-based generator;
``cryosar._cryosar._rust_reference()`` returns its results as JSON, computed
live so that they follow every change of the libraries
(`tests/rust_reference.rs` checks them against known truths). Here the same
scenes are rebuilt bit for bit with NumPy and passed through the bindings —
in C and Fortran order, float64 and float32 where the values are exactly
representable — and the results must match.
"""

import json

import numpy as np
import pytest

import cryosar
from conftest import UTM, north_up

@pytest.fixture(scope="module")
def ref():
    raw = json.loads(cryosar._cryosar._rust_reference())
    keep = {"mb_rows"}  # mixed rows: [status, numbers...]
    return {k: np.array(v, dtype=float) if isinstance(v, list) and k not in keep else v for k, v in raw.items()}


def unif(seed, rows, cols):
    """SplitMix64 of seed·2³² + index, top 53 bits → [0, 1): the generator of
    rust_reference.rs, bit for bit."""
    with np.errstate(over="ignore"):
        z = (np.uint64(seed) << np.uint64(32)) + np.arange(rows * cols, dtype=np.uint64)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)).reshape(rows, cols)


def rc(rows, cols):
    r, c = np.mgrid[0:rows, 0:cols]
    return r.astype(float), c.astype(float)


def same(got, want, rtol=1e-12):
    got = np.asarray(got, dtype=float).ravel()
    assert got.shape == want.shape
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = np.isfinite(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=rtol, atol=1e-12)


def terrain_dem():
    r, c = rc(24, 30)
    return 3000.0 + 8.0 * r + 3.0 * c + 20.0 * unif(1, 24, 30)


@pytest.mark.parametrize("order", ["C", "F"])
def test_terrain_equals_rust(ref, order):
    dem = np.asarray(terrain_dem(), order=order)
    s, a = cryosar.slope_aspect(dem, north_up(500_000.0, 4_000_000.0, 30.0, 30.0), UTM)
    same(s, ref["slope"])
    same(a, ref["aspect"])
    lia = cryosar.local_incidence_angle(s, a, 39.0, -168.0, "right")
    same(lia, ref["lia"])


def test_highpass_equals_rust(ref):
    img = unif(2, 24, 30)
    img[5, 6] = np.nan
    same(cryosar.gaussian_highpass(img, 11, 3.0), ref["highpass"])
    same(cryosar.gaussian_highpass(np.asfortranarray(img), 11, 3.0), ref["highpass"])


def test_track_equals_rust(ref):
    base = unif(3, 80, 80)
    imgs = [base[4 - k : 76 - k, 4 + k : 76 + k].copy() for k in range(3)]
    res = cryosar.track(
        imgs, [(0, 1), (1, 2)], 12.0, north_up(600_000.0, 4_200_000.0, 10.0, 10.0), UTM,
        template_px=16, step_px=8, search_px=4,
    )
    for k in ("offset_x_px", "offset_y_px", "snr_db", "peak"):
        same(res[k], ref[k])
    # the texture moves one row down and one column left per image
    ok = np.isfinite(res["offset_x_px"])
    np.testing.assert_allclose(res["offset_x_px"][ok], -1.0, atol=0.05)
    np.testing.assert_allclose(res["offset_y_px"][ok], 1.0, atol=0.05)


def fill_inputs():
    r, c = rc(30, 30)
    dem = 3000.0 + 10.0 * r + 4.0 * c + 5.0 * unif(4, 30, 30)
    dh = -1.0 + 0.003 * (dem - 3000.0) + 0.05 * (unif(5, 30, 30) - 0.5)
    a, b = (r - 15.0) / 12.0, (c - 15.0) / 11.0
    mask = (a * a + b * b <= 1.0).astype(np.uint8)
    a, b = r - 13.0, c - 16.0
    dh[a * a + b * b < 20.0] = np.nan
    return dh, dem, mask


def test_fill_glacier_equals_rust(ref):
    dh, dem, mask = fill_inputs()
    t = north_up(350_000.0, 3_950_000.0, 30.0, 30.0)
    out = cryosar.fill_glacier(dh, dem, mask.astype(bool), t, UTM, seed=4, max_iterations=40)
    same(out["filled"], ref["filled"], rtol=1e-9)
    assert out["void_mean"] == pytest.approx(ref["void_mean"], rel=1e-9)
    assert out["void_std_error"] == pytest.approx(ref["void_std_error"], rel=1e-9)
    assert out["n_void"] == ref["n_void"]


def test_uncertainty_equals_rust(ref):
    v = unif(6, 40, 36)
    emp = cryosar.empirical_variogram(v, (30.0, 30.0), estimator="matheron", pairs_per_bin=2000, seed=1)
    same(emp["gamma"], ref["gamma"])
    np.testing.assert_array_equal(emp["count"], ref["count"])
    i = np.arange(150)
    coords = np.stack([30.0 * (i % 15), 30.0 * (i // 15)], axis=1)
    sigma = 1.0 + v.ravel()[:150]
    model = {"nugget": 0.0, "components": [("spherical", 300.0, 1.0)]}
    me = cryosar.propagate_mean_error(coords, sigma, model, method="exact")
    assert me["standard_error"] == pytest.approx(ref["mean_error"], rel=1e-12)
    assert me["n_eff"] == pytest.approx(ref["mean_error_n_eff"], rel=1e-12)
    # float32 coordinates hold these integers exactly
    me32 = cryosar.propagate_mean_error(coords.astype(np.float32), sigma, model, method="exact")
    assert me32["standard_error"] == pytest.approx(ref["mean_error"], rel=1e-12)


def test_unwrap_equals_rust(ref):
    r, c = rc(30, 34)
    two_pi = 2.0 * np.pi
    t = 0.35 * r + 0.2 * c
    wrapped = t - two_pi * np.floor(t / two_pi + 0.5)
    coh = 0.5 + 0.4 * unif(7, 30, 34)
    u = cryosar.unwrap_phase(np.asfortranarray(wrapped), coherence=coh)
    same(u["phase"], ref["unwrapped"])
    assert u["total_cost"] == ref["total_cost"] and u["residues"] == ref["residues"]


def test_glacier_mass_balance_equals_rust(ref):
    r, c = rc(60, 60)
    dem = 3000.0 + 12.0 * r + 5.0 * c + 10.0 * unif(8, 60, 60)
    a, b = (r - 20.0) / 12.0, (c - 20.0) / 12.0
    d, e = (r - 42.0) / 10.0, (c - 40.0) / 14.0
    labels = np.where(a * a + b * b <= 1.0, 1, np.where(d * d + e * e <= 1.0, 2, 0)).astype(np.uint16)
    signal = np.where(labels > 0, -1.0 + 0.002 * (dem - 3000.0), 0.0)
    dh = signal + 0.3 * (unif(9, 60, 60) - 0.5)
    a, b = r - 22.0, c - 18.0
    dh[a * a + b * b < 16.0] = np.nan
    t = north_up(350_000.0, 3_950_000.0, 30.0, 30.0)
    filled, sigma, rows = cryosar.glacier_mass_balance(
        dh.astype(np.float64, order="F"), dem, labels, labels == 0, [(1, "A"), (2, "B")], t, UTM,
        fill="hypsometric", min_area_km2=0.1, band_m=50.0,
    )
    same(filled, ref["mb_filled"], rtol=1e-9)
    same(sigma, ref["mb_sigma"], rtol=1e-9)
    assert [x["id"] for x in rows] == ["A", "B"]
    for got, want in zip(rows, ref["mb_rows"]):
        assert got["status"] == want[0]
        np.testing.assert_allclose(
            [got[k] for k in ("mean_dhdt_m_yr", "sigma_dhdt_m_yr", "b_mwe_yr", "sigma_b_mwe_yr", "n_eff")],
            np.array(want[1:], dtype=float), rtol=1e-9,
        )
    with pytest.raises(cryosar.MbError):  # no stable pixel: no error model
        cryosar.glacier_mass_balance(dh, dem, labels, np.zeros_like(labels), [(1, "A")], t, UTM)
    with pytest.raises(cryosar.InputError):
        cryosar.glacier_mass_balance(dh, dem, labels[:10], labels == 0, [(1, "A")], t, UTM)


def test_wet_snow_map_equals_rust(ref):
    r, c = rc(40, 40)
    u = unif(10, 40, 40)
    rc_db = np.where(c < 20, -4.0 + 1.0 * u, 0.5 * u - 0.25)
    dem = 2000.0 + 20.0 * r + 5.0 * c
    slope, aspect = cryosar.slope_aspect(dem)
    m = cryosar.wet_snow_map(rc_db.astype(np.float64), dem.astype(np.float32), slope, aspect)
    np.testing.assert_array_equal(m["mask"].ravel(), ref["wet_mask"])
    same(m["si"], ref["wet_si"], rtol=1e-9)
    assert m["threshold"] == pytest.approx(ref["wet_threshold"], rel=1e-9)
    np.testing.assert_allclose(m["gmm_means_db"], ref["wet_gmm_means_db"], rtol=1e-9)


@pytest.fixture(scope="module")
def insar_pair():
    return cryosar.insar_pair_synthetic(seed=3, lines=48, samples=44)


def test_insar_dem_equals_rust(ref, insar_pair):
    p = insar_pair
    assert p["active_slc"].dtype == np.complex64 and p["active_slc"].shape == (48, 44)
    out = cryosar.insar_dem(p["active_slc"], p["passive_slc"], p["geometry"], p["reference"], p["transform"], p["crs"])
    same(out["dem"], ref["insar_dem"], rtol=1e-9)
    same(out["dh"][-1], ref["insar_dh_last"], rtol=1e-9)
    np.testing.assert_array_equal(out["mask"].ravel(), ref["insar_mask"])
    np.testing.assert_allclose([s["rms_dh_m"] for s in out["stats"]], ref["insar_rms_dh_m"], rtol=1e-9)
    assert out["transform"] == pytest.approx(p["transform"]) and out["crs"] == "EPSG:4326"
    # against the synthetic truth: the surface changed by up to ~30 m since
    # the reference DEM; after 3 iterations the DEM is within noise of it
    ok = np.isfinite(out["dh"][-1])
    err = (out["dem"] - p["truth"])[ok]
    assert ok.sum() > 100 and np.abs(p["dh_true"]).max() > 20.0
    assert abs(np.median(err)) < 0.5 and np.sqrt(np.mean(err**2)) < 2.0
    ha = cryosar.insar_height_of_ambiguity(p["geometry"], 24.0, 22.0, 3000.0)
    assert ha == pytest.approx(ref["insar_height_of_ambiguity"], rel=1e-12)
    # the synthetic scene is built for h_a = 40 m at its centre
    assert ha == pytest.approx(40.0, rel=0.05)


def test_insar_dem_inputs_in_other_forms(insar_pair, tmp_path):
    """complex128 and Fortran-order SLCs, the geometry as JSON text or a
    file: the same DEM as complex64 C-order input with a dict."""
    p = insar_pair
    kw = dict(iterations=1)
    base = cryosar.insar_dem(p["active_slc"], p["passive_slc"], p["geometry"], p["reference"], p["transform"], p["crs"], **kw)
    path = tmp_path / "geometry.json"
    path.write_text(json.dumps(p["geometry"]))
    for a, b, g in [
        (p["active_slc"].astype(np.complex128), p["passive_slc"].astype(np.complex128), json.dumps(p["geometry"])),
        (np.asfortranarray(p["active_slc"]), np.asfortranarray(p["passive_slc"]), str(path)),
        (p["active_slc"], p["passive_slc"], path),
    ]:
        o = cryosar.insar_dem(a, b, g, p["reference"], p["transform"], p["crs"], **kw)
        np.testing.assert_array_equal(o["dem"], base["dem"])


def test_insar_bad_inputs_raise(insar_pair):
    p = insar_pair
    args = [p["active_slc"], p["passive_slc"], p["geometry"], p["reference"], p["transform"], p["crs"]]
    cases = [
        (cryosar.InputError, 0, p["active_slc"].real.copy()),  # not complex
        (cryosar.InputError, 2, {"mode": "Bistatic"}),  # incomplete geometry
        (cryosar.InputError, 2, "/nonexistent/geometry.json"),
        (cryosar.InputError, 2, 42),
        (cryosar.DemError, 1, p["passive_slc"][:30]),  # wrong SLC size
        (cryosar.DemError, 3, p["reference"][:5, :5]),  # DEM does not cover the scene
    ]
    for cls, i, bad in cases:
        a = list(args)
        a[i] = bad
        with pytest.raises(cls) as ei:
            cryosar.insar_dem(*a)
        assert isinstance(ei.value, cryosar.Error) and str(ei.value)
    with pytest.raises(cryosar.DemError):
        cryosar.insar_dem(*args, iterations=0)
    with pytest.raises(cryosar.InputError):
        cryosar.insar_pair_synthetic(mode="pursuit")
    with pytest.raises(cryosar.DemError):
        cryosar.insar_pair_synthetic(lines=4)
