//! The exact minimum-cost-flow solver: successive shortest paths with node
//! potentials on the residue network (Ahuja, Magnanti & Orlin 1993, ch. 9).
//!
//! Each excess node (a residue that must send flow out) starts a Dijkstra
//! search on the residual network with reduced costs
//! $c^\pi(u, v) = c(u, v) + \pi(u) - \pi(v) \ge 0$; the search stops at the
//! first node with a deficit, one unit is sent along the shortest path, and
//! only the potentials of the nodes the search finalised are updated,
//! $\pi(v) \mathrel{+}= d(v) - D$ with $D$ the distance of the deficit.
//! This keeps every residual reduced cost non-negative (the optimality
//! condition), so at the end the flow is optimal; and since residues pair
//! with nearby residues of opposite sign, each search touches only a small
//! neighbourhood: the work grows almost linearly with the number of pixels.
//!
//! Costs are convex (the marginal cost of the `k`-th unit grows with `k`,
//! see [`crate::network`]), and every augmentation sends exactly one unit, so
//! the residual arc of an edge always carries the marginal cost of the next
//! unit: the algorithm is exact for the convex costs as well.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::error::UnwrapError;
use crate::network::{Flows, Network};

/// Counters of one solver run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SolveStats {
    /// Units of flow sent (one per shortest-path search).
    pub augmentations: usize,
    /// Nodes finalised by all searches together (the work done).
    pub scanned: usize,
    /// Total cost of the optimal flow.
    pub total_cost: i64,
}

#[inline]
fn marginal(p: u16, m: u16, f: i32, sgn: i8) -> i64 {
    let (p, m, f) = (p as i64, m as i64, f as i64);
    let step = p + m;
    if sgn > 0 {
        if f >= 0 {
            p + f * step
        } else {
            -(m + (-f - 1) * step)
        }
    } else if f <= 0 {
        m + (-f) * step
    } else {
        -(p + (f - 1) * step)
    }
}

const FLOW_LIMIT: i32 = i32::MAX / 4;

/// Units of flow between two progress reports of [`Network::solve_with_progress`].
const PROGRESS_EVERY: usize = 2048;

struct Solver<'a> {
    net: &'a Network,
    nl: usize,
    nh: usize,
    ground: usize,
    /// Ground arcs: (loop, edge, sign of the flow change for ground → loop).
    ground_adj: Vec<(u32, u32, i8)>,
    flow: Vec<i32>,
    excess: Vec<i32>,
    pot: Vec<i64>,
    dist: Vec<i64>,
    pred_node: Vec<u32>,
    pred_edge: Vec<u32>,
    pred_sgn: Vec<i8>,
    touched: Vec<u32>,
    popped: Vec<u32>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    stats: SolveStats,
}

impl<'a> Solver<'a> {
    fn new(net: &'a Network) -> Self {
        let (rows, cols) = (net.rows, net.cols);
        let (lr, lc) = (rows - 1, cols - 1);
        let nl = lr * lc;
        let nh = rows * lc;
        let nv = lr * cols;
        let ground = nl;
        let mut excess = Vec::with_capacity(nl + 1);
        excess.extend_from_slice(&net.supply);
        excess.push(net.ground_supply() as i32);
        let mut s = Solver {
            net,
            nl,
            nh,
            ground,
            ground_adj: Vec::new(),
            flow: vec![0; nh + nv],
            excess,
            pot: vec![0; nl + 1],
            dist: vec![i64::MAX; nl + 1],
            pred_node: vec![0; nl + 1],
            pred_edge: vec![0; nl + 1],
            pred_sgn: vec![0; nl + 1],
            touched: Vec::new(),
            popped: Vec::new(),
            heap: BinaryHeap::new(),
            stats: SolveStats::default(),
        };
        let mut arcs = [(0usize, 0usize, 0i8); 4];
        for u in 0..nl {
            if net.grounded[u] {
                continue;
            }
            let n = s.arcs(u, &mut arcs);
            for &(v, e, sg) in &arcs[..n] {
                if v == ground {
                    s.ground_adj.push((u as u32, e as u32, -sg));
                }
            }
        }
        s
    }

    /// The four arcs of loop `u`: (neighbour node, global edge, sign).
    #[inline]
    fn arcs(&self, u: usize, out: &mut [(usize, usize, i8); 4]) -> usize {
        let lc = self.net.cols - 1;
        let lr = self.net.rows - 1;
        let cols = self.net.cols;
        let (i, j) = (u / lc, u % lc);
        let g = self.ground;
        let node = |k: usize| if self.net.grounded[k] { g } else { k };
        out[0] = (if i > 0 { node(u - lc) } else { g }, i * lc + j, 1);
        out[1] = (
            if i + 1 < lr { node(u + lc) } else { g },
            (i + 1) * lc + j,
            -1,
        );
        out[2] = (
            if j > 0 { node(u - 1) } else { g },
            self.nh + i * cols + j,
            -1,
        );
        out[3] = (
            if j + 1 < lc { node(u + 1) } else { g },
            self.nh + i * cols + j + 1,
            1,
        );
        4
    }

    #[inline]
    fn cost_of(&self, e: usize, sgn: i8) -> i64 {
        let (p, m) = if e < self.nh {
            (self.net.h_plus[e], self.net.h_minus[e])
        } else {
            (self.net.v_plus[e - self.nh], self.net.v_minus[e - self.nh])
        };
        marginal(p, m, self.flow[e], sgn)
    }

    #[inline]
    fn relax(&mut self, u: usize, du: i64, v: usize, e: usize, sgn: i8) {
        let rc = self.cost_of(e, sgn) + self.pot[u] - self.pot[v];
        debug_assert!(rc >= 0, "negative reduced cost {rc}");
        let nd = du + rc;
        if nd < self.dist[v] {
            if self.dist[v] == i64::MAX {
                self.touched.push(v as u32);
            }
            self.dist[v] = nd;
            self.pred_node[v] = u as u32;
            self.pred_edge[v] = e as u32;
            self.pred_sgn[v] = sgn;
            self.heap.push(Reverse((nd, v as u32)));
        }
    }

    /// One shortest-path search from `s` and one unit of augmentation.
    fn augment_from(&mut self, s: usize) -> Result<(), UnwrapError> {
        self.dist[s] = 0;
        self.touched.push(s as u32);
        self.heap.push(Reverse((0, s as u32)));
        let mut arcs = [(0usize, 0usize, 0i8); 4];
        let mut target = None;
        while let Some(Reverse((d, u))) = self.heap.pop() {
            let u = u as usize;
            if d > self.dist[u] {
                continue;
            }
            self.popped.push(u as u32);
            if u != s && self.excess[u] < 0 {
                target = Some((u, d));
                break;
            }
            if u == self.ground {
                for a in 0..self.ground_adj.len() {
                    let (v, e, sg) = self.ground_adj[a];
                    self.relax(u, d, v as usize, e as usize, sg);
                }
            } else {
                let n = self.arcs(u, &mut arcs);
                for &(v, e, sg) in &arcs[..n] {
                    self.relax(u, d, v, e, sg);
                }
            }
        }
        // The total supply is zero and every arc is uncapacitated, so a
        // deficit is always reachable while an excess remains.
        let (t, big_d) = target.ok_or_else(|| UnwrapError::InvalidParameter {
            name: "supply",
            reason: format!("node {s} has excess but no node with a deficit is reachable"),
        })?;
        self.stats.scanned += self.popped.len();
        for &v in &self.popped {
            let v = v as usize;
            self.pot[v] += self.dist[v] - big_d;
        }
        let mut v = t;
        while v != s {
            let e = self.pred_edge[v] as usize;
            let f = self.flow[e] + self.pred_sgn[v] as i32;
            if f.abs() > FLOW_LIMIT {
                return Err(UnwrapError::FlowOverflow {
                    edge: e,
                    limit: FLOW_LIMIT as i64,
                });
            }
            self.flow[e] = f;
            v = self.pred_node[v] as usize;
        }
        self.excess[s] -= 1;
        self.excess[t] += 1;
        self.stats.augmentations += 1;
        for &v in &self.touched {
            self.dist[v as usize] = i64::MAX;
        }
        self.touched.clear();
        self.popped.clear();
        self.heap.clear();
        Ok(())
    }

    fn run(mut self, progress: &dyn Fn(usize, usize)) -> Result<(Flows, SolveStats), UnwrapError> {
        let total: usize = self.excess.iter().map(|&e| e.max(0) as usize).sum();
        progress(0, total);
        for s in 0..=self.nl {
            while self.excess[s] > 0 {
                self.augment_from(s)?;
                if self.stats.augmentations % PROGRESS_EVERY == 0 {
                    progress(self.stats.augmentations, total);
                }
            }
        }
        progress(total, total);
        let v = self.flow.split_off(self.nh);
        let flows = Flows { h: self.flow, v };
        let mut stats = self.stats;
        stats.total_cost = self.net.cost(&flows);
        Ok((flows, stats))
    }
}

impl Network {
    /// Solve the minimum-cost-flow problem exactly: the flows of least total
    /// cost that satisfy every supply. Deterministic (no randomness, no
    /// parallelism inside one network).
    ///
    /// ```
    /// use phase_unwrap::Network;
    /// // 3 × 3 pixels → 2 × 2 loops; a +1 and a −1 residue side by side.
    /// let net = Network::from_parts(3, 3, vec![false; 4], vec![1, -1, 0, 0],
    ///     (vec![10; 6], vec![10; 6]), (vec![10; 6], vec![10; 6]))?;
    /// let (flows, stats) = net.solve()?;
    /// assert_eq!(stats.total_cost, 10); // one unit across the shared edge
    /// assert!(net.is_feasible(&flows));
    /// # Ok::<(), phase_unwrap::UnwrapError>(())
    /// ```
    pub fn solve(&self) -> Result<(Flows, SolveStats), UnwrapError> {
        Solver::new(self).run(&|_, _| {})
    }

    /// [`Network::solve`] reporting progress: `progress(sent, total)` with
    /// the units of flow sent so far and the total to send (the sum of the
    /// positive supplies, ground included), at the start, every 2048 units
    /// and at the end. The result equals [`Network::solve`]'s.
    pub fn solve_with_progress(
        &self,
        progress: &dyn Fn(usize, usize),
    ) -> Result<(Flows, SolveStats), UnwrapError> {
        Solver::new(self).run(progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marginal_costs_are_convex_and_undo_exactly() {
        for (p, m) in [(3u16, 7u16), (0, 5), (9, 0), (0, 0)] {
            for f in -4..=4 {
                // pushing +1 then −1 returns the cost
                assert_eq!(marginal(p, m, f, 1), -marginal(p, m, f + 1, -1));
                // convexity: the next unit costs at least as much
                assert!(marginal(p, m, f + 1, 1) >= marginal(p, m, f, 1));
                assert_eq!(
                    crate::network::edge_cost(p, m, f + 1) - crate::network::edge_cost(p, m, f),
                    marginal(p, m, f, 1)
                );
            }
        }
    }
}
