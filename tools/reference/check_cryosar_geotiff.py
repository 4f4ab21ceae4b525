#!/usr/bin/env python3
"""Check that GeoTIFFs written by sar-core read correctly with rasterio (GDAL).

Usage:
    cargo run -p sar-core --example write_interop_fixtures -- DIR
    /work/pyenv/bin/python tools/reference/check_cryosar_geotiff.py DIR

DIR/manifest.json (written by the Rust example) lists each file with its
expected shape, dtype, geotransform (GDAL order), EPSG, geographic flag,
no-data and the exact stored bytes of every band. For each file this script
compares rasterio's view: transform (to 1e-9), CRS EPSG, geographic flag,
no-data, dtype, shape, pixel values bit for bit (NaN equal to NaN), and,
for files written with GDAL metadata (TIFF tag 42112), the dataset tags
(ds.tags()), band descriptions (ds.descriptions), units (ds.units) and
band tags (ds.tags(band)).
It prints a table and exits with status 1 on any mismatch (2 if rasterio
is missing).
"""

import json
import math
import os
import sys

try:
    import numpy as np
    import rasterio
except ImportError as e:  # pragma: no cover
    print(f"rasterio/numpy not available: {e}")
    sys.exit(2)

NUMPY_DTYPE = {
    "uint8": "<u1", "int8": "<i1", "uint16": "<u2", "int16": "<i2",
    "uint32": "<u4", "int32": "<i4", "float32": "<f4", "float64": "<f8",
    "complex64": "<c8",
}


def expected_band(entry, b):
    raw = bytes.fromhex(entry["bands_le_hex"][b])
    h, w = entry["height"], entry["width"]
    if entry["dtype"] == "complex_int16":
        a = np.frombuffer(raw, dtype="<i2").reshape(h, w, 2).astype(np.float32)
        return (a[..., 0] + 1j * a[..., 1]).astype(np.complex64)
    return np.frombuffer(raw, dtype=NUMPY_DTYPE[entry["dtype"]]).reshape(h, w)


def same_values(got, exp):
    if np.iscomplexobj(exp):
        return (same_values(got.real, exp.real.astype(np.float32))
                and same_values(got.imag, exp.imag.astype(np.float32)))
    got = np.asarray(got)
    if exp.dtype.kind == "f":
        exp = exp.astype(exp.dtype.newbyteorder("="))
        both_nan = np.isnan(got) & np.isnan(exp)
        bits_equal = got.astype(exp.dtype).view(f"u{exp.itemsize}") == exp.view(f"u{exp.itemsize}")
        return bool(np.all(both_nan | bits_equal))
    return bool(np.array_equal(got, exp))


def check(dirname, entry):
    path = os.path.join(dirname, entry["file"])
    res = {}
    with rasterio.open(path) as ds:
        gt = ds.transform.to_gdal()
        res["shape"] = (ds.count, ds.height, ds.width) == (entry["count"], entry["height"], entry["width"])
        res["dtype"] = ds.dtypes[0] == entry["dtype"]
        res["transform"] = all(abs(a - b) <= 1e-9 for a, b in zip(gt, entry["geotransform"]))
        epsg = ds.crs.to_epsg() if ds.crs else None
        res["crs"] = epsg == entry["epsg"] and (
            entry["epsg"] is None or bool(ds.crs.is_geographic) == entry["geographic"])
        nd, exp_nd = ds.nodata, entry["nodata"]
        if exp_nd is None:
            res["nodata"] = nd is None
        elif exp_nd == "nan":
            res["nodata"] = nd is not None and math.isnan(nd)
        else:
            res["nodata"] = nd is not None and nd == exp_nd
        md = entry.get("metadata")
        if md is not None:
            tags = ds.tags()
            res["metadata"] = (
                all(tags.get(k) == v for k, v in md["tags"].items())
                and list(ds.descriptions) == md["descriptions"]
                and list(ds.units) == md["units"]
                and all(ds.tags(int(b)).get(k) == v
                        for b, kv in md["band_tags"].items() for k, v in kv.items()))
        else:
            res["metadata"] = True
        data = ds.read()
        res["values"] = all(same_values(data[b], expected_band(entry, b))
                            for b in range(entry["count"]))
        detail = f"{ds.count}x{ds.height}x{ds.width} {ds.dtypes[0]} EPSG:{epsg} nodata={nd}"
    return res, detail


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    dirname = sys.argv[1]
    with open(os.path.join(dirname, "manifest.json")) as f:
        manifest = json.load(f)
    cols = ["shape", "dtype", "transform", "crs", "nodata", "metadata", "values"]
    print(f"rasterio {rasterio.__version__}, GDAL {rasterio.__gdal_version__}")
    print(f"{'file':34s} " + " ".join(f"{c:9s}" for c in cols) + " detail")
    bad = 0
    for entry in manifest["files"]:
        try:
            res, detail = check(dirname, entry)
        except Exception as e:  # noqa: BLE001 - report any failure as a mismatch
            res, detail = {c: False for c in cols}, f"error: {e}"
        ok = all(res.values())
        bad += not ok
        print(f"{entry['file']:34s} " + " ".join(f"{'ok' if res[c] else 'MISMATCH':9s}" for c in cols)
              + " " + detail)
    n = len(manifest["files"])
    print(f"{n - bad}/{n} files agree with rasterio")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
