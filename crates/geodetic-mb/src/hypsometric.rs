//! Hypsometric interpolation, the baseline void fills (McNabb et al. 2019):
//! the median (or mean) dh/dt of the measured pixels in each elevation band
//! is assigned to the voids of that band; bands without measurements take
//! the value interpolated linearly between the centres of the nearest
//! measured bands, and bands beyond the measured range the value of the
//! nearest measured band.
//!
//! **Extrapolation error.** A void above or below the measured elevation
//! range gets the value of the nearest measured band, i.e. the curve is
//! continued flat. If dh/dt keeps changing with elevation there (it usually
//! does: the mass-balance gradient), the filled value is off by about the
//! curve's gradient times the distance, and that error is shared by every
//! pixel of the void. [`HypsometricCurve::extrapolation_sigma`] gives it as
//! $\sigma_{ext}(h) = |\hat g|\,d(h)$, $\hat g$ the count-weighted
//! least-squares slope of the band values against the band elevations
//! ([`HypsometricCurve::gradient`]) and $d(h)$ the elevation distance from
//! `h` to the elevation the lowest or highest measured band's value stands
//! for (its median or mean measured elevation; 0 in between). On a linear dh/dt profile this is exactly the error of the flat
//! continuation; the per-glacier σ of the void part adds it to the band
//! NMAD (see [`crate::glacier`]). Found by the CLI test of issue 12: a
//! glacier whose upper part was void had z = −5.4 without this term.
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
    /// The band statistic (median or mean) of the measured pixels'
    /// elevations (m): the elevation the band value stands for.
    pub elevation_m: f64,
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
        let mut groups: std::collections::BTreeMap<i64, (Vec<f64>, Vec<f64>)> = Default::default();
        for (h, v) in pairs {
            if h.is_finite() && v.is_finite() {
                let g = groups
                    .entry(((h - origin_m) / band_m).floor() as i64)
                    .or_default();
                g.0.push(v);
                g.1.push(h);
            }
        }
        if groups.is_empty() {
            return Err(MbError::EmptyInput(
                "no measured pixel with a finite elevation for the hypsometric curve".into(),
            ));
        }
        let bands = groups
            .into_iter()
            .map(|(b, (mut v, mut h))| {
                let count = v.len();
                let (value, elevation_m) = match statistic {
                    BandStatistic::Mean => (
                        v.iter().sum::<f64>() / count as f64,
                        h.iter().sum::<f64>() / count as f64,
                    ),
                    BandStatistic::Median => (
                        stats::median_inplace(&mut v).unwrap_or(f64::NAN),
                        stats::median_inplace(&mut h).unwrap_or(f64::NAN),
                    ),
                };
                let nmad = stats::nmad_inplace(&mut v).unwrap_or(f64::NAN);
                HypsoBand {
                    lower_m: origin_m + b as f64 * band_m,
                    elevation_m,
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

    /// Count-weighted least-squares slope of the band values against the
    /// band elevations [`HypsoBand::elevation_m`] (m/yr per m); `None` with fewer than two bands.
    pub fn gradient(&self) -> Option<f64> {
        let pts: Vec<(f64, f64, f64)> = self
            .bands
            .iter()
            .filter(|b| b.value.is_finite())
            .map(|b| (b.elevation_m, b.value, b.count as f64))
            .collect();
        if pts.len() < 2 {
            return None;
        }
        let w: f64 = pts.iter().map(|p| p.2).sum();
        let xm = pts.iter().map(|p| p.2 * p.0).sum::<f64>() / w;
        let ym = pts.iter().map(|p| p.2 * p.1).sum::<f64>() / w;
        let sxy: f64 = pts.iter().map(|p| p.2 * (p.0 - xm) * (p.1 - ym)).sum();
        let sxx: f64 = pts.iter().map(|p| p.2 * (p.0 - xm) * (p.0 - xm)).sum();
        (sxx > 0.0).then(|| sxy / sxx)
    }

    /// Elevation distance (m) by which `h` lies below the lowest or above
    /// the highest measured band's [`HypsoBand::elevation_m`] (the elevation
    /// the edge band's value stands for; a void that starts inside the edge
    /// band is extrapolated from there too); 0 in between; NaN for a
    /// non-finite `h`.
    pub fn extrapolation_distance(&self, h: f64) -> f64 {
        let (Some(lo), Some(hi)) = (self.bands.first(), self.bands.last()) else {
            return f64::NAN;
        };
        if !h.is_finite() {
            return f64::NAN;
        }
        if h < lo.elevation_m {
            lo.elevation_m - h
        } else if h > hi.elevation_m {
            h - hi.elevation_m
        } else {
            0.0
        }
    }

    /// Error (m/yr) of the flat continuation of the curve at `h`:
    /// $|\hat g|\,d(h)$ with [`HypsometricCurve::gradient`] and
    /// [`HypsometricCurve::extrapolation_distance`] (see the module docs);
    /// 0 inside the measured range and for a single-band curve (no gradient
    /// can be estimated from one band).
    pub fn extrapolation_sigma(&self, h: f64) -> f64 {
        let d = self.extrapolation_distance(h);
        if d == 0.0 {
            return 0.0;
        }
        self.gradient().map_or(0.0, |g| g.abs() * d)
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

    #[test]
    fn extrapolation_sigma_is_the_error_of_the_flat_continuation_of_a_linear_profile() {
        // dh/dt = -1 + g (h - 4000) measured on [4000, 4400), void above and below
        for &g in &[0.0025, -0.004] {
            let pairs: Vec<(f64, f64)> = (0..400)
                .map(|i| {
                    let h = 4000.0 + i as f64 + 0.5;
                    (h, -1.0 + g * (h - 4000.0))
                })
                .collect();
            let c = HypsometricCurve::fit(pairs, 50.0, BandStatistic::Mean).unwrap();
            assert_relative_eq!(c.gradient().unwrap(), g, max_relative = 1e-9);
            assert_eq!(c.extrapolation_sigma(4200.0), 0.0);
            // 4390 lies in the highest measured band, above the elevation its
            // value stands for (4375): extrapolated too
            for h in [3700.0, 3990.0, 4010.0, 4390.0, 4410.0, 4650.0] {
                let truth = -1.0 + g * (h - 4000.0);
                let err = (c.predict(h) - truth).abs();
                assert_relative_eq!(c.extrapolation_sigma(h), err, max_relative = 1e-9);
            }
            assert!(c.extrapolation_distance(f64::NAN).is_nan());
        }
        let one = HypsometricCurve::fit(vec![(10.0, 1.0), (20.0, 2.0)], 50.0, BandStatistic::Mean)
            .unwrap();
        assert!(one.gradient().is_none());
        assert_eq!(one.extrapolation_sigma(500.0), 0.0);
    }
}
