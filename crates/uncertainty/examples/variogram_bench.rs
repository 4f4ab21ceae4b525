//! Time the variogram + fit + n_eff pipeline on a raw raster, for
//! `tools/reference/variogram_bench_xdem.py` (which runs xdem on the same
//! raster with the same number of sampled pairs and prints the ratio).
//!
//! `variogram_bench <z.bin (f64 LE, row-major)> <rows> <cols> <pixel_m> <total_pairs> <n_bins_xdem> <disk_radius_px>`
//!
//! Prints one JSON line with the timings in seconds.
use std::time::Instant;

use ndarray::Array2;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use uncertainty::*;

fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    anyhow::ensure!(
        a.len() == 8,
        "usage: variogram_bench z.bin rows cols pixel_m total_pairs n_bins radius_px"
    );
    let (rows, cols): (usize, usize) = (a[2].parse()?, a[3].parse()?);
    let px: f64 = a[4].parse()?;
    let total_pairs: usize = a[5].parse()?;
    let n_bins: usize = a[6].parse()?;
    let radius: i64 = a[7].parse()?;
    let bytes = std::fs::read(&a[1])?;
    let v: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let z = Array2::from_shape_vec((rows, cols), v)?;

    let t = Instant::now();
    let params = VariogramParams::default().pairs_per_bin(total_pairs.div_ceil(n_bins.max(1)));
    let emp = sample_empirical_variogram(z.view(), (px, px), None, &params)?;
    let t_var = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let fit = fit_variogram(&emp, &VariogramFitParams::default())?;
    let t_fit = t.elapsed().as_secs_f64();

    let (cr, cc) = (rows as i64 / 2, cols as i64 / 2);
    let disk = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let (dr, dc) = (r as i64 - cr, c as i64 - cc);
        dr * dr + dc * dc <= radius * radius
    });
    let coords = pixel_coordinates(disk.view(), (px, px));
    let ones = vec![1.0; coords.len()];
    let t = Instant::now();
    let neff = neff_exact(&coords, &ones, &fit.model)?;
    let t_neff = t.elapsed().as_secs_f64();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let t = Instant::now();
    let neff_k = neff_hugonnet_approx(&coords, &ones, &fit.model, 1000, &mut rng)?;
    let t_neff_k = t.elapsed().as_secs_f64();
    let sigma_grid = disk.mapv(|m| if m { 1.0 } else { f64::NAN });
    let t = Instant::now();
    let neff_grid = propagate_mean_error_grid(sigma_grid.view(), (px, px), &fit.model)?.n_eff;
    let t_neff_grid = t.elapsed().as_secs_f64();
    let c = fit.model.components();
    println!(
        "{{\"variogram_s\": {t_var}, \"fit_s\": {t_fit}, \"neff_exact_s\": {t_neff}, \"neff_k1000_s\": {t_neff_k}, \"neff_grid_s\": {t_neff_grid}, \"neff_grid\": {neff_grid}, \
         \"pairs\": {}, \"bins\": {}, \"area_pixels\": {}, \"neff_exact\": {neff}, \"neff_k1000\": {neff_k}, \
         \"ranges\": [{}, {}], \"psills\": [{}, {}]}}",
        emp.total_pairs(),
        emp.len(),
        coords.len(),
        c[0].range_m,
        c[1].range_m,
        c[0].partial_sill,
        c[1].partial_sill
    );
    Ok(())
}
