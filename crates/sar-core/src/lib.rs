//! # sar-core
//!
//! The shared ground of the cryosar workspace: every other crate passes these
//! types to the others.
//!
//! * [`grid`] — affine geotransforms (GDAL's six numbers), CRS, shapes,
//!   pixel ↔ map conversion and metric pixel sizes, also on geographic grids.
//! * [`raster`] — [`Raster<T>`]: an `ndarray::Array2` on a [`Grid`] with
//!   no-data (NaN in float rasters), cropping and NaN-aware resampling.
//! * [`stats`] — NaN-aware statistics (count, mean, std, median,
//!   percentiles, NMAD) that the other crates reuse.
//! * [`geotiff`] — pure-Rust GeoTIFF reading and writing.
//! * [`sar`] — SAR image types: SLC, intensity, dB, multilooking,
//!   interferogram (thesis eq. 1.4), coherence (eq. 1.9), phase wrapping.
//! * [`date`] — calendar dates of acquisitions ([`Date`]).
//! * [`terrain`] — slope, aspect (Horn 1981, Zevenbergen–Thorne 1987) and the
//!   local incidence angle.
//! * [`vector`] — glacier outlines (polygons + attributes, RGI 6/7 names)
//!   from Shapefile, GeoPackage and GeoJSON; [`wkb`] decodes GeoPackage
//!   geometry blobs.
//! * [`rasterize`] — outlines → label rasters (pixel-centre / all-touched),
//!   pixel areas on projected and geographic grids, geodesic areas.
//! * [`proj`] — CRS → projection (EPSG table, PROJ.4, WKT) and coordinate
//!   transformation with the pure-Rust `proj4rs`.
//! * [`reproject`] — warping rasters onto a grid in another CRS (nearest,
//!   bilinear, cubic; NaN-aware), checked against gdalwarp.
//! * [`points`] — point heights from CSV/GeoJSON/shapefile, DEM sampling
//!   and DEM − points statistics (mean, median, NMAD).
//!
//! ## Example
//!
//! ```
//! use sar_core::{Crs, Grid, Raster};
//! use ndarray::Array2;
//!
//! // A 30 m UTM grid and a raster with one no-data pixel.
//! let grid = Grid::north_up(3, 4, 500_000.0, 4_000_000.0, 30.0, 30.0, Crs::epsg(32643));
//! let mut data = Array2::from_elem((3, 4), 2.0_f64);
//! data[[1, 1]] = f64::NAN;
//! let dem = Raster::new(data, grid)?;
//! let s = dem.summary()?;
//! assert_eq!(s.count, 11);
//! assert_eq!(s.median, 2.0);
//! assert_eq!(dem.grid.pixel_center(0, 0), (500_015.0, 3_999_985.0));
//! # Ok::<(), sar_core::SarError>(())
//! ```
//!
//! ## References
//!
//! * Horn, B. K. P. (1981). Hill shading and the reflectance map. *Proc. IEEE* 69(1), 14–47.
//! * Zevenbergen, L. W., Thorne, C. R. (1987). Quantitative analysis of land surface topography.
//!   *Earth Surface Processes and Landforms* 12(1), 47–56.
//! * Höhle, J., Höhle, M. (2009). Accuracy assessment of digital elevation models by means of
//!   robust statistical methods. *ISPRS J. Photogramm. Remote Sens.* 64(4), 398–406 (NMAD).
//! * Adobe (1992). TIFF revision 6.0; OGC (2019). GeoTIFF standard 1.1 (19-008r4).
//! * Li, S. (2025). *Advancing Applications of Synthetic Aperture Radar for Cryosphere Studies in
//!   Alpine Regions*. Doctoral thesis, ETH Zurich (eqs. 1.4, 1.9).
#![doc(test(attr(deny(warnings))))]

pub mod date;
pub mod error;
pub mod geotiff;
pub mod grid;
pub mod linalg;
pub mod points;
pub mod proj;
pub mod raster;
pub mod rasterize;
pub mod reproject;
pub mod sar;
pub mod stats;
pub mod terrain;
pub mod vector;
pub mod wkb;

pub use date::Date;
pub use error::{Result, SarError};
pub use grid::{Crs, GeoTransform, Grid};
pub use raster::{Raster, Resampling};
