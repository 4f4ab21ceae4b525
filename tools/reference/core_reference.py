#!/usr/bin/python3
"""Reference values for sar-core's reprojection, rasterisation, vector readers
and point sampling (issue 12 items 1-3).

Run with Debian's GDAL bindings (apt-get install gdal-bin python3-gdal
python3-pyproj gmt):

    /usr/bin/python3 tools/reference/core_reference.py

It writes into crates/sar-core/tests/data/core/:

* warp_<case>_src.tif           synthetic smooth source raster (Float32)
* warp_<case>_<method>.tif      gdalwarp -r near|bilinear|cubic -et 0 onto the
                                target grid described in warp_cases.json
* warp_cases.json               per case: source/target CRS (PROJ.4 / EPSG),
                                target geotransform and shape, and 60 target
                                pixel centres with the source pixel position
                                that PROJ (osr) gives for them (geolocation)
* outlines.shp/.dbf/.prj/.shx   glacier-like polygons (RGI 6 field names,
                                EPSG:4326) written by OGR
* outlines.gpkg                 the same in UTM 40N with RGI 7 field names
* outlines.geojson              the same (WGS 84) as GeoJSON
* outlines_labels_{centre,touched}.tif  gdal_rasterize of outlines.gpkg on a
                                30 m UTM grid, pixel-centre and ALL_TOUCHED
* outlines_areas.json           geodesic area (pyproj Geod, Karney) of each
                                polygon and the label grid definition
* icesat/                       Hooker Island ICESat shots (see README there)
                                and GMT grdtrack -nl (bilinear) samples

Every random choice is seeded.
"""
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
from osgeo import gdal, ogr, osr
from pyproj import Geod

gdal.UseExceptions()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "crates", "sar-core", "tests", "data", "core")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data", "real", "hooker-island-dems")
os.makedirs(OUT, exist_ok=True)


def srs_of(defn):
    s = osr.SpatialReference()
    if defn.startswith("EPSG:"):
        s.ImportFromEPSG(int(defn[5:]))
    else:
        s.ImportFromProj4(defn)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


# ---------------------------------------------------------------------------
# Warp cases: source CRS/grid, target CRS/grid.
# ---------------------------------------------------------------------------
LCC = "+proj=lcc +lat_1=78 +lat_2=82 +lat_0=80 +lon_0=55 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
# Columbia-glacier-like local Transverse Mercator (OGGM style).
TMERC = "+proj=tmerc +lat_0=0 +lon_0=-147.05 +k=0.9996 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"

CASES = [
    # name, source CRS, source geotransform, source shape, target CRS, target pixel
    ("utm_to_geo", "EPSG:32640", [420000.0, 30.0, 0.0, 8920000.0, 0.0, -30.0], (90, 80), "EPSG:4326", None),
    ("geo_to_utm", "EPSG:4326", [10.70, 1.0 / 1200, 0.0, 46.85, 0.0, -1.0 / 1200], (80, 90), "EPSG:32632", 40.0),
    ("utm_to_polar", "EPSG:32640", [420000.0, 30.0, 0.0, 8920000.0, 0.0, -30.0], (90, 80), "EPSG:3413", 20.0),
    ("utm_to_lcc", "EPSG:32640", [420000.0, 30.0, 0.0, 8920000.0, 0.0, -30.0], (90, 80), LCC, 25.0),
    ("tmerc_to_utm", TMERC, [-6000.0, 100.0, 0.0, 6770000.0, 0.0, -100.0], (70, 80), "EPSG:32606", 80.0),
]


def smooth_field(rows, cols, seed):
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:rows, 0:cols].astype(float)
    z = 500.0 + 3.0 * r + 2.0 * c
    for _ in range(6):
        r0, c0 = rng.uniform(0, rows), rng.uniform(0, cols)
        s = rng.uniform(6, 20)
        a = rng.uniform(-300, 300)
        z += a * np.exp(-((r - r0) ** 2 + (c - c0) ** 2) / (2 * s * s))
    z += 20.0 * np.sin(c / 7.0) * np.cos(r / 9.0)
    return z.astype(np.float32)


def write_tif(path, data, gt, srs):
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(path, data.shape[1], data.shape[0], 1, gdal.GDT_Float32, ["COMPRESS=DEFLATE", "PREDICTOR=3"])
    ds.SetGeoTransform(gt)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(data)
    ds.GetRasterBand(1).SetNoDataValue(float("nan"))
    ds = None


cases_json = []
for k, (name, s_crs, s_gt, s_shape, t_crs, t_px) in enumerate(CASES):
    src_srs = srs_of(s_crs)
    tgt_srs = srs_of(t_crs)
    data = smooth_field(*s_shape, seed=100 + k)
    src_path = os.path.join(OUT, f"warp_{name}_src.tif")
    write_tif(src_path, data, s_gt, src_srs)
    # Target grid: the source bounds in the target CRS, shrunk by 15 % on each
    # side so that edge effects do not dominate, on a pixel a bit finer than
    # the source (no down-sampling: gdalwarp then widens its kernels).
    ct = osr.CoordinateTransformation(src_srs, tgt_srs)
    rows, cols = s_shape
    xs, ys = [], []
    for i in range(21):
        for (pc, pr) in [(i / 20 * cols, 0), (i / 20 * cols, rows), (0, i / 20 * rows), (cols, i / 20 * rows)]:
            x = s_gt[0] + pc * s_gt[1]
            y = s_gt[3] + pr * s_gt[5]
            u, v, _ = ct.TransformPoint(x, y)
            xs.append(u)
            ys.append(v)
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    w, h = x1 - x0, y1 - y0
    x0, x1, y0, y1 = x0 + 0.15 * w, x1 - 0.15 * w, y0 + 0.15 * h, y1 - 0.15 * h
    if t_px is None:
        # geographic target: 100 x 100 pixels (about 17 m x 19 m), finer
        # than the 30 m source in both directions
        t_px_x, t_px_y = (x1 - x0) / 100, (y1 - y0) / 100
    else:
        t_px_x = t_px_y = t_px
    t_cols = int(round((x1 - x0) / t_px_x))
    t_rows = int(round((y1 - y0) / t_px_y))
    t_gt = [x0, t_px_x, 0.0, y1, 0.0, -t_px_y]
    methods = {}
    for m in ["near", "bilinear", "cubic"]:
        out = os.path.join(OUT, f"warp_{name}_{m}.tif")
        if os.path.exists(out):
            os.remove(out)
        gdal.Warp(
            out,
            src_path,
            dstSRS=tgt_srs.ExportToWkt(),
            outputBounds=[x0, y1 - t_rows * t_px_y, x0 + t_cols * t_px_x, y1],
            width=t_cols,
            height=t_rows,
            resampleAlg=m,
            errorThreshold=0.0,
            dstNodata=float("nan"),
            outputType=gdal.GDT_Float32,
            creationOptions=["COMPRESS=DEFLATE", "PREDICTOR=3"],
        )
        methods[m] = os.path.basename(out)
    # Geolocation: target pixel centres -> source pixel coordinates by PROJ.
    rng = np.random.default_rng(7 + k)
    back = osr.CoordinateTransformation(tgt_srs, src_srs)
    geoloc = []
    for _ in range(60):
        r = int(rng.integers(0, t_rows))
        c = int(rng.integers(0, t_cols))
        x = t_gt[0] + (c + 0.5) * t_gt[1]
        y = t_gt[3] + (r + 0.5) * t_gt[5]
        u, v, _ = back.TransformPoint(x, y)
        sc = (u - s_gt[0]) / s_gt[1]
        sr = (v - s_gt[3]) / s_gt[5]
        geoloc.append([r, c, sc, sr])
    cases_json.append(
        {
            "name": name,
            "source_crs": s_crs,
            "target_crs": t_crs,
            "source_tif": os.path.basename(src_path),
            "source_geotransform": s_gt,
            "target_geotransform": t_gt,
            "target_shape": [t_rows, t_cols],
            "outputs": methods,
            "geolocation_row_col_srccol_srcrow": geoloc,
        }
    )

with open(os.path.join(OUT, "warp_cases.json"), "w") as f:
    json.dump({"gdal": gdal.__version__, "proj": "%d.%d.%d" % (osr.GetPROJVersionMajor(), osr.GetPROJVersionMinor(), osr.GetPROJVersionMicro()), "cases": cases_json}, f, indent=1)

# ---------------------------------------------------------------------------
# Outlines: glacier-like polygons near Hooker Island (80.2 N, 52.8 E).
# ---------------------------------------------------------------------------
rng = np.random.default_rng(2024)
geod = Geod(ellps="WGS84")


def blob(lon0, lat0, radius_m, n, rng, rough=0.25):
    """A star-shaped glacier-like ring (lon/lat), counter-clockwise."""
    phases = rng.uniform(0, 2 * np.pi, 5)
    amps = rng.uniform(0, rough, 5) / np.arange(1, 6)
    pts = []
    for i in range(n):
        t = 2 * np.pi * i / n
        rr = radius_m * (1 + sum(a * np.sin((j + 1) * t + p) for j, (a, p) in enumerate(zip(amps, phases))))
        lon, lat, _ = geod.fwd(lon0, lat0, 90 - math.degrees(t), rr)
        pts.append((lon, lat))
    pts.append(pts[0])
    return pts


def ring_geom(pts):
    r = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in pts:
        r.AddPoint_2D(x, y)
    return r


polys = []
# 1: simple glacier
polys.append(("RGI60-07.00001", "Alpha glacier", 0, [[blob(52.70, 80.22, 1500, 180, rng)]]))
# 2: glacier with a nunatak (hole)
outer = blob(52.95, 80.20, 2500, 240, rng)
hole = blob(52.95, 80.20, 500, 60, rng, rough=0.1)[::-1]
polys.append(("RGI60-07.00002", "Beta glacier", 3, [[outer, hole]]))
# 3: multipolygon (two disjoint parts)
polys.append(("RGI60-07.00003", "", 2, [[blob(52.55, 80.16, 900, 120, rng)], [blob(52.62, 80.145, 600, 90, rng)]]))
# 4: a small, very irregular one
polys.append(("RGI60-07.00004", "Delta", 9, [[blob(52.82, 80.135, 700, 150, rng, rough=0.6)]]))

wgs = srs_of("EPSG:4326")
utm = srs_of("EPSG:32640")
to_utm = osr.CoordinateTransformation(wgs, utm)


def make_geom(parts):
    mp = ogr.Geometry(ogr.wkbMultiPolygon)
    for rings in parts:
        p = ogr.Geometry(ogr.wkbPolygon)
        for rg in rings:
            p.AddGeometry(ring_geom(rg))
        mp.AddGeometry(p)
    return mp


areas = []
for rid, name, surge, parts in polys:
    a = 0.0
    for rings in parts:
        for j, rg in enumerate(rings):
            lons, lats = zip(*rg)
            ar, _ = geod.polygon_area_perimeter(lons, lats)
            a += abs(ar) * (1 if j == 0 else -1)
    areas.append(a)

for fname, drvname, srs, names in [
    ("outlines.shp", "ESRI Shapefile", wgs, ("RGIId", "Area", "Surging", "Name")),
    ("outlines.gpkg", "GPKG", utm, ("rgi_id", "area_km2", "surge_type", "glac_name")),
    ("outlines.geojson", "GeoJSON", wgs, ("RGIId", "Area", "Surging", "Name")),
]:
    path = os.path.join(OUT, fname)
    drv = ogr.GetDriverByName(drvname)
    if os.path.exists(path):
        drv.DeleteDataSource(path)
    ds = drv.CreateDataSource(path)
    lyr = ds.CreateLayer("outlines", srs, ogr.wkbMultiPolygon)
    lyr.CreateField(ogr.FieldDefn(names[0], ogr.OFTString))
    lyr.CreateField(ogr.FieldDefn(names[1], ogr.OFTReal))
    lyr.CreateField(ogr.FieldDefn(names[2], ogr.OFTInteger))
    lyr.CreateField(ogr.FieldDefn(names[3], ogr.OFTString))
    for (rid, name, surge, parts), a in zip(polys, areas):
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField(names[0], rid)
        f.SetField(names[1], round(a / 1e6, 4))
        f.SetField(names[2], surge)
        f.SetField(names[3], name)
        g = make_geom(parts)
        if srs is utm:
            g.Transform(to_utm)
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    ds = None

# Label rasters by gdal_rasterize on a 30 m UTM 40N grid; burn value = FID + 1.
gpkg = os.path.join(OUT, "outlines.gpkg")
ds = ogr.Open(gpkg)
lyr = ds.GetLayer(0)
xmin, xmax, ymin, ymax = lyr.GetExtent()
px = 30.0
lx0 = math.floor(xmin / px) * px - 3 * px + 7.3
ly1 = math.ceil(ymax / px) * px + 3 * px - 4.1
lcols = int(math.ceil((xmax - lx0) / px)) + 3
lrows = int(math.ceil((ly1 - ymin) / px)) + 3
label_gt = [lx0, px, 0.0, ly1, 0.0, -px]
for mode, opts in [("centre", []), ("touched", ["ALL_TOUCHED=TRUE"])]:
    out = os.path.join(OUT, f"outlines_labels_{mode}.tif")
    dst = gdal.GetDriverByName("GTiff").Create(out, lcols, lrows, 1, gdal.GDT_UInt32, ["COMPRESS=DEFLATE"])
    dst.SetGeoTransform(label_gt)
    dst.SetProjection(utm.ExportToWkt())
    for i, feat in enumerate(lyr):
        pass
    lyr.ResetReading()
    # burn each feature with its own value, in file order (later overwrites)
    for i in range(lyr.GetFeatureCount()):
        lyr.SetAttributeFilter(None)
        sql = ds.ExecuteSQL(f"SELECT * FROM outlines WHERE fid = {i + 1}")
        gdal.RasterizeLayer(dst, [1], sql, burn_values=[i + 1], options=opts)
        ds.ReleaseResultSet(sql)
    dst = None

with open(os.path.join(OUT, "outlines_areas.json"), "w") as f:
    json.dump(
        {
            "geodesic_area_m2": areas,
            "note": "pyproj Geod(ellps=WGS84).polygon_area_perimeter on the EPSG:4326 vertices; holes subtracted",
            "label_geotransform": label_gt,
            "label_shape": [lrows, lcols],
        },
        f,
        indent=1,
    )

# ---------------------------------------------------------------------------
# ICESat points (Hooker Island): copy, and GMT grdtrack -nl (bilinear) samples.
# ---------------------------------------------------------------------------
ice = os.path.join(OUT, "icesat")
os.makedirs(ice, exist_ok=True)
for fn in ["ICESAT_refpts_45.xyz", "grdtrack_output_icesat_vs_dem.xyz", "ICESAT_subset.shp", "ICESAT_subset.shx", "ICESAT_subset.dbf"]:
    shutil.copy(os.path.join(SHARED, "icesat", fn), os.path.join(ice, fn))
    os.chmod(os.path.join(ice, fn), 0o644)
# The stored grdtrack output (GMT default bicubic) was made on the 2014-04-02
# DEM: it matches it to 1e-7 m, the other DEMs by 0.26-0.47 m RMS.
dem = "HookerFJL_14APR02WV02DEM1_warped.tif"
for src, dst in [(os.path.join(SHARED, "dems", dem), dem), (os.path.join(SHARED, "LICENSE_CARST_MIT.txt"), "LICENSE_CARST_MIT.txt")]:
    shutil.copy(src, os.path.join(ice, dst))
    os.chmod(os.path.join(ice, dst), 0o644)
try:
    res = subprocess.run(
        ["gmt", "grdtrack", os.path.join(ice, "ICESAT_refpts_45.xyz"), "-G" + os.path.join(ice, dem) + "=gd", "-nl"],
        capture_output=True, text=True, check=True,
    )
    with open(os.path.join(ice, "grdtrack_bilinear_ours.xyz"), "w") as f:
        f.write(res.stdout)
except Exception as e:  # GMT missing: keep the other fixtures
    print("grdtrack failed:", e, file=sys.stderr)
print("wrote", OUT)
