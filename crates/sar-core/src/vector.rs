//! Glacier outlines: polygons with attributes from ESRI Shapefile,
//! GeoPackage and GeoJSON, as [`geo`] multipolygons in a [`Crs`].
//!
//! [`read_outlines`] picks the reader from the file extension:
//!
//! * `.shp` — ESRI Shapefile with its `.dbf` attributes and `.prj` CRS
//!   (`shapefile` crate; the `.prj` WKT goes through
//!   [`crate::proj::crs_from_wkt`]);
//! * `.gpkg` — GeoPackage (feature `gpkg`, on by default; SQLite bundled):
//!   the first feature table (or the one named with [`read_outlines_layer`]),
//!   geometry blobs = GeoPackage header + WKB (parsed by [`wkb`](crate::wkb)),
//!   CRS from `gpkg_spatial_ref_sys`;
//! * `.geojson` / `.json` — GeoJSON (`geojson` crate), WGS 84 by RFC 7946 or
//!   the legacy `crs` member (`urn:ogc:def:crs:EPSG::32643`).
//!
//! Every polygon or multipolygon feature becomes a [`Feature`] with a
//! 1-based [`Feature::id`] in file order (the label value used by
//! [`rasterize`](crate::rasterize::rasterize)); features without a polygon
//! geometry are listed in [`Outlines::skipped`] rather than dropped silently.
//! RGI 6 and RGI 7 attribute names are recognised by [`Feature::rgi`].
//!
//! ```no_run
//! use sar_core::vector::read_outlines;
//! use sar_core::Crs;
//!
//! let outlines = read_outlines("RGI60-14.shp")?;
//! let utm = outlines.to_crs(&Crs::epsg(32643))?; // reprojected vertices
//! for f in &utm.features {
//!     let rgi = f.rgi();
//!     println!("{} {:?} km² surge {:?}", f.id, rgi.area_km2, rgi.surge_type);
//! }
//! # Ok::<(), sar_core::SarError>(())
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use geo::{Geometry, MultiPolygon};

use crate::error::{Result, SarError};
use crate::grid::Crs;
use crate::proj::{crs_from_wkt, parse_crs, Transformer};

/// An attribute value of a feature.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// Missing (SQL NULL, empty dBase field, JSON null).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Text(String),
}

impl AttrValue {
    /// The value as a number, if it is one (or text that parses as one).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AttrValue::Int(i) => Some(*i as f64),
            AttrValue::Float(f) => Some(*f),
            AttrValue::Bool(b) => Some(f64::from(u8::from(*b))),
            AttrValue::Text(t) => t.trim().parse().ok(),
            AttrValue::Null => None,
        }
    }

    /// The value as text (numbers formatted), `None` for `Null`.
    pub fn as_text(&self) -> Option<String> {
        match self {
            AttrValue::Null => None,
            AttrValue::Bool(b) => Some(b.to_string()),
            AttrValue::Int(i) => Some(i.to_string()),
            AttrValue::Float(f) => Some(f.to_string()),
            AttrValue::Text(t) => Some(t.clone()),
        }
    }
}

/// One outline: a (multi)polygon with attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// 1-based feature number in file order among the polygon features;
    /// the label written by [`rasterize`](crate::rasterize::rasterize)
    /// (0 is the background).
    pub id: u32,
    /// Attributes by field name.
    pub attributes: BTreeMap<String, AttrValue>,
    /// The outline, in the CRS of the [`Outlines`] it belongs to.
    pub geometry: MultiPolygon<f64>,
}

/// The RGI attributes of an outline (RGI 6 or RGI 7 names).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RgiAttributes {
    /// Glacier id: `RGIId` (RGI 6) or `rgi_id` (RGI 7).
    pub rgi_id: Option<String>,
    /// Glacier area in km²: `Area` (RGI 6) or `area_km2` (RGI 7).
    pub area_km2: Option<f64>,
    /// Surge class: `Surging` (RGI 6) or `surge_type` (RGI 7); both use
    /// 0 = no evidence, 1 = possible, 2 = probable, 3 = observed,
    /// 9 = not assigned.
    pub surge_type: Option<u8>,
    /// Glacier name: `Name` (RGI 6) or `glac_name` / `name` (RGI 7).
    pub name: Option<String>,
}

impl RgiAttributes {
    /// True for a probable or observed surge-type glacier (class 2 or 3).
    pub fn is_surge_type(&self) -> bool {
        matches!(self.surge_type, Some(2 | 3))
    }
}

impl Feature {
    /// The attribute named `key`, case-insensitively.
    pub fn attribute(&self, key: &str) -> Option<&AttrValue> {
        self.attributes.get(key).or_else(|| {
            self.attributes
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    }

    fn first(&self, keys: &[&str]) -> Option<&AttrValue> {
        keys.iter()
            .filter_map(|k| self.attribute(k))
            .find(|v| **v != AttrValue::Null)
    }

    /// The RGI attributes, whichever RGI version named them.
    pub fn rgi(&self) -> RgiAttributes {
        RgiAttributes {
            rgi_id: self
                .first(&["RGIId", "rgi_id"])
                .and_then(AttrValue::as_text),
            area_km2: self
                .first(&["Area", "area_km2"])
                .and_then(AttrValue::as_f64),
            surge_type: self
                .first(&["Surging", "surge_type"])
                .and_then(AttrValue::as_f64)
                .filter(|v| (0.0..=255.0).contains(v))
                .map(|v| v as u8),
            name: self
                .first(&["Name", "glac_name"])
                .and_then(AttrValue::as_text)
                .filter(|s| !s.trim().is_empty()),
        }
    }
}

/// The polygon features of a vector file, with their CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlines {
    /// The polygon features, ids 1..=n in file order.
    pub features: Vec<Feature>,
    /// Their CRS (unknown if the file does not say: a shapefile without
    /// `.prj`; set it with [`Outlines::with_crs`]).
    pub crs: Crs,
    /// The file they were read from.
    pub source: String,
    /// Records that were not polygons: (0-based record index, reason).
    pub skipped: Vec<(usize, String)>,
}

impl Outlines {
    /// Replace the CRS (for a file that does not declare one).
    pub fn with_crs(mut self, crs: Crs) -> Self {
        self.crs = crs;
        self
    }

    /// The outlines with every vertex transformed into `crs` (ids and
    /// attributes kept). Straight edges are not densified: outlines with
    /// vertices a few pixels apart (RGI) stay within a fraction of a pixel.
    ///
    /// # Errors
    /// [`SarError::Projection`] if a CRS is unusable or a vertex does not
    /// transform; [`SarError::Vector`] if the outlines' CRS is unknown.
    pub fn to_crs(&self, crs: &Crs) -> Result<Outlines> {
        if self.crs.same_as(crs) {
            return Ok(self.clone());
        }
        if self.crs.is_unknown() {
            return Err(SarError::Vector {
                path: self.source.clone(),
                what: format!(
                    "the outlines have no CRS (no .prj?) and cannot be reprojected to {crs}; give their CRS"
                ),
            });
        }
        let t = Transformer::new(&self.crs, crs)?;
        let features = self
            .features
            .iter()
            .map(|f| {
                Ok(Feature {
                    id: f.id,
                    attributes: f.attributes.clone(),
                    geometry: t.transform_geometry(&f.geometry)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Outlines {
            features,
            crs: crs.clone(),
            source: self.source.clone(),
            skipped: self.skipped.clone(),
        })
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// True if there is no polygon feature.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }
}

/// Read the polygon features of a shapefile, GeoPackage or GeoJSON file
/// (by extension; see the module docs).
///
/// # Errors
/// [`SarError::Vector`] naming the file if it cannot be read, has an unknown
/// extension, or holds no polygon feature.
pub fn read_outlines(path: impl AsRef<Path>) -> Result<Outlines> {
    read_outlines_layer(path, None)
}

/// As [`read_outlines`], choosing the GeoPackage table `layer` (ignored for
/// the other formats).
///
/// # Errors
/// As [`read_outlines`].
pub fn read_outlines_layer(path: impl AsRef<Path>, layer: Option<&str>) -> Result<Outlines> {
    let path = path.as_ref();
    let raw = read_vector(path, layer)?;
    let src = path.display().to_string();
    let mut features = Vec::new();
    let mut skipped = Vec::new();
    for (i, (geom, attributes)) in raw.records.into_iter().enumerate() {
        let mp = match geom {
            Some(Geometry::Polygon(p)) => MultiPolygon(vec![p]),
            Some(Geometry::MultiPolygon(m)) => m,
            Some(Geometry::GeometryCollection(gc)) => {
                let polys: Vec<_> =
                    gc.0.into_iter()
                        .flat_map(|g| match g {
                            Geometry::Polygon(p) => vec![p],
                            Geometry::MultiPolygon(m) => m.0,
                            _ => vec![],
                        })
                        .collect();
                if polys.is_empty() {
                    skipped.push((i, "geometry collection without polygons".into()));
                    continue;
                }
                MultiPolygon(polys)
            }
            Some(other) => {
                skipped.push((i, format!("not a polygon: {}", geometry_kind(&other))));
                continue;
            }
            None => {
                skipped.push((i, "no geometry".into()));
                continue;
            }
        };
        if mp.0.iter().all(|p| p.exterior().0.len() < 4) {
            skipped.push((
                i,
                "degenerate polygon (fewer than 3 distinct vertices)".into(),
            ));
            continue;
        }
        let id = u32::try_from(features.len() + 1).map_err(|_| SarError::Vector {
            path: src.clone(),
            what: "more than 4 294 967 295 features".into(),
        })?;
        features.push(Feature {
            id,
            attributes,
            geometry: mp,
        });
    }
    if features.is_empty() {
        return Err(SarError::Vector {
            path: src,
            what: format!(
                "no polygon feature ({} record(s) read{})",
                skipped.len(),
                skipped
                    .first()
                    .map(|(i, w)| format!("; record {i}: {w}"))
                    .unwrap_or_default()
            ),
        });
    }
    Ok(Outlines {
        features,
        crs: raw.crs,
        source: src,
        skipped,
    })
}

fn geometry_kind(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

/// One record of a vector file: its geometry (if any) and attributes.
pub(crate) type Record = (Option<Geometry<f64>>, BTreeMap<String, AttrValue>);

/// Records of any geometry type read from a vector file (used by
/// [`read_outlines`] and [`crate::points`]).
#[derive(Debug, Clone)]
pub(crate) struct RawVector {
    /// (geometry, attributes) per record, in file order.
    pub records: Vec<Record>,
    /// The file's CRS (unknown if not declared).
    pub crs: Crs,
    /// Z value of each record if the geometry has one (points only).
    pub z: Vec<Option<f64>>,
}

pub(crate) fn vector_error(path: &Path, what: impl Into<String>) -> SarError {
    SarError::Vector {
        path: path.display().to_string(),
        what: what.into(),
    }
}

pub(crate) fn read_vector(path: &Path, layer: Option<&str>) -> Result<RawVector> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !path.exists() {
        return Err(vector_error(path, "file not found"));
    }
    match ext.as_str() {
        "shp" => read_shapefile(path),
        "geojson" | "json" => read_geojson(path),
        "gpkg" => read_gpkg(path, layer),
        other => Err(vector_error(
            path,
            format!("unknown extension `.{other}`: .shp, .gpkg, .geojson or .json expected"),
        )),
    }
}

fn read_shapefile(path: &Path) -> Result<RawVector> {
    let mut reader =
        shapefile::Reader::from_path(path).map_err(|e| vector_error(path, e.to_string()))?;
    let mut records = Vec::new();
    let mut z = Vec::new();
    for item in reader.iter_shapes_and_records() {
        let (shape, record) = item.map_err(|e| vector_error(path, e.to_string()))?;
        let zv = match &shape {
            shapefile::Shape::PointZ(p) => Some(p.z),
            _ => None,
        };
        let geom = match shape {
            shapefile::Shape::NullShape => None,
            s => Some(Geometry::<f64>::try_from(s).map_err(|e| vector_error(path, e.to_string()))?),
        };
        let attrs = record
            .into_iter()
            .map(|(k, v)| (k, dbase_value(v)))
            .collect();
        records.push((geom, attrs));
        z.push(zv);
    }
    let prj = path.with_extension("prj");
    let crs = if prj.exists() {
        let text = std::fs::read_to_string(&prj).map_err(|e| vector_error(&prj, e.to_string()))?;
        crs_from_wkt(text.trim())
    } else {
        Crs::unknown()
    };
    Ok(RawVector { records, crs, z })
}

fn dbase_value(v: shapefile::dbase::FieldValue) -> AttrValue {
    use shapefile::dbase::FieldValue as F;
    match v {
        F::Character(Some(s)) => AttrValue::Text(s.trim_end().to_string()),
        F::Numeric(Some(x)) => {
            if x.fract() == 0.0 && x.abs() < 9.0e15 {
                AttrValue::Int(x as i64)
            } else {
                AttrValue::Float(x)
            }
        }
        F::Float(Some(x)) => AttrValue::Float(f64::from(x)),
        F::Logical(Some(b)) => AttrValue::Bool(b),
        F::Integer(i) => AttrValue::Int(i64::from(i)),
        F::Double(x) | F::Currency(x) => AttrValue::Float(x),
        F::Date(Some(d)) => {
            AttrValue::Text(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }
        F::Memo(s) => AttrValue::Text(s),
        _ => AttrValue::Null,
    }
}

fn json_value(v: &serde_json::Value) -> AttrValue {
    use serde_json::Value as J;
    match v {
        J::Null => AttrValue::Null,
        J::Bool(b) => AttrValue::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map(AttrValue::Int)
            .unwrap_or_else(|| AttrValue::Float(n.as_f64().unwrap_or(f64::NAN))),
        J::String(s) => AttrValue::Text(s.clone()),
        other => AttrValue::Text(other.to_string()),
    }
}

fn read_geojson(path: &Path) -> Result<RawVector> {
    let text = std::fs::read_to_string(path).map_err(|e| vector_error(path, e.to_string()))?;
    let gj: geojson::GeoJson = text
        .parse()
        .map_err(|e: geojson::Error| vector_error(path, format!("not valid GeoJSON: {e}")))?;
    let (features, crs_member) = match gj {
        geojson::GeoJson::FeatureCollection(fc) => {
            let crs = fc
                .foreign_members
                .as_ref()
                .and_then(|m| m.get("crs"))
                .cloned();
            (fc.features, crs)
        }
        geojson::GeoJson::Feature(f) => (vec![f], None),
        geojson::GeoJson::Geometry(g) => (
            vec![geojson::Feature {
                bbox: None,
                geometry: Some(g),
                id: None,
                properties: None,
                foreign_members: None,
            }],
            None,
        ),
    };
    let crs = match crs_member {
        Some(c) => {
            let name = c
                .pointer("/properties/name")
                .and_then(|v| v.as_str())
                .ok_or_else(|| vector_error(path, "`crs` member without properties.name"))?;
            crs_from_urn(name).ok_or_else(|| {
                vector_error(path, format!("`crs` name `{name}` is not understood"))
            })?
        }
        None => Crs::wgs84(),
    };
    let mut records = Vec::with_capacity(features.len());
    let mut z = Vec::with_capacity(features.len());
    for f in features {
        let zv = match f.geometry.as_ref().map(|g| &g.value) {
            Some(geojson::Value::Point(c)) => c.get(2).copied(),
            _ => None,
        };
        let geom = match f.geometry {
            Some(g) => Some(
                Geometry::<f64>::try_from(g)
                    .map_err(|e| vector_error(path, format!("bad geometry: {e}")))?,
            ),
            None => None,
        };
        let attrs = f
            .properties
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| (k.clone(), json_value(v)))
            .collect();
        records.push((geom, attrs));
        z.push(zv);
    }
    Ok(RawVector { records, crs, z })
}

/// `urn:ogc:def:crs:EPSG::32643`, `EPSG:32643`, `urn:ogc:def:crs:OGC:1.3:CRS84`.
fn crs_from_urn(name: &str) -> Option<Crs> {
    if name.ends_with("CRS84") {
        return Some(Crs::wgs84());
    }
    let code = name.rsplit(':').next()?;
    parse_crs(code).ok().filter(|c| c.epsg.is_some())
}

#[cfg(feature = "gpkg")]
fn read_gpkg(path: &Path, layer: Option<&str>) -> Result<RawVector> {
    use rusqlite::types::ValueRef;
    use rusqlite::{Connection, OpenFlags};
    let err = |e: rusqlite::Error| vector_error(path, format!("SQLite: {e}"));
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(err)?;
    let (table, geom_col, srs_id): (String, String, i64) = {
        let mut q = conn
            .prepare(
                "SELECT g.table_name, g.column_name, g.srs_id FROM gpkg_geometry_columns g \
                 JOIN gpkg_contents c ON c.table_name = g.table_name \
                 WHERE c.data_type = 'features' ORDER BY g.table_name",
            )
            .map_err(|e| vector_error(path, format!("not a GeoPackage ({e})")))?;
        let rows: Vec<(String, String, i64)> = q
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(err)?
            .collect::<std::result::Result<_, _>>()
            .map_err(err)?;
        let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        match layer {
            Some(l) => rows.iter().find(|r| r.0 == l).cloned().ok_or_else(|| {
                vector_error(path, format!("no feature table `{l}`; tables: {names:?}"))
            })?,
            None => rows
                .first()
                .cloned()
                .ok_or_else(|| vector_error(path, "the GeoPackage has no feature table"))?,
        }
    };
    let crs = {
        let row: Option<(String, i64, String)> = conn
            .query_row(
                "SELECT organization, organization_coordsys_id, definition \
                 FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
                [srs_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .ok();
        match row {
            Some((org, code, _)) if org.eq_ignore_ascii_case("EPSG") && code > 0 => {
                Crs::epsg(code as u32)
            }
            Some((_, _, def)) if def.contains('[') => crs_from_wkt(&def),
            _ => Crs::unknown(),
        }
    };
    let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {}", quoted(&table)))
        .map_err(err)?;
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let gi = names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(&geom_col))
        .ok_or_else(|| vector_error(path, format!("geometry column `{geom_col}` missing")))?;
    let mut rows = stmt.query([]).map_err(err)?;
    let mut records = Vec::new();
    let mut z = Vec::new();
    while let Some(row) = rows.next().map_err(err)? {
        let mut attrs = BTreeMap::new();
        let mut geom = None;
        let mut zv = None;
        for (i, name) in names.iter().enumerate() {
            let v = row.get_ref(i).map_err(err)?;
            if i == gi {
                if let ValueRef::Blob(b) = v {
                    let g = crate::wkb::read_gpkg_geometry(b)
                        .map_err(|e| vector_error(path, format!("row {}: {e}", records.len())))?;
                    zv = g.z;
                    geom = g.geometry;
                }
                continue;
            }
            let a = match v {
                ValueRef::Null => AttrValue::Null,
                ValueRef::Integer(i) => AttrValue::Int(i),
                ValueRef::Real(f) => AttrValue::Float(f),
                ValueRef::Text(t) => AttrValue::Text(String::from_utf8_lossy(t).to_string()),
                ValueRef::Blob(_) => continue,
            };
            attrs.insert(name.clone(), a);
        }
        records.push((geom, attrs));
        z.push(zv);
    }
    Ok(RawVector { records, crs, z })
}

#[cfg(not(feature = "gpkg"))]
fn read_gpkg(path: &Path, _layer: Option<&str>) -> Result<RawVector> {
    Err(vector_error(
        path,
        "GeoPackage support is off: build sar-core with the `gpkg` feature",
    ))
}
