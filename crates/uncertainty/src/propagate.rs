//! Propagation of the error of a spatial mean (thesis eqs. 4.11–4.12,
//! Hugonnet et al. 2022 eqs. 17–18).
//!
//! For pixels `i = 1…N` with error standard deviations σᵢ and error
//! correlation ρ(d) (from the variogram of the standardised error, see
//! [`VariogramModel::correlation`]), the variance of the mean error is the
//! double sum (eq. 4.11)
//!
//! σ²_mean = (1/N²) Σᵢ Σⱼ σᵢ σⱼ ρ(dᵢⱼ).
//!
//! It costs O(N²). The approximation of Hugonnet et al. (2022, eq. 18; the
//! thesis's eq. 4.12 is its homoscedastic form) replaces one of the sums by
//! a random subset `K` of `k` pixels drawn without replacement:
//!
//! σ²_mean ≈ (1/(N·k)) Σᵢ Σ_{k∈K} σᵢ σ_k ρ(dᵢ_k),
//!
//! which costs O(N·k). The number of effective samples is
//! n_eff = mean(σ)² / σ²_mean, so σ_mean = mean(σ)/√n_eff; for unit errors
//! it depends only on the shape of the area and the correlation, as xdem's
//! `number_effective_samples`. Both double sums run in parallel (rayon).
//!
//! For pixels on a regular grid, [`propagate_mean_error_grid`] evaluates the
//! *exact* double sum in O(M log M) instead of O(N²): with σ set to zero
//! outside the area, Σᵢ Σⱼ σᵢ σⱼ ρ(dᵢⱼ) = Σ_δ ρ(|δ|)·A(δ), where δ runs over
//! the pixel offsets and A(δ) = Σᵢ σᵢ σ_{i+δ} is the autocorrelation of the
//! σ raster, computed with zero-padded FFTs (Wiener–Khinchin). Large
//! glaciers then need no random subset at all.

use ndarray::ArrayView2;
use num_complex::Complex64;
use rand::Rng;
#[cfg(feature = "rayon")]
use rayon::prelude::*;
use rustfft::FftPlanner;

use crate::error::{Result, UncertaintyError};
use crate::model::VariogramModel;

/// Map coordinates (metres) of the pixels where `mask` is `true`:
/// `x = col·dx`, `y = row·dy` (only relative positions matter).
pub fn pixel_coordinates(mask: ArrayView2<'_, bool>, pixel_size_m: (f64, f64)) -> Vec<[f64; 2]> {
    mask.indexed_iter()
        .filter(|(_, &m)| m)
        .map(|((r, c), _)| [c as f64 * pixel_size_m.0, r as f64 * pixel_size_m.1])
        .collect()
}

fn check_inputs(coords: &[[f64; 2]], sigma: &[f64]) -> Result<()> {
    if coords.len() != sigma.len() {
        return Err(UncertaintyError::LengthMismatch {
            what: "sigma (one per pixel)",
            expected: coords.len(),
            found: sigma.len(),
        });
    }
    if coords.is_empty() {
        return Err(UncertaintyError::NoValidSamples(
            "no pixel in the area".into(),
        ));
    }
    if sigma.iter().any(|s| !(s.is_finite() && *s >= 0.0))
        || coords.iter().flatten().any(|c| !c.is_finite())
    {
        return Err(UncertaintyError::param(
            "sigma",
            "errors must be finite and ≥ 0 and coordinates finite; drop no-data pixels first",
        ));
    }
    Ok(())
}

#[inline]
fn dist(a: &[f64; 2], b: &[f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Σᵢ Σⱼ σᵢ σⱼ ρ(dᵢⱼ) over all ordered pairs (including i = j).
fn double_sum_exact(coords: &[[f64; 2]], sigma: &[f64], model: &VariogramModel) -> f64 {
    let n = coords.len();
    let row = |i: usize| -> f64 {
        let mut s = 0.0;
        for j in i + 1..n {
            s += sigma[j] * model.correlation(dist(&coords[i], &coords[j]));
        }
        sigma[i] * (2.0 * s + sigma[i])
    };
    #[cfg(feature = "rayon")]
    return (0..n).into_par_iter().map(row).sum();
    #[cfg(not(feature = "rayon"))]
    (0..n).map(row).sum()
}

/// (N/k) Σᵢ Σ_{k∈K} σᵢ σ_k ρ(dᵢ_k): the double sum estimated from a subset.
fn double_sum_subset(
    coords: &[[f64; 2]],
    sigma: &[f64],
    model: &VariogramModel,
    subset: &[usize],
) -> f64 {
    let n = coords.len();
    let col = |&k: &usize| -> f64 {
        let ck = &coords[k];
        let s: f64 = (0..n)
            .map(|i| sigma[i] * model.correlation(dist(&coords[i], ck)))
            .sum();
        sigma[k] * s
    };
    #[cfg(feature = "rayon")]
    let s: f64 = subset.par_iter().map(col).sum();
    #[cfg(not(feature = "rayon"))]
    let s: f64 = subset.iter().map(col).sum();
    s * n as f64 / subset.len() as f64
}

/// How to evaluate the double sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// The exact O(N²) double sum (eq. 4.11).
    Exact,
    /// A random subset of `k` pixels (eq. 4.12, Hugonnet et al. 2022 eq. 18).
    RandomK {
        /// Subset size (xdem default 1000); the exact sum is used if `k ≥ N`.
        k: usize,
    },
    /// Exact up to `max_exact` pixels, random-`k` beyond.
    Auto {
        /// Largest N evaluated exactly.
        max_exact: usize,
        /// Subset size beyond.
        k: usize,
    },
}

impl Default for Propagation {
    /// Exact up to 5000 pixels, random K = 1000 beyond (xdem's subsample).
    fn default() -> Self {
        Propagation::Auto {
            max_exact: 5000,
            k: 1000,
        }
    }
}

/// The propagated error of a spatial mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanError {
    /// Standard error of the mean (unit of σ, e.g. m/yr).
    pub standard_error: f64,
    /// Number of effective samples, mean(σ)²/σ²_mean.
    pub n_eff: f64,
    /// Mean of the per-pixel σ (unit of σ).
    pub mean_sigma: f64,
    /// Number of pixels N.
    pub n_pixels: usize,
    /// Number of pixels in the subset (N when exact).
    pub subset_size: usize,
}

/// Propagate per-pixel errors `sigma` at `coords` (metres) to the error of
/// their mean with the correlation of `model`.
///
/// # Errors
/// Length mismatch, empty area, non-finite or negative σ, `k == 0`,
/// [`UncertaintyError::Degenerate`] if all σ are zero.
pub fn propagate_mean_error<R: Rng + ?Sized>(
    coords: &[[f64; 2]],
    sigma: &[f64],
    model: &VariogramModel,
    method: Propagation,
    rng: &mut R,
) -> Result<MeanError> {
    check_inputs(coords, sigma)?;
    let n = coords.len();
    let k = match method {
        Propagation::Exact => n,
        Propagation::RandomK { k } => k,
        Propagation::Auto { max_exact, k } => {
            if n <= max_exact {
                n
            } else {
                k
            }
        }
    };
    if k == 0 {
        return Err(UncertaintyError::param("k", "subset size must be ≥ 1"));
    }
    if k >= n {
        return finish(coords, sigma, double_sum_exact(coords, sigma, model), n);
    }
    let subset = rand::seq::index::sample(rng, n, k).into_vec();
    finish(
        coords,
        sigma,
        double_sum_subset(coords, sigma, model, &subset),
        k,
    )
}

fn finish(coords: &[[f64; 2]], sigma: &[f64], sum: f64, used: usize) -> Result<MeanError> {
    let n = coords.len();
    let var = sum / (n as f64 * n as f64);
    let mean_sigma = sigma.iter().sum::<f64>() / n as f64;
    if var.is_nan() || var <= 0.0 || mean_sigma <= 0.0 {
        return Err(UncertaintyError::Degenerate(
            "all errors are zero: the mean has no error to propagate".into(),
        ));
    }
    Ok(MeanError {
        standard_error: var.sqrt(),
        n_eff: mean_sigma * mean_sigma / var,
        mean_sigma,
        n_pixels: n,
        subset_size: used,
    })
}

/// Exact number of effective samples (xdem's `neff_exact`).
///
/// # Errors
/// As [`propagate_mean_error`].
pub fn neff_exact(coords: &[[f64; 2]], sigma: &[f64], model: &VariogramModel) -> Result<f64> {
    check_inputs(coords, sigma)?;
    finish(
        coords,
        sigma,
        double_sum_exact(coords, sigma, model),
        coords.len(),
    )
    .map(|m| m.n_eff)
}

/// Number of effective samples from a random subset of `k` pixels (xdem's
/// `neff_hugonnet_approx`, Hugonnet et al. 2022 eq. 18).
///
/// # Errors
/// As [`propagate_mean_error`].
pub fn neff_hugonnet_approx<R: Rng + ?Sized>(
    coords: &[[f64; 2]],
    sigma: &[f64],
    model: &VariogramModel,
    k: usize,
    rng: &mut R,
) -> Result<f64> {
    propagate_mean_error(coords, sigma, model, Propagation::RandomK { k }, rng).map(|m| m.n_eff)
}

/// Number of effective samples of an area given its pixel coordinates and
/// the correlation of `model`, with unit errors (xdem's
/// `number_effective_samples` for a rasterised outline).
///
/// # Errors
/// As [`propagate_mean_error`].
pub fn number_effective_samples<R: Rng + ?Sized>(
    coords: &[[f64; 2]],
    model: &VariogramModel,
    method: Propagation,
    rng: &mut R,
) -> Result<f64> {
    let ones = vec![1.0; coords.len()];
    propagate_mean_error(coords, &ones, model, method, rng).map(|m| m.n_eff)
}

/// Covariance of the mean errors of two areas from their pixels,
/// (1/(NᵢNⱼ)) Σ_k Σ_l σ_k σ_l ρ(d_kl) (exact double sum).
///
/// # Errors
/// As [`propagate_mean_error`] for each area.
pub fn covariance_of_means(
    coords_a: &[[f64; 2]],
    sigma_a: &[f64],
    coords_b: &[[f64; 2]],
    sigma_b: &[f64],
    model: &VariogramModel,
) -> Result<f64> {
    check_inputs(coords_a, sigma_a)?;
    check_inputs(coords_b, sigma_b)?;
    let row = |i: usize| -> f64 {
        let ci = &coords_a[i];
        sigma_a[i]
            * coords_b
                .iter()
                .zip(sigma_b)
                .map(|(cj, sj)| sj * model.correlation(dist(ci, cj)))
                .sum::<f64>()
    };
    #[cfg(feature = "rayon")]
    let s: f64 = (0..coords_a.len()).into_par_iter().map(row).sum();
    #[cfg(not(feature = "rayon"))]
    let s: f64 = (0..coords_a.len()).map(row).sum();
    Ok(s / (coords_a.len() as f64 * coords_b.len() as f64))
}

/// Exact error of the mean over the pixels of a grid where `sigma` is
/// finite (NaN marks pixels outside the area), by FFT autocorrelation (see
/// the module docs); `pixel_size_m = (dx, dy)` in metres.
///
/// Memory is that of a complex array of about (2h)×(2w) for the bounding box
/// h×w of the area.
///
/// # Errors
/// Non-positive pixel size, negative σ, no finite pixel,
/// [`UncertaintyError::Degenerate`] if all σ are zero.
pub fn propagate_mean_error_grid(
    sigma: ArrayView2<'_, f64>,
    pixel_size_m: (f64, f64),
    model: &VariogramModel,
) -> Result<MeanError> {
    let (dx, dy) = pixel_size_m;
    if !(dx.is_finite() && dy.is_finite() && dx > 0.0 && dy > 0.0) {
        return Err(UncertaintyError::param(
            "pixel_size_m",
            "must be finite and > 0",
        ));
    }
    let (mut r0, mut r1, mut c0, mut c1) = (usize::MAX, 0usize, usize::MAX, 0usize);
    let mut n = 0usize;
    let mut sum_sigma = 0.0;
    for ((r, c), &v) in sigma.indexed_iter() {
        if v.is_finite() {
            if v < 0.0 {
                return Err(UncertaintyError::param("sigma", "errors must be ≥ 0"));
            }
            n += 1;
            sum_sigma += v;
            r0 = r0.min(r);
            r1 = r1.max(r);
            c0 = c0.min(c);
            c1 = c1.max(c);
        }
    }
    if n == 0 {
        return Err(UncertaintyError::NoValidSamples(
            "no pixel in the area".into(),
        ));
    }
    let (h, w) = (r1 - r0 + 1, c1 - c0 + 1);
    let (mr, mc) = (
        crate::field::fast_size(2 * h - 1),
        crate::field::fast_size(2 * w - 1),
    );
    let mut buf = vec![Complex64::new(0.0, 0.0); mr * mc];
    for r in 0..h {
        for c in 0..w {
            let v = sigma[[r0 + r, c0 + c]];
            if v.is_finite() {
                buf[r * mc + c] = Complex64::new(v, 0.0);
            }
        }
    }
    let mut planner = FftPlanner::<f64>::new();
    let (fr, fc) = (planner.plan_fft_forward(mr), planner.plan_fft_forward(mc));
    let mut tmp = vec![Complex64::new(0.0, 0.0); mr * mc];
    crate::field::fft2(&mut buf, &mut tmp, mr, mc, fr.as_ref(), fc.as_ref());
    // |F|² then a forward DFT again: for a real, even-symmetric power
    // spectrum the forward transform equals M times the inverse one
    for v in buf.iter_mut() {
        *v = Complex64::new(v.norm_sqr(), 0.0);
    }
    crate::field::fft2(&mut buf, &mut tmp, mr, mc, fr.as_ref(), fc.as_ref());
    let m = (mr * mc) as f64;
    let mut total = 0.0;
    for di in -(h as i64 - 1)..=(h as i64 - 1) {
        let ri = di.rem_euclid(mr as i64) as usize;
        for dj in -(w as i64 - 1)..=(w as i64 - 1) {
            let cj = dj.rem_euclid(mc as i64) as usize;
            let a = buf[ri * mc + cj].re / m;
            if a != 0.0 {
                total += a * model.correlation((di as f64 * dy).hypot(dj as f64 * dx));
            }
        }
    }
    let nf = n as f64;
    let var = total / (nf * nf);
    let mean_sigma = sum_sigma / nf;
    if var.is_nan() || var <= 0.0 || mean_sigma <= 0.0 {
        return Err(UncertaintyError::Degenerate(
            "all errors are zero: the mean has no error to propagate".into(),
        ));
    }
    Ok(MeanError {
        standard_error: var.sqrt(),
        n_eff: mean_sigma * mean_sigma / var,
        mean_sigma,
        n_pixels: n,
        subset_size: n,
    })
}
