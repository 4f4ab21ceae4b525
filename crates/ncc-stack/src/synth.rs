//! Synthetic SAR image time series with a known displacement field: the
//! ground truth for tests, examples and the demo.
//!
//! Model (one series of N images, image k acquired k intervals after image 0):
//!
//! 1. a reflectivity texture `σ⁰ = exp(c·G)`, with `G` a unit-variance
//!    Gaussian random field of correlation length `texture_scale_px`;
//! 2. white circular complex Gaussian scatterers, partly common to all
//!    images and partly new in each: `w_k = √γ·w_c + √(1−γ)·n_k`, so the
//!    complex temporal coherence of every pair is γ (and the intensity
//!    correlation about γ²);
//! 3. the SAR impulse response: `s_k = H_B * (√σ⁰ · w_k)` with `H_B` an ideal
//!    low-pass keeping `bandwidth` × the Nyquist band in each direction
//!    (1.0 = the full band, as in an SLC sampled at its resolution);
//! 4. the displacement: image k is the scene moved by `k · d(x, y)` — exact
//!    Fourier shifts, either one uniform 2-D shift or, for the glacier
//!    channel flowing east (+columns), a 1-D shift of every row by the
//!    row's displacement;
//! 5. detection: `I_k = |s_k|²` (optionally after ×2 zero-padding of the
//!    complex spectrum, which detects without aliasing).
//!
//! Displacements are in pixels per interval; columns increase to the east
//! and rows to the south.

use ndarray::{Array2, Axis};
use num_complex::Complex64;
use rand::Rng;
use rand_distr::StandardNormal;
use rustfft::FftPlanner;

use crate::error::{NccError, Result};
use crate::fft2::{fft2_rect as fft2, fft_axis, freq};

/// A known displacement field in pixels per acquisition interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DisplacementField {
    /// The same displacement everywhere.
    Uniform {
        /// Column displacement (east), pixels per interval.
        dx_px: f64,
        /// Row displacement (south), pixels per interval.
        dy_px: f64,
    },
    /// A glacier-like channel flowing east (+x) between stable ground:
    /// `dx(row) = peak · (1 − u²)²` with `u = (row − centre) / half_width`
    /// for |u| < 1 and 0 outside; `dy = 0`. The profile is smooth (zero
    /// slope at the margins).
    Channel {
        /// Row of the channel's centre line (pixel-centre coordinates).
        center_row: f64,
        /// Half the channel width in pixels.
        half_width_px: f64,
        /// Displacement on the centre line, pixels per interval.
        peak_px: f64,
    },
}

impl DisplacementField {
    /// Displacement `(dx, dy)` in pixels per interval at a (row, col)
    /// position (pixel-centre coordinates, i.e. pixel (0, 0) at (0.0, 0.0)).
    pub fn at(&self, row: f64, _col: f64) -> (f64, f64) {
        match *self {
            DisplacementField::Uniform { dx_px, dy_px } => (dx_px, dy_px),
            DisplacementField::Channel {
                center_row,
                half_width_px,
                peak_px,
            } => {
                let u = (row - center_row) / half_width_px;
                if u.abs() < 1.0 {
                    (peak_px * (1.0 - u * u).powi(2), 0.0)
                } else {
                    (0.0, 0.0)
                }
            }
        }
    }

    /// `true` on the moving ice (inside the channel; everywhere for a
    /// non-zero uniform field).
    pub fn is_glacier(&self, row: f64, _col: f64) -> bool {
        match *self {
            DisplacementField::Uniform { dx_px, dy_px } => dx_px != 0.0 || dy_px != 0.0,
            DisplacementField::Channel {
                center_row,
                half_width_px,
                ..
            } => (row - center_row).abs() < half_width_px,
        }
    }

    /// `true` on stable ground at least `margin_px` away from the channel.
    pub fn is_stable(&self, row: f64, _col: f64, margin_px: f64) -> bool {
        match *self {
            DisplacementField::Uniform { dx_px, dy_px } => dx_px == 0.0 && dy_px == 0.0,
            DisplacementField::Channel {
                center_row,
                half_width_px,
                ..
            } => (row - center_row).abs() >= half_width_px + margin_px,
        }
    }
}

/// Parameters of a synthetic series; build with [`SceneParams::new`] and
/// the setters, validate with [`SceneParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct SceneParams {
    rows: usize,
    cols: usize,
    images: usize,
    coherence: f64,
    bandwidth: f64,
    texture_contrast: f64,
    texture_scale_px: f64,
    displacement: DisplacementField,
    oversample_detection: bool,
    keep_complex: bool,
}

impl SceneParams {
    /// A `rows × cols` series of `images` images with defaults: coherence
    /// 0.9, bandwidth 0.8, texture contrast 0.5 at 6 px, and a channel
    /// through the middle (half-width rows/5, 1.5 px per interval).
    pub fn new(rows: usize, cols: usize, images: usize) -> Self {
        SceneParams {
            rows,
            cols,
            images,
            coherence: 0.9,
            bandwidth: 0.8,
            texture_contrast: 0.5,
            texture_scale_px: 6.0,
            displacement: DisplacementField::Channel {
                center_row: rows as f64 / 2.0,
                half_width_px: rows as f64 / 5.0,
                peak_px: 1.5,
            },
            oversample_detection: false,
            keep_complex: false,
        }
    }
    /// Complex temporal coherence γ of every pair, in [0, 1].
    pub fn coherence(mut self, g: f64) -> Self {
        self.coherence = g;
        self
    }
    /// Fraction of the Nyquist band kept by the impulse response, in (0, 1].
    pub fn bandwidth(mut self, b: f64) -> Self {
        self.bandwidth = b;
        self
    }
    /// Standard deviation of the log-reflectivity texture (0 = pure speckle).
    pub fn texture_contrast(mut self, c: f64) -> Self {
        self.texture_contrast = c;
        self
    }
    /// Correlation length of the texture in pixels.
    pub fn texture_scale_px(mut self, s: f64) -> Self {
        self.texture_scale_px = s;
        self
    }
    /// The displacement field (pixels per interval).
    pub fn displacement(mut self, d: DisplacementField) -> Self {
        self.displacement = d;
        self
    }
    /// Detect on a ×2 grid (zero-padded complex spectrum): the intensities
    /// are `2·rows × 2·cols` and free of detection aliasing; displacements
    /// stay in pixels of the original grid.
    pub fn oversample_detection(mut self, on: bool) -> Self {
        self.oversample_detection = on;
        self
    }
    /// Also return the complex images.
    pub fn keep_complex(mut self, on: bool) -> Self {
        self.keep_complex = on;
        self
    }
    /// The displacement field.
    pub fn get_displacement(&self) -> DisplacementField {
        self.displacement
    }

    /// Validate.
    pub fn check(&self) -> Result<()> {
        let bad = |name, reason: String| Err(NccError::InvalidParameter { name, reason });
        if self.rows < 8 || self.cols < 8 || self.rows > 8192 || self.cols > 8192 {
            return bad(
                "rows/cols",
                format!(
                    "scene must be 8..=8192 px a side, got {}×{}",
                    self.rows, self.cols
                ),
            );
        }
        if self.images < 1 {
            return bad("images", "need at least one image".into());
        }
        if !(0.0..=1.0).contains(&self.coherence) {
            return bad(
                "coherence",
                format!("must be in [0, 1], got {}", self.coherence),
            );
        }
        if !(self.bandwidth > 0.0 && self.bandwidth <= 1.0) {
            return bad(
                "bandwidth",
                format!("must be in (0, 1], got {}", self.bandwidth),
            );
        }
        if !(self.texture_contrast >= 0.0) || !(self.texture_scale_px > 0.0) {
            return bad("texture", "contrast must be ≥ 0 and scale > 0".into());
        }
        Ok(())
    }
}

/// A generated series and its truth.
#[derive(Debug, Clone)]
pub struct SyntheticSeries {
    /// Detected intensities (linear), one per acquisition.
    pub intensity: Vec<Array2<f64>>,
    /// The complex images, if requested.
    pub complex: Option<Vec<Array2<Complex64>>>,
    /// The displacement field per interval (pixels of the original grid).
    pub displacement: DisplacementField,
}

fn complex_noise<R: Rng + ?Sized>(rows: usize, cols: usize, rng: &mut R) -> Array2<Complex64> {
    let s = std::f64::consts::FRAC_1_SQRT_2;
    Array2::from_shape_simple_fn((rows, cols), || {
        let a: f64 = rng.sample(StandardNormal);
        let b: f64 = rng.sample(StandardNormal);
        Complex64::new(a * s, b * s)
    })
}

/// Zero-pad the spectrum of a complex image to twice the size in both
/// directions (band-limited interpolation); the result has the same
/// amplitude scale.
pub fn oversample_complex2(img: &Array2<Complex64>) -> Array2<Complex64> {
    let mut planner = FftPlanner::new();
    let (r, c) = img.dim();
    let mut spec = img.clone();
    fft2(&mut spec, false, &mut planner);
    let mut big = Array2::<Complex64>::zeros((2 * r, 2 * c));
    for i in 0..r {
        let bi = if i < r / 2 { i } else { i + r };
        for j in 0..c {
            let bj = if j < c / 2 { j } else { j + c };
            big[[bi, bj]] = spec[[i, j]];
        }
    }
    fft2(&mut big, true, &mut planner);
    // the inverse divides by 4·r·c, the forward summed r·c samples
    big.mapv_inplace(|v| v * 4.0);
    big
}

/// Generate a synthetic series (see the module documentation).
///
/// ```
/// use ncc_stack::synth::{generate, DisplacementField, SceneParams};
/// use rand::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
/// let p = SceneParams::new(64, 64, 3)
///     .displacement(DisplacementField::Uniform { dx_px: 0.5, dy_px: 0.0 });
/// let s = generate(&p, &mut rng)?;
/// assert_eq!(s.intensity.len(), 3);
/// assert!(s.intensity[0].iter().all(|v| *v >= 0.0));
/// # Ok::<(), ncc_stack::NccError>(())
/// ```
pub fn generate<R: Rng + ?Sized>(params: &SceneParams, rng: &mut R) -> Result<SyntheticSeries> {
    params.check()?;
    let (rows, cols) = (params.rows, params.cols);
    let mut planner = FftPlanner::new();
    // 1. texture
    let amp: Array2<f64> = if params.texture_contrast > 0.0 {
        let mut g = Array2::from_shape_simple_fn((rows, cols), || {
            let a: f64 = rng.sample(StandardNormal);
            Complex64::new(a, 0.0)
        });
        fft2(&mut g, false, &mut planner);
        let s2 = 2.0 * (std::f64::consts::PI * params.texture_scale_px).powi(2);
        for ((i, j), v) in g.indexed_iter_mut() {
            let f2 = freq(i, rows).powi(2) + freq(j, cols).powi(2);
            *v *= (-f2 * s2 / 2.0).exp();
        }
        fft2(&mut g, true, &mut planner);
        let re = g.mapv(|v| v.re);
        let mean = re.mean().unwrap_or(0.0);
        let sd = re.std(0.0).max(1e-300);
        re.mapv(|v| (0.5 * params.texture_contrast * (v - mean) / sd).exp())
    } else {
        Array2::ones((rows, cols))
    };
    let common = complex_noise(rows, cols, rng);
    let g = params.coherence;
    let (a, b) = (g.sqrt(), (1.0 - g).sqrt());
    let half_band = 0.5 * params.bandwidth;
    let mut intensity = Vec::with_capacity(params.images);
    let mut complex_out = params.keep_complex.then(Vec::new);
    for k in 0..params.images {
        let own = complex_noise(rows, cols, rng);
        let mut s = Array2::from_shape_fn((rows, cols), |(i, j)| {
            (common[[i, j]] * a + own[[i, j]] * b) * amp[[i, j]]
        });
        fft2(&mut s, false, &mut planner);
        let kf = k as f64;
        for ((i, j), v) in s.indexed_iter_mut() {
            let (fy, fx) = (freq(i, rows), freq(j, cols));
            if fy.abs() > half_band || fx.abs() > half_band {
                *v = Complex64::default();
                continue;
            }
            if let DisplacementField::Uniform { dx_px, dy_px } = params.displacement {
                let ph = -2.0 * std::f64::consts::PI * kf * (fx * dx_px + fy * dy_px);
                *v *= Complex64::from_polar(1.0, ph);
            }
        }
        // normalise so that E|s|² = mean σ⁰ (independent of bandwidth)
        let norm = 1.0 / (params.bandwidth * params.bandwidth).sqrt();
        if let DisplacementField::Channel { .. } = params.displacement {
            // inverse along rows only, shift each row, then inverse along x
            fft_axis(&mut s, 0, true, &mut planner);
            for (i, mut row) in s.axis_iter_mut(Axis(0)).enumerate() {
                let (dx, _) = params.displacement.at(i as f64, 0.0);
                if dx == 0.0 || k == 0 {
                    continue;
                }
                for (j, v) in row.iter_mut().enumerate() {
                    let ph = -2.0 * std::f64::consts::PI * kf * freq(j, cols) * dx;
                    *v *= Complex64::from_polar(1.0, ph);
                }
            }
            fft_axis(&mut s, 1, true, &mut planner);
            let sc = norm / (rows * cols) as f64;
            s.mapv_inplace(|v| v * sc);
        } else {
            fft2(&mut s, true, &mut planner);
            s.mapv_inplace(|v| v * norm);
        }
        let detected = if params.oversample_detection {
            oversample_complex2(&s)
        } else {
            s.clone()
        };
        intensity.push(detected.mapv(|v| v.norm_sqr()));
        if let Some(c) = complex_out.as_mut() {
            c.push(s);
        }
    }
    Ok(SyntheticSeries {
        intensity,
        complex: complex_out,
        displacement: params.displacement,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn channel_profile_and_masks() {
        let d = DisplacementField::Channel {
            center_row: 50.0,
            half_width_px: 20.0,
            peak_px: 2.0,
        };
        assert_eq!(d.at(50.0, 3.0), (2.0, 0.0));
        assert!((d.at(60.0, 0.0).0 - 2.0 * 0.75f64.powi(2)).abs() < 1e-12);
        assert_eq!(d.at(71.0, 0.0), (0.0, 0.0));
        assert!(d.is_glacier(45.0, 0.0) && !d.is_glacier(75.0, 0.0));
        assert!(d.is_stable(80.0, 0.0, 5.0) && !d.is_stable(72.0, 0.0, 5.0));
    }

    #[test]
    fn coherence_and_shift_are_as_set() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        let p = SceneParams::new(128, 128, 2)
            .coherence(0.6)
            .texture_contrast(0.0)
            .bandwidth(1.0)
            .keep_complex(true)
            .displacement(DisplacementField::Uniform {
                dx_px: 3.0,
                dy_px: -2.0,
            });
        let s = generate(&p, &mut rng).unwrap();
        let c = s.complex.unwrap();
        // integer shift: image 1 at (r−2, c+3) equals the common part of image 0 at (r, c)
        let mut num = Complex64::default();
        let (mut e0, mut e1) = (0.0, 0.0);
        for r in 2..128 {
            for col in 0..125 {
                let a = c[0][[r, col]];
                let b = c[1][[r - 2, col + 3]];
                num += a.conj() * b;
                e0 += a.norm_sqr();
                e1 += b.norm_sqr();
            }
        }
        let gamma = num.norm() / (e0 * e1).sqrt();
        assert!((gamma - 0.6).abs() < 0.03, "coherence {gamma}");
        let mean = s.intensity[0].mean().unwrap();
        assert!((mean - 1.0).abs() < 0.05, "mean intensity {mean}");
    }
}
