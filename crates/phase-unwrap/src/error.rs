//! The error type of the phase-unwrap crate.

/// Everything that can go wrong while unwrapping.
///
/// Every function whose outcome depends on the data returns this error
/// rather than panicking.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnwrapError {
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
    /// An input array does not have the shape of the phase.
    #[error("shape mismatch: `{what}` is {found:?} (rows, cols) but the phase is {expected:?}")]
    ShapeMismatch {
        /// Which input (`coherence`, `mask`).
        what: &'static str,
        /// Shape of the phase.
        expected: (usize, usize),
        /// Shape found.
        found: (usize, usize),
    },
    /// The phase has zero rows or zero columns.
    #[error("empty input: the phase is {rows} x {cols} pixels; at least one pixel is needed")]
    EmptyInput {
        /// Rows of the phase.
        rows: usize,
        /// Columns of the phase.
        cols: usize,
    },
    /// No pixel is valid (all masked, NaN, or with invalid coherence).
    #[error("no valid pixel: all {pixels} pixels are masked, NaN in the phase, or have a coherence outside [0, 1]")]
    NoValidPixels {
        /// Number of pixels in the input.
        pixels: usize,
    },
    /// The flow on one arc left the range of the flow type; only possible on
    /// pathological networks with tens of thousands of residues routed across
    /// one pixel edge.
    #[error("flow overflow on edge {edge}: more than {limit} cycles would cross one pixel edge")]
    FlowOverflow {
        /// Index of the edge.
        edge: usize,
        /// Largest representable flow.
        limit: i64,
    },
    /// A network description (fixture text) could not be parsed.
    #[error("network text, line {line}: {reason}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
}
