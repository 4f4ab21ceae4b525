//! Regional mass balance (thesis sect. 4.3.3.4, eqs. 4.6, 4.14–4.16,
//! appendix 4.18–4.22) and the groupings of sect. 4.4 (surge class, 100 m
//! elevation bands as in Fig. 4.5).
//!
//! The regional mean is the area-weighted mean of the glacier-wide dh/dt of
//! the glaciers with [`GlacierStatus::Ok`]; its variance adds the area
//! term Σ(dhᵢ − dh_Σ)²σ²_Aᵢ and the covariance term ΣᵢΣⱼ AᵢAⱼ Cov(dhᵢ, dhⱼ)
//! with Cov = σᵢσⱼ·ρ(dᵢⱼ), ρ the correlation of the fitted variogram at the
//! distance between the glaciers' centroids (eq. 4.21–4.22), through
//! [`uncertainty::regional_budget`].

use ndarray::ArrayView2;
use sar_core::{stats, Raster};
use serde::Serialize;
use uncertainty::{regional_budget, Density, Glacier, InterGlacierCovariance, VariogramModel};

use crate::error::{MbError, Result};
use crate::glacier::{GlacierResult, GlacierStatus};

/// A regional (or group) budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RegionalSummary {
    /// Glaciers included.
    pub n_glaciers: usize,
    /// Total area (km²).
    pub area_km2: f64,
    /// Area-weighted mean dh/dt (m/yr), eq. 4.18.
    pub mean_dhdt_m_yr: f64,
    /// Its σ (m/yr), eq. 4.15.
    pub sigma_dhdt_m_yr: f64,
    /// Regional specific mass balance (m w.e./yr), eq. 4.6.
    pub b_mwe_yr: f64,
    /// Its σ (m w.e./yr), eq. 4.14.
    pub sigma_b_mwe_yr: f64,
    /// Median of the glacier-wide dh/dt (m/yr).
    pub median_dhdt_m_yr: f64,
    /// NMAD of the glacier-wide dh/dt (m/yr).
    pub nmad_dhdt_m_yr: f64,
    /// Standard deviation of the glacier-wide dh/dt (m/yr).
    pub std_dhdt_m_yr: f64,
}

/// The regional summary and its groupings by surge class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionalReport {
    /// All processed glaciers.
    pub all: RegionalSummary,
    /// Surge-type glaciers (RGI possible, probable, observed), if any.
    pub surge_type: Option<RegionalSummary>,
    /// Glaciers with no evidence of surging, if any.
    pub non_surge: Option<RegionalSummary>,
    /// Glaciers left out, by status code.
    pub excluded: Vec<(String, usize)>,
}

/// Budget over `glaciers` that pass `keep` (status Ok only).
///
/// # Errors
/// [`MbError::EmptyInput`] if none passes; the `uncertainty` errors.
pub fn regional_summary(
    glaciers: &[GlacierResult],
    variogram: &VariogramModel,
    density: Density,
    keep: impl Fn(&GlacierResult) -> bool,
) -> Result<RegionalSummary> {
    let sel: Vec<&GlacierResult> = glaciers
        .iter()
        .filter(|g| g.status == GlacierStatus::Ok && keep(g))
        .collect();
    if sel.is_empty() {
        return Err(MbError::EmptyInput(
            "no processed glacier (status ok) for the regional budget".into(),
        ));
    }
    let gl: Vec<Glacier> = sel
        .iter()
        .map(|g| Glacier {
            area_m2: g.area_m2,
            sigma_area_m2: g.sigma_area_m2,
            mean_dh_m_yr: g.mean_dhdt_m_yr,
            sigma_dh_m_yr: g.sigma_dhdt_m_yr,
            centroid_m: g.centroid,
        })
        .collect();
    let b = regional_budget(
        &gl,
        &InterGlacierCovariance::CentroidVariogram(variogram.clone()),
        density,
    )?;
    let s = stats::Summary::of(sel.iter().map(|g| g.mean_dhdt_m_yr));
    Ok(RegionalSummary {
        n_glaciers: sel.len(),
        area_km2: b.total_area_m2 / 1e6,
        mean_dhdt_m_yr: b.mean_dh_m_yr,
        sigma_dhdt_m_yr: b.sigma_dh_m_yr,
        b_mwe_yr: b.b_mwe_yr,
        sigma_b_mwe_yr: b.sigma_b_mwe_yr,
        median_dhdt_m_yr: s.map_or(f64::NAN, |s| s.median),
        nmad_dhdt_m_yr: s.map_or(f64::NAN, |s| s.nmad),
        std_dhdt_m_yr: s.map_or(f64::NAN, |s| s.std),
    })
}

/// The regional report: all glaciers, surge-type and non-surge groups, and
/// the count of excluded glaciers per status.
///
/// # Errors
/// As [`regional_summary`] for the whole region.
pub fn regional_report(
    glaciers: &[GlacierResult],
    variogram: &VariogramModel,
    density: Density,
) -> Result<RegionalReport> {
    let all = regional_summary(glaciers, variogram, density, |_| true)?;
    let surge_type = regional_summary(glaciers, variogram, density, |g| {
        g.info.surge.is_surge_type()
    })
    .ok();
    let non_surge = regional_summary(glaciers, variogram, density, |g| {
        g.info.surge == crate::surge::SurgeClass::NoEvidence
    })
    .ok();
    let mut excluded: std::collections::BTreeMap<String, usize> = Default::default();
    for g in glaciers {
        if g.status != GlacierStatus::Ok {
            *excluded.entry(g.status.code().to_string()).or_default() += 1;
        }
    }
    Ok(RegionalReport {
        all,
        surge_type,
        non_surge,
        excluded: excluded.into_iter().collect(),
    })
}

/// dh/dt statistics of one elevation band (thesis Fig. 4.5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ElevationBand {
    /// Lower edge (m).
    pub lower_m: f64,
    /// Pixels.
    pub count: usize,
    /// Median dh/dt (m/yr).
    pub median: f64,
    /// NMAD (m/yr).
    pub nmad: f64,
    /// Mean (m/yr).
    pub mean: f64,
}

/// Median, NMAD and mean of `dhdt` per `band_m` band of `elevation` over the
/// pixels where `mask` is true.
///
/// # Errors
/// Grid/shape mismatch, invalid band width.
pub fn elevation_bands(
    dhdt: &Raster<f64>,
    elevation: &Raster<f64>,
    mask: ArrayView2<'_, bool>,
    band_m: f64,
) -> Result<Vec<ElevationBand>> {
    dhdt.ensure_same_grid(elevation)?;
    if mask.dim() != dhdt.shape() {
        return Err(sar_core::SarError::ShapeMismatch {
            what: "band mask".into(),
            expected: dhdt.shape(),
            found: mask.dim(),
        }
        .into());
    }
    if !(band_m > 0.0 && band_m.is_finite()) {
        return Err(MbError::param("band_m", "must be finite and > 0"));
    }
    let mut g: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
    for ((v, h), m) in dhdt.data.iter().zip(elevation.data.iter()).zip(mask.iter()) {
        if *m && v.is_finite() && h.is_finite() {
            g.entry((h / band_m).floor() as i64).or_default().push(*v);
        }
    }
    Ok(g.into_iter()
        .filter_map(|(b, v)| {
            stats::Summary::of(v).map(|s| ElevationBand {
                lower_m: b as f64 * band_m,
                count: s.count,
                median: s.median,
                nmad: s.nmad,
                mean: s.mean,
            })
        })
        .collect())
}
