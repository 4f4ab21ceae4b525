//! Slope and aspect against `gdaldem` (GDAL 3.6.2) on a projected DEM.
//!
//! Fixtures in `tests/data/terrain/` were made by
//! `tools/reference/make_terrain_fixtures.py`: a 64 × 64 DEM on a 30 m UTM
//! grid (EPSG:32643) with hills, a ridge, a valley, a flat lake, a flat plateau
//! and a no-data hole, and `gdaldem slope|aspect [-alg ZevenbergenThorne]` of
//! it. Everything is raw little-endian f32 described by `utm.json`; no-data is
//! −9999.
//!
//! Measured (`cargo test -p sar-core --test terrain_gdaldem -- --nocapture`):
//! max |Δslope| 3.7e-6° (Horn and ZT), max |Δaspect| 2.3e-5° (Horn and ZT)
//! where slope > 0.5° — the float32 rounding of GDAL's output — and identical
//! no-data masks (edges, the hole's neighbourhood, 121 / 142 flat cells).

use std::path::{Path, PathBuf};

use ndarray::Array2;
use sar_core::terrain::{slope_aspect, GradientMethod};
use sar_core::{Crs, GeoTransform, Grid, Raster};

const GDAL_NODATA: f32 = -9999.0;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/terrain")
}

fn read_bin(name: &str, rows: usize, cols: usize) -> Array2<f32> {
    let bytes = std::fs::read(data_dir().join(name)).unwrap();
    assert_eq!(bytes.len(), rows * cols * 4, "{name} has the wrong size");
    let v: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Array2::from_shape_vec((rows, cols), v).unwrap()
}

struct Fixture {
    dem: Raster<f64>,
    rows: usize,
    cols: usize,
}

fn utm_fixture() -> Fixture {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data_dir().join("utm.json")).unwrap())
            .unwrap();
    let rows = meta["rows"].as_u64().unwrap() as usize;
    let cols = meta["cols"].as_u64().unwrap() as usize;
    let gt: Vec<f64> = meta["geotransform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let epsg = meta["epsg"].as_u64().unwrap() as u32;
    let grid = Grid::new(
        rows,
        cols,
        GeoTransform([gt[0], gt[1], gt[2], gt[3], gt[4], gt[5]]),
        Crs::epsg(epsg),
    );
    let z = read_bin(meta["dem"].as_str().unwrap(), rows, cols).mapv(f64::from);
    let dem = Raster::new(z, grid)
        .unwrap()
        .nodata_to_nan(meta["nodata"].as_f64());
    Fixture { dem, rows, cols }
}

/// Signed circular difference `a − b` in degrees, in (−180, 180].
fn circ_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    if d > 180.0 {
        d - 360.0
    } else {
        d
    }
}

fn compare(method: GradientMethod, slope_file: &str, aspect_file: &str) -> (f64, f64) {
    let f = utm_fixture();
    let ours = slope_aspect(&f.dem, method).unwrap();
    let gd_slope = read_bin(slope_file, f.rows, f.cols);
    let gd_aspect = read_bin(aspect_file, f.rows, f.cols);
    let (mut max_ds, mut max_da) = (0.0_f64, 0.0_f64);
    let (mut n_slope, mut n_aspect, mut n_flat) = (0, 0, 0);
    for r in 0..f.rows {
        for c in 0..f.cols {
            let s = ours.slope.data[[r, c]];
            let a = ours.aspect.data[[r, c]];
            let edge = r == 0 || c == 0 || r + 1 == f.rows || c + 1 == f.cols;
            if edge {
                // gdaldem (without -compute_edges) and we leave the edges empty.
                assert_eq!(gd_slope[[r, c]], GDAL_NODATA);
                assert!(s.is_nan() && a.is_nan(), "edge ({r}, {c}) not NaN");
                continue;
            }
            // Same no-data mask as gdaldem: next to the hole for slope, and
            // additionally on flat cells for aspect.
            assert_eq!(
                s.is_nan(),
                gd_slope[[r, c]] == GDAL_NODATA,
                "slope mask differs at ({r}, {c})"
            );
            assert_eq!(
                a.is_nan(),
                gd_aspect[[r, c]] == GDAL_NODATA,
                "aspect mask differs at ({r}, {c}): ours {a}, gdaldem {}",
                gd_aspect[[r, c]]
            );
            if s.is_nan() {
                continue;
            }
            let gs = f64::from(gd_slope[[r, c]]);
            max_ds = max_ds.max((s - gs).abs());
            n_slope += 1;
            if a.is_nan() {
                assert_eq!(s, 0.0, "aspect NaN on a non-flat cell ({r}, {c})");
                n_flat += 1;
                continue;
            }
            if gs > 0.5 {
                let da = circ_diff(a, f64::from(gd_aspect[[r, c]])).abs();
                max_da = max_da.max(da);
                n_aspect += 1;
            }
        }
    }
    eprintln!(
        "{method:?}: max |Δslope| = {max_ds:.3e}° over {n_slope} cells, \
         max |Δaspect| = {max_da:.3e}° over {n_aspect} cells with slope > 0.5°, \
         {n_flat} flat cells"
    );
    // The fixture is designed to exercise every branch.
    assert!(n_slope > 3000 && n_aspect > 3000 && n_flat > 50);
    (max_ds, max_da)
}

#[test]
fn horn_matches_gdaldem() {
    let (ds, da) = compare(GradientMethod::Horn, "slope_horn.bin", "aspect_horn.bin");
    assert!(ds < 1e-3, "max |Δslope| = {ds}°");
    assert!(da < 0.1, "max |Δaspect| = {da}°");
}

#[test]
fn zevenbergen_thorne_matches_gdaldem() {
    let (ds, da) = compare(
        GradientMethod::ZevenbergenThorne,
        "slope_zt.bin",
        "aspect_zt.bin",
    );
    assert!(ds < 1e-3, "max |Δslope| = {ds}°");
    assert!(da < 0.1, "max |Δaspect| = {da}°");
}

#[test]
fn horn_and_zt_differ_on_rough_terrain() {
    // The two stencils are different estimators: on this DEM they must not
    // agree everywhere (guards against one silently calling the other).
    let f = utm_fixture();
    let h = slope_aspect(&f.dem, GradientMethod::Horn).unwrap();
    let z = slope_aspect(&f.dem, GradientMethod::ZevenbergenThorne).unwrap();
    let max = h
        .slope
        .data
        .iter()
        .zip(z.slope.data.iter())
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(max > 0.5, "Horn and ZT differ by at most {max}°");
}
