//! Empirical variogram of the standardised error (thesis eq. 4.10) with
//! pairwise subsampling in distance rings.
//!
//! # Estimators
//! With `x = |z_i − z_j|` the absolute differences of the pairs in a lag bin,
//! as in scikit-gstat 1.0 (which xdem 0.2.3 calls):
//!
//! * Dowd: γ̂ = ½ · 2.198 · median(x)² (eq. 4.10 gives 2γ̂);
//! * Matheron: γ̂ = Σx² / (2n).
//!
//! # Lag bins
//! xdem's default ([`LagBins::Xdem`]): right edges at √2·g, 2g, 2√2·g, …
//! (g the mean pixel size in metres) growing by √2 while below the maximum
//! lag, then the maximum lag itself; the bins are `[lo, hi)` from 0, and
//! the last bin (the one ending at the maximum lag) is dropped, as xdem does.
//! The default maximum lag is the diagonal of the raster extent
//! `g·√((rows−1)² + (cols−1)²)`.
//!
//! # Sampling design
//! For every lag bin `[lo, hi)` independently, `pairs_per_bin` pairs are
//! drawn: the first pixel uniformly among the valid pixels (finite value,
//! inside the mask), the second at a random offset uniformly distributed
//! over the pixel offsets whose length lies in `[lo, hi)`. For small rings
//! (≤ 4096 candidate offsets) the offsets are enumerated and one is drawn
//! exactly uniformly; for larger rings a point uniform in the continuous
//! annulus is rounded to the nearest pixel and rejected if its rounded
//! length falls outside the ring. A pair is rejected when the second pixel
//! lies outside the raster or is invalid; after `max_attempts_factor ×
//! pairs_per_bin` draws the bin keeps what it has. Each pair is therefore a
//! uniform draw from all valid pairs in the ring (up to edge effects, that
//! is exactly the pair population of the full estimator), and the cost is
//! O(bins × pairs_per_bin), independent of the raster size: only the list
//! of valid pixels is O(N). Bins are sampled in parallel, each with its own
//! RNG seeded from `(seed, bin index)`, so the result does not depend on the
//! number of threads.

use ndarray::ArrayView2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
#[cfg(feature = "rayon")]
use rayon::prelude::*;
use sar_core::stats;

use crate::error::{Result, UncertaintyError};

/// The variogram estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Estimator {
    /// Dowd's robust estimator, γ̂ = 1.099·median(|Δz|)² (eq. 4.10).
    #[default]
    Dowd,
    /// Matheron's classical estimator, γ̂ = Σ(Δz)²/(2n).
    Matheron,
}

impl Estimator {
    /// The semivariance of a set of absolute pair differences (reordered in
    /// place); `None` if empty.
    pub fn semivariance(self, abs_diffs: &mut Vec<f64>) -> Option<f64> {
        match self {
            Estimator::Dowd => stats::median_inplace(abs_diffs).map(|m| 2.198 * m * m / 2.0),
            Estimator::Matheron => {
                abs_diffs.retain(|v| v.is_finite());
                (!abs_diffs.is_empty()).then(|| {
                    abs_diffs.iter().map(|x| x * x).sum::<f64>() / (2.0 * abs_diffs.len() as f64)
                })
            }
        }
    }
}

/// The lag bins of the empirical variogram.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum LagBins {
    /// xdem's default √2-growing bins (see the module docs).
    #[default]
    Xdem,
    /// Explicit right edges in metres, strictly increasing; the bins are
    /// `[0, e₀), [e₀, e₁), …` and all of them are kept.
    UpperEdges(Vec<f64>),
}

/// xdem's default right bin edges (metres) for pixel size `gsd_m` and
/// maximum lag `max_lag_m`, including the final edge at `max_lag_m`.
pub fn xdem_bin_edges(gsd_m: f64, max_lag_m: f64) -> Vec<f64> {
    let mut e = Vec::new();
    let mut r = std::f64::consts::SQRT_2 * gsd_m;
    while r < max_lag_m {
        e.push(r);
        r *= std::f64::consts::SQRT_2;
    }
    e.push(max_lag_m);
    e
}

/// Parameters of [`sample_empirical_variogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct VariogramParams {
    estimator: Estimator,
    bins: LagBins,
    max_lag_m: Option<f64>,
    pairs_per_bin: usize,
    max_attempts_factor: usize,
    seed: u64,
}

impl Default for VariogramParams {
    /// Dowd, xdem bins, maximum lag = extent diagonal, 10 000 pairs per bin,
    /// 50 attempts per wanted pair, seed 42.
    fn default() -> Self {
        VariogramParams {
            estimator: Estimator::Dowd,
            bins: LagBins::Xdem,
            max_lag_m: None,
            pairs_per_bin: 10_000,
            max_attempts_factor: 50,
            seed: 42,
        }
    }
}

impl VariogramParams {
    /// The estimator.
    pub fn estimator(mut self, e: Estimator) -> Self {
        self.estimator = e;
        self
    }
    /// The lag bins.
    pub fn bins(mut self, b: LagBins) -> Self {
        self.bins = b;
        self
    }
    /// Maximum lag in metres for [`LagBins::Xdem`].
    pub fn max_lag_m(mut self, m: f64) -> Self {
        self.max_lag_m = Some(m);
        self
    }
    /// Number of pairs sampled per lag bin.
    pub fn pairs_per_bin(mut self, n: usize) -> Self {
        self.pairs_per_bin = n;
        self
    }
    /// Maximum number of draws per wanted pair before a bin gives up.
    pub fn max_attempts_factor(mut self, n: usize) -> Self {
        self.max_attempts_factor = n;
        self
    }
    /// RNG seed.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }
    /// Validate.
    ///
    /// # Errors
    /// [`UncertaintyError::InvalidParameter`] for zero pairs or attempts, a
    /// non-positive maximum lag or invalid explicit edges.
    pub fn check(&self) -> Result<()> {
        if self.pairs_per_bin == 0 {
            return Err(UncertaintyError::param("pairs_per_bin", "must be ≥ 1"));
        }
        if self.max_attempts_factor == 0 {
            return Err(UncertaintyError::param(
                "max_attempts_factor",
                "must be ≥ 1",
            ));
        }
        if let Some(m) = self.max_lag_m {
            if !(m.is_finite() && m > 0.0) {
                return Err(UncertaintyError::param(
                    "max_lag_m",
                    "must be finite and > 0",
                ));
            }
        }
        if let LagBins::UpperEdges(e) = &self.bins {
            if e.is_empty()
                || e[0] <= 0.0
                || e.windows(2).any(|w| w[1] <= w[0])
                || e.iter().any(|x| !x.is_finite())
            {
                return Err(UncertaintyError::param(
                    "bins",
                    "upper edges must be finite, > 0 and strictly increasing",
                ));
            }
        }
        Ok(())
    }
}

/// An empirical variogram: one row per lag bin.
#[derive(Debug, Clone, PartialEq)]
pub struct EmpiricalVariogram {
    /// Lower bin edges (metres).
    pub lower_m: Vec<f64>,
    /// Upper bin edges (metres), xdem's `lags`.
    pub upper_m: Vec<f64>,
    /// Mean pair distance in each bin (metres; NaN if empty).
    pub mean_lag_m: Vec<f64>,
    /// Semivariance γ̂ (unit² of the input; NaN if empty).
    pub gamma: Vec<f64>,
    /// Number of pairs in each bin.
    pub count: Vec<usize>,
    /// Standard error of γ̂ between averaged runs ([`EmpiricalVariogram::average`]),
    /// NaN for a single run (xdem's `err_exp`).
    pub std_err: Vec<f64>,
    /// The estimator used.
    pub estimator: Estimator,
}

impl EmpiricalVariogram {
    /// Number of bins.
    pub fn len(&self) -> usize {
        self.gamma.len()
    }

    /// Whether there is no bin.
    pub fn is_empty(&self) -> bool {
        self.gamma.is_empty()
    }

    /// Total number of pairs.
    pub fn total_pairs(&self) -> usize {
        self.count.iter().sum()
    }

    /// The mean of several empirical variograms with identical bins (e.g.
    /// independent runs or realisations, as xdem's `n_variograms`): γ̂ is the
    /// mean over the runs with a finite value, `std_err` its standard
    /// deviation / √runs, `count` the total, `mean_lag_m` count-weighted.
    ///
    /// # Errors
    /// An empty list, or bins that differ between runs.
    pub fn average(runs: &[EmpiricalVariogram]) -> Result<Self> {
        let first = runs
            .first()
            .ok_or_else(|| UncertaintyError::NoValidSamples("no variogram to average".into()))?;
        if runs
            .iter()
            .any(|r| r.upper_m != first.upper_m || r.estimator != first.estimator)
        {
            return Err(UncertaintyError::param(
                "runs",
                "variograms must share bins and estimator",
            ));
        }
        let nb = first.len();
        let mut out = first.clone();
        for k in 0..nb {
            let g: Vec<f64> = runs
                .iter()
                .map(|r| r.gamma[k])
                .filter(|v| v.is_finite())
                .collect();
            let n = g.len() as f64;
            out.count[k] = runs.iter().map(|r| r.count[k]).sum();
            let dsum: f64 = runs
                .iter()
                .filter(|r| r.count[k] > 0)
                .map(|r| r.mean_lag_m[k] * r.count[k] as f64)
                .sum();
            out.mean_lag_m[k] = if out.count[k] > 0 {
                dsum / out.count[k] as f64
            } else {
                f64::NAN
            };
            if g.is_empty() {
                out.gamma[k] = f64::NAN;
                out.std_err[k] = f64::NAN;
                continue;
            }
            let m = g.iter().sum::<f64>() / n;
            out.gamma[k] = m;
            out.std_err[k] = if g.len() > 1 {
                (g.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() / n.sqrt()
            } else {
                f64::NAN
            };
        }
        Ok(out)
    }

    /// The variogram of a fixed set of pairs: absolute (or signed) value
    /// differences and distances (metres), binned by `upper_edges` as
    /// `[0, e₀), [e₀, e₁), …` (scikit-gstat's `np.digitize` grouping; pairs
    /// at or beyond the last edge are dropped).
    ///
    /// # Errors
    /// Length mismatch or invalid edges.
    pub fn from_pairs(
        diffs: &[f64],
        distances_m: &[f64],
        upper_edges: &[f64],
        estimator: Estimator,
    ) -> Result<Self> {
        if diffs.len() != distances_m.len() {
            return Err(UncertaintyError::LengthMismatch {
                what: "pair distances",
                expected: diffs.len(),
                found: distances_m.len(),
            });
        }
        VariogramParams::default()
            .bins(LagBins::UpperEdges(upper_edges.to_vec()))
            .check()?;
        let nb = upper_edges.len();
        let mut groups: Vec<Vec<f64>> = vec![Vec::new(); nb];
        let mut dsum = vec![0.0; nb];
        for (&d, &h) in diffs.iter().zip(distances_m) {
            if !(d.is_finite() && h.is_finite() && h >= 0.0) {
                continue;
            }
            let k = upper_edges.partition_point(|&e| e <= h);
            if k < nb {
                groups[k].push(d.abs());
                dsum[k] += h;
            }
        }
        let lower: Vec<f64> = std::iter::once(0.0)
            .chain(upper_edges[..nb - 1].iter().copied())
            .collect();
        Ok(Self::from_groups(
            groups,
            dsum,
            lower,
            upper_edges.to_vec(),
            estimator,
        ))
    }

    fn from_groups(
        groups: Vec<Vec<f64>>,
        dsum: Vec<f64>,
        lower_m: Vec<f64>,
        upper_m: Vec<f64>,
        estimator: Estimator,
    ) -> Self {
        let count: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        let mean_lag_m = dsum
            .iter()
            .zip(&count)
            .map(|(s, &n)| if n > 0 { s / n as f64 } else { f64::NAN })
            .collect();
        let gamma = groups
            .into_iter()
            .map(|mut g| estimator.semivariance(&mut g).unwrap_or(f64::NAN))
            .collect();
        let nb = count.len();
        EmpiricalVariogram {
            lower_m,
            upper_m,
            mean_lag_m,
            gamma,
            count,
            std_err: vec![f64::NAN; nb],
            estimator,
        }
    }
}

/// Offsets (d_row, d_col) of a ring for enumeration, or `None` if too many.
fn ring_offsets(lo: f64, hi: f64, dx: f64, dy: f64) -> Option<Vec<(i64, i64)>> {
    let area_px = std::f64::consts::PI * (hi * hi - lo * lo) / (dx * dy);
    // Also bounds each half-width, so that the casts below cannot saturate.
    if !(area_px <= 4096.0 && hi / dy <= 4096.0 && hi / dx <= 4096.0) {
        return None;
    }
    let ri = (hi / dy).ceil() as i64;
    let rj = (hi / dx).ceil() as i64;
    let mut v = Vec::new();
    for di in -ri..=ri {
        for dj in -rj..=rj {
            let d = ((di as f64 * dy).powi(2) + (dj as f64 * dx).powi(2)).sqrt();
            if d >= lo && d < hi && d > 0.0 {
                v.push((di, dj));
            }
        }
    }
    Some(v)
}

/// Sample the empirical variogram of `values` (e.g. the standardised error
/// z) over the pixels where `mask` is `true` (all if `None`) and the value is
/// finite, on a grid of pixel size `pixel_size_m = (dx, dy)` in metres (see
/// the module docs for the bins and the sampling design).
///
/// # Errors
/// Invalid parameters or pixel size, shape mismatch,
/// [`UncertaintyError::NoValidSamples`] with fewer than two valid pixels,
/// [`UncertaintyError::Degenerate`] if every sampled pair has zero difference.
pub fn sample_empirical_variogram(
    values: ArrayView2<'_, f64>,
    pixel_size_m: (f64, f64),
    mask: Option<ArrayView2<'_, bool>>,
    params: &VariogramParams,
) -> Result<EmpiricalVariogram> {
    params.check()?;
    let (dx, dy) = pixel_size_m;
    if !(dx.is_finite() && dy.is_finite() && dx > 0.0 && dy > 0.0) {
        return Err(UncertaintyError::param(
            "pixel_size_m",
            "must be finite and > 0",
        ));
    }
    let (rows, cols) = values.dim();
    if let Some(m) = &mask {
        if m.dim() != values.dim() {
            return Err(sar_core::SarError::ShapeMismatch {
                what: "mask".into(),
                expected: values.dim(),
                found: m.dim(),
            }
            .into());
        }
    }
    // contiguous copy with invalid pixels as NaN
    let data: Vec<f64> = match &mask {
        Some(m) => values
            .iter()
            .zip(m.iter())
            .map(|(&v, &ok)| if ok { v } else { f64::NAN })
            .collect(),
        None => values.iter().copied().collect(),
    };
    let valid: Vec<usize> = (0..data.len()).filter(|&i| data[i].is_finite()).collect();
    if valid.len() < 2 {
        return Err(UncertaintyError::NoValidSamples(format!(
            "{} valid pixel(s), the variogram needs at least 2",
            valid.len()
        )));
    }
    let gsd = 0.5 * (dx + dy);
    let (lower, upper) = match &params.bins {
        LagBins::Xdem => {
            let max_lag = params.max_lag_m.unwrap_or_else(|| {
                (((rows.max(2) - 1) as f64 * dy).powi(2) + ((cols.max(2) - 1) as f64 * dx).powi(2))
                    .sqrt()
            });
            let mut e = xdem_bin_edges(gsd, max_lag);
            if e.len() > 1 {
                e.pop(); // xdem drops the last bin
            }
            let lo: Vec<f64> = std::iter::once(0.0)
                .chain(e[..e.len() - 1].iter().copied())
                .collect();
            (lo, e)
        }
        LagBins::UpperEdges(e) => {
            let lo: Vec<f64> = std::iter::once(0.0)
                .chain(e[..e.len() - 1].iter().copied())
                .collect();
            (lo, e.clone())
        }
    };
    let nb = upper.len();
    let target = params.pairs_per_bin;
    let max_attempts = target.saturating_mul(params.max_attempts_factor);
    let sample_bin = |k: usize| -> (Vec<f64>, f64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(
            params.seed ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let (lo, hi) = (lower[k], upper[k]);
        let offsets = ring_offsets(lo, hi, dx, dy);
        let mut diffs = Vec::with_capacity(target);
        let mut dsum = 0.0;
        if matches!(&offsets, Some(o) if o.is_empty()) {
            return (diffs, dsum);
        }
        let mut attempts = 0usize;
        while diffs.len() < target && attempts < max_attempts {
            attempts += 1;
            let p = valid[rng.gen_range(0..valid.len())];
            let (pi, pj) = ((p / cols) as i64, (p % cols) as i64);
            let (di, dj) = match &offsets {
                Some(o) => o[rng.gen_range(0..o.len())],
                None => {
                    let r = (lo * lo + rng.gen::<f64>() * (hi * hi - lo * lo)).sqrt();
                    let th = rng.gen::<f64>() * std::f64::consts::TAU;
                    (
                        (r * th.sin() / dy).round() as i64,
                        (r * th.cos() / dx).round() as i64,
                    )
                }
            };
            let (qi, qj) = (pi + di, pj + dj);
            if qi < 0 || qj < 0 || qi >= rows as i64 || qj >= cols as i64 {
                continue;
            }
            let d = ((di as f64 * dy).powi(2) + (dj as f64 * dx).powi(2)).sqrt();
            if offsets.is_none() && !(d >= lo && d < hi && d > 0.0) {
                continue;
            }
            let q = data[qi as usize * cols + qj as usize];
            if !q.is_finite() {
                continue;
            }
            diffs.push((data[p] - q).abs());
            dsum += d;
        }
        (diffs, dsum)
    };
    #[cfg(feature = "rayon")]
    let sampled: Vec<(Vec<f64>, f64)> = (0..nb).into_par_iter().map(sample_bin).collect();
    #[cfg(not(feature = "rayon"))]
    let sampled: Vec<(Vec<f64>, f64)> = (0..nb).map(sample_bin).collect();
    let (groups, dsum): (Vec<Vec<f64>>, Vec<f64>) = sampled.into_iter().unzip();
    if groups.iter().all(|g| g.iter().all(|&x| x == 0.0)) {
        return Err(UncertaintyError::Degenerate(
            "all sampled pair differences are zero (constant values?)".into(),
        ));
    }
    Ok(EmpiricalVariogram::from_groups(
        groups,
        dsum,
        lower,
        upper,
        params.estimator,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdem_edges_grow_by_sqrt2() {
        let e = xdem_bin_edges(10.0, 50.0);
        let s = std::f64::consts::SQRT_2;
        // 10√2, 20, 20√2, 40, then the maximum lag
        assert_eq!(e.len(), 5);
        assert!((e[0] - 10.0 * s).abs() < 1e-12);
        assert!((e[3] - 40.0).abs() < 1e-9);
        assert_eq!(e[4], 50.0);
    }

    #[test]
    fn estimators_match_definitions() {
        // |d| = 1, 2, 3 -> median 2 -> Dowd 1.099·4; Matheron (1+4+9)/6
        let mut v = vec![1.0, 2.0, 3.0];
        assert!((Estimator::Dowd.semivariance(&mut v.clone()).unwrap() - 4.396).abs() < 1e-12);
        assert!((Estimator::Matheron.semivariance(&mut v).unwrap() - 14.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn ring_offsets_are_in_ring() {
        let o = ring_offsets(0.0, 1.5, 1.0, 1.0).unwrap();
        assert_eq!(o.len(), 8); // 4 at distance 1, 4 at √2
        let o = ring_offsets(0.0, 1.4, 1.0, 1.0).unwrap();
        assert_eq!(o.len(), 4);
    }

    #[test]
    fn constant_field_is_degenerate() {
        let z = ndarray::Array2::from_elem((20, 20), 3.0);
        let r = sample_empirical_variogram(
            z.view(),
            (1.0, 1.0),
            None,
            &VariogramParams::default().pairs_per_bin(50),
        );
        assert!(matches!(r, Err(UncertaintyError::Degenerate(_))));
    }
}
