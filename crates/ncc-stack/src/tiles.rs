//! Tile plans for distributed runs whose stitched result equals the
//! whole-image run.
//!
//! **Velocity** ([`velocity_tiles`]): ncc-stack's template grid has cell
//! `(i, j)` centred on image pixel `(i·s + ⌊s/2⌋, j·s + ⌊s/2⌋)` for a step
//! `s`, and reads the pixels
//! `[i·s + ⌊s/2⌋ − ⌊t/2⌋ − r, i·s + ⌊s/2⌋ − ⌊t/2⌋ + t + r)` (template `t`,
//! search radius `r`; columns alike). A tile that starts on a multiple of
//! `s` has the same template grid shifted by a whole number of cells, so
//! tracking a tile that holds the footprint of its cells gives those cells
//! the same template and search window as the whole-image run: the same
//! correlation surface and the same peak. Cells whose window crosses the
//! image edge are edge cells in both runs.
//!
//! **Neighbourhood filters**: the halo a tile needs on each side so that
//! its interior equals the whole-image result is the filter's radius:
//! [`TERRAIN_HALO_PX`] for slope/aspect (3 × 3 stencils), `k/2` for a
//! `k × k` Gaussian high-pass ([`highpass_halo_px`]).

use crate::error::{NccError, Result};

/// Halo (pixels per side) of the 3 × 3 slope/aspect stencils of
/// `sar_core::terrain` (Horn 1981, Zevenbergen & Thorne 1987).
pub const TERRAIN_HALO_PX: usize = 1;

/// Halo (pixels per side) of ncc-stack's `k × k` Gaussian high-pass: its
/// radius `k / 2`.
pub fn highpass_halo_px(kernel_px: usize) -> usize {
    kernel_px / 2
}

/// One tile of a velocity run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VelocityTile {
    /// First image row of the tile (a multiple of the step).
    pub row0: usize,
    /// First image column of the tile (a multiple of the step).
    pub col0: usize,
    /// Image rows in the tile.
    pub rows: usize,
    /// Image columns in the tile.
    pub cols: usize,
    /// First template-grid row this tile delivers (whole-image numbering).
    pub cell_row0: usize,
    /// First template-grid column this tile delivers.
    pub cell_col0: usize,
    /// Template-grid rows this tile delivers.
    pub cell_rows: usize,
    /// Template-grid columns this tile delivers.
    pub cell_cols: usize,
}

impl VelocityTile {
    /// Offset `(rows, cols)` of the delivered cells inside the tile's own
    /// template grid (the tile's cell `(cell_row0 − row0/step, …)`).
    pub fn cell_offset(&self, step_px: usize) -> (usize, usize) {
        (
            self.cell_row0 - self.row0 / step_px,
            self.cell_col0 - self.col0 / step_px,
        )
    }
}

/// Image extent `[start, end)` along one axis that holds the template +
/// search footprint of template-grid cells `[a, b)` (step `step`, template
/// `t`, search radius `r`, `n` pixels), starting on a multiple of `step`;
/// see the module docs for why the cells then equal the whole-image run.
///
/// ```
/// use ncc_stack::tiles::footprint_extent;
/// // cells 4..8 of a 16 px grid, 48 px templates, ±16 px search, 512 px
/// assert_eq!(footprint_extent(4, 8, 512, 48, 16, 16), (32, 160));
/// ```
pub fn footprint_extent(
    a: usize,
    b: usize,
    n: usize,
    t: usize,
    step: usize,
    r: usize,
) -> (usize, usize) {
    let hs = step / 2;
    let first = (a * step + hs) as isize - (t / 2) as isize - r as isize;
    let last = ((b - 1) * step + hs) as isize - (t / 2) as isize + (t + r) as isize;
    let start = if first <= 0 {
        0
    } else {
        (first as usize / step) * step
    };
    let end = (last.max(0) as usize).max(b * step).min(n);
    (start, end)
}

/// Splits the template grid of an image of `rows × cols` pixels (template
/// `template_px`, step `step_px`, search radius `search_px`, ZNCC without
/// oversampling or prior) into tiles of at most `tile_cells` template-grid
/// cells `(rows, cols)`; see the module docs for why the stitched cells
/// equal the whole-image run.
///
/// # Errors
/// [`NccError::InvalidParameter`] for a zero step, template or tile size.
///
/// ```
/// use ncc_stack::tiles::velocity_tiles;
/// // 512 × 512 px, 48 px templates every 16 px, ±16 px search, 4 × 4 tiles
/// let tiles = velocity_tiles(512, 512, 48, 16, 16, (8, 8))?;
/// assert_eq!(tiles.len(), 16);
/// assert!(tiles.iter().all(|t| t.row0 % 16 == 0 && t.col0 % 16 == 0));
/// assert_eq!(tiles.iter().map(|t| t.cell_rows * t.cell_cols).sum::<usize>(), 32 * 32);
/// # Ok::<(), ncc_stack::NccError>(())
/// ```
pub fn velocity_tiles(
    rows: usize,
    cols: usize,
    template_px: usize,
    step_px: usize,
    search_px: usize,
    tile_cells: (usize, usize),
) -> Result<Vec<VelocityTile>> {
    if step_px == 0 {
        return Err(NccError::InvalidParameter {
            name: "step_px",
            reason: "the grid step must be ≥ 1 px".into(),
        });
    }
    if template_px == 0 {
        return Err(NccError::InvalidParameter {
            name: "template_px",
            reason: "the template must be ≥ 1 px".into(),
        });
    }
    if tile_cells.0 == 0 || tile_cells.1 == 0 {
        return Err(NccError::InvalidParameter {
            name: "tile_cells",
            reason: format!("tiles must hold ≥ 1 cell per axis, got {tile_cells:?}"),
        });
    }
    let (nr, nc) = (rows / step_px, cols / step_px);
    let mut out = Vec::new();
    for a in (0..nr).step_by(tile_cells.0) {
        let b = (a + tile_cells.0).min(nr);
        let (r0, r1) = footprint_extent(a, b, rows, template_px, step_px, search_px);
        for c in (0..nc).step_by(tile_cells.1) {
            let d = (c + tile_cells.1).min(nc);
            let (c0, c1) = footprint_extent(c, d, cols, template_px, step_px, search_px);
            out.push(VelocityTile {
                row0: r0,
                col0: c0,
                rows: r1 - r0,
                cols: c1 - c0,
                cell_row0: a,
                cell_col0: c,
                cell_rows: b - a,
                cell_cols: d - c,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{track, Pair, PairSet, SearchRadius, TrackParams};
    use ndarray::{s, Array2};
    use rand::{Rng, SeedableRng};
    use sar_core::Grid;

    #[test]
    fn tiles_cover_the_grid_once_and_hold_their_footprints() {
        for &(rows, cols, t, step, r, tc) in &[
            (100usize, 77usize, 16usize, 8usize, 4usize, (3usize, 4usize)),
            (64, 64, 48, 16, 16, (1, 1)),
            (50, 90, 11, 5, 7, (2, 5)),
            (33, 35, 32, 1, 2, (7, 9)),
        ] {
            let tiles = velocity_tiles(rows, cols, t, step, r, tc).unwrap();
            let (nr, nc) = (rows / step, cols / step);
            let mut hit = Array2::<u8>::zeros((nr, nc));
            for tile in &tiles {
                assert_eq!(tile.row0 % step, 0);
                assert_eq!(tile.col0 % step, 0);
                assert!(tile.row0 + tile.rows <= rows && tile.col0 + tile.cols <= cols);
                let (di, dj) = tile.cell_offset(step);
                // the delivered cells exist in the tile's own template grid
                assert!(di + tile.cell_rows <= tile.rows / step);
                assert!(dj + tile.cell_cols <= tile.cols / step);
                hit.slice_mut(s![
                    tile.cell_row0..tile.cell_row0 + tile.cell_rows,
                    tile.cell_col0..tile.cell_col0 + tile.cell_cols
                ])
                .mapv_inplace(|v| v + 1);
                // every delivered cell's footprint, clipped to the image,
                // lies inside the tile
                for i in tile.cell_row0..tile.cell_row0 + tile.cell_rows {
                    let top = (i * step + step / 2) as isize - (t / 2) as isize - r as isize;
                    let bottom = top + (t + 2 * r) as isize;
                    assert!(top.max(0) as usize >= tile.row0);
                    assert!((bottom.min(rows as isize) as usize) <= tile.row0 + tile.rows);
                }
            }
            assert!(hit.iter().all(|&h| h == 1), "every cell exactly once");
        }
        assert!(velocity_tiles(10, 10, 4, 0, 1, (1, 1)).is_err());
        assert!(velocity_tiles(10, 10, 4, 2, 1, (0, 1)).is_err());
    }

    /// Speckle-like images with a known shift: the stitched tiled run
    /// equals the whole-image run cell by cell.
    #[test]
    fn stitched_tiles_equal_the_whole_image_run() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(17);
        let (rows, cols) = (150, 131);
        let base = Array2::from_shape_fn((rows + 8, cols + 8), |_| rng.gen::<f64>());
        let a = base.slice(s![0..rows, 0..cols]).to_owned();
        let b = base.slice(s![3..rows + 3, 2..cols + 2]).to_owned();
        let c = base.slice(s![6..rows + 6, 4..cols + 4]).to_owned();
        let imgs = [a.view(), b.view(), c.view()];
        let pairs = PairSet {
            pairs: vec![
                Pair {
                    primary: 0,
                    secondary: 1,
                },
                Pair {
                    primary: 1,
                    secondary: 2,
                },
            ],
            interval_days: 12.0,
        };
        let (t, step, r) = (16, 6, 5);
        let params = TrackParams::new()
            .template_px(t)
            .step_px(step)
            .search(SearchRadius::Pixels(r));
        let grid = Grid::north_up(rows, cols, 0.0, 0.0, 10.0, 10.0, sar_core::Crs::epsg(32632));
        let whole = track(&imgs, &grid, &pairs, &params, None).unwrap();
        let mut ox = Array2::from_elem(whole.offset_x_px.shape(), f64::NAN);
        let mut oy = ox.clone();
        let mut snr = ox.clone();
        for tile in velocity_tiles(rows, cols, t, step, r, (4, 5)).unwrap() {
            let sl = s![
                tile.row0..tile.row0 + tile.rows,
                tile.col0..tile.col0 + tile.cols
            ];
            let views = [a.slice(sl), b.slice(sl), c.slice(sl)];
            let g = grid
                .window(tile.row0, tile.col0, tile.rows, tile.cols)
                .unwrap();
            let Ok(part) = track(&views, &g, &pairs, &params, None) else {
                continue; // a tile of edge cells only: NaN as in the whole run
            };
            let (di, dj) = tile.cell_offset(step);
            let src = s![di..di + tile.cell_rows, dj..dj + tile.cell_cols];
            let dst = s![
                tile.cell_row0..tile.cell_row0 + tile.cell_rows,
                tile.cell_col0..tile.cell_col0 + tile.cell_cols
            ];
            ox.slice_mut(dst).assign(&part.offset_x_px.data.slice(src));
            oy.slice_mut(dst).assign(&part.offset_y_px.data.slice(src));
            snr.slice_mut(dst).assign(&part.snr_db.data.slice(src));
        }
        let valid = whole
            .offset_x_px
            .data
            .iter()
            .filter(|v| v.is_finite())
            .count();
        assert!(valid > 50, "{valid} valid cells");
        for (w, s) in [
            (&whole.offset_x_px.data, &ox),
            (&whole.offset_y_px.data, &oy),
            (&whole.snr_db.data, &snr),
        ] {
            for (x, y) in w.iter().zip(s.iter()) {
                assert_eq!(x.is_nan(), y.is_nan());
                if x.is_finite() {
                    assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{x} vs {y}");
                }
            }
        }
        // the shift is recovered (analytic truth): image k + 1 is image k
        // moved up 3 rows and left 2 columns, so every offset is (−3, −2) px
        for (o, truth) in [(&oy, -3.0), (&ox, -2.0)] {
            for v in o.iter().filter(|v| v.is_finite()) {
                assert!((v - truth).abs() < 0.05, "{v} vs {truth}");
            }
        }
    }
}
