//! Generic input for users who already have co-registered SLCs (from ISCE,
//! GAMMA, SNAP, …): two complex images plus a small JSON description of the
//! geometry.
//!
//! * **Images**: a complex GeoTIFF (GDAL `CFloat32` or `CInt16`, first band)
//!   when the file name ends in `.tif`/`.tiff`, otherwise a raw binary of
//!   `lines × samples` interleaved `float32` I/Q pairs, row after row
//!   (ISCE `.slc`: little-endian; GAMMA `FCOMPLEX`: big-endian, set
//!   `"byte_order": "big"`). The second (passive) image must already be
//!   resampled onto the first one's grid.
//! * **Geometry** ([`GeometryDescription`], JSON): the acquisition mode
//!   (`"Bistatic"`, `p = 1`, or `"Monostatic"`, `p = 2`), the radar grid of
//!   the first image (times in seconds since a reference epoch of the
//!   user's choice, one-way slant ranges in metres), and the ECEF state
//!   vectors of both orbits in the same time frame:
//!
//! ```json
//! {
//!   "mode": "Bistatic",
//!   "byte_order": "little",
//!   "reference_epoch": "2011-11-15T00:00:00Z",
//!   "grid": { "sensing_start": 3600.0, "line_time": 0.0022, "near_range": 611234.5,
//!             "range_spacing": 12.0, "wavelength": 0.031067, "look_side": "Right",
//!             "lines": 160, "samples": 160 },
//!   "active_orbit": [ { "time": 3590.0, "position": [1.0, 2.0, 3.0], "velocity": [4.0, 5.0, 6.0] } ],
//!   "passive_orbit": [ { "time": 3590.0, "position": [1.0, 2.0, 3.0], "velocity": [4.0, 5.0, 6.0] } ]
//! }
//! ```
//!
//! Unknown fields are refused (a misspelt name is an error, not a silent
//! default); every error names the file.

use crate::error::{io_err, DemError, Result};
use crate::geometry::{AcquisitionMode, Orbit, PairGeometry, RadarGrid, StateVector};
use ndarray::Array2;
use num_complex::Complex32;
use std::path::Path;

/// Byte order of a raw binary image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ByteOrder {
    /// Little-endian (ISCE, SNAP `.img` exports on x86). The default.
    #[default]
    Little,
    /// Big-endian (GAMMA `FCOMPLEX`, ENVI with `byte order = 1`).
    Big,
}

/// The JSON geometry description of a generic pair (see the module docs).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeometryDescription {
    /// Bistatic (`p = 1`) or monostatic (`p = 2`).
    pub mode: AcquisitionMode,
    /// Byte order of raw binary images (ignored for GeoTIFFs). Default little.
    #[serde(default)]
    pub byte_order: ByteOrder,
    /// The epoch the times count from, free text (informational only).
    #[serde(default)]
    pub reference_epoch: Option<String>,
    /// Radar grid of the first (active) image.
    pub grid: RadarGrid,
    /// ECEF state vectors of the first (active) image's orbit.
    pub active_orbit: Vec<StateVector>,
    /// ECEF state vectors of the second (passive) image's orbit.
    pub passive_orbit: Vec<StateVector>,
}

impl GeometryDescription {
    /// The description of a pair geometry.
    pub fn from_pair(pair: &PairGeometry, byte_order: ByteOrder) -> Self {
        GeometryDescription {
            mode: pair.mode,
            byte_order,
            reference_epoch: None,
            grid: pair.grid,
            active_orbit: pair.active.vectors().to_vec(),
            passive_orbit: pair.passive.vectors().to_vec(),
        }
    }

    /// Read a description from a JSON file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
        serde_json::from_str(&text).map_err(|e| {
            DemError::Input(format!(
                "geometry description {}: {e} (see insar_dem::generic for the fields)",
                path.display()
            ))
        })
    }

    /// Write the description as pretty-printed JSON.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| {
            DemError::Input(format!("geometry description {}: {e}", path.display()))
        })?;
        std::fs::write(path, text).map_err(|e| io_err(path, e))
    }

    /// The pair geometry: orbits checked, radar grid checked.
    pub fn pair(&self) -> Result<PairGeometry> {
        let orbit = |name: &str, v: &[StateVector]| {
            Orbit::new(v.to_vec()).map_err(|e| DemError::Orbit(format!("{name}: {e}")))
        };
        PairGeometry::new(
            orbit("active_orbit", &self.active_orbit)?,
            orbit("passive_orbit", &self.passive_orbit)?,
            self.grid,
            self.mode,
        )
    }
}

/// A pair read by [`read_pair`].
#[derive(Debug, Clone)]
pub struct GenericPair {
    /// The pair geometry from the description.
    pub geometry: PairGeometry,
    /// First (active) image.
    pub active_slc: Array2<Complex32>,
    /// Second (passive) image, co-registered to the first.
    pub passive_slc: Array2<Complex32>,
}

fn is_geotiff(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.eq_ignore_ascii_case("tif") || e.eq_ignore_ascii_case("tiff"))
        .unwrap_or(false)
}

/// Read one complex image of `lines × samples`: a complex GeoTIFF by its
/// extension, else a raw binary of interleaved `float32` I/Q pairs in the
/// given byte order. The size must match exactly.
pub fn read_slc(
    path: &Path,
    lines: usize,
    samples: usize,
    byte_order: ByteOrder,
) -> Result<Array2<Complex32>> {
    if is_geotiff(path) {
        let r = sar_core::geotiff::read_complex32(path, 0)?;
        if r.shape() != (lines, samples) {
            return Err(DemError::Input(format!(
                "{} is {}×{} pixels but the geometry description says {lines}×{samples}",
                path.display(),
                r.shape().0,
                r.shape().1
            )));
        }
        return Ok(r.data);
    }
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    let want = lines
        .checked_mul(samples)
        .and_then(|n| n.checked_mul(8))
        .ok_or_else(|| DemError::Input(format!("{lines}×{samples} pixels is too large")))?;
    if bytes.len() != want {
        return Err(DemError::Input(format!(
            "{} holds {} bytes but {lines}×{samples} complex float32 pixels need {want}",
            path.display(),
            bytes.len()
        )));
    }
    let f = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        match byte_order {
            ByteOrder::Little => f32::from_le_bytes(a),
            ByteOrder::Big => f32::from_be_bytes(a),
        }
    };
    let data: Vec<Complex32> = bytes
        .chunks_exact(8)
        .map(|c| Complex32::new(f(&c[..4]), f(&c[4..])))
        .collect();
    Array2::from_shape_vec((lines, samples), data)
        .map_err(|e| DemError::Input(format!("{}: {e}", path.display())))
}

/// Write a raw binary of interleaved `float32` I/Q pairs (the format
/// [`read_slc`] reads for non-GeoTIFF names).
pub fn write_raw_slc(path: &Path, slc: &Array2<Complex32>, byte_order: ByteOrder) -> Result<()> {
    let mut out = Vec::with_capacity(slc.len() * 8);
    for z in slc.iter() {
        for v in [z.re, z.im] {
            out.extend_from_slice(&match byte_order {
                ByteOrder::Little => v.to_le_bytes(),
                ByteOrder::Big => v.to_be_bytes(),
            });
        }
    }
    std::fs::write(path, out).map_err(|e| io_err(path, e))
}

/// Read a generic pair: two complex images and the JSON geometry
/// description. The images must have the description's radar-grid size.
pub fn read_pair(slc1: &Path, slc2: &Path, geometry: &Path) -> Result<GenericPair> {
    let desc = GeometryDescription::read(geometry)?;
    let pair = desc.pair().map_err(|e| {
        DemError::Input(format!("geometry description {}: {e}", geometry.display()))
    })?;
    let (l, s) = (pair.grid.lines, pair.grid.samples);
    let active_slc = read_slc(slc1, l, s, desc.byte_order)?;
    let passive_slc = read_slc(slc2, l, s, desc.byte_order)?;
    Ok(GenericPair {
        geometry: pair,
        active_slc,
        passive_slc,
    })
}
