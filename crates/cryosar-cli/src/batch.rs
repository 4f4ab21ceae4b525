//! Batch arrays: one command line, many tasks.
//!
//! A region-wide run is split into tasks that a Slurm job array
//! (`sbatch --array=0-N`) or an AWS Batch array job runs side by side:
//! `cryosar tiles` writes a *task list* (JSON), and every per-tile or
//! per-glacier command takes `--tasks FILE --index I` and does task `I`
//! only. Without `--index` the index comes from `SLURM_ARRAY_TASK_ID`
//! (Slurm) or `AWS_BATCH_JOB_ARRAY_INDEX` (AWS Batch), so the same command
//! line serves every task of the array. `cryosar merge` puts the pieces
//! back together.
//!
//! **Tiles** are pixel windows of the input raster; each task reads only its
//! window plus the halo its method needs (sar-core's windowed GeoTIFF read
//! decodes only the strips or tiles under it) and writes the window's output
//! with the window's georeferencing, so that the merged mosaic equals a
//! whole-raster run:
//! * `terrain`: a 1 px halo (the 3 × 3 stencils of Horn and
//!   Zevenbergen–Thorne), bit for bit equal;
//! * `velocity`: the tile's template-grid cells (tile edges on multiples of
//!   twice `--step`) with the template + search footprint of each cell and
//!   of its batch partner (ncc-stack correlates the cells of a row in pairs
//!   `(i, 2k), (i, 2k + 1)` sharing FFTs), plus the high-pass kernel radius
//!   (25 px for 51 × 51) around it; every delivered cell sees the same
//!   pre-processed pixels, template, search window and partner as in the
//!   whole-image run, so the stitched result is bit for bit the whole run's
//!   (the plan of `ncc_stack::tiles::velocity_tiles`, used by the Dask
//!   layer).
//!
//! **Glaciers**: a task is a list of glacier ids (RGI ids as in the
//! outlines' attributes, or `feature-N`); `massbalance` processes only those
//! and writes its part of the per-glacier table, which `cryosar merge
//! --tables` concatenates.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sar_core::geotiff::Window;
use serde::{Deserialize, Serialize};

/// Environment variable of a Slurm job array's task index.
pub const SLURM_INDEX_ENV: &str = "SLURM_ARRAY_TASK_ID";
/// Environment variable of an AWS Batch array job's child index.
pub const AWS_BATCH_INDEX_ENV: &str = "AWS_BATCH_JOB_ARRAY_INDEX";
/// Value of `format` in every task list.
pub const TASKS_FORMAT: &str = "cryosar-tasks";
/// GDAL metadata item of a tile: the halo (pixels) the file holds beyond its
/// own window on each side, `top,left,bottom,right`; `cryosar merge` crops it.
pub const HALO_ITEM: &str = "CRYOSAR_HALO_PX";

/// `--tasks` and `--index` of a per-tile command.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TileTaskArgs {
    /// Task list from `cryosar tiles` (JSON): run one task of a batch array
    /// and write only its tile (output names get `_tile<I>` before the
    /// extension, or replace `{index}`).
    #[arg(long, value_name = "FILE", help_heading = "Batch arrays")]
    pub tasks: Option<PathBuf>,
    /// Task to run, 0-based (default: $SLURM_ARRAY_TASK_ID, else
    /// $AWS_BATCH_JOB_ARRAY_INDEX).
    #[arg(long, value_name = "I", help_heading = "Batch arrays")]
    pub index: Option<usize>,
}

/// `--tasks`, `--chunks` and `--index` of a per-glacier command.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GlacierTaskArgs {
    /// Glacier task list: JSON from `cryosar tiles --outlines`, or text with
    /// one task per line (glacier ids separated by spaces or commas; `#`
    /// starts a comment). Runs one task and writes its table part.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "chunks",
        help_heading = "Batch arrays"
    )]
    pub tasks: Option<PathBuf>,
    /// Split the glaciers (in outline order) into N contiguous chunks and
    /// run chunk --index; merging the parts in index order gives the full table.
    #[arg(long, value_name = "N", help_heading = "Batch arrays")]
    pub chunks: Option<usize>,
    /// Task or chunk to run, 0-based (default: $SLURM_ARRAY_TASK_ID, else
    /// $AWS_BATCH_JOB_ARRAY_INDEX).
    #[arg(long, value_name = "I", help_heading = "Batch arrays")]
    pub index: Option<usize>,
}

/// One task of a task list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Window of the task (tile lists): first row and column, size (pixels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<[usize; 4]>,
    /// Glacier ids of the task (glacier lists).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub glaciers: Vec<String>,
}

/// A task list, as `cryosar tiles` writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskList {
    /// Always [`TASKS_FORMAT`].
    pub format: String,
    /// `"tiles"` or `"glaciers"`.
    pub kind: String,
    /// The raster or outlines the list was made from (for people).
    #[serde(default)]
    pub source: String,
    /// Shape `[rows, cols]` of the raster the tiles cover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<[usize; 2]>,
    /// Extra halo (pixels) every task reads beyond its window, on top of the
    /// halo its command needs anyway.
    #[serde(default)]
    pub halo: usize,
    /// The tasks, numbered from 0 in this order.
    pub tasks: Vec<Task>,
}

impl TaskList {
    /// Read and check a task list.
    pub fn read(path: &Path) -> anyhow::Result<TaskList> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --tasks {}", path.display()))?;
        let list: TaskList = serde_json::from_str(&text).with_context(|| {
            format!(
                "--tasks {} is not a cryosar task list (JSON from `cryosar tiles`)",
                path.display()
            )
        })?;
        anyhow::ensure!(
            list.format == TASKS_FORMAT,
            "--tasks {}: format is {:?}, not {TASKS_FORMAT:?}",
            path.display(),
            list.format
        );
        anyhow::ensure!(
            !list.tasks.is_empty(),
            "--tasks {} holds no task",
            path.display()
        );
        Ok(list)
    }

    /// Write the list as pretty JSON (atomically).
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        crate::util::write_text_atomic(path, &(serde_json::to_string_pretty(self)? + "\n"))
    }
}

/// The task index: `--index`, else `SLURM_ARRAY_TASK_ID`, else
/// `AWS_BATCH_JOB_ARRAY_INDEX`; checked against `count` tasks of `what`.
pub fn task_index(flag: Option<usize>, count: usize, what: &str) -> anyhow::Result<usize> {
    let (i, from) = match flag {
        Some(i) => (i, "--index".to_string()),
        None => {
            let mut found = None;
            for var in [SLURM_INDEX_ENV, AWS_BATCH_INDEX_ENV] {
                if let Ok(v) = std::env::var(var) {
                    let i = v.trim().parse::<usize>().map_err(|_| {
                        anyhow::anyhow!(
                            "the environment variable {var}={v:?} is not a task index (a whole number ≥ 0)"
                        )
                    })?;
                    found = Some((i, format!("${var}")));
                    break;
                }
            }
            found.with_context(|| {
                format!(
                    "{what} needs a task index: give --index I, or run inside a Slurm job array \
                     ({SLURM_INDEX_ENV}) or an AWS Batch array job ({AWS_BATCH_INDEX_ENV})"
                )
            })?
        }
    };
    anyhow::ensure!(
        i < count,
        "{from} {i} is out of range: {what} holds {count} task(s), numbered 0 to {} \
         (Slurm: sbatch --array=0-{})",
        count.saturating_sub(1),
        count.saturating_sub(1)
    );
    Ok(i)
}

/// Zero-padded task number for file names (at least 4 digits).
pub fn task_label(index: usize, count: usize) -> String {
    let width = count.saturating_sub(1).to_string().len().max(4);
    format!("{index:0width$}")
}

/// The output path of task `label`: `{index}` in `path` replaced by it, or
/// `_tile<label>` inserted before the extension.
pub fn tile_path(path: &Path, label: &str) -> PathBuf {
    let s = path.to_string_lossy();
    if s.contains("{index}") {
        return PathBuf::from(s.replace("{index}", label));
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(e) => format!("{stem}_tile{label}.{}", e.to_string_lossy()),
        None => format!("{stem}_tile{label}"),
    };
    path.with_file_name(name)
}

/// One tile task, resolved for a raster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileJob {
    /// Task index.
    pub index: usize,
    /// Number of tasks in the list.
    pub count: usize,
    /// The tile's window (output pixels, input raster numbering).
    pub window: Window,
    /// Extra halo requested by the task list.
    pub halo: usize,
}

impl TileJob {
    /// The tile task of `args` for a raster of `rows × cols` pixels
    /// (`None` without `--tasks`).
    pub fn from_args(
        args: &TileTaskArgs,
        raster: &Path,
        rows: usize,
        cols: usize,
    ) -> anyhow::Result<Option<TileJob>> {
        let Some(path) = &args.tasks else {
            anyhow::ensure!(
                args.index.is_none(),
                "--index needs --tasks FILE (the task list from `cryosar tiles`)"
            );
            return Ok(None);
        };
        let list = TaskList::read(path)?;
        anyhow::ensure!(
            list.kind == "tiles",
            "--tasks {} is a {} list, not a tile list; make one with `cryosar tiles --raster`",
            path.display(),
            list.kind
        );
        let what = format!("--tasks {}", path.display());
        let index = task_index(args.index, list.tasks.len(), &what)?;
        if let Some([r, c]) = list.shape {
            anyhow::ensure!(
                (r, c) == (rows, cols),
                "--tasks {} was made for a raster of {r} × {c} px but {} has {rows} × {cols} px",
                path.display(),
                raster.display()
            );
        }
        let [r0, c0, h, w] = list.tasks[index]
            .window
            .with_context(|| format!("task {index} of --tasks {} has no window", path.display()))?;
        let window = Window::new(r0, c0, h, w);
        anyhow::ensure!(
            h > 0 && w > 0 && window.row_end() <= rows && window.col_end() <= cols,
            "task {index} of --tasks {} ({window}) does not fit {} ({rows} × {cols} px)",
            path.display(),
            raster.display()
        );
        Ok(Some(TileJob {
            index,
            count: list.tasks.len(),
            window,
            halo: list.halo,
        }))
    }

    /// Zero-padded task number for file names.
    pub fn label(&self) -> String {
        task_label(self.index, self.count)
    }

    /// GDAL metadata items that describe the tile.
    pub fn items(&self, halo: [usize; 4]) -> Vec<(String, String)> {
        let w = self.window;
        vec![
            (
                "CRYOSAR_TASK".into(),
                format!("{}/{}", self.index, self.count),
            ),
            (
                "CRYOSAR_TILE_WINDOW".into(),
                format!("{},{},{},{}", w.row0, w.col0, w.rows, w.cols),
            ),
            (
                HALO_ITEM.into(),
                format!("{},{},{},{}", halo[0], halo[1], halo[2], halo[3]),
            ),
        ]
    }
}

/// Write the tile `job.window` of `r` (a raster read on the window `read`
/// of the input) as a single-band f32 GeoTIFF with the window's
/// georeferencing and the tile's metadata items.
pub fn write_tile_f32(
    path: &Path,
    r: &sar_core::Raster<f64>,
    job: &TileJob,
    read: Window,
) -> anyhow::Result<()> {
    let w = job.window;
    let part = r.crop_window(w.row0 - read.row0, w.col0 - read.col0, w.rows, w.cols)?;
    let r32 = part.map(|&v| v as f32);
    crate::util::write_f32_with_metadata(path, &r32, &job.items([0; 4]), "", "")
}

/// Split `rows × cols` pixels into tiles of `tile × tile` (the last row and
/// column of tiles smaller), row by row.
pub fn plan_tiles(rows: usize, cols: usize, tile: usize) -> Vec<Window> {
    let mut out = Vec::new();
    for r0 in (0..rows).step_by(tile.max(1)) {
        for c0 in (0..cols).step_by(tile.max(1)) {
            out.push(Window::new(
                r0,
                c0,
                tile.min(rows - r0),
                tile.min(cols - c0),
            ));
        }
    }
    out
}

/// The windows of one velocity tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VelocityTile {
    /// Template-grid cells delivered (whole-image cell numbering).
    pub cells: Window,
    /// Image pixels the tracking runs on (footprint of the cells).
    pub footprint: Window,
    /// Image pixels read: the footprint plus the high-pass radius, clipped.
    pub read: Window,
}

impl VelocityTile {
    /// Plan the tile of `job` for an image of `rows × cols` px, template
    /// `t`, step `step`, search radius `r` and a high-pass halo `hp` px.
    /// The tile's window edges must lie on multiples of the step (or on the
    /// image edge); `cryosar tiles --align STEP` makes such lists.
    #[allow(clippy::too_many_arguments)]
    pub fn plan(
        job: &TileJob,
        tasks: &Path,
        rows: usize,
        cols: usize,
        t: usize,
        step: usize,
        r: usize,
        hp: usize,
    ) -> anyhow::Result<VelocityTile> {
        let w = job.window;
        let (nr, nc) = (rows / step, cols / step);
        let aligned =
            |start: usize, end: usize, n: usize| start % step == 0 && (end % step == 0 || end == n);
        anyhow::ensure!(
            aligned(w.row0, w.row_end(), rows) && aligned(w.col0, w.col_end(), cols),
            "task {} of --tasks {} ({w}) does not start and end on multiples of --step {step}; \
             make the list with `cryosar tiles --align {step}` so that the tiles fall on the template grid",
            job.index,
            tasks.display()
        );
        let (a, b) = (w.row0 / step, (w.row_end() / step).min(nr));
        let (c, d) = (w.col0 / step, (w.col_end() / step).min(nc));
        anyhow::ensure!(
            a < b && c < d,
            "task {} of --tasks {} ({w}) holds no whole template-grid cell of --step {step} px",
            job.index,
            tasks.display()
        );
        let (r0, r1) = ncc_stack::tiles::footprint_extent(a, b, rows, t, step, r);
        let (c0, c1) = ncc_stack::tiles::footprint_extent(c, d, cols, t, step, r);
        let footprint = Window::new(r0, c0, r1 - r0, c1 - c0);
        Ok(VelocityTile {
            cells: Window::new(a, c, b - a, d - c),
            footprint,
            read: footprint.grown(hp + job.halo, rows, cols),
        })
    }

    /// The footprint's part of an array read on [`VelocityTile::read`].
    pub fn crop_to_footprint(&self, a: ndarray::Array2<f64>) -> ndarray::Array2<f64> {
        let (dr, dc) = (
            self.footprint.row0 - self.read.row0,
            self.footprint.col0 - self.read.col0,
        );
        a.slice(ndarray::s![
            dr..dr + self.footprint.rows,
            dc..dc + self.footprint.cols
        ])
        .to_owned()
    }

    /// The delivered cells of a field tracked on the footprint, on the
    /// whole-image template grid's window.
    pub fn crop_field(
        &self,
        f: ncc_stack::VelocityField,
        step: usize,
    ) -> anyhow::Result<ncc_stack::VelocityField> {
        let (di, dj) = (
            self.cells.row0 - self.footprint.row0 / step,
            self.cells.col0 - self.footprint.col0 / step,
        );
        let (h, w) = (self.cells.rows, self.cells.cols);
        anyhow::ensure!(
            di + h <= f.grid.rows && dj + w <= f.grid.cols,
            "internal error: tile template grid {}×{} lacks cells {di}+{h}, {dj}+{w}",
            f.grid.rows,
            f.grid.cols
        );
        let grid = f.grid.window(di, dj, h, w)?;
        let sl = ndarray::s![di..di + h, dj..dj + w];
        let crop = |r: &sar_core::Raster<f64>| sar_core::Raster {
            data: r.data.slice(sl).to_owned(),
            grid: grid.clone(),
            nodata: r.nodata,
        };
        let status = f.status.slice(sl).to_owned();
        let at_edge = f.at_search_edge.slice(sl).to_owned();
        let fit = f.fit_converged.slice(sl).to_owned();
        let summary = summarise(&status, &at_edge, &fit);
        Ok(ncc_stack::VelocityField {
            offset_x_px: crop(&f.offset_x_px),
            offset_y_px: crop(&f.offset_y_px),
            displacement_east_m: crop(&f.displacement_east_m),
            displacement_north_m: crop(&f.displacement_north_m),
            velocity_east_m_per_day: crop(&f.velocity_east_m_per_day),
            velocity_north_m_per_day: crop(&f.velocity_north_m_per_day),
            speed_m_per_day: crop(&f.speed_m_per_day),
            snr_db: crop(&f.snr_db),
            peak: crop(&f.peak),
            pair_count: sar_core::Raster {
                data: f.pair_count.data.slice(sl).to_owned(),
                grid: grid.clone(),
                nodata: f.pair_count.nodata,
            },
            fit_converged: fit,
            at_search_edge: at_edge,
            status,
            interval_days: f.interval_days,
            template_px: f.template_px,
            search_radius_px: f.search_radius_px,
            summary,
            centre_rows_px: f.centre_rows_px[di..di + h]
                .iter()
                .map(|v| v + self.footprint.row0 as f64)
                .collect(),
            centre_cols_px: f.centre_cols_px[dj..dj + w]
                .iter()
                .map(|v| v + self.footprint.col0 as f64)
                .collect(),
            grid,
        })
    }

    /// The field of a tile whose templates all lie at the image edge or on
    /// no-data (tracking it finds no template to correlate): NaN everywhere,
    /// as the whole-image run has there, on the cells' grid `grid`.
    pub fn empty_field(
        &self,
        grid: sar_core::Grid,
        interval_days: f64,
        template_px: usize,
        search_radius_px: usize,
        step: usize,
        status: ncc_stack::TemplateStatus,
    ) -> ncc_stack::VelocityField {
        let shape = grid.shape();
        let nan = || sar_core::Raster {
            data: ndarray::Array2::from_elem(shape, f64::NAN),
            grid: grid.clone(),
            nodata: None,
        };
        let st = ndarray::Array2::from_elem(shape, status);
        let no = ndarray::Array2::from_elem(shape, false);
        let summary = summarise(&st, &no, &no);
        let hs = (step / 2) as f64;
        ncc_stack::VelocityField {
            offset_x_px: nan(),
            offset_y_px: nan(),
            displacement_east_m: nan(),
            displacement_north_m: nan(),
            velocity_east_m_per_day: nan(),
            velocity_north_m_per_day: nan(),
            speed_m_per_day: nan(),
            snr_db: nan(),
            peak: nan(),
            pair_count: sar_core::Raster {
                data: ndarray::Array2::zeros(shape),
                grid: grid.clone(),
                nodata: None,
            },
            fit_converged: no.clone(),
            at_search_edge: no,
            status: st,
            interval_days,
            template_px,
            search_radius_px,
            summary,
            centre_rows_px: (0..shape.0)
                .map(|i| ((self.cells.row0 + i) * step) as f64 + hs)
                .collect(),
            centre_cols_px: (0..shape.1)
                .map(|j| ((self.cells.col0 + j) * step) as f64 + hs)
                .collect(),
            grid,
        }
    }
}

/// Counts of template outcomes of a (cropped) field.
fn summarise(
    status: &ndarray::Array2<ncc_stack::TemplateStatus>,
    at_edge: &ndarray::Array2<bool>,
    fit: &ndarray::Array2<bool>,
) -> ncc_stack::TrackSummary {
    use ncc_stack::TemplateStatus as S;
    let mut s = ncc_stack::TrackSummary {
        templates: status.len(),
        ..Default::default()
    };
    for ((st, e), f) in status.iter().zip(at_edge).zip(fit) {
        match st {
            S::Valid => {
                s.valid += 1;
                if *e {
                    s.at_search_edge += 1;
                } else if !*f {
                    s.fit_failed += 1;
                }
            }
            S::Edge => s.edge += 1,
            S::NoData => s.nodata += 1,
            S::ZeroVariance => s.zero_variance += 1,
        }
    }
    s
}

/// The glaciers one per-glacier task processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlacierPart {
    /// Task or chunk index.
    pub index: usize,
    /// Number of tasks or chunks.
    pub count: usize,
    /// Indices (into the outline list) of the glaciers of this task, in
    /// outline order.
    pub members: Vec<usize>,
}

impl GlacierPart {
    /// File name of the task's table part: `glaciers_part<I>.csv`.
    pub fn csv_name(&self) -> String {
        format!("glaciers_part{}.csv", task_label(self.index, self.count))
    }
}

/// Parse a glacier task file: JSON (`kind: "glaciers"`) or text lines.
fn glacier_tasks(path: &Path) -> anyhow::Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --tasks {}", path.display()))?;
    if text.trim_start().starts_with('{') {
        let list = TaskList::read(path)?;
        anyhow::ensure!(
            list.kind == "glaciers",
            "--tasks {} is a {} list, not a glacier list",
            path.display(),
            list.kind
        );
        return Ok(list.tasks.into_iter().map(|t| t.glaciers).collect());
    }
    let tasks: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect();
    anyhow::ensure!(
        !tasks.is_empty(),
        "--tasks {} holds no task (one line of glacier ids per task)",
        path.display()
    );
    Ok(tasks)
}

/// Resolve the per-glacier task of `args` for glaciers with ids `ids` (in
/// outline order); `None` without `--tasks` or `--chunks`. Checks
/// everything that needs no raster, so call it before reading.
pub fn glacier_part(args: &GlacierTaskArgs, ids: &[String]) -> anyhow::Result<Option<GlacierPart>> {
    match (&args.tasks, args.chunks) {
        (None, None) => {
            anyhow::ensure!(
                args.index.is_none(),
                "--index needs --tasks FILE or --chunks N"
            );
            Ok(None)
        }
        (Some(path), _) => {
            let tasks = glacier_tasks(path)?;
            let what = format!("--tasks {}", path.display());
            let index = task_index(args.index, tasks.len(), &what)?;
            let mut members = Vec::new();
            for id in &tasks[index] {
                let i = ids.iter().position(|g| g == id).with_context(|| {
                    format!(
                        "glacier {id:?} of task {index} in --tasks {} is not in the outlines \
                         (ids are RGI ids, or feature-N for outlines without one)",
                        path.display()
                    )
                })?;
                if !members.contains(&i) {
                    members.push(i);
                }
            }
            anyhow::ensure!(
                !members.is_empty(),
                "task {index} of --tasks {} names no glacier",
                path.display()
            );
            members.sort_unstable();
            Ok(Some(GlacierPart {
                index,
                count: tasks.len(),
                members,
            }))
        }
        (None, Some(n)) => {
            anyhow::ensure!(n >= 1, "--chunks must be at least 1");
            let index = task_index(args.index, n, &format!("--chunks {n}"))?;
            let (lo, hi) = chunk_range(ids.len(), n, index);
            anyhow::ensure!(
                lo < hi,
                "--chunks {n}: chunk {index} holds no glacier (there are only {}); use at most {} chunks",
                ids.len(),
                ids.len()
            );
            Ok(Some(GlacierPart {
                index,
                count: n,
                members: (lo..hi).collect(),
            }))
        }
    }
}

/// The table-part file name of the per-glacier task of `args`
/// (`glaciers_part<I>.csv`), or `None` without `--tasks`/`--chunks`.
/// Resolves and checks the index and the task file before anything is read.
pub fn glacier_part_name(args: &GlacierTaskArgs) -> anyhow::Result<Option<String>> {
    let (index, count) = match (&args.tasks, args.chunks) {
        (None, None) => {
            anyhow::ensure!(
                args.index.is_none(),
                "--index needs --tasks FILE or --chunks N"
            );
            return Ok(None);
        }
        (Some(path), _) => {
            let n = glacier_tasks(path)?.len();
            let what = format!("--tasks {}", path.display());
            (task_index(args.index, n, &what)?, n)
        }
        (None, Some(n)) => {
            anyhow::ensure!(n >= 1, "--chunks must be at least 1");
            (task_index(args.index, n, &format!("--chunks {n}"))?, n)
        }
    };
    Ok(Some(
        GlacierPart {
            index,
            count,
            members: Vec::new(),
        }
        .csv_name(),
    ))
}

/// Glaciers `[lo, hi)` of chunk `i` of `n` over `len` glaciers: contiguous,
/// sizes differing by at most one, in order.
pub fn chunk_range(len: usize, n: usize, i: usize) -> (usize, usize) {
    let (q, r) = (len / n, len % n);
    let lo = i * q + i.min(r);
    (lo, lo + q + usize::from(i < r))
}

/// A `cryosar velocity` run on one tile of a task list.
#[derive(Debug, Clone)]
pub struct VelocityBatch {
    /// The task.
    pub job: TileJob,
    /// Its windows.
    pub tile: VelocityTile,
    /// Search radius in pixels, resolved on the whole image's grid (so that
    /// every tile uses the whole-image radius, also on geographic grids).
    pub search_px: usize,
    /// The whole image's grid (with `--pixel-size` applied).
    pub full_grid: sar_core::Grid,
    /// `--pixel-size`, for images without georeferencing.
    pixel_size: Option<f64>,
}

impl VelocityBatch {
    /// The tile of `args` for the images (first image `image0`), or `None`
    /// without `--tasks`. `hp_halo` is the high-pass radius in pixels.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        args: &TileTaskArgs,
        image0: &Path,
        pixel_size: Option<f64>,
        params: &ncc_stack::TrackParams,
        interval_days: f64,
        hp_halo: usize,
        prior: bool,
        oversample: bool,
    ) -> anyhow::Result<Option<VelocityBatch>> {
        if args.tasks.is_none() {
            TileJob::from_args(args, image0, 0, 0)?;
            return Ok(None);
        }
        anyhow::ensure!(
            !prior,
            "--prior-vx/--prior-vy cannot be combined with --tasks: a prior moves the search \
             windows, so a tile no longer holds its cells' footprint; run the prior case whole"
        );
        anyhow::ensure!(
            !oversample,
            "--oversample cannot be combined with --tasks (the ×2 oversampling is a whole-image FFT)"
        );
        let info = sar_core::geotiff::read_info(image0)
            .with_context(|| format!("cannot read {}", image0.display()))?;
        let full_grid = if info.grid.transform == sar_core::GeoTransform::default() {
            let ps = pixel_size.with_context(|| {
                format!(
                    "{} has no georeferencing, so pixel offsets cannot become velocities; \
                     give the pixel size in metres with --pixel-size",
                    image0.display()
                )
            })?;
            sar_core::Grid::north_up(
                info.height,
                info.width,
                0.0,
                0.0,
                ps,
                ps,
                sar_core::Crs::unknown(),
            )
        } else {
            info.grid.clone()
        };
        let Some(job) = TileJob::from_args(args, image0, info.height, info.width)? else {
            return Ok(None);
        };
        let search_px = params.search_radius_px(interval_days, &full_grid);
        let tasks = args.tasks.as_deref().unwrap_or(Path::new(""));
        let tile = VelocityTile::plan(
            &job,
            tasks,
            info.height,
            info.width,
            params.get_template_px(),
            params.get_step_px(),
            search_px,
            hp_halo,
        )?;
        Ok(Some(VelocityBatch {
            job,
            tile,
            search_px,
            full_grid,
            pixel_size,
        }))
    }

    /// Read the tile's window (footprint + high-pass halo) of band 0 of
    /// `path`, on the window's grid of the whole image.
    pub fn read(&self, path: &Path) -> anyhow::Result<sar_core::Raster<f64>> {
        let w = self.tile.read;
        let mut r = sar_core::geotiff::read_window_f64(path, 0, w)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let info = sar_core::geotiff::read_info(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if info.grid.transform == sar_core::GeoTransform::default() {
            anyhow::ensure!(
                self.pixel_size.is_some(),
                "{} has no georeferencing, so pixel offsets cannot become velocities; \
                 give the pixel size in metres with --pixel-size",
                path.display()
            );
            anyhow::ensure!(
                (info.height, info.width) == self.full_grid.shape(),
                "{} has {} × {} px, not the {} × {} px of the first image",
                path.display(),
                info.height,
                info.width,
                self.full_grid.rows,
                self.full_grid.cols
            );
            r.grid = self.full_grid.window(w.row0, w.col0, w.rows, w.cols)?;
        }
        Ok(r)
    }

    /// A pre-processed image cropped to the footprint (tile mode), or as it is.
    pub fn crop(this: &Option<VelocityBatch>, a: ndarray::Array2<f64>) -> ndarray::Array2<f64> {
        match this {
            Some(v) => v.tile.crop_to_footprint(a),
            None => a,
        }
    }

    /// The grid of the footprint (tile mode) from the grid of the read window.
    pub fn footprint_grid(
        this: &Option<VelocityBatch>,
        read_grid: sar_core::Grid,
    ) -> anyhow::Result<sar_core::Grid> {
        Ok(match this {
            Some(v) => {
                let (f, r) = (v.tile.footprint, v.tile.read);
                read_grid.window(f.row0 - r.row0, f.col0 - r.col0, f.rows, f.cols)?
            }
            None => read_grid,
        })
    }

    /// The search radius: the whole image's in pixels (tile mode), else as given.
    pub fn search(
        this: &Option<VelocityBatch>,
        search: ncc_stack::SearchRadius,
    ) -> ncc_stack::SearchRadius {
        match this {
            Some(v) => ncc_stack::SearchRadius::Pixels(v.search_px),
            None => search,
        }
    }

    /// The field to write: the tile's delivered cells (tile mode; a tile
    /// with no template to correlate gives NaN cells, as the whole-image
    /// run has there), or the tracking result as it is.
    pub fn finish(
        this: &Option<VelocityBatch>,
        tracked: ncc_stack::Result<ncc_stack::VelocityField>,
        template_px: usize,
        step: usize,
        interval_days: f64,
    ) -> anyhow::Result<ncc_stack::VelocityField> {
        use ncc_stack::NccError as E;
        let Some(v) = this else {
            return Ok(tracked?);
        };
        match tracked {
            Ok(f) => v.tile.crop_field(f, step),
            Err(e @ (E::NoValidTemplate(_) | E::AllNaN(_) | E::TemplateTooLarge { .. })) => {
                let status = match e {
                    E::AllNaN(_) => ncc_stack::TemplateStatus::NoData,
                    _ => ncc_stack::TemplateStatus::Edge,
                };
                let c = v.tile.cells;
                let grid = v
                    .full_grid
                    .coarsen(step, step)?
                    .window(c.row0, c.col0, c.rows, c.cols)?;
                Ok(v.tile
                    .empty_field(grid, interval_days, template_px, v.search_px, step, status))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// File-name prefix of the tile's products: `tile<I>_` (tile mode) or empty.
    pub fn prefix(this: &Option<VelocityBatch>) -> String {
        this.as_ref()
            .map_or_else(String::new, |v| format!("tile{}_", v.job.label()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_glacier_once_in_order() {
        for len in [0usize, 1, 5, 17, 100] {
            for n in 1..=7 {
                let mut next = 0;
                for i in 0..n {
                    let (lo, hi) = chunk_range(len, n, i);
                    assert_eq!(lo, next);
                    assert!(hi - lo <= len / n + 1);
                    next = hi;
                }
                assert_eq!(next, len);
            }
        }
    }

    #[test]
    fn tiles_cover_the_raster_once() {
        for (rows, cols, t) in [(10usize, 7usize, 3usize), (64, 64, 64), (5, 100, 16)] {
            let mut hit = vec![0u8; rows * cols];
            for w in plan_tiles(rows, cols, t) {
                for r in w.row0..w.row_end() {
                    for c in w.col0..w.col_end() {
                        hit[r * cols + c] += 1;
                    }
                }
            }
            assert!(hit.iter().all(|&h| h == 1));
        }
    }

    #[test]
    fn tile_paths() {
        assert_eq!(
            tile_path(Path::new("out/slope.tif"), "0003"),
            PathBuf::from("out/slope_tile0003.tif")
        );
        assert_eq!(
            tile_path(Path::new("out/{index}/slope.tif"), "0003"),
            PathBuf::from("out/0003/slope.tif")
        );
        assert_eq!(task_label(3, 9), "0003");
        assert_eq!(task_label(12, 100_000), "00012");
    }
}
