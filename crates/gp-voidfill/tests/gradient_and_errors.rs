//! Analytic checks: NLML gradient against central finite differences,
//! void-mean estimators, typed errors and parallel == serial.

use approx::assert_relative_eq;
use gp_voidfill::{
    ArdKernel, ExactGp, GpError, GpVoidFill, JitterPolicy, Kernel, SplitStrategy, SumKernel,
};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn data(n: usize, d: usize, seed: u64) -> (Array2<f64>, Array1<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, d), |_| rng.gen_range(-2.0..2.0));
    let y = Array1::from_shape_fn(n, |i| {
        (1.1_f64 * x[[i, 0]]).sin() + 0.4 * x[[i, d - 1]] + 0.1 * rng.gen_range(-1.0..1.0)
    });
    (x, y)
}

fn nlml<K: Kernel + Clone>(k: &K, theta: &[f64], x: &Array2<f64>, y: &Array1<f64>) -> f64 {
    let mut k = k.clone();
    let nk = k.n_params();
    k.set_log_params(&theta[..nk]);
    ExactGp::fit(
        k,
        theta[nk].exp(),
        x.view(),
        y.view(),
        JitterPolicy::default(),
    )
    .unwrap()
    .nlml()
}

fn check_gradient<K: Kernel + Clone>(kernel: K) {
    let (x, y) = data(45, 3, 5);
    let gp = ExactGp::fit(
        kernel.clone(),
        0.03,
        x.view(),
        y.view(),
        JitterPolicy::default(),
    )
    .unwrap();
    let theta = gp.log_params();
    let g = gp.nlml_gradient();
    for p in 0..theta.len() {
        let h = 1e-5;
        let mut tp = theta.clone();
        tp[p] += h;
        let mut tm = theta.clone();
        tm[p] -= h;
        let fd = (nlml(&kernel, &tp, &x, &y) - nlml(&kernel, &tm, &x, &y)) / (2.0 * h);
        assert_relative_eq!(g[p], fd, max_relative = 1e-5, epsilon = 1e-6);
    }
}

#[test]
fn nlml_gradient_matches_finite_differences() {
    check_gradient(SumKernel::rbf_plus_matern32(
        0.8,
        &[0.7, 1.3, 2.0],
        0.3,
        &[0.5, 0.9, 1.1],
    ));
    check_gradient(SumKernel::new(vec![ArdKernel::matern52(
        1.1,
        &[0.6, 1.0, 1.4],
    )]));
    check_gradient(SumKernel::new(vec![ArdKernel::exponential(
        0.9,
        &[1.5, 0.8, 2.5],
    )]));
}

#[test]
fn void_mean_random_subset_agrees_with_exact_sum() {
    let (x, y) = data(300, 2, 9);
    let model = GpVoidFill::new()
        .split(SplitStrategy::Random)
        .max_epochs(200)
        .learning_rate(0.03)
        // the plug-in variance: this checks the subset estimator of eq. 4.12
        .hyperparameter_uncertainty(false)
        .fit(x.view(), y.view())
        .unwrap();
    // a large "void": 1 200 points in a corner region
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let v = Array2::from_shape_fn((1200, 2), |_| rng.gen_range(0.5..2.5));
    let exact = model.void_mean_with(v.view(), usize::MAX, 2).unwrap();
    assert!(exact.exact && exact.n_evaluated == 1200);
    let sub = model.void_mean_with(v.view(), 100, 300).unwrap();
    assert!(!sub.exact && sub.n_evaluated == 300);
    assert_relative_eq!(sub.mean, exact.mean, max_relative = 1e-12);
    assert_relative_eq!(sub.std_error, exact.std_error, max_relative = 0.05);
    // larger K, closer agreement is not guaranteed, but K = N is exact
    let all = model.void_mean_with(v.view(), 100, 1200).unwrap();
    assert!(all.exact);
    assert_relative_eq!(all.std_error, exact.std_error, max_relative = 1e-12);
}

#[test]
fn bad_inputs_return_typed_errors() {
    let (x, y) = data(100, 2, 1);
    let p = GpVoidFill::new().split(SplitStrategy::Random);
    // too few samples
    let e = p
        .fit(x.slice(ndarray::s![..10, ..]), y.slice(ndarray::s![..10]))
        .unwrap_err();
    assert!(matches!(
        e,
        GpError::TooFewSamples {
            found: 10,
            required: 30
        }
    ));
    // constant target
    let c = Array1::from_elem(100, 2.5);
    assert!(matches!(
        p.fit(x.view(), c.view()).unwrap_err(),
        GpError::ConstantTarget { .. }
    ));
    // NaN feature
    let mut xn = x.clone();
    xn[[17, 1]] = f64::NAN;
    assert!(matches!(
        p.fit(xn.view(), y.view()).unwrap_err(),
        GpError::NonFinite {
            what: "feature",
            index: 17
        }
    ));
    // invalid parameter
    assert!(matches!(
        GpVoidFill::new().learning_rate(-1.0).check().unwrap_err(),
        GpError::InvalidParameter {
            name: "learning_rate",
            ..
        }
    ));
    for (p, name) in [
        (GpVoidFill::new().hyperprior_std(0.0), "hyperprior_std"),
        (GpVoidFill::new().hyperprior_std(f64::NAN), "hyperprior_std"),
        (
            GpVoidFill::new().hessian_max_points(1),
            "hessian_max_points",
        ),
    ] {
        assert!(matches!(
            p.check().unwrap_err(),
            GpError::InvalidParameter { name: n, .. } if n == name
        ));
    }
    // stratification columns missing from 2-feature data
    assert!(matches!(
        GpVoidFill::new().fit(x.view(), y.view()).unwrap_err(),
        GpError::InvalidParameter { name: "split", .. }
    ));
}

#[cfg(feature = "rayon")]
#[test]
fn parallel_equals_serial() {
    let (x, y) = data(150, 3, 4);
    let k = SumKernel::rbf_plus_matern32(0.8, &[0.7, 1.3, 2.0], 0.3, &[0.5, 0.9, 1.1]);
    let run = || {
        let gp =
            ExactGp::fit(k.clone(), 0.05, x.view(), y.view(), JitterPolicy::default()).unwrap();
        let p = gp.predict(x.view());
        // the scalable predictor: spread global set, blocks in parallel
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let global = gp_voidfill::nn::spread_subset(&k, x.view(), 20, &mut rng);
        let nn = gp_voidfill::NearestNeighbourGp::with_global(
            k.clone(),
            0.05,
            x.view(),
            y.view(),
            8,
            &global,
        )
        .with_blocks(16, 40)
        .predict(x.view());
        (
            gp.nlml(),
            gp.nlml_gradient(),
            p.mean,
            p.latent_std,
            p.observation_std,
            gp.predictive_covariance_sum(x.view()),
            nn.mean,
            nn.latent_std,
        )
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let four = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let a = one.install(run);
    let b = four.install(run);
    assert_eq!(a, b);
}

#[test]
fn scalable_path_is_selected_above_threshold_and_matches_exact() {
    let (x, y) = data(400, 2, 12);
    let (xs, ys) = data(200, 2, 13);
    let base = GpVoidFill::new()
        .split(SplitStrategy::Random)
        .max_epochs(150)
        .learning_rate(0.03)
        .hyper_subsample(150);
    let exact = base.clone().fit(x.view(), y.view()).unwrap();
    assert_eq!(exact.report().method, gp_voidfill::Method::Exact);
    let nn = base
        .exact_max_train(100)
        .neighbours(32)
        .global_points(64)
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(
        nn.report().method,
        gp_voidfill::Method::NearestNeighbour {
            hyper_subsample: 150,
            neighbours: 32,
            global_points: 64,
            block_size: 64,
            block_conditioning: 512,
        }
    );
    let rmse = |m: &gp_voidfill::FittedGp| {
        let p = m.predict(xs.view()).unwrap();
        ((&p.mean - &ys).mapv(|v| v * v).mean().unwrap()).sqrt()
    };
    let (re, rn) = (rmse(&exact), rmse(&nn));
    // noise is uniform(-0.1, 0.1): std 0.058
    assert!(rn < 0.1 && rn < 1.3 * re, "NN {rn} vs exact {re}");
    let vm = nn.void_mean(xs.view()).unwrap();
    assert!(vm.exact && vm.std_error > 0.0 && vm.std_error < 0.2);
}
