//! Which optimiser should be the default? L-BFGS (argmin) against Adam with
//! likelihood stopping and against the thesis's Adam schedule
//! ([`GpVoidFill::thesis_adam`]: lr 0.01, ≤ 1 000 epochs, lowest RMSE on a
//! stopping set with a 100-epoch warm-up), all from the same data-driven
//! initial values, on independent synthetic fields: the calibration
//! harness's scene generator (random size, pixel size, glacier shape,
//! random-field dh/dt, noise; seeds 9001.. never used by a test) and the
//! crate's synthetic glacier at a size and seed no test uses.
//!
//! For each fit: wall time, optimiser iterations / likelihood evaluations,
//! NLML per training sample, held-out RMSE and the held-out calibration
//! (std of z with the observation std, 95 % coverage).
//!
//! `cargo run --release -p gp-voidfill --example optimizer_study -- [N_SCENES]`
#[path = "../tests/common/calibration.rs"]
mod calibration;

use gp_voidfill::data::glacier_features;
use gp_voidfill::synthetic::{glacier, SyntheticGlacierParams};
use gp_voidfill::{GpVoidFill, Optimizer, StoppingRule};
use ndarray::{Array1, Array2, Axis};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::terrain::{slope_aspect, GradientMethod};
use std::time::Instant;

fn measured(
    dem: &sar_core::Raster<f64>,
    mask: &sar_core::Raster<u8>,
    obs: &sar_core::Raster<f64>,
) -> anyhow::Result<(Array2<f64>, Array1<f64>)> {
    let sa = slope_aspect(dem, GradientMethod::Horn)?;
    let gf = glacier_features(dem, &sa.slope, &sa.aspect, mask)?;
    let idx: Vec<usize> = (0..gf.pixels.len())
        .filter(|&i| obs.data[gf.pixels[i]].is_finite())
        .collect();
    let y = idx.iter().map(|&i| obs.data[gf.pixels[i]]).collect();
    Ok((gf.features.select(Axis(0), &idx), y))
}

fn main() -> anyhow::Result<()> {
    let n_scenes: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2);
    let mut scenes: Vec<(String, Array2<f64>, Array1<f64>)> = Vec::new();
    for k in 0..n_scenes {
        let s = calibration::scene(
            9001 + k,
            calibration::SizeRange {
                rows: (18, 26),
                cols: (26, 38),
            },
        );
        let (x, y) = measured(&s.dem, &s.mask, &s.observed)?;
        scenes.push((
            format!("random field #{} (noise {:.2})", 9001 + k, s.noise_std),
            x,
            y,
        ));
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let g = glacier(
        &SyntheticGlacierParams {
            rows: 24,
            cols: 40,
            noise_std: 0.3,
            ..Default::default()
        },
        &mut rng,
    );
    let (x, y) = measured(&g.dem, &g.mask, &g.observed)?;
    scenes.push(("synthetic glacier 24x40 seed 2024".into(), x, y));
    let configs: Vec<(&str, GpVoidFill)> = vec![
        ("L-BFGS (default)", GpVoidFill::new()),
        (
            "Adam lr 0.01, likelihood stop",
            GpVoidFill::new()
                .optimizer(Optimizer::Adam)
                .stopping(StoppingRule::Likelihood),
        ),
        ("Adam thesis (stopping-set RMSE)", GpVoidFill::thesis_adam()),
    ];
    println!(
        "{:<36} {:<33} {:>7} {:>6} {:>6} {:>9} {:>9} {:>7} {:>6}",
        "scene", "optimiser", "n_train", "time", "iters", "NLML/n", "val RMSE", "z std", "cov95"
    );
    for (name, x, y) in &scenes {
        for (cname, p) in &configs {
            let t = Instant::now();
            let m = p.fit(x.view(), y.view())?;
            let secs = t.elapsed().as_secs_f64();
            let r = m.report();
            println!(
                "{:<36} {:<33} {:>7} {:>6.1} {:>6} {:>9.4} {:>9.4} {:>7.3} {:>6.3}",
                name,
                cname,
                r.n_train,
                secs,
                r.iterations,
                r.nlml / r.n_hyper as f64,
                r.validation.rmse,
                r.validation_z_std,
                r.validation_coverage_95
            );
        }
    }
    Ok(())
}
