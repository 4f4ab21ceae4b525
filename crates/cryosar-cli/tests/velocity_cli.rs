//! End-to-end test of `cryosar velocity` on a synthetic speckle series with
//! a known uniform displacement.

use std::process::Command;

use ncc_stack::synth::{generate, DisplacementField, SceneParams};
use rand::SeedableRng;
use sar_core::{geotiff, Crs, Grid, Raster};

#[test]
fn velocity_recovers_a_uniform_displacement() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 192;
    // 1.25 px east and 0.5 px south per 12-day interval on 10 m pixels:
    // vx = +12.5 m / 12 d, vy = -5 m / 12 d (north positive).
    let scene = SceneParams::new(n, n, 3)
        .coherence(0.9)
        // Data sampled at twice the resolution (as in thesis sect. 2.3.2), so
        // that detection does not alias and pixel locking stays small.
        .bandwidth(0.5)
        .displacement(DisplacementField::Uniform {
            dx_px: 1.25,
            dy_px: 0.5,
        });
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
    let s = generate(&scene, &mut rng).unwrap();
    let grid = Grid::north_up(n, n, 400_000.0, 5_000_000.0, 10.0, 10.0, Crs::epsg(32632));
    let mut paths = Vec::new();
    for (k, img) in s.intensity.iter().enumerate() {
        let p = d.join(format!("img{k}.tif"));
        geotiff::write_f64(&p, &Raster::new(img.clone(), grid.clone()).unwrap()).unwrap();
        paths.push(p);
    }
    let out = d.join("vel");
    let o = Command::new(env!("CARGO_BIN_EXE_cryosar"))
        .arg("velocity")
        .args(&paths)
        .args(["--dates", "2020-01-01,2020-01-13,2020-01-25"])
        .args([
            "--template",
            "64",
            "--step",
            "32",
            "--search",
            "8",
            "--vmax",
            "2",
            // oversampled data: fit eq. 2.5 on the 11×11 lags of sect. 2.3.2
            "--fit-window",
            "11",
        ])
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let vx = geotiff::read_f64(out.join("vx.tif"), 0).unwrap();
    let vy = geotiff::read_f64(out.join("vy.tif"), 0).unwrap();
    let pc = geotiff::read_f64(out.join("pair_count.tif"), 0).unwrap();
    assert_eq!(vx.grid.pixel_size_map(), (320.0, 320.0));
    let mx = sar_core::stats::median(vx.data.iter().copied()).unwrap();
    let my = sar_core::stats::median(vy.data.iter().copied()).unwrap();
    assert!((mx - 12.5 / 12.0).abs() < 0.02, "vx median {mx}");
    assert!((my + 5.0 / 12.0).abs() < 0.02, "vy median {my}");
    assert!(vx.valid_count() > 0);
    assert_eq!(
        sar_core::stats::min_max(pc.data.iter().copied()).map(|m| m.1),
        Some(2.0)
    );
    assert!(out.join("speed.png").exists());
    // unfiltered products and pixel offsets: 1.25 px east, 0.5 px down
    let dx = geotiff::read_f64(out.join("dx_px.tif"), 0).unwrap();
    let dy = geotiff::read_f64(out.join("dy_px.tif"), 0).unwrap();
    let mdx = sar_core::stats::median(dx.data.iter().copied()).unwrap();
    let mdy = sar_core::stats::median(dy.data.iter().copied()).unwrap();
    assert!(
        (mdx - 1.25).abs() < 0.03 && (mdy - 0.5).abs() < 0.03,
        "{mdx} {mdy}"
    );
    assert!(
        geotiff::read_f64(out.join("vx_unfiltered.tif"), 0)
            .unwrap()
            .valid_count()
            >= vx.valid_count()
    );
    // each GeoTIFF explains itself in its GDAL metadata sidecar
    let aux = std::fs::read_to_string(out.join("vx.tif.aux.xml")).unwrap();
    for key in [
        "<MDI key=\"DATES\">2020-01-01,2020-01-13,2020-01-25</MDI>",
        "<MDI key=\"PAIR_INTERVAL_DAYS\">12</MDI>",
        "<MDI key=\"TEMPLATE_PX\">64</MDI>",
        "<MDI key=\"SEARCH_RADIUS_PX\">8</MDI>",
        "<MDI key=\"SUBPIXEL_ESTIMATOR\">gauss</MDI>",
        "<MDI key=\"SUBPIXEL_FIT_WINDOW\">11</MDI>",
        "<UnitType>m/d</UnitType>",
    ] {
        assert!(aux.contains(key), "{key} missing in {aux}");
    }

    // m/yr output, a negative SNR threshold accepted
    let out_y = d.join("vel_yr");
    let o = Command::new(env!("CARGO_BIN_EXE_cryosar"))
        .arg("velocity")
        .args(&paths)
        .args(["--dates", "2020-01-01,2020-01-13,2020-01-25"])
        .args(["--template", "64", "--step", "32", "--search", "8"])
        .args(["--units", "m/yr", "--vmax", "800", "--snr-min", "-5"])
        .args(["--fit-window", "11"])
        .args(["--out", out_y.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let vxy = geotiff::read_f64(out_y.join("vx.tif"), 0).unwrap();
    let myy = sar_core::stats::median(vxy.data.iter().copied()).unwrap();
    assert!(
        (myy - 12.5 / 12.0 * 365.25).abs() < 8.0,
        "vx median {myy} m/yr"
    );

    // absurd or NaN flag values: an error naming the flag
    for (flag, val) in [
        ("--vmax", "NaN"),
        ("--vmax", "1e300"),
        ("--snr-min", "inf"),
        ("--search-speed", "-1"),
        ("--fit-window", "4"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_cryosar"))
            .arg("velocity")
            .args(&paths)
            .args(["--dates", "2020-01-01,2020-01-13,2020-01-25", flag, val])
            .args(["--out", d.join("bad_flag").to_str().unwrap()])
            .output()
            .unwrap();
        assert!(!o.status.success(), "{flag} {val} accepted");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(flag), "{flag} {val}: {err}");
    }

    // an image without georeferencing is refused unless --pixel-size is given
    let mut plain = Vec::new();
    for (k, img) in s.intensity.iter().take(2).enumerate() {
        let p = d.join(format!("plain{k}.tif"));
        geotiff::write_f64(&p, &Raster::new(img.clone(), Grid::pixel(n, n)).unwrap()).unwrap();
        plain.push(p);
    }
    let run_plain = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cryosar"))
            .arg("velocity")
            .args(&plain)
            .args(["--dates", "2020-01-01,2020-01-13"])
            .args(["--template", "64", "--step", "32", "--search", "8"])
            .args(extra)
            .args(["--out", d.join("plain_out").to_str().unwrap()])
            .output()
            .unwrap()
    };
    let o = run_plain(&[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--pixel-size"));
    let o = run_plain(&["--pixel-size", "10"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Dates out of order: a clear error.
    let o = Command::new(env!("CARGO_BIN_EXE_cryosar"))
        .arg("velocity")
        .args(&paths)
        .args(["--dates", "2020-01-13,2020-01-01,2020-01-25"])
        .args(["--out", d.join("bad").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr).to_lowercase();
    assert!(err.contains("order"), "{err}");
}

#[test]
fn velocity_series_inverts_pairs_of_a_csv() {
    // four dates, a template field moving 1, 2, 3 m/d east in the three
    // intervals; pairs of intervals 1 and 2 as vx/vy GeoTIFFs (m/d)
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let grid = Grid::north_up(5, 6, 400_000.0, 5_000_000.0, 100.0, 100.0, Crs::epsg(32632));
    let days = [0i64, 10, 22, 30];
    let v = [1.0, 2.0, 3.0];
    let pos: Vec<f64> = (0..4)
        .map(|k| (0..k).map(|i| v[i] * (days[i + 1] - days[i]) as f64).sum())
        .collect();
    let dates = ["2021-05-01", "2021-05-11", "2021-05-23", "2021-05-31"];
    let mut csv = String::from("primary,secondary,vx,vy\n");
    for (i, j) in [(0usize, 1usize), (1, 2), (2, 3), (0, 2), (1, 3)] {
        let vel = (pos[j] - pos[i]) / (days[j] - days[i]) as f64;
        let vx = Raster::new(ndarray::Array2::from_elem((5, 6), vel), grid.clone()).unwrap();
        let vy = Raster::new(ndarray::Array2::zeros((5, 6)), grid.clone()).unwrap();
        geotiff::write_f64(d.join(format!("vx_{i}{j}.tif")), &vx).unwrap();
        geotiff::write_f64(d.join(format!("vy_{i}{j}.tif")), &vy).unwrap();
        csv.push_str(&format!(
            "{},{},vx_{i}{j}.tif,vy_{i}{j}.tif\n",
            dates[i], dates[j]
        ));
    }
    std::fs::write(d.join("pairs.csv"), csv).unwrap();
    let out = d.join("series");
    let o = Command::new(env!("CARGO_BIN_EXE_cryosar"))
        .arg("velocity-series")
        .args(["--pairs", d.join("pairs.csv").to_str().unwrap()])
        .args(["--noise", "0.1", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bands = geotiff::read_all_f64(out.join("velocity_east.tif")).unwrap();
    assert_eq!(bands.len(), 3);
    for (b, want) in bands.iter().zip(v) {
        assert!(
            (b.data[[2, 3]] - want).abs() < 1e-4,
            "{} vs {want}",
            b.data[[2, 3]]
        );
    }
    let mean = geotiff::read_f64(out.join("mean_vx.tif"), 0).unwrap();
    assert!((mean.data[[0, 0]] - pos[3] / 30.0).abs() < 1e-4);
    assert!(out.join("residual_rms_m.tif").exists());
    let iv = std::fs::read_to_string(out.join("intervals.csv")).unwrap();
    assert!(iv.contains("2,2021-05-11,2021-05-23,12"), "{iv}");
    // a NaN threshold is refused, naming the flag
    let o = Command::new(env!("CARGO_BIN_EXE_cryosar"))
        .arg("velocity-series")
        .args(["--pairs", d.join("pairs.csv").to_str().unwrap()])
        .args(["--k-sigma", "NaN", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--k-sigma"));
}
