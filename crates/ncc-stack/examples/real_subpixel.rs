//! Sub-pixel estimators on real images: exact-shift pairs made from a real
//! Landsat-8 scene (optical and SAR-like) and from real Sentinel-1 images,
//! the real Yahtse Glacier pair (optical) and a real Sentinel-1 pair.
//!
//! Run:
//! `cargo run --release -p ncc-stack --example real_subpixel [-- DIR]`
//! with `DIR` the folder of the Yahtse Landsat-8 pair (default
//! `../shared/data/real/yahtse-landsat8-pair`; USGS, public domain).
//!
//! For every estimator it prints, on
//! * `optical`: band 8 (DN, 15 m) against a copy shifted by exactly
//!   (+8, +3) px — the truth is known exactly;
//! * `sar-like`: the same scene as a SAR intensity (DN² times one seeded
//!   exponential speckle field shared by both images, processed in dB),
//!   shifted by (+8, +3) px;
//! * `s1 lely` and `s1 grd dB`: real Sentinel-1 GRD images (the crops of
//!   `tests/data/`, see its README: 8-bit amplitude over Lely, processed in
//!   dB; γ⁰ in dB over southern France), shifted by (+8, +3), (+2, +7) and
//!   (+5, +1) px, 12 px step, without and with ×2 oversampling;
//! * `yahtse`: the real 16-day pair, the scatter (median and 95th percentile
//!   of the offset magnitude in px) on stable ground (rock templates whose
//!   parabolic *and* Gaussian offsets both lie within 1 px of zero, so that
//!   neither estimator chooses the set), and the time;
//! * `lely`: the real Sentinel-1 pair (two acquisitions of a co-registered
//!   GRD stack, `tests/data/s1_lely_2{1,2}_crop512.tif`): the same stable
//!   ground figures (all of that ground is still: its truth is zero);
//!
//! the fraction of templates within 0.1 px of the truth, the 95th percentile
//! and the largest error, and how many fits fell back.

use ncc_stack::preprocess::{preprocess, PreprocessParams};
use ncc_stack::{
    track, FitInit, Pair, PairSet, PeakParams, SearchRadius, SubpixelMethod, TrackParams,
};
use ndarray::{s, Array2};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use sar_core::{geotiff, Grid};

fn pct(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn run(
    a: &Array2<f64>,
    b: &Array2<f64>,
    db: bool,
    peak: &PeakParams,
    search: usize,
) -> (ncc_stack::VelocityField, f64) {
    run_with(a, b, db, peak, search, 16, false)
}

/// As [`run`] with the template step (px) and ×2 oversampling chosen.
fn run_with(
    a: &Array2<f64>,
    b: &Array2<f64>,
    db: bool,
    peak: &PeakParams,
    search: usize,
    step: usize,
    oversample: bool,
) -> (ncc_stack::VelocityField, f64) {
    let pp = PreprocessParams::new().to_db(db);
    let t0 = std::time::Instant::now();
    let pa = preprocess(a.view(), &pp).expect("preprocess");
    let pb = preprocess(b.view(), &pp).expect("preprocess");
    let (rows, cols) = a.dim();
    let grid = Grid::pixel(rows, cols);
    let pairs = PairSet {
        pairs: vec![Pair {
            primary: 0,
            secondary: 1,
        }],
        interval_days: 16.0,
    };
    let params = TrackParams::new()
        .template_px(48)
        .step_px(step)
        .search(SearchRadius::Pixels(search))
        .oversample(oversample)
        .peak(peak.clone());
    let f = track(&[pa.view(), pb.view()], &grid, &pairs, &params, None).expect("track");
    (f, t0.elapsed().as_secs_f64())
}

fn shifted(img: &Array2<f64>, dx: usize, dy: usize) -> (Array2<f64>, Array2<f64>) {
    let (rows, cols) = img.dim();
    let a = img.slice(s![dy.., dx..]).to_owned();
    let b = img.slice(s![..rows - dy, ..cols - dx]).to_owned();
    // b[r + dy, c + dx] = img[r + dy, c + dx] = a[r, c]: features move +dx, +dy
    (a, b)
}

/// 4×4 (k×k) block means of `img` and of `img` offset by (mx, my) scene
/// pixels: the features of the second lie (mx/k, my/k) px to the right
/// of and below those of the first, exactly.
fn boxed(img: &Array2<f64>, k: usize, mx: usize, my: usize) -> (Array2<f64>, Array2<f64>) {
    let (rows, cols) = img.dim();
    let (nr, nc) = ((rows - my) / k, (cols - mx) / k);
    let bm = |oy: usize, ox: usize| {
        Array2::from_shape_fn((nr, nc), |(r, c)| {
            img.slice(s![
                oy + r * k..oy + (r + 1) * k,
                ox + c * k..ox + (c + 1) * k
            ])
            .mean()
            .unwrap_or(f64::NAN)
        })
    };
    // b[q] covers scene pixels from k·q; a[p] from k·p + m: a[p] = b[p + m/k]
    (bm(my, mx), bm(0, 0))
}

/// One row of the exact-shift table: templates, share within 0.1 px of
/// `truth`, 95th percentile and largest error, fits that fell back, time.
fn error_row(scene: &str, m: &str, f: &ncc_stack::VelocityField, truth: (f64, f64), secs: f64) {
    let mut errs: Vec<f64> = f
        .offset_x_px
        .data
        .iter()
        .zip(f.offset_y_px.data.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (x - truth.0).hypot(y - truth.1))
        .collect();
    let n = errs.len();
    let within = errs.iter().filter(|e| **e <= 0.1).count() as f64 / n as f64;
    let p95 = pct(&mut errs, 0.95);
    let max = errs.last().copied().unwrap_or(f64::NAN);
    println!(
        "| {scene} | {m} | {n} | {:.2} % | {p95:.3} | {max:.3} | {} | {secs:.2} |",
        100.0 * within,
        f.summary.fit_failed
    );
}

/// Band 1 of this crate's `tests/data/{name}`.
fn test_data(name: &str) -> Array2<f64> {
    let p = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    geotiff::read_f64(&p, 0)
        .unwrap_or_else(|e| panic!("read {p}: {e}"))
        .data
}

/// Stable-ground table of every estimator on the real pair (a, b): the
/// templates whose integer peak lies within 1 lag of zero on both axes
/// (chosen without any sub-pixel estimator); bias = median offset,
/// scatter = NMAD (1.4826 × median absolute deviation).
fn stable_table(
    title: &str,
    a: &Array2<f64>,
    b: &Array2<f64>,
    db: bool,
    methods: &[(&str, PeakParams)],
    search: usize,
) {
    let fields: Vec<_> = methods
        .iter()
        .map(|(_, pp)| run(a, b, db, pp, search))
        .collect();
    let (ifield, _) = run(
        a,
        b,
        db,
        &PeakParams::new().method(SubpixelMethod::Integer),
        search,
    );
    let stable = ndarray::Zip::from(&ifield.offset_x_px.data)
        .and(&ifield.offset_y_px.data)
        .map_collect(|&x, &y| x.abs() <= 1.0 && y.abs() <= 1.0);
    println!(
        "\n{title}, {} stable templates (integer peak within 1 lag of 0); \
         bias = median offset, scatter = NMAD (1.4826 × median absolute deviation)",
        stable.iter().filter(|v| **v).count()
    );
    println!("| estimator | bias x (px) | bias y (px) | scatter x (px) | scatter y (px) | median |d| (px) | p95 |d| (px) | fell back | time (s) |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for ((m, _), (f, secs)) in methods.iter().zip(&fields) {
        let pick = |a: &Array2<f64>| -> Vec<f64> {
            ndarray::Zip::from(a)
                .and(&stable)
                .fold(Vec::new(), |mut v, &x, &s| {
                    if s && x.is_finite() {
                        v.push(x);
                    }
                    v
                })
        };
        let (mut dx, mut dy) = (pick(&f.offset_x_px.data), pick(&f.offset_y_px.data));
        let mut d: Vec<f64> = dx.iter().zip(&dy).map(|(a, b)| a.hypot(*b)).collect();
        let nmad = |v: &mut Vec<f64>| -> (f64, f64) {
            let med = pct(v, 0.5);
            let mut dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
            (med, 1.4826 * pct(&mut dev, 0.5))
        };
        let ((bx, sx), (by, sy)) = (nmad(&mut dx), nmad(&mut dy));
        let med = pct(&mut d, 0.5);
        let p95 = pct(&mut d, 0.95);
        println!(
            "| {m} | {bx:.3} | {by:.3} | {sx:.3} | {sy:.3} | {med:.3} | {p95:.3} | {} | {secs:.2} |",
            f.summary.fit_failed
        );
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/real/yahtse-landsat8-pair".into());
    let i1 = geotiff::read_f64(format!("{dir}/LC80630182016200LGN00_B8_yahtse.TIF"), 0)
        .expect("read image 1")
        .data;
    let i2 = geotiff::read_f64(format!("{dir}/LC80630182016216LGN00_B8_yahtse.TIF"), 0)
        .expect("read image 2")
        .data;
    let i1 = i1.mapv(|v| if v > 0.0 { v } else { f64::NAN });
    let i2 = i2.mapv(|v| if v > 0.0 { v } else { f64::NAN });
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    let speckled = i1.mapv(|v| {
        let e: f64 = Exp1.sample(&mut rng);
        v * v * e
    });
    let g = PeakParams::new().method(SubpixelMethod::GaussianFit);
    // the fit as printed in sect. 2.2.2 (the former default), and the
    // defaults with one ingredient reverted at a time
    let printed = g
        .clone()
        .fit_window(11)
        .init(FitInit::Thesis)
        .max_fit_shift_px(6.0);
    let methods: Vec<(&str, PeakParams)> = vec![
        ("gauss fit (3x3 x10, 3-point start)", g.clone()),
        ("parabolic (default)", PeakParams::new()),
        (
            "gauss 3-point",
            g.clone().method(SubpixelMethod::Gaussian3Point),
        ),
        (
            "gauss fit as printed (11x11 x10, thesis start, any centre)",
            printed,
        ),
        (
            "gauss fit 7x7 x10 (S1 window of sect. 2.3.2)",
            g.clone().fit_window(7),
        ),
        ("gauss fit 5x5 x10", g.clone().fit_window(5)),
        ("gauss fit 3x3 without up-sampling", g.clone().upsample(1)),
        (
            "gauss fit 3x3 x10, thesis start",
            g.clone().init(FitInit::Thesis),
        ),
        (
            "gauss fit 11x11 x10, 3-point start, centre within 1 px",
            g.clone().fit_window(11),
        ),
        ("integer", g.clone().method(SubpixelMethod::Integer)),
    ];
    // NCC_PICK=0,1,8 runs a subset
    let pick: Option<Vec<usize>> = std::env::var("NCC_PICK")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect());
    let methods: Vec<_> = match pick {
        Some(p) => methods
            .into_iter()
            .enumerate()
            .filter(|(k, _)| p.contains(k))
            .map(|(_, m)| m)
            .collect(),
        None => methods,
    };
    println!("| scene | estimator | templates | within 0.1 px | p95 error (px) | max error (px) | fell back | time (s) |");
    println!("|---|---|---|---|---|---|---|---|");
    // exact sub-pixel shifts: the scene seen by a sensor with 4×4 larger
    // pixels (4×4 block means), the second view offset by (9, 7) scene
    // pixels = (2.25, 1.75) sensor pixels
    let (oa, ob) = boxed(&i1, 4, 9, 7);
    let (sa, sb) = boxed(&speckled, 4, 9, 7);
    let (oa2, ob2) = boxed(&i1, 4, 6, 5);
    let (oi, oj) = shifted(&i1, 8, 3);
    let (si, sj) = shifted(&speckled, 8, 3);
    let lely = [
        test_data("s1_lely_21_crop512.tif"),
        test_data("s1_lely_22_crop512.tif"),
    ];
    let scenes = [
        ("optical", &oi, &oj, false, (8.0, 3.0)),
        ("sar-like", &si, &sj, true, (8.0, 3.0)),
        ("optical 4x4 sub-pixel", &oa, &ob, false, (2.25, 1.75)),
        ("optical 4x4 sub-pixel b", &oa2, &ob2, false, (1.5, 1.25)),
        ("sar-like 4x4 sub-pixel", &sa, &sb, true, (2.25, 1.75)),
    ];
    let skip_scenes = std::env::var("NCC_NO_SCENES").is_ok();
    for (name, a, b, db, (tx, ty)) in scenes {
        if skip_scenes {
            break;
        }
        for (m, pp) in &methods {
            let (f, secs) = run(a, b, db, pp, 12);
            error_row(name, m, &f, (tx, ty), secs);
        }
    }
    // real Sentinel-1 images against exact whole-pixel shifts of
    // themselves, 12 px step as in `tests/real_subpixel.rs`, without and
    // with ×2 oversampling
    let grd = test_data("s1_20150309_vv_grd_db.tif");
    for (name, img, db) in [
        ("s1 lely (8-bit amplitude, 10 m)", &lely[0], true),
        ("s1 grd dB (20 m)", &grd, false),
    ] {
        if skip_scenes {
            break;
        }
        for (dx, dy) in [(8usize, 3usize), (2, 7), (5, 1)] {
            let (a, b) = shifted(img, dx, dy);
            for oversample in [false, true] {
                for (m, pp) in &methods {
                    let (f, secs) = run_with(&a, &b, db, pp, 10, 12, oversample);
                    let scene = format!(
                        "{name} ({dx}, {dy}){}",
                        if oversample { " x2 oversampled" } else { "" }
                    );
                    error_row(&scene, m, &f, (dx as f64, dy as f64), secs);
                }
            }
        }
    }
    // the real pairs; stable ground chosen without any sub-pixel estimator
    stable_table(
        "yahtse 16-day pair (Landsat-8)",
        &i1,
        &i2,
        false,
        &methods,
        20,
    );
    stable_table(
        "lely pair (Sentinel-1 GRD, co-registered stack)",
        &lely[0],
        &lely[1],
        true,
        &methods,
        10,
    );
}
