//! Diagnostic study of the void-mean calibration (issue 10): variants of the
//! default pipeline on the calibration scenes.
//!
//! `cargo run --release -p gp-voidfill --example void_mean_study -- N SEED0 VARIANT [SCALE]`
//!
//! VARIANT: comma-separated `default`, `hxy` / `xy` (feature subsets, random
//! split), `rbf` / `m32` (single-part kernels), `nohu` (plug-in
//! hyper-parameters, the behaviour before issue 10's fix), `tau1` (prior
//! std 1), `noum` (the sample mean of the targets treated as exact, i.e.
//! no unknown-mean term in the void-mean variance), `val05` (5 % held out), and the generator styles `elong`,
//! `quad`, `rough`, `noisy`, `quiet`. Prints std(z), coverage and mean z
//! of pixels and void means, and the fitted / true noise std.
#[path = "../tests/common/calibration.rs"]
mod calibration;

use calibration::{scene_with, score_columns, summary, SizeRange, Style};
use gp_voidfill::{GpVoidFill, KernelKind, SplitStrategy};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(60);
    let seed0: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let variant = args.get(2).cloned().unwrap_or_else(|| "default".into());
    let scale: f64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1.0);
    let size = calibration::SizeRange {
        rows: ((18.0 * scale) as usize, (26.0 * scale) as usize),
        cols: ((26.0 * scale) as usize, (38.0 * scale) as usize),
    };
    let _: SizeRange = size;
    let mut params = GpVoidFill::new();
    let mut cols: Option<Vec<usize>> = None;
    let mut style = Style::default();
    for v in variant.split(',') {
        match v {
            "default" => {}
            "hxy" => {
                cols = Some(vec![0, 4, 5]);
                params = params.split(SplitStrategy::Random);
            }
            "xy" => {
                cols = Some(vec![4, 5]);
                params = params.split(SplitStrategy::Random);
            }
            "rbf" => params = params.kernel(KernelKind::Rbf),
            "m32" => params = params.kernel(KernelKind::Matern32),
            "nohu" => params = params.hyperparameter_uncertainty(false),
            "tau1" => params = params.hyperprior_std(1.0),
            "noum" => params = params.mean_uncertainty(false),
            "elong" => style.elongated_voids = true,
            "quad" => style.quadratic_trend = true,
            "rough" => style.rough_field = true,
            "noisy" => style.noise = (0.3, 0.8),
            "quiet" => style.noise = (0.03, 0.1),
            "val05" => params = params.validation_fraction(0.05),
            _ => anyhow::bail!("unknown variant {v}"),
        }
    }
    let (mut pix, mut means) = (Vec::new(), Vec::new());
    let mut nratio = Vec::new();
    let t = std::time::Instant::now();
    for seed in seed0..seed0 + n {
        let s = scene_with(seed, size, style);
        let r = score_columns(&params.clone().seed(seed), &s, cols.as_deref())?;
        pix.extend(r.pixel_z);
        means.extend(r.mean_z);
        nratio.push(r.noise.1 / r.noise.0);
    }
    let (sp, cp, np) = summary(&pix);
    let (sm, cm, nm) = summary(&means);
    let bias = means.iter().sum::<f64>() / nm as f64;
    let nr = nratio.iter().sum::<f64>() / nratio.len() as f64;
    println!(
        "{variant} scale {scale}: {n} scenes {:.0} s | pixels n {np} std {sp:.3} cov {cp:.3} | means n {nm} std {sm:.3} cov {cm:.3} bias {bias:.3} | noise fit/true {nr:.3}",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
