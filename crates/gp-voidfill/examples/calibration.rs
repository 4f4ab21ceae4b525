//! Calibration harness at full size (issue 10): `N` (default 100) seeded
//! realisations of the independent scene generator of
//! `tests/common/calibration.rs` (random raster and pixel size, glacier
//! shape, random-field dh/dt, noise and 2–4 voids per scene), each filled
//! with the default pipeline ([`GpVoidFill::new`]). Prints std(z) and the
//! 95 % coverage of
//! * filled pixels against an independent measurement, with the observation
//!   std (latent + noise), and
//! * void means against the true mean, with the eq. 4.13 standard error
//!   (latent covariance),
//!
//! and exits with an error when either lies outside std(z) ∈ [0.9, 1.1],
//! coverage ∈ [0.93, 0.97].
//!
//! `cargo run --release -p gp-voidfill --example calibration -- [N [SEED0 [STYLE [SCALE]]]]`
//!
//! STYLE: `default`, or a comma-separated list of generator variations not
//! used while developing the defaults — `elong` (elongated voids), `quad`
//! (curved elevation profile), `rough` (exponential-like field), `noisy`
//! (noise 0.3–0.8 m/yr), `quiet` (0.03–0.1 m/yr); SCALE multiplies the
//! raster size range (default 1).
#[path = "../tests/common/calibration.rs"]
mod calibration;

use calibration::{scene_with, score, summary, SizeRange, Style};
use gp_voidfill::GpVoidFill;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 = args.first().map(|a| a.parse()).transpose()?.unwrap_or(100);
    let seed0: u64 = args
        .get(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let mut style = Style::default();
    for v in args.get(2).map_or("default", |s| s.as_str()).split(',') {
        match v {
            "default" => {}
            "elong" => style.elongated_voids = true,
            "quad" => style.quadratic_trend = true,
            "rough" => style.rough_field = true,
            "noisy" => style.noise = (0.3, 0.8),
            "quiet" => style.noise = (0.03, 0.1),
            _ => anyhow::bail!("unknown style {v}"),
        }
    }
    let scale: f64 = args.get(3).map(|a| a.parse()).transpose()?.unwrap_or(1.0);
    let size = SizeRange {
        rows: ((18.0 * scale) as usize, (26.0 * scale) as usize),
        cols: ((26.0 * scale) as usize, (38.0 * scale) as usize),
    };
    let (mut pix, mut means, mut rmse) = (Vec::new(), Vec::new(), Vec::new());
    let t = std::time::Instant::now();
    for seed in seed0..seed0 + n {
        let s = scene_with(seed, size, style);
        let r = score(&GpVoidFill::new().seed(seed), &s)?;
        pix.extend(r.pixel_z);
        means.extend(r.mean_z);
        rmse.push(r.validation_rmse / r.noise.0);
        if (seed - seed0 + 1) % 10 == 0 {
            let (sp, cp, _) = summary(&pix);
            let (sm, cm, _) = summary(&means);
            eprintln!(
                "{} done ({:.0} s): pixels std(z) {sp:.3} cov {cp:.3}; means std(z) {sm:.3} cov {cm:.3}",
                seed - seed0 + 1,
                t.elapsed().as_secs_f64()
            );
        }
    }
    let (sd_p, cov_p, n_p) = summary(&pix);
    let (sd_m, cov_m, n_m) = summary(&means);
    let mean_ratio = rmse.iter().sum::<f64>() / rmse.len() as f64;
    println!(
        "{n} realisations in {:.0} s\nfilled pixels (observation std): n {n_p}, std(z) {sd_p:.3}, 95 % coverage {cov_p:.3}\n\
         void means (eq. 4.13, latent): n {n_m}, std(z) {sd_m:.3}, 95 % coverage {cov_m:.3}\n\
         held-out RMSE / noise std: mean {mean_ratio:.3}",
        t.elapsed().as_secs_f64()
    );
    let ok = |sd: f64, cov: f64| (0.9..=1.1).contains(&sd) && (0.93..=0.97).contains(&cov);
    anyhow::ensure!(ok(sd_p, cov_p), "filled pixels outside the bands");
    anyhow::ensure!(ok(sd_m, cov_m), "void means outside the bands");
    Ok(())
}
