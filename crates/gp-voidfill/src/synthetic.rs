//! A synthetic glacier with a known dh/dt field, for tests, examples and
//! benches.
//!
//! The glacier flows along +x (high accumulation basin at the left edge,
//! narrow tongue at the right). The DEM is analytic, so slope and aspect are
//! exact. The true dh/dt (m/yr) is smooth and depends on elevation and
//! position:
//! $\dot h = -3 + 3.5\,\hat h + 0.6 \sin(3\pi u)\cos(\pi v) + 0.4 v +
//! 0.3\sin(9u)\sin(7v)$ with $\hat h$ the normalised elevation and $(u, v)$
//! the normalised along/across-flow coordinates. Measurements add Gaussian
//! noise and are void (NaN) in discs of the upper accumulation area and on
//! slopes steeper than a threshold, as SAR shadow/layover voids are.

use ndarray::Array2;
use rand::Rng;
use rand_distr::{Distribution, Normal};
use sar_core::{Crs, Grid, Raster};

/// Parameters of the synthetic glacier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticGlacierParams {
    /// Raster rows (across flow).
    pub rows: usize,
    /// Raster columns (along flow).
    pub cols: usize,
    /// Pixel size (m).
    pub pixel_m: f64,
    /// Standard deviation of the measurement noise (m/yr).
    pub noise_std: f64,
    /// Number of void discs in the accumulation area.
    pub void_discs: usize,
    /// Slope above which pixels are void (degrees).
    pub steep_void_deg: f64,
}

impl Default for SyntheticGlacierParams {
    fn default() -> Self {
        Self {
            rows: 60,
            cols: 100,
            pixel_m: 30.0,
            noise_std: 0.25,
            void_discs: 3,
            steep_void_deg: 30.0,
        }
    }
}

/// A synthetic glacier scene.
#[derive(Debug, Clone)]
pub struct SyntheticGlacier {
    /// Reference DEM (m).
    pub dem: Raster<f64>,
    /// Exact slope (degrees).
    pub slope_deg: Raster<f64>,
    /// Exact aspect (degrees clockwise from north, downslope direction).
    pub aspect_deg: Raster<f64>,
    /// Glacier mask (1 inside).
    pub mask: Raster<u8>,
    /// Noise-free dh/dt (m/yr) inside the glacier, NaN outside.
    pub truth: Raster<f64>,
    /// Measured dh/dt (truth + noise) with NaN voids and NaN outside.
    pub observed: Raster<f64>,
    /// 1 where a glacier pixel is void.
    pub voids: Raster<u8>,
}

/// Builds a synthetic glacier; `rng` draws the noise and the void discs.
pub fn glacier<R: Rng>(p: &SyntheticGlacierParams, rng: &mut R) -> SyntheticGlacier {
    let (rows, cols) = (p.rows.max(4), p.cols.max(4));
    let grid = Grid::north_up(
        rows,
        cols,
        500_000.0,
        4_000_000.0,
        p.pixel_m,
        p.pixel_m,
        Crs::epsg(32643),
    );
    let lx = cols as f64 * p.pixel_m;
    let ly = rows as f64 * p.pixel_m / 2.0;
    // elevation and its gradient in (u, v), then chain rule to (x east, y north)
    // along-flow gradient 0.18 (10 deg), cross-valley parabola, bumps and a
    // steep headwall at the top (u -> 0); amplitudes scale with the size so
    // slopes do not depend on the raster size
    let pi = std::f64::consts::PI;
    let dem_fn = |u: f64, v: f64| -> (f64, f64, f64) {
        let h = 5500.0 - 0.18 * lx * u
            + 0.12 * ly * v * v
            + 0.012 * lx * (3.0 * pi * u).sin() * (2.0 * v).cos()
            + 0.1 * lx * (-u / 0.08).exp();
        let dhdu = -0.18 * lx + 0.012 * lx * 3.0 * pi * (3.0 * pi * u).cos() * (2.0 * v).cos()
            - 0.1 * lx / 0.08 * (-u / 0.08).exp();
        let dhdv = 0.24 * ly * v - 0.024 * lx * (3.0 * pi * u).sin() * (2.0 * v).sin();
        (h, dhdu, dhdv)
    };
    let mut dem = Array2::zeros((rows, cols));
    let mut slope = Array2::zeros((rows, cols));
    let mut aspect = Array2::zeros((rows, cols));
    let mut mask = Array2::<u8>::zeros((rows, cols));
    let mut uv = Array2::from_elem((rows, cols), (0.0, 0.0));
    for r in 0..rows {
        for c in 0..cols {
            let u = (c as f64 + 0.5) / cols as f64;
            let v = (r as f64 + 0.5 - rows as f64 / 2.0) / (rows as f64 / 2.0);
            let (h, hu, hv) = dem_fn(u, v);
            // x = x0 + u lx (east); y = y0 - (v + 1) ly (v grows southwards)
            let gx = hu / lx;
            let gy = -hv / ly;
            let g = (gx * gx + gy * gy).sqrt();
            dem[[r, c]] = h;
            slope[[r, c]] = g.atan().to_degrees();
            aspect[[r, c]] = if g > 0.0 {
                let a = (-gx).atan2(-gy).to_degrees();
                if a < 0.0 {
                    a + 360.0
                } else {
                    a
                }
            } else {
                f64::NAN
            };
            let half_width = 0.9 - 0.5 * u;
            if v.abs() < half_width && u > 0.02 && u < 0.97 {
                mask[[r, c]] = 1;
            }
            uv[[r, c]] = (u, v);
        }
    }
    let (hmin, hmax) = dem
        .iter()
        .zip(mask.iter())
        .filter(|(_, m)| **m != 0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (h, _)| {
            (a.min(*h), b.max(*h))
        });
    let discs: Vec<(f64, f64, f64)> = (0..p.void_discs)
        .map(|_| {
            (
                rng.gen_range(0.08..0.35),
                rng.gen_range(-0.45..0.45),
                rng.gen_range(0.05..0.09),
            )
        })
        .collect();
    let noise =
        Normal::new(0.0, p.noise_std.max(0.0)).unwrap_or(Normal::new(0.0, 0.0).expect("valid"));
    let mut truth = Array2::from_elem((rows, cols), f64::NAN);
    let mut observed = Array2::from_elem((rows, cols), f64::NAN);
    let mut voids = Array2::<u8>::zeros((rows, cols));
    for r in 0..rows {
        for c in 0..cols {
            if mask[[r, c]] == 0 {
                continue;
            }
            let (u, v) = uv[[r, c]];
            let hn = (dem[[r, c]] - hmin) / (hmax - hmin);
            let t = -3.0
                + 3.5 * hn
                + 0.6 * (3.0 * pi * u).sin() * (pi * v).cos()
                + 0.4 * v
                + 0.3 * (9.0 * u).sin() * (7.0 * v).sin();
            truth[[r, c]] = t;
            let in_disc = discs.iter().any(|&(du, dv, rad)| {
                let (a, b) = (u - du, (v - dv) * ly / lx);
                (a * a + b * b).sqrt() < rad
            });
            let obs = t + noise.sample(rng);
            if in_disc || slope[[r, c]] > p.steep_void_deg {
                voids[[r, c]] = 1;
            } else {
                observed[[r, c]] = obs;
            }
        }
    }
    let mk = |d: Array2<f64>| Raster::new(d, grid.clone()).expect("shape matches grid");
    SyntheticGlacier {
        dem: mk(dem),
        slope_deg: mk(slope),
        aspect_deg: mk(aspect),
        mask: Raster::new(mask, grid.clone()).expect("shape matches grid"),
        truth: mk(truth),
        observed: mk(observed),
        voids: Raster::new(voids, grid.clone()).expect("shape matches grid"),
    }
}
