//! Points: reading ICESat shots and sampling a DEM, checked against GMT
//! grdtrack on the same DEM (Hooker Island, `tests/data/core/icesat/`,
//! README there for sources and licences).

use std::path::PathBuf;

use sar_core::points::{compare_points, read_points, sample_at_points, PointOptions, Points};
use sar_core::{geotiff, stats, Crs, SarError};

fn ice(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/core/icesat")
        .join(name)
}

fn dem() -> sar_core::Raster<f64> {
    geotiff::read_f64(ice("HookerFJL_14APR02WV02DEM1_warped.tif"), 0).unwrap()
}

fn columns(name: &str) -> Vec<Vec<f64>> {
    std::fs::read_to_string(ice(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split_whitespace()
                .map(|t| t.parse::<f64>().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

fn utm40() -> PointOptions {
    PointOptions {
        z_column: None,
        crs: Some(Crs::epsg(32640)),
    }
}

/// Bilinear samples equal GMT grdtrack -nl (run by
/// tools/reference/core_reference.py on the same DEM) to float precision.
#[test]
fn bilinear_samples_match_gmt_grdtrack() {
    let dem = dem();
    assert_eq!(dem.grid.crs.epsg, Some(32640));
    let pts = read_points(ice("ICESAT_refpts_45.xyz"), &utm40()).unwrap();
    assert_eq!(pts.len(), 45);
    let ours = sample_at_points(&dem, &pts).unwrap();
    let gmt = columns("grdtrack_bilinear_ours.xyz");
    assert_eq!(gmt.len(), 45);
    let mut compared = 0;
    for (o, g) in ours.iter().zip(&gmt) {
        if g[3].is_finite() {
            assert!((o - g[3]).abs() < 1e-3, "ours {o} vs GMT {}", g[3]);
            compared += 1;
        }
    }
    assert!(compared >= 40, "{compared}");
}

/// DEM − ICESat statistics against those computed from CARST's stored
/// grdtrack output (GMT's default bicubic, so differences of a few cm per
/// point are expected between the kernels; the statistics agree within 5 cm).
#[test]
fn dem_minus_icesat_statistics_agree_with_carst_grdtrack() {
    let dem = dem();
    let pts = read_points(ice("ICESAT_refpts_45.xyz"), &utm40()).unwrap();
    let s = compare_points(&dem, &pts).unwrap();
    let rows = columns("grdtrack_output_icesat_vs_dem.xyz");
    let d: Vec<f64> = rows.iter().map(|r| r[3] - r[2]).collect();
    let (mean, median, nmad) = (
        stats::mean(d.iter().copied()).unwrap(),
        stats::median(d.iter().copied()).unwrap(),
        stats::nmad(d.iter().copied()).unwrap(),
    );
    eprintln!(
        "ours (bilinear): n={} mean={:.4} median={:.4} nmad={:.4}; GMT bicubic: n={} mean={mean:.4} median={median:.4} nmad={nmad:.4}",
        s.count, s.mean, s.median, s.nmad, stats::count(d.iter().copied())
    );
    assert!(s.count >= stats::count(d.iter().copied()));
    assert_eq!(s.n_points, 45);
    assert!((s.mean - mean).abs() < 0.05);
    assert!((s.median - median).abs() < 0.05);
    assert!((s.nmad - nmad).abs() < 0.05);
}

/// The 269-shot shapefile has no .prj: without a CRS it is an error naming
/// the file; with --crs its H_ell heights are read, and shots outside the
/// DEM are counted, not dropped silently.
#[test]
fn shapefile_points_without_prj() {
    let e = read_points(ice("ICESAT_subset.shp"), &PointOptions::default()).unwrap_err();
    assert!(
        matches!(e, SarError::Vector { ref path, .. } if path.ends_with("ICESAT_subset.shp")),
        "{e}"
    );
    let opts = PointOptions {
        z_column: Some("H_ell".into()),
        crs: Some(Crs::epsg(32640)),
    };
    let pts = read_points(ice("ICESAT_subset.shp"), &opts).unwrap();
    assert_eq!(pts.len(), 269);
    let s = compare_points(&dem(), &pts).unwrap();
    assert_eq!(s.count + s.n_outside_or_nodata, 269);
    let bad = PointOptions {
        z_column: Some("nope".into()),
        crs: Some(Crs::epsg(32640)),
    };
    assert!(matches!(
        read_points(ice("ICESAT_subset.shp"), &bad),
        Err(SarError::Vector { .. })
    ));
}

/// The same points given in longitude/latitude (CSV with a header) sample
/// the same DEM values: points are reprojected into the DEM's CRS.
#[test]
fn csv_lonlat_points_are_reprojected() {
    let dem = dem();
    let pts = read_points(ice("ICESAT_refpts_45.xyz"), &utm40()).unwrap();
    let t = sar_core::proj::Transformer::new(&Crs::epsg(32640), &Crs::wgs84()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pts.csv");
    let mut text = String::from("lon,lat,elev_m\n");
    for i in 0..pts.len() {
        let (lon, lat) = t.transform(pts.x[i], pts.y[i]).unwrap();
        text.push_str(&format!("{lon:.12},{lat:.12},{}\n", pts.z[i]));
    }
    std::fs::write(&p, text).unwrap();
    let opts = PointOptions {
        z_column: Some("elev_m".into()),
        crs: Some(Crs::wgs84()),
    };
    let ll = read_points(&p, &opts).unwrap();
    let a = sample_at_points(&dem, &pts).unwrap();
    let b = sample_at_points(&dem, &ll).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert!(
            (x - y).abs() < 1e-4 || (x.is_nan() && y.is_nan()),
            "{x} {y}"
        );
    }
    // Missing CRS for a CSV is an error; so are unequal lengths and a DEM
    // that no point hits.
    assert!(matches!(
        read_points(&p, &PointOptions::default()),
        Err(SarError::Vector { .. })
    ));
    assert!(Points::new(vec![1.0], vec![], vec![1.0], Crs::wgs84()).is_err());
    let far = Points::new(vec![0.0], vec![0.0], vec![0.0], Crs::epsg(32640)).unwrap();
    assert!(matches!(
        compare_points(&dem, &far),
        Err(SarError::NoValidData(_))
    ));
}
