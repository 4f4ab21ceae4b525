//! Small dense linear algebra shared by the method crates.
//!
//! The least-squares fits of the workspace (variogram sills, the polynomial
//! deramp of co-registration, the Nuth & Kääb cosine fit, the NaN-aware
//! plane fits of pre-processing) solve systems of a handful of unknowns.
//! One Gaussian elimination with partial pivoting serves them all; each
//! caller states the singularity tolerance that suits its problem.
//!
//! ```
//! use sar_core::linalg::{solve_dense, Singularity};
//! // 2x + y = 5, x + 3y = 10  ->  x = 1, y = 3
//! let x = solve_dense(vec![2.0, 1.0, 1.0, 3.0], vec![5.0, 10.0], Singularity::Relative(1e-12))
//!     .unwrap();
//! assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 3.0).abs() < 1e-12);
//! ```

/// When a pivot counts as zero, so that [`solve_dense`] reports the system
/// singular instead of returning huge or non-finite values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Singularity {
    /// Pivot magnitude at most `tol` times the largest |entry| of the matrix.
    Relative(f64),
    /// Pivot magnitude at most `tol` (absolute).
    Absolute(f64),
}

/// Solve the dense `n × n` system `a x = b` (`a` row-major, `n = b.len()`)
/// by Gaussian elimination with partial pivoting.
///
/// Returns `None` if `a` is not `n × n`, a pivot is zero by `tol`, or the
/// solution is not finite.
pub fn solve_dense(mut a: Vec<f64>, mut b: Vec<f64>, tol: Singularity) -> Option<Vec<f64>> {
    let n = b.len();
    if a.len() != n * n {
        return None;
    }
    let thresh = match tol {
        Singularity::Relative(t) => {
            t * a
                .iter()
                .fold(0.0f64, |m, v| m.max(v.abs()))
                .max(f64::MIN_POSITIVE)
        }
        Singularity::Absolute(t) => t,
    };
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| a[i * n + k].abs().total_cmp(&a[j * n + k].abs()))?;
        let piv = a[p * n + k];
        if !piv.is_finite() || piv.abs() <= thresh {
            return None;
        }
        if p != k {
            for j in 0..n {
                a.swap(k * n + j, p * n + j);
            }
            b.swap(k, p);
        }
        for i in k + 1..n {
            let f = a[i * n + k] / a[k * n + k];
            if f == 0.0 {
                continue;
            }
            for j in k..n {
                a[i * n + j] -= f * a[k * n + j];
            }
            b[i] -= f * b[k];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|j| a[i * n + j] * x[j]).sum();
        x[i] = (b[i] - s) / a[i * n + i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random numbers (LCG) for the test matrices.
    fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    }

    #[test]
    fn recovers_known_solutions_of_random_systems() {
        for seed in 1..40u64 {
            let mut s = seed;
            let n = 1 + (seed as usize % 9);
            let a: Vec<f64> = (0..n * n).map(|_| lcg(&mut s)).collect();
            let x: Vec<f64> = (0..n).map(|_| 10.0 * lcg(&mut s)).collect();
            let b: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| a[i * n + j] * x[j]).sum())
                .collect();
            let got = solve_dense(a.clone(), b, Singularity::Relative(1e-14)).unwrap();
            // residual check (conditioning varies with the seed)
            for i in 0..n {
                let r: f64 = (0..n).map(|j| a[i * n + j] * got[j]).sum::<f64>()
                    - (0..n).map(|j| a[i * n + j] * x[j]).sum::<f64>();
                assert!(r.abs() < 1e-9, "seed {seed} row {i}: residual {r}");
            }
        }
    }

    #[test]
    fn needs_pivoting_and_reports_singular_systems() {
        // zero leading entry: fails without row exchange
        let x = solve_dense(
            vec![0.0, 1.0, 1.0, 0.0],
            vec![2.0, 3.0],
            Singularity::Absolute(0.0),
        )
        .unwrap();
        assert_eq!(x, vec![3.0, 2.0]);
        // rank-deficient
        let a = vec![1.0, 2.0, 2.0, 4.0];
        assert!(solve_dense(a.clone(), vec![1.0, 2.0], Singularity::Relative(1e-12)).is_none());
        // wrong shape and non-finite input
        assert!(solve_dense(vec![1.0; 3], vec![1.0, 1.0], Singularity::Absolute(0.0)).is_none());
        assert!(solve_dense(
            vec![f64::NAN, 0.0, 0.0, 1.0],
            vec![1.0, 1.0],
            Singularity::Absolute(0.0)
        )
        .is_none());
        // the tolerance decides: a tiny pivot passes an absolute 0 but not 1e-6
        let a = vec![1e-9, 0.0, 0.0, 1.0];
        assert!(solve_dense(a.clone(), vec![1.0, 1.0], Singularity::Absolute(0.0)).is_some());
        assert!(solve_dense(a, vec![1.0, 1.0], Singularity::Absolute(1e-6)).is_none());
    }
}
