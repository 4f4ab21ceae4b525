//! `cryosar dem`: a DEM from a TanDEM-X CoSSC product by iterative
//! refinement of a reference DEM (thesis sect. 4.3.1), with the
//! `insar-dem` library.

use std::path::{Path, PathBuf};

use anyhow::Context;
use insar_dem::annotation::Cossc;
use insar_dem::processing::{self, DemParams};
use sar_core::{geotiff, Raster};

/// Arguments of `cryosar dem`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CoSSC product directory (the one holding the TDM*.xml main annotation).
    #[arg(long)]
    pub cossc: PathBuf,
    /// Reference DEM GeoTIFF on a geographic (EPSG:4326) grid, e.g. Copernicus GLO-30.
    /// Geoid (EGM2008) heights when --geoid is given, else WGS84 ellipsoid heights.
    #[arg(long = "ref")]
    pub reference: PathBuf,
    /// Geoid undulation GeoTIFF N (metres, geographic grid covering the DEM):
    /// the reference is converted with H_ell = H + N and the output back with H = H_ell − N.
    #[arg(long)]
    pub geoid: Option<PathBuf>,
    /// Output directory (created; must not exist or be empty).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of DEM updates (thesis: 3, giving H₃).
    #[arg(long, default_value_t = 3)]
    pub iterations: usize,
    /// Coherence threshold of the mask (thesis: 0.3).
    #[arg(long, default_value_t = 0.3)]
    pub coherence_min: f64,
    /// Seed of the random phase that fills masked pixels before unwrapping.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

fn f64_to_f32(r: &Raster<f64>) -> Raster<f32> {
    r.map(|&v| v as f32)
}

/// Run `cryosar dem`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let params = DemParams::default()
        .iterations(args.iterations)
        .coherence_min(args.coherence_min)
        .seed(args.seed);
    params
        .check()
        .map_err(|e| anyhow::anyhow!("--iterations/--coherence-min: {e}"))?;
    if args.out.exists() {
        let empty = std::fs::read_dir(&args.out)
            .with_context(|| format!("--out {} is not a readable directory", args.out.display()))?
            .next()
            .is_none();
        anyhow::ensure!(
            empty,
            "--out {} exists and is not empty; choose a new directory",
            args.out.display()
        );
    }
    eprintln!("[1/4] reading the CoSSC {}", args.cossc.display());
    let cossc =
        Cossc::read(&args.cossc).with_context(|| format!("--cossc {}", args.cossc.display()))?;
    let pair = cossc
        .geometry()
        .with_context(|| format!("--cossc {}: geometry", args.cossc.display()))?;
    eprintln!(
        "      active satellite {} ({}), passive {}, {:?}, {} × {} samples",
        cossc.designation.active,
        cossc.designation.master_id,
        cossc.designation.passive,
        cossc.mode,
        pair.grid.lines,
        pair.grid.samples
    );
    eprintln!(
        "[2/4] reading the reference DEM {}",
        args.reference.display()
    );
    let reference = geotiff::read_f64(&args.reference, 0)
        .with_context(|| format!("--ref {}", args.reference.display()))?;
    let geoid = match &args.geoid {
        Some(p) => {
            Some(geotiff::read_f64(p, 0).with_context(|| format!("--geoid {}", p.display()))?)
        }
        None => None,
    };
    let reference_ell = match &geoid {
        Some(n) => processing::geoid_to_ellipsoid(&reference, n).with_context(|| {
            format!(
                "--geoid {} with --ref {}",
                args.geoid.as_ref().unwrap().display(),
                args.reference.display()
            )
        })?,
        None => reference.clone(),
    };
    eprintln!("[3/4] InSAR processing, {} iterations", params.iterations);
    let progress = |stage: &str, k: usize| eprintln!("      iteration {k}: {stage}");
    let products = processing::generate_dem(
        &pair,
        cossc.active_slc.view(),
        cossc.passive_slc.view(),
        &reference_ell,
        &params,
        &progress,
    )
    .with_context(|| {
        format!(
            "DEM generation from {} with {}",
            args.cossc.display(),
            args.reference.display()
        )
    })?;
    let (final_dem, datum) = match &geoid {
        Some(n) => (
            processing::ellipsoid_to_geoid(&products.dem, n)?,
            "geoid heights H = H_ell − N (N from --geoid)",
        ),
        None => (products.dem.clone(), "WGS84 ellipsoid heights"),
    };
    eprintln!("[4/4] writing {}", args.out.display());
    // All or nothing: write into a sibling temporary directory, then rename.
    let parent = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = parent.join(format!(".cryosar-dem-partial-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let written = write_outputs(
        args,
        &tmp,
        &pair,
        &cossc,
        &reference_ell,
        &products,
        &final_dem,
        datum,
        &params,
    );
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if args.out.exists() {
        std::fs::remove_dir(&args.out)
            .with_context(|| format!("cannot replace the empty {}", args.out.display()))?;
    }
    if let Err(e) = std::fs::rename(&tmp, &args.out) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e)
            .with_context(|| format!("cannot move the outputs to {}", args.out.display()));
    }
    for s in &products.stats {
        eprintln!(
            "      Δh_{}: median {:.3} m, NMAD {:.3} m, {:.1} % unwrapped",
            s.iteration,
            s.median_dh_m,
            s.nmad_dh_m,
            100.0 * s.fraction_unwrapped
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn write_outputs(
    args: &Args,
    tmp: &Path,
    pair: &insar_dem::geometry::PairGeometry,
    cossc: &Cossc,
    reference_ell: &Raster<f64>,
    products: &processing::DemProducts,
    final_dem: &Raster<f64>,
    datum: &str,
    params: &DemParams,
) -> anyhow::Result<()> {
    let w = |name: &str, r: &Raster<f64>| -> anyhow::Result<()> {
        let p = tmp.join(name);
        geotiff::write_f32(&p, &f64_to_f32(r))
            .with_context(|| format!("cannot write {}", p.display()))
    };
    w("dem.tif", final_dem)?;
    for (k, dh) in products.dh.iter().enumerate() {
        w(&format!("dh_{}.tif", k + 1), dh)?;
    }
    w("coherence.tif", &products.coherence)?;
    w("unwrapped_phase.tif", &products.unwrapped_phase)?;
    let mp = tmp.join("mask.tif");
    geotiff::write_u8(&mp, &products.mask)
        .with_context(|| format!("cannot write {}", mp.display()))?;
    let (rm, cm) = (
        0.5 * (pair.grid.lines - 1) as f64,
        0.5 * (pair.grid.samples - 1) as f64,
    );
    let h_mid = reference_ell.summary().map(|s| s.median).unwrap_or(0.0);
    let ha = pair.height_of_ambiguity(rm, cm, h_mid).ok();
    let report = serde_json::json!({
        "cossc": args.cossc.display().to_string(),
        "reference": args.reference.display().to_string(),
        "geoid": args.geoid.as_ref().map(|p| p.display().to_string()),
        "datum": datum,
        "active_satellite": cossc.designation.active,
        "passive_satellite": cossc.designation.passive,
        "insar_master_id": cossc.designation.master_id,
        "acquisition_mode": format!("{:?}", cossc.mode),
        "p": cossc.mode.p(),
        "height_of_ambiguity_scene_centre_m": ha,
        "iterations": products.stats,
        "coherence_min": params.coherence_min,
        "looks": [params.looks.0, params.looks.1],
        "mask_codes": {"0": "valid", "1": "coherence below threshold", "2": "layover", "3": "shadow", "4": "outside the radar scene or no data"},
        "outputs": {
            "dem.tif": format!("final DEM H_{} ({datum}), metres", params.iterations),
            "dh_k.tif": "height update of iteration k, metres",
            "coherence.tif": "coherence of the last iteration on the DEM grid",
            "unwrapped_phase.tif": "corrected residual phase of the last iteration, radians",
            "mask.tif": "mask of the last iteration (codes above)"
        }
    });
    let rp = tmp.join("report.json");
    std::fs::write(&rp, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("cannot write {}", rp.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use insar_dem::synthetic::{bistatic_pair, SceneParams};

    #[test]
    fn dem_command_on_a_synthetic_cossc() {
        let pair = bistatic_pair(
            3,
            &SceneParams {
                lines: 64,
                samples: 64,
                steep_ridge: false,
                ..SceneParams::default()
            },
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cossc = dir.path().join("cossc");
        pair.to_cossc(true).unwrap().write(&cossc, false).unwrap();
        // Reference in geoid heights with a constant-plus-gradient geoid.
        let n = pair.reference.grid.clone();
        let geoid = Raster::new(
            ndarray::Array2::from_shape_fn(n.shape(), |(r, c)| {
                45.0 + 0.01 * r as f64 - 0.02 * c as f64
            }),
            n,
        )
        .unwrap();
        let ref_geoid = processing::ellipsoid_to_geoid(&pair.reference, &geoid).unwrap();
        let rp = dir.path().join("ref.tif");
        let gp = dir.path().join("geoid.tif");
        geotiff::write_f64(&rp, &ref_geoid).unwrap();
        geotiff::write_f64(&gp, &geoid).unwrap();
        let out = dir.path().join("out");
        let args = Args {
            cossc: cossc.clone(),
            reference: rp.clone(),
            geoid: Some(gp),
            out: out.clone(),
            iterations: 2,
            coherence_min: 0.3,
            seed: 1,
        };
        run(&args).unwrap();
        for f in [
            "dem.tif",
            "dh_1.tif",
            "dh_2.tif",
            "coherence.tif",
            "mask.tif",
            "unwrapped_phase.tif",
            "report.json",
        ] {
            assert!(out.join(f).is_file(), "{f} missing");
        }
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["active_satellite"], "TDX-1");
        assert_eq!(report["p"], 1.0);
        assert!(report["datum"].as_str().unwrap().contains("geoid"));
        assert_eq!(report["iterations"].as_array().unwrap().len(), 2);
        // Output in geoid heights: close to truth − N where valid.
        let dem = geotiff::read_f64(out.join("dem.tif"), 0).unwrap();
        let truth_geoid = processing::ellipsoid_to_geoid(&pair.truth, &geoid).unwrap();
        let mask = geotiff::read_u8(out.join("mask.tif"), 0).unwrap();
        let errs: Vec<f64> = dem
            .data
            .iter()
            .zip(truth_geoid.data.iter())
            .zip(mask.data.iter())
            .filter(|(_, &m)| m == 0)
            .map(|((a, b), _)| a - b)
            .collect();
        assert!(errs.len() > 50);
        let med = sar_core::stats::median(errs.iter().copied()).unwrap();
        assert!(med.abs() < 1.0, "median error {med} m");
        // Bad inputs: output exists and is not empty; missing CoSSC.
        let e = run(&args).unwrap_err();
        assert!(format!("{e:#}").contains("not empty"), "{e:#}");
        let e = run(&Args {
            cossc: dir.path().join("nope"),
            out: dir.path().join("o2"),
            ..args
        })
        .unwrap_err();
        assert!(format!("{e:#}").contains("--cossc"), "{e:#}");
    }
}
