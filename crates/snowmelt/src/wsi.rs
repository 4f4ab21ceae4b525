//! Wet snow index (thesis eq. 3.5): a logistic function of R_c whose
//! midpoint and slope come from the fitted mixture.

use sar_core::Raster;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SnowError};
use crate::gmm::Gmm1d;

/// Parameters of the wet snow index.
#[derive(Debug, Clone, PartialEq)]
pub struct WsiParams {
    carrying_capacity: f64,
    min_k: f64,
}

impl Default for WsiParams {
    fn default() -> Self {
        WsiParams {
            carrying_capacity: 10.0,
            min_k: 0.05,
        }
    }
}

impl WsiParams {
    /// Defaults: L = 10 (thesis sect. 3.3.2), minimum slope factor 0.05 per dB.
    pub fn new() -> Self {
        Self::default()
    }
    /// Carrying capacity L, the supremum of the index (> 0).
    pub fn carrying_capacity(mut self, l: f64) -> Self {
        self.carrying_capacity = l;
        self
    }
    /// Smallest accepted slope factor k (1/dB, ≥ 0). Below it the two
    /// components count as coinciding ([`SnowError::ComponentsCoincide`]):
    /// with k = 0.05 the index changes by less than 1.3 % of L per dB.
    pub fn min_k(mut self, k: f64) -> Self {
        self.min_k = k;
        self
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if !(self.carrying_capacity > 0.0 && self.carrying_capacity.is_finite()) {
            return Err(SnowError::InvalidParameter {
                name: "carrying_capacity",
                reason: format!("must be > 0, got {}", self.carrying_capacity),
            });
        }
        if !(self.min_k >= 0.0 && self.min_k.is_finite()) {
            return Err(SnowError::InvalidParameter {
                name: "min_k",
                reason: format!("must be ≥ 0, got {}", self.min_k),
            });
        }
        Ok(())
    }
}

/// The logistic wet snow index `WSI(x) = L / (1 + e^{k (x − x₀)})` (eq. 3.5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Wsi {
    /// Carrying capacity L.
    pub l: f64,
    /// Slope factor `k = |μ₁ − μ₂| / (σ₁ + σ₂)` with standard deviations σ (1/dB).
    pub k: f64,
    /// Midpoint `x₀ = (μ₁ + μ₂) / 2` (dB).
    pub x0: f64,
}

impl Wsi {
    /// The index of a fitted mixture; [`SnowError::ComponentsCoincide`] if
    /// `k` is below the minimum or not finite.
    pub fn from_gmm(gmm: &Gmm1d, params: &WsiParams) -> Result<Wsi> {
        params.check()?;
        let [s1, s2] = gmm.std_devs();
        let [m1, m2] = gmm.means;
        let k = (m1 - m2).abs() / (s1 + s2);
        if !(k.is_finite() && k >= params.min_k && k > 0.0) {
            return Err(SnowError::ComponentsCoincide {
                mean1: m1,
                mean2: m2,
                k,
                min_k: params.min_k,
            });
        }
        Ok(Wsi {
            l: params.carrying_capacity,
            k,
            x0: 0.5 * (m1 + m2),
        })
    }

    /// WSI at `rc_db` (NaN stays NaN). Large positive exponents give 0, not NaN.
    #[inline]
    pub fn eval(&self, rc_db: f64) -> f64 {
        self.l / (1.0 + (self.k * (rc_db - self.x0)).exp())
    }

    /// WSI of every pixel of an R_c raster (dB).
    pub fn apply(&self, rc_db: &Raster<f64>) -> Raster<f64> {
        crate::par_map(rc_db, |x| self.eval(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn gmm(means: [f64; 2], variances: [f64; 2]) -> Gmm1d {
        Gmm1d {
            weights: [0.4, 0.6],
            means,
            variances,
            n_iter: 1,
            converged: true,
            lower_bound: 0.0,
            n_samples: 1000,
        }
    }

    /// k must use standard deviations: with σ = 2 and 1 dB (variances 4 and 1)
    /// and means −6 and 0 dB, k = 6 / 3 = 2; variances would give 6 / 5 = 1.2.
    #[test]
    fn slope_uses_standard_deviations() {
        let w = Wsi::from_gmm(&gmm([-6.0, 0.0], [4.0, 1.0]), &WsiParams::new()).unwrap();
        assert_relative_eq!(w.k, 2.0, epsilon = 1e-12);
        assert_relative_eq!(w.x0, -3.0, epsilon = 1e-12);
        assert_relative_eq!(w.eval(-3.0), 5.0, epsilon = 1e-12);
        // Analytic: 10 / (1 + e^{2·(−2 + 3)}) = 10 / (1 + e²)
        assert_relative_eq!(w.eval(-2.0), 10.0 / (1.0 + 2f64.exp()), epsilon = 1e-12);
        assert_eq!(w.eval(1e6), 0.0);
        assert_eq!(w.eval(-1e6), 10.0);
        assert!(w.eval(f64::NAN).is_nan());
    }

    #[test]
    fn coinciding_components_are_an_error() {
        let e = Wsi::from_gmm(&gmm([-1.0, -0.99], [1.0, 1.0]), &WsiParams::new());
        assert!(matches!(e, Err(SnowError::ComponentsCoincide { .. })));
    }
}
