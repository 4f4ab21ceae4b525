//! End-to-end tests of `cryosar unwrap` (issue 13): a real phase band and a
//! complex interferogram band, with `--coherence`, `--mask`, `--tile` /
//! `--overlap` and `--components`; the unwrapped phase is checked against
//! the known true phase of synthetic interferograms
//! (`phase_unwrap::synthetic`), the georeferencing against the input's, and
//! bad flags and files against exit status 1, a message naming the flag or
//! file, and no output left behind.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ndarray::Array2;
use phase_unwrap::synthetic::{correct_fraction, hills, scene, wrap, Case};
use phase_unwrap::{unwrap, UnwrapParams};
use rand::SeedableRng;
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

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temporary path")
}

/// A UTM grid (EPSG:32633) with 20 m × 25 m pixels; rotated-free, north-up.
fn grid(rows: usize, cols: usize) -> Grid {
    Grid::north_up(
        rows,
        cols,
        412_340.0,
        5_161_220.0,
        20.0,
        25.0,
        Crs::epsg(32633),
    )
}

fn write(path: &Path, data: Array2<f64>) {
    let (r, c) = data.dim();
    geotiff::write_f64(path, &Raster::new(data, grid(r, c)).unwrap()).unwrap();
}

/// A complex (CFloat32) interferogram band `amp · exp(i ψ)`; amplitude 0
/// where `psi` is NaN (the program's no-data for complex bands).
fn write_complex(path: &Path, psi: &Array2<f64>, amp: impl Fn(usize, usize) -> f64) {
    let mut z: sar_core::sar::Slc = Array2::default(psi.dim());
    for ((i, j), v) in z.indexed_iter_mut() {
        let p = psi[[i, j]];
        if p.is_finite() {
            let a = amp(i, j);
            v.re = (a * p.cos()) as f32;
            v.im = (a * p.sin()) as f32;
        }
    }
    let (r, c) = psi.dim();
    let raster = Raster::new(z, grid(r, c)).unwrap();
    geotiff::write_bands(path, &[raster], &geotiff::WriteOptions::default()).unwrap();
}

/// Exit status 0; the output phase read back with its grid checked.
#[track_caller]
fn assert_ok_and_read(o: &Output, out: &Path, rows: usize, cols: usize) -> Array2<f64> {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    let r = geotiff::read_f64(out, 0).unwrap();
    assert!(
        r.grid.same_as(&grid(rows, cols)),
        "georeferencing changed: {:?}",
        r.grid
    );
    assert!(r.grid.crs.same_as(&Crs::epsg(32633)));
    r.data
}

#[test]
fn real_phase_with_coherence_mask_and_components() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (rows, cols) = (90, 110);
    let sc = scene(Case::MaskedHoles, rows, cols, 21);
    let mask = sc.mask.clone().expect("the holes case has a mask");
    // The phase file holds wrapped noise inside the holes too: only the
    // mask file removes them.
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(4);
    let junk = hills(rows, cols, 3.0, &mut rng);
    let phase = Array2::from_shape_fn((rows, cols), |(i, j)| {
        if mask[[i, j]] {
            sc.wrapped[[i, j]]
        } else {
            wrap(junk[[i, j]] * 7.0)
        }
    });
    let (ph, coh, mk) = (d.join("phase.tif"), d.join("coh.tif"), d.join("mask.tif"));
    write(&ph, phase.clone());
    write(&coh, sc.coherence.clone());
    write(&mk, mask.mapv(|m| if m { 1.0 } else { 0.0 }));
    let (out, cc) = (d.join("unw.tif"), d.join("cc.tif"));
    let o = run(&[
        "unwrap",
        s(&ph),
        "--coherence",
        s(&coh),
        "--mask",
        s(&mk),
        "--looks",
        "6",
        "--out",
        s(&out),
        "--components",
        s(&cc),
    ]);
    let unw = assert_ok_and_read(&o, &out, rows, cols);
    // Same numbers as the library on the same input (Float32 output).
    let lib = unwrap(
        &phase,
        Some(&sc.coherence),
        Some(&mask),
        &UnwrapParams::default().looks(6.0),
    )
    .unwrap();
    for ((u, l), &m) in unw.iter().zip(lib.phase.iter()).zip(mask.iter()) {
        if m {
            assert!((u - l).abs() < 1e-5 * l.abs().max(1.0), "{u} vs {l}");
        } else {
            assert!(u.is_nan(), "masked pixel unwrapped to {u}");
        }
    }
    // Against the truth: the correct integer cycle on at least 99 % of the
    // valid pixels (up to one offset per component).
    let labels = geotiff::read_f64(&cc, 0).unwrap();
    assert!(labels.grid.same_as(&grid(rows, cols)));
    let lab = labels
        .data
        .mapv(|v| if v.is_finite() { v as u32 } else { 0 });
    assert_eq!(lab, lib.components);
    let frac = correct_fraction(&unw, &lab, &sc.truth, &mask);
    assert!(frac >= 0.99, "correct cycles on {frac}");
    // Re-wrapping the output gives the input back.
    for ((u, p), &m) in unw.iter().zip(phase.iter()).zip(mask.iter()) {
        if m {
            let k = (u - p) / (2.0 * PI);
            assert!((k - k.round()).abs() < 1e-4, "not a whole cycle: {k}");
        }
    }
}

#[test]
fn complex_interferogram_band_tiled_noise_free_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (rows, cols) = (100, 130);
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(77);
    // Steep noise-free topography, 0.8π rad/pixel at most, with a no-data
    // stripe (zero amplitude) that splits the image in two components.
    let truth = hills(rows, cols, 0.8 * PI, &mut rng);
    let psi = Array2::from_shape_fn((rows, cols), |(i, j)| {
        if (60..63).contains(&j) {
            f64::NAN
        } else {
            wrap(truth[[i, j]])
        }
    });
    let ifg = d.join("ifg.tif");
    write_complex(&ifg, &psi, |i, j| {
        1.0 + 100.0 * ((i * 7 + j * 3) % 11) as f64
    });
    let (out, cc) = (d.join("unw.tif"), d.join("cc.tif"));
    let o = run(&[
        "unwrap",
        s(&ifg),
        "--tile",
        "48",
        "--overlap",
        "12",
        "--out",
        s(&out),
        "--components",
        s(&cc),
    ]);
    let unw = assert_ok_and_read(&o, &out, rows, cols);
    let lab = geotiff::read_f64(&cc, 0)
        .unwrap()
        .data
        .mapv(|v| if v.is_finite() { v } else { 0.0 });
    // Two components: left of the stripe (label 1, reference (0, 0)) and
    // right of it (label 2, reference (0, 63)); each equals the truth up to
    // its own whole number of cycles, at Float32 precision.
    for (k, j0) in [(1.0, 0usize), (2.0, 63)] {
        let off = truth[[0, j0]] - unw[[0, j0]];
        let cyc = off / (2.0 * PI);
        assert!((cyc - cyc.round()).abs() < 1e-6);
        for ((i, j), &u) in unw.indexed_iter() {
            if lab[[i, j]] == k {
                assert!(
                    (u + off - truth[[i, j]]).abs() < 1e-4,
                    "({i}, {j}): {u} + {off} vs {}",
                    truth[[i, j]]
                );
            }
        }
    }
    for i in 0..rows {
        for j in 60..63 {
            assert!(unw[[i, j]].is_nan() && lab[[i, j]] == 0.0);
        }
    }
    assert_eq!(lab.iter().filter(|&&l| l == 1.0).count(), rows * 60);
    assert_eq!(lab.iter().filter(|&&l| l == 2.0).count(), rows * 67);
}

#[test]
fn complex_noisy_interferogram_with_coherence_matches_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (rows, cols) = (120, 96);
    let sc = scene(Case::LowCoherence { looks: 8 }, rows, cols, 13);
    let (ifg, coh) = (d.join("ifg.tif"), d.join("coh.tif"));
    write_complex(&ifg, &sc.wrapped, |_, _| 3.0);
    write(&coh, sc.coherence.clone());
    let out = d.join("unw.tif");
    let o = run(&[
        "unwrap",
        s(&ifg),
        "--coherence",
        s(&coh),
        "--looks",
        "8",
        "--tile",
        "64",
        "--overlap",
        "16",
        "--out",
        s(&out),
    ]);
    let unw = assert_ok_and_read(&o, &out, rows, cols);
    // The argument of the Float32 band, as the program reads it.
    let psi = sc
        .wrapped
        .mapv(|p| (((3.0 * p.sin()) as f32) as f64).atan2(((3.0 * p.cos()) as f32) as f64));
    let p = UnwrapParams::default()
        .looks(8.0)
        .tile_size(Some(64))
        .tile_overlap(16);
    let lib = unwrap(&psi, Some(&sc.coherence), None, &p).unwrap();
    for (u, l) in unw.iter().zip(lib.phase.iter()) {
        assert!((u - l).abs() < 1e-5 * l.abs().max(1.0), "{u} vs {l}");
    }
    let valid = Array2::from_elem((rows, cols), true);
    let ours = correct_fraction(&unw, &lib.components, &sc.truth, &valid);
    let libf = correct_fraction(&lib.phase, &lib.components, &sc.truth, &valid);
    assert!((ours - libf).abs() < 1e-12, "{ours} vs {libf}");
    // Coherence 0.2–0.35 with 8 looks: the synthetic cases score 0.98–0.99.
    assert!(ours > 0.95, "correct cycles on {ours}");
}

/// Status 1, every needle in stderr, no panic, and nothing at `outputs`.
#[track_caller]
fn assert_refused(o: &Output, needles: &[&str], outputs: &[&Path]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(1), "status {:?}: {e}", o.status);
    assert!(!e.contains("panicked"), "panic: {e}");
    for n in needles {
        assert!(e.contains(n), "stderr lacks {n:?}: {e}");
    }
    for p in outputs {
        assert!(!p.exists(), "{} written by a failed run", p.display());
    }
}

#[test]
fn bad_flags_and_files_exit_1_naming_them_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (rows, cols) = (40, 50);
    let sc = scene(Case::Coherence06, rows, cols, 2);
    let (ph, coh) = (d.join("phase.tif"), d.join("coh.tif"));
    write(&ph, sc.wrapped.clone());
    write(&coh, sc.coherence.clone());
    let small = d.join("small.tif");
    write(&small, Array2::from_elem((rows - 1, cols), 0.5));
    let garbage = d.join("garbage.tif");
    std::fs::write(&garbage, b"II*\0 this is not a GeoTIFF").unwrap();
    let nan = d.join("nan.tif");
    write(&nan, Array2::from_elem((rows, cols), f64::NAN));
    let missing: PathBuf = d.join("missing.tif");
    let (out, cc) = (d.join("unw.tif"), d.join("cc.tif"));
    let outs = [out.as_path(), cc.as_path()];
    let base = |extra: &[&str]| {
        let mut a = vec!["unwrap", s(&ph)];
        a.extend_from_slice(extra);
        a.extend_from_slice(&["--out", s(&out), "--components", s(&cc)]);
        run(&a)
    };
    assert_refused(&base(&["--looks", "0.5"]), &["--looks"], &outs);
    assert_refused(&base(&["--looks", "NaN"]), &["--looks"], &outs);
    assert_refused(&base(&["--tile", "8"]), &["--tile"], &outs);
    assert_refused(
        &base(&["--tile", "64", "--overlap", "40"]),
        &["--overlap"],
        &outs,
    );
    assert_refused(
        &base(&["--coherence", s(&small)]),
        &["--coherence", "small.tif"],
        &outs,
    );
    assert_refused(
        &base(&["--mask", s(&missing)]),
        &["--mask", "missing.tif"],
        &outs,
    );
    assert_refused(
        &base(&["--coherence", s(&garbage)]),
        &["--coherence", "garbage.tif"],
        &outs,
    );
    for bad in [&missing, &garbage] {
        let o = run(&["unwrap", s(bad), "--out", s(&out), "--components", s(&cc)]);
        assert_refused(&o, &[bad.file_name().unwrap().to_str().unwrap()], &outs);
    }
    // All pixels no-data: a clear error, no output.
    let o = run(&["unwrap", s(&nan), "--out", s(&out)]);
    assert_refused(&o, &["nan.tif", "no valid pixel"], &outs);
    // An output over an input, or both outputs at one path.
    let o = run(&["unwrap", s(&ph), "--coherence", s(&coh), "--out", s(&coh)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--out"), "{}", stderr(&o));
    assert_eq!(
        geotiff::read_f64(&coh, 0).unwrap().data,
        sc.coherence,
        "the input was overwritten"
    );
    let o = run(&["unwrap", s(&ph), "--out", s(&out), "--components", s(&out)]);
    assert_refused(&o, &["--components"], &outs);
    // A successful run afterwards, for contrast, writes both outputs.
    let o = base(&["--coherence", s(&coh), "--looks", "10"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.exists() && cc.exists());
}
