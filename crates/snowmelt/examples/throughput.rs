//! Whole-scene throughput of R_c → WSI → TSI → SI in megapixels per second.
//!
//! A 2000 × 2000 synthetic basin is tiled `k × k` times (default k = 5:
//! a 10 000 × 10 000 scene, 10⁸ pixels). Everything is f64: the eight input
//! layers (VV, VH, two references, LIA, DEM, slope, aspect) and four outputs
//! take 800 MB each, about 11 GB in all with the bins — run it where memory
//! allows (`k = 2` for 4000 × 4000 on a small machine).
//!
//! `cargo run --release -p snowmelt --example throughput -- [k]`

use std::time::Instant;

use ndarray::Array2;
use sar_core::{Grid, Raster};
use snowmelt::classify::{classify_si, SiParams};
use snowmelt::gmm::{fit_gmm, sample_pixels, GmmParams};
use snowmelt::ratio::{composite_ratio, geometry_mask_from_lia, Masks, RatioParams};
use snowmelt::reference::DualPol;
use snowmelt::synthetic::{Basin, BasinParams};
use snowmelt::tsi::{TopoBinParams, TopoBins};
use snowmelt::wsi::{Wsi, WsiParams};

fn tile<T: Clone>(r: &Raster<T>, k: usize, grid: &Grid) -> Raster<T> {
    let (n, m) = r.shape();
    let data = Array2::from_shape_fn((n * k, m * k), |(i, j)| r.data[[i % n, j % m]].clone());
    Raster::new(data, grid.clone()).unwrap_or_else(|_| unreachable!())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let k: usize = std::env::args().nth(1).map_or(Ok(5), |s| s.parse())?;
    let n = 2000;
    let t = Instant::now();
    let b = Basin::generate(&BasinParams::new().size(n, n), 11)?;
    let g0 = &b.dem.grid;
    let grid = Grid::new(n * k, n * k, g0.transform, g0.crs.clone());
    let (vv, vh) = b.summer.backscatter.require()?;
    let (rvv, rvh) = b.reference.require()?;
    let scene = DualPol::new(tile(vv, k, &grid), tile(vh, k, &grid));
    let reference = DualPol::new(tile(rvv, k, &grid), tile(rvh, k, &grid));
    let lia = tile(&b.lia, k, &grid);
    // Tiles get distinct elevations so that the bins are those of a large basin.
    let mut dem = tile(&b.dem, k, &grid);
    for ((i, j), z) in dem.data.indexed_iter_mut() {
        *z += 37.0 * ((i / n) * k + j / n) as f64;
    }
    let slope = tile(&b.slope, k, &grid);
    let aspect = tile(&b.aspect, k, &grid);
    let px = (n * k * n * k) as f64;
    println!(
        "scene {}x{} ({:.0} Mpx) built in {:.1} s; threads {}",
        n * k,
        n * k,
        px / 1e6,
        t.elapsed().as_secs_f64(),
        std::thread::available_parallelism().map_or(1, |x| x.get())
    );
    let masks = Masks {
        geometry: Some(geometry_mask_from_lia(&lia)),
        ..Masks::default()
    };
    let t = Instant::now();
    let bins = TopoBins::new(&TopoBinParams::new(), &dem, &slope, &aspect)?;
    let t_bins = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let rc = composite_ratio(&RatioParams::new(), &scene, &reference, &lia, &masks)?;
    let t_rc = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
    let sample = sample_pixels(&[&rc], 1_000_000, &mut rng);
    let gmm = fit_gmm(&sample, &GmmParams::new())?;
    let wsi = Wsi::from_gmm(&gmm, &WsiParams::new())?;
    let t_gmm = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let map = classify_si(&rc, &wsi, &bins, &SiParams::new())?;
    let t_si = t.elapsed().as_secs_f64();
    let wet = map.mask.data.iter().filter(|&&v| v == 1).count();
    let rate = |s: f64| px / 1e6 / s;
    println!(
        "topo bins ({} bins, once per basin): {t_bins:.2} s = {:.1} Mpx/s",
        bins.n_bins(),
        rate(t_bins)
    );
    println!(
        "R_c:                      {t_rc:.2} s = {:.1} Mpx/s",
        rate(t_rc)
    );
    println!("sample 1e6 + GMM fit:     {t_gmm:.2} s");
    println!(
        "WSI -> TSI -> SI -> mask: {t_si:.2} s = {:.1} Mpx/s",
        rate(t_si)
    );
    println!(
        "R_c -> WSI -> TSI -> SI:  {:.2} s = {:.1} Mpx/s (without bins and GMM); wet snow {:.1} %",
        t_rc + t_si,
        rate(t_rc + t_si),
        100.0 * wet as f64 / px
    );
    Ok(())
}
