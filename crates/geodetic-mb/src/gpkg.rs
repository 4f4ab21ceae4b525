//! The per-glacier table as an OGC GeoPackage (feature `gpkg`, on by
//! default; SQLite bundled through `rusqlite`, no system library).
//!
//! [`write_glaciers_gpkg`] writes one feature table (default layer name
//! `glaciers`) with the outline of every glacier as a `MULTIPOLYGON` in the
//! outlines' CRS and the columns of the CSV table (status, areas, means,
//! σ, b, n_eff, pattern). Quantities that could not be computed (NaN) are
//! written as SQL `NULL`. The file follows GeoPackage 1.2: application id
//! `GPKG`, user version 10200, the three mandatory spatial reference
//! systems (−1, 0, 4326) plus the outlines' CRS (EPSG code and its WKT from
//! `crs-definitions`, or the CRS's own WKT), `gpkg_contents` with the
//! extent, `gpkg_geometry_columns`, and geometry blobs of the standard
//! header (magic `GP`, version 0, little endian, XY envelope) followed by
//! little-endian WKB. It reads back with `sar_core::vector::read_outlines`
//! (tested) and with GDAL/OGR.

use std::path::Path;

use geo::{BoundingRect, MultiPolygon};
use rusqlite::{params_from_iter, types::Value, Connection};
use sar_core::Crs;

use crate::error::{MbError, Result};
use crate::glacier::GlacierResult;

/// The SRS id used in the file for `crs`, its organisation, code and WKT.
fn srs_entry(crs: &Crs) -> (i64, String, i64, String) {
    if let Some(code) = crs.epsg {
        let wkt = crs
            .wkt
            .clone()
            .or_else(|| {
                u16::try_from(code)
                    .ok()
                    .and_then(crs_definitions::from_code)
                    .map(|d| d.wkt.to_string())
            })
            .unwrap_or_else(|| "undefined".into());
        (i64::from(code), "EPSG".into(), i64::from(code), wkt)
    } else if let Some(w) = &crs.wkt {
        (100_000, "NONE".into(), 100_000, w.clone())
    } else {
        (-1, "NONE".into(), -1, "undefined".into())
    }
}

/// Little-endian WKB of a multipolygon.
fn wkb_multipolygon(mp: &MultiPolygon<f64>, out: &mut Vec<u8>) {
    let u32le = |out: &mut Vec<u8>, v: usize| out.extend_from_slice(&(v as u32).to_le_bytes());
    out.push(1);
    u32le(out, 6);
    u32le(out, mp.0.len());
    for p in &mp.0 {
        out.push(1);
        u32le(out, 3);
        u32le(out, 1 + p.interiors().len());
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            u32le(out, ring.0.len());
            for c in &ring.0 {
                out.extend_from_slice(&c.x.to_le_bytes());
                out.extend_from_slice(&c.y.to_le_bytes());
            }
        }
    }
}

/// GeoPackage geometry blob: header (with the XY envelope, or the empty
/// flag for an empty geometry) + WKB.
pub fn gpkg_geometry_blob(mp: &MultiPolygon<f64>, srs_id: i32) -> Vec<u8> {
    let mut b =
        Vec::with_capacity(48 + 16 * mp.0.iter().map(|p| p.exterior().0.len()).sum::<usize>());
    b.extend_from_slice(b"GP");
    b.push(0);
    match mp.bounding_rect() {
        Some(r) => {
            b.push(0b0000_0011); // little endian, XY envelope
            b.extend_from_slice(&srs_id.to_le_bytes());
            for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        None => {
            b.push(0b0001_0001); // little endian, empty, no envelope
            b.extend_from_slice(&srs_id.to_le_bytes());
        }
    }
    wkb_multipolygon(mp, &mut b);
    b
}

/// The attribute columns (name, SQL type) of the glacier table.
pub const COLUMNS: [(&str, &str); 17] = [
    ("rgi_id", "TEXT"),
    ("name", "TEXT"),
    ("surge_class", "TEXT"),
    ("status", "TEXT"),
    ("area_km2", "REAL"),
    ("coverage", "REAL"),
    ("n_measured", "INTEGER"),
    ("n_filled", "INTEGER"),
    ("mean_measured_m_yr", "REAL"),
    ("mean_filled_m_yr", "REAL"),
    ("mean_dhdt_m_yr", "REAL"),
    ("sigma_dhdt_m_yr", "REAL"),
    ("b_mwe_yr", "REAL"),
    ("sigma_b_mwe_yr", "REAL"),
    ("n_eff", "REAL"),
    ("median_elevation_m", "REAL"),
    ("pattern", "TEXT"),
];

fn row_values(g: &GlacierResult) -> Vec<Value> {
    let real = |v: f64| {
        if v.is_finite() {
            Value::Real(v)
        } else {
            Value::Null
        }
    };
    vec![
        Value::Text(g.info.id.clone()),
        Value::Text(g.info.name.clone()),
        Value::Text(format!("{:?}", g.info.surge)),
        Value::Text(g.status.code().into()),
        real(g.area_m2 / 1e6),
        real(g.coverage),
        Value::Integer(g.n_measured as i64),
        Value::Integer(g.n_filled as i64),
        real(g.mean_measured_m_yr),
        real(g.mean_filled_m_yr),
        real(g.mean_dhdt_m_yr),
        real(g.sigma_dhdt_m_yr),
        real(g.b_mwe_yr),
        real(g.sigma_b_mwe_yr),
        real(g.n_eff),
        real(g.median_elevation_m),
        g.pattern
            .map_or(Value::Null, |p| Value::Text(format!("{:?}", p.pattern))),
    ]
}

/// Write `glaciers` (one row each, with the outline `geometries[i]` in
/// `crs`) as the feature table `layer` of a new GeoPackage at `path` (an
/// existing file is replaced).
///
/// # Errors
/// [`MbError::InvalidParameter`] when the lengths differ or `layer` is not
/// a plain name (letters, digits, `_`); [`MbError::Io`] for SQLite/file
/// errors, naming the path.
pub fn write_glaciers_gpkg(
    path: impl AsRef<Path>,
    layer: &str,
    glaciers: &[GlacierResult],
    geometries: &[MultiPolygon<f64>],
    crs: &Crs,
) -> Result<()> {
    let path = path.as_ref();
    if glaciers.len() != geometries.len() {
        return Err(MbError::param(
            "geometries",
            format!(
                "{} glaciers but {} geometries",
                glaciers.len(),
                geometries.len()
            ),
        ));
    }
    if layer.is_empty() || !layer.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(MbError::param(
            "layer",
            format!("`{layer}`: use letters, digits and `_` only"),
        ));
    }
    let io = |e: rusqlite::Error| MbError::Io(format!("GeoPackage {}: {e}", path.display()));
    if path.exists() {
        std::fs::remove_file(path)
            .map_err(|e| MbError::Io(format!("cannot replace {}: {e}", path.display())))?;
    }
    let mut conn = Connection::open(path).map_err(io)?;
    let (srs_id, org, code, wkt) = srs_entry(crs);
    let tx = conn.transaction().map_err(io)?;
    tx.execute_batch(
        "PRAGMA application_id = 1196444487;
         PRAGMA user_version = 10200;
         CREATE TABLE gpkg_spatial_ref_sys (
           srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
           organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
           definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (
           table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
           identifier TEXT UNIQUE, description TEXT DEFAULT '',
           last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
           min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
           srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id)
           REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (
           table_name TEXT NOT NULL, column_name TEXT NOT NULL,
           geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
           z TINYINT NOT NULL, m TINYINT NOT NULL,
           CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
           CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
           CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
         INSERT INTO gpkg_spatial_ref_sys VALUES
           ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
           ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');",
    )
    .map_err(io)?;
    let wgs84 = crs_definitions::from_code(4326).map_or("undefined", |d| d.wkt);
    tx.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?1, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        [wgs84],
    )
    .map_err(io)?;
    if srs_id != 4326 && srs_id != -1 {
        tx.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
            rusqlite::params![crs.to_string(), srs_id, org, code, wkt],
        )
        .map_err(io)?;
    }
    let cols: Vec<String> = COLUMNS
        .iter()
        .map(|(n, t)| format!("\"{n}\" {t}"))
        .collect();
    tx.execute_batch(&format!(
        "CREATE TABLE \"{layer}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom MULTIPOLYGON, {});",
        cols.join(", ")
    ))
    .map_err(io)?;
    let ext = geometries
        .iter()
        .filter_map(|g| g.bounding_rect())
        .fold(None::<[f64; 4]>, |a, r| {
            let b = [r.min().x, r.min().y, r.max().x, r.max().y];
            Some(a.map_or(b, |a| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            }))
        });
    let ext_v = |i: usize| ext.map_or(Value::Null, |e| Value::Real(e[i]));
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) \
         VALUES (?1, 'features', ?1, 'per-glacier mass balance (cryosar, geodetic-mb)', ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![layer, ext_v(0), ext_v(1), ext_v(2), ext_v(3), srs_id],
    )
    .map_err(io)?;
    tx.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', 'MULTIPOLYGON', ?2, 0, 0)",
        rusqlite::params![layer, srs_id],
    )
    .map_err(io)?;
    {
        let names: Vec<String> = COLUMNS.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        let marks: Vec<String> = (2..=COLUMNS.len() + 1).map(|i| format!("?{i}")).collect();
        let mut stmt = tx
            .prepare(&format!(
                "INSERT INTO \"{layer}\" (geom, {}) VALUES (?1, {})",
                names.join(", "),
                marks.join(", ")
            ))
            .map_err(io)?;
        for (g, mp) in glaciers.iter().zip(geometries) {
            let mut v = vec![Value::Blob(gpkg_geometry_blob(mp, srs_id as i32))];
            v.extend(row_values(g));
            stmt.execute(params_from_iter(v)).map_err(io)?;
        }
    }
    tx.commit().map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glacier::{GlacierInfo, GlacierStatus};
    use crate::surge::SurgeClass;
    use geo::{Area, LineString, Polygon};

    fn square(x0: f64, y0: f64, s: f64, hole: bool) -> Polygon<f64> {
        let ring = |x0: f64, y0: f64, s: f64| {
            LineString::from(vec![
                (x0, y0),
                (x0 + s, y0),
                (x0 + s, y0 + s),
                (x0, y0 + s),
                (x0, y0),
            ])
        };
        let holes = if hole {
            vec![ring(x0 + 0.25 * s, y0 + 0.25 * s, 0.5 * s)]
        } else {
            vec![]
        };
        Polygon::new(ring(x0, y0, s), holes)
    }

    #[test]
    fn written_table_reads_back_with_sar_core() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("glaciers.gpkg");
        let mut rows = Vec::new();
        for (k, status) in [
            (1u32, GlacierStatus::Ok),
            (2, GlacierStatus::NoMeasuredPixel),
        ] {
            let mut g = GlacierResult::empty(
                GlacierInfo {
                    label: k,
                    id: format!("RGI60-14.{k:05}"),
                    name: if k == 1 {
                        "Baltoro, \"main\"".into()
                    } else {
                        String::new()
                    },
                    surge: if k == 1 {
                        SurgeClass::Observed
                    } else {
                        SurgeClass::NoEvidence
                    },
                },
                status,
            );
            g.area_m2 = 2.5e6 * k as f64;
            if k == 1 {
                g.mean_dhdt_m_yr = -0.61;
                g.sigma_dhdt_m_yr = 0.07;
                g.b_mwe_yr = -0.5185;
            }
            rows.push(g);
        }
        let geoms = vec![
            MultiPolygon::new(vec![square(500_000.0, 4_000_000.0, 1000.0, true)]),
            MultiPolygon::new(vec![
                square(510_000.0, 4_000_000.0, 500.0, false),
                square(512_000.0, 4_000_000.0, 300.0, false),
            ]),
        ];
        let crs = Crs::epsg(32643);
        write_glaciers_gpkg(&path, "glaciers", &rows, &geoms, &crs).unwrap();
        // a second write replaces the file
        write_glaciers_gpkg(&path, "glaciers", &rows, &geoms, &crs).unwrap();
        let o = sar_core::vector::read_outlines(&path).unwrap();
        assert_eq!(o.crs.epsg, Some(32643));
        assert_eq!(o.features.len(), 2);
        for (f, (g, r)) in o.features.iter().zip(geoms.iter().zip(&rows)) {
            assert_eq!(f.geometry.0.len(), g.0.len());
            assert!((f.geometry.unsigned_area() - g.unsigned_area()).abs() < 1e-6);
            assert_eq!(f.rgi().rgi_id.as_deref(), Some(r.info.id.as_str()));
            assert_eq!(
                f.attribute("status").and_then(|v| v.as_text()).as_deref(),
                Some(r.status.code())
            );
        }
        let a = &o.features[0];
        assert!(
            (a.geometry.unsigned_area() - 0.75e6).abs() < 1e-3,
            "the hole is kept"
        );
        assert_eq!(
            a.attribute("mean_dhdt_m_yr").and_then(|v| v.as_f64()),
            Some(-0.61)
        );
        assert_eq!(a.rgi().name.as_deref(), Some("Baltoro, \"main\""));
        // NaN → NULL
        let b = &o.features[1];
        assert_eq!(b.attribute("mean_dhdt_m_yr").and_then(|v| v.as_f64()), None);
        assert_eq!(b.attribute("area_km2").and_then(|v| v.as_f64()), Some(5.0));
    }

    #[test]
    fn bad_arguments_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.gpkg");
        let e = write_glaciers_gpkg(
            &p,
            "glaciers",
            &[],
            &[MultiPolygon::new(vec![])],
            &Crs::epsg(4326),
        );
        assert!(e.unwrap_err().to_string().contains("geometries"));
        let e = write_glaciers_gpkg(&p, "bad name;", &[], &[], &Crs::epsg(4326));
        assert!(e.unwrap_err().to_string().contains("layer"));
        let e = write_glaciers_gpkg(
            dir.path().join("no/such/dir/x.gpkg"),
            "g",
            &[],
            &[],
            &Crs::epsg(4326),
        );
        assert!(e.unwrap_err().to_string().contains("no/such/dir"));
    }
}
