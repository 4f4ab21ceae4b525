#!/usr/bin/env python3
"""Reference values from xdem 0.2.3 for the geodetic-mb crate.

Run:  /work/venvs/mb/bin/python tools/reference/mb_xdem_reference.py
      (venv: python3 -m venv /work/venvs/mb && /work/venvs/mb/bin/pip install xdem==0.2.3)
Writes crates/geodetic-mb/tests/data/xdem/{ref,tba,ddem}.tif (float64 GeoTIFF,
20 m UTM 43N, NaN no-data), glacier.tif (uint8, 1 = glacier) and
expected.json, read by crates/geodetic-mb/tests/xdem_reference.rs.

Inputs (synthetic, seeded):
* ref: an analytic mountain surface, 120 x 120 px of 20 m;
* tba: the same surface displaced by (dx, dy) = (13.0, -8.5) m and raised by
  dz = 2.0 m, plus N(0, 0.3 m) noise and a few no-data pixels; the glacier
  rectangle is changed by -5 m and excluded from the inlier (stable) mask;
* ddem: an elevation-dependent dh on the glacier with voids, for the
  hypsometric comparison.

xdem outputs stored:
1. NuthKaab() (defaults: 72 aspect bins, median, curve_fit, <= 10 iterations,
   0.001 px threshold): shift_x, shift_y, shift_z (georeferenced units);
2. the stable-terrain NMAD of tba - ref before, and after applying xdem's
   shift (tba translated, reprojected bilinearly onto the ref grid), also
   restricted to the pixels geodetic-mb's stricter bilinear keeps;
3. xdem.volume.hypsometric_binning(ddem[m], ref[m], bins=50, kind="fixed",
   median). Its loop stores the statistic of bin i (0-based) at index i - 1
   (xdem issue 786: every value sits one bin low, the first bin's value
   wraps to the last row). Both the raw and the corrected values
   (corrected[i] = raw[(i - 1) mod n]) are stored; the Rust test compares
   its band medians with the corrected ones and says so;
4. the glacier-mean dh after xdem.volume.hypsometric_interpolation (with the
   bug) and after the same interpolation from corrected bins.
"""
import json
import os
import warnings

import numpy as np
import rasterio
from rasterio.transform import from_origin

import geoutils as gu
import xdem

warnings.filterwarnings("ignore")

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "geodetic-mb", "tests", "data", "xdem")
os.makedirs(OUT, exist_ok=True)

N, PX = 120, 20.0
X0, Y0 = 500_000.0, 4_002_400.0
DX, DY, DZ = 13.0, -8.5, 2.0


def surface(x, y):
    x = x - X0
    y = y - (Y0 - N * PX)
    return (
        4600.0
        + 300.0 * np.sin(x / 500.0) * np.cos(y / 650.0)
        + 150.0 * np.sin((x + 0.7 * y) / 330.0)
        + 0.04 * y
    )


cols, rows = np.meshgrid(np.arange(N), np.arange(N))
xc = X0 + (cols + 0.5) * PX
yc = Y0 - (rows + 0.5) * PX
ref = surface(xc, yc)
rng = np.random.default_rng(42)
tba = surface(xc - DX, yc - DY) + DZ + rng.normal(0.0, 0.3, size=(N, N))
glacier = np.zeros((N, N), dtype=bool)
glacier[40:75, 30:80] = True
tba[glacier] -= 5.0
holes = rng.random((N, N)) < 0.01
tba[holes] = np.nan

# hypsometric test dDEM: dh = -3 + 0.01 (h - 4600) on the glacier, with voids
ddem = np.full((N, N), np.nan)
ddem[glacier] = -3.0 + 0.01 * (ref[glacier] - 4600.0) + rng.normal(0.0, 0.2, size=glacier.sum())
void = np.zeros((N, N), dtype=bool)
void[50:62, 35:70] = True
ddem[void] = np.nan

transform = from_origin(X0, Y0, PX, PX)
prof = dict(driver="GTiff", height=N, width=N, count=1, crs="EPSG:32643", transform=transform)
for name, arr in [("ref", ref), ("tba", tba), ("ddem", ddem)]:
    with rasterio.open(os.path.join(OUT, f"{name}.tif"), "w", dtype="float64", nodata=np.nan, **prof) as d:
        d.write(arr, 1)
with rasterio.open(os.path.join(OUT, "glacier.tif"), "w", dtype="uint8", **prof) as d:
    d.write(glacier.astype(np.uint8), 1)

ref_dem = xdem.DEM(os.path.join(OUT, "ref.tif"))
tba_dem = xdem.DEM(os.path.join(OUT, "tba.tif"))
stable = ~glacier

nk = xdem.coreg.NuthKaab()
nk.fit(ref_dem, tba_dem, inlier_mask=stable, random_state=42)
aff = nk.meta["outputs"]["affine"]
shift = {k: float(aff[k]) for k in ("shift_x", "shift_y", "shift_z")}
aligned = nk.apply(tba_dem).reproject(ref_dem, resampling="bilinear")


def nmad_stable(a):
    d = (a - ref)[stable]
    return float(xdem.spatialstats.nmad(d[np.isfinite(d)]))


aligned_arr = aligned.data.filled(np.nan).astype(float)
nmad_before = nmad_stable(tba)
nmad_after = nmad_stable(aligned_arr)
# xdem's resampling also fills pixels next to no-data (renormalised weights);
# geodetic-mb leaves a pixel NaN unless all four bilinear neighbours are
# valid. On the same pixels (those where an all-four-neighbours bilinear
# shift of tba by xdem's offset is valid) the NMADs are comparable:
from scipy.ndimage import map_coordinates  # noqa: E402

rr, cc = np.mgrid[0:N, 0:N].astype(float)
same = np.isfinite(
    map_coordinates(tba, [rr + shift["shift_y"] / PX, cc - shift["shift_x"] / PX], order=1, mode="constant", cval=np.nan)
)
d_same = (aligned_arr - ref)[stable & same]
nmad_after_same_pixels = float(xdem.spatialstats.nmad(d_same[np.isfinite(d_same)]))

# hypsometric binning (issue 786)
m = glacier & np.isfinite(ddem)
hb = xdem.volume.hypsometric_binning(ddem[m], ref[m], bins=50.0, kind="fixed", aggregation_function=np.median)
raw = hb["value"].to_numpy()
counts_raw = hb["count"].to_numpy()
nb = len(raw)
corrected = np.array([raw[(i - 1) % nb] for i in range(nb)])
lower = np.array([iv.left for iv in hb.index])

filled_bug = xdem.volume.hypsometric_interpolation(ddem, ref, glacier)
mean_bug = float(np.nanmean(np.asarray(filled_bug.filled(np.nan))[glacier]))
hb_c = hb.copy()
hb_c["value"] = corrected
interp_c = xdem.volume.interpolate_hypsometric_bins(hb_c)
import scipy.interpolate  # noqa: E402

model = scipy.interpolate.interp1d(interp_c.index.mid, interp_c["value"].values, fill_value="extrapolate")
filled_c = np.where(glacier & ~np.isfinite(ddem), model(ref), ddem)
mean_corrected = float(np.nanmean(filled_c[glacier]))

expected = {
    "xdem_version": xdem.__version__,
    "truth": {"dx": DX, "dy": DY, "dz": DZ},
    "nuth_kaab": shift,
    "nmad_before": nmad_before,
    "nmad_after": nmad_after,
    "nmad_after_same_pixels": nmad_after_same_pixels,
    "hypsometric": {
        "band_m": 50.0,
        "origin_m": float(ref[m].min()),
        "lower_m": lower.tolist(),
        "raw_value": [None if not np.isfinite(v) else float(v) for v in raw],
        "corrected_value": [None if not np.isfinite(v) else float(v) for v in corrected],
        "count_raw": counts_raw.astype(int).tolist(),
        "glacier_mean_filled_xdem_bug": mean_bug,
        "glacier_mean_filled_corrected": mean_corrected,
    },
}
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print(json.dumps({k: v for k, v in expected.items() if k != "hypsometric"}, indent=1))
print("hypsometric means: bug", mean_bug, "corrected", mean_corrected)
