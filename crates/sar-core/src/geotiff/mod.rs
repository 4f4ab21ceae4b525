//! GeoTIFF reading and writing in pure Rust (no GDAL needed).
//!
//! # Reading
//!
//! [`read_info`] returns a file's [`GeoTiffInfo`] (shape, bands, sample
//! type, [`Grid`], no-data, layout). Pixels are read one band at a time,
//! 0-based:
//!
//! * [`read_f64`] / [`read_f32`] convert any real sample type; pixels equal
//!   to the file's no-data value become NaN, also for integer files;
//!   [`read_all_f64`] reads every band in one pass;
//! * [`read_complex32`] reads complex int16 (`CInt16`, as in Sentinel-1 SLC
//!   measurement files) and complex float32 (`CFloat32`) samples;
//! * [`read_band`] returns the samples unconverted in their own type
//!   ([`read_u8`] for masks and classes).
//! * [`read_window_f64`], [`read_window_f32`] and [`read_window_band`]
//!   read a rectangular pixel [`Window`] with the window's georeferencing,
//!   decoding only the strips or tiles it touches (per-tile and
//!   per-glacier batch jobs: memory follows the window, not the file).
//!
//! Supported: classic TIFF and BigTIFF, little- and big-endian; strips and
//! tiles; compression none, LZW, Deflate (8 and 32946) and PackBits;
//! predictors 2 (horizontal, every integer size) and 3 (floating point);
//! u8, i8, u16, i16, u32, i32, f32, f64, complex int16 and complex float32
//! samples; any number of bands, pixel- or band-interleaved. Only the first
//! image of the file is read (overviews and masks are ignored).
//!
//! Georeferencing follows GDAL: a ModelTransformation, or a ModelTiepoint +
//! ModelPixelScale pair, gives the [`GeoTransform`](crate::GeoTransform); with
//! `GTRasterTypeGeoKey = PixelIsPoint` the transform is shifted by half a
//! pixel so that it always describes pixel corners; the CRS comes from
//! `ProjectedCSTypeGeoKey` or `GeographicTypeGeoKey` and `GTModelTypeGeoKey`
//! sets [`Crs::geographic`](crate::Crs::geographic). The no-data value is GDAL's `GDAL_NODATA` tag.
//!
//! Files georeferenced by ground control points (several tie points, no
//! pixel scale, as SAR slant-range products are) read with the identity
//! transform; [`GeoTiffInfo::gcp_count`] says how many points were found.
//! A user-defined CRS described by individual GeoKeys (no EPSG code:
//! `ProjectedCSTypeGeoKey` = 32767 with `ProjCoordTransGeoKey` and its
//! parameters, datum or ellipsoid, linear units) reads into
//! [`Crs::proj4`](crate::Crs::proj4): Transverse Mercator, Mercator,
//! Lambert conformal conic (1SP, 2SP), Lambert azimuthal equal area, Albers,
//! polar and oblique stereographic, equirectangular, and user-defined
//! geographic systems; such a CRS is written back as the same GeoKeys. A
//! WKT in a citation key is read too. [`GeoTiffInfo::geokeys`] lists every
//! key as stored.
//!
//! Corrupt or unsupported files give [`SarError::CorruptTiff`] or
//! [`SarError::UnsupportedTiff`] naming the file and the problem, never a
//! panic: every offset and length is checked against the file size, and a
//! declared image larger than 4096 times the file size (more than any
//! supported compression can achieve) is refused before anything is
//! allocated.
//!
//! # Writing
//!
//! [`write_f64`], [`write_f32`], [`write_bands_f64`], [`write_bands_f32`]
//! and [`write_u8`] write with the default [`WriteOptions`]: Deflate with a
//! predictor (3 for floats, 2 for integers), strips of about 256 KiB,
//! separate band planes. [`write_bands`] takes any [`Sample`] type and
//! options (LZW, PackBits, none; tiles; pixel interleaving; BigTIFF, which is
//! also chosen automatically past 4 GiB).
//!
//! Float rasters hold NaN as no-data; the file gets the raster's
//! [`Raster::nodata`] value in place of NaN and in `GDAL_NODATA`, or NaN and
//! `GDAL_NODATA = nan` when `nodata` is `None`. Integer rasters are written
//! as they are, with `GDAL_NODATA` if `nodata` is set.
//!
//! The CRS is written as `ProjectedCSTypeGeoKey` or `GeographicTypeGeoKey`
//! (EPSG code; a WKT next to an EPSG code is not written), as user-defined
//! projection GeoKeys for a CRS known by its PROJ.4 string, north-up grids with ModelPixelScale + ModelTiepoint, rotated
//! ones with ModelTransformation. *Limitation:* a CRS known only as WKT is
//! written as user-defined with the WKT in `GTCitationGeoKey`; sar-core reads
//! it back, but GDAL does not rebuild the CRS from it.
//!
//! Metadata goes into GDAL's metadata tag (42112, `GDAL_METADATA`) with
//! [`WriteOptions::metadata`]: dataset items, band descriptions and units
//! ([`GdalMetadata`]), which GDAL and rasterio read as `ds.tags()`,
//! `ds.descriptions` and `ds.units`; [`GeoTiffInfo::metadata`] reads them
//! back (from GDAL-written files too).
//!
//! Writes are atomic: the file is written under a temporary name in the
//! same folder, flushed to disk and renamed; on any error the temporary file
//! is removed and an existing file at the destination is left untouched.
//!
//! # Example
//!
//! ```
//! use ndarray::array;
//! use sar_core::{geotiff, Crs, Grid, Raster};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("dem.tif");
//! let grid = Grid::north_up(2, 3, 500_000.0, 4_100_000.0, 30.0, 30.0, Crs::epsg(32643));
//! let dem = Raster::new(array![[1.0, 2.0, f64::NAN], [4.0, 5.0, 6.0]], grid)?
//!     .with_nodata(Some(-9999.0));
//! geotiff::write_f64(&path, &dem)?;
//!
//! let info = geotiff::read_info(&path)?;
//! assert_eq!((info.width, info.height, info.bands), (3, 2, 1));
//! assert_eq!(info.grid.crs.epsg, Some(32643));
//! assert_eq!(info.nodata, Some(-9999.0));
//! let back = geotiff::read_f64(&path, 0)?;
//! assert_eq!(back.data[[1, 2]], 6.0);
//! assert!(back.data[[0, 2]].is_nan());
//! assert!(back.grid.same_as(&dem.grid));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod decode;
mod geokeys;
mod metadata;
mod tiff;
mod write;

use std::fmt;
use std::path::Path;

use ndarray::Array2;
use num_complex::Complex;

use crate::error::{Result, SarError};
use crate::grid::Grid;
use crate::raster::Raster;

pub use metadata::{BandMetadata, GdalMetadata, MAX_METADATA_BYTES};

use decode::Layout;
use tiff::{tag, TiffFile};

/// Sample type of a GeoTIFF band, named as in GDAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    /// Unsigned 8-bit integer (GDAL `Byte`).
    U8,
    /// Signed 8-bit integer (GDAL `Int8`).
    I8,
    /// Unsigned 16-bit integer.
    U16,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 32-bit integer.
    U32,
    /// Signed 32-bit integer.
    I32,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// Complex number of two signed 16-bit integers (GDAL `CInt16`).
    CInt16,
    /// Complex number of two 32-bit floats (GDAL `CFloat32`).
    CFloat32,
}

impl DataType {
    /// Size of one sample in bytes (both parts for complex types).
    pub fn bytes(self) -> usize {
        match self {
            DataType::U8 | DataType::I8 => 1,
            DataType::U16 | DataType::I16 => 2,
            DataType::U32 | DataType::I32 | DataType::F32 | DataType::CInt16 => 4,
            DataType::F64 | DataType::CFloat32 => 8,
        }
    }

    /// Size of one scalar component in bytes (half a complex sample).
    fn component_bytes(self) -> usize {
        if self.is_complex() {
            self.bytes() / 2
        } else {
            self.bytes()
        }
    }

    /// True for complex sample types.
    pub fn is_complex(self) -> bool {
        matches!(self, DataType::CInt16 | DataType::CFloat32)
    }

    /// True for real floating-point types (f32, f64).
    pub fn is_float(self) -> bool {
        matches!(self, DataType::F32 | DataType::F64)
    }

    /// GDAL's name of the type (`Byte`, `Int16`, `Float32`, `CInt16`, …).
    pub fn gdal_name(self) -> &'static str {
        match self {
            DataType::U8 => "Byte",
            DataType::I8 => "Int8",
            DataType::U16 => "UInt16",
            DataType::I16 => "Int16",
            DataType::U32 => "UInt32",
            DataType::I32 => "Int32",
            DataType::F32 => "Float32",
            DataType::F64 => "Float64",
            DataType::CInt16 => "CInt16",
            DataType::CFloat32 => "CFloat32",
        }
    }

    /// TIFF `(SampleFormat, BitsPerSample)`.
    fn tiff_format(self) -> (u16, u16) {
        let fmt = match self {
            DataType::U8 | DataType::U16 | DataType::U32 => 1,
            DataType::I8 | DataType::I16 | DataType::I32 => 2,
            DataType::F32 | DataType::F64 => 3,
            DataType::CInt16 => 5,
            DataType::CFloat32 => 6,
        };
        (fmt, 8 * self.bytes() as u16)
    }

    /// Native-endian bytes of `v` as one sample of this type, if `v` is
    /// exactly representable (integers: integral and in range; floats:
    /// any value; complex: never).
    fn native_bytes(self, v: f64) -> Option<Vec<u8>> {
        fn int<T: TryFrom<i64>>(v: f64) -> Option<T> {
            if v.fract() != 0.0 || !v.is_finite() || v.abs() > 9.0e15 {
                return None;
            }
            T::try_from(v as i64).ok()
        }
        Some(match self {
            DataType::U8 => int::<u8>(v)?.to_ne_bytes().to_vec(),
            DataType::I8 => int::<i8>(v)?.to_ne_bytes().to_vec(),
            DataType::U16 => int::<u16>(v)?.to_ne_bytes().to_vec(),
            DataType::I16 => int::<i16>(v)?.to_ne_bytes().to_vec(),
            DataType::U32 => int::<u32>(v)?.to_ne_bytes().to_vec(),
            DataType::I32 => int::<i32>(v)?.to_ne_bytes().to_vec(),
            DataType::F32 => (v as f32).to_ne_bytes().to_vec(),
            DataType::F64 => v.to_ne_bytes().to_vec(),
            DataType::CInt16 | DataType::CFloat32 => return None,
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.gdal_name())
    }
}

/// Compression of the pixel data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// No compression (TIFF code 1).
    None,
    /// Lempel–Ziv–Welch (code 5).
    Lzw,
    /// Deflate / zlib (codes 8 and 32946); the default for writing.
    #[default]
    Deflate,
    /// PackBits run-length coding (code 32773).
    PackBits,
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "uncompressed",
            Compression::Lzw => "LZW",
            Compression::Deflate => "Deflate",
            Compression::PackBits => "PackBits",
        })
    }
}

/// How the bands of a multi-band file are arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interleave {
    /// Samples of one pixel side by side (PlanarConfiguration 1, "chunky";
    /// GDAL's `INTERLEAVE=PIXEL`).
    Pixel,
    /// Each band in its own plane (PlanarConfiguration 2; GDAL's
    /// `INTERLEAVE=BAND`); the default for writing.
    #[default]
    Band,
}

/// What [`read_info`] tells about a GeoTIFF file (its first image).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GeoTiffInfo {
    /// Number of columns (pixels per row).
    pub width: usize,
    /// Number of rows.
    pub height: usize,
    /// Number of bands (samples per pixel).
    pub bands: usize,
    /// Sample type of every band.
    pub data_type: DataType,
    /// Georeferencing: shape, geotransform (corner convention, also for
    /// PixelIsPoint files) and CRS. The identity transform and an unknown
    /// CRS if the file has none.
    pub grid: Grid,
    /// The `GDAL_NODATA` value (may be NaN), if the file declares one.
    pub nodata: Option<f64>,
    /// Compression of the pixel data.
    pub compression: Compression,
    /// TIFF predictor: 1 none, 2 horizontal differencing, 3 floating point.
    pub predictor: u16,
    /// Band arrangement.
    pub interleave: Interleave,
    /// True for a tiled file, false for strips.
    pub tiled: bool,
    /// Tile (or strip) size in pixels `(rows, cols)`.
    pub block_shape: (usize, usize),
    /// True if `GTRasterTypeGeoKey` is PixelIsPoint.
    pub pixel_is_point: bool,
    /// Number of ground control points when the file is georeferenced by
    /// tie points only (the grid then has the identity transform); else 0.
    pub gcp_count: usize,
    /// True for a BigTIFF file.
    pub bigtiff: bool,
    /// True for a big-endian ("MM") file.
    pub big_endian: bool,
    /// Every GeoKey of the file as `(key id, value)` (numbers, quoted text,
    /// or comma-separated doubles), in file order: the whole CRS description,
    /// including user-defined projection parameters.
    pub geokeys: Vec<(u16, String)>,
    /// GDAL metadata (tag 42112 `GDAL_METADATA`): dataset items, band
    /// descriptions and units. Empty if the file has none; a malformed
    /// document is reported in [`GeoTiffInfo::metadata_error`].
    pub metadata: GdalMetadata,
    /// Why the file's `GDAL_METADATA` could not be parsed, if it could not
    /// (the pixels and georeferencing are still read, as GDAL does).
    pub metadata_error: Option<String>,
}

mod sealed {
    pub trait Sealed {}
}

/// A pixel type that GeoTIFF files can hold: `u8`, `i8`, `u16`, `i16`,
/// `u32`, `i32`, `f32`, `f64`, `Complex<i16>` and `Complex<f32>`.
///
/// Used by [`read_band`] and [`write_bands`]. Sealed: it cannot be
/// implemented outside sar-core.
pub trait Sample: Copy + Default + Send + Sync + 'static + sealed::Sealed {
    /// The matching file sample type.
    const DATA_TYPE: DataType;
    /// Decode one sample from `DATA_TYPE.bytes()` native-endian bytes.
    #[doc(hidden)]
    fn from_ne_slice(b: &[u8]) -> Self;
    /// Encode one sample as little-endian bytes into `out`
    /// (`DATA_TYPE.bytes()` long).
    #[doc(hidden)]
    fn put_le(self, out: &mut [u8]);
    /// The sample as a real number (NaN for complex types).
    #[doc(hidden)]
    fn to_f64(self) -> f64;
    /// NaN replaced by `nodata` (floats); other values unchanged.
    #[doc(hidden)]
    fn nan_to(self, nodata: f64) -> Self {
        let _ = nodata;
        self
    }
}

macro_rules! real_sample {
    ($t:ident, $dt:expr, $n:literal) => {
        impl sealed::Sealed for $t {}
        impl Sample for $t {
            const DATA_TYPE: DataType = $dt;
            fn from_ne_slice(b: &[u8]) -> Self {
                let mut a = [0u8; $n];
                a.copy_from_slice(&b[..$n]);
                <$t>::from_ne_bytes(a)
            }
            fn put_le(self, out: &mut [u8]) {
                out[..$n].copy_from_slice(&self.to_le_bytes());
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            real_sample!(@nan $t);
        }
    };
    (@nan f32) => {
        fn nan_to(self, nodata: f64) -> Self {
            if self.is_nan() { nodata as f32 } else { self }
        }
    };
    (@nan f64) => {
        fn nan_to(self, nodata: f64) -> Self {
            if self.is_nan() { nodata } else { self }
        }
    };
    (@nan $t:ident) => {};
}

real_sample!(u8, DataType::U8, 1);
real_sample!(i8, DataType::I8, 1);
real_sample!(u16, DataType::U16, 2);
real_sample!(i16, DataType::I16, 2);
real_sample!(u32, DataType::U32, 4);
real_sample!(i32, DataType::I32, 4);
real_sample!(f32, DataType::F32, 4);
real_sample!(f64, DataType::F64, 8);

macro_rules! complex_sample {
    ($t:ty, $dt:expr, $n:literal) => {
        impl sealed::Sealed for Complex<$t> {}
        impl Sample for Complex<$t> {
            const DATA_TYPE: DataType = $dt;
            fn from_ne_slice(b: &[u8]) -> Self {
                let mut re = [0u8; $n];
                let mut im = [0u8; $n];
                re.copy_from_slice(&b[..$n]);
                im.copy_from_slice(&b[$n..2 * $n]);
                Complex::new(<$t>::from_ne_bytes(re), <$t>::from_ne_bytes(im))
            }
            fn put_le(self, out: &mut [u8]) {
                out[..$n].copy_from_slice(&self.re.to_le_bytes());
                out[$n..2 * $n].copy_from_slice(&self.im.to_le_bytes());
            }
            fn to_f64(self) -> f64 {
                f64::NAN
            }
        }
    };
}

complex_sample!(i16, DataType::CInt16, 2);
complex_sample!(f32, DataType::CFloat32, 4);

/// Options for [`write_bands`]: compression, predictor, strips or tiles,
/// interleaving, BigTIFF. The default is Deflate (level 6) with predictor,
/// strips of about 256 KiB, band-interleaved, classic TIFF unless the file
/// exceeds 4 GiB.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOptions {
    compression: Compression,
    predictor: bool,
    deflate_level: u32,
    tile_size: Option<usize>,
    rows_per_strip: Option<usize>,
    interleave: Interleave,
    bigtiff: bool,
    metadata: Option<GdalMetadata>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            compression: Compression::Deflate,
            predictor: true,
            deflate_level: 6,
            tile_size: None,
            rows_per_strip: None,
            interleave: Interleave::Band,
            bigtiff: false,
            metadata: None,
        }
    }
}

impl WriteOptions {
    /// Compression of the pixel data (default Deflate).
    pub fn compression(mut self, c: Compression) -> Self {
        self.compression = c;
        self
    }

    /// Use a predictor when compressing (default true): floating point (3)
    /// for float samples, horizontal (2) for integers, none for complex.
    pub fn predictor(mut self, on: bool) -> Self {
        self.predictor = on;
        self
    }

    /// Deflate level 0–9 (default 6).
    pub fn deflate_level(mut self, level: u32) -> Self {
        self.deflate_level = level;
        self
    }

    /// Write square tiles of `size` pixels (a multiple of 16) instead of strips.
    pub fn tile_size(mut self, size: usize) -> Self {
        self.tile_size = Some(size);
        self
    }

    /// Rows per strip for striped files (default: strips of about 256 KiB).
    pub fn rows_per_strip(mut self, rows: usize) -> Self {
        self.rows_per_strip = Some(rows);
        self
    }

    /// Band arrangement of multi-band files (default [`Interleave::Band`]).
    pub fn interleave(mut self, i: Interleave) -> Self {
        self.interleave = i;
        self
    }

    /// Always write BigTIFF (default false: only when the file exceeds 4 GiB).
    pub fn bigtiff(mut self, on: bool) -> Self {
        self.bigtiff = on;
        self
    }

    /// Write `md` into the file as GDAL's metadata tag (42112,
    /// `GDAL_METADATA`), which GDAL and rasterio read as dataset tags, band
    /// descriptions and units (default: no tag). Band entries past the
    /// number of bands written are refused by the write.
    pub fn metadata(mut self, md: GdalMetadata) -> Self {
        self.metadata = (!md.is_empty()).then_some(md);
        self
    }

    /// Check the options; [`SarError::InvalidParameter`] names the bad one.
    pub fn check(&self) -> Result<()> {
        if self.deflate_level > 9 {
            return Err(SarError::InvalidParameter {
                name: "deflate_level",
                reason: format!("{} is not in 0..=9", self.deflate_level),
            });
        }
        if let Some(t) = self.tile_size {
            if t == 0 || t % 16 != 0 || t > 65536 {
                return Err(SarError::InvalidParameter {
                    name: "tile_size",
                    reason: format!("{t} must be a positive multiple of 16 up to 65536"),
                });
            }
            if self.rows_per_strip.is_some() {
                return Err(SarError::InvalidParameter {
                    name: "rows_per_strip",
                    reason: "strips and tiles cannot both be chosen".into(),
                });
            }
        }
        if self.rows_per_strip == Some(0) {
            return Err(SarError::InvalidParameter {
                name: "rows_per_strip",
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}

/// Environment variable that sets the memory ceiling of GeoTIFF reads
/// (bytes, or with a suffix `K`, `M`, `G`, `T` in powers of 1024, e.g. `8G`).
pub const MEMORY_LIMIT_ENV: &str = "CRYOSAR_MAX_MEMORY";

/// Ceiling set by [`set_memory_limit`] (0: not set).
static MEMORY_LIMIT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Default memory ceiling when neither [`set_memory_limit`] nor
/// [`MEMORY_LIMIT_ENV`] sets one: half the machine's physical memory as
/// `/proc/meminfo` reports it, or 8 GiB where that cannot be read.
fn default_memory_limit() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib.saturating_mul(1024) / 2)
        })
        .unwrap_or(8 << 30)
}

/// Parse a memory size: bytes, or a number with a suffix `K`, `M`, `G`,
/// `T` (powers of 1024, an optional trailing `B` or `iB`). `None` if it is
/// not a positive size.
pub fn parse_memory_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let t = s
        .strip_suffix("iB")
        .or_else(|| s.strip_suffix('B'))
        .unwrap_or(s);
    let (num, mult) = match t.char_indices().last()? {
        (i, 'k' | 'K') => (&t[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&t[..i], 1 << 20),
        (i, 'g' | 'G') => (&t[..i], 1 << 30),
        (i, 't' | 'T') => (&t[..i], 1 << 40),
        _ => (t, 1),
    };
    let v: f64 = num.trim().parse().ok()?;
    let bytes = v * mult as f64;
    (v.is_finite() && v > 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// Set the memory ceiling of GeoTIFF reads in bytes (0 restores the
/// default). Overrides [`MEMORY_LIMIT_ENV`].
pub fn set_memory_limit(bytes: u64) {
    MEMORY_LIMIT.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

/// The memory ceiling of GeoTIFF reads in bytes: the value of
/// [`set_memory_limit`], else of [`MEMORY_LIMIT_ENV`], else half the
/// physical memory (8 GiB if unknown).
pub fn memory_limit() -> u64 {
    match MEMORY_LIMIT.load(std::sync::atomic::Ordering::Relaxed) {
        0 => std::env::var(MEMORY_LIMIT_ENV)
            .ok()
            .and_then(|v| parse_memory_size(&v))
            .unwrap_or_else(default_memory_limit),
        v => v,
    }
}

/// A byte count for people: `12.8 GB`.
fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.0} kB", (b / 1e3).max(1.0))
    }
}

/// Check that working on `info`'s image with `bytes_per_pixel` bytes of
/// memory per pixel (every band, copy and output the caller will hold, e.g.
/// 8 for one `f64` band) stays under [`memory_limit`]; else
/// [`SarError::UnsupportedTiff`] saying how much the file would need.
pub fn check_memory(
    path: impl AsRef<Path>,
    info: &GeoTiffInfo,
    bytes_per_pixel: u64,
) -> Result<()> {
    let need = (info.width as u64)
        .checked_mul(info.height as u64)
        .and_then(|n| n.checked_mul(bytes_per_pixel))
        .unwrap_or(u64::MAX);
    let limit = memory_limit();
    if need > limit {
        return Err(SarError::UnsupportedTiff {
            path: path.as_ref().display().to_string(),
            what: format!(
                "this file ({}×{} px) would need {} of memory; the ceiling is {} (raise it with {MEMORY_LIMIT_ENV}=16G or --max-memory, or crop the file)",
                info.width,
                info.height,
                human_bytes(need),
                human_bytes(limit)
            ),
        });
    }
    Ok(())
}

/// An open file with its layout and metadata.
struct Opened {
    file: TiffFile,
    layout: Layout,
    info: GeoTiffInfo,
}

impl Opened {
    /// The window of the whole image.
    fn full_window(&self) -> Window {
        Window::new(0, 0, self.info.height, self.info.width)
    }

    /// [`SarError::OutOfBounds`] naming the file if `win` is empty or does
    /// not lie inside the image.
    fn check_window(&self, win: Window) -> Result<()> {
        let fits = |start: usize, len: usize, n: usize| {
            len > 0 && start.checked_add(len).is_some_and(|end| end <= n)
        };
        if fits(win.row0, win.rows, self.info.height) && fits(win.col0, win.cols, self.info.width) {
            return Ok(());
        }
        Err(SarError::OutOfBounds(format!(
            "window rows {}..{} cols {}..{} ({} × {} px) does not fit {}, which has {} rows and {} columns{}",
            win.row0,
            win.row0.saturating_add(win.rows),
            win.col0,
            win.col0.saturating_add(win.cols),
            win.rows,
            win.cols,
            self.file.path,
            self.info.height,
            self.info.width,
            if win.rows == 0 || win.cols == 0 {
                " (and the window is empty)"
            } else {
                ""
            }
        )))
    }
}

/// A rectangular window of pixels: first row and column (0-based, from the
/// top-left pixel) and size, as GDAL's `-srcwin col0 row0 cols rows`
/// (note GDAL's column-first order) and rasterio's
/// `Window(col_off, row_off, width, height)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// First row (0-based).
    pub row0: usize,
    /// First column (0-based).
    pub col0: usize,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
}

impl Window {
    /// The window of `rows × cols` pixels whose top-left pixel is
    /// `(row0, col0)`.
    pub fn new(row0: usize, col0: usize, rows: usize, cols: usize) -> Self {
        Window {
            row0,
            col0,
            rows,
            cols,
        }
    }

    /// Rows `row0..row0 + rows`, one past the last row.
    pub fn row_end(&self) -> usize {
        self.row0.saturating_add(self.rows)
    }

    /// Columns `col0..col0 + cols`, one past the last column.
    pub fn col_end(&self) -> usize {
        self.col0.saturating_add(self.cols)
    }

    /// This window grown by `halo` pixels on every side and clipped to an
    /// image of `height × width` pixels.
    pub fn grown(&self, halo: usize, height: usize, width: usize) -> Window {
        let r0 = self.row0.saturating_sub(halo);
        let c0 = self.col0.saturating_sub(halo);
        let r1 = self.row_end().saturating_add(halo).min(height);
        let c1 = self.col_end().saturating_add(halo).min(width);
        Window::new(r0, c0, r1.saturating_sub(r0), c1.saturating_sub(c0))
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rows {}..{} cols {}..{}",
            self.row0,
            self.row_end(),
            self.col0,
            self.col_end()
        )
    }
}

/// As [`check_memory`], for a window of `win.rows × win.cols` pixels.
fn check_window_memory(path: &str, win: Window, bytes_per_pixel: u64) -> Result<()> {
    let need = (win.rows as u64)
        .checked_mul(win.cols as u64)
        .and_then(|n| n.checked_mul(bytes_per_pixel))
        .unwrap_or(u64::MAX);
    let limit = memory_limit();
    if need > limit {
        return Err(SarError::UnsupportedTiff {
            path: path.to_string(),
            what: format!(
                "the window {win} ({}×{} px) would need {} of memory; the ceiling is {} (raise it with {MEMORY_LIMIT_ENV}=16G or --max-memory, or read a smaller window)",
                win.cols,
                win.rows,
                human_bytes(need),
                human_bytes(limit)
            ),
        });
    }
    Ok(())
}

fn open(path: &Path) -> Result<Opened> {
    let mut file = TiffFile::open(path)?;
    let ifd = file.first_ifd()?;
    let layout = Layout::from_ifd(&file, &ifd)?;
    let georef = geokeys::read_georef(&file, &ifd)?;
    let nodata =
        match ifd.ascii(tag::GDAL_NODATA)? {
            None => None,
            Some(s) => {
                let s = s.trim();
                Some(s.parse::<f64>().map_err(|_| {
                    file.corrupt(format!("GDAL_NODATA value '{s}' is not a number"))
                })?)
            }
        };
    let (metadata, metadata_error) = match ifd.ascii(tag::GDAL_METADATA) {
        Ok(None) => (GdalMetadata::default(), None),
        Ok(Some(xml)) => match GdalMetadata::from_xml(&xml, layout.spp) {
            Ok(md) => (md, None),
            Err(e) => (GdalMetadata::default(), Some(e)),
        },
        Err(e) => (GdalMetadata::default(), Some(e.to_string())),
    };
    let info = GeoTiffInfo {
        width: layout.width,
        height: layout.height,
        bands: layout.spp,
        data_type: layout.data_type,
        grid: Grid::new(layout.height, layout.width, georef.transform, georef.crs),
        nodata,
        compression: layout.compression,
        predictor: layout.predictor,
        interleave: layout.interleave,
        tiled: layout.tiled,
        block_shape: (layout.chunk_h, layout.chunk_w),
        pixel_is_point: georef.pixel_is_point,
        gcp_count: georef.gcp_count,
        bigtiff: file.bigtiff,
        big_endian: file.big_endian,
        geokeys: georef
            .keys
            .iter()
            .map(|(k, v)| (*k, v.to_string()))
            .collect(),
        metadata,
        metadata_error,
    };
    Ok(Opened { file, layout, info })
}

/// Decode `bands` of the opened file, converting each sample with `conv`
/// (which receives its native-endian bytes).
fn decode_with<O, C>(
    o: &mut Opened,
    bands: &[usize],
    parallel: bool,
    conv: C,
) -> Result<Vec<Vec<O>>>
where
    O: Copy + Default + Send,
    C: Fn(&[u8]) -> O + Sync,
{
    let full = o.full_window();
    decode_window_with(o, bands, parallel, conv, full)
}

/// As [`decode_with`], for the pixel window `win` (checked by
/// [`Opened::check_window`]) only.
fn decode_window_with<O, C>(
    o: &mut Opened,
    bands: &[usize],
    parallel: bool,
    conv: C,
    win: Window,
) -> Result<Vec<Vec<O>>>
where
    O: Copy + Default + Send,
    C: Fn(&[u8]) -> O + Sync,
{
    // Memory of the decoded bands plus one batch of decoded chunks.
    let per_pixel = (std::mem::size_of::<O>() * bands.len().max(1)) as u64;
    if win == o.full_window() {
        check_memory(&o.file.path, &o.info, per_pixel)?;
    } else {
        check_window_memory(&o.file.path, win, per_pixel)?;
    }
    for &b in bands {
        if b >= o.info.bands {
            return Err(SarError::InvalidParameter {
                name: "band",
                reason: format!(
                    "band {b} does not exist: {} has {} band(s), numbered from 0",
                    o.file.path, o.info.bands
                ),
            });
        }
    }
    let rect = decode::PixelRect {
        row0: win.row0,
        col0: win.col0,
        rows: win.rows,
        cols: win.cols,
    };
    o.layout
        .decode_window(&mut o.file, bands, o.info.nodata, parallel, conv, rect)
}

/// Read the metadata of a GeoTIFF: shape, bands, sample type, grid, no-data
/// and layout. Only the header and tags are read.
pub fn read_info(path: impl AsRef<Path>) -> Result<GeoTiffInfo> {
    Ok(open(path.as_ref())?.info)
}

/// A float type that real bands can be read into.
trait RealOut: Copy {
    fn from_f64(v: f64) -> Self;
}
impl RealOut for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
}
impl RealOut for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

/// Decode `bands` of a real-valued file as `F`, no-data → NaN.
fn real_bands<F: RealOut + Default + Send>(
    o: &mut Opened,
    bands: &[usize],
    parallel: bool,
) -> Result<Vec<Vec<F>>> {
    let full = o.full_window();
    real_bands_window(o, bands, parallel, full)
}

/// As [`real_bands`], for the pixel window `win` only.
fn real_bands_window<F: RealOut + Default + Send>(
    o: &mut Opened,
    bands: &[usize],
    parallel: bool,
    win: Window,
) -> Result<Vec<Vec<F>>> {
    fn go<S: Sample, F: RealOut + Default + Send>(
        o: &mut Opened,
        bands: &[usize],
        parallel: bool,
        win: Window,
    ) -> Result<Vec<Vec<F>>> {
        let nd = o.info.nodata.filter(|v| !v.is_nan());
        decode_window_with(
            o,
            bands,
            parallel,
            move |c: &[u8]| {
                let v = S::from_ne_slice(c).to_f64();
                if Some(v) == nd {
                    F::from_f64(f64::NAN)
                } else {
                    F::from_f64(v)
                }
            },
            win,
        )
    }
    ensure_real(o)?;
    match o.info.data_type {
        DataType::U8 => go::<u8, F>(o, bands, parallel, win),
        DataType::I8 => go::<i8, F>(o, bands, parallel, win),
        DataType::U16 => go::<u16, F>(o, bands, parallel, win),
        DataType::I16 => go::<i16, F>(o, bands, parallel, win),
        DataType::U32 => go::<u32, F>(o, bands, parallel, win),
        DataType::I32 => go::<i32, F>(o, bands, parallel, win),
        DataType::F32 => go::<f32, F>(o, bands, parallel, win),
        DataType::F64 => go::<f64, F>(o, bands, parallel, win),
        DataType::CInt16 | DataType::CFloat32 => Err(SarError::DataType(format!(
            "{} holds complex samples",
            o.file.path
        ))),
    }
}

fn make_raster<T>(o: &Opened, data: Vec<T>) -> Result<Raster<T>> {
    let full = o.full_window();
    make_window_raster(o, data, full)
}

/// The raster of window `win` of the file: `data` on the window's grid.
fn make_window_raster<T>(o: &Opened, data: Vec<T>, win: Window) -> Result<Raster<T>> {
    let arr =
        Array2::from_shape_vec((win.rows, win.cols), data).map_err(|e| SarError::CorruptTiff {
            path: o.file.path.clone(),
            what: format!("decoded band has the wrong size: {e}"),
        })?;
    let grid = if win == o.full_window() {
        o.info.grid.clone()
    } else {
        o.info.grid.window(win.row0, win.col0, win.rows, win.cols)?
    };
    Ok(Raster::new(arr, grid)?.with_nodata(o.info.nodata))
}

/// [`SarError::DataType`] if the file holds complex samples.
fn ensure_real(o: &Opened) -> Result<()> {
    let dt = o.info.data_type;
    if dt.is_complex() {
        return Err(SarError::DataType(format!(
            "{} holds complex {dt} samples; read them with geotiff::read_complex32",
            o.file.path
        )));
    }
    Ok(())
}

fn read_real<F: RealOut + Default + Send>(path: &Path, band: usize) -> Result<Raster<F>> {
    let mut o = open(path)?;
    let data = real_bands::<F>(&mut o, &[band], true)?;
    let data = data.into_iter().next().unwrap_or_default();
    make_raster(&o, data)
}

/// Read band `band` (0-based) as `f64`, from any real sample type.
///
/// Pixels equal to the file's no-data value become NaN (for integer files
/// too); [`Raster::nodata`] keeps the file's value. Complex files give
/// [`SarError::DataType`]; use [`read_complex32`].
pub fn read_f64(path: impl AsRef<Path>, band: usize) -> Result<Raster<f64>> {
    read_real::<f64>(path.as_ref(), band)
}

/// Read band `band` (0-based) as `f32`, from any real sample type (f64 and
/// 32-bit integer values are rounded to the nearest `f32`). No-data pixels
/// become NaN, as in [`read_f64`].
pub fn read_f32(path: impl AsRef<Path>, band: usize) -> Result<Raster<f32>> {
    read_real::<f32>(path.as_ref(), band)
}

/// Read every band as `f64` in one pass (no-data → NaN, as in [`read_f64`]).
pub fn read_all_f64(path: impl AsRef<Path>) -> Result<Vec<Raster<f64>>> {
    let mut o = open(path.as_ref())?;
    let bands: Vec<usize> = (0..o.info.bands).collect();
    real_bands::<f64>(&mut o, &bands, true)?
        .into_iter()
        .map(|data| make_raster(&o, data))
        .collect()
}

/// Read the pixel window `window` of band `band` (0-based) as `f64`, as
/// [`read_f64`] does for the whole image: the raster's [`Grid`] is the
/// window's (origin moved to the window's top-left corner, pixel size,
/// rotation and CRS kept), no-data pixels become NaN.
///
/// Only the strips or tiles that intersect the window are read and
/// decompressed, and memory grows with the window, not the file (plus the
/// decoded strips or tiles of one batch), so per-tile and per-glacier jobs
/// can read their part of a large mosaic. The result equals the same
/// window cropped from a whole-image read, bit for bit.
///
/// # Errors
/// [`SarError::OutOfBounds`] naming the file if the window is empty or
/// reaches outside the image; otherwise as [`read_f64`].
///
/// ```
/// use ndarray::Array2;
/// use sar_core::{geotiff, geotiff::Window, Crs, Grid, Raster};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("dem.tif");
/// let grid = Grid::north_up(300, 200, 500_000.0, 4_100_000.0, 30.0, 30.0, Crs::epsg(32643));
/// let dem = Raster::new(Array2::from_shape_fn((300, 200), |(r, c)| (r * 1000 + c) as f64), grid)?;
/// geotiff::write_f64(&path, &dem)?;
///
/// let w = geotiff::read_window_f64(&path, 0, Window::new(100, 50, 20, 30))?;
/// assert_eq!(w.shape(), (20, 30));
/// assert_eq!(w.data[[0, 0]], 100_050.0);
/// // the window's top-left corner: 50 columns east, 100 rows south
/// assert_eq!(w.grid.transform.0[0], 500_000.0 + 50.0 * 30.0);
/// assert_eq!(w.grid.transform.0[3], 4_100_000.0 - 100.0 * 30.0);
/// assert!(geotiff::read_window_f64(&path, 0, Window::new(290, 0, 20, 10)).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_window_f64(path: impl AsRef<Path>, band: usize, window: Window) -> Result<Raster<f64>> {
    read_real_window::<f64>(path.as_ref(), band, window)
}

/// Read the pixel window `window` of band `band` (0-based) as `f32`; as
/// [`read_window_f64`] (values as in [`read_f32`]).
pub fn read_window_f32(path: impl AsRef<Path>, band: usize, window: Window) -> Result<Raster<f32>> {
    read_real_window::<f32>(path.as_ref(), band, window)
}

/// Read the pixel window `window` of band `band` (0-based) with its
/// samples unconverted, as [`read_band`] does for the whole image; the grid
/// is the window's, as in [`read_window_f64`].
pub fn read_window_band<T: Sample>(
    path: impl AsRef<Path>,
    band: usize,
    window: Window,
) -> Result<Raster<T>> {
    let mut o = open(path.as_ref())?;
    o.check_window(window)?;
    if o.info.data_type != T::DATA_TYPE {
        return Err(SarError::DataType(format!(
            "{} holds {} samples, not {}; read_window_f64 converts any real type",
            o.file.path,
            o.info.data_type,
            T::DATA_TYPE
        )));
    }
    let data = decode_window_with(&mut o, &[band], true, T::from_ne_slice, window)?;
    make_window_raster(&o, data.into_iter().next().unwrap_or_default(), window)
}

fn read_real_window<F: RealOut + Default + Send>(
    path: &Path,
    band: usize,
    window: Window,
) -> Result<Raster<F>> {
    let mut o = open(path)?;
    o.check_window(window)?;
    let data = real_bands_window::<F>(&mut o, &[band], true, window)?;
    make_window_raster(&o, data.into_iter().next().unwrap_or_default(), window)
}

/// Read band `band` (0-based) of a complex file (complex int16 or complex
/// float32) as `Complex32`. Real files give [`SarError::DataType`].
pub fn read_complex32(
    path: impl AsRef<Path>,
    band: usize,
) -> Result<Raster<num_complex::Complex32>> {
    let mut o = open(path.as_ref())?;
    let dt = o.info.data_type;
    if !dt.is_complex() {
        return Err(SarError::DataType(format!(
            "{} holds real {dt} samples, not complex ones; read them with geotiff::read_f32",
            o.file.path
        )));
    }
    let data = if dt == DataType::CInt16 {
        decode_with(&mut o, &[band], true, |c: &[u8]| {
            let z = Complex::<i16>::from_ne_slice(c);
            num_complex::Complex32::new(f32::from(z.re), f32::from(z.im))
        })?
    } else {
        decode_with(&mut o, &[band], true, Complex::<f32>::from_ne_slice)?
    };
    make_raster(&o, data.into_iter().next().unwrap_or_default())
}

/// Read band `band` (0-based) with its samples unconverted, in their own
/// type `T` (which must match the file's [`DataType`], else
/// [`SarError::DataType`]). No-data values are kept as they are, and
/// [`Raster::nodata`] is the file's value.
pub fn read_band<T: Sample>(path: impl AsRef<Path>, band: usize) -> Result<Raster<T>> {
    let mut o = open(path.as_ref())?;
    if o.info.data_type != T::DATA_TYPE {
        return Err(SarError::DataType(format!(
            "{} holds {} samples, not {}; read_f64 converts any real type",
            o.file.path,
            o.info.data_type,
            T::DATA_TYPE
        )));
    }
    let data = decode_with(&mut o, &[band], true, T::from_ne_slice)?;
    make_raster(&o, data.into_iter().next().unwrap_or_default())
}

/// Read band `band` (0-based) of a `u8` (GDAL `Byte`) file, e.g. a mask or a
/// class map. Shorthand for `read_band::<u8>`.
pub fn read_u8(path: impl AsRef<Path>, band: usize) -> Result<Raster<u8>> {
    read_band::<u8>(path, band)
}

/// Write `bands` (all on the same grid, with the same no-data) as one
/// GeoTIFF with options `opts`. See the [module docs](self) for how no-data
/// and georeferencing are written. The write is atomic.
pub fn write_bands<T: Sample>(
    path: impl AsRef<Path>,
    bands: &[Raster<T>],
    opts: &WriteOptions,
) -> Result<()> {
    write::write_image(path.as_ref(), bands, opts)
}

/// Write a single-band `f64` GeoTIFF (Deflate, floating-point predictor).
/// NaN pixels are written as [`Raster::nodata`] (or NaN if `None`), which
/// is declared in `GDAL_NODATA`.
pub fn write_f64(path: impl AsRef<Path>, raster: &Raster<f64>) -> Result<()> {
    write_bands(path, std::slice::from_ref(raster), &WriteOptions::default())
}

/// Write a single-band `f32` GeoTIFF; as [`write_f64`].
pub fn write_f32(path: impl AsRef<Path>, raster: &Raster<f32>) -> Result<()> {
    write_bands(path, std::slice::from_ref(raster), &WriteOptions::default())
}

/// Write several `f64` bands on the same grid as one GeoTIFF; as [`write_f64`].
pub fn write_bands_f64(path: impl AsRef<Path>, bands: &[Raster<f64>]) -> Result<()> {
    write_bands(path, bands, &WriteOptions::default())
}

/// Write several `f32` bands on the same grid as one GeoTIFF; as [`write_f64`].
pub fn write_bands_f32(path: impl AsRef<Path>, bands: &[Raster<f32>]) -> Result<()> {
    write_bands(path, bands, &WriteOptions::default())
}

/// Write a single-band `u8` GeoTIFF (masks, classes): Deflate with the
/// horizontal predictor, `GDAL_NODATA` if [`Raster::nodata`] is set.
pub fn write_u8(path: impl AsRef<Path>, raster: &Raster<u8>) -> Result<()> {
    write_bands(path, std::slice::from_ref(raster), &WriteOptions::default())
}

#[cfg(test)]
mod window_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Crs;

    #[test]
    fn parallel_decode_equals_serial() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.tif");
        let grid = Grid::north_up(70, 45, 0.0, 0.0, 1.0, 1.0, Crs::epsg(32632));
        let bands: Vec<Raster<f32>> = (0..3)
            .map(|b| {
                Raster::new(
                    Array2::from_shape_fn((70, 45), |(r, c)| (r * 45 + c) as f32 * 0.5 + b as f32),
                    grid.clone(),
                )
                .unwrap()
            })
            .collect();
        let opts = WriteOptions::default()
            .tile_size(16)
            .interleave(Interleave::Pixel);
        write_bands(&path, &bands, &opts).unwrap();
        let mut o = open(&path).unwrap();
        let par: Vec<Vec<f32>> = real_bands(&mut o, &[0, 1, 2], true).unwrap();
        let ser: Vec<Vec<f32>> = real_bands(&mut o, &[0, 1, 2], false).unwrap();
        assert_eq!(par, ser);
        let v = &par[2];
        assert_eq!(v[45 * 69 + 44], (45 * 69 + 44) as f32 * 0.5 + 2.0);
    }
}
