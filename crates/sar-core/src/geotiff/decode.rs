//! Image layout (strips or tiles, bands, sample type) and decoding of the
//! pixel data: decompression (none, LZW, Deflate, PackBits), predictors
//! (horizontal and floating point) and byte order.

use super::tiff::{tag, Ifd, TiffFile};
use super::{Compression, DataType, Interleave};
use crate::error::Result;

/// Largest ratio of decoded to file bytes accepted: LZW's worst case is
/// about 2 700:1 and Deflate's 1 032:1, so a larger declared image size
/// can only come from a corrupt header.
const MAX_EXPANSION: u64 = 4096;
/// Images up to this many decoded bytes are accepted whatever the file size
/// (sparse files with missing blocks).
const SMALL_IMAGE: u64 = 1 << 24;

/// Length of the union of the byte ranges `[offset, offset + count)`.
fn covered_bytes(offsets: &[u64], counts: &[u64]) -> u64 {
    let mut r: Vec<(u64, u64)> = offsets
        .iter()
        .zip(counts)
        .filter(|(_, &c)| c > 0)
        .map(|(&o, &c)| (o, o.saturating_add(c)))
        .collect();
    r.sort_unstable();
    let (mut total, mut end) = (0u64, 0u64);
    for (a, b) in r {
        let a = a.max(end);
        if b > a {
            total = total.saturating_add(b - a);
            end = b;
        }
    }
    total
}

/// A rectangle of image pixels: first row and column, and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PixelRect {
    pub row0: usize,
    pub col0: usize,
    pub rows: usize,
    pub cols: usize,
}

/// Everything needed to find and decode the pixels of the first image.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub width: usize,
    pub height: usize,
    /// Samples per pixel (bands).
    pub spp: usize,
    pub data_type: DataType,
    pub compression: Compression,
    /// TIFF predictor: 1 none, 2 horizontal, 3 floating point.
    pub predictor: u16,
    pub interleave: Interleave,
    pub tiled: bool,
    /// Chunk (strip or tile) width and height in pixels; strips span the width.
    pub chunk_w: usize,
    pub chunk_h: usize,
    pub chunks_across: usize,
    pub chunks_down: usize,
    pub offsets: Vec<u64>,
    pub counts: Vec<u64>,
    /// File byte order.
    pub big_endian: bool,
}

fn compression_from_code(t: &TiffFile, code: u64) -> Result<Compression> {
    Ok(match code {
        1 => Compression::None,
        5 => Compression::Lzw,
        8 | 32946 => Compression::Deflate,
        32773 => Compression::PackBits,
        6 | 7 => {
            return Err(t.unsupported(format!(
                "JPEG compression (code {code}) is not supported; convert with `gdal_translate -co COMPRESS=DEFLATE`"
            )))
        }
        other => {
            let name = match other {
                2 => "CCITT RLE",
                3 => "CCITT fax 3",
                4 => "CCITT fax 4",
                34712 => "JPEG 2000",
                34887 => "LERC",
                34925 => "LZMA",
                50000 => "ZSTD",
                50001 => "WebP",
                50002 => "JPEG XL",
                _ => "unknown",
            };
            return Err(t.unsupported(format!(
                "compression {name} (code {other}) is not supported; only none, LZW, Deflate and PackBits are"
            )));
        }
    })
}

impl Layout {
    /// Read and validate the layout tags of `ifd`.
    pub fn from_ifd(t: &TiffFile, ifd: &Ifd) -> Result<Layout> {
        let need = |tg: u16, name: &str| -> Result<u64> {
            ifd.uint(tg)?
                .ok_or_else(|| t.corrupt(format!("required tag {name} ({tg}) is missing")))
        };
        let width = need(tag::IMAGE_WIDTH, "ImageWidth")?;
        let height = need(tag::IMAGE_LENGTH, "ImageLength")?;
        if width == 0 || height == 0 {
            return Err(t.corrupt(format!("image size {width}×{height} is empty")));
        }
        let spp = ifd.uint(tag::SAMPLES_PER_PIXEL)?.unwrap_or(1);
        if spp == 0 {
            return Err(t.corrupt("SamplesPerPixel is 0".into()));
        }
        if spp > 65535 {
            return Err(t.corrupt(format!("SamplesPerPixel {spp} is impossibly large")));
        }
        let bps_all = ifd.uints(tag::BITS_PER_SAMPLE)?.unwrap_or_else(|| vec![1]);
        let bps = *bps_all.first().unwrap_or(&1);
        if bps_all.iter().any(|&b| b != bps) {
            return Err(t.unsupported(format!(
                "bands with different bit depths {bps_all:?} are not supported"
            )));
        }
        let fmt_all = ifd.uints(tag::SAMPLE_FORMAT)?.unwrap_or_else(|| vec![1]);
        let fmt = *fmt_all.first().unwrap_or(&1);
        if fmt_all.iter().any(|&f| f != fmt) {
            return Err(t.unsupported(format!(
                "bands with different sample formats {fmt_all:?} are not supported"
            )));
        }
        let data_type = match (fmt, bps) {
            (1, 8) => DataType::U8,
            (2, 8) => DataType::I8,
            (1, 16) => DataType::U16,
            (2, 16) => DataType::I16,
            (1, 32) => DataType::U32,
            (2, 32) => DataType::I32,
            (3, 32) => DataType::F32,
            (3, 64) => DataType::F64,
            (5, 32) => DataType::CInt16,
            (6, 64) => DataType::CFloat32,
            (f, b) => {
                let kind = match f {
                    1 => "unsigned integer",
                    2 => "signed integer",
                    3 => "floating point",
                    4 => "undefined",
                    5 => "complex integer",
                    6 => "complex floating point",
                    _ => "unknown",
                };
                return Err(t.unsupported(format!(
                    "{b}-bit {kind} samples (SampleFormat {f}, BitsPerSample {b}) are not supported"
                )));
            }
        };
        let compression = compression_from_code(t, ifd.uint(tag::COMPRESSION)?.unwrap_or(1))?;
        // libtiff (and so GDAL) applies the predictor only to LZW and
        // Deflate data and ignores the tag otherwise; so does sar-core.
        let predictor = match compression {
            Compression::Lzw | Compression::Deflate => ifd.uint(tag::PREDICTOR)?.unwrap_or(1),
            _ => 1,
        };
        match (predictor, data_type) {
            (1, _) => {}
            (2, d) if !d.is_complex() => {}
            (3, DataType::F32 | DataType::F64) => {}
            (p @ (2 | 3), d) => {
                return Err(t.unsupported(format!("predictor {p} with {d} samples")))
            }
            (p, _) => return Err(t.unsupported(format!("predictor {p} (only 1, 2, 3 exist)"))),
        }
        let interleave = match ifd.uint(tag::PLANAR_CONFIGURATION)?.unwrap_or(1) {
            1 => Interleave::Pixel,
            2 => Interleave::Band,
            p => return Err(t.corrupt(format!("PlanarConfiguration {p} (must be 1 or 2)"))),
        };
        let tiled = ifd.has(tag::TILE_WIDTH) || ifd.has(tag::TILE_OFFSETS);
        let (chunk_w, chunk_h, offsets, counts) = if tiled {
            let tw = need(tag::TILE_WIDTH, "TileWidth")?;
            let th = need(tag::TILE_LENGTH, "TileLength")?;
            let off = ifd
                .uints(tag::TILE_OFFSETS)?
                .ok_or_else(|| t.corrupt("required tag TileOffsets (324) is missing".into()))?;
            let cnt = ifd
                .uints(tag::TILE_BYTE_COUNTS)?
                .ok_or_else(|| t.corrupt("required tag TileByteCounts (325) is missing".into()))?;
            (tw, th, off, cnt)
        } else {
            let rps = ifd
                .uint(tag::ROWS_PER_STRIP)?
                .unwrap_or(u64::from(u32::MAX));
            let off = ifd
                .uints(tag::STRIP_OFFSETS)?
                .ok_or_else(|| t.corrupt("required tag StripOffsets (273) is missing".into()))?;
            let cnt = match ifd.uints(tag::STRIP_BYTE_COUNTS)? {
                Some(c) => c,
                None => {
                    return Err(t.corrupt("required tag StripByteCounts (279) is missing".into()))
                }
            };
            (width, rps.min(height), off, cnt)
        };
        if chunk_w == 0 || chunk_h == 0 {
            return Err(t.corrupt(format!(
                "{} size {chunk_w}×{chunk_h} is empty",
                if tiled { "tile" } else { "strip" }
            )));
        }
        let planes = if interleave == Interleave::Band {
            spp
        } else {
            1
        };
        let across = width.div_ceil(chunk_w);
        let down = height.div_ceil(chunk_h);
        let needed = across
            .checked_mul(down)
            .and_then(|n| n.checked_mul(planes))
            .ok_or_else(|| t.corrupt("number of strips/tiles overflows".into()))?;
        if (offsets.len() as u64) < needed || (counts.len() as u64) < needed {
            return Err(t.corrupt(format!(
                "{needed} {} needed but {} offsets and {} byte counts given",
                if tiled { "tiles" } else { "strips" },
                offsets.len(),
                counts.len()
            )));
        }
        // Decoded sizes: the whole image, and one chunk, must be plausible
        // for the file size and must fit in memory addresses.
        let bytes = data_type.bytes() as u64;
        let image_bytes = width
            .checked_mul(height)
            .and_then(|n| n.checked_mul(spp))
            .and_then(|n| n.checked_mul(bytes));
        let chunk_bytes = chunk_w
            .checked_mul(chunk_h)
            .and_then(|n| n.checked_mul(if planes == 1 { spp } else { 1 }))
            .and_then(|n| n.checked_mul(bytes));
        // Count the compressed bytes the chunks really cover: strips that
        // all point to one chunk, or overlap, hold no more data than the
        // union of their byte ranges.
        let covered = covered_bytes(&offsets[..needed as usize], &counts[..needed as usize]);
        let limit = covered
            .min(t.len)
            .saturating_mul(MAX_EXPANSION)
            .max(SMALL_IMAGE);
        match (image_bytes, chunk_bytes) {
            (Some(i), Some(c)) if i <= limit && c <= limit && i <= isize::MAX as u64 / 2 => {}
            _ => {
                return Err(t.corrupt(format!(
                    "declared image of {width}×{height}×{spp} {data_type} samples ({} of {chunk_w}×{chunk_h}) is implausibly large for the {covered} bytes of pixel data its {} cover (file of {} bytes)",
                    if tiled { "tiles" } else { "strips" },
                    if tiled { "tiles" } else { "strips" },
                    t.len
                )))
            }
        }
        Ok(Layout {
            width: width as usize,
            height: height as usize,
            spp: spp as usize,
            data_type,
            compression,
            predictor: predictor as u16,
            interleave,
            tiled,
            chunk_w: chunk_w as usize,
            chunk_h: chunk_h as usize,
            chunks_across: across as usize,
            chunks_down: down as usize,
            offsets,
            counts,
            big_endian: t.big_endian,
        })
    }

    /// Samples per pixel inside one chunk.
    fn chunk_spp(&self) -> usize {
        match self.interleave {
            Interleave::Pixel => self.spp,
            Interleave::Band => 1,
        }
    }

    fn chunks_per_plane(&self) -> usize {
        self.chunks_across * self.chunks_down
    }

    /// Pixel origin `(row, col)` and valid size `(rows, cols)` of chunk `i`
    /// within its plane.
    fn chunk_rect(&self, i: usize) -> (usize, usize, usize, usize) {
        let local = i % self.chunks_per_plane();
        let r0 = (local / self.chunks_across) * self.chunk_h;
        let c0 = (local % self.chunks_across) * self.chunk_w;
        (
            r0,
            c0,
            self.chunk_h.min(self.height - r0),
            self.chunk_w.min(self.width - c0),
        )
    }

    /// Decoded size of chunk `i` in bytes: full tiles, strips cut at the
    /// bottom of the image.
    fn chunk_len(&self, i: usize) -> usize {
        let rows = if self.tiled {
            self.chunk_h
        } else {
            self.chunk_rect(i).2
        };
        rows * self.chunk_w * self.chunk_spp() * self.data_type.bytes()
    }

    /// Decode the pixel rectangle `win` (which must lie inside the image)
    /// of bands `bands` (0-based, each `< spp`) into `win.rows × win.cols`
    /// values each, row-major, converting every sample with `conv` (which
    /// receives the sample's native-endian bytes). Missing (sparse) blocks
    /// hold `fill`. Only the strips or tiles that intersect `win` are read
    /// and decompressed.
    pub fn decode_window<O, C>(
        &self,
        t: &mut TiffFile,
        bands: &[usize],
        fill: Option<f64>,
        parallel: bool,
        conv: C,
        win: PixelRect,
    ) -> Result<Vec<Vec<O>>>
    where
        O: Copy + Default + Send,
        C: Fn(&[u8]) -> O + Sync,
    {
        if win.rows == 0
            || win.cols == 0
            || win.row0 + win.rows > self.height
            || win.col0 + win.cols > self.width
        {
            return Err(t.unsupported(format!(
                "window rows {}..{} cols {}..{} is empty or outside the {}×{} image",
                win.row0,
                win.row0 + win.rows,
                win.col0,
                win.col0 + win.cols,
                self.height,
                self.width
            )));
        }
        let plane_len = win.rows * win.cols;
        let mut out: Vec<Vec<O>> = Vec::with_capacity(bands.len());
        for _ in bands {
            let mut v = Vec::new();
            v.try_reserve_exact(plane_len).map_err(|_| {
                t.unsupported(format!(
                    "cannot allocate memory for a band of {} × {} samples",
                    win.rows, win.cols
                ))
            })?;
            v.resize(plane_len, O::default());
            out.push(v);
        }
        // The chunks that intersect the window, plane by plane.
        let (cr0, cr1) = (
            win.row0 / self.chunk_h,
            (win.row0 + win.rows - 1) / self.chunk_h,
        );
        let (cc0, cc1) = (
            win.col0 / self.chunk_w,
            (win.col0 + win.cols - 1) / self.chunk_w,
        );
        let n = self.chunks_per_plane();
        let in_plane = |p: usize| {
            (cr0..=cr1)
                .flat_map(move |r| (cc0..=cc1).map(move |c| p * n + r * self.chunks_across + c))
        };
        let chunks: Vec<usize> = match self.interleave {
            Interleave::Pixel => in_plane(0).collect(),
            Interleave::Band => bands.iter().flat_map(|&b| in_plane(b)).collect(),
        };
        let fill_bytes = fill.and_then(|v| self.data_type.native_bytes(v));
        // Decode in batches to bound the memory held by decoded chunks.
        let batch = 64;
        for group in chunks.chunks(batch) {
            let mut raw = Vec::with_capacity(group.len());
            for &i in group {
                let (off, cnt) = (self.offsets[i], self.counts[i]);
                if off == 0 && cnt == 0 {
                    raw.push(None); // sparse file: block absent
                } else {
                    let data = t.read_at(off, cnt).map_err(|_| {
                        t.corrupt(format!(
                            "{} {i}: {cnt} bytes at offset {off} lie beyond the end of the file ({} bytes)",
                            if self.tiled { "tile" } else { "strip" },
                            t.len
                        ))
                    })?;
                    raw.push(Some(data));
                }
            }
            let t: &TiffFile = t;
            let work = |(k, data): (usize, &Option<Vec<u8>>)| -> Result<Vec<Option<Vec<O>>>> {
                let i = group[k];
                let bytes = match data {
                    Some(d) => self.decode_chunk(t, i, d)?,
                    None => self.fill_chunk(i, fill_bytes.as_deref()),
                };
                Ok(self.extract(i, &bytes, bands, &conv, win))
            };
            let decoded: Vec<Result<Vec<Option<Vec<O>>>>> = if parallel {
                par_map(&raw, work)
            } else {
                raw.iter().enumerate().map(work).collect()
            };
            for (k, d) in decoded.into_iter().enumerate() {
                self.scatter(group[k], &d?, &mut out, win);
            }
        }
        Ok(out)
    }

    /// A chunk of a missing block: the no-data value (or zeros).
    fn fill_chunk(&self, i: usize, fill: Option<&[u8]>) -> Vec<u8> {
        let n = self.chunk_len(i);
        match fill {
            Some(f) if !f.is_empty() => f.iter().copied().cycle().take(n).collect(),
            _ => vec![0u8; n],
        }
    }

    /// The part of chunk `i` inside `win`: image rows `ra..rb` and columns
    /// `ca..cb` (empty ranges if they do not meet).
    fn overlap(&self, i: usize, win: PixelRect) -> (usize, usize, usize, usize) {
        let (r0, c0, rows, cols) = self.chunk_rect(i);
        let (ra, rb) = (r0.max(win.row0), (r0 + rows).min(win.row0 + win.rows));
        let (ca, cb) = (c0.max(win.col0), (c0 + cols).min(win.col0 + win.cols));
        (ra, rb.max(ra), ca, cb.max(ca))
    }

    /// The converted values of the requested bands held by decoded chunk
    /// `i` inside `win`, each as a compact block of its
    /// [`Layout::overlap`] with the window (`None` for bands the chunk does
    /// not hold).
    fn extract<O, C: Fn(&[u8]) -> O>(
        &self,
        i: usize,
        chunk: &[u8],
        bands: &[usize],
        conv: &C,
        win: PixelRect,
    ) -> Vec<Option<Vec<O>>> {
        let bs = self.data_type.bytes();
        let (r0, c0, _, _) = self.chunk_rect(i);
        let (ra, rb, ca, cb) = self.overlap(i, win);
        let spp_c = self.chunk_spp();
        let row_stride = self.chunk_w * spp_c * bs;
        let px = spp_c * bs;
        let plane = i / self.chunks_per_plane();
        bands
            .iter()
            .map(|&b| {
                let sample = match self.interleave {
                    Interleave::Band if b != plane => return None,
                    Interleave::Band => 0,
                    Interleave::Pixel => b,
                };
                let mut v = Vec::with_capacity((rb - ra) * (cb - ca));
                for r in ra - r0..rb - r0 {
                    let start = r * row_stride + (ca - c0) * px;
                    let row = &chunk[start..start + (cb - ca) * px];
                    if spp_c == 1 {
                        v.extend(row.chunks_exact(bs).map(conv));
                    } else {
                        v.extend(
                            row.chunks_exact(px)
                                .map(|p| conv(&p[sample * bs..(sample + 1) * bs])),
                        );
                    }
                }
                Some(v)
            })
            .collect()
    }

    /// Copy the blocks extracted from chunk `i` (its overlap with `win`)
    /// into the window's band buffers.
    fn scatter<O: Copy>(
        &self,
        i: usize,
        blocks: &[Option<Vec<O>>],
        out: &mut [Vec<O>],
        win: PixelRect,
    ) {
        let (ra, rb, ca, cb) = self.overlap(i, win);
        let w = cb - ca;
        for (k, block) in blocks.iter().enumerate() {
            let Some(block) = block else { continue };
            for r in ra..rb {
                let s0 = (r - ra) * w;
                let d0 = (r - win.row0) * win.cols + (ca - win.col0);
                out[k][d0..d0 + w].copy_from_slice(&block[s0..s0 + w]);
            }
        }
    }

    /// Decompress chunk `i`, undo the predictor and convert to native byte order.
    fn decode_chunk(&self, t: &TiffFile, i: usize, src: &[u8]) -> Result<Vec<u8>> {
        let n = self.chunk_len(i);
        let what = if self.tiled { "tile" } else { "strip" };
        let mut out = vec![0u8; n];
        let short = |got: usize| {
            t.corrupt(format!(
                "{what} {i} decodes to {got} bytes, {n} expected ({} data)",
                self.compression
            ))
        };
        match self.compression {
            Compression::None => {
                if src.len() < n {
                    return Err(short(src.len()));
                }
                out.copy_from_slice(&src[..n]);
            }
            Compression::Deflate => {
                let mut dec = flate2::Decompress::new(true);
                let res = dec.decompress(src, &mut out, flate2::FlushDecompress::Finish);
                let got = usize::try_from(dec.total_out()).unwrap_or(0);
                // A stream longer than the chunk (some writers pad the last
                // strip) fills `out` and may stop with an error; accept it.
                match res {
                    _ if got >= n => {}
                    Ok(_) => return Err(short(got)),
                    Err(e) => {
                        return Err(t.corrupt(format!("{what} {i}: invalid Deflate data: {e}")))
                    }
                }
            }
            Compression::Lzw => {
                let got = lzw_decode(src, &mut out)
                    .map_err(|e| t.corrupt(format!("{what} {i}: invalid LZW data: {e}")))?;
                if got < n {
                    return Err(short(got));
                }
            }
            Compression::PackBits => {
                let got = packbits_decode(src, &mut out);
                if got < n {
                    return Err(short(got));
                }
            }
        }
        let bs = self.data_type.bytes();
        let spp_c = self.chunk_spp();
        let row_len = self.chunk_w * spp_c * bs;
        match self.predictor {
            3 => {
                let mut tmp = vec![0u8; row_len];
                for row in out.chunks_exact_mut(row_len) {
                    undo_float_predictor(row, &mut tmp, bs, spp_c);
                }
            }
            2 => {
                self.to_native(&mut out);
                for row in out.chunks_exact_mut(row_len) {
                    undo_horizontal(row, bs, spp_c);
                }
            }
            _ => self.to_native(&mut out),
        }
        Ok(out)
    }

    /// Swap file byte order to native order, per scalar component.
    fn to_native(&self, buf: &mut [u8]) {
        let native_big = cfg!(target_endian = "big");
        if self.big_endian == native_big {
            return;
        }
        let comp = self.data_type.component_bytes();
        if comp > 1 {
            for c in buf.chunks_exact_mut(comp) {
                c.reverse();
            }
        }
    }
}

/// Map `f` over `items` with their index, in parallel where rayon is enabled.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn((usize, &T)) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        items.par_iter().enumerate().map(f).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        items.iter().enumerate().map(f).collect()
    }
}

/// Decode TIFF LZW (MSB first, early code-size change) into `out`; returns
/// the number of bytes written (stops when `out` is full).
pub(crate) fn lzw_decode(src: &[u8], out: &mut [u8]) -> std::result::Result<usize, String> {
    if src.len() >= 2 && src[0] == 0 && src[1] & 1 == 1 {
        return Err("old-style (pre-TIFF 6.0, LSB-first) LZW is not supported".into());
    }
    let mut dec = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
    let mut inp = src;
    let mut got = 0;
    while got < out.len() {
        let r = dec.decode_bytes(inp, &mut out[got..]);
        inp = &inp[r.consumed_in..];
        got += r.consumed_out;
        match r.status {
            Ok(weezl::LzwStatus::Done) | Ok(weezl::LzwStatus::NoProgress) => break,
            Ok(weezl::LzwStatus::Ok) => {
                if r.consumed_in == 0 && r.consumed_out == 0 {
                    break;
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(got)
}

/// Decode PackBits into `out`; returns the number of bytes written. Stops at
/// the end of either buffer; a truncated run yields fewer bytes.
pub(crate) fn packbits_decode(src: &[u8], out: &mut [u8]) -> usize {
    let (mut i, mut o) = (0usize, 0usize);
    while i < src.len() && o < out.len() {
        let h = src[i] as i8;
        i += 1;
        if h >= 0 {
            let n = (h as usize + 1).min(src.len() - i).min(out.len() - o);
            out[o..o + n].copy_from_slice(&src[i..i + n]);
            i += n;
            o += n;
        } else if h != -128 {
            let n = ((1 - h as isize) as usize).min(out.len() - o);
            let Some(&v) = src.get(i) else { break };
            i += 1;
            out[o..o + n].fill(v);
            o += n;
        }
    }
    o
}

/// Undo TIFF predictor 2 on one row of native-endian samples of `bs` bytes
/// with `spp` interleaved samples per pixel (wrapping integer addition).
pub(crate) fn undo_horizontal(row: &mut [u8], bs: usize, spp: usize) {
    let stride = spp * bs;
    macro_rules! acc {
        ($t:ty, $n:literal) => {{
            let mut i = stride;
            while i + $n <= row.len() {
                let prev = <$t>::from_ne_bytes(
                    row[i - stride..i - stride + $n]
                        .try_into()
                        .unwrap_or([0; $n]),
                );
                let cur = <$t>::from_ne_bytes(row[i..i + $n].try_into().unwrap_or([0; $n]));
                row[i..i + $n].copy_from_slice(&cur.wrapping_add(prev).to_ne_bytes());
                i += $n;
            }
        }};
    }
    match bs {
        1 => {
            for i in stride..row.len() {
                row[i] = row[i].wrapping_add(row[i - stride]);
            }
        }
        2 => acc!(u16, 2),
        4 => acc!(u32, 4),
        8 => acc!(u64, 8),
        _ => {}
    }
}

/// Undo TIFF predictor 3 on one row: byte-wise horizontal accumulation with
/// stride `spp`, then un-shuffle the byte planes (most significant first)
/// into native-endian samples of `bs` bytes. `tmp` has the row's length.
pub(crate) fn undo_float_predictor(row: &mut [u8], tmp: &mut [u8], bs: usize, spp: usize) {
    if spp == 1 {
        let mut acc = 0u8;
        for b in row.iter_mut() {
            acc = acc.wrapping_add(*b);
            *b = acc;
        }
    } else {
        for i in spp..row.len() {
            row[i] = row[i].wrapping_add(row[i - spp]);
        }
    }
    let tmp = &mut tmp[..row.len()];
    match bs {
        4 => unshuffle::<4>(row, tmp),
        8 => unshuffle::<8>(row, tmp),
        _ => {
            let wc = row.len() / bs;
            for j in 0..wc {
                for b in 0..bs {
                    tmp[j * bs + b] = row[b * wc + j];
                }
                if cfg!(target_endian = "little") {
                    tmp[j * bs..(j + 1) * bs].reverse();
                }
            }
        }
    }
    row.copy_from_slice(tmp);
}

/// Gather `BS` byte planes (most significant first) into native-endian
/// samples: sample `j` is made of byte `j` of every plane.
fn unshuffle<const BS: usize>(row: &[u8], tmp: &mut [u8]) {
    let wc = row.len() / BS;
    let planes: [&[u8]; BS] = std::array::from_fn(|p| &row[p * wc..(p + 1) * wc]);
    for (j, dst) in tmp.chunks_exact_mut(BS).enumerate().take(wc) {
        let mut be = [0u8; BS];
        for (p, plane) in planes.iter().enumerate() {
            be[p] = plane[j];
        }
        if cfg!(target_endian = "little") {
            be.reverse();
        }
        dst.copy_from_slice(&be);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packbits_example_from_the_tiff_spec() {
        // TIFF 6.0 specification, section 9 (PackBits), example data.
        let packed = [
            0xFEu8, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00, 0x2A, 0x22, 0xF7,
            0xAA,
        ];
        let expected = [
            0xAAu8, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0x22,
            0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
        ];
        let mut out = [0u8; 24];
        assert_eq!(packbits_decode(&packed, &mut out), 24);
        assert_eq!(out, expected);
        // Truncated input yields fewer bytes, no panic.
        let mut out = [0u8; 24];
        assert_eq!(packbits_decode(&packed[..4], &mut out), 4);
    }

    #[test]
    fn horizontal_predictor_u16_two_samples() {
        // Pixels (a, b): (1, 100), (3, 90), (65535, 95) stored as differences
        // per sample: (1, 100), (2, -10), (65532, 5) with wrapping.
        let diffs: [u16; 6] = [1, 100, 2, 65526, 65532, 5];
        let mut row: Vec<u8> = diffs.iter().flat_map(|v| v.to_ne_bytes()).collect();
        undo_horizontal(&mut row, 2, 2);
        let got: Vec<u16> = row
            .chunks_exact(2)
            .map(|c| u16::from_ne_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(got, vec![1, 100, 3, 90, 65535, 95]);
    }

    #[test]
    fn float_predictor_single_value_rows() {
        // One f32 sample: the byte planes are its big-endian bytes, stored
        // as byte-wise differences (TIFF Technical Note 3).
        let v = -1234.5f32;
        let be = v.to_be_bytes();
        let mut row = vec![
            be[0],
            be[1].wrapping_sub(be[0]),
            be[2].wrapping_sub(be[1]),
            be[3].wrapping_sub(be[2]),
        ];
        let mut tmp = vec![0u8; 4];
        undo_float_predictor(&mut row, &mut tmp, 4, 1);
        assert_eq!(f32::from_ne_bytes([row[0], row[1], row[2], row[3]]), v);
    }
}
