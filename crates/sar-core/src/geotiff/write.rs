//! The GeoTIFF writer: chunk encoding (predictor + compression, in
//! parallel), tag layout for classic TIFF or BigTIFF, and the atomic
//! write-then-rename.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::geokeys::build_geotags;
use super::tiff::{io_error, tag, ty};
use super::{Compression, Interleave, Sample, WriteOptions};
use crate::error::{Result, SarError};
use crate::raster::Raster;

/// Uncompressed strip size the default rows-per-strip aims at (bytes).
const STRIP_TARGET_BYTES: usize = 256 * 1024;

fn invalid(name: &'static str, reason: String) -> SarError {
    SarError::InvalidParameter { name, reason }
}

/// Same no-data: equal values, or both NaN, or both absent.
fn same_nodata(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => false,
    }
}

/// Text of the GDAL_NODATA tag for `v` (shortest round-trip form).
pub(crate) fn nodata_text(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{v}")
    }
}

/// One tag to write: values already encoded little-endian.
struct OutTag {
    tag: u16,
    typ: u16,
    count: u64,
    bytes: Vec<u8>,
}

fn shorts(tag: u16, v: &[u16]) -> OutTag {
    OutTag {
        tag,
        typ: ty::SHORT,
        count: v.len() as u64,
        bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    }
}

fn long(tag: u16, v: u32) -> OutTag {
    OutTag {
        tag,
        typ: ty::LONG,
        count: 1,
        bytes: v.to_le_bytes().to_vec(),
    }
}

fn offsets(tag: u16, v: &[u64], big: bool) -> OutTag {
    if big {
        OutTag {
            tag,
            typ: ty::LONG8,
            count: v.len() as u64,
            bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    } else {
        OutTag {
            tag,
            typ: ty::LONG,
            count: v.len() as u64,
            // Only called with values < 2^32 (checked by the layout choice).
            bytes: v.iter().flat_map(|&x| (x as u32).to_le_bytes()).collect(),
        }
    }
}

fn doubles(tag: u16, v: &[f64]) -> OutTag {
    OutTag {
        tag,
        typ: ty::DOUBLE,
        count: v.len() as u64,
        bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    }
}

fn ascii(tag: u16, s: &str) -> OutTag {
    let mut bytes = s.as_bytes().to_vec();
    bytes.push(0);
    OutTag {
        tag,
        typ: ty::ASCII,
        count: bytes.len() as u64,
        bytes,
    }
}

/// The chunk grid of the output image.
struct Plan {
    width: usize,
    height: usize,
    nb: usize,
    bs: usize,
    chunk_w: usize,
    chunk_h: usize,
    across: usize,
    down: usize,
    tiled: bool,
    interleave: Interleave,
    predictor: u16,
}

impl Plan {
    fn spp_c(&self) -> usize {
        match self.interleave {
            Interleave::Pixel => self.nb,
            Interleave::Band => 1,
        }
    }

    fn planes(&self) -> usize {
        match self.interleave {
            Interleave::Pixel => 1,
            Interleave::Band => self.nb,
        }
    }
}

/// Write `bands` to `path` (see [`super::write_bands`]).
pub(crate) fn write_image<T: Sample>(
    path: &Path,
    bands: &[Raster<T>],
    opts: &WriteOptions,
) -> Result<()> {
    opts.check()?;
    let first = bands.first().ok_or_else(|| {
        invalid(
            "bands",
            "at least one band is needed to write a GeoTIFF".into(),
        )
    })?;
    let (height, width) = first.shape();
    if width == 0 || height == 0 {
        return Err(invalid(
            "bands",
            format!("cannot write an empty {height}×{width} raster"),
        ));
    }
    if width > u32::MAX as usize || height > u32::MAX as usize || bands.len() > 65535 {
        return Err(invalid(
            "bands",
            format!("{height}×{width}×{} is too large for TIFF", bands.len()),
        ));
    }
    for (i, b) in bands.iter().enumerate().skip(1) {
        first.ensure_same_grid(b)?;
        if b.shape() != first.shape() {
            return Err(SarError::ShapeMismatch {
                what: format!("band {i}"),
                expected: first.shape(),
                found: b.shape(),
            });
        }
        if !same_nodata(b.nodata, first.nodata) {
            return Err(invalid(
                "bands",
                format!(
                    "band {i} has no-data {:?} but band 0 has {:?}; a GeoTIFF holds one no-data value for all bands",
                    b.nodata, first.nodata
                ),
            ));
        }
    }
    let dt = T::DATA_TYPE;
    // No-data: floats always declare one ("nan" if none is set).
    let nodata = if dt.is_float() {
        Some(first.nodata.unwrap_or(f64::NAN))
    } else {
        first.nodata
    };
    if let Some(v) = nodata {
        if !dt.is_float() && !dt.is_complex() && dt.native_bytes(v).is_none() {
            return Err(invalid(
                "nodata",
                format!("no-data value {v} cannot be stored in {dt} samples"),
            ));
        }
    }
    let metadata_xml = match &opts.metadata {
        Some(md) if md.bands.len() > bands.len() => {
            return Err(invalid(
                "metadata",
                format!(
                    "metadata describes {} bands but {} band(s) are written",
                    md.bands.len(),
                    bands.len()
                ),
            ))
        }
        Some(md) => Some(md.to_xml()),
        None => None,
    };
    let replace_nan = nodata.filter(|v| dt.is_float() && !v.is_nan());
    let geo = build_geotags(&first.grid.transform, &first.grid.crs)
        .map_err(|reason| invalid("grid", reason))?;

    let nb = bands.len();
    let bs = dt.bytes();
    let spp_c = if opts.interleave == Interleave::Pixel {
        nb
    } else {
        1
    };
    let (tiled, chunk_w, chunk_h) = match opts.tile_size {
        Some(n) => (true, n, n),
        None => {
            let rps = opts
                .rows_per_strip
                .unwrap_or_else(|| (STRIP_TARGET_BYTES / (width * spp_c * bs)).max(1));
            (false, width, rps.min(height))
        }
    };
    // As in libtiff, predictors go with LZW and Deflate only.
    let predictor = if !matches!(opts.compression, Compression::Lzw | Compression::Deflate)
        || !opts.predictor
    {
        1
    } else if dt.is_float() {
        3
    } else if dt.is_complex() {
        1
    } else {
        2
    };
    let plan = Plan {
        width,
        height,
        nb,
        bs,
        chunk_w,
        chunk_h,
        across: width.div_ceil(chunk_w),
        down: height.div_ceil(chunk_h),
        tiled,
        interleave: opts.interleave,
        predictor,
    };
    let n_chunks = plan.across * plan.down * plan.planes();
    let encode = |i: usize| -> Result<Vec<u8>> { encode_chunk(&plan, bands, i, replace_nan, opts) };
    let chunks: Vec<Vec<u8>> = {
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            (0..n_chunks)
                .into_par_iter()
                .map(encode)
                .collect::<Result<_>>()?
        }
        #[cfg(not(feature = "rayon"))]
        {
            (0..n_chunks).map(encode).collect::<Result<_>>()?
        }
    };

    // Tags (values whose offsets depend on the layout are filled in below).
    let comp_code = match opts.compression {
        Compression::None => 1,
        Compression::Lzw => 5,
        Compression::Deflate => 8,
        Compression::PackBits => 32773,
    };
    let (fmt, bits) = dt.tiff_format();
    let build_tags = |chunk_offsets: &[u64], big: bool| -> Vec<OutTag> {
        let counts: Vec<u64> = chunks.iter().map(|c| c.len() as u64).collect();
        let mut t = vec![
            long(tag::IMAGE_WIDTH, width as u32),
            long(tag::IMAGE_LENGTH, height as u32),
            shorts(tag::BITS_PER_SAMPLE, &vec![bits; nb]),
            shorts(tag::COMPRESSION, &[comp_code]),
            shorts(tag::PHOTOMETRIC, &[1]),
            shorts(tag::SAMPLES_PER_PIXEL, &[nb as u16]),
            shorts(
                tag::PLANAR_CONFIGURATION,
                &[if plan.interleave == Interleave::Pixel {
                    1
                } else {
                    2
                }],
            ),
            shorts(tag::SAMPLE_FORMAT, &vec![fmt; nb]),
        ];
        if tiled {
            t.push(long(tag::TILE_WIDTH, chunk_w as u32));
            t.push(long(tag::TILE_LENGTH, chunk_h as u32));
            t.push(offsets(tag::TILE_OFFSETS, chunk_offsets, big));
            t.push(offsets(tag::TILE_BYTE_COUNTS, &counts, big));
        } else {
            t.push(offsets(tag::STRIP_OFFSETS, chunk_offsets, big));
            t.push(long(tag::ROWS_PER_STRIP, chunk_h as u32));
            t.push(offsets(tag::STRIP_BYTE_COUNTS, &counts, big));
        }
        if predictor != 1 {
            t.push(shorts(tag::PREDICTOR, &[predictor]));
        }
        if nb > 1 {
            t.push(shorts(tag::EXTRA_SAMPLES, &vec![0; nb - 1]));
        }
        if let Some(s) = geo.pixel_scale {
            t.push(doubles(tag::MODEL_PIXEL_SCALE, &s));
        }
        if let Some(tp) = geo.tiepoint {
            t.push(doubles(tag::MODEL_TIEPOINT, &tp));
        }
        if let Some(m) = geo.transformation {
            t.push(doubles(tag::MODEL_TRANSFORMATION, &m));
        }
        if !geo.key_directory.is_empty() {
            t.push(shorts(tag::GEO_KEY_DIRECTORY, &geo.key_directory));
        }
        if !geo.double_params.is_empty() {
            t.push(doubles(tag::GEO_DOUBLE_PARAMS, &geo.double_params));
        }
        if let Some(a) = &geo.ascii_params {
            t.push(ascii(tag::GEO_ASCII_PARAMS, a));
        }
        if let Some(x) = &metadata_xml {
            t.push(ascii(tag::GDAL_METADATA, x));
        }
        if let Some(v) = nodata {
            t.push(ascii(tag::GDAL_NODATA, &nodata_text(v)));
        }
        t.sort_by_key(|x| x.tag);
        t
    };

    // Layout: header, chunk data, IFD, out-of-line tag values.
    let layout = |big: bool| -> (Vec<u64>, u64, Vec<OutTag>, u64) {
        let header = if big { 16u64 } else { 8 };
        let mut pos = header;
        let mut offs = Vec::with_capacity(chunks.len());
        for c in &chunks {
            offs.push(pos);
            pos += c.len() as u64;
        }
        let ifd_at = pos.div_ceil(8) * 8;
        let tags = build_tags(&offs, big);
        let (entry, head, tail, inline) = if big { (20, 8, 8, 8) } else { (12, 2, 4, 4) };
        let mut end = ifd_at + head + entry * tags.len() as u64 + tail;
        for t in &tags {
            if t.bytes.len() as u64 > inline {
                end = end.div_ceil(2) * 2 + t.bytes.len() as u64;
            }
        }
        (offs, ifd_at, tags, end)
    };
    let mut big = opts.bigtiff;
    let mut plan_out = layout(big);
    if !big && plan_out.3 > u64::from(u32::MAX) {
        big = true;
        plan_out = layout(true);
    }
    let (_, ifd_at, tags, _) = plan_out;

    atomic_write(path, |w| {
        // Header.
        if big {
            w.write_all(b"II")?;
            w.write_all(&43u16.to_le_bytes())?;
            w.write_all(&8u16.to_le_bytes())?;
            w.write_all(&0u16.to_le_bytes())?;
            w.write_all(&ifd_at.to_le_bytes())?;
        } else {
            w.write_all(b"II")?;
            w.write_all(&42u16.to_le_bytes())?;
            w.write_all(&(ifd_at as u32).to_le_bytes())?;
        }
        let mut pos = if big { 16u64 } else { 8 };
        for c in &chunks {
            w.write_all(c)?;
            pos += c.len() as u64;
        }
        w.write_all(&vec![0u8; (ifd_at - pos) as usize])?;
        pos = ifd_at;
        let (entry, head, tail, inline) = if big { (20, 8, 8, 8) } else { (12, 2, 4, 4) };
        let mut extra_at = ifd_at + head + entry * tags.len() as u64 + tail;
        let mut extras: Vec<(u64, &[u8])> = Vec::new();
        if big {
            w.write_all(&(tags.len() as u64).to_le_bytes())?;
        } else {
            w.write_all(&(tags.len() as u16).to_le_bytes())?;
        }
        for t in &tags {
            w.write_all(&t.tag.to_le_bytes())?;
            w.write_all(&t.typ.to_le_bytes())?;
            if big {
                w.write_all(&t.count.to_le_bytes())?;
            } else {
                w.write_all(&(t.count as u32).to_le_bytes())?;
            }
            let mut field = [0u8; 8];
            if t.bytes.len() as u64 <= inline {
                field[..t.bytes.len()].copy_from_slice(&t.bytes);
            } else {
                extra_at = extra_at.div_ceil(2) * 2;
                if big {
                    field.copy_from_slice(&extra_at.to_le_bytes());
                } else {
                    field[..4].copy_from_slice(&(extra_at as u32).to_le_bytes());
                }
                extras.push((extra_at, &t.bytes));
                extra_at += t.bytes.len() as u64;
            }
            w.write_all(&field[..inline as usize])?;
        }
        // No next IFD.
        w.write_all(&vec![0u8; tail as usize])?;
        pos += head + entry * tags.len() as u64 + tail;
        for (at, bytes) in extras {
            if at > pos {
                w.write_all(&vec![0u8; (at - pos) as usize])?;
                pos = at;
            }
            w.write_all(bytes)?;
            pos += bytes.len() as u64;
        }
        Ok(())
    })
}

/// Encode chunk `i`: pixel values → little-endian bytes → predictor → compression.
fn encode_chunk<T: Sample>(
    plan: &Plan,
    bands: &[Raster<T>],
    i: usize,
    replace_nan: Option<f64>,
    opts: &WriteOptions,
) -> Result<Vec<u8>> {
    let per_plane = plan.across * plan.down;
    let plane = i / per_plane;
    let local = i % per_plane;
    let r0 = (local / plan.across) * plan.chunk_h;
    let c0 = (local % plan.across) * plan.chunk_w;
    let rows_valid = plan.chunk_h.min(plan.height - r0);
    let cols_valid = plan.chunk_w.min(plan.width - c0);
    let rows = if plan.tiled { plan.chunk_h } else { rows_valid };
    let spp_c = plan.spp_c();
    let bs = plan.bs;
    let row_len = plan.chunk_w * spp_c * bs;
    let mut buf = vec![0u8; rows * row_len];
    let band_ids: Vec<usize> = match plan.interleave {
        Interleave::Pixel => (0..plan.nb).collect(),
        Interleave::Band => vec![plane],
    };
    for r in 0..rows_valid {
        let row = &mut buf[r * row_len..(r + 1) * row_len];
        for (s, &b) in band_ids.iter().enumerate() {
            let src = bands[b].data.row(r0 + r);
            for (c, v) in src.iter().skip(c0).take(cols_valid).enumerate() {
                let v = match replace_nan {
                    Some(nd) => v.nan_to(nd),
                    None => *v,
                };
                let at = (c * spp_c + s) * bs;
                v.put_le(&mut row[at..at + bs]);
            }
        }
    }
    match plan.predictor {
        2 => {
            for row in buf.chunks_exact_mut(row_len) {
                horizontal_diff_le(row, bs, spp_c);
            }
        }
        3 => {
            let mut tmp = vec![0u8; row_len];
            for row in buf.chunks_exact_mut(row_len) {
                float_diff(row, &mut tmp, bs, spp_c);
            }
        }
        _ => {}
    }
    Ok(match opts.compression {
        Compression::None => buf,
        Compression::Deflate => {
            let mut e = flate2::write::ZlibEncoder::new(
                Vec::with_capacity(buf.len() / 2),
                flate2::Compression::new(opts.deflate_level),
            );
            e.write_all(&buf)?;
            e.finish()?
        }
        Compression::Lzw => weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(&buf)
            .map_err(|e| invalid("compression", format!("LZW encoding failed: {e}")))?,
        Compression::PackBits => packbits_encode(&buf),
    })
}

/// Apply predictor 2 to a row of little-endian samples (wrapping differences).
fn horizontal_diff_le(row: &mut [u8], bs: usize, spp: usize) {
    let stride = spp * bs;
    macro_rules! diff {
        ($t:ty, $n:literal) => {{
            let mut i = row.len();
            while i >= stride + $n {
                i -= $n;
                let mut a = [0u8; $n];
                let mut p = [0u8; $n];
                a.copy_from_slice(&row[i..i + $n]);
                p.copy_from_slice(&row[i - stride..i - stride + $n]);
                let d = <$t>::from_le_bytes(a).wrapping_sub(<$t>::from_le_bytes(p));
                row[i..i + $n].copy_from_slice(&d.to_le_bytes());
            }
        }};
    }
    match bs {
        1 => {
            for i in (stride..row.len()).rev() {
                row[i] = row[i].wrapping_sub(row[i - stride]);
            }
        }
        2 => diff!(u16, 2),
        4 => diff!(u32, 4),
        8 => diff!(u64, 8),
        _ => {}
    }
}

/// Apply predictor 3 to a row of little-endian floats: shuffle into byte
/// planes, most significant first, then byte-wise differences with stride `spp`.
fn float_diff(row: &mut [u8], tmp: &mut [u8], bs: usize, spp: usize) {
    let wc = row.len() / bs;
    for j in 0..wc {
        for b in 0..bs {
            tmp[b * wc + j] = row[j * bs + (bs - 1 - b)];
        }
    }
    for i in (spp..row.len()).rev() {
        tmp[i] = tmp[i].wrapping_sub(tmp[i - spp]);
    }
    row.copy_from_slice(&tmp[..row.len()]);
}

/// PackBits encoding (TIFF 6.0, section 9).
fn packbits_encode(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len() + src.len() / 128 + 1);
    let mut i = 0;
    while i < src.len() {
        // Length of the run of equal bytes starting at i (max 128).
        let mut run = 1;
        while i + run < src.len() && run < 128 && src[i + run] == src[i] {
            run += 1;
        }
        if run >= 3 {
            out.push((1i16 - run as i16) as i8 as u8);
            out.push(src[i]);
            i += run;
        } else {
            // Literal bytes until a run of 3 starts (max 128).
            let start = i;
            while i < src.len() && i - start < 128 {
                if i + 2 < src.len() && src[i] == src[i + 1] && src[i] == src[i + 2] {
                    break;
                }
                i += 1;
            }
            out.push((i - start - 1) as u8);
            out.extend_from_slice(&src[start..i]);
        }
    }
    out
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Write a file atomically: `f` writes into a temporary file in the same
/// folder, which is flushed, fsynced and renamed onto `path`. On any error
/// the temporary file is removed and `path` is left as it was.
pub(crate) fn atomic_write(
    path: &Path,
    f: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let shown = path.display().to_string();
    let name = path
        .file_name()
        .ok_or_else(|| invalid("path", format!("{shown} does not name a file")))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(
        ".{}.{}.{n}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| io_error(&shown, e))?;
    let result = (|| -> Result<()> {
        let mut w = BufWriter::with_capacity(1 << 20, file);
        f(&mut w).map_err(|e| match e {
            SarError::Io(e) => io_error(&shown, e),
            other => other,
        })?;
        let file = w
            .into_inner()
            .map_err(|e| io_error(&shown, e.into_error()))?;
        file.sync_all().map_err(|e| io_error(&shown, e))?;
        drop(file);
        fs::rename(&tmp, path).map_err(|e| io_error(&shown, e))?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            // Persist the rename; not all platforms can sync a directory.
            if let Ok(d) = File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geotiff::decode::{packbits_decode, undo_float_predictor, undo_horizontal};

    #[test]
    fn packbits_roundtrip() {
        let mut src = vec![7u8; 300];
        src.extend((0..=255u8).cycle().take(400));
        src.extend([1, 1, 2, 2, 2, 3]);
        let enc = packbits_encode(&src);
        let mut out = vec![0u8; src.len()];
        assert_eq!(packbits_decode(&enc, &mut out), src.len());
        assert_eq!(out, src);
    }

    #[test]
    fn predictors_invert() {
        let vals: [f64; 5] = [1.5, -2.25, 1e300, f64::NAN, 0.0];
        let mut row: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let orig = row.clone();
        let mut tmp = vec![0u8; row.len()];
        float_diff(&mut row, &mut tmp, 8, 1);
        undo_float_predictor(&mut row, &mut tmp, 8, 1);
        if cfg!(target_endian = "little") {
            assert_eq!(row, orig);
        }
        let ints: [i32; 6] = [5, -7, i32::MAX, i32::MIN, 3, 0];
        let mut row: Vec<u8> = ints.iter().flat_map(|v| v.to_le_bytes()).collect();
        let orig = row.clone();
        horizontal_diff_le(&mut row, 4, 2);
        assert_ne!(row, orig);
        undo_horizontal(&mut row, 4, 2);
        if cfg!(target_endian = "little") {
            assert_eq!(row, orig);
        }
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.tif");
        fs::write(&path, b"old content").unwrap();
        // A write that fails midway, after some bytes have been written.
        let err = atomic_write(&path, |w| {
            w.write_all(&[1u8; 10_000])?;
            Err(SarError::InvalidParameter {
                name: "test",
                reason: "fails midway".into(),
            })
        })
        .unwrap_err();
        assert!(matches!(
            err,
            SarError::InvalidParameter { name: "test", .. }
        ));
        // The old file is untouched and no temporary file remains.
        assert_eq!(fs::read(&path).unwrap(), b"old content");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
