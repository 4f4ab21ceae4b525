//! Pre-processing of intensity images before correlation (sect. 2.3.2):
//! dual-polarisation average, conversion to dB, Gaussian high-pass filter,
//! and optional ×2 oversampling.

use ndarray::{Array2, ArrayView2};
use num_complex::Complex64;
use rustfft::FftPlanner;

use crate::error::{NccError, Result};
use crate::fft2::fft2_rect;

/// Average of co- and cross-polarised intensities, the cross-pol channel
/// weighted by `⟨co⟩ / ⟨cross⟩` (the NaN-aware scene means), as done for
/// Sentinel-1 in sect. 2.3.2: `I = (co + w·cross) / 2`. With
/// `weighted = false`, `w = 1` (as for TanDEM-X HH/VV).
pub fn dual_pol_average(
    co: ArrayView2<'_, f64>,
    cross: ArrayView2<'_, f64>,
    weighted: bool,
) -> Result<Array2<f64>> {
    if co.dim() != cross.dim() {
        return Err(sar_core::SarError::ShapeMismatch {
            what: "cross-pol image".into(),
            expected: co.dim(),
            found: cross.dim(),
        }
        .into());
    }
    let w = if weighted {
        let mc = sar_core::stats::mean(co.iter().copied())
            .ok_or_else(|| NccError::NoValidTemplate("co-pol image has no valid pixel".into()))?;
        let mx = sar_core::stats::mean(cross.iter().copied()).ok_or_else(|| {
            NccError::NoValidTemplate("cross-pol image has no valid pixel".into())
        })?;
        if !(mx > 0.0) {
            return Err(NccError::InvalidParameter {
                name: "cross",
                reason: "cross-pol mean intensity must be positive".into(),
            });
        }
        mc / mx
    } else {
        1.0
    };
    Ok(ndarray::Zip::from(co)
        .and(cross)
        .map_collect(|&a, &b| 0.5 * (a + w * b)))
}

fn gaussian_kernel(size: usize, sigma: f64) -> Vec<f64> {
    let h = (size / 2) as f64;
    let k: Vec<f64> = (0..size)
        .map(|i| (-((i as f64 - h).powi(2)) / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f64 = k.iter().sum();
    k.into_iter().map(|v| v / s).collect()
}

/// Separable normalised convolution along one axis: `out = K*(x·m) / K*m`.
fn conv_axis(
    values: &Array2<f64>,
    weights: &Array2<f64>,
    k: &[f64],
    axis: usize,
) -> (Array2<f64>, Array2<f64>) {
    let (rows, cols) = values.dim();
    let h = (k.len() / 2) as isize;
    let mut v_out = Array2::zeros((rows, cols));
    let mut w_out = Array2::zeros((rows, cols));
    let (n, m) = if axis == 1 {
        (rows, cols)
    } else {
        (cols, rows)
    };
    for a in 0..n {
        for b in 0..m {
            let mut sv = 0.0;
            let mut sw = 0.0;
            for (t, &kv) in k.iter().enumerate() {
                let bb = b as isize + t as isize - h;
                if bb < 0 || bb >= m as isize {
                    continue;
                }
                let idx = if axis == 1 {
                    [a, bb as usize]
                } else {
                    [bb as usize, a]
                };
                sv += kv * values[idx];
                sw += kv * weights[idx];
            }
            let idx = if axis == 1 { [a, b] } else { [b, a] };
            v_out[idx] = sv;
            w_out[idx] = sw;
        }
    }
    (v_out, w_out)
}

/// NaN-aware Gaussian high-pass: the image minus its Gaussian low-pass
/// (kernel `kernel_px × kernel_px`, standard deviation `sigma_px`; 51 and
/// 17 in sect. 2.3.2). The low-pass is a normalised convolution — NaN
/// pixels and pixels beyond the edge get zero weight and the kernel is
/// renormalised — so no-data does not bleed into valid pixels; NaN stays NaN.
///
/// ```
/// use ncc_stack::preprocess::gaussian_highpass;
/// use ndarray::Array2;
/// // a plane is removed up to the edges
/// let img = Array2::from_shape_fn((40, 40), |(r, _c)| 3.0 + 0.5 * r as f64);
/// let hp = gaussian_highpass(img.view(), 11, 3.0)?;
/// approx::assert_abs_diff_eq!(hp[[20, 20]], 0.0, epsilon = 1e-9);
/// # Ok::<(), ncc_stack::NccError>(())
/// ```
pub fn gaussian_highpass(
    img: ArrayView2<'_, f64>,
    kernel_px: usize,
    sigma_px: f64,
) -> Result<Array2<f64>> {
    if kernel_px == 0 || kernel_px % 2 == 0 || !(sigma_px > 0.0) {
        return Err(NccError::InvalidParameter {
            name: "highpass",
            reason: format!("kernel size must be odd and σ > 0, got {kernel_px} and {sigma_px}"),
        });
    }
    let k = gaussian_kernel(kernel_px, sigma_px);
    let mask = img.mapv(|v| if v.is_finite() { 1.0 } else { 0.0 });
    let vals = img.mapv(|v| if v.is_finite() { v } else { 0.0 });
    let (v1, w1) = conv_axis(&vals, &mask, &k, 1);
    let (v2, _) = conv_axis(&v1, &w1, &k, 0);
    let (w2, _) = conv_axis(&w1, &w1, &k, 0);
    Ok(ndarray::Zip::from(img)
        .and(&v2)
        .and(&w2)
        .map_collect(|&x, &v, &w| {
            if x.is_finite() && w > 0.0 {
                x - v / w
            } else {
                f64::NAN
            }
        }))
}

/// Parameters of [`preprocess`]; defaults from sect. 2.3.2.
#[derive(Debug, Clone, PartialEq)]
pub struct PreprocessParams {
    to_db: bool,
    highpass: Option<(usize, f64)>,
}

impl Default for PreprocessParams {
    fn default() -> Self {
        PreprocessParams {
            to_db: true,
            highpass: Some((51, 17.0)),
        }
    }
}

impl PreprocessParams {
    /// dB conversion and a 51×51, σ = 17 px high-pass (sect. 2.3.2).
    pub fn new() -> Self {
        Self::default()
    }
    /// Convert linear intensity to dB (`10·log10`, non-positive → NaN).
    pub fn to_db(mut self, on: bool) -> Self {
        self.to_db = on;
        self
    }
    /// High-pass kernel size and σ in pixels, or `None` for no filter.
    pub fn highpass(mut self, hp: Option<(usize, f64)>) -> Self {
        self.highpass = hp;
        self
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if let Some((k, s)) = self.highpass {
            if k == 0 || k % 2 == 0 || !(s > 0.0) {
                return Err(NccError::InvalidParameter {
                    name: "highpass",
                    reason: format!("kernel size must be odd and σ > 0, got {k} and {s}"),
                });
            }
        }
        Ok(())
    }
}

/// dB conversion (via `sar_core::sar::to_db`) and high-pass filter of one
/// intensity image, as configured.
pub fn preprocess(img: ArrayView2<'_, f64>, params: &PreprocessParams) -> Result<Array2<f64>> {
    params.check()?;
    let db = if params.to_db {
        sar_core::sar::to_db(img)
    } else {
        img.to_owned()
    };
    match params.highpass {
        Some((k, s)) => gaussian_highpass(db.view(), k, s),
        None => Ok(db),
    }
}

/// ×2 band-limited (FFT zero-padding) interpolation of a real image, as
/// ampcor and PyCuAmpcor oversample before correlating. Pixel `(i, j)` of
/// the input is pixel `(2i, 2j)` of the output. NaN pixels are filled with
/// the image mean for the transform and set back to NaN on the four output
/// pixels they map to.
///
/// Note that oversampling a *detected* intensity cannot undo the aliasing
/// of the detection itself; for that the complex data must be oversampled
/// before detection ([`crate::synth::oversample_complex2`]).
pub fn oversample2(img: ArrayView2<'_, f64>) -> Array2<f64> {
    let (r, c) = img.dim();
    let mean = sar_core::stats::mean(img.iter().copied()).unwrap_or(0.0);
    let mut spec = img.mapv(|v| Complex64::new(if v.is_finite() { v } else { mean }, 0.0));
    let mut planner = FftPlanner::new();
    fft2_rect(&mut spec, false, &mut planner);
    let mut big = Array2::<Complex64>::zeros((2 * r, 2 * c));
    for i in 0..r {
        let bi = if i < r / 2 { i } else { i + r };
        for j in 0..c {
            let bj = if j < c / 2 { j } else { j + c };
            big[[bi, bj]] = spec[[i, j]];
        }
    }
    fft2_rect(&mut big, true, &mut planner);
    Array2::from_shape_fn((2 * r, 2 * c), |(i, j)| {
        if img[[i / 2, j / 2]].is_finite() {
            4.0 * big[[i, j]].re
        } else {
            f64::NAN
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highpass_ignores_nan_and_removes_constant() {
        let mut img = Array2::from_elem((30, 30), 5.0);
        img[[10, 10]] = f64::NAN;
        let hp = gaussian_highpass(img.view(), 51, 17.0).unwrap();
        assert!(hp[[10, 10]].is_nan());
        assert!(hp.iter().filter(|v| v.is_finite()).all(|v| v.abs() < 1e-12));
        assert_eq!(hp.iter().filter(|v| v.is_nan()).count(), 1);
        assert!(matches!(
            gaussian_highpass(img.view(), 4, 1.0),
            Err(NccError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn dual_pol_weighting() {
        let co = Array2::from_elem((2, 2), 4.0);
        let cross = Array2::from_elem((2, 2), 1.0);
        let w = dual_pol_average(co.view(), cross.view(), true).unwrap();
        assert_eq!(w[[0, 0]], 4.0);
        let u = dual_pol_average(co.view(), cross.view(), false).unwrap();
        assert_eq!(u[[1, 1]], 2.5);
        let bad = Array2::from_elem((3, 2), 1.0);
        assert!(matches!(
            dual_pol_average(co.view(), bad.view(), true),
            Err(NccError::Sar(_))
        ));
    }

    #[test]
    fn oversample_keeps_samples_and_interpolates_sines() {
        let img = Array2::from_shape_fn((16, 16), |(r, c)| {
            (2.0 * std::f64::consts::PI * (3.0 * c as f64 + 2.0 * r as f64) / 16.0).cos()
        });
        let o = oversample2(img.view());
        for i in 0..32 {
            for j in 0..32 {
                let t =
                    (2.0 * std::f64::consts::PI * (3.0 * j as f64 / 2.0 + 2.0 * i as f64 / 2.0)
                        / 16.0)
                        .cos();
                assert!((o[[i, j]] - t).abs() < 1e-9);
            }
        }
    }
}
