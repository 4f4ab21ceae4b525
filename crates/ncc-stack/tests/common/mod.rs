//! Shared helpers of the integration tests.
#![allow(dead_code)]

use ncc_stack::preprocess::{preprocess, PreprocessParams};
use ncc_stack::synth::{generate, SceneParams};
use ndarray::Array2;
use rand::SeedableRng;

/// Generate a seeded scene and pre-process it (dB + 51×51 σ=17 high-pass).
pub fn scene(p: &SceneParams, seed: u64) -> Vec<Array2<f64>> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let s = generate(p, &mut rng).expect("scene");
    s.intensity
        .iter()
        .map(|i| preprocess(i.view(), &PreprocessParams::new()).expect("preprocess"))
        .collect()
}

/// Root-mean-square of a slice.
pub fn rms(v: &[f64]) -> f64 {
    (v.iter().map(|e| e * e).sum::<f64>() / v.len() as f64).sqrt()
}

/// Standard deviation of a slice.
pub fn std(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|e| (e - m) * (e - m)).sum::<f64>() / v.len() as f64).sqrt()
}
