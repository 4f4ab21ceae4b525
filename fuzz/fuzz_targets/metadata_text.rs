//! Fuzz the text parsers on the CLI's argument and metadata paths: dates,
//! memory sizes, GDAL's metadata XML (tag 42112; any text parses or is an
//! error, and what parses survives writing and reading back), and the
//! user-defined CRS of a GeoTIFF written from any PROJ.4-like string and
//! read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sar_core::{geotiff, Crs, Grid, Raster};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = text.parse::<sar_core::Date>();
    let _ = geotiff::parse_memory_size(&text);
    if let Ok(md) = geotiff::GdalMetadata::from_xml(&text, 2) {
        let again = geotiff::GdalMetadata::from_xml(&md.to_xml(), 2);
        assert_eq!(again.as_ref(), Ok(&md), "metadata changed on a round trip");
    }
    let mut md = geotiff::GdalMetadata::default();
    md.set(text.to_string(), text.to_string());
    md.band_mut(0).unit = Some(text.to_string());
    let crs = Crs::proj4(text.to_string());
    let g = Grid::north_up(2, 2, 0.0, 10.0, 1.0, 1.0, crs);
    if let Ok(r) = Raster::new(ndarray::Array2::<f64>::zeros((2, 2)), g) {
        let dir = std::env::temp_dir().join(format!("cryosar-fuzz-m-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("crs.tif");
        if geotiff::write_f64(&p, &r).is_ok() {
            let _ = geotiff::read_info(&p);
        }
        let opts = geotiff::WriteOptions::default().metadata(md.clone());
        if geotiff::write_bands(&p, std::slice::from_ref(&r), &opts).is_ok() {
            if let Ok(info) = geotiff::read_info(&p) {
                // NUL ends a TIFF ASCII value and is dropped on writing.
                let no_nul = |s: &str| s.replace('\0', "");
                assert_eq!(info.metadata_error, None);
                assert_eq!(
                    info.metadata.get(&no_nul(&text)),
                    Some(no_nul(&text).as_str())
                );
            }
        }
    }
});
