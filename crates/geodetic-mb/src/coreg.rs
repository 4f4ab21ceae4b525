//! Co-registration of a DEM to a reference DEM over stable terrain
//! (thesis sect. 4.3.2.1, Table 4.1): Nuth & Kääb (2011), a vertical shift
//! and a polynomial deramp (order ≤ 2; seed 001's off-glacier bilinear
//! ramp), as composable steps.
//!
//! # Sign convention
//!
//! All steps look at the elevation difference `dh = source − reference`
//! (metres) on the reference grid. The Nuth & Kääb shift `(dx, dy, dz)`
//! (metres; `dx` towards east, `dy` towards north, `dz` up) describes where
//! the source lies relative to the reference:
//!
//! source(x, y) ≈ reference(x − dx, y − dy) + dz,
//!
//! i.e. a feature at `(x, y)` in the reference appears at `(x + dx, y + dy)`
//! in the source, `dz` higher. Applying the shift resamples the source at the
//! displaced positions and removes the vertical offset:
//!
//! corrected(x, y) = source(x + dx, y + dy) − dz,
//!
//! so that the shift found for source → reference, applied to the source,
//! reduces its misfit to the reference (tested in this module).
//!
//! # Nuth & Kääb (2011)
//!
//! For a small displacement d, dh ≈ −∇z_ref · d + dz. With the terrain slope
//! α and aspect ψ (downslope azimuth, clockwise from north), −∇z_ref =
//! tan α (sin ψ, cos ψ), hence
//!
//! dh / tan α = a·cos(b − ψ) + c,  a = |d|, b = azimuth of d, c = dz / tan α.
//!
//! Since a·cos(b − ψ) = dy·cos ψ + dx·sin ψ, the fit is linear in
//! (dx, dy, c): the median of (dh − median(dh))/tan α is taken in aspect
//! bins (default 72 bins of 5°, as xdem's bin-and-fit), and the bin medians
//! are fitted by least squares at the bin centres. The source is shifted by
//! the accumulated displacement (bilinear, sub-pixel) and the fit repeated
//! until the step is below `tolerance_px` (default 0.01 px) or
//! `max_iterations` (default 10, xdem's default) is reached; the vertical
//! shift is the median of dh over the stable terrain after the last shift.
//! Slope and aspect come from the reference DEM
//! ([`sar_core::terrain::gradient`], Zevenbergen–Thorne central differences
//! by default, as xdem's `np.gradient`).
//!
//! # References
//! * Nuth, C., Kääb, A. (2011). Co-registration and bias corrections of
//!   satellite elevation data sets for quantifying glacier thickness change.
//!   The Cryosphere 5, 271–290.

use ndarray::Zip;
use ndarray::{Array2, ArrayView2};
#[cfg(feature = "rayon")]
use sar_core::linalg::{solve_dense, Singularity};
use sar_core::terrain::{gradient, GradientMethod};
use sar_core::{stats, Raster};
use serde::Serialize;

use crate::error::{MbError, Result};

/// Median, NMAD, mean and standard deviation of `source − reference` over
/// stable terrain (thesis Table 4.1), in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DhStatistics {
    /// Number of stable pixels where both DEMs are valid.
    pub count: usize,
    /// Median (m).
    pub median_m: f64,
    /// NMAD (m).
    pub nmad_m: f64,
    /// Mean (m).
    pub mean_m: f64,
    /// Standard deviation (m, ddof 0).
    pub std_m: f64,
}

fn check_mask(mask: Option<ArrayView2<'_, bool>>, shape: (usize, usize)) -> Result<()> {
    if let Some(m) = mask {
        if m.dim() != shape {
            return Err(sar_core::SarError::ShapeMismatch {
                what: "stable-terrain mask".into(),
                expected: shape,
                found: m.dim(),
            }
            .into());
        }
    }
    Ok(())
}

/// Statistics of `source − reference` over the pixels where `stable` is true
/// (all pixels if `None`) and both are finite.
///
/// # Errors
/// Grid or mask mismatch; [`MbError::NoOverlap`] if no such pixel exists.
pub fn stable_dh_statistics(
    reference: &Raster<f64>,
    source: &Raster<f64>,
    stable: Option<ArrayView2<'_, bool>>,
) -> Result<DhStatistics> {
    reference.ensure_same_grid(source)?;
    check_mask(stable, reference.shape())?;
    let v = stable_dh_values(reference.view(), source.view(), stable);
    let s = stats::Summary::of(v).ok_or_else(|| {
        MbError::NoOverlap(
            "no stable pixel where both the reference and the source DEM are valid".into(),
        )
    })?;
    Ok(DhStatistics {
        count: s.count,
        median_m: s.median,
        nmad_m: s.nmad,
        mean_m: s.mean,
        std_m: s.std,
    })
}

fn stable_dh_values(
    reference: ArrayView2<'_, f64>,
    source: ArrayView2<'_, f64>,
    stable: Option<ArrayView2<'_, bool>>,
) -> Vec<f64> {
    let mut v = Vec::new();
    for ((idx, r), s) in reference.indexed_iter().zip(source.iter()) {
        if stable.map_or(true, |m| m[idx]) {
            let d = s - r;
            if d.is_finite() {
                v.push(d);
            }
        }
    }
    v
}

/// The source resampled at positions displaced by `(dx_m, dy_m)` metres:
/// `out(x, y) = src(x + dx, y + dy)` by bilinear interpolation of the four
/// nearest pixel centres. A target pixel is NaN when any of the four
/// neighbours with a positive weight is NaN or outside the raster (no
/// extrapolation, no renormalisation: a DEM edge stays an edge).
///
/// # Errors
/// Non-finite shift; a degenerate geotransform.
pub fn shift_bilinear(src: &Raster<f64>, dx_m: f64, dy_m: f64) -> Result<Raster<f64>> {
    if !(dx_m.is_finite() && dy_m.is_finite()) {
        return Err(MbError::param("shift", "dx and dy must be finite"));
    }
    let g = &src.grid;
    // pixel-space displacement of a map displacement (dx, dy): the inverse
    // of the linear part of the geotransform.
    let (c0, r0) = g.map_to_pixel(0.0, 0.0)?;
    let (c1, r1) = g.map_to_pixel(dx_m, dy_m)?;
    let (dc, dr) = (c1 - c0, r1 - r0);
    let (rows, cols) = src.shape();
    let data = &src.data;
    let sample = |r: usize, c: usize| -> f64 {
        let fc = c as f64 + dc;
        let fr = r as f64 + dr;
        let c0f = fc.floor();
        let r0f = fr.floor();
        if c0f < 0.0 || r0f < 0.0 || fc > (cols - 1) as f64 || fr > (rows - 1) as f64 {
            return f64::NAN;
        }
        let (ci, ri) = (c0f as usize, r0f as usize);
        let (tc, tr) = (fc - c0f, fr - r0f);
        let mut acc = 0.0;
        for (rr, cc, w) in [
            (ri, ci, (1.0 - tr) * (1.0 - tc)),
            (ri, ci + 1, (1.0 - tr) * tc),
            (ri + 1, ci, tr * (1.0 - tc)),
            (ri + 1, ci + 1, tr * tc),
        ] {
            if w > 0.0 {
                let v = data[[rr, cc]];
                if !v.is_finite() {
                    return f64::NAN;
                }
                acc += w * v;
            }
        }
        acc
    };
    let mut out = Array2::from_elem((rows, cols), f64::NAN);
    if rows > 0 && cols > 0 {
        #[cfg(feature = "rayon")]
        Zip::indexed(&mut out).par_for_each(|(r, c), o| *o = sample(r, c));
        #[cfg(not(feature = "rayon"))]
        out.indexed_iter_mut()
            .for_each(|((r, c), o)| *o = sample(r, c));
    }
    Ok(Raster::new(out, src.grid.clone())?.with_nodata(src.nodata))
}

/// Parameters of the Nuth & Kääb (2011) step (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct NuthKaab {
    max_iterations: usize,
    tolerance_px: f64,
    aspect_bins: usize,
    min_bin_count: usize,
    min_slope_deg: f64,
    max_slope_deg: f64,
    gradient: GradientMethod,
}

impl Default for NuthKaab {
    /// 10 iterations at most and a 0.01 px tolerance (xdem's maximum
    /// iterations; a tighter tolerance than its 0.001 m-free default does not
    /// change the result by more than 0.01 px), 72 aspect bins of 5° with at
    /// least 5 pixels each, slopes between 1° (tan α in the denominator) and
    /// 70° (layover-prone cells), central-difference slope/aspect.
    fn default() -> Self {
        NuthKaab {
            max_iterations: 10,
            tolerance_px: 0.01,
            aspect_bins: 72,
            min_bin_count: 5,
            min_slope_deg: 1.0,
            max_slope_deg: 70.0,
            gradient: GradientMethod::ZevenbergenThorne,
        }
    }
}

macro_rules! setter {
    ($(#[$m:meta])* $name:ident: $t:ty) => {
        $(#[$m])*
        pub fn $name(mut self, v: $t) -> Self {
            self.$name = v;
            self
        }
    };
}

impl NuthKaab {
    /// The defaults (see [`Default`]).
    pub fn new() -> Self {
        Self::default()
    }
    setter!(
        /// Maximum number of iterations (≥ 1).
        max_iterations: usize
    );
    setter!(
        /// Stop when the horizontal step is below this many pixels (> 0).
        tolerance_px: f64
    );
    setter!(
        /// Number of aspect bins over 360° (≥ 3).
        aspect_bins: usize
    );
    setter!(
        /// Minimum pixels in an aspect bin for it to enter the fit (≥ 1).
        min_bin_count: usize
    );
    setter!(
        /// Pixels flatter than this (degrees) are left out (tan α → 0).
        min_slope_deg: f64
    );
    setter!(
        /// Pixels steeper than this (degrees) are left out.
        max_slope_deg: f64
    );
    setter!(
        /// Gradient stencil for slope and aspect of the reference.
        gradient: GradientMethod
    );

    /// Validate the parameters.
    ///
    /// # Errors
    /// [`MbError::InvalidParameter`] naming the offending parameter.
    pub fn check(&self) -> Result<()> {
        if self.max_iterations == 0 {
            return Err(MbError::param("max_iterations", "must be ≥ 1"));
        }
        if !(self.tolerance_px.is_finite() && self.tolerance_px > 0.0) {
            return Err(MbError::param("tolerance_px", "must be finite and > 0"));
        }
        if self.aspect_bins < 3 {
            return Err(MbError::param("aspect_bins", "need at least 3 bins"));
        }
        if self.min_bin_count == 0 {
            return Err(MbError::param("min_bin_count", "must be ≥ 1"));
        }
        if !(self.min_slope_deg >= 0.0
            && self.max_slope_deg <= 90.0
            && self.min_slope_deg < self.max_slope_deg)
        {
            return Err(MbError::param(
                "min_slope_deg/max_slope_deg",
                "need 0 ≤ min < max ≤ 90 degrees",
            ));
        }
        Ok(())
    }
}

/// The result of a Nuth & Kääb fit (see the [module docs](self) for the
/// sign convention).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NuthKaabFit {
    /// Eastward displacement of the source relative to the reference (m).
    pub dx_m: f64,
    /// Northward displacement (m).
    pub dy_m: f64,
    /// Vertical offset of the source (m).
    pub dz_m: f64,
    /// Eastward displacement in pixels of the reference grid.
    pub dx_px: f64,
    /// Northward displacement in pixels (positive = north).
    pub dy_px: f64,
    /// Iterations run.
    pub iterations: usize,
    /// Whether the last step was below the tolerance.
    pub converged: bool,
    /// Length of the last horizontal step (pixels).
    pub last_step_px: f64,
    /// Pixels used in the fit.
    pub n_pixels: usize,
}

/// A polynomial surface of `dh` in map coordinates (order 0, 1 or 2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DerampFit {
    /// Polynomial order.
    pub order: usize,
    /// Coefficients (m) of 1, x̃, ỹ, x̃², x̃ỹ, ỹ² (as many as the order
    /// needs), with x̃ = (x − x0)/scale, ỹ = (y − y0)/scale.
    pub coefficients: Vec<f64>,
    /// Centre x0 (map units).
    pub x0: f64,
    /// Centre y0 (map units).
    pub y0: f64,
    /// Normalisation scale (map units).
    pub scale: f64,
}

impl DerampFit {
    /// The ramp value (m) at map point `(x, y)`.
    pub fn eval(&self, x: f64, y: f64) -> f64 {
        let xs = (x - self.x0) / self.scale;
        let ys = (y - self.y0) / self.scale;
        let terms = [1.0, xs, ys, xs * xs, xs * ys, ys * ys];
        self.coefficients
            .iter()
            .zip(terms.iter())
            .map(|(c, t)| c * t)
            .sum()
    }
}

/// One co-registration step, to be fitted.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CoregStep {
    /// Nuth & Kääb (2011) horizontal + vertical shift.
    NuthKaab(NuthKaab),
    /// The median of `dh` over stable terrain is removed.
    VerticalShift,
    /// A polynomial of `dh` in x, y (order ≤ 2; 1 is seed 001's off-glacier
    /// bilinear ramp) is fitted by least squares over stable terrain
    /// (one pass of 3-NMAD outlier rejection) and removed.
    Deramp {
        /// Polynomial order, 0 to 2.
        order: usize,
    },
}

/// A fitted co-registration step: its parameters; [`FittedStep::apply`]
/// applies it to a DEM.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub enum FittedStep {
    /// A Nuth & Kääb shift.
    NuthKaab(NuthKaabFit),
    /// A vertical shift (m), removed from the source.
    VerticalShift {
        /// Vertical offset of the source (m).
        dz_m: f64,
    },
    /// A polynomial ramp, removed from the source.
    Deramp(DerampFit),
}

impl FittedStep {
    /// Apply the step to `source` (see the [module docs](self) for signs).
    ///
    /// # Errors
    /// A degenerate geotransform.
    pub fn apply(&self, source: &Raster<f64>) -> Result<Raster<f64>> {
        match self {
            FittedStep::NuthKaab(f) => {
                let mut out = shift_bilinear(source, f.dx_m, f.dy_m)?;
                out.data.mapv_inplace(|v| v - f.dz_m);
                Ok(out)
            }
            FittedStep::VerticalShift { dz_m } => Ok(source.map(|v| v - dz_m)),
            FittedStep::Deramp(d) => {
                let mut out = source.clone();
                for ((r, c), v) in out.data.indexed_iter_mut() {
                    let (x, y) = source.grid.pixel_center(r, c);
                    *v -= d.eval(x, y);
                }
                Ok(out)
            }
        }
    }
}

/// Slope tangent and aspect (radians, downslope azimuth clockwise from
/// north) of the reference, from its metric gradient.
fn slope_tan_aspect(
    reference: &Raster<f64>,
    method: GradientMethod,
) -> Result<(Array2<f64>, Array2<f64>)> {
    let g = gradient(reference, method)?;
    let mut tan = Array2::from_elem(reference.shape(), f64::NAN);
    let mut asp = Array2::from_elem(reference.shape(), f64::NAN);
    for (((t, a), e), n) in tan
        .iter_mut()
        .zip(asp.iter_mut())
        .zip(g.east.data.iter())
        .zip(g.north.data.iter())
    {
        if e.is_finite() && n.is_finite() {
            *t = e.hypot(*n);
            *a = (-e).atan2(-n).rem_euclid(std::f64::consts::TAU);
        }
    }
    Ok((tan, asp))
}

/// Least squares of `y ≈ Σ β_j f_j` from rows of features `f` (with weights).
fn least_squares(rows: &[(Vec<f64>, f64, f64)], p: usize) -> Option<Vec<f64>> {
    let mut ata = vec![0.0; p * p];
    let mut aty = vec![0.0; p];
    for (f, y, w) in rows {
        for i in 0..p {
            aty[i] += w * f[i] * y;
            for j in 0..p {
                ata[i * p + j] += w * f[i] * f[j];
            }
        }
    }
    solve_dense(ata, aty, Singularity::Relative(1e-12))
}

fn fit_nuth_kaab(
    params: &NuthKaab,
    reference: &Raster<f64>,
    source: &Raster<f64>,
    stable: Option<ArrayView2<'_, bool>>,
) -> Result<NuthKaabFit> {
    params.check()?;
    if reference.grid.crs.geographic {
        return Err(MbError::param(
            "reference",
            "Nuth & Kääb needs a projected (metric) grid; reproject both DEMs to a projected CRS (e.g. UTM) first",
        ));
    }
    let (tan, asp) = slope_tan_aspect(reference, params.gradient)?;
    let tmin = params.min_slope_deg.to_radians().tan();
    let tmax = params.max_slope_deg.to_radians().tan();
    let mut use_px: Vec<(usize, usize)> = Vec::new();
    for ((idx, t), a) in tan.indexed_iter().zip(asp.iter()) {
        if stable.map_or(true, |m| m[idx])
            && t.is_finite()
            && a.is_finite()
            && *t >= tmin
            && *t <= tmax
            && reference.data[idx].is_finite()
        {
            use_px.push(idx);
        }
    }
    if use_px.is_empty() {
        return Err(MbError::NoStableTerrain(format!(
            "no stable pixel with a slope between {}° and {}° for Nuth & Kääb",
            params.min_slope_deg, params.max_slope_deg
        )));
    }
    let (pw, ph) = reference.grid.pixel_size_map();
    let px = 0.5 * (pw.abs() + ph.abs());
    let nb = params.aspect_bins;
    let bw = std::f64::consts::TAU / nb as f64;
    let (mut dx, mut dy) = (0.0, 0.0);
    let mut last_step = f64::INFINITY;
    let mut iterations = 0;
    let mut converged = false;
    let mut dh = Vec::with_capacity(use_px.len());
    let mut bins: Vec<Vec<f64>> = vec![Vec::new(); nb];
    let mut n_used = 0;
    for it in 0..params.max_iterations {
        iterations = it + 1;
        let shifted = shift_bilinear(source, dx, dy)?;
        dh.clear();
        for &idx in &use_px {
            dh.push(shifted.data[idx] - reference.data[idx]);
        }
        let mut buf: Vec<f64> = dh.iter().copied().filter(|v| v.is_finite()).collect();
        let vshift = stats::median_inplace(&mut buf).ok_or_else(|| {
            MbError::NoOverlap(format!(
                "after a shift of ({dx:.2}, {dy:.2}) m no stable pixel overlaps the reference"
            ))
        })?;
        bins.iter_mut().for_each(Vec::clear);
        n_used = 0;
        for (k, &idx) in use_px.iter().enumerate() {
            let d = dh[k];
            if d.is_finite() {
                let b = ((asp[idx] / bw).floor() as usize).min(nb - 1);
                bins[b].push((d - vshift) / tan[idx]);
                n_used += 1;
            }
        }
        let mut rows = Vec::with_capacity(nb);
        for (b, v) in bins.iter_mut().enumerate() {
            if v.len() >= params.min_bin_count {
                if let Some(m) = stats::median_inplace(v) {
                    let psi = (b as f64 + 0.5) * bw;
                    rows.push((vec![psi.cos(), psi.sin(), 1.0], m, 1.0));
                }
            }
        }
        if rows.len() < 3 {
            return Err(MbError::NoStableTerrain(format!(
                "only {} aspect bins hold {} stable pixels; Nuth & Kääb needs at least 3 aspects",
                rows.len(),
                params.min_bin_count
            )));
        }
        let beta = least_squares(&rows, 3).ok_or_else(|| {
            MbError::NoStableTerrain(
                "the stable terrain's aspects do not constrain the horizontal shift".into(),
            )
        })?;
        let (step_y, step_x) = (beta[0], beta[1]);
        dx += step_x;
        dy += step_y;
        last_step = step_x.hypot(step_y) / px;
        if last_step < params.tolerance_px {
            converged = true;
            break;
        }
    }
    let shifted = shift_bilinear(source, dx, dy)?;
    let mut v = stable_dh_values(reference.view(), shifted.view(), stable);
    let dz = stats::median_inplace(&mut v).ok_or_else(|| {
        MbError::NoOverlap("no stable pixel overlaps after the horizontal shift".into())
    })?;
    let (c0, r0) = reference.grid.map_to_pixel(0.0, 0.0)?;
    let (c1, r1) = reference.grid.map_to_pixel(dx, dy)?;
    Ok(NuthKaabFit {
        dx_m: dx,
        dy_m: dy,
        dz_m: dz,
        dx_px: c1 - c0,
        dy_px: -(r1 - r0),
        iterations,
        converged,
        last_step_px: last_step,
        n_pixels: n_used,
    })
}

fn fit_deramp(
    order: usize,
    reference: &Raster<f64>,
    source: &Raster<f64>,
    stable: Option<ArrayView2<'_, bool>>,
) -> Result<DerampFit> {
    if order > 2 {
        return Err(MbError::param("order", "deramp order must be 0, 1 or 2"));
    }
    let p = [1, 3, 6][order];
    let g = &reference.grid;
    let (xmin, ymin, xmax, ymax) = g.bounds();
    let (x0, y0) = (0.5 * (xmin + xmax), 0.5 * (ymin + ymax));
    let scale = (0.5 * (xmax - xmin).max(ymax - ymin)).max(f64::MIN_POSITIVE);
    let mut pts: Vec<(f64, f64, f64)> = Vec::new();
    for ((idx, r), s) in reference.data.indexed_iter().zip(source.data.iter()) {
        if stable.map_or(true, |m| m[idx]) {
            let d = s - r;
            if d.is_finite() {
                let (x, y) = g.pixel_center(idx.0, idx.1);
                pts.push(((x - x0) / scale, (y - y0) / scale, d));
            }
        }
    }
    if pts.len() < 3 * p {
        return Err(MbError::NoStableTerrain(format!(
            "{} stable pixels are too few for an order-{order} ramp (need {})",
            pts.len(),
            3 * p
        )));
    }
    let feats = |x: f64, y: f64| -> Vec<f64> { [1.0, x, y, x * x, x * y, y * y][..p].to_vec() };
    let fit = |keep: &dyn Fn(f64, f64, f64) -> bool| -> Option<Vec<f64>> {
        let rows: Vec<(Vec<f64>, f64, f64)> = pts
            .iter()
            .filter(|(x, y, d)| keep(*x, *y, *d))
            .map(|&(x, y, d)| (feats(x, y), d, 1.0))
            .collect();
        least_squares(&rows, p)
    };
    let singular = || {
        MbError::NoStableTerrain("stable pixels do not span the area: the ramp is singular".into())
    };
    let c1 = fit(&|_, _, _| true).ok_or_else(singular)?;
    let res: Vec<f64> = pts
        .iter()
        .map(|&(x, y, d)| d - feats(x, y).iter().zip(&c1).map(|(f, c)| f * c).sum::<f64>())
        .collect();
    let med = stats::median(res.iter().copied()).unwrap_or(0.0);
    let nm = stats::nmad(res.iter().copied()).unwrap_or(0.0);
    let coefficients = if nm > 0.0 {
        let lim = 3.0 * nm;
        fit(&|x, y, d| {
            let r = d - feats(x, y).iter().zip(&c1).map(|(f, c)| f * c).sum::<f64>();
            (r - med).abs() <= lim
        })
        .unwrap_or(c1)
    } else {
        c1
    };
    Ok(DerampFit {
        order,
        coefficients,
        x0,
        y0,
        scale,
    })
}

impl CoregStep {
    /// Fit this step to bring `source` onto `reference` over `stable`
    /// terrain (`None`: every pixel is stable).
    ///
    /// # Errors
    /// Grid/mask mismatches, invalid parameters,
    /// [`MbError::NoStableTerrain`] or [`MbError::NoOverlap`] when the
    /// stable terrain cannot constrain the step.
    pub fn fit(
        &self,
        reference: &Raster<f64>,
        source: &Raster<f64>,
        stable: Option<ArrayView2<'_, bool>>,
    ) -> Result<FittedStep> {
        reference.ensure_same_grid(source)?;
        check_mask(stable, reference.shape())?;
        match self {
            CoregStep::NuthKaab(p) => {
                fit_nuth_kaab(p, reference, source, stable).map(FittedStep::NuthKaab)
            }
            CoregStep::VerticalShift => {
                let mut v = stable_dh_values(reference.view(), source.view(), stable);
                let dz = stats::median_inplace(&mut v).ok_or_else(|| {
                    MbError::NoStableTerrain(
                        "no stable pixel where both DEMs are valid for the vertical shift".into(),
                    )
                })?;
                Ok(FittedStep::VerticalShift { dz_m: dz })
            }
            CoregStep::Deramp { order } => {
                fit_deramp(*order, reference, source, stable).map(FittedStep::Deramp)
            }
        }
    }
}

/// A co-registration pipeline: steps fitted and applied in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Coregistration {
    steps: Vec<CoregStep>,
}

impl Default for Coregistration {
    /// Nuth & Kääb with its defaults (thesis sect. 4.3.2.1).
    fn default() -> Self {
        Coregistration {
            steps: vec![CoregStep::NuthKaab(NuthKaab::default())],
        }
    }
}

/// The outcome of a [`Coregistration`].
#[derive(Debug, Clone, PartialEq)]
pub struct CoregResult {
    /// The co-registered source on the reference grid (m).
    pub corrected: Raster<f64>,
    /// The fitted steps, in order.
    pub steps: Vec<FittedStep>,
    /// Stable-terrain statistics of `source − reference` before.
    pub before: DhStatistics,
    /// … and after co-registration (thesis Table 4.1).
    pub after: DhStatistics,
}

impl Coregistration {
    /// An empty pipeline; add steps with [`Coregistration::step`].
    pub fn empty() -> Self {
        Coregistration { steps: Vec::new() }
    }

    /// Append a step (builder style).
    pub fn step(mut self, s: CoregStep) -> Self {
        self.steps.push(s);
        self
    }

    /// The steps.
    pub fn steps(&self) -> &[CoregStep] {
        &self.steps
    }

    /// Fit and apply every step in turn to bring `source` onto `reference`.
    ///
    /// # Errors
    /// As [`CoregStep::fit`]; [`MbError::NoOverlap`] if the DEMs share no
    /// valid stable pixel; [`MbError::EmptyInput`] for an empty pipeline.
    pub fn run(
        &self,
        reference: &Raster<f64>,
        source: &Raster<f64>,
        stable: Option<ArrayView2<'_, bool>>,
    ) -> Result<CoregResult> {
        if self.steps.is_empty() {
            return Err(MbError::EmptyInput(
                "co-registration pipeline has no step".into(),
            ));
        }
        let before = stable_dh_statistics(reference, source, stable)?;
        let mut cur = source.clone();
        let mut fitted = Vec::with_capacity(self.steps.len());
        for s in &self.steps {
            let f = s.fit(reference, &cur, stable)?;
            cur = f.apply(&cur)?;
            fitted.push(f);
        }
        let after = stable_dh_statistics(reference, &cur, stable)?;
        Ok(CoregResult {
            corrected: cur,
            steps: fitted,
            before,
            after,
        })
    }
}

/// The stable-terrain mask: pixels outside every glacier (`glacier` false),
/// not excluded by an optional extra mask (`extra` true = usable), with a
/// finite slope within `[min_slope_deg, max_slope_deg]`.
///
/// # Errors
/// Shape mismatches; invalid slope bounds.
pub fn stable_mask(
    glacier: ArrayView2<'_, bool>,
    extra: Option<ArrayView2<'_, bool>>,
    slope_deg: ArrayView2<'_, f64>,
    min_slope_deg: f64,
    max_slope_deg: f64,
) -> Result<Array2<bool>> {
    let shape = glacier.dim();
    check_mask(extra, shape)?;
    if slope_deg.dim() != shape {
        return Err(sar_core::SarError::ShapeMismatch {
            what: "slope raster".into(),
            expected: shape,
            found: slope_deg.dim(),
        }
        .into());
    }
    if min_slope_deg.is_nan() || max_slope_deg.is_nan() || min_slope_deg > max_slope_deg {
        return Err(MbError::param(
            "slope bounds",
            "need min_slope_deg ≤ max_slope_deg",
        ));
    }
    Ok(Array2::from_shape_fn(shape, |idx| {
        !glacier[idx]
            && extra.map_or(true, |e| e[idx])
            && slope_deg[idx] >= min_slope_deg
            && slope_deg[idx] <= max_slope_deg
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use sar_core::{Crs, Grid};

    fn terrain(rows: usize, cols: usize, px: f64) -> impl Fn(f64, f64) -> f64 {
        let _ = (rows, cols, px);
        |x: f64, y: f64| {
            1500.0
                + 300.0 * (x / 900.0).sin() * (y / 1300.0).cos()
                + 0.15 * x
                + 120.0 * ((x + 2.0 * y) / 700.0).sin()
        }
    }

    fn dem(g: &Grid, f: &dyn Fn(f64, f64) -> f64, dx: f64, dy: f64, dz: f64) -> Raster<f64> {
        let data = Array2::from_shape_fn(g.shape(), |(r, c)| {
            let (x, y) = g.pixel_center(r, c);
            f(x - dx, y - dy) + dz
        });
        Raster::new(data, g.clone()).unwrap()
    }

    #[test]
    fn shift_of_a_plane_is_exact() {
        let g = Grid::north_up(20, 30, 1000.0, 5000.0, 10.0, 10.0, Crs::epsg(32643));
        let src = dem(&g, &|x, y| 2.0 * x - 3.0 * y, 0.0, 0.0, 0.0);
        let out = shift_bilinear(&src, 13.0, -7.0).unwrap();
        for ((r, c), v) in out.data.indexed_iter() {
            let (x, y) = g.pixel_center(r, c);
            if v.is_finite() {
                assert_relative_eq!(*v, 2.0 * (x + 13.0) - 3.0 * (y - 7.0), epsilon = 1e-9);
            }
        }
        // shifted east by 1.3 px: last two columns fall outside
        assert!(out.data[[5, 28]].is_nan() && out.data[[5, 27]].is_finite());
        assert!(shift_bilinear(&src, f64::NAN, 0.0).is_err());
    }

    #[test]
    fn nuth_kaab_recovers_a_known_shift_and_reduces_the_misfit() {
        let g = Grid::north_up(
            160,
            160,
            400_000.0,
            4_000_000.0,
            20.0,
            20.0,
            Crs::epsg(32643),
        );
        let f = terrain(160, 160, 20.0);
        for &(dx, dy, dz) in &[(9.0, -5.0, 2.5), (-13.0, 6.0, -1.0), (3.0, 11.0, 0.0)] {
            let reference = dem(&g, &f, 0.0, 0.0, 0.0);
            let source = dem(&g, &f, dx, dy, dz);
            let res = Coregistration::default()
                .run(&reference, &source, None)
                .unwrap();
            let FittedStep::NuthKaab(nk) = res.steps[0] else {
                panic!("first step is Nuth & Kääb")
            };
            // within 0.1 px = 2 m
            assert!((nk.dx_m - dx).abs() < 2.0, "dx {} vs {dx}", nk.dx_m);
            assert!((nk.dy_m - dy).abs() < 2.0, "dy {} vs {dy}", nk.dy_m);
            assert!((nk.dz_m - dz).abs() < 0.5, "dz {} vs {dz}", nk.dz_m);
            assert!(res.after.nmad_m < 0.2 * res.before.nmad_m);
            assert!(res.after.median_m.abs() < 0.2);
        }
    }

    #[test]
    fn vertical_shift_and_deramp_remove_what_they_model() {
        let g = Grid::north_up(50, 60, 0.0, 1000.0, 10.0, 10.0, Crs::epsg(32632));
        let reference = dem(&g, &|x, y| 100.0 + 0.1 * x + 0.2 * y, 0.0, 0.0, 0.0);
        let source = dem(
            &g,
            &|x, y| 100.0 + 0.1 * x + 0.2 * y + 3.0 + 0.004 * x - 0.002 * y + 1e-5 * x * y,
            0.0,
            0.0,
            0.0,
        );
        let vs = CoregStep::VerticalShift
            .fit(&reference, &source, None)
            .unwrap();
        let FittedStep::VerticalShift { dz_m } = vs else {
            panic!()
        };
        let expected = stats::median(
            source
                .data
                .iter()
                .zip(reference.data.iter())
                .map(|(s, r)| s - r),
        )
        .unwrap();
        assert_relative_eq!(dz_m, expected, epsilon = 1e-12);
        let res = Coregistration::empty()
            .step(CoregStep::Deramp { order: 2 })
            .run(&reference, &source, None)
            .unwrap();
        assert!(res.after.std_m < 1e-8, "residual {}", res.after.std_m);
        assert!(matches!(
            CoregStep::Deramp { order: 3 }.fit(&reference, &source, None),
            Err(MbError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn no_stable_terrain_and_no_overlap_are_errors() {
        let g = Grid::north_up(40, 40, 0.0, 800.0, 20.0, 20.0, Crs::epsg(32632));
        let f = terrain(40, 40, 20.0);
        let reference = dem(&g, &f, 0.0, 0.0, 0.0);
        let none = Array2::from_elem((40, 40), false);
        let r = Coregistration::default().run(&reference, &reference, Some(none.view()));
        assert!(matches!(r, Err(MbError::NoOverlap(_))));
        assert!(matches!(
            CoregStep::NuthKaab(NuthKaab::default()).fit(&reference, &reference, Some(none.view())),
            Err(MbError::NoStableTerrain(_))
        ));
        let empty = Raster::filled(g.clone(), f64::NAN);
        assert!(matches!(
            Coregistration::default().run(&reference, &empty, None),
            Err(MbError::NoOverlap(_))
        ));
        let geo = Grid::north_up(40, 40, 77.0, 36.0, 0.0003, 0.0003, Crs::epsg(4326));
        let rg = Raster::new(reference.data.clone(), geo).unwrap();
        assert!(matches!(
            CoregStep::NuthKaab(NuthKaab::default()).fit(&rg, &rg, None),
            Err(MbError::InvalidParameter {
                name: "reference",
                ..
            })
        ));
    }
}
