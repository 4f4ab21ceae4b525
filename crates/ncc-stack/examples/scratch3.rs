//! scratch
use ncc_stack::*;
use ndarray::Array2;
fn main() {
    for n in [9usize, 11, 13, 25] {
        for x0 in [0.5, 0.3, 0.0] {
            let c = (n / 2) as f64;
            let s = Array2::from_shape_fn((n, n), |(r, cc)| {
                let (x, y) = (cc as f64 - c - x0, r as f64 - c);
                0.6 * (-(x * x + y * y) / 1.5).exp() + 0.01 * ((r * 7 + cc * 3) % 5) as f64
            });
            let p = estimate_peak(s.view(), &PeakParams::new().max_iterations(2000)).unwrap().unwrap();
            println!("n {n} x0 {x0}: {:.3} {:.3} conv {}", p.offset_x_px, p.offset_y_px, p.fit_converged);
        }
    }
}
