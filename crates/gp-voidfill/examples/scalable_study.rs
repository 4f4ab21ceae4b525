//! Scalable path study on a large synthetic glacier (~27 000 training pixels,
//! 3 000 validation pixels, ~10 700 void pixels).
//!
//! 1. The automatic path ([`GpVoidFill::new`] defaults: hyper-parameters by
//!    L-BFGS on a 1 000-point subsample, block prediction conditioned on 256
//!    spread-out global points plus ~512 local training points per block,
//!    using all training points): wall time of fit + void prediction.
//! 2. With the *same* hyper-parameters, an exact GP on a random 4 000-point
//!    subsample of the training set, and the previous point-by-point
//!    nearest-neighbour predictor (64 neighbours + 128 random global points).
//! 3. With the same hyper-parameters, an exact GP on a random 10 000-point
//!    subsample (where an exact GP still runs on 2 cores) against the
//!    scalable predictor on exactly the same 10 000 points.
//!
//! RMSEs are against the noisy validation pixels and against the noise-free
//! truth on validation and void pixels; "cov" is the fraction of noise-free
//! truth inside the 95 % interval (mean ± 1.96 latent std).
//!
//! `cargo run --release -p gp-voidfill --example scalable_study -- [ROWS COLS [EXACT_N]]`
//! (defaults 190 380 10000; EXACT_N 0 skips step 3).
use gp_voidfill::data::{glacier_features, Metrics};
use gp_voidfill::nn::spread_subset;
use gp_voidfill::synthetic::{glacier, SyntheticGlacierParams};
use gp_voidfill::{ExactGp, GpVoidFill, JitterPolicy, NearestNeighbourGp, Prediction};
use ndarray::{Array1, Array2, ArrayView1, Axis};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Instant;

/// Fraction of `truth` inside mean ± 1.96 std.
fn coverage(
    mean: ArrayView1<'_, f64>,
    std: ArrayView1<'_, f64>,
    truth: ArrayView1<'_, f64>,
) -> f64 {
    let inside = mean
        .iter()
        .zip(std)
        .zip(truth)
        .filter(|((m, s), t)| (*m - *t).abs() <= 1.96 * **s)
        .count();
    inside as f64 / truth.len().max(1) as f64
}

fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rows = args.first().copied().unwrap_or(190);
    let cols = args.get(1).copied().unwrap_or(380);
    let exact_big = args.get(2).copied().unwrap_or(10_000);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let g = glacier(
        &SyntheticGlacierParams {
            rows,
            cols,
            ..Default::default()
        },
        &mut rng,
    );
    let gf = glacier_features(&g.dem, &g.slope_deg, &g.aspect_deg, &g.mask)?;
    let at = |r: &sar_core::Raster<f64>, i: usize| r.data[[gf.pixels[i].0, gf.pixels[i].1]];
    let (meas, void): (Vec<usize>, Vec<usize>) =
        (0..gf.pixels.len()).partition(|&i| at(&g.observed, i).is_finite());
    let xm = gf.features.select(Axis(0), &meas);
    let ym: Array1<f64> = meas.iter().map(|&i| at(&g.observed, i)).collect();
    let tm: Array1<f64> = meas.iter().map(|&i| at(&g.truth, i)).collect();
    let xv = gf.features.select(Axis(0), &void);
    let tv: Array1<f64> = void.iter().map(|&i| at(&g.truth, i)).collect();

    // 1. automatic path
    let params = GpVoidFill::new();
    let t0 = Instant::now();
    let model = params.fit(xm.view(), ym.view())?;
    let t_fit = t0.elapsed().as_secs_f64();
    let pv = model.predict(xv.view())?;
    let secs = t0.elapsed().as_secs_f64();
    let r = model.report();
    // the split the model used (seed 0), reproduced for the truth comparison
    let mut srng = Xoshiro256PlusPlus::seed_from_u64(0);
    let split = gp_voidfill::data::split(
        xm.view(),
        gp_voidfill::SplitStrategy::default(),
        0.2,
        30_000,
        3_000,
        &mut srng,
    );
    let xval = xm.select(Axis(0), &split.validation);
    let yval = ym.select(Axis(0), &split.validation);
    let tval = tm.select(Axis(0), &split.validation);
    let xtr = xm.select(Axis(0), &split.train);
    let ytr = ym.select(Axis(0), &split.train);
    let p = model.predict(xval.view())?;
    println!(
        "auto path {:?}\n  n_train {} n_val {} voids {}; iterations {}; fit (L-BFGS + validation prediction) {:.1} s + void prediction {:.1} s = {:.1} s",
        r.method,
        r.n_train,
        r.n_validation,
        void.len(),
        r.iterations,
        t_fit,
        secs - t_fit,
        secs
    );
    // predictions in standardised units -> physical; one table line each
    let line = |name: &str, pval: &Prediction, pvoid: &Prediction| {
        println!(
            "{name:<44} val RMSE {:.4} | vs truth: val {:.4} void {:.4} | cov val {:.3} void {:.3}",
            Metrics::of(pval.mean.view(), yval.view()).rmse,
            Metrics::of(pval.mean.view(), tval.view()).rmse,
            Metrics::of(pvoid.mean.view(), tv.view()).rmse,
            coverage(pval.mean.view(), pval.latent_std.view(), tval.view()),
            coverage(pvoid.mean.view(), pvoid.latent_std.view(), tv.view()),
        )
    };
    line(&format!("scalable (auto, {secs:.1} s)"), &p, &pv);

    // 2. same hyper-parameters, exact GP on a 4 000 subsample
    let fs = model.feature_scaler();
    let ts = model.target_scaler();
    let phys = |p: Prediction| p.rescaled(ts.std, ts.mean);
    let k = model.kernel().clone();
    let noise = r
        .hyperparameters_standardised
        .last()
        .copied()
        .unwrap_or(0.1)
        .exp();
    let zval = fs.transform(xval.view());
    let zvoid = fs.transform(xv.view());
    let zt_all = fs.transform(xtr.view());
    let yt_all = ts.transform(ytr.view());
    let subset = |n: usize, seed: u64| -> (Array2<f64>, Array1<f64>) {
        let mut r = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut idx = sample(&mut r, zt_all.nrows(), n.min(zt_all.nrows())).into_vec();
        idx.sort_unstable();
        (zt_all.select(Axis(0), &idx), yt_all.select(Axis(0), &idx))
    };
    let scalable = |x: &Array2<f64>, y: &Array1<f64>| {
        let mut r = Xoshiro256PlusPlus::seed_from_u64(1);
        let gl = spread_subset(&k, x.view(), 256, &mut r);
        NearestNeighbourGp::with_global(k.clone(), noise, x.view(), y.view(), 32, &gl)
            .with_blocks(64, 512)
    };
    println!("same hyper-parameters:");
    let (z4, y4) = subset(4_000, 4);
    let t = Instant::now();
    let gp = ExactGp::fit(
        k.clone(),
        noise,
        z4.view(),
        y4.view(),
        JitterPolicy::default(),
    )?;
    let (a, b) = (
        phys(gp.predict(zval.view())),
        phys(gp.predict(zvoid.view())),
    );
    line(
        &format!("exact, 4000 subsample ({:.1} s)", t.elapsed().as_secs_f64()),
        &a,
        &b,
    );
    let t = Instant::now();
    let nn = scalable(&z4, &y4);
    let (a, b) = (
        phys(nn.predict(zval.view())),
        phys(nn.predict(zvoid.view())),
    );
    line(
        &format!("scalable, same 4000 ({:.1} s)", t.elapsed().as_secs_f64()),
        &a,
        &b,
    );
    let t = Instant::now();
    let mut r128 = Xoshiro256PlusPlus::seed_from_u64(5);
    let mut g128 = sample(&mut r128, zt_all.nrows(), 128).into_vec();
    g128.sort_unstable();
    let nn =
        NearestNeighbourGp::with_global(k.clone(), noise, zt_all.view(), yt_all.view(), 64, &g128);
    let (a, b) = (
        phys(nn.predict(zval.view())),
        phys(nn.predict(zvoid.view())),
    );
    line(
        &format!(
            "point-by-point NN m 64 + 128 global ({:.1} s)",
            t.elapsed().as_secs_f64()
        ),
        &a,
        &b,
    );

    // 3. exact GP where it still runs vs the scalable predictor, same data
    if exact_big > 0 {
        let (zb, yb) = subset(exact_big, 10);
        let nb = zb.nrows();
        let t = Instant::now();
        let gp = ExactGp::fit(
            k.clone(),
            noise,
            zb.view(),
            yb.view(),
            JitterPolicy::default(),
        )?;
        let te_fit = t.elapsed().as_secs_f64();
        let em_val = ts.inverse(gp.predict_mean(zval.view()).view());
        let em_void = ts.inverse(gp.predict_mean(zvoid.view()).view());
        // std on the first 500 validation pixels only (O(n^2) per point)
        let s500 = gp.predict(zval.slice(ndarray::s![..500, ..]));
        let te = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let nn = scalable(&zb, &yb);
        let (a, b) = (
            phys(nn.predict(zval.view())),
            phys(nn.predict(zvoid.view())),
        );
        let tn = t.elapsed().as_secs_f64();
        let rm = |p: &Array1<f64>, q: &Array1<f64>| Metrics::of(p.view(), q.view()).rmse;
        println!(
            "exact vs scalable on the same {nb} points (exact: fit {te_fit:.1} s, total {te:.1} s; scalable {tn:.1} s):"
        );
        println!(
            "  val RMSE exact {:.4} scalable {:.4} (ratio {:.4}); vs truth: val {:.4} / {:.4}, void {:.4} / {:.4}",
            rm(&em_val, &yval),
            rm(&a.mean, &yval),
            rm(&a.mean, &yval) / rm(&em_val, &yval),
            rm(&em_val, &tval),
            rm(&a.mean, &tval),
            rm(&em_void, &tv),
            rm(&b.mean, &tv),
        );
        let sd_e = s500.latent_std.mapv(|s| s * ts.std);
        let sd_n = a.latent_std.slice(ndarray::s![..500]).to_owned();
        let ratio: Vec<f64> = sd_n.iter().zip(&sd_e).map(|(n, e)| n / e).collect();
        let mean_ratio = ratio.iter().sum::<f64>() / ratio.len() as f64;
        let min_ratio = ratio.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "  mean |scalable - exact| val {:.4} void {:.4} m/yr; latent std scalable/exact (500 val px): mean {mean_ratio:.3} min {min_ratio:.3}",
            (&a.mean - &em_val).mapv(f64::abs).mean().unwrap_or(f64::NAN),
            (&b.mean - &em_void).mapv(f64::abs).mean().unwrap_or(f64::NAN),
        );
    }
    println!("void mean {:?}", model.void_mean(xv.view())?);
    Ok(())
}
