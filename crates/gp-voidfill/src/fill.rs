//! Filling the voids of one glacier's dh/dt raster.

use ndarray::{Array1, Array2, Axis};
use sar_core::terrain::{slope_aspect, GradientMethod};
use sar_core::Raster;

use crate::data::glacier_features;
use crate::error::Result;
use crate::hypsometric::Hypsometric;
use crate::model::{FitReport, GpVoidFill, VoidMean};

/// The filled glacier.
#[derive(Debug, Clone)]
pub struct GlacierFill {
    /// dh/dt with the glacier voids filled by the GP mean (m/yr); measured
    /// pixels keep their value; NaN outside the glacier.
    pub filled: Raster<f64>,
    /// Latent predictive standard deviation of the filled pixels (m/yr): the
    /// error of the filled value as an estimate of the true dh/dt. 0 on
    /// measured pixels (no filling, as in thesis Fig. 4.8), NaN outside.
    pub latent_std: Raster<f64>,
    /// Observation predictive standard deviation of the filled pixels
    /// (m/yr), $\sqrt{\sigma_f^2 + \sigma_n^2}$: the spread of a measurement
    /// at the pixel around the filled value (use it to check the fill
    /// against independent measurements). 0 on measured pixels, NaN outside.
    pub observation_std: Raster<f64>,
    /// Mean of the void region and its standard error (eq. 4.13, from the
    /// latent covariance); `None` when the glacier has no voids.
    pub void_mean: Option<VoidMean>,
    /// Training report (held-out metrics, iterations, hyper-parameters).
    pub report: FitReport,
    /// Number of void pixels filled.
    pub n_void: usize,
    /// Glacier pixels left NaN because elevation or slope was missing.
    pub n_skipped: usize,
}

/// Fills the voids of `dhdt` (NaN = void) inside `mask` (non-zero = glacier)
/// with a GP on features from the reference `dem` (slope and aspect by
/// [`sar_core::terrain::slope_aspect`], Horn's method).
///
/// # Errors
/// Grid mismatches, too few measured pixels, a constant dh/dt, and the
/// errors of [`GpVoidFill::fit`].
pub fn fill_glacier(
    params: &GpVoidFill,
    dhdt: &Raster<f64>,
    dem: &Raster<f64>,
    mask: &Raster<u8>,
) -> Result<GlacierFill> {
    let sa = slope_aspect(dem, GradientMethod::Horn)?;
    fill_glacier_with_terrain(params, dhdt, dem, &sa.slope, &sa.aspect, mask)
}

/// As [`fill_glacier`] with precomputed slope and aspect (degrees).
///
/// # Errors
/// As [`fill_glacier`].
pub fn fill_glacier_with_terrain(
    params: &GpVoidFill,
    dhdt: &Raster<f64>,
    dem: &Raster<f64>,
    slope_deg: &Raster<f64>,
    aspect_deg: &Raster<f64>,
    mask: &Raster<u8>,
) -> Result<GlacierFill> {
    dem.ensure_same_grid(dhdt)?;
    let gf = glacier_features(dem, slope_deg, aspect_deg, mask)?;
    let (meas, void): (Vec<usize>, Vec<usize>) = (0..gf.pixels.len())
        .partition(|&i| dhdt.data[[gf.pixels[i].0, gf.pixels[i].1]].is_finite());
    let xm = gf.features.select(Axis(0), &meas);
    let ym = Array1::from_iter(
        meas.iter()
            .map(|&i| dhdt.data[[gf.pixels[i].0, gf.pixels[i].1]]),
    );
    let model = params.fit(xm.view(), ym.view())?;
    let mut filled = Array2::from_elem(dhdt.shape(), f64::NAN);
    let mut latent = Array2::from_elem(dhdt.shape(), f64::NAN);
    let mut obs = Array2::from_elem(dhdt.shape(), f64::NAN);
    for &i in &meas {
        let (r, c) = gf.pixels[i];
        filled[[r, c]] = dhdt.data[[r, c]];
        latent[[r, c]] = 0.0;
        obs[[r, c]] = 0.0;
    }
    let void_mean = if void.is_empty() {
        None
    } else {
        let xv = gf.features.select(Axis(0), &void);
        let p = model.predict(xv.view())?;
        for (k, &i) in void.iter().enumerate() {
            let (r, c) = gf.pixels[i];
            filled[[r, c]] = p.mean[k];
            latent[[r, c]] = p.latent_std[k];
            obs[[r, c]] = p.observation_std[k];
        }
        Some(model.void_mean(xv.view())?)
    };
    Ok(GlacierFill {
        filled: Raster::new(filled, dhdt.grid.clone())?,
        latent_std: Raster::new(latent, dhdt.grid.clone())?,
        observation_std: Raster::new(obs, dhdt.grid.clone())?,
        void_mean,
        report: model.report().clone(),
        n_void: void.len(),
        n_skipped: gf.skipped,
    })
}

/// Hypsometric baseline: fills the glacier voids of `dhdt` with the mean
/// dh/dt of their `band_m`-wide elevation band.
///
/// # Errors
/// Grid mismatches; no measured glacier pixel; invalid band width.
pub fn hypsometric_fill(
    dhdt: &Raster<f64>,
    dem: &Raster<f64>,
    mask: &Raster<u8>,
    band_m: f64,
) -> Result<Raster<f64>> {
    dem.ensure_same_grid(dhdt)?;
    dem.ensure_same_grid(mask)?;
    let mut h = Vec::new();
    let mut t = Vec::new();
    for ((hv, tv), m) in dem.data.iter().zip(dhdt.data.iter()).zip(mask.data.iter()) {
        if *m != 0 {
            h.push(*hv);
            t.push(*tv);
        }
    }
    let model = Hypsometric::fit(Array1::from(h).view(), Array1::from(t).view(), band_m)?;
    let mut out = Array2::from_elem(dhdt.shape(), f64::NAN);
    for ((o, (hv, tv)), m) in out
        .iter_mut()
        .zip(dem.data.iter().zip(dhdt.data.iter()))
        .zip(mask.data.iter())
    {
        if *m != 0 {
            *o = if tv.is_finite() {
                *tv
            } else {
                model.predict(*hv)
            };
        }
    }
    Ok(Raster::new(out, dhdt.grid.clone())?)
}
