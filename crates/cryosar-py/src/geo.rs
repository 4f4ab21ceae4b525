//! Georeferencing as Python users hold it: a rasterio/affine 6-tuple
//! transform and a CRS string, converted to and from sar-core's
//! [`GeoTransform`] (GDAL order) and [`Crs`].

use crate::error::{BindError, Result};
use sar_core::{Crs, GeoTransform, Grid};

/// Converts an affine transform `(a, b, c, d, e, f)` — rasterio's
/// `ds.transform`, where `x = a·col + b·row + c` and `y = d·col + e·row + f`
/// in map units — into GDAL's geotransform `[c, a, b, f, d, e]`.
///
/// A 9-element `affine.Affine` (`a, b, c, d, e, f, 0, 0, 1`) is accepted
/// too; its last row must be `(0, 0, 1)`.
///
/// # Errors
/// [`BindError::Transform`] for another length, a non-finite coefficient,
/// a last row other than `(0, 0, 1)` or a singular (zero-determinant)
/// transform.
///
/// ```
/// use cryosar_py::geo::affine_to_geotransform;
/// // 30 m north-up pixels with the upper-left corner at (500 000, 4 000 000)
/// let gt = affine_to_geotransform(&[30.0, 0.0, 500_000.0, 0.0, -30.0, 4_000_000.0])?;
/// assert_eq!(gt.0, [500_000.0, 30.0, 0.0, 4_000_000.0, 0.0, -30.0]);
/// # Ok::<(), cryosar_py::BindError>(())
/// ```
pub fn affine_to_geotransform(t: &[f64]) -> Result<GeoTransform> {
    let six: [f64; 6] = match t.len() {
        6 => [t[0], t[1], t[2], t[3], t[4], t[5]],
        9 => {
            if t[6] != 0.0 || t[7] != 0.0 || t[8] != 1.0 {
                return Err(BindError::Transform(format!(
                    "the last row of a 9-element affine transform must be (0, 0, 1), got ({}, {}, {})",
                    t[6], t[7], t[8]
                )));
            }
            [t[0], t[1], t[2], t[3], t[4], t[5]]
        }
        n => {
            return Err(BindError::Transform(format!(
                "expected 6 numbers (a, b, c, d, e, f) as in rasterio's ds.transform, got {n}"
            )))
        }
    };
    if let Some(v) = six.iter().find(|v| !v.is_finite()) {
        return Err(BindError::Transform(format!(
            "every coefficient must be finite, got {v} in {six:?}"
        )));
    }
    let [a, b, c, d, e, f] = six;
    if a * e - b * d == 0.0 {
        return Err(BindError::Transform(format!(
            "singular transform {six:?}: the pixel size must not be zero"
        )));
    }
    Ok(GeoTransform([c, a, b, f, d, e]))
}

/// Converts GDAL's geotransform `[c, a, b, f, d, e]` back into the affine
/// order `(a, b, c, d, e, f)` that `affine.Affine(*t)` and rasterio accept.
pub fn geotransform_to_affine(gt: &GeoTransform) -> [f64; 6] {
    let [c, a, b, f, d, e] = gt.0;
    [a, b, c, d, e, f]
}

/// Parses a CRS string: `"EPSG:32643"` (any case, also a bare `"32643"`),
/// a PROJ.4 definition (`"+proj=utm +zone=43 …"`) or WKT (`PROJCS[…`,
/// `GEOGCS[…`, WKT2 `PROJCRS[…`/`GEOGCRS[…`). An empty string is an
/// unknown CRS. rasterio's `str(ds.crs)` gives one of these forms.
///
/// WKT is kept as text (geographic if it starts with `GEOGCS`/`GEOGCRS`/
/// `GEODCRS`); reprojection needs an EPSG code or a PROJ.4 definition.
///
/// # Errors
/// [`BindError::Crs`] for text that is none of these forms.
///
/// ```
/// use cryosar_py::geo::parse_crs;
/// assert_eq!(parse_crs("epsg:4326")?.epsg, Some(4326));
/// assert!(parse_crs("EPSG:4326")?.geographic);
/// assert!(!parse_crs("+proj=utm +zone=43 +datum=WGS84")?.geographic);
/// # Ok::<(), cryosar_py::BindError>(())
/// ```
pub fn parse_crs(s: &str) -> Result<Crs> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(Crs::unknown());
    }
    let upper = t.to_ascii_uppercase();
    let code = upper.strip_prefix("EPSG:").unwrap_or(&upper);
    if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) {
        return code
            .parse::<u32>()
            .map(Crs::epsg)
            .map_err(|e| BindError::Crs(format!("EPSG code in {t:?}: {e}")));
    }
    if t.starts_with('+') {
        return Ok(Crs::proj4(t));
    }
    const WKT_ROOTS: [&str; 8] = [
        "PROJCS[",
        "GEOGCS[",
        "GEOCCS[",
        "COMPD_CM[",
        "PROJCRS[",
        "GEOGCRS[",
        "GEODCRS[",
        "COMPOUNDCRS[",
    ];
    if WKT_ROOTS.iter().any(|r| upper.starts_with(r)) {
        let geographic = ["GEOGCS[", "GEOGCRS[", "GEODCRS["]
            .iter()
            .any(|r| upper.starts_with(r));
        return Ok(Crs {
            epsg: None,
            wkt: Some(t.to_string()),
            proj4: None,
            geographic,
        });
    }
    Err(BindError::Crs(format!(
        "cannot read CRS {t:?}: give \"EPSG:<code>\", a PROJ.4 string starting with '+' or WKT"
    )))
}

/// The CRS as one string, the inverse of [`parse_crs`]: `"EPSG:<code>"` if
/// the code is known, else the PROJ.4 definition, else the WKT; `None` for
/// an unknown CRS.
pub fn crs_to_string(crs: &Crs) -> Option<String> {
    if let Some(c) = crs.epsg {
        Some(format!("EPSG:{c}"))
    } else if let Some(p) = &crs.proj4 {
        Some(p.clone())
    } else {
        crs.wkt.clone()
    }
}

/// A grid of `rows × cols` pixels from an optional affine transform and an
/// optional CRS string; without a transform the grid has pixel coordinates
/// only (identity transform, 1 × 1 pixels, unknown CRS unless given).
///
/// # Errors
/// As [`affine_to_geotransform`] and [`parse_crs`].
pub fn grid_from(
    rows: usize,
    cols: usize,
    transform: Option<&[f64]>,
    crs: Option<&str>,
) -> Result<Grid> {
    let transform = match transform {
        Some(t) => affine_to_geotransform(t)?,
        None => GeoTransform::default(),
    };
    let crs = match crs {
        Some(c) => parse_crs(c)?,
        None => Crs::unknown(),
    };
    Ok(Grid::new(rows, cols, transform, crs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affine_round_trip_and_meaning() {
        // rotated transform: every coefficient distinct
        let aff = [2.0, 0.5, 100.0, -0.25, -3.0, 900.0];
        let gt = affine_to_geotransform(&aff).unwrap();
        assert_eq!(geotransform_to_affine(&gt), aff);
        // pixel (col 3, row 7) maps as x = a·col + b·row + c, y = d·col + e·row + f
        let (x, y) = gt.apply(3.0, 7.0);
        assert_eq!(x, 2.0 * 3.0 + 0.5 * 7.0 + 100.0);
        assert_eq!(y, -0.25 * 3.0 - 3.0 * 7.0 + 900.0);
        let nine = [2.0, 0.5, 100.0, -0.25, -3.0, 900.0, 0.0, 0.0, 1.0];
        assert_eq!(affine_to_geotransform(&nine).unwrap(), gt);
    }

    #[test]
    fn bad_transforms_are_errors() {
        for bad in [
            &[1.0, 0.0, 0.0, 0.0, -1.0][..],
            &[1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 1.0, 1.0],
            &[0.0, 0.0, 5.0, 0.0, 0.0, 5.0],
            &[f64::NAN, 0.0, 5.0, 0.0, -1.0, 5.0],
        ] {
            assert!(matches!(
                affine_to_geotransform(bad),
                Err(BindError::Transform(_))
            ));
        }
    }

    #[test]
    fn crs_forms() {
        assert_eq!(parse_crs("EPSG:32643").unwrap(), Crs::epsg(32643));
        assert_eq!(parse_crs(" 2056 ").unwrap(), Crs::epsg(2056));
        assert!(parse_crs("").unwrap().is_unknown());
        let p = parse_crs("+proj=longlat +datum=WGS84 +no_defs").unwrap();
        assert!(p.geographic);
        assert_eq!(
            crs_to_string(&p).unwrap(),
            "+proj=longlat +datum=WGS84 +no_defs"
        );
        let w = parse_crs("GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\"]]").unwrap();
        assert!(w.geographic && w.wkt.is_some());
        assert!(!parse_crs("PROJCS[\"x\"]").unwrap().geographic);
        assert_eq!(crs_to_string(&Crs::epsg(4326)).unwrap(), "EPSG:4326");
        assert_eq!(crs_to_string(&Crs::unknown()), None);
        assert!(matches!(parse_crs("UTM 43"), Err(BindError::Crs(_))));
        assert!(matches!(
            parse_crs("EPSG:99999999999"),
            Err(BindError::Crs(_))
        ));
    }

    #[test]
    fn grid_without_transform_is_pixel_grid() {
        let g = grid_from(3, 4, None, None).unwrap();
        assert_eq!(g, Grid::pixel(3, 4));
        let g = grid_from(
            3,
            4,
            Some(&[10.0, 0.0, 0.0, 0.0, -10.0, 0.0]),
            Some("EPSG:2056"),
        )
        .unwrap();
        assert_eq!(g.pixel_size_map(), (10.0, 10.0));
        assert_eq!(g.crs.epsg, Some(2056));
    }
}
