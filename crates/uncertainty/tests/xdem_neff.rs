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
//! per glacier.

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
fn n_eff_with_xdem_conventions_is_within_15_percent_of_xdem() {
    // Measured (6 variogram seeds): ours +10…+17 %, +4…+12 %, +2…+9 % on
    // glaciers 1–3 (2238, 957, 221 px). The rest of the gap is the
    // variogram sampling (our uniform ring pairs vs xdem's equidistant
    // disks) and the optimiser (global multi-start vs a local trf start):
    // the long-range Spherical differs (ours ≈ 1380 m / 0.24, xdem 1589 m /
    // 0.23), and n_eff of a 2 km² glacier scales with 1/(c·r²) of it.
    let s = scene();
    let ours = neff_per_glacier(&s, &xdem_conventions());
    for (g, (pixels, n)) in s.expected["glaciers"].as_array().unwrap().iter().zip(&ours) {
        assert_eq!(*pixels as u64, g["pixels"].as_u64().unwrap());
        let x = g["neff_median"].as_f64().unwrap();
        eprintln!("glacier {}: n_eff ours {n:.2}, xdem {x:.2}", g["id"]);
        assert!((n / x - 1.0).abs() < 0.15, "{n} vs xdem {x}");
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
