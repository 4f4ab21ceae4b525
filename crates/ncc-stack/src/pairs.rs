//! Acquisition time series and the pairs of a stack (eq. 2.4).

use crate::error::{NccError, Result};
use sar_core::Date;

/// One image pair: indices into the flat list of images (primary first,
/// i.e. the earlier acquisition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pair {
    /// Index of the primary (earlier) image.
    pub primary: usize,
    /// Index of the secondary (later) image.
    pub secondary: usize,
}

/// The pairs of one stack and their common time interval.
#[derive(Debug, Clone, PartialEq)]
pub struct PairSet {
    /// The pairs.
    pub pairs: Vec<Pair>,
    /// The common interval T in days (mean over the pairs).
    pub interval_days: f64,
}

/// Form the pairs of eq. 2.4: inside each time series, image j is paired
/// with image j + a, giving `N_i − a` pairs per series and
/// `Σ_i (N_i − a)` in all.
///
/// `series` holds, per series, the acquisition dates of its images; images
/// are numbered consecutively across the series in that order (the first
/// series' images are 0..N₁, and so on). Dates must increase strictly inside
/// a series. All pairs must span the same interval within
/// `tolerance_days`.
///
/// ```
/// use ncc_stack::{form_pairs, Date};
/// let d = |s: &str| s.parse::<Date>().unwrap();
/// // TanDEM-X dates of Table 2.1: 8 images 11 days apart → 7 pairs for a = 1
/// let dates: Vec<Date> = (0..8).map(|k| Date::from_days_since_epoch(d("2017-01-10").days_since_epoch() + 11 * k)).collect();
/// let set = form_pairs(&[dates], 1, 0.5)?;
/// assert_eq!(set.pairs.len(), 7);
/// assert_eq!(set.interval_days, 11.0);
/// # Ok::<(), ncc_stack::NccError>(())
/// ```
pub fn form_pairs(series: &[Vec<Date>], interval: usize, tolerance_days: f64) -> Result<PairSet> {
    if interval == 0 {
        return Err(NccError::InvalidParameter {
            name: "interval",
            reason: "the pair interval a must be at least 1 acquisition".into(),
        });
    }
    let total: usize = series.iter().map(|s| s.len()).sum();
    if total < 2 {
        return Err(NccError::TooFewImages(total));
    }
    let mut all_dates = Vec::with_capacity(total);
    let mut pairs = Vec::new();
    let mut offset = 0;
    for (si, s) in series.iter().enumerate() {
        for (k, w) in s.windows(2).enumerate() {
            if w[1] <= w[0] {
                return Err(NccError::DatesOutOfOrder {
                    series: si,
                    index: k + 1,
                    date: w[1].to_string(),
                    previous: w[0].to_string(),
                });
            }
        }
        for j in 0..s.len().saturating_sub(interval) {
            pairs.push(Pair {
                primary: offset + j,
                secondary: offset + j + interval,
            });
        }
        all_dates.extend_from_slice(s);
        offset += s.len();
    }
    if pairs.is_empty() {
        return Err(NccError::NoPairs {
            interval,
            longest: series.iter().map(|s| s.len()).max().unwrap_or(0),
        });
    }
    check_pairs(&pairs, &all_dates, tolerance_days)
}

/// Validate an explicit pair list against the image dates (one per image)
/// and return it with its common interval; every pair must go forward in
/// time and span the same interval within `tolerance_days`.
pub fn check_pairs(pairs: &[Pair], dates: &[Date], tolerance_days: f64) -> Result<PairSet> {
    if dates.len() < 2 {
        return Err(NccError::TooFewImages(dates.len()));
    }
    if pairs.is_empty() {
        return Err(NccError::BadPair {
            pair: 0,
            reason: "the pair list is empty".into(),
        });
    }
    if !(tolerance_days >= 0.0) {
        return Err(NccError::InvalidParameter {
            name: "tolerance_days",
            reason: "must be ≥ 0".into(),
        });
    }
    let mut expected = None;
    let mut sum = 0.0;
    for (i, p) in pairs.iter().enumerate() {
        if p.primary >= dates.len() || p.secondary >= dates.len() {
            return Err(NccError::BadPair {
                pair: i,
                reason: format!(
                    "image index {} or {} is out of range (there are {} images)",
                    p.primary,
                    p.secondary,
                    dates.len()
                ),
            });
        }
        let t = dates[p.secondary].days_since(dates[p.primary]) as f64;
        if t <= 0.0 {
            return Err(NccError::BadPair {
                pair: i,
                reason: format!(
                    "the secondary image ({}) must be acquired after the primary ({})",
                    dates[p.secondary], dates[p.primary]
                ),
            });
        }
        let e = *expected.get_or_insert(t);
        if (t - e).abs() > tolerance_days {
            return Err(NccError::UnequalIntervals {
                pair: i,
                found_days: t,
                expected_days: e,
                tolerance_days,
            });
        }
        sum += t;
    }
    Ok(PairSet {
        pairs: pairs.to_vec(),
        interval_days: sum / pairs.len() as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(v: &[i64]) -> Vec<Date> {
        v.iter().map(|&d| Date::from_days_since_epoch(d)).collect()
    }

    #[test]
    fn sentinel_two_series_with_a2_gives_eleven_pairs() {
        // Sentinel-1A, sect. 2.3.2: 8 + 7 images, 12-day repeat, a = 2 → 6 + 5 pairs
        let s1 = days(&(0..8).map(|k| 100 + 12 * k).collect::<Vec<_>>());
        let s2 = days(&(0..7).map(|k| 500 + 12 * k).collect::<Vec<_>>());
        let set = form_pairs(&[s1, s2], 2, 0.5).unwrap();
        assert_eq!(set.pairs.len(), 11);
        assert_eq!(
            set.pairs[6],
            Pair {
                primary: 8,
                secondary: 10
            }
        );
        assert_eq!(set.interval_days, 24.0);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            form_pairs(&[days(&[1])], 1, 0.0),
            Err(NccError::TooFewImages(1))
        ));
        assert!(matches!(
            form_pairs(&[days(&[1, 5, 3])], 1, 0.0),
            Err(NccError::DatesOutOfOrder { index: 2, .. })
        ));
        assert!(matches!(
            form_pairs(&[days(&[1, 5])], 3, 0.0),
            Err(NccError::NoPairs { .. })
        ));
        assert!(matches!(
            form_pairs(&[days(&[0, 11, 23])], 1, 0.5),
            Err(NccError::UnequalIntervals { pair: 1, .. })
        ));
        assert!(form_pairs(&[days(&[0, 11, 23])], 1, 1.0).is_ok());
        let d = days(&[0, 10, 20]);
        assert!(matches!(
            check_pairs(
                &[Pair {
                    primary: 1,
                    secondary: 0
                }],
                &d,
                0.0
            ),
            Err(NccError::BadPair { .. })
        ));
        assert!(matches!(
            check_pairs(
                &[Pair {
                    primary: 0,
                    secondary: 7
                }],
                &d,
                0.0
            ),
            Err(NccError::BadPair { .. })
        ));
    }
}
