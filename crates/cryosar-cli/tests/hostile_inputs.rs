//! Hostile inputs for every command (issue 11): crafted and corrupt
//! GeoTIFFs, extreme values, bad flags, clashing outputs. Each failure must
//! exit with status 1 (never 101 = panic, never a signal), name the file or
//! flag at fault, and leave no file at any output path.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ndarray::Array2;
use sar_core::{geotiff, Crs, Grid, Raster};

fn cryosar() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cryosar"))
}

fn run(args: &[&str]) -> Output {
    cryosar().args(args).output().expect("cannot start cryosar")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit status 1 with `needles` all in stderr, and none of `outputs` exists.
#[track_caller]
fn assert_refused(o: &Output, needles: &[&str], outputs: &[&Path]) {
    let e = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "status {:?}, stderr: {e}",
        o.status
    );
    assert!(!e.contains("panicked"), "panic: {e}");
    for n in needles {
        assert!(e.contains(n), "stderr lacks {n:?}: {e}");
    }
    for p in outputs {
        assert!(!p.exists(), "{} left behind after a failure", p.display());
    }
}

/// No hidden temporaries left in `dir`.
#[track_caller]
fn assert_no_temporaries(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        assert!(
            !n.ends_with(".tmp") && !n.ends_with(".bak"),
            "temporary {n} left"
        );
    }
}

fn grid(rows: usize, cols: usize) -> Grid {
    Grid::north_up(
        rows,
        cols,
        600_000.0,
        5_100_000.0,
        10.0,
        10.0,
        Crs::epsg(32632),
    )
}

/// A smooth DEM, with `spikes` written at the given pixels.
fn write_dem(path: &Path, rows: usize, cols: usize, spikes: &[((usize, usize), f64)]) {
    let mut data = Array2::from_shape_fn((rows, cols), |(r, c)| {
        2000.0 + 15.0 * r as f64 + 5.0 * c as f64 + 30.0 * ((r * c) as f64 * 0.05).sin()
    });
    for &((r, c), v) in spikes {
        data[[r, c]] = v;
    }
    geotiff::write_f64(path, &Raster::new(data, grid(rows, cols)).unwrap()).unwrap();
}

fn write_mask(path: &Path, rows: usize, cols: usize, seed: usize) {
    let data = Array2::from_shape_fn((rows, cols), |(r, c)| {
        ((r * 7 + c * 3 + seed) % 3).min(2) as u8
    });
    geotiff::write_u8(path, &Raster::new(data, grid(rows, cols)).unwrap()).unwrap();
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A little-endian TIFF declaring a `side`² u8 image whose strips of 16
/// rows all point to one Deflate chunk (of 16 zero rows): tiny on disk,
/// huge once decoded.
fn crafted_shared_strips(path: &Path, side: u32, file_bytes: usize) {
    let rows_per_strip = 16u32;
    let n_strips = side.div_ceil(rows_per_strip);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![0u8; (side * rows_per_strip) as usize])
        .unwrap();
    let chunk = z.finish().unwrap();
    let n_tags = 10u16;
    let ifd_off = 8u32;
    let ifd_len = 2 + 12 * n_tags as u32 + 4;
    let offsets_off = ifd_off + ifd_len;
    let counts_off = offsets_off + 4 * n_strips;
    let chunk_off = counts_off + 4 * n_strips;
    let mut b: Vec<u8> = b"II*\0".to_vec();
    b.extend(ifd_off.to_le_bytes());
    b.extend(n_tags.to_le_bytes());
    let tag = |b: &mut Vec<u8>, t: u16, ty: u16, n: u32, v: u32| {
        b.extend(t.to_le_bytes());
        b.extend(ty.to_le_bytes());
        b.extend(n.to_le_bytes());
        b.extend(v.to_le_bytes());
    };
    tag(&mut b, 256, 4, 1, side); // width
    tag(&mut b, 257, 4, 1, side); // height
    tag(&mut b, 258, 3, 1, 8); // bits per sample
    tag(&mut b, 259, 3, 1, 8); // Deflate
    tag(&mut b, 262, 3, 1, 1); // photometric
    tag(&mut b, 273, 4, n_strips, offsets_off); // strip offsets
    tag(&mut b, 277, 3, 1, 1); // samples per pixel
    tag(&mut b, 278, 4, 1, rows_per_strip);
    tag(&mut b, 279, 4, n_strips, counts_off); // strip byte counts
    tag(&mut b, 339, 3, 1, 1); // unsigned integer samples
    b.extend(0u32.to_le_bytes());
    for _ in 0..n_strips {
        b.extend(chunk_off.to_le_bytes());
    }
    for _ in 0..n_strips {
        b.extend((chunk.len() as u32).to_le_bytes());
    }
    b.extend(&chunk);
    // Padded (to 69 000 bytes for a 16384² image): 4096 × the file size
    // exceeds the decoded u8 image, so a check on the file size alone lets
    // it through.
    b.resize(b.len().max(file_bytes), 0);
    std::fs::write(path, b).unwrap();
}

#[test]
fn crafted_huge_file_fails_fast_in_info_and_terrain() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bomb.tif");
    crafted_shared_strips(&f, 16384, 69_000);
    assert_eq!(std::fs::metadata(&f).unwrap().len(), 69_000);
    let t0 = std::time::Instant::now();
    let o = run(&["info", s(&f)]);
    assert_refused(&o, &["bomb.tif", "implausibly large"], &[]);
    let slope = dir.path().join("slope.tif");
    let o = run(&["terrain", s(&f), "--slope", s(&slope)]);
    assert_refused(&o, &["bomb.tif"], &[&slope]);
    assert!(t0.elapsed().as_secs() < 20, "took {:?}", t0.elapsed());
    assert_no_temporaries(dir.path());
}

/// Run cryosar with `args` and return its exit code, stderr and peak
/// resident memory (bytes), measured by `wait4` on this very child (so
/// other tests' children do not count).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
#[allow(unsafe_code)]
// The child is reaped by wait4 below, not by Child::wait.
#[allow(clippy::zombie_processes)]
fn run_measured(args: &[&str]) -> (Option<i32>, String, u64) {
    use std::io::Read;
    /// `struct rusage` of 64-bit Linux: two timevals, then 14 longs
    /// starting with ru_maxrss (KiB).
    #[repr(C)]
    struct Rusage {
        times: [i64; 4],
        maxrss_kib: i64,
        rest: [i64; 13],
    }
    extern "C" {
        fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
    }
    let mut child = cryosar()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start cryosar");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let mut status = 0i32;
    let mut ru = Rusage {
        times: [0; 4],
        maxrss_kib: 0,
        rest: [0; 13],
    };
    // SAFETY: wait4 writes an int and a struct rusage (whose 64-bit Linux
    // layout Rusage mirrors) into the two valid pointers given.
    let pid = unsafe { wait4(child.id() as i32, &mut status, 0, &mut ru) };
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    let code = (status & 0x7f == 0).then_some((status >> 8) & 0xff);
    (code, err, ru.maxrss_kib as u64 * 1024)
}

/// Issue 11: on the crafted 69 KB file (16384² px) and its 400 KB variant
/// (40000² px, 12.8 GB as f64), `info` and `terrain` fail fast, naming the
/// file, with a peak memory below 100 MB.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
#[test]
fn crafted_files_fail_fast_in_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    for (name, side, bytes) in [
        ("bomb69k.tif", 16384, 69_000),
        ("bomb400k.tif", 40000, 400_000),
    ] {
        let f = dir.path().join(name);
        crafted_shared_strips(&f, side, bytes);
        assert_eq!(std::fs::metadata(&f).unwrap().len(), bytes as u64);
        let slope = dir.path().join("slope.tif");
        for args in [
            vec!["info", s(&f)],
            vec!["terrain", s(&f), "--slope", s(&slope)],
        ] {
            let t0 = std::time::Instant::now();
            let (code, err, peak) = run_measured(&args);
            let secs = t0.elapsed().as_secs_f64();
            assert_eq!(code, Some(1), "{args:?}: {err}");
            assert!(err.contains(name), "{args:?}: {err}");
            assert!(peak < 100_000_000, "{args:?}: peak memory {peak} B");
            assert!(secs < 10.0, "{args:?}: {secs} s");
            assert!(!slope.exists());
        }
    }
    assert_no_temporaries(dir.path());
}

#[test]
fn memory_ceiling_names_the_need() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    write_dem(&dem, 200, 300, &[]);
    let slope = dir.path().join("slope.tif");
    // 60 000 px × 60 B = 3.6 MB > 1 MB.
    let o = run(&[
        "terrain",
        s(&dem),
        "--slope",
        s(&slope),
        "--max-memory",
        "1M",
    ]);
    assert_refused(
        &o,
        &["dem.tif", "would need", "MB", "CRYOSAR_MAX_MEMORY"],
        &[&slope],
    );
    let o = cryosar()
        .args(["terrain", s(&dem), "--slope", s(&slope)])
        .env("CRYOSAR_MAX_MEMORY", "1M")
        .output()
        .unwrap();
    assert_refused(&o, &["would need"], &[&slope]);
    let o = run(&[
        "terrain",
        s(&dem),
        "--slope",
        s(&slope),
        "--max-memory",
        "lots",
    ]);
    assert_refused(&o, &["--max-memory"], &[&slope]);
    let o = run(&[
        "terrain",
        s(&dem),
        "--slope",
        s(&slope),
        "--max-memory",
        "1G",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn corrupt_and_truncated_files_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    write_dem(&dem, 30, 40, &[]);
    let bytes = std::fs::read(&dem).unwrap();
    let cut = dir.path().join("cut.tif");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let junk = dir.path().join("junk.tif");
    std::fs::write(&junk, b"II*\0\xff\xff\xff\xff garbage").unwrap();
    let out = dir.path().join("out");
    for bad in [&cut, &junk] {
        let name = bad.file_name().unwrap().to_str().unwrap();
        assert_refused(&run(&["info", s(bad)]), &[name], &[]);
        let slope = dir.path().join("slope.tif");
        assert_refused(
            &run(&["terrain", s(bad), "--slope", s(&slope)]),
            &[name],
            &[&slope],
        );
        let m = dir.path().join("m.tif");
        write_mask(&m, 30, 40, 0);
        let o = run(&[
            "snowstats",
            s(&m),
            "--dates",
            "2020-05-01",
            "--dem",
            s(bad),
            "--out",
            s(&out),
        ]);
        assert_refused(&o, &[name], &[&out]);
    }
}

#[test]
fn snowstats_survives_fill_values_and_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    let (rows, cols) = (30, 40);
    write_dem(
        &dem,
        rows,
        cols,
        &[
            ((0, 0), -3.4e38),
            ((1, 1), f64::from(f32::MAX)),
            ((2, 2), 1e300),
            ((3, 3), -1e300),
        ],
    );
    let m1 = dir.path().join("m1.tif");
    let m2 = dir.path().join("m2.tif");
    write_mask(&m1, rows, cols, 0);
    write_mask(&m2, rows, cols, 1);
    let out = dir.path().join("out");
    let o = run(&[
        "snowstats",
        s(&m1),
        s(&m2),
        "--dates",
        "2020-05-01,2020-05-13",
        "--dem",
        s(&dem),
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("4 DEM pixels outside"), "{text}");
    let csv = std::fs::read_to_string(out.join("extent.csv")).unwrap();
    // Bands cover the plausible heights only: 2000 … 2000 + 15·29 + 5·39 + 30 m.
    let first: f64 = csv
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1900.0..=2000.0).contains(&first), "{csv}");
    assert!(csv.lines().count() < 20, "{csv}");
    // Per-year quick-look of the melting duration (item 13): the 40 × 30 px
    // grid is enlarged to at least 600 px on its long side.
    for png in ["duration_2020.png", "extent_heatmap.png"] {
        let f = std::fs::File::open(out.join(png)).unwrap();
        let info = png::Decoder::new(std::io::BufReader::new(f))
            .read_info()
            .unwrap()
            .info()
            .clone();
        assert!(
            info.width.max(info.height) >= 600,
            "{png}: {}×{}",
            info.width,
            info.height
        );
    }
    assert_no_temporaries(&out);
}

#[test]
fn snowstats_refuses_bad_flags_and_dates_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    write_dem(&dem, 20, 20, &[]);
    let m1 = dir.path().join("m1.tif");
    let m2 = dir.path().join("m2.tif");
    write_mask(&m1, 20, 20, 0);
    write_mask(&m2, 20, 20, 1);
    let out = dir.path().join("out");
    let base = |dates: &str, band: &str| {
        run(&[
            "snowstats",
            s(&m1),
            s(&m2),
            "--dates",
            dates,
            "--dem",
            s(&dem),
            "--band-m",
            band,
            "--out",
            s(&out),
        ])
    };
    for band in ["1e-9", "0.001", "-5", "NaN", "inf", "1e300"] {
        assert_refused(&base("2020-05-01,2020-05-13", band), &["--band-m"], &[&out]);
    }
    for dates in [
        "17-01-03,2020-05-13",
        "99999-01-03,2020-05-13",
        "2020-02-30,2020-05-13",
        "2020-05-13,2020-05-01",
        "2020-05-01,2020-05-01",
        "2020-05-01",
    ] {
        let o = base(dates, "100");
        assert_refused(&o, &[], &[&out]);
        let e = stderr(&o);
        assert!(e.contains("--dates") || e.contains("dates"), "{e}");
    }
}

#[test]
fn terrain_flags_and_output_clashes() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    write_dem(&dem, 20, 25, &[]);
    let x = dir.path().join("x.tif");
    let l = dir.path().join("l.tif");
    // Negative heading is accepted.
    let o = run(&[
        "terrain",
        s(&dem),
        "--lia",
        s(&l),
        "--incidence",
        "39",
        "--heading",
        "-168",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::remove_file(&l).unwrap();
    for (flag, v) in [
        ("--heading", "1e300"),
        ("--heading", "NaN"),
        ("--incidence", "-5"),
        ("--incidence", "95"),
        ("--incidence", "NaN"),
    ] {
        let mut args = vec![
            "terrain",
            s(&dem),
            "--lia",
            s(&l),
            "--incidence",
            "39",
            "--heading",
            "-12",
        ];
        let i = args.iter().position(|a| *a == flag).unwrap();
        args[i + 1] = v;
        assert_refused(&run(&args), &[flag], &[&l]);
    }
    // Two outputs at one path.
    let o = run(&["terrain", s(&dem), "--slope", s(&x), "--aspect", s(&x)]);
    assert_refused(&o, &["--slope", "--aspect"], &[&x]);
    // An output that is the input.
    let before = std::fs::read(&dem).unwrap();
    let o = run(&["terrain", s(&dem), "--slope", s(&dem)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--slope"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&dem).unwrap(), before);
    // A device, and a symlink to one.
    let o = run(&["terrain", s(&dem), "--slope", "/dev/null"]);
    assert_refused(&o, &["--slope", "/dev/null"], &[]);
    assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    #[cfg(unix)]
    {
        let link = dir.path().join("null.tif");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        let o = run(&["terrain", s(&dem), "--slope", s(&link)]);
        assert_refused(&o, &["--slope", "symlink"], &[]);
    }
    // A folder as output.
    let o = run(&["terrain", s(&dem), "--slope", s(dir.path())]);
    assert_refused(&o, &["--slope"], &[]);
    assert_no_temporaries(dir.path());
}

#[test]
fn terrain_refuses_an_ungeoreferenced_dem() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("plain.tif");
    let data = Array2::from_shape_fn((10, 10), |(r, c)| (r + c) as f64);
    geotiff::write_f64(
        &dem,
        &Raster::new(data, Grid::new(10, 10, Default::default(), Crs::unknown())).unwrap(),
    )
    .unwrap();
    let slope = dir.path().join("slope.tif");
    let o = run(&["terrain", s(&dem), "--slope", s(&slope)]);
    assert_refused(&o, &["plain.tif", "georeferencing"], &[&slope]);
}

#[test]
fn failed_rerun_keeps_the_previous_set() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    write_dem(&dem, 20, 25, &[]);
    let (sl, asp) = (dir.path().join("slope.tif"), dir.path().join("aspect.tif"));
    let o = run(&["terrain", s(&dem), "--slope", s(&sl), "--aspect", s(&asp)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (a0, b0) = (std::fs::read(&sl).unwrap(), std::fs::read(&asp).unwrap());
    // A re-run on a corrupt DEM fails: the old pair stays as it was.
    let bad = dir.path().join("bad.tif");
    std::fs::write(&bad, b"MM\0*\0\0\0\x08\0\0").unwrap();
    let o = run(&["terrain", s(&bad), "--slope", s(&sl), "--aspect", s(&asp)]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(&sl).unwrap(), a0);
    assert_eq!(std::fs::read(&asp).unwrap(), b0);
    assert_no_temporaries(dir.path());
}

/// SIGINT during a run (item 10): the run stops with status 130 and leaves
/// no temporary and no output behind (or, if it finished first, the whole
/// set). Several interruption times, so that some land mid-computation.
#[cfg(unix)]
#[test]
fn interrupted_run_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    write_dem(&dem, 1200, 1500, &[]);
    let outs: Vec<PathBuf> = ["slope.tif", "aspect.tif", "slope.png", "aspect.png"]
        .iter()
        .map(|n| dir.path().join("o").join(n))
        .collect();
    let mut interrupted = 0;
    for delay_ms in [30u64, 150, 400, 900] {
        let mut child = cryosar()
            .args([
                "terrain",
                s(&dem),
                "--slope",
                s(&outs[0]),
                "--aspect",
                s(&outs[1]),
            ])
            .arg("--png")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let code = child.wait().unwrap().code();
        let present: Vec<bool> = outs.iter().map(|p| p.exists()).collect();
        match code {
            // 130: the clean-up handler ran; None: killed by SIGINT before
            // the handler was installed (before any output was registered).
            Some(130) | None => {
                interrupted += 1;
                assert_eq!(present, vec![false; 4], "after {delay_ms} ms");
            }
            Some(0) => assert_eq!(present, vec![true; 4], "after {delay_ms} ms"),
            other => panic!("exit {other:?} after {delay_ms} ms"),
        }
        if dir.path().join("o").exists() {
            assert_no_temporaries(&dir.path().join("o"));
        }
        assert_no_temporaries(dir.path());
        let _ = std::fs::remove_dir_all(dir.path().join("o"));
    }
    assert!(interrupted > 0, "no run was interrupted");
}

#[test]
fn info_into_a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    write_dem(&dem, 10, 10, &[]);
    let mut child = cryosar()
        .args(["info", s(&dem)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away, as `| head -0` would
    let o = child.wait_with_output().unwrap();
    let e = stderr(&o);
    assert!(!e.contains("panicked"), "{e}");
    assert_eq!(o.status.code(), Some(0), "{e}");
}

/// Inputs of a wetsnow run on a 24 × 24 grid.
fn wetsnow_inputs(dir: &Path, dem_spikes: &[((usize, usize), f64)]) -> Vec<PathBuf> {
    let n = 24;
    let g = grid(n, n);
    let mut out = Vec::new();
    for (name, base, slope) in [
        ("vv.tif", 0.05, 1e-4),
        ("vh.tif", 0.01, 2e-5),
        ("rvv.tif", 0.1, 1e-4),
        ("rvh.tif", 0.02, 2e-5),
    ] {
        let p = dir.join(name);
        let d = Array2::from_shape_fn((n, n), |(r, c)| {
            base + slope * ((r * 5 + c * 3) % 17) as f64
        });
        geotiff::write_f64(&p, &Raster::new(d, g.clone()).unwrap()).unwrap();
        out.push(p);
    }
    let dem = dir.join("dem.tif");
    write_dem(&dem, n, n, dem_spikes);
    out.push(dem);
    out
}

#[test]
fn wetsnow_validates_everything_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let i = wetsnow_inputs(dir.path(), &[]);
    let out = dir.path().join("out");
    let base: Vec<&str> = vec![
        "wetsnow",
        "--vv",
        s(&i[0]),
        "--vh",
        s(&i[1]),
        "--ref-vv",
        s(&i[2]),
        "--ref-vh",
        s(&i[3]),
        "--dem",
        s(&i[4]),
        "--incidence",
        "39",
        "--heading",
        "-168",
        "--out",
        s(&out),
    ];
    for (extra, flag) in [
        (vec!["--coefficient", "-1"], "--coefficient"),
        (vec!["--coefficient", "NaN"], "--coefficient"),
        (vec!["--threshold-db", "1e300"], "--threshold-db"),
        (
            vec!["--method", "threshold", "--majority", "4"],
            "--majority",
        ),
        (
            vec!["--method", "threshold", "--majority", "-3"],
            "--majority",
        ),
        (vec!["--gmm-from", "/nonexistent/gmm.json"], "--gmm-from"),
        (vec!["--samples", "0"], "--samples"),
    ] {
        let mut a = base.clone();
        a.extend(extra);
        assert_refused(&run(&a), &[flag], &[&out]);
    }
    // An input on another grid names both files.
    let other = dir.path().join("other.tif");
    write_dem(&other, 10, 10, &[]);
    let mut a = base.clone();
    a[4] = s(&other);
    assert_refused(&run(&a), &["other.tif", "vv.tif"], &[&out]);
    // A DEM on another grid is named as the DEM, not as a local incidence
    // angle (none was given).
    let mut a = base.clone();
    let k = a.iter().position(|x| *x == "--dem").unwrap();
    a[k + 1] = s(&other);
    let o = run(&a);
    assert_refused(&o, &["other.tif"], &[&out]);
    assert!(!stderr(&o).contains("incidence angle"), "{}", stderr(&o));
    // An empty image (all no-data): the error names the input.
    let empty = dir.path().join("empty.tif");
    let nan = Array2::from_elem((24, 24), f64::NAN);
    geotiff::write_f64(&empty, &Raster::new(nan, grid(24, 24)).unwrap()).unwrap();
    let mut a = base.clone();
    a[2] = s(&empty);
    assert_refused(&run(&a), &["empty.tif"], &[&out]);
    // The output folder may not be an input.
    let mut a = base.clone();
    let k = a.iter().position(|x| *x == "--out").unwrap();
    a[k + 1] = s(&i[0]);
    assert_eq!(run(&a).status.code(), Some(1));
}

#[test]
fn wetsnow_with_fill_values_in_the_dem_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let i = wetsnow_inputs(
        dir.path(),
        &[
            ((5, 5), -3.4e38),
            ((6, 6), 1e300),
            ((7, 7), f64::from(f32::MAX)),
        ],
    );
    let out = dir.path().join("out");
    let o = run(&[
        "wetsnow",
        "--vv",
        s(&i[0]),
        "--vh",
        s(&i[1]),
        "--ref-vv",
        s(&i[2]),
        "--ref-vh",
        s(&i[3]),
        "--dem",
        s(&i[4]),
        "--incidence",
        "39",
        "--heading",
        "-168",
        "--samples",
        "1000",
        "--out",
        s(&out),
    ]);
    let e = stderr(&o);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "status {:?}: {e}",
        o.status
    );
    assert!(!e.contains("panicked"), "{e}");
    if o.status.code() == Some(1) {
        assert!(!out.join("wetsnow.tif").exists());
    }
}

#[test]
fn voidfill_refuses_clashing_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("dem.tif");
    write_dem(&dem, 12, 12, &[]);
    let x = dir.path().join("x.tif");
    let o = run(&[
        "voidfill",
        s(&dem),
        "--dem",
        s(&dem),
        "--mask",
        s(&dem),
        "--filled",
        s(&x),
        "--std",
        s(&x),
    ]);
    assert_refused(&o, &["--filled", "--std"], &[&x]);
    let other = dir.path().join("other.tif");
    write_dem(&other, 10, 10, &[]);
    let o = run(&[
        "voidfill",
        s(&dem),
        "--dem",
        s(&other),
        "--mask",
        s(&dem),
        "--filled",
        s(&x),
    ]);
    assert_refused(&o, &["other.tif", "dem.tif"], &[&x]);
}

#[test]
fn user_defined_crs_survives_terrain() {
    // Crop of the OGGM Columbia Glacier DEM (BSD-3), a local Transverse
    // Mercator written by GDAL as user-defined GeoKeys.
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sar-core/tests/data/geotiff/columbia_user_tm_crop.tif");
    let dir = tempfile::tempdir().unwrap();
    let slope = dir.path().join("slope.tif");
    let o = run(&["terrain", s(&src), "--slope", s(&slope)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let a = geotiff::read_info(&src).unwrap();
    let b = geotiff::read_info(&slope).unwrap();
    assert!(a.grid.crs.proj4.is_some());
    assert_eq!(a.grid.crs.proj4, b.grid.crs.proj4);
    let o = run(&["info", s(&slope)]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("+proj=tmerc") && text.contains("3075 ProjCoordTransGeoKey"),
        "{text}"
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // A brief run in CI; HOSTILE_FUZZ_CASES=1000000 for a long one.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("HOSTILE_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
        ))]

        /// Mutated GeoTIFF bytes: the reader returns an error or a raster,
        /// never panics, and never allocates past the file's plausibility.
        #[test]
        fn mutated_geotiffs_never_panic(
            edits in proptest::collection::vec((0usize..4096, any::<u8>()), 1..24),
            truncate in proptest::option::of(0usize..4096),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("m.tif");
            write_dem(&p, 20, 30, &[]);
            let mut b = std::fs::read(&p).unwrap();
            for (i, v) in edits {
                let n = b.len();
                b[i % n] = v;
            }
            if let Some(t) = truncate {
                b.truncate(t.min(b.len()));
            }
            std::fs::write(&p, &b).unwrap();
            let _ = geotiff::read_info(&p);
            let _ = geotiff::read_f64(&p, 0);
            let _ = geotiff::read_u8(&p, 0);
        }
    }
}
