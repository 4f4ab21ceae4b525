//! The dh/dt error model from stable terrain (thesis sect. 4.3.3.2), built
//! on the `uncertainty` crate: stable-terrain bias and NMAD,
//! heteroscedasticity against slope (σ(α) = a·e^{bα} + c fitted to the NMAD
//! of 1° slope bins, eq. 4.17), standardisation z = dh/dt / σ (eq. 4.9)
//! with xdem's two-step rescaling, the Dowd empirical variogram of z
//! (eq. 4.10) and a Gaussian + Spherical fit. [`ErrorModel::mean_error`]
//! propagates it to the error of a spatial mean (eq. 4.11, exact double sum
//! by FFT on the pixel grid).

use ndarray::ArrayView2;
use sar_core::Raster;
use uncertainty::{
    binned_statistics, fit_variogram, propagate_mean_error_grid, sample_empirical_variogram,
    standardize, two_step_factor, Bins, EmpiricalVariogram, ExponentialFitParams,
    HeteroscedasticityModel, MeanError, StableStatistics, VariogramFitParams, VariogramModel,
    VariogramParams,
};

use crate::error::{MbError, Result};

/// How the dispersion depends on slope.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HeteroscedasticityKind {
    /// σ(α) = a·e^{bα} + c (thesis eq. 4.17).
    Exponential(ExponentialFitParams),
    /// xdem's interpolated binned NMAD, bins with at least `min_count` pixels.
    Interpolant {
        /// Minimum pixels per slope bin.
        min_count: usize,
    },
    /// No heteroscedasticity: σ = stable-terrain NMAD everywhere.
    Constant,
}

/// Parameters of [`ErrorModel::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorModelParams {
    slope_bin_deg: f64,
    max_slope_deg: f64,
    heteroscedasticity: HeteroscedasticityKind,
    outlier_spread: Option<f64>,
    variogram: VariogramParams,
    fit: VariogramFitParams,
}

impl Default for ErrorModelParams {
    /// 1° slope bins up to 90° and the exponential curve (thesis sect.
    /// 4.3.3.2; bins need 100 pixels, xdem's default), two-step
    /// standardisation discarding |z| > 7 NMAD (xdem's default), Dowd
    /// variogram with xdem's bins and 10 000 pairs per bin, Gaussian +
    /// Spherical fit (the `uncertainty` defaults).
    fn default() -> Self {
        ErrorModelParams {
            slope_bin_deg: 1.0,
            max_slope_deg: 90.0,
            heteroscedasticity: HeteroscedasticityKind::Exponential(ExponentialFitParams::default()),
            outlier_spread: Some(7.0),
            variogram: VariogramParams::default(),
            fit: VariogramFitParams::default(),
        }
    }
}

impl ErrorModelParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Slope bin width (degrees).
    pub fn slope_bin_deg(mut self, v: f64) -> Self {
        self.slope_bin_deg = v;
        self
    }
    /// Upper edge of the slope bins (degrees).
    pub fn max_slope_deg(mut self, v: f64) -> Self {
        self.max_slope_deg = v;
        self
    }
    /// Heteroscedasticity model.
    pub fn heteroscedasticity(mut self, v: HeteroscedasticityKind) -> Self {
        self.heteroscedasticity = v;
        self
    }
    /// Outlier spread of the two-step standardisation (`None` keeps all).
    pub fn outlier_spread(mut self, v: Option<f64>) -> Self {
        self.outlier_spread = v;
        self
    }
    /// Empirical-variogram sampling parameters.
    pub fn variogram(mut self, v: VariogramParams) -> Self {
        self.variogram = v;
        self
    }
    /// Variogram-fit parameters.
    pub fn fit(mut self, v: VariogramFitParams) -> Self {
        self.fit = v;
        self
    }
    /// Validate.
    ///
    /// # Errors
    /// [`MbError::InvalidParameter`] naming the parameter.
    pub fn check(&self) -> Result<()> {
        if !(self.slope_bin_deg > 0.0 && self.slope_bin_deg.is_finite()) {
            return Err(MbError::param("slope_bin_deg", "must be finite and > 0"));
        }
        if !(self.max_slope_deg > self.slope_bin_deg && self.max_slope_deg <= 90.0) {
            return Err(MbError::param(
                "max_slope_deg",
                "must exceed one bin and be ≤ 90",
            ));
        }
        self.variogram.check()?;
        self.fit.check()?;
        Ok(())
    }
}

/// The fitted error model of a dh/dt map.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorModel {
    /// Stable-terrain median (bias) and NMAD of dh/dt (m/yr).
    pub stable: StableStatistics,
    /// σ(slope) (m/yr), already rescaled by the two-step factor.
    pub heteroscedasticity: HeteroscedasticityModel,
    /// The two-step factor that was applied.
    pub two_step_factor: f64,
    /// The empirical variogram of z.
    pub empirical: EmpiricalVariogram,
    /// The fitted variogram of z (standardised; its correlation is used).
    pub variogram: VariogramModel,
}

impl ErrorModel {
    /// Fit the model on `dhdt` (m/yr) over `stable` pixels, with `slope_deg`
    /// from the reference DEM, on a projected grid.
    ///
    /// # Errors
    /// Grid/shape mismatches; [`MbError::NoStableTerrain`] without stable
    /// pixels; the `uncertainty` errors of each step (too few bins, a
    /// degenerate field, a failed fit).
    pub fn fit(
        dhdt: &Raster<f64>,
        slope_deg: &Raster<f64>,
        stable: ArrayView2<'_, bool>,
        params: &ErrorModelParams,
    ) -> Result<Self> {
        params.check()?;
        dhdt.ensure_same_grid(slope_deg)?;
        if stable.dim() != dhdt.shape() {
            return Err(sar_core::SarError::ShapeMismatch {
                what: "stable-terrain mask".into(),
                expected: dhdt.shape(),
                found: stable.dim(),
            }
            .into());
        }
        let n_stable = dhdt
            .data
            .iter()
            .zip(stable.iter())
            .filter(|(v, &s)| s && v.is_finite())
            .count();
        if n_stable == 0 {
            return Err(MbError::NoStableTerrain(
                "no stable pixel with a finite dh/dt for the error model".into(),
            ));
        }
        let st = uncertainty::stable_statistics(dhdt.view(), Some(stable))?;
        let slope_bins = || {
            Ok::<_, MbError>(binned_statistics(
                dhdt.view(),
                &[slope_deg.view()],
                &[Bins::width(
                    0.0,
                    params.max_slope_deg,
                    params.slope_bin_deg,
                )?],
                Some(stable),
            )?)
        };
        let het = match &params.heteroscedasticity {
            HeteroscedasticityKind::Constant => HeteroscedasticityModel::interpolant(
                &binned_statistics(
                    dhdt.view(),
                    &[slope_deg.view()],
                    &[Bins::Edges(vec![-1.0, 91.0])],
                    Some(stable),
                )?,
                1,
            )?,
            HeteroscedasticityKind::Exponential(p) => {
                HeteroscedasticityModel::fit_exponential(&slope_bins()?, p)?
            }
            HeteroscedasticityKind::Interpolant { min_count } => {
                HeteroscedasticityModel::interpolant(&slope_bins()?, *min_count)?
            }
        };
        let sigma = het.sigma_raster(&[slope_deg.view()])?;
        let z = standardize(dhdt.view(), sigma.view())?;
        let factor = two_step_factor(z.view(), Some(stable), params.outlier_spread)?;
        let het = het.scaled(factor);
        let z = z.mapv(|v| v / factor);
        let px = pixel_size(dhdt)?;
        let emp = sample_empirical_variogram(z.view(), px, Some(stable), &params.variogram)?;
        let fit = fit_variogram(&emp, &params.fit)?;
        Ok(ErrorModel {
            stable: st,
            heteroscedasticity: het,
            two_step_factor: factor,
            empirical: emp,
            variogram: fit.model,
        })
    }

    /// A model from known parts (for simulations and user-supplied models).
    pub fn from_parts(
        stable: StableStatistics,
        heteroscedasticity: HeteroscedasticityModel,
        variogram: VariogramModel,
    ) -> Self {
        ErrorModel {
            stable,
            heteroscedasticity,
            two_step_factor: 1.0,
            empirical: EmpiricalVariogram {
                lower_m: vec![],
                upper_m: vec![],
                mean_lag_m: vec![],
                gamma: vec![],
                count: vec![],
                std_err: vec![],
                estimator: uncertainty::Estimator::Dowd,
            },
            variogram,
        }
    }

    /// The per-pixel σ of dh/dt (m/yr) from the slope (degrees).
    ///
    /// # Errors
    /// Shape mismatch.
    pub fn sigma_raster(&self, slope_deg: &Raster<f64>) -> Result<Raster<f64>> {
        let s = self.heteroscedasticity.sigma_raster(&[slope_deg.view()])?;
        Ok(Raster::new(s, slope_deg.grid.clone())?)
    }

    /// The error of the mean over the pixels where `sigma` is finite (m/yr),
    /// by the exact double sum of eq. 4.11 with this model's correlation.
    ///
    /// # Errors
    /// No finite pixel; all σ zero; invalid pixel size.
    pub fn mean_error(
        &self,
        sigma: ArrayView2<'_, f64>,
        pixel_size_m: (f64, f64),
    ) -> Result<MeanError> {
        Ok(propagate_mean_error_grid(
            sigma,
            pixel_size_m,
            &self.variogram,
        )?)
    }
}

/// Metric pixel size (dx, dy) of a projected grid.
///
/// # Errors
/// [`MbError::InvalidParameter`] for a geographic grid.
pub fn pixel_size(r: &Raster<f64>) -> Result<(f64, f64)> {
    if r.grid.crs.geographic {
        return Err(MbError::param(
            "grid",
            "the uncertainty propagation needs a projected (metric) grid; reproject to a projected CRS first",
        ));
    }
    let (w, h) = r.grid.pixel_size_map();
    Ok((w.abs(), h.abs()))
}
