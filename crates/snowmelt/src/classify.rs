//! Integrated snow index and wet-snow classification (thesis sect. 3.3.4,
//! eq. 3.6) and the fixed-threshold baseline on R_c (Nagler et al. 2016).

use sar_core::Raster;

use crate::error::{Result, SnowError};
use crate::tsi::TopoBins;
use crate::wsi::Wsi;

/// Class codes of the wet-snow masks (`u8` rasters, no-data 255).
pub mod class {
    /// No snow or dry snow.
    pub const NO_SNOW: u8 = 0;
    /// Wet snow.
    pub const WET_SNOW: u8 = 1;
    /// No data (masked or missing input).
    pub const NO_DATA: u8 = 255;
}

/// Parameters of the SI classification.
#[derive(Debug, Clone, PartialEq)]
pub struct SiParams {
    coefficient: f64,
    reference_rc_db: f64,
}

impl Default for SiParams {
    fn default() -> Self {
        SiParams {
            coefficient: 3.5,
            reference_rc_db: -2.0,
        }
    }
}

impl SiParams {
    /// Defaults: coefficient 3.5 at R_c = −2 dB (eq. 3.6).
    pub fn new() -> Self {
        Self::default()
    }
    /// The coefficient of eq. 3.6 (> 0).
    pub fn coefficient(mut self, c: f64) -> Self {
        self.coefficient = c;
        self
    }
    /// The R_c (dB) at which the WSI is evaluated in eq. 3.6.
    pub fn reference_rc_db(mut self, r: f64) -> Self {
        self.reference_rc_db = r;
        self
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if !(self.coefficient > 0.0 && self.coefficient.is_finite()) {
            return Err(SnowError::InvalidParameter {
                name: "coefficient",
                reason: format!("must be > 0, got {}", self.coefficient),
            });
        }
        if !self.reference_rc_db.is_finite() {
            return Err(SnowError::InvalidParameter {
                name: "reference_rc_db",
                reason: "must be finite".into(),
            });
        }
        Ok(())
    }
    /// SI threshold `coefficient · WSI(R_c = reference)` (eq. 3.6).
    pub fn threshold(&self, wsi: &Wsi) -> f64 {
        self.coefficient * wsi.eval(self.reference_rc_db)
    }
}

/// All layers of one date's SI classification.
#[derive(Debug, Clone)]
pub struct WetSnowMap {
    /// Wet snow index (eq. 3.5).
    pub wsi: Raster<f64>,
    /// Topographic snow index (sect. 3.3.3).
    pub tsi: Raster<f64>,
    /// Integrated snow index SI = WSI · TSI.
    pub si: Raster<f64>,
    /// SI threshold (eq. 3.6).
    pub threshold: f64,
    /// Classes ([`class`]): wet snow where SI > threshold.
    pub mask: Raster<u8>,
}

/// WSI → TSI → SI → classes for one R_c map (dB).
pub fn classify_si(
    rc_db: &Raster<f64>,
    wsi_model: &Wsi,
    bins: &TopoBins,
    params: &SiParams,
) -> Result<WetSnowMap> {
    params.check()?;
    let wsi = wsi_model.apply(rc_db);
    let tsi = bins.tsi(&wsi)?;
    let zip = ndarray::Zip::from(&wsi.data).and(&tsi.data);
    #[cfg(feature = "rayon")]
    let si_data = zip.par_map_collect(|&w, &t| w * t);
    #[cfg(not(feature = "rayon"))]
    let si_data = zip.map_collect(|&w, &t| w * t);
    let si = Raster::new(si_data, wsi.grid.clone())?;
    let threshold = params.threshold(wsi_model);
    let mask = threshold_mask(&si, |v| v > threshold);
    Ok(WetSnowMap {
        wsi,
        tsi,
        si,
        threshold,
        mask,
    })
}

fn threshold_mask(r: &Raster<f64>, wet: impl Fn(f64) -> bool + Sync + Send) -> Raster<u8> {
    let f = |&v: &f64| {
        if v.is_nan() {
            class::NO_DATA
        } else if wet(v) {
            class::WET_SNOW
        } else {
            class::NO_SNOW
        }
    };
    #[cfg(feature = "rayon")]
    let data = ndarray::Zip::from(&r.data).par_map_collect(f);
    #[cfg(not(feature = "rayon"))]
    let data = r.data.map(f);
    Raster {
        data,
        grid: r.grid.clone(),
        nodata: Some(f64::from(class::NO_DATA)),
    }
}

/// Parameters of the fixed-threshold baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdParams {
    threshold_db: f64,
    majority_window: Option<usize>,
}

impl Default for ThresholdParams {
    fn default() -> Self {
        ThresholdParams {
            threshold_db: -2.0,
            majority_window: None,
        }
    }
}

impl ThresholdParams {
    /// Defaults: R_c < −2 dB is wet snow (Nagler et al. 2016), no filter.
    pub fn new() -> Self {
        Self::default()
    }
    /// Threshold on R_c (dB).
    pub fn threshold_db(mut self, t: f64) -> Self {
        self.threshold_db = t;
        self
    }
    /// Majority filter of odd window size (≥ 3) after thresholding; `None` = off.
    pub fn majority_window(mut self, w: Option<usize>) -> Self {
        self.majority_window = w;
        self
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if !self.threshold_db.is_finite() {
            return Err(SnowError::InvalidParameter {
                name: "threshold_db",
                reason: "must be finite".into(),
            });
        }
        if let Some(w) = self.majority_window {
            if w < 3 || w % 2 == 0 {
                return Err(SnowError::InvalidParameter {
                    name: "majority_window",
                    reason: format!("must be odd and ≥ 3, got {w}"),
                });
            }
        }
        Ok(())
    }
}

/// Baseline: wet snow where R_c < threshold (dB), optionally majority-filtered.
pub fn classify_threshold(rc_db: &Raster<f64>, params: &ThresholdParams) -> Result<Raster<u8>> {
    params.check()?;
    let t = params.threshold_db;
    let mask = threshold_mask(rc_db, |v| v < t);
    match params.majority_window {
        Some(w) => majority_filter(&mask, w),
        None => Ok(mask),
    }
}

/// Majority filter of a class mask: each valid pixel takes the class held
/// by more than half of the valid pixels of the `window × window`
/// neighbourhood (clipped at the edges); ties keep the pixel's class.
/// No-data pixels stay no-data and do not vote.
pub fn majority_filter(mask: &Raster<u8>, window: usize) -> Result<Raster<u8>> {
    if window < 3 || window % 2 == 0 {
        return Err(SnowError::InvalidParameter {
            name: "window",
            reason: format!("must be odd and ≥ 3, got {window}"),
        });
    }
    let h = window / 2;
    let (rows, cols) = mask.shape();
    let src = &mask.data;
    let mut out = mask.clone();
    crate::for_each_row(&mut out.data, |r, mut row| {
        let r0 = r.saturating_sub(h);
        let r1 = (r + h + 1).min(rows);
        for (c, o) in row.iter_mut().enumerate() {
            let v = src[[r, c]];
            if v != class::NO_SNOW && v != class::WET_SNOW {
                continue;
            }
            let c0 = c.saturating_sub(h);
            let c1 = (c + h + 1).min(cols);
            let (mut wet, mut dry) = (0usize, 0usize);
            for rr in r0..r1 {
                for cc in c0..c1 {
                    match src[[rr, cc]] {
                        class::WET_SNOW => wet += 1,
                        class::NO_SNOW => dry += 1,
                        _ => {}
                    }
                }
            }
            *o = if wet > dry {
                class::WET_SNOW
            } else if dry > wet {
                class::NO_SNOW
            } else {
                v
            };
        }
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use sar_core::Grid;

    #[test]
    fn threshold_and_majority() {
        let g = Grid::pixel(3, 3);
        let rc = Raster::new(
            array![[-3.0, -3.0, -3.0], [-3.0, 0.0, -3.0], [1.0, 1.0, f64::NAN]],
            g,
        )
        .unwrap();
        let m = classify_threshold(&rc, &ThresholdParams::new()).unwrap();
        assert_eq!(m.data, array![[1, 1, 1], [1, 0, 1], [0, 0, 255]]);
        let f = classify_threshold(&rc, &ThresholdParams::new().majority_window(Some(3))).unwrap();
        // Centre: 5 wet vs 3 dry → wet; (1,0): 3 vs 3 → tie keeps wet; (2,0): 1 vs 3 → dry.
        assert_eq!(f.data, array![[1, 1, 1], [1, 1, 1], [0, 0, 255]]);
        assert!(matches!(
            classify_threshold(&rc, &ThresholdParams::new().majority_window(Some(4))),
            Err(SnowError::InvalidParameter {
                name: "majority_window",
                ..
            })
        ));
    }
}
