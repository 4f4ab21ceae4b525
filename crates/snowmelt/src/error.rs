//! The error type of snowmelt.

/// Everything that can go wrong in snowmelt.
///
/// Data-dependent failures (too few valid pixels, a mixture whose components
/// coincide, rasters on different grids) come back as one of these variants,
/// never as a panic or a map full of NaN.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnowError {
    /// An error from sar-core (grid mismatch, I/O, …).
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
    /// A polarisation channel that the method needs is missing.
    #[error(
        "missing polarisation {0}: the composite ratio needs both VV and VH (and their references)"
    )]
    MissingPolarisation(&'static str),
    /// An input raster lies on a different grid than the others.
    #[error(
        "{what} lies on a different grid ({found}) than the {expected} grid; resample it first"
    )]
    GridMismatch {
        /// Which input.
        what: String,
        /// The grid expected, as text.
        expected: String,
        /// The grid found, as text.
        found: String,
    },
    /// Too few valid samples to fit the Gaussian mixture.
    #[error("only {found} valid samples to fit the Gaussian mixture; at least {min} are needed")]
    TooFewSamples {
        /// Valid samples found.
        found: usize,
        /// Minimum required.
        min: usize,
    },
    /// The two Gaussian components coincide: the wet snow index would be flat.
    #[error("the mixture components coincide (means {mean1:.4} and {mean2:.4} dB, separation k = {k:.4} per dB < {min_k}); the sample holds no second population")]
    ComponentsCoincide {
        /// Mean of the first component (dB).
        mean1: f64,
        /// Mean of the second component (dB).
        mean2: f64,
        /// Slope factor `|μ1 − μ2| / (σ1 + σ2)` (1/dB).
        k: f64,
        /// Minimum accepted slope factor (1/dB).
        min_k: f64,
    },
    /// The EM fit degenerated (a component lost all weight or the likelihood became non-finite).
    #[error("Gaussian mixture fit degenerated: {0}")]
    Degenerate(String),
    /// No input acquisition matched the selection (months, years, orbit).
    #[error("no acquisition selected: {0}")]
    NoAcquisition(String),
    /// A computation needed valid pixels and found none.
    #[error("no valid data: {0}")]
    NoValidData(String),
    /// Inputs that must have the same length do not.
    #[error("length mismatch: {0}")]
    LengthMismatch(String),
}

/// Result alias of snowmelt.
pub type Result<T> = std::result::Result<T, SnowError>;

/// Check that `r` lies on `grid`, else [`SnowError::GridMismatch`] naming `what`.
pub(crate) fn ensure_grid<T>(
    what: &str,
    r: &sar_core::Raster<T>,
    grid: &sar_core::Grid,
) -> Result<()> {
    if r.grid.same_as(grid) {
        Ok(())
    } else {
        Err(SnowError::GridMismatch {
            what: what.to_string(),
            expected: grid.to_string(),
            found: r.grid.to_string(),
        })
    }
}
