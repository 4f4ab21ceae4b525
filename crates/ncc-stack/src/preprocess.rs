//! Pre-processing of intensity images before correlation (sect. 2.3.2):
//! dual-polarisation average, conversion to dB, Gaussian high-pass filter,
//! and optional ×2 oversampling.

use ndarray::{Array2, ArrayView2};
use num_complex::Complex64;
use rustfft::FftPlanner;
use sar_core::linalg::{solve_dense, Singularity};

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

/// Correlate one line with the (symmetric) kernel `k`, zero beyond the
/// ends: `dst[c] = Σ_t k[t]·src[c + t − h]`. Where the kernel lies inside
/// the line the symmetry is used, `k[h]·src[c] + Σ_{t≥1} k[h+t]·(src[c−t] +
/// src[c+t])`, accumulated tap by tap over the whole line (contiguous,
/// vectorisable loops); the ends take the direct sum.
fn conv_line(src: &[f64], dst: &mut [f64], k: &[f64]) {
    let n = src.len();
    let h = k.len() / 2;
    let edge = |c: usize| -> f64 {
        let lo = h.saturating_sub(c);
        let hi = k.len().min(n + h - c);
        let base = c + lo - h;
        k[lo..hi]
            .iter()
            .zip(&src[base..base + hi - lo])
            .map(|(a, b)| a * b)
            .sum()
    };
    if n <= 2 * h {
        for (c, d) in dst.iter_mut().enumerate() {
            *d = edge(c);
        }
        return;
    }
    let inner = &mut dst[h..n - h];
    for (d, &x) in inner.iter_mut().zip(&src[h..n - h]) {
        *d = k[h] * x;
    }
    for t in 1..=h {
        let kt = k[h + t];
        let (a, b) = (&src[h - t..n - h - t], &src[h + t..n - h + t]);
        for ((d, &x), &y) in inner.iter_mut().zip(a).zip(b) {
            *d += kt * (x + y);
        }
    }
    for c in (0..h).chain(n - h..n) {
        dst[c] = edge(c);
    }
}

/// Sum of the kernel taps that fall inside a line of `n` samples at each
/// position (the normalisation of a convolution without no-data).
fn edge_weights(n: usize, k: &[f64]) -> Vec<f64> {
    let h = k.len() / 2;
    (0..n)
        .map(|c| {
            let lo = h.saturating_sub(c);
            let hi = k.len().min(n + h - c);
            k[lo..hi].iter().sum()
        })
        .collect()
}

/// Separable correlation of a row-major image with `k` along rows, then
/// along columns (zero beyond the edges). The column pass accumulates whole
/// rows (`out_row += k[t]·in_row`), so every inner loop runs over contiguous
/// memory; rows are processed in parallel with rayon.
fn conv2_separable(img: &Array2<f64>, k: &[f64], parallel: bool) -> Array2<f64> {
    let (rows, cols) = img.dim();
    let h = k.len() / 2;
    let src = img.as_slice().expect("standard layout");
    let mut tmp = vec![0.0; rows * cols];
    let mut out = vec![0.0; rows * cols];
    let row_pass = |(r, dst): (usize, &mut [f64])| {
        conv_line(&src[r * cols..(r + 1) * cols], dst, k);
    };
    run_rows(&mut tmp, cols, parallel, row_pass);
    let tmp = &tmp;
    let col_pass = |(r, dst): (usize, &mut [f64])| {
        if r >= h && r + h < rows {
            // the kernel's symmetry: rows r − t and r + t share a tap
            let row = |rr: usize| &tmp[rr * cols..(rr + 1) * cols];
            for (d, &v) in dst.iter_mut().zip(row(r)) {
                *d = k[h] * v;
            }
            for t in 1..=h {
                let kt = k[h + t];
                for ((d, &x), &y) in dst.iter_mut().zip(row(r - t)).zip(row(r + t)) {
                    *d += kt * (x + y);
                }
            }
            return;
        }
        let lo = h.saturating_sub(r);
        let hi = k.len().min(rows + h - r);
        for (t, &kt) in k.iter().enumerate().take(hi).skip(lo) {
            let rr = r + t - h;
            for (d, &v) in dst.iter_mut().zip(&tmp[rr * cols..(rr + 1) * cols]) {
                *d += kt * v;
            }
        }
    };
    run_rows(&mut out, cols, parallel, col_pass);
    Array2::from_shape_vec((rows, cols), out).expect("shape")
}

/// Apply `f(row index, row)` to every row of a row-major buffer, with rayon
/// when available and asked for.
fn run_rows(
    buf: &mut [f64],
    cols: usize,
    parallel: bool,
    f: impl Fn((usize, &mut [f64])) + Sync + Send,
) {
    if cols == 0 {
        return;
    }
    #[cfg(feature = "rayon")]
    if parallel {
        use rayon::prelude::*;
        buf.par_chunks_mut(cols).enumerate().for_each(f);
        return;
    }
    let _ = parallel;
    buf.chunks_mut(cols).enumerate().for_each(f);
}

/// Kernels of at most this many taps are applied directly (2·k
/// multiply-adds per pixel); longer ones by the cosine-series recursion of
/// [`CosineKernel`], whose cost per pixel does not depend on k (about the
/// cost of a 51-tap direct pass).
const DIRECT_MAX_TAPS: usize = 51;

/// Largest error of the cosine series accepted, relative to the largest
/// kernel tap (the 2-D filter then differs from the direct one by less than
/// ~2·10⁻⁷ of the local data range); a kernel that no series of ≤ 9 terms
/// reaches is applied directly.
const COSINE_TOL: f64 = 1e-7;

/// A symmetric kernel `k[t]`, `|t| ≤ h`, written as a short cosine series
/// `k[t] ≈ Σₘ aₘ cos(ω m t)` (ω = π / (β(h + 1)), β ∈ {1.5, 2, 3},
/// m = 0…M ≤ 8, least squares on the taps; the shortest series within
/// [`COSINE_TOL`] is taken). Each term's sliding sum `Cₘ(c) = Σ_{|t|≤h} e^{iωmt} x[c + t]`
/// follows from the previous position in O(1):
/// `Cₘ(c + 1) = e^{−iωm} (Cₘ(c) − e^{−iωmh} x[c − h] + e^{iωm(h+1)} x[c + h + 1])`,
/// and the filtered value is `Σₘ aₘ Re Cₘ(c)` — a running-sum filter for a
/// truncated Gaussian (the sliding-transform idea of Charalampidis 2016,
/// "Recursive implementation of the Gaussian filter using truncated cosine
/// functions", IEEE TSP 64(14)) whose cost is independent of the kernel
/// size.
#[derive(Debug, Clone)]
struct CosineKernel {
    h: usize,
    coef: Vec<f64>,
    /// `e^{iωmt}` for t = 0…h, row-major by m
    phase: Vec<Complex64>,
    rot: Vec<Complex64>,
    out_w: Vec<Complex64>,
    in_w: Vec<Complex64>,
}

impl CosineKernel {
    /// The shortest series within [`COSINE_TOL`] of `k`, or `None`.
    #[allow(clippy::needless_range_loop)]
    fn fit(k: &[f64]) -> Option<Self> {
        let h = k.len() / 2;
        let kmax = k.iter().copied().fold(0.0, f64::max);
        for (m_max, beta) in (2..=8usize).flat_map(|m| [(m, 1.5), (m, 2.0), (m, 3.0)]) {
            let omega = std::f64::consts::PI / (beta * (h + 1) as f64);
            let n = m_max + 1;
            // weighted normal equations over t = 0…h (t > 0 stands for ±t)
            let mut ata = vec![0.0; n * n];
            let mut atb = vec![0.0; n];
            for t in 0..=h {
                let w = if t == 0 { 1.0 } else { 2.0 };
                for i in 0..n {
                    let bi = (omega * (i * t) as f64).cos();
                    atb[i] += w * bi * k[h + t];
                    for j in 0..n {
                        ata[i * n + j] += w * bi * (omega * (j * t) as f64).cos();
                    }
                }
            }
            let Some(coef) = solve_dense(ata, atb, Singularity::Absolute(1e-300)) else {
                continue;
            };
            let err = (0..=h)
                .map(|t| {
                    let v: f64 = (0..n)
                        .map(|m| coef[m] * (omega * (m * t) as f64).cos())
                        .sum();
                    (v - k[h + t]).abs()
                })
                .fold(0.0, f64::max);
            if err <= COSINE_TOL * kmax {
                let cis = |a: f64| Complex64::from_polar(1.0, a);
                return Some(CosineKernel {
                    h,
                    phase: (0..n)
                        .flat_map(|m| (0..=h).map(move |t| cis(omega * (m * t) as f64)))
                        .collect(),
                    rot: (0..n).map(|m| cis(-omega * m as f64)).collect(),
                    out_w: (0..n).map(|m| cis(-omega * (m * h) as f64)).collect(),
                    in_w: (0..n).map(|m| cis(omega * (m * (h + 1)) as f64)).collect(),
                    coef,
                });
            }
        }
        None
    }

    fn terms(&self) -> usize {
        self.coef.len()
    }

    /// Filter `n` samples `x(i)` (zero beyond the ends) into `dst(i, value)`,
    /// with `z` (one value per term) as the running state.
    #[inline]
    fn run(
        &self,
        n: usize,
        x: impl Fn(usize) -> f64,
        mut dst: impl FnMut(usize, f64),
        z: &mut [Complex64],
    ) {
        let (h, nt) = (self.h, self.terms());
        for (m, zm) in z.iter_mut().enumerate().take(nt) {
            *zm = (0..=h.min(n.saturating_sub(1)))
                .map(|t| self.phase[m * (h + 1) + t] * x(t))
                .sum();
        }
        for c in 0..n {
            dst(c, z.iter().zip(&self.coef).map(|(zm, a)| a * zm.re).sum());
            if c + 1 < n {
                let xo = if c >= h { x(c - h) } else { 0.0 };
                let xi = if c + h + 1 < n { x(c + h + 1) } else { 0.0 };
                for (((zm, rot), ow), iw) in
                    z.iter_mut().zip(&self.rot).zip(&self.out_w).zip(&self.in_w)
                {
                    *zm = rot * (*zm - ow * xo + iw * xi);
                }
            }
        }
    }
}

/// Separable filter of a row-major image with the cosine-series kernel
/// `ck` along rows, then along columns (zero beyond the edges), O(1) per
/// pixel in the kernel size. Rows are filtered in parallel; the column pass
/// runs over blocks of 64 columns, each a contiguous slice of every row.
fn conv2_cosine(img: &Array2<f64>, ck: &CosineKernel, parallel: bool) -> Array2<f64> {
    let (rows, cols) = img.dim();
    let src = img.as_slice().expect("standard layout");
    let mut tmp = vec![0.0; rows * cols];
    let nt = ck.terms();
    run_rows(&mut tmp, cols, parallel, |(r, dst)| {
        let line = &src[r * cols..(r + 1) * cols];
        let mut z = vec![Complex64::new(0.0, 0.0); nt];
        ck.run(cols, |i| line[i], |i, v| dst[i] = v, &mut z);
    });
    const B: usize = 64;
    let n_blocks = cols.div_ceil(B);
    let tmp = &tmp;
    let block = |b: usize| -> Vec<f64> {
        let (c0, c1) = (b * B, ((b + 1) * B).min(cols));
        let w = c1 - c0;
        let mut out = vec![0.0; rows * w];
        let mut z = vec![Complex64::new(0.0, 0.0); nt];
        for c in 0..w {
            ck.run(
                rows,
                |r| tmp[r * cols + c0 + c],
                |r, v| out[r * w + c] = v,
                &mut z,
            );
        }
        out
    };
    let blocks: Vec<Vec<f64>> = {
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            if parallel {
                (0..n_blocks).into_par_iter().map(block).collect()
            } else {
                (0..n_blocks).map(block).collect()
            }
        }
        #[cfg(not(feature = "rayon"))]
        {
            let _ = parallel;
            (0..n_blocks).map(block).collect()
        }
    };
    let mut out = vec![0.0; rows * cols];
    run_rows(&mut out, cols, parallel, |(r, dst)| {
        for (b, blk) in blocks.iter().enumerate() {
            let (c0, c1) = (b * B, ((b + 1) * B).min(cols));
            let w = c1 - c0;
            dst[c0..c1].copy_from_slice(&blk[r * w..(r + 1) * w]);
        }
    });
    Array2::from_shape_vec((rows, cols), out).expect("shape")
}

/// How a low-pass kernel is applied: directly, or by its cosine series.
enum LowpassPlan<'a> {
    Direct(&'a [f64]),
    Cosine(CosineKernel),
}

impl<'a> LowpassPlan<'a> {
    fn new(k: &'a [f64], img: ArrayView2<'_, f64>) -> Self {
        // the running sums add and later subtract every sample: values so
        // large that their rounding error would swamp the others are
        // filtered directly
        let huge = img.iter().any(|v| v.is_finite() && v.abs() > 1e100);
        if k.len() > DIRECT_MAX_TAPS && !huge {
            if let Some(ck) = CosineKernel::fit(k) {
                return LowpassPlan::Cosine(ck);
            }
        }
        LowpassPlan::Direct(k)
    }

    fn apply(&self, img: &Array2<f64>, parallel: bool) -> Array2<f64> {
        match self {
            LowpassPlan::Direct(k) => conv2_separable(img, k, parallel),
            LowpassPlan::Cosine(ck) => conv2_cosine(img, ck, parallel),
        }
    }

    /// The filter's weights inside a line of `n` samples (the
    /// normalisation of a convolution without no-data).
    fn edge_weights(&self, n: usize) -> Vec<f64> {
        match self {
            LowpassPlan::Direct(k) => edge_weights(n, k),
            LowpassPlan::Cosine(ck) => {
                let mut w = vec![0.0; n];
                let mut z = vec![Complex64::new(0.0, 0.0); ck.terms()];
                ck.run(n, |_| 1.0, |i, v| w[i] = v, &mut z);
                w
            }
        }
    }
}

/// The Gaussian low-pass of [`gaussian_highpass`] (NaN-aware normalised
/// convolution), serially or in parallel.
fn gaussian_lowpass(img: ArrayView2<'_, f64>, k: &[f64], parallel: bool) -> Array2<f64> {
    let (rows, cols) = img.dim();
    let plan = LowpassPlan::new(k, img);
    let has_nodata = img.iter().any(|v| !v.is_finite());
    let vals = img.mapv(|v| if v.is_finite() { v } else { 0.0 });
    let mut num = plan.apply(&vals, parallel);
    drop(vals);
    if has_nodata {
        let mask = img.mapv(|v| if v.is_finite() { 1.0 } else { 0.0 });
        let den = plan.apply(&mask, parallel);
        drop(mask);
        // the cosine series may leave a weight of ~1e-12 where the direct
        // filter gives exactly 0 (the kernel sums to 1)
        let min_w = match plan {
            LowpassPlan::Direct(_) => 0.0,
            LowpassPlan::Cosine(_) => 1e-7,
        };
        ndarray::Zip::from(&mut num)
            .and(&den)
            .for_each(|v, &w| *v = if w > min_w { *v / w } else { f64::NAN });
    } else {
        // without no-data the weights are the product of the edge sums
        let (wr, wc) = (plan.edge_weights(rows), plan.edge_weights(cols));
        for ((r, c), v) in num.indexed_iter_mut() {
            *v /= wr[r] * wc[c];
        }
    }
    num
}

/// NaN-aware Gaussian high-pass: the image minus its Gaussian low-pass
/// (kernel `kernel_px × kernel_px`, standard deviation `sigma_px`; 51 and
/// 17 in sect. 2.3.2). The low-pass is a normalised convolution — NaN
/// pixels and pixels beyond the edge get zero weight and the kernel is
/// renormalised — so no-data does not bleed into valid pixels; NaN stays NaN.
///
/// The 2-D kernel is separable, so the low-pass is two 1-D passes
/// (2·k instead of k² multiply-adds per pixel; for the 51×51 default 102
/// instead of 2601), each over contiguous memory and in parallel over rows
/// (feature `rayon`); the weights need their own pair of passes only when
/// the image has no-data — otherwise they are the product of the two 1-D
/// edge sums. Kernels longer than 51 taps are applied by a cosine-series
/// running sum (`CosineKernel`, within 10⁻⁷ of the kernel), whose cost per
/// pixel does not grow with the kernel: the filter is O(1) per pixel in the
/// kernel size (bounded by that of a 51-tap pass), as issue 14 asks.
/// Measured on 768² px: see `benches/benches/ncc.rs` (`highpass`).
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
    // the high-pass overwrites the low-pass (one image less in memory)
    let mut out = gaussian_lowpass(img, &k, true);
    ndarray::Zip::from(&mut out).and(img).for_each(|l, &x| {
        *l = if x.is_finite() && l.is_finite() {
            x - *l
        } else {
            f64::NAN
        }
    });
    Ok(out)
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

    /// The direct 2-D normalised convolution with the k×k kernel (the
    /// definition), as the oracle of the separable implementation.
    fn direct_highpass(img: &Array2<f64>, ks: usize, sigma: f64) -> Array2<f64> {
        let k = gaussian_kernel(ks, sigma);
        let h = (ks / 2) as isize;
        let (rows, cols) = img.dim();
        Array2::from_shape_fn((rows, cols), |(r, c)| {
            if !img[[r, c]].is_finite() {
                return f64::NAN;
            }
            let (mut sv, mut sw) = (0.0, 0.0);
            for (a, ka) in k.iter().enumerate() {
                for (b, kb) in k.iter().enumerate() {
                    let (rr, cc) = (r as isize + a as isize - h, c as isize + b as isize - h);
                    if rr < 0 || cc < 0 || rr >= rows as isize || cc >= cols as isize {
                        continue;
                    }
                    let v = img[[rr as usize, cc as usize]];
                    if v.is_finite() {
                        sv += ka * kb * v;
                        sw += ka * kb;
                    }
                }
            }
            img[[r, c]] - sv / sw
        })
    }

    #[test]
    fn separable_highpass_equals_direct_2d_convolution() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        for &(rows, cols, ks, sigma, nan_frac) in &[
            (23usize, 31usize, 7usize, 2.0, 0.0),
            (40, 17, 11, 3.5, 0.1),
            (12, 60, 51, 17.0, 0.3),
            (9, 9, 21, 5.0, 0.0),
            // longer kernels: the O(1) cosine-series recursion
            (70, 90, 101, 17.0, 0.0),
            (64, 150, 101, 17.0, 0.2),
            (50, 40, 201, 30.0, 0.05),
            (130, 33, 75, 25.0, 0.0),
        ] {
            let k = gaussian_kernel(ks, sigma);
            let plan = LowpassPlan::new(&k, Array2::<f64>::zeros((1, 1)).view());
            assert_eq!(
                matches!(plan, LowpassPlan::Cosine(_)),
                ks > DIRECT_MAX_TAPS,
                "kernel {ks}"
            );
            // direct: to rounding; cosine series: within ~COSINE_TOL of the range
            // (data range 10: 1e-5 is 1e-6 of it)
            let tol = if ks > DIRECT_MAX_TAPS { 1e-5 } else { 1e-10 };
            let img = Array2::from_shape_fn((rows, cols), |_| {
                if rng.gen::<f64>() < nan_frac {
                    f64::NAN
                } else {
                    rng.gen::<f64>() * 10.0 - 3.0
                }
            });
            let fast = gaussian_highpass(img.view(), ks, sigma).unwrap();
            let slow = direct_highpass(&img, ks, sigma);
            for (a, b) in fast.iter().zip(slow.iter()) {
                assert_eq!(a.is_nan(), b.is_nan());
                if a.is_finite() {
                    assert!((a - b).abs() < tol, "{a} vs {b} ({rows}x{cols}, k {ks})");
                }
            }
            // serial equals parallel
            let s = gaussian_lowpass(img.view(), &k, false);
            let p = gaussian_lowpass(img.view(), &k, true);
            assert!(s
                .iter()
                .zip(p.iter())
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
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
