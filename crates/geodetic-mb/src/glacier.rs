//! Per-glacier processing (thesis sect. 4.3.2.2, 4.3.3, eqs. 4.5, 4.7,
//! 4.8, 4.11–4.13): eligibility, void filling, glacier-wide mean dh/dt of
//! the measured part, the filled part and the whole, their errors, and the
//! specific mass balance.
//!
//! Glaciers come as a label raster (0 = no glacier, `k` = the glacier whose
//! [`GlacierInfo::label`] is `k`, e.g. from
//! `sar_core::rasterize::rasterize_outlines`). Every glacier gets a row in the
//! output with a [`GlacierStatus`]; none is dropped silently.
//!
//! * **Eligibility** (sect. 4.3.3): area ≥ 1 km² and measured coverage ≥
//!   30 % by default; others are reported with their status and left out of
//!   the regional budget.
//! * **Fill**: Gaussian-process regression (`gp-voidfill`, the thesis
//!   method, default), or the hypsometric baselines: one curve from all
//!   glaciers' measured pixels ([`FillMethod::Hypsometric`]) or one per
//!   glacier ([`FillMethod::LocalHypsometric`]).
//! * **Error of the measured part** σ_𝓜: per-pixel σ(slope) of the
//!   [`ErrorModel`] propagated with its variogram by the exact double sum
//!   (eq. 4.11). Measured pixels without a slope take the stable NMAD.
//! * **Error of the void part** σ_𝓥: for the GP, the standard error of the
//!   void mean from the GP predictive covariance (eq. 4.13) **plus** the DEM
//!   error the filled values inherit. The GP is trained on measured dh/dt,
//!   whose spatially correlated DEM error it takes for signal: its latent
//!   surface in a void continues that error, and eq. 4.13 alone measures
//!   only the interpolation error about that surface. The calibration study
//!   (`examples/calibration.rs`, 25 % voids) found eq. 4.13 alone gives
//!   void-part z-scores of standard deviation ≈ 3.5. So the DEM error,
//!   σ(slope) with the variogram (eq. 4.11), is propagated over the
//!   measured *and* the filled pixels together (which also accounts for
//!   the correlation between the two parts that eq. 4.8 neglects), and the
//!   GP term is added for the void area (**extrapolation**: voids above or
//!   below the measured elevation range — typically an accumulation area
//!   lost to low contrast — make the GP extrapolate in elevation, where its
//!   zero-mean prior pulls the fill back toward the glacier mean and eq.
//!   4.13 with the plug-in kernel under-states the error: with the top or
//!   bottom 25 % of every glacier void, `examples/mb_calibration.rs … edge`
//!   gave whole-glacier z-scores of std ≈ 1.4. The GP term is therefore
//!   σ_{4.13} ⊕ mean over the void of
//!   [`HypsometricCurve::extrapolation_sigma`] of the glacier's own
//!   50 m-band curve, the error the flat continuation of the measured
//!   mass-balance gradient would make; 0 for voids inside the measured
//!   range.) The σ model:
//!   σ²_g = σ²_{4.11}(𝓜 ∪ 𝓥) + (A_𝓥/A_g)²·σ²_{4.13}; the table's σ_𝓥 is
//!   σ_{4.11}(𝓥) ⊕ σ_{4.13}, and filled pixels' σ is σ(slope) ⊕ the GP
//!   latent std. For the
//!   hypsometric fills (same combination: their band values are computed
//!   from measured pixels and carry the same DEM error; with eq. 4.8's
//!   independent parts the `edge` calibration gave z std 1.31), the fill
//!   term is, since it is shared by every void pixel of a band,
//!   the mean over the void pixels (full correlation, a conservative bound)
//!   of the band NMAD ⊕ the extrapolation error
//!   [`HypsometricCurve::extrapolation_sigma`] of pixels above or below the
//!   measured elevation range (|curve gradient| × distance to the nearest
//!   measured band: the flat continuation misses the mass-balance gradient
//!   there). The regional curve ([`FillMethod::Hypsometric`]) adds the
//!   between-glacier term: one curve for all glaciers misses each glacier
//!   by that glacier's own departure, modelled as a line in elevation
//!   `a_g + b_g·(h − h̄_g)` whose intercept and gradient vary between
//!   glaciers; the root mean squares of the glaciers' fitted `a_g` and
//!   `b_g` (from their measured pixels' residuals) give the σ
//!   `√(σ_a² + σ_b²·(h − h̄_g)²)` added in quadrature to each filled
//!   pixel's σ (shared by the whole void).
//! * **Whole glacier**: mean over measured and filled pixels; σ by eq. 4.8
//!   with the measured and filled areas (hypsometric fills; the GP as
//!   above); b = ρ·mean dh/dt (eq. 4.5), σ_b by
//!   eq. 4.7 with ρ = 850 ± 60 kg m⁻³.
//! * **Area uncertainty** σ_A = 5 % of the area by default (the order of
//!   RGI outline errors for debris-free glaciers of a few km², Paul et al.
//!   2013), used by the regional budget (eq. 4.15).

#[cfg(feature = "rayon")]
use rayon::prelude::*;

use ndarray::{s, Array2};
use sar_core::{stats, Raster};
use serde::Serialize;
use uncertainty::{combine_measured_void, glacier_mass_balance, Density};

use crate::errmodel::{pixel_size, ErrorModel};
use crate::error::{MbError, Result};
use crate::hypsometric::{BandStatistic, HypsometricCurve};
use crate::surge::{classify_pattern, PatternParams, PatternProfile, SurgeClass};

/// What is known about a glacier besides its pixels.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct GlacierInfo {
    /// Its value in the label raster (≥ 1).
    pub label: u32,
    /// Identifier (RGIId / rgi_id).
    pub id: String,
    /// Name, may be empty.
    pub name: String,
    /// RGI surge-type attribute.
    pub surge: SurgeClass,
}

/// How voids are filled.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FillMethod {
    /// Gaussian-process regression (thesis sect. 4.3.2.2).
    Gp(Box<gp_voidfill::GpVoidFill>),
    /// One hypsometric curve from the measured pixels of all glaciers.
    Hypsometric {
        /// Band width (m).
        band_m: f64,
        /// Band statistic.
        statistic: BandStatistic,
    },
    /// One hypsometric curve per glacier from its own measured pixels.
    LocalHypsometric {
        /// Band width (m).
        band_m: f64,
        /// Band statistic.
        statistic: BandStatistic,
    },
}

impl Default for FillMethod {
    /// The GP with the region settings of [`region_gp`].
    fn default() -> Self {
        FillMethod::Gp(Box::new(region_gp()))
    }
}

/// Band width (m) of the glacier's own hypsometric curve whose
/// extrapolation error [`HypsometricCurve::extrapolation_sigma`] is added to
/// the GP void term (see the module docs); the 50 m of the hypsometric
/// fills.
pub const GP_EXTRAPOLATION_BAND_M: f64 = 50.0;

/// Training pixels per glacier of the region GP preset, [`region_gp`]
/// (`gp_voidfill`'s default: 30 000).
pub const REGION_GP_MAX_TRAIN: usize = 400;
/// L-BFGS iterations of the region GP preset, [`region_gp`] (default 200).
pub const REGION_GP_MAX_ITERATIONS: usize = 50;
/// Points of the NLML Hessian of the Laplace hyper-parameter posterior in
/// the region GP preset, [`region_gp`] (default 1 000).
pub const REGION_GP_HESSIAN_POINTS: usize = 300;
/// Laplace hyper-parameter draws for the void mean in the region GP preset,
/// [`region_gp`] (default 32).
pub const REGION_GP_DRAWS: usize = 8;

/// The GP settings used for every glacier of a region (the default fill,
/// `FillMethod::default()`): `gp_voidfill::GpVoidFill::new()` (thesis
/// kernel RBF + Matérn 3/2 with ARD, L-BFGS, Laplace hyper-parameter
/// uncertainty, 80/20 stratified split) with
/// * the training set capped at [`REGION_GP_MAX_TRAIN`] pixels (a
///   stratified sample over spatial blocks × elevation bands, so the whole
///   glacier and its elevation range are covered). Training costs O(n³)
///   per likelihood evaluation; the thesis's 30 000-pixel cap needed a GPU;
/// * at most [`REGION_GP_MAX_ITERATIONS`] L-BFGS iterations;
/// * the Hessian of the Laplace approximation on at most
///   [`REGION_GP_HESSIAN_POINTS`] points (scaled to the training size);
/// * [`REGION_GP_DRAWS`] hyper-parameter draws for the void mean (eq. 4.13).
///
/// The void mean's σ is the GP posterior given the capped training set, so
/// the cap widens σ rather than hiding error; the glacier-wide σ is
/// dominated by the DEM-error term (eq. 4.11 over measured and filled
/// pixels, see the module docs). Measured (`examples/gp_profile.rs`,
/// release build, loaded 2-core machine): the thesis settings took 9–208 s
/// per glacier of 690–2 140 pixels (L-BFGS hitting its 200-iteration cap on
/// 500–1 300 training pixels), this preset 2–14 s at 600 training pixels /
/// 60 iterations / 16 draws, and less at the values above; calibration
/// (`examples/mb_calibration.rs`) with this preset: see the crate README.
pub fn region_gp() -> gp_voidfill::GpVoidFill {
    gp_voidfill::GpVoidFill::new()
        .max_train(REGION_GP_MAX_TRAIN)
        .max_iterations(REGION_GP_MAX_ITERATIONS)
        .hessian_max_points(REGION_GP_HESSIAN_POINTS)
        .hyperparameter_draws(REGION_GP_DRAWS)
}

/// Parameters of [`process_glaciers`].
#[derive(Debug, Clone, PartialEq)]
pub struct GlacierParams {
    min_area_km2: f64,
    min_coverage: f64,
    fill: FillMethod,
    density: Density,
    area_sigma_fraction: f64,
    pattern: PatternParams,
}

impl Default for GlacierParams {
    /// Area ≥ 1 km², coverage ≥ 30 % (thesis sect. 4.3.3), GP fill,
    /// ρ = 850 ± 60 kg m⁻³ (Huss 2013), σ_A = 5 % of the area, the default
    /// pattern thresholds.
    fn default() -> Self {
        GlacierParams {
            min_area_km2: 1.0,
            min_coverage: 0.3,
            fill: FillMethod::default(),
            density: Density::default(),
            area_sigma_fraction: 0.05,
            pattern: PatternParams::default(),
        }
    }
}

impl GlacierParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Smallest glacier area (km²) processed.
    pub fn min_area_km2(mut self, v: f64) -> Self {
        self.min_area_km2 = v;
        self
    }
    /// Smallest measured fraction of the glacier area, in `[0, 1]`.
    pub fn min_coverage(mut self, v: f64) -> Self {
        self.min_coverage = v;
        self
    }
    /// Void-fill method.
    pub fn fill(mut self, v: FillMethod) -> Self {
        self.fill = v;
        self
    }
    /// Density for the mass balance.
    pub fn density(mut self, v: Density) -> Self {
        self.density = v;
        self
    }
    /// Relative area uncertainty σ_A / A.
    pub fn area_sigma_fraction(mut self, v: f64) -> Self {
        self.area_sigma_fraction = v;
        self
    }
    /// Pattern classification thresholds.
    pub fn pattern(mut self, v: PatternParams) -> Self {
        self.pattern = v;
        self
    }
    /// The fill method.
    pub fn fill_method(&self) -> &FillMethod {
        &self.fill
    }
    /// The density.
    pub fn density_value(&self) -> Density {
        self.density
    }

    /// Validate.
    ///
    /// # Errors
    /// [`MbError::InvalidParameter`] naming the parameter.
    pub fn check(&self) -> Result<()> {
        if !(self.min_area_km2 >= 0.0 && self.min_area_km2.is_finite()) {
            return Err(MbError::param("min_area_km2", "must be finite and ≥ 0"));
        }
        if !(0.0..=1.0).contains(&self.min_coverage) {
            return Err(MbError::param("min_coverage", "must be in [0, 1]"));
        }
        if !(self.area_sigma_fraction >= 0.0 && self.area_sigma_fraction.is_finite()) {
            return Err(MbError::param(
                "area_sigma_fraction",
                "must be finite and ≥ 0",
            ));
        }
        let d = self.density;
        if !(d.rho_kg_m3 > 0.0 && d.sigma_kg_m3 >= 0.0 && d.rho_kg_m3.is_finite()) {
            return Err(MbError::param("density", "need ρ > 0 and σ_ρ ≥ 0"));
        }
        match &self.fill {
            FillMethod::Gp(p) => p.check()?,
            FillMethod::Hypsometric { band_m, .. }
            | FillMethod::LocalHypsometric { band_m, .. } => {
                if !(*band_m > 0.0 && band_m.is_finite()) {
                    return Err(MbError::param("band_m", "must be finite and > 0"));
                }
            }
        }
        Ok(())
    }
}

/// Outcome of one glacier.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub enum GlacierStatus {
    /// Processed and included in the regional budget.
    Ok,
    /// No pixel of the label raster carries this glacier's label.
    NotOnGrid,
    /// Smaller than the minimum area.
    TooSmall,
    /// Not a single measured dh/dt pixel.
    NoMeasuredPixel,
    /// Measured coverage below the minimum.
    LowCoverage,
    /// The void fill failed (message).
    FillFailed(String),
    /// The error propagation failed (message).
    UncertaintyFailed(String),
}

impl GlacierStatus {
    /// A short machine-readable name (`ok`, `too_small`, …).
    pub fn code(&self) -> &'static str {
        match self {
            GlacierStatus::Ok => "ok",
            GlacierStatus::NotOnGrid => "not_on_grid",
            GlacierStatus::TooSmall => "too_small",
            GlacierStatus::NoMeasuredPixel => "no_measured_pixel",
            GlacierStatus::LowCoverage => "low_coverage",
            GlacierStatus::FillFailed(_) => "fill_failed",
            GlacierStatus::UncertaintyFailed(_) => "uncertainty_failed",
        }
    }
}

/// One glacier's results. Quantities that could not be computed are NaN.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlacierResult {
    /// The glacier.
    pub info: GlacierInfo,
    /// Outcome.
    pub status: GlacierStatus,
    /// Pixels inside the outline.
    pub n_pixels: usize,
    /// Measured pixels.
    pub n_measured: usize,
    /// Void pixels filled.
    pub n_filled: usize,
    /// Void pixels left unfilled (no elevation/slope there).
    pub n_unfilled: usize,
    /// Area from the rasterised outline (m²).
    pub area_m2: f64,
    /// Area uncertainty (m²).
    pub sigma_area_m2: f64,
    /// Measured fraction of the pixels.
    pub coverage: f64,
    /// Mean dh/dt of the measured part (m/yr).
    pub mean_measured_m_yr: f64,
    /// Mean dh/dt of the filled part (m/yr).
    pub mean_filled_m_yr: f64,
    /// Glacier-wide mean dh/dt (m/yr).
    pub mean_dhdt_m_yr: f64,
    /// σ of the measured-part mean (m/yr), eq. 4.11.
    pub sigma_measured_m_yr: f64,
    /// σ of the filled-part mean (m/yr), eq. 4.13.
    pub sigma_filled_m_yr: f64,
    /// σ of the glacier-wide mean (m/yr), eq. 4.8.
    pub sigma_dhdt_m_yr: f64,
    /// Specific mass balance (m w.e./yr), eq. 4.5.
    pub b_mwe_yr: f64,
    /// Its uncertainty (m w.e./yr), eq. 4.7.
    pub sigma_b_mwe_yr: f64,
    /// Number of effective samples of the measured part.
    pub n_eff: f64,
    /// Centroid (map x, y; m).
    pub centroid: [f64; 2],
    /// Median elevation of the glacier (m).
    pub median_elevation_m: f64,
    /// GP validation RMSE (m/yr), for the GP fill.
    pub gp_validation_rmse: Option<f64>,
    /// The along-glacier height-change pattern.
    pub pattern: Option<PatternProfile>,
}

impl GlacierResult {
    pub(crate) fn empty(info: GlacierInfo, status: GlacierStatus) -> Self {
        GlacierResult {
            info,
            status,
            n_pixels: 0,
            n_measured: 0,
            n_filled: 0,
            n_unfilled: 0,
            area_m2: 0.0,
            sigma_area_m2: 0.0,
            coverage: 0.0,
            mean_measured_m_yr: f64::NAN,
            mean_filled_m_yr: f64::NAN,
            mean_dhdt_m_yr: f64::NAN,
            sigma_measured_m_yr: f64::NAN,
            sigma_filled_m_yr: f64::NAN,
            sigma_dhdt_m_yr: f64::NAN,
            b_mwe_yr: f64::NAN,
            sigma_b_mwe_yr: f64::NAN,
            n_eff: f64::NAN,
            centroid: [f64::NAN, f64::NAN],
            median_elevation_m: f64::NAN,
            gp_validation_rmse: None,
            pattern: None,
        }
    }
}

/// The inputs of [`process_glaciers`], all on one projected grid.
#[derive(Debug, Clone, Copy)]
pub struct GlacierInputs<'a> {
    /// dh/dt (m/yr), NaN voids.
    pub dhdt: &'a Raster<f64>,
    /// Reference DEM (m).
    pub dem: &'a Raster<f64>,
    /// Slope of the reference DEM (degrees).
    pub slope_deg: &'a Raster<f64>,
    /// Aspect of the reference DEM (degrees).
    pub aspect_deg: &'a Raster<f64>,
    /// Glacier labels (0 = none).
    pub labels: &'a Raster<u32>,
    /// One entry per glacier.
    pub glaciers: &'a [GlacierInfo],
    /// The dh/dt error model.
    pub error_model: &'a ErrorModel,
}

/// The products of [`process_glaciers`].
#[derive(Debug, Clone, PartialEq)]
pub struct GlacierProducts {
    /// dh/dt with the voids of processed glaciers filled (m/yr).
    pub filled: Raster<f64>,
    /// Per-pixel σ of dh/dt on processed glaciers (m/yr): σ(slope) on
    /// measured pixels, the GP latent predictive std or band NMAD on filled
    /// ones; NaN elsewhere.
    pub sigma: Raster<f64>,
    /// One row per input glacier, in input order.
    pub glaciers: Vec<GlacierResult>,
}

struct Patch {
    r0: usize,
    c0: usize,
    filled: Array2<f64>,
    sigma: Array2<f64>,
}

/// Process every glacier (in parallel with the `rayon` feature).
///
/// # Errors
/// Grid mismatches, a geographic grid, invalid parameters, duplicate or
/// zero labels in `glaciers`, [`MbError::EmptyInput`] for no glacier, and a
/// regional hypsometric curve without any measured glacier pixel.
pub fn process_glaciers(
    inputs: &GlacierInputs<'_>,
    params: &GlacierParams,
) -> Result<GlacierProducts> {
    process_impl(inputs, params, cfg!(feature = "rayon"), None)
}

/// As [`process_glaciers`], calling `progress` once after each glacier is
/// done (from the worker threads, in completion order), e.g. to advance a
/// progress bar.
///
/// # Errors
/// As [`process_glaciers`].
pub fn process_glaciers_with_progress(
    inputs: &GlacierInputs<'_>,
    params: &GlacierParams,
    progress: &(dyn Fn() + Sync),
) -> Result<GlacierProducts> {
    process_impl(inputs, params, cfg!(feature = "rayon"), Some(progress))
}

/// The regional hypsometric curve of [`FillMethod::Hypsometric`] with the
/// error it makes for one glacier.
struct RegionalCurve {
    curve: HypsometricCurve,
    /// The between-glacier error model, see [`between_glacier_model`].
    between: BetweenGlacier,
}

/// Random-coefficient model of the glaciers' departures from the regional
/// hypsometric curve: glacier `g`'s residual `dh/dt − curve(h)` is
/// `a_g + b_g·(h − h̄_g)` (h̄_g its measured pixels' mean elevation), with
/// `a_g`, `b_g` spread over the region with the root mean squares
/// `sigma_offset` (m/yr) and `sigma_gradient` (m/yr per m).
#[derive(Debug, Clone, Copy, Default)]
struct BetweenGlacier {
    sigma_offset: f64,
    sigma_gradient: f64,
}

impl BetweenGlacier {
    /// σ (m/yr) of the regional curve's error at elevation `h` for a
    /// glacier whose measured pixels' mean elevation is `h_mean`.
    fn sigma_at(&self, h: f64, h_mean: f64) -> f64 {
        let d = if h.is_finite() && h_mean.is_finite() {
            h - h_mean
        } else {
            0.0
        };
        self.sigma_offset.hypot(self.sigma_gradient * d)
    }
}

/// The error of the regional hypsometric curve for one glacier's void.
/// Glaciers of a region differ in dh/dt at the same elevation (surge type,
/// debris, aspect, size) and in their mass-balance gradient, so one curve
/// for all misses each glacier by that glacier's own departure, shared by
/// all its void pixels. Each glacier with ≥ 10 measured pixels gives the
/// least-squares line `a_g + b_g·(h − h̄_g)` of its measured residuals
/// `dh/dt − curve(h)`; the root mean squares of `a_g` and `b_g` over those
/// glaciers are the spread a void of any glacier may have (a
/// random-coefficient model, [`BetweenGlacier`]); zero with fewer than two
/// such glaciers (no spread can be estimated). Found by the CLI test of
/// issue 12: with four glaciers of different dh/dt, a glacier with a
/// quarter of its area void had z ≈ 8.7 with the band NMAD alone.
fn between_glacier_model(
    curve: &HypsometricCurve,
    labels: &Raster<u32>,
    dem: &Raster<f64>,
    dhdt: &Raster<f64>,
    index: &std::collections::HashMap<u32, usize>,
) -> BetweenGlacier {
    // per glacier: n, Σh, Σr, Σh², Σh·r with h relative to `h0` (numerics)
    let h0 = curve.bands.first().map_or(0.0, |b| b.elevation_m);
    let mut acc = vec![[0.0f64; 5]; index.len()];
    for ((l, h), v) in labels
        .data
        .iter()
        .zip(dem.data.iter())
        .zip(dhdt.data.iter())
    {
        if *l == 0 || !v.is_finite() || !h.is_finite() {
            continue;
        }
        if let Some(&i) = index.get(l) {
            let p = curve.predict(*h);
            if p.is_finite() {
                let (x, r) = (h - h0, v - p);
                let a = &mut acc[i];
                a[0] += 1.0;
                a[1] += x;
                a[2] += r;
                a[3] += x * x;
                a[4] += x * r;
            }
        }
    }
    let (mut so, mut sg, mut n) = (0.0, 0.0, 0usize);
    for a in acc.iter().filter(|a| a[0] >= 10.0) {
        let offset = a[2] / a[0];
        let sxx = a[3] - a[1] * a[1] / a[0];
        let sxr = a[4] - a[1] * a[2] / a[0];
        let gradient = if sxx > 0.0 { sxr / sxx } else { 0.0 };
        so += offset * offset;
        sg += gradient * gradient;
        n += 1;
    }
    if n < 2 {
        return BetweenGlacier::default();
    }
    BetweenGlacier {
        sigma_offset: (so / n as f64).sqrt(),
        sigma_gradient: (sg / n as f64).sqrt(),
    }
}

fn process_impl(
    inputs: &GlacierInputs<'_>,
    params: &GlacierParams,
    parallel: bool,
    progress: Option<&(dyn Fn() + Sync)>,
) -> Result<GlacierProducts> {
    params.check()?;
    let GlacierInputs {
        dhdt,
        dem,
        slope_deg,
        aspect_deg,
        labels,
        glaciers,
        ..
    } = *inputs;
    dhdt.ensure_same_grid(dem)?;
    dhdt.ensure_same_grid(slope_deg)?;
    dhdt.ensure_same_grid(aspect_deg)?;
    dhdt.ensure_same_grid(labels)?;
    if glaciers.is_empty() {
        return Err(MbError::EmptyInput("no glacier to process".into()));
    }
    let px = pixel_size(dhdt)?;
    let pixel_area = px.0 * px.1;
    // label → index, and per-glacier bounding boxes
    let mut index = std::collections::HashMap::with_capacity(glaciers.len());
    for (i, g) in glaciers.iter().enumerate() {
        if g.label == 0 {
            return Err(MbError::param(
                "glaciers",
                format!("glacier {} has label 0, which means 'no glacier'", g.id),
            ));
        }
        if index.insert(g.label, i).is_some() {
            return Err(MbError::param(
                "glaciers",
                format!("label {} is used twice", g.label),
            ));
        }
    }
    let mut bbox = vec![(usize::MAX, 0usize, usize::MAX, 0usize, 0usize); glaciers.len()];
    for ((r, c), l) in labels.data.indexed_iter() {
        if *l != 0 {
            if let Some(&i) = index.get(l) {
                let b = &mut bbox[i];
                b.0 = b.0.min(r);
                b.1 = b.1.max(r);
                b.2 = b.2.min(c);
                b.3 = b.3.max(c);
                b.4 += 1;
            }
        }
    }
    let regional_curve = match &params.fill {
        FillMethod::Hypsometric { band_m, statistic } => Some(HypsometricCurve::fit(
            labels
                .data
                .iter()
                .zip(dem.data.iter().zip(dhdt.data.iter()))
                .filter(|(l, _)| **l != 0 && index.contains_key(*l))
                .map(|(_, (h, v))| (*h, *v)),
            *band_m,
            *statistic,
        )?),
        _ => None,
    };
    let regional_curve = regional_curve.map(|curve| {
        let between = between_glacier_model(&curve, labels, dem, dhdt, &index);
        RegionalCurve { curve, between }
    });
    let one = |i: usize| -> (GlacierResult, Option<Patch>) {
        let r = process_one(
            inputs,
            params,
            &glaciers[i],
            bbox[i],
            px,
            pixel_area,
            regional_curve.as_ref(),
        );
        if let Some(p) = progress {
            p();
        }
        r
    };
    let out: Vec<(GlacierResult, Option<Patch>)> = if parallel {
        #[cfg(feature = "rayon")]
        {
            (0..glaciers.len()).into_par_iter().map(one).collect()
        }
        #[cfg(not(feature = "rayon"))]
        {
            (0..glaciers.len()).map(one).collect()
        }
    } else {
        (0..glaciers.len()).map(one).collect()
    };
    let mut filled = dhdt.data.clone();
    let mut sigma = Array2::from_elem(dhdt.shape(), f64::NAN);
    let mut rows = Vec::with_capacity(out.len());
    for (res, patch) in out {
        if let Some(p) = patch {
            let (h, w) = p.filled.dim();
            let label = res.info.label;
            for r in 0..h {
                for c in 0..w {
                    if labels.data[[p.r0 + r, p.c0 + c]] == label {
                        filled[[p.r0 + r, p.c0 + c]] = p.filled[[r, c]];
                        sigma[[p.r0 + r, p.c0 + c]] = p.sigma[[r, c]];
                    }
                }
            }
        }
        rows.push(res);
    }
    Ok(GlacierProducts {
        filled: Raster::new(filled, dhdt.grid.clone())?,
        sigma: Raster::new(sigma, dhdt.grid.clone())?,
        glaciers: rows,
    })
}

#[allow(clippy::too_many_arguments)]
fn process_one(
    inputs: &GlacierInputs<'_>,
    params: &GlacierParams,
    info: &GlacierInfo,
    bbox: (usize, usize, usize, usize, usize),
    px: (f64, f64),
    pixel_area: f64,
    regional_curve: Option<&RegionalCurve>,
) -> (GlacierResult, Option<Patch>) {
    let mut res = GlacierResult::empty(info.clone(), GlacierStatus::Ok);
    let (r0, r1, c0, c1, n) = bbox;
    if n == 0 {
        res.status = GlacierStatus::NotOnGrid;
        return (res, None);
    }
    let win = s![r0..=r1, c0..=c1];
    let lab = inputs.labels.data.slice(win);
    let dh = inputs.dhdt.data.slice(win);
    let dem = inputs.dem.data.slice(win);
    let slope = inputs.slope_deg.data.slice(win);
    let grid = &inputs.dhdt.grid;
    let inside = lab.mapv(|l| l == info.label);
    // descriptive statistics
    let mut n_meas = 0usize;
    let (mut sx, mut sy) = (0.0, 0.0);
    let mut elev = Vec::with_capacity(n);
    let mut meas_sum = 0.0;
    for ((r, c), &m) in inside.indexed_iter() {
        if m {
            let (x, y) = grid.pixel_center(r0 + r, c0 + c);
            sx += x;
            sy += y;
            elev.push(dem[[r, c]]);
            if dh[[r, c]].is_finite() {
                n_meas += 1;
                meas_sum += dh[[r, c]];
            }
        }
    }
    res.n_pixels = n;
    res.n_measured = n_meas;
    res.area_m2 = n as f64 * pixel_area;
    res.sigma_area_m2 = params.area_sigma_fraction * res.area_m2;
    res.coverage = n_meas as f64 / n as f64;
    res.centroid = [sx / n as f64, sy / n as f64];
    res.median_elevation_m = stats::median(elev).unwrap_or(f64::NAN);
    if n_meas > 0 {
        res.mean_measured_m_yr = meas_sum / n_meas as f64;
    }
    if res.area_m2 < params.min_area_km2 * 1e6 {
        res.status = GlacierStatus::TooSmall;
        return (res, None);
    }
    if n_meas == 0 {
        res.status = GlacierStatus::NoMeasuredPixel;
        return (res, None);
    }
    if res.coverage < params.min_coverage {
        res.status = GlacierStatus::LowCoverage;
        return (res, None);
    }
    // per-pixel σ on measured pixels
    let em = inputs.error_model;
    let fallback = em.stable.nmad;
    let mut sigma = Array2::from_elem(inside.dim(), f64::NAN);
    for ((idx, &m), s) in inside.indexed_iter().zip(slope.iter()) {
        if m && dh[idx].is_finite() {
            let v = em.heteroscedasticity.sigma(&[*s]);
            sigma[idx] = if v.is_finite() && v > 0.0 {
                v
            } else {
                fallback
            };
        }
    }
    match em.mean_error(sigma.view(), px) {
        Ok(me) => {
            res.sigma_measured_m_yr = me.standard_error;
            res.n_eff = me.n_eff;
        }
        Err(e) => {
            res.status = GlacierStatus::UncertaintyFailed(e.to_string());
            return (res, None);
        }
    }
    // fill
    let mut filled = Array2::from_elem(inside.dim(), f64::NAN);
    for (idx, &m) in inside.indexed_iter() {
        if m {
            filled[idx] = dh[idx];
        }
    }
    let n_void = n - n_meas;
    let mut sigma_void = 0.0;
    // σ(slope) of the DEM error on the void pixels (used by the GP path)
    let mut sigma_err_void = Array2::from_elem(inside.dim(), f64::NAN);
    if n_void > 0 {
        for ((idx, &m), s) in inside.indexed_iter().zip(slope.iter()) {
            if m && !dh[idx].is_finite() {
                let v = em.heteroscedasticity.sigma(&[*s]);
                sigma_err_void[idx] = if v.is_finite() && v > 0.0 {
                    v
                } else {
                    fallback
                };
            }
        }
    }
    if n_void > 0 {
        let fill_result = fill_voids(
            inputs,
            params,
            info,
            (r0, r1, c0, c1),
            &inside,
            &mut filled,
            &mut sigma,
            regional_curve,
        );
        match fill_result {
            Ok((sv, rmse)) => {
                sigma_void = sv;
                res.gp_validation_rmse = rmse;
            }
            Err(e) => {
                res.status = GlacierStatus::FillFailed(e.to_string());
                return (res, None);
            }
        }
    }
    let mut n_filled = 0usize;
    let mut fsum = 0.0;
    let mut wsum = 0.0;
    let mut nw = 0usize;
    for ((idx, &m), v) in inside.indexed_iter().zip(filled.iter()) {
        if m && v.is_finite() {
            wsum += v;
            nw += 1;
            if !dh[idx].is_finite() {
                n_filled += 1;
                fsum += v;
            }
        }
    }
    res.n_filled = n_filled;
    res.n_unfilled = n_void - n_filled;
    res.mean_filled_m_yr = if n_filled > 0 {
        fsum / n_filled as f64
    } else {
        f64::NAN
    };
    res.sigma_filled_m_yr = if n_filled > 0 { sigma_void } else { f64::NAN };
    res.mean_dhdt_m_yr = wsum / nw as f64;
    let sig = if n_filled > 0 {
        // Every fill (GP or hypsometric) is computed from measured dh/dt:
        // the filled values carry the DEM error of the measurements
        // they are conditioned on, correlated with that of the measured part
        // (the GP's latent surface includes the correlated DEM error). The
        // DEM error is propagated over every measured and filled pixel by
        // eq. 4.11; the GP's own interpolation error (eq. 4.13) is added for
        // the void area. See the module docs.
        for ((idx, e), v) in sigma_err_void.indexed_iter_mut().zip(filled.iter()) {
            if !v.is_finite() {
                *e = f64::NAN;
            } else if inside[idx] && dh[idx].is_finite() {
                *e = sigma[idx];
            }
        }
        let all = em.mean_error(sigma_err_void.view(), px);
        // the void part on its own, for the table
        for ((idx, e), &m) in sigma_err_void.indexed_iter_mut().zip(inside.iter()) {
            if m && dh[idx].is_finite() {
                *e = f64::NAN;
            }
        }
        let void_err = em.mean_error(sigma_err_void.view(), px);
        match (all, void_err) {
            (Ok(a), Ok(v)) => {
                let fv = n_filled as f64 / nw as f64;
                res.sigma_filled_m_yr = v.standard_error.hypot(sigma_void);
                // per-pixel σ of filled pixels: DEM error and GP std
                for (s, e) in sigma.iter_mut().zip(sigma_err_void.iter()) {
                    if e.is_finite() && s.is_finite() {
                        *s = s.hypot(*e);
                    }
                }
                glacier_mass_balance(
                    res.mean_dhdt_m_yr,
                    a.standard_error.hypot(fv * sigma_void),
                    params.density,
                )
            }
            (Err(e), _) | (_, Err(e)) => {
                res.status = GlacierStatus::UncertaintyFailed(e.to_string());
                return (res, None);
            }
        }
    } else {
        combine_measured_void(
            n_meas as f64 * pixel_area,
            res.sigma_measured_m_yr,
            n_filled as f64 * pixel_area,
            if n_filled > 0 { sigma_void } else { 0.0 },
        )
        .and_then(|s| glacier_mass_balance(res.mean_dhdt_m_yr, s, params.density))
    };
    match sig {
        Ok(mb) => {
            res.sigma_dhdt_m_yr = mb.sigma_dh_m_yr;
            res.b_mwe_yr = mb.b_mwe_yr;
            res.sigma_b_mwe_yr = mb.sigma_b_mwe_yr;
        }
        Err(e) => {
            res.status = GlacierStatus::UncertaintyFailed(e.to_string());
            return (res, None);
        }
    }
    res.pattern = classify_pattern(
        inside
            .iter()
            .zip(dem.iter().zip(filled.iter()))
            .filter(|(m, _)| **m)
            .map(|(_, (h, v))| (*h, *v)),
        &params.pattern,
    )
    .ok();
    (
        res,
        Some(Patch {
            r0,
            c0,
            filled,
            sigma,
        }),
    )
}

/// Fill the voids of one glacier window; returns (σ of the void mean,
/// GP validation RMSE).
#[allow(clippy::too_many_arguments)]
fn fill_voids(
    inputs: &GlacierInputs<'_>,
    params: &GlacierParams,
    info: &GlacierInfo,
    (r0, r1, c0, c1): (usize, usize, usize, usize),
    inside: &Array2<bool>,
    filled: &mut Array2<f64>,
    sigma: &mut Array2<f64>,
    regional_curve: Option<&RegionalCurve>,
) -> Result<(f64, Option<f64>)> {
    let (h, w) = inside.dim();
    let dem = inputs.dem.data.slice(s![r0..=r1, c0..=c1]);
    match &params.fill {
        FillMethod::Gp(gp) => {
            let crop = |r: &Raster<f64>| r.crop_window(r0, c0, h, w);
            let dh = crop(inputs.dhdt)?;
            let demr = crop(inputs.dem)?;
            let sl = crop(inputs.slope_deg)?;
            let asp = crop(inputs.aspect_deg)?;
            let mask = Raster::new(inside.mapv(u8::from), dh.grid.clone())?;
            let gp = gp.as_ref().clone().seed(u64::from(info.label));
            let f = gp_voidfill::fill_glacier_with_terrain(&gp, &dh, &demr, &sl, &asp, &mask)?;
            // extrapolation in elevation: the error of the flat continuation
            // of the glacier's own hypsometric curve (see the module docs)
            let curve = HypsometricCurve::fit(
                inside
                    .iter()
                    .zip(dem.iter().zip(dh.data.iter()))
                    .filter(|(m, _)| **m)
                    .map(|(_, (hh, v))| (*hh, *v)),
                GP_EXTRAPOLATION_BAND_M,
                BandStatistic::Median,
            )?;
            let (mut ext_sum, mut n_ext) = (0.0, 0usize);
            for (idx, &m) in inside.indexed_iter() {
                if m && !dh.data[idx].is_finite() && f.filled.data[idx].is_finite() {
                    let ext = curve.extrapolation_sigma(dem[idx]);
                    filled[idx] = f.filled.data[idx];
                    sigma[idx] = f.latent_std.data[idx].hypot(ext);
                    ext_sum += ext;
                    n_ext += 1;
                }
            }
            let ext_mean = if n_ext > 0 {
                ext_sum / n_ext as f64
            } else {
                0.0
            };
            let sv = f.void_mean.map(|v| v.std_error).unwrap_or(0.0);
            Ok((sv.hypot(ext_mean), Some(f.report.validation.rmse)))
        }
        FillMethod::Hypsometric { .. } | FillMethod::LocalHypsometric { .. } => {
            let local;
            // the regional curve's error for this glacier: the spread of the
            // glaciers' own departures from it (see `between_glacier_model`)
            let mut between = BetweenGlacier::default();
            let curve = match (&params.fill, regional_curve) {
                (FillMethod::Hypsometric { .. }, Some(c)) => {
                    between = c.between;
                    &c.curve
                }
                (FillMethod::LocalHypsometric { band_m, statistic }, _) => {
                    local = HypsometricCurve::fit(
                        inside
                            .iter()
                            .zip(dem.iter().zip(filled.iter()))
                            .filter(|(m, _)| **m)
                            .map(|(_, (hh, v))| (*hh, *v)),
                        *band_m,
                        *statistic,
                    )?;
                    &local
                }
                _ => return Err(MbError::EmptyInput("no regional hypsometric curve".into())),
            };
            // mean elevation of the glacier's measured pixels
            let (mut hs, mut hn) = (0.0, 0usize);
            for ((&m, h), v) in inside.iter().zip(dem.iter()).zip(filled.iter()) {
                if m && v.is_finite() && h.is_finite() {
                    hs += h;
                    hn += 1;
                }
            }
            let h_mean = if hn > 0 { hs / hn as f64 } else { f64::NAN };
            let mut hv = 0.0;
            let mut ssum = 0.0;
            let mut n = 0usize;
            for (idx, &m) in inside.indexed_iter() {
                if m && !filled[idx].is_finite() {
                    let v = curve.predict(dem[idx]);
                    if v.is_finite() {
                        filled[idx] = v;
                        // band dispersion ⊕ error of the flat continuation
                        // beyond the measured elevation range
                        let ext = curve.extrapolation_sigma(dem[idx]);
                        let sn = match curve.nmad_at(dem[idx]) {
                            nm if nm.is_finite() => nm.hypot(ext),
                            _ if ext > 0.0 => ext,
                            _ => f64::NAN,
                        };
                        // the pixel's σ shows the between-glacier term at
                        // its own elevation
                        sigma[idx] = sn.hypot(between.sigma_at(dem[idx], h_mean));
                        if sn.is_finite() {
                            ssum += sn;
                            hv += dem[idx];
                            n += 1;
                        }
                    }
                }
            }
            if n == 0 {
                return Ok((0.0, None));
            }
            // the between-glacier error of the void mean: the line at the
            // void's mean elevation (see `between_glacier_model`)
            let b = between.sigma_at(hv / n as f64, h_mean);
            Ok(((ssum / n as f64).hypot(b), None))
        }
    }
}

/// As [`process_glaciers`] but one glacier after the other on the calling
/// thread (the reference the parallel path is tested against; GP fits keep
/// their own internal parallelism).
///
/// # Errors
/// As [`process_glaciers`].
pub fn process_glaciers_serial(
    inputs: &GlacierInputs<'_>,
    params: &GlacierParams,
) -> Result<GlacierProducts> {
    process_impl(inputs, params, false, None)
}
