//! The default training against scikit-learn (issue 10): on the same 600
//! training and 300 validation points, the crate's default pipeline must
//! reach a validation RMSE no worse than scikit-learn's
//! `GaussianProcessRegressor` with the same kernel
//! (C·RBF(ARD) + C·Matérn 3/2(ARD) + White, L-BFGS-B).
//!
//! The same at the upper size, 3 000 training / 1 000 validation
//! points (`default_validation_rmse_no_worse_than_sklearn_at_3000`).
//!
//! Every expected value comes from `tests/data/gp_sklearn_validation.json`
//! and `tests/data/gp_sklearn_validation_3000.json`, written by
//! `tools/reference/gp_sklearn_validation.py` (without and with the
//! arguments `3000 1000`).

use gp_voidfill::{GpVoidFill, Method, SplitStrategy};
use ndarray::{Array1, Array2};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture present"))
        .expect("valid JSON")
}

fn mat(v: &Value) -> Array2<f64> {
    let rows = v.as_array().expect("array");
    let d = rows[0].as_array().expect("row").len();
    Array2::from_shape_fn((rows.len(), d), |(i, j)| {
        rows[i][j].as_f64().expect("number")
    })
}

fn vec(v: &Value) -> Array1<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn default_validation_rmse_no_worse_than_sklearn() {
    let f = load("gp_sklearn_validation.json");
    let (xt, yt) = (mat(&f["train_x"]), vec(&f["train_y"]));
    let (xv, yv) = (mat(&f["val_x"]), vec(&f["val_y"]));
    let model = GpVoidFill::new()
        .split(SplitStrategy::Random)
        .fit_with_validation(xt.view(), yt.view(), xv.view(), yv.view())
        .expect("fit");
    let r = model.report();
    assert_eq!(r.method, Method::Exact);
    assert_eq!((r.n_train, r.n_validation, r.n_stopping), (600, 300, 0));
    let sk = f["sklearn_default"]["validation_rmse"].as_f64().unwrap();
    let ours = r.validation.rmse;
    eprintln!(
        "validation RMSE: ours {ours:.5} ({} iterations, {} evaluations), sklearn {sk:.5}; ours z std {:.3} coverage {:.3}, sklearn coverage {:.3}",
        r.iterations,
        r.evaluations,
        r.validation_z_std,
        r.validation_coverage_95,
        f["sklearn_default"]["validation_coverage_95"]
            .as_f64()
            .unwrap()
    );
    // no worse than scikit-learn (0.05 % for two L-BFGS implementations
    // that stop at slightly different points; measured 0.32153 vs 0.32159)
    assert!(ours <= sk * 1.0005, "ours {ours} vs sklearn {sk}");
    // the noise level is 0.3 m/yr: a trained model is close to it
    assert!(ours < 0.33, "{ours}");
    // observation-std intervals cover held-out measurements
    assert!(
        (0.92..=0.98).contains(&r.validation_coverage_95),
        "{}",
        r.validation_coverage_95
    );
    // the likelihood improved on the data-driven start
    assert!(r.nlml < r.nlml_initial, "{} vs {}", r.nlml, r.nlml_initial);
}

/// The upper size (n ≤ 3 000): 3 000 training / 1 000 validation
/// points of the same generator, from `tools/reference/gp_sklearn_validation.py
/// 3000 1000` (scikit-learn fits an exact GP on all 3 000 points). The
/// crate's default pipeline fits the same exact GP (≤ `exact_max_train` =
/// 4 000 points) with the same kernel and objective, so the two must agree
/// up to where two L-BFGS implementations stop: asserted within 0.05 %.
/// About 20 s in the test profile (scikit-learn took 2 154 s
/// single-threaded).
///
/// Measured: ours 0.29748 m/yr, scikit-learn 1.9.1 0.29746 (+0.007 %);
/// coverage 0.961 vs 0.959. With the earlier `exact_max_train` of 2 000
/// (scalable path, hyper-parameters refined on all 3 000 points) ours was
/// 0.29777, without that refinement 0.29847.
#[test]
fn default_validation_rmse_no_worse_than_sklearn_at_3000() {
    let f = load("gp_sklearn_validation_3000.json");
    let (xt, yt) = (mat(&f["train_x"]), vec(&f["train_y"]));
    let (xv, yv) = (mat(&f["val_x"]), vec(&f["val_y"]));
    let t = std::time::Instant::now();
    let model = GpVoidFill::new()
        .split(SplitStrategy::Random)
        .fit_with_validation(xt.view(), yt.view(), xv.view(), yv.view())
        .expect("fit");
    let r = model.report();
    assert_eq!(r.method, Method::Exact);
    assert_eq!((r.n_train, r.n_validation, r.n_stopping), (3000, 1000, 0));
    let sk = &f["sklearn_default"];
    let sk_rmse = sk["validation_rmse"].as_f64().unwrap();
    let ours = r.validation.rmse;
    eprintln!(
        "n = 3 000: validation RMSE ours {ours:.5} ({} iterations, {} evaluations, {:.1} s), \
         sklearn {sk_rmse:.5} ({:.0} s, kernel {}); ours z std {:.3} coverage {:.3}, sklearn coverage {:.3}",
        r.iterations,
        r.evaluations,
        t.elapsed().as_secs_f64(),
        sk["seconds"].as_f64().unwrap_or(f64::NAN),
        sk["kernel"],
        r.validation_z_std,
        r.validation_coverage_95,
        sk["validation_coverage_95"].as_f64().unwrap_or(f64::NAN)
    );
    // the same exact GP: equal up to the optimisers' stopping points
    assert!(ours <= sk_rmse * 1.0005, "ours {ours} vs sklearn {sk_rmse}");
    assert!(ours < 0.32, "{ours}");
    assert!(
        (0.93..=0.97).contains(&r.validation_coverage_95),
        "{}",
        r.validation_coverage_95
    );
}
