//! # phase-unwrap
//!
//! Minimum-cost-flow (MCF) phase unwrapping (Costantini 1998) in pure Rust:
//! the unwrapping step of the TanDEM-X DEM generation in sect. 4.3.1.2 of the
//! thesis, where the wrapped residual phase $\delta\varphi$ of eqs. (4.1)–(4.2)
//! "were then unwrapped using the Minimum-Cost-Flow (MCF) algorithm".
//!
//! ## The method
//!
//! A wrapped phase $\psi \in [-\pi, \pi)$ (radians) is the true phase $\phi$
//! minus an unknown integer number of cycles per pixel. Unwrapping picks, for
//! every pair of neighbouring pixels, the integer $k$ that turns the wrapped
//! difference $\Delta$ into the unwrapped gradient $\Delta + 2\pi k$. Those
//! gradients integrate to a phase only if they circulate to zero around
//! every elementary 2 × 2 loop; the loops where the wrapped gradients do not
//! are the **residues** (charge ±1, rarely ±2). Costantini (1998) showed
//! that the corrections of least total weighted size are a minimum-cost flow
//! on the dual graph: one node per loop, one arc per pixel edge in each
//! direction, each residue a source or sink, and a **ground** node for the
//! outside of the image, which may absorb any charge.
//!
//! 1. **Residues and network** ([`network`], [`cost`]): each edge's wrapped
//!    difference is taken nearest the local expected gradient; residues are
//!    exact integer circulations; loops touching an invalid pixel (NaN,
//!    masked, invalid coherence) are merged into the ground, so masks absorb
//!    charge and cost nothing to cross.
//! 2. **Costs** ([`cost`]): convex integer costs from a Gaussian model of the
//!    gradient whose variance is the phase-noise variance of the coherence
//!    and number of looks (statistical-cost style, Chen & Zebker 2001).
//! 3. **Solver** ([`mcf`]): successive shortest paths with potentials and
//!    early-terminated Dijkstra searches; exact, checked against OR-Tools'
//!    `SimpleMinCostFlow` on the fixtures in `tests/data/`.
//! 4. **Integration** ([`Unwrapped`]): the corrected
//!    gradients are summed along a spanning tree of each connected component
//!    of valid pixels; components are labelled, each with its own reference.
//! 5. **Tiles** ([`UnwrapParams::tile_size`]): tiles with overlap, each
//!    solved alone and reconciled by one integer cycle offset per tile and
//!    component, with no seam and bounded working memory. **Overlap
//!    tolerance**: a tile's edge is ground, so a tile may route a residue
//!    pair near its edge differently from the whole-image solution; tiled
//!    and untiled cycles may differ on at most 0.5 % of the pixels (asserted
//!    in `tests/tiles_and_accuracy.rs` and, at 4096², by
//!    `examples/tiled_vs_untiled.rs`, which also asserts that no tile border
//!    adds cycle jumps), and are identical on noise-free input.
//!
//! The result has the wrapped phase plus $2\pi$ times an integer everywhere
//! (re-wrapping it gives the input back exactly), is NaN where the input is
//! invalid and is zero cycles away from the wrapped phase at each
//! component's reference pixel (its first pixel in raster order).
//!
//! ## Example
//!
//! ```
//! use ndarray::Array2;
//! use phase_unwrap::{unwrap, UnwrapParams};
//! use std::f64::consts::PI;
//!
//! // A phase ramp of 0.4 cycle per pixel along columns, wrapped.
//! let truth = Array2::from_shape_fn((32, 48), |(_, j)| 0.8 * PI * j as f64);
//! let wrapped = truth.mapv(|p| (p + PI).rem_euclid(2.0 * PI) - PI);
//! let out = unwrap(&wrapped, None, None, &UnwrapParams::default())?;
//! assert_eq!(out.n_components, 1);
//! for (u, t) in out.phase.iter().zip(truth.iter()) {
//!     assert!((u - t).abs() < 1e-9); // the reference pixel (0, 0) has zero cycles
//! }
//! # Ok::<(), phase_unwrap::UnwrapError>(())
//! ```
//!
//! ## References
//!
//! * Costantini, M. (1998). A novel phase unwrapping method based on network
//!   programming. *IEEE Trans. Geosci. Remote Sens.* 36(3), 813–821.
//! * Chen, C. W., Zebker, H. A. (2001). Two-dimensional phase unwrapping with
//!   use of statistical models for cost functions in nonlinear optimization.
//!   *J. Opt. Soc. Am. A* 18(2), 338–351.
//! * Rodriguez, E., Martin, J. M. (1992). Theory and design of interferometric
//!   synthetic aperture radars. *IEE Proc. F* 139(2), 147–159.
//! * Ahuja, R. K., Magnanti, T. L., Orlin, J. B. (1993). *Network Flows*.
//!   Prentice Hall (successive shortest paths, ch. 9).
//! * Li, S. (2025). *Advancing Applications of Synthetic Aperture Radar for
//!   Cryosphere Studies in Alpine Regions*. Doctoral thesis, ETH Zurich
//!   (sect. 4.3.1.2, eqs. 1.9, 4.1–4.2).
#![warn(missing_docs)]
#![doc(test(attr(deny(warnings))))]

use ndarray::Array2;

pub mod cost;
pub mod error;
mod integrate;
pub mod mcf;
pub mod network;
pub mod params;
pub mod synthetic;
mod tile;

pub use error::UnwrapError;
pub use mcf::SolveStats;
pub use network::{Flows, Network};
pub use params::UnwrapParams;
pub use tile::MAX_ABS_PHASE;

/// The result of [`unwrap`].
#[derive(Debug, Clone, PartialEq)]
pub struct Unwrapped {
    /// Unwrapped phase (radians): the input wrapped to $[-\pi, \pi]$ plus
    /// $2\pi$ × [`Unwrapped::cycles`]; NaN where the input is invalid.
    pub phase: Array2<f64>,
    /// Integer cycles added to the wrapped phase; 0 where invalid.
    pub cycles: Array2<i32>,
    /// Connected component of each pixel, `1..=n_components`; 0 = invalid.
    pub components: Array2<u32>,
    /// Number of connected components.
    pub n_components: usize,
    /// Reference pixel `(row, col)` of each component (index `label − 1`):
    /// its first pixel in raster order, where `cycles` is 0.
    pub references: Vec<(usize, usize)>,
    /// Residues found (summed over tiles in tiled mode).
    pub residues: usize,
    /// Total cost of the optimal flows (summed over tiles), in the cost unit
    /// of [`cost`].
    pub total_cost: i64,
    /// Number of tiles solved (1 without tiling).
    pub tiles: usize,
}

/// Unwrap a wrapped phase (radians, NaN = no data) with optional coherence
/// (`[0, 1]`; NaN or outside the range = no data) and validity mask (`true` =
/// use the pixel).
///
/// Errors: [`UnwrapError::EmptyInput`], [`UnwrapError::ShapeMismatch`] (naming
/// `coherence` or `mask`), [`UnwrapError::InvalidParameter`],
/// [`UnwrapError::NoValidPixels`]. A single valid pixel, a constant phase or
/// a phase with no residue are ordinary input.
pub fn unwrap(
    phase: &Array2<f64>,
    coherence: Option<&Array2<f64>>,
    mask: Option<&Array2<bool>>,
    params: &UnwrapParams,
) -> Result<Unwrapped, UnwrapError> {
    unwrap_with_progress(phase, coherence, mask, params, &|_, _| {})
}

/// [`unwrap`] reporting progress as `progress(done, total)`. In tiled mode
/// (more than one tile) it counts tiles: called before the first and after
/// every tile (from worker threads). With a single block it counts the
/// units of flow (residue charge) the solver has sent, as
/// [`Network::solve_with_progress`]: at the start, every 2048 units and at
/// the end. Use [`Unwrapped::tiles`] or the tile size to tell which.
pub fn unwrap_with_progress(
    phase: &Array2<f64>,
    coherence: Option<&Array2<f64>>,
    mask: Option<&Array2<bool>>,
    params: &UnwrapParams,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Unwrapped, UnwrapError> {
    params.check()?;
    let prep = tile::prepare(phase, coherence, mask, params)?;
    tile::run(&prep, params, true, progress)
}

/// [`unwrap`] with every tile solved on the calling thread, in order; the
/// result equals [`unwrap`]'s (tested), this is for measuring and testing.
pub fn unwrap_serial(
    phase: &Array2<f64>,
    coherence: Option<&Array2<f64>>,
    mask: Option<&Array2<bool>>,
    params: &UnwrapParams,
) -> Result<Unwrapped, UnwrapError> {
    params.check()?;
    let prep = tile::prepare(phase, coherence, mask, params)?;
    tile::run(&prep, params, false, &|_, _| {})
}

/// The residue network that [`unwrap`] solves for a whole image (no tiling),
/// for inspection and for checking the solver against a reference.
pub fn residue_network(
    phase: &Array2<f64>,
    coherence: Option<&Array2<f64>>,
    mask: Option<&Array2<bool>>,
    params: &UnwrapParams,
) -> Result<Network, UnwrapError> {
    params.check()?;
    let p = tile::prepare(phase, coherence, mask, params)?;
    Ok(cost::build_problem(
        &p.w,
        &p.valid,
        &p.s2,
        p.rows,
        p.cols,
        params.gradient_half_window,
    )
    .network)
}
