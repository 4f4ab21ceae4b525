//! Reference results of the Rust libraries, computed directly (no binding
//! code) for the Python tests to compare the bindings with.
//!
//! Every scene is built from a counter-based generator ([`unif`]: SplitMix64
//! of `seed·2³² + index`, top 53 bits → `[0, 1)`) and `+ − × /` only, so
//! `tests/test_rust_reference.py` rebuilds bit-identical inputs with NumPy,
//! runs them through the bound functions and compares the results with
//! [`compute`] (exposed to Python as `cryosar._cryosar._rust_reference()`,
//! a JSON string). Computed live, the reference follows every change of the
//! libraries.

use crate::geo;
use ndarray::Array2;
use rand::SeedableRng;
use sar_core::{terrain, Grid, Raster};
use serde_json::{json, Map, Value};

/// The error of a reference computation (any library error).
pub type RefError = Box<dyn std::error::Error + Send + Sync>;
type R<T> = Result<T, RefError>;

const UTM: &str = "EPSG:32643";

/// `rows × cols` uniform numbers in `[0, 1)` (row-major).
pub fn unif(seed: u64, rows: usize, cols: usize) -> Array2<f64> {
    let mut i = 0u64;
    Array2::from_shape_simple_fn((rows, cols), || {
        let mut z = (seed << 32)
            .wrapping_add(i)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        i += 1;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    })
}

fn north_up(x0: f64, y0: f64, dx: f64, dy: f64) -> [f64; 6] {
    [dx, 0.0, x0, 0.0, -dy, y0]
}

fn grid(rows: usize, cols: usize, t: Option<[f64; 6]>, crs: Option<&str>) -> R<Grid> {
    Ok(geo::grid_from(rows, cols, t.as_ref().map(|a| &a[..]), crs)?)
}

fn flat(a: &Array2<f64>) -> Value {
    json!(a.iter().copied().collect::<Vec<f64>>())
}

/// The terrain scene: a tilted plane with noise, 24 × 30, 30 m UTM pixels.
fn terrain_scene(out: &mut Map<String, Value>) -> R<()> {
    let u = unif(1, 24, 30);
    let dem = Array2::from_shape_fn((24, 30), |(r, c)| {
        3000.0 + 8.0 * r as f64 + 3.0 * c as f64 + 20.0 * u[[r, c]]
    });
    let g = grid(
        24,
        30,
        Some(north_up(500_000.0, 4_000_000.0, 30.0, 30.0)),
        Some(UTM),
    )?;
    let dem = Raster::new(dem, g)?;
    let sa = terrain::slope_aspect(&dem, terrain::GradientMethod::Horn)?;
    let px = Grid::pixel(24, 30);
    let s = Raster::new(sa.slope.data.clone(), px.clone())?;
    let a = Raster::new(sa.aspect.data.clone(), px)?;
    let lia = terrain::local_incidence_angle(
        &s,
        &a,
        &terrain::Incidence::Constant(39.0),
        -168.0,
        terrain::LookDirection::Right,
    )?;
    out.insert("slope".into(), flat(&sa.slope.data));
    out.insert("aspect".into(), flat(&sa.aspect.data));
    out.insert("lia".into(), flat(&lia.data));
    Ok(())
}

fn highpass_scene(out: &mut Map<String, Value>) -> R<()> {
    let mut img = unif(2, 24, 30);
    img[[5, 6]] = f64::NAN;
    let hp = ncc_stack::preprocess::gaussian_highpass(img.view(), 11, 3.0)?;
    out.insert("highpass".into(), flat(&hp));
    Ok(())
}

/// Three images of one noise texture, each moved by (+1 row, −1 col).
fn track_scene(out: &mut Map<String, Value>) -> R<()> {
    let base = unif(3, 80, 80);
    let imgs: Vec<Array2<f64>> = (0..3)
        .map(|k| {
            base.slice(ndarray::s![4 - k..76 - k, 4 + k..76 + k])
                .to_owned()
        })
        .collect();
    let views: Vec<_> = imgs.iter().map(|a| a.view()).collect();
    let g = grid(
        72,
        72,
        Some(north_up(600_000.0, 4_200_000.0, 10.0, 10.0)),
        Some(UTM),
    )?;
    let set = ncc_stack::PairSet {
        pairs: vec![
            ncc_stack::Pair {
                primary: 0,
                secondary: 1,
            },
            ncc_stack::Pair {
                primary: 1,
                secondary: 2,
            },
        ],
        interval_days: 12.0,
    };
    let p = ncc_stack::TrackParams::new()
        .template_px(16)
        .step_px(8)
        .search(ncc_stack::SearchRadius::Pixels(4));
    let v = ncc_stack::track(&views, &g, &set, &p, None)?;
    out.insert("offset_x_px".into(), flat(&v.offset_x_px.data));
    out.insert("offset_y_px".into(), flat(&v.offset_y_px.data));
    out.insert("snr_db".into(), flat(&v.snr_db.data));
    out.insert("peak".into(), flat(&v.peak.data));
    Ok(())
}

/// One elliptical glacier with a void, dh/dt linear in elevation + noise.
fn fill_scene(out: &mut Map<String, Value>) -> R<()> {
    let (u1, u2) = (unif(4, 30, 30), unif(5, 30, 30));
    let dem = Array2::from_shape_fn((30, 30), |(r, c)| {
        3000.0 + 10.0 * r as f64 + 4.0 * c as f64 + 5.0 * u1[[r, c]]
    });
    let mut dh = Array2::from_shape_fn((30, 30), |(r, c)| {
        -1.0 + 0.003 * (dem[[r, c]] - 3000.0) + 0.05 * (u2[[r, c]] - 0.5)
    });
    let mask = Array2::from_shape_fn((30, 30), |(r, c)| {
        let (a, b) = ((r as f64 - 15.0) / 12.0, (c as f64 - 15.0) / 11.0);
        u8::from(a * a + b * b <= 1.0)
    });
    for ((r, c), v) in dh.indexed_iter_mut() {
        let (a, b) = (r as f64 - 13.0, c as f64 - 16.0);
        if a * a + b * b < 20.0 {
            *v = f64::NAN;
        }
    }
    let g = grid(
        30,
        30,
        Some(north_up(350_000.0, 3_950_000.0, 30.0, 30.0)),
        Some(UTM),
    )?;
    let p = gp_voidfill::GpVoidFill::new().seed(4).max_iterations(40);
    let f = gp_voidfill::fill_glacier(
        &p,
        &Raster::new(dh, g.clone())?,
        &Raster::new(dem, g.clone())?,
        &Raster::new(mask, g)?,
    )?;
    let vm = f.void_mean.ok_or("the reference glacier has no void")?;
    out.insert("filled".into(), flat(&f.filled.data));
    out.insert("void_mean".into(), json!(vm.mean));
    out.insert("void_std_error".into(), json!(vm.std_error));
    out.insert("n_void".into(), json!(f.n_void));
    Ok(())
}

fn uncertainty_scene(out: &mut Map<String, Value>) -> R<()> {
    let v = unif(6, 40, 36);
    let p = uncertainty::VariogramParams::default()
        .estimator(uncertainty::Estimator::Matheron)
        .pairs_per_bin(2000)
        .seed(1);
    let emp = uncertainty::sample_empirical_variogram(v.view(), (30.0, 30.0), None, &p)?;
    out.insert("gamma".into(), json!(emp.gamma));
    out.insert("count".into(), json!(emp.count));
    let model = uncertainty::VariogramModel::new(vec![uncertainty::VariogramComponent::new(
        uncertainty::ModelKind::Spherical,
        300.0,
        1.0,
    )])?;
    let coords: Vec<[f64; 2]> = (0..150)
        .map(|i| [30.0 * (i % 15) as f64, 30.0 * (i / 15) as f64])
        .collect();
    let sigma: Vec<f64> = v.iter().take(150).map(|x| 1.0 + x).collect();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    let me = uncertainty::propagate_mean_error(
        &coords,
        &sigma,
        &model,
        uncertainty::Propagation::Exact,
        &mut rng,
    )?;
    out.insert("mean_error".into(), json!(me.standard_error));
    out.insert("mean_error_n_eff".into(), json!(me.n_eff));
    Ok(())
}

/// A wrapped linear ramp with coherence, 30 × 34.
fn unwrap_scene(out: &mut Map<String, Value>) -> R<()> {
    let u = unif(7, 30, 34);
    let two_pi = 2.0 * std::f64::consts::PI;
    let wrapped = Array2::from_shape_fn((30, 34), |(r, c)| {
        let t = 0.35 * r as f64 + 0.2 * c as f64;
        t - two_pi * (t / two_pi + 0.5).floor()
    });
    let coh = u.mapv(|x| 0.5 + 0.4 * x);
    let un = phase_unwrap::unwrap(
        &wrapped,
        Some(&coh),
        None,
        &phase_unwrap::UnwrapParams::default(),
    )?;
    out.insert("unwrapped".into(), flat(&un.phase));
    out.insert("total_cost".into(), json!(un.total_cost));
    out.insert("residues".into(), json!(un.residues));
    Ok(())
}

/// Two glaciers on a tilted plane, stable ground around them, 60 × 60.
fn mass_balance_scene(out: &mut Map<String, Value>) -> R<()> {
    let (u1, u2) = (unif(8, 60, 60), unif(9, 60, 60));
    let dem = Array2::from_shape_fn((60, 60), |(r, c)| {
        3000.0 + 12.0 * r as f64 + 5.0 * c as f64 + 10.0 * u1[[r, c]]
    });
    let labels = Array2::from_shape_fn((60, 60), |(r, c)| {
        let (a, b) = ((r as f64 - 20.0) / 12.0, (c as f64 - 20.0) / 12.0);
        let (d, e) = ((r as f64 - 42.0) / 10.0, (c as f64 - 40.0) / 14.0);
        if a * a + b * b <= 1.0 {
            1u32
        } else if d * d + e * e <= 1.0 {
            2
        } else {
            0
        }
    });
    let mut dh = Array2::from_shape_fn((60, 60), |(r, c)| {
        let signal = if labels[[r, c]] > 0 {
            -1.0 + 0.002 * (dem[[r, c]] - 3000.0)
        } else {
            0.0
        };
        signal + 0.3 * (u2[[r, c]] - 0.5)
    });
    for ((r, c), v) in dh.indexed_iter_mut() {
        let (a, b) = (r as f64 - 22.0, c as f64 - 18.0);
        if a * a + b * b < 16.0 {
            *v = f64::NAN;
        }
    }
    let stable = labels.mapv(|l| l == 0);
    let g = grid(
        60,
        60,
        Some(north_up(350_000.0, 3_950_000.0, 30.0, 30.0)),
        Some(UTM),
    )?;
    let dh = Raster::new(dh, g.clone())?;
    let dem = Raster::new(dem, g.clone())?;
    let labels = Raster::new(labels, g)?;
    let sa = terrain::slope_aspect(&dem, terrain::GradientMethod::Horn)?;
    let em = geodetic_mb::ErrorModel::fit(
        &dh,
        &sa.slope,
        stable.view(),
        &geodetic_mb::ErrorModelParams::new(),
    )?;
    let infos: Vec<_> = [(1u32, "A"), (2, "B")]
        .into_iter()
        .map(|(label, id)| geodetic_mb::GlacierInfo {
            label,
            id: id.into(),
            ..Default::default()
        })
        .collect();
    let inputs = geodetic_mb::GlacierInputs {
        dhdt: &dh,
        dem: &dem,
        slope_deg: &sa.slope,
        aspect_deg: &sa.aspect,
        labels: &labels,
        glaciers: &infos,
        error_model: &em,
    };
    let params = geodetic_mb::GlacierParams::new().min_area_km2(0.1).fill(
        geodetic_mb::FillMethod::Hypsometric {
            band_m: 50.0,
            statistic: geodetic_mb::BandStatistic::default(),
        },
    );
    let prod = geodetic_mb::process_glaciers(&inputs, &params)?;
    out.insert("mb_filled".into(), flat(&prod.filled.data));
    out.insert("mb_sigma".into(), flat(&prod.sigma.data));
    let rows: Vec<Value> = prod
        .glaciers
        .iter()
        .map(|r| {
            json!([
                r.status.code(),
                r.mean_dhdt_m_yr,
                r.sigma_dhdt_m_yr,
                r.b_mwe_yr,
                r.sigma_b_mwe_yr,
                r.n_eff
            ])
        })
        .collect();
    out.insert("mb_rows".into(), json!(rows));
    Ok(())
}

/// Wet snow (low backscatter ratio) on the left half of a slope, 40 × 40.
fn wet_snow_scene(out: &mut Map<String, Value>) -> R<()> {
    let u = unif(10, 40, 40);
    let rc = Array2::from_shape_fn((40, 40), |(r, c)| {
        if c < 20 {
            -4.0 + 1.0 * u[[r, c]]
        } else {
            0.5 * u[[r, c]] - 0.25
        }
    });
    let dem = Array2::from_shape_fn((40, 40), |(r, c)| 2000.0 + 20.0 * r as f64 + 5.0 * c as f64);
    let sa = terrain::slope_aspect(
        &Raster::new(dem.clone(), grid(40, 40, None, None)?)?,
        terrain::GradientMethod::Horn,
    )?;
    let px = Grid::pixel(40, 40);
    let r = |a: Array2<f64>| Raster::new(a, px.clone());
    let (rc, dem, sl, asp) = (r(rc)?, r(dem)?, r(sa.slope.data)?, r(sa.aspect.data)?);
    use snowmelt::{classify, gmm, tsi, wsi};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    let n_samples = 1_000_000;
    let gp = gmm::GmmParams::new().n_samples(n_samples);
    let sample = gmm::sample_pixels(&[&rc], n_samples, &mut rng);
    let mixture = gmm::fit_gmm(&sample, &gp)?;
    let index = wsi::Wsi::from_gmm(&mixture, &wsi::WsiParams::new())?;
    let bins = tsi::TopoBins::new(&tsi::TopoBinParams::new(), &dem, &sl, &asp)?;
    let map = classify::classify_si(&rc, &index, &bins, &classify::SiParams::new())?;
    out.insert(
        "wet_mask".into(),
        json!(map.mask.data.iter().copied().collect::<Vec<u8>>()),
    );
    out.insert("wet_si".into(), flat(&map.si.data));
    out.insert("wet_threshold".into(), json!(map.threshold));
    out.insert("wet_gmm_means_db".into(), json!(mixture.means.to_vec()));
    Ok(())
}

/// A small synthetic bistatic pair and the iterative DEM generation.
fn insar_scene(out: &mut Map<String, Value>) -> R<()> {
    let sp = insar_dem::synthetic::SceneParams {
        lines: 48,
        samples: 44,
        ..Default::default()
    };
    let pair = insar_dem::synthetic::bistatic_pair(3, &sp)?;
    let d = insar_dem::processing::generate_dem(
        &pair.geometry,
        pair.active_slc.view(),
        pair.passive_slc.view(),
        &pair.reference,
        &insar_dem::processing::DemParams::default(),
        &|_, _| {},
    )?;
    let last = d.dh.last().ok_or("no DEM iteration")?;
    out.insert("insar_dem".into(), flat(&d.dem.data));
    out.insert("insar_dh_last".into(), flat(&last.data));
    out.insert(
        "insar_rms_dh_m".into(),
        json!(d.stats.iter().map(|s| s.rms_dh_m).collect::<Vec<_>>()),
    );
    out.insert(
        "insar_mask".into(),
        json!(d.mask.data.iter().copied().collect::<Vec<u8>>()),
    );
    let ha = pair.geometry.height_of_ambiguity(24.0, 22.0, 3000.0)?;
    out.insert("insar_height_of_ambiguity".into(), json!(ha));
    Ok(())
}

/// Runs every scene and returns its results by name (NaN as JSON `null`).
pub fn compute() -> R<Map<String, Value>> {
    let mut out = Map::new();
    terrain_scene(&mut out)?;
    highpass_scene(&mut out)?;
    track_scene(&mut out)?;
    fill_scene(&mut out)?;
    uncertainty_scene(&mut out)?;
    unwrap_scene(&mut out)?;
    mass_balance_scene(&mut out)?;
    wet_snow_scene(&mut out)?;
    insar_scene(&mut out)?;
    Ok(out)
}
