//! Write the residue networks of the synthetic cases (40 × 40 pixels, seed 7)
//! to `crates/phase-unwrap/tests/data/networks/`, the input of
//! `tools/reference/unwrap_ortools.py`, which appends OR-Tools' optimal cost.
//!
//! ```sh
//! cargo run -p phase-unwrap --example dump_networks
//! /work/venvs/unwrap/bin/python tools/reference/unwrap_ortools.py crates/phase-unwrap/tests/data/networks
//! ```

use phase_unwrap::synthetic::{scene, Case};
use phase_unwrap::{residue_network, UnwrapParams};

fn main() -> anyhow::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/networks");
    std::fs::create_dir_all(&dir)?;
    for case in Case::all() {
        let s = scene(case, 40, 40, 7);
        let params = UnwrapParams::default().looks(s.looks);
        let net = residue_network(&s.wrapped, Some(&s.coherence), s.mask.as_ref(), &params)?;
        let path = dir.join(format!("synthetic_{}.txt", case.name()));
        let head = format!(
            "# residue network of phase_unwrap::synthetic::scene({case:?}, 40, 40, 7), looks {}, default params\n",
            s.looks
        );
        std::fs::write(&path, head + &net.to_text())?;
        println!("{} residues {}", path.display(), net.residues());
    }
    Ok(())
}
