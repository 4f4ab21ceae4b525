#!/usr/bin/env python3
"""Speed of xdem 0.2.3 vs geodetic-mb on the stages xdem has, on the same raster.

Run (the Rust example writes the rasters and its own stage timings):
  cargo build --release -p geodetic-mb --example region_timing
  target/release/examples/region_timing 5000 500 K /tmp/mb_region
  /work/venvs/mb/bin/python tools/reference/mb_xdem_timing.py /tmp/mb_region [max_neff_s]
  (venv: python3 -m venv /work/venvs/mb && /work/venvs/mb/bin/pip install xdem==0.2.3 scikit-gstat)

Reads reference.tif, later.tif (the later DEM resampled onto the reference
grid, before co-registration), stable.tif (uint8 stable-terrain mask),
dhdt.tif (filtered dh/dt, m/yr), labels.tif (glacier labels) and
ours_timing.json from that folder, and times with xdem:
  1. co-registration: xdem.coreg.NuthKaab().fit(reference, later, inlier_mask=stable)
     (ours: Coregistration::default().run, Nuth & Kaab iterated);
  2. variogram: xdem.spatialstats.sample_empirical_variogram on dh/dt over
     stable terrain (Dowd, default subsample) + fit_sum_model_variogram
     (Gaussian + Spherical) (ours: ErrorModel::fit, which also fits the
     heteroscedasticity and standardises);
  3. n_eff: xdem.spatialstats.neff_hugonnet_approx (K = 1000) of every
     glacier with the fitted model, stopping after max_neff_s seconds
     (default 600) and extrapolating linearly in the number of glacier pixels
     (ours: the exact eq. 4.11 per glacier by FFT, inside the hypsometric
     per-glacier run, which also fills and computes b).
Prints both timings and the ratio xdem/ours per stage. The machine is
shared: timings are under whatever load it has.
"""
import json
import os
import sys
import time
import warnings

import numpy as np
import rasterio

import xdem
import xdem.spatialstats as ss

warnings.filterwarnings("ignore")
d = sys.argv[1] if len(sys.argv) > 1 else "/tmp/mb_region"
max_neff_s = float(sys.argv[2]) if len(sys.argv) > 2 else 600.0
ours = json.load(open(os.path.join(d, "ours_timing.json")))


def read(name):
    with rasterio.open(os.path.join(d, name)) as f:
        a = f.read(1).astype(float)
        if f.nodata is not None and not np.isnan(f.nodata):
            a[a == f.nodata] = np.nan
        return a, f.res[0]


res = {}
ref_dem = xdem.DEM(os.path.join(d, "reference.tif"))
tba_dem = xdem.DEM(os.path.join(d, "later.tif"))
stable = read("stable.tif")[0] > 0
t = time.perf_counter()
nk = xdem.coreg.NuthKaab()
nk.fit(ref_dem, tba_dem, inlier_mask=stable, random_state=42)
res["coreg_s"] = time.perf_counter() - t
aff = nk.meta["outputs"]["affine"]
res["shift"] = [float(aff[k]) for k in ("shift_x", "shift_y", "shift_z")]
del ref_dem, tba_dem

dh, px = read("dhdt.tif")
z = np.where(stable, dh, np.nan)
t = time.perf_counter()
df = ss.sample_empirical_variogram(values=z, gsd=px, estimator="dowd", random_state=42)
_, params = ss.fit_sum_model_variogram(["Gaussian", "Spherical"], df)
res["variogram_s"] = time.perf_counter() - t
res["ranges_m"] = params["range"].tolist()

labels = read("labels.tif")[0].astype(np.int64)
rows, cols = np.nonzero(labels > 0)
lab = labels[rows, cols]
order = np.argsort(lab, kind="stable")
rows, cols, lab = rows[order], cols[order], lab[order]
bounds = np.flatnonzero(np.diff(lab)) + 1
groups = np.split(np.arange(len(lab)), bounds)
total_px = len(lab)
done_px = 0
t = time.perf_counter()
n_done = 0
for g in groups:
    coords = np.stack([cols[g] * px, rows[g] * px], axis=1).astype(float)
    ss.neff_hugonnet_approx(coords, np.ones(len(g)), params, subsample=1000, random_state=42)
    done_px += len(g)
    n_done += 1
    if time.perf_counter() - t > max_neff_s:
        break
el = time.perf_counter() - t
res["neff_s_measured"] = el
res["neff_glaciers_done"] = n_done
res["neff_s"] = el * total_px / max(done_px, 1)

print(json.dumps({"xdem": res, "ours": ours}, indent=1))
rows_ = [
    ("co-registration (Nuth & Kaab)", res["coreg_s"], ours["co-registration"]),
    ("variogram + fit (ours: full error model)", res["variogram_s"], ours["error_model_s"]),
    ("n_eff of every glacier (ours: + fill, b)", res["neff_s"], ours["glaciers_hypsometric_s"]),
]
for name, a, b in rows_:
    print(f"{name:<44} xdem {a:9.2f} s   ours {b:9.2f} s   ratio {a / b:7.1f}x")
if n_done < len(groups):
    print(f"xdem n_eff: {n_done} of {len(groups)} glaciers in {el:.0f} s, extrapolated by pixel count")
