//! `cryosar wetsnow`: wet-snow map of one Sentinel-1 date (thesis ch. 3).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::terrain::{self, GradientMethod, Incidence, LookDirection};
use sar_core::{geotiff, Raster};
use serde::{Deserialize, Serialize};
use snowmelt::classify::{classify_si, classify_threshold, SiParams, ThresholdParams};
use snowmelt::gmm::{fit_gmm, sample_pixels, Gmm1d, GmmParams};
use snowmelt::ratio::{
    composite_ratio, geometry_mask_from_lia, geometry_mask_from_terrain, Masks, RatioParams,
    WeightScheme,
};
use snowmelt::reference::DualPol;
use snowmelt::tsi::{TopoBinParams, TopoBins};
use snowmelt::wsi::{Wsi, WsiParams};

use crate::cmd_terrain::require_georeferencing;
use crate::quicklook::{write_quicklook, ColorRange, QuickLook};
use crate::util::{check_range, print_out, write_png_colormap, Colormap, OutputSet};

/// Classification method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Integrated snow index SI = WSI · TSI against 3.5 · WSI(−2 dB) (thesis sect. 3.3.4).
    Si,
    /// Fixed threshold on R_c (Nagler et al. 2016).
    Threshold,
}

/// Arguments of `cryosar wetsnow`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// VV γ⁰ of the date, linear power (GeoTIFF).
    #[arg(long)]
    pub vv: PathBuf,
    /// VH γ⁰ of the date, linear power.
    #[arg(long)]
    pub vh: PathBuf,
    /// Winter reference VV γ⁰ (same orbit and grid), linear power.
    #[arg(long)]
    pub ref_vv: PathBuf,
    /// Winter reference VH γ⁰, linear power.
    #[arg(long)]
    pub ref_vh: PathBuf,
    /// DEM on the same grid (metres).
    #[arg(long)]
    pub dem: PathBuf,
    /// Local incidence angle (degrees) on the same grid; else give --incidence and --heading.
    #[arg(long, conflicts_with_all = ["incidence", "heading"])]
    pub lia: Option<PathBuf>,
    /// Ellipsoid incidence angle (degrees, 0–89), with --heading.
    #[arg(long, requires = "heading", allow_negative_numbers = true)]
    pub incidence: Option<f64>,
    /// Platform heading (degrees clockwise from north, −360–360), with --incidence.
    #[arg(long, requires = "incidence", allow_hyphen_values = true)]
    pub heading: Option<f64>,
    /// The radar looks left (default: right-looking, as Sentinel-1).
    #[arg(long)]
    pub left_looking: bool,
    /// Classification method.
    #[arg(long, value_enum, default_value = "si")]
    pub method: Method,
    /// Mixture to use: a model JSON written by an earlier run (`gmm.json`), or
    /// summer R_c samples to fit on (a GeoTIFF in dB, or raw little-endian f64 `.bin`).
    /// Default: fit on this date's R_c.
    #[arg(long)]
    pub gmm_from: Option<PathBuf>,
    /// Number of R_c pixels sampled for the fit (1 000 – 100 000 000).
    #[arg(long, default_value_t = 1_000_000)]
    pub samples: usize,
    /// Seed of the pixel sample.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Use the weights of eq. 3.3 as printed instead of the continuous Nagler weights.
    #[arg(long)]
    pub printed_weights: bool,
    /// Threshold of the fixed-threshold method (dB, −30–10).
    #[arg(long, default_value_t = -2.0, allow_hyphen_values = true)]
    pub threshold_db: f64,
    /// Majority filter window (odd, 3–101) for the fixed-threshold method.
    #[arg(long, allow_negative_numbers = true)]
    pub majority: Option<i64>,
    /// Coefficient of the SI threshold (eq. 3.6), 0–100 exclusive of 0.
    #[arg(long, default_value_t = 3.5, allow_negative_numbers = true)]
    pub coefficient: f64,
    /// Forest mask (non-zero = excluded).
    #[arg(long)]
    pub forest: Option<PathBuf>,
    /// Water mask (non-zero = excluded).
    #[arg(long)]
    pub water: Option<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

/// The saved mixture model (`gmm.json`), reusable across dates of a basin.
#[derive(Debug, Serialize, Deserialize)]
pub struct ModelFile {
    /// Fitted mixture, components sorted by mean.
    pub gmm: Gmm1d,
    /// Wet snow index parameters derived from it.
    pub wsi: Wsi,
    /// SI threshold (eq. 3.6) with the coefficient used.
    pub si_threshold: f64,
    /// Coefficient of eq. 3.6.
    pub coefficient: f64,
}

fn read(path: &Path, what: &str) -> anyhow::Result<Raster<f64>> {
    geotiff::read_f64(path, 0).with_context(|| format!("cannot read the {what} {}", path.display()))
}

fn read_mask(path: &Option<PathBuf>, what: &str) -> anyhow::Result<Option<Raster<u8>>> {
    path.as_ref()
        .map(|p| {
            let r = read(p, what)?;
            Ok(r.map(|&v| u8::from(v.is_finite() && v != 0.0)))
        })
        .transpose()
}

/// The `--gmm-from` model file, read and checked before anything is written.
fn load_model(p: &Path) -> anyhow::Result<Gmm1d> {
    let text = std::fs::read_to_string(p)
        .with_context(|| format!("--gmm-from: cannot read {}", p.display()))?;
    let m: ModelFile = serde_json::from_str(&text)
        .with_context(|| format!("--gmm-from {} is not a gmm.json model", p.display()))?;
    let ok = !m.gmm.means.is_empty()
        && m.gmm.means.len() == m.gmm.weights.len()
        && m.gmm
            .means
            .iter()
            .chain(&m.gmm.weights)
            .all(|v| v.is_finite())
        && m.gmm.std_devs().iter().all(|v| v.is_finite() && *v > 0.0);
    anyhow::ensure!(
        ok,
        "--gmm-from {}: the mixture has non-finite or inconsistent parameters",
        p.display()
    );
    Ok(m.gmm)
}

/// Fit or load the mixture.
fn mixture(args: &Args, rc: &Raster<f64>) -> anyhow::Result<Gmm1d> {
    let params = GmmParams::new().n_samples(args.samples.max(snowmelt::gmm::MIN_SAMPLES));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let sample = match &args.gmm_from {
        Some(p)
            if p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json")) =>
        {
            return load_model(p);
        }
        Some(p) if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("bin")) => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            anyhow::ensure!(
                bytes.len() % 8 == 0,
                "{} is not a little-endian f64 file",
                p.display()
            );
            bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect()
        }
        Some(p) => sample_pixels(&[&read(p, "R_c samples")?], args.samples, &mut rng),
        None => sample_pixels(&[rc], args.samples, &mut rng),
    };
    let source = match &args.gmm_from {
        Some(p) => format!("the samples of --gmm-from {}", p.display()),
        None => format!(
            "this date's R_c (from --vv {} / --vh {} against --ref-vv {} / --ref-vh {}, masked by geometry{})",
            args.vv.display(),
            args.vh.display(),
            args.ref_vv.display(),
            args.ref_vh.display(),
            if args.forest.is_some() || args.water.is_some() { ", forest and water" } else { "" }
        ),
    };
    fit_gmm(&sample, &params)
        .with_context(|| format!("cannot fit the Gaussian mixture on {source}"))
}

/// Check every flag before anything is read or written.
fn check_args(args: &Args) -> anyhow::Result<()> {
    if let Some(inc) = args.incidence {
        check_range("--incidence", inc, 0.0, 89.0)?;
    }
    if let Some(h) = args.heading {
        check_range("--heading", h, -360.0, 360.0)?;
    }
    anyhow::ensure!(
        args.lia.is_some() || (args.incidence.is_some() && args.heading.is_some()),
        "give --lia LIA.tif or both --incidence DEG and --heading DEG"
    );
    check_range("--threshold-db", args.threshold_db, -30.0, 10.0)?;
    check_range("--coefficient", args.coefficient, 1e-6, 100.0)?;
    if let Some(m) = args.majority {
        anyhow::ensure!(
            (3..=101).contains(&m) && m % 2 == 1,
            "--majority {m}: the window must be odd, 3–101"
        );
    }
    anyhow::ensure!(
        (1_000..=100_000_000).contains(&args.samples),
        "--samples {} is out of range: give 1000–100000000",
        args.samples
    );
    if let Some(p) = &args.gmm_from {
        let is_json = p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_json {
            load_model(p)?;
        } else {
            anyhow::ensure!(
                p.is_file(),
                "--gmm-from {} does not exist or is not a file",
                p.display()
            );
        }
    }
    Ok(())
}

/// Bytes of memory per pixel `wetsnow` holds: four images, DEM, slope,
/// aspect, LIA, geometry, R_c, WSI, TSI, SI as f64, masks and bins.
const WETSNOW_BYTES_PER_PIXEL: u64 = 16 * 8 + 16;

/// Run `cryosar wetsnow`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    check_args(args)?;
    let mut outs = OutputSet::new();
    let inputs: Vec<(&str, &PathBuf)> = [
        ("--vv", Some(&args.vv)),
        ("--vh", Some(&args.vh)),
        ("--ref-vv", Some(&args.ref_vv)),
        ("--ref-vh", Some(&args.ref_vh)),
        ("--dem", Some(&args.dem)),
        ("--lia", args.lia.as_ref()),
        ("--forest", args.forest.as_ref()),
        ("--water", args.water.as_ref()),
        ("--gmm-from", args.gmm_from.as_ref()),
    ]
    .into_iter()
    .filter_map(|(f, p)| p.map(|p| (f, p)))
    .collect();
    for (f, p) in &inputs {
        outs.input(*f, p);
    }
    let out = &args.out;
    let rc_tif = outs.output_in("--out", out, "rc_db.tif")?;
    let rc_png = outs.output_in("--out", out, "rc_db.png")?;
    let si_files = if args.method == Method::Si {
        Some((
            outs.output_in("--out", out, "wsi.tif")?,
            outs.output_in("--out", out, "tsi.tif")?,
            outs.output_in("--out", out, "si.tif")?,
            outs.output_in("--out", out, "si.png")?,
            outs.output_in("--out", out, "gmm.json")?,
        ))
    } else {
        None
    };
    let mask_tif = outs.output_in("--out", out, "wetsnow.tif")?;
    let mask_png = outs.output_in("--out", out, "wetsnow.png")?;
    // Every raster input on the grid of --vv, checked from the headers.
    let vv_info = geotiff::read_info(&args.vv)
        .with_context(|| format!("cannot read the VV image {}", args.vv.display()))?;
    geotiff::check_memory(&args.vv, &vv_info, WETSNOW_BYTES_PER_PIXEL)
        .with_context(|| format!("cannot process --vv {}", args.vv.display()))?;
    for (f, p) in &inputs {
        if *f == "--gmm-from"
            && !p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("tif") || e.eq_ignore_ascii_case("tiff"))
        {
            continue;
        }
        let info =
            geotiff::read_info(p).with_context(|| format!("cannot read {f} {}", p.display()))?;
        if *f == "--gmm-from" {
            continue;
        }
        anyhow::ensure!(
            info.grid.same_as(&vv_info.grid),
            "{f} {} ({}×{} px) is not on the grid of --vv {} ({}×{} px); resample it onto that grid",
            p.display(),
            info.width,
            info.height,
            args.vv.display(),
            vv_info.width,
            vv_info.height
        );
    }
    require_georeferencing(&args.dem, &vv_info.grid, "--dem")?;
    let scene = DualPol::new(read(&args.vv, "VV image")?, read(&args.vh, "VH image")?);
    let reference = DualPol::new(
        read(&args.ref_vv, "reference VV")?,
        read(&args.ref_vh, "reference VH")?,
    );
    let dem = read(&args.dem, "DEM")?;
    let sa = terrain::slope_aspect(&dem, GradientMethod::Horn)
        .with_context(|| format!("cannot compute the slope of --dem {}", args.dem.display()))?;
    let look = if args.left_looking {
        LookDirection::Left
    } else {
        LookDirection::Right
    };
    let (lia, geometry) = match (&args.lia, args.incidence, args.heading) {
        (Some(p), _, _) => {
            let lia = read(p, "local incidence angle")?;
            let g = geometry_mask_from_lia(&lia);
            (lia, g)
        }
        (None, Some(inc), Some(h)) => {
            let lia = terrain::local_incidence_angle(
                &sa.slope,
                &sa.aspect,
                &Incidence::Constant(inc),
                h,
                look,
            )?;
            let g = geometry_mask_from_terrain(&sa.slope, &sa.aspect, inc, h, look)?;
            (lia, g)
        }
        _ => anyhow::bail!("give --lia LIA.tif or both --incidence DEG and --heading DEG"),
    };
    let masks = Masks {
        geometry: Some(geometry),
        forest: read_mask(&args.forest, "forest mask")?,
        water: read_mask(&args.water, "water mask")?,
    };
    let scheme = if args.printed_weights {
        WeightScheme::Printed
    } else {
        WeightScheme::Nagler
    };
    let rc = composite_ratio(
        &RatioParams::new().scheme(scheme),
        &scene,
        &reference,
        &lia,
        &masks,
    )
    .context("cannot form the composite ratio R_c of --vv/--vh against --ref-vv/--ref-vh")?;
    geotiff::write_f64(&rc_tif, &rc).context("cannot write rc_db.tif")?;
    write_quicklook(
        &rc_png,
        rc.data.view(),
        &QuickLook::new(
            format!("Composite ratio R_c, {}", args.vv.display()),
            "R_c",
            "dB",
        )
        .cmap(Colormap::RdBu)
        .range(ColorRange::SymmetricPercentile(98.0)),
    )?;
    let mut summary = String::new();
    let mask = match (args.method, si_files) {
        (Method::Threshold, _) => {
            let majority = args.majority.map(|m| m as usize);
            classify_threshold(
                &rc,
                &ThresholdParams::new()
                    .threshold_db(args.threshold_db)
                    .majority_window(majority),
            )
            .context("--threshold-db/--majority")?
        }
        (Method::Si, Some((wsi_tif, tsi_tif, si_tif, si_png, gmm_json))) => {
            let gmm = mixture(args, &rc)?;
            let wsi = Wsi::from_gmm(&gmm, &WsiParams::new())
                .context("the fitted mixture gives no wet snow index")?;
            let bins = TopoBins::new(&TopoBinParams::new(), &dem, &sa.slope, &sa.aspect)
                .with_context(|| format!("terrain bins of --dem {}", args.dem.display()))?;
            let sip = SiParams::new().coefficient(args.coefficient);
            let map = classify_si(&rc, &wsi, &bins, &sip).context("--coefficient")?;
            geotiff::write_f64(&wsi_tif, &map.wsi).context("cannot write wsi.tif")?;
            geotiff::write_f64(&tsi_tif, &map.tsi).context("cannot write tsi.tif")?;
            geotiff::write_f64(&si_tif, &map.si).context("cannot write si.tif")?;
            write_quicklook(
                &si_png,
                map.si.data.view(),
                &QuickLook::new(
                    format!("Integrated snow index SI = WSI·TSI, {}", args.vv.display()),
                    "SI",
                    "",
                )
                .range(ColorRange::Fixed(0.0, 100.0)),
            )?;
            let model = ModelFile {
                gmm,
                wsi,
                si_threshold: map.threshold,
                coefficient: args.coefficient,
            };
            std::fs::write(&gmm_json, serde_json::to_string_pretty(&model)?)
                .context("cannot write gmm.json")?;
            writeln!(
                summary,
                "mixture: weights {:.3?}, means {:.3?} dB, std {:.3?} dB; WSI k = {:.3}/dB, x0 = {:.3} dB; SI threshold {:.2}",
                model.gmm.weights, model.gmm.means, model.gmm.std_devs(), wsi.k, wsi.x0, map.threshold
            )?;
            map.mask
        }
        (Method::Si, None) => anyhow::bail!("internal error: SI outputs not registered"),
    };
    geotiff::write_u8(&mask_tif, &mask).context("cannot write wetsnow.tif")?;
    let quick = mask
        .data
        .mapv(|v| if v > 1 { f64::NAN } else { f64::from(v) });
    write_quicklook(
        &mask_png,
        quick.view(),
        &QuickLook::new(
            format!("Wet snow, {}", args.vv.display()),
            "wet snow (1) / none (0)",
            "",
        )
        .cmap(Colormap::Gray)
        .range(ColorRange::Fixed(0.0, 1.0)),
    )?;
    outs.commit()?;
    let wet = mask.data.iter().filter(|&&v| v == 1).count();
    let valid = mask.data.iter().filter(|&&v| v <= 1).count();
    writeln!(
        summary,
        "wet snow: {wet} of {valid} valid pixels ({:.1} %); outputs in {}",
        100.0 * wet as f64 / valid.max(1) as f64,
        args.out.display()
    )?;
    print_out(&summary)
}

/// Demo: the synthetic basin, F1 of SI and of −2 dB against the truth and
/// against the Let-It-Snow map, plus a melt season's extent and duration.
pub fn demo_part(out: &Path, report: &mut String) -> anyhow::Result<()> {
    use snowmelt::optical::{let_it_snow, LisParams};
    use snowmelt::synthetic::{Basin, BasinParams};
    use snowmelt::validation::{compare, profile_mae, snow_fraction_profile, ValidationParams};
    let dir = out.join("wetsnow");
    std::fs::create_dir_all(&dir)?;
    let t0 = std::time::Instant::now();
    let params = BasinParams::new();
    let b = Basin::generate(&params, 42)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let sample = sample_pixels(&[&b.rc_db], 1_000_000, &mut rng);
    let gmm = fit_gmm(&sample, &GmmParams::new())?;
    let wsi = Wsi::from_gmm(&gmm, &WsiParams::new())?;
    let bins = TopoBins::new(&TopoBinParams::new(), &b.dem, &b.slope, &b.aspect)?;
    let si = classify_si(&b.rc_db, &wsi, &bins, &SiParams::new())?;
    let base = classify_threshold(&b.rc_db, &ThresholdParams::new())?;
    let all = ValidationParams::new().max_elevation_m(None);
    let s_si = compare(&si.mask, &b.truth, None, &all)?;
    let s_b = compare(&base, &b.truth, None, &all)?;
    let lis = let_it_snow(&b.optical, &b.dem, &LisParams::new())?;
    let v_si = compare(
        &si.mask,
        &lis.classes,
        Some(&b.dem),
        &ValidationParams::new(),
    )?;
    let v_b = compare(&base, &lis.classes, Some(&b.dem), &ValidationParams::new())?;
    let tp = snow_fraction_profile(&b.truth, &b.dem, 100.0)?;
    let mae_si = profile_mae(&snow_fraction_profile(&si.mask, &b.dem, 100.0)?, &tp)?;
    let mae_b = profile_mae(&snow_fraction_profile(&base, &b.dem, 100.0)?, &tp)?;
    geotiff::write_f64(dir.join("dem.tif"), &b.dem)?;
    geotiff::write_f64(dir.join("rc_db.tif"), &b.rc_db)?;
    geotiff::write_f64(dir.join("si.tif"), &si.si)?;
    geotiff::write_u8(dir.join("wetsnow_si.tif"), &si.mask)?;
    geotiff::write_u8(dir.join("wetsnow_threshold.tif"), &base)?;
    geotiff::write_u8(dir.join("truth.tif"), &b.truth)?;
    geotiff::write_u8(dir.join("lis.tif"), &lis.classes)?;
    write_png_colormap(
        &dir.join("rc_db.png"),
        b.rc_db.data.view(),
        -6.0,
        6.0,
        Colormap::RdBu,
        "composite ratio R_c (dB)",
    )?;
    write_png_colormap(
        &dir.join("si.png"),
        si.si.data.view(),
        0.0,
        100.0,
        Colormap::Viridis,
        "integrated snow index SI",
    )?;
    let to_f = |m: &Raster<u8>| m.data.mapv(|v| if v > 1 { f64::NAN } else { f64::from(v) });
    write_png_colormap(
        &dir.join("wetsnow_si.png"),
        to_f(&si.mask).view(),
        0.0,
        1.0,
        Colormap::Gray,
        "wet snow, SI",
    )?;
    write_png_colormap(
        &dir.join("wetsnow_threshold.png"),
        to_f(&base).view(),
        0.0,
        1.0,
        Colormap::Gray,
        "wet snow, R_c < -2 dB",
    )?;
    write_png_colormap(
        &dir.join("truth.png"),
        to_f(&b.truth).view(),
        0.0,
        1.0,
        Colormap::Gray,
        "wet snow, truth",
    )?;
    writeln!(report, "## Wet snow (snowmelt)")?;
    writeln!(
        report,
        "synthetic basin {}x{} px of {} m, {:.0}-{:.0} m; truth wet snow {:.0}-{:.0} m (aspect-dependent foot) ; speckle {} looks, drop {}/{} dB (VV/VH), {:.1} % outliers",
        params.rows, params.cols, params.pixel_m, params.z_min, params.z_max,
        params.snowline_m - params.aspect_amp_m, params.upper_m, params.looks,
        params.wet_drop_vv_db, params.wet_drop_vh_db, params.outlier_fraction * 100.0
    )?;
    writeln!(
        report,
        "GMM ({} samples, {} iterations): weights {:.3?}, means {:.3?} dB, std {:.3?} dB; WSI k = {:.3}/dB, x0 = {:.3} dB; SI threshold {:.2}",
        gmm.n_samples, gmm.n_iter, gmm.weights, gmm.means, gmm.std_devs(), wsi.k, wsi.x0, si.threshold
    )?;
    writeln!(report, "F1 vs truth:       SI {:.3} (precision {:.3}, recall {:.3}) | R_c < -2 dB {:.3} (precision {:.3}, recall {:.3})",
        s_si.f1, s_si.precision, s_si.recall, s_b.f1, s_b.precision, s_b.recall)?;
    writeln!(
        report,
        "F1 vs LIS (<=5500 m): SI {:.3} | -2 dB {:.3}; LIS snow line {:?} m",
        v_si.f1, v_b.f1, lis.snow_line_m
    )?;
    writeln!(report, "confusion vs truth per reference class (TNR FPR / FNR TPR): SI {:.2} {:.2} / {:.2} {:.2}; -2 dB {:.2} {:.2} / {:.2} {:.2}",
        s_si.tnr, s_si.fpr, s_si.fnr, s_si.tpr, s_b.tnr, s_b.fpr, s_b.fnr, s_b.tpr)?;
    writeln!(
        report,
        "snow-fraction profile MAE vs truth (100 m bands): SI {:.3}, -2 dB {:.3}",
        mae_si, mae_b
    )?;
    // A melt season: six dates, wet-snow window rising 100 m per 12 days.
    let mut si_masks = Vec::new();
    let mut truth_masks = Vec::new();
    let mut dates = Vec::new();
    for t in 0..6u8 {
        let mut p = params.clone();
        p.snowline_m = 3900.0 + 100.0 * f64::from(t);
        p.upper_m = 5200.0 + 100.0 * f64::from(t);
        let bt = Basin::generate(&p, 42)?;
        si_masks.push(classify_si(&bt.rc_db, &wsi, &bins, &SiParams::new())?.mask);
        truth_masks.push(bt.truth);
        dates.push(sar_core::Date::from_ymd(
            2020,
            5 + u32::from(t / 3),
            1 + 12 * u32::from(t % 3),
        )?);
    }
    let ext_si = snowmelt::timeseries::wet_snow_extent(&si_masks, &dates, &b.dem, 100.0)?;
    let ext_truth = snowmelt::timeseries::wet_snow_extent(&truth_masks, &dates, &b.dem, 100.0)?;
    let wse_mae = sar_core::stats::mean(
        ext_si
            .wse
            .iter()
            .zip(ext_truth.wse.iter())
            .map(|(a, b)| (a - b).abs()),
    )
    .unwrap_or(f64::NAN);
    let smd_si = snowmelt::timeseries::melt_duration(&si_masks, &dates)?;
    let smd_truth = snowmelt::timeseries::melt_duration(&truth_masks, &dates)?;
    let smd_mae = sar_core::stats::mean(
        smd_si[0]
            .days
            .data
            .iter()
            .zip(smd_truth[0].days.data.iter())
            .map(|(a, b)| (a - b).abs()),
    )
    .unwrap_or(f64::NAN);
    let flipped = crate::cmd_snowstats::heatmap(&ext_si.wse);
    write_png_colormap(
        &dir.join("extent_heatmap.png"),
        flipped.view(),
        0.0,
        1.0,
        Colormap::Viridis,
        "wet-snow extent per 100 m band (top = high) and date",
    )?;
    geotiff::write_f64(dir.join("duration_2020.tif"), &smd_si[0].days)?;
    writeln!(
        report,
        "melt season, 6 dates: WSE per 100 m band from SI vs truth, mean |difference| {:.3}; SMD (M/N)*365 mean |difference| {:.1} days; total WSE SI {:.3?} vs truth {:.3?}",
        wse_mae, smd_mae, ext_si.total, ext_truth.total
    )?;
    writeln!(
        report,
        "wet-snow part took {:.1} s; files in {}\n",
        t0.elapsed().as_secs_f64(),
        dir.display()
    )?;
    Ok(())
}
