//! The error type of gp-voidfill.

/// Everything that can go wrong in gp-voidfill.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpError {
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid and what is accepted.
        reason: String,
    },
    /// Fewer measured (finite) pixels than the documented minimum.
    #[error("too few measured pixels: {found} found, at least {required} are needed")]
    TooFewSamples {
        /// Number of usable samples.
        found: usize,
        /// Minimum number required.
        required: usize,
    },
    /// The target has (numerically) zero variance, so it cannot be standardised.
    #[error("the target is constant ({value}); nothing to model")]
    ConstantTarget {
        /// The constant value.
        value: f64,
    },
    /// A feature or target value is NaN or infinite.
    #[error("non-finite {what} at sample {index}")]
    NonFinite {
        /// "feature" or "target".
        what: &'static str,
        /// The first offending sample (row).
        index: usize,
    },
    /// Array shapes disagree.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The kernel matrix stayed non-positive-definite up to the largest jitter.
    #[error(
        "kernel matrix not positive definite (pivot {pivot}) even with jitter {jitter:e}; \
         raise `jitter_max` or check for duplicated inputs"
    )]
    NotPositiveDefinite {
        /// The failing pivot of the last attempt.
        pivot: usize,
        /// The largest jitter tried (added to the diagonal, standardised units).
        jitter: f64,
    },
    /// An error from sar-core (grids, rasters).
    #[error(transparent)]
    Sar(#[from] sar_core::SarError),
}

/// Result alias of gp-voidfill.
pub type Result<T> = std::result::Result<T, GpError>;
