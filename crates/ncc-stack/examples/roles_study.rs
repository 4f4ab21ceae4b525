//! Shared pair roles (each image transformed once; half the pairs correlated
//! the other way round and point-reflected) against the classical
//! primary-template roles, on seeded synthetic glacier series: RMSE of the
//! east offset against the truth and coverage, per seed and template size.
//!
//! Run: `cargo run --release -p ncc-stack --example roles_study -- [SEEDS]`
//! (default 6 seeds).

use ncc_stack::preprocess::{preprocess, PreprocessParams};
use ncc_stack::synth::{generate, DisplacementField, SceneParams};
use ncc_stack::{
    coverage, filter_mask, form_pairs, track, Date, FilterParams, PairRoles, TemplateStatus,
    TrackParams,
};
use rand::SeedableRng;
use sar_core::{Crs, Grid};

fn main() -> anyhow::Result<()> {
    let seeds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(6);
    let n = 384;
    let truth = DisplacementField::Channel {
        center_row: 192.0,
        half_width_px: 72.0,
        peak_px: 1.5,
    };
    let grid = Grid::north_up(n, n, 640_000.0, 5_150_000.0, 2.0, 2.0, Crs::epsg(32632));
    let dates: Vec<Date> = (0..8)
        .map(|k| Date::from_days_since_epoch(17_176 + 11 * k))
        .collect();
    let pairs = form_pairs(&[dates], 1, 0.5)?;
    println!("| seed | template | RMSE shared (px) | RMSE primary-template (px) | coverage shared | coverage primary-template |");
    println!("|---|---|---|---|---|---|");
    let mut sums = [[0.0; 2]; 2];
    for seed in 0..seeds {
        let scene = SceneParams::new(n, n, 8)
            .coherence(0.35)
            .texture_contrast(0.0)
            .displacement(truth);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(2017 + seed);
        let s = generate(&scene, &mut rng)?;
        let pre: Vec<_> = s
            .intensity
            .iter()
            .map(|i| preprocess(i.view(), &PreprocessParams::new()))
            .collect::<Result<_, _>>()?;
        let views: Vec<_> = pre.iter().map(|a| a.view()).collect();
        for (ti, t) in [48usize, 96].into_iter().enumerate() {
            let mut rmse = [0.0; 2];
            let mut cov = [0.0; 2];
            for (k, roles) in [PairRoles::Shared, PairRoles::PrimaryTemplate]
                .into_iter()
                .enumerate()
            {
                let f = track(
                    &views,
                    &grid,
                    &pairs,
                    &TrackParams::new().template_px(t).roles(roles),
                    None,
                )?;
                let region = ndarray::Array2::from_shape_fn(f.grid.shape(), |(i, j)| {
                    let (r, c) = f.template_centre_px(i, j);
                    truth.is_glacier(r, c) && f.status[[i, j]] == TemplateStatus::Valid
                });
                let mask = filter_mask(&f, &FilterParams::new());
                cov[k] = coverage(mask.view(), region.view())?;
                let mut se = Vec::new();
                for ((i, j), &ok) in mask.indexed_iter() {
                    if ok && region[[i, j]] {
                        let (r, c) = f.template_centre_px(i, j);
                        se.push((f.offset_x_px.data[[i, j]] - truth.at(r, c).0).powi(2));
                    }
                }
                rmse[k] = (se.iter().sum::<f64>() / se.len().max(1) as f64).sqrt();
                sums[ti][k] += rmse[k] / seeds as f64;
            }
            println!(
                "| {seed} | {t} | {:.4} | {:.4} | {:.3} | {:.3} |",
                rmse[0], rmse[1], cov[0], cov[1]
            );
        }
    }
    for (ti, t) in [48, 96].iter().enumerate() {
        println!(
            "mean over seeds, {t} px: RMSE shared {:.4} px, primary-template {:.4} px",
            sums[ti][0], sums[ti][1]
        );
    }
    Ok(())
}
