//! `cryosar dem`: a DEM from a TanDEM-X CoSSC product by iterative
//! refinement of a reference DEM (thesis sect. 4.3.1), with the
//! `insar-dem` library.

use std::path::{Path, PathBuf};

use anyhow::Context;
use insar_dem::annotation::Cossc;
use insar_dem::processing::{self, DemParams};
use sar_core::{geotiff, Raster};

use crate::util::{write_f32_with_metadata, OutputSet};

/// Arguments of `cryosar dem`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// TanDEM-X CoSSC product directory (the one holding the TDM*.xml main annotation;
    /// COSAR v1 int16 or v2 half-float images; the active satellite is the inSARmasterID).
    #[arg(long, required_unless_present = "slc1", conflicts_with_all = ["slc1", "slc2", "geometry"])]
    pub cossc: Option<PathBuf>,
    /// Generic input instead of --cossc: the first (active) co-registered SLC, a complex
    /// GeoTIFF (.tif) or a raw binary of float32 I/Q pairs (byte order in --geometry).
    #[arg(long, requires_all = ["slc2", "geometry"])]
    pub slc1: Option<PathBuf>,
    /// Generic input: the second (passive) SLC, resampled onto the first one's grid.
    #[arg(long, requires_all = ["slc1", "geometry"])]
    pub slc2: Option<PathBuf>,
    /// Generic input: JSON geometry description: {"mode": "Bistatic"|"Monostatic",
    /// "byte_order": "little"|"big" (raw binaries), "grid": {sensing_start, line_time,
    /// near_range, range_spacing, wavelength, look_side, lines, samples}, "active_orbit"
    /// and "passive_orbit": lists of {time, position (x, y, z), velocity (vx, vy, vz)}}; times in
    /// seconds from one epoch, one-way ranges and ECEF in metres. See docs/user-guide.md.
    #[arg(long, requires_all = ["slc1", "slc2"])]
    pub geometry: Option<PathBuf>,
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
    // All or nothing: every output registered (and checked against the
    // inputs and each other) before anything is read, written to
    // temporaries and renamed together at the end.
    let mut outs = OutputSet::new();
    let input = Input::of(args)?;
    for (flag, p) in input.files() {
        outs.input(flag, p);
    }
    outs.input("--ref", &args.reference);
    if let Some(g) = &args.geoid {
        outs.input("--geoid", g);
    }
    let mut o = |name: &str| outs.output_in("--out", &args.out, name);
    let paths = OutPaths {
        dem: o("dem.tif")?,
        dh: (1..=params.iterations)
            .map(|k| o(&format!("dh_{k}.tif")))
            .collect::<anyhow::Result<_>>()?,
        coherence: o("coherence.tif")?,
        unwrapped_phase: o("unwrapped_phase.tif")?,
        mask: o("mask.tif")?,
        report: o("report.json")?,
        hillshade_png: o("dem_hillshade.png")?,
        dh_png: o("dh_total.png")?,
    };
    let (slcs, source) = input.read()?;
    let pair = &slcs.geometry;
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
    let reference_ell = match (&geoid, &args.geoid) {
        (Some(n), Some(gp)) => {
            processing::geoid_to_ellipsoid(&reference, n).with_context(|| {
                format!(
                    "--geoid {} with --ref {}",
                    gp.display(),
                    args.reference.display()
                )
            })?
        }
        _ => reference.clone(),
    };
    eprintln!("[3/4] InSAR processing, {} iterations", params.iterations);
    let bar = stage_bar(params.iterations);
    let progress = |stage: &str, k: usize| {
        bar.set_message(format!("iteration {k}/{}: {stage}", params.iterations));
        bar.inc(1);
    };
    let products = processing::generate_dem(
        pair,
        slcs.active_slc.view(),
        slcs.passive_slc.view(),
        &reference_ell,
        &params,
        &progress,
    )
    .with_context(|| {
        format!(
            "DEM generation from {} with {}",
            input.describe(),
            args.reference.display()
        )
    })?;
    bar.finish_and_clear();
    anyhow::ensure!(
        products.dh.len() == paths.dh.len(),
        "internal error: {} height updates for {} iterations",
        products.dh.len(),
        paths.dh.len()
    );
    let (final_dem, datum) = match &geoid {
        Some(n) => (
            processing::ellipsoid_to_geoid(&products.dem, n)?,
            "geoid heights H = H_ell − N (N from --geoid)",
        ),
        None => (products.dem.clone(), "WGS84 ellipsoid heights"),
    };
    eprintln!("[4/4] writing {}", args.out.display());
    write_outputs(
        args,
        &paths,
        pair,
        &source,
        &reference_ell,
        &products,
        &final_dem,
        datum,
        &params,
    )?;
    outs.commit()?;
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

/// Temporary paths of every output of one run (see [`OutputSet`]).
struct OutPaths {
    dem: PathBuf,
    dh: Vec<PathBuf>,
    coherence: PathBuf,
    unwrapped_phase: PathBuf,
    mask: PathBuf,
    report: PathBuf,
    hillshade_png: PathBuf,
    dh_png: PathBuf,
}

#[allow(clippy::too_many_arguments)]
fn write_outputs(
    args: &Args,
    paths: &OutPaths,
    pair: &insar_dem::geometry::PairGeometry,
    source: &serde_json::Value,
    reference_ell: &Raster<f64>,
    products: &processing::DemProducts,
    final_dem: &Raster<f64>,
    datum: &str,
    params: &DemParams,
) -> anyhow::Result<()> {
    // Each GeoTIFF explains itself in GDAL's metadata tag: what it is, its
    // unit, the inputs and settings.
    let items = vec![
        ("INPUT".to_string(), source.to_string()),
        (
            "REFERENCE_DEM".to_string(),
            args.reference.display().to_string(),
        ),
        ("VERTICAL_DATUM".to_string(), datum.to_string()),
        ("ITERATIONS".to_string(), params.iterations.to_string()),
        (
            "COHERENCE_MIN".to_string(),
            params.coherence_min.to_string(),
        ),
    ];
    let w = |p: &Path, r: &Raster<f64>, description: &str, unit: &str| {
        write_f32_with_metadata(p, &f64_to_f32(r), &items, description, unit)
    };
    w(
        &paths.dem,
        final_dem,
        &format!("DEM H_{} ({datum})", params.iterations),
        "m",
    )?;
    for (k, (p, dh)) in paths.dh.iter().zip(&products.dh).enumerate() {
        w(p, dh, &format!("height update of iteration {}", k + 1), "m")?;
    }
    w(
        &paths.coherence,
        &products.coherence,
        "coherence of the last iteration",
        "",
    )?;
    w(
        &paths.unwrapped_phase,
        &products.unwrapped_phase,
        "corrected residual phase of the last iteration",
        "rad",
    )?;
    geotiff::write_u8(&paths.mask, &products.mask)
        .with_context(|| format!("cannot write {}", paths.mask.display()))?;
    let (rm, cm) = (
        0.5 * (pair.grid.lines - 1) as f64,
        0.5 * (pair.grid.samples - 1) as f64,
    );
    let h_mid = reference_ell.summary().map(|s| s.median).unwrap_or(0.0);
    let ha = pair.height_of_ambiguity(rm, cm, h_mid).ok();
    let report = serde_json::json!({
        "input": source,
        "reference": args.reference.display().to_string(),
        "geoid": args.geoid.as_ref().map(|p| p.display().to_string()),
        "datum": datum,
        "acquisition_mode": format!("{:?}", pair.mode),
        "p": pair.mode.p(),
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
            "mask.tif": "mask of the last iteration (codes above)",
            "dem_hillshade.png": "hillshade of the final DEM",
            "dh_total.png": "H_n − H_0 with a colour bar"
        }
    });
    quicklooks(paths, reference_ell, products, final_dem, datum)?;
    std::fs::write(&paths.report, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("cannot write {}", paths.report.display()))?;
    Ok(())
}

/// Where the pair comes from: a CoSSC product or the generic input.
enum Input<'a> {
    Cossc(&'a Path),
    Generic {
        slc1: &'a Path,
        slc2: &'a Path,
        geometry: &'a Path,
    },
}

/// The pair geometry and both SLCs, and a JSON description of the source.
type Pair = (insar_dem::generic::GenericPair, serde_json::Value);

impl<'a> Input<'a> {
    fn of(args: &'a Args) -> anyhow::Result<Self> {
        match (&args.cossc, &args.slc1, &args.slc2, &args.geometry) {
            (Some(c), None, None, None) => Ok(Input::Cossc(c)),
            (None, Some(a), Some(b), Some(g)) => Ok(Input::Generic {
                slc1: a,
                slc2: b,
                geometry: g,
            }),
            _ => anyhow::bail!("give either --cossc DIR or all of --slc1, --slc2 and --geometry"),
        }
    }

    fn files(&self) -> Vec<(&'static str, &'a Path)> {
        match self {
            Input::Cossc(c) => vec![("--cossc", c)],
            Input::Generic {
                slc1,
                slc2,
                geometry,
            } => vec![("--slc1", slc1), ("--slc2", slc2), ("--geometry", geometry)],
        }
    }

    fn describe(&self) -> String {
        self.files()
            .iter()
            .map(|(f, p)| format!("{f} {}", p.display()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn read(&self) -> anyhow::Result<Pair> {
        match self {
            Input::Cossc(dir) => {
                eprintln!("[1/4] reading the CoSSC {}", dir.display());
                let cossc =
                    Cossc::read(dir).with_context(|| format!("--cossc {}", dir.display()))?;
                let pair = cossc
                    .geometry()
                    .with_context(|| format!("--cossc {}: geometry", dir.display()))?;
                eprintln!(
                    "      active satellite {} ({}), passive {}, {:?}, {} × {} samples",
                    cossc.designation.active,
                    cossc.designation.master_id,
                    cossc.designation.passive,
                    cossc.mode,
                    pair.grid.lines,
                    pair.grid.samples
                );
                let source = serde_json::json!({
                    "cossc": dir.display().to_string(),
                    "active_satellite": cossc.designation.active,
                    "passive_satellite": cossc.designation.passive,
                    "insar_master_id": cossc.designation.master_id,
                });
                let g = insar_dem::generic::GenericPair {
                    geometry: pair,
                    active_slc: cossc.active_slc,
                    passive_slc: cossc.passive_slc,
                };
                Ok((g, source))
            }
            Input::Generic {
                slc1,
                slc2,
                geometry,
            } => {
                eprintln!(
                    "[1/4] reading {} and {} with the geometry {}",
                    slc1.display(),
                    slc2.display(),
                    geometry.display()
                );
                let g = insar_dem::generic::read_pair(slc1, slc2, geometry)
                    .with_context(|| self.describe())?;
                let source = serde_json::json!({
                    "slc1": slc1.display().to_string(),
                    "slc2": slc2.display().to_string(),
                    "geometry": geometry.display().to_string(),
                });
                Ok((g, source))
            }
        }
    }
}

/// The stages `generate_dem` reports per iteration.
const STAGES_PER_ITERATION: u64 = 6;

/// A progress bar over every stage of every iteration (hidden when stderr
/// is not a terminal).
fn stage_bar(iterations: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(iterations as u64 * STAGES_PER_ITERATION);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "      {bar:30} {pos}/{len} stages, {msg} ({elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Hillshade in [0, 1] (GDAL's default: sun azimuth 315°, altitude 45°)
/// from the metric gradient of `dem`; NaN where the gradient is.
fn hillshade(dem: &Raster<f64>) -> anyhow::Result<ndarray::Array2<f64>> {
    let g = sar_core::terrain::gradient(dem, sar_core::terrain::GradientMethod::Horn)
        .context("hillshade of the final DEM")?;
    let (az, alt) = (315f64.to_radians(), 45f64.to_radians());
    // Unit vector towards the sun (east, north, up).
    let sun = [alt.cos() * az.sin(), alt.cos() * az.cos(), alt.sin()];
    Ok(ndarray::Zip::from(&g.east.data)
        .and(&g.north.data)
        .map_collect(|&e, &n| {
            let norm = (e * e + n * n + 1.0).sqrt();
            ((-e * sun[0] - n * sun[1] + sun[2]) / norm).max(0.0)
        }))
}

/// PNG quick-looks: hillshade of the final DEM and the total height change
/// `H_n − H_0` with a colour bar.
fn quicklooks(
    paths: &OutPaths,
    reference_ell: &Raster<f64>,
    products: &processing::DemProducts,
    final_dem: &Raster<f64>,
    datum: &str,
) -> anyhow::Result<()> {
    use crate::quicklook::{write_quicklook, ColorRange, QuickLook};
    use crate::util::Colormap;
    let hs = hillshade(final_dem)?;
    write_quicklook(
        &paths.hillshade_png,
        hs.view(),
        &QuickLook::new("Final DEM, hillshade", "illumination", "")
            .cmap(Colormap::Gray)
            .range(ColorRange::Fixed(0.0, 1.0))
            .note(format!("sun azimuth 315°, altitude 45°; {datum}")),
    )?;
    let total = &products.dem.data - &reference_ell.data;
    let total = ndarray::Zip::from(&total)
        .and(&products.mask.data)
        .map_collect(|&d, &m| if m == 0 { d } else { f64::NAN });
    write_quicklook(
        &paths.dh_png,
        total.view(),
        &QuickLook::new(
            format!("Height change H_{} − H_0", products.dh.len()),
            "Δh",
            "m",
        )
        .cmap(Colormap::RdBu)
        .range(ColorRange::SymmetricPercentile(98.0))
        .note("masked pixels (low coherence, layover, shadow) in the no-data colour"),
    )?;
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
            cossc: Some(cossc.clone()),
            slc1: None,
            slc2: None,
            geometry: None,
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
            "dem_hillshade.png",
            "dh_total.png",
        ] {
            assert!(out.join(f).is_file(), "{f} missing");
        }
        // The DEM carries its unit and datum in its GDAL metadata tag.
        let md = geotiff::read_info(out.join("dem.tif")).unwrap().metadata;
        assert_eq!(md.band(0).unwrap().unit.as_deref(), Some("m"));
        assert_eq!(md.get("ITERATIONS"), Some("2"));
        assert!(md.get("VERTICAL_DATUM").unwrap().contains("geoid"));
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["input"]["active_satellite"], "TDX-1");
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
            cossc: Some(dir.path().join("nope")),
            out: dir.path().join("o2"),
            ..args
        })
        .unwrap_err();
        assert!(format!("{e:#}").contains("--cossc"), "{e:#}");
        // ... and a failed run leaves no output folder behind.
        assert!(!dir.path().join("o2").exists());
        // An output that is an input is refused before anything is read.
        let o3 = dir.path().join("o3");
        let e = run(&Args {
            cossc: Some(cossc.clone()),
            slc1: None,
            slc2: None,
            geometry: None,
            reference: o3.join("report.json"),
            geoid: None,
            out: o3.clone(),
            iterations: 2,
            coherence_min: 0.3,
            seed: 1,
        })
        .unwrap_err();
        assert!(format!("{e:#}").contains("--ref"), "{e:#}");
        assert!(!o3.exists());
    }
}
