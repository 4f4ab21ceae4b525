//! The bound functions. Docstrings here are what `help(cryosar.f)` shows;
//! the `.pyi` stubs repeat the signatures with types.

use super::convert::{
    aligned, bool_2d, check_shape, crs_text, f64_2d, f64_3d, grid, labels_2d, optional,
    pixel_rasters, raster, rasters_on_grid,
};
use super::{compute, Failure, InputError};
use crate::{geo, tiles, BindError};
use ndarray::Array2;
use numpy::{IntoPyArray, PyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use rand::SeedableRng;
use sar_core::{geotiff, terrain, Date, Raster};

/// A new `dict` of `"key" => value` items, inserted in the order written
/// (each value converted as `PyDict::set_item` converts it); a conversion
/// error returns it from the enclosing function, which returns `PyResult`.
macro_rules! py_dict {
    ($py:expr; $($key:expr => $value:expr),* $(,)?) => {{
        let d = PyDict::new($py);
        $(d.set_item($key, $value)?;)*
        d
    }};
}

type Affine = (f64, f64, f64, f64, f64, f64);
/// A float64 NumPy array owned by Python.
type Arr<'py> = Bound<'py, PyArray2<f64>>;

fn affine_of(grid: &sar_core::Grid) -> Affine {
    let a = geo::geotransform_to_affine(&grid.transform);
    (a[0], a[1], a[2], a[3], a[4], a[5])
}

fn arr<'py>(py: Python<'py>, a: Array2<f64>) -> Bound<'py, PyArray2<f64>> {
    a.into_pyarray(py)
}

// ---------------------------------------------------------------- GeoTIFF

/// Read one band of a GeoTIFF as float64 (no-data → NaN).
///
/// Returns ``(data, transform, crs)``: a ``(rows, cols)`` array, the affine
/// 6-tuple ``(a, b, c, d, e, f)`` of rasterio (map units per pixel) and the
/// CRS string (``"EPSG:<code>"``, a PROJ.4 string, WKT, or ``None``).
/// ``window=(row0, col0, rows, cols)`` returns that pixel window with its
/// own transform; only the strips or tiles under the window are decoded
/// (equal to the same window cropped from a whole read, bit for bit).
#[pyfunction]
#[pyo3(signature = (path, band=0, window=None))]
fn read_geotiff<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
    band: usize,
    window: Option<(usize, usize, usize, usize)>,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Affine, Option<String>)> {
    let r = compute(py, move || {
        Ok::<_, Failure>(match window {
            Some((r0, c0, h, w)) => {
                geotiff::read_window_f64(&path, band, geotiff::Window::new(r0, c0, h, w))?
            }
            None => geotiff::read_f64(&path, band)?,
        })
    })?;
    let t = affine_of(&r.grid);
    let crs = geo::crs_to_string(&r.grid.crs);
    Ok((arr(py, r.data), t, crs))
}

/// What a GeoTIFF holds, without decoding pixels: a dict with ``width``,
/// ``height``, ``bands``, ``dtype`` (GDAL name), ``transform`` (affine
/// 6-tuple), ``crs``, ``nodata`` (or ``None``), ``tiled`` and
/// ``compression``.
#[pyfunction]
fn read_geotiff_info<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
) -> PyResult<Bound<'py, PyDict>> {
    let info = compute(py, move || Ok::<_, Failure>(geotiff::read_info(&path)?))?;
    Ok(py_dict!(py;
        "width" => info.width,
        "height" => info.height,
        "bands" => info.bands,
        "dtype" => info.data_type.gdal_name(),
        "transform" => affine_of(&info.grid),
        "crs" => geo::crs_to_string(&info.grid.crs),
        "nodata" => info.nodata,
        "tiled" => info.tiled,
        "compression" => format!("{:?}", info.compression),
    ))
}

/// Write a GeoTIFF (Deflate, written atomically). ``data`` is
/// ``(rows, cols)`` or ``(bands, rows, cols)``; float64 input is written as
/// Float64, float32 as Float32, uint8 as Byte, other integer types as
/// Float64. NaN pixels of float data are written as ``nodata`` (or NaN),
/// which is declared in ``GDAL_NODATA``. ``transform`` is the affine
/// 6-tuple (rasterio's ``ds.transform``), ``crs`` a CRS string or object.
#[pyfunction]
#[pyo3(signature = (path, data, transform=None, crs=None, nodata=None))]
fn write_geotiff(
    py: Python<'_>,
    path: std::path::PathBuf,
    data: &Bound<'_, PyAny>,
    transform: Option<&Bound<'_, PyAny>>,
    crs: Option<&Bound<'_, PyAny>>,
    nodata: Option<f64>,
) -> PyResult<()> {
    enum Bands {
        F64(Vec<Array2<f64>>),
        F32(Vec<Array2<f32>>),
        U8(Vec<Array2<u8>>),
    }
    use numpy::{PyReadonlyArray2, PyReadonlyArray3};
    let data = &aligned(data)?;
    let bands = if let Ok(a) = data.extract::<PyReadonlyArray2<'_, f32>>() {
        Bands::F32(vec![a.as_array().to_owned()])
    } else if let Ok(a) = data.extract::<PyReadonlyArray3<'_, f32>>() {
        Bands::F32(a.as_array().outer_iter().map(|b| b.to_owned()).collect())
    } else if let Ok(a) = data.extract::<PyReadonlyArray2<'_, u8>>() {
        Bands::U8(vec![a.as_array().to_owned()])
    } else if let Ok(a) = data.extract::<PyReadonlyArray3<'_, u8>>() {
        Bands::U8(a.as_array().outer_iter().map(|b| b.to_owned()).collect())
    } else if let Ok(a) = f64_3d("data", data) {
        Bands::F64(a.outer_iter().map(|b| b.to_owned()).collect())
    } else {
        Bands::F64(vec![f64_2d("data", data)?])
    };
    let shape = match &bands {
        Bands::F64(b) => b.first().map(|a| a.dim()),
        Bands::F32(b) => b.first().map(|a| a.dim()),
        Bands::U8(b) => b.first().map(|a| a.dim()),
    }
    .ok_or_else(|| InputError::new_err("`data` has no band"))?;
    let g = grid(shape, transform, crs)?;
    compute(py, move || {
        fn rasters<T: Clone>(
            b: Vec<Array2<T>>,
            g: &sar_core::Grid,
            nodata: Option<f64>,
        ) -> Result<Vec<Raster<T>>, Failure> {
            b.into_iter()
                .map(|a| Ok(Raster::new(a, g.clone())?.with_nodata(nodata)))
                .collect()
        }
        let opts = geotiff::WriteOptions::default();
        match bands {
            Bands::F64(b) => geotiff::write_bands(&path, &rasters(b, &g, nodata)?, &opts)?,
            Bands::F32(b) => geotiff::write_bands(&path, &rasters(b, &g, nodata)?, &opts)?,
            Bands::U8(b) => geotiff::write_bands(&path, &rasters(b, &g, nodata)?, &opts)?,
        }
        Ok(())
    })
}

// ---------------------------------------------------------------- terrain

fn gradient_method(method: &str) -> Result<terrain::GradientMethod, BindError> {
    match method.to_ascii_lowercase().as_str() {
        "horn" => Ok(terrain::GradientMethod::Horn),
        "zevenbergen_thorne" | "zevenbergenthorne" | "zt" => {
            Ok(terrain::GradientMethod::ZevenbergenThorne)
        }
        other => Err(BindError::arg(
            "method",
            format!("unknown gradient method {other:?}; use \"horn\" or \"zevenbergen_thorne\""),
        )),
    }
}

/// Slope and aspect of a DEM (heights in metres), both in degrees, as
/// ``gdaldem`` computes them (Horn 1981 by default, or
/// ``"zevenbergen_thorne"``), with metric pixel sizes per row on
/// geographic grids. Slope is from the horizontal in ``[0, 90)``; aspect is
/// the downslope azimuth clockwise from north in ``[0, 360)`` (NaN on flat
/// cells). The outermost ring and cells next to NaN are NaN. Without a
/// transform the pixels are 1 m × 1 m with row 0 to the north.
#[pyfunction]
#[pyo3(signature = (dem, transform=None, crs=None, method="horn"))]
fn slope_aspect<'py>(
    py: Python<'py>,
    dem: &Bound<'py, PyAny>,
    transform: Option<&Bound<'py, PyAny>>,
    crs: Option<&Bound<'py, PyAny>>,
    method: &str,
) -> PyResult<(Arr<'py>, Arr<'py>)> {
    let (_, [dem]) = rasters_on_grid([("dem", dem)], transform, crs)?;
    let m = gradient_method(method)?;
    let sa = compute(py, move || {
        Ok::<_, Failure>(terrain::slope_aspect(&dem, m)?)
    })?;
    Ok((arr(py, sa.slope.data), arr(py, sa.aspect.data)))
}

/// Local incidence angle in degrees between the surface normal (from
/// ``slope`` and ``aspect`` in degrees, as :func:`slope_aspect` returns
/// them) and the direction to the sensor: incidence angle ``incidence_deg``
/// (a number, or an array on the same grid; degrees from the vertical),
/// platform heading ``heading_deg`` (degrees clockwise from north) and look
/// direction ``"right"`` (Sentinel-1) or ``"left"``. Values above 90° are in
/// radar shadow.
#[pyfunction]
#[pyo3(signature = (slope, aspect, incidence_deg, heading_deg, look="right"))]
fn local_incidence_angle<'py>(
    py: Python<'py>,
    slope: &Bound<'py, PyAny>,
    aspect: &Bound<'py, PyAny>,
    incidence_deg: &Bound<'py, PyAny>,
    heading_deg: f64,
    look: &str,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (g, [s, a]) = pixel_rasters([("slope", slope), ("aspect", aspect)])?;
    let inc = match incidence_deg.extract::<f64>() {
        Ok(v) => terrain::Incidence::Constant(v),
        Err(_) => terrain::Incidence::Raster(raster(
            "incidence_deg",
            f64_2d("incidence_deg", incidence_deg)?,
            &g,
        )?),
    };
    let look = match look.to_ascii_lowercase().as_str() {
        "right" => terrain::LookDirection::Right,
        "left" => terrain::LookDirection::Left,
        other => {
            return Err(BindError::arg(
                "look",
                format!("unknown look direction {other:?}; use \"right\" or \"left\""),
            )
            .into())
        }
    };
    let lia = compute(py, move || {
        Ok::<_, Failure>(terrain::local_incidence_angle(
            &s,
            &a,
            &inc,
            heading_deg,
            look,
        )?)
    })?;
    Ok(arr(py, lia.data))
}

/// Gaussian high-pass of an image (ncc-stack pre-processing, sect. 2.3.2):
/// the image minus its NaN-aware, edge-normalised ``kernel_px × kernel_px``
/// Gaussian low-pass of standard deviation ``sigma_px`` pixels. NaN stays
/// NaN. Defaults: 51 px, σ = 17 px (thesis).
#[pyfunction]
#[pyo3(signature = (image, kernel_px=51, sigma_px=17.0))]
fn gaussian_highpass<'py>(
    py: Python<'py>,
    image: &Bound<'py, PyAny>,
    kernel_px: usize,
    sigma_px: f64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let img = f64_2d("image", image)?;
    let out = compute(py, move || {
        Ok::<_, Failure>(ncc_stack::preprocess::gaussian_highpass(
            img.view(),
            kernel_px,
            sigma_px,
        )?)
    })?;
    Ok(arr(py, out))
}

// ---------------------------------------------------------------- ncc-stack

/// Pairs of eq. 2.4 for one time series of acquisition dates
/// (``"YYYY-MM-DD"`` strings, strictly increasing): image ``j`` with image
/// ``j + interval``. Returns ``(pairs, interval_days)`` with ``pairs`` a
/// list of ``(primary, secondary)`` indices.
#[pyfunction]
#[pyo3(signature = (dates, interval=1, tolerance_days=0.5))]
fn form_pairs(
    py: Python<'_>,
    dates: Vec<String>,
    interval: usize,
    tolerance_days: f64,
) -> PyResult<(Vec<(usize, usize)>, f64)> {
    let mut ds = Vec::with_capacity(dates.len());
    for (i, s) in dates.iter().enumerate() {
        ds.push(s.parse::<Date>().map_err(|e| {
            InputError::new_err(format!(
                "`dates[{i}]` = {s:?} is not a date YYYY-MM-DD: {e}"
            ))
        })?);
    }
    let set = compute(py, move || {
        Ok::<_, Failure>(ncc_stack::form_pairs(&[ds], interval, tolerance_days)?)
    })?;
    Ok((
        set.pairs.iter().map(|p| (p.primary, p.secondary)).collect(),
        set.interval_days,
    ))
}

/// Offset tracking by NCC stacking (ch. 2): for every cell of the template
/// grid (one template every ``step_px`` pixels, ``template_px`` wide,
/// searched ±``search_px``), the ZNCC surfaces of all ``pairs`` (index
/// pairs into ``images``, earlier image first) are averaged (eq. 2.4) and
/// the peak located with sub-pixel precision. ``images`` are co-registered
/// pre-processed images (e.g. dB and :func:`gaussian_highpass`) of equal
/// shape; ``interval_days`` the common pair interval.
///
/// Returns a dict of arrays on the template grid: ``offset_x_px``,
/// ``offset_y_px`` (secondary minus primary, pixels, columns / rows down),
/// ``displacement_east_m``, ``displacement_north_m``,
/// ``velocity_east_m_per_day``, ``velocity_north_m_per_day``,
/// ``speed_m_per_day``, ``snr_db``, ``peak``, ``pair_count`` (uint32), and
/// ``transform``/``crs`` of the template grid, ``summary`` (counts).
/// ``allow_empty=True`` returns all-NaN fields instead of raising when no
/// template is valid (for tiles of a distributed run).
#[pyfunction]
#[pyo3(signature = (images, pairs, interval_days, transform=None, crs=None, template_px=48, step_px=16, search_px=16, form="zncc", oversample=false, allow_empty=false))]
#[allow(clippy::too_many_arguments)]
fn track<'py>(
    py: Python<'py>,
    images: Vec<Bound<'py, PyAny>>,
    pairs: Vec<(usize, usize)>,
    interval_days: f64,
    transform: Option<&Bound<'py, PyAny>>,
    crs: Option<&Bound<'py, PyAny>>,
    template_px: usize,
    step_px: usize,
    search_px: usize,
    form: &str,
    oversample: bool,
    allow_empty: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let imgs = images
        .iter()
        .enumerate()
        .map(|(i, o)| {
            f64_2d("images", o).map_err(|_| {
                InputError::new_err(format!("`images[{i}]` must be a 2-D float array"))
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let shape = imgs.first().map(|a| a.dim()).unwrap_or((0, 0));
    let g = grid(shape, transform, crs)?;
    let form = match form.to_ascii_lowercase().as_str() {
        "zncc" => ncc_stack::NccForm::Zncc,
        "circular" => ncc_stack::NccForm::Circular,
        other => {
            return Err(BindError::arg(
                "form",
                format!("unknown correlation form {other:?}; use \"zncc\" or \"circular\""),
            )
            .into())
        }
    };
    let set = ncc_stack::PairSet {
        pairs: pairs
            .iter()
            .map(|&(primary, secondary)| ncc_stack::Pair { primary, secondary })
            .collect(),
        interval_days,
    };
    if !(interval_days.is_finite() && interval_days > 0.0) {
        return Err(BindError::arg(
            "interval_days",
            format!("the pair interval must be a positive number of days, got {interval_days}"),
        )
        .into());
    }
    let params = ncc_stack::TrackParams::new()
        .template_px(template_px)
        .step_px(step_px)
        .search(ncc_stack::SearchRadius::Pixels(search_px))
        .form(form)
        .oversample(oversample);
    let g2 = g.clone();
    let res = compute(py, move || {
        let views: Vec<_> = imgs.iter().map(|a| a.view()).collect();
        match ncc_stack::track(&views, &g2, &set, &params, None) {
            Ok(v) => Ok(Some(v)),
            Err(
                ncc_stack::NccError::NoValidTemplate(_)
                | ncc_stack::NccError::AllNaN(_)
                | ncc_stack::NccError::TemplateTooLarge { .. },
            ) if allow_empty => Ok(None),
            Err(e) => Err(Failure::from(e)),
        }
    })?;
    let d = match res {
        Some(v) => py_dict!(py;
            "offset_x_px" => arr(py, v.offset_x_px.data),
            "offset_y_px" => arr(py, v.offset_y_px.data),
            "displacement_east_m" => arr(py, v.displacement_east_m.data),
            "displacement_north_m" => arr(py, v.displacement_north_m.data),
            "velocity_east_m_per_day" => arr(py, v.velocity_east_m_per_day.data),
            "velocity_north_m_per_day" => arr(py, v.velocity_north_m_per_day.data),
            "speed_m_per_day" => arr(py, v.speed_m_per_day.data),
            "snr_db" => arr(py, v.snr_db.data),
            "peak" => arr(py, v.peak.data),
            "pair_count" => v.pair_count.data.into_pyarray(py),
            "transform" => affine_of(&v.grid),
            "crs" => geo::crs_to_string(&v.grid.crs),
            "summary" => py_dict!(py;
                "templates" => v.summary.templates,
                "valid" => v.summary.valid,
                "edge" => v.summary.edge,
                "nodata" => v.summary.nodata,
                "zero_variance" => v.summary.zero_variance,
                "at_search_edge" => v.summary.at_search_edge,
                "fit_failed" => v.summary.fit_failed,
            ),
        ),
        None => {
            let og = g
                .coarsen(step_px.max(1), step_px.max(1))
                .map_err(Failure::from)?;
            let nan = || arr(py, Array2::from_elem(og.shape(), f64::NAN));
            py_dict!(py;
                "offset_x_px" => nan(),
                "offset_y_px" => nan(),
                "displacement_east_m" => nan(),
                "displacement_north_m" => nan(),
                "velocity_east_m_per_day" => nan(),
                "velocity_north_m_per_day" => nan(),
                "speed_m_per_day" => nan(),
                "snr_db" => nan(),
                "peak" => nan(),
                "pair_count" => Array2::<u32>::zeros(og.shape()).into_pyarray(py),
                "transform" => affine_of(&og),
                "crs" => geo::crs_to_string(&og.crs),
                "summary" => py_dict!(py;
                    "templates" => og.rows * og.cols,
                    "valid" => 0,
                ),
            )
        }
    };
    Ok(d)
}

/// Tiles of the template grid of a ``rows × cols`` image whose stitched
/// :func:`track` results equal the whole-image run bit for bit: each tile
/// starts on an even cell (a multiple of ``2 * step_px``) and holds the
/// template and search footprint of the cells it delivers and of their
/// FFT batch partners (cells ``(i, 2k)`` and ``(i, 2k + 1)`` are correlated
/// together). Returns a list of dicts with the image window
/// (``row0, col0, rows, cols``), the delivered cells in whole-grid numbering
/// (``cell_row0, cell_col0, cell_rows, cell_cols``) and their offset in the
/// tile's own grid (``cell_offset``).
#[pyfunction]
#[pyo3(signature = (rows, cols, template_px=48, step_px=16, search_px=16, tile_cells=(32, 32)))]
fn velocity_tile_plan<'py>(
    py: Python<'py>,
    rows: usize,
    cols: usize,
    template_px: usize,
    step_px: usize,
    search_px: usize,
    tile_cells: (usize, usize),
) -> PyResult<Bound<'py, PyList>> {
    let plan = tiles::velocity_tiles(rows, cols, template_px, step_px, search_px, tile_cells)
        .map_err(Failure::from)?;
    let out = PyList::empty(py);
    for t in plan {
        let d = py_dict!(py;
            "row0" => t.row0,
            "col0" => t.col0,
            "rows" => t.rows,
            "cols" => t.cols,
            "cell_row0" => t.cell_row0,
            "cell_col0" => t.cell_col0,
            "cell_rows" => t.cell_rows,
            "cell_cols" => t.cell_cols,
            "cell_offset" => t.cell_offset(step_px),
        );
        out.append(d)?;
    }
    Ok(out)
}

// ---------------------------------------------------------------- uncertainty

fn model_kind(s: &str) -> Result<uncertainty::ModelKind, BindError> {
    match s.to_ascii_lowercase().as_str() {
        "gaussian" => Ok(uncertainty::ModelKind::Gaussian),
        "spherical" => Ok(uncertainty::ModelKind::Spherical),
        "exponential" => Ok(uncertainty::ModelKind::Exponential),
        other => Err(BindError::arg(
            "kind",
            format!("unknown variogram model {other:?}; use gaussian, spherical or exponential"),
        )),
    }
}

fn kind_name(k: uncertainty::ModelKind) -> &'static str {
    match k {
        uncertainty::ModelKind::Gaussian => "gaussian",
        uncertainty::ModelKind::Spherical => "spherical",
        _ => "exponential",
    }
}

/// A variogram model from `{"nugget": c0, "components": [(kind, range_m, partial_sill), …]}`.
fn model_from(obj: &Bound<'_, PyAny>) -> PyResult<uncertainty::VariogramModel> {
    let bad = || {
        InputError::new_err(
            "`model` must be a dict {\"nugget\": float, \"components\": [(kind, range_m, partial_sill), ...]} \
             as fit_variogram returns",
        )
    };
    let comps = obj.get_item("components").map_err(|_| bad())?;
    let comps: Vec<(String, f64, f64)> = comps.extract().map_err(|_| bad())?;
    let nugget: f64 = match obj.get_item("nugget") {
        Ok(v) => v.extract().map_err(|_| bad())?,
        Err(_) => 0.0,
    };
    let mut cs = Vec::new();
    for (k, r, s) in comps {
        cs.push(uncertainty::VariogramComponent::new(model_kind(&k)?, r, s));
    }
    let m = uncertainty::VariogramModel::new(cs)
        .and_then(|m| m.with_nugget(nugget))
        .map_err(Failure::from)?;
    Ok(m)
}

fn model_dict<'py>(
    py: Python<'py>,
    m: &uncertainty::VariogramModel,
) -> PyResult<Bound<'py, PyDict>> {
    let comps: Vec<(&str, f64, f64)> = m
        .components()
        .iter()
        .map(|c| (kind_name(c.kind), c.range_m, c.partial_sill))
        .collect();
    Ok(py_dict!(py;
        "nugget" => m.nugget(),
        "components" => comps,
    ))
}

/// Empirical variogram of ``values`` (e.g. standardised dh, any unit) over
/// the pixels where ``mask`` is true and the value finite, on pixels of
/// ``pixel_size_m = (dx, dy)`` metres (sect. 4.3.3; xdem's ring sampling).
/// ``estimator`` is ``"dowd"`` (robust, eq. 4.10; default) or
/// ``"matheron"``. Bins are xdem's √2-growing ones up to ``max_lag_m``
/// (default: the extent's diagonal) unless ``bin_edges_m`` gives the upper
/// edges. Returns a dict of 1-D arrays: ``lower_m``, ``upper_m``,
/// ``mean_lag_m``, ``gamma`` (unit²), ``count``.
#[pyfunction]
#[pyo3(signature = (values, pixel_size_m, mask=None, estimator="dowd", max_lag_m=None, bin_edges_m=None, pairs_per_bin=10000, seed=42))]
#[allow(clippy::too_many_arguments)]
fn empirical_variogram<'py>(
    py: Python<'py>,
    values: &Bound<'py, PyAny>,
    pixel_size_m: (f64, f64),
    mask: Option<&Bound<'py, PyAny>>,
    estimator: &str,
    max_lag_m: Option<f64>,
    bin_edges_m: Option<Vec<f64>>,
    pairs_per_bin: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let v = f64_2d("values", values)?;
    let m = optional(mask, |o| bool_2d("mask", o))?;
    if let Some(m) = &m {
        check_shape("mask", m.dim(), v.dim())?;
    }
    let est = match estimator.to_ascii_lowercase().as_str() {
        "dowd" => uncertainty::Estimator::Dowd,
        "matheron" => uncertainty::Estimator::Matheron,
        other => {
            return Err(BindError::arg(
                "estimator",
                format!("unknown estimator {other:?}; use \"dowd\" or \"matheron\""),
            )
            .into())
        }
    };
    let mut p = uncertainty::VariogramParams::default()
        .estimator(est)
        .pairs_per_bin(pairs_per_bin)
        .seed(seed);
    if let Some(l) = max_lag_m {
        p = p.max_lag_m(l);
    }
    if let Some(e) = bin_edges_m {
        p = p.bins(uncertainty::LagBins::UpperEdges(e));
    }
    let emp = compute(py, move || {
        Ok::<_, Failure>(uncertainty::sample_empirical_variogram(
            v.view(),
            pixel_size_m,
            m.as_ref().map(|m| m.view()),
            &p,
        )?)
    })?;
    let count: Vec<u64> = emp.count.iter().map(|&c| c as u64).collect();
    let estimator = match emp.estimator {
        uncertainty::Estimator::Dowd => "dowd",
        _ => "matheron",
    };
    Ok(py_dict!(py;
        "lower_m" => numpy::PyArray1::from_vec(py, emp.lower_m),
        "upper_m" => numpy::PyArray1::from_vec(py, emp.upper_m),
        "mean_lag_m" => numpy::PyArray1::from_vec(py, emp.mean_lag_m),
        "gamma" => numpy::PyArray1::from_vec(py, emp.gamma),
        "count" => numpy::PyArray1::from_vec(py, count),
        "estimator" => estimator,
    ))
}

/// Fit a sum of variogram models (default Gaussian + spherical with a
/// nugget, sect. 4.3.3.2) to an empirical variogram (the dict of
/// :func:`empirical_variogram`), weighted by pair counts. Returns
/// ``{"nugget": c0, "components": [(kind, range_m, partial_sill), ...],
/// "weighted_mse": ..., "converged": bool, "bins_used": n}``; the
/// ``nugget``/``components`` part is the ``model`` other functions take.
#[pyfunction]
#[pyo3(signature = (variogram, kinds=vec!["gaussian".to_string(), "spherical".to_string()], nugget=true, min_pairs=30, max_iters=400))]
fn fit_variogram<'py>(
    py: Python<'py>,
    variogram: &Bound<'py, PyAny>,
    kinds: Vec<String>,
    nugget: bool,
    min_pairs: usize,
    max_iters: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let get = |k: &str| -> PyResult<Vec<f64>> {
        variogram
            .get_item(k)
            .and_then(|v| v.extract::<Vec<f64>>())
            .map_err(|_| {
                InputError::new_err(format!(
                    "`variogram` must be the dict of empirical_variogram; its {k:?} is missing or not numbers"
                ))
            })
    };
    let lower_m = get("lower_m")?;
    let upper_m = get("upper_m")?;
    let mean_lag_m = get("mean_lag_m")?;
    let gamma = get("gamma")?;
    let count: Vec<usize> = get("count")?.iter().map(|&c| c.max(0.0) as usize).collect();
    let n = gamma.len();
    if [lower_m.len(), upper_m.len(), mean_lag_m.len(), count.len()]
        .iter()
        .any(|&l| l != n)
    {
        return Err(InputError::new_err(
            "`variogram` arrays lower_m, upper_m, mean_lag_m, gamma and count must have one length",
        ));
    }
    let ks = kinds
        .iter()
        .map(|k| model_kind(k))
        .collect::<Result<Vec<_>, _>>()?;
    let emp = uncertainty::EmpiricalVariogram {
        lower_m,
        upper_m,
        mean_lag_m,
        gamma,
        count,
        std_err: vec![f64::NAN; n],
        estimator: uncertainty::Estimator::Dowd,
    };
    let p = uncertainty::VariogramFitParams::default()
        .kinds(ks)
        .nugget(nugget)
        .min_pairs(min_pairs)
        .max_iters(max_iters);
    let fit = compute(py, move || {
        Ok::<_, Failure>(uncertainty::fit_variogram(&emp, &p)?)
    })?;
    let d = model_dict(py, &fit.model)?;
    d.set_item("weighted_mse", fit.weighted_mse)?;
    d.set_item("converged", fit.converged)?;
    d.set_item("bins_used", fit.bins_used)?;
    Ok(d)
}

/// The model semivariance γ(h) at the lags ``lags_m`` (metres), nugget
/// included for h > 0 (γ(0) = 0).
#[pyfunction]
fn variogram_gamma<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    lags_m: Vec<f64>,
) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
    let m = model_from(model)?;
    let g: Vec<f64> = lags_m.iter().map(|&h| m.gamma(h)).collect();
    Ok(numpy::PyArray1::from_vec(py, g))
}

fn coords_of(obj: &Bound<'_, PyAny>) -> PyResult<Vec<[f64; 2]>> {
    let a = f64_2d("coords_m", obj)?;
    if a.ncols() != 2 {
        return Err(InputError::new_err(format!(
            "`coords_m` must have shape (n, 2) (x, y in metres), got {:?}",
            a.dim()
        )));
    }
    Ok(a.outer_iter().map(|r| [r[0], r[1]]).collect())
}

fn mean_error_dict<'py>(
    py: Python<'py>,
    m: &uncertainty::MeanError,
) -> PyResult<Bound<'py, PyDict>> {
    Ok(py_dict!(py;
        "standard_error" => m.standard_error,
        "n_eff" => m.n_eff,
        "mean_sigma" => m.mean_sigma,
        "n_pixels" => m.n_pixels,
        "subset_size" => m.subset_size,
    ))
}

/// Error of the mean of values with per-point errors ``sigma`` (any unit,
/// e.g. m/yr) at ``coords_m`` (``(n, 2)`` metres), spatially correlated as
/// ``model`` (eq. 4.11): the exact double sum (``method="exact"``), a random
/// subset of ``k`` points (``"random"``, eq. 4.12), or exact up to 5000
/// points and random beyond (``"auto"``). Returns a dict with
/// ``standard_error`` (unit of sigma), ``n_eff``, ``mean_sigma``,
/// ``n_pixels``, ``subset_size``.
#[pyfunction]
#[pyo3(signature = (coords_m, sigma, model, method="auto", k=1000, seed=0))]
fn propagate_mean_error<'py>(
    py: Python<'py>,
    coords_m: &Bound<'py, PyAny>,
    sigma: Vec<f64>,
    model: &Bound<'py, PyAny>,
    method: &str,
    k: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let c = coords_of(coords_m)?;
    let m = model_from(model)?;
    let method = propagation(method, k)?;
    let r = compute(py, move || {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        Ok::<_, Failure>(uncertainty::propagate_mean_error(
            &c, &sigma, &m, method, &mut rng,
        )?)
    })?;
    mean_error_dict(py, &r)
}

fn propagation(method: &str, k: usize) -> Result<uncertainty::Propagation, BindError> {
    match method.to_ascii_lowercase().as_str() {
        "exact" => Ok(uncertainty::Propagation::Exact),
        "random" => Ok(uncertainty::Propagation::RandomK { k }),
        "auto" => Ok(uncertainty::Propagation::Auto { max_exact: 5000, k }),
        other => Err(BindError::arg(
            "method",
            format!("unknown method {other:?}; use \"exact\", \"random\" or \"auto\""),
        )),
    }
}

/// Number of effective samples of an area from its pixel coordinates
/// (``(n, 2)`` metres) with unit errors correlated as ``model`` (xdem's
/// ``number_effective_samples``).
#[pyfunction]
#[pyo3(signature = (coords_m, model, method="auto", k=1000, seed=0))]
fn n_eff(
    py: Python<'_>,
    coords_m: &Bound<'_, PyAny>,
    model: &Bound<'_, PyAny>,
    method: &str,
    k: usize,
    seed: u64,
) -> PyResult<f64> {
    let c = coords_of(coords_m)?;
    let m = model_from(model)?;
    let method = propagation(method, k)?;
    compute(py, move || {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        Ok::<_, Failure>(uncertainty::number_effective_samples(
            &c, &m, method, &mut rng,
        )?)
    })
}

/// Exact error of the mean over the finite pixels of the ``sigma`` grid
/// (NaN = outside the area), by FFT autocorrelation; pixels of
/// ``pixel_size_m = (dx, dy)`` metres. Returns the dict of
/// :func:`propagate_mean_error`.
#[pyfunction]
fn propagate_mean_error_grid<'py>(
    py: Python<'py>,
    sigma: &Bound<'py, PyAny>,
    pixel_size_m: (f64, f64),
    model: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let s = f64_2d("sigma", sigma)?;
    let m = model_from(model)?;
    let r = compute(py, move || {
        Ok::<_, Failure>(uncertainty::propagate_mean_error_grid(
            s.view(),
            pixel_size_m,
            &m,
        )?)
    })?;
    mean_error_dict(py, &r)
}

// ---------------------------------------------------------------- gp-voidfill

/// Gaussian-process void filling of one glacier (sect. 4.3.2.2): the NaN
/// voids of ``dhdt`` (m/yr) inside ``mask`` (non-zero = glacier) are
/// predicted from elevation, slope and aspect of ``dem`` (m) with the
/// thesis kernel (RBF + Matérn 3/2, ARD), hyper-parameters by L-BFGS.
/// Returns a dict: ``filled`` (m/yr, NaN outside the glacier),
/// ``latent_std`` and ``observation_std`` (m/yr, 0 on measured pixels),
/// ``void_mean``/``void_std_error`` (m/yr, eq. 4.13; NaN without voids),
/// ``n_void``, ``n_skipped``, ``validation_rmse`` (m/yr, held-out pixels)
/// and ``n_train``.
#[pyfunction]
#[pyo3(signature = (dhdt, dem, mask, transform=None, crs=None, seed=0, max_iterations=200, max_train=30000, min_samples=30, validation_fraction=0.2))]
#[allow(clippy::too_many_arguments)]
fn fill_glacier<'py>(
    py: Python<'py>,
    dhdt: &Bound<'py, PyAny>,
    dem: &Bound<'py, PyAny>,
    mask: &Bound<'py, PyAny>,
    transform: Option<&Bound<'py, PyAny>>,
    crs: Option<&Bound<'py, PyAny>>,
    seed: u64,
    max_iterations: usize,
    max_train: usize,
    min_samples: usize,
    validation_fraction: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let (g, [dh, dem]) = rasters_on_grid([("dhdt", dhdt), ("dem", dem)], transform, crs)?;
    let m = raster("mask", bool_2d("mask", mask)?.mapv(u8::from), &g)?;
    let p = gp_voidfill::GpVoidFill::new()
        .seed(seed)
        .max_iterations(max_iterations)
        .max_train(max_train)
        .min_samples(min_samples)
        .validation_fraction(validation_fraction);
    let f = compute(py, move || {
        Ok::<_, Failure>(gp_voidfill::fill_glacier(&p, &dh, &dem, &m)?)
    })?;
    Ok(py_dict!(py;
        "filled" => arr(py, f.filled.data),
        "latent_std" => arr(py, f.latent_std.data),
        "observation_std" => arr(py, f.observation_std.data),
        "void_mean" => f.void_mean.map_or(f64::NAN, |v| v.mean),
        "void_std_error" => f.void_mean.map_or(f64::NAN, |v| v.std_error),
        "n_void" => f.n_void,
        "n_skipped" => f.n_skipped,
        "validation_rmse" => f.report.validation.rmse,
        "n_train" => f.report.n_train,
    ))
}

// ---------------------------------------------------------------- snowmelt

/// Wet-snow map of one date (ch. 3): a two-component Gaussian mixture fitted
/// to a seeded sample of ``n_samples`` pixels of the composite ratio
/// ``rc_db`` (dB, eqs. 3.1–3.4), the wet snow index (eq. 3.5), the
/// topographic snow index over terrain bins of ``dem`` (m), ``slope`` and
/// ``aspect`` (degrees; sect. 3.3.3), and SI = WSI·TSI thresholded at
/// 3.5·WSI(−2 dB) (eq. 3.6). Returns a dict: ``mask`` (uint8: 1 wet snow,
/// 0 not, 255 no data), ``wsi``, ``tsi``, ``si``, ``threshold``,
/// ``gmm_means_db``, ``gmm_stds_db``, ``gmm_weights``.
#[pyfunction]
#[pyo3(signature = (rc_db, dem, slope, aspect, seed=0, n_samples=1_000_000))]
fn wet_snow_map<'py>(
    py: Python<'py>,
    rc_db: &Bound<'py, PyAny>,
    dem: &Bound<'py, PyAny>,
    slope: &Bound<'py, PyAny>,
    aspect: &Bound<'py, PyAny>,
    seed: u64,
    n_samples: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let (_, [rc, dem, sl, asp]) = pixel_rasters([
        ("rc_db", rc_db),
        ("dem", dem),
        ("slope", slope),
        ("aspect", aspect),
    ])?;
    let (map, gmm) = compute(py, move || {
        use snowmelt::{classify, gmm, tsi, wsi};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        let gp = gmm::GmmParams::new().n_samples(n_samples);
        let sample = gmm::sample_pixels(&[&rc], n_samples, &mut rng);
        let mixture = gmm::fit_gmm(&sample, &gp)?;
        let index = wsi::Wsi::from_gmm(&mixture, &wsi::WsiParams::new())?;
        let bins = tsi::TopoBins::new(&tsi::TopoBinParams::new(), &dem, &sl, &asp)?;
        let map = classify::classify_si(&rc, &index, &bins, &classify::SiParams::new())?;
        Ok::<_, Failure>((map, mixture))
    })?;
    Ok(py_dict!(py;
        "mask" => map.mask.data.into_pyarray(py),
        "wsi" => arr(py, map.wsi.data),
        "tsi" => arr(py, map.tsi.data),
        "si" => arr(py, map.si.data),
        "threshold" => map.threshold,
        "gmm_means_db" => gmm.means.to_vec(),
        "gmm_stds_db" => gmm.variances.iter().map(|v| v.sqrt()).collect::<Vec<_>>(),
        "gmm_weights" => gmm.weights.to_vec(),
    ))
}

// ---------------------------------------------------------------- phase-unwrap

/// Minimum-cost-flow phase unwrapping (Costantini 1998) of a wrapped phase
/// (radians, NaN = no data) with optional coherence ``[0, 1]`` (statistical
/// costs with ``looks``) and validity mask. ``tile_size`` switches to the
/// seam-free tiled mode. Returns a dict: ``phase`` (unwrapped, radians),
/// ``cycles`` (int32), ``components`` (uint32, 0 = invalid),
/// ``n_components``, ``residues``, ``total_cost``, ``tiles``.
#[pyfunction]
#[pyo3(signature = (phase, coherence=None, mask=None, looks=1.0, assumed_coherence=0.7, tile_size=None, tile_overlap=256))]
#[allow(clippy::too_many_arguments)]
fn unwrap_phase<'py>(
    py: Python<'py>,
    phase: &Bound<'py, PyAny>,
    coherence: Option<&Bound<'py, PyAny>>,
    mask: Option<&Bound<'py, PyAny>>,
    looks: f64,
    assumed_coherence: f64,
    tile_size: Option<usize>,
    tile_overlap: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let ph = f64_2d("phase", phase)?;
    let coh = optional(coherence, |o| f64_2d("coherence", o))?;
    let m = optional(mask, |o| bool_2d("mask", o))?;
    let p = phase_unwrap::UnwrapParams::default()
        .looks(looks)
        .assumed_coherence(assumed_coherence)
        .tile_size(tile_size)
        .tile_overlap(tile_overlap);
    let u = compute(py, move || {
        Ok::<_, Failure>(phase_unwrap::unwrap(&ph, coh.as_ref(), m.as_ref(), &p)?)
    })?;
    Ok(py_dict!(py;
        "phase" => arr(py, u.phase),
        "cycles" => u.cycles.into_pyarray(py),
        "components" => u.components.into_pyarray(py),
        "n_components" => u.n_components,
        "residues" => u.residues,
        "total_cost" => u.total_cost,
        "tiles" => u.tiles,
    ))
}

// ---------------------------------------------------------------- geodetic-mb

/// Per-glacier geodetic mass balance (sect. 4.3.2–4.3.3) on a projected
/// grid: the dh/dt error model (heteroscedasticity with slope and the
/// spatial variogram) is fitted on the ``stable`` (non-zero) pixels, each
/// glacier of ``labels`` (uint, 0 = none) listed in ``glaciers``
/// (``[(label, id), ...]``) is void-filled (``fill="gp"`` or
/// ``"hypsometric"`` with bands of ``band_m`` metres) and its mean dh/dt,
/// specific mass balance (ρ = 850 ± 60 kg m⁻³) and uncertainties computed.
/// Returns ``(filled, sigma, rows)``: the filled dh/dt and its per-pixel σ
/// (m/yr), and one dict per glacier (``status``, ``area_m2``, ``coverage``,
/// ``mean_dhdt_m_yr``, ``sigma_dhdt_m_yr``, ``b_mwe_yr``,
/// ``sigma_b_mwe_yr``, ``n_eff``, …).
#[pyfunction]
#[pyo3(signature = (dhdt, dem, labels, stable, glaciers, transform, crs=None, fill="gp", min_area_km2=1.0, min_coverage=0.3, band_m=50.0))]
#[allow(clippy::too_many_arguments)]
fn glacier_mass_balance<'py>(
    py: Python<'py>,
    dhdt: &Bound<'py, PyAny>,
    dem: &Bound<'py, PyAny>,
    labels: &Bound<'py, PyAny>,
    stable: &Bound<'py, PyAny>,
    glaciers: Vec<(u32, String)>,
    transform: &Bound<'py, PyAny>,
    crs: Option<&Bound<'py, PyAny>>,
    fill: &str,
    min_area_km2: f64,
    min_coverage: f64,
    band_m: f64,
) -> PyResult<Bound<'py, PyTuple>> {
    let (g, [dh, dem]) = rasters_on_grid([("dhdt", dhdt), ("dem", dem)], Some(transform), crs)?;
    let lab = raster("labels", labels_2d("labels", labels)?, &g)?;
    let st = bool_2d("stable", stable)?;
    check_shape("stable", st.dim(), g.shape())?;
    let fill = match fill.to_ascii_lowercase().as_str() {
        "gp" => geodetic_mb::FillMethod::default(),
        "hypsometric" => geodetic_mb::FillMethod::Hypsometric {
            band_m,
            statistic: geodetic_mb::BandStatistic::default(),
        },
        other => {
            return Err(BindError::arg(
                "fill",
                format!("unknown fill method {other:?}; use \"gp\" or \"hypsometric\""),
            )
            .into())
        }
    };
    let infos: Vec<geodetic_mb::GlacierInfo> = glaciers
        .into_iter()
        .map(|(label, id)| geodetic_mb::GlacierInfo {
            label,
            id,
            ..Default::default()
        })
        .collect();
    let params = geodetic_mb::GlacierParams::new()
        .min_area_km2(min_area_km2)
        .min_coverage(min_coverage)
        .fill(fill);
    let prod = compute(py, move || {
        let sa = terrain::slope_aspect(&dem, terrain::GradientMethod::Horn)?;
        let em = geodetic_mb::ErrorModel::fit(
            &dh,
            &sa.slope,
            st.view(),
            &geodetic_mb::ErrorModelParams::new(),
        )?;
        let inputs = geodetic_mb::GlacierInputs {
            dhdt: &dh,
            dem: &dem,
            slope_deg: &sa.slope,
            aspect_deg: &sa.aspect,
            labels: &lab,
            glaciers: &infos,
            error_model: &em,
        };
        Ok::<_, Failure>(geodetic_mb::process_glaciers(&inputs, &params)?)
    })?;
    let rows = PyList::empty(py);
    for r in &prod.glaciers {
        let d = py_dict!(py;
            "label" => r.info.label,
            "id" => &r.info.id,
            "status" => r.status.code(),
            "n_pixels" => r.n_pixels,
            "n_measured" => r.n_measured,
            "n_filled" => r.n_filled,
            "area_m2" => r.area_m2,
            "coverage" => r.coverage,
            "mean_dhdt_m_yr" => r.mean_dhdt_m_yr,
            "sigma_dhdt_m_yr" => r.sigma_dhdt_m_yr,
            "b_mwe_yr" => r.b_mwe_yr,
            "sigma_b_mwe_yr" => r.sigma_b_mwe_yr,
            "n_eff" => r.n_eff,
        );
        rows.append(d)?;
    }
    let filled = arr(py, prod.filled.data);
    let sigma = arr(py, prod.sigma.data);
    PyTuple::new(py, [filled.into_any(), sigma.into_any(), rows.into_any()])
}

/// The canonical string cryosar uses for a CRS given as a string or an
/// object (``"EPSG:<code>"``, PROJ.4 or WKT); raises ``InputError`` for
/// text it cannot read.
#[pyfunction]
fn normalize_crs(crs: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let t = crs_text(Some(crs))?;
    match t {
        None => Ok(None),
        Some(s) => Ok(geo::crs_to_string(&geo::parse_crs(&s)?)),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(read_geotiff, m)?)?;
    m.add_function(wrap_pyfunction!(read_geotiff_info, m)?)?;
    m.add_function(wrap_pyfunction!(write_geotiff, m)?)?;
    m.add_function(wrap_pyfunction!(slope_aspect, m)?)?;
    m.add_function(wrap_pyfunction!(local_incidence_angle, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian_highpass, m)?)?;
    m.add_function(wrap_pyfunction!(form_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(track, m)?)?;
    m.add_function(wrap_pyfunction!(velocity_tile_plan, m)?)?;
    m.add_function(wrap_pyfunction!(empirical_variogram, m)?)?;
    m.add_function(wrap_pyfunction!(fit_variogram, m)?)?;
    m.add_function(wrap_pyfunction!(variogram_gamma, m)?)?;
    m.add_function(wrap_pyfunction!(propagate_mean_error, m)?)?;
    m.add_function(wrap_pyfunction!(propagate_mean_error_grid, m)?)?;
    m.add_function(wrap_pyfunction!(n_eff, m)?)?;
    m.add_function(wrap_pyfunction!(fill_glacier, m)?)?;
    m.add_function(wrap_pyfunction!(wet_snow_map, m)?)?;
    m.add_function(wrap_pyfunction!(unwrap_phase, m)?)?;
    m.add_function(wrap_pyfunction!(glacier_mass_balance, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_crs, m)?)?;
    Ok(())
}
