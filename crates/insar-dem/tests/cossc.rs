//! CoSSC product round trip: a synthetic pair written with the COSAR (v2)
//! and annotation writers is read back, the active satellite detected and
//! the geometry rebuilt; bad products give clear errors.

use insar_dem::annotation::{Annotation, Cossc};
use insar_dem::cosar::{Cosar, CosarVersion};
use insar_dem::geometry::AcquisitionMode;
use insar_dem::synthetic::{bistatic_pair, SceneParams};

fn small() -> SceneParams {
    SceneParams {
        lines: 48,
        samples: 40,
        steep_ridge: false,
        ..SceneParams::default()
    }
}

#[test]
fn cossc_written_and_read_back() {
    let pair = bistatic_pair(7, &small()).unwrap();
    for tdx_active in [true, false] {
        let c = pair.to_cossc(tdx_active).unwrap();
        let dir = tempfile::tempdir().unwrap();
        c.write(dir.path(), !tdx_active).unwrap();
        let back = Cossc::read(dir.path()).unwrap();
        assert_eq!(
            back.designation.active,
            if tdx_active { "TDX-1" } else { "TSX-1" }
        );
        assert_eq!(back.active.mission, back.designation.active);
        assert_eq!(back.mode, AcquisitionMode::Bistatic);
        assert_eq!(
            back.active.state_vectors.len(),
            c.active.state_vectors.len()
        );
        for (a, b) in back
            .active
            .state_vectors
            .iter()
            .zip(&c.active.state_vectors)
        {
            assert!((a.time - b.time).abs() < 1e-6);
            for k in 0..3 {
                assert!((a.position[k] - b.position[k]).abs() < 1e-5);
                assert!((a.velocity[k] - b.velocity[k]).abs() < 1e-8);
            }
        }
        let (g0, g1) = (c.active.radar_grid(), back.active.radar_grid());
        assert!((g0.near_range - g1.near_range).abs() < 1e-6);
        assert!((g0.range_spacing / g1.range_spacing - 1.0).abs() < 1e-12);
        assert!((g0.line_time / g1.line_time - 1.0).abs() < 1e-12);
        assert!((g0.wavelength / g1.wavelength - 1.0).abs() < 1e-12);
        assert!((g0.sensing_start - g1.sensing_start).abs() < 1e-6);
        // Half-float storage: relative error ≤ 2⁻¹¹ of each component's magnitude.
        for (a, b) in c.passive_slc.iter().zip(back.passive_slc.iter()) {
            assert!(
                (a.re - b.re).abs() <= a.re.abs() * 4.9e-4 + 1e-7,
                "{a} vs {b}"
            );
            assert!(
                (a.im - b.im).abs() <= a.im.abs() * 4.9e-4 + 1e-7,
                "{a} vs {b}"
            );
        }
        // The geometry read from the product gives the same phase as the original.
        let geo = back.geometry().unwrap();
        let x = pair.geometry.rdr2geo_height(20.0, 20.0, 3000.0).unwrap();
        let p0 = pair.geometry.phase(x).unwrap();
        let p1 = geo.phase(x).unwrap();
        assert!((p0 - p1).abs() < 1e-2, "{p0} vs {p1}");
        // The annotation XML re-reads to the same values.
        let again = Annotation::from_xml(&back.active.to_xml(), "mem").unwrap();
        assert_eq!(again, back.active);
    }
}

#[test]
fn bad_products_give_clear_errors() {
    let pair = bistatic_pair(8, &small()).unwrap();
    let c = pair.to_cossc(true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let main = c.write(dir.path(), false).unwrap();
    // A directory without the main annotation.
    let empty = tempfile::tempdir().unwrap();
    let e = Cossc::read(empty.path()).unwrap_err();
    assert!(e.to_string().contains("TDM"), "{e}");
    // Passive image of the wrong version (int16 TerraSAR-X SSC).
    let comp = dir.path().join("TSX1_SAR__SSC______SM_S_SRA");
    let cos = comp.join("IMAGEDATA").join("IMAGE_HH_SRA_strip_007.cos");
    let orig = std::fs::read(&cos).unwrap();
    let v1 = Cosar::from_complex(
        std::slice::from_ref(&c.passive_slc),
        CosarVersion::V1Int16,
        (0, 0),
    )
    .unwrap();
    v1.write(&cos).unwrap();
    let e = Cossc::read(dir.path()).unwrap_err();
    assert!(
        e.to_string().contains("version 1 found but version 2"),
        "{e}"
    );
    // Truncated image.
    std::fs::write(&cos, &orig[..orig.len() - 100]).unwrap();
    let e = Cossc::read(dir.path()).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    // Mismatched sizes: passive image from a smaller scene.
    let other = bistatic_pair(
        9,
        &SceneParams {
            lines: 32,
            ..small()
        },
    )
    .unwrap();
    let v2 = Cosar::from_complex(
        std::slice::from_ref(&other.passive_slc),
        CosarVersion::V2Float16,
        (0, 0),
    )
    .unwrap();
    v2.write(&cos).unwrap();
    let e = Cossc::read(dir.path()).unwrap_err();
    assert!(e.to_string().contains("annotation says"), "{e}");
    // Bad master id.
    std::fs::write(&cos, &orig).unwrap();
    let xml = std::fs::read_to_string(&main)
        .unwrap()
        .replace("<inSARmasterID>SAT2", "<inSARmasterID>SAT3");
    std::fs::write(&main, xml).unwrap();
    let e = Cossc::read(dir.path()).unwrap_err();
    assert!(e.to_string().contains("SAT3"), "{e}");
}
