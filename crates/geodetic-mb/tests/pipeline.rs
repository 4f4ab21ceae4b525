//! Analytic-truth tests of the whole chain on synthetic regions
//! (`geodetic_mb::synthetic`): co-registration recovers the known shift,
//! glacier means match the truth within their σ, σ is calibrated over seeded
//! realisations, bad inputs give statuses or typed errors.

use geodetic_mb::coreg::{stable_mask, Coregistration, FittedStep};
use geodetic_mb::dhdt::{dhdt, OutlierFilter};
use geodetic_mb::errmodel::{ErrorModel, ErrorModelParams};
use geodetic_mb::glacier::{
    process_glaciers, FillMethod, GlacierInfo, GlacierInputs, GlacierParams, GlacierResult,
    GlacierStatus,
};
use geodetic_mb::hypsometric::BandStatistic;
use geodetic_mb::regional::regional_report;
use geodetic_mb::synthetic::{region, RegionParams, SyntheticRegion};
use geodetic_mb::MbError;
use sar_core::terrain::{slope_aspect, GradientMethod};
use sar_core::Raster;
use uncertainty::{Density, VariogramParams};

struct Chain {
    dhdt: Raster<f64>,
    slope: Raster<f64>,
    aspect: Raster<f64>,
    model: ErrorModel,
    shift: Option<(f64, f64, f64)>,
}

fn run_chain(reg: &SyntheticRegion, coregister: bool) -> Chain {
    let sa = slope_aspect(&reg.reference, GradientMethod::Horn).unwrap();
    let glacier = reg.labels.data.mapv(|l| l != 0);
    let stable = stable_mask(glacier.view(), None, sa.slope.view(), 0.0, 90.0).unwrap();
    let (later, shift) = if coregister {
        let res = Coregistration::default()
            .run(&reg.reference, &reg.later, Some(stable.view()))
            .unwrap();
        let FittedStep::NuthKaab(nk) = res.steps[0] else {
            panic!("Nuth & Kääb first")
        };
        assert!(res.after.nmad_m < res.before.nmad_m);
        (res.corrected, Some((nk.dx_m, nk.dy_m, nk.dz_m)))
    } else {
        (reg.later.clone(), None)
    };
    let g = &reg.reference.grid;
    let d_e = Raster::filled(g.clone(), reg.date_earlier.days_since_epoch() as f64);
    let d_l = Raster::filled(g.clone(), reg.date_later.days_since_epoch() as f64);
    let m = dhdt(&later, &d_l, &reg.reference, &d_e).unwrap();
    let params =
        ErrorModelParams::default().variogram(VariogramParams::default().pairs_per_bin(3000));
    let model = ErrorModel::fit(&m.dhdt, &sa.slope, stable.view(), &params).unwrap();
    Chain {
        dhdt: m.dhdt,
        slope: sa.slope,
        aspect: sa.aspect,
        model,
        shift,
    }
}

impl Chain {
    /// The per-glacier inputs of `reg` with this chain's products.
    fn inputs<'a>(&'a self, reg: &'a SyntheticRegion) -> GlacierInputs<'a> {
        GlacierInputs {
            dhdt: &self.dhdt,
            dem: &reg.reference,
            slope_deg: &self.slope,
            aspect_deg: &self.aspect,
            labels: &reg.labels,
            glaciers: &reg.glaciers,
            error_model: &self.model,
        }
    }
}

/// A region without shift: `rows` × `rows` px, `layout` glaciers.
fn unshifted(seed: u64, rows: usize, layout: (usize, usize), void_fraction: f64) -> RegionParams {
    RegionParams {
        seed,
        rows,
        cols: rows,
        layout,
        void_fraction,
        shift: (0.0, 0.0, 0.0),
        ..RegionParams::default()
    }
}

/// z = (estimate − truth)/σ of one glacier.
fn z_score(g: &GlacierResult, truth: f64) -> f64 {
    let z = (g.mean_dhdt_m_yr - truth) / g.sigma_dhdt_m_yr;
    eprintln!(
        "{}: est {:.3} ± {:.3}, truth {truth:.3}, z {z:.2}",
        g.info.id, g.mean_dhdt_m_yr, g.sigma_dhdt_m_yr
    );
    z
}

fn local_hypso() -> FillMethod {
    FillMethod::LocalHypsometric {
        band_m: 50.0,
        statistic: BandStatistic::Median,
    }
}

#[test]
fn known_shift_recovered_and_glacier_means_within_sigma() {
    let mut within1 = 0;
    let mut total = 0;
    for (seed, shift) in [(1u64, (14.0, -9.0, 2.5)), (2, (-21.0, 6.0, -4.0))] {
        let p = RegionParams {
            seed,
            shift,
            rows: 200,
            cols: 200,
            ..RegionParams::default()
        };
        let reg = region(&p).unwrap();
        let ch = run_chain(&reg, true);
        let (dx, dy, dz) = ch.shift.unwrap();
        // within 0.1 px (3 m)
        assert!((dx - shift.0).abs() < 3.0, "dx {dx} vs {}", shift.0);
        assert!((dy - shift.1).abs() < 3.0, "dy {dy} vs {}", shift.1);
        assert!((dz - shift.2).abs() < 1.0, "dz {dz} vs {}", shift.2);
        let inputs = ch.inputs(&reg);
        let params = GlacierParams::default()
            .fill(local_hypso())
            .min_area_km2(0.5);
        let out = process_glaciers(&inputs, &params).unwrap();
        assert_eq!(out.glaciers.len(), reg.glaciers.len());
        for (g, t) in out.glaciers.iter().zip(&reg.truth_mean) {
            assert_eq!(g.status, GlacierStatus::Ok, "{:?}", g.info);
            let z = z_score(g, *t);
            assert!(z.abs() < 3.0, "glacier {} z = {z}", g.info.id);
            total += 1;
            if z.abs() <= 1.0 {
                within1 += 1;
            }
        }
        let rep = regional_report(&out.glaciers, &ch.model.variogram, Density::default()).unwrap();
        let areas: Vec<f64> = out.glaciers.iter().map(|g| g.area_m2).collect();
        let truth_reg = reg
            .truth_mean
            .iter()
            .zip(&areas)
            .map(|(t, a)| t * a)
            .sum::<f64>()
            / areas.iter().sum::<f64>();
        assert!(
            (rep.all.mean_dhdt_m_yr - truth_reg).abs() < 3.0 * rep.all.sigma_dhdt_m_yr,
            "regional {} ± {} vs {truth_reg}",
            rep.all.mean_dhdt_m_yr,
            rep.all.sigma_dhdt_m_yr
        );
        assert!(rep.surge_type.is_some() && rep.non_surge.is_some());
    }
    // about 68 % expected; at least half
    assert!(2 * within1 >= total, "{within1} of {total} within 1σ");
}

#[test]
fn sigma_is_calibrated_over_seeded_realisations() {
    // 50 realisations of a 128 × 128 region without shift or voids: the
    // z-scores (estimate − truth)/σ of all glaciers must have a standard
    // deviation in [0.8, 1.2] (full study: examples/calibration.rs).
    let mut z = Vec::new();
    for seed in 0..50u64 {
        let reg = region(&unshifted(1000 + seed, 128, (2, 2), 0.0)).unwrap();
        let ch = run_chain(&reg, false);
        let inputs = ch.inputs(&reg);
        let params = GlacierParams::default()
            .fill(local_hypso())
            .min_area_km2(0.1);
        let out = process_glaciers(&inputs, &params).unwrap();
        for (g, t) in out.glaciers.iter().zip(&reg.truth_mean) {
            assert_eq!(g.status, GlacierStatus::Ok);
            z.push(z_score(g, *t));
        }
    }
    let n = z.len() as f64;
    let mean = z.iter().sum::<f64>() / n;
    let sd = (z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    eprintln!("{} z-scores: mean {mean:.3}, std {sd:.3}", z.len());
    assert!((0.8..=1.2).contains(&sd), "z std {sd}");
    assert!(mean.abs() < 0.4, "z mean {mean}");
}

#[test]
fn gp_fill_gives_glacier_means_within_three_sigma() {
    let reg = region(&unshifted(5, 96, (1, 2), 0.25)).unwrap();
    let ch = run_chain(&reg, false);
    let inputs = ch.inputs(&reg);
    // the default fill: the GP with the region preset (`region_gp`)
    assert_eq!(
        GlacierParams::default().fill_method(),
        &FillMethod::Gp(Box::new(geodetic_mb::glacier::region_gp()))
    );
    let params = GlacierParams::default().min_area_km2(0.3);
    let out = process_glaciers(&inputs, &params).unwrap();
    for (g, t) in out.glaciers.iter().zip(&reg.truth_mean) {
        assert_eq!(g.status, GlacierStatus::Ok, "{:?}", g.status);
        assert!(g.n_filled > 0 && g.sigma_filled_m_yr > 0.0);
        assert!(g.gp_validation_rmse.is_some());
        let z = z_score(g, *t);
        assert!(z.abs() < 3.0, "z {z}");
        // filled pixels carry the GP predictive std
        assert!(out.sigma.data.iter().filter(|v| v.is_finite()).count() >= g.n_measured);
    }
}

#[test]
fn parallel_equals_serial_and_every_glacier_gets_a_status() {
    let p = RegionParams {
        seed: 9,
        rows: 120,
        cols: 120,
        layout: (2, 2),
        ..RegionParams::default()
    };
    let reg = region(&p).unwrap();
    let ch = run_chain(&reg, false);
    // glacier 1 loses every measurement; glacier 99 is not on the grid
    let mut dh = ch.dhdt.clone();
    for (v, l) in dh.data.iter_mut().zip(reg.labels.data.iter()) {
        if *l == 1 {
            *v = f64::NAN;
        }
    }
    let mut glaciers = reg.glaciers.clone();
    glaciers.push(GlacierInfo {
        label: 99,
        id: "MISSING".into(),
        ..GlacierInfo::default()
    });
    let inputs = GlacierInputs {
        dhdt: &dh,
        dem: &reg.reference,
        slope_deg: &ch.slope,
        aspect_deg: &ch.aspect,
        labels: &reg.labels,
        glaciers: &glaciers,
        error_model: &ch.model,
    };
    let params = GlacierParams::default()
        .fill(local_hypso())
        .min_area_km2(0.1);
    let par = process_glaciers(&inputs, &params).unwrap();
    let ser = geodetic_mb::glacier::process_glaciers_serial(&inputs, &params).unwrap();
    // NaN-aware equality: identical Debug text (NaN prints as NaN)
    assert_eq!(format!("{par:?}"), format!("{ser:?}"));
    assert_eq!(par.glaciers.len(), glaciers.len());
    assert_eq!(par.glaciers[0].status, GlacierStatus::NoMeasuredPixel);
    assert_eq!(par.glaciers[4].status, GlacierStatus::NotOnGrid);
    assert_eq!(par.glaciers[1].status, GlacierStatus::Ok);
    // a large minimum area marks everything too small
    let big = process_glaciers(&inputs, &params.clone().min_area_km2(1e4)).unwrap();
    assert!(
        big.glaciers[..4]
            .iter()
            .all(|g| g.status == GlacierStatus::TooSmall
                || g.status == GlacierStatus::NoMeasuredPixel)
    );
    assert!(regional_report(&big.glaciers, &ch.model.variogram, Density::default()).is_err());
    // no glacier, duplicate label: typed errors
    let none = GlacierInputs {
        glaciers: &[],
        ..inputs
    };
    assert!(matches!(
        process_glaciers(&none, &params),
        Err(MbError::EmptyInput(_))
    ));
    let dup = vec![glaciers[1].clone(), glaciers[1].clone()];
    let d = GlacierInputs {
        glaciers: &dup,
        ..inputs
    };
    assert!(matches!(
        process_glaciers(&d, &params),
        Err(MbError::InvalidParameter { .. })
    ));
}

#[test]
fn outlier_filter_removes_injected_blunders_on_glaciers() {
    let reg = region(&RegionParams {
        seed: 3,
        rows: 128,
        cols: 128,
        void_fraction: 0.0,
        shift: (0.0, 0.0, 0.0),
        ..RegionParams::default()
    })
    .unwrap();
    let ch = run_chain(&reg, false);
    let mut dh = ch.dhdt.clone();
    let glacier = reg.labels.data.mapv(|l| l != 0);
    let mut injected = Vec::new();
    for (k, ((idx, v), g)) in dh.data.indexed_iter_mut().zip(glacier.iter()).enumerate() {
        if *g && k % 97 == 0 {
            *v += 30.0;
            injected.push(idx);
        }
    }
    // glacier by glacier: a regional band pools glaciers with different
    // dh/dt, whose spread is then not noise
    let f = OutlierFilter::default()
        .apply_per_label(&dh, &reg.reference, &ch.slope, &reg.labels)
        .unwrap();
    assert!(injected.iter().all(|&i| f.filtered.data[i].is_nan()));
    // few genuine pixels removed (< 5 % of glacier pixels: a Gaussian loses
    // 0.3 % beyond 3σ, the heteroscedastic noise — σ from 0.09 to 0.5 m/yr
    // with slope — and the dh/dt gradient within a 100 m band add tails)
    let n_glacier = glacier.iter().filter(|g| **g).count();
    eprintln!(
        "removed {} ({} injected) of {n_glacier}",
        f.n_removed,
        injected.len()
    );
    assert!(f.n_removed < injected.len() + n_glacier / 20);
}
