//! Two-component 1-D Gaussian mixture fitted by expectation–maximisation
//! (thesis eq. 3.4), the basis of the wet snow index.
//!
//! The algorithm is scikit-learn's `GaussianMixture(n_components=2,
//! covariance_type="full")` specialised to one dimension:
//!
//! * **Initialisation** ([`GmmInit::KMeans`], the default, like
//!   scikit-learn's `init_params="kmeans"`): hard labels from 1-D k-means
//!   (Lloyd's iterations started at the 25th and 75th percentiles, run until
//!   the labels stop changing), then weights, means and variances of the two
//!   labelled groups (variance + `reg_covar`). scikit-learn seeds its k-means
//!   with k-means++ and a random state; on a two-population sample both reach
//!   the same partition, so the two fits agree to the EM tolerance. For an
//!   exact comparison [`GmmInit::Explicit`] takes scikit-learn's initial
//!   weights, means and variances (what its `weights_init`, `means_init` and
//!   `precisions_init` receive), and the two EMs then follow the same path.
//! * **EM**: the E-step computes responsibilities with log-sum-exp, the
//!   M-step `n_k = Σ r + 10·ε`, `μ_k = Σ r x / n_k`,
//!   `σ²_k = Σ r (x − μ_k)² / n_k + reg_covar`, `π_k = n_k / Σ n_k`. The
//!   mean log-likelihood of the E-step is scikit-learn's `lower_bound_`;
//!   iterations stop when it changes by less than `tol` (thesis: 10⁻³, at
//!   most 100 iterations). A fit that hits `max_iter` is returned with
//!   [`Gmm1d::converged`] `= false` (scikit-learn warns and does the same).
//!
//! Samples outside [`GmmParams::sample_range_db`] (default ±30 dB) are dropped
//! before the fit: real R_c samples hold non-physical ratios such as −80 dB
//! (zero backscatter at swath or layover borders) that would otherwise
//! capture a component of their own.
//!
//! Why not linfa-clustering's `GaussianMixtureModel`: its 0.8.1 release
//! fails with an ordering error on samples holding extreme outliers
//! (−80 dB) and returns no model when EM does not converge within
//! `max_iter`; it is also general-dimensional (matrix Cholesky per
//! component and iteration). This 1-D EM needs one exponential and one
//! logarithm per sample and iteration, never fails on outliers, and returns
//! non-converged fits flagged.
//!
//! Sums run over fixed chunks of [`CHUNK`] samples that are added in order,
//! so the parallel fit (feature `rayon`) equals the serial one bit for bit.

use rand::Rng;
use sar_core::Raster;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SnowError};

/// Samples per chunk of the chunked (and, with `rayon`, parallel) sums.
pub const CHUNK: usize = 8192;

/// Minimum number of valid samples for a fit ([`SnowError::TooFewSamples`] below).
///
/// Two Gaussians have five free parameters; a few hundred samples are needed
/// before the variances of a minority component (say 10 % of the sample)
/// are estimated to better than ~20 %.
pub const MIN_SAMPLES: usize = 500;

/// How EM starts.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum GmmInit {
    /// Hard labels from 1-D k-means (scikit-learn's default `init_params="kmeans"`).
    #[default]
    KMeans,
    /// Given initial weights, means (dB) and variances (dB²).
    Explicit {
        /// Mixing weights (sum 1).
        weights: [f64; 2],
        /// Means (dB).
        means: [f64; 2],
        /// Variances (dB²).
        variances: [f64; 2],
    },
}

/// Parameters of the mixture fit. Defaults follow thesis sect. 3.3.2.
#[derive(Debug, Clone, PartialEq)]
pub struct GmmParams {
    max_iter: usize,
    tol: f64,
    reg_covar: f64,
    n_samples: usize,
    min_samples: usize,
    sample_range_db: Option<(f64, f64)>,
    init: GmmInit,
}

impl Default for GmmParams {
    fn default() -> Self {
        GmmParams {
            max_iter: 100,
            tol: 1e-3,
            reg_covar: 1e-6,
            n_samples: 1_000_000,
            min_samples: MIN_SAMPLES,
            sample_range_db: Some((-30.0, 30.0)),
            init: GmmInit::KMeans,
        }
    }
}

impl GmmParams {
    /// Defaults: 100 iterations, tolerance 10⁻³ (thesis), `reg_covar` 10⁻⁶
    /// (scikit-learn), 10⁶ samples, minimum [`MIN_SAMPLES`], range ±30 dB, k-means init.
    pub fn new() -> Self {
        Self::default()
    }
    /// Maximum number of EM iterations (≥ 1).
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }
    /// Convergence tolerance on the change of the mean log-likelihood (> 0).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Added to every variance (dB², ≥ 0), as scikit-learn's `reg_covar`.
    pub fn reg_covar(mut self, r: f64) -> Self {
        self.reg_covar = r;
        self
    }
    /// Number of pixels drawn by [`sample_pixels`] callers (thesis: 10⁶).
    pub fn n_samples(mut self, n: usize) -> Self {
        self.n_samples = n;
        self
    }
    /// Minimum number of valid samples (≥ 10).
    pub fn min_samples(mut self, n: usize) -> Self {
        self.min_samples = n;
        self
    }
    /// Samples outside `[lo, hi]` dB are dropped before the fit; `None` keeps all finite samples.
    pub fn sample_range_db(mut self, range: Option<(f64, f64)>) -> Self {
        self.sample_range_db = range;
        self
    }
    /// Initialisation.
    pub fn init(mut self, init: GmmInit) -> Self {
        self.init = init;
        self
    }
    /// The configured number of samples.
    pub fn get_n_samples(&self) -> usize {
        self.n_samples
    }

    /// Validate.
    pub fn check(&self) -> Result<()> {
        let bad = |name, reason: String| Err(SnowError::InvalidParameter { name, reason });
        if self.max_iter == 0 {
            return bad("max_iter", "must be at least 1".into());
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return bad("tol", format!("must be > 0, got {}", self.tol));
        }
        if !(self.reg_covar >= 0.0 && self.reg_covar.is_finite()) {
            return bad("reg_covar", format!("must be ≥ 0, got {}", self.reg_covar));
        }
        if self.min_samples < 10 {
            return bad(
                "min_samples",
                format!("must be ≥ 10, got {}", self.min_samples),
            );
        }
        if self.n_samples < self.min_samples {
            return bad(
                "n_samples",
                format!(
                    "{} is below min_samples {}",
                    self.n_samples, self.min_samples
                ),
            );
        }
        if let Some((lo, hi)) = self.sample_range_db {
            if lo.is_nan() || hi.is_nan() || lo >= hi {
                return bad("sample_range_db", format!("need lo < hi, got ({lo}, {hi})"));
            }
        }
        if let GmmInit::Explicit {
            weights,
            means,
            variances,
        } = self.init
        {
            let ok = weights.iter().all(|w| *w > 0.0 && w.is_finite())
                && means.iter().all(|m| m.is_finite())
                && variances.iter().all(|v| *v > 0.0 && v.is_finite());
            if !ok {
                return bad(
                    "init",
                    "explicit weights and variances must be > 0 and all values finite".into(),
                );
            }
        }
        Ok(())
    }
}

/// A fitted two-component mixture, components sorted by mean: component 0
/// (lower mean) is the wet-snow cluster (i = 1 in eq. 3.4), component 1 the
/// no-snow / dry-snow cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gmm1d {
    /// Mixing weights π (sum 1).
    pub weights: [f64; 2],
    /// Means μ (dB).
    pub means: [f64; 2],
    /// Variances σ² (dB²). Standard deviations are their square roots.
    pub variances: [f64; 2],
    /// EM iterations run.
    pub n_iter: usize,
    /// True if the mean log-likelihood changed by less than `tol` before `max_iter`.
    pub converged: bool,
    /// Mean log-likelihood per sample of the last E-step (scikit-learn's `lower_bound_`).
    pub lower_bound: f64,
    /// Number of samples used in the fit (after the range filter).
    pub n_samples: usize,
}

impl Gmm1d {
    /// Standard deviations σ (dB).
    pub fn std_devs(&self) -> [f64; 2] {
        [self.variances[0].sqrt(), self.variances[1].sqrt()]
    }

    /// Mixture density `P(x)` of eq. 3.4 at `x` dB.
    pub fn pdf(&self, x: f64) -> f64 {
        (0..2)
            .map(|k| {
                let v = self.variances[k];
                self.weights[k] * (-(x - self.means[k]).powi(2) / (2.0 * v)).exp()
                    / (2.0 * std::f64::consts::PI * v).sqrt()
            })
            .sum()
    }
}

/// Draw up to `n` finite values from the pixels of `rasters` uniformly at
/// random without replacement (all finite values if there are fewer),
/// returned in raster order. `rng` is seeded by the caller.
pub fn sample_pixels<R: Rng + ?Sized>(rasters: &[&Raster<f64>], n: usize, rng: &mut R) -> Vec<f64> {
    let total: usize = rasters.iter().map(|r| r.valid_count()).sum();
    let all = rasters
        .iter()
        .flat_map(|r| r.data.iter().copied())
        .filter(|v| v.is_finite());
    if total <= n {
        return all.collect();
    }
    let mut idx = rand::seq::index::sample(rng, total, n).into_vec();
    idx.sort_unstable();
    let mut out = Vec::with_capacity(n);
    let mut next = idx.iter().peekable();
    for (i, v) in all.enumerate() {
        match next.peek() {
            Some(&&j) if j == i => {
                out.push(v);
                next.next();
            }
            Some(_) => {}
            None => break,
        }
    }
    out
}

/// Partial sums of one chunk in one EM iteration.
#[derive(Debug, Clone, Copy, Default)]
struct Partial {
    loglik: f64,
    nk: [f64; 2],
    sx: [f64; 2],
    sxx: [f64; 2],
}

impl Partial {
    fn add(mut self, o: Partial) -> Partial {
        self.loglik += o.loglik;
        for k in 0..2 {
            self.nk[k] += o.nk[k];
            self.sx[k] += o.sx[k];
            self.sxx[k] += o.sxx[k];
        }
        self
    }
}

/// E-step of one chunk plus the M-step sums, centred on the current means
/// `c` (so that `Σ r (x − c)²` has no cancellation).
fn chunk_step(xs: &[f64], logw: [f64; 2], means: [f64; 2], prec: [f64; 2]) -> Partial {
    const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;
    let lconst = [
        logw[0] - HALF_LN_2PI + 0.5 * prec[0].ln(),
        logw[1] - HALF_LN_2PI + 0.5 * prec[1].ln(),
    ];
    let mut p = Partial::default();
    for &x in xs {
        let d0 = x - means[0];
        let d1 = x - means[1];
        let a = lconst[0] - 0.5 * d0 * d0 * prec[0];
        let b = lconst[1] - 0.5 * d1 * d1 * prec[1];
        // log-sum-exp with one exponential: e = e^{lo − hi} ≤ 1,
        // responsibilities 1 / (1 + e) and e / (1 + e).
        let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
        let e = (lo - hi).exp();
        let lse = hi + e.ln_1p();
        let inv = 1.0 / (1.0 + e);
        let (r0, r1) = if a >= b {
            (inv, e * inv)
        } else {
            (e * inv, inv)
        };
        p.loglik += lse;
        p.nk[0] += r0;
        p.nk[1] += r1;
        p.sx[0] += r0 * d0;
        p.sx[1] += r1 * d1;
        p.sxx[0] += r0 * d0 * d0;
        p.sxx[1] += r1 * d1 * d1;
    }
    p
}

fn em_sums(xs: &[f64], logw: [f64; 2], means: [f64; 2], prec: [f64; 2]) -> Partial {
    #[cfg(feature = "rayon")]
    let parts: Vec<Partial> = {
        use rayon::prelude::*;
        xs.par_chunks(CHUNK)
            .map(|c| chunk_step(c, logw, means, prec))
            .collect()
    };
    #[cfg(not(feature = "rayon"))]
    let parts: Vec<Partial> = xs
        .chunks(CHUNK)
        .map(|c| chunk_step(c, logw, means, prec))
        .collect();
    parts.into_iter().fold(Partial::default(), Partial::add)
}

/// 1-D two-means by Lloyd's iterations from the 25th/75th percentiles;
/// returns the split value (labels: `x <= split` → 0).
///
/// The samples are sorted once; with prefix sums each Lloyd iteration is a
/// binary search, and the iterations stop when the labels no longer change.
fn kmeans_split(xs: &[f64]) -> Result<f64> {
    let mut s = xs.to_vec();
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        s.par_sort_unstable_by(f64::total_cmp);
    }
    #[cfg(not(feature = "rayon"))]
    s.sort_unstable_by(f64::total_cmp);
    let n = s.len();
    let (Some(&lo), Some(&hi)) = (s.first(), s.last()) else {
        return Err(SnowError::TooFewSamples { found: 0, min: 1 });
    };
    if lo == hi {
        return Err(SnowError::Degenerate(format!(
            "every sample equals {lo} dB; two components cannot be fitted"
        )));
    }
    let quantile = |q: f64| {
        let rank = q * (n - 1) as f64;
        let i = rank.floor() as usize;
        let f = rank - i as f64;
        if i + 1 < n {
            s[i] + f * (s[i + 1] - s[i])
        } else {
            s[i]
        }
    };
    let (mut c0, mut c1) = (quantile(0.25), quantile(0.75));
    if c0 == c1 {
        c0 = lo;
        c1 = hi;
    }
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    let mut acc = 0.0;
    for &x in &s {
        acc += x;
        prefix.push(acc);
    }
    let mut split = 0.5 * (c0 + c1);
    let mut idx = s.partition_point(|&x| x <= split);
    for _ in 0..300 {
        if idx == 0 || idx == n {
            break;
        }
        c0 = prefix[idx] / idx as f64;
        c1 = (prefix[n] - prefix[idx]) / (n - idx) as f64;
        split = 0.5 * (c0 + c1);
        let new_idx = s.partition_point(|&x| x <= split);
        if new_idx == idx {
            break;
        }
        idx = new_idx;
    }
    Ok(split)
}

/// Weights, means and variances of the hard k-means labels, as
/// scikit-learn's `_estimate_gaussian_parameters` on one-hot responsibilities.
fn init_from_split(xs: &[f64], split: f64, reg_covar: f64) -> ([f64; 2], [f64; 2], [f64; 2]) {
    let eps10 = 10.0 * f64::EPSILON;
    let mut n = [0.0f64; 2];
    let mut s = [0.0f64; 2];
    for &x in xs {
        let k = usize::from(x > split);
        n[k] += 1.0;
        s[k] += x;
    }
    let nk = [n[0] + eps10, n[1] + eps10];
    let means = [s[0] / nk[0], s[1] / nk[1]];
    let mut ss = [0.0f64; 2];
    for &x in xs {
        let k = usize::from(x > split);
        ss[k] += (x - means[k]).powi(2);
    }
    let variances = [ss[0] / nk[0] + reg_covar, ss[1] / nk[1] + reg_covar];
    let tot = xs.len() as f64;
    ([nk[0] / tot, nk[1] / tot], means, variances)
}

/// Fit the two-component mixture to `samples` (dB; NaN and values outside
/// the sample range are ignored). Components come back sorted by mean.
///
/// Errors: invalid parameters, [`SnowError::TooFewSamples`] below
/// `min_samples` valid values, [`SnowError::Degenerate`] if all samples are
/// equal or the likelihood becomes non-finite.
pub fn fit_gmm(samples: &[f64], params: &GmmParams) -> Result<Gmm1d> {
    params.check()?;
    let xs: Vec<f64> = samples
        .iter()
        .copied()
        .filter(|v| match params.sample_range_db {
            Some((lo, hi)) => *v >= lo && *v <= hi,
            None => v.is_finite(),
        })
        .collect();
    if xs.len() < params.min_samples {
        return Err(SnowError::TooFewSamples {
            found: xs.len(),
            min: params.min_samples,
        });
    }
    let (mut weights, mut means, mut variances) = match params.init {
        GmmInit::KMeans => {
            let split = kmeans_split(&xs)?;
            init_from_split(&xs, split, params.reg_covar)
        }
        GmmInit::Explicit {
            weights,
            means,
            variances,
        } => (weights, means, variances),
    };
    let n = xs.len() as f64;
    let eps10 = 10.0 * f64::EPSILON;
    let mut lower_bound = f64::NEG_INFINITY;
    let mut converged = false;
    let mut n_iter = 0;
    for it in 1..=params.max_iter {
        n_iter = it;
        let prev = lower_bound;
        let logw = [weights[0].ln(), weights[1].ln()];
        let prec = [1.0 / variances[0], 1.0 / variances[1]];
        let p = em_sums(&xs, logw, means, prec);
        lower_bound = p.loglik / n;
        if !lower_bound.is_finite() {
            return Err(SnowError::Degenerate(format!(
                "mean log-likelihood became {lower_bound} at iteration {it}"
            )));
        }
        let nk = [p.nk[0] + eps10, p.nk[1] + eps10];
        let mut new_means = [0.0; 2];
        for k in 0..2 {
            let shift = p.sx[k] / nk[k];
            new_means[k] = means[k] + shift;
            // Σ r (x − μ_new)² = Σ r (x − c)² − 2·shift·Σ r (x − c) + shift²·n_k
            let ss = p.sxx[k] - 2.0 * shift * p.sx[k] + shift * shift * nk[k];
            variances[k] = ss.max(0.0) / nk[k] + params.reg_covar;
        }
        means = new_means;
        let tot = nk[0] + nk[1];
        weights = [nk[0] / tot, nk[1] / tot];
        if (lower_bound - prev).abs() < params.tol {
            converged = true;
            break;
        }
    }
    if !(variances.iter().all(|v| v.is_finite() && *v > 0.0) && means.iter().all(|m| m.is_finite()))
    {
        return Err(SnowError::Degenerate(format!(
            "non-finite parameters after EM: means {means:?}, variances {variances:?}"
        )));
    }
    let order = if means[0] <= means[1] { [0, 1] } else { [1, 0] };
    Ok(Gmm1d {
        weights: order.map(|k| weights[k]),
        means: order.map(|k| means[k]),
        variances: order.map(|k| variances[k]),
        n_iter,
        converged,
        lower_bound,
        n_samples: xs.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn mixture(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let a = Normal::new(-6.0, 1.5).unwrap();
        let b = Normal::new(0.0, 1.0).unwrap();
        (0..n)
            .map(|i| {
                if i % 10 < 3 {
                    a.sample(&mut rng)
                } else {
                    b.sample(&mut rng)
                }
            })
            .collect()
    }

    #[test]
    fn recovers_generated_mixture() {
        let xs = mixture(200_000, 1);
        let g = fit_gmm(&xs, &GmmParams::new().tol(1e-8).max_iter(1000)).unwrap();
        assert!(g.converged);
        // Sampling error of 200 000 draws: ~0.01 on means, ~0.02 on variances.
        assert!((g.weights[0] - 0.3).abs() < 0.01, "{g:?}");
        assert!((g.means[0] + 6.0).abs() < 0.03, "{g:?}");
        assert!((g.means[1] - 0.0).abs() < 0.02, "{g:?}");
        assert!((g.variances[0] - 2.25).abs() < 0.06, "{g:?}");
        assert!((g.variances[1] - 1.0).abs() < 0.03, "{g:?}");
    }

    #[test]
    fn kmeans_split_between_modes() {
        let xs = mixture(20_000, 2);
        let s = kmeans_split(&xs).unwrap();
        assert!(s > -4.5 && s < -1.5, "split {s}");
    }

    #[test]
    fn errors_on_bad_samples() {
        assert!(matches!(
            fit_gmm(&[1.0; 100], &GmmParams::new()),
            Err(SnowError::TooFewSamples {
                found: 100,
                min: 500
            })
        ));
        assert!(matches!(
            fit_gmm(&[1.0; 1000], &GmmParams::new()),
            Err(SnowError::Degenerate(_))
        ));
        let mut xs = mixture(1000, 3);
        xs.extend([f64::NAN; 5000]);
        assert!(fit_gmm(&xs, &GmmParams::new()).is_ok());
        assert!(matches!(
            fit_gmm(&xs, &GmmParams::new().tol(0.0)),
            Err(SnowError::InvalidParameter { name: "tol", .. })
        ));
    }

    #[test]
    fn sample_without_replacement() {
        let grid = sar_core::Grid::pixel(100, 100);
        let mut data = ndarray::Array2::from_shape_fn((100, 100), |(r, c)| (r * 100 + c) as f64);
        data[[0, 0]] = f64::NAN;
        let r = Raster::new(data, grid).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let s = sample_pixels(&[&r, &r], 5000, &mut rng);
        assert_eq!(s.len(), 5000);
        assert!(s.iter().all(|v| v.is_finite()));
        let all = sample_pixels(&[&r], 20_000, &mut rng);
        assert_eq!(all.len(), 9999);
    }
}
