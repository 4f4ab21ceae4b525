//! Covariance functions $k(x, x')$ with hyper-parameters in log space.
//!
//! Every stationary kernel here is an *ARD* kernel: one length scale $\ell_d$
//! per feature and its own output variance $\sigma^2$, with the scaled squared
//! distance $r^2 = \sum_d (x_d - x'_d)^2 / \ell_d^2$:
//!
//! | shape | $k / \sigma^2$ |
//! |---|---|
//! | RBF | $\exp(-r^2/2)$ |
//! | Matérn ν = 1/2 (exponential) | $\exp(-r)$ |
//! | Matérn ν = 3/2 | $(1 + \sqrt3 r)\exp(-\sqrt3 r)$ |
//! | Matérn ν = 5/2 | $(1 + \sqrt5 r + 5r^2/3)\exp(-\sqrt5 r)$ |
//!
//! The parameter vector of an [`ArdKernel`] is
//! $\theta = (\ln\sigma^2, \ln\ell_1, …, \ln\ell_D)$ and that of a
//! [`SumKernel`] the concatenation of its parts — the same order as
//! scikit-learn's `ConstantKernel * RBF + ConstantKernel * Matern` `theta`,
//! so gradients can be compared one to one.

/// A covariance function with hyper-parameters in log space.
///
/// Implementations must be symmetric and positive semi-definite.
pub trait Kernel: Send + Sync + std::fmt::Debug {
    /// Number of (log-space) hyper-parameters.
    fn n_params(&self) -> usize;
    /// The hyper-parameters in log space.
    fn log_params(&self) -> Vec<f64>;
    /// Sets the hyper-parameters from log space.
    ///
    /// # Panics
    /// If `p.len() != self.n_params()`.
    fn set_log_params(&mut self, p: &[f64]);
    /// Human-readable names of the hyper-parameters, in order.
    fn param_names(&self) -> Vec<String>;
    /// $k(a, b)$.
    fn eval(&self, a: &[f64], b: &[f64]) -> f64;
    /// $k(a, b)$ and, written into `grad`, $\partial k / \partial \theta_p$
    /// for every log-space parameter.
    fn eval_grad(&self, a: &[f64], b: &[f64], grad: &mut [f64]) -> f64;
    /// $k(x, x)$ (constant for stationary kernels).
    fn diag(&self, a: &[f64]) -> f64;
    /// Adds, per feature, the curvature $w_d$ of the kernel at zero lag,
    /// $k(0) - k(\delta) \approx \sum_d w_d \delta_d^2$ (used as the metric
    /// of nearest-neighbour searches).
    fn add_local_metric(&self, w: &mut [f64]);
    /// Number of input features the kernel expects.
    fn n_features(&self) -> usize;
}

/// Radial profile of an ARD kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shape {
    /// Squared exponential (radial basis function).
    Rbf,
    /// Matérn ν = 1/2, the exponential kernel.
    Exponential,
    /// Matérn ν = 3/2.
    Matern32,
    /// Matérn ν = 5/2.
    Matern52,
}

impl Shape {
    /// Returns $(k/\sigma^2, \partial (k/\sigma^2) / \partial (r^2))$.
    #[inline]
    fn profile(self, r2: f64) -> (f64, f64) {
        match self {
            Shape::Rbf => {
                let k = (-0.5 * r2).exp();
                (k, -0.5 * k)
            }
            Shape::Exponential => {
                let r = r2.sqrt();
                let e = (-r).exp();
                let d = if r > 0.0 { -0.5 * e / r } else { 0.0 };
                (e, d)
            }
            Shape::Matern32 => {
                let u = (3.0 * r2).sqrt();
                let e = (-u).exp();
                ((1.0 + u) * e, -1.5 * e)
            }
            Shape::Matern52 => {
                let u = (5.0 * r2).sqrt();
                let e = (-u).exp();
                ((1.0 + u + u * u / 3.0) * e, -(5.0 / 6.0) * (1.0 + u) * e)
            }
        }
    }

    /// $-\partial (k/\sigma^2)/\partial(r^2)$ at $r = 0$ (curvature); the
    /// exponential kernel is not differentiable at zero and uses 1.
    fn curvature(self) -> f64 {
        match self {
            Shape::Rbf => 0.5,
            Shape::Exponential => 1.0,
            Shape::Matern32 => 1.5,
            Shape::Matern52 => 5.0 / 6.0,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Shape::Rbf => "rbf",
            Shape::Exponential => "exponential",
            Shape::Matern32 => "matern32",
            Shape::Matern52 => "matern52",
        }
    }
}

/// A stationary kernel with an output variance and one length scale per
/// feature (automatic relevance determination).
#[derive(Debug, Clone, PartialEq)]
pub struct ArdKernel {
    shape: Shape,
    log_variance: f64,
    log_lengths: Vec<f64>,
    inv_l2: Vec<f64>,
}

impl ArdKernel {
    /// A kernel of the given shape, output variance (target units²) and length
    /// scales (feature units).
    ///
    /// # Panics
    /// If `variance` or a length scale is not finite and positive, or
    /// `lengths` is empty.
    #[track_caller]
    pub fn new(shape: Shape, variance: f64, lengths: &[f64]) -> Self {
        assert!(
            variance.is_finite() && variance > 0.0,
            "variance must be positive"
        );
        assert!(!lengths.is_empty(), "at least one length scale is needed");
        assert!(
            lengths.iter().all(|l| l.is_finite() && *l > 0.0),
            "length scales must be positive"
        );
        let log_lengths: Vec<f64> = lengths.iter().map(|l| l.ln()).collect();
        let mut k = Self {
            shape,
            log_variance: variance.ln(),
            inv_l2: vec![0.0; lengths.len()],
            log_lengths,
        };
        k.refresh();
        k
    }

    /// RBF kernel, see [`ArdKernel::new`].
    #[track_caller]
    pub fn rbf(variance: f64, lengths: &[f64]) -> Self {
        Self::new(Shape::Rbf, variance, lengths)
    }

    /// Matérn ν = 3/2 kernel, see [`ArdKernel::new`].
    #[track_caller]
    pub fn matern32(variance: f64, lengths: &[f64]) -> Self {
        Self::new(Shape::Matern32, variance, lengths)
    }

    /// Matérn ν = 5/2 kernel, see [`ArdKernel::new`].
    #[track_caller]
    pub fn matern52(variance: f64, lengths: &[f64]) -> Self {
        Self::new(Shape::Matern52, variance, lengths)
    }

    /// Exponential (Matérn ν = 1/2) kernel, see [`ArdKernel::new`].
    #[track_caller]
    pub fn exponential(variance: f64, lengths: &[f64]) -> Self {
        Self::new(Shape::Exponential, variance, lengths)
    }

    /// The radial profile.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Output variance $\sigma^2$.
    pub fn variance(&self) -> f64 {
        self.log_variance.exp()
    }

    /// Length scales $\ell_d$.
    pub fn lengths(&self) -> Vec<f64> {
        self.log_lengths.iter().map(|l| l.exp()).collect()
    }

    fn refresh(&mut self) {
        for (w, l) in self.inv_l2.iter_mut().zip(&self.log_lengths) {
            *w = (-2.0 * l).exp();
        }
    }

    #[inline]
    fn r2(&self, a: &[f64], b: &[f64]) -> f64 {
        let mut s = 0.0;
        for ((x, y), w) in a.iter().zip(b).zip(&self.inv_l2) {
            let d = x - y;
            s += d * d * w;
        }
        s
    }
}

impl Kernel for ArdKernel {
    fn n_params(&self) -> usize {
        1 + self.log_lengths.len()
    }

    fn log_params(&self) -> Vec<f64> {
        let mut p = Vec::with_capacity(self.n_params());
        p.push(self.log_variance);
        p.extend_from_slice(&self.log_lengths);
        p
    }

    #[track_caller]
    fn set_log_params(&mut self, p: &[f64]) {
        assert_eq!(p.len(), self.n_params(), "wrong number of parameters");
        self.log_variance = p[0];
        self.log_lengths.copy_from_slice(&p[1..]);
        self.refresh();
    }

    fn param_names(&self) -> Vec<String> {
        let mut v = vec![format!("{}.log_variance", self.shape.name())];
        for d in 0..self.log_lengths.len() {
            v.push(format!("{}.log_length[{d}]", self.shape.name()));
        }
        v
    }

    #[inline]
    fn eval(&self, a: &[f64], b: &[f64]) -> f64 {
        self.variance() * self.shape.profile(self.r2(a, b)).0
    }

    #[inline]
    fn eval_grad(&self, a: &[f64], b: &[f64], grad: &mut [f64]) -> f64 {
        let r2 = self.r2(a, b);
        let (p, dp) = self.shape.profile(r2);
        let s2 = self.variance();
        let k = s2 * p;
        grad[0] = k;
        // d r^2 / d ln l_d = -2 (a_d - b_d)^2 / l_d^2
        for (d, ((x, y), w)) in a.iter().zip(b).zip(&self.inv_l2).enumerate() {
            let diff = x - y;
            grad[1 + d] = -2.0 * s2 * dp * diff * diff * w;
        }
        k
    }

    fn diag(&self, _a: &[f64]) -> f64 {
        self.variance()
    }

    fn add_local_metric(&self, w: &mut [f64]) {
        let c = self.variance() * self.shape.curvature();
        for (wd, il) in w.iter_mut().zip(&self.inv_l2) {
            *wd += c * il;
        }
    }

    fn n_features(&self) -> usize {
        self.log_lengths.len()
    }
}

/// Sum of ARD kernels, e.g. RBF + Matérn 3/2 (thesis sect. 4.3.2.2).
#[derive(Debug, Clone, PartialEq)]
pub struct SumKernel {
    parts: Vec<ArdKernel>,
}

impl SumKernel {
    /// The sum of `parts`.
    ///
    /// # Panics
    /// If `parts` is empty or the parts expect different numbers of features.
    #[track_caller]
    pub fn new(parts: Vec<ArdKernel>) -> Self {
        assert!(!parts.is_empty(), "a sum kernel needs at least one part");
        let d = parts[0].n_features();
        assert!(
            parts.iter().all(|p| p.n_features() == d),
            "all parts must have the same number of features"
        );
        Self { parts }
    }

    /// The thesis kernel: RBF + Matérn ν = 3/2, both ARD, each with its own
    /// output variance.
    pub fn rbf_plus_matern32(
        rbf_variance: f64,
        rbf_lengths: &[f64],
        matern_variance: f64,
        matern_lengths: &[f64],
    ) -> Self {
        Self::new(vec![
            ArdKernel::rbf(rbf_variance, rbf_lengths),
            ArdKernel::matern32(matern_variance, matern_lengths),
        ])
    }

    /// The parts of the sum.
    pub fn parts(&self) -> &[ArdKernel] {
        &self.parts
    }
}

impl Kernel for SumKernel {
    fn n_params(&self) -> usize {
        self.parts.iter().map(Kernel::n_params).sum()
    }

    fn log_params(&self) -> Vec<f64> {
        self.parts.iter().flat_map(Kernel::log_params).collect()
    }

    #[track_caller]
    fn set_log_params(&mut self, p: &[f64]) {
        assert_eq!(p.len(), self.n_params(), "wrong number of parameters");
        let mut o = 0;
        for part in &mut self.parts {
            let m = part.n_params();
            part.set_log_params(&p[o..o + m]);
            o += m;
        }
    }

    fn param_names(&self) -> Vec<String> {
        self.parts
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                p.param_names()
                    .into_iter()
                    .map(move |n| format!("k{i}.{n}"))
            })
            .collect()
    }

    #[inline]
    fn eval(&self, a: &[f64], b: &[f64]) -> f64 {
        self.parts.iter().map(|p| p.eval(a, b)).sum()
    }

    #[inline]
    fn eval_grad(&self, a: &[f64], b: &[f64], grad: &mut [f64]) -> f64 {
        let mut o = 0;
        let mut k = 0.0;
        for part in &self.parts {
            let m = part.n_params();
            k += part.eval_grad(a, b, &mut grad[o..o + m]);
            o += m;
        }
        k
    }

    fn diag(&self, a: &[f64]) -> f64 {
        self.parts.iter().map(|p| p.diag(a)).sum()
    }

    fn add_local_metric(&self, w: &mut [f64]) {
        for p in &self.parts {
            p.add_local_metric(w);
        }
    }

    fn n_features(&self) -> usize {
        self.parts[0].n_features()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn kernel_gradients_match_finite_differences() {
        let a = [0.3, -1.2, 0.7];
        let b = [-0.4, 0.5, 1.1];
        for shape in [
            Shape::Rbf,
            Shape::Exponential,
            Shape::Matern32,
            Shape::Matern52,
        ] {
            let mut k = ArdKernel::new(shape, 1.7, &[0.8, 1.9, 0.6]);
            let p0 = k.log_params();
            let mut g = vec![0.0; k.n_params()];
            k.eval_grad(&a, &b, &mut g);
            for i in 0..p0.len() {
                let h = 1e-6;
                let mut p = p0.clone();
                p[i] += h;
                k.set_log_params(&p);
                let fp = k.eval(&a, &b);
                p[i] -= 2.0 * h;
                k.set_log_params(&p);
                let fm = k.eval(&a, &b);
                k.set_log_params(&p0);
                assert_relative_eq!(g[i], (fp - fm) / (2.0 * h), max_relative = 1e-6);
            }
        }
    }

    #[test]
    fn closed_forms_at_unit_distance() {
        // r = 1 with unit variance: textbook values
        let a = [1.0];
        let b = [0.0];
        let e = |k: ArdKernel| k.eval(&a, &b);
        assert_relative_eq!(e(ArdKernel::rbf(1.0, &[1.0])), (-0.5_f64).exp());
        assert_relative_eq!(e(ArdKernel::exponential(1.0, &[1.0])), (-1.0_f64).exp());
        let s3 = 3.0_f64.sqrt();
        assert_relative_eq!(
            e(ArdKernel::matern32(1.0, &[1.0])),
            (1.0 + s3) * (-s3).exp()
        );
        let s5 = 5.0_f64.sqrt();
        assert_relative_eq!(
            e(ArdKernel::matern52(1.0, &[1.0])),
            (1.0 + s5 + 5.0 / 3.0) * (-s5).exp()
        );
    }
}
