//! `cryosar voidfill`: Gaussian-process void filling of a glacier dh/dt map
//! (thesis sect. 4.3.2.2) with per-pixel uncertainty and the void-mean error
//! of eq. 4.13.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use gp_voidfill::synthetic::{glacier, SyntheticGlacierParams};
use gp_voidfill::{fill_glacier, fill_glacier_with_terrain, hypsometric_fill, GpVoidFill};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::geotiff;

use crate::util::{write_png_colormap, Colormap};

/// Arguments of `cryosar voidfill`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// dh/dt GeoTIFF (m/yr; no-data = void).
    pub dhdt: PathBuf,
    /// Reference DEM GeoTIFF on the same grid (m).
    #[arg(long)]
    pub dem: PathBuf,
    /// Glacier mask GeoTIFF on the same grid (non-zero = glacier).
    #[arg(long)]
    pub mask: PathBuf,
    /// Output: filled dh/dt GeoTIFF (m/yr).
    #[arg(long)]
    pub filled: PathBuf,
    /// Output: predictive standard deviation GeoTIFF (m/yr, 0 on measured pixels).
    #[arg(long)]
    pub std: Option<PathBuf>,
    /// Seed of the split and subsamples.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Maximum Adam epochs (thesis: 1000).
    #[arg(long, default_value_t = 1000)]
    pub max_epochs: usize,
}

/// Run `cryosar voidfill`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let dhdt = geotiff::read_f64(&args.dhdt, 0)
        .with_context(|| format!("cannot read {}", args.dhdt.display()))?;
    let dem = geotiff::read_f64(&args.dem, 0)
        .with_context(|| format!("cannot read {}", args.dem.display()))?;
    let mask = geotiff::read_f64(&args.mask, 0)
        .with_context(|| format!("cannot read {}", args.mask.display()))?
        .map(|v| u8::from(v.is_finite() && *v != 0.0));
    let params = GpVoidFill::new()
        .seed(args.seed)
        .max_epochs(args.max_epochs);
    let f = fill_glacier(&params, &dhdt, &dem, &mask)?;
    geotiff::write_f64(&args.filled, &f.filled)?;
    if let Some(p) = &args.std {
        geotiff::write_f64(p, &f.std)?;
    }
    let r = &f.report;
    println!(
        "{{\"method\": \"{:?}\", \"n_train\": {}, \"n_validation\": {}, \"epochs\": {}, \
         \"val_rmse\": {:.4}, \"val_mae\": {:.4}, \"val_r2\": {:.4}, \"n_void\": {}, \
         \"void_mean\": {}, \"void_mean_std_error\": {}}}",
        r.method,
        r.n_train,
        r.n_validation,
        r.epochs_run,
        r.validation.rmse,
        r.validation.mae,
        r.validation.r2,
        f.n_void,
        f.void_mean.map_or(f64::NAN, |v| v.mean),
        f.void_mean.map_or(f64::NAN, |v| v.std_error),
    );
    Ok(())
}

/// Demo: fill a synthetic glacier and compare with hypsometric interpolation.
pub fn demo_part(out: &Path, report: &mut String) -> anyhow::Result<()> {
    let p = SyntheticGlacierParams {
        rows: 26,
        cols: 46,
        ..Default::default()
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let g = glacier(&p, &mut rng);
    // shortened Adam schedule (lr 0.03, 400 epochs) to keep the demo fast
    let params = GpVoidFill::new().learning_rate(0.03).max_epochs(400);
    let f = fill_glacier_with_terrain(
        &params,
        &g.observed,
        &g.dem,
        &g.slope_deg,
        &g.aspect_deg,
        &g.mask,
    )?;
    let hyp = hypsometric_fill(&g.observed, &g.dem, &g.mask, 50.0)?;
    geotiff::write_f64(out.join("voidfill_observed.tif"), &g.observed)?;
    geotiff::write_f64(out.join("voidfill_filled.tif"), &f.filled)?;
    geotiff::write_f64(out.join("voidfill_std.tif"), &f.std)?;
    write_png_colormap(
        &out.join("voidfill_filled.png"),
        f.filled.data.view(),
        -3.0,
        1.0,
        Colormap::RdBu,
        "dh/dt (m/yr)",
    )?;
    write_png_colormap(
        &out.join("voidfill_std.png"),
        f.std.data.view(),
        0.0,
        0.4,
        Colormap::Magma,
        "GP std (m/yr)",
    )?;
    let (mut se_gp, mut se_h, mut cover, mut n) = (0.0, 0.0, 0usize, 0usize);
    for (((v, fg), s), (fh, t)) in g
        .voids
        .data
        .iter()
        .zip(f.filled.data.iter())
        .zip(f.std.data.iter())
        .zip(hyp.data.iter().zip(g.truth.data.iter()))
    {
        if *v != 0 && fg.is_finite() {
            se_gp += (fg - t) * (fg - t);
            se_h += (fh - t) * (fh - t);
            cover += usize::from((fg - t).abs() <= 1.96 * s);
            n += 1;
        }
    }
    anyhow::ensure!(n > 0, "synthetic glacier without voids");
    let r = &f.report;
    writeln!(report, "## GP void filling (gp-voidfill)")?;
    writeln!(
        report,
        "synthetic glacier {}x{} px, noise {} m/yr: {} measured, {} void pixels; {:?}, {} epochs",
        p.rows, p.cols, p.noise_std, r.n_measured, f.n_void, r.method, r.epochs_run
    )?;
    writeln!(
        report,
        "validation RMSE {:.3} m/yr, MAE {:.3} m/yr, R² {:.3}; noise std {:.3} m/yr",
        r.validation.rmse, r.validation.mae, r.validation.r2, r.hyperparameters.noise_std
    )?;
    writeln!(
        report,
        "void RMSE vs truth: GP {:.3} m/yr, hypsometric {:.3} m/yr; 95 % interval coverage {:.1} %",
        (se_gp / n as f64).sqrt(),
        (se_h / n as f64).sqrt(),
        100.0 * cover as f64 / n as f64
    )?;
    if let Some(vm) = f.void_mean {
        writeln!(
            report,
            "void mean {:.3} ± {:.3} m/yr (eq. 4.13)\n",
            vm.mean, vm.std_error
        )?;
    }
    Ok(())
}
