//! Write GeoTIFFs with sar-core for an independent reader to check.
//!
//! ```text
//! cargo run -p sar-core --example write_interop_fixtures -- DIR
//! /work/pyenv/bin/python tools/reference/check_cryosar_geotiff.py DIR
//! ```
//!
//! Writes a dozen files covering every sample type, single- and multi-band,
//! projected, geographic and rotated grids, no-data, strips and tiles, each
//! compression and BigTIFF, plus `DIR/manifest.json` with what each file
//! must contain: shape, data type, geotransform, EPSG, no-data and every
//! band's pixel values exactly as stored (little-endian bytes in hex). The
//! Python script opens each file with rasterio (GDAL) and compares.

use std::error::Error;
use std::path::Path;

use ndarray::Array2;
use num_complex::Complex;
use sar_core::geotiff::{self, Compression, Interleave, Sample, WriteOptions};
use sar_core::{Crs, GeoTransform, Grid, Raster};
use serde_json::{json, Value};

const ROWS: usize = 41;
const COLS: usize = 59;

fn utm() -> Grid {
    Grid::north_up(
        ROWS,
        COLS,
        412_000.0,
        8_765_000.0,
        25.0,
        25.0,
        Crs::epsg(32633),
    )
}

/// A smooth test surface with some structure, value range about ±1.
fn surface(r: usize, c: usize, band: usize) -> f64 {
    let (x, y) = (c as f64 / 7.0, r as f64 / 5.0);
    (x + band as f64).sin() * (y * 0.7).cos() + 0.01 * ((r * 31 + c * 17) % 13) as f64
}

/// The stored little-endian bytes of a band, as the file must hold them
/// (NaN replaced by the no-data value for floats).
fn stored_hex<T: Sample>(r: &Raster<T>, nodata: Option<f64>) -> String {
    let n = T::DATA_TYPE.bytes();
    let mut buf = vec![0u8; n];
    let mut s = String::with_capacity(r.data.len() * n * 2);
    for v in r.data.iter() {
        let v = match nodata {
            Some(nd) if T::DATA_TYPE.is_float() => v.nan_to(nd),
            _ => *v,
        };
        v.put_le(&mut buf);
        for b in &buf {
            s.push_str(&format!("{b:02x}"));
        }
    }
    s
}

fn entry<T: Sample>(
    name: &str,
    dtype: &str,
    bands: &[Raster<T>],
    note: &str,
    dir: &Path,
    opts: &WriteOptions,
) -> Result<Value, Box<dyn Error>> {
    let path = dir.join(name);
    geotiff::write_bands(&path, bands, opts)?;
    let g = &bands[0].grid;
    let file_nodata = if T::DATA_TYPE.is_float() {
        Some(bands[0].nodata.unwrap_or(f64::NAN))
    } else {
        bands[0].nodata
    };
    let nodata = match file_nodata {
        None => Value::Null,
        Some(v) if v.is_nan() => json!("nan"),
        Some(v) => json!(v),
    };
    Ok(json!({
        "file": name,
        "note": note,
        "dtype": dtype,
        "count": bands.len(),
        "width": g.cols,
        "height": g.rows,
        "geotransform": g.transform.0.to_vec(),
        "epsg": g.crs.epsg,
        "geographic": g.crs.geographic,
        "nodata": nodata,
        "bands_le_hex": bands.iter().map(|b| stored_hex(b, file_nodata)).collect::<Vec<_>>(),
    }))
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: write_interop_fixtures DIR")?;
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    let def = WriteOptions::default();
    let mut files = Vec::new();

    // f32 with NaN holes and a no-data value.
    let mut a = Array2::from_shape_fn((ROWS, COLS), |(r, c)| {
        1500.0 + 300.0 * surface(r, c, 0) as f32
    });
    for k in 0..40 {
        a[[(k * 7) % ROWS, (k * 13) % COLS]] = f32::NAN;
    }
    let r = Raster::new(a, utm())?.with_nodata(Some(-9999.0));
    files.push(entry(
        "f32_nodata.tif",
        "float32",
        std::slice::from_ref(&r),
        "f32, Deflate + predictor 3, NaN → -9999",
        dir,
        &def,
    )?);

    // f64 on a geographic grid, NaN no-data.
    let d = 1.0 / 3600.0;
    let geo = Grid::north_up(ROWS, COLS, -147.5, 61.25, d, d, Crs::wgs84());
    let mut a = Array2::from_shape_fn((ROWS, COLS), |(r, c)| 1000.0 * surface(r, c, 1));
    a[[3, 4]] = f64::NAN;
    let r64 = Raster::new(a, geo)?;
    files.push(entry(
        "f64_geographic.tif",
        "float64",
        std::slice::from_ref(&r64),
        "f64, EPSG:4326, GDAL_NODATA=nan",
        dir,
        &def,
    )?);

    // Three f32 bands (band interleaved) and two f64 bands (pixel interleaved, tiled).
    let bands: Vec<Raster<f32>> = (0..3)
        .map(|b| {
            Raster::new(
                Array2::from_shape_fn((ROWS, COLS), |(r, c)| surface(r, c, b) as f32),
                utm(),
            )
        })
        .collect::<Result<_, _>>()?;
    files.push(entry(
        "multiband_f32.tif",
        "float32",
        &bands,
        "3 bands f32, band interleaved",
        dir,
        &def,
    )?);
    // The same bands with GDAL metadata (tag 42112): dataset items, band
    // descriptions and units, as rasterio's ds.tags(), ds.descriptions, ds.units.
    let mut md = geotiff::GdalMetadata::default();
    md.set("DATES", "2020-01-01,2020-01-13")
        .set("NOTE", "x < y & \"quoted\"");
    for (b, (d, u)) in [
        ("east velocity", "m/d"),
        ("north velocity", "m/d"),
        ("snr", "dB"),
    ]
    .into_iter()
    .enumerate()
    {
        md.band_mut(b).description = Some(d.into());
        md.band_mut(b).unit = Some(u.into());
    }
    md.band_mut(2).items.push(("THRESHOLD".into(), "-3".into()));
    let mut e = entry(
        "multiband_f32_metadata.tif",
        "float32",
        &bands,
        "3 bands f32 with GDAL_METADATA",
        dir,
        &def.clone().metadata(md),
    )?;
    e["metadata"] = json!({
        "tags": {"DATES": "2020-01-01,2020-01-13", "NOTE": "x < y & \"quoted\""},
        "descriptions": ["east velocity", "north velocity", "snr"],
        "units": ["m/d", "m/d", "dB"],
        "band_tags": {"3": {"THRESHOLD": "-3"}},
    });
    files.push(e);
    let bands: Vec<Raster<f64>> = (0..2)
        .map(|b| {
            Raster::new(
                Array2::from_shape_fn((ROWS, COLS), |(r, c)| surface(r, c, b + 3)),
                utm(),
            )
        })
        .collect::<Result<_, _>>()?;
    let tiled = WriteOptions::default()
        .tile_size(16)
        .interleave(Interleave::Pixel);
    files.push(entry(
        "multiband_f64_pixel_tiled.tif",
        "float64",
        &bands,
        "2 bands f64, pixel interleaved, 16×16 tiles",
        dir,
        &tiled,
    )?);

    // u8 mask with no-data 255, u16 LZW tiled 3 bands, i16 PackBits, i32 uncompressed.
    let mask = Raster::new(
        Array2::from_shape_fn((ROWS, COLS), |(r, c)| {
            if (r + c) % 11 == 0 {
                255
            } else {
                ((r * c) % 5) as u8
            }
        }),
        utm(),
    )?
    .with_nodata(Some(255.0));
    files.push(entry(
        "u8_mask.tif",
        "uint8",
        &[mask],
        "u8, Deflate + predictor 2, no-data 255",
        dir,
        &def,
    )?);
    let bands: Vec<Raster<u16>> = (0..3)
        .map(|b| {
            Raster::new(
                Array2::from_shape_fn((ROWS, COLS), |(r, c)| {
                    (30_000.0 + 30_000.0 * surface(r, c, b)) as u16
                }),
                utm(),
            )
        })
        .collect::<Result<_, _>>()?;
    let lzw = WriteOptions::default()
        .compression(Compression::Lzw)
        .tile_size(32)
        .interleave(Interleave::Pixel);
    files.push(entry(
        "u16_lzw_tiled.tif",
        "uint16",
        &bands,
        "3 bands u16, LZW + predictor 2, 32×32 tiles",
        dir,
        &lzw,
    )?);
    let i16r = Raster::new(
        Array2::from_shape_fn((ROWS, COLS), |(r, c)| (3000.0 * surface(r, c, 2)) as i16),
        utm(),
    )?
    .with_nodata(Some(-32768.0));
    let pb = WriteOptions::default()
        .compression(Compression::PackBits)
        .rows_per_strip(6);
    files.push(entry(
        "i16_packbits.tif",
        "int16",
        &[i16r],
        "i16, PackBits, no-data -32768",
        dir,
        &pb,
    )?);
    let i32r = Raster::new(
        Array2::from_shape_fn((ROWS, COLS), |(r, c)| {
            (2.0e9 * surface(r, c, 4) / 1.1) as i32
        }),
        utm(),
    )?;
    let none = WriteOptions::default().compression(Compression::None);
    files.push(entry(
        "i32_none.tif",
        "int32",
        &[i32r],
        "i32, uncompressed",
        dir,
        &none,
    )?);

    // Rotated grid → ModelTransformation.
    let rot = Grid::new(
        ROWS,
        COLS,
        GeoTransform([412_000.0, 24.0, 7.0, 8_765_000.0, 7.0, -24.0]),
        Crs::epsg(32633),
    );
    let rr = Raster::new(r.data.clone(), rot)?.with_nodata(Some(-9999.0));
    files.push(entry(
        "f32_rotated.tif",
        "float32",
        &[rr],
        "f32, rotated grid (ModelTransformation)",
        dir,
        &def,
    )?);

    // Complex int16 and complex float32 (SLC-like).
    let ci = Raster::new(
        Array2::from_shape_fn((ROWS, COLS), |(r, c)| {
            Complex::new(
                (900.0 * surface(r, c, 0)) as i16,
                (-700.0 * surface(r, c, 1)) as i16,
            )
        }),
        utm(),
    )?;
    files.push(entry(
        "cint16.tif",
        "complex_int16",
        &[ci],
        "complex int16, Deflate",
        dir,
        &def,
    )?);
    let cf = Raster::new(
        Array2::from_shape_fn((ROWS, COLS), |(r, c)| {
            Complex::new(surface(r, c, 0) as f32, surface(r, c, 5) as f32)
        }),
        utm(),
    )?;
    files.push(entry(
        "cfloat32.tif",
        "complex64",
        &[cf],
        "complex float32, LZW",
        dir,
        &WriteOptions::default().compression(Compression::Lzw),
    )?);

    // BigTIFF container.
    let big = WriteOptions::default().bigtiff(true);
    files.push(entry(
        "f64_bigtiff.tif",
        "float64",
        &[r64],
        "f64 geographic, BigTIFF",
        dir,
        &big,
    )?);

    let manifest =
        json!({ "written_by": "sar-core examples/write_interop_fixtures.rs", "files": files });
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    println!(
        "wrote {} GeoTIFFs and manifest.json to {}",
        files.len(),
        dir.display()
    );
    Ok(())
}
