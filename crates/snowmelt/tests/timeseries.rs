//! Wet-snow extent and melting duration against what the generated truth implies.

use ndarray::Array2;
use sar_core::{Crs, Grid, Raster};
use snowmelt::timeseries::{
    duration_classes, melt_duration, wet_snow_extent, DEFAULT_DURATION_EDGES,
};
use snowmelt::Date;

/// A DEM of 50 × 40 pixels rising 20 m per column from 3000 m (rows equal),
/// and masks where wet snow lies in a 1000 m window whose foot rises 50 m per
/// date: date t is wet where 3000 + 50 t ≤ z < 4000 + 50 t.
fn setup(n_dates: usize) -> (Raster<f64>, Vec<Raster<u8>>, Vec<Date>) {
    let grid = Grid::north_up(50, 40, 0.0, 0.0, 30.0, 30.0, Crs::epsg(32643));
    let dem = Raster::new(
        Array2::from_shape_fn((50, 40), |(_, c)| 3000.0 + 20.0 * c as f64),
        grid.clone(),
    )
    .unwrap();
    let mut masks = Vec::new();
    let mut dates = Vec::new();
    for t in 0..n_dates {
        let lo = 3000.0 + 50.0 * t as f64;
        let mut m = dem.data.mapv(|z| u8::from(z >= lo && z < lo + 1000.0));
        if t == 0 {
            m[[0, 0]] = 255; // one unobserved pixel
        }
        masks.push(Raster::new(m, grid.clone()).unwrap());
        // 12-day repeat from 1 April 2019; the last dates run into 2020 when n_dates is large.
        let d0 = Date::from_ymd(2019, 4, 1).unwrap().days_since_epoch() + 12 * t as i64;
        dates.push(Date::from_days_since_epoch(d0));
    }
    (dem, masks, dates)
}

#[test]
fn extent_per_band_equals_truth() {
    let (dem, masks, dates) = setup(10);
    let t = wet_snow_extent(&masks, &dates, &dem, 100.0).unwrap();
    // Bands 3000..3800 m (z up to 3780 m).
    assert_eq!(t.band_lower_m.len(), 8);
    for (j, _) in dates.iter().enumerate() {
        let lo = 3000.0 + 50.0 * j as f64;
        for (b, &zb) in t.band_lower_m.iter().enumerate() {
            // Pixels of band b: columns with z = 3000 + 20 c in [zb, zb + 100): five columns.
            let zs: Vec<f64> = (0..40)
                .map(|c| 3000.0 + 20.0 * c as f64)
                .filter(|z| *z >= zb && *z < zb + 100.0)
                .collect();
            let wet = zs.iter().filter(|&&z| z >= lo && z < lo + 1000.0).count() as f64;
            let mut expect = wet / zs.len() as f64;
            if j == 0 && b == 0 {
                // pixel (0,0) unobserved: 5·50 − 1 observed, all wet
                expect = 1.0;
            }
            assert!(
                (t.wse[[b, j]] - expect).abs() < 1e-12,
                "band {zb} date {j}: {} vs {expect}",
                t.wse[[b, j]]
            );
        }
    }
}

#[test]
fn duration_equals_truth() {
    let (_dem, masks, dates) = setup(30);
    let years = melt_duration(&masks, &dates).unwrap();
    // 30 dates every 12 days from 2019-04-01 run to 2020-03-14: two years.
    let n2019 = dates.iter().filter(|d| d.year() == 2019).count();
    assert_eq!(n2019, 23);
    assert_eq!(years.len(), 2);
    assert_eq!((years[0].year, years[1].year), (2019, 2020));
    assert_eq!(years[1].n_dates, 7);
    assert_eq!(years[0].n_dates, n2019);
    for c in 0..40 {
        let z = 3000.0 + 20.0 * c as f64;
        // M = number of 2019 dates t with 3000 + 50 t ≤ z < 4000 + 50 t.
        let m = (0..n2019)
            .filter(|&t| {
                let lo = 3000.0 + 50.0 * t as f64;
                z >= lo && z < lo + 1000.0
            })
            .count();
        let expect = m as f64 / n2019 as f64 * 365.0;
        let got = years[0].days.data[[10, c]];
        assert!((got - expect).abs() < 1e-9, "col {c}: {got} vs {expect}");
    }
    // Pixel (0,0) at 3000 m is wet only at t = 0, when it is unobserved: N = 22, M = 0.
    assert_eq!(years[0].observed.data[[0, 0]] as usize, n2019 - 1);
    assert_eq!(years[0].days.data[[0, 0]], 0.0);
    // Classes: fractions of the 2019 raster.
    let cls = duration_classes(&years[0].days, &DEFAULT_DURATION_EDGES).unwrap();
    let vals: Vec<f64> = years[0].days.data.iter().copied().collect();
    for i in 0..4 {
        let (a, b) = (DEFAULT_DURATION_EDGES[i], DEFAULT_DURATION_EDGES[i + 1]);
        let n = vals
            .iter()
            .filter(|&&d| d >= a && (d < b || (i == 3 && d <= b)))
            .count();
        assert!((cls.fractions[i] - n as f64 / vals.len() as f64).abs() < 1e-12);
    }
    let total: f64 = cls.fractions.iter().sum::<f64>() + cls.above;
    assert!((total - 1.0).abs() < 1e-12);
}
