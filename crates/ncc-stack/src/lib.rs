//! # ncc-stack
//!
//! Glacier surface velocity from SAR intensity time series by
//! normalised cross-correlation (NCC) **stacking** (thesis ch. 2; Li, Leinss
//! & Hajnsek 2021).
//!
//! ## Method
//!
//! Offset tracking cuts the primary image into templates on a regular grid
//! ([`TrackParams::step_px`]) and finds, for each, the lag at which the
//! secondary image matches best. The match is the zero-normalised
//! cross-correlation of eq. 1.10,
//!
//! `NCC(x, y) = Σ (I₁ − Ī₁)(I₂(·+x, ·+y) − Ī₂) / sqrt(Σ (I₁ − Ī₁)² · Σ (I₂ − Ī₂)²)`,
//!
//! computed exactly at every lag of the search window ([`NccContext`]):
//! the numerator by FFT (RustFFT plans made once, per-thread scratch, two
//! real images packed into one complex FFT, two correlation surfaces packed
//! into one inverse FFT) and the per-lag window statistics by running box
//! sums (the separable form of a summed-area table) — the same quantity as
//! OpenCV's `TM_CCOEFF_NORMED` and scikit-image's `match_template`. The
//! energy-normalised circular form of eq. 2.1 is offered too
//! ([`NccForm::Circular`], [`CircularNcc`]).
//!
//! **Stacking** (eq. 2.4) averages the pair-wise NCC surfaces of all pairs
//! with the same interval T — N − a pairs per series of N images with pair
//! interval a, summed over M series ([`form_pairs`]) — before the peak is
//! searched; the ambient noise averages out while the displacement peak
//! stays. Each image is loaded and transformed **once** per template and
//! reused by every pair it belongs to: images take the template and the
//! search-window role alternately along the chain of pairs, and a pair whose
//! primary image got the window role is correlated the other way round and
//! its surface point-reflected ([`PairRoles`]). Two neighbouring templates
//! are processed together, so that their transforms and surfaces fill the
//! packed FFTs. A stack of K pairs then costs far less than K single pairs
//! (the `bench_grid` example and `benches/benches/ncc.rs` measure it).
//!
//! The peak is located with sub-pixel precision (sect. 2.2.2) by the
//! 3-point parabola (the default) or by fitting the rotated 2-D Gaussian of
//! eq. 2.5 to the window Ω around the peak up-sampled ×10 (non-linear least
//! squares on eq. 2.6 by a Levenberg–Marquardt solver run through argmin's
//! executor) ([`SubpixelMethod`]). The parabola has the smaller
//! stable-ground scatter on real pairs, the fit the smaller pixel locking
//! on sub-pixel motion (both measured in [`PeakParams`]). On real images Ω
//! must be the 3×3 main lobe, not the 11×11 window of sect. 2.3.2; a fit
//! that fails or leaves one lag around the integer peak falls back to the
//! 3-point estimate and is flagged. Its
//! quality is the SNR of eq. 2.3 ([`PeakParams::snr_exclusion_radius_px`]).
//! Offsets D become velocities v = D / T (eq. 2.7) in map directions
//! ([`VelocityField`] documents the sign convention).
//!
//! Pre-processing follows sect. 2.3.2 ([`preprocess`]): optional dual-pol
//! average, dB, Gaussian high-pass 51×51 σ = 17 px (NaN-aware), and, as an
//! option, ×2 oversampling ([`TrackParams::oversample`]). Evaluation
//! follows sect. 2.2.3 ([`eval`]): thresholds (SNR ≥ 10 dB, |v| ≤ 1 m/d),
//! coverage (eq. 2.8), residual ratio (eq. 2.9), SNR gain (eq. 2.10) and
//! the stack-size study of Fig. 2.7/2.8. [`synth`] makes seeded synthetic
//! speckle scenes with a known displacement field — the ground truth of the
//! tests.
//!
//! The search radius is set apart from the filters ([`SearchRadius`]), and
//! may be centred per template on a prior displacement
//! ([`track_with_prior`], [`PriorOffsets`], as autoRIFT does); peaks on the
//! search-window edge are counted and flagged separately
//! ([`TrackSummary::at_search_edge`]). [`series`] inverts the offsets of
//! many pairs into a velocity time series (2-step least squares per
//! connected component of the pair graph, seed 002).
//!
//! ## Example
//!
//! ```
//! use ncc_stack::preprocess::{preprocess, PreprocessParams};
//! use ncc_stack::synth::{generate, DisplacementField, SceneParams};
//! use ncc_stack::{form_pairs, track, Date, PeakParams, SearchRadius, SubpixelMethod, TrackParams};
//! use rand::SeedableRng;
//! use sar_core::{Crs, Grid};
//!
//! // three images, 11 days apart, the scene moving 1.25 px east per interval
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
//! let scene = SceneParams::new(128, 128, 3)
//!     .coherence(0.9)
//!     .bandwidth(0.5)
//!     .displacement(DisplacementField::Uniform { dx_px: 1.25, dy_px: 0.0 });
//! let s = generate(&scene, &mut rng)?;
//! let images: Vec<_> = s
//!     .intensity
//!     .iter()
//!     .map(|i| preprocess(i.view(), &PreprocessParams::new()))
//!     .collect::<Result<_, _>>()?;
//! let views: Vec<_> = images.iter().map(|a| a.view()).collect();
//! let dates: Vec<Date> = ["2017-01-10", "2017-01-21", "2017-02-01"]
//!     .iter()
//!     .map(|d| d.parse())
//!     .collect::<Result<_, _>>()?;
//! let pairs = form_pairs(&[dates], 1, 0.5)?; // 2 pairs, T = 11 days
//! let grid = Grid::north_up(128, 128, 600_000.0, 5_100_000.0, 2.0, 2.0, Crs::epsg(32632));
//! // band-limited speckle has a broad peak: the eq. 2.5 fit on the 11×11
//! // lags of sect. 2.3.2, not the parabola (the default, which locks
//! // towards whole pixels on such peaks)
//! let fit = PeakParams::new().method(SubpixelMethod::GaussianFit).fit_window(11);
//! let params = TrackParams::new()
//!     .template_px(48)
//!     .step_px(32)
//!     .search(SearchRadius::Pixels(6))
//!     .peak(fit);
//! let field = track(&views, &grid, &pairs, &params, None)?;
//! // 1.25 px × 2 m / 11 days east
//! let v = field.velocity_east_m_per_day.data[[2, 2]];
//! approx::assert_abs_diff_eq!(v, 1.25 * 2.0 / 11.0, epsilon = 0.01);
//! assert_eq!(field.pair_count.data[[2, 2]], 2);
//! # Ok::<(), ncc_stack::NccError>(())
//! ```
//!
//! ## References
//!
//! * Li, S., Leinss, S. & Hajnsek, I. Cross-Correlation Stacking for Robust
//!   Offset Tracking Using SAR Image Time-Series. IEEE JSTARS 14, 4765 (2021)
//!   — thesis chapter 2.
//! * Lewis, J. P. Fast Normalized Cross-Correlation. Vision Interface (1995)
//!   — FFT numerator with running-sum (summed-area table) normalisation.
//! * Lange, Luckman & Murray (2007) — high-pass filtering before correlation.
#![doc(test(attr(deny(warnings))))]
// `!(x > 0.0)` is used on purpose: it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod error;
pub mod eval;
mod fft2;
pub mod pairs;
pub mod peak;
pub mod preprocess;
pub mod series;
pub mod synth;
pub mod tiles;
pub mod track;
pub mod zncc;

pub use error::{NccError, Result};
pub use eval::{
    apply_filter, coverage, filter_mask, residual_ratio, snr_gain, stack_size_study, FilterParams,
    StackSizeRow, StudyParams,
};
pub use pairs::{check_pairs, form_pairs, Pair, PairSet};
pub use peak::{estimate_peak, FitInit, PeakEstimate, PeakParams, SubpixelMethod};
/// Acquisition dates (re-exported from sar-core).
pub use sar_core::Date;
pub use track::{
    track, track_with_prior, NccForm, PairRoles, PriorOffsets, Progress, SearchRadius,
    TemplateStatus, TrackParams, TrackSummary, VelocityField,
};
pub use zncc::{CircularNcc, NccContext, NccScratch};
