//! gp-voidfill (crate docs written below)
#![doc(test(attr(deny(warnings))))]
pub mod data;
pub mod error;
pub mod exact;
pub mod fill;
pub mod hypsometric;
pub mod kernel;
pub mod linalg;
pub mod model;
pub mod nn;
pub mod synthetic;
pub use error::{GpError, Result};
pub use model::{FitReport, FittedGp, GpVoidFill, KernelKind, Method, VoidMean};
pub use fill::{fill_glacier, fill_glacier_with_terrain, hypsometric_fill, GlacierFill};
pub use exact::{ExactGp, JitterPolicy, Prediction};
pub use kernel::{ArdKernel, Kernel, Shape, SumKernel};
pub use nn::NearestNeighbourGp;
pub use data::{glacier_features, Metrics, SplitStrategy};
