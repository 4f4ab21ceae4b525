//! `cryosar snowstats`: wet-snow extent per elevation band and date, melting
//! duration per pixel and year (thesis sect. 3.4.2).
//!
//! Outputs in `--out`: `extent.csv` and its quick-look
//! `extent_heatmap.png`, per year `duration_YYYY.tif` (days) and its
//! quick-look `duration_YYYY.png`, and `duration_classes.csv`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use sar_core::geotiff;
use snowmelt::timeseries::{
    duration_classes, melt_duration, wet_snow_extent, DEFAULT_DURATION_EDGES,
};

use crate::quicklook::{write_quicklook, ColorRange, QuickLook};
use crate::util::{check_range, parse_dates_increasing, print_out, Colormap, OutputSet};

/// Arguments of `cryosar snowstats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Wet-snow masks (GeoTIFF, 1 = wet snow, 0 = none, other = not observed), one per date.
    #[arg(required = true)]
    pub masks: Vec<PathBuf>,
    /// Dates of the masks (YYYY-MM-DD), comma-separated, strictly increasing, in the order of the masks.
    #[arg(long, value_delimiter = ',', required = true)]
    pub dates: Vec<String>,
    /// DEM on the masks' grid (metres). Heights outside −500…9 000 m
    /// (undeclared fill values) are ignored and counted.
    #[arg(long)]
    pub dem: PathBuf,
    /// Elevation band height (metres), 1–5 000.
    #[arg(long, default_value_t = 100.0, allow_negative_numbers = true)]
    pub band_m: f64,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

/// The band × date extent table as an image: highest band on top, dates
/// left to right (the quick-look enlarges the cells).
pub fn heatmap(wse: &ndarray::Array2<f64>) -> ndarray::Array2<f64> {
    let (nb, nd) = wse.dim();
    ndarray::Array2::from_shape_fn((nb, nd), |(r, c)| wse[[nb - 1 - r, c]])
}

/// Bytes of memory per pixel that `snowstats` holds per mask (u8 mask) plus
/// the DEM (f64), band indices and per-year durations (f64 + u16).
fn bytes_per_pixel(n_masks: usize) -> u64 {
    n_masks as u64 + 8 + 8 + 16
}

/// Run `cryosar snowstats`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.masks.len() == args.dates.len(),
        "{} masks but {} dates in --dates; give one date per mask",
        args.masks.len(),
        args.dates.len()
    );
    check_range("--band-m", args.band_m, 1.0, 5000.0)?;
    let dates = parse_dates_increasing("--dates", &args.dates)?;
    let mut years: Vec<i32> = dates.iter().map(|d| d.year()).collect();
    years.dedup();
    // Register every output before reading anything.
    let mut outs = OutputSet::new();
    for (i, m) in args.masks.iter().enumerate() {
        outs.input(format!("mask {}", i + 1), m);
    }
    outs.input("--dem", &args.dem);
    let out = &args.out;
    let extent_csv = outs.output_in("--out", out, "extent.csv")?;
    let heatmap_png = outs.output_in("--out", out, "extent_heatmap.png")?;
    let year_tifs = years
        .iter()
        .map(|y| outs.output_in("--out", out, &format!("duration_{y}.tif")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let year_pngs = years
        .iter()
        .map(|y| outs.output_in("--out", out, &format!("duration_{y}.png")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let classes_csv = outs.output_in("--out", out, "duration_classes.csv")?;
    // Inputs: metadata and memory first, then pixels.
    let dem_info = geotiff::read_info(&args.dem)
        .with_context(|| format!("cannot read the DEM {}", args.dem.display()))?;
    geotiff::check_memory(&args.dem, &dem_info, bytes_per_pixel(args.masks.len()))
        .with_context(|| format!("cannot process the DEM {}", args.dem.display()))?;
    let masks = args
        .masks
        .iter()
        .map(|p| {
            let info = geotiff::read_info(p).with_context(|| format!("cannot read the mask {}", p.display()))?;
            anyhow::ensure!(
                info.data_type == geotiff::DataType::U8,
                "the mask {} holds {} samples; a wet-snow mask is a Byte (u8) GeoTIFF with 1 = wet snow, 0 = none",
                p.display(),
                info.data_type
            );
            anyhow::ensure!(
                info.grid.same_as(&dem_info.grid),
                "the mask {} ({}×{} px) is not on the grid of the DEM {} ({}×{} px); resample one of them",
                p.display(),
                info.width,
                info.height,
                args.dem.display(),
                dem_info.width,
                dem_info.height
            );
            geotiff::read_u8(p, 0).with_context(|| format!("cannot read the mask {}", p.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let dem = geotiff::read_f64(&args.dem, 0)
        .with_context(|| format!("cannot read the DEM {}", args.dem.display()))?;
    let table = wet_snow_extent(&masks, &dates, &dem, args.band_m).with_context(|| {
        format!(
            "--band-m {} with the DEM {}",
            args.band_m,
            args.dem.display()
        )
    })?;
    let durations = melt_duration(&masks, &dates)?;
    let mut csv = String::from("band_lower_m");
    for d in &table.dates {
        write!(csv, ",{d}")?;
    }
    csv.push('\n');
    for (b, z) in table.band_lower_m.iter().enumerate() {
        write!(csv, "{z}")?;
        for j in 0..table.dates.len() {
            write!(csv, ",{:.4}", table.wse[[b, j]])?;
        }
        csv.push('\n');
    }
    write!(csv, "total")?;
    for t in &table.total {
        write!(csv, ",{t:.4}")?;
    }
    csv.push('\n');
    std::fs::write(&extent_csv, &csv)
        .with_context(|| format!("cannot write {}", extent_csv.display()))?;
    let flipped = heatmap(&table.wse);
    write_quicklook(
        &heatmap_png,
        flipped.view(),
        &QuickLook::new(
            format!(
                "Wet-snow extent per {} m band (rows, top = highest band {:.0} m) and date (columns, {} … {})",
                args.band_m,
                table.band_lower_m.last().copied().unwrap_or(f64::NAN),
                dates[0],
                dates[dates.len() - 1]
            ),
            "wet-snow fraction of the band",
            "",
        )
        .range(ColorRange::Fixed(0.0, 1.0)),
    )?;
    let mut classes = String::from("year,n_dates,d0_60,d60_120,d120_180,d180_240,above_240\n");
    for ((y, tif), png) in durations.iter().zip(&year_tifs).zip(&year_pngs) {
        geotiff::write_f64(tif, &y.days)
            .with_context(|| format!("cannot write duration_{}.tif", y.year))?;
        write_quicklook(
            png,
            y.days.data.view(),
            &QuickLook::new(
                format!("Melting duration {} ({} wet-snow masks)", y.year, y.n_dates),
                "melting duration",
                "days",
            )
            .cmap(Colormap::Magma)
            .note(format!(
                "{} × {} px; pixels never observed in {} drawn as no data",
                y.days.grid.cols, y.days.grid.rows, y.year
            )),
        )
        .with_context(|| format!("cannot write duration_{}.png", y.year))?;
        let c = duration_classes(&y.days, &DEFAULT_DURATION_EDGES)?;
        writeln!(
            classes,
            "{},{},{:.4},{:.4},{:.4},{:.4},{:.4}",
            y.year,
            y.n_dates,
            c.fractions[0],
            c.fractions[1],
            c.fractions[2],
            c.fractions[3],
            c.above
        )?;
    }
    anyhow::ensure!(
        durations.len() == year_tifs.len(),
        "internal error: {} years of durations for {} years of dates",
        durations.len(),
        year_tifs.len()
    );
    std::fs::write(&classes_csv, &classes)
        .with_context(|| format!("cannot write {}", classes_csv.display()))?;
    outs.commit()?;
    let mut msg = classes;
    if table.n_ignored > 0 {
        writeln!(
            msg,
            "note: {} DEM pixels outside the plausible heights {}…{} m (undeclared fill values?) were ignored",
            table.n_ignored,
            snowmelt::validation::MIN_ELEVATION_M,
            snowmelt::validation::MAX_ELEVATION_M
        )?;
    }
    writeln!(msg, "outputs in {}", args.out.display())?;
    print_out(&msg)
}
