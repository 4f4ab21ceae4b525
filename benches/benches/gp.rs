//! gp-voidfill hot paths: one training step of the exact GP (kernel matrix +
//! Cholesky + NLML gradient) at n = 1 000, 3 000 and 10 000, the Cholesky
//! alone at n = 1 000 and 3 000 (pure Rust, or LAPACK with
//! `--features gp-openblas`), prediction of 10 000 points with an exact GP
//! (n = 1 000) and with the scalable predictor over 30 000 training points
//! (point by point, and in blocks as the automatic path does), and the
//! default hyper-parameter fit (data-driven start + L-BFGS) at n = 500.
//!
//! One n = 10 000 step takes about 25–35 s on 2 cores (pure Rust; peak
//! memory about 1.7 GB), so a full run of that bench (10 samples) takes a few
//! minutes; `--test` mode runs it once.
//!
//! Run: `cargo bench -p cryosar-benches --bench gp` (add
//! `--features gp-openblas` for the OpenBLAS back-end; filter with e.g.
//! `-- gp_train_step`).

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gp_voidfill::exact::kernel_matrix;
use gp_voidfill::linalg::cholesky_in_place;
use gp_voidfill::nn::spread_subset;
use gp_voidfill::{
    ExactGp, GpVoidFill, JitterPolicy, NearestNeighbourGp, SplitStrategy, SumKernel,
};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Seeded standardised features (6 columns, like the glacier layout) and a
/// smooth noisy target.
fn data(n: usize, seed: u64) -> (Array2<f64>, Array1<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, 6), |_| rng.gen_range(-1.7..1.7));
    let y = Array1::from_shape_fn(n, |i| {
        (1.3_f64 * x[[i, 0]]).sin()
            + 0.5 * (x[[i, 4]] * x[[i, 5]]).cos()
            + 0.1 * rng.gen_range(-1.0..1.0)
    });
    (x, y)
}

fn kernel() -> SumKernel {
    SumKernel::rbf_plus_matern32(
        0.6,
        &[1.0, 1.5, 2.0, 2.0, 0.8, 0.8],
        0.3,
        &[0.5, 1.0, 1.5, 1.5, 0.4, 0.4],
    )
}

fn bench_gp(c: &mut Criterion) {
    let mut g = c.benchmark_group("gp_train_step");
    g.sample_size(10);
    for &n in &[1_000usize, 3_000, 10_000] {
        let (x, y) = data(n, 1);
        g.bench_with_input(
            BenchmarkId::new("kernel_cholesky_gradient", n),
            &n,
            |b, _| {
                b.iter(|| {
                    let gp =
                        ExactGp::fit(kernel(), 0.05, x.view(), y.view(), JitterPolicy::default())
                            .expect("SPD");
                    gp.nlml_gradient()
                })
            },
        );
        if n > 3_000 {
            continue;
        }
        let mut k = kernel_matrix(&kernel(), x.view());
        for i in 0..n {
            k[[i, i]] += 0.05;
        }
        g.bench_with_input(BenchmarkId::new("cholesky", n), &n, |b, _| {
            b.iter(|| {
                let mut l = k.clone();
                cholesky_in_place(&mut l).expect("SPD");
                l
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("gp_predict");
    g.sample_size(10);
    let (x, y) = data(1_000, 2);
    let (xs, _) = data(10_000, 3);
    let gp =
        ExactGp::fit(kernel(), 0.05, x.view(), y.view(), JitterPolicy::default()).expect("SPD");
    g.bench_with_input(
        BenchmarkId::new("exact_n1000_mean_std", 10_000),
        &10_000,
        |b, _| b.iter(|| gp.predict(xs.view())),
    );
    let (x, y) = data(30_000, 4);
    let nn = NearestNeighbourGp::new(kernel(), 0.05, x.view(), y.view(), 64);
    g.bench_with_input(
        BenchmarkId::new("nearest_neighbour_n30000_m64", 10_000),
        &10_000,
        |b, _| b.iter(|| nn.predict(xs.view())),
    );
    // the automatic path's predictor: 256 spread global points, blocks of 64
    // prediction points conditioned on ~512 local training points each
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let global = spread_subset(&kernel(), x.view(), 256, &mut rng);
    let blocked = NearestNeighbourGp::with_global(kernel(), 0.05, x.view(), y.view(), 32, &global)
        .with_blocks(64, 512);
    g.bench_with_input(
        BenchmarkId::new("scalable_blocks_n30000_g256_m512", 10_000),
        &10_000,
        |b, _| b.iter(|| blocked.predict(xs.view())),
    );
    g.finish();

    // the default training: data-driven initial values + L-BFGS, 400
    // training / 100 held-out points
    let mut g = c.benchmark_group("gp_fit");
    g.sample_size(10);
    let (x, y) = data(500, 6);
    g.bench_with_input(BenchmarkId::new("default_lbfgs", 500), &500, |b, _| {
        b.iter(|| {
            GpVoidFill::new()
                .split(SplitStrategy::Random)
                .fit(x.view(), y.view())
                .expect("fit")
        })
    });
    g.finish();
}

criterion_group!(benches, bench_gp);
criterion_main!(benches);
