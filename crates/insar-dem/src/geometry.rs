//! SAR and InSAR geometry: the WGS84 ellipsoid, orbits from state vectors,
//! the radar grid, zero-Doppler `geo2rdr` / `rdr2geo`, and the
//! interferometric quantities of thesis sect. 1.2 (eqs. 1.6–1.8) computed
//! per pixel from the forward model.
//!
//! Conventions:
//!
//! * Positions are Earth-centred Earth-fixed (ECEF) WGS84 metres, times are
//!   seconds since the product's reference epoch (see
//!   [`crate::annotation::Annotation::reference_epoch_days`]), latitudes and longitudes
//!   are degrees, heights are metres above the WGS84 ellipsoid.
//! * Radar coordinates are those of the **active** (transmitting) image: row
//!   = azimuth line, column = range sample; in a CoSSC the passive image is
//!   resampled onto that grid.
//! * Interferometric phase of `S_active · S_passive*` (thesis eq. 1.4) is
//!   `φ = −(2π·p/λ)·(R_a − R_p)` (eq. 1.6 with `4π` written `2π·p`), with
//!   `p = 1` for bistatic single-pass pairs (the echoes share the transmit
//!   leg) and `p = 2` for monostatic or pursuit pairs. Each range is the
//!   distance to the target at that orbit's own zero-Doppler time.

use crate::error::{DemError, Result};
use sar_core::Raster;

/// A 3-vector of ECEF metres (or m/s).
pub type Vec3 = [f64; 3];

#[inline]
fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
#[inline]
fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
#[inline]
fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
#[inline]
fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
#[inline]
fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
#[inline]
fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}
#[inline]
fn unit(a: Vec3) -> Vec3 {
    scale(a, 1.0 / norm(a))
}

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS84 first eccentricity squared, `f·(2 − f)`.
pub const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// Speed of light in vacuum, m/s.
pub const SPEED_OF_LIGHT: f64 = 299_792_458.0;

/// A geodetic position on WGS84: latitude and longitude in degrees, height
/// above the ellipsoid in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geodetic {
    /// Geodetic latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Height above the WGS84 ellipsoid, metres.
    pub h: f64,
}

/// Geodetic (degrees, degrees, metres) → ECEF metres on WGS84.
pub fn geodetic_to_ecef(g: Geodetic) -> Vec3 {
    let (lat, lon) = (g.lat.to_radians(), g.lon.to_radians());
    let (sl, cl) = lat.sin_cos();
    let n = WGS84_A / (1.0 - WGS84_E2 * sl * sl).sqrt();
    [
        (n + g.h) * cl * lon.cos(),
        (n + g.h) * cl * lon.sin(),
        (n * (1.0 - WGS84_E2) + g.h) * sl,
    ]
}

/// ECEF metres → geodetic on WGS84, in closed form (Heikkinen 1982, as
/// given by Zhu 1994): one cube root and a few square roots, no iteration.
/// Measured against the fixed-point iteration on the latitude (test
/// `ecef_to_geodetic_matches_iteration`): height within 1e-8 m and latitude
/// within 1e-12° for points between −500 m and +800 km height. Not defined
/// at the Earth's centre.
pub fn ecef_to_geodetic(x: Vec3) -> Geodetic {
    const B: f64 = WGS84_A * (1.0 - WGS84_F);
    const A2_B2: f64 = WGS84_A * WGS84_A - B * B;
    const EP2: f64 = A2_B2 / (B * B);
    let e2 = WGS84_E2;
    let (xx, y, z) = (x[0], x[1], x[2]);
    let p = xx.hypot(y);
    let f = 54.0 * B * B * z * z;
    let g = p * p + (1.0 - e2) * z * z - e2 * A2_B2;
    let c = e2 * e2 * f * p * p / (g * g * g);
    let s = (1.0 + c + (c * c + 2.0 * c).sqrt()).cbrt();
    let k = s + 1.0 + 1.0 / s;
    let pp = f / (3.0 * k * k * g * g);
    let q = (1.0 + 2.0 * e2 * e2 * pp).sqrt();
    let r0 = -pp * e2 * p / (1.0 + q)
        + (0.5 * WGS84_A * WGS84_A * (1.0 + 1.0 / q)
            - pp * (1.0 - e2) * z * z / (q * (1.0 + q))
            - 0.5 * pp * p * p)
            .max(0.0)
            .sqrt();
    let t = p - e2 * r0;
    let u = t.hypot(z);
    let v = (t * t + (1.0 - e2) * z * z).sqrt();
    let z0 = B * B * z / (WGS84_A * v);
    Geodetic {
        lat: (z + EP2 * z0).atan2(p).to_degrees(),
        lon: y.atan2(xx).to_degrees(),
        h: u * (1.0 - B * B / (WGS84_A * v)),
    }
}

/// Unit outward ellipsoid normal at a geodetic position.
pub fn ellipsoid_normal(g: Geodetic) -> Vec3 {
    let (lat, lon) = (g.lat.to_radians(), g.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// One orbit state vector: time (s since the reference epoch), ECEF position
/// (m) and velocity (m/s).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StateVector {
    /// Time, seconds since the reference epoch.
    pub time: f64,
    /// ECEF position, metres.
    pub position: Vec3,
    /// ECEF velocity, m/s.
    pub velocity: Vec3,
}

/// Position, velocity and acceleration of the satellite at one time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrbitState {
    /// ECEF position, metres.
    pub position: Vec3,
    /// ECEF velocity, m/s.
    pub velocity: Vec3,
    /// ECEF acceleration, m/s² (second derivative of the interpolant).
    pub acceleration: Vec3,
}

/// An orbit given by state vectors, interpolated with cubic Hermite
/// polynomials between neighbouring vectors (positions and velocities
/// matched at both ends, so position is C¹).
///
/// For the 10 s spacing of TerraSAR-X/TanDEM-X annotations the
/// interpolation error is about `h⁴/384·|x⁗| ≈ 0.3 mm` (`|x⁗| ≈ ω⁴·r`
/// with `ω ≈ 1.1e-3 rad/s`); the test `orbit_hermite_matches_kepler`
/// measures it on an analytic orbit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Orbit {
    vectors: Vec<StateVector>,
}

impl Orbit {
    /// An orbit from at least two state vectors with finite values and
    /// strictly increasing times.
    pub fn new(vectors: Vec<StateVector>) -> Result<Self> {
        if vectors.len() < 2 {
            return Err(DemError::Orbit(format!(
                "an orbit needs at least 2 state vectors, got {}",
                vectors.len()
            )));
        }
        for (i, sv) in vectors.iter().enumerate() {
            let finite = sv.time.is_finite()
                && sv
                    .position
                    .iter()
                    .chain(sv.velocity.iter())
                    .all(|v| v.is_finite());
            if !finite {
                return Err(DemError::Orbit(format!(
                    "state vector {i} has a non-finite value"
                )));
            }
            if i > 0 && sv.time <= vectors[i - 1].time {
                return Err(DemError::Orbit(format!(
                    "state vector times must increase strictly, but vector {i} ({} s) follows {} s",
                    sv.time,
                    vectors[i - 1].time
                )));
            }
        }
        Ok(Orbit { vectors })
    }

    /// The state vectors.
    pub fn vectors(&self) -> &[StateVector] {
        &self.vectors
    }

    /// First and last state-vector time, seconds.
    pub fn span(&self) -> (f64, f64) {
        (
            self.vectors[0].time,
            self.vectors[self.vectors.len() - 1].time,
        )
    }

    /// Interpolated state at time `t` (seconds since the reference epoch).
    /// Errors if `t` lies outside the state vectors' span.
    pub fn state(&self, t: f64) -> Result<OrbitState> {
        let (t0, t1) = self.span();
        if !(t >= t0 && t <= t1) {
            return Err(DemError::OrbitCoverage {
                time: t,
                start: t0,
                end: t1,
            });
        }
        let i = match self.vectors.binary_search_by(|sv| sv.time.total_cmp(&t)) {
            Ok(i) => i.min(self.vectors.len() - 2),
            Err(i) => (i - 1).min(self.vectors.len() - 2),
        };
        let (a, b) = (&self.vectors[i], &self.vectors[i + 1]);
        let h = b.time - a.time;
        let s = (t - a.time) / h;
        // Cubic Hermite basis and its first two derivatives (w.r.t. s).
        let s2 = s * s;
        let s3 = s2 * s;
        let h00 = 2.0 * s3 - 3.0 * s2 + 1.0;
        let h10 = s3 - 2.0 * s2 + s;
        let h01 = -2.0 * s3 + 3.0 * s2;
        let h11 = s3 - s2;
        let d00 = 6.0 * s2 - 6.0 * s;
        let d10 = 3.0 * s2 - 4.0 * s + 1.0;
        let d01 = -6.0 * s2 + 6.0 * s;
        let d11 = 3.0 * s2 - 2.0 * s;
        let e00 = 12.0 * s - 6.0;
        let e10 = 6.0 * s - 4.0;
        let e01 = -12.0 * s + 6.0;
        let e11 = 6.0 * s - 2.0;
        let mut st = OrbitState {
            position: [0.0; 3],
            velocity: [0.0; 3],
            acceleration: [0.0; 3],
        };
        for k in 0..3 {
            let (p0, m0, p1, m1) = (
                a.position[k],
                a.velocity[k] * h,
                b.position[k],
                b.velocity[k] * h,
            );
            st.position[k] = h00 * p0 + h10 * m0 + h01 * p1 + h11 * m1;
            st.velocity[k] = (d00 * p0 + d10 * m0 + d01 * p1 + d11 * m1) / h;
            st.acceleration[k] = (e00 * p0 + e10 * m0 + e01 * p1 + e11 * m1) / (h * h);
        }
        Ok(st)
    }
}

/// Side of the flight track the antenna looks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LookSide {
    /// Right-looking (TerraSAR-X/TanDEM-X default).
    Right,
    /// Left-looking.
    Left,
}

/// Whether the pair was acquired bistatically (one transmitter, two
/// receivers, `p = 1`) or monostatically/in pursuit (`p = 2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AcquisitionMode {
    /// Single-pass bistatic: the echoes share the transmit leg, `p = 1`.
    Bistatic,
    /// Monostatic or pursuit monostatic: two independent round trips, `p = 2`.
    Monostatic,
}

impl AcquisitionMode {
    /// The factor `p` of `φ = −(2π·p/λ)·ΔR`: 1 for bistatic, 2 for monostatic.
    pub fn p(self) -> f64 {
        match self {
            AcquisitionMode::Bistatic => 1.0,
            AcquisitionMode::Monostatic => 2.0,
        }
    }
}

/// The zero-Doppler slant-range grid of the active image.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RadarGrid {
    /// Azimuth time of the first line, seconds since the reference epoch.
    pub sensing_start: f64,
    /// Azimuth time between lines, seconds (1/PRF for unresampled SLCs).
    pub line_time: f64,
    /// One-way slant range of the first sample, metres.
    pub near_range: f64,
    /// One-way slant-range spacing between samples, metres.
    pub range_spacing: f64,
    /// Radar wavelength, metres (TanDEM-X: 0.031 m).
    pub wavelength: f64,
    /// Look side of the antenna.
    pub look_side: LookSide,
    /// Number of azimuth lines.
    pub lines: usize,
    /// Number of range samples.
    pub samples: usize,
}

impl RadarGrid {
    /// Check that every field is finite and positive where it must be.
    pub fn check(&self) -> Result<()> {
        let ok = self.sensing_start.is_finite()
            && self.line_time.is_finite()
            && self.line_time > 0.0
            && self.near_range.is_finite()
            && self.near_range > 0.0
            && self.range_spacing.is_finite()
            && self.range_spacing > 0.0
            && self.wavelength.is_finite()
            && self.wavelength > 0.0
            && self.lines > 0
            && self.samples > 0;
        if ok {
            Ok(())
        } else {
            Err(DemError::Geometry(format!(
                "invalid radar grid {self:?}: times, ranges and wavelength must be finite, spacings and sizes positive"
            )))
        }
    }

    /// Azimuth time of a (fractional) line.
    pub fn time_of(&self, row: f64) -> f64 {
        self.sensing_start + row * self.line_time
    }

    /// Slant range of a (fractional) sample.
    pub fn range_of(&self, col: f64) -> f64 {
        self.near_range + col * self.range_spacing
    }
}

/// Tolerance and iteration cap of the zero-Doppler Newton iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZeroDopplerParams {
    /// Stop when the Newton step is below this, seconds. Default 1e-10 s
    /// (0.75 µm along track at 7.5 km/s; the range is stationary at zero
    /// Doppler, so its error is far smaller still).
    pub time_tolerance: f64,
    /// Give up after this many steps. Default 50; from a guess at the scene
    /// centre it converges in 3–5 steps.
    pub max_iterations: usize,
}

impl Default for ZeroDopplerParams {
    fn default() -> Self {
        ZeroDopplerParams {
            time_tolerance: 1e-10,
            max_iterations: 50,
        }
    }
}

/// The result of a zero-Doppler search: time, range and the orbit state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZeroDoppler {
    /// Zero-Doppler azimuth time, seconds since the reference epoch.
    pub time: f64,
    /// One-way slant range at that time, metres.
    pub range: f64,
    /// Satellite position at that time, ECEF metres.
    pub position: Vec3,
    /// Satellite velocity at that time, ECEF m/s.
    pub velocity: Vec3,
}

/// Zero-Doppler time and range of a target (`geo2rdr`): Newton iteration on
/// `f(t) = v(t)·(x − p(t)) = 0` with `f′(t) = a(t)·(x − p(t)) − |v(t)|²`,
/// starting at `t_guess`.
///
/// Errors with [`DemError::OrbitCoverage`] if the iteration leaves the orbit
/// and [`DemError::NoConvergence`] after `max_iterations` steps.
pub fn zero_doppler(
    orbit: &Orbit,
    target: Vec3,
    t_guess: f64,
    params: ZeroDopplerParams,
) -> Result<ZeroDoppler> {
    let mut t = t_guess;
    for _ in 0..params.max_iterations {
        let st = orbit.state(t)?;
        let d = sub(target, st.position);
        let f = dot(st.velocity, d);
        let fp = dot(st.acceleration, d) - dot(st.velocity, st.velocity);
        let dt = -f / fp;
        t += dt;
        if dt.abs() < params.time_tolerance {
            let st = orbit.state(t)?;
            return Ok(ZeroDoppler {
                time: t,
                range: norm(sub(target, st.position)),
                position: st.position,
                velocity: st.velocity,
            });
        }
    }
    Err(DemError::NoConvergence(format!(
        "zero-Doppler iteration did not converge within {} steps for target {target:?}",
        params.max_iterations
    )))
}

/// A reference DEM sampled bilinearly at geodetic coordinates. The raster
/// must be on a geographic (longitude/latitude degrees) grid and hold
/// ellipsoid heights in metres; NaN is no-data.
#[derive(Debug, Clone)]
pub struct DemSampler<'a> {
    dem: &'a Raster<f64>,
}

impl<'a> DemSampler<'a> {
    /// Wrap a DEM; errors if its CRS is known and not geographic.
    pub fn new(dem: &'a Raster<f64>) -> Result<Self> {
        if !dem.grid.crs.is_unknown() && !dem.grid.crs.geographic {
            return Err(DemError::Geometry(format!(
                "the reference DEM must be on a geographic (lon/lat degrees) grid such as EPSG:4326, got {:?}",
                dem.grid.crs
            )));
        }
        Ok(DemSampler { dem })
    }

    /// The wrapped raster.
    pub fn raster(&self) -> &Raster<f64> {
        self.dem
    }

    /// Bilinear height at (lat, lon) degrees between pixel centres; `None`
    /// outside the grid or where a corner is no-data.
    pub fn height(&self, lat: f64, lon: f64) -> Option<f64> {
        let (col, row) = self.dem.grid.map_to_pixel(lon, lat).ok()?;
        let (x, y) = (col - 0.5, row - 0.5);
        let (rows, cols) = self.dem.shape();
        // a point on the outermost pixel centres may land a rounding error
        // outside them: accept 1e-6 px and clamp
        let tol = 1e-6;
        let (xmax, ymax) = ((cols - 1) as f64, (rows - 1) as f64);
        if !(x >= -tol && y >= -tol && x <= xmax + tol && y <= ymax + tol) {
            return None;
        }
        let (x, y) = (x.clamp(0.0, xmax), y.clamp(0.0, ymax));
        let (c0, r0) = (
            (x.floor() as usize).min(cols.saturating_sub(2)),
            (y.floor() as usize).min(rows.saturating_sub(2)),
        );
        let (fx, fy) = (x - c0 as f64, y - r0 as f64);
        let d = &self.dem.data;
        let (c1, r1) = ((c0 + 1).min(cols - 1), (r0 + 1).min(rows - 1));
        let v = (1.0 - fy) * ((1.0 - fx) * d[[r0, c0]] + fx * d[[r0, c1]])
            + fy * ((1.0 - fx) * d[[r1, c0]] + fx * d[[r1, c1]]);
        v.is_finite().then_some(v)
    }
}

/// Tolerances of `rdr2geo`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rdr2GeoParams {
    /// Stop when the height misfit is below this, metres. Default 1e-5 m.
    pub height_tolerance: f64,
    /// Give up after this many Newton steps. Default 60.
    pub max_iterations: usize,
}

impl Default for Rdr2GeoParams {
    fn default() -> Self {
        Rdr2GeoParams {
            height_tolerance: 1e-5,
            max_iterations: 60,
        }
    }
}

/// Point on the range circle of one zero-Doppler plane, parametrised by the
/// off-nadir look angle.
#[derive(Debug, Clone, Copy)]
struct RangeCircle {
    position: Vec3,
    down: Vec3,
    side: Vec3,
    range: f64,
}

impl RangeCircle {
    fn new(st: &OrbitState, range: f64, look: LookSide) -> Self {
        let v = unit(st.velocity);
        let nadir = scale(unit(st.position), -1.0);
        let down = unit(sub(nadir, scale(v, dot(nadir, v))));
        let side = match look {
            LookSide::Right => cross(down, v),
            LookSide::Left => cross(v, down),
        };
        RangeCircle {
            position: st.position,
            down,
            side,
            range,
        }
    }
    fn point(&self, psi: f64) -> Vec3 {
        let (s, c) = psi.sin_cos();
        add(
            self.position,
            add(
                scale(self.down, self.range * c),
                scale(self.side, self.range * s),
            ),
        )
    }
    /// Look angle at which a sphere of radius `r` is met (law of cosines).
    fn psi_guess(&self, r: f64) -> f64 {
        let p = norm(self.position);
        let c = (p * p + self.range * self.range - r * r) / (2.0 * p * self.range);
        c.clamp(-1.0, 1.0).acos()
    }
}

/// Find the look angle where `g(psi) = 0` by Newton steps with a
/// numerical derivative (`g(ψ + 1e-7) − g(ψ)`); `g` increases with the
/// look angle away from layover. Steps are capped at 0.02 rad (≈ 12 km on
/// the ground). `None` when `g` is undefined (outside the DEM), the slope
/// is not positive (layover), or after `max_iterations` steps. (Secant
/// steps, one evaluation each, were tried: they can converge through
/// layover to other intersections than Newton's, and on the synthetic sweep
/// of `examples/accuracy_sweep.rs` they made seeds 7 and 10 fail.)
fn solve_look_angle<G: FnMut(f64) -> Option<f64>>(
    psi: f64,
    mut g: G,
    params: Rdr2GeoParams,
) -> Option<f64> {
    let dpsi = 1e-7;
    let mut p0 = psi;
    let mut g0 = g(p0)?;
    if g0.abs() < params.height_tolerance {
        return Some(p0);
    }
    let mut deriv = (g(p0 + dpsi)? - g0) / dpsi;
    for _ in 0..params.max_iterations {
        if deriv.is_nan() || deriv <= 0.0 {
            return None;
        }
        let p1 = p0 + (-g0 / deriv).clamp(-0.02, 0.02);
        let g1 = g(p1)?;
        if g1.abs() < params.height_tolerance {
            return Some(p1);
        }
        deriv = (g(p1 + dpsi)? - g1) / dpsi;
        p0 = p1;
        g0 = g1;
    }
    None
}

/// The zero-Doppler plane of one azimuth line of the active image, with
/// the orbit state evaluated once: `rdr2geo` for every sample of the line
/// without re-interpolating the orbit ([`PairGeometry::azimuth_line`]).
pub struct AzimuthLine {
    time: f64,
    circle: RangeCircle,
    r_earth: f64,
    grid: RadarGrid,
    params: Rdr2GeoParams,
}

impl AzimuthLine {
    /// Azimuth time of the line, seconds.
    pub fn time(&self) -> f64 {
        self.time
    }

    /// rdr2geo on a DEM at range sample `col` of this line: the terrain
    /// point and its look angle (radians, for the next sample's
    /// `psi_guess`). The search starts at `psi_guess` when given (the
    /// neighbouring sample's solution), else at the intersection with the
    /// sphere at height `h_guess`. `None` where no intersection is found
    /// (outside the DEM, no-data, layover, no convergence).
    pub fn rdr2geo_dem(
        &self,
        col: f64,
        dem: &DemSampler<'_>,
        psi_guess: Option<f64>,
        h_guess: f64,
    ) -> Option<(Geodetic, f64)> {
        let c = RangeCircle {
            range: self.grid.range_of(col),
            ..self.circle
        };
        let psi0 = psi_guess.unwrap_or_else(|| c.psi_guess(self.r_earth + h_guess));
        let psi = solve_look_angle(
            psi0,
            |psi| {
                let g = ecef_to_geodetic(c.point(psi));
                dem.height(g.lat, g.lon).map(|hd| g.h - hd)
            },
            self.params,
        )?;
        Some((ecef_to_geodetic(c.point(psi)), psi))
    }
}

/// An interferometric pair: the active (transmitting) orbit with its radar
/// grid, the passive orbit, and the acquisition mode that sets `p`.
#[derive(Debug, Clone, PartialEq)]
pub struct PairGeometry {
    /// Orbit of the active (transmitting) satellite; radar coordinates are its own.
    pub active: Orbit,
    /// Orbit of the passive (receive-only) satellite, or of the second pass.
    pub passive: Orbit,
    /// Radar grid of the active image (the passive one is co-registered to it).
    pub grid: RadarGrid,
    /// Bistatic (`p = 1`) or monostatic (`p = 2`).
    pub mode: AcquisitionMode,
    /// Zero-Doppler iteration settings.
    pub zero_doppler: ZeroDopplerParams,
    /// rdr2geo settings.
    pub rdr2geo: Rdr2GeoParams,
}

/// Radar coordinates of a target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadarPoint {
    /// Fractional azimuth line.
    pub row: f64,
    /// Fractional range sample.
    pub col: f64,
    /// Zero-Doppler solution on the active orbit.
    pub active: ZeroDoppler,
}

/// Per-pixel interferometric geometry (thesis eqs. 1.7–1.8).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    /// Perpendicular baseline, metres: the passive-minus-active baseline
    /// component across the active line of sight, in the active
    /// zero-Doppler plane; positive towards increasing look angle.
    pub perpendicular: f64,
    /// Parallel baseline (along the line of sight, towards the target), metres.
    pub parallel: f64,
    /// Along-track baseline, metres.
    pub along_track: f64,
    /// Incidence angle at the target (line of sight vs ellipsoid normal), radians.
    pub incidence: f64,
    /// Active one-way slant range, metres.
    pub range: f64,
}

impl PairGeometry {
    /// A pair with default solver settings; checks the radar grid.
    pub fn new(
        active: Orbit,
        passive: Orbit,
        grid: RadarGrid,
        mode: AcquisitionMode,
    ) -> Result<Self> {
        grid.check()?;
        Ok(PairGeometry {
            active,
            passive,
            grid,
            mode,
            zero_doppler: ZeroDopplerParams::default(),
            rdr2geo: Rdr2GeoParams::default(),
        })
    }

    /// Check that both orbits cover the radar grid's azimuth span (with 1 s
    /// margin for the passive satellite's own zero-Doppler times).
    pub fn check_coverage(&self) -> Result<()> {
        let t0 = self.grid.sensing_start;
        let t1 = self.grid.time_of((self.grid.lines - 1) as f64);
        for (name, orbit, margin) in [
            ("active", &self.active, 0.0),
            ("passive", &self.passive, 1.0),
        ] {
            let (a, b) = orbit.span();
            if t0 - margin < a || t1 + margin > b {
                return Err(DemError::Orbit(format!(
                    "the {name} orbit covers {a:.3}–{b:.3} s but the scene needs {:.3}–{:.3} s",
                    t0 - margin,
                    t1 + margin
                )));
            }
        }
        Ok(())
    }

    fn mid_time(&self) -> f64 {
        self.grid.time_of(0.5 * (self.grid.lines as f64 - 1.0))
    }

    /// geo2rdr: radar coordinates of an ECEF target on the active grid.
    pub fn geo2rdr(&self, target: Vec3) -> Result<RadarPoint> {
        self.geo2rdr_from(target, self.mid_time())
    }

    /// geo2rdr starting the zero-Doppler iteration at time `t_guess`
    /// (e.g. the neighbouring pixel's solution: one or two Newton steps
    /// instead of 3–5 from the scene centre). Same result as
    /// [`Self::geo2rdr`] within the time tolerance.
    pub fn geo2rdr_from(&self, target: Vec3, t_guess: f64) -> Result<RadarPoint> {
        let zd = zero_doppler(&self.active, target, t_guess, self.zero_doppler)?;
        Ok(RadarPoint {
            row: (zd.time - self.grid.sensing_start) / self.grid.line_time,
            col: (zd.range - self.grid.near_range) / self.grid.range_spacing,
            active: zd,
        })
    }

    /// Zero-Doppler solution of a target on the passive orbit.
    pub fn passive_zero_doppler(&self, target: Vec3, t_guess: f64) -> Result<ZeroDoppler> {
        zero_doppler(&self.passive, target, t_guess, self.zero_doppler)
    }

    /// Absolute interferometric phase `φ = −(2π·p/λ)·(R_a − R_p)` of a
    /// target, radians (not wrapped), thesis eq. 1.6.
    pub fn phase(&self, target: Vec3) -> Result<f64> {
        let a = self.geo2rdr(target)?;
        let p = self.passive_zero_doppler(target, a.active.time)?;
        Ok(self.phase_from_ranges(a.active.range, p.range))
    }

    /// `−(2π·p/λ)·(R_a − R_p)`.
    pub fn phase_from_ranges(&self, r_active: f64, r_passive: f64) -> f64 {
        -2.0 * std::f64::consts::PI * self.mode.p() / self.grid.wavelength * (r_active - r_passive)
    }

    /// The zero-Doppler plane of azimuth line `row` with the orbit state
    /// evaluated once, for `rdr2geo` along the line.
    pub fn azimuth_line(&self, row: f64) -> Result<AzimuthLine> {
        let time = self.grid.time_of(row);
        let circle = self.circle(row, 0.0)?;
        let r_earth = norm(circle.position) - ecef_to_geodetic(circle.position).h;
        Ok(AzimuthLine {
            time,
            circle,
            r_earth,
            grid: self.grid,
            params: self.rdr2geo,
        })
    }

    fn circle(&self, row: f64, col: f64) -> Result<RangeCircle> {
        let st = self.active.state(self.grid.time_of(row))?;
        Ok(RangeCircle::new(
            &st,
            self.grid.range_of(col),
            self.grid.look_side,
        ))
    }

    /// rdr2geo on the ellipsoid-height surface `h` (metres): the ECEF point
    /// at radar coordinates (row, col) whose geodetic height is `h`.
    pub fn rdr2geo_height(&self, row: f64, col: f64, h: f64) -> Result<Vec3> {
        let c = self.circle(row, col)?;
        let r_earth = norm(c.position) - ecef_to_geodetic(c.position).h;
        let psi0 = c.psi_guess(r_earth + h);
        let psi = solve_look_angle(
            psi0,
            |psi| Some(ecef_to_geodetic(c.point(psi)).h - h),
            self.rdr2geo,
        )
        .ok_or_else(|| {
            DemError::NoConvergence(format!(
                "rdr2geo at line {row}, sample {col}, height {h} m did not converge"
            ))
        })?;
        Ok(c.point(psi))
    }

    /// rdr2geo on a DEM (ellipsoid heights): the point where the range
    /// circle of (row, col) meets the terrain, found by Newton iteration on
    /// the look angle from the intersection with the sphere at height
    /// `h_guess`. In layover the circle meets the terrain several times and
    /// one of the intersections is returned; errors where none is found
    /// (outside the DEM, no-data, or no convergence).
    pub fn rdr2geo_dem(
        &self,
        row: f64,
        col: f64,
        dem: &DemSampler<'_>,
        h_guess: f64,
    ) -> Result<Geodetic> {
        let c = self.circle(row, col)?;
        let r_earth = norm(c.position) - ecef_to_geodetic(c.position).h;
        let psi0 = c.psi_guess(r_earth + h_guess);
        let psi = solve_look_angle(
            psi0,
            |psi| {
                let g = ecef_to_geodetic(c.point(psi));
                dem.height(g.lat, g.lon).map(|hd| g.h - hd)
            },
            self.rdr2geo,
        )
        .ok_or_else(|| {
            DemError::NoConvergence(format!(
                "rdr2geo on the DEM at line {row}, sample {col} found no terrain intersection (outside the DEM, no-data, or layover)"
            ))
        })?;
        Ok(ecef_to_geodetic(c.point(psi)))
    }

    /// Perpendicular, parallel and along-track baseline, incidence angle
    /// and range of a target.
    pub fn baseline(&self, target: Vec3) -> Result<Baseline> {
        let a = self.geo2rdr(target)?;
        let p = self.passive_zero_doppler(target, a.active.time)?;
        let b = sub(p.position, a.active.position);
        let v = unit(a.active.velocity);
        let los = unit(sub(target, a.active.position)); // sensor → target
        let along = dot(b, v);
        let b_ct = sub(b, scale(v, along));
        let parallel = dot(b_ct, los);
        // Direction of increasing look angle: perpendicular to the LOS in the
        // zero-Doppler plane, pointing away from nadir.
        let c = RangeCircle::new(
            &self.active.state(a.active.time)?,
            a.active.range,
            self.grid.look_side,
        );
        let e_dir = sub(c.side, scale(los, dot(c.side, los)));
        let e = unit(e_dir);
        let perpendicular = dot(b_ct, e);
        let g = ecef_to_geodetic(target);
        let nrm = ellipsoid_normal(g);
        let incidence = dot(scale(los, -1.0), nrm).clamp(-1.0, 1.0).acos();
        Ok(Baseline {
            perpendicular,
            parallel,
            along_track: along,
            incidence,
            range: a.active.range,
        })
    }

    /// Height sensitivity `∂φ/∂h` (rad/m) at radar coordinates (row, col)
    /// and ellipsoid height `h`, by a central difference of the forward
    /// model along the range circle (fixed active time and range, heights
    /// `h ± 5 m`), as GAMMA's `dh_map_orb` does; no closed form is assumed.
    pub fn dphi_dh(&self, row: f64, col: f64, h: f64) -> Result<f64> {
        let dh = 5.0;
        let x1 = self.rdr2geo_height(row, col, h - dh)?;
        let x2 = self.rdr2geo_height(row, col, h + dh)?;
        let (h1, h2) = (ecef_to_geodetic(x1).h, ecef_to_geodetic(x2).h);
        let t = self.grid.time_of(row);
        let r = self.grid.range_of(col);
        let p1 = self.passive_zero_doppler(x1, t)?;
        let p2 = self.passive_zero_doppler(x2, t)?;
        let f1 = self.phase_from_ranges(r, p1.range);
        let f2 = self.phase_from_ranges(r, p2.range);
        Ok((f2 - f1) / (h2 - h1))
    }

    /// [`Self::dphi_dh`] at a target whose [`Self::geo2rdr`] solution `rp`
    /// is known: the range circle comes from the zero-Doppler state of
    /// `rp` and the searches for the heights `h ± 5 m` start at the
    /// target's own look angle (one or two steps each). Equals
    /// [`Self::dphi_dh`]`(rp.row, rp.col, h)` within the solver
    /// tolerances (tested).
    pub fn dphi_dh_at(&self, rp: &RadarPoint, target: Vec3) -> Result<f64> {
        let zd = &rp.active;
        let st = OrbitState {
            position: zd.position,
            velocity: zd.velocity,
            acceleration: [0.0; 3],
        };
        let c = RangeCircle::new(&st, zd.range, self.grid.look_side);
        let d = sub(target, c.position);
        let psi_t = dot(d, c.side).atan2(dot(d, c.down));
        let h = ecef_to_geodetic(target).h;
        let dh = 5.0;
        let mut pts = [[0.0; 3]; 2];
        for (x, hh) in pts.iter_mut().zip([h - dh, h + dh]) {
            let psi = solve_look_angle(
                psi_t,
                |psi| Some(ecef_to_geodetic(c.point(psi)).h - hh),
                self.rdr2geo,
            )
            .ok_or_else(|| {
                DemError::NoConvergence(format!(
                    "rdr2geo at line {}, sample {}, height {hh} m did not converge",
                    rp.row, rp.col
                ))
            })?;
            *x = c.point(psi);
        }
        let (h1, h2) = (ecef_to_geodetic(pts[0]).h, ecef_to_geodetic(pts[1]).h);
        let p1 = self.passive_zero_doppler(pts[0], zd.time)?;
        let p2 = self.passive_zero_doppler(pts[1], zd.time)?;
        let f1 = self.phase_from_ranges(zd.range, p1.range);
        let f2 = self.phase_from_ranges(zd.range, p2.range);
        Ok((f2 - f1) / (h2 - h1))
    }

    /// Height of ambiguity `2π/|∂φ/∂h|` (metres) from the numerical
    /// sensitivity [`Self::dphi_dh`].
    pub fn height_of_ambiguity(&self, row: f64, col: f64, h: f64) -> Result<f64> {
        Ok(2.0 * std::f64::consts::PI / self.dphi_dh(row, col, h)?.abs())
    }

    /// Closed-form height of ambiguity `λ·R·sin θ / (p·|B⊥|)` (thesis eq.
    /// 1.8 generalised by `p`) at a target; for comparison with
    /// [`Self::height_of_ambiguity`].
    pub fn height_of_ambiguity_closed_form(&self, target: Vec3) -> Result<f64> {
        let b = self.baseline(target)?;
        Ok(self.grid.wavelength * b.range * b.incidence.sin()
            / (self.mode.p() * b.perpendicular.abs()))
    }
}

/// Parameters of an analytic circular orbit around the rotating Earth,
/// used for synthetic scenes and tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CircularOrbit {
    /// Orbit radius, metres (TanDEM-X: ≈ 6 378 km + 514 km).
    pub radius: f64,
    /// Inclination, degrees (TanDEM-X: 97.44°).
    pub inclination_deg: f64,
    /// Right ascension of the ascending node at t = 0, degrees.
    pub raan_deg: f64,
    /// Argument of latitude at t = 0, degrees.
    pub arg_lat0_deg: f64,
}

/// Earth rotation rate, rad/s (WGS84).
pub const EARTH_ROTATION: f64 = 7.292_115e-5;
/// Earth gravitational parameter GM, m³/s² (WGS84).
pub const EARTH_GM: f64 = 3.986_004_418e14;

impl CircularOrbit {
    /// ECEF position and velocity at time `t` (s), exact.
    pub fn state(&self, t: f64) -> (Vec3, Vec3) {
        let n = (EARTH_GM / self.radius.powi(3)).sqrt();
        let u = self.arg_lat0_deg.to_radians() + n * t;
        let (si, ci) = self.inclination_deg.to_radians().sin_cos();
        let (so, co) = self.raan_deg.to_radians().sin_cos();
        let (su, cu) = u.sin_cos();
        // Inertial position and velocity.
        let r = self.radius;
        let xi = [
            r * (co * cu - so * su * ci),
            r * (so * cu + co * su * ci),
            r * su * si,
        ];
        let vi = [
            r * n * (-co * su - so * cu * ci),
            r * n * (-so * su + co * cu * ci),
            r * n * cu * si,
        ];
        // Rotate into the Earth-fixed frame: R_z(−ω t).
        let th = EARTH_ROTATION * t;
        let (st, ct) = th.sin_cos();
        let pos = [ct * xi[0] + st * xi[1], -st * xi[0] + ct * xi[1], xi[2]];
        let vrot = [ct * vi[0] + st * vi[1], -st * vi[0] + ct * vi[1], vi[2]];
        // d/dt of R_z(−ωt) x = R_z(−ωt) v − ω ẑ × pos.
        let vel = [
            vrot[0] + EARTH_ROTATION * pos[1],
            vrot[1] - EARTH_ROTATION * pos[0],
            vrot[2],
        ];
        (pos, vel)
    }

    /// State vectors every `step` seconds from `t0` to at least `t1`.
    pub fn sample(&self, t0: f64, t1: f64, step: f64) -> Result<Orbit> {
        if !(step > 0.0 && t1 > t0) {
            return Err(DemError::Orbit(format!(
                "cannot sample an orbit from {t0} s to {t1} s every {step} s"
            )));
        }
        let n = ((t1 - t0) / step).ceil() as usize + 1;
        let vectors = (0..n)
            .map(|i| {
                let t = t0 + i as f64 * step;
                let (position, velocity) = self.state(t);
                StateVector {
                    time: t,
                    position,
                    velocity,
                }
            })
            .collect();
        Orbit::new(vectors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The former fixed-point iteration on the latitude, the reference of
    /// the closed form.
    fn ecef_to_geodetic_iterative(x: Vec3) -> Geodetic {
        let p = x[0].hypot(x[1]);
        let lon = x[1].atan2(x[0]);
        let mut lat = x[2].atan2(p * (1.0 - WGS84_E2));
        for _ in 0..30 {
            let sl = lat.sin();
            let n = WGS84_A / (1.0 - WGS84_E2 * sl * sl).sqrt();
            let h = p / lat.cos() - n;
            let new = x[2].atan2(p * (1.0 - WGS84_E2 * n / (n + h)));
            let done = (new - lat).abs() < 1e-15;
            lat = new;
            if done {
                break;
            }
        }
        let sl = lat.sin();
        let n = WGS84_A / (1.0 - WGS84_E2 * sl * sl).sqrt();
        Geodetic {
            lat: lat.to_degrees(),
            lon: lon.to_degrees(),
            h: p / lat.cos() - n,
        }
    }

    #[test]
    fn ecef_to_geodetic_matches_iteration() {
        let (mut wh, mut wl) = (0.0f64, 0.0f64);
        for i in 0..2000 {
            let u = (i as f64 * 0.618_033_988_75).fract();
            let v = (i as f64 * 0.414_213_562_37).fract();
            let lat = -89.0 + 178.0 * u;
            let lon = -180.0 + 360.0 * v;
            let h = if i % 2 == 0 {
                -500.0 + 9500.0 * v
            } else {
                4e5 + 4e5 * u
            };
            let x = geodetic_to_ecef(Geodetic { lat, lon, h });
            let (a, b) = (ecef_to_geodetic(x), ecef_to_geodetic_iterative(x));
            wh = wh.max((a.h - b.h).abs());
            wl = wl.max((a.lat - b.lat).abs().max((a.lon - b.lon).abs()));
        }
        assert!(wh < 1e-8 && wl < 1e-12, "height {wh} m, angle {wl}°");
    }

    #[test]
    fn ecef_geodetic_round_trip() {
        for &(lat, lon, h) in &[
            (0.0, 0.0, 0.0),
            (46.5, 8.0, 4000.0),
            (-89.9, 170.0, -50.0),
            (35.3, 76.5, 8611.0),
            (60.0, -120.0, 514_000.0),
        ] {
            let g = Geodetic { lat, lon, h };
            let b = ecef_to_geodetic(geodetic_to_ecef(g));
            assert!((b.lat - lat).abs() < 1e-10, "{b:?}");
            assert!((b.lon - lon).abs() < 1e-10, "{b:?}");
            assert!((b.h - h).abs() < 1e-6, "{b:?}");
        }
        // Known value: the equator at the prime meridian is (a, 0, 0).
        let x = geodetic_to_ecef(Geodetic {
            lat: 0.0,
            lon: 0.0,
            h: 0.0,
        });
        assert!((x[0] - WGS84_A).abs() < 1e-9 && x[1].abs() < 1e-9 && x[2].abs() < 1e-9);
        // The pole lies at b = a(1 − f).
        let x = geodetic_to_ecef(Geodetic {
            lat: 90.0,
            lon: 0.0,
            h: 0.0,
        });
        assert!((x[2] - WGS84_A * (1.0 - WGS84_F)).abs() < 1e-6);
    }

    #[test]
    fn orbit_hermite_matches_kepler() {
        let o = CircularOrbit {
            radius: WGS84_A + 514e3,
            inclination_deg: 97.44,
            raan_deg: 10.0,
            arg_lat0_deg: 30.0,
        };
        let orbit = o.sample(0.0, 100.0, 10.0).unwrap();
        let mut worst_p: f64 = 0.0;
        let mut worst_v: f64 = 0.0;
        for i in 0..=1000 {
            let t = i as f64 * 0.1;
            let st = orbit.state(t).unwrap();
            let (p, v) = o.state(t);
            worst_p = worst_p.max(norm(sub(st.position, p)));
            worst_v = worst_v.max(norm(sub(st.velocity, v)));
        }
        // Bound h⁴/384·ω⁴·r ≈ 0.3 mm (position), h³/(72√3)·ω⁴·r·... ≈ 0.1 mm/s.
        assert!(worst_p < 1e-3, "position error {worst_p} m");
        assert!(worst_v < 1e-3, "velocity error {worst_v} m/s");
        assert!(matches!(
            orbit.state(100.5),
            Err(DemError::OrbitCoverage { .. })
        ));
    }

    #[test]
    fn orbit_rejects_bad_vectors() {
        let sv = |t: f64| StateVector {
            time: t,
            position: [7e6, 0.0, 0.0],
            velocity: [0.0, 7e3, 0.0],
        };
        assert!(Orbit::new(vec![sv(0.0)]).is_err());
        assert!(Orbit::new(vec![sv(0.0), sv(0.0)]).is_err());
        assert!(Orbit::new(vec![sv(0.0), sv(f64::NAN)]).is_err());
    }
}
