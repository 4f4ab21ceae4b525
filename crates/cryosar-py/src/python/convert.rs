//! NumPy and Python values → Rust inputs (copied while the GIL is held).

use super::InputError;
use crate::geo;
use ndarray::{Array2, Array3};
use num_complex::{Complex32, Complex64};
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

/// `obj` itself, or an aligned copy when it is a NumPy array whose data is
/// not aligned for its dtype. Such arrays are legal NumPy (views into a
/// byte buffer at an odd offset) and are what `dask.distributed` hands a
/// worker when it unpickles an array out of a network frame; reading them
/// in place would be undefined behaviour (ndarray panics), so they are
/// copied — one copy, which the conversion below makes anyway.
pub(crate) fn aligned<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(a) = obj.cast::<numpy::PyUntypedArray>() {
        let ok = a
            .getattr("flags")
            .and_then(|f| f.getattr("aligned"))
            .and_then(|v| v.extract::<bool>())
            .unwrap_or(false);
        if !ok {
            return a.call_method0("copy");
        }
    }
    Ok(obj.clone())
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
    let obj = &aligned(obj)?;
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
    let obj = &aligned(obj)?;
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
    let obj = &aligned(obj)?;
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

/// A 2-D complex array (complex64, or complex128 rounded to complex64 —
/// the precision of SAR SLC products) in standard layout.
pub(crate) fn c32_2d(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Array2<Complex32>> {
    let obj = &aligned(obj)?;
    let a = if let Ok(a) = obj.extract::<PyReadonlyArray2<'_, Complex32>>() {
        a.as_array().to_owned()
    } else if let Ok(a) = obj.extract::<PyReadonlyArray2<'_, Complex64>>() {
        a.as_array()
            .mapv(|v| Complex32::new(v.re as f32, v.im as f32))
    } else {
        return Err(InputError::new_err(format!(
            "`{name}` must be a 2-D complex64/complex128 array (an SLC), got {}",
            describe(obj)
        )));
    };
    Ok(if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    })
}

/// An optional array argument converted with `convert`: a missing argument
/// and Python `None` both give `None`.
pub(crate) fn optional<'py, T>(
    obj: Option<&Bound<'py, PyAny>>,
    convert: impl FnOnce(&Bound<'py, PyAny>) -> PyResult<T>,
) -> PyResult<Option<T>> {
    match obj {
        Some(o) if !o.is_none() => convert(o).map(Some),
        _ => Ok(None),
    }
}

/// `InputError` unless array `name` has the `expected` shape.
pub(crate) fn check_shape(
    name: &str,
    got: (usize, usize),
    expected: (usize, usize),
) -> PyResult<()> {
    if got == expected {
        Ok(())
    } else {
        Err(InputError::new_err(format!(
            "`{name}` has shape {got:?} but {expected:?} was expected (the shape of the first raster)"
        )))
    }
}

/// The raster arguments `(name, obj)` of a georeferenced function as
/// `f64` rasters on one grid: the grid of the first one's shape with the
/// given `transform`/`crs`; every further one must have that shape. The
/// block every georeferenced function starts with.
pub(crate) fn rasters_on_grid<const N: usize>(
    items: [(&str, &Bound<'_, PyAny>); N],
    transform: Option<&Bound<'_, PyAny>>,
    crs: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Grid, [Raster<f64>; N])> {
    convert_all(items, |shape| grid(shape, transform, crs))
}

/// Like [`rasters_on_grid`] on the pixel grid (1 m pixels, no CRS) of the
/// first array, for functions that take no georeferencing.
pub(crate) fn pixel_rasters<const N: usize>(
    items: [(&str, &Bound<'_, PyAny>); N],
) -> PyResult<(Grid, [Raster<f64>; N])> {
    convert_all(items, |(rows, cols)| Ok(Grid::pixel(rows, cols)))
}

fn convert_all<const N: usize>(
    items: [(&str, &Bound<'_, PyAny>); N],
    make_grid: impl FnOnce((usize, usize)) -> PyResult<Grid>,
) -> PyResult<(Grid, [Raster<f64>; N])> {
    let mut arrays = Vec::with_capacity(N);
    for (name, obj) in items {
        arrays.push((name, f64_2d(name, obj)?));
    }
    let shape = arrays.first().map_or((0, 0), |(_, a)| a.dim());
    let g = make_grid(shape)?;
    let mut out = Vec::with_capacity(N);
    for (name, a) in arrays {
        out.push(raster(name, a, &g)?);
    }
    let out = <[Raster<f64>; N]>::try_from(out)
        .map_err(|_| InputError::new_err("internal: raster count mismatch"))?;
    Ok((g, out))
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
pub(crate) fn raster<T>(name: &str, data: Array2<T>, grid: &Grid) -> PyResult<Raster<T>> {
    check_shape(name, data.dim(), grid.shape())?;
    Raster::new(data, grid.clone()).map_err(|e| super::SarError::new_err(e.to_string()))
}
