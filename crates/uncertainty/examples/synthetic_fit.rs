//! Recover a known sum-of-models variogram from synthetic correlated fields.
//!
//! `cargo run --release -p uncertainty --example synthetic_fit -- [size] [seeds]`
use std::time::Instant;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use uncertainty::*;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(1024);
    let seeds: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(3);
    let px = 30.0;
    let truth = VariogramModel::new(vec![
        VariogramComponent::new(ModelKind::Gaussian, 6.0 * px, 0.75),
        VariogramComponent::new(ModelKind::Spherical, 40.0 * px, 0.25),
    ])?;
    let t = Instant::now();
    let gen = FieldGenerator::new(n, n, (px, px), &truth)?;
    println!(
        "generator {n}x{n}: {:.2?}, negative eigen fraction {:.2e}",
        t.elapsed(),
        gen.negative_eigen_fraction()
    );
    for w in [
        FitWeighting::PairCount,
        FitWeighting::Relative,
        FitWeighting::Uniform,
    ] {
        for seed in 0..seeds {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let t = Instant::now();
            let z = gen.sample(&mut rng);
            let tg = t.elapsed();
            let t = Instant::now();
            let emp = sample_empirical_variogram(
                z.view(),
                (px, px),
                None,
                &VariogramParams::default().seed(seed),
            )?;
            let tv = t.elapsed();
            let t = Instant::now();
            let fit = fit_variogram(&emp, &VariogramFitParams::default().weighting(w))?;
            let tf = t.elapsed();
            let c = fit.model.components();
            println!(
                "{w:?} seed {seed}: G r={:.0} c={:.3} | S r={:.0} c={:.3} | conv {} | field {tg:.2?} vario {tv:.2?} fit {tf:.2?}",
                c[0].range_m, c[0].partial_sill, c[1].range_m, c[1].partial_sill, fit.converged
            );
        }
    }
    // a 10⁷-pixel raster: 3200 × 3200 tiled from one field
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let z = gen.sample(&mut rng);
    let big = ndarray::Array2::from_shape_fn((3200, 3200), |(r, c)| z[[r % n, c % n]]);
    let t = Instant::now();
    let emp = sample_empirical_variogram(big.view(), (px, px), None, &VariogramParams::default())?;
    println!(
        "3200x3200 (1.02e7 px): variogram with {} pairs in {} bins: {:.2?}",
        emp.total_pairs(),
        emp.len(),
        t.elapsed()
    );
    Ok(())
}
