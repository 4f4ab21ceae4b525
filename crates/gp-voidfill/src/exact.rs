//! Exact Gaussian-process regression with fixed hyper-parameters.
//!
//! For training inputs $X$ ($n \times D$), targets $y$, kernel $k$ and noise
//! variance $\sigma_n^2$: $K = k(X, X) + \sigma_n^2 I = L L^\top$,
//! $\alpha = K^{-1} y$,
//!
//! * negative log marginal likelihood
//!   $\mathrm{NLML} = \tfrac12 y^\top\alpha + \sum_i \ln L_{ii} + \tfrac n2 \ln 2\pi$;
//! * its gradient in log-parameter space
//!   $\partial\,\mathrm{NLML}/\partial\theta_p = -\tfrac12\,\mathrm{tr}\big((\alpha\alpha^\top - K^{-1})\,\partial K/\partial\theta_p\big)$;
//! * predictive mean $k_*^\top \alpha$, latent variance
//!   $k(x_*, x_*) - \lVert L^{-1} k_* \rVert^2$ and observation variance
//!   (latent + $\sigma_n^2$), see [`Prediction`].
//!
//! The parameter vector is the kernel's log parameters followed by
//! $\ln\sigma_n^2$ (scikit-learn's `WhiteKernel` comes last in its `theta`).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
#[cfg(feature = "rayon")]
use rayon::prelude::*;

use crate::error::{GpError, Result};
use crate::kernel::Kernel;
use crate::linalg;

/// Rows per parallel task in kernel/gradient loops (fixed, so results do not
/// depend on the number of threads).
const ROW_CHUNK: usize = 16;

/// How jitter is added when a kernel matrix is not numerically positive
/// definite: first without, then `initial`, `10·initial`, … up to `max`
/// (absolute values added to the diagonal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JitterPolicy {
    /// First jitter tried after a failure.
    pub initial: f64,
    /// Largest jitter tried before giving up.
    pub max: f64,
}

impl Default for JitterPolicy {
    fn default() -> Self {
        Self {
            initial: 1e-8,
            max: 1e-2,
        }
    }
}

/// Cholesky factorisation of `k` with jitter escalation; returns the factor
/// and the jitter that was added (0 when none was needed).
pub(crate) fn cholesky_with_jitter(
    k: &Array2<f64>,
    policy: JitterPolicy,
) -> Result<(Array2<f64>, f64)> {
    let mut jitter = 0.0;
    loop {
        let mut l = k.clone();
        if jitter > 0.0 {
            for i in 0..l.nrows() {
                l[[i, i]] += jitter;
            }
        }
        match linalg::cholesky_in_place(&mut l) {
            Ok(()) => return Ok((l, jitter)),
            Err(e) => {
                let next = if jitter == 0.0 {
                    policy.initial
                } else {
                    jitter * 10.0
                };
                if next > policy.max * (1.0 + 1e-12) || next.is_nan() || next <= 0.0 {
                    return Err(GpError::NotPositiveDefinite {
                        pivot: e.pivot,
                        jitter,
                    });
                }
                jitter = next;
            }
        }
    }
}

/// Runs `f(first_row, rows_chunk)` over fixed chunks of `ROW_CHUNK` rows of a
/// row-major matrix with `ncols` columns.
fn chunked_rows<F>(data: &mut [f64], ncols: usize, f: F)
where
    F: Fn(usize, &mut [f64]) + Sync + Send,
{
    if ncols == 0 {
        return;
    }
    #[cfg(feature = "rayon")]
    data.par_chunks_mut(ROW_CHUNK * ncols)
        .enumerate()
        .for_each(|(c, ch)| f(c * ROW_CHUNK, ch));
    #[cfg(not(feature = "rayon"))]
    data.chunks_mut(ROW_CHUNK * ncols)
        .enumerate()
        .for_each(|(c, ch)| f(c * ROW_CHUNK, ch));
}

/// The kernel matrix $k(X, X)$ (full, symmetric).
pub fn kernel_matrix<K: Kernel>(kernel: &K, x: ArrayView2<'_, f64>) -> Array2<f64> {
    let x = x.as_standard_layout();
    let n = x.nrows();
    let d = x.ncols();
    let xs = x.as_slice().expect("standard layout");
    let mut k = Array2::<f64>::zeros((n, n));
    let ks = k.as_slice_mut().expect("standard layout");
    chunked_rows(ks, n, |i0, chunk| {
        for (r, row) in chunk.chunks_mut(n).enumerate() {
            let i = i0 + r;
            let xi = &xs[i * d..(i + 1) * d];
            for (j, v) in row.iter_mut().enumerate().take(i + 1) {
                *v = kernel.eval(xi, &xs[j * d..(j + 1) * d]);
            }
        }
    });
    for i in 0..n {
        for j in i + 1..n {
            k[[i, j]] = k[[j, i]];
        }
    }
    k
}

/// The cross-covariance $k(X_*, X)$ ($m \times n$).
pub fn kernel_cross<K: Kernel>(
    kernel: &K,
    xs: ArrayView2<'_, f64>,
    x: ArrayView2<'_, f64>,
) -> Array2<f64> {
    let xs = xs.as_standard_layout();
    let x = x.as_standard_layout();
    let (m, n, d) = (xs.nrows(), x.nrows(), x.ncols());
    let a = xs.as_slice().expect("standard layout");
    let b = x.as_slice().expect("standard layout");
    let mut k = Array2::<f64>::zeros((m, n));
    let ks = k.as_slice_mut().expect("standard layout");
    chunked_rows(ks, n, |i0, chunk| {
        for (r, row) in chunk.chunks_mut(n).enumerate() {
            let i = i0 + r;
            let ai = &a[i * d..(i + 1) * d];
            for (j, v) in row.iter_mut().enumerate() {
                *v = kernel.eval(ai, &b[j * d..(j + 1) * d]);
            }
        }
    });
    k
}

/// Predictive mean and the two predictive standard deviations, in the units
/// of the training targets.
///
/// * [`Prediction::latent_std`] is the uncertainty of the noise-free
///   function $f(x_*)$, $\sqrt{k_{**} - k_*^\top K^{-1} k_*}$: use it for the
///   error of the true dh/dt at a pixel and for sums and means of pixels
///   (the void-mean error of eq. 4.13 is latent).
/// * [`Prediction::observation_std`] adds the noise,
///   $\sqrt{\sigma_f^2(x_*) + \sigma_n^2}$: the spread of a *new measurement*
///   $y_* = f(x_*) + \varepsilon$ around the mean. Use it to compare with
///   held-out measured pixels (scikit-learn's `predict(return_std=True)` with
///   a `WhiteKernel` returns this one).
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Predictive mean.
    pub mean: Array1<f64>,
    /// Predictive standard deviation of the latent (noise-free) function $f$.
    pub latent_std: Array1<f64>,
    /// Predictive standard deviation of a new observation $y = f + \varepsilon$
    /// (latent variance plus the noise variance).
    pub observation_std: Array1<f64>,
}

impl Prediction {
    /// Builds a prediction from the mean, the latent standard deviation and
    /// the noise variance (observation std = $\sqrt{\sigma_f^2 + \sigma_n^2}$).
    pub fn from_latent(mean: Array1<f64>, latent_std: Array1<f64>, noise_variance: f64) -> Self {
        let observation_std = latent_std.mapv(|s| (s * s + noise_variance).sqrt());
        Self {
            mean,
            latent_std,
            observation_std,
        }
    }

    /// The same prediction in other units: mean $\mapsto a\,\mu + b$, both
    /// standard deviations $\mapsto |a|\,\sigma$ (used to undo the target
    /// standardisation).
    pub fn rescaled(&self, scale: f64, offset: f64) -> Self {
        Self {
            mean: self.mean.mapv(|m| m * scale + offset),
            latent_std: self.latent_std.mapv(|s| s * scale.abs()),
            observation_std: self.observation_std.mapv(|s| s * scale.abs()),
        }
    }
}

/// An exact GP conditioned on training data with fixed hyper-parameters.
#[derive(Debug, Clone)]
pub struct ExactGp<K: Kernel> {
    kernel: K,
    noise_variance: f64,
    x: Array2<f64>,
    y: Array1<f64>,
    l: Array2<f64>,
    alpha: Array1<f64>,
    jitter: f64,
}

impl<K: Kernel + Clone> ExactGp<K> {
    /// Conditions the GP on `(x, y)`.
    ///
    /// # Errors
    /// [`GpError::Shape`] for inconsistent shapes, [`GpError::NonFinite`] for
    /// NaN inputs, [`GpError::InvalidParameter`] for a non-positive noise,
    /// [`GpError::NotPositiveDefinite`] when jitter escalation fails.
    pub fn fit(
        kernel: K,
        noise_variance: f64,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        jitter: JitterPolicy,
    ) -> Result<Self> {
        if x.nrows() != y.len() {
            return Err(GpError::Shape(format!(
                "{} feature rows but {} targets",
                x.nrows(),
                y.len()
            )));
        }
        if x.ncols() != kernel.n_features() {
            return Err(GpError::Shape(format!(
                "{} feature columns but the kernel expects {}",
                x.ncols(),
                kernel.n_features()
            )));
        }
        if x.nrows() == 0 {
            return Err(GpError::TooFewSamples {
                found: 0,
                required: 1,
            });
        }
        if !(noise_variance.is_finite() && noise_variance >= 0.0) {
            return Err(GpError::InvalidParameter {
                name: "noise_variance",
                reason: format!("must be finite and >= 0, got {noise_variance}"),
            });
        }
        ensure_finite(x, y)?;
        let mut k = kernel_matrix(&kernel, x);
        for i in 0..k.nrows() {
            k[[i, i]] += noise_variance;
        }
        let (l, jitter_added) = cholesky_with_jitter(&k, jitter)?;
        let mut alpha = y.to_vec();
        linalg::solve_lower_in_place(l.view(), &mut alpha);
        linalg::solve_lower_transposed_in_place(l.view(), &mut alpha);
        Ok(Self {
            kernel,
            noise_variance,
            x: x.as_standard_layout().to_owned(),
            y: y.to_owned(),
            l,
            alpha: Array1::from(alpha),
            jitter: jitter_added,
        })
    }

    /// The kernel.
    pub fn kernel(&self) -> &K {
        &self.kernel
    }

    /// Noise variance $\sigma_n^2$.
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }

    /// Jitter that had to be added to the diagonal (0 when none).
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// Number of training points.
    pub fn n_train(&self) -> usize {
        self.x.nrows()
    }

    /// Training inputs.
    pub fn x(&self) -> ArrayView2<'_, f64> {
        self.x.view()
    }

    /// The Cholesky factor $L$ of $K + \sigma_n^2 I$.
    pub fn cholesky(&self) -> ArrayView2<'_, f64> {
        self.l.view()
    }

    /// $\alpha = K^{-1} y$.
    pub fn alpha(&self) -> ArrayView1<'_, f64> {
        self.alpha.view()
    }

    /// The log-space parameter vector: kernel parameters, then $\ln\sigma_n^2$.
    pub fn log_params(&self) -> Vec<f64> {
        let mut p = self.kernel.log_params();
        p.push(self.noise_variance.ln());
        p
    }

    /// Negative log marginal likelihood.
    pub fn nlml(&self) -> f64 {
        let n = self.y.len() as f64;
        0.5 * self.y.dot(&self.alpha)
            + 0.5 * linalg::log_det_from_cholesky(self.l.view())
            + 0.5 * n * (2.0 * std::f64::consts::PI).ln()
    }

    /// Gradient of [`ExactGp::nlml`] with respect to [`ExactGp::log_params`].
    ///
    /// Costs one inverse from the Cholesky factor ($\approx 2n^3/3$ flops)
    /// and one pass over the kernel derivatives ($n^2/2$ evaluations).
    pub fn nlml_gradient(&self) -> Array1<f64> {
        let n = self.x.nrows();
        let d = self.x.ncols();
        let np = self.kernel.n_params();
        // only the lower triangle of K^{-1} is read below
        let kinv = linalg::inverse_lower_from_cholesky(self.l.view());
        let xs = self.x.as_slice().expect("standard layout");
        let ki = kinv.as_slice().expect("standard layout");
        let a = self.alpha.as_slice().expect("contiguous");
        let kernel = &self.kernel;
        // W = alpha alpha^T - K^{-1}; grad_LML_p = 1/2 sum_ij W_ij dK_ij
        let chunk_grad = |c: usize| -> Vec<f64> {
            let mut g = vec![0.0; np + 1];
            let mut gk = vec![0.0; np];
            let lo = c * ROW_CHUNK;
            let hi = (lo + ROW_CHUNK).min(n);
            for i in lo..hi {
                let xi = &xs[i * d..(i + 1) * d];
                for j in 0..i {
                    let w = a[i] * a[j] - ki[i * n + j];
                    kernel.eval_grad(xi, &xs[j * d..(j + 1) * d], &mut gk);
                    for (gp, gkp) in g.iter_mut().zip(&gk) {
                        *gp += w * gkp; // counts (i,j) and (j,i): 2 * 1/2
                    }
                }
                let wii = a[i] * a[i] - ki[i * n + i];
                kernel.eval_grad(xi, xi, &mut gk);
                for (gp, gkp) in g.iter_mut().zip(&gk) {
                    *gp += 0.5 * wii * gkp;
                }
                g[np] += 0.5 * wii * self.noise_variance;
            }
            g
        };
        let nchunks = n.div_ceil(ROW_CHUNK);
        #[cfg(feature = "rayon")]
        let parts: Vec<Vec<f64>> = (0..nchunks).into_par_iter().map(chunk_grad).collect();
        #[cfg(not(feature = "rayon"))]
        let parts: Vec<Vec<f64>> = (0..nchunks).map(chunk_grad).collect();
        let mut g = Array1::<f64>::zeros(np + 1);
        for p in &parts {
            for (gi, pi) in g.iter_mut().zip(p) {
                *gi -= pi; // NLML = -LML
            }
        }
        g
    }

    /// Derivatives of the predictive mean at `xs` with respect to the
    /// log-space parameters ([`ExactGp::log_params`]), one row per point:
    /// $\partial\mu_*/\partial\theta_p = (\partial k_*)^\top\alpha -
    /// k_*^\top K^{-1}(\partial K)\,\alpha$ (for the noise parameter
    /// $\partial K = \sigma_n^2 I$ and $\partial k_* = 0$). Used to propagate
    /// the hyper-parameter uncertainty into predictions (delta method, see
    /// [`crate::FittedGp::hyperparameter_covariance`]). Costs $n^2$ kernel
    /// derivative evaluations, $P$ pairs of triangular solves and $mn$
    /// derivative evaluations.
    pub fn mean_gradient(&self, xs: ArrayView2<'_, f64>) -> Array2<f64> {
        let n = self.x.nrows();
        let d = self.x.ncols();
        let nk = self.kernel.n_params();
        let np = nk + 1;
        let xt = self.x.as_slice().expect("standard layout");
        let a = self.alpha.as_slice().expect("contiguous");
        let kernel = &self.kernel;
        // u[i, p] = sum_k dK_ik/dtheta_p alpha_k
        let mut u = Array2::<f64>::zeros((n, np));
        {
            let us = u.as_slice_mut().expect("standard layout");
            chunked_rows(us, np, |i0, chunk| {
                let mut gk = vec![0.0; nk];
                for (r, row) in chunk.chunks_mut(np).enumerate() {
                    let i = i0 + r;
                    let xi = &xt[i * d..(i + 1) * d];
                    for k in 0..n {
                        kernel.eval_grad(xi, &xt[k * d..(k + 1) * d], &mut gk);
                        for (v, g) in row.iter_mut().zip(&gk) {
                            *v += g * a[k];
                        }
                    }
                    row[nk] = self.noise_variance * a[i];
                }
            });
        }
        // v = K^{-1} u, column by column
        let mut v = Array2::<f64>::zeros((np, n));
        for p in 0..np {
            let mut col = u.column(p).to_vec();
            linalg::solve_lower_in_place(self.l.view(), &mut col);
            linalg::solve_lower_transposed_in_place(self.l.view(), &mut col);
            v.row_mut(p).assign(&Array1::from(col));
        }
        let xs = xs.as_standard_layout();
        let m = xs.nrows();
        let b = xs.as_slice().expect("standard layout");
        let vs = v.as_slice().expect("standard layout");
        let mut out = Array2::<f64>::zeros((m, np));
        {
            let os = out.as_slice_mut().expect("standard layout");
            chunked_rows(os, np, |i0, chunk| {
                let mut gk = vec![0.0; nk];
                for (r, row) in chunk.chunks_mut(np).enumerate() {
                    let i = i0 + r;
                    let xi = &b[i * d..(i + 1) * d];
                    for k in 0..n {
                        let kv = kernel.eval_grad(xi, &xt[k * d..(k + 1) * d], &mut gk);
                        for (p, g) in gk.iter().enumerate() {
                            row[p] += g * a[k] - kv * vs[p * n + k];
                        }
                        row[nk] -= kv * vs[nk * n + k];
                    }
                }
            });
        }
        out
    }

    /// Predictive mean only (cheap: $O(mn)$).
    pub fn predict_mean(&self, xs: ArrayView2<'_, f64>) -> Array1<f64> {
        let ks = kernel_cross(&self.kernel, xs, self.x.view());
        ks.dot(&self.alpha)
    }

    /// Predictive mean, latent and observation standard deviations at `xs`.
    pub fn predict(&self, xs: ArrayView2<'_, f64>) -> Prediction {
        let mut ks = kernel_cross(&self.kernel, xs, self.x.view());
        let mean = ks.dot(&self.alpha);
        linalg::solve_lower_rows_in_place(self.l.view(), &mut ks);
        let xs = xs.as_standard_layout();
        let std = Array1::from_iter(ks.axis_iter(Axis(0)).zip(xs.axis_iter(Axis(0))).map(
            |(v, x)| {
                let kxx = self.kernel.diag(x.as_slice().expect("standard layout"));
                (kxx - v.dot(&v)).max(0.0).sqrt()
            },
        ));
        Prediction::from_latent(mean, std, self.noise_variance)
    }

    /// Full latent predictive covariance
    /// $k(X_*, X_*) - k_*^\top K^{-1} k_*$ ($m \times m$).
    pub fn predictive_covariance(&self, xs: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut v = kernel_cross(&self.kernel, xs, self.x.view());
        linalg::solve_lower_rows_in_place(self.l.view(), &mut v);
        let mut c = kernel_matrix(&self.kernel, xs);
        c -= &v.dot(&v.t());
        c
    }

    /// Sum of all entries of the latent predictive covariance at `xs`,
    /// $\mathbf 1^\top \Sigma_* \mathbf 1 = \mathbf 1^\top k(X_*,X_*)\mathbf 1 -
    /// \lVert L^{-1} k(X, X_*)\mathbf 1\rVert^2$, in $O(m^2 + mn + n^2)$
    /// without forming $\Sigma_*$.
    pub fn predictive_covariance_sum(&self, xs: ArrayView2<'_, f64>) -> f64 {
        self.predictive_covariance_sum_with(xs, false)
    }

    /// [`ExactGp::predictive_covariance_sum`], optionally with the
    /// uncertainty of an **unknown constant mean** (ordinary kriging;
    /// Rasmussen & Williams 2006, sect. 2.7 with a flat prior on the
    /// constant): the GP above is zero-mean around the training targets'
    /// sample mean, which eq. 4.13 treats as exact. With `unknown_mean` the
    /// sum gains $R^2/(\mathbf 1^\top K^{-1}\mathbf 1)$, $R = m -
    /// \mathbf 1^\top K^{-1} k(X, X_*)\mathbf 1$ ($m$ points in `xs`): zero
    /// when the void is surrounded by data that pin the mean down locally,
    /// up to $m^2$ times the variance of the mean of all training data
    /// where the void lies outside their reach (extrapolation). Cost: one
    /// extra triangular solve.
    pub fn predictive_covariance_sum_with(
        &self,
        xs: ArrayView2<'_, f64>,
        unknown_mean: bool,
    ) -> f64 {
        let xs = xs.as_standard_layout();
        let (m, d) = (xs.nrows(), xs.ncols());
        let a = xs.as_slice().expect("standard layout");
        let kernel = &self.kernel;
        // sum over pairs of k(x_i, x_j): chunked, deterministic
        let pair_sum = |c: usize| -> f64 {
            let lo = c * ROW_CHUNK;
            let hi = (lo + ROW_CHUNK).min(m);
            let mut s = 0.0;
            for i in lo..hi {
                let ai = &a[i * d..(i + 1) * d];
                for j in 0..i {
                    s += 2.0 * kernel.eval(ai, &a[j * d..(j + 1) * d]);
                }
                s += kernel.diag(ai);
            }
            s
        };
        let nchunks = m.div_ceil(ROW_CHUNK);
        #[cfg(feature = "rayon")]
        let parts: Vec<f64> = (0..nchunks).into_par_iter().map(pair_sum).collect();
        #[cfg(not(feature = "rayon"))]
        let parts: Vec<f64> = (0..nchunks).map(pair_sum).collect();
        let prior: f64 = parts.iter().sum();
        // k(X, X_*) 1 = column sums of the cross-covariance
        let ks = kernel_cross(&self.kernel, xs.view(), self.x.view());
        let mut s = ks.sum_axis(Axis(0)).to_vec();
        linalg::solve_lower_in_place(self.l.view(), &mut s);
        let sum = prior - s.iter().map(|v| v * v).sum::<f64>();
        if !unknown_mean {
            return sum;
        }
        sum + self.unknown_mean_term(m, &s)
    }

    /// The unknown-constant-mean term of
    /// [`ExactGp::predictive_covariance_sum_with`] alone,
    /// $R^2/(\mathbf 1^\top K^{-1}\mathbf 1)$ for the points `xs`.
    pub fn unknown_mean_variance_sum(&self, xs: ArrayView2<'_, f64>) -> f64 {
        let ks = kernel_cross(&self.kernel, xs, self.x.view());
        let mut s = ks.sum_axis(Axis(0)).to_vec();
        linalg::solve_lower_in_place(self.l.view(), &mut s);
        self.unknown_mean_term(xs.nrows(), &s)
    }

    /// $R^2/(u^\top u)$ with $u = L^{-1}\mathbf 1$, $R = m - u^\top s$ and
    /// $s = L^{-1}k(X, X_*)\mathbf 1$.
    fn unknown_mean_term(&self, m: usize, s: &[f64]) -> f64 {
        let mut u = vec![1.0; self.x.nrows()];
        linalg::solve_lower_in_place(self.l.view(), &mut u);
        let uu: f64 = u.iter().map(|v| v * v).sum();
        let r = m as f64 - u.iter().zip(s).map(|(a, b)| a * b).sum::<f64>();
        if uu > 0.0 {
            r * r / uu
        } else {
            0.0
        }
    }

    /// Row sums $\sum_{i=1}^{N} \Sigma_{ki}$ of the latent predictive
    /// covariance of the points `xs` ($N$ rows) for the rows $k \in$ `rows`,
    /// in $O(|rows|\,N + nN + |rows|\,n^2)$ without forming $\Sigma$.
    pub fn predictive_covariance_row_sums(
        &self,
        xs: ArrayView2<'_, f64>,
        rows: &[usize],
    ) -> Vec<f64> {
        let xs = xs.as_standard_layout();
        let d = xs.ncols();
        let a = xs.as_slice().expect("standard layout");
        let ks = kernel_cross(&self.kernel, xs.view(), self.x.view());
        let mut w = ks.sum_axis(Axis(0)).to_vec();
        linalg::solve_lower_in_place(self.l.view(), &mut w);
        let sub = xs.select(Axis(0), rows);
        let mut v = kernel_cross(&self.kernel, sub.view(), self.x.view());
        linalg::solve_lower_rows_in_place(self.l.view(), &mut v);
        let kernel = &self.kernel;
        let row_sum = |(r, &k): (usize, &usize)| -> f64 {
            let ak = &a[k * d..(k + 1) * d];
            let prior: f64 = (0..xs.nrows())
                .map(|i| kernel.eval(ak, &a[i * d..(i + 1) * d]))
                .sum();
            prior - linalg::dot(v.row(r).as_slice().expect("standard layout"), &w)
        };
        #[cfg(feature = "rayon")]
        let out = rows.par_iter().enumerate().map(row_sum).collect();
        #[cfg(not(feature = "rayon"))]
        let out = rows.iter().enumerate().map(row_sum).collect();
        out
    }

    /// The training targets.
    pub fn y(&self) -> ArrayView1<'_, f64> {
        self.y.view()
    }
}

/// [`GpError::NonFinite`] naming the first feature row or target that is not finite.
pub(crate) fn ensure_finite(x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<()> {
    if let Some(i) = x
        .axis_iter(Axis(0))
        .position(|r| r.iter().any(|v| !v.is_finite()))
    {
        return Err(GpError::NonFinite {
            what: "feature",
            index: i,
        });
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(GpError::NonFinite {
            what: "target",
            index: i,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::SumKernel;
    use approx::assert_relative_eq;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn covariance_sum_equals_sum_of_full_covariance() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let x = Array2::from_shape_fn((60, 2), |_| rng.gen_range(-2.0..2.0));
        let y = Array1::from_shape_fn(60, |i| (x[[i, 0]] * 1.3_f64).sin() + x[[i, 1]]);
        let xs = Array2::from_shape_fn((25, 2), |_| rng.gen_range(-2.0..2.0));
        let k = SumKernel::rbf_plus_matern32(1.0, &[0.7, 1.2], 0.3, &[0.4, 0.9]);
        let gp = ExactGp::fit(k, 0.05, x.view(), y.view(), JitterPolicy::default()).unwrap();
        let c = gp.predictive_covariance(xs.view());
        assert_relative_eq!(
            gp.predictive_covariance_sum(xs.view()),
            c.sum(),
            max_relative = 1e-10
        );
        let p = gp.predict(xs.view());
        for i in 0..25 {
            assert_relative_eq!(
                p.latent_std[i] * p.latent_std[i],
                c[[i, i]],
                max_relative = 1e-9,
                epsilon = 1e-12
            );
        }
    }

    #[test]
    fn unknown_mean_term_is_the_limit_of_a_flat_constant_prior() {
        // Ordinary kriging = a GP with an extra constant kernel c as c -> inf:
        // the posterior covariance sum of k + c converges to
        // predictive_covariance_sum_with(.., true).
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let x = Array2::from_shape_fn((50, 2), |_| rng.gen_range(-2.0_f64..2.0));
        let y = Array1::from_shape_fn(50, |i| x[[i, 0]].cos() + 0.5 * x[[i, 1]]);
        // points partly outside the data: the term matters there
        let xs = Array2::from_shape_fn((12, 2), |_| rng.gen_range(0.5..4.0));
        let k = SumKernel::rbf_plus_matern32(0.8, &[0.9, 1.1], 0.2, &[0.5, 0.7]);
        let gp =
            ExactGp::fit(k.clone(), 0.04, x.view(), y.view(), JitterPolicy::default()).unwrap();
        let c = 1e5;
        let mut kk = kernel_matrix(&k, x.view());
        for i in 0..50 {
            kk[[i, i]] += 0.04;
        }
        kk.mapv_inplace(|v| v + c);
        crate::linalg::cholesky_in_place(&mut kk).unwrap();
        let kinv = crate::linalg::inverse_from_cholesky(kk.view());
        let ks = kernel_cross(&k, xs.view(), x.view()).mapv(|v| v + c);
        let kss = kernel_matrix(&k, xs.view()).mapv(|v| v + c);
        let post = &kss - &ks.dot(&kinv).dot(&ks.t());
        let with = gp.predictive_covariance_sum_with(xs.view(), true);
        let without = gp.predictive_covariance_sum(xs.view());
        assert_relative_eq!(with, post.sum(), max_relative = 1e-3);
        assert!(with > without * 1.01, "{with} vs {without}");
        assert_relative_eq!(
            with - without,
            gp.unknown_mean_variance_sum(xs.view()),
            max_relative = 1e-10
        );
    }

    #[test]
    fn mean_gradient_matches_finite_differences() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let x = Array2::from_shape_fn((40, 2), |_| rng.gen_range(-2.0..2.0));
        let y = Array1::from_shape_fn(40, |i| (x[[i, 0]] * 1.1_f64).sin() - 0.5 * x[[i, 1]]);
        let xs = Array2::from_shape_fn((7, 2), |_| rng.gen_range(-2.5..2.5));
        let k = SumKernel::rbf_plus_matern32(0.8, &[0.9, 1.4], 0.3, &[0.5, 0.7]);
        let jp = JitterPolicy::default();
        let gp = ExactGp::fit(k.clone(), 0.04, x.view(), y.view(), jp).unwrap();
        let g = gp.mean_gradient(xs.view());
        let theta = gp.log_params();
        let nk = k.n_params();
        let h = 1e-5;
        for p in 0..theta.len() {
            let at = |s: f64| {
                let mut t = theta.clone();
                t[p] += s;
                let mut kk = k.clone();
                kk.set_log_params(&t[..nk]);
                ExactGp::fit(kk, t[nk].exp(), x.view(), y.view(), jp)
                    .unwrap()
                    .predict_mean(xs.view())
            };
            let fd = (at(h) - at(-h)) / (2.0 * h);
            for i in 0..xs.nrows() {
                assert_relative_eq!(g[[i, p]], fd[i], max_relative = 1e-5, epsilon = 1e-8);
            }
        }
    }

    #[test]
    fn duplicated_inputs_with_zero_noise_need_jitter() {
        let x = ndarray::arr2(&[[0.0], [0.0], [1.0]]);
        let y = ndarray::arr1(&[1.0, 1.0, 2.0]);
        let k = crate::kernel::ArdKernel::rbf(1.0, &[1.0]);
        let gp = ExactGp::fit(k, 0.0, x.view(), y.view(), JitterPolicy::default()).unwrap();
        assert!(gp.jitter() > 0.0 && gp.jitter() <= 1e-2);
        let k = crate::kernel::ArdKernel::rbf(1.0, &[1.0]);
        let policy = JitterPolicy {
            initial: 0.0,
            max: 0.0,
        };
        assert!(matches!(
            ExactGp::fit(k, 0.0, x.view(), y.view(), policy),
            Err(GpError::NotPositiveDefinite { .. })
        ));
    }
}
