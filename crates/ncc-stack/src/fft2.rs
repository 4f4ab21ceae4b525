//! Square 2-D complex FFTs built from RustFFT 1-D plans (rows, transpose, rows).

use std::sync::Arc;

use ndarray::{Array2, Axis};
use num_complex::Complex64;
use rustfft::{Fft, FftPlanner};

/// Planned forward and inverse 2-D FFTs of an `n × n` array.
///
/// The forward transform leaves the spectrum **transposed** (index
/// `[k_col * n + k_row]`); the inverse expects that layout and returns the
/// signal in normal row-major order. Element-wise products of two spectra
/// are unaffected by the transposition.
#[derive(Clone)]
pub(crate) struct Fft2 {
    n: usize,
    fwd: Arc<dyn Fft<f64>>,
    inv: Arc<dyn Fft<f64>>,
}

impl std::fmt::Debug for Fft2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fft2").field("n", &self.n).finish()
    }
}

impl Fft2 {
    pub(crate) fn new(n: usize) -> Self {
        let mut planner = FftPlanner::new();
        Fft2 {
            n,
            fwd: planner.plan_fft_forward(n),
            inv: planner.plan_fft_inverse(n),
        }
    }

    pub(crate) fn n(&self) -> usize {
        self.n
    }

    pub(crate) fn scratch_len(&self) -> usize {
        self.fwd
            .get_inplace_scratch_len()
            .max(self.inv.get_inplace_scratch_len())
    }

    fn transpose(&self, src: &[Complex64], dst: &mut [Complex64]) {
        transpose_rows(src, dst, self.n, self.n);
    }

    /// Forward transform of `buf` in place (result transposed); `tmp` has
    /// `n²` elements, `scratch` at least [`Self::scratch_len`].
    pub(crate) fn forward(
        &self,
        buf: &mut [Complex64],
        tmp: &mut [Complex64],
        scratch: &mut [Complex64],
    ) {
        self.forward_pruned(buf, tmp, scratch, self.n);
        buf.copy_from_slice(tmp);
    }

    /// Forward transform of `buf` (destroyed) into `out` (result
    /// transposed). Rows `rows..n` of `buf` must be zero: their row
    /// transforms (zero) are skipped.
    pub(crate) fn forward_pruned(
        &self,
        buf: &mut [Complex64],
        out: &mut [Complex64],
        scratch: &mut [Complex64],
        rows: usize,
    ) {
        let n = self.n;
        self.fwd
            .process_with_scratch(&mut buf[..rows.min(n) * n], scratch);
        self.transpose(buf, out);
        self.fwd.process_with_scratch(out, scratch);
    }

    /// Inverse (unnormalised) transform of a transposed spectrum in `buf`
    /// (destroyed), computing only output rows `0..keep_rows`, written to
    /// the start of `tmp` (the rest of `tmp` is left undefined). Saves the
    /// second-pass FFTs of the rows the correlation surface does not need.
    pub(crate) fn inverse_rows(
        &self,
        buf: &mut [Complex64],
        tmp: &mut [Complex64],
        scratch: &mut [Complex64],
        keep_rows: usize,
    ) {
        let n = self.n;
        let keep = keep_rows.min(n);
        self.inv.process_with_scratch(buf, scratch);
        // tmp[r][c] = buf[c][r] for r < keep
        transpose_cols(buf, tmp, n, keep);
        self.inv.process_with_scratch(&mut tmp[..keep * n], scratch);
    }

    /// Inverse (unnormalised) transform of a transposed spectrum in place.
    pub(crate) fn inverse(
        &self,
        buf: &mut [Complex64],
        tmp: &mut [Complex64],
        scratch: &mut [Complex64],
    ) {
        self.inv.process_with_scratch(buf, scratch);
        self.transpose(buf, tmp);
        self.inv.process_with_scratch(tmp, scratch);
        buf.copy_from_slice(tmp);
    }
}

/// Side of the square tiles of the cache-blocked transposes.
const TILE: usize = 8;

/// `dst[c][r] = src[r][c]` for an `n × n` row-major `src`, rows `0..rows`
/// (`dst` is `n × n`; columns `rows..n` of `dst` are left untouched).
fn transpose_rows(src: &[Complex64], dst: &mut [Complex64], n: usize, rows: usize) {
    for rb in (0..rows).step_by(TILE) {
        let re = (rb + TILE).min(rows);
        for cb in (0..n).step_by(TILE) {
            let ce = (cb + TILE).min(n);
            for r in rb..re {
                let srow = &src[r * n + cb..r * n + ce];
                for (k, v) in srow.iter().enumerate() {
                    dst[(cb + k) * n + r] = *v;
                }
            }
        }
    }
}

/// `dst[r][c] = src[c][r]` for `r < keep` (all `n` columns `c`).
fn transpose_cols(src: &[Complex64], dst: &mut [Complex64], n: usize, keep: usize) {
    for cb in (0..n).step_by(TILE) {
        let ce = (cb + TILE).min(n);
        for rb in (0..keep).step_by(TILE) {
            let re = (rb + TILE).min(keep);
            for c in cb..ce {
                let scol = &src[c * n + rb..c * n + re];
                for (k, v) in scol.iter().enumerate() {
                    dst[(rb + k) * n + c] = *v;
                }
            }
        }
    }
}

/// Rectangular FFT helpers (scene generation, oversampling).
pub(crate) fn fft_axis(
    data: &mut Array2<Complex64>,
    axis: usize,
    inverse: bool,
    planner: &mut FftPlanner<f64>,
) {
    let n = data.len_of(Axis(axis));
    let fft = if inverse {
        planner.plan_fft_inverse(n)
    } else {
        planner.plan_fft_forward(n)
    };
    let mut line = vec![Complex64::default(); n];
    let mut scratch = vec![Complex64::default(); fft.get_inplace_scratch_len()];
    for mut lane in data.lanes_mut(Axis(axis)) {
        for (d, s) in line.iter_mut().zip(lane.iter()) {
            *d = *s;
        }
        fft.process_with_scratch(&mut line, &mut scratch);
        for (d, s) in lane.iter_mut().zip(line.iter()) {
            *d = *s;
        }
    }
}

pub(crate) fn fft2_rect(
    data: &mut Array2<Complex64>,
    inverse: bool,
    planner: &mut FftPlanner<f64>,
) {
    fft_axis(data, 1, inverse, planner);
    fft_axis(data, 0, inverse, planner);
    if inverse {
        let s = 1.0 / data.len() as f64;
        data.mapv_inplace(|v| v * s);
    }
}

/// Signed frequency in cycles per sample of FFT bin `k` of `n`.
pub(crate) fn freq(k: usize, n: usize) -> f64 {
    let k = k as f64;
    let n = n as f64;
    if k < n / 2.0 {
        k / n
    } else {
        k / n - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Split the transform `z` of `a + i·b` (both real) into the transforms
    /// of `a` and `b`: `A[k] = (Z[k] + conj Z[−k]) / 2`,
    /// `B[k] = (Z[k] − conj Z[−k]) / 2i` (the split the correlation kernels
    /// fold into their cross-spectrum).
    fn unpack_two_real(n: usize, z: &[Complex64], a: &mut [Complex64], b: &mut [Complex64]) {
        for r in 0..n {
            for c in 0..n {
                let zm = z[((n - r) % n) * n + (n - c) % n].conj();
                let zk = z[r * n + c];
                a[r * n + c] = (zk + zm) * 0.5;
                let d = (zk - zm) * 0.5;
                b[r * n + c] = Complex64::new(d.im, -d.re);
            }
        }
    }

    #[test]
    fn roundtrip_and_unpack_match_naive_dft() {
        let n = 6;
        let a: Vec<f64> = (0..n * n).map(|i| ((i * 7 % 11) as f64) - 5.0).collect();
        let b: Vec<f64> = (0..n * n).map(|i| ((i * 3 % 5) as f64) * 0.5).collect();
        let f = Fft2::new(n);
        let mut buf: Vec<Complex64> = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| Complex64::new(x, y))
            .collect();
        let mut tmp = vec![Complex64::default(); n * n];
        let mut scr = vec![Complex64::default(); f.scratch_len()];
        f.forward(&mut buf, &mut tmp, &mut scr);
        let mut fa = vec![Complex64::default(); n * n];
        let mut fb = vec![Complex64::default(); n * n];
        unpack_two_real(n, &buf, &mut fa, &mut fb);
        // naive DFT of a at (k_row, k_col), stored transposed at [k_col*n+k_row]
        for kr in 0..n {
            for kc in 0..n {
                let mut sa = Complex64::default();
                let mut sb = Complex64::default();
                for r in 0..n {
                    for c in 0..n {
                        let ph =
                            -2.0 * std::f64::consts::PI * ((kr * r + kc * c) as f64) / n as f64;
                        let e = Complex64::from_polar(1.0, ph);
                        sa += e * a[r * n + c];
                        sb += e * b[r * n + c];
                    }
                }
                assert!((fa[kc * n + kr] - sa).norm() < 1e-9);
                assert!((fb[kc * n + kr] - sb).norm() < 1e-9);
            }
        }
        f.inverse(&mut buf, &mut tmp, &mut scr);
        for i in 0..n * n {
            assert!((buf[i].re / (n * n) as f64 - a[i]).abs() < 1e-12);
            assert!((buf[i].im / (n * n) as f64 - b[i]).abs() < 1e-12);
        }
    }
}
