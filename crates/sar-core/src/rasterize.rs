//! Polygons → label rasters, and pixel areas.
//!
//! [`rasterize`] burns each [`Feature`]'s id into a `Raster<u32>` on a
//! [`Grid`] (0 = no feature; a later feature overwrites an earlier one where
//! they overlap, as `gdal_rasterize` does). Outlines in another CRS than the
//! grid are reprojected first. Two modes ([`RasterizeMode`]):
//!
//! * **pixel centre** — a pixel belongs to a polygon if its centre lies
//!   inside (even–odd rule over all rings, so holes and multipolygons come
//!   out right); a scan line through each row of pixel centres, with
//!   half-open edge crossings, as GDAL's default;
//! * **all touched** — every pixel that the polygon touches at all: the
//!   pixel-centre set plus every pixel that an edge passes through (a
//!   pixel meets a polygon without containing the centre only if the
//!   boundary crosses it), as GDAL's `ALL_TOUCHED=TRUE`.
//!
//! [`pixel_areas`] gives the area of one pixel of each row in m²: on a
//! geographic grid the exact area on the WGS 84 ellipsoid of the cell
//! between its bounding parallels,
//!
//! $$ A = \Delta\lambda\, b^2 \left[\frac{\sin\varphi}{2(1-e^2\sin^2\varphi)}
//!        + \frac{1}{4e}\ln\frac{1+e\sin\varphi}{1-e\sin\varphi}\right]_{\varphi_1}^{\varphi_2}, $$
//!
//! on a projected grid the map area `|det|` of the geotransform (metres²; for
//! UTM this differs from the ellipsoidal area by the areal scale k² ≈
//! 0.9992–1.002 within a zone). [`geodesic_area`] gives a polygon's
//! ellipsoidal area (Karney 2013, through `geo`'s `GeodesicArea`).
//!
//! ```
//! use sar_core::rasterize::{rasterize, RasterizeMode};
//! use sar_core::vector::Feature;
//! use sar_core::{Crs, Grid};
//! use geo::polygon;
//!
//! let grid = Grid::north_up(10, 10, 0.0, 100.0, 10.0, 10.0, Crs::epsg(32640));
//! let square = Feature {
//!     id: 7,
//!     attributes: Default::default(),
//!     geometry: geo::MultiPolygon(vec![polygon![
//!         (x: 20.0, y: 80.0), (x: 60.0, y: 80.0), (x: 60.0, y: 40.0), (x: 20.0, y: 40.0)
//!     ]]),
//! };
//! let labels = rasterize(&[square], &Crs::epsg(32640), &grid, RasterizeMode::PixelCenter)?;
//! assert_eq!(labels.data.iter().filter(|&&v| v == 7).count(), 16); // 4 × 4 pixels
//! assert_eq!(labels.data[[2, 2]], 7);
//! assert_eq!(labels.data[[0, 0]], 0);
//! # Ok::<(), sar_core::SarError>(())
//! ```
//!
//! ## References
//!
//! * Karney, C. F. F. (2013). Algorithms for geodesics. *J. Geodesy* 87, 43–55.

use geo::orient::{Direction, Orient};
use geo::{Coord, GeodesicArea, MultiPolygon};
use ndarray::Array2;

use crate::error::{Result, SarError};
use crate::grid::{Crs, GeoTransform, Grid, WGS84_A, WGS84_F};
use crate::proj::Transformer;
use crate::raster::Raster;
use crate::vector::{Feature, Outlines};

/// Which pixels a polygon claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RasterizeMode {
    /// Pixels whose centre is inside (GDAL's default).
    #[default]
    PixelCenter,
    /// Every pixel the polygon touches (GDAL's `ALL_TOUCHED=TRUE`).
    AllTouched,
}

/// Burn the ids of `features` (in CRS `crs`) into a label raster on `grid`.
///
/// Returns a `Raster<u32>` with `nodata = Some(0)`: 0 where no feature lies,
/// else the [`Feature::id`] of the last feature (in slice order) that claims
/// the pixel. Features are reprojected to the grid's CRS when `crs`
/// differs.
///
/// # Errors
/// * [`SarError::InvalidParameter`] (`feature id`) if an id is 0;
/// * [`SarError::Projection`] if the outlines must be reprojected and a CRS
///   is unusable (an unknown CRS on one side only);
/// * [`SarError::InvalidParameter`] for a degenerate geotransform.
pub fn rasterize(
    features: &[Feature],
    crs: &Crs,
    grid: &Grid,
    mode: RasterizeMode,
) -> Result<Raster<u32>> {
    let t = Transformer::new(crs, &grid.crs)?;
    grid.map_to_pixel(0.0, 0.0)?;
    let mut labels = Array2::<u32>::zeros(grid.shape());
    let mut buckets: Vec<Vec<f64>> = Vec::new();
    let mut ring_px: Vec<Coord<f64>> = Vec::new();
    let mut rings: Vec<Vec<Coord<f64>>> = Vec::new();
    for f in features {
        if f.id == 0 {
            return Err(SarError::InvalidParameter {
                name: "feature id",
                reason: "0 is the background label; feature ids start at 1".into(),
            });
        }
        rings.clear();
        for poly in &f.geometry.0 {
            for ls in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                ring_px.clear();
                for c in &ls.0 {
                    let (x, y) = t.transform(c.x, c.y)?;
                    let (cc, rr) = grid.map_to_pixel(x, y)?;
                    ring_px.push(Coord { x: cc, y: rr });
                }
                if ring_px.len() >= 3 {
                    rings.push(ring_px.clone());
                }
            }
        }
        burn(&rings, f.id, &mut labels, mode, &mut buckets);
    }
    Ok(Raster {
        data: labels,
        grid: grid.clone(),
        nodata: Some(0.0),
    })
}

/// [`rasterize`] for [`Outlines`] (their own CRS).
///
/// # Errors
/// As [`rasterize`].
pub fn rasterize_outlines(
    outlines: &Outlines,
    grid: &Grid,
    mode: RasterizeMode,
) -> Result<Raster<u32>> {
    rasterize(&outlines.features, &outlines.crs, grid, mode)
}

/// Burn rings given in pixel coordinates (corner convention).
fn burn(
    rings: &[Vec<Coord<f64>>],
    id: u32,
    labels: &mut Array2<u32>,
    mode: RasterizeMode,
    buckets: &mut Vec<Vec<f64>>,
) {
    let (rows, cols) = labels.dim();
    if rows == 0 || cols == 0 || rings.is_empty() {
        return;
    }
    let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in rings {
        for c in r {
            ymin = ymin.min(c.y);
            ymax = ymax.max(c.y);
        }
    }
    if !(ymin.is_finite() && ymax.is_finite()) || ymax < 0.0 || ymin > rows as f64 {
        return;
    }
    // Rows whose centre (row + 0.5) lies in [ymin, ymax].
    let r0 = ((ymin - 0.5).ceil().max(0.0)) as usize;
    let r1 = ((ymax - 0.5).floor().min(rows as f64 - 1.0)).max(-1.0);
    if r1 >= r0 as f64 {
        let r1 = r1 as usize;
        let n = r1 - r0 + 1;
        if buckets.len() < n {
            buckets.resize_with(n, Vec::new);
        }
        for b in buckets.iter_mut().take(n) {
            b.clear();
        }
        for ring in rings {
            let m = ring.len();
            for i in 0..m {
                let a = ring[i];
                let b = ring[(i + 1) % m];
                if a.y == b.y {
                    continue;
                }
                let (lo, hi) = if a.y < b.y { (a, b) } else { (b, a) };
                // Row centres yc with lo.y <= yc < hi.y.
                let ra = ((lo.y - 0.5).ceil().max(r0 as f64)) as usize;
                let rb_f = (hi.y - 0.5).ceil() - 1.0;
                if rb_f < ra as f64 {
                    continue;
                }
                let rb = (rb_f as usize).min(r1);
                for r in ra..=rb {
                    let yc = r as f64 + 0.5;
                    let x = lo.x + (yc - lo.y) * (hi.x - lo.x) / (hi.y - lo.y);
                    buckets[r - r0].push(x);
                }
            }
        }
        for (k, xs) in buckets.iter_mut().take(n).enumerate() {
            xs.sort_unstable_by(f64::total_cmp);
            let r = r0 + k;
            for pair in xs.chunks_exact(2) {
                // Columns with centre c + 0.5 in [x_a, x_b).
                let ca = (pair[0] - 0.5).ceil().max(0.0);
                let cb = ((pair[1] - 0.5).ceil() - 1.0).min(cols as f64 - 1.0);
                if cb < ca {
                    continue;
                }
                for c in ca as usize..=cb as usize {
                    labels[[r, c]] = id;
                }
            }
        }
    }
    if mode == RasterizeMode::AllTouched {
        for ring in rings {
            let m = ring.len();
            for i in 0..m {
                trace_segment(ring[i], ring[(i + 1) % m], id, labels);
            }
        }
    }
}

/// Mark every pixel that the segment a–b (pixel coordinates) passes through
/// (Amanatides & Woo 1987 grid traversal), clipped to the raster.
fn trace_segment(a: Coord<f64>, b: Coord<f64>, id: u32, labels: &mut Array2<u32>) {
    let (rows, cols) = labels.dim();
    let (w, h) = (cols as f64, rows as f64);
    // Clip to the raster box (Liang–Barsky).
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [(-dx, a.x), (dx, w - a.x), (-dy, a.y), (dy, h - a.y)] {
        if p == 0.0 {
            if q < 0.0 {
                return;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return;
    }
    let (sx, sy) = (a.x + t0 * dx, a.y + t0 * dy);
    let (ex, ey) = (a.x + t1 * dx, a.y + t1 * dy);
    let clampc = |v: f64| (v.floor().max(0.0) as usize).min(cols - 1);
    let clampr = |v: f64| (v.floor().max(0.0) as usize).min(rows - 1);
    let (mut c, mut r) = (clampc(sx), clampr(sy));
    let (ce, re) = (clampc(ex), clampr(ey));
    let (ddx, ddy) = (ex - sx, ey - sy);
    let step_c: isize = if ddx > 0.0 { 1 } else { -1 };
    let step_r: isize = if ddy > 0.0 { 1 } else { -1 };
    let t_delta_x = if ddx != 0.0 {
        1.0 / ddx.abs()
    } else {
        f64::INFINITY
    };
    let t_delta_y = if ddy != 0.0 {
        1.0 / ddy.abs()
    } else {
        f64::INFINITY
    };
    let mut t_max_x = if ddx > 0.0 {
        ((c as f64 + 1.0) - sx) / ddx
    } else if ddx < 0.0 {
        (sx - c as f64) / -ddx
    } else {
        f64::INFINITY
    };
    let mut t_max_y = if ddy > 0.0 {
        ((r as f64 + 1.0) - sy) / ddy
    } else if ddy < 0.0 {
        (sy - r as f64) / -ddy
    } else {
        f64::INFINITY
    };
    let max_steps = rows + cols + 2;
    for _ in 0..max_steps {
        labels[[r, c]] = id;
        if c == ce && r == re {
            break;
        }
        if t_max_x < t_max_y {
            if t_max_x > 1.0 {
                break;
            }
            let nc = c as isize + step_c;
            if nc < 0 || nc >= cols as isize {
                break;
            }
            c = nc as usize;
            t_max_x += t_delta_x;
        } else {
            if t_max_y > 1.0 {
                break;
            }
            let nr = r as isize + step_r;
            if nr < 0 || nr >= rows as isize {
                break;
            }
            r = nr as usize;
            t_max_y += t_delta_y;
        }
    }
}

/// Area of one pixel of each row of `grid`, in m² (length `grid.rows`).
///
/// Geographic grids (north-up): the exact WGS 84 ellipsoidal area of each
/// cell between its bounding parallels (module docs). Geographic grids with
/// rotation: the metric pixel size of [`Grid::pixel_size_m`] at the row's
/// centre. Projected grids: the map area `|det|` of the geotransform,
/// constant over rows (map units are taken as metres).
///
/// # Errors
/// [`SarError::InvalidParameter`] for a degenerate geotransform.
pub fn pixel_areas(grid: &Grid) -> Result<Vec<f64>> {
    let det = grid.transform.determinant();
    if det == 0.0 || !det.is_finite() {
        return Err(SarError::InvalidParameter {
            name: "geotransform",
            reason: format!(
                "degenerate geotransform {:?} has no pixel area",
                grid.transform.0
            ),
        });
    }
    if !grid.crs.geographic {
        return Ok(vec![det.abs(); grid.rows]);
    }
    if !grid.transform.is_north_up() {
        return Ok((0..grid.rows)
            .map(|r| {
                let (ew, ns) = grid.pixel_size_m(r);
                ew * ns
            })
            .collect());
    }
    let GeoTransform(g) = grid.transform;
    let dlon = g[1].abs().to_radians();
    Ok((0..grid.rows)
        .map(|r| {
            let la = (g[3] + r as f64 * g[5]).clamp(-90.0, 90.0).to_radians();
            let lb = (g[3] + (r + 1) as f64 * g[5])
                .clamp(-90.0, 90.0)
                .to_radians();
            dlon * (band_integral(la) - band_integral(lb)).abs()
        })
        .collect())
}

/// ∫ of the ellipsoid's area element over latitude from the equator to `phi`
/// per radian of longitude (m²).
fn band_integral(phi: f64) -> f64 {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let e = e2.sqrt();
    let b = WGS84_A * (1.0 - WGS84_F);
    let s = phi.sin();
    b * b * (s / (2.0 * (1.0 - e2 * s * s)) + ((1.0 + e * s) / (1.0 - e * s)).ln() / (4.0 * e))
}

/// Ellipsoidal (WGS 84) area in m² of `geometry` given in `crs`, through
/// geodesic polygon areas (Karney 2013). Edges are geodesics between the
/// vertices after transformation to longitude/latitude.
///
/// # Errors
/// [`SarError::Projection`] if the CRS is unusable.
pub fn geodesic_area(geometry: &MultiPolygon<f64>, crs: &Crs) -> Result<f64> {
    let t = Transformer::new(crs, &Crs::wgs84())?;
    // Exterior rings counter-clockwise, holes clockwise (shapefiles store
    // the opposite), so that every polygon's signed area is its own area and
    // not the rest of the globe.
    let ll = t.transform_geometry(geometry)?.orient(Direction::Default);
    Ok(ll.geodesic_area_signed().abs())
}

/// Area in m² covered by each label 1..=max_label of a label raster (sum of
/// [`pixel_areas`] over its pixels); index 0 holds the background area.
///
/// # Errors
/// As [`pixel_areas`].
pub fn label_areas(labels: &Raster<u32>, max_label: u32) -> Result<Vec<f64>> {
    let areas = pixel_areas(&labels.grid)?;
    let mut out = vec![0.0; max_label as usize + 1];
    for ((r, _), &v) in labels.data.indexed_iter() {
        if let Some(a) = out.get_mut(v as usize) {
            *a += areas[r];
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn feat(id: u32, mp: MultiPolygon<f64>) -> Feature {
        Feature {
            id,
            attributes: Default::default(),
            geometry: mp,
        }
    }

    #[test]
    fn hole_and_all_touched() {
        let grid = Grid::north_up(20, 20, 0.0, 20.0, 1.0, 1.0, Crs::epsg(32632));
        let outer = geo::LineString::from(vec![
            (2.0, 18.0),
            (18.0, 18.0),
            (18.0, 2.0),
            (2.0, 2.0),
            (2.0, 18.0),
        ]);
        let hole = geo::LineString::from(vec![
            (6.0, 14.0),
            (14.0, 14.0),
            (14.0, 6.0),
            (6.0, 6.0),
            (6.0, 14.0),
        ]);
        let f = feat(3, MultiPolygon(vec![geo::Polygon::new(outer, vec![hole])]));
        let l = rasterize(
            std::slice::from_ref(&f),
            &grid.crs,
            &grid,
            RasterizeMode::PixelCenter,
        )
        .unwrap();
        assert_eq!(l.data.iter().filter(|&&v| v == 3).count(), 16 * 16 - 8 * 8);
        assert_eq!(l.data[[10, 10]], 0);
        // Shifted by a quarter pixel: centre mode still 16×16−8×8 …
        let g2 = Grid::north_up(20, 20, 0.25, 20.25, 1.0, 1.0, Crs::epsg(32632));
        let lc = rasterize(
            std::slice::from_ref(&f),
            &grid.crs,
            &g2,
            RasterizeMode::PixelCenter,
        )
        .unwrap();
        assert_eq!(lc.data.iter().filter(|&&v| v == 3).count(), 16 * 16 - 8 * 8);
        // … all touched adds a ring of partial pixels on each boundary.
        let la = rasterize(&[f], &grid.crs, &g2, RasterizeMode::AllTouched).unwrap();
        assert_eq!(la.data.iter().filter(|&&v| v == 3).count(), 17 * 17 - 7 * 7);
    }

    #[test]
    fn later_feature_wins_and_zero_id_rejected() {
        let grid = Grid::north_up(10, 10, 0.0, 10.0, 1.0, 1.0, Crs::epsg(32632));
        let a = feat(
            1,
            MultiPolygon(vec![
                polygon![(x: 0.0, y: 0.0), (x: 6.0, y: 0.0), (x: 6.0, y: 10.0), (x: 0.0, y: 10.0)],
            ]),
        );
        let b = feat(
            2,
            MultiPolygon(vec![
                polygon![(x: 4.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 4.0, y: 10.0)],
            ]),
        );
        let l = rasterize(
            &[a.clone(), b],
            &grid.crs,
            &grid,
            RasterizeMode::PixelCenter,
        )
        .unwrap();
        assert_eq!(l.data[[5, 4]], 2);
        assert_eq!(l.data[[5, 3]], 1);
        let z = feat(0, a.geometry);
        assert!(matches!(
            rasterize(&[z], &grid.crs, &grid, RasterizeMode::PixelCenter),
            Err(SarError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn geographic_pixel_areas_sum_to_the_band_area() {
        // A 1° × 1° cell at 60–61° N split into 3600 rows of 1″: the row areas add
        // up to the single-cell area, and the cell equals the ellipsoidal zone
        // area formula 2π b² [..] / 360.
        let d = 1.0 / 3600.0;
        let fine = Grid::north_up(3600, 1, 10.0, 61.0, 1.0, d, Crs::wgs84());
        let coarse = Grid::north_up(1, 1, 10.0, 61.0, 1.0, 1.0, Crs::wgs84());
        let s: f64 = pixel_areas(&fine).unwrap().iter().sum();
        let c = pixel_areas(&coarse).unwrap()[0];
        assert!((s - c).abs() / c < 1e-12);
        // Geodesic area of the same cell from geo (Karney) — edges along
        // parallels are not geodesics, so compare a thin cell where they nearly are.
        let thin = geo::MultiPolygon(vec![polygon![
            (x: 10.0, y: 60.0), (x: 10.01, y: 60.0), (x: 10.01, y: 60.01), (x: 10.0, y: 60.01)
        ]]);
        let ga = geodesic_area(&thin, &Crs::wgs84()).unwrap();
        let g1 = Grid::north_up(1, 1, 10.0, 60.01, 0.01, 0.01, Crs::wgs84());
        let pa = pixel_areas(&g1).unwrap()[0];
        assert!((ga - pa).abs() / pa < 1e-6, "{ga} {pa}");
    }
}
