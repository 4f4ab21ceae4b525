//! Offset tracking with NCC stacking (eq. 2.4) on a regular template grid.

use ndarray::{Array2, ArrayView2, CowArray, Ix2};
use num_complex::Complex64;
use sar_core::{Grid, Raster};

use crate::error::{NccError, Result};
use crate::pairs::{Pair, PairSet};
use crate::peak::{estimate_peak_unchecked, PeakEstimate, PeakParams};
use crate::preprocess::oversample2;
use crate::zncc::{CircularNcc, Fill, Invalid, Job, NccContext, NccScratch, Part, SpecRef};

/// How the search radius is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SearchRadius {
    /// Lags −r..=r pixels in both directions.
    Pixels(usize),
    /// `ceil(v_max · T / pixel size) + margin_px`, from a maximum expected
    /// velocity (m/day), the pair interval T (days) and the grid's pixel
    /// size (m); the margin leaves room for the sub-pixel fit window.
    FromVelocity {
        /// Maximum expected speed in metres per day.
        v_max_m_per_day: f64,
        /// Extra lags in pixels (half the fit window is a good choice).
        margin_px: usize,
    },
}

/// Which normalised cross-correlation is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NccForm {
    /// Exact zero-normalised cross-correlation at every lag (eq. 1.10; OpenCV
    /// `TM_CCOEFF_NORMED`): the template against a search window, normalised
    /// per lag by summed-area tables.
    #[default]
    Zncc,
    /// The energy-normalised circular form of eq. 2.1 on equal-size templates
    /// (one normalisation per pair; requires `2r + 1 ≤ t`).
    Circular,
}

/// Parameters of [`track`]; defaults follow sect. 2.3.2 (48 px templates,
/// 11×11 Gaussian fit window up-sampled ×10) with a 16 px step and a ±16 px
/// search.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackParams {
    template_px: usize,
    step_px: usize,
    search: SearchRadius,
    form: NccForm,
    peak: PeakParams,
    oversample: bool,
    roles: PairRoles,
    parallel: bool,
}

impl Default for TrackParams {
    fn default() -> Self {
        TrackParams {
            template_px: 48,
            step_px: 16,
            search: SearchRadius::Pixels(16),
            form: NccForm::Zncc,
            peak: PeakParams::default(),
            oversample: false,
            roles: PairRoles::Shared,
            parallel: true,
        }
    }
}

impl TrackParams {
    /// Defaults (see the type).
    pub fn new() -> Self {
        Self::default()
    }
    /// Template side in pixels (48 and 96 in sect. 2.3.2).
    pub fn template_px(mut self, t: usize) -> Self {
        self.template_px = t;
        self
    }
    /// Grid step in pixels (the output pixel size).
    pub fn step_px(mut self, s: usize) -> Self {
        self.step_px = s;
        self
    }
    /// Search radius.
    pub fn search(mut self, s: SearchRadius) -> Self {
        self.search = s;
        self
    }
    /// Correlation form.
    pub fn form(mut self, f: NccForm) -> Self {
        self.form = f;
        self
    }
    /// Peak search parameters.
    pub fn peak(mut self, p: PeakParams) -> Self {
        self.peak = p;
        self
    }
    /// ×2 FFT oversampling of the (pre-processed) images before correlation;
    /// template, step and search are doubled internally and offsets are
    /// reported in original pixels.
    pub fn oversample(mut self, on: bool) -> Self {
        self.oversample = on;
        self
    }
    /// Which image of each pair provides the template ([`PairRoles`];
    /// default [`PairRoles::Shared`]: one transform per image).
    pub fn roles(mut self, roles: PairRoles) -> Self {
        self.roles = roles;
        self
    }
    /// The pair-role convention.
    pub fn get_roles(&self) -> PairRoles {
        self.roles
    }
    /// Use rayon over templates (with the `rayon` feature; default on).
    pub fn parallel(mut self, on: bool) -> Self {
        self.parallel = on;
        self
    }
    /// Template side in pixels.
    pub fn get_template_px(&self) -> usize {
        self.template_px
    }
    /// Grid step in pixels.
    pub fn get_step_px(&self) -> usize {
        self.step_px
    }
    /// Whether rayon is used (with the `rayon` feature).
    pub fn is_parallel(&self) -> bool {
        self.parallel
    }
    /// The peak parameters.
    pub fn get_peak(&self) -> &PeakParams {
        &self.peak
    }

    /// Validate what can be checked without the data.
    pub fn check(&self) -> Result<()> {
        if self.template_px < 4 {
            return Err(NccError::InvalidParameter {
                name: "template_px",
                reason: format!("template must be at least 4 px, got {}", self.template_px),
            });
        }
        if self.step_px == 0 {
            return Err(NccError::InvalidParameter {
                name: "step_px",
                reason: "grid step must be at least 1 px".into(),
            });
        }
        if let SearchRadius::FromVelocity {
            v_max_m_per_day, ..
        } = self.search
        {
            if !(v_max_m_per_day > 0.0) {
                return Err(NccError::InvalidParameter {
                    name: "v_max_m_per_day",
                    reason: "maximum velocity must be positive".into(),
                });
            }
        }
        self.peak.check()
    }

    /// The search radius in pixels for a pair interval and grid.
    ///
    /// From a velocity, `⌈v_max·T / pixel size⌉ + margin`, saturating at
    /// `usize::MAX` (a radius that no image can hold; [`track`] then fails
    /// with [`NccError::TemplateTooLarge`]); a non-finite or negative
    /// `v_max·T` counts as 0 px.
    pub fn search_radius_px(&self, interval_days: f64, grid: &Grid) -> usize {
        match self.search {
            SearchRadius::Pixels(r) => r,
            SearchRadius::FromVelocity {
                v_max_m_per_day,
                margin_px,
            } => {
                let (sx, sy) = grid.pixel_size_m(grid.rows / 2);
                let px = sx.min(sy).max(f64::MIN_POSITIVE);
                let r = (v_max_m_per_day * interval_days / px).ceil();
                // explicit saturation (what `as` does for finite values;
                // NaN → 0): exact below 2^53, and any larger radius is
                // refused by the size check of `track`
                let r = if r.is_nan() || r <= 0.0 {
                    0
                } else if r >= usize::MAX as f64 {
                    usize::MAX
                } else {
                    r as usize
                };
                r.saturating_add(margin_px)
            }
        }
    }
}

/// What happened at one template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateStatus {
    /// Correlated; the offset is valid (it may still fail the filters).
    Valid,
    /// Skipped: the template plus search window crosses the image edge.
    Edge,
    /// Skipped: every pair had no-data (NaN) in the template or window.
    NoData,
    /// Skipped: every pair had a template or window of zero variance.
    ZeroVariance,
}

/// Counts of template outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackSummary {
    /// Templates on the grid.
    pub templates: usize,
    /// Correlated templates.
    pub valid: usize,
    /// Skipped at the image edge.
    pub edge: usize,
    /// Skipped for no-data.
    pub nodata: usize,
    /// Skipped for zero variance.
    pub zero_variance: usize,
    /// Valid templates whose correlation peak lies on the edge of the
    /// search window: the true peak is probably outside it (increase the
    /// search radius or give a prior displacement).
    pub at_search_edge: usize,
    /// Valid templates away from the search edge where the sub-pixel fit
    /// failed (the fallback estimate was kept and flagged).
    pub fit_failed: usize,
}

/// The result of [`track`]: rasters on the template grid (a sar-core grid
/// with the step as pixel size; cell (i, j) is the template centred on the
/// centre of that cell). NaN where no estimate exists.
///
/// Sign convention: offsets are the position of a feature in the secondary
/// (later) image minus its position in the primary image, in pixels,
/// `offset_x` along columns and `offset_y` along rows (down). Map
/// displacements apply the geotransform (eq. 2.7): for a north-up grid east
/// = `offset_x · pixel width`, north = `−offset_y · pixel height`;
/// velocities divide by the pair interval T.
#[derive(Debug, Clone)]
pub struct VelocityField {
    /// The template grid.
    pub grid: Grid,
    /// Column offset in pixels.
    pub offset_x_px: Raster<f64>,
    /// Row offset in pixels.
    pub offset_y_px: Raster<f64>,
    /// Eastward displacement in metres.
    pub displacement_east_m: Raster<f64>,
    /// Northward displacement in metres.
    pub displacement_north_m: Raster<f64>,
    /// Eastward velocity in metres per day (eq. 2.7).
    pub velocity_east_m_per_day: Raster<f64>,
    /// Northward velocity in metres per day (eq. 2.7).
    pub velocity_north_m_per_day: Raster<f64>,
    /// Speed in metres per day.
    pub speed_m_per_day: Raster<f64>,
    /// SNR of the (stacked) correlation surface in dB (eq. 2.3).
    pub snr_db: Raster<f64>,
    /// Height of the (stacked) correlation peak.
    pub peak: Raster<f64>,
    /// Number of pairs that contributed at each template.
    pub pair_count: Raster<u32>,
    /// `true` where the sub-pixel estimator converged.
    pub fit_converged: Array2<bool>,
    /// `true` where the correlation peak lies on the edge of the search
    /// window (the offset is then a lower bound, not a measurement).
    pub at_search_edge: Array2<bool>,
    /// Outcome per template.
    pub status: Array2<TemplateStatus>,
    /// Pair interval T in days.
    pub interval_days: f64,
    /// Template size in pixels.
    pub template_px: usize,
    /// Search radius in pixels.
    pub search_radius_px: usize,
    /// Counts of outcomes.
    pub summary: TrackSummary,
    /// Template-centre row (pixel-centre coordinates of the image grid) of every output row.
    pub centre_rows_px: Vec<f64>,
    /// Template-centre column of every output column.
    pub centre_cols_px: Vec<f64>,
}

/// Progress callback: `(templates done, templates in all)`; must be cheap.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// The resolved template grid and correlation engine of one run.
pub(crate) struct Engine<'a> {
    images: Vec<CowArray<'a, f64, Ix2>>,
    pairs: Vec<Pair>,
    pub(crate) factor: usize,
    t: usize,
    r: usize,
    step: usize,
    pub(crate) out_grid: Grid,
    form: NccForm,
    zncc: Option<NccContext>,
    circ: Option<CircularNcc>,
    /// Images loaded as templates (ZNCC), or every used image (circular).
    t_imgs: Vec<usize>,
    /// Images loaded as search windows (ZNCC).
    w_imgs: Vec<usize>,
    /// How each pair is correlated.
    jobs: Vec<PairJob>,
    pub(crate) peak: PeakParams,
    pub(crate) interval_days: f64,
    pub(crate) search_px: usize,
    pub(crate) template_px: usize,
    image_grid: Grid,
    /// Per-cell integer shift (rows, cols) of the search window in working
    /// pixels, from a prior displacement.
    shift: Option<Array2<(isize, isize)>>,
}

/// Cells whose surfaces are computed together (their transforms share
/// packed FFTs and their pairs share inverse FFTs): `BATCH` consecutive
/// cells of one template-grid row, `(i, BATCH·k + b)` for `b < BATCH`
/// (see [`for_each_cell`]). The rounding of a cell's surface depends on
/// its batch partners, so the tile plans of [`crate::tiles`] keep them.
pub(crate) const BATCH: usize = 2;

/// How one pair is correlated: the template comes from image `timg`, the
/// search window from image `wimg`; `reflect` when the template is the
/// secondary image's, so that the surface is point-reflected to measure
/// the primary → secondary offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PairJob {
    pub(crate) timg: usize,
    pub(crate) wimg: usize,
    pub(crate) reflect: bool,
}

/// Which image of each pair provides the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PairRoles {
    /// Each image is loaded and transformed **once** per template, either as
    /// template or as search window, for all pairs it belongs to (default).
    /// Images are assigned the two roles alternately along the chains of
    /// pairs (a 2-colouring of the pair graph; with one interval T every
    /// cycle has as many forward as backward pairs, so one always exists).
    /// A pair whose primary image got the window role is correlated with
    /// the secondary's template, and its surface is point-reflected (lag
    /// `d` → `−d`) so that every surface measures the primary → secondary
    /// offset. The offset of such a pair is measured at the template
    /// position in the secondary image, i.e. displaced by the offset
    /// itself — negligible where the displacement field is smooth over one
    /// displacement. A single pair always uses the primary's template.
    #[default]
    Shared,
    /// Every pair uses its primary image's template and its secondary
    /// image's search window (the classical pair-wise convention); an
    /// interior image of a series is then transformed twice, once per role.
    PrimaryTemplate,
}

/// Assign the template / window roles of every pair (see [`PairRoles`]).
pub(crate) fn plan_roles(n_images: usize, pairs: &[Pair], roles: PairRoles) -> Vec<PairJob> {
    let classical = || {
        pairs
            .iter()
            .map(|p| PairJob {
                timg: p.primary,
                wimg: p.secondary,
                reflect: false,
            })
            .collect()
    };
    if roles == PairRoles::PrimaryTemplate {
        return classical();
    }
    // 2-colouring by breadth-first search; true = template
    let mut adj = vec![Vec::new(); n_images];
    for p in pairs {
        adj[p.primary].push(p.secondary);
        adj[p.secondary].push(p.primary);
    }
    let mut colour: Vec<Option<bool>> = vec![None; n_images];
    let mut queue = std::collections::VecDeque::new();
    for p in pairs {
        if colour[p.primary].is_some() {
            continue;
        }
        colour[p.primary] = Some(true);
        queue.push_back(p.primary);
        while let Some(k) = queue.pop_front() {
            let c = colour[k].expect("coloured");
            for &m in &adj[k] {
                match colour[m] {
                    None => {
                        colour[m] = Some(!c);
                        queue.push_back(m);
                    }
                    Some(cm) if cm == c => return classical(),
                    Some(_) => {}
                }
            }
        }
    }
    pairs
        .iter()
        .map(|p| {
            if colour[p.primary] == Some(true) {
                PairJob {
                    timg: p.primary,
                    wimg: p.secondary,
                    reflect: false,
                }
            } else {
                PairJob {
                    timg: p.secondary,
                    wimg: p.primary,
                    reflect: true,
                }
            }
        })
        .collect()
}

/// Per-thread buffers of the engine; surfaces of up to [`BATCH`] cells.
pub(crate) struct ThreadState {
    scratch: Option<NccScratch>,
    /// Packed spectra of the current batch.
    specs: Vec<Vec<Complex64>>,
    /// `[slot * n_images + k]`: template 1/‖T‖ (or circular energy).
    inv_norm: Vec<std::result::Result<f64, Invalid>>,
    /// `[slot * n_images + k]`: window validity.
    win_ok: Vec<std::result::Result<(), Invalid>>,
    /// `[slot * n_images + k]`: per-lag 1/σ of the window.
    inv_std: Vec<Vec<f64>>,
    /// `[slot * n_images + k]`: where the template / window spectrum lies.
    tloc: Vec<(usize, Part)>,
    wloc: Vec<(usize, Part)>,
    /// Reals of the batch to load: (slot, image, is_template).
    reals: Vec<(usize, usize, bool)>,
    /// Valid (slot, pair) jobs of the batch.
    todo: Vec<(usize, usize)>,
    /// `[(slot * n_pairs + pair) * s²..]`: pair surfaces.
    surf: Vec<f64>,
    /// `[slot * n_pairs + pair]`: pair validity.
    pair_ok: Vec<std::result::Result<(), Invalid>>,
    circ_buf: Vec<Complex64>,
    circ_tmp: Vec<Complex64>,
    circ_scr: Vec<Complex64>,
    circ_out: Vec<f64>,
    /// The averaged surface of the cell being evaluated.
    pub(crate) avg: Vec<f64>,
    /// Window shift (rows, cols) of each batch slot in working pixels.
    pub(crate) shift: [(isize, isize); BATCH],
}

impl<'a> Engine<'a> {
    pub(crate) fn new(
        images: &[ArrayView2<'a, f64>],
        grid: &Grid,
        pairs: &PairSet,
        params: &TrackParams,
    ) -> Result<Self> {
        params.check()?;
        if images.len() < 2 {
            return Err(NccError::TooFewImages(images.len()));
        }
        for (i, im) in images.iter().enumerate() {
            if im.dim() != grid.shape() {
                return Err(sar_core::SarError::ShapeMismatch {
                    what: format!("image {i}"),
                    expected: grid.shape(),
                    found: im.dim(),
                }
                .into());
            }
            if !im.iter().any(|v| v.is_finite()) {
                return Err(NccError::AllNaN(i));
            }
        }
        for (i, p) in pairs.pairs.iter().enumerate() {
            if p.primary >= images.len() || p.secondary >= images.len() || p.primary == p.secondary
            {
                return Err(NccError::BadPair {
                    pair: i,
                    reason: format!(
                        "images {} and {} (there are {} images; they must differ)",
                        p.primary,
                        p.secondary,
                        images.len()
                    ),
                });
            }
        }
        if !(pairs.interval_days > 0.0 && pairs.interval_days.is_finite()) {
            return Err(NccError::InvalidParameter {
                name: "interval_days",
                reason: format!(
                    "the pair interval must be positive and finite, got {}",
                    pairs.interval_days
                ),
            });
        }
        let r0 = params.search_radius_px(pairs.interval_days, grid);
        let (rows, cols) = grid.shape();
        let t0 = params.template_px;
        // t + 2r, checked: radius and template come from the caller's data
        let window = r0.checked_mul(2).and_then(|d| d.checked_add(t0));
        if window.map_or(true, |w| w > rows || w > cols) {
            return Err(NccError::TemplateTooLarge {
                template: t0,
                search: r0,
                rows,
                cols,
            });
        }
        if params.form == NccForm::Circular && 2 * r0 + 1 > t0 {
            return Err(NccError::InvalidParameter {
                name: "search",
                reason: format!("the circular form needs 2r + 1 ≤ t, got r = {r0}, t = {t0}"),
            });
        }
        let factor = if params.oversample { 2 } else { 1 };
        let used: Vec<bool> = (0..images.len())
            .map(|k| {
                pairs
                    .pairs
                    .iter()
                    .any(|p| p.primary == k || p.secondary == k)
            })
            .collect();
        let views: Vec<CowArray<'a, f64, Ix2>> = if factor == 2 {
            images
                .iter()
                .zip(&used)
                .map(|(im, &u)| {
                    CowArray::from(if u {
                        oversample2(im.view())
                    } else {
                        Array2::zeros((0, 0))
                    })
                })
                .collect()
        } else {
            // rows must be contiguous for the correlation kernels
            images
                .iter()
                .map(|v| {
                    if v.is_standard_layout() {
                        CowArray::from(*v)
                    } else {
                        CowArray::from(v.to_owned())
                    }
                })
                .collect()
        };
        let (t, r) = (t0 * factor, r0 * factor);
        let out_grid = grid.coarsen(params.step_px, params.step_px)?;
        let jobs = match params.form {
            NccForm::Zncc => plan_roles(images.len(), &pairs.pairs, params.roles),
            NccForm::Circular => plan_roles(images.len(), &pairs.pairs, PairRoles::PrimaryTemplate),
        };
        let mut t_imgs: Vec<usize> = jobs.iter().map(|j| j.timg).collect();
        let mut w_imgs: Vec<usize> = jobs.iter().map(|j| j.wimg).collect();
        if params.form == NccForm::Circular {
            t_imgs.append(&mut w_imgs);
        }
        t_imgs.sort_unstable();
        t_imgs.dedup();
        w_imgs.sort_unstable();
        w_imgs.dedup();
        let (zncc, circ) = match params.form {
            NccForm::Zncc => (Some(NccContext::new(t, r)?), None),
            NccForm::Circular => (None, Some(CircularNcc::new(t)?)),
        };
        Ok(Engine {
            images: views,
            pairs: pairs.pairs.clone(),
            factor,
            t,
            r,
            step: params.step_px * factor,
            out_grid,
            form: params.form,
            zncc,
            circ,
            t_imgs,
            w_imgs,
            jobs,
            peak: params.peak.clone(),
            interval_days: pairs.interval_days,
            search_px: r0,
            template_px: t0,
            image_grid: grid.clone(),
            shift: None,
        })
    }

    pub(crate) fn n_pairs(&self) -> usize {
        self.pairs.len()
    }

    pub(crate) fn surface_size(&self) -> usize {
        2 * self.r + 1
    }

    pub(crate) fn make_state(&self) -> ThreadState {
        let s = self.surface_size();
        let z = Complex64::default();
        let ni = self.images.len();
        let np = self.pairs.len();
        let (spec_len, n_specs, scratch) = match &self.zncc {
            Some(c) => (
                c.window_size().pow(2),
                (BATCH * (self.t_imgs.len() + self.w_imgs.len())).div_ceil(2),
                Some(c.make_scratch()),
            ),
            None => (self.t * self.t, self.t_imgs.len(), None),
        };
        let circ_len = self.circ.as_ref().map_or(0, |_| self.t * self.t);
        let circ_scr = self.circ.as_ref().map_or(0, |c| c.scratch_len());
        ThreadState {
            scratch,
            specs: vec![vec![z; spec_len]; n_specs],
            inv_norm: vec![Err(Invalid::NoData); BATCH * ni],
            win_ok: vec![Err(Invalid::NoData); BATCH * ni],
            inv_std: vec![vec![0.0; s * s]; BATCH * ni],
            tloc: vec![(0, Part::Re); BATCH * ni],
            wloc: vec![(0, Part::Re); BATCH * ni],
            reals: Vec::with_capacity(BATCH * 2 * ni),
            todo: Vec::with_capacity(BATCH * np),
            surf: vec![0.0; BATCH * np * s * s],
            pair_ok: vec![Err(Invalid::NoData); BATCH * np],
            circ_buf: vec![z; circ_len],
            circ_tmp: vec![z; circ_len],
            circ_scr: vec![z; circ_scr],
            circ_out: vec![0.0; circ_len],
            avg: vec![0.0; s * s],
            shift: [(0, 0); BATCH],
        }
    }

    /// Top-left corner of the template of output cell (i, j) in working
    /// pixels, or `None` if template plus search window crosses the edge.
    pub(crate) fn template_origin(&self, i: usize, j: usize) -> Option<(usize, usize)> {
        let (rows, cols) = self
            .images
            .iter()
            .find(|v| !v.is_empty())
            .map(|v| v.dim())?;
        let half_step = self.step / 2;
        let r0 = (i * self.step + half_step) as isize - (self.t / 2) as isize;
        let c0 = (j * self.step + half_step) as isize - (self.t / 2) as isize;
        let margin = match self.form {
            NccForm::Zncc => self.r as isize,
            NccForm::Circular => 0,
        };
        let (sr, sc) = self.cell_shift(i, j);
        let t = self.t as isize;
        let inside = |a: isize, n: usize| a >= 0 && a + t <= n as isize;
        // the template itself, and the (shifted) search window
        if !inside(r0, rows)
            || !inside(c0, cols)
            || r0 + sr - margin < 0
            || c0 + sc - margin < 0
            || r0 + sr + t + margin > rows as isize
            || c0 + sc + t + margin > cols as isize
        {
            return None;
        }
        Some((r0 as usize, c0 as usize))
    }

    /// Window shift (rows, cols) of cell (i, j) in working pixels.
    pub(crate) fn cell_shift(&self, i: usize, j: usize) -> (isize, isize) {
        self.shift.as_ref().map_or((0, 0), |s| s[[i, j]])
    }

    /// Template centre of cell (i, j) in pixel-centre coordinates of the
    /// original image grid.
    pub(crate) fn template_centre(&self, i: usize, j: usize) -> (f64, f64) {
        let half_step = self.step / 2;
        let r0 = (i * self.step + half_step) as f64 - (self.t / 2) as f64;
        let c0 = (j * self.step + half_step) as f64 - (self.t / 2) as f64;
        let f = self.factor as f64;
        (
            (r0 + (self.t as f64 - 1.0) / 2.0 - (f - 1.0) / 2.0) / f,
            (c0 + (self.t as f64 - 1.0) / 2.0 - (f - 1.0) / 2.0) / f,
        )
    }

    /// Compute every pair's surface at the templates with top-left corners
    /// `origins` (one per batch slot; `None` slots are skipped).
    pub(crate) fn pair_surfaces(&self, origins: &[Option<(usize, usize)>], st: &mut ThreadState) {
        match self.form {
            NccForm::Zncc => self.pair_surfaces_zncc(origins, st),
            NccForm::Circular => {
                for (b, o) in origins.iter().enumerate() {
                    if let Some((r0, c0)) = *o {
                        self.pair_surfaces_circ(b, r0, c0, st);
                    }
                }
            }
        }
    }

    fn pair_surfaces_zncc(&self, origins: &[Option<(usize, usize)>], st: &mut ThreadState) {
        let ctx = self.zncc.as_ref().expect("zncc context");
        let (t, r) = (self.t, self.r);
        let (l, s2) = (t + 2 * r, self.surface_size().pow(2));
        let (ni, np) = (self.images.len(), self.pairs.len());
        let mut scratch = st.scratch.take().expect("scratch");
        let mut buf = std::mem::take(&mut scratch.cbuf);
        // the reals of the batch: templates first, so that two templates
        // share one FFT whose row pass skips their zero rows
        st.reals.clear();
        for (is_t, imgs) in [(true, &self.t_imgs), (false, &self.w_imgs)] {
            for (b, o) in origins.iter().enumerate() {
                if o.is_some() {
                    st.reals.extend(imgs.iter().map(|&k| (b, k, is_t)));
                }
            }
        }
        // statistics of one real; `Some` (what to write into the FFT
        // buffer) if it can be correlated
        let stats = |(b, k, is_t): (usize, usize, bool),
                     part: Part,
                     p: usize,
                     st: &mut ThreadState,
                     scratch: &mut NccScratch| {
            let (r0, c0) = origins[b].expect("loaded slots have an origin");
            let i = b * ni + k;
            if is_t {
                let v = self.images[k].slice(ndarray::s![r0..r0 + t, c0..c0 + t]);
                let res = ctx.template_stats(v);
                st.inv_norm[i] = res.map(|(_, inv)| inv);
                st.tloc[i] = (p, part);
                res.ok().map(|(mean, _)| Fill {
                    src: v,
                    offset: mean,
                    size: t,
                })
            } else {
                // template_origin checked that the shifted window is inside
                let (sr, sc) = st.shift[b];
                let wr = (r0 as isize + sr) as usize - r;
                let wc = (c0 as isize + sc) as usize - r;
                let v = self.images[k].slice(ndarray::s![wr..wr + l, wc..wc + l]);
                let mut inv_std = std::mem::take(&mut st.inv_std[i]);
                let res = ctx.window_stats(v, &mut inv_std, scratch);
                st.inv_std[i] = inv_std;
                st.win_ok[i] = res.map(|_| ());
                st.wloc[i] = (p, part);
                res.ok().map(|shift| Fill {
                    src: v,
                    offset: shift,
                    size: l,
                })
            }
        };
        let n_reals = st.reals.len();
        for (p, i) in (0..n_reals).step_by(2).enumerate() {
            let first = st.reals[i];
            let second = st.reals.get(i + 1).copied();
            let fa = stats(first, Part::Re, p, st, &mut scratch);
            let fb = second.and_then(|x| stats(x, Part::Im, p, st, &mut scratch));
            if fa.is_some() || fb.is_some() {
                let rows = ctx.fill_pack(&mut buf, fa, fb);
                ctx.forward(&mut buf, &mut st.specs[p], rows, &mut scratch);
            }
        }
        // pair validity and the list of jobs
        st.todo.clear();
        for (b, o) in origins.iter().enumerate() {
            if o.is_none() {
                continue;
            }
            for (pi, pj) in self.jobs.iter().enumerate() {
                let ok = match (st.inv_norm[b * ni + pj.timg], st.win_ok[b * ni + pj.wimg]) {
                    (Ok(_), Ok(())) => {
                        st.todo.push((b, pi));
                        Ok(())
                    }
                    (Err(e), _) | (_, Err(e)) => Err(e),
                };
                st.pair_ok[b * np + pi] = ok;
            }
        }
        // two jobs per inverse FFT
        let ThreadState {
            specs,
            inv_norm,
            inv_std,
            tloc,
            wloc,
            todo,
            surf,
            ..
        } = st;
        let job = |(b, pi): (usize, usize)| {
            let pj = self.jobs[pi];
            let (ti, wi) = (b * ni + pj.timg, b * ni + pj.wimg);
            Job {
                template: SpecRef {
                    spec: &specs[tloc[ti].0],
                    part: tloc[ti].1,
                },
                inv_norm: *inv_norm[ti].as_ref().expect("valid template"),
                window: SpecRef {
                    spec: &specs[wloc[wi].0],
                    part: wloc[wi].1,
                },
                inv_std: &inv_std[wi],
                reflect: pj.reflect,
            }
        };
        for ch in todo.chunks(2) {
            let ia = ch[0].0 * np + ch[0].1;
            if let Some(&second) = ch.get(1) {
                let ib = second.0 * np + second.1;
                // ib > ia: jobs are listed in increasing (slot, pair) order
                let (lo, hi) = surf.split_at_mut(ib * s2);
                ctx.correlate(
                    job(ch[0]),
                    Some(job(second)),
                    &mut buf,
                    &mut lo[ia * s2..(ia + 1) * s2],
                    Some(&mut hi[..s2]),
                    &mut scratch,
                );
            } else {
                ctx.correlate(
                    job(ch[0]),
                    None,
                    &mut buf,
                    &mut surf[ia * s2..(ia + 1) * s2],
                    None,
                    &mut scratch,
                );
            }
        }
        scratch.cbuf = buf;
        st.scratch = Some(scratch);
    }

    fn pair_surfaces_circ(&self, b: usize, r0: usize, c0: usize, st: &mut ThreadState) {
        let circ = self.circ.as_ref().expect("circular context");
        let (t, r) = (self.t, self.r);
        let (ni, np) = (self.images.len(), self.pairs.len());
        let s = 2 * r + 1;
        for (slot, &k) in self.t_imgs.iter().enumerate() {
            let v = self.images[k].slice(ndarray::s![r0..r0 + t, c0..c0 + t]);
            st.inv_norm[b * ni + k] =
                circ.spectrum(v, &mut st.specs[slot], &mut st.circ_tmp, &mut st.circ_scr);
            st.tloc[b * ni + k] = (slot, Part::Re);
        }
        let h = t / 2;
        for (pi, p) in self.pairs.iter().enumerate() {
            let (ea, eb) = (
                st.inv_norm[b * ni + p.primary],
                st.inv_norm[b * ni + p.secondary],
            );
            st.pair_ok[b * np + pi] = match (ea, eb) {
                (Ok(ea), Ok(eb)) => {
                    circ.correlate(
                        (&st.specs[st.tloc[b * ni + p.primary].0], ea),
                        (&st.specs[st.tloc[b * ni + p.secondary].0], eb),
                        &mut st.circ_out,
                        &mut st.circ_buf,
                        &mut st.circ_tmp,
                        &mut st.circ_scr,
                    );
                    let out = &mut st.surf[(b * np + pi) * s * s..(b * np + pi + 1) * s * s];
                    for dy in 0..s {
                        for dx in 0..s {
                            out[dy * s + dx] = st.circ_out[(h + dy - r) * t + h + dx - r];
                        }
                    }
                    Ok(())
                }
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
        }
    }

    /// Average the surfaces of slot `b`'s pairs selected by `select` into
    /// `st.avg`; returns the number of valid pairs and, if none, the reason.
    pub(crate) fn average(
        &self,
        st: &mut ThreadState,
        b: usize,
        select: impl Iterator<Item = usize>,
    ) -> (u32, Option<Invalid>) {
        let np = self.pairs.len();
        let s2 = self.surface_size().pow(2);
        st.avg.fill(0.0);
        let mut n = 0u32;
        let mut why = None;
        for pi in select {
            match st.pair_ok[b * np + pi] {
                Ok(()) => {
                    n += 1;
                    let i = b * np + pi;
                    for (a, v) in st.avg.iter_mut().zip(&st.surf[i * s2..(i + 1) * s2]) {
                        *a += v;
                    }
                }
                Err(e) => {
                    why.get_or_insert(e);
                }
            }
        }
        if n > 0 {
            let f = 1.0 / n as f64;
            st.avg.iter_mut().for_each(|a| *a *= f);
        }
        (
            n,
            if n == 0 {
                Some(why.unwrap_or(Invalid::NoData))
            } else {
                None
            },
        )
    }

    /// Peak of `st.avg` (the surface of batch slot `b`), with the window
    /// shift added and offsets converted to original pixels.
    pub(crate) fn peak_of_avg(&self, st: &ThreadState, b: usize) -> Option<PeakEstimate> {
        let s = self.surface_size();
        let view = ArrayView2::from_shape((s, s), &st.avg).expect("surface shape");
        let mut e = estimate_peak_unchecked(view, &self.peak)?;
        let (sr, sc) = st.shift[b];
        e.offset_x_px = (e.offset_x_px + sc as f64) / self.factor as f64;
        e.offset_y_px = (e.offset_y_px + sr as f64) / self.factor as f64;
        Some(e)
    }

    /// Map displacement (east, north) in metres of a pixel offset at output row `i`.
    pub(crate) fn to_map(&self, i: usize, dx: f64, dy: f64) -> (f64, f64) {
        let g = &self.image_grid;
        let gt = &g.transform.0;
        if !g.crs.geographic {
            (gt[1] * dx + gt[2] * dy, gt[4] * dx + gt[5] * dy)
        } else {
            let row = ((i * self.step / self.factor) + self.step / self.factor / 2)
                .min(g.rows.saturating_sub(1));
            let (sx, sy) = g.pixel_size_m(row);
            (dx * sx * gt[1].signum(), dy * sy * gt[5].signum())
        }
    }

    pub(crate) fn out_shape(&self) -> (usize, usize) {
        self.out_grid.shape()
    }
}

#[derive(Debug, Clone, Copy)]
struct LocResult {
    status: TemplateStatus,
    count: u32,
    est: Option<PeakEstimate>,
}

fn status_of(why: Invalid) -> TemplateStatus {
    match why {
        Invalid::NoData => TemplateStatus::NoData,
        Invalid::ZeroVariance => TemplateStatus::ZeroVariance,
    }
}

/// Run a closure over all output cells, serially or with rayon, with a
/// per-thread state; results in row-major order.
///
/// Cells are taken [`BATCH`] at a time **along a row**: the batches of row
/// `i` are cells `(i, BATCH·k)..(i, BATCH·k + BATCH)`, the last one shorter
/// when the row's cell count is not a multiple of [`BATCH`] (with
/// `BATCH = 2`: pairs `(i, 2k), (i, 2k + 1)`, and a row with an odd number
/// of cells ends with a cell alone). A cell's batch partners thus depend
/// only on its own column index, not on the number of cells per row, so a
/// tile that starts on an even cell column pairs its cells as the whole
/// image does ([`crate::tiles`]). For the cells of a batch where
/// `need(i, j)` holds and the template lies inside the image, the pair
/// surfaces are computed together, and `f(engine, i, j, state, slot)` is
/// called with `slot = Some(b)` (the surfaces are in batch slot `b`), or
/// with `None` for the other cells. The serial and the rayon paths form
/// the same batches, so their results are identical.
pub(crate) fn for_each_cell<T: Send>(
    engine: &Engine<'_>,
    parallel: bool,
    progress: Option<Progress<'_>>,
    need: impl Fn(usize, usize) -> bool + Sync,
    f: impl Fn(&Engine<'_>, usize, usize, &mut ThreadState, Option<usize>) -> T + Sync,
) -> Vec<T> {
    let (nr, nc) = engine.out_shape();
    let total = nr * nc;
    // batches per row (no batch spans two rows)
    let per_row = nc.div_ceil(BATCH);
    let done = std::sync::atomic::AtomicUsize::new(0);
    // one batch's results in a fixed-size array (no allocation per batch);
    // `None` past the row's last cell
    let batch = |c: usize, st: &mut ThreadState| -> [Option<T>; BATCH] {
        let (i, j0) = (c / per_row, (c % per_row) * BATCH);
        let cols = j0..(j0 + BATCH).min(nc);
        let mut origins = [None; BATCH];
        for (b, j) in cols.clone().enumerate() {
            st.shift[b] = engine.cell_shift(i, j);
            if need(i, j) {
                origins[b] = engine.template_origin(i, j);
            }
        }
        engine.pair_surfaces(&origins, st);
        let out = std::array::from_fn(|b| {
            let j = j0 + b;
            (j < nc).then(|| f(engine, i, j, st, origins[b].map(|_| b)))
        });
        if let Some(p) = progress {
            let d = done.fetch_add(cols.len(), std::sync::atomic::Ordering::Relaxed) + cols.len();
            p(d, total);
        }
        out
    };
    // row-major batches of row-major cells: the results are row-major
    let n_batches = nr * per_row;
    #[cfg(feature = "rayon")]
    if parallel {
        use rayon::prelude::*;
        return (0..n_batches)
            .into_par_iter()
            .map_init(|| engine.make_state(), |st, c| batch(c, st))
            .flat_map_iter(|out| out.into_iter().flatten())
            .collect();
    }
    let _ = parallel;
    let mut st = engine.make_state();
    (0..n_batches)
        .flat_map(|c| batch(c, &mut st).into_iter().flatten())
        .collect()
}

/// Track offsets between the images of a stack: for every template of the
/// grid, the pair-wise ZNCC surfaces of all pairs are computed (the
/// transforms of each image once), averaged (eq. 2.4), and the peak is
/// located with sub-pixel precision (sect. 2.2.2).
///
/// `images` are the pre-processed images (e.g. from
/// [`crate::preprocess::preprocess`]) on `grid`; `pairs` index into them.
/// A single pair is the classical pair-wise offset tracking.
///
/// # Errors
/// Fewer than two images, images whose shape differs from the grid,
/// all-NaN images, pairs out of range, a template (plus search radius)
/// larger than the image, invalid parameters, or no valid template at all.
pub fn track(
    images: &[ArrayView2<'_, f64>],
    grid: &Grid,
    pairs: &PairSet,
    params: &TrackParams,
    progress: Option<Progress<'_>>,
) -> Result<VelocityField> {
    track_with_prior(images, grid, pairs, params, None, progress)
}

/// A prior displacement per template of the output grid (as autoRIFT's
/// down-stream search): the search window of each template is centred on
/// the template position plus the prior offset (rounded to whole pixels),
/// so that the search radius need only cover the prior's error, not the
/// whole speed. NaN where no prior exists (the window is centred).
#[derive(Debug, Clone, PartialEq)]
pub struct PriorOffsets {
    /// Prior column offset in pixels, on the template grid.
    pub dx_px: Array2<f64>,
    /// Prior row offset in pixels (down positive), on the template grid.
    pub dy_px: Array2<f64>,
}

impl PriorOffsets {
    /// Prior offsets from prior velocities (east and north, metres per day,
    /// already on the template grid) for pairs of `interval_days`, through
    /// the inverse of the image grid's geotransform (eq. 2.7 backwards).
    ///
    /// # Errors
    /// Shapes that differ, a non-positive interval, or a singular
    /// geotransform.
    pub fn from_velocity(
        image_grid: &Grid,
        vx_m_per_day: ArrayView2<'_, f64>,
        vy_m_per_day: ArrayView2<'_, f64>,
        interval_days: f64,
    ) -> Result<Self> {
        if vx_m_per_day.dim() != vy_m_per_day.dim() {
            return Err(sar_core::SarError::ShapeMismatch {
                what: "prior vy".into(),
                expected: vx_m_per_day.dim(),
                found: vy_m_per_day.dim(),
            }
            .into());
        }
        if !(interval_days > 0.0 && interval_days.is_finite()) {
            return Err(NccError::InvalidParameter {
                name: "interval_days",
                reason: format!("must be positive and finite, got {interval_days}"),
            });
        }
        let gt = &image_grid.transform.0;
        let (a, b, c, d) = if image_grid.crs.geographic {
            let (sx, sy) = image_grid.pixel_size_m(image_grid.rows / 2);
            (sx * gt[1].signum(), 0.0, 0.0, sy * gt[5].signum())
        } else {
            (gt[1], gt[2], gt[4], gt[5])
        };
        let det = a * d - b * c;
        if !(det.abs() > 0.0 && det.is_finite()) {
            return Err(NccError::InvalidParameter {
                name: "grid",
                reason: "the geotransform is singular".into(),
            });
        }
        let mut dx = Array2::zeros(vx_m_per_day.dim());
        let mut dy = Array2::zeros(vx_m_per_day.dim());
        ndarray::Zip::from(&mut dx)
            .and(&mut dy)
            .and(vx_m_per_day)
            .and(vy_m_per_day)
            .for_each(|x, y, &ve, &vn| {
                let (e, n) = (ve * interval_days, vn * interval_days);
                *x = (d * e - b * n) / det;
                *y = (a * n - c * e) / det;
            });
        Ok(PriorOffsets {
            dx_px: dx,
            dy_px: dy,
        })
    }
}

/// Whole-pixel shift of a prior offset in working pixels; a non-finite
/// prior is no shift, a huge one is clamped to `limit` (the template then
/// lies outside the image and is skipped as an edge).
fn shift_px(v: f64, factor: usize, limit: usize) -> isize {
    if !v.is_finite() {
        return 0;
    }
    let lim = limit as f64;
    // clamped to ±limit (the image size), so the cast is exact
    (v * factor as f64).round().clamp(-lim, lim) as isize
}

/// [`track`] with an optional prior displacement per template
/// ([`PriorOffsets`], on the output grid of `params`' step). With a prior,
/// every pair is correlated with its primary image's template
/// ([`PairRoles::PrimaryTemplate`]), as a shared window cannot be shifted
/// both ways.
///
/// # Errors
/// Those of [`track`], a prior whose shape is not the output grid's, or a
/// prior with the circular correlation form.
pub fn track_with_prior(
    images: &[ArrayView2<'_, f64>],
    grid: &Grid,
    pairs: &PairSet,
    params: &TrackParams,
    prior: Option<&PriorOffsets>,
    progress: Option<Progress<'_>>,
) -> Result<VelocityField> {
    let engine = match prior {
        None => Engine::new(images, grid, pairs, params)?,
        Some(p) => {
            if params.form == NccForm::Circular {
                return Err(NccError::InvalidParameter {
                    name: "prior",
                    reason: "a prior displacement needs the ZNCC form".into(),
                });
            }
            let forward = params.clone().roles(PairRoles::PrimaryTemplate);
            let mut e = Engine::new(images, grid, pairs, &forward)?;
            let shape = e.out_shape();
            for (what, a) in [("prior dx", &p.dx_px), ("prior dy", &p.dy_px)] {
                if a.dim() != shape {
                    return Err(sar_core::SarError::ShapeMismatch {
                        what: what.into(),
                        expected: shape,
                        found: a.dim(),
                    }
                    .into());
                }
            }
            let limit = grid.rows.max(grid.cols) * e.factor;
            let f = e.factor;
            e.shift = Some(
                ndarray::Zip::from(&p.dy_px)
                    .and(&p.dx_px)
                    .map_collect(|&dy, &dx| (shift_px(dy, f, limit), shift_px(dx, f, limit))),
            );
            e
        }
    };

    let n_pairs = engine.n_pairs();
    let results = for_each_cell(
        &engine,
        params.parallel,
        progress,
        |_, _| true,
        |e, _, _, st, slot| {
            let Some(b) = slot else {
                return LocResult {
                    status: TemplateStatus::Edge,
                    count: 0,
                    est: None,
                };
            };
            let (count, why) = e.average(st, b, 0..n_pairs);
            if let Some(w) = why {
                return LocResult {
                    status: status_of(w),
                    count: 0,
                    est: None,
                };
            }
            LocResult {
                status: TemplateStatus::Valid,
                count,
                est: e.peak_of_avg(st, b),
            }
        },
    );
    assemble(&engine, &results)
}

fn assemble(engine: &Engine<'_>, results: &[LocResult]) -> Result<VelocityField> {
    let (nr, nc) = engine.out_shape();
    let nan = || Array2::from_elem((nr, nc), f64::NAN);
    let (mut ox, mut oy, mut de, mut dn, mut ve, mut vn, mut sp, mut snr, mut pk) = (
        nan(),
        nan(),
        nan(),
        nan(),
        nan(),
        nan(),
        nan(),
        nan(),
        nan(),
    );
    let mut count = Array2::zeros((nr, nc));
    let mut conv = Array2::from_elem((nr, nc), false);
    let mut edge = Array2::from_elem((nr, nc), false);
    let mut status = Array2::from_elem((nr, nc), TemplateStatus::Edge);
    let mut summary = TrackSummary {
        templates: nr * nc,
        ..Default::default()
    };
    let t_days = engine.interval_days;
    for (idx, res) in results.iter().enumerate() {
        let (i, j) = (idx / nc, idx % nc);
        status[[i, j]] = res.status;
        count[[i, j]] = res.count;
        match res.status {
            TemplateStatus::Valid => summary.valid += 1,
            TemplateStatus::Edge => summary.edge += 1,
            TemplateStatus::NoData => summary.nodata += 1,
            TemplateStatus::ZeroVariance => summary.zero_variance += 1,
        }
        if let Some(e) = res.est {
            ox[[i, j]] = e.offset_x_px;
            oy[[i, j]] = e.offset_y_px;
            let (east, north) = engine.to_map(i, e.offset_x_px, e.offset_y_px);
            de[[i, j]] = east;
            dn[[i, j]] = north;
            ve[[i, j]] = east / t_days;
            vn[[i, j]] = north / t_days;
            sp[[i, j]] = east.hypot(north) / t_days;
            snr[[i, j]] = e.snr_db;
            pk[[i, j]] = e.peak;
            conv[[i, j]] = e.fit_converged;
            edge[[i, j]] = e.at_border;
            if e.at_border {
                summary.at_search_edge += 1;
            } else if !e.fit_converged {
                summary.fit_failed += 1;
            }
        }
    }
    if summary.valid == 0 {
        return Err(NccError::NoValidTemplate(format!(
            "all {} templates were skipped ({} at the image edge, {} with no-data, {} with zero variance); \
             use a smaller template or search radius, or check the images' no-data",
            summary.templates, summary.edge, summary.nodata, summary.zero_variance
        )));
    }
    let g = engine.out_grid.clone();
    let r = |a: Array2<f64>| Raster::new(a, g.clone());
    Ok(VelocityField {
        offset_x_px: r(ox)?,
        offset_y_px: r(oy)?,
        displacement_east_m: r(de)?,
        displacement_north_m: r(dn)?,
        velocity_east_m_per_day: r(ve)?,
        velocity_north_m_per_day: r(vn)?,
        speed_m_per_day: r(sp)?,
        snr_db: r(snr)?,
        peak: r(pk)?,
        pair_count: Raster::new(count, g.clone())?,
        fit_converged: conv,
        at_search_edge: edge,
        status,
        interval_days: t_days,
        template_px: engine.template_px,
        search_radius_px: engine.search_px,
        summary,
        centre_rows_px: (0..nr).map(|i| engine.template_centre(i, 0).0).collect(),
        centre_cols_px: (0..nc).map(|j| engine.template_centre(0, j).1).collect(),
        grid: g,
    })
}

impl VelocityField {
    /// Template centre of output cell (i, j) in pixel-centre coordinates of
    /// the image grid (pixel (0, 0) at (0.0, 0.0)), as (row, col).
    pub fn template_centre_px(&self, i: usize, j: usize) -> (f64, f64) {
        (self.centre_rows_px[i], self.centre_cols_px[j])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeded non-repeating test images (sums of incommensurate sines).
    fn images(n: usize, k: usize) -> Vec<Array2<f64>> {
        (0..k)
            .map(|m| {
                let m = m as f64;
                Array2::from_shape_fn((n, n), |(r, c)| {
                    let (r, c) = (r as f64, c as f64);
                    (0.37 * r + 0.11 * c + m).sin()
                        + (0.23 * c - 0.29 * r + 2.0 * m).cos()
                        + 0.5 * (0.071 * r * c / 13.0 + 0.5 * m).sin()
                })
            })
            .collect()
    }

    fn pair(primary: usize, secondary: usize) -> Pair {
        Pair { primary, secondary }
    }

    /// Batches are pairs of cells of one row, `(i, 2k)` and `(i, 2k + 1)`:
    /// a cell's batch slot is its column's parity, also when rows have an
    /// odd number of cells; results come in row-major order, serially and
    /// with rayon.
    #[test]
    fn batches_are_cell_pairs_of_one_row() {
        assert_eq!(BATCH, 2);
        // 7 × 7 templates of 8 px on 56 × 56 px: the edge cells have no
        // origin (slot None), the others their column's parity as slot
        let imgs = images(56, 2);
        let views: Vec<_> = imgs.iter().map(|a| a.view()).collect();
        let set = PairSet {
            pairs: vec![pair(0, 1)],
            interval_days: 1.0,
        };
        let params = TrackParams::new()
            .template_px(8)
            .step_px(8)
            .search(SearchRadius::Pixels(2));
        let engine = Engine::new(&views, &Grid::pixel(56, 56), &set, &params).unwrap();
        let (nr, nc) = engine.out_shape();
        assert_eq!((nr, nc), (7, 7));
        for parallel in [false, true] {
            let got = for_each_cell(
                &engine,
                parallel,
                None,
                |_, _| true,
                |e, i, j, _, slot| (i, j, slot, e.template_origin(i, j).is_some()),
            );
            assert_eq!(got.len(), nr * nc);
            let mut inner = 0;
            for (idx, &(i, j, slot, inside)) in got.iter().enumerate() {
                assert_eq!((i, j), (idx / nc, idx % nc), "row-major");
                assert_eq!(slot, inside.then_some(j % 2), "cell ({i}, {j})");
                inner += usize::from(inside);
            }
            assert_eq!(inner, 5 * 5);
        }
    }

    #[test]
    fn batched_shared_surfaces_equal_single_template_zncc() {
        let imgs = images(96, 4);
        let views: Vec<_> = imgs.iter().map(|a| a.view()).collect();
        let grid = Grid::pixel(96, 96);
        let chain = vec![pair(0, 1), pair(1, 2), pair(2, 3)];
        // (0, 2) closes an odd cycle: no 2-colouring, classical roles
        let odd = vec![pair(0, 1), pair(1, 2), pair(0, 2)];
        let cases = [
            (chain.clone(), PairRoles::Shared, vec![false, true, false]),
            (chain, PairRoles::PrimaryTemplate, vec![false, false, false]),
            (odd, PairRoles::Shared, vec![false, false, false]),
        ];
        let (t, r) = (16, 4);
        let ctx = NccContext::new(t, r).unwrap();
        let mut sc = ctx.make_scratch();
        let s = 2 * r + 1;
        for (pairs, roles, reflect) in cases {
            let set = PairSet {
                pairs,
                interval_days: 1.0,
            };
            let params = TrackParams::new()
                .template_px(t)
                .step_px(8)
                .search(SearchRadius::Pixels(r))
                .roles(roles);
            let engine = Engine::new(&views, &grid, &set, &params).unwrap();
            let got: Vec<bool> = engine.jobs.iter().map(|j| j.reflect).collect();
            assert_eq!(got, reflect, "{roles:?}");
            // shared roles load each image once
            if roles == PairRoles::Shared && reflect.iter().any(|&x| x) {
                assert_eq!(engine.t_imgs.len() + engine.w_imgs.len(), 4);
            }
            let mut st = engine.make_state();
            let origins = [engine.template_origin(3, 4), engine.template_origin(5, 2)];
            engine.pair_surfaces(&origins, &mut st);
            let np = set.pairs.len();
            for (b, o) in origins.iter().enumerate() {
                let (r0, c0) = o.unwrap();
                for (pi, p) in set.pairs.iter().enumerate() {
                    assert!(st.pair_ok[b * np + pi].is_ok());
                    // the direct single-template ZNCC with the pair's own
                    // primary template and secondary window
                    let tpl = views[p.primary].slice(ndarray::s![r0..r0 + t, c0..c0 + t]);
                    let win = views[p.secondary]
                        .slice(ndarray::s![r0 - r..r0 + t + r, c0 - r..c0 + t + r]);
                    let direct = ctx.zncc(tpl, win, &mut sc).unwrap();
                    // and the reflected ZNCC of the secondary template in the
                    // primary window
                    let tpl2 = views[p.secondary].slice(ndarray::s![r0..r0 + t, c0..c0 + t]);
                    let win2 =
                        views[p.primary].slice(ndarray::s![r0 - r..r0 + t + r, c0 - r..c0 + t + r]);
                    let swapped = ctx.zncc(tpl2, win2, &mut sc).unwrap();
                    let surf = &st.surf[(b * np + pi) * s * s..(b * np + pi + 1) * s * s];
                    for dy in 0..s {
                        for dx in 0..s {
                            let want = if reflect[pi] {
                                swapped[[s - 1 - dy, s - 1 - dx]]
                            } else {
                                direct[[dy, dx]]
                            };
                            assert!(
                                (surf[dy * s + dx] - want).abs() < 1e-12,
                                "{roles:?} slot {b} pair {pi} lag ({dy}, {dx}): {} vs {want}",
                                surf[dy * s + dx]
                            );
                        }
                    }
                }
            }
        }
    }
}
