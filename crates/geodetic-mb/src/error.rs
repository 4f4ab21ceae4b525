//! The error type of geodetic-mb.

/// Everything that can go wrong in geodetic-mb.
///
/// Every function whose outcome depends on the data returns this error
/// rather than panicking. Per-glacier problems (a glacier too small, without
/// a measured pixel, whose fill failed) are not errors: they are reported as
/// a [`crate::GlacierStatus`] in that glacier's row.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MbError {
    /// An error from sar-core (grids, shapes, I/O).
    #[error(transparent)]
    Core(#[from] sar_core::SarError),
    /// An error from the uncertainty analysis.
    #[error("uncertainty analysis: {0}")]
    Uncertainty(#[from] uncertainty::UncertaintyError),
    /// An error from the Gaussian-process void filling.
    #[error("void filling: {0}")]
    VoidFill(#[from] gp_voidfill::GpError),
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid and what is accepted.
        reason: String,
    },
    /// Two inputs do not overlap (no pixel where both are valid).
    #[error("no overlap: {0}")]
    NoOverlap(String),
    /// No stable-terrain pixel is left for a step that needs one.
    #[error("no stable terrain: {0}")]
    NoStableTerrain(String),
    /// An input holds nothing usable (no DEM, no glacier, …).
    #[error("empty input: {0}")]
    EmptyInput(String),
    /// Writing an output file failed (message names the file).
    #[error("output: {0}")]
    Io(String),
}

/// Result alias of geodetic-mb.
pub type Result<T> = std::result::Result<T, MbError>;

impl MbError {
    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        MbError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}
