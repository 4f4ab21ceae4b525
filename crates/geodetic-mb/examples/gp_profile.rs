//! Where the per-glacier time of the GP void filling goes (issue 12, speed):
//! for synthetic glaciers of a few sizes (`geodetic_mb::synthetic::region`,
//! 2 × 2 glaciers on `rows × rows` px of 30 m, 25 % voids), times the
//! stages of `gp-voidfill` separately — hyper-parameter training (L-BFGS,
//! iterations and likelihood evaluations), the Laplace Hessian, the
//! prediction of the void pixels and the void mean (eq. 4.13, with the
//! hyper-parameter draws) — for the thesis settings (`GpVoidFill::new()`)
//! and for the region preset [`geodetic_mb::glacier::region_gp`].
//!
//! ```text
//! cargo run --release -p geodetic-mb --example gp_profile -- [rows=96,160,256]
//! ```

use std::time::Instant;

use geodetic_mb::dhdt::dhdt;
use geodetic_mb::synthetic::{region, RegionParams};
use gp_voidfill::data::glacier_features;
use gp_voidfill::GpVoidFill;
use ndarray::{Array1, Axis};
use sar_core::terrain::{slope_aspect, GradientMethod};
use sar_core::Raster;

fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "96,160,256".into())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let presets: [(&str, GpVoidFill); 2] = [
        ("thesis (GpVoidFill::new)", GpVoidFill::new()),
        (
            "region preset (region_gp)",
            geodetic_mb::glacier::region_gp(),
        ),
    ];
    println!(
        "{:<27} {:>6} {:>6} {:>5} {:>5} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "preset",
        "pixels",
        "void",
        "train",
        "iter",
        "eval",
        "train s",
        "hess s",
        "pred s",
        "mean s",
        "total s"
    );
    for &rows in &sizes {
        let p = RegionParams {
            seed: 42,
            rows,
            cols: rows,
            layout: (2, 2),
            void_fraction: 0.25,
            shift: (0.0, 0.0, 0.0),
            ..RegionParams::default()
        };
        let reg = region(&p)?;
        let sa = slope_aspect(&reg.reference, GradientMethod::Horn)?;
        let g = &reg.reference.grid;
        let d_e = Raster::filled(g.clone(), reg.date_earlier.days_since_epoch() as f64);
        let d_l = Raster::filled(g.clone(), reg.date_later.days_since_epoch() as f64);
        let m = dhdt(&reg.later, &d_l, &reg.reference, &d_e)?;
        for gl in reg.glaciers.iter().take(2) {
            let mask = Raster::new(reg.labels.data.mapv(|l| u8::from(l == gl.label)), g.clone())?;
            let gf = glacier_features(&reg.reference, &sa.slope, &sa.aspect, &mask)?;
            let (meas, void): (Vec<usize>, Vec<usize>) = (0..gf.pixels.len())
                .partition(|&i| m.dhdt.data[[gf.pixels[i].0, gf.pixels[i].1]].is_finite());
            let xm = gf.features.select(Axis(0), &meas);
            let ym = Array1::from_iter(
                meas.iter()
                    .map(|&i| m.dhdt.data[[gf.pixels[i].0, gf.pixels[i].1]]),
            );
            let xv = gf.features.select(Axis(0), &void);
            for (name, gp) in &presets {
                let gp = gp.clone().seed(u64::from(gl.label));
                let t = Instant::now();
                let f0 = gp
                    .clone()
                    .hyperparameter_uncertainty(false)
                    .fit(xm.view(), ym.view())?;
                let t_train = t.elapsed().as_secs_f64();
                let t = Instant::now();
                let f = gp.fit(xm.view(), ym.view())?;
                let t_hess = (t.elapsed().as_secs_f64() - t_train).max(0.0);
                let t = Instant::now();
                if !void.is_empty() {
                    f.predict(xv.view())?;
                }
                let t_pred = t.elapsed().as_secs_f64();
                let t = Instant::now();
                if !void.is_empty() {
                    f.void_mean(xv.view())?;
                }
                let t_mean = t.elapsed().as_secs_f64();
                let r = f0.report();
                println!(
                    "{name:<27} {:>6} {:>6} {:>5} {:>5} {:>5} {t_train:>8.2} {t_hess:>8.2} {t_pred:>8.2} {t_mean:>8.2} {:>8.2}",
                    gf.pixels.len(),
                    void.len(),
                    r.n_train,
                    r.iterations,
                    r.evaluations,
                    t_train + t_hess + t_pred + t_mean
                );
            }
        }
    }
    Ok(())
}
