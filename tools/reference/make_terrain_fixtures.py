#!/usr/bin/env python3
"""Reference fixtures for sar-core's terrain module (slope, aspect).

Run with the project's Python environment (rasterio bundles GDAL for writing
the GeoTIFFs; the reference values come from Debian's `gdaldem`):

    /work/pyenv/bin/python tools/reference/make_terrain_fixtures.py

It writes into crates/sar-core/tests/data/terrain/:

* ``utm.json`` + ``dem_utm.bin``: a 64 x 64 DEM on a 30 m UTM grid
  (EPSG:32643, Karakoram), with hills, a ridge, a valley, a flat lake, a flat
  plateau and a no-data hole (-9999). Heights are quantised to 1/64 m so that
  GDAL's single-precision sums of the 3 x 3 window are exact and the
  comparison tests the method, not rounding.
* ``slope_horn.bin``, ``aspect_horn.bin``, ``slope_zt.bin``, ``aspect_zt.bin``:
  ``gdaldem slope|aspect`` (default Horn, and ``-alg ZevenbergenThorne``) of
  that DEM, no-data -9999 (edges, no-data neighbourhoods, and for aspect the
  flat cells).
* ``geo.json`` + ``dem_geo.bin`` + ``slope_geo_gdaldem_s111120.bin`` +
  ``aspect_geo_gdaldem.bin``: a tilted plane (slope 30 deg, aspect 120 deg at
  the centre) on a 1 arc-second WGS84 grid near 36.3 N, and what
  ``gdaldem slope -s 111120`` / ``gdaldem aspect`` make of it. The script
  measures how far gdaldem's single scale factor is off from the analytic
  slope and records it in ``geo.json``.

Every ``.bin`` is raw little-endian float32, row-major, north row first.
"""

import json
import math
import os
import subprocess
import tempfile

import numpy as np
import rasterio
from rasterio.transform import Affine

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "..",
    "crates",
    "sar-core",
    "tests",
    "data",
    "terrain",
)
NODATA = -9999.0
LAKE = 3470.0  # m: about 4 % of the cells lie below and become a flat lake
PLATEAU = 4230.0  # m: about 4 % lie above and become a flat plateau

# WGS84
A_WGS84 = 6378137.0
F_WGS84 = 1.0 / 298.257223563
E2 = F_WGS84 * (2.0 - F_WGS84)


def radii(phi):
    """Meridional (M) and prime-vertical (N) radii of curvature in metres."""
    w = math.sqrt(1.0 - E2 * math.sin(phi) ** 2)
    return A_WGS84 * (1.0 - E2) / w**3, A_WGS84 / w


def write_tif(path, data, transform, crs, nodata=None):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(data.astype(np.float32), 1)


def read_tif(path):
    with rasterio.open(path) as src:
        return src.read(1).astype(np.float32), src.nodata


def gdaldem(mode, src, dst, *opts):
    """Run gdaldem and return the command as text (file names abbreviated)."""
    subprocess.run(["gdaldem", mode, src, dst, *opts, "-q"], check=True)
    return " ".join(["gdaldem", mode, "DEM.tif", "OUT.tif", *opts])


def save_bin(name, arr):
    arr = np.ascontiguousarray(arr, dtype="<f4")
    arr.tofile(os.path.join(OUT, name))
    size = os.path.getsize(os.path.join(OUT, name))
    assert size < 40_000, (name, size)


def utm_dem():
    rows = cols = 64
    r, c = np.mgrid[0:rows, 0:cols].astype(np.float64)
    x = c * 30.0
    y = (rows - 1 - r) * 30.0  # metres north of the bottom row
    z = 3600.0 + 0.35 * x - 0.12 * y  # regional tilt
    for x0, y0, h, s in [(600, 1300, 380, 260), (1400, 700, 300, 200), (1250, 1550, 180, 140)]:
        z += h * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * s**2))
    # a NE-SW ridge and a valley
    d = (x - y - 200.0) / math.sqrt(2.0)
    z += 120.0 * np.exp(-(d / 90.0) ** 2)
    z -= 150.0 * np.exp(-(((x + y) - 1500.0) / 120.0) ** 2)
    z += 8.0 * np.sin(x / 70.0) * np.cos(y / 110.0)  # small-scale roughness
    z = np.maximum(z, LAKE)  # flat lake
    z = np.minimum(z, PLATEAU)  # flat plateau on the highest hill
    z = np.round(z * 64.0) / 64.0  # exact in float32 sums
    z[40:43, 8:12] = NODATA  # a no-data hole
    return z


def main():
    os.makedirs(OUT, exist_ok=True)
    version = subprocess.run(
        ["gdalinfo", "--version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    tmp = tempfile.mkdtemp()

    # ---------------------------------------------------------------- UTM
    z = utm_dem()
    gt = (500000.0, 30.0, 0.0, 4030020.0, 0.0, -30.0)  # GDAL order
    transform = Affine.from_gdal(*gt)
    dem_tif = os.path.join(tmp, "dem_utm.tif")
    write_tif(dem_tif, z, transform, "EPSG:32643", NODATA)
    save_bin("dem_utm.bin", z)
    commands = {}
    for name, args in [
        ("slope_horn", ["slope"]),
        ("aspect_horn", ["aspect"]),
        ("slope_zt", ["slope", "-alg", "ZevenbergenThorne"]),
        ("aspect_zt", ["aspect", "-alg", "ZevenbergenThorne"]),
    ]:
        out = os.path.join(tmp, name + ".tif")
        commands[name] = gdaldem(args[0], dem_tif, out, *args[1:])
        arr, nd = read_tif(out)
        assert nd == NODATA, nd
        save_bin(name + ".bin", arr)
    flat = int(np.sum(read_tif(os.path.join(tmp, "aspect_horn.tif"))[0] == NODATA))
    meta = {
        "made_by": "tools/reference/make_terrain_fixtures.py",
        "gdal": version,
        "rows": 64,
        "cols": 64,
        "geotransform": list(gt),
        "epsg": 32643,
        "nodata": NODATA,
        "dem": "dem_utm.bin",
        "gdaldem_commands": commands,
        "aspect_horn_nodata_cells": flat,
    }
    with open(os.path.join(OUT, "utm.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")

    # ---------------------------------------------------------- geographic
    rows = cols = 64
    d = 1.0 / 3600.0
    lon0, lat0 = 74.5, 36.3  # upper-left corner
    gt_geo = (lon0, d, 0.0, lat0, 0.0, -d)
    r, c = np.mgrid[0:rows, 0:cols].astype(np.float64)
    lon = lon0 + (c + 0.5) * d
    lat = lat0 - (r + 0.5) * d
    # Plane: at the grid centre slope 30 deg, aspect (downslope azimuth) 120 deg.
    latc, lonc = lat0 - rows / 2 * d, lon0 + cols / 2 * d
    mc, nc = radii(math.radians(latc))
    slope0, aspect0 = math.radians(30.0), math.radians(120.0)
    ge0 = -math.tan(slope0) * math.sin(aspect0)  # dz/d(east) in m/m
    gn0 = -math.tan(slope0) * math.cos(aspect0)  # dz/d(north) in m/m
    big_a = ge0 * nc * math.cos(math.radians(latc))  # metres per radian of longitude
    big_b = gn0 * mc  # metres per radian of latitude
    zg = (
        4000.0
        + big_a * np.radians(lon - lonc)
        + big_b * np.radians(lat - latc)
    )
    # analytic truth at every pixel centre
    phi = np.radians(lat)
    w = np.sqrt(1.0 - E2 * np.sin(phi) ** 2)
    m = A_WGS84 * (1.0 - E2) / w**3
    n = A_WGS84 / w
    ge = big_a / (n * np.cos(phi))
    gn = big_b / m
    slope_true = np.degrees(np.arctan(np.hypot(ge, gn)))
    aspect_true = np.degrees(np.arctan2(-ge, -gn)) % 360.0

    geo_tif = os.path.join(tmp, "dem_geo.tif")
    write_tif(geo_tif, zg, Affine.from_gdal(*gt_geo), "EPSG:4326")
    save_bin("dem_geo.bin", zg)
    out_s = os.path.join(tmp, "slope_geo.tif")
    cmd_s = gdaldem("slope", geo_tif, out_s, "-s", "111120")
    out_a = os.path.join(tmp, "aspect_geo.tif")
    cmd_a = gdaldem("aspect", geo_tif, out_a)
    s_gd = read_tif(out_s)[0]
    a_gd = read_tif(out_a)[0]
    save_bin("slope_geo_gdaldem_s111120.bin", s_gd)
    save_bin("aspect_geo_gdaldem.bin", a_gd)
    inner = (slice(1, -1), slice(1, -1))
    ds = s_gd[inner] - slope_true[inner]
    da = (a_gd[inner] - aspect_true[inner] + 180.0) % 360.0 - 180.0
    meta_geo = {
        "made_by": "tools/reference/make_terrain_fixtures.py",
        "gdal": version,
        "rows": rows,
        "cols": cols,
        "geotransform": list(gt_geo),
        "epsg": 4326,
        "dem": "dem_geo.bin",
        "surface": "z = 4000 + A*(lon - lonc)[rad] + B*(lat - latc)[rad]",
        "A_m_per_rad": big_a,
        "B_m_per_rad": big_b,
        "lonc_deg": lonc,
        "latc_deg": latc,
        "slope_at_centre_deg": 30.0,
        "aspect_at_centre_deg": 120.0,
        "gdaldem_commands": {"slope": cmd_s, "aspect": cmd_a},
        "gdaldem_slope_minus_truth_deg": {
            "min": float(ds.min()),
            "max": float(ds.max()),
            "mean": float(ds.mean()),
        },
        "gdaldem_aspect_minus_truth_deg": {
            "min": float(da.min()),
            "max": float(da.max()),
            "mean": float(da.mean()),
        },
    }
    with open(os.path.join(OUT, "geo.json"), "w") as f:
        json.dump(meta_geo, f, indent=2)
        f.write("\n")
    print(json.dumps(meta_geo, indent=2))
    print("UTM aspect no-data cells:", flat)


if __name__ == "__main__":
    main()
