//! The residue network: the dual graph of the pixel grid (Costantini 1998).
//!
//! A grid of `rows × cols` pixels has `rows × (cols − 1)` horizontal edges
//! `H(i, j)` from pixel `(i, j)` to `(i, j + 1)` and `(rows − 1) × cols`
//! vertical edges `V(i, j)` from `(i, j)` to `(i + 1, j)`. Its elementary
//! 2 × 2 loops `(i, j)` (top-left pixel `(i, j)`) are the nodes of the dual
//! network; one more node, the **ground**, stands for everything outside the
//! image and for every loop that touches an invalid (masked) pixel.
//!
//! Each edge carries an integer gradient correction, the **flow** `f_e`
//! (in cycles). The circulation of a loop is
//! `k(H(i,j)) + k(V(i,j+1)) − k(H(i+1,j)) − k(V(i,j))`; a positive `f_e`
//! on `H(i, j)` is a flow from loop `(i, j)` to loop `(i − 1, j)`, and on
//! `V(i, j)` a flow from loop `(i, j − 1)` to loop `(i, j)`. The net outflow of
//! a loop must equal its **supply** (minus its residue), so that every
//! corrected loop circulates to zero; the ground's supply balances the total.
//!
//! Costs are convex in the flow: the `k`-th unit in the positive direction
//! of an edge costs `plus + (k − 1)(plus + minus)` and in the negative
//! direction `minus + (k − 1)(plus + minus)` (see [`crate::cost`]). A
//! [`Network`] can be built from an interferogram ([`crate::cost`]), from its
//! parts ([`Network::from_parts`]) or from the text format of
//! [`Network::to_text`], which the OR-Tools reference script reads.

use crate::error::UnwrapError;

/// The dual (residue) network of a `rows × cols` pixel grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// Per loop (`(rows − 1) × (cols − 1)`, row-major): merged into the ground.
    pub(crate) grounded: Vec<bool>,
    /// Per loop: supply (cycles that must leave the loop); 0 on grounded loops.
    pub(crate) supply: Vec<i32>,
    /// Per horizontal edge (`rows × (cols − 1)`): cost of the first unit in + direction.
    pub(crate) h_plus: Vec<u16>,
    /// Per horizontal edge: cost of the first unit in − direction.
    pub(crate) h_minus: Vec<u16>,
    /// Per vertical edge (`(rows − 1) × cols`): cost of the first unit in + direction.
    pub(crate) v_plus: Vec<u16>,
    /// Per vertical edge: cost of the first unit in − direction.
    pub(crate) v_minus: Vec<u16>,
}

/// Flows (cycles) on every edge of a [`Network`], the solver's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flows {
    /// Flow on each horizontal edge `H(i, j)`, index `i × (cols − 1) + j`.
    pub h: Vec<i32>,
    /// Flow on each vertical edge `V(i, j)`, index `i × cols + j`.
    pub v: Vec<i32>,
}

/// Total cost of `f` units on an edge with first-unit costs `plus`, `minus`.
#[inline]
pub(crate) fn edge_cost(plus: u16, minus: u16, f: i32) -> i64 {
    let step = plus as i64 + minus as i64;
    let n = f.unsigned_abs() as i64;
    let first = if f >= 0 { plus as i64 } else { minus as i64 };
    n * first + step * n * (n - 1) / 2
}

impl Network {
    /// A network from its parts; see the module docs for the layout.
    ///
    /// `grounded` and `supply` have one entry per loop
    /// (`(rows − 1) × (cols − 1)`, row-major), the costs one per edge.
    /// Supplies of grounded loops must be 0; the ground's supply is minus
    /// the sum of the others.
    pub fn from_parts(
        rows: usize,
        cols: usize,
        grounded: Vec<bool>,
        supply: Vec<i32>,
        h_costs: (Vec<u16>, Vec<u16>),
        v_costs: (Vec<u16>, Vec<u16>),
    ) -> Result<Self, UnwrapError> {
        if rows == 0 || cols == 0 {
            return Err(UnwrapError::EmptyInput { rows, cols });
        }
        let nl = (rows - 1) * (cols - 1);
        let nh = rows * (cols - 1);
        let nv = (rows - 1) * cols;
        let check = |what: &'static str, found: usize, expected: usize| {
            if found != expected {
                Err(UnwrapError::InvalidParameter {
                    name: what,
                    reason: format!(
                        "has {found} entries, {expected} expected for a {rows} x {cols} grid"
                    ),
                })
            } else {
                Ok(())
            }
        };
        check("grounded", grounded.len(), nl)?;
        check("supply", supply.len(), nl)?;
        check("h_costs", h_costs.0.len(), nh)?;
        check("h_costs", h_costs.1.len(), nh)?;
        check("v_costs", v_costs.0.len(), nv)?;
        check("v_costs", v_costs.1.len(), nv)?;
        if let Some(k) = (0..nl).find(|&k| grounded[k] && supply[k] != 0) {
            return Err(UnwrapError::InvalidParameter {
                name: "supply",
                reason: format!("loop {k} is grounded but has supply {}", supply[k]),
            });
        }
        let total: i64 = supply.iter().map(|&s| s as i64).sum();
        if total.unsigned_abs() > i32::MAX as u64 / 2 {
            return Err(UnwrapError::InvalidParameter {
                name: "supply",
                reason: format!("total supply {total} out of range"),
            });
        }
        Ok(Network {
            rows,
            cols,
            grounded,
            supply,
            h_plus: h_costs.0,
            h_minus: h_costs.1,
            v_plus: v_costs.0,
            v_minus: v_costs.1,
        })
    }

    /// Pixel rows of the grid.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Pixel columns of the grid.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Supplies of the loops (row-major, `(rows − 1) × (cols − 1)`).
    pub fn supply(&self) -> &[i32] {
        &self.supply
    }

    /// Which loops are merged into the ground.
    pub fn grounded(&self) -> &[bool] {
        &self.grounded
    }

    /// Number of residues: loops with a non-zero supply, counted with
    /// multiplicity (a loop of charge ±2 counts twice).
    pub fn residues(&self) -> usize {
        self.supply.iter().map(|s| s.unsigned_abs() as usize).sum()
    }

    /// Supply of the ground node: minus the sum of the loop supplies.
    pub fn ground_supply(&self) -> i64 {
        -self.supply.iter().map(|&s| s as i64).sum::<i64>()
    }

    /// Total cost of `flows` on this network (sum of the convex edge costs).
    pub fn cost(&self, flows: &Flows) -> i64 {
        let h: i64 = (0..self.h_plus.len())
            .map(|e| edge_cost(self.h_plus[e], self.h_minus[e], flows.h[e]))
            .sum();
        let v: i64 = (0..self.v_plus.len())
            .map(|e| edge_cost(self.v_plus[e], self.v_minus[e], flows.v[e]))
            .sum();
        h + v
    }

    /// Whether `flows` satisfies every loop's supply (flow conservation):
    /// for each non-grounded loop, the net outflow equals its supply.
    pub fn is_feasible(&self, flows: &Flows) -> bool {
        let (r, c) = (self.rows, self.cols);
        if flows.h.len() != self.h_plus.len() || flows.v.len() != self.v_plus.len() {
            return false;
        }
        for i in 0..r - 1 {
            for j in 0..c - 1 {
                let k = i * (c - 1) + j;
                if self.grounded[k] {
                    continue;
                }
                let out = flows.h[i * (c - 1) + j] + flows.v[i * c + j + 1]
                    - flows.h[(i + 1) * (c - 1) + j]
                    - flows.v[i * c + j];
                if out != self.supply[k] {
                    return false;
                }
            }
        }
        true
    }

    /// The network as text, the format read by
    /// `tools/reference/unwrap_ortools.py` and [`Network::from_text`]:
    ///
    /// ```text
    /// network <rows> <cols>
    /// grounded <(rows-1)(cols-1) values 0/1>
    /// supply <(rows-1)(cols-1) integers>
    /// h_plus <rows(cols-1) integers>
    /// h_minus <…>
    /// v_plus <(rows-1)cols integers>
    /// v_minus <…>
    /// ```
    ///
    /// Lines starting with `#` and extra `key value` lines are ignored by
    /// [`Network::from_text`] (the reference script appends `optimal_cost`).
    pub fn to_text(&self) -> String {
        fn line<T: std::fmt::Display>(out: &mut String, key: &str, v: impl Iterator<Item = T>) {
            out.push_str(key);
            for x in v {
                out.push(' ');
                out.push_str(&x.to_string());
            }
            out.push('\n');
        }
        let mut s = format!("network {} {}\n", self.rows, self.cols);
        line(&mut s, "grounded", self.grounded.iter().map(|&g| g as u8));
        line(&mut s, "supply", self.supply.iter());
        line(&mut s, "h_plus", self.h_plus.iter());
        line(&mut s, "h_minus", self.h_minus.iter());
        line(&mut s, "v_plus", self.v_plus.iter());
        line(&mut s, "v_minus", self.v_minus.iter());
        s
    }

    /// Parse the text of [`Network::to_text`]; returns the network and the
    /// other `key value` lines (e.g. `optimal_cost`) as pairs.
    pub fn from_text(text: &str) -> Result<(Self, Vec<(String, String)>), UnwrapError> {
        fn nums<T: std::str::FromStr>(line: usize, rest: &str) -> Result<Vec<T>, UnwrapError> {
            rest.split_ascii_whitespace()
                .map(|t| {
                    t.parse::<T>().map_err(|_| UnwrapError::Parse {
                        line,
                        reason: format!("`{t}` is not a valid number here"),
                    })
                })
                .collect()
        }
        let mut shape = None;
        let (mut grounded, mut supply) = (None, None);
        let (mut hp, mut hm, mut vp, mut vm) = (None, None, None, None);
        let mut extra = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let ln = n + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (key, rest) = l.split_once(' ').unwrap_or((l, ""));
            match key {
                "network" => {
                    let v: Vec<usize> = nums(ln, rest)?;
                    if v.len() != 2 {
                        return Err(UnwrapError::Parse {
                            line: ln,
                            reason: "`network` needs rows and cols".into(),
                        });
                    }
                    shape = Some((v[0], v[1]));
                }
                "grounded" => {
                    let v: Vec<u8> = nums(ln, rest)?;
                    grounded = Some(v.into_iter().map(|g| g != 0).collect::<Vec<bool>>());
                }
                "supply" => supply = Some(nums::<i32>(ln, rest)?),
                "h_plus" => hp = Some(nums::<u16>(ln, rest)?),
                "h_minus" => hm = Some(nums::<u16>(ln, rest)?),
                "v_plus" => vp = Some(nums::<u16>(ln, rest)?),
                "v_minus" => vm = Some(nums::<u16>(ln, rest)?),
                _ => extra.push((key.to_string(), rest.trim().to_string())),
            }
        }
        let missing = |what: &str| UnwrapError::Parse {
            line: 0,
            reason: format!("missing `{what}` line"),
        };
        let (rows, cols) = shape.ok_or_else(|| missing("network"))?;
        let net = Network::from_parts(
            rows,
            cols,
            grounded.ok_or_else(|| missing("grounded"))?,
            supply.ok_or_else(|| missing("supply"))?,
            (
                hp.ok_or_else(|| missing("h_plus"))?,
                hm.ok_or_else(|| missing("h_minus"))?,
            ),
            (
                vp.ok_or_else(|| missing("v_plus"))?,
                vm.ok_or_else(|| missing("v_minus"))?,
            ),
        )?;
        Ok((net, extra))
    }
}
