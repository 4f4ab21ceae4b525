//! `cryosar terrain`: slope, aspect and local incidence angle of a DEM.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ndarray::Array2;
use sar_core::terrain::{self, GradientMethod, Incidence, LookDirection};
use sar_core::{geotiff, Crs, Grid, Raster};

use crate::quicklook::{write_quicklook, ColorRange, QuickLook};
use crate::util::{check_range, Colormap, OutputSet};

/// Arguments of `cryosar terrain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input DEM (GeoTIFF, heights in metres; projected or geographic grid).
    pub dem: PathBuf,
    /// Output slope GeoTIFF (degrees).
    #[arg(long)]
    pub slope: Option<PathBuf>,
    /// Output aspect GeoTIFF (degrees clockwise from north, downslope direction).
    #[arg(long)]
    pub aspect: Option<PathBuf>,
    /// Output local incidence angle GeoTIFF (degrees); needs --incidence and --heading.
    #[arg(long)]
    pub lia: Option<PathBuf>,
    /// Radar incidence angle from vertical in degrees, 0–89 (e.g. 39 for Sentinel-1 IW mid-swath).
    #[arg(long, requires = "lia", allow_negative_numbers = true)]
    pub incidence: Option<f64>,
    /// Platform heading in degrees clockwise from north, −360–360 (e.g. -12 ascending, -168 descending for Sentinel-1).
    #[arg(long, requires = "lia", allow_negative_numbers = true)]
    pub heading: Option<f64>,
    /// The radar looks left of the flight direction (default: right-looking).
    #[arg(long)]
    pub left_looking: bool,
    /// Gradient operator: horn (default, as gdaldem) or zt (Zevenbergen–Thorne).
    #[arg(long, default_value = "horn", value_parser = ["horn", "zt"])]
    pub method: String,
    /// Optional PNG quick-looks of every output, next to it (`slope.tif` → `slope.png`).
    #[arg(long)]
    pub png: bool,
    /// Batch arrays: run one tile of a `cryosar tiles` task list.
    #[command(flatten)]
    pub batch: crate::batch::TileTaskArgs,
}

/// Bytes of memory per DEM pixel that `terrain` holds: the DEM, slope,
/// aspect and LIA as f64, their f32 copies and the GeoTIFF encoder's
/// buffers.
pub const TERRAIN_BYTES_PER_PIXEL: u64 = 4 * 8 + 3 * 4 + 16;

/// Refuse a raster without georeferencing where distances matter.
pub fn require_georeferencing(path: &Path, grid: &Grid, flag: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        grid.transform != sar_core::GeoTransform::default(),
        "{flag} {} has no georeferencing (no geotransform), so its pixel size in metres is unknown; \
         add it, e.g. `gdal_edit.py -a_ullr ULX ULY LRX LRY -a_srs EPSG:XXXX {}`",
        path.display(),
        path.display()
    );
    Ok(())
}

/// `x.tif` → `x.png`.
pub fn png_beside(p: &Path) -> PathBuf {
    p.with_extension("png")
}

/// Run `cryosar terrain`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.slope.is_some() || args.aspect.is_some() || args.lia.is_some(),
        "nothing to do: give at least one of --slope, --aspect, --lia"
    );
    if args.lia.is_some() {
        anyhow::ensure!(
            args.incidence.is_some() && args.heading.is_some(),
            "--lia needs --incidence DEG and --heading DEG"
        );
    }
    if let Some(inc) = args.incidence {
        check_range("--incidence", inc, 0.0, 89.0)?;
    }
    if let Some(h) = args.heading {
        check_range("--heading", h, -360.0, 360.0)?;
    }
    // batch arrays: one tile (+ the 1 px halo of the 3 × 3 stencils)
    let job = match &args.batch.tasks {
        Some(_) => {
            let info = geotiff::read_info(&args.dem)
                .with_context(|| format!("cannot read the DEM {}", args.dem.display()))?;
            crate::batch::TileJob::from_args(&args.batch, &args.dem, info.height, info.width)?
        }
        None => crate::batch::TileJob::from_args(&args.batch, &args.dem, 0, 0)?,
    };
    // Every output is registered (and checked) before anything is read.
    let mut outs = OutputSet::new();
    outs.input("DEM", &args.dem);
    let mut targets = Vec::new();
    for (flag, p) in [
        ("--slope", &args.slope),
        ("--aspect", &args.aspect),
        ("--lia", &args.lia),
    ] {
        if let Some(p) = p {
            let p = &job.map_or_else(|| p.clone(), |j| crate::batch::tile_path(p, &j.label()));
            let tif = outs.output(flag, p)?;
            let png = if args.png {
                Some(outs.output(format!("{flag} quick-look"), &png_beside(p))?)
            } else {
                None
            };
            targets.push((flag, p.clone(), tif, png));
        }
    }
    let info = geotiff::read_info(&args.dem)
        .with_context(|| format!("cannot read the DEM {}", args.dem.display()))?;
    let read_win = job.map(|j| j.window.grown(1 + j.halo, info.height, info.width));
    if read_win.is_none() {
        geotiff::check_memory(&args.dem, &info, TERRAIN_BYTES_PER_PIXEL)
            .with_context(|| format!("cannot process the DEM {}", args.dem.display()))?;
    }
    require_georeferencing(&args.dem, &info.grid, "the DEM")?;
    let dem = match read_win {
        Some(w) => geotiff::read_window_f64(&args.dem, 0, w),
        None => geotiff::read_f64(&args.dem, 0),
    }
    .with_context(|| format!("cannot read the DEM {}", args.dem.display()))?;
    let method = if args.method == "zt" {
        GradientMethod::ZevenbergenThorne
    } else {
        GradientMethod::Horn
    };
    let sa = terrain::slope_aspect(&dem, method)
        .with_context(|| format!("cannot compute the slope of the DEM {}", args.dem.display()))?;
    let lia = match (&args.lia, args.incidence, args.heading) {
        (Some(_), Some(inc), Some(heading)) => {
            let look = if args.left_looking {
                LookDirection::Left
            } else {
                LookDirection::Right
            };
            Some(terrain::local_incidence_angle(
                &sa.slope,
                &sa.aspect,
                &Incidence::Constant(inc),
                heading,
                look,
            )?)
        }
        _ => None,
    };
    let name = args.dem.display().to_string();
    let (ew, ns) = dem.grid.pixel_size_m(dem.grid.rows / 2);
    let note = format!(
        "{}×{} px of {ew:.1}×{ns:.1} m; {} gradient",
        dem.grid.cols,
        dem.grid.rows,
        if args.method == "zt" {
            "Zevenbergen–Thorne"
        } else {
            "Horn"
        }
    );
    for (flag, _, tif, png) in &targets {
        let (r, ql) = match *flag {
            "--slope" => (
                &sa.slope,
                QuickLook::new(format!("Slope of {name}"), "slope", "°").cmap(Colormap::Magma),
            ),
            "--aspect" => (
                &sa.aspect,
                QuickLook::new(
                    format!("Aspect of {name}"),
                    "aspect (clockwise from north)",
                    "°",
                )
                .cmap(Colormap::Turbo)
                .range(ColorRange::Fixed(0.0, 360.0)),
            ),
            _ => match &lia {
                Some(l) => (
                    l,
                    QuickLook::new(
                        format!("Local incidence angle of {name}"),
                        "local incidence angle",
                        "°",
                    )
                    .cmap(Colormap::Turbo),
                ),
                None => anyhow::bail!("--lia needs --incidence DEG and --heading DEG"),
            },
        };
        match (&job, read_win) {
            (Some(j), Some(w)) => crate::batch::write_tile_f32(tif, r, j, w)?,
            _ => write_f32(tif, r)?,
        }
        if let Some(png) = png {
            write_quicklook(png, r.data.view(), &ql.note(note.clone()))?;
        }
    }
    outs.commit()
}

/// Write a float raster as a single-band f32 GeoTIFF.
pub fn write_f32(path: &Path, r: &Raster<f64>) -> anyhow::Result<()> {
    let r32 = r.map(|&v| v as f32);
    geotiff::write_f32(path, &r32).with_context(|| format!("cannot write {}", path.display()))
}

/// A synthetic alpine DEM on a 30 m UTM 43N grid (Karakoram-like heights),
/// built from smooth analytic terms so its gradient is known exactly.
/// Returns the DEM and its analytic slope in degrees.
pub fn synthetic_dem(rows: usize, cols: usize) -> (Raster<f64>, Array2<f64>) {
    let grid = Grid::north_up(
        rows,
        cols,
        500_000.0,
        4_000_000.0,
        30.0,
        30.0,
        Crs::epsg(32643),
    );
    let (w, h) = (cols as f64 * 30.0, rows as f64 * 30.0);
    // z = base + tilt + peaks (Gaussian) + valley (cosine); all smooth.
    let peaks = [
        (0.3 * w, 0.35 * h, 1800.0, 0.12 * w),
        (0.7 * w, 0.6 * h, 1500.0, 0.10 * w),
        (0.45 * w, 0.8 * h, 900.0, 0.08 * w),
    ];
    let f = |x: f64, y: f64| -> (f64, f64, f64) {
        let mut z = 4200.0 + 0.05 * x + 0.08 * y;
        let mut dzdx = 0.05;
        let mut dzdy = 0.08;
        for &(px, py, amp, s) in &peaks {
            let e = amp * (-((x - px).powi(2) + (y - py).powi(2)) / (2.0 * s * s)).exp();
            z += e;
            dzdx += -e * (x - px) / (s * s);
            dzdy += -e * (y - py) / (s * s);
        }
        let k = std::f64::consts::TAU / (0.5 * w);
        z += 60.0 * (k * x).cos();
        dzdx += -60.0 * k * (k * x).sin();
        (z, dzdx, dzdy)
    };
    let mut dem = Array2::zeros((rows, cols));
    let mut slope = Array2::zeros((rows, cols));
    for r in 0..rows {
        for c in 0..cols {
            let (x, y) = grid.pixel_center(r, c);
            let (x, y) = (x - 500_000.0, y - (4_000_000.0 - h));
            let (z, gx, gy) = f(x, y);
            dem[[r, c]] = z;
            slope[[r, c]] = gx.hypot(gy).atan().to_degrees();
        }
    }
    (
        Raster {
            data: dem,
            grid,
            nodata: Some(-9999.0),
        },
        slope,
    )
}

/// The terrain part of `cryosar demo`.
pub fn demo_part(out: &Path, report: &mut String) -> anyhow::Result<()> {
    let (dem, true_slope) = synthetic_dem(400, 500);
    let sa = terrain::slope_aspect(&dem, GradientMethod::Horn)?;
    // Sentinel-1 descending geometry: heading -168°, incidence 39°.
    let lia = terrain::local_incidence_angle(
        &sa.slope,
        &sa.aspect,
        &Incidence::Constant(39.0),
        -168.0,
        LookDirection::Right,
    )?;
    geotiff::write_f64(out.join("dem.tif"), &dem)?;
    write_f32(&out.join("slope.tif"), &sa.slope)?;
    write_f32(&out.join("aspect.tif"), &sa.aspect)?;
    write_f32(&out.join("lia.tif"), &lia)?;
    write_quicklook(
        &out.join("dem.png"),
        dem.data.view(),
        &QuickLook::new("Synthetic DEM (30 m, EPSG:32643)", "elevation", "m").cmap(Colormap::Gray),
    )?;
    write_quicklook(
        &out.join("slope.png"),
        sa.slope.data.view(),
        &QuickLook::new("Slope of the synthetic DEM (Horn)", "slope", "°").cmap(Colormap::Magma),
    )?;
    write_quicklook(
        &out.join("lia.png"),
        lia.data.view(),
        &QuickLook::new(
            "Local incidence angle, Sentinel-1 descending (θ = 39°, heading −168°)",
            "local incidence angle",
            "°",
        )
        .cmap(Colormap::Turbo),
    )?;
    let err = sar_core::stats::Summary::of(
        sa.slope
            .data
            .iter()
            .zip(true_slope.iter())
            .map(|(a, b)| (a - b).abs()),
    )
    .context("slope raster has no valid pixel")?;
    let s = sa.slope.summary()?;
    let l = lia.summary()?;
    writeln!(report, "## Terrain (sar-core)")?;
    writeln!(
        report,
        "synthetic DEM {}x{} px, 30 m, EPSG:32643: elevation {:.0}–{:.0} m",
        dem.grid.rows,
        dem.grid.cols,
        dem.summary()?.min,
        dem.summary()?.max
    )?;
    writeln!(
        report,
        "slope (Horn): mean {:.2}°, max {:.2}°",
        s.mean, s.max
    )?;
    writeln!(
        report,
        "slope vs analytic gradient: mean |error| {:.4}°, max {:.4}° over {} px",
        err.mean, err.max, err.count
    )?;
    writeln!(
        report,
        "local incidence (S1 descending, θ = 39°, heading -168°): mean {:.2}°, range {:.2}–{:.2}°",
        l.mean, l.min, l.max
    )?;
    writeln!(
        report,
        "files: dem.tif slope.tif aspect.tif lia.tif dem.png slope.png lia.png\n"
    )?;
    Ok(())
}
