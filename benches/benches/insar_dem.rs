//! insar-dem stages on a synthetic bistatic pair: look-up table (geo2rdr +
//! ∂φ/∂h + layover/shadow per DEM pixel), simulation (rdr2geo on the DEM per
//! radar pixel), residual interferogram, inverse geocoding of the multilooked
//! residual to the DEM grid, and one full iteration (with MCF
//! unwrapping and the trend fits).
//!
//! Run: `cargo bench -p cryosar-benches --bench insar_dem`. The 5 000 × 5 000
//! pair of the issue is not benched here (minutes per stage on 2 cores); the
//! sizes below scale linearly in pixels for the LUT, simulation and
//! interferogram.

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use insar_dem::processing::{
    build_lut, generate_dem, node_residual, residual_products, simulate, DemParams,
};
use insar_dem::synthetic::{bistatic_pair, SceneParams};

fn bench_insar_dem(c: &mut Criterion) {
    let n = 160;
    let pair = bistatic_pair(
        42,
        &SceneParams {
            lines: n,
            samples: n,
            ..SceneParams::default()
        },
    )
    .expect("synthetic pair");
    let mut group = c.benchmark_group("insar_dem");
    group.sample_size(10);
    let id = format!("{n}x{n}");
    group.bench_with_input(BenchmarkId::new("lut", &id), &pair, |b, p| {
        b.iter(|| build_lut(&p.geometry, &p.reference, true).expect("lut"))
    });
    group.bench_with_input(BenchmarkId::new("simulate", &id), &pair, |b, p| {
        b.iter(|| simulate(&p.geometry, &p.reference, true).expect("simulation"))
    });
    let sim = simulate(&pair.geometry, &pair.reference, true).expect("simulation");
    group.bench_with_input(BenchmarkId::new("interferogram", &id), &pair, |b, p| {
        b.iter(|| {
            residual_products(p.active_slc.view(), p.passive_slc.view(), sim.phase.view())
                .expect("interferogram")
        })
    });
    let lut = build_lut(&pair.geometry, &pair.reference, true).expect("lut");
    let raw = residual_products(
        pair.active_slc.view(),
        pair.passive_slc.view(),
        sim.phase.view(),
    )
    .expect("interferogram");
    group.bench_with_input(BenchmarkId::new("geocoding", &id), &pair, |b, p| {
        b.iter(|| {
            node_residual(&raw, &sim, &lut, &p.reference, (3, 3), 1.0, true).expect("geocoding")
        })
    });
    group.bench_with_input(BenchmarkId::new("one_iteration", &id), &pair, |b, p| {
        b.iter(|| {
            generate_dem(
                &p.geometry,
                p.active_slc.view(),
                p.passive_slc.view(),
                &p.reference,
                &DemParams::default().iterations(1),
                &|_, _| {},
            )
            .expect("dem")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_insar_dem);
criterion_main!(benches);
