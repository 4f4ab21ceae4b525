"""Shared synthetic scenes for the cryosar Python tests.

Every generator is seeded and parameterised so that tests vary sizes, seeds
and noise rather than tuning against one scene.
"""

import numpy as np
import pytest

UTM = "EPSG:32643"


def north_up(x0, y0, dx, dy):
    """rasterio/affine order (a, b, c, d, e, f) for a north-up grid."""
    return (dx, 0.0, x0, 0.0, -dy, y0)


def speckle_stack(rows, cols, shifts, seed):
    """Images of one random texture shifted by whole pixels: image k is the
    base moved by shifts[k] = (drow, dcol) (features move down/right by
    +drow/+dcol). Returns a list of float64 arrays."""
    rng = np.random.default_rng(seed)
    pad = max(max(abs(s[0]), abs(s[1])) for s in shifts) + 1
    base = rng.standard_normal((rows + 2 * pad, cols + 2 * pad))
    # a little spatial correlation, as after multilooking
    base = (base + np.roll(base, 1, 0) + np.roll(base, 1, 1)) / 3.0
    out = []
    for dr, dc in shifts:
        out.append(np.ascontiguousarray(base[pad - dr : pad - dr + rows, pad - dc : pad - dc + cols]))
    return out


def smooth_dem(rows, cols, seed, relief=800.0):
    """A smooth mountain surface (m) from a few random Gaussian bumps."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:rows, 0:cols].astype(float)
    z = 3000.0 + 0.8 * r + 0.3 * c
    for _ in range(6):
        r0, c0 = rng.uniform(0, rows), rng.uniform(0, cols)
        s = rng.uniform(0.15, 0.4) * max(rows, cols)
        z += rng.uniform(0.3, 1.0) * relief * np.exp(-((r - r0) ** 2 + (c - c0) ** 2) / (2 * s * s))
    return z


@pytest.fixture
def rng():
    return np.random.default_rng(20261130)
