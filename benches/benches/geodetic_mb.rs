//! Benches of the geodetic-mb chain on a small synthetic region
//! (`geodetic_mb::synthetic::region`, 192 × 192 px of 30 m, 4 glaciers):
//! epoch mosaic of two DEMs, Nuth & Kääb co-registration, dh/dt with the
//! per-pixel interval, the outlier filter, the error model (heteroscedasticity,
//! variogram, fit), and the per-glacier processing with the hypsometric and
//! the GP (40 L-BFGS iterations) fills. The whole-region run (5 000 × 5 000 px,
//! 500 glaciers) is `cargo run --release -p geodetic-mb --example region_timing`.

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]
use criterion::{criterion_group, criterion_main, Criterion};
use geodetic_mb::synthetic::{region, RegionParams};
use geodetic_mb::{
    dhdt, mosaic, process_glaciers, stable_mask, BandStatistic, Coregistration, DatedDem,
    ErrorModel, ErrorModelParams, FillMethod, GlacierInputs, GlacierParams, OutlierFilter,
};
use sar_core::terrain::{slope_aspect, GradientMethod};
use sar_core::Raster;

fn bench(c: &mut Criterion) {
    let reg = region(&RegionParams {
        rows: 192,
        cols: 192,
        layout: (2, 2),
        seed: 3,
        ..RegionParams::default()
    })
    .expect("synthetic region");
    let grid = reg.reference.grid.clone();
    let sa = slope_aspect(&reg.reference, GradientMethod::Horn).expect("slope");
    let glacier = reg.labels.data.mapv(|l| l != 0);
    let stable = stable_mask(glacier.view(), None, sa.slope.view(), 0.0, 70.0).expect("mask");
    let days = |d: sar_core::Date| Raster::filled(grid.clone(), d.days_since_epoch() as f64);
    let mut g = c.benchmark_group("geodetic_mb");
    g.sample_size(10);
    let dems = vec![
        DatedDem {
            dem: reg.later.clone(),
            date: reg.date_later,
            name: "later".into(),
        },
        DatedDem {
            dem: reg.reference.clone(),
            date: reg.date_later,
            name: "second".into(),
        },
    ];
    g.bench_function("mosaic_2_dems_192x192", |b| {
        b.iter(|| mosaic(&dems, &grid).expect("mosaic"))
    });
    g.bench_function("nuth_kaab_192x192", |b| {
        b.iter(|| {
            Coregistration::default()
                .run(&reg.reference, &reg.later, Some(stable.view()))
                .expect("coreg")
        })
    });
    let co = Coregistration::default()
        .run(&reg.reference, &reg.later, Some(stable.view()))
        .expect("coreg");
    let (dl, de) = (days(reg.date_later), days(reg.date_earlier));
    g.bench_function("dhdt_192x192", |b| {
        b.iter(|| dhdt(&co.corrected, &dl, &reg.reference, &de).expect("dhdt"))
    });
    let rate = dhdt(&co.corrected, &dl, &reg.reference, &de).expect("dhdt");
    g.bench_function("outlier_filter_192x192", |b| {
        b.iter(|| {
            OutlierFilter::default()
                .apply(&rate.dhdt, &reg.reference, &sa.slope, Some(glacier.view()))
                .expect("filter")
        })
    });
    g.bench_function("error_model_192x192", |b| {
        b.iter(|| {
            ErrorModel::fit(
                &rate.dhdt,
                &sa.slope,
                stable.view(),
                &ErrorModelParams::default(),
            )
            .expect("error model")
        })
    });
    let model = ErrorModel::fit(
        &rate.dhdt,
        &sa.slope,
        stable.view(),
        &ErrorModelParams::default(),
    )
    .expect("error model");
    let inputs = GlacierInputs {
        dhdt: &rate.dhdt,
        dem: &reg.reference,
        slope_deg: &sa.slope,
        aspect_deg: &sa.aspect,
        labels: &reg.labels,
        glaciers: &reg.glaciers,
        error_model: &model,
    };
    let hyps = GlacierParams::default()
        .min_area_km2(0.1)
        .fill(FillMethod::LocalHypsometric {
            band_m: 50.0,
            statistic: BandStatistic::Median,
        });
    g.bench_function("glaciers_local_hypsometric_4", |b| {
        b.iter(|| process_glaciers(&inputs, &hyps).expect("glaciers"))
    });
    // the default fill: the GP with the region preset (`region_gp`)
    let gp = GlacierParams::default().min_area_km2(0.1);
    g.bench_function("glaciers_gp_region_preset_4", |b| {
        b.iter(|| process_glaciers(&inputs, &gp).expect("glaciers"))
    });
    let thesis = GlacierParams::default()
        .min_area_km2(0.1)
        .fill(FillMethod::Gp(Box::new(gp_voidfill::GpVoidFill::new())));
    g.bench_function("glaciers_gp_thesis_settings_4", |b| {
        b.iter(|| process_glaciers(&inputs, &thesis).expect("glaciers"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
