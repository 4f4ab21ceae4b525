//! End-to-end checks on the synthetic basin, against the truth it was generated with.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use snowmelt::classify::{classify_si, classify_threshold, SiParams, ThresholdParams};
use snowmelt::gmm::{fit_gmm, sample_pixels, GmmParams};
use snowmelt::optical::{class as oclass, let_it_snow, LisParams};
use snowmelt::synthetic::{Basin, BasinParams};
use snowmelt::tsi::{TopoBinParams, TopoBins};
use snowmelt::validation::{compare, profile_mae, snow_fraction_profile, ValidationParams};
use snowmelt::wsi::{Wsi, WsiParams};

fn basin() -> Basin {
    Basin::generate(&BasinParams::new(), 42).unwrap()
}

#[test]
fn si_beats_fixed_threshold() {
    let b = basin();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let sample = sample_pixels(&[&b.rc_db], 1_000_000, &mut rng);
    let g = fit_gmm(&sample, &GmmParams::new()).unwrap();
    let w = Wsi::from_gmm(&g, &WsiParams::new()).unwrap();
    let bins = TopoBins::new(&TopoBinParams::new(), &b.dem, &b.slope, &b.aspect).unwrap();
    let si = classify_si(&b.rc_db, &w, &bins, &SiParams::new()).unwrap();
    let base = classify_threshold(&b.rc_db, &ThresholdParams::new()).unwrap();
    let base_mf =
        classify_threshold(&b.rc_db, &ThresholdParams::new().majority_window(Some(3))).unwrap();
    let vp = ValidationParams::new().max_elevation_m(None);
    let s_si = compare(&si.mask, &b.truth, None, &vp).unwrap();
    let s_b = compare(&base, &b.truth, None, &vp).unwrap();
    let s_mf = compare(&base_mf, &b.truth, None, &vp).unwrap();
    println!("gmm {g:?}\nwsi {w:?} thr {}", si.threshold);
    println!("SI {s_si:?}\nbase {s_b:?}\nmajority {s_mf:?}");
    assert!(
        s_si.f1 > s_b.f1 + 0.05,
        "SI F1 {} vs −2 dB F1 {}",
        s_si.f1,
        s_b.f1
    );
    assert!(s_si.f1 > 0.9);
}

/// The Let-It-Snow map recovers the optical truth of the synthetic scene:
/// sunlit snow, no snow, the cloud disc and the ice patch; shaded snow
/// (all reflectances × 0.25, so ρ_red ≈ 0.19 < 0.2) only through pass 2 above
/// the snow line.
#[test]
fn optical_map_recovers_truth() {
    use snowmelt::synthetic::is_shaded;
    let b = basin();
    let lis = let_it_snow(&b.optical, &b.dem, &LisParams::new()).unwrap();
    let zs = lis.snow_line_m.unwrap();
    // Snow lies down to snowline − 300 m = 4000 m on north slopes and 4300 m
    // on east/west slopes; the first band with > 30 % snow lies in between.
    assert!((4000.0..=4500.0).contains(&zs), "snow line {zs}");
    let shaded = |r: usize, c: usize| {
        b.optical_truth.data[[r, c]] == oclass::SNOW
            && is_shaded(b.slope.data[[r, c]], b.aspect.data[[r, c]])
    };
    let (rows, cols) = b.dem.shape();
    for cls in [
        oclass::SNOW,
        oclass::NO_SNOW,
        oclass::CLOUD,
        oclass::ICE_WATER,
    ] {
        let (mut n, mut hit) = (0usize, 0usize);
        for r in 0..rows {
            for c in 0..cols {
                if b.optical_truth.data[[r, c]] == cls && !shaded(r, c) {
                    n += 1;
                    hit += usize::from(lis.classes.data[[r, c]] == cls);
                }
            }
        }
        // The cloud test works on 12 × 12 blocks: the disc's rim blocks mix with their surroundings.
        let min = if cls == oclass::CLOUD { 0.8 } else { 0.99 };
        assert!(hit as f64 / n as f64 > min, "class {cls}: {hit} of {n}");
    }
    // Shaded snow above the snow line: pass 2 finds it; its NIR (≈ 0.16) is
    // below 0.4, so the NIR rule of sect. 3.3.5 labels it ice/water — unless
    // that rule is switched off. Below the snow line it stays "no snow".
    let no_nir = let_it_snow(
        &b.optical,
        &b.dem,
        &LisParams {
            nir_ice_water: 0.0,
            ..LisParams::new()
        },
    )
    .unwrap();
    let (mut n_above, mut ice, mut snow_no_nir, mut n_below, mut below_ns) = (0, 0, 0, 0, 0);
    for r in 0..rows {
        for c in 0..cols {
            if !shaded(r, c) {
                continue;
            }
            if b.dem.data[[r, c]] >= zs {
                n_above += 1;
                ice += usize::from(lis.classes.data[[r, c]] == oclass::ICE_WATER);
                snow_no_nir += usize::from(no_nir.classes.data[[r, c]] == oclass::SNOW);
            } else {
                n_below += 1;
                below_ns += usize::from(lis.classes.data[[r, c]] == oclass::NO_SNOW);
                assert_ne!(lis.classes.data[[r, c]], oclass::SNOW);
            }
        }
    }
    assert!(n_above > 500, "{n_above}");
    assert!(ice as f64 / n_above as f64 > 0.97, "{ice} of {n_above}");
    assert!(
        snow_no_nir as f64 / n_above as f64 > 0.97,
        "{snow_no_nir} of {n_above}"
    );
    // (Noise lifts a few shaded pixels over ρ_red = 0.2 into pass 1; their low NIR makes them ice/water.)
    assert!(
        below_ns as f64 / n_below as f64 > 0.7,
        "{below_ns} of {n_below}"
    );
}

/// Validation against the optical map with the 5500 m cut-off, and the
/// elevation profiles (Fig. 3.8): SI is closer to the truth than −2 dB.
#[test]
fn validation_against_optical_and_profiles() {
    let b = basin();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let sample = sample_pixels(&[&b.rc_db], 1_000_000, &mut rng);
    let w = Wsi::from_gmm(
        &fit_gmm(&sample, &GmmParams::new()).unwrap(),
        &WsiParams::new(),
    )
    .unwrap();
    let bins = TopoBins::new(&TopoBinParams::new(), &b.dem, &b.slope, &b.aspect).unwrap();
    let si = classify_si(&b.rc_db, &w, &bins, &SiParams::new()).unwrap();
    let base = classify_threshold(&b.rc_db, &ThresholdParams::new()).unwrap();
    let lis = let_it_snow(&b.optical, &b.dem, &LisParams::new()).unwrap();
    // Above 5600 m the optical map sees dry snow that SAR does not: the
    // cut-off at 5500 m removes that disagreement.
    let all = compare(
        &si.mask,
        &lis.classes,
        Some(&b.dem),
        &ValidationParams::new().max_elevation_m(None),
    )
    .unwrap();
    let cut = compare(
        &si.mask,
        &lis.classes,
        Some(&b.dem),
        &ValidationParams::new(),
    )
    .unwrap();
    assert!(cut.recall > all.recall + 0.03, "cut {cut:?} all {all:?}");
    assert!(cut.f1 > 0.85, "{cut:?}");
    let truth_p = snow_fraction_profile(&b.truth, &b.dem, 100.0).unwrap();
    let si_p = snow_fraction_profile(&si.mask, &b.dem, 100.0).unwrap();
    let base_p = snow_fraction_profile(&base, &b.dem, 100.0).unwrap();
    let (e_si, e_base) = (
        profile_mae(&si_p, &truth_p).unwrap(),
        profile_mae(&base_p, &truth_p).unwrap(),
    );
    assert!(e_si < e_base, "MAE SI {e_si} vs −2 dB {e_base}");
    assert!(e_si < 0.08, "MAE SI {e_si}");
}

/// Parallel (rayon) and single-threaded results are identical.
#[cfg(feature = "rayon")]
#[test]
fn parallel_equals_serial() {
    let b = Basin::generate(&BasinParams::new().size(128, 128), 9).unwrap();
    let run = || {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let s = sample_pixels(&[&b.rc_db], 1_000_000, &mut rng);
        let mut big = s.clone();
        for _ in 0..4 {
            big.extend_from_slice(&s);
        }
        let g = fit_gmm(&big, &GmmParams::new()).unwrap();
        let w = Wsi::from_gmm(&g, &WsiParams::new()).unwrap();
        let bins = TopoBins::new(&TopoBinParams::new(), &b.dem, &b.slope, &b.aspect).unwrap();
        let m = classify_si(&b.rc_db, &w, &bins, &SiParams::new()).unwrap();
        (g, m.si.data, m.mask.data)
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(run);
    let many = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap()
        .install(run);
    assert_eq!(one.0, many.0);
    assert!(one
        .1
        .iter()
        .zip(many.1.iter())
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    assert_eq!(one.2, many.2);
}
