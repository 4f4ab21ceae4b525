//! COSAR binary images (TerraSAR-X / TanDEM-X level-1b SSC and CoSSC), read
//! and written byte-exactly.
//!
//! Layout (DLR TX-GS-DD-3307, as GDAL's COSAR driver reads it): the file is
//! a sequence of bursts; every burst is `AS + 4` range lines of
//! `RTNB = 4·(RS + 2)` bytes, all big-endian.
//!
//! * line 1, the burst header: `BIB` (bytes in burst), `RSRI` (range sample
//!   relative index), `RS` (range samples), `AS` (azimuth samples), `BI`
//!   (burst index), `RTNB`, `TNL` (total lines of the burst, annotation
//!   included), the marker `"CSAR"` (0x43534152) at byte 28 and the format
//!   version (u32) at byte 32; the rest of the line is kept as is;
//! * line 2: two words, then per range column the first valid azimuth
//!   sample (1-based, 0 = none);
//! * line 3: the same for the last valid azimuth sample;
//! * line 4: filler, kept as is;
//! * `AS` data lines: first and last valid range sample (1-based i32), then
//!   `RS` complex samples as I/Q pairs of 16-bit words.
//!
//! **Version 1 stores int16 I/Q (TerraSAR-X SSC); version 2 stores IEEE
//! half-float I/Q (TanDEM-X CoSSC).** Readers that ignore the version decode
//! a CoSSC as garbage (sarpy issue 339, GDAL issue 6289), so the reader here
//! refuses any other version and decodes by the version it found.

use crate::error::{io_err, DemError, Result};
use half::f16;
use ndarray::Array2;
use num_complex::Complex32;
use std::path::Path;

/// The marker `"CSAR"` at byte 28 of every burst header.
pub const COSAR_MARKER: [u8; 4] = *b"CSAR";
/// Filler word of unused annotation bytes.
pub const FILLER: u32 = 0x7F7F_7F7F;

/// Sample encoding of a COSAR file, from its version word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CosarVersion {
    /// Version 1: I/Q as big-endian two's-complement int16 (TerraSAR-X).
    V1Int16,
    /// Version 2: I/Q as big-endian IEEE 754 half floats (TanDEM-X CoSSC).
    V2Float16,
}

impl CosarVersion {
    /// The version word.
    pub fn word(self) -> u32 {
        match self {
            CosarVersion::V1Int16 => 1,
            CosarVersion::V2Float16 => 2,
        }
    }
}

/// One burst of a COSAR file, with its samples kept as the raw 16-bit
/// words so that writing it back is byte-exact.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    /// Range sample relative index (`RSRI`).
    pub rsri: i32,
    /// Burst index (`BI`), 1-based.
    pub index: i32,
    /// Total lines of the burst as annotated (`TNL`).
    pub total_lines: i32,
    /// Bytes 36.. of the header line, kept as read.
    pub header_rest: Vec<u8>,
    /// The two leading words of annotation lines 2 and 3.
    pub valid_lead: [[i32; 2]; 2],
    /// Per range column, the first valid azimuth sample (1-based, 0 = none).
    pub first_valid_azimuth: Vec<i32>,
    /// Per range column, the last valid azimuth sample (1-based, 0 = none).
    pub last_valid_azimuth: Vec<i32>,
    /// The fourth annotation line, kept as read.
    pub filler_line: Vec<u8>,
    /// Per azimuth line, the first and last valid range sample (1-based; 0 = none).
    pub valid_range: Vec<(i32, i32)>,
    /// Raw I/Q words, shape `(AS, 2·RS)` (I then Q per sample).
    pub raw: Array2<u16>,
}

impl Burst {
    /// Azimuth samples (lines) of the burst.
    pub fn lines(&self) -> usize {
        self.raw.nrows()
    }
    /// Range samples of the burst.
    pub fn samples(&self) -> usize {
        self.raw.ncols() / 2
    }
}

/// A COSAR image: version and bursts.
#[derive(Debug, Clone, PartialEq)]
pub struct Cosar {
    /// Sample encoding.
    pub version: CosarVersion,
    /// The bursts, in file order (a stripmap SSC has one).
    pub bursts: Vec<Burst>,
}

fn decode(word: u16, version: CosarVersion) -> f32 {
    match version {
        CosarVersion::V1Int16 => word as i16 as f32,
        CosarVersion::V2Float16 => f16::from_bits(word).to_f32(),
    }
}

fn encode(v: f32, version: CosarVersion) -> u16 {
    match version {
        CosarVersion::V1Int16 => v.round().clamp(i16::MIN as f32, i16::MAX as f32) as i16 as u16,
        CosarVersion::V2Float16 => f16::from_f32(v).to_bits(),
    }
}

impl Cosar {
    /// Build a single- or multi-burst image from complex bursts, with the
    /// given valid-sample borders: `invalid_border = (rows, cols)` marks that
    /// many lines/samples at each edge of every burst invalid (set to zero
    /// and excluded from the valid-sample annotation).
    pub fn from_complex(
        bursts: &[Array2<Complex32>],
        version: CosarVersion,
        invalid_border: (usize, usize),
    ) -> Result<Self> {
        let mut out = Vec::with_capacity(bursts.len());
        for (bi, b) in bursts.iter().enumerate() {
            let (az, rs) = b.dim();
            let (br, bc) = invalid_border;
            if az == 0 || rs < 8 || 2 * br >= az || 2 * bc >= rs {
                return Err(DemError::InvalidParameter {
                    name: "bursts",
                    reason: format!(
                        "burst {bi} of {az}×{rs} samples: COSAR needs at least 8 range samples (the 36-byte header fills one line) and room for an invalid border of {br}×{bc}"
                    ),
                });
            }
            let mut raw = Array2::<u16>::zeros((az, 2 * rs));
            for ((r, c), v) in b.indexed_iter() {
                let inside = r >= br && r < az - br && c >= bc && c < rs - bc;
                let v = if inside { *v } else { Complex32::new(0.0, 0.0) };
                raw[[r, 2 * c]] = encode(v.re, version);
                raw[[r, 2 * c + 1]] = encode(v.im, version);
            }
            let rtnb = 4 * (rs + 2);
            let mut header_rest = Vec::with_capacity(rtnb - 36);
            while header_rest.len() + 36 < rtnb {
                header_rest.extend_from_slice(&FILLER.to_be_bytes());
            }
            header_rest.truncate(rtnb - 36);
            out.push(Burst {
                rsri: 1,
                index: bi as i32 + 1,
                total_lines: (az + 4) as i32,
                header_rest,
                valid_lead: [[0, 0], [0, 0]],
                first_valid_azimuth: (0..rs)
                    .map(|c| {
                        if c >= bc && c < rs - bc {
                            (br + 1) as i32
                        } else {
                            0
                        }
                    })
                    .collect(),
                last_valid_azimuth: (0..rs)
                    .map(|c| {
                        if c >= bc && c < rs - bc {
                            (az - br) as i32
                        } else {
                            0
                        }
                    })
                    .collect(),
                filler_line: FILLER.to_be_bytes().repeat(rs + 2),
                valid_range: (0..az)
                    .map(|r| {
                        if r >= br && r < az - br {
                            ((bc + 1) as i32, (rs - bc) as i32)
                        } else {
                            (0, 0)
                        }
                    })
                    .collect(),
                raw,
            });
        }
        Ok(Cosar {
            version,
            bursts: out,
        })
    }

    /// The samples of one burst as complex f32, invalid samples (outside
    /// the annotated valid range of their line) set to NaN.
    pub fn burst_complex(&self, burst: usize) -> Array2<Complex32> {
        let b = &self.bursts[burst];
        let (az, rs) = (b.lines(), b.samples());
        Array2::from_shape_fn((az, rs), |(r, c)| {
            let (f, l) = b.valid_range[r];
            let col = c as i32 + 1;
            if f == 0 || col < f || col > l {
                Complex32::new(f32::NAN, f32::NAN)
            } else {
                Complex32::new(
                    decode(b.raw[[r, 2 * c]], self.version),
                    decode(b.raw[[r, 2 * c + 1]], self.version),
                )
            }
        })
    }

    /// Serialise to bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for b in &self.bursts {
            let (az, rs) = (b.lines(), b.samples());
            let rtnb = 4 * (rs + 2);
            let bib = rtnb * (az + 4);
            for v in [
                bib as i32,
                b.rsri,
                rs as i32,
                az as i32,
                b.index,
                rtnb as i32,
                b.total_lines,
            ] {
                out.extend_from_slice(&v.to_be_bytes());
            }
            out.extend_from_slice(&COSAR_MARKER);
            out.extend_from_slice(&self.version.word().to_be_bytes());
            out.extend_from_slice(&b.header_rest);
            for (k, vals) in [&b.first_valid_azimuth, &b.last_valid_azimuth]
                .iter()
                .enumerate()
            {
                out.extend_from_slice(&b.valid_lead[k][0].to_be_bytes());
                out.extend_from_slice(&b.valid_lead[k][1].to_be_bytes());
                for v in vals.iter() {
                    out.extend_from_slice(&v.to_be_bytes());
                }
            }
            out.extend_from_slice(&b.filler_line);
            for r in 0..az {
                out.extend_from_slice(&b.valid_range[r].0.to_be_bytes());
                out.extend_from_slice(&b.valid_range[r].1.to_be_bytes());
                for w in b.raw.row(r) {
                    out.extend_from_slice(&w.to_be_bytes());
                }
            }
        }
        out
    }

    /// Parse bytes; `name` is used in error messages.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Self> {
        let err = |what: String| DemError::Cosar {
            path: name.to_string(),
            what,
        };
        let be =
            |o: usize| i32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
        let mut pos = 0usize;
        let mut bursts = Vec::new();
        let mut version = None;
        while pos < bytes.len() {
            if bytes.len() - pos < 36 {
                return Err(err(format!(
                    "truncated burst header at byte {pos}: {} bytes left, 36 needed",
                    bytes.len() - pos
                )));
            }
            if bytes[pos + 28..pos + 32] != COSAR_MARKER {
                return Err(err(format!(
                    "missing \"CSAR\" marker at byte {} (found {:?}); not a COSAR file or a corrupt burst",
                    pos + 28,
                    String::from_utf8_lossy(&bytes[pos + 28..pos + 32])
                )));
            }
            let word = u32::from_be_bytes([
                bytes[pos + 32],
                bytes[pos + 33],
                bytes[pos + 34],
                bytes[pos + 35],
            ]);
            let v = match word {
                1 => CosarVersion::V1Int16,
                2 => CosarVersion::V2Float16,
                other => {
                    return Err(err(format!(
                        "unsupported COSAR version {other} at byte {}; version 1 (int16 I/Q) and 2 (half-float I/Q) are read",
                        pos + 32
                    )))
                }
            };
            if let Some(prev) = version {
                if prev != v {
                    return Err(err(format!(
                        "burst at byte {pos} has version {word}, earlier bursts {}",
                        CosarVersion::word(prev)
                    )));
                }
            }
            version = Some(v);
            let (bib, rsri, rs, az, bi, rtnb, tnl) = (
                be(pos),
                be(pos + 4),
                be(pos + 8),
                be(pos + 12),
                be(pos + 16),
                be(pos + 20),
                be(pos + 24),
            );
            if rs < 8 || az <= 0 || rs > 1 << 20 || az > 1 << 22 {
                return Err(err(format!(
                    "implausible burst size RS = {rs}, AS = {az} at byte {pos}"
                )));
            }
            let (rs, az) = (rs as usize, az as usize);
            if rtnb as i64 != 4 * (rs as i64 + 2) {
                return Err(err(format!(
                    "RTNB = {rtnb} at byte {} but 4·(RS + 2) = {}",
                    pos + 20,
                    4 * (rs + 2)
                )));
            }
            let rtnb = rtnb as usize;
            let need = rtnb * (az + 4);
            if bib as i64 != need as i64 {
                return Err(err(format!(
                    "BIB = {bib} at byte {pos} but the burst of {az} lines needs {need} bytes"
                )));
            }
            if bytes.len() - pos < need {
                return Err(err(format!(
                    "truncated burst {bi} at byte {pos}: {} bytes left, {need} needed",
                    bytes.len() - pos
                )));
            }
            let header_rest = bytes[pos + 36..pos + rtnb].to_vec();
            let mut lead = [[0i32; 2]; 2];
            let mut valids = [Vec::with_capacity(rs), Vec::with_capacity(rs)];
            for k in 0..2 {
                let o = pos + rtnb * (k + 1);
                lead[k] = [be(o), be(o + 4)];
                for c in 0..rs {
                    valids[k].push(be(o + 8 + 4 * c));
                }
            }
            let filler_line = bytes[pos + 3 * rtnb..pos + 4 * rtnb].to_vec();
            let mut valid_range = Vec::with_capacity(az);
            let mut raw = Array2::<u16>::zeros((az, 2 * rs));
            for r in 0..az {
                let o = pos + rtnb * (4 + r);
                valid_range.push((be(o), be(o + 4)));
                for (k, w) in raw.row_mut(r).iter_mut().enumerate() {
                    let q = o + 8 + 2 * k;
                    *w = u16::from_be_bytes([bytes[q], bytes[q + 1]]);
                }
            }
            let [first_valid_azimuth, last_valid_azimuth] = valids;
            bursts.push(Burst {
                rsri,
                index: bi,
                total_lines: tnl,
                header_rest,
                valid_lead: lead,
                first_valid_azimuth,
                last_valid_azimuth,
                filler_line,
                valid_range,
                raw,
            });
            pos += need;
        }
        let version = version.ok_or_else(|| err("empty file: no burst".to_string()))?;
        Ok(Cosar { version, bursts })
    }

    /// Read a COSAR file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
        Cosar::from_bytes(&bytes, &path.display().to_string())
    }

    /// Write a COSAR file.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_bytes()).map_err(|e| io_err(path, e))
    }

    /// Read and check the version: errors if the file's version differs
    /// from `expected` (e.g. a TerraSAR-X SSC given where a CoSSC half-float
    /// image is expected).
    pub fn read_expecting(path: impl AsRef<Path>, expected: CosarVersion) -> Result<Self> {
        let path = path.as_ref();
        let c = Cosar::read(path)?;
        if c.version != expected {
            return Err(DemError::Cosar {
                path: path.display().to_string(),
                what: format!(
                    "COSAR version {} found but version {} was expected",
                    c.version.word(),
                    expected.word()
                ),
            });
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn bursts(seed: u64, shapes: &[(usize, usize)], scale: f32) -> Vec<Array2<Complex32>> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        shapes
            .iter()
            .map(|&(r, c)| {
                Array2::from_shape_fn((r, c), |_| {
                    Complex32::new(rng.gen_range(-scale..scale), rng.gen_range(-scale..scale))
                })
            })
            .collect()
    }

    #[test]
    fn v1_and_v2_round_trip_byte_exact() {
        for (seed, version, scale) in [
            (1u64, CosarVersion::V1Int16, 3000.0f32),
            (2, CosarVersion::V2Float16, 40.0),
        ] {
            let b = bursts(seed, &[(7, 11), (5, 11), (9, 11)], scale);
            let c = Cosar::from_complex(&b, version, (1, 2)).unwrap();
            let bytes = c.to_bytes();
            // Size: every burst is (AS + 4) lines of 4·(RS + 2) bytes.
            assert_eq!(bytes.len(), (7 + 5 + 9 + 3 * 4) * 4 * (11 + 2));
            let back = Cosar::from_bytes(&bytes, "mem").unwrap();
            assert_eq!(back, c);
            assert_eq!(back.to_bytes(), bytes);
            // Decoded values: exact for int16 after rounding, half-float within its precision.
            let d = back.burst_complex(0);
            assert!(d[[0, 5]].re.is_nan(), "invalid border line must be NaN");
            assert!(d[[3, 0]].re.is_nan(), "invalid border column must be NaN");
            let want = b[0][[3, 5]];
            let got = d[[3, 5]];
            let tol = match version {
                CosarVersion::V1Int16 => 0.5,
                CosarVersion::V2Float16 => scale * 2f32.powi(-10),
            };
            assert!(
                (got.re - want.re).abs() <= tol && (got.im - want.im).abs() <= tol,
                "{got} vs {want}"
            );
        }
    }

    #[test]
    fn version_decides_decoding() {
        // The same words decode differently under v1 and v2: 0x3C00 is 15360 as
        // int16 and 1.0 as half float.
        assert_eq!(decode(0x3C00, CosarVersion::V1Int16), 15360.0);
        assert_eq!(decode(0x3C00, CosarVersion::V2Float16), 1.0);
        assert_eq!(decode(0xFFFF, CosarVersion::V1Int16), -1.0);
    }

    #[test]
    fn bad_files_give_clear_errors() {
        let b = bursts(3, &[(4, 8), (4, 8)], 100.0);
        let c = Cosar::from_complex(&b, CosarVersion::V2Float16, (0, 0)).unwrap();
        let bytes = c.to_bytes();
        // Truncated second burst.
        let e = Cosar::from_bytes(&bytes[..bytes.len() - 10], "x.cos").unwrap_err();
        assert!(e.to_string().contains("truncated burst 2"), "{e}");
        // Wrong marker.
        let mut bad = bytes.clone();
        bad[28] = b'X';
        let e = Cosar::from_bytes(&bad, "x.cos").unwrap_err();
        assert!(e.to_string().contains("CSAR"), "{e}");
        // Unknown version.
        let mut bad = bytes.clone();
        bad[35] = 3;
        let e = Cosar::from_bytes(&bad, "x.cos").unwrap_err();
        assert!(e.to_string().contains("unsupported COSAR version 3"), "{e}");
        // Too short for a header.
        let e = Cosar::from_bytes(&bytes[..20], "x.cos").unwrap_err();
        assert!(e.to_string().contains("truncated burst header"), "{e}");
        // Empty.
        assert!(Cosar::from_bytes(&[], "x.cos").is_err());
        // Wrong expected version from a file.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v2.cos");
        c.write(&p).unwrap();
        let e = Cosar::read_expecting(&p, CosarVersion::V1Int16).unwrap_err();
        assert!(
            e.to_string().contains("version 2 found but version 1"),
            "{e}"
        );
        assert!(Cosar::read_expecting(&p, CosarVersion::V2Float16).is_ok());
    }
}
