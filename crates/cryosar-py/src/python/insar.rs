//! insar-dem: DEMs from single-pass (bistatic) interferometric SLC pairs.
//!
//! The pair geometry travels as the JSON geometry description of
//! `insar_dem::generic` (the file format `cryosar dem` reads for SLCs from
//! ISCE, GAMMA or SNAP): a dict, JSON text, or the path of such a file.

use super::convert::{c32_2d, rasters_on_grid};
use super::{compute, Failure, InputError};
use crate::geo;
use ::insar_dem::generic::{ByteOrder, GeometryDescription};
use ::insar_dem::geometry::{AcquisitionMode, PairGeometry};
use ::insar_dem::{processing, synthetic};
use numpy::{IntoPyArray, PyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

type Affine = (f64, f64, f64, f64, f64, f64);

fn affine_of(grid: &sar_core::Grid) -> Affine {
    let a = geo::geotransform_to_affine(&grid.transform);
    (a[0], a[1], a[2], a[3], a[4], a[5])
}

/// Python `json.loads(text)`.
fn json_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// The pair geometry from a dict, JSON text or a path to a JSON file.
fn pair_geometry(obj: &Bound<'_, PyAny>) -> PyResult<PairGeometry> {
    let py = obj.py();
    let bad = |e: String| {
        InputError::new_err(format!(
            "`geometry` must be the JSON geometry description of insar_dem::generic \
             (a dict, JSON text or a path to the file; see insar_pair_synthetic): {e}"
        ))
    };
    let text: String = if obj.cast::<PyDict>().is_ok() {
        py.import("json")?
            .call_method1("dumps", (obj,))?
            .extract()
            .map_err(|e: PyErr| bad(e.to_string()))?
    } else if let Ok(s) = obj.cast::<PyString>() {
        let s = s.to_cow()?.into_owned();
        if s.trim_start().starts_with('{') {
            s
        } else {
            std::fs::read_to_string(&s).map_err(|e| bad(format!("cannot read {s}: {e}")))?
        }
    } else if let Ok(p) = obj.extract::<std::path::PathBuf>() {
        std::fs::read_to_string(&p).map_err(|e| bad(format!("cannot read {}: {e}", p.display())))?
    } else {
        return Err(bad(format!(
            "got an object of type {}",
            obj.get_type().name()?
        )));
    };
    let desc: GeometryDescription = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    desc.pair().map_err(|e| PyErr::from(Failure::from(e)))
}

fn geometry_dict<'py>(py: Python<'py>, pair: &PairGeometry) -> PyResult<Bound<'py, PyAny>> {
    let desc = GeometryDescription::from_pair(pair, ByteOrder::Little);
    let text = serde_json::to_string(&desc)
        .map_err(|e| super::Error::new_err(format!("cannot serialise the geometry: {e}")))?;
    json_to_py(py, &text)
}

fn arr<'py>(py: Python<'py>, a: ndarray::Array2<f64>) -> Bound<'py, PyArray2<f64>> {
    a.into_pyarray(py)
}

/// A seeded synthetic single-pass pair with a known answer (insar-dem's
/// test scene): hills, a steep ridge (layover/shadow), a glacier that thinned
/// by ``glacier_thinning_m`` metres since the reference DEM, a new moraine,
/// a low-coherence forest and an orbit-error phase ramp.
///
/// ``mode`` is ``"bistatic"`` (TanDEM-X, p = 1) or ``"monostatic"``
/// (p = 2); ``height_of_ambiguity_m`` is set at the scene centre (metres).
/// Returns a dict: ``active_slc``, ``passive_slc`` (complex64,
/// ``(lines, samples)``, co-registered), ``geometry`` (the JSON geometry
/// description as a dict, as :func:`insar_dem` takes it), ``reference`` (the
/// reference DEM H₀, ellipsoid heights in metres, on a geographic grid),
/// ``truth`` (true surface, m), ``dh_true`` (truth − reference, m),
/// ``glacier`` (uint8 mask), ``transform`` and ``crs`` (EPSG:4326) of the
/// DEM grid.
#[pyfunction]
#[pyo3(signature = (seed=0, lines=160, samples=160, height_of_ambiguity_m=40.0, mode="bistatic", glacier_thinning_m=20.0, ramp_rad=3.0, steep_ridge=true))]
#[allow(clippy::too_many_arguments)]
fn insar_pair_synthetic<'py>(
    py: Python<'py>,
    seed: u64,
    lines: usize,
    samples: usize,
    height_of_ambiguity_m: f64,
    mode: &str,
    glacier_thinning_m: f64,
    ramp_rad: f64,
    steep_ridge: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let mode = acquisition_mode(mode)?;
    let p = synthetic::SceneParams {
        lines,
        samples,
        height_of_ambiguity_m,
        mode,
        glacier_thinning_m,
        ramp_rad,
        steep_ridge,
        ..Default::default()
    };
    let s = compute(py, move || {
        Ok::<_, Failure>(synthetic::bistatic_pair(seed, &p)?)
    })?;
    let d = PyDict::new(py);
    d.set_item("geometry", geometry_dict(py, &s.geometry)?)?;
    d.set_item("transform", affine_of(&s.reference.grid))?;
    d.set_item("crs", geo::crs_to_string(&s.reference.grid.crs))?;
    d.set_item("active_slc", s.active_slc.into_pyarray(py))?;
    d.set_item("passive_slc", s.passive_slc.into_pyarray(py))?;
    d.set_item("reference", arr(py, s.reference.data))?;
    d.set_item("truth", arr(py, s.truth.data))?;
    d.set_item("dh_true", arr(py, s.dh_true.data))?;
    d.set_item("glacier", s.glacier.data.into_pyarray(py))?;
    Ok(d)
}

fn acquisition_mode(mode: &str) -> PyResult<AcquisitionMode> {
    match mode.to_ascii_lowercase().as_str() {
        "bistatic" => Ok(AcquisitionMode::Bistatic),
        "monostatic" => Ok(AcquisitionMode::Monostatic),
        other => Err(InputError::new_err(format!(
            "invalid argument `mode`: unknown acquisition mode {other:?}; use \"bistatic\" or \"monostatic\""
        ))),
    }
}

/// Iterative DEM generation from a co-registered interferometric SLC pair
/// (thesis sect. 4.3.1): look-up table, simulated phase of the current DEM,
/// residual interferogram (eq. 4.1) on ``looks = (azimuth, range)``
/// windows, masks (coherence < ``coherence_min``, layover, shadow),
/// minimum-cost-flow unwrapping, orbit-error trend removal (eq. 4.2) with
/// σ-clipping, and the update H_k = H_(k−1) + Δh_k, ``iterations`` times.
///
/// ``active_slc``/``passive_slc``: complex64 (or complex128) arrays of the
/// radar grid's ``(lines, samples)``; ``geometry``: the JSON geometry
/// description (dict, JSON text or file path; orbits as ECEF state
/// vectors, one-way slant ranges in metres, times in seconds);
/// ``reference``: reference DEM of ellipsoid heights (m) on a geographic
/// grid given by ``transform``/``crs`` (``None``: EPSG:4326).
///
/// Returns a dict: ``dem`` (final DEM, ellipsoid heights, m), ``dh`` (list
/// of Δh_k per iteration, m, NaN where masked), ``coherence``, ``mask``
/// (uint8: 0 valid, 1 low coherence, 2 layover, 3 shadow, 4 outside),
/// ``unwrapped_phase`` (rad), ``dphi_dh`` (rad/m), ``looks``,
/// ``transform``, ``crs`` and ``stats`` (one dict per iteration: median,
/// NMAD and RMS of Δh in m, fraction unwrapped, trends, …).
#[pyfunction]
#[pyo3(name = "insar_dem", signature = (active_slc, passive_slc, geometry, reference, transform, crs=None, iterations=3, coherence_min=0.3, looks=(3, 3), trend_clip_rounds=5, plane_flattening=1.0, bridge_max_gap=16, seed=0))]
#[allow(clippy::too_many_arguments)]
fn dem_from_slcs<'py>(
    py: Python<'py>,
    active_slc: &Bound<'py, PyAny>,
    passive_slc: &Bound<'py, PyAny>,
    geometry: &Bound<'py, PyAny>,
    reference: &Bound<'py, PyAny>,
    transform: &Bound<'py, PyAny>,
    crs: Option<&Bound<'py, PyAny>>,
    iterations: usize,
    coherence_min: f64,
    looks: (usize, usize),
    trend_clip_rounds: usize,
    plane_flattening: f64,
    bridge_max_gap: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let a = c32_2d("active_slc", active_slc)?;
    let p = c32_2d("passive_slc", passive_slc)?;
    let pair = pair_geometry(geometry)?;
    let wgs84 = PyString::new(py, "EPSG:4326");
    let crs = crs.filter(|c| !c.is_none()).or(Some(wgs84.as_any()));
    let (_, [reference]) = rasters_on_grid([("reference", reference)], Some(transform), crs)?;
    let params = processing::DemParams::default()
        .iterations(iterations)
        .coherence_min(coherence_min)
        .looks(looks.0, looks.1)
        .trend_clip_rounds(trend_clip_rounds)
        .plane_flattening(plane_flattening)
        .bridge_max_gap(bridge_max_gap)
        .seed(seed);
    let out = compute(py, move || {
        Ok::<_, Failure>(processing::generate_dem(
            &pair,
            a.view(),
            p.view(),
            &reference,
            &params,
            &|_, _| {},
        )?)
    })?;
    let d = PyDict::new(py);
    d.set_item("transform", affine_of(&out.dem.grid))?;
    d.set_item("crs", geo::crs_to_string(&out.dem.grid.crs))?;
    d.set_item("dem", arr(py, out.dem.data))?;
    let dh = PyList::empty(py);
    for r in out.dh {
        dh.append(arr(py, r.data))?;
    }
    d.set_item("dh", dh)?;
    d.set_item("coherence", arr(py, out.coherence.data))?;
    d.set_item("mask", out.mask.data.into_pyarray(py))?;
    d.set_item("unwrapped_phase", arr(py, out.unwrapped_phase.data))?;
    d.set_item("dphi_dh", arr(py, out.dphi_dh.data))?;
    d.set_item("looks", arr(py, out.looks.data))?;
    let stats = serde_json::to_string(&out.stats)
        .map_err(|e| super::Error::new_err(format!("cannot serialise the statistics: {e}")))?;
    d.set_item("stats", json_to_py(py, &stats)?)?;
    Ok(d)
}

/// Height of ambiguity (metres per 2π of interferometric phase) at radar
/// pixel ``(row, col)`` and ellipsoid height ``height_m``, from the forward
/// model's ∂φ/∂h (``2π / |∂φ/∂h|``; thesis eq. 1.8 with p = 1 or 2).
#[pyfunction]
fn insar_height_of_ambiguity(
    py: Python<'_>,
    geometry: &Bound<'_, PyAny>,
    row: f64,
    col: f64,
    height_m: f64,
) -> PyResult<f64> {
    let pair = pair_geometry(geometry)?;
    compute(py, move || {
        Ok::<_, Failure>(pair.height_of_ambiguity(row, col, height_m)?)
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(insar_pair_synthetic, m)?)?;
    m.add_function(wrap_pyfunction!(dem_from_slcs, m)?)?;
    m.add_function(wrap_pyfunction!(insar_height_of_ambiguity, m)?)?;
    Ok(())
}
