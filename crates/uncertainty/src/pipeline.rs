//! The default path from dh (or dh/dt) + slope + a stable-terrain mask to
//! the error of a glacier mean: two-step standardisation
//! ([`standardize_two_step`]), then the variogram of the standardised error
//! and its fit ([`infer_error_model`]), then propagation over any area
//! ([`ErrorModel::mean_error`]).
//!
//! # Two-step standardisation (thesis eq. 4.9, Hugonnet et al. 2022)
//! 1. On stable terrain, bin dh by the explanatory variables (slope, and
//!    optionally curvature …) and model the NMAD per bin: the thesis's
//!    exponential σ(α) = a·e^{bα} + c in 1° slope bins (eq. 4.17,
//!    [`Dispersion::Exponential`], the default) or xdem's interpolated
//!    binned NMAD ([`Dispersion::Binned`]).
//! 2. Standardise z = dh/σ (eq. 4.9), then rescale by the NMAD of z over
//!    stable terrain after dropping |z| > 7·NMAD (xdem's
//!    `two_step_standardization`): σ ← f·σ, z ← z/f with f = NMAD(z), so
//!    that the stable-terrain NMAD of z is exactly 1 and σ is the error
//!    standard deviation of a pixel (the NMAD of a normal variable is its
//!    standard deviation).
//!
//! z is returned on every pixel (stable or not) where dh and σ are finite;
//! outliers are *not* removed from it (the Dowd estimator is robust to
//! them, as in xdem's `infer_spatial_correlation_from_stable`).

use ndarray::{Array2, ArrayView2};

use crate::error::{Result, UncertaintyError};
use crate::fit::{fit_variogram, VariogramFit, VariogramFitParams};
use crate::hetero::{standardize, two_step_factor, ExponentialFitParams, HeteroscedasticityModel};
use crate::propagate::{propagate_mean_error_grid, MeanError};
use crate::stable::{binned_statistics, BinnedStatistics, Bins};
use crate::variogram::{sample_empirical_variogram, EmpiricalVariogram, VariogramParams};

/// How the dispersion is modelled against the explanatory variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dispersion {
    /// σ(x₀) = a·e^{b·x₀} + c of the first explanatory variable (thesis eq.
    /// 4.17), fitted to the binned NMAD; default bins 1° wide from 0 to 90
    /// (slope in degrees, thesis sect. 4.3.3.2).
    #[default]
    Exponential,
    /// xdem's linear interpolant of the binned NMAD (any number of
    /// variables); default bins: 10 equal-width bins per variable (xdem's
    /// `list_var_bins=None`).
    Binned,
}

/// Parameters of [`standardize_two_step`].
#[derive(Debug, Clone, PartialEq)]
pub struct StandardizeParams {
    dispersion: Dispersion,
    bins: Option<Vec<Bins>>,
    min_count: usize,
    fac_spread_outliers: Option<f64>,
}

impl Default for StandardizeParams {
    /// Exponential dispersion (thesis eq. 4.17) in 1° bins, bins with at
    /// least 100 samples and outliers beyond 7·NMAD left out of the rescaling
    /// (both xdem 0.2.3 defaults).
    fn default() -> Self {
        StandardizeParams {
            dispersion: Dispersion::Exponential,
            bins: None,
            min_count: 100,
            fac_spread_outliers: Some(7.0),
        }
    }
}

impl StandardizeParams {
    /// The dispersion model.
    pub fn dispersion(mut self, d: Dispersion) -> Self {
        self.dispersion = d;
        self
    }
    /// Bins of each explanatory variable (`None`: the dispersion's default).
    pub fn bins(mut self, b: Vec<Bins>) -> Self {
        self.bins = Some(b);
        self
    }
    /// Minimum samples for a bin to be used.
    pub fn min_count(mut self, n: usize) -> Self {
        self.min_count = n;
        self
    }
    /// Outlier limit of the rescaling in NMADs of z (`None` keeps all).
    pub fn fac_spread_outliers(mut self, f: Option<f64>) -> Self {
        self.fac_spread_outliers = f;
        self
    }
    /// Validate against the number of explanatory variables.
    ///
    /// # Errors
    /// [`UncertaintyError::InvalidParameter`] for `min_count == 0`, a
    /// non-positive or non-finite outlier factor, bins that do not match the
    /// explanatory variables, or the exponential with other than one
    /// variable.
    pub fn check(&self, n_explanatory: usize) -> Result<()> {
        if self.min_count == 0 {
            return Err(UncertaintyError::param("min_count", "must be ≥ 1"));
        }
        if let Some(f) = self.fac_spread_outliers {
            if !(f.is_finite() && f > 0.0) {
                return Err(UncertaintyError::param(
                    "fac_spread_outliers",
                    "must be finite and > 0",
                ));
            }
        }
        if n_explanatory == 0 {
            return Err(UncertaintyError::param(
                "explanatory",
                "need at least one explanatory raster (slope)",
            ));
        }
        if self.dispersion == Dispersion::Exponential && n_explanatory != 1 {
            return Err(UncertaintyError::param(
                "dispersion",
                format!(
                    "the exponential model takes exactly one explanatory raster (slope), got {n_explanatory}; use Dispersion::Binned"
                ),
            ));
        }
        if let Some(b) = &self.bins {
            if b.len() != n_explanatory {
                return Err(UncertaintyError::LengthMismatch {
                    what: "bins (one per explanatory raster)",
                    expected: n_explanatory,
                    found: b.len(),
                });
            }
        }
        Ok(())
    }
}

/// The result of [`standardize_two_step`].
#[derive(Debug, Clone, PartialEq)]
pub struct Standardized {
    /// Standardised error z = dh/σ (dimensionless), NaN where dh or σ is not
    /// finite; its stable-terrain NMAD (after the outlier cut) is 1.
    pub z: Array2<f64>,
    /// Per-pixel error standard deviation σ (unit of dh), already rescaled.
    pub sigma: Array2<f64>,
    /// The dispersion model, already rescaled by [`Standardized::factor`]:
    /// evaluate it on other pixels (glaciers) with the same variables.
    pub model: HeteroscedasticityModel,
    /// The second-step factor f (NMAD of the first-step z on stable terrain).
    pub factor: f64,
    /// The binned stable-terrain statistics the model was fitted to.
    pub binned: BinnedStatistics,
}

fn check_shapes(dh: (usize, usize), others: &[(&'static str, (usize, usize))]) -> Result<()> {
    for &(what, d) in others {
        if d != dh {
            return Err(sar_core::SarError::ShapeMismatch {
                what: what.into(),
                expected: dh,
                found: d,
            }
            .into());
        }
    }
    Ok(())
}

/// Two-step standardisation of `dh` against `explanatory` rasters (slope in
/// degrees first) over `stable` terrain (see the module docs).
///
/// # Errors
/// Invalid parameters, shape mismatches, too few stable samples per bin
/// ([`UncertaintyError::TooFewBins`]), a failed exponential fit, or a zero
/// dispersion.
///
/// # Example
/// ```
/// use ndarray::Array2;
/// use uncertainty::{standardize_two_step, StandardizeParams};
/// // dh with σ = 0.1 + 0.01·slope m/yr and a deterministic pseudo-noise
/// let slope = Array2::from_shape_fn((200, 200), |(r, c)| ((r * 7 + c * 13) % 60) as f64);
/// let noise = Array2::from_shape_fn((200, 200), |(r, c)| {
///     let x = ((r * 200 + c) as f64 * 0.618_033_988_75).fract();
///     // inverse normal CDF of x by a logistic approximation
///     (x / (1.0 - x)).ln() / 1.702
/// });
/// let dh = &noise * &slope.mapv(|s| 0.1 + 0.01 * s);
/// let stable = Array2::from_elem((200, 200), true);
/// let st = standardize_two_step(dh.view(), &[slope.view()], stable.view(),
///                               &StandardizeParams::default())?;
/// let s = uncertainty::stable_statistics(st.z.view(), None)?;
/// assert!((s.nmad - 1.0).abs() < 0.02);
/// # Ok::<(), uncertainty::UncertaintyError>(())
/// ```
pub fn standardize_two_step(
    dh: ArrayView2<'_, f64>,
    explanatory: &[ArrayView2<'_, f64>],
    stable: ArrayView2<'_, bool>,
    params: &StandardizeParams,
) -> Result<Standardized> {
    params.check(explanatory.len())?;
    let mut shapes = vec![("stable mask", stable.dim())];
    shapes.extend(explanatory.iter().map(|e| ("explanatory raster", e.dim())));
    check_shapes(dh.dim(), &shapes)?;
    let bins = match (&params.bins, params.dispersion) {
        (Some(b), _) => b.clone(),
        (None, Dispersion::Exponential) => vec![Bins::width(0.0, 90.0, 1.0)?],
        (None, Dispersion::Binned) => vec![Bins::Count(10); explanatory.len()],
    };
    let binned = binned_statistics(dh, explanatory, &bins, Some(stable))?;
    let model = match params.dispersion {
        Dispersion::Exponential => HeteroscedasticityModel::fit_exponential(
            &binned,
            &ExponentialFitParams::default().min_count(params.min_count),
        )?,
        Dispersion::Binned => HeteroscedasticityModel::interpolant(&binned, params.min_count)?,
    };
    let sigma1 = model.sigma_raster(explanatory)?;
    let z1 = standardize(dh, sigma1.view())?;
    let factor = two_step_factor(z1.view(), Some(stable), params.fac_spread_outliers)?;
    let model = model.scaled(factor);
    Ok(Standardized {
        z: z1.mapv(|v| v / factor),
        sigma: sigma1.mapv(|s| s * factor),
        model,
        factor,
        binned,
    })
}

/// Parameters of [`infer_error_model`]: one set per step, each with its own
/// documented defaults.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorModelParams {
    /// Step 1: two-step standardisation.
    pub standardize: StandardizeParams,
    /// Step 2: empirical variogram of z over stable terrain.
    pub variogram: VariogramParams,
    /// Step 3: fit of the sum of models.
    pub fit: VariogramFitParams,
}

/// The inferred error model of a dh map: heteroscedasticity and spatial
/// correlation, ready to propagate to the mean of any area.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorModel {
    /// The standardisation (z, σ, the rescaled dispersion model).
    pub standardized: Standardized,
    /// The empirical variogram of z over stable terrain.
    pub empirical: EmpiricalVariogram,
    /// The fitted variogram of z.
    pub fit: VariogramFit,
    /// Pixel size (dx, dy) in metres.
    pub pixel_size_m: (f64, f64),
}

/// The default pipeline: [`standardize_two_step`], then
/// [`sample_empirical_variogram`] of z over `stable`, then
/// [`fit_variogram`] (thesis sect. 4.3.3.2).
///
/// The calibration harness (`examples/calibration.rs`, crate docs) scores
/// exactly this function with default parameters.
///
/// # Errors
/// Any error of the three steps.
pub fn infer_error_model(
    dh: ArrayView2<'_, f64>,
    explanatory: &[ArrayView2<'_, f64>],
    stable: ArrayView2<'_, bool>,
    pixel_size_m: (f64, f64),
    params: &ErrorModelParams,
) -> Result<ErrorModel> {
    let standardized = standardize_two_step(dh, explanatory, stable, &params.standardize)?;
    let empirical = sample_empirical_variogram(
        standardized.z.view(),
        pixel_size_m,
        Some(stable),
        &params.variogram,
    )?;
    let fit = fit_variogram(&empirical, &params.fit)?;
    Ok(ErrorModel {
        standardized,
        empirical,
        fit,
        pixel_size_m,
    })
}

impl ErrorModel {
    /// The error of the mean dh over the *measured* pixels of an area (the
    /// part 𝓜 of eq. 4.8): pixels where `area` is `true` and dh and σ are
    /// finite, with σ from the model's own σ raster, by the exact double sum
    /// of eq. 4.11 on the FFT grid.
    ///
    /// # Errors
    /// Shape mismatch, an empty area, see [`propagate_mean_error_grid`].
    pub fn mean_error(&self, area: ArrayView2<'_, bool>) -> Result<MeanError> {
        check_shapes(self.standardized.sigma.dim(), &[("area mask", area.dim())])?;
        let mut s = self.standardized.sigma.clone();
        ndarray::Zip::from(&mut s)
            .and(&area)
            .and(&self.standardized.z)
            .for_each(|v, &inside, z| {
                if !(inside && z.is_finite()) {
                    *v = f64::NAN;
                }
            });
        propagate_mean_error_grid(s.view(), self.pixel_size_m, &self.fit.model)
    }
}
