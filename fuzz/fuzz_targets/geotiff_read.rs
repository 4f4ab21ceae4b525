//! Fuzz the GeoTIFF reader: any bytes give an error or a raster, never a
//! panic or an abort (the memory ceiling is set low so that a crafted
//! header cannot allocate much).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sar_core::geotiff;

fuzz_target!(|data: &[u8]| {
    geotiff::set_memory_limit(64 << 20);
    let dir = std::env::temp_dir().join(format!("cryosar-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join("in.tif");
    if std::fs::write(&p, data).is_err() {
        return;
    }
    if let Ok(info) = geotiff::read_info(&p) {
        let _ = geotiff::check_memory(&p, &info, 64);
        if info.data_type.is_complex() {
            let _ = geotiff::read_complex32(&p, 0);
        } else {
            let _ = geotiff::read_all_f64(&p);
            let _ = geotiff::read_u8(&p, 0);
        }
    }
});
