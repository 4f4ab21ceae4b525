//! `cryosar unwrap`: minimum-cost-flow phase unwrapping of a GeoTIFF.

use std::path::PathBuf;

use anyhow::Context;
use phase_unwrap::{unwrap_with_progress, UnwrapParams};
use sar_core::{geotiff, Raster};

use crate::util::OutputSet;

/// Arguments of `cryosar unwrap`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Wrapped phase GeoTIFF: a real band in radians, or a complex
    /// interferogram band whose argument is used (zero amplitude = no data).
    pub phase: PathBuf,
    /// Coherence GeoTIFF on the same grid, values in [0, 1] (others = no data).
    #[arg(long)]
    pub coherence: Option<PathBuf>,
    /// Validity mask GeoTIFF on the same grid: non-zero = unwrap the pixel.
    #[arg(long)]
    pub mask: Option<PathBuf>,
    /// Equivalent number of looks of the interferogram and coherence (>= 1).
    #[arg(long, default_value_t = 1.0)]
    pub looks: f64,
    /// Tile side in pixels for large images (default: one network for the whole image).
    #[arg(long)]
    pub tile: Option<usize>,
    /// Overlap between tiles in pixels (with --tile).
    #[arg(long, default_value_t = 256)]
    pub overlap: usize,
    /// Output unwrapped phase GeoTIFF (Float32, radians, NaN = no data).
    #[arg(long)]
    pub out: PathBuf,
    /// Optional output of connected components (UInt32, 0 = not unwrapped).
    #[arg(long)]
    pub components: Option<PathBuf>,
}

/// Bytes per pixel held by an untiled run: inputs, the residue network,
/// the solver's per-node arrays and the outputs.
pub const UNWRAP_BYTES_PER_PIXEL: u64 = 120;

fn read_same_grid(flag: &str, path: &PathBuf, phase: &Raster<f64>) -> anyhow::Result<Raster<f64>> {
    let r = geotiff::read_f64(path, 0)
        .with_context(|| format!("cannot read {flag} {}", path.display()))?;
    phase
        .ensure_same_grid(&r)
        .with_context(|| format!("{flag} {} is not on the grid of the phase", path.display()))?;
    Ok(r)
}

/// Run `cryosar unwrap`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let params = UnwrapParams::default()
        .looks(args.looks)
        .tile_size(args.tile)
        .tile_overlap(args.overlap);
    params.check().map_err(|e| match &e {
        phase_unwrap::UnwrapError::InvalidParameter { name, .. } => {
            let flag = match *name {
                "looks" => "--looks",
                "tile_size" => "--tile",
                "tile_overlap" => "--overlap",
                _ => "a flag",
            };
            anyhow::anyhow!("{flag}: {e}")
        }
        _ => anyhow::anyhow!("{e}"),
    })?;
    let mut outs = OutputSet::new();
    outs.input("PHASE", &args.phase);
    if let Some(c) = &args.coherence {
        outs.input("--coherence", c);
    }
    if let Some(m) = &args.mask {
        outs.input("--mask", m);
    }
    let out_tmp = outs.output("--out", &args.out)?;
    let cc_tmp = match &args.components {
        Some(p) => Some(outs.output("--components", p)?),
        None => None,
    };
    let info = geotiff::read_info(&args.phase)
        .with_context(|| format!("cannot read the phase {}", args.phase.display()))?;
    let per_pixel = if args.tile.is_some() {
        40
    } else {
        UNWRAP_BYTES_PER_PIXEL
    };
    geotiff::check_memory(&args.phase, &info, per_pixel)
        .with_context(|| format!("cannot unwrap {}; try --tile 2048", args.phase.display()))?;
    let phase = if info.data_type.is_complex() {
        let z = geotiff::read_complex32(&args.phase, 0)
            .with_context(|| format!("cannot read the interferogram {}", args.phase.display()))?;
        Raster::new(
            z.data.mapv(|c| {
                if c.re == 0.0 && c.im == 0.0 || !(c.re.is_finite() && c.im.is_finite()) {
                    f64::NAN
                } else {
                    (c.im as f64).atan2(c.re as f64)
                }
            }),
            z.grid.clone(),
        )?
    } else {
        geotiff::read_f64(&args.phase, 0)
            .with_context(|| format!("cannot read the phase {}", args.phase.display()))?
    };
    let coherence = match &args.coherence {
        Some(p) => Some(read_same_grid("--coherence", p, &phase)?),
        None => None,
    };
    let mask = match &args.mask {
        Some(p) => Some(
            read_same_grid("--mask", p, &phase)?
                .data
                .mapv(|v| v.is_finite() && v != 0.0),
        ),
        None => None,
    };
    // Progress on stderr (hidden when stderr is not a terminal): tiles in
    // tiled mode, else the residue charges the solver has paired.
    let tiled = args.tile.is_some_and(|t| info.height > t || info.width > t);
    let bar = indicatif::ProgressBar::new(1);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(if tiled { "tiles" } else { "residue charges" });
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let out = unwrap_with_progress(
        &phase.data,
        coherence.as_ref().map(|c| &c.data),
        mask.as_ref(),
        &params,
        &progress,
    )
    .with_context(|| format!("cannot unwrap {}", args.phase.display()))?;
    bar.finish_and_clear();
    let unw = Raster::new(out.phase.mapv(|v| v as f32), phase.grid.clone())?;
    geotiff::write_f32(&out_tmp, &unw)
        .with_context(|| format!("cannot write --out {}", args.out.display()))?;
    if let (Some(tmp), Some(p)) = (&cc_tmp, &args.components) {
        let cc = Raster::new(out.components.clone(), phase.grid.clone())?.with_nodata(Some(0.0));
        geotiff::write_bands(tmp, &[cc], &geotiff::WriteOptions::default())
            .with_context(|| format!("cannot write --components {}", p.display()))?;
    }
    outs.commit()?;
    eprintln!(
        "unwrapped {} x {} pixels: {} residues, {} component(s), {} tile(s)",
        info.height, info.width, out.residues, out.n_components, out.tiles
    );
    Ok(())
}
