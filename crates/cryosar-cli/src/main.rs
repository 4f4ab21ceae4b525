//! The `cryosar` command-line program.
//!
//! Each subcommand lives in its own module (`cmd_*.rs`) with a clap `Args`
//! struct and a `run` function; `demo.rs` chains the library crates on
//! synthetic data.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;
mod demo_uncertainty;
mod quicklook;
mod util;
// @modules (one `mod cmd_<name>;` line per subcommand module)
mod batch;
mod cmd_dem;
mod cmd_dhdt;
mod cmd_info;
mod cmd_massbalance;
mod cmd_merge;
mod cmd_points;
mod cmd_snowstats;
mod cmd_terrain;
mod cmd_tiles;
mod cmd_unwrap;
mod cmd_velocity;
mod cmd_velocity_series;
mod cmd_voidfill;
mod cmd_wetsnow;
mod demo_dem;
mod demo_massbalance;

/// cryosar: glacier and snow measurements from SAR data.
#[derive(Debug, Parser)]
#[command(name = "cryosar", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Memory ceiling for reading rasters, e.g. 8G or 500M (default: the
    /// CRYOSAR_MAX_MEMORY environment variable, else half the physical memory).
    #[arg(long, global = true, value_name = "SIZE")]
    max_memory: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a GeoTIFF's size, type, georeferencing and band statistics as JSON.
    Info(cmd_info::Args),
    /// Slope, aspect and local incidence angle of a DEM, as GeoTIFFs.
    Terrain(cmd_terrain::Args),
    /// Run the end-to-end demo on synthetic data it generates itself.
    Demo(demo::Args),
    /// Wet-snow map of one Sentinel-1 date (R_c, WSI, TSI, SI) from VV/VH, a winter reference and a DEM.
    Wetsnow(cmd_wetsnow::Args),
    /// Wet-snow extent per elevation band and date, and melting duration per year, from a series of masks.
    Snowstats(cmd_snowstats::Args),
    /// Fill the voids of a glacier dh/dt map with a Gaussian process (mean, std, void-mean error).
    Voidfill(cmd_voidfill::Args),
    // @subcommands (one variant per subcommand)
    /// Task list of a batch array (Slurm job array, AWS Batch array job): tiles of a raster or groups of glaciers.
    Tiles(cmd_tiles::Args),
    /// Stitch the tiles of a batch array into one GeoTIFF, or concatenate per-glacier table parts (--tables).
    Merge(cmd_merge::Args),
    /// dh/dt from dated DEMs: epoch mosaics, Nuth & Kääb co-registration (Table 4.1 report), outlier filter, GeoTIFFs + PNG.
    Dhdt(cmd_dhdt::Args),
    /// Per-glacier and regional geodetic mass balance with uncertainty from dh/dt, a reference DEM and outlines.
    Massbalance(cmd_massbalance::Args),
    /// Unwrap an interferometric phase by minimum-cost flow (Costantini 1998), optionally in tiles.
    Unwrap(cmd_unwrap::Args),
    /// DEM from a TanDEM-X CoSSC (--cossc) or two co-registered SLCs + JSON geometry (--slc1/--slc2/--geometry) by iterative refinement of a reference DEM.
    Dem(cmd_dem::Args),
    /// DEM − point heights (ICESat shots, GNSS) statistics as JSON: mean, median, NMAD.
    Points(cmd_points::Args),
    /// Glacier surface velocity from an intensity time series by NCC stacking.
    Velocity(cmd_velocity::Args),
    /// Velocity time series (one band per interval) from many pairs by 2-step least squares per connected component.
    VelocitySeries(cmd_velocity_series::Args),
}

fn main() -> ExitCode {
    util::quiet_broken_pipe();
    let cli = Cli::parse();
    if let Some(m) = &cli.max_memory {
        match sar_core::geotiff::parse_memory_size(m) {
            Some(b) => sar_core::geotiff::set_memory_limit(b),
            None => {
                eprintln!("error: --max-memory {m:?} is not a memory size; write e.g. 8G, 500M or 2000000000");
                return ExitCode::FAILURE;
            }
        }
    }
    let result = match &cli.command {
        Command::Info(a) => cmd_info::run(a),
        Command::Terrain(a) => cmd_terrain::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Wetsnow(a) => cmd_wetsnow::run(a),
        Command::Snowstats(a) => cmd_snowstats::run(a),
        Command::Voidfill(a) => cmd_voidfill::run(a),
        // @dispatch (one arm per subcommand)
        Command::Tiles(a) => cmd_tiles::run(a),
        Command::Merge(a) => cmd_merge::run(a),
        Command::Dhdt(a) => cmd_dhdt::run(a),
        Command::Massbalance(a) => cmd_massbalance::run(a),
        Command::Unwrap(a) => cmd_unwrap::run(a),
        Command::Dem(a) => cmd_dem::run(a),
        Command::Points(a) => cmd_points::run(a),
        Command::Velocity(a) => cmd_velocity::run(a),
        Command::VelocitySeries(a) => cmd_velocity_series::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
