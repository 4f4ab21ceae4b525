//! Every bad input of the issue returns a specific error that says what to fix.

use ncc_stack::{form_pairs, track, Date, NccError, Pair, PairSet, SearchRadius, TrackParams};
use ndarray::Array2;
use sar_core::Grid;

fn img(n: usize, seed: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, n), |(r, c)| {
        (((r * 31 + c * 17 + seed * 7) % 23) as f64) - 11.0
    })
}

fn pair01() -> PairSet {
    PairSet {
        pairs: vec![Pair {
            primary: 0,
            secondary: 1,
        }],
        interval_days: 11.0,
    }
}

#[test]
fn fewer_than_two_images() {
    let a = img(64, 0);
    let e = track(
        &[a.view()],
        &Grid::pixel(64, 64),
        &pair01(),
        &TrackParams::new(),
        None,
    )
    .unwrap_err();
    assert!(matches!(e, NccError::TooFewImages(1)));
    assert!(e.to_string().contains("at least two images"));
}

#[test]
fn grids_that_differ() {
    let (a, b) = (img(64, 0), img(48, 1));
    let e = track(
        &[a.view(), b.view()],
        &Grid::pixel(64, 64),
        &pair01(),
        &TrackParams::new().template_px(16),
        None,
    )
    .unwrap_err();
    assert!(matches!(
        e,
        NccError::Sar(sar_core::SarError::ShapeMismatch { .. })
    ));
}

#[test]
fn dates_out_of_order_or_missing() {
    let d = |s: &str| s.parse::<Date>().unwrap();
    let e = form_pairs(&[vec![d("2017-01-21"), d("2017-01-10")]], 1, 0.5).unwrap_err();
    assert!(matches!(e, NccError::DatesOutOfOrder { .. }));
    assert!(e.to_string().contains("sort the images"));
    // an impossible date is rejected by the parser (sar-core's Date)
    assert!("2017-02-30".parse::<Date>().is_err());
    // a missing date: a pair refers to an image without a date
    assert!(matches!(
        ncc_stack::check_pairs(
            &[Pair {
                primary: 0,
                secondary: 2
            }],
            &[d("2017-01-10"), d("2017-01-21")],
            0.5
        ),
        Err(NccError::BadPair { .. })
    ));
}

#[test]
fn template_larger_than_image() {
    let (a, b) = (img(64, 0), img(64, 1));
    let e = track(
        &[a.view(), b.view()],
        &Grid::pixel(64, 64),
        &pair01(),
        &TrackParams::new().template_px(96),
        None,
    )
    .unwrap_err();
    assert!(matches!(e, NccError::TemplateTooLarge { template: 96, .. }));
    assert!(e.to_string().contains("smaller template"));
}

#[test]
fn search_radius_that_leaves_no_valid_template() {
    // 48 px template ± 20 px needs 88 px: fits a 90 px image, but with a 16 px
    // step no template centre lies far enough from the edges
    let (a, b) = (img(90, 0), img(90, 1));
    let p = TrackParams::new()
        .template_px(48)
        .step_px(16)
        .search(SearchRadius::Pixels(20));
    let e = track(
        &[a.view(), b.view()],
        &Grid::pixel(90, 90),
        &pair01(),
        &p,
        None,
    )
    .unwrap_err();
    assert!(matches!(e, NccError::NoValidTemplate(_)), "{e}");
    assert!(e.to_string().contains("image edge"));
}

#[test]
fn all_nan_images() {
    let a = img(64, 0);
    let b = Array2::from_elem((64, 64), f64::NAN);
    let e = track(
        &[a.view(), b.view()],
        &Grid::pixel(64, 64),
        &pair01(),
        &TrackParams::new().template_px(16),
        None,
    )
    .unwrap_err();
    assert!(matches!(e, NccError::AllNaN(1)));
}

#[test]
fn invalid_parameters() {
    assert!(matches!(
        TrackParams::new().step_px(0).check(),
        Err(NccError::InvalidParameter {
            name: "step_px",
            ..
        })
    ));
    assert!(matches!(
        TrackParams::new().template_px(2).check(),
        Err(NccError::InvalidParameter { .. })
    ));
    let (a, b) = (img(64, 0), img(64, 1));
    let bad_pair = PairSet {
        pairs: vec![Pair {
            primary: 0,
            secondary: 5,
        }],
        interval_days: 1.0,
    };
    let e = track(
        &[a.view(), b.view()],
        &Grid::pixel(64, 64),
        &bad_pair,
        &TrackParams::new().template_px(16),
        None,
    )
    .unwrap_err();
    assert!(matches!(e, NccError::BadPair { pair: 0, .. }));
}
