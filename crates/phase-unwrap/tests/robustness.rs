//! Bad, degenerate and extreme input: defined results or specific errors.

use std::f64::consts::PI;

use ndarray::Array2;
use phase_unwrap::synthetic::wrap;
use phase_unwrap::{unwrap, UnwrapError, UnwrapParams};

fn ramp(rows: usize, cols: usize, gy: f64, gx: f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| gy * i as f64 + gx * j as f64)
}

#[test]
fn noise_free_ramps_are_recovered_exactly() {
    // Gradients below π per pixel in both directions: no residue, the
    // unwrapped phase equals the truth minus its value at the reference.
    for &(r, c, gy, gx) in &[
        (17, 23, 0.3, 2.9),
        (40, 9, -3.0, 1.1),
        (1, 50, 0.0, -2.5),
        (33, 1, 3.1, 0.0),
    ] {
        let truth = ramp(r, c, gy, gx);
        let out = unwrap(&truth.mapv(wrap), None, None, &UnwrapParams::default()).unwrap();
        assert_eq!(out.residues, 0);
        assert_eq!(out.n_components, 1);
        let off = truth[[0, 0]] - out.phase[[0, 0]];
        for (u, t) in out.phase.iter().zip(truth.iter()) {
            assert!((u + off - t).abs() < 1e-9, "{r}x{c}: {u} vs {t}");
        }
    }
}

#[test]
fn rewrapping_gives_the_input_back() {
    let s = phase_unwrap::synthetic::scene(
        phase_unwrap::synthetic::Case::LowCoherence { looks: 4 },
        40,
        37,
        5,
    );
    let p = UnwrapParams::default().looks(4.0);
    let out = unwrap(&s.wrapped, Some(&s.coherence), None, &p).unwrap();
    assert!(out.residues > 0);
    for (u, w) in out.phase.iter().zip(s.wrapped.iter()) {
        let d = wrap(u - w);
        assert!(d.abs() < 1e-9 || (d.abs() - PI).abs() < 1e-9);
        assert!(((u - w) / (2.0 * PI) - ((u - w) / (2.0 * PI)).round()).abs() < 1e-9);
    }
}

#[test]
fn empty_input_is_an_error() {
    let e = unwrap(&Array2::zeros((0, 5)), None, None, &UnwrapParams::default()).unwrap_err();
    assert!(matches!(e, UnwrapError::EmptyInput { rows: 0, cols: 5 }));
}

#[test]
fn shape_mismatch_names_the_input() {
    let p = Array2::zeros((4, 5));
    let e = unwrap(
        &p,
        Some(&Array2::zeros((5, 4))),
        None,
        &UnwrapParams::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            UnwrapError::ShapeMismatch {
                what: "coherence",
                ..
            }
        ),
        "{e}"
    );
    let e = unwrap(
        &p,
        None,
        Some(&Array2::from_elem((4, 4), true)),
        &UnwrapParams::default(),
    )
    .unwrap_err();
    assert!(
        matches!(e, UnwrapError::ShapeMismatch { what: "mask", .. }),
        "{e}"
    );
    assert!(e.to_string().contains("mask"));
}

#[test]
fn all_masked_or_all_nan_is_an_error() {
    let p = Array2::from_elem((6, 7), 1.0);
    let e = unwrap(
        &p,
        None,
        Some(&Array2::from_elem((6, 7), false)),
        &UnwrapParams::default(),
    )
    .unwrap_err();
    assert!(matches!(e, UnwrapError::NoValidPixels { pixels: 42 }));
    let e = unwrap(
        &Array2::from_elem((3, 3), f64::NAN),
        None,
        None,
        &UnwrapParams::default(),
    )
    .unwrap_err();
    assert!(matches!(e, UnwrapError::NoValidPixels { pixels: 9 }));
}

#[test]
fn invalid_parameters_are_named() {
    let p = Array2::zeros((4, 4));
    for (params, name) in [
        (UnwrapParams::default().looks(0.5), "looks"),
        (UnwrapParams::default().looks(f64::NAN), "looks"),
        (
            UnwrapParams::default().assumed_coherence(0.0),
            "assumed_coherence",
        ),
        (UnwrapParams::default().tile_size(Some(8)), "tile_size"),
        (
            UnwrapParams::default()
                .tile_size(Some(100))
                .tile_overlap(50),
            "tile_overlap",
        ),
        (
            UnwrapParams::default().gradient_half_window(1000),
            "gradient_half_window",
        ),
    ] {
        match unwrap(&p, None, None, &params) {
            Err(UnwrapError::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("expected InvalidParameter({name}), got {other:?}"),
        }
    }
}

#[test]
fn single_valid_pixel_and_constant_phase() {
    let mut p = Array2::from_elem((5, 5), f64::NAN);
    p[[2, 3]] = 7.0; // wrapped to 7 − 2π
    let out = unwrap(&p, None, None, &UnwrapParams::default()).unwrap();
    assert_eq!(out.n_components, 1);
    assert_eq!(out.references, vec![(2, 3)]);
    assert!((out.phase[[2, 3]] - (7.0 - 2.0 * PI)).abs() < 1e-12);
    assert_eq!(out.components.iter().filter(|&&c| c > 0).count(), 1);
    assert!(out.phase[[0, 0]].is_nan());

    let c = Array2::from_elem((9, 11), -1.25);
    let out = unwrap(&c, None, None, &UnwrapParams::default()).unwrap();
    assert_eq!(out.residues, 0);
    assert!(out.phase.iter().all(|&u| (u + 1.25).abs() < 1e-12));
    assert!(out.cycles.iter().all(|&k| k == 0));
}

#[test]
fn fill_values_nan_and_bad_coherence_are_no_data() {
    let s = phase_unwrap::synthetic::scene(phase_unwrap::synthetic::Case::Coherence06, 24, 30, 2);
    let mut phase = s.wrapped.clone();
    let mut coh = s.coherence.clone();
    phase[[3, 4]] = -3.4e38;
    phase[[5, 5]] = f64::NAN;
    phase[[6, 6]] = f64::INFINITY;
    coh[[7, 7]] = f64::NAN;
    coh[[8, 8]] = -3.4e38;
    coh[[9, 9]] = 1.5;
    coh[[10, 10]] = 0.0; // zero coherence is valid data with the largest noise
    let out = unwrap(
        &phase,
        Some(&coh),
        None,
        &UnwrapParams::default().looks(10.0),
    )
    .unwrap();
    for &(i, j) in &[(3, 4), (5, 5), (6, 6), (7, 7), (8, 8), (9, 9)] {
        assert!(out.phase[[i, j]].is_nan(), "({i},{j})");
        assert_eq!(out.components[[i, j]], 0);
    }
    assert!(out.phase[[10, 10]].is_finite());
    assert_eq!(out.components[[10, 10]], 1);
}

#[test]
fn disconnected_regions_are_separate_components_with_own_reference() {
    // Two ramps separated by a masked column; each is its own component,
    // referenced (zero cycles) at its first pixel in raster order.
    let truth = ramp(12, 21, 0.7, 2.0);
    let mut mask = Array2::from_elem((12, 21), true);
    for i in 0..12 {
        mask[[i, 10]] = false;
    }
    let out = unwrap(
        &truth.mapv(wrap),
        None,
        Some(&mask),
        &UnwrapParams::default(),
    )
    .unwrap();
    assert_eq!(out.n_components, 2);
    assert_eq!(out.references, vec![(0, 0), (0, 11)]);
    assert_eq!(out.cycles[[0, 0]], 0);
    assert_eq!(out.cycles[[0, 11]], 0);
    assert_eq!(out.components[[5, 3]], 1);
    assert_eq!(out.components[[5, 15]], 2);
    for comp in 1..=2u32 {
        let (ri, rj) = out.references[comp as usize - 1];
        let off = truth[[ri, rj]] - out.phase[[ri, rj]];
        for ((idx, &u), &c) in out.phase.indexed_iter().zip(out.components.iter()) {
            if c == comp {
                assert!((u + off - truth[idx]).abs() < 1e-9);
            }
        }
    }
}
