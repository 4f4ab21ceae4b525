//! Seeded synthetic bistatic TanDEM-X-like pairs with a known answer.
//!
//! [`bistatic_pair`] builds, from a seed and [`SceneParams`]:
//!
//! * an analytic circular orbit for the active satellite and a passive one
//!   whose node is shifted until the height of ambiguity at the scene centre
//!   equals `height_of_ambiguity_m` (computed numerically, [`crate::geometry`]);
//! * a geographic DEM grid covering the radar footprint with a margin, and a
//!   true surface: random Gaussian mountains (seeded), one steep ridge that
//!   produces layover and shadow, a glacier tongue, a new moraine;
//! * the reference DEM `H₀ = truth − Δh_true`, with `Δh_true = −thinning` on
//!   the glacier (tapered with a cosine over 150 m at its edge) and
//!   `+moraine_height_m` on a Gaussian ridge (σ = 70 m);
//! * the exact interferometric phase of the true surface at every radar
//!   pixel (`rdr2geo` on the truth, then the bistatic phase model) plus an
//!   orbit-error phase ramp (linear + quadratic in ground coordinates);
//! * circular-Gaussian speckle with the chosen coherence: 0.9 on stable
//!   ground, lower on the glacier and in a forest patch, 0 (pure noise) in
//!   layover and shadow and where the range circle misses the terrain.
//!
//! Everything random comes from one `Xoshiro256PlusPlus` seeded by the caller.

use crate::annotation::{ActiveSatellite, Annotation, Cossc};
use crate::error::{DemError, Result};
use crate::geometry::{
    ecef_to_geodetic, AcquisitionMode, CircularOrbit, LookSide, Orbit, PairGeometry, RadarGrid,
    SPEED_OF_LIGHT, WGS84_A,
};
use crate::processing::{build_lut, radar_layover_mask, simulate};
use ndarray::Array2;
use num_complex::Complex32;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use sar_core::{Crs, Grid, Raster};

/// Parameters of a synthetic scene. Defaults give a 160 × 160 radar image
/// of ≈ 15 m pixels over ≈ 2.5 × 2.4 km, a 1.5″ DEM, `h_a` = 40 m.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneParams {
    /// Radar lines.
    pub lines: usize,
    /// Radar samples.
    pub samples: usize,
    /// Slant-range spacing, metres.
    pub range_spacing: f64,
    /// Azimuth line time, seconds.
    pub line_time: f64,
    /// Look angle at the scene centre, degrees.
    pub look_angle_deg: f64,
    /// DEM pixel size, degrees.
    pub dem_pixel_deg: f64,
    /// Target height of ambiguity at the scene centre, metres.
    pub height_of_ambiguity_m: f64,
    /// Bistatic or monostatic.
    pub mode: AcquisitionMode,
    /// Mean terrain height, metres (ellipsoid).
    pub base_height_m: f64,
    /// Glacier thinning between reference and acquisition, metres (positive = lower now).
    pub glacier_thinning_m: f64,
    /// Height of the new moraine, metres.
    pub moraine_height_m: f64,
    /// Coherence of stable ground.
    pub coherence_stable: f64,
    /// Coherence on the glacier.
    pub coherence_glacier: f64,
    /// Coherence in the forest patch.
    pub coherence_forest: f64,
    /// Peak-to-peak amplitude of the orbit-error ramp over the scene, radians.
    pub ramp_rad: f64,
    /// Steep ridge (layover/shadow) on or off.
    pub steep_ridge: bool,
}

impl Default for SceneParams {
    fn default() -> Self {
        SceneParams {
            lines: 160,
            samples: 160,
            range_spacing: 12.0,
            line_time: 2.2e-3,
            look_angle_deg: 34.0,
            dem_pixel_deg: 1.5 / 3600.0,
            height_of_ambiguity_m: 40.0,
            mode: AcquisitionMode::Bistatic,
            base_height_m: 3000.0,
            glacier_thinning_m: 20.0,
            moraine_height_m: 30.0,
            coherence_stable: 0.9,
            coherence_glacier: 0.6,
            coherence_forest: 0.45,
            ramp_rad: 3.0,
            steep_ridge: true,
        }
    }
}

/// A synthetic pair and its truth.
#[derive(Debug, Clone)]
pub struct SyntheticPair {
    /// Pair geometry (active orbit and grid, passive orbit, mode).
    pub geometry: PairGeometry,
    /// Active SLC.
    pub active_slc: Array2<Complex32>,
    /// Passive SLC, co-registered.
    pub passive_slc: Array2<Complex32>,
    /// Reference DEM `H₀` (ellipsoid heights, EPSG:4326).
    pub reference: Raster<f64>,
    /// True surface at acquisition time (ellipsoid heights).
    pub truth: Raster<f64>,
    /// `truth − reference`, metres.
    pub dh_true: Raster<f64>,
    /// Glacier mask (1 on the glacier where thinning ≥ 99 % of its maximum).
    pub glacier: Raster<u8>,
    /// Orbit-error phase ramp at each map pixel, radians.
    pub ramp: Raster<f64>,
    /// Coherence used for the speckle, per map pixel.
    pub coherence_true: Raster<f64>,
    /// Epoch (days since 1970-01-01) of the time origin of the orbits.
    pub reference_epoch_days: i64,
}

struct Features {
    hills: Vec<(f64, f64, f64, f64)>,
    ridge: Option<(f64, f64, f64)>,
    glacier: (f64, f64, f64, f64),
    moraine: (f64, f64, f64),
    forest: (f64, f64, f64, f64),
    ramp: [f64; 5],
}

impl Features {
    fn truth(&self, x: f64, y: f64, base: f64) -> f64 {
        let mut h = base;
        for &(cx, cy, amp, s) in &self.hills {
            h += amp * (-((x - cx).powi(2) + (y - cy).powi(2)) / (2.0 * s * s)).exp();
        }
        if let Some((cx, amp, s)) = self.ridge {
            h += amp * (-((x - cx).powi(2)) / (2.0 * s * s)).exp();
        }
        h
    }
    /// Glacier weight in [0, 1]: 1 inside the ellipse, cosine taper over the
    /// 150 m outside it.
    fn glacier_weight(&self, x: f64, y: f64) -> f64 {
        let (cx, cy, ax, ay) = self.glacier;
        let d = (((x - cx) / ax).powi(2) + ((y - cy) / ay).powi(2)).sqrt();
        let edge = (d - 1.0) * ax.min(ay); // ≈ metres outside the ellipse
        if edge <= 0.0 {
            1.0
        } else if edge >= 150.0 {
            0.0
        } else {
            0.5 * (1.0 + (std::f64::consts::PI * edge / 150.0).cos())
        }
    }
    fn moraine(&self, x: f64, y: f64, height: f64) -> f64 {
        let (cx, cy, len) = self.moraine;
        // A ridge along x from cx − len/2 to cx + len/2 at y = cy, rounded ends.
        let dx = ((x - cx).abs() - len / 2.0).max(0.0);
        let d2 = dx * dx + (y - cy).powi(2);
        height * (-d2 / (2.0 * 70.0f64.powi(2))).exp()
    }
    fn in_forest(&self, x: f64, y: f64) -> bool {
        let (x0, y0, x1, y1) = self.forest;
        x >= x0 && x <= x1 && y >= y0 && y <= y1
    }
    fn ramp(&self, x: f64, y: f64) -> f64 {
        let r = &self.ramp;
        r[0] * x + r[1] * y + r[2] * x * x + r[3] * x * y + r[4] * y * y
    }
}

/// Build a synthetic pair (see the module docs).
pub fn bistatic_pair(seed: u64, p: &SceneParams) -> Result<SyntheticPair> {
    if p.lines < 16 || p.samples < 16 || p.lines > 8192 || p.samples > 8192 {
        return Err(DemError::InvalidParameter {
            name: "lines/samples",
            reason: format!(
                "synthetic scenes are 16–8192 pixels a side, got {}×{}",
                p.lines, p.samples
            ),
        });
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let wavelength = SPEED_OF_LIGHT / 9.65e9;
    let radius = WGS84_A + 514e3;
    let arg_lat0 = 40.0 + rng.gen_range(-5.0..5.0);
    let raan = rng.gen_range(0.0..360.0);
    let active_o = CircularOrbit {
        radius,
        inclination_deg: 97.44,
        raan_deg: raan,
        arg_lat0_deg: arg_lat0,
    };
    let dur = p.lines as f64 * p.line_time;
    let (t0, t1) = (-10.0 - dur, 20.0 + dur);
    let active = active_o.sample(t0, t1, 10.0)?;
    // Near range from the look angle at the scene centre (spherical Earth, base height).
    let rs = radius;
    let re = WGS84_A - 10_000.0 + p.base_height_m;
    let la = p.look_angle_deg.to_radians();
    let r_mid = rs * la.cos() - (re * re - rs * rs * la.sin().powi(2)).sqrt();
    let near_range = r_mid - 0.5 * p.samples as f64 * p.range_spacing;
    let grid = RadarGrid {
        sensing_start: 0.0,
        line_time: p.line_time,
        near_range,
        range_spacing: p.range_spacing,
        wavelength,
        look_side: LookSide::Right,
        lines: p.lines,
        samples: p.samples,
    };
    let make_pair = |draan: f64| -> Result<PairGeometry> {
        let o = CircularOrbit {
            raan_deg: raan + draan,
            ..active_o
        };
        PairGeometry::new(active.clone(), o.sample(t0, t1, 10.0)?, grid, p.mode)
    };
    let (rm, cm) = (0.5 * (p.lines - 1) as f64, 0.5 * (p.samples - 1) as f64);
    // Node shift for the target height of ambiguity: h_a ∝ 1/ΔΩ to first order.
    let mut draan = 0.004;
    for _ in 0..4 {
        let pair = make_pair(draan)?;
        let ha = pair.height_of_ambiguity(rm, cm, p.base_height_m)?;
        draan *= ha / p.height_of_ambiguity_m;
    }
    let geometry = make_pair(draan)?;
    // DEM grid around the footprint.
    let mut lat_min = f64::INFINITY;
    let mut lat_max = f64::NEG_INFINITY;
    let mut lon_min = f64::INFINITY;
    let mut lon_max = f64::NEG_INFINITY;
    for (r, c) in [
        (0.0, 0.0),
        (0.0, (p.samples - 1) as f64),
        ((p.lines - 1) as f64, 0.0),
        ((p.lines - 1) as f64, (p.samples - 1) as f64),
    ] {
        for h in [p.base_height_m - 800.0, p.base_height_m + 1500.0] {
            let g = ecef_to_geodetic(geometry.rdr2geo_height(r, c, h)?);
            lat_min = lat_min.min(g.lat);
            lat_max = lat_max.max(g.lat);
            lon_min = lon_min.min(g.lon);
            lon_max = lon_max.max(g.lon);
        }
    }
    let d = p.dem_pixel_deg;
    let margin = 6.0 * d;
    let x0 = ((lon_min - margin) / d).floor() * d;
    let y0 = ((lat_max + margin) / d).ceil() * d;
    let cols = ((lon_max + margin - x0) / d).ceil() as usize;
    let rows = ((y0 - (lat_min - margin)) / d).ceil() as usize;
    let dem_grid = Grid::north_up(rows, cols, x0, y0, d, d, Crs::wgs84());
    // Local metric coordinates (east, north) from the grid centre.
    let (lon_c, lat_c) = (x0 + 0.5 * cols as f64 * d, y0 - 0.5 * rows as f64 * d);
    let (m_lat, m_lon) = {
        let s2 = lat_c.to_radians().sin().powi(2);
        let w = 1.0 - crate::geometry::WGS84_E2 * s2;
        let n = WGS84_A / w.sqrt();
        let m = WGS84_A * (1.0 - crate::geometry::WGS84_E2) / w.powf(1.5);
        (
            m.to_radians(),
            n * lat_c.to_radians().cos() * std::f64::consts::PI / 180.0,
        )
    };
    let to_xy = |lon: f64, lat: f64| ((lon - lon_c) * m_lon, (lat - lat_c) * m_lat);
    let half_x = 0.5 * cols as f64 * d * m_lon;
    let half_y = 0.5 * rows as f64 * d * m_lat;
    let ext = half_x.min(half_y);
    let n_hills = rng.gen_range(3..6);
    let hills = (0..n_hills)
        .map(|_| {
            (
                rng.gen_range(-half_x..half_x),
                rng.gen_range(-half_y..half_y),
                rng.gen_range(-400.0..700.0),
                rng.gen_range(0.35..0.7) * ext,
            )
        })
        .collect();
    let ridge = p
        .steep_ridge
        .then(|| (rng.gen_range(-0.6..-0.3) * half_x, 420.0, 160.0));
    let glacier = (
        rng.gen_range(-0.1..0.2) * half_x,
        rng.gen_range(-0.2..0.2) * half_y,
        0.12 * ext,
        0.22 * ext,
    );
    let moraine = (glacier.0, glacier.1 - 0.22 * ext - 250.0, 0.25 * ext);
    let forest = (
        glacier.0 + 0.45 * ext,
        -0.6 * half_y,
        glacier.0 + 0.75 * ext,
        -0.2 * half_y,
    );
    // Ramp: p.ramp_rad peak-to-peak over the scene, random direction, small curvature.
    let th: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
    let a = 0.5 * p.ramp_rad / ext;
    let q = 0.1 * p.ramp_rad / (ext * ext);
    let ramp = [
        a * th.cos(),
        a * th.sin(),
        q * rng.gen_range(-1.0..1.0),
        q * rng.gen_range(-1.0..1.0),
        q * rng.gen_range(-1.0..1.0),
    ];
    let f = Features {
        hills,
        ridge,
        glacier,
        moraine,
        forest,
        ramp,
    };

    let mut truth = Array2::zeros((rows, cols));
    let mut dh = Array2::zeros((rows, cols));
    let mut gmask = Array2::zeros((rows, cols));
    let mut ramp_map = Array2::zeros((rows, cols));
    let mut coh_map = Array2::zeros((rows, cols));
    for r in 0..rows {
        for c in 0..cols {
            let (lon, lat) = dem_grid.pixel_center(r, c);
            let (x, y) = to_xy(lon, lat);
            let w = f.glacier_weight(x, y);
            let m = f.moraine(x, y, p.moraine_height_m);
            let change = -p.glacier_thinning_m * w + m;
            truth[[r, c]] = f.truth(x, y, p.base_height_m) + change;
            dh[[r, c]] = change;
            gmask[[r, c]] = u8::from(w >= 0.99);
            ramp_map[[r, c]] = f.ramp(x, y);
            coh_map[[r, c]] = if w > 0.0 {
                p.coherence_stable + (p.coherence_glacier - p.coherence_stable) * w
            } else if f.in_forest(x, y) {
                p.coherence_forest
            } else {
                p.coherence_stable
            };
        }
    }
    let truth = Raster::new(truth, dem_grid.clone())?;
    let reference = Raster::new(&truth.data - &dh, dem_grid.clone())?;
    // Radar simulation of the truth.
    let sim = simulate(&geometry, &truth, true)?;
    let lut = build_lut(&geometry, &truth, true)?;
    let lay = radar_layover_mask(&lut, p.lines, p.samples, 1);
    let mut active_slc = Array2::from_elem((p.lines, p.samples), Complex32::new(0.0, 0.0));
    let mut passive_slc = active_slc.clone();
    for r in 0..p.lines {
        for c in 0..p.samples {
            let c1 = Complex32::new(
                rng.sample::<f32, _>(StandardNormal),
                rng.sample::<f32, _>(StandardNormal),
            );
            let c2 = Complex32::new(
                rng.sample::<f32, _>(StandardNormal),
                rng.sample::<f32, _>(StandardNormal),
            );
            let (lat, lon, phi) = (sim.lat[[r, c]], sim.lon[[r, c]], sim.phase[[r, c]]);
            let mut gamma = 0.0;
            let mut total = 0.0;
            if phi.is_finite() && !lay[[r, c]] {
                if let Ok((col, row)) = dem_grid.map_to_pixel(lon, lat) {
                    let (ri, ci) = (row.floor() as usize, col.floor() as usize);
                    if ri < rows && ci < cols && !lut.layover[[ri, ci]] && !lut.shadow[[ri, ci]] {
                        gamma = coh_map[[ri, ci]];
                    }
                }
                let (x, y) = to_xy(lon, lat);
                total = phi + f.ramp(x, y);
            }
            let g = gamma as f32;
            let s2 =
                (c1 * g + c2 * (1.0 - g * g).sqrt()) * Complex32::from_polar(1.0, -(total as f32));
            active_slc[[r, c]] = c1;
            passive_slc[[r, c]] = s2;
        }
    }
    Ok(SyntheticPair {
        geometry,
        active_slc,
        passive_slc,
        reference,
        truth,
        dh_true: Raster::new(dh, dem_grid.clone())?,
        glacier: Raster::new(gmask, dem_grid.clone())?,
        ramp: Raster::new(ramp_map, dem_grid.clone())?,
        coherence_true: Raster::new(coh_map, dem_grid)?,
        reference_epoch_days: 15_293, // 2011-11-15
    })
}

impl SyntheticPair {
    /// The pair as a CoSSC product in memory (annotations of both
    /// satellites, active = `TDX-1` when `tdx_active`).
    pub fn to_cossc(&self, tdx_active: bool) -> Result<Cossc> {
        let g = &self.geometry.grid;
        let ann = |mission: &str, orbit: &Orbit| Annotation {
            mission: mission.to_string(),
            look_side: g.look_side,
            polarisation: "HH".into(),
            image_path: "IMAGEDATA".into(),
            image_filename: "IMAGE_HH_SRA_strip_007.cos".into(),
            lines: g.lines,
            samples: g.samples,
            range_time_spacing: 2.0 * g.range_spacing / SPEED_OF_LIGHT,
            azimuth_time_spacing: g.line_time,
            first_pixel_range_time: 2.0 * g.near_range / SPEED_OF_LIGHT,
            reference_epoch_days: self.reference_epoch_days,
            start_time: 3600.0 + g.sensing_start,
            center_frequency: SPEED_OF_LIGHT / g.wavelength,
            prf: 1.0 / g.line_time,
            state_vectors: orbit
                .vectors()
                .iter()
                .map(|sv| crate::geometry::StateVector {
                    time: sv.time + 3600.0,
                    ..*sv
                })
                .collect(),
        };
        let (an, pn) = if tdx_active {
            ("TDX-1", "TSX-1")
        } else {
            ("TSX-1", "TDX-1")
        };
        Ok(Cossc {
            active: ann(an, &self.geometry.active),
            passive: ann(pn, &self.geometry.passive),
            active_slc: self.active_slc.clone(),
            passive_slc: self.passive_slc.clone(),
            designation: ActiveSatellite {
                master_id: if tdx_active {
                    "SAT2".into()
                } else {
                    "SAT1".into()
                },
                active: an.into(),
                passive: pn.into(),
            },
            mode: self.geometry.mode,
        })
    }
}
