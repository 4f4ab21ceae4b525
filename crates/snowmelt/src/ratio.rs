//! Composite backscatter ratio R_c (thesis eqs. 3.1–3.3) and the masks that
//! exclude pixels from it.
//!
//! Per polarisation `R_i = 10·log10(γ⁰_i / γ⁰_i,ref)` dB (eq. 3.1), combined as
//! `R_c = W·R_VH + (1 − W)·R_VV` with a VH weight `W(θ)` of the local
//! incidence angle θ:
//!
//! * [`WeightScheme::Nagler`] (default; Nagler et al. 2016 and the Copernicus
//!   wet-snow production code): `W = 1` for θ < θ₁, `W = 0.5·(1 + (θ₂ − θ)/(θ₂ − θ₁))`
//!   for θ₁ ≤ θ ≤ θ₂, `W = 0.5` above θ₂ — continuous.
//! * [`WeightScheme::Printed`]: eq. 3.3 as printed in the thesis, a VV weight
//!   `W_VV = 0` below θ₁, `0.5·(1 + (θ − θ₁)/(θ₂ − θ₁))` between, `0.5` above,
//!   i.e. a VH weight `1 − W_VV` that jumps from 1 to 0.5 at θ₁ and from 0 to
//!   0.5 at θ₂.
//!
//! θ₁ = 20°, θ₂ = 45°.

use sar_core::Raster;

use crate::error::{ensure_grid, Result, SnowError};
use crate::reference::DualPol;

/// How the VH weight depends on the local incidence angle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightScheme {
    /// Continuous weight of Nagler et al. (2016).
    #[default]
    Nagler,
    /// Eq. 3.3 as printed in the thesis (discontinuous at θ₁ and θ₂).
    Printed,
}

/// Parameters of the composite ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct RatioParams {
    scheme: WeightScheme,
    theta1_deg: f64,
    theta2_deg: f64,
}

impl Default for RatioParams {
    fn default() -> Self {
        RatioParams {
            scheme: WeightScheme::Nagler,
            theta1_deg: 20.0,
            theta2_deg: 45.0,
        }
    }
}

impl RatioParams {
    /// Defaults: Nagler weights, θ₁ = 20°, θ₂ = 45° (sect. 3.3.1).
    pub fn new() -> Self {
        Self::default()
    }
    /// Weight scheme.
    pub fn scheme(mut self, s: WeightScheme) -> Self {
        self.scheme = s;
        self
    }
    /// The two angles θ₁ < θ₂ (degrees).
    pub fn thetas_deg(mut self, theta1: f64, theta2: f64) -> Self {
        self.theta1_deg = theta1;
        self.theta2_deg = theta2;
        self
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if !(self.theta1_deg.is_finite()
            && self.theta2_deg.is_finite()
            && self.theta1_deg < self.theta2_deg)
        {
            return Err(SnowError::InvalidParameter {
                name: "thetas_deg",
                reason: format!(
                    "need finite θ₁ < θ₂, got {} and {}",
                    self.theta1_deg, self.theta2_deg
                ),
            });
        }
        Ok(())
    }

    /// The VH weight `W(θ)` at local incidence angle `theta_deg` (NaN → NaN).
    pub fn vh_weight(&self, theta_deg: f64) -> f64 {
        let (t1, t2) = (self.theta1_deg, self.theta2_deg);
        if theta_deg.is_nan() {
            return f64::NAN;
        }
        match self.scheme {
            WeightScheme::Nagler => {
                if theta_deg < t1 {
                    1.0
                } else if theta_deg <= t2 {
                    0.5 * (1.0 + (t2 - theta_deg) / (t2 - t1))
                } else {
                    0.5
                }
            }
            WeightScheme::Printed => {
                let w_vv = if theta_deg < t1 {
                    0.0
                } else if theta_deg <= t2 {
                    0.5 * (1.0 + (theta_deg - t1) / (t2 - t1))
                } else {
                    0.5
                };
                1.0 - w_vv
            }
        }
    }
}

/// Rasters that exclude pixels from R_c: a pixel is masked where any given
/// mask is non-zero (and not its no-data value).
#[derive(Debug, Clone, Default)]
pub struct Masks {
    /// Layover/shadow (e.g. from [`geometry_mask_from_lia`]).
    pub geometry: Option<Raster<u8>>,
    /// Forest (non-zero = forest).
    pub forest: Option<Raster<u8>>,
    /// Water bodies (non-zero = water).
    pub water: Option<Raster<u8>>,
}

/// Geometry classes of [`geometry_mask_from_lia`].
pub mod geometry {
    /// Pixel seen normally.
    pub const VALID: u8 = 0;
    /// Layover.
    pub const LAYOVER: u8 = 1;
    /// Radar shadow.
    pub const SHADOW: u8 = 2;
    /// No local incidence angle (no-data).
    pub const NO_DATA: u8 = 255;
}

/// Layover/shadow classes from a **signed** local incidence angle θ_loc
/// (degrees, the angle between the radar look vector and the surface
/// normal, negative where the slope facing the sensor is steeper than the
/// incidence angle):
///
/// * shadow where θ_loc ≥ 90° (the surface faces away from the sensor
///   beyond grazing),
/// * layover where θ_loc < 0° (foreslope steeper than the ellipsoid incidence
///   angle: the top is imaged before the foot),
/// * [`geometry::NO_DATA`] where θ_loc is NaN.
///
/// An unsigned angle (`acos` of the dot product, in [0°, 180°]) cannot show
/// layover; those pixels then have small θ_loc and stay valid. Active
/// layover/shadow from ray tracing along range is not computed.
pub fn geometry_mask_from_lia(lia_deg: &Raster<f64>) -> Raster<u8> {
    lia_deg
        .map(|&t| {
            if t.is_nan() {
                geometry::NO_DATA
            } else if t >= 90.0 {
                geometry::SHADOW
            } else if t < 0.0 {
                geometry::LAYOVER
            } else {
                geometry::VALID
            }
        })
        .with_nodata(Some(255.0))
}

/// Layover/shadow classes from terrain: slope and aspect (degrees, aspect =
/// downslope azimuth clockwise from north), the ellipsoid incidence angle
/// `incidence_deg`, platform heading and look direction.
///
/// * shadow where the local incidence angle from
///   [`sar_core::terrain::local_incidence_angle`] is ≥ 90°;
/// * layover where the slope component facing the sensor in the range plane,
///   `α_r = atan(tan(slope) · cos(aspect − (look azimuth + 180°)))`, is
///   steeper than the incidence angle (α_r > θ);
/// * [`geometry::NO_DATA`] where slope is NaN.
///
/// Flat cells (aspect NaN, slope 0) are valid.
pub fn geometry_mask_from_terrain(
    slope_deg: &Raster<f64>,
    aspect_deg: &Raster<f64>,
    incidence_deg: f64,
    heading_deg: f64,
    look: sar_core::terrain::LookDirection,
) -> Result<Raster<u8>> {
    let lia = sar_core::terrain::local_incidence_angle(
        slope_deg,
        aspect_deg,
        &sar_core::terrain::Incidence::Constant(incidence_deg),
        heading_deg,
        look,
    )?;
    let towards_sensor = (look.look_azimuth_deg(heading_deg) + 180.0).to_radians();
    let theta = incidence_deg.to_radians();
    let data = ndarray::Zip::from(&slope_deg.data)
        .and(&aspect_deg.data)
        .and(&lia.data)
        .map_collect(|&s, &a, &t| {
            if s.is_nan() {
                return geometry::NO_DATA;
            }
            let alpha_r = if a.is_nan() {
                0.0
            } else {
                (s.to_radians().tan() * (a.to_radians() - towards_sensor).cos()).atan()
            };
            if alpha_r > theta {
                geometry::LAYOVER
            } else if t >= 90.0 {
                geometry::SHADOW
            } else if t.is_nan() {
                geometry::NO_DATA
            } else {
                geometry::VALID
            }
        });
    Ok(Raster::new(data, slope_deg.grid.clone())?.with_nodata(Some(255.0)))
}

/// Composite backscatter ratio R_c (dB) of a scene against its reference
/// (eqs. 3.1–3.3), both as linear γ⁰.
///
/// A pixel is NaN where any backscatter is not finite or ≤ 0, θ is NaN, the
/// geometry from θ is layover or shadow ([`geometry_mask_from_lia`]), or a
/// mask flags it.
///
/// Errors: [`SnowError::MissingPolarisation`] if a channel is absent,
/// [`SnowError::GridMismatch`] if the reference, θ or a mask lies on another grid.
pub fn composite_ratio(
    params: &RatioParams,
    scene: &DualPol,
    reference: &DualPol,
    lia_deg: &Raster<f64>,
    masks: &Masks,
) -> Result<Raster<f64>> {
    params.check()?;
    let (vv, vh) = scene.require()?;
    let (rvv, rvh) = reference.require()?;
    let grid = &vv.grid;
    ensure_grid("reference VV", rvv, grid)?;
    ensure_grid("reference VH", rvh, grid)?;
    ensure_grid("local incidence angle", lia_deg, grid)?;
    for (name, m) in [
        ("geometry mask", &masks.geometry),
        ("forest mask", &masks.forest),
        ("water mask", &masks.water),
    ] {
        if let Some(m) = m {
            ensure_grid(name, m, grid)?;
        }
    }
    // One pass over the five float layers, then the masks.
    let w_of = |t: f64| params.vh_weight(t);
    let pixel = |&a: &f64, &b: &f64, &ra: &f64, &rb: &f64, &t: &f64| -> f64 {
        // Written so that NaN fails every comparison.
        let ok = (0.0..90.0).contains(&t)
            && a > 0.0
            && b > 0.0
            && ra > 0.0
            && rb > 0.0
            && a < f64::INFINITY
            && b < f64::INFINITY
            && ra < f64::INFINITY
            && rb < f64::INFINITY;
        if ok {
            let w = w_of(t);
            w * 10.0 * (b / rb).log10() + (1.0 - w) * 10.0 * (a / ra).log10()
        } else {
            f64::NAN
        }
    };
    let zip = ndarray::Zip::from(&vv.data)
        .and(&vh.data)
        .and(&rvv.data)
        .and(&rvh.data)
        .and(&lia_deg.data);
    #[cfg(feature = "rayon")]
    let data = zip.par_map_collect(pixel);
    #[cfg(not(feature = "rayon"))]
    let data = zip.map_collect(pixel);
    let mut out = Raster::new(data, grid.clone())?;
    for m in [&masks.geometry, &masks.forest, &masks.water]
        .into_iter()
        .flatten()
    {
        let nd = m.nodata;
        ndarray::Zip::from(&mut out.data)
            .and(&m.data)
            .for_each(|o, &v| {
                if v != 0 && nd != Some(f64::from(v)) {
                    *o = f64::NAN;
                }
            });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// Weight table at 10, 20, 25, 32.5, 45 and 60°, worked out by hand
    /// from the two formulas (θ₁ = 20°, θ₂ = 45°).
    #[test]
    fn weight_table() {
        let angles = [10.0, 20.0, 25.0, 32.5, 45.0, 60.0];
        // Nagler: W_VH = 1; 0.5(1 + 25/25); 0.5(1 + 20/25); 0.5(1 + 12.5/25); 0.5(1 + 0); 0.5
        let nagler = [1.0, 1.0, 0.9, 0.75, 0.5, 0.5];
        // Printed eq. 3.3: W_VV = 0; 0.5; 0.6; 0.75; 1.0; 0.5 → W_VH = 1 − W_VV
        let printed = [1.0, 0.5, 0.4, 0.25, 0.0, 0.5];
        let pn = RatioParams::new();
        let pp = RatioParams::new().scheme(WeightScheme::Printed);
        for i in 0..6 {
            assert_relative_eq!(pn.vh_weight(angles[i]), nagler[i], epsilon = 1e-12);
            assert_relative_eq!(pp.vh_weight(angles[i]), printed[i], epsilon = 1e-12);
        }
        // Continuity of the default scheme at θ₁ and θ₂.
        assert_relative_eq!(
            pn.vh_weight(20.0 - 1e-9),
            pn.vh_weight(20.0),
            epsilon = 1e-9
        );
        assert_relative_eq!(
            pn.vh_weight(45.0 + 1e-9),
            pn.vh_weight(45.0),
            epsilon = 1e-9
        );
    }
}
