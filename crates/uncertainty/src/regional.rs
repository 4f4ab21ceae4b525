//! Glacier-wide and regional mass-balance uncertainty (thesis sects.
//! 4.3.3.1 and 4.3.3.4, eqs. 4.5–4.8, 4.14–4.16 and the appendix 4.18–4.22).
//!
//! # Glacier-wide (eqs. 4.5, 4.7, 4.8)
//! The specific mass balance of a glacier is b = ρ·mean(dh/dt) (eq. 4.5),
//! here in metres water equivalent per year, b = (ρ/ρ_w)·dh with
//! ρ_w = 1000 kg m⁻³ (multiply by 1000 for kg m⁻² yr⁻¹). With independent
//! errors of the mean elevation change and of the density (eq. 4.7):
//!
//! σ_b² = (ρ·σ_dh)² + (dh·σ_ρ)²  (both divided by ρ_w²),
//!
//! with ρ = 850 ± 60 kg m⁻³ (Huss 2013) by default. The error of the mean
//! over a glacier split into a measured part 𝓜 and a void-filled part 𝓥,
//! assumed independent, is (eq. 4.8)
//!
//! σ²_dh,g = (A_𝓜/A_g · σ_dh,𝓜)² + (A_𝓥/A_g · σ_dh,𝓥)².
//!
//! # Regional (eqs. 4.14–4.16, 4.18–4.22)
//! The regional mean is area-weighted, dh_Σ = Σ Aᵢ dhᵢ / T with T = Σ Aᵢ
//! (eq. 4.18). First-order error propagation with independent area errors,
//! area errors independent of elevation errors, and correlated elevation
//! errors uses
//!
//! ∂dh_Σ/∂Aᵢ = (dhᵢ T − Σ A_k dh_k)/T² = (dhᵢ − dh_Σ)/T,  ∂dh_Σ/∂dhᵢ = Aᵢ/T,
//!
//! so that (eqs. 4.19–4.20, 4.15)
//!
//! σ²_dh_Σ = (1/T²) [ Σᵢ (dhᵢ − dh_Σ)² σ²_Aᵢ + Σᵢ Σⱼ Aᵢ Aⱼ Cov(dhᵢ, dhⱼ) ],
//!
//! where the double sum includes i = j (Cov(dhᵢ, dhᵢ) = σ²_dhᵢ). Under
//! second-order stationarity, Cov(dhᵢ, dhⱼ) = σᵢσⱼ − V (eqs. 4.16, 4.21);
//! [`InterGlacierCovariance::CentroidVariogram`] takes V = σᵢσⱼ·γ(dᵢⱼ)/Σc
//! with dᵢⱼ the distance between the glaciers' centroids, i.e.
//! Cov = σᵢσⱼ·ρ(dᵢⱼ) (eq. 4.22; exact when the glaciers are small against
//! the correlation ranges), while [`InterGlacierCovariance::Matrix`] takes
//! any covariance matrix, e.g. the exact pixel double sums of
//! [`crate::covariance_of_means`]. The regional mass balance follows as in
//! eq. 4.7 (eq. 4.14).

use crate::error::{Result, UncertaintyError};
use crate::model::VariogramModel;

/// Density of water (kg m⁻³) for metres water equivalent.
pub const WATER_DENSITY_KG_M3: f64 = 1000.0;

/// Volume-to-mass conversion density and its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Density {
    /// Density ρ (kg m⁻³).
    pub rho_kg_m3: f64,
    /// Its standard uncertainty σ_ρ (kg m⁻³).
    pub sigma_kg_m3: f64,
}

impl Default for Density {
    /// 850 ± 60 kg m⁻³ (Huss 2013; thesis sect. 4.3.3).
    fn default() -> Self {
        Density {
            rho_kg_m3: 850.0,
            sigma_kg_m3: 60.0,
        }
    }
}

impl Density {
    fn check(&self) -> Result<()> {
        if !(self.rho_kg_m3.is_finite()
            && self.rho_kg_m3 > 0.0
            && self.sigma_kg_m3.is_finite()
            && self.sigma_kg_m3 >= 0.0)
        {
            return Err(UncertaintyError::param(
                "density",
                "need finite ρ > 0 and σ_ρ ≥ 0",
            ));
        }
        Ok(())
    }
}

/// A mass balance with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MassBalance {
    /// Mean elevation change (m/yr).
    pub mean_dh_m_yr: f64,
    /// Its standard error (m/yr).
    pub sigma_dh_m_yr: f64,
    /// Specific mass balance (m w.e./yr).
    pub b_mwe_yr: f64,
    /// Its standard uncertainty (m w.e./yr), eq. 4.7.
    pub sigma_b_mwe_yr: f64,
}

/// Glacier-wide mass balance and its uncertainty (eqs. 4.5, 4.7).
///
/// # Errors
/// Non-finite inputs, negative σ, invalid density.
pub fn glacier_mass_balance(
    mean_dh_m_yr: f64,
    sigma_dh_m_yr: f64,
    density: Density,
) -> Result<MassBalance> {
    density.check()?;
    if !(mean_dh_m_yr.is_finite() && sigma_dh_m_yr.is_finite() && sigma_dh_m_yr >= 0.0) {
        return Err(UncertaintyError::param(
            "mean_dh",
            "need a finite mean and σ ≥ 0",
        ));
    }
    let r = density.rho_kg_m3 / WATER_DENSITY_KG_M3;
    let sr = density.sigma_kg_m3 / WATER_DENSITY_KG_M3;
    Ok(MassBalance {
        mean_dh_m_yr,
        sigma_dh_m_yr,
        b_mwe_yr: r * mean_dh_m_yr,
        sigma_b_mwe_yr: ((r * sigma_dh_m_yr).powi(2) + (mean_dh_m_yr * sr).powi(2)).sqrt(),
    })
}

/// Error of the glacier-wide mean from its measured and void-filled parts
/// (eq. 4.8); areas in m², σ in m/yr.
///
/// # Errors
/// Negative or non-finite inputs, zero total area.
pub fn combine_measured_void(
    area_measured_m2: f64,
    sigma_measured_m_yr: f64,
    area_void_m2: f64,
    sigma_void_m_yr: f64,
) -> Result<f64> {
    let v = [
        area_measured_m2,
        sigma_measured_m_yr,
        area_void_m2,
        sigma_void_m_yr,
    ];
    if v.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
        return Err(UncertaintyError::param(
            "areas/sigmas",
            "must be finite and ≥ 0",
        ));
    }
    let ag = area_measured_m2 + area_void_m2;
    if ag <= 0.0 {
        return Err(UncertaintyError::param(
            "areas",
            "total glacier area is zero",
        ));
    }
    Ok(((area_measured_m2 / ag * sigma_measured_m_yr).powi(2)
        + (area_void_m2 / ag * sigma_void_m_yr).powi(2))
    .sqrt())
}

/// One glacier of a regional budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glacier {
    /// Area Aᵢ (m²).
    pub area_m2: f64,
    /// Area uncertainty σ_Aᵢ (m²).
    pub sigma_area_m2: f64,
    /// Mean elevation change dhᵢ (m/yr).
    pub mean_dh_m_yr: f64,
    /// Standard error of dhᵢ (m/yr), from [`crate::propagate_mean_error`] and eq. 4.8.
    pub sigma_dh_m_yr: f64,
    /// Centroid (x, y) in metres.
    pub centroid_m: [f64; 2],
}

/// The covariance between the mean elevation-change errors of two glaciers.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InterGlacierCovariance {
    /// Independent glaciers: Cov = 0 for i ≠ j.
    Independent,
    /// Eq. 4.21: Cov = σᵢσⱼ·ρ(dᵢⱼ) with the centroid distance dᵢⱼ.
    CentroidVariogram(VariogramModel),
    /// A full N×N covariance matrix (row-major, (m/yr)²); its diagonal
    /// replaces σ²_dhᵢ.
    Matrix(Vec<f64>),
}

/// The regional area-weighted mean elevation change and mass balance with
/// their uncertainties (eqs. 4.14, 4.18–4.22).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegionalBudget {
    /// Total area T (m²).
    pub total_area_m2: f64,
    /// Area-weighted mean dh_Σ (m/yr), eq. 4.18.
    pub mean_dh_m_yr: f64,
    /// Area term (1/T²) Σ (dhᵢ − dh_Σ)² σ²_Aᵢ ((m/yr)²).
    pub area_variance: f64,
    /// Covariance term (1/T²) Σᵢ Σⱼ Aᵢ Aⱼ Cov(dhᵢ, dhⱼ) ((m/yr)²).
    pub covariance_variance: f64,
    /// σ_dh_Σ (m/yr), eq. 4.22.
    pub sigma_dh_m_yr: f64,
    /// Regional specific mass balance (m w.e./yr).
    pub b_mwe_yr: f64,
    /// Its uncertainty (m w.e./yr), eq. 4.14.
    pub sigma_b_mwe_yr: f64,
}

/// Regional budget of `glaciers` (see the module docs).
///
/// # Errors
/// No glacier, non-finite or negative inputs, zero total area, a covariance
/// matrix of the wrong size, invalid density.
pub fn regional_budget(
    glaciers: &[Glacier],
    covariance: &InterGlacierCovariance,
    density: Density,
) -> Result<RegionalBudget> {
    if glaciers.is_empty() {
        return Err(UncertaintyError::NoValidSamples("no glacier".into()));
    }
    for g in glaciers {
        let ok = [g.area_m2, g.sigma_area_m2, g.sigma_dh_m_yr]
            .iter()
            .all(|v| v.is_finite() && *v >= 0.0)
            && g.mean_dh_m_yr.is_finite()
            && g.centroid_m.iter().all(|v| v.is_finite());
        if !ok {
            return Err(UncertaintyError::param(
                "glaciers",
                "areas and σ must be finite and ≥ 0, dh and centroids finite",
            ));
        }
    }
    let n = glaciers.len();
    if let InterGlacierCovariance::Matrix(m) = covariance {
        if m.len() != n * n {
            return Err(UncertaintyError::LengthMismatch {
                what: "covariance matrix (N×N)",
                expected: n * n,
                found: m.len(),
            });
        }
    }
    let t: f64 = glaciers.iter().map(|g| g.area_m2).sum();
    if t <= 0.0 {
        return Err(UncertaintyError::param("glaciers", "total area is zero"));
    }
    let mean = glaciers
        .iter()
        .map(|g| g.area_m2 * g.mean_dh_m_yr)
        .sum::<f64>()
        / t;
    let area_var = glaciers
        .iter()
        .map(|g| (g.mean_dh_m_yr - mean).powi(2) * g.sigma_area_m2.powi(2))
        .sum::<f64>()
        / (t * t);
    let mut cov_sum = 0.0;
    for (i, gi) in glaciers.iter().enumerate() {
        for (j, gj) in glaciers.iter().enumerate() {
            let c = match covariance {
                InterGlacierCovariance::Independent => {
                    if i == j {
                        gi.sigma_dh_m_yr.powi(2)
                    } else {
                        0.0
                    }
                }
                InterGlacierCovariance::CentroidVariogram(model) => {
                    let d = (gi.centroid_m[0] - gj.centroid_m[0])
                        .hypot(gi.centroid_m[1] - gj.centroid_m[1]);
                    gi.sigma_dh_m_yr * gj.sigma_dh_m_yr * model.correlation(d)
                }
                InterGlacierCovariance::Matrix(m) => m[i * n + j],
            };
            cov_sum += gi.area_m2 * gj.area_m2 * c;
        }
    }
    let cov_var = cov_sum / (t * t);
    let var = area_var + cov_var;
    if !(var.is_finite() && var >= 0.0) {
        return Err(UncertaintyError::Degenerate(format!(
            "regional variance {var} is negative or not finite (covariance matrix not positive semi-definite?)"
        )));
    }
    let sigma = var.sqrt();
    let mb = glacier_mass_balance(mean, sigma, density)?;
    Ok(RegionalBudget {
        total_area_m2: t,
        mean_dh_m_yr: mean,
        area_variance: area_var,
        covariance_variance: cov_var,
        sigma_dh_m_yr: sigma,
        b_mwe_yr: mb.b_mwe_yr,
        sigma_b_mwe_yr: mb.sigma_b_mwe_yr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eq_4_7_and_4_8_by_hand() {
        // dh = −0.5 ± 0.1 m/yr: b = −0.425, σ_b² = 0.085² + 0.03²
        let mb = glacier_mass_balance(-0.5, 0.1, Density::default()).unwrap();
        assert!((mb.b_mwe_yr + 0.425).abs() < 1e-12);
        assert!((mb.sigma_b_mwe_yr - (0.085f64.powi(2) + 0.03f64.powi(2)).sqrt()).abs() < 1e-12);
        // 3/4 measured (σ 0.1), 1/4 void (σ 0.4): sqrt(0.075² + 0.1²) = 0.125
        let s = combine_measured_void(3.0, 0.1, 1.0, 0.4).unwrap();
        assert!((s - 0.125).abs() < 1e-12);
    }

    #[test]
    fn fully_correlated_equal_glaciers_do_not_average_out() {
        let g = Glacier {
            area_m2: 1e6,
            sigma_area_m2: 0.0,
            mean_dh_m_yr: -1.0,
            sigma_dh_m_yr: 0.2,
            centroid_m: [0.0, 0.0],
        };
        let gs = [
            g,
            Glacier {
                centroid_m: [10.0, 0.0],
                ..g
            },
        ];
        let m = VariogramModel::new(vec![crate::VariogramComponent::new(
            crate::ModelKind::Spherical,
            1e9,
            1.0,
        )])
        .unwrap();
        let r = regional_budget(
            &gs,
            &InterGlacierCovariance::CentroidVariogram(m),
            Density::default(),
        )
        .unwrap();
        assert!((r.sigma_dh_m_yr - 0.2).abs() < 1e-6);
        let r = regional_budget(
            &gs,
            &InterGlacierCovariance::Independent,
            Density::default(),
        )
        .unwrap();
        assert!((r.sigma_dh_m_yr - 0.2 / 2f64.sqrt()).abs() < 1e-12);
    }
}
