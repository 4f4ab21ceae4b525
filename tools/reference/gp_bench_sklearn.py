#!/usr/bin/env python3
"""Speed/accuracy comparison: scikit-learn GaussianProcessRegressor vs gp-voidfill.

Same data (n training points, 1 000 test points, 5 glacier-like features:
elevation, slope, sin/cos aspect proxy, x, y folded into 4 smooth inputs plus
noise), same kernel C*RBF(ARD) + C*Matern(1.5, ARD) + White, same initial
values; sklearn optimises with L-BFGS-B and no restarts on all n points,
gp-voidfill runs its default (thesis) settings through the example binary
`fit_json` (80/20 split for early stopping; above 2 000 training points the
automatic nearest-neighbour path).

Run (from the workspace root):
    cargo build --release -p gp-voidfill --example fit_json
    /work/pyenv/bin/python tools/reference/gp_bench_sklearn.py [n]    # default n = 3000
Prints the wall times, their ratio and both test RMSEs.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel


def make_data(n, n_test, seed=7):
    rng = np.random.default_rng(seed)
    m = n + n_test
    x = rng.uniform(0, 6000, m)  # m along flow
    y = rng.uniform(-1500, 1500, m)  # m across flow
    h = 5500 - 0.18 * x + 1e-4 * y ** 2 + 60 * np.sin(x / 900) * np.cos(y / 700)
    slope = 10 + 8 * np.abs(np.sin(x / 1300)) + rng.normal(0, 1, m)
    dhdt = (-3 + 3.5 * (h - h.min()) / np.ptp(h) + 0.6 * np.sin(x / 700) * np.cos(y / 900)
            + 0.3 * np.sin(x / 300) * np.sin(y / 250) + 0.02 * slope)
    target = dhdt + rng.normal(0, 0.25, m)
    feats = np.column_stack([h, slope, x, y])
    return feats[:n], target[:n], feats[n:], target[n:], dhdt[n:]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    xt, yt, xs, ys, _ = make_data(n, 1000)
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    exe = os.path.join(target_dir, "release", "examples", "fit_json")

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"train_x": xt.tolist(), "train_y": yt.tolist(),
                   "test_x": xs.tolist(), "test_y": ys.tolist()}, f)
        path = f.name
    t0 = time.perf_counter()
    out = subprocess.run([exe, path], check=True, capture_output=True, text=True).stdout
    ours_wall = time.perf_counter() - t0
    ours = json.loads(out.strip().splitlines()[-1])

    d = xt.shape[1]
    mu, sd = xt.mean(0), xt.std(0)
    kernel = (ConstantKernel(0.5, (1e-5, 1e5)) * RBF([1.0] * d, (1e-5, 1e5))
              + ConstantKernel(0.5, (1e-5, 1e5)) * Matern([1.0] * d, (1e-5, 1e5), nu=1.5)
              + WhiteKernel(0.1, (1e-6, 1e2)))
    t0 = time.perf_counter()
    gpr = GaussianProcessRegressor(kernel=kernel, alpha=0.0, normalize_y=True, n_restarts_optimizer=0,
                                   random_state=0).fit((xt - mu) / sd, yt)
    pred = gpr.predict((xs - mu) / sd)
    sk_time = time.perf_counter() - t0
    sk_rmse = float(np.sqrt(np.mean((pred - ys) ** 2)))
    os.unlink(path)

    print(f"n = {n} training points, 1000 test points")
    print(f"scikit-learn : {sk_time:8.2f} s  test RMSE {sk_rmse:.4f}  ({gpr.kernel_})")
    print(f"gp-voidfill  : {ours['seconds']:8.2f} s  test RMSE {ours['test_rmse']:.4f}  "
          f"(method {ours['method']}, epochs {ours['epochs']}, n_train {ours['n_train']}, "
          f"n_hyper {ours['n_hyper']}; process wall {ours_wall:.2f} s)")
    print(f"time ratio sklearn / gp-voidfill = {sk_time / ours['seconds']:.1f}x, "
          f"RMSE ratio gp-voidfill / sklearn = {ours['test_rmse'] / sk_rmse:.3f}")


if __name__ == "__main__":
    main()
