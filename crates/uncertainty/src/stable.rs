//! Stable-terrain statistics and N-dimensional binned statistics.
//!
//! Over stable terrain (ice-free, non-moving ground) the true elevation
//! change is zero, so the measured dh (or dh/dt) *is* its error. Its median
//! estimates the bias and its NMAD the dispersion (thesis sect. 4.3.3.2:
//! median −0.00024 m/yr, NMAD 0.20 m/yr in the Karakoram).
//!
//! [`binned_statistics`] groups the values by one or more explanatory
//! variables (slope, curvature, …) and returns the count, median and NMAD of
//! every bin, as xdem's `nd_binning` (scipy's `binned_statistic_dd`) does for
//! the full-dimensional combination: bins are closed on the left, the last
//! bin also holds values equal to its right edge, values outside the edges
//! are dropped, and a pixel is used only where the value and every
//! explanatory variable are finite.

use ndarray::ArrayView2;
#[cfg(feature = "rayon")]
use rayon::prelude::*;
use sar_core::stats;

use crate::error::{Result, UncertaintyError};

/// Median, NMAD, mean and standard deviation of a raster over stable terrain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StableStatistics {
    /// Number of finite stable pixels used.
    pub count: usize,
    /// Median (same unit as the input, e.g. m or m/yr): the systematic bias.
    pub median: f64,
    /// NMAD, `1.4826·median(|x − median(x)|)` (input unit): the robust dispersion.
    pub nmad: f64,
    /// Mean (input unit).
    pub mean: f64,
    /// Population standard deviation (input unit).
    pub std: f64,
}

fn check_shape(what: &'static str, a: (usize, usize), b: (usize, usize)) -> Result<()> {
    if a != b {
        return Err(sar_core::SarError::ShapeMismatch {
            what: what.into(),
            expected: a,
            found: b,
        }
        .into());
    }
    Ok(())
}

/// Statistics of `values` over the pixels where `stable` is `true` (all
/// pixels if `None`); non-finite values are no-data.
///
/// # Errors
/// [`UncertaintyError::NoValidSamples`] when no finite stable pixel is left,
/// [`UncertaintyError::Degenerate`] when the NMAD is zero (all values equal,
/// or more than half of them equal), a shape mismatch from sar-core.
pub fn stable_statistics(
    values: ArrayView2<'_, f64>,
    stable: Option<ArrayView2<'_, bool>>,
) -> Result<StableStatistics> {
    let v: Vec<f64> = match stable {
        Some(m) => {
            check_shape("stable mask", values.dim(), m.dim())?;
            values
                .iter()
                .zip(m.iter())
                .filter(|(x, &s)| s && x.is_finite())
                .map(|(x, _)| *x)
                .collect()
        }
        None => stats::finite_values(values.iter().copied()),
    };
    let s = stats::Summary::of(v)
        .ok_or_else(|| UncertaintyError::NoValidSamples("no finite stable pixel".into()))?;
    if s.nmad <= 0.0 {
        return Err(UncertaintyError::Degenerate(format!(
            "NMAD of the {} stable values is zero (median {})",
            s.count, s.median
        )));
    }
    Ok(StableStatistics {
        count: s.count,
        median: s.median,
        nmad: s.nmad,
        mean: s.mean,
        std: s.std,
    })
}

/// How to bin one explanatory variable.
#[derive(Debug, Clone, PartialEq)]
pub enum Bins {
    /// `n` equal-width bins between the minimum and maximum of the valid
    /// values (scipy's and xdem's default with `bins=n`).
    Count(usize),
    /// Explicit, strictly increasing bin edges (`n + 1` edges for `n` bins).
    Edges(Vec<f64>),
}

impl Bins {
    /// Equal-width bins of `width` from `start` to `stop` (the last edge is
    /// the first one ≥ `stop`), e.g. `Bins::width(0.0, 90.0, 1.0)` for the
    /// 1° slope bins of thesis sect. 4.3.3.2.
    ///
    /// # Errors
    /// [`UncertaintyError::InvalidParameter`] unless `width > 0`, `stop > start`, all finite.
    pub fn width(start: f64, stop: f64, width: f64) -> Result<Bins> {
        if !(width > 0.0 && stop > start && start.is_finite() && stop.is_finite()) {
            return Err(UncertaintyError::param(
                "width",
                format!("need finite start < stop and width > 0, got {start}, {stop}, {width}"),
            ));
        }
        let n = ((stop - start) / width - 1e-9).ceil().max(1.0) as usize;
        Ok(Bins::Edges(
            (0..=n).map(|i| start + i as f64 * width).collect(),
        ))
    }

    fn edges(&self, valid: impl Iterator<Item = f64>) -> Result<Vec<f64>> {
        match self {
            Bins::Count(n) => {
                if *n == 0 {
                    return Err(UncertaintyError::param("bins", "bin count must be ≥ 1"));
                }
                let (mut lo, mut hi) = stats::min_max(valid).ok_or_else(|| {
                    UncertaintyError::NoValidSamples("no finite explanatory value".into())
                })?;
                if lo == hi {
                    // scipy's behaviour for a constant variable
                    lo -= 0.5;
                    hi += 0.5;
                }
                // numpy.linspace: start + i·step, last edge exactly `stop`
                let step = (hi - lo) / *n as f64;
                let mut e: Vec<f64> = (0..=*n).map(|i| lo + i as f64 * step).collect();
                e[*n] = hi;
                Ok(e)
            }
            Bins::Edges(e) => {
                if e.len() < 2
                    || e.iter().any(|x| !x.is_finite())
                    || e.windows(2).any(|w| w[1] <= w[0])
                {
                    return Err(UncertaintyError::param(
                        "bins",
                        "edges must be ≥ 2 finite, strictly increasing values",
                    ));
                }
                Ok(e.clone())
            }
        }
    }
}

/// Index of the bin holding `x` (left-closed bins, last bin right-closed),
/// `None` outside the edges.
pub(crate) fn bin_index(edges: &[f64], x: f64) -> Option<usize> {
    let n = edges.len() - 1;
    if x < edges[0] || x > edges[n] || !x.is_finite() {
        return None;
    }
    if x == edges[n] {
        return Some(n - 1);
    }
    // number of edges <= x, minus one
    Some(edges.partition_point(|&e| e <= x) - 1)
}

/// Count, median and NMAD of a value in every bin of an N-D binning.
///
/// Bins are stored flat in row-major order: the first explanatory variable
/// varies slowest (as `numpy.ravel` of scipy's statistic array).
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedStatistics {
    /// Bin edges of each explanatory variable (its unit, e.g. degrees).
    pub edges: Vec<Vec<f64>>,
    /// Number of bins of each explanatory variable.
    pub shape: Vec<usize>,
    /// Number of valid samples in each bin.
    pub count: Vec<usize>,
    /// Median of the value in each bin (NaN for an empty bin).
    pub median: Vec<f64>,
    /// NMAD of the value in each bin (NaN for an empty bin).
    pub nmad: Vec<f64>,
}

impl BinnedStatistics {
    /// Number of explanatory variables.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Total number of bins.
    pub fn len(&self) -> usize {
        self.count.len()
    }

    /// Whether there is no bin at all.
    pub fn is_empty(&self) -> bool {
        self.count.is_empty()
    }

    /// Bin centres (midpoints of the edges) of variable `dim`.
    ///
    /// # Panics
    /// If `dim >= self.ndim()`.
    #[track_caller]
    pub fn centers(&self, dim: usize) -> Vec<f64> {
        self.edges[dim]
            .windows(2)
            .map(|w| 0.5 * (w[0] + w[1]))
            .collect()
    }

    /// Flat index of a multi-index (one index per variable).
    ///
    /// # Panics
    /// If the multi-index has the wrong length or is out of bounds.
    #[track_caller]
    pub fn flat_index(&self, idx: &[usize]) -> usize {
        assert_eq!(idx.len(), self.ndim(), "one index per variable");
        idx.iter().zip(&self.shape).fold(0, |acc, (&i, &n)| {
            assert!(i < n, "bin index out of bounds");
            acc * n + i
        })
    }

    /// Multi-index of a flat index.
    pub fn multi_index(&self, mut flat: usize) -> Vec<usize> {
        let mut idx = vec![0; self.ndim()];
        for d in (0..self.ndim()).rev() {
            idx[d] = flat % self.shape[d];
            flat /= self.shape[d];
        }
        idx
    }
}

/// Binned count, median and NMAD of `values` against the explanatory
/// rasters, optionally only where `mask` is `true` (e.g. stable terrain).
///
/// # Errors
/// Shape mismatches, `explanatory.len() != bins.len()` or no variable,
/// invalid bins, [`UncertaintyError::NoValidSamples`] if no pixel has finite
/// values in all inputs.
pub fn binned_statistics(
    values: ArrayView2<'_, f64>,
    explanatory: &[ArrayView2<'_, f64>],
    bins: &[Bins],
    mask: Option<ArrayView2<'_, bool>>,
) -> Result<BinnedStatistics> {
    if explanatory.is_empty() || explanatory.len() != bins.len() {
        return Err(UncertaintyError::LengthMismatch {
            what: "bins (one per explanatory variable)",
            expected: explanatory.len().max(1),
            found: bins.len(),
        });
    }
    for e in explanatory {
        check_shape("explanatory variable", values.dim(), e.dim())?;
    }
    if let Some(m) = &mask {
        check_shape("mask", values.dim(), m.dim())?;
    }
    // valid pixels: finite value and all explanatory variables, inside the mask
    let vals: Vec<f64> = values.iter().copied().collect();
    let vars: Vec<Vec<f64>> = explanatory
        .iter()
        .map(|e| e.iter().copied().collect())
        .collect();
    let mvec: Option<Vec<bool>> = mask.map(|m| m.iter().copied().collect());
    let valid: Vec<usize> = (0..vals.len())
        .filter(|&i| {
            vals[i].is_finite()
                && vars.iter().all(|v| v[i].is_finite())
                && mvec.as_ref().map_or(true, |m| m[i])
        })
        .collect();
    if valid.is_empty() {
        return Err(UncertaintyError::NoValidSamples(
            "no pixel with finite value and explanatory variables".into(),
        ));
    }
    let edges: Vec<Vec<f64>> = bins
        .iter()
        .zip(&vars)
        .map(|(b, v)| b.edges(valid.iter().map(|&i| v[i])))
        .collect::<Result<_>>()?;
    let shape: Vec<usize> = edges.iter().map(|e| e.len() - 1).collect();
    let nbins: usize = shape.iter().product();
    let mut groups: Vec<Vec<f64>> = vec![Vec::new(); nbins];
    'pix: for &i in &valid {
        let mut flat = 0usize;
        for (d, e) in edges.iter().enumerate() {
            match bin_index(e, vars[d][i]) {
                Some(b) => flat = flat * shape[d] + b,
                None => continue 'pix,
            }
        }
        groups[flat].push(vals[i]);
    }
    let per_bin = |g: &mut Vec<f64>| -> (usize, f64, f64) {
        let n = g.len();
        let med = stats::median_inplace(g).unwrap_or(f64::NAN);
        let nm = stats::nmad_inplace(g).unwrap_or(f64::NAN);
        (n, med, nm)
    };
    #[cfg(feature = "rayon")]
    let res: Vec<(usize, f64, f64)> = groups.par_iter_mut().map(per_bin).collect();
    #[cfg(not(feature = "rayon"))]
    let res: Vec<(usize, f64, f64)> = groups.iter_mut().map(per_bin).collect();
    Ok(BinnedStatistics {
        edges,
        shape,
        count: res.iter().map(|r| r.0).collect(),
        median: res.iter().map(|r| r.1).collect(),
        nmad: res.iter().map(|r| r.2).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn bin_index_follows_scipy_convention() {
        let e = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(bin_index(&e, -0.1), None);
        assert_eq!(bin_index(&e, 0.0), Some(0));
        assert_eq!(bin_index(&e, 0.999), Some(0));
        assert_eq!(bin_index(&e, 1.0), Some(1));
        assert_eq!(bin_index(&e, 3.0), Some(2));
        assert_eq!(bin_index(&e, 3.0001), None);
    }

    #[test]
    fn stable_statistics_errors() {
        let v = array![[1.0, f64::NAN], [1.0, 1.0]];
        assert!(matches!(
            stable_statistics(v.view(), None),
            Err(UncertaintyError::Degenerate(_))
        ));
        let m = array![[false, true], [false, false]];
        assert!(matches!(
            stable_statistics(v.view(), Some(m.view())),
            Err(UncertaintyError::NoValidSamples(_))
        ));
    }

    #[test]
    fn two_d_binning_counts_and_medians() {
        let v = array![[1.0, 2.0, 3.0, 4.0]];
        let x = array![[0.5, 0.5, 1.5, 1.5]];
        let y = array![[0.2, 0.8, 0.2, 0.8]];
        let b = binned_statistics(
            v.view(),
            &[x.view(), y.view()],
            &[
                Bins::Edges(vec![0.0, 1.0, 2.0]),
                Bins::Edges(vec![0.0, 0.5, 1.0]),
            ],
            None,
        )
        .unwrap();
        assert_eq!(b.shape, vec![2, 2]);
        assert_eq!(b.count, vec![1, 1, 1, 1]);
        assert_eq!(b.median, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(b.flat_index(&[1, 0]), 2);
        assert_eq!(b.multi_index(3), vec![1, 1]);
        assert_eq!(b.centers(0), vec![0.5, 1.5]);
    }
}
