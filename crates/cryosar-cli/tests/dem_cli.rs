//! End-to-end tests of `cryosar dem` (issue 16) through the binary: the
//! generic input (two raw float32 SLCs + a JSON geometry description) and a
//! CoSSC product (half-float SLCs) give the same DEM up to quantisation; every output is written (GeoTIFFs with
//! the reference's georeferencing, PNG quick-looks, a JSON report with the
//! datum); the DEM matches the synthetic truth; bad flags and files exit
//! with status 1, a message naming the flag or file, and no output.

use std::path::Path;
use std::process::{Command, Output};

use insar_dem::generic::{write_raw_slc, ByteOrder, GeometryDescription};
use insar_dem::synthetic::{bistatic_pair, SceneParams};
use sar_core::geotiff;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cryosar"))
        .args(args)
        .output()
        .expect("cannot start cryosar")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temporary path")
}

#[test]
fn dem_from_generic_input_and_from_cossc() {
    let pair = bistatic_pair(
        31,
        &SceneParams {
            lines: 72,
            samples: 64,
            ..SceneParams::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, b, g, r) = (
        d.join("a.slc"),
        d.join("b.slc"),
        d.join("geom.json"),
        d.join("ref.tif"),
    );
    write_raw_slc(&a, &pair.active_slc, ByteOrder::Big).unwrap();
    write_raw_slc(&b, &pair.passive_slc, ByteOrder::Big).unwrap();
    GeometryDescription::from_pair(&pair.geometry, ByteOrder::Big)
        .write(&g)
        .unwrap();
    geotiff::write_f64(&r, &pair.reference).unwrap();
    let out = d.join("out");
    let o = run(&[
        "dem",
        "--slc1",
        s(&a),
        "--slc2",
        s(&b),
        "--geometry",
        s(&g),
        "--ref",
        s(&r),
        "--out",
        s(&out),
        "--iterations",
        "2",
        "--seed",
        "4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "dem.tif",
        "dh_1.tif",
        "dh_2.tif",
        "coherence.tif",
        "mask.tif",
        "unwrapped_phase.tif",
        "report.json",
        "dem_hillshade.png",
        "dh_total.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    for png in ["dem_hillshade.png", "dh_total.png"] {
        let bytes = std::fs::read(out.join(png)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png} is not a PNG");
        assert!(bytes.len() > 5_000, "{png} is only {} bytes", bytes.len());
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["datum"], "WGS84 ellipsoid heights");
    assert_eq!(report["p"], 1.0);
    assert_eq!(report["input"]["geometry"], s(&g));
    assert_eq!(report["iterations"].as_array().unwrap().len(), 2);
    let dem = geotiff::read_f64(out.join("dem.tif"), 0).unwrap();
    assert_eq!(dem.grid, pair.reference.grid, "georeferencing must be kept");
    let mask = geotiff::read_u8(out.join("mask.tif"), 0).unwrap();
    let errs: Vec<f64> = dem
        .data
        .iter()
        .zip(pair.truth.data.iter())
        .zip(mask.data.iter())
        .filter(|(_, &m)| m == 0)
        .map(|((x, t), _)| x - t)
        .collect();
    assert!(errs.len() > 100, "only {} valid pixels", errs.len());
    let med = sar_core::stats::median(errs.iter().copied()).unwrap();
    let nmad = sar_core::stats::nmad(errs.iter().copied()).unwrap();
    // H₀ is off by up to 30 m (glacier, moraine); the refined DEM is within
    // the phase noise (≈ 1 m at coherence 0.9, h_a 40 m).
    assert!(
        med.abs() < 0.5 && nmad < 2.0,
        "median {med} m, NMAD {nmad} m"
    );

    // The same pair as a CoSSC product gives the same DEM.
    let cossc = d.join("cossc");
    pair.to_cossc(true).unwrap().write(&cossc, false).unwrap();
    let out2 = d.join("out2");
    let o = run(&[
        "dem",
        "--cossc",
        s(&cossc),
        "--ref",
        s(&r),
        "--out",
        s(&out2),
        "--iterations",
        "2",
        "--seed",
        "4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dem2 = geotiff::read_f64(out2.join("dem.tif"), 0).unwrap();
    // The CoSSC stores the SLCs as half floats (COSAR v2): a quantisation
    // of ≈ 5e-4 relative, ≈ 1 mm in height.
    let diffs: Vec<f64> = dem
        .data
        .iter()
        .zip(dem2.data.iter())
        .zip(mask.data.iter())
        .filter(|(_, &m)| m == 0)
        .map(|((x, y), _)| (x - y).abs())
        .collect();
    let med = sar_core::stats::median(diffs.iter().copied()).unwrap();
    let big = diffs.iter().filter(|&&d| d > 0.5).count();
    assert!(
        med < 0.02 && big * 100 < diffs.len(),
        "CoSSC and generic input differ: median {med} m, {big} of {} pixels by > 0.5 m",
        diffs.len()
    );

    // Bad input: --slc1 without --geometry; a truncated SLC; both inputs.
    let o = run(&[
        "dem",
        "--slc1",
        s(&a),
        "--slc2",
        s(&b),
        "--ref",
        s(&r),
        "--out",
        s(&d.join("o3")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--geometry"), "{}", stderr(&o));
    let short = d.join("short.slc");
    std::fs::write(&short, &std::fs::read(&b).unwrap()[..1000]).unwrap();
    let o4 = d.join("o4");
    let o = run(&[
        "dem",
        "--slc1",
        s(&a),
        "--slc2",
        s(&short),
        "--geometry",
        s(&g),
        "--ref",
        s(&r),
        "--out",
        s(&o4),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("short.slc"), "{}", stderr(&o));
    assert!(!o4.exists(), "a failed run must leave no output");
    let o = run(&[
        "dem",
        "--cossc",
        s(&cossc),
        "--slc1",
        s(&a),
        "--slc2",
        s(&b),
        "--geometry",
        s(&g),
        "--ref",
        s(&r),
        "--out",
        s(&d.join("o5")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--cossc"), "{}", stderr(&o));
}
