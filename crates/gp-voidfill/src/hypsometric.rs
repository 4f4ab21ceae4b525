//! Hypsometric interpolation, the baseline the GP is compared with.
//!
//! The mean dh/dt of the measured pixels in each elevation band (default
//! 50 m) is assigned to the void pixels of that band; bands without
//! measurements are linearly interpolated between the centres of the nearest
//! measured bands (constant beyond the measured range).

use ndarray::ArrayView1;

use crate::error::{GpError, Result};

/// Band-mean dh/dt as a function of elevation.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypsometric {
    h0: f64,
    band_m: f64,
    /// (band centre elevation m, mean dh/dt) of bands with measurements.
    bands: Vec<(f64, f64)>,
}

impl Hypsometric {
    /// Fits band means of `target` on `elevation_m` (NaN pairs skipped).
    ///
    /// # Errors
    /// [`GpError::InvalidParameter`] for a non-positive band width,
    /// [`GpError::TooFewSamples`] without any finite pair.
    pub fn fit(
        elevation_m: ArrayView1<'_, f64>,
        target: ArrayView1<'_, f64>,
        band_m: f64,
    ) -> Result<Self> {
        if !(band_m.is_finite() && band_m > 0.0) {
            return Err(GpError::InvalidParameter {
                name: "band_m",
                reason: format!("must be > 0, got {band_m}"),
            });
        }
        let pairs: Vec<(f64, f64)> = elevation_m
            .iter()
            .zip(target.iter())
            .filter(|(h, t)| h.is_finite() && t.is_finite())
            .map(|(h, t)| (*h, *t))
            .collect();
        if pairs.is_empty() {
            return Err(GpError::TooFewSamples {
                found: 0,
                required: 1,
            });
        }
        let h0 = pairs.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let mut acc: std::collections::BTreeMap<i64, (f64, usize)> = Default::default();
        for (h, t) in &pairs {
            let b = ((h - h0) / band_m).floor() as i64;
            let e = acc.entry(b).or_insert((0.0, 0));
            e.0 += t;
            e.1 += 1;
        }
        let bands = acc
            .into_iter()
            .map(|(b, (s, n))| (h0 + (b as f64 + 0.5) * band_m, s / n as f64))
            .collect();
        Ok(Self { h0, band_m, bands })
    }

    /// Band-mean dh/dt at `elevation_m` (NaN for NaN elevation).
    pub fn predict(&self, elevation_m: f64) -> f64 {
        if !elevation_m.is_finite() {
            return f64::NAN;
        }
        let b = ((elevation_m - self.h0) / self.band_m).floor();
        let centre = self.h0 + (b + 0.5) * self.band_m;
        let k = self.bands.partition_point(|(c, _)| *c < centre - 1e-9);
        if k < self.bands.len() && (self.bands[k].0 - centre).abs() < 1e-6 * self.band_m {
            return self.bands[k].1;
        }
        if k == 0 {
            return self.bands[0].1;
        }
        if k == self.bands.len() {
            return self.bands[k - 1].1;
        }
        let (c0, v0) = self.bands[k - 1];
        let (c1, v1) = self.bands[k];
        v0 + (v1 - v0) * (centre - c0) / (c1 - c0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn band_means_and_gap_interpolation() {
        // bands [0,50): mean 1, [50,100): empty, [100,150): mean 3
        let h = ndarray::arr1(&[0.0, 10.0, 120.0, 140.0]);
        let t = ndarray::arr1(&[0.5, 1.5, 2.0, 4.0]);
        let m = Hypsometric::fit(h.view(), t.view(), 50.0).unwrap();
        assert_relative_eq!(m.predict(20.0), 1.0);
        assert_relative_eq!(m.predict(75.0), 2.0); // midway between centres 25 and 125
        assert_relative_eq!(m.predict(130.0), 3.0);
        assert_relative_eq!(m.predict(500.0), 3.0);
        assert_relative_eq!(m.predict(-100.0), 1.0);
    }
}
