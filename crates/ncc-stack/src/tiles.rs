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
//! the same template and search window as the whole-image run. Cells whose
//! window crosses the image edge are edge cells in both runs.
//!
//! That alone gives the same surfaces only up to rounding: ncc-stack
//! correlates the cells in **pairs** `(i, 2k)` and `(i, 2k + 1)` of one
//! template-grid row (a row with an odd number of cells ends with a cell
//! alone). The two cells' templates and windows share packed FFTs (two real
//! images as the real and imaginary parts of one complex FFT) and their
//! image pairs share inverse FFTs, so the last bits of a cell's surface —
//! and at times of its sub-pixel peak (≈ 1e-16 px) — depend on its
//! partner's pixels. The plans therefore keep every cell's partner:
//! * a tile starts on a multiple of `2·s` (an even cell index), so cell
//!   `j` of the image is cell `j − col0/s` of the tile, of the same parity:
//!   the tile pairs its cells as the whole image does;
//! * a tile holds the footprint of its delivered cells widened to whole
//!   pairs (cells `[2⌊a/2⌋, 2⌈b/2⌉)`, clipped to the grid), so each
//!   partner has the same template and search window in the tile — or,
//!   if its footprint crosses the image edge, the tile reaches that edge
//!   and the partner is an edge cell in both runs; a last unpaired cell of
//!   an odd row is alone in both (the tile then ends at the image edge).
//!
//! Every FFT a delivered cell takes part in then gets the same numbers in
//! the same order, so the stitched cells equal the whole-image run **bit
//! for bit**: offsets, SNR, peak, pair counts, status and no-data cells
//! (tested for odd and even cell counts and tile sizes). Rows need only the
//! step alignment (pairs never span rows); [`footprint_extent`] applies the
//! pair rule to both axes, as one function serves rows and columns. This
//! holds for ZNCC without oversampling (a whole-image FFT) or a prior
//! (which moves the search windows).
//!
//! **Neighbourhood filters**: the halo a tile needs on each side so that
//! its interior equals the whole-image result is the filter's radius:
//! [`TERRAIN_HALO_PX`] for slope/aspect (3 × 3 stencils), `k/2` for a
//! `k × k` Gaussian high-pass ([`highpass_halo_px`]).

use crate::error::{NccError, Result};
use crate::track::BATCH;

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
    /// First image row of the tile (a multiple of twice the step).
    pub row0: usize,
    /// First image column of the tile (a multiple of twice the step: an
    /// even cell column, see the module docs).
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
/// search footprint of template-grid cells `[a, b)` and of their batch
/// partners (step `step`, template `t`, search radius `r`, `n` pixels):
/// the cells are widened to whole pairs `[2⌊a/2⌋, 2⌈b/2⌉)`, clipped to the
/// grid's `n / step` cells, and `start` is a multiple of `2·step`; see the
/// module docs for why the cells then equal the whole-image run bit for
/// bit.
///
/// ```
/// use ncc_stack::tiles::footprint_extent;
/// // cells 4..8 of a 16 px grid, 48 px templates, ±16 px search, 512 px:
/// // pixels 32..160 hold cells 4..8, whose partners are among them
/// assert_eq!(footprint_extent(4, 8, 512, 48, 16, 16), (32, 160));
/// // cells 5..8: cell 5's partner 4 is held too (from px 32, not 48)
/// assert_eq!(footprint_extent(5, 8, 512, 48, 16, 16), (32, 160));
/// // cells 4..7: cell 6's partner 7 reads up to px 160
/// assert_eq!(footprint_extent(4, 7, 512, 48, 16, 16), (32, 160));
/// // the last cell of an odd count (31 cells of 16 px in 500 px) is alone
/// assert_eq!(footprint_extent(30, 31, 500, 48, 16, 16).1, 500);
/// ```
pub fn footprint_extent(
    a: usize,
    b: usize,
    n: usize,
    t: usize,
    step: usize,
    r: usize,
) -> (usize, usize) {
    // whole batch pairs, clipped to the grid (never below the cells asked for)
    let cells = (n / step).max(b);
    let a = a - a % BATCH;
    let b = b.div_ceil(BATCH).saturating_mul(BATCH).min(cells);
    let align = BATCH * step;
    let hs = step / 2;
    let first = (a * step + hs) as isize - (t / 2) as isize - r as isize;
    let last = ((b - 1) * step + hs) as isize - (t / 2) as isize + (t + r) as isize;
    let start = if first <= 0 {
        0
    } else {
        (first as usize / align) * align
    };
    let end = (last.max(0) as usize).max(b * step).min(n);
    (start, end)
}

/// Splits the template grid of an image of `rows × cols` pixels (template
/// `template_px`, step `step_px`, search radius `search_px`, ZNCC without
/// oversampling or prior) into tiles of at most `tile_cells` template-grid
/// cells `(rows, cols)`. Each tile starts on an even cell (a multiple of
/// `2·step` px) and holds the footprints of its cells and of their batch
/// partners ([`footprint_extent`]); see the module docs for why the
/// stitched cells then equal the whole-image run bit for bit.
///
/// # Errors
/// [`NccError::InvalidParameter`] for a zero step, template or tile size.
///
/// ```
/// use ncc_stack::tiles::velocity_tiles;
/// // 512 × 512 px, 48 px templates every 16 px, ±16 px search, 4 × 4 tiles
/// let tiles = velocity_tiles(512, 512, 48, 16, 16, (8, 8))?;
/// assert_eq!(tiles.len(), 16);
/// assert!(tiles.iter().all(|t| t.row0 % 32 == 0 && t.col0 % 32 == 0));
/// // tiles of 5 × 5 cells: the tile delivering columns 5..10 also holds
/// // cell 4, the partner of cell 5, whose footprint starts at
/// // 4·16 + 8 − 24 − 16 = 32 px (cell 5's alone would start at 48 px)
/// let odd = velocity_tiles(512, 512, 48, 16, 16, (5, 5))?;
/// let t = odd.iter().find(|t| t.cell_row0 == 0 && t.cell_col0 == 5).unwrap();
/// assert_eq!((t.col0, t.cell_offset(16)), (32, (0, 3)));
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
            (90, 97, 15, 4, 2, (7, 5)),
        ] {
            let tiles = velocity_tiles(rows, cols, t, step, r, tc).unwrap();
            let (nr, nc) = (rows / step, cols / step);
            let mut hit = Array2::<u8>::zeros((nr, nc));
            for tile in &tiles {
                // even cell rows and columns (batch pairs, see the module docs)
                assert_eq!(tile.row0 % (2 * step), 0);
                assert_eq!(tile.col0 % (2 * step), 0);
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
                // every delivered cell's batch partner (j ^ 1, if on the
                // grid) is a cell of the tile's grid, with its footprint,
                // clipped to the image, inside the tile
                for j in tile.cell_col0..tile.cell_col0 + tile.cell_cols {
                    let p = j ^ 1;
                    if p >= nc {
                        continue;
                    }
                    let j0 = tile.col0 / step;
                    assert!(p >= j0 && p - j0 < tile.cols / step, "partner {p} of {j}");
                    let left = (p * step + step / 2) as isize - (t / 2) as isize - r as isize;
                    let right = left + (t + 2 * r) as isize;
                    assert!(left.max(0) as usize >= tile.col0, "partner {p} of {j}");
                    assert!((right.min(cols as isize) as usize) <= tile.col0 + tile.cols);
                }
            }
            assert!(hit.iter().all(|&h| h == 1), "every cell exactly once");
        }
        assert!(velocity_tiles(10, 10, 4, 0, 1, (1, 1)).is_err());
        assert!(velocity_tiles(10, 10, 4, 2, 1, (0, 1)).is_err());
    }

    /// Speckle-like images with a known shift: the stitched tiled run
    /// equals the whole-image run cell by cell, bit for bit.
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
                // bit for bit (see the module docs)
                assert!(
                    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    "{x} vs {y}"
                );
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

    /// Every delivered cell of a stitched tiled run is bit for bit the
    /// whole-image run's (offsets, SNR, peak, NaN positions, pair counts and
    /// status), for odd and even cell counts, tile sizes, templates and
    /// steps, one pair (two templates share a packed FFT) and a chain of
    /// pairs, with a no-data patch; the whole run uses rayon, the tiles run
    /// serially.
    #[test]
    fn stitched_tiles_are_bit_identical_to_the_whole_image_run() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(2024);
        let mut exact_cells = 0;
        for &(rows, cols, t, step, r, tc, n_img) in &[
            (
                150usize,
                131usize,
                16usize,
                6usize,
                5usize,
                (4usize, 5usize),
                3usize,
            ),
            (100, 77, 16, 8, 4, (3, 3), 2),
            (96, 90, 12, 6, 3, (5, 1), 3),
            (64, 70, 11, 5, 7, (2, 3), 2),
            (90, 97, 15, 4, 2, (7, 6), 3),
        ] {
            let base = Array2::from_shape_fn((rows + 8, cols + 8), |_| rng.gen::<f64>());
            let mut imgs: Vec<Array2<f64>> = (0..n_img)
                .map(|k| {
                    base.slice(s![2 * k..rows + 2 * k, k..cols + k])
                        .mapv(|v| v + 0.3 * rng.gen::<f64>())
                })
                .collect();
            // a no-data patch in one image
            imgs[1]
                .slice_mut(s![rows / 2..rows / 2 + 4, 10..17])
                .fill(f64::NAN);
            let pairs = PairSet {
                pairs: (0..n_img - 1)
                    .map(|k| Pair {
                        primary: k,
                        secondary: k + 1,
                    })
                    .collect(),
                interval_days: 12.0,
            };
            let params = TrackParams::new()
                .template_px(t)
                .step_px(step)
                .search(SearchRadius::Pixels(r));
            let grid = Grid::north_up(rows, cols, 0.0, 0.0, 10.0, 10.0, sar_core::Crs::epsg(32632));
            let views: Vec<_> = imgs.iter().map(|a| a.view()).collect();
            let whole = track(&views, &grid, &pairs, &params, None).unwrap();
            let shape = whole.offset_x_px.shape();
            let mut got = [(); 4].map(|_| Array2::from_elem(shape, f64::NAN));
            let mut count = Array2::<u32>::zeros(shape);
            let mut status = Array2::from_elem(shape, crate::TemplateStatus::Edge);
            let mut hit = Array2::<u8>::zeros(shape);
            let serial = params.clone().parallel(false);
            for tile in velocity_tiles(rows, cols, t, step, r, tc).unwrap() {
                let sl = s![
                    tile.row0..tile.row0 + tile.rows,
                    tile.col0..tile.col0 + tile.cols
                ];
                let tviews: Vec<_> = imgs.iter().map(|a| a.slice(sl)).collect();
                let g = grid
                    .window(tile.row0, tile.col0, tile.rows, tile.cols)
                    .unwrap();
                let dst = s![
                    tile.cell_row0..tile.cell_row0 + tile.cell_rows,
                    tile.cell_col0..tile.cell_col0 + tile.cell_cols
                ];
                hit.slice_mut(dst).mapv_inplace(|v| v + 1);
                let part = match track(&tviews, &g, &pairs, &serial, None) {
                    Ok(p) => p,
                    Err(_) => {
                        // a tile of edge cells only (too small for a template,
                        // or no valid one): no valid cell in the whole run either
                        assert!(whole
                            .status
                            .slice(dst)
                            .iter()
                            .all(|&s| s != crate::TemplateStatus::Valid));
                        status.slice_mut(dst).assign(&whole.status.slice(dst));
                        continue;
                    }
                };
                let (di, dj) = tile.cell_offset(step);
                let src = s![di..di + tile.cell_rows, dj..dj + tile.cell_cols];
                for (o, f) in got.iter_mut().zip([
                    &part.offset_x_px,
                    &part.offset_y_px,
                    &part.snr_db,
                    &part.peak,
                ]) {
                    o.slice_mut(dst).assign(&f.data.slice(src));
                }
                count
                    .slice_mut(dst)
                    .assign(&part.pair_count.data.slice(src));
                status.slice_mut(dst).assign(&part.status.slice(src));
            }
            assert!(hit.iter().all(|&h| h == 1), "every cell exactly once");
            let valid = whole.summary.valid;
            assert!(valid > 40, "{valid} valid cells");
            assert!(whole.summary.nodata > 0, "the no-data patch is seen");
            for (name, w, g) in [
                ("offset_x_px", &whole.offset_x_px.data, &got[0]),
                ("offset_y_px", &whole.offset_y_px.data, &got[1]),
                ("snr_db", &whole.snr_db.data, &got[2]),
                ("peak", &whole.peak.data, &got[3]),
            ] {
                for ((idx, x), y) in w.indexed_iter().zip(g.iter()) {
                    assert!(
                        x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                        "{name} at {idx:?} ({rows}×{cols}, t {t}, step {step}, r {r}, \
                         tiles {tc:?}): whole {x:e} vs tiled {y:e}"
                    );
                }
            }
            assert_eq!(whole.pair_count.data, count);
            assert_eq!(whole.status, status);
            exact_cells += valid;
        }
        assert!(exact_cells > 500, "{exact_cells}");
    }
}
