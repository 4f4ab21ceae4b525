//! `cryosar demo`: the main job on synthetic data.
//!
//! Each library crate contributes one part (a function `demo_part` in its
//! `cmd_*` module, called below); each part writes its GeoTIFFs and PNGs
//! into the output folder and appends a section to `report.txt`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;

/// Arguments of `cryosar demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output folder (created if missing).
    #[arg(long, default_value = "cryosar-demo")]
    pub out: PathBuf,
}

/// Run every demo part and write `report.txt`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create output folder {}", args.out.display()))?;
    let mut report = String::new();
    writeln!(report, "cryosar demo report\n===================\n")?;
    crate::cmd_terrain::demo_part(&args.out, &mut report)?;
    crate::cmd_wetsnow::demo_part(&args.out, &mut report)?;
    crate::cmd_voidfill::demo_part(&args.out, &mut report)?;
    crate::demo_uncertainty::demo_part(&args.out, &mut report)?;
    // @demo (one `crate::cmd_<name>::demo_part(&args.out, &mut report)?;` line per part)
    crate::demo_massbalance::demo_part(&args.out, &mut report)?;
    crate::cmd_velocity::demo_part(&args.out, &mut report)?;
    crate::cmd_velocity_series::demo_part(&args.out, &mut report)?;
    let path = args.out.join("report.txt");
    crate::util::write_text_atomic(&path, &report)?;
    print!("{report}");
    println!("outputs written to {}", args.out.display());
    Ok(())
}
