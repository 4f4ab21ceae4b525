//! `cryosar snowstats`: wet-snow extent per elevation band and date, melting
//! duration per pixel and year (thesis sect. 3.4.2).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use sar_core::geotiff;
use snowmelt::timeseries::{
    duration_classes, melt_duration, wet_snow_extent, DEFAULT_DURATION_EDGES,
};
use snowmelt::Date;

use crate::util::{write_png_colormap, Colormap};

/// Arguments of `cryosar snowstats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Wet-snow masks (GeoTIFF, 1 = wet snow, 0 = none, other = not observed), one per date.
    #[arg(required = true)]
    pub masks: Vec<PathBuf>,
    /// Dates of the masks (YYYY-MM-DD), comma-separated, in the order of the masks.
    #[arg(long, value_delimiter = ',', required = true)]
    pub dates: Vec<String>,
    /// DEM on the masks' grid (metres).
    #[arg(long)]
    pub dem: PathBuf,
    /// Elevation band height (metres).
    #[arg(long, default_value_t = 100.0)]
    pub band_m: f64,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

/// The band × date extent table as an image: highest band on top, dates left
/// to right, each cell enlarged to 4 × 12 pixels so that short series stay legible.
pub fn heatmap(wse: &ndarray::Array2<f64>) -> ndarray::Array2<f64> {
    let (nb, nd) = wse.dim();
    ndarray::Array2::from_shape_fn((nb * 4, nd * 12), |(r, c)| wse[[nb - 1 - r / 4, c / 12]])
}

/// Run `cryosar snowstats`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.masks.len() == args.dates.len(),
        "{} masks but {} dates",
        args.masks.len(),
        args.dates.len()
    );
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let dates: Vec<Date> = args
        .dates
        .iter()
        .map(|d| d.parse())
        .collect::<Result<_, _>>()?;
    let masks = args
        .masks
        .iter()
        .map(|p| {
            geotiff::read_u8(p, 0).with_context(|| format!("cannot read mask {}", p.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let dem = geotiff::read_f64(&args.dem, 0)
        .with_context(|| format!("cannot read DEM {}", args.dem.display()))?;
    let table = wet_snow_extent(&masks, &dates, &dem, args.band_m)?;
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
    crate::util::write_text_atomic(&args.out.join("extent.csv"), &csv)?;
    let flipped = heatmap(&table.wse);
    write_png_colormap(
        &args.out.join("extent_heatmap.png"),
        flipped.view(),
        0.0,
        1.0,
        Colormap::Viridis,
        "wet-snow extent per 100 m band (rows, top = high) and date (columns)",
    )?;
    let mut classes = String::from("year,n_dates,d0_60,d60_120,d120_180,d180_240,above_240\n");
    for y in melt_duration(&masks, &dates)? {
        geotiff::write_f64(args.out.join(format!("duration_{}.tif", y.year)), &y.days)?;
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
    crate::util::write_text_atomic(&args.out.join("duration_classes.csv"), &classes)?;
    print!("{classes}");
    println!("outputs in {}", args.out.display());
    Ok(())
}
