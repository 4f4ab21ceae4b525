#![allow(missing_docs)]
use snowmelt::gmm::*;
fn load(n: &str) -> Vec<f64> { std::fs::read(format!("tests/data/{n}")).unwrap().chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect() }
fn main() {
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("tests/data/gmm_sklearn.json").unwrap()).unwrap();
    let arr = |v: &serde_json::Value| [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()];
    for f in ["gmm_samples.bin", "gmm_samples_outliers.bin"] {
        let x = load(f); let e = &j["files"][f];
        for (k, tol, it) in [("tol_1e-3", 1e-3, 100), ("tol_1e-10", 1e-10, 10000)] {
            for (name, init) in [("own", GmmInit::KMeans), ("skinit", GmmInit::Explicit{weights: arr(&e["init"]["weights"]), means: arr(&e["init"]["means"]), variances: arr(&e["init"]["variances"])})] {
                let g = fit_gmm(&x, &GmmParams::new().tol(tol).max_iter(it).sample_range_db(None).init(init)).unwrap();
                let s = &e[k];
                let d = [("w", g.weights, arr(&s["weights"])), ("m", g.means, arr(&s["means"])), ("v", g.variances, arr(&s["variances"]))].iter().map(|(_, a, b)| (a[0]-b[0]).abs().max((a[1]-b[1]).abs())).fold(0.0f64, f64::max);
                println!("{f} {k} {name}: max|diff| {d:.2e} n_iter ours {} sk {}", g.n_iter, s["n_iter"]);
            }
        }
    }
}
