//! GeoTIFF reading and writing of a 4096 × 4096 f32 DEM-like raster
//! (Deflate with the floating-point predictor, the default of `write_f32`).
//!
//! Run: `cargo bench -p cryosar-benches --bench geotiff`.

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::geotiff::{self, Compression, WriteOptions};
use sar_core::{Crs, Grid, Raster};

/// A seeded DEM-like f32 raster on a 30 m UTM grid: relief plus noise.
fn dem(n: usize) -> Raster<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let grid = Grid::north_up(n, n, 500_000.0, 4_000_000.0, 30.0, 30.0, Crs::epsg(32643));
    let z = Array2::from_shape_fn((n, n), |(r, c)| {
        let (x, y) = (c as f32, r as f32);
        4000.0 + 300.0 * (x / 150.0).sin() * (y / 90.0).cos() + rng.gen_range(-1.0..1.0)
    });
    Raster::new(z, grid).expect("shape matches grid")
}

fn bench_geotiff(c: &mut Criterion) {
    let n = 4096;
    let r = dem(n);
    let dir = std::env::temp_dir().join(format!("cryosar-bench-geotiff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let deflate = dir.join("deflate.tif");
    let lzw = dir.join("lzw.tif");
    geotiff::write_f32(&deflate, &r).expect("write");
    let lzw_opts = WriteOptions::default().compression(Compression::Lzw);
    geotiff::write_bands(&lzw, std::slice::from_ref(&r), &lzw_opts).expect("write");
    let size = format!("{n}x{n}");

    let mut group = c.benchmark_group("geotiff");
    group.sample_size(10);
    group.bench_with_input(
        BenchmarkId::new("read_f32_deflate_pred3", &size),
        &deflate,
        |b, p| b.iter(|| geotiff::read_f32(p, 0).expect("read")),
    );
    group.bench_with_input(
        BenchmarkId::new("read_f32_lzw_pred3", &size),
        &lzw,
        |b, p| b.iter(|| geotiff::read_f32(p, 0).expect("read")),
    );
    group.bench_with_input(
        BenchmarkId::new("write_f32_deflate_pred3", &size),
        &r,
        |b, r| b.iter(|| geotiff::write_f32(dir.join("out.tif"), r).expect("write")),
    );
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench_geotiff);
criterion_main!(benches);
