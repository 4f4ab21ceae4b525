//! Fits the void-filling GP (default thesis settings, automatic method) on a
//! JSON dataset `{train_x, train_y, test_x, test_y}` and prints one JSON line
//! with the fit time, the test RMSE and the method. Used by
//! `tools/reference/gp_bench_sklearn.py`.
//!
//! `cargo run --release -p gp-voidfill --example fit_json -- data.json`
use gp_voidfill::{GpVoidFill, SplitStrategy};
use ndarray::{Array1, Array2};

fn mat(v: &serde_json::Value) -> anyhow::Result<Array2<f64>> {
    let rows = v
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("not an array"))?;
    let d = rows
        .first()
        .and_then(|r| r.as_array())
        .map_or(0, |r| r.len());
    let flat: Vec<f64> = rows
        .iter()
        .flat_map(|r| {
            r.as_array()
                .into_iter()
                .flatten()
                .map(|x| x.as_f64().unwrap_or(f64::NAN))
        })
        .collect();
    Ok(Array2::from_shape_vec((rows.len(), d), flat)?)
}

fn vec(v: &serde_json::Value) -> Array1<f64> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: fit_json DATA.json"))?;
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let (xt, yt, xs, ys) = (
        mat(&v["train_x"])?,
        vec(&v["train_y"]),
        mat(&v["test_x"])?,
        vec(&v["test_y"]),
    );
    let t = std::time::Instant::now();
    let model = GpVoidFill::new()
        .split(SplitStrategy::Random)
        .fit(xt.view(), yt.view())?;
    let p = model.predict(xs.view())?;
    let secs = t.elapsed().as_secs_f64();
    let rmse = ((&p.mean - &ys).mapv(|e| e * e).mean().unwrap_or(f64::NAN)).sqrt();
    let r = model.report();
    println!(
        "{{\"seconds\": {secs:.3}, \"test_rmse\": {rmse:.5}, \"method\": \"{:?}\", \"epochs\": {}, \"n_train\": {}, \"n_hyper\": {}}}",
        r.method, r.iterations, r.n_train, r.n_hyper
    );
    Ok(())
}
