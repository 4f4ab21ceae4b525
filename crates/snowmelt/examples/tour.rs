//! A tour of the method on the synthetic basin: terrain statistics, the
//! fitted mixture, and F1 of SI and of the −2 dB threshold against the truth.
//!
//! `cargo run --release -p snowmelt --example tour [seed]`

use rand::SeedableRng;
use snowmelt::classify::{classify_si, classify_threshold, SiParams, ThresholdParams};
use snowmelt::gmm::{fit_gmm, sample_pixels, GmmParams};
use snowmelt::optical::{let_it_snow, LisParams};
use snowmelt::synthetic::{Basin, BasinParams};
use snowmelt::tsi::{TopoBinParams, TopoBins};
use snowmelt::validation::{compare, ValidationParams};
use snowmelt::wsi::{Wsi, WsiParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = std::env::args().nth(1).map_or(Ok(42), |s| s.parse())?;
    let b = Basin::generate(&BasinParams::new(), seed)?;
    let slope = b.slope.summary()?;
    let lia = b.lia.summary()?;
    let n = b.dem.data.len() as f64;
    let shadow = b.lia.data.iter().filter(|t| **t >= 90.0).count() as f64 / n;
    let steep = b.slope.data.iter().filter(|s| **s >= 20.0).count() as f64 / n;
    println!("DEM {:?}", b.dem.summary()?);
    println!(
        "slope mean {:.1}° median {:.1}° max {:.1}°, ≥20°: {:.1} %",
        slope.mean,
        slope.median,
        slope.max,
        steep * 100.0
    );
    println!("LIA mean {:.1}°, shadow {:.1} %", lia.mean, shadow * 100.0);
    let wet = b.truth.data.iter().filter(|&&t| t == 1).count() as f64 / n;
    println!("truth wet fraction {:.3}", wet);
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    let sample = sample_pixels(&[&b.rc_db], 1_000_000, &mut rng);
    let g = fit_gmm(&sample, &GmmParams::new())?;
    let w = Wsi::from_gmm(&g, &WsiParams::new())?;
    println!("GMM {g:?}\nWSI {w:?}");
    let bins = TopoBins::new(&TopoBinParams::new(), &b.dem, &b.slope, &b.aspect)?;
    let si = classify_si(&b.rc_db, &w, &bins, &SiParams::new())?;
    let base = classify_threshold(&b.rc_db, &ThresholdParams::new())?;
    let vp = ValidationParams::new().max_elevation_m(None);
    let s1 = compare(&si.mask, &b.truth, None, &vp)?;
    let s2 = compare(&base, &b.truth, None, &vp)?;
    println!("bins {} threshold {:.2}", bins.n_bins(), si.threshold);
    println!("F1 vs truth: SI {:.3}, -2 dB {:.3}", s1.f1, s2.f1);
    let lis = let_it_snow(&b.optical, &b.dem, &LisParams::new())?;
    println!("LIS snow line {:?}", lis.snow_line_m);
    for cls in 0..4u8 {
        let nt = b.optical_truth.data.iter().filter(|&&t| t == cls).count();
        let mut conf = [0usize; 5];
        ndarray::Zip::from(&b.optical_truth.data)
            .and(&lis.classes.data)
            .for_each(|&t, &m| {
                if t == cls {
                    conf[usize::from(m.min(4))] += 1;
                }
            });
        println!("optical truth class {cls}: {nt} px → LIS classes {conf:?}");
    }
    Ok(())
}
