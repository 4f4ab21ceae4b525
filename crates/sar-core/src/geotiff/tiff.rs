//! The TIFF container: header, first image file directory (IFD) and tag
//! values, for classic TIFF and BigTIFF in either byte order.
//!
//! Every offset and length read from the file is checked against the file
//! size with checked arithmetic before anything is allocated or read, so a
//! corrupt file gives [`SarError::CorruptTiff`] and never a panic or a giant
//! allocation.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::{Result, SarError};

/// Tag numbers used by the reader and the writer.
pub(crate) mod tag {
    pub const IMAGE_WIDTH: u16 = 256;
    pub const IMAGE_LENGTH: u16 = 257;
    pub const BITS_PER_SAMPLE: u16 = 258;
    pub const COMPRESSION: u16 = 259;
    pub const PHOTOMETRIC: u16 = 262;
    pub const STRIP_OFFSETS: u16 = 273;
    pub const SAMPLES_PER_PIXEL: u16 = 277;
    pub const ROWS_PER_STRIP: u16 = 278;
    pub const STRIP_BYTE_COUNTS: u16 = 279;
    pub const PLANAR_CONFIGURATION: u16 = 284;
    pub const PREDICTOR: u16 = 317;
    pub const TILE_WIDTH: u16 = 322;
    pub const TILE_LENGTH: u16 = 323;
    pub const TILE_OFFSETS: u16 = 324;
    pub const TILE_BYTE_COUNTS: u16 = 325;
    pub const EXTRA_SAMPLES: u16 = 338;
    pub const SAMPLE_FORMAT: u16 = 339;
    pub const MODEL_PIXEL_SCALE: u16 = 33550;
    pub const MODEL_TIEPOINT: u16 = 33922;
    pub const MODEL_TRANSFORMATION: u16 = 34264;
    pub const GEO_KEY_DIRECTORY: u16 = 34735;
    pub const GEO_DOUBLE_PARAMS: u16 = 34736;
    pub const GEO_ASCII_PARAMS: u16 = 34737;
    pub const GDAL_METADATA: u16 = 42112;
    pub const GDAL_NODATA: u16 = 42113;
}

/// Field types of TIFF 6.0 and BigTIFF.
pub(crate) mod ty {
    pub const BYTE: u16 = 1;
    pub const ASCII: u16 = 2;
    pub const SHORT: u16 = 3;
    pub const LONG: u16 = 4;
    pub const RATIONAL: u16 = 5;
    pub const SBYTE: u16 = 6;
    pub const UNDEFINED: u16 = 7;
    pub const SSHORT: u16 = 8;
    pub const SLONG: u16 = 9;
    pub const SRATIONAL: u16 = 10;
    pub const FLOAT: u16 = 11;
    pub const DOUBLE: u16 = 12;
    pub const IFD: u16 = 13;
    pub const LONG8: u16 = 16;
    pub const SLONG8: u16 = 17;
    pub const IFD8: u16 = 18;
}

/// Size in bytes of one value of field type `t`, `None` for unknown types.
pub(crate) fn type_size(t: u16) -> Option<u64> {
    Some(match t {
        ty::BYTE | ty::ASCII | ty::SBYTE | ty::UNDEFINED => 1,
        ty::SHORT | ty::SSHORT => 2,
        ty::LONG | ty::SLONG | ty::FLOAT | ty::IFD => 4,
        ty::RATIONAL | ty::SRATIONAL | ty::DOUBLE | ty::LONG8 | ty::SLONG8 | ty::IFD8 => 8,
        _ => return None,
    })
}

/// Tags whose values the reader loads; others are skipped unread.
const WANTED: &[u16] = &[
    tag::IMAGE_WIDTH,
    tag::IMAGE_LENGTH,
    tag::BITS_PER_SAMPLE,
    tag::COMPRESSION,
    tag::PHOTOMETRIC,
    tag::STRIP_OFFSETS,
    tag::SAMPLES_PER_PIXEL,
    tag::ROWS_PER_STRIP,
    tag::STRIP_BYTE_COUNTS,
    tag::PLANAR_CONFIGURATION,
    tag::PREDICTOR,
    tag::TILE_WIDTH,
    tag::TILE_LENGTH,
    tag::TILE_OFFSETS,
    tag::TILE_BYTE_COUNTS,
    tag::SAMPLE_FORMAT,
    tag::MODEL_PIXEL_SCALE,
    tag::MODEL_TIEPOINT,
    tag::MODEL_TRANSFORMATION,
    tag::GEO_KEY_DIRECTORY,
    tag::GEO_DOUBLE_PARAMS,
    tag::GEO_ASCII_PARAMS,
    tag::GDAL_METADATA,
    tag::GDAL_NODATA,
];

/// An open TIFF file: the file handle, its length and byte order.
pub(crate) struct TiffFile {
    file: File,
    /// File length in bytes.
    pub len: u64,
    /// The file's path, for error messages.
    pub path: String,
    /// Byte order of the file ("MM").
    pub big_endian: bool,
    /// BigTIFF (version 43) rather than classic TIFF (42).
    pub bigtiff: bool,
}

/// One directory entry with its raw value bytes (in file byte order).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Field type.
    pub typ: u16,
    /// Number of values.
    pub count: u64,
    /// The value bytes, `count × type_size` long.
    pub bytes: Vec<u8>,
}

/// The first image file directory, with the values of the tags we use.
pub(crate) struct Ifd {
    entries: BTreeMap<u16, Entry>,
    big_endian: bool,
    path: String,
}

impl TiffFile {
    /// Open `path` and check the TIFF header.
    pub fn open(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| io_error(&shown, e))?;
        let len = file.metadata().map_err(|e| io_error(&shown, e))?.len();
        let mut t = TiffFile {
            file,
            len,
            path: shown,
            big_endian: false,
            bigtiff: false,
        };
        if len < 8 {
            return Err(t.corrupt(format!(
                "file is only {len} bytes long, too short for a TIFF header"
            )));
        }
        let head = t.read_at(0, 8.min(len))?;
        t.big_endian = match &head[0..2] {
            b"II" => false,
            b"MM" => true,
            _ => {
                return Err(t.corrupt(
                    "not a TIFF file: the byte-order mark is neither 'II' nor 'MM'".into(),
                ))
            }
        };
        match t.u16(&head[2..4]) {
            42 => {}
            43 => t.bigtiff = true,
            v => {
                return Err(t.corrupt(format!(
                    "not a TIFF file: version number {v} (expected 42, or 43 for BigTIFF)"
                )))
            }
        }
        Ok(t)
    }

    /// A [`SarError::CorruptTiff`] naming this file.
    pub fn corrupt(&self, what: String) -> SarError {
        SarError::CorruptTiff {
            path: self.path.clone(),
            what,
        }
    }

    /// A [`SarError::UnsupportedTiff`] naming this file.
    pub fn unsupported(&self, what: String) -> SarError {
        SarError::UnsupportedTiff {
            path: self.path.clone(),
            what,
        }
    }

    /// Read `n` bytes at `offset`, after checking that they lie in the file.
    pub fn read_at(&mut self, offset: u64, n: u64) -> Result<Vec<u8>> {
        match offset.checked_add(n) {
            Some(end) if end <= self.len => {}
            _ => {
                return Err(self.corrupt(format!(
                    "{n} bytes at offset {offset} lie beyond the end of the file ({} bytes)",
                    self.len
                )))
            }
        }
        // n <= file length, so this allocation is bounded by the file size.
        let mut buf = vec![0u8; n as usize];
        let path = self.path.clone();
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(&mut buf))
            .map_err(|e| io_error(&path, e))?;
        Ok(buf)
    }

    fn u16(&self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }

    fn u64(&self, b: &[u8]) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        if self.big_endian {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    }

    /// Parse the first IFD and load the values of the tags the reader uses.
    pub fn first_ifd(&mut self) -> Result<Ifd> {
        let (ifd_offset, count_size, entry_size, inline) = if self.bigtiff {
            let h = self.read_at(4, 12)?;
            let bytesize = self.u16(&h[0..2]);
            if bytesize != 8 {
                return Err(self.corrupt(format!(
                    "BigTIFF header gives offset size {bytesize} (expected 8)"
                )));
            }
            (self.u64(&h[4..12]), 8u64, 20u64, 8u64)
        } else {
            let h = self.read_at(4, 4)?;
            (u64::from(self.u32(&h)), 2, 12, 4)
        };
        if ifd_offset < 8 {
            return Err(self.corrupt(format!(
                "first image directory offset {ifd_offset} points into the header"
            )));
        }
        let cb = self.read_at(ifd_offset, count_size)?;
        let n = if self.bigtiff {
            self.u64(&cb)
        } else {
            u64::from(self.u16(&cb))
        };
        if n == 0 {
            return Err(self.corrupt("the image directory has no entries".into()));
        }
        let table_len = n
            .checked_mul(entry_size)
            .ok_or_else(|| self.corrupt(format!("image directory entry count {n} is too large")))?;
        let table_start = ifd_offset + count_size;
        let table = self.read_at(table_start, table_len)?;
        let mut entries = BTreeMap::new();
        for i in 0..n as usize {
            let e = &table[i * entry_size as usize..(i + 1) * entry_size as usize];
            let tag = self.u16(&e[0..2]);
            if !WANTED.contains(&tag) {
                continue;
            }
            let typ = self.u16(&e[2..4]);
            let (count, value_field) = if self.bigtiff {
                (self.u64(&e[4..12]), &e[12..20])
            } else {
                (u64::from(self.u32(&e[4..8])), &e[8..12])
            };
            let size = type_size(typ)
                .ok_or_else(|| self.corrupt(format!("tag {tag} has unknown field type {typ}")))?;
            let total = count.checked_mul(size).ok_or_else(|| {
                self.corrupt(format!("tag {tag} has an impossible value count {count}"))
            })?;
            let bytes = if total <= inline {
                value_field[..total as usize].to_vec()
            } else {
                let off = if self.bigtiff {
                    self.u64(value_field)
                } else {
                    u64::from(self.u32(value_field))
                };
                self.read_at(off, total).map_err(|_| {
                    self.corrupt(format!(
                        "the {count} values of tag {tag} at offset {off} lie beyond the end of the file ({} bytes)",
                        self.len
                    ))
                })?
            };
            entries.insert(tag, Entry { typ, count, bytes });
        }
        Ok(Ifd {
            entries,
            big_endian: self.big_endian,
            path: self.path.clone(),
        })
    }
}

/// An I/O error whose message names the file.
pub(crate) fn io_error(path: &str, e: std::io::Error) -> SarError {
    SarError::Io(std::io::Error::new(e.kind(), format!("{path}: {e}")))
}

impl Ifd {
    fn corrupt(&self, what: String) -> SarError {
        SarError::CorruptTiff {
            path: self.path.clone(),
            what,
        }
    }

    /// True if the directory has tag `t`.
    pub fn has(&self, t: u16) -> bool {
        self.entries.contains_key(&t)
    }

    fn get(&self, b: &[u8], size: usize) -> u64 {
        let mut a = [0u8; 8];
        if self.big_endian {
            a[8 - size..].copy_from_slice(&b[..size]);
            u64::from_be_bytes(a)
        } else {
            a[..size].copy_from_slice(&b[..size]);
            u64::from_le_bytes(a)
        }
    }

    /// Unsigned integer values of tag `t` (BYTE, SHORT, LONG, LONG8, IFD).
    pub fn uints(&self, t: u16) -> Result<Option<Vec<u64>>> {
        let Some(e) = self.entries.get(&t) else {
            return Ok(None);
        };
        let size = match e.typ {
            ty::BYTE | ty::UNDEFINED => 1,
            ty::SHORT => 2,
            ty::LONG | ty::IFD => 4,
            ty::LONG8 | ty::IFD8 => 8,
            other => {
                return Err(self.corrupt(format!(
                    "tag {t} has field type {other}, expected an unsigned integer type"
                )))
            }
        };
        Ok(Some(
            e.bytes
                .chunks_exact(size)
                .map(|c| self.get(c, size))
                .collect(),
        ))
    }

    /// The single (first) unsigned integer value of tag `t`.
    pub fn uint(&self, t: u16) -> Result<Option<u64>> {
        match self.uints(t)? {
            None => Ok(None),
            Some(v) => match v.first() {
                Some(&x) => Ok(Some(x)),
                None => Err(self.corrupt(format!("tag {t} has no value"))),
            },
        }
    }

    /// Real values of tag `t` (DOUBLE, FLOAT, RATIONAL and integer types).
    pub fn reals(&self, t: u16) -> Result<Option<Vec<f64>>> {
        let Some(e) = self.entries.get(&t) else {
            return Ok(None);
        };
        let v = match e.typ {
            ty::DOUBLE => e
                .bytes
                .chunks_exact(8)
                .map(|c| f64::from_bits(self.get(c, 8)))
                .collect(),
            ty::FLOAT => e
                .bytes
                .chunks_exact(4)
                .map(|c| f64::from(f32::from_bits(self.get(c, 4) as u32)))
                .collect(),
            ty::RATIONAL => e
                .bytes
                .chunks_exact(8)
                .map(|c| self.get(&c[..4], 4) as f64 / self.get(&c[4..], 4) as f64)
                .collect(),
            ty::BYTE | ty::SHORT | ty::LONG | ty::LONG8 => self
                .uints(t)?
                .unwrap_or_default()
                .into_iter()
                .map(|x| x as f64)
                .collect(),
            other => {
                return Err(self.corrupt(format!(
                    "tag {t} has field type {other}, expected a real number type"
                )))
            }
        };
        Ok(Some(v))
    }

    /// ASCII value of tag `t`, up to the first NUL.
    pub fn ascii(&self, t: u16) -> Result<Option<String>> {
        let Some(e) = self.entries.get(&t) else {
            return Ok(None);
        };
        if e.typ != ty::ASCII && e.typ != ty::BYTE && e.typ != ty::UNDEFINED {
            return Err(self.corrupt(format!("tag {t} has field type {}, expected ASCII", e.typ)));
        }
        let end = e
            .bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(e.bytes.len());
        debug_assert!(e.count as usize >= end);
        Ok(Some(String::from_utf8_lossy(&e.bytes[..end]).into_owned()))
    }
}
