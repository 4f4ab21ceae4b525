//! # insar-dem
//!
//! DEMs from single-pass bistatic TanDEM-X interferometry with iterative
//! refinement of a reference DEM (thesis sect. 4.3.1).
//!
//! * [`geometry`] — WGS84, orbits from state vectors (cubic Hermite),
//!   the radar grid, zero-Doppler `geo2rdr`/`rdr2geo`, per-pixel
//!   perpendicular baseline, incidence angle and the height sensitivity
//!   `∂φ/∂h` computed numerically from the forward model, for bistatic
//!   (`p = 1`) and monostatic (`p = 2`) pairs (thesis eqs. 1.4–1.8).
//! * [`cosar`] — COSAR images, version 1 (int16 I/Q) and 2 (half-float
//!   I/Q), read and written byte-exactly.
//! * [`annotation`] — the TerraSAR-X/TanDEM-X level-1b annotation XML and
//!   the CoSSC product directory, with detection of the active satellite.
//! * [`processing`] — look-up table with layover/shadow masks, simulated
//!   interferogram, residual phase (eq. 4.1), geocoding, masks, gap filling,
//!   minimum-cost-flow unwrapping (`phase-unwrap`), quadratic trend removal,
//!   extreme-height mask, and the iterative update `H₁ … H₃` (sect. 4.3.1).
//! * [`generic`] — two co-registered complex images (GeoTIFF or raw
//!   binary) plus a JSON geometry description, for SLCs from ISCE, GAMMA
//!   or SNAP.
//! * [`synthetic`] — seeded synthetic bistatic pairs with a known answer.
//!
//! ## The phase model
//!
//! In a bistatic pair one satellite transmits and both receive, so the two
//! echoes share the transmit leg and the interferometric phase is
//! `φ = −(2π/λ)·(R_a − R_p)`, half the monostatic `−(4π/λ)·ΔR` of thesis
//! eq. 1.6. This crate writes it `φ = −(2π·p/λ)·(R_a − R_p)` with `p`
//! carried explicitly by [`geometry::AcquisitionMode`]; the height of
//! ambiguity is then `h_a = λ·R·sin θ/(p·B⊥)` (eq. 1.8 with `2 → p`). The
//! pipeline never uses that closed form: it computes `∂φ/∂h` per pixel from
//! the forward model ([`geometry::PairGeometry::dphi_dh`]).
//!
//! ## Example
//!
//! ```
//! use insar_dem::geometry::*;
//!
//! // A TanDEM-X-like pair: same orbit, the passive one with a shifted node.
//! let orbit = |raan: f64| CircularOrbit {
//!     radius: WGS84_A + 514e3, inclination_deg: 97.44, raan_deg: raan, arg_lat0_deg: 40.0,
//! };
//! let active = orbit(0.0).sample(-20.0, 40.0, 10.0)?;
//! let passive = orbit(0.002).sample(-20.0, 40.0, 10.0)?;
//! let grid = RadarGrid {
//!     sensing_start: 0.0, line_time: 1e-3, near_range: 600e3, range_spacing: 2.0,
//!     wavelength: 0.031, look_side: LookSide::Right, lines: 100, samples: 100,
//! };
//! let pair = PairGeometry::new(active, passive, grid, AcquisitionMode::Bistatic)?;
//! let x = pair.rdr2geo_height(50.0, 50.0, 1000.0)?;
//! let back = pair.geo2rdr(x)?;
//! assert!((back.row - 50.0).abs() < 1e-6 && (back.col - 50.0).abs() < 1e-6);
//! let ha = pair.height_of_ambiguity(50.0, 50.0, 1000.0)?;
//! let closed = pair.height_of_ambiguity_closed_form(x)?;
//! assert!((ha / closed - 1.0).abs() < 1e-3);
//! # Ok::<(), insar_dem::DemError>(())
//! ```
//!
//! ## References
//!
//! * Li, S. (2025). *Advancing Applications of Synthetic Aperture Radar for
//!   Cryosphere Studies in Alpine Regions*. Doctoral thesis, ETH Zurich
//!   (sect. 1.2, eqs. 1.4–1.9; sect. 4.3.1, eqs. 4.1–4.2).
//! * Krieger, G. et al. (2007). TanDEM-X: a satellite formation for
//!   high-resolution SAR interferometry. *IEEE TGRS* 45(11), 3317–3341.
//! * DLR (2013). TerraSAR-X ground segment level 1b product format
//!   specification, TX-GS-DD-3307 (COSAR layout).
#![doc(test(attr(deny(warnings))))]

pub mod annotation;
pub mod cosar;
pub mod error;
pub mod generic;
pub mod geometry;
pub mod processing;
pub mod synthetic;

pub use error::{DemError, Result};
