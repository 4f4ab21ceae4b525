//! Input preparation, whole-image and tiled solving, and the mosaic.
//!
//! ## Tiled mode
//!
//! Tiles of side `T` start every `T − O` pixels (`O` the overlap), the last
//! one flush with the image edge. Each tile is unwrapped on its own (its edge
//! is its ground), in parallel within one row of tiles; only two rows of
//! tiles are held at a time, so the working memory is bounded by
//! `2 × image width × T` besides the output. Every pixel of the mosaic comes
//! from the tile whose **core** holds it (the tile minus half the overlap on
//! each inner side). Tiles are reconciled by one integer cycle offset per
//! (tile, component): every pixel valid in two overlapping tiles votes for
//! the difference of their cycles; pairs are joined in decreasing order of
//! their majority vote's support (a maximum spanning forest, solved with a
//! weighted union–find), so every component of the mosaic gets a consistent
//! offset and its integer cycles join without a step at tile borders.
//! Components of the mosaic are the connected components of the whole
//! image (adjacent pixels always share a tile because the overlap is at
//! least 2 pixels), each referenced to its first pixel in raster order,
//! exactly as in the whole-image mode.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::Array2;

use crate::cost::{build_problem, noise_variance};
use crate::error::UnwrapError;
use crate::integrate::integrate;
use crate::params::UnwrapParams;
use crate::Unwrapped;

/// Largest |phase| (rad) accepted as data; larger values (fill values such
/// as −3.4e38) are no-data.
pub const MAX_ABS_PHASE: f64 = 1e6;

pub(crate) struct Prepared {
    pub rows: usize,
    pub cols: usize,
    pub w: Vec<f64>,
    pub valid: Vec<bool>,
    pub s2: Vec<f32>,
}

pub(crate) fn prepare(
    phase: &Array2<f64>,
    coherence: Option<&Array2<f64>>,
    mask: Option<&Array2<bool>>,
    params: &UnwrapParams,
) -> Result<Prepared, UnwrapError> {
    let (rows, cols) = phase.dim();
    if rows == 0 || cols == 0 {
        return Err(UnwrapError::EmptyInput { rows, cols });
    }
    if let Some(c) = coherence {
        if c.dim() != (rows, cols) {
            return Err(UnwrapError::ShapeMismatch {
                what: "coherence",
                expected: (rows, cols),
                found: c.dim(),
            });
        }
    }
    if let Some(m) = mask {
        if m.dim() != (rows, cols) {
            return Err(UnwrapError::ShapeMismatch {
                what: "mask",
                expected: (rows, cols),
                found: m.dim(),
            });
        }
    }
    let n = rows * cols;
    let mut w = Vec::with_capacity(n);
    let mut valid = Vec::with_capacity(n);
    let mut s2 = Vec::with_capacity(n);
    let default_s2 = noise_variance(params.assumed_coherence, params.looks) as f32;
    for ((i, j), &p) in phase.indexed_iter() {
        let mut ok = p.is_finite() && p.abs() <= MAX_ABS_PHASE;
        if let Some(m) = mask {
            ok &= m[[i, j]];
        }
        let mut var = default_s2;
        if let Some(c) = coherence {
            let g = c[[i, j]];
            ok &= g.is_finite() && (0.0..=1.0 + 1e-6).contains(&g);
            var = noise_variance(g, params.looks) as f32;
        }
        w.push(if ok {
            p - 2.0 * PI * (p / (2.0 * PI)).round()
        } else {
            0.0
        });
        valid.push(ok);
        s2.push(var);
    }
    if !valid.iter().any(|&v| v) {
        return Err(UnwrapError::NoValidPixels { pixels: n });
    }
    Ok(Prepared {
        rows,
        cols,
        w,
        valid,
        s2,
    })
}

/// Result of one block (tile or whole image).
pub(crate) struct BlockOut {
    pub cycles: Vec<i32>,
    pub labels: Vec<u32>,
    pub n_comp: usize,
    pub residues: usize,
    pub cost: i64,
}

fn solve_block(
    prep: &Prepared,
    r0: usize,
    c0: usize,
    nr: usize,
    nc: usize,
    params: &UnwrapParams,
    progress: &dyn Fn(usize, usize),
) -> Result<BlockOut, UnwrapError> {
    let mut w = Vec::with_capacity(nr * nc);
    let mut valid = Vec::with_capacity(nr * nc);
    let mut s2 = Vec::with_capacity(nr * nc);
    for i in r0..r0 + nr {
        let a = i * prep.cols + c0;
        w.extend_from_slice(&prep.w[a..a + nc]);
        valid.extend_from_slice(&prep.valid[a..a + nc]);
        s2.extend_from_slice(&prep.s2[a..a + nc]);
    }
    let problem = build_problem(&w, &valid, &s2, nr, nc, params.gradient_half_window);
    let residues = problem.network.residues();
    let (flows, stats) = problem.network.solve_with_progress(progress)?;
    drop(problem.network);
    let kh: Vec<i32> = problem
        .k0_h
        .iter()
        .zip(&flows.h)
        .map(|(&k, &f)| k as i32 + f)
        .collect();
    let kv: Vec<i32> = problem
        .k0_v
        .iter()
        .zip(&flows.v)
        .map(|(&k, &f)| k as i32 + f)
        .collect();
    let integ = integrate(&valid, nr, nc, &kh, &kv);
    Ok(BlockOut {
        n_comp: integ.references.len(),
        cycles: integ.cycles,
        labels: integ.labels,
        residues,
        cost: stats.total_cost,
    })
}

/// Tile starts along one axis of length `len` for tile side `t` and overlap `o`.
pub(crate) fn tile_starts(len: usize, t: usize, o: usize) -> Vec<usize> {
    if len <= t {
        return vec![0];
    }
    let step = t - o;
    let mut v = vec![0];
    loop {
        let s = *v.last().expect("non-empty");
        if s + t >= len {
            break;
        }
        v.push((s + step).min(len - t));
    }
    v
}

/// Core range `[lo, hi)` of tile `k` along one axis.
fn core(starts: &[usize], k: usize, t: usize, len: usize) -> (usize, usize) {
    let end = |i: usize| (starts[i] + t).min(len);
    let lo = if k == 0 {
        0
    } else {
        (starts[k] + end(k - 1)) / 2
    };
    let hi = if k + 1 == starts.len() {
        len
    } else {
        (starts[k + 1] + end(k)) / 2
    };
    (lo, hi)
}

struct Tile {
    r0: usize,
    c0: usize,
    nr: usize,
    nc: usize,
    base: u32,
    out: BlockOut,
}

/// Weighted union–find: `rel[x] = off[x] − off[parent[x]]`.
struct OffsetForest {
    parent: Vec<u32>,
    rel: Vec<i64>,
}

impl OffsetForest {
    fn new(n: usize) -> Self {
        OffsetForest {
            parent: (0..n as u32).collect(),
            rel: vec![0; n],
        }
    }

    /// Root of `x` and `off[x] − off[root]`.
    fn find(&mut self, x: u32) -> (u32, i64) {
        let mut path = Vec::new();
        let mut r = x;
        while self.parent[r as usize] != r {
            path.push(r);
            r = self.parent[r as usize];
        }
        // Compress: walk from the node nearest the root outwards.
        let mut acc = 0i64;
        for &p in path.iter().rev() {
            acc += self.rel[p as usize];
            self.rel[p as usize] = acc;
            self.parent[p as usize] = r;
        }
        (r, if x == r { 0 } else { self.rel[x as usize] })
    }

    /// Impose `off[a] − off[b] = x` unless `a`, `b` are already joined.
    fn union(&mut self, a: u32, b: u32, x: i64) {
        let (ra, oa) = self.find(a);
        let (rb, ob) = self.find(b);
        if ra == rb {
            return;
        }
        // off[rb] − off[ra] = oa − x − ob
        self.parent[rb as usize] = ra;
        self.rel[rb as usize] = oa - x - ob;
    }
}

fn finish(
    prep: &Prepared,
    cycles: Vec<i32>,
    labels: Vec<u32>,
    n_comp: usize,
    residues: usize,
    cost: i64,
    tiles: usize,
) -> Unwrapped {
    let (rows, cols) = (prep.rows, prep.cols);
    let mut references = vec![(0usize, 0usize); n_comp];
    let mut seen = vec![false; n_comp];
    for (p, &l) in labels.iter().enumerate() {
        if l > 0 && !seen[l as usize - 1] {
            seen[l as usize - 1] = true;
            references[l as usize - 1] = (p / cols, p % cols);
        }
    }
    let phase = Array2::from_shape_fn((rows, cols), |(i, j)| {
        let p = i * cols + j;
        if prep.valid[p] {
            prep.w[p] + 2.0 * PI * cycles[p] as f64
        } else {
            f64::NAN
        }
    });
    Unwrapped {
        phase,
        cycles: Array2::from_shape_vec((rows, cols), cycles).expect("rows × cols cycles"),
        components: Array2::from_shape_vec((rows, cols), labels).expect("rows × cols labels"),
        n_components: n_comp,
        references,
        residues,
        total_cost: cost,
        tiles,
    }
}

#[cfg(feature = "rayon")]
fn map_tiles<F>(jobs: &[(usize, usize, usize, usize)], f: F) -> Vec<Result<BlockOut, UnwrapError>>
where
    F: Fn(&(usize, usize, usize, usize)) -> Result<BlockOut, UnwrapError> + Sync + Send,
{
    use rayon::prelude::*;
    jobs.par_iter().map(f).collect()
}

#[cfg(not(feature = "rayon"))]
fn map_tiles<F>(jobs: &[(usize, usize, usize, usize)], f: F) -> Vec<Result<BlockOut, UnwrapError>>
where
    F: Fn(&(usize, usize, usize, usize)) -> Result<BlockOut, UnwrapError> + Sync + Send,
{
    jobs.iter().map(f).collect()
}

pub(crate) fn run(
    prep: &Prepared,
    params: &UnwrapParams,
    parallel: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Unwrapped, UnwrapError> {
    let (rows, cols) = (prep.rows, prep.cols);
    let t = params.tile_size.unwrap_or(usize::MAX);
    if rows <= t && cols <= t {
        // One block: progress in units of flow (residue charge) sent.
        let out = solve_block(prep, 0, 0, rows, cols, params, progress)?;
        return Ok(finish(
            prep,
            out.cycles,
            out.labels,
            out.n_comp,
            out.residues,
            out.cost,
            1,
        ));
    }
    let o = params.tile_overlap;
    let rs = tile_starts(rows, t, o);
    let cs = tile_starts(cols, t, o);
    let total = rs.len() * cs.len();
    let done = AtomicUsize::new(0);
    progress(0, total);
    let mut out_cycles = vec![0i32; rows * cols];
    let mut out_node = vec![0u32; rows * cols];
    let mut votes: HashMap<(u32, u32, i32), u64> = HashMap::new();
    let mut prev: Vec<Tile> = Vec::new();
    let mut next_base = 0u32;
    let (mut residues, mut cost) = (0usize, 0i64);
    for (ti, &r0) in rs.iter().enumerate() {
        let nr = t.min(rows - r0);
        let jobs: Vec<(usize, usize, usize, usize)> = cs
            .iter()
            .map(|&c0| (r0, c0, nr, t.min(cols - c0)))
            .collect();
        let solve = |&(r0, c0, nr, nc): &(usize, usize, usize, usize)| {
            let r = solve_block(prep, r0, c0, nr, nc, params, &|_, _| {});
            progress(done.fetch_add(1, Ordering::SeqCst) + 1, total);
            r
        };
        let results = if parallel {
            map_tiles(&jobs, solve)
        } else {
            jobs.iter().map(solve).collect()
        };
        let mut row: Vec<Tile> = Vec::with_capacity(jobs.len());
        for (&(r0, c0, nr, nc), res) in jobs.iter().zip(results) {
            let out = res?;
            let base = next_base;
            next_base =
                next_base
                    .checked_add(out.n_comp as u32)
                    .ok_or(UnwrapError::InvalidParameter {
                        name: "tile_size",
                        reason: "more than 2^32 tile components; use larger tiles".into(),
                    })?;
            residues += out.residues;
            cost += out.cost;
            row.push(Tile {
                r0,
                c0,
                nr,
                nc,
                base,
                out,
            });
        }
        // Cores into the mosaic.
        for (tj, tile) in row.iter().enumerate() {
            let (rlo, rhi) = core(&rs, ti, t, rows);
            let (clo, chi) = core(&cs, tj, t, cols);
            for i in rlo..rhi {
                for j in clo..chi {
                    let q = (i - tile.r0) * tile.nc + (j - tile.c0);
                    let l = tile.out.labels[q];
                    let p = i * cols + j;
                    if l > 0 {
                        out_cycles[p] = tile.out.cycles[q];
                        out_node[p] = tile.base + l;
                    }
                }
            }
        }
        // Votes between overlapping tiles: left neighbours and the previous row.
        let mut vote = |a: &Tile, b: &Tile| {
            let (i0, i1) = (a.r0.max(b.r0), (a.r0 + a.nr).min(b.r0 + b.nr));
            let (j0, j1) = (a.c0.max(b.c0), (a.c0 + a.nc).min(b.c0 + b.nc));
            for i in i0..i1 {
                for j in j0..j1 {
                    let qa = (i - a.r0) * a.nc + (j - a.c0);
                    let qb = (i - b.r0) * b.nc + (j - b.c0);
                    let (la, lb) = (a.out.labels[qa], b.out.labels[qb]);
                    if la > 0 && lb > 0 {
                        let d = a.out.cycles[qa] - b.out.cycles[qb];
                        *votes
                            .entry((a.base + la - 1, b.base + lb - 1, d))
                            .or_insert(0) += 1;
                    }
                }
            }
        };
        for tj in 0..row.len() {
            if tj > 0 {
                vote(&row[tj - 1], &row[tj]);
            }
            for p in &prev {
                vote(p, &row[tj]);
            }
        }
        prev = row;
    }
    // Majority difference per pair, then a maximum spanning forest.
    let mut best: HashMap<(u32, u32), (u64, i32)> = HashMap::new();
    for (&(a, b, d), &n) in &votes {
        let e = best.entry((a, b)).or_insert((0, 0));
        if n > e.0 || (n == e.0 && (d.abs(), d) < (e.1.abs(), e.1)) {
            *e = (n, d);
        }
    }
    let mut pairs: Vec<((u32, u32), (u64, i32))> = best.into_iter().collect();
    pairs.sort_by(|x, y| y.1 .0.cmp(&x.1 .0).then(x.0.cmp(&y.0)));
    let mut forest = OffsetForest::new(next_base as usize);
    for ((a, b), (_, d)) in pairs {
        // cyc_a + off_a = cyc_b + off_b  ⇒  off_a − off_b = −d
        forest.union(a, b, -(d as i64));
    }
    // Apply offsets, label components by first pixel, reference them.
    let mut root_label: HashMap<u32, u32> = HashMap::new();
    let mut ref_cycles: Vec<i32> = Vec::new();
    let mut labels = vec![0u32; rows * cols];
    for p in 0..rows * cols {
        let node = out_node[p];
        if node == 0 {
            continue;
        }
        let (root, off) = forest.find(node - 1);
        let c = out_cycles[p] as i64 + off;
        let next = root_label.len() as u32 + 1;
        let l = *root_label.entry(root).or_insert(next);
        if l as usize > ref_cycles.len() {
            ref_cycles.push(c as i32);
        }
        labels[p] = l;
        out_cycles[p] = (c - ref_cycles[l as usize - 1] as i64) as i32;
    }
    let n_comp = root_label.len();
    Ok(finish(
        prep, out_cycles, labels, n_comp, residues, cost, total,
    ))
}
