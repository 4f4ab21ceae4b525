//! Calibration harness of gp-voidfill's predictive uncertainty (issue 10).
//!
//! An independent scene generator (not the crate's `synthetic` module, and
//! not tuned against): per seed a random raster size and pixel size, an
//! elliptical glacier at a random orientation on a tilted, bumpy DEM, a true
//! dh/dt made of an elevation gradient plus a spatially correlated random
//! field (random Fourier features of a squared-exponential field with a
//! random length scale and amplitude), Gaussian measurement noise of random
//! size, and 2–4 circular voids. The voids also get an *independent*
//! measurement (truth + new noise), which the model never sees.
//!
//! Scored with the default pipeline ([`GpVoidFill::new`] with the seed):
//! * filled pixels: $z = (y_{\mathrm{held\,out}} - \mu)/\sigma_{\mathrm{obs}}$
//!   (observation std, latent + noise);
//! * void means, one per void: $z = (\bar\mu - \bar f)/\sigma_{\mathcal V}$
//!   with the eq. 4.13 standard error (latent covariance) and the mean of
//!   the true dh/dt over the void pixels.
#![allow(dead_code)]

use gp_voidfill::data::glacier_features;
use gp_voidfill::GpVoidFill;
use ndarray::{Array1, Array2, Axis};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::terrain::{slope_aspect, GradientMethod};
use sar_core::{Crs, Grid, Raster};

/// Size range of the scenes.
#[derive(Debug, Clone, Copy)]
pub struct SizeRange {
    /// Rows drawn uniformly from this range.
    pub rows: (usize, usize),
    /// Columns drawn uniformly from this range.
    pub cols: (usize, usize),
}

/// One synthetic scene.
pub struct Scene {
    pub dem: Raster<f64>,
    pub mask: Raster<u8>,
    pub truth: Array2<f64>,
    pub observed: Raster<f64>,
    /// Independent measurement of the void pixels (NaN elsewhere).
    pub held_out: Array2<f64>,
    /// 0 outside voids, k >= 1 inside void k.
    pub void_label: Array2<u32>,
    pub n_voids: u32,
    pub noise_std: f64,
}

/// Variations of the scene generator (the default is the one the crate's
/// figures were first measured on; the others check that the defaults were
/// not tuned to it).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Elongated voids (rotated ellipses, axis ratio 2.5-5, like radar
    /// shadow or layover stripes) instead of discs.
    pub elongated_voids: bool,
    /// A curved elevation profile of dh/dt (quadratic in elevation, random
    /// curvature) instead of a linear one.
    pub quadratic_trend: bool,
    /// Rough field: exponential-like covariance (random Fourier features
    /// with Cauchy-distributed frequencies) instead of squared-exponential.
    pub rough_field: bool,
    /// Range of the measurement noise std (m/yr).
    pub noise: (f64, f64),
}

impl Default for Style {
    fn default() -> Self {
        Self {
            elongated_voids: false,
            quadratic_trend: false,
            rough_field: false,
            noise: (0.08, 0.4),
        }
    }
}

/// Draws a scene from `seed` with the default [`Style`].
pub fn scene(seed: u64, size: SizeRange) -> Scene {
    scene_with(seed, size, Style::default())
}

/// Draws a scene from `seed` with the given [`Style`].
pub fn scene_with(seed: u64, size: SizeRange, style: Style) -> Scene {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0xca11_b4a7);
    let rows = rng.gen_range(size.rows.0..=size.rows.1);
    let cols = rng.gen_range(size.cols.0..=size.cols.1);
    let px = rng.gen_range(20.0..50.0);
    let grid = Grid::north_up(rows, cols, 600_000.0, 5_100_000.0, px, px, Crs::epsg(32632));
    // DEM: tilted plane along a random direction plus two bumps
    let phi: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
    let grad = rng.gen_range(0.08..0.3);
    let (b1, l1, l2) = (
        rng.gen_range(10.0..60.0),
        rng.gen_range(200.0..900.0),
        rng.gen_range(200.0..900.0),
    );
    let mut dem = Array2::zeros((rows, cols));
    for r in 0..rows {
        for c in 0..cols {
            let (x, y) = (c as f64 * px, r as f64 * px);
            dem[[r, c]] = 3000.0
                + grad * (x * phi.cos() + y * phi.sin())
                + b1 * (x / l1).sin() * (y / l2).cos();
        }
    }
    // glacier: rotated ellipse
    let (cr, cc) = (rows as f64 / 2.0, cols as f64 / 2.0);
    let (ar, ac) = (
        rng.gen_range(0.36..0.48) * rows as f64,
        rng.gen_range(0.36..0.48) * cols as f64,
    );
    let rot: f64 = rng.gen_range(-0.4..0.4);
    let mut mask = Array2::<u8>::zeros((rows, cols));
    for r in 0..rows {
        for c in 0..cols {
            let (dy, dx) = (r as f64 - cr, c as f64 - cc);
            let (u, v) = (
                dx * rot.cos() + dy * rot.sin(),
                -dx * rot.sin() + dy * rot.cos(),
            );
            if (u / ac).powi(2) + (v / ar).powi(2) < 1.0 {
                mask[[r, c]] = 1;
            }
        }
    }
    // truth: elevation gradient + random Fourier feature field
    let (hmin, hmax) = dem
        .iter()
        .zip(mask.iter())
        .filter(|(_, m)| **m != 0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (h, _)| {
            (a.min(*h), b.max(*h))
        });
    let c0 = rng.gen_range(-3.0..-0.5);
    let c1 = rng.gen_range(0.5..3.0);
    let amp = rng.gen_range(0.15..0.6);
    let len = rng.gen_range(3.0..12.0) * px;
    let m_feat = 200;
    let wn = Normal::new(0.0, 1.0 / len).expect("valid");
    let feats: Vec<(f64, f64, f64)> = (0..m_feat)
        .map(|_| {
            if style.rough_field {
                // 2-D Cauchy frequencies: exponential covariance of range len
                let (a, b): (f64, f64) = (wn.sample(&mut rng), wn.sample(&mut rng));
                let g: f64 = Normal::new(0.0, 1.0).expect("valid").sample(&mut rng);
                let s = 1.0 / g.abs().max(1e-3);
                (a * s, b * s, rng.gen_range(0.0..std::f64::consts::TAU))
            } else {
                (
                    wn.sample(&mut rng),
                    wn.sample(&mut rng),
                    rng.gen_range(0.0..std::f64::consts::TAU),
                )
            }
        })
        .collect();
    let c2 = if style.quadratic_trend {
        rng.gen_range(-2.0..2.0)
    } else {
        0.0
    };
    let norm = amp * (2.0 / m_feat as f64).sqrt();
    let noise_std = rng.gen_range(style.noise.0..style.noise.1);
    let noise = Normal::new(0.0, noise_std).expect("valid");
    // voids: 2-4 discs centred inside the glacier
    let n_voids = rng.gen_range(2..=4u32);
    let mut void_label = Array2::<u32>::zeros((rows, cols));
    let mut placed = 0;
    let mut tries = 0;
    while placed < n_voids && tries < 1000 {
        tries += 1;
        let (r0, c0v) = (rng.gen_range(0..rows), rng.gen_range(0..cols));
        if mask[[r0, c0v]] == 0 {
            continue;
        }
        let rad = rng.gen_range(2.0..(rows.min(cols) as f64 / 6.0).max(2.5));
        let (ratio, ang) = if style.elongated_voids {
            (
                rng.gen_range(2.5..5.0),
                rng.gen_range(0.0..std::f64::consts::PI),
            )
        } else {
            (1.0, 0.0)
        };
        // semi-axes rad*sqrt(ratio) and rad/sqrt(ratio): same area as the disc
        let (sa, sb) = (rad * f64::sqrt(ratio), rad / f64::sqrt(ratio));
        placed += 1;
        for r in 0..rows {
            for c in 0..cols {
                let (dy, dx) = (r as f64 - r0 as f64, c as f64 - c0v as f64);
                let (u, v) = (
                    dx * ang.cos() + dy * ang.sin(),
                    -dx * ang.sin() + dy * ang.cos(),
                );
                let d2 = (u / sa).powi(2) + (v / sb).powi(2);
                if mask[[r, c]] != 0 && d2 < 1.0 {
                    void_label[[r, c]] = placed;
                }
            }
        }
    }
    let mut truth = Array2::from_elem((rows, cols), f64::NAN);
    let mut observed = Array2::from_elem((rows, cols), f64::NAN);
    let mut held_out = Array2::from_elem((rows, cols), f64::NAN);
    for r in 0..rows {
        for c in 0..cols {
            if mask[[r, c]] == 0 {
                continue;
            }
            let (x, y) = (c as f64 * px, r as f64 * px);
            let field: f64 = feats
                .iter()
                .map(|(wx, wy, b)| (wx * x + wy * y + b).cos())
                .sum::<f64>()
                * norm;
            let u = (dem[[r, c]] - hmin) / (hmax - hmin);
            let t = c0 + c1 * u + c2 * (u - 0.5) * (u - 0.5) + field;
            truth[[r, c]] = t;
            let e = noise.sample(&mut rng);
            if void_label[[r, c]] == 0 {
                observed[[r, c]] = t + e;
            } else {
                held_out[[r, c]] = t + e;
            }
        }
    }
    Scene {
        dem: Raster::new(dem, grid.clone()).expect("grid"),
        mask: Raster::new(mask, grid.clone()).expect("grid"),
        truth,
        observed: Raster::new(observed, grid).expect("grid"),
        held_out,
        void_label,
        n_voids: placed,
        noise_std,
    }
}

/// z-scores of one realisation.
#[derive(Debug, Default, Clone)]
pub struct Scores {
    /// Filled pixels against the independent measurement (observation std).
    pub pixel_z: Vec<f64>,
    /// Void means against the true mean (eq. 4.13 standard error).
    pub mean_z: Vec<f64>,
    /// Held-out RMSE reported by the fit (measured pixels).
    pub validation_rmse: f64,
    /// Noise std of the scene and as fitted.
    pub noise: (f64, f64),
}

/// Runs the default pipeline (`params`) on `scene` and scores it.
pub fn score(params: &GpVoidFill, s: &Scene) -> anyhow::Result<Scores> {
    score_columns(params, s, None)
}

/// As [`score`], with only the feature columns `cols` (all when `None`).
pub fn score_columns(
    params: &GpVoidFill,
    s: &Scene,
    cols: Option<&[usize]>,
) -> anyhow::Result<Scores> {
    let sa = slope_aspect(&s.dem, GradientMethod::Horn)?;
    let mut gf = glacier_features(&s.dem, &sa.slope, &sa.aspect, &s.mask)?;
    if let Some(c) = cols {
        gf.features = gf.features.select(Axis(1), c);
    }
    let at = |i: usize| gf.pixels[i];
    let meas: Vec<usize> = (0..gf.pixels.len())
        .filter(|&i| s.observed.data[at(i)].is_finite())
        .collect();
    let xm = gf.features.select(Axis(0), &meas);
    let ym: Array1<f64> = meas.iter().map(|&i| s.observed.data[at(i)]).collect();
    let model = params.fit(xm.view(), ym.view())?;
    let mut out = Scores {
        validation_rmse: model.report().validation.rmse,
        noise: (s.noise_std, model.report().hyperparameters.noise_std),
        ..Default::default()
    };
    for k in 1..=s.n_voids {
        let idx: Vec<usize> = (0..gf.pixels.len())
            .filter(|&i| s.void_label[at(i)] == k)
            .collect();
        if idx.is_empty() {
            continue;
        }
        let xv = gf.features.select(Axis(0), &idx);
        let p = model.predict(xv.view())?;
        for (j, &i) in idx.iter().enumerate() {
            out.pixel_z
                .push((s.held_out[at(i)] - p.mean[j]) / p.observation_std[j]);
        }
        let vm = model.void_mean(xv.view())?;
        let tm = idx.iter().map(|&i| s.truth[at(i)]).sum::<f64>() / idx.len() as f64;
        out.mean_z.push((vm.mean - tm) / vm.std_error);
    }
    Ok(out)
}

/// (std of z about 0, fraction with |z| <= 1.96, count).
pub fn summary(z: &[f64]) -> (f64, f64, usize) {
    let n = z.len().max(1) as f64;
    let sd = (z.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
    let cov = z.iter().filter(|v| v.abs() <= 1.959_964).count() as f64 / n;
    (sd, cov, z.len())
}
