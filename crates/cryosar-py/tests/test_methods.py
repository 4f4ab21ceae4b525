"""The bound methods against analytic truth and their Rust definitions."""

import math

import numpy as np
import pytest

import cryosar
from conftest import UTM, north_up, smooth_dem, speckle_stack


# ---------------------------------------------------------------- ncc-stack


@pytest.mark.parametrize("seed,shift", [(1, (2, -1)), (2, (-3, 2)), (3, (1, 3))])
def test_track_recovers_a_known_shift(seed, shift):
    dr, dc = shift
    imgs = speckle_stack(96, 110, [(0, 0), (dr, dc), (2 * dr, 2 * dc)], seed)
    dx, dy = 10.0, 12.0
    t = north_up(400_000.0, 5_000_000.0, dx, dy)
    res = cryosar.track(imgs, [(0, 1), (1, 2)], 11.0, t, UTM, template_px=24, step_px=8, search_px=6)
    ok = np.isfinite(res["offset_x_px"])
    assert ok.sum() >= 20
    np.testing.assert_allclose(res["offset_x_px"][ok], dc, atol=0.05)
    np.testing.assert_allclose(res["offset_y_px"][ok], dr, atol=0.05)
    # eq. 2.7: east = offset_x·dx, north = −offset_y·dy, velocity = /T
    np.testing.assert_allclose(res["displacement_east_m"][ok], res["offset_x_px"][ok] * dx, rtol=1e-12)
    np.testing.assert_allclose(res["displacement_north_m"][ok], -res["offset_y_px"][ok] * dy, rtol=1e-12)
    np.testing.assert_allclose(res["velocity_east_m_per_day"][ok], res["displacement_east_m"][ok] / 11.0, rtol=1e-12)
    assert res["pair_count"].dtype == np.uint32 and res["pair_count"][ok].max() == 2
    assert res["transform"] == (80.0, 0.0, 400_000.0, 0.0, -96.0, 5_000_000.0)
    assert res["crs"] == UTM
    assert res["summary"]["valid"] == int(ok.sum())


def test_track_float32_and_fortran_inputs_equal_float64():
    imgs = speckle_stack(64, 64, [(0, 0), (1, 2)], 7)
    ref = cryosar.track(imgs, [(0, 1)], 12.0, template_px=16, step_px=8, search_px=4)
    f = cryosar.track([np.asfortranarray(i) for i in imgs], [(0, 1)], 12.0, template_px=16, step_px=8, search_px=4)
    np.testing.assert_array_equal(f["offset_x_px"], ref["offset_x_px"])
    i32 = [i.astype(np.float32) for i in imgs]
    a = cryosar.track(i32, [(0, 1)], 12.0, template_px=16, step_px=8, search_px=4)
    b = cryosar.track([i.astype(np.float64) for i in i32], [(0, 1)], 12.0, template_px=16, step_px=8, search_px=4)
    np.testing.assert_array_equal(a["offset_y_px"], b["offset_y_px"])


def test_form_pairs_of_a_series():
    dates = ["2017-01-10", "2017-01-21", "2017-02-01", "2017-02-12"]
    pairs, t = cryosar.form_pairs(dates, 1)
    assert pairs == [(0, 1), (1, 2), (2, 3)] and t == 11.0
    pairs, t = cryosar.form_pairs(dates, 2)
    assert pairs == [(0, 2), (1, 3)] and t == 22.0


def test_track_errors():
    imgs = speckle_stack(40, 40, [(0, 0), (1, 1)], 3)
    with pytest.raises(cryosar.NccError):
        cryosar.track(imgs, [(0, 5)], 12.0, template_px=16, step_px=8, search_px=4)
    with pytest.raises(cryosar.NccError):  # template + search larger than the image
        cryosar.track(imgs, [(0, 1)], 12.0, template_px=64, step_px=8, search_px=4)
    with pytest.raises(cryosar.InputError):
        cryosar.track(imgs, [(0, 1)], -1.0)
    with pytest.raises(cryosar.InputError):
        cryosar.track([imgs[0], "x"], [(0, 1)], 12.0)
    # allow_empty turns "no valid template" into NaN fields (for tiles)
    nan = [np.full((40, 40), np.nan), np.full((40, 40), np.nan)]
    r = cryosar.track(nan, [(0, 1)], 12.0, template_px=16, step_px=8, search_px=4, allow_empty=True)
    assert r["offset_x_px"].shape == (5, 5) and np.isnan(r["offset_x_px"]).all()


# ---------------------------------------------------------------- uncertainty


@pytest.mark.parametrize("seed,sigma", [(1, 0.5), (2, 2.0)])
def test_variogram_of_white_noise_is_its_variance(seed, sigma):
    rng = np.random.default_rng(seed)
    v = rng.normal(0.0, sigma, (120, 110))
    emp = cryosar.empirical_variogram(v, (30.0, 30.0), estimator="matheron", pairs_per_bin=3000, seed=seed)
    ok = emp["count"] >= 500
    assert ok.sum() >= 5
    # Matheron γ of independent values = σ² at every lag
    np.testing.assert_allclose(emp["gamma"][ok], sigma**2, rtol=0.12)
    assert np.all(emp["upper_m"] > emp["lower_m"])


def test_fit_variogram_recovers_a_correlated_field():
    # a field with a known correlation: moving average of white noise over a
    # disc of radius R has a correlation that vanishes beyond 2R
    rng = np.random.default_rng(11)
    n, R, dx = 160, 6, 20.0
    w = rng.standard_normal((n + 2 * R, n + 2 * R))
    from numpy.lib.stride_tricks import sliding_window_view

    yy, xx = np.mgrid[-R : R + 1, -R : R + 1]
    disc = (yy**2 + xx**2 <= R * R).astype(float)
    win = sliding_window_view(w, disc.shape)
    field = np.einsum("ijkl,kl->ij", win, disc)[:n, :n] / math.sqrt(disc.sum())
    emp = cryosar.empirical_variogram(field, (dx, dx), pairs_per_bin=4000, seed=3)
    fit = cryosar.fit_variogram(emp, kinds=["spherical"], nugget=False)
    (kind, range_m, sill), = fit["components"]
    assert kind == "spherical"
    assert 1.0 * R * dx < range_m < 3.0 * R * dx  # support 2R·dx = 240 m
    assert 0.6 < sill < 1.4  # unit variance
    g = cryosar.variogram_gamma(fit, [0.0, range_m, 10 * range_m])
    assert g[0] == 0.0 and g[1] == pytest.approx(sill + fit["nugget"]) and g[2] == pytest.approx(sill + fit["nugget"])


def test_n_eff_limits_and_grid_equals_points():
    pts = np.array([[x * 30.0, y * 30.0] for y in range(20) for x in range(25)])
    short = {"nugget": 0.0, "components": [("spherical", 1.0, 1.0)]}  # shorter than a pixel
    assert cryosar.n_eff(pts, short, method="exact") == pytest.approx(len(pts), rel=1e-12)
    huge = {"nugget": 0.0, "components": [("spherical", 1e9, 1.0)]}
    assert cryosar.n_eff(pts, huge, method="exact") == pytest.approx(1.0, rel=1e-6)
    model = {"nugget": 0.1, "components": [("gaussian", 200.0, 0.5), ("spherical", 900.0, 0.4)]}
    rng = np.random.default_rng(4)
    sig = rng.uniform(0.5, 2.0, (20, 25))
    pt = cryosar.propagate_mean_error(pts, sig.ravel(), model, method="exact")
    gr = cryosar.propagate_mean_error_grid(sig, (30.0, 30.0), model)
    assert gr["standard_error"] == pytest.approx(pt["standard_error"], rel=1e-9)
    assert gr["n_eff"] == pytest.approx(pt["n_eff"], rel=1e-9)
    # the definition, eq. 4.11, evaluated here in NumPy
    d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    s = sig.ravel()
    gam = np.where(d > 0, 0.1 + 0.5 * (1 - np.exp(-((2 * d / 200.0) ** 2))) + 0.4 * np.where(d < 900, 1.5 * d / 900 - 0.5 * (d / 900) ** 3, 1.0), 0.0)
    rho = 1 - gam / 1.0
    se = math.sqrt((s[:, None] * s[None, :] * rho).sum()) / len(s)
    assert pt["standard_error"] == pytest.approx(se, rel=1e-9)
    with pytest.raises(cryosar.UncertaintyError):
        cryosar.propagate_mean_error(pts, -np.ones(len(pts)), model)
    with pytest.raises(cryosar.InputError):
        cryosar.n_eff(np.ones((5, 3)), model)
    with pytest.raises(cryosar.InputError):
        cryosar.n_eff(pts, {"components": [("cubic", 10.0, 1.0)]})


# ---------------------------------------------------------------- gp-voidfill


@pytest.mark.parametrize("seed", [3, 8])
def test_fill_glacier_predicts_the_voids_of_a_smooth_field(seed):
    rng = np.random.default_rng(seed)
    rows, cols = 40, 46
    dem = smooth_dem(rows, cols, seed)
    truth = -2.0 + 0.004 * (dem - dem.mean())  # dh/dt follows elevation (m/yr)
    dh = truth + rng.normal(0, 0.05, truth.shape)
    r, c = np.mgrid[0:rows, 0:cols]
    mask = ((r - rows / 2) ** 2 / (0.45 * rows) ** 2 + (c - cols / 2) ** 2 / (0.45 * cols) ** 2) <= 1
    void = mask & ((r - rows / 2) ** 2 + (c - cols / 3) ** 2 < 36)
    dh[void] = np.nan
    t = north_up(300_000.0, 3_900_000.0, 30.0, 30.0)
    res = cryosar.fill_glacier(dh, dem, mask, t, UTM, seed=seed, max_iterations=60)
    assert res["n_void"] == int(void.sum())
    err = res["filled"][void] - truth[void]
    assert np.sqrt(np.mean(err**2)) < 0.15
    assert np.isnan(res["filled"][~mask]).all()
    np.testing.assert_array_equal(res["filled"][mask & ~void], dh[mask & ~void])
    assert (res["latent_std"][void] > 0).all() and (res["latent_std"][mask & ~void] == 0).all()
    assert res["void_mean"] == pytest.approx(np.mean(res["filled"][void]), rel=1e-9)
    # deterministic under the seed
    again = cryosar.fill_glacier(dh, dem, mask, t, UTM, seed=seed, max_iterations=60)
    np.testing.assert_array_equal(again["filled"], res["filled"])
    with pytest.raises(cryosar.GpError):
        cryosar.fill_glacier(np.full_like(dh, np.nan), dem, mask, t, UTM)


# ---------------------------------------------------------------- snowmelt


def test_wet_snow_map_separates_two_populations():
    rng = np.random.default_rng(21)
    rows, cols = 90, 100
    dem = smooth_dem(rows, cols, 21, relief=1500)
    slope, aspect = cryosar.slope_aspect(dem, north_up(0, 0, 30, 30), UTM)
    wet = dem < np.nanpercentile(dem, 45)  # wet snow below a snow line
    rc = np.where(wet, rng.normal(-5.5, 1.0, dem.shape), rng.normal(0.0, 1.0, dem.shape))
    res = cryosar.wet_snow_map(rc, dem, slope, aspect, seed=1, n_samples=20000)
    valid = res["mask"] != 255
    acc = np.mean((res["mask"][valid] == 1) == wet[valid])
    assert acc > 0.9
    m = sorted(res["gmm_means_db"])
    assert m[0] == pytest.approx(-5.5, abs=0.5) and m[1] == pytest.approx(0.0, abs=0.5)
    assert res["mask"].dtype == np.uint8
    with pytest.raises(cryosar.SnowError):
        cryosar.wet_snow_map(np.zeros((30, 30)), dem[:30, :30], slope[:30, :30], aspect[:30, :30], n_samples=500)


# ---------------------------------------------------------------- phase-unwrap


@pytest.mark.parametrize("seed", [0, 1])
def test_unwrap_recovers_a_smooth_phase(seed):
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:60, 0:70].astype(float)
    a, b = rng.uniform(0.2, 0.6, 2)
    truth = a * r + b * c + 3.0 * np.sin(r / 9.0)
    wrapped = np.angle(np.exp(1j * truth))
    res = cryosar.unwrap_phase(wrapped)
    diff = res["phase"] - truth
    k = np.round((diff[0, 0]) / (2 * np.pi))
    np.testing.assert_allclose(diff, 2 * np.pi * k, atol=1e-9)
    assert res["n_components"] == 1 and res["residues"] == 0
    assert res["cycles"].dtype == np.int32
    with pytest.raises(cryosar.UnwrapError):
        cryosar.unwrap_phase(np.full((5, 5), np.nan))
    with pytest.raises(cryosar.UnwrapError):
        cryosar.unwrap_phase(wrapped, coherence=np.ones((3, 3)))
