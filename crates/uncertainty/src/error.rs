//! The error type of the uncertainty crate.

/// Everything that can go wrong in the uncertainty analysis.
///
/// Every function whose outcome depends on the data returns this error
/// rather than panicking or silently returning NaN.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UncertaintyError {
    /// An error from sar-core (shapes, grids, I/O).
    #[error(transparent)]
    Core(#[from] sar_core::SarError),
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid and what is accepted.
        reason: String,
    },
    /// Two inputs that must have the same length or shape do not.
    #[error("length mismatch: {what} has {found} elements but {expected} were expected")]
    LengthMismatch {
        /// What was compared.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Found length.
        found: usize,
    },
    /// No valid (finite, stable) sample is left where at least one is needed.
    #[error("no valid samples: {0}")]
    NoValidSamples(String),
    /// All valid values are equal, so a dispersion (NMAD, variogram) is zero
    /// and nothing can be standardised or fitted.
    #[error("degenerate data: {0}")]
    Degenerate(String),
    /// Too few bins hold enough samples for the requested fit.
    #[error("too few populated bins: {found} bins have at least {min_count} samples, {needed} are needed")]
    TooFewBins {
        /// Bins with enough samples.
        found: usize,
        /// The minimum number of samples per bin.
        min_count: usize,
        /// The number of bins the fit needs.
        needed: usize,
    },
    /// A non-linear fit did not converge to finite parameters.
    #[error("fit did not converge: {0}")]
    FitFailed(String),
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, UncertaintyError>;

impl UncertaintyError {
    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        UncertaintyError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}
