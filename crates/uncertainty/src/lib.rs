//! # uncertainty
//!
//! Non-stationary, spatially correlated error analysis of elevation-change
//! maps, following thesis sect. 4.3.3 (eqs. 4.7–4.22) and Hugonnet et al.
//! (2022), with xdem 0.2.3 (on scikit-gstat 1.0) as the reference
//! implementation of that paper.
//!
//! Over stable (ice-free) terrain the true elevation change is zero, so the
//! measured dh or dh/dt is a sample of its own error. The analysis has four
//! steps:
//!
//! 1. **Stable-terrain statistics** ([`stable_statistics`],
//!    [`binned_statistics`]): median (bias) and NMAD (dispersion), also per
//!    bin of explanatory variables such as slope.
//! 2. **Heteroscedasticity** ([`HeteroscedasticityModel`]): the dispersion
//!    as a function of slope, either the thesis's σ(α) = a·e^{bα} + c
//!    (eq. 4.17) or xdem's interpolated binned NMAD; the per-pixel σ and the
//!    standardised error z = dh/σ (eq. 4.9, [`standardize`]).
//! 3. **Spatial correlation** ([`sample_empirical_variogram`],
//!    [`fit_variogram`]): the Dowd (eq. 4.10) or Matheron empirical
//!    variogram of z from random pairs in distance rings, and a fitted sum
//!    of Gaussian/Spherical/Exponential models ([`VariogramModel`]) with
//!    scikit-gstat's effective ranges.
//! 4. **Propagation** ([`propagate_mean_error`]): the error of the mean over
//!    an area by the double sum of eq. 4.11 or its random-K approximation
//!    (eq. 4.12), the number of effective samples; on a pixel grid the exact
//!    double sum also by FFT autocorrelation ([`propagate_mean_error_grid`],
//!    O(M log M), so large glaciers need no subset); and the glacier-wide and
//!    regional budgets ([`glacier_mass_balance`], [`combine_measured_void`],
//!    [`regional_budget`]; eqs. 4.7, 4.8, 4.14–4.22).
//!
//! [`FieldGenerator`] draws Gaussian random fields with a given sum-of-models
//! covariance (circulant embedding), for tests and simulations.
//!
//! ## Example
//!
//! ```
//! use ndarray::Array2;
//! use rand::SeedableRng;
//! use rand_xoshiro::Xoshiro256PlusPlus;
//! use uncertainty::*;
//!
//! // A standardised error field with a known 300 m Gaussian + 1500 m
//! // Spherical covariance on a 30 m grid.
//! let truth = VariogramModel::new(vec![
//!     VariogramComponent::new(ModelKind::Gaussian, 300.0, 0.7),
//!     VariogramComponent::new(ModelKind::Spherical, 1500.0, 0.3),
//! ])?;
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
//! let z = FieldGenerator::new(200, 200, (30.0, 30.0), &truth)?.sample(&mut rng);
//!
//! // Empirical variogram (Dowd) and a Gaussian + Spherical fit.
//! let emp = sample_empirical_variogram(
//!     z.view(), (30.0, 30.0), None, &VariogramParams::default().pairs_per_bin(2000))?;
//! let fit = fit_variogram(&emp, &VariogramFitParams::default())?;
//! assert!(fit.model.total_sill() > 0.3 && fit.model.total_sill() < 3.0);
//!
//! // Error of the mean of z over a 20 × 20-pixel "glacier".
//! let mask = Array2::from_shape_fn((200, 200), |(r, c)| r < 20 && c < 20);
//! let coords = pixel_coordinates(mask.view(), (30.0, 30.0));
//! let sigma = vec![1.0; coords.len()];
//! let m = propagate_mean_error(&coords, &sigma, &truth, Propagation::Exact, &mut rng)?;
//! assert!(m.n_eff > 1.0 && m.n_eff < 400.0);
//!
//! // Glacier-wide mass balance, ρ = 850 ± 60 kg m⁻³ (eq. 4.7).
//! let mb = glacier_mass_balance(-0.5, m.standard_error * 0.2, Density::default())?;
//! approx::assert_relative_eq!(mb.b_mwe_yr, -0.425, epsilon = 1e-12);
//! # Ok::<(), UncertaintyError>(())
//! ```
//!
//! ## References
//! * Hugonnet, R., Brun, F., Berthier, E., et al. (2022). Uncertainty
//!   analysis of digital elevation models by spatial inference from stable
//!   terrain. IEEE JSTARS 15, 6456–6472. doi:10.1109/JSTARS.2022.3188922.
//! * Dowd, P. A. (1984). The variogram and kriging: robust and resistant
//!   estimators. In Geostatistics for Natural Resources Characterization.
//! * Rolstad, C., Haug, T., Denby, B. (2009). Spatially integrated geodetic
//!   glacier mass balance and its uncertainty based on geostatistical
//!   analysis. J. Glaciol. 55, 666–680.
//! * Huss, M. (2013). Density assumptions for converting geodetic glacier
//!   volume change to mass change. The Cryosphere 7, 877–887.
//! * Dietrich, C. R., Newsam, G. N. (1997). Fast and exact simulation of
//!   stationary Gaussian processes through circulant embedding of the
//!   covariance matrix. SIAM J. Sci. Comput. 18, 1088–1107.
#![doc(test(attr(deny(warnings))))]

pub mod error;
pub mod field;
pub mod fit;
pub mod hetero;
pub mod model;
pub mod propagate;
pub mod regional;
pub mod stable;
pub mod variogram;

pub use error::{Result, UncertaintyError};
pub use field::FieldGenerator;
pub use fit::{fit_variogram, FitLag, FitWeighting, VariogramFit, VariogramFitParams};
pub use hetero::{
    standardize, two_step_factor, BinWeighting, BinnedInterpolant, ExponentialDispersion,
    ExponentialFitParams, HeteroscedasticityModel,
};
pub use model::{ModelKind, VariogramComponent, VariogramModel};
pub use propagate::{
    covariance_of_means, neff_exact, neff_hugonnet_approx, number_effective_samples,
    pixel_coordinates, propagate_mean_error, propagate_mean_error_grid, MeanError, Propagation,
};
pub use regional::{
    combine_measured_void, glacier_mass_balance, regional_budget, Density, Glacier,
    InterGlacierCovariance, MassBalance, RegionalBudget, WATER_DENSITY_KG_M3,
};
pub use stable::{binned_statistics, stable_statistics, BinnedStatistics, Bins, StableStatistics};
pub use variogram::{
    sample_empirical_variogram, xdem_bin_edges, EmpiricalVariogram, Estimator, LagBins,
    VariogramParams,
};
