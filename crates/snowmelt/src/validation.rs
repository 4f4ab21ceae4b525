//! Validation of a wet-snow map against a reference map (thesis sect. 3.4.1):
//! confusion matrix normalised per reference class (Table 3.3), precision,
//! recall, F1, an elevation cut-off, and snow-fraction profiles per
//! elevation band with their mean absolute error (Fig. 3.8).
//!
//! Both maps use code 1 for snow (positive), 0 for no snow (negative); any
//! other code (cloud, ice/water, no data) is left out.

use sar_core::Raster;

use crate::error::{ensure_grid, Result, SnowError};

/// Parameters of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationParams {
    max_elevation_m: Option<f64>,
    band_m: f64,
}

impl Default for ValidationParams {
    fn default() -> Self {
        ValidationParams {
            max_elevation_m: Some(5500.0),
            band_m: 100.0,
        }
    }
}

impl ValidationParams {
    /// Defaults: pixels above 5500 m excluded (dry snow, sect. 3.4.1), 100 m bands.
    pub fn new() -> Self {
        Self::default()
    }
    /// Pixels higher than this (metres) are excluded when a DEM is given; `None` keeps all.
    pub fn max_elevation_m(mut self, z: Option<f64>) -> Self {
        self.max_elevation_m = z;
        self
    }
    /// Height of the elevation bands of the profiles (metres, > 0).
    pub fn band_m(mut self, b: f64) -> Self {
        self.band_m = b;
        self
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if !(self.band_m > 0.0 && self.band_m.is_finite()) {
            return Err(SnowError::InvalidParameter {
                name: "band_m",
                reason: format!("must be > 0, got {}", self.band_m),
            });
        }
        if matches!(self.max_elevation_m, Some(z) if z.is_nan()) {
            return Err(SnowError::InvalidParameter {
                name: "max_elevation_m",
                reason: "must not be NaN".into(),
            });
        }
        Ok(())
    }
}

/// Agreement between a map and a reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// True negatives (pixels).
    pub tn: u64,
    /// False positives.
    pub fp: u64,
    /// False negatives.
    pub fn_: u64,
    /// True positives.
    pub tp: u64,
    /// TN / (TN + FP): row "reference negative" of Table 3.3, first column.
    pub tnr: f64,
    /// FP / (TN + FP).
    pub fpr: f64,
    /// FN / (FN + TP).
    pub fnr: f64,
    /// TP / (FN + TP) (= recall).
    pub tpr: f64,
    /// TP / (TP + FP).
    pub precision: f64,
    /// TP / (TP + FN).
    pub recall: f64,
    /// 2 · precision · recall / (precision + recall).
    pub f1: f64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

impl Score {
    /// Score from the four counts.
    pub fn from_counts(tn: u64, fp: u64, fn_: u64, tp: u64) -> Score {
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        Score {
            tn,
            fp,
            fn_,
            tp,
            tnr: ratio(tn, tn + fp),
            fpr: ratio(fp, tn + fp),
            fnr: ratio(fn_, fn_ + tp),
            tpr: recall,
            precision,
            recall,
            f1: 2.0 * precision * recall / (precision + recall),
        }
    }
}

fn above_cutoff(dem: Option<&Raster<f64>>, params: &ValidationParams, r: usize, c: usize) -> bool {
    match (dem, params.max_elevation_m) {
        (Some(d), Some(zmax)) => {
            let z = d.data[[r, c]];
            z.is_nan() || z > zmax
        }
        _ => false,
    }
}

/// Confusion matrix and scores of `map` against `reference` over pixels
/// where both are 0 or 1 and, if `dem` is given, at or below the cut-off.
/// [`SnowError::NoValidData`] if no pixel is left.
pub fn compare(
    map: &Raster<u8>,
    reference: &Raster<u8>,
    dem: Option<&Raster<f64>>,
    params: &ValidationParams,
) -> Result<Score> {
    params.check()?;
    ensure_grid("reference map", reference, &map.grid)?;
    if let Some(d) = dem {
        ensure_grid("DEM", d, &map.grid)?;
    }
    let (rows, cols) = map.shape();
    let mut n = [[0u64; 2]; 2]; // [reference][map]
    for r in 0..rows {
        for c in 0..cols {
            let (m, t) = (map.data[[r, c]], reference.data[[r, c]]);
            if m > 1 || t > 1 || above_cutoff(dem, params, r, c) {
                continue;
            }
            n[t as usize][m as usize] += 1;
        }
    }
    if n.iter().flatten().sum::<u64>() == 0 {
        return Err(SnowError::NoValidData(
            "no pixel where both maps are snow or no snow below the elevation cut-off".into(),
        ));
    }
    Ok(Score::from_counts(n[0][0], n[0][1], n[1][0], n[1][1]))
}

/// Snow fraction per elevation band.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Lower edge of each band (metres).
    pub band_lower_m: Vec<f64>,
    /// Snow pixels / (snow + no-snow pixels) per band, NaN for a band without such pixels.
    pub fraction: Vec<f64>,
    /// Snow + no-snow pixels per band.
    pub count: Vec<u64>,
}

/// Lowest plausible terrain height in metres: below the Dead Sea shore
/// (about −430 m), the lowest land surface. Elevation-band products ignore
/// DEM pixels outside [`MIN_ELEVATION_M`, `MAX_ELEVATION_M`]: they are
/// undeclared fill values (−3.4e38, −32768, FLT_MAX) or corrupt, not terrain.
pub const MIN_ELEVATION_M: f64 = -500.0;
/// Highest plausible terrain height in metres: above Mount Everest
/// (8 849 m). See [`MIN_ELEVATION_M`].
pub const MAX_ELEVATION_M: f64 = 9_000.0;
/// Largest number of elevation bands a product may have: 1 m bands over the
/// whole plausible range of 9 500 m fit; a smaller band height is refused
/// before anything is allocated.
pub const MAX_ELEVATION_BANDS: usize = 10_000;

/// True for a finite height in [`MIN_ELEVATION_M`, `MAX_ELEVATION_M`].
pub fn plausible_elevation(z: f64) -> bool {
    (MIN_ELEVATION_M..=MAX_ELEVATION_M).contains(&z)
}

/// Elevation bands of height `band_m` covering the plausible heights of a DEM.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bands {
    /// Index of the lowest band (`floor(z_min / band_m)`).
    pub b0: i64,
    /// Number of bands.
    pub n: usize,
    /// Band height (m).
    pub band_m: f64,
    /// Finite DEM pixels ignored as implausible heights.
    pub n_ignored: usize,
}

impl Bands {
    /// Band of height `z`, `None` for NaN or an implausible height.
    pub fn of(&self, z: f64) -> Option<usize> {
        if !plausible_elevation(z) {
            return None;
        }
        // |z / band_m| ≤ 9 000 / band_m and n ≤ MAX_ELEVATION_BANDS: no overflow.
        let k = (z / self.band_m).floor() - self.b0 as f64;
        (k >= 0.0 && k < self.n as f64).then_some(k as usize)
    }

    /// Lower edge of band `i` (m).
    pub fn lower_m(&self, i: usize) -> f64 {
        (self.b0 as f64 + i as f64) * self.band_m
    }
}

/// The bands of height `band_m` covering the plausible heights of `dem`
/// (named `param` in errors). Errors if no height is plausible or the
/// bands would be more than [`MAX_ELEVATION_BANDS`].
pub(crate) fn band_range_named(
    dem: &Raster<f64>,
    band_m: f64,
    param: &'static str,
) -> Result<Bands> {
    if !(band_m > 0.0 && band_m.is_finite()) {
        return Err(SnowError::InvalidParameter {
            name: param,
            reason: format!("must be a finite height > 0 m, got {band_m}"),
        });
    }
    let mut n_ignored = 0usize;
    let (lo, hi) = sar_core::stats::min_max(dem.data.iter().copied().filter(|&z| {
        let ok = plausible_elevation(z);
        n_ignored += usize::from(z.is_finite() && !ok);
        ok
    }))
    .ok_or_else(|| {
        SnowError::NoValidData(format!(
            "the DEM has no elevation in the plausible range {MIN_ELEVATION_M}…{MAX_ELEVATION_M} m ({n_ignored} finite pixels outside it)"
        ))
    })?;
    let b0 = (lo / band_m).floor();
    let b1 = (hi / band_m).floor();
    let n = b1 - b0 + 1.0;
    // The band indices must also be exact in f64 and i64.
    if !(n <= MAX_ELEVATION_BANDS as f64 && b0.abs() < 1e15) {
        return Err(SnowError::InvalidParameter {
            name: param,
            reason: format!(
                "{band_m} m bands over {lo}…{hi} m would be {n:.3e} bands, more than {MAX_ELEVATION_BANDS}; use larger bands"
            ),
        });
    }
    Ok(Bands {
        b0: b0 as i64,
        n: n as usize,
        band_m,
        n_ignored,
    })
}

/// [`band_range_named`] with the parameter named `band_m`.
pub(crate) fn band_range(dem: &Raster<f64>, band_m: f64) -> Result<Bands> {
    band_range_named(dem, band_m, "band_m")
}

/// Snow-fraction profile of a class map (1 = snow, 0 = no snow) over `band_m` bands of `dem`.
pub fn snow_fraction_profile(map: &Raster<u8>, dem: &Raster<f64>, band_m: f64) -> Result<Profile> {
    ValidationParams::new().band_m(band_m).check()?;
    ensure_grid("DEM", dem, &map.grid)?;
    let bands = band_range(dem, band_m)?;
    let nb = bands.n;
    let mut snow = vec![0u64; nb];
    let mut count = vec![0u64; nb];
    ndarray::Zip::from(&map.data)
        .and(&dem.data)
        .for_each(|&m, &z| {
            if let (Some(b), true) = (bands.of(z), m <= 1) {
                count[b] += 1;
                snow[b] += u64::from(m);
            }
        });
    Ok(Profile {
        band_lower_m: (0..nb).map(|i| bands.lower_m(i)).collect(),
        fraction: snow
            .iter()
            .zip(&count)
            .map(|(&s, &n)| ratio(s, n))
            .collect(),
        count,
    })
}

/// Mean absolute difference of two profiles over the bands where both are
/// finite (fractions, 0–1). The profiles must come from the same DEM and band height.
pub fn profile_mae(a: &Profile, b: &Profile) -> Result<f64> {
    if a.band_lower_m != b.band_lower_m {
        return Err(SnowError::LengthMismatch(
            "profiles have different elevation bands".into(),
        ));
    }
    sar_core::stats::mean(
        a.fraction
            .iter()
            .zip(&b.fraction)
            .map(|(x, y)| (x - y).abs()),
    )
    .ok_or_else(|| SnowError::NoValidData("no band where both profiles are defined".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use ndarray::array;
    use sar_core::Grid;

    fn dem_of(v: ndarray::Array2<f64>) -> Raster<f64> {
        let (r, c) = v.dim();
        let g = Grid::north_up(r, c, 0.0, 0.0, 10.0, 10.0, sar_core::Crs::epsg(32632));
        Raster::new(v, g).unwrap()
    }

    #[test]
    fn bands_ignore_fill_values() {
        let dem = dem_of(array![
            [100.0, -3.4e38, f64::from(f32::MAX)],
            [1e300, -1e300, 250.0],
            [f64::NAN, -500.0, 9000.0]
        ]);
        let b = band_range(&dem, 100.0).unwrap();
        assert_eq!((b.b0, b.n, b.n_ignored), (-5, 96, 4));
        assert_eq!(b.of(-3.4e38), None);
        assert_eq!(b.of(f64::NAN), None);
        assert_eq!(b.of(250.0), Some(7));
        assert_eq!(b.of(9000.0), Some(95));
        assert_eq!(b.lower_m(7), 200.0);
        // 1e-9 m bands over 9 500 m: refused, naming the parameter.
        match band_range(&dem, 1e-9) {
            Err(SnowError::InvalidParameter { name, .. }) => assert_eq!(name, "band_m"),
            other => panic!("{other:?}"),
        }
        let fill = dem_of(array![[-3.4e38, 1e300]]);
        assert!(matches!(
            band_range(&fill, 100.0),
            Err(SnowError::NoValidData(_))
        ));
    }

    proptest::proptest! {
        /// Any heights and band size: an error, or bands whose indices stay in range.
        #[test]
        fn band_indices_stay_in_range(
            z in proptest::collection::vec(proptest::num::f64::ANY, 1..40),
            band in proptest::num::f64::ANY,
        ) {
            let n = z.len();
            let dem = dem_of(ndarray::Array2::from_shape_vec((1, n), z.clone()).unwrap());
            if let Ok(b) = band_range(&dem, band) {
                proptest::prop_assert!(b.n >= 1 && b.n <= MAX_ELEVATION_BANDS);
                for v in z {
                    if let Some(i) = b.of(v) {
                        proptest::prop_assert!(i < b.n);
                    }
                }
            }
        }
    }

    #[test]
    fn confusion_counts_and_cutoff() {
        let g = Grid::pixel(2, 4);
        let map = Raster::new(array![[1, 1, 0, 0], [1, 0, 2, 1]], g.clone()).unwrap();
        let truth = Raster::new(array![[1, 0, 0, 1], [1, 0, 1, 255]], g.clone()).unwrap();
        let s = compare(&map, &truth, None, &ValidationParams::new()).unwrap();
        assert_eq!((s.tn, s.fp, s.fn_, s.tp), (2, 1, 1, 2));
        assert_relative_eq!(s.precision, 2.0 / 3.0);
        assert_relative_eq!(s.recall, 2.0 / 3.0);
        assert_relative_eq!(s.f1, 2.0 / 3.0);
        assert_relative_eq!(s.tnr + s.fpr, 1.0);
        let dem = Raster::new(array![[6000.0, 100.0, 100.0, 100.0], [100.0; 4]], g).unwrap();
        let s = compare(&map, &truth, Some(&dem), &ValidationParams::new()).unwrap();
        assert_eq!((s.tn, s.fp, s.fn_, s.tp), (2, 1, 1, 1));
        let p = snow_fraction_profile(&map, &dem, 100.0).unwrap();
        assert_eq!(p.band_lower_m.len(), 60);
        // Band 100–200 m: map values 1, 0, 0, 1, 0, (2 left out), 1 → 3 of 6.
        assert_relative_eq!(p.fraction[0], 3.0 / 6.0);
        assert_relative_eq!(p.fraction[59], 1.0);
        assert!(p.fraction[30].is_nan());
    }
}
