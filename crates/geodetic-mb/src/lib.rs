//! # geodetic-mb
//!
//! Geodetic glacier mass balance from DEMs and glacier outlines, with the
//! non-stationary, spatially correlated uncertainty of thesis sect.
//! 4.3.2–4.3.3 (S. Li 2025; method of Hugonnet et al. 2022), built on
//! [`uncertainty`] and [`gp_voidfill`].
//!
//! ## The chain
//!
//! 1. **Epoch mosaics** ([`mosaic::mosaic`], sect. 4.3.2.1): the DEMs of an
//!    epoch resampled onto the reference grid and mean-merged, with a mean
//!    acquisition date and a count per pixel.
//! 2. **Co-registration** ([`coreg`]): Nuth & Kääb (2011) iterated,
//!    vertical shift, polynomial deramp (order ≤ 2; seed 001's bilinear
//!    ramp) as composable steps over stable terrain, each returning its
//!    parameters; stable-terrain median and NMAD before/after (Table 4.1).
//!    Sign convention: source(x, y) ≈ reference(x − dx, y − dy) + dz (see
//!    the module docs).
//! 3. **dh/dt** ([`dhdt::dhdt`]) with the per-pixel interval from the date
//!    rasters, and **outlier removal** per 100 m band at ±3 NMAD with slopes
//!    steeper than 40° left out of the band statistics
//!    ([`dhdt::OutlierFilter`]); on glaciers each glacier gets its own
//!    bands ([`dhdt::OutlierFilter::apply_per_label`]).
//! 4. **Error model** ([`errmodel::ErrorModel`], sect. 4.3.3.2): stable
//!    bias and NMAD, σ(slope) = a·e^{bα} + c (eq. 4.17), standardisation
//!    (eq. 4.9), Dowd variogram (eq. 4.10), Gaussian + Spherical fit.
//! 5. **Per glacier** ([`glacier::process_glaciers`]): area ≥ 1 km² and
//!    coverage ≥ 30 %, void filling by GP (eq. 4.13) or hypsometric
//!    baselines, means of the measured/filled parts and the whole, σ by
//!    eqs. 4.11 and 4.8, b = ρ·dh/dt with ρ = 850 ± 60 kg m⁻³ (eqs. 4.5,
//!    4.7), the along-glacier pattern ([`surge`]).
//! 6. **Regional** ([`regional`]): area-weighted mean and σ (eqs. 4.6,
//!    4.14–4.16, appendix 4.18–4.22) with the inter-glacier covariance from
//!    the variogram at the centroid distance; groupings by surge class and
//!    by elevation band (Fig. 4.5).
//! 7. **Corrections** of seed 001 ([`corrections`]): penetration per 50 m
//!    band, seasonal by month, NDSI ≥ 0.4 clean ice.
//!
//! All rasters are [`sar_core::Raster`]s on one projected grid (metres);
//! dh/dt in m/yr, mass balance in m w.e./yr.
//!
//! ## Example
//!
//! ```
//! use geodetic_mb::coreg::{stable_mask, Coregistration, FittedStep};
//! use geodetic_mb::dhdt::dhdt;
//! use geodetic_mb::errmodel::{ErrorModel, ErrorModelParams};
//! use geodetic_mb::glacier::{process_glaciers, FillMethod, GlacierInputs, GlacierParams};
//! use geodetic_mb::hypsometric::BandStatistic;
//! use geodetic_mb::synthetic::{region, RegionParams};
//! use sar_core::{terrain, Raster};
//!
//! // A synthetic region: 4 glaciers, a later DEM shifted by (12, -7, 3) m.
//! let reg = region(&RegionParams { rows: 128, cols: 128, layout: (2, 2), ..Default::default() })?;
//! let sa = terrain::slope_aspect(&reg.reference, terrain::GradientMethod::Horn)?;
//! let on_glacier = reg.labels.data.mapv(|l| l != 0);
//! let stable = stable_mask(on_glacier.view(), None, sa.slope.view(), 0.0, 90.0)?;
//!
//! // Co-register the later DEM to the reference over stable terrain.
//! let co = Coregistration::default().run(&reg.reference, &reg.later, Some(stable.view()))?;
//! let FittedStep::NuthKaab(nk) = co.steps[0] else { unreachable!() };
//! assert!((nk.dx_m - 12.0).abs() < 3.0 && (nk.dy_m + 7.0).abs() < 3.0); // within 0.1 px
//! assert!(co.after.nmad_m < co.before.nmad_m);
//!
//! // dh/dt with per-pixel dates, the error model, and the glaciers.
//! let day = |d: sar_core::Date| Raster::filled(reg.reference.grid.clone(), d.days_since_epoch() as f64);
//! let rate = dhdt(&co.corrected, &day(reg.date_later), &reg.reference, &day(reg.date_earlier))?;
//! let model = ErrorModel::fit(&rate.dhdt, &sa.slope, stable.view(), &ErrorModelParams::default())?;
//! let inputs = GlacierInputs {
//!     dhdt: &rate.dhdt, dem: &reg.reference, slope_deg: &sa.slope, aspect_deg: &sa.aspect,
//!     labels: &reg.labels, glaciers: &reg.glaciers, error_model: &model,
//! };
//! let fill = FillMethod::LocalHypsometric { band_m: 50.0, statistic: BandStatistic::Median };
//! let out = process_glaciers(&inputs, &GlacierParams::default().fill(fill).min_area_km2(0.2))?;
//! for (g, truth) in out.glaciers.iter().zip(&reg.truth_mean) {
//!     assert!((g.mean_dhdt_m_yr - truth).abs() < 4.0 * g.sigma_dhdt_m_yr);
//! }
//! # Ok::<(), geodetic_mb::MbError>(())
//! ```
//!
//! ## References
//! * Nuth, C., Kääb, A. (2011). Co-registration and bias corrections of
//!   satellite elevation data sets for quantifying glacier thickness change.
//!   The Cryosphere 5, 271–290.
//! * Hugonnet, R. et al. (2022). Uncertainty analysis of digital elevation
//!   models by spatial inference from stable terrain. IEEE JSTARS 15,
//!   6456–6472.
//! * McNabb, R., Nuth, C., Kääb, A., Girod, L. (2019). Sensitivity of glacier
//!   volume change estimation to DEM void interpolation. The Cryosphere 13,
//!   895–910.
//! * Huss, M. (2013). Density assumptions for converting geodetic glacier
//!   volume change to mass change. The Cryosphere 7, 877–887.
//! * Paul, F. et al. (2013). On the accuracy of glacier outlines derived from
//!   remote-sensing data. Ann. Glaciol. 54(63), 171–182.
//! * Lin, H., Li, G., Cuo, L., Hooper, A., Ye, Q. (2017). A decreasing glacier
//!   mass balance gradient from the edge of the Upper Tarim Basin to the
//!   Karakoram during 2000–2014. Sci. Rep. 7, 6712 (seed 001).
//! * Li, S. (2025). *Advancing Applications of Synthetic Aperture Radar for
//!   Cryosphere Studies in Alpine Regions*. Doctoral thesis, ETH Zurich.
#![doc(test(attr(deny(warnings))))]

pub mod coreg;
pub mod corrections;
pub mod dhdt;
pub mod errmodel;
pub mod error;
pub mod glacier;
#[cfg(feature = "gpkg")]
pub mod gpkg;
pub mod hypsometric;
pub mod mosaic;
pub mod regional;
pub mod surge;
pub mod synthetic;

pub use coreg::{
    shift_bilinear, stable_dh_statistics, stable_mask, CoregResult, CoregStep, Coregistration,
    DerampFit, DhStatistics, FittedStep, NuthKaab, NuthKaabFit,
};
pub use dhdt::{dhdt, DhdtMap, OutlierFilter};
pub use errmodel::{ErrorModel, ErrorModelParams, HeteroscedasticityKind};
pub use error::{MbError, Result};
pub use glacier::{
    process_glaciers, process_glaciers_with_progress, FillMethod, GlacierInfo, GlacierInputs,
    GlacierParams, GlacierProducts, GlacierResult, GlacierStatus,
};
pub use hypsometric::{BandStatistic, HypsometricCurve};
pub use mosaic::{mosaic, DatedDem, EpochMosaic};
pub use regional::{
    elevation_bands, regional_report, ElevationBand, RegionalReport, RegionalSummary,
};
pub use surge::{classify_pattern, ChangePattern, PatternParams, SurgeClass};
