//! Calibration harness: does the propagated error of a glacier mean cover
//! the true error as often as it claims?
//!
//! Each *realisation* draws a synthetic scene with known truth, unlike the
//! scenes the defaults were developed on: a grid of random size and pixel
//! size, a random sum-of-models correlation (Gaussian + Spherical with random
//! ranges and sills, sometimes a nugget), a random exponential
//! heteroscedasticity with slope, a spatially smooth random slope field
//! (0–60°), a few glaciers of random elliptical, wobbly shape and size, and
//! about 2 % no-data pixels. The measured dh is truth + σ(slope)·z with z a
//! Gaussian random field of the drawn correlation (circulant embedding,
//! [`crate::FieldGenerator`]).
//!
//! The error model is then inferred from the stable terrain only, with
//! [`crate::infer_error_model`] and the given parameters, and every
//! glacier's mean error is propagated with [`crate::ErrorModel::mean_error`].
//! The score of a glacier is z = (estimated mean − true mean)/σ̂; for a
//! calibrated pipeline z is standard normal: std(z) ≈ 1 and |z| ≤ 1.96 for
//! 95 % of the glaciers. The same z is also computed with the *true* σ and
//! correlation ("oracle"), which checks the harness itself.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::{Result, UncertaintyError};
use crate::field::FieldGenerator;
use crate::model::{ModelKind, VariogramComponent, VariogramModel};
use crate::pipeline::{infer_error_model, ErrorModelParams};
use crate::propagate::propagate_mean_error_grid;

/// Parameters of [`run_calibration`].
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationParams {
    realisations: usize,
    seed: u64,
    size_px: (usize, usize),
    glaciers: usize,
    pipeline: ErrorModelParams,
}

impl Default for CalibrationParams {
    /// 100 realisations of 160–320 pixels a side, 3 glaciers each, seed 0,
    /// the default pipeline.
    fn default() -> Self {
        CalibrationParams {
            realisations: 100,
            seed: 0,
            size_px: (160, 320),
            glaciers: 3,
            pipeline: ErrorModelParams::default(),
        }
    }
}

impl CalibrationParams {
    /// Number of realisations.
    pub fn realisations(mut self, n: usize) -> Self {
        self.realisations = n;
        self
    }
    /// Base seed (realisation `i` uses `seed + i`).
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }
    /// Range of grid sides in pixels (rows and columns drawn independently).
    pub fn size_px(mut self, lo: usize, hi: usize) -> Self {
        self.size_px = (lo, hi);
        self
    }
    /// Glaciers per realisation.
    pub fn glaciers(mut self, n: usize) -> Self {
        self.glaciers = n;
        self
    }
    /// The pipeline under test.
    pub fn pipeline(mut self, p: ErrorModelParams) -> Self {
        self.pipeline = p;
        self
    }
    /// Validate.
    ///
    /// # Errors
    /// [`UncertaintyError::InvalidParameter`] for zero realisations or
    /// glaciers, or sizes below 64 pixels or in the wrong order.
    pub fn check(&self) -> Result<()> {
        if self.realisations == 0 {
            return Err(UncertaintyError::param("realisations", "must be ≥ 1"));
        }
        if self.glaciers == 0 {
            return Err(UncertaintyError::param("glaciers", "must be ≥ 1"));
        }
        if self.size_px.0 < 64 || self.size_px.1 < self.size_px.0 {
            return Err(UncertaintyError::param(
                "size_px",
                "need 64 ≤ lo ≤ hi pixels",
            ));
        }
        Ok(())
    }
}

/// One scored glacier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GlacierScore {
    /// Realisation index.
    pub realisation: usize,
    /// Measured pixels of the glacier.
    pub pixels: usize,
    /// Glacier area (km²) of the measured pixels.
    pub area_km2: f64,
    /// True mean error over the glacier (m/yr).
    pub error: f64,
    /// Propagated standard error of the pipeline (m/yr).
    pub sigma: f64,
    /// Standard error from the true σ and correlation (m/yr).
    pub sigma_true: f64,
    /// n_eff of the pipeline.
    pub n_eff: f64,
    /// n_eff from the true σ and correlation.
    pub n_eff_true: f64,
}

impl GlacierScore {
    /// z = error/σ̂ of the pipeline.
    pub fn z(&self) -> f64 {
        self.error / self.sigma
    }
    /// z with the true error model.
    pub fn z_true(&self) -> f64 {
        self.error / self.sigma_true
    }
}

/// Summary of a set of z-scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZSummary {
    /// Number of scores.
    pub n: usize,
    /// Mean of z.
    pub mean: f64,
    /// Standard deviation of z (should be 1).
    pub std: f64,
    /// Fraction with |z| ≤ 1.959964 (should be 0.95).
    pub coverage95: f64,
}

impl ZSummary {
    /// Summarise scores; `None` if empty.
    pub fn of(z: &[f64]) -> Option<Self> {
        if z.is_empty() {
            return None;
        }
        let n = z.len() as f64;
        let mean = z.iter().sum::<f64>() / n;
        let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        Some(ZSummary {
            n: z.len(),
            mean,
            std: var.sqrt(),
            coverage95: z.iter().filter(|v| v.abs() <= 1.959_964).count() as f64 / n,
        })
    }
}

/// The result of [`run_calibration`].
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationReport {
    /// One score per glacier.
    pub scores: Vec<GlacierScore>,
    /// Realisations whose pipeline failed, with the error message.
    pub failures: Vec<(usize, String)>,
}

impl CalibrationReport {
    /// Summary of the pipeline's z.
    pub fn summary(&self) -> Option<ZSummary> {
        ZSummary::of(&self.scores.iter().map(|s| s.z()).collect::<Vec<_>>())
    }
    /// Summary of the oracle z (true σ and correlation).
    pub fn summary_true(&self) -> Option<ZSummary> {
        ZSummary::of(&self.scores.iter().map(|s| s.z_true()).collect::<Vec<_>>())
    }
}

/// Ranks of a field mapped to (0, 1): a uniform field with the same spatial
/// structure.
fn to_uniform(f: &Array2<f64>) -> Array2<f64> {
    let mut idx: Vec<usize> = (0..f.len()).collect();
    let v: Vec<f64> = f.iter().copied().collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let n = idx.len() as f64;
    let mut u = vec![0.0; idx.len()];
    for (rank, &i) in idx.iter().enumerate() {
        u[i] = (rank as f64 + 0.5) / n;
    }
    Array2::from_shape_vec(f.dim(), u).expect("same length")
}

struct Scene {
    px: f64,
    dh: Array2<f64>,
    error: Array2<f64>,
    slope: Array2<f64>,
    sigma_true: Array2<f64>,
    glaciers: Vec<Array2<bool>>,
    stable: Array2<bool>,
    truth: VariogramModel,
}

fn draw_scene(rng: &mut Xoshiro256PlusPlus, p: &CalibrationParams) -> Result<Scene> {
    let rows = rng.gen_range(p.size_px.0..=p.size_px.1);
    let cols = rng.gen_range(p.size_px.0..=p.size_px.1);
    let px = rng.gen_range(20.0..50.0);
    let extent = rows.min(cols) as f64 * px;
    // correlation: short Gaussian, long Spherical, sometimes a nugget
    let r1 = px * rng.gen_range(2.0..8.0);
    let r2 = (r1 * rng.gen_range(4.0..15.0))
        .min(extent / 3.0)
        .max(2.0 * r1);
    let nugget = if rng.gen_bool(0.5) {
        rng.gen_range(0.0..0.25)
    } else {
        0.0
    };
    let c1 = rng.gen_range(0.4..0.85) * (1.0 - nugget);
    let c2 = 1.0 - nugget - c1;
    let truth = VariogramModel::new(vec![
        VariogramComponent::new(ModelKind::Gaussian, r1, c1),
        VariogramComponent::new(ModelKind::Spherical, r2, c2),
    ])?
    .with_nugget(nugget)?;
    let z = FieldGenerator::new(rows, cols, (px, px), &truth)?.sample(rng);
    // smooth slope field, uniform in [0, 60)°
    let slope_corr = VariogramModel::new(vec![VariogramComponent::new(
        ModelKind::Gaussian,
        px * rng.gen_range(3.0..12.0),
        1.0,
    )])?;
    let slope = to_uniform(&FieldGenerator::new(rows, cols, (px, px), &slope_corr)?.sample(rng))
        .mapv(|u| 60.0 * u);
    // heteroscedasticity σ(α) = a·e^{bα} + c (m/yr)
    let (a, b, c) = (
        rng.gen_range(0.005..0.05),
        rng.gen_range(0.02..0.07),
        rng.gen_range(0.05..0.3),
    );
    let sigma_true = slope.mapv(|s| a * (b * s).exp() + c);
    let error = &z * &sigma_true;
    // glaciers: wobbly ellipses, area 0.3 %–8 % of the scene each
    let mut owner = Array2::<usize>::zeros((rows, cols));
    let total = (rows * cols) as f64;
    for g in 1..=p.glaciers {
        let area_px = total * rng.gen_range(0.003..0.08);
        let elong: f64 = rng.gen_range(1.0..3.0);
        let ra = (area_px * elong / std::f64::consts::PI).sqrt();
        let rb = ra / elong;
        let th = rng.gen_range(0.0..std::f64::consts::PI);
        let (cr, cc) = (
            rows as f64 * rng.gen_range(0.2..0.8),
            cols as f64 * rng.gen_range(0.2..0.8),
        );
        let (w2, w3, p2, p3) = (
            rng.gen_range(0.0..0.25),
            rng.gen_range(0.0..0.15),
            rng.gen_range(0.0..std::f64::consts::TAU),
            rng.gen_range(0.0..std::f64::consts::TAU),
        );
        for ((r, col), o) in owner.indexed_iter_mut() {
            if *o != 0 {
                continue;
            }
            let (dy, dx) = (r as f64 - cr, col as f64 - cc);
            let (u, v) = (
                dx * th.cos() + dy * th.sin(),
                -dx * th.sin() + dy * th.cos(),
            );
            let phi = v.atan2(u);
            let wob = 1.0 + w2 * (2.0 * phi + p2).sin() + w3 * (3.0 * phi + p3).sin();
            if (u / ra).powi(2) + (v / rb).powi(2) <= wob * wob {
                *o = g;
            }
        }
    }
    let glaciers: Vec<Array2<bool>> = (1..=p.glaciers).map(|g| owner.mapv(|o| o == g)).collect();
    let stable = owner.mapv(|o| o == 0);
    // the measurement: a glacier signal (−1 m/yr ± gradient) plus the error,
    // with ~2 % voids
    let mut dh = Array2::from_shape_fn((rows, cols), |(r, c)| {
        if owner[[r, c]] != 0 {
            -1.0 + 0.002 * r as f64
        } else {
            0.0
        }
    }) + &error;
    for v in dh.iter_mut() {
        if rng.gen_bool(0.02) {
            *v = f64::NAN;
        }
    }
    Ok(Scene {
        px,
        dh,
        error,
        slope,
        sigma_true,
        glaciers,
        stable,
        truth,
    })
}

fn score_realisation(i: usize, p: &CalibrationParams) -> Result<Vec<GlacierScore>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(p.seed.wrapping_add(i as u64));
    let sc = draw_scene(&mut rng, p)?;
    let mut params = p.pipeline.clone();
    params.variogram = params.variogram.seed(p.seed.wrapping_add(i as u64));
    let em = infer_error_model(
        sc.dh.view(),
        &[sc.slope.view()],
        sc.stable.view(),
        (sc.px, sc.px),
        &params,
    )?;
    let mut out = Vec::with_capacity(sc.glaciers.len());
    for g in &sc.glaciers {
        let measured = Array2::from_shape_fn(g.dim(), |ij| g[ij] && sc.dh[ij].is_finite());
        let n = measured.iter().filter(|&&m| m).count();
        if n == 0 {
            continue;
        }
        let err = sc
            .error
            .iter()
            .zip(measured.iter())
            .filter(|(_, &m)| m)
            .map(|(e, _)| e)
            .sum::<f64>()
            / n as f64;
        let est = em.mean_error(measured.view())?;
        let st = Array2::from_shape_fn(g.dim(), |ij| {
            if measured[ij] {
                sc.sigma_true[ij]
            } else {
                f64::NAN
            }
        });
        let tru = propagate_mean_error_grid(st.view(), (sc.px, sc.px), &sc.truth)?;
        out.push(GlacierScore {
            realisation: i,
            pixels: n,
            area_km2: n as f64 * sc.px * sc.px / 1e6,
            error: err,
            sigma: est.standard_error,
            sigma_true: tru.standard_error,
            n_eff: est.n_eff,
            n_eff_true: tru.n_eff,
        });
    }
    Ok(out)
}

/// Run the harness (see the module docs). Realisations run in parallel
/// (rayon); each is seeded by `seed + index`, so the report does not depend
/// on the number of threads. A realisation whose pipeline fails is listed in
/// [`CalibrationReport::failures`] (a harness that hides failures could not
/// be trusted).
///
/// # Errors
/// Invalid parameters.
pub fn run_calibration(params: &CalibrationParams) -> Result<CalibrationReport> {
    params.check()?;
    let one = |i: usize| (i, score_realisation(i, params));
    #[cfg(feature = "rayon")]
    let results: Vec<(usize, Result<Vec<GlacierScore>>)> = {
        use rayon::prelude::*;
        (0..params.realisations).into_par_iter().map(one).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let results: Vec<(usize, Result<Vec<GlacierScore>>)> =
        (0..params.realisations).map(one).collect();
    let mut report = CalibrationReport {
        scores: Vec::new(),
        failures: Vec::new(),
    };
    for (i, r) in results {
        match r {
            Ok(s) => report.scores.extend(s),
            Err(e) => report.failures.push((i, e.to_string())),
        }
    }
    Ok(report)
}
