//! Times one exact training step (kernel matrix + Cholesky + NLML gradient)
//! at the given sizes, split into its parts, with the back-end the crate was
//! built with (pure Rust, or LAPACK with `--features openblas`).
//!
//! `cargo run --release -p gp-voidfill --example train_step -- 1000 3000 10000`
use gp_voidfill::{ExactGp, JitterPolicy, SumKernel};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 3_000]
    } else {
        sizes
    };
    let backend = if cfg!(feature = "openblas") {
        "LAPACK/OpenBLAS"
    } else {
        "pure Rust"
    };
    for n in sizes {
        // the data of the `gp` bench (benches/benches/gp.rs)
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let x = Array2::from_shape_fn((n, 6), |_| rng.gen_range(-1.7..1.7));
        let y = Array1::from_shape_fn(n, |i| {
            (1.3_f64 * x[[i, 0]]).sin()
                + 0.5 * (x[[i, 4]] * x[[i, 5]]).cos()
                + 0.1 * rng.gen_range(-1.0..1.0)
        });
        let k = SumKernel::rbf_plus_matern32(
            0.6,
            &[1.0, 1.5, 2.0, 2.0, 0.8, 0.8],
            0.3,
            &[0.5, 1.0, 1.5, 1.5, 0.4, 0.4],
        );
        let t = Instant::now();
        let km = gp_voidfill::exact::kernel_matrix(&k, x.view());
        let t_k = t.elapsed().as_secs_f64();
        drop(km);
        let t = Instant::now();
        let gp = ExactGp::fit(k, 0.05, x.view(), y.view(), JitterPolicy::default())?;
        let t_fit = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let inv = gp_voidfill::linalg::inverse_from_cholesky(gp.cholesky());
        let t_inv = t.elapsed().as_secs_f64();
        drop(inv);
        let t = Instant::now();
        let g = gp.nlml_gradient();
        let t_grad = t.elapsed().as_secs_f64();
        println!(
            "{backend}: n {n}: train step {:.2} s (kernel matrix {t_k:.2} s, fit = kernel + Cholesky + solves {t_fit:.2} s, gradient {t_grad:.2} s of which inverse {t_inv:.2} s); |grad| {:.3e}",
            t_fit + t_grad,
            g.dot(&g).sqrt()
        );
    }
    Ok(())
}
