//! Slope/aspect (Horn and Zevenbergen–Thorne) and the local incidence angle
//! on a 2048 × 2048 DEM.
//!
//! Run: `cargo bench -p cryosar-benches --bench terrain`.

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::terrain::{
    local_incidence_angle, slope_aspect, GradientMethod, Incidence, LookDirection,
};
use sar_core::{Crs, Grid, Raster};

/// A seeded rough DEM on a 30 m UTM grid: smooth relief plus noise.
fn dem(n: usize) -> Raster<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let grid = Grid::north_up(n, n, 500_000.0, 4_000_000.0, 30.0, 30.0, Crs::epsg(32643));
    let z = Array2::from_shape_fn((n, n), |(r, c)| {
        let (x, y) = (c as f64, r as f64);
        4000.0 + 300.0 * (x / 150.0).sin() * (y / 90.0).cos() + 2.0 * x - y
            + rng.gen_range(-1.0..1.0)
    });
    Raster::new(z, grid).expect("shape matches grid")
}

fn bench_terrain(c: &mut Criterion) {
    let n = 2048;
    let dem = dem(n);
    let mut group = c.benchmark_group("terrain");
    group.sample_size(10);
    for method in [GradientMethod::Horn, GradientMethod::ZevenbergenThorne] {
        group.bench_with_input(
            BenchmarkId::new(format!("slope_aspect_{method:?}"), format!("{n}x{n}")),
            &dem,
            |b, dem| b.iter(|| slope_aspect(dem, method).expect("valid DEM")),
        );
    }
    let sa = slope_aspect(&dem, GradientMethod::Horn).expect("valid DEM");
    group.bench_with_input(
        BenchmarkId::new("local_incidence_angle", format!("{n}x{n}")),
        &sa,
        |b, sa| {
            b.iter(|| {
                local_incidence_angle(
                    &sa.slope,
                    &sa.aspect,
                    &Incidence::Constant(38.0),
                    -12.0,
                    LookDirection::Right,
                )
                .expect("same grid")
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench_terrain);
criterion_main!(benches);
