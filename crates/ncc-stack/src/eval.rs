//! Filtering and evaluation of velocity fields (sect. 2.2.3): thresholds,
//! spatial coverage (eq. 2.8), residual ratio (eq. 2.9), SNR gain
//! (eq. 2.10) and the stack-size study of Fig. 2.7/2.8.

use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::Rng;
use sar_core::{Grid, Raster};

use crate::error::{NccError, Result};
use crate::pairs::PairSet;
use crate::track::{for_each_cell, Engine, TrackParams, VelocityField};

/// Thresholds of sect. 2.2.3.1 with the values of sect. 2.3.2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilterParams {
    snr_min_db: f64,
    v_max_m_per_day: f64,
    reject_at_search_edge: bool,
}

impl Default for FilterParams {
    fn default() -> Self {
        FilterParams {
            snr_min_db: 10.0,
            v_max_m_per_day: 1.0,
            reject_at_search_edge: true,
        }
    }
}

impl FilterParams {
    /// SNR ≥ 10 dB and speed ≤ 1 m/day (sect. 2.3.2).
    pub fn new() -> Self {
        Self::default()
    }
    /// Minimum SNR in dB.
    pub fn snr_min_db(mut self, v: f64) -> Self {
        self.snr_min_db = v;
        self
    }
    /// Maximum speed in metres per day.
    pub fn v_max_m_per_day(mut self, v: f64) -> Self {
        self.v_max_m_per_day = v;
        self
    }
    /// Drop estimates whose peak lies on the edge of the search window
    /// (default `true`: such a peak is a lower bound, not a measurement).
    pub fn reject_at_search_edge(mut self, on: bool) -> Self {
        self.reject_at_search_edge = on;
        self
    }
    /// Minimum SNR in dB.
    pub fn get_snr_min_db(&self) -> f64 {
        self.snr_min_db
    }
    /// Maximum speed in metres per day.
    pub fn get_v_max_m_per_day(&self) -> f64 {
        self.v_max_m_per_day
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if !self.snr_min_db.is_finite() || !(self.v_max_m_per_day > 0.0) {
            return Err(NccError::InvalidParameter {
                name: "filter",
                reason: "SNR threshold must be finite and v_max positive".into(),
            });
        }
        Ok(())
    }
    /// `true` if an estimate with this SNR and speed passes.
    pub fn passes(&self, snr_db: f64, speed_m_per_day: f64) -> bool {
        snr_db >= self.snr_min_db && speed_m_per_day <= self.v_max_m_per_day
    }
}

/// Templates that pass the filter (`false` where there is no estimate).
///
/// An estimate passes if its SNR and speed pass [`FilterParams::passes`]
/// and, unless disabled, its peak is not on the search-window edge.
pub fn filter_mask(field: &VelocityField, filter: &FilterParams) -> Array2<bool> {
    ndarray::Zip::from(&field.snr_db.data)
        .and(&field.speed_m_per_day.data)
        .and(&field.at_search_edge)
        .map_collect(|&s, &v, &edge| {
            s.is_finite()
                && v.is_finite()
                && filter.passes(s, v)
                && !(filter.reject_at_search_edge && edge)
        })
}

/// A copy of the field with every estimate that fails the filter set to NaN.
pub fn apply_filter(field: &VelocityField, filter: &FilterParams) -> VelocityField {
    let m = filter_mask(field, filter);
    let mut f = field.clone();
    for r in [
        &mut f.offset_x_px,
        &mut f.offset_y_px,
        &mut f.displacement_east_m,
        &mut f.displacement_north_m,
        &mut f.velocity_east_m_per_day,
        &mut f.velocity_north_m_per_day,
        &mut f.speed_m_per_day,
    ] {
        ndarray::Zip::from(&mut r.data).and(&m).for_each(|v, &ok| {
            if !ok {
                *v = f64::NAN;
            }
        });
    }
    f
}

/// Spatial coverage R_cov = A_map / A_total (eq. 2.8): the fraction of the
/// templates inside `region` that pass the filter.
pub fn coverage(valid: ArrayView2<'_, bool>, region: ArrayView2<'_, bool>) -> Result<f64> {
    if valid.dim() != region.dim() {
        return Err(sar_core::SarError::ShapeMismatch {
            what: "region mask".into(),
            expected: valid.dim(),
            found: region.dim(),
        }
        .into());
    }
    let total = region.iter().filter(|&&r| r).count();
    if total == 0 {
        return Err(NccError::InvalidParameter {
            name: "region",
            reason: "the region mask selects no template".into(),
        });
    }
    let hit = ndarray::Zip::from(valid)
        .and(region)
        .fold(0usize, |n, &v, &r| n + usize::from(v && r));
    Ok(hit as f64 / total as f64)
}

/// Residual ratio R_res = A_residual / A_static (eq. 2.9) on stable ground:
/// the fraction of the templates in `stable` whose offset exceeds
/// `threshold_px` (one pixel in sect. 2.2.3.2) in x or y. With
/// `valid = Some(mask)` only estimates in the mask count as residuals
/// (voids are not velocities); with `None` every estimate counts.
pub fn residual_ratio(
    field: &VelocityField,
    stable: ArrayView2<'_, bool>,
    valid: Option<ArrayView2<'_, bool>>,
    threshold_px: f64,
) -> Result<f64> {
    if stable.dim() != field.offset_x_px.data.dim() {
        return Err(sar_core::SarError::ShapeMismatch {
            what: "stable-ground mask".into(),
            expected: field.offset_x_px.data.dim(),
            found: stable.dim(),
        }
        .into());
    }
    let total = stable.iter().filter(|&&r| r).count();
    if total == 0 {
        return Err(NccError::InvalidParameter {
            name: "stable",
            reason: "the stable-ground mask selects no template".into(),
        });
    }
    let mut n = 0usize;
    for ((idx, &s), (&x, &y)) in stable.indexed_iter().zip(
        field
            .offset_x_px
            .data
            .iter()
            .zip(field.offset_y_px.data.iter()),
    ) {
        let counted = valid.as_ref().map_or(true, |m| m[idx]);
        if s && counted && (x.abs() > threshold_px || y.abs() > threshold_px) {
            n += 1;
        }
    }
    Ok(n as f64 / total as f64)
}

/// SNR gain SNR_stack − SNR_pair in dB at every template (eq. 2.10).
pub fn snr_gain(stack: &VelocityField, pair: &VelocityField) -> Result<Raster<f64>> {
    stack.snr_db.ensure_same_grid(&pair.snr_db)?;
    let d = &stack.snr_db.data - &pair.snr_db.data;
    Ok(Raster::new(d, stack.grid.clone())?)
}

/// Parameters of [`stack_size_study`].
#[derive(Debug, Clone, PartialEq)]
pub struct StudyParams {
    max_combinations: usize,
    filter: FilterParams,
    residual_threshold_px: f64,
}

impl Default for StudyParams {
    fn default() -> Self {
        StudyParams {
            max_combinations: 35,
            filter: FilterParams::default(),
            residual_threshold_px: 1.0,
        }
    }
}

impl StudyParams {
    /// At most 35 combinations per stack size, default filter, 1 px residual threshold.
    pub fn new() -> Self {
        Self::default()
    }
    /// Cap on the number of combinations evaluated per stack size (all if
    /// there are fewer; otherwise a seeded random sample without repeats).
    pub fn max_combinations(mut self, n: usize) -> Self {
        self.max_combinations = n;
        self
    }
    /// Filter for the coverage.
    pub fn filter(mut self, f: FilterParams) -> Self {
        self.filter = f;
        self
    }
    /// Offset above which a stable-ground estimate is a residual (px).
    pub fn residual_threshold_px(mut self, t: f64) -> Self {
        self.residual_threshold_px = t;
        self
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if self.max_combinations == 0 || !(self.residual_threshold_px > 0.0) {
            return Err(NccError::InvalidParameter {
                name: "study",
                reason: "need max_combinations ≥ 1 and a positive residual threshold".into(),
            });
        }
        self.filter.check()
    }
}

/// Coverage and residual ratio of one stack size over its combinations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StackSizeRow {
    /// Stack size k (number of pairs).
    pub k: usize,
    /// Number of combinations evaluated.
    pub combinations: usize,
    /// Mean coverage (eq. 2.8) over the combinations.
    pub coverage_mean: f64,
    /// Minimum coverage.
    pub coverage_min: f64,
    /// Maximum coverage.
    pub coverage_max: f64,
    /// Mean residual ratio (eq. 2.9; every estimate counts).
    pub residual_mean: f64,
    /// Minimum residual ratio.
    pub residual_min: f64,
    /// Maximum residual ratio.
    pub residual_max: f64,
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

fn all_combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut c: Vec<usize> = (0..k).collect();
    loop {
        out.push(c.clone());
        let mut i = k;
        while i > 0 && c[i - 1] == n - k + i - 1 {
            i -= 1;
        }
        if i == 0 {
            return out;
        }
        c[i - 1] += 1;
        for j in i..k {
            c[j] = c[j - 1] + 1;
        }
    }
}

/// The stack-size study of Fig. 2.7/2.8: for every stack size k = 1..=K,
/// the coverage inside `region` and the residual ratio on `stable`
/// (both masks on the template grid) over all combinations of k of the K
/// pairs, or a random sample of at most `max_combinations` of them.
/// Each pair's surfaces are computed once per template and re-averaged for
/// every combination.
#[allow(clippy::too_many_arguments)]
pub fn stack_size_study<R: Rng + ?Sized>(
    images: &[ArrayView2<'_, f64>],
    grid: &Grid,
    pairs: &PairSet,
    params: &TrackParams,
    study: &StudyParams,
    region: ArrayView2<'_, bool>,
    stable: ArrayView2<'_, bool>,
    rng: &mut R,
) -> Result<Vec<StackSizeRow>> {
    study.check()?;
    let engine = Engine::new(images, grid, pairs, params)?;
    let shape = engine.out_shape();
    for (dim, what) in [
        (region.dim(), "region mask"),
        (stable.dim(), "stable-ground mask"),
    ] {
        if dim != shape {
            return Err(sar_core::SarError::ShapeMismatch {
                what: what.into(),
                expected: shape,
                found: dim,
            }
            .into());
        }
    }
    let n_region = region.iter().filter(|&&v| v).count();
    let n_stable = stable.iter().filter(|&&v| v).count();
    if n_region == 0 || n_stable == 0 {
        return Err(NccError::InvalidParameter {
            name: "region/stable",
            reason: "both masks must select at least one template".into(),
        });
    }
    let kk = engine.n_pairs();
    let mut combos: Vec<Vec<usize>> = Vec::new();
    let mut sizes = Vec::new();
    for k in 1..=kk {
        let set = if binomial(kk, k) <= study.max_combinations as f64 {
            all_combinations(kk, k)
        } else {
            let mut seen = std::collections::HashSet::new();
            let mut v = Vec::new();
            let mut idx: Vec<usize> = (0..kk).collect();
            while v.len() < study.max_combinations {
                idx.shuffle(rng);
                let mut c = idx[..k].to_vec();
                c.sort_unstable();
                if seen.insert(c.clone()) {
                    v.push(c);
                }
            }
            v
        };
        sizes.push((k, combos.len(), set.len()));
        combos.extend(set);
    }
    let filter = study.filter;
    let thr = study.residual_threshold_px;
    let t_days = engine.interval_days;
    let per_cell: Vec<Vec<(bool, bool)>> = for_each_cell(
        &engine,
        params_parallel(params),
        None,
        |i, j| region[[i, j]] || stable[[i, j]],
        |e, i, _, st, slot| {
            let Some(b) = slot else {
                return vec![(false, false); combos.len()];
            };
            combos
                .iter()
                .map(|c| {
                    let (n, _) = e.average(st, b, c.iter().copied());
                    if n == 0 {
                        return (false, false);
                    }
                    match e.peak_of_avg(st, b) {
                        Some(p) => {
                            let (east, north) = e.to_map(i, p.offset_x_px, p.offset_y_px);
                            let speed = east.hypot(north) / t_days;
                            let ok = filter.passes(p.snr_db, speed);
                            let resid = p.offset_x_px.abs() > thr || p.offset_y_px.abs() > thr;
                            (ok, resid)
                        }
                        None => (false, false),
                    }
                })
                .collect()
        },
    );
    let (_, nc) = shape;
    let mut rows = Vec::with_capacity(kk);
    for (k, start, count) in sizes {
        let mut cov = Vec::with_capacity(count);
        let mut res = Vec::with_capacity(count);
        for ci in start..start + count {
            let (mut hit, mut resid) = (0usize, 0usize);
            for (idx, cell) in per_cell.iter().enumerate() {
                let (i, j) = (idx / nc, idx % nc);
                if region[[i, j]] && cell[ci].0 {
                    hit += 1;
                }
                if stable[[i, j]] && cell[ci].1 {
                    resid += 1;
                }
            }
            cov.push(hit as f64 / n_region as f64);
            res.push(resid as f64 / n_stable as f64);
        }
        let stats = |v: &[f64]| {
            let (mn, mx) =
                sar_core::stats::min_max(v.iter().copied()).unwrap_or((f64::NAN, f64::NAN));
            (
                sar_core::stats::mean(v.iter().copied()).unwrap_or(f64::NAN),
                mn,
                mx,
            )
        };
        let (cm, cmin, cmax) = stats(&cov);
        let (rm, rmin, rmax) = stats(&res);
        rows.push(StackSizeRow {
            k,
            combinations: count,
            coverage_mean: cm,
            coverage_min: cmin,
            coverage_max: cmax,
            residual_mean: rm,
            residual_min: rmin,
            residual_max: rmax,
        });
    }
    Ok(rows)
}

fn params_parallel(p: &TrackParams) -> bool {
    p.is_parallel()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_enumerate_all() {
        let c = all_combinations(5, 3);
        assert_eq!(c.len(), 10);
        assert_eq!(c[0], vec![0, 1, 2]);
        assert_eq!(c[9], vec![2, 3, 4]);
        assert_eq!(binomial(7, 3), 35.0);
    }

    #[test]
    fn coverage_counts_region() {
        let valid = ndarray::array![[true, false], [true, true]];
        let region = ndarray::array![[true, true], [false, true]];
        assert!((coverage(valid.view(), region.view()).unwrap() - 2.0 / 3.0).abs() < 1e-12);
        let none = Array2::from_elem((2, 2), false);
        assert!(coverage(valid.view(), none.view()).is_err());
    }
}
