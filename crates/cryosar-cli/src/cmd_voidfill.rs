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

use crate::util::{write_png_colormap, Colormap, OutputSet};

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
    /// Output: latent predictive standard deviation GeoTIFF (m/yr, error of
    /// the filled value as an estimate of the true dh/dt; 0 on measured pixels).
    #[arg(long)]
    pub std: Option<PathBuf>,
    /// Output: observation predictive standard deviation GeoTIFF (m/yr,
    /// latent + noise: spread of a measurement around the filled value; 0 on
    /// measured pixels).
    #[arg(long)]
    pub observation_std: Option<PathBuf>,
    /// Seed of the split and subsamples.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Maximum L-BFGS iterations of the hyper-parameter fit (default 200).
    #[arg(long, default_value_t = 200)]
    pub max_iterations: usize,
    /// Use the thesis's Adam schedule (lr 0.01, <= 1000 epochs, stopping-set
    /// RMSE with a 100-epoch warm-up) instead of L-BFGS.
    #[arg(long)]
    pub thesis_adam: bool,
}

/// Run `cryosar voidfill`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=1_000_000).contains(&args.max_iterations),
        "--max-iterations {} is out of range: give 1–1000000",
        args.max_iterations
    );
    let mut outs = OutputSet::new();
    outs.input("the dh/dt map", &args.dhdt);
    outs.input("--dem", &args.dem);
    outs.input("--mask", &args.mask);
    let filled_tmp = outs.output("--filled", &args.filled)?;
    let std_tmp = args
        .std
        .as_ref()
        .map(|p| outs.output("--std", p))
        .transpose()?;
    let obs_std_tmp = args
        .observation_std
        .as_ref()
        .map(|p| outs.output("--observation-std", p))
        .transpose()?;
    let info = geotiff::read_info(&args.dhdt)
        .with_context(|| format!("cannot read the dh/dt map {}", args.dhdt.display()))?;
    for (flag, p) in [("--dem", &args.dem), ("--mask", &args.mask)] {
        let i =
            geotiff::read_info(p).with_context(|| format!("cannot read {flag} {}", p.display()))?;
        anyhow::ensure!(
            i.grid.same_as(&info.grid),
            "{flag} {} ({}×{} px) is not on the grid of the dh/dt map {} ({}×{} px); resample it onto that grid",
            p.display(),
            i.width,
            i.height,
            args.dhdt.display(),
            info.width,
            info.height
        );
    }
    let dhdt = geotiff::read_f64(&args.dhdt, 0)
        .with_context(|| format!("cannot read {}", args.dhdt.display()))?;
    let dem = geotiff::read_f64(&args.dem, 0)
        .with_context(|| format!("cannot read {}", args.dem.display()))?;
    let mask = geotiff::read_f64(&args.mask, 0)
        .with_context(|| format!("cannot read {}", args.mask.display()))?
        .map(|v| u8::from(v.is_finite() && *v != 0.0));
    let params = if args.thesis_adam {
        GpVoidFill::thesis_adam()
    } else {
        GpVoidFill::new().max_iterations(args.max_iterations)
    }
    .seed(args.seed);
    let f = fill_glacier(&params, &dhdt, &dem, &mask).with_context(|| {
        format!(
            "cannot fill the voids of {} (DEM {}, mask {})",
            args.dhdt.display(),
            args.dem.display(),
            args.mask.display()
        )
    })?;
    geotiff::write_f64(&filled_tmp, &f.filled).context("cannot write --filled")?;
    if let Some(p) = &std_tmp {
        geotiff::write_f64(p, &f.latent_std).context("cannot write --std")?;
    }
    if let Some(p) = &obs_std_tmp {
        geotiff::write_f64(p, &f.observation_std).context("cannot write --observation-std")?;
    }
    outs.commit()?;
    let r = &f.report;
    println!(
        "{{\"method\": \"{:?}\", \"optimizer\": \"{:?}\", \"n_train\": {}, \"n_validation\": {}, \
         \"iterations\": {}, \"val_rmse\": {:.4}, \"val_mae\": {:.4}, \"val_r2\": {:.4}, \
         \"val_coverage_95\": {:.4}, \"n_void\": {}, \
         \"void_mean\": {}, \"void_mean_std_error\": {}}}",
        r.method,
        r.optimizer,
        r.n_train,
        r.n_validation,
        r.iterations,
        r.validation.rmse,
        r.validation.mae,
        r.validation.r2,
        r.validation_coverage_95,
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
    // default training (data-driven start, L-BFGS)
    let params = GpVoidFill::new();
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
    geotiff::write_f64(out.join("voidfill_std.tif"), &f.latent_std)?;
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
        f.latent_std.data.view(),
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
        .zip(f.latent_std.data.iter())
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
        "synthetic glacier {}x{} px, noise {} m/yr: {} measured, {} void pixels; {:?}, {:?}, {} iterations",
        p.rows, p.cols, p.noise_std, r.n_measured, f.n_void, r.method, r.optimizer, r.iterations
    )?;
    writeln!(
        report,
        "held-out RMSE {:.3} m/yr, MAE {:.3} m/yr, R² {:.3}, 95 % coverage {:.1} %; noise std {:.3} m/yr",
        r.validation.rmse,
        r.validation.mae,
        r.validation.r2,
        100.0 * r.validation_coverage_95,
        r.hyperparameters.noise_std
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
