//! Offset tracking with NCC stacking (eq. 2.4) on a regular template grid.

use ndarray::{Array2, ArrayView2, CowArray, Ix2};
use num_complex::Complex64;
use sar_core::{Grid, Raster};

use crate::error::{NccError, Result};
use crate::pairs::{Pair, PairSet};
use crate::peak::{estimate_peak_unchecked, PeakEstimate, PeakParams};
use crate::preprocess::oversample2;
use crate::zncc::{CircularNcc, Invalid, NccContext, NccScratch};

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
    pub fn search_radius_px(&self, interval_days: f64, grid: &Grid) -> usize {
        match self.search {
            SearchRadius::Pixels(r) => r,
            SearchRadius::FromVelocity {
                v_max_m_per_day,
                margin_px,
            } => {
                let (sx, sy) = grid.pixel_size_m(grid.rows / 2);
                let px = sx.min(sy).max(f64::MIN_POSITIVE);
                (v_max_m_per_day * interval_days / px).ceil() as usize + margin_px
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
    /// Valid templates where the sub-pixel fit failed (integer peak kept).
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
    /// reals to transform: (image, is_template)
    reals: Vec<(usize, bool)>,
    t_slot: Vec<usize>,
    w_slot: Vec<usize>,
    pub(crate) peak: PeakParams,
    pub(crate) interval_days: f64,
    pub(crate) search_px: usize,
    pub(crate) template_px: usize,
    image_grid: Grid,
}

pub(crate) struct ThreadState {
    scratch: Option<NccScratch>,
    spec: Vec<Vec<Complex64>>,
    inv_norm: Vec<std::result::Result<f64, Invalid>>,
    inv_std: Vec<Vec<f64>>,
    pub(crate) surfaces: Vec<Vec<f64>>,
    pub(crate) pair_ok: Vec<std::result::Result<(), Invalid>>,
    circ_buf: Vec<Complex64>,
    circ_tmp: Vec<Complex64>,
    circ_scr: Vec<Complex64>,
    circ_out: Vec<f64>,
    pub(crate) avg: Vec<f64>,
}

const UNUSED: usize = usize::MAX;

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
        let r0 = params.search_radius_px(pairs.interval_days, grid);
        let (rows, cols) = grid.shape();
        let t0 = params.template_px;
        if t0 + 2 * r0 > rows || t0 + 2 * r0 > cols {
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
            images.iter().map(|v| CowArray::from(*v)).collect()
        };
        let (t, r) = (t0 * factor, r0 * factor);
        let out_grid = grid.coarsen(params.step_px, params.step_px)?;
        let mut reals = Vec::new();
        let mut t_slot = vec![UNUSED; images.len()];
        let mut w_slot = vec![UNUSED; images.len()];
        for k in 0..images.len() {
            let as_t = pairs.pairs.iter().any(|p| p.primary == k);
            let as_w = pairs.pairs.iter().any(|p| p.secondary == k);
            match params.form {
                NccForm::Zncc => {
                    if as_t {
                        t_slot[k] = reals.len();
                        reals.push((k, true));
                    }
                    if as_w {
                        w_slot[k] = reals.len();
                        reals.push((k, false));
                    }
                }
                NccForm::Circular => {
                    if as_t || as_w {
                        t_slot[k] = reals.len();
                        w_slot[k] = reals.len();
                        reals.push((k, true));
                    }
                }
            }
        }
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
            reals,
            t_slot,
            w_slot,
            peak: params.peak.clone(),
            interval_days: pairs.interval_days,
            search_px: r0,
            template_px: t0,
            image_grid: grid.clone(),
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
        let (spec_len, scratch) = match &self.zncc {
            Some(c) => (c.window_size().pow(2), Some(c.make_scratch())),
            None => (self.t * self.t, None),
        };
        let circ_len = self.circ.as_ref().map_or(0, |_| self.t * self.t);
        let circ_scr = self.circ.as_ref().map_or(0, |c| c.scratch_len());
        ThreadState {
            scratch,
            spec: vec![vec![z; spec_len]; self.reals.len()],
            inv_norm: vec![Err(Invalid::NoData); self.images.len()],
            inv_std: vec![vec![0.0; s * s]; self.images.len()],
            surfaces: vec![vec![0.0; s * s]; self.pairs.len()],
            pair_ok: vec![Err(Invalid::NoData); self.pairs.len()],
            circ_buf: vec![z; circ_len],
            circ_tmp: vec![z; circ_len],
            circ_scr: vec![z; circ_scr],
            circ_out: vec![0.0; circ_len],
            avg: vec![0.0; s * s],
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
        if r0 - margin < 0
            || c0 - margin < 0
            || r0 + (self.t as isize) + margin > rows as isize
            || c0 + (self.t as isize) + margin > cols as isize
        {
            return None;
        }
        Some((r0 as usize, c0 as usize))
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

    /// Compute every pair's surface at one template (`st.surfaces`, `st.pair_ok`).
    pub(crate) fn pair_surfaces(&self, r0: usize, c0: usize, st: &mut ThreadState) {
        match self.form {
            NccForm::Zncc => self.pair_surfaces_zncc(r0, c0, st),
            NccForm::Circular => self.pair_surfaces_circ(r0, c0, st),
        }
    }

    fn pair_surfaces_zncc(&self, r0: usize, c0: usize, st: &mut ThreadState) {
        let ctx = self.zncc.as_ref().expect("zncc context");
        let (t, r) = (self.t, self.r);
        let l = t + 2 * r;
        let mut scratch = st.scratch.take().expect("scratch");
        let mut ra = std::mem::take(&mut scratch.real_a);
        let mut rb = std::mem::take(&mut scratch.real_b);
        let mut real_ok = vec![false; self.reals.len()];
        let mut pending: Option<usize> = None;
        for (ri, &(k, is_t)) in self.reals.iter().enumerate() {
            let buf = if pending.is_some() { &mut rb } else { &mut ra };
            let ok = if is_t {
                let v = self.images[k].slice(ndarray::s![r0..r0 + t, c0..c0 + t]);
                let res = ctx.load_template(v, buf);
                st.inv_norm[k] = res;
                res.is_ok()
            } else {
                let v = self.images[k].slice(ndarray::s![r0 - r..r0 - r + l, c0 - r..c0 - r + l]);
                let mut inv_std = std::mem::take(&mut st.inv_std[k]);
                let res = ctx.load_window(v, buf, &mut inv_std, &mut scratch);
                st.inv_std[k] = inv_std;
                // reuse inv_norm's slot semantics for windows via pair check below
                if let Err(e) = res {
                    st.pair_ok.iter_mut().zip(&self.pairs).for_each(|(o, p)| {
                        if p.secondary == k {
                            *o = Err(e);
                        }
                    });
                }
                res.is_ok()
            };
            real_ok[ri] = ok;
            if !ok {
                continue;
            }
            match pending.take() {
                None => pending = Some(ri),
                Some(first) => {
                    let (lo, hi) = st.spec.split_at_mut(ri);
                    ctx.forward_two(
                        &ra,
                        Some(&rb),
                        &mut lo[first],
                        Some(&mut hi[0]),
                        &mut scratch,
                    );
                }
            }
        }
        if let Some(first) = pending {
            // a lone real: transform it as the real part only
            ctx.forward_two(&ra, None, &mut st.spec[first], None, &mut scratch);
        }
        scratch.real_a = ra;
        scratch.real_b = rb;
        // pair validity
        let mut jobs: Vec<usize> = Vec::with_capacity(self.pairs.len());
        for (pi, p) in self.pairs.iter().enumerate() {
            let t_ok = real_ok[self.t_slot[p.primary]];
            let w_ok = real_ok[self.w_slot[p.secondary]];
            st.pair_ok[pi] = if !t_ok {
                Err(st.inv_norm[p.primary].err().unwrap_or(Invalid::NoData))
            } else if !w_ok {
                match st.pair_ok[pi] {
                    Err(e) => Err(e),
                    Ok(()) => Err(Invalid::NoData),
                }
            } else {
                jobs.push(pi);
                Ok(())
            };
        }
        for ch in jobs.chunks(2) {
            let pa = self.pairs[ch[0]];
            let ja = (
                st.spec[self.t_slot[pa.primary]].as_slice(),
                *st.inv_norm[pa.primary].as_ref().expect("valid"),
                st.spec[self.w_slot[pa.secondary]].as_slice(),
                st.inv_std[pa.secondary].as_slice(),
            );
            if ch.len() == 2 {
                let pb = self.pairs[ch[1]];
                let jb = (
                    st.spec[self.t_slot[pb.primary]].as_slice(),
                    *st.inv_norm[pb.primary].as_ref().expect("valid"),
                    st.spec[self.w_slot[pb.secondary]].as_slice(),
                    st.inv_std[pb.secondary].as_slice(),
                );
                let (lo, hi) = st.surfaces.split_at_mut(ch[1]);
                ctx.correlate_two(ja, Some(jb), &mut lo[ch[0]], Some(&mut hi[0]), &mut scratch);
            } else {
                ctx.correlate_two(ja, None, &mut st.surfaces[ch[0]], None, &mut scratch);
            }
        }
        st.scratch = Some(scratch);
    }

    fn pair_surfaces_circ(&self, r0: usize, c0: usize, st: &mut ThreadState) {
        let circ = self.circ.as_ref().expect("circular context");
        let (t, r) = (self.t, self.r);
        let mut energy: Vec<std::result::Result<f64, Invalid>> =
            vec![Err(Invalid::NoData); self.images.len()];
        for (ri, &(k, _)) in self.reals.iter().enumerate() {
            let v = self.images[k].slice(ndarray::s![r0..r0 + t, c0..c0 + t]);
            energy[k] = circ.spectrum(v, &mut st.spec[ri], &mut st.circ_tmp, &mut st.circ_scr);
        }
        let s = 2 * r + 1;
        let h = t / 2;
        for (pi, p) in self.pairs.iter().enumerate() {
            let (ea, eb) = (energy[p.primary], energy[p.secondary]);
            match (ea, eb) {
                (Ok(ea), Ok(eb)) => {
                    circ.correlate(
                        (&st.spec[self.t_slot[p.primary]], ea),
                        (&st.spec[self.t_slot[p.secondary]], eb),
                        &mut st.circ_out,
                        &mut st.circ_buf,
                        &mut st.circ_tmp,
                        &mut st.circ_scr,
                    );
                    for dy in 0..s {
                        for dx in 0..s {
                            st.surfaces[pi][dy * s + dx] =
                                st.circ_out[(h + dy - r) * t + h + dx - r];
                        }
                    }
                    st.pair_ok[pi] = Ok(());
                }
                (Err(e), _) | (_, Err(e)) => st.pair_ok[pi] = Err(e),
            }
        }
    }

    /// Average the surfaces of the pairs selected by `select` into
    /// `st.avg`; returns the number of valid pairs and, if none, the reason.
    pub(crate) fn average(
        &self,
        st: &mut ThreadState,
        select: impl Iterator<Item = usize>,
    ) -> (u32, Option<Invalid>) {
        st.avg.fill(0.0);
        let mut n = 0u32;
        let mut why = None;
        for pi in select {
            match st.pair_ok[pi] {
                Ok(()) => {
                    n += 1;
                    for (a, v) in st.avg.iter_mut().zip(&st.surfaces[pi]) {
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

    /// Peak of `st.avg`, with offsets converted to original pixels.
    pub(crate) fn peak_of_avg(&self, st: &ThreadState) -> Option<PeakEstimate> {
        let s = self.surface_size();
        let view = ArrayView2::from_shape((s, s), &st.avg).expect("surface shape");
        let mut e = estimate_peak_unchecked(view, &self.peak)?;
        e.offset_x_px /= self.factor as f64;
        e.offset_y_px /= self.factor as f64;
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
pub(crate) fn for_each_cell<T: Send>(
    engine: &Engine<'_>,
    parallel: bool,
    progress: Option<Progress<'_>>,
    f: impl Fn(&Engine<'_>, usize, usize, &mut ThreadState) -> T + Sync,
) -> Vec<T> {
    let (nr, nc) = engine.out_shape();
    let total = nr * nc;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = || {
        if let Some(p) = progress {
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            p(d, total);
        }
    };
    #[cfg(feature = "rayon")]
    if parallel {
        use rayon::prelude::*;
        return (0..total)
            .into_par_iter()
            .map_init(
                || engine.make_state(),
                |st, idx| {
                    let v = f(engine, idx / nc, idx % nc, st);
                    tick();
                    v
                },
            )
            .collect();
    }
    let _ = parallel;
    let mut st = engine.make_state();
    (0..total)
        .map(|idx| {
            let v = f(engine, idx / nc, idx % nc, &mut st);
            tick();
            v
        })
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
    let engine = Engine::new(images, grid, pairs, params)?;
    let n_pairs = engine.n_pairs();
    let results = for_each_cell(&engine, params.parallel, progress, |e, i, j, st| {
        let Some((r0, c0)) = e.template_origin(i, j) else {
            return LocResult {
                status: TemplateStatus::Edge,
                count: 0,
                est: None,
            };
        };
        e.pair_surfaces(r0, c0, st);
        let (count, why) = e.average(st, 0..n_pairs);
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
            est: e.peak_of_avg(st),
        }
    });
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
            if !e.fit_converged {
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
