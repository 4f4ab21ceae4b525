//! Files written by sar-core read back bit-exactly with sar-core, for every
//! sample type and writer option; atomic-write guarantees.

use std::path::Path;

use ndarray::Array2;
use num_complex::Complex;
use sar_core::geotiff::{self, Compression, DataType, Interleave, Sample, WriteOptions};
use sar_core::{Crs, GeoTransform, Grid, Raster, SarError};

const ROWS: usize = 45;
const COLS: usize = 38;

fn utm_grid() -> Grid {
    Grid::north_up(
        ROWS,
        COLS,
        600_000.0,
        7_000_000.0,
        20.0,
        20.0,
        Crs::epsg(32633),
    )
}

/// Deterministic pseudo-random bits (splitmix64) for pixel values.
fn bits(seed: u64, r: usize, c: usize) -> u64 {
    let mut z = seed
        .wrapping_add((r * 7919 + c) as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn options() -> Vec<WriteOptions> {
    vec![
        WriteOptions::default(),
        WriteOptions::default().compression(Compression::None),
        WriteOptions::default().compression(Compression::Lzw),
        WriteOptions::default().compression(Compression::PackBits),
        WriteOptions::default().predictor(false).deflate_level(9),
        WriteOptions::default().tile_size(16),
        WriteOptions::default()
            .tile_size(32)
            .interleave(Interleave::Pixel)
            .compression(Compression::Lzw),
        WriteOptions::default()
            .rows_per_strip(7)
            .interleave(Interleave::Pixel),
        WriteOptions::default().bigtiff(true).rows_per_strip(4),
    ]
}

/// Write `bands` with every option set and compare the raw read-back.
fn roundtrip<T: Sample + PartialEq + std::fmt::Debug>(
    dir: &Path,
    name: &str,
    bands: &[Raster<T>],
    same: impl Fn(&T, &T) -> bool,
) {
    for (k, opts) in options().iter().enumerate() {
        let path = dir.join(format!("{name}_{k}.tif"));
        geotiff::write_bands(&path, bands, opts).unwrap();
        let info = geotiff::read_info(&path).unwrap();
        assert_eq!(info.data_type, T::DATA_TYPE, "{name} {opts:?}");
        assert_eq!(info.bands, bands.len());
        assert!(info.grid.same_as(&bands[0].grid), "{name} {opts:?}");
        for (b, band) in bands.iter().enumerate() {
            let back = geotiff::read_band::<T>(&path, b).unwrap();
            assert_eq!(back.shape(), band.shape());
            let ok = back
                .data
                .iter()
                .zip(band.data.iter())
                .all(|(a, e)| same(a, e));
            assert!(ok, "{name} band {b} with {opts:?} differs");
        }
    }
}

macro_rules! int_bands {
    ($t:ty, $n:expr) => {
        (0..$n)
            .map(|b| {
                Raster::new(
                    Array2::from_shape_fn((ROWS, COLS), |(r, c)| bits(b as u64 + 1, r, c) as $t),
                    utm_grid(),
                )
                .unwrap()
            })
            .collect::<Vec<Raster<$t>>>()
    };
}

#[test]
fn integer_types_roundtrip_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    roundtrip(dir.path(), "u8", &int_bands!(u8, 1), PartialEq::eq);
    roundtrip(dir.path(), "i8", &int_bands!(i8, 2), PartialEq::eq);
    roundtrip(dir.path(), "u16", &int_bands!(u16, 3), PartialEq::eq);
    roundtrip(dir.path(), "i16", &int_bands!(i16, 1), PartialEq::eq);
    roundtrip(dir.path(), "u32", &int_bands!(u32, 2), PartialEq::eq);
    roundtrip(dir.path(), "i32", &int_bands!(i32, 3), PartialEq::eq);
}

#[test]
fn float_types_roundtrip_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    // Arbitrary bit patterns include NaNs with payloads, infinities and
    // subnormals; with nodata = None NaN stays NaN, so compare bits of the
    // non-NaN values and NaN-ness otherwise.
    let f32s: Vec<Raster<f32>> = (0..2)
        .map(|b| {
            Raster::new(
                Array2::from_shape_fn((ROWS, COLS), |(r, c)| {
                    f32::from_bits(bits(b + 10, r, c) as u32)
                }),
                utm_grid(),
            )
            .unwrap()
        })
        .collect();
    let same32 = |a: &f32, b: &f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    roundtrip(dir.path(), "f32", &f32s, same32);
    let f64s: Vec<Raster<f64>> = (0..3)
        .map(|b| {
            Raster::new(
                Array2::from_shape_fn((ROWS, COLS), |(r, c)| f64::from_bits(bits(b + 20, r, c))),
                utm_grid(),
            )
            .unwrap()
        })
        .collect();
    let same64 = |a: &f64, b: &f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    roundtrip(dir.path(), "f64", &f64s, same64);
}

#[test]
fn complex_types_roundtrip_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let ci16 = vec![Raster::new(
        Array2::from_shape_fn((ROWS, COLS), |(r, c)| {
            let v = bits(30, r, c);
            Complex::new(v as i16, (v >> 16) as i16)
        }),
        utm_grid(),
    )
    .unwrap()];
    roundtrip(dir.path(), "ci16", &ci16, |a, b| a == b);
    let cf32 = vec![Raster::new(
        Array2::from_shape_fn((ROWS, COLS), |(r, c)| {
            Complex::new(r as f32 * 0.25 - 3.0, -(c as f32) * 1e-3)
        }),
        utm_grid(),
    )
    .unwrap()];
    roundtrip(dir.path(), "cf32", &cf32, |a, b| a == b);
    // read_complex32 of CInt16 converts to floats.
    let p = dir.path().join("ci16_0.tif");
    let z = geotiff::read_complex32(&p, 0).unwrap();
    let e = ci16[0].data[[3, 4]];
    assert_eq!(
        z.data[[3, 4]],
        Complex::new(f32::from(e.re), f32::from(e.im))
    );
}

#[test]
fn float_nodata_written_for_nan_and_read_back_as_nan() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Array2::from_shape_fn((ROWS, COLS), |(r, c)| (r * COLS + c) as f64 * 0.1);
    data[[0, 0]] = f64::NAN;
    data[[10, 20]] = f64::NAN;
    let r = Raster::new(data, utm_grid())
        .unwrap()
        .with_nodata(Some(-9999.0));
    let p = dir.path().join("nd.tif");
    geotiff::write_f64(&p, &r).unwrap();
    let info = geotiff::read_info(&p).unwrap();
    assert_eq!(info.nodata, Some(-9999.0));
    // In the file the NaN pixels hold -9999 …
    let raw = geotiff::read_band::<f64>(&p, 0).unwrap();
    assert_eq!(raw.data[[10, 20]], -9999.0);
    assert_eq!(raw.data[[10, 21]], (10 * COLS + 21) as f64 * 0.1);
    // … and read back as NaN.
    let back = geotiff::read_f64(&p, 0).unwrap();
    assert!(back.data[[0, 0]].is_nan() && back.data[[10, 20]].is_nan());
    assert_eq!(back.valid_count(), ROWS * COLS - 2);
    assert_eq!(back.nodata, Some(-9999.0));

    // Without a no-data value, NaN is written and declared as "nan".
    let r32 = Raster::new(r.data.mapv(|v| v as f32), utm_grid()).unwrap();
    let p = dir.path().join("nan.tif");
    geotiff::write_f32(&p, &r32).unwrap();
    assert!(geotiff::read_info(&p).unwrap().nodata.unwrap().is_nan());
    let back = geotiff::read_f32(&p, 0).unwrap();
    assert!(back.data[[10, 20]].is_nan());
    assert_eq!(back.data[[1, 1]], r32.data[[1, 1]]);
}

#[test]
fn u8_with_nodata_and_multiband_helpers() {
    let dir = tempfile::tempdir().unwrap();
    let mask = Raster::new(
        Array2::from_shape_fn((ROWS, COLS), |(r, c)| ((r + c) % 3) as u8 * 100),
        utm_grid(),
    )
    .unwrap()
    .with_nodata(Some(255.0));
    let p = dir.path().join("mask.tif");
    geotiff::write_u8(&p, &mask).unwrap();
    let back = geotiff::read_u8(&p, 0).unwrap();
    assert_eq!(back.data, mask.data);
    assert_eq!(back.nodata, Some(255.0));
    assert_eq!(geotiff::read_info(&p).unwrap().predictor, 2);

    let b: Vec<Raster<f32>> = (0..3)
        .map(|k| Raster::filled(utm_grid(), k as f32 + 0.5))
        .collect();
    let p = dir.path().join("bands32.tif");
    geotiff::write_bands_f32(&p, &b).unwrap();
    let all = geotiff::read_all_f64(&p).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].data[[44, 37]], 2.5);
    let b64: Vec<Raster<f64>> = b.iter().map(|r| r.map(|&v| f64::from(v) * 2.0)).collect();
    let p = dir.path().join("bands64.tif");
    geotiff::write_bands_f64(&p, &b64).unwrap();
    assert_eq!(geotiff::read_f64(&p, 1).unwrap().data[[0, 0]], 3.0);
    assert_eq!(geotiff::read_info(&p).unwrap().predictor, 3);

    // An integer no-data value that the type cannot hold is refused.
    let bad = mask.clone().with_nodata(Some(-1.0));
    assert!(matches!(
        geotiff::write_u8(dir.path().join("bad.tif"), &bad),
        Err(SarError::InvalidParameter { name: "nodata", .. })
    ));
}

#[test]
fn georeferencing_roundtrips() {
    let dir = tempfile::tempdir().unwrap();
    let grids = [
        // Geographic 1″ grid.
        Grid::north_up(
            ROWS,
            COLS,
            77.25,
            36.5,
            1.0 / 3600.0,
            1.0 / 3600.0,
            Crs::wgs84(),
        ),
        // Rotated grid → ModelTransformation.
        Grid::new(
            ROWS,
            COLS,
            GeoTransform([500_000.0, 29.0, 5.0, 4_100_000.0, 4.0, -28.0]),
            Crs::epsg(32632),
        ),
        // South-up grid (positive row step) → ModelTransformation.
        Grid::new(
            ROWS,
            COLS,
            GeoTransform([10.0, 1.0, 0.0, -5.0, 0.0, 2.0]),
            Crs::epsg(3413),
        ),
        // No georeferencing at all.
        Grid::pixel(ROWS, COLS),
        // A CRS known only as WKT.
        Grid::north_up(
            ROWS,
            COLS,
            0.0,
            0.0,
            10.0,
            10.0,
            Crs {
                epsg: None,
                wkt: Some("PROJCS[\"custom\",GEOGCS[\"WGS 84\"]]".into()),
                proj4: None,
                geographic: false,
            },
        ),
    ];
    for (k, g) in grids.iter().enumerate() {
        let r = Raster::filled(g.clone(), 1.0f32);
        let p = dir.path().join(format!("g{k}.tif"));
        geotiff::write_f32(&p, &r).unwrap();
        let info = geotiff::read_info(&p).unwrap();
        assert_eq!(info.grid.transform, g.transform, "grid {k}");
        assert_eq!(info.grid.crs, g.crs, "grid {k}");
    }
}

#[test]
fn read_f32_and_f64_agree_with_raw_integers() {
    let dir = tempfile::tempdir().unwrap();
    let r = Raster::new(
        Array2::from_shape_fn((ROWS, COLS), |(r, c)| bits(7, r, c) as i32),
        utm_grid(),
    )
    .unwrap()
    .with_nodata(Some(f64::from(i32::MIN)));
    let mut r = r;
    r.data[[2, 2]] = i32::MIN;
    let p = dir.path().join("i32.tif");
    geotiff::write_bands(&p, std::slice::from_ref(&r), &WriteOptions::default()).unwrap();
    let f = geotiff::read_f64(&p, 0).unwrap();
    let g = geotiff::read_f32(&p, 0).unwrap();
    assert!(f.data[[2, 2]].is_nan() && g.data[[2, 2]].is_nan());
    assert_eq!(f.data[[3, 3]], f64::from(r.data[[3, 3]]));
    assert_eq!(g.data[[3, 3]], r.data[[3, 3]] as f32);
}

#[test]
fn write_into_missing_folder_fails_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("no/such/folder/out.tif");
    let r = Raster::filled(utm_grid(), 1.0f64);
    let e = geotiff::write_f64(&p, &r).unwrap_err();
    assert!(matches!(e, SarError::Io(_)));
    assert!(e.to_string().contains("out.tif"), "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn failing_rename_removes_temporary_file() {
    // The destination is an existing non-empty folder: all data is written
    // to the temporary file, then the rename fails. The temporary file must
    // be gone and the folder untouched.
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("taken.tif");
    std::fs::create_dir(&dest).unwrap();
    std::fs::write(dest.join("keep"), b"x").unwrap();
    let r = Raster::filled(utm_grid(), 1.0f32);
    assert!(matches!(
        geotiff::write_f32(&dest, &r),
        Err(SarError::Io(_))
    ));
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["taken.tif".to_string()]);
    assert_eq!(std::fs::read(dest.join("keep")).unwrap(), b"x");
}

#[test]
fn invalid_inputs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.tif");
    let a = Raster::filled(utm_grid(), 1.0f32);
    let other = Grid::north_up(ROWS, COLS, 0.0, 0.0, 20.0, 20.0, Crs::epsg(32633));
    let b = Raster::filled(other, 1.0f32);
    assert!(matches!(
        geotiff::write_bands_f32(&p, &[a.clone(), b]),
        Err(SarError::GridMismatch { .. })
    ));
    assert!(matches!(
        geotiff::write_bands_f32(&p, &[]),
        Err(SarError::InvalidParameter { name: "bands", .. })
    ));
    let c = a.clone().with_nodata(Some(0.0));
    assert!(matches!(
        geotiff::write_bands_f32(&p, &[a.clone(), c]),
        Err(SarError::InvalidParameter { name: "bands", .. })
    ));
    for opts in [
        WriteOptions::default().tile_size(20),
        WriteOptions::default().deflate_level(10),
        WriteOptions::default().rows_per_strip(0),
        WriteOptions::default().tile_size(16).rows_per_strip(4),
    ] {
        assert!(matches!(
            geotiff::write_bands(&p, std::slice::from_ref(&a), &opts),
            Err(SarError::InvalidParameter { .. })
        ));
    }
    assert!(!p.exists());
    assert_eq!(DataType::CInt16.bytes(), 4);
}

/// PROJ.4 parameters as a map (`+k=v` → k → v).
fn proj4_map(def: &str) -> std::collections::BTreeMap<String, String> {
    def.split_whitespace()
        .map(|t| {
            let t = t.trim_start_matches('+');
            let (k, v) = t.split_once('=').unwrap_or((t, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// Equal PROJ.4 definitions: the same keys (ours may add `k=1`, the
/// default) and numbers equal to 1e-6.
fn same_proj4(ours: &str, gdal: &str) -> bool {
    let (a, b) = (proj4_map(ours), proj4_map(gdal));
    let num_eq = |x: &str, y: &str| match (x.parse::<f64>(), y.parse::<f64>()) {
        (Ok(p), Ok(q)) => (p - q).abs() <= 1e-6 * q.abs().max(1.0),
        _ => x == y,
    };
    b.iter()
        .all(|(k, v)| a.get(k).is_some_and(|w| num_eq(w, v)))
        && a.iter()
            .all(|(k, v)| b.contains_key(k) || (k == "k" && v == "1"))
}

/// User-defined CRSs as GDAL writes them (ProjectedCSTypeGeoKey = 32767,
/// ProjCoordTransGeoKey and its parameters): read into the PROJ.4 string
/// GDAL itself reads from the file (`gdalinfo -proj4`, stored by
/// tools/reference/user_crs_fixtures.sh in user_crs_proj4.tsv), then written
/// and read back unchanged. The Columbia crop is from the OGGM sample data
/// (BSD-3).
#[test]
fn user_defined_crs_geokeys_read_as_gdal_and_roundtrip() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geotiff");
    let table = std::fs::read_to_string(dir.join("user_crs_proj4.tsv")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0;
    for line in table.lines() {
        let (name, gdal) = line.split_once('\t').unwrap();
        let src = dir.join(format!("{name}.tif"));
        let info = geotiff::read_info(&src).unwrap();
        assert_eq!(info.grid.crs.epsg, None, "{name}");
        let ours = info
            .grid
            .crs
            .proj4
            .clone()
            .unwrap_or_else(|| panic!("{name}: no CRS read"));
        assert!(
            same_proj4(&ours, gdal),
            "{name}: ours {ours} vs GDAL {gdal}"
        );
        assert!(
            info.geokeys.iter().any(|(k, v)| *k == 3072 && v == "32767"),
            "{name}"
        );
        // Write and read back: same CRS, same transform.
        let r = geotiff::read_f64(&src, 0).unwrap();
        let out = tmp.path().join(format!("{name}.tif"));
        geotiff::write_f64(&out, &r).unwrap();
        let back = geotiff::read_info(&out).unwrap();
        assert_eq!(
            back.grid.crs.proj4.as_deref(),
            Some(ours.as_str()),
            "{name}"
        );
        assert_eq!(back.grid.crs.geographic, info.grid.crs.geographic);
        assert_eq!(back.grid.transform, info.grid.transform);
        n += 1;
    }
    assert_eq!(n, 5);
}

/// A user-defined geographic CRS on a custom ellipsoid, and a Lambert
/// conformal conic 1SP, round-trip through GeoKeys.
#[test]
fn user_defined_geographic_and_lcc1sp_roundtrip() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, def) in [
        "+proj=longlat +a=6378000 +rf=300 +no_defs",
        "+proj=lcc +lat_0=45 +lon_0=10 +lat_1=45 +k_0=0.9995 +x_0=1000 +y_0=2000 +ellps=GRS80 +units=m +no_defs",
        "+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +units=m +no_defs",
    ]
    .iter()
    .enumerate()
    {
        let crs = Crs::proj4(*def);
        let g = Grid::north_up(3, 4, 10.0, 50.0, 0.5, 0.5, crs.clone());
        let r = Raster::new(ndarray::Array2::from_elem((3, 4), 1.0), g).unwrap();
        let p = tmp.path().join(format!("{i}.tif"));
        geotiff::write_f64(&p, &r).unwrap();
        let back = geotiff::read_info(&p).unwrap();
        let got = back.grid.crs.proj4.clone().unwrap();
        assert!(same_proj4(&got, def), "{got} vs {def}");
        assert_eq!(back.grid.crs.geographic, crs.geographic);
    }
}
