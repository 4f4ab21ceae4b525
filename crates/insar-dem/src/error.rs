//! The error type of insar-dem.

use sar_core::SarError;

/// Everything that can go wrong in insar-dem. Every message names the file,
/// parameter or input at fault and, where it can, what to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemError {
    /// An error from sar-core (grids, rasters, GeoTIFF).
    #[error(transparent)]
    Sar(#[from] SarError),
    /// An orbit that is malformed.
    #[error("orbit: {0}")]
    Orbit(String),
    /// A time outside the span of the orbit's state vectors.
    #[error("orbit does not cover time {time} s (state vectors span {start}–{end} s)")]
    OrbitCoverage {
        /// The requested time, seconds since the reference epoch.
        time: f64,
        /// First state-vector time.
        start: f64,
        /// Last state-vector time.
        end: f64,
    },
    /// An invalid radar grid or geometry.
    #[error("geometry: {0}")]
    Geometry(String),
    /// An iteration that did not converge.
    #[error("no convergence: {0}")]
    NoConvergence(String),
    /// A COSAR file that is malformed, truncated or of an unexpected version.
    #[error("COSAR file {path}: {what}")]
    Cosar {
        /// The file.
        path: String,
        /// What is wrong.
        what: String,
    },
    /// An annotation XML file that is malformed or lacks a required element.
    #[error("annotation {path}: {what}")]
    Annotation {
        /// The file.
        path: String,
        /// What is wrong.
        what: String,
    },
    /// A parameter outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Why it is invalid and what is accepted.
        reason: String,
    },
    /// An input (SLC, DEM, geoid) that is unusable: wrong size, no coverage, no valid data.
    #[error("input: {0}")]
    Input(String),
    /// Phase unwrapping failed.
    #[error("phase unwrapping: {0}")]
    Unwrap(String),
    /// An I/O error with the file it happened on.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Result alias of insar-dem.
pub type Result<T> = std::result::Result<T, DemError>;

pub(crate) fn io_err(path: &std::path::Path, source: std::io::Error) -> DemError {
    DemError::Io {
        path: path.display().to_string(),
        source,
    }
}
