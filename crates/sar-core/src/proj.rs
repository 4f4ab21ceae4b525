//! Map projections and coordinate transformation between CRSs.
//!
//! A [`Crs`] is turned into a [`Projection`] through the pure-Rust
//! [`proj4rs`] library (a port of PROJ.4):
//!
//! 1. an EPSG code is looked up in the `crs-definitions` table (about 6 000
//!    codes: EPSG:4326, the UTM zones 326xx/327xx, EPSG:3413, 3031, 2056,
//!    Lambert conformal conic and Albers systems …) and its PROJ.4 string used;
//! 2. else a PROJ.4 string in [`Crs::proj4`] is used as it stands (a
//!    user-defined Transverse Mercator read from GeoTIFF GeoKeys, say);
//! 3. else a WKT 1 text in [`Crs::wkt`] (an ESRI `.prj` file, a GeoPackage
//!    `definition`) is converted by [`wkt_to_proj4`]: Transverse Mercator
//!    (UTM), polar stereographic (variants A and B, ESRI's
//!    `Stereographic_North_Pole`), Lambert conformal conic (1SP, 2SP),
//!    Albers, Mercator, Lambert azimuthal equal area, oblique stereographic
//!    and geographic systems; a top-level `AUTHORITY["EPSG", …]` wins.
//!
//! A [`Transformer`] maps coordinates from one CRS to another. Geographic
//! coordinates are **degrees, longitude first** (x = longitude, y =
//! latitude, GDAL's traditional GIS order), projected coordinates are in the
//! CRS's linear unit (metres for every system above). Datum shifts follow
//! PROJ.4 (`+towgs84`, WGS84 pivot); systems on the WGS84 datum need none.
//!
//! ```
//! use sar_core::proj::Transformer;
//! use sar_core::Crs;
//!
//! // Longitude/latitude → UTM zone 40 N (Hooker Island, Franz Josef Land).
//! let t = Transformer::new(&Crs::wgs84(), &Crs::epsg(32640))?;
//! let (e, n) = t.transform(57.0, 80.0)?;
//! assert!((e - 500_000.0).abs() < 1e-6); // on the central meridian
//! // Back again.
//! let (lon, lat) = t.inverse()?.transform(e, n)?;
//! assert!((lon - 57.0).abs() < 1e-9 && (lat - 80.0).abs() < 1e-9);
//! # Ok::<(), sar_core::SarError>(())
//! ```

use proj4rs::Proj;

use crate::error::{Result, SarError};
use crate::grid::Crs;

/// A CRS ready for coordinate transformation.
#[derive(Debug)]
pub struct Projection {
    proj: Proj,
    crs: Crs,
    proj4: String,
    latlong: bool,
}

impl Projection {
    /// The projection of `crs` (EPSG code, else PROJ.4 string, else WKT; see
    /// the module docs).
    ///
    /// # Errors
    /// [`SarError::Projection`] if the CRS is unknown, the EPSG code is not in
    /// the table, or the definition is not understood.
    pub fn new(crs: &Crs) -> Result<Self> {
        let proj4 = proj4_definition(crs)?;
        let proj = Proj::from_proj_string(&proj4).map_err(|e| SarError::Projection {
            crs: crs.to_string(),
            what: format!("PROJ.4 definition `{proj4}` not understood: {e}"),
        })?;
        let latlong = proj.is_latlong();
        Ok(Projection {
            proj,
            crs: crs.clone(),
            proj4,
            latlong,
        })
    }

    /// The CRS this projection was built from.
    pub fn crs(&self) -> &Crs {
        &self.crs
    }

    /// The PROJ.4 definition in use.
    pub fn proj4(&self) -> &str {
        &self.proj4
    }

    /// True for a geographic (longitude/latitude) system.
    pub fn is_geographic(&self) -> bool {
        self.latlong
    }
}

/// The PROJ.4 definition of `crs`: from the EPSG table, the `proj4` field,
/// or converted from WKT (in that order).
///
/// # Errors
/// [`SarError::Projection`] if none of the three gives a definition.
pub fn proj4_definition(crs: &Crs) -> Result<String> {
    if let Some(code) = crs.epsg {
        let def = u16::try_from(code)
            .ok()
            .and_then(crs_definitions::from_code)
            .ok_or_else(|| SarError::Projection {
                crs: crs.to_string(),
                what: format!(
                    "EPSG:{code} is not in the crs-definitions table; give the CRS as a PROJ.4 string instead"
                ),
            })?;
        return Ok(def.proj4.to_string());
    }
    if let Some(p) = &crs.proj4 {
        return Ok(p.clone());
    }
    if let Some(w) = &crs.wkt {
        return wkt_to_proj4(w).map_err(|what| SarError::Projection {
            crs: crs.to_string(),
            what,
        });
    }
    Err(SarError::Projection {
        crs: crs.to_string(),
        what: "the CRS is unknown (no EPSG code, PROJ.4 string or WKT); set one, e.g. with --crs EPSG:32640".into(),
    })
}

/// Parse a user's CRS text: `EPSG:32640`, a bare code `32640`, a PROJ.4
/// string starting with `+`, or WKT.
///
/// # Errors
/// [`SarError::InvalidParameter`] (named `crs`) if the text is none of these.
pub fn parse_crs(text: &str) -> Result<Crs> {
    let t = text.trim();
    let code = t
        .strip_prefix("EPSG:")
        .or_else(|| t.strip_prefix("epsg:"))
        .unwrap_or(t);
    if let Ok(c) = code.parse::<u32>() {
        return Ok(Crs::epsg(c));
    }
    if t.starts_with('+') {
        return Ok(Crs::proj4(t));
    }
    if t.contains('[') {
        return Ok(crs_from_wkt(t));
    }
    Err(SarError::InvalidParameter {
        name: "crs",
        reason: format!("`{t}` is not an EPSG code (EPSG:32640), a PROJ.4 string (+proj=…) or WKT"),
    })
}

/// A [`Crs`] from WKT text (an ESRI `.prj`, a GeoPackage definition): the
/// EPSG code if the WKT names one at its top level (or is a WGS 84
/// geographic or WGS 84 / UTM system by name), else the WKT kept with its
/// PROJ.4 conversion (if it converts).
pub fn crs_from_wkt(wkt: &str) -> Crs {
    let node = parse_wkt(wkt).ok();
    let geographic = node.as_ref().is_some_and(|n| {
        matches!(
            n.name.to_ascii_uppercase().as_str(),
            "GEOGCS" | "GEOGCRS" | "GEODCRS"
        )
    });
    let epsg = node.as_ref().and_then(epsg_of_wkt);
    match epsg {
        Some(code) => {
            let mut c = Crs::epsg(code).with_geographic(geographic);
            c.wkt = Some(wkt.to_string());
            c
        }
        None => Crs {
            epsg: None,
            wkt: Some(wkt.to_string()),
            proj4: wkt_to_proj4(wkt).ok(),
            geographic,
        },
    }
}

/// Transformation of coordinates from one CRS to another.
///
/// Geographic coordinates are degrees, longitude first. Build it once and
/// reuse it: construction parses both definitions, [`Transformer::transform`]
/// does not allocate.
#[derive(Debug)]
pub struct Transformer {
    src_crs: Crs,
    dst_crs: Crs,
    /// `None` for the identity.
    projs: Option<(Projection, Projection)>,
}

impl Transformer {
    /// A transformer from `src` to `dst`. When both CRSs are the same
    /// ([`Crs::same_as`], also two unknown CRSs) it is the identity and
    /// needs no definitions.
    ///
    /// # Errors
    /// [`SarError::Projection`] if either CRS cannot be turned into a
    /// projection.
    pub fn new(src: &Crs, dst: &Crs) -> Result<Self> {
        let projs = if src.same_as(dst) {
            None
        } else {
            Some((Projection::new(src)?, Projection::new(dst)?))
        };
        Ok(Transformer {
            src_crs: src.clone(),
            dst_crs: dst.clone(),
            projs,
        })
    }

    /// The reverse transformer (from the target CRS to the source CRS).
    ///
    /// # Errors
    /// Never in practice (both definitions were parsed before); the
    /// [`Result`] is kept for symmetry with [`Transformer::new`].
    pub fn inverse(&self) -> Result<Transformer> {
        Transformer::new(&self.dst_crs, &self.src_crs)
    }

    /// True if source and target CRS are the same (coordinates pass through).
    pub fn is_identity(&self) -> bool {
        self.projs.is_none()
    }

    /// The source CRS.
    pub fn source(&self) -> &Crs {
        &self.src_crs
    }

    /// The target CRS.
    pub fn target(&self) -> &Crs {
        &self.dst_crs
    }

    /// Transform one coordinate `(x, y)` (degrees for geographic systems,
    /// longitude first).
    ///
    /// # Errors
    /// [`SarError::Projection`] if the point cannot be transformed (outside
    /// the projection's domain, non-finite input).
    pub fn transform(&self, x: f64, y: f64) -> Result<(f64, f64)> {
        self.try_transform(x, y)
            .ok_or_else(|| SarError::Projection {
                crs: format!("{} → {}", self.src_crs, self.dst_crs),
                what: format!("point ({x}, {y}) cannot be transformed"),
            })
    }

    /// Transform one coordinate, `None` where it cannot be transformed (the
    /// form used in per-pixel loops).
    #[inline]
    pub fn try_transform(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let Some((src, dst)) = &self.projs else {
            return Some((x, y));
        };
        if !(x.is_finite() && y.is_finite()) {
            return None;
        }
        let mut p = if src.latlong {
            (x.to_radians(), y.to_radians(), 0.0)
        } else {
            (x, y, 0.0)
        };
        proj4rs::transform::transform(&src.proj, &dst.proj, &mut p).ok()?;
        let out = if dst.latlong {
            (p.0.to_degrees(), p.1.to_degrees())
        } else {
            (p.0, p.1)
        };
        (out.0.is_finite() && out.1.is_finite()).then_some(out)
    }

    /// Transform every coordinate of a `geo` geometry (polygon, multipolygon,
    /// point …).
    ///
    /// # Errors
    /// [`SarError::Projection`] naming the first coordinate that fails.
    pub fn transform_geometry<G>(&self, g: &G) -> Result<G::Output>
    where
        G: geo::MapCoords<f64, f64>,
    {
        g.try_map_coords(|c| self.transform(c.x, c.y).map(|(x, y)| geo::Coord { x, y }))
    }
}

// ---------------------------------------------------------------------------
// WKT 1 → PROJ.4
// ---------------------------------------------------------------------------

/// A node of a WKT tree: `NAME[arg, arg, …]`.
#[derive(Debug, Clone)]
struct WktNode {
    name: String,
    args: Vec<WktArg>,
}

#[derive(Debug, Clone)]
enum WktArg {
    Text(String),
    Number(f64),
    /// A bare keyword such as `EAST` in `AXIS["X", EAST]`.
    Word,
    Node(WktNode),
}

impl WktNode {
    fn child(&self, name: &str) -> Option<&WktNode> {
        self.args.iter().find_map(|a| match a {
            WktArg::Node(n) if n.name.eq_ignore_ascii_case(name) => Some(n),
            _ => None,
        })
    }
    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a WktNode> + 'a {
        self.args.iter().filter_map(move |a| match a {
            WktArg::Node(n) if n.name.eq_ignore_ascii_case(name) => Some(n),
            _ => None,
        })
    }
    fn text(&self, i: usize) -> Option<&str> {
        self.args
            .iter()
            .filter_map(|a| match a {
                WktArg::Text(s) => Some(s.as_str()),
                _ => None,
            })
            .nth(i)
    }
    fn number(&self, i: usize) -> Option<f64> {
        self.args
            .iter()
            .filter_map(|a| match a {
                WktArg::Number(v) => Some(*v),
                _ => None,
            })
            .nth(i)
    }
}

fn parse_wkt(s: &str) -> std::result::Result<WktNode, String> {
    let b = s.as_bytes();
    let mut pos = 0;
    let node = parse_node(b, &mut pos)?;
    Ok(node)
}

fn skip_ws(b: &[u8], pos: &mut usize) {
    while *pos < b.len() && b[*pos].is_ascii_whitespace() {
        *pos += 1;
    }
}

fn parse_node(b: &[u8], pos: &mut usize) -> std::result::Result<WktNode, String> {
    skip_ws(b, pos);
    let start = *pos;
    while *pos < b.len() && (b[*pos].is_ascii_alphanumeric() || b[*pos] == b'_') {
        *pos += 1;
    }
    let name = String::from_utf8_lossy(&b[start..*pos]).to_string();
    if name.is_empty() {
        return Err(format!("WKT: keyword expected at byte {start}"));
    }
    skip_ws(b, pos);
    let (open, close) = match b.get(*pos) {
        Some(b'[') => (b'[', b']'),
        Some(b'(') => (b'(', b')'),
        _ => return Err(format!("WKT: `[` expected after {name}")),
    };
    let _ = open;
    *pos += 1;
    let mut args = Vec::new();
    loop {
        skip_ws(b, pos);
        match b.get(*pos) {
            None => return Err(format!("WKT: unterminated {name}[…]")),
            Some(&c) if c == close => {
                *pos += 1;
                break;
            }
            Some(b',') => {
                *pos += 1;
            }
            Some(b'"') => {
                *pos += 1;
                let s0 = *pos;
                while *pos < b.len() && b[*pos] != b'"' {
                    *pos += 1;
                }
                args.push(WktArg::Text(
                    String::from_utf8_lossy(&b[s0..*pos]).to_string(),
                ));
                *pos += 1;
            }
            Some(&c) if c == b'-' || c == b'+' || c == b'.' || c.is_ascii_digit() => {
                let s0 = *pos;
                while *pos < b.len()
                    && (b[*pos].is_ascii_digit()
                        || matches!(b[*pos], b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    *pos += 1;
                }
                let t = String::from_utf8_lossy(&b[s0..*pos]);
                let v = t
                    .parse::<f64>()
                    .map_err(|_| format!("WKT: bad number `{t}`"))?;
                args.push(WktArg::Number(v));
            }
            Some(_) => {
                // A keyword: either a nested node or a bare word (AXIS[…, EAST]).
                let save = *pos;
                match parse_node(b, pos) {
                    Ok(n) => args.push(WktArg::Node(n)),
                    Err(_) => {
                        *pos = save;
                        let s0 = *pos;
                        while *pos < b.len() && (b[*pos].is_ascii_alphanumeric() || b[*pos] == b'_')
                        {
                            *pos += 1;
                        }
                        if *pos == s0 {
                            return Err(format!("WKT: unexpected byte at {s0}"));
                        }
                        args.push(WktArg::Word);
                    }
                }
            }
        }
    }
    Ok(WktNode { name, args })
}

/// EPSG code named by the top-level authority, or recognised by name.
fn epsg_of_wkt(n: &WktNode) -> Option<u32> {
    for key in ["AUTHORITY", "ID"] {
        if let Some(a) = n.child(key) {
            if a.text(0).is_some_and(|t| t.eq_ignore_ascii_case("EPSG")) {
                if let Some(c) = a.text(1).and_then(|t| t.trim().parse::<u32>().ok()) {
                    return Some(c);
                }
                if let Some(c) = a.number(0) {
                    return Some(c as u32);
                }
            }
        }
    }
    let name = n.text(0)?.to_ascii_uppercase().replace([' ', '/'], "_");
    let name = name.replace("__", "_");
    let kind = n.name.to_ascii_uppercase();
    if (kind == "GEOGCS" || kind == "GEOGCRS")
        && matches!(
            name.as_str(),
            "GCS_WGS_1984" | "WGS_84" | "WGS84" | "WGS_1984"
        )
    {
        return Some(4326);
    }
    // WGS_1984_UTM_Zone_40N (ESRI) or WGS_84_UTM_zone_40N (OGC).
    for prefix in ["WGS_1984_UTM_ZONE_", "WGS_84_UTM_ZONE_"] {
        if let Some(z) = name.strip_prefix(prefix) {
            let (num, hemi) = z.split_at(z.len().saturating_sub(1));
            if let Ok(zone) = num.parse::<u32>() {
                if (1..=60).contains(&zone) {
                    match hemi {
                        "N" => return Some(32600 + zone),
                        "S" => return Some(32700 + zone),
                        _ => {}
                    }
                }
            }
        }
    }
    None
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Convert WKT 1 (OGC or ESRI flavour) to a PROJ.4 string.
///
/// Supports geographic systems and the projections Transverse Mercator,
/// polar stereographic (variant A, variant B, ESRI `Stereographic_North_Pole`
/// / `_South_Pole`), Lambert conformal conic (1SP, 2SP, ESRI), Albers equal
/// area, Mercator, Lambert azimuthal equal area, oblique stereographic and
/// equirectangular. A top-level `AUTHORITY["EPSG", code]` is used through
/// the EPSG table instead.
///
/// # Errors
/// A message naming what is not understood.
pub fn wkt_to_proj4(wkt: &str) -> std::result::Result<String, String> {
    let root = parse_wkt(wkt)?;
    if let Some(code) = epsg_of_wkt(&root) {
        if let Some(d) = u16::try_from(code)
            .ok()
            .and_then(crs_definitions::from_code)
        {
            return Ok(d.proj4.to_string());
        }
    }
    let kind = root.name.to_ascii_uppercase();
    let geog = match kind.as_str() {
        "GEOGCS" => &root,
        "PROJCS" => root.child("GEOGCS").ok_or("WKT PROJCS without GEOGCS")?,
        other => {
            return Err(format!(
                "WKT root {other} not supported (GEOGCS/PROJCS expected)"
            ))
        }
    };
    let datum = geog.child("DATUM").ok_or("WKT GEOGCS without DATUM")?;
    let sph = datum
        .child("SPHEROID")
        .ok_or("WKT DATUM without SPHEROID")?;
    let a = sph
        .number(0)
        .ok_or("WKT SPHEROID without semi-major axis")?;
    let rf = sph
        .number(1)
        .ok_or("WKT SPHEROID without inverse flattening")?;
    let dname = norm(datum.text(0).unwrap_or(""));
    let mut earth = if dname.contains("wgs1984") || dname.contains("wgs84") {
        "+datum=WGS84".to_string()
    } else if rf == 0.0 {
        format!("+a={a} +b={a}")
    } else {
        format!("+a={a} +rf={rf}")
    };
    if !earth.starts_with("+datum") {
        if let Some(t) = datum.child("TOWGS84") {
            let v: Vec<String> = t
                .args
                .iter()
                .filter_map(|x| match x {
                    WktArg::Number(v) => Some(format!("{v}")),
                    _ => None,
                })
                .collect();
            earth.push_str(&format!(" +towgs84={}", v.join(",")));
        }
    }
    if let Some(pm) = geog.child("PRIMEM").and_then(|p| p.number(0)) {
        if pm != 0.0 {
            earth.push_str(&format!(" +pm={pm}"));
        }
    }
    if kind == "GEOGCS" {
        return Ok(format!("+proj=longlat {earth} +no_defs"));
    }
    let proj_name = root
        .child("PROJECTION")
        .and_then(|p| p.text(0))
        .ok_or("WKT PROJCS without PROJECTION")?;
    let param = |names: &[&str]| -> Option<f64> {
        root.children("PARAMETER").find_map(|p| {
            let n = norm(p.text(0)?);
            names.iter().any(|m| *m == n).then(|| p.number(0)).flatten()
        })
    };
    let x0 = param(&["falseeasting"]).unwrap_or(0.0);
    let y0 = param(&["falsenorthing"]).unwrap_or(0.0);
    let lon0 = param(&[
        "centralmeridian",
        "longitudeofcenter",
        "longitudeoforigin",
        "longitudeofnaturalorigin",
        "straightverticallongitudefrompole",
    ])
    .unwrap_or(0.0);
    let lat0 = param(&[
        "latitudeoforigin",
        "latitudeofcenter",
        "latitudeofnaturalorigin",
    ])
    .unwrap_or(0.0);
    let k = param(&["scalefactor", "scalefactoratnaturalorigin"]).unwrap_or(1.0);
    let sp1 = param(&["standardparallel1", "latitudeoffirststandardparallel"]);
    let sp2 = param(&["standardparallel2", "latitudeofsecondstandardparallel"]);
    let p = norm(proj_name);
    let body = match p.as_str() {
        "transversemercator" | "gaussKruger" | "gausskruger" => {
            format!("+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k={k} +x_0={x0} +y_0={y0}")
        }
        "polarstereographic" | "polarstereographicvarianta" | "polarstereographicvariantb" => {
            let lat_ts = param(&["latitudeofstandardparallel"]).unwrap_or(lat0);
            if (lat_ts.abs() - 90.0).abs() < 1e-9 {
                format!("+proj=stere +lat_0={lat_ts} +lon_0={lon0} +k={k} +x_0={x0} +y_0={y0}")
            } else {
                let pole = if lat_ts >= 0.0 { 90.0 } else { -90.0 };
                format!(
                    "+proj=stere +lat_0={pole} +lat_ts={lat_ts} +lon_0={lon0} +x_0={x0} +y_0={y0}"
                )
            }
        }
        "stereographicnorthpole" | "stereographicsouthpole" => {
            let pole = if p.ends_with("northpole") {
                90.0
            } else {
                -90.0
            };
            let lat_ts = sp1.unwrap_or(pole);
            format!("+proj=stere +lat_0={pole} +lat_ts={lat_ts} +lon_0={lon0} +k={k} +x_0={x0} +y_0={y0}")
        }
        "lambertconformalconic2sp" | "lambertconformalconic" => {
            let lat1 = sp1.unwrap_or(lat0);
            let lat2 = sp2.unwrap_or(lat1);
            format!("+proj=lcc +lat_1={lat1} +lat_2={lat2} +lat_0={lat0} +lon_0={lon0} +k_0={k} +x_0={x0} +y_0={y0}")
        }
        "lambertconformalconic1sp" => {
            format!(
                "+proj=lcc +lat_1={lat0} +lat_0={lat0} +lon_0={lon0} +k_0={k} +x_0={x0} +y_0={y0}"
            )
        }
        "albersconicequalarea" | "albers" => {
            let lat1 = sp1.unwrap_or(lat0);
            let lat2 = sp2.unwrap_or(lat1);
            format!("+proj=aea +lat_1={lat1} +lat_2={lat2} +lat_0={lat0} +lon_0={lon0} +x_0={x0} +y_0={y0}")
        }
        "mercator1sp" | "mercator" => {
            format!("+proj=merc +lon_0={lon0} +k={k} +x_0={x0} +y_0={y0}")
        }
        "mercator2sp" => {
            let lat_ts = sp1.unwrap_or(0.0);
            format!("+proj=merc +lon_0={lon0} +lat_ts={lat_ts} +x_0={x0} +y_0={y0}")
        }
        "lambertazimuthalequalarea" => {
            format!("+proj=laea +lat_0={lat0} +lon_0={lon0} +x_0={x0} +y_0={y0}")
        }
        "obliquestereographic" | "doublestereographic" => {
            format!("+proj=sterea +lat_0={lat0} +lon_0={lon0} +k={k} +x_0={x0} +y_0={y0}")
        }
        "equirectangular" | "equidistantcylindrical" => {
            let lat_ts = sp1.unwrap_or(lat0);
            format!("+proj=eqc +lat_ts={lat_ts} +lon_0={lon0} +x_0={x0} +y_0={y0}")
        }
        _ => return Err(format!("WKT projection `{proj_name}` is not supported")),
    };
    let to_meter = root
        .children("UNIT")
        .last()
        .and_then(|u| u.number(0))
        .unwrap_or(1.0);
    let units = if (to_meter - 1.0).abs() < 1e-12 {
        "+units=m".to_string()
    } else {
        format!("+to_meter={to_meter}")
    };
    Ok(format!("{body} {earth} {units} +no_defs"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esri_prj_utm_is_recognised_as_epsg() {
        let prj = r#"PROJCS["WGS_1984_UTM_Zone_40N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",57.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        let c = crs_from_wkt(prj);
        assert_eq!(c.epsg, Some(32640));
        assert!(!c.geographic);
        let g = crs_from_wkt(
            r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#,
        );
        assert_eq!(g.epsg, Some(4326));
        assert!(g.geographic);
    }

    #[test]
    fn wkt_tmerc_equals_epsg_utm() {
        // A custom-named UTM 40N: converted from parameters, not by name.
        let prj = r#"PROJCS["my_grid",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",57.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        let c = crs_from_wkt(prj);
        assert_eq!(c.epsg, None);
        let a = Transformer::new(&Crs::wgs84(), &c).unwrap();
        let b = Transformer::new(&Crs::wgs84(), &Crs::epsg(32640)).unwrap();
        for (lon, lat) in [(55.3, 80.1), (58.9, 79.7), (57.0, 81.2)] {
            let (x1, y1) = a.transform(lon, lat).unwrap();
            let (x2, y2) = b.transform(lon, lat).unwrap();
            assert!((x1 - x2).abs() < 1e-6 && (y1 - y2).abs() < 1e-6);
        }
    }

    #[test]
    fn polar_stereographic_wkt_matches_epsg_3413() {
        let wkt = r#"PROJCS["NSIDC Sea Ice Polar Stereographic North",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Polar_Stereographic"],PARAMETER["latitude_of_origin",70],PARAMETER["central_meridian",-45],PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1]]"#;
        let c = crs_from_wkt(wkt);
        let a = Transformer::new(&Crs::wgs84(), &c).unwrap();
        let b = Transformer::new(&Crs::wgs84(), &Crs::epsg(3413)).unwrap();
        let (x1, y1) = a.transform(-147.0, 61.0).unwrap();
        let (x2, y2) = b.transform(-147.0, 61.0).unwrap();
        assert!(
            (x1 - x2).abs() < 1e-6 && (y1 - y2).abs() < 1e-6,
            "{x1} {x2} {y1} {y2}"
        );
    }

    #[test]
    fn unknown_crs_and_bad_text_are_errors() {
        assert!(matches!(
            Projection::new(&Crs::unknown()),
            Err(SarError::Projection { .. })
        ));
        assert!(matches!(
            Projection::new(&Crs::epsg(99_999)),
            Err(SarError::Projection { .. })
        ));
        assert!(matches!(
            parse_crs("not a crs"),
            Err(SarError::InvalidParameter { name: "crs", .. })
        ));
        assert_eq!(parse_crs("EPSG:3413").unwrap().epsg, Some(3413));
        assert!(parse_crs("+proj=longlat +datum=WGS84").unwrap().geographic);
        let t = Transformer::new(&Crs::wgs84(), &Crs::epsg(32640)).unwrap();
        assert!(t.transform(f64::NAN, 1.0).is_err());
    }
}
