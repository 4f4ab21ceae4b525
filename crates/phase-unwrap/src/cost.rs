//! Residues and coherence-based integer arc costs.
//!
//! ## Expected gradient and residues
//!
//! For each pixel edge the wrapped phase difference $\Delta = \psi_b - \psi_a$
//! is taken to the $2\pi$ representative closest to the **expected
//! gradient** $\mu$, the circular mean of the wrapped differences of that
//! direction in a $(2h+1)^2$ window ([`crate::UnwrapParams::gradient_half_window`]):
//! $k_0 = \operatorname{round}((\mu - \Delta) / 2\pi)$ and
//! $\delta = \Delta + 2\pi k_0 - \mu \in [-\pi, \pi]$. The residue of a 2 × 2
//! loop is the circulation of the integers $k_0$ around it (an exact integer:
//! no floating-point threshold), and the unwrapped gradient of an edge is
//! $\Delta + 2\pi (k_0 + f)$ with $f$ the flow of the min-cost-flow solution.
//! With $\mu = 0$ this is Costantini's (1998) original formulation; the
//! expected gradient lets fringes near the aliasing limit ($|\mu| \to \pi$)
//! cost what they are, as SNAPHU's smooth cost does (Chen & Zebker 2001).
//!
//! ## Costs
//!
//! The true gradient is modelled as Gaussian around $\mu$ with the variance
//! of the phase noise of the two pixels, $\sigma_e^2 = \sigma_a^2 + \sigma_b^2$.
//! The negative log-likelihood of adding $k$ cycles is
//! $[(\delta + 2\pi k)^2 - \delta^2] / 2\sigma_e^2$, convex in $k$; its first
//! unit costs $\propto (\pi + \delta)/\sigma_e^2$ in the positive and
//! $\propto (\pi - \delta)/\sigma_e^2$ in the negative direction, and each
//! further unit $\propto 2\pi/\sigma_e^2$ more. Integer costs are
//!
//! $$ c^\pm = \operatorname{round}\Big(100 \, \frac{2\pi^2/3}{\sigma_e^2} \, \frac{\pi \pm \delta}{2\pi}\Big), $$
//!
//! clamped to `u16`: an edge between two incoherent pixels ($\sigma^2 = \pi^2/3$,
//! uniform phase) costs 100 per cycle at $\delta = 0$, the cost unit.
//! The per-pixel phase-noise variance is the Cramér–Rao bound of the
//! multilook phase (Rodriguez & Martin 1992), thesis eq. (1.9) for the coherence,
//! $\sigma^2 = (1 - \gamma^2) / (2 L \gamma^2)$, capped at $\pi^2/3$ (a uniform
//! phase) and floored at $10^{-4}$ rad² ([`noise_variance`]).
//! Loops that touch an invalid pixel are merged into the ground node, so
//! crossing a masked pixel costs nothing and holes absorb any charge.

use std::f64::consts::PI;

use crate::network::Network;

/// Cost of one cycle across an edge between two incoherent pixels, the cost unit.
pub const COST_UNIT: f64 = 100.0;

/// Smallest per-pixel phase-noise variance (rad²), the floor for coherence → 1.
pub const MIN_NOISE_VARIANCE: f64 = 1e-4;

/// Phase-noise variance (rad²) of a pixel with coherence `gamma` and `looks`
/// looks: the Cramér–Rao bound $(1-\gamma^2)/(2L\gamma^2)$, capped at the
/// variance of a uniform phase $\pi^2/3$ and floored at
/// [`MIN_NOISE_VARIANCE`]. Coherence is clamped to $[0, 1]$.
///
/// ```
/// use phase_unwrap::cost::noise_variance;
/// assert!((noise_variance(0.0, 4.0) - std::f64::consts::PI.powi(2) / 3.0).abs() < 1e-12);
/// assert!((noise_variance(0.8, 1.0) - 0.36 / 1.28).abs() < 1e-12);
/// ```
pub fn noise_variance(gamma: f64, looks: f64) -> f64 {
    let g = gamma.clamp(0.0, 1.0);
    let cap = PI * PI / 3.0;
    if g <= 0.0 {
        return cap;
    }
    let crb = (1.0 - g * g) / (2.0 * looks * g * g);
    crb.clamp(MIN_NOISE_VARIANCE, cap)
}

/// The residue network of a block plus the integer gradient offsets `k0`.
pub(crate) struct Problem {
    pub network: Network,
    pub k0_h: Vec<i8>,
    pub k0_v: Vec<i8>,
}

#[inline]
fn first_costs(delta: f64, s2: f64) -> (u16, u16) {
    let ratio = (2.0 * PI * PI / 3.0) / s2;
    let q = |x: f64| {
        (COST_UNIT * ratio * x / (2.0 * PI))
            .round()
            .clamp(0.0, 65535.0) as u16
    };
    (q(PI + delta), q(PI - delta))
}

/// Circular mean direction of `raw` (NaN = absent) in a `(2h+1)²` box.
fn box_mean_angle(raw: &[f64], rows: usize, cols: usize, h: usize) -> Vec<f32> {
    let n = rows * cols;
    if h == 0 || n == 0 {
        return vec![0.0; n];
    }
    // Horizontal running sums of (cos, sin).
    let mut hc = vec![0f32; n];
    let mut hs = vec![0f32; n];
    for i in 0..rows {
        let row = &raw[i * cols..(i + 1) * cols];
        let (mut sc, mut ss) = (0f64, 0f64);
        let add = |x: f64, sc: &mut f64, ss: &mut f64, sign: f64| {
            if x.is_finite() {
                *sc += sign * x.cos();
                *ss += sign * x.sin();
            }
        };
        for &x in row.iter().take(h.min(cols)) {
            add(x, &mut sc, &mut ss, 1.0);
        }
        for j in 0..cols {
            if j + h < cols {
                add(row[j + h], &mut sc, &mut ss, 1.0);
            }
            if j > h {
                add(row[j - h - 1], &mut sc, &mut ss, -1.0);
            }
            hc[i * cols + j] = sc as f32;
            hs[i * cols + j] = ss as f32;
        }
    }
    // Vertical running sums.
    let mut out = vec![0f32; n];
    let mut ac = vec![0f64; cols];
    let mut as_ = vec![0f64; cols];
    for i in 0..h.min(rows) {
        for j in 0..cols {
            ac[j] += hc[i * cols + j] as f64;
            as_[j] += hs[i * cols + j] as f64;
        }
    }
    for i in 0..rows {
        if i + h < rows {
            let r = (i + h) * cols;
            for j in 0..cols {
                ac[j] += hc[r + j] as f64;
                as_[j] += hs[r + j] as f64;
            }
        }
        if i > h {
            let r = (i - h - 1) * cols;
            for j in 0..cols {
                ac[j] -= hc[r + j] as f64;
                as_[j] -= hs[r + j] as f64;
            }
        }
        for j in 0..cols {
            let (c, s) = (ac[j], as_[j]);
            out[i * cols + j] = if c * c + s * s > 1e-12 {
                s.atan2(c) as f32
            } else {
                0.0
            };
        }
    }
    out
}

/// Build the residue network of a block.
///
/// `w`: wrapped phase in [−π, π] (anything where invalid), `valid`: pixel
/// validity, `s2`: per-pixel noise variance (rad²); all row-major
/// `rows × cols`.
pub(crate) fn build_problem(
    w: &[f64],
    valid: &[bool],
    s2: &[f32],
    rows: usize,
    cols: usize,
    half_window: usize,
) -> Problem {
    let lc = cols.saturating_sub(1);
    let lr = rows.saturating_sub(1);
    let nh = rows * lc;
    let nv = lr * cols;
    // Raw wrapped differences (NaN where an end is invalid).
    let mut raw_h = vec![f64::NAN; nh];
    for i in 0..rows {
        for j in 0..lc {
            let (a, b) = (i * cols + j, i * cols + j + 1);
            if valid[a] && valid[b] {
                raw_h[i * lc + j] = w[b] - w[a];
            }
        }
    }
    let mut raw_v = vec![f64::NAN; nv];
    for i in 0..lr {
        for j in 0..cols {
            let (a, b) = (i * cols + j, (i + 1) * cols + j);
            if valid[a] && valid[b] {
                raw_v[i * cols + j] = w[b] - w[a];
            }
        }
    }
    let mu_h = box_mean_angle(&raw_h, rows, lc, half_window);
    let mu_v = box_mean_angle(&raw_v, lr, cols, half_window);
    let edge = |raw: f64, mu: f64, a: usize, b: usize| -> (i8, u16, u16) {
        if !raw.is_finite() {
            return (0, 0, 0);
        }
        let k0 = ((mu - raw) / (2.0 * PI)).round();
        let delta = raw + 2.0 * PI * k0 - mu;
        let (p, m) = first_costs(delta, s2[a] as f64 + s2[b] as f64);
        (k0 as i8, p, m)
    };
    let mut k0_h = vec![0i8; nh];
    let mut h_plus = vec![0u16; nh];
    let mut h_minus = vec![0u16; nh];
    for i in 0..rows {
        for j in 0..lc {
            let e = i * lc + j;
            let (k, p, m) = edge(raw_h[e], mu_h[e] as f64, i * cols + j, i * cols + j + 1);
            k0_h[e] = k;
            h_plus[e] = p;
            h_minus[e] = m;
        }
    }
    let mut k0_v = vec![0i8; nv];
    let mut v_plus = vec![0u16; nv];
    let mut v_minus = vec![0u16; nv];
    for i in 0..lr {
        for j in 0..cols {
            let e = i * cols + j;
            let (k, p, m) = edge(raw_v[e], mu_v[e] as f64, i * cols + j, (i + 1) * cols + j);
            k0_v[e] = k;
            v_plus[e] = p;
            v_minus[e] = m;
        }
    }
    let nl = lr * lc;
    let mut grounded = vec![false; nl];
    let mut supply = vec![0i32; nl];
    for i in 0..lr {
        for j in 0..lc {
            let l = i * lc + j;
            let corners = [
                i * cols + j,
                i * cols + j + 1,
                (i + 1) * cols + j,
                (i + 1) * cols + j + 1,
            ];
            if corners.iter().any(|&p| !valid[p]) {
                grounded[l] = true;
                continue;
            }
            let r = k0_h[i * lc + j] as i32 + k0_v[i * cols + j + 1] as i32
                - k0_h[(i + 1) * lc + j] as i32
                - k0_v[i * cols + j] as i32;
            supply[l] = -r;
        }
    }
    let network = Network {
        rows,
        cols,
        grounded,
        supply,
        h_plus,
        h_minus,
        v_plus,
        v_minus,
    };
    Problem {
        network,
        k0_h,
        k0_v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_mean_of_constant_angle_is_that_angle() {
        let raw = vec![0.7; 6 * 5];
        let mu = box_mean_angle(&raw, 6, 5, 2);
        assert!(mu.iter().all(|&m| (m as f64 - 0.7).abs() < 1e-6));
    }

    #[test]
    fn costs_favour_the_direction_that_shrinks_the_gradient() {
        let (p, m) = first_costs(0.9 * PI, 2.0 * PI * PI / 3.0);
        // ratio 1: plus = 100 * 1.9/2 = 95, minus = 100 * 0.1/2 = 5
        assert_eq!((p, m), (95, 5));
    }
}
