#!/usr/bin/env python3
"""End-to-end time of `cryosar velocity` against a plain Python loop of
OpenCV matchTemplate with scipy pre-processing, on the same images, in one
run (issue 14, item 3).

    python3 -m venv /work/venvs/ncc
    /work/venvs/ncc/bin/pip install numpy scipy opencv-python-headless tifffile
    cargo build --release -p cryosar-cli
    /work/venvs/ncc/bin/python tools/reference/ncc_cli_vs_opencv.py \
        [--cryosar target/release/cryosar] [--size 768] [--reps 3]

The images: 8 crops (size² px, 15 m) of the real Landsat-8 band 8 scene of
Yahtse Glacier (../shared/data/real/yahtse-landsat8-pair; USGS, public
domain) turned SAR-like (intensity = DN² × one seeded exponential speckle
field shared by all), each crop moved by (+1, +2) px against the one
before, written as georeferenced Float32 GeoTIFFs.

Both sides do the whole job from the GeoTIFFs on disk to velocity GeoTIFFs
on disk: read, dB, NaN-aware 51×51 σ = 17 px Gaussian high-pass
(normalised convolution; scipy's gaussian_filter with truncate = 25/17 is
exactly that kernel), ZNCC of every 48 px template (step 16, ±8 px search)
for every pair (OpenCV TM_CCOEFF_NORMED), the 7 pair surfaces averaged
(eq. 2.4), arg-max and a sub-pixel estimate (the reference: the 3-point
parabola; cryosar: its default, the same parabola), velocities
written. Times are the best of `--reps` runs; cryosar is timed as a
subprocess (process start included). The printed ratios are cryosar /
Python (targets: ≤ 0.5 for the 7-pair stack, ≤ 1 for one pair), for the
wall time and for the CPU time (user + system) — the latter is what to
read on a shared, busy machine.
"""
import argparse
import datetime
import os
import resource
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
import scipy.ndimage as ndi
import tifffile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
REAL = os.path.join(ROOT, "..", "shared", "data", "real", "yahtse-landsat8-pair")

ap = argparse.ArgumentParser()
ap.add_argument("--cryosar", default=os.path.join(ROOT, "target", "release", "cryosar"))
ap.add_argument("--size", type=int, default=768)
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--subpixel", default="parabolic", help="cryosar's --subpixel")
args = ap.parse_args()

T, STEP, R = 48, 16, 8
N = args.size
X0, Y0, PX = 500000.0, 6700000.0, 15.0


def write_geotiff(path, a):
    """Float32 GeoTIFF, north-up, 15 m, EPSG:32607."""
    tifffile.imwrite(
        path,
        a.astype("<f4"),
        extratags=[
            (33550, "d", 3, (PX, PX, 0.0), True),
            (33922, "d", 6, (0.0, 0.0, 0.0, X0, Y0, 0.0), True),
            (34735, "H", 16, (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32607), True),
        ],
    )


def make_images(d):
    src = tifffile.imread(os.path.join(REAL, "LC80630182016200LGN00_B8_yahtse.TIF")).astype(float)
    rng = np.random.default_rng(14)
    speck = rng.exponential(size=src.shape)
    inten = src * src * speck
    paths = []
    for k in range(8):
        r0, c0 = 40 - k, 40 - 2 * k  # features move (+1 row, +2 cols) per image
        p = os.path.join(d, f"img{k}.tif")
        write_geotiff(p, inten[r0:r0 + N, c0:c0 + N])
        paths.append(p)
    return paths


def highpass(img):
    """NaN-aware Gaussian high-pass by normalised convolution (51 taps, σ 17)."""
    m = np.isfinite(img)
    v = np.where(m, img, 0.0)
    kw = dict(sigma=17.0, truncate=25.0 / 17.0, mode="constant", cval=0.0)
    low = ndi.gaussian_filter(v, **kw) / ndi.gaussian_filter(m.astype(float), **kw)
    return np.where(m, img - low, np.nan).astype(np.float32)


def python_velocity(paths, dates_days, out):
    imgs = []
    for p in paths:
        a = tifffile.imread(p).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            db = np.where(a > 0, 10.0 * np.log10(a), np.nan)
        imgs.append(highpass(db))
    pairs = [(k, k + 1) for k in range(len(paths) - 1)]
    dt = dates_days[1] - dates_days[0]
    nr, nc = N // STEP, N // STEP
    vx = np.full((nr, nc), np.nan, np.float32)
    vy = np.full((nr, nc), np.nan, np.float32)
    for i in range(nr):
        for j in range(nc):
            r0 = i * STEP + STEP // 2 - T // 2
            c0 = j * STEP + STEP // 2 - T // 2
            if r0 - R < 0 or c0 - R < 0 or r0 + T + R > N or c0 + T + R > N:
                continue
            acc = None
            for p, s in pairs:
                tpl = imgs[p][r0:r0 + T, c0:c0 + T]
                win = imgs[s][r0 - R:r0 + T + R, c0 - R:c0 + T + R]
                res = cv2.matchTemplate(win, tpl, cv2.TM_CCOEFF_NORMED)
                acc = res if acc is None else acc + res
            _, _, _, (px, py) = cv2.minMaxLoc(acc)
            dx = dy = 0.0
            if 0 < px < 2 * R:
                a, b, c = acc[py, px - 1], acc[py, px], acc[py, px + 1]
                den = a - 2 * b + c
                dx = 0.5 * (a - c) / den if den < 0 else 0.0
            if 0 < py < 2 * R:
                a, b, c = acc[py - 1, px], acc[py, px], acc[py + 1, px]
                den = a - 2 * b + c
                dy = 0.5 * (a - c) / den if den < 0 else 0.0
            vx[i, j] = (px - R + dx) * PX / dt
            vy[i, j] = -(py - R + dy) * PX / dt
    os.makedirs(out, exist_ok=True)
    write_geotiff(os.path.join(out, "vx.tif"), vx)
    write_geotiff(os.path.join(out, "vy.tif"), vy)
    return vx, vy


def best(f, reps, child=False):
    """Best wall time and best CPU time (user + system; of the child
    process for cryosar, of this process for the Python loop) of `reps`
    runs. The CPU time does not depend on how busy the machine is."""
    t, c = float("inf"), float("inf")
    for _ in range(reps):
        who = resource.RUSAGE_CHILDREN if child else resource.RUSAGE_SELF
        r0 = resource.getrusage(who)
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
        r1 = resource.getrusage(who)
        c = min(c, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return t, c


def main():
    if not os.path.exists(args.cryosar):
        sys.exit(f"no cryosar binary at {args.cryosar}; cargo build --release -p cryosar-cli")
    d = tempfile.mkdtemp(prefix="ncc-cli-vs-opencv-")
    paths = make_images(d)
    days = [12 * k for k in range(8)]
    dates = [(datetime.date(2020, 1, 1) + datetime.timedelta(days=x)).isoformat() for x in days]
    print(f"{N}x{N} px, template {T}, step {STEP}, search ±{R}; OpenCV {cv2.__version__}, "
          f"threads {cv2.getNumberOfCPUs()}; cryosar --subpixel {args.subpixel}")
    for name, k in [("one pair", 2), ("7-pair stack", 8)]:
        out_c = os.path.join(d, f"cryosar_{k}")
        out_p = os.path.join(d, f"python_{k}")
        cmd = [args.cryosar, "velocity", *paths[:k], "--dates", ",".join(dates[:k]),
               "--template", str(T), "--step", str(STEP), "--search", str(R),
               "--vmax", "100", "--subpixel", args.subpixel, "--out", out_c]

        def run_c():
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

        tc, cc = best(run_c, args.reps, child=True)
        tp, cp = best(lambda: python_velocity(paths[:k], days[:k], out_p), args.reps)
        # agreement of the two products (the truth is +2 px east, −1 px north per 12 days)
        a = tifffile.imread(os.path.join(out_c, "vx_unfiltered.tif"))
        b = tifffile.imread(os.path.join(out_p, "vx.tif"))
        ok = np.isfinite(a) & np.isfinite(b)
        truth = 2 * PX / 12.0
        print(f"{name:13s}: cryosar {tc:.3f} s, Python/OpenCV {tp:.3f} s, ratio {tc / tp:.2f}; "
              f"CPU time {cc:.3f} s vs {cp:.3f} s, ratio {cc / cp:.2f}; "
              f"median vx cryosar {np.median(a[ok]):.4f}, OpenCV {np.median(b[ok]):.4f}, truth {truth:.4f} m/d")


main()
