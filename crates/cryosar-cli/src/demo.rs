//! `cryosar demo`: the main job on synthetic data.
//!
//! Each library crate contributes one part (a function `demo_part` in its
//! `cmd_*` module, called below); each part writes its GeoTIFFs and PNGs
//! into the output folder (a staging folder moved into place at the end, so
//! that a failed run leaves nothing) and appends a section to `report.txt`.

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
    if args.out.exists() && !args.out.is_dir() {
        anyhow::bail!("--out {} exists and is not a folder", args.out.display());
    }
    // Every part writes into a staging folder next to --out, moved into
    // --out at the end: a demo that fails or is interrupted leaves --out as
    // it was.
    let stage = crate::util::StagingDir::new(&args.out)
        .with_context(|| format!("cannot prepare output folder {}", args.out.display()))?;
    let dir = stage.path().to_path_buf();
    let mut report = String::new();
    writeln!(report, "cryosar demo report\n===================\n")?;
    crate::cmd_terrain::demo_part(&dir, &mut report)?;
    crate::cmd_wetsnow::demo_part(&dir, &mut report)?;
    crate::cmd_voidfill::demo_part(&dir, &mut report)?;
    crate::demo_uncertainty::demo_part(&dir, &mut report)?;
    // @demo (one `crate::cmd_<name>::demo_part(&dir, &mut report)?;` line per part)
    crate::demo_dem::demo_part(&dir, &mut report)?;
    crate::demo_massbalance::demo_part(&dir, &mut report)?;
    crate::cmd_velocity::demo_part(&dir, &mut report)?;
    crate::cmd_velocity_series::demo_part(&dir, &mut report)?;
    // parts that name their folder name the staging one: show the final one
    let report = report.replace(&dir.display().to_string(), &args.out.display().to_string());
    let path = dir.join("report.txt");
    crate::util::write_text_atomic(&path, &report)?;
    stage.commit()?;
    print!("{report}");
    println!("outputs written to {}", args.out.display());
    Ok(())
}
