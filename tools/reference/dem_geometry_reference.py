#!/usr/bin/env python3
"""Independent NumPy implementation of the insar-dem geometry on a synthetic
TanDEM-X-like orbit pair; writes dem_geometry_reference.json, which
crates/insar-dem/tests/reference_geometry.rs compares against.

Same equations as crates/insar-dem/src/geometry.rs, written separately with
different numerical methods where a choice exists:

* ECEF -> geodetic: Heikkinen's closed form (Rust: fixed-point iteration);
* orbit: cubic Hermite between neighbouring state vectors (same model);
* geo2rdr: secant iteration on the Doppler function (Rust: Newton);
* rdr2geo at a constant ellipsoid height: 2-D Newton in (lat, lon) with a
  numerical Jacobian (Rust: 1-D Newton in the look angle on the range circle);
* phase phi = -(2 pi p / lambda) (R_active - R_passive), each range at its own
  zero-Doppler time; p = 1 bistatic, p = 2 monostatic;
* B_perp: passive-minus-active baseline without its along-track part,
  projected on the unit vector perpendicular to the line of sight in the
  zero-Doppler plane, pointing towards increasing look angle;
* dphi/dh: central difference of the forward model at fixed active time and
  range, heights h -/+ 5 m.

Run: python3 tools/reference/dem_geometry_reference.py  (NumPy only; ran with
NumPy 2.x in /work/venvs/dem).
"""
import json
import os

import numpy as np

A = 6378137.0
F = 1.0 / 298.257223563
E2 = F * (2 - F)
B = A * (1 - F)
GM = 3.986004418e14
OMEGA = 7.292115e-5
C = 299792458.0


def llh2ecef(lat, lon, h):
    lat, lon = np.radians(lat), np.radians(lon)
    n = A / np.sqrt(1 - E2 * np.sin(lat) ** 2)
    return np.array([(n + h) * np.cos(lat) * np.cos(lon), (n + h) * np.cos(lat) * np.sin(lon),
                     (n * (1 - E2) + h) * np.sin(lat)])


def ecef2llh(x):
    # Heikkinen (1982) closed form.
    X, Y, Z = x
    ep2 = (A * A - B * B) / (B * B)
    p = np.hypot(X, Y)
    Fh = 54 * B * B * Z * Z
    G = p * p + (1 - E2) * Z * Z - E2 * (A * A - B * B)
    c = E2 * E2 * Fh * p * p / G ** 3
    s = np.cbrt(1 + c + np.sqrt(c * c + 2 * c))
    k = s + 1 + 1 / s
    P = Fh / (3 * k * k * G * G)
    Q = np.sqrt(1 + 2 * E2 * E2 * P)
    r0 = -P * E2 * p / (1 + Q) + np.sqrt(0.5 * A * A * (1 + 1 / Q) - P * (1 - E2) * Z * Z / (Q * (1 + Q)) - 0.5 * P * p * p)
    U = np.sqrt((p - E2 * r0) ** 2 + Z * Z)
    V = np.sqrt((p - E2 * r0) ** 2 + (1 - E2) * Z * Z)
    z0 = B * B * Z / (A * V)
    h = U * (1 - B * B / (A * V))
    lat = np.arctan((Z + ep2 * z0) / p)
    lon = np.arctan2(Y, X)
    return np.degrees(lat), np.degrees(lon), h


def circular(radius, inc, raan, u0, t):
    n = np.sqrt(GM / radius ** 3)
    u = np.radians(u0) + n * t
    i, o = np.radians(inc), np.radians(raan)
    # Inertial position/velocity via rotation matrices.
    Rz_o = np.array([[np.cos(o), -np.sin(o), 0], [np.sin(o), np.cos(o), 0], [0, 0, 1]])
    Rx_i = np.array([[1, 0, 0], [0, np.cos(i), -np.sin(i)], [0, np.sin(i), np.cos(i)]])
    M = Rz_o @ Rx_i
    xi = M @ np.array([radius * np.cos(u), radius * np.sin(u), 0.0])
    vi = M @ np.array([-radius * n * np.sin(u), radius * n * np.cos(u), 0.0])
    th = OMEGA * t
    Rt = np.array([[np.cos(th), np.sin(th), 0], [-np.sin(th), np.cos(th), 0], [0, 0, 1]])
    pos = Rt @ xi
    vel = Rt @ vi - np.cross([0, 0, OMEGA], pos)
    return pos, vel


class Orbit:
    def __init__(self, t, pos, vel):
        self.t, self.p, self.v = np.asarray(t), np.asarray(pos), np.asarray(vel)

    def state(self, t):
        i = int(np.clip(np.searchsorted(self.t, t) - 1, 0, len(self.t) - 2))
        h = self.t[i + 1] - self.t[i]
        s = (t - self.t[i]) / h
        p0, p1 = self.p[i], self.p[i + 1]
        m0, m1 = self.v[i] * h, self.v[i + 1] * h
        # Hermite in power form: x(s) = a + b s + c s^2 + d s^3.
        a, b = p0, m0
        c = 3 * (p1 - p0) - 2 * m0 - m1
        d = 2 * (p0 - p1) + m0 + m1
        pos = a + s * (b + s * (c + s * d))
        vel = (b + s * (2 * c + 3 * s * d)) / h
        return pos, vel


def geo2rdr(orbit, x, t0):
    def f(t):
        p, v = orbit.state(t)
        return np.dot(v, x - p)
    ta, tb = t0, t0 + 1e-3
    fa, fb = f(ta), f(tb)
    for _ in range(100):
        tc = tb - fb * (tb - ta) / (fb - fa)
        ta, fa, tb, fb = tb, fb, tc, f(tc)
        if abs(tb - ta) < 1e-11:
            break
    p, _ = orbit.state(tb)
    return tb, np.linalg.norm(x - p)


def rdr2geo_h(orbit, t, r, h, lat0, lon0):
    p, v = orbit.state(t)

    def F(q):
        x = llh2ecef(q[0], q[1], h)
        return np.array([np.linalg.norm(x - p) - r, np.dot(v / np.linalg.norm(v), x - p)])

    q = np.array([lat0, lon0], dtype=float)
    for _ in range(50):
        f0 = F(q)
        J = np.zeros((2, 2))
        for k in range(2):
            dq = np.zeros(2)
            dq[k] = 1e-7
            J[:, k] = (F(q + dq) - f0) / 1e-7
        step = np.linalg.solve(J, -f0)
        q = q + step
        if np.max(np.abs(step)) < 1e-13:
            break
    return llh2ecef(q[0], q[1], h), q


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    radius = A + 514e3
    act = dict(radius=radius, inc=97.44, raan=0.0, u0=40.0)
    pas = dict(radius=radius + 35.0, inc=97.44, raan=0.0018, u0=40.0 - 0.0009)
    ts = np.arange(-20.0, 40.0 + 1e-9, 10.0)
    orbits = {}
    svs = {}
    for name, o in (("active", act), ("passive", pas)):
        pv = [circular(o["radius"], o["inc"], o["raan"], o["u0"], t) for t in ts]
        orbits[name] = Orbit(ts, [q[0] for q in pv], [q[1] for q in pv])
        svs[name] = [dict(time=float(t), position=[float(c) for c in q[0]], velocity=[float(c) for c in q[1]])
                     for t, q in zip(ts, pv)]
    grid = dict(sensing_start=0.0, line_time=2e-3, near_range=620e3, range_spacing=3.0, wavelength=C / 9.65e9,
                look_side="Right", lines=400, samples=600)
    # Targets: points of the radar grid at several heights, found by rdr2geo, then
    # perturbed so that geo2rdr has real work to do.
    rng = np.random.default_rng(16)
    cases = []
    oa, op = orbits["active"], orbits["passive"]
    # A rough first guess of the swath position.
    for k in range(12):
        row = float(rng.uniform(0, grid["lines"] - 1))
        col = float(rng.uniform(0, grid["samples"] - 1))
        h = float(rng.uniform(-100, 5000))
        t = grid["sensing_start"] + row * grid["line_time"]
        r = grid["near_range"] + col * grid["range_spacing"]
        # Initial guess from the sub-satellite point shifted to the right.
        pa, va = oa.state(t)
        lat_s, lon_s, _ = ecef2llh(pa)
        best = None
        for dlon in np.linspace(-8, 8, 81):
            for dlat in np.linspace(-8, 8, 81):
                x = llh2ecef(lat_s + dlat, lon_s + dlon, h)
                d = x - pa
                look_right = np.dot(np.cross(va, -pa), d) < 0  # right of track
                if not look_right:
                    continue
                err = abs(np.linalg.norm(d) - r) + abs(np.dot(va / np.linalg.norm(va), d))
                if best is None or err < best[0]:
                    best = (err, lat_s + dlat, lon_s + dlon)
        x, q = rdr2geo_h(oa, t, r, h, best[1], best[2])
        lat, lon, hh = ecef2llh(x)
        out = {}
        for mode, p in (("bistatic", 1.0), ("monostatic", 2.0)):
            ta, ra = geo2rdr(oa, x, t)
            tp, rp = geo2rdr(op, x, ta)
            phase = -2 * np.pi * p / grid["wavelength"] * (ra - rp)
            # dphi/dh at fixed (t, r).
            x1, _ = rdr2geo_h(oa, t, r, h - 5.0, q[0], q[1])
            x2, _ = rdr2geo_h(oa, t, r, h + 5.0, q[0], q[1])
            h1, h2 = ecef2llh(x1)[2], ecef2llh(x2)[2]
            r1 = geo2rdr(op, x1, t)[1]
            r2 = geo2rdr(op, x2, t)[1]
            f1 = -2 * np.pi * p / grid["wavelength"] * (r - r1)
            f2 = -2 * np.pi * p / grid["wavelength"] * (r - r2)
            dphi = (f2 - f1) / (h2 - h1)
            # Baseline.
            pa, va = oa.state(ta)
            pp, _ = op.state(tp)
            bvec = pp - pa
            vhat = va / np.linalg.norm(va)
            bct = bvec - np.dot(bvec, vhat) * vhat
            los = (x - pa) / np.linalg.norm(x - pa)
            # Increasing look angle: d(los)/d(psi) in the zero-Doppler plane.
            nadir = -pa / np.linalg.norm(pa)
            down = nadir - np.dot(nadir, vhat) * vhat
            down /= np.linalg.norm(down)
            side = np.cross(down, vhat)
            e = side - np.dot(side, los) * los
            e /= np.linalg.norm(e)
            bperp = float(np.dot(bct, e))
            nrm = np.array([np.cos(np.radians(lat)) * np.cos(np.radians(lon)),
                            np.cos(np.radians(lat)) * np.sin(np.radians(lon)), np.sin(np.radians(lat))])
            inc = float(np.arccos(np.dot(-los, nrm)))
            out[mode] = dict(phase=float(phase), dphi_dh=float(dphi),
                             ha_closed=float(grid["wavelength"] * ra * np.sin(inc) / (p * abs(bperp))))
        cases.append(dict(row=row, col=col, h=h, lat=float(lat), lon=float(lon),
                          ecef=[float(c) for c in x], range_active=float(ra), range_passive=float(rp),
                          time_passive=float(tp), b_perp=bperp, incidence=inc, **out))
    doc = dict(
        source="tools/reference/dem_geometry_reference.py (independent NumPy implementation)",
        numpy=np.__version__,
        active=svs["active"], passive=svs["passive"], grid=grid, cases=cases)
    with open(os.path.join(here, "dem_geometry_reference.json"), "w") as f:
        json.dump(doc, f, indent=1)
    print(f"wrote {len(cases)} cases")


if __name__ == "__main__":
    main()
