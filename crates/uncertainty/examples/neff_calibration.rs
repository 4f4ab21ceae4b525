//! Calibration harness at full size: z-scores of glacier-mean dh errors over
//! many seeded synthetic scenes (see `uncertainty::calibration`), for the
//! default pipeline and for xdem's fit conventions (upper bin edges,
//! unweighted, no nugget).
//!
//! Run: `cargo run --release -p uncertainty --example neff_calibration -- [realisations [min_px max_px]]`
//! (default 300 realisations of 160–320 px a side, 3 glaciers each).

use uncertainty::*;

fn print(name: &str, r: &CalibrationReport) {
    let s = r.summary().expect("scores");
    println!(
        "{name:<34} n={:<4} mean(z)={:+.3} std(z)={:.3} cover95={:.3}  failures={}",
        s.n,
        s.mean,
        s.std,
        s.coverage95,
        r.failures.len()
    );
    // by glacier size: small / medium / large thirds
    let mut by: Vec<&GlacierScore> = r.scores.iter().collect();
    by.sort_by_key(|g| g.pixels);
    for (k, chunk) in by.chunks(by.len().div_ceil(3)).enumerate() {
        let z: Vec<f64> = chunk.iter().map(|g| g.z()).collect();
        let s = ZSummary::of(&z).expect("scores");
        let ratio: f64 = chunk
            .iter()
            .map(|g| (g.n_eff / g.n_eff_true).ln())
            .sum::<f64>()
            / chunk.len() as f64;
        println!(
            "    size tercile {k} ({:>6}–{:>6} px): std(z)={:.3} cover95={:.3} geo-mean n_eff/true={:.3}",
            chunk[0].pixels,
            chunk[chunk.len() - 1].pixels,
            s.std,
            s.coverage95,
            ratio.exp()
        );
    }
    for (i, e) in r.failures.iter().take(5) {
        println!("    failure in realisation {i}: {e}");
    }
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(300);
    let lo: usize = std::env::args()
        .nth(2)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(160);
    let hi: usize = std::env::args()
        .nth(3)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(320);
    let t0 = std::time::Instant::now();
    let base = CalibrationParams::default()
        .realisations(n)
        .size_px(lo, hi)
        .seed(1000);
    let default = run_calibration(&base)?;
    let oracle = default.summary_true().expect("scores");
    println!(
        "{:<34} n={:<4} mean(z)={:+.3} std(z)={:.3} cover95={:.3}",
        "oracle (true σ and correlation)", oracle.n, oracle.mean, oracle.std, oracle.coverage95
    );
    print("default pipeline", &default);
    let xdem_like = ErrorModelParams {
        fit: VariogramFitParams::default()
            .lag(FitLag::UpperEdge)
            .weighting(FitWeighting::Uniform)
            .nugget(false),
        ..Default::default()
    };
    let x = run_calibration(&base.clone().pipeline(xdem_like))?;
    print("xdem conventions (upper, unweighted)", &x);
    let binned = ErrorModelParams {
        standardize: StandardizeParams::default().dispersion(Dispersion::Binned),
        ..Default::default()
    };
    let b = run_calibration(&base.clone().pipeline(binned))?;
    print("default fit, xdem binned dispersion", &b);
    println!(
        "{n} realisations × 3 configurations in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
