//! The end-to-end checks of `tests/end_to_end.rs` over many seeds of the
//! default synthetic scene: prints, per seed, the RMSE of H₃ against the
//! truth, the phase-noise height errors predicted from the coherence (for
//! the radar pixels of one DEM posting and for the window's effective
//! looks), the median bias, the residual orbit ramp, the glacier error and
//! whether every target of issue 16 holds.
//!
//! Run: `cargo run --release -p insar-dem --example accuracy_sweep -- 1 20`.

use insar_dem::processing::{eval_trend, fit_trend, generate_dem, phase_noise_std, DemParams};
use insar_dem::synthetic::{bistatic_pair, SceneParams};
use ndarray::Array2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let first: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    let last: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let mut passed = 0;
    for seed in first..=last {
        let pair = bistatic_pair(seed, &SceneParams::default())?;
        let out = generate_dem(
            &pair.geometry,
            pair.active_slc.view(),
            pair.passive_slc.view(),
            &pair.reference,
            &DemParams::default().seed(seed).trend_clip_rounds(
                std::env::var("CLIP")
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(5),
            ),
            &|_, _| {},
        )?;
        let valid = out.mask.data.mapv(|m| m == 0);
        let (mut se, mut pc, mut pw, mut n) = (0.0, 0.0, 0.0, 0.0);
        let mut errs = Vec::new();
        let mut ep = Array2::from_elem(valid.dim(), f64::NAN);
        let mut gl = (0.0, 0.0, 0.0);
        for (idx, &v) in valid.indexed_iter() {
            if !v {
                continue;
            }
            let e = out.dem.data[idx] - pair.truth.data[idx];
            let (g, k) = (out.coherence.data[idx], out.dphi_dh.data[idx]);
            pc += (phase_noise_std(g, out.radar_pixels_per_cell.data[idx].max(1.0)) / k).powi(2);
            pw += (phase_noise_std(g, out.looks.data[idx]) / k).powi(2);
            se += e * e;
            n += 1.0;
            errs.push(e);
            ep[idx] = e * k;
            if pair.glacier.data[idx] == 1 {
                gl.0 += out.dem.data[idx] - pair.reference.data[idx];
                gl.1 += pair.dh_true.data[idx];
                gl.2 += 1.0;
            }
        }
        let t = fit_trend(ep.view(), valid.view())?;
        let tr = eval_trend(&t, valid.dim().0, valid.dim().1);
        let c: Vec<f64> = tr
            .iter()
            .zip(valid.iter())
            .filter(|(_, v)| **v)
            .map(|(x, _)| *x)
            .collect();
        let mean = c.iter().sum::<f64>() / c.len() as f64;
        let ramp = c.iter().map(|x| (x - mean).abs()).fold(0.0, f64::max);
        let (rmse, pc, pw) = ((se / n).sqrt(), (pc / n).sqrt(), (pw / n).sqrt());
        let bias = sar_core::stats::median(errs.iter().copied()).unwrap_or(f64::NAN);
        let glacier = (gl.0 - gl.1) / gl.2;
        let rms: Vec<f64> = out.stats.iter().map(|s| s.rms_dh_m).collect();
        // Pixels off by more than half a height of ambiguity: unwrapping
        // (cycle) errors rather than phase noise.
        let cycle = errs.iter().filter(|e| e.abs() > 15.0).count();
        let ok = rmse < pc
            && bias.abs() < 0.5
            && ramp < 0.1
            && glacier.abs() < 1.0
            && rms[1] < rms[0]
            && rms[2] < rms[1];
        passed += usize::from(ok);
        println!(
            "seed {seed:3}: RMSE {rmse:.3} m, predicted {pc:.3} m (posting) / {pw:.3} m (window, ratio {:.2}), bias {bias:+.3} m, ramp {ramp:.4} rad, glacier {glacier:+.3} m over {} px, |error| > 15 m: {cycle} px, rms dh {:.2}/{:.2}/{:.2} -> {}",
            rmse / pw, gl.2, rms[0], rms[1], rms[2], if ok { "ok" } else { "FAIL" }
        );
    }
    println!("{passed} of {} seeds meet every target", last - first + 1);
    Ok(())
}
