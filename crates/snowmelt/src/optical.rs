//! Sentinel-2 reference snow maps in the style of Let-It-Snow (thesis sect.
//! 3.3.5, eq. 3.7; Gascoin et al. 2019), from surface reflectances (0–1) of
//! the blue, green, red, NIR and SWIR bands resampled to one grid, and a DEM.
//!
//! Steps (thresholds are [`LisParams`] defaults):
//!
//! 1. **Pass 1**: snow where NDSI > 0.4 and ρ_red > 0.2 (eq. 3.7),
//!    `NDSI = (ρ_green − ρ_SWIR) / (ρ_green + ρ_SWIR)`.
//! 2. **Dark-cloud test**: the red band is down-sampled ×12 with bilinear
//!    interpolation (20 m → 240 m; sar-core's resampler at the coarse pixel
//!    centres) and each pixel takes its coarse cell's value. No input cloud
//!    mask is used (LIS takes MAJA's); instead, pixels that are not pass-1
//!    snow, are bright themselves (ρ_red > r₁ = 0.2) and lie in a coarse cell
//!    with ρ_red > 0.3 are cloud candidates. (Without the pixel test every
//!    dark rock pixel next to snow would become a candidate.)
//! 3. **Snow line**: the snow fraction of each 100 m elevation band is
//!    pass-1 snow / valid pixels that are not cloud candidates; the snow line
//!    is the lower edge of the lowest band whose fraction exceeds 30 %.
//! 4. **Pass 2**: pixels at or above the snow line that are not pass-1 snow
//!    become snow where NDSI > 0.15 and ρ_red > 0.04.
//! 5. Cloud candidates that are still not snow become **cloud** where
//!    ρ_red > 0.1, else **no snow**.
//! 6. **Ice/water**: snow pixels with ρ_NIR ≤ 0.4 become glacier ice or
//!    water. The thesis applies "a threshold on the NIR band with
//!    ρ_NIR > 0.4 to classify glacier ice and water bodies from snow"; snow
//!    reflects strongly in the NIR, ice and water do not, so snow keeps
//!    ρ_NIR > 0.4 and the rest is ice/water.

use sar_core::{Raster, Resampling};

use crate::error::{ensure_grid, Result, SnowError};
use crate::validation::band_range;

/// Class codes of the optical map (`u8`, no-data 255). Snow and no snow use
/// the same codes as [`crate::classify::class`], so the maps compare directly.
pub mod class {
    /// No snow.
    pub const NO_SNOW: u8 = 0;
    /// Snow.
    pub const SNOW: u8 = 1;
    /// Cloud.
    pub const CLOUD: u8 = 2;
    /// Glacier ice or water.
    pub const ICE_WATER: u8 = 3;
    /// No data.
    pub const NO_DATA: u8 = 255;
}

/// Surface reflectances (0–1) on one grid.
#[derive(Debug, Clone)]
pub struct Reflectances {
    /// B2.
    pub blue: Raster<f64>,
    /// B3.
    pub green: Raster<f64>,
    /// B4.
    pub red: Raster<f64>,
    /// B8.
    pub nir: Raster<f64>,
    /// B11.
    pub swir: Raster<f64>,
}

/// Thresholds of the Let-It-Snow classification.
#[derive(Debug, Clone, PartialEq)]
pub struct LisParams {
    /// Pass-1 NDSI threshold n₁ (0.4).
    pub ndsi_pass1: f64,
    /// Pass-1 red threshold r₁ (0.2).
    pub red_pass1: f64,
    /// Down-sampling factor of the red band for the dark-cloud test (12).
    pub downsample: usize,
    /// Coarse red threshold of the dark-cloud test (0.3).
    pub red_dark_cloud: f64,
    /// Elevation band height for the snow line (metres, 100).
    pub band_m: f64,
    /// Snow fraction that defines the snow line (0.3).
    pub snow_line_fraction: f64,
    /// Pass-2 NDSI threshold n₂ (0.15).
    pub ndsi_pass2: f64,
    /// Pass-2 red threshold r₂ (0.04).
    pub red_pass2: f64,
    /// Cloud candidates with red above this go back to cloud (0.1).
    pub red_back_to_cloud: f64,
    /// Snow needs NIR above this; below it is ice/water (0.4).
    pub nir_ice_water: f64,
}

impl Default for LisParams {
    fn default() -> Self {
        LisParams {
            ndsi_pass1: 0.4,
            red_pass1: 0.2,
            downsample: 12,
            red_dark_cloud: 0.3,
            band_m: 100.0,
            snow_line_fraction: 0.3,
            ndsi_pass2: 0.15,
            red_pass2: 0.04,
            red_back_to_cloud: 0.1,
            nir_ice_water: 0.4,
        }
    }
}

impl LisParams {
    /// Defaults of sect. 3.3.5.
    pub fn new() -> Self {
        Self::default()
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if self.downsample == 0 {
            return Err(SnowError::InvalidParameter {
                name: "downsample",
                reason: "must be ≥ 1".into(),
            });
        }
        if self.band_m.is_nan() || self.band_m <= 0.0 {
            return Err(SnowError::InvalidParameter {
                name: "band_m",
                reason: format!("must be > 0, got {}", self.band_m),
            });
        }
        if !(0.0..=1.0).contains(&self.snow_line_fraction) {
            return Err(SnowError::InvalidParameter {
                name: "snow_line_fraction",
                reason: format!("must be in [0, 1], got {}", self.snow_line_fraction),
            });
        }
        Ok(())
    }
}

/// Result of [`let_it_snow`].
#[derive(Debug, Clone)]
pub struct LisMap {
    /// Classes ([`class`]).
    pub classes: Raster<u8>,
    /// Snow line elevation (metres); `None` if no band exceeds the fraction.
    pub snow_line_m: Option<f64>,
    /// NDSI.
    pub ndsi: Raster<f64>,
}

/// Classify snow, no snow, cloud and ice/water from reflectances and a DEM.
pub fn let_it_snow(refl: &Reflectances, dem_m: &Raster<f64>, params: &LisParams) -> Result<LisMap> {
    params.check()?;
    let grid = &refl.red.grid;
    for (n, r) in [
        ("blue", &refl.blue),
        ("green", &refl.green),
        ("NIR", &refl.nir),
        ("SWIR", &refl.swir),
        ("DEM", dem_m),
    ] {
        ensure_grid(n, r, grid)?;
    }
    let (rows, cols) = refl.red.shape();
    let ndsi = ndarray::Zip::from(&refl.green.data)
        .and(&refl.swir.data)
        .map_collect(|&g, &s| (g - s) / (g + s));
    let valid = |r: usize, c: usize| {
        [&refl.blue, &refl.green, &refl.red, &refl.nir, &refl.swir]
            .iter()
            .all(|b| b.data[[r, c]].is_finite())
            && dem_m.data[[r, c]].is_finite()
            && ndsi[[r, c]].is_finite()
    };
    // Coarse red band (dark-cloud test).
    let f = params.downsample.min(rows).min(cols).max(1);
    let coarse_grid = grid.coarsen(f, f)?;
    let coarse = refl.red.resample(&coarse_grid, Resampling::Bilinear)?;
    let (crow, ccol) = coarse.shape();
    let coarse_red =
        |r: usize, c: usize| coarse.data[[(r / f).min(crow - 1), (c / f).min(ccol - 1)]];

    const SNOW: u8 = 1;
    const CANDIDATE: u8 = 2;
    const OTHER: u8 = 0;
    const INVALID: u8 = 255;
    let mut state = ndarray::Array2::from_elem((rows, cols), INVALID);
    for r in 0..rows {
        for c in 0..cols {
            if !valid(r, c) {
                continue;
            }
            let red = refl.red.data[[r, c]];
            state[[r, c]] = if ndsi[[r, c]] > params.ndsi_pass1 && red > params.red_pass1 {
                SNOW
            } else if coarse_red(r, c) > params.red_dark_cloud && red > params.red_pass1 {
                CANDIDATE
            } else {
                OTHER
            };
        }
    }
    // Snow line from the pass-1 snow fraction per band.
    let bands = band_range(dem_m, params.band_m)?;
    let nb = bands.n;
    let mut snow = vec![0u64; nb];
    let mut tot = vec![0u64; nb];
    ndarray::Zip::from(&state)
        .and(&dem_m.data)
        .for_each(|&s, &z| {
            if let (Some(b), true) = (bands.of(z), s == SNOW || s == OTHER) {
                tot[b] += 1;
                snow[b] += u64::from(s == SNOW);
            }
        });
    let snow_line_m = (0..nb)
        .find(|&b| tot[b] > 0 && snow[b] as f64 / tot[b] as f64 > params.snow_line_fraction)
        .map(|b| bands.lower_m(b));
    let mut classes = Raster::filled(grid.clone(), class::NO_DATA).with_nodata(Some(255.0));
    for r in 0..rows {
        for c in 0..cols {
            let s = state[[r, c]];
            if s == INVALID {
                continue;
            }
            let red = refl.red.data[[r, c]];
            let above = snow_line_m.is_some_and(|zs| dem_m.data[[r, c]] >= zs);
            let is_snow =
                s == SNOW || (above && ndsi[[r, c]] > params.ndsi_pass2 && red > params.red_pass2);
            classes.data[[r, c]] = if is_snow {
                if refl.nir.data[[r, c]] > params.nir_ice_water {
                    class::SNOW
                } else {
                    class::ICE_WATER
                }
            } else if s == CANDIDATE && red > params.red_back_to_cloud {
                class::CLOUD
            } else {
                class::NO_SNOW
            };
        }
    }
    Ok(LisMap {
        classes,
        snow_line_m,
        ndsi: Raster::new(ndsi, grid.clone())?,
    })
}
