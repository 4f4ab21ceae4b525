//! SAR image types and the basic operations on them.
//!
//! * A single-look complex (SLC) image is an `Array2<Complex32>`: amplitude
//!   and phase of the backscattered signal per range/azimuth cell.
//! * Intensity (power) is `|S|²` ([`intensity`]); backscatter in decibels is
//!   `10·log10(I)` ([`to_db`]); non-positive and non-finite powers become
//!   NaN (no-data).
//! * Multilooking averages `looks_az × looks_rg` cells ([`multilook`]).
//! * The interferogram of two co-registered SLCs is `S₁·S₂*` (thesis
//!   eq. 1.4, [`interferogram`]); its phase is the interferometric phase.
//! * The coherence magnitude (eq. 1.9) is estimated in a boxcar window
//!   ([`coherence`]):
//!   `γ = |Σ S₁S₂*| / sqrt(Σ|S₁|² · Σ|S₂|²)`.
//! * [`wrap_phase`] maps any phase to `(−π, π]`.
//!
//! NaN handling: complex pixels with a NaN component are no-data. Every
//! window function skips them and returns NaN for windows without a valid
//! pixel.

use std::f64::consts::PI;

use ndarray::{Array2, ArrayView2, Zip};
use num_complex::{Complex, Complex32};

use crate::error::{Result, SarError};

/// A single-look complex image (rows = azimuth lines, columns = range samples).
pub type Slc = Array2<Complex32>;

fn check_same_shape(what: &str, a: (usize, usize), b: (usize, usize)) -> Result<()> {
    if a != b {
        return Err(SarError::ShapeMismatch {
            what: what.to_string(),
            expected: a,
            found: b,
        });
    }
    Ok(())
}

fn is_valid(c: Complex32) -> bool {
    c.re.is_finite() && c.im.is_finite()
}

/// Intensity `|S|²` of each pixel, in linear power (f64). NaN for invalid pixels.
pub fn intensity(slc: ArrayView2<'_, Complex32>) -> Array2<f64> {
    slc.mapv(|c| {
        if is_valid(c) {
            let (re, im) = (c.re as f64, c.im as f64);
            re * re + im * im
        } else {
            f64::NAN
        }
    })
}

/// Convert linear power to decibels, `10·log10(p)`; non-positive and
/// non-finite values become NaN.
pub fn to_db(power: ArrayView2<'_, f64>) -> Array2<f64> {
    power.mapv(|p| {
        if p > 0.0 && p.is_finite() {
            10.0 * p.log10()
        } else {
            f64::NAN
        }
    })
}

/// Convert decibels back to linear power, `10^(dB/10)` (NaN stays NaN).
pub fn from_db(db: ArrayView2<'_, f64>) -> Array2<f64> {
    db.mapv(|d| 10f64.powf(d / 10.0))
}

/// NaN-aware multilooking: mean of each block of `looks_az` rows ×
/// `looks_rg` columns (incomplete blocks at the end are dropped, as in
/// GAMMA's `multi_look`). A block without a finite value is NaN.
///
/// Returns an error if a look count is zero or larger than the image.
pub fn multilook(
    image: ArrayView2<'_, f64>,
    looks_az: usize,
    looks_rg: usize,
) -> Result<Array2<f64>> {
    let (rows, cols) = image.dim();
    if looks_az == 0 || looks_rg == 0 {
        return Err(SarError::InvalidParameter {
            name: "looks",
            reason: "look counts must be at least 1".into(),
        });
    }
    if looks_az > rows || looks_rg > cols {
        return Err(SarError::InvalidParameter {
            name: "looks",
            reason: format!(
                "{looks_az}×{looks_rg} looks do not fit a {rows}×{cols} image; use fewer looks"
            ),
        });
    }
    let out_shape = (rows / looks_az, cols / looks_rg);
    Ok(Array2::from_shape_fn(out_shape, |(r, c)| {
        let block = image.slice(ndarray::s![
            r * looks_az..(r + 1) * looks_az,
            c * looks_rg..(c + 1) * looks_rg
        ]);
        let (sum, n) = block
            .iter()
            .filter(|v| v.is_finite())
            .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        if n == 0 {
            f64::NAN
        } else {
            sum / n as f64
        }
    }))
}

/// Interferogram `S₁·S₂*` of two co-registered SLCs (thesis eq. 1.4), in
/// complex f64. Invalid pixels in either input give NaN.
pub fn interferogram(
    s1: ArrayView2<'_, Complex32>,
    s2: ArrayView2<'_, Complex32>,
) -> Result<Array2<Complex<f64>>> {
    check_same_shape("second SLC", s1.dim(), s2.dim())?;
    let mut out = Array2::from_elem(s1.dim(), Complex::new(f64::NAN, f64::NAN));
    Zip::from(&mut out).and(&s1).and(&s2).for_each(|o, &a, &b| {
        if is_valid(a) && is_valid(b) {
            let a = Complex::new(a.re as f64, a.im as f64);
            let b = Complex::new(b.re as f64, b.im as f64);
            *o = a * b.conj();
        }
    });
    Ok(out)
}

/// Coherence magnitude (thesis eq. 1.9) in a centred boxcar window of
/// `win_az × win_rg` pixels (both odd):
/// `|Σ S₁S₂*| / sqrt(Σ|S₁|² Σ|S₂|²)`, in `[0, 1]`.
///
/// Sums run over the valid pixels of the window that lie inside the image
/// (the window shrinks at the borders). A window without valid pixels or
/// with zero power is NaN. Computed with summed-area tables in O(1) per pixel.
pub fn coherence(
    s1: ArrayView2<'_, Complex32>,
    s2: ArrayView2<'_, Complex32>,
    win_az: usize,
    win_rg: usize,
) -> Result<Array2<f64>> {
    check_same_shape("second SLC", s1.dim(), s2.dim())?;
    if win_az % 2 == 0 || win_rg % 2 == 0 || win_az == 0 || win_rg == 0 {
        return Err(SarError::InvalidParameter {
            name: "window",
            reason: format!(
                "coherence window sides must be odd and positive, got {win_az}×{win_rg}"
            ),
        });
    }
    let (rows, cols) = s1.dim();
    // Summed-area tables of re/im of S1 S2*, |S1|², |S2|², with a zero border.
    let mut sat = Array2::<[f64; 4]>::from_elem((rows + 1, cols + 1), [0.0; 4]);
    for r in 0..rows {
        let mut row_acc = [0.0f64; 4];
        for c in 0..cols {
            let a = s1[[r, c]];
            let b = s2[[r, c]];
            if is_valid(a) && is_valid(b) {
                let (ar, ai, br, bi) = (a.re as f64, a.im as f64, b.re as f64, b.im as f64);
                row_acc[0] += ar * br + ai * bi;
                row_acc[1] += ai * br - ar * bi;
                row_acc[2] += ar * ar + ai * ai;
                row_acc[3] += br * br + bi * bi;
            }
            let above = sat[[r, c + 1]];
            sat[[r + 1, c + 1]] = [
                above[0] + row_acc[0],
                above[1] + row_acc[1],
                above[2] + row_acc[2],
                above[3] + row_acc[3],
            ];
        }
    }
    let (ha, hr) = (win_az / 2, win_rg / 2);
    let out = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let r0 = r.saturating_sub(ha);
        let c0 = c.saturating_sub(hr);
        let r1 = (r + ha + 1).min(rows);
        let c1 = (c + hr + 1).min(cols);
        let mut s = [0.0f64; 4];
        for (k, v) in s.iter_mut().enumerate() {
            *v = sat[[r1, c1]][k] - sat[[r0, c1]][k] - sat[[r1, c0]][k] + sat[[r0, c0]][k];
        }
        let denom = (s[2] * s[3]).sqrt();
        if denom > 0.0 && denom.is_finite() {
            (s[0].hypot(s[1]) / denom).min(1.0)
        } else {
            f64::NAN
        }
    });
    Ok(out)
}

/// Wrap a phase in radians to `(−π, π]`. NaN stays NaN.
pub fn wrap_phase(phi: f64) -> f64 {
    if !phi.is_finite() {
        return f64::NAN;
    }
    let w = phi - 2.0 * PI * ((phi + PI) / (2.0 * PI)).floor();
    // `w` is in [−π, π); map −π to π.
    if w <= -PI {
        w + 2.0 * PI
    } else {
        w
    }
}

/// Phase (argument) of each interferogram pixel in `(−π, π]`; NaN for invalid pixels.
pub fn phase(ifg: ArrayView2<'_, Complex<f64>>) -> Array2<f64> {
    ifg.mapv(|c| {
        if c.re.is_finite() && c.im.is_finite() {
            wrap_phase(c.im.atan2(c.re))
        } else {
            f64::NAN
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use ndarray::array;

    #[test]
    fn db_conversion() {
        let p = array![[1.0, 10.0, 0.0], [-1.0, 0.01, f64::NAN]];
        let d = to_db(p.view());
        assert_relative_eq!(d[[0, 0]], 0.0);
        assert_relative_eq!(d[[0, 1]], 10.0);
        assert!(d[[0, 2]].is_nan() && d[[1, 0]].is_nan() && d[[1, 2]].is_nan());
        assert_relative_eq!(d[[1, 1]], -20.0, epsilon = 1e-12);
        assert_relative_eq!(from_db(d.view())[[0, 1]], 10.0, epsilon = 1e-12);
    }

    #[test]
    fn multilook_is_nan_aware() {
        let img = array![[1.0, 3.0, 5.0], [f64::NAN, 5.0, 7.0], [9.0, 9.0, 9.0]];
        let m = multilook(img.view(), 2, 2).unwrap();
        assert_eq!(m.dim(), (1, 1));
        assert_relative_eq!(m[[0, 0]], 3.0);
        assert!(multilook(img.view(), 0, 1).is_err());
        assert!(multilook(img.view(), 4, 1).is_err());
    }

    #[test]
    fn interferogram_phase_is_phase_difference() {
        let a = Complex32::from_polar(2.0, 0.5);
        let b = Complex32::from_polar(3.0, -2.9);
        let s1 = Array2::from_elem((2, 2), a);
        let s2 = Array2::from_elem((2, 2), b);
        let ifg = interferogram(s1.view(), s2.view()).unwrap();
        assert_relative_eq!(ifg[[0, 0]].norm(), 6.0, epsilon = 1e-5);
        // 0.5 - (-2.9) = 3.4 rad -> wrapped to 3.4 - 2π
        let ph = phase(ifg.view());
        assert_relative_eq!(ph[[1, 1]], 3.4 - 2.0 * PI, epsilon = 1e-5);
        assert!(interferogram(s1.view(), Array2::from_elem((3, 2), b).view()).is_err());
    }

    #[test]
    fn coherence_of_identical_and_random_phase() {
        // Identical images -> coherence 1.
        let s = Array2::from_shape_fn((8, 8), |(r, c)| {
            Complex32::from_polar(1.0 + r as f32, (r * 7 + c * 3) as f32)
        });
        let g = coherence(s.view(), s.view(), 3, 3).unwrap();
        assert!(g.iter().all(|v| (v - 1.0).abs() < 1e-6));
        // Second image with a phase that alternates by π: in a 3×3 window of a
        // checkerboard, 5 cells cancel 4, so |Σ| / Σ = 1/9.
        let t = Array2::from_shape_fn((8, 8), |(r, c)| {
            let sign = if (r + c) % 2 == 0 { 1.0 } else { -1.0 };
            Complex32::new(sign, 0.0)
        });
        let one = Array2::from_elem((8, 8), Complex32::new(1.0, 0.0));
        let g = coherence(one.view(), t.view(), 3, 3).unwrap();
        assert_relative_eq!(g[[4, 4]], 1.0 / 9.0, epsilon = 1e-12);
        assert!(coherence(one.view(), t.view(), 2, 3).is_err());
    }

    #[test]
    fn wrapping() {
        assert_relative_eq!(wrap_phase(PI), PI);
        assert_relative_eq!(wrap_phase(-PI), PI);
        assert_relative_eq!(wrap_phase(3.0 * PI / 2.0), -PI / 2.0, epsilon = 1e-12);
        assert_relative_eq!(wrap_phase(-7.0), -7.0 + 2.0 * PI, epsilon = 1e-12);
        assert!(wrap_phase(f64::NAN).is_nan());
        for k in -50..50 {
            let w = wrap_phase(k as f64 * 0.37);
            assert!(w > -PI && w <= PI);
        }
    }
}
