//! Analytic-truth tests on synthetic fields drawn with a known covariance
//! (circulant embedding) and a known heteroscedasticity.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use uncertainty::*;

const PX: f64 = 30.0;

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
fn erf(x: f64) -> f64 {
    let s = x.signum();
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    s * y
}

#[test]
fn fitted_variogram_recovers_known_sum_model() {
    // truth: Gaussian 150 m / 0.75 + Spherical 750 m / 0.25, 30 m pixels
    let truth = VariogramModel::new(vec![
        VariogramComponent::new(ModelKind::Gaussian, 150.0, 0.75),
        VariogramComponent::new(ModelKind::Spherical, 750.0, 0.25),
    ])
    .unwrap();
    let gen = FieldGenerator::new(768, 768, (PX, PX), &truth).unwrap();
    assert!(gen.negative_eigen_fraction() < 1e-9);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let params = VariogramParams::default()
        .max_lag_m(4000.0)
        .pairs_per_bin(5000);
    let mut runs = Vec::new();
    for i in 0..3 {
        let (a, b) = gen.sample_pair(&mut rng);
        for (j, f) in [a, b].iter().enumerate() {
            let p = params.clone().seed(10 * i + j as u64);
            runs.push(sample_empirical_variogram(f.view(), (PX, PX), None, &p).unwrap());
        }
    }
    let emp = EmpiricalVariogram::average(&runs).unwrap();
    // the first bin [0, 42.4 m) holds only the 4 neighbours at 30 m
    assert!((emp.mean_lag_m[0] - 30.0).abs() < 1e-9);
    let fit = fit_variogram(&emp, &VariogramFitParams::default()).unwrap();
    let c = fit.model.components();
    eprintln!("fit: {c:?}");
    assert_eq!(c[0].kind, ModelKind::Gaussian);
    assert!(rel(c[0].range_m, 150.0) < 0.15, "{c:?}");
    assert!(rel(c[0].partial_sill, 0.75) < 0.15, "{c:?}");
    assert!(rel(c[1].range_m, 750.0) < 0.15, "{c:?}");
    assert!(rel(c[1].partial_sill, 0.25) < 0.15, "{c:?}");
    // the Matheron estimator on a Gaussian field estimates the same γ
    let field = gen.sample(&mut rng);
    let mat = sample_empirical_variogram(
        field.view(),
        (PX, PX),
        None,
        &params.clone().estimator(Estimator::Matheron),
    )
    .unwrap();
    let last = mat.len() - 1;
    assert!(rel(mat.gamma[last], 1.0) < 0.25, "{}", mat.gamma[last]);
}

#[test]
fn exponential_heteroscedasticity_is_recovered() {
    // σ(α) = 0.018·e^{0.066α} + 0.074 m/yr (thesis eq. 4.17), slopes 0–60°
    let (a0, b0, c0) = (0.018, 0.066, 0.074);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let n = 1000;
    let slope = Array2::from_shape_fn((n, n), |_| rng.gen::<f64>() * 60.0);
    let dh = slope.mapv(|s| (a0 * (b0 * s).exp() + c0) * rng.sample::<f64, _>(StandardNormal));
    let binned = binned_statistics(
        dh.view(),
        &[slope.view()],
        &[Bins::width(0.0, 60.0, 1.0).unwrap()],
        None,
    )
    .unwrap();
    assert_eq!(binned.len(), 60);
    assert_eq!(binned.count.iter().sum::<usize>(), n * n);
    let model = HeteroscedasticityModel::fit_exponential(&binned, &ExponentialFitParams::default())
        .unwrap();
    let HeteroscedasticityModel::Exponential(e) = &model else {
        panic!("not exponential")
    };
    eprintln!("fit: {e:?}");
    assert!(rel(e.a, a0) < 0.10, "{e:?}");
    assert!(rel(e.b, b0) < 0.10, "{e:?}");
    assert!(rel(e.c, c0) < 0.10, "{e:?}");
    // the standardised error has unit dispersion
    let sigma = model.sigma_raster(&[slope.view()]).unwrap();
    let z = standardize(dh.view(), sigma.view()).unwrap();
    let s = stable_statistics(z.view(), None).unwrap();
    assert!((s.nmad - 1.0).abs() < 0.02, "{s:?}");
    assert!(s.median.abs() < 0.01, "{s:?}");
    // the xdem-style interpolant passes through the binned NMAD at bin centres
    let interp = HeteroscedasticityModel::interpolant(&binned, 100).unwrap();
    assert_eq!(interp.sigma(&[30.5]), binned.nmad[30]);
    assert_eq!(interp.sigma(&[-5.0]), binned.nmad[0]);
}

#[test]
fn n_eff_of_a_square_matches_the_gaussian_integral() {
    // For ρ(h) = exp(−h²/a²) the double integral over an L×L square
    // separates: σ²_mean/σ² = (I(L)/L²)², I(L) = a²(e^{−L²/a²} − 1) + a√π·L·erf(L/a).
    let r = 300.0;
    let a = r / 2.0;
    let model =
        VariogramModel::new(vec![VariogramComponent::new(ModelKind::Gaussian, r, 1.0)]).unwrap();
    let side = 60;
    let l = side as f64 * PX;
    let i_l = a * a * ((-(l * l) / (a * a)).exp() - 1.0)
        + a * std::f64::consts::PI.sqrt() * l * erf(l / a);
    let neff_analytic = 1.0 / (i_l / (l * l)).powi(2);
    let mask = Array2::from_elem((side, side), true);
    let coords = pixel_coordinates(mask.view(), (PX, PX));
    let neff = neff_exact(&coords, &vec![1.0; coords.len()], &model).unwrap();
    eprintln!("n_eff exact {neff:.3}, analytic {neff_analytic:.3}");
    assert!(rel(neff, neff_analytic) < 0.10);
    // constant σ = 0.3 m/yr: SE = 0.3/√n_eff
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let m = propagate_mean_error(
        &coords,
        &vec![0.3; coords.len()],
        &model,
        Propagation::Exact,
        &mut rng,
    )
    .unwrap();
    assert!(rel(m.standard_error, 0.3 / neff_analytic.sqrt()) < 0.10);
}

#[test]
fn standard_error_matches_monte_carlo_with_heteroscedastic_errors() {
    let model = VariogramModel::new(vec![
        VariogramComponent::new(ModelKind::Gaussian, 150.0, 0.8),
        VariogramComponent::new(ModelKind::Spherical, 900.0, 0.2),
    ])
    .unwrap();
    let (rows, cols) = (96, 96);
    let gen = FieldGenerator::new(rows, cols, (PX, PX), &model).unwrap();
    // σ grows from 0.1 to 1.05 m/yr across the columns; area: a 40×40 block
    let sigma = Array2::from_shape_fn((rows, cols), |(_, c)| 0.1 + 0.01 * c as f64);
    let mask = Array2::from_shape_fn((rows, cols), |(r, c)| {
        (20..60).contains(&r) && (30..70).contains(&c)
    });
    let coords = pixel_coordinates(mask.view(), (PX, PX));
    let sig: Vec<f64> = sigma
        .iter()
        .zip(mask.iter())
        .filter(|(_, &m)| m)
        .map(|(s, _)| *s)
        .collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let pred = propagate_mean_error(&coords, &sig, &model, Propagation::Exact, &mut rng).unwrap();
    let nsim = 1500;
    let mut means = Vec::with_capacity(2 * nsim);
    let mut var_pix = 0.0;
    for _ in 0..nsim {
        let (f1, f2) = gen.sample_pair(&mut rng);
        for f in [f1, f2] {
            var_pix += f[[48, 48]].powi(2);
            let s: f64 = f
                .iter()
                .zip(sigma.iter())
                .zip(mask.iter())
                .filter(|(_, &m)| m)
                .map(|((z, s), _)| z * s)
                .sum();
            means.push(s / coords.len() as f64);
        }
    }
    let nm = means.len() as f64;
    let mu = means.iter().sum::<f64>() / nm;
    let se_mc = (means.iter().map(|m| (m - mu).powi(2)).sum::<f64>() / (nm - 1.0)).sqrt();
    eprintln!(
        "SE predicted {:.5}, Monte-Carlo {:.5}, n_eff {:.2}",
        pred.standard_error, se_mc, pred.n_eff
    );
    assert!(rel(pred.standard_error, se_mc) < 0.10);
    // the field has the model's sill as variance
    assert!(rel(var_pix / nm, 1.0) < 0.10);
}

#[test]
fn random_k_approximation_agrees_with_the_exact_double_sum() {
    let model = VariogramModel::thesis_karakoram();
    // a disk of radius 45 px (≈ 6360 pixels) at 30 m
    let mask = Array2::from_shape_fn((91, 91), |(r, c)| {
        let (dr, dc) = (r as f64 - 45.0, c as f64 - 45.0);
        dr * dr + dc * dc <= 45.0 * 45.0
    });
    let coords = pixel_coordinates(mask.view(), (PX, PX));
    assert!(coords.len() > 6000);
    let ones = vec![1.0; coords.len()];
    let exact = neff_exact(&coords, &ones, &model).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let approx = neff_hugonnet_approx(&coords, &ones, &model, 1000, &mut rng).unwrap();
    eprintln!(
        "n_eff exact {exact:.4}, K=1000 {approx:.4}, rel {:.2e}",
        rel(approx, exact)
    );
    assert!(rel(approx, exact) < 0.01);
    let auto = number_effective_samples(
        &coords,
        &model,
        Propagation::Auto {
            max_exact: 1000,
            k: 1000,
        },
        &mut rng,
    )
    .unwrap();
    assert!(rel(auto, exact) < 0.02);
    // k ≥ N falls back to the exact sum
    let all = neff_hugonnet_approx(&coords, &ones, &model, coords.len(), &mut rng).unwrap();
    assert!(rel(all, exact) < 1e-12);
}

/// Monte-Carlo of the regional area-weighted mean with correlated
/// elevation errors and independent area errors; returns its std.
fn regional_monte_carlo(
    gen: &FieldGenerator,
    sigma_px: f64,
    masks: &[Array2<bool>],
    (dh, areas, sigma_area): (&[f64], &[f64], &[f64]),
    nsim: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> f64 {
    let idx: Vec<Vec<usize>> = masks
        .iter()
        .map(|m| {
            m.iter()
                .enumerate()
                .filter(|(_, &k)| k)
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let mut vals = Vec::with_capacity(2 * nsim);
    for _ in 0..nsim {
        let (f1, f2) = gen.sample_pair(rng);
        for f in [f1, f2] {
            let f = f.as_slice().expect("standard layout");
            let mut num = 0.0;
            let mut den = 0.0;
            for (g, ix) in idx.iter().enumerate() {
                let s: f64 = ix.iter().map(|&i| f[i]).sum();
                let mean = dh[g] + sigma_px * s / ix.len() as f64;
                let a = areas[g] + sigma_area[g] * rng.sample::<f64, _>(StandardNormal);
                num += a * mean;
                den += a;
            }
            vals.push(num / den);
        }
    }
    let n = vals.len() as f64;
    let mu = vals.iter().sum::<f64>() / n;
    (vals.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

#[test]
fn regional_uncertainty_eq_4_22_matches_monte_carlo() {
    let model = VariogramModel::new(vec![
        VariogramComponent::new(ModelKind::Gaussian, 150.0, 0.7),
        VariogramComponent::new(ModelKind::Spherical, 1200.0, 0.3),
    ])
    .unwrap();
    let (rows, cols) = (100, 100);
    let gen = FieldGenerator::new(rows, cols, (PX, PX), &model).unwrap();
    let sigma_px = 0.4; // m/yr
                        // five rectangular glaciers (row0, col0, h, w)
    let rects = [
        (5, 5, 20, 30),
        (40, 10, 12, 12),
        (30, 50, 25, 40),
        (75, 70, 15, 20),
        (80, 5, 10, 50),
    ];
    let dh = [-1.2, -0.3, 0.4, -0.8, 0.2];
    let masks: Vec<Array2<bool>> = rects
        .iter()
        .map(|&(r0, c0, h, w)| {
            Array2::from_shape_fn((rows, cols), |(r, c)| {
                r >= r0 && r < r0 + h && c >= c0 && c < c0 + w
            })
        })
        .collect();
    let coords: Vec<Vec<[f64; 2]>> = masks
        .iter()
        .map(|m| pixel_coordinates(m.view(), (PX, PX)))
        .collect();
    let areas: Vec<f64> = coords.iter().map(|c| c.len() as f64 * PX * PX).collect();
    let sigma_area: Vec<f64> = areas.iter().map(|a| 0.1 * a).collect();
    let n = rects.len();
    let mut cov = vec![0.0; n * n];
    let mut glaciers = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let (si, sj) = (
                vec![sigma_px; coords[i].len()],
                vec![sigma_px; coords[j].len()],
            );
            cov[i * n + j] = covariance_of_means(&coords[i], &si, &coords[j], &sj, &model).unwrap();
        }
        let cen = coords[i]
            .iter()
            .fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
        glaciers.push(Glacier {
            area_m2: areas[i],
            sigma_area_m2: sigma_area[i],
            mean_dh_m_yr: dh[i],
            sigma_dh_m_yr: cov[i * n + i].sqrt(),
            centroid_m: [
                cen[0] / coords[i].len() as f64,
                cen[1] / coords[i].len() as f64,
            ],
        });
    }
    let budget = regional_budget(
        &glaciers,
        &InterGlacierCovariance::Matrix(cov),
        Density::default(),
    )
    .unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
    let mc = regional_monte_carlo(
        &gen,
        sigma_px,
        &masks,
        (&dh, &areas, &sigma_area),
        1500,
        &mut rng,
    );
    eprintln!(
        "eq. 4.22 σ = {:.5} (area term {:.2e}, cov term {:.2e}), Monte-Carlo {:.5}",
        budget.sigma_dh_m_yr, budget.area_variance, budget.covariance_variance, mc
    );
    assert!(rel(budget.sigma_dh_m_yr, mc) < 0.05);
    assert!(budget.area_variance > 0.1 * budget.covariance_variance);
    // eq. 4.14: σ_b² = (ρ σ_dh)² + (dh σ_ρ)² in m w.e.
    let expect =
        ((0.85 * budget.sigma_dh_m_yr).powi(2) + (budget.mean_dh_m_yr * 0.06).powi(2)).sqrt();
    assert!((budget.sigma_b_mwe_yr - expect).abs() < 1e-12);

    // The thesis's centroid form (eq. 4.21, Cov = σᵢσⱼρ(dᵢⱼ)) is accurate for
    // glaciers small against the ranges: 2×2-pixel glaciers, no area error.
    let small = [(10, 10), (14, 30), (50, 20), (60, 60), (90, 90)];
    let masks: Vec<Array2<bool>> = small
        .iter()
        .map(|&(r0, c0)| {
            Array2::from_shape_fn((rows, cols), |(r, c)| {
                r >= r0 && r < r0 + 2 && c >= c0 && c < c0 + 2
            })
        })
        .collect();
    let mut glaciers = Vec::new();
    for m in &masks {
        let c = pixel_coordinates(m.view(), (PX, PX));
        let se =
            propagate_mean_error(&c, &[sigma_px; 4], &model, Propagation::Exact, &mut rng).unwrap();
        let cen = c
            .iter()
            .fold([0.0, 0.0], |a, p| [a[0] + p[0] / 4.0, a[1] + p[1] / 4.0]);
        glaciers.push(Glacier {
            area_m2: 4.0 * PX * PX,
            sigma_area_m2: 0.0,
            mean_dh_m_yr: -0.5,
            sigma_dh_m_yr: se.standard_error,
            centroid_m: cen,
        });
    }
    let b = regional_budget(
        &glaciers,
        &InterGlacierCovariance::CentroidVariogram(model.clone()),
        Density::default(),
    )
    .unwrap();
    let areas = vec![4.0 * PX * PX; 5];
    let mc = regional_monte_carlo(
        &gen,
        sigma_px,
        &masks,
        (&[-0.5; 5], &areas, &[0.0; 5]),
        1500,
        &mut rng,
    );
    eprintln!(
        "centroid eq. 4.22 σ = {:.5}, Monte-Carlo {:.5}",
        b.sigma_dh_m_yr, mc
    );
    assert!(rel(b.sigma_dh_m_yr, mc) < 0.05);
}

#[cfg(feature = "rayon")]
#[test]
fn parallel_equals_serial() {
    let model = VariogramModel::thesis_karakoram();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let z = FieldGenerator::new(200, 200, (PX, PX), &model)
        .unwrap()
        .sample(&mut rng);
    let params = VariogramParams::default().pairs_per_bin(2000);
    let par = sample_empirical_variogram(z.view(), (PX, PX), None, &params).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let ser =
        pool.install(|| sample_empirical_variogram(z.view(), (PX, PX), None, &params).unwrap());
    assert_eq!(par.gamma, ser.gamma);
    assert_eq!(par.count, ser.count);
    let mask = Array2::from_shape_fn((40, 40), |(r, c)| r + c < 50);
    let coords = pixel_coordinates(mask.view(), (PX, PX));
    let ones = vec![1.0; coords.len()];
    let a = neff_exact(&coords, &ones, &model).unwrap();
    let b = pool.install(|| neff_exact(&coords, &ones, &model).unwrap());
    assert!(rel(a, b) < 1e-12);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let z = Array2::from_elem((10, 10), f64::NAN);
    assert!(matches!(
        stable_statistics(z.view(), None),
        Err(UncertaintyError::NoValidSamples(_))
    ));
    assert!(matches!(
        sample_empirical_variogram(z.view(), (PX, PX), None, &VariogramParams::default()),
        Err(UncertaintyError::NoValidSamples(_))
    ));
    let one = Array2::from_elem((10, 10), 1.0);
    assert!(matches!(
        sample_empirical_variogram(
            one.view(),
            (PX, PX),
            None,
            &VariogramParams::default().pairs_per_bin(20)
        ),
        Err(UncertaintyError::Degenerate(_))
    ));
    // a 3×3 raster has only three lag bins: too few for a 2-component fit
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let small = Array2::from_shape_fn((3, 3), |_| rng.gen::<f64>());
    let emp = sample_empirical_variogram(
        small.view(),
        (PX, PX),
        None,
        &VariogramParams::default().pairs_per_bin(100),
    )
    .unwrap();
    assert!(matches!(
        fit_variogram(&emp, &VariogramFitParams::default()),
        Err(UncertaintyError::TooFewBins { .. })
    ));
    let model = VariogramModel::thesis_karakoram();
    assert!(matches!(
        propagate_mean_error(
            &[[0.0, 0.0]],
            &[f64::NAN],
            &model,
            Propagation::Exact,
            &mut rng
        ),
        Err(UncertaintyError::InvalidParameter { .. })
    ));
    assert!(matches!(
        propagate_mean_error(&[], &[], &model, Propagation::Exact, &mut rng),
        Err(UncertaintyError::NoValidSamples(_))
    ));
    assert!(matches!(
        glacier_mass_balance(
            1.0,
            0.1,
            Density {
                rho_kg_m3: -1.0,
                sigma_kg_m3: 0.0
            }
        ),
        Err(UncertaintyError::InvalidParameter { .. })
    ));
}

#[test]
fn fft_grid_double_sum_equals_the_pairwise_double_sum() {
    // heteroscedastic σ on an irregular area (a disk minus a notch) with holes
    let model = VariogramModel::thesis_karakoram();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
    let sigma = Array2::from_shape_fn((70, 90), |(r, c)| {
        let (dr, dc) = (r as f64 - 35.0, c as f64 - 40.0);
        let inside = dr * dr + dc * dc <= 900.0 && !(r > 30 && c > 45);
        if inside && rng.gen::<f64>() > 0.05 {
            0.1 + rng.gen::<f64>()
        } else {
            f64::NAN
        }
    });
    let mask = sigma.mapv(|v| v.is_finite());
    let coords = pixel_coordinates(mask.view(), (PX, 25.0));
    let sig: Vec<f64> = sigma.iter().copied().filter(|v| v.is_finite()).collect();
    let pair = propagate_mean_error(&coords, &sig, &model, Propagation::Exact, &mut rng).unwrap();
    let grid = propagate_mean_error_grid(sigma.view(), (PX, 25.0), &model).unwrap();
    eprintln!("pairwise {:?}\nfft grid {:?}", pair, grid);
    assert_eq!(grid.n_pixels, pair.n_pixels);
    assert!(rel(grid.standard_error, pair.standard_error) < 1e-9);
    assert!(rel(grid.n_eff, pair.n_eff) < 1e-9);
}

#[test]
fn end_to_end_pipeline_recovers_heteroscedasticity_variogram_and_standard_error() {
    // six dh scenes with correlated standardised errors (Gaussian 150 m / 0.75
    // + Spherical 750 m / 0.25) times σ(α) = 0.018·e^{0.066α} + 0.074 m/yr
    let truth = VariogramModel::new(vec![
        VariogramComponent::new(ModelKind::Gaussian, 150.0, 0.75),
        VariogramComponent::new(ModelKind::Spherical, 750.0, 0.25),
    ])
    .unwrap();
    let n = 768;
    let gen = FieldGenerator::new(n, n, (PX, PX), &truth).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(21);
    let mut scenes = Vec::new();
    for _ in 0..3 {
        let (a, b) = gen.sample_pair(&mut rng);
        scenes.push(a);
        scenes.push(b);
    }
    let slope = Array2::from_shape_fn((n, n), |_| rng.gen::<f64>() * 60.0);
    let sig_true = slope.mapv(|s| 0.018 * (0.066 * s).exp() + 0.074);
    let stable = Array2::from_shape_fn((n, n), |(r, c)| {
        !((300..450).contains(&r) && (200..500).contains(&c))
    });
    let mut models = Vec::new();
    let mut runs = Vec::new();
    for (k, z) in scenes.iter().enumerate() {
        let dh = z * &sig_true;
        let binned = binned_statistics(
            dh.view(),
            &[slope.view()],
            &[Bins::width(0.0, 60.0, 1.0).unwrap()],
            Some(stable.view()),
        )
        .unwrap();
        let het =
            HeteroscedasticityModel::fit_exponential(&binned, &ExponentialFitParams::default())
                .unwrap();
        let sigma = het.sigma_raster(&[slope.view()]).unwrap();
        let zs = standardize(dh.view(), sigma.view()).unwrap();
        let f = two_step_factor(zs.view(), Some(stable.view()), Some(7.0)).unwrap();
        let zs = zs / f;
        let p = VariogramParams::default()
            .max_lag_m(4000.0)
            .pairs_per_bin(5000)
            .seed(k as u64);
        runs.push(
            sample_empirical_variogram(zs.view(), (PX, PX), Some(stable.view()), &p).unwrap(),
        );
        models.push(het.scaled(f));
    }
    for m in &models {
        let HeteroscedasticityModel::Exponential(e) = m else {
            panic!("exponential")
        };
        eprintln!("heteroscedasticity: {e:?}");
        // the two-step factor rescales a and c together; compare the curve
        for s in [5.0f64, 30.0, 55.0] {
            let t = 0.018 * (0.066 * s).exp() + 0.074;
            assert!(rel(e.eval(s), t) < 0.10, "σ({s}) = {} vs {t}", e.eval(s));
        }
        assert!(rel(e.b, 0.066) < 0.10, "{e:?}");
    }
    let fit = fit_variogram(
        &EmpiricalVariogram::average(&runs).unwrap(),
        &VariogramFitParams::default(),
    )
    .unwrap();
    let c = fit.model.components();
    eprintln!("variogram: {c:?}");
    assert!(
        rel(c[0].range_m, 150.0) < 0.15 && rel(c[0].partial_sill, 0.75) < 0.15,
        "{c:?}"
    );
    assert!(
        rel(c[1].range_m, 750.0) < 0.15 && rel(c[1].partial_sill, 0.25) < 0.15,
        "{c:?}"
    );
    // standard error of the mean dh over the "glacier" with the fitted models
    // vs the true σ and covariance
    let glacier = stable.mapv(|s| !s);
    let coords = pixel_coordinates(glacier.view(), (PX, PX));
    let sig_fit: Vec<f64> = slope
        .iter()
        .zip(glacier.iter())
        .filter(|(_, &g)| g)
        .map(|(s, _)| models[0].sigma(&[*s]))
        .collect();
    let sig_t: Vec<f64> = sig_true
        .iter()
        .zip(glacier.iter())
        .filter(|(_, &g)| g)
        .map(|(s, _)| *s)
        .collect();
    let est = propagate_mean_error(
        &coords,
        &sig_fit,
        &fit.model,
        Propagation::RandomK { k: 500 },
        &mut rng,
    )
    .unwrap();
    let tru = propagate_mean_error(
        &coords,
        &sig_t,
        &truth,
        Propagation::RandomK { k: 500 },
        &mut rng,
    )
    .unwrap();
    eprintln!(
        "SE fitted {:.5} (n_eff {:.2}) vs true {:.5} (n_eff {:.2})",
        est.standard_error, est.n_eff, tru.standard_error, tru.n_eff
    );
    assert!(rel(est.standard_error, tru.standard_error) < 0.10);
    assert!(rel(est.n_eff, tru.n_eff) < 0.10);
}
