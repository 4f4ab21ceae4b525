//! Comparisons with xdem 0.2.3 (scikit-gstat 1.0.26) on identical inputs.
//!
//! Every expected value comes from `tools/reference/xdem_reference.py`
//! (`/work/pyenv/bin/python tools/reference/xdem_reference.py`), which wrote
//! the fixtures in `tests/data/xdem/` (GeoTIFFs read with
//! `sar_core::geotiff::read_f64`).

use std::path::PathBuf;

use ndarray::Array2;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::Value;
use uncertainty::*;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/xdem")
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("expected.json")).unwrap()).unwrap()
}

fn read_tif(name: &str) -> sar_core::Raster<f64> {
    sar_core::geotiff::read_f64(dir().join(name), 0).unwrap()
}

fn vecf(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

struct Inputs {
    n: usize,
    px: f64,
    dh: Array2<f64>,
    slope: Array2<f64>,
    stable: Array2<bool>,
}

fn inputs(e: &Value) -> Inputs {
    let n = e["rows"].as_u64().unwrap() as usize;
    let dh = read_tif("dh.tif");
    let slope = read_tif("slope.tif");
    let stable = read_tif("stable.tif");
    assert_eq!(dh.shape(), (n, n));
    dh.ensure_same_grid(&slope).unwrap();
    dh.ensure_same_grid(&stable).unwrap();
    let (dx, dy) = dh.grid.pixel_size_m(0);
    assert_eq!((dx, dy), (30.0, 30.0));
    assert_eq!(dx, e["pixel_size_m"].as_f64().unwrap());
    Inputs {
        n,
        px: dx,
        dh: dh.data,
        slope: slope.data,
        stable: stable.data.mapv(|v| v != 0.0),
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1e-300)
}

/// The heteroscedasticity as xdem models it: binned NMAD (5° bins),
/// interpolant with min_count = 100, two-step factor with 7·NMAD outliers.
fn xdem_like_sigma(inp: &Inputs, e: &Value) -> (BinnedStatistics, HeteroscedasticityModel, f64) {
    let edges = vecf(&e["bin_edges"]);
    let binned = binned_statistics(
        inp.dh.view(),
        &[inp.slope.view()],
        &[Bins::Edges(edges)],
        Some(inp.stable.view()),
    )
    .unwrap();
    let model = HeteroscedasticityModel::interpolant(&binned, 100).unwrap();
    let sigma = model.sigma_raster(&[inp.slope.view()]).unwrap();
    let z = standardize(inp.dh.view(), sigma.view()).unwrap();
    let f = two_step_factor(z.view(), Some(inp.stable.view()), Some(7.0)).unwrap();
    (binned, model, f)
}

#[test]
fn stable_statistics_and_binned_nmad_match_xdem() {
    let e = expected();
    let inp = inputs(&e);
    let s = stable_statistics(inp.dh.view(), Some(inp.stable.view())).unwrap();
    assert!(close(s.median, e["stable_median"].as_f64().unwrap(), 1e-12));
    assert!(close(s.nmad, e["stable_nmad"].as_f64().unwrap(), 1e-12));
    let (binned, model, factor) = xdem_like_sigma(&inp, &e);
    let counts: Vec<usize> = e["bin_count"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(binned.count, counts);
    for (a, b) in binned.nmad.iter().zip(vecf(&e["bin_nmad"])) {
        assert!(close(*a, b, 1e-12), "{a} vs {b}");
    }
    for (a, b) in binned.median.iter().zip(vecf(&e["bin_median"])) {
        assert!(close(*a, b, 1e-12), "{a} vs {b}");
    }
    for (p, v) in vecf(&e["interp_points"])
        .iter()
        .zip(vecf(&e["interp_values"]))
    {
        assert!(
            close(model.sigma(&[*p]), v, 1e-12),
            "at {p}: {} vs {v}",
            model.sigma(&[*p])
        );
    }
    assert!(
        close(factor, e["two_step_factor"].as_f64().unwrap(), 1e-12),
        "{factor}"
    );
}

#[test]
fn dowd_and_matheron_on_fixed_pairs_match_skgstat() {
    let e = expected();
    let inp = inputs(&e);
    let (_, model, factor) = xdem_like_sigma(&inp, &e);
    let sigma = model
        .scaled(factor)
        .sigma_raster(&[inp.slope.view()])
        .unwrap();
    let mut z = standardize(inp.dh.view(), sigma.view()).unwrap();
    z.zip_mut_with(&inp.stable, |v, &s| {
        if !s {
            *v = f64::NAN
        }
    });
    let b = std::fs::read(dir().join("pairs.bin")).unwrap();
    let idx: Vec<usize> = b
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()) as usize)
        .collect();
    let zf: Vec<f64> = z.iter().copied().collect();
    let n = inp.n;
    let (mut diffs, mut dist) = (Vec::new(), Vec::new());
    for p in idx.chunks_exact(2) {
        let (a, c) = (p[0], p[1]);
        diffs.push(zf[a] - zf[c]);
        let (dr, dc) = (
            (a / n) as f64 - (c / n) as f64,
            (a % n) as f64 - (c % n) as f64,
        );
        dist.push((dr * inp.px).hypot(dc * inp.px));
    }
    let edges = vecf(&e["pairs_upper_edges"]);
    let counts: Vec<usize> = e["pairs_count"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap() as usize)
        .collect();
    for (est, key) in [
        (Estimator::Dowd, "pairs_dowd"),
        (Estimator::Matheron, "pairs_matheron"),
    ] {
        let v = EmpiricalVariogram::from_pairs(&diffs, &dist, &edges, est).unwrap();
        assert_eq!(v.count, counts);
        let want = vecf(&e[key]);
        let mut compared = 0;
        for (k, (g, w)) in v.gamma.iter().zip(&want).enumerate() {
            if w.is_nan() {
                assert!(g.is_nan());
                continue;
            }
            assert!(
                (g - w).abs() <= 1e-9 * w.abs().max(1.0),
                "{key} bin {k}: {g} vs {w}"
            );
            compared += 1;
        }
        assert!(compared >= 10);
    }
}

#[test]
fn independently_sampled_fit_is_within_30_percent_of_xdem() {
    let e = expected();
    let inp = inputs(&e);
    let (_, model, factor) = xdem_like_sigma(&inp, &e);
    let sigma = model
        .scaled(factor)
        .sigma_raster(&[inp.slope.view()])
        .unwrap();
    let z = standardize(inp.dh.view(), sigma.view()).unwrap();
    // xdem: 5 runs of cdist_equidistant sampling, fit weighted by the run spread
    let mut runs = Vec::new();
    for seed in 0..5 {
        let p = VariogramParams::default().pairs_per_bin(3000).seed(seed);
        runs.push(
            sample_empirical_variogram(z.view(), (inp.px, inp.px), Some(inp.stable.view()), &p)
                .unwrap(),
        );
    }
    let emp = EmpiricalVariogram::average(&runs).unwrap();
    // like xdem: fit at the upper bin edges, weighted by the run spread
    // (our default fits at the mean pair distance, which xdem does not record)
    let xdem_like = VariogramFitParams::default()
        .lag(FitLag::UpperEdge)
        .weighting(FitWeighting::StdErr)
        .nugget(false);
    let fit = fit_variogram(&emp, &xdem_like).unwrap();
    let ours_default = fit_variogram(&emp, &VariogramFitParams::default()).unwrap();
    eprintln!(
        "ours (default: mean pair distance, pair-count weights): {:?}",
        ours_default.model.components()
    );
    let c = fit.model.components();
    let x = e["xdem_fit"].as_array().unwrap();
    eprintln!("ours: {c:?}\nxdem: {x:?}");
    for (ours, theirs) in c.iter().zip(x) {
        let (r, s) = (
            theirs["range"].as_f64().unwrap(),
            theirs["psill"].as_f64().unwrap(),
        );
        assert!(
            close(ours.range_m, r, 0.30),
            "range {} vs xdem {r}",
            ours.range_m
        );
        assert!(
            close(ours.partial_sill, s, 0.30),
            "sill {} vs xdem {s}",
            ours.partial_sill
        );
    }
}

#[test]
fn n_eff_matches_xdem() {
    let e = expected();
    let inp = inputs(&e);
    let (_, model, factor) = xdem_like_sigma(&inp, &e);
    let n = inp.n;
    let disk = Array2::from_shape_fn((n, n), |(r, c)| {
        let (dr, dc) = (r as i64 - 64, c as i64 - 64);
        dr * dr + dc * dc <= 625
    });
    let coords = pixel_coordinates(disk.view(), (inp.px, inp.px));
    assert_eq!(coords.len() as u64, e["neff_area_pixels"].as_u64().unwrap());
    let vm = VariogramModel::new(vec![
        VariogramComponent::new(ModelKind::Gaussian, 120.0, 0.7),
        VariogramComponent::new(ModelKind::Spherical, 600.0, 0.3),
    ])
    .unwrap();
    let ones = vec![1.0; coords.len()];
    let exact = neff_exact(&coords, &ones, &vm).unwrap();
    let want = e["neff_exact_unit"].as_f64().unwrap();
    eprintln!("n_eff exact: ours {exact}, xdem {want}");
    assert!(close(exact, want, 1e-9));
    let scaled = model.scaled(factor);
    let sig: Vec<f64> = inp
        .slope
        .iter()
        .zip(disk.iter())
        .filter(|(_, &m)| m)
        .map(|(s, _)| scaled.sigma(&[*s]))
        .collect();
    let mean_sig = sig.iter().sum::<f64>() / sig.len() as f64;
    assert!(close(
        mean_sig,
        e["sigma_on_disk_mean"].as_f64().unwrap(),
        1e-12
    ));
    let exact_sig = neff_exact(&coords, &sig, &vm).unwrap();
    assert!(close(
        exact_sig,
        e["neff_exact_sigma"].as_f64().unwrap(),
        1e-9
    ));
    // random K = 1000: a different random subset than xdem's
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let approx = neff_hugonnet_approx(&coords, &ones, &vm, 1000, &mut rng).unwrap();
    let xdem_approx = e["neff_hugonnet_unit_k1000"].as_f64().unwrap();
    eprintln!("n_eff K=1000: ours {approx}, xdem {xdem_approx}");
    assert!(close(approx, xdem_approx, 0.05));
    assert!(close(approx, exact, 0.01));
}
