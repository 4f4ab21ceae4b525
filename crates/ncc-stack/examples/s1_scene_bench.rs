//! End-to-end time and peak memory of offset tracking on a
//! Sentinel-1-sized scene (issue 14, item 3).
//!
//! Run:
//! `cargo run --release -p ncc-stack --example s1_scene_bench [-- ROWS COLS IMAGES]`
//! (default 16 000 × 10 000 px, 2 images: one pair; IMAGES > 2 tracks the
//! stack of IMAGES − 1 consecutive pairs).
//!
//! The images are seeded synthetic SAR intensities (exponential speckle on
//! a smooth texture, made pixel by pixel from a hash, so that nothing but
//! the images is held), each shifted by +2 columns and +1 row against the
//! one before. Each is converted to dB and
//! high-passed (51×51, σ = 17 px, sect. 2.3.2) as soon as it is made, the
//! linear image dropped; then `track` runs with 64 px templates, a 32 px
//! step, a ±8 px search and the default sub-pixel estimator, on all rayon
//! threads. Printed: the time of each stage, the peak resident memory of
//! the whole run (VmHWM) and of the tracking alone (the kernel's peak
//! counter reset through `/proc/self/clear_refs` before it, where allowed),
//! and the memory of the pre-processed images themselves
//! (IMAGES × ROWS × COLS × 8 bytes) — the tracking holds a per-thread
//! scratch of a few template windows beyond them, independent of IMAGES.

use std::time::Instant;

use ncc_stack::preprocess::{preprocess, PreprocessParams};
use ncc_stack::{form_pairs, track, Date, SearchRadius, TrackParams};
use ndarray::Array2;
use sar_core::{Crs, Grid};

/// splitmix64: a uniform in (0, 1) from a 64-bit key.
fn uniform(key: u64) -> f64 {
    let mut z = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Intensity of scene pixel (r, c) (scene coordinates, may be negative).
fn scene(r: i64, c: i64) -> f64 {
    let texture = 1.0 + 0.6 * ((r as f64) / 37.0).sin() * ((c as f64) / 53.0).cos();
    let key = ((r as u64) << 32) ^ (c as u64 & 0xFFFF_FFFF);
    -uniform(key).ln() * texture
}

/// `VmHWM` or `VmRSS` of this process in bytes (Linux), if readable.
fn status_bytes(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn gib(b: u64) -> f64 {
    b as f64 / (1u64 << 30) as f64
}

fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let rows = args.first().copied().unwrap_or(16_000);
    let cols = args.get(1).copied().unwrap_or(10_000);
    let n_img = args.get(2).copied().unwrap_or(2).max(2);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("scene {rows} × {cols} px, {n_img} images, {threads} threads");
    let t_all = Instant::now();
    let pp = PreprocessParams::new();
    let (mut t_make, mut t_pre) = (0.0, 0.0);
    let mut pre = Vec::with_capacity(n_img);
    for k in 0..n_img as i64 {
        let t0 = Instant::now();
        // features move +2 columns and +1 row per image
        let img =
            Array2::from_shape_fn((rows, cols), |(r, c)| scene(r as i64 - k, c as i64 - 2 * k));
        t_make += t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        pre.push(preprocess(img.view(), &pp)?);
        t_pre += t0.elapsed().as_secs_f64();
    }
    let images_bytes = (n_img * rows * cols * 8) as u64;
    let peak_pre = status_bytes("VmHWM:");
    // reset the peak counter so that the tracking's own peak is measured
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let views: Vec<_> = pre.iter().map(|a| a.view()).collect();
    let dates: Vec<Date> = (0..n_img as i64)
        .map(|k| Date::from_days_since_epoch(18_000 + 12 * k))
        .collect();
    let pairs = form_pairs(&[dates], 1, 0.5)?;
    let grid = Grid::north_up(
        rows,
        cols,
        400_000.0,
        7_000_000.0,
        10.0,
        10.0,
        Crs::epsg(32633),
    );
    let params = TrackParams::new()
        .template_px(64)
        .step_px(32)
        .search(SearchRadius::Pixels(8));
    let t0 = Instant::now();
    let f = track(&views, &grid, &pairs, &params, None)?;
    let t_track = t0.elapsed().as_secs_f64();
    let peak_track = status_bytes("VmHWM:");
    let (nr, nc) = f.offset_x_px.data.dim();
    let mx = sar_core::stats::median(f.offset_x_px.data.iter().copied()).unwrap_or(f64::NAN);
    let my = sar_core::stats::median(f.offset_y_px.data.iter().copied()).unwrap_or(f64::NAN);
    println!(
        "make images {t_make:.2} s, pre-process (dB + 51×51 high-pass) {t_pre:.2} s, \
         track {} pair(s) on {nr} × {nc} templates {t_track:.2} s; total {:.2} s",
        pairs.pairs.len(),
        t_all.elapsed().as_secs_f64()
    );
    println!("median offset ({mx:.3}, {my:.3}) px (truth (2, 1))");
    println!(
        "pre-processed images {:.2} GiB; peak resident memory: whole run {}, tracking {}",
        gib(images_bytes),
        peak_pre.map_or("n/a".into(), |b| format!("{:.2} GiB", gib(b))),
        match (reset, peak_track) {
            (true, Some(b)) => format!(
                "{:.2} GiB ({:.3} GiB beyond the images)",
                gib(b),
                gib(b.saturating_sub(images_bytes))
            ),
            _ => "n/a (peak counter not resettable)".into(),
        }
    );
    Ok(())
}
