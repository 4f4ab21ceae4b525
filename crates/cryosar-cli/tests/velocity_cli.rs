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
