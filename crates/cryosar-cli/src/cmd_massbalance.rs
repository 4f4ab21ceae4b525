//! `cryosar massbalance`: per-glacier and regional geodetic mass balance
//! with uncertainty from a dh/dt map, the reference DEM and glacier outlines
//! (thesis sect. 4.3.2.2–4.3.3, crate `geodetic-mb`).
//!
//! Outputs in `--out` (all or nothing): `dhdt_filled.tif` and
//! `dhdt_sigma.tif` (m/yr), `glaciers.csv`, `glaciers.geojson` (one row /
//! feature per outline with its status, in WGS 84 as RFC 7946 asks, the
//! outline geometry included) and `glaciers.gpkg` (the same table as the
//! GeoPackage layer `glaciers`, outlines in their own CRS), `regional.json` (eq. 4.6 and 4.14–4.16,
//! by surge class, and per 100 m elevation band as Fig. 4.5) and
//! `dhdt_elevation.png` (dh/dt against elevation: band median ± NMAD and one
//! point ± σ per glacier). Glaciers run in parallel (rayon) with a progress
//! bar on stderr.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use geodetic_mb::{
    elevation_bands, process_glaciers_with_progress, regional_report, stable_mask, BandStatistic,
    ErrorModel, ErrorModelParams, FillMethod, GlacierInfo, GlacierInputs, GlacierParams,
    SurgeClass,
};
use sar_core::rasterize::{rasterize_outlines, RasterizeMode};
use sar_core::terrain::{slope_aspect, GradientMethod};
use sar_core::{geotiff, vector};
use uncertainty::Density;

use crate::util::OutputSet;

/// Void-fill method of `--fill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fill {
    /// Gaussian-process regression (thesis method; settings of
    /// `geodetic_mb::glacier::region_gp`).
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
    /// Batch arrays: process one task of glaciers and write only its table
    /// part `glaciers_part<I>.csv` (merge with `cryosar merge --tables`).
    #[command(flatten)]
    pub batch: crate::batch::GlacierTaskArgs,
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
    if let Some(p) = &args.stable {
        outs.input("--stable", p);
    }
    // batch arrays: a part writes its table part only (the maps and the
    // regional aggregate need every glacier)
    let part_name = crate::batch::glacier_part_name(&args.batch)?;
    anyhow::ensure!(
        part_name.is_none() || args.fill != Fill::Hypsometric,
        "--fill hypsometric fits one curve on all glaciers, so a part would differ from the whole run; \
         use --fill gp or local-hypsometric with --tasks/--chunks"
    );
    let p_csv = outs.output_in(
        "--out",
        &args.out,
        part_name.as_deref().unwrap_or("glaciers.csv"),
    )?;
    let full = match part_name {
        Some(_) => None,
        None => Some((
            outs.output_in("--out", &args.out, "dhdt_filled.tif")?,
            outs.output_in("--out", &args.out, "dhdt_sigma.tif")?,
            outs.output_in("--out", &args.out, "glaciers.geojson")?,
            outs.output_in("--out", &args.out, "regional.json")?,
            outs.output_in("--out", &args.out, "dhdt_elevation.png")?,
            outs.output_in("--out", &args.out, "glaciers.gpkg")?,
        )),
    };
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
    let ids: Vec<String> = glaciers.iter().map(|g| g.id.clone()).collect();
    let part = crate::batch::glacier_part(&args.batch, &ids)?;
    let glaciers: Vec<GlacierInfo> = match &part {
        Some(p) => p.members.iter().map(|&i| glaciers[i].clone()).collect(),
        None => glaciers,
    };
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
        Fill::Gp => FillMethod::default(),
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
    let bar = indicatif::ProgressBar::new(glaciers.len() as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {pos}/{len} glaciers ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("{:?} fill", args.fill));
    let res = process_glaciers_with_progress(&inputs, &params, &|| bar.inc(1))?;
    bar.finish_and_clear();
    if let Some((p_filled, p_sigma, ..)) = &full {
        geotiff::write_f64(p_filled, &res.filled).context("cannot write dhdt_filled.tif")?;
        geotiff::write_f64(p_sigma, &res.sigma).context("cannot write dhdt_sigma.tif")?;
    }
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
    let Some((_, _, p_json, p_reg, p_png, p_gpkg)) = full else {
        outs.commit()?;
        println!(
            "{} glacier(s) of this part written to {}",
            res.glaciers.len(),
            args.out.display()
        );
        return Ok(());
    };
    // GeoJSON with the outline geometry (WGS 84, RFC 7946, when the outlines'
    // CRS is known; else their own CRS, named in a `crs` member) and the row
    let wgs84 = sar_core::Crs::epsg(4326);
    let (geo_out, crs_member) = match outlines.to_crs(&wgs84) {
        Ok(o) => (o, None),
        Err(_) => (outlines.clone(), Some(outlines.crs.to_string())),
    };
    let feats: Vec<serde_json::Value> = geo_out
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
    let mut fc = serde_json::json!({"type": "FeatureCollection", "features": feats});
    if let Some(c) = crs_member {
        fc["crs"] = serde_json::json!({"type": "name", "properties": {"name": c}});
    }
    std::fs::write(&p_json, serde_json::to_string(&fc)?)
        .context("cannot write glaciers.geojson")?;
    // the same rows as a GeoPackage, outlines in their own CRS
    let geoms: Vec<_> = outlines
        .features
        .iter()
        .map(|f| f.geometry.clone())
        .collect();
    geodetic_mb::gpkg::write_glaciers_gpkg(
        &p_gpkg,
        "glaciers",
        &res.glaciers,
        &geoms,
        &outlines.crs,
    )
    .context("cannot write glaciers.gpkg")?;
    let rep = regional_report(&res.glaciers, &model.variogram, density)
        .context("no glacier passed the area/coverage criteria; nothing to aggregate")?;
    // elevation bands (Fig. 4.5) over the processed glaciers
    let ok_labels: std::collections::HashSet<u32> = res
        .glaciers
        .iter()
        .filter(|g| g.status == geodetic_mb::GlacierStatus::Ok)
        .map(|g| g.info.label)
        .collect();
    let ok_mask = labels.data.mapv(|l| l != 0 && ok_labels.contains(&l));
    let bands = elevation_bands(&res.filled, &dem, ok_mask.view(), 100.0)
        .context("elevation bands of the filled dh/dt")?;
    write_dhdt_elevation(&p_png, &bands, &res.glaciers)
        .context("cannot draw dhdt_elevation.png")?;
    let regional = serde_json::json!({
        "regional": rep,
        "elevation_bands_100m": bands,
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

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");

/// Draw dh/dt against elevation (thesis Fig. 4.5): per 100 m band the
/// median with ±NMAD whiskers over the processed glaciers' filled dh/dt,
/// and each processed glacier as a point at its median elevation with ±σ
/// (surge-type glaciers in red), as a PNG at `path`.
fn write_dhdt_elevation(
    path: &std::path::Path,
    bands: &[geodetic_mb::ElevationBand],
    glaciers: &[geodetic_mb::GlacierResult],
) -> anyhow::Result<()> {
    use plotters::prelude::*;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // compiled-in font; a failure would show as missing text, not a crash
        let _ =
            plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, FONT);
    });
    let ok: Vec<&geodetic_mb::GlacierResult> = glaciers
        .iter()
        .filter(|g| g.status == geodetic_mb::GlacierStatus::Ok && g.mean_dhdt_m_yr.is_finite())
        .collect();
    let band_pts: Vec<(f64, f64, f64)> = bands
        .iter()
        .filter(|b| b.count > 0 && b.median.is_finite())
        .map(|b| {
            (
                b.lower_m + 50.0,
                b.median,
                if b.nmad.is_finite() { b.nmad } else { 0.0 },
            )
        })
        .collect();
    let mut xs: Vec<f64> = band_pts.iter().map(|p| p.0).collect();
    xs.extend(
        ok.iter()
            .map(|g| g.median_elevation_m)
            .filter(|v| v.is_finite()),
    );
    let mut ys: Vec<f64> = band_pts
        .iter()
        .flat_map(|p| [p.1 - p.2, p.1 + p.2])
        .collect();
    ys.extend(ok.iter().flat_map(|g| {
        let s = if g.sigma_dhdt_m_yr.is_finite() {
            g.sigma_dhdt_m_yr
        } else {
            0.0
        };
        [g.mean_dhdt_m_yr - s, g.mean_dhdt_m_yr + s]
    }));
    anyhow::ensure!(!xs.is_empty(), "no processed glacier to plot");
    let lim = |v: &[f64]| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.05).max(1e-3);
        (lo - pad, hi + pad)
    };
    let (x0, x1) = lim(&xs);
    let (y0, y1) = lim(&ys);
    let (w, h) = (900u32, 600u32);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<_>| anyhow::anyhow!("drawing failed: {e:?}");
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Glacier dh/dt against elevation",
                ("sans-serif", 22).into_font(),
            )
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("elevation (m)")
            .y_desc("dh/dt (m/yr)")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        let grey = RGBColor(90, 90, 90);
        chart
            .draw_series(band_pts.iter().map(|&(x, m, n)| {
                PathElement::new(vec![(x, m - n), (x, m + n)], grey.stroke_width(3))
            }))
            .map_err(err)?
            .label("100 m band: median ± NMAD")
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 12, y + 4)], grey.filled()));
        chart
            .draw_series(std::iter::once(PathElement::new(
                band_pts.iter().map(|&(x, m, _)| (x, m)).collect::<Vec<_>>(),
                grey.stroke_width(2),
            )))
            .map_err(err)?;
        let blue = RGBColor(33, 102, 172);
        let red = RGBColor(178, 24, 43);
        for (surge, col, name) in [
            (false, blue, "glacier mean ± σ"),
            (true, red, "surge-type glacier mean ± σ"),
        ] {
            let pts: Vec<(f64, f64, f64)> = ok
                .iter()
                .filter(|g| {
                    g.info.surge.is_surge_type() == surge && g.median_elevation_m.is_finite()
                })
                .map(|g| {
                    let s = if g.sigma_dhdt_m_yr.is_finite() {
                        g.sigma_dhdt_m_yr
                    } else {
                        0.0
                    };
                    (g.median_elevation_m, g.mean_dhdt_m_yr, s)
                })
                .collect();
            if pts.is_empty() {
                continue;
            }
            chart
                .draw_series(pts.iter().map(|&(x, m, s)| {
                    PathElement::new(vec![(x, m - s), (x, m + s)], col.stroke_width(1))
                }))
                .map_err(err)?
                .label(name)
                .legend(move |(x, y)| Circle::new((x + 6, y), 4, col.filled()));
            chart
                .draw_series(
                    pts.iter()
                        .map(|&(x, m, _)| Circle::new((x, m), 3, col.filled())),
                )
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    let file = std::fs::File::create(path)?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.add_itxt_chunk(
        "Title".to_string(),
        "Glacier dh/dt against elevation".to_string(),
    )?;
    enc.add_itxt_chunk(
        "Description".to_string(),
        "x: elevation (m); y: dh/dt (m/yr); grey: 100 m band median ± NMAD; points: glacier mean ± σ".to_string(),
    )?;
    let mut wr = enc.write_header()?;
    wr.write_image_data(&buf)?;
    wr.finish()?;
    Ok(())
}
