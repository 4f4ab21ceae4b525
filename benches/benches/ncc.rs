//! ncc-stack hot paths: the exact FFT ZNCC surface of one template (48 and
//! 96 px, ±16 px search); a full NCC stack (1024² images, K = 7 pairs,
//! 48 px templates, 16 px step, ±16 px search; parabolic sub-pixel peak so
//! that the correlation dominates), serial, next to one pair on the same grid
//! and the stack with the classical primary-template roles; and the eq. 2.5
//! Gaussian peak fit.
//!
//! Run: `cargo bench -p cryosar-benches --bench ncc`. The comparison with
//! OpenCV is `crates/ncc-stack/examples/bench_grid.rs` +
//! `tools/reference/ncc_bench_opencv.py`.

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ncc_stack::preprocess::{preprocess, PreprocessParams};
use ncc_stack::synth::{generate, SceneParams};
use ncc_stack::{
    estimate_peak, form_pairs, track, Date, NccContext, PairRoles, PairSet, PeakParams,
    SearchRadius, SubpixelMethod, TrackParams,
};
use ndarray::{s, Array2};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::{Crs, Grid};

fn scene(n: usize, images: usize) -> Vec<Array2<f64>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1024);
    let s = generate(&SceneParams::new(n, n, images).coherence(0.5), &mut rng).expect("scene");
    s.intensity
        .iter()
        .map(|i| preprocess(i.view(), &PreprocessParams::new()).expect("preprocess"))
        .collect()
}

fn zncc_one_template(c: &mut Criterion) {
    let imgs = scene(256, 2);
    let mut g = c.benchmark_group("zncc_template");
    for t in [48usize, 96] {
        let r = 16;
        let ctx = NccContext::new(t, r).expect("context");
        let mut scratch = ctx.make_scratch();
        let c0 = 64;
        let tpl = imgs[0].slice(s![c0..c0 + t, c0..c0 + t]).to_owned();
        let win = imgs[1]
            .slice(s![c0 - r..c0 + t + r, c0 - r..c0 + t + r])
            .to_owned();
        g.bench_with_input(BenchmarkId::new("t_px_search16", t), &t, |b, _| {
            b.iter(|| {
                ctx.zncc(tpl.view(), win.view(), &mut scratch)
                    .expect("zncc")
            })
        });
    }
    g.finish();
}

fn full_stack(c: &mut Criterion) {
    let n = 1024;
    let imgs = scene(n, 8);
    let views: Vec<_> = imgs.iter().map(|a| a.view()).collect();
    let grid = Grid::north_up(n, n, 600_000.0, 5_100_000.0, 2.0, 2.0, Crs::epsg(32632));
    let dates: Vec<Date> = (0..8)
        .map(|k| Date::from_days_since_epoch(17_176 + 11 * k))
        .collect();
    let pairs = form_pairs(&[dates], 1, 0.5).expect("pairs");
    let params = TrackParams::new()
        .template_px(48)
        .step_px(16)
        .search(SearchRadius::Pixels(16))
        .peak(PeakParams::new().method(SubpixelMethod::Parabolic))
        .parallel(false);
    let single = PairSet {
        pairs: vec![pairs.pairs[0]],
        interval_days: pairs.interval_days,
    };
    let mut g = c.benchmark_group("ncc_stack");
    g.sample_size(10);
    // the stack against one pair on the same grid: the ratio is what the
    // K = 7 stack costs in single pairs
    g.bench_with_input(BenchmarkId::new("1024px_k1_t48_step16", n), &n, |b, _| {
        b.iter(|| track(&views, &grid, &single, &params, None).expect("track"))
    });
    g.bench_with_input(BenchmarkId::new("1024px_k7_t48_step16", n), &n, |b, _| {
        b.iter(|| track(&views, &grid, &pairs, &params, None).expect("track"))
    });
    let classical = params.clone().roles(PairRoles::PrimaryTemplate);
    g.bench_with_input(
        BenchmarkId::new("1024px_k7_t48_step16_primary_template", n),
        &n,
        |b, _| b.iter(|| track(&views, &grid, &pairs, &classical, None).expect("track")),
    );
    g.finish();
}

/// The eq. 2.5 Gaussian fit (the 3×3 window up-sampled ×10, and the
/// 11×11 window printed in sect. 2.2.2; Levenberg–Marquardt through argmin)
/// and the default 3-point parabola on a noisy correlation surface of 33×33
/// lags.
fn gaussian_peak_fit(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let surface = Array2::from_shape_fn((33, 33), |(r, cc)| {
        let (dy, dx) = (r as f64 - 16.3, cc as f64 - 15.6);
        0.6 * (-(dx * dx + 0.6 * dx * dy + 1.4 * dy * dy) / 4.0).exp()
            + 0.05 * rand::Rng::gen_range(&mut rng, -1.0..1.0)
    });
    let fit = PeakParams::new().method(ncc_stack::SubpixelMethod::GaussianFit);
    c.bench_function("peak/gaussian_fit_3x3_up10", |b| {
        b.iter(|| estimate_peak(surface.view(), &fit).expect("peak"))
    });
    // the default estimator (3-point parabola)
    let params = PeakParams::new();
    c.bench_function("peak/parabolic_default", |b| {
        b.iter(|| estimate_peak(surface.view(), &params).expect("peak"))
    });
    let printed = fit.clone().fit_window(11);
    c.bench_function("peak/gaussian_fit_11x11_up10", |b| {
        b.iter(|| estimate_peak(surface.view(), &printed).expect("peak"))
    });
}

/// The NaN-aware 51×51, σ = 17 px Gaussian high-pass of sect. 2.3.2
/// (separable normalised convolution) on a 768² image, without and with
/// no-data.
fn highpass(c: &mut Criterion) {
    let n = 768;
    let img = Array2::from_shape_fn((n, n), |(r, cc)| ((r * 31 + cc * 17) % 97) as f64);
    let mut holes = img.clone();
    holes.slice_mut(s![100..140, 200..260]).fill(f64::NAN);
    let mut g = c.benchmark_group("highpass");
    g.sample_size(10);
    for (label, im) in [("768px", &img), ("768px_nodata", &holes)] {
        g.bench_with_input(BenchmarkId::new("51x51_sigma17", label), &n, |b, _| {
            b.iter(|| ncc_stack::preprocess::gaussian_highpass(im.view(), 51, 17.0).expect("hp"))
        });
    }
    // longer kernels take the cosine-series running sum: the time does not
    // grow with the kernel (O(1) per pixel in the kernel size)
    for (k, sigma) in [(101usize, 34.0), (201, 67.0)] {
        g.bench_with_input(
            BenchmarkId::new(format!("{k}x{k}_sigma{sigma}"), "768px"),
            &n,
            |b, _| {
                b.iter(|| {
                    ncc_stack::preprocess::gaussian_highpass(img.view(), k, sigma).expect("hp")
                })
            },
        );
    }
    g.finish();
}

criterion_group!(
    benches,
    zncc_one_template,
    full_stack,
    gaussian_peak_fit,
    highpass
);
criterion_main!(benches);
