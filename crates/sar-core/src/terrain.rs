//! Terrain attributes of a DEM: gradient, slope, aspect and the radar's
//! local incidence angle.
//!
//! The thesis uses these everywhere terrain matters: the local incidence
//! angle θ weights the VV and VH backscatter ratios in the composite ratio
//! for wet-snow mapping (eqs. 1.13–1.14, § 3.2), slope and aspect partition
//! the terrain into the topographic bins of the TSI (§ 3.2), and slope drives
//! the outlier filter and the heteroskedasticity model of dh/dt (eq. 4.17).
//!
//! # Gradient
//!
//! The surface gradient `(∂z/∂x_east, ∂z/∂y_north)` in m/m is estimated on the
//! 3 × 3 window
//!
//! ```text
//!   a b c        (row above: north on a north-up grid)
//!   d e f
//!   g h i        (row below)
//! ```
//!
//! * **Horn (1981)** ([`GradientMethod::Horn`], the default, as in GDAL):
//!   `∂z/∂col = ((c + 2f + i) − (a + 2d + g)) / 8` and
//!   `∂z/∂row = ((g + 2h + i) − (a + 2b + c)) / 8`, per pixel step;
//! * **Zevenbergen & Thorne (1987)** ([`GradientMethod::ZevenbergenThorne`]):
//!   `∂z/∂col = (f − d) / 2`, `∂z/∂row = (h − b) / 2`.
//!
//! The pixel-step derivatives are turned into metric east/north derivatives
//! with the grid's geometry:
//!
//! * **projected grids** (map units = metres): through the inverse transpose
//!   of the geotransform's linear part, so rotated and sheared geotransforms
//!   are handled exactly (`∇z = J⁻ᵀ (∂z/∂col, ∂z/∂row)` with
//!   `J = [[gt1, gt2], [gt4, gt5]]`); on a north-up grid this is
//!   `∂z/∂x = (∂z/∂col) / gt1`, `∂z/∂y = (∂z/∂row) / gt5`.
//! * **grids without georeferencing** ([`Grid::pixel`]: identity transform,
//!   unknown CRS): 1 m pixels with row 0 at the north, as gdaldem treats them.
//! * **geographic grids** (degrees on WGS84; north-up only — a rotated
//!   geographic geotransform is an error): the pixel size in metres differs
//!   per row ([`Grid::pixel_size_m`]). The north–south step uses the centre
//!   row's meridional size `M(φ)·Δφ`. For the east–west derivative, Horn's
//!   stencil combines three rows whose east–west spacings `N(φ)·cos φ·Δλ`
//!   differ; each row's difference is divided by **that row's own spacing**
//!   before the 1-2-1 weighting, i.e. Horn's row smoothing is applied to the
//!   metric east derivatives, as on a projected grid. This is exact for a
//!   surface that is linear in east–west metres along every parallel;
//!   dividing all three by the centre row's spacing is not (relative error
//!   7.6 × 10⁻⁹ at 0.01° pixels, ~10⁻¹¹ at 1″ — second order in the pixel
//!   size, so both are far below DEM noise). A single scale factor for the
//!   whole grid, as
//!   `gdaldem slope -s 111120` uses, is off by degrees: on a 1″ grid at 36° N
//!   it underestimates a 30° slope facing 120° by 3.6° and turns its aspect
//!   by 5.5° (`tools/reference/make_terrain_fixtures.py`).
//!
//! # Slope and aspect
//!
//! `slope = atan(|∇z|)` in degrees, and the aspect is the **downslope**
//! azimuth, clockwise from north in degrees in `[0, 360)`:
//! `aspect = atan2(−∂z/∂x, −∂z/∂y)` (0 = a north-facing slope, 90 = east), the
//! convention of `gdaldem aspect`. Where the gradient is exactly zero (flat
//! cells) the aspect is NaN (gdaldem writes −9999 there); the slope is 0.
//!
//! No-data: the outermost ring of cells and every cell whose 3 × 3 window
//! holds a NaN are NaN, as in `gdaldem` without `-compute_edges` (also for
//! Zevenbergen–Thorne, which reads only four neighbours).
//!
//! # Local incidence angle
//!
//! With the unit surface normal in east-north-up coordinates, from slope `s`
//! and aspect `A`,
//!
//! ```text
//! n̂ = (sin s · sin A,  sin s · cos A,  cos s),
//! ```
//!
//! the ground look azimuth `φ = heading + 90°` for a right-looking sensor
//! (`heading − 90°` for left-looking), and the unit vector from the ground to
//! the sensor at incidence angle θ (from the vertical)
//!
//! ```text
//! ŝ = (−sin θ · sin φ,  −sin θ · cos φ,  cos θ),
//! ```
//!
//! the local incidence angle is `θ_loc = acos(n̂ · ŝ)` in degrees. Flat ground
//! gives `θ_loc = θ`; a slope facing the sensor with `s = θ` gives 0; a slope
//! facing away gives `θ + s`, and more than 90° means radar shadow.
//!
//! # Example
//!
//! ```
//! use approx::assert_relative_eq;
//! use ndarray::Array2;
//! use sar_core::terrain::{
//!     local_incidence_angle, slope_aspect, GradientMethod, Incidence, LookDirection,
//! };
//! use sar_core::{Crs, Grid, Raster};
//!
//! // A 10 m UTM grid with a plane that rises 1 m per metre towards the west:
//! // a 45° slope facing east (aspect 90°).
//! let grid = Grid::north_up(5, 6, 600_000.0, 4_000_000.0, 10.0, 10.0, Crs::epsg(32643));
//! let z = Array2::from_shape_fn((5, 6), |(r, c)| {
//!     let (x, _y) = grid.pixel_center(r, c);
//!     4000.0 - (x - 600_000.0)
//! });
//! let dem = Raster::new(z, grid)?;
//! let sa = slope_aspect(&dem, GradientMethod::Horn)?;
//! assert_relative_eq!(sa.slope.data[[2, 2]], 45.0, epsilon = 1e-9);
//! assert_relative_eq!(sa.aspect.data[[2, 2]], 90.0, epsilon = 1e-9);
//! assert!(sa.slope.data[[0, 0]].is_nan()); // edge
//!
//! // A sensor heading north and looking right (east) at 30° incidence sees
//! // this slope facing away from it: θ_loc = 30° + 45°.
//! let lia = local_incidence_angle(
//!     &sa.slope,
//!     &sa.aspect,
//!     &Incidence::Constant(30.0),
//!     0.0,
//!     LookDirection::Right,
//! )?;
//! assert_relative_eq!(lia.data[[2, 2]], 75.0, epsilon = 1e-9);
//! # Ok::<(), sar_core::SarError>(())
//! ```
//!
//! # References
//!
//! * Horn, B. K. P. (1981). Hill shading and the reflectance map.
//!   *Proceedings of the IEEE* 69(1), 14–47.
//! * Zevenbergen, L. W. & Thorne, C. R. (1987). Quantitative analysis of land
//!   surface topography. *Earth Surface Processes and Landforms* 12(1), 47–56.
//! * GDAL `gdaldem` documentation (slope, aspect):
//!   <https://gdal.org/programs/gdaldem.html>.

use ndarray::{Array2, ArrayViewMut1, Axis, Zip};

use crate::error::{Result, SarError};
use crate::grid::{GeoTransform, Grid};
use crate::raster::Raster;

/// The finite-difference stencil used for the surface gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GradientMethod {
    /// Horn (1981): 3 × 3 weighted differences (weights 1-2-1), the default of
    /// GDAL and most GIS; smooths noise.
    #[default]
    Horn,
    /// Zevenbergen & Thorne (1987): central differences of the four direct
    /// neighbours; sharper, more sensitive to noise.
    ZevenbergenThorne,
}

/// Metric surface gradient of a DEM, in m/m, on the DEM's grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient {
    /// `∂z/∂x` towards east, m/m (NaN on edges and next to no-data).
    pub east: Raster<f64>,
    /// `∂z/∂y` towards north, m/m (NaN on edges and next to no-data).
    pub north: Raster<f64>,
}

/// Slope and aspect of a DEM, in degrees, on the DEM's grid.
#[derive(Debug, Clone, PartialEq)]
pub struct SlopeAspect {
    /// Slope in degrees from the horizontal, `[0, 90)`. NaN on the outermost
    /// ring of cells and on cells whose 3 × 3 window holds a NaN.
    pub slope: Raster<f64>,
    /// Aspect: the downslope azimuth in degrees clockwise from north,
    /// `[0, 360)` (0 = facing north, 90 = facing east). NaN where `slope` is
    /// NaN and on flat cells (zero gradient).
    pub aspect: Raster<f64>,
}

/// The radar incidence angle, in degrees from the vertical, at each DEM cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Incidence {
    /// One incidence angle for the whole scene, degrees in `[0, 90]`.
    Constant(f64),
    /// A per-pixel incidence angle in degrees on the slope/aspect grid
    /// (e.g. from the orbit geometry); pixels outside `[0, 90]` or NaN give a
    /// NaN local incidence angle.
    Raster(Raster<f64>),
}

/// Which side of the flight track the antenna looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LookDirection {
    /// Right-looking (Sentinel-1, TerraSAR-X/TanDEM-X in their usual mode):
    /// ground look azimuth = heading + 90°.
    #[default]
    Right,
    /// Left-looking: ground look azimuth = heading − 90°.
    Left,
}

impl LookDirection {
    /// Ground look azimuth in degrees clockwise from north for a platform
    /// heading `heading_deg` (degrees clockwise from north), in `[0, 360)`.
    ///
    /// ```
    /// use sar_core::terrain::LookDirection;
    /// // Sentinel-1 ascending pass: heading about −10° (350°), looking east.
    /// assert_eq!(LookDirection::Right.look_azimuth_deg(-10.0), 80.0);
    /// assert_eq!(LookDirection::Left.look_azimuth_deg(-10.0), 260.0);
    /// ```
    pub fn look_azimuth_deg(self, heading_deg: f64) -> f64 {
        let off = match self {
            LookDirection::Right => 90.0,
            LookDirection::Left => -90.0,
        };
        (heading_deg + off).rem_euclid(360.0)
    }
}

/// How pixel-step derivatives become metric east/north derivatives.
enum Metric {
    /// Projected grid: `∇z = m · (∂z/∂col, ∂z/∂row)` with `m = J⁻ᵀ` row-major.
    Affine([f64; 4]),
    /// North-up geographic grid: per row, the reciprocal signed metres per
    /// column step (east) and per row step (north).
    Geographic {
        inv_east: Vec<f64>,
        inv_north: Vec<f64>,
    },
}

impl Metric {
    fn of(grid: &Grid) -> Result<Metric> {
        let g = &grid.transform.0;
        let det = grid.transform.determinant();
        if !g.iter().all(|v| v.is_finite()) || det == 0.0 || !det.is_finite() {
            return Err(SarError::InvalidParameter {
                name: "geotransform",
                reason: format!("degenerate or non-finite geotransform {g:?}"),
            });
        }
        if *g == GeoTransform::default().0 && grid.crs.is_unknown() {
            // No georeferencing (`Grid::pixel`): like gdaldem, take row 0 as
            // north and pixels of 1 × 1 (metres), although GDAL's identity
            // transform formally points y down the image.
            return Ok(Metric::Affine([1.0, 0.0, 0.0, -1.0]));
        }
        if !grid.crs.geographic {
            // J = [[g1, g2], [g4, g5]] maps (dcol, drow) to (dx, dy);
            // J⁻ᵀ = 1/det · [[g5, −g4], [−g2, g1]].
            return Ok(Metric::Affine([
                g[5] / det,
                -g[4] / det,
                -g[2] / det,
                g[1] / det,
            ]));
        }
        if !grid.transform.is_north_up() {
            return Err(SarError::InvalidParameter {
                name: "geotransform",
                reason: format!(
                    "terrain attributes on a rotated geographic grid are not supported \
                     (geotransform {g:?}); warp the DEM to a north-up or projected grid first"
                ),
            });
        }
        let mut inv_east = Vec::with_capacity(grid.rows);
        let mut inv_north = Vec::with_capacity(grid.rows);
        for r in 0..grid.rows {
            let (ew, ns) = grid.pixel_size_m(r);
            let (ie, in_) = (g[1].signum() / ew, g[5].signum() / ns);
            if !(ew > 0.0 && ns > 0.0 && ie.is_finite() && in_.is_finite()) {
                return Err(SarError::InvalidParameter {
                    name: "geotransform",
                    reason: format!(
                        "row {r} of the geographic grid has a pixel size of {ew} m × {ns} m \
                         (at or beyond a pole?); use a projected grid there"
                    ),
                });
            }
            inv_east.push(ie);
            inv_north.push(in_);
        }
        Ok(Metric::Geographic {
            inv_east,
            inv_north,
        })
    }
}

/// Validate the DEM and build its metric.
fn check_dem(dem: &Raster<f64>) -> Result<Metric> {
    let (rows, cols) = dem.shape();
    if rows < 3 || cols < 3 {
        return Err(SarError::InvalidParameter {
            name: "dem",
            reason: format!(
                "a {rows}×{cols} DEM is too small: slope and aspect need a 3×3 window, \
                 so the DEM must have at least 3 rows and 3 columns"
            ),
        });
    }
    if dem.valid_count() == 0 {
        return Err(SarError::NoValidData(format!(
            "every cell of the DEM on {} is no-data",
            dem.grid
        )));
    }
    Metric::of(&dem.grid)
}

/// Per-row coefficients that turn the raw 3 × 3 differences into the metric
/// gradient: with `d_k` = right − left in stencil row `k` (above, centre,
/// below) and `d_row` the raw row difference (Horn: `(g + 2h + i) − (a + 2b + c)`,
/// ZT: `h − b`), `dc = Σ col_w[k]·d_k`, and
/// `east = e[0]·dc + e[1]·d_row`, `north = n[0]·dc + n[1]·d_row`.
///
/// On projected grids `col_w` holds the small integers 1-2-1 (Horn) or 0-1-0
/// (ZT), so `dc` is formed exactly as gdaldem forms it and a flat window
/// gives an exact zero.
struct RowCoefficients {
    col_w: [f64; 3],
    e: [f64; 2],
    n: [f64; 2],
}

impl Metric {
    /// Coefficients for interior row `r` (`1 ≤ r ≤ rows − 2`).
    fn row(&self, r: usize, method: GradientMethod) -> RowCoefficients {
        // Horn divides both raw differences by 8, ZT by 2.
        let (ints, scale) = match method {
            GradientMethod::Horn => ([1.0, 2.0, 1.0], 0.125),
            GradientMethod::ZevenbergenThorne => ([0.0, 1.0, 0.0], 0.5),
        };
        match self {
            Metric::Affine(m) => RowCoefficients {
                col_w: ints,
                e: [m[0] * scale, m[1] * scale],
                n: [m[2] * scale, m[3] * scale],
            },
            Metric::Geographic {
                inv_east,
                inv_north,
            } => RowCoefficients {
                // Each stencil row's difference over its own east–west spacing.
                col_w: [
                    ints[0] * inv_east[r - 1],
                    ints[1] * inv_east[r],
                    ints[2] * inv_east[r + 1],
                ],
                e: [scale, 0.0],
                n: [0.0, scale * inv_north[r]],
            },
        }
    }
}

/// Run the 3 × 3 gradient over every interior cell, mapping `(east, north)`
/// in m/m through `f` into two output arrays. Edges, and cells whose window
/// holds a non-finite value, stay NaN.
fn map_gradient<F>(
    dem: &Raster<f64>,
    method: GradientMethod,
    parallel: bool,
    f: F,
) -> Result<(Array2<f64>, Array2<f64>)>
where
    F: Fn(f64, f64) -> (f64, f64) + Sync,
{
    let metric = check_dem(dem)?;
    let (rows, cols) = dem.shape();
    let z = dem.data.as_standard_layout();
    let Some(z) = z.as_slice() else {
        return Err(SarError::InvalidParameter {
            name: "dem",
            reason: "the DEM's data is not contiguous in memory".into(),
        });
    };
    let mut out_a = Array2::from_elem((rows, cols), f64::NAN);
    let mut out_b = Array2::from_elem((rows, cols), f64::NAN);
    let row_fn = |r: usize, mut oa: ArrayViewMut1<'_, f64>, mut ob: ArrayViewMut1<'_, f64>| {
        if r == 0 || r + 1 == rows {
            return;
        }
        let k = metric.row(r, method);
        let up = &z[(r - 1) * cols..r * cols];
        let mid = &z[r * cols..(r + 1) * cols];
        let down = &z[(r + 1) * cols..(r + 2) * cols];
        let windows = up
            .windows(3)
            .zip(mid.windows(3))
            .zip(down.windows(3))
            .enumerate();
        for (c0, ((u, m), d)) in windows {
            let (&[a, b, c], &[d_, e, f_], &[g, h, i]) = (u, m, d) else {
                continue;
            };
            if ![a, b, c, d_, e, f_, g, h, i].iter().all(|v| v.is_finite()) {
                continue;
            }
            let (d_row, dc) = match method {
                GradientMethod::Horn => (
                    (g + 2.0 * h + i) - (a + 2.0 * b + c),
                    k.col_w[0] * (c - a) + k.col_w[1] * (f_ - d_) + k.col_w[2] * (i - g),
                ),
                GradientMethod::ZevenbergenThorne => (h - b, k.col_w[1] * (f_ - d_)),
            };
            let east = k.e[0] * dc + k.e[1] * d_row;
            let north = k.n[0] * dc + k.n[1] * d_row;
            let (va, vb) = f(east, north);
            oa[c0 + 1] = va;
            ob[c0 + 1] = vb;
        }
    };
    let zip = Zip::indexed(out_a.axis_iter_mut(Axis(0))).and(out_b.axis_iter_mut(Axis(0)));
    #[cfg(feature = "rayon")]
    if parallel {
        zip.par_for_each(row_fn);
        return Ok((out_a, out_b));
    }
    let _ = parallel;
    zip.for_each(row_fn);
    Ok((out_a, out_b))
}

fn output(data: Array2<f64>, grid: &Grid) -> Raster<f64> {
    Raster {
        data,
        grid: grid.clone(),
        nodata: None,
    }
}

/// Slope in degrees and aspect (downslope azimuth clockwise from north) in
/// degrees from a metric gradient.
#[inline]
fn slope_aspect_of(east: f64, north: f64) -> (f64, f64) {
    let slope = east.hypot(north).atan().to_degrees();
    let aspect = if east == 0.0 && north == 0.0 {
        f64::NAN
    } else {
        let a = (-east).atan2(-north).to_degrees().rem_euclid(360.0);
        // rem_euclid can round a tiny negative angle up to exactly 360.
        if a >= 360.0 {
            0.0
        } else {
            a
        }
    };
    (slope, aspect)
}

/// Metric surface gradient of `dem` (heights in metres): `∂z/∂x` east and
/// `∂z/∂y` north in m/m, with metric pixel sizes per row on geographic grids
/// (see the [module docs](self)).
///
/// # Errors
///
/// * [`SarError::InvalidParameter`] (`dem`) if the DEM has fewer than 3 rows
///   or columns; (`geotransform`) for a degenerate geotransform or a rotated
///   geographic one.
/// * [`SarError::NoValidData`] if every DEM cell is NaN.
pub fn gradient(dem: &Raster<f64>, method: GradientMethod) -> Result<Gradient> {
    let (east, north) = map_gradient(dem, method, cfg!(feature = "rayon"), |e, n| (e, n))?;
    Ok(Gradient {
        east: output(east, &dem.grid),
        north: output(north, &dem.grid),
    })
}

/// Slope and aspect of `dem` (heights in metres) in degrees, by Horn (1981)
/// or Zevenbergen–Thorne (1987), with the conventions of `gdaldem slope` /
/// `gdaldem aspect` (see the [module docs](self)); NaN on the outermost ring,
/// next to no-data, and (aspect only) on flat cells.
///
/// # Errors
///
/// As [`gradient`]: [`SarError::InvalidParameter`] for a DEM smaller than
/// 3 × 3 or an unsupported geotransform, [`SarError::NoValidData`] for an
/// all-NaN DEM.
pub fn slope_aspect(dem: &Raster<f64>, method: GradientMethod) -> Result<SlopeAspect> {
    slope_aspect_impl(dem, method, cfg!(feature = "rayon"))
}

fn slope_aspect_impl(
    dem: &Raster<f64>,
    method: GradientMethod,
    parallel: bool,
) -> Result<SlopeAspect> {
    let (slope, aspect) = map_gradient(dem, method, parallel, slope_aspect_of)?;
    Ok(SlopeAspect {
        slope: output(slope, &dem.grid),
        aspect: output(aspect, &dem.grid),
    })
}

/// Local incidence angle in degrees at one cell; NaN for invalid inputs.
#[inline]
fn lia_deg(slope_deg: f64, aspect_deg: f64, inc_deg: f64, sin_look: f64, cos_look: f64) -> f64 {
    if !((0.0..=90.0).contains(&slope_deg) && (0.0..=90.0).contains(&inc_deg)) {
        return f64::NAN;
    }
    let (ss, cs) = slope_deg.to_radians().sin_cos();
    let (n_e, n_n) = if slope_deg == 0.0 {
        // Flat: the aspect is undefined (NaN) and not needed.
        (0.0, 0.0)
    } else if aspect_deg.is_finite() {
        let (sa, ca) = aspect_deg.to_radians().sin_cos();
        (ss * sa, ss * ca)
    } else {
        return f64::NAN;
    };
    let (st, ct) = inc_deg.to_radians().sin_cos();
    let dot = -st * sin_look * n_e - st * cos_look * n_n + ct * cs;
    dot.clamp(-1.0, 1.0).acos().to_degrees()
}

/// Local incidence angle in degrees: the angle between the surface normal
/// (from `slope` and `aspect` in degrees, as [`slope_aspect`] returns them)
/// and the direction from the ground to the sensor, for a sensor with
/// incidence angle `incidence` (degrees from the vertical), heading
/// `heading_deg` (degrees clockwise from north) and look direction `look`
/// (see the [module docs](self) for the vectors).
///
/// Flat cells (slope exactly 0, aspect NaN) get the incidence angle. Cells
/// where the slope is NaN, the aspect is NaN on a non-flat cell, or a raster
/// incidence is NaN or outside `[0, 90]` are NaN. Values above 90° mean that
/// the slope faces away so steeply that it is in radar shadow.
///
/// # Errors
///
/// * [`SarError::GridMismatch`] if `aspect` or an [`Incidence::Raster`] is
///   not on the grid of `slope`.
/// * [`SarError::InvalidParameter`] if `heading_deg` is not finite
///   (`heading_deg`) or a constant incidence angle is outside `[0, 90]`
///   (`incidence`).
pub fn local_incidence_angle(
    slope: &Raster<f64>,
    aspect: &Raster<f64>,
    incidence: &Incidence,
    heading_deg: f64,
    look: LookDirection,
) -> Result<Raster<f64>> {
    lia_impl(
        slope,
        aspect,
        incidence,
        heading_deg,
        look,
        cfg!(feature = "rayon"),
    )
}

fn lia_impl(
    slope: &Raster<f64>,
    aspect: &Raster<f64>,
    incidence: &Incidence,
    heading_deg: f64,
    look: LookDirection,
    parallel: bool,
) -> Result<Raster<f64>> {
    slope.ensure_same_grid(aspect)?;
    if !heading_deg.is_finite() {
        return Err(SarError::InvalidParameter {
            name: "heading_deg",
            reason: format!("the platform heading must be finite degrees, got {heading_deg}"),
        });
    }
    let (sin_look, cos_look) = look.look_azimuth_deg(heading_deg).to_radians().sin_cos();
    let data = match incidence {
        Incidence::Constant(theta) => {
            if !(0.0..=90.0).contains(theta) {
                return Err(SarError::InvalidParameter {
                    name: "incidence",
                    reason: format!(
                        "the incidence angle must lie in [0, 90] degrees from the vertical, \
                         got {theta}"
                    ),
                });
            }
            let theta = *theta;
            let zip = Zip::from(&slope.data).and(&aspect.data);
            let f = |s: &f64, a: &f64| lia_deg(*s, *a, theta, sin_look, cos_look);
            #[cfg(feature = "rayon")]
            let out = if parallel {
                zip.par_map_collect(f)
            } else {
                zip.map_collect(f)
            };
            #[cfg(not(feature = "rayon"))]
            let out = {
                let _ = parallel;
                zip.map_collect(f)
            };
            out
        }
        Incidence::Raster(inc) => {
            slope.ensure_same_grid(inc)?;
            let zip = Zip::from(&slope.data).and(&aspect.data).and(&inc.data);
            let f = |s: &f64, a: &f64, t: &f64| lia_deg(*s, *a, *t, sin_look, cos_look);
            #[cfg(feature = "rayon")]
            let out = if parallel {
                zip.par_map_collect(f)
            } else {
                zip.map_collect(f)
            };
            #[cfg(not(feature = "rayon"))]
            let out = {
                let _ = parallel;
                zip.map_collect(f)
            };
            out
        }
    };
    Ok(output(data, &slope.grid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Crs;
    use approx::assert_relative_eq;

    /// A rough seeded-free deterministic DEM (sum of sines) on `grid`.
    fn bumpy(grid: &Grid) -> Raster<f64> {
        let z = Array2::from_shape_fn(grid.shape(), |(r, c)| {
            let (x, y) = (c as f64, r as f64);
            500.0 + 40.0 * (x / 7.0).sin() * (y / 5.0).cos() + 3.0 * x - 2.0 * y
        });
        Raster::new(z, grid.clone()).unwrap()
    }

    #[test]
    fn parallel_equals_serial() {
        let grid = Grid::north_up(97, 83, 0.0, 0.0, 1.0 / 3600.0, 1.0 / 3600.0, Crs::wgs84());
        let mut dem = bumpy(&grid);
        dem.data[[40, 40]] = f64::NAN;
        for method in [GradientMethod::Horn, GradientMethod::ZevenbergenThorne] {
            let p = slope_aspect_impl(&dem, method, true).unwrap();
            let s = slope_aspect_impl(&dem, method, false).unwrap();
            // Bit-identical, NaNs in the same places.
            for (a, b) in p.slope.data.iter().zip(s.slope.data.iter()) {
                assert_eq!(a.to_bits(), b.to_bits());
            }
            for (a, b) in p.aspect.data.iter().zip(s.aspect.data.iter()) {
                assert_eq!(a.to_bits(), b.to_bits());
            }
            let inc = Incidence::Raster(p.slope.map(|v| 20.0 + 0.1 * v.abs().min(100.0)));
            let lp =
                lia_impl(&p.slope, &p.aspect, &inc, 190.0, LookDirection::Right, true).unwrap();
            let ls = lia_impl(
                &p.slope,
                &p.aspect,
                &inc,
                190.0,
                LookDirection::Right,
                false,
            )
            .unwrap();
            for (a, b) in lp.data.iter().zip(ls.data.iter()) {
                assert_eq!(a.to_bits(), b.to_bits());
            }
        }
    }

    #[test]
    fn rotated_projected_grid_recovers_plane_gradient() {
        // Rotate the pixel axes by 30° and shear slightly; a plane
        // z = 0.3·x − 0.4·y must come out exactly (both methods).
        let (sa, ca) = 30f64.to_radians().sin_cos();
        let gt = GeoTransform([
            1000.0,
            20.0 * ca,
            20.0 * sa + 3.0,
            5000.0,
            20.0 * sa,
            -20.0 * ca,
        ]);
        let grid = Grid::new(9, 11, gt, Crs::epsg(32632));
        let z = Array2::from_shape_fn(grid.shape(), |(r, c)| {
            let (x, y) = grid.pixel_center(r, c);
            0.3 * x - 0.4 * y
        });
        let dem = Raster::new(z, grid).unwrap();
        for method in [GradientMethod::Horn, GradientMethod::ZevenbergenThorne] {
            let g = gradient(&dem, method).unwrap();
            for r in 1..8 {
                for c in 1..10 {
                    assert_relative_eq!(g.east.data[[r, c]], 0.3, epsilon = 1e-9);
                    assert_relative_eq!(g.north.data[[r, c]], -0.4, epsilon = 1e-9);
                }
            }
            assert!(g.east.data[[0, 5]].is_nan() && g.north.data[[8, 5]].is_nan());
        }
    }

    #[test]
    fn rotated_geographic_grid_is_an_error() {
        let gt = GeoTransform([70.0, 1e-4, 1e-5, 36.0, 1e-5, -1e-4]);
        let dem = Raster::filled(Grid::new(5, 5, gt, Crs::wgs84()), 1.0);
        let e = slope_aspect(&dem, GradientMethod::Horn).unwrap_err();
        assert!(
            matches!(
                e,
                SarError::InvalidParameter {
                    name: "geotransform",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn ungeoreferenced_grid_has_row_zero_at_the_north() {
        // z rises by 1 per row down the image: downslope is up the image,
        // which gdaldem (and we) call north: aspect 0°, slope 45°.
        let dem = Raster::new(
            Array2::from_shape_fn((4, 4), |(r, _c)| r as f64),
            Grid::pixel(4, 4),
        )
        .unwrap();
        let sa = slope_aspect(&dem, GradientMethod::Horn).unwrap();
        assert_relative_eq!(sa.slope.data[[1, 2]], 45.0, epsilon = 1e-12);
        assert_relative_eq!(sa.aspect.data[[1, 2]], 0.0, epsilon = 1e-12);
    }

    #[test]
    fn geographic_grid_beyond_the_pole_is_an_error() {
        let dem = Raster::filled(Grid::north_up(5, 5, 0.0, 91.0, 0.5, 0.5, Crs::wgs84()), 1.0);
        assert!(matches!(
            slope_aspect(&dem, GradientMethod::Horn),
            Err(SarError::InvalidParameter {
                name: "geotransform",
                ..
            })
        ));
    }

    #[test]
    fn aspect_of_the_compass_points() {
        // Downslope towards north: z decreases northwards → ∂z/∂y < 0.
        let cases = [
            ((0.0, -1.0), 0.0),
            ((-1.0, -1.0), 45.0),
            ((-1.0, 0.0), 90.0),
            ((0.0, 1.0), 180.0),
            ((1.0, 0.0), 270.0),
            ((1e-300, -1.0), 0.0),
        ];
        for ((e, n), want) in cases {
            let (s, a) = slope_aspect_of(e, n);
            assert_relative_eq!(a, want, epsilon = 1e-12);
            assert_relative_eq!(s, e.hypot(n).atan().to_degrees());
        }
        assert!(slope_aspect_of(0.0, 0.0).1.is_nan());
        assert_eq!(slope_aspect_of(0.0, 0.0).0, 0.0);
    }
}
