#!/usr/bin/env python3
"""Reference fits of scikit-learn's GaussianMixture for the snowmelt crate.

Writes into crates/snowmelt/tests/data/:
  gmm_samples.bin           20 000 little-endian f64 values: a two-component
                            mixture of R_c-like values (dB), seed 20240611
  gmm_samples_outliers.bin  the same 20 000 values followed by 40 extreme
                            outliers around -80 dB (zero-backscatter pixels)
  gmm_sklearn.json          for each file: sklearn's k-means initialisation
                            (GaussianMixture(max_iter=0).fit, i.e. exactly the
                            weights/means/covariances EM starts from) and the
                            fits at tol=1e-3/max_iter=100 (thesis) and
                            tol=1e-10/max_iter=10000 (tight), components
                            sorted by mean.

The tests in crates/snowmelt/tests/gmm_sklearn.rs read these files.
Run: /work/pyenv/bin/python tools/reference/gmm_sklearn_reference.py
"""
import json
import pathlib
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

OUT = pathlib.Path(__file__).resolve().parents[2] / "crates/snowmelt/tests/data"
N = 20_000
SEED = 20240611


def make_samples():
    rng = np.random.default_rng(SEED)
    wet = rng.random(N) < 0.35
    x = np.where(wet, rng.normal(-5.5, 1.8, N), rng.normal(-0.3, 1.2, N))
    outliers = -80.0 + rng.normal(0.0, 0.5, 40)
    return x, np.concatenate([x, outliers])


def params(gm, X):
    order = np.argsort(gm.means_[:, 0])
    return {
        "weights": gm.weights_[order].tolist(),
        "means": gm.means_[order, 0].tolist(),
        "variances": gm.covariances_[order, 0, 0].tolist(),
        "n_iter": int(gm.n_iter_),
        "converged": bool(gm.converged_),
        "lower_bound": float(gm.lower_bound_),
    }


def fit(X, tol, max_iter, init=None):
    kw = dict(n_components=2, covariance_type="full", tol=tol, max_iter=max_iter,
              reg_covar=1e-6, random_state=0, init_params="kmeans")
    if init is not None:
        kw.update(weights_init=init.weights_, means_init=init.means_,
                  precisions_init=np.linalg.inv(init.covariances_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixture(**kw).fit(X)


def main():
    clean, dirty = make_samples()
    OUT.mkdir(parents=True, exist_ok=True)
    result = {"sklearn_version": sklearn.__version__, "reg_covar": 1e-6, "files": {}}
    for name, x in [("gmm_samples.bin", clean), ("gmm_samples_outliers.bin", dirty)]:
        x.astype("<f8").tofile(OUT / name)
        X = x.reshape(-1, 1)
        init = fit(X, 1e-3, 0)  # max_iter=0: the k-means initialisation itself
        entry = {"init": {
            # unsorted, in sklearn's component order, as EM starts from it
            "weights": init.weights_.tolist(),
            "means": init.means_[:, 0].tolist(),
            "variances": init.covariances_[:, 0, 0].tolist(),
        }}
        for key, tol, it in [("tol_1e-3", 1e-3, 100), ("tol_1e-10", 1e-10, 10_000)]:
            default = fit(X, tol, it)
            explicit = fit(X, tol, it, init=init)
            # Feeding the exported initialisation back reproduces the default fit.
            np.testing.assert_allclose(default.means_, explicit.means_, rtol=0, atol=1e-12)
            entry[key] = params(default, X)
        result["files"][name] = entry
        print(name, json.dumps(entry, indent=1))
    (OUT / "gmm_sklearn.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
