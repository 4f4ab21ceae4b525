//! The ZNCC surface against OpenCV and against a direct evaluation of
//! eq. 1.10; properties of the surface.

use ncc_stack::{CircularNcc, NccContext, NccError};
use ndarray::{s, Array2};
use proptest::prelude::*;

/// Direct evaluation of eq. 1.10 at every lag.
fn naive_zncc(t: &Array2<f64>, w: &Array2<f64>) -> Array2<f64> {
    let n = t.nrows();
    let l = w.nrows();
    let m = l - n + 1;
    let tm = t.mean().unwrap();
    Array2::from_shape_fn((m, m), |(dy, dx)| {
        let sub = w.slice(s![dy..dy + n, dx..dx + n]);
        let wm = sub.mean().unwrap();
        let (mut num, mut a, mut b) = (0.0, 0.0, 0.0);
        for (x, y) in t.iter().zip(sub.iter()) {
            num += (x - tm) * (y - wm);
            a += (x - tm) * (x - tm);
            b += (y - wm) * (y - wm);
        }
        num / (a * b).sqrt()
    })
}

#[test]
fn zncc_equals_opencv_tm_ccoeff_normed() {
    // Values from tools/reference/ncc_opencv_reference.py (OpenCV matchTemplate,
    // TM_CCOEFF_NORMED, float32 inputs).
    let text = include_str!("data/zncc_opencv.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    for case in v["cases"].as_array().unwrap() {
        let t = case["template_px"].as_u64().unwrap() as usize;
        let r = case["search_radius_px"].as_u64().unwrap() as usize;
        let l = t + 2 * r;
        let get = |k: &str, n: usize| {
            let d: Vec<f64> = case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            Array2::from_shape_vec((n, n), d).unwrap()
        };
        let tpl = get("template", t);
        let win = get("window", l);
        let cv = get("opencv_surface", 2 * r + 1);
        let ctx = NccContext::new(t, r).unwrap();
        let mut scratch = ctx.make_scratch();
        let ours = ctx.zncc(tpl.view(), win.view(), &mut scratch).unwrap();
        let max_diff = ours
            .iter()
            .zip(cv.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        eprintln!("t = {t}: max |ours − OpenCV| = {max_diff:e}");
        assert!(max_diff < 1e-5, "max |ours − OpenCV| = {max_diff:e}");
        // and the peak is at the lag the script planted
        let lag = case["true_lag_yx"].as_array().unwrap();
        let (dy, dx) = (lag[0].as_i64().unwrap(), lag[1].as_i64().unwrap());
        let (pi, _) = ours
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap();
        let s = 2 * r + 1;
        assert_eq!(
            ((pi / s) as i64 - r as i64, (pi % s) as i64 - r as i64),
            (dy, dx)
        );
    }
}

#[test]
fn zero_variance_and_nodata_are_errors_not_values() {
    let ctx = NccContext::new(8, 2).unwrap();
    let mut sc = ctx.make_scratch();
    let flat = Array2::from_elem((8, 8), 3.0);
    let win = Array2::from_shape_fn((12, 12), |(r, c)| ((r * 5 + c * 3) % 7) as f64);
    assert!(matches!(
        ctx.zncc(flat.view(), win.view(), &mut sc),
        Err(NccError::ZeroVariance(_))
    ));
    let tpl = win.slice(s![2..10, 2..10]).to_owned();
    let mut w2 = win.clone();
    w2.slice_mut(s![0..8, 0..8]).fill(1.0); // a constant sub-window at lag (−2, −2)
    assert!(matches!(
        ctx.zncc(tpl.view(), w2.view(), &mut sc),
        Err(NccError::ZeroVariance(_))
    ));
    let mut w3 = win.clone();
    w3[[5, 5]] = f64::NAN;
    assert!(matches!(
        ctx.zncc(tpl.view(), w3.view(), &mut sc),
        Err(NccError::NoDataInWindow(_))
    ));
    assert!(matches!(
        ctx.zncc(tpl.view(), tpl.view(), &mut sc),
        Err(NccError::InvalidParameter { .. })
    ));
}

#[test]
fn circular_form_matches_direct_sum() {
    // eq. 2.1 on mean-removed templates: γ(d) = Σ a(n)·b(n+d mod t) / sqrt(Σa²·Σb²)
    let t = 8;
    let a = Array2::from_shape_fn((t, t), |(r, c)| ((r * 7 + c * 3) % 11) as f64);
    let b = Array2::from_shape_fn((t, t), |(r, c)| a[[(r + t - 1) % t, (c + 2) % t]]);
    let circ = CircularNcc::new(t).unwrap();
    let g = circ.correlate_templates(a.view(), b.view()).unwrap();
    let am = &a - a.mean().unwrap();
    let bm = &b - b.mean().unwrap();
    let norm = (am.mapv(|v| v * v).sum() * bm.mapv(|v| v * v).sum()).sqrt();
    for dy in -4i64..4 {
        for dx in -4i64..4 {
            let mut sum = 0.0;
            for r in 0..t {
                for c in 0..t {
                    let rr = (r as i64 + dy).rem_euclid(t as i64) as usize;
                    let cc = (c as i64 + dx).rem_euclid(t as i64) as usize;
                    sum += am[[r, c]] * bm[[rr, cc]];
                }
            }
            let got = g[[(dy + 4) as usize, (dx + 4) as usize]];
            assert!((got - sum / norm).abs() < 1e-12);
        }
    }
    // b is a moved by (+1 row, −2 cols): the peak is 1.0 there
    assert!((g[[4 + 1, 4 - 2]] - 1.0).abs() < 1e-12);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// ZNCC stays in [−1, 1], equals the direct sum of eq. 1.10, and a
    /// template cut from the window at a lag peaks at exactly that lag.
    #[test]
    fn zncc_bounded_exact_and_shift_equivariant(
        seed in 0u64..10_000,
        dy in 0usize..7,
        dx in 0usize..7,
    ) {
        let (t, r) = (10usize, 3usize);
        let l = t + 2 * r;
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let w = Array2::from_shape_simple_fn((l, l), || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 10.0 - 5.0
        });
        let tpl = w.slice(s![dy..dy + t, dx..dx + t]).to_owned();
        let ctx = NccContext::new(t, r).unwrap();
        let mut sc = ctx.make_scratch();
        let z = ctx.zncc(tpl.view(), w.view(), &mut sc).unwrap();
        let naive = naive_zncc(&tpl, &w);
        for (a, b) in z.iter().zip(naive.iter()) {
            prop_assert!((-1.0..=1.0).contains(a));
            prop_assert!((a - b).abs() < 1e-9);
        }
        let (pi, pv) = z.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
        prop_assert_eq!((pi / (2 * r + 1), pi % (2 * r + 1)), (dy, dx));
        prop_assert!((pv - 1.0).abs() < 1e-9);
    }
}
