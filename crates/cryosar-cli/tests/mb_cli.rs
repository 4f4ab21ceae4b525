//! End-to-end test of `cryosar dhdt` and `cryosar massbalance` on a
//! synthetic two-DEM region with a known horizontal/vertical shift and a
//! known, elevation-dependent dh/dt on elliptical glaciers (outline polygons
//! written as GeoJSON, in the DEMs' UTM zone and in WGS 84), spatially
//! correlated noise and voids; and the bad inputs of issue 12 (no overlap,
//! outlines without polygons, a glacier without a measured pixel, an outline
//! off the grid, bad flags), which must give exit status 1 naming the flag
//! or file, or a per-glacier status, and leave no output behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use geo::{Contains, Coord, LineString, Point, Polygon};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::{geotiff, Crs, Grid, Raster};
use uncertainty::{FieldGenerator, ModelKind, VariogramComponent, VariogramModel};

const PX: f64 = 30.0;
const N: usize = 180;
const X0: f64 = 500_000.0;
const Y0: f64 = 4_000_000.0; // bottom edge
const SHIFT: (f64, f64, f64) = (13.5, -8.1, 2.4);
const DATE_A: &str = "2011-08-16";
const DATE_B: &str = "2019-08-20";

/// An elliptical glacier: centre (map m), semi-axes (m), rotation, dh/dt at
/// its mid elevation (m/yr) and vertical gradient (1/yr).
struct Glacier {
    id: &'static str,
    c: (f64, f64),
    ab: (f64, f64),
    theta: f64,
    b0: f64,
    grad: f64,
}

fn glaciers() -> Vec<Glacier> {
    let g = |id, cx: f64, cy: f64, a: f64, b: f64, theta, b0, grad| Glacier {
        id,
        c: (X0 + cx * PX, Y0 + cy * PX),
        ab: (a * PX, b * PX),
        theta,
        b0,
        grad,
    };
    vec![
        g("RGI60-14.00001", 45.0, 135.0, 30.0, 17.0, 0.3, -1.2, 0.003),
        g("RGI60-14.00002", 135.0, 135.0, 28.0, 19.0, 1.9, -0.4, 0.002),
        g("RGI60-14.00003", 45.0, 48.0, 32.0, 16.0, 2.6, 0.25, 0.0015),
        g("RGI60-14.00004", 128.0, 55.0, 27.0, 20.0, 0.9, -0.8, 0.004),
        // entirely inside a void of the later DEM
        g("RGI60-14.00005", 90.0, 92.0, 22.0, 17.0, 0.0, -0.5, 0.0),
        // far outside the grid
        g("RGI60-14.00006", 900.0, 900.0, 20.0, 15.0, 0.0, -0.5, 0.0),
    ]
}

fn polygon(g: &Glacier) -> Polygon<f64> {
    let (st, ct) = g.theta.sin_cos();
    let ring: Vec<Coord<f64>> = (0..=96)
        .map(|k| {
            let t = std::f64::consts::TAU * (k % 96) as f64 / 96.0;
            let (u, v) = (g.ab.0 * t.cos(), g.ab.1 * t.sin());
            Coord {
                x: g.c.0 + u * ct - v * st,
                y: g.c.1 + u * st + v * ct,
            }
        })
        .collect();
    Polygon::new(LineString(ring), vec![])
}

fn grid() -> Grid {
    Grid::north_up(N, N, X0, Y0 + N as f64 * PX, PX, PX, Crs::epsg(32643))
}

fn surface(x: f64, y: f64) -> f64 {
    geodetic_mb::synthetic::surface(x - X0, y - Y0)
}

fn years() -> f64 {
    let a: sar_core::Date = DATE_A.parse().unwrap();
    let b: sar_core::Date = DATE_B.parse().unwrap();
    b.days_since(a) as f64 / 365.25
}

/// Mid elevation of each glacier from its pixels on the grid.
fn mid_elevations(polys: &[Polygon<f64>]) -> Vec<f64> {
    let gr = grid();
    polys
        .iter()
        .map(|p| {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for r in 0..N {
                for c in 0..N {
                    let (x, y) = gr.pixel_center(r, c);
                    if p.contains(&Point::new(x, y)) {
                        let h = surface(x, y);
                        lo = lo.min(h);
                        hi = hi.max(h);
                    }
                }
            }
            0.5 * (lo + hi)
        })
        .collect()
}

/// True dh/dt at a map point (m/yr).
fn truth_at(x: f64, y: f64, gl: &[Glacier], polys: &[Polygon<f64>], mids: &[f64]) -> f64 {
    for ((g, p), m) in gl.iter().zip(polys).zip(mids) {
        if p.contains(&Point::new(x, y)) {
            return (g.b0 + g.grad * (surface(x, y) - m)).clamp(-4.0, 1.5);
        }
    }
    0.0
}

struct Fixture {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    dem_a: PathBuf,
    dem_b: PathBuf,
    outlines_utm: PathBuf,
    outlines_wgs84: PathBuf,
    /// True glacier-wide mean dh/dt per glacier over its pixels (NaN off grid).
    truth: Vec<f64>,
}

fn write_outlines(path: &Path, polys: &[Polygon<f64>], gl: &[Glacier], to: Option<&Crs>) {
    let t = to.map(|c| sar_core::proj::Transformer::new(&Crs::epsg(32643), c).unwrap());
    let feats: Vec<serde_json::Value> = polys
        .iter()
        .zip(gl)
        .enumerate()
        .map(|(k, (p, g))| {
            let ring: Vec<Vec<f64>> = p
                .exterior()
                .0
                .iter()
                .map(|c| match &t {
                    Some(t) => {
                        let (x, y) = t.transform(c.x, c.y).unwrap();
                        vec![x, y]
                    }
                    None => vec![c.x, c.y],
                })
                .collect();
            let surging = if k == 1 { 3 } else { 0 };
            serde_json::json!({
                "type": "Feature",
                "properties": {"RGIId": g.id, "Name": format!("glacier {}", k + 1), "Surging": surging, "Area": 1.5},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            })
        })
        .collect();
    let mut fc = serde_json::json!({"type": "FeatureCollection", "features": feats});
    if to.is_none() {
        fc["crs"] = serde_json::json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32643"}});
    }
    std::fs::write(path, serde_json::to_string(&fc).unwrap()).unwrap();
}

fn fixture(seed: u64) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let gl = glaciers();
    let polys: Vec<Polygon<f64>> = gl.iter().map(polygon).collect();
    let mids = mid_elevations(&polys);
    let gr = grid();
    let yrs = years();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // correlated noise of the later DEM (m): Gaussian 400 m, sill 0.16 m²,
    // plus 0.15 m white noise on each DEM
    let vg = VariogramModel::new(vec![VariogramComponent::new(
        ModelKind::Gaussian,
        400.0,
        0.16,
    )])
    .unwrap();
    let field = FieldGenerator::new(N, N, (PX, PX), &vg)
        .unwrap()
        .sample(&mut rng);
    let mut white = |s: f64| {
        let (u1, u2): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen());
        s * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let (dx, dy, dz) = SHIFT;
    let void_poly = polygon(&gl[4]);
    let a = Array2::from_shape_fn((N, N), |(r, c)| {
        let (x, y) = gr.pixel_center(r, c);
        surface(x, y) + white(0.15)
    });
    let b = Array2::from_shape_fn((N, N), |(r, c)| {
        let (x, y) = gr.pixel_center(r, c);
        // the later DEM is displaced by (dx, dy, dz)
        let (xs, ys) = (x - dx, y - dy);
        // voids: glacier 5 wholly, and the upper-left part of glacier 1
        if void_poly.contains(&Point::new(xs, ys))
            || ((20..45).contains(&r) && (25..52).contains(&c))
        {
            return f64::NAN;
        }
        surface(xs, ys) + yrs * truth_at(xs, ys, &gl, &polys, &mids) + dz + field[[r, c]]
    });
    let b = b.mapv(|v| if v.is_nan() { v } else { v + white(0.15) });
    let dem_a = dir.join("dem_a.tif");
    let dem_b = dir.join("dem_b.tif");
    geotiff::write_f64(&dem_a, &Raster::new(a, gr.clone()).unwrap()).unwrap();
    geotiff::write_f64(&dem_b, &Raster::new(b, gr.clone()).unwrap()).unwrap();
    let outlines_utm = dir.join("rgi_utm.geojson");
    let outlines_wgs84 = dir.join("rgi_wgs84.geojson");
    write_outlines(&outlines_utm, &polys, &gl, None);
    write_outlines(&outlines_wgs84, &polys, &gl, Some(&Crs::epsg(4326)));
    let truth = polys
        .iter()
        .map(|p| {
            let (mut s, mut n) = (0.0, 0usize);
            for r in 0..N {
                for c in 0..N {
                    let (x, y) = gr.pixel_center(r, c);
                    if p.contains(&Point::new(x, y)) {
                        s += truth_at(x, y, &gl, &polys, &mids);
                        n += 1;
                    }
                }
            }
            s / n as f64
        })
        .collect();
    Fixture {
        _dir: tmp,
        dir,
        dem_a,
        dem_b,
        outlines_utm,
        outlines_wgs84,
        truth,
    }
}

fn cryosar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cryosar"))
        .args(args)
        .output()
        .unwrap()
}

/// Run cryosar and assert that it succeeded.
fn cryosar_ok(args: &[&str]) {
    let o = cryosar(args);
    assert!(o.status.success(), "cryosar {args:?}: {}", stderr(&o));
}

/// `cryosar dhdt --dem D@date … [extra…] --out OUT`.
fn dhdt_args<'a>(dems: &'a [String], extra: &[&'a str], out: &'a Path) -> Vec<&'a str> {
    let mut a = vec!["dhdt"];
    for d in dems {
        a.extend(["--dem", d.as_str()]);
    }
    a.extend_from_slice(extra);
    a.extend(["--out", s(out)]);
    a
}

/// `cryosar massbalance --dhdt DHDT --ref REF --outlines OUTLINES [extra…] --out OUT`.
fn massbalance_args<'a>(
    dhdt: &'a Path,
    reference: &'a Path,
    outlines: &'a Path,
    extra: &[&'a str],
    out: &'a Path,
) -> Vec<&'a str> {
    let mut a = vec![
        "massbalance",
        "--dhdt",
        s(dhdt),
        "--ref",
        s(reference),
        "--outlines",
        s(outlines),
    ];
    a.extend_from_slice(extra);
    a.extend(["--out", s(out)]);
    a
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The Nuth & Kääb shift (dx, dy, dz) of `epoch` in coregistration.json.
fn nk_shift(rep: &serde_json::Value, epoch: usize) -> (f64, f64, f64) {
    let nk = &rep["epochs"][epoch]["steps"][0];
    let f = |k: &str| nk[k].as_f64().unwrap_or_else(|| panic!("{k} in {nk}"));
    (f("dx_m"), f("dy_m"), f("dz_m"))
}

/// Assert a recovered shift within 0.1 px horizontally and 0.3 m vertically.
fn assert_shift(got: (f64, f64, f64), truth: (f64, f64, f64)) {
    assert!(
        (got.0 - truth.0).abs() < 0.1 * PX,
        "dx {got:?} vs {truth:?}"
    );
    assert!(
        (got.1 - truth.1).abs() < 0.1 * PX,
        "dy {got:?} vs {truth:?}"
    );
    assert!((got.2 - truth.2).abs() < 0.3, "dz {got:?} vs {truth:?}");
}

/// Assert that the four processed glaciers of a run are `ok` with
/// |z| ≤ 3, b = ρ·dh/dt, σ_b ≥ ρ·σ; that glaciers 5 and 6 carry their
/// status; return how many are within 1σ.
fn check_glacier_rows(rows: &[CsvRow], truth: &[f64], rho: f64, run: &str) -> usize {
    assert_eq!(rows.len(), 6, "{run}: one row per outline");
    let mut n_within1 = 0;
    for (row, t) in rows.iter().zip(truth).take(4) {
        assert_eq!(row.1, "ok", "{run}: {row:?}");
        let z = (t - row.2) / row.3;
        eprintln!(
            "{run} {}: {:.3} ± {:.3} m/yr, truth {t:.3}, z {z:.2}",
            row.0, row.2, row.3
        );
        assert!(row.3 > 0.0, "{run} {}: σ = {}", row.0, row.3);
        assert!(z.abs() <= 3.0, "{run} {}: z = {z}", row.0);
        n_within1 += usize::from(z.abs() <= 1.0);
        // b = ρ·dh/dt (eq. 4.5)
        assert!((row.4 - rho * row.2).abs() < 1e-4, "{run}: b of {}", row.0);
        assert!(row.5 >= rho * row.3 - 1e-4, "{run}: σ_b of {}", row.0);
    }
    assert_eq!(rows[4].1, "no_measured_pixel", "{run}");
    assert_eq!(rows[5].1, "not_on_grid", "{run}");
    n_within1
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn dem_arg(p: &Path, d: &str) -> String {
    format!("{}@{d}", p.display())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A row of glaciers.csv: (rgi_id, status, mean dh/dt, σ, b, σ_b, area km²).
type CsvRow = (String, String, f64, f64, f64, f64, f64);

/// Rows of glaciers.csv as (rgi_id, status, mean dh/dt, σ, b, σ_b, area km²).
fn read_csv(p: &Path) -> Vec<CsvRow> {
    let text = std::fs::read_to_string(p).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (ci, cs, cm, csg, cb, csb, ca) = (
        col("rgi_id"),
        col("status"),
        col("mean_dhdt_m_yr"),
        col("sigma_dhdt_m_yr"),
        col("b_mwe_yr"),
        col("sigma_b_mwe_yr"),
        col("area_km2"),
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let num = |i: usize| f[i].parse::<f64>().unwrap_or(f64::NAN);
            (
                f[ci].to_string(),
                f[cs].to_string(),
                num(cm),
                num(csg),
                num(cb),
                num(csb),
                num(ca),
            )
        })
        .collect()
}

#[test]
fn dhdt_then_massbalance_recover_shift_and_glacier_means() {
    let fx = fixture(21);
    let out = fx.dir.join("dhdt");
    let dems = [dem_arg(&fx.dem_a, DATE_A), dem_arg(&fx.dem_b, DATE_B)];
    let ref_outl = ["--ref", s(&fx.dem_a), "--outlines", s(&fx.outlines_utm)];
    cryosar_ok(&dhdt_args(&dems, &ref_outl, &out));
    let rep = read_json(&out.join("coregistration.json"));
    // epoch 1 is the reference DEM itself; epoch 2 carries SHIFT
    let e2 = &rep["epochs"][1];
    let got = nk_shift(&rep, 1);
    eprintln!("Nuth & Kääb: {got:?} m, truth {SHIFT:?}");
    assert_shift(got, SHIFT);
    assert!(e2["after"]["nmad_m"].as_f64().unwrap() < e2["before"]["nmad_m"].as_f64().unwrap());
    assert_eq!(
        rep["epochs"][0]["role"], "reference",
        "epoch 1 is --ref itself"
    );
    // every output exists and the rasters keep the georeferencing
    let gr = grid();
    for f in [
        "epoch1_mosaic.tif",
        "epoch2_mosaic.tif",
        "epoch1_date.tif",
        "epoch2_date.tif",
        "dhdt_raw.tif",
        "dhdt.tif",
    ] {
        let r = geotiff::read_f64(out.join(f), 0).unwrap();
        assert!(r.grid.same_as(&gr), "{f}: grid {} vs {gr}", r.grid);
        assert_eq!(r.grid.crs.epsg, Some(32643), "{f}");
    }
    let count = geotiff::read_u8(out.join("epoch2_count.tif"), 0).unwrap();
    assert!(count.grid.same_as(&gr));
    assert!(count.data.iter().filter(|&&c| c == 1).count() > N * N / 2);
    let date2 = geotiff::read_f64(out.join("epoch2_date.tif"), 0).unwrap();
    let day_b = DATE_B.parse::<sar_core::Date>().unwrap().days_since_epoch() as f64;
    assert!(date2.data.iter().all(|v| v.is_nan() || *v == day_b));
    let png = std::fs::read(out.join("dhdt.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // mass balance (local hypsometric fill: fast; the GP default is
    // exercised by the library tests and the calibration example).
    // Glacier 1 (RGI60-14.00001) has a quarter of its area void (a block
    // of its upper-left part) and the steepest dh/dt gradient; its tongue
    // (−2.2 m/yr) is where the other glaciers stand near 0, which the
    // outlier filter must not take for noise (bands per glacier).
    let dhdt = out.join("dhdt.tif");
    let mb = fx.dir.join("mb");
    cryosar_ok(&massbalance_args(
        &dhdt,
        &fx.dem_a,
        &fx.outlines_utm,
        &["--fill", "local-hypsometric"],
        &mb,
    ));
    let rows = read_csv(&mb.join("glaciers.csv"));
    let n_within1 = check_glacier_rows(&rows, &fx.truth, 0.85, "local-hypsometric");
    assert!(n_within1 >= 2, "{n_within1} of 4 glaciers within 1σ");
    for f in ["dhdt_filled.tif", "dhdt_sigma.tif"] {
        let r = geotiff::read_f64(mb.join(f), 0).unwrap();
        assert!(r.grid.same_as(&gr), "{f}");
    }
    let gj = read_json(&mb.join("glaciers.geojson"));
    let feats = gj["features"].as_array().unwrap();
    assert_eq!(feats.len(), 6);
    // WGS 84 longitudes/latitudes around 75° E, 36° N (UTM 43N)
    let c0 = &feats[0]["geometry"]["coordinates"][0][0][0];
    let (lon, lat) = (c0[0].as_f64().unwrap(), c0[1].as_f64().unwrap());
    assert!(
        (74.0..76.0).contains(&lon) && (35.0..37.0).contains(&lat),
        "{lon} {lat}"
    );
    assert_eq!(feats[4]["properties"]["status"], "no_measured_pixel");
    // the same table as a GeoPackage, in the outlines' CRS, read back by
    // sar-core's reader (geometry and attributes)
    let gpkg = sar_core::vector::read_outlines(mb.join("glaciers.gpkg")).unwrap();
    let outl = sar_core::vector::read_outlines(&fx.outlines_utm).unwrap();
    assert_eq!(gpkg.crs.epsg, Some(32643));
    assert_eq!(gpkg.features.len(), 6);
    for ((f, o), row) in gpkg.features.iter().zip(&outl.features).zip(&rows) {
        use geo::Area;
        let (a, b) = (f.geometry.unsigned_area(), o.geometry.unsigned_area());
        assert!((a - b).abs() < 1e-6 * b, "outline area {a} vs {b}");
        assert_eq!(f.rgi().rgi_id.as_deref(), Some(row.0.as_str()));
        let attr = |k: &str| f.attribute(k).and_then(|v| v.as_text());
        assert_eq!(attr("status").as_deref(), Some(row.1.as_str()));
        let m = f.attribute("mean_dhdt_m_yr").and_then(|v| v.as_f64());
        match m {
            Some(m) => assert!((m - row.2).abs() < 1e-4, "{m} vs {}", row.2),
            None => assert!(row.2.is_nan()),
        }
    }
    let reg = read_json(&mb.join("regional.json"));
    assert_eq!(reg["regional"]["all"]["n_glaciers"], 4);
    assert!(!reg["elevation_bands_100m"].as_array().unwrap().is_empty());
    let png = std::fs::read(mb.join("dhdt_elevation.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // outlines in WGS 84 are reprojected onto the UTM grid, not misplaced
    let mb84 = fx.dir.join("mb84");
    cryosar_ok(&massbalance_args(
        &dhdt,
        &fx.dem_a,
        &fx.outlines_wgs84,
        &[
            "--fill",
            "hypsometric",
            "--density",
            "900",
            "--density-sigma",
            "50",
        ],
        &mb84,
    ));
    let rows84 = read_csv(&mb84.join("glaciers.csv"));
    // This run checks the outline reprojection (same glaciers, same areas),
    // ρ, and the regional hypsometric curve, one curve for glaciers whose
    // dh/dt differ: its σ carries the between-glacier spread.
    check_glacier_rows(&rows84, &fx.truth, 0.9, "hypsometric");
    for (a, b) in rows.iter().zip(&rows84).take(4) {
        assert!((a.6 - b.6).abs() < 0.01 * a.6, "area {} vs {}", a.6, b.6);
    }
    assert_eq!(rows84[4].1, "no_measured_pixel");
    assert_eq!(rows84[5].1, "not_on_grid");
}

#[test]
fn default_reference_is_the_later_mosaic() {
    let fx = fixture(3);
    let out = fx.dir.join("dhdt_default_ref");
    let dems = [dem_arg(&fx.dem_b, DATE_B), dem_arg(&fx.dem_a, DATE_A)];
    let extra = [
        "--epochs",
        "2011-01-01..2012-12-31,2019-01-01..2019-12-31",
        "--outlines",
        s(&fx.outlines_wgs84),
    ];
    cryosar_ok(&dhdt_args(&dems, &extra, &out));
    let rep = read_json(&out.join("coregistration.json"));
    assert_eq!(rep["epochs"][1]["role"], "reference");
    // epoch 1 (dem_a) lies at −SHIFT relative to dem_b
    assert_shift(nk_shift(&rep, 0), (-SHIFT.0, -SHIFT.1, -SHIFT.2));
}

#[test]
fn bad_inputs_exit_1_naming_the_flag_or_file_and_write_nothing() {
    let fx = fixture(5);
    let a = dem_arg(&fx.dem_a, DATE_A);
    let b = dem_arg(&fx.dem_b, DATE_B);
    let check = |args: &[&str], out: &Path, needle: &str| {
        let o = cryosar(args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(needle), "stderr lacks {needle:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
        assert!(!out.exists(), "{} written despite the error", out.display());
    };
    let utm = ["--outlines", s(&fx.outlines_utm)];
    // a DEM that does not overlap the reference grid
    let far = fx.dir.join("far_away.tif");
    let g = Grid::north_up(40, 40, 900_000.0, 4_800_000.0, PX, PX, Crs::epsg(32643));
    geotiff::write_f64(&far, &Raster::filled(g, 4000.0)).unwrap();
    let out = fx.dir.join("o1");
    let dems = [a.clone(), dem_arg(&far, DATE_B)];
    let extra = ["--ref", s(&fx.dem_a), utm[0], utm[1]];
    check(&dhdt_args(&dems, &extra, &out), &out, "far_away.tif");
    // outlines without a polygon
    let pts = fx.dir.join("points_only.geojson");
    std::fs::write(
        &pts,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[75.0,36.1]}}]}"#,
    )
    .unwrap();
    let out = fx.dir.join("o2");
    let ab = [a.clone(), b.clone()];
    check(
        &dhdt_args(&ab, &["--outlines", s(&pts)], &out),
        &out,
        "points_only.geojson",
    );
    check(
        &massbalance_args(&fx.dem_a, &fx.dem_a, &pts, &[], &out),
        &out,
        "points_only.geojson",
    );
    // flags
    let undated = [s(&fx.dem_a).to_string(), b.clone()];
    check(&dhdt_args(&undated, &utm, &out), &out, "--dem");
    let one_epoch = ["--epochs", "2011-01-01..2012-12-31", utm[0], utm[1]];
    check(&dhdt_args(&ab, &one_epoch, &out), &out, "--epochs");
    let wrong_epochs = [
        "--epochs",
        "2015-01-01..2016-12-31,2019-01-01..2019-12-31",
        utm[0],
        utm[1],
    ];
    check(&dhdt_args(&ab, &wrong_epochs, &out), &out, "dem_a.tif");
    check(
        &massbalance_args(
            &fx.dem_a,
            &fx.dem_a,
            &fx.outlines_utm,
            &["--density=-5"],
            &out,
        ),
        &out,
        "--density",
    );
}
