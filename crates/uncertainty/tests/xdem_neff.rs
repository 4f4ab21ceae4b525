//! n_eff per glacier against xdem 0.2.3's default pipeline on the same dh,
//! stable mask and glaciers, and against the truth the scene was drawn with.
//!
//! Inputs and expected values come from `tools/reference/unc_neff_xdem.py`
//! (`/work/venvs/unc/bin/python tools/reference/unc_neff_xdem.py`), which
//! drew the scene with numpy (not with this crate), wrote
//! `tests/data/xdem_neff/{dh,slope,glaciers}.tif` and ran xdem's
//! heteroscedasticity (binned NMAD vs slope, two-step standardisation),
//! `infer_spatial_correlation_from_stable` with every default (Gaussian +
//! Spherical, fitted unweighted at the upper bin edges) and `neff_exact`
//! per glacier. `tools/reference/unc_neff_xdem_variogram.py` wrote
//! `xdem_variogram.json`: xdem's empirical variogram, its fitted model and
//! n_eff step by step, and the same path with 8 sampling seeds.

use std::path::PathBuf;

use ndarray::Array2;
use serde_json::Value;
use uncertainty::*;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/xdem_neff")
}

struct Scene {
    px: f64,
    dh: Array2<f64>,
    slope: Array2<f64>,
    glaciers: Array2<f64>,
    expected: Value,
}

fn scene() -> Scene {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("expected.json")).unwrap())
            .unwrap();
    let read = |n: &str| sar_core::geotiff::read_f64(dir().join(n), 0).unwrap();
    let (dh, slope, gl) = (read("dh.tif"), read("slope.tif"), read("glaciers.tif"));
    dh.ensure_same_grid(&slope).unwrap();
    dh.ensure_same_grid(&gl).unwrap();
    let (dx, dy) = dh.grid.pixel_size_m(0);
    assert_eq!((dx, dy), (30.0, 30.0));
    assert_eq!(dx, expected["pixel_size_m"].as_f64().unwrap());
    Scene {
        px: dx,
        dh: dh.data,
        slope: slope.data,
        glaciers: gl.data,
        expected,
    }
}

fn neff_per_glacier(s: &Scene, params: &ErrorModelParams) -> Vec<(usize, f64)> {
    let stable = s.glaciers.mapv(|g| g == 0.0);
    let em = infer_error_model(
        s.dh.view(),
        &[s.slope.view()],
        stable.view(),
        (s.px, s.px),
        params,
    )
    .unwrap();
    eprintln!(
        "fit: {:?} nugget {:.3}",
        em.fit.model.components(),
        em.fit.model.nugget()
    );
    (1..=3)
        .map(|g| {
            let m = em
                .mean_error(s.glaciers.mapv(|v| v == g as f64).view())
                .unwrap();
            (m.n_pixels, m.n_eff)
        })
        .collect()
}

/// xdem's conventions in this crate: binned-NMAD dispersion, fit at the
/// upper bin edges, unweighted, no nugget.
fn xdem_conventions() -> ErrorModelParams {
    ErrorModelParams {
        standardize: StandardizeParams::default().dispersion(Dispersion::Binned),
        variogram: VariogramParams::default(),
        fit: VariogramFitParams::default()
            .lag(FitLag::UpperEdge)
            .weighting(FitWeighting::Uniform)
            .nugget(false),
    }
}

/// n_eff from the model the scene was drawn with (see the script's docstring).
fn true_neff(s: &Scene) -> Vec<f64> {
    let truth = VariogramModel::new(vec![
        VariogramComponent::new(ModelKind::Gaussian, 150.0, 0.6),
        VariogramComponent::new(ModelKind::Spherical, 1500.0, 0.3),
    ])
    .unwrap()
    .with_nugget(0.1)
    .unwrap();
    (1..=3)
        .map(|g| {
            let sig = Array2::from_shape_fn(s.dh.dim(), |ij| {
                if s.glaciers[ij] == g as f64 && s.dh[ij].is_finite() {
                    0.03 * (0.05 * s.slope[ij]).exp() + 0.1
                } else {
                    f64::NAN
                }
            });
            propagate_mean_error_grid(sig.view(), (s.px, s.px), &truth)
                .unwrap()
                .n_eff
        })
        .collect()
}

#[test]
fn n_eff_with_xdem_conventions_is_within_10_percent_of_xdem() {
    // xdem's n_eff is itself a random quantity: its empirical variogram
    // comes from a 1 000-point subsample. xdem 0.2.3 ignores `random_state`
    // when n_variograms = 1 (every state gives the child state 0), so the
    // "median over 10 random states" of `expected.json` is one draw; the
    // reference script re-ran xdem's default path with 8 sampling seeds
    // (`seeded_runs`), whose n_eff for the largest glacier spans ≈ 10–15.
    // Given the same empirical variogram both fits and both propagations
    // agree (test below), so we compare with the median over xdem's
    // seeds: the comparison the issue asks for, without xdem's sampling
    // noise (our 10 000 pairs per bin have far less).
    let s = scene();
    let x = xdem_steps();
    let ours = neff_per_glacier(&s, &xdem_conventions());
    for ((g, gx), (pixels, n)) in s.expected["glaciers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(x["glaciers"].as_array().unwrap())
        .zip(&ours)
    {
        assert_eq!(*pixels as u64, g["pixels"].as_u64().unwrap());
        let med = gx["neff_exact_seed_median"].as_f64().unwrap();
        let one = g["neff_median"].as_f64().unwrap();
        eprintln!(
            "glacier {}: n_eff ours {n:.2}, xdem median over seeds {med:.2}, xdem seed 0 {one:.2}",
            g["id"]
        );
        assert!((n / med - 1.0).abs() < 0.10, "{n} vs xdem {med}");
    }
}

#[test]
fn default_n_eff_exceeds_xdem_conventions_as_the_calibration_predicts() {
    // Fitting at the upper bin edges stretches the ranges (the mean pair
    // distance of a √2-wide ring is ≈ 0.86 of its upper edge), which lowers
    // n_eff; the calibration harness found xdem's conventions 17–21 % below
    // the true n_eff and the default within 4 % (crate docs). On this one
    // scene the default must therefore lie above the xdem-convention value
    // by a similar factor. (The scene's true n_eff is printed but not
    // asserted: one realisation's long-range sill is itself a random draw.)
    let s = scene();
    let def = neff_per_glacier(&s, &ErrorModelParams::default());
    let xl = neff_per_glacier(&s, &xdem_conventions());
    let truth = true_neff(&s);
    for (((g, (_, n)), (_, x)), t) in s.expected["glaciers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&def)
        .zip(&xl)
        .zip(&truth)
    {
        let xd = g["neff_median"].as_f64().unwrap();
        eprintln!(
            "glacier {}: n_eff default {n:.2}, xdem conventions {x:.2}, xdem {xd:.2}, truth of the drawing model {t:.2}",
            g["id"]
        );
        assert!((1.03..1.40).contains(&(n / x)), "{n} vs {x}");
    }
}

/// xdem's empirical variogram, fitted model and n_eff on the same scene,
/// from `tools/reference/unc_neff_xdem_variogram.py`.
fn xdem_steps() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("xdem_variogram.json")).unwrap())
        .unwrap()
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// xdem's empirical variogram as ours (bins `[0, e₀), [e₀, e₁), …`).
fn xdem_empirical(x: &Value) -> EmpiricalVariogram {
    let upper = nums(&x["empirical"]["lags"]);
    let lower: Vec<f64> = std::iter::once(0.0)
        .chain(upper[..upper.len() - 1].iter().copied())
        .collect();
    let n = upper.len();
    EmpiricalVariogram {
        lower_m: lower,
        upper_m: upper,
        mean_lag_m: vec![f64::NAN; n],
        gamma: nums(&x["empirical"]["exp"]),
        count: nums(&x["empirical"]["count"])
            .iter()
            .map(|&c| c as usize)
            .collect(),
        std_err: vec![f64::NAN; n],
        estimator: Estimator::Dowd,
    }
}

fn xdem_model(x: &Value) -> VariogramModel {
    let kinds = x["model"]["model"].as_array().unwrap();
    let (r, c) = (nums(&x["model"]["range"]), nums(&x["model"]["psill"]));
    VariogramModel::new(
        kinds
            .iter()
            .zip(r.iter().zip(&c))
            .map(|(k, (&r, &c))| {
                let kind = match k.as_str().unwrap() {
                    "gaussian" => ModelKind::Gaussian,
                    "spherical" => ModelKind::Spherical,
                    o => panic!("unexpected model {o}"),
                };
                VariogramComponent::new(kind, r, c)
            })
            .collect(),
    )
    .unwrap()
}

#[test]
fn same_empirical_variogram_gives_xdems_model_and_n_eff() {
    // Step by step against xdem on the same scene: (1) our fit with xdem's
    // conventions on xdem's own empirical variogram reproduces xdem's
    // Gaussian + Spherical (measured: ranges 159.280 / 1588.55 m vs xdem
    // 159.282 / 1588.51 m, sills equal to 5 digits); (2) given that model,
    // our propagation (FFT double sum, our standardisation's sigma) gives
    // xdem's `neff_exact` (measured: equal to 4 digits). So the n_eff gap
    // of the full pipelines is the empirical variogram's sampling alone.
    let s = scene();
    let x = xdem_steps();
    let emp = xdem_empirical(&x);
    let f = fit_variogram(&emp, &xdem_conventions().fit).unwrap();
    let want = xdem_model(&x);
    for (a, b) in f.model.components().iter().zip(want.components()) {
        eprintln!("ours {a:?} xdem {b:?}");
        assert_eq!(a.kind, b.kind);
        assert!(
            (a.range_m / b.range_m - 1.0).abs() < 0.005,
            "{a:?} vs {b:?}"
        );
        assert!(
            (a.partial_sill / b.partial_sill - 1.0).abs() < 0.005,
            "{a:?} vs {b:?}"
        );
    }
    assert_eq!(f.model.nugget(), 0.0);
    let stable = s.glaciers.mapv(|g| g == 0.0);
    let mut em = infer_error_model(
        s.dh.view(),
        &[s.slope.view()],
        stable.view(),
        (s.px, s.px),
        &xdem_conventions(),
    )
    .unwrap();
    for (model, what) in [(f.model.clone(), "our fit"), (want, "xdem's model")] {
        em.fit.model = model;
        for g in x["glaciers"].as_array().unwrap() {
            let id = g["id"].as_f64().unwrap();
            let m = em.mean_error(s.glaciers.mapv(|v| v == id).view()).unwrap();
            let xd = g["neff_exact"].as_f64().unwrap();
            eprintln!(
                "glacier {id}: n_eff with {what} {:.3}, xdem {xd:.3}",
                m.n_eff
            );
            assert!((m.n_eff / xd - 1.0).abs() < 0.01, "{} vs {xd}", m.n_eff);
        }
    }
}
