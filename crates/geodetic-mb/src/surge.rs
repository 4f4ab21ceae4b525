//! Surge-type attribute (RGI) and the classification of a glacier's
//! height-change pattern along its elevation range (seed 000's surge-type
//! and stagnant glaciers; thesis sect. 4.4.1 and Fig. 4.5).
//!
//! # The rule
//!
//! The glacier's measured (or filled) pixels are split by normalised
//! elevation h* = (h − h₂)/(h₉₈ − h₂) (2nd and 98th elevation percentiles,
//! robust to outline errors) into a lower (h* < ⅓, the tongue / surge
//! front), a middle and an upper (h* ≥ ⅔, the reservoir / accumulation
//! area) zone, and the median dh/dt of each zone, L, M and U (m/yr), is
//! taken. With a change threshold T (default 0.5 m/yr, 2.5× the thesis's
//! stable-terrain NMAD of 0.20 m/yr, so that a zone median beyond it is a
//! real change) and a gradient tolerance G (default 0.25 m/yr):
//!
//! 1. **FrontThickening** (active surge): L ≥ T and min(M, U) ≤ −T — mass
//!    moves from the reservoir to the front, which thickens while the
//!    reservoir draws down.
//! 2. **ReservoirThickening** (surge-type in build-up/quiescence, the
//!    thesis's "thickening in accumulation zones and thinning in ablation
//!    zones"): max(M, U) ≥ T and L ≤ −T.
//! 3. **Stagnant**: L ≤ −T and M ≤ −T with |L − M| ≤ G — the lower two
//!    thirds down-waste at the same rate, without the thinning-decreasing-
//!    with-elevation gradient of a glacier that still flows.
//! 4. **Normal** otherwise; **Undetermined** when a zone holds fewer than
//!    `min_zone_pixels` (default 10) values.
//!
//! The first two are "surge-like" patterns ([`ChangePattern::is_surge_like`]).

use sar_core::stats;
use serde::Serialize;

use crate::error::{MbError, Result};

/// RGI surge-type attribute (RGI 6 `Surging`, RGI 7 `surge_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
pub enum SurgeClass {
    /// 0 – no evidence.
    NoEvidence,
    /// 1 – possible surge.
    Possible,
    /// 2 – probable surge.
    Probable,
    /// 3 – observed surge.
    Observed,
    /// Attribute missing or not a known code (RGI 9 = not assigned).
    #[default]
    Unknown,
}

impl SurgeClass {
    /// From the RGI code (0–3; anything else is [`SurgeClass::Unknown`]).
    pub fn from_rgi(code: i64) -> Self {
        match code {
            0 => SurgeClass::NoEvidence,
            1 => SurgeClass::Possible,
            2 => SurgeClass::Probable,
            3 => SurgeClass::Observed,
            _ => SurgeClass::Unknown,
        }
    }

    /// Surge-type as in thesis sect. 4.4.1: possible, probable or observed.
    pub fn is_surge_type(self) -> bool {
        matches!(
            self,
            SurgeClass::Possible | SurgeClass::Probable | SurgeClass::Observed
        )
    }
}

/// The height-change pattern of a glacier (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ChangePattern {
    /// Thinning that decreases with elevation, or no significant change.
    Normal,
    /// The front thickens while the reservoir thins (active surge).
    FrontThickening,
    /// The reservoir thickens while the tongue thins (surge-type build-up).
    ReservoirThickening,
    /// Uniform down-wasting of the lower two thirds.
    Stagnant,
    /// Too few pixels in a zone.
    Undetermined,
}

impl ChangePattern {
    /// Front or reservoir thickening.
    pub fn is_surge_like(self) -> bool {
        matches!(
            self,
            ChangePattern::FrontThickening | ChangePattern::ReservoirThickening
        )
    }
}

/// Thresholds of the classification.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PatternParams {
    /// Change threshold T (m/yr).
    pub change_threshold: f64,
    /// Gradient tolerance G (m/yr).
    pub gradient_tolerance: f64,
    /// Minimum values per zone.
    pub min_zone_pixels: usize,
}

impl Default for PatternParams {
    /// T = 0.5 m/yr, G = 0.25 m/yr, 10 pixels per zone (module docs).
    fn default() -> Self {
        PatternParams {
            change_threshold: 0.5,
            gradient_tolerance: 0.25,
            min_zone_pixels: 10,
        }
    }
}

/// Zone medians and the resulting class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PatternProfile {
    /// Median dh/dt of the lower third (m/yr).
    pub lower: f64,
    /// … of the middle third.
    pub middle: f64,
    /// … of the upper third.
    pub upper: f64,
    /// The class.
    pub pattern: ChangePattern,
}

/// Classify the `(elevation m, dh/dt m/yr)` pairs of one glacier.
///
/// # Errors
/// Invalid thresholds.
pub fn classify_pattern<I: IntoIterator<Item = (f64, f64)>>(
    pairs: I,
    params: &PatternParams,
) -> Result<PatternProfile> {
    let ok = params.change_threshold > 0.0
        && params.change_threshold.is_finite()
        && params.gradient_tolerance >= 0.0;
    if !ok {
        return Err(MbError::param(
            "pattern thresholds",
            "need a finite change threshold > 0 and a gradient tolerance ≥ 0",
        ));
    }
    let v: Vec<(f64, f64)> = pairs
        .into_iter()
        .filter(|(h, d)| h.is_finite() && d.is_finite())
        .collect();
    let undetermined = PatternProfile {
        lower: f64::NAN,
        middle: f64::NAN,
        upper: f64::NAN,
        pattern: ChangePattern::Undetermined,
    };
    let lo = stats::percentile(v.iter().map(|p| p.0), 2.0);
    let hi = stats::percentile(v.iter().map(|p| p.0), 98.0);
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Ok(undetermined);
    };
    if hi <= lo {
        return Ok(undetermined);
    }
    let mut zones: [Vec<f64>; 3] = Default::default();
    for (h, d) in &v {
        let s = (h - lo) / (hi - lo);
        let z = if s < 1.0 / 3.0 {
            0
        } else if s < 2.0 / 3.0 {
            1
        } else {
            2
        };
        zones[z].push(*d);
    }
    if zones.iter().any(|z| z.len() < params.min_zone_pixels) {
        return Ok(undetermined);
    }
    let [l, m, u] = zones.map(|mut z| stats::median_inplace(&mut z).unwrap_or(f64::NAN));
    let t = params.change_threshold;
    let pattern = if l >= t && m.min(u) <= -t {
        ChangePattern::FrontThickening
    } else if m.max(u) >= t && l <= -t {
        ChangePattern::ReservoirThickening
    } else if l <= -t && m <= -t && (l - m).abs() <= params.gradient_tolerance {
        ChangePattern::Stagnant
    } else {
        ChangePattern::Normal
    };
    Ok(PatternProfile {
        lower: l,
        middle: m,
        upper: u,
        pattern,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// A synthetic glacier from 4000 to 5600 m with dh/dt `f(h*)` plus noise.
    fn glacier(f: impl Fn(f64) -> f64, seed: u64, noise: f64) -> Vec<(f64, f64)> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..3000)
            .map(|_| {
                // more area at mid elevations, as a real hypsometry
                let s: f64 = (rng.gen::<f64>() + rng.gen::<f64>()) / 2.0;
                let h = 4000.0 + 1600.0 * s;
                (h, f(s) + noise * rng.sample::<f64, _>(StandardNormal))
            })
            .collect()
    }

    #[test]
    fn each_kind_of_synthetic_glacier_is_recognised() {
        let p = PatternParams::default();
        for seed in 0..5 {
            let noise = 0.2 + 0.1 * seed as f64;
            let normal = glacier(|s| -2.0 + 2.2 * s, seed, noise);
            let front = glacier(|s| if s < 0.3 { 4.0 } else { -1.5 }, seed, noise);
            let reservoir = glacier(|s| if s < 0.4 { -2.5 } else { 1.2 }, seed, noise);
            let stagnant = glacier(|s| if s < 0.7 { -1.4 } else { -0.1 }, seed, noise);
            let flat = glacier(|_| 0.0, seed, noise);
            let c = |v: Vec<(f64, f64)>| classify_pattern(v, &p).unwrap().pattern;
            assert_eq!(c(normal), ChangePattern::Normal, "seed {seed}");
            assert_eq!(c(front), ChangePattern::FrontThickening, "seed {seed}");
            assert_eq!(
                c(reservoir),
                ChangePattern::ReservoirThickening,
                "seed {seed}"
            );
            assert_eq!(c(stagnant), ChangePattern::Stagnant, "seed {seed}");
            assert_eq!(c(flat), ChangePattern::Normal, "seed {seed}");
        }
        assert_eq!(
            classify_pattern(vec![(1.0, 1.0); 5], &p).unwrap().pattern,
            ChangePattern::Undetermined
        );
        assert!(ChangePattern::FrontThickening.is_surge_like());
        assert!(!ChangePattern::Stagnant.is_surge_like());
        let bad = PatternParams {
            change_threshold: 0.0,
            ..p
        };
        assert!(classify_pattern(vec![], &bad).is_err());
    }

    #[test]
    fn rgi_codes() {
        assert_eq!(SurgeClass::from_rgi(3), SurgeClass::Observed);
        assert_eq!(SurgeClass::from_rgi(9), SurgeClass::Unknown);
        assert!(SurgeClass::from_rgi(1).is_surge_type());
        assert!(!SurgeClass::from_rgi(0).is_surge_type());
    }
}
