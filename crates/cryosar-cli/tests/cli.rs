//! End-to-end tests of the `cryosar` program: exit codes, messages, outputs.

use std::process::Command;

use ndarray::Array2;
use sar_core::{geotiff, Crs, Grid, Raster};

fn cryosar() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cryosar"))
}

/// A plane z = 0.2·x + 0.1·y on a 10 m grid: slope = atan(√0.05) = 12.6044°,
/// aspect (downslope) = atan2(-0.2, -0.1) → 243.4349° clockwise from north.
fn write_plane(path: &std::path::Path) {
    let g = Grid::north_up(20, 30, 600_000.0, 5_100_000.0, 10.0, 10.0, Crs::epsg(32632));
    let data = Array2::from_shape_fn((20, 30), |(r, c)| {
        let (x, y) = g.pixel_center(r, c);
        0.2 * (x - 600_000.0) + 0.1 * (y - 5_000_000.0)
    });
    geotiff::write_f64(path, &Raster::new(data, g).unwrap()).unwrap();
}

#[test]
fn terrain_writes_slope_aspect_and_lia() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    write_plane(&dem);
    let (s, a, l) = (
        dir.path().join("s.tif"),
        dir.path().join("a.tif"),
        dir.path().join("l.tif"),
    );
    let out = cryosar()
        .arg("terrain")
        .arg(&dem)
        .args([
            "--slope",
            s.to_str().unwrap(),
            "--aspect",
            a.to_str().unwrap(),
        ])
        .args([
            "--lia",
            l.to_str().unwrap(),
            "--incidence",
            "39",
            "--heading",
            "-168",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let slope = geotiff::read_f64(&s, 0).unwrap();
    let aspect = geotiff::read_f64(&a, 0).unwrap();
    let lia = geotiff::read_f64(&l, 0).unwrap();
    assert!(slope.grid.same_as(&Grid::north_up(
        20,
        30,
        600_000.0,
        5_100_000.0,
        10.0,
        10.0,
        Crs::epsg(32632)
    )));
    let expected_slope = 0.05f64.sqrt().atan().to_degrees();
    assert!(
        (slope.data[[10, 10]] - expected_slope).abs() < 1e-4,
        "{}",
        slope.data[[10, 10]]
    );
    assert!(
        (aspect.data[[10, 10]] - 243.434_948_8).abs() < 1e-3,
        "{}",
        aspect.data[[10, 10]]
    );
    assert!(slope.data[[0, 0]].is_nan(), "edges are no-data");
    // LIA from the definition: n = (-dz/dx, -dz/dy, 1)/|.|, look azimuth = heading + 90 = -78°,
    // s = (-sin θ sin φ, -sin θ cos φ, cos θ).
    let (th, phi) = (39f64.to_radians(), (-78f64).to_radians());
    let n = [-0.2, -0.1, 1.0];
    let nn = (n[0] * n[0] + n[1] * n[1] + 1.0f64).sqrt();
    let sv = [-th.sin() * phi.sin(), -th.sin() * phi.cos(), th.cos()];
    let expected = ((n[0] * sv[0] + n[1] * sv[1] + n[2] * sv[2]) / nn)
        .acos()
        .to_degrees();
    assert!(
        (lia.data[[10, 10]] - expected).abs() < 1e-3,
        "{} vs {expected}",
        lia.data[[10, 10]]
    );
}

#[test]
fn missing_file_fails_with_a_message() {
    let out = cryosar()
        .args(["info", "/nonexistent/dem.tif"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error:") && err.contains("/nonexistent/dem.tif"),
        "{err}"
    );
}

#[test]
fn lia_without_geometry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    write_plane(&dem);
    let out = cryosar()
        .arg("terrain")
        .arg(&dem)
        .args(["--lia", dir.path().join("l.tif").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--incidence"), "{err}");
    assert!(!dir.path().join("l.tif").exists());
}

#[test]
fn info_prints_json_for_a_written_file() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    write_plane(&dem);
    let out = cryosar().arg("info").arg(&dem).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["width"], 30);
    assert_eq!(v["height"], 20);
    assert_eq!(v["epsg"], 32632);
    assert_eq!(v["geotransform"][1], 10.0);
    assert_eq!(v["band_stats"][0]["valid_fraction"], 1.0);
}
