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
//! `cargo run --release -p gp-voidfill --example calibration -- [N [SEED0]]`
#[path = "../tests/common/calibration.rs"]
mod calibration;

use calibration::{scene, score, summary, SizeRange};
use gp_voidfill::GpVoidFill;

fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(100);
    let seed0 = args.get(1).copied().unwrap_or(100_000);
    let size = SizeRange {
        rows: (18, 26),
        cols: (26, 38),
    };
    let (mut pix, mut means, mut rmse) = (Vec::new(), Vec::new(), Vec::new());
    let t = std::time::Instant::now();
    for seed in seed0..seed0 + n {
        let s = scene(seed, size);
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
