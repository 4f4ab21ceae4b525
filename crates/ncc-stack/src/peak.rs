//! Peak location with sub-pixel precision (sect. 2.2.2) and the SNR of a
//! correlation surface (eq. 2.3).

use ndarray::ArrayView2;

use crate::error::{NccError, Result};

/// How the sub-pixel position of the correlation peak is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SubpixelMethod {
    /// The thesis's method (sect. 2.2.2): the rotated 2-D Gaussian of eq. 2.5
    /// fitted by non-linear least squares (Levenberg–Marquardt) to the
    /// window Ω around the peak, up-sampled by bilinear interpolation.
    #[default]
    GaussianFit,
    /// Separable 3-point parabola through the peak and its four neighbours.
    Parabolic,
    /// Separable 3-point Gaussian (parabola through the logarithms); falls
    /// back to the parabola where a value is not positive.
    Gaussian3Point,
    /// Integer peak only.
    Integer,
}

/// Parameters of the peak search. Defaults follow sect. 2.3.2 (TanDEM-X).
#[derive(Debug, Clone, PartialEq)]
pub struct PeakParams {
    method: SubpixelMethod,
    fit_window: usize,
    upsample: usize,
    snr_exclusion_radius_px: f64,
    max_iterations: usize,
}

impl Default for PeakParams {
    fn default() -> Self {
        PeakParams {
            method: SubpixelMethod::GaussianFit,
            fit_window: 11,
            upsample: 10,
            snr_exclusion_radius_px: 3.0,
            max_iterations: 50,
        }
    }
}

impl PeakParams {
    /// Default parameters (11×11 window, ×10 up-sampling, Gaussian fit,
    /// SNR exclusion radius 3 px).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sub-pixel estimator.
    pub fn method(mut self, m: SubpixelMethod) -> Self {
        self.method = m;
        self
    }
    /// Side of the fit window Ω in correlation lags (odd; 11 for TanDEM-X,
    /// 7 for Sentinel-1 in sect. 2.3.2).
    pub fn fit_window(mut self, w: usize) -> Self {
        self.fit_window = w;
        self
    }
    /// Up-sampling factor of Ω before the fit (10 in sect. 2.2.2).
    pub fn upsample(mut self, f: usize) -> Self {
        self.upsample = f;
        self
    }
    /// Radius (lags, Euclidean) around the integer peak excluded from the
    /// ambient field in the SNR of eq. 2.3. Default 3 px, about twice the
    /// width of the correlation peak of unfiltered speckle.
    pub fn snr_exclusion_radius_px(mut self, r: f64) -> Self {
        self.snr_exclusion_radius_px = r;
        self
    }
    /// Maximum Levenberg–Marquardt iterations.
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.max_iterations = n;
        self
    }
    /// The sub-pixel estimator.
    pub fn get_method(&self) -> SubpixelMethod {
        self.method
    }
    /// The SNR exclusion radius in lags.
    pub fn get_snr_exclusion_radius_px(&self) -> f64 {
        self.snr_exclusion_radius_px
    }

    /// Validate.
    pub fn check(&self) -> Result<()> {
        if self.fit_window < 3 || self.fit_window % 2 == 0 {
            return Err(NccError::InvalidParameter {
                name: "fit_window",
                reason: format!("must be odd and ≥ 3, got {}", self.fit_window),
            });
        }
        if self.upsample == 0 || self.upsample > 50 {
            return Err(NccError::InvalidParameter {
                name: "upsample",
                reason: format!("must be in 1..=50, got {}", self.upsample),
            });
        }
        if !(self.snr_exclusion_radius_px >= 0.0) {
            return Err(NccError::InvalidParameter {
                name: "snr_exclusion_radius_px",
                reason: "must be ≥ 0".into(),
            });
        }
        if self.max_iterations == 0 {
            return Err(NccError::InvalidParameter {
                name: "max_iterations",
                reason: "must be ≥ 1".into(),
            });
        }
        Ok(())
    }
}

/// The peak of one correlation surface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeakEstimate {
    /// Sub-pixel column offset of the peak from the surface centre (lags).
    pub offset_x_px: f64,
    /// Sub-pixel row offset of the peak from the surface centre (lags).
    pub offset_y_px: f64,
    /// Correlation value at the integer peak, c_p.
    pub peak: f64,
    /// SNR of eq. 2.3 in dB.
    pub snr_db: f64,
    /// `false` if the sub-pixel estimator failed and the integer peak was
    /// kept (for [`SubpixelMethod::Integer`] always `true`).
    pub fit_converged: bool,
    /// `true` if the integer peak lies on the border of the surface (the
    /// true peak may lie outside the search range).
    pub at_border: bool,
}

/// Find the maximum of a correlation surface (NaN ignored) and estimate the
/// sub-pixel offset and SNR. `None` if the surface has no finite value.
///
/// ```
/// use ncc_stack::{estimate_peak, PeakParams};
/// use ndarray::Array2;
/// // a Gaussian peak at (+1.3, −0.6) lags from the centre of a 21×21 surface
/// let s = Array2::from_shape_fn((21, 21), |(r, c)| {
///     let (x, y) = (c as f64 - 10.0 - 1.3, r as f64 - 10.0 + 0.6);
///     0.8 * (-(x * x + y * y) / 3.0).exp()
/// });
/// let p = estimate_peak(s.view(), &PeakParams::new())?.unwrap();
/// approx::assert_abs_diff_eq!(p.offset_x_px, 1.3, epsilon = 1e-2);
/// approx::assert_abs_diff_eq!(p.offset_y_px, -0.6, epsilon = 1e-2);
/// assert!(p.fit_converged);
/// # Ok::<(), ncc_stack::NccError>(())
/// ```
pub fn estimate_peak(
    surface: ArrayView2<'_, f64>,
    params: &PeakParams,
) -> Result<Option<PeakEstimate>> {
    params.check()?;
    Ok(estimate_peak_unchecked(surface, params))
}

pub(crate) fn estimate_peak_unchecked(
    surface: ArrayView2<'_, f64>,
    params: &PeakParams,
) -> Option<PeakEstimate> {
    let (rows, cols) = surface.dim();
    let mut best: Option<(usize, usize, f64)> = None;
    for ((r, c), &v) in surface.indexed_iter() {
        if v.is_finite() && best.map_or(true, |b| v > b.2) {
            best = Some((r, c, v));
        }
    }
    let (pr, pc, peak) = best?;
    let (cr, cc) = ((rows as f64 - 1.0) / 2.0, (cols as f64 - 1.0) / 2.0);
    // SNR, eq. 2.3
    let rex2 = params.snr_exclusion_radius_px * params.snr_exclusion_radius_px;
    let mut sum = 0.0;
    let mut n = 0usize;
    for ((r, c), &v) in surface.indexed_iter() {
        let (dr, dc) = (r as f64 - pr as f64, c as f64 - pc as f64);
        if v.is_finite() && dr * dr + dc * dc > rex2 {
            sum += v * v;
            n += 1;
        }
    }
    let ambient_mean_sq = if n > 0 { sum / n as f64 } else { f64::NAN };
    let snr_db = 10.0 * (peak * peak / ambient_mean_sq).log10();
    let ambient_mean = {
        let mut s = 0.0;
        let mut k = 0usize;
        for ((r, c), &v) in surface.indexed_iter() {
            let (dr, dc) = (r as f64 - pr as f64, c as f64 - pc as f64);
            if v.is_finite() && dr * dr + dc * dc > rex2 {
                s += v;
                k += 1;
            }
        }
        if k > 0 {
            s / k as f64
        } else {
            0.0
        }
    };
    let at_border = pr == 0 || pc == 0 || pr + 1 == rows || pc + 1 == cols;
    let (sub, ok) = match params.method {
        SubpixelMethod::Integer => ((0.0, 0.0), true),
        SubpixelMethod::Parabolic => three_point(surface, pr, pc, false),
        SubpixelMethod::Gaussian3Point => three_point(surface, pr, pc, true),
        SubpixelMethod::GaussianFit => gaussian_fit(surface, pr, pc, peak, ambient_mean, params),
    };
    Some(PeakEstimate {
        offset_x_px: pc as f64 + sub.1 - cc,
        offset_y_px: pr as f64 + sub.0 - cr,
        peak,
        snr_db,
        fit_converged: ok,
        at_border,
    })
}

/// Vertex of the parabola through (−1, a), (0, b), (1, c).
fn parabola_vertex(a: f64, b: f64, c: f64) -> Option<f64> {
    let den = a - 2.0 * b + c;
    if !(den < 0.0) {
        return None;
    }
    let d = 0.5 * (a - c) / den;
    (d.abs() <= 1.0).then_some(d)
}

fn three_point(s: ArrayView2<'_, f64>, r: usize, c: usize, gauss: bool) -> ((f64, f64), bool) {
    let (rows, cols) = s.dim();
    let axis = |a: f64, b: f64, cc: f64| -> Option<f64> {
        if !(a.is_finite() && b.is_finite() && cc.is_finite()) {
            return None;
        }
        if gauss && a > 0.0 && b > 0.0 && cc > 0.0 {
            if let Some(d) = parabola_vertex(a.ln(), b.ln(), cc.ln()) {
                return Some(d);
            }
        }
        parabola_vertex(a, b, cc)
    };
    let dy = if r > 0 && r + 1 < rows {
        axis(s[[r - 1, c]], s[[r, c]], s[[r + 1, c]])
    } else {
        None
    };
    let dx = if c > 0 && c + 1 < cols {
        axis(s[[r, c - 1]], s[[r, c]], s[[r, c + 1]])
    } else {
        None
    };
    match (dy, dx) {
        (Some(y), Some(x)) => ((y, x), true),
        _ => ((0.0, 0.0), false),
    }
}

/// Fit of eq. 2.5 on the bilinearly up-sampled window Ω' (sect. 2.2.2).
///
/// The Gaussian is parameterised internally by its quadratic form,
/// `g = A·exp(−(P·dx² + Q·dx·dy + R·dy²)) + b` with `dx = x − x0`,
/// `dy = y − y0`, which is eq. 2.5 with P, Q, R as defined there (the sign
/// of the cross term is read so that the exponent is a negative-definite
/// quadratic form); σx, σy and θ follow from P, Q, R. Initial values as in
/// sect. 2.2.2: centre of the window, σ = ¼ of the window width, A = the
/// peak height, θ = 0, b = the mean of the ambient field.
fn gaussian_fit(
    s: ArrayView2<'_, f64>,
    pr: usize,
    pc: usize,
    peak: f64,
    ambient_mean: f64,
    params: &PeakParams,
) -> ((f64, f64), bool) {
    let (rows, cols) = s.dim();
    let h = params.fit_window / 2;
    let r0 = pr.saturating_sub(h);
    let r1 = (pr + h).min(rows - 1);
    let c0 = pc.saturating_sub(h);
    let c1 = (pc + h).min(cols - 1);
    if r1 - r0 < 2 || c1 - c0 < 2 {
        return ((0.0, 0.0), false);
    }
    for r in r0..=r1 {
        for c in c0..=c1 {
            if !s[[r, c]].is_finite() {
                return ((0.0, 0.0), false);
            }
        }
    }
    // up-sample by bilinear interpolation; coordinates relative to the peak
    let f = params.upsample;
    let ny = (r1 - r0) * f + 1;
    let nx = (c1 - c0) * f + 1;
    let mut data = FitGrid {
        xs: (0..nx)
            .map(|ix| ix as f64 / f as f64 + c0 as f64 - pc as f64)
            .collect(),
        ys: (0..ny)
            .map(|iy| iy as f64 / f as f64 + r0 as f64 - pr as f64)
            .collect(),
        v: Vec::with_capacity(nx * ny),
        e: vec![0.0; nx * ny],
    };
    for iy in 0..ny {
        let y = iy as f64 / f as f64;
        let ry = (y.floor() as usize).min(r1 - r0 - 1);
        let ty = y - ry as f64;
        for ix in 0..nx {
            let x = ix as f64 / f as f64;
            let rx = (x.floor() as usize).min(c1 - c0 - 1);
            let tx = x - rx as f64;
            let v00 = s[[r0 + ry, c0 + rx]];
            let v01 = s[[r0 + ry, c0 + rx + 1]];
            let v10 = s[[r0 + ry + 1, c0 + rx]];
            let v11 = s[[r0 + ry + 1, c0 + rx + 1]];
            data.v.push(
                (1.0 - ty) * ((1.0 - tx) * v00 + tx * v01) + ty * ((1.0 - tx) * v10 + tx * v11),
            );
        }
    }
    let sigma = params.fit_window as f64 / 4.0;
    let q0 = 1.0 / (2.0 * sigma * sigma);
    // internal parameters q = [A, x0, y0, ln P, ln R, κ, b] with
    // Q = 2·sqrt(P·R)·tanh κ, so that the quadratic form stays positive
    // definite (an unconstrained fit can fall into an inverted "bowl").
    let q_init = [
        peak - ambient_mean,
        0.0,
        0.0,
        q0.ln(),
        q0.ln(),
        0.0,
        ambient_mean,
    ];
    let fitted = levenberg_marquardt(&mut data, q_init, params.max_iterations).map(|q| to_pqr(&q));
    match fitted {
        Some(p) => {
            let (a, x0, y0, pp, qq, rr) = (p[0], p[1], p[2], p[3], p[4], p[5]);

            let inside = x0 >= c0 as f64 - pc as f64
                && x0 <= c1 as f64 - pc as f64
                && y0 >= r0 as f64 - pr as f64
                && y0 <= r1 as f64 - pr as f64;
            let definite = pp > 0.0 && rr > 0.0 && 4.0 * pp * rr - qq * qq > 0.0;
            if a > 0.0 && inside && definite && x0.is_finite() && y0.is_finite() {
                ((y0, x0), true)
            } else {
                ((0.0, 0.0), false)
            }
        }
        None => ((0.0, 0.0), false),
    }
}

/// The up-sampled window Ω' on its regular grid, and a buffer for the
/// Gaussian's exponential term.
struct FitGrid {
    xs: Vec<f64>,
    ys: Vec<f64>,
    v: Vec<f64>,
    e: Vec<f64>,
}

impl FitGrid {
    /// Fill `e` with `exp(−(P·dx² + Q·dx·dy + R·dy²))` on the grid using
    /// separable factors and a multiplicative recurrence for the cross term
    /// (O(nx + ny) exponentials instead of O(nx·ny)).
    fn fill_exp(&mut self, p: &[f64; 7]) {
        let nx = self.xs.len();
        let h = if nx > 1 { self.xs[1] - self.xs[0] } else { 0.0 };
        let ex: Vec<f64> = self
            .xs
            .iter()
            .map(|x| (-p[3] * (x - p[1]).powi(2)).exp())
            .collect();
        let dx0 = self.xs[0] - p[1];
        for (j, y) in self.ys.iter().enumerate() {
            let dy = y - p[2];
            let ey = (-p[5] * dy * dy).exp();
            let mut cross = (-p[4] * dx0 * dy).exp() * ey;
            let ratio = (-p[4] * h * dy).exp();
            let row = &mut self.e[j * nx..(j + 1) * nx];
            for (o, &a) in row.iter_mut().zip(&ex) {
                *o = a * cross;
                cross *= ratio;
            }
        }
    }

    fn cost(&mut self, p: &[f64; 7]) -> f64 {
        self.fill_exp(p);
        0.5 * self
            .v
            .iter()
            .zip(&self.e)
            .map(|(&v, &e)| {
                let r = v - (p[0] * e + p[6]);
                r * r
            })
            .sum::<f64>()
    }
}

/// Internal parameters `[A, x0, y0, ln P, ln R, κ, b]` → `[A, x0, y0, P, Q, R, b]`.
fn to_pqr(q: &[f64; 7]) -> [f64; 7] {
    let (pp, rr) = (q[3].exp(), q[4].exp());
    [
        q[0],
        q[1],
        q[2],
        pp,
        2.0 * (pp * rr).sqrt() * q[5].tanh(),
        rr,
        q[6],
    ]
}

/// Solve the symmetric positive definite 7×7 system by Cholesky; `None` if not SPD.
#[allow(clippy::needless_range_loop)]
fn solve7(a: &[[f64; 7]; 7], b: &[f64; 7]) -> Option<[f64; 7]> {
    let mut l = [[0.0f64; 7]; 7];
    for i in 0..7 {
        for j in 0..=i {
            let mut sum = a[i][j];
            for k in 0..j {
                sum -= l[i][k] * l[j][k];
            }
            if i == j {
                if !(sum > 0.0) {
                    return None;
                }
                l[i][i] = sum.sqrt();
            } else {
                l[i][j] = sum / l[j][j];
            }
        }
    }
    let mut y = [0.0; 7];
    for i in 0..7 {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i][k] * y[k];
        }
        y[i] = s / l[i][i];
    }
    let mut x = [0.0; 7];
    for i in (0..7).rev() {
        let mut s = y[i];
        for k in i + 1..7 {
            s -= l[k][i] * x[k];
        }
        x[i] = s / l[i][i];
    }
    Some(x)
}

/// Levenberg–Marquardt minimisation of eq. 2.6; `None` if it does not converge.
#[allow(clippy::needless_range_loop)]
fn levenberg_marquardt(data: &mut FitGrid, mut q: [f64; 7], max_iter: usize) -> Option<[f64; 7]> {
    let mut lambda = 1.0;
    let mut cost = data.cost(&to_pqr(&q));
    if !cost.is_finite() {
        return None;
    }
    let nx = data.xs.len();
    for _ in 0..max_iter {
        let p = to_pqr(&q);
        let sq = 2.0 * (p[3] * p[5]).sqrt() * (1.0 - q[5].tanh().powi(2));
        data.fill_exp(&p);
        let mut jtj = [[0.0; 7]; 7];
        let mut jtr = [0.0; 7];
        for (j, &y) in data.ys.iter().enumerate() {
            let dy = y - p[2];
            for (i, &x) in data.xs.iter().enumerate() {
                let dx = x - p[1];
                let e = data.e[j * nx + i];
                let ae = p[0] * e;
                let r = data.v[j * nx + i] - (ae + p[6]);
                let (jp, jq, jr) = (-ae * dx * dx, -ae * dx * dy, -ae * dy * dy);
                let jac = [
                    e,
                    ae * (2.0 * p[3] * dx + p[4] * dy),
                    ae * (p[4] * dx + 2.0 * p[5] * dy),
                    jp * p[3] + jq * p[4] * 0.5,
                    jr * p[5] + jq * p[4] * 0.5,
                    jq * sq,
                    1.0,
                ];
                for a in 0..7 {
                    jtr[a] += jac[a] * r;
                    for b in 0..=a {
                        jtj[a][b] += jac[a] * jac[b];
                    }
                }
            }
        }
        for a in 0..7 {
            for b in 0..a {
                jtj[b][a] = jtj[a][b];
            }
        }
        let gnorm = jtr.iter().map(|v| v.abs()).fold(0.0, f64::max);
        if gnorm < 1e-12 * (1.0 + cost) {
            return Some(q);
        }
        let mut improved = false;
        while lambda < 1e12 {
            let mut m = jtj;
            for (a, row) in m.iter_mut().enumerate() {
                row[a] += lambda * jtj[a][a].max(1e-12);
            }
            let Some(delta) = solve7(&m, &jtr) else {
                lambda *= 10.0;
                continue;
            };
            let mut trial = q;
            for a in 0..7 {
                trial[a] += delta[a];
            }
            let c = data.cost(&to_pqr(&trial));
            if c.is_finite() && c < cost {
                let rel = (cost - c) / cost.max(1e-300);
                let step = delta[1].abs().max(delta[2].abs());
                q = trial;
                cost = c;
                lambda = (lambda * 0.1).max(1e-12);
                improved = true;
                if rel < 1e-10 || step < 1e-5 {
                    return Some(q);
                }
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            // no step lowers the cost: at a minimum to machine precision
            return Some(q);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn gauss_surface(x0: f64, y0: f64, theta: f64) -> Array2<f64> {
        let (sx, sy) = (1.2, 2.0);
        let (ct, st) = (theta.cos(), theta.sin());
        let p = ct * ct / (2.0 * sx * sx) + st * st / (2.0 * sy * sy);
        let q = -(2.0 * theta).sin() / (2.0 * sx * sx) + (2.0 * theta).sin() / (2.0 * sy * sy);
        let r = st * st / (2.0 * sx * sx) + ct * ct / (2.0 * sy * sy);
        Array2::from_shape_fn((25, 25), |(i, j)| {
            let dx = j as f64 - 12.0 - x0;
            let dy = i as f64 - 12.0 - y0;
            0.7 * (-(p * dx * dx + q * dx * dy + r * dy * dy)).exp() + 0.02
        })
    }

    #[test]
    fn gaussian_fit_recovers_rotated_peak() {
        for &(x0, y0, th) in &[(0.3, -0.4, 0.5), (-2.45, 1.1, 1.2), (0.0, 0.0, 0.0)] {
            let s = gauss_surface(x0, y0, th);
            let e = estimate_peak(s.view(), &PeakParams::new())
                .unwrap()
                .unwrap();
            assert!(e.fit_converged);
            // bilinear up-sampling of a sampled Gaussian biases by < 0.02 px
            assert!(
                (e.offset_x_px - x0).abs() < 0.02,
                "{} vs {x0}",
                e.offset_x_px
            );
            assert!(
                (e.offset_y_px - y0).abs() < 0.02,
                "{} vs {y0}",
                e.offset_y_px
            );
        }
    }

    #[test]
    fn three_point_estimators_are_exact_for_their_models() {
        // a separable parabola: exact for the parabolic estimator
        let s = Array2::from_shape_fn((9, 9), |(r, c)| {
            1.0 - 0.1 * (c as f64 - 4.0 - 0.3).powi(2) - 0.2 * (r as f64 - 4.0 + 0.2).powi(2)
        });
        let p = PeakParams::new().method(SubpixelMethod::Parabolic);
        let e = estimate_peak(s.view(), &p).unwrap().unwrap();
        assert!((e.offset_x_px - 0.3).abs() < 1e-12 && (e.offset_y_px + 0.2).abs() < 1e-12);
        // a separable Gaussian: exact for the 3-point Gaussian estimator
        let g = Array2::from_shape_fn((9, 9), |(r, c)| {
            (-(c as f64 - 4.0 - 0.35).powi(2) / 2.0 - (r as f64 - 4.0 - 0.45).powi(2) / 3.0).exp()
        });
        let p = PeakParams::new().method(SubpixelMethod::Gaussian3Point);
        let e = estimate_peak(g.view(), &p).unwrap().unwrap();
        assert!((e.offset_x_px - 0.35).abs() < 1e-12 && (e.offset_y_px - 0.45).abs() < 1e-12);
    }

    #[test]
    fn snr_matches_definition() {
        // peak 1.0 at the centre, ambient ±0.1 everywhere outside the radius
        let mut s =
            Array2::from_shape_fn((11, 11), |(r, c)| if (r + c) % 2 == 0 { 0.1 } else { -0.1 });
        s[[5, 5]] = 1.0;
        let p = PeakParams::new()
            .method(SubpixelMethod::Integer)
            .snr_exclusion_radius_px(0.0);
        let e = estimate_peak(s.view(), &p).unwrap().unwrap();
        assert!((e.snr_db - 20.0).abs() < 1e-9);
        assert_eq!((e.offset_x_px, e.offset_y_px), (0.0, 0.0));
        let nan = Array2::from_elem((5, 5), f64::NAN);
        assert!(estimate_peak(nan.view(), &p).unwrap().is_none());
        assert!(matches!(
            PeakParams::new().fit_window(4).check(),
            Err(NccError::InvalidParameter {
                name: "fit_window",
                ..
            })
        ));
    }
}
