//! The `cryosar` command-line program.
//!
//! Each subcommand lives in its own module (`cmd_*.rs`) with a clap `Args`
//! struct and a `run` function; `demo.rs` chains the library crates on
//! synthetic data.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;
mod demo_uncertainty;
mod util;
// @modules (one `mod cmd_<name>;` line per subcommand module)
mod cmd_info;
mod cmd_snowstats;
mod cmd_terrain;
mod cmd_velocity;
mod cmd_voidfill;
mod cmd_wetsnow;

/// cryosar: glacier and snow measurements from SAR data.
#[derive(Debug, Parser)]
#[command(name = "cryosar", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// Glacier surface velocity from an intensity time series by NCC stacking.
    Velocity(cmd_velocity::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Info(a) => cmd_info::run(a),
        Command::Terrain(a) => cmd_terrain::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Wetsnow(a) => cmd_wetsnow::run(a),
        Command::Snowstats(a) => cmd_snowstats::run(a),
        Command::Voidfill(a) => cmd_voidfill::run(a),
        // @dispatch (one arm per subcommand)
        Command::Velocity(a) => cmd_velocity::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
