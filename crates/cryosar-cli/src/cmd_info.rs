//! `cryosar info`: what a GeoTIFF holds, as JSON.

use std::path::PathBuf;

use anyhow::Context;
use sar_core::geotiff;
use serde::Serialize;

/// Arguments of `cryosar info`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The GeoTIFF to describe.
    pub file: PathBuf,
}

/// Statistics of one band (NaN and no-data pixels skipped; for complex
/// bands, of the amplitude |z|).
#[derive(Debug, Serialize)]
pub struct BandStats {
    /// 1-based band number, as GDAL counts.
    pub band: usize,
    /// Fraction of pixels that are finite and not no-data.
    pub valid_fraction: f64,
    /// Minimum of the valid pixels (null if none).
    pub min: Option<f64>,
    /// Maximum of the valid pixels (null if none).
    pub max: Option<f64>,
    /// Mean of the valid pixels (null if none).
    pub mean: Option<f64>,
}

/// The JSON document printed by `cryosar info`.
#[derive(Debug, Serialize)]
pub struct Info {
    /// The file.
    pub path: String,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Number of bands.
    pub bands: usize,
    /// Sample type (GDAL's name, e.g. Float32, CInt16).
    pub data_type: String,
    /// EPSG code of the CRS, if any.
    pub epsg: Option<u32>,
    /// WKT or citation of the CRS, if any.
    pub wkt: Option<String>,
    /// PROJ.4 definition of a user-defined CRS (no EPSG code), if any.
    pub proj4: Option<String>,
    /// True for a geographic (degree) CRS.
    pub geographic: bool,
    /// Every GeoKey as stored in the file: `{"key": value}` with the key's
    /// number and name (e.g. `"3075 ProjCoordTransGeoKey"`).
    pub geokeys: serde_json::Map<String, serde_json::Value>,
    /// GDAL geotransform (six numbers, pixel-corner convention).
    pub geotransform: [f64; 6],
    /// Map coordinates of the outer edges: xmin, ymin, xmax, ymax.
    pub bounds: [f64; 4],
    /// Pixel size in metres (east–west, north–south) at the central row.
    pub pixel_size_m: [f64; 2],
    /// The file's no-data value, if declared (null for none; NaN is printed as the string "nan").
    pub nodata: Option<serde_json::Value>,
    /// Compression.
    pub compression: String,
    /// Tiled (true) or striped (false).
    pub tiled: bool,
    /// Statistics per band.
    pub band_stats: Vec<BandStats>,
    /// GDAL metadata of the file (TIFF tag 42112): dataset items, and per
    /// band its description, unit and items. Null if the file has none.
    pub metadata: Option<Metadata>,
    /// Why the file's GDAL metadata could not be parsed, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_error: Option<String>,
}

/// GDAL metadata of a file, as `cryosar info` prints it.
#[derive(Debug, Serialize)]
pub struct Metadata {
    /// Dataset items `{"name": "value"}` in file order.
    pub items: serde_json::Map<String, serde_json::Value>,
    /// Metadata of each band that has some.
    pub bands: Vec<BandMetadata>,
}

/// Metadata of one band, as `cryosar info` prints it.
#[derive(Debug, Serialize)]
pub struct BandMetadata {
    /// 1-based band number, as GDAL counts.
    pub band: usize,
    /// Band description, if any.
    pub description: Option<String>,
    /// Unit of the values, if any.
    pub unit: Option<String>,
    /// Other band items `{"name": "value"}`.
    pub items: serde_json::Map<String, serde_json::Value>,
}

fn json_items(items: &[(String, String)]) -> serde_json::Map<String, serde_json::Value> {
    items
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect()
}

/// Name of a GeoKey (GeoTIFF 1.1), or "" for an unknown one.
fn geokey_name(k: u16) -> &'static str {
    match k {
        1024 => "GTModelTypeGeoKey",
        1025 => "GTRasterTypeGeoKey",
        1026 => "GTCitationGeoKey",
        2048 => "GeographicTypeGeoKey",
        2049 => "GeogCitationGeoKey",
        2050 => "GeogGeodeticDatumGeoKey",
        2051 => "GeogPrimeMeridianGeoKey",
        2052 => "GeogLinearUnitsGeoKey",
        2054 => "GeogAngularUnitsGeoKey",
        2056 => "GeogEllipsoidGeoKey",
        2057 => "GeogSemiMajorAxisGeoKey",
        2058 => "GeogSemiMinorAxisGeoKey",
        2059 => "GeogInvFlatteningGeoKey",
        3072 => "ProjectedCSTypeGeoKey",
        3073 => "PCSCitationGeoKey",
        3074 => "ProjectionGeoKey",
        3075 => "ProjCoordTransGeoKey",
        3076 => "ProjLinearUnitsGeoKey",
        3077 => "ProjLinearUnitSizeGeoKey",
        3078 => "ProjStdParallel1GeoKey",
        3079 => "ProjStdParallel2GeoKey",
        3080 => "ProjNatOriginLongGeoKey",
        3081 => "ProjNatOriginLatGeoKey",
        3082 => "ProjFalseEastingGeoKey",
        3083 => "ProjFalseNorthingGeoKey",
        3084 => "ProjFalseOriginLongGeoKey",
        3085 => "ProjFalseOriginLatGeoKey",
        3086 => "ProjFalseOriginEastingGeoKey",
        3087 => "ProjFalseOriginNorthingGeoKey",
        3088 => "ProjCenterLongGeoKey",
        3089 => "ProjCenterLatGeoKey",
        3092 => "ProjScaleAtNatOriginGeoKey",
        3093 => "ProjScaleAtCenterGeoKey",
        3094 => "ProjAzimuthAngleGeoKey",
        3095 => "ProjStraightVertPoleLongGeoKey",
        4096 => "VerticalCSTypeGeoKey",
        4097 => "VerticalCitationGeoKey",
        4098 => "VerticalDatumGeoKey",
        4099 => "VerticalUnitsGeoKey",
        _ => "",
    }
}

/// Gather the [`Info`] of a GeoTIFF.
pub fn info(path: &std::path::Path) -> anyhow::Result<Info> {
    let meta =
        geotiff::read_info(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut band_stats = Vec::with_capacity(meta.bands);
    for b in 0..meta.bands {
        let values: Vec<f64> = if meta.data_type.is_complex() {
            let r = geotiff::read_complex32(path, b)?;
            r.data
                .iter()
                .map(|z| {
                    let a = z.norm() as f64;
                    if meta.nodata.is_some_and(|nd| a == nd) {
                        f64::NAN
                    } else {
                        a
                    }
                })
                .collect()
        } else {
            geotiff::read_f64(path, b)?.data.into_iter().collect()
        };
        let n = values.len();
        let s = sar_core::stats::Summary::of(values);
        band_stats.push(BandStats {
            band: b + 1,
            valid_fraction: s.map_or(0.0, |s| s.count as f64 / n.max(1) as f64),
            min: s.map(|s| s.min),
            max: s.map(|s| s.max),
            mean: s.map(|s| s.mean),
        });
    }
    let g = &meta.grid;
    let (xmin, ymin, xmax, ymax) = g.bounds();
    let (ew, ns) = g.pixel_size_m(g.rows / 2);
    Ok(Info {
        path: path.display().to_string(),
        width: meta.width,
        height: meta.height,
        bands: meta.bands,
        data_type: meta.data_type.gdal_name().to_string(),
        epsg: g.crs.epsg,
        wkt: g.crs.wkt.clone(),
        proj4: g.crs.proj4.clone(),
        geographic: g.crs.geographic,
        geokeys: meta
            .geokeys
            .iter()
            .map(|(k, v)| {
                (
                    format!("{k} {}", geokey_name(*k)),
                    serde_json::Value::String(v.clone()),
                )
            })
            .collect(),
        geotransform: g.transform.0,
        bounds: [xmin, ymin, xmax, ymax],
        pixel_size_m: [ew, ns],
        nodata: meta.nodata.map(|v| {
            serde_json::Number::from_f64(v).map_or_else(
                || serde_json::Value::String(v.to_string().to_lowercase()),
                serde_json::Value::Number,
            )
        }),
        compression: meta.compression.to_string(),
        tiled: meta.tiled,
        band_stats,
        metadata: (!meta.metadata.is_empty()).then(|| Metadata {
            items: json_items(&meta.metadata.items),
            bands: meta
                .metadata
                .bands
                .iter()
                .enumerate()
                .filter(|(_, b)| !b.is_empty())
                .map(|(i, b)| BandMetadata {
                    band: i + 1,
                    description: b.description.clone(),
                    unit: b.unit.clone(),
                    items: json_items(&b.items),
                })
                .collect(),
        }),
        metadata_error: meta.metadata_error.clone(),
    })
}

/// Run `cryosar info`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let info = info(&args.file)?;
    crate::util::print_out(&format!("{}\n", serde_json::to_string_pretty(&info)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use sar_core::{Crs, Grid, Raster};

    #[test]
    fn info_reports_georeferencing_and_stats() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.tif");
        let g = Grid::north_up(2, 3, 400_000.0, 5_000_000.0, 10.0, 10.0, Crs::epsg(32632));
        let r = Raster::new(array![[1.0, 2.0, f64::NAN], [4.0, 5.0, 6.0]], g)
            .unwrap()
            .with_nodata(Some(-9999.0));
        geotiff::write_f64(&p, &r).unwrap();
        let i = info(&p).unwrap();
        assert_eq!((i.width, i.height, i.bands), (3, 2, 1));
        assert_eq!(i.epsg, Some(32632));
        assert_eq!(
            i.geotransform,
            [400_000.0, 10.0, 0.0, 5_000_000.0, 0.0, -10.0]
        );
        assert_eq!(i.bounds, [400_000.0, 4_999_980.0, 400_030.0, 5_000_000.0]);
        let b = &i.band_stats[0];
        assert!((b.valid_fraction - 5.0 / 6.0).abs() < 1e-12);
        assert_eq!((b.min, b.max, b.mean), (Some(1.0), Some(6.0), Some(3.6)));
        assert_eq!(i.nodata, Some(serde_json::json!(-9999.0)));
    }

    #[test]
    fn info_shows_the_gdal_metadata_tag() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.tif");
        let g = Grid::north_up(2, 2, 0.0, 20.0, 10.0, 10.0, Crs::epsg(32632));
        let r = Raster::new(array![[1.0f32, 2.0], [3.0, 4.0]], g).unwrap();
        let mut md = geotiff::GdalMetadata::default();
        md.set("DATES", "2020-01-01,2020-01-13");
        md.band_mut(0).unit = Some("m/d".into());
        md.band_mut(0).description = Some("east velocity".into());
        let opts = geotiff::WriteOptions::default().metadata(md);
        geotiff::write_bands(&p, &[r], &opts).unwrap();
        let v = serde_json::to_value(info(&p).unwrap()).unwrap();
        assert_eq!(v["metadata"]["items"]["DATES"], "2020-01-01,2020-01-13");
        assert_eq!(v["metadata"]["bands"][0]["band"], 1);
        assert_eq!(v["metadata"]["bands"][0]["unit"], "m/d");
        assert_eq!(v["metadata"]["bands"][0]["description"], "east velocity");
        assert!(v.get("metadata_error").is_none());
        // No tag: null.
        let q = dir.path().join("n.tif");
        geotiff::write_f32(
            &q,
            &Raster::new(
                array![[1.0f32]],
                Grid::north_up(1, 1, 0.0, 1.0, 1.0, 1.0, Crs::epsg(32632)),
            )
            .unwrap(),
        )
        .unwrap();
        assert!(info(&q).unwrap().metadata.is_none());
    }

    #[test]
    fn info_on_a_non_tiff_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.tif");
        std::fs::write(&p, b"not a tiff at all").unwrap();
        let e = info(&p).unwrap_err();
        assert!(format!("{e:#}").contains("x.tif"));
    }
}
