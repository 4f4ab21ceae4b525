//! Gaussian random fields with a sum-of-models covariance by circulant
//! embedding (Dietrich & Newsam 1997; Wood & Chan 1994).
//!
//! The covariance C(h) of a [`VariogramModel`] is laid out on a periodic
//! grid of `m_rows × m_cols` pixels (at least twice the field and twice
//! 1.5 × the largest range, so that the wrapped covariance has decayed), with
//! torus distances. Its 2-D DFT gives the eigenvalues λ of the block-circulant
//! covariance matrix. For complex white noise ε = a + ib (a, b ~ N(0, 1)),
//! Y = DFT(√(λ/M)·ε) has real and imaginary parts that are two independent
//! fields with covariance exactly C on the torus; the top-left
//! `rows × cols` window is returned. Negative eigenvalues (the embedding is
//! not always positive definite) are set to zero and reported in
//! [`FieldGenerator::negative_eigen_fraction`].

use std::sync::Arc;

use ndarray::Array2;
use num_complex::Complex64;
use rand::Rng;
use rand_distr::StandardNormal;
use rustfft::{Fft, FftPlanner};

use crate::error::{Result, UncertaintyError};
use crate::model::VariogramModel;

/// A reusable generator of correlated Gaussian random fields on one grid
/// (FFT plans and eigenvalues computed once).
pub struct FieldGenerator {
    rows: usize,
    cols: usize,
    m_rows: usize,
    m_cols: usize,
    sqrt_eig: Vec<f64>,
    fft_rows: Arc<dyn Fft<f64>>,
    fft_cols: Arc<dyn Fft<f64>>,
    negative_eigen_fraction: f64,
}

impl std::fmt::Debug for FieldGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldGenerator")
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field("m_rows", &self.m_rows)
            .field("m_cols", &self.m_cols)
            .field("negative_eigen_fraction", &self.negative_eigen_fraction)
            .finish()
    }
}

pub(crate) fn fast_size(n: usize) -> usize {
    // smallest 2^a·3^b·5^c ≥ n
    let mut best = usize::MAX;
    let mut p2 = 1usize;
    while p2 < 2 * n.max(1) {
        let mut p3 = p2;
        while p3 < 2 * n.max(1) {
            let mut p5 = p3;
            while p5 < 2 * n.max(1) {
                if p5 >= n && p5 < best {
                    best = p5;
                }
                p5 *= 5;
            }
            p3 *= 3;
        }
        p2 *= 2;
    }
    best
}

/// In-place 2-D DFT of a row-major `r × c` buffer.
pub(crate) fn fft2(
    buf: &mut [Complex64],
    tmp: &mut [Complex64],
    r: usize,
    c: usize,
    fr: &dyn Fft<f64>,
    fc: &dyn Fft<f64>,
) {
    fc.process(buf); // along each row (length c)
    for i in 0..r {
        for j in 0..c {
            tmp[j * r + i] = buf[i * c + j];
        }
    }
    fr.process(tmp); // along each column (length r)
    for i in 0..r {
        for j in 0..c {
            buf[i * c + j] = tmp[j * r + i];
        }
    }
}

impl FieldGenerator {
    /// A generator of `rows × cols` fields with pixel size
    /// `pixel_size_m = (dx, dy)` (metres) and covariance of `model`.
    ///
    /// # Errors
    /// Zero size, non-positive pixel size, or an embedding over 2²⁸ pixels.
    pub fn new(
        rows: usize,
        cols: usize,
        pixel_size_m: (f64, f64),
        model: &VariogramModel,
    ) -> Result<Self> {
        let (dx, dy) = pixel_size_m;
        if rows == 0 || cols == 0 {
            return Err(UncertaintyError::param("rows/cols", "must be ≥ 1"));
        }
        if !(dx.is_finite() && dy.is_finite() && dx > 0.0 && dy > 0.0) {
            return Err(UncertaintyError::param(
                "pixel_size_m",
                "must be finite and > 0",
            ));
        }
        let reach = 1.5 * model.max_range_m();
        // Sizes in f64 first: a huge range or a tiny pixel must not wrap.
        let side = |n: usize, d: f64| -> Option<usize> {
            let v = (2.0 * (reach / d).ceil()).max(2.0 * n as f64);
            (v <= (1u64 << 28) as f64).then_some(v as usize)
        };
        let (Some(mr), Some(mc)) = (side(rows, dy), side(cols, dx)) else {
            return Err(UncertaintyError::param(
                "rows/cols",
                format!("circulant embedding for a range of {reach} m on {dx}×{dy} m pixels is too large"),
            ));
        };
        let m_rows = fast_size(mr);
        let m_cols = fast_size(mc);
        if m_rows.saturating_mul(m_cols) > 1 << 28 {
            return Err(UncertaintyError::param(
                "rows/cols",
                format!("circulant embedding of {m_rows}×{m_cols} is too large"),
            ));
        }
        let mut planner = FftPlanner::<f64>::new();
        let fft_rows = planner.plan_fft_forward(m_rows);
        let fft_cols = planner.plan_fft_forward(m_cols);
        let m = m_rows * m_cols;
        let mut buf: Vec<Complex64> = Vec::with_capacity(m);
        for i in 0..m_rows {
            let di = i.min(m_rows - i) as f64 * dy;
            for j in 0..m_cols {
                let dj = j.min(m_cols - j) as f64 * dx;
                buf.push(Complex64::new(model.covariance(di.hypot(dj)), 0.0));
            }
        }
        let mut tmp = vec![Complex64::new(0.0, 0.0); m];
        fft2(
            &mut buf,
            &mut tmp,
            m_rows,
            m_cols,
            fft_rows.as_ref(),
            fft_cols.as_ref(),
        );
        let mut neg = 0.0;
        let mut tot = 0.0;
        let sqrt_eig = buf
            .iter()
            .map(|l| {
                tot += l.re.abs();
                if l.re < 0.0 {
                    neg += -l.re;
                    0.0
                } else {
                    (l.re / m as f64).sqrt()
                }
            })
            .collect();
        Ok(FieldGenerator {
            rows,
            cols,
            m_rows,
            m_cols,
            sqrt_eig,
            fft_rows,
            fft_cols,
            negative_eigen_fraction: if tot > 0.0 { neg / tot } else { 0.0 },
        })
    }

    /// Sum of |negative eigenvalues| over sum of |eigenvalues| (0 when the
    /// embedding is exact).
    pub fn negative_eigen_fraction(&self) -> f64 {
        self.negative_eigen_fraction
    }

    /// Size of the periodic embedding (rows, cols).
    pub fn embedding_shape(&self) -> (usize, usize) {
        (self.m_rows, self.m_cols)
    }

    /// Two independent fields from one FFT.
    pub fn sample_pair<R: Rng + ?Sized>(&self, rng: &mut R) -> (Array2<f64>, Array2<f64>) {
        let m = self.m_rows * self.m_cols;
        let mut buf: Vec<Complex64> = self
            .sqrt_eig
            .iter()
            .map(|&s| {
                let a: f64 = rng.sample(StandardNormal);
                let b: f64 = rng.sample(StandardNormal);
                Complex64::new(s * a, s * b)
            })
            .collect();
        let mut tmp = vec![Complex64::new(0.0, 0.0); m];
        fft2(
            &mut buf,
            &mut tmp,
            self.m_rows,
            self.m_cols,
            self.fft_rows.as_ref(),
            self.fft_cols.as_ref(),
        );
        let re =
            Array2::from_shape_fn((self.rows, self.cols), |(i, j)| buf[i * self.m_cols + j].re);
        let im =
            Array2::from_shape_fn((self.rows, self.cols), |(i, j)| buf[i * self.m_cols + j].im);
        (re, im)
    }

    /// One field.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Array2<f64> {
        self.sample_pair(rng).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_sizes() {
        assert_eq!(fast_size(7), 8);
        assert_eq!(fast_size(97), 100);
        assert_eq!(fast_size(256), 256);
    }
}
