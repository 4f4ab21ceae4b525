//! Fuzz the text parsers on the CLI's argument and metadata paths: dates,
//! memory sizes, and the user-defined CRS of a GeoTIFF written from any
//! PROJ.4-like string and read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sar_core::{geotiff, Crs, Grid, Raster};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = text.parse::<sar_core::Date>();
    let _ = geotiff::parse_memory_size(&text);
    let crs = Crs::proj4(text.to_string());
    let g = Grid::north_up(2, 2, 0.0, 10.0, 1.0, 1.0, crs);
    if let Ok(r) = Raster::new(ndarray::Array2::<f64>::zeros((2, 2)), g) {
        let dir = std::env::temp_dir().join(format!("cryosar-fuzz-m-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("crs.tif");
        if geotiff::write_f64(&p, &r).is_ok() {
            let _ = geotiff::read_info(&p);
        }
    }
});
