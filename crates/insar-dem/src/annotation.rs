//! TerraSAR-X / TanDEM-X level-1b annotation XML and the CoSSC product
//! directory, read and written.
//!
//! The element paths are those the open readers parse (sarpy
//! `sarpy/io/complex/tsx.py`, ISCE2 `TerraSARX.py` / `TanDEMX.py`), so a
//! real product reads like the fixtures this module writes:
//!
//! | quantity | element of `level1Product` |
//! |---|---|
//! | mission (`TSX-1`, `TDX-1`) | `productInfo/missionInfo/mission` |
//! | look side | `productInfo/acquisitionInfo/lookDirection` (`RIGHT`/`LEFT`) |
//! | image format | `productInfo/imageDataInfo/imageDataFormat` (`COSAR`) |
//! | lines, samples | `productInfo/imageDataInfo/imageRaster/numberOfRows`, `numberOfColumns` |
//! | range / azimuth sampling | `…/imageRaster/rowSpacing` (two-way range time, s), `columnSpacing` (azimuth time, s) |
//! | first line time | `productInfo/sceneInfo/start/timeUTC` |
//! | first sample range time | `productInfo/sceneInfo/rangeTime/firstPixel` (two-way, s) |
//! | centre frequency | `instrument/radarParameters/centerFrequency` (Hz) |
//! | PRF | `productSpecific/complexImageInfo/commonPRF` |
//! | polarisation, image file | `productComponents/imageData/polLayer`, `…/file/location/path`, `filename` |
//! | orbit | `platform/orbit/stateVec/{timeUTC,posX,posY,posZ,velX,velY,velZ}` |
//!
//! The CoSSC main annotation (`TDM…xml`, root `tdm`) lists both
//! components (`productComponents/component[@componentClass="imageData"]`
//! with `name` `cossc_component_primary`/`_secondary` and
//! `file/location/name`, the folder of that satellite's level-1b product)
//! and `commonAcquisitionInfo/inSARmasterID` (`SAT1`/`SAT2`) with
//! `satelliteIDsat1`/`satelliteIDsat2`: the InSAR master is the active
//! (transmitting) satellite of a bistatic acquisition. Only the active
//! image's annotation is used for the radar grid; of the passive one only
//! the orbit is used. `commonAcquisitionInfo/interferometricMode`
//! (`BISTATIC` when absent, or `MONOSTATIC`) is read when present.

use crate::cosar::{Cosar, CosarVersion};
use crate::error::{io_err, DemError, Result};
use crate::geometry::{
    AcquisitionMode, LookSide, Orbit, PairGeometry, RadarGrid, StateVector, SPEED_OF_LIGHT,
};
use ndarray::Array2;
use num_complex::Complex32;
use quick_xml::events::Event;
use std::path::{Path, PathBuf};

/// A parsed XML element: name, attributes, text and children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    /// Tag name (without namespace prefix).
    pub name: String,
    /// Attributes as (name, value).
    pub attributes: Vec<(String, String)>,
    /// Concatenated text content, trimmed.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// Parse a document and return its root element.
    pub fn parse(xml: &str, name: &str) -> Result<Element> {
        let err = |what: String| DemError::Annotation {
            path: name.to_string(),
            what,
        };
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack: Vec<Element> = vec![Element::default()];
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) => {
                    stack.push(Self::open(&e).map_err(err)?);
                }
                Ok(Event::Empty(e)) => {
                    let el = Self::open(&e).map_err(err)?;
                    stack.last_mut().expect("root").children.push(el);
                }
                Ok(Event::End(_)) => {
                    let mut el = stack.pop().expect("open element");
                    el.text = el.text.trim().to_string();
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => return Err(err("unbalanced end tag".into())),
                    }
                }
                Ok(Event::Text(t)) => {
                    let s = t.unescape().map_err(|e| {
                        err(format!(
                            "bad text at byte {}: {e}",
                            reader.buffer_position()
                        ))
                    })?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&s);
                    }
                }
                Ok(Event::CData(t)) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&String::from_utf8_lossy(&t));
                    }
                }
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => {
                    return Err(err(format!(
                        "malformed XML at byte {}: {e}",
                        reader.buffer_position()
                    )))
                }
            }
        }
        if stack.len() != 1 {
            return Err(err("unexpected end of document (unclosed element)".into()));
        }
        let doc = stack.pop().expect("document");
        doc.children
            .into_iter()
            .next()
            .ok_or_else(|| err("no root element".into()))
    }

    fn open(e: &quick_xml::events::BytesStart<'_>) -> std::result::Result<Element, String> {
        let full = String::from_utf8_lossy(e.name().as_ref()).to_string();
        let name = full.rsplit(':').next().unwrap_or(&full).to_string();
        let mut attributes = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|e| format!("bad attribute in <{name}>: {e}"))?;
            let k = String::from_utf8_lossy(a.key.as_ref()).to_string();
            let v = a
                .unescape_value()
                .map_err(|e| format!("bad attribute value in <{name}>: {e}"))?
                .to_string();
            attributes.push((k, v));
        }
        Ok(Element {
            name,
            attributes,
            text: String::new(),
            children: Vec::new(),
        })
    }

    /// The first descendant along a `/`-separated path of child names.
    pub fn find(&self, path: &str) -> Option<&Element> {
        let mut cur = self;
        for part in path.split('/') {
            cur = cur.children.iter().find(|c| c.name == part)?;
        }
        Some(cur)
    }

    /// All elements at a path (the last step may match several children).
    pub fn find_all(&self, path: &str) -> Vec<&Element> {
        let (head, last) = match path.rsplit_once('/') {
            Some((h, l)) => (Some(h), l),
            None => (None, path),
        };
        let parent = match head {
            Some(h) => match self.find(h) {
                Some(p) => p,
                None => return Vec::new(),
            },
            None => self,
        };
        parent.children.iter().filter(|c| c.name == last).collect()
    }

    /// Attribute value.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn text<'a>(root: &'a Element, path: &str, file: &str) -> Result<&'a str> {
    root.find(path)
        .map(|e| e.text.as_str())
        .ok_or_else(|| DemError::Annotation {
            path: file.to_string(),
            what: format!("missing element {}/{path}", root.name),
        })
}

fn number<T: std::str::FromStr>(root: &Element, path: &str, file: &str) -> Result<T> {
    let t = text(root, path, file)?;
    t.trim().parse::<T>().map_err(|_| DemError::Annotation {
        path: file.to_string(),
        what: format!("element {}/{path} = {t:?} is not a valid number", root.name),
    })
}

/// A UTC time `YYYY-MM-DDThh:mm:ss.ffffffZ` as (days since 1970-01-01, seconds of day).
pub fn parse_utc(s: &str) -> Option<(i64, f64)> {
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-');
    let y: i32 = d.next()?.parse().ok()?;
    let m: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let mut t = time.split(':');
    let hh: f64 = t.next()?.parse().ok()?;
    let mm: f64 = t.next()?.parse().ok()?;
    let ss: f64 = t.next()?.parse().ok()?;
    if !(0.0..24.0).contains(&hh) || !(0.0..60.0).contains(&mm) || !(0.0..61.0).contains(&ss) {
        return None;
    }
    let date = sar_core::Date::from_ymd(y, m, day).ok()?;
    Some((date.days_since_epoch(), hh * 3600.0 + mm * 60.0 + ss))
}

/// Format (days since 1970-01-01, seconds of day) as `YYYY-MM-DDThh:mm:ss.ffffffZ`.
pub fn format_utc(days: i64, seconds: f64) -> String {
    let extra = (seconds / 86400.0).floor();
    let date = sar_core::Date::from_days_since_epoch(days + extra as i64);
    let mut s = seconds - extra * 86400.0;
    let mut micros = (s * 1e6).round() as i64;
    if micros >= 86_400_000_000 {
        micros = 86_399_999_999;
    }
    s = micros as f64 / 1e6;
    let hh = (s / 3600.0).floor() as i64;
    let mm = ((s - hh as f64 * 3600.0) / 60.0).floor() as i64;
    let us = micros - (hh * 3600 + mm * 60) * 1_000_000;
    let (y, m, d) = date.ymd();
    format!(
        "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{:02}.{:06}Z",
        us / 1_000_000,
        us % 1_000_000
    )
}

/// The quantities of one satellite's level-1b annotation this crate uses.
/// Times are seconds since `reference_epoch_days` (midnight UTC of that
/// day, counted from 1970-01-01).
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// `productInfo/missionInfo/mission`, e.g. `TSX-1` or `TDX-1`.
    pub mission: String,
    /// Look side.
    pub look_side: LookSide,
    /// Polarisation layer, e.g. `HH`.
    pub polarisation: String,
    /// Folder of the image file relative to the annotation (`IMAGEDATA`).
    pub image_path: String,
    /// Image file name.
    pub image_filename: String,
    /// Azimuth lines.
    pub lines: usize,
    /// Range samples.
    pub samples: usize,
    /// Two-way range sampling time, seconds (`rowSpacing`).
    pub range_time_spacing: f64,
    /// Azimuth time spacing, seconds (`columnSpacing`).
    pub azimuth_time_spacing: f64,
    /// Two-way range time of the first sample, seconds.
    pub first_pixel_range_time: f64,
    /// Reference epoch: days since 1970-01-01 of the first line's UTC date.
    pub reference_epoch_days: i64,
    /// Time of the first line, seconds since the reference epoch.
    pub start_time: f64,
    /// Radar centre frequency, Hz.
    pub center_frequency: f64,
    /// Pulse repetition frequency, Hz.
    pub prf: f64,
    /// Orbit state vectors (times since the reference epoch).
    pub state_vectors: Vec<StateVector>,
}

impl Annotation {
    /// The radar grid of this image.
    pub fn radar_grid(&self) -> RadarGrid {
        RadarGrid {
            sensing_start: self.start_time,
            line_time: self.azimuth_time_spacing,
            near_range: 0.5 * SPEED_OF_LIGHT * self.first_pixel_range_time,
            range_spacing: 0.5 * SPEED_OF_LIGHT * self.range_time_spacing,
            wavelength: SPEED_OF_LIGHT / self.center_frequency,
            look_side: self.look_side,
            lines: self.lines,
            samples: self.samples,
        }
    }

    /// The orbit.
    pub fn orbit(&self) -> Result<Orbit> {
        Orbit::new(self.state_vectors.clone())
    }

    /// Parse a `level1Product` document.
    pub fn from_xml(xml: &str, file: &str) -> Result<Self> {
        let root = Element::parse(xml, file)?;
        if root.name != "level1Product" {
            return Err(DemError::Annotation {
                path: file.to_string(),
                what: format!("root element is <{}>, expected <level1Product>", root.name),
            });
        }
        let fmt = text(&root, "productInfo/imageDataInfo/imageDataFormat", file)?;
        if fmt != "COSAR" {
            return Err(DemError::Annotation {
                path: file.to_string(),
                what: format!("imageDataFormat is {fmt:?}; only COSAR products are read"),
            });
        }
        let look = text(&root, "productInfo/acquisitionInfo/lookDirection", file)?;
        let look_side = match look.to_ascii_uppercase().as_str() {
            "RIGHT" => LookSide::Right,
            "LEFT" => LookSide::Left,
            other => {
                return Err(DemError::Annotation {
                    path: file.to_string(),
                    what: format!("lookDirection {other:?} is neither RIGHT nor LEFT"),
                })
            }
        };
        let start = text(&root, "productInfo/sceneInfo/start/timeUTC", file)?;
        let (epoch, start_time) = parse_utc(start).ok_or_else(|| DemError::Annotation {
            path: file.to_string(),
            what: format!("sceneInfo/start/timeUTC {start:?} is not an ISO UTC time"),
        })?;
        let mut state_vectors = Vec::new();
        for (i, sv) in root
            .find_all("platform/orbit/stateVec")
            .into_iter()
            .enumerate()
        {
            let t = text(sv, "timeUTC", file)?;
            let (d, s) = parse_utc(t).ok_or_else(|| DemError::Annotation {
                path: file.to_string(),
                what: format!("stateVec {i} timeUTC {t:?} is not an ISO UTC time"),
            })?;
            let f = |n: &str| number::<f64>(sv, n, file);
            state_vectors.push(StateVector {
                time: (d - epoch) as f64 * 86400.0 + s,
                position: [f("posX")?, f("posY")?, f("posZ")?],
                velocity: [f("velX")?, f("velY")?, f("velZ")?],
            });
        }
        let a = Annotation {
            mission: text(&root, "productInfo/missionInfo/mission", file)?.to_string(),
            look_side,
            polarisation: text(&root, "productComponents/imageData/polLayer", file)?.to_string(),
            image_path: text(
                &root,
                "productComponents/imageData/file/location/path",
                file,
            )?
            .to_string(),
            image_filename: text(
                &root,
                "productComponents/imageData/file/location/filename",
                file,
            )?
            .to_string(),
            lines: number(
                &root,
                "productInfo/imageDataInfo/imageRaster/numberOfRows",
                file,
            )?,
            samples: number(
                &root,
                "productInfo/imageDataInfo/imageRaster/numberOfColumns",
                file,
            )?,
            range_time_spacing: number(
                &root,
                "productInfo/imageDataInfo/imageRaster/rowSpacing",
                file,
            )?,
            azimuth_time_spacing: number(
                &root,
                "productInfo/imageDataInfo/imageRaster/columnSpacing",
                file,
            )?,
            first_pixel_range_time: number(
                &root,
                "productInfo/sceneInfo/rangeTime/firstPixel",
                file,
            )?,
            reference_epoch_days: epoch,
            start_time,
            center_frequency: number(&root, "instrument/radarParameters/centerFrequency", file)?,
            prf: number(&root, "productSpecific/complexImageInfo/commonPRF", file)?,
            state_vectors,
        };
        a.radar_grid().check().map_err(|e| DemError::Annotation {
            path: file.to_string(),
            what: e.to_string(),
        })?;
        Ok(a)
    }

    /// Write as a `level1Product` document (the subset of the schema above).
    pub fn to_xml(&self) -> String {
        let e = |s: &str| quick_xml::escape::escape(s).to_string();
        let utc = |t: f64| format_utc(self.reference_epoch_days, t);
        let stop =
            self.start_time + (self.lines.saturating_sub(1)) as f64 * self.azimuth_time_spacing;
        let mut s = String::new();
        s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<level1Product>\n");
        s.push_str("  <generalHeader fileName=\"level1Product\"><itemName>Level 1B Product</itemName><generationSystem version=\"0.1.0\">cryosar insar-dem</generationSystem></generalHeader>\n");
        s.push_str(&format!(
            "  <productComponents><imageData layerIndex=\"1\"><polLayer>{}</polLayer><file><location><host>.</host><path>{}</path><filename>{}</filename></location></file></imageData></productComponents>\n",
            e(&self.polarisation), e(&self.image_path), e(&self.image_filename)
        ));
        s.push_str("  <productInfo>\n");
        s.push_str(&format!(
            "    <missionInfo><mission>{}</mission></missionInfo>\n",
            e(&self.mission)
        ));
        s.push_str(&format!(
            "    <acquisitionInfo><imagingMode>SM</imagingMode><lookDirection>{}</lookDirection><polarisationList><polLayer>{}</polLayer></polarisationList></acquisitionInfo>\n",
            match self.look_side { LookSide::Right => "RIGHT", LookSide::Left => "LEFT" },
            e(&self.polarisation)
        ));
        s.push_str(&format!(
            "    <imageDataInfo><imageDataFormat>COSAR</imageDataFormat><imageDataType>COMPLEX</imageDataType><imageRaster><numberOfRows>{}</numberOfRows><numberOfColumns>{}</numberOfColumns><rowSpacing>{:.17e}</rowSpacing><columnSpacing>{:.17e}</columnSpacing></imageRaster></imageDataInfo>\n",
            self.lines, self.samples, self.range_time_spacing, self.azimuth_time_spacing
        ));
        s.push_str(&format!(
            "    <sceneInfo><start><timeUTC>{}</timeUTC></start><stop><timeUTC>{}</timeUTC></stop><rangeTime><firstPixel>{:.17e}</firstPixel><lastPixel>{:.17e}</lastPixel></rangeTime></sceneInfo>\n",
            utc(self.start_time),
            utc(stop),
            self.first_pixel_range_time,
            self.first_pixel_range_time + (self.samples.saturating_sub(1)) as f64 * self.range_time_spacing
        ));
        s.push_str("  </productInfo>\n");
        s.push_str(&format!(
            "  <productSpecific><complexImageInfo><commonPRF>{:.17e}</commonPRF><imageCoordinateType>ZERODOPPLER</imageCoordinateType></complexImageInfo></productSpecific>\n",
            self.prf
        ));
        s.push_str(&format!(
            "  <instrument><radarParameters><centerFrequency>{:.17e}</centerFrequency></radarParameters></instrument>\n",
            self.center_frequency
        ));
        s.push_str("  <platform><orbit><orbitHeader><accuracy>SCIE</accuracy></orbitHeader>\n");
        for sv in &self.state_vectors {
            s.push_str(&format!(
                "    <stateVec><timeUTC>{}</timeUTC><posX>{:.6}</posX><posY>{:.6}</posY><posZ>{:.6}</posZ><velX>{:.9}</velX><velY>{:.9}</velY><velZ>{:.9}</velZ></stateVec>\n",
                utc(sv.time), sv.position[0], sv.position[1], sv.position[2], sv.velocity[0], sv.velocity[1], sv.velocity[2]
            ));
        }
        s.push_str("  </orbit></platform>\n</level1Product>\n");
        s
    }
}

/// Which of the two satellites transmitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSatellite {
    /// `SAT1` or `SAT2`, from `commonAcquisitionInfo/inSARmasterID`.
    pub master_id: String,
    /// Satellite name of the active one, e.g. `TDX-1`.
    pub active: String,
    /// Satellite name of the passive one.
    pub passive: String,
}

/// A TanDEM-X CoSSC product in memory: both annotations, both images, the
/// active-satellite designation and the acquisition mode.
#[derive(Debug, Clone)]
pub struct Cossc {
    /// Annotation of the active (transmitting) satellite.
    pub active: Annotation,
    /// Annotation of the passive satellite (only its orbit is used).
    pub passive: Annotation,
    /// Active image, shape (lines, samples); NaN outside the valid samples.
    pub active_slc: Array2<Complex32>,
    /// Passive image co-registered to the active grid.
    pub passive_slc: Array2<Complex32>,
    /// Active-satellite designation.
    pub designation: ActiveSatellite,
    /// Bistatic or monostatic.
    pub mode: AcquisitionMode,
}

impl Cossc {
    /// The pair geometry: active orbit and grid, passive orbit, mode.
    pub fn geometry(&self) -> Result<PairGeometry> {
        PairGeometry::new(
            self.active.orbit()?,
            self.passive.orbit()?,
            self.active.radar_grid(),
            self.mode,
        )
    }

    fn component_dir(name: &str) -> String {
        name.to_string()
    }

    /// Write the product to `dir` in the TanDEM-X CoSSC layout: `dir/TDM1_…xml`,
    /// and for each satellite `dir/<component>/<component>.xml` plus
    /// `dir/<component>/IMAGEDATA/<file>.cos` (COSAR version 2, half-float).
    /// The active satellite is written as SAT1 when `active_is_sat1`.
    pub fn write(&self, dir: impl AsRef<Path>, active_is_sat1: bool) -> Result<PathBuf> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let (sat1, sat2) = if active_is_sat1 {
            (
                (&self.active, &self.active_slc),
                (&self.passive, &self.passive_slc),
            )
        } else {
            (
                (&self.passive, &self.passive_slc),
                (&self.active, &self.active_slc),
            )
        };
        let mut names = Vec::new();
        for (ann, slc) in [sat1, sat2] {
            let comp = format!("{}_SAR__SSC______SM_S_SRA", ann.mission.replace('-', ""));
            let cdir = dir.join(Self::component_dir(&comp));
            let idir = cdir.join(&ann.image_path);
            std::fs::create_dir_all(&idir).map_err(|e| io_err(&idir, e))?;
            let xml_path = cdir.join(format!("{comp}.xml"));
            std::fs::write(&xml_path, ann.to_xml()).map_err(|e| io_err(&xml_path, e))?;
            let zeroed = slc.mapv(|c| {
                if c.re.is_finite() && c.im.is_finite() {
                    c
                } else {
                    Complex32::new(0.0, 0.0)
                }
            });
            let cos = Cosar::from_complex(&[zeroed], CosarVersion::V2Float16, (0, 0))?;
            cos.write(idir.join(&ann.image_filename))?;
            names.push(comp);
        }
        let mode = match self.mode {
            AcquisitionMode::Bistatic => "BISTATIC",
            AcquisitionMode::Monostatic => "MONOSTATIC",
        };
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tdm>\n  <generalHeader><itemName>TanDEM-X CoSSC</itemName></generalHeader>\n  <productComponents>\n    <component componentClass=\"imageData\"><name>cossc_component_primary</name><file><location><host>.</host><path>.</path><name>{}</name></location></file></component>\n    <component componentClass=\"imageData\"><name>cossc_component_secondary</name><file><location><host>.</host><path>.</path><name>{}</name></location></file></component>\n  </productComponents>\n  <commonAcquisitionInfo><satelliteIDsat1>{}</satelliteIDsat1><satelliteIDsat2>{}</satelliteIDsat2><inSARmasterID>{}</inSARmasterID><interferometricMode>{mode}</interferometricMode></commonAcquisitionInfo>\n</tdm>\n",
            names[0], names[1], sat1.0.mission, sat2.0.mission, if active_is_sat1 { "SAT1" } else { "SAT2" }
        );
        let main = dir.join("TDM1_SAR__COS_BIST_SM_S_SRA.xml");
        std::fs::write(&main, xml).map_err(|e| io_err(&main, e))?;
        Ok(main)
    }

    /// Read a CoSSC product directory (the one holding the `TDM…xml` main
    /// annotation). The active satellite is the InSAR master; its annotation
    /// gives the radar grid; the passive image must have the same size.
    pub fn read(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let rd = std::fs::read_dir(dir).map_err(|e| io_err(dir, e))?;
        let mut main = None;
        for entry in rd {
            let p = entry.map_err(|e| io_err(dir, e))?.path();
            let fname = p
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            if fname.starts_with("TDM") && fname.ends_with(".xml") && p.is_file() {
                main = Some(p);
            }
        }
        let main = main.ok_or_else(|| {
            DemError::Input(format!(
                "{} holds no TDM*.xml CoSSC main annotation",
                dir.display()
            ))
        })?;
        let mname = main.display().to_string();
        let xml = std::fs::read_to_string(&main).map_err(|e| io_err(&main, e))?;
        let root = Element::parse(&xml, &mname)?;
        let mut primary = None;
        let mut secondary = None;
        for c in root.find_all("productComponents/component") {
            if c.attribute("componentClass") != Some("imageData") {
                continue;
            }
            let kind = c.find("name").map(|n| n.text.as_str()).unwrap_or("");
            let loc = c.find("file/location/name").map(|n| n.text.clone());
            match kind {
                "cossc_component_primary" => primary = loc,
                "cossc_component_secondary" => secondary = loc,
                _ => {}
            }
        }
        let missing = |w: &str| DemError::Annotation {
            path: mname.clone(),
            what: format!("missing {w}"),
        };
        let primary = primary.ok_or_else(|| missing("component cossc_component_primary"))?;
        let secondary = secondary.ok_or_else(|| missing("component cossc_component_secondary"))?;
        let master =
            text(&root, "commonAcquisitionInfo/inSARmasterID", &mname)?.to_ascii_uppercase();
        let sat1 = text(&root, "commonAcquisitionInfo/satelliteIDsat1", &mname)?.to_string();
        let sat2 = text(&root, "commonAcquisitionInfo/satelliteIDsat2", &mname)?.to_string();
        let (active_dir, passive_dir, designation) = match master.as_str() {
            "SAT1" => (
                primary,
                secondary,
                ActiveSatellite {
                    master_id: master.clone(),
                    active: sat1,
                    passive: sat2,
                },
            ),
            "SAT2" => (
                secondary,
                primary,
                ActiveSatellite {
                    master_id: master.clone(),
                    active: sat2,
                    passive: sat1,
                },
            ),
            other => {
                return Err(DemError::Annotation {
                    path: mname,
                    what: format!("inSARmasterID {other:?} is neither SAT1 nor SAT2"),
                })
            }
        };
        let mode = match root
            .find("commonAcquisitionInfo/interferometricMode")
            .map(|e| e.text.to_ascii_uppercase())
        {
            None => AcquisitionMode::Bistatic,
            Some(m) if m == "BISTATIC" => AcquisitionMode::Bistatic,
            Some(m) if m.contains("MONOSTATIC") => AcquisitionMode::Monostatic,
            Some(m) => {
                return Err(DemError::Annotation {
                    path: mname,
                    what: format!("interferometricMode {m:?} is neither BISTATIC nor MONOSTATIC"),
                })
            }
        };
        let load = |comp: &str| -> Result<(Annotation, Array2<Complex32>)> {
            let cdir = dir.join(comp);
            let xp = cdir.join(format!("{comp}.xml"));
            let x = std::fs::read_to_string(&xp).map_err(|e| io_err(&xp, e))?;
            let ann = Annotation::from_xml(&x, &xp.display().to_string())?;
            let ip = cdir.join(&ann.image_path).join(&ann.image_filename);
            // A CoSSC stores half-float I/Q (COSAR version 2); a version-1 file here
            // would be decoded as garbage, so it is refused.
            let cos = Cosar::read_expecting(&ip, CosarVersion::V2Float16)?;
            if cos.bursts.len() != 1 {
                return Err(DemError::Cosar {
                    path: ip.display().to_string(),
                    what: format!("{} bursts; a stripmap SSC has one", cos.bursts.len()),
                });
            }
            let img = cos.burst_complex(0);
            if img.dim() != (ann.lines, ann.samples) {
                return Err(DemError::Input(format!(
                    "{} holds {}×{} samples but its annotation says {}×{}",
                    ip.display(),
                    img.nrows(),
                    img.ncols(),
                    ann.lines,
                    ann.samples
                )));
            }
            Ok((ann, img))
        };
        let (active, active_slc) = load(&active_dir)?;
        let (passive, passive_slc) = load(&passive_dir)?;
        if active_slc.dim() != passive_slc.dim() {
            return Err(DemError::Input(format!(
                "the CoSSC images differ in size: active {:?}, passive {:?}",
                active_slc.dim(),
                passive_slc.dim()
            )));
        }
        Ok(Cossc {
            active,
            passive,
            active_slc,
            passive_slc,
            designation,
            mode,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_round_trip() {
        let (d, s) = parse_utc("2011-11-15T01:23:45.123456Z").unwrap();
        assert_eq!(format_utc(d, s), "2011-11-15T01:23:45.123456Z");
        assert!((s - (3600.0 + 23.0 * 60.0 + 45.123456)).abs() < 1e-9);
        // Crossing midnight.
        assert_eq!(format_utc(d, 86400.5), "2011-11-16T00:00:00.500000Z");
        assert!(parse_utc("2011-13-15T01:00:00Z").is_none());
        assert!(parse_utc("garbage").is_none());
    }

    #[test]
    fn xml_parser_paths_and_errors() {
        let x = r#"<?xml version="1.0"?><a:root xmlns:a="u"><b k="v"><c>1 &amp; 2</c><c>3</c></b><e/></a:root>"#;
        let r = Element::parse(x, "t.xml").unwrap();
        assert_eq!(r.name, "root");
        assert_eq!(r.find("b/c").unwrap().text, "1 & 2");
        assert_eq!(r.find_all("b/c").len(), 2);
        assert_eq!(r.find("b").unwrap().attribute("k"), Some("v"));
        assert!(r.find("e").is_some());
        assert!(Element::parse("<a><b></a>", "bad.xml").is_err());
        assert!(Element::parse("<a>", "bad.xml")
            .unwrap_err()
            .to_string()
            .contains("bad.xml"));
    }
}
