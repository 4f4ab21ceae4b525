#!/usr/bin/env python3
"""Accuracy and speed of phase-unwrap against SNAPHU and whirlwind on the same inputs.

The Rust example `unwrap_compare` (crates/phase-unwrap/examples) generates the
synthetic interferograms (phase_unwrap::synthetic), unwraps them with
phase-unwrap, times that, and writes the arrays; this script then runs
SNAPHU (snaphu-py, cost="smooth", init="mcf") and whirlwind (whirlwind-insar,
defaults) on exactly those arrays, each in its own child process (time and
peak memory of the child), and scores all three against the truth: the
fraction of valid pixels whose integer cycle is right up to one offset per
connected component of the valid pixels (the same components for all tools).

Setup:  python3 -m venv /work/venvs/unwrap && /work/venvs/unwrap/bin/pip install snaphu whirlwind-insar ortools numpy
Usage:  /work/venvs/unwrap/bin/python tools/reference/unwrap_compare.py --sizes 256 --seeds 1 2 \
            [--cases steep holes] [--fixture crates/phase-unwrap/tests/data/reference_accuracy.txt] [--tile 2048]
"""
import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(d):
    meta = {}
    for line in open(os.path.join(d, "meta.txt")):
        k, v = line.split()
        meta[k] = float(v)
    r, c = int(meta["rows"]), int(meta["cols"])
    arr = lambda n: np.fromfile(os.path.join(d, n), dtype="<f8").reshape(r, c)
    return meta, arr


def worker(tool, d, out):
    meta, arr = load(d)
    wrapped = arr("wrapped.f64")
    coh = arr("coherence.f64")
    valid = np.isfinite(wrapped)
    igram = np.where(valid, np.exp(1j * np.nan_to_num(wrapped)), 0).astype(np.complex64)
    corr = np.where(valid, coh, 0).astype(np.float32)
    looks = meta["looks"]
    t0 = time.perf_counter()
    if tool == "snaphu":
        import snaphu
        unw, cc = snaphu.unwrap(igram, corr, nlooks=looks, cost="smooth", init="mcf", mask=valid)
    else:
        import whirlwind
        unw, cc = whirlwind.unwrap(igram, corr, looks, mask=valid)
    secs = time.perf_counter() - t0
    unw = np.asarray(unw, dtype=np.float64)
    if os.environ.get("UNWRAP_COMPARE_KEEP"):
        unw.astype("<f8").tofile(os.path.join(d, f"{tool}.f64"))
    with open(out, "wb") as f:
        pickle.dump((unw, secs), f)


def run_child(tool, d):
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as tf:
        out = tf.name
    p = subprocess.Popen([sys.executable, __file__, "--worker", tool, d, out], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        raise RuntimeError(f"{tool} failed on {d}")
    with open(out, "rb") as f:
        unw, secs = pickle.load(f)
    os.unlink(out)
    return unw, secs, ru.ru_maxrss / 1024.0  # MiB


def score(unw, truth, labels, valid):
    ok = valid & np.isfinite(unw)
    n = np.where(ok, np.round((np.where(ok, unw, 0) - truth) / (2 * np.pi)), 0).astype(np.int64)
    good = 0
    for lab in np.unique(labels[valid]):
        sel = ok & (labels == lab)
        if sel.any():
            _, counts = np.unique(n[sel], return_counts=True)
            good += counts.max()
    return good / valid.sum()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[256])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--cases", nargs="*", default=None)
    ap.add_argument("--tools", nargs="*", default=["snaphu", "whirlwind"])
    ap.add_argument("--tile", type=int, default=None)
    ap.add_argument("--fixture", default=None)
    ap.add_argument("--keep", default=None, help="directory to keep the arrays in")
    ap.add_argument("--no-build", action="store_true", help="use the example binary already built")
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "phase-unwrap", "--example", "unwrap_compare"],
                       cwd=ROOT, check=True)
    exe = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "examples",
                       "unwrap_compare")
    work = a.keep or tempfile.mkdtemp(prefix="unwrap_compare_")
    if a.keep:
        os.environ["UNWRAP_COMPARE_KEEP"] = "1"
    rows = []
    print(f"{'case':9s} {'size':>5s} {'seed':>4s} {'resid':>7s} | {'ours':>9s} {'snaphu':>9s} {'whirlw':>9s} | "
          f"{'ours s':>7s} {'snaphu s':>8s} {'whirl s':>7s} | {'snaphu/ours':>11s} {'whirl/ours':>10s} | "
          f"{'ours MiB':>8s} {'snaphu MiB':>10s} {'whirl MiB':>9s}")
    for n in a.sizes:
        for seed in a.seeds:
            for case in a.cases or ["all"]:
                c = [exe, str(n), str(seed), work, str(a.tile or 0), case]
                p = subprocess.Popen(c, stdout=subprocess.PIPE, text=True)
                outtxt = p.stdout.read()
                _, status, ru = os.wait4(p.pid, 0)
                if status != 0:
                    raise RuntimeError("rust example failed")
                ours_mib = ru.ru_maxrss / 1024.0  # generation + unwrapping together
                for line in outtxt.splitlines()[1:]:
                    name = line.split()[0]
                    d = os.path.join(work, f"{name}_{n}_{seed}")
                    meta, arr = load(d)
                    truth, wrapped = arr("truth.f64"), arr("wrapped.f64")
                    labels = arr("ours_cc.f64").astype(np.int64)
                    valid = np.isfinite(wrapped)
                    res = {"ours": (score(arr("ours.f64"), truth, labels, valid), meta["seconds"], ours_mib)}
                    for tool in a.tools:
                        unw, secs, mib = run_child(tool, d)
                        res[tool] = (score(unw, truth, labels, valid), secs, mib)
                    g = lambda t, k: res[t][k] if t in res else float("nan")
                    print(f"{name:9s} {n:5d} {seed:4d} {int(meta['residues']):7d} | {g('ours',0):9.6f} "
                          f"{g('snaphu',0):9.6f} {g('whirlwind',0):9.6f} | {g('ours',1):7.3f} {g('snaphu',1):8.3f} "
                          f"{g('whirlwind',1):7.3f} | {g('snaphu',1) / g('ours',1):11.1f} {g('whirlwind',1) / g('ours',1):10.1f} | "
                          f"{g('ours',2):8.0f} {g('snaphu',2):10.0f} {g('whirlwind',2):9.0f}",
                          flush=True)
                    rows.append((name, n, seed, res))
    if a.fixture:
        with open(a.fixture, "w") as f:
            f.write("# Fraction of valid pixels with the correct integer cycle (up to one offset per connected\n"
                    "# component) of SNAPHU (snaphu-py 0.4.1, cost=smooth, init=mcf) and whirlwind-insar 0.10.0\n"
                    "# (defaults) on phase_unwrap::synthetic::scene(case, size, size, seed), written by\n"
                    "# tools/reference/unwrap_compare.py --fixture; columns: case size seed snaphu whirlwind\n"
                    "# ours (phase-unwrap at the time of the run; the tests recompute it)\n")
            for name, n, seed, res in rows:
                f.write(f"{name} {n} {seed} {res['snaphu'][0]:.6f} {res['whirlwind'][0]:.6f} {res['ours'][0]:.6f}\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
