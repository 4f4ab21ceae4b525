//! tmp
#![doc(test(attr(deny(warnings))))]
pub mod date;
pub mod error;
mod fft2;
pub mod pairs;
pub mod peak;
pub mod preprocess;
pub mod synth;
pub mod zncc;
pub use date::Date;
pub use error::{NccError, Result};
pub use pairs::{check_pairs, form_pairs, Pair, PairSet};
pub use peak::{estimate_peak, PeakEstimate, PeakParams, SubpixelMethod};
pub use zncc::{CircularNcc, NccContext, NccScratch};
pub mod track;
pub use track::{track, NccForm, Progress, SearchRadius, TemplateStatus, TrackParams, TrackSummary, VelocityField};
pub mod eval;
pub use eval::{apply_filter, coverage, filter_mask, residual_ratio, snr_gain, stack_size_study, FilterParams, StackSizeRow, StudyParams};
