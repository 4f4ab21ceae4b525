//! NumPy and Python values → Rust inputs (copied while the GIL is held).

use super::InputError;
use crate::geo;
use ndarray::{Array2, Array3};
use numpy::{PyReadonlyArray2, PyReadonlyArray3, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyString;
use sar_core::{Grid, Raster};

/// A short description of what was passed, for error messages.
fn describe(obj: &Bound<'_, PyAny>) -> String {
    match obj.cast::<numpy::PyUntypedArray>() {
        Ok(a) => format!("a {}-D array of dtype {}", a.ndim(), a.dtype()),
        Err(_) => match obj.get_type().name() {
            Ok(n) => format!("an object of type {n}"),
            Err(_) => "an object of unknown type".into(),
        },
    }
}

/// The array in standard (C, row-major) layout: the libraries index rows
/// as contiguous slices, and a Fortran-order copy would not be.
fn standard(a: Array2<f64>) -> Array2<f64> {
    if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    }
}

macro_rules! try_2d {
    ($obj:expr, $f:expr, $($t:ty),*) => {
        $(if let Ok(a) = $obj.extract::<PyReadonlyArray2<'_, $t>>() {
            return Ok(standard(a.as_array().mapv($f)));
        })*
    };
}

/// A 2-D real array of any float or integer dtype, any memory order, as
/// `f64` (values unchanged; float32 widened exactly).
pub(crate) fn f64_2d(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Array2<f64>> {
    if let Ok(a) = obj.extract::<PyReadonlyArray2<'_, f64>>() {
        return Ok(standard(a.as_array().to_owned()));
    }
    try_2d!(obj, f64::from, f32, i16, u16, i32, u32, u8, i8);
    try_2d!(obj, |v| v as f64, i64, u64);
    Err(InputError::new_err(format!(
        "`{name}` must be a 2-D NumPy array of floats or integers, got {}",
        describe(obj)
    )))
}

/// A 2-D mask: bool, or integers / floats where non-zero means `true`.
pub(crate) fn bool_2d(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Array2<bool>> {
    if let Ok(a) = obj.extract::<PyReadonlyArray2<'_, bool>>() {
        return Ok(a.as_array().to_owned());
    }
    let v = f64_2d(name, obj).map_err(|_| {
        InputError::new_err(format!(
            "`{name}` must be a 2-D boolean (or 0/1) array, got {}",
            describe(obj)
        ))
    })?;
    Ok(v.mapv(|x| x != 0.0 && !x.is_nan()))
}

/// A 2-D array of non-negative integer labels as `u32`.
pub(crate) fn labels_2d(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Array2<u32>> {
    let v = f64_2d(name, obj)?;
    if let Some(bad) = v
        .iter()
        .find(|x| !(x.is_finite() && **x >= 0.0 && x.fract() == 0.0 && **x <= u32::MAX as f64))
    {
        return Err(InputError::new_err(format!(
            "`{name}` must hold integer labels in [0, 2^32), found {bad}"
        )));
    }
    Ok(v.mapv(|x| x as u32))
}

/// A 3-D stack `(bands, rows, cols)` as `f64`.
pub(crate) fn f64_3d(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Array3<f64>> {
    if let Ok(a) = obj.extract::<PyReadonlyArray3<'_, f64>>() {
        return Ok(a.as_array().to_owned());
    }
    if let Ok(a) = obj.extract::<PyReadonlyArray3<'_, f32>>() {
        return Ok(a.as_array().mapv(f64::from));
    }
    Err(InputError::new_err(format!(
        "`{name}` must be a 3-D float32/float64 array (bands, rows, cols), got {}",
        describe(obj)
    )))
}

/// A CRS given as a string or an object whose `str()` is one (rasterio's
/// `CRS`, pyproj's `CRS` via `to_string()`).
pub(crate) fn crs_text(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => {
            if let Ok(s) = o.cast::<PyString>() {
                return Ok(Some(s.to_cow()?.into_owned()));
            }
            if let Ok(m) = o.getattr("to_string") {
                if let Ok(s) = m.call0().and_then(|v| v.extract::<String>()) {
                    return Ok(Some(s));
                }
            }
            Ok(Some(o.str()?.to_cow()?.into_owned()))
        }
    }
}

/// The transform as a vector of numbers (6-tuple, `affine.Affine`, list).
pub(crate) fn transform_vec(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<f64>>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => {
            let mut v = Vec::new();
            for item in o.try_iter().map_err(|_| {
                InputError::new_err(format!(
                    "invalid transform: expected 6 numbers (a, b, c, d, e, f) as in rasterio's ds.transform, got {}",
                    describe(o)
                ))
            })? {
                let x = item?.extract::<f64>().map_err(|_| {
                    InputError::new_err("invalid transform: every element must be a number")
                })?;
                v.push(x);
            }
            Ok(Some(v))
        }
    }
}

/// The grid of an array of shape `shape` with optional georeferencing.
pub(crate) fn grid(
    shape: (usize, usize),
    transform: Option<&Bound<'_, PyAny>>,
    crs: Option<&Bound<'_, PyAny>>,
) -> PyResult<Grid> {
    let t = transform_vec(transform)?;
    let c = crs_text(crs)?;
    Ok(geo::grid_from(
        shape.0,
        shape.1,
        t.as_deref(),
        c.as_deref(),
    )?)
}

/// A raster from an array and a grid (same shape, checked).
pub(crate) fn raster(name: &str, data: Array2<f64>, grid: &Grid) -> PyResult<Raster<f64>> {
    if data.dim() != grid.shape() {
        return Err(InputError::new_err(format!(
            "`{name}` has shape {:?} but {:?} was expected (the shape of the first raster)",
            data.dim(),
            grid.shape()
        )));
    }
    Raster::new(data, grid.clone()).map_err(|e| super::SarError::new_err(e.to_string()))
}
