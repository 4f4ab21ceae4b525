//! Reference images, the composite ratio and bad-input errors, on small
//! rasters whose results are worked out by hand.

use approx::assert_relative_eq;
use ndarray::{array, Array2};
use sar_core::{Crs, Grid, Raster};
use snowmelt::ratio::{
    composite_ratio, geometry, geometry_mask_from_lia, Masks, RatioParams, WeightScheme,
};
use snowmelt::reference::{
    build_reference, build_references, Acquisition, DualPol, ReferenceParams, ReferenceStatistic,
};
use snowmelt::{Date, SnowError};

fn grid() -> Grid {
    Grid::north_up(2, 2, 0.0, 0.0, 20.0, 20.0, Crs::epsg(32643))
}

fn r(a: Array2<f64>) -> Raster<f64> {
    Raster::new(a, grid()).unwrap()
}

fn acq(y: i32, m: u8, orbit: u32, v: f64) -> Acquisition {
    Acquisition {
        date: Date::from_ymd(y, u32::from(m), 5).unwrap(),
        orbit,
        backscatter: DualPol::new(
            r(Array2::from_elem((2, 2), v)),
            r(Array2::from_elem((2, 2), v / 10.0)),
        ),
    }
}

#[test]
fn reference_mean_median_and_selection() {
    let mut acqs = vec![
        acq(2018, 1, 5, 0.1),
        acq(2018, 12, 5, 0.2),
        acq(2019, 2, 5, 0.6),
        acq(2019, 7, 5, 100.0), // summer: not selected
        acq(2019, 1, 9, 0.3),   // other orbit
    ];
    // A NaN pixel in one acquisition is skipped for that pixel only.
    acqs[0].backscatter.vv.as_mut().unwrap().data[[0, 0]] = f64::NAN;
    let mean = build_reference(&acqs, 5, &ReferenceParams::new()).unwrap();
    let vv = mean.backscatter.vv.as_ref().unwrap();
    assert_relative_eq!(vv.data[[1, 1]], 0.3, epsilon = 1e-15); // (0.1 + 0.2 + 0.6) / 3, linear power
    assert_relative_eq!(vv.data[[0, 0]], 0.4, epsilon = 1e-15); // (0.2 + 0.6) / 2
    assert_relative_eq!(
        mean.backscatter.vh.as_ref().unwrap().data[[1, 1]],
        0.03,
        epsilon = 1e-15
    );
    assert_eq!(mean.dates.len(), 3);
    let med = build_reference(
        &acqs,
        5,
        &ReferenceParams::new().statistic(ReferenceStatistic::Median),
    )
    .unwrap();
    assert_relative_eq!(
        med.backscatter.vv.as_ref().unwrap().data[[1, 1]],
        0.2,
        epsilon = 1e-15
    );
    let y2019 =
        build_reference(&acqs, 5, &ReferenceParams::new().years(Some((2019, 2019)))).unwrap();
    assert_relative_eq!(
        y2019.backscatter.vv.as_ref().unwrap().data[[1, 1]],
        0.6,
        epsilon = 1e-15
    );
    let all = build_references(&acqs, &ReferenceParams::new()).unwrap();
    assert_eq!(all.iter().map(|x| x.orbit).collect::<Vec<_>>(), vec![5, 9]);
    assert!(matches!(
        build_reference(&acqs, 5, &ReferenceParams::new().months(&[4])),
        Err(SnowError::NoAcquisition(_))
    ));
    // Missing polarisation and a different grid.
    let mut bad = acqs.clone();
    bad[1].backscatter.vh = None;
    assert!(matches!(
        build_reference(&bad, 5, &ReferenceParams::new()),
        Err(SnowError::MissingPolarisation("VH"))
    ));
    let mut bad = acqs.clone();
    let g2 = Grid::north_up(2, 2, 20.0, 0.0, 20.0, 20.0, Crs::epsg(32643));
    bad[2].backscatter = DualPol::new(
        Raster::new(Array2::from_elem((2, 2), 1.0), g2.clone()).unwrap(),
        Raster::new(Array2::from_elem((2, 2), 1.0), g2).unwrap(),
    );
    assert!(matches!(
        build_reference(&bad, 5, &ReferenceParams::new()),
        Err(SnowError::GridMismatch { .. })
    ));
}

#[test]
fn composite_ratio_by_hand() {
    // VV doubled, VH halved: R_VV = +3.0103 dB, R_VH = −3.0103 dB.
    let scene = DualPol::new(
        r(array![[0.2, 0.2], [0.2, 0.2]]),
        r(array![[0.01, 0.01], [0.01, 0.01]]),
    );
    let refr = DualPol::new(
        r(array![[0.1, 0.1], [0.1, 0.1]]),
        r(array![[0.02, 0.02], [0.02, 0.02]]),
    );
    let lia = r(array![[10.0, 32.5], [95.0, f64::NAN]]);
    let d = 10.0 * 2f64.log10();
    let rc = composite_ratio(&RatioParams::new(), &scene, &refr, &lia, &Masks::default()).unwrap();
    assert_relative_eq!(rc.data[[0, 0]], -d, epsilon = 1e-12); // W = 1
    assert_relative_eq!(rc.data[[0, 1]], 0.75 * -d + 0.25 * d, epsilon = 1e-12); // W = 0.75
    assert!(rc.data[[1, 0]].is_nan()); // shadow
    assert!(rc.data[[1, 1]].is_nan()); // no LIA
    let printed = composite_ratio(
        &RatioParams::new().scheme(WeightScheme::Printed),
        &scene,
        &refr,
        &lia,
        &Masks::default(),
    )
    .unwrap();
    assert_relative_eq!(printed.data[[0, 1]], 0.25 * -d + 0.75 * d, epsilon = 1e-12);
    // Forest mask and geometry classes.
    let forest = Raster::new(array![[1u8, 0], [0, 0]], grid()).unwrap();
    let masks = Masks {
        forest: Some(forest),
        ..Masks::default()
    };
    let rc = composite_ratio(&RatioParams::new(), &scene, &refr, &lia, &masks).unwrap();
    assert!(rc.data[[0, 0]].is_nan() && rc.data[[0, 1]].is_finite());
    let g = geometry_mask_from_lia(&r(array![[-5.0, 30.0], [90.0, f64::NAN]]));
    assert_eq!(
        g.data,
        array![
            [geometry::LAYOVER, geometry::VALID],
            [geometry::SHADOW, geometry::NO_DATA]
        ]
    );
    // Bad input: missing polarisation, reference on another grid.
    let no_vh = DualPol {
        vv: scene.vv.clone(),
        vh: None,
    };
    assert!(matches!(
        composite_ratio(&RatioParams::new(), &no_vh, &refr, &lia, &Masks::default()),
        Err(SnowError::MissingPolarisation("VH"))
    ));
    let g2 = Grid::north_up(2, 2, 0.0, 0.0, 30.0, 30.0, Crs::epsg(32643));
    let other = DualPol::new(
        Raster::new(Array2::from_elem((2, 2), 0.1), g2.clone()).unwrap(),
        Raster::new(Array2::from_elem((2, 2), 0.1), g2).unwrap(),
    );
    assert!(matches!(
        composite_ratio(&RatioParams::new(), &scene, &other, &lia, &Masks::default()),
        Err(SnowError::GridMismatch { .. })
    ));
}

/// Layover and shadow from terrain, worked out by hand: heading −10°,
/// right-looking → look azimuth 80°, the sensor lies towards 260°; θ = 39°.
#[test]
fn layover_and_shadow_from_terrain() {
    use sar_core::terrain::LookDirection;
    use snowmelt::ratio::geometry_mask_from_terrain;
    let slope = r(array![[50.0, 30.0], [60.0, 0.0]]);
    let aspect = r(array![[260.0, 260.0], [80.0, f64::NAN]]);
    let g = geometry_mask_from_terrain(&slope, &aspect, 39.0, -10.0, LookDirection::Right).unwrap();
    // 50° facing the sensor > 39°: layover; 30° facing it: seen (θ_loc = 9°);
    // 60° facing away: θ_loc = 39° + 60° = 99° ≥ 90°: shadow; flat: seen.
    assert_eq!(
        g.data,
        array![
            [geometry::LAYOVER, geometry::VALID],
            [geometry::SHADOW, geometry::VALID]
        ]
    );
}
