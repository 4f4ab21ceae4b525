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
    /// Every GeoKey of the file, `(key id, value)`, as stored.
    pub keys: Vec<(u16, KeyValue)>,
}

/// One GeoKey value.
#[derive(Debug, Clone)]
pub(crate) enum KeyValue {
    Short(u16),
    Ascii(String),
    Doubles(Vec<f64>),
}

impl std::fmt::Display for KeyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyValue::Short(v) => write!(f, "{v}"),
            KeyValue::Ascii(s) => write!(f, "{s:?}"),
            KeyValue::Doubles(d) => {
                let t: Vec<String> = d.iter().map(|v| v.to_string()).collect();
                write!(f, "{}", t.join(", "))
            }
        }
    }
}

/// Parse the GeoKey directory into `(key, value)` pairs.
pub(crate) fn parse_keys(t: &TiffFile, ifd: &Ifd) -> Result<Vec<(u16, KeyValue)>> {
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
                Some(d) => KeyValue::Doubles(d.to_vec()),
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
    let proj4 = if epsg.is_none() {
        user_crs_proj4(&keys, geographic)
    } else {
        None
    };
    let crs = Crs {
        epsg: epsg.map(u32::from),
        wkt: if epsg.is_none() { wkt } else { None },
        proj4,
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
        keys,
    })
}

/// GeoKeys of user-defined CRSs (GeoTIFF 1.1, sect. 7.x).
mod ukey {
    pub const GEOG_GEODETIC_DATUM: u16 = 2050;
    pub const GEOG_ANGULAR_UNITS: u16 = 2054;
    pub const GEOG_ELLIPSOID: u16 = 2056;
    pub const GEOG_SEMI_MAJOR: u16 = 2057;
    pub const GEOG_SEMI_MINOR: u16 = 2058;
    pub const GEOG_INV_FLATTENING: u16 = 2059;
    pub const PROJECTION: u16 = 3074;
    pub const PROJ_COORD_TRANS: u16 = 3075;
    pub const PROJ_LINEAR_UNITS: u16 = 3076;
    pub const PROJ_LINEAR_UNIT_SIZE: u16 = 3077;
    pub const STD_PARALLEL1: u16 = 3078;
    pub const STD_PARALLEL2: u16 = 3079;
    pub const NAT_ORIGIN_LONG: u16 = 3080;
    pub const NAT_ORIGIN_LAT: u16 = 3081;
    pub const FALSE_EASTING: u16 = 3082;
    pub const FALSE_NORTHING: u16 = 3083;
    pub const FALSE_ORIGIN_LONG: u16 = 3084;
    pub const FALSE_ORIGIN_LAT: u16 = 3085;
    pub const FALSE_ORIGIN_EASTING: u16 = 3086;
    pub const FALSE_ORIGIN_NORTHING: u16 = 3087;
    pub const CENTER_LONG: u16 = 3088;
    pub const CENTER_LAT: u16 = 3089;
    pub const SCALE_AT_NAT_ORIGIN: u16 = 3092;
    pub const SCALE_AT_CENTER: u16 = 3093;
    pub const STRAIGHT_VERT_POLE_LONG: u16 = 3095;
}

/// Coordinate transformation codes (ProjCoordTransGeoKey) and PROJ names.
const METHODS: [(u16, &str); 9] = [
    (1, "tmerc"),
    (7, "merc"),
    (8, "lcc"),
    (9, "lcc"),
    (10, "laea"),
    (11, "aea"),
    (15, "stere"),
    (16, "sterea"),
    (17, "eqc"),
];

/// EPSG geographic CRS codes and PROJ datum/ellipsoid terms.
const GEOG: [(u16, &str); 5] = [
    (4326, "+datum=WGS84"),
    (4269, "+datum=NAD83"),
    (4267, "+datum=NAD27"),
    (4258, "+ellps=GRS80"),
    (4230, "+ellps=intl"),
];
/// EPSG datum codes (GeogGeodeticDatumGeoKey) and PROJ terms.
const DATUMS: [(u16, &str); 3] = [
    (6326, "+datum=WGS84"),
    (6269, "+datum=NAD83"),
    (6267, "+datum=NAD27"),
];
/// EPSG ellipsoid codes (GeogEllipsoidGeoKey) and PROJ names.
const ELLIPSOIDS: [(u16, &str); 6] = [
    (7030, "WGS84"),
    (7019, "GRS80"),
    (7008, "clrk66"),
    (7022, "intl"),
    (7004, "bessel"),
    (7043, "WGS72"),
];
/// EPSG linear unit codes, PROJ names and sizes in metres.
const UNITS: [(u16, &str, f64); 3] = [
    (9001, "m", 1.0),
    (9002, "ft", 0.3048),
    (9003, "us-ft", 1200.0 / 3937.0),
];

/// Format a number for a PROJ.4 string (shortest round-trip form).
fn num(v: f64) -> String {
    let r = (v * 1e9).round() / 1e9;
    if (r - v).abs() < 1e-9 * v.abs().max(1.0) {
        format!("{r}")
    } else {
        format!("{v}")
    }
}

/// PROJ.4 string of a user-defined CRS described by GeoKeys (no EPSG code):
/// a projected CRS with ProjCoordTransGeoKey and its parameters, or a
/// geographic one with a datum or ellipsoid. `None` if the keys describe
/// neither (or a method sar-core does not know).
pub(crate) fn user_crs_proj4(keys: &[(u16, KeyValue)], geographic: bool) -> Option<String> {
    let short = |id: u16| {
        keys.iter().find_map(|(k, v)| match v {
            KeyValue::Short(s) if *k == id => Some(*s),
            _ => None,
        })
    };
    let dbl = |id: u16| {
        keys.iter().find_map(|(k, v)| match v {
            KeyValue::Doubles(d) if *k == id => d.first().copied().filter(|x| x.is_finite()),
            _ => None,
        })
    };
    // Datum / ellipsoid.
    let earth = {
        let gcs = short(key::GEOGRAPHIC_TYPE);
        if let Some(t) = gcs.and_then(|c| GEOG.iter().find(|(g, _)| *g == c)) {
            t.1.to_string()
        } else if let Some(t) =
            short(ukey::GEOG_GEODETIC_DATUM).and_then(|c| DATUMS.iter().find(|(d, _)| *d == c))
        {
            t.1.to_string()
        } else if let Some(t) =
            short(ukey::GEOG_ELLIPSOID).and_then(|c| ELLIPSOIDS.iter().find(|(e, _)| *e == c))
        {
            format!("+ellps={}", t.1)
        } else if let Some(a) = dbl(ukey::GEOG_SEMI_MAJOR) {
            // Known ellipsoids given by their numbers (as GDAL writes them).
            const NAMED: [(&str, f64, f64); 5] = [
                ("WGS84", 6_378_137.0, 298.257_223_563),
                ("GRS80", 6_378_137.0, 298.257_222_101),
                ("intl", 6_378_388.0, 297.0),
                ("bessel", 6_377_397.155, 299.152_812_8),
                ("WGS72", 6_378_135.0, 298.26),
            ];
            let rf = dbl(ukey::GEOG_INV_FLATTENING);
            let named = rf.and_then(|rf| {
                NAMED
                    .iter()
                    .find(|(_, na, nrf)| (a - na).abs() < 1e-3 && (rf - nrf).abs() < 1e-6)
            });
            match (rf, dbl(ukey::GEOG_SEMI_MINOR)) {
                _ if named.is_some() => format!("+ellps={}", named.map_or("", |n| n.0)),
                (Some(rf), _) if rf > 0.0 => format!("+a={} +rf={}", num(a), num(rf)),
                (_, Some(b)) => format!("+a={} +b={}", num(a), num(b)),
                _ => format!("+a={} +b={}", num(a), num(a)),
            }
        } else {
            return None;
        }
    };
    if geographic {
        if !matches!(short(ukey::GEOG_ANGULAR_UNITS), None | Some(9102)) {
            return None; // radians, grads: not degrees
        }
        return Some(format!("+proj=longlat {earth} +no_defs"));
    }
    let code = short(ukey::PROJ_COORD_TRANS)?;
    let name = METHODS.iter().find(|(c, _)| *c == code)?.1;
    // Linear unit: metres unless declared; false easting/northing are in it.
    let (unit, to_m) = match short(key_linear_units()) {
        None | Some(9001) => ("+units=m".to_string(), 1.0),
        Some(32767) => match dbl(ukey::PROJ_LINEAR_UNIT_SIZE) {
            Some(sz) if sz > 0.0 => (format!("+to_meter={}", num(sz)), sz),
            _ => return None,
        },
        Some(c) => {
            let u = UNITS.iter().find(|(k, _, _)| *k == c)?;
            (format!("+units={}", u.1), u.2)
        }
    };
    let g = |ids: &[u16]| ids.iter().find_map(|&i| dbl(i));
    let lon0 = g(&[
        ukey::NAT_ORIGIN_LONG,
        ukey::FALSE_ORIGIN_LONG,
        ukey::CENTER_LONG,
        ukey::STRAIGHT_VERT_POLE_LONG,
    ])
    .unwrap_or(0.0);
    let lat0 = g(&[
        ukey::NAT_ORIGIN_LAT,
        ukey::FALSE_ORIGIN_LAT,
        ukey::CENTER_LAT,
    ])
    .unwrap_or(0.0);
    let k = g(&[ukey::SCALE_AT_NAT_ORIGIN, ukey::SCALE_AT_CENTER]).unwrap_or(1.0);
    let x0 = g(&[ukey::FALSE_EASTING, ukey::FALSE_ORIGIN_EASTING]).unwrap_or(0.0) * to_m;
    let y0 = g(&[ukey::FALSE_NORTHING, ukey::FALSE_ORIGIN_NORTHING]).unwrap_or(0.0) * to_m;
    let p1 = dbl(ukey::STD_PARALLEL1);
    let p2 = dbl(ukey::STD_PARALLEL2);
    let mut t = format!("+proj={name}");
    let mut add = |k: &str, v: f64| t.push_str(&format!(" +{k}={}", num(v)));
    match code {
        1 | 16 => {
            add("lat_0", lat0);
            add("lon_0", lon0);
            add("k", k);
        }
        7 => {
            match p1 {
                Some(ts) => add("lat_ts", ts),
                None => add("k", k),
            }
            add("lon_0", lon0);
        }
        8 | 11 => {
            add("lat_0", lat0);
            add("lon_0", lon0);
            add("lat_1", p1?);
            add("lat_2", p2?);
        }
        9 => {
            add("lat_0", lat0);
            add("lon_0", lon0);
            add("lat_1", lat0);
            add("k_0", k);
        }
        10 => {
            add("lat_0", lat0);
            add("lon_0", lon0);
        }
        15 => {
            // Polar stereographic: ProjNatOriginLat is the latitude of true scale
            // (variant B, as GDAL writes it); the pole is on its side.
            add("lat_0", if lat0 < 0.0 { -90.0 } else { 90.0 });
            add("lat_ts", lat0);
            add("lon_0", lon0);
            add("k", k);
        }
        17 => {
            add("lat_ts", p1.unwrap_or(lat0));
            add("lon_0", lon0);
        }
        _ => return None,
    }
    add("x_0", x0);
    add("y_0", y0);
    Some(format!("{t} {earth} {unit} +no_defs"))
}

/// ProjLinearUnitsGeoKey.
fn key_linear_units() -> u16 {
    ukey::PROJ_LINEAR_UNITS
}

/// GeoKeys (`[key, location, count, value]`) and GeoDoubleParams of a
/// user-defined CRS given as a PROJ.4 string; the inverse of
/// [`user_crs_proj4`]. `Err` for a method or datum it cannot express.
fn user_crs_keys(
    def: &str,
    geographic: bool,
) -> std::result::Result<(Vec<[u16; 4]>, Vec<f64>), String> {
    let mut map = std::collections::HashMap::new();
    for tok in def.split_whitespace() {
        let tok = tok.trim_start_matches('+');
        let (k, v) = tok.split_once('=').unwrap_or((tok, ""));
        map.insert(k.to_string(), v.to_string());
    }
    let get = |k: &str| map.get(k).map(String::as_str);
    let val = |k: &str| -> std::result::Result<Option<f64>, String> {
        match get(k) {
            None => Ok(None),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| format!("PROJ.4 parameter +{k}={v} is not a number")),
        }
    };
    let mut keys: Vec<[u16; 4]> = Vec::new();
    let mut doubles: Vec<f64> = Vec::new();
    let mut push_d = |keys: &mut Vec<[u16; 4]>, id: u16, v: f64| {
        keys.push([id, tag::GEO_DOUBLE_PARAMS, 1, doubles.len() as u16]);
        doubles.push(v);
    };
    // Datum / ellipsoid.
    match (get("datum"), get("ellps")) {
        (Some(d), _) => {
            let code = GEOG
                .iter()
                .find(|(_, t)| *t == format!("+datum={d}"))
                .map(|g| g.0)
                .ok_or_else(|| format!("datum {d} cannot be written as a GeoKey"))?;
            keys.push([key::GEOGRAPHIC_TYPE, 0, 1, code]);
        }
        (None, Some(e)) => {
            let code = ELLIPSOIDS
                .iter()
                .find(|(_, n)| *n == e)
                .map(|x| x.0)
                .ok_or_else(|| format!("ellipsoid {e} cannot be written as a GeoKey"))?;
            keys.push([key::GEOGRAPHIC_TYPE, 0, 1, USER_DEFINED]);
            keys.push([ukey::GEOG_GEODETIC_DATUM, 0, 1, USER_DEFINED]);
            keys.push([ukey::GEOG_ELLIPSOID, 0, 1, code]);
        }
        (None, None) => {
            let a = val("a")?.ok_or("PROJ.4 string has no +datum, +ellps or +a")?;
            keys.push([key::GEOGRAPHIC_TYPE, 0, 1, USER_DEFINED]);
            keys.push([ukey::GEOG_GEODETIC_DATUM, 0, 1, USER_DEFINED]);
            keys.push([ukey::GEOG_ELLIPSOID, 0, 1, USER_DEFINED]);
            push_d(&mut keys, ukey::GEOG_SEMI_MAJOR, a);
            match (val("rf")?, val("b")?) {
                (Some(rf), _) => push_d(&mut keys, ukey::GEOG_INV_FLATTENING, rf),
                (None, Some(b)) => push_d(&mut keys, ukey::GEOG_SEMI_MINOR, b),
                (None, None) => push_d(&mut keys, ukey::GEOG_SEMI_MINOR, a),
            }
        }
    }
    keys.push([ukey::GEOG_ANGULAR_UNITS, 0, 1, 9102]);
    if geographic {
        return Ok((keys, doubles));
    }
    let proj = get("proj").ok_or("PROJ.4 string has no +proj")?;
    let code = match (proj, val("lat_2")?.is_some(), val("k_0")?.is_some()) {
        ("tmerc", _, _) => 1,
        ("merc", _, _) => 7,
        ("lcc", true, _) => 8,
        ("lcc", false, _) => 9,
        ("laea", _, _) => 10,
        ("aea", _, _) => 11,
        ("stere", _, _) if val("lat_0")?.is_some_and(|l| l.abs() == 90.0) => 15,
        ("sterea", _, _) => 16,
        ("eqc", _, _) => 17,
        (p, _, _) => return Err(format!("projection +proj={p} cannot be written as GeoKeys")),
    };
    let to_m = match (get("units"), val("to_meter")?) {
        (_, Some(sz)) => {
            keys.push([ukey::PROJ_LINEAR_UNITS, 0, 1, USER_DEFINED]);
            push_d(&mut keys, ukey::PROJ_LINEAR_UNIT_SIZE, sz);
            sz
        }
        (None, None) => {
            keys.push([ukey::PROJ_LINEAR_UNITS, 0, 1, 9001]);
            1.0
        }
        (Some(u), None) => {
            let x = UNITS
                .iter()
                .find(|(_, n, _)| *n == u)
                .ok_or_else(|| format!("unit {u} cannot be written as a GeoKey"))?;
            keys.push([ukey::PROJ_LINEAR_UNITS, 0, 1, x.0]);
            x.2
        }
    };
    keys.push([key::PROJECTED_CS_TYPE, 0, 1, USER_DEFINED]);
    keys.push([ukey::PROJECTION, 0, 1, USER_DEFINED]);
    keys.push([ukey::PROJ_COORD_TRANS, 0, 1, code]);
    let lat0 = val("lat_0")?.unwrap_or(0.0);
    let lon0 = val("lon_0")?.unwrap_or(0.0);
    let k = val("k")?.or(val("k_0")?).unwrap_or(1.0);
    let x0 = val("x_0")?.unwrap_or(0.0) / to_m;
    let y0 = val("y_0")?.unwrap_or(0.0) / to_m;
    match code {
        1 | 16 => {
            push_d(&mut keys, ukey::NAT_ORIGIN_LAT, lat0);
            push_d(&mut keys, ukey::NAT_ORIGIN_LONG, lon0);
            push_d(&mut keys, ukey::SCALE_AT_NAT_ORIGIN, k);
            push_d(&mut keys, ukey::FALSE_EASTING, x0);
            push_d(&mut keys, ukey::FALSE_NORTHING, y0);
        }
        7 => {
            match val("lat_ts")? {
                Some(ts) => push_d(&mut keys, ukey::STD_PARALLEL1, ts),
                None => push_d(&mut keys, ukey::SCALE_AT_NAT_ORIGIN, k),
            }
            push_d(&mut keys, ukey::NAT_ORIGIN_LONG, lon0);
            push_d(&mut keys, ukey::FALSE_EASTING, x0);
            push_d(&mut keys, ukey::FALSE_NORTHING, y0);
        }
        8 | 11 => {
            let p1 = val("lat_1")?.ok_or("+lat_1 missing")?;
            let p2 = val("lat_2")?.ok_or("+lat_2 missing")?;
            push_d(&mut keys, ukey::STD_PARALLEL1, p1);
            push_d(&mut keys, ukey::STD_PARALLEL2, p2);
            push_d(&mut keys, ukey::FALSE_ORIGIN_LAT, lat0);
            push_d(&mut keys, ukey::FALSE_ORIGIN_LONG, lon0);
            push_d(&mut keys, ukey::FALSE_ORIGIN_EASTING, x0);
            push_d(&mut keys, ukey::FALSE_ORIGIN_NORTHING, y0);
        }
        9 => {
            push_d(
                &mut keys,
                ukey::NAT_ORIGIN_LAT,
                val("lat_1")?.unwrap_or(lat0),
            );
            push_d(&mut keys, ukey::NAT_ORIGIN_LONG, lon0);
            push_d(&mut keys, ukey::SCALE_AT_NAT_ORIGIN, k);
            push_d(&mut keys, ukey::FALSE_EASTING, x0);
            push_d(&mut keys, ukey::FALSE_NORTHING, y0);
        }
        10 => {
            push_d(&mut keys, ukey::CENTER_LAT, lat0);
            push_d(&mut keys, ukey::CENTER_LONG, lon0);
            push_d(&mut keys, ukey::FALSE_EASTING, x0);
            push_d(&mut keys, ukey::FALSE_NORTHING, y0);
        }
        15 => {
            push_d(
                &mut keys,
                ukey::NAT_ORIGIN_LAT,
                val("lat_ts")?.unwrap_or(lat0),
            );
            push_d(&mut keys, ukey::STRAIGHT_VERT_POLE_LONG, lon0);
            push_d(&mut keys, ukey::SCALE_AT_NAT_ORIGIN, k);
            push_d(&mut keys, ukey::FALSE_EASTING, x0);
            push_d(&mut keys, ukey::FALSE_NORTHING, y0);
        }
        _ => {
            push_d(
                &mut keys,
                ukey::STD_PARALLEL1,
                val("lat_ts")?.unwrap_or(0.0),
            );
            push_d(&mut keys, ukey::NAT_ORIGIN_LONG, lon0);
            push_d(&mut keys, ukey::FALSE_EASTING, x0);
            push_d(&mut keys, ukey::FALSE_NORTHING, y0);
        }
    }
    Ok((keys, doubles))
}

/// The georeferencing tags to write: `(tag, values)` for the model tags and
/// the GeoKey directory with its parameter tags.
pub(crate) struct GeoTags {
    pub pixel_scale: Option<[f64; 3]>,
    pub tiepoint: Option<[f64; 6]>,
    pub transformation: Option<[f64; 16]>,
    pub key_directory: Vec<u16>,
    pub double_params: Vec<f64>,
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
        double_params: Vec::new(),
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
        (None, _) if crs.proj4.is_some() => {
            let def = crs.proj4.as_deref().unwrap_or_default();
            let (k, d) = user_crs_keys(def, crs.geographic)?;
            keys.extend(k);
            out.double_params = d;
            if let Some(wkt) = &crs.wkt {
                let mut ascii = wkt.replace('|', " ");
                ascii.push('|');
                if let Ok(len) = u16::try_from(ascii.len()) {
                    keys.push([key::GT_CITATION, tag::GEO_ASCII_PARAMS, len, 0]);
                    out.ascii_params = Some(ascii);
                }
            }
        }
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
