//! GeoTIFF files written by GDAL/rasterio read back with the right values
//! and georeferencing.
//!
//! The fixtures in `tests/data/geotiff/` and the expected values in the
//! `.json` beside each were produced by
//! `tools/reference/make_geotiff_fixtures.py` (rasterio 1.4.4 / GDAL 3.10.3,
//! plus `gdal_translate` 3.6.2 for CInt16, big-endian and PixelIsPoint files):
//! the JSON holds what rasterio reads back from the very same file.

use std::path::{Path, PathBuf};

use num_complex::Complex;
use sar_core::geotiff::{self, Compression, DataType, Interleave};
use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geotiff")
}

fn load(name: &str) -> (PathBuf, Value) {
    let tif = data_dir().join(format!("{name}.tif"));
    let json = std::fs::read_to_string(data_dir().join(format!("{name}.json")))
        .unwrap_or_else(|e| panic!("{name}.json: {e}"));
    (tif, serde_json::from_str(&json).unwrap())
}

fn dtype(name: &str) -> DataType {
    match name {
        "uint8" => DataType::U8,
        "int8" => DataType::I8,
        "uint16" => DataType::U16,
        "int16" => DataType::I16,
        "uint32" => DataType::U32,
        "int32" => DataType::I32,
        "float32" => DataType::F32,
        "float64" => DataType::F64,
        "complex_int16" => DataType::CInt16,
        "complex64" => DataType::CFloat32,
        other => panic!("unexpected dtype {other}"),
    }
}

fn close(a: f64, b: f64, rtol: f64) -> bool {
    (a - b).abs() <= rtol * a.abs().max(b.abs()).max(1.0)
}

fn hex(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap(), 16).unwrap()
}

/// Check metadata and every band of fixture `name` against its JSON.
fn check_fixture(name: &str) -> geotiff::GeoTiffInfo {
    let (path, j) = load(name);
    let info = geotiff::read_info(&path).unwrap();
    assert_eq!(info.width as u64, j["width"].as_u64().unwrap(), "{name}");
    assert_eq!(info.height as u64, j["height"].as_u64().unwrap(), "{name}");
    assert_eq!(info.bands as u64, j["count"].as_u64().unwrap(), "{name}");
    assert_eq!(
        info.data_type,
        dtype(j["dtype"].as_str().unwrap()),
        "{name}"
    );
    // Geotransform to 1e-9 (GDAL order).
    let gt: Vec<f64> = j["geotransform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (k, (a, b)) in info.grid.transform.0.iter().zip(&gt).enumerate() {
        assert!(
            (a - b).abs() <= 1e-9,
            "{name}: geotransform[{k}] {a} vs {b}"
        );
    }
    assert_eq!(
        info.grid.crs.epsg.map(u64::from),
        j["epsg"].as_u64(),
        "{name}: EPSG"
    );
    assert_eq!(
        info.grid.crs.geographic,
        j["geographic"].as_bool().unwrap(),
        "{name}: geographic"
    );
    match &j["nodata"] {
        Value::Null => assert_eq!(info.nodata, None, "{name}"),
        Value::String(s) if s == "nan" => assert!(info.nodata.unwrap().is_nan(), "{name}"),
        v => assert_eq!(info.nodata, v.as_f64(), "{name}"),
    }
    let comp = match j["compression"].as_str().unwrap() {
        "lzw" => Compression::Lzw,
        "deflate" => Compression::Deflate,
        "packbits" => Compression::PackBits,
        "none" => Compression::None,
        other => panic!("{other}"),
    };
    assert_eq!(info.compression, comp, "{name}");
    if info.bands > 1 {
        let il = match j["interleave"].as_str().unwrap() {
            "pixel" => Interleave::Pixel,
            _ => Interleave::Band,
        };
        assert_eq!(info.interleave, il, "{name}");
    }
    let block = &j["block_shapes"][0];
    assert_eq!(
        (info.block_shape.0 as u64, info.block_shape.1 as u64),
        (block[0].as_u64().unwrap(), block[1].as_u64().unwrap()),
        "{name}: block shape"
    );
    assert_eq!(
        info.pixel_is_point,
        j["area_or_point"].as_str() == Some("Point"),
        "{name}"
    );

    let jb = j["bands"].as_array().unwrap();
    if info.data_type.is_complex() {
        for (b, e) in jb.iter().enumerate() {
            let r = geotiff::read_complex32(&path, b).unwrap();
            assert_eq!(r.shape(), (info.height, info.width));
            let re: f64 = r.data.iter().map(|z| f64::from(z.re)).sum();
            let im: f64 = r.data.iter().map(|z| f64::from(z.im)).sum();
            assert!(close(re, e["re_sum"].as_f64().unwrap(), 1e-9), "{name}");
            assert!(close(im, e["im_sum"].as_f64().unwrap(), 1e-9), "{name}");
            let w = |k: usize| ((k % 97) + 1) as f64;
            let rc: f64 = r
                .data
                .iter()
                .enumerate()
                .map(|(k, z)| f64::from(z.re) * w(k))
                .sum();
            let ic: f64 = r
                .data
                .iter()
                .enumerate()
                .map(|(k, z)| f64::from(z.im) * w(k))
                .sum();
            assert!(
                close(rc, e["re_checksum"].as_f64().unwrap(), 1e-9),
                "{name}"
            );
            assert!(
                close(ic, e["im_checksum"].as_f64().unwrap(), 1e-9),
                "{name}"
            );
            for s in e["samples"].as_array().unwrap() {
                let z = r.data[[
                    s["row"].as_u64().unwrap() as usize,
                    s["col"].as_u64().unwrap() as usize,
                ]];
                assert_eq!(u64::from(z.re.to_bits()), hex(&s["re_bits"]), "{name}");
                assert_eq!(u64::from(z.im.to_bits()), hex(&s["im_bits"]), "{name}");
            }
        }
        return info;
    }

    let all = geotiff::read_all_f64(&path).unwrap();
    assert_eq!(all.len(), info.bands);
    for (b, (r, e)) in all.iter().zip(jb).enumerate() {
        assert_eq!(r.shape(), (info.height, info.width), "{name}");
        assert!(r.grid.same_as(&info.grid));
        // Single-band reads agree with the all-band read.
        let one = geotiff::read_f64(&path, b).unwrap();
        assert!(
            one.data
                .iter()
                .zip(r.data.iter())
                .all(|(a, c)| a.to_bits() == c.to_bits()),
            "{name}: read_f64 vs read_all_f64"
        );
        let valid: Vec<(usize, f64)> = r
            .data
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, v)| !v.is_nan())
            .collect();
        assert_eq!(
            valid.len() as u64,
            e["valid_count"].as_u64().unwrap(),
            "{name}"
        );
        let min = valid.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let max = valid.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = valid.iter().map(|p| p.1).sum();
        let chk: f64 = valid.iter().map(|&(k, v)| v * ((k % 97) + 1) as f64).sum();
        // serde_json parses decimal floats to within one ulp; pixel values
        // are compared bit-exactly below through their hex bits.
        assert!(close(min, e["min"].as_f64().unwrap(), 1e-15), "{name}: min");
        assert!(close(max, e["max"].as_f64().unwrap(), 1e-15), "{name}: max");
        assert!(
            close(sum, e["sum"].as_f64().unwrap(), 1e-12),
            "{name}: sum {sum}"
        );
        assert!(
            close(chk, e["checksum"].as_f64().unwrap(), 1e-12),
            "{name}: checksum"
        );
        let f32s = if info.data_type == DataType::F32 {
            Some(geotiff::read_f32(&path, b).unwrap())
        } else {
            None
        };
        for s in e["samples"].as_array().unwrap() {
            let (row, col) = (
                s["row"].as_u64().unwrap() as usize,
                s["col"].as_u64().unwrap() as usize,
            );
            let got = r.data[[row, col]];
            match info.data_type {
                DataType::F32 => {
                    let bits = hex(&s["bits"]) as u32;
                    let v32 = f32s.as_ref().unwrap().data[[row, col]];
                    if s["value"].is_null() || Some(f64::from(f32::from_bits(bits))) == info.nodata
                    {
                        assert!(got.is_nan() && v32.is_nan(), "{name} ({row},{col})");
                    } else {
                        assert_eq!(v32.to_bits(), bits, "{name} ({row},{col})");
                        assert_eq!(got, f64::from(f32::from_bits(bits)));
                    }
                }
                DataType::F64 => {
                    assert_eq!(got.to_bits(), hex(&s["bits"]), "{name} ({row},{col})");
                }
                _ => {
                    let v = s["value"].as_i64().unwrap() as f64;
                    if Some(v) == info.nodata {
                        assert!(got.is_nan(), "{name}: no-data pixel ({row},{col}) not NaN");
                    } else {
                        assert_eq!(got, v, "{name} ({row},{col})");
                    }
                }
            }
        }
    }
    info
}

#[test]
fn tiled_lzw_int16_with_predictor_2() {
    let info = check_fixture("tiled_lzw_i16");
    assert!(info.tiled);
    assert_eq!(info.predictor, 2);
    assert_eq!(info.block_shape, (16, 16));
    // The unconverted read gives the same integers.
    let (path, j) = load("tiled_lzw_i16");
    let raw = geotiff::read_band::<i16>(&path, 0).unwrap();
    let s = &j["bands"][0]["samples"][3];
    assert_eq!(
        i64::from(
            raw.data[[
                s["row"].as_u64().unwrap() as usize,
                s["col"].as_u64().unwrap() as usize
            ]]
        ),
        s["value"].as_i64().unwrap()
    );
}

#[test]
fn striped_deflate_float32_with_predictor_3() {
    let info = check_fixture("strip_deflate_f32_pred3");
    assert!(!info.tiled);
    assert_eq!(info.predictor, 3);
    assert_eq!(info.grid.crs.epsg, Some(32643));
    assert!(!info.grid.crs.geographic);
}

#[test]
fn geographic_crs_float64() {
    let info = check_fixture("geographic_f64");
    assert!(info.grid.crs.geographic);
    assert_eq!(info.grid.crs.epsg, Some(4326));
    // A 1″ pixel at 36.5° N is about 30.8 m north–south.
    let (_, ns) = info.grid.pixel_size_m(0);
    assert!((ns - 30.83).abs() < 0.05, "{ns}");
}

#[test]
fn nodata_values_become_nan() {
    let info = check_fixture("nodata_f32");
    assert_eq!(info.nodata, Some(-9999.0));
    let r = geotiff::read_f64(data_dir().join("nodata_f32.tif"), 0).unwrap();
    assert_eq!(r.nodata, Some(-9999.0));
    assert!(r.data.iter().all(|&v| v != -9999.0));

    let info = check_fixture("nodata_i16");
    assert_eq!(info.nodata, Some(-32768.0));
    // Raw integer read keeps the no-data value in the data.
    let raw = geotiff::read_band::<i16>(data_dir().join("nodata_i16.tif"), 0).unwrap();
    let as_f = geotiff::read_f64(data_dir().join("nodata_i16.tif"), 0).unwrap();
    let n_raw = raw.data.iter().filter(|&&v| v == -32768).count();
    let n_nan = as_f.data.iter().filter(|v| v.is_nan()).count();
    assert!(n_raw > 100);
    assert_eq!(n_raw, n_nan);

    check_fixture("nodata_nan_f32");
}

#[test]
fn multiband_pixel_and_band_interleaved() {
    let info = check_fixture("multiband_pixel_u16");
    assert_eq!((info.bands, info.interleave), (3, Interleave::Pixel));
    let info = check_fixture("multiband_band_f32");
    assert_eq!((info.bands, info.interleave), (3, Interleave::Band));
    let info = check_fixture("multiband_pixel_f64");
    assert_eq!((info.bands, info.interleave), (2, Interleave::Pixel));
    // A band index past the last is an error naming the band count.
    let e = geotiff::read_f64(data_dir().join("multiband_band_f32.tif"), 3).unwrap_err();
    assert!(e.to_string().contains("3 band(s)"), "{e}");
}

#[test]
fn complex_int16_and_complex_float32() {
    let info = check_fixture("cint16");
    assert_eq!(info.data_type, DataType::CInt16);
    let info = check_fixture("cfloat32");
    assert_eq!(info.data_type, DataType::CFloat32);
    // Raw complex read and the type errors.
    let p = data_dir().join("cint16.tif");
    let raw = geotiff::read_band::<Complex<i16>>(&p, 0).unwrap();
    let c = geotiff::read_complex32(&p, 0).unwrap();
    assert_eq!(f32::from(raw.data[[5, 7]].re), c.data[[5, 7]].re);
    assert!(matches!(
        geotiff::read_f64(&p, 0),
        Err(sar_core::SarError::DataType(_))
    ));
    assert!(matches!(
        geotiff::read_complex32(data_dir().join("u8_deflate.tif"), 0),
        Err(sar_core::SarError::DataType(_))
    ));
}

#[test]
fn integer_types_and_compressions() {
    check_fixture("u8_deflate");
    let info = check_fixture("u8_packbits");
    assert_eq!(info.compression, Compression::PackBits);
    check_fixture("i32_lzw_tiled");
    check_fixture("u32_none");
    let u8r = geotiff::read_u8(data_dir().join("u8_deflate.tif"), 0).unwrap();
    let f = geotiff::read_f64(data_dir().join("u8_deflate.tif"), 0).unwrap();
    assert!(u8r
        .data
        .iter()
        .zip(f.data.iter())
        .all(|(&a, &b)| f64::from(a) == b));
    assert!(matches!(
        geotiff::read_u8(data_dir().join("u32_none.tif"), 0),
        Err(sar_core::SarError::DataType(_))
    ));
}

#[test]
fn big_endian_files() {
    let info = check_fixture("u16_bigendian");
    assert!(info.big_endian && info.tiled);
    let info = check_fixture("f32_bigendian_pred3");
    assert!(info.big_endian);
    assert_eq!(info.predictor, 3);
}

#[test]
fn pixel_is_point_shifted_by_half_a_pixel() {
    // The file stores the tie point at the centre of the first pixel; GDAL
    // (and sar-core) report the corner, 15 m up and left of it.
    let info = check_fixture("pixel_is_point_f32");
    assert!(info.pixel_is_point);
    assert_eq!(info.grid.transform.0[0], 500_000.0);
    assert_eq!(info.grid.transform.0[3], 4_100_000.0);
}

#[test]
fn rotated_grid_from_model_transformation() {
    let info = check_fixture("rotated_f32");
    assert!(!info.grid.transform.is_north_up());
    assert_eq!(
        info.grid.transform.0,
        [500_000.0, 29.0, 5.0, 4_100_000.0, 4.0, -28.0]
    );
}

#[test]
fn bigtiff_container() {
    let info = check_fixture("bigtiff_u8");
    assert!(info.bigtiff);
}

#[test]
fn every_fixture_is_tested() {
    // Guards against a fixture being added without a test.
    let mut names: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "tif").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    // The user-defined CRS fixtures are tested in geotiff_roundtrip.rs
    // against the PROJ.4 strings of user_crs_proj4.tsv.
    let tsv = std::fs::read_to_string(data_dir().join("user_crs_proj4.tsv")).unwrap();
    let user: Vec<&str> = tsv.lines().filter_map(|l| l.split('\t').next()).collect();
    assert_eq!(user.len(), 5);
    names.retain(|n| !user.contains(&n.as_str()));
    names.sort();
    let tested = [
        "bigtiff_u8",
        "cfloat32",
        "cint16",
        "f32_bigendian_pred3",
        "geographic_f64",
        "i32_lzw_tiled",
        "multiband_band_f32",
        "multiband_pixel_f64",
        "multiband_pixel_u16",
        "nodata_f32",
        "nodata_i16",
        "nodata_nan_f32",
        "pixel_is_point_f32",
        "rotated_f32",
        "strip_deflate_f32_pred3",
        "tiled_lzw_i16",
        "u16_bigendian",
        "u32_none",
        "u8_deflate",
        "u8_packbits",
    ];
    assert_eq!(names, tested);
}
