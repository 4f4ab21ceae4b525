#!/usr/bin/env python3
"""Time scikit-learn's GaussianMixture against snowmelt's EM on the same 10^6 samples.

Writes 10^6 seeded R_c-like samples (little-endian f64) to a temporary file,
fits GaussianMixture(n_components=2, covariance_type="full", tol=1e-3,
max_iter=100, reg_covar=1e-6, init_params="kmeans") several times (k-means
initialisation included, as in a normal fit), runs
`cargo run --release -p snowmelt --example gmm_timing` on the same file, and
prints both times and the ratio.

Run from the repository root: /work/pyenv/bin/python tools/reference/gmm_bench_sklearn.py [repeats]
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import sklearn
from sklearn.mixture import GaussianMixture


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rng = np.random.default_rng(20240611)
    n = 1_000_000
    wet = rng.random(n) < 0.35
    x = np.where(wet, rng.normal(-5.5, 1.8, n), rng.normal(-0.3, 1.2, n))
    fd, path = tempfile.mkstemp(suffix=".bin")
    os.close(fd)
    x.astype("<f8").tofile(path)
    X = x.reshape(-1, 1)
    times = []
    for i in range(repeats):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm = GaussianMixture(n_components=2, covariance_type="full", tol=1e-3,
                                 max_iter=100, reg_covar=1e-6, random_state=i).fit(X)
        times.append(time.perf_counter() - t)
    times.sort()
    order = np.argsort(gm.means_[:, 0])
    print(f"sklearn {sklearn.__version__}: n = {n}, best {times[0]:.4f} s, median {times[len(times)//2]:.4f} s, "
          f"n_iter {gm.n_iter_}, means {gm.means_[order, 0]}, threads (BLAS/OpenMP) default")
    cmd = ["cargo", "run", "--quiet", "--release", "-p", "snowmelt", "--example", "gmm_timing", "--", path, str(repeats)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    ours = json.loads(out.strip().splitlines()[-1])
    print(f"snowmelt: best {ours['best_s']:.4f} s, median {ours['median_s']:.4f} s, n_iter {ours['n_iter']}, "
          f"means {ours['means']}, threads {ours['threads']}")
    print(f"ratio sklearn / snowmelt (best): {times[0] / ours['best_s']:.1f}x; "
          f"(median): {times[len(times)//2] / ours['median_s']:.1f}x")
    os.remove(path)


if __name__ == "__main__":
    main()
