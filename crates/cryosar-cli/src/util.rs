//! Small helpers shared by the subcommands: the [`OutputSet`] that makes a
//! run's outputs all-or-nothing, quiet stdout on a closed pipe, flag checks,
//! colour maps.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use anyhow::Context;

/// Temporaries and folders of every live [`OutputSet`], removed by the
/// SIGINT/SIGTERM handler.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Staging folders of live [`StagingDir`]s, removed whole by the
/// SIGINT/SIGTERM handler.
static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn staging() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    STAGING.lock().unwrap_or_else(|e| e.into_inner())
}

/// A hidden folder next to an output folder in which a multi-part run (the
/// demo) writes everything; [`StagingDir::commit`] moves its entries into the
/// output folder at the end. A run that fails or is interrupted removes the
/// staging folder and leaves the output folder as it was.
#[derive(Debug)]
pub struct StagingDir {
    dir: PathBuf,
    out: PathBuf,
    committed: bool,
}

impl StagingDir {
    /// Create the staging folder for output folder `out` (on the same file
    /// system, so that the final moves are renames).
    pub fn new(out: &Path) -> anyhow::Result<Self> {
        install_signal_handler();
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create folder {}", parent.display()))?;
        let dir = parent.join(format!(".{name}.staging-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear stale staging folder {}", dir.display()))?;
        }
        std::fs::create_dir(&dir)
            .with_context(|| format!("cannot create staging folder {}", dir.display()))?;
        staging().push(dir.clone());
        Ok(Self {
            dir,
            out: out.to_path_buf(),
            committed: false,
        })
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Move every entry of the staging folder into the output folder
    /// (replacing entries of the same name) and remove the staging folder.
    pub fn commit(mut self) -> anyhow::Result<()> {
        if self.out.exists() && !self.out.is_dir() {
            anyhow::bail!("output {} exists and is not a folder", self.out.display());
        }
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("cannot create output folder {}", self.out.display()))?;
        let entries: Vec<_> = std::fs::read_dir(&self.dir)
            .with_context(|| format!("cannot list {}", self.dir.display()))?
            .collect::<Result<_, _>>()?;
        for e in entries {
            let dest = self.out.join(e.file_name());
            if dest.is_dir() && !dest.is_symlink() {
                std::fs::remove_dir_all(&dest)
                    .with_context(|| format!("cannot replace {}", dest.display()))?;
            }
            std::fs::rename(e.path(), &dest)
                .with_context(|| format!("cannot move output to {}", dest.display()))?;
        }
        std::fs::remove_dir(&self.dir)
            .with_context(|| format!("cannot remove {}", self.dir.display()))?;
        self.committed = true;
        staging().retain(|p| p != &self.dir);
        Ok(())
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
            staging().retain(|p| p != &self.dir);
        }
    }
}

/// Remove a temporary and the side files a writer may have made next to it
/// (sar-core's GeoTIFF writer stages `.{name}.{pid}.{n}.tmp`).
fn remove_temp(tmp: &Path) {
    let _ = std::fs::remove_file(tmp);
    let (Some(dir), Some(name)) = (tmp.parent(), tmp.file_name()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let n = e.file_name();
            let n = n.to_string_lossy();
            if n.starts_with(&prefix) && n.ends_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Install (once) the SIGINT/SIGTERM handler that removes every pending
/// temporary and every folder a run created, then exits with status 130.
fn install_signal_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            for d in staging().iter() {
                let _ = std::fs::remove_dir_all(d);
            }
            let list = pending();
            for p in list.iter().rev() {
                if p.is_dir() {
                    let _ = std::fs::remove_dir(p);
                } else {
                    remove_temp(p);
                }
            }
            eprintln!("interrupted: no output was written");
            std::process::exit(130);
        });
    });
}

/// One output of a run.
#[derive(Debug)]
struct Output {
    what: String,
    path: PathBuf,
    key: PathBuf,
    tmp: PathBuf,
}

/// Every output of one run, written to temporaries and renamed together at
/// the end: a run that fails, or is interrupted by SIGINT/SIGTERM, leaves
/// no output and no temporary behind, and previous outputs untouched.
///
/// Register the inputs ([`OutputSet::input`]) and then each output
/// ([`OutputSet::output`], which refuses two outputs at one path, an output
/// that is one of the inputs, and a path that is a device, a folder or a
/// symlink to one) before reading or computing anything; write each output
/// to the temporary path it returns; call [`OutputSet::commit`] at the end.
/// Dropping the set without committing removes the temporaries and any
/// folder it created.
#[derive(Debug, Default)]
pub struct OutputSet {
    inputs: Vec<(String, PathBuf)>,
    outputs: Vec<Output>,
    created_dirs: Vec<PathBuf>,
    committed: bool,
}

/// `path` made absolute with its folder canonicalised as far as it exists,
/// for comparing paths that do not exist yet.
fn path_key(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("."))
            .join(path)
    };
    if let Ok(c) = abs.canonicalize() {
        return c;
    }
    // Canonicalise the longest existing ancestor, append the rest.
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        if let Ok(c) = cur.canonicalize() {
            let mut k = c;
            for part in rest.iter().rev() {
                k.push(part);
            }
            return k;
        }
        match (cur.parent(), cur.file_name()) {
            (Some(p), Some(n)) => {
                rest.push(n.to_os_string());
                cur = p;
            }
            _ => return abs,
        }
    }
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

impl OutputSet {
    /// An empty set; installs the SIGINT/SIGTERM clean-up handler.
    pub fn new() -> Self {
        install_signal_handler();
        OutputSet::default()
    }

    /// Register an input (`what` names it in errors, e.g. `"--dem"`), so that
    /// no output may overwrite it.
    pub fn input(&mut self, what: impl Into<String>, path: &Path) {
        self.inputs.push((what.into(), path.to_path_buf()));
    }

    /// Register an output named `what` (the flag, e.g. `"--slope"`) at
    /// `path` and return the temporary path to write it to. Checks: `path`
    /// has a file name, is not a device, a folder or a symlink to one, is not
    /// already an output of this run nor one of its inputs, and its folder
    /// is a folder (created if missing, removed again if the run fails).
    pub fn output(&mut self, what: impl Into<String>, path: &Path) -> anyhow::Result<PathBuf> {
        let what = what.into();
        let name = path
            .file_name()
            .with_context(|| format!("{what} {}: not a file name", path.display()))?;
        if let Ok(lm) = std::fs::symlink_metadata(path) {
            let target = if lm.file_type().is_symlink() {
                std::fs::metadata(path).ok()
            } else {
                Some(lm.clone())
            };
            match target {
                Some(m) if m.is_file() => {}
                Some(m) if m.is_dir() => anyhow::bail!(
                    "{what} {} is a folder; give a file name",
                    path.display()
                ),
                Some(_) => anyhow::bail!(
                    "{what} {} is {}a device or special file, not a regular file; refusing to replace it",
                    path.display(),
                    if lm.file_type().is_symlink() { "a symlink to " } else { "" }
                ),
                None => {} // dangling symlink: replaced by the rename
            }
        }
        let key = path_key(path);
        if let Some(o) = self.outputs.iter().find(|o| o.key == key) {
            anyhow::bail!(
                "{what} and {} both name {}; give each output its own path",
                o.what,
                path.display()
            );
        }
        for (iw, ip) in &self.inputs {
            if path_key(ip) == key || same_file(ip, path) {
                anyhow::bail!(
                    "{what} {} is the input {iw} {}; the output must not overwrite an input",
                    path.display(),
                    ip.display()
                );
            }
        }
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        self.ensure_dir(&what, dir)?;
        let tmp = dir.join(format!(
            ".{}.cryosar-{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        pending().push(tmp.clone());
        self.outputs.push(Output {
            what,
            path: path.to_path_buf(),
            key,
            tmp: tmp.clone(),
        });
        Ok(tmp)
    }

    /// Register `dir/name` as an output (outputs of an `--out` folder).
    pub fn output_in(&mut self, what: &str, dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
        self.output(format!("{what} ({name})"), &dir.join(name))
    }

    /// Create `dir` and its missing parents, remembering which were created.
    fn ensure_dir(&mut self, what: &str, dir: &Path) -> anyhow::Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        if dir.exists() {
            anyhow::bail!("{what}: {} exists and is not a folder", dir.display());
        }
        let mut missing = Vec::new();
        let mut cur = Some(dir);
        while let Some(d) = cur.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            missing.push(d.to_path_buf());
            cur = d.parent();
        }
        for d in missing.into_iter().rev() {
            std::fs::create_dir(&d)
                .with_context(|| format!("{what}: cannot create the folder {}", d.display()))?;
            pending().push(d.clone());
            self.created_dirs.push(d);
        }
        Ok(())
    }

    /// Rename every temporary onto its output. Existing outputs are first
    /// moved aside, and put back if any rename fails, so that the set is
    /// replaced as a whole or not at all.
    pub fn commit(mut self) -> anyhow::Result<()> {
        for o in &self.outputs {
            anyhow::ensure!(
                o.tmp.is_file(),
                "internal error: {} ({}) was registered but not written",
                o.what,
                o.path.display()
            );
        }
        let bak = |o: &Output| {
            let mut b = o.tmp.clone().into_os_string();
            b.push(".bak");
            PathBuf::from(b)
        };
        let mut moved: Vec<usize> = Vec::new();
        let mut placed: Vec<usize> = Vec::new();
        let mut result = Ok(());
        for (i, o) in self.outputs.iter().enumerate() {
            if o.path.is_file() {
                if let Err(e) = std::fs::rename(&o.path, bak(o)) {
                    result = Err(e).with_context(|| format!("cannot replace {}", o.path.display()));
                    break;
                }
                moved.push(i);
            }
        }
        if result.is_ok() {
            for (i, o) in self.outputs.iter().enumerate() {
                if let Err(e) = std::fs::rename(&o.tmp, &o.path) {
                    result = Err(e).with_context(|| format!("cannot write {}", o.path.display()));
                    break;
                }
                placed.push(i);
            }
        }
        if result.is_err() {
            for &i in &placed {
                let _ = std::fs::remove_file(&self.outputs[i].path);
            }
            for &i in &moved {
                let o = &self.outputs[i];
                let _ = std::fs::rename(bak(o), &o.path);
            }
            return result;
        }
        for &i in &moved {
            let _ = std::fs::remove_file(bak(&self.outputs[i]));
        }
        self.committed = true;
        self.unregister();
        Ok(())
    }

    fn unregister(&self) {
        let mut list = pending();
        list.retain(|p| {
            !self.outputs.iter().any(|o| &o.tmp == p) && !self.created_dirs.contains(p)
        });
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if !self.committed {
            for o in &self.outputs {
                remove_temp(&o.tmp);
            }
            for d in self.created_dirs.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
        }
        self.unregister();
    }
}

/// Print `text` to stdout. A closed pipe (`cryosar info f.tif | head -1`)
/// is not an error: the rest of the output is dropped quietly.
pub fn print_out(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to standard output")
        }
        _ => Ok(()),
    }
}

/// Make a panic from printing to a closed pipe (in code that uses
/// `println!`) exit quietly with status 0 instead of a backtrace.
pub fn quiet_broken_pipe() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let p = info.payload();
        let msg = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
}

/// First and last year accepted in dates: from the first spaceborne SAR
/// (Seasat, 1978) with margin, to the end of the century.
pub const DATE_YEARS: (i32, i32) = (1950, 2100);

/// Parse a date given with `flag`: exactly `YYYY-MM-DD` (or `YYYYMMDD`), a
/// real calendar day in the years [`DATE_YEARS`]; else an error naming the
/// flag and the text.
pub fn parse_date(flag: &str, text: &str) -> anyhow::Result<sar_core::Date> {
    let t = text.trim();
    let b = t.as_bytes();
    let shape_ok = (b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()))
        || (b.len() == 8 && b.iter().all(u8::is_ascii_digit));
    anyhow::ensure!(
        shape_ok,
        "{flag}: cannot read the date {t:?}; write dates as YYYY-MM-DD (e.g. 2020-06-01)"
    );
    let d: sar_core::Date = t
        .parse()
        .map_err(|e| anyhow::anyhow!("{flag}: the date {t:?} is not a calendar day ({e})"))?;
    anyhow::ensure!(
        (DATE_YEARS.0..=DATE_YEARS.1).contains(&d.year()),
        "{flag}: the date {t:?} is outside the years {}–{}",
        DATE_YEARS.0,
        DATE_YEARS.1
    );
    Ok(d)
}

/// Parse a list of dates given with `flag`, which must be strictly
/// increasing (no date twice).
pub fn parse_dates_increasing(flag: &str, texts: &[String]) -> anyhow::Result<Vec<sar_core::Date>> {
    let dates = texts
        .iter()
        .map(|t| parse_date(flag, t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for w in dates.windows(2) {
        anyhow::ensure!(
            w[0] < w[1],
            "{flag}: dates must be strictly increasing, in the order of the files, but {} comes before {}",
            w[0],
            w[1]
        );
    }
    Ok(dates)
}

/// A finite number in `[min, max]`, else an error naming `flag`.
pub fn check_range(flag: &str, v: f64, min: f64, max: f64) -> anyhow::Result<f64> {
    anyhow::ensure!(
        v.is_finite() && v >= min && v <= max,
        "{flag} {v} is out of range: give a finite value in [{min}, {max}]"
    );
    Ok(v)
}

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

/// Write a single-band `f32` GeoTIFF with its metadata inside the file:
/// the dataset `items` (`name`, `value`), the band `description` and
/// `unit`, in GDAL's metadata tag (TIFF tag 42112), which GDAL and rasterio
/// read as `ds.tags()`, `ds.descriptions` and `ds.units` and
/// `cryosar info` prints. No `.aux.xml` sidecar is written. Empty
/// `description` or `unit` are left out. Atomic, as every sar-core write.
pub fn write_f32_with_metadata(
    path: &Path,
    r: &sar_core::Raster<f32>,
    items: &[(String, String)],
    description: &str,
    unit: &str,
) -> anyhow::Result<()> {
    let mut md = sar_core::geotiff::GdalMetadata::default();
    for (k, v) in items {
        md.set(k.as_str(), v);
    }
    let band = md.band_mut(0);
    band.description = (!description.is_empty()).then(|| description.to_string());
    band.unit = (!unit.is_empty()).then(|| unit.to_string());
    let opts = sar_core::geotiff::WriteOptions::default().metadata(md);
    sar_core::geotiff::write_bands(path, std::slice::from_ref(r), &opts)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Write `data` as a PNG quick-look with a fixed colour range `[vmin, vmax]`
/// on `cmap`, atomically (temporary file, then rename). `label` is the
/// quantity with its unit, e.g. `"slope (degrees)"`; the title is the file
/// name. A thin wrapper of [`write_quicklook`](crate::quicklook::write_quicklook),
/// kept for the demo; commands use an [`OutputSet`] and `write_quicklook`.
pub fn write_png_colormap(
    path: &Path,
    data: ndarray::ArrayView2<'_, f64>,
    vmin: f64,
    vmax: f64,
    cmap: Colormap,
    label: &str,
) -> anyhow::Result<()> {
    use crate::quicklook::{write_quicklook, ColorRange, QuickLook};
    let title = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let spec = QuickLook::new(title, label, "")
        .cmap(cmap)
        .range(ColorRange::Fixed(vmin, vmax));
    let mut outs = OutputSet::new();
    let tmp = outs.output("quick-look", path)?;
    write_quicklook(&tmp, data, &spec)?;
    outs.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_goes_into_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vx.tif");
        let g = sar_core::Grid::north_up(2, 2, 0.0, 2.0, 1.0, 1.0, sar_core::Crs::epsg(32633));
        let r = sar_core::Raster::new(ndarray::Array2::from_elem((2, 2), 1.5f32), g).unwrap();
        let items = vec![("DATES".to_string(), "2020-01-01,2020-01-13".to_string())];
        write_f32_with_metadata(&p, &r, &items, "east velocity", "m/d").unwrap();
        let info = sar_core::geotiff::read_info(&p).unwrap();
        assert_eq!(info.metadata.get("DATES"), Some("2020-01-01,2020-01-13"));
        let b = info.metadata.band(0).unwrap();
        assert_eq!(b.description.as_deref(), Some("east velocity"));
        assert_eq!(b.unit.as_deref(), Some("m/d"));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no sidecar"
        );
    }

    #[test]
    fn colormap_ends_and_midpoint() {
        assert_eq!(Colormap::Gray.color(0.0), [0, 0, 0]);
        assert_eq!(Colormap::Gray.color(1.0), [255, 255, 255]);
        assert_eq!(Colormap::Gray.color(0.5), [128, 128, 128]);
        assert_eq!(Colormap::Viridis.color(-3.0), [68, 1, 84]);
        assert_eq!(Colormap::RdBu.color(0.5), [247, 247, 247]);
    }

    #[test]
    fn png_wrapper_is_atomic_and_checks_range() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.png");
        let a = ndarray::Array2::from_shape_fn((80, 100), |(r, c)| (r + c) as f64);
        write_png_colormap(&p, a.view(), 0.0, 178.0, Colormap::Viridis, "test (m)").unwrap();
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&p).unwrap()));
        let reader = dec.read_info().unwrap();
        assert!(reader.info().width >= 600);
        assert!(write_png_colormap(&p, a.view(), 1.0, 1.0, Colormap::Gray, "x").is_err());
        // Only the PNG is left in the folder: no temporary.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn output_set_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.txt"), dir.path().join("sub/b.txt"));
        std::fs::write(&a, "old a").unwrap();
        // Dropped before commit: nothing changes, no temporary, no folder.
        {
            let mut o = OutputSet::new();
            let ta = o.output("--a", &a).unwrap();
            let tb = o.output("--b", &b).unwrap();
            std::fs::write(&ta, "new a").unwrap();
            std::fs::write(&tb, "new b").unwrap();
        }
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
        assert!(!dir.path().join("sub").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // Committed: both replaced together.
        let mut o = OutputSet::new();
        let ta = o.output("--a", &a).unwrap();
        let tb = o.output("--b", &b).unwrap();
        std::fs::write(&ta, "new a").unwrap();
        std::fs::write(&tb, "new b").unwrap();
        o.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn output_set_refuses_clashes() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.tif");
        std::fs::write(&input, "x").unwrap();
        let mut o = OutputSet::new();
        o.input("--dem", &input);
        let e = o.output("--slope", &input).unwrap_err().to_string();
        assert!(e.contains("--slope") && e.contains("--dem"), "{e}");
        // The same file under another spelling.
        let other = dir.path().join(".").join("in.tif");
        assert!(o.output("--aspect", &other).is_err());
        let x = dir.path().join("x.tif");
        o.output("--slope", &x).unwrap();
        let e = o
            .output("--aspect", &dir.path().join("./x.tif"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--aspect") && e.contains("--slope"), "{e}");
        let e = o
            .output("--lia", Path::new("/dev/null"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("device"), "{e}");
        assert!(o.output("--lia", dir.path()).is_err());
    }

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("--dates", "2020-06-01").is_ok());
        assert!(parse_date("--dates", "20200601").is_ok());
        for bad in [
            "17-01-03",
            "99999-01-03",
            "2020-6-1",
            "2020-02-30",
            "1800-01-01",
            "",
            "x",
        ] {
            let e = parse_date("--dates", bad).unwrap_err().to_string();
            assert!(e.contains("--dates"), "{e}");
        }
        let v = |d: &[&str]| d.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(parse_dates_increasing("--dates", &v(&["2020-01-01", "2020-01-02"])).is_ok());
        assert!(parse_dates_increasing("--dates", &v(&["2020-01-02", "2020-01-01"])).is_err());
        assert!(parse_dates_increasing("--dates", &v(&["2020-01-02", "2020-01-02"])).is_err());
    }

    proptest::proptest! {
        /// Any text or number: an answer or an error naming the flag, never a panic.
        #[test]
        fn parsers_never_panic(t in ".{0,24}", x in proptest::num::f64::ANY) {
            if let Err(e) = parse_date("--dates", &t) {
                proptest::prop_assert!(e.to_string().contains("--dates"));
            }
            let _ = sar_core::geotiff::parse_memory_size(&t);
            match check_range("--band-m", x, 1.0, 5000.0) {
                Ok(v) => proptest::prop_assert!((1.0..=5000.0).contains(&v)),
                Err(e) => proptest::prop_assert!(e.to_string().contains("--band-m")),
            }
        }
    }
}
