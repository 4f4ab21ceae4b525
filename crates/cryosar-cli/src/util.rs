//! Small helpers shared by the subcommands.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Write a text file atomically (temporary file in the same folder, then rename).
pub fn write_text_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let res = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.with_context(|| format!("cannot write {}", path.display()))
}

/// Colour maps for PNG quick-looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    /// Perceptually uniform blue–green–yellow (matplotlib's viridis).
    Viridis,
    /// Perceptually uniform black–purple–orange–white (matplotlib's magma).
    Magma,
    /// Rainbow-like, high contrast (Google's turbo).
    Turbo,
    /// Diverging red–white–blue, for signed quantities (red = low).
    RdBu,
    /// Black to white.
    Gray,
}

impl Colormap {
    fn anchors(self) -> &'static [[u8; 3]] {
        match self {
            Colormap::Viridis => &[
                [68, 1, 84],
                [72, 40, 120],
                [62, 74, 137],
                [49, 104, 142],
                [38, 130, 142],
                [31, 158, 137],
                [53, 183, 121],
                [109, 205, 89],
                [180, 222, 44],
                [253, 231, 37],
            ],
            Colormap::Magma => &[
                [0, 0, 4],
                [28, 16, 68],
                [79, 18, 123],
                [129, 37, 129],
                [181, 54, 122],
                [229, 80, 100],
                [251, 135, 97],
                [254, 194, 135],
                [252, 253, 191],
            ],
            Colormap::Turbo => &[
                [48, 18, 59],
                [70, 107, 227],
                [40, 187, 236],
                [50, 241, 151],
                [164, 252, 60],
                [237, 208, 58],
                [251, 128, 34],
                [208, 47, 5],
                [122, 4, 3],
            ],
            Colormap::RdBu => &[
                [103, 0, 31],
                [178, 24, 43],
                [214, 96, 77],
                [244, 165, 130],
                [247, 247, 247],
                [146, 197, 222],
                [67, 147, 195],
                [33, 102, 172],
                [5, 48, 97],
            ],
            Colormap::Gray => &[[0, 0, 0], [255, 255, 255]],
        }
    }

    /// Colour of `t` in `[0, 1]` (clamped).
    pub fn color(self, t: f64) -> [u8; 3] {
        let a = self.anchors();
        let t = if t.is_finite() {
            t.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let x = t * (a.len() - 1) as f64;
        let i = (x.floor() as usize).min(a.len() - 2);
        let f = x - i as f64;
        let mut out = [0u8; 3];
        for (k, o) in out.iter_mut().enumerate() {
            *o = (a[i][k] as f64 * (1.0 - f) + a[i + 1][k] as f64 * f).round() as u8;
        }
        out
    }
}

/// 3×5 bitmap glyphs for the colour-bar labels (digits and a few symbols).
fn glyph(ch: char) -> Option<[u8; 5]> {
    Some(match ch {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b010, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        '.' => [0b000, 0b000, 0b000, 0b000, 0b010],
        'e' => [0b000, 0b111, 0b111, 0b100, 0b111],
        '+' => [0b000, 0b010, 0b111, 0b010, 0b000],
        _ => return None,
    })
}

fn format_tick(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-2..1e5).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Write `data` as an RGBA PNG quick-look with a vertical colour bar.
///
/// Values are mapped linearly from `[vmin, vmax]` onto `cmap` (clamped);
/// NaN pixels are transparent. A colour bar with five labelled ticks is drawn
/// to the right of the image; `label` (name and unit of the quantity) is
/// stored in the PNG's `Title` text chunk and printed in the bar's caption
/// chunk `Description` together with the range. Images smaller than 64 rows
/// are scaled up by pixel repetition so the bar stays readable. The file is
/// written atomically.
pub fn write_png_colormap(
    path: &Path,
    data: ndarray::ArrayView2<'_, f64>,
    vmin: f64,
    vmax: f64,
    cmap: Colormap,
    label: &str,
) -> anyhow::Result<()> {
    let (rows, cols) = data.dim();
    anyhow::ensure!(
        rows > 0 && cols > 0,
        "cannot draw an empty image to {}",
        path.display()
    );
    anyhow::ensure!(
        vmin.is_finite() && vmax.is_finite() && vmax > vmin,
        "colour range [{vmin}, {vmax}] for {} must be finite with vmax > vmin",
        path.display()
    );
    let scale = 64usize.div_ceil(rows).clamp(1, 8);
    let (h, w_img) = (rows * scale, cols * scale);
    let bar_gap = 6usize;
    let bar_w = 14usize;
    let label_w = 4 * 9 + 4;
    let width = w_img + bar_gap + bar_w + 3 + label_w;
    let height = h.max(40);
    let mut buf = vec![255u8; width * height * 4];
    let put = |buf: &mut Vec<u8>, x: usize, y: usize, rgba: [u8; 4]| {
        if x < width && y < height {
            let i = (y * width + x) * 4;
            buf[i..i + 4].copy_from_slice(&rgba);
        }
    };
    for y in 0..h {
        for x in 0..w_img {
            let v = data[[y / scale, x / scale]];
            let rgba = if v.is_finite() {
                let [r, g, b] = cmap.color((v - vmin) / (vmax - vmin));
                [r, g, b, 255]
            } else {
                [0, 0, 0, 0]
            };
            put(&mut buf, x, y, rgba);
        }
    }
    // Colour bar: top = vmax, bottom = vmin.
    let bx = w_img + bar_gap;
    for y in 0..height {
        let t = 1.0 - y as f64 / (height - 1) as f64;
        let [r, g, b] = cmap.color(t);
        for x in bx..bx + bar_w {
            put(&mut buf, x, y, [r, g, b, 255]);
        }
    }
    // Ticks and labels.
    for k in 0..5 {
        let t = k as f64 / 4.0;
        let y = ((1.0 - t) * (height - 1) as f64).round() as usize;
        for x in bx + bar_w..bx + bar_w + 3 {
            put(&mut buf, x, y, [0, 0, 0, 255]);
        }
        let text = format_tick(vmin + t * (vmax - vmin));
        let ty = y.saturating_sub(2).min(height.saturating_sub(5));
        let mut tx = bx + bar_w + 4;
        for ch in text.chars().take(9) {
            if let Some(g) = glyph(ch) {
                for (gy, bits) in g.iter().enumerate() {
                    for gx in 0..3 {
                        if bits & (0b100 >> gx) != 0 {
                            put(&mut buf, tx + gx, ty + gy, [0, 0, 0, 255]);
                        }
                    }
                }
            }
            tx += 4;
        }
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let res = (|| -> anyhow::Result<()> {
        let file = std::fs::File::create(&tmp)?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), width as u32, height as u32);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.add_text_chunk("Title".to_string(), label.to_string())?;
        enc.add_text_chunk(
            "Description".to_string(),
            format!(
                "{label}; colour bar from {vmin} (bottom) to {vmax} (top); transparent = no data"
            ),
        )?;
        let mut writer = enc.write_header()?;
        writer.write_image_data(&buf)?;
        writer.finish()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.with_context(|| format!("cannot write PNG {}", path.display()))
}

/// A robust colour range: the 2nd and 98th percentiles of the finite values
/// (falls back to min/max, and to `[v − 1, v + 1]` for a constant image).
pub fn robust_range(data: ndarray::ArrayView2<'_, f64>) -> Option<(f64, f64)> {
    let mut v = sar_core::stats::finite_values(data.iter().copied());
    let lo = sar_core::stats::percentile_inplace(&mut v, 2.0)?;
    let hi = sar_core::stats::percentile_inplace(&mut v, 98.0)?;
    if hi > lo {
        Some((lo, hi))
    } else {
        let (a, b) = sar_core::stats::min_max(v.iter().copied())?;
        if b > a {
            Some((a, b))
        } else {
            Some((a - 1.0, a + 1.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colormap_ends_and_midpoint() {
        assert_eq!(Colormap::Gray.color(0.0), [0, 0, 0]);
        assert_eq!(Colormap::Gray.color(1.0), [255, 255, 255]);
        assert_eq!(Colormap::Gray.color(0.5), [128, 128, 128]);
        assert_eq!(Colormap::Viridis.color(-3.0), [68, 1, 84]);
        assert_eq!(Colormap::RdBu.color(0.5), [247, 247, 247]);
    }

    #[test]
    fn png_roundtrip_dimensions_and_transparency() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.png");
        let mut a = ndarray::Array2::from_shape_fn((80, 100), |(r, c)| (r + c) as f64);
        a[[0, 0]] = f64::NAN;
        write_png_colormap(&p, a.view(), 0.0, 178.0, Colormap::Viridis, "test (m)").unwrap();
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&p).unwrap()));
        let mut reader = dec.read_info().unwrap();
        let mut img = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut img).unwrap();
        assert_eq!(info.height, 80);
        assert!(info.width > 100);
        assert_eq!(img[3], 0, "NaN pixel must be transparent");
        // Pixel (0, 1) holds value 1 → near the bottom of viridis.
        let i = 4;
        assert_eq!(&img[i..i + 3], &Colormap::Viridis.color(1.0 / 178.0));
        assert!(write_png_colormap(&p, a.view(), 1.0, 1.0, Colormap::Gray, "x").is_err());
    }

    #[test]
    fn robust_range_of_constant_image() {
        let a = ndarray::Array2::from_elem((3, 3), 5.0);
        assert_eq!(robust_range(a.view()), Some((4.0, 6.0)));
    }
}
