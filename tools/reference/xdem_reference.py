#!/usr/bin/env python3
"""Reference values from xdem 0.2.3 (scikit-gstat 1.0.26) for the `uncertainty` crate.

Run:  /work/pyenv/bin/python tools/reference/xdem_reference.py
Writes crates/uncertainty/tests/data/xdem/{dh,slope}.tif (float64 GeoTIFF, 30 m
UTM 43N, NaN no-data), stable.tif (uint8), pairs.bin (u32 LE flat-index pairs)
and expected.json, read by crates/uncertainty/tests/xdem_reference.rs (through
sar_core::geotiff::read_f64).

Inputs are synthetic: a 128x128 raster (30 m pixels) whose standardised error
is a Gaussian random field (numpy circulant embedding) with a Gaussian
(120 m, 0.7) + Spherical (600 m, 0.3) covariance, multiplied by the thesis's
heteroscedasticity sigma = 0.018 exp(0.066 slope) + 0.074 for iid slopes in
[0, 50) degrees; a 30x40 "glacier" and a few no-data pixels are excluded.

Note: xdem 0.2.3's `infer_heteroscedasticity_from_stable` fails with a single
explanatory raster, so its internals (`nd_binning`, `interp_nd_binning`,
`two_step_standardization`) are called directly, as that function would.
"""
import json
import os
import warnings

import numpy as np
import rasterio
import skgstat
from rasterio.transform import from_origin
import xdem.spatialstats as ss

warnings.filterwarnings("ignore")
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "uncertainty", "tests", "data", "xdem")
os.makedirs(OUT, exist_ok=True)
N, PX = 128, 30.0
rng = np.random.default_rng(20240601)


def cov(h):
    a = 120.0 / 2.0
    g = 0.7 * np.exp(-(h**2) / a**2)
    r = 600.0
    t = np.minimum(h / r, 1.0)
    s = 0.3 * (1.0 - (1.5 * t - 0.5 * t**3))
    return g + s


# circulant embedding on a 256x256 torus
M = 2 * N
i = np.minimum(np.arange(M), M - np.arange(M)) * PX
lam = np.real(np.fft.fft2(cov(np.hypot(i[:, None], i[None, :]))))
lam[lam < 0] = 0
eps = rng.standard_normal((M, M)) + 1j * rng.standard_normal((M, M))
z = np.real(np.fft.fft2(np.sqrt(lam / M**2) * eps))[:N, :N]
slope = rng.uniform(0.0, 50.0, (N, N))
sigma_true = 0.018 * np.exp(0.066 * slope) + 0.074
dh = sigma_true * z
stable = np.ones((N, N), dtype=bool)
stable[50:80, 20:60] = False  # glacier
dh[rng.integers(0, N, 40), rng.integers(0, N, 40)] = np.nan  # no-data

def write_tif(name, arr, dtype, nodata=None):
    profile = dict(driver="GTiff", width=N, height=N, count=1, dtype=dtype, crs="EPSG:32643",
                   transform=from_origin(500000.0, 4000000.0, PX, PX), compress="deflate", nodata=nodata)
    with rasterio.open(os.path.join(OUT, name), "w", **profile) as dst:
        dst.write(arr.astype(dtype), 1)


write_tif("dh.tif", dh, "float64", nodata=np.nan)
write_tif("slope.tif", slope, "float64")
write_tif("stable.tif", stable, "uint8")
exp = {"rows": N, "cols": N, "pixel_size_m": PX}

# 1. stable-terrain statistics
v = dh[stable]
exp["stable_median"] = float(np.nanmedian(v))
exp["stable_nmad"] = float(ss.nmad(v))

# 2. binned NMAD vs slope (5 degree bins) and the interpolant
edges = np.arange(0.0, 50.0 + 1e-9, 5.0)
valid = stable & np.isfinite(dh)
df = ss.nd_binning(dh[valid], [slope[valid]], ["slope"], statistics=["count", np.nanmedian, ss.nmad],
                   list_var_bins=[edges])
df = df[df.nd == 1]
exp["bin_edges"] = edges.tolist()
exp["bin_count"] = [int(c) for c in df["count"].values]
exp["bin_median"] = [float(c) for c in df["nanmedian"].values]
exp["bin_nmad"] = [float(c) for c in df["nmad"].values]
fun = ss.interp_nd_binning(df, ["slope"], statistic="nmad", min_count=100)
pts = [-5.0, 0.3, 2.5, 10.2, 25.5, 47.5, 49.9, 60.0]
exp["interp_points"] = pts
exp["interp_values"] = [float(v) for v in fun((np.array(pts),))]
zs, err_fun = ss.two_step_standardization(dh[valid], [slope[valid]], fun)
exp["two_step_factor"] = float(err_fun((np.array([25.0]),))[0] / fun((np.array([25.0]),))[0])

# standardised error on the full raster (for the variogram): z = dh / sigma_xdem
z_std = dh / err_fun((slope.ravel(),)).reshape(slope.shape)
z_std[~stable] = np.nan

# 3. Dowd and Matheron on a fixed set of pairs (skgstat estimators, np.digitize grouping)
maxlag = np.sqrt(2.0) * (N - 1) * PX
bin_edges = []
r = np.sqrt(2) * PX
while r < maxlag:
    bin_edges.append(r)
    r *= np.sqrt(2)
bin_edges.append(maxlag)
npairs = 6000
flat = np.flatnonzero(np.isfinite(z_std))
p = rng.choice(flat, npairs)
dist_target = np.exp(rng.uniform(np.log(PX), np.log(maxlag / 2), npairs))
theta = rng.uniform(0, 2 * np.pi, npairs)
qi = np.clip(np.round(p // N + dist_target * np.sin(theta) / PX), 0, N - 1).astype(int)
qj = np.clip(np.round(p % N + dist_target * np.cos(theta) / PX), 0, N - 1).astype(int)
q = qi * N + qj
ok = np.isfinite(z_std.ravel()[q]) & (q != p)
p, q = p[ok], q[ok]
np.stack([p, q], axis=1).astype("<u4").tofile(os.path.join(OUT, "pairs.bin"))
d = np.hypot((p // N - q // N) * PX, (p % N - q % N) * PX)
x = np.abs(z_std.ravel()[p] - z_std.ravel()[q])
groups = np.digitize(d, bin_edges)
exp["pairs_upper_edges"] = bin_edges
exp["pairs_dowd"] = [float(skgstat.estimators.dowd(x[groups == k])) if np.any(groups == k) else None
                     for k in range(len(bin_edges))]
exp["pairs_matheron"] = [float(skgstat.estimators.matheron(x[groups == k])) if np.any(groups == k) else None
                         for k in range(len(bin_edges))]
exp["pairs_count"] = [int(np.sum(groups == k)) for k in range(len(bin_edges))]

# 4. xdem's own sampled variogram (cdist_equidistant, 5 runs) and Gaussian + Spherical fit
df_v = ss.sample_empirical_variogram(values=z_std, gsd=PX, subsample=1000, n_variograms=5, estimator="dowd",
                                     random_state=42)
_, params = ss.fit_sum_model_variogram(["Gaussian", "Spherical"], df_v)
exp["xdem_fit"] = [{"model": m, "range": float(r_), "psill": float(s_)}
                   for m, r_, s_ in zip(params["model"], params["range"], params["psill"])]
exp["xdem_emp_lags"] = df_v["lags"].tolist()
exp["xdem_emp_exp"] = df_v["exp"].tolist()
exp["xdem_emp_count"] = [int(c) for c in df_v["count"].values]

# 5. number of effective samples over a disk (radius 25 px), fixed model
import pandas as pd

model = pd.DataFrame({"model": ["gaussian", "spherical"], "range": [120.0, 600.0], "psill": [0.7, 0.3]})
rr, cc = np.mgrid[0:N, 0:N]
disk = (rr - 64) ** 2 + (cc - 64) ** 2 <= 25**2
coords = np.stack([cc[disk] * PX, rr[disk] * PX], axis=1).astype(float)
errors = err_fun((slope[disk],))
exp["neff_area_pixels"] = int(disk.sum())
exp["neff_exact_unit"] = float(ss.neff_exact(coords, np.ones(len(coords)), model))
exp["neff_exact_sigma"] = float(ss.neff_exact(coords, errors, model))
exp["neff_hugonnet_unit_k1000"] = float(ss.neff_hugonnet_approx(coords, np.ones(len(coords)), model,
                                                                 subsample=1000, random_state=42))
exp["sigma_on_disk_mean"] = float(np.mean(errors))

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(exp, f, indent=1)
print(json.dumps({k: exp[k] for k in ["stable_nmad", "two_step_factor", "xdem_fit", "neff_exact_unit",
                                       "neff_exact_sigma", "neff_hugonnet_unit_k1000"]}, indent=1))
