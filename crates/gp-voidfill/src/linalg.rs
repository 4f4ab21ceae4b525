//! Small dense linear algebra for symmetric positive-definite kernel matrices.
//!
//! Everything works on row-major (`ndarray` standard layout) square matrices.
//! The $O(n^3)$ parts are blocked so that most of the work is done by matrix
//! products (`ndarray`'s `general_mat_mul`, i.e. the `matrixmultiply` crate,
//! which packs its operands for the cache); the $O(n^2)$ parts use contiguous
//! row dot products and row AXPYs:
//!
//! * [`cholesky_in_place`] — blocked right-looking Cholesky $K = L L^\top$
//!   (block size 128): unblocked diagonal block, panel solve row by row, and
//!   the trailing update $A_{22} \mathrel{-}= L_{21}L_{21}^\top$ as one matrix
//!   product per block row, block rows in parallel with rayon.
//! * [`solve_lower_in_place`], [`solve_lower_transposed_in_place`] — $L x = b$
//!   and $L^\top x = b$.
//! * [`solve_lower_rows_in_place`] — $L x_r = b_r$ for every row $b_r$ of a
//!   matrix (used for predictive variances), in parallel over blocks of rows.
//! * [`inverse_from_cholesky`] — $K^{-1} = L^{-\top} L^{-1}$, blocked.
//!
//! With the `openblas` feature the same functions call LAPACK through
//! `ndarray-linalg` instead (`dpotrf`, `dtrtrs`, `dpotri`, all on our
//! row-major buffers read as column-major upper triangles, so without
//! copies except one of $L$ for the solves with $L$), and `ndarray`'s matrix
//! products go to OpenBLAS `dgemm`. Where LAPACK reports an exactly singular
//! triangular factor, the pure-Rust path runs instead (it returns infinities
//! rather than an error).
//!
//! All results are independent of the number of threads: every output element
//! is computed by the same sequence of floating-point operations.

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayView2, ArrayViewMut2, Axis};
#[cfg(feature = "rayon")]
use rayon::prelude::*;

/// Block size of the blocked Cholesky factorisation (columns per panel).
#[cfg_attr(feature = "openblas", allow(dead_code))]
const NB: usize = 128;

/// Block size of the blocked triangular inverse.
const INV_NB: usize = 128;

/// Rows per parallel task in multi-right-hand-side solves.
const RHS_CHUNK: usize = 128;

/// Column block of the blocked multi-right-hand-side solve.
const TRSM_NB: usize = 128;

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
#[cfg_attr(feature = "openblas", allow(dead_code))]
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
    let data = a.as_slice_mut().expect("standard layout");
    #[cfg(feature = "openblas")]
    lapack::cholesky(data, n)?;
    #[cfg(not(feature = "openblas"))]
    cholesky_blocked(data, n)?;
    // zero the strict upper triangle
    for i in 0..n {
        for j in i + 1..n {
            a[[i, j]] = 0.0;
        }
    }
    Ok(())
}

/// Blocked right-looking Cholesky on a row-major `n × n` buffer (lower).
/// (With `openblas` only the back-end comparison test calls it.)
#[cfg_attr(feature = "openblas", allow(dead_code))]
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
        // 4. trailing update A22 -= L21 L21^T (lower triangle only), one
        //    matrix product per block row of A22
        let pv = ArrayView2::from_shape((m, nb), panel_ref).expect("panel shape");
        let tail = &mut a[k1 * n..];
        let update = |c: usize, chunk: &mut [f64]| {
            let rows = chunk.len() / n;
            let r0 = c * NB; // first row of the chunk, relative to k1
            let mut cv = ArrayViewMut2::from_shape((rows, n), chunk).expect("chunk shape");
            general_mat_mul(
                -1.0,
                &pv.slice(s![r0..r0 + rows, ..]),
                &pv.slice(s![..r0 + rows, ..]).t(),
                1.0,
                &mut cv.slice_mut(s![.., k1..k1 + r0 + rows]),
            );
        };
        #[cfg(feature = "rayon")]
        tail.par_chunks_mut(NB * n)
            .enumerate()
            .for_each(|(c, ch)| update(c, ch));
        #[cfg(not(feature = "rayon"))]
        tail.chunks_mut(NB * n)
            .enumerate()
            .for_each(|(c, ch)| update(c, ch));
        k0 = k1;
    }
    Ok(())
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
    #[cfg(feature = "openblas")]
    if lapack::solve_lower(ls, n, b) {
        return;
    }
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
    #[cfg(feature = "openblas")]
    if lapack::solve_lower_transposed(ls, n, b) {
        return;
    }
    backward(ls, n, b);
}

fn backward(ls: &[f64], n: usize, b: &mut [f64]) {
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
/// Chunks of 128 rows run in parallel; within a chunk the solve is blocked
/// over 128 columns of $L$ at a time, so that most of the work is one matrix
/// product per column block.
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
    if n == 0 || b.nrows() == 0 {
        return;
    }
    let l = l.as_standard_layout();
    let ls = l.as_slice().expect("standard layout");
    let bs = b.as_slice_mut().expect("standard layout");
    #[cfg(feature = "openblas")]
    if lapack::solve_lower_rows(ls, n, bs) {
        return;
    }
    forward_rows(ls, n, bs);
}

fn forward_rows(ls: &[f64], n: usize, bs: &mut [f64]) {
    let lv = ArrayView2::from_shape((n, n), ls).expect("square factor");
    // per chunk of rows: X L^T = B solved block column by block column,
    // B_J -= X_{<J} L_{J,<J}^T (matrix product), then forward substitution
    // with the diagonal block L_JJ, row by row
    let work = |chunk: &mut [f64]| {
        let rows = chunk.len() / n;
        let mut c = ArrayViewMut2::from_shape((rows, n), chunk).expect("chunk shape");
        for j0 in (0..n).step_by(TRSM_NB) {
            let j1 = (j0 + TRSM_NB).min(n);
            if j0 > 0 {
                let (done, mut rest) = c.view_mut().split_at(Axis(1), j0);
                general_mat_mul(
                    -1.0,
                    &done,
                    &lv.slice(s![j0..j1, ..j0]).t(),
                    1.0,
                    &mut rest.slice_mut(s![.., ..j1 - j0]),
                );
            }
            for mut row in c.rows_mut() {
                let row = row.as_slice_mut().expect("standard layout");
                for i in j0..j1 {
                    let sum = row[i] - dot(&ls[i * n + j0..i * n + i], &row[j0..i]);
                    row[i] = sum / ls[i * n + i];
                }
            }
        }
    };
    #[cfg(feature = "rayon")]
    bs.par_chunks_mut(RHS_CHUNK * n).for_each(work);
    #[cfg(not(feature = "rayon"))]
    bs.chunks_mut(RHS_CHUNK * n).for_each(work);
}

/// $K^{-1} = L^{-\top} L^{-1}$ from the Cholesky factor $L$ of $K$ (full
/// symmetric matrix).
///
/// Blocked (block size 128) so that the work is done by cache-friendly
/// matrix products: first $X = L^{-1}$ block column by block column
/// ($X_{IJ} = -X_{II}\sum_{J\le K<I} L_{IK}X_{KJ}$), then the lower
/// triangle of $X^\top X$ block by block; about $n^3/3$ multiply-adds in all,
/// block columns and block rows in parallel.
pub fn inverse_from_cholesky(l: ArrayView2<'_, f64>) -> Array2<f64> {
    let mut inv = inverse_lower_from_cholesky(l);
    symmetrise_from_lower(&mut inv);
    inv
}

/// As [`inverse_from_cholesky`], but only the lower triangle (diagonal
/// included) of the result is set; the strict upper triangle is zero.
pub(crate) fn inverse_lower_from_cholesky(l: ArrayView2<'_, f64>) -> Array2<f64> {
    let n = l.nrows();
    assert_eq!(n, l.ncols(), "inverse_from_cholesky needs a square matrix");
    #[cfg(feature = "openblas")]
    if let Some(inv) = lapack::inverse_lower(l) {
        return inv;
    }
    inverse_lower_blocked(l)
}

/// Pure-Rust blocked inverse (lower triangle) from the Cholesky factor.
fn inverse_lower_blocked(l: ArrayView2<'_, f64>) -> Array2<f64> {
    let n = l.nrows();
    let l = l.as_standard_layout();
    let bounds: Vec<(usize, usize)> = (0..n.div_ceil(INV_NB))
        .map(|b| (b * INV_NB, ((b + 1) * INV_NB).min(n)))
        .collect();
    // inverses of the diagonal blocks
    let diag_inv = |&(a, b): &(usize, usize)| -> Array2<f64> {
        let w = b - a;
        let mut x = Array2::<f64>::zeros((w, w));
        let ls = l.slice(s![a..b, a..b]);
        for j in 0..w {
            x[[j, j]] = 1.0 / ls[[j, j]];
            for i in j + 1..w {
                let mut acc = 0.0;
                for k in j..i {
                    acc += ls[[i, k]] * x[[k, j]];
                }
                x[[i, j]] = -acc / ls[[i, i]];
            }
        }
        x
    };
    #[cfg(feature = "rayon")]
    let dinv: Vec<Array2<f64>> = bounds.par_iter().map(diag_inv).collect();
    #[cfg(not(feature = "rayon"))]
    let dinv: Vec<Array2<f64>> = bounds.iter().map(diag_inv).collect();
    // block column J of X = L^{-1}: rows J0..n, stored (n - J0) x w_J
    let column = |jb: usize| -> Array2<f64> {
        let (j0, j1) = bounds[jb];
        let mut cb = Array2::<f64>::zeros((n - j0, j1 - j0));
        cb.slice_mut(s![..j1 - j0, ..]).assign(&dinv[jb]);
        let mut t = Array2::<f64>::zeros((INV_NB, j1 - j0));
        for ib in jb + 1..bounds.len() {
            let (i0, i1) = bounds[ib];
            let mut t = t.slice_mut(s![..i1 - i0, ..]);
            general_mat_mul(
                1.0,
                &l.slice(s![i0..i1, j0..i0]),
                &cb.slice(s![..i0 - j0, ..]),
                0.0,
                &mut t,
            );
            general_mat_mul(
                -1.0,
                &dinv[ib],
                &t,
                0.0,
                &mut cb.slice_mut(s![i0 - j0..i1 - j0, ..]),
            );
        }
        cb
    };
    let nblocks = bounds.len();
    #[cfg(feature = "rayon")]
    let cols: Vec<Array2<f64>> = (0..nblocks).into_par_iter().map(column).collect();
    #[cfg(not(feature = "rayon"))]
    let cols: Vec<Array2<f64>> = (0..nblocks).map(column).collect();
    // lower triangle of X^T X, block row by block row:
    // (X^T X)_{IJ} = sum_{K >= I} X_{KI}^T X_{KJ}
    let mut inv = Array2::<f64>::zeros((n, n));
    let row_block = |ib: usize, mut rows: ndarray::ArrayViewMut2<'_, f64>| {
        let (i0, _) = bounds[ib];
        let ci = cols[ib].t();
        for (jb, &(j0, j1)) in bounds.iter().enumerate().take(ib + 1) {
            general_mat_mul(
                1.0,
                &ci,
                &cols[jb].slice(s![i0 - j0.., ..]),
                0.0,
                &mut rows.slice_mut(s![.., j0..j1]),
            );
        }
    };
    #[cfg(feature = "rayon")]
    inv.axis_chunks_iter_mut(Axis(0), INV_NB)
        .into_par_iter()
        .enumerate()
        .for_each(|(ib, rows)| row_block(ib, rows));
    #[cfg(not(feature = "rayon"))]
    inv.axis_chunks_iter_mut(Axis(0), INV_NB)
        .enumerate()
        .for_each(|(ib, rows)| row_block(ib, rows));
    // the diagonal blocks were computed in full: clear their upper parts
    for &(a, b) in &bounds {
        for i in a..b {
            for j in i + 1..b {
                inv[[i, j]] = 0.0;
            }
        }
    }
    inv
}

/// LAPACK/BLAS back-end (feature `openblas`), called through the safe
/// `lax` layer of `ndarray-linalg`.
///
/// A row-major lower-triangular $L$ is, read column-major, the upper
/// triangular $U = L^\top$, so `dpotrf`/`dpotri` with `uplo = 'U'` and the
/// solves with $L^\top$ work on our buffers without copies; the solves with
/// $L$ let `lax` make one column-major copy of $L$ (negligible next to the
/// $O(mn^2)$ work for $m$ right-hand sides). Each function returns `false`
/// (or `None`) when LAPACK reports an exactly singular factor, and the caller
/// then falls back to the pure-Rust path.
#[cfg(feature = "openblas")]
mod lapack {
    use super::NotPositiveDefinite;
    use ndarray::{Array2, ArrayView2};
    use ndarray_linalg::{Diag, Lapack, MatrixLayout, UPLO};

    fn col_major(rows: usize, cols: usize) -> MatrixLayout {
        MatrixLayout::F {
            col: cols as i32,
            lda: rows as i32,
        }
    }

    /// `dpotrf` on the lower triangle of the row-major `n × n` buffer `a`.
    pub(super) fn cholesky(a: &mut [f64], n: usize) -> Result<(), NotPositiveDefinite> {
        match f64::cholesky(col_major(n, n), UPLO::Upper, a) {
            Ok(()) => match (0..n).find(|&i| !(a[i * n + i].is_finite() && a[i * n + i] > 0.0)) {
                Some(pivot) => Err(NotPositiveDefinite { pivot }),
                None => Ok(()),
            },
            Err(e) => Err(NotPositiveDefinite {
                pivot: failed_minor(&e).unwrap_or(0),
            }),
        }
    }

    /// 0-based index of the failing leading minor from a LAPACK `info > 0`.
    fn failed_minor(e: &impl std::fmt::Display) -> Option<usize> {
        // `lax` reports `info` in its message ("... return_code = {info}")
        let msg = e.to_string();
        let info: i64 = msg.rsplit(' ').next()?.trim().parse().ok()?;
        usize::try_from(info - 1).ok()
    }

    /// $L x = b$ (`dtrtrs`).
    pub(super) fn solve_lower(ls: &[f64], n: usize, b: &mut [f64]) -> bool {
        let al = MatrixLayout::C {
            row: n as i32,
            lda: n as i32,
        };
        f64::solve_triangular(al, col_major(n, 1), UPLO::Lower, Diag::NonUnit, ls, b).is_ok()
    }

    /// $L^\top x = b$ (`dtrtrs` on the column-major view $U = L^\top$).
    pub(super) fn solve_lower_transposed(ls: &[f64], n: usize, b: &mut [f64]) -> bool {
        f64::solve_triangular(
            col_major(n, n),
            col_major(n, 1),
            UPLO::Upper,
            Diag::NonUnit,
            ls,
            b,
        )
        .is_ok()
    }

    /// $L x_r = b_r$ for the rows of the row-major `m × n` buffer `bs`,
    /// i.e. $L X^\top = B^\top$ with $B^\top$ the column-major view of `bs`
    /// (`dtrtrs`, i.e. `dtrsm`).
    pub(super) fn solve_lower_rows(ls: &[f64], n: usize, bs: &mut [f64]) -> bool {
        let m = bs.len() / n;
        let al = MatrixLayout::C {
            row: n as i32,
            lda: n as i32,
        };
        f64::solve_triangular(al, col_major(n, m), UPLO::Lower, Diag::NonUnit, ls, bs).is_ok()
    }

    /// Lower triangle of $K^{-1}$ from $L$ (`dpotri`).
    pub(super) fn inverse_lower(l: ArrayView2<'_, f64>) -> Option<Array2<f64>> {
        let n = l.nrows();
        let mut inv = l.as_standard_layout().to_owned();
        let buf = inv.as_slice_mut().expect("standard layout");
        f64::inv_cholesky(col_major(n, n), UPLO::Upper, buf).ok()?;
        for i in 0..n {
            for v in &mut buf[i * n + i + 1..(i + 1) * n] {
                *v = 0.0;
            }
        }
        Some(inv)
    }
}

/// Copies the lower triangle of a square matrix onto its upper triangle
/// (tiled, so both reads and writes stay in cache).
fn symmetrise_from_lower(a: &mut Array2<f64>) {
    const T: usize = 64;
    let n = a.nrows();
    for bi in (0..n).step_by(T) {
        for bj in (0..=bi).step_by(T) {
            for i in bi..(bi + T).min(n) {
                for j in bj..(bj + T).min(i) {
                    a[[j, i]] = a[[i, j]];
                }
            }
        }
    }
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
        for &n in &[1usize, 5, 127, 128, 129, 300] {
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
        let n = 300;
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
                // bit-identical in pure Rust; LAPACK's dtrsm and single
                // solves may round differently
                assert_abs_diff_eq!(p, q, epsilon = 1e-12 * q.abs().max(1.0));
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

    /// The LAPACK back-end (feature `openblas`) against the pure-Rust
    /// functions on the same matrices: Cholesky factor, the three triangular
    /// solves and the inverse agree to rounding.
    #[cfg(feature = "openblas")]
    #[test]
    fn lapack_and_pure_rust_back_ends_agree() {
        use approx::assert_relative_eq;
        let close = |a: &[f64], b: &[f64]| {
            let scale = a.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            for (x, y) in a.iter().zip(b) {
                assert_abs_diff_eq!(x, y, epsilon = 1e-11 * scale.max(1.0));
            }
        };
        for &n in &[1usize, 7, 129, 300] {
            let a = spd(n, 100 + n as u64);
            let mut lr = a.clone();
            cholesky_blocked(lr.as_slice_mut().unwrap(), n).unwrap();
            for i in 0..n {
                for j in i + 1..n {
                    lr[[i, j]] = 0.0;
                }
            }
            let mut ll = a.clone();
            cholesky_in_place(&mut ll).unwrap();
            close(lr.as_slice().unwrap(), ll.as_slice().unwrap());
            let ls = lr.as_slice().unwrap();
            let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.61).cos()).collect();
            let (mut x_rust, mut x_lapack) = (b.clone(), b.clone());
            forward(ls, n, &mut x_rust);
            solve_lower_in_place(lr.view(), &mut x_lapack);
            close(&x_rust, &x_lapack);
            let (mut x_rust, mut x_lapack) = (b.clone(), b.clone());
            backward(ls, n, &mut x_rust);
            solve_lower_transposed_in_place(lr.view(), &mut x_lapack);
            close(&x_rust, &x_lapack);
            let bm = Array2::from_shape_fn((45, n), |(r, c)| ((r * n + c) as f64 * 0.3).sin());
            let (mut r_rust, mut r_lapack) = (bm.clone(), bm.clone());
            forward_rows(ls, n, r_rust.as_slice_mut().unwrap());
            solve_lower_rows_in_place(lr.view(), &mut r_lapack);
            close(r_rust.as_slice().unwrap(), r_lapack.as_slice().unwrap());
            let inv_rust = inverse_lower_blocked(lr.view());
            let inv_lapack = inverse_lower_from_cholesky(lr.view());
            close(inv_rust.as_slice().unwrap(), inv_lapack.as_slice().unwrap());
            let full = inverse_from_cholesky(lr.view());
            let id = a.dot(&full);
            for i in 0..n {
                assert_relative_eq!(id[[i, i]], 1.0, epsilon = 1e-9);
            }
        }
    }
}
