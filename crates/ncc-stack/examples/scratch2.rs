//! scratch
use ncc_stack::preprocess::{preprocess, PreprocessParams};
use ncc_stack::synth::{generate, DisplacementField, SceneParams};
use ncc_stack::*;
use rand::SeedableRng;
use sar_core::{Crs, Grid};
fn main() {
    let args: Vec<f64> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let (coh, tex, bw) = (args[0], args[1], args[2]);
    let n = 320;
    let field = DisplacementField::Channel { center_row: 160.0, half_width_px: 60.0, peak_px: 1.5 };
    let p = SceneParams::new(n, n, 8).coherence(coh).texture_contrast(tex).bandwidth(bw).displacement(field);
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
    let s = generate(&p, &mut rng).unwrap();
    let pre: Vec<_> = s.intensity.iter().map(|i| preprocess(i.view(), &PreprocessParams::new()).unwrap()).collect();
    let views: Vec<_> = pre.iter().map(|a| a.view()).collect();
    let grid = Grid::north_up(n, n, 0.0, 0.0, 2.0, 2.0, Crs::epsg(32632));
    let dates: Vec<Date> = (0..8).map(|k| Date::from_days_since_epoch(17000 + 11 * k)).collect();
    let set = form_pairs(&[dates], 1, 0.5).unwrap();
    let filt = FilterParams::new();
    let run = |t: usize, pairs: &PairSet| {
        let params = TrackParams::new().template_px(t).peak(PeakParams::new().method(SubpixelMethod::Gaussian3Point));
        track(&views, &grid, pairs, &params, None).unwrap()
    };
    let t0 = std::time::Instant::now();
    let stack48 = run(48, &set);
    eprintln!("stack time {:?}", t0.elapsed());
    let f96 = run(96, &PairSet { pairs: vec![set.pairs[0]], interval_days: 11.0 });
    // region: glacier cells valid for 96
    let region = ndarray::Array2::from_shape_fn(stack48.grid.shape(), |(i, j)| {
        let (r, c) = stack48.template_centre_px(i, j);
        field.is_glacier(r, c) && f96.status[[i, j]] == TemplateStatus::Valid
    });
    let cov = |f: &VelocityField| coverage(filter_mask(f, &filt).view(), region.view()).unwrap();
    let mut c48 = vec![]; let mut c96 = vec![];
    for pr in &set.pairs {
        let ps = PairSet { pairs: vec![*pr], interval_days: 11.0 };
        c48.push(cov(&run(48, &ps)));
        c96.push(cov(&run(96, &ps)));
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let mx = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
    println!("coh {coh} tex {tex} bw {bw}: stack48 {:.3}  single48 mean {:.3} max {:.3}  single96 mean {:.3} max {:.3} region {}", cov(&stack48), mean(&c48), mx(&c48), mean(&c96), mx(&c96), region.iter().filter(|v| **v).count());
    let stable = ndarray::Array2::from_shape_fn(stack48.grid.shape(), |(i, j)| {
        let (r, c) = stack48.template_centre_px(i, j);
        field.is_stable(r, c, 8.0) && stack48.status[[i, j]] == TemplateStatus::Valid
    });
    for i in 0..stack48.grid.rows { let (r, _) = stack48.template_centre_px(i, 8); println!("row {r:.1} truth {:.2} ox {:.2} oy {:.2} snr {:.1} n {}", field.at(r, 0.0).0, stack48.offset_x_px.data[[i, 8]], stack48.offset_y_px.data[[i, 8]], stack48.snr_db.data[[i, 8]], stack48.pair_count.data[[i,8]]); }
    let t0 = std::time::Instant::now();
    let params = TrackParams::new().template_px(48).peak(PeakParams::new().method(SubpixelMethod::Gaussian3Point));
    let rows = stack_size_study(&views, &grid, &set, &params, &StudyParams::new(), region.view(), stable.view(), &mut rng).unwrap();
    eprintln!("study time {:?}", t0.elapsed());
    for r in rows { println!("k {} n {} cov {:.3} [{:.3},{:.3}] res {:.3} [{:.3},{:.3}]", r.k, r.combinations, r.coverage_mean, r.coverage_min, r.coverage_max, r.residual_mean, r.residual_min, r.residual_max); }
}
