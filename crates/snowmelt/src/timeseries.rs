//! Time-series products (thesis sect. 3.4.2): wet-snow extent (WSE) per
//! elevation band and date, snow melting duration (SMD) per pixel and year,
//! and the basin fraction in duration classes.
//!
//! Masks use the codes of [`crate::classify::class`]: 1 wet snow, 0 no wet
//! snow, anything else not observed.

use ndarray::Array2;
use sar_core::Raster;

use crate::error::{ensure_grid, Result, SnowError};
use crate::validation::band_range;
use sar_core::Date;

/// Wet-snow extent per elevation band (rows) and date (columns).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtentTable {
    /// Dates of the columns.
    pub dates: Vec<Date>,
    /// Lower edge of each band (metres).
    pub band_lower_m: Vec<f64>,
    /// Fraction of observed pixels of the band that are wet snow, `[band, date]`
    /// (NaN where a band has no observed pixel on that date).
    pub wse: Array2<f64>,
    /// Wet-snow fraction of all observed pixels per date (basin total).
    pub total: Vec<f64>,
    /// Finite DEM pixels ignored because their height is outside the
    /// plausible range [`MIN_ELEVATION_M`](crate::validation::MIN_ELEVATION_M)
    /// … [`MAX_ELEVATION_M`](crate::validation::MAX_ELEVATION_M) (undeclared
    /// fill values); they count in no band and in no total.
    pub n_ignored: usize,
}

fn check_masks(masks: &[Raster<u8>], dates: &[Date], dem: &Raster<f64>) -> Result<()> {
    if masks.len() != dates.len() {
        return Err(SnowError::LengthMismatch(format!(
            "{} masks but {} dates",
            masks.len(),
            dates.len()
        )));
    }
    if masks.is_empty() {
        return Err(SnowError::NoAcquisition("no mask given".into()));
    }
    for (m, d) in masks.iter().zip(dates) {
        ensure_grid(&format!("mask of {d}"), m, &dem.grid)?;
    }
    Ok(())
}

/// WSE per `band_m` elevation band of `dem` and date (Fig. 3.9).
pub fn wet_snow_extent(
    masks: &[Raster<u8>],
    dates: &[Date],
    dem: &Raster<f64>,
    band_m: f64,
) -> Result<ExtentTable> {
    check_masks(masks, dates, dem)?;
    let bands = band_range(dem, band_m)?;
    let nb = bands.n;
    let band: Array2<usize> = dem.data.mapv(|z| bands.of(z).unwrap_or(usize::MAX));
    let mut wse = Array2::from_elem((nb, dates.len()), f64::NAN);
    let mut total = Vec::with_capacity(dates.len());
    for (j, m) in masks.iter().enumerate() {
        let mut wet = vec![0u64; nb];
        let mut obs = vec![0u64; nb];
        ndarray::Zip::from(&m.data).and(&band).for_each(|&v, &b| {
            if b != usize::MAX && v <= 1 {
                obs[b] += 1;
                wet[b] += u64::from(v);
            }
        });
        for b in 0..nb {
            if obs[b] > 0 {
                wse[[b, j]] = wet[b] as f64 / obs[b] as f64;
            }
        }
        let (w, o): (u64, u64) = (wet.iter().sum(), obs.iter().sum());
        total.push(if o > 0 { w as f64 / o as f64 } else { f64::NAN });
    }
    Ok(ExtentTable {
        dates: dates.to_vec(),
        band_lower_m: (0..nb).map(|i| bands.lower_m(i)).collect(),
        wse,
        total,
        n_ignored: bands.n_ignored,
    })
}

/// Snow melting duration of one year.
#[derive(Debug, Clone, PartialEq)]
pub struct YearDuration {
    /// Calendar year.
    pub year: i32,
    /// Dates of that year.
    pub n_dates: usize,
    /// `(M / N) · 365` days per pixel: M wet-snow observations out of N
    /// observations in the year; NaN where N = 0.
    pub days: Raster<f64>,
    /// N per pixel.
    pub observed: Raster<u16>,
}

/// SMD per pixel for each calendar year present in `dates` (sect. 3.4.2.2),
/// years in increasing order.
pub fn melt_duration(masks: &[Raster<u8>], dates: &[Date]) -> Result<Vec<YearDuration>> {
    if masks.len() != dates.len() {
        return Err(SnowError::LengthMismatch(format!(
            "{} masks but {} dates",
            masks.len(),
            dates.len()
        )));
    }
    let Some(first) = masks.first() else {
        return Err(SnowError::NoAcquisition("no mask given".into()));
    };
    for (m, d) in masks.iter().zip(dates) {
        ensure_grid(&format!("mask of {d}"), m, &first.grid)?;
    }
    let mut years: Vec<i32> = dates.iter().map(|d| d.year()).collect();
    years.sort_unstable();
    years.dedup();
    let mut out = Vec::with_capacity(years.len());
    for y in years {
        let mut m_count = Array2::<u16>::zeros(first.shape());
        let mut n_count = Array2::<u16>::zeros(first.shape());
        let mut n_dates = 0;
        for (mask, d) in masks.iter().zip(dates) {
            if d.year() != y {
                continue;
            }
            n_dates += 1;
            ndarray::Zip::from(&mut m_count)
                .and(&mut n_count)
                .and(&mask.data)
                .for_each(|m, n, &v| {
                    if v <= 1 {
                        *n += 1;
                        *m += u16::from(v);
                    }
                });
        }
        let days = ndarray::Zip::from(&m_count)
            .and(&n_count)
            .map_collect(|&m, &n| {
                if n == 0 {
                    f64::NAN
                } else {
                    f64::from(m) / f64::from(n) * 365.0
                }
            });
        out.push(YearDuration {
            year: y,
            n_dates,
            days: Raster::new(days, first.grid.clone())?,
            observed: Raster::new(n_count, first.grid.clone())?,
        });
    }
    Ok(out)
}

/// Basin fraction per duration class.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationClasses {
    /// Class edges (days); class `i` is `[edges[i], edges[i+1])`, the last one closed.
    pub edges: Vec<f64>,
    /// Fraction of the valid pixels in each class (`edges.len() − 1` values).
    pub fractions: Vec<f64>,
    /// Fraction of valid pixels above the last edge.
    pub above: f64,
    /// Number of valid pixels.
    pub n_valid: u64,
}

/// The default duration classes of Fig. 3.11 (days).
pub const DEFAULT_DURATION_EDGES: [f64; 5] = [0.0, 60.0, 120.0, 180.0, 240.0];

/// Fractions of the finite pixels of `days` in the classes given by
/// increasing `edges` (e.g. [`DEFAULT_DURATION_EDGES`]).
pub fn duration_classes(days: &Raster<f64>, edges: &[f64]) -> Result<DurationClasses> {
    if edges.len() < 2
        || edges
            .windows(2)
            .any(|w| w[0].is_nan() || w[1].is_nan() || w[0] >= w[1])
    {
        return Err(SnowError::InvalidParameter {
            name: "edges",
            reason: format!("need at least two increasing edges, got {edges:?}"),
        });
    }
    let nc = edges.len() - 1;
    let mut counts = vec![0u64; nc];
    let mut above = 0u64;
    let mut n = 0u64;
    for &d in days.data.iter().filter(|d| d.is_finite()) {
        n += 1;
        if d > edges[nc] {
            above += 1;
        } else if d >= edges[0] {
            let i = edges[1..].iter().position(|e| d < *e).unwrap_or(nc - 1);
            counts[i] += 1;
        }
    }
    if n == 0 {
        return Err(SnowError::NoValidData(
            "the duration raster has no finite pixel".into(),
        ));
    }
    Ok(DurationClasses {
        edges: edges.to_vec(),
        fractions: counts.iter().map(|&c| c as f64 / n as f64).collect(),
        above: above as f64 / n as f64,
        n_valid: n,
    })
}
