//! Tiled against untiled unwrapping of one large synthetic scene: time,
//! fraction of pixels whose cycles differ, accuracy against the truth and
//! the jumps across tile-core borders (seams); fails (exit status 1) if more
//! than 0.5 % of the cycles differ or a tile border shows a seam.
//!
//! ```sh
//! cargo run --release -p phase-unwrap --example tiled_vs_untiled -- 4096 coh06 1024 256
//! ```
//! Arguments: side, case name (see `phase_unwrap::synthetic::Case::name`),
//! tile side, overlap.

use std::time::Instant;

use phase_unwrap::synthetic::{correct_fraction, scene, Case};
use phase_unwrap::{unwrap, UnwrapParams};

/// Peak resident memory of this process so far (MiB), Linux only.
fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let n: usize = a.get(1).map_or(Ok(4096), |s| s.parse())?;
    let name = a.get(2).cloned().unwrap_or_else(|| "coh06".into());
    let t: usize = a.get(3).map_or(Ok(1024), |s| s.parse())?;
    let o: usize = a.get(4).map_or(Ok(256), |s| s.parse())?;
    let case = Case::all()
        .into_iter()
        .find(|c| c.name() == name)
        .ok_or_else(|| anyhow::anyhow!("unknown case {name}"))?;
    let s = scene(case, n, n, 1);
    let valid = s.wrapped.mapv(f64::is_finite);
    println!(
        "scene {name} {n}x{n}: peak memory after generation {:.0} MiB",
        peak_mib()
    );
    let p = UnwrapParams::default().looks(s.looks);
    let t0 = Instant::now();
    let tiled = unwrap(
        &s.wrapped,
        Some(&s.coherence),
        s.mask.as_ref(),
        &p.clone().tile_size(Some(t)).tile_overlap(o),
    )?;
    let tt = t0.elapsed().as_secs_f64();
    println!(
        "tiled   ({} tiles of {t}, overlap {o}): {tt:.2} s, correct {:.5}, peak {:.0} MiB",
        tiled.tiles,
        correct_fraction(&tiled.phase, &tiled.components, &s.truth, &valid),
        peak_mib()
    );
    let t0 = Instant::now();
    let whole = unwrap(&s.wrapped, Some(&s.coherence), s.mask.as_ref(), &p)?;
    let tw = t0.elapsed().as_secs_f64();
    println!(
        "untiled: {tw:.2} s, correct {:.5}, residues {}, peak {:.0} MiB",
        correct_fraction(&whole.phase, &whole.components, &s.truth, &valid),
        whole.residues,
        peak_mib()
    );
    let diff = tiled
        .cycles
        .iter()
        .zip(whole.cycles.iter())
        .filter(|(x, y)| x != y)
        .count();
    println!(
        "cycles differing tiled vs untiled: {diff} of {} pixels ({:.4} %)",
        n * n,
        100.0 * diff as f64 / (n * n) as f64
    );
    // Seams: cycle jumps between horizontal neighbours, at columns where the
    // tile cores meet against all other columns (per column on average).
    let jumps_at =
        |j: usize, c: &ndarray::Array2<i32>| (0..n).filter(|&i| c[[i, j]] != c[[i, j + 1]]).count();
    let cores: Vec<usize> = {
        let step = t - o;
        let mut starts = vec![0usize];
        while starts.last().copied().unwrap_or(0) + t < n {
            let s0 = (starts.last().copied().unwrap_or(0) + step).min(n - t);
            starts.push(s0);
        }
        starts
            .windows(2)
            .map(|w| (w[1] + (w[0] + t).min(n)) / 2 - 1)
            .collect()
    };
    let at: f64 = cores
        .iter()
        .map(|&j| jumps_at(j, &tiled.cycles) as f64)
        .sum::<f64>()
        / cores.len().max(1) as f64;
    let all: f64 = (0..n - 1)
        .map(|j| jumps_at(j, &tiled.cycles) as f64)
        .sum::<f64>()
        / (n - 1) as f64;
    let at_w: f64 = cores
        .iter()
        .map(|&j| jumps_at(j, &whole.cycles) as f64)
        .sum::<f64>()
        / cores.len().max(1) as f64;
    println!("cycle jumps per column: at tile-core borders {at:.1} (untiled at the same columns {at_w:.1}), all columns {all:.1}");
    // The same along rows (borders between rows of tiles).
    let jumps_row =
        |i: usize, c: &ndarray::Array2<i32>| (0..n).filter(|&j| c[[i, j]] != c[[i + 1, j]]).count();
    let at_r: f64 = cores
        .iter()
        .map(|&i| jumps_row(i, &tiled.cycles) as f64)
        .sum::<f64>()
        / cores.len().max(1) as f64;
    let at_rw: f64 = cores
        .iter()
        .map(|&i| jumps_row(i, &whole.cycles) as f64)
        .sum::<f64>()
        / cores.len().max(1) as f64;
    println!(
        "cycle jumps per row: at tile-core borders {at_r:.1} (untiled at the same rows {at_rw:.1})"
    );
    // The documented tolerance (tests/tiles_and_accuracy.rs): at most 0.5 %
    // of the cycles differ; no seam: across every tile-core border there are
    // on average at most one more cycle jumps per border line than the
    // untiled solution has there (a seam would add up to `n`).
    let frac = diff as f64 / (n * n) as f64;
    anyhow::ensure!(
        frac <= 0.005,
        "{:.4} % of cycles differ (tolerance 0.5 %)",
        100.0 * frac
    );
    anyhow::ensure!(
        at <= at_w + 1.0 && at_r <= at_rw + 1.0,
        "seam: {at:.1} / {at_r:.1} jumps per border line against {at_w:.1} / {at_rw:.1} untiled"
    );
    println!("OK: within the 0.5 % tolerance and no seam");
    Ok(())
}
