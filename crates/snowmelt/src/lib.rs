//! # snowmelt
//!
//! Wet-snow maps from Sentinel-1 dual-polarisation backscatter and a DEM,
//! following chapter 3 of the thesis (`../shared/seeds/004_*.txt`), plus the
//! optical reference maps and time-series products used to validate and
//! exploit them.
//!
//! ## Method
//!
//! 1. [`reference`](mod@reference) — the winter reference γ⁰_ref per orbit: mean in linear
//!    power (or median) of the winter acquisitions of several years.
//! 2. [`ratio`] — composite backscatter ratio (eqs. 3.1–3.3)
//!    $R_c = W\,R_{VH} + (1-W)\,R_{VV}$ with $R_i = 10\log_{10}(\gamma^0_i/\gamma^0_{i,ref})$ dB
//!    and a weight of the local incidence angle θ (continuous Nagler et al.
//!    2016 form by default, printed eq. 3.3 as an option); layover, shadow,
//!    no-data and optional forest/water masks.
//! 3. [`gmm`] — a two-component Gaussian mixture (eq. 3.4) fitted by EM to a
//!    seeded random sample of summer R_c (10⁶ pixels, ≤ 100 iterations,
//!    tolerance 10⁻³), the same algorithm as scikit-learn's `GaussianMixture`.
//! 4. [`wsi`] — wet snow index $\mathrm{WSI} = L/(1+e^{k(x-x_0)})$ (eq. 3.5),
//!    $k = |\mu_1-\mu_2|/(\sigma_1+\sigma_2)$ with standard deviations,
//!    $x_0 = (\mu_1+\mu_2)/2$, $L = 10$.
//! 5. [`tsi`] — topographic snow index: the median WSI of each terrain bin
//!    (100 m elevation × slope < 20°/≥ 20° × 15° aspect), sect. 3.3.3.
//! 6. [`classify`] — SI = WSI · TSI, wet snow where SI > 3.5 · WSI(R_c = −2 dB)
//!    (eq. 3.6); the −2 dB threshold on R_c as baseline, with an optional
//!    majority filter.
//! 7. [`optical`] — Let-It-Snow-style Sentinel-2 snow maps (sect. 3.3.5, eq. 3.7).
//! 8. [`validation`] — confusion matrix per reference class, precision,
//!    recall, F1 (Table 3.3) and snow-fraction profiles per elevation band (Fig. 3.8).
//! 9. [`timeseries`] — wet-snow extent per elevation band and date (Fig. 3.9),
//!    snow melting duration (M/N)·365 per pixel and year and its classes
//!    (Figs. 3.10–3.11).
//!
//! [`synthetic`] builds a synthetic basin with known truth (DEM, wet-snow
//! mask, speckled backscatter with outliers, Sentinel-2-like reflectances)
//! for tests, demos and benches.
//!
//! ## Example
//!
//! ```
//! use rand::SeedableRng;
//! use snowmelt::{classify, gmm, synthetic, tsi, wsi, validation};
//!
//! let basin = synthetic::Basin::generate(&synthetic::BasinParams::new().size(96, 96), 7)?;
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
//! let sample = gmm::sample_pixels(&[&basin.rc_db], 1_000_000, &mut rng);
//! let mixture = gmm::fit_gmm(&sample, &gmm::GmmParams::new())?;
//! let index = wsi::Wsi::from_gmm(&mixture, &wsi::WsiParams::new())?;
//! let bins = tsi::TopoBins::new(&tsi::TopoBinParams::new(), &basin.dem, &basin.slope, &basin.aspect)?;
//! let map = classify::classify_si(&basin.rc_db, &index, &bins, &classify::SiParams::new())?;
//! let score = validation::compare(&map.mask, &basin.truth, None, &validation::ValidationParams::new())?;
//! assert!(score.f1 > 0.8);
//! # Ok::<(), snowmelt::SnowError>(())
//! ```
//!
//! ## References
//!
//! * Nagler, T., Rott, H., Ripper, E., Bippus, G., Hetzenecker, M. (2016):
//!   Advancements for snowmelt monitoring by means of Sentinel-1 SAR.
//!   *Remote Sensing* 8(4), 348.
//! * Gascoin, S., Grizonnet, M., Bouchet, M., Salgues, G., Hagolle, O. (2019):
//!   Theia Snow collection: high-resolution operational snow cover maps from
//!   Sentinel-2 and Landsat-8 data. *Earth Syst. Sci. Data* 11, 493–514.
//! * Pedregosa, F. et al. (2011): Scikit-learn: machine learning in Python.
//!   *JMLR* 12, 2825–2830 (`GaussianMixture`).
#![doc(test(attr(deny(warnings))))]

pub mod classify;
pub mod error;
pub mod gmm;
pub mod optical;
pub mod ratio;
pub mod reference;
pub mod synthetic;
pub mod timeseries;
pub mod tsi;
pub mod validation;
pub mod wsi;

pub use error::{Result, SnowError};
pub use sar_core::Date;

use ndarray::{Array2, ArrayViewMut1, Axis};
use sar_core::Raster;

/// Apply `f` to each row `(index, view)` of `data`, in parallel with `rayon`.
pub(crate) fn for_each_row<T, F>(data: &mut Array2<T>, f: F)
where
    T: Send + Sync,
    F: Fn(usize, ArrayViewMut1<'_, T>) + Sync + Send,
{
    #[cfg(feature = "rayon")]
    {
        use ndarray::parallel::prelude::*;
        data.axis_iter_mut(Axis(0))
            .into_par_iter()
            .enumerate()
            .for_each(|(r, row)| f(r, row));
    }
    #[cfg(not(feature = "rayon"))]
    {
        data.axis_iter_mut(Axis(0))
            .enumerate()
            .for_each(|(r, row)| f(r, row));
    }
}

/// Map every pixel of a float raster, in parallel with `rayon`.
pub(crate) fn par_map<F>(r: &Raster<f64>, f: F) -> Raster<f64>
where
    F: Fn(f64) -> f64 + Sync + Send,
{
    #[cfg(feature = "rayon")]
    let data = ndarray::Zip::from(&r.data).par_map_collect(|&v| f(v));
    #[cfg(not(feature = "rayon"))]
    let data = r.data.mapv(&f);
    Raster {
        data,
        grid: r.grid.clone(),
        nodata: r.nodata,
    }
}
