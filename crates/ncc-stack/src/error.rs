//! The error type of ncc-stack.

/// Everything that can go wrong in ncc-stack.
///
/// Every message says what was wrong and what to change. Functions whose
/// outcome depends on the data return this error instead of panicking.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NccError {
    /// An error from sar-core (grids, rasters, GeoTIFF).
    #[error(transparent)]
    Sar(#[from] sar_core::SarError),
    /// Offset tracking needs at least two images.
    #[error(
        "need at least two images to form a pair, got {0}; pass two or more co-registered images"
    )]
    TooFewImages(usize),
    /// The number of dates differs from the number of images.
    #[error("got {images} images but {dates} dates; give exactly one acquisition date per image")]
    DateCountMismatch {
        /// Number of images.
        images: usize,
        /// Number of dates.
        dates: usize,
    },
    /// Dates are not strictly increasing inside a time series.
    #[error("dates out of order in series {series}: image {index} ({date}) is not after the image before it ({previous}); sort the images by acquisition date")]
    DatesOutOfOrder {
        /// Series index.
        series: usize,
        /// Index of the offending image inside its series.
        index: usize,
        /// Its date.
        date: String,
        /// The date of the image before it.
        previous: String,
    },
    /// The pairs of one stack do not share one time interval.
    #[error("pair {pair} spans {found_days} days but the stack interval is {expected_days} days (tolerance {tolerance_days} days); stack only pairs with equal intervals")]
    UnequalIntervals {
        /// Index of the offending pair.
        pair: usize,
        /// Its interval in days.
        found_days: f64,
        /// The interval of the first pair in days.
        expected_days: f64,
        /// The tolerance in days.
        tolerance_days: f64,
    },
    /// A pair refers to an image that does not exist or pairs an image with itself.
    #[error("invalid pair {pair}: {reason}")]
    BadPair {
        /// Index of the offending pair.
        pair: usize,
        /// What is wrong.
        reason: String,
    },
    /// The pair interval `a` leaves no pair.
    #[error("interval a = {interval} leaves no pair in any series (longest series has {longest} images); use a smaller interval")]
    NoPairs {
        /// The interval in acquisitions.
        interval: usize,
        /// Number of images in the longest series.
        longest: usize,
    },
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid and what is accepted.
        reason: String,
    },
    /// The template does not fit the image.
    #[error("template of {template} px (plus search radius {search} px on each side) does not fit a {rows}×{cols} image; use a smaller template or search radius")]
    TemplateTooLarge {
        /// Template size in pixels.
        template: usize,
        /// Search radius in pixels.
        search: usize,
        /// Image rows.
        rows: usize,
        /// Image columns.
        cols: usize,
    },
    /// No template of the grid can be correlated.
    #[error("no valid template: {0}")]
    NoValidTemplate(String),
    /// A template or search window contains no-data (NaN) pixels.
    #[error("{0} contains no-data (NaN) pixels; move it or fill the gap")]
    NoDataInWindow(String),
    /// A template or search (sub-)window has zero variance, so its ZNCC is undefined.
    #[error("{0} has zero variance (constant values), so its normalised correlation is undefined")]
    ZeroVariance(String),
    /// An image has no finite value.
    #[error("image {0} contains no valid (finite) pixel; check its no-data value")]
    AllNaN(usize),
}

/// Result alias of ncc-stack.
pub type Result<T> = std::result::Result<T, NccError>;
