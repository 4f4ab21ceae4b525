//! Epoch mosaics (thesis sect. 4.3.2.1): the DEMs of one epoch resampled
//! onto the reference grid and mean-merged, with a per-pixel mean
//! acquisition date and a count of contributing DEMs.

use ndarray::Array2;
use sar_core::{Date, Grid, Raster, Resampling};

use crate::error::{MbError, Result};

/// A DEM with its acquisition date.
#[derive(Debug, Clone, PartialEq)]
pub struct DatedDem {
    /// Heights (m), NaN no-data.
    pub dem: Raster<f64>,
    /// Acquisition date.
    pub date: Date,
    /// A name for messages (file name, scene id).
    pub name: String,
}

/// A mean-merged epoch mosaic on the reference grid.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochMosaic {
    /// Mean height of the contributing DEMs (m), NaN where none.
    pub dem: Raster<f64>,
    /// Mean acquisition date of the contributing DEMs, in days since
    /// 1970-01-01 (NaN where none).
    pub mean_date_days: Raster<f64>,
    /// Number of DEMs contributing to each pixel.
    pub count: Raster<u16>,
}

impl EpochMosaic {
    /// The mean date over all valid pixels (days since 1970-01-01).
    pub fn overall_mean_date_days(&self) -> Option<f64> {
        sar_core::stats::mean(self.mean_date_days.data.iter().copied())
    }
}

/// Mean-merge `dems` onto `target`; a DEM not on the target grid is
/// reprojected onto it (bilinear, `sar_core::reproject`).
///
/// # Errors
/// [`MbError::EmptyInput`] for no DEM; [`MbError::InvalidParameter`]
/// naming a DEM that cannot be reprojected (unknown CRS);
/// [`MbError::NoOverlap`] if no DEM covers any target pixel.
pub fn mosaic(dems: &[DatedDem], target: &Grid) -> Result<EpochMosaic> {
    if dems.is_empty() {
        return Err(MbError::EmptyInput("no DEM given for the mosaic".into()));
    }
    let shape = target.shape();
    let mut sum = Array2::<f64>::zeros(shape);
    let mut dsum = Array2::<f64>::zeros(shape);
    let mut n = Array2::<u16>::zeros(shape);
    for d in dems {
        let on;
        let r = if d.dem.grid.same_as(target) {
            &d.dem
        } else {
            // reprojected (any CRS pair sar-core's `proj` knows), bilinear,
            // NaN-aware
            match sar_core::reproject::reproject_raster(&d.dem, target, Resampling::Bilinear) {
                Ok(r) => on = r,
                // outside the target grid: contributes nothing
                Err(sar_core::SarError::NoValidData(_)) => continue,
                Err(e) => {
                    return Err(MbError::param(
                        "dems",
                        format!(
                            "cannot reproject DEM {} onto the reference grid: {e}",
                            d.name
                        ),
                    ))
                }
            }
            &on
        };
        let day = d.date.days_since_epoch() as f64;
        for (((s, ds), c), v) in sum
            .iter_mut()
            .zip(dsum.iter_mut())
            .zip(n.iter_mut())
            .zip(r.data.iter())
        {
            if v.is_finite() {
                *s += v;
                *ds += day;
                *c = c.saturating_add(1);
            }
        }
    }
    if n.iter().all(|&c| c == 0) {
        let names: Vec<&str> = dems.iter().map(|d| d.name.as_str()).collect();
        return Err(MbError::NoOverlap(format!(
            "none of the DEMs [{}] covers the reference grid {target}",
            names.join(", ")
        )));
    }
    let mean = |s: &Array2<f64>| {
        Array2::from_shape_fn(shape, |ij| {
            if n[ij] > 0 {
                s[ij] / n[ij] as f64
            } else {
                f64::NAN
            }
        })
    };
    Ok(EpochMosaic {
        dem: Raster::new(mean(&sum), target.clone())?,
        mean_date_days: Raster::new(mean(&dsum), target.clone())?,
        count: Raster::new(n, target.clone())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sar_core::Crs;

    #[test]
    fn mean_merge_with_dates_and_counts() {
        let g = Grid::north_up(4, 6, 0.0, 40.0, 10.0, 10.0, Crs::epsg(32632));
        let mut a = Array2::from_elem((4, 6), 100.0);
        a.column_mut(5).fill(f64::NAN);
        let mut b = Array2::from_elem((4, 6), 110.0);
        b.column_mut(0).fill(f64::NAN);
        let da = Date::from_ymd(2011, 1, 1).unwrap();
        let db = Date::from_ymd(2011, 1, 11).unwrap();
        let dems = vec![
            DatedDem {
                dem: Raster::new(a, g.clone()).unwrap(),
                date: da,
                name: "a".into(),
            },
            DatedDem {
                dem: Raster::new(b, g.clone()).unwrap(),
                date: db,
                name: "b".into(),
            },
        ];
        let m = mosaic(&dems, &g).unwrap();
        assert_eq!(m.dem.data[[0, 0]], 100.0);
        assert_eq!(m.dem.data[[0, 5]], 110.0);
        assert_eq!(m.dem.data[[2, 3]], 105.0);
        assert_eq!(m.count.data[[2, 3]], 2);
        assert_eq!(m.count.data[[2, 0]], 1);
        assert_eq!(
            m.mean_date_days.data[[2, 3]],
            da.days_since_epoch() as f64 + 5.0
        );
        assert_eq!(m.mean_date_days.data[[2, 5]], db.days_since_epoch() as f64);
    }

    #[test]
    fn no_overlap_and_other_crs_are_errors() {
        let g = Grid::north_up(4, 4, 0.0, 40.0, 10.0, 10.0, Crs::epsg(32632));
        let far = Grid::north_up(4, 4, 1e5, 40.0, 10.0, 10.0, Crs::epsg(32632));
        let d = DatedDem {
            dem: Raster::filled(far, 5.0),
            date: Date::from_ymd(2000, 2, 11).unwrap(),
            name: "far.tif".into(),
        };
        match mosaic(std::slice::from_ref(&d), &g) {
            Err(MbError::NoOverlap(m)) => assert!(m.contains("far.tif")),
            other => panic!("{other:?}"),
        }
        // a DEM in UTM 44N is reprojected onto the UTM 43N grid, not misplaced
        let utm43 = Grid::north_up(20, 20, 800_000.0, 4_000_200.0, 10.0, 10.0, Crs::epsg(32643));
        let t = sar_core::proj::Transformer::new(&Crs::epsg(32643), &Crs::epsg(32644)).unwrap();
        let (x44, y44) = t.transform(800_100.0, 4_000_100.0).unwrap();
        let flat = DatedDem {
            dem: Raster::filled(
                Grid::north_up(
                    60,
                    60,
                    x44 - 300.0,
                    y44 + 300.0,
                    10.0,
                    10.0,
                    Crs::epsg(32644),
                ),
                7.0,
            ),
            ..d.clone()
        };
        let m = mosaic(std::slice::from_ref(&flat), &utm43).unwrap();
        assert!(m.dem.data.iter().any(|v| *v == 7.0));
        assert!(m
            .dem
            .data
            .iter()
            .all(|v| v.is_nan() || (*v - 7.0).abs() < 1e-9));
        let unknown = DatedDem {
            dem: Raster::filled(
                Grid::north_up(4, 4, 0.0, 40.0, 10.0, 10.0, Crs::unknown()),
                1.0,
            ),
            ..d
        };
        assert!(mosaic(&[unknown], &g).is_err());
        assert!(matches!(mosaic(&[], &g), Err(MbError::EmptyInput(_))));
    }
}
