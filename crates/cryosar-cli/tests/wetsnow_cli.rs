//! End-to-end test of `cryosar wetsnow` and `cryosar snowstats` on the
//! synthetic basin of `snowmelt::synthetic`, whose wet-snow mask is known.

use std::process::Command;

use sar_core::geotiff;
use snowmelt::synthetic::{truth_wet, Basin, BasinParams};

fn cryosar() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cryosar"))
}

#[test]
fn wetsnow_recovers_the_synthetic_mask_and_reuses_its_mixture() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let params = BasinParams::new();
    let b = Basin::generate(&params, 42).unwrap();
    let (vv, vh) = b.summer.backscatter.require().unwrap();
    let (rvv, rvh) = b.reference.require().unwrap();
    for (name, r) in [
        ("vv", vv),
        ("vh", vh),
        ("ref_vv", rvv),
        ("ref_vh", rvh),
        ("dem", &b.dem),
    ] {
        geotiff::write_f64(d.join(format!("{name}.tif")), r).unwrap();
    }
    let run = |out: &str, extra: &[&str]| {
        let o = cryosar()
            .arg("wetsnow")
            .args(["--vv", d.join("vv.tif").to_str().unwrap()])
            .args(["--vh", d.join("vh.tif").to_str().unwrap()])
            .args(["--ref-vv", d.join("ref_vv.tif").to_str().unwrap()])
            .args(["--ref-vh", d.join("ref_vh.tif").to_str().unwrap()])
            .args(["--dem", d.join("dem.tif").to_str().unwrap()])
            .args(["--incidence", "39", "--heading", "-10"])
            .args(extra)
            .args(["--out", d.join(out).to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run("si", &[]);
    let mask = geotiff::read_u8(d.join("si/wetsnow.tif"), 0).unwrap();
    assert!(mask.grid.same_as(&b.dem.grid));
    // F1 of the SI mask against the truth (255 = no data, skipped).
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (m, t) in mask.data.iter().zip(b.truth.data.iter()) {
        if *m == 255 || *t == 255 {
            continue;
        }
        match (*m == 1, *t == 1) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            _ => {}
        }
    }
    let f1 = 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64;
    assert!(f1 > 0.85, "F1 of SI vs truth = {f1}");
    // The saved mixture, reused for another run, gives the same mask.
    run(
        "reuse",
        &["--gmm-from", d.join("si/gmm.json").to_str().unwrap()],
    );
    let again = geotiff::read_u8(d.join("reuse/wetsnow.tif"), 0).unwrap();
    assert_eq!(again.data, mask.data);
    // Missing reference: a clear error, no output.
    let o = cryosar()
        .arg("wetsnow")
        .args(["--vv", d.join("vv.tif").to_str().unwrap()])
        .args(["--vh", d.join("vh.tif").to_str().unwrap()])
        .args(["--ref-vv", d.join("nope.tif").to_str().unwrap()])
        .args(["--ref-vh", d.join("ref_vh.tif").to_str().unwrap()])
        .args(["--dem", d.join("dem.tif").to_str().unwrap()])
        .args(["--incidence", "39", "--heading", "-10"])
        .args(["--out", d.join("bad").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.tif"));
    assert!(!d.join("bad/wetsnow.tif").exists());

    // snowstats on two truth masks one year apart: duration per year = 365 · M/N.
    let mut p2 = params.clone();
    p2.snowline_m += 200.0;
    let wet = |p: &BasinParams| {
        let m = ndarray::Zip::from(&b.dem.data)
            .and(&b.aspect.data)
            .map_collect(|&z, &a| u8::from(truth_wet(p, z, a)));
        sar_core::Raster::new(m, b.dem.grid.clone()).unwrap()
    };
    let (m1, m2) = (wet(&params), wet(&p2));
    geotiff::write_u8(d.join("m1.tif"), &m1).unwrap();
    geotiff::write_u8(d.join("m2.tif"), &m2).unwrap();
    let o = cryosar()
        .arg("snowstats")
        .arg(d.join("m1.tif"))
        .arg(d.join("m2.tif"))
        .args(["--dates", "2020-05-01,2020-05-13"])
        .args(["--dem", d.join("dem.tif").to_str().unwrap()])
        .args(["--out", d.join("stats").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dur = geotiff::read_f64(d.join("stats/duration_2020.tif"), 0).unwrap();
    for ((a, b2), v) in m1.data.iter().zip(m2.data.iter()).zip(dur.data.iter()) {
        let expected = 365.0 * f64::from(a + b2) / 2.0;
        assert!((v - expected).abs() < 1e-9, "{v} vs {expected}");
    }
    let csv = std::fs::read_to_string(d.join("stats/extent.csv")).unwrap();
    assert!(
        csv.lines().count() > 3 && csv.contains("2020-05-13"),
        "{csv}"
    );
}
