//! Shared test helpers.
pub mod calibration;
