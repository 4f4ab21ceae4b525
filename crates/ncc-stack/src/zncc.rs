//! Exact zero-normalised cross-correlation (eq. 1.10) at every lag of a
//! search window, by FFT plus running box sums; and the energy-normalised
//! circular form of eq. 2.1.
//!
//! The kernels here are shared by [`NccContext::zncc`] (one template) and
//! the tracking engine (many templates and pairs):
//!
//! * **loading** writes a template or a search window straight into the
//!   real or the imaginary part of a complex FFT buffer, so that two real
//!   images are transformed by one complex FFT;
//! * the **forward FFT** skips the row transforms of all-zero rows (a
//!   template fills only `t` of the `t + 2r` rows of its buffer);
//! * the **cross-spectrum** `conj(T̂)·Ŵ` of up to two jobs is formed
//!   directly from the packed spectra — the split `A[k] = (Z[k] + conj
//!   Z[−k]) / 2`, `B[k] = (Z[k] − conj Z[−k]) / 2i` is folded into the
//!   product — and the two products are packed into one inverse FFT as its
//!   real and imaginary parts;
//! * the **inverse FFT** computes only the `2r + 1` output rows that hold
//!   valid lags;
//! * the **per-lag normalisation** `1 / sqrt(Σ (W − W̄_lag)²)` comes from
//!   vertical then horizontal running box sums of `W` and `W²`.

use ndarray::{Array2, ArrayView2, Axis};
use num_complex::Complex64;

use crate::error::{NccError, Result};
use crate::fft2::Fft2;

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

/// Relative threshold below which a variance counts as zero.
const ZERO_VAR_REL: f64 = 1e-12;

/// Which half of a packed complex buffer a real image occupies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The real part.
    Re,
    /// The imaginary part.
    Im,
}

/// One real image's spectrum inside a packed complex spectrum.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpecRef<'a> {
    /// The packed spectrum (transposed layout of [`Fft2`]).
    pub(crate) spec: &'a [Complex64],
    /// Which part of the packed buffer held the image.
    pub(crate) part: Part,
}

/// One correlation job: the template's spectrum and `1/‖T − T̄‖`, the
/// window's spectrum and per-lag `1/σ`, and whether the surface is stored
/// point-reflected (lag `d` → `−d`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Job<'a> {
    pub(crate) template: SpecRef<'a>,
    pub(crate) inv_norm: f64,
    pub(crate) window: SpecRef<'a>,
    pub(crate) inv_std: &'a [f64],
    pub(crate) reflect: bool,
}

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
    /// Packed input of a forward FFT, and input of the inverse FFT.
    pub(crate) cbuf: Vec<Complex64>,
    /// Output of the inverse FFT.
    pub(crate) tmp: Vec<Complex64>,
    /// RustFFT scratch.
    pub(crate) fft: Vec<Complex64>,
    /// Vertical box sums of `W` and `W²` (`(2r+1) × l` each).
    vs1: Vec<f64>,
    vs2: Vec<f64>,
    /// Per-lag variances.
    var: Vec<f64>,
    /// Spectrum of [`NccContext::zncc`].
    spec: Vec<Complex64>,
    /// Per-lag `1/σ` of [`NccContext::zncc`].
    inv_std: Vec<f64>,
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
        let z = Complex64::default();
        NccScratch {
            cbuf: vec![z; n2],
            tmp: vec![z; n2],
            fft: vec![z; self.fft.scratch_len()],
            vs1: vec![0.0; s * l],
            vs2: vec![0.0; s * l],
            var: vec![0.0; s * s],
            spec: vec![z; n2],
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
        let mut buf = std::mem::take(&mut scratch.cbuf);
        let mut spec = std::mem::take(&mut scratch.spec);
        let mut inv_std = std::mem::take(&mut scratch.inv_std);
        let template = template.as_standard_layout();
        let window = window.as_standard_layout();
        let res = (|| {
            let (mean, inv_norm) = self
                .template_stats(template.view())
                .map_err(|e| e.into_error("template"))?;
            let shift = self
                .window_stats(window.view(), &mut inv_std, scratch)
                .map_err(|e| e.into_error("search window"))?;
            self.fill_pack(
                &mut buf,
                Some(Fill {
                    src: template.view(),
                    offset: mean,
                    size: t,
                }),
                Some(Fill {
                    src: window.view(),
                    offset: shift,
                    size: l,
                }),
            );
            self.forward(&mut buf, &mut spec, l, scratch);
            let job = Job {
                template: SpecRef {
                    spec: &spec,
                    part: Part::Re,
                },
                inv_norm,
                window: SpecRef {
                    spec: &spec,
                    part: Part::Im,
                },
                inv_std: &inv_std,
                reflect: false,
            };
            let mut out = vec![0.0; s * s];
            self.correlate(job, None, &mut buf, &mut out, None, scratch);
            Ok(Array2::from_shape_vec((s, s), out).expect("surface shape"))
        })();
        scratch.cbuf = buf;
        scratch.spec = spec;
        scratch.inv_std = inv_std;
        res
    }

    /// Mean and `1 / ‖T − T̄‖` of a `t × t` template (rows contiguous).
    pub(crate) fn template_stats(
        &self,
        src: ArrayView2<'_, f64>,
    ) -> std::result::Result<(f64, f64), Invalid> {
        let t = self.t;
        // sums shifted by the first pixel, for precision
        let shift = src[[0, 0]];
        let (mut s1, mut s2) = ([0.0; LANES], [0.0; LANES]);
        for i in 0..t {
            let row = row_slice(&src, i);
            let mut ch = row.chunks_exact(LANES);
            for c in &mut ch {
                for k in 0..LANES {
                    let z = c[k] - shift;
                    s1[k] += z;
                    s2[k] += z * z;
                }
            }
            for (k, &v) in ch.remainder().iter().enumerate() {
                let z = v - shift;
                s1[k] += z;
                s2[k] += z * z;
            }
        }
        let n = (t * t) as f64;
        let (s1, s2): (f64, f64) = (s1.iter().sum(), s2.iter().sum());
        let ss = s2 - s1 * s1 / n;
        if !ss.is_finite() {
            return Err(Invalid::NoData);
        }
        let raw = s2 + 2.0 * shift * s1 + shift * shift * n;
        if ss <= ZERO_VAR_REL * raw || ss <= f64::MIN_POSITIVE {
            return Err(Invalid::ZeroVariance);
        }
        Ok((shift + s1 / n, 1.0 / ss.sqrt()))
    }

    /// `1 / sqrt(Σ (W − W̄_lag)²)` over the `t × t` sub-window of every lag
    /// of an `l × l` search window (rows contiguous) into `inv_std`
    /// (row-major `(2r+1)²`), from vertical then horizontal running box
    /// sums of `W` and `W²`; returns the constant the sums were shifted by
    /// (the centre pixel, for precision), which is also subtracted when the
    /// window is written into an FFT buffer.
    pub(crate) fn window_stats(
        &self,
        src: ArrayView2<'_, f64>,
        inv_std: &mut [f64],
        scratch: &mut NccScratch,
    ) -> std::result::Result<f64, Invalid> {
        let (t, l, s) = (self.t, self.window_size(), self.surface_size());
        let shift = src[[l / 2, l / 2]];
        let shift = if shift.is_finite() { shift } else { 0.0 };
        // vertical box sums over t rows: vs[dy][c] = Σ_{i=dy}^{dy+t−1} z[i][c]
        let (vs1, vs2) = (&mut scratch.vs1, &mut scratch.vs2);
        {
            let (v1, v2) = (&mut vs1[..l], &mut vs2[..l]);
            v1.fill(0.0);
            v2.fill(0.0);
            for i in 0..t {
                for ((a, b), &x) in v1.iter_mut().zip(v2.iter_mut()).zip(row_slice(&src, i)) {
                    let x = x - shift;
                    *a += x;
                    *b += x * x;
                }
            }
        }
        for dy in 1..s {
            let (p1, c1) = vs1[(dy - 1) * l..(dy + 1) * l].split_at_mut(l);
            let (p2, c2) = vs2[(dy - 1) * l..(dy + 1) * l].split_at_mut(l);
            let (zin, zout) = (row_slice(&src, dy + t - 1), row_slice(&src, dy - 1));
            for (((((o1, o2), &q1), &q2), &xi), &xo) in c1
                .iter_mut()
                .zip(c2.iter_mut())
                .zip(p1.iter())
                .zip(p2.iter())
                .zip(zin)
                .zip(zout)
            {
                let (xi, xo) = (xi - shift, xo - shift);
                *o1 = q1 + (xi - xo);
                *o2 = q2 + (xi * xi - xo * xo);
            }
        }
        // horizontal box sums over t columns, four rows of lags at a time
        // (independent running sums, so the loop is not latency-bound)
        let n = (t * t) as f64;
        let var = &mut scratch.var;
        let mut total = 0.0;
        for dy0 in (0..s).step_by(GROUP) {
            let g = GROUP.min(s - dy0);
            let (mut a1, mut a2) = ([0.0; GROUP], [0.0; GROUP]);
            for q in 0..g {
                let base = (dy0 + q) * l;
                a1[q] = vs1[base..base + t].iter().sum();
                a2[q] = vs2[base..base + t].iter().sum();
                var[(dy0 + q) * s] = a2[q] - a1[q] * a1[q] / n;
                total += a2[q];
            }
            for dx in 1..s {
                for q in 0..g {
                    let base = (dy0 + q) * l;
                    let (i1, o1) = (vs1[base + dx + t - 1], vs1[base + dx - 1]);
                    let (i2, o2) = (vs2[base + dx + t - 1], vs2[base + dx - 1]);
                    a1[q] += i1 - o1;
                    a2[q] += i2 - o2;
                    var[(dy0 + q) * s + dx] = a2[q] - a1[q] * a1[q] / n;
                }
            }
        }
        // a variance is zero when it is negligible against the mean energy
        // of a t × t block of this window (the running sums carry rounding
        // errors of that order)
        let floor = ZERO_VAR_REL * (total / s as f64).max(f64::MIN_POSITIVE);
        let (mut bad, mut nan) = (false, false);
        for &v in var.iter() {
            nan |= !v.is_finite();
            bad |= v <= floor;
        }
        if nan {
            return Err(Invalid::NoData);
        }
        if bad {
            return Err(Invalid::ZeroVariance);
        }
        for (o, &v) in inv_std.iter_mut().zip(var.iter()) {
            *o = 1.0 / v.sqrt();
        }
        Ok(shift)
    }

    /// Write up to two real images into the real and imaginary parts of the
    /// `l × l` buffer `dst` (`None`: zeros); returns the number of leading
    /// rows that may be non-zero.
    pub(crate) fn fill_pack(
        &self,
        dst: &mut [Complex64],
        a: Option<Fill<'_>>,
        b: Option<Fill<'_>>,
    ) -> usize {
        let l = self.window_size();
        let rows = a.map_or(0, |f| f.size).max(b.map_or(0, |f| f.size));
        fn seg<'b>(f: &'b Option<Fill<'_>>, i: usize) -> (&'b [f64], f64) {
            match f {
                Some(f) if i < f.size => (row_slice(&f.src, i), f.offset),
                _ => (&[], 0.0),
            }
        }
        for (i, out) in dst.chunks_exact_mut(l).enumerate() {
            if i >= rows {
                out.fill(Complex64::default());
                continue;
            }
            let (ra, ma) = seg(&a, i);
            let (rb, mb) = seg(&b, i);
            let common = ra.len().min(rb.len());
            for ((o, &x), &y) in out[..common].iter_mut().zip(ra).zip(rb) {
                *o = Complex64::new(x - ma, y - mb);
            }
            for (o, &x) in out[common..ra.len().max(common)]
                .iter_mut()
                .zip(&ra[common..])
            {
                *o = Complex64::new(x - ma, 0.0);
            }
            for (o, &y) in out[common..rb.len().max(common)]
                .iter_mut()
                .zip(&rb[common..])
            {
                *o = Complex64::new(0.0, y - mb);
            }
            out[ra.len().max(rb.len())..].fill(Complex64::default());
        }
        rows
    }

    /// Forward FFT of the packed buffer `buf` (destroyed) into `spec`; rows
    /// `rows..l` of `buf` must be zero (their row transforms are skipped).
    pub(crate) fn forward(
        &self,
        buf: &mut [Complex64],
        spec: &mut [Complex64],
        rows: usize,
        scratch: &mut NccScratch,
    ) {
        self.fft.forward_pruned(buf, spec, &mut scratch.fft, rows);
    }

    /// ZNCC surfaces of one or two jobs with one inverse FFT, written into
    /// `out_a`/`out_b` (`(2r+1)²`, row-major), clamped to [−1, 1]. `buf` is
    /// an `l²` work buffer.
    pub(crate) fn correlate(
        &self,
        a: Job<'_>,
        b: Option<Job<'_>>,
        buf: &mut [Complex64],
        out_a: &mut [f64],
        out_b: Option<&mut [f64]>,
        scratch: &mut NccScratch,
    ) {
        let (l, s) = (self.window_size(), self.surface_size());
        cross_spectrum(l, &a, b.as_ref(), buf);
        self.fft
            .inverse_rows(buf, &mut scratch.tmp, &mut scratch.fft, s);
        let z = &scratch.tmp;
        let scale = 1.0 / (l * l) as f64;
        normalise(
            z,
            l,
            s,
            scale * a.inv_norm,
            a.inv_std,
            a.reflect,
            out_a,
            |c| c.re,
        );
        if let (Some(bj), Some(ob)) = (b, out_b) {
            normalise(
                z,
                l,
                s,
                scale * bj.inv_norm,
                bj.inv_std,
                bj.reflect,
                ob,
                |c| c.im,
            );
        }
    }
}

/// `out[dy, dx] = clamp(f · get(z[dy, dx]) · inv_std[dy, dx])`, stored at
/// `[s−1−dy, s−1−dx]` when `reflect`.
#[allow(clippy::too_many_arguments)]
fn normalise(
    z: &[Complex64],
    l: usize,
    s: usize,
    f: f64,
    inv_std: &[f64],
    reflect: bool,
    out: &mut [f64],
    get: impl Fn(&Complex64) -> f64,
) {
    for dy in 0..s {
        let zr = &z[dy * l..dy * l + s];
        let ir = &inv_std[dy * s..(dy + 1) * s];
        if reflect {
            let o = &mut out[(s - 1 - dy) * s..(s - dy) * s];
            for ((o, zv), &i) in o.iter_mut().rev().zip(zr).zip(ir) {
                *o = (get(zv) * f * i).clamp(-1.0, 1.0);
            }
        } else {
            let o = &mut out[dy * s..(dy + 1) * s];
            for ((o, zv), &i) in o.iter_mut().zip(zr).zip(ir) {
                *o = (get(zv) * f * i).clamp(-1.0, 1.0);
            }
        }
    }
}

/// Unpacking constants of a packed real: `X[k] = u · (Z[k] + σ conj Z[−k]) / 2`
/// with `(σ, u) = (1, 1)` for the real part and `(−1, −i)` for the imaginary part.
fn unpack_consts(part: Part) -> (f64, Complex64) {
    match part {
        Part::Re => (1.0, Complex64::new(1.0, 0.0)),
        Part::Im => (-1.0, Complex64::new(0.0, -1.0)),
    }
}

/// `out[k] = conj(T̂_a[k])·Ŵ_a[k] + i·conj(T̂_b[k])·Ŵ_b[k]`, unpacking the
/// four spectra from their packed buffers on the fly.
///
/// Both products are spectra of real signals (`P[−k] = conj P[k]`), so
/// each `(k, −k)` couple is computed once: `out[k] = P_a + i P_b` and
/// `out[−k] = conj(P_a) + i conj(P_b)`.
fn cross_spectrum(n: usize, a: &Job<'_>, b: Option<&Job<'_>>, out: &mut [Complex64]) {
    // conj(u_T (zT + σT m_T)/2) · u_W (zW + σW m_W)/2
    //   = conj(u_T) u_W / 4 · conj(zT + σT m_T) (zW + σW m_W)
    let consts = |j: &Job<'_>| {
        let (st, ut) = unpack_consts(j.template.part);
        let (sw, uw) = unpack_consts(j.window.part);
        (st, sw, ut.conj() * uw * 0.25)
    };
    let (sta, swa, fa) = consts(a);
    // a lone job is computed as a pair with a zero second product
    let (b, (stb, swb, fb)) = match b {
        Some(b) => (b, consts(b)),
        None => (a, (1.0, 1.0, Complex64::default())),
    };
    let one = |x: Complex64, xm: Complex64, sx: f64, y: Complex64, ym: Complex64, sy: f64| {
        let tv = x + xm.conj() * sx;
        let wv = y + ym.conj() * sy;
        tv.conj() * wv
    };
    let both = |p1: Complex64, p2: Complex64| {
        (
            Complex64::new(p1.re - p2.im, p1.im + p2.re),
            Complex64::new(p1.re + p2.im, p2.re - p1.im),
        )
    };
    for r in 0..=n / 2 {
        let rm = if r == 0 { 0 } else { n - r };
        let (t, tm) = mirror_rows(a.template.spec, n, r);
        let (w, wm) = mirror_rows(a.window.spec, n, r);
        let (t2, tm2) = mirror_rows(b.template.spec, n, r);
        let (w2, wm2) = mirror_rows(b.window.spec, n, r);
        if rm == r {
            // a self-mirrored row: couple columns c and −c within it
            for c in 0..=n / 2 {
                let cm = if c == 0 { 0 } else { n - c };
                let p1 = fa * one(t[c], t[cm], sta, w[c], w[cm], swa);
                let p2 = fb * one(t2[c], t2[cm], stb, w2[c], w2[cm], swb);
                let (o, om) = both(p1, p2);
                out[r * n + c] = o;
                out[r * n + cm] = om;
            }
            continue;
        }
        let (lo, hi) = out.split_at_mut(rm * n);
        let (orow, mrow) = (&mut lo[r * n..(r + 1) * n], &mut hi[..n]);
        let p1 = fa * one(t[0], tm[0], sta, w[0], wm[0], swa);
        let p2 = fb * one(t2[0], tm2[0], stb, w2[0], wm2[0], swb);
        (orow[0], mrow[0]) = both(p1, p2);
        let first = t[1..]
            .iter()
            .zip(tm[1..].iter().rev())
            .zip(w[1..].iter().zip(wm[1..].iter().rev()));
        let second = t2[1..]
            .iter()
            .zip(tm2[1..].iter().rev())
            .zip(w2[1..].iter().zip(wm2[1..].iter().rev()));
        for (((o, om), ((&t, &tm), (&w, &wm))), ((&t2, &tm2), (&w2, &wm2))) in orow[1..]
            .iter_mut()
            .zip(mrow[1..].iter_mut().rev())
            .zip(first)
            .zip(second)
        {
            let p1 = fa * one(t, tm, sta, w, wm, swa);
            let p2 = fb * one(t2, tm2, stb, w2, wm2, swb);
            (*o, *om) = both(p1, p2);
        }
    }
}

/// Row `r` of an `n × n` spectrum and its mirror row `(−r) mod n`.
fn mirror_rows(spec: &[Complex64], n: usize, r: usize) -> (&[Complex64], &[Complex64]) {
    let rm = if r == 0 { 0 } else { n - r };
    (&spec[r * n..(r + 1) * n], &spec[rm * n..(rm + 1) * n])
}

/// Row `i` of a view whose rows are contiguous (images and windows are
/// made standard-layout before they get here).
fn row_slice<'b>(v: &'b ArrayView2<'_, f64>, i: usize) -> &'b [f64] {
    v.index_axis(Axis(0), i)
        .to_slice()
        .expect("rows of images are contiguous (standard layout)")
}

/// A real image to write into one part of a packed FFT buffer: the
/// top-left `size × size` pixels of `src` minus `offset`, zeros elsewhere.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fill<'a> {
    pub(crate) src: ArrayView2<'a, f64>,
    pub(crate) offset: f64,
    pub(crate) size: usize,
}

/// Accumulator lanes of the template sums (independent chains, so the
/// loop is not bound by the latency of one floating-point add).
const LANES: usize = 4;

/// Rows of lags whose horizontal running sums advance together.
const GROUP: usize = 4;

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
