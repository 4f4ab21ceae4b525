//! Parameters of the unwrapper: builder setters, then [`UnwrapParams::check`].

use crate::error::UnwrapError;

/// Parameters of [`crate::unwrap`].
///
/// Build with [`UnwrapParams::default`] and the builder setters; every run
/// calls [`UnwrapParams::check`] first, which returns
/// [`UnwrapError::InvalidParameter`] naming the parameter.
///
/// ```
/// use phase_unwrap::UnwrapParams;
/// let p = UnwrapParams::default().looks(8.0).tile_size(Some(2048)).tile_overlap(256);
/// p.check()?;
/// # Ok::<(), phase_unwrap::UnwrapError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UnwrapParams {
    /// Equivalent number of looks $L$ of the interferogram and coherence,
    /// used in the phase-noise variance of the costs (see [`crate::cost`]).
    /// Default **1.0**: a single-look interferogram, the conservative choice
    /// (largest noise variance for a given coherence); the thesis does not
    /// state the looks of its interferograms, so set it to the multilook
    /// factor of your data.
    pub looks: f64,
    /// Coherence assumed at every pixel when no coherence is given. Default
    /// **0.7**. With a uniform coherence every pixel has the same noise
    /// variance, so the optimum depends on this value only through the
    /// integer rounding of the costs.
    pub assumed_coherence: f64,
    /// Half-width (pixels) of the window over which the expected phase
    /// gradient is averaged (window side `2 h + 1`); `0` (default) centres
    /// the costs on a zero gradient, as Costantini's original formulation.
    /// Default **0**, measured with `examples/unwrap_compare.rs` on the
    /// synthetic cases at 256² (seeds 1, 2): with `h = 0` every case is at least
    /// as accurate as with `h = 1, 2, 3, 5`, and at coherence 0.2–0.35 with
    /// 4 looks the window mean is so noisy that `h = 2` loses 10 points of
    /// correct cycles (0.87 against 0.97). A window helps only for clean
    /// fringes close to the aliasing limit.
    pub gradient_half_window: usize,
    /// Tile side (pixels) for the tiled mode; `None` (default) solves the
    /// whole image as one network. Images no larger than one tile are always
    /// solved whole.
    pub tile_size: Option<usize>,
    /// Overlap (pixels) between neighbouring tiles; it must be less than
    /// half the tile size. Default **256**: with 1024-pixel tiles on the
    /// 4096² coherence-0.6 scene of `examples/tiled_vs_untiled.rs` it gives
    /// the same cycles as the untiled solution on every pixel.
    pub tile_overlap: usize,
}

impl Default for UnwrapParams {
    fn default() -> Self {
        UnwrapParams {
            looks: 1.0,
            assumed_coherence: 0.7,
            gradient_half_window: 0,
            tile_size: None,
            tile_overlap: 256,
        }
    }
}

impl UnwrapParams {
    /// Set [`UnwrapParams::looks`].
    pub fn looks(mut self, looks: f64) -> Self {
        self.looks = looks;
        self
    }

    /// Set [`UnwrapParams::assumed_coherence`].
    pub fn assumed_coherence(mut self, coherence: f64) -> Self {
        self.assumed_coherence = coherence;
        self
    }

    /// Set [`UnwrapParams::gradient_half_window`].
    pub fn gradient_half_window(mut self, half: usize) -> Self {
        self.gradient_half_window = half;
        self
    }

    /// Set [`UnwrapParams::tile_size`].
    pub fn tile_size(mut self, size: Option<usize>) -> Self {
        self.tile_size = size;
        self
    }

    /// Set [`UnwrapParams::tile_overlap`].
    pub fn tile_overlap(mut self, overlap: usize) -> Self {
        self.tile_overlap = overlap;
        self
    }

    /// Validate every parameter.
    pub fn check(&self) -> Result<(), UnwrapError> {
        if !(self.looks.is_finite() && self.looks >= 1.0) {
            return Err(UnwrapError::InvalidParameter {
                name: "looks",
                reason: format!("{} (must be a finite number >= 1)", self.looks),
            });
        }
        if !(self.assumed_coherence > 0.0 && self.assumed_coherence <= 1.0) {
            return Err(UnwrapError::InvalidParameter {
                name: "assumed_coherence",
                reason: format!("{} (must be in (0, 1])", self.assumed_coherence),
            });
        }
        if self.gradient_half_window > 64 {
            return Err(UnwrapError::InvalidParameter {
                name: "gradient_half_window",
                reason: format!("{} (must be at most 64 pixels)", self.gradient_half_window),
            });
        }
        if let Some(t) = self.tile_size {
            if t < 16 {
                return Err(UnwrapError::InvalidParameter {
                    name: "tile_size",
                    reason: format!("{t} (must be at least 16 pixels)"),
                });
            }
            if 2 * self.tile_overlap >= t {
                return Err(UnwrapError::InvalidParameter {
                    name: "tile_overlap",
                    reason: format!(
                        "{} (must be less than half the tile size {t})",
                        self.tile_overlap
                    ),
                });
            }
            if self.tile_overlap < 2 {
                return Err(UnwrapError::InvalidParameter {
                    name: "tile_overlap",
                    reason: format!("{} (must be at least 2 pixels)", self.tile_overlap),
                });
            }
        }
        Ok(())
    }
}
