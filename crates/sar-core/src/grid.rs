//! Grids and georeferencing: affine geotransform, CRS, raster shape.
//!
//! A [`Grid`] is the georeferencing of a raster: its shape (rows × columns),
//! the affine [`GeoTransform`] that maps pixel coordinates to map coordinates
//! (GDAL's six numbers), and its [`Crs`].
//!
//! Pixel coordinates follow GDAL: `(col, row) = (0.0, 0.0)` is the upper-left
//! *corner* of the upper-left pixel, and the centre of pixel `(row, col)` is at
//! `(col + 0.5, row + 0.5)`.

use std::fmt;

use crate::error::{Result, SarError};

/// Semi-major axis of the WGS84 ellipsoid in metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// Flattening of the WGS84 ellipsoid.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// GDAL's affine geotransform: six numbers `[x0, dx_col, dx_row, y0, dy_col, dy_row]`.
///
/// The map coordinate of pixel coordinate `(col, row)` is
/// `x = x0 + col·dx_col + row·dx_row`, `y = y0 + col·dy_col + row·dy_row`.
/// A north-up grid has `dx_row = dy_col = 0` and a negative `dy_row`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoTransform(pub [f64; 6]);

impl GeoTransform {
    /// A north-up transform with the upper-left corner at `(x0, y0)` and pixel
    /// sizes `dx > 0` (east) and `dy > 0` (south; stored as `-dy`).
    pub fn north_up(x0: f64, y0: f64, dx: f64, dy: f64) -> Self {
        GeoTransform([x0, dx, 0.0, y0, 0.0, -dy])
    }

    /// Map coordinates of pixel coordinate `(col, row)` (corner convention).
    pub fn apply(&self, col: f64, row: f64) -> (f64, f64) {
        let g = &self.0;
        (
            g[0] + col * g[1] + row * g[2],
            g[3] + col * g[4] + row * g[5],
        )
    }

    /// Determinant of the linear part; zero for a degenerate transform.
    pub fn determinant(&self) -> f64 {
        let g = &self.0;
        g[1] * g[5] - g[2] * g[4]
    }

    /// The inverse mapping, map `(x, y)` → pixel `(col, row)`.
    ///
    /// Returns an error if the transform is degenerate (zero determinant).
    pub fn inverse_apply(&self, x: f64, y: f64) -> Result<(f64, f64)> {
        let g = &self.0;
        let det = self.determinant();
        if det == 0.0 || !det.is_finite() {
            return Err(SarError::InvalidParameter {
                name: "geotransform",
                reason: format!("degenerate geotransform {:?} cannot be inverted", g),
            });
        }
        let dx = x - g[0];
        let dy = y - g[3];
        let col = (g[5] * dx - g[2] * dy) / det;
        let row = (-g[4] * dx + g[1] * dy) / det;
        Ok((col, row))
    }

    /// True if the grid has no rotation/shear terms.
    pub fn is_north_up(&self) -> bool {
        self.0[2] == 0.0 && self.0[4] == 0.0
    }
}

impl Default for GeoTransform {
    /// The identity transform: map coordinates equal pixel coordinates
    /// (GDAL's default for files without georeferencing).
    fn default() -> Self {
        GeoTransform([0.0, 1.0, 0.0, 0.0, 0.0, 1.0])
    }
}

/// A coordinate reference system, by EPSG code, WKT and/or a PROJ.4 string.
///
/// The CRS is carried along, compared, and written back to files; the
/// `proj` module turns it into a projection for reprojection (from the EPSG
/// code through the `crs-definitions` table, or from `proj4`). Whether the
/// CRS is geographic (degrees of latitude/longitude) matters for metric pixel
/// sizes; it is recorded in `geographic` (set from the GeoTIFF model type, or
/// inferred from the EPSG code by [`Crs::epsg`]).
///
/// `proj4` holds a PROJ.4 definition (`+proj=tmerc +lat_0=0 +lon_0=15 …`)
/// for systems without an EPSG code, such as a user-defined Transverse
/// Mercator read from GeoTIFF projection GeoKeys; when both are present the
/// EPSG code wins.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Crs {
    /// EPSG code, if known.
    pub epsg: Option<u32>,
    /// WKT text, if known.
    pub wkt: Option<String>,
    /// PROJ.4 definition (`+proj=… +ellps=… …`), if known; used for CRSs
    /// without an EPSG code (user-defined projections).
    pub proj4: Option<String>,
    /// True for a geographic (latitude/longitude in degrees) CRS.
    pub geographic: bool,
}

impl Crs {
    /// A CRS from an EPSG code. Codes 4326 (WGS84), 4258 (ETRS89), 4269
    /// (NAD83), 4979 and the range 4000–4999 are taken as geographic; all
    /// others as projected. Use [`Crs::with_geographic`] to override.
    pub fn epsg(code: u32) -> Self {
        Crs {
            epsg: Some(code),
            wkt: None,
            proj4: None,
            geographic: (4000..5000).contains(&code),
        }
    }

    /// A CRS from a PROJ.4 definition such as
    /// `+proj=tmerc +lat_0=0 +lon_0=15 +k=0.9996 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m`.
    /// It is geographic if the definition says `+proj=longlat` (or `latlong`,
    /// `lonlat`, `latlon`).
    pub fn proj4(def: impl Into<String>) -> Self {
        let def = def.into();
        let geographic = def.split_whitespace().any(|t| {
            matches!(
                t,
                "+proj=longlat" | "+proj=latlong" | "+proj=lonlat" | "+proj=latlon"
            )
        });
        Crs {
            epsg: None,
            wkt: None,
            proj4: Some(def),
            geographic,
        }
    }

    /// WGS84 geographic coordinates (EPSG:4326).
    pub fn wgs84() -> Self {
        Crs::epsg(4326)
    }

    /// Set whether the CRS is geographic.
    pub fn with_geographic(mut self, geographic: bool) -> Self {
        self.geographic = geographic;
        self
    }

    /// An unknown CRS (pixel coordinates only).
    pub fn unknown() -> Self {
        Crs::default()
    }

    /// True if neither EPSG code, WKT nor PROJ.4 definition is known.
    pub fn is_unknown(&self) -> bool {
        self.epsg.is_none() && self.wkt.is_none() && self.proj4.is_none()
    }

    /// Whether two CRSs denote the same system: equal EPSG codes if both have
    /// one, else equal PROJ.4 definitions (compared token by token,
    /// order-insensitive), else equal WKT, else both unknown.
    pub fn same_as(&self, other: &Crs) -> bool {
        match (self.epsg, other.epsg) {
            (Some(a), Some(b)) => a == b,
            _ => match (&self.proj4, &other.proj4) {
                (Some(a), Some(b)) => {
                    let mut ta: Vec<&str> = a.split_whitespace().collect();
                    let mut tb: Vec<&str> = b.split_whitespace().collect();
                    ta.sort_unstable();
                    tb.sort_unstable();
                    ta == tb
                }
                _ => match (&self.wkt, &other.wkt) {
                    (Some(a), Some(b)) => a == b,
                    _ => self.is_unknown() && other.is_unknown(),
                },
            },
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.epsg, &self.proj4, &self.wkt) {
            (Some(c), _, _) => write!(f, "EPSG:{c}"),
            (None, Some(p), _) => write!(f, "PROJ[{p}]"),
            (None, None, Some(w)) => {
                let short: String = w.chars().take(40).collect();
                write!(f, "WKT[{short}…]")
            }
            (None, None, None) => write!(f, "unknown CRS"),
        }
    }
}

/// A raster's georeferencing: shape, geotransform and CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Number of rows (lines, y).
    pub rows: usize,
    /// Number of columns (samples, x).
    pub cols: usize,
    /// Pixel → map affine transform.
    pub transform: GeoTransform,
    /// Coordinate reference system.
    pub crs: Crs,
}

/// Relative tolerance used by [`Grid::same_as`] on geotransform coefficients.
const GRID_RTOL: f64 = 1e-9;

impl Grid {
    /// A grid of `rows × cols` pixels with the given transform and CRS.
    pub fn new(rows: usize, cols: usize, transform: GeoTransform, crs: Crs) -> Self {
        Grid {
            rows,
            cols,
            transform,
            crs,
        }
    }

    /// A north-up grid: upper-left corner `(x0, y0)`, pixel size `dx × dy` (both positive).
    pub fn north_up(
        rows: usize,
        cols: usize,
        x0: f64,
        y0: f64,
        dx: f64,
        dy: f64,
        crs: Crs,
    ) -> Self {
        Grid::new(rows, cols, GeoTransform::north_up(x0, y0, dx, dy), crs)
    }

    /// A grid without georeferencing (identity transform, unknown CRS).
    pub fn pixel(rows: usize, cols: usize) -> Self {
        Grid::new(rows, cols, GeoTransform::default(), Crs::unknown())
    }

    /// Shape as `(rows, cols)`, the order of ndarray's `dim()`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Number of pixels.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// True if the grid has no pixels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Map coordinates of pixel coordinate `(col, row)` (corner convention, fractional allowed).
    pub fn pixel_to_map(&self, col: f64, row: f64) -> (f64, f64) {
        self.transform.apply(col, row)
    }

    /// Map coordinates of the centre of pixel `(row, col)`.
    pub fn pixel_center(&self, row: usize, col: usize) -> (f64, f64) {
        self.transform.apply(col as f64 + 0.5, row as f64 + 0.5)
    }

    /// Fractional pixel coordinate `(col, row)` of map point `(x, y)`.
    /// The centre of pixel `(r, c)` maps to `(c + 0.5, r + 0.5)`.
    pub fn map_to_pixel(&self, x: f64, y: f64) -> Result<(f64, f64)> {
        self.transform.inverse_apply(x, y)
    }

    /// Map bounds `(xmin, ymin, xmax, ymax)` of the grid's outer pixel edges.
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        let corners = [
            self.pixel_to_map(0.0, 0.0),
            self.pixel_to_map(self.cols as f64, 0.0),
            self.pixel_to_map(0.0, self.rows as f64),
            self.pixel_to_map(self.cols as f64, self.rows as f64),
        ];
        let mut b = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for (x, y) in corners {
            b.0 = b.0.min(x);
            b.1 = b.1.min(y);
            b.2 = b.2.max(x);
            b.3 = b.3.max(y);
        }
        b
    }

    /// The pixel size in map units along columns and rows: the lengths of the
    /// column and row steps, `(|Δ per col|, |Δ per row|)`.
    pub fn pixel_size_map(&self) -> (f64, f64) {
        let g = &self.transform.0;
        (g[1].hypot(g[4]), g[2].hypot(g[5]))
    }

    /// Pixel size in metres `(east–west, north–south)` at row `row`.
    ///
    /// For a projected CRS this is [`Grid::pixel_size_map`] (map units are
    /// assumed to be metres). For a geographic CRS the degree steps are
    /// converted on the WGS84 ellipsoid at the latitude of the centre of row
    /// `row`: north–south `M(φ)·Δφ` and east–west `N(φ)·cos φ·Δλ`, with `M` and
    /// `N` the meridional and prime-vertical radii of curvature. A 1″ pixel at
    /// 36° N is about 30.8 m × 25.0 m.
    pub fn pixel_size_m(&self, row: usize) -> (f64, f64) {
        let (sx, sy) = self.pixel_size_map();
        if !self.crs.geographic {
            return (sx, sy);
        }
        let (_, lat) = self.pixel_to_map(self.cols as f64 / 2.0, row as f64 + 0.5);
        let (m, n) = wgs84_radii(lat.to_radians());
        let phi = lat.to_radians();
        (n * phi.cos() * sx.to_radians(), m * sy.to_radians())
    }

    /// The sub-grid of the pixel window starting at `(row0, col0)` with shape `rows × cols`.
    pub fn window(&self, row0: usize, col0: usize, rows: usize, cols: usize) -> Result<Grid> {
        if row0 + rows > self.rows || col0 + cols > self.cols || rows == 0 || cols == 0 {
            return Err(SarError::OutOfBounds(format!(
                "window rows {row0}..{} cols {col0}..{} does not fit a {}×{} grid (or is empty)",
                row0 + rows,
                col0 + cols,
                self.rows,
                self.cols
            )));
        }
        let (x0, y0) = self.pixel_to_map(col0 as f64, row0 as f64);
        let mut t = self.transform.0;
        t[0] = x0;
        t[3] = y0;
        Ok(Grid::new(rows, cols, GeoTransform(t), self.crs.clone()))
    }

    /// A grid over the same area with pixels `factor_row × factor_col` times
    /// larger (shape divided, rounding down), as produced by multilooking or
    /// a template grid with a step.
    pub fn coarsen(&self, factor_row: usize, factor_col: usize) -> Result<Grid> {
        if factor_row == 0 || factor_col == 0 {
            return Err(SarError::InvalidParameter {
                name: "factor",
                reason: "coarsening factors must be at least 1".into(),
            });
        }
        let mut t = self.transform.0;
        t[1] *= factor_col as f64;
        t[4] *= factor_col as f64;
        t[2] *= factor_row as f64;
        t[5] *= factor_row as f64;
        Ok(Grid::new(
            self.rows / factor_row,
            self.cols / factor_col,
            GeoTransform(t),
            self.crs.clone(),
        ))
    }

    /// True if both grids have the same shape, the same CRS and
    /// geotransforms equal to a relative tolerance of 1e-9 of the pixel size.
    pub fn same_as(&self, other: &Grid) -> bool {
        if self.shape() != other.shape() || !self.crs.same_as(&other.crs) {
            return false;
        }
        let (sx, sy) = self.pixel_size_map();
        let scale = sx.max(sy).max(f64::MIN_POSITIVE);
        self.transform
            .0
            .iter()
            .zip(other.transform.0.iter())
            .all(|(a, b)| {
                (a - b).abs() <= GRID_RTOL * scale.max(1.0) * (1.0 + a.abs().max(b.abs()) / scale)
            })
    }

    /// `Ok(())` if [`Grid::same_as`] holds, else [`SarError::GridMismatch`]
    /// naming both grids.
    pub fn ensure_same(&self, other: &Grid) -> Result<()> {
        if self.same_as(other) {
            Ok(())
        } else {
            Err(SarError::GridMismatch {
                left: Box::new(self.clone()),
                right: Box::new(other.clone()),
            })
        }
    }

    /// `Ok(())` if both grids share a CRS, else [`SarError::CrsMismatch`].
    pub fn ensure_same_crs(&self, other: &Grid) -> Result<()> {
        if self.crs.same_as(&other.crs) {
            Ok(())
        } else {
            Err(SarError::CrsMismatch {
                left: self.crs.to_string(),
                right: other.crs.to_string(),
            })
        }
    }
}

impl fmt::Display for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = &self.transform.0;
        write!(
            f,
            "grid {}×{} (rows×cols) {} origin ({}, {}) pixel ({}, {}) rotation ({}, {})",
            self.rows, self.cols, self.crs, g[0], g[3], g[1], g[5], g[2], g[4]
        )
    }
}

/// Meridional (`M`) and prime-vertical (`N`) radii of curvature of WGS84 in
/// metres at geodetic latitude `phi` (radians).
pub fn wgs84_radii(phi: f64) -> (f64, f64) {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let s2 = phi.sin().powi(2);
    let w = (1.0 - e2 * s2).sqrt();
    let n = WGS84_A / w;
    let m = WGS84_A * (1.0 - e2) / (w * w * w);
    (m, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn pixel_map_roundtrip_with_rotation() {
        let gt = GeoTransform([1000.0, 30.0, 2.0, 5000.0, 1.5, -30.0]);
        let (x, y) = gt.apply(12.25, 7.5);
        let (c, r) = gt.inverse_apply(x, y).unwrap();
        assert_relative_eq!(c, 12.25, epsilon = 1e-9);
        assert_relative_eq!(r, 7.5, epsilon = 1e-9);
    }

    #[test]
    fn cop30_pixel_size_at_36n() {
        // 1 arc-second grid whose row 0 is centred on 36° N.
        let d = 1.0 / 3600.0;
        let g = Grid::north_up(10, 10, 70.0, 36.0 + d / 2.0, d, d, Crs::wgs84());
        let (ew, ns) = g.pixel_size_m(0);
        // Expected values computed by hand from the WGS84 radii of curvature
        // at 36°: M = 6 357 484 m, N = 6 385 525 m, 1″ = 4.8481e-6 rad
        // → M·Δφ = 30.822 m, N·cos 36°·Δλ = 25.045 m.
        assert!((ns - 30.822).abs() < 0.005, "ns = {ns}");
        assert!((ew - 25.045).abs() < 0.005, "ew = {ew}");
    }

    #[test]
    fn degenerate_transform_is_an_error() {
        let gt = GeoTransform([0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert!(matches!(
            gt.inverse_apply(1.0, 1.0),
            Err(SarError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn mismatch_names_both_grids() {
        let a = Grid::north_up(5, 5, 0.0, 0.0, 10.0, 10.0, Crs::epsg(32643));
        let b = Grid::north_up(5, 5, 5.0, 0.0, 10.0, 10.0, Crs::epsg(32643));
        let e = a.ensure_same(&b).unwrap_err().to_string();
        assert!(
            e.contains("origin (0, 0)") && e.contains("origin (5, 0)"),
            "{e}"
        );
        assert!(a.ensure_same(&a.clone()).is_ok());
    }

    #[test]
    fn window_and_coarsen() {
        let g = Grid::north_up(100, 200, 500.0, 900.0, 10.0, 10.0, Crs::epsg(32632));
        let w = g.window(10, 20, 5, 6).unwrap();
        assert_eq!(w.pixel_to_map(0.0, 0.0), (700.0, 800.0));
        assert!(g.window(99, 0, 2, 1).is_err());
        let c = g.coarsen(4, 4).unwrap();
        assert_eq!(c.shape(), (25, 50));
        assert_eq!(c.pixel_size_map(), (40.0, 40.0));
    }
}
