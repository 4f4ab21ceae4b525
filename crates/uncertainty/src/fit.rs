//! Weighted non-linear least-squares fit of a sum of variogram models.
//!
//! The cost is Σᵢ wᵢ (γ(hᵢ; r, c, c₀) − γ̂ᵢ)² over the lag bins with enough
//! pairs. Because γ is linear in the partial sills `c` and the nugget `c₀`
//! for fixed ranges `r`, the fit uses *variable projection*: for given
//! ranges the sills are the exact solution of a box-constrained linear
//! least-squares problem (every face of the box is tried, at most 5 linear
//! terms), and only the ranges are searched non-linearly: a log-spaced grid
//! over the range bounds picks the three best starts, each refined by
//! Nelder–Mead (argmin) in log-range.
//!
//! # Component roles
//! The components keep the order in which they are given: with
//! [`VariogramFitParams::ordered_ranges`] (default on) the ranges are
//! constrained to r₁ ≤ r₂ ≤ …, so that the default Gaussian + Spherical is
//! the thesis's short-range Gaussian plus long-range Spherical
//! (sect. 4.3.3.2) and never the other way round. A nugget
//! ([`VariogramFitParams::nugget`]) takes the variance that decorrelates
//! within the first lag bin; xdem reaches the same with a Gaussian of
//! sub-pixel range, which our range bounds (≥ half the first lag) exclude.
//!
//! # Defaults and where they come from
//! Bounds and starting values follow xdem's `fit_sum_model_variogram`:
//! ranges in `[lag₀/2, last lag]`, partial sills and nugget in
//! `[0, max_var]` with `max_var` the maximum of the moving average (window
//! ⌈n/10⌉) of γ̂. The lag that stands for a bin and the bin weights are
//! [`FitLag`] and [`FitWeighting`]; their defaults were chosen with the
//! calibration harness (`examples/calibration.rs`, see the crate docs).

use argmin::core::{
    CostFunction, Error as ArgminError, Executor, TerminationReason, TerminationStatus,
};
use argmin::solver::neldermead::NelderMead;
use sar_core::linalg::{solve_dense, Singularity};

use crate::error::{Result, UncertaintyError};
use crate::model::{ModelKind, VariogramComponent, VariogramModel};
use crate::variogram::EmpiricalVariogram;

/// Weights of the lag bins in the fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FitWeighting {
    /// All bins weigh the same.
    Uniform,
    /// Weight = pair count (the variance of γ̂ shrinks as 1/n).
    #[default]
    PairCount,
    /// Weight = n/γ̂²: relative errors, close to xdem's weighting by the
    /// spread of γ̂ between independent runs.
    Relative,
    /// Weight = 1/std_err² from [`EmpiricalVariogram::average`] (xdem's
    /// `sigma=err_exp`); bins without a finite, positive std_err are skipped.
    StdErr,
}

/// Which distance represents a lag bin in the fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FitLag {
    /// The mean distance of the pairs in the bin.
    #[default]
    MeanPairDistance,
    /// The upper bin edge (xdem's `lags`).
    UpperEdge,
}

/// Parameters of [`fit_variogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct VariogramFitParams {
    kinds: Vec<ModelKind>,
    range_bounds_m: Option<Vec<(f64, f64)>>,
    sill_bounds: Option<Vec<(f64, f64)>>,
    nugget: bool,
    ordered_ranges: bool,
    weighting: FitWeighting,
    lag: FitLag,
    min_pairs: usize,
    max_iters: u64,
}

impl Default for VariogramFitParams {
    /// Gaussian + Spherical (thesis sect. 4.3.3.2) with ordered ranges and a
    /// nugget, data-driven bounds (xdem), pair-count weights at the mean pair
    /// distance (chosen by the calibration harness, see the crate docs),
    /// bins with ≥ 30 pairs, 400 Nelder–Mead iterations.
    fn default() -> Self {
        VariogramFitParams {
            kinds: vec![ModelKind::Gaussian, ModelKind::Spherical],
            range_bounds_m: None,
            sill_bounds: None,
            nugget: true,
            ordered_ranges: true,
            weighting: FitWeighting::PairCount,
            lag: FitLag::MeanPairDistance,
            min_pairs: 30,
            max_iters: 400,
        }
    }
}

impl VariogramFitParams {
    /// The component kinds to sum (1 to 4), short ranges first.
    ///
    /// Default: Gaussian + Spherical (thesis sect. 4.3.3.2).
    pub fn kinds(mut self, k: Vec<ModelKind>) -> Self {
        self.kinds = k;
        self
    }
    /// Range bounds (metres) per component.
    pub fn range_bounds_m(mut self, b: Vec<(f64, f64)>) -> Self {
        self.range_bounds_m = Some(b);
        self
    }
    /// Partial-sill bounds per component.
    pub fn sill_bounds(mut self, b: Vec<(f64, f64)>) -> Self {
        self.sill_bounds = Some(b);
        self
    }
    /// Fit a nugget (uncorrelated variance) besides the components.
    pub fn nugget(mut self, yes: bool) -> Self {
        self.nugget = yes;
        self
    }
    /// Constrain the ranges to increase in the order of the components
    /// (short range first, thesis sect. 4.3.3.2).
    pub fn ordered_ranges(mut self, yes: bool) -> Self {
        self.ordered_ranges = yes;
        self
    }
    /// Bin weighting.
    pub fn weighting(mut self, w: FitWeighting) -> Self {
        self.weighting = w;
        self
    }
    /// Lag representing each bin.
    pub fn lag(mut self, l: FitLag) -> Self {
        self.lag = l;
        self
    }
    /// Minimum pairs for a bin to enter the fit.
    pub fn min_pairs(mut self, n: usize) -> Self {
        self.min_pairs = n;
        self
    }
    /// Maximum Nelder–Mead iterations per start.
    pub fn max_iters(mut self, n: u64) -> Self {
        self.max_iters = n;
        self
    }
    /// Validate.
    ///
    /// # Errors
    /// [`UncertaintyError::InvalidParameter`] for 0 or more than 4 kinds,
    /// bounds of the wrong length, empty or non-finite bounds.
    pub fn check(&self) -> Result<()> {
        let k = self.kinds.len();
        if k == 0 || k > 4 {
            return Err(UncertaintyError::param("kinds", "need 1 to 4 components"));
        }
        for (name, b) in [
            ("range_bounds_m", &self.range_bounds_m),
            ("sill_bounds", &self.sill_bounds),
        ] {
            if let Some(b) = b {
                if b.len() != k {
                    return Err(UncertaintyError::param(
                        name,
                        "need one (lo, hi) per component",
                    ));
                }
                if b.iter()
                    .any(|&(lo, hi)| !(lo.is_finite() && hi.is_finite() && lo <= hi && lo >= 0.0))
                {
                    return Err(UncertaintyError::param(name, "need finite 0 ≤ lo ≤ hi"));
                }
            }
        }
        if let Some(b) = &self.range_bounds_m {
            if b.iter().any(|&(lo, _)| lo <= 0.0) {
                return Err(UncertaintyError::param(
                    "range_bounds_m",
                    "lower range bound must be > 0",
                ));
            }
        }
        if let (true, Some(b)) = (self.ordered_ranges, &self.range_bounds_m) {
            if b.windows(2).any(|w| w[0].0 > w[1].1) {
                return Err(UncertaintyError::param(
                    "range_bounds_m",
                    "with ordered ranges, each lower bound must not exceed the next component's upper bound",
                ));
            }
        }
        if self.max_iters == 0 {
            return Err(UncertaintyError::param("max_iters", "must be ≥ 1"));
        }
        Ok(())
    }
}

/// A fitted sum model.
#[derive(Debug, Clone, PartialEq)]
pub struct VariogramFit {
    /// The fitted model.
    pub model: VariogramModel,
    /// Weighted residual sum of squares divided by the weight sum (unit² of γ).
    pub weighted_mse: f64,
    /// Number of lag bins used.
    pub bins_used: usize,
    /// Whether Nelder–Mead met its tolerance for the best start.
    pub converged: bool,
}

#[derive(Clone)]
struct Problem<'a> {
    kinds: &'a [ModelKind],
    nugget: bool,
    ordered: bool,
    h: Vec<f64>,
    y: Vec<f64>,
    w: Vec<f64>,
    rb: Vec<(f64, f64)>,
    sb: Vec<(f64, f64)>,
}

impl Problem<'_> {
    /// Box-constrained optimal sills (the nugget last, if fitted) and the
    /// weighted SSE for given ranges.
    fn sills(&self, ranges: &[f64]) -> (Vec<f64>, f64) {
        let nk = self.kinds.len();
        let k = nk + usize::from(self.nugget);
        let n = self.h.len();
        let g: Vec<Vec<f64>> = (0..k)
            .map(|c| {
                self.h
                    .iter()
                    .map(|&h| {
                        if c < nk {
                            self.kinds[c].unit_gamma(h, ranges[c])
                        } else if h > 0.0 {
                            1.0
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let sse = |s: &[f64]| -> f64 {
            (0..n)
                .map(|i| {
                    let m: f64 = (0..k).map(|c| s[c] * g[c][i]).sum();
                    self.w[i] * (m - self.y[i]).powi(2)
                })
                .sum()
        };
        let mut best = (vec![0.0; k], f64::INFINITY);
        for code in 0..3usize.pow(k as u32) {
            // state per component: 0 free, 1 at lower, 2 at upper bound
            let mut st = vec![0u8; k];
            let mut cc = code;
            for s in st.iter_mut() {
                *s = (cc % 3) as u8;
                cc /= 3;
            }
            let mut s = vec![0.0; k];
            for c in 0..k {
                s[c] = match st[c] {
                    1 => self.sb[c].0,
                    2 => self.sb[c].1,
                    _ => 0.0,
                };
            }
            let free: Vec<usize> = (0..k).filter(|&c| st[c] == 0).collect();
            if !free.is_empty() {
                let m = free.len();
                let mut a = vec![0.0; m * m];
                let mut b = vec![0.0; m];
                #[allow(clippy::needless_range_loop)] // i indexes g[c], y and w together
                for i in 0..n {
                    let fixed: f64 = (0..k).filter(|c| st[*c] != 0).map(|c| s[c] * g[c][i]).sum();
                    let r = self.y[i] - fixed;
                    for (p, &cp) in free.iter().enumerate() {
                        b[p] += self.w[i] * g[cp][i] * r;
                        for (q, &cq) in free.iter().enumerate() {
                            a[p * m + q] += self.w[i] * g[cp][i] * g[cq][i];
                        }
                    }
                }
                let Some(x) = solve_dense(a, b, Singularity::Relative(1e-12)) else {
                    continue;
                };
                let mut feasible = true;
                for (p, &c) in free.iter().enumerate() {
                    if x[p] < self.sb[c].0 - 1e-12 || x[p] > self.sb[c].1 + 1e-12 {
                        feasible = false;
                    }
                    s[c] = x[p].clamp(self.sb[c].0, self.sb[c].1);
                }
                if !feasible {
                    continue;
                }
            }
            let e = sse(&s);
            if e < best.1 {
                best = (s, e);
            }
        }
        best
    }

    /// Ranges from log-ranges: clamped to their bounds and, if ordered,
    /// raised to the previous range; leaving the box costs a penalty.
    fn ranges_from(&self, u: &[f64]) -> (Vec<f64>, f64) {
        let mut pen = 0.0;
        let mut r: Vec<f64> = u
            .iter()
            .zip(&self.rb)
            .map(|(&x, &(lo, hi))| {
                let (llo, lhi) = (lo.ln(), hi.ln());
                if x < llo {
                    pen += (llo - x).powi(2);
                } else if x > lhi {
                    pen += (x - lhi).powi(2);
                }
                x.clamp(llo, lhi)
            })
            .collect();
        if self.ordered {
            for c in 1..r.len() {
                if r[c] < r[c - 1] {
                    pen += (r[c - 1] - r[c]).powi(2);
                    r[c] = r[c - 1].min(self.rb[c].1.ln());
                }
            }
        }
        (r.into_iter().map(f64::exp).collect(), pen)
    }
}

impl CostFunction for Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, u: &Vec<f64>) -> std::result::Result<f64, ArgminError> {
        let (r, pen) = self.ranges_from(u);
        let (_, sse) = self.sills(&r);
        let wsum: f64 = self.w.iter().sum();
        Ok(sse / wsum * (1.0 + pen) + pen)
    }
}

/// Fit a sum of variogram models to an empirical variogram.
///
/// # Errors
/// Invalid parameters; [`UncertaintyError::TooFewBins`] when fewer than
/// `2K + 1` bins have `min_pairs` pairs and a finite γ̂;
/// [`UncertaintyError::Degenerate`] if every γ̂ is zero;
/// [`UncertaintyError::FitFailed`] if no start gives a finite cost.
///
/// Documented fallback: if Nelder–Mead stops at `max_iters` without meeting
/// its tolerance, the best parameters found are returned with
/// [`VariogramFit::converged`] = `false`; a start that ends worse than its
/// grid value keeps the grid value.
pub fn fit_variogram(
    emp: &EmpiricalVariogram,
    params: &VariogramFitParams,
) -> Result<VariogramFit> {
    params.check()?;
    let k = params.kinds.len();
    let mut h = Vec::new();
    let mut y = Vec::new();
    let mut w = Vec::new();
    for i in 0..emp.len() {
        let lag = match params.lag {
            FitLag::MeanPairDistance => emp.mean_lag_m[i],
            FitLag::UpperEdge => emp.upper_m[i],
        };
        let se_ok = emp.std_err[i].is_finite() && emp.std_err[i] > 0.0;
        if params.weighting == FitWeighting::StdErr && !se_ok {
            continue;
        }
        if emp.count[i] >= params.min_pairs.max(1) && emp.gamma[i].is_finite() && lag.is_finite() {
            h.push(lag);
            y.push(emp.gamma[i]);
            let n = emp.count[i] as f64;
            w.push(match params.weighting {
                FitWeighting::Uniform => 1.0,
                FitWeighting::PairCount => n,
                FitWeighting::Relative => n / emp.gamma[i].max(1e-12).powi(2),
                FitWeighting::StdErr => 1.0 / emp.std_err[i].powi(2),
            });
        }
    }
    let needed = 2 * k + 1 + usize::from(params.nugget);
    if h.len() < needed {
        return Err(UncertaintyError::TooFewBins {
            found: h.len(),
            min_count: params.min_pairs,
            needed,
        });
    }
    if y.iter().all(|&v| v == 0.0) {
        return Err(UncertaintyError::Degenerate(
            "the empirical variogram is zero".into(),
        ));
    }
    let navg = (y.len() as f64 / 10.0).ceil() as usize;
    let max_var = y
        .windows(navg)
        .map(|win| win.iter().sum::<f64>() / navg as f64)
        .fold(0.0f64, f64::max);
    let hmax = h.iter().fold(0.0f64, |m, &v| m.max(v));
    let hmin = h.iter().fold(f64::INFINITY, |m, &v| m.min(v));
    let rb = params
        .range_bounds_m
        .clone()
        .unwrap_or_else(|| vec![(0.5 * hmin, hmax); k]);
    let mut sb = params
        .sill_bounds
        .clone()
        .unwrap_or_else(|| vec![(0.0, max_var); k]);
    if params.nugget {
        sb.push((0.0, max_var));
    }
    let prob = Problem {
        kinds: &params.kinds,
        nugget: params.nugget,
        ordered: params.ordered_ranges,
        h,
        y,
        w,
        rb,
        sb,
    };
    // multi-start grid over log-ranges
    let ngrid: usize = match k {
        1 => 24,
        2 => 14,
        3 => 8,
        _ => 5,
    };
    let mut starts: Vec<(Vec<f64>, f64)> = Vec::new();
    for code in 0..ngrid.pow(k as u32) {
        let mut cc = code;
        let u: Vec<f64> = (0..k)
            .map(|c| {
                let g = cc % ngrid;
                cc /= ngrid;
                let (lo, hi) = (prob.rb[c].0.ln(), prob.rb[c].1.ln());
                lo + (hi - lo) * (g as f64 + 0.5) / ngrid as f64
            })
            .collect();
        if prob.ordered && u.windows(2).any(|w| w[1] < w[0]) {
            continue;
        }
        let cost = prob.cost(&u).unwrap_or(f64::INFINITY);
        if cost.is_finite() {
            starts.push((u, cost));
        }
    }
    starts.sort_by(|a, b| a.1.total_cmp(&b.1));
    starts.truncate(3);
    if starts.is_empty() {
        return Err(UncertaintyError::FitFailed(
            "no finite cost on the start grid".into(),
        ));
    }
    let mut best: Option<(Vec<f64>, f64, bool)> = None;
    for (u0, c0) in starts {
        let mut simplex = vec![u0.clone()];
        for c in 0..k {
            let mut v = u0.clone();
            v[c] += 0.25;
            simplex.push(v);
        }
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(1e-10)
            .map_err(|e| UncertaintyError::FitFailed(e.to_string()))?;
        let res = Executor::new(prob.clone(), solver)
            .configure(|s| s.max_iters(params.max_iters))
            .run()
            .map_err(|e| UncertaintyError::FitFailed(e.to_string()))?;
        let st = res.state();
        let converged = st.termination_status
            == TerminationStatus::Terminated(TerminationReason::SolverConverged);
        let (u, c) = match &st.best_param {
            Some(p) if st.best_cost <= c0 => (p.clone(), st.best_cost),
            _ => (u0, c0),
        };
        let better = match &best {
            None => true,
            Some(b) => c < b.1,
        };
        if better {
            best = Some((u, c, converged));
        }
    }
    let (u, _, converged) =
        best.ok_or_else(|| UncertaintyError::FitFailed("no start converged".into()))?;
    let (ranges, _) = prob.ranges_from(&u);
    let (sills, sse) = prob.sills(&ranges);
    if !sse.is_finite() || ranges.iter().chain(&sills).any(|v| !v.is_finite()) {
        return Err(UncertaintyError::FitFailed("non-finite parameters".into()));
    }
    let wsum: f64 = prob.w.iter().sum();
    let nugget = if params.nugget { sills[k] } else { 0.0 };
    let model = VariogramModel::from_parts(
        (0..k)
            .map(|c| VariogramComponent::new(params.kinds[c], ranges[c], sills[c]))
            .collect(),
        nugget,
    )
    .map_err(|_| UncertaintyError::Degenerate("all fitted partial sills are zero".into()))?;
    Ok(VariogramFit {
        model,
        weighted_mse: sse / wsum,
        bins_used: prob.h.len(),
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variogram::Estimator;

    /// An exact empirical variogram of `m` at lags 15, 30, … 3000 m.
    fn exact(m: &VariogramModel) -> EmpiricalVariogram {
        let h: Vec<f64> = (1..=200).map(|i| 15.0 * i as f64).collect();
        let n = h.len();
        EmpiricalVariogram {
            lower_m: h.iter().map(|v| v - 7.5).collect(),
            upper_m: h.iter().map(|v| v + 7.5).collect(),
            mean_lag_m: h.clone(),
            gamma: h.iter().map(|&x| m.gamma(x)).collect(),
            count: vec![1000; n],
            std_err: vec![f64::NAN; n],
            estimator: Estimator::Dowd,
        }
    }

    #[test]
    fn ordered_ranges_keep_the_short_range_first() {
        // truth: short Spherical (120 m) + long Gaussian (1500 m); the
        // default kinds are Gaussian + Spherical, and the ordered fit must
        // still give the Gaussian the shorter range
        let truth = VariogramModel::new(vec![
            VariogramComponent::new(ModelKind::Spherical, 120.0, 0.5),
            VariogramComponent::new(ModelKind::Gaussian, 1500.0, 0.5),
        ])
        .unwrap();
        let emp = exact(&truth);
        let fit = fit_variogram(&emp, &VariogramFitParams::default()).unwrap();
        let c = fit.model.components();
        assert_eq!(c[0].kind, ModelKind::Gaussian);
        assert!(c[0].range_m <= c[1].range_m, "{c:?}");
        let free =
            fit_variogram(&emp, &VariogramFitParams::default().ordered_ranges(false)).unwrap();
        let f = free.model.components();
        // unconstrained, the Gaussian takes the long range (the case)
        assert!(f[0].range_m > f[1].range_m, "{f:?}");
        // contradictory explicit bounds are rejected
        assert!(matches!(
            VariogramFitParams::default()
                .range_bounds_m(vec![(500.0, 900.0), (10.0, 100.0)])
                .check(),
            Err(UncertaintyError::InvalidParameter {
                name: "range_bounds_m",
                ..
            })
        ));
    }

    #[test]
    fn nugget_and_components_are_recovered_from_an_exact_variogram() {
        let truth = VariogramModel::new(vec![
            VariogramComponent::new(ModelKind::Gaussian, 150.0, 0.5),
            VariogramComponent::new(ModelKind::Spherical, 900.0, 0.3),
        ])
        .unwrap()
        .with_nugget(0.2)
        .unwrap();
        let fit = fit_variogram(&exact(&truth), &VariogramFitParams::default()).unwrap();
        let c = fit.model.components();
        assert!((fit.model.nugget() - 0.2).abs() < 0.01, "{:?}", fit.model);
        assert!((c[0].range_m / 150.0 - 1.0).abs() < 0.02, "{c:?}");
        assert!((c[0].partial_sill - 0.5).abs() < 0.01, "{c:?}");
        assert!((c[1].range_m / 900.0 - 1.0).abs() < 0.02, "{c:?}");
        assert!((c[1].partial_sill - 0.3).abs() < 0.01, "{c:?}");
        // without a nugget term the fit cannot reach zero at the first lags
        let no =
            fit_variogram(&exact(&truth), &VariogramFitParams::default().nugget(false)).unwrap();
        assert_eq!(no.model.nugget(), 0.0);
        assert!(no.weighted_mse > 100.0 * fit.weighted_mse.max(1e-12));
    }
}
