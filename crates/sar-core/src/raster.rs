//! [`Raster<T>`]: a 2-D array on a [`Grid`], with no-data.
//!
//! Float rasters (`f32`, `f64`) hold **NaN as no-data in memory**. A file's
//! no-data value is turned into NaN when it is read and NaN back into that
//! value when it is written; [`Raster::nodata`] remembers it. Integer
//! rasters keep their no-data value in the data and in [`Raster::nodata`].

use ndarray::{s, Array2, ArrayView2, Zip};
use num_traits::Float;

use crate::error::{Result, SarError};
use crate::grid::Grid;
use crate::stats::Summary;

/// A georeferenced 2-D raster.
#[derive(Debug, Clone, PartialEq)]
pub struct Raster<T> {
    /// Pixel values, indexed `[row, col]`.
    pub data: Array2<T>,
    /// Georeferencing; `grid.shape() == data.dim()` always holds for rasters
    /// built with [`Raster::new`].
    pub grid: Grid,
    /// No-data value used in files. For float rasters, pixels are NaN in
    /// memory and this is the value written in their place (`None`: NaN is
    /// written and declared as no-data). For integer rasters it is the value
    /// that marks missing pixels in `data`.
    pub nodata: Option<f64>,
}

/// Resampling method for [`Raster::resample`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resampling {
    /// Value of the source pixel that contains the target pixel's centre.
    Nearest,
    /// Bilinear interpolation of the four nearest source pixel centres.
    /// NaN neighbours are left out and the weights of the others renormalised
    /// (as GDAL does); NaN if all four are NaN.
    #[default]
    Bilinear,
    /// Keys (1981) cubic convolution with a = −0.5 (GDAL's `cubic`) on the
    /// 4 × 4 nearest pixel centres; where that window leaves the raster or
    /// holds a NaN, the NaN-aware bilinear value
    /// ([`crate::reproject::sample_cubic`]).
    Cubic,
}

impl<T> Raster<T> {
    /// A raster from data and grid; error if the shapes differ.
    pub fn new(data: Array2<T>, grid: Grid) -> Result<Self> {
        if data.dim() != grid.shape() {
            return Err(SarError::ShapeMismatch {
                what: "raster data".into(),
                expected: grid.shape(),
                found: data.dim(),
            });
        }
        Ok(Raster {
            data,
            grid,
            nodata: None,
        })
    }

    /// Set the file no-data value (builder style).
    pub fn with_nodata(mut self, nodata: Option<f64>) -> Self {
        self.nodata = nodata;
        self
    }

    /// Shape `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        self.data.dim()
    }

    /// A view of the data.
    pub fn view(&self) -> ArrayView2<'_, T> {
        self.data.view()
    }

    /// `Ok(())` if `other` lies on the same grid, else [`SarError::GridMismatch`].
    pub fn ensure_same_grid<U>(&self, other: &Raster<U>) -> Result<()> {
        self.grid.ensure_same(&other.grid)
    }

    /// Apply `f` to every pixel, keeping grid and no-data.
    pub fn map<U, F: FnMut(&T) -> U>(&self, f: F) -> Raster<U> {
        Raster {
            data: self.data.map(f),
            grid: self.grid.clone(),
            nodata: self.nodata,
        }
    }
}

impl<T: Clone> Raster<T> {
    /// A raster on `grid` filled with `value`.
    pub fn filled(grid: Grid, value: T) -> Self {
        Raster {
            data: Array2::from_elem(grid.shape(), value),
            grid,
            nodata: None,
        }
    }

    /// Crop to the pixel window starting at `(row0, col0)` with shape `rows × cols`.
    pub fn crop_window(&self, row0: usize, col0: usize, rows: usize, cols: usize) -> Result<Self> {
        let grid = self.grid.window(row0, col0, rows, cols)?;
        Ok(Raster {
            data: self
                .data
                .slice(s![row0..row0 + rows, col0..col0 + cols])
                .to_owned(),
            grid,
            nodata: self.nodata,
        })
    }

    /// Crop to the pixels that intersect the map rectangle
    /// `(xmin, ymin, xmax, ymax)` (snapped outwards to whole pixels and
    /// clipped to the raster). Error if the rectangle misses the raster.
    pub fn crop_bounds(&self, xmin: f64, ymin: f64, xmax: f64, ymax: f64) -> Result<Self> {
        if !(xmin < xmax && ymin < ymax) {
            return Err(SarError::InvalidParameter {
                name: "bounds",
                reason: format!(
                    "need xmin < xmax and ymin < ymax, got ({xmin}, {ymin}, {xmax}, {ymax})"
                ),
            });
        }
        let mut cmin = f64::INFINITY;
        let mut cmax = f64::NEG_INFINITY;
        let mut rmin = f64::INFINITY;
        let mut rmax = f64::NEG_INFINITY;
        for (x, y) in [(xmin, ymin), (xmin, ymax), (xmax, ymin), (xmax, ymax)] {
            let (c, r) = self.grid.map_to_pixel(x, y)?;
            cmin = cmin.min(c);
            cmax = cmax.max(c);
            rmin = rmin.min(r);
            rmax = rmax.max(r);
        }
        let c0 = cmin.floor().max(0.0);
        let r0 = rmin.floor().max(0.0);
        let c1 = cmax.ceil().min(self.grid.cols as f64);
        let r1 = rmax.ceil().min(self.grid.rows as f64);
        if c1 <= c0 || r1 <= r0 {
            return Err(SarError::OutOfBounds(format!(
                "bounds ({xmin}, {ymin}, {xmax}, {ymax}) do not intersect {}",
                self.grid
            )));
        }
        self.crop_window(
            r0 as usize,
            c0 as usize,
            (r1 - r0) as usize,
            (c1 - c0) as usize,
        )
    }
}

impl<F: Float + Send + Sync> Raster<F> {
    /// Replace every pixel equal to `nodata` by NaN and remember `nodata`
    /// as the file no-data value (what readers do for float files).
    pub fn nodata_to_nan(mut self, nodata: Option<f64>) -> Self {
        if let Some(nd) = nodata {
            if let Some(ndf) = F::from(nd) {
                if !nd.is_nan() {
                    self.data
                        .mapv_inplace(|v| if v == ndf { F::nan() } else { v });
                }
            }
        }
        self.nodata = nodata;
        self
    }

    /// Number of finite pixels.
    pub fn valid_count(&self) -> usize {
        self.data.iter().filter(|v| v.is_finite()).count()
    }

    /// Fraction of finite pixels in `[0, 1]` (0 for an empty raster).
    pub fn valid_fraction(&self) -> f64 {
        let n = self.data.len();
        if n == 0 {
            0.0
        } else {
            self.valid_count() as f64 / n as f64
        }
    }

    /// NaN-aware summary statistics of the pixels; [`SarError::NoValidData`]
    /// if every pixel is NaN.
    pub fn summary(&self) -> Result<Summary> {
        Summary::of(self.data.iter().map(|v| v.to_f64().unwrap_or(f64::NAN))).ok_or_else(|| {
            SarError::NoValidData(format!(
                "every pixel of the {} raster is no-data",
                self.grid
            ))
        })
    }

    /// Resample onto `target` (same CRS required) with `method`.
    ///
    /// Target pixels whose centre falls outside the source raster are NaN.
    pub fn resample(&self, target: &Grid, method: Resampling) -> Result<Raster<F>> {
        self.grid.ensure_same_crs(target)?;
        let (rows, cols) = self.shape();
        let src = &self.grid;
        let mut out = Array2::from_elem(target.shape(), F::nan());
        let data = &self.data;
        let sample = |r_out: usize, c_out: usize| -> F {
            let (x, y) = target.pixel_center(r_out, c_out);
            let Ok((c, r)) = src.map_to_pixel(x, y) else {
                return F::nan();
            };
            if !(c >= 0.0 && r >= 0.0 && c <= cols as f64 && r <= rows as f64) {
                return F::nan();
            }
            match method {
                Resampling::Nearest => crate::reproject::sample_nearest(&data.view(), c, r),
                Resampling::Bilinear => crate::reproject::sample_bilinear(&data.view(), c, r),
                Resampling::Cubic => crate::reproject::sample_cubic(&data.view(), c, r),
            }
        };
        if rows > 0 && cols > 0 {
            #[cfg(feature = "rayon")]
            Zip::indexed(&mut out).par_for_each(|(r, c), o| *o = sample(r, c));
            #[cfg(not(feature = "rayon"))]
            Zip::indexed(&mut out).for_each(|(r, c), o| *o = sample(r, c));
        }
        Ok(Raster {
            data: out,
            grid: target.clone(),
            nodata: self.nodata,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Crs;
    use approx::assert_relative_eq;
    use ndarray::array;

    fn ramp() -> Raster<f64> {
        // value = x + 2 y at pixel centres (x east, y north) on a 10 m grid.
        let g = Grid::north_up(6, 8, 1000.0, 2060.0, 10.0, 10.0, Crs::epsg(32632));
        let data = Array2::from_shape_fn((6, 8), |(r, c)| {
            let (x, y) = g.pixel_center(r, c);
            x + 2.0 * y
        });
        Raster::new(data, g).unwrap()
    }

    #[test]
    fn new_checks_shape() {
        let g = Grid::pixel(2, 3);
        assert!(matches!(
            Raster::new(Array2::<f64>::zeros((3, 2)), g),
            Err(SarError::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn bilinear_reproduces_a_plane() {
        let r = ramp();
        // Target: 5 m pixels offset by a quarter pixel, inside the source centres.
        let t = Grid::north_up(6, 10, 1007.5, 2052.5, 5.0, 5.0, Crs::epsg(32632));
        let out = r.resample(&t, Resampling::Bilinear).unwrap();
        for ((row, col), v) in out.data.indexed_iter() {
            let (x, y) = t.pixel_center(row, col);
            assert_relative_eq!(*v, x + 2.0 * y, epsilon = 1e-9);
        }
    }

    #[test]
    fn bilinear_skips_nan_neighbours_and_nearest_picks_containing_pixel() {
        let g = Grid::north_up(2, 2, 0.0, 2.0, 1.0, 1.0, Crs::epsg(3857));
        let r = Raster::new(array![[1.0, f64::NAN], [3.0, 5.0]], g).unwrap();
        let t = Grid::north_up(1, 1, 0.5, 1.5, 1.0, 1.0, Crs::epsg(3857));
        let out = r.resample(&t, Resampling::Bilinear).unwrap();
        // weights 0.25 each; NaN dropped -> (1 + 3 + 5)/3
        assert_relative_eq!(out.data[[0, 0]], 3.0, epsilon = 1e-12);
        let tn = Grid::north_up(1, 1, 1.2, 0.8, 0.1, 0.1, Crs::epsg(3857));
        assert_eq!(
            r.resample(&tn, Resampling::Nearest).unwrap().data[[0, 0]],
            5.0
        );
        let other = Grid::north_up(1, 1, 0.5, 1.5, 1.0, 1.0, Crs::epsg(4326));
        assert!(matches!(
            r.resample(&other, Resampling::Nearest),
            Err(SarError::CrsMismatch { .. })
        ));
    }

    #[test]
    fn crop_by_bounds_snaps_outwards() {
        let r = ramp();
        let c = r.crop_bounds(1015.0, 2012.0, 1031.0, 2039.0).unwrap();
        assert_eq!(c.shape(), (3, 3));
        assert_eq!(c.grid.pixel_to_map(0.0, 0.0), (1010.0, 2040.0));
        assert_eq!(c.data[[0, 0]], r.data[[2, 1]]);
        assert!(r.crop_bounds(0.0, 0.0, 10.0, 10.0).is_err());
    }

    #[test]
    fn nodata_conversion_and_summary() {
        let g = Grid::pixel(1, 4);
        let r = Raster::new(array![[-9999.0f32, 1.0, 2.0, 3.0]], g)
            .unwrap()
            .nodata_to_nan(Some(-9999.0));
        assert!(r.data[[0, 0]].is_nan());
        assert_eq!(r.valid_count(), 3);
        let s = r.summary().unwrap();
        assert_eq!((s.count, s.nodata), (3, 1));
        assert_relative_eq!(s.mean, 2.0);
        let all_nan = Raster::filled(Grid::pixel(2, 2), f64::NAN);
        assert!(matches!(all_nan.summary(), Err(SarError::NoValidData(_))));
    }
}
