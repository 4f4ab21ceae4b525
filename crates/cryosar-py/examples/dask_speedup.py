"""Speed-up of per-glacier GP void filling with 2 Dask workers over 1.

Builds a synthetic region of N glaciers (GeoTIFFs in a temporary folder),
runs `cryosar.dask.fill_glaciers` on LocalCluster(n_workers=1) and
LocalCluster(n_workers=2), one thread per worker, pinned with
`pin_threads`, and prints wall times, the speed-up and each worker's peak
resident memory (ru_maxrss of the worker process, MB). The load average
of the machine is printed before and after: on a shared machine other
processes take cores from the workers and the speed-up drops below what
the hardware gives. Usage:

    python crates/cryosar-py/examples/dask_speedup.py [n_glaciers]
"""

import os
import resource
import sys
import tempfile
import time

import numpy as np

import cryosar
import cryosar.dask as cdask
from distributed import Client, LocalCluster


def region(folder, n, seed=1):
    rng = np.random.default_rng(seed)
    per_row, cell = 8, 40
    rows, cols = cell * -(-n // per_row), cell * per_row
    r, c = np.mgrid[0:rows, 0:cols].astype(float)
    dem = 3500 + 1.5 * r + 0.5 * c + 400 * np.sin(r / 37) * np.cos(c / 29)
    dh = -1.0 + 0.003 * (dem - dem.mean()) + rng.normal(0, 0.1, dem.shape)
    labels = np.zeros((rows, cols), np.uint16)
    for g in range(n):
        r0, c0 = (g // per_row) * cell + cell / 2, (g % per_row) * cell + cell / 2
        inside = ((r - r0) / 16) ** 2 + ((c - c0) / 15) ** 2 <= 1
        labels[inside] = g + 1
        dh[inside & ((r - r0 - 3) ** 2 + (c - c0) ** 2 < 30)] = np.nan
    t = (30.0, 0.0, 350000.0, 0.0, -30.0, 3950000.0)
    paths = [os.path.join(folder, f"{k}.tif") for k in ("dhdt", "dem", "labels")]
    cryosar.write_geotiff(paths[0], dh, t, "EPSG:32643")
    cryosar.write_geotiff(paths[1], dem, t, "EPSG:32643")
    cryosar.write_geotiff(paths[2], labels.astype(np.float32), t, "EPSG:32643")
    return paths, labels


# L-BFGS iterations of each GP fit: bounds the time per glacier (the
# default, 200, makes each fit several times longer without changing what
# is measured here — how the per-glacier tasks scale over workers).
MAX_ITERATIONS = 40


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(n_workers, ids, windows, paths):
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        cdask.pin_threads(client)
        client.run(lambda: cryosar.get_num_threads())  # warm the workers
        t0 = time.perf_counter()
        rows = cdask.fill_glaciers(ids, windows, *paths, client=client, seed=0,
                                   max_iterations=MAX_ITERATIONS)
        dt = time.perf_counter() - t0
        mem = client.run(peak_rss_mb)
    return dt, rows, mem


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    with tempfile.TemporaryDirectory() as d:
        paths, labels = region(d, n)
        ids = list(range(1, n + 1))
        load0 = os.getloadavg()
        windows = cdask.glacier_windows(labels, ids, margin=2)
        t1, r1, m1 = run(1, ids, windows, paths)
        t2, r2, m2 = run(2, ids, windows, paths)
        assert r1 == r2, "1-worker and 2-worker results differ"
        print(f"glaciers: {n}, cores: {os.cpu_count()}, load average before: {load0}, after: {os.getloadavg()}")
        print(f"1 worker : {t1:.2f} s; peak RSS per worker (MB): {[round(v) for v in m1.values()]}")
        print(f"2 workers: {t2:.2f} s; peak RSS per worker (MB): {[round(v) for v in m2.values()]}")
        print(f"speed-up 2 workers over 1: {t1 / t2:.2f}x")


if __name__ == "__main__":
    main()
