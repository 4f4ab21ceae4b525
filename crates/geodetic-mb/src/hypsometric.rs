//! Hypsometric interpolation, the baseline void fills (McNabb et al. 2019):
//! the median (or mean) dh/dt of the measured pixels in each elevation band
//! is assigned to the voids of that band; bands without measurements take
//! the value interpolated linearly between the centres of the nearest
//! measured bands, and bands beyond the measured range the value of the
//! nearest measured band.
//!
//! Bands are fixed-width with edges at multiples of the width
//! (`floor(h / band_m)·band_m`). xdem's `hypsometric_binning` labels each
//! band by an edge one band off (xdem issue 786); the comparison script
//! `tools/reference/mb_xdem_reference.py` accounts for that.

use sar_core::stats;
use serde::Serialize;

use crate::error::{MbError, Result};

/// The statistic of each band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum BandStatistic {
    /// Median (xdem's default aggregation, robust to outliers).
    #[default]
    Median,
    /// Arithmetic mean.
    Mean,
}

/// One elevation band of a hypsometric curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HypsoBand {
    /// Lower edge (m).
    pub lower_m: f64,
    /// Band statistic of dh/dt (m/yr).
    pub value: f64,
    /// NMAD of dh/dt in the band (m/yr).
    pub nmad: f64,
    /// Measured pixels in the band.
    pub count: usize,
}

/// dh/dt as a function of elevation from band statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HypsometricCurve {
    /// Band width (m).
    pub band_m: f64,
    /// Origin of the band edges (m): edges at origin + k·band_m.
    pub origin_m: f64,
    /// Populated bands, by increasing elevation.
    pub bands: Vec<HypsoBand>,
}

impl HypsometricCurve {
    /// Fit the curve from `(elevation m, dh/dt)` pairs; pairs with a
    /// non-finite member are skipped.
    ///
    /// # Errors
    /// Invalid band width; [`MbError::EmptyInput`] without a finite pair.
    pub fn fit<I: IntoIterator<Item = (f64, f64)>>(
        pairs: I,
        band_m: f64,
        statistic: BandStatistic,
    ) -> Result<Self> {
        Self::fit_with_origin(pairs, band_m, 0.0, statistic)
    }

    /// As [`HypsometricCurve::fit`] with band edges at `origin_m + k·band_m`
    /// (xdem's fixed bins start at the lowest elevation).
    ///
    /// # Errors
    /// As [`HypsometricCurve::fit`]; a non-finite origin.
    pub fn fit_with_origin<I: IntoIterator<Item = (f64, f64)>>(
        pairs: I,
        band_m: f64,
        origin_m: f64,
        statistic: BandStatistic,
    ) -> Result<Self> {
        if !(band_m.is_finite() && band_m > 0.0) {
            return Err(MbError::param("band_m", "must be finite and > 0"));
        }
        if !origin_m.is_finite() {
            return Err(MbError::param("origin_m", "must be finite"));
        }
        let mut groups: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
        for (h, v) in pairs {
            if h.is_finite() && v.is_finite() {
                groups
                    .entry(((h - origin_m) / band_m).floor() as i64)
                    .or_default()
                    .push(v);
            }
        }
        if groups.is_empty() {
            return Err(MbError::EmptyInput(
                "no measured pixel with a finite elevation for the hypsometric curve".into(),
            ));
        }
        let bands = groups
            .into_iter()
            .map(|(b, mut v)| {
                let count = v.len();
                let value = match statistic {
                    BandStatistic::Mean => v.iter().sum::<f64>() / count as f64,
                    BandStatistic::Median => stats::median_inplace(&mut v).unwrap_or(f64::NAN),
                };
                let nmad = stats::nmad_inplace(&mut v).unwrap_or(f64::NAN);
                HypsoBand {
                    lower_m: origin_m + b as f64 * band_m,
                    value,
                    nmad,
                    count,
                }
            })
            .collect();
        Ok(HypsometricCurve {
            band_m,
            origin_m,
            bands,
        })
    }

    /// Index of the band containing `h`, or the neighbours to interpolate.
    fn locate(&self, h: f64) -> std::result::Result<usize, usize> {
        let lower = self.origin_m + ((h - self.origin_m) / self.band_m).floor() * self.band_m;
        self.bands.binary_search_by(|b| b.lower_m.total_cmp(&lower))
    }

    /// dh/dt predicted at elevation `h` (m); NaN for a non-finite `h`.
    pub fn predict(&self, h: f64) -> f64 {
        self.interp(h, |b| b.value)
    }

    /// The band NMAD at `h` (interpolated like the value): the dispersion of
    /// dh/dt around the band statistic, used as the error of a filled pixel.
    pub fn nmad_at(&self, h: f64) -> f64 {
        self.interp(h, |b| b.nmad)
    }

    fn interp(&self, h: f64, f: impl Fn(&HypsoBand) -> f64) -> f64 {
        if !h.is_finite() || self.bands.is_empty() {
            return f64::NAN;
        }
        match self.locate(h) {
            Ok(i) => f(&self.bands[i]),
            Err(0) => f(&self.bands[0]),
            Err(k) if k == self.bands.len() => f(&self.bands[k - 1]),
            Err(k) => {
                let centre = self.origin_m
                    + (((h - self.origin_m) / self.band_m).floor() + 0.5) * self.band_m;
                let (b0, b1) = (&self.bands[k - 1], &self.bands[k]);
                let c0 = b0.lower_m + 0.5 * self.band_m;
                let c1 = b1.lower_m + 0.5 * self.band_m;
                f(b0) + (f(b1) - f(b0)) * (centre - c0) / (c1 - c0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn band_medians_interpolation_and_extrapolation() {
        // [4000, 4100): -1, -2, -3 → median -2; [4200, 4300): 1, 1, 4 → median 1
        let pairs = vec![
            (4010.0, -1.0),
            (4050.0, -2.0),
            (4090.0, -3.0),
            (4210.0, 1.0),
            (4250.0, 1.0),
            (4299.0, 4.0),
            (f64::NAN, 100.0),
        ];
        let c = HypsometricCurve::fit(pairs.clone(), 100.0, BandStatistic::Median).unwrap();
        assert_eq!(c.bands.len(), 2);
        assert_relative_eq!(c.predict(4000.0), -2.0);
        assert_relative_eq!(c.predict(4150.0), -0.5); // halfway between centres 4050 and 4250
        assert_relative_eq!(c.predict(3000.0), -2.0);
        assert_relative_eq!(c.predict(5000.0), 1.0);
        assert!(c.predict(f64::NAN).is_nan());
        let m = HypsometricCurve::fit(pairs, 100.0, BandStatistic::Mean).unwrap();
        assert_relative_eq!(m.predict(4250.0), 2.0);
        assert!(
            HypsometricCurve::fit(vec![(f64::NAN, 1.0)], 100.0, BandStatistic::Median).is_err()
        );
        assert!(HypsometricCurve::fit(vec![(1.0, 1.0)], -1.0, BandStatistic::Median).is_err());
    }
}
