#!/usr/bin/env python3
"""Speed of xdem 0.2.3 vs the `uncertainty` crate on the same 2000x2000 raster.

Run (builds nothing; build the example first):
  cargo build --release -p uncertainty --example variogram_bench
  /work/pyenv/bin/python tools/reference/variogram_bench_xdem.py [target_dir] [subsample]

Steps, each timed for xdem and for our example binary on the same raster:
  1. empirical variogram (Dowd) with xdem's default cdist_equidistant sampling
     (`subsample`, default 1000); our run samples the same total number of
     pairs (xdem's summed bin counts) spread over the same number of bins;
  2. fit of a Gaussian + Spherical sum model;
  3. exact n_eff over a disk of ~6000 pixels with the fitted model
     (xdem `neff_exact`, ours `neff_exact` pairwise and `propagate_mean_error_grid`
     by FFT), and the K=1000 approximation.
Prints both timings and the ratio xdem/ours per step.
"""
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import xdem.spatialstats as ss

warnings.filterwarnings("ignore")
target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
subsample = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
N, PX, RADIUS = 2000, 30.0, 44  # disk of ~6080 pixels
os.makedirs("/tmp/unc_bench", exist_ok=True)
path = "/tmp/unc_bench/z.bin"

# a correlated raster: white noise smoothed by a Gaussian kernel in Fourier space (~150 m) plus a long-range part
rng = np.random.default_rng(1)
k = np.fft.fftfreq(N)
kk = k[:, None] ** 2 + k[None, :] ** 2
short = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((N, N))) * np.exp(-kk * (2 * np.pi * 2.5) ** 2)))
long_ = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((N, N))) * np.exp(-kk * (2 * np.pi * 15) ** 2)))
z = short / short.std() * np.sqrt(0.8) + long_ / long_.std() * np.sqrt(0.2)
z.astype("<f8").tofile(path)

res = {}
t = time.perf_counter()
df = ss.sample_empirical_variogram(values=z, gsd=PX, subsample=subsample, estimator="dowd", random_state=42)
res["xdem_variogram_s"] = time.perf_counter() - t
pairs = int(df["count"].sum())
nbins = int(len(df))
t = time.perf_counter()
_, params = ss.fit_sum_model_variogram(["Gaussian", "Spherical"], df)
res["xdem_fit_s"] = time.perf_counter() - t
rr, cc = np.mgrid[0:N, 0:N]
disk = (rr - N // 2) ** 2 + (cc - N // 2) ** 2 <= RADIUS**2
coords = np.stack([cc[disk] * PX, rr[disk] * PX], axis=1).astype(float)
t = time.perf_counter()
neff = ss.neff_exact(coords, np.ones(len(coords)), params)
res["xdem_neff_exact_s"] = time.perf_counter() - t
t = time.perf_counter()
neff_k = ss.neff_hugonnet_approx(coords, np.ones(len(coords)), params, subsample=1000, random_state=42)
res["xdem_neff_k1000_s"] = time.perf_counter() - t
res.update({"xdem_pairs": pairs, "xdem_bins": nbins, "area_pixels": int(disk.sum()), "xdem_neff_exact": neff,
            "xdem_neff_k1000": neff_k, "xdem_ranges": params["range"].tolist(),
            "xdem_psills": params["psill"].tolist()})

exe = os.path.join(target, "release", "examples", "variogram_bench")
out = subprocess.run([exe, path, str(N), str(N), str(PX), str(pairs), str(nbins), str(RADIUS)],
                     check=True, capture_output=True, text=True).stdout
ours = json.loads(out.strip().splitlines()[-1])
print(json.dumps({"xdem": res, "ours": ours}, indent=1))
for step in ["variogram", "fit", "neff_exact", "neff_k1000"]:
    a, b = res[f"xdem_{step}_s"], ours[f"{step}_s"]
    print(f"{step:>12}: xdem {a:9.3f} s   ours {b:9.4f} s   ratio {a / b:8.1f}x")
a, b = res["xdem_neff_exact_s"], ours["neff_grid_s"]
print(f"{'neff exact (ours: FFT grid)':>12}: xdem {a:9.3f} s   ours {b:9.4f} s   ratio {a / b:8.1f}x")
tot_x = sum(res[f"xdem_{s}_s"] for s in ["variogram", "fit", "neff_exact"])
tot_o = sum(ours[f"{s}_s"] for s in ["variogram", "fit", "neff_exact"])
print(f"variogram + fit + exact n_eff: xdem {tot_x:.2f} s, ours {tot_o:.3f} s, ratio {tot_x / tot_o:.1f}x")
