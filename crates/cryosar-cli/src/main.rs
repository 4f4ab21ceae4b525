//! The `cryosar` command-line program.
//!
//! Each subcommand lives in its own module (`cmd_*.rs`) with a clap `Args`
//! struct and a `run` function; `demo.rs` chains the library crates on
//! synthetic data.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;
mod util;
// @modules (one `mod cmd_<name>;` line per subcommand module)
mod cmd_info;
mod cmd_terrain;

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
    // @subcommands (one variant per subcommand)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Info(a) => cmd_info::run(a),
        Command::Terrain(a) => cmd_terrain::run(a),
        Command::Demo(a) => demo::run(a),
        // @dispatch (one arm per subcommand)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
