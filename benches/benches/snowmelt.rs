//! Wet-snow hot paths: the two-component GMM fit on 10⁶ samples and the
//! R_c → WSI → TSI → SI chain on a 2000 × 2000 synthetic basin.
//!
//! Run: `cargo bench -p cryosar-benches --bench snowmelt`.
//! The 10 000 × 10 000 throughput is measured by
//! `cargo run --release -p snowmelt --example throughput`.

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use snowmelt::classify::{classify_si, SiParams};
use snowmelt::gmm::{fit_gmm, GmmParams};
use snowmelt::ratio::{composite_ratio, geometry_mask_from_lia, Masks, RatioParams};
use snowmelt::synthetic::{Basin, BasinParams};
use snowmelt::tsi::{TopoBinParams, TopoBins};
use snowmelt::wsi::{Wsi, WsiParams};

/// 35 % N(−5.5, 1.8²) + 65 % N(−0.3, 1.2²) dB, Box–Muller, seeded.
fn mixture(n: usize) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    (0..n)
        .map(|_| {
            let (u1, u2): (f64, f64) = (rng.gen_range(f64::EPSILON..1.0), rng.gen());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            if rng.gen::<f64>() < 0.35 {
                -5.5 + 1.8 * z
            } else {
                -0.3 + 1.2 * z
            }
        })
        .collect()
}

fn bench_gmm(c: &mut Criterion) {
    let n = 1_000_000;
    let xs = mixture(n);
    let mut group = c.benchmark_group("snowmelt_gmm");
    group.sample_size(10);
    group.bench_with_input(BenchmarkId::new("fit_tol1e-3", n), &xs, |b, xs| {
        b.iter(|| fit_gmm(xs, &GmmParams::new()).expect("two populations"))
    });
    group.finish();
}

fn bench_chain(c: &mut Criterion) {
    let n = 2000;
    let basin = Basin::generate(&BasinParams::new().size(n, n), 3).expect("valid params");
    let masks = Masks {
        geometry: Some(geometry_mask_from_lia(&basin.lia)),
        ..Masks::default()
    };
    let gmm = fit_gmm(&mixture(100_000), &GmmParams::new()).expect("fit");
    let wsi = Wsi::from_gmm(&gmm, &WsiParams::new()).expect("separated");
    let bins = TopoBins::new(
        &TopoBinParams::new(),
        &basin.dem,
        &basin.slope,
        &basin.aspect,
    )
    .expect("bins");
    let size = format!("{n}x{n}");
    let mut group = c.benchmark_group("snowmelt_chain");
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("topo_bins", &size), |b| {
        b.iter(|| {
            TopoBins::new(
                &TopoBinParams::new(),
                &basin.dem,
                &basin.slope,
                &basin.aspect,
            )
            .expect("bins")
        })
    });
    group.bench_function(BenchmarkId::new("rc_wsi_tsi_si", &size), |b| {
        b.iter(|| {
            let rc = composite_ratio(
                &RatioParams::new(),
                &basin.summer.backscatter,
                &basin.reference,
                &basin.lia,
                &masks,
            )
            .expect("same grid");
            classify_si(&rc, &wsi, &bins, &SiParams::new()).expect("same grid")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_gmm, bench_chain);
criterion_main!(benches);
