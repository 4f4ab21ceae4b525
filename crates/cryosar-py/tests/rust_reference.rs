//! The reference results the Python tests compare the bindings with
//! ([`cryosar_py::reference`]) are deterministic and right where a truth
//! is known.

use serde_json::Value;

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().map(num).collect())
        .unwrap_or_default()
}

#[test]
fn reference_results_are_deterministic_and_right() {
    let a = cryosar_py::reference::compute().unwrap();
    let b = cryosar_py::reference::compute().unwrap();
    assert_eq!(a, b, "two runs differ");
    // the texture moves one row down and one column left per image
    let (ox, oy) = (nums(&a["offset_x_px"]), nums(&a["offset_y_px"]));
    let ok: Vec<usize> = (0..ox.len()).filter(|&i| ox[i].is_finite()).collect();
    assert!(ok.len() >= 9, "{} valid cells", ok.len());
    for &i in &ok {
        assert!(
            (ox[i] + 1.0).abs() < 0.05 && (oy[i] - 1.0).abs() < 0.05,
            "{} {}",
            ox[i],
            oy[i]
        );
    }
    // the slope of 3000 + 8·row + 3·col (+ ≤ 20 m noise) on 30 m pixels
    let s = nums(&a["slope"]);
    let mid = s[12 * 30 + 15];
    let plane = (((8.0f64 / 30.0).powi(2) + (3.0f64 / 30.0).powi(2)).sqrt())
        .atan()
        .to_degrees();
    assert!((mid - plane).abs() < 20.0, "{mid} vs {plane}");
    // the unwrapped ramp differs from 0.35·row + 0.2·col by one constant 2π·k
    let u = nums(&a["unwrapped"]);
    let off = u[0];
    for r in 0..30 {
        for c in 0..34 {
            let d = u[r * 34 + c] - (0.35 * r as f64 + 0.2 * c as f64) - off;
            assert!(d.abs() < 1e-9, "({r}, {c}): {d}");
        }
    }
    // the GP fill predicts the void near the linear trend (noise ±0.025)
    assert!(num(&a["void_mean"]).is_finite() && num(&a["void_std_error"]) > 0.0);
    // the synthetic pair is built for a height of ambiguity of 40 m
    let ha = num(&a["insar_height_of_ambiguity"]);
    assert!((ha - 40.0).abs() < 2.0, "h_a = {ha}");
    // two glaciers with a result each, wet snow found on the left half
    assert_eq!(a["mb_rows"].as_array().map(Vec::len), Some(2));
    let wet = a["wet_mask"]
        .as_array()
        .map(|m| m.iter().filter(|v| v.as_u64() == Some(1)).count());
    assert!(wet.unwrap_or(0) > 400, "{wet:?}");
}
