//! NaN-aware statistics shared by every cryosar crate.
//!
//! All functions **skip non-finite values** (NaN, ±∞): NaN is the no-data
//! value of float rasters, and an infinite value is never a measurement.
//! They return `None` when no finite value is left, so a caller decides
//! whether that is an error (most library functions turn it into one).
//!
//! Percentiles use linear interpolation between closest ranks, NumPy's
//! default (`method="linear"`): the `q`-th percentile of `n` sorted values
//! lies at rank `q/100·(n − 1)`. The median is the 50th percentile. NMAD is
//! `1.4826 · median(|x − median(x)|)`, as in xdem and Höhle & Höhle (2009).

/// Scale factor that makes the median absolute deviation a consistent
/// estimator of the standard deviation of a normal distribution.
pub const NMAD_FACTOR: f64 = 1.4826;

/// Collect the finite values of `values` into a vector.
pub fn finite_values<I: IntoIterator<Item = f64>>(values: I) -> Vec<f64> {
    values.into_iter().filter(|v| v.is_finite()).collect()
}

/// Number of finite values.
pub fn count<I: IntoIterator<Item = f64>>(values: I) -> usize {
    values.into_iter().filter(|v| v.is_finite()).count()
}

/// Mean of the finite values (Kahan–Neumaier compensated sum), `None` if there are none.
pub fn mean<I: IntoIterator<Item = f64>>(values: I) -> Option<f64> {
    let mut n = 0usize;
    let mut sum = 0.0f64;
    let mut comp = 0.0f64;
    for v in values.into_iter().filter(|v| v.is_finite()) {
        n += 1;
        let t = sum + v;
        if sum.abs() >= v.abs() {
            comp += (sum - t) + v;
        } else {
            comp += (v - t) + sum;
        }
        sum = t;
    }
    (n > 0).then(|| (sum + comp) / n as f64)
}

/// Standard deviation of the finite values with `ddof` delta degrees of
/// freedom (0: population, as NumPy's default; 1: sample). Welford's
/// algorithm. `None` if fewer than `ddof + 1` finite values.
pub fn std<I: IntoIterator<Item = f64>>(values: I, ddof: usize) -> Option<f64> {
    let mut n = 0usize;
    let mut m = 0.0f64;
    let mut s = 0.0f64;
    for v in values.into_iter().filter(|v| v.is_finite()) {
        n += 1;
        let d = v - m;
        m += d / n as f64;
        s += d * (v - m);
    }
    (n > ddof).then(|| (s / (n - ddof) as f64).sqrt())
}

/// Minimum and maximum of the finite values.
pub fn min_max<I: IntoIterator<Item = f64>>(values: I) -> Option<(f64, f64)> {
    let mut it = values.into_iter().filter(|v| v.is_finite());
    let first = it.next()?;
    Some(it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
}

/// Percentile `q` in `[0, 100]` of the finite values (linear interpolation,
/// NumPy's default). `None` if there are no finite values or `q` is outside `[0, 100]`.
pub fn percentile<I: IntoIterator<Item = f64>>(values: I, q: f64) -> Option<f64> {
    let mut v = finite_values(values);
    percentile_inplace(&mut v, q)
}

/// Percentile of a buffer of values that the function may reorder.
/// Non-finite values in `buf` are ignored. Runs in O(n) with selection.
pub fn percentile_inplace(buf: &mut Vec<f64>, q: f64) -> Option<f64> {
    if !(0.0..=100.0).contains(&q) {
        return None;
    }
    buf.retain(|v| v.is_finite());
    let n = buf.len();
    if n == 0 {
        return None;
    }
    let rank = q / 100.0 * (n - 1) as f64;
    let lo = rank.floor() as usize;
    let frac = rank - lo as f64;
    let (_, lo_v, upper) = buf.select_nth_unstable_by(lo, f64::total_cmp);
    let lo_v = *lo_v;
    if frac == 0.0 || upper.is_empty() {
        return Some(lo_v);
    }
    let hi_v = upper.iter().copied().fold(f64::INFINITY, f64::min);
    Some(lo_v + frac * (hi_v - lo_v))
}

/// Median of the finite values (mean of the two middle values for an even count).
pub fn median<I: IntoIterator<Item = f64>>(values: I) -> Option<f64> {
    percentile(values, 50.0)
}

/// Median of a buffer that may be reordered (non-finite values ignored).
pub fn median_inplace(buf: &mut Vec<f64>) -> Option<f64> {
    percentile_inplace(buf, 50.0)
}

/// Normalised median absolute deviation, `1.4826 · median(|x − median(x)|)`,
/// of the finite values.
pub fn nmad<I: IntoIterator<Item = f64>>(values: I) -> Option<f64> {
    let mut v = finite_values(values);
    nmad_inplace(&mut v)
}

/// NMAD of a buffer that may be overwritten (non-finite values ignored).
pub fn nmad_inplace(buf: &mut Vec<f64>) -> Option<f64> {
    let med = median_inplace(buf)?;
    for v in buf.iter_mut() {
        *v = (*v - med).abs();
    }
    median_inplace(buf).map(|m| NMAD_FACTOR * m)
}

/// A summary of the finite values of a set: count, mean, std (ddof = 0),
/// min, max, median and NMAD, and the number of values that were skipped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of finite values used.
    pub count: usize,
    /// Number of non-finite (no-data) values skipped.
    pub nodata: usize,
    /// Mean.
    pub mean: f64,
    /// Population standard deviation (ddof = 0).
    pub std: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
    /// Median.
    pub median: f64,
    /// NMAD.
    pub nmad: f64,
}

impl Summary {
    /// Summarise the finite values; `None` if there are none.
    pub fn of<I: IntoIterator<Item = f64>>(values: I) -> Option<Summary> {
        let mut total = 0usize;
        let mut v: Vec<f64> = values
            .into_iter()
            .inspect(|_| total += 1)
            .filter(|v| v.is_finite())
            .collect();
        let count = v.len();
        if count == 0 {
            return None;
        }
        let mean_v = mean(v.iter().copied())?;
        let std_v = std(v.iter().copied(), 0)?;
        let (min, max) = min_max(v.iter().copied())?;
        let med = median_inplace(&mut v)?;
        let nmad_v = nmad_inplace(&mut v)?;
        Some(Summary {
            count,
            nodata: total - count,
            mean: mean_v,
            std: std_v,
            min,
            max,
            median: med,
            nmad: nmad_v,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    // Expected values from NumPy 1.26: np.nanpercentile, np.nanmedian, np.nanstd.
    const DATA: [f64; 9] = [3.0, f64::NAN, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, f64::INFINITY];

    #[test]
    fn basic_statistics_skip_nan() {
        assert_eq!(count(DATA), 7);
        assert_relative_eq!(mean(DATA).unwrap(), 25.0 / 7.0, epsilon = 1e-12);
        // np.std([3,1,4,1,5,9,2]) = 2.610809554642438, ddof=1: 2.819996622760558
        assert_relative_eq!(
            std(DATA, 0).unwrap(),
            2.610_809_554_642_438,
            epsilon = 1e-12
        );
        assert_relative_eq!(
            std(DATA, 1).unwrap(),
            2.819_996_622_760_558,
            epsilon = 1e-12
        );
        assert_eq!(median(DATA), Some(3.0));
        // np.percentile([3,1,4,1,5,9,2], 10) = 1.0, 90 -> 6.6, 25 -> 1.5
        assert_relative_eq!(percentile(DATA, 90.0).unwrap(), 6.6, epsilon = 1e-12);
        assert_relative_eq!(percentile(DATA, 25.0).unwrap(), 1.5, epsilon = 1e-12);
        assert_eq!(percentile(DATA, 0.0), Some(1.0));
        assert_eq!(percentile(DATA, 100.0), Some(9.0));
        assert_eq!(percentile(DATA, 101.0), None);
    }

    #[test]
    fn nmad_matches_definition() {
        // median = 3; |x - 3| = [0,2,1,2,2,6,1] -> median 2 -> 2.9652
        assert_relative_eq!(nmad(DATA).unwrap(), 2.0 * NMAD_FACTOR, epsilon = 1e-12);
        let s = Summary::of(DATA).unwrap();
        assert_eq!(s.count, 7);
        assert_eq!(s.nodata, 2);
        assert_eq!((s.min, s.max), (1.0, 9.0));
    }

    #[test]
    fn empty_gives_none() {
        let empty = [f64::NAN, f64::NAN];
        assert_eq!(mean(empty), None);
        assert_eq!(median(empty), None);
        assert_eq!(nmad(empty), None);
        assert!(Summary::of(empty).is_none());
        assert_eq!(std([1.0], 1), None);
    }

    #[test]
    fn even_median_interpolates() {
        assert_eq!(median([4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
