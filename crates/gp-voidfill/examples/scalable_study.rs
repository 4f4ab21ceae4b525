//! Scalable path study on a large synthetic glacier (~27 000 training pixels).
//!
//! 1. the automatic path (hyper-parameters by Adam on a 600-point subsample,
//!    nearest-neighbour prediction with all training points): time and RMSE;
//! 2. with the same hyper-parameters, exact GPs on random subsamples of
//!    2 000 / 4 000 training points, and the nearest-neighbour GP restricted
//!    to the same 4 000 points (its approximation error against the exact GP).
//!
//! RMSEs are against the noisy validation pixels and against the noise-free
//! truth on validation and void pixels.
//!
//! `cargo run --release -p gp-voidfill --example scalable_study -- [ROWS COLS]`
use gp_voidfill::data::{glacier_features, Metrics};
use gp_voidfill::synthetic::{glacier, SyntheticGlacierParams};
use gp_voidfill::{ExactGp, GpVoidFill, JitterPolicy, NearestNeighbourGp};
use ndarray::{Array1, Axis};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rows = args.first().copied().unwrap_or(190);
    let cols = args.get(1).copied().unwrap_or(380);
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

    // the split the model uses, reproduced for the truth comparison
    let params = GpVoidFill::new();
    let t0 = std::time::Instant::now();
    let model = params.fit(xm.view(), ym.view())?;
    let pv = model.predict(xv.view())?;
    let secs = t0.elapsed().as_secs_f64();
    let r = model.report();
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
        "auto path {:?}: n_train {} n_val {} voids {}; fit+predict {:.1} s; epochs {}",
        r.method,
        r.n_train,
        r.n_validation,
        void.len(),
        secs,
        r.epochs_run
    );
    let line = |name: &str, pval: &Array1<f64>, pvoid: &Array1<f64>| {
        println!(
            "{name:<38} val RMSE {:.4} (vs truth {:.4})  void RMSE vs truth {:.4}",
            Metrics::of(pval.view(), yval.view()).rmse,
            Metrics::of(pval.view(), tval.view()).rmse,
            Metrics::of(pvoid.view(), tv.view()).rmse
        )
    };
    line("nearest-neighbour, all training", &p.mean, &pv.mean);

    let fs = model.feature_scaler();
    let ts = model.target_scaler();
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
    for &(m, gsz) in &[(64usize, 0usize), (64, 128), (64, 256), (32, 128)] {
        let mut gidx = sample(&mut srng, xtr.nrows(), gsz).into_vec();
        gidx.sort_unstable();
        let t = std::time::Instant::now();
        let nn = NearestNeighbourGp::with_global(
            k.clone(),
            noise,
            zt_all.view(),
            yt_all.view(),
            m,
            &gidx,
        );
        let a = ts.inverse(nn.predict(zval.view()).mean.view());
        let b = ts.inverse(nn.predict(zvoid.view()).mean.view());
        let tn = t.elapsed().as_secs_f64();
        line(&format!("NN all, m {m}, global {gsz} ({tn:.1} s)"), &a, &b);
    }
    for &m in &[2_000usize, 4_000] {
        let mut idx = sample(&mut srng, xtr.nrows(), m.min(xtr.nrows())).into_vec();
        idx.sort_unstable();
        let zt = fs.transform(xtr.select(Axis(0), &idx).view());
        let yt = ts.transform(ytr.select(Axis(0), &idx).view());
        let t = std::time::Instant::now();
        let gp = ExactGp::fit(
            k.clone(),
            noise,
            zt.view(),
            yt.view(),
            JitterPolicy::default(),
        )?;
        let a = ts.inverse(gp.predict_mean(zval.view()).view());
        let b = ts.inverse(gp.predict_mean(zvoid.view()).view());
        let te = t.elapsed().as_secs_f64();
        line(&format!("exact, {m} subsample ({te:.1} s)"), &a, &b);
        let t = std::time::Instant::now();
        let nn = NearestNeighbourGp::new(k.clone(), noise, zt.view(), yt.view(), 64);
        let a = ts.inverse(nn.predict(zval.view()).mean.view());
        let b = ts.inverse(nn.predict(zvoid.view()).mean.view());
        let tn = t.elapsed().as_secs_f64();
        line(&format!("nearest-neighbour, same {m} ({tn:.1} s)"), &a, &b);
    }
    println!("void mean {:?}", model.void_mean(xv.view())?);
    Ok(())
}
