//! Whole-region timing of the geodetic-mb chain (issue 12, "speed and
//! scale"): a synthetic region of `N × N` pixels of 30 m (default 5 000 ×
//! 5 000) with `G` glaciers (default 500) whose areas follow a log-normal
//! distribution (median 1.5 km², σ_ln 1.1, clipped to 0.2–200 km²; the shape
//! of RGI size distributions: many small glaciers, a few large ones),
//! elevation-dependent dh/dt, heteroscedastic correlated noise, 15 % voids
//! and a later DEM displaced by (12, −7, 3) m on a grid offset by half a
//! pixel (so the mosaic has to resample it).
//!
//! Stages timed: mosaic, co-registration (Nuth & Kääb), dh/dt, filtering,
//! error model ("uncertainty": heteroscedasticity, variogram, fit), the
//! per-glacier processing with the hypsometric fill (σ propagation of
//! eq. 4.11 and b), the GP void filling (default `GpVoidFill`), and the
//! regional MB. The GP runs on `K` glaciers drawn at random (default: all);
//! with `K < G` its time is extrapolated linearly to `G` glaciers and the
//! printout says so. Peak memory: run under `/usr/bin/time -v`.
//!
//! ```text
//! cargo build --release -p geodetic-mb --example region_timing
//! /usr/bin/time -v target/release/examples/region_timing [N=5000] [G=500] [K=G] [write_dir]
//! ```
//!
//! With `write_dir`, the reference DEM, the later DEM (on the reference
//! grid), the stable mask and the dh/dt are written as GeoTIFFs there for
//! `tools/reference/mb_xdem_timing.py`, with the timings as JSON.

use std::time::Instant;

use geodetic_mb::coreg::{stable_mask, Coregistration, FittedStep};
use geodetic_mb::synthetic::surface;
use geodetic_mb::{
    dhdt, mosaic, process_glaciers, regional_report, BandStatistic, DatedDem, ErrorModel,
    ErrorModelParams, FillMethod, GlacierInfo, GlacierInputs, GlacierParams, OutlierFilter,
    SurgeClass,
};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::terrain::{slope_aspect, GradientMethod};
use sar_core::{Crs, Date, Grid, Raster};
use uncertainty::{FieldGenerator, ModelKind, VariogramComponent, VariogramModel};

const PX: f64 = 30.0;

fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = a.first().map_or(Ok(5000), |s| s.parse())?;
    let ng: usize = a.get(1).map_or(Ok(500), |s| s.parse())?;
    let k_gp: usize = a.get(2).map_or(Ok(ng), |s| s.parse())?;
    let write_dir = a.get(3).map(std::path::PathBuf::from);
    let t_all = Instant::now();
    let mut times: Vec<(&str, f64)> = Vec::new();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let (x0, y0) = (500_000.0, 4_000_000.0);
    let grid = Grid::north_up(n, n, x0, y0 + n as f64 * PX, PX, PX, Crs::epsg(32643));

    // ---- synthetic inputs (not timed as a stage)
    let t = Instant::now();
    let reference = Raster::new(
        Array2::from_shape_fn((n, n), |(r, c)| {
            let (x, y) = grid.pixel_center(r, c);
            surface(x - x0, y - y0)
        }),
        grid.clone(),
    )?;
    let area_dist = LogNormal::new((1.5f64).ln(), 1.1)?;
    let mut labels = Array2::<u32>::zeros((n, n));
    let mut glaciers = Vec::with_capacity(ng);
    let mut gparams = Vec::with_capacity(ng);
    for k in 1..=ng as u32 {
        let area_m2 = area_dist.sample(&mut rng).clamp(0.2, 200.0) * 1e6;
        let ratio: f64 = rng.gen_range(1.5..3.5);
        let b = (area_m2 / (std::f64::consts::PI * ratio)).sqrt() / PX; // px
        let a_ = ratio * b;
        let cy = rng.gen_range(a_..(n as f64 - a_).max(a_ + 1.0));
        let cx = rng.gen_range(a_..(n as f64 - a_).max(a_ + 1.0));
        let th: f64 = rng.gen_range(0.0..std::f64::consts::PI);
        let (st, ct) = th.sin_cos();
        let r0 = (cy - a_).floor().max(0.0) as usize;
        let r1 = ((cy + a_).ceil() as usize).min(n - 1);
        let c0 = (cx - a_).floor().max(0.0) as usize;
        let c1 = ((cx + a_).ceil() as usize).min(n - 1);
        for r in r0..=r1 {
            for c in c0..=c1 {
                let (dy, dx) = (r as f64 + 0.5 - cy, c as f64 + 0.5 - cx);
                let u = dx * ct + dy * st;
                let v = -dx * st + dy * ct;
                if (u / a_).powi(2) + (v / b).powi(2) <= 1.0 && labels[[r, c]] == 0 {
                    labels[[r, c]] = k;
                }
            }
        }
        glaciers.push(GlacierInfo {
            label: k,
            id: format!("SYN-{k:04}"),
            name: String::new(),
            surge: if k % 7 == 0 {
                SurgeClass::Observed
            } else {
                SurgeClass::NoEvidence
            },
        });
        gparams.push((rng.gen_range(-0.9..0.2), rng.gen_range(0.0015..0.004)));
    }
    let labels = Raster::new(labels, grid.clone())?;
    let glacier_mask = labels.data.mapv(|l| l != 0);
    let n_glacier_px = glacier_mask.iter().filter(|&&g| g).count();
    // correlated noise and voids: 1024² fields tiled (circulant embedding of
    // the full grid would need ~ 1.6 GB per field)
    let tile = 1024.min(n);
    let vg = VariogramModel::new(vec![
        VariogramComponent::new(ModelKind::Gaussian, 205.0, 0.73),
        VariogramComponent::new(ModelKind::Spherical, 1590.0, 0.27),
    ])?;
    let noise = FieldGenerator::new(tile, tile, (PX, PX), &vg)?.sample(&mut rng);
    let voidf = FieldGenerator::new(
        tile,
        tile,
        (PX, PX),
        &VariogramModel::new(vec![VariogramComponent::new(
            ModelKind::Gaussian,
            360.0,
            1.0,
        )])?,
    )?
    .sample(&mut rng);
    let thr = sar_core::stats::percentile(voidf.iter().copied(), 85.0).unwrap_or(f64::INFINITY);
    let slope0 = slope_aspect(&reference, GradientMethod::Horn)?.slope;
    let d_e = Date::from_ymd(2011, 12, 15)?;
    let d_l = Date::from_ymd(2019, 12, 20)?;
    let years = d_l.days_since(d_e) as f64 / 365.25;
    let (sx, sy, sz) = (12.0, -7.0, 3.0);
    // the later DEM on a grid offset by half a pixel
    let grid_l = Grid::north_up(
        n,
        n,
        x0 + 0.5 * PX,
        y0 + n as f64 * PX - 0.5 * PX,
        PX,
        PX,
        Crs::epsg(32643),
    );
    let later = Raster::new(
        Array2::from_shape_fn((n, n), |(r, c)| {
            let (tr, tc) = (r % tile, c % tile);
            if voidf[[tr, tc]] > thr {
                return f64::NAN;
            }
            let (x, y) = grid_l.pixel_center(r, c);
            // nearest reference pixel for labels/slope
            let (rr, cc) = ((r + 1).min(n - 1), c);
            let l = labels.data[[rr, cc]];
            let h = surface(x - sx - x0, y - sy - y0);
            let truth = if l == 0 {
                0.0
            } else {
                let (b0, g) = gparams[l as usize - 1];
                (b0 + g * (h - 4600.0)).clamp(-4.0, 1.0)
            };
            let s = slope0.data[[rr, cc]];
            let s = if s.is_finite() { s } else { 0.0 };
            let e = (0.018 * (0.066 * s).exp() + 0.074) * noise[[tr, tc]];
            h + sz + (truth + e) * years
        }),
        grid_l.clone(),
    )?;
    drop(noise);
    drop(voidf);
    let t_gen = t.elapsed().as_secs_f64();
    eprintln!(
        "generated {n}x{n} px, {ng} glaciers ({:.0} km² of glacier) in {t_gen:.1} s",
        n_glacier_px as f64 * PX * PX / 1e6
    );

    // ---- mosaic
    let t = Instant::now();
    let m_e = mosaic(
        &[DatedDem {
            dem: reference.clone(),
            date: d_e,
            name: "reference".into(),
        }],
        &grid,
    )?;
    let m_l = mosaic(
        &[DatedDem {
            dem: later,
            date: d_l,
            name: "later".into(),
        }],
        &grid,
    )?;
    times.push(("mosaic", t.elapsed().as_secs_f64()));

    // ---- co-registration
    let t = Instant::now();
    let sa = slope_aspect(&reference, GradientMethod::Horn)?;
    let stable = stable_mask(glacier_mask.view(), None, sa.slope.view(), 0.0, 70.0)?;
    let co = Coregistration::default().run(&reference, &m_l.dem, Some(stable.view()))?;
    let FittedStep::NuthKaab(nk) = co.steps[0] else {
        anyhow::bail!("Nuth & Kääb first")
    };
    times.push(("co-registration", t.elapsed().as_secs_f64()));
    eprintln!(
        "Nuth & Kääb ({:.2}, {:.2}, {:.2}) m (truth {sx}, {sy}, {sz} with the half-pixel grid offset), {} iterations",
        nk.dx_m, nk.dy_m, nk.dz_m, nk.iterations
    );

    // ---- dh/dt
    let t = Instant::now();
    let rate = dhdt(
        &co.corrected,
        &m_l.mean_date_days,
        &m_e.dem,
        &m_e.mean_date_days,
    )?;
    times.push(("dh/dt", t.elapsed().as_secs_f64()));
    drop(co.corrected);
    let later_on_ref = m_l.dem;
    drop(m_l.mean_date_days);

    // ---- filtering
    let t = Instant::now();
    let f1 =
        OutlierFilter::default().apply_per_label(&rate.dhdt, &reference, &sa.slope, &labels)?;
    let off = glacier_mask.mapv(|g| !g);
    let f2 =
        OutlierFilter::default().apply(&f1.filtered, &reference, &sa.slope, Some(off.view()))?;
    drop(off);
    drop(f1);
    let filtered = f2.filtered;
    times.push(("filtering", t.elapsed().as_secs_f64()));

    // ---- error model
    let t = Instant::now();
    let model = ErrorModel::fit(
        &filtered,
        &sa.slope,
        stable.view(),
        &ErrorModelParams::default(),
    )?;
    let t_model = t.elapsed().as_secs_f64();

    let inputs = GlacierInputs {
        dhdt: &filtered,
        dem: &reference,
        slope_deg: &sa.slope,
        aspect_deg: &sa.aspect,
        labels: &labels,
        glaciers: &glaciers,
        error_model: &model,
    };
    // ---- per-glacier σ and b with the cheap fill (isolates the propagation)
    let t = Instant::now();
    let hyp = process_glaciers(
        &inputs,
        &GlacierParams::default().fill(FillMethod::LocalHypsometric {
            band_m: 50.0,
            statistic: BandStatistic::Median,
        }),
    )?;
    let t_hyp = t.elapsed().as_secs_f64();
    times.push((
        "uncertainty (error model + eq. 4.11 per glacier)",
        t_model + t_hyp,
    ));

    // ---- GP void filling on K glaciers
    let mut order: Vec<usize> = (0..ng).collect();
    for i in (1..ng).rev() {
        order.swap(i, rng.gen_range(0..=i));
    }
    let subset: Vec<GlacierInfo> = order[..k_gp.min(ng)]
        .iter()
        .map(|&i| glaciers[i].clone())
        .collect();
    let t = Instant::now();
    let gp = process_glaciers(
        &GlacierInputs {
            glaciers: &subset,
            ..inputs
        },
        &GlacierParams::default(),
    )?;
    let t_gp = t.elapsed().as_secs_f64();
    let scale = ng as f64 / subset.len().max(1) as f64;
    // the GP run includes the per-glacier σ propagation of those glaciers
    let t_gp_fill = (t_gp - t_hyp * subset.len() as f64 / ng as f64).max(0.0) * scale;
    times.push(("void filling (GP)", t_gp_fill));

    // ---- MB (regional budget)
    let t = Instant::now();
    let rep = regional_report(&gp.glaciers, &model.variogram, Default::default())?;
    times.push((
        "MB (regional, eqs. 4.6, 4.14-4.16)",
        t.elapsed().as_secs_f64(),
    ));

    let total: f64 = times.iter().map(|t| t.1).sum();
    println!(
        "region {n}x{n} px of {PX} m, {ng} glaciers ({} ok with the hypsometric fill), {:.0} km² glacier; threads: {}",
        hyp.glaciers.iter().filter(|g| g.status == geodetic_mb::GlacierStatus::Ok).count(),
        n_glacier_px as f64 * PX * PX / 1e6,
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    for (name, s) in &times {
        println!("{name:<48} {s:>9.1} s");
    }
    println!(
        "{:<48} {total:>9.1} s  (GP on {} of {ng} glaciers in {t_gp:.1} s{})",
        "total (stages)",
        subset.len(),
        if subset.len() < ng {
            ", extrapolated linearly to all"
        } else {
            ""
        }
    );
    println!(
        "extrapolated to 681 glaciers (thesis Karakoram region): {:.1} min",
        (total + t_gp_fill * (681.0 / ng as f64 - 1.0) + t_hyp * (681.0 / ng as f64 - 1.0)) / 60.0
    );
    println!(
        "regional b = {:.3} ± {:.3} m w.e./yr over {} glaciers (GP subset); wall incl. generation {:.1} s",
        rep.all.b_mwe_yr,
        rep.all.sigma_b_mwe_yr,
        rep.all.n_glaciers,
        t_all.elapsed().as_secs_f64()
    );
    if let Some(d) = write_dir {
        std::fs::create_dir_all(&d)?;
        sar_core::geotiff::write_f64(d.join("reference.tif"), &reference)?;
        sar_core::geotiff::write_f64(d.join("later.tif"), &later_on_ref)?;
        sar_core::geotiff::write_f64(d.join("dhdt.tif"), &filtered)?;
        sar_core::geotiff::write_u8(
            d.join("stable.tif"),
            &Raster::new(stable.mapv(u8::from), grid.clone())?,
        )?;
        sar_core::geotiff::write_f64(
            d.join("labels.tif"),
            &Raster::new(labels.data.mapv(f64::from), grid.clone())?,
        )?;
        let mut j: serde_json::Map<String, serde_json::Value> = times
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect();
        j.insert("error_model_s".into(), serde_json::json!(t_model));
        j.insert("glaciers_hypsometric_s".into(), serde_json::json!(t_hyp));
        j.insert("n_glaciers".into(), serde_json::json!(ng));
        std::fs::write(
            d.join("ours_timing.json"),
            serde_json::to_string_pretty(&j)?,
        )?;
    }
    Ok(())
}
