#!/usr/bin/env python3
"""scikit-learn reference for crates/gp-voidfill (issue 6).

Writes crates/gp-voidfill/tests/data/sklearn_reference.json with
  * a small dataset: 300 training / 100 test points, 3 features, noisy target;
  * with FIXED hyper-parameters, kernel
        ConstantKernel*RBF(ARD) + ConstantKernel*Matern(nu=1.5, ARD) + WhiteKernel:
    predictive mean and std at the test points (sklearn's std includes the
    WhiteKernel noise), the log marginal likelihood and its gradient with
    respect to sklearn's theta (log hyper-parameters, in theta order);
  * with hyper-parameters OPTIMISED by sklearn (L-BFGS-B, no restarts,
    normalize_y=True, features standardised with the training mean/std):
    test RMSE and the fitted theta.

Run:  /work/pyenv/bin/python tools/reference/gp_sklearn_reference.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "crates", "gp-voidfill", "tests", "data", "sklearn_reference.json")


def truth(x):
    return np.sin(1.3 * x[:, 0]) + 0.5 * np.cos(2.0 * x[:, 1]) + 0.3 * x[:, 2] + 0.2 * x[:, 0] * x[:, 1]


def main():
    rng = np.random.default_rng(20240611)
    n_train, n_test, d = 300, 100, 3
    x = rng.uniform(-2.0, 2.0, size=(n_train + n_test, d))
    y = truth(x) + rng.normal(0.0, 0.15, size=n_train + n_test)
    xt, yt, xs, ys = x[:n_train], y[:n_train], x[n_train:], y[n_train:]

    # ---- fixed hyper-parameters -------------------------------------------
    c1, l1, c2, l2, noise = 1.2, [1.1, 0.8, 2.0], 0.4, [0.5, 0.9, 1.5], 0.05
    kernel = (ConstantKernel(c1, "fixed") * RBF(l1, "fixed")
              + ConstantKernel(c2, "fixed") * Matern(l2, "fixed", nu=1.5)
              + WhiteKernel(noise, "fixed"))
    gpr = GaussianProcessRegressor(kernel=kernel, optimizer=None, alpha=0.0, normalize_y=False)
    gpr.fit(xt, yt)
    mean, std = gpr.predict(xs, return_std=True)
    # gradient needs free parameters: same values, default bounds
    kfree = (ConstantKernel(c1) * RBF(l1) + ConstantKernel(c2) * Matern(l2, nu=1.5) + WhiteKernel(noise))
    gfree = GaussianProcessRegressor(kernel=kfree, optimizer=None, alpha=0.0, normalize_y=False).fit(xt, yt)
    lml, grad = gfree.log_marginal_likelihood(gfree.kernel_.theta, eval_gradient=True)
    theta_names = [h.name for h in gfree.kernel_.hyperparameters]

    # ---- optimised hyper-parameters ----------------------------------------
    mu, sd = xt.mean(axis=0), xt.std(axis=0)
    zt, zs = (xt - mu) / sd, (xs - mu) / sd
    kopt = (ConstantKernel(0.5, (1e-5, 1e5)) * RBF([1.0] * d, (1e-5, 1e5))
            + ConstantKernel(0.5, (1e-5, 1e5)) * Matern([1.0] * d, (1e-5, 1e5), nu=1.5)
            + WhiteKernel(0.1, (1e-6, 1e2)))
    gopt = GaussianProcessRegressor(kernel=kopt, alpha=0.0, normalize_y=True, n_restarts_optimizer=0,
                                    random_state=0).fit(zt, yt)
    popt = gopt.predict(zs)
    rmse_opt = float(np.sqrt(np.mean((popt - ys) ** 2)))

    out = {
        "generator": "tools/reference/gp_sklearn_reference.py",
        "sklearn_version": sklearn.__version__,
        "train_x": xt.tolist(), "train_y": yt.tolist(),
        "test_x": xs.tolist(), "test_y": ys.tolist(),
        "fixed": {
            "rbf_variance": c1, "rbf_lengths": l1,
            "matern_variance": c2, "matern_lengths": l2,
            "noise_variance": noise,
            "mean": mean.tolist(), "std_with_noise": std.tolist(),
            "log_marginal_likelihood": float(lml),
            "lml_gradient_theta": grad.tolist(),
            "theta": gfree.kernel_.theta.tolist(),
            "theta_names": theta_names,
        },
        "optimised": {
            "test_rmse": rmse_opt,
            "theta": gopt.kernel_.theta.tolist(),
            "kernel": str(gopt.kernel_),
        },
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", OUT)
    print("lml", lml, "optimised test rmse", rmse_opt, gopt.kernel_)


if __name__ == "__main__":
    main()
