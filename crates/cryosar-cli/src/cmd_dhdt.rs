//! `cryosar dhdt`: elevation-change rate from dated DEMs (thesis sect.
//! 4.3.2.1, crate `geodetic-mb`): epoch mosaics with mean-date rasters,
//! Nuth & Kääb co-registration to a reference over stable terrain (Table
//! 4.1 report), dh/dt with the per-pixel interval, and outlier removal per
//! elevation band.
//!
//! Outputs in `--out` (all or nothing):
//! * `epoch1_mosaic.tif`, `epoch2_mosaic.tif`: mean-merged DEMs of each
//!   epoch on the reference grid (m), before co-registration;
//! * `epoch1_date.tif`, `epoch2_date.tif`: mean acquisition date per pixel,
//!   in days since 1970-01-01; `epoch1_count.tif`, `epoch2_count.tif`: the
//!   number of DEMs per pixel;
//! * `coregistration.json`: per epoch the fitted Nuth & Kääb shift (m and
//!   px; sign convention of `geodetic_mb::coreg`) and the stable-terrain
//!   median and NMAD before and after (thesis Table 4.1);
//! * `dhdt_raw.tif`, `dhdt.tif`: dh/dt (m/yr) before and after the outlier
//!   filter (±3 NMAD per 100 m band, each glacier its own bands by default,
//!   `--filter-scope`); `dhdt.png`: quick-look of `dhdt.tif` with colour bar and units.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use geodetic_mb::{dhdt, mosaic, stable_mask, Coregistration, DatedDem, FittedStep, OutlierFilter};
use sar_core::rasterize::{rasterize_outlines, RasterizeMode};
use sar_core::terrain::{slope_aspect, GradientMethod};
use sar_core::{geotiff, vector, Date, Raster};

use crate::quicklook::{write_quicklook, ColorRange, QuickLook};
use crate::util::{check_range, parse_date, Colormap, OutputSet};

/// Arguments of `cryosar dhdt`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A DEM GeoTIFF (m) and its acquisition date, as PATH@YYYY-MM-DD;
    /// repeat the flag for every DEM (at least two).
    #[arg(long = "dem", value_name = "PATH@DATE", required = true)]
    pub dems: Vec<String>,
    /// Two epochs as inclusive date ranges, START..END,START..END; each DEM
    /// goes to the epoch containing its date. Without it, each DEM is its
    /// own epoch (then exactly two DEMs are needed).
    #[arg(long, value_name = "A..B,C..D")]
    pub epochs: Option<String>,
    /// Reference DEM GeoTIFF in a projected CRS: the output grid and the
    /// co-registration target (default: the later epoch's mosaic on the grid
    /// of its first DEM).
    #[arg(long = "ref")]
    pub reference: Option<PathBuf>,
    /// Glacier outlines (.shp, .gpkg, .geojson), reprojected onto the grid;
    /// excluded from the stable terrain.
    #[arg(long)]
    pub outlines: PathBuf,
    /// Optional extra stable-terrain mask GeoTIFF on the reference grid
    /// (non-zero = usable).
    #[arg(long)]
    pub stable: Option<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Elevation band of the outlier filter (m; thesis: 100).
    #[arg(long, default_value_t = 100.0)]
    pub band: f64,
    /// Outlier threshold in NMADs from the band median (thesis: 3).
    #[arg(long, default_value_t = 3.0)]
    pub n_nmad: f64,
    /// Pixels steeper than this are left out of the band statistics
    /// (degrees; thesis: 40).
    #[arg(long, default_value_t = 40.0)]
    pub filter_max_slope: f64,
    /// Elevation bands of the outlier filter on glacier pixels: `glacier`
    /// (each outline its own bands; default) or `region` (one set of bands
    /// for all glaciers, which takes the difference between glaciers at the
    /// same elevation for noise; see
    /// `geodetic_mb::OutlierFilter::apply_per_label`). Stable terrain is
    /// always filtered as one region.
    #[arg(long, value_enum, default_value_t = FilterScope::Glacier)]
    pub filter_scope: FilterScope,
    /// Steepest stable-terrain slope used for co-registration (degrees;
    /// default 70, excluding cliffs whose heights are unreliable).
    #[arg(long, default_value_t = 70.0)]
    pub stable_max_slope: f64,
}

/// Where the outlier filter's elevation bands are formed on glaciers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FilterScope {
    /// Each glacier outline its own bands.
    Glacier,
    /// One set of bands for all glacier pixels.
    Region,
}

/// A `--dem PATH@DATE` argument.
#[derive(Debug, Clone)]
struct DemArg {
    path: PathBuf,
    date: Date,
}

fn parse_dem(text: &str) -> anyhow::Result<DemArg> {
    let (p, d) = text.rsplit_once('@').with_context(|| {
        format!("--dem {text:?}: give the file and its date as PATH@YYYY-MM-DD")
    })?;
    anyhow::ensure!(!p.is_empty(), "--dem {text:?}: the file name is empty");
    Ok(DemArg {
        path: PathBuf::from(p),
        date: parse_date(&format!("--dem {p}"), d)?,
    })
}

/// Parse `--epochs` into inclusive, increasing, non-overlapping ranges.
fn parse_epochs(text: &str) -> anyhow::Result<Vec<(Date, Date)>> {
    let mut out: Vec<(Date, Date)> = Vec::new();
    for part in text.split(',') {
        let (a, b) = part.trim().split_once("..").with_context(|| {
            format!("--epochs: {part:?} is not a date range; write START..END, e.g. 2011-01-01..2012-12-31")
        })?;
        let (a, b) = (parse_date("--epochs", a)?, parse_date("--epochs", b)?);
        anyhow::ensure!(a <= b, "--epochs: the range {part:?} ends before it starts");
        if let Some(&(_, prev_end)) = out.last() {
            anyhow::ensure!(
                prev_end < a,
                "--epochs: the range {part:?} overlaps or precedes the one before it; give increasing, disjoint ranges"
            );
        }
        out.push((a, b));
    }
    anyhow::ensure!(
        out.len() == 2,
        "--epochs: {} range(s) given; dh/dt needs exactly two epochs",
        out.len()
    );
    Ok(out)
}

/// Group the DEMs into the two epochs (earlier first).
fn group(dems: &[DemArg], epochs: Option<&str>) -> anyhow::Result<[Vec<DemArg>; 2]> {
    anyhow::ensure!(
        dems.len() >= 2,
        "--dem: {} DEM given; dh/dt needs at least two (one per epoch)",
        dems.len()
    );
    match epochs {
        None => {
            anyhow::ensure!(
                dems.len() == 2,
                "--dem: {} DEMs without --epochs would make {} epochs; dh/dt needs two: group the DEMs with --epochs",
                dems.len(),
                dems.len()
            );
            let (mut a, mut b) = (dems[0].clone(), dems[1].clone());
            if b.date < a.date {
                std::mem::swap(&mut a, &mut b);
            }
            anyhow::ensure!(
                a.date < b.date,
                "--dem: both DEMs are dated {}; dh/dt needs two different dates",
                a.date
            );
            Ok([vec![a], vec![b]])
        }
        Some(t) => {
            let ranges = parse_epochs(t)?;
            let mut groups: [Vec<DemArg>; 2] = [Vec::new(), Vec::new()];
            for d in dems {
                let k = ranges
                    .iter()
                    .position(|(a, b)| *a <= d.date && d.date <= *b)
                    .with_context(|| {
                        format!(
                            "--dem {} dated {} falls in none of the --epochs ranges",
                            d.path.display(),
                            d.date
                        )
                    })?;
                groups[k].push(d.clone());
            }
            for (k, g) in groups.iter().enumerate() {
                anyhow::ensure!(
                    !g.is_empty(),
                    "--epochs: no --dem falls in epoch {} ({}..{})",
                    k + 1,
                    ranges[k].0,
                    ranges[k].1
                );
            }
            Ok(groups)
        }
    }
}

fn read_dem(d: &DemArg) -> anyhow::Result<DatedDem> {
    let dem = geotiff::read_f64(&d.path, 0)
        .with_context(|| format!("cannot read --dem {}", d.path.display()))?;
    Ok(DatedDem {
        dem,
        date: d.date,
        name: d.path.display().to_string(),
    })
}

fn count_u8(c: &Raster<u16>) -> anyhow::Result<Raster<u8>> {
    Ok(Raster::new(
        c.data.mapv(|v| v.min(255) as u8),
        c.grid.clone(),
    )?)
}

fn stats_json(s: &geodetic_mb::DhStatistics) -> serde_json::Value {
    serde_json::json!({"count": s.count, "median_m": s.median_m, "nmad_m": s.nmad_m, "mean_m": s.mean_m, "std_m": s.std_m})
}

/// Run `cryosar dhdt`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    // every flag first
    check_range("--band", args.band, 1.0, 10_000.0)?;
    check_range("--n-nmad", args.n_nmad, 0.5, 100.0)?;
    check_range("--filter-max-slope", args.filter_max_slope, 1.0, 90.0)?;
    check_range("--stable-max-slope", args.stable_max_slope, 1.0, 90.0)?;
    let dems = args
        .dems
        .iter()
        .map(|t| parse_dem(t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let groups = group(&dems, args.epochs.as_deref())?;
    let mut outs = OutputSet::new();
    for d in &dems {
        outs.input("--dem", &d.path);
    }
    if let Some(r) = &args.reference {
        outs.input("--ref", r);
    }
    outs.input("--outlines", &args.outlines);
    if let Some(s) = &args.stable {
        outs.input("--stable", s);
    }
    let o = |outs: &mut OutputSet, name: &str| outs.output_in("--out", &args.out, name);
    let mut p_mosaic = Vec::new();
    for k in 1..=2 {
        p_mosaic.push((
            o(&mut outs, &format!("epoch{k}_mosaic.tif"))?,
            o(&mut outs, &format!("epoch{k}_date.tif"))?,
            o(&mut outs, &format!("epoch{k}_count.tif"))?,
        ));
    }
    let p_report = o(&mut outs, "coregistration.json")?;
    let p_raw = o(&mut outs, "dhdt_raw.tif")?;
    let p_dhdt = o(&mut outs, "dhdt.tif")?;
    let p_png = o(&mut outs, "dhdt.png")?;

    // the grid and the reference heights
    let read: [Vec<DatedDem>; 2] = [
        groups[0]
            .iter()
            .map(read_dem)
            .collect::<anyhow::Result<_>>()?,
        groups[1]
            .iter()
            .map(read_dem)
            .collect::<anyhow::Result<_>>()?,
    ];
    let given_ref = match &args.reference {
        Some(p) => Some(
            geotiff::read_f64(p, 0)
                .with_context(|| format!("cannot read --ref {}", p.display()))?,
        ),
        None => None,
    };
    let (grid, ref_name) = match &given_ref {
        Some(r) => (
            r.grid.clone(),
            format!("--ref {}", r_name(args.reference.as_deref())),
        ),
        None => (
            read[1][0].dem.grid.clone(),
            "the epoch 2 mosaic (default --ref)".to_string(),
        ),
    };
    anyhow::ensure!(
        !grid.crs.geographic,
        "the reference grid ({ref_name}, CRS {}) is geographic; co-registration and dh/dt need a projected CRS in metres: give a --ref in UTM or another projected CRS",
        grid.crs
    );
    anyhow::ensure!(
        !grid.crs.is_unknown(),
        "the reference grid ({ref_name}) has no CRS; give a --ref GeoTIFF with georeferencing"
    );
    let mosaics = [
        mosaic(&read[0], &grid).context("epoch 1 mosaic")?,
        mosaic(&read[1], &grid).context("epoch 2 mosaic")?,
    ];
    drop(read);
    let reference = given_ref.unwrap_or_else(|| mosaics[1].dem.clone());

    // stable terrain
    let outlines = vector::read_outlines(&args.outlines)
        .with_context(|| format!("cannot read --outlines {}", args.outlines.display()))?;
    let labels =
        rasterize_outlines(&outlines, &grid, RasterizeMode::PixelCenter).with_context(|| {
            format!(
                "cannot put --outlines {} onto the reference grid",
                args.outlines.display()
            )
        })?;
    let on_glacier = labels.data.mapv(|l| l != 0);
    anyhow::ensure!(
        on_glacier.iter().any(|&g| g),
        "no outline of --outlines {} ({} polygons, CRS {}) falls on the reference grid {grid}",
        args.outlines.display(),
        outlines.len(),
        outlines.crs
    );
    let extra = match &args.stable {
        Some(p) => {
            let m = geotiff::read_f64(p, 0)
                .with_context(|| format!("cannot read --stable {}", p.display()))?;
            anyhow::ensure!(
                m.grid.same_as(&grid),
                "--stable {} is not on the reference grid {grid}",
                p.display()
            );
            Some(m.data.mapv(|v| v.is_finite() && v != 0.0))
        }
        None => None,
    };
    let sa =
        slope_aspect(&reference, GradientMethod::Horn).context("slope of the reference DEM")?;
    let stable = stable_mask(
        on_glacier.view(),
        extra.as_ref().map(|e| e.view()),
        sa.slope.view(),
        0.0,
        args.stable_max_slope,
    )?;
    anyhow::ensure!(
        stable.iter().any(|&s| s),
        "no stable terrain: every pixel of the reference grid is inside --outlines, masked by --stable or steeper than --stable-max-slope {}°",
        args.stable_max_slope
    );

    // co-registration of each epoch to the reference
    let mut corrected = Vec::with_capacity(2);
    let mut report = Vec::new();
    for (k, m) in mosaics.iter().enumerate() {
        let names: Vec<String> = groups[k]
            .iter()
            .map(|d| format!("{}@{}", d.path.display(), d.date))
            .collect();
        let is_reference = (args.reference.is_none() && k == 1)
            || (m.dem.grid.same_as(&reference.grid)
                && m.dem
                    .data
                    .iter()
                    .zip(reference.data.iter())
                    .all(|(a, b)| a == b || (a.is_nan() && b.is_nan())));
        if is_reference {
            corrected.push(m.dem.clone());
            report.push(serde_json::json!({"epoch": k + 1, "dems": names, "role": "reference", "steps": []}));
            continue;
        }
        let co = Coregistration::default()
            .run(&reference, &m.dem, Some(stable.view()))
            .with_context(|| {
                format!(
                    "co-registration of epoch {} ({}) to {ref_name}: no stable pixel (outside --outlines{}) where both are valid",
                    k + 1,
                    names.join(", "),
                    if args.stable.is_some() { ", inside --stable" } else { "" }
                )
            })?;
        let steps: Vec<serde_json::Value> = co
            .steps
            .iter()
            .map(|s| match s {
                FittedStep::NuthKaab(f) => serde_json::json!({
                    "step": "nuth_kaab", "dx_m": f.dx_m, "dy_m": f.dy_m, "dz_m": f.dz_m,
                    "dx_px": f.dx_px, "dy_px": f.dy_px, "iterations": f.iterations,
                    "converged": f.converged, "n_pixels": f.n_pixels}),
                other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
            })
            .collect();
        report.push(serde_json::json!({
            "epoch": k + 1, "dems": names, "role": "co-registered",
            "steps": steps, "before": stats_json(&co.before), "after": stats_json(&co.after),
        }));
        corrected.push(co.corrected);
    }
    let rate = dhdt(
        &corrected[1],
        &mosaics[1].mean_date_days,
        &corrected[0],
        &mosaics[0].mean_date_days,
    )
    .context(
        "dh/dt: the two epochs share no pixel with heights in both and a later date in epoch 2",
    )?;
    let filter = OutlierFilter::default()
        .band_m(args.band)
        .n_nmad(args.n_nmad)
        .max_slope_deg(args.filter_max_slope);
    let on_g = match args.filter_scope {
        FilterScope::Glacier => {
            filter.apply_per_label(&rate.dhdt, &reference, &sa.slope, &labels)?
        }
        FilterScope::Region => {
            filter.apply(&rate.dhdt, &reference, &sa.slope, Some(on_glacier.view()))?
        }
    };
    let off = on_glacier.mapv(|g| !g);
    let off_g = filter.apply(&on_g.filtered, &reference, &sa.slope, Some(off.view()))?;
    let filtered = off_g.filtered;

    // outputs
    for (k, (pm, pd, pc)) in p_mosaic.iter().enumerate() {
        geotiff::write_f64(pm, &mosaics[k].dem).context("cannot write a mosaic")?;
        geotiff::write_f64(pd, &mosaics[k].mean_date_days).context("cannot write a date raster")?;
        geotiff::write_u8(pc, &count_u8(&mosaics[k].count)?)
            .context("cannot write a count raster")?;
    }
    geotiff::write_f64(&p_raw, &rate.dhdt).context("cannot write dhdt_raw.tif")?;
    geotiff::write_f64(&p_dhdt, &filtered).context("cannot write dhdt.tif")?;
    let mut note = String::new();
    let _ = write!(
        note,
        "{} DEMs, {} outliers removed (±{} NMAD per {} m band)",
        dems.len(),
        on_g.n_removed + off_g.n_removed,
        args.n_nmad,
        args.band
    );
    write_quicklook(
        &p_png,
        filtered.data.view(),
        &QuickLook::new("Elevation change rate dh/dt", "dh/dt", "m/yr")
            .cmap(Colormap::RdBu)
            .range(ColorRange::SymmetricPercentile(98.0))
            .note(note),
    )?;
    let summary = serde_json::json!({
        "reference": ref_name,
        "grid": {"rows": grid.rows, "cols": grid.cols, "crs": grid.crs.to_string()},
        "date_rasters": "days since 1970-01-01",
        "sign_convention": "source(x, y) ≈ reference(x − dx, y − dy) + dz; the shift is removed from the source",
        "epochs": report,
        "stable_pixels": stable.iter().filter(|&&s| s).count(),
        "dhdt": {
            "valid_pixels": rate.dhdt.data.iter().filter(|v| v.is_finite()).count(),
            "outliers_removed_glacier": on_g.n_removed,
            "outliers_removed_off_glacier": off_g.n_removed,
            "filter": {"band_m": args.band, "n_nmad": args.n_nmad, "max_slope_deg": args.filter_max_slope,
                "glacier_bands": match args.filter_scope { FilterScope::Glacier => "per glacier", FilterScope::Region => "one region" }},
        },
    });
    let text = serde_json::to_string_pretty(&summary)?;
    std::fs::write(&p_report, &text).context("cannot write coregistration.json")?;
    outs.commit()?;
    crate::util::print_out(&format!("{text}\n"))?;
    Ok(())
}

fn r_name(p: Option<&Path>) -> String {
    p.map_or_else(String::new, |p| p.display().to_string())
}
