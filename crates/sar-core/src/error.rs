//! The error type of sar-core.

use crate::grid::Grid;

/// Everything that can go wrong in sar-core.
///
/// Every variant's message says what was wrong and, where it can, what to
/// change. Functions whose outcome depends on the data return this error
/// rather than panicking.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SarError {
    /// Two arrays that must have the same shape do not.
    #[error("shape mismatch: {what} has shape {found:?} but {expected:?} was expected")]
    ShapeMismatch {
        /// What was being compared.
        what: String,
        /// The shape that was expected (rows, cols).
        expected: (usize, usize),
        /// The shape that was found (rows, cols).
        found: (usize, usize),
    },
    /// Two rasters that must lie on the same grid do not.
    #[error(
        "grid mismatch: {left} differs from {right}; resample one onto the other's grid first"
    )]
    GridMismatch {
        /// The first grid, as text.
        left: Box<Grid>,
        /// The second grid, as text.
        right: Box<Grid>,
    },
    /// Two grids have different coordinate reference systems.
    #[error("CRS mismatch: {left} vs {right}; reproject one of the inputs first")]
    CrsMismatch {
        /// The first CRS, as text.
        left: String,
        /// The second CRS, as text.
        right: String,
    },
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid and what is accepted.
        reason: String,
    },
    /// An input contains no valid (finite, not no-data) value where one is needed.
    #[error("no valid data: {0}")]
    NoValidData(String),
    /// A window or crop lies (partly) outside the raster.
    #[error("window out of bounds: {0}")]
    OutOfBounds(String),
    /// The file is a TIFF, but uses a feature that sar-core does not read.
    #[error("unsupported TIFF feature in {path}: {what}")]
    UnsupportedTiff {
        /// The file.
        path: String,
        /// What is unsupported.
        what: String,
    },
    /// The file is not a valid TIFF or is truncated/corrupt.
    #[error("corrupt or invalid TIFF {path}: {what}")]
    CorruptTiff {
        /// The file.
        path: String,
        /// What is wrong.
        what: String,
    },
    /// The data type of a raster does not match what the caller asked for.
    #[error("data type mismatch: {0}")]
    DataType(String),
    /// A vector file (outlines or points: shapefile, GeoPackage, GeoJSON,
    /// CSV) cannot be read or holds no usable geometry.
    #[error("cannot read vector file {path}: {what}")]
    Vector {
        /// The file.
        path: String,
        /// What is wrong and, where it helps, what to change.
        what: String,
    },
    /// A CRS cannot be turned into a projection, or a coordinate cannot be
    /// transformed between two CRSs.
    #[error("projection error ({crs}): {what}")]
    Projection {
        /// The CRS (or pair of CRSs) concerned, as text.
        crs: String,
        /// What failed.
        what: String,
    },
    /// An operating-system I/O error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias used throughout sar-core.
pub type Result<T> = std::result::Result<T, SarError>;
