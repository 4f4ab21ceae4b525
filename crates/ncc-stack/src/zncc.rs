//! Exact zero-normalised cross-correlation (eq. 1.10) at every lag of a
//! search window, by FFT plus summed-area tables; and the energy-normalised
//! circular form of eq. 2.1.

use ndarray::{Array2, ArrayView2};
use num_complex::Complex64;

use crate::error::{NccError, Result};
use crate::fft2::{unpack_two_real, Fft2};

/// Why a template or search window cannot be correlated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// It contains a NaN (no-data) pixel.
    NoData,
    /// It (or one lag's sub-window) has zero variance.
    ZeroVariance,
}

impl Invalid {
    fn into_error(self, what: &str) -> NccError {
        match self {
            Invalid::NoData => NccError::NoDataInWindow(what.to_string()),
            Invalid::ZeroVariance => NccError::ZeroVariance(what.to_string()),
        }
    }
}

/// One correlation job: (template spectrum, 1/‖T‖, window spectrum, per-lag 1/σ).
pub(crate) type Job<'a> = (&'a [Complex64], f64, &'a [Complex64], &'a [f64]);

/// Relative threshold below which a variance counts as zero.
const ZERO_VAR_REL: f64 = 1e-12;

/// FFT plans and sizes for correlating `t × t` templates over a search
/// radius of `r` pixels, i.e. windows of `(t + 2r) × (t + 2r)` pixels and
/// correlation surfaces of `(2r + 1) × (2r + 1)` lags.
///
/// The plans are made once and shared (the context is `Sync`); every
/// thread needs its own [`NccScratch`] from [`NccContext::make_scratch`].
///
/// ```
/// use ncc_stack::NccContext;
/// use ndarray::Array2;
/// let ctx = NccContext::new(8, 2)?;
/// let mut scratch = ctx.make_scratch();
/// // a window with a non-repeating pattern; the template is its centre
/// let window = Array2::from_shape_fn((12, 12), |(r, c)| ((r * 7 + c * 13) % 17) as f64 + (r * c) as f64 * 0.1);
/// let template = window.slice(ndarray::s![2..10, 2..10]).to_owned();
/// let s = ctx.zncc(template.view(), window.view(), &mut scratch)?;
/// assert_eq!(s.dim(), (5, 5));
/// approx::assert_abs_diff_eq!(s[[2, 2]], 1.0, epsilon = 1e-12); // zero lag
/// # Ok::<(), ncc_stack::NccError>(())
/// ```
#[derive(Debug, Clone)]
pub struct NccContext {
    t: usize,
    r: usize,
    fft: Fft2,
}

/// Per-thread scratch memory of an [`NccContext`]; allocated once, reused
/// for every template.
#[derive(Debug, Clone)]
pub struct NccScratch {
    pub(crate) cbuf: Vec<Complex64>,
    pub(crate) tmp: Vec<Complex64>,
    pub(crate) fft: Vec<Complex64>,
    sat1: Vec<f64>,
    sat2: Vec<f64>,
    pub(crate) real_a: Vec<f64>,
    pub(crate) real_b: Vec<f64>,
    pub(crate) spec_a: Vec<Complex64>,
    pub(crate) spec_b: Vec<Complex64>,
    pub(crate) inv_std: Vec<f64>,
}

impl NccContext {
    /// A context for `template_px × template_px` templates and a search
    /// radius of `search_radius_px` pixels (lags −r..=r in both directions).
    pub fn new(template_px: usize, search_radius_px: usize) -> Result<Self> {
        if template_px < 2 {
            return Err(NccError::InvalidParameter {
                name: "template",
                reason: format!("template size must be at least 2 px, got {template_px}"),
            });
        }
        Ok(NccContext {
            t: template_px,
            r: search_radius_px,
            fft: Fft2::new(template_px + 2 * search_radius_px),
        })
    }

    /// Template size in pixels.
    pub fn template_size(&self) -> usize {
        self.t
    }

    /// Search radius in pixels.
    pub fn search_radius(&self) -> usize {
        self.r
    }

    /// Side of the search window in pixels, `t + 2r` (also the FFT size).
    pub fn window_size(&self) -> usize {
        self.t + 2 * self.r
    }

    /// Side of the correlation surface, `2r + 1` lags.
    pub fn surface_size(&self) -> usize {
        2 * self.r + 1
    }

    /// Fresh scratch buffers for one thread.
    pub fn make_scratch(&self) -> NccScratch {
        let l = self.window_size();
        let n2 = l * l;
        let s = self.surface_size();
        NccScratch {
            cbuf: vec![Complex64::default(); n2],
            tmp: vec![Complex64::default(); n2],
            fft: vec![Complex64::default(); self.fft.scratch_len()],
            sat1: vec![0.0; (l + 1) * (l + 1)],
            sat2: vec![0.0; (l + 1) * (l + 1)],
            real_a: vec![0.0; n2],
            real_b: vec![0.0; n2],
            spec_a: vec![Complex64::default(); n2],
            spec_b: vec![Complex64::default(); n2],
            inv_std: vec![0.0; s * s],
        }
    }

    /// ZNCC (eq. 1.10; OpenCV `TM_CCOEFF_NORMED`) of a `t × t` template at
    /// every lag of a `(t+2r) × (t+2r)` search window.
    ///
    /// Element `[dy, dx]` is the correlation with the window's sub-window
    /// whose top-left corner is `(dy, dx)`, i.e. a lag of `(dy − r, dx − r)`
    /// pixels relative to a window centred on the template. Values are
    /// clamped to [−1, 1].
    ///
    /// # Errors
    /// Wrong shapes ([`NccError::InvalidParameter`]), NaN pixels
    /// ([`NccError::NoDataInWindow`]), or a template or sub-window with zero
    /// variance ([`NccError::ZeroVariance`]).
    pub fn zncc(
        &self,
        template: ArrayView2<'_, f64>,
        window: ArrayView2<'_, f64>,
        scratch: &mut NccScratch,
    ) -> Result<Array2<f64>> {
        let (t, l, s) = (self.t, self.window_size(), self.surface_size());
        if template.dim() != (t, t) || window.dim() != (l, l) {
            return Err(NccError::InvalidParameter {
                name: "template/window",
                reason: format!(
                    "expected a {t}×{t} template and a {l}×{l} window, got {:?} and {:?}",
                    template.dim(),
                    window.dim()
                ),
            });
        }
        let mut ra = std::mem::take(&mut scratch.real_a);
        let mut rb = std::mem::take(&mut scratch.real_b);
        let mut sa = std::mem::take(&mut scratch.spec_a);
        let mut sb = std::mem::take(&mut scratch.spec_b);
        let mut inv_std = std::mem::take(&mut scratch.inv_std);
        let res = (|| {
            let inv_norm = self
                .load_template(template, &mut ra)
                .map_err(|e| e.into_error("template"))?;
            self.load_window(window, &mut rb, &mut inv_std, scratch)
                .map_err(|e| e.into_error("search window"))?;
            self.forward_two(&ra, Some(&rb), &mut sa, Some(&mut sb), scratch);
            let mut out = vec![0.0; s * s];
            self.correlate_two(
                (&sa, inv_norm, &sb, &inv_std),
                None,
                &mut out,
                None,
                scratch,
            );
            Ok(Array2::from_shape_vec((s, s), out).expect("surface shape"))
        })();
        scratch.real_a = ra;
        scratch.real_b = rb;
        scratch.spec_a = sa;
        scratch.spec_b = sb;
        scratch.inv_std = inv_std;
        res
    }

    /// Copy a template into the `l × l` real buffer `dst` (top-left corner,
    /// zeros elsewhere) with its mean removed; returns `1 / ‖T − T̄‖`.
    pub(crate) fn load_template(
        &self,
        src: ArrayView2<'_, f64>,
        dst: &mut [f64],
    ) -> std::result::Result<f64, Invalid> {
        let (t, l) = (self.t, self.window_size());
        dst.fill(0.0);
        let sum = copy_rows(src, dst, l);
        if !sum.is_finite() {
            return Err(Invalid::NoData);
        }
        let mean = sum / (t * t) as f64;
        let mut ss = [0.0; LANES];
        let mut raw = [0.0; LANES];
        for i in 0..t {
            let d = &mut dst[i * l..i * l + t];
            let mut chunks = d.chunks_exact_mut(LANES);
            for c in &mut chunks {
                for k in 0..LANES {
                    let v = c[k];
                    let z = v - mean;
                    c[k] = z;
                    ss[k] += z * z;
                    raw[k] += v * v;
                }
            }
            for (k, o) in chunks.into_remainder().iter_mut().enumerate() {
                let v = *o;
                let z = v - mean;
                *o = z;
                ss[k] += z * z;
                raw[k] += v * v;
            }
        }
        let ss: f64 = ss.iter().sum();
        let raw: f64 = raw.iter().sum();
        if ss <= ZERO_VAR_REL * raw || ss <= f64::MIN_POSITIVE {
            return Err(Invalid::ZeroVariance);
        }
        Ok(1.0 / ss.sqrt())
    }

    /// Copy a search window into `dst` (mean removed, for precision) and
    /// compute, from summed-area tables, `1 / sqrt(Σ (W − W̄_lag)²)` over the
    /// `t × t` sub-window of every lag.
    pub(crate) fn load_window(
        &self,
        src: ArrayView2<'_, f64>,
        dst: &mut [f64],
        inv_std: &mut [f64],
        scratch: &mut NccScratch,
    ) -> std::result::Result<(), Invalid> {
        let (t, l, s) = (self.t, self.window_size(), self.surface_size());
        let sum = copy_rows(src, dst, l);
        if !sum.is_finite() {
            return Err(Invalid::NoData);
        }
        let mean = sum / (l * l) as f64;
        let w = l + 1;
        let (s1, s2) = (&mut scratch.sat1, &mut scratch.sat2);
        s1[..w].fill(0.0);
        s2[..w].fill(0.0);
        for i in 0..l {
            let d = &mut dst[i * l..(i + 1) * l];
            let (p1, c1) = s1[i * w..(i + 2) * w].split_at_mut(w);
            let (p2, c2) = s2[i * w..(i + 2) * w].split_at_mut(w);
            c1[0] = 0.0;
            c2[0] = 0.0;
            let (mut a1, mut a2) = (0.0, 0.0);
            for ((((z, o1), o2), q1), q2) in d
                .iter_mut()
                .zip(&mut c1[1..])
                .zip(&mut c2[1..])
                .zip(&p1[1..])
                .zip(&p2[1..])
            {
                *z -= mean;
                a1 += *z;
                a2 += *z * *z;
                *o1 = q1 + a1;
                *o2 = q2 + a2;
            }
        }
        let n = (t * t) as f64;
        for dy in 0..s {
            let (top1, bot1) = (&s1[dy * w..dy * w + w], &s1[(dy + t) * w..(dy + t) * w + w]);
            let (top2, bot2) = (&s2[dy * w..dy * w + w], &s2[(dy + t) * w..(dy + t) * w + w]);
            let out = &mut inv_std[dy * s..(dy + 1) * s];
            for (dx, o) in out.iter_mut().enumerate() {
                let b1 = bot1[dx + t] - top1[dx + t] - bot1[dx] + top1[dx];
                let b2 = bot2[dx + t] - top2[dx + t] - bot2[dx] + top2[dx];
                let var = b2 - b1 * b1 / n;
                if var <= ZERO_VAR_REL * b2 || var <= f64::MIN_POSITIVE {
                    return Err(Invalid::ZeroVariance);
                }
                *o = 1.0 / var.sqrt();
            }
        }
        Ok(())
    }

    /// Spectra of one or two real `l × l` buffers with one complex FFT.
    pub(crate) fn forward_two(
        &self,
        a: &[f64],
        b: Option<&[f64]>,
        out_a: &mut [Complex64],
        out_b: Option<&mut [Complex64]>,
        scratch: &mut NccScratch,
    ) {
        let buf = &mut scratch.cbuf;
        match b {
            Some(b) => {
                for ((o, &x), &y) in buf.iter_mut().zip(a).zip(b) {
                    *o = Complex64::new(x, y);
                }
            }
            None => {
                for (o, &x) in buf.iter_mut().zip(a) {
                    *o = Complex64::new(x, 0.0);
                }
            }
        }
        self.fft
            .forward_to_tmp(buf, &mut scratch.tmp, &mut scratch.fft);
        let buf = &scratch.tmp;
        match out_b {
            Some(ob) => unpack_two_real(self.fft.n(), buf, out_a, Some(ob)),
            None => {
                if b.is_none() {
                    out_a.copy_from_slice(buf);
                } else {
                    unpack_two_real(self.fft.n(), buf, out_a, None)
                }
            }
        }
    }

    /// ZNCC surfaces of one or two (template spectrum, 1/‖T‖, window
    /// spectrum, per-lag 1/σ) jobs with one inverse FFT; written into
    /// `out_a`/`out_b` (`(2r+1)²`, row-major), clamped to [−1, 1].
    pub(crate) fn correlate_two(
        &self,
        a: Job<'_>,
        b: Option<Job<'_>>,
        out_a: &mut [f64],
        out_b: Option<&mut [f64]>,
        scratch: &mut NccScratch,
    ) {
        let (l, s) = (self.window_size(), self.surface_size());
        let buf = &mut scratch.cbuf;
        let i_unit = Complex64::new(0.0, 1.0);
        match b {
            Some(bj) => {
                for (k, o) in buf.iter_mut().enumerate().take(l * l) {
                    let ca = a.0[k].conj() * a.2[k];
                    let cb = bj.0[k].conj() * bj.2[k];
                    *o = ca + i_unit * cb;
                }
            }
            None => {
                for (k, o) in buf.iter_mut().enumerate().take(l * l) {
                    *o = a.0[k].conj() * a.2[k];
                }
            }
        }
        self.fft
            .inverse_rows(buf, &mut scratch.tmp, &mut scratch.fft, s);
        let buf = &scratch.tmp;
        let scale = 1.0 / (l * l) as f64;
        for dy in 0..s {
            for dx in 0..s {
                let z = buf[dy * l + dx] * scale;
                let k = dy * s + dx;
                out_a[k] = (z.re * a.1 * a.3[k]).clamp(-1.0, 1.0);
            }
        }
        if let (Some(bj), Some(ob)) = (b, out_b) {
            for dy in 0..s {
                for dx in 0..s {
                    let k = dy * s + dx;
                    let z = buf[dy * l + dx].im * scale;
                    ob[k] = (z * bj.1 * bj.3[k]).clamp(-1.0, 1.0);
                }
            }
        }
    }
}

/// Accumulator lanes of the template sums (independent chains, so the
/// loop is not bound by the latency of one floating-point add).
const LANES: usize = 4;

/// Copy `src` row by row into `dst` (row stride `stride`) and return the
/// sum of its pixels, which is NaN or infinite if any pixel is not finite
/// (the no-data test, folded into the copy).
fn copy_rows(src: ArrayView2<'_, f64>, dst: &mut [f64], stride: usize) -> f64 {
    let mut acc = [0.0; LANES];
    for (i, row) in src.rows().into_iter().enumerate() {
        let d = &mut dst[i * stride..i * stride + row.len()];
        match row.as_slice() {
            Some(sl) => d.copy_from_slice(sl),
            None => d.iter_mut().zip(row.iter()).for_each(|(o, &v)| *o = v),
        }
        let mut chunks = d.chunks_exact(LANES);
        for c in &mut chunks {
            for k in 0..LANES {
                acc[k] += c[k];
            }
        }
        for (k, &v) in chunks.remainder().iter().enumerate() {
            acc[k] += v;
        }
    }
    acc.iter().sum()
}

/// The energy-normalised circular cross-correlation of eq. 2.1 for two
/// templates of equal size `t × t`:
/// `γ = F⁻¹(conj(Î₁)·Î₂) / sqrt(Σ I₁² · Σ I₂²)`, computed on the templates
/// with their means removed (as after the high-pass filter of sect. 2.3.2).
///
/// The result is `fftshift`ed: element `[t/2 + dy, t/2 + dx]` is the lag
/// `(dy, dx)` (second template displaced by `(dy, dx)` relative to the
/// first), for lags `−t/2 ..= t/2 − 1` (`t` even) with circular wrap-around.
/// Unlike [`NccContext::zncc`] the normalisation is one constant per pair,
/// so values at large lags are damped by the shrinking overlap.
#[derive(Debug, Clone)]
pub struct CircularNcc {
    fft: Fft2,
}

impl CircularNcc {
    /// Plans for `t × t` templates.
    pub fn new(template_px: usize) -> Result<Self> {
        if template_px < 2 {
            return Err(NccError::InvalidParameter {
                name: "template",
                reason: format!("template size must be at least 2 px, got {template_px}"),
            });
        }
        Ok(CircularNcc {
            fft: Fft2::new(template_px),
        })
    }

    /// Template size in pixels.
    pub fn template_size(&self) -> usize {
        self.fft.n()
    }

    /// Spectrum (transposed layout) of a mean-removed template and its
    /// energy `Σ (I − Ī)²`; an `Invalid` on NaN or zero variance.
    pub(crate) fn spectrum(
        &self,
        src: ArrayView2<'_, f64>,
        out: &mut [Complex64],
        tmp: &mut [Complex64],
        fft_scratch: &mut [Complex64],
    ) -> std::result::Result<f64, Invalid> {
        let n = self.fft.n();
        let mut sum = 0.0;
        let mut raw = 0.0;
        for v in src.iter() {
            if !v.is_finite() {
                return Err(Invalid::NoData);
            }
            sum += v;
            raw += v * v;
        }
        let mean = sum / (n * n) as f64;
        let mut energy = 0.0;
        for (o, &v) in out.iter_mut().zip(src.iter()) {
            let z = v - mean;
            energy += z * z;
            *o = Complex64::new(z, 0.0);
        }
        if energy <= ZERO_VAR_REL * raw || energy <= f64::MIN_POSITIVE {
            return Err(Invalid::ZeroVariance);
        }
        self.fft.forward(out, tmp, fft_scratch);
        Ok(energy)
    }

    pub(crate) fn scratch_len(&self) -> usize {
        self.fft.scratch_len()
    }

    /// Circular correlation from two spectra and energies, fftshifted into `out` (`t²`).
    pub(crate) fn correlate(
        &self,
        a: (&[Complex64], f64),
        b: (&[Complex64], f64),
        out: &mut [f64],
        buf: &mut [Complex64],
        tmp: &mut [Complex64],
        fft_scratch: &mut [Complex64],
    ) {
        let n = self.fft.n();
        for (k, o) in buf.iter_mut().enumerate().take(n * n) {
            *o = a.0[k].conj() * b.0[k];
        }
        self.fft.inverse(buf, tmp, fft_scratch);
        let scale = 1.0 / ((n * n) as f64 * (a.1 * b.1).sqrt());
        let h = n / 2;
        for r in 0..n {
            for c in 0..n {
                let (rr, cc) = ((r + h) % n, (c + h) % n);
                out[rr * n + cc] = (buf[r * n + c].re * scale).clamp(-1.0, 1.0);
            }
        }
    }

    /// Eq. 2.1 for two `t × t` templates; see the type's documentation for
    /// the layout.
    pub fn correlate_templates(
        &self,
        first: ArrayView2<'_, f64>,
        second: ArrayView2<'_, f64>,
    ) -> Result<Array2<f64>> {
        let n = self.fft.n();
        if first.dim() != (n, n) || second.dim() != (n, n) {
            return Err(NccError::InvalidParameter {
                name: "template",
                reason: format!(
                    "expected two {n}×{n} templates, got {:?} and {:?}",
                    first.dim(),
                    second.dim()
                ),
            });
        }
        let z = Complex64::default();
        let (mut sa, mut sb, mut buf, mut tmp) = (
            vec![z; n * n],
            vec![z; n * n],
            vec![z; n * n],
            vec![z; n * n],
        );
        let mut scr = vec![z; self.fft.scratch_len()];
        let ea = self
            .spectrum(first, &mut sa, &mut tmp, &mut scr)
            .map_err(|e| e.into_error("first template"))?;
        let eb = self
            .spectrum(second, &mut sb, &mut tmp, &mut scr)
            .map_err(|e| e.into_error("second template"))?;
        let mut out = vec![0.0; n * n];
        self.correlate((&sa, ea), (&sb, eb), &mut out, &mut buf, &mut tmp, &mut scr);
        Ok(Array2::from_shape_vec((n, n), out).expect("shape"))
    }
}
