//! Optional corrections of seed 001 (Lin et al. 2017, Methods): radar
//! penetration difference per 50 m elevation band, a seasonal correction by
//! acquisition month, and a clean-ice mask from NDSI ≥ 0.4.
//!
//! * **Penetration**: C-band penetrates snow and firn deeper than X-band;
//!   the difference (C − X, m) per 50 m band on the glacier is estimated
//!   from a C- and an X-band DEM of the same date after aligning them on
//!   off-glacier terrain ([`PenetrationTable::estimate`]), or given as a
//!   table; it is removed from dh where the earlier DEM is the C-band one
//!   ([`PenetrationTable::apply`]: dh_corr = dh + p(h), as the C-band surface
//!   lies p lower than the X-band surface).
//! * **Seasonal**: seed 001's height-change corrections by the month of the
//!   later acquisition (relative to February): Oct −0.28, Nov −0.21,
//!   Dec −0.14, Jan −0.07, Feb 0, Mar +0.07, Apr +0.14 m
//!   ([`SeasonalCorrection::seed001`]); months outside Oct–Apr have no
//!   published value and are an error.
//! * **Clean ice**: NDSI = (green − SWIR)/(green + SWIR) ≥ 0.4 of a cloud-free
//!   end-of-summer optical image ([`clean_ice_mask`]).

use ndarray::{Array2, ArrayView2};
use sar_core::{stats, Raster};
use serde::Serialize;

use crate::error::{MbError, Result};

/// Penetration difference per elevation band.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PenetrationTable {
    /// Band width (m); seed 001 uses 50 m.
    pub band_m: f64,
    /// (lower band edge m, penetration difference C − X in m), increasing.
    pub bands: Vec<(f64, f64)>,
}

impl PenetrationTable {
    /// A table from `(lower edge, value)` rows.
    ///
    /// # Errors
    /// Invalid width, unsorted or non-finite rows, an empty table.
    pub fn new(band_m: f64, bands: Vec<(f64, f64)>) -> Result<Self> {
        if !(band_m > 0.0 && band_m.is_finite()) {
            return Err(MbError::param("band_m", "must be finite and > 0"));
        }
        if bands.is_empty()
            || bands.iter().any(|(h, v)| !(h.is_finite() && v.is_finite()))
            || bands.windows(2).any(|w| w[1].0 <= w[0].0)
        {
            return Err(MbError::param(
                "penetration table",
                "need finite rows with strictly increasing band edges",
            ));
        }
        Ok(PenetrationTable { band_m, bands })
    }

    /// Estimate from a C-band and an X-band DEM (m) of the same date on one
    /// grid: their difference is aligned on off-glacier terrain (its median
    /// removed) and its median taken per band over `glacier` pixels with at
    /// least `min_count` pixels.
    ///
    /// # Errors
    /// Grid/shape mismatches; [`MbError::NoStableTerrain`] without off-glacier
    /// overlap; [`MbError::EmptyInput`] if no band has enough pixels.
    pub fn estimate(
        c_band: &Raster<f64>,
        x_band: &Raster<f64>,
        glacier: ArrayView2<'_, bool>,
        band_m: f64,
        min_count: usize,
    ) -> Result<Self> {
        c_band.ensure_same_grid(x_band)?;
        if glacier.dim() != c_band.shape() {
            return Err(sar_core::SarError::ShapeMismatch {
                what: "glacier mask".into(),
                expected: c_band.shape(),
                found: glacier.dim(),
            }
            .into());
        }
        let off = stats::median(
            c_band
                .data
                .iter()
                .zip(x_band.data.iter())
                .zip(glacier.iter())
                .filter(|(_, g)| !**g)
                .map(|((c, x), _)| x - c),
        )
        .ok_or_else(|| {
            MbError::NoStableTerrain("no off-glacier pixel where both DEMs are valid".into())
        })?;
        let mut g: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
        for (((c, x), m), h) in c_band
            .data
            .iter()
            .zip(x_band.data.iter())
            .zip(glacier.iter())
            .zip(x_band.data.iter())
        {
            let d = x - c - off;
            if *m && d.is_finite() {
                g.entry((h / band_m).floor() as i64).or_default().push(d);
            }
        }
        let bands: Vec<(f64, f64)> = g
            .into_iter()
            .filter(|(_, v)| v.len() >= min_count.max(1))
            .filter_map(|(b, v)| stats::median(v).map(|m| (b as f64 * band_m, m)))
            .collect();
        if bands.is_empty() {
            return Err(MbError::EmptyInput(format!(
                "no {band_m} m glacier band holds {min_count} pixels for the penetration estimate"
            )));
        }
        Self::new(band_m, bands)
    }

    /// The penetration difference at elevation `h` (m): the band's value,
    /// linear between band centres, constant beyond the table.
    pub fn at(&self, h: f64) -> f64 {
        if !h.is_finite() {
            return f64::NAN;
        }
        let centre = |b: &(f64, f64)| b.0 + 0.5 * self.band_m;
        let c = ((h / self.band_m).floor() + 0.5) * self.band_m;
        let k = self.bands.partition_point(|b| centre(b) < c - 1e-9);
        if k < self.bands.len() && (centre(&self.bands[k]) - c).abs() < 1e-6 {
            return self.bands[k].1;
        }
        if k == 0 {
            return self.bands[0].1;
        }
        if k == self.bands.len() {
            return self.bands[k - 1].1;
        }
        let (a, b) = (self.bands[k - 1], self.bands[k]);
        a.1 + (b.1 - a.1) * (c - centre(&a)) / (centre(&b) - centre(&a))
    }

    /// dh + p(h) on the pixels where `mask` is true (glacier), elevation from
    /// `elevation`.
    ///
    /// # Errors
    /// Grid/shape mismatches.
    pub fn apply(
        &self,
        dh: &Raster<f64>,
        elevation: &Raster<f64>,
        mask: ArrayView2<'_, bool>,
    ) -> Result<Raster<f64>> {
        dh.ensure_same_grid(elevation)?;
        if mask.dim() != dh.shape() {
            return Err(sar_core::SarError::ShapeMismatch {
                what: "glacier mask".into(),
                expected: dh.shape(),
                found: mask.dim(),
            }
            .into());
        }
        let mut out = dh.clone();
        for ((v, h), m) in out
            .data
            .iter_mut()
            .zip(elevation.data.iter())
            .zip(mask.iter())
        {
            if *m {
                *v += self.at(*h);
            }
        }
        Ok(out)
    }
}

/// Height-change correction (m) by acquisition month.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SeasonalCorrection {
    /// Correction per month, January first; NaN where none is defined.
    pub by_month_m: [f64; 12],
}

impl SeasonalCorrection {
    /// Seed 001's table (Oct −0.28 … Apr +0.14 m, Feb 0; see the module docs).
    pub fn seed001() -> Self {
        let n = f64::NAN;
        SeasonalCorrection {
            by_month_m: [-0.07, 0.0, 0.07, 0.14, n, n, n, n, n, -0.28, -0.21, -0.14],
        }
    }

    /// The correction (m) for `month` (1–12).
    ///
    /// # Errors
    /// [`MbError::InvalidParameter`] for a month outside 1–12 or without a
    /// defined correction.
    pub fn correction_m(&self, month: u32) -> Result<f64> {
        let v = (1..=12)
            .contains(&month)
            .then(|| self.by_month_m[month as usize - 1])
            .filter(|v| v.is_finite());
        v.ok_or_else(|| {
            MbError::param(
                "month",
                format!(
                    "no seasonal correction defined for month {month} (seed 001 covers Oct–Apr)"
                ),
            )
        })
    }
}

/// Clean-ice mask: NDSI = (green − SWIR)/(green + SWIR) ≥ `threshold`
/// (seed 001: 0.4); false where a band is NaN or both are zero.
///
/// # Errors
/// Shape mismatch.
pub fn clean_ice_mask(
    green: ArrayView2<'_, f64>,
    swir: ArrayView2<'_, f64>,
    threshold: f64,
) -> Result<Array2<bool>> {
    if green.dim() != swir.dim() {
        return Err(sar_core::SarError::ShapeMismatch {
            what: "SWIR band".into(),
            expected: green.dim(),
            found: swir.dim(),
        }
        .into());
    }
    Ok(ndarray::Zip::from(&green).and(&swir).map_collect(|g, s| {
        let d = g + s;
        d != 0.0 && ((g - s) / d) >= threshold
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use sar_core::{Crs, Grid};

    #[test]
    fn seasonal_table_of_seed_001() {
        let s = SeasonalCorrection::seed001();
        assert_relative_eq!(s.correction_m(10).unwrap(), -0.28);
        assert_relative_eq!(s.correction_m(4).unwrap(), 0.14);
        assert_relative_eq!(s.correction_m(2).unwrap(), 0.0);
        assert!(s.correction_m(7).is_err() && s.correction_m(13).is_err());
    }

    #[test]
    fn penetration_estimated_per_band_and_applied() {
        let g = Grid::north_up(40, 10, 0.0, 400.0, 10.0, 10.0, Crs::epsg(32643));
        // X-band surface rising 10 m per row from 4000 m; C-band lies lower by
        // 2 m below 4200 m and 3 m above on the glacier (rows ≥ 10), a datum
        // offset of 0.5 m everywhere.
        let x = Raster::new(
            Array2::from_shape_fn((40, 10), |(r, _)| 4000.0 + 10.0 * r as f64),
            g.clone(),
        )
        .unwrap();
        let glacier = Array2::from_shape_fn((40, 10), |(r, _)| r >= 10);
        let c = Raster::new(
            Array2::from_shape_fn((40, 10), |(r, cc)| {
                let h = x.data[[r, cc]];
                let p = if !glacier[[r, cc]] {
                    0.0
                } else if h < 4200.0 {
                    2.0
                } else {
                    3.0
                };
                h - p - 0.5
            }),
            g,
        )
        .unwrap();
        let t = PenetrationTable::estimate(&c, &x, glacier.view(), 50.0, 5).unwrap();
        assert_relative_eq!(t.at(4120.0), 2.0, epsilon = 1e-12);
        assert_relative_eq!(t.at(4330.0), 3.0, epsilon = 1e-12);
        let dh = Raster::filled(x.grid.clone(), -1.0);
        let out = t.apply(&dh, &x, glacier.view()).unwrap();
        assert_relative_eq!(out.data[[15, 0]], 1.0);
        assert_relative_eq!(out.data[[5, 0]], -1.0);
        assert!(PenetrationTable::new(50.0, vec![(10.0, 1.0), (0.0, 1.0)]).is_err());
    }

    #[test]
    fn ndsi_threshold() {
        let g = ndarray::arr2(&[[0.8, 0.5, 0.0, f64::NAN]]);
        let s = ndarray::arr2(&[[0.2, 0.4, 0.0, 0.1]]);
        let m = clean_ice_mask(g.view(), s.view(), 0.4).unwrap();
        assert_eq!(m.row(0).to_vec(), vec![true, false, false, false]);
    }
}
