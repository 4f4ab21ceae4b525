//! Issue 10 checks 4 and "scalable vs exact": on a large synthetic glacier
//! (seed and size used by no test), the default pipeline on all measured
//! pixels (scalable path above 4 000 training pixels) against the default
//! pipeline restricted to a random 4 000-pixel training subsample on the
//! exact path (`exact_max_train(4000).max_train(4000)`). Both hold out the
//! same pixels (the split does not depend on the training cap), so their
//! held-out RMSEs compare like for like. Prints wall time and process CPU
//! time (user + system, all threads) of each fit, the held-out RMSE and
//! 95 % coverage, and the RMSE against the noise-free truth on the voids.
//!
//! `cargo run --release -p gp-voidfill --example exact_vs_scalable -- [ROWS COLS [REFINE_SUBSAMPLE [SEED]]]`
//! (default 110 220, about 9 000 measured pixels; REFINE_SUBSAMPLE sets the
//! scalable run's [`GpVoidFill::hyper_refine_subsample`], 0 = off, absent =
//! [`GpVoidFill::new`]'s default 4 000; SEED the scene, default 777)
use gp_voidfill::data::Metrics;
use gp_voidfill::GpVoidFill;
use std::time::Instant;

#[path = "common/scene.rs"]
mod common;
use common::{cpu_seconds, scene, Scene};

fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rows = args.first().copied().unwrap_or(110);
    let cols = args.get(1).copied().unwrap_or(220);
    let seed = args.get(3).map_or(777, |&s| s as u64);
    let Scene { xm, ym, xv, tv, .. } = scene(rows, cols, seed)?;
    println!(
        "synthetic glacier {rows}x{cols} seed {seed}, noise 0.3 m/yr: {} measured, {} void pixels",
        xm.nrows(),
        xv.nrows()
    );
    let scalable = match args.get(2) {
        Some(&h) => GpVoidFill::new().hyper_refine_subsample(h),
        None => GpVoidFill::new(),
    };
    let runs = [
        ("scalable, all training pixels (default)", scalable),
        (
            "exact, random 4 000 training pixels",
            GpVoidFill::new().exact_max_train(4_000).max_train(4_000),
        ),
    ];
    for (name, p) in runs {
        let (t, c) = (Instant::now(), cpu_seconds());
        let m = p.fit(xm.view(), ym.view())?;
        let (fit_wall, fit_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        let pv = m.predict(xv.view())?;
        let r = m.report();
        println!(
            "{name}: {:?}\n  n_train {} n_hyper {} n_held_out {}; {} iterations, {} evaluations; \
             fit {fit_wall:.1} s wall, {fit_cpu:.1} s CPU\n  held-out RMSE {:.4} m/yr, z std {:.3}, \
             95 % coverage {:.3}; void RMSE vs truth {:.4} m/yr; noise std {:.3}",
            r.method,
            r.n_train,
            r.n_hyper,
            r.n_validation,
            r.iterations,
            r.evaluations,
            r.validation.rmse,
            r.validation_z_std,
            r.validation_coverage_95,
            Metrics::of(pv.mean.view(), tv.view()).rmse,
            r.hyperparameters.noise_std,
        );
    }
    Ok(())
}
