//! The report folder as untrusted input: every file it names resolves inside it, symbolic
//! links included, and only regular files are read. Every read is recorded with its SHA-256,
//! so the provenance note lists exactly the files the report was built from.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

/// Files larger than this are refused as inputs other than data (narrative, spec, mapping…).
pub const MAX_TEXT_BYTES: u64 = 64 << 20;

/// A report folder.
#[derive(Debug)]
pub struct Folder {
    /// As given (for messages).
    shown: PathBuf,
    /// Canonical (symbolic links resolved).
    root: PathBuf,
    /// Data files may lie outside the folder (the spec says so explicitly).
    outside_data: bool,
    /// Every file read: path as named → SHA-256.
    reads: RefCell<BTreeMap<String, String>>,
    /// The datasets' data files (respondents' answers), which never print as text.
    private: Vec<FileId>,
}

/// What makes two names one file: the device and inode where there are such (so that a hard
/// link is the file it links), else the canonical path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FileId {
    #[cfg_attr(not(unix), allow(dead_code))]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

fn file_id(real: &Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(real).ok()?;
        Some(FileId::Inode(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        Some(FileId::Path(real.to_owned()))
    }
}

impl Folder {
    /// Open a report folder.
    pub fn open(dir: &Path) -> Result<Folder, String> {
        let root = dir
            .canonicalize()
            .map_err(|e| format!("{}: cannot open the report folder: {e}", dir.display()))?;
        if !root.is_dir() {
            return Err(format!("{}: not a folder", dir.display()));
        }
        Ok(Folder {
            shown: dir.to_owned(),
            root,
            outside_data: false,
            reads: RefCell::new(BTreeMap::new()),
            private: Vec::new(),
        })
    }

    /// Allow data files outside the folder (`allow_outside_data = true` in the spec).
    pub fn allow_outside_data(&mut self, yes: bool) {
        self.outside_data = yes;
    }

    /// Name the datasets' data files (as the spec names them), so that no text printed in
    /// the report is read from one ([`Folder::read_printable`]). Names that do not resolve are
    /// reported where the data are read.
    pub fn keep_private<'a>(&mut self, data: impl IntoIterator<Item = &'a str>) {
        for rel in data {
            if let Some(id) = self.resolve_data(rel).ok().and_then(|r| file_id(&r)) {
                self.private.push(id);
            }
        }
    }

    /// Read a text the report prints (a narrative, the committee): as [`Folder::read_text`],
    /// refusing respondents' data, a file of the folder's `data/` or any dataset's download
    /// (trial 38: `@narrative {file = "data/<download>.csv"}` printed the download, hospital
    /// names and all).
    pub fn read_printable(&self, rel: &str) -> Result<String, String> {
        let real = self.resolve(rel)?;
        let in_data = real.starts_with(self.root.join("data"));
        if in_data || file_id(&real).is_some_and(|id| self.private.contains(&id)) {
            return Err(format!(
                "{}: {}; a text the report prints is never read from respondents' data (keep narratives in narrative/)",
                self.shown(rel).display(),
                if in_data {
                    "a file of the report's data/ folder"
                } else {
                    "a dataset's download"
                }
            ));
        }
        self.read_text(rel)
    }

    /// The folder as the user named it.
    pub fn path(&self) -> &Path {
        &self.shown
    }

    /// The folder with symbolic links resolved.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `rel` as shown in messages: the folder as given joined with the name.
    pub fn shown(&self, rel: &str) -> PathBuf {
        self.shown.join(rel)
    }

    /// Resolve a path the report folder names to a regular file inside it.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, String> {
        self.resolve_in(rel, false)
    }

    /// As [`Folder::resolve`], for a data file (which the spec may allow outside the folder).
    pub fn resolve_data(&self, rel: &str) -> Result<PathBuf, String> {
        self.resolve_in(rel, true)
    }

    /// A file of the folder's `data/` a command may write (`synth`): named relative to the
    /// folder, inside `data/`, its folder no symbolic link out, itself no link at all.
    pub fn writable_data(&self, rel: &str) -> Result<PathBuf, String> {
        let p = Path::new(rel);
        let shown = self.shown(rel);
        let mut parts = p.components();
        let in_data = matches!(parts.next(), Some(Component::Normal(d)) if d == "data")
            && parts.clone().count() >= 1
            && parts.all(|c| matches!(c, Component::Normal(_)));
        if !in_data {
            return Err(format!(
                "{rel}: example data is written inside the report folder's data/ (name it `data/<file>`)"
            ));
        }
        let parent = self
            .root
            .join(p.parent().unwrap_or(Path::new("data")))
            .canonicalize()
            .map_err(|e| format!("{}: {e}", shown.display()))?;
        if !parent.starts_with(self.root.join("data")) {
            return Err(format!(
                "{}: its folder is a symbolic link to {}, outside the report folder's data/",
                shown.display(),
                parent.display()
            ));
        }
        let target = parent.join(p.file_name().unwrap_or_default());
        if let Ok(meta) = std::fs::symlink_metadata(&target)
            && !meta.is_file()
        {
            return Err(format!(
                "{}: a symbolic link or not a regular file; example data replaces regular files only",
                shown.display()
            ));
        }
        Ok(target)
    }

    fn resolve_in(&self, rel: &str, data: bool) -> Result<PathBuf, String> {
        let outside_ok = data && self.outside_data;
        let shown = self.shown(rel);
        let p = Path::new(rel);
        if rel.trim().is_empty() {
            return Err(format!("{}: an empty path", self.shown.display()));
        }
        // Only a data file may be allowed outside, and only when it is not already.
        let hint = if data && !self.outside_data {
            " (set `allow_outside_data = true` in report.toml to read data from elsewhere)"
        } else {
            ""
        };
        if !outside_ok {
            if p.is_absolute() || p.has_root() {
                return Err(format!(
                    "{rel}: an absolute path; files of a report are named relative to its folder {}{hint}",
                    self.shown.display()
                ));
            }
            if p.components().any(|c| matches!(c, Component::ParentDir)) {
                return Err(format!(
                    "{rel}: `..` leads out of the report folder {}; files of a report must lie inside it{hint}",
                    self.shown.display()
                ));
            }
        }
        let joined = if p.is_absolute() {
            p.to_owned()
        } else {
            self.root.join(p)
        };
        let real = joined
            .canonicalize()
            .map_err(|e| format!("{}: {e}", shown.display()))?;
        if !outside_ok && !real.starts_with(&self.root) {
            return Err(format!(
                "{}: a symbolic link to {}, outside the report folder; a report reads only files inside its folder",
                shown.display(),
                real.display()
            ));
        }
        let meta = std::fs::metadata(&real).map_err(|e| format!("{}: {e}", shown.display()))?;
        if !meta.is_file() {
            let what = if meta.is_dir() {
                "a folder"
            } else {
                "not a regular file (a device, pipe or socket)"
            };
            return Err(format!(
                "{}: {what}; a report reads regular files only",
                shown.display()
            ));
        }
        Ok(real)
    }

    /// Read a text input (spec, narrative, mapping…), recording it.
    pub fn read_text(&self, rel: &str) -> Result<String, String> {
        let bytes = self.read(rel)?;
        String::from_utf8(bytes).map_err(|e| {
            format!(
                "{}: not UTF-8 text (byte {} is invalid); save the file as UTF-8",
                self.shown(rel).display(),
                e.utf8_error().valid_up_to()
            )
        })
    }

    /// Read a small input file whole, recording it.
    pub fn read(&self, rel: &str) -> Result<Vec<u8>, String> {
        let real = self.resolve(rel)?;
        let shown = self.shown(rel);
        let f = std::fs::File::open(&real).map_err(|e| format!("{}: {e}", shown.display()))?;
        let meta = f
            .metadata()
            .map_err(|e| format!("{}: {e}", shown.display()))?;
        if !meta.is_file() {
            return Err(format!("{}: not a regular file", shown.display()));
        }
        if meta.len() > MAX_TEXT_BYTES {
            return Err(format!(
                "{}: {} bytes; inputs other than data are limited to {} MiB",
                shown.display(),
                meta.len(),
                MAX_TEXT_BYTES >> 20
            ));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        f.take(MAX_TEXT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {e}", shown.display()))?;
        let digest = hex(&Sha256::digest(&bytes));
        self.reads.borrow_mut().insert(rel.to_owned(), digest);
        Ok(bytes)
    }

    /// Record a file read elsewhere (a data file streamed by the importer), hashing it.
    pub fn record(&self, rel: &str, real: &Path) -> Result<(), String> {
        let digest =
            sha256_file(real).map_err(|e| format!("{}: {e}", self.shown(rel).display()))?;
        self.reads.borrow_mut().insert(rel.to_owned(), digest);
        Ok(())
    }

    /// Record a file read elsewhere whose SHA-256 ([`sha256_file`]) the reader computed.
    pub fn recorded(&self, rel: &str, digest: String) {
        self.reads.borrow_mut().insert(rel.to_owned(), digest);
    }

    /// Record files read by an earlier build of the same folder whose results are reused
    /// (the preview): the provenance lists them as if read now.
    pub fn remember(&self, reads: &[(String, String)]) {
        let mut r = self.reads.borrow_mut();
        for (k, v) in reads {
            r.insert(k.clone(), v.clone());
        }
    }

    /// Size and modification time of a file the folder names (data may lie outside when the
    /// spec allows): how a caller tells whether it changed since it was read.
    pub fn stamp(&self, rel: &str, data: bool) -> Option<(u64, std::time::SystemTime)> {
        let real = if data {
            self.resolve_data(rel)
        } else {
            self.resolve(rel)
        }
        .ok()?;
        let m = std::fs::metadata(real).ok()?;
        Some((m.len(), m.modified().ok()?))
    }

    /// Every file read so far, by name as the spec gives it, with its SHA-256.
    pub fn reads(&self) -> Vec<(String, String)> {
        self.reads
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex SHA-256 of a file, read in chunks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    sha256_until(path, &std::sync::atomic::AtomicBool::new(false))
}

/// [`sha256_file`], given up (with an error) once `stop` is set.
fn sha256_until(path: &Path, stop: &std::sync::atomic::AtomicBool) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(std::io::Error::other("the digest was given up"));
        }
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
    }
    Ok(hex(&h.finalize()))
}

/// A file's SHA-256 computed on a thread of its own while the caller goes on (reading the
/// same file, say), so that the digest fills the moments the caller leaves a core idle.
/// Dropped before [`Digesting::wait`], it stops the thread at its next block.
pub struct Digesting {
    thread: Option<std::thread::JoinHandle<std::io::Result<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Digesting {
    pub fn start(path: &Path) -> Digesting {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let path = path.to_owned();
        let flag = stop.clone();
        Digesting {
            thread: Some(std::thread::spawn(move || sha256_until(&path, &flag))),
            stop,
        }
    }

    /// The digest, once the thread has read the whole file.
    pub fn wait(mut self) -> std::io::Result<String> {
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(d)) => d,
            Some(Err(p)) => std::panic::resume_unwind(p),
            None => Err(std::io::Error::other("the digest was given up")),
        }
    }
}

impl Drop for Digesting {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "folder-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(d.join("data")).unwrap();
        d
    }

    #[test]
    fn names_stay_inside_the_folder() {
        let d = tmp();
        std::fs::write(d.join("a.md"), "x").unwrap();
        let f = Folder::open(&d).unwrap();
        assert!(f.read_text("a.md").is_ok());
        assert!(f.resolve("../a.md").unwrap_err().contains("leads out"));
        assert!(f.resolve("/etc/passwd").unwrap_err().contains("absolute"));
        assert!(f.resolve("data").unwrap_err().contains("a folder"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/passwd", d.join("data/leak.csv")).unwrap();
            assert!(
                f.resolve("data/leak.csv")
                    .unwrap_err()
                    .contains("outside the report folder")
            );
            std::os::unix::fs::symlink("/dev/zero", d.join("zero.md")).unwrap();
            assert!(f.read("zero.md").is_err());
        }
        assert_eq!(f.reads().len(), 1);
        let _ = std::fs::remove_dir_all(&d);
    }
}
