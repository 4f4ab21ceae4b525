#!/usr/bin/env python3
"""Optimal costs of phase-unwrap residue networks from OR-Tools' SimpleMinCostFlow.

Reads networks in the text format of `phase_unwrap::Network::to_text`
(crates/phase-unwrap/src/network.rs), builds the same dual network
independently of the Rust code (loops + one ground node, grounded loops
merged into the ground, convex edge costs expanded into unit-capacity arcs
of increasing cost), solves it with OR-Tools and appends `optimal_cost <c>`
to each file. The Rust test `tests/optimality.rs` compares its solver's
total cost with that value.

`--random N` first writes N random networks (numpy seed 2026) of 3..30 pixels
a side with random holes, residue densities 2-30 % (charges +-1, a few +-2)
and random first-unit costs 0..2000.

Usage:
  /work/venvs/unwrap/bin/python tools/reference/unwrap_ortools.py --random 24 crates/phase-unwrap/tests/data/networks
  (synthetic networks first: cargo run -p phase-unwrap --example dump_networks)
"""
import argparse
import glob
import os

import numpy as np
from ortools.graph.python import min_cost_flow

K = 8  # unit arcs per direction; the last one is uncapacitated


def parse(path):
    d = {}
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, *vals = line.split()
        d[key] = vals
    rows, cols = map(int, d["network"])
    arr = lambda k: np.array(d[k], dtype=np.int64)
    return rows, cols, arr("grounded").astype(bool), arr("supply"), arr("h_plus"), arr("h_minus"), arr("v_plus"), arr("v_minus")


def solve(path):
    rows, cols, grounded, supply, hp, hm, vp, vm = parse(path)
    lr, lc = rows - 1, cols - 1
    ground = lr * lc
    node = lambda i, j: ground if (i < 0 or j < 0 or i >= lr or j >= lc or grounded[i * lc + j]) else i * lc + j
    smcf = min_cost_flow.SimpleMinCostFlow()
    big = int(np.abs(supply).sum()) + 1
    last_arcs = []

    def edge(a, b, p, m):  # + flow goes from loop a to loop b
        if a == b:
            return
        for (u, v, c1) in ((a, b, p), (b, a, m)):
            for k in range(1, K + 1):
                cap = 1 if k < K else big
                arc = smcf.add_arc_with_capacity_and_unit_cost(u, v, cap, int(c1 + (k - 1) * (p + m)))
                if k == K and p + m > 0:  # with p + m = 0 every unit costs 0: exact anyway
                    last_arcs.append(arc)

    for i in range(rows):
        for j in range(lc):
            e = i * lc + j
            edge(node(i, j), node(i - 1, j), hp[e], hm[e])
    for i in range(lr):
        for j in range(cols):
            e = i * cols + j
            edge(node(i, j - 1), node(i, j), vp[e], vm[e])
    for k in range(lr * lc):
        smcf.set_node_supply(k, int(supply[k]))
    smcf.set_node_supply(ground, int(-supply.sum()))
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"{path}: status {status}")
    if any(smcf.flow(a) > 0 for a in last_arcs):
        raise RuntimeError(f"{path}: a flow reached {K} units; raise K for an exact expansion")
    return smcf.optimal_cost()


def write_random(n, outdir):
    rng = np.random.default_rng(2026)
    for t in range(n):
        rows, cols = rng.integers(3, 31, size=2)
        lr, lc = rows - 1, cols - 1
        grounded = rng.random(lr * lc) < rng.choice([0.0, 0.05, 0.2])
        dens = rng.uniform(0.02, 0.3)
        supply = np.where(rng.random(lr * lc) < dens, rng.choice([-1, 1], size=lr * lc), 0)
        twos = rng.random(lr * lc) < 0.01
        supply[twos] *= 2
        supply[grounded] = 0
        nh, nv = rows * lc, lr * cols
        costs = [rng.integers(0, 2001, size=m) * (rng.random(m) > 0.05) for m in (nh, nh, nv, nv)]
        if t % 4 == 0:  # symmetric costs
            costs[1], costs[3] = costs[0].copy(), costs[2].copy()
        path = os.path.join(outdir, f"random_{t:02d}.txt")
        with open(path, "w") as f:
            f.write(f"# random network {t} from tools/reference/unwrap_ortools.py (numpy seed 2026)\n")
            f.write(f"network {rows} {cols}\n")
            for key, v in zip(["grounded", "supply", "h_plus", "h_minus", "v_plus", "v_minus"],
                              [grounded.astype(int), supply] + costs):
                f.write(key + " " + " ".join(str(int(x)) for x in v) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--random", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    if a.random:
        write_random(a.random, a.dir)
    for path in sorted(glob.glob(os.path.join(a.dir, "*.txt"))):
        lines = [l for l in open(path) if not l.startswith("optimal_cost")]
        with open(path, "w") as f:
            f.writelines(lines)
        cost = solve(path)
        with open(path, "a") as f:
            f.write(f"optimal_cost {cost}\n")
        print(os.path.basename(path), cost)


if __name__ == "__main__":
    main()
