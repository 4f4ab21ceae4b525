//! Synthetic regions with a known answer, for tests, the demo and the
//! calibration study: an analytic mountain surface, elliptical glaciers with
//! a known dh/dt (elevation-dependent; every `surge_every`-th glacier with a
//! surge-type reservoir-thickening pattern), a later DEM displaced by a known
//! horizontal and vertical shift, heteroscedastic (σ(slope) = a·e^{b·α} + c)
//! and spatially correlated (a given variogram) dh/dt noise, and voids.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::terrain::{slope_aspect, GradientMethod};
use sar_core::{Crs, Date, Grid, Raster};
use uncertainty::{FieldGenerator, ModelKind, VariogramComponent, VariogramModel};

use crate::coreg::shift_bilinear;
use crate::error::{MbError, Result};
use crate::glacier::GlacierInfo;
use crate::surge::SurgeClass;

/// Parameters of [`region`].
#[derive(Debug, Clone, PartialEq)]
pub struct RegionParams {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Pixel size (m).
    pub pixel_m: f64,
    /// Glaciers along rows × columns of the layout grid.
    pub layout: (usize, usize),
    /// Seed.
    pub seed: u64,
    /// σ(α) = a·e^{b·α} + c of the dh/dt noise (m/yr, α in degrees).
    pub sigma_abc: (f64, f64, f64),
    /// Correlation of the standardised noise.
    pub variogram: VariogramModel,
    /// Fraction of pixels in voids, in [0, 0.9].
    pub void_fraction: f64,
    /// Horizontal (east, north) and vertical shift of the later DEM (m).
    pub shift: (f64, f64, f64),
    /// Every `surge_every`-th glacier is surge-type (0: none).
    pub surge_every: usize,
}

impl Default for RegionParams {
    /// 256 × 256 px of 30 m, 3 × 3 glaciers, σ(α) = 0.018·e^{0.066α} + 0.074
    /// (the thesis's fit, eq. 4.17, in m/yr), the thesis's Karakoram
    /// variogram shape (Gaussian 205 m / 0.76 + Spherical 1590 m / 0.28,
    /// normalised to unit sill), 15 % voids, shift (12, −7, 3) m, every 4th
    /// glacier surge-type.
    fn default() -> Self {
        RegionParams {
            rows: 256,
            cols: 256,
            pixel_m: 30.0,
            layout: (3, 3),
            seed: 0,
            sigma_abc: (0.018, 0.066, 0.074),
            variogram: VariogramModel::new(vec![
                VariogramComponent::new(ModelKind::Gaussian, 205.0, 0.76 / 1.04),
                VariogramComponent::new(ModelKind::Spherical, 1590.0, 0.28 / 1.04),
            ])
            .unwrap_or_else(|_| VariogramModel::thesis_karakoram()),
            void_fraction: 0.15,
            shift: (12.0, -7.0, 3.0),
            surge_every: 4,
        }
    }
}

/// A synthetic region.
#[derive(Debug, Clone)]
pub struct SyntheticRegion {
    /// The true surface at the first date (the reference DEM), m.
    pub reference: Raster<f64>,
    /// The later DEM: surface + change + noise, displaced and with voids.
    pub later: Raster<f64>,
    /// First acquisition date.
    pub date_earlier: Date,
    /// Later acquisition date.
    pub date_later: Date,
    /// Interval (years).
    pub years: f64,
    /// True dh/dt (m/yr; 0 off glacier).
    pub dhdt_truth: Raster<f64>,
    /// The dh/dt noise that was added (m/yr).
    pub noise: Raster<f64>,
    /// Glacier labels.
    pub labels: Raster<u32>,
    /// Glacier descriptions.
    pub glaciers: Vec<GlacierInfo>,
    /// True glacier-wide mean dh/dt per glacier (m/yr).
    pub truth_mean: Vec<f64>,
}

/// The analytic mountain surface (m) at map point (x, y) relative to the
/// region's origin.
pub fn surface(x: f64, y: f64) -> f64 {
    4600.0
        + 800.0 * (x / 2100.0).sin() * (y / 2600.0).cos()
        + 450.0 * ((x + 0.7 * y) / 1300.0).sin()
        + 120.0 * ((0.8 * x - y) / 480.0).cos()
        + 0.04 * y
}

/// Generate a region.
///
/// # Errors
/// Invalid sizes or fractions; the field generator's errors.
pub fn region(p: &RegionParams) -> Result<SyntheticRegion> {
    if p.rows < 16 || p.cols < 16 || p.pixel_m.is_nan() || p.pixel_m <= 0.0 {
        return Err(MbError::param(
            "rows/cols/pixel_m",
            "need ≥ 16 × 16 pixels of positive size",
        ));
    }
    if !(0.0..=0.9).contains(&p.void_fraction) {
        return Err(MbError::param("void_fraction", "must be in [0, 0.9]"));
    }
    if p.layout.0 == 0 || p.layout.1 == 0 {
        return Err(MbError::param("layout", "need at least one glacier"));
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(p.seed);
    let (x0, y0) = (500_000.0, 4_000_000.0);
    let grid = Grid::north_up(
        p.rows,
        p.cols,
        x0,
        y0 + p.rows as f64 * p.pixel_m,
        p.pixel_m,
        p.pixel_m,
        Crs::epsg(32643),
    );
    let surf = |x: f64, y: f64| surface(x - x0, y - y0);
    let reference = Raster::new(
        Array2::from_shape_fn(grid.shape(), |(r, c)| {
            let (x, y) = grid.pixel_center(r, c);
            surf(x, y)
        }),
        grid.clone(),
    )?;
    let slope = slope_aspect(&reference, GradientMethod::Horn)?.slope;
    // glaciers: ellipses in a jittered layout
    let (gr, gc) = p.layout;
    let (ch, cw) = (p.rows as f64 / gr as f64, p.cols as f64 / gc as f64);
    let mut labels = Array2::<u32>::zeros(grid.shape());
    let mut glaciers = Vec::new();
    let mut params_g = Vec::new();
    for i in 0..gr {
        for j in 0..gc {
            let k = glaciers.len() as u32 + 1;
            let cy = (i as f64 + 0.5 + rng.gen_range(-0.1..0.1)) * ch;
            let cx = (j as f64 + 0.5 + rng.gen_range(-0.1..0.1)) * cw;
            let a = rng.gen_range(0.25..0.42) * cw;
            let b = rng.gen_range(0.15..0.3) * ch;
            let th: f64 = rng.gen_range(0.0..std::f64::consts::PI);
            let (st, ct) = th.sin_cos();
            let r0 = (cy - a.max(b)).floor().max(0.0) as usize;
            let r1 = ((cy + a.max(b)).ceil() as usize).min(p.rows - 1);
            let c0 = (cx - a.max(b)).floor().max(0.0) as usize;
            let c1 = ((cx + a.max(b)).ceil() as usize).min(p.cols - 1);
            for r in r0..=r1 {
                for c in c0..=c1 {
                    let (dy, dx) = (r as f64 + 0.5 - cy, c as f64 + 0.5 - cx);
                    let u = dx * ct + dy * st;
                    let v = -dx * st + dy * ct;
                    if (u / a).powi(2) + (v / b).powi(2) <= 1.0 && labels[[r, c]] == 0 {
                        labels[[r, c]] = k;
                    }
                }
            }
            let surge = p.surge_every > 0 && (k as usize) % p.surge_every == 0;
            glaciers.push(GlacierInfo {
                label: k,
                id: format!("SYN-{k:03}"),
                name: format!("synthetic glacier {k}"),
                surge: if surge {
                    SurgeClass::Observed
                } else {
                    SurgeClass::NoEvidence
                },
            });
            params_g.push((
                rng.gen_range(-0.9..0.2),
                rng.gen_range(0.0015..0.004),
                surge,
            ));
        }
    }
    // elevation range per glacier
    let n = glaciers.len();
    let mut hmin = vec![f64::INFINITY; n];
    let mut hmax = vec![f64::NEG_INFINITY; n];
    for (l, h) in labels.iter().zip(reference.data.iter()) {
        if *l > 0 {
            let i = *l as usize - 1;
            hmin[i] = hmin[i].min(*h);
            hmax[i] = hmax[i].max(*h);
        }
    }
    let truth = Array2::from_shape_fn(grid.shape(), |idx| {
        let l = labels[idx];
        if l == 0 {
            return 0.0;
        }
        let i = l as usize - 1;
        let h = reference.data[idx];
        let mid = 0.5 * (hmin[i] + hmax[i]);
        let (b0, g, surge) = params_g[i];
        if surge {
            // reservoir thickening: +1.2 m/yr above, −2.2 m/yr below (smooth step)
            let s = ((h - mid) / (0.08 * (hmax[i] - hmin[i]).max(1.0))).tanh();
            -0.5 + 1.7 * s
        } else {
            (b0 + g * (h - mid)).clamp(-4.0, 1.0)
        }
    });
    let mut sum = vec![0.0; n];
    let mut cnt = vec![0usize; n];
    for (l, t) in labels.iter().zip(truth.iter()) {
        if *l > 0 {
            sum[*l as usize - 1] += t;
            cnt[*l as usize - 1] += 1;
        }
    }
    let truth_mean: Vec<f64> = sum
        .iter()
        .zip(&cnt)
        .map(|(s, c)| if *c > 0 { s / *c as f64 } else { f64::NAN })
        .collect();
    // noise
    let gen = FieldGenerator::new(p.rows, p.cols, (p.pixel_m, p.pixel_m), &p.variogram)?;
    let z = gen.sample(&mut rng);
    let (a, b, c) = p.sigma_abc;
    let noise = Array2::from_shape_fn(grid.shape(), |idx| {
        let s = slope.data[idx];
        let s = if s.is_finite() { s } else { 0.0 };
        (a * (b * s).exp() + c) * z[idx]
    });
    // voids from a smooth random field thresholded at its quantile
    let vgen = FieldGenerator::new(
        p.rows,
        p.cols,
        (p.pixel_m, p.pixel_m),
        &VariogramModel::new(vec![VariogramComponent::new(
            ModelKind::Gaussian,
            12.0 * p.pixel_m,
            1.0,
        )])?,
    )?;
    let vf = vgen.sample(&mut rng);
    let thr = if p.void_fraction > 0.0 {
        sar_core::stats::percentile(vf.iter().copied(), 100.0 * (1.0 - p.void_fraction))
            .unwrap_or(f64::INFINITY)
    } else {
        f64::INFINITY
    };
    let date_earlier = Date::from_ymd(2011, 12, 15)?;
    let date_later = Date::from_ymd(2019, 12, 20)?;
    let years = date_later.days_since(date_earlier) as f64 / crate::dhdt::DAYS_PER_YEAR;
    // the later surface on the reference positions, then displaced
    let change = Raster::new(
        Array2::from_shape_fn(grid.shape(), |idx| (truth[idx] + noise[idx]) * years),
        grid.clone(),
    )?;
    let (dx, dy, dz) = p.shift;
    // later(x) = surface(x − d) + change(x − d) + dz
    let change_shifted = shift_bilinear(&change, -dx, -dy)?;
    let mut later = Array2::from_shape_fn(grid.shape(), |(r, cc)| {
        let (x, y) = grid.pixel_center(r, cc);
        surf(x - dx, y - dy) + change_shifted.data[[r, cc]] + dz
    });
    for (v, f) in later.iter_mut().zip(vf.iter()) {
        if *f > thr {
            *v = f64::NAN;
        }
    }
    Ok(SyntheticRegion {
        reference,
        later: Raster::new(later, grid.clone())?,
        date_earlier,
        date_later,
        years,
        dhdt_truth: Raster::new(truth, grid.clone())?,
        noise: Raster::new(noise, grid.clone())?,
        labels: Raster::new(labels, grid)?,
        glaciers,
        truth_mean,
    })
}
