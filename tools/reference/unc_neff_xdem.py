#!/usr/bin/env python3
"""xdem 0.2.3's default error pipeline on a synthetic dh map: n_eff per glacier.

Run:  /work/venvs/unc/bin/python tools/reference/unc_neff_xdem.py
      (venv: python3 -m venv /work/venvs/unc && /work/venvs/unc/bin/pip install xdem==0.2.3 scikit-gstat==1.0.26)
Writes crates/uncertainty/tests/data/xdem_neff/{dh,slope}.tif (float64, 30 m, UTM 43N, NaN no-data),
glaciers.tif (uint8: 0 stable, 1..3 glacier id) and expected.json, read by
crates/uncertainty/tests/xdem_neff.rs.

The scene is generated here with numpy, independently of the Rust crate: a 256 x 256 grid whose standardised
error is a Gaussian random field (circulant embedding) with a nugget 0.1 + Gaussian (150 m, 0.6) + Spherical
(1500 m, 0.3) covariance, times sigma = 0.03 exp(0.05 slope) + 0.1 m/yr for a smooth random slope field in
[0, 60) degrees, three elliptical glaciers of different sizes (excluded from the stable terrain) and ~1 % voids.

xdem's default path, as `xdem.DEM.estimate_uncertainty`/the spatial-statistics guide run it:
1. heteroscedasticity: nd_binning of dh on stable terrain against slope (10 bins), interp_nd_binning
   (min_count 100), two_step_standardization (7 NMAD outliers) -- called through
   `_estimate_model_heteroscedasticity`, since 0.2.3's `infer_heteroscedasticity_from_stable` fails
   with a single explanatory array;
2. spatial correlation: `infer_spatial_correlation_from_stable` of z = dh/sigma on stable terrain with
   ["Gaussian", "Spherical"] and every default (cdist_equidistant, subsample 1000, n_variograms 1: an
   unweighted fit at the upper bin edges);
3. n_eff of each glacier: `neff_exact` on the glacier's measured pixel centres with the sigma errors.
Step 2 is random, so it is run for 10 random states; the test compares with their median.
"""
import json
import os
import time
import warnings

import numpy as np
import rasterio
from rasterio.transform import from_origin
import xdem.spatialstats as ss

warnings.filterwarnings("ignore")
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "uncertainty", "tests", "data", "xdem_neff")
os.makedirs(OUT, exist_ok=True)
N, PX = 256, 30.0
rng = np.random.default_rng(20261130)


def grf(cov, n, px):
    m = 2 * n
    i = np.minimum(np.arange(m), m - np.arange(m)) * px
    lam = np.real(np.fft.fft2(cov(np.hypot(i[:, None], i[None, :]))))
    lam[lam < 0] = 0
    eps = rng.standard_normal((m, m)) + 1j * rng.standard_normal((m, m))
    return np.real(np.fft.fft2(np.sqrt(lam / m**2) * eps))[:n, :n]


def cov_truth(h):
    g = 0.6 * np.exp(-(h**2) / 75.0**2)
    t = np.minimum(h / 1500.0, 1.0)
    s = 0.3 * (1.0 - (1.5 * t - 0.5 * t**3))
    return g + s + 0.1 * (h == 0)


z = grf(cov_truth, N, PX)
u = grf(lambda h: np.exp(-(h**2) / 120.0**2), N, PX)
slope = 60.0 * (np.argsort(np.argsort(u.ravel())) + 0.5).reshape(N, N) / N**2
sigma_true = 0.03 * np.exp(0.05 * slope) + 0.1
dh = sigma_true * z

rr, cc = np.mgrid[0:N, 0:N]
glaciers = np.zeros((N, N), dtype=np.uint8)
for gid, (r0, c0, a, b, th) in enumerate([(70, 80, 40, 18, 0.4), (180, 170, 22, 14, -0.8), (60, 200, 10, 7, 1.2)],
                                         start=1):
    u_ = (cc - c0) * np.cos(th) + (rr - r0) * np.sin(th)
    v_ = -(cc - c0) * np.sin(th) + (rr - r0) * np.cos(th)
    glaciers[((u_ / a) ** 2 + (v_ / b) ** 2 <= 1.0) & (glaciers == 0)] = gid
dh[glaciers > 0] += -0.8  # a glacier signal; the error model only sees stable terrain
dh[rng.random((N, N)) < 0.01] = np.nan
stable = glaciers == 0


def write_tif(name, arr, dtype, nodata=None):
    profile = dict(driver="GTiff", width=N, height=N, count=1, dtype=dtype, crs="EPSG:32643",
                   transform=from_origin(500000.0, 4000000.0, PX, PX), compress="deflate", nodata=nodata)
    with rasterio.open(os.path.join(OUT, name), "w", **profile) as dst:
        dst.write(arr.astype(dtype), 1)


write_tif("dh.tif", dh, "float64", nodata=np.nan)
write_tif("slope.tif", slope, "float64")
write_tif("glaciers.tif", glaciers, "uint8")

t0 = time.time()
valid = stable & np.isfinite(dh)
df_h, err_fun = ss._estimate_model_heteroscedasticity(dh[valid], [slope[valid]], ["slope"])
errors = err_fun((slope.ravel(),)).reshape(N, N)
zsc = dh / errors
zsc[~stable] = np.nan

exp = {"rows": N, "cols": N, "pixel_size_m": PX, "xdem_version": "0.2.3", "runs": [], "glaciers": []}
coords_all = np.stack([cc * PX, rr * PX], axis=-1)
masks = [(glaciers == g) & np.isfinite(dh) for g in (1, 2, 3)]
for g, m in zip((1, 2, 3), masks):
    exp["glaciers"].append({"id": g, "pixels": int(m.sum()), "mean_sigma": float(np.mean(errors[m]))})
neff = {g: [] for g in (1, 2, 3)}
for rs in range(10):
    _, params, _ = ss.infer_spatial_correlation_from_stable(zsc, ["Gaussian", "Spherical"], gsd=PX, random_state=rs)
    run = {"random_state": rs, "model": list(params["model"]), "range": [float(x) for x in params["range"]],
           "psill": [float(x) for x in params["psill"]]}
    for g, m in zip((1, 2, 3), masks):
        n = float(ss.neff_exact(coords_all[m], errors[m], params))
        neff[g].append(n)
    run["neff"] = [neff[g][-1] for g in (1, 2, 3)]
    exp["runs"].append(run)
for gl in exp["glaciers"]:
    v = np.array(neff[gl["id"]])
    gl["neff_runs"] = v.tolist()
    gl["neff_median"] = float(np.median(v))
exp["seconds_xdem"] = time.time() - t0
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(exp, f, indent=1)
print(json.dumps({"glaciers": exp["glaciers"], "runs": exp["runs"][:3], "seconds": exp["seconds_xdem"]}, indent=1))
