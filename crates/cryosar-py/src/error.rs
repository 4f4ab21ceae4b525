//! The error type of the binding layer itself (bad arguments before any
//! library is called). Errors of the libraries keep their own types and
//! become their own Python exception classes (see the crate docs).

/// What the binding layer rejects before calling a library.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BindError {
    /// A transform that is not a valid affine 6-tuple.
    #[error("invalid transform: {0}")]
    Transform(String),
    /// A CRS string that cannot be read.
    #[error("invalid crs: {0}")]
    Crs(String),
    /// An invalid argument (named).
    #[error("invalid argument `{name}`: {reason}")]
    Argument {
        /// The argument's name as the Python caller wrote it.
        name: &'static str,
        /// What is wrong and what to give instead.
        reason: String,
    },
}

/// Result with [`BindError`].
pub type Result<T> = std::result::Result<T, BindError>;

impl BindError {
    /// An [`BindError::Argument`] error.
    pub fn arg(name: &'static str, reason: impl Into<String>) -> Self {
        BindError::Argument {
            name,
            reason: reason.into(),
        }
    }
}
