//! Small dense linear algebra for symmetric positive-definite kernel matrices.
//!
//! Everything works on row-major (`ndarray` standard layout) square matrices and
//! uses only contiguous row dot products and row AXPYs, so that the inner loops
//! vectorise and stream through memory:
//!
//! * [`cholesky_in_place`] — blocked right-looking Cholesky $K = L L^\top$
//!   (block size 64); the panel solve and the trailing update of each block
//!   step run in parallel over rows with rayon.
//! * [`solve_lower_in_place`], [`solve_lower_transposed_in_place`] — $L x = b$
//!   and $L^\top x = b$.
//! * [`solve_lower_rows_in_place`] — $L x_r = b_r$ for every row $b_r$ of a
//!   matrix (used for predictive variances), in parallel over blocks of rows.
//! * [`inverse_from_cholesky`] — $K^{-1} = L^{-\top} L^{-1}$.
//!
//! With the `openblas` feature the Cholesky factorisation is delegated to
//! LAPACK (`dpotrf` through `ndarray-linalg`).
//!
//! All results are independent of the number of threads: every output element
//! is computed by the same sequence of floating-point operations.

use ndarray::{Array2, ArrayView2};
#[cfg(feature = "rayon")]
use rayon::prelude::*;

/// Block size of the blocked Cholesky factorisation (columns per panel).
const NB: usize = 64;

/// Rows per parallel task in multi-right-hand-side solves.
const RHS_CHUNK: usize = 32;

/// The matrix is not (numerically) positive definite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotPositiveDefinite {
    /// Index of the pivot that was not strictly positive (or not finite).
    pub pivot: usize,
}

/// Dot product with four independent accumulators (vectorises without
/// fast-math).
#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut s = [0.0_f64; 4];
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        s[0] += x[0] * y[0];
        s[1] += x[1] * y[1];
        s[2] += x[2] * y[2];
        s[3] += x[3] * y[3];
    }
    let mut t = (s[0] + s[2]) + (s[1] + s[3]);
    for (x, y) in ra.iter().zip(rb) {
        t += x * y;
    }
    t
}

/// Runs `f(row_index, row)` for every row `first..n` of the row-major `n × n`
/// buffer, in parallel when the `rayon` feature is on.
fn for_rows_from<F>(data: &mut [f64], n: usize, first: usize, f: F)
where
    F: Fn(usize, &mut [f64]) + Sync + Send,
{
    let tail = &mut data[first * n..];
    #[cfg(feature = "rayon")]
    tail.par_chunks_mut(n)
        .enumerate()
        .for_each(|(k, row)| f(first + k, row));
    #[cfg(not(feature = "rayon"))]
    tail.chunks_mut(n)
        .enumerate()
        .for_each(|(k, row)| f(first + k, row));
}

/// Cholesky factorisation in place: on success the lower triangle of `a`
/// holds $L$ with $L L^\top = A$ and the strict upper triangle is zeroed.
///
/// Only the lower triangle of `a` is read.
///
/// # Errors
/// [`NotPositiveDefinite`] with the first failing pivot when a diagonal
/// element becomes non-positive or non-finite; `a` is then left partially
/// factorised.
///
/// # Panics
/// If `a` is not square.
#[track_caller]
pub fn cholesky_in_place(a: &mut Array2<f64>) -> Result<(), NotPositiveDefinite> {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "cholesky_in_place needs a square matrix");
    if n == 0 {
        return Ok(());
    }
    if !a.is_standard_layout() {
        *a = a.as_standard_layout().to_owned();
    }
    #[cfg(feature = "openblas")]
    {
        lapack_cholesky(a)?;
    }
    #[cfg(not(feature = "openblas"))]
    {
        let data = a.as_slice_mut().expect("standard layout");
        cholesky_blocked(data, n)?;
    }
    // zero the strict upper triangle
    for i in 0..n {
        for j in i + 1..n {
            a[[i, j]] = 0.0;
        }
    }
    Ok(())
}

#[cfg(feature = "openblas")]
fn lapack_cholesky(a: &mut Array2<f64>) -> Result<(), NotPositiveDefinite> {
    use ndarray_linalg::cholesky::CholeskyInplace;
    use ndarray_linalg::UPLO;
    // ndarray-linalg reports a LAPACK `info > 0` error without the pivot;
    // locate the pivot with our own (cheap, failing) factorisation.
    let backup = a.clone();
    match a.cholesky_inplace(UPLO::Lower) {
        Ok(_) => {
            if a.diag().iter().all(|v| v.is_finite() && *v > 0.0) {
                Ok(())
            } else {
                Err(NotPositiveDefinite { pivot: 0 })
            }
        }
        Err(_) => {
            let mut b = backup;
            let n = b.nrows();
            let data = b.as_slice_mut().expect("standard layout");
            match cholesky_blocked(data, n) {
                Err(e) => Err(e),
                Ok(()) => Err(NotPositiveDefinite { pivot: 0 }),
            }
        }
    }
}

/// Blocked right-looking Cholesky on a row-major `n × n` buffer (lower).
fn cholesky_blocked(a: &mut [f64], n: usize) -> Result<(), NotPositiveDefinite> {
    let mut diag = vec![0.0_f64; NB * NB];
    let mut panel: Vec<f64> = Vec::new();
    let mut k0 = 0;
    while k0 < n {
        let k1 = (k0 + NB).min(n);
        let nb = k1 - k0;
        // 1. unblocked factorisation of the diagonal block
        for i in k0..k1 {
            for j in k0..=i {
                let (ri, rj) = (i * n, j * n);
                let s = a[ri + j] - dot(&a[ri + k0..ri + j], &a[rj + k0..rj + j]);
                if i == j {
                    if s.is_nan() || s <= 0.0 || !s.is_finite() {
                        return Err(NotPositiveDefinite { pivot: i });
                    }
                    a[ri + i] = s.sqrt();
                } else {
                    a[ri + j] = s / a[rj + j];
                }
            }
        }
        if k1 == n {
            break;
        }
        // copy L11 into a compact buffer (row stride nb)
        for i in 0..nb {
            for j in 0..=i {
                diag[i * nb + j] = a[(k0 + i) * n + k0 + j];
            }
        }
        let diag_ref = &diag[..nb * nb];
        // 2. panel: L21 = A21 L11^{-T}, row by row (rows independent)
        for_rows_from(a, n, k1, |_, row| {
            let r = &mut row[k0..k1];
            for j in 0..nb {
                let s = r[j] - dot(&r[..j], &diag_ref[j * nb..j * nb + j]);
                r[j] = s / diag_ref[j * nb + j];
            }
        });
        // 3. copy the panel into a contiguous buffer
        let m = n - k1;
        panel.clear();
        panel.reserve(m * nb);
        for i in k1..n {
            panel.extend_from_slice(&a[i * n + k0..i * n + k1]);
        }
        let panel_ref = &panel[..];
        // 4. trailing update A22 -= L21 L21^T (lower triangle only)
        for_rows_from(a, n, k1, |i, row| {
            let pi = &panel_ref[(i - k1) * nb..(i - k1 + 1) * nb];
            let mut j = k1;
            while j + 4 <= i + 1 {
                let b = (j - k1) * nb;
                let p0 = &panel_ref[b..b + nb];
                let p1 = &panel_ref[b + nb..b + 2 * nb];
                let p2 = &panel_ref[b + 2 * nb..b + 3 * nb];
                let p3 = &panel_ref[b + 3 * nb..b + 4 * nb];
                let (s0, s1, s2, s3) = dot4(pi, p0, p1, p2, p3);
                row[j] -= s0;
                row[j + 1] -= s1;
                row[j + 2] -= s2;
                row[j + 3] -= s3;
                j += 4;
            }
            while j <= i {
                let b = (j - k1) * nb;
                row[j] -= dot(pi, &panel_ref[b..b + nb]);
                j += 1;
            }
        });
        k0 = k1;
    }
    Ok(())
}

/// Four dot products sharing the left operand (register blocking).
#[inline]
fn dot4(a: &[f64], b0: &[f64], b1: &[f64], b2: &[f64], b3: &[f64]) -> (f64, f64, f64, f64) {
    let n = a.len();
    let (b0, b1, b2, b3) = (&b0[..n], &b1[..n], &b2[..n], &b3[..n]);
    let mut s = [[0.0_f64; 2]; 4];
    let mut k = 0;
    while k + 2 <= n {
        let (x0, x1) = (a[k], a[k + 1]);
        s[0][0] += x0 * b0[k];
        s[0][1] += x1 * b0[k + 1];
        s[1][0] += x0 * b1[k];
        s[1][1] += x1 * b1[k + 1];
        s[2][0] += x0 * b2[k];
        s[2][1] += x1 * b2[k + 1];
        s[3][0] += x0 * b3[k];
        s[3][1] += x1 * b3[k + 1];
        k += 2;
    }
    if k < n {
        s[0][0] += a[k] * b0[k];
        s[1][0] += a[k] * b1[k];
        s[2][0] += a[k] * b2[k];
        s[3][0] += a[k] * b3[k];
    }
    (
        s[0][0] + s[0][1],
        s[1][0] + s[1][1],
        s[2][0] + s[2][1],
        s[3][0] + s[3][1],
    )
}

/// Solves $L x = b$ in place (forward substitution); `l` is lower triangular.
///
/// # Panics
/// If the shapes disagree.
#[track_caller]
pub fn solve_lower_in_place(l: ArrayView2<'_, f64>, b: &mut [f64]) {
    let n = l.nrows();
    assert_eq!(
        b.len(),
        n,
        "right-hand side length must equal the matrix size"
    );
    let l = l.as_standard_layout();
    let ls = l.as_slice().expect("standard layout");
    forward(ls, n, b);
}

#[inline]
fn forward(ls: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let r = &ls[i * n..i * n + i];
        let s = b[i] - dot(r, &b[..i]);
        b[i] = s / ls[i * n + i];
    }
}

/// Solves $L^\top x = b$ in place (backward substitution with row AXPYs).
///
/// # Panics
/// If the shapes disagree.
#[track_caller]
pub fn solve_lower_transposed_in_place(l: ArrayView2<'_, f64>, b: &mut [f64]) {
    let n = l.nrows();
    assert_eq!(
        b.len(),
        n,
        "right-hand side length must equal the matrix size"
    );
    let l = l.as_standard_layout();
    let ls = l.as_slice().expect("standard layout");
    for i in (0..n).rev() {
        let xi = b[i] / ls[i * n + i];
        b[i] = xi;
        let r = &ls[i * n..i * n + i];
        for (bk, lk) in b[..i].iter_mut().zip(r) {
            *bk -= xi * lk;
        }
    }
}

/// Solves $L x_r = b_r$ in place for every row $b_r$ of `b` (`m × n`).
///
/// Rows are processed in blocks of 32 so that each row of $L$ is read once
/// per block; blocks run in parallel.
///
/// # Panics
/// If `b.ncols() != l.nrows()`.
#[track_caller]
pub fn solve_lower_rows_in_place(l: ArrayView2<'_, f64>, b: &mut Array2<f64>) {
    let n = l.nrows();
    assert_eq!(b.ncols(), n, "right-hand sides must have the matrix size");
    if !b.is_standard_layout() {
        *b = b.as_standard_layout().to_owned();
    }
    let l = l.as_standard_layout();
    let ls = l.as_slice().expect("standard layout");
    let bs = b.as_slice_mut().expect("standard layout");
    let work = |chunk: &mut [f64]| {
        let rows = chunk.len() / n.max(1);
        for i in 0..n {
            let lr = &ls[i * n..i * n + i];
            let d = ls[i * n + i];
            for r in 0..rows {
                let row = &mut chunk[r * n..(r + 1) * n];
                let s = row[i] - dot(lr, &row[..i]);
                row[i] = s / d;
            }
        }
    };
    if n == 0 {
        return;
    }
    #[cfg(feature = "rayon")]
    bs.par_chunks_mut(RHS_CHUNK * n).for_each(work);
    #[cfg(not(feature = "rayon"))]
    bs.chunks_mut(RHS_CHUNK * n).for_each(work);
}

/// $K^{-1} = L^{-\top} L^{-1}$ from the Cholesky factor $L$ of $K$ (full
/// symmetric matrix).
///
/// Cost about $n^3/3 + n^3/3$ multiply-adds: the columns of $L^{-1}$ by
/// independent forward substitutions, then row dot products.
pub fn inverse_from_cholesky(l: ArrayView2<'_, f64>) -> Array2<f64> {
    let n = l.nrows();
    let l = l.as_standard_layout();
    let ls = l.as_slice().expect("standard layout");
    // U = L^{-T}: row j of U is column j of L^{-1} (zero before index j).
    let mut u = Array2::<f64>::zeros((n, n));
    {
        let us = u.as_slice_mut().expect("standard layout");
        let col = |j: usize, row: &mut [f64]| {
            row[j] = 1.0 / ls[j * n + j];
            for i in j + 1..n {
                let s = dot(&ls[i * n + j..i * n + i], &row[j..i]);
                row[i] = -s / ls[i * n + i];
            }
        };
        for_rows_from(us, n, 0, col);
    }
    let mut inv = Array2::<f64>::zeros((n, n));
    {
        let us = u.as_slice().expect("standard layout");
        let is = inv.as_slice_mut().expect("standard layout");
        for_rows_from(is, n, 0, |i, row| {
            let ui = &us[i * n + i..(i + 1) * n];
            for (j, rj) in row.iter_mut().enumerate().take(i + 1) {
                *rj = dot(ui, &us[j * n + i..(j + 1) * n]);
            }
        });
    }
    for i in 0..n {
        for j in i + 1..n {
            inv[[i, j]] = inv[[j, i]];
        }
    }
    inv
}

/// $\log\det K = 2 \sum_i \log L_{ii}$.
pub fn log_det_from_cholesky(l: ArrayView2<'_, f64>) -> f64 {
    2.0 * l.diag().iter().map(|v| v.ln()).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn spd(n: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let b = Array2::from_shape_fn((n, n), |_| rng.gen_range(-1.0..1.0));
        let mut a = b.dot(&b.t());
        for i in 0..n {
            a[[i, i]] += n as f64 * 0.1;
        }
        a
    }

    #[test]
    fn cholesky_reconstructs_matrix_across_block_sizes() {
        for &n in &[1usize, 5, 63, 64, 65, 150] {
            let a = spd(n, n as u64);
            let mut l = a.clone();
            cholesky_in_place(&mut l).unwrap();
            let r = l.dot(&l.t());
            for (x, y) in r.iter().zip(a.iter()) {
                assert_abs_diff_eq!(x, y, epsilon = 1e-9 * n as f64);
            }
        }
    }

    #[test]
    fn cholesky_reports_indefinite_pivot() {
        let mut a = Array2::eye(3);
        a[[2, 2]] = -1.0;
        assert_eq!(
            cholesky_in_place(&mut a),
            Err(NotPositiveDefinite { pivot: 2 })
        );
    }

    #[test]
    fn solves_and_inverse_match_identity() {
        let n = 130;
        let a = spd(n, 7);
        let mut l = a.clone();
        cholesky_in_place(&mut l).unwrap();
        let inv = inverse_from_cholesky(l.view());
        let id = a.dot(&inv);
        for i in 0..n {
            for j in 0..n {
                let e = if i == j { 1.0 } else { 0.0 };
                assert_abs_diff_eq!(id[[i, j]], e, epsilon = 1e-9);
            }
        }
        // K x = b through both triangular solves
        let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut x = b.clone();
        solve_lower_in_place(l.view(), &mut x);
        solve_lower_transposed_in_place(l.view(), &mut x);
        let ax = a.dot(&ndarray::Array1::from(x));
        for (p, q) in ax.iter().zip(&b) {
            assert_abs_diff_eq!(p, q, epsilon = 1e-9);
        }
        // many right-hand sides equal single solves
        let mut bm = Array2::from_shape_fn((70, n), |(r, c)| ((r * n + c) as f64 * 0.1).cos());
        let single: Vec<Vec<f64>> = bm
            .rows()
            .into_iter()
            .map(|r| {
                let mut v = r.to_vec();
                solve_lower_in_place(l.view(), &mut v);
                v
            })
            .collect();
        solve_lower_rows_in_place(l.view(), &mut bm);
        for (r, s) in bm.rows().into_iter().zip(&single) {
            for (p, q) in r.iter().zip(s) {
                assert_eq!(p, q);
            }
        }
        // log det of a 2x2 matrix against its closed form
        let m = ndarray::arr2(&[[4.0, 2.0], [2.0, 3.0]]);
        let mut lm = m.clone();
        cholesky_in_place(&mut lm).unwrap();
        assert_abs_diff_eq!(
            log_det_from_cholesky(lm.view()),
            8.0_f64.ln(),
            epsilon = 1e-14
        );
    }
}
