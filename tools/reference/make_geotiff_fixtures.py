#!/usr/bin/env python3
"""Write the GeoTIFF fixtures that sar-core's reader is tested against.

Usage:  /work/pyenv/bin/python tools/reference/make_geotiff_fixtures.py [OUTDIR]

OUTDIR defaults to crates/sar-core/tests/data/geotiff/. Every fixture is
written by rasterio (GDAL), a few are post-processed with `gdal_translate`
(Debian gdal-bin) for what rasterio cannot write directly (complex int16,
PixelIsPoint). Beside each `NAME.tif` a `NAME.json` records what rasterio
reads back: shape, dtype, geotransform (GDAL order), EPSG, geographic flag,
no-data, block layout, and per band the min, max, sum, a position-weighted
checksum, the no-data count and 64 sampled pixel values (floats also as raw
IEEE bits in hex, so that tests can compare them bit-exactly).

The Rust test crates/sar-core/tests/geotiff_interop.rs reads these files with
sar_core::geotiff and compares against the JSON.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.transform import Affine

W, H = 37, 53  # ragged against 16×16 tiles and 8-row strips
RNG = np.random.default_rng(20240521)
UTM_T = Affine(30.0, 0.0, 500_000.0, 0.0, -30.0, 4_100_000.0)


def dem_like(dtype, lo, hi):
    yy, xx = np.mgrid[0:H, 0:W]
    base = lo + (hi - lo) * (0.5 + 0.4 * np.sin(xx / 6.0) * np.cos(yy / 9.0))
    noise = RNG.normal(0.0, (hi - lo) * 0.02, size=(H, W))
    v = base + noise
    if np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(dtype)
        v = np.clip(np.round(v), info.min, info.max)
    return v.astype(dtype)


def write(path, arrays, **profile):
    arrays = np.asarray(arrays)
    if arrays.ndim == 2:
        arrays = arrays[None]
    prof = dict(driver="GTiff", width=W, height=H, count=arrays.shape[0],
                dtype=arrays.dtype if arrays.dtype != np.dtype("complex64") else "complex64")
    tags = prof.pop("tags", None)
    prof.update(profile)
    tags = prof.pop("tags", tags)
    with rasterio.open(path, "w", **prof) as dst:
        if tags:
            dst.update_tags(**tags)
        dst.write(arrays)


def gdal_translate(src, dst, *args):
    subprocess.run(["gdal_translate", "-q", *args, src, dst], check=True)


def band_stats(a, nodata):
    a = np.asarray(a)
    flat = a.ravel()
    out = {}
    if np.iscomplexobj(flat):
        parts = {"re": flat.real.astype(np.float64), "im": flat.imag.astype(np.float64)}
        for k, v in parts.items():
            out[k + "_sum"] = float(np.sum(v))
            out[k + "_checksum"] = float(np.sum(v * (np.arange(v.size) % 97 + 1)))
    else:
        v = flat.astype(np.float64)
        valid = ~np.isnan(v)
        if nodata is not None and not np.isnan(nodata):
            valid &= v != nodata
        vv = v[valid]
        idx = np.nonzero(valid)[0]
        out["valid_count"] = int(valid.sum())
        out["min"] = float(vv.min())
        out["max"] = float(vv.max())
        out["sum"] = float(np.sum(vv))
        out["checksum"] = float(np.sum(vv * (idx % 97 + 1)))
    # 64 sampled pixels, always including the four corners.
    rows = [0, 0, H - 1, H - 1] + list(RNG.integers(0, H, 60))
    cols = [0, W - 1, 0, W - 1] + list(RNG.integers(0, W, 60))
    samples = []
    for r, c in zip(rows, cols):
        val = a[r, c]
        s = {"row": int(r), "col": int(c)}
        if np.iscomplexobj(a):
            s["re"] = float(val.real)
            s["im"] = float(val.imag)
            if a.dtype == np.complex64:
                s["re_bits"] = "%08x" % np.float32(val.real).view(np.uint32)
                s["im_bits"] = "%08x" % np.float32(val.imag).view(np.uint32)
        elif np.issubdtype(a.dtype, np.integer):
            s["value"] = int(val)
        else:
            s["value"] = None if np.isnan(val) else float(val)
            if a.dtype == np.float32:
                s["bits"] = "%08x" % np.float32(val).view(np.uint32)
            else:
                s["bits"] = "%016x" % np.float64(val).view(np.uint64)
        samples.append(s)
    out["samples"] = samples
    return out


def describe(path, note):
    with rasterio.open(path) as ds:
        data = ds.read()
        crs = ds.crs
        d = {
            "file": os.path.basename(path),
            "note": note,
            "width": ds.width,
            "height": ds.height,
            "count": ds.count,
            "dtype": ds.dtypes[0],
            "geotransform": list(ds.transform.to_gdal()),
            "epsg": crs.to_epsg() if crs else None,
            "geographic": bool(crs.is_geographic) if crs else False,
            "nodata": (None if ds.nodata is None else
                       ("nan" if np.isnan(ds.nodata) else float(ds.nodata))),
            "compression": ds.compression.name if ds.compression else "none",
            "interleave": ds.interleaving.name if ds.interleaving else None,
            "block_shapes": [list(b) for b in ds.block_shapes],
            "area_or_point": ds.tags().get("AREA_OR_POINT"),
            "bands": [band_stats(data[i], ds.nodata) for i in range(ds.count)],
        }
    with open(os.path.splitext(path)[0] + ".json", "w") as f:
        json.dump(d, f, indent=1)
        f.write("\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "crates", "sar-core", "tests", "data", "geotiff")
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)  # noqa: E731
    utm = CRS.from_epsg(32632)
    made = []

    def fx(name, note):
        describe(p(name), note)
        made.append(name)

    write(p("tiled_lzw_i16.tif"), dem_like("int16", -3000, 3000), crs=utm, transform=UTM_T,
          tiled=True, blockxsize=16, blockysize=16, compress="lzw", predictor=2)
    fx("tiled_lzw_i16.tif", "16x16 tiles, LZW, horizontal predictor, int16")

    write(p("strip_deflate_f32_pred3.tif"), dem_like("float32", 100, 4000),
          crs=CRS.from_epsg(32643), transform=UTM_T, tiled=False, blockysize=8,
          compress="deflate", predictor=3)
    fx("strip_deflate_f32_pred3.tif", "8-row strips, Deflate, floating-point predictor, float32")

    d = 1.0 / 3600.0
    geo_t = Affine(d, 0.0, 77.25, 0.0, -d, 36.5)
    write(p("geographic_f64.tif"), dem_like("float64", 2000, 6000), crs=CRS.from_epsg(4326),
          transform=geo_t, tiled=False, blockysize=16, compress="deflate", predictor=3)
    fx("geographic_f64.tif", "EPSG:4326 1 arc-second grid, float64, Deflate + predictor 3")

    a = dem_like("float32", 100, 4000)
    a[RNG.random(a.shape) < 0.1] = -9999.0
    write(p("nodata_f32.tif"), a, crs=utm, transform=UTM_T, nodata=-9999.0,
          compress="deflate")
    fx("nodata_f32.tif", "float32 with GDAL_NODATA=-9999 on ~10% of pixels")

    a = dem_like("int16", -500, 500)
    a[RNG.random(a.shape) < 0.1] = -32768
    write(p("nodata_i16.tif"), a, crs=utm, transform=UTM_T, nodata=-32768,
          compress="lzw", predictor=2)
    fx("nodata_i16.tif", "int16 with GDAL_NODATA=-32768")

    a = dem_like("float32", 0, 1)
    a[RNG.random(a.shape) < 0.05] = np.nan
    write(p("nodata_nan_f32.tif"), a, crs=utm, transform=UTM_T, nodata=float("nan"),
          compress="deflate", predictor=3)
    fx("nodata_nan_f32.tif", "float32 with GDAL_NODATA=nan")

    bands = np.stack([dem_like("uint16", 0, 60000) for _ in range(3)])
    write(p("multiband_pixel_u16.tif"), bands, crs=utm, transform=UTM_T, interleave="pixel",
          compress="lzw", predictor=2, tiled=False, blockysize=8)
    fx("multiband_pixel_u16.tif", "3 bands, pixel interleaved (chunky), LZW + predictor 2, uint16")

    bands = np.stack([dem_like("float32", -10, 10) for _ in range(3)])
    write(p("multiband_band_f32.tif"), bands, crs=utm, transform=UTM_T, interleave="band",
          compress="deflate", predictor=3, tiled=True, blockxsize=16, blockysize=16)
    fx("multiband_band_f32.tif", "3 bands, band interleaved (separate planes), 16x16 tiles, Deflate + predictor 3")

    bands = np.stack([dem_like("float64", -10, 10) for _ in range(2)])
    write(p("multiband_pixel_f64.tif"), bands, crs=utm, transform=UTM_T, interleave="pixel",
          compress="deflate", predictor=3, tiled=True, blockxsize=16, blockysize=16)
    fx("multiband_pixel_f64.tif", "2 bands, pixel interleaved, 16x16 tiles, Deflate + predictor 3, float64")

    z = (np.round(RNG.normal(0, 300, (H, W))) + 1j * np.round(RNG.normal(0, 300, (H, W))))
    z = z.astype(np.complex64)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "c.tif")
        write(src, z, crs=utm, transform=UTM_T)
        gdal_translate(src, p("cint16.tif"), "-ot", "CInt16", "-co", "BLOCKYSIZE=7")
    fx("cint16.tif", "complex int16 (SampleFormat 5), uncompressed 7-row strips, as SLC files")

    z = (RNG.normal(0, 1, (H, W)) + 1j * RNG.normal(0, 1, (H, W))).astype(np.complex64)
    write(p("cfloat32.tif"), z, crs=utm, transform=UTM_T, compress="deflate", tiled=True,
          blockxsize=16, blockysize=16)
    fx("cfloat32.tif", "complex float32 (SampleFormat 6), Deflate, 16x16 tiles")

    write(p("u8_deflate.tif"), dem_like("uint8", 0, 255), crs=utm, transform=UTM_T,
          compress="deflate", tiled=False, blockysize=5)
    fx("u8_deflate.tif", "uint8, Deflate without predictor, 5-row strips")

    write(p("u8_packbits.tif"), dem_like("uint8", 0, 255) // 16 * 16, crs=utm, transform=UTM_T,
          compress="packbits")
    fx("u8_packbits.tif", "uint8, PackBits")

    write(p("i32_lzw_tiled.tif"), dem_like("int32", -2_000_000, 2_000_000), crs=utm,
          transform=UTM_T, compress="lzw", predictor=2, tiled=True, blockxsize=32, blockysize=16)
    fx("i32_lzw_tiled.tif", "int32, LZW + predictor 2, 32x16 tiles")

    write(p("u32_none.tif"), dem_like("uint32", 0, 4_000_000_000), crs=utm, transform=UTM_T)
    fx("u32_none.tif", "uint32, uncompressed")

    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "b.tif")
        write(src, dem_like("uint16", 0, 60000), crs=utm, transform=UTM_T)
        gdal_translate(src, p("u16_bigendian.tif"), "-co", "ENDIANNESS=BIG",
                       "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=2",
                       "-co", "TILED=YES", "-co", "BLOCKXSIZE=16", "-co", "BLOCKYSIZE=16")
        fx("u16_bigendian.tif", "big-endian (MM) uint16, Deflate + predictor 2, 16x16 tiles")

        src = os.path.join(tmp, "f.tif")
        write(src, dem_like("float32", 0, 100), crs=utm, transform=UTM_T)
        gdal_translate(src, p("f32_bigendian_pred3.tif"), "-co", "ENDIANNESS=BIG",
                       "-co", "COMPRESS=LZW", "-co", "PREDICTOR=3")
        fx("f32_bigendian_pred3.tif", "big-endian float32, LZW + predictor 3")

        src = os.path.join(tmp, "pt.tif")
        write(src, dem_like("float32", 0, 100), crs=utm, transform=UTM_T)
        gdal_translate(src, p("pixel_is_point_f32.tif"), "-mo", "AREA_OR_POINT=Point",
                       "-co", "COMPRESS=DEFLATE")
        fx("pixel_is_point_f32.tif", "GTRasterTypeGeoKey = PixelIsPoint; GDAL shifts by half a pixel")

    rot_t = Affine(29.0, 5.0, 500_000.0, 4.0, -28.0, 4_100_000.0)
    write(p("rotated_f32.tif"), dem_like("float32", 0, 100), crs=utm, transform=rot_t,
          compress="deflate")
    fx("rotated_f32.tif", "rotated grid, stored as ModelTransformation")

    write(p("bigtiff_u8.tif"), dem_like("uint8", 0, 255), crs=utm, transform=UTM_T,
          BIGTIFF="YES", compress="lzw")
    fx("bigtiff_u8.tif", "BigTIFF container, uint8, LZW")

    print("wrote", len(made), "fixtures to", os.path.normpath(out))
    for m in made:
        print("  ", m, os.path.getsize(p(m)), "bytes")


if __name__ == "__main__":
    main()
