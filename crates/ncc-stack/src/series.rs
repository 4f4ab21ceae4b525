//! Velocity time series from many pairs: a 2-step least-squares inversion
//! per connected component of the pair graph (seed 002; Li et al. 2023).
//!
//! Offset tracking gives, for every pair (i, j) of acquisitions and every
//! template, a displacement `d_ij` (east and north, metres). With the
//! cumulative displacement `x_n` of the template at acquisition date `t_n`,
//! every pair is one observation of an SBAS-style design matrix,
//!
//! `x_j − x_i = d_ij`,
//!
//! so that the velocity of the interval between consecutive dates
//! `t_n < t_m` is `(x_m − x_n) / (t_m − t_n)`. Pairs of any interval and of
//! several sensors (e.g. Sentinel-1 and Sentinel-2) mix freely.
//!
//! The pairs link the dates into a graph. Within a **connected component**
//! the positions are determined up to one constant (the first date of the
//! component is fixed to zero), so the normal matrix is the component's
//! graph Laplacian without its first row and column — positive definite;
//! between components there is no information, and no interval velocity
//! across a gap is reported. Solving per component is what keeps the
//! inversion free of singular matrices when gross-error removal splits the
//! graph (seed 002: "after removing the gross errors, the equation can be
//! rank deficit. But after solving within connected component, there will
//! be no such problem").
//!
//! The **two steps**: a first solve on all pairs; then gross errors are
//! removed one at a time by Baarda's normalised residual
//! `w = r / (σ·sqrt(q_rr))` (`q_rr` the diagonal of the residual cofactor
//! matrix `I − A N⁻¹ Aᵀ`; pairs without redundancy, `q_rr ≈ 0`, cannot be
//! tested and are kept), the largest first while `|w| > k` (default 3),
//! re-solving after each removal; the second solve is the one after the
//! last removal, again per component of what remains. σ is the noise of
//! one displacement, estimated robustly (1.4826 × median absolute normalised
//! residual `|r|/sqrt(q_rr)` over all templates and pairs) unless given:
//! first from the first solve, whose residuals carry the gross errors
//! spread by least squares (inflated 1.5–4× with 10 % gross-error pairs),
//! then again from the pairs the removal kept, the removal repeated with
//! the new σ, until σ̂ changes by less than 1 %. The calibration harness in
//! `tests/series.rs` (seeded realisations, with and without gross errors)
//! checks σ̂/σ and the z-scores of the recovered positions.
//!
//! Optionally a per-pair constant offset (co-registration or Sentinel-2
//! detector mosaicking error, seed 002) is removed first: the median
//! displacement of the pair on stable ground, the templates whose median
//! pair speed is below a threshold (seed 002: 40 m/yr on an ice sheet).
//!
//! ```
//! use ncc_stack::series::{invert, SeriesParams};
//! use ncc_stack::Date;
//! use ndarray::Array2;
//! // four dates 10 days apart, the template moving 1, 2, 3 m/d in the three intervals
//! let dates: Vec<Date> = (0..4).map(|k| Date::from_days_since_epoch(10 * k)).collect();
//! let x = [0.0, 10.0, 30.0, 60.0]; // cumulative east displacement (m)
//! let pairs = vec![(0, 1), (1, 2), (2, 3), (0, 2), (1, 3)];
//! let east: Vec<Array2<f64>> = pairs.iter().map(|&(i, j)| Array2::from_elem((1, 1), x[j] - x[i])).collect();
//! let north: Vec<Array2<f64>> = pairs.iter().map(|_| Array2::zeros((1, 1))).collect();
//! let ev: Vec<_> = east.iter().map(|a| a.view()).collect();
//! let nv: Vec<_> = north.iter().map(|a| a.view()).collect();
//! let s = invert(&dates, &pairs, &ev, &nv, &SeriesParams::new().noise_m(Some(0.1)))?;
//! approx::assert_abs_diff_eq!(s.velocity_east_m_per_day[1][[0, 0]], 2.0, epsilon = 1e-9);
//! approx::assert_abs_diff_eq!(s.mean_velocity_east_m_per_day[[0, 0]], 2.0, epsilon = 1e-9);
//! # Ok::<(), ncc_stack::NccError>(())
//! ```
//!
//! ## References
//! * Li, G., Mao, Y., Feng, X., Chen, Z., Yang, Z. & Cheng, X. Monitoring
//!   ice flow velocity of Petermann glacier combined with Sentinel-1 and -2
//!   imagery. JAG 121, 103378 (2023) — seed 002.
//! * Berardino, P. et al. A new algorithm for surface deformation
//!   monitoring based on small baseline differential SAR interferograms.
//!   IEEE TGRS 40, 2375 (2002) — the SBAS design matrix.
//! * Baarda, W. A testing procedure for use in geodetic networks (1968) —
//!   normalised residuals (data snooping).

use ndarray::{Array2, ArrayView2};
use sar_core::Date;

use crate::error::{NccError, Result};

/// Parameters of [`invert`].
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesParams {
    noise_m: Option<f64>,
    k_sigma: f64,
    stable_speed_m_per_day: Option<f64>,
    min_stable_templates: usize,
    parallel: bool,
}

impl Default for SeriesParams {
    fn default() -> Self {
        SeriesParams {
            noise_m: None,
            k_sigma: 3.0,
            stable_speed_m_per_day: None,
            min_stable_templates: 10,
            parallel: true,
        }
    }
}

impl SeriesParams {
    /// Defaults: σ estimated from the data, removal at |w| > 3, no stable-ground correction.
    pub fn new() -> Self {
        Self::default()
    }
    /// Noise σ of one displacement (metres, per axis); `None` estimates it
    /// robustly from the first solve.
    pub fn noise_m(mut self, s: Option<f64>) -> Self {
        self.noise_m = s;
        self
    }
    /// Gross-error threshold on the normalised residual (default 3, the
    /// usual 99.7 % two-sided level of a normal variable).
    pub fn k_sigma(mut self, k: f64) -> Self {
        self.k_sigma = k;
        self
    }
    /// Remove a per-pair offset estimated on stable ground: templates whose
    /// median pair speed is below this (m/day; seed 002 uses 40 m/yr =
    /// 0.1095 m/d). `None` (default) removes nothing.
    pub fn stable_speed_m_per_day(mut self, v: Option<f64>) -> Self {
        self.stable_speed_m_per_day = v;
        self
    }
    /// Fewest stable templates for a pair's offset to be estimated (default 10).
    pub fn min_stable_templates(mut self, n: usize) -> Self {
        self.min_stable_templates = n;
        self
    }
    /// Use rayon over template rows (with the `rayon` feature; default on).
    pub fn parallel(mut self, on: bool) -> Self {
        self.parallel = on;
        self
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if let Some(s) = self.noise_m {
            if !(s > 0.0 && s.is_finite()) {
                return Err(NccError::InvalidParameter {
                    name: "noise_m",
                    reason: format!("must be positive and finite, got {s}"),
                });
            }
        }
        if !(self.k_sigma > 0.0 && self.k_sigma.is_finite()) {
            return Err(NccError::InvalidParameter {
                name: "k_sigma",
                reason: format!("must be positive and finite, got {}", self.k_sigma),
            });
        }
        if let Some(v) = self.stable_speed_m_per_day {
            if !(v > 0.0 && v.is_finite()) {
                return Err(NccError::InvalidParameter {
                    name: "stable_speed_m_per_day",
                    reason: format!("must be positive and finite, got {v}"),
                });
            }
        }
        Ok(())
    }
}

/// The result of [`invert`]; rasters on the templates' grid, NaN where no
/// estimate exists.
#[derive(Debug, Clone)]
pub struct VelocitySeries {
    /// The acquisition dates (sorted, unique): interval `k` runs from
    /// `dates[k]` to `dates[k + 1]`.
    pub dates: Vec<Date>,
    /// East velocity of every interval (m/day).
    pub velocity_east_m_per_day: Vec<Array2<f64>>,
    /// North velocity of every interval (m/day).
    pub velocity_north_m_per_day: Vec<Array2<f64>>,
    /// Mean east velocity over the covered intervals (duration-weighted, m/day).
    pub mean_velocity_east_m_per_day: Array2<f64>,
    /// Mean north velocity (m/day).
    pub mean_velocity_north_m_per_day: Array2<f64>,
    /// RMS of the final residuals of the kept pairs (metres, both axes).
    pub residual_rms_m: Array2<f64>,
    /// Pairs removed as gross errors at each template.
    pub removed_pairs: Array2<u32>,
    /// Connected components of the final pair graph at each template.
    pub components: Array2<u32>,
    /// The noise σ used (metres).
    pub noise_m: f64,
    /// Per-pair (east, north) offsets removed on stable ground (metres;
    /// zero without the correction or where too few stable templates exist).
    pub pair_offsets_m: Vec<(f64, f64)>,
}

/// One template's observations and work buffers.
struct Problem<'a> {
    n_dates: usize,
    pairs: &'a [(usize, usize)],
}

/// The least-squares solution of one template on the pairs in `keep`:
/// positions per date (NaN outside the solved components), the component
/// of every date, and per pair the residuals and the redundancy `q_rr`.
struct Solution {
    x: Vec<[f64; 2]>,
    comp: Vec<usize>,
    n_comp: usize,
    res: Vec<[f64; 2]>,
    qrr: Vec<f64>,
}

impl Problem<'_> {
    /// Components of the graph of kept pairs; `comp[n] = usize::MAX` for
    /// dates without a kept pair.
    fn components(&self, keep: &[bool]) -> (Vec<usize>, usize) {
        let mut parent: Vec<usize> = (0..self.n_dates).collect();
        fn find(p: &mut [usize], mut a: usize) -> usize {
            while p[a] != a {
                p[a] = p[p[a]];
                a = p[a];
            }
            a
        }
        let mut used = vec![false; self.n_dates];
        for (&(i, j), &k) in self.pairs.iter().zip(keep) {
            if k {
                used[i] = true;
                used[j] = true;
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        let mut label = vec![usize::MAX; self.n_dates];
        let mut comp = vec![usize::MAX; self.n_dates];
        let mut n = 0;
        for d in 0..self.n_dates {
            if !used[d] {
                continue;
            }
            let r = find(&mut parent, d);
            if label[r] == usize::MAX {
                label[r] = n;
                n += 1;
            }
            comp[d] = label[r];
        }
        (comp, n)
    }

    /// Solve per component (the first date of each fixed to 0).
    fn solve(&self, obs: &[[f64; 2]], keep: &[bool]) -> Solution {
        let (comp, n_comp) = self.components(keep);
        let nd = self.n_dates;
        let mut x = vec![[f64::NAN; 2]; nd];
        let mut qrr = vec![0.0; self.pairs.len()];
        // index of each date among the unknowns of its component (the
        // first date of a component is its reference and no unknown)
        let mut idx = vec![usize::MAX; nd];
        for c in 0..n_comp {
            let members: Vec<usize> = (0..nd).filter(|&d| comp[d] == c).collect();
            let m = members.len() - 1;
            x[members[0]] = [0.0, 0.0];
            for (u, &d) in members.iter().skip(1).enumerate() {
                idx[d] = u;
            }
            idx[members[0]] = usize::MAX;
            if m == 0 {
                continue;
            }
            // normal equations: the graph Laplacian without the reference
            let mut n = vec![0.0; m * m];
            let mut rhs = vec![[0.0; 2]; m];
            for ((&(i, j), &k), o) in self.pairs.iter().zip(keep).zip(obs) {
                if !k || comp[i] != c {
                    continue;
                }
                let (a, b) = (idx[i], idx[j]);
                if a != usize::MAX {
                    n[a * m + a] += 1.0;
                    rhs[a][0] -= o[0];
                    rhs[a][1] -= o[1];
                }
                if b != usize::MAX {
                    n[b * m + b] += 1.0;
                    rhs[b][0] += o[0];
                    rhs[b][1] += o[1];
                }
                if a != usize::MAX && b != usize::MAX {
                    n[a * m + b] -= 1.0;
                    n[b * m + a] -= 1.0;
                }
            }
            let Some(l) = cholesky(&n, m) else {
                continue; // cannot happen for a connected component
            };
            for axis in 0..2 {
                let mut v: Vec<f64> = rhs.iter().map(|r| r[axis]).collect();
                chol_solve(&l, m, &mut v);
                for (u, &d) in members.iter().skip(1).enumerate() {
                    x[d][axis] = v[u];
                }
            }
            // redundancy of each kept pair: q_rr = 1 − aᵀ N⁻¹ a
            let mut a = vec![0.0; m];
            for ((&(i, j), &k), q) in self.pairs.iter().zip(keep).zip(qrr.iter_mut()) {
                if !k || comp[i] != c {
                    continue;
                }
                a.fill(0.0);
                if idx[i] != usize::MAX {
                    a[idx[i]] = -1.0;
                }
                if idx[j] != usize::MAX {
                    a[idx[j]] = 1.0;
                }
                let mut z = a.clone();
                chol_solve(&l, m, &mut z);
                let h: f64 = a.iter().zip(&z).map(|(p, q)| p * q).sum();
                *q = (1.0 - h).max(0.0);
            }
        }
        let res = self
            .pairs
            .iter()
            .zip(obs)
            .zip(keep)
            .map(|((&(i, j), o), &k)| {
                if k {
                    [o[0] - (x[j][0] - x[i][0]), o[1] - (x[j][1] - x[i][1])]
                } else {
                    [f64::NAN; 2]
                }
            })
            .collect();
        Solution {
            x,
            comp,
            n_comp,
            res,
            qrr,
        }
    }
}

/// Cholesky factor (lower, row-major) of an SPD `m×m` matrix.
fn cholesky(a: &[f64], m: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..=i {
            let mut s = a[i * m + j];
            for k in 0..j {
                s -= l[i * m + k] * l[j * m + k];
            }
            if i == j {
                if !(s > 0.0) {
                    return None;
                }
                l[i * m + i] = s.sqrt();
            } else {
                l[i * m + j] = s / l[j * m + j];
            }
        }
    }
    Some(l)
}

/// Solve `L Lᵀ v = b` in place.
fn chol_solve(l: &[f64], m: usize, v: &mut [f64]) {
    for i in 0..m {
        let mut s = v[i];
        for k in 0..i {
            s -= l[i * m + k] * v[k];
        }
        v[i] = s / l[i * m + i];
    }
    for i in (0..m).rev() {
        let mut s = v[i];
        for k in i + 1..m {
            s -= l[k * m + i] * v[k];
        }
        v[i] = s / l[i * m + i];
    }
}

/// Redundancy below which a pair cannot be tested (it is a bridge of its component).
const MIN_QRR: f64 = 1e-6;

/// Per-template outcome.
struct Cell {
    x: Vec<[f64; 2]>,
    comp: Vec<usize>,
    n_comp: usize,
    rms: f64,
    removed: u32,
    /// |r| / sqrt(q_rr) of the kept pairs with redundancy (both axes)
    norm_residuals: Vec<f64>,
}

/// Most re-estimations of σ from the kept pairs' residuals.
const NOISE_ITERATIONS: usize = 8;

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// Invert pair displacements into a velocity time series (see the module
/// docs). `dates` are the acquisition dates (any order, unique);
/// `pairs[p] = (i, j)` indexes them (the displacement from date i to date
/// j; i's date must be earlier); `east_m[p]` and `north_m[p]` are the
/// pair's displacements in metres on one grid (NaN = no estimate).
///
/// # Errors
/// No pairs, mismatched lengths or shapes, duplicate dates, pairs that
/// index outside `dates` or do not run forward in time, invalid parameters.
pub fn invert<'a>(
    dates: &[Date],
    pairs: &[(usize, usize)],
    east_m: &[ArrayView2<'a, f64>],
    north_m: &[ArrayView2<'a, f64>],
    params: &SeriesParams,
) -> Result<VelocitySeries> {
    params.check()?;
    if pairs.is_empty() {
        return Err(NccError::InvalidParameter {
            name: "pairs",
            reason: "no pair given".into(),
        });
    }
    if east_m.len() != pairs.len() || north_m.len() != pairs.len() {
        return Err(NccError::InvalidParameter {
            name: "pairs",
            reason: format!(
                "{} pairs but {} east and {} north rasters",
                pairs.len(),
                east_m.len(),
                north_m.len()
            ),
        });
    }
    let shape = east_m[0].dim();
    for (p, (e, n)) in east_m.iter().zip(north_m).enumerate() {
        for (what, a) in [("east", e), ("north", n)] {
            if a.dim() != shape {
                return Err(sar_core::SarError::ShapeMismatch {
                    what: format!("pair {p} {what} displacement"),
                    expected: shape,
                    found: a.dim(),
                }
                .into());
            }
        }
    }
    // dates sorted, unique
    let mut order: Vec<usize> = (0..dates.len()).collect();
    order.sort_by_key(|&k| dates[k]);
    for w in order.windows(2) {
        if dates[w[0]] == dates[w[1]] {
            return Err(NccError::InvalidParameter {
                name: "dates",
                reason: format!("date {} appears twice", dates[w[0]]),
            });
        }
    }
    let mut rank = vec![0; dates.len()];
    for (r, &k) in order.iter().enumerate() {
        rank[k] = r;
    }
    let sorted: Vec<Date> = order.iter().map(|&k| dates[k]).collect();
    let mut spairs = Vec::with_capacity(pairs.len());
    for (p, &(i, j)) in pairs.iter().enumerate() {
        if i >= dates.len() || j >= dates.len() || dates[i] >= dates[j] {
            return Err(NccError::BadPair {
                pair: p,
                reason: format!(
                    "dates {i} and {j} must exist (there are {}) and run forward in time",
                    dates.len()
                ),
            });
        }
        spairs.push((rank[i], rank[j]));
    }
    let np = pairs.len();
    let nd = sorted.len();
    let (rows, cols) = shape;
    let t: Vec<f64> = sorted
        .iter()
        .map(|d| d.days_since(sorted[0]) as f64)
        .collect();
    let span = |&(i, j): &(usize, usize)| t[j] - t[i];

    // optional per-pair offset on stable ground
    let mut offsets = vec![(0.0, 0.0); np];
    if let Some(vs) = params.stable_speed_m_per_day {
        let stable = Array2::from_shape_fn(shape, |(r, c)| {
            let mut sp: Vec<f64> = (0..np)
                .filter_map(|p| {
                    let v = east_m[p][[r, c]].hypot(north_m[p][[r, c]]) / span(&spairs[p]);
                    v.is_finite().then_some(v)
                })
                .collect();
            median(&mut sp).is_some_and(|m| m < vs)
        });
        for (p, o) in offsets.iter_mut().enumerate() {
            let pick = |a: &ArrayView2<'_, f64>| -> Vec<f64> {
                ndarray::Zip::from(a)
                    .and(&stable)
                    .fold(Vec::new(), |mut v, &x, &s| {
                        if s && x.is_finite() {
                            v.push(x);
                        }
                        v
                    })
            };
            let (mut e, mut n) = (pick(&east_m[p]), pick(&north_m[p]));
            if e.len() >= params.min_stable_templates.max(1) {
                *o = (median(&mut e).unwrap_or(0.0), median(&mut n).unwrap_or(0.0));
            }
        }
    }

    let prob = Problem {
        n_dates: nd,
        pairs: &spairs,
    };
    let observe = |r: usize, c: usize, obs: &mut Vec<[f64; 2]>, keep: &mut Vec<bool>| {
        obs.clear();
        keep.clear();
        for p in 0..np {
            let o = [
                east_m[p][[r, c]] - offsets[p].0,
                north_m[p][[r, c]] - offsets[p].1,
            ];
            keep.push(o[0].is_finite() && o[1].is_finite());
            obs.push(o);
        }
    };

    // step 1: first solve everywhere; the robust noise scale from the
    // normalised residuals
    let sigma = match params.noise_m {
        Some(s) => s,
        None => {
            let per_row = map_rows(rows, params.parallel, |r| {
                let (mut obs, mut keep) = (Vec::new(), Vec::new());
                let mut w = Vec::new();
                for c in 0..cols {
                    observe(r, c, &mut obs, &mut keep);
                    let s = prob.solve(&obs, &keep);
                    for (p, &k) in keep.iter().enumerate() {
                        if k && s.qrr[p] > 0.05 {
                            let q = s.qrr[p].sqrt();
                            w.push(s.res[p][0].abs() / q);
                            w.push(s.res[p][1].abs() / q);
                        }
                    }
                }
                w
            });
            let mut all: Vec<f64> = per_row.into_iter().flatten().collect();
            match median(&mut all) {
                Some(m) if m > 0.0 => 1.4826 * m,
                _ => {
                    return Err(NccError::InvalidParameter {
                        name: "noise_m",
                        reason: "cannot estimate the noise: no pair has redundancy (add pairs that close loops, or give noise_m)".into(),
                    })
                }
            }
        }
    };

    // step 2: per template, remove gross errors one at a time by the
    // largest normalised residual, then the final solve
    let k = params.k_sigma;
    let remove_and_solve = |sigma: f64| -> Vec<Vec<Cell>> {
        map_rows(rows, params.parallel, |r| {
            let (mut obs, mut keep) = (Vec::new(), Vec::new());
            (0..cols)
                .map(|c| {
                    observe(r, c, &mut obs, &mut keep);
                    let mut removed = 0u32;
                    loop {
                        let s = prob.solve(&obs, &keep);
                        let worst = (0..np)
                            .filter(|&p| keep[p] && s.qrr[p] > MIN_QRR)
                            .map(|p| {
                                let q = sigma * s.qrr[p].sqrt();
                                (p, (s.res[p][0].abs() / q).max(s.res[p][1].abs() / q))
                            })
                            .max_by(|a, b| a.1.total_cmp(&b.1));
                        match worst {
                            Some((p, w)) if w > k => {
                                keep[p] = false;
                                removed += 1;
                            }
                            _ => {
                                let (mut ss, mut n) = (0.0, 0usize);
                                let mut norm = Vec::new();
                                for (p, &kp) in keep.iter().enumerate() {
                                    if kp {
                                        ss += s.res[p][0].powi(2) + s.res[p][1].powi(2);
                                        n += 2;
                                        if s.qrr[p] > 0.05 {
                                            let q = s.qrr[p].sqrt();
                                            norm.push(s.res[p][0].abs() / q);
                                            norm.push(s.res[p][1].abs() / q);
                                        }
                                    }
                                }
                                return Cell {
                                    x: s.x,
                                    comp: s.comp,
                                    n_comp: s.n_comp,
                                    rms: if n > 0 {
                                        (ss / n as f64).sqrt()
                                    } else {
                                        f64::NAN
                                    },
                                    removed,
                                    norm_residuals: norm,
                                };
                            }
                        }
                    }
                })
                .collect()
        })
    };
    // with σ estimated: the first solve's residuals carry the gross errors
    // spread by least squares, so that σ̂ is inflated (1.5–4× with 10 %
    // gross-error pairs); σ is re-estimated from the residuals of the pairs
    // kept by the removal, and the removal repeated, until σ̂ changes by
    // less than 1 % (at most NOISE_ITERATIONS times)
    let mut sigma = sigma;
    let mut cells = remove_and_solve(sigma);
    if params.noise_m.is_none() {
        for _ in 0..NOISE_ITERATIONS {
            let mut all: Vec<f64> = cells
                .iter()
                .flatten()
                .flat_map(|c| c.norm_residuals.iter().copied())
                .collect();
            let next = match median(&mut all) {
                Some(m) if m > 0.0 => 1.4826 * m,
                _ => break,
            };
            let converged = (next - sigma).abs() <= 0.01 * sigma;
            sigma = next;
            cells = remove_and_solve(sigma);
            if converged {
                break;
            }
        }
    }

    // interval velocities: for interval k, the component whose consecutive
    // dates a ≤ k < b span it most tightly
    let nint = nd.saturating_sub(1);
    let mut ve = vec![Array2::from_elem(shape, f64::NAN); nint];
    let mut vn = vec![Array2::from_elem(shape, f64::NAN); nint];
    let mut me = Array2::from_elem(shape, f64::NAN);
    let mut mn = Array2::from_elem(shape, f64::NAN);
    let mut rms = Array2::from_elem(shape, f64::NAN);
    let mut removed = Array2::zeros(shape);
    let mut ncomp = Array2::zeros(shape);
    for (r, row) in cells.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            rms[[r, c]] = cell.rms;
            removed[[r, c]] = cell.removed;
            ncomp[[r, c]] = u32::try_from(cell.n_comp).unwrap_or(u32::MAX);
            let (mut de, mut dn, mut dt) = (0.0, 0.0, 0.0);
            for kk in 0..nint {
                let mut best: Option<(usize, usize)> = None;
                for a in (0..=kk).rev() {
                    let ca = cell.comp[a];
                    if ca == usize::MAX {
                        continue;
                    }
                    if let Some(b) = (kk + 1..nd).find(|&b| cell.comp[b] == ca) {
                        // a must be the last date of its component before b
                        if (a + 1..b).all(|m| cell.comp[m] != ca)
                            && best.map_or(true, |(ba, bb)| b - a < bb - ba)
                        {
                            best = Some((a, b));
                        }
                    }
                }
                if let Some((a, b)) = best {
                    let d = t[b] - t[a];
                    let (ex, ny) = (cell.x[b][0] - cell.x[a][0], cell.x[b][1] - cell.x[a][1]);
                    ve[kk][[r, c]] = ex / d;
                    vn[kk][[r, c]] = ny / d;
                    let dk = t[kk + 1] - t[kk];
                    de += ex / d * dk;
                    dn += ny / d * dk;
                    dt += dk;
                }
            }
            if dt > 0.0 {
                me[[r, c]] = de / dt;
                mn[[r, c]] = dn / dt;
            }
        }
    }
    Ok(VelocitySeries {
        dates: sorted,
        velocity_east_m_per_day: ve,
        velocity_north_m_per_day: vn,
        mean_velocity_east_m_per_day: me,
        mean_velocity_north_m_per_day: mn,
        residual_rms_m: rms,
        removed_pairs: removed,
        components: ncomp,
        noise_m: sigma,
        pair_offsets_m: offsets,
    })
}

/// `f(row)` for every row, with rayon when available and asked for.
fn map_rows<T: Send>(rows: usize, parallel: bool, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "rayon")]
    if parallel {
        use rayon::prelude::*;
        return (0..rows).into_par_iter().map(f).collect();
    }
    let _ = parallel;
    (0..rows).map(f).collect()
}
