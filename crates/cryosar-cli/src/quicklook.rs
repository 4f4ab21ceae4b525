//! PNG quick-looks drawn with `plotters`: one function, [`write_quicklook`],
//! used by every command.
//!
//! A quick-look is a figure a person can paste into a slide: the raster
//! scaled by nearest neighbour so that its long side is between
//! [`MIN_LONG_SIDE`] and [`MAX_LONG_SIDE`] pixels (coarse grids, such as a
//! velocity template grid of 24 × 24 cells, are enlarged; large rasters are
//! decimated, so the PNG size is bounded whatever the input), a title, the
//! quantity and its unit, a colour bar with tick values, a colour range from
//! percentiles of the valid pixels by default, and no-data pixels drawn in a
//! colour that is not on the colour map, with their share in the legend.
//!
//! The text is set in an embedded subset of DejaVu Sans (Bitstream Vera
//! licence, `assets/DejaVuSans-LICENSE.txt`), so no system font library is
//! needed.
//!
//! ```ignore
//! use crate::quicklook::{write_quicklook, ColorRange, QuickLook};
//! use crate::util::Colormap;
//! let q = QuickLook::new("Slope of dem.tif", "slope", "°").cmap(Colormap::Magma);
//! write_quicklook(&path, slope.data.view(), &q)?;
//! ```

use std::path::Path;
use std::sync::Once;

use anyhow::Context;
use ndarray::ArrayView2;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::util::Colormap;

/// Smallest long side of the raster panel in pixels; coarser grids are
/// enlarged by an integer factor (nearest neighbour).
pub const MIN_LONG_SIDE: usize = 600;
/// Largest long side of the raster panel in pixels; larger rasters are
/// decimated (nearest neighbour), which bounds the PNG's size.
pub const MAX_LONG_SIDE: usize = 1600;
/// Smallest short side of the raster panel, so that very elongated rasters
/// stay visible.
const MIN_SHORT_SIDE: usize = 60;

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");
const FAMILY: &str = "sans-serif";

/// How the colour range is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColorRange {
    /// The `lo`-th and `hi`-th percentiles (0–100) of the valid pixels
    /// (the default is 2–98: a few outliers do not wash out the map).
    Percentile(f64, f64),
    /// Symmetric about zero: ±the given percentile (0–100) of |value|, for
    /// signed quantities on a diverging colour map.
    SymmetricPercentile(f64),
    /// A fixed range `[min, max]`.
    Fixed(f64, f64),
}

impl Default for ColorRange {
    fn default() -> Self {
        ColorRange::Percentile(2.0, 98.0)
    }
}

/// What to draw: title, quantity, unit, colour map and colour range.
#[derive(Debug, Clone)]
pub struct QuickLook {
    title: String,
    quantity: String,
    unit: String,
    cmap: Colormap,
    range: ColorRange,
    note: Option<String>,
}

impl QuickLook {
    /// A quick-look titled `title` of `quantity` in `unit` (e.g. `"m/d"`,
    /// `"dB"`, `"°"`; empty for a dimensionless quantity), viridis, 2–98th
    /// percentile colour range.
    pub fn new(
        title: impl Into<String>,
        quantity: impl Into<String>,
        unit: impl Into<String>,
    ) -> Self {
        QuickLook {
            title: title.into(),
            quantity: quantity.into(),
            unit: unit.into(),
            cmap: Colormap::Viridis,
            range: ColorRange::default(),
            note: None,
        }
    }

    /// Colour map.
    pub fn cmap(mut self, cmap: Colormap) -> Self {
        self.cmap = cmap;
        self
    }

    /// Colour range (default: 2–98th percentile of the valid pixels).
    pub fn range(mut self, range: ColorRange) -> Self {
        self.range = range;
        self
    }

    /// A line of text under the figure (e.g. the grid or the input file).
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    fn label(&self) -> String {
        if self.unit.is_empty() {
            self.quantity.clone()
        } else {
            format!("{} ({})", self.quantity, self.unit)
        }
    }
}

/// Colour range actually used, and how it was chosen (for the legend).
fn resolve_range(
    data: ArrayView2<'_, f64>,
    range: ColorRange,
) -> anyhow::Result<(f64, f64, String)> {
    let mut v = sar_core::stats::finite_values(data.iter().copied());
    let pct = |v: &mut Vec<f64>, p: f64| sar_core::stats::percentile_inplace(v, p);
    let (lo, hi, how) = match range {
        ColorRange::Fixed(a, b) => {
            anyhow::ensure!(
                a.is_finite() && b.is_finite() && b > a,
                "colour range [{a}, {b}] must be finite with max > min"
            );
            (a, b, "fixed range".to_string())
        }
        ColorRange::Percentile(pl, ph) => {
            anyhow::ensure!(
                (0.0..=100.0).contains(&pl) && (0.0..=100.0).contains(&ph) && ph > pl,
                "colour percentiles {pl}–{ph} must lie in 0–100 with the second larger"
            );
            match (pct(&mut v, pl), pct(&mut v, ph)) {
                (Some(a), Some(b)) => (a, b, format!("colour range: {pl}–{ph}th percentile")),
                _ => (0.0, 1.0, "no valid pixel".to_string()),
            }
        }
        ColorRange::SymmetricPercentile(p) => {
            anyhow::ensure!(
                (0.0..=100.0).contains(&p) && p > 0.0,
                "colour percentile {p} must lie in (0, 100]"
            );
            let mut a: Vec<f64> = v.iter().map(|x| x.abs()).collect();
            match pct(&mut a, p) {
                Some(m) => (-m, m, format!("colour range: ±{p}th percentile of |value|")),
                None => (-1.0, 1.0, "no valid pixel".to_string()),
            }
        }
    };
    if hi > lo {
        return Ok((lo, hi, how));
    }
    // Constant image (or a degenerate percentile range): widen around it.
    let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.01 };
    Ok((lo - d, hi + d, format!("{how} (constant image)")))
}

/// Size of the raster panel: long side in [`MIN_LONG_SIDE`, `MAX_LONG_SIDE`],
/// integer enlargement where possible.
fn panel_size(rows: usize, cols: usize) -> (usize, usize) {
    let long = rows.max(cols).max(1);
    let (h, w) = if long < MIN_LONG_SIDE {
        let s = MIN_LONG_SIDE.div_ceil(long);
        (rows * s, cols * s)
    } else if long > MAX_LONG_SIDE {
        let f = MAX_LONG_SIDE as f64 / long as f64;
        (
            ((rows as f64 * f).round() as usize).max(1),
            ((cols as f64 * f).round() as usize).max(1),
        )
    } else {
        (rows, cols)
    };
    (
        h.clamp(MIN_SHORT_SIDE, MAX_LONG_SIDE),
        w.clamp(MIN_SHORT_SIDE, MAX_LONG_SIDE),
    )
}

/// Tick label: few significant digits.
fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
        if s == "-0" {
            "0".into()
        } else {
            s
        }
    }
}

/// Colour of no-data pixels: one that the colour map does not use.
fn nodata_color(cmap: Colormap) -> RGBColor {
    match cmap {
        Colormap::Gray => RGBColor(214, 96, 180),
        _ => RGBColor(190, 190, 190),
    }
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in; a failure here would be a build defect
        // and shows as missing text, not as a crash.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// Draw `data` as a PNG quick-look at `path` (written as it is: pass a
/// temporary of an [`OutputSet`](crate::util::OutputSet) for an atomic
/// write).
///
/// Non-finite pixels are no-data. The figure holds the title, the raster
/// (nearest neighbour, long side between [`MIN_LONG_SIDE`] and
/// [`MAX_LONG_SIDE`] pixels), a colour bar labelled with the quantity and
/// unit and its tick values, and a legend line with the colour-range rule
/// and the no-data colour and share.
pub fn write_quicklook(
    path: &Path,
    data: ArrayView2<'_, f64>,
    spec: &QuickLook,
) -> anyhow::Result<()> {
    let (rows, cols) = data.dim();
    anyhow::ensure!(
        rows > 0 && cols > 0,
        "cannot draw an empty {rows}×{cols} raster to {}",
        path.display()
    );
    let (lo, hi, how) = resolve_range(data, spec.range)
        .with_context(|| format!("quick-look {}", path.display()))?;
    let (ih, iw) = panel_size(rows, cols);
    let (margin, head, bar_w, bar_area_w, foot) = (16usize, 76usize, 26usize, 150usize, 44usize);
    let width = margin + iw + 24 + bar_area_w + margin;
    let height = head + ih + foot;

    // Raster panel, nearest neighbour.
    let nd = nodata_color(spec.cmap);
    let mut n_nodata = 0usize;
    for v in data.iter() {
        n_nodata += usize::from(!v.is_finite());
    }
    let mut panel = vec![0u8; iw * ih * 3];
    for y in 0..ih {
        let r = (y * rows / ih).min(rows - 1);
        for x in 0..iw {
            let c = (x * cols / iw).min(cols - 1);
            let v = data[[r, c]];
            let rgb = if v.is_finite() {
                spec.cmap.color((v - lo) / (hi - lo))
            } else {
                [nd.0, nd.1, nd.2]
            };
            let i = (y * iw + x) * 3;
            panel[i..i + 3].copy_from_slice(&rgb);
        }
    }

    register_font();
    let mut buf = vec![255u8; width * height * 3];
    {
        let root =
            BitMapBackend::with_buffer(&mut buf, (width as u32, height as u32)).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<_>| anyhow::anyhow!("drawing failed: {e:?}");
        root.fill(&WHITE).map_err(err)?;
        root.draw(&Text::new(
            spec.title.clone(),
            (margin as i32, 10),
            (FAMILY, 22).into_font().color(&BLACK),
        ))
        .map_err(err)?;
        root.draw(&Text::new(
            format!(
                "{} — {how}: {} to {}",
                spec.label(),
                tick_label(lo),
                tick_label(hi)
            ),
            (margin as i32, 42),
            (FAMILY, 15).into_font().color(&RGBColor(60, 60, 60)),
        ))
        .map_err(err)?;
        let img = BitMapElement::<_, plotters::backend::RGBPixel>::with_owned_buffer(
            (margin as i32, head as i32),
            (iw as u32, ih as u32),
            panel,
        )
        .context("raster panel has the wrong size")?;
        root.draw(&img).map_err(err)?;
        root.draw(&Rectangle::new(
            [
                (margin as i32 - 1, head as i32 - 1),
                ((margin + iw) as i32, (head + ih) as i32),
            ],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;

        // Colour bar with ticks, as a plotters chart.
        let x0 = (margin + iw + 24) as i32;
        let bar_area = root.clone().shrink(
            (x0, head as i32 - 8),
            ((bar_area_w) as u32, (ih + 16) as u32),
        );
        let mut chart = ChartBuilder::on(&bar_area)
            .margin_top(8)
            .margin_bottom(8)
            .right_y_label_area_size((bar_area_w - bar_w) as u32)
            .build_cartesian_2d(0f64..1f64, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_y_mesh()
            .disable_x_axis()
            .y_labels(6)
            .y_label_formatter(&|v| tick_label(*v))
            .y_label_style((FAMILY, 14).into_font())
            .y_desc(spec.label())
            .axis_desc_style((FAMILY, 15).into_font())
            .draw()
            .map_err(err)?;
        let steps = 256;
        chart
            .draw_series((0..steps).map(|k| {
                let a = lo + (hi - lo) * k as f64 / steps as f64;
                let b = lo + (hi - lo) * (k + 1) as f64 / steps as f64;
                let [r, g, bl] = spec.cmap.color((k as f64 + 0.5) / steps as f64);
                Rectangle::new([(0.0, a), (1.0, b)], RGBColor(r, g, bl).filled())
            }))
            .map_err(err)?;

        // Legend line: no-data colour and share, optional note.
        let fy = (head + ih + 12) as i32;
        root.draw(&Rectangle::new(
            [(margin as i32, fy), (margin as i32 + 16, fy + 14)],
            nd.filled(),
        ))
        .map_err(err)?;
        root.draw(&Rectangle::new(
            [(margin as i32, fy), (margin as i32 + 16, fy + 14)],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
        let mut legend = format!(
            "no data: {:.1} % of {rows}×{cols} px",
            100.0 * n_nodata as f64 / (rows * cols) as f64
        );
        if let Some(n) = &spec.note {
            legend.push_str("   ");
            legend.push_str(n);
        }
        root.draw(&Text::new(
            legend,
            (margin as i32 + 24, fy),
            (FAMILY, 14).into_font().color(&RGBColor(60, 60, 60)),
        ))
        .map_err(err)?;
        root.present().map_err(err)?;
    }

    let res = (|| -> anyhow::Result<()> {
        let file = std::fs::File::create(path)?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), width as u32, height as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.add_itxt_chunk("Title".to_string(), spec.title.clone())?;
        enc.add_itxt_chunk(
            "Description".to_string(),
            format!(
                "{}; colour bar from {lo} to {hi} ({how}); no data drawn as rgb({}, {}, {})",
                spec.label(),
                nd.0,
                nd.1,
                nd.2
            ),
        )?;
        let mut w = enc.write_header()?;
        w.write_image_data(&buf)?;
        w.finish()?;
        Ok(())
    })();
    res.with_context(|| format!("cannot write PNG {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(p: &Path) -> (u32, u32, Vec<u8>) {
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(p).unwrap()));
        let mut reader = dec.read_info().unwrap();
        let mut img = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut img).unwrap();
        (info.width, info.height, img)
    }

    #[test]
    fn coarse_grid_is_enlarged_and_nodata_distinct() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.png");
        // A 24 × 24 template grid, one no-data cell at (0, 0).
        let mut a = ndarray::Array2::from_shape_fn((24, 24), |(r, c)| (r * 24 + c) as f64);
        a[[0, 0]] = f64::NAN;
        let q = QuickLook::new("test", "speed", "m/d");
        write_quicklook(&p, a.view(), &q).unwrap();
        let (w, h, img) = decode(&p);
        assert!(w.max(h) >= MIN_LONG_SIDE as u32, "{w}×{h}");
        // The 25 × 25 px block of cell (0, 0) starts at (16, 76): no-data grey.
        let px = |x: usize, y: usize| {
            let i = (y * w as usize + x) * 3;
            [img[i], img[i + 1], img[i + 2]]
        };
        assert_eq!(px(16 + 5, 76 + 5), [190, 190, 190]);
        // The last cell is above the 98th percentile: top colour of viridis.
        let s = MIN_LONG_SIDE.div_ceil(24);
        assert_eq!(
            px(16 + 24 * s - 3, 76 + 24 * s - 3),
            Colormap::Viridis.color(1.0)
        );
    }

    #[test]
    fn large_raster_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.png");
        let a = ndarray::Array2::from_shape_fn((5000, 300), |(r, _)| r as f64);
        write_quicklook(&p, a.view(), &QuickLook::new("tall", "z", "m")).unwrap();
        let (w, h, _) = decode(&p);
        assert!(h <= (MAX_LONG_SIDE + 200) as u32 && w < 600, "{w}×{h}");
    }

    #[test]
    fn ranges() {
        let a = ndarray::Array2::from_shape_fn((10, 10), |(r, c)| (r * 10 + c) as f64 - 50.0);
        let (lo, hi, _) = resolve_range(a.view(), ColorRange::SymmetricPercentile(100.0)).unwrap();
        assert_eq!((lo, hi), (-50.0, 50.0));
        let (lo, hi, _) = resolve_range(a.view(), ColorRange::Percentile(0.0, 100.0)).unwrap();
        assert_eq!((lo, hi), (-50.0, 49.0));
        assert!(resolve_range(a.view(), ColorRange::Fixed(1.0, 1.0)).is_err());
        let c = ndarray::Array2::from_elem((2, 2), 5.0);
        let (lo, hi, _) = resolve_range(c.view(), ColorRange::default()).unwrap();
        assert!(lo < 5.0 && hi > 5.0);
        let n = ndarray::Array2::from_elem((2, 2), f64::NAN);
        assert!(resolve_range(n.view(), ColorRange::default()).is_ok());
    }

    #[test]
    fn ticks() {
        assert_eq!(tick_label(0.5), "0.5");
        assert_eq!(tick_label(1234.4), "1234");
        assert_eq!(tick_label(-0.0001), "-1.00e-4");
    }
}
