//! `cryosar tiles`: the task list of a batch array (Slurm job array, AWS
//! Batch array job): pixel tiles of a raster, or groups of glaciers.
//! See `batch.rs` for how the tasks are run and merged.

use std::path::PathBuf;

use anyhow::Context;
use sar_core::{geotiff, vector};

use crate::batch::{plan_tiles, Task, TaskList, TASKS_FORMAT};

/// Arguments of `cryosar tiles`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cryosar tiles --raster dem.tif --tile 1024 --out tasks.json
  sbatch --array=0-8 --wrap 'cryosar terrain dem.tif --slope out/slope.tif --tasks tasks.json'
  cryosar merge --out slope.tif out/slope_tile*.tif

  cryosar tiles --raster s1_0.tif --tile 2048 --align 16 --out vtasks.json   # velocity, --step 16
  cryosar tiles --outlines rgi.shp --per-task 20 --out glaciers.json        # massbalance")]
pub struct Args {
    /// Raster to split into tiles (only its header is read).
    #[arg(
        long,
        conflicts_with = "outlines",
        required_unless_present = "outlines"
    )]
    pub raster: Option<PathBuf>,
    /// Tile size in pixels (square; the last row and column of tiles are smaller).
    #[arg(long, default_value_t = 1024)]
    pub tile: usize,
    /// Tile edges on multiples of this many pixels: give velocity's --step
    /// so that tiles fall on the template grid (--tile must be a multiple).
    #[arg(long, default_value_t = 1)]
    pub align: usize,
    /// Extra halo in pixels that every task reads around its tile, on top
    /// of what its command needs (terrain 1 px; velocity its footprint).
    #[arg(long, default_value_t = 0)]
    pub halo: usize,
    /// Glacier outlines to split into tasks of --per-task glaciers (outline order).
    #[arg(long)]
    pub outlines: Option<PathBuf>,
    /// Glaciers per task with --outlines.
    #[arg(long, default_value_t = 10)]
    pub per_task: usize,
    /// Output task list (JSON).
    #[arg(long)]
    pub out: PathBuf,
}

/// Run `cryosar tiles`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let list = match (&args.raster, &args.outlines) {
        (Some(raster), _) => {
            anyhow::ensure!(
                (1..=1 << 20).contains(&args.tile),
                "--tile must be in 1..=1048576 px, got {}",
                args.tile
            );
            anyhow::ensure!(args.align >= 1, "--align must be at least 1");
            anyhow::ensure!(
                args.tile % args.align == 0,
                "--tile {} is not a multiple of --align {}; tiles would leave the template grid",
                args.tile,
                args.align
            );
            anyhow::ensure!(args.halo <= 1 << 16, "--halo must be at most 65536 px");
            let info = geotiff::read_info(raster)
                .with_context(|| format!("cannot read --raster {}", raster.display()))?;
            let tasks = plan_tiles(info.height, info.width, args.tile)
                .into_iter()
                .map(|w| Task {
                    window: Some([w.row0, w.col0, w.rows, w.cols]),
                    glaciers: Vec::new(),
                })
                .collect();
            TaskList {
                format: TASKS_FORMAT.into(),
                kind: "tiles".into(),
                source: raster.display().to_string(),
                shape: Some([info.height, info.width]),
                halo: args.halo,
                tasks,
            }
        }
        (None, Some(outlines)) => {
            anyhow::ensure!(args.per_task >= 1, "--per-task must be at least 1");
            let o = vector::read_outlines(outlines)
                .with_context(|| format!("cannot read --outlines {}", outlines.display()))?;
            anyhow::ensure!(
                !o.features.is_empty(),
                "--outlines {} holds no polygon",
                outlines.display()
            );
            let ids: Vec<String> = o
                .features
                .iter()
                .map(|f| {
                    f.rgi()
                        .rgi_id
                        .unwrap_or_else(|| format!("feature-{}", f.id))
                })
                .collect();
            TaskList {
                format: TASKS_FORMAT.into(),
                kind: "glaciers".into(),
                source: outlines.display().to_string(),
                shape: None,
                halo: 0,
                tasks: ids
                    .chunks(args.per_task)
                    .map(|c| Task {
                        window: None,
                        glaciers: c.to_vec(),
                    })
                    .collect(),
            }
        }
        (None, None) => anyhow::bail!("give --raster FILE (tiles) or --outlines FILE (glaciers)"),
    };
    let mut outs = crate::util::OutputSet::new();
    if let Some(r) = &args.raster {
        outs.input("--raster", r);
    }
    if let Some(o) = &args.outlines {
        outs.input("--outlines", o);
    }
    let tmp = outs.output("--out", &args.out)?;
    list.write(&tmp)?;
    outs.commit()?;
    let n = list.tasks.len();
    println!(
        "{n} {} task(s) written to {}; run them as a Slurm job array (sbatch --array=0-{}) \
         or an AWS Batch array job (arrayProperties.size = {n}) with --tasks {}",
        list.kind,
        args.out.display(),
        n - 1,
        args.out.display()
    );
    Ok(())
}
