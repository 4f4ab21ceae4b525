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

mod extreme_sizes {
    //! Sizes and radii reachable from data (a --search of 1e300 m/d, a
    //! template of usize::MAX / 2 px, an interval of NaN days): every
    //! combination is a typed error or a result, never an overflow panic.
    use super::*;
    use ncc_stack::track_with_prior;
    use ncc_stack::PriorOffsets;
    use proptest::prelude::*;

    fn extreme_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-f64::INFINITY),
            Just(f64::MAX),
            Just(f64::MIN_POSITIVE),
            Just(-3.4e38),
            Just(0.0),
            1e-300..1e300f64,
            -1e3..1e3f64,
        ]
    }

    fn extreme_usize() -> impl Strategy<Value = usize> {
        prop_oneof![
            Just(0usize),
            Just(usize::MAX),
            Just(usize::MAX / 2),
            Just(usize::MAX / 2 + 1),
            Just(1usize << 53),
            0usize..80,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn extreme_search_template_and_interval(
            template in extreme_usize(),
            radius in extreme_usize(),
            v_max in extreme_f64(),
            margin in extreme_usize(),
            interval in extreme_f64(),
            prior in extreme_f64(),
        ) {
            let (a, b) = (img(40, 0), img(40, 1));
            let grid = Grid::pixel(40, 40);
            let pairs = PairSet {
                pairs: vec![Pair { primary: 0, secondary: 1 }],
                interval_days: interval,
            };
            for search in [
                SearchRadius::Pixels(radius),
                SearchRadius::FromVelocity { v_max_m_per_day: v_max, margin_px: margin },
            ] {
                let p = TrackParams::new().template_px(template).step_px(8).search(search);
                // the radius itself never panics
                let _ = p.search_radius_px(interval, &grid);
                match track(&[a.view(), b.view()], &grid, &pairs, &p, None) {
                    Ok(f) => {
                        prop_assert!((4..=40).contains(&template));
                        prop_assert!(interval > 0.0 && interval.is_finite());
                        prop_assert!(template + 2 * f.search_radius_px <= 40);
                    }
                    Err(e) => prop_assert!(matches!(
                        e,
                        NccError::InvalidParameter { .. } | NccError::TemplateTooLarge { .. }
                    ), "{e}"),
                }
                // a prior of any size shifts the window off the image
                // (skipped templates), never out of bounds
                let shape = grid.coarsen(8, 8).unwrap().shape();
                let pr = PriorOffsets {
                    dx_px: Array2::from_elem(shape, prior),
                    dy_px: Array2::from_elem(shape, -prior),
                };
                let r = track_with_prior(&[a.view(), b.view()], &grid, &pairs, &p, Some(&pr), None);
                if let Err(e) = r {
                    prop_assert!(matches!(
                        e,
                        NccError::InvalidParameter { .. }
                            | NccError::TemplateTooLarge { .. }
                            | NccError::NoValidTemplate(_)
                    ), "{e}");
                }
            }
        }
    }
}
