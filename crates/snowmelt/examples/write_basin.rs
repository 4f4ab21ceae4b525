//! Write the synthetic basin's inputs as GeoTIFFs, to try `cryosar wetsnow`
//! and `cryosar snowstats` on files:
//!
//! ```text
//! cargo run --release -p snowmelt --example write_basin -- /tmp/basin
//! cryosar wetsnow --vv /tmp/basin/vv.tif --vh /tmp/basin/vh.tif \
//!     --ref-vv /tmp/basin/ref_vv.tif --ref-vh /tmp/basin/ref_vh.tif \
//!     --dem /tmp/basin/dem.tif --incidence 39 --heading -10 --out /tmp/basin/out
//! ```
//!
//! Also writes `truth.tif` and, for `snowstats`, twelve truth masks
//! `mask_NN.tif` of a melt season whose wet-snow window rises 60 m per
//! 12-day step (dates in `dates.txt`).

use sar_core::geotiff;
use snowmelt::synthetic::{truth_wet, Basin, BasinParams};
use snowmelt::Date;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "basin".into()));
    std::fs::create_dir_all(&dir)?;
    let params = BasinParams::new();
    let b = Basin::generate(&params, 42)?;
    let (vv, vh) = b.summer.backscatter.require()?;
    let (rvv, rvh) = b.reference.require()?;
    geotiff::write_f64(dir.join("vv.tif"), vv)?;
    geotiff::write_f64(dir.join("vh.tif"), vh)?;
    geotiff::write_f64(dir.join("ref_vv.tif"), rvv)?;
    geotiff::write_f64(dir.join("ref_vh.tif"), rvh)?;
    geotiff::write_f64(dir.join("dem.tif"), &b.dem)?;
    geotiff::write_f64(dir.join("lia.tif"), &b.lia)?;
    geotiff::write_u8(dir.join("truth.tif"), &b.truth)?;
    let mut dates = Vec::new();
    let d0 = Date::from_ymd(2020, 4, 1)?;
    for t in 0..12u32 {
        let mut p = params.clone();
        p.snowline_m = 3600.0 + 60.0 * f64::from(t);
        p.upper_m = 4800.0 + 60.0 * f64::from(t);
        let m = ndarray::Zip::from(&b.dem.data)
            .and(&b.aspect.data)
            .map_collect(|&z, &a| u8::from(truth_wet(&p, z, a)));
        let m = sar_core::Raster::new(m, b.dem.grid.clone())?;
        geotiff::write_u8(dir.join(format!("mask_{t:02}.tif")), &m)?;
        // 12-day steps from 1 April 2020.
        dates.push(
            Date::from_days_since_epoch(d0.days_since_epoch() + 12 * i64::from(t)).to_string(),
        );
    }
    std::fs::write(dir.join("dates.txt"), dates.join(","))?;
    println!("wrote the basin to {}", dir.display());
    Ok(())
}
