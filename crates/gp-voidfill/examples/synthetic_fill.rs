//! Fills a synthetic glacier and compares with hypsometric interpolation.
//!
//! `cargo run --release -p gp-voidfill --example synthetic_fill -- ROWS COLS [EXACT_MAX]`
use gp_voidfill::synthetic::{glacier, SyntheticGlacierParams};
use gp_voidfill::{fill_glacier_with_terrain, hypsometric_fill, GpVoidFill};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rows = args.first().copied().unwrap_or(60);
    let cols = args.get(1).copied().unwrap_or(100);
    let exact_max = args.get(2).copied().unwrap_or(2000);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let g = glacier(
        &SyntheticGlacierParams {
            rows,
            cols,
            ..Default::default()
        },
        &mut rng,
    );
    let env = |k: &str, d: f64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let params = GpVoidFill::new()
        .exact_max_train(exact_max)
        .hyper_subsample(env("HYPER", 1000.0) as usize)
        .neighbours(env("NEIGH", 64.0) as usize);
    let t = std::time::Instant::now();
    let f = fill_glacier_with_terrain(
        &params,
        &g.observed,
        &g.dem,
        &g.slope_deg,
        &g.aspect_deg,
        &g.mask,
    )?;
    let secs = t.elapsed().as_secs_f64();
    let hyp = hypsometric_fill(&g.observed, &g.dem, &g.mask, 50.0)?;
    let (mut se_gp, mut se_h, mut cover, mut n) = (0.0, 0.0, 0usize, 0usize);
    for ((v, (fg, s)), (fh, t)) in g
        .voids
        .data
        .iter()
        .zip(f.filled.data.iter().zip(f.latent_std.data.iter()))
        .zip(hyp.data.iter().zip(g.truth.data.iter()))
    {
        if *v != 0 && fg.is_finite() {
            se_gp += (fg - t).powi(2);
            se_h += (fh - t).powi(2);
            if (fg - t).abs() <= 1.96 * s {
                cover += 1;
            }
            if std::env::var("DETAIL").is_ok() {
                println!(
                    "void slope {:.1} err {:.3} std {:.3}",
                    g.slope_deg
                        .data
                        .iter()
                        .zip(g.voids.data.iter())
                        .filter(|(_, v)| **v != 0)
                        .nth(n)
                        .map(|(s, _)| *s)
                        .unwrap_or(f64::NAN),
                    fg - t,
                    s
                );
            }
            n += 1;
        }
    }
    let r = &f.report;
    println!(
        "pixels {} voids {} train {} val {} hyper {} method {:?}",
        r.n_measured, f.n_void, r.n_train, r.n_validation, r.n_hyper, r.method
    );
    println!(
        "time {secs:.2} s iterations {} evaluations {} stopped_early {}",
        r.iterations, r.evaluations, r.stopped_early
    );
    println!(
        "validation rmse {:.4} mae {:.4} r2 {:.4}",
        r.validation.rmse, r.validation.mae, r.validation.r2
    );
    println!(
        "void rmse gp {:.4} hyps {:.4} coverage95 {:.3}",
        (se_gp / n as f64).sqrt(),
        (se_h / n as f64).sqrt(),
        cover as f64 / n as f64
    );
    println!("void mean {:?}", f.void_mean);
    println!("hyper {:?}", r.hyperparameters);
    Ok(())
}
