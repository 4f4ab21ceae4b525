//! `cryosar points`: DEM − point heights (ICESat shots, GNSS) statistics, as JSON.

use std::path::PathBuf;

use anyhow::Context;
use sar_core::points::{compare_points, read_points, PointComparison, PointOptions};
use sar_core::{geotiff, proj};
use serde::Serialize;

/// Arguments of `cryosar points`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The DEM (GeoTIFF; its no-data pixels are skipped).
    pub dem: PathBuf,
    /// The points: CSV/text (.csv, .txt, .xyz), GeoJSON, shapefile or GeoPackage.
    pub points: PathBuf,
    /// Height column or attribute (CSV header name, 0-based column number for
    /// a text file without header, or a shapefile/GeoJSON attribute). Default:
    /// a column named z/h/height/elevation, or the point geometry's Z.
    #[arg(long, value_name = "H")]
    pub z_column: Option<String>,
    /// CRS of the points (EPSG:32640, a bare code, or a PROJ.4 string);
    /// required for text files and for shapefiles without .prj.
    #[arg(long, value_name = "EPSG:xxxx")]
    pub crs: Option<String>,
}

/// The JSON document printed by `cryosar points`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The DEM.
    pub dem: String,
    /// The point file.
    pub points: String,
    /// CRS of the points as used.
    pub points_crs: String,
    /// Points read.
    pub n_points: usize,
    /// Points on a valid DEM pixel (used in the statistics).
    pub count: usize,
    /// Points outside the DEM or on no-data.
    pub n_outside_or_nodata: usize,
    /// Mean of DEM − point (m).
    pub mean_m: f64,
    /// Median of DEM − point (m).
    pub median_m: f64,
    /// NMAD of DEM − point (m): 1.4826 · median(|d − median d|).
    pub nmad_m: f64,
    /// Standard deviation of DEM − point (m).
    pub std_m: f64,
    /// Root mean square of DEM − point (m).
    pub rmse_m: f64,
    /// Smallest DEM − point (m).
    pub min_m: f64,
    /// Largest DEM − point (m).
    pub max_m: f64,
}

/// Compute the [`Report`].
pub fn report(args: &Args) -> anyhow::Result<Report> {
    let crs = args
        .crs
        .as_deref()
        .map(proj::parse_crs)
        .transpose()
        .context("--crs")?;
    let opts = PointOptions {
        z_column: args.z_column.clone(),
        crs,
    };
    let dem = geotiff::read_f64(&args.dem, 0)
        .with_context(|| format!("cannot read the DEM {}", args.dem.display()))?;
    let pts = read_points(&args.points, &opts)?;
    let s: PointComparison = compare_points(&dem, &pts).with_context(|| {
        format!(
            "DEM {} vs points {}",
            args.dem.display(),
            args.points.display()
        )
    })?;
    Ok(Report {
        dem: args.dem.display().to_string(),
        points: args.points.display().to_string(),
        points_crs: pts.crs.to_string(),
        n_points: s.n_points,
        count: s.count,
        n_outside_or_nodata: s.n_outside_or_nodata,
        mean_m: s.mean,
        median_m: s.median,
        nmad_m: s.nmad,
        std_m: s.std,
        rmse_m: s.rmse,
        min_m: s.min,
        max_m: s.max,
    })
}

/// Run `cryosar points`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let r = report(args)?;
    println!("{}", serde_json::to_string_pretty(&r)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use sar_core::{Crs, Grid, Raster};

    /// A tilted-plane DEM and points 2 m below it: mean = median = 2, NMAD 0,
    /// one point outside counted; a missing --crs for CSV is an error naming the file.
    #[test]
    fn plane_dem_and_offset_points() {
        let dir = tempfile::tempdir().unwrap();
        let g = Grid::north_up(50, 40, 400_000.0, 8_900_000.0, 30.0, 30.0, Crs::epsg(32640));
        let data = Array2::from_shape_fn((50, 40), |(r, c)| {
            let (x, y) = g.pixel_center(r, c);
            0.01 * (x - 400_000.0) - 0.02 * (y - 8_900_000.0)
        });
        let dem_path = dir.path().join("dem.tif");
        geotiff::write_f64(&dem_path, &Raster::new(data, g).unwrap()).unwrap();
        let mut csv = String::from("E,N,H\n");
        for k in 0..20 {
            let x = 400_100.0 + 47.3 * k as f64;
            let y = 8_899_100.0 + 29.1 * k as f64;
            let z = 0.01 * (x - 400_000.0) - 0.02 * (y - 8_900_000.0) - 2.0;
            csv.push_str(&format!("{x},{y},{z}\n"));
        }
        csv.push_str("0,0,5\n");
        let pts = dir.path().join("pts.csv");
        std::fs::write(&pts, csv).unwrap();
        let mut a = Args {
            dem: dem_path,
            points: pts.clone(),
            z_column: None,
            crs: Some("EPSG:32640".into()),
        };
        let r = report(&a).unwrap();
        assert_eq!((r.n_points, r.count, r.n_outside_or_nodata), (21, 20, 1));
        assert!((r.mean_m - 2.0).abs() < 1e-9 && (r.median_m - 2.0).abs() < 1e-9);
        assert!(r.nmad_m.abs() < 1e-9);
        a.crs = None;
        let e = format!("{:#}", report(&a).unwrap_err());
        assert!(e.contains("pts.csv"), "{e}");
        a.crs = Some("bogus".into());
        assert!(format!("{:#}", report(&a).unwrap_err()).contains("--crs"));
    }
}
