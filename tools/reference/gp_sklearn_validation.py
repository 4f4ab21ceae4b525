#!/usr/bin/env python3
"""scikit-learn reference for the default training of crates/gp-voidfill (issue 10).

Writes crates/gp-voidfill/tests/data/gp_sklearn_validation.json with a
glacier-like dataset (elevation, slope, x, y features; dh/dt = elevation
trend + two spatial wave terms + Gaussian noise 0.3 m/yr; seed 20261130,
never used elsewhere) split at random into 600 training and 300
validation points, and scikit-learn's GaussianProcessRegressor result on it:
kernel C*RBF(ARD) + C*Matern(nu=1.5, ARD) + WhiteKernel -- the crate's
default kernel -- fitted on the standardised training features with
normalize_y=True, L-BFGS-B, scikit-learn's default initial values (C = 1,
length scales 1, noise 1) and bounds (1e-5, 1e5), n_restarts_optimizer=0
(scikit-learn's default). Stored: the validation RMSE of the predictive mean, the validation
coverage of the 95 % interval (sklearn's std includes the WhiteKernel
noise), the fitted log marginal likelihood per sample and the wall time.

The test crates/gp-voidfill/tests/sklearn_validation.rs fits the crate's
default pipeline (GpVoidFill::new().fit_with_validation) on the same
points and asserts a validation RMSE no worse than scikit-learn's.

With arguments `N_TRAIN N_VAL` (e.g. `3000 1000`, the issue's n <= 3 000) the
same generator and fit run on N_TRAIN + N_VAL points and the result goes to
gp_sklearn_validation_<N_TRAIN>.json (read by the test
`default_validation_rmse_no_worse_than_sklearn_at_3000`). The 3 000-point
fit took 2 154 s single-threaded (OMP_NUM_THREADS=1, nice 10) on the shared
2-core machine; most of it is scikit-learn's own gradient code (the
n x n x 11 kernel-gradient tensor and K^-1 at every L-BFGS-B step).

Run (from the workspace root):
    python3 -m venv /work/venvs/gp && /work/venvs/gp/bin/pip install numpy scikit-learn
    /work/venvs/gp/bin/python tools/reference/gp_sklearn_validation.py
    OMP_NUM_THREADS=1 /work/venvs/gp/bin/python tools/reference/gp_sklearn_validation.py 3000 1000
"""
import json
import os
import sys
import time

import numpy as np
import sklearn
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "crates", "gp-voidfill", "tests", "data", "gp_sklearn_validation.json")


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 5000, n)  # m along flow
    y = rng.uniform(-1200, 1200, n)  # m across flow
    h = 4800 - 0.2 * x + 1.5e-4 * y ** 2 + 50 * np.sin(x / 800) * np.cos(y / 600)
    slope = 12 + 6 * np.abs(np.sin(x / 1100)) + rng.normal(0, 1.5, n)
    truth = (-2.5 + 3.0 * (h - h.min()) / np.ptp(h) + 0.5 * np.sin(x / 600) * np.cos(y / 800)
             + 0.25 * np.sin(x / 350 + 1.0) * np.sin(y / 300) + 0.015 * slope)
    target = truth + rng.normal(0, 0.3, n)
    return np.column_stack([h, slope, x, y]), target, truth


def fit_sklearn(zt, yt, zv, yv, restarts):
    d = zt.shape[1]
    kernel = (ConstantKernel(1.0, (1e-5, 1e5)) * RBF([1.0] * d, (1e-5, 1e5))
              + ConstantKernel(1.0, (1e-5, 1e5)) * Matern([1.0] * d, (1e-5, 1e5), nu=1.5)
              + WhiteKernel(1.0, (1e-5, 1e5)))
    t0 = time.perf_counter()
    g = GaussianProcessRegressor(kernel=kernel, alpha=0.0, normalize_y=True,
                                 n_restarts_optimizer=restarts, random_state=0).fit(zt, yt)
    secs = time.perf_counter() - t0
    mean, std = g.predict(zv, return_std=True)
    rmse = float(np.sqrt(np.mean((mean - yv) ** 2)))
    cov = float(np.mean(np.abs(yv - mean) <= 1.959964 * std))
    return {
        "validation_rmse": rmse,
        "validation_coverage_95": cov,
        "lml_per_sample": float(g.log_marginal_likelihood_value_) / len(yt),
        "seconds": secs,
        "kernel": str(g.kernel_),
    }


def main():
    n_train = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    n_val = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    out_path = OUT if n_train == 600 else OUT.replace(".json", f"_{n_train}.json")
    x, t, truth = make_data(n_train + n_val, 20261130)
    xt, yt, xv, yv = x[:n_train], t[:n_train], x[n_train:], t[n_train:]
    mu, sd = xt.mean(0), xt.std(0)
    zt, zv = (xt - mu) / sd, (xv - mu) / sd
    default = fit_sklearn(zt, yt, zv, yv, 0)
    out = {
        "generator": "tools/reference/gp_sklearn_validation.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "noise_std": 0.3,
        "train_x": xt.tolist(), "train_y": yt.tolist(),
        "val_x": xv.tolist(), "val_y": yv.tolist(),
        "val_truth": truth[n_train:].tolist(),
        "sklearn_default": default,
    }
    with open(out_path, "w") as f:
        json.dump(out, f)
    print(json.dumps({k: v for k, v in out.items() if k.startswith("sklearn")}, indent=1))


if __name__ == "__main__":
    main()
