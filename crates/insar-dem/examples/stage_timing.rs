//! Time per stage of the DEM generation and peak memory on a synthetic
//! bistatic pair of N × N radar pixels (issue 16, "Speed").
//!
//! Run: `cargo run --release -p insar-dem --example stage_timing -- 1000 [threads]`.
//! It prints the wall time of each stage of each iteration (look-up table,
//! simulation, interferogram, geocoding, unwrapping, trend), the time to
//! build the synthetic pair, and the peak resident memory of the process
//! (`VmHWM` from `/proc/self/status`, Linux only). The stages scale with
//! the number of pixels (LUT and geocoding with the DEM pixels, simulation
//! and interferogram with the radar pixels; MCF unwrapping somewhat faster
//! than linearly), so a run at two sizes extrapolates to 5 000 × 5 000.

use insar_dem::processing::{generate_dem, DemParams};
use insar_dem::synthetic::{bistatic_pair, SceneParams};
use std::cell::RefCell;
use std::time::Instant;

fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(500);
    if let Some(t) = args.next() {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t.parse()?)
            .build_global()?;
    }
    let t0 = Instant::now();
    let pair = bistatic_pair(
        1,
        &SceneParams {
            lines: n,
            samples: n,
            ..SceneParams::default()
        },
    )?;
    let (rows, cols) = pair.reference.shape();
    println!(
        "pair {n} x {n} radar pixels, DEM {rows} x {cols}, {} threads: synthetic pair built in {:.2} s",
        rayon::current_num_threads(),
        t0.elapsed().as_secs_f64()
    );
    let marks: RefCell<Vec<(String, usize, Instant)>> = RefCell::new(Vec::new());
    let progress = |stage: &str, k: usize| {
        marks
            .borrow_mut()
            .push((stage.to_string(), k, Instant::now()))
    };
    let start = Instant::now();
    let out = generate_dem(
        &pair.geometry,
        pair.active_slc.view(),
        pair.passive_slc.view(),
        &pair.reference,
        &DemParams::default(),
        &progress,
    )?;
    let end = Instant::now();
    let marks = marks.into_inner();
    let mut totals: Vec<(String, f64)> = Vec::new();
    for (i, (stage, k, t)) in marks.iter().enumerate() {
        let next = marks.get(i + 1).map(|m| m.2).unwrap_or(end);
        let dt = next.duration_since(*t).as_secs_f64();
        println!("  iteration {k}: {stage:<14} {dt:8.3} s");
        match totals.iter_mut().find(|(s, _)| s == stage) {
            Some(e) => e.1 += dt,
            None => totals.push((stage.clone(), dt)),
        }
    }
    println!("totals over {} iterations:", out.stats.len());
    for (stage, dt) in &totals {
        println!("  {stage:<14} {dt:8.3} s");
    }
    println!(
        "generate_dem: {:.2} s; peak resident memory {:.0} MiB",
        end.duration_since(start).as_secs_f64(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    Ok(())
}
