//! Calibration harness at CI size (issue 10): seeded realisations of an
//! independent scene generator (`tests/common/calibration.rs`), scored with
//! the default pipeline. The full-size run (>= 100 realisations) is the
//! example `calibration`; its figures are in the crate docs.
mod common;

use common::calibration::{scene, score, summary, SizeRange};
use gp_voidfill::GpVoidFill;

#[test]
fn default_pipeline_intervals_are_calibrated() {
    let size = SizeRange {
        rows: (16, 22),
        cols: (24, 32),
    };
    let (mut pix, mut means) = (Vec::new(), Vec::new());
    for seed in 0..24u64 {
        let s = scene(seed, size);
        let r = score(&GpVoidFill::new().seed(seed), &s).expect("fit");
        pix.extend(r.pixel_z);
        means.extend(r.mean_z);
    }
    let (sd_p, cov_p, n_p) = summary(&pix);
    let (sd_m, cov_m, n_m) = summary(&means);
    eprintln!(
        "filled pixels: n {n_p}, std(z) {sd_p:.3}, coverage {cov_p:.3}; \
         void means: n {n_m}, std(z) {sd_m:.3}, coverage {cov_m:.3}"
    );
    // Measured with the default hyper-parameter uncertainty (24
    // realisations, 1 243 pixel and 70 void-mean z-scores): pixels std(z)
    // 1.090, coverage 0.932; void means std(z) 0.771, coverage 0.986. These
    // scenes are smaller than the full harness's (~170 training pixels for
    // 15 hyper-parameters) and there the Laplace draws over-cover the void
    // means (the full-size run, 100 realisations, gives 0.978 / 0.961 and
    // the plug-in variance gave 1.229 / 0.891; crate docs). The band
    // (0.9-1.1 / 0.93-0.97) is asserted for the pixels' coverage only; the
    // other bounds guard against regressions (sampling error of std(z)
    // with ~70 z-scores: about 1/sqrt(2n) = 8.5 %).
    assert!(n_p > 500, "{n_p}");
    assert!((0.9..=1.2).contains(&sd_p), "pixel std(z) {sd_p}");
    assert!((0.93..=0.97).contains(&cov_p), "pixel coverage {cov_p}");
    assert!(n_m > 50, "{n_m}");
    assert!((0.7..=1.3).contains(&sd_m), "void-mean std(z) {sd_m}");
    assert!((0.85..=1.0).contains(&cov_m), "void-mean coverage {cov_m}");
}
