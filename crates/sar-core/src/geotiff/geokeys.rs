//! GeoTIFF georeferencing: GeoKeys (CRS) and the model tags (geotransform),
//! read into a [`Grid`] and written back from one.

use super::tiff::{tag, Ifd, TiffFile};
use crate::error::Result;
use crate::grid::{Crs, GeoTransform};

/// GeoKey numbers.
pub(crate) mod key {
    pub const GT_MODEL_TYPE: u16 = 1024;
    pub const GT_RASTER_TYPE: u16 = 1025;
    pub const GT_CITATION: u16 = 1026;
    pub const GEOGRAPHIC_TYPE: u16 = 2048;
    pub const GEOG_CITATION: u16 = 2049;
    pub const PROJECTED_CS_TYPE: u16 = 3072;
    pub const PCS_CITATION: u16 = 3073;
}

/// Model type "projected" (GTModelTypeGeoKey).
pub(crate) const MODEL_PROJECTED: u16 = 1;
/// Model type "geographic" (GTModelTypeGeoKey).
pub(crate) const MODEL_GEOGRAPHIC: u16 = 2;
/// "User-defined" code in EPSG-valued GeoKeys.
pub(crate) const USER_DEFINED: u16 = 32767;
/// Prefix GDAL uses for ESRI WKT stored in a citation.
const ESRI_PE: &str = "ESRI PE String = ";

/// Georeferencing read from a file.
#[derive(Debug, Clone)]
pub(crate) struct Georef {
    pub transform: GeoTransform,
    pub crs: Crs,
    /// GTRasterTypeGeoKey = PixelIsPoint (2).
    pub pixel_is_point: bool,
    /// Number of tie points when the file is georeferenced by ground control
    /// points (several tie points, no pixel scale); the transform is then
    /// the identity.
    pub gcp_count: usize,
}

/// One GeoKey value.
#[derive(Debug, Clone)]
enum KeyValue {
    Short(u16),
    Ascii(String),
}

/// Parse the GeoKey directory into `(key, value)` pairs.
fn parse_keys(t: &TiffFile, ifd: &Ifd) -> Result<Vec<(u16, KeyValue)>> {
    let Some(dir) = ifd.uints(tag::GEO_KEY_DIRECTORY)? else {
        return Ok(Vec::new());
    };
    if dir.len() < 4 {
        return Err(t.corrupt(format!(
            "GeoKeyDirectory has {} values, fewer than its 4-value header",
            dir.len()
        )));
    }
    let n = usize::try_from(dir[3]).unwrap_or(usize::MAX);
    if n.checked_mul(4)
        .and_then(|k| k.checked_add(4))
        .map_or(true, |k| dir.len() < k)
    {
        return Err(t.corrupt(format!(
            "GeoKeyDirectory announces {n} keys but holds only {} values",
            dir.len()
        )));
    }
    let doubles = ifd.reals(tag::GEO_DOUBLE_PARAMS)?.unwrap_or_default();
    let ascii = ifd.ascii(tag::GEO_ASCII_PARAMS)?.unwrap_or_default();
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let e = &dir[4 + 4 * k..8 + 4 * k];
        let (id, loc, count, val) = (e[0] as u16, e[1] as u16, e[2] as usize, e[3] as usize);
        let v = match loc {
            0 => KeyValue::Short(val as u16),
            tag::GEO_DOUBLE_PARAMS => match doubles.get(val..val.saturating_add(count)) {
                // Double-valued keys (units, ellipsoid parameters) are not
                // used by sar-core; only their bounds are checked.
                Some(_) => continue,
                None => {
                    return Err(t.corrupt(format!(
                        "GeoKey {id} refers to doubles {val}..{} beyond the {} in GeoDoubleParams",
                        val.saturating_add(count),
                        doubles.len()
                    )))
                }
            },
            tag::GEO_ASCII_PARAMS => {
                let bytes = ascii.as_bytes();
                match bytes.get(val..val.saturating_add(count)) {
                    Some(s) => {
                        let s = String::from_utf8_lossy(s);
                        KeyValue::Ascii(s.trim_end_matches(['|', '\0']).to_string())
                    }
                    None => {
                        return Err(t.corrupt(format!(
                            "GeoKey {id} refers to characters {val}..{} beyond the {} in GeoAsciiParams",
                            val.saturating_add(count),
                            bytes.len()
                        )))
                    }
                }
            }
            // Keys stored in the directory itself (values are SHORTs).
            tag::GEO_KEY_DIRECTORY => match dir.get(val) {
                Some(&v) => KeyValue::Short(v as u16),
                None => return Err(t.corrupt(format!("GeoKey {id} points outside the directory"))),
            },
            _ => continue, // other tag locations are not used by sar-core
        };
        out.push((id, v));
    }
    Ok(out)
}

/// True if `s` looks like a WKT coordinate system.
fn looks_like_wkt(s: &str) -> bool {
    const HEADS: [&str; 8] = [
        "PROJCS[",
        "GEOGCS[",
        "COMPD_CS[",
        "PROJCRS[",
        "GEOGCRS[",
        "GEODCRS[",
        "COMPOUNDCRS[",
        "BOUNDCRS[",
    ];
    HEADS.iter().any(|h| s.starts_with(h))
}

/// Read CRS and geotransform of `ifd`.
pub(crate) fn read_georef(t: &TiffFile, ifd: &Ifd) -> Result<Georef> {
    let keys = parse_keys(t, ifd)?;
    let short = |id: u16| {
        keys.iter().find_map(|(k, v)| match v {
            KeyValue::Short(s) if *k == id => Some(*s),
            _ => None,
        })
    };
    let text = |id: u16| {
        keys.iter().find_map(|(k, v)| match v {
            KeyValue::Ascii(s) if *k == id => Some(s.clone()),
            _ => None,
        })
    };
    let model = short(key::GT_MODEL_TYPE);
    let pcs = short(key::PROJECTED_CS_TYPE).filter(|&c| c != 0 && c != USER_DEFINED);
    let gcs = short(key::GEOGRAPHIC_TYPE).filter(|&c| c != 0 && c != USER_DEFINED);
    let geographic = match model {
        Some(MODEL_GEOGRAPHIC) => true,
        Some(_) => false,
        None => pcs.is_none() && gcs.is_some(),
    };
    let epsg = if geographic { gcs } else { pcs };
    let wkt = [key::GT_CITATION, key::PCS_CITATION, key::GEOG_CITATION]
        .iter()
        .filter_map(|&k| text(k))
        .map(|s| s.strip_prefix(ESRI_PE).map(str::to_string).unwrap_or(s))
        .find(|s| looks_like_wkt(s));
    let crs = Crs {
        epsg: epsg.map(u32::from),
        wkt: if epsg.is_none() { wkt } else { None },
        geographic,
    };
    let pixel_is_point = short(key::GT_RASTER_TYPE) == Some(2);

    let scale = ifd.reals(tag::MODEL_PIXEL_SCALE)?;
    let ties = ifd.reals(tag::MODEL_TIEPOINT)?.unwrap_or_default();
    let matrix = ifd.reals(tag::MODEL_TRANSFORMATION)?;
    let mut gcp_count = 0;
    let mut georeferenced = true;
    let mut g = if let Some(m) = matrix {
        if m.len() < 16 {
            return Err(t.corrupt(format!(
                "ModelTransformation has {} values, 16 expected",
                m.len()
            )));
        }
        [m[3], m[0], m[1], m[7], m[4], m[5]]
    } else if let (Some(s), true) = (&scale, ties.len() >= 6) {
        if s.len() < 2 {
            return Err(t.corrupt(format!(
                "ModelPixelScale has {} values, 3 expected",
                s.len()
            )));
        }
        let (i, j, x, y) = (ties[0], ties[1], ties[3], ties[4]);
        [x - i * s[0], s[0], 0.0, y + j * s[1], 0.0, -s[1]]
    } else {
        if ties.len() >= 12 {
            gcp_count = ties.len() / 6;
        }
        georeferenced = false;
        GeoTransform::default().0
    };
    if georeferenced && pixel_is_point {
        // GDAL's convention: the tie point refers to the pixel centre.
        g[0] -= 0.5 * g[1] + 0.5 * g[2];
        g[3] -= 0.5 * g[4] + 0.5 * g[5];
    }
    Ok(Georef {
        transform: GeoTransform(g),
        crs,
        pixel_is_point,
        gcp_count,
    })
}

/// The georeferencing tags to write: `(tag, values)` for the model tags and
/// the GeoKey directory with its parameter tags.
pub(crate) struct GeoTags {
    pub pixel_scale: Option<[f64; 3]>,
    pub tiepoint: Option<[f64; 6]>,
    pub transformation: Option<[f64; 16]>,
    pub key_directory: Vec<u16>,
    pub ascii_params: Option<String>,
}

/// Build the georeferencing tags for `transform` and `crs`.
///
/// North-up grids (no rotation, negative row step) get ModelPixelScale +
/// ModelTiepoint; others ModelTransformation. The identity transform with an
/// unknown CRS writes nothing (as GDAL does). A CRS with an EPSG code writes
/// GTModelType plus ProjectedCSType or GeographicType; a WKT-only CRS is
/// written as user-defined with the WKT in GTCitation.
pub(crate) fn build_geotags(
    transform: &GeoTransform,
    crs: &Crs,
) -> std::result::Result<GeoTags, String> {
    let g = transform.0;
    let mut out = GeoTags {
        pixel_scale: None,
        tiepoint: None,
        transformation: None,
        key_directory: Vec::new(),
        ascii_params: None,
    };
    if g.iter().any(|v| !v.is_finite()) {
        return Err(format!("geotransform {g:?} has non-finite coefficients"));
    }
    let identity = *transform == GeoTransform::default();
    if !(identity && crs.is_unknown()) {
        if g[2] == 0.0 && g[4] == 0.0 && g[5] < 0.0 {
            out.pixel_scale = Some([g[1], -g[5], 0.0]);
            out.tiepoint = Some([0.0, 0.0, 0.0, g[0], g[3], 0.0]);
        } else {
            out.transformation = Some([
                g[1], g[2], 0.0, g[0], g[4], g[5], 0.0, g[3], 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                1.0,
            ]);
        }
    }
    if crs.is_unknown() {
        return Ok(out);
    }
    let model = if crs.geographic {
        MODEL_GEOGRAPHIC
    } else {
        MODEL_PROJECTED
    };
    let cs_key = if crs.geographic {
        key::GEOGRAPHIC_TYPE
    } else {
        key::PROJECTED_CS_TYPE
    };
    let mut keys: Vec<[u16; 4]> = vec![
        [key::GT_MODEL_TYPE, 0, 1, model],
        [key::GT_RASTER_TYPE, 0, 1, 1],
    ];
    match (crs.epsg, &crs.wkt) {
        (Some(code), _) => {
            let code = u16::try_from(code)
                .ok()
                .filter(|&c| c != USER_DEFINED)
                .ok_or_else(|| format!("EPSG code {code} does not fit a GeoKey (1–32766)"))?;
            keys.push([cs_key, 0, 1, code]);
        }
        (None, Some(wkt)) => {
            let mut ascii = wkt.replace('|', " ");
            ascii.push('|');
            let len = u16::try_from(ascii.len()).map_err(|_| {
                format!(
                    "WKT of {} characters is too long for GeoAsciiParams",
                    wkt.len()
                )
            })?;
            keys.push([key::GT_CITATION, tag::GEO_ASCII_PARAMS, len, 0]);
            keys.push([cs_key, 0, 1, USER_DEFINED]);
            out.ascii_params = Some(ascii);
        }
        (None, None) => {}
    }
    keys.sort_by_key(|k| k[0]);
    out.key_directory = vec![1, 1, 0, keys.len() as u16];
    out.key_directory.extend(keys.iter().flatten());
    Ok(out)
}
