//! Windowed reads equal the same window cropped from a whole-image read
//! (which `tests/geotiff_interop.rs` checks against rasterio/GDAL), for
//! files written by sar-core in every layout and for the GDAL-written
//! fixtures of `tests/data/geotiff/`.

use std::path::{Path, PathBuf};

use ndarray::{s, Array2};

use super::*;
use crate::grid::Crs;

/// SplitMix64: a small seeded generator for window positions and pixels.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A random window inside `rows × cols`, biased towards touching edges.
fn random_window(rng: &mut Mix, rows: usize, cols: usize) -> Window {
    let pick = |rng: &mut Mix, n: usize| -> (usize, usize) {
        match rng.below(4) {
            0 => (0, 1 + rng.below(n)), // from the first pixel
            1 => {
                let len = 1 + rng.below(n);
                (n - len, len) // to the last pixel
            }
            _ => {
                let a = rng.below(n);
                (a, 1 + rng.below(n - a))
            }
        }
    };
    let (r0, h) = pick(rng, rows);
    let (c0, w) = pick(rng, cols);
    Window::new(r0, c0, h, w)
}

/// Check `reps` random windows of band `band` of `path` (and the whole
/// image, and single pixels at the corners) against crops of the full
/// read, values bit for bit and grids by [`Grid::window`].
fn check_windows(path: &Path, band: usize, seed: u64, reps: usize) {
    let full = read_f64(path, band).unwrap();
    let full32 = read_f32(path, band).unwrap();
    let (rows, cols) = full.shape();
    let mut rng = Mix(seed);
    let mut wins: Vec<Window> = (0..reps)
        .map(|_| random_window(&mut rng, rows, cols))
        .collect();
    wins.push(Window::new(0, 0, rows, cols));
    wins.push(Window::new(rows - 1, cols - 1, 1, 1));
    wins.push(Window::new(0, cols - 1, rows, 1));
    wins.push(Window::new(rows - 1, 0, 1, cols));
    for w in wins {
        let got = read_window_f64(path, band, w).unwrap();
        let crop = full
            .data
            .slice(s![w.row0..w.row_end(), w.col0..w.col_end()]);
        assert_eq!(got.shape(), (w.rows, w.cols), "{} {w}", path.display());
        for (a, b) in got.data.iter().zip(crop.iter()) {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{} {w}: {a} vs {b}",
                path.display()
            );
        }
        let want = full.grid.window(w.row0, w.col0, w.rows, w.cols).unwrap();
        assert_eq!(got.grid, want, "{} {w}", path.display());
        assert_eq!(got.nodata.map(f64::to_bits), full.nodata.map(f64::to_bits));
        let got32 = read_window_f32(path, band, w).unwrap();
        let crop32 = full32
            .data
            .slice(s![w.row0..w.row_end(), w.col0..w.col_end()]);
        for (a, b) in got32.data.iter().zip(crop32.iter()) {
            assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
        }
    }
}

fn grid(rows: usize, cols: usize) -> Grid {
    Grid::north_up(
        rows,
        cols,
        612_345.0,
        5_432_100.0,
        10.0,
        10.0,
        Crs::epsg(32632),
    )
}

/// Every layout sar-core writes: strips and tiles (incl. tiles larger
/// than the image and edge tiles), compressed or not, with and without
/// predictor, band- and pixel-interleaved.
fn layouts() -> Vec<(&'static str, WriteOptions)> {
    let d = WriteOptions::default();
    vec![
        ("strips_deflate", d.clone().rows_per_strip(7)),
        (
            "strips_none",
            d.clone().compression(Compression::None).rows_per_strip(5),
        ),
        (
            "strips_lzw_nopred",
            d.clone()
                .compression(Compression::Lzw)
                .predictor(false)
                .rows_per_strip(13),
        ),
        (
            "one_strip_packbits",
            d.clone().compression(Compression::PackBits),
        ),
        ("tiles16_deflate", d.clone().tile_size(16)),
        (
            "tiles32_none_pixel",
            d.clone()
                .compression(Compression::None)
                .tile_size(32)
                .interleave(Interleave::Pixel),
        ),
        (
            "tiles16_lzw_pixel",
            d.clone()
                .compression(Compression::Lzw)
                .tile_size(16)
                .interleave(Interleave::Pixel),
        ),
        ("tile128_bigtiff", d.clone().tile_size(128).bigtiff(true)),
    ]
}

fn write_all<T: Sample>(dir: &Path, stem: &str, bands: &[Raster<T>]) -> Vec<PathBuf> {
    layouts()
        .into_iter()
        .map(|(name, opts)| {
            let p = dir.join(format!("{stem}_{name}.tif"));
            write_bands(&p, bands, &opts).unwrap();
            p
        })
        .collect()
}

#[test]
fn windows_equal_crops_of_the_full_read_for_every_layout_and_type() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Mix(20_241_201);
    // shapes that are not multiples of the strip or tile size
    for (k, &(rows, cols)) in [(53usize, 71usize), (40, 33), (97, 18)].iter().enumerate() {
        let g = grid(rows, cols);
        let noise = |rng: &mut Mix| (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        // f64 with NaN holes and a no-data value
        let f64_bands: Vec<Raster<f64>> = (0..2)
            .map(|b| {
                let a = Array2::from_shape_fn((rows, cols), |(r, c)| {
                    let v = 1000.0 * noise(&mut rng) - 300.0 + (r * cols + c) as f64 * 1e-3;
                    if (r * 7 + c * 3 + b) % 29 == 0 {
                        f64::NAN
                    } else {
                        v
                    }
                });
                Raster::new(a, g.clone())
                    .unwrap()
                    .with_nodata(Some(-9999.0))
            })
            .collect();
        let f32_bands: Vec<Raster<f32>> = f64_bands.iter().map(|r| r.map(|&v| v as f32)).collect();
        let u16_band = vec![Raster::new(
            Array2::from_shape_fn((rows, cols), |_| rng.below(65_536) as u16),
            g.clone(),
        )
        .unwrap()
        .with_nodata(Some(0.0))];
        let i16_bands: Vec<Raster<i16>> = (0..3)
            .map(|_| {
                Raster::new(
                    Array2::from_shape_fn((rows, cols), |_| rng.below(65_536) as i16),
                    g.clone(),
                )
                .unwrap()
            })
            .collect();
        let seed = 100 * k as u64;
        for p in write_all(dir.path(), &format!("f64_{k}"), &f64_bands) {
            check_windows(&p, 0, seed + 1, 12);
            check_windows(&p, 1, seed + 2, 6);
        }
        for p in write_all(dir.path(), &format!("f32_{k}"), &f32_bands) {
            check_windows(&p, 1, seed + 3, 12);
        }
        for p in write_all(dir.path(), &format!("u16_{k}"), &u16_band) {
            check_windows(&p, 0, seed + 4, 8);
            // unconverted samples too
            let full = read_band::<u16>(&p, 0).unwrap();
            let w = random_window(&mut rng, rows, cols);
            let got = read_window_band::<u16>(&p, 0, w).unwrap();
            assert_eq!(
                got.data,
                full.data
                    .slice(s![w.row0..w.row_end(), w.col0..w.col_end()])
            );
        }
        for p in write_all(dir.path(), &format!("i16_{k}"), &i16_bands) {
            check_windows(&p, 2, seed + 5, 8);
            let full = read_band::<i16>(&p, 1).unwrap();
            let w = random_window(&mut rng, rows, cols);
            let got = read_window_band::<i16>(&p, 1, w).unwrap();
            assert_eq!(
                got.data,
                full.data
                    .slice(s![w.row0..w.row_end(), w.col0..w.col_end()])
            );
            assert_eq!(
                got.grid,
                full.grid.window(w.row0, w.col0, w.rows, w.cols).unwrap()
            );
        }
    }
}

/// GDAL-written files (big-endian, predictors, rotated and PixelIsPoint
/// transforms, user-defined CRSs, BigTIFF, LZW tiles, sparse no-data).
#[test]
fn windows_of_gdal_written_fixtures_equal_crops() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geotiff");
    let mut n = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tif"))
        .collect();
    entries.sort();
    for (k, p) in entries.iter().enumerate() {
        let info = read_info(p).unwrap();
        if info.data_type.is_complex() {
            continue;
        }
        check_windows(p, info.bands - 1, 7_000 + k as u64, 10);
        n += 1;
    }
    assert!(n >= 15, "only {n} fixtures checked");
}

#[test]
fn only_the_chunks_under_the_window_are_decoded() {
    // Corrupt every tile except those under the window: the window still
    // reads, the whole image does not.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.tif");
    let g = grid(64, 64);
    let r = Raster::new(
        Array2::from_shape_fn((64, 64), |(r, c)| (r * 64 + c) as f32),
        g,
    )
    .unwrap();
    let opts = WriteOptions::default()
        .compression(Compression::None)
        .tile_size(16);
    write_bands(&p, std::slice::from_ref(&r), &opts).unwrap();
    let o = open(&p).unwrap();
    let tile_bytes = 16 * 16 * 4;
    let mut bytes = std::fs::read(&p).unwrap();
    // tiles are 4 × 4; the window rows 20..30, cols 40..47 lies in tile (1, 2)
    for (i, (&off, &cnt)) in o.layout.offsets.iter().zip(&o.layout.counts).enumerate() {
        assert_eq!(cnt as usize, tile_bytes);
        if i != 4 + 2 {
            // a tile of NaN-free garbage: distinguishable from the truth
            for b in &mut bytes[off as usize..(off + cnt) as usize] {
                *b = 0x7F;
            }
        }
    }
    drop(o);
    std::fs::write(&p, &bytes).unwrap();
    let w = read_window_f32(&p, 0, Window::new(20, 40, 10, 7)).unwrap();
    for ((i, j), v) in w.data.indexed_iter() {
        assert_eq!(*v, ((20 + i) * 64 + 40 + j) as f32);
    }
    let whole = read_f32(&p, 0).unwrap();
    assert_ne!(whole.data[[0, 0]], 0.0, "the other tiles were overwritten");
}

#[test]
fn out_of_range_and_empty_windows_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("small dem.tif");
    let r = Raster::new(Array2::<f64>::zeros((10, 12)), grid(10, 12)).unwrap();
    write_f64(&p, &r).unwrap();
    for w in [
        Window::new(0, 0, 11, 12),
        Window::new(5, 0, 6, 1),
        Window::new(0, 12, 1, 1),
        Window::new(0, 0, 0, 5),
        Window::new(usize::MAX, 0, 2, 2),
        Window::new(3, 3, usize::MAX, 2),
    ] {
        let e = read_window_f64(&p, 0, w).unwrap_err();
        assert!(matches!(e, SarError::OutOfBounds(_)), "{w}: {e}");
        let msg = e.to_string();
        assert!(msg.contains("small dem.tif"), "{msg}");
        assert!(msg.contains("10 rows and 12 columns"), "{msg}");
        assert!(matches!(
            read_window_band::<f64>(&p, 0, w),
            Err(SarError::OutOfBounds(_))
        ));
    }
    // a band that does not exist, a type that does not match
    let w = Window::new(0, 0, 2, 2);
    assert!(matches!(
        read_window_f64(&p, 1, w),
        Err(SarError::InvalidParameter { name: "band", .. })
    ));
    assert!(matches!(
        read_window_band::<u8>(&p, 0, w),
        Err(SarError::DataType(_))
    ));
}

#[test]
fn window_memory_follows_the_window_not_the_file() {
    // (the global ceiling is left alone: other tests run in parallel)
    let limit = memory_limit();
    let per_px = limit / 5_000; // 5 000 px fit under the ceiling
    let info = GeoTiffInfo {
        width: 300,
        height: 200,
        ..read_info_of_small_file()
    };
    assert!(check_memory("m.tif", &info, per_px).is_err());
    assert!(check_window_memory("m.tif", Window::new(10, 10, 50, 50), per_px).is_ok());
    let e = check_window_memory("m.tif", Window::new(0, 0, 200, 100), per_px).unwrap_err();
    assert!(
        e.to_string().contains("window rows 0..200 cols 0..100"),
        "{e}"
    );
    assert!(e.to_string().contains("m.tif"), "{e}");
}

fn read_info_of_small_file() -> GeoTiffInfo {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.tif");
    let r = Raster::new(Array2::<f64>::zeros((2, 3)), grid(2, 3)).unwrap();
    write_f64(&p, &r).unwrap();
    read_info(&p).unwrap()
}

#[test]
fn window_grown_by_a_halo_is_clipped_to_the_image() {
    let w = Window::new(2, 5, 10, 10);
    assert_eq!(w.grown(3, 100, 100), Window::new(0, 2, 15, 16));
    assert_eq!(w.grown(3, 13, 14), Window::new(0, 2, 13, 12));
    assert_eq!(w.grown(0, 100, 100), w);
}

/// Oracle: GDAL's `gdal_translate -srcwin` cut the same windows out of the
/// GDAL-written fixtures (`tools/reference/geotiff_window_gdal.sh`, GDAL
/// 3.6.2): sar-core's windowed read gives the cut-out's values bit for bit
/// and its geotransform and CRS.
#[test]
fn windows_equal_gdal_translate_srcwin() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geotiff");
    let refdir = root.join("tools/reference/geotiff_window_gdal");
    let list = std::fs::read_to_string(refdir.join("windows.tsv")).unwrap();
    let mut n = 0;
    for line in list.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let num = |i: usize| f[i].parse::<usize>().unwrap();
        let w = Window::new(num(1), num(2), num(3), num(4));
        let ours = read_window_f64(fixtures.join(format!("{}.tif", f[0])), 0, w).unwrap();
        let gdal = read_f64(refdir.join(f[5]), 0).unwrap();
        assert_eq!(ours.shape(), gdal.shape(), "{line}");
        for (a, b) in ours.data.iter().zip(gdal.data.iter()) {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{line}: {a} vs {b}"
            );
        }
        for (k, (a, b)) in ours
            .grid
            .transform
            .0
            .iter()
            .zip(&gdal.grid.transform.0)
            .enumerate()
        {
            assert!(
                (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                "{line}: geotransform[{k}] {a} vs {b}"
            );
        }
        assert!(ours.grid.crs.same_as(&gdal.grid.crs), "{line}");
        assert_eq!(
            ours.nodata.map(f64::to_bits),
            gdal.nodata.map(f64::to_bits),
            "{line}"
        );
        n += 1;
    }
    assert_eq!(n, 7);
}
