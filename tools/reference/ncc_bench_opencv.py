#!/usr/bin/env python3
"""OpenCV matchTemplate over the same template grid as ncc-stack, and the
time ratio ours / OpenCV's.

First run the Rust side, which writes the pre-processed images and its own
timings:
    cargo run --release -p ncc-stack --example bench_grid -- /tmp/ncc-bench 1024
then
    /work/pyenv/bin/python tools/reference/ncc_bench_opencv.py /tmp/ncc-bench

The grid is ncc-stack's: template t = 48 px, step 16 px, search ±16 px;
output cell (i, j) has its template's top-left corner at
(i·step + step/2 − t/2, j·step + step/2 − t/2) and is used if the template
plus search window lies inside the image. For each cell and pair, OpenCV's
matchTemplate(window, template, TM_CCOEFF_NORMED) gives the (2r+1)² ZNCC
surface (the same quantity, checked to 1e-5 in the tests); the stack
averages the pair surfaces and takes the arg-max (minMaxLoc), like
ncc-stack with the integer peak.
"""
import json
import os
import sys
import time

import cv2
import numpy as np

d = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ncc-bench"
meta = json.load(open(os.path.join(d, "timings.json")))
n, t, step, r = meta["size"], meta["template"], meta["step"], meta["search"]
imgs = [np.fromfile(os.path.join(d, f"pre_{k}.f32"), dtype="<f4").reshape(n, n) for k in range(meta["images"])]

cells = []
for i in range(n // step):
    for j in range(n // step):
        r0 = i * step + step // 2 - t // 2
        c0 = j * step + step // 2 - t // 2
        if r0 - r >= 0 and c0 - r >= 0 and r0 + t + r <= n and c0 + t + r <= n:
            cells.append((r0, c0))


def run(pairs):
    for r0, c0 in cells:
        acc = None
        for p, s in pairs:
            tpl = imgs[p][r0:r0 + t, c0:c0 + t]
            win = imgs[s][r0 - r:r0 + t + r, c0 - r:c0 + t + r]
            res = cv2.matchTemplate(win, tpl, cv2.TM_CCOEFF_NORMED)
            acc = res if acc is None else acc + res
        cv2.minMaxLoc(acc)


def timed(pairs, reps=5):
    """The fastest of `reps` runs after a warm-up (as the Rust side)."""
    run(pairs)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        run(pairs)
        best = min(best, time.perf_counter() - t0)
    return best


print(f"{len(cells)} templates (ours: {meta['templates']}), {n}x{n}, t={t}, step={step}, r={r}; OpenCV {cv2.__version__}")
stack = [(k, k + 1) for k in range(meta["images"] - 1)]
for threads, label in [(1, "single"), (cv2.getNumberOfCPUs(), "all")]:
    cv2.setNumThreads(threads)
    for name, pairs in [("pair", stack[:1]), ("stack7", stack)]:
        cv = timed(pairs)
        ours = meta[f"{name}_{label}"]
        print(f"{name:7s} {label:6s} threads={threads}: ours {ours:.3f} s, OpenCV {cv:.3f} s, ours/OpenCV = {ours / cv:.2f}")
