//! `cryosar merge`: stitch the tiles of a batch array onto their union
//! grid (GeoTIFF), or concatenate per-glacier table parts (`--tables`).
//!
//! Tiles are placed by their georeferencing: every tile must have the CRS,
//! pixel size and rotation of the first and lie on its pixel grid (origins
//! a whole number of pixels apart). A halo is cropped from each tile first:
//! the `CRYOSAR_HALO_PX` metadata item (`top,left,bottom,right`) when the
//! tile has one, else `--halo N` on every side that is not on the edge of
//! the union. Pixels covered by two tiles must agree; pixels covered by
//! none are no-data.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ndarray::Array2;
use sar_core::geotiff::{self, DataType, GeoTiffInfo, Sample, Window};
use sar_core::{GeoTransform, Grid, Raster};

use crate::batch::HALO_ITEM;

/// Arguments of `cryosar merge`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cryosar merge --out slope.tif out/slope_tile*.tif
  cryosar merge --out vx.tif vel/                # every .tif in the folder
  cryosar merge --tables --out glaciers.csv mb/glaciers_part*.csv")]
pub struct Args {
    /// Tiles (GeoTIFF), or folders whose `.tif` files are the tiles; with
    /// --tables, CSV parts (or folders of `.csv` files), concatenated in
    /// the order given (folders sorted by name).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output mosaic (GeoTIFF) or, with --tables, the merged CSV.
    #[arg(long)]
    pub out: PathBuf,
    /// Halo in pixels to crop from every tile side that is not on the edge
    /// of the mosaic, for tiles without a CRYOSAR_HALO_PX metadata item.
    #[arg(long, default_value_t = 0)]
    pub halo: usize,
    /// Concatenate CSV table parts (same header) instead of stitching tiles.
    #[arg(long)]
    pub tables: bool,
}

/// The input files: files as given, folders expanded to their files with
/// extension `ext` (sorted).
fn expand(inputs: &[PathBuf], ext: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot list the folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && f.extension()
                            .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
                })
                .collect();
            v.sort();
            anyhow::ensure!(
                !v.is_empty(),
                "the folder {} holds no .{ext} file",
                p.display()
            );
            out.extend(v);
        } else {
            anyhow::ensure!(p.is_file(), "input {} does not exist", p.display());
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Run `cryosar merge`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    if args.tables {
        return merge_tables(args);
    }
    let files = expand(&args.inputs, "tif")?;
    let mut outs = crate::util::OutputSet::new();
    for f in &files {
        outs.input("tile", f);
    }
    let tmp = outs.output("--out", &args.out)?;
    let infos: Vec<GeoTiffInfo> = files
        .iter()
        .map(|f| {
            geotiff::read_info(f).with_context(|| format!("cannot read the tile {}", f.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    let plan = place(&files, &infos, args.halo)?;
    let dt = infos[0].data_type;
    let n = match dt {
        DataType::U8 => stitch::<u8>(&files, &infos, &plan, &tmp)?,
        DataType::I8 => stitch::<i8>(&files, &infos, &plan, &tmp)?,
        DataType::U16 => stitch::<u16>(&files, &infos, &plan, &tmp)?,
        DataType::I16 => stitch::<i16>(&files, &infos, &plan, &tmp)?,
        DataType::U32 => stitch::<u32>(&files, &infos, &plan, &tmp)?,
        DataType::I32 => stitch::<i32>(&files, &infos, &plan, &tmp)?,
        DataType::F32 => stitch::<f32>(&files, &infos, &plan, &tmp)?,
        DataType::F64 => stitch::<f64>(&files, &infos, &plan, &tmp)?,
        other => anyhow::bail!(
            "{} holds {other} samples; merge stitches real-valued tiles only",
            files[0].display()
        ),
    };
    outs.commit()?;
    let (rows, cols) = plan.grid.shape();
    println!(
        "{} tile(s) merged into {} ({rows} × {cols} px, {} band(s)); {n} pixel(s) covered by no tile",
        files.len(),
        args.out.display(),
        infos[0].bands
    );
    Ok(())
}

/// Where each tile goes.
struct Plan {
    /// The union grid.
    grid: Grid,
    /// Per tile: the part of the tile kept (tile pixels) and its top-left
    /// position in the union grid.
    parts: Vec<(Window, usize, usize)>,
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Check that the tiles share CRS, pixel size and pixel grid; compute the
/// union grid and each tile's kept part.
fn place(files: &[PathBuf], infos: &[GeoTiffInfo], halo: usize) -> anyhow::Result<Plan> {
    let first = &infos[0];
    let t0 = first.grid.transform.0;
    anyhow::ensure!(
        first.grid.transform != GeoTransform::default(),
        "the tile {} has no georeferencing, so it cannot be placed",
        files[0].display()
    );
    let scale = t0[1]
        .abs()
        .max(t0[5].abs())
        .max(t0[2].abs())
        .max(t0[4].abs());
    let mut offsets = Vec::with_capacity(infos.len());
    for (f, info) in files.iter().zip(infos) {
        let t = info.grid.transform.0;
        anyhow::ensure!(
            info.grid.crs.same_as(&first.grid.crs),
            "the tile {} has the CRS {} but {} has {}; tiles must share one CRS",
            f.display(),
            info.grid.crs,
            files[0].display(),
            first.grid.crs
        );
        anyhow::ensure!(
            [1, 2, 4, 5]
                .iter()
                .all(|&k| close(t[k], t0[k], 1e-9 * scale)),
            "the tile {} has the pixel size / rotation ({}, {}, {}, {}) but {} has ({}, {}, {}, {}); \
             tiles must share one pixel size",
            f.display(),
            t[1],
            t[2],
            t[4],
            t[5],
            files[0].display(),
            t0[1],
            t0[2],
            t0[4],
            t0[5]
        );
        anyhow::ensure!(
            info.bands == first.bands && info.data_type == first.data_type,
            "the tile {} has {} band(s) of {} but {} has {} of {}",
            f.display(),
            info.bands,
            info.data_type,
            files[0].display(),
            first.bands,
            first.data_type
        );
        // the tile origin in pixels of the first tile
        let (c, r) = first
            .grid
            .transform
            .inverse_apply(t[0], t[3])
            .with_context(|| {
                format!(
                    "the tile {} has a singular geotransform",
                    files[0].display()
                )
            })?;
        let (ri, ci) = (r.round(), c.round());
        anyhow::ensure!(
            close(r, ri, 1e-6) && close(c, ci, 1e-6),
            "the tile {} is not on the pixel grid of {} (its origin is {:.4} rows, {:.4} columns from it)",
            f.display(),
            files[0].display(),
            r,
            c
        );
        offsets.push((ri as i64, ci as i64));
    }
    let halos: Vec<Option<[usize; 4]>> = files
        .iter()
        .zip(infos)
        .map(|(f, info)| halo_item(f, info))
        .collect::<anyhow::Result<_>>()?;
    // union of the tiles as stored (halo included): its edges keep their halo
    let r_min = offsets.iter().map(|o| o.0).min().unwrap_or(0);
    let c_min = offsets.iter().map(|o| o.1).min().unwrap_or(0);
    let r_max = offsets
        .iter()
        .zip(infos)
        .map(|(o, i)| o.0 + i.height as i64)
        .max()
        .unwrap_or(0);
    let c_max = offsets
        .iter()
        .zip(infos)
        .map(|(o, i)| o.1 + i.width as i64)
        .max()
        .unwrap_or(0);
    let mut parts = Vec::with_capacity(infos.len());
    let mut kept = Vec::with_capacity(infos.len());
    for ((f, info), (&(r0, c0), h)) in files.iter().zip(infos).zip(offsets.iter().zip(&halos)) {
        let [top, left, bottom, right] = match h {
            Some(h) => *h,
            None => {
                let side = |on_edge: bool| if on_edge { 0 } else { halo };
                [
                    side(r0 == r_min),
                    side(c0 == c_min),
                    side(r0 + info.height as i64 == r_max),
                    side(c0 + info.width as i64 == c_max),
                ]
            }
        };
        anyhow::ensure!(
            top + bottom < info.height && left + right < info.width,
            "the halo ({top}, {left}, {bottom}, {right} px) of the tile {} leaves nothing of its {} × {} px",
            f.display(),
            info.height,
            info.width
        );
        let w = Window::new(
            top,
            left,
            info.height - top - bottom,
            info.width - left - right,
        );
        kept.push((r0 + top as i64, c0 + left as i64, w));
    }
    // the union of the kept parts
    let ur = kept.iter().map(|k| k.0).min().unwrap_or(0);
    let uc = kept.iter().map(|k| k.1).min().unwrap_or(0);
    let ur1 = kept
        .iter()
        .map(|k| k.0 + k.2.rows as i64)
        .max()
        .unwrap_or(0);
    let uc1 = kept
        .iter()
        .map(|k| k.1 + k.2.cols as i64)
        .max()
        .unwrap_or(0);
    for (r, c, w) in kept {
        parts.push((w, (r - ur) as usize, (c - uc) as usize));
    }
    let (rows, cols) = ((ur1 - ur) as usize, (uc1 - uc) as usize);
    // the union grid: the first tile's grid moved to the union's corner
    let (x, y) = first.grid.pixel_to_map(uc as f64, ur as f64);
    let mut t = t0;
    t[0] = x;
    t[3] = y;
    let grid = Grid::new(rows, cols, GeoTransform(t), first.grid.crs.clone());
    let per_px = (first.bands * first.data_type.bytes() + 1) as u64;
    let need = (rows as u64)
        .saturating_mul(cols as u64)
        .saturating_mul(per_px);
    anyhow::ensure!(
        need <= geotiff::memory_limit(),
        "the mosaic of {rows} × {cols} px would need {need} bytes of memory, above the ceiling of {} \
         (raise it with --max-memory); are the tiles from one run?",
        geotiff::memory_limit()
    );
    Ok(Plan { grid, parts })
}

/// The tile's `CRYOSAR_HALO_PX` item, if it has one.
fn halo_item(f: &Path, info: &GeoTiffInfo) -> anyhow::Result<Option<[usize; 4]>> {
    let Some(v) = info.metadata.get(HALO_ITEM) else {
        return Ok(None);
    };
    let nums: Vec<usize> = v
        .split(',')
        .map(|s| s.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .ok()
        .filter(|n: &Vec<usize>| n.len() == 4)
        .with_context(|| {
            format!(
                "the tile {} has {HALO_ITEM}={v:?}; expected four whole numbers top,left,bottom,right",
                f.display()
            )
        })?;
    Ok(Some([nums[0], nums[1], nums[2], nums[3]]))
}

/// A sample type the mosaic can hold, with its no-data fill.
trait Fill: Sample + PartialEq {
    /// The fill value for no-data `nodata` (NaN for floats without one).
    fn fill(nodata: Option<f64>) -> Self;
    /// Same value (NaN equals NaN).
    fn same(self, other: Self) -> bool {
        self == other
    }
}

macro_rules! int_fill {
    ($($t:ty),*) => {$(
        impl Fill for $t {
            fn fill(nodata: Option<f64>) -> Self {
                nodata
                    .filter(|v| v.fract() == 0.0 && *v >= <$t>::MIN as f64 && *v <= <$t>::MAX as f64)
                    .map_or(0, |v| v as $t)
            }
        }
    )*};
}
int_fill!(u8, i8, u16, i16, u32, i32);

impl Fill for f32 {
    fn fill(nodata: Option<f64>) -> Self {
        nodata.map_or(f32::NAN, |v| v as f32)
    }
    fn same(self, other: Self) -> bool {
        self.to_bits() == other.to_bits() || (self.is_nan() && other.is_nan())
    }
}

impl Fill for f64 {
    fn fill(nodata: Option<f64>) -> Self {
        nodata.unwrap_or(f64::NAN)
    }
    fn same(self, other: Self) -> bool {
        self.to_bits() == other.to_bits() || (self.is_nan() && other.is_nan())
    }
}

/// Stitch every band of the tiles into `out`; returns the number of
/// mosaic pixels no tile covers.
fn stitch<T: Fill>(
    files: &[PathBuf],
    infos: &[GeoTiffInfo],
    plan: &Plan,
    out: &Path,
) -> anyhow::Result<usize> {
    let nodata = infos[0].nodata;
    let shape = plan.grid.shape();
    let mut bands = Vec::with_capacity(infos[0].bands);
    let mut uncovered = 0;
    for b in 0..infos[0].bands {
        let mut data = Array2::from_elem(shape, T::fill(nodata));
        let mut hit = Array2::from_elem(shape, false);
        for (f, &(w, r0, c0)) in files.iter().zip(&plan.parts) {
            let tile = geotiff::read_window_band::<T>(f, b, w)
                .with_context(|| format!("cannot read the tile {}", f.display()))?;
            // the tile's no-data value becomes the mosaic's
            let own = T::fill(tile.nodata);
            for ((i, j), v) in tile.data.indexed_iter() {
                let v = if tile.nodata.is_some() && v.same(own) {
                    T::fill(nodata)
                } else {
                    *v
                };
                let (r, c) = (r0 + i, c0 + j);
                if hit[[r, c]] {
                    anyhow::ensure!(
                        data[[r, c]].same(v),
                        "the tile {} overlaps another tile at mosaic pixel (row {r}, column {c}) \
                         with a different value; crop their halos with --halo N",
                        f.display()
                    );
                } else {
                    data[[r, c]] = v;
                    hit[[r, c]] = true;
                }
            }
        }
        uncovered = hit.iter().filter(|h| !**h).count();
        bands.push(Raster::new(data, plan.grid.clone())?.with_nodata(nodata));
    }
    let mut opts = geotiff::WriteOptions::default();
    let mut md = infos[0].metadata.clone();
    md.items.retain(|(k, _)| {
        !matches!(
            k.as_str(),
            "CRYOSAR_TASK" | "CRYOSAR_TILE_WINDOW" | HALO_ITEM
        )
    });
    if !md.is_empty() {
        opts = opts.metadata(md);
    }
    geotiff::write_bands(out, &bands, &opts)
        .with_context(|| format!("cannot write --out {}", out.display()))?;
    Ok(uncovered)
}

/// `--tables`: concatenate CSV parts with one header.
fn merge_tables(args: &Args) -> anyhow::Result<()> {
    let files = expand(&args.inputs, "csv")?;
    let mut outs = crate::util::OutputSet::new();
    for f in &files {
        outs.input("table part", f);
    }
    let tmp = outs.output("--out", &args.out)?;
    let mut header: Option<(String, &Path)> = None;
    let mut text = String::new();
    let mut seen = std::collections::HashMap::new();
    let mut rows = 0usize;
    for f in &files {
        let part = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the table part {}", f.display()))?;
        let mut lines = part.lines();
        let h = lines
            .next()
            .with_context(|| format!("the table part {} is empty (no header)", f.display()))?;
        match &header {
            None => {
                header = Some((h.to_string(), f));
                text.push_str(h);
                text.push('\n');
            }
            Some((h0, f0)) => anyhow::ensure!(
                h == h0,
                "the table part {} has the header {h:?} but {} has {h0:?}; parts must come from one command",
                f.display(),
                f0.display()
            ),
        }
        for l in lines.filter(|l| !l.is_empty()) {
            let key = l.split(',').next().unwrap_or("").to_string();
            if let Some(prev) = seen.insert(key.clone(), f.clone()).filter(|p| p != f) {
                anyhow::bail!(
                    "the row {key:?} is in both {} and {}; each glacier must be in one part",
                    prev.display(),
                    f.display()
                );
            }
            text.push_str(l);
            text.push('\n');
            rows += 1;
        }
    }
    crate::util::write_text_atomic(&tmp, &text)?;
    outs.commit()?;
    println!(
        "{} table part(s), {rows} row(s) merged into {}",
        files.len(),
        args.out.display()
    );
    Ok(())
}
