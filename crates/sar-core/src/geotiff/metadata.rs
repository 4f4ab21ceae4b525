//! GDAL's metadata tag (TIFF tag 42112, `GDAL_METADATA`): an XML document
//! of `<Item name="…">value</Item>` elements, dataset items without a
//! `sample` attribute, band items with `sample="0"` (0-based band), and the
//! band description and unit as items with `role="description"` and
//! `role="unittype"`. This is what GDAL writes into a GeoTIFF and what
//! rasterio returns from `ds.tags()`, `ds.descriptions` and `ds.units`.

/// Metadata of one band: description, unit and `name = value` items.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BandMetadata {
    /// Band description (GDAL `role="description"`, rasterio
    /// `ds.descriptions`).
    pub description: Option<String>,
    /// Unit of the values, e.g. `m/d` (GDAL `role="unittype"`, rasterio
    /// `ds.units`).
    pub unit: Option<String>,
    /// Other band items `(name, value)` in file order (rasterio
    /// `ds.tags(band)`).
    pub items: Vec<(String, String)>,
}

impl BandMetadata {
    /// True if nothing is set.
    pub fn is_empty(&self) -> bool {
        self.description.is_none() && self.unit.is_none() && self.items.is_empty()
    }
}

/// The GDAL metadata of a GeoTIFF (tag 42112, `GDAL_METADATA`).
///
/// Written with [`WriteOptions::metadata`](super::WriteOptions::metadata),
/// read into [`GeoTiffInfo::metadata`](super::GeoTiffInfo::metadata).
///
/// ```
/// use sar_core::geotiff::GdalMetadata;
///
/// let mut md = GdalMetadata::default();
/// md.set("DATES", "2020-01-01,2020-01-13");
/// md.band_mut(0).unit = Some("m/d".into());
/// let xml = md.to_xml();
/// assert!(xml.contains(r#"<Item name="UNITTYPE" sample="0" role="unittype">m/d</Item>"#));
/// assert_eq!(GdalMetadata::from_xml(&xml, 1).unwrap(), md);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GdalMetadata {
    /// Dataset items `(name, value)` in file order (rasterio `ds.tags()`).
    pub items: Vec<(String, String)>,
    /// Band metadata, index = band (0-based); may be shorter than the
    /// number of bands.
    pub bands: Vec<BandMetadata>,
}

/// Longest metadata document [`GdalMetadata::from_xml`] accepts (bytes);
/// GDAL itself refuses to write more than about 1 MB into a TIFF tag.
pub const MAX_METADATA_BYTES: usize = 16 << 20;

impl GdalMetadata {
    /// True if there are no items, descriptions or units.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.bands.iter().all(BandMetadata::is_empty)
    }

    /// The value of dataset item `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Set dataset item `name` to `value` (replacing an existing one).
    pub fn set(&mut self, name: impl Into<String>, value: impl ToString) -> &mut Self {
        let name = name.into();
        let value = value.to_string();
        match self.items.iter_mut().find(|(k, _)| *k == name) {
            Some(kv) => kv.1 = value,
            None => self.items.push((name, value)),
        }
        self
    }

    /// The metadata of band `band` (0-based), if any was set or read.
    pub fn band(&self, band: usize) -> Option<&BandMetadata> {
        self.bands.get(band)
    }

    /// The metadata of band `band` (0-based) for editing, created empty if
    /// needed.
    pub fn band_mut(&mut self, band: usize) -> &mut BandMetadata {
        if self.bands.len() <= band {
            self.bands.resize_with(band + 1, BandMetadata::default);
        }
        &mut self.bands[band]
    }

    /// The XML document GDAL writes into tag 42112.
    pub fn to_xml(&self) -> String {
        let mut x = String::from("<GDALMetadata>\n");
        let item =
            |x: &mut String, name: &str, sample: Option<usize>, role: Option<&str>, v: &str| {
                x.push_str("  <Item name=\"");
                x.push_str(&escape(name));
                x.push('"');
                if let Some(s) = sample {
                    x.push_str(&format!(" sample=\"{s}\""));
                }
                if let Some(r) = role {
                    x.push_str(&format!(" role=\"{r}\""));
                }
                x.push('>');
                // GDAL escapes values twice (CPLEscapeString, then the XML
                // serializer) and unescapes them twice on reading.
                x.push_str(&escape(&escape(v)));
                x.push_str("</Item>\n");
            };
        for (k, v) in &self.items {
            item(&mut x, k, None, None, v);
        }
        for (b, bm) in self.bands.iter().enumerate() {
            for (k, v) in &bm.items {
                item(&mut x, k, Some(b), None, v);
            }
            if let Some(d) = &bm.description {
                item(&mut x, "DESCRIPTION", Some(b), Some("description"), d);
            }
            if let Some(u) = &bm.unit {
                item(&mut x, "UNITTYPE", Some(b), Some("unittype"), u);
            }
        }
        x.push_str("</GDALMetadata>\n");
        x
    }

    /// Parse GDAL's metadata XML for a file of `n_bands` bands. Items of
    /// other domains (an explicit `domain` attribute), roles other than
    /// description and unit type (scale, offset, …) and bands outside
    /// `0..n_bands` are skipped. An error says what is malformed.
    pub fn from_xml(xml: &str, n_bands: usize) -> Result<GdalMetadata, String> {
        if xml.len() > MAX_METADATA_BYTES {
            return Err(format!(
                "the metadata document has {} bytes, more than {MAX_METADATA_BYTES}",
                xml.len()
            ));
        }
        if xml.contains('\0') {
            // XML cannot hold NUL, and a TIFF ASCII value ends at it.
            return Err("the metadata holds a NUL character".into());
        }
        let body = xml.trim();
        let body = body
            .strip_prefix("<GDALMetadata")
            .filter(|b| b.starts_with(|c: char| c == '>' || c == '/' || c.is_whitespace()))
            .ok_or("the metadata does not start with <GDALMetadata>")?;
        let mut md = GdalMetadata::default();
        if body.trim_start().starts_with("/>") {
            return Ok(md);
        }
        let open_end = body
            .find('>')
            .ok_or("unterminated <GDALMetadata> element")?;
        let mut rest = &body[open_end + 1..];
        loop {
            rest = rest.trim_start();
            if rest.starts_with("</GDALMetadata") {
                return Ok(md);
            }
            if let Some(r) = rest.strip_prefix("<!--") {
                let end = r.find("-->").ok_or("unterminated comment")?;
                rest = &r[end + 3..];
                continue;
            }
            let r = rest.strip_prefix("<Item").ok_or_else(|| {
                format!("expected <Item> or </GDALMetadata> at '{}'", snippet(rest))
            })?;
            let tag_end = r.find('>').ok_or("unterminated <Item> element")?;
            let (attrs_text, self_closing) = match r[..tag_end].strip_suffix('/') {
                Some(a) => (a, true),
                None => (&r[..tag_end], false),
            };
            let attrs = parse_attrs(attrs_text)?;
            rest = &r[tag_end + 1..];
            let value = if self_closing {
                String::new()
            } else {
                let end = rest
                    .find("</Item>")
                    .ok_or("an <Item> is not closed by </Item>")?;
                let v = unescape_lenient(&unescape(&rest[..end])?);
                rest = &rest[end + "</Item>".len()..];
                v
            };
            let attr = |k: &str| attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
            let name = attr("name").ok_or("an <Item> has no name attribute")?;
            if attr("domain").is_some_and(|d| !d.is_empty()) {
                continue;
            }
            match attr("sample") {
                None => md.items.push((name.to_string(), value)),
                Some(s) => {
                    let b: usize = s
                        .trim()
                        .parse()
                        .map_err(|_| format!("sample=\"{s}\" is not a band number"))?;
                    if b >= n_bands {
                        continue;
                    }
                    match attr("role") {
                        None => md.band_mut(b).items.push((name.to_string(), value)),
                        Some("description") => md.band_mut(b).description = Some(value),
                        Some("unittype") => md.band_mut(b).unit = Some(value),
                        Some(_) => {}
                    }
                }
            }
        }
    }
}

fn snippet(s: &str) -> String {
    s.chars().take(24).collect()
}

/// `key="value"` pairs of an element's attribute text.
fn parse_attrs(mut s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Ok(out);
        }
        let eq = s
            .find('=')
            .ok_or_else(|| format!("attribute without a value at '{}'", snippet(s)))?;
        let key = s[..eq].trim().to_string();
        let v = s[eq + 1..].trim_start();
        let quote = v
            .chars()
            .next()
            .filter(|&c| c == '"' || c == '\'')
            .ok_or_else(|| format!("attribute {key} has no quoted value"))?;
        let v = &v[1..];
        let end = v
            .find(quote)
            .ok_or_else(|| format!("attribute {key} is not closed"))?;
        out.push((key, unescape(&v[..end])?));
        s = &v[end + 1..];
    }
}

/// XML text with `& < > " '` escaped.
fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // A TIFF ASCII value ends at NUL, and XML cannot hold it.
            '\0' => {}
            c => o.push(c),
        }
    }
    o
}

/// GDAL's second unescaping of a value (`CPLUnescapeString` with
/// `CPLES_XML`): the five named entities and character references are
/// resolved, anything else is kept as it is.
fn unescape_lenient(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        o.push_str(&rest[..i]);
        let r = &rest[i..];
        match r
            .find(';')
            .filter(|&e| e <= 11)
            .map(|e| (e, unescape(&r[..=e])))
        {
            Some((e, Ok(c))) => {
                o.push_str(&c);
                rest = &r[e + 1..];
            }
            _ => {
                o.push('&');
                rest = &r[1..];
            }
        }
    }
    o.push_str(rest);
    o
}

/// XML text with entity and character references resolved.
fn unescape(s: &str) -> Result<String, String> {
    let mut o = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        o.push_str(&rest[..i]);
        let r = &rest[i + 1..];
        let end = r
            .find(';')
            .filter(|&e| e <= 10)
            .ok_or_else(|| format!("bad entity at '&{}'", snippet(r)))?;
        let ent = &r[..end];
        let c = match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code =
                    if let Some(h) = ent.strip_prefix("#x").or_else(|| ent.strip_prefix("#X")) {
                        u32::from_str_radix(h, 16).ok()
                    } else if let Some(d) = ent.strip_prefix('#') {
                        d.parse().ok()
                    } else {
                        None
                    };
                code.filter(|&c| c != 0)
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown entity &{ent};"))?
            }
        };
        o.push(c);
        rest = &r[end + 1..];
    }
    o.push_str(rest);
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{geotiff, Crs, Grid, Raster};

    #[test]
    fn written_tag_is_read_back_for_every_band() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("md.tif");
        let g = Grid::north_up(3, 4, 500_000.0, 7_000_000.0, 10.0, 10.0, Crs::epsg(32633));
        let bands: Vec<Raster<f32>> = (0..2)
            .map(|b| Raster::new(ndarray::Array2::from_elem((3, 4), b as f32), g.clone()).unwrap())
            .collect();
        let mut md = GdalMetadata::default();
        md.set("DATES", "2020-01-01,2020-01-13")
            .set("TEMPLATE_PX", 64);
        md.band_mut(0).description = Some("east velocity".into());
        md.band_mut(0).unit = Some("m/d".into());
        md.band_mut(1).unit = Some("dB".into());
        md.band_mut(1).items.push(("NOTE".into(), "a < b".into()));
        let opts = geotiff::WriteOptions::default().metadata(md.clone());
        geotiff::write_bands(&p, &bands, &opts).unwrap();
        let info = geotiff::read_info(&p).unwrap();
        assert_eq!(info.metadata, md);
        assert_eq!(info.metadata_error, None);
        assert_eq!(info.metadata.get("TEMPLATE_PX"), Some("64"));
        // The pixels and georeferencing are unchanged by the tag.
        let back = geotiff::read_f64(&p, 1).unwrap();
        assert!(back.grid.same_as(&g));
        assert!(back.data.iter().all(|&v| v == 1.0));
        // BigTIFF and pixel interleaving carry it too.
        let opts = opts.bigtiff(true).interleave(geotiff::Interleave::Pixel);
        geotiff::write_bands(&p, &bands, &opts).unwrap();
        assert_eq!(geotiff::read_info(&p).unwrap().metadata, md);
        // Band entries past the bands written are refused, nothing written.
        let q = dir.path().join("bad.tif");
        let mut too_many = md.clone();
        too_many.band_mut(2).unit = Some("m".into());
        let e = geotiff::write_bands(
            &q,
            &bands,
            &geotiff::WriteOptions::default().metadata(too_many),
        )
        .unwrap_err();
        assert!(e.to_string().contains("metadata"), "{e}");
        assert!(!q.exists());
        // No metadata: no tag, empty on reading.
        geotiff::write_f32(&q, &bands[0]).unwrap();
        assert!(geotiff::read_info(&q).unwrap().metadata.is_empty());
    }

    #[test]
    fn gdal_written_document_parses() {
        // As GDAL 3.x writes it (gdal_translate -mo, band description and unit).
        let xml = r#"<GDALMetadata>
  <Item name="AREA_OR_POINT">Area</Item>
  <Item name="DATES">2020-01-01,2020-01-13</Item>
  <Item name="OFFSET" sample="0" role="offset">0</Item>
  <Item name="STATISTICS_MEAN" sample="0">1.5</Item>
  <Item name="DESCRIPTION" sample="0" role="description">east velocity &amp; more</Item>
  <Item name="UNITTYPE" sample="0" role="unittype">m/d</Item>
  <Item name="foo" domain="OTHER">bar</Item>
  <Item name="DESCRIPTION" sample="7" role="description">no such band</Item>
</GDALMetadata>"#;
        let md = GdalMetadata::from_xml(xml, 1).unwrap();
        assert_eq!(md.get("DATES"), Some("2020-01-01,2020-01-13"));
        assert_eq!(md.get("AREA_OR_POINT"), Some("Area"));
        assert_eq!(md.get("foo"), None);
        let b = md.band(0).unwrap();
        assert_eq!(b.description.as_deref(), Some("east velocity & more"));
        assert_eq!(b.unit.as_deref(), Some("m/d"));
        assert_eq!(b.items, vec![("STATISTICS_MEAN".into(), "1.5".into())]);
        assert_eq!(md.bands.len(), 1);
    }

    #[test]
    fn gdal_double_escaping() {
        // gdal_translate -mo 'NOTE=x < y & "quoted"' writes this (GDAL 3.10).
        let xml = "<GDALMetadata>\n  <Item name=\"NOTE\">x &amp;lt; y &amp;amp; &amp;quot;quoted&amp;quot;</Item>\n</GDALMetadata>\n";
        let md = GdalMetadata::from_xml(xml, 1).unwrap();
        assert_eq!(md.get("NOTE"), Some("x < y & \"quoted\""));
        let mut ours = GdalMetadata::default();
        ours.set("NOTE", "x < y & \"quoted\"");
        assert_eq!(ours.to_xml(), xml);
        // Singly escaped values (other writers) read the same, and a lone
        // ampersand survives.
        let single = "<GDALMetadata><Item name=\"N\">a &amp; b &amp;c</Item></GDALMetadata>";
        assert_eq!(
            GdalMetadata::from_xml(single, 1).unwrap().get("N"),
            Some("a & b &c")
        );
    }

    #[test]
    fn round_trip_with_awkward_text() {
        let mut md = GdalMetadata::default();
        md.set("A<B>", "x & y \"q\" 'z' é");
        md.set("EMPTY", "");
        md.band_mut(2).unit = Some("m a⁻¹".into());
        md.band_mut(0).items.push(("K".into(), "<v>".into()));
        let back = GdalMetadata::from_xml(&md.to_xml(), 3).unwrap();
        assert_eq!(back, md);
        // Bands past the file's count are dropped on reading.
        let back = GdalMetadata::from_xml(&md.to_xml(), 1).unwrap();
        assert_eq!(back.bands.len(), 1);
    }

    #[test]
    fn malformed_documents_are_errors() {
        for bad in [
            "",
            "<Other/>",
            "<GDALMetadata><Item>x</Item></GDALMetadata>",
            "<GDALMetadata><Item name=\"a\">x</GDALMetadata>",
            "<GDALMetadata><Item name=\"a\" sample=\"-1\">x</Item></GDALMetadata>",
            "<GDALMetadata><Item name=\"a\">&bogus;</Item></GDALMetadata>",
            "<GDALMetadata><Item name=\"a\">&#xFFFFFFFF;</Item></GDALMetadata>",
            "<GDALMetadata><Item name=\"a\">&#0;</Item></GDALMetadata>",
            "<GDALMetadata><Item name=a>x</Item></GDALMetadata>",
            "<GDALMetadata",
            "<GDALMetadata#<Item name=\"a\">x</Item></GDALMetadata>",
            // Found by fuzzing (fuzz/seeds/metadata_text/crash-e169aead):
            // a raw NUL inside a name was dropped on writing, so the
            // metadata changed on a round trip.
            "<GDALMetadata><Item name=\"UNIT\u{d4}Y\u{1}\0\0\u{7f}\">m/d</Item></GDALMetadata>",
        ] {
            assert!(GdalMetadata::from_xml(bad, 4).is_err(), "{bad}");
        }
        assert!(GdalMetadata::from_xml("<GDALMetadata/>", 1)
            .unwrap()
            .is_empty());
    }
}
