//! `cryosar massbalance`: per-glacier and regional geodetic mass balance
//! with uncertainty from a dh/dt map, the reference DEM and glacier outlines
//! (thesis sect. 4.3.2.2–4.3.3, crate `geodetic-mb`).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use geodetic_mb::{
    process_glaciers, regional_report, stable_mask, BandStatistic, ErrorModel, ErrorModelParams,
    FillMethod, GlacierInfo, GlacierInputs, GlacierParams, SurgeClass,
};
use sar_core::rasterize::{rasterize_outlines, RasterizeMode};
use sar_core::terrain::{slope_aspect, GradientMethod};
use sar_core::{geotiff, vector};
use uncertainty::Density;

use crate::util::OutputSet;

/// Void-fill method of `--fill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fill {
    /// Gaussian-process regression (thesis default).
    Gp,
    /// One hypsometric curve (50 m bands, median) from all glaciers.
    Hypsometric,
    /// One hypsometric curve per glacier.
    LocalHypsometric,
}

/// Arguments of `cryosar massbalance`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// dh/dt GeoTIFF (m/yr, projected CRS).
    #[arg(long)]
    pub dhdt: PathBuf,
    /// Reference DEM GeoTIFF on the grid of --dhdt (m).
    #[arg(long = "ref")]
    pub reference: PathBuf,
    /// Glacier outlines (.shp, .gpkg, .geojson; RGI 6/7 attributes recognised),
    /// reprojected onto the grid.
    #[arg(long)]
    pub outlines: PathBuf,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Optional extra stable-terrain mask on the grid (non-zero = usable).
    #[arg(long)]
    pub stable: Option<PathBuf>,
    /// Void-fill method.
    #[arg(long, value_enum, default_value_t = Fill::Gp)]
    pub fill: Fill,
    /// Volume-to-mass density (kg m⁻³; thesis: 850).
    #[arg(long, default_value_t = 850.0)]
    pub density: f64,
    /// Its uncertainty (kg m⁻³; thesis: 60).
    #[arg(long, default_value_t = 60.0)]
    pub density_sigma: f64,
    /// Smallest glacier area processed (km²; thesis: 1).
    #[arg(long, default_value_t = 1.0)]
    pub min_area: f64,
    /// Smallest measured coverage (fraction; thesis: 0.3).
    #[arg(long, default_value_t = 0.3)]
    pub min_coverage: f64,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Run `cryosar massbalance`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    crate::util::check_range("--density", args.density, 1.0, 1000.0)?;
    crate::util::check_range("--density-sigma", args.density_sigma, 0.0, 1000.0)?;
    crate::util::check_range("--min-area", args.min_area, 0.0, 1e6)?;
    crate::util::check_range("--min-coverage", args.min_coverage, 0.0, 1.0)?;
    let mut outs = OutputSet::new();
    outs.input("--dhdt", &args.dhdt);
    outs.input("--ref", &args.reference);
    outs.input("--outlines", &args.outlines);
    let p_filled = outs.output_in("--out", &args.out, "dhdt_filled.tif")?;
    let p_sigma = outs.output_in("--out", &args.out, "dhdt_sigma.tif")?;
    let p_csv = outs.output_in("--out", &args.out, "glaciers.csv")?;
    let p_json = outs.output_in("--out", &args.out, "glaciers.geojson")?;
    let p_reg = outs.output_in("--out", &args.out, "regional.json")?;
    let dh = geotiff::read_f64(&args.dhdt, 0)
        .with_context(|| format!("cannot read --dhdt {}", args.dhdt.display()))?;
    let dem = geotiff::read_f64(&args.reference, 0)
        .with_context(|| format!("cannot read --ref {}", args.reference.display()))?;
    anyhow::ensure!(
        dem.grid.same_as(&dh.grid),
        "--ref {} is not on the grid of --dhdt {}; resample it onto that grid",
        args.reference.display(),
        args.dhdt.display()
    );
    let outlines = vector::read_outlines(&args.outlines)
        .with_context(|| format!("cannot read --outlines {}", args.outlines.display()))?;
    anyhow::ensure!(
        !outlines.features.is_empty(),
        "--outlines {} holds no polygon",
        args.outlines.display()
    );
    let labels = rasterize_outlines(&outlines, &dh.grid, RasterizeMode::PixelCenter)
        .with_context(|| format!("cannot rasterise --outlines {}", args.outlines.display()))?;
    let glaciers: Vec<GlacierInfo> = outlines
        .features
        .iter()
        .map(|f| {
            let r = f.rgi();
            GlacierInfo {
                label: f.id,
                id: r.rgi_id.unwrap_or_else(|| format!("feature-{}", f.id)),
                name: r.name.unwrap_or_default(),
                surge: r
                    .surge_type
                    .map_or(SurgeClass::Unknown, |s| SurgeClass::from_rgi(i64::from(s))),
            }
        })
        .collect();
    let sa = slope_aspect(&dem, GradientMethod::Horn).context("slope of --ref")?;
    let extra = match &args.stable {
        Some(p) => {
            let m = geotiff::read_f64(p, 0)
                .with_context(|| format!("cannot read --stable {}", p.display()))?;
            anyhow::ensure!(
                m.grid.same_as(&dh.grid),
                "--stable {} is not on the grid of --dhdt",
                p.display()
            );
            Some(m.data.mapv(|v| v.is_finite() && v != 0.0))
        }
        None => None,
    };
    let on_glacier = labels.data.mapv(|l| l != 0);
    let stable = stable_mask(
        on_glacier.view(),
        extra.as_ref().map(|e| e.view()),
        sa.slope.view(),
        0.0,
        70.0,
    )?;
    let model = ErrorModel::fit(&dh, &sa.slope, stable.view(), &ErrorModelParams::default())
        .context("cannot fit the error model on stable terrain (outside the outlines)")?;
    let fill = match args.fill {
        Fill::Gp => FillMethod::Gp(Box::default()),
        Fill::Hypsometric => FillMethod::Hypsometric {
            band_m: 50.0,
            statistic: BandStatistic::Median,
        },
        Fill::LocalHypsometric => FillMethod::LocalHypsometric {
            band_m: 50.0,
            statistic: BandStatistic::Median,
        },
    };
    let density = Density {
        rho_kg_m3: args.density,
        sigma_kg_m3: args.density_sigma,
    };
    let params = GlacierParams::default()
        .fill(fill)
        .density(density)
        .min_area_km2(args.min_area)
        .min_coverage(args.min_coverage);
    let inputs = GlacierInputs {
        dhdt: &dh,
        dem: &dem,
        slope_deg: &sa.slope,
        aspect_deg: &sa.aspect,
        labels: &labels,
        glaciers: &glaciers,
        error_model: &model,
    };
    eprintln!("processing {} glaciers …", glaciers.len());
    let res = process_glaciers(&inputs, &params)?;
    geotiff::write_f64(&p_filled, &res.filled).context("cannot write dhdt_filled.tif")?;
    geotiff::write_f64(&p_sigma, &res.sigma).context("cannot write dhdt_sigma.tif")?;
    let mut csv = String::from(
        "rgi_id,name,surge_class,status,area_km2,coverage,n_measured,n_filled,mean_measured_m_yr,mean_filled_m_yr,mean_dhdt_m_yr,sigma_dhdt_m_yr,b_mwe_yr,sigma_b_mwe_yr,n_eff,median_elevation_m,pattern\n",
    );
    for g in &res.glaciers {
        writeln!(
            csv,
            "{},{},{:?},{},{:.6},{:.4},{},{},{:.5},{:.5},{:.5},{:.5},{:.5},{:.5},{:.2},{:.1},{}",
            csv_field(&g.info.id),
            csv_field(&g.info.name),
            g.info.surge,
            g.status.code(),
            g.area_m2 / 1e6,
            g.coverage,
            g.n_measured,
            g.n_filled,
            g.mean_measured_m_yr,
            g.mean_filled_m_yr,
            g.mean_dhdt_m_yr,
            g.sigma_dhdt_m_yr,
            g.b_mwe_yr,
            g.sigma_b_mwe_yr,
            g.n_eff,
            g.median_elevation_m,
            g.pattern
                .map_or("".to_string(), |p| format!("{:?}", p.pattern))
        )?;
    }
    std::fs::write(&p_csv, csv).context("cannot write glaciers.csv")?;
    // GeoJSON with the outline geometry (in the outlines' CRS) and the row
    let feats: Vec<serde_json::Value> = outlines
        .features
        .iter()
        .zip(&res.glaciers)
        .map(|(f, g)| {
            let polys: Vec<serde_json::Value> = f
                .geometry
                .0
                .iter()
                .map(|p| {
                    let ring = |ls: &geo::LineString<f64>| {
                        serde_json::Value::from(
                            ls.0.iter().map(|c| vec![c.x, c.y]).collect::<Vec<_>>(),
                        )
                    };
                    serde_json::Value::from(
                        std::iter::once(ring(p.exterior()))
                            .chain(p.interiors().iter().map(ring))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            let num = |v: f64| if v.is_finite() { serde_json::json!(v) } else { serde_json::Value::Null };
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": polys},
                "properties": {
                    "rgi_id": g.info.id, "name": g.info.name, "surge_class": format!("{:?}", g.info.surge),
                    "status": g.status.code(), "area_km2": g.area_m2 / 1e6, "coverage": g.coverage,
                    "mean_dhdt_m_yr": num(g.mean_dhdt_m_yr), "sigma_dhdt_m_yr": num(g.sigma_dhdt_m_yr),
                    "b_mwe_yr": num(g.b_mwe_yr), "sigma_b_mwe_yr": num(g.sigma_b_mwe_yr),
                }
            })
        })
        .collect();
    let fc = serde_json::json!({"type": "FeatureCollection", "features": feats});
    std::fs::write(&p_json, serde_json::to_string(&fc)?)
        .context("cannot write glaciers.geojson")?;
    let rep = regional_report(&res.glaciers, &model.variogram, density)
        .context("no glacier passed the area/coverage criteria; nothing to aggregate")?;
    let regional = serde_json::json!({
        "regional": rep,
        "stable_terrain": {"median_m_yr": model.stable.median, "nmad_m_yr": model.stable.nmad, "count": model.stable.count},
        "variogram": model.variogram.components().iter().map(|c| serde_json::json!({
            "kind": format!("{:?}", c.kind), "range_m": c.range_m, "partial_sill": c.partial_sill})).collect::<Vec<_>>(),
    });
    std::fs::write(&p_reg, serde_json::to_string_pretty(&regional)?)
        .context("cannot write regional.json")?;
    outs.commit()?;
    println!("{}", serde_json::to_string_pretty(&regional)?);
    Ok(())
}
