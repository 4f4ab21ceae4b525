//! Heteroscedasticity: the dispersion of the error as a function of terrain
//! (thesis eqs. 4.9 and 4.17).
//!
//! The NMAD of stable-terrain dh/dt in 1° slope bins grows with slope. Two
//! models of that dependence are offered:
//!
//! * [`ExponentialDispersion`]: the thesis's curve
//!   σ(α) = a·e^{bα} + c (eq. 4.17 found σ = 0.018·e^{0.066α} + 0.074 m/yr),
//!   fitted to the binned NMAD by weighted least squares. For fixed `b` the
//!   model is linear in `(a, c)`, which are solved in closed form with
//!   `a, c ≥ 0`; the remaining one-dimensional profile cost in `b` is
//!   minimised with Brent's method (argmin `BrentOpt`) after a grid search
//!   that brackets the global minimum.
//! * [`BinnedInterpolant`]: xdem's `interp_nd_binning`: the binned NMAD of
//!   bins with at least `min_count` samples, linearly interpolated between
//!   bin centres and held constant (nearest) outside them. In 1-D this is
//!   exactly xdem's interpolant; in N-D, bins with too few samples are filled
//!   from the nearest valid bin centre and the grid is interpolated
//!   multi-linearly (xdem interpolates interior holes on a Delaunay
//!   triangulation first, so N-D values can differ inside holes).
//!
//! [`HeteroscedasticityModel::sigma_raster`] gives the per-pixel σ and
//! [`standardize`] the standardised error z = dh/σ of eq. 4.9.

use argmin::core::{CostFunction, Error as ArgminError, Executor};
use argmin::solver::brent::BrentOpt;
use ndarray::{Array2, ArrayView2, Zip};

use crate::error::{Result, UncertaintyError};
use crate::stable::BinnedStatistics;

/// How the binned NMADs are weighted in the exponential fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BinWeighting {
    /// Every bin counts the same (the thesis fits the NMAD per 1° bin).
    #[default]
    Uniform,
    /// Weight √count: the NMAD's standard error shrinks as 1/√n.
    SqrtCount,
}

/// Parameters of the exponential dispersion fit σ(x) = a·e^{bx} + c.
#[derive(Debug, Clone, PartialEq)]
pub struct ExponentialFitParams {
    min_count: usize,
    weighting: BinWeighting,
    b_bounds: Option<(f64, f64)>,
    max_iters: u64,
}

impl Default for ExponentialFitParams {
    /// `min_count = 100` (xdem's default for a valid bin), uniform weights,
    /// `b` searched in ±10 / (span of the bin centres), 100 Brent iterations.
    fn default() -> Self {
        ExponentialFitParams {
            min_count: 100,
            weighting: BinWeighting::Uniform,
            b_bounds: None,
            max_iters: 100,
        }
    }
}

impl ExponentialFitParams {
    /// Minimum number of samples for a bin to enter the fit.
    pub fn min_count(mut self, n: usize) -> Self {
        self.min_count = n;
        self
    }
    /// Weighting of the bins.
    pub fn weighting(mut self, w: BinWeighting) -> Self {
        self.weighting = w;
        self
    }
    /// Search interval of the exponent `b` (1 / unit of the variable).
    pub fn b_bounds(mut self, lo: f64, hi: f64) -> Self {
        self.b_bounds = Some((lo, hi));
        self
    }
    /// Maximum Brent iterations.
    pub fn max_iters(mut self, n: u64) -> Self {
        self.max_iters = n;
        self
    }
    /// Validate.
    ///
    /// # Errors
    /// [`UncertaintyError::InvalidParameter`] for `min_count == 0`, empty or
    /// non-finite `b` bounds, `max_iters == 0`.
    pub fn check(&self) -> Result<()> {
        if self.min_count == 0 {
            return Err(UncertaintyError::param("min_count", "must be ≥ 1"));
        }
        if let Some((lo, hi)) = self.b_bounds {
            if !(lo < hi && lo.is_finite() && hi.is_finite()) {
                return Err(UncertaintyError::param("b_bounds", "need finite lo < hi"));
            }
        }
        if self.max_iters == 0 {
            return Err(UncertaintyError::param("max_iters", "must be ≥ 1"));
        }
        Ok(())
    }
}

/// The fitted dispersion curve σ(x) = a·e^{bx} + c (eq. 4.17).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExponentialDispersion {
    /// Amplitude `a ≥ 0` (unit of the value, e.g. m/yr).
    pub a: f64,
    /// Exponent `b` (1 / unit of the variable, e.g. 1/degree).
    pub b: f64,
    /// Floor `c ≥ 0` (unit of the value).
    pub c: f64,
    /// Weighted root-mean-square residual of the fit (unit of the value).
    pub rmse: f64,
    /// Number of bins used.
    pub bins_used: usize,
}

impl ExponentialDispersion {
    /// σ at `x`.
    pub fn eval(&self, x: f64) -> f64 {
        self.a * (self.b * x).exp() + self.c
    }
}

/// xdem-style interpolant of a binned statistic (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedInterpolant {
    /// Grid coordinates (bin centres) of each variable.
    pub axes: Vec<Vec<f64>>,
    /// Values on the grid, row-major (first variable slowest).
    pub values: Vec<f64>,
}

impl BinnedInterpolant {
    /// Build from the NMAD of binned statistics, keeping bins with at least
    /// `min_count` samples (xdem default 100).
    ///
    /// # Errors
    /// [`UncertaintyError::TooFewBins`] when no bin is valid.
    pub fn from_binned_nmad(b: &BinnedStatistics, min_count: usize) -> Result<Self> {
        let ok = |i: usize| b.count[i] >= min_count.max(1) && b.nmad[i].is_finite();
        let n_ok = (0..b.len()).filter(|&i| ok(i)).count();
        if n_ok == 0 {
            return Err(UncertaintyError::TooFewBins {
                found: 0,
                min_count,
                needed: 1,
            });
        }
        if b.ndim() == 1 {
            let c = b.centers(0);
            let (x, y): (Vec<f64>, Vec<f64>) = (0..b.len())
                .filter(|&i| ok(i))
                .map(|i| (c[i], b.nmad[i]))
                .unzip();
            return Ok(BinnedInterpolant {
                axes: vec![x],
                values: y,
            });
        }
        let axes: Vec<Vec<f64>> = (0..b.ndim()).map(|d| b.centers(d)).collect();
        let coords = |i: usize| -> Vec<f64> {
            b.multi_index(i)
                .iter()
                .enumerate()
                .map(|(d, &k)| axes[d][k])
                .collect()
        };
        let valid: Vec<(Vec<f64>, f64)> = (0..b.len())
            .filter(|&i| ok(i))
            .map(|i| (coords(i), b.nmad[i]))
            .collect();
        let values = (0..b.len())
            .map(|i| {
                if ok(i) {
                    return b.nmad[i];
                }
                let p = coords(i);
                valid
                    .iter()
                    .map(|(q, v)| {
                        let d2: f64 = p.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum();
                        (d2, *v)
                    })
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|x| x.1)
                    .unwrap_or(f64::NAN)
            })
            .collect();
        Ok(BinnedInterpolant { axes, values })
    }

    /// Interpolated value at `x` (one coordinate per variable); NaN if any
    /// coordinate is not finite.
    ///
    /// # Panics
    /// If `x.len()` differs from the number of variables.
    #[track_caller]
    pub fn eval(&self, x: &[f64]) -> f64 {
        assert_eq!(x.len(), self.axes.len(), "one coordinate per variable");
        if x.iter().any(|v| !v.is_finite()) {
            return f64::NAN;
        }
        // per dimension: lower index and weight of the upper neighbour
        let mut lo = Vec::with_capacity(x.len());
        for (ax, &v) in self.axes.iter().zip(x) {
            let n = ax.len();
            if n == 1 || v <= ax[0] {
                lo.push((0usize, 0.0));
            } else if v >= ax[n - 1] {
                lo.push((n - 2, 1.0));
            } else {
                let i = ax.partition_point(|&a| a <= v) - 1;
                lo.push((i, (v - ax[i]) / (ax[i + 1] - ax[i])));
            }
        }
        let d = x.len();
        let mut acc = 0.0;
        for corner in 0..(1usize << d) {
            let mut w = 1.0;
            let mut flat = 0usize;
            for (k, (ax, &(i, t))) in self.axes.iter().zip(&lo).enumerate() {
                let up = (corner >> k) & 1 == 1;
                let n = ax.len();
                let idx = if up { (i + 1).min(n - 1) } else { i };
                w *= if up { t } else { 1.0 - t };
                flat = flat * n + idx;
            }
            if w != 0.0 {
                acc += w * self.values[flat];
            }
        }
        acc
    }
}

/// A model of the error dispersion σ as a function of explanatory variables.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HeteroscedasticityModel {
    /// σ(x₀) = a·e^{b·x₀} + c of the first explanatory variable (eq. 4.17).
    Exponential(ExponentialDispersion),
    /// Interpolated binned NMAD (xdem).
    Interpolant(BinnedInterpolant),
}

impl HeteroscedasticityModel {
    /// Fit the exponential curve to the NMAD of 1-D binned statistics.
    ///
    /// # Errors
    /// Invalid parameters; [`UncertaintyError::TooFewBins`] with fewer than 4
    /// bins of `min_count` samples; [`UncertaintyError::FitFailed`] if the fit
    /// gives non-finite parameters.
    pub fn fit_exponential(b: &BinnedStatistics, params: &ExponentialFitParams) -> Result<Self> {
        fit_exponential(b, params).map(HeteroscedasticityModel::Exponential)
    }

    /// The xdem-style interpolant of the binned NMAD.
    ///
    /// # Errors
    /// See [`BinnedInterpolant::from_binned_nmad`].
    pub fn interpolant(b: &BinnedStatistics, min_count: usize) -> Result<Self> {
        BinnedInterpolant::from_binned_nmad(b, min_count).map(HeteroscedasticityModel::Interpolant)
    }

    /// Number of explanatory variables the model needs (1 for the exponential).
    pub fn ndim(&self) -> usize {
        match self {
            HeteroscedasticityModel::Exponential(_) => 1,
            HeteroscedasticityModel::Interpolant(i) => i.axes.len(),
        }
    }

    /// σ at one point of the explanatory variables (NaN if any is NaN).
    ///
    /// # Panics
    /// If `x.len() != self.ndim()`.
    #[track_caller]
    pub fn sigma(&self, x: &[f64]) -> f64 {
        assert_eq!(x.len(), self.ndim(), "one value per explanatory variable");
        match self {
            HeteroscedasticityModel::Exponential(e) => e.eval(x[0]),
            HeteroscedasticityModel::Interpolant(i) => i.eval(x),
        }
    }

    /// The per-pixel σ raster (NaN where an explanatory variable is NaN).
    ///
    /// # Errors
    /// Wrong number or shapes of explanatory rasters.
    pub fn sigma_raster(&self, explanatory: &[ArrayView2<'_, f64>]) -> Result<Array2<f64>> {
        if explanatory.len() != self.ndim() {
            return Err(UncertaintyError::LengthMismatch {
                what: "explanatory rasters",
                expected: self.ndim(),
                found: explanatory.len(),
            });
        }
        let dim = explanatory[0].dim();
        for e in explanatory {
            if e.dim() != dim {
                return Err(sar_core::SarError::ShapeMismatch {
                    what: "explanatory raster".into(),
                    expected: dim,
                    found: e.dim(),
                }
                .into());
            }
        }
        let mut x = vec![0.0; explanatory.len()];
        Ok(Array2::from_shape_fn(dim, |ij| {
            for (k, e) in explanatory.iter().enumerate() {
                x[k] = e[ij];
            }
            self.sigma(&x)
        }))
    }

    /// The model with σ multiplied by `factor` (the second step of xdem's
    /// two-step standardisation: σ ← σ·NMAD(z) over stable terrain).
    pub fn scaled(&self, factor: f64) -> Self {
        match self {
            HeteroscedasticityModel::Exponential(e) => {
                HeteroscedasticityModel::Exponential(ExponentialDispersion {
                    a: e.a * factor,
                    c: e.c * factor,
                    rmse: e.rmse * factor,
                    ..*e
                })
            }
            HeteroscedasticityModel::Interpolant(i) => {
                HeteroscedasticityModel::Interpolant(BinnedInterpolant {
                    axes: i.axes.clone(),
                    values: i.values.iter().map(|v| v * factor).collect(),
                })
            }
        }
    }
}

/// The standardised error z = dh/σ (eq. 4.9); NaN where either is NaN or σ ≤ 0.
///
/// # Errors
/// Shape mismatch.
pub fn standardize(dh: ArrayView2<'_, f64>, sigma: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
    if dh.dim() != sigma.dim() {
        return Err(sar_core::SarError::ShapeMismatch {
            what: "sigma raster".into(),
            expected: dh.dim(),
            found: sigma.dim(),
        }
        .into());
    }
    Ok(Zip::from(&dh)
        .and(&sigma)
        .map_collect(|&d, &s| if s > 0.0 { d / s } else { f64::NAN }))
}

/// The second step of xdem's two-step standardisation: the NMAD of the
/// standardised error z over stable terrain after discarding outliers with
/// |z| > `fac_spread_outliers`·NMAD(z) (xdem default 7; `None` keeps all).
/// Multiply σ by this factor ([`HeteroscedasticityModel::scaled`]) and
/// divide z by it so that the stable-terrain NMAD of z is exactly 1.
///
/// # Errors
/// Shape mismatch, [`UncertaintyError::NoValidSamples`],
/// [`UncertaintyError::Degenerate`] if the NMAD is zero.
pub fn two_step_factor(
    z: ArrayView2<'_, f64>,
    stable: Option<ArrayView2<'_, bool>>,
    fac_spread_outliers: Option<f64>,
) -> Result<f64> {
    let first = crate::stable::stable_statistics(z, stable)?;
    let Some(fac) = fac_spread_outliers else {
        return Ok(first.nmad);
    };
    let lim = fac * first.nmad;
    let kept: Vec<f64> = match stable {
        Some(m) => z
            .iter()
            .zip(m.iter())
            .filter(|(v, &s)| s && v.is_finite() && v.abs() <= lim)
            .map(|(v, _)| *v)
            .collect(),
        None => z
            .iter()
            .copied()
            .filter(|v| v.is_finite() && v.abs() <= lim)
            .collect(),
    };
    let nm = sar_core::stats::nmad(kept)
        .ok_or_else(|| UncertaintyError::NoValidSamples("no standardised value left".into()))?;
    if nm <= 0.0 {
        return Err(UncertaintyError::Degenerate("NMAD of z is zero".into()));
    }
    Ok(nm)
}

struct Profile {
    x: Vec<f64>,
    y: Vec<f64>,
    w: Vec<f64>,
}

impl Profile {
    /// Best non-negative (a, c) for a given b and the weighted SSE.
    fn solve(&self, b: f64) -> (f64, f64, f64) {
        let e: Vec<f64> = self.x.iter().map(|&x| (b * x).exp()).collect();
        let (mut see, mut se, mut s1, mut sey, mut sy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for ((&ei, &w), &yi) in e.iter().zip(&self.w).zip(&self.y) {
            see += w * ei * ei;
            se += w * ei;
            s1 += w;
            sey += w * ei * yi;
            sy += w * yi;
        }
        let sse = |a: f64, c: f64| -> f64 {
            (0..self.x.len())
                .map(|i| self.w[i] * (a * e[i] + c - self.y[i]).powi(2))
                .sum()
        };
        let det = see * s1 - se * se;
        let mut cands = Vec::with_capacity(3);
        if det.abs() > 1e-12 * see * s1 {
            let a = (sey * s1 - se * sy) / det;
            let c = (see * sy - se * sey) / det;
            if a >= 0.0 && c >= 0.0 {
                cands.push((a, c));
            }
        }
        // boundary solutions
        cands.push(((sey / see).max(0.0), 0.0));
        cands.push((0.0, (sy / s1).max(0.0)));
        cands
            .into_iter()
            .map(|(a, c)| (a, c, sse(a, c)))
            .min_by(|p, q| p.2.total_cmp(&q.2))
            .unwrap_or((0.0, 0.0, f64::INFINITY))
    }
}

impl CostFunction for Profile {
    type Param = f64;
    type Output = f64;
    fn cost(&self, b: &f64) -> std::result::Result<f64, ArgminError> {
        Ok(self.solve(*b).2)
    }
}

fn fit_exponential(
    b: &BinnedStatistics,
    params: &ExponentialFitParams,
) -> Result<ExponentialDispersion> {
    params.check()?;
    if b.ndim() != 1 {
        return Err(UncertaintyError::param(
            "binned",
            "the exponential fit needs 1-D binned statistics",
        ));
    }
    let c = b.centers(0);
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut w = Vec::new();
    for (i, &ci) in c.iter().enumerate() {
        if b.count[i] >= params.min_count && b.nmad[i].is_finite() {
            x.push(ci);
            y.push(b.nmad[i]);
            w.push(match params.weighting {
                BinWeighting::Uniform => 1.0,
                BinWeighting::SqrtCount => (b.count[i] as f64).sqrt(),
            });
        }
    }
    if x.len() < 4 {
        return Err(UncertaintyError::TooFewBins {
            found: x.len(),
            min_count: params.min_count,
            needed: 4,
        });
    }
    let span = x.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v))
        - x.iter().fold(f64::INFINITY, |m, &v| m.min(v));
    let (lo, hi) = params.b_bounds.unwrap_or((-10.0 / span, 10.0 / span));
    let profile = Profile { x, y, w };
    // grid search to bracket the global minimum, then Brent in the bracket
    let ngrid = 201;
    let grid: Vec<f64> = (0..ngrid)
        .map(|i| lo + (hi - lo) * i as f64 / (ngrid - 1) as f64)
        .collect();
    let costs: Vec<f64> = grid.iter().map(|&g| profile.solve(g).2).collect();
    let k = (0..ngrid)
        .min_by(|&i, &j| costs[i].total_cmp(&costs[j]))
        .unwrap_or(0);
    let (blo, bhi) = (grid[k.saturating_sub(1)], grid[(k + 1).min(ngrid - 1)]);
    let solver = BrentOpt::new(blo, bhi).set_tolerance(f64::EPSILON.sqrt(), 1e-12 * (hi - lo));
    let res = Executor::new(profile, solver)
        .configure(|s| s.max_iters(params.max_iters))
        .run()
        .map_err(|e| UncertaintyError::FitFailed(e.to_string()))?;
    let mut bbest = res.state().best_param.unwrap_or(grid[k]);
    let profile =
        res.problem.problem.as_ref().ok_or_else(|| {
            UncertaintyError::FitFailed("argmin did not return the problem".into())
        })?;
    if profile.solve(bbest).2 > costs[k] {
        bbest = grid[k];
    }
    let (a, cc, sse) = profile.solve(bbest);
    let wsum: f64 = profile.w.iter().sum();
    if !(a.is_finite() && cc.is_finite() && bbest.is_finite() && sse.is_finite()) {
        return Err(UncertaintyError::FitFailed(format!(
            "non-finite parameters a={a}, b={bbest}, c={cc}"
        )));
    }
    Ok(ExponentialDispersion {
        a,
        b: bbest,
        c: cc,
        rmse: (sse / wsum).sqrt(),
        bins_used: profile.x.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binned_from(x: &[f64], y: &[f64]) -> BinnedStatistics {
        let mut edges: Vec<f64> = x.iter().map(|v| v - 0.5).collect();
        edges.push(x[x.len() - 1] + 0.5);
        BinnedStatistics {
            edges: vec![edges],
            shape: vec![x.len()],
            count: vec![1000; x.len()],
            median: vec![0.0; x.len()],
            nmad: y.to_vec(),
        }
    }

    #[test]
    fn exponential_fit_recovers_thesis_curve_exactly() {
        // noise-free σ = 0.018·e^{0.066α} + 0.074 (eq. 4.17) on 1° bins
        let x: Vec<f64> = (0..60).map(|i| i as f64 + 0.5).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|a| 0.018 * (0.066 * a).exp() + 0.074)
            .collect();
        let m = fit_exponential(&binned_from(&x, &y), &ExponentialFitParams::default()).unwrap();
        assert!((m.a - 0.018).abs() < 1e-6, "{m:?}");
        assert!((m.b - 0.066).abs() < 1e-6, "{m:?}");
        assert!((m.c - 0.074).abs() < 1e-6, "{m:?}");
    }

    #[test]
    fn interpolant_is_piecewise_linear_with_constant_ends() {
        let b = BinnedStatistics {
            edges: vec![vec![0.0, 1.0, 2.0, 3.0]],
            shape: vec![3],
            count: vec![200, 5, 200],
            median: vec![0.0; 3],
            nmad: vec![1.0, 100.0, 3.0],
        };
        let m = HeteroscedasticityModel::interpolant(&b, 100).unwrap();
        // bin 1 has too few samples: interpolate 0.5 -> 1, 2.5 -> 3
        assert_eq!(m.sigma(&[1.5]), 2.0);
        assert_eq!(m.sigma(&[-4.0]), 1.0);
        assert_eq!(m.sigma(&[9.0]), 3.0);
        assert!(m.sigma(&[f64::NAN]).is_nan());
    }

    #[test]
    fn too_few_bins_is_an_error() {
        let b = binned_from(&[0.5, 1.5], &[1.0, 2.0]);
        assert!(matches!(
            fit_exponential(&b, &ExponentialFitParams::default()),
            Err(UncertaintyError::TooFewBins { found: 2, .. })
        ));
    }
}
