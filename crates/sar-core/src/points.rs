//! Point heights (altimetry shots, GNSS, survey points) and DEM-minus-points
//! statistics, for checking DEMs against ICESat/ICESat-2 as thesis
//! sect. 4.4.4 does.
//!
//! [`read_points`] reads x/y/z points from
//!
//! * CSV or whitespace-separated text (`.csv`, `.txt`, `.xyz`, `.tsv`): with
//!   a header the columns are found by name (x: `x`, `lon`, `longitude`,
//!   `e`, `easting`; y: `y`, `lat`, `latitude`, `n`, `northing`; z: `z`,
//!   `h`, `height`, `elevation`, or [`PointOptions::z_column`]); without a
//!   header the first three columns are x, y, z (a `z_column` may then be a
//!   0-based column number). The CRS must be given
//!   ([`PointOptions::crs`]);
//! * GeoJSON points (z from the third coordinate or a property);
//! * shapefile points (z from PointZ or a `.dbf` field; CRS from `.prj`
//!   or [`PointOptions::crs`]);
//! * GeoPackage points (feature `gpkg`).
//!
//! [`compare_points`] samples a DEM at the points with NaN-aware bilinear
//! interpolation (points are transformed into the DEM's CRS first) and
//! returns the statistics of `DEM − point`: count, mean, median, standard
//! deviation and NMAD = 1.4826 · median(|d − median d|) (Höhle & Höhle
//! 2009), the robust spread used in thesis Table 4.1.
//!
//! ```
//! use sar_core::points::{compare_points, Points};
//! use sar_core::{Crs, Grid, Raster};
//! use ndarray::Array2;
//!
//! let g = Grid::north_up(10, 10, 0.0, 100.0, 10.0, 10.0, Crs::epsg(32640));
//! let dem = Raster::new(Array2::from_shape_fn((10, 10), |(r, c)| (r + c) as f64), g)?;
//! // Points 0.5 m below the (bilinear, pixel-centre) DEM surface: 2.0, 9.9, 11.6.
//! let pts = Points::new(vec![15.0, 42.0, 77.0], vec![85.0, 33.0, 51.0], vec![1.5, 9.4, 11.1], Crs::epsg(32640))?;
//! let s = compare_points(&dem, &pts)?;
//! assert_eq!(s.count, 3);
//! assert!((s.median - 0.5).abs() < 1e-9);
//! # Ok::<(), sar_core::SarError>(())
//! ```

use std::path::Path;

use crate::error::{Result, SarError};
use crate::grid::Crs;
use crate::proj::Transformer;
use crate::raster::Raster;
use crate::reproject::sample_bilinear;
use crate::stats;
use crate::vector::{read_vector, vector_error};

/// Points with heights in one CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    /// x (easting, or longitude in degrees).
    pub x: Vec<f64>,
    /// y (northing, or latitude in degrees).
    pub y: Vec<f64>,
    /// Height of each point (metres).
    pub z: Vec<f64>,
    /// The CRS of x and y.
    pub crs: Crs,
}

impl Points {
    /// Points from coordinate vectors of equal length.
    ///
    /// # Errors
    /// [`SarError::ShapeMismatch`] if the lengths differ.
    pub fn new(x: Vec<f64>, y: Vec<f64>, z: Vec<f64>, crs: Crs) -> Result<Self> {
        if x.len() != y.len() || x.len() != z.len() {
            return Err(SarError::ShapeMismatch {
                what: "point coordinates (x, y, z)".into(),
                expected: (x.len(), 1),
                found: (y.len(), z.len()),
            });
        }
        Ok(Points { x, y, z, crs })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True if there are no points.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }
}

/// Options of [`read_points`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointOptions {
    /// The z column (CSV header name, 0-based column number for a file
    /// without header, or attribute name of a vector file). Default: found
    /// by name (CSV), the geometry's Z, else an attribute named like a
    /// height (`z`, `h`, `height`, `elevation`).
    pub z_column: Option<String>,
    /// The CRS of the coordinates; required for CSV, overrides a vector
    /// file's own CRS only where the file has none (a shapefile without
    /// `.prj`).
    pub crs: Option<Crs>,
}

const X_NAMES: [&str; 6] = ["x", "lon", "longitude", "e", "easting", "east"];
const Y_NAMES: [&str; 6] = ["y", "lat", "latitude", "n", "northing", "north"];
const Z_NAMES: [&str; 6] = ["z", "h", "height", "elevation", "elev", "alt"];

/// Read points from a CSV/text, GeoJSON, shapefile or GeoPackage file.
///
/// # Errors
/// [`SarError::Vector`] naming the file if it cannot be parsed, has no
/// points, no z column, or no CRS where one is needed.
pub fn read_points(path: impl AsRef<Path>, opts: &PointOptions) -> Result<Points> {
    let path = path.as_ref();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let pts = match ext.as_str() {
        "csv" | "txt" | "xyz" | "tsv" | "dat" => read_text_points(path, opts)?,
        _ => read_vector_points(path, opts)?,
    };
    if pts.is_empty() {
        return Err(vector_error(path, "no points"));
    }
    Ok(pts)
}

fn read_text_points(path: &Path, opts: &PointOptions) -> Result<Points> {
    let crs = opts.crs.clone().ok_or_else(|| {
        vector_error(
            path,
            "a text point file has no CRS: give it (e.g. --crs EPSG:32640)",
        )
    })?;
    let text = std::fs::read_to_string(path).map_err(|e| vector_error(path, e.to_string()))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((_, first)) = lines.next() else {
        return Err(vector_error(path, "empty file"));
    };
    let delim: Option<char> = [',', ';', '\t'].into_iter().find(|&d| first.contains(d));
    let split = |l: &str| -> Vec<String> {
        match delim {
            Some(d) => l
                .split(d)
                .map(|s| s.trim().trim_matches('"').to_string())
                .collect(),
            None => l.split_whitespace().map(str::to_string).collect(),
        }
    };
    let head = split(first);
    let has_header = head.iter().any(|h| h.parse::<f64>().is_err());
    let find = |names: &[&str], what: &str| -> Result<usize> {
        head.iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
            .ok_or_else(|| {
                vector_error(
                    path,
                    format!("no {what} column among {head:?} (accepted names: {names:?})"),
                )
            })
    };
    let (ix, iy, iz) = if has_header {
        let iz = match &opts.z_column {
            Some(z) => head
                .iter()
                .position(|h| h == z || h.eq_ignore_ascii_case(z))
                .ok_or_else(|| vector_error(path, format!("z column `{z}` not among {head:?}")))?,
            None => find(&Z_NAMES, "z")?,
        };
        (find(&X_NAMES, "x")?, find(&Y_NAMES, "y")?, iz)
    } else {
        let iz = match &opts.z_column {
            Some(z) => z.parse::<usize>().map_err(|_| {
                vector_error(path, format!("the file has no header, so the z column must be a 0-based number, not `{z}`"))
            })?,
            None => 2,
        };
        (0, 1, iz)
    };
    let need = ix.max(iy).max(iz) + 1;
    let (mut x, mut y, mut z) = (Vec::new(), Vec::new(), Vec::new());
    let body: Box<dyn Iterator<Item = (usize, &str)>> = if has_header {
        Box::new(lines)
    } else {
        Box::new(std::iter::once((0, first)).chain(lines))
    };
    for (ln, line) in body {
        let f = split(line);
        if f.len() < need {
            return Err(vector_error(
                path,
                format!(
                    "line {}: {} fields, at least {need} expected",
                    ln + 1,
                    f.len()
                ),
            ));
        }
        let num = |i: usize| -> Result<f64> {
            let s = f[i].trim();
            if s.is_empty() || s.eq_ignore_ascii_case("nan") {
                return Ok(f64::NAN);
            }
            s.parse::<f64>()
                .map_err(|_| vector_error(path, format!("line {}: `{s}` is not a number", ln + 1)))
        };
        x.push(num(ix)?);
        y.push(num(iy)?);
        z.push(num(iz)?);
    }
    Points::new(x, y, z, crs)
}

fn read_vector_points(path: &Path, opts: &PointOptions) -> Result<Points> {
    let raw = read_vector(path, None)?;
    let crs = if raw.crs.is_unknown() {
        opts.crs.clone().ok_or_else(|| {
            vector_error(
                path,
                "the file declares no CRS (no .prj?): give it (e.g. --crs EPSG:32640)",
            )
        })?
    } else {
        raw.crs.clone()
    };
    let (mut x, mut y, mut z) = (Vec::new(), Vec::new(), Vec::new());
    let mut skipped = 0usize;
    for ((geom, attrs), gz) in raw.records.iter().zip(raw.z.iter()) {
        let Some(geo::Geometry::Point(p)) = geom else {
            skipped += 1;
            continue;
        };
        let zval = match &opts.z_column {
            Some(name) => {
                let v = attrs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
                    .ok_or_else(|| {
                        let keys: Vec<&String> = attrs.keys().collect();
                        vector_error(path, format!("no attribute `{name}`; attributes: {keys:?}"))
                    })?;
                v.as_f64().unwrap_or(f64::NAN)
            }
            None => match gz {
                Some(v) => *v,
                None => attrs
                    .iter()
                    .find(|(k, _)| Z_NAMES.iter().any(|n| k.eq_ignore_ascii_case(n)))
                    .and_then(|(_, v)| v.as_f64())
                    .ok_or_else(|| {
                        let keys: Vec<&String> = attrs.keys().collect();
                        vector_error(
                            path,
                            format!("points have no Z and no height attribute; choose one of {keys:?} with --z-column"),
                        )
                    })?,
            },
        };
        x.push(p.x());
        y.push(p.y());
        z.push(zval);
    }
    if x.is_empty() {
        return Err(vector_error(
            path,
            format!("no point geometry ({skipped} record(s) of other types)"),
        ));
    }
    Points::new(x, y, z, crs)
}

/// The DEM value at each point (NaN-aware bilinear; NaN outside the DEM or
/// where all four neighbours are no-data). Points are transformed into the
/// DEM's CRS first.
///
/// # Errors
/// [`SarError::Projection`] if the CRSs cannot be used.
pub fn sample_at_points(dem: &Raster<f64>, points: &Points) -> Result<Vec<f64>> {
    let t = Transformer::new(&points.crs, &dem.grid.crs)?;
    dem.grid.map_to_pixel(0.0, 0.0)?;
    let view = dem.data.view();
    Ok(points
        .x
        .iter()
        .zip(&points.y)
        .map(|(&x, &y)| {
            t.try_transform(x, y)
                .and_then(|(u, v)| dem.grid.map_to_pixel(u, v).ok())
                .map_or(f64::NAN, |(c, r)| sample_bilinear(&view, c, r))
        })
        .collect())
}

/// Statistics of `DEM − point` heights.
#[derive(Debug, Clone, PartialEq)]
pub struct PointComparison {
    /// Points read.
    pub n_points: usize,
    /// Points with a finite DEM value and finite height (used below).
    pub count: usize,
    /// Points outside the DEM or on no-data.
    pub n_outside_or_nodata: usize,
    /// Mean of DEM − point (m).
    pub mean: f64,
    /// Median of DEM − point (m).
    pub median: f64,
    /// Standard deviation (ddof = 1) of DEM − point (m); NaN for one point.
    pub std: f64,
    /// NMAD = 1.4826 · median(|d − median d|) (m).
    pub nmad: f64,
    /// Smallest difference (m).
    pub min: f64,
    /// Largest difference (m).
    pub max: f64,
    /// Root mean square of the differences (m).
    pub rmse: f64,
}

/// Sample `dem` at `points` and summarise DEM − point.
///
/// # Errors
/// [`SarError::Projection`] for unusable CRSs; [`SarError::NoValidData`]
/// if no point falls on a valid DEM pixel.
pub fn compare_points(dem: &Raster<f64>, points: &Points) -> Result<PointComparison> {
    let s = sample_at_points(dem, points)?;
    let d: Vec<f64> = s
        .iter()
        .zip(&points.z)
        .map(|(a, b)| a - b)
        .filter(|v| v.is_finite())
        .collect();
    if d.is_empty() {
        return Err(SarError::NoValidData(format!(
            "none of the {} points falls on a valid pixel of the DEM ({}); check the points' CRS ({})",
            points.len(),
            dem.grid,
            points.crs
        )));
    }
    let n = d.len();
    let mean = stats::mean(d.iter().copied()).unwrap_or(f64::NAN);
    let (min, max) = stats::min_max(d.iter().copied()).unwrap_or((f64::NAN, f64::NAN));
    Ok(PointComparison {
        n_points: points.len(),
        count: n,
        n_outside_or_nodata: points.len() - n,
        mean,
        median: stats::median(d.iter().copied()).unwrap_or(f64::NAN),
        std: stats::std(d.iter().copied(), 1).unwrap_or(f64::NAN),
        nmad: stats::nmad(d.iter().copied()).unwrap_or(f64::NAN),
        min,
        max,
        rmse: (d.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt(),
    })
}
