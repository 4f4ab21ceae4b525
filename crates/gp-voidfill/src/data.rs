//! Features, standardisation, the stratified split and validation metrics.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::Rng;
use sar_core::Raster;

use crate::error::{GpError, Result};

/// Names (and units) of the feature columns built by [`glacier_features`].
///
/// Aspect is a circular quantity (0° and 360° are the same direction), so it
/// enters as its sine and cosine: the pair is continuous across north and
/// its Euclidean distance is the chord between the two directions, which is
/// what a stationary kernel needs. Flat cells have no aspect; they get
/// $(0, 0)$, the centre of the circle, equally far from every direction.
pub const FEATURE_NAMES: [&str; 6] = [
    "elevation_m",
    "slope_deg",
    "aspect_sin",
    "aspect_cos",
    "x_m",
    "y_m",
];

/// Column of the elevation feature in [`FEATURE_NAMES`].
pub const COL_ELEVATION: usize = 0;
/// Column of the map x coordinate in [`FEATURE_NAMES`].
pub const COL_X: usize = 4;
/// Column of the map y coordinate in [`FEATURE_NAMES`].
pub const COL_Y: usize = 5;

/// Features of all glacier pixels of a raster.
#[derive(Debug, Clone, PartialEq)]
pub struct GlacierFeatures {
    /// One row per glacier pixel, columns as in [`FEATURE_NAMES`].
    pub features: Array2<f64>,
    /// (row, col) of each feature row in the raster.
    pub pixels: Vec<(usize, usize)>,
    /// Glacier pixels skipped because elevation or slope was missing.
    pub skipped: usize,
}

/// Builds the features $(h, \alpha, \sin\theta, \cos\theta, x, y)$ of every
/// glacier pixel (`mask != 0`) from the reference DEM (m), slope (degrees)
/// and aspect (degrees clockwise from north; NaN for flat cells).
///
/// Pixels whose elevation or slope is NaN are skipped and counted.
///
/// # Errors
/// [`GpError::Sar`] when the rasters do not share one grid.
pub fn glacier_features(
    dem: &Raster<f64>,
    slope_deg: &Raster<f64>,
    aspect_deg: &Raster<f64>,
    mask: &Raster<u8>,
) -> Result<GlacierFeatures> {
    dem.ensure_same_grid(slope_deg)?;
    dem.ensure_same_grid(aspect_deg)?;
    dem.ensure_same_grid(mask)?;
    let (rows, cols) = dem.shape();
    let mut feats = Vec::new();
    let mut pixels = Vec::new();
    let mut skipped = 0;
    for r in 0..rows {
        for c in 0..cols {
            if mask.data[[r, c]] == 0 {
                continue;
            }
            let h = dem.data[[r, c]];
            let s = slope_deg.data[[r, c]];
            if !h.is_finite() || !s.is_finite() {
                skipped += 1;
                continue;
            }
            let a = aspect_deg.data[[r, c]];
            let (sa, ca) = if a.is_finite() {
                let t = a.to_radians();
                (t.sin(), t.cos())
            } else {
                (0.0, 0.0)
            };
            let (x, y) = dem.grid.pixel_center(r, c);
            feats.extend_from_slice(&[h, s, sa, ca, x, y]);
            pixels.push((r, c));
        }
    }
    let n = pixels.len();
    let features = Array2::from_shape_vec((n, FEATURE_NAMES.len()), feats)
        .map_err(|e| GpError::Shape(e.to_string()))?;
    Ok(GlacierFeatures {
        features,
        pixels,
        skipped,
    })
}

/// Per-column affine standardisation $z = (v - \mu)/s$.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column standard deviations (1 for constant columns).
    pub std: Vec<f64>,
}

impl Standardizer {
    /// Fits means and standard deviations (population, ddof = 0) per column;
    /// constant columns get a scale of 1 so they standardise to 0.
    pub fn fit(x: ArrayView2<'_, f64>) -> Self {
        let n = x.nrows().max(1) as f64;
        let mean: Vec<f64> = x.axis_iter(Axis(1)).map(|c| c.sum() / n).collect();
        let std = x
            .axis_iter(Axis(1))
            .zip(&mean)
            .map(|(c, m)| {
                let v = c.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
                let s = v.sqrt();
                if s > 1e-12 * m.abs().max(1.0) {
                    s
                } else {
                    1.0
                }
            })
            .collect();
        Self { mean, std }
    }

    /// Standardises the rows of `x`.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut z = x.to_owned();
        for mut row in z.axis_iter_mut(Axis(0)) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
        z
    }
}

/// Target standardisation (scalar version of [`Standardizer`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetScaler {
    /// Target mean (target units).
    pub mean: f64,
    /// Target standard deviation (target units).
    pub std: f64,
}

impl TargetScaler {
    /// Standardises `y`.
    pub fn transform(&self, y: ArrayView1<'_, f64>) -> Array1<f64> {
        y.mapv(|v| (v - self.mean) / self.std)
    }
    /// Back to target units.
    pub fn inverse(&self, z: ArrayView1<'_, f64>) -> Array1<f64> {
        z.mapv(|v| v * self.std + self.mean)
    }
}

/// How measured samples are divided into training and validation sets.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SplitStrategy {
    /// Plain uniform random split.
    Random,
    /// Stratified: strata are cells of a `blocks × blocks` grid over the
    /// bounding box of columns `x_col`, `y_col`, crossed with
    /// `elevation_bands` equal-count bands of column `elevation_col`. Within
    /// every stratum the validation share is drawn at random, so validation
    /// pixels cover the whole glacier and its whole elevation range instead of
    /// clustering where measurements are densest.
    Stratified {
        /// Column of the x coordinate.
        x_col: usize,
        /// Column of the y coordinate.
        y_col: usize,
        /// Column of the elevation.
        elevation_col: usize,
        /// Spatial blocks per axis.
        blocks: usize,
        /// Number of elevation bands.
        elevation_bands: usize,
    },
}

impl Default for SplitStrategy {
    /// Stratified on the [`FEATURE_NAMES`] layout, 4 × 4 blocks × 4 bands.
    fn default() -> Self {
        SplitStrategy::Stratified {
            x_col: COL_X,
            y_col: COL_Y,
            elevation_col: COL_ELEVATION,
            blocks: 4,
            elevation_bands: 4,
        }
    }
}

/// Indices of the training and validation samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Training rows.
    pub train: Vec<usize>,
    /// Validation rows.
    pub validation: Vec<usize>,
}

/// Splits the rows of `x` into training and validation sets: a fraction
/// `validation_fraction` of each stratum goes to validation, then each set is
/// capped (uniform random subsample) at `max_train` / `max_validation`.
pub fn split<R: Rng>(
    x: ArrayView2<'_, f64>,
    strategy: SplitStrategy,
    validation_fraction: f64,
    max_train: usize,
    max_validation: usize,
    rng: &mut R,
) -> Split {
    let n = x.nrows();
    let strata: Vec<usize> = match strategy {
        SplitStrategy::Random => vec![0; n],
        SplitStrategy::Stratified {
            x_col,
            y_col,
            elevation_col,
            blocks,
            elevation_bands,
        } => {
            let range = |c: usize| {
                x.column(c)
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                        (a.min(*v), b.max(*v))
                    })
            };
            let (x0, x1) = range(x_col);
            let (y0, y1) = range(y_col);
            let blocks = blocks.max(1);
            let bands = elevation_bands.max(1);
            // equal-count elevation band edges
            let mut h: Vec<f64> = x.column(elevation_col).to_vec();
            h.sort_by(f64::total_cmp);
            let edges: Vec<f64> = (1..bands).map(|b| h[(b * n / bands).min(n - 1)]).collect();
            let cell = |v: f64, lo: f64, hi: f64| {
                if hi > lo {
                    (((v - lo) / (hi - lo) * blocks as f64) as usize).min(blocks - 1)
                } else {
                    0
                }
            };
            x.axis_iter(Axis(0))
                .map(|r| {
                    let bx = cell(r[x_col], x0, x1);
                    let by = cell(r[y_col], y0, y1);
                    let band = edges.partition_point(|e| *e <= r[elevation_col]);
                    (by * blocks + bx) * bands + band
                })
                .collect()
        }
    };
    let n_strata = strata.iter().copied().max().map_or(0, |m| m + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_strata];
    for (i, s) in strata.iter().enumerate() {
        members[*s].push(i);
    }
    let mut train = Vec::new();
    let mut validation = Vec::new();
    for m in &mut members {
        m.shuffle(rng);
        // stochastic rounding keeps the overall fraction unbiased
        let exact = validation_fraction * m.len() as f64;
        let mut nv = exact.floor() as usize;
        if rng.gen::<f64>() < exact - exact.floor() {
            nv += 1;
        }
        validation.extend_from_slice(&m[..nv]);
        train.extend_from_slice(&m[nv..]);
    }
    train.shuffle(rng);
    validation.shuffle(rng);
    train.truncate(max_train);
    validation.truncate(max_validation);
    train.sort_unstable();
    validation.sort_unstable();
    Split { train, validation }
}

/// Validation metrics (sect. 4.4.3) in target units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Root-mean-square error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Coefficient of determination $1 - SS_{res}/SS_{tot}$.
    pub r2: f64,
    /// Number of samples.
    pub n: usize,
}

impl Metrics {
    /// Metrics of `pred` against `truth` (pairs with a NaN are skipped).
    pub fn of(pred: ArrayView1<'_, f64>, truth: ArrayView1<'_, f64>) -> Self {
        let pairs: Vec<(f64, f64)> = pred
            .iter()
            .zip(truth.iter())
            .filter(|(p, t)| p.is_finite() && t.is_finite())
            .map(|(p, t)| (*p, *t))
            .collect();
        let n = pairs.len();
        if n == 0 {
            return Self {
                rmse: f64::NAN,
                mae: f64::NAN,
                r2: f64::NAN,
                n,
            };
        }
        let nf = n as f64;
        let mean_t = pairs.iter().map(|p| p.1).sum::<f64>() / nf;
        let ss_res: f64 = pairs.iter().map(|(p, t)| (p - t) * (p - t)).sum();
        let ss_tot: f64 = pairs.iter().map(|(_, t)| (t - mean_t) * (t - mean_t)).sum();
        Self {
            rmse: (ss_res / nf).sqrt(),
            mae: pairs.iter().map(|(p, t)| (p - t).abs()).sum::<f64>() / nf,
            r2: if ss_tot > 0.0 {
                1.0 - ss_res / ss_tot
            } else {
                f64::NAN
            },
            n,
        }
    }
}

/// Rows `idx` of `x`.
pub(crate) fn select_rows(x: ArrayView2<'_, f64>, idx: &[usize]) -> Array2<f64> {
    x.select(Axis(0), idx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn metrics_closed_form() {
        let p = ndarray::arr1(&[1.0, 2.0, 4.0]);
        let t = ndarray::arr1(&[1.0, 3.0, 3.0]);
        let m = Metrics::of(p.view(), t.view());
        assert_relative_eq!(m.rmse, (2.0_f64 / 3.0).sqrt());
        assert_relative_eq!(m.mae, 2.0 / 3.0);
        // mean t = 7/3, ss_tot = 16/9+4/9+4/9 = 24/9, ss_res = 2
        assert_relative_eq!(m.r2, 1.0 - 2.0 / (24.0 / 9.0));
    }

    #[test]
    fn stratified_split_covers_every_stratum() {
        // 40 x 40 grid, elevation increasing with y
        let n = 1600;
        let x = Array2::from_shape_fn((n, 6), |(i, c)| {
            let (r, q) = ((i / 40) as f64, (i % 40) as f64);
            match c {
                0 => 3000.0 + 10.0 * r,
                4 => q * 30.0,
                5 => r * 30.0,
                _ => 0.0,
            }
        });
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let s = split(
            x.view(),
            SplitStrategy::default(),
            0.2,
            30_000,
            3_000,
            &mut rng,
        );
        assert_eq!(s.train.len() + s.validation.len(), n);
        let frac = s.validation.len() as f64 / n as f64;
        assert!((frac - 0.2).abs() < 0.02, "validation fraction {frac}");
        // each 10 x 10 block holds 20 +- 8 validation pixels
        let mut per_block = [0usize; 16];
        for &i in &s.validation {
            let (r, q) = (i / 40, i % 40);
            per_block[(r / 10) * 4 + q / 10] += 1;
        }
        assert!(
            per_block.iter().all(|&c| (12..=28).contains(&c)),
            "{per_block:?}"
        );
        // caps
        let s = split(x.view(), SplitStrategy::default(), 0.2, 500, 100, &mut rng);
        assert_eq!((s.train.len(), s.validation.len()), (500, 100));
    }
}
