//! Timing of ZNCC over a full template grid, for the comparison with OpenCV
//! (`tools/reference/ncc_bench_opencv.py`).
//!
//! Run: `cargo run --release -p ncc-stack --example bench_grid -- OUT_DIR [SIZE]`
//!
//! Generates a seeded SIZE×SIZE (default 1024) synthetic series of 8 images
//! (coherence 0.5), pre-processes it (dB, 51×51 σ = 17 px high-pass), writes
//! the pre-processed images as raw little-endian f32 (`pre_K.f32`; the
//! correlation runs on these f32 values converted to f64), the linear
//! intensities as GeoTIFFs (`img_K.tif`, 2 m grid), and times `track` with
//! 48 px templates, 16 px step, ±16 px search and the integer peak (so that
//! the time is that of the correlation surfaces plus an arg-max, like
//! OpenCV's matchTemplate + minMaxLoc) for: one pair and the stack of 7
//! pairs (each image transformed once, `PairRoles::Shared`, and the
//! classical primary-template convention), serial and on all rayon threads
//! (the fastest of 5 runs each).
//! Timings go to `timings.json`.

use std::io::Write;
use std::time::Instant;

use ncc_stack::preprocess::{preprocess, PreprocessParams};
use ncc_stack::synth::{generate, SceneParams};
use ncc_stack::{
    form_pairs, track, Date, PairRoles, PairSet, PeakParams, SearchRadius, SubpixelMethod,
    TrackParams,
};
use rand::SeedableRng;
use sar_core::{geotiff, Crs, Grid, Raster};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "ncc-bench".into()));
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1024);
    std::fs::create_dir_all(&out)?;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1024);
    let s = generate(&SceneParams::new(n, n, 8).coherence(0.5), &mut rng)?;
    let grid = Grid::north_up(n, n, 600_000.0, 5_100_000.0, 2.0, 2.0, Crs::epsg(32632));
    let mut pre = Vec::new();
    for (k, img) in s.intensity.iter().enumerate() {
        geotiff::write_f64(
            out.join(format!("img_{k}.tif")),
            &Raster::new(img.clone(), grid.clone())?,
        )?;
        let p = preprocess(img.view(), &PreprocessParams::new())?;
        // round to f32 so both programs see identical values
        let p = p.mapv(|v| v as f32 as f64);
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(out.join(format!("pre_{k}.f32")))?);
        for v in p.iter() {
            f.write_all(&(*v as f32).to_le_bytes())?;
        }
        pre.push(p);
    }
    let views: Vec<_> = pre.iter().map(|a| a.view()).collect();
    let dates: Vec<Date> = (0..8)
        .map(|k| Date::from_days_since_epoch(17_176 + 11 * k))
        .collect();
    let stack = form_pairs(&[dates], 1, 0.5)?;
    let single = PairSet {
        pairs: vec![stack.pairs[0]],
        interval_days: stack.interval_days,
    };
    let base = TrackParams::new()
        .template_px(48)
        .step_px(16)
        .search(SearchRadius::Pixels(16))
        .peak(PeakParams::new().method(SubpixelMethod::Integer));
    let mut json = String::from("{");
    let mut templates = 0;
    for (name, set, roles) in [
        ("pair", &single, PairRoles::Shared),
        ("stack7", &stack, PairRoles::Shared),
        (
            "stack7_primary_template",
            &stack,
            PairRoles::PrimaryTemplate,
        ),
    ] {
        for parallel in [false, true] {
            let params = base.clone().parallel(parallel).roles(roles);
            let _ = track(&views, &grid, set, &params, None)?; // warm-up
                                                               // the fastest of 5 runs: robust against other load on the machine
            let mut dt = f64::INFINITY;
            for _ in 0..5 {
                let t0 = Instant::now();
                let f = track(&views, &grid, set, &params, None)?;
                dt = dt.min(t0.elapsed().as_secs_f64());
                templates = f.summary.valid;
            }
            let key = format!("{name}_{}", if parallel { "all" } else { "single" });
            println!("{key}: {dt:.4} s ({templates} templates)");
            json.push_str(&format!("\"{key}\": {dt},"));
        }
    }
    // the thesis's sub-pixel estimator (eq. 2.5 fit, 11×11 window up-sampled
    // ×10) on the single pair, for the cost of the peak fit itself
    {
        let params = base
            .clone()
            .parallel(false)
            .peak(PeakParams::new().method(SubpixelMethod::GaussianFit));
        let mut dt = f64::INFINITY;
        for _ in 0..2 {
            let t0 = Instant::now();
            let _ = track(&views, &grid, &single, &params, None)?;
            dt = dt.min(t0.elapsed().as_secs_f64());
        }
        println!("pair_gaussian_fit_single: {dt:.4} s");
        json.push_str(&format!("\"pair_gaussian_fit_single\": {dt},"));
    }
    json.push_str(&format!(
        "\"size\": {n}, \"images\": 8, \"template\": 48, \"step\": 16, \"search\": 16, \"templates\": {templates}, \"threads\": {}}}",
        rayon_threads()
    ));
    std::fs::write(out.join("timings.json"), json)?;
    println!("wrote {}", out.display());
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
