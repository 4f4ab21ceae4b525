//! Batch arrays (issue 15, item 3): `cryosar tiles` task lists, per-tile
//! `terrain` and `velocity` runs selected by `--index` or by the Slurm / AWS
//! Batch array variables, per-glacier `massbalance` parts, and `cryosar
//! merge` — the merged result must equal the whole-raster run:
//! * terrain: bit for bit (3 × 3 stencils, 1 px halo);
//! * velocity: same NaN pattern, values within 1e-9 relative (the
//!   high-pass normalises differently when a tile holds no NaN but the whole
//!   image does — a last-bit difference; it is bit-exact otherwise);
//! * massbalance: the merged table parts are byte-identical to the full
//!   table.
//!
//! Bad input (missing task file, index out of range, no index, a garbage
//! array variable, tiles on different grids) exits with status 1 naming the
//! flag, file or variable, and writes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::geotiff::{self, WriteOptions};
use sar_core::{Crs, Grid, Raster};

/// Run `cryosar` with `args`, with the array variables removed and then
/// `env` set.
fn cryosar_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cryosar"));
    c.args(args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("AWS_BATCH_JOB_ARRAY_INDEX");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn cryosar(args: &[&str]) -> Output {
    cryosar_env(args, &[])
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fails(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Files in `dir` (none if it does not exist).
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Same values bit for bit (NaN equal to NaN), same shape.
fn assert_bits_equal(a: &Raster<f64>, b: &Raster<f64>, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    for ((idx, x), y) in a.data.indexed_iter().zip(b.data.iter()) {
        assert!(
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
            "{what} at {idx:?}: {x} vs {y}"
        );
    }
}

fn assert_grids_equal(a: &Grid, b: &Grid, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    for (k, (x, y)) in a.transform.0.iter().zip(&b.transform.0).enumerate() {
        assert!(
            (x - y).abs() <= 1e-9 * x.abs().max(1.0),
            "{what}: transform[{k}] {x} vs {y}"
        );
    }
    assert!(a.crs.same_as(&b.crs), "{what}: {} vs {}", a.crs, b.crs);
}

/// A rough DEM: random Gaussian hills and ridges on a tilted plane, with
/// a few no-data holes; nothing tuned to the tile layout.
fn random_dem(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let hills: Vec<(f64, f64, f64, f64)> = (0..12)
        .map(|_| {
            (
                rng.gen_range(0.0..rows as f64),
                rng.gen_range(0.0..cols as f64),
                rng.gen_range(-800.0..1500.0),
                rng.gen_range(4.0..30.0),
            )
        })
        .collect();
    let (tr, tc) = (rng.gen_range(-5.0..5.0), rng.gen_range(-5.0..5.0));
    let holes: Vec<(usize, usize)> = (0..4)
        .map(|_| (rng.gen_range(0..rows), rng.gen_range(0..cols)))
        .collect();
    let mut dem = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let (rf, cf) = (r as f64, c as f64);
        let mut z = 3000.0 + tr * rf + tc * cf;
        for &(hr, hc, a, s) in &hills {
            z += a * (-((rf - hr).powi(2) + (cf - hc).powi(2)) / (2.0 * s * s)).exp();
        }
        z + rng.gen_range(-0.5..0.5)
    });
    for (r, c) in holes {
        for i in r.saturating_sub(2)..(r + 3).min(rows) {
            for j in c.saturating_sub(2)..(c + 2).min(cols) {
                dem[[i, j]] = f64::NAN;
            }
        }
    }
    dem
}

/// Terrain of every tile of a 3 × 3 task list, merged, equals the
/// whole-raster run bit for bit; on a projected DEM stored in strips and a
/// geographic one stored in tiles with an extra task-list halo. The index
/// comes from --index, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX.
#[test]
fn terrain_tiles_merged_equal_the_whole_run_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases = [
        (
            "utm",
            Grid::north_up(
                150,
                130,
                400_000.0,
                5_100_000.0,
                25.0,
                25.0,
                Crs::epsg(32632),
            ),
            WriteOptions::default().rows_per_strip(7),
            50usize,
            0usize,
            11u64,
        ),
        (
            "geo",
            Grid::north_up(
                140,
                141,
                86.7,
                28.2,
                1.0 / 3600.0,
                1.0 / 3600.0,
                Crs::epsg(4326).with_geographic(true),
            ),
            WriteOptions::default().tile_size(32),
            48,
            2,
            12,
        ),
    ];
    for (name, grid, opts, tile, halo, seed) in cases {
        let dem_path = d.join(format!("{name}_dem.tif"));
        let (rows, cols) = grid.shape();
        let dem = Raster::new(random_dem(rows, cols, seed), grid.clone())
            .unwrap()
            .with_nodata(Some(-9999.0));
        geotiff::write_bands(&dem_path, std::slice::from_ref(&dem), &opts).unwrap();
        // whole-raster run
        let whole = d.join(format!("{name}_whole"));
        let lia_args = ["--incidence", "39", "--heading", "-12"];
        let mut args = vec!["terrain", s(&dem_path)];
        let slope_w = whole.join("slope.tif");
        let aspect_w = whole.join("aspect.tif");
        let lia_w = whole.join("lia.tif");
        args.extend([
            "--slope",
            s(&slope_w),
            "--aspect",
            s(&aspect_w),
            "--lia",
            s(&lia_w),
        ]);
        args.extend(lia_args);
        ok(&cryosar(&args));
        // task list: 3 × 3 tiles
        let tasks = d.join(format!("{name}_tasks.json"));
        let halo_s = halo.to_string();
        let tile_s = tile.to_string();
        let out = ok(&cryosar(&[
            "tiles",
            "--raster",
            s(&dem_path),
            "--tile",
            &tile_s,
            "--halo",
            &halo_s,
            "--out",
            s(&tasks),
        ]));
        assert!(
            out.contains("9 tiles task(s)") && out.contains("--array=0-8"),
            "{out}"
        );
        let tiles = d.join(format!("{name}_tiles"));
        let slope_t = tiles.join("slope.tif");
        let aspect_t = tiles.join("aspect.tif");
        let lia_t = tiles.join("lia.tif");
        for i in 0..9 {
            let idx = i.to_string();
            let mut args = vec!["terrain", s(&dem_path), "--tasks", s(&tasks)];
            args.extend([
                "--slope",
                s(&slope_t),
                "--aspect",
                s(&aspect_t),
                "--lia",
                s(&lia_t),
            ]);
            args.extend(lia_args);
            let env: Vec<(&str, &str)> = match i {
                4 => vec![("SLURM_ARRAY_TASK_ID", idx.as_str())],
                7 => vec![("AWS_BATCH_JOB_ARRAY_INDEX", idx.as_str())],
                _ => {
                    args.extend(["--index", idx.as_str()]);
                    // an --index wins over a variable set for another task
                    vec![("SLURM_ARRAY_TASK_ID", "3")]
                }
            };
            ok(&cryosar_env(&args, &env));
            // the tile holds its window with its georeferencing
            let t = geotiff::read_f64(tiles.join(format!("slope_tile000{i}.tif")), 0).unwrap();
            let (r0, c0) = ((i / 3) * tile, (i % 3) * tile);
            let want = grid
                .window(r0, c0, tile.min(rows - r0), tile.min(cols - c0))
                .unwrap();
            assert_grids_equal(&t.grid, &want, &format!("{name} tile {i}"));
            let md = geotiff::read_info(tiles.join(format!("slope_tile000{i}.tif")))
                .unwrap()
                .metadata;
            assert_eq!(md.get("CRYOSAR_TASK"), Some(format!("{i}/9").as_str()));
        }
        assert_eq!(files_in(&tiles).len(), 27);
        for (what, whole_p) in [("slope", &slope_w), ("aspect", &aspect_w), ("lia", &lia_w)] {
            let merged = d.join(format!("{name}_{what}_merged.tif"));
            let pattern: Vec<PathBuf> = files_in(&tiles)
                .into_iter()
                .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(what))
                .collect();
            let mut args = vec!["merge", "--out", s(&merged)];
            args.extend(pattern.iter().map(|p| s(p)));
            let out = ok(&cryosar(&args));
            assert!(
                out.contains("9 tile(s)") && out.contains("0 pixel(s) covered by no tile"),
                "{out}"
            );
            let a = geotiff::read_f64(whole_p, 0).unwrap();
            let b = geotiff::read_f64(&merged, 0).unwrap();
            assert_bits_equal(&a, &b, &format!("{name} {what}"));
            assert_grids_equal(&a.grid, &b.grid, &format!("{name} {what}"));
            assert!(
                a.nodata == b.nodata
                    || a.nodata
                        .zip(b.nodata)
                        .is_some_and(|(x, y)| x.is_nan() && y.is_nan()),
                "{name} {what}: no-data {:?} vs {:?}",
                a.nodata,
                b.nodata
            );
            assert!(a.valid_count() > rows * cols / 2, "{name} {what}");
            // merge metadata: the tile items are dropped
            let info = geotiff::read_info(&merged).unwrap();
            assert_eq!(info.metadata.get("CRYOSAR_TASK"), None);
        }
    }
}

/// Velocity: tiles on the template grid (`--align` = `--step`), merged,
/// equal the whole-image run bit for bit; the task index comes from the
/// array variable.
#[test]
fn velocity_tiles_merged_equal_the_whole_run() {
    use ncc_stack::synth::{generate, DisplacementField, SceneParams};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 208;
    let scene = SceneParams::new(n, n + 16, 3)
        .coherence(0.8)
        .bandwidth(0.5)
        .displacement(DisplacementField::Uniform {
            dx_px: 1.4,
            dy_px: -0.6,
        });
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(77);
    let sc = generate(&scene, &mut rng).unwrap();
    let grid = Grid::north_up(
        n,
        n + 16,
        600_000.0,
        5_000_000.0,
        10.0,
        10.0,
        Crs::epsg(32633),
    );
    let mut paths = Vec::new();
    for (k, img) in sc.intensity.iter().enumerate() {
        let mut img = img.clone();
        if k == 1 {
            // a no-data patch in one image (inside one tile only)
            for r in 150..158 {
                for c in 20..31 {
                    img[[r, c]] = f64::NAN;
                }
            }
        }
        let p = d.join(format!("img{k}.tif"));
        let opts = WriteOptions::default().tile_size(48);
        geotiff::write_bands(&p, &[Raster::new(img, grid.clone()).unwrap()], &opts).unwrap();
        paths.push(p);
    }
    let common = [
        "--dates",
        "2021-07-01,2021-07-13,2021-07-25",
        "--template",
        "32",
        "--step",
        "16",
        "--search",
        "6",
        "--vmax",
        "5",
    ];
    let whole = d.join("whole");
    let mut args = vec!["velocity"];
    args.extend(paths.iter().map(|p| s(p)));
    args.extend(common);
    args.extend(["--out", s(&whole)]);
    ok(&cryosar(&args));
    // a list not on the template grid is refused, naming --align
    let bad_tasks = d.join("bad_tasks.json");
    ok(&cryosar(&[
        "tiles",
        "--raster",
        s(&paths[0]),
        "--tile",
        "70",
        "--out",
        s(&bad_tasks),
    ]));
    let tiles = d.join("tiles");
    let mut args = vec!["velocity"];
    args.extend(paths.iter().map(|p| s(p)));
    args.extend(common);
    args.extend(["--out", s(&tiles), "--tasks", s(&bad_tasks), "--index", "0"]);
    let e = fails(&cryosar(&args));
    assert!(e.contains("--align 16"), "{e}");
    assert!(files_in(&tiles).is_empty());
    // 3 × 3 tiles of 80 px (5 × 5 template cells)
    let tasks = d.join("tasks.json");
    ok(&cryosar(&[
        "tiles",
        "--raster",
        s(&paths[0]),
        "--tile",
        "80",
        "--align",
        "16",
        "--out",
        s(&tasks),
    ]));
    for i in 0..9 {
        let idx = i.to_string();
        let mut args = vec!["velocity"];
        args.extend(paths.iter().map(|p| s(p)));
        args.extend(common);
        args.extend(["--out", s(&tiles), "--tasks", s(&tasks)]);
        ok(&cryosar_env(
            &args,
            &[("SLURM_ARRAY_TASK_ID", idx.as_str())],
        ));
    }
    for product in [
        "vx",
        "vy_unfiltered",
        "dx_px",
        "dy_px",
        "snr",
        "pair_count",
        "flags",
    ] {
        let parts: Vec<PathBuf> = files_in(&tiles)
            .into_iter()
            .filter(|p| {
                let f = p.file_name().unwrap().to_string_lossy().into_owned();
                f.ends_with(&format!("_{product}.tif"))
            })
            .collect();
        assert_eq!(parts.len(), 9, "{product}");
        let merged = d.join(format!("{product}.tif"));
        let mut args = vec!["merge", "--out", s(&merged)];
        args.extend(parts.iter().map(|p| s(p)));
        ok(&cryosar(&args));
        let a = geotiff::read_f64(whole.join(format!("{product}.tif")), 0).unwrap();
        let b = geotiff::read_f64(&merged, 0).unwrap();
        assert_grids_equal(&a.grid, &b.grid, product);
        assert_eq!(a.shape(), (n / 16, (n + 16) / 16));
        // bit for bit at every cell, tile borders included: each tile holds
        // its cells' footprints and their FFT batch partners'
        // (ncc_stack::tiles), so every cell is correlated exactly as in
        // the whole run
        let mut valid = 0;
        for ((idx, x), y) in a.data.indexed_iter().zip(b.data.iter()) {
            assert!(
                x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                "{product} at {idx:?}: {x} vs {y}"
            );
            valid += usize::from(x.is_finite());
        }
        assert!(valid >= 60, "{product}: only {valid} valid cells");
        // the merged tiles keep the run's metadata
        let md = geotiff::read_info(&merged).unwrap().metadata;
        assert_eq!(md.get("STEP_PX"), Some("16"));
    }
    // analytic truth: 1.4 px east and 0.6 px up per interval
    let dx = geotiff::read_f64(d.join("dx_px.tif"), 0).unwrap();
    let m = sar_core::stats::median(dx.data.iter().copied()).unwrap();
    assert!((m - 1.4).abs() < 0.1, "median column offset {m}");
}

/// An elliptical glacier outline (GeoJSON ring) around `(cx, cy)`.
fn ellipse(cx: f64, cy: f64, a: f64, b: f64) -> Vec<Vec<f64>> {
    (0..=24)
        .map(|k| {
            let t = std::f64::consts::TAU * f64::from(k % 24) / 24.0;
            vec![cx + a * t.cos(), cy + b * t.sin()]
        })
        .collect()
}

/// Massbalance: the table parts of 3 chunks, and of a task list, merged,
/// equal the full run's table byte for byte.
#[test]
fn massbalance_parts_merged_equal_the_full_table() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (rows, cols, px) = (110usize, 120usize, 30.0);
    let (x0, y0) = (500_000.0, 4_003_300.0);
    let grid = Grid::north_up(rows, cols, x0, y0, px, px, Crs::epsg(32643));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4242);
    // glaciers: centre (col, row), semi-axes (px), dh/dt at 5000 m
    let gl: Vec<(f64, f64, f64, f64, f64)> = (0..7)
        .map(|k| {
            let (gr, gc) = (k / 3, k % 3);
            (
                20.0 + 38.0 * gc as f64 + rng.gen_range(-3.0..3.0),
                18.0 + 36.0 * gr as f64 + rng.gen_range(-3.0..3.0),
                rng.gen_range(9.0..15.0),
                rng.gen_range(6.0..11.0),
                rng.gen_range(-1.5..0.2),
            )
        })
        .collect();
    let dem = Array2::from_shape_fn((rows, cols), |(r, c)| {
        4500.0 + 6.0 * r as f64 + 3.0 * c as f64 + 80.0 * ((c as f64) / 9.0).sin()
    });
    let inside = |r: usize, c: usize| {
        gl.iter().position(|&(gc, gr, a, b, _)| {
            ((c as f64 - gc) / a).powi(2) + ((r as f64 - gr) / b).powi(2) < 1.0
        })
    };
    let dhdt = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let noise = rng.gen_range(-0.3..0.3);
        match inside(r, c) {
            Some(k) => {
                // voids on the upper half of every other glacier
                if k % 2 == 0 && (r as f64) < gl[k].1 - 2.0 && c % 5 != 0 {
                    f64::NAN
                } else {
                    gl[k].4 + 0.002 * (dem[[r, c]] - 5000.0) + noise
                }
            }
            None => 0.1 * noise,
        }
    });
    let dh_p = d.join("dhdt.tif");
    let dem_p = d.join("dem.tif");
    geotiff::write_f64(&dh_p, &Raster::new(dhdt, grid.clone()).unwrap()).unwrap();
    geotiff::write_f64(&dem_p, &Raster::new(dem, grid.clone()).unwrap()).unwrap();
    let feats: Vec<serde_json::Value> = gl
        .iter()
        .enumerate()
        .map(|(k, &(gc, gr, a, b, _))| {
            let (cx, cy) = (x0 + (gc + 0.5) * px, y0 - (gr + 0.5) * px);
            serde_json::json!({
                "type": "Feature",
                "properties": {"RGIId": format!("RGI60-14.{:05}", 100 + k), "Name": format!("g{k}")},
                "geometry": {"type": "Polygon", "coordinates": [ellipse(cx, cy, a * px, b * px)]},
            })
        })
        .collect();
    let outlines = d.join("rgi.geojson");
    let fc = serde_json::json!({"type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32643"}},
        "features": feats});
    std::fs::write(&outlines, fc.to_string()).unwrap();
    let base = [
        "massbalance",
        "--dhdt",
        s(&dh_p),
        "--ref",
        s(&dem_p),
        "--outlines",
        s(&outlines),
        "--min-area",
        "0.05",
    ];
    let full = d.join("full");
    let mut args = base.to_vec();
    args.extend(["--out", s(&full)]);
    ok(&cryosar(&args));
    let full_csv = std::fs::read_to_string(full.join("glaciers.csv")).unwrap();
    assert_eq!(full_csv.lines().count(), 8, "{full_csv}");
    // 3 chunks, the index from AWS Batch's variable
    let parts = d.join("parts");
    for i in 0..3 {
        let idx = i.to_string();
        let mut args = base.to_vec();
        args.extend(["--out", s(&parts), "--chunks", "3"]);
        ok(&cryosar_env(
            &args,
            &[("AWS_BATCH_JOB_ARRAY_INDEX", idx.as_str())],
        ));
    }
    let names: Vec<String> = files_in(&parts)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "glaciers_part0000.csv",
            "glaciers_part0001.csv",
            "glaciers_part0002.csv"
        ]
    );
    let merged = d.join("merged.csv");
    let out = ok(&cryosar(&[
        "merge",
        "--tables",
        "--out",
        s(&merged),
        s(&parts),
    ]));
    assert!(out.contains("7 row(s)"), "{out}");
    assert_eq!(std::fs::read_to_string(&merged).unwrap(), full_csv);
    // a glacier task list (JSON from `cryosar tiles --outlines`)
    let gtasks = d.join("glaciers.json");
    ok(&cryosar(&[
        "tiles",
        "--outlines",
        s(&outlines),
        "--per-task",
        "3",
        "--out",
        s(&gtasks),
    ]));
    let gparts = d.join("gparts");
    for i in 0..3 {
        let idx = i.to_string();
        let mut args = base.to_vec();
        args.extend(["--out", s(&gparts), "--tasks", s(&gtasks), "--index", &idx]);
        ok(&cryosar(&args));
    }
    let merged2 = d.join("merged2.csv");
    ok(&cryosar(&[
        "merge",
        "--tables",
        "--out",
        s(&merged2),
        s(&gparts),
    ]));
    assert_eq!(std::fs::read_to_string(&merged2).unwrap(), full_csv);
    // a text task list: one line per task, ids in any order; task 0 holds
    // glaciers 5 and 1 (rows 6 and 2 of the full table, in outline order)
    let txt = d.join("tasks.txt");
    std::fs::write(
        &txt,
        "# two tasks\nRGI60-14.00105, RGI60-14.00101\nRGI60-14.00103\n",
    )
    .unwrap();
    let tparts = d.join("tparts");
    let mut args = base.to_vec();
    args.extend(["--out", s(&tparts), "--tasks", s(&txt), "--index", "0"]);
    ok(&cryosar(&args));
    let part = std::fs::read_to_string(tparts.join("glaciers_part0000.csv")).unwrap();
    let want: Vec<&str> = full_csv
        .lines()
        .enumerate()
        .filter(|(k, _)| [0, 2, 6].contains(k))
        .map(|(_, l)| l)
        .collect();
    assert_eq!(part.lines().collect::<Vec<_>>(), want);
    // parts that overlap are refused
    let e = fails(&cryosar(&[
        "merge",
        "--tables",
        "--out",
        s(&d.join("dup.csv")),
        s(&parts),
        s(&tparts),
    ]));
    assert!(e.contains("RGI60-14.0010") && e.contains("both"), "{e}");
    assert!(!d.join("dup.csv").exists());
    // an id that is not in the outlines, a chunk without glaciers,
    // --fill hypsometric (one curve over all glaciers)
    std::fs::write(&txt, "RGI60-14.99999\n").unwrap();
    let bad = d.join("bad");
    let mut args = base.to_vec();
    args.extend(["--out", s(&bad), "--tasks", s(&txt), "--index", "0"]);
    let e = fails(&cryosar(&args));
    assert!(
        e.contains("RGI60-14.99999") && e.contains("tasks.txt"),
        "{e}"
    );
    let mut args = base.to_vec();
    args.extend(["--out", s(&bad), "--chunks", "9", "--index", "8"]);
    let e = fails(&cryosar(&args));
    assert!(e.contains("--chunks 9"), "{e}");
    let mut args = base.to_vec();
    args.extend([
        "--out",
        s(&bad),
        "--chunks",
        "2",
        "--index",
        "0",
        "--fill",
        "hypsometric",
    ]);
    let e = fails(&cryosar(&args));
    assert!(e.contains("--fill hypsometric"), "{e}");
    assert!(files_in(&bad).is_empty());
}

/// Bad task lists and indices: exit status 1, a message naming the flag,
/// file or variable, and no output.
#[test]
fn bad_tasks_and_indices_exit_1_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let grid = Grid::north_up(60, 70, 400_000.0, 5_100_000.0, 25.0, 25.0, Crs::epsg(32632));
    let dem_p = d.join("dem.tif");
    geotiff::write_f64(
        &dem_p,
        &Raster::new(random_dem(60, 70, 5), grid.clone()).unwrap(),
    )
    .unwrap();
    let tasks = d.join("tasks.json");
    ok(&cryosar(&[
        "tiles",
        "--raster",
        s(&dem_p),
        "--tile",
        "32",
        "--out",
        s(&tasks),
    ]));
    let out = d.join("out");
    let slope = out.join("slope.tif");
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["terrain", s(&dem_p), "--slope", s(&slope)];
        args.extend(extra);
        let e = fails(&cryosar_env(&args, env));
        assert!(
            files_in(&out).is_empty(),
            "outputs left: {:?}",
            files_in(&out)
        );
        e
    };
    let missing = d.join("no_such_tasks.json");
    let e = run(&["--tasks", s(&missing), "--index", "0"], &[]);
    assert!(
        e.contains("--tasks") && e.contains("no_such_tasks.json"),
        "{e}"
    );
    let e = run(&["--tasks", s(&tasks), "--index", "6"], &[]);
    assert!(
        e.contains("--index 6 is out of range") && e.contains("6 task(s)"),
        "{e}"
    );
    let e = run(&["--tasks", s(&tasks)], &[("SLURM_ARRAY_TASK_ID", "6")]);
    assert!(e.contains("$SLURM_ARRAY_TASK_ID 6 is out of range"), "{e}");
    let e = run(&["--tasks", s(&tasks)], &[]);
    assert!(
        e.contains("--index")
            && e.contains("SLURM_ARRAY_TASK_ID")
            && e.contains("AWS_BATCH_JOB_ARRAY_INDEX"),
        "{e}"
    );
    let e = run(
        &["--tasks", s(&tasks)],
        &[("AWS_BATCH_JOB_ARRAY_INDEX", "two")],
    );
    assert!(
        e.contains("AWS_BATCH_JOB_ARRAY_INDEX") && e.contains("\"two\""),
        "{e}"
    );
    let e = run(&["--index", "1"], &[]);
    assert!(e.contains("--index needs --tasks"), "{e}");
    // not a task list; a list made for another raster
    let junk = d.join("junk.json");
    std::fs::write(&junk, "{\"tiles\": 3}").unwrap();
    let e = run(&["--tasks", s(&junk), "--index", "0"], &[]);
    assert!(
        e.contains("junk.json") && e.contains("not a cryosar task list"),
        "{e}"
    );
    let other = d.join("other.tif");
    geotiff::write_f64(
        &other,
        &Raster::new(
            random_dem(40, 70, 6),
            Grid::north_up(40, 70, 0.0, 0.0, 25.0, 25.0, Crs::epsg(32632)),
        )
        .unwrap(),
    )
    .unwrap();
    let other_tasks = d.join("other_tasks.json");
    ok(&cryosar(&[
        "tiles",
        "--raster",
        s(&other),
        "--tile",
        "32",
        "--out",
        s(&other_tasks),
    ]));
    let e = run(&["--tasks", s(&other_tasks), "--index", "0"], &[]);
    assert!(e.contains("40 × 70") && e.contains("dem.tif"), "{e}");
    // tiles: --tile not a multiple of --align
    let e = fails(&cryosar(&[
        "tiles",
        "--raster",
        s(&dem_p),
        "--tile",
        "50",
        "--align",
        "16",
        "--out",
        s(&d.join("t.json")),
    ]));
    assert!(e.contains("--align 16"), "{e}");
    assert!(!d.join("t.json").exists());
    // merge: tiles with another CRS or pixel size, or off the pixel grid
    let a = d.join("a.tif");
    let r = |g: Grid| Raster::new(Array2::<f32>::zeros(g.shape()), g).unwrap();
    geotiff::write_f32(&a, &r(grid.window(0, 0, 30, 30).unwrap())).unwrap();
    let b_crs = d.join("b_crs.tif");
    geotiff::write_f32(
        &b_crs,
        &r(Grid::north_up(
            30,
            30,
            400_750.0,
            5_100_000.0,
            25.0,
            25.0,
            Crs::epsg(32633),
        )),
    )
    .unwrap();
    let b_px = d.join("b_px.tif");
    geotiff::write_f32(
        &b_px,
        &r(Grid::north_up(
            30,
            30,
            400_750.0,
            5_100_000.0,
            20.0,
            20.0,
            Crs::epsg(32632),
        )),
    )
    .unwrap();
    let b_off = d.join("b_off.tif");
    geotiff::write_f32(
        &b_off,
        &r(Grid::north_up(
            30,
            30,
            400_760.0,
            5_100_000.0,
            25.0,
            25.0,
            Crs::epsg(32632),
        )),
    )
    .unwrap();
    let m = d.join("m.tif");
    for (b, want) in [
        (&b_crs, "CRS"),
        (&b_px, "pixel size"),
        (&b_off, "pixel grid"),
    ] {
        let e = fails(&cryosar(&["merge", "--out", s(&m), s(&a), s(b)]));
        assert!(e.contains(want) && e.contains(s(b)), "{e}");
        assert!(!m.exists());
    }
}

/// `merge` crops halos: from the CRYOSAR_HALO_PX item of each tile, or
/// `--halo N` on the sides inside the mosaic; overlapping tiles that
/// disagree are refused.
#[test]
fn merge_crops_halos_and_refuses_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let grid = Grid::north_up(40, 50, 300_000.0, 4_000_000.0, 5.0, 5.0, Crs::epsg(32610));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let truth = Raster::new(
        Array2::from_shape_fn((40, 50), |_| rng.gen_range(-10.0f32..10.0)),
        grid.clone(),
    )
    .unwrap();
    // 2 × 2 tiles with a 3 px halo inside the mosaic; the halo pixels are
    // corrupted so that only a correct crop reproduces the truth
    let h = 3;
    let mut with_item = Vec::new();
    let mut plain = Vec::new();
    for (k, &(r0, c0, rows, cols)) in [
        (0, 0, 20, 25),
        (0, 25, 20, 25),
        (20, 0, 20, 25),
        (20, 25, 20, 25),
    ]
    .iter()
    .enumerate()
    {
        let w = sar_core::geotiff::Window::new(r0, c0, rows, cols).grown(h, 40, 50);
        let mut t = truth.crop_window(w.row0, w.col0, w.rows, w.cols).unwrap();
        let (top, left) = (r0 - w.row0, c0 - w.col0);
        let (bottom, right) = (w.row_end() - (r0 + rows), w.col_end() - (c0 + cols));
        for ((i, j), v) in t.data.indexed_iter_mut() {
            if i < top || j < left || i >= w.rows - bottom || j >= w.cols - right {
                *v = 1000.0 + k as f32;
            }
        }
        let p = d.join(format!("plain{k}.tif"));
        geotiff::write_f32(&p, &t).unwrap();
        plain.push(p);
        let mut md = geotiff::GdalMetadata::default();
        md.set("CRYOSAR_HALO_PX", format!("{top},{left},{bottom},{right}"));
        let p = d.join(format!("item{k}.tif"));
        geotiff::write_bands(&p, &[t], &WriteOptions::default().metadata(md)).unwrap();
        with_item.push(p);
    }
    let want = truth.map(|&v| f64::from(v));
    for (files, extra) in [(&with_item, vec![]), (&plain, vec!["--halo", "3"])] {
        let m = d.join("m.tif");
        let mut args = vec!["merge", "--out", s(&m)];
        args.extend(extra);
        args.extend(files.iter().map(|p| s(p)));
        ok(&cryosar(&args));
        let got = geotiff::read_f64(&m, 0).unwrap();
        assert_bits_equal(&want, &got, "halo crop");
        assert_grids_equal(&want.grid, &got.grid, "halo crop");
    }
    // without the crop the halos overlap with other values: refused
    let m = d.join("conflict.tif");
    let mut args = vec!["merge", "--out", s(&m)];
    args.extend(plain.iter().map(|p| s(p)));
    let e = fails(&cryosar(&args));
    assert!(e.contains("overlaps") && e.contains("--halo"), "{e}");
    assert!(!m.exists());
}
