//! The generic input (two co-registered complex images + a JSON geometry
//! description): raw binaries in both byte orders and complex GeoTIFFs read
//! back exactly, and the DEM from them equals the DEM from the pair in
//! memory; bad input gives errors that name the file.

use insar_dem::generic::{read_pair, write_raw_slc, ByteOrder, GeometryDescription};
use insar_dem::processing::{generate_dem, DemParams};
use insar_dem::synthetic::{bistatic_pair, SceneParams};
use sar_core::{Crs, Grid, Raster};

#[test]
fn generic_pair_reads_back_exactly_and_gives_the_same_dem() {
    let params = SceneParams {
        lines: 48,
        samples: 40,
        ..SceneParams::default()
    };
    let pair = bistatic_pair(21, &params).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for order in [ByteOrder::Little, ByteOrder::Big] {
        let (a, b, g) = (
            dir.path().join("a.slc"),
            dir.path().join("b.slc"),
            dir.path().join("geom.json"),
        );
        write_raw_slc(&a, &pair.active_slc, order).unwrap();
        write_raw_slc(&b, &pair.passive_slc, order).unwrap();
        GeometryDescription::from_pair(&pair.geometry, order)
            .write(&g)
            .unwrap();
        let back = read_pair(&a, &b, &g).unwrap();
        assert_eq!(back.geometry, pair.geometry);
        assert_eq!(back.active_slc, pair.active_slc);
        assert_eq!(back.passive_slc, pair.passive_slc);
    }
    // Complex float32 GeoTIFFs (the radar grid has no georeferencing; a
    // pixel-unit grid is written).
    let tif = |name: &str, slc: &ndarray::Array2<num_complex::Complex32>| {
        let p = dir.path().join(name);
        let (l, s) = slc.dim();
        let grid = Grid::north_up(l, s, 0.0, 0.0, 1.0, 1.0, Crs::unknown());
        let r = Raster::new(slc.clone(), grid).unwrap();
        sar_core::geotiff::write_bands(&p, &[r], &Default::default()).unwrap();
        p
    };
    let (a, b) = (
        tif("a.tif", &pair.active_slc),
        tif("b.tif", &pair.passive_slc),
    );
    let g = dir.path().join("geom.json");
    GeometryDescription::from_pair(&pair.geometry, ByteOrder::Little)
        .write(&g)
        .unwrap();
    let back = read_pair(&a, &b, &g).unwrap();
    assert_eq!(back.active_slc, pair.active_slc);
    assert_eq!(back.passive_slc, pair.passive_slc);
    let p = DemParams::default().iterations(1).seed(3);
    let from_memory = generate_dem(
        &pair.geometry,
        pair.active_slc.view(),
        pair.passive_slc.view(),
        &pair.reference,
        &p,
        &|_, _| {},
    )
    .unwrap();
    let from_files = generate_dem(
        &back.geometry,
        back.active_slc.view(),
        back.passive_slc.view(),
        &pair.reference,
        &p,
        &|_, _| {},
    )
    .unwrap();
    let same = from_memory
        .dem
        .data
        .iter()
        .zip(from_files.dem.data.iter())
        .all(|(x, y)| x.to_bits() == y.to_bits());
    assert!(same);
    assert!(from_files.dem.data.iter().filter(|v| v.is_finite()).count() > 100);
}

#[test]
fn generic_input_errors_name_the_file() {
    let pair = bistatic_pair(
        22,
        &SceneParams {
            lines: 20,
            samples: 24,
            ..SceneParams::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (a, b, g) = (
        dir.path().join("a.slc"),
        dir.path().join("b.slc"),
        dir.path().join("geom.json"),
    );
    write_raw_slc(&a, &pair.active_slc, ByteOrder::Little).unwrap();
    GeometryDescription::from_pair(&pair.geometry, ByteOrder::Little)
        .write(&g)
        .unwrap();
    // Second image of the wrong size.
    let small = pair.passive_slc.slice(ndarray::s![..10, ..]).to_owned();
    write_raw_slc(&b, &small, ByteOrder::Little).unwrap();
    let e = read_pair(&a, &b, &g).unwrap_err().to_string();
    assert!(e.contains("b.slc") && e.contains("bytes"), "{e}");
    // Missing file.
    let e = read_pair(&a, &dir.path().join("none.slc"), &g)
        .unwrap_err()
        .to_string();
    assert!(e.contains("none.slc"), "{e}");
    // A misspelt field and a malformed orbit.
    let text = std::fs::read_to_string(&g).unwrap();
    std::fs::write(&g, text.replace("\"line_time\"", "\"linetime\"")).unwrap();
    write_raw_slc(&b, &pair.passive_slc, ByteOrder::Little).unwrap();
    let e = read_pair(&a, &b, &g).unwrap_err().to_string();
    assert!(e.contains("geom.json") && e.contains("line_time"), "{e}");
    let mut desc = GeometryDescription::from_pair(&pair.geometry, ByteOrder::Little);
    desc.passive_orbit.truncate(1);
    desc.write(&g).unwrap();
    let e = read_pair(&a, &b, &g).unwrap_err().to_string();
    assert!(
        e.contains("geom.json") && e.contains("passive_orbit"),
        "{e}"
    );
    // A real (not complex) GeoTIFF.
    let t = dir.path().join("real.tif");
    let grid = Grid::north_up(20, 24, 0.0, 0.0, 1.0, 1.0, Crs::unknown());
    sar_core::geotiff::write_f64(
        &t,
        &Raster::new(ndarray::Array2::zeros((20, 24)), grid).unwrap(),
    )
    .unwrap();
    GeometryDescription::from_pair(&pair.geometry, ByteOrder::Little)
        .write(&g)
        .unwrap();
    let e = read_pair(&t, &b, &g).unwrap_err().to_string();
    assert!(e.contains("real.tif"), "{e}");
}
