#!/usr/bin/env python3
"""Reference ZNCC surfaces from OpenCV for ncc-stack's tests.

Writes crates/ncc-stack/tests/data/zncc_opencv.json with, for two cases,
a t×t template, a (t+2r)×(t+2r) search window (float32 values, stored
exactly as decimal) and OpenCV's matchTemplate(window, template,
TM_CCOEFF_NORMED) surface ((2r+1)×(2r+1)).

Run:  /work/pyenv/bin/python tools/reference/ncc_opencv_reference.py
"""
import json
import os

import cv2
import numpy as np

rng = np.random.default_rng(20210611)


def speckle_like(shape):
    # smoothed exponential speckle in dB, like a pre-processed SAR image
    x = rng.exponential(1.0, size=shape)
    k = np.array([0.25, 0.5, 0.25])
    x = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 0, x)
    x = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 1, x)
    return (10 * np.log10(x)).astype(np.float32)


cases = []
for t, r, shift in [(24, 8, (3, -5)), (16, 6, (-2, 4))]:
    L = t + 2 * r
    big = speckle_like((L + 20, L + 20))
    window = big[10:10 + L, 10:10 + L].copy()
    # template: the window's centre moved by `shift`, plus noise
    dy, dx = shift
    template = big[10 + r - dy:10 + r - dy + t, 10 + r - dx:10 + r - dx + t].copy()
    template = (template + rng.normal(0, 1.0, template.shape)).astype(np.float32)
    res = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
    assert res.shape == (2 * r + 1, 2 * r + 1)
    cases.append({
        "template_px": t,
        "search_radius_px": r,
        # the template is the window content at lag (−dy, −dx) from the centre
        "true_lag_yx": [int(-dy), int(-dx)],
        "template": [float(v) for v in template.ravel()],
        "window": [float(v) for v in window.ravel()],
        "opencv_surface": [float(v) for v in res.ravel()],
    })

out = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "ncc-stack", "tests", "data", "zncc_opencv.json")
with open(out, "w") as f:
    json.dump({"generator": "tools/reference/ncc_opencv_reference.py", "opencv": cv2.__version__, "cases": cases}, f)
print("wrote", os.path.normpath(out))
