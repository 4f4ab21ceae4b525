use ncc_stack::preprocess::{preprocess, PreprocessParams};
use ncc_stack::synth::{generate, DisplacementField, SceneParams};
use ncc_stack::{Pair, PairSet, SearchRadius, TrackParams, SubpixelMethod};
use rand::SeedableRng;
use sar_core::Grid;
fn main() {
    let args: Vec<f64> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let (bw, coh, search, ov) = (args[0], args[1], args[2] as usize, args[3] > 0.0);
    for method in [SubpixelMethod::GaussianFit, SubpixelMethod::Parabolic, SubpixelMethod::Gaussian3Point] {
        let mut all = vec![];
        let mut fails = 0; let mut n=0;
        for k in 0..5 {
            let shift = 1.0 + 0.1 + k as f64 * 0.2;
            let p = SceneParams::new(256, 256, 2).coherence(coh).bandwidth(bw).texture_contrast(0.0)
                .displacement(DisplacementField::Uniform { dx_px: shift, dy_px: -shift*0.5 });
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(k);
            let s = generate(&p, &mut rng).unwrap();
            let pre: Vec<_> = s.intensity.iter().map(|i| preprocess(i.view(), &PreprocessParams::new()).unwrap()).collect();
            let views: Vec<_> = pre.iter().map(|a| a.view()).collect();
            let pairs = PairSet { pairs: vec![Pair { primary: 0, secondary: 1 }], interval_days: 1.0 };
            let params = TrackParams::new().template_px(64).step_px(16).search(SearchRadius::Pixels(search))
                .peak(ncc_stack::PeakParams::new().method(method)).oversample(ov);
            let t = std::time::Instant::now();
            let f = ncc_stack::track(&views, &Grid::pixel(256, 256), &pairs, &params, None).unwrap();
            if k == 0 { eprintln!("time {:?} valid {}", t.elapsed(), f.summary.valid); }
            fails += f.summary.fit_failed; n += f.summary.valid;
            for (x, y) in f.offset_x_px.data.iter().zip(f.offset_y_px.data.iter()) {
                if x.is_finite() { all.push((x - shift, y + shift*0.5)); }
            }
        }
        let bx = all.iter().map(|e| e.0).sum::<f64>() / all.len() as f64;
        let rmse = (all.iter().map(|e| e.0*e.0 + e.1*e.1).sum::<f64>() / all.len() as f64 / 2.0).sqrt();
        println!("{method:?}: bias_x {bx:+.4} rmse {rmse:.4} fails {fails}/{n}");
    }
}
