//! Geometry checks: the independent NumPy implementation in
//! tools/reference/dem_geometry_reference.py (outputs stored in
//! dem_geometry_reference.json), round trips over relief, and the height of
//! ambiguity from the numerical ∂φ/∂h against λR sinθ/(p B⊥).

use insar_dem::geometry::*;
use insar_dem::DemError;
use ndarray::Array2;
use sar_core::{Crs, Grid, Raster};
use serde_json::Value;

const REFERENCE: &str = include_str!("../../../tools/reference/dem_geometry_reference.json");

fn orbit_from(v: &Value) -> Orbit {
    let svs = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let arr = |k: &str| {
                let a = s[k].as_array().unwrap();
                [
                    a[0].as_f64().unwrap(),
                    a[1].as_f64().unwrap(),
                    a[2].as_f64().unwrap(),
                ]
            };
            StateVector {
                time: s["time"].as_f64().unwrap(),
                position: arr("position"),
                velocity: arr("velocity"),
            }
        })
        .collect();
    Orbit::new(svs).unwrap()
}

fn reference_pair(mode: AcquisitionMode) -> (PairGeometry, Value) {
    let doc: Value = serde_json::from_str(REFERENCE).unwrap();
    let g = &doc["grid"];
    let grid = RadarGrid {
        sensing_start: g["sensing_start"].as_f64().unwrap(),
        line_time: g["line_time"].as_f64().unwrap(),
        near_range: g["near_range"].as_f64().unwrap(),
        range_spacing: g["range_spacing"].as_f64().unwrap(),
        wavelength: g["wavelength"].as_f64().unwrap(),
        look_side: LookSide::Right,
        lines: g["lines"].as_u64().unwrap() as usize,
        samples: g["samples"].as_u64().unwrap() as usize,
    };
    let pair = PairGeometry::new(
        orbit_from(&doc["active"]),
        orbit_from(&doc["passive"]),
        grid,
        mode,
    )
    .unwrap();
    (pair, doc)
}

#[test]
fn matches_independent_numpy_implementation() {
    for (mode, key) in [
        (AcquisitionMode::Bistatic, "bistatic"),
        (AcquisitionMode::Monostatic, "monostatic"),
    ] {
        let (pair, doc) = reference_pair(mode);
        let cases = doc["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 12);
        for c in cases {
            let f = |k: &str| c[k].as_f64().unwrap();
            let e = c["ecef"].as_array().unwrap();
            let x = [
                e[0].as_f64().unwrap(),
                e[1].as_f64().unwrap(),
                e[2].as_f64().unwrap(),
            ];
            // geo2rdr of the NumPy rdr2geo point gives back its radar coordinates.
            let rp = pair.geo2rdr(x).unwrap();
            assert!(
                (rp.row - f("row")).abs() < 1e-6 && (rp.col - f("col")).abs() < 1e-6,
                "{rp:?}"
            );
            assert!((rp.active.range - f("range_active")).abs() < 1e-6);
            // rdr2geo at the same height lands on the same point (NumPy: 2-D Newton in lat/lon).
            let y = pair.rdr2geo_height(f("row"), f("col"), f("h")).unwrap();
            let d = ((y[0] - x[0]).powi(2) + (y[1] - x[1]).powi(2) + (y[2] - x[2]).powi(2)).sqrt();
            assert!(d < 1e-4, "rdr2geo differs by {d} m");
            let g = ecef_to_geodetic(x);
            assert!((g.lat - f("lat")).abs() < 1e-10 && (g.lon - f("lon")).abs() < 1e-10);
            let zp = pair.passive_zero_doppler(x, rp.active.time).unwrap();
            assert!((zp.range - f("range_passive")).abs() < 1e-6);
            assert!((zp.time - f("time_passive")).abs() < 1e-9);
            let m = &c[key];
            let phase = pair.phase(x).unwrap();
            assert!(
                (phase - m["phase"].as_f64().unwrap()).abs() < 1e-3,
                "phase {phase} vs {}",
                m["phase"]
            );
            let b = pair.baseline(x).unwrap();
            assert!(
                (b.perpendicular - f("b_perp")).abs() < 1e-4,
                "B⊥ {} vs {}",
                b.perpendicular,
                f("b_perp")
            );
            assert!((b.incidence - f("incidence")).abs() < 1e-9);
            let dphi = pair.dphi_dh(f("row"), f("col"), f("h")).unwrap();
            let want = m["dphi_dh"].as_f64().unwrap();
            assert!((dphi / want - 1.0).abs() < 1e-5, "∂φ/∂h {dphi} vs {want}");
            let ha = pair.height_of_ambiguity_closed_form(x).unwrap();
            assert!((ha / m["ha_closed"].as_f64().unwrap() - 1.0).abs() < 1e-7);
        }
    }
}

#[test]
fn height_of_ambiguity_numeric_equals_closed_form_for_p1_and_p2() {
    let (bi, _) = reference_pair(AcquisitionMode::Bistatic);
    let (mono, _) = reference_pair(AcquisitionMode::Monostatic);
    let mut worst: f64 = 0.0;
    for &(row, col) in &[
        (0.0, 0.0),
        (399.0, 599.0),
        (200.0, 300.0),
        (17.0, 555.0),
        (388.0, 3.0),
    ] {
        for &h in &[-200.0, 0.0, 2500.0, 6000.0] {
            let x = bi.rdr2geo_height(row, col, h).unwrap();
            for pair in [&bi, &mono] {
                let num = pair.height_of_ambiguity(row, col, h).unwrap();
                let closed = pair.height_of_ambiguity_closed_form(x).unwrap();
                let rel = (num / closed - 1.0).abs();
                worst = worst.max(rel);
                assert!(
                    rel < 1e-3,
                    "p = {}: numeric {num} m vs closed form {closed} m",
                    pair.mode.p()
                );
            }
            // p = 2 halves the height of ambiguity.
            let r = mono.height_of_ambiguity(row, col, h).unwrap()
                / bi.height_of_ambiguity(row, col, h).unwrap();
            assert!((r - 0.5).abs() < 1e-9, "{r}");
        }
    }
    eprintln!("worst relative difference numeric vs closed-form h_a: {worst:.2e}");
}

/// A DEM with relief (slopes up to ≈ 30°, no layover at ≈ 34° incidence)
/// covering the reference scene.
fn relief_dem(pair: &PairGeometry) -> Raster<f64> {
    let mut lat = (f64::INFINITY, f64::NEG_INFINITY);
    let mut lon = (f64::INFINITY, f64::NEG_INFINITY);
    for (r, c) in [(0.0, 0.0), (0.0, 599.0), (399.0, 0.0), (399.0, 599.0)] {
        for h in [0.0, 3000.0] {
            let g = ecef_to_geodetic(pair.rdr2geo_height(r, c, h).unwrap());
            lat = (lat.0.min(g.lat), lat.1.max(g.lat));
            lon = (lon.0.min(g.lon), lon.1.max(g.lon));
        }
    }
    let d = 1.0 / 3600.0;
    let (x0, y0) = (lon.0 - 10.0 * d, lat.1 + 10.0 * d);
    let cols = ((lon.1 - lon.0) / d) as usize + 20;
    let rows = ((lat.1 - lat.0) / d) as usize + 20;
    let grid = Grid::north_up(rows, cols, x0, y0, d, d, Crs::wgs84());
    let data = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let (x, y) = (c as f64 * 24.0, r as f64 * 31.0);
        1500.0 + 250.0 * (x / 900.0).sin() * (y / 1100.0).cos() + 150.0 * ((x + y) / 700.0).cos()
    });
    Raster::new(data, grid).unwrap()
}

#[test]
fn round_trips_over_relief_within_a_thousandth_of_a_pixel() {
    let (pair, _) = reference_pair(AcquisitionMode::Bistatic);
    let dem = relief_dem(&pair);
    let s = DemSampler::new(&dem).unwrap();
    // radar → geo (on the DEM) → radar.
    let mut n = 0;
    let mut worst: f64 = 0.0;
    for row in (0..400).step_by(37) {
        for col in (0..600).step_by(41) {
            let g = pair
                .rdr2geo_dem(row as f64 + 0.25, col as f64 + 0.5, &s, 1500.0)
                .unwrap();
            let rp = pair.geo2rdr(geodetic_to_ecef(g)).unwrap();
            let e = (rp.row - row as f64 - 0.25)
                .abs()
                .max((rp.col - col as f64 - 0.5).abs());
            worst = worst.max(e);
            n += 1;
        }
    }
    assert!(n > 100);
    assert!(worst < 1e-3, "radar→geo→radar error {worst} px");
    // geo → radar → geo: DEM pixel centres inside the scene.
    let (rows, cols) = dem.shape();
    let mut m = 0;
    let mut worst_geo: f64 = 0.0;
    for r in (0..rows).step_by(9) {
        for c in (0..cols).step_by(9) {
            let (lon, lat) = dem.grid.pixel_center(r, c);
            let h = dem.data[[r, c]];
            let rp = pair
                .geo2rdr(geodetic_to_ecef(Geodetic { lat, lon, h }))
                .unwrap();
            if rp.row < 0.0 || rp.row > 399.0 || rp.col < 0.0 || rp.col > 599.0 {
                continue;
            }
            let g = pair.rdr2geo_dem(rp.row, rp.col, &s, h).unwrap();
            // Error in DEM pixels (1″).
            let e = ((g.lat - lat).abs().max((g.lon - lon).abs())) * 3600.0;
            worst_geo = worst_geo.max(e);
            m += 1;
        }
    }
    assert!(m > 50, "{m}");
    assert!(worst_geo < 1e-3, "geo→radar→geo error {worst_geo} DEM px");
}

#[test]
fn orbit_that_does_not_cover_the_scene_is_refused() {
    let (pair, _) = reference_pair(AcquisitionMode::Bistatic);
    let mut long = pair.clone();
    long.grid.lines = 100_000; // 200 s of lines, the orbit spans 60 s
    let e = long.check_coverage().unwrap_err();
    assert!(e.to_string().contains("active orbit covers"), "{e}");
    let e = long.rdr2geo_height(90_000.0, 10.0, 0.0).unwrap_err();
    assert!(matches!(e, DemError::OrbitCoverage { .. }), "{e}");
    // A DEM on a projected grid is refused by name.
    let dem = Raster::new(
        Array2::zeros((3, 3)),
        Grid::north_up(3, 3, 0.0, 0.0, 30.0, 30.0, Crs::epsg(32632)),
    )
    .unwrap();
    assert!(DemSampler::new(&dem)
        .unwrap_err()
        .to_string()
        .contains("geographic"));
}

/// The fast paths of the look-up table and the simulation (one orbit state
/// per azimuth line, warm starts from the neighbouring pixel, `∂φ/∂h` from
/// a known geo2rdr solution) agree with the plain per-pixel functions and
/// keep the 1e-3 px round trip.
#[test]
fn warm_started_paths_equal_the_plain_ones() {
    let (pair, _) = reference_pair(AcquisitionMode::Bistatic);
    let dem = relief_dem(&pair);
    let s = DemSampler::new(&dem).unwrap();
    let (mut worst_m, mut worst_px, mut worst_k): (f64, f64, f64) = (0.0, 0.0, 0.0);
    let mut n = 0;
    for row in (0..400).step_by(53) {
        let line = pair.azimuth_line(row as f64).unwrap();
        let mut psi = None;
        let mut t_guess = line.time();
        for col in 0..600 {
            let (g, ps) = line.rdr2geo_dem(col as f64, &s, psi, 1500.0).unwrap();
            psi = Some(ps);
            let plain = pair
                .rdr2geo_dem(row as f64, col as f64, &s, 1500.0)
                .unwrap();
            let (x, y) = (geodetic_to_ecef(g), geodetic_to_ecef(plain));
            let d = ((x[0] - y[0]).powi(2) + (x[1] - y[1]).powi(2) + (x[2] - y[2]).powi(2)).sqrt();
            worst_m = worst_m.max(d);
            let rp = pair.geo2rdr_from(x, t_guess).unwrap();
            t_guess = rp.active.time;
            let e = (rp.row - row as f64).abs().max((rp.col - col as f64).abs());
            worst_px = worst_px.max(e);
            if col % 37 == 0 {
                let fast = pair.dphi_dh_at(&rp, x).unwrap();
                let slow = pair.dphi_dh(rp.row, rp.col, g.h).unwrap();
                worst_k = worst_k.max((fast / slow - 1.0).abs());
            }
            n += 1;
        }
    }
    assert!(n > 3000);
    assert!(worst_m < 1e-3, "line rdr2geo differs by {worst_m} m");
    assert!(
        worst_px < 1e-3,
        "warm-started round trip error {worst_px} px"
    );
    assert!(worst_k < 1e-6, "dphi_dh_at differs by {worst_k} (relative)");
}
