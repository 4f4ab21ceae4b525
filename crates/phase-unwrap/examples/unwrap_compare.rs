//! Unwrap the synthetic cases, score them against the truth, time them, and
//! (optionally) write the inputs for `tools/reference/unwrap_compare.py`,
//! which runs SNAPHU and whirlwind on the very same arrays.
//!
//! ```sh
//! cargo run --release -p phase-unwrap --example unwrap_compare -- 256 1 [OUT_DIR] [TILE]
//! ```
//! Arguments: side in pixels, seed, optional output directory (raw
//! little-endian arrays + `meta.txt` per case, `-` for none), optional tile
//! size (`0` = no tiling), optional case name (`all` = every case).
//! The environment variable `UNWRAP_HALF_WINDOW` overrides
//! `UnwrapParams::gradient_half_window` (how its default was chosen).

use std::io::Write;
use std::time::Instant;

use ndarray::Array2;
use phase_unwrap::synthetic::{correct_fraction, scene, Case};
use phase_unwrap::{unwrap, UnwrapParams};

fn write_f64(path: &std::path::Path, a: &Array2<f64>) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for &x in a.iter() {
        f.write_all(&x.to_le_bytes())?;
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(256);
    let seed: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let out = args
        .get(3)
        .filter(|s| s.as_str() != "-")
        .map(std::path::PathBuf::from);
    let tile: Option<usize> = args
        .get(4)
        .map(|s| s.parse())
        .transpose()?
        .filter(|&t| t > 0);
    let only: Option<&String> = args.get(5).filter(|s| s.as_str() != "all");
    println!("case size seed residues seconds correct_fraction");
    for case in Case::all() {
        if only.is_some_and(|o| *o != case.name()) {
            continue;
        }
        let s = scene(case, n, n, seed);
        let mut params = UnwrapParams::default().looks(s.looks).tile_size(tile);
        if let Ok(h) = std::env::var("UNWRAP_HALF_WINDOW") {
            params = params.gradient_half_window(h.parse()?);
        }
        let t0 = Instant::now();
        let u = unwrap(&s.wrapped, Some(&s.coherence), s.mask.as_ref(), &params)?;
        let secs = t0.elapsed().as_secs_f64();
        let valid = s.wrapped.mapv(f64::is_finite);
        let frac = correct_fraction(&u.phase, &u.components, &s.truth, &valid);
        println!(
            "{} {n} {seed} {} {secs:.4} {frac:.6}",
            case.name(),
            u.residues
        );
        if let Some(dir) = &out {
            let d = dir.join(format!("{}_{n}_{seed}", case.name()));
            std::fs::create_dir_all(&d)?;
            write_f64(&d.join("wrapped.f64"), &s.wrapped)?;
            write_f64(&d.join("coherence.f64"), &s.coherence)?;
            write_f64(&d.join("truth.f64"), &s.truth)?;
            write_f64(&d.join("ours.f64"), &u.phase)?;
            write_f64(&d.join("ours_cc.f64"), &u.components.mapv(|c| c as f64))?;
            std::fs::write(
                d.join("meta.txt"),
                format!(
                    "rows {n}\ncols {n}\nlooks {}\nseconds {secs}\ncorrect {frac}\nresidues {}\n",
                    s.looks, u.residues
                ),
            )?;
        }
    }
    Ok(())
}
