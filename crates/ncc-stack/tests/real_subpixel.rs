//! The default sub-pixel estimator on real images (issue 14), all crops in
//! `tests/data/` (sources and licences in `tests/data/README.md`):
//!
//! * exact-shift pairs — a real image against a copy of itself shifted by an
//!   exact whole number of pixels, so that the truth is exact: at least
//!   99.5 % of the templates must lie within 0.1 px of it, and no estimate
//!   may be a far-off offset. Images: a Landsat-8 band 8 crop (optical, DN),
//!   the same crop as a SAR-like intensity (DN² times one seeded exponential
//!   speckle field, in dB), a real Sentinel-1 GRD backscatter image in dB
//!   (20 m, geocoded) and a real Sentinel-1 GRD amplitude crop (Lely,
//!   Flevoland, 10 m, 8-bit), on which the criterion needs ×2 oversampling;
//! * stable-ground scatter on real pairs — two Landsat-8 scenes 16 days apart
//!   (optical, and SAR-like) and two acquisitions of a co-registered
//!   Sentinel-1 GRD stack (real SAR): the default's scatter must be no
//!   larger than the parabola's.

use ncc_stack::preprocess::{preprocess, PreprocessParams};
use ncc_stack::{
    track, Pair, PairSet, PeakParams, SearchRadius, SubpixelMethod, TrackParams, VelocityField,
};
use ndarray::{s, Array2};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use sar_core::{geotiff, Grid};

/// Band 1 of `tests/data/{name}` as f64.
fn data(name: &str) -> Array2<f64> {
    let p = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    geotiff::read_f64(&p, 0)
        .unwrap_or_else(|e| panic!("read {p}: {e}"))
        .data
}

/// The Landsat-8 crop used for the exact-shift pairs.
fn landsat_crop() -> Array2<f64> {
    data("yahtse_b8_2016-07-18_crop256.tif")
}

/// `img` as a SAR-like intensity: DN² times a seeded unit-mean exponential
/// speckle field.
fn sar_like(img: &Array2<f64>, seed: u64) -> Array2<f64> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    img.mapv(|v| {
        let e: f64 = Exp1.sample(&mut rng);
        v * v * e
    })
}

/// `img` and a copy whose features lie exactly (dx, dy) px to the right of
/// and below those of the first (integer crops of the same array).
fn shifted(img: &Array2<f64>, dx: usize, dy: usize) -> (Array2<f64>, Array2<f64>) {
    let (rows, cols) = img.dim();
    let a = img.slice(s![dy.., dx..]).to_owned();
    let b = img.slice(s![..rows - dy, ..cols - dx]).to_owned();
    (a, b)
}

/// Tracking geometry of one run: template, step and search radius (px),
/// ×2 oversampling or not.
struct Geometry {
    template: usize,
    step: usize,
    search: usize,
    oversample: bool,
}

/// Pre-process both images and track the single pair (a → b).
fn track_pair(
    a: &Array2<f64>,
    b: &Array2<f64>,
    pp: &PreprocessParams,
    g: &Geometry,
    peak: PeakParams,
) -> VelocityField {
    let (pa, pb) = (
        preprocess(a.view(), pp).expect("preprocess"),
        preprocess(b.view(), pp).expect("preprocess"),
    );
    let pairs = PairSet {
        pairs: vec![Pair {
            primary: 0,
            secondary: 1,
        }],
        interval_days: 12.0,
    };
    let params = TrackParams::new()
        .template_px(g.template)
        .step_px(g.step)
        .search(SearchRadius::Pixels(g.search))
        .oversample(g.oversample)
        .peak(peak);
    let grid = Grid::pixel(a.nrows(), a.ncols());
    track(&[pa.view(), pb.view()], &grid, &pairs, &params, None).expect("track")
}

/// Distances (px) of the finite offsets of `f` from `truth`.
fn errors(f: &VelocityField, truth: (f64, f64)) -> Vec<f64> {
    f.offset_x_px
        .data
        .iter()
        .zip(f.offset_y_px.data.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (x - truth.0).hypot(y - truth.1))
        .collect()
}

/// Fraction of `errs` within `tol`.
fn within(errs: &[f64], tol: f64) -> f64 {
    errs.iter().filter(|e| **e <= tol).count() as f64 / errs.len() as f64
}

/// Fraction within 0.1 px of (dx, dy), the largest error and the number of
/// templates, for `img` against its copy shifted by (dx, dy); 48 px
/// templates, 12 px step, ±10 px search, ×2 oversampling if `oversample`.
fn score(
    img: &Array2<f64>,
    (dx, dy): (usize, usize),
    db: bool,
    peak: PeakParams,
    oversample: bool,
) -> (f64, f64, usize) {
    let (a, b) = shifted(img, dx, dy);
    let g = Geometry {
        template: 48,
        step: 12,
        search: 10,
        oversample,
    };
    let f = track_pair(&a, &b, &PreprocessParams::new().to_db(db), &g, peak);
    let errs = errors(&f, (dx as f64, dy as f64));
    let worst = errs.iter().copied().fold(0.0, f64::max);
    (within(&errs, 0.1), worst, errs.len())
}

/// The exact shifts (px) of every exact-shift check.
const SHIFTS: [(usize, usize); 3] = [(8, 3), (2, 7), (5, 1)];

/// The images that meet the criterion at the default settings: (name,
/// image, in linear units?).
fn exact_shift_images() -> Vec<(&'static str, Array2<f64>, bool)> {
    let optical = landsat_crop();
    let sar = sar_like(&optical, 14);
    vec![
        ("landsat-8 optical", optical, false),
        ("landsat-8 sar-like", sar, true),
        // real SAR backscatter, already in dB
        (
            "sentinel-1 grd dB",
            data("s1_20150309_vv_grd_db.tif"),
            false,
        ),
    ]
}

#[test]
fn default_estimator_on_exact_shift_real_pairs() {
    for (name, im, db) in exact_shift_images() {
        for shift in SHIFTS {
            let (within, worst, n) = score(&im, shift, db, PeakParams::new(), false);
            eprintln!(
                "{name} {shift:?}: {n} templates, {:.2} % within 0.1 px, worst {worst:.3} px",
                100.0 * within
            );
            assert!(n > 100, "{name}: {n} templates");
            assert!(
                within >= 0.995,
                "{name} {shift:?}: {:.2} % within 0.1 px",
                100.0 * within
            );
            // a failed fit falls back to the 3-point estimate, never far off
            assert!(worst < 0.5, "{name} {shift:?}: worst error {worst} px");
        }
    }
    // the fit as printed in sect. 2.2.2 (11×11 window) is what went wrong
    let img = landsat_crop();
    let fit = PeakParams::new().method(SubpixelMethod::GaussianFit);
    let (within, _, _) = score(&img, (8, 3), false, fit.clone().fit_window(11), false);
    assert!(within < 0.9, "11×11 fit: {:.2} %", 100.0 * within);
    // and the 3×3 fit passes too
    let (within, _, _) = score(&img, (8, 3), false, fit, false);
    assert!(within >= 0.995, "3×3 fit: {:.2} %", 100.0 * within);
    // the default is the parabola (see `PeakParams`)
    assert_eq!(PeakParams::new().get_method(), SubpixelMethod::Parabolic);
}

/// The real Sentinel-1 amplitude crop over Lely (8-bit, bright saturated
/// roads, dikes and buildings): with 48 px templates and no oversampling
/// the default puts only 98.6–99.5 % of the templates within 0.1 px of an
/// exact whole-pixel shift — short of issue 14's 99.5 % — because a bright
/// line near a template's edge makes the correlation surface itself
/// asymmetric at ±1 lag (every 3-point estimator and the fit share the
/// error; the fit is worst). ×2 oversampling of the images before
/// correlation (sect. 2.3.2, `TrackParams::oversample`) removes it: the
/// default then meets the criterion. Neither setting gives a far-off
/// offset.
#[test]
fn default_estimator_on_a_real_sentinel1_amplitude_exact_shift() {
    let img = data("s1_lely_21_crop512.tif");
    for shift in SHIFTS {
        let (plain, worst_plain, n) = score(&img, shift, true, PeakParams::new(), false);
        let (over, worst_over, _) = score(&img, shift, true, PeakParams::new(), true);
        eprintln!(
            "sentinel-1 lely {shift:?}: {n} templates within 0.1 px {:.2} % (worst {worst_plain:.3} px), \
             ×2 oversampled {:.2} % (worst {worst_over:.3} px)",
            100.0 * plain,
            100.0 * over
        );
        assert!(n > 1000, "{n} templates");
        assert!(
            over >= 0.995 && over >= plain,
            "{shift:?}: oversampled {over}, plain {plain}"
        );
        assert!(
            worst_plain < 0.5 && worst_over < 0.5,
            "{shift:?}: worst {worst_plain} / {worst_over} px"
        );
    }
}

/// k×k block means of `img` and of `img` offset by (mx, my) scene pixels:
/// the features of the second view lie exactly (mx/k, my/k) px to the
/// right of and below those of the first (a sensor with k× larger pixels).
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
            .unwrap()
        })
    };
    (bm(my, mx), bm(0, 0))
}

/// Mean absolute error against an exact sub-pixel shift.
fn subpixel_error(a: &Array2<f64>, b: &Array2<f64>, truth: (f64, f64), peak: PeakParams) -> f64 {
    let pp = PreprocessParams::new()
        .to_db(false)
        .highpass(Some((25, 8.0)));
    let g = Geometry {
        template: 24,
        step: 4,
        search: 4,
        oversample: false,
    };
    let errs = errors(&track_pair(a, b, &pp, &g, peak), truth);
    assert!(errs.len() > 100, "{} templates", errs.len());
    errs.iter().sum::<f64>() / errs.len() as f64
}

/// Why the Gaussian fit of eq. 2.5 stays on offer although the parabola is
/// the default: on exact *sub-pixel* shifts of the real scene the parabola
/// locks onto whole lags (the same shrinkage that lowers its stable-ground
/// scatter), the fit much less.
#[test]
fn gaussian_fit_beats_the_parabola_on_exact_subpixel_shifts() {
    let img = landsat_crop();
    for (mx, my) in [(4usize, 2usize), (1, 5)] {
        let (a, b) = boxed(&img, 3, mx, my);
        let truth = (mx as f64 / 3.0, my as f64 / 3.0);
        let fit = PeakParams::new().method(SubpixelMethod::GaussianFit);
        let e_fit = subpixel_error(&a, &b, truth, fit);
        let e_par = subpixel_error(&a, &b, truth, PeakParams::new());
        eprintln!("shift {truth:?}: mean error fit {e_fit:.4} px, parabola {e_par:.4} px");
        assert!(
            e_fit < 0.8 * e_par,
            "shift {truth:?}: fit {e_fit} px, parabola {e_par} px"
        );
    }
}

/// NMAD (1.4826 × median absolute deviation) of the finite values.
fn nmad(v: &[f64]) -> f64 {
    let med = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let m = med(&mut v);
    let mut dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    1.4826 * med(&mut dev)
}

/// Stable-ground scatter (NMAD of the x and y offsets, px) of one estimator
/// on a real pair.
fn stable_scatter(a: &Array2<f64>, b: &Array2<f64>, db: bool, peak: PeakParams) -> (f64, f64) {
    let g = Geometry {
        template: 48,
        step: 8,
        search: 10,
        oversample: false,
    };
    let f = track_pair(a, b, &PreprocessParams::new().to_db(db), &g, peak);
    let x: Vec<f64> = f.offset_x_px.data.iter().copied().collect();
    let y: Vec<f64> = f.offset_y_px.data.iter().copied().collect();
    assert!(x.iter().filter(|v| v.is_finite()).count() > 300);
    (nmad(&x), nmad(&y))
}

/// Issue 14: the default's stable-ground scatter is no larger than the
/// parabola's on a real optical pair, a SAR-like version of it and a real
/// SAR pair.
/// * optical: 256×256 px crops of the two Landsat-8 scenes (16 days apart)
///   on ice-free ground;
/// * SAR-like: the same crops as DN² times one seeded exponential speckle
///   field shared by both dates (coherent rock), in dB;
/// * real SAR: 512×512 px crops of two acquisitions of a co-registered
///   Sentinel-1 GRD stack over farmland and a town (Lely, Flevoland): the
///   ground does not move, so every offset's truth is zero (fields change
///   their backscatter between the dates, not their place).
#[test]
fn default_stable_ground_scatter_on_a_real_pair() {
    let a = data("yahtse_b8_2016-07-18_stable256.tif");
    let b = data("yahtse_b8_2016-08-03_stable256.tif");
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(21);
    let speckle = Array2::from_shape_fn(a.dim(), |_| -> f64 { Exp1.sample(&mut rng) });
    let (sa, sb) = (&a * &a * &speckle, &b * &b * &speckle);
    let (ra, rb) = (
        data("s1_lely_21_crop512.tif"),
        data("s1_lely_22_crop512.tif"),
    );
    for (name, x, y, db) in [
        ("landsat-8 optical", &a, &b, false),
        ("landsat-8 sar-like", &sa, &sb, true),
        ("sentinel-1 lely", &ra, &rb, true),
    ] {
        let scatter = |m: SubpixelMethod| stable_scatter(x, y, db, PeakParams::new().method(m));
        let def = stable_scatter(x, y, db, PeakParams::new());
        let par = scatter(SubpixelMethod::Parabolic);
        let fit = scatter(SubpixelMethod::GaussianFit);
        eprintln!(
            "{name}: stable-ground NMAD x/y default {:.4}/{:.4}, parabolic {:.4}/{:.4}, \
             gauss fit (eq. 2.5) {:.4}/{:.4} px",
            def.0, def.1, par.0, par.1, fit.0, fit.1
        );
        assert!(
            def.0 <= par.0 && def.1 <= par.1,
            "{name}: {def:?} vs {par:?}"
        );
    }
}
