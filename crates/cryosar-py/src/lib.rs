//! # cryosar-py
//!
//! The Python package `cryosar`: PyO3 + rust-numpy bindings of the cryosar
//! libraries, built by [maturin](https://www.maturin.rs) as an abi3 wheel
//! (CPython ≥ 3.9), plus the pure-Python module `cryosar.dask` for tiled
//! and per-glacier runs on a dask.distributed cluster. The Rust libraries
//! are called unchanged; this crate only converts arguments and results.
//!
//! ```text
//! pip install ./crates/cryosar-py          # or: cd crates/cryosar-py && maturin develop --release
//! ```
//!
//! ```python
//! import cryosar
//! dem, transform, crs = cryosar.read_geotiff("dem.tif")
//! slope, aspect = cryosar.slope_aspect(dem, transform, crs)
//! cryosar.write_geotiff("slope.tif", slope, transform, crs)
//! ```
//!
//! See `docs/python.md` for the user guide and the Dask examples.
//!
//! ## How the layer behaves
//!
//! * **Arrays**: 2-D NumPy arrays of any float or integer dtype and any
//!   memory order (C or Fortran, strided views) are accepted and copied to
//!   `f64` while the interpreter is held; results are new float64 arrays
//!   (uint8/uint32/int32 for masks, counts and labels). NaN is no-data.
//!   Arrays whose data is not aligned for their dtype (what
//!   `dask.distributed` unpickles out of network frames) are copied to
//!   aligned memory first. SLCs are complex64 (complex128 is rounded).
//! * **Georeferencing** travels as rasterio's affine 6-tuple
//!   `(a, b, c, d, e, f)` ([`geo::affine_to_geotransform`]) and a CRS
//!   string ([`geo::parse_crs`]); `ds.transform` and `ds.crs` of rasterio
//!   pass straight in.
//! * **Errors**: each library's error enum becomes one exception class
//!   (`cryosar.SarError`, `NccError`, `SnowError`, `GpError`,
//!   `UncertaintyError`, `MbError`, `UnwrapError`, `DemError`) deriving from
//!   `cryosar.Error`, with the Rust message; arguments rejected here raise
//!   `cryosar.InputError` ([`BindError`]). A panic is caught and raised as
//!   `cryosar.Error`, never unwinds into Python.
//! * **Threads**: every computation runs without the GIL, in a rayon pool
//!   of `cryosar.set_num_threads(n)` threads (default: rayon's global
//!   pool). `cryosar.dask` pins each worker's pool to its thread count.
//!
//! ## Why the bindings sit behind the `python` feature
//!
//! Linking a PyO3 test binary needs `libpython3.x.so`, which a machine with
//! only the Python interpreter (no `python3-dev`) lacks, while an extension
//! module must *not* link it. The PyO3 code is therefore compiled only with
//! the `python` feature, which maturin enables together with
//! `pyo3/extension-module` (see `pyproject.toml`). `cargo test --workspace`
//! builds and tests the pure-Rust parts — the transform/CRS conversions
//! ([`geo`]) and the tile plans whose stitched results equal whole-image
//! runs ([`tiles`]) — without Python; the bindings are tested by pytest
//! (`crates/cryosar-py/tests/`) on the built wheel.

#![doc(test(attr(deny(warnings))))]

pub mod error;
pub mod geo;
pub mod reference;
pub use ncc_stack::tiles;

#[cfg(feature = "python")]
mod python;

pub use error::{BindError, Result};
