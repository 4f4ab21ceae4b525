//! Corrupt and unsupported GeoTIFFs give typed errors naming the file and
//! the problem — never a panic, an overflow or a giant allocation.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use proptest::prelude::*;
use sar_core::geotiff::{self, Compression, Interleave, WriteOptions};
use sar_core::{Crs, Grid, Raster, SarError};

const FIXTURES: [&str; 8] = [
    "tiled_lzw_i16",
    "strip_deflate_f32_pred3",
    "multiband_pixel_u16",
    "multiband_band_f32",
    "cint16",
    "u8_packbits",
    "u16_bigendian",
    "bigtiff_u8",
];

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/geotiff")
        .join(format!("{name}.tif"));
    std::fs::read(p).unwrap()
}

/// Read everything a caller could read; the outcome does not matter, only
/// that it returns (no panic) and that errors are of the expected kinds.
fn read_everything(path: &Path) -> Result<(), SarError> {
    let info = geotiff::read_info(path)?;
    if info.data_type.is_complex() {
        for b in 0..info.bands {
            geotiff::read_complex32(path, b)?;
        }
    } else {
        geotiff::read_all_f64(path)?;
        geotiff::read_f32(path, 0)?;
    }
    Ok(())
}

fn check_error_kind(e: &SarError, path: &Path) {
    match e {
        SarError::CorruptTiff { path: p, .. } | SarError::UnsupportedTiff { path: p, .. } => {
            assert_eq!(Path::new(p), path, "error names the file");
        }
        other => panic!("unexpected error kind: {other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Flip bytes (anywhere, or in the first/last 600 bytes where the
    /// header and directories sit) and optionally truncate.
    #[test]
    fn corrupted_fixtures_never_panic(
        which in 0..=FIXTURES.len(),
        flips in prop::collection::vec((0u8..3, any::<u32>(), any::<u8>()), 1..10),
        cut in prop::option::of(any::<u32>()),
    ) {
        let mut bytes = if which < FIXTURES.len() {
            fixture(FIXTURES[which])
        } else {
            own_file()
        };
        let n = bytes.len();
        for (zone, pos, val) in flips {
            let pos = pos as usize;
            let at = match zone {
                0 => pos % n,
                1 => pos % 600.min(n),
                _ => n - 1 - pos % 600.min(n),
            };
            bytes[at] = val;
        }
        if let Some(c) = cut {
            bytes.truncate(c as usize % (n + 1));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fuzz.tif");
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = read_everything(&path) {
            check_error_kind(&e, &path);
        }
    }
}

/// A 3-band, pixel-interleaved, tiled LZW file written by sar-core (its
/// directory sits at the end, unlike GDAL's).
fn own_file() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let grid = Grid::north_up(37, 21, 0.0, 0.0, 1.0, 1.0, Crs::epsg(32632));
    let bands: Vec<Raster<u16>> = (0..3)
        .map(|b| {
            let a = Array2::from_shape_fn((37, 21), |(r, c)| (r * 21 + c + 1000 * b) as u16);
            Raster::new(a, grid.clone()).unwrap()
        })
        .collect();
    let opts = WriteOptions::default()
        .compression(Compression::Lzw)
        .tile_size(16)
        .interleave(Interleave::Pixel);
    let path = dir.path().join("own.tif");
    geotiff::write_bands(&path, &bands, &opts).unwrap();
    std::fs::read(path).unwrap()
}

/// A small classic little-endian file written by sar-core, whose IFD
/// entries the tests below patch.
fn written(dir: &Path) -> (PathBuf, Vec<u8>) {
    let grid = Grid::north_up(20, 30, 0.0, 0.0, 1.0, 1.0, Crs::epsg(32632));
    let r = Raster::new(Array2::from_elem((20, 30), 1.5f32), grid).unwrap();
    let path = dir.join("base.tif");
    geotiff::write_f32(&path, &r).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

/// Position of the IFD entry for `tag` in a classic little-endian file.
fn entry(bytes: &[u8], tag: u16) -> usize {
    let ifd = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let n = u16::from_le_bytes(bytes[ifd..ifd + 2].try_into().unwrap()) as usize;
    (0..n)
        .map(|i| ifd + 2 + 12 * i)
        .find(|&e| u16::from_le_bytes(bytes[e..e + 2].try_into().unwrap()) == tag)
        .unwrap_or_else(|| panic!("tag {tag} not found"))
}

/// Patch the inline value of `tag` (SHORT or LONG) and return the error.
fn patched(tag: u16, value: u32) -> (String, SarError) {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut bytes) = written(dir.path());
    let e = entry(&bytes, tag);
    let typ = u16::from_le_bytes(bytes[e + 2..e + 4].try_into().unwrap());
    if typ == 3 {
        bytes[e + 8..e + 10].copy_from_slice(&(value as u16).to_le_bytes());
    } else {
        bytes[e + 8..e + 12].copy_from_slice(&value.to_le_bytes());
    }
    let path = dir.path().join("patched.tif");
    std::fs::write(&path, &bytes).unwrap();
    let err = read_everything(&path).unwrap_err();
    check_error_kind(&err, &path);
    (err.to_string(), err)
}

#[test]
fn jpeg_compression_is_unsupported() {
    let (msg, e) = patched(259, 7);
    assert!(matches!(e, SarError::UnsupportedTiff { .. }));
    assert!(msg.contains("JPEG") && msg.contains("patched.tif"), "{msg}");
}

#[test]
fn unknown_compression_is_unsupported() {
    let (msg, e) = patched(259, 50000);
    assert!(matches!(e, SarError::UnsupportedTiff { .. }));
    assert!(msg.contains("ZSTD"), "{msg}");
}

#[test]
fn odd_bit_depth_is_unsupported() {
    let (msg, e) = patched(258, 12);
    assert!(matches!(e, SarError::UnsupportedTiff { .. }));
    assert!(msg.contains("12-bit floating point"), "{msg}");
}

#[test]
fn huge_declared_size_is_refused_before_allocating() {
    let (msg, e) = patched(256, u32::MAX);
    assert!(matches!(e, SarError::CorruptTiff { .. }));
    assert!(msg.contains("implausibly large"), "{msg}");
}

#[test]
fn strip_offset_past_end_of_file() {
    let (msg, e) = patched(273, 0x7fff_0000);
    assert!(matches!(e, SarError::CorruptTiff { .. }));
    assert!(msg.contains("beyond the end of the file"), "{msg}");
}

#[test]
fn missing_required_tag() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut bytes) = written(dir.path());
    let e = entry(&bytes, 273);
    bytes[e..e + 2].copy_from_slice(&65000u16.to_le_bytes());
    let path = dir.path().join("nooffsets.tif");
    std::fs::write(&path, &bytes).unwrap();
    let msg = geotiff::read_info(&path).unwrap_err().to_string();
    assert!(msg.contains("StripOffsets (273) is missing"), "{msg}");
}

#[test]
fn truncated_and_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bytes) = written(dir.path());
    let path = dir.path().join("t.tif");
    // Truncated in the middle of the pixel data (the IFD is at the end).
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let e = geotiff::read_info(&path).unwrap_err();
    assert!(matches!(e, SarError::CorruptTiff { .. }), "{e}");
    // Empty file, a PNG, and a TIFF with version 41.
    for (content, expect) in [
        (&b""[..], "too short"),
        (&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..], "byte-order mark"),
        (&b"II\x29\0\x08\0\0\0"[..], "version number 41"),
    ] {
        std::fs::write(&path, content).unwrap();
        let msg = geotiff::read_info(&path).unwrap_err().to_string();
        assert!(msg.contains(expect) && msg.contains("t.tif"), "{msg}");
    }
    // A missing file is an I/O error naming it.
    let e = geotiff::read_info(dir.path().join("absent.tif")).unwrap_err();
    assert!(matches!(e, SarError::Io(_)) && e.to_string().contains("absent.tif"));
}

#[test]
fn sparse_strips_read_as_nodata() {
    // GDAL writes missing blocks of sparse files with offset 0 and byte
    // count 0; they read as the no-data value.
    let dir = tempfile::tempdir().unwrap();
    let grid = Grid::north_up(20, 30, 0.0, 0.0, 1.0, 1.0, Crs::epsg(32632));
    let r = Raster::new(Array2::from_elem((20, 30), 1.5f32), grid)
        .unwrap()
        .with_nodata(Some(-9999.0));
    let path = dir.path().join("sparse.tif");
    let opts = WriteOptions::default().rows_per_strip(5);
    geotiff::write_bands(&path, std::slice::from_ref(&r), &opts).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    // Zero the offset and byte count of strip 1 (LONG arrays of 4 strips).
    for tag in [273u16, 279] {
        let e = entry(&bytes, tag);
        let at = u32::from_le_bytes(bytes[e + 8..e + 12].try_into().unwrap()) as usize;
        bytes[at + 4..at + 8].copy_from_slice(&0u32.to_le_bytes());
    }
    std::fs::write(&path, &bytes).unwrap();
    let raw = geotiff::read_band::<f32>(&path, 0).unwrap();
    let f = geotiff::read_f64(&path, 0).unwrap();
    for row in 0..20 {
        let missing = (5..10).contains(&row);
        assert_eq!(raw.data[[row, 3]], if missing { -9999.0 } else { 1.5 });
        assert_eq!(f.data[[row, 3]].is_nan(), missing);
    }
}
