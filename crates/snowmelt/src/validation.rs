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

/// Lowest band index and number of bands covering the finite DEM values.
pub(crate) fn band_range(dem: &Raster<f64>, band_m: f64) -> Result<(i64, usize)> {
    let (lo, hi) = sar_core::stats::min_max(dem.data.iter().copied())
        .ok_or_else(|| SnowError::NoValidData("the DEM has no finite elevation".into()))?;
    let b0 = (lo / band_m).floor() as i64;
    let b1 = (hi / band_m).floor() as i64;
    Ok((b0, (b1 - b0 + 1) as usize))
}

/// Snow-fraction profile of a class map (1 = snow, 0 = no snow) over `band_m` bands of `dem`.
pub fn snow_fraction_profile(map: &Raster<u8>, dem: &Raster<f64>, band_m: f64) -> Result<Profile> {
    ValidationParams::new().band_m(band_m).check()?;
    ensure_grid("DEM", dem, &map.grid)?;
    let (b0, nb) = band_range(dem, band_m)?;
    let mut snow = vec![0u64; nb];
    let mut count = vec![0u64; nb];
    ndarray::Zip::from(&map.data)
        .and(&dem.data)
        .for_each(|&m, &z| {
            if z.is_finite() && m <= 1 {
                let b = ((z / band_m).floor() as i64 - b0) as usize;
                count[b] += 1;
                snow[b] += u64::from(m);
            }
        });
    Ok(Profile {
        band_lower_m: (0..nb).map(|i| (b0 + i as i64) as f64 * band_m).collect(),
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
