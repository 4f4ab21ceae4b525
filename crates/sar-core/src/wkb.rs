//! A small reader of Well-Known Binary geometry and GeoPackage geometry
//! blobs, into [`geo`] types.
//!
//! GeoPackage stores a geometry as a header (magic `GP`, version, flags with
//! byte order and envelope size, SRS id, optional envelope; OGC 12-128r18
//! §2.1.3) followed by WKB. Both ISO WKB (type + 1000/2000/3000 for Z/M/ZM)
//! and extended WKB (flag bits 0x8000_0000 Z, 0x4000_0000 M, 0x2000_0000
//! SRID) are read; Z and M values are dropped from the 2-D geometry (a
//! point's Z is kept in [`GpkgGeometry::z`]).
//!
//! ```
//! use sar_core::wkb::read_wkb;
//! // POINT(1 2) in little-endian WKB.
//! let mut b = vec![1u8, 1, 0, 0, 0];
//! b.extend_from_slice(&1.0f64.to_le_bytes());
//! b.extend_from_slice(&2.0f64.to_le_bytes());
//! let g = read_wkb(&b)?;
//! assert_eq!(g, geo::Geometry::Point(geo::Point::new(1.0, 2.0)));
//! # Ok::<(), String>(())
//! ```

use geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};

/// A decoded GeoPackage geometry blob.
#[derive(Debug, Clone, PartialEq)]
pub struct GpkgGeometry {
    /// The SRS id of the header (a key of `gpkg_spatial_ref_sys`).
    pub srs_id: i32,
    /// The geometry; `None` for an empty geometry.
    pub geometry: Option<Geometry<f64>>,
    /// The Z value of a point geometry with Z.
    pub z: Option<f64>,
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    little: bool,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| format!("WKB truncated at byte {} (need {n} more)", self.pos))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        let s: [u8; 4] = self.take(4)?.try_into().map_err(|_| "WKB: bad u32")?;
        Ok(if self.little {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }
    fn f64(&mut self) -> Result<f64, String> {
        let s: [u8; 8] = self.take(8)?.try_into().map_err(|_| "WKB: bad f64")?;
        Ok(if self.little {
            f64::from_le_bytes(s)
        } else {
            f64::from_be_bytes(s)
        })
    }
    /// A count, checked against the bytes left (`min_bytes` per item).
    fn count(&mut self, min_bytes: usize) -> Result<usize, String> {
        let n = self.u32()? as usize;
        let left = self.b.len() - self.pos;
        if n.saturating_mul(min_bytes) > left {
            return Err(format!(
                "WKB count {n} at byte {} exceeds the {left} bytes left",
                self.pos - 4
            ));
        }
        Ok(n)
    }
}

struct Dims {
    extra: usize,
    has_z: bool,
}

fn coord(c: &mut Cursor<'_>, d: &Dims) -> Result<(Coord<f64>, Option<f64>), String> {
    let x = c.f64()?;
    let y = c.f64()?;
    let mut z = None;
    for i in 0..d.extra {
        let v = c.f64()?;
        if i == 0 && d.has_z {
            z = Some(v);
        }
    }
    Ok((Coord { x, y }, z))
}

fn ring(c: &mut Cursor<'_>, d: &Dims) -> Result<LineString<f64>, String> {
    let n = c.count(16)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(coord(c, d)?.0);
    }
    Ok(LineString(v))
}

fn geometry(
    c: &mut Cursor<'_>,
    depth: usize,
) -> Result<(Option<Geometry<f64>>, Option<f64>), String> {
    if depth > 32 {
        return Err("WKB nested too deeply".into());
    }
    c.little = match c.u8()? {
        0 => false,
        1 => true,
        o => return Err(format!("WKB byte order {o} (0 or 1 expected)")),
    };
    let raw = c.u32()?;
    let mut has_z = raw & 0x8000_0000 != 0;
    let mut has_m = raw & 0x4000_0000 != 0;
    if raw & 0x2000_0000 != 0 {
        c.u32()?; // EWKB SRID
    }
    let t = raw & 0x0FFF_FFFF;
    let (base, iso) = (t % 1000, t / 1000);
    match iso {
        0 => {}
        1 => has_z = true,
        2 => has_m = true,
        3 => {
            has_z = true;
            has_m = true;
        }
        _ => return Err(format!("WKB geometry type {raw} not understood")),
    }
    let d = Dims {
        extra: usize::from(has_z) + usize::from(has_m),
        has_z,
    };
    let g = match base {
        1 => {
            let (p, z) = coord(c, &d)?;
            if p.x.is_nan() && p.y.is_nan() {
                return Ok((None, None));
            }
            return Ok((Some(Geometry::Point(Point(p))), z));
        }
        2 => Geometry::LineString(ring(c, &d)?),
        3 => {
            let n = c.count(4)?;
            let mut rings = Vec::with_capacity(n);
            for _ in 0..n {
                rings.push(ring(c, &d)?);
            }
            if rings.is_empty() {
                return Ok((None, None));
            }
            let ext = rings.remove(0);
            Geometry::Polygon(Polygon::new(ext, rings))
        }
        4..=7 => {
            let n = c.count(5)?;
            let mut parts = Vec::with_capacity(n);
            for _ in 0..n {
                let little = c.little;
                let (g, _) = geometry(c, depth + 1)?;
                c.little = little;
                if let Some(g) = g {
                    parts.push(g);
                }
            }
            match base {
                4 => Geometry::MultiPoint(MultiPoint(
                    parts
                        .into_iter()
                        .filter_map(|g| match g {
                            Geometry::Point(p) => Some(p),
                            _ => None,
                        })
                        .collect(),
                )),
                5 => Geometry::MultiLineString(MultiLineString(
                    parts
                        .into_iter()
                        .filter_map(|g| match g {
                            Geometry::LineString(l) => Some(l),
                            _ => None,
                        })
                        .collect(),
                )),
                6 => Geometry::MultiPolygon(MultiPolygon(
                    parts
                        .into_iter()
                        .filter_map(|g| match g {
                            Geometry::Polygon(p) => Some(p),
                            _ => None,
                        })
                        .collect(),
                )),
                _ => Geometry::GeometryCollection(GeometryCollection(parts)),
            }
        }
        _ => return Err(format!("WKB geometry type {raw} not supported")),
    };
    Ok((Some(g), None))
}

/// Decode a WKB (ISO or extended) geometry; an empty geometry is an error.
///
/// # Errors
/// A message naming the byte where decoding failed.
pub fn read_wkb(bytes: &[u8]) -> Result<Geometry<f64>, String> {
    let mut c = Cursor {
        b: bytes,
        pos: 0,
        little: true,
    };
    geometry(&mut c, 0)?
        .0
        .ok_or_else(|| "empty WKB geometry".to_string())
}

/// Decode a GeoPackage geometry blob (header + WKB).
///
/// # Errors
/// A message if the magic, flags or WKB are invalid or truncated.
pub fn read_gpkg_geometry(bytes: &[u8]) -> Result<GpkgGeometry, String> {
    if bytes.len() < 8 || &bytes[..2] != b"GP" {
        return Err("GeoPackage geometry blob without `GP` magic".into());
    }
    let flags = bytes[3];
    let little = flags & 1 == 1;
    let env = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(format!("GeoPackage envelope indicator {e} invalid")),
    };
    let s: [u8; 4] = bytes[4..8].try_into().map_err(|_| "bad header")?;
    let srs_id = if little {
        i32::from_le_bytes(s)
    } else {
        i32::from_be_bytes(s)
    };
    let start = 8 + env;
    if flags & 0b1_0000 != 0 || bytes.len() <= start {
        return Ok(GpkgGeometry {
            srs_id,
            geometry: None,
            z: None,
        });
    }
    let mut c = Cursor {
        b: &bytes[start..],
        pos: 0,
        little: true,
    };
    let (geometry, z) = geometry(&mut c, 0)?;
    Ok(GpkgGeometry {
        srs_id,
        geometry,
        z,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le_polygon_z() -> Vec<u8> {
        // ISO PolygonZ (1003), one ring of 4 points, big-endian to test both orders.
        let mut b = vec![0u8];
        b.extend_from_slice(&1003u32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&4u32.to_be_bytes());
        for (x, y) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)] {
            for v in [x, y, 5.0f64] {
                b.extend_from_slice(&v.to_be_bytes());
            }
        }
        b
    }

    #[test]
    fn polygon_z_big_endian_and_gpkg_header() {
        let g = read_wkb(&le_polygon_z()).unwrap();
        match g {
            Geometry::Polygon(p) => assert_eq!(p.exterior().0.len(), 4),
            other => panic!("{other:?}"),
        }
        let mut blob = b"GP".to_vec();
        blob.push(0);
        blob.push(0b0000_0011); // little-endian header, 32-byte envelope
        blob.extend_from_slice(&4326i32.to_le_bytes());
        blob.extend_from_slice(&[0u8; 32]);
        blob.extend_from_slice(&le_polygon_z());
        let gg = read_gpkg_geometry(&blob).unwrap();
        assert_eq!(gg.srs_id, 4326);
        assert!(matches!(gg.geometry, Some(Geometry::Polygon(_))));
    }

    #[test]
    fn truncated_and_bogus_input_are_errors() {
        let b = le_polygon_z();
        for n in [0, 1, 5, 9, 20, b.len() - 1] {
            assert!(read_wkb(&b[..n]).is_err(), "prefix {n}");
        }
        // A huge ring count must not allocate gigabytes.
        let mut h = vec![1u8];
        h.extend_from_slice(&2u32.to_le_bytes());
        h.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_wkb(&h).is_err());
        assert!(read_gpkg_geometry(b"XX123456").is_err());
    }
}
