//! Time our GMM fit on a file of little-endian f64 samples (as written by
//! `tools/reference/gmm_bench_sklearn.py`), with the thesis settings
//! (tol 1e-3, ≤ 100 iterations). Prints one line of JSON.
//!
//! `cargo run --release -p snowmelt --example gmm_timing -- samples.bin [repeats]`

use snowmelt::gmm::{fit_gmm, GmmParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: gmm_timing SAMPLES.bin [repeats]")?;
    let repeats: usize = std::env::args().nth(2).map_or(Ok(5), |s| s.parse())?;
    let bytes = std::fs::read(&path)?;
    let xs: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect();
    // No range filter, like scikit-learn.
    let params = GmmParams::new()
        .n_samples(xs.len().max(1000))
        .sample_range_db(None);
    let mut times = Vec::with_capacity(repeats);
    let mut fit = None;
    for _ in 0..repeats.max(1) {
        let t = std::time::Instant::now();
        fit = Some(fit_gmm(&xs, &params)?);
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let g = fit.ok_or("no fit")?;
    println!(
        "{{\"n\": {}, \"best_s\": {:.6}, \"median_s\": {:.6}, \"n_iter\": {}, \"threads\": {}, \"weights\": {:?}, \"means\": {:?}, \"variances\": {:?}}}",
        xs.len(),
        times[0],
        times[times.len() / 2],
        g.n_iter,
        rayon_threads(),
        g.weights,
        g.means,
        g.variances
    );
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
