//! Minimum-cost-flow phase unwrapping (phase-unwrap) of synthetic
//! interferograms at coherence 0.6 / 10 looks and 0.2–0.35 / 8 looks, at
//! 256² and 1024², plus the solver alone on the 1024² low-coherence network.
//! `tools/reference/unwrap_compare.py` times SNAPHU and whirlwind on the
//! same scenes.
//!
//! Run: `cargo bench -p cryosar-benches --bench phase_unwrap`.

// `criterion_group!` expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use phase_unwrap::synthetic::{scene, Case};
use phase_unwrap::{residue_network, unwrap, UnwrapParams};

fn bench_unwrap(c: &mut Criterion) {
    let mut group = c.benchmark_group("phase_unwrap");
    group.sample_size(10);
    for n in [256usize, 1024] {
        for case in [Case::Coherence06, Case::LowCoherence { looks: 8 }] {
            let s = scene(case, n, n, 1);
            let p = UnwrapParams::default().looks(s.looks);
            group.bench_with_input(
                BenchmarkId::new(format!("unwrap_{}", case.name()), format!("{n}x{n}")),
                &s,
                |b, s| {
                    b.iter(|| {
                        unwrap(&s.wrapped, Some(&s.coherence), None, &p).expect("valid scene")
                    })
                },
            );
        }
    }
    let s = scene(Case::LowCoherence { looks: 8 }, 1024, 1024, 1);
    let net = residue_network(
        &s.wrapped,
        Some(&s.coherence),
        None,
        &UnwrapParams::default().looks(8.0),
    )
    .expect("valid scene");
    group.bench_with_input(
        BenchmarkId::new("solve_lowcoh8", "1024x1024"),
        &net,
        |b, net| b.iter(|| net.solve().expect("balanced network")),
    );
    group.finish();
}

criterion_group!(benches, bench_unwrap);
criterion_main!(benches);
