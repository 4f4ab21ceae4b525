//! Variogram models and their sums, with scikit-gstat's (and so xdem's)
//! *effective-range* conventions.
//!
//! Every component has an effective range `r` (metres) and a partial sill
//! `c` (unit², here of the standardised error z, so dimensionless):
//!
//! | kind | γ(h) | range parameter |
//! |---|---|---|
//! | Gaussian | c·(1 − e^{−h²/a²}) = c·(1 − e^{−4h²/r²}) | a = r/2 |
//! | Spherical | c·(3h/2r − h³/2r³) for h < r, c beyond | a = r |
//! | Exponential | c·(1 − e^{−h/a}) = c·(1 − e^{−3h/r}) | a = r/3 |
//!
//! A [`VariogramModel`] is a sum of components (thesis sect. 4.3.3.2: a
//! short-range Gaussian plus a long-range Spherical) plus an optional
//! *nugget* c₀, a variance that is uncorrelated even between neighbouring
//! pixels (γ(0) = 0, γ(h) = c₀ + Σγₖ(h) for h > 0). With the total sill
//! S = c₀ + Σc its covariance is C(h) = S − γ(h) and its correlation
//! ρ(h) = C(h)/S, with ρ(0) = 1. xdem has no nugget term; its unbounded
//! range search lets the short Gaussian shrink below a pixel, which acts as
//! one (ρ ≈ 0 at the first neighbour).

use crate::error::{Result, UncertaintyError};

/// The shape of one variogram component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModelKind {
    /// γ = c·(1 − exp(−4h²/r²)).
    Gaussian,
    /// γ = c·(1.5h/r − 0.5(h/r)³) for h < r, c beyond.
    Spherical,
    /// γ = c·(1 − exp(−3h/r)).
    Exponential,
}

impl ModelKind {
    /// The unit-sill variogram at lag `h_m` for effective range `range_m`.
    #[inline]
    pub fn unit_gamma(self, h_m: f64, range_m: f64) -> f64 {
        let h = h_m.abs();
        match self {
            ModelKind::Gaussian => {
                let a = range_m / 2.0;
                1.0 - (-(h * h) / (a * a)).exp()
            }
            ModelKind::Spherical => {
                if h >= range_m {
                    1.0
                } else {
                    let t = h / range_m;
                    1.5 * t - 0.5 * t * t * t
                }
            }
            ModelKind::Exponential => 1.0 - (-3.0 * h / range_m).exp(),
        }
    }
}

/// One component of a sum of variogram models.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VariogramComponent {
    /// The model shape.
    pub kind: ModelKind,
    /// Effective range in metres (> 0).
    pub range_m: f64,
    /// Partial sill (variance unit, ≥ 0).
    pub partial_sill: f64,
}

impl VariogramComponent {
    /// A component.
    pub fn new(kind: ModelKind, range_m: f64, partial_sill: f64) -> Self {
        VariogramComponent {
            kind,
            range_m,
            partial_sill,
        }
    }

    /// γ of this component at lag `h_m`.
    #[inline]
    pub fn gamma(&self, h_m: f64) -> f64 {
        self.partial_sill * self.kind.unit_gamma(h_m, self.range_m)
    }
}

/// A sum of variogram models plus an optional nugget (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct VariogramModel {
    components: Vec<VariogramComponent>,
    nugget: f64,
    total_sill: f64,
}

impl VariogramModel {
    /// A sum model.
    ///
    /// # Errors
    /// [`UncertaintyError::InvalidParameter`] if there is no component, a
    /// range is not finite and > 0, a sill is negative or not finite, or the
    /// total sill is zero.
    pub fn new(components: Vec<VariogramComponent>) -> Result<Self> {
        if components.is_empty() {
            return Err(UncertaintyError::param("components", "need at least one"));
        }
        for c in &components {
            if !(c.range_m.is_finite() && c.range_m > 0.0) {
                return Err(UncertaintyError::param(
                    "range_m",
                    format!("must be finite and > 0, got {}", c.range_m),
                ));
            }
            if !(c.partial_sill.is_finite() && c.partial_sill >= 0.0) {
                return Err(UncertaintyError::param(
                    "partial_sill",
                    format!("must be finite and ≥ 0, got {}", c.partial_sill),
                ));
            }
        }
        let total_sill: f64 = components.iter().map(|c| c.partial_sill).sum();
        if total_sill <= 0.0 {
            return Err(UncertaintyError::param(
                "partial_sill",
                "total sill is zero",
            ));
        }
        Ok(VariogramModel {
            components,
            nugget: 0.0,
            total_sill,
        })
    }

    /// Components and nugget checked together (the components may all have
    /// zero sill when the nugget does not).
    pub(crate) fn from_parts(components: Vec<VariogramComponent>, nugget: f64) -> Result<Self> {
        let mut parts = components.clone();
        if let Some(first) = parts.first_mut() {
            // validate ranges and sills with a temporary non-zero sill
            first.partial_sill += 1.0;
        }
        VariogramModel::new(parts)?;
        let mut m = VariogramModel {
            components,
            nugget: 0.0,
            total_sill: 0.0,
        };
        m = m.with_nugget(nugget)?;
        Ok(m)
    }

    /// The same model with a nugget `c₀ ≥ 0` (variance unit), replacing any
    /// previous nugget.
    ///
    /// # Errors
    /// [`UncertaintyError::InvalidParameter`] if `nugget` is negative or not
    /// finite, or if the total sill would be zero.
    pub fn with_nugget(mut self, nugget: f64) -> Result<Self> {
        if !(nugget.is_finite() && nugget >= 0.0) {
            return Err(UncertaintyError::param(
                "nugget",
                format!("must be finite and ≥ 0, got {nugget}"),
            ));
        }
        let partial: f64 = self.components.iter().map(|c| c.partial_sill).sum();
        if partial + nugget <= 0.0 {
            return Err(UncertaintyError::param("nugget", "total sill is zero"));
        }
        self.nugget = nugget;
        self.total_sill = partial + nugget;
        Ok(self)
    }

    /// The nugget c₀ (variance unit; 0 when the model has none).
    pub fn nugget(&self) -> f64 {
        self.nugget
    }

    /// The model fitted in the thesis for standardised Karakoram dh/dt
    /// (sect. 4.4.4): Gaussian r = 204.53 m, c = 0.76 plus Spherical
    /// r = 1590.40 m, c = 0.28.
    pub fn thesis_karakoram() -> Self {
        VariogramModel {
            components: vec![
                VariogramComponent::new(ModelKind::Gaussian, 204.53, 0.76),
                VariogramComponent::new(ModelKind::Spherical, 1590.40, 0.28),
            ],
            nugget: 0.0,
            total_sill: 0.76 + 0.28,
        }
    }

    /// The components.
    pub fn components(&self) -> &[VariogramComponent] {
        &self.components
    }

    /// Sum of the partial sills and the nugget.
    pub fn total_sill(&self) -> f64 {
        self.total_sill
    }

    /// Largest effective range (metres).
    pub fn max_range_m(&self) -> f64 {
        self.components.iter().fold(0.0, |m, c| m.max(c.range_m))
    }

    /// Smallest effective range (metres).
    pub fn min_range_m(&self) -> f64 {
        self.components
            .iter()
            .fold(f64::INFINITY, |m, c| m.min(c.range_m))
    }

    /// γ(h) at lag `h_m` (metres); the nugget counts for every `h ≠ 0`.
    #[inline]
    pub fn gamma(&self, h_m: f64) -> f64 {
        let g: f64 = self.components.iter().map(|c| c.gamma(h_m)).sum();
        if h_m != 0.0 {
            g + self.nugget
        } else {
            g
        }
    }

    /// Covariance C(h) = Σc − γ(h).
    #[inline]
    pub fn covariance(&self, h_m: f64) -> f64 {
        self.total_sill - self.gamma(h_m)
    }

    /// Correlation ρ(h) = C(h)/Σc, in [0, 1].
    #[inline]
    pub fn correlation(&self, h_m: f64) -> f64 {
        self.covariance(h_m) / self.total_sill
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_range_conventions() {
        // at the effective range: Spherical reaches the sill, Gaussian and
        // Exponential 1 − e^{−4} (Gaussian: 4h²/r² = 4) and 1 − e^{−3}
        assert_eq!(ModelKind::Spherical.unit_gamma(100.0, 100.0), 1.0);
        assert!(
            (ModelKind::Gaussian.unit_gamma(100.0, 100.0) - (1.0 - (-4.0f64).exp())).abs() < 1e-15
        );
        assert!(
            (ModelKind::Exponential.unit_gamma(100.0, 100.0) - (1.0 - (-3.0f64).exp())).abs()
                < 1e-15
        );
        assert!((ModelKind::Spherical.unit_gamma(50.0, 100.0) - 0.6875).abs() < 1e-15);
        let m = VariogramModel::thesis_karakoram();
        assert!((m.total_sill() - 1.04).abs() < 1e-12);
        assert_eq!(m.correlation(0.0), 1.0);
        assert!(m.correlation(5000.0).abs() < 1e-15);
    }

    #[test]
    fn nugget_is_uncorrelated_variance() {
        let m = VariogramModel::new(vec![VariogramComponent::new(
            ModelKind::Spherical,
            100.0,
            0.6,
        )])
        .unwrap()
        .with_nugget(0.4)
        .unwrap();
        assert_eq!(m.nugget(), 0.4);
        assert!((m.total_sill() - 1.0).abs() < 1e-15);
        assert_eq!(m.gamma(0.0), 0.0);
        assert_eq!(m.correlation(0.0), 1.0);
        // just off zero only the nugget has decorrelated; at 50 m also
        // the spherical part: 0.6·0.6875
        assert!((m.correlation(1e-9) - 0.6).abs() < 1e-9);
        assert!((m.correlation(50.0) - 0.6 * (1.0 - 0.6875)).abs() < 1e-12);
        assert!(m.clone().with_nugget(-1.0).is_err());
        assert!(m.with_nugget(f64::NAN).is_err());
    }

    #[test]
    fn invalid_models_are_errors() {
        assert!(VariogramModel::new(vec![]).is_err());
        assert!(
            VariogramModel::new(vec![VariogramComponent::new(ModelKind::Gaussian, 0.0, 1.0)])
                .is_err()
        );
        assert!(
            VariogramModel::new(vec![VariogramComponent::new(ModelKind::Gaussian, 1.0, 0.0)])
                .is_err()
        );
    }
}
