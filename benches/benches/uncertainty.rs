//! Benches of the uncertainty hot paths: empirical variogram of a
//! 2000 × 2000 raster, the sum-model fit, n_eff of a ~6000-pixel disk
//! (exact double sum and K = 1000 approximation), and the default pipeline
//! (two-step standardisation, variogram, fit) on a 500 × 500 dh map.

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array2;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use uncertainty::*;

const PX: f64 = 30.0;

fn raster(n: usize) -> Array2<f64> {
    // a 500 × 500 correlated field tiled to n × n (outside the timed loop)
    let model = VariogramModel::thesis_karakoram();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let tile = FieldGenerator::new(500, 500, (PX, PX), &model)
        .expect("valid generator")
        .sample(&mut rng);
    Array2::from_shape_fn((n, n), |(r, c)| tile[[r % 500, c % 500]])
}

fn bench(c: &mut Criterion) {
    let n = 2000;
    let z = raster(n);
    let params = VariogramParams::default();
    let mut g = c.benchmark_group("uncertainty");
    g.sample_size(10);
    g.bench_with_input(
        BenchmarkId::new("variogram_10k_pairs_per_bin", format!("{n}x{n}")),
        &z,
        |b, z| {
            b.iter(|| {
                sample_empirical_variogram(z.view(), (PX, PX), None, &params).expect("variogram")
            })
        },
    );
    let emp = sample_empirical_variogram(z.view(), (PX, PX), None, &params).expect("variogram");
    g.bench_with_input(
        BenchmarkId::new("fit_gaussian_spherical", format!("{} bins", emp.len())),
        &emp,
        |b, e| b.iter(|| fit_variogram(e, &VariogramFitParams::default()).expect("fit")),
    );
    let model = fit_variogram(&emp, &VariogramFitParams::default())
        .expect("fit")
        .model;
    let disk = Array2::from_shape_fn((100, 100), |(r, c)| {
        let (dr, dc) = (r as i64 - 50, c as i64 - 50);
        dr * dr + dc * dc <= 44 * 44
    });
    let coords = pixel_coordinates(disk.view(), (PX, PX));
    let ones = vec![1.0; coords.len()];
    g.bench_with_input(
        BenchmarkId::new("neff_exact", format!("{} px", coords.len())),
        &coords,
        |b, co| b.iter(|| neff_exact(co, &ones, &model).expect("neff")),
    );
    g.bench_with_input(
        BenchmarkId::new("neff_k1000", format!("{} px", coords.len())),
        &coords,
        |b, co| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            b.iter(|| neff_hugonnet_approx(co, &ones, &model, 1000, &mut rng).expect("neff"))
        },
    );
    let sigma_grid = disk.mapv(|m| if m { 1.0 } else { f64::NAN });
    g.bench_with_input(
        BenchmarkId::new("neff_exact_fft_grid", format!("{} px", coords.len())),
        &sigma_grid,
        |b, s| b.iter(|| propagate_mean_error_grid(s.view(), (PX, PX), &model).expect("neff")),
    );
    let big = Array2::from_shape_fn((1200, 1200), |(r, c)| {
        let (dr, dc) = (r as i64 - 600, c as i64 - 600);
        if dr * dr + dc * dc <= 560 * 560 {
            1.0
        } else {
            f64::NAN
        }
    });
    g.bench_with_input(
        BenchmarkId::new("neff_exact_fft_grid", "985k px disk"),
        &big,
        |b, s| b.iter(|| propagate_mean_error_grid(s.view(), (PX, PX), &model).expect("neff")),
    );
    g.bench_function(
        BenchmarkId::new("pipeline_variogram_fit_neff", format!("{n}x{n}")),
        |b| {
            b.iter(|| {
                let e = sample_empirical_variogram(z.view(), (PX, PX), None, &params)
                    .expect("variogram");
                let m = fit_variogram(&e, &VariogramFitParams::default())
                    .expect("fit")
                    .model;
                neff_exact(&coords, &ones, &m).expect("neff")
            })
        },
    );
    // the default pipeline from dh + slope + stable mask
    let m = 500;
    let slope = Array2::from_shape_fn((m, m), |(r, c)| ((r * 7 + c * 13) % 60) as f64);
    let dh = Array2::from_shape_fn((m, m), |(r, c)| {
        z[[r, c]] * (0.03 * (0.05 * slope[[r, c]]).exp() + 0.1)
    });
    let stable = Array2::from_shape_fn((m, m), |(r, c)| !(100..250).contains(&r) || c > 300);
    g.bench_function(
        BenchmarkId::new("infer_error_model_default", format!("{m}x{m}")),
        |b| {
            b.iter(|| {
                infer_error_model(
                    dh.view(),
                    &[slope.view()],
                    stable.view(),
                    (PX, PX),
                    &ErrorModelParams::default(),
                )
                .expect("pipeline")
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
