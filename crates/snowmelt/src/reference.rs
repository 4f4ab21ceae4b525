//! Winter reference images (thesis sect. 3.3.1, the γ⁰_ref of eq. 3.1):
//! per orbit, the mean in linear power (or the median) of the winter
//! acquisitions of several years.

use sar_core::Raster;

use crate::error::{ensure_grid, Result, SnowError};
use sar_core::Date;

/// A pair of co-registered polarisation channels, γ⁰ in **linear power**.
/// Either may be missing; the methods that need both say so with
/// [`SnowError::MissingPolarisation`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DualPol {
    /// VV channel (linear power).
    pub vv: Option<Raster<f64>>,
    /// VH channel (linear power).
    pub vh: Option<Raster<f64>>,
}

impl DualPol {
    /// Both channels.
    pub fn new(vv: Raster<f64>, vh: Raster<f64>) -> Self {
        DualPol {
            vv: Some(vv),
            vh: Some(vh),
        }
    }

    /// Both channels, checked to lie on one grid; [`SnowError::MissingPolarisation`]
    /// if one is absent.
    pub fn require(&self) -> Result<(&Raster<f64>, &Raster<f64>)> {
        let vv = self
            .vv
            .as_ref()
            .ok_or(SnowError::MissingPolarisation("VV"))?;
        let vh = self
            .vh
            .as_ref()
            .ok_or(SnowError::MissingPolarisation("VH"))?;
        ensure_grid("VH", vh, &vv.grid)?;
        Ok((vv, vh))
    }
}

/// One Sentinel-1 acquisition: date, relative orbit and backscatter.
#[derive(Debug, Clone, PartialEq)]
pub struct Acquisition {
    /// Acquisition date.
    pub date: Date,
    /// Relative orbit number (references are built per orbit).
    pub orbit: u32,
    /// γ⁰ in linear power.
    pub backscatter: DualPol,
}

/// Per-pixel statistic of the selected acquisitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReferenceStatistic {
    /// Mean in linear power (thesis: "average of multiyear winter images").
    #[default]
    Mean,
    /// Median (robust to single bad acquisitions).
    Median,
}

/// Which acquisitions form the reference and how they are combined.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceParams {
    months: Vec<u8>,
    years: Option<(i32, i32)>,
    statistic: ReferenceStatistic,
}

impl Default for ReferenceParams {
    fn default() -> Self {
        ReferenceParams {
            months: vec![12, 1, 2],
            years: None,
            statistic: ReferenceStatistic::Mean,
        }
    }
}

impl ReferenceParams {
    /// Defaults: winter months December, January, February (dry snow in the
    /// Karakoram, sect. 3.3.1), all years, mean in linear power.
    pub fn new() -> Self {
        Self::default()
    }
    /// Calendar months (1–12) whose acquisitions enter the reference.
    pub fn months(mut self, months: &[u8]) -> Self {
        self.months = months.to_vec();
        self
    }
    /// Inclusive range of calendar years of the acquisitions; `None` = all.
    pub fn years(mut self, years: Option<(i32, i32)>) -> Self {
        self.years = years;
        self
    }
    /// Mean or median.
    pub fn statistic(mut self, s: ReferenceStatistic) -> Self {
        self.statistic = s;
        self
    }
    /// Validate.
    pub fn check(&self) -> Result<()> {
        if self.months.is_empty() || self.months.iter().any(|m| !(1..=12).contains(m)) {
            return Err(SnowError::InvalidParameter {
                name: "months",
                reason: format!("need at least one month in 1–12, got {:?}", self.months),
            });
        }
        if let Some((a, b)) = self.years {
            if a > b {
                return Err(SnowError::InvalidParameter {
                    name: "years",
                    reason: format!("first year {a} after last year {b}"),
                });
            }
        }
        Ok(())
    }
    /// True if an acquisition on `date` enters the reference.
    pub fn selects(&self, date: &Date) -> bool {
        let in_years = match self.years {
            None => true,
            Some((a, b)) => (a..=b).contains(&date.year()),
        };
        self.months.iter().any(|&m| u32::from(m) == date.month()) && in_years
    }
}

/// The reference of one orbit.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceImage {
    /// Relative orbit.
    pub orbit: u32,
    /// Reference γ⁰, both channels, linear power.
    pub backscatter: DualPol,
    /// Dates of the acquisitions used.
    pub dates: Vec<Date>,
}

fn combine(rasters: &[&Raster<f64>], stat: ReferenceStatistic) -> Raster<f64> {
    let first = rasters[0];
    let (rows, cols) = first.shape();
    let mut out = Raster::filled(first.grid.clone(), f64::NAN);
    let mut buf = Vec::with_capacity(rasters.len());
    for r in 0..rows {
        for c in 0..cols {
            buf.clear();
            buf.extend(
                rasters
                    .iter()
                    .map(|x| x.data[[r, c]])
                    .filter(|v| v.is_finite() && *v >= 0.0),
            );
            out.data[[r, c]] = match stat {
                ReferenceStatistic::Mean => sar_core::stats::mean(buf.iter().copied()),
                ReferenceStatistic::Median => sar_core::stats::median_inplace(&mut buf),
            }
            .unwrap_or(f64::NAN);
        }
    }
    out
}

/// The reference of `orbit` from the selected acquisitions. Per pixel, the
/// statistic runs over the acquisitions where the pixel is valid (finite and
/// ≥ 0); NaN where none is.
///
/// Errors: [`SnowError::NoAcquisition`] if none is selected,
/// [`SnowError::MissingPolarisation`] if a selected one lacks VV or VH,
/// [`SnowError::GridMismatch`] if the selected ones are on different grids.
pub fn build_reference(
    acquisitions: &[Acquisition],
    orbit: u32,
    params: &ReferenceParams,
) -> Result<ReferenceImage> {
    params.check()?;
    let sel: Vec<&Acquisition> = acquisitions
        .iter()
        .filter(|a| a.orbit == orbit && params.selects(&a.date))
        .collect();
    if sel.is_empty() {
        return Err(SnowError::NoAcquisition(format!(
            "no acquisition of orbit {orbit} in months {:?} and years {:?} among {}",
            params.months,
            params.years,
            acquisitions.len()
        )));
    }
    let mut vvs = Vec::with_capacity(sel.len());
    let mut vhs = Vec::with_capacity(sel.len());
    for a in &sel {
        let (vv, vh) = a.backscatter.require()?;
        vvs.push(vv);
        vhs.push(vh);
    }
    let grid = vvs[0].grid.clone();
    for (a, (vv, vh)) in sel.iter().zip(vvs.iter().zip(&vhs)) {
        ensure_grid(&format!("VV of {}", a.date), vv, &grid)?;
        ensure_grid(&format!("VH of {}", a.date), vh, &grid)?;
    }
    Ok(ReferenceImage {
        orbit,
        backscatter: DualPol::new(
            combine(&vvs, params.statistic),
            combine(&vhs, params.statistic),
        ),
        dates: sel.iter().map(|a| a.date).collect(),
    })
}

/// One reference per orbit present among the acquisitions (sorted by orbit);
/// orbits without a selected acquisition are left out.
pub fn build_references(
    acquisitions: &[Acquisition],
    params: &ReferenceParams,
) -> Result<Vec<ReferenceImage>> {
    let mut orbits: Vec<u32> = acquisitions
        .iter()
        .filter(|a| params.selects(&a.date))
        .map(|a| a.orbit)
        .collect();
    orbits.sort_unstable();
    orbits.dedup();
    if orbits.is_empty() {
        params.check()?;
        return Err(SnowError::NoAcquisition(format!(
            "none of {} acquisitions falls in months {:?} and years {:?}",
            acquisitions.len(),
            params.months,
            params.years
        )));
    }
    orbits
        .into_iter()
        .map(|o| build_reference(acquisitions, o, params))
        .collect()
}
