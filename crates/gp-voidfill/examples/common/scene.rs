//! Shared by the `exact_vs_scalable` and `scalable_gap_study` examples: the
//! synthetic glacier scene both score (noise 0.3 m/yr, four void discs) and
//! the process CPU clock.

use gp_voidfill::data::glacier_features;
use gp_voidfill::synthetic::{glacier, SyntheticGlacierParams};
use ndarray::{Array1, Array2, Axis};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// CPU time of this process (user + system, seconds), from /proc (Linux).
pub fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit(')').next()?.to_string();
            let f: Vec<&str> = rest.split_whitespace().collect();
            let u: f64 = f.get(11)?.parse().ok()?;
            let k: f64 = f.get(12)?.parse().ok()?;
            Some((u + k) / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// Features and values of a synthetic glacier's measured and void pixels.
pub struct Scene {
    /// Features of the measured pixels.
    pub xm: Array2<f64>,
    /// Their (noisy) measurements (m/yr).
    pub ym: Array1<f64>,
    /// Their noise-free truth (m/yr; read by `scalable_gap_study` only).
    #[allow(dead_code)]
    pub tm: Array1<f64>,
    /// Features of the void pixels.
    pub xv: Array2<f64>,
    /// Their noise-free truth (m/yr).
    pub tv: Array1<f64>,
}

/// The scene of `rows × cols` pixels for `seed` (noise 0.3 m/yr, 4 voids).
pub fn scene(rows: usize, cols: usize, seed: u64) -> anyhow::Result<Scene> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let g = glacier(
        &SyntheticGlacierParams {
            rows,
            cols,
            noise_std: 0.3,
            void_discs: 4,
            ..Default::default()
        },
        &mut rng,
    );
    let gf = glacier_features(&g.dem, &g.slope_deg, &g.aspect_deg, &g.mask)?;
    let at = |r: &sar_core::Raster<f64>, i: usize| r.data[gf.pixels[i]];
    let (meas, void): (Vec<usize>, Vec<usize>) =
        (0..gf.pixels.len()).partition(|&i| at(&g.observed, i).is_finite());
    Ok(Scene {
        xm: gf.features.select(Axis(0), &meas),
        ym: meas.iter().map(|&i| at(&g.observed, i)).collect(),
        tm: meas.iter().map(|&i| at(&g.truth, i)).collect(),
        xv: gf.features.select(Axis(0), &void),
        tv: void.iter().map(|&i| at(&g.truth, i)).collect(),
    })
}
