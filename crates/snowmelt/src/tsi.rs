//! Topographic snow index (thesis sect. 3.3.3): the median wet snow index
//! of each terrain bin (elevation × slope class × aspect sector), mapped
//! back to the bin's pixels.
//!
//! [`TopoBins`] is built once per basin from the DEM, slope and aspect and
//! stores the pixels of each bin contiguously, so that the TSI of each date
//! costs one gather and one selection (`O(n)` median) per bin.

use ndarray::Array2;
use sar_core::Raster;

use crate::error::{ensure_grid, Result, SnowError};
use crate::validation::band_range_named;

/// Bin sizes. Defaults follow sect. 3.3.3.
#[derive(Debug, Clone, PartialEq)]
pub struct TopoBinParams {
    elevation_step_m: f64,
    slope_edges_deg: Vec<f64>,
    aspect_step_deg: f64,
}

impl Default for TopoBinParams {
    fn default() -> Self {
        TopoBinParams {
            elevation_step_m: 100.0,
            slope_edges_deg: vec![20.0],
            aspect_step_deg: 15.0,
        }
    }
}

impl TopoBinParams {
    /// Defaults: 100 m elevation bands, slope < 20° / ≥ 20°, 15° aspect sectors.
    pub fn new() -> Self {
        Self::default()
    }
    /// Height of the elevation bands (metres, > 0).
    pub fn elevation_step_m(mut self, step: f64) -> Self {
        self.elevation_step_m = step;
        self
    }
    /// Increasing slope class edges (degrees); `[20]` gives two classes.
    pub fn slope_edges_deg(mut self, edges: &[f64]) -> Self {
        self.slope_edges_deg = edges.to_vec();
        self
    }
    /// Width of the aspect sectors (degrees, dividing 360 is not required; 0.1–360).
    pub fn aspect_step_deg(mut self, step: f64) -> Self {
        self.aspect_step_deg = step;
        self
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if !(self.elevation_step_m > 0.0 && self.elevation_step_m.is_finite()) {
            return Err(SnowError::InvalidParameter {
                name: "elevation_step_m",
                reason: format!("must be > 0, got {}", self.elevation_step_m),
            });
        }
        if self.slope_edges_deg.len() > 254
            || self.slope_edges_deg.iter().any(|e| !e.is_finite())
            || self.slope_edges_deg.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(SnowError::InvalidParameter {
                name: "slope_edges_deg",
                reason: format!(
                    "must be finite and increasing, got {:?}",
                    self.slope_edges_deg
                ),
            });
        }
        if !(self.aspect_step_deg >= 0.1 && self.aspect_step_deg <= 360.0) {
            return Err(SnowError::InvalidParameter {
                name: "aspect_step_deg",
                reason: format!("must be in [0.1, 360], got {}", self.aspect_step_deg),
            });
        }
        Ok(())
    }
}

/// The terrain bin of a pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BinKey {
    /// `floor(elevation / step)`: band `b` spans `[b·step, (b+1)·step)` metres.
    pub elevation_band: i64,
    /// Slope class: number of slope edges at or below the slope.
    pub slope_class: u8,
    /// Aspect sector `floor(aspect / step)`; `None` for flat cells (aspect NaN).
    pub aspect_sector: Option<u16>,
}

/// Terrain bins of a basin with the pixels of each bin stored contiguously.
#[derive(Debug, Clone)]
pub struct TopoBins {
    grid: sar_core::Grid,
    /// Dense bin id per pixel; `u32::MAX` where elevation or slope is NaN.
    bin: Array2<u32>,
    keys: Vec<BinKey>,
    offsets: Vec<usize>,
    order: Vec<u32>,
}

/// Marker for pixels outside every bin.
const NO_BIN: u32 = u32::MAX;

impl TopoBins {
    /// Bins from a DEM (metres), slope and aspect (degrees, aspect clockwise
    /// from north; NaN aspect = flat, a bin of its own). Pixels with NaN
    /// elevation or slope belong to no bin.
    pub fn new(
        params: &TopoBinParams,
        dem_m: &Raster<f64>,
        slope_deg: &Raster<f64>,
        aspect_deg: &Raster<f64>,
    ) -> Result<TopoBins> {
        params.check()?;
        ensure_grid("slope", slope_deg, &dem_m.grid)?;
        ensure_grid("aspect", aspect_deg, &dem_m.grid)?;
        if dem_m.data.len() >= NO_BIN as usize {
            return Err(SnowError::InvalidParameter {
                name: "dem",
                reason: "more than 2³² − 1 pixels; split the basin".into(),
            });
        }
        let n_sectors = (360.0 / params.aspect_step_deg).ceil() as usize;
        let n_aspect = n_sectors + 1; // last code: flat (aspect NaN)
        let n_slope = params.slope_edges_deg.len() + 1;
        let bands = band_range_named(dem_m, params.elevation_step_m, "elevation_step_m")?;
        let band0 = bands.b0;
        let n_codes = bands
            .n
            .checked_mul(n_slope)
            .and_then(|n| n.checked_mul(n_aspect))
            .filter(|&n| n < NO_BIN as usize)
            .ok_or_else(|| SnowError::InvalidParameter {
                name: "elevation_step_m",
                reason: format!(
                    "{} elevation bands × {n_slope} slope classes × {n_aspect} aspect sectors are too many bins; use larger bins",
                    bands.n
                ),
            })?;
        // Dense code of every pixel: (band · n_slope + slope class) · n_aspect + sector.
        let code_of = |z: f64, s: f64, a: f64| -> u32 {
            let Some(band) = bands.of(z).filter(|_| s.is_finite()) else {
                return NO_BIN;
            };
            let slope_class = params.slope_edges_deg.iter().filter(|e| s >= **e).count();
            let sector = if a.is_finite() {
                (((a.rem_euclid(360.0)) / params.aspect_step_deg).floor() as usize)
                    .min(n_sectors - 1)
            } else {
                n_sectors
            };
            ((band * n_slope + slope_class) * n_aspect + sector) as u32
        };
        let mut bin = Array2::from_elem(dem_m.shape(), NO_BIN);
        ndarray::Zip::from(&mut bin)
            .and(&dem_m.data)
            .and(&slope_deg.data)
            .and(&aspect_deg.data)
            .for_each(|b, &z, &s, &a| *b = code_of(z, s, a));
        // Keep the non-empty codes, renumbered densely in code order.
        let mut used = vec![false; n_codes];
        for &b in bin.iter() {
            if b != NO_BIN {
                used[b as usize] = true;
            }
        }
        let mut remap = vec![NO_BIN; n_codes];
        let mut keys = Vec::new();
        for (code, _) in used.iter().enumerate().filter(|(_, u)| **u) {
            remap[code] = keys.len() as u32;
            let sector = code % n_aspect;
            let slope_class = (code / n_aspect) % n_slope;
            let band = code / (n_aspect * n_slope);
            keys.push(BinKey {
                elevation_band: band0 + band as i64,
                slope_class: slope_class as u8,
                aspect_sector: (sector < n_sectors).then_some(sector as u16),
            });
        }
        bin.mapv_inplace(|b| {
            if b == NO_BIN {
                NO_BIN
            } else {
                remap[b as usize]
            }
        });
        // Counting sort of the pixel indices by bin.
        let mut offsets = vec![0usize; keys.len() + 1];
        for &b in bin.iter() {
            if b != NO_BIN {
                offsets[b as usize + 1] += 1;
            }
        }
        for i in 0..keys.len() {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut order = vec![0u32; offsets[keys.len()]];
        for (i, &b) in bin.iter().enumerate() {
            if b != NO_BIN {
                order[fill[b as usize]] = i as u32;
                fill[b as usize] += 1;
            }
        }
        Ok(TopoBins {
            grid: dem_m.grid.clone(),
            bin,
            keys,
            offsets,
            order,
        })
    }

    /// Number of non-empty bins.
    pub fn n_bins(&self) -> usize {
        self.keys.len()
    }

    /// Keys of the bins, ordered by elevation band, slope class, aspect sector (flat last).
    pub fn keys(&self) -> &[BinKey] {
        &self.keys
    }

    /// The bin of pixel `(row, col)`, if any.
    pub fn key_at(&self, row: usize, col: usize) -> Option<BinKey> {
        match self.bin.get([row, col]) {
            Some(&b) if b != NO_BIN => Some(self.keys[b as usize]),
            _ => None,
        }
    }

    /// Number of pixels of each bin (in the order of [`TopoBins::keys`]).
    pub fn counts(&self) -> Vec<usize> {
        self.offsets.windows(2).map(|w| w[1] - w[0]).collect()
    }

    /// Median of `values` over each bin (NaN pixels ignored; NaN for a bin without valid pixel).
    pub fn bin_medians(&self, values: &Raster<f64>) -> Result<Vec<f64>> {
        ensure_grid("WSI", values, &self.grid)?;
        let flat: Vec<f64>;
        let vals: &[f64] = match values.data.as_slice() {
            Some(s) => s,
            None => {
                flat = values.data.iter().copied().collect();
                &flat
            }
        };
        let median_of = |b: usize, buf: &mut Vec<f64>| -> f64 {
            buf.clear();
            buf.extend(
                self.order[self.offsets[b]..self.offsets[b + 1]]
                    .iter()
                    .map(|&i| vals[i as usize]),
            );
            sar_core::stats::median_inplace(buf).unwrap_or(f64::NAN)
        };
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            Ok((0..self.keys.len())
                .into_par_iter()
                .map_init(Vec::new, |buf, b| median_of(b, buf))
                .collect())
        }
        #[cfg(not(feature = "rayon"))]
        {
            let mut buf = Vec::new();
            Ok((0..self.keys.len())
                .map(|b| median_of(b, &mut buf))
                .collect())
        }
    }

    /// TSI: the median WSI of each pixel's bin; NaN outside every bin.
    pub fn tsi(&self, wsi: &Raster<f64>) -> Result<Raster<f64>> {
        let med = self.bin_medians(wsi)?;
        let mut out = Raster::filled(self.grid.clone(), f64::NAN);
        let bin = &self.bin;
        crate::for_each_row(&mut out.data, |r, mut row| {
            for (c, o) in row.iter_mut().enumerate() {
                let b = bin[[r, c]];
                if b != NO_BIN {
                    *o = med[b as usize];
                }
            }
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use sar_core::Grid;

    #[test]
    fn medians_per_bin() {
        let g = Grid::pixel(2, 3);
        let dem = Raster::new(
            array![[150.0, 160.0, 250.0], [199.0, 120.0, f64::NAN]],
            g.clone(),
        )
        .unwrap();
        let slope = Raster::new(array![[10.0, 10.0, 10.0], [25.0, 10.0, 10.0]], g.clone()).unwrap();
        let aspect = Raster::new(array![[5.0, 14.0, 5.0], [5.0, 16.0, 5.0]], g.clone()).unwrap();
        let wsi = Raster::new(array![[1.0, 3.0, 7.0], [9.0, 4.0, 2.0]], g).unwrap();
        let bins = TopoBins::new(&TopoBinParams::new(), &dem, &slope, &aspect).unwrap();
        // Bins: (1, flat<20, sector 0) = {1, 3}; (1, steep, 0) = {9}; (1, 0, sector 1) = {4}; (2, 0, 0) = {7}.
        assert_eq!(bins.n_bins(), 4);
        let t = bins.tsi(&wsi).unwrap();
        assert_eq!(t.data[[0, 0]], 2.0);
        assert_eq!(t.data[[0, 1]], 2.0);
        assert_eq!(t.data[[1, 0]], 9.0);
        assert_eq!(t.data[[1, 1]], 4.0);
        assert_eq!(t.data[[0, 2]], 7.0);
        assert!(t.data[[1, 2]].is_nan());
        assert_eq!(
            bins.key_at(1, 0),
            Some(BinKey {
                elevation_band: 1,
                slope_class: 1,
                aspect_sector: Some(0)
            })
        );
    }
}
