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
            "--subpixel",
            "gauss",
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
    // each GeoTIFF explains itself in its GDAL metadata tag (42112), and
    // no `.aux.xml` sidecar is written
    for name in ["vx.tif", "dx_px.tif", "snr.tif", "speed_unfiltered.tif"] {
        let md = geotiff::read_info(out.join(name)).unwrap().metadata;
        for (key, want) in [
            ("DATES", "2020-01-01,2020-01-13,2020-01-25"),
            ("PAIR_INTERVAL_DAYS", "12"),
            ("TEMPLATE_PX", "64"),
            ("SEARCH_RADIUS_PX", "8"),
            ("SUBPIXEL_ESTIMATOR", "gauss"),
            ("SUBPIXEL_FIT_WINDOW", "11"),
        ] {
            assert_eq!(md.get(key), Some(want), "{name}: {key} in {md:?}");
        }
        assert!(
            md.band(0).and_then(|b| b.description.as_deref()).is_some(),
            "{name}: no band description"
        );
    }
    let vx_md = geotiff::read_info(out.join("vx.tif")).unwrap().metadata;
    assert_eq!(vx_md.band(0).unwrap().unit.as_deref(), Some("m/d"));
    assert_eq!(
        vx_md.band(0).unwrap().description.as_deref(),
        Some("east velocity, filtered")
    );
    let sidecars: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".aux.xml"))
        .collect();
    assert!(sidecars.is_empty(), "sidecars written: {sidecars:?}");
    // `cryosar info` prints the tag
    let o = Command::new(env!("CARGO_BIN_EXE_cryosar"))
        .args(["info", out.join("vx.tif").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let info = String::from_utf8_lossy(&o.stdout);
    assert!(
        info.contains("SUBPIXEL_ESTIMATOR") && info.contains("2020-01-01,2020-01-13,2020-01-25"),
        "{info}"
    );

    // m/yr output, a negative SNR threshold accepted
    let out_y = d.join("vel_yr");
    let o = Command::new(env!("CARGO_BIN_EXE_cryosar"))
        .arg("velocity")
        .args(&paths)
        .args(["--dates", "2020-01-01,2020-01-13,2020-01-25"])
        .args(["--template", "64", "--step", "32", "--search", "8"])
        .args(["--units", "m/yr", "--vmax", "800", "--snr-min", "-5"])
        .args(["--subpixel", "gauss", "--fit-window", "11"])
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
    // metadata in each GeoTIFF's GDAL metadata tag, one description per
    // interval band; no `.aux.xml` sidecar
    let md = geotiff::read_info(out.join("velocity_east.tif"))
        .unwrap()
        .metadata;
    assert_eq!(md.get("CRYOSAR_COMMAND"), Some("cryosar velocity-series"));
    assert_eq!(
        md.get("DATES"),
        Some("2021-05-01,2021-05-11,2021-05-23,2021-05-31")
    );
    assert_eq!(md.get("VELOCITY_UNIT"), Some("m/d"));
    for (b, w) in dates.windows(2).enumerate() {
        let band = md.band(b).unwrap();
        assert_eq!(
            band.description.as_deref(),
            Some(format!("east velocity {} to {}", w[0], w[1]).as_str())
        );
        assert_eq!(band.unit.as_deref(), Some("m/d"));
    }
    let rms = geotiff::read_info(out.join("residual_rms_m.tif"))
        .unwrap()
        .metadata;
    assert_eq!(rms.band(0).unwrap().unit.as_deref(), Some("m"));
    assert_eq!(rms.get("PAIRS"), Some("5"));
    assert!(std::fs::read_dir(&out).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".aux.xml")));
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

/// `cryosar velocity-series` on noisy pairs in m/yr with one gross-error
/// pair per template and σ estimated from the data: the gross errors are
/// removed, the series recovered within the noise, σ̂ printed close to the
/// truth; a pair file that cannot be read is an error naming it that
/// leaves no output behind.
#[test]
fn velocity_series_removes_gross_errors_and_is_all_or_nothing() {
    use rand::Rng;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (rows, cols) = (6usize, 7usize);
    let grid = Grid::north_up(
        rows,
        cols,
        400_000.0,
        5_000_000.0,
        120.0,
        120.0,
        Crs::epsg(32607),
    );
    let days = [0i64, 12, 24, 36, 48, 60, 72];
    let dates = [
        "2022-06-01",
        "2022-06-13",
        "2022-06-25",
        "2022-07-07",
        "2022-07-19",
        "2022-07-31",
        "2022-08-12",
    ];
    // east speed (m/d) per interval: a surge pulse on a 1 m/d flow
    let v = [1.0, 1.5, 3.0, 4.0, 2.0, 1.0];
    let pos: Vec<f64> = (0..days.len())
        .map(|k| (0..k).map(|i| v[i] * (days[i + 1] - days[i]) as f64).sum())
        .collect();
    let sigma_m = 0.8;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(77);
    // N(0, σ²) by Box–Muller
    let noise = |rng: &mut rand_xoshiro::Xoshiro256PlusPlus| -> f64 {
        let (u, w): (f64, f64) = (rng.gen_range(f64::EPSILON..1.0), rng.gen());
        sigma_m * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * w).cos()
    };
    let pairs: Vec<(usize, usize)> = (1..=3)
        .flat_map(|a| (0..days.len() - a).map(move |i| (i, i + a)))
        .collect();
    // one gross error (+40 m) per template, on a random pair
    let bad: Vec<usize> = (0..rows * cols)
        .map(|_| rng.gen_range(0..pairs.len()))
        .collect();
    let mut csv = String::from("primary,secondary,vx,vy\n");
    for (p, &(i, j)) in pairs.iter().enumerate() {
        let t = (days[j] - days[i]) as f64;
        let mut vx = ndarray::Array2::zeros((rows, cols));
        let mut vy = ndarray::Array2::zeros((rows, cols));
        for r in 0..rows {
            for c in 0..cols {
                let gross = if bad[r * cols + c] == p { 40.0 } else { 0.0 };
                // m/yr velocities from noisy displacements (m)
                vx[[r, c]] = (pos[j] - pos[i] + noise(&mut rng) + gross) / t * 365.25;
                vy[[r, c]] = noise(&mut rng) / t * 365.25;
            }
        }
        for (name, a) in [(format!("vx_{p}.tif"), vx), (format!("vy_{p}.tif"), vy)] {
            geotiff::write_f64(d.join(&name), &Raster::new(a, grid.clone()).unwrap()).unwrap();
        }
        csv.push_str(&format!(
            "{},{},vx_{p}.tif,vy_{p}.tif\n",
            dates[i], dates[j]
        ));
    }
    std::fs::write(d.join("pairs.csv"), &csv).unwrap();
    let out = d.join("series");
    let o = Command::new(env!("CARGO_BIN_EXE_cryosar"))
        .arg("velocity-series")
        .args(["--pairs", d.join("pairs.csv").to_str().unwrap()])
        .args(["--units", "m/yr", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // σ̂ (metres) in the summary line, within 25 % of the truth
    let stdout = String::from_utf8_lossy(&o.stdout);
    let sig: f64 = stdout
        .split("noise σ = ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no σ in {stdout}"));
    assert!(
        (sig - sigma_m).abs() < 0.25 * sigma_m,
        "σ̂ {sig} m vs {sigma_m} m"
    );
    let removed = geotiff::read_f64(out.join("removed_pairs.tif"), 0).unwrap();
    let n_removed = removed.data.iter().filter(|&&x| x >= 1.0).count();
    assert!(
        n_removed >= rows * cols * 9 / 10,
        "{n_removed} templates cleaned"
    );
    // every interval within 4 σ of its velocity (σ of a 12-day interval
    // velocity ≤ σ_d / 12 d · 365.25 ≈ 24 m/yr without redundancy)
    let bands = geotiff::read_all_f64(out.join("velocity_east.tif")).unwrap();
    assert_eq!(bands.len(), v.len());
    for (k, (b, want)) in bands.iter().zip(v).enumerate() {
        let med = sar_core::stats::median(b.data.iter().copied()).unwrap();
        assert!(
            (med - want * 365.25).abs() < 12.0,
            "interval {k}: median {med} m/yr vs {}",
            want * 365.25
        );
    }
    // georeferencing kept
    assert_eq!(bands[0].grid.pixel_size_map(), (120.0, 120.0));

    // a missing pair file: an error naming it, and no output written
    std::fs::remove_file(d.join("vy_3.tif")).unwrap();
    let out2 = d.join("series2");
    let o = Command::new(env!("CARGO_BIN_EXE_cryosar"))
        .arg("velocity-series")
        .args(["--pairs", d.join("pairs.csv").to_str().unwrap()])
        .args(["--out", out2.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("vy_3.tif"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out2.exists() || std::fs::read_dir(&out2).unwrap().count() == 0);
}
