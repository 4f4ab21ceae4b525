//! Small calibration harness run in CI (the full-size run is
//! `examples/calibration.rs`; its figures are in the crate docs).
//!
//! 40 seeded realisations × 3 glaciers = 120 z-scores of glacier-mean dh
//! errors, on scenes the defaults were not tuned on (random grid and pixel
//! sizes, correlation ranges, sills, nuggets, heteroscedasticity, glacier
//! shapes). The 120 scores are correlated within a realisation, so their
//! sampling spread is about that of 60–80 independent ones: the standard
//! deviation of std(z) is ≈ 0.09 and of the coverage ≈ 0.027. The bounds
//! below are those spreads around the ideal values 1 and 0.95 (about ±2 sd);
//! the full run asserts nothing but reports std(z) 0.988 and coverage 0.950
//! over 895 scores.

use uncertainty::*;

#[test]
fn default_pipeline_is_calibrated_on_unseen_scenes() {
    let p = CalibrationParams::default()
        .realisations(40)
        .size_px(96, 160)
        .seed(77);
    let r = run_calibration(&p).unwrap();
    assert!(r.failures.is_empty(), "{:?}", r.failures);
    let s = r.summary().unwrap();
    let o = r.summary_true().unwrap();
    eprintln!("pipeline {s:?}\noracle   {o:?}");
    assert_eq!(s.n, 120);
    assert!((0.82..=1.18).contains(&s.std), "std(z) = {}", s.std);
    assert!(
        (0.89..=0.995).contains(&s.coverage95),
        "coverage {}",
        s.coverage95
    );
    assert!(s.mean.abs() < 0.35, "mean(z) = {}", s.mean);
    // the harness itself: z with the true error model
    assert!((0.82..=1.18).contains(&o.std), "oracle std(z) = {}", o.std);
    // n_eff of the pipeline against the truth, geometric mean over glaciers
    let lr = r
        .scores
        .iter()
        .map(|g| (g.n_eff / g.n_eff_true).ln())
        .sum::<f64>()
        / r.scores.len() as f64;
    assert!(
        lr.exp() > 0.85 && lr.exp() < 1.15,
        "n_eff/true = {}",
        lr.exp()
    );
}

#[test]
fn calibration_is_deterministic_and_checks_parameters() {
    let p = CalibrationParams::default()
        .realisations(2)
        .size_px(80, 96)
        .glaciers(2)
        .seed(5);
    let a = run_calibration(&p).unwrap();
    let b = run_calibration(&p).unwrap();
    assert_eq!(a, b);
    assert!(matches!(
        run_calibration(&CalibrationParams::default().realisations(0)),
        Err(UncertaintyError::InvalidParameter {
            name: "realisations",
            ..
        })
    ));
    assert!(matches!(
        run_calibration(&CalibrationParams::default().size_px(200, 100)),
        Err(UncertaintyError::InvalidParameter {
            name: "size_px",
            ..
        })
    ));
}
