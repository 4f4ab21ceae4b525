//! Residual-phase InSAR processing and iterative reference-DEM refinement
//! (thesis sect. 4.3.1.1–4.3.1.3, eqs. 4.1–4.2).
//!
//! For each iteration `k = 1, 2, …` with the current DEM `H_{k−1}`
//! (ellipsoid heights on a geographic grid):
//!
//! 1. **Look-up table** map → radar ([`build_lut`]): `geo2rdr` of every DEM
//!    pixel, the height sensitivity `∂φ/∂h` there (numerical, forward
//!    model), and layover/shadow masks from the local terrain slope in the
//!    range–height plane (layover where the slope facing the sensor exceeds
//!    the incidence angle, shadow where the slope facing away exceeds its
//!    complement). Regenerated at every iteration from the updated DEM.
//! 2. **Simulated interferogram** `I_ref` ([`simulate`]): the phase of the
//!    DEM surface at every radar pixel (`rdr2geo` on the DEM, then
//!    `φ = −(2π·p/λ)(R_a − R_p)`).
//! 3. **Residual phase** `δφ = I_CoSSC − I_ref` (eq. 4.1), computed as
//!    `S_a·S_p*·exp(−i·φ_ref)` averaged in a boxcar of `looks` pixels, with
//!    the coherence (eq. 1.9) of the same window.
//! 4. **Inverse geocoding** of the complex residual and the coherence to the
//!    map grid (bilinear at the LUT's radar coordinates).
//! 5. **Masks**: coherence below `coherence_min` (default 0.3, thesis
//!    4.3.1.2), layover, shadow, outside the radar scene. Masked pixels are
//!    filled with uniform random phase (seeded) before unwrapping, as the
//!    thesis does to stabilise MCF across voids.
//! 6. **Unwrapping** with [`phase_unwrap::unwrap`] (minimum-cost flow,
//!    coherence-based costs); masked pixels are set back to no-data.
//! 7. **Trend**: a quadratic phase surface `a₀ + a₁x + a₂y + a₃x² + a₄xy +
//!    a₅y²` (6 terms, x/y the map column/row scaled to [−1, 1]) fitted by
//!    least squares and removed; `Δh = φ/(∂φ/∂h)`; the **extreme-height
//!    mask** `|Δh| > min(10 m, 3σ_Δh)` excludes pixels from a **refit** of
//!    the trend to the unwrapped phase, which is then removed, giving the
//!    corrected phase and `Δh_k` (eq. 4.2: the trend absorbs
//!    `δφ_miscal`, the masks `δφ_noise` and `δφ_error`).
//! 8. **Update** `H_k = H_{k−1} + Δh_k` where `Δh_k` is valid (elsewhere
//!    the DEM is kept).
//!
//! The thesis stops after three updates (`H₃`); the field `DemParams::iterations`
//! sets the number.

use crate::error::{DemError, Result};
use crate::geometry::{ecef_to_geodetic, geodetic_to_ecef, DemSampler, Geodetic, PairGeometry};
use ndarray::{Array2, ArrayView2, Axis};
use num_complex::{Complex, Complex32};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::Raster;
use std::f64::consts::PI;

/// Parameters of the DEM generation.
#[derive(Debug, Clone, PartialEq)]
pub struct DemParams {
    /// Number of DEM updates. Default **3** (`H₁, H₂, H₃`, thesis 4.3.1.3).
    pub iterations: usize,
    /// Coherence threshold of the mask. Default **0.3** (thesis 4.3.1.2).
    pub coherence_min: f64,
    /// Upper bound of the extreme-height threshold, metres. Default **10 m**
    /// (thesis 4.3.1.2: `|Δh| > min(10, 3σ_Δh)`).
    pub extreme_max_m: f64,
    /// Multiple of `σ_Δh` in the extreme-height threshold. Default **3**
    /// (thesis 4.3.1.2).
    pub extreme_sigmas: f64,
    /// Boxcar window (azimuth, range) of the residual interferogram and
    /// coherence, odd sides. Default **(3, 3)**: the thesis does not state
    /// its window; it makes ≈ 8 m DEMs from ≈ 3 m SLC pixels, i.e. about
    /// 3 × 3 looks per DEM pixel. A window much larger than the DEM pixel's
    /// footprint in radar geometry hides short-wavelength height errors from
    /// the residual phase, and the iterations then amplify the noise in
    /// them (measured on the synthetic pairs of `tests/end_to_end.rs`:
    /// 5 × 5 looks on ≈ 2.5 radar pixels per DEM pixel gave a larger H₃ RMSE
    /// than 3 × 3).
    pub looks: (usize, usize),
    /// Seed of the random phase that fills masked pixels. Default 0.
    pub seed: u64,
    /// Use rayon for the look-up table and the simulation. Default true.
    pub parallel: bool,
}

impl Default for DemParams {
    fn default() -> Self {
        DemParams {
            iterations: 3,
            coherence_min: 0.3,
            extreme_max_m: 10.0,
            extreme_sigmas: 3.0,
            looks: (3, 3),
            seed: 0,
            parallel: true,
        }
    }
}

impl DemParams {
    /// Set the `iterations` field.
    pub fn iterations(mut self, n: usize) -> Self {
        self.iterations = n;
        self
    }
    /// Set the `coherence_min` field.
    pub fn coherence_min(mut self, c: f64) -> Self {
        self.coherence_min = c;
        self
    }
    /// Set the `looks` field.
    pub fn looks(mut self, az: usize, rg: usize) -> Self {
        self.looks = (az, rg);
        self
    }
    /// Set the `seed` field.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Set the `parallel` field.
    pub fn parallel(mut self, on: bool) -> Self {
        self.parallel = on;
        self
    }

    /// Check every parameter; the error names the one at fault.
    pub fn check(&self) -> Result<()> {
        let bad =
            |name: &'static str, reason: String| Err(DemError::InvalidParameter { name, reason });
        if self.iterations == 0 || self.iterations > 20 {
            return bad(
                "iterations",
                format!("must be 1–20, got {}", self.iterations),
            );
        }
        if !(self.coherence_min >= 0.0 && self.coherence_min < 1.0) {
            return bad(
                "coherence_min",
                format!("must be in [0, 1), got {}", self.coherence_min),
            );
        }
        if !(self.extreme_max_m > 0.0 && self.extreme_max_m.is_finite()) {
            return bad(
                "extreme_max_m",
                format!("must be positive, got {}", self.extreme_max_m),
            );
        }
        if !(self.extreme_sigmas > 0.0 && self.extreme_sigmas.is_finite()) {
            return bad(
                "extreme_sigmas",
                format!("must be positive, got {}", self.extreme_sigmas),
            );
        }
        let (a, r) = self.looks;
        if a % 2 == 0 || r % 2 == 0 || a > 101 || r > 101 {
            return bad(
                "looks",
                format!("window sides must be odd and ≤ 101, got {a}×{r}"),
            );
        }
        Ok(())
    }
}

/// The map → radar look-up table of a DEM.
#[derive(Debug, Clone, PartialEq)]
pub struct Lut {
    /// Radar line of each map pixel (NaN outside the scene or without DEM).
    pub row: Array2<f64>,
    /// Radar sample of each map pixel.
    pub col: Array2<f64>,
    /// Height sensitivity of the residual phase to a vertical shift of the
    /// DEM at this map pixel, rad/m: [`Lut::dphi_dh_range`] divided by
    /// `1 − tanα·cotθ` (α the terrain slope towards the sensor, θ the
    /// incidence angle), the foreshortening of the local slope. NaN where
    /// that factor is below 0.05 (next to layover).
    pub dphi_dh: Array2<f64>,
    /// Height sensitivity `∂φ/∂h` at fixed radar coordinates (along the range
    /// circle, eq. 1.7), from the forward model, rad/m.
    pub dphi_dh_range: Array2<f64>,
    /// Ellipsoid incidence angle, radians.
    pub incidence: Array2<f64>,
    /// Active layover (terrain slope towards the sensor above the incidence angle).
    pub layover: Array2<bool>,
    /// Active shadow (terrain slope away from the sensor above 90° − incidence).
    pub shadow: Array2<bool>,
}

fn for_rows<T: Send + Sync + Clone, F: Fn(usize, &mut [T]) + Sync + Send>(
    rows: usize,
    cols: usize,
    init: T,
    parallel: bool,
    f: F,
) -> Array2<T> {
    let mut out = Array2::from_elem((rows, cols), init);
    if parallel {
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            out.axis_iter_mut(Axis(0))
                .into_par_iter()
                .enumerate()
                .for_each(|(r, mut row)| f(r, row.as_slice_mut().expect("row-major")));
            return out;
        }
    }
    for (r, mut row) in out.axis_iter_mut(Axis(0)).enumerate() {
        f(r, row.as_slice_mut().expect("row-major"));
    }
    out
}

#[derive(Clone, Copy)]
struct LutCell {
    row: f64,
    col: f64,
    dphi: f64,
    dphi_range: f64,
    inc: f64,
    layover: bool,
    shadow: bool,
}

impl Default for LutCell {
    fn default() -> Self {
        LutCell {
            row: f64::NAN,
            col: f64::NAN,
            dphi: f64::NAN,
            dphi_range: f64::NAN,
            inc: f64::NAN,
            layover: false,
            shadow: false,
        }
    }
}

/// Check that the DEM covers the radar scene: the footprint of the four
/// corners of the radar grid at the DEM's median height must lie inside it.
pub fn check_dem_coverage(pair: &PairGeometry, dem: &Raster<f64>) -> Result<()> {
    let h = dem.summary().map(|s| s.median).unwrap_or(f64::NAN);
    if !h.is_finite() {
        return Err(DemError::Input(
            "the reference DEM holds no valid height".into(),
        ));
    }
    let g = &pair.grid;
    let (x0, y0, x1, y1) = dem.grid.bounds();
    for (r, c) in [
        (0.0, 0.0),
        (0.0, (g.samples - 1) as f64),
        ((g.lines - 1) as f64, 0.0),
        ((g.lines - 1) as f64, (g.samples - 1) as f64),
    ] {
        let p = ecef_to_geodetic(pair.rdr2geo_height(r, c, h)?);
        if !(p.lon >= x0 && p.lon <= x1 && p.lat >= y0 && p.lat <= y1) {
            return Err(DemError::Input(format!(
                "the reference DEM (lon {x0:.5}…{x1:.5}, lat {y0:.5}…{y1:.5}) does not cover the radar scene: corner line {r}, sample {c} lies at lon {:.5}, lat {:.5}",
                p.lon, p.lat
            )));
        }
    }
    Ok(())
}

/// Build the map → radar look-up table of a DEM (ellipsoid heights on a
/// geographic grid): radar coordinates, `∂φ/∂h`, incidence, layover and
/// shadow for every pixel.
pub fn build_lut(pair: &PairGeometry, dem: &Raster<f64>, parallel: bool) -> Result<Lut> {
    let sampler = DemSampler::new(dem)?;
    let _ = sampler;
    let (rows, cols) = dem.shape();
    let g = &pair.grid;
    let cells = for_rows(rows, cols, LutCell::default(), parallel, |r, out| {
        let (dx, dy) = dem.grid.pixel_size_m(r);
        for (c, cell) in out.iter_mut().enumerate() {
            let h = dem.data[[r, c]];
            if !h.is_finite() {
                continue;
            }
            let (lon, lat) = dem.grid.pixel_center(r, c);
            let x = geodetic_to_ecef(Geodetic { lat, lon, h });
            let Ok(rp) = pair.geo2rdr(x) else { continue };
            if !(rp.row >= 0.0
                && rp.row <= (g.lines - 1) as f64
                && rp.col >= 0.0
                && rp.col <= (g.samples - 1) as f64)
            {
                continue;
            }
            let Ok(dphi) = pair.dphi_dh(rp.row, rp.col, h) else {
                continue;
            };
            // Local terrain gradient (east, north) in m/m, central differences.
            let hv = |rr: usize, cc: usize| dem.data[[rr, cc]];
            let (c0, c1) = (c.saturating_sub(1), (c + 1).min(cols - 1));
            let (r0, r1) = (r.saturating_sub(1), (r + 1).min(rows - 1));
            let de = (hv(r, c1) - hv(r, c0)) / ((c1 - c0).max(1) as f64 * dx);
            let dn = -(hv(r1, c) - hv(r0, c)) / ((r1 - r0).max(1) as f64 * dy);
            let (sl, cl) = lat.to_radians().sin_cos();
            let (so, co) = lon.to_radians().sin_cos();
            let d = [
                rp.active.position[0] - x[0],
                rp.active.position[1] - x[1],
                rp.active.position[2] - x[2],
            ];
            let n = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
            let l = [d[0] / n, d[1] / n, d[2] / n];
            let le = -so * l[0] + co * l[1];
            let ln = -sl * co * l[0] - sl * so * l[1] + cl * l[2];
            let lu = cl * co * l[0] + cl * so * l[1] + sl * l[2];
            let lg = le.hypot(ln);
            let inc = lg.atan2(lu);
            let mut layover = false;
            let mut shadow = false;
            let mut dphi_map = f64::NAN;
            if de.is_finite() && dn.is_finite() && lg > 0.0 {
                let (ge, gn) = (le / lg, ln / lg);
                // Terrain slope towards the sensor in the range–height plane.
                let tan_alpha = -(de * ge + dn * gn);
                let alpha = tan_alpha.atan();
                layover = alpha > inc;
                shadow = alpha < inc - PI / 2.0;
                // A vertical shift Δh of the local terrain plane moves its
                // intersection with the range circle by Δh/(sinθ − tanα·cosθ)
                // along the circle, so the residual phase at the LUT's radar
                // pixel is ∂φ/∂h·Δh/(1 − tanα·cotθ).
                let f = 1.0 - tan_alpha / inc.tan();
                if f > 0.05 {
                    dphi_map = dphi / f;
                }
            }
            *cell = LutCell {
                row: rp.row,
                col: rp.col,
                dphi: dphi_map,
                dphi_range: dphi,
                inc,
                layover,
                shadow,
            };
        }
    });
    Ok(Lut {
        row: cells.mapv(|c| c.row),
        col: cells.mapv(|c| c.col),
        dphi_dh: cells.mapv(|c| c.dphi),
        dphi_dh_range: cells.mapv(|c| c.dphi_range),
        incidence: cells.mapv(|c| c.inc),
        layover: cells.mapv(|c| c.layover),
        shadow: cells.mapv(|c| c.shadow),
    })
}

/// Radar pixels affected by layover or shadow: the radar positions of the
/// map pixels flagged in the LUT, joined along each line between
/// neighbouring flagged map pixels and dilated by `pad` pixels. A radar
/// pixel in a layover zone mixes several terrain points (the range circle
/// meets the terrain more than once), so map pixels that geocode into it
/// are unreliable even where their own slope is moderate (passive layover).
pub fn radar_layover_mask(lut: &Lut, lines: usize, samples: usize, pad: usize) -> Array2<bool> {
    let mut m = Array2::from_elem((lines, samples), false);
    let (rows, cols) = lut.row.dim();
    let mut mark = |r: f64, c0: f64, c1: f64| {
        if !(r.is_finite() && c0.is_finite() && c1.is_finite()) {
            return;
        }
        let (lo, hi) = (c0.min(c1), c0.max(c1));
        let r0 = (r.round() as isize - pad as isize).max(0) as usize;
        let r1 = ((r.round() as isize + pad as isize).max(0) as usize).min(lines - 1);
        let k0 = (lo.floor() as isize - pad as isize).max(0) as usize;
        let k1 = ((hi.ceil() as isize + pad as isize).max(0) as usize).min(samples - 1);
        if r0 > r1 || k0 > k1 || r0 >= lines || k0 >= samples {
            return;
        }
        for rr in r0..=r1 {
            for kk in k0..=k1 {
                m[[rr, kk]] = true;
            }
        }
    };
    for r in 0..rows {
        for c in 0..cols {
            if !(lut.layover[[r, c]] || lut.shadow[[r, c]]) {
                continue;
            }
            let (lr, lc) = (lut.row[[r, c]], lut.col[[r, c]]);
            mark(lr, lc, lc);
            for (dr, dc) in [(0isize, 1isize), (0, -1), (1, 0), (-1, 0)] {
                let (nr, nc) = (r as isize + dr, c as isize + dc);
                if nr < 0 || nc < 0 || nr >= rows as isize || nc >= cols as isize {
                    continue;
                }
                let (nr, nc) = (nr as usize, nc as usize);
                mark(0.5 * (lr + lut.row[[nr, nc]]), lc, lut.col[[nr, nc]]);
            }
        }
    }
    m
}

/// A surface seen in radar geometry: for every radar pixel, the point where
/// its range circle meets the DEM and that point's interferometric phase.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarSimulation {
    /// Latitude of the terrain point, degrees (NaN where none was found).
    pub lat: Array2<f64>,
    /// Longitude, degrees.
    pub lon: Array2<f64>,
    /// Ellipsoid height, metres.
    pub h: Array2<f64>,
    /// Absolute (unwrapped) interferometric phase `−(2π·p/λ)(R_a − R_p)`, radians.
    pub phase: Array2<f64>,
}

/// Simulate the interferometric phase of a DEM surface in radar geometry
/// (`I_ref` of eq. 4.1): `rdr2geo` on the DEM for every radar pixel, then
/// the forward phase model. NaN where the range circle does not meet the DEM.
pub fn simulate(pair: &PairGeometry, dem: &Raster<f64>, parallel: bool) -> Result<RadarSimulation> {
    let sampler = DemSampler::new(dem)?;
    let h0 = dem.summary().map(|s| s.median).unwrap_or(f64::NAN);
    if !h0.is_finite() {
        return Err(DemError::Input("the DEM holds no valid height".into()));
    }
    let g = &pair.grid;
    let cells = for_rows(g.lines, g.samples, [f64::NAN; 4], parallel, |r, out| {
        let mut guess = h0;
        let t = g.time_of(r as f64);
        for (c, cell) in out.iter_mut().enumerate() {
            let Ok(p) = pair.rdr2geo_dem(r as f64, c as f64, &sampler, guess) else {
                continue;
            };
            guess = p.h;
            let x = geodetic_to_ecef(p);
            let Ok(zp) = pair.passive_zero_doppler(x, t) else {
                continue;
            };
            let phi = pair.phase_from_ranges(g.range_of(c as f64), zp.range);
            *cell = [p.lat, p.lon, p.h, phi];
        }
    });
    Ok(RadarSimulation {
        lat: cells.mapv(|c| c[0]),
        lon: cells.mapv(|c| c[1]),
        h: cells.mapv(|c| c[2]),
        phase: cells.mapv(|c| c[3]),
    })
}

/// Boxcar-averaged residual interferogram `⟨S_a·S_p*·e^{−iφ_ref}⟩` and
/// coherence `|⟨S_a S_p* e^{−iφ_ref}⟩| / √(⟨|S_a|²⟩⟨|S_p|²⟩)` (eq. 1.9 of
/// the flattened pair) in a centred window; NaN pixels are skipped.
pub fn residual_interferogram(
    active: ArrayView2<'_, Complex32>,
    passive: ArrayView2<'_, Complex32>,
    phi_ref: ArrayView2<'_, f64>,
    looks: (usize, usize),
) -> Result<(Array2<Complex<f64>>, Array2<f64>)> {
    if active.dim() != passive.dim() || active.dim() != phi_ref.dim() {
        return Err(DemError::Input(format!(
            "SLC sizes differ: active {:?}, passive {:?}, simulation {:?}",
            active.dim(),
            passive.dim(),
            phi_ref.dim()
        )));
    }
    let (rows, cols) = active.dim();
    let mut sat = Array2::<[f64; 4]>::from_elem((rows + 1, cols + 1), [0.0; 4]);
    for r in 0..rows {
        let mut acc = [0.0f64; 4];
        for c in 0..cols {
            let (a, b, p) = (active[[r, c]], passive[[r, c]], phi_ref[[r, c]]);
            if a.re.is_finite()
                && a.im.is_finite()
                && b.re.is_finite()
                && b.im.is_finite()
                && p.is_finite()
            {
                let a = Complex::new(a.re as f64, a.im as f64);
                let b = Complex::new(b.re as f64, b.im as f64);
                let z = a * b.conj() * Complex::from_polar(1.0, -p);
                acc[0] += z.re;
                acc[1] += z.im;
                acc[2] += a.norm_sqr();
                acc[3] += b.norm_sqr();
            }
            let above = sat[[r, c + 1]];
            sat[[r + 1, c + 1]] = [
                above[0] + acc[0],
                above[1] + acc[1],
                above[2] + acc[2],
                above[3] + acc[3],
            ];
        }
    }
    let (ha, hr) = (looks.0 / 2, looks.1 / 2);
    let mut z = Array2::from_elem((rows, cols), Complex::new(f64::NAN, f64::NAN));
    let mut gamma = Array2::from_elem((rows, cols), f64::NAN);
    for r in 0..rows {
        for c in 0..cols {
            let (r0, c0) = (r.saturating_sub(ha), c.saturating_sub(hr));
            let (r1, c1) = ((r + ha + 1).min(rows), (c + hr + 1).min(cols));
            let mut s = [0.0f64; 4];
            for (k, v) in s.iter_mut().enumerate() {
                *v = sat[[r1, c1]][k] - sat[[r0, c1]][k] - sat[[r1, c0]][k] + sat[[r0, c0]][k];
            }
            let den = (s[2] * s[3]).sqrt();
            if den > 0.0 && den.is_finite() {
                z[[r, c]] = Complex::new(s[0], s[1]);
                gamma[[r, c]] = (s[0].hypot(s[1]) / den).min(1.0);
            }
        }
    }
    Ok((z, gamma))
}

fn bilinear<T, F>(a: &Array2<T>, row: f64, col: f64, ok: F) -> Option<[(f64, (usize, usize)); 4]>
where
    F: Fn(&T) -> bool,
{
    let (rows, cols) = a.dim();
    if !(row >= 0.0 && col >= 0.0 && row <= (rows - 1) as f64 && col <= (cols - 1) as f64) {
        return None;
    }
    let r0 = (row.floor() as usize).min(rows.saturating_sub(2));
    let c0 = (col.floor() as usize).min(cols.saturating_sub(2));
    let (r1, c1) = ((r0 + 1).min(rows - 1), (c0 + 1).min(cols - 1));
    let (fr, fc) = (row - r0 as f64, col - c0 as f64);
    let w = [
        ((1.0 - fr) * (1.0 - fc), (r0, c0)),
        ((1.0 - fr) * fc, (r0, c1)),
        (fr * (1.0 - fc), (r1, c0)),
        (fr * fc, (r1, c1)),
    ];
    if w.iter().any(|(_, i)| !ok(&a[*i])) {
        return None;
    }
    Some(w)
}

/// Coefficients `[a₀, a₁, a₂, a₃, a₄, a₅]` of the quadratic trend
/// `a₀ + a₁x + a₂y + a₃x² + a₄xy + a₅y²`, x and y the column and row scaled
/// to [−1, 1].
pub type Trend = [f64; 6];

fn trend_terms(r: usize, c: usize, rows: usize, cols: usize) -> [f64; 6] {
    let sx = ((cols.max(2) - 1) as f64) / 2.0;
    let sy = ((rows.max(2) - 1) as f64) / 2.0;
    let x = (c as f64 - sx) / sx;
    let y = (r as f64 - sy) / sy;
    [1.0, x, y, x * x, x * y, y * y]
}

/// Least-squares quadratic trend of the pixels where `use_px` is true and the
/// value finite. Errors with fewer than 12 usable pixels or a singular system.
pub fn fit_trend(values: ArrayView2<'_, f64>, use_px: ArrayView2<'_, bool>) -> Result<Trend> {
    let (rows, cols) = values.dim();
    let mut ata = [[0.0f64; 6]; 6];
    let mut atb = [0.0f64; 6];
    let mut n = 0usize;
    for ((r, c), &v) in values.indexed_iter() {
        if !use_px[[r, c]] || !v.is_finite() {
            continue;
        }
        n += 1;
        let t = trend_terms(r, c, rows, cols);
        for i in 0..6 {
            atb[i] += t[i] * v;
            for j in 0..6 {
                ata[i][j] += t[i] * t[j];
            }
        }
    }
    if n < 12 {
        return Err(DemError::Input(format!(
            "only {n} valid pixels for the 6-term trend fit (12 needed)"
        )));
    }
    solve6(ata, atb).ok_or_else(|| {
        DemError::Input("the trend fit is singular (valid pixels on a line?)".into())
    })
}

fn solve6(mut a: [[f64; 6]; 6], mut b: [f64; 6]) -> Option<[f64; 6]> {
    for k in 0..6 {
        let p = (k..6).max_by(|&i, &j| a[i][k].abs().total_cmp(&a[j][k].abs()))?;
        if a[p][k].abs() < 1e-12 {
            return None;
        }
        a.swap(k, p);
        b.swap(k, p);
        for i in k + 1..6 {
            let f = a[i][k] / a[k][k];
            let pivot_row = a[k];
            for (x, p) in a[i].iter_mut().zip(pivot_row.iter()).skip(k) {
                *x -= f * p;
            }
            b[i] -= f * b[k];
        }
    }
    let mut x = [0.0; 6];
    for k in (0..6).rev() {
        let s: f64 = (k + 1..6).map(|j| a[k][j] * x[j]).sum();
        x[k] = (b[k] - s) / a[k][k];
    }
    Some(x)
}

/// Evaluate a trend on a `(rows, cols)` grid.
pub fn eval_trend(t: &Trend, rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(r, c)| {
        let v = trend_terms(r, c, rows, cols);
        (0..6).map(|i| t[i] * v[i]).sum()
    })
}

/// Statistics of one iteration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IterationStats {
    /// Iteration number, 1-based (`Δh_k`).
    pub iteration: usize,
    /// Median of `Δh_k`, metres.
    pub median_dh_m: f64,
    /// NMAD of `Δh_k`, metres.
    pub nmad_dh_m: f64,
    /// Root mean square of `Δh_k`, metres.
    pub rms_dh_m: f64,
    /// Fraction of the map pixels inside the radar scene that were unwrapped (passed the masks).
    pub fraction_unwrapped: f64,
    /// Trend of the first fit, radians.
    pub trend_first: Trend,
    /// Trend of the refit after the extreme-height mask, radians.
    pub trend_refit: Trend,
    /// Extreme-height threshold `min(10 m, 3σ_Δh)`, metres.
    pub extreme_threshold_m: f64,
    /// Pixels used in the refit.
    pub refit_pixels: usize,
    /// Residues the unwrapper found.
    pub residues: usize,
}

/// The products of [`generate_dem`].
#[derive(Debug, Clone)]
pub struct DemProducts {
    /// The final DEM `H_n` (ellipsoid heights), on the reference grid.
    pub dem: Raster<f64>,
    /// `Δh_k` of every iteration (NaN where masked), metres.
    pub dh: Vec<Raster<f64>>,
    /// Coherence of the last iteration on the map grid.
    pub coherence: Raster<f64>,
    /// Mask of the last iteration: 0 valid, 1 low coherence, 2 layover,
    /// 3 shadow, 4 outside the radar scene or no data.
    pub mask: Raster<u8>,
    /// Corrected (unwrapped, trend-removed) residual phase of the last iteration, radians.
    pub unwrapped_phase: Raster<f64>,
    /// `∂φ/∂h` of the last look-up table, rad/m.
    pub dphi_dh: Raster<f64>,
    /// Per-iteration statistics.
    pub stats: Vec<IterationStats>,
}

/// Run the iterative DEM generation of thesis sect. 4.3.1 on a co-registered
/// pair (`active`, `passive` on `pair.grid`) with a reference DEM of
/// ellipsoid heights on a geographic grid.
///
/// `progress(stage, iteration)` is called at the start of every stage.
pub fn generate_dem(
    pair: &PairGeometry,
    active: ArrayView2<'_, Complex32>,
    passive: ArrayView2<'_, Complex32>,
    reference: &Raster<f64>,
    params: &DemParams,
    progress: &dyn Fn(&str, usize),
) -> Result<DemProducts> {
    params.check()?;
    let g = &pair.grid;
    if active.dim() != (g.lines, g.samples) || passive.dim() != (g.lines, g.samples) {
        return Err(DemError::Input(format!(
            "SLC sizes must equal the radar grid {}×{}: active {:?}, passive {:?}",
            g.lines,
            g.samples,
            active.dim(),
            passive.dim()
        )));
    }
    pair.check_coverage()?;
    DemSampler::new(reference)?;
    check_dem_coverage(pair, reference)?;
    let (rows, cols) = reference.shape();
    let mut dem = reference.clone();
    let mut dhs = Vec::new();
    let mut stats = Vec::new();
    let mut last = None;
    let n_looks = (params.looks.0 * params.looks.1) as f64;
    for k in 1..=params.iterations {
        progress("look-up table", k);
        let lut = build_lut(pair, &dem, params.parallel)?;
        progress("simulation", k);
        let sim = simulate(pair, &dem, params.parallel)?;
        progress("interferogram", k);
        let (z, gamma) = residual_interferogram(active, passive, sim.phase.view(), params.looks)?;
        progress("geocoding", k);
        let pad = params.looks.0.max(params.looks.1) / 2 + 1;
        let radar_lay = radar_layover_mask(&lut, g.lines, g.samples, pad);
        let mut wrapped = Array2::from_elem((rows, cols), f64::NAN);
        let mut coh = Array2::from_elem((rows, cols), f64::NAN);
        let mut mask = Array2::from_elem((rows, cols), 4u8);
        for r in 0..rows {
            for c in 0..cols {
                let (lr, lc) = (lut.row[[r, c]], lut.col[[r, c]]);
                if !lr.is_finite() {
                    continue;
                }
                if !lut.dphi_dh[[r, c]].is_finite() {
                    // Next to layover: the slope leaves no height sensitivity.
                    mask[[r, c]] = 2;
                    continue;
                }
                let Some(w) = bilinear(&z, lr, lc, |v: &Complex<f64>| v.re.is_finite()) else {
                    continue;
                };
                let mut zi = Complex::new(0.0, 0.0);
                let mut gi = 0.0;
                for (wt, idx) in w {
                    zi += z[idx] * wt;
                    gi += gamma[idx] * wt;
                }
                wrapped[[r, c]] = zi.im.atan2(zi.re);
                coh[[r, c]] = gi;
                let in_layover_zone = radar_lay[[
                    (lr.round() as usize).min(g.lines - 1),
                    (lc.round() as usize).min(g.samples - 1),
                ]];
                mask[[r, c]] = if lut.layover[[r, c]] || in_layover_zone {
                    2
                } else if lut.shadow[[r, c]] {
                    3
                } else if gi.is_nan() || gi < params.coherence_min {
                    1
                } else {
                    0
                };
            }
        }
        let inside = mask.iter().filter(|&&m| m != 4).count();
        let valid = mask.mapv(|m| m == 0);
        let n_valid = valid.iter().filter(|&&v| v).count();
        if n_valid < 12 {
            return Err(DemError::Input(format!(
                "iteration {k}: only {n_valid} map pixels pass the masks (coherence ≥ {}, no layover/shadow); nothing to unwrap",
                params.coherence_min
            )));
        }
        progress("unwrapping", k);
        // Fill gaps with random phase (seeded) and give them near-zero coherence.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed.wrapping_add(k as u64));
        let mut filled = wrapped.clone();
        let mut wts = coh.clone();
        for (((f, w), &v), &m) in filled
            .iter_mut()
            .zip(wts.iter_mut())
            .zip(valid.iter())
            .zip(mask.iter())
        {
            if !v && m != 4 {
                *f = rng.gen_range(-PI..PI);
                *w = 0.01;
            }
        }
        let up = phase_unwrap::UnwrapParams::default().looks(n_looks);
        let inside_mask = mask.mapv(|m| m != 4);
        let un = phase_unwrap::unwrap(&filled, Some(&wts), Some(&inside_mask), &up)
            .map_err(|e| DemError::Unwrap(e.to_string()))?;
        let mut phi = un.phase;
        for (p, &v) in phi.iter_mut().zip(valid.iter()) {
            if !v {
                *p = f64::NAN;
            }
        }
        progress("trend", k);
        let t1 = fit_trend(phi.view(), valid.view())?;
        let tr1 = eval_trend(&t1, rows, cols);
        let pre = Array2::from_shape_fn((rows, cols), |(r, c)| {
            (phi[[r, c]] - tr1[[r, c]]) / lut.dphi_dh[[r, c]]
        });
        let sigma = sar_core::stats::std(pre.iter().copied(), 1).unwrap_or(f64::INFINITY);
        let thr = params.extreme_max_m.min(params.extreme_sigmas * sigma);
        let fit_px = Array2::from_shape_fn((rows, cols), |(r, c)| {
            valid[[r, c]] && pre[[r, c]].abs() <= thr
        });
        let refit_pixels = fit_px.iter().filter(|&&v| v).count();
        let t2 = fit_trend(phi.view(), fit_px.view())?;
        let tr2 = eval_trend(&t2, rows, cols);
        let corrected = &phi - &tr2;
        let dh = Array2::from_shape_fn((rows, cols), |(r, c)| {
            corrected[[r, c]] / lut.dphi_dh[[r, c]]
        });
        for (h, &d) in dem.data.iter_mut().zip(dh.iter()) {
            if d.is_finite() {
                *h += d;
            }
        }
        let vals = sar_core::stats::finite_values(dh.iter().copied());
        let rms = (vals.iter().map(|v| v * v).sum::<f64>() / vals.len().max(1) as f64).sqrt();
        stats.push(IterationStats {
            iteration: k,
            median_dh_m: sar_core::stats::median(vals.iter().copied()).unwrap_or(f64::NAN),
            nmad_dh_m: sar_core::stats::nmad(vals.iter().copied()).unwrap_or(f64::NAN),
            rms_dh_m: rms,
            fraction_unwrapped: n_valid as f64 / inside.max(1) as f64,
            trend_first: t1,
            trend_refit: t2,
            extreme_threshold_m: thr,
            refit_pixels,
            residues: un.residues,
        });
        dhs.push(Raster::new(dh, reference.grid.clone())?);
        last = Some((coh, mask, corrected, lut.dphi_dh));
    }
    let (coh, mask, corrected, dphi) = last.expect("at least one iteration");
    Ok(DemProducts {
        dem,
        dh: dhs,
        coherence: Raster::new(coh, reference.grid.clone())?,
        mask: Raster::new(mask, reference.grid.clone())?,
        unwrapped_phase: Raster::new(corrected, reference.grid.clone())?,
        dphi_dh: Raster::new(dphi, reference.grid.clone())?,
        stats,
    })
}

/// Convert geoid (orthometric) heights to ellipsoid heights, `H_ell = H + N`,
/// with the geoid undulation `N` resampled bilinearly from `geoid` (metres,
/// geographic grid) onto the DEM grid. Errors if the geoid grid does not
/// cover a valid DEM pixel.
pub fn geoid_to_ellipsoid(dem: &Raster<f64>, geoid: &Raster<f64>) -> Result<Raster<f64>> {
    let n = undulation_on(dem, geoid)?;
    Ok(Raster::new(&dem.data + &n, dem.grid.clone())?)
}

/// Convert ellipsoid heights back to geoid heights, `H = H_ell − N`.
pub fn ellipsoid_to_geoid(dem: &Raster<f64>, geoid: &Raster<f64>) -> Result<Raster<f64>> {
    let n = undulation_on(dem, geoid)?;
    Ok(Raster::new(&dem.data - &n, dem.grid.clone())?)
}

fn undulation_on(dem: &Raster<f64>, geoid: &Raster<f64>) -> Result<Array2<f64>> {
    let s = DemSampler::new(geoid)?;
    let mut out = Array2::from_elem(dem.shape(), f64::NAN);
    for ((r, c), v) in out.indexed_iter_mut() {
        if !dem.data[[r, c]].is_finite() {
            continue;
        }
        let (lon, lat) = dem.grid.pixel_center(r, c);
        match s.height(lat, lon) {
            Some(n) => *v = n,
            None => {
                return Err(DemError::Input(format!(
                "the geoid grid does not cover DEM pixel ({r}, {c}) at lon {lon:.5}, lat {lat:.5}"
            )))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_fit_recovers_known_surface() {
        let t: Trend = [0.3, -1.2, 0.7, 0.25, -0.4, 0.9];
        let v = eval_trend(&t, 23, 31);
        let mask = Array2::from_shape_fn((23, 31), |(r, c)| (r + c) % 3 != 0);
        let f = fit_trend(v.view(), mask.view()).unwrap();
        for i in 0..6 {
            assert!((f[i] - t[i]).abs() < 1e-10, "{f:?}");
        }
        let none = Array2::from_elem((23, 31), false);
        assert!(fit_trend(v.view(), none.view()).is_err());
    }

    #[test]
    fn params_check_names_the_parameter() {
        let e = DemParams::default().iterations(0).check().unwrap_err();
        assert!(e.to_string().contains("iterations"));
        let e = DemParams::default().coherence_min(1.5).check().unwrap_err();
        assert!(e.to_string().contains("coherence_min"));
        let e = DemParams::default().looks(4, 5).check().unwrap_err();
        assert!(e.to_string().contains("looks"));
        assert!(DemParams::default().check().is_ok());
    }
}
