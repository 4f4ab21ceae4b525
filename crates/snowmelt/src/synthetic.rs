//! A synthetic mountain basin with known truth, for tests, demos and benches.
//!
//! * **DEM**: a ridged fractal surface (six octaves of random-direction
//!   cosine waves, folded as `(1 − |n|)²`) on a valley-to-peak trend, from
//!   `z_min` to `z_max` metres; slope and aspect are the analytic gradient of
//!   that surface (aspect = downslope azimuth, clockwise from north).
//! * **Local incidence angle** of a right-looking sensor (`heading_deg`,
//!   `incidence_deg`) from [`sar_core::terrain::local_incidence_angle`] on
//!   the analytic slope and aspect (≥ 90° is shadow).
//! * **Truth wet snow**: elevation between `snowline_m − aspect_amp_m·cos(aspect)`
//!   and `upper_m` (north-facing slopes melt lower, dry snow above `upper_m`).
//! * **Backscatter** (linear γ⁰): a winter level falling with θ
//!   (−6 dB − 0.25 dB/° · (θ − 30°) in VV, VH 8 dB lower) with a fixed
//!   per-pixel texture; each acquisition multiplies by gamma-distributed
//!   speckle of `looks` looks (mean 1). Summer acquisitions change dry
//!   pixels by N(0, `change_sd_db`) and drop wet-snow pixels by
//!   `wet_drop_vv_db` / `wet_drop_vh_db`; a fraction `outlier_fraction` of
//!   summer pixels is set to 10⁻⁹ (≈ −80 dB ratios), and a 10×10 patch is NaN.
//! * **Sentinel-2-like reflectances** for the same day: snow where the truth
//!   is wet or above `upper_m` (dry snow), a glacier-ice patch, a cloud
//!   disc, shaded snow on steep north faces (all reflectances × 0.25), and the
//!   optical truth classes of [`crate::optical::class`].

use ndarray::Array2;
use rand::Rng;
use rand::SeedableRng;
use rand_distr::{Distribution, Gamma, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::terrain::{local_incidence_angle, Incidence, LookDirection};
use sar_core::{Crs, Date, Grid, Raster};

use crate::error::{Result, SnowError};
use crate::optical::{class as oclass, Reflectances};
use crate::ratio::{composite_ratio, geometry, geometry_mask_from_terrain, Masks, RatioParams};
use crate::reference::{build_reference, Acquisition, DualPol, ReferenceParams};

/// Parameters of the synthetic basin.
#[derive(Debug, Clone, PartialEq)]
pub struct BasinParams {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Pixel size (metres).
    pub pixel_m: f64,
    /// Lowest elevation (metres).
    pub z_min: f64,
    /// Highest elevation (metres).
    pub z_max: f64,
    /// Lower wet-snow limit on east/west slopes (metres).
    pub snowline_m: f64,
    /// Amplitude of the aspect dependence of the lower limit (metres).
    pub aspect_amp_m: f64,
    /// Upper wet-snow limit; dry snow above (metres).
    pub upper_m: f64,
    /// Ellipsoid incidence angle (degrees).
    pub incidence_deg: f64,
    /// Flight heading, clockwise from north (degrees).
    pub heading_deg: f64,
    /// Equivalent number of looks of each acquisition.
    pub looks: f64,
    /// Number of winter acquisitions in the reference.
    pub n_winter: usize,
    /// Backscatter drop of wet snow in VV (dB).
    pub wet_drop_vv_db: f64,
    /// Backscatter drop of wet snow in VH (dB).
    pub wet_drop_vh_db: f64,
    /// Standard deviation of the summer change of dry pixels (dB).
    pub change_sd_db: f64,
    /// Fraction of summer pixels set to near-zero backscatter.
    pub outlier_fraction: f64,
}

impl Default for BasinParams {
    fn default() -> Self {
        BasinParams {
            rows: 256,
            cols: 256,
            pixel_m: 80.0,
            z_min: 2500.0,
            z_max: 6800.0,
            snowline_m: 4300.0,
            aspect_amp_m: 300.0,
            upper_m: 5600.0,
            incidence_deg: 39.0,
            heading_deg: -10.0,
            looks: 6.0,
            n_winter: 6,
            wet_drop_vv_db: 3.0,
            wet_drop_vh_db: 3.5,
            change_sd_db: 0.7,
            outlier_fraction: 0.003,
        }
    }
}

impl BasinParams {
    /// Defaults: 256 × 256 pixels of 80 m, 2500–6800 m.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set the size.
    pub fn size(mut self, rows: usize, cols: usize) -> Self {
        self.rows = rows;
        self.cols = cols;
        self
    }
}

/// The generated basin.
#[derive(Debug, Clone)]
pub struct Basin {
    /// DEM (metres).
    pub dem: Raster<f64>,
    /// Slope (degrees).
    pub slope: Raster<f64>,
    /// Aspect (degrees clockwise from north, downslope).
    pub aspect: Raster<f64>,
    /// Local incidence angle (degrees).
    pub lia: Raster<f64>,
    /// Truth: 1 wet snow, 0 not, 255 in layover or shadow.
    pub truth: Raster<u8>,
    /// Winter acquisitions (one orbit).
    pub winter: Vec<Acquisition>,
    /// Summer acquisition.
    pub summer: Acquisition,
    /// Winter reference (mean of `winter`).
    pub reference: DualPol,
    /// R_c of the summer acquisition (dB), Nagler weights, layover and shadow masked.
    pub rc_db: Raster<f64>,
    /// Sentinel-2-like reflectances of the summer day.
    pub optical: Reflectances,
    /// Optical truth classes ([`crate::optical::class`]).
    pub optical_truth: Raster<u8>,
}

struct Wave {
    kx: f64,
    ky: f64,
    phase: f64,
}

/// Elevation and gradient (dz/dx east, dz/dy north) of the fractal surface.
struct Surface {
    octaves: Vec<(f64, Vec<Wave>)>,
    width_m: f64,
    height_m: f64,
}

impl Surface {
    fn new<R: Rng>(rng: &mut R, width_m: f64, height_m: f64) -> Self {
        let base_wavelength = width_m.max(height_m) * 0.8;
        let octaves = (0..6)
            .map(|o| {
                let amp = 0.5f64.powf(o as f64 * 1.3);
                let lambda = base_wavelength / 2f64.powi(o);
                let waves = (0..5)
                    .map(|_| {
                        let dir: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
                        let k = std::f64::consts::TAU / lambda * rng.gen_range(0.8..1.25);
                        Wave {
                            kx: k * dir.cos(),
                            ky: k * dir.sin(),
                            phase: rng.gen_range(0.0..std::f64::consts::TAU),
                        }
                    })
                    .collect();
                (amp, waves)
            })
            .collect();
        Surface {
            octaves,
            width_m,
            height_m,
        }
    }

    /// Unscaled height and gradient at map position (x east, y north) metres.
    fn eval(&self, x: f64, y: f64) -> (f64, f64, f64) {
        let (mut h, mut gx, mut gy) = (0.0, 0.0, 0.0);
        let norm = 1.0 / (5f64).sqrt();
        for (amp, waves) in &self.octaves {
            let (mut n, mut nx, mut ny) = (0.0, 0.0, 0.0);
            for w in waves {
                let a = w.kx * x + w.ky * y + w.phase;
                n += a.cos() * norm;
                nx -= a.sin() * w.kx * norm;
                ny -= a.sin() * w.ky * norm;
            }
            let r = 1.0 - n.abs().min(1.0);
            let s = if n.abs() >= 1.0 { 0.0 } else { -n.signum() };
            h += amp * r * r;
            gx += amp * 2.0 * r * s * nx;
            gy += amp * 2.0 * r * s * ny;
        }
        // Valley-to-peak trend: low at the south-west corner.
        let trend = 2.5;
        h += trend * (x / self.width_m + y / self.height_m) * 0.5;
        gx += trend * 0.5 / self.width_m;
        gy += trend * 0.5 / self.height_m;
        (h, gx, gy)
    }
}

/// Snow on slopes steeper than this (degrees) facing north within
/// ±[`SHADED_HALF_SECTOR_DEG`] is in the shade: all reflectances × 0.25.
pub const SHADED_SLOPE_DEG: f64 = 35.0;
/// Half width of the shaded north-facing sector (degrees).
pub const SHADED_HALF_SECTOR_DEG: f64 = 30.0;

/// True on slopes steeper than [`SHADED_SLOPE_DEG`] facing north within
/// ±[`SHADED_HALF_SECTOR_DEG`] (false for NaN aspect).
pub fn is_shaded(slope_deg: f64, aspect_deg: f64) -> bool {
    let north = aspect_deg.is_finite()
        && !(SHADED_HALF_SECTOR_DEG..=360.0 - SHADED_HALF_SECTOR_DEG).contains(&aspect_deg);
    slope_deg > SHADED_SLOPE_DEG && north
}

/// Truth rule of the wet snow: lower limit depends on aspect.
pub fn truth_wet(params: &BasinParams, z: f64, aspect_deg: f64) -> bool {
    let a = if aspect_deg.is_nan() {
        90.0
    } else {
        aspect_deg
    };
    let lower = params.snowline_m - params.aspect_amp_m * a.to_radians().cos();
    z >= lower && z < params.upper_m
}

fn db(x: f64) -> f64 {
    10f64.powf(x / 10.0)
}

impl Basin {
    /// Generate the basin from `params` with RNG seed `seed`.
    pub fn generate(params: &BasinParams, seed: u64) -> Result<Basin> {
        if params.rows < 16
            || params.cols < 16
            || params.pixel_m.is_nan()
            || params.pixel_m <= 0.0
            || params.looks.is_nan()
            || params.looks < 1.0
        {
            return Err(SnowError::InvalidParameter {
                name: "params",
                reason: "need at least 16 × 16 pixels, pixel_m > 0 and looks ≥ 1".into(),
            });
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let (rows, cols, px) = (params.rows, params.cols, params.pixel_m);
        let grid = Grid::north_up(rows, cols, 400_000.0, 4_000_000.0, px, px, Crs::epsg(32643));
        let surf = Surface::new(&mut rng, cols as f64 * px, rows as f64 * px);
        let mut h = Array2::zeros((rows, cols));
        let mut gx = Array2::zeros((rows, cols));
        let mut gy = Array2::zeros((rows, cols));
        for r in 0..rows {
            for c in 0..cols {
                let x = (c as f64 + 0.5) * px;
                let y = (rows as f64 - r as f64 - 0.5) * px;
                let (v, a, b) = surf.eval(x, y);
                h[[r, c]] = v;
                gx[[r, c]] = a;
                gy[[r, c]] = b;
            }
        }
        let (lo, hi) = h
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, u), &v| {
                (l.min(v), u.max(v))
            });
        let scale = (params.z_max - params.z_min) / (hi - lo);
        let dem = h.mapv(|v| params.z_min + (v - lo) * scale);
        gx.mapv_inplace(|v| v * scale);
        gy.mapv_inplace(|v| v * scale);
        let slope = ndarray::Zip::from(&gx)
            .and(&gy)
            .map_collect(|&a, &b| (a * a + b * b).sqrt().atan().to_degrees());
        let aspect = ndarray::Zip::from(&gx).and(&gy).map_collect(|&a, &b| {
            if a == 0.0 && b == 0.0 {
                f64::NAN
            } else {
                (-a).atan2(-b).to_degrees().rem_euclid(360.0)
            }
        });
        let slope_r = Raster::new(slope.clone(), grid.clone())?;
        let aspect_r = Raster::new(aspect.clone(), grid.clone())?;
        let lia_r = local_incidence_angle(
            &slope_r,
            &aspect_r,
            &Incidence::Constant(params.incidence_deg),
            params.heading_deg,
            LookDirection::Right,
        )?;
        let lia = lia_r.data.clone();
        let geom = geometry_mask_from_terrain(
            &slope_r,
            &aspect_r,
            params.incidence_deg,
            params.heading_deg,
            LookDirection::Right,
        )?;
        let truth = ndarray::Zip::from(&dem)
            .and(&aspect)
            .and(&geom.data)
            .map_collect(|&z, &a, &g| {
                if g != geometry::VALID {
                    255
                } else {
                    u8::from(truth_wet(params, z, a))
                }
            });
        // Backscatter.
        let normal = Normal::new(0.0, 1.0).map_err(|e| SnowError::Degenerate(e.to_string()))?;
        let speckle = Gamma::new(params.looks, 1.0 / params.looks)
            .map_err(|e| SnowError::Degenerate(e.to_string()))?;
        let texture: Array2<f64> =
            Array2::from_shape_fn((rows, cols), |_| 1.5 * normal.sample(&mut rng));
        let base_vv = ndarray::Zip::from(&lia)
            .and(&texture)
            .map_collect(|&t, &tx| -6.0 - 0.25 * (t.min(89.0) - 30.0) + tx);
        let acquire = |drop: &dyn Fn(usize, usize, &mut Xoshiro256PlusPlus) -> (f64, f64),
                       rng: &mut Xoshiro256PlusPlus|
         -> DualPol {
            let mut vv = Array2::zeros((rows, cols));
            let mut vh = Array2::zeros((rows, cols));
            for r in 0..rows {
                for c in 0..cols {
                    let (dvv, dvh) = drop(r, c, rng);
                    vv[[r, c]] = db(base_vv[[r, c]] + dvv) * speckle.sample(rng);
                    vh[[r, c]] = db(base_vv[[r, c]] - 8.0 + dvh) * speckle.sample(rng);
                }
            }
            DualPol::new(
                Raster::new(vv, grid.clone()).unwrap_or_else(|_| unreachable!()),
                Raster::new(vh, grid.clone()).unwrap_or_else(|_| unreachable!()),
            )
        };
        let mut winter = Vec::with_capacity(params.n_winter);
        for i in 0..params.n_winter {
            let date = Date::from_ymd(2017 + (i / 2) as i32, if i % 2 == 0 { 1 } else { 2 }, 10)?;
            let bs = acquire(&|_, _, _| (0.0, 0.0), &mut rng);
            winter.push(Acquisition {
                date,
                orbit: 1,
                backscatter: bs,
            });
        }
        let change_sd = params.change_sd_db;
        let (dvv, dvh) = (params.wet_drop_vv_db, params.wet_drop_vh_db);
        let mut summer_bs = acquire(
            &|r, c, rng| {
                let ch = change_sd * normal.sample(rng);
                if truth[[r, c]] == 1 {
                    (ch - dvv, ch - dvh)
                } else {
                    (ch, ch)
                }
            },
            &mut rng,
        );
        // Outliers and a no-data patch.
        if let (Some(vv), Some(vh)) = (summer_bs.vv.as_mut(), summer_bs.vh.as_mut()) {
            for r in 0..rows {
                for c in 0..cols {
                    if rng.gen::<f64>() < params.outlier_fraction {
                        vv.data[[r, c]] = 1e-9;
                        vh.data[[r, c]] = 1e-9;
                    }
                }
            }
            for r in rows / 3..rows / 3 + 10 {
                for c in cols / 3..cols / 3 + 10 {
                    vv.data[[r, c]] = f64::NAN;
                    vh.data[[r, c]] = f64::NAN;
                }
            }
        }
        let summer = Acquisition {
            date: Date::from_ymd(2020, 7, 31)?,
            orbit: 1,
            backscatter: summer_bs,
        };
        let reference = build_reference(&winter, 1, &ReferenceParams::new())?.backscatter;
        let masks = Masks {
            geometry: Some(geom),
            ..Masks::default()
        };
        let rc_db = composite_ratio(
            &RatioParams::new(),
            &summer.backscatter,
            &reference,
            &lia_r,
            &masks,
        )?;
        // Optical scene.
        let mut otruth = Array2::from_elem((rows, cols), oclass::NO_SNOW);
        let (cr, cc, rad) = (
            rows as f64 * 0.75,
            cols as f64 * 0.25,
            rows.min(cols) as f64 * 0.08,
        );
        let (ir0, ic0) = (rows / 6, cols * 2 / 3);
        for r in 0..rows {
            for c in 0..cols {
                let z = dem[[r, c]];
                let snow = truth_wet(params, z, aspect[[r, c]]) || z >= params.upper_m;
                let d2 = (r as f64 - cr).powi(2) + (c as f64 - cc).powi(2);
                otruth[[r, c]] = if d2 < rad * rad {
                    oclass::CLOUD
                } else if (ir0..ir0 + rows / 12).contains(&r) && (ic0..ic0 + cols / 12).contains(&c)
                {
                    oclass::ICE_WATER
                } else if snow {
                    oclass::SNOW
                } else {
                    oclass::NO_SNOW
                };
            }
        }
        let noise = Normal::new(0.0, 0.015).map_err(|e| SnowError::Degenerate(e.to_string()))?;
        let mut bands: [Array2<f64>; 5] = std::array::from_fn(|_| Array2::zeros((rows, cols)));
        for r in 0..rows {
            for c in 0..cols {
                // blue, green, red, nir, swir
                let mut v: [f64; 5] = match otruth[[r, c]] {
                    oclass::SNOW => [0.80, 0.78, 0.75, 0.65, 0.08],
                    oclass::ICE_WATER => [0.40, 0.38, 0.33, 0.28, 0.04],
                    oclass::CLOUD => [0.55, 0.55, 0.55, 0.55, 0.45],
                    _ => [0.08, 0.10, 0.12, 0.25, 0.25],
                };
                let shaded =
                    otruth[[r, c]] == oclass::SNOW && is_shaded(slope[[r, c]], aspect[[r, c]]);
                for (i, b) in v.iter_mut().enumerate() {
                    if shaded {
                        *b *= 0.25;
                    }
                    bands[i][[r, c]] = (*b + noise.sample(&mut rng)).max(0.005);
                }
            }
        }
        let [blue, green, red, nir, swir] = bands;
        let wrap = |a: Array2<f64>| Raster::new(a, grid.clone());
        let optical = Reflectances {
            blue: wrap(blue)?,
            green: wrap(green)?,
            red: wrap(red)?,
            nir: wrap(nir)?,
            swir: wrap(swir)?,
        };
        Ok(Basin {
            dem: Raster::new(dem, grid.clone())?,
            slope: slope_r,
            aspect: aspect_r,
            lia: lia_r,
            truth: Raster::new(truth, grid.clone())?.with_nodata(Some(255.0)),
            winter,
            summer,
            reference,
            rc_db,
            optical,
            optical_truth: Raster::new(otruth, grid)?,
        })
    }
}
