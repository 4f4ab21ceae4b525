//! The void-filling GP: parameters, training with Adam, prediction, void mean.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::data::{self, Metrics, SplitStrategy, Standardizer, TargetScaler};
use crate::error::{GpError, Result};
use crate::exact::{ExactGp, JitterPolicy, Prediction};
use crate::kernel::{ArdKernel, Kernel, Shape, SumKernel};
use crate::nn::NearestNeighbourGp;

/// Which covariance function the model uses (all ARD, each part with its own
/// output variance; Gaussian noise is always added).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KernelKind {
    /// RBF + Matérn ν = 3/2, the thesis kernel (sect. 4.3.2.2).
    #[default]
    RbfPlusMatern32,
    /// RBF only.
    Rbf,
    /// Matérn ν = 3/2 only.
    Matern32,
    /// Matérn ν = 5/2 only.
    Matern52,
    /// Exponential (Matérn ν = 1/2) only.
    Exponential,
}

impl KernelKind {
    fn shapes(self) -> &'static [Shape] {
        match self {
            KernelKind::RbfPlusMatern32 => &[Shape::Rbf, Shape::Matern32],
            KernelKind::Rbf => &[Shape::Rbf],
            KernelKind::Matern32 => &[Shape::Matern32],
            KernelKind::Matern52 => &[Shape::Matern52],
            KernelKind::Exponential => &[Shape::Exponential],
        }
    }

    /// The initial kernel on standardised data: total output variance 1
    /// shared equally by the parts, all length scales 1.
    pub fn initial(self, n_features: usize) -> SumKernel {
        let shapes = self.shapes();
        let v = 1.0 / shapes.len() as f64;
        let l = vec![1.0; n_features];
        SumKernel::new(shapes.iter().map(|s| ArdKernel::new(*s, v, &l)).collect())
    }
}

/// How predictions are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// Exact GP on all training points (hyper-parameters by Adam on all of them).
    Exact,
    /// Hyper-parameters by Adam on an exact GP over a random subsample, then
    /// prediction from all training points: blocks of nearby prediction
    /// points are each conditioned exactly on a spread-out global set of
    /// training points plus the local training points around the block
    /// (see [`NearestNeighbourGp::with_global`] and
    /// [`NearestNeighbourGp::with_blocks`]).
    NearestNeighbour {
        /// Points used to fit the hyper-parameters.
        hyper_subsample: usize,
        /// Nearest neighbours of each prediction point in its conditioning set.
        neighbours: usize,
        /// Global points shared by every prediction.
        global_points: usize,
        /// Prediction points per block (1 = point by point).
        block_size: usize,
        /// Training points nearest to each block's centre in its conditioning set.
        block_conditioning: usize,
    },
}

/// Parameters of the void-filling GP (thesis sect. 4.3.2.2 defaults).
///
/// Build with [`GpVoidFill::new`] and the setters, validate with
/// [`GpVoidFill::check`] (called by [`GpVoidFill::fit`]).
#[derive(Debug, Clone, PartialEq)]
pub struct GpVoidFill {
    kernel: KernelKind,
    learning_rate: f64,
    max_epochs: usize,
    patience: usize,
    validation_fraction: f64,
    max_train: usize,
    max_validation: usize,
    min_samples: usize,
    split: SplitStrategy,
    seed: u64,
    exact_max_train: usize,
    hyper_subsample: usize,
    neighbours: usize,
    global_points: usize,
    prediction_block: usize,
    block_conditioning: usize,
    early_stopping_validation_max: usize,
    void_exact_max: usize,
    void_subset: usize,
    covariance_max_conditioning: usize,
    jitter: JitterPolicy,
    initial_noise_variance: f64,
}

impl Default for GpVoidFill {
    fn default() -> Self {
        Self::new()
    }
}

/// Smallest noise variance (standardised units) Adam may reach.
const NOISE_MIN: f64 = 1e-6;
/// Bounds of every log-space hyper-parameter.
const LOG_BOUND: f64 = 12.0;

macro_rules! setter {
    ($(#[$m:meta])* $name:ident: $t:ty) => {
        $(#[$m])*
        pub fn $name(mut self, v: $t) -> Self {
            self.$name = v;
            self
        }
    };
}

impl GpVoidFill {
    /// Thesis defaults: RBF + Matérn 3/2 kernel, Adam with learning rate
    /// 0.01, at most 1 000 epochs, early stopping after 100 epochs without a
    /// better validation RMSE, 80/20 stratified split capped at 30 000 / 3 000
    /// pixels, seed 0. Scalable path above 2 000 training points: Adam on a
    /// 600-point subsample; prediction in blocks of 64 points, each
    /// conditioned on 256 spread-out global training points plus the 512
    /// training points nearest to the block centre and the 32 nearest to each
    /// of its points.
    pub fn new() -> Self {
        Self {
            kernel: KernelKind::default(),
            learning_rate: 0.01,
            max_epochs: 1000,
            patience: 100,
            validation_fraction: 0.2,
            max_train: 30_000,
            max_validation: 3_000,
            min_samples: 30,
            split: SplitStrategy::default(),
            seed: 0,
            exact_max_train: 2_000,
            hyper_subsample: 600,
            neighbours: 32,
            global_points: 256,
            prediction_block: 64,
            block_conditioning: 512,
            early_stopping_validation_max: 1_000,
            void_exact_max: 3_000,
            void_subset: 1_000,
            covariance_max_conditioning: 3_000,
            jitter: JitterPolicy::default(),
            initial_noise_variance: 0.1,
        }
    }

    setter!(
        /// Covariance function.
        kernel: KernelKind
    );
    setter!(
        /// Adam learning rate in log-parameter space (default 0.01).
        learning_rate: f64
    );
    setter!(
        /// Maximum number of Adam epochs (default 1 000).
        max_epochs: usize
    );
    setter!(
        /// Early-stopping patience in epochs on the validation RMSE (default 100).
        patience: usize
    );
    setter!(
        /// Fraction of measured pixels used for validation (default 0.2).
        validation_fraction: f64
    );
    setter!(
        /// Cap on training pixels (default 30 000).
        max_train: usize
    );
    setter!(
        /// Cap on validation pixels (default 3 000).
        max_validation: usize
    );
    setter!(
        /// Minimum number of measured pixels to fit a model (default 30).
        min_samples: usize
    );
    setter!(
        /// Train/validation split strategy (default stratified, see [`SplitStrategy`]).
        split: SplitStrategy
    );
    setter!(
        /// Seed of every random choice (split, subsamples).
        seed: u64
    );
    setter!(
        /// Largest training set fitted exactly; above it the nearest-neighbour
        /// path is used (default 2 000).
        exact_max_train: usize
    );
    setter!(
        /// Subsample size for the hyper-parameters on the scalable path (default 600).
        hyper_subsample: usize
    );
    setter!(
        /// Nearest training points of each prediction point in its conditioning
        /// set on the scalable path (default 32).
        neighbours: usize
    );
    setter!(
        /// Global conditioning points added to every prediction on the scalable
        /// path (default 256), spread over the training inputs in the kernel
        /// metric ([`crate::nn::spread_subset`]); see
        /// [`NearestNeighbourGp::with_global`].
        global_points: usize
    );
    setter!(
        /// Prediction points per block on the scalable path (default 64; 1 =
        /// point by point), see [`NearestNeighbourGp::with_blocks`].
        prediction_block: usize
    );
    setter!(
        /// Training points nearest to each block's centre conditioning the
        /// block on the scalable path (default 512).
        block_conditioning: usize
    );
    setter!(
        /// Validation points evaluated per epoch for early stopping (default 1 000;
        /// the reported metrics always use the whole validation set).
        early_stopping_validation_max: usize
    );
    setter!(
        /// Largest void for which eq. 4.13 is summed over all pixel pairs
        /// (default 3 000); larger voids use a random subset.
        void_exact_max: usize
    );
    setter!(
        /// Size K of the random pixel subset for large voids (default 1 000).
        void_subset: usize
    );
    setter!(
        /// Largest conditioning set for the void covariance on the scalable path
        /// (default 3 000).
        covariance_max_conditioning: usize
    );
    setter!(
        /// Jitter escalation of the Cholesky factorisations.
        jitter: JitterPolicy
    );
    setter!(
        /// Initial noise variance in standardised units (default 0.1).
        initial_noise_variance: f64
    );

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`GpError::InvalidParameter`] naming the first invalid parameter.
    pub fn check(&self) -> Result<()> {
        let bad =
            |name: &'static str, reason: String| Err(GpError::InvalidParameter { name, reason });
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(
                "learning_rate",
                format!("must be > 0, got {}", self.learning_rate),
            );
        }
        if self.max_epochs == 0 {
            return bad("max_epochs", "must be >= 1".into());
        }
        if self.patience == 0 {
            return bad("patience", "must be >= 1".into());
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return bad(
                "validation_fraction",
                format!("must lie in (0, 1), got {}", self.validation_fraction),
            );
        }
        if self.max_train < 2 || self.max_validation < 1 {
            return bad(
                "max_train",
                "caps must be >= 2 (train) and >= 1 (validation)".into(),
            );
        }
        if self.min_samples < 5 {
            return bad(
                "min_samples",
                format!("must be >= 5, got {}", self.min_samples),
            );
        }
        if self.exact_max_train < 2 || self.hyper_subsample < 2 || self.neighbours < 1 {
            return bad(
                "exact_max_train",
                "exact_max_train and hyper_subsample must be >= 2, neighbours >= 1".into(),
            );
        }
        if self.prediction_block < 1 {
            return bad("prediction_block", "must be >= 1".into());
        }
        if self.early_stopping_validation_max < 1 {
            return bad("early_stopping_validation_max", "must be >= 1".into());
        }
        if self.void_subset < 2 || self.covariance_max_conditioning < 2 {
            return bad(
                "void_subset",
                "void_subset and covariance_max_conditioning must be >= 2".into(),
            );
        }
        if !(self.jitter.initial > 0.0 && self.jitter.max >= self.jitter.initial) {
            return bad(
                "jitter",
                format!("need 0 < initial <= max, got {:?}", self.jitter),
            );
        }
        if !(self.initial_noise_variance.is_finite() && self.initial_noise_variance > 0.0) {
            return bad("initial_noise_variance", "must be > 0".into());
        }
        Ok(())
    }

    fn validate_inputs(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<()> {
        if x.nrows() != y.len() {
            return Err(GpError::Shape(format!(
                "{} feature rows but {} targets",
                x.nrows(),
                y.len()
            )));
        }
        if x.ncols() == 0 {
            return Err(GpError::Shape("no feature columns".into()));
        }
        crate::exact::ensure_finite(x, y)?;
        Ok(())
    }

    /// Splits the measured samples (80/20, stratified, capped; see
    /// [`SplitStrategy`]) and fits the model.
    ///
    /// `features` holds one row per measured pixel (e.g. the
    /// [`crate::data::FEATURE_NAMES`] layout), `target` its dh/dt (m/yr).
    ///
    /// # Errors
    /// Invalid parameters; shape mismatch; NaN features or targets
    /// ([`GpError::NonFinite`]); fewer than `min_samples` samples
    /// ([`GpError::TooFewSamples`]); a constant target
    /// ([`GpError::ConstantTarget`]); a failed Cholesky factorisation.
    pub fn fit(
        &self,
        features: ArrayView2<'_, f64>,
        target: ArrayView1<'_, f64>,
    ) -> Result<FittedGp> {
        self.check()?;
        self.validate_inputs(features, target)?;
        check_target(target, self.min_samples)?;
        if let SplitStrategy::Stratified {
            x_col,
            y_col,
            elevation_col,
            ..
        } = self.split
        {
            if x_col.max(y_col).max(elevation_col) >= features.ncols() {
                return Err(GpError::InvalidParameter {
                    name: "split",
                    reason: format!(
                        "stratification columns ({x_col}, {y_col}, {elevation_col}) outside the {} feature columns; use SplitStrategy::Random",
                        features.ncols()
                    ),
                });
            }
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let s = data::split(
            features,
            self.split,
            self.validation_fraction,
            self.max_train,
            self.max_validation,
            &mut rng,
        );
        let xt = data::select_rows(features, &s.train);
        let yt = target.select(Axis(0), &s.train);
        let xv = data::select_rows(features, &s.validation);
        let yv = target.select(Axis(0), &s.validation);
        let mut fitted = self.fit_with_validation(xt.view(), yt.view(), xv.view(), yv.view())?;
        fitted.report.n_measured = features.nrows();
        Ok(fitted)
    }

    /// Fits on a given training set, using the validation set for early
    /// stopping and the reported metrics (no split, no caps).
    ///
    /// # Errors
    /// As [`GpVoidFill::fit`].
    pub fn fit_with_validation(
        &self,
        train_x: ArrayView2<'_, f64>,
        train_y: ArrayView1<'_, f64>,
        val_x: ArrayView2<'_, f64>,
        val_y: ArrayView1<'_, f64>,
    ) -> Result<FittedGp> {
        self.check()?;
        self.validate_inputs(train_x, train_y)?;
        self.validate_inputs(val_x, val_y)?;
        if val_x.ncols() != train_x.ncols() && val_x.nrows() > 0 {
            return Err(GpError::Shape(
                "validation and training features differ in columns".into(),
            ));
        }
        let ty = check_target(train_y, self.min_samples.min(train_y.len().max(2)))?;
        let fs = Standardizer::fit(train_x);
        let ts = TargetScaler {
            mean: ty.0,
            std: ty.1,
        };
        let zt = fs.transform(train_x);
        let yt = ts.transform(train_y);
        let zv = fs.transform(val_x);
        let yv = ts.transform(val_y);
        let n = zt.nrows();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed.wrapping_add(0x9e37_79b9));
        // early-stopping validation subset
        let es_idx: Vec<usize> = if zv.nrows() > self.early_stopping_validation_max {
            let mut v = sample(&mut rng, zv.nrows(), self.early_stopping_validation_max).into_vec();
            v.sort_unstable();
            v
        } else {
            (0..zv.nrows()).collect()
        };
        let zes = zv.select(Axis(0), &es_idx);
        let yes = yv.select(Axis(0), &es_idx);
        let scalable = n > self.exact_max_train;
        let hp_idx: Vec<usize> = if scalable && n > self.hyper_subsample {
            let mut v = sample(&mut rng, n, self.hyper_subsample).into_vec();
            v.sort_unstable();
            v
        } else {
            (0..n).collect()
        };
        let zh = zt.select(Axis(0), &hp_idx);
        let yh = yt.select(Axis(0), &hp_idx);
        let kernel0 = self.kernel.initial(zt.ncols());
        let tr = self.train(kernel0, zh.view(), yh.view(), zes.view(), yes.view())?;
        let (predictor, method) = if scalable {
            let global =
                crate::nn::spread_subset(&tr.kernel, zt.view(), self.global_points, &mut rng);
            let nn = NearestNeighbourGp::with_global(
                tr.kernel.clone(),
                tr.noise,
                zt.view(),
                yt.view(),
                self.neighbours,
                &global,
            )
            .with_blocks(self.prediction_block, self.block_conditioning);
            let method = Method::NearestNeighbour {
                hyper_subsample: hp_idx.len(),
                neighbours: self.neighbours,
                global_points: nn.n_global(),
                block_size: self.prediction_block,
                block_conditioning: self.block_conditioning,
            };
            (Predictor::NearestNeighbour(Box::new(nn)), method)
        } else {
            let gp = ExactGp::fit(
                tr.kernel.clone(),
                tr.noise,
                zt.view(),
                yt.view(),
                self.jitter,
            )?;
            (Predictor::Exact(Box::new(gp)), Method::Exact)
        };
        let max_jitter = match &predictor {
            Predictor::Exact(gp) => tr.max_jitter.max(gp.jitter()),
            Predictor::NearestNeighbour(_) => tr.max_jitter,
        };
        let mut fitted = FittedGp {
            features: fs,
            target: ts,
            predictor,
            params: self.clone(),
            report: FitReport {
                method,
                n_measured: train_x.nrows() + val_x.nrows(),
                n_train: n,
                n_validation: val_x.nrows(),
                n_hyper: hp_idx.len(),
                epochs_run: tr.epochs_run,
                best_epoch: tr.best_epoch,
                stopped_early: tr.stopped_early,
                cholesky_failed: tr.cholesky_failed,
                validation: Metrics {
                    rmse: f64::NAN,
                    mae: f64::NAN,
                    r2: f64::NAN,
                    n: 0,
                },
                hyperparameters: Hyperparameters {
                    components: Vec::new(),
                    noise_std: f64::NAN,
                },
                hyperparameters_standardised: tr.log_params.clone(),
                max_jitter,
                nlml: tr.nlml,
            },
        };
        fitted.report.hyperparameters = fitted.physical_hyperparameters();
        if val_x.nrows() > 0 {
            let p = fitted.predict(val_x)?;
            fitted.report.validation = Metrics::of(p.mean.view(), val_y);
        }
        Ok(fitted)
    }

    /// Adam on the exact negative log marginal likelihood (per sample), with
    /// early stopping on the validation RMSE (or on the NLML when there is no
    /// validation set).
    fn train(
        &self,
        kernel0: SumKernel,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        xv: ArrayView2<'_, f64>,
        yv: ArrayView1<'_, f64>,
    ) -> Result<TrainOutcome> {
        let mut kernel = kernel0;
        let nk = kernel.n_params();
        let mut theta = kernel.log_params();
        theta.push(self.initial_noise_variance.ln());
        let np = theta.len();
        let (b1, b2, eps) = (0.9_f64, 0.999_f64, 1e-8_f64);
        let mut m = vec![0.0; np];
        let mut v = vec![0.0; np];
        let mut best = (f64::INFINITY, theta.clone(), 0usize, f64::NAN);
        let mut since = 0;
        let mut epochs_run = 0;
        let mut max_jitter: f64 = 0.0;
        let mut cholesky_failed = false;
        let mut stopped_early = false;
        let n = y.len() as f64;
        for epoch in 0..self.max_epochs {
            kernel.set_log_params(&theta[..nk]);
            let noise = theta[nk].exp();
            let gp = match ExactGp::fit(kernel.clone(), noise, x, y, self.jitter) {
                Ok(gp) => gp,
                Err(e @ GpError::NotPositiveDefinite { .. }) => {
                    if epoch == 0 {
                        return Err(e);
                    }
                    cholesky_failed = true;
                    break;
                }
                Err(e) => return Err(e),
            };
            epochs_run = epoch + 1;
            max_jitter = max_jitter.max(gp.jitter());
            let nlml = gp.nlml();
            let score = if yv.is_empty() {
                nlml
            } else {
                let p = gp.predict_mean(xv);
                (p.iter()
                    .zip(yv)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    / yv.len() as f64)
                    .sqrt()
            };
            if score < best.0 {
                best = (score, theta.clone(), epoch, nlml);
                since = 0;
            } else {
                since += 1;
                if since >= self.patience {
                    stopped_early = true;
                    break;
                }
            }
            if epoch + 1 == self.max_epochs {
                break;
            }
            let g = gp.nlml_gradient();
            let t = (epoch + 1) as i32;
            for i in 0..np {
                let gi = g[i] / n;
                m[i] = b1 * m[i] + (1.0 - b1) * gi;
                v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
                let mh = m[i] / (1.0 - b1.powi(t));
                let vh = v[i] / (1.0 - b2.powi(t));
                theta[i] -= self.learning_rate * mh / (vh.sqrt() + eps);
                theta[i] = theta[i].clamp(-LOG_BOUND, LOG_BOUND);
            }
            theta[nk] = theta[nk].max(NOISE_MIN.ln());
        }
        let theta = best.1;
        kernel.set_log_params(&theta[..nk]);
        Ok(TrainOutcome {
            noise: theta[nk].exp(),
            kernel,
            log_params: theta,
            epochs_run,
            best_epoch: best.2,
            stopped_early,
            cholesky_failed,
            max_jitter,
            nlml: best.3,
        })
    }
}

/// Mean and standard deviation of the target, with the sample checks.
fn check_target(y: ArrayView1<'_, f64>, min_samples: usize) -> Result<(f64, f64)> {
    if y.len() < min_samples {
        return Err(GpError::TooFewSamples {
            found: y.len(),
            required: min_samples,
        });
    }
    let n = y.len() as f64;
    let mean = y.sum() / n;
    let std = (y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
    if std.is_nan() || std <= 1e-12 * mean.abs().max(1.0) {
        return Err(GpError::ConstantTarget { value: mean });
    }
    Ok((mean, std))
}

struct TrainOutcome {
    kernel: SumKernel,
    noise: f64,
    log_params: Vec<f64>,
    epochs_run: usize,
    best_epoch: usize,
    stopped_early: bool,
    cholesky_failed: bool,
    max_jitter: f64,
    nlml: f64,
}

/// One kernel part's hyper-parameters in physical units.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentHyperparameters {
    /// Radial profile.
    pub shape: Shape,
    /// Output standard deviation $\sigma$ (target units, m/yr for dh/dt).
    pub output_std: f64,
    /// Length scales in the units of each feature column (m for elevation
    /// and x/y, degrees for slope, unitless for the aspect sine/cosine).
    pub length_scales: Vec<f64>,
}

/// Final hyper-parameters in physical units.
#[derive(Debug, Clone, PartialEq)]
pub struct Hyperparameters {
    /// One entry per kernel part.
    pub components: Vec<ComponentHyperparameters>,
    /// Noise standard deviation (target units).
    pub noise_std: f64,
}

/// What the fit did and how good it is (sect. 4.4.3).
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    /// Exact or nearest-neighbour prediction.
    pub method: Method,
    /// Measured samples given to [`GpVoidFill::fit`].
    pub n_measured: usize,
    /// Training samples.
    pub n_train: usize,
    /// Validation samples.
    pub n_validation: usize,
    /// Samples in the exact GP whose likelihood Adam maximised.
    pub n_hyper: usize,
    /// Adam epochs run.
    pub epochs_run: usize,
    /// Epoch (0-based) with the best validation RMSE, whose parameters were kept.
    pub best_epoch: usize,
    /// Whether early stopping ended the training.
    pub stopped_early: bool,
    /// Whether a Cholesky factorisation failed (even with jitter) during
    /// training; training then stopped and kept the best parameters.
    pub cholesky_failed: bool,
    /// Validation RMSE, MAE and R² in target units (whole validation set).
    pub validation: Metrics,
    /// Final hyper-parameters in physical units.
    pub hyperparameters: Hyperparameters,
    /// Final hyper-parameters in standardised log space (kernel, then noise).
    pub hyperparameters_standardised: Vec<f64>,
    /// Largest jitter added to a kernel diagonal (standardised units; 0 = none).
    pub max_jitter: f64,
    /// NLML of the kept parameters on the hyper-parameter set (standardised).
    pub nlml: f64,
}

#[derive(Debug, Clone)]
enum Predictor {
    Exact(Box<ExactGp<SumKernel>>),
    NearestNeighbour(Box<NearestNeighbourGp<SumKernel>>),
}

/// The mean of a void region and its standard error (eq. 4.13).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoidMean {
    /// Mean predicted value over the void pixels (target units).
    pub mean: f64,
    /// Standard error of that mean from the predictive covariance (target units).
    pub std_error: f64,
    /// Number of void pixels.
    pub n_pixels: usize,
    /// Pixels whose pairwise covariances were summed (all, or the random subset K).
    pub n_evaluated: usize,
    /// Whether all pixel pairs were summed.
    pub exact: bool,
}

/// A fitted void-filling GP.
#[derive(Debug, Clone)]
pub struct FittedGp {
    features: Standardizer,
    target: TargetScaler,
    predictor: Predictor,
    params: GpVoidFill,
    report: FitReport,
}

impl FittedGp {
    /// The fit report.
    pub fn report(&self) -> &FitReport {
        &self.report
    }

    /// Feature standardisation.
    pub fn feature_scaler(&self) -> &Standardizer {
        &self.features
    }

    /// Target standardisation.
    pub fn target_scaler(&self) -> TargetScaler {
        self.target
    }

    /// The fitted kernel (standardised units).
    pub fn kernel(&self) -> &SumKernel {
        match &self.predictor {
            Predictor::Exact(gp) => gp.kernel(),
            Predictor::NearestNeighbour(gp) => gp.kernel(),
        }
    }

    fn physical_hyperparameters(&self) -> Hyperparameters {
        let ts = self.target.std;
        let components = self
            .kernel()
            .parts()
            .iter()
            .map(|p| ComponentHyperparameters {
                shape: p.shape(),
                output_std: p.variance().sqrt() * ts,
                length_scales: p
                    .lengths()
                    .iter()
                    .zip(&self.features.std)
                    .map(|(l, s)| l * s)
                    .collect(),
            })
            .collect();
        let noise = *self
            .report
            .hyperparameters_standardised
            .last()
            .unwrap_or(&f64::NAN);
        Hyperparameters {
            components,
            noise_std: (noise.exp()).sqrt() * ts,
        }
    }

    fn standardise(&self, features: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if features.ncols() != self.features.mean.len() {
            return Err(GpError::Shape(format!(
                "{} feature columns, the model was fitted with {}",
                features.ncols(),
                self.features.mean.len()
            )));
        }
        if let Some(i) = features
            .axis_iter(Axis(0))
            .position(|r| r.iter().any(|v| !v.is_finite()))
        {
            return Err(GpError::NonFinite {
                what: "feature",
                index: i,
            });
        }
        Ok(self.features.transform(features))
    }

    fn predict_std(&self, z: ArrayView2<'_, f64>) -> Prediction {
        match &self.predictor {
            Predictor::Exact(gp) => gp.predict(z),
            Predictor::NearestNeighbour(gp) => gp.predict(z),
        }
    }

    /// Predictive mean and latent standard deviation in target units.
    ///
    /// # Errors
    /// Wrong number of columns or NaN features.
    pub fn predict(&self, features: ArrayView2<'_, f64>) -> Result<Prediction> {
        let z = self.standardise(features)?;
        let p = self.predict_std(z.view());
        Ok(Prediction {
            mean: self.target.inverse(p.mean.view()),
            std: p.std.mapv(|s| s * self.target.std),
        })
    }

    /// Mean of the void pixels `features` and its standard error from the
    /// predictive covariance, eq. 4.13:
    /// $\sigma^2_{\mathcal V} = N^{-2}\sum_i\sum_j \Sigma_{ij}$.
    ///
    /// Up to `void_exact_max` pixels every pair is summed (in $O(N^2)$ kernel
    /// evaluations, without forming $\Sigma$). Larger voids use a seeded random
    /// subset $S$ of $K$ = `void_subset` pixels and, like eq. 4.12, the
    /// complete rows of those pixels:
    /// $\sigma^2_{\mathcal V} \approx (N K)^{-1}\sum_{k\in S}\sum_{i=1}^{N}\Sigma_{ki}$,
    /// an unbiased estimate under uniform sampling (stationarity assumption of
    /// sect. 4.3.3.3). On the scalable path the covariance comes from an exact
    /// GP on the union of the training neighbours of the evaluated pixels
    /// (at most `covariance_max_conditioning` points).
    ///
    /// # Errors
    /// As [`FittedGp::predict`]; [`GpError::TooFewSamples`] for an empty void.
    pub fn void_mean(&self, features: ArrayView2<'_, f64>) -> Result<VoidMean> {
        self.void_mean_with(
            features,
            self.params.void_exact_max,
            self.params.void_subset,
        )
    }

    /// [`FittedGp::void_mean`] with an explicit exact-sum limit and subset size K.
    ///
    /// # Errors
    /// As [`FittedGp::void_mean`]; [`GpError::InvalidParameter`] for `subset < 2`.
    pub fn void_mean_with(
        &self,
        features: ArrayView2<'_, f64>,
        exact_max: usize,
        subset: usize,
    ) -> Result<VoidMean> {
        if subset < 2 {
            return Err(GpError::InvalidParameter {
                name: "void_subset",
                reason: "must be >= 2".into(),
            });
        }
        let nv = features.nrows();
        if nv == 0 {
            return Err(GpError::TooFewSamples {
                found: 0,
                required: 1,
            });
        }
        let z = self.standardise(features)?;
        let p = self.predict_std(z.view());
        let mean = self.target.inverse(p.mean.view()).sum() / nv as f64;
        let exact = nv <= exact_max || subset >= nv;
        let subset: Vec<usize> = if exact {
            (0..nv).collect()
        } else {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.params.seed.wrapping_add(0x5eed));
            let mut v = sample(&mut rng, nv, subset).into_vec();
            v.sort_unstable();
            v
        };
        let nf = nv as f64;
        let var_std = match &self.predictor {
            Predictor::Exact(gp) => {
                if exact {
                    gp.predictive_covariance_sum(z.view()) / (nf * nf)
                } else {
                    let r = gp.predictive_covariance_row_sums(z.view(), &subset);
                    r.iter().sum::<f64>() / (nf * subset.len() as f64)
                }
            }
            Predictor::NearestNeighbour(nn) => {
                let zs = z.select(Axis(0), &subset);
                let (xc, yc) = self.conditioning_set(nn, zs.view());
                let gp = ExactGp::fit(
                    nn.kernel().clone(),
                    self.noise_variance_std(),
                    xc.view(),
                    yc.view(),
                    self.params.jitter,
                )?;
                if exact {
                    gp.predictive_covariance_sum(z.view()) / (nf * nf)
                } else {
                    let r = gp.predictive_covariance_row_sums(z.view(), &subset);
                    r.iter().sum::<f64>() / (nf * subset.len() as f64)
                }
            }
        };
        Ok(VoidMean {
            mean,
            std_error: var_std.max(0.0).sqrt() * self.target.std,
            n_pixels: nv,
            n_evaluated: subset.len(),
            exact,
        })
    }

    fn noise_variance_std(&self) -> f64 {
        self.report
            .hyperparameters_standardised
            .last()
            .map_or(NOISE_MIN, |v| v.exp())
    }

    /// Training points (standardised) conditioning the void covariance on
    /// the scalable path: union of the nearest neighbours of each evaluated
    /// pixel, shrinking the per-pixel count until the union fits the cap.
    fn conditioning_set(
        &self,
        nn: &NearestNeighbourGp<SumKernel>,
        zs: ArrayView2<'_, f64>,
    ) -> (Array2<f64>, Array1<f64>) {
        let cap = self.params.covariance_max_conditioning;
        let mut k = self.params.neighbours;
        loop {
            let mut set = std::collections::BTreeSet::new();
            for r in zs.axis_iter(Axis(0)) {
                let q = r.to_vec();
                set.extend(nn.neighbours_of(&q, k));
            }
            if set.len() <= cap || k <= 1 {
                let idx: Vec<usize> = set.into_iter().take(cap).collect();
                let (x, y) = nn.training_data();
                return (x.select(Axis(0), &idx), y.select(Axis(0), &idx));
            }
            k /= 2;
        }
    }
}
