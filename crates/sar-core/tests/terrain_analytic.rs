//! Terrain attributes against analytic truth: slope and aspect on geographic
//! (WGS84 degree) grids, the local incidence angle, and bad input.
//!
//! The geographic plane fixture (`tests/data/terrain/geo.json`, `dem_geo.bin`)
//! and gdaldem's view of it (`slope_geo_gdaldem_s111120.bin`,
//! `aspect_geo_gdaldem.bin`) were made by
//! `tools/reference/make_terrain_fixtures.py`. The truth is computed here from
//! the surface's formula and the WGS84 radii of curvature.
//!
//! Measured (`cargo test -p sar-core --test terrain_analytic -- --nocapture`):
//! on the 1″ plane at 36.3° N (slope 30°, aspect 120°) our Horn slope is
//! within 3e-7° and aspect within 2e-6° of the truth, while
//! `gdaldem slope -s 111120` is 3.59–3.60° too low and `gdaldem aspect`
//! (which ignores the pixel size) is 5.49–5.50° off: a single scale factor is
//! wrong by degrees on geographic grids away from the equator.

use std::path::{Path, PathBuf};

use approx::assert_relative_eq;
use ndarray::Array2;
use sar_core::grid::wgs84_radii;
use sar_core::terrain::{
    gradient, local_incidence_angle, slope_aspect, GradientMethod, Incidence, LookDirection,
};
use sar_core::{Crs, GeoTransform, Grid, Raster, SarError};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/terrain")
}

fn read_bin(name: &str, rows: usize, cols: usize) -> Array2<f64> {
    let bytes = std::fs::read(data_dir().join(name)).unwrap();
    assert_eq!(bytes.len(), rows * cols * 4, "{name} has the wrong size");
    let v: Vec<f64> = bytes
        .chunks_exact(4)
        .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        .collect();
    Array2::from_shape_vec((rows, cols), v).unwrap()
}

fn circ_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    if d > 180.0 {
        d - 360.0
    } else {
        d
    }
}

/// Truth of a surface z(λ, φ) given its partial derivatives in metres per
/// radian: east gradient `∂z/∂λ / (N cos φ)`, north `∂z/∂φ / M`, as
/// `(slope°, aspect°)`.
fn truth(dz_dlon_rad: f64, dz_dlat_rad: f64, lat_deg: f64) -> (f64, f64) {
    let phi = lat_deg.to_radians();
    let (m, n) = wgs84_radii(phi);
    let ge = dz_dlon_rad / (n * phi.cos());
    let gn = dz_dlat_rad / m;
    (
        ge.hypot(gn).atan().to_degrees(),
        (-ge).atan2(-gn).to_degrees().rem_euclid(360.0),
    )
}

/// Max |Δslope| and max circular |Δaspect| of `sa` against `truth_at(r, c)`
/// over the interior.
fn max_errors(
    sa: &sar_core::terrain::SlopeAspect,
    truth_at: impl Fn(usize, usize) -> (f64, f64),
) -> (f64, f64) {
    let (rows, cols) = sa.slope.shape();
    let (mut ds, mut da) = (0.0_f64, 0.0_f64);
    for r in 1..rows - 1 {
        for c in 1..cols - 1 {
            let (ts, ta) = truth_at(r, c);
            let (s, a) = (sa.slope.data[[r, c]], sa.aspect.data[[r, c]]);
            assert!(s.is_finite(), "slope NaN at ({r}, {c})");
            ds = ds.max((s - ts).abs());
            if ts > 0.5 {
                assert!(a.is_finite(), "aspect NaN at ({r}, {c})");
                da = da.max(circ_diff(a, ta).abs());
            }
        }
    }
    (ds, da)
}

#[test]
fn geographic_plane_is_exact_where_gdaldem_scale_is_off_by_degrees() {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data_dir().join("geo.json")).unwrap())
            .unwrap();
    let f = |k: &str| meta[k].as_f64().unwrap();
    let (rows, cols) = (
        meta["rows"].as_u64().unwrap() as usize,
        meta["cols"].as_u64().unwrap() as usize,
    );
    let gt: Vec<f64> = meta["geotransform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let grid = Grid::new(
        rows,
        cols,
        GeoTransform([gt[0], gt[1], gt[2], gt[3], gt[4], gt[5]]),
        Crs::wgs84(),
    );
    let (a, b, lonc, latc) = (
        f("A_m_per_rad"),
        f("B_m_per_rad"),
        f("lonc_deg"),
        f("latc_deg"),
    );
    // z = 4000 + A·(λ − λc) + B·(φ − φc), angles in radians; built in f64
    // here, and checked against the fixture the gdaldem run used.
    let z = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let (lon, lat) = grid.pixel_center(r, c);
        4000.0 + a * (lon - lonc).to_radians() + b * (lat - latc).to_radians()
    });
    let fixture = read_bin("dem_geo.bin", rows, cols);
    let max_dz = (&z - &fixture)
        .mapv(f64::abs)
        .fold(0.0, |m: f64, v| m.max(*v));
    assert!(max_dz < 1e-3, "formula and fixture differ by {max_dz} m");
    let dem = Raster::new(z, grid.clone()).unwrap();
    let truth_at = |r: usize, c: usize| truth(a, b, grid.pixel_center(r, c).1);
    assert_relative_eq!(truth_at(32, 32).0, 30.0, epsilon = 1e-3);
    assert_relative_eq!(truth_at(32, 32).1, 120.0, epsilon = 1e-3);

    for method in [GradientMethod::Horn, GradientMethod::ZevenbergenThorne] {
        let sa = slope_aspect(&dem, method).unwrap();
        let (ds, da) = max_errors(&sa, truth_at);
        eprintln!("{method:?} on the 1″ plane: max |Δslope| {ds:.2e}°, max |Δaspect| {da:.2e}°");
        assert!(ds < 0.02, "{method:?}: max |Δslope| = {ds}°");
        assert!(da < 0.02, "{method:?}: max |Δaspect| = {da}°");
    }

    // gdaldem with one scale factor for the whole grid, on the same plane.
    let gd_s = read_bin("slope_geo_gdaldem_s111120.bin", rows, cols);
    let gd_a = read_bin("aspect_geo_gdaldem.bin", rows, cols);
    let (mut ds_min, mut da_min) = (f64::INFINITY, f64::INFINITY);
    for r in 1..rows - 1 {
        for c in 1..cols - 1 {
            let (ts, ta) = truth_at(r, c);
            ds_min = ds_min.min((gd_s[[r, c]] - ts).abs());
            da_min = da_min.min(circ_diff(gd_a[[r, c]], ta).abs());
        }
    }
    eprintln!(
        "gdaldem -s 111120: min |Δslope| {ds_min:.3}°, gdaldem aspect: min |Δaspect| {da_min:.3}°"
    );
    assert!(ds_min > 3.5, "gdaldem slope off by only {ds_min}°");
    assert!(da_min > 5.0, "gdaldem aspect off by only {da_min}°");
}

#[test]
fn geographic_paraboloid_slope_within_002_deg() {
    // A paraboloid bowl on a 1″ grid centred near 36° N:
    // z = k·((A·(λ − λc))² + (B·(φ − φc))²) with A = N(φc)·cos φc and
    // B = M(φc) (metres per radian at the centre), k = 5e-4 1/m: slopes
    // up to about 40° in the corners, every aspect.
    let d = 1.0 / 3600.0;
    let (rows, cols) = (65, 65);
    let grid = Grid::north_up(rows, cols, 74.0, 36.0 + 32.5 * d, d, d, Crs::wgs84());
    let latc = grid.pixel_center(32, 32).1;
    let (m0, n0) = wgs84_radii(latc.to_radians());
    let (ka, kb, k) = (n0 * latc.to_radians().cos(), m0, 5e-4);
    // Offsets from the centre pixel in radians, from integer pixel offsets
    // so that the bowl is exactly symmetric about pixel (32, 32).
    let offsets = |r: usize, c: usize| {
        (
            (c as f64 - 32.0) * d.to_radians(),
            (32.0 - r as f64) * d.to_radians(),
        )
    };
    let z = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let (dlon, dlat) = offsets(r, c);
        let (u, v) = (ka * dlon, kb * dlat);
        1000.0 + k * (u * u + v * v)
    });
    let dem = Raster::new(z, grid.clone()).unwrap();
    let truth_at = |r: usize, c: usize| {
        let (dlon, dlat) = offsets(r, c);
        truth(
            2.0 * k * ka * ka * dlon,
            2.0 * k * kb * kb * dlat,
            grid.pixel_center(r, c).1,
        )
    };
    assert!(truth_at(1, 1).0 > 38.0);
    let sa = slope_aspect(&dem, GradientMethod::Horn).unwrap();
    let (ds, da) = max_errors(&sa, truth_at);
    eprintln!("paraboloid: max |Δslope| {ds:.2e}°, max |Δaspect| {da:.2e}°");
    assert!(ds < 0.02, "max |Δslope| = {ds}°");
    assert!(da < 0.02, "max |Δaspect| = {da}°");
    // The bottom of the bowl is exactly flat: aspect NaN, slope 0.
    assert_eq!(sa.slope.data[[32, 32]], 0.0);
    assert_eq!(sa.slope.data[[32, 33]], sa.slope.data[[32, 31]]);
    assert!(sa.aspect.data[[32, 32]].is_nan());
}

#[test]
fn tall_geographic_grid_uses_each_rows_pixel_size() {
    // 0.01° pixels from 38° N down to 34° N: the east–west pixel size
    // changes by 5 % from top to bottom. A plane with a 45° slope facing
    // 60° at 36° N.
    let (rows, cols) = (400, 8);
    let grid = Grid::north_up(rows, cols, 74.0, 38.0, 0.01, 0.01, Crs::wgs84());
    let (lonc, latc) = (74.04_f64, 36.0_f64);
    let (m0, n0) = wgs84_radii(latc.to_radians());
    let (ge0, gn0) = (
        -45f64.to_radians().tan() * 60f64.to_radians().sin(),
        -45f64.to_radians().tan() * 60f64.to_radians().cos(),
    );
    let (a, b) = (ge0 * n0 * latc.to_radians().cos(), gn0 * m0);
    let z = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let (lon, lat) = grid.pixel_center(r, c);
        3000.0 + a * (lon - lonc).to_radians() + b * (lat - latc).to_radians()
    });
    let dem = Raster::new(z, grid.clone()).unwrap();
    let truth_at = |r: usize, _c: usize| truth(a, b, grid.pixel_center(r, 0).1);
    // What one pixel size for the whole grid (the centre row's) would give:
    // the centre row's slope everywhere. It misses the ends by > 0.5°.
    let single_scale_err = (1..rows - 1)
        .map(|r| (truth_at(r, 0).0 - truth_at(rows / 2, 0).0).abs())
        .fold(0.0, f64::max);
    eprintln!("tall grid: one pixel size for all rows would be off by {single_scale_err:.2}°");
    assert!(single_scale_err > 0.5);
    let sa = slope_aspect(&dem, GradientMethod::Horn).unwrap();
    let (ds, da) = max_errors(&sa, truth_at);
    eprintln!("tall grid: max |Δslope| {ds:.2e}°, max |Δaspect| {da:.2e}°");
    assert!(ds < 0.02 && da < 0.02, "Δslope {ds}°, Δaspect {da}°");
    // A surface linear in east–west metres along every parallel,
    // z = g·N(φ)·cos φ·(λ − λc): ∂z/∂x_east = g exactly on every row. Dividing
    // each stencil row's difference by its own spacing reproduces it to
    // rounding; dividing all three by the centre row's spacing would be off
    // by ~1e-8 relative at 0.01° pixels (second order in the pixel size).
    let g_east = 0.7;
    let z2 = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let (lon, lat) = grid.pixel_center(r, c);
        let phi = lat.to_radians();
        g_east * wgs84_radii(phi).1 * phi.cos() * (lon - lonc).to_radians()
    });
    let g2 = gradient(
        &Raster::new(z2, grid.clone()).unwrap(),
        GradientMethod::Horn,
    )
    .unwrap();
    let worst = (1..rows - 1)
        .flat_map(|r| (1..cols - 1).map(move |c| (r, c)))
        .map(|(r, c)| (g2.east.data[[r, c]] / g_east - 1.0).abs())
        .fold(0.0, f64::max);
    eprintln!("tall grid, east-metre plane: max relative error of ∂z/∂x {worst:.1e}");
    assert!(worst < 1e-11, "relative error {worst}");
    // The metric gradient itself: ∂z/∂x_east = A / (N cos φ) per row.
    let g = gradient(&dem, GradientMethod::Horn).unwrap();
    for r in [1, 100, rows - 2] {
        let phi = grid.pixel_center(r, 0).1.to_radians();
        let (m, n) = wgs84_radii(phi);
        assert_relative_eq!(
            g.east.data[[r, 3]],
            a / (n * phi.cos()),
            max_relative = 1e-6
        );
        assert_relative_eq!(g.north.data[[r, 3]], b / m, max_relative = 1e-6);
    }
}

// ------------------------------------------------------------------ LIA

/// A 7 × 7 plane on a 10 m UTM grid with the given slope and aspect
/// (downslope azimuth), both in degrees.
fn plane(slope_deg: f64, aspect_deg: f64) -> Raster<f64> {
    let grid = Grid::north_up(7, 7, 400_000.0, 4_000_070.0, 10.0, 10.0, Crs::epsg(32643));
    let t = slope_deg.to_radians().tan();
    let (sa, ca) = aspect_deg.to_radians().sin_cos();
    let z = Array2::from_shape_fn((7, 7), |(r, c)| {
        let (x, y) = grid.pixel_center(r, c);
        2000.0 - t * (sa * (x - 400_000.0) + ca * (y - 4_000_000.0))
    });
    Raster::new(z, grid).unwrap()
}

fn lia_centre(dem: &Raster<f64>, inc: &Incidence, heading: f64, look: LookDirection) -> f64 {
    let sa = slope_aspect(dem, GradientMethod::Horn).unwrap();
    local_incidence_angle(&sa.slope, &sa.aspect, inc, heading, look)
        .unwrap()
        .data[[3, 3]]
}

#[test]
fn lia_flat_ground_gives_the_incidence_angle() {
    let dem = plane(0.0, 0.0);
    let sa = slope_aspect(&dem, GradientMethod::Horn).unwrap();
    assert!(sa.aspect.data[[3, 3]].is_nan() && sa.slope.data[[3, 3]] == 0.0);
    for (heading, look) in [
        (0.0, LookDirection::Right),
        (193.0, LookDirection::Left),
        (-12.5, LookDirection::Right),
    ] {
        let lia = local_incidence_angle(
            &sa.slope,
            &sa.aspect,
            &Incidence::Constant(37.5),
            heading,
            look,
        )
        .unwrap();
        assert_relative_eq!(lia.data[[3, 3]], 37.5, epsilon = 1e-12);
        assert!(lia.data[[0, 0]].is_nan(), "edge must stay no-data");
    }
}

#[test]
fn lia_facing_and_away_from_the_sensor() {
    // Heading north, right-looking: the radar looks east, the sensor is to
    // the west. A slope facing west (aspect 270°) with slope = incidence
    // faces the sensor squarely: θ_loc = 0. Facing east: θ + s.
    let theta = 35.0;
    let inc = Incidence::Constant(theta);
    let toward = plane(theta, 270.0);
    let away = plane(20.0, 90.0);
    assert_relative_eq!(
        lia_centre(&toward, &inc, 0.0, LookDirection::Right),
        0.0,
        epsilon = 1e-5
    );
    assert_relative_eq!(
        lia_centre(&away, &inc, 0.0, LookDirection::Right),
        55.0,
        epsilon = 1e-9
    );
    // Left-looking from the same track: the sensor is now to the east, so
    // the roles swap.
    assert_relative_eq!(
        lia_centre(&toward, &inc, 0.0, LookDirection::Left),
        2.0 * theta,
        epsilon = 1e-9
    );
    assert_relative_eq!(
        lia_centre(&away, &inc, 0.0, LookDirection::Left),
        15.0,
        epsilon = 1e-9
    );
    // Heading south, right-looking = heading north, left-looking.
    assert_relative_eq!(
        lia_centre(&away, &inc, 180.0, LookDirection::Right),
        15.0,
        epsilon = 1e-9
    );
    // A slope steeper than 90° − θ facing away is in shadow: θ_loc > 90°.
    assert_relative_eq!(
        lia_centre(&plane(70.0, 90.0), &inc, 0.0, LookDirection::Right),
        105.0,
        epsilon = 1e-9
    );
    // A slope along the look direction's perpendicular (facing north) at
    // slope s: cos θ_loc = cos θ · cos s (spherical law of cosines).
    let north = plane(25.0, 0.0);
    let want = (theta.to_radians().cos() * 25f64.to_radians().cos())
        .acos()
        .to_degrees();
    assert_relative_eq!(
        lia_centre(&north, &inc, 0.0, LookDirection::Right),
        want,
        epsilon = 1e-9
    );
}

#[test]
fn lia_general_geometry_matches_spherical_law_of_cosines() {
    // cos θ_loc = cos θ cos s − sin θ sin s cos(A − φ_look), an independent
    // form of n̂·ŝ, for a Sentinel-1-like ascending pass (heading −12°).
    for (s, a) in [(12.0, 33.0), (41.0, 200.0), (5.0, 301.0), (60.0, 100.0)] {
        for (heading, look) in [(-12.0, LookDirection::Right), (190.0, LookDirection::Left)] {
            let theta = 39.0_f64;
            let phi = look.look_azimuth_deg(heading);
            let (sr, tr) = (f64::to_radians(s), theta.to_radians());
            let cosl = tr.cos() * sr.cos() - tr.sin() * sr.sin() * (a - phi).to_radians().cos();
            let got = lia_centre(&plane(s, a), &Incidence::Constant(theta), heading, look);
            assert_relative_eq!(got, cosl.acos().to_degrees(), epsilon = 1e-8);
        }
    }
}

#[test]
fn lia_with_an_incidence_raster() {
    // Incidence growing from near to far range (west → east): 30° + 0.5°
    // per column, with one NaN and one impossible value.
    let dem = plane(20.0, 90.0);
    let sa = slope_aspect(&dem, GradientMethod::Horn).unwrap();
    let mut inc = Array2::from_shape_fn((7, 7), |(_r, c)| 30.0 + 0.5 * c as f64);
    inc[[2, 2]] = f64::NAN;
    inc[[4, 4]] = 120.0;
    let inc = Raster::new(inc, dem.grid.clone()).unwrap();
    let lia = local_incidence_angle(
        &sa.slope,
        &sa.aspect,
        &Incidence::Raster(inc),
        0.0,
        LookDirection::Right,
    )
    .unwrap();
    for r in 1..6 {
        for c in 1..6 {
            let v = lia.data[[r, c]];
            if (r, c) == (2, 2) || (r, c) == (4, 4) {
                assert!(v.is_nan(), "({r}, {c}) = {v}");
            } else {
                // Facing away from the sensor: θ(c) + 20°.
                assert_relative_eq!(v, 30.0 + 0.5 * c as f64 + 20.0, epsilon = 1e-9);
            }
        }
    }
}

// ------------------------------------------------------------ bad input

#[test]
fn dem_smaller_than_3x3_is_an_error() {
    for (rows, cols) in [(2, 10), (10, 2), (0, 0)] {
        let dem = Raster::filled(
            Grid::north_up(rows, cols, 0.0, 0.0, 30.0, 30.0, Crs::epsg(32643)),
            100.0,
        );
        let e = slope_aspect(&dem, GradientMethod::Horn).unwrap_err();
        assert!(
            matches!(e, SarError::InvalidParameter { name: "dem", .. }),
            "{rows}×{cols}: {e}"
        );
    }
}

#[test]
fn all_nan_dem_is_an_error() {
    let dem = Raster::filled(
        Grid::north_up(5, 5, 0.0, 0.0, 30.0, 30.0, Crs::epsg(32643)),
        f64::NAN,
    );
    for method in [GradientMethod::Horn, GradientMethod::ZevenbergenThorne] {
        assert!(matches!(
            slope_aspect(&dem, method),
            Err(SarError::NoValidData(_))
        ));
        assert!(matches!(
            gradient(&dem, method),
            Err(SarError::NoValidData(_))
        ));
    }
}

#[test]
fn nan_spreads_to_its_3x3_neighbourhood_only() {
    let mut dem = plane(10.0, 45.0);
    dem.data[[3, 3]] = f64::NAN;
    let sa = slope_aspect(&dem, GradientMethod::ZevenbergenThorne).unwrap();
    for r in 1..6_usize {
        for c in 1..6_usize {
            let near = r.abs_diff(3) <= 1 && c.abs_diff(3) <= 1;
            assert_eq!(sa.slope.data[[r, c]].is_nan(), near, "({r}, {c})");
            if !near {
                assert_relative_eq!(sa.slope.data[[r, c]], 10.0, epsilon = 1e-9);
                assert_relative_eq!(sa.aspect.data[[r, c]], 45.0, epsilon = 1e-9);
            }
        }
    }
}

#[test]
fn lia_rejects_mismatched_grids_and_bad_angles() {
    let sa = slope_aspect(&plane(10.0, 0.0), GradientMethod::Horn).unwrap();
    let other = Grid::north_up(7, 7, 400_010.0, 4_000_070.0, 10.0, 10.0, Crs::epsg(32643));
    let shifted = Raster::filled(other.clone(), 0.0);
    let e = local_incidence_angle(
        &sa.slope,
        &shifted,
        &Incidence::Constant(30.0),
        0.0,
        LookDirection::Right,
    )
    .unwrap_err();
    assert!(matches!(e, SarError::GridMismatch { .. }), "{e}");
    let e = local_incidence_angle(
        &sa.slope,
        &sa.aspect,
        &Incidence::Raster(Raster::filled(other, 30.0)),
        0.0,
        LookDirection::Right,
    )
    .unwrap_err();
    assert!(matches!(e, SarError::GridMismatch { .. }), "{e}");
    for bad in [-1.0, 90.5, f64::NAN, f64::INFINITY] {
        let e = local_incidence_angle(
            &sa.slope,
            &sa.aspect,
            &Incidence::Constant(bad),
            0.0,
            LookDirection::Right,
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                SarError::InvalidParameter {
                    name: "incidence",
                    ..
                }
            ),
            "{bad}: {e}"
        );
    }
    let e = local_incidence_angle(
        &sa.slope,
        &sa.aspect,
        &Incidence::Constant(30.0),
        f64::NAN,
        LookDirection::Right,
    )
    .unwrap_err();
    assert!(matches!(
        e,
        SarError::InvalidParameter {
            name: "heading_deg",
            ..
        }
    ));
}
