//! Compiling the Typst source to PDF with the typst CLI, offline and reproducibly: only the
//! project's fonts, a fixed creation timestamp, and font warnings treated as errors.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How to run typst.
pub struct Compile<'a> {
    /// The typst executable.
    pub typst: &'a Path,
    /// Project root for typst (`--root`): the folder holding the source.
    pub root: &'a Path,
    pub input: &'a Path,
    pub output: &'a Path,
    /// The only fonts the document may use.
    pub font_dir: &'a Path,
    /// Creation timestamp (seconds since the Unix epoch) written into the PDF.
    pub timestamp: i64,
    /// e.g. `a-2b`.
    pub pdf_standard: Option<&'a str>,
}

/// Why typst could not produce the PDF.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("cannot run typst at {}: {source}", path.display())]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("typst failed:\n{0}")]
    Failed(String),
    #[error("typst could not find a font the document asks for (the build only uses fonts/):\n{0}")]
    UnknownFont(String),
    #[error("no font in {} has a glyph for {}. Such a character (an emoji, a private-use or newly encoded character) cannot be printed: change it where it comes from (the questionnaire, the data or the narrative: the text it is in is shown), or ask for a font that has it to be added to the toolkit (fonts/README.md)", dir.display(), describe(missing, places))]
    Coverage {
        dir: PathBuf,
        missing: Vec<char>,
        /// Where each character is printed, when known.
        places: Vec<(char, String)>,
    },
    #[error("cannot read the fonts in {}: {message}", dir.display())]
    Fonts { dir: PathBuf, message: String },
    #[error(
        "typst could not settle the layout, so page numbers and running heads would be wrong; no PDF is written. This is the toolkit's fault, not the report's: please report it with the report folder. typst said:\n{0}"
    )]
    Unsettled(String),
}

fn describe(missing: &[char], places: &[(char, String)]) -> String {
    let mut out: Vec<String> = missing
        .iter()
        .take(20)
        .map(|c| {
            let at = places
                .iter()
                .find(|(p, _)| p == c)
                .map(|(_, t)| format!(" in “{t}”"))
                .unwrap_or_default();
            format!("{c} (U+{:04X}){at}", *c as u32)
        })
        .collect();
    if missing.len() > 20 {
        out.push(format!("and {} more", missing.len() - 20));
    }
    out.join("; ")
}

/// Compile; returns typst's remaining warnings. "unknown font family" is an error.
pub fn compile(c: &Compile) -> Result<Vec<String>, CompileError> {
    start(c)?.wait()
}

/// A typst run under way: other work can go on until [`Running::wait`].
pub struct Running {
    child: std::process::Child,
    typst: PathBuf,
}

/// Start typst in the background.
pub fn start(c: &Compile) -> Result<Running, CompileError> {
    let child = command(c, "compile")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|source| CompileError::Spawn {
            path: c.typst.to_owned(),
            source,
        })?;
    Ok(Running {
        child,
        typst: c.typst.to_owned(),
    })
}

/// Start `typst watch` with exactly the flags of [`start`]: it recompiles incrementally each
/// time the source or an asset changes and reports each compile on its standard error
/// (`compiled successfully in 12.3 ms`, `compiled with errors` followed by the errors).
pub fn watch(c: &Compile) -> Result<std::process::Child, CompileError> {
    command(c, "watch")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|source| CompileError::Spawn {
            path: c.typst.to_owned(),
            source,
        })
}

/// The typst command line for `verb` (`compile` or `watch`).
fn command(c: &Compile, verb: &str) -> Command {
    let mut cmd = Command::new(c.typst);
    cmd.arg(verb)
        .arg("--root")
        .arg(c.root)
        .arg("--ignore-system-fonts")
        .arg("--ignore-embedded-fonts")
        .arg("--font-path")
        .arg(c.font_dir)
        .arg("--creation-timestamp")
        .arg(c.timestamp.to_string())
        .arg("--diagnostic-format")
        .arg("short")
        .env_remove("TYPST_FONT_PATHS")
        .env("SOURCE_DATE_EPOCH", c.timestamp.to_string());
    match c.output.extension().and_then(|e| e.to_str()) {
        Some("png") => {
            // Charts as images: 200 pixels per inch, sharp in slides and articles.
            cmd.arg("--ppi").arg("200");
        }
        Some("svg") => {}
        _ => {
            if let Some(s) = c.pdf_standard {
                cmd.arg("--pdf-standard").arg(s);
            }
        }
    }
    cmd.arg(c.input).arg(c.output);
    cmd
}

impl Running {
    /// Wait for typst; its warnings, or why it failed.
    pub fn wait(self) -> Result<Vec<String>, CompileError> {
        let out = self
            .child
            .wait_with_output()
            .map_err(|source| CompileError::Spawn {
                path: self.typst.clone(),
                source,
            })?;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let warnings: Vec<String> = stderr
            .lines()
            .filter(|l| l.contains("warning"))
            .map(str::to_owned)
            .collect();
        if !out.status.success() {
            return Err(CompileError::Failed(stderr));
        }
        let font_warnings: Vec<&String> = warnings
            .iter()
            .filter(|w| w.contains("unknown font family"))
            .collect();
        if !font_warnings.is_empty() {
            return Err(CompileError::UnknownFont(
                font_warnings
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ));
        }
        // A layout that did not converge prints wrong page numbers, contents and running
        // heads: the PDF is not what the source says, so it is not kept.
        if warnings.iter().any(|w| w.contains("did not converge")) {
            return Err(CompileError::Unsettled(
                warnings
                    .iter()
                    .take(8)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n"),
            ));
        }
        Ok(warnings)
    }
}

/// Check that the fonts in `dir` together have a glyph for each character; returns how many
/// font files there are. The document lists its families with fallbacks, so a character is
/// printable when any bundled font has it.
pub fn check_coverage(dir: &Path, chars: &BTreeSet<char>) -> Result<usize, CompileError> {
    let err = |message: String| CompileError::Fonts {
        dir: dir.to_owned(),
        message,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| err(e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("otf" | "ttf")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(err("no .otf or .ttf files".into()));
    }
    let mut left: Vec<char> = chars.iter().copied().filter(|c| !c.is_control()).collect();
    for f in &files {
        if left.is_empty() {
            break;
        }
        let cmap = read_cmap(f).map_err(|e| err(format!("{}: {e}", f.display())))?;
        let table = ttf_parser::cmap::Table::parse(&cmap)
            .ok_or_else(|| err(format!("{}: the character map does not parse", f.display())))?;
        // As `Face::glyph_index` does: the first Unicode subtable that maps the character.
        left.retain(|c| {
            !table
                .subtables
                .into_iter()
                .filter(|t| t.is_unicode())
                .any(|t| t.glyph_index(u32::from(*c)).is_some())
        });
    }
    if left.is_empty() {
        Ok(files.len())
    } else {
        Err(CompileError::Coverage {
            dir: dir.to_owned(),
            missing: left,
            places: Vec::new(),
        })
    }
}

/// The character map (`cmap` table) of an OpenType or TrueType font file, read alone: the
/// bundled CJK fonts are 12 to 30 MB each, their character maps well under 1 MB.
fn read_cmap(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut head = [0u8; 12];
    f.read_exact(&mut head).map_err(|e| e.to_string())?;
    let version = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    // TrueType outlines (0x00010000, 'true') or CFF ('OTTO'); a collection is not a font file.
    if !matches!(version, 0x0001_0000 | 0x7472_7565 | 0x4F54_544F) {
        return Err("not an OpenType or TrueType font".into());
    }
    let tables = usize::from(u16::from_be_bytes([head[4], head[5]]));
    let mut records = vec![0u8; 16 * tables];
    f.read_exact(&mut records).map_err(|e| e.to_string())?;
    let size = f.metadata().map_err(|e| e.to_string())?.len();
    for r in records.chunks_exact(16) {
        if &r[..4] != b"cmap" {
            continue;
        }
        let offset = u64::from(u32::from_be_bytes([r[8], r[9], r[10], r[11]]));
        let length = u64::from(u32::from_be_bytes([r[12], r[13], r[14], r[15]]));
        if offset + length > size {
            return Err("the character map lies past the end of the file".into());
        }
        f.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
        let mut cmap = Vec::with_capacity(length as usize);
        f.take(length)
            .read_to_end(&mut cmap)
            .map_err(|e| e.to_string())?;
        return Ok(cmap);
    }
    Err("the font has no character map".into())
}

/// Where each missing character first occurs in the Typst source: the text around it.
pub fn places(source: &str, missing: &[char]) -> Vec<(char, String)> {
    missing
        .iter()
        .map(|&c| {
            let place = source
                .lines()
                .find(|l| l.contains(c))
                .map(|l| {
                    // The string literal holding it, or the characters around it.
                    let i = l.find(c).unwrap_or(0);
                    let start = l[..i].rfind('"').map(|s| s + 1).unwrap_or(0);
                    let end = l[i..].find('"').map(|e| i + e).unwrap_or(l.len());
                    let text: String = l[start..end].chars().take(40).collect();
                    text
                })
                .unwrap_or_default();
            (c, place)
        })
        .collect()
}

/// `typst --version` output, e.g. `typst 0.15.1 (…)`.
///
/// A build asks several times (to pick the typst, for the provenance note, to key the charts):
/// typst is asked once per process, and an answer, once given, is remembered.
pub fn version(typst: &Path) -> Option<String> {
    static KNOWN: std::sync::Mutex<Vec<(PathBuf, String)>> = std::sync::Mutex::new(Vec::new());
    let known = || KNOWN.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, v)) = known().iter().find(|(p, _)| p == typst) {
        return Some(v.clone());
    }
    let out = Command::new(typst).arg("--version").output().ok()?;
    let v = out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())?;
    known().push((typst.to_owned(), v.clone()));
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fonts")
    }

    /// typst is asked its version once: later asks are answered from memory; a typst that
    /// does not answer is asked again (it may have been installed since).
    #[cfg(unix)]
    #[test]
    fn typst_is_asked_its_version_once() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("chima-version-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (bin, asked, ok) = (dir.join("typst"), dir.join("asked"), dir.join("ok"));
        // Written once, before it first runs; it answers once `ok` exists.
        let body = format!(
            "#!/bin/sh\necho >> '{}'\n[ -f '{}' ] || exit 1\necho 'typst 0.15.1 (test)'\n",
            asked.display(),
            ok.display()
        );
        std::fs::write(&bin, body).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let times = || std::fs::read_to_string(&asked).map_or(0, |s| s.lines().count());
        assert_eq!(version(&bin), None);
        assert_eq!(version(&bin), None);
        assert_eq!(times(), 2);
        std::fs::write(&ok, "").unwrap();
        assert_eq!(version(&bin).as_deref(), Some("typst 0.15.1 (test)"));
        assert_eq!(version(&bin).as_deref(), Some("typst 0.15.1 (test)"));
        assert_eq!(times(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The character map read alone answers as the whole font parsed does, for every bundled
    /// font, on common and rare Chinese, Extension B, Latin, punctuation and unmapped characters.
    #[test]
    fn the_character_map_alone_answers_as_the_whole_font() {
        let probe: Vec<char> = "数据安全医院喆堃𠮷𪚥AZaz09%（）、—·…\u{E000}\u{1F600}\u{10FFFD}"
            .chars()
            .collect();
        let mut fonts_seen = 0;
        for e in std::fs::read_dir(fonts()).unwrap() {
            let p = e.unwrap().path();
            if !matches!(p.extension().and_then(|e| e.to_str()), Some("otf" | "ttf")) {
                continue;
            }
            fonts_seen += 1;
            let data = std::fs::read(&p).unwrap();
            let face = ttf_parser::Face::parse(&data, 0).unwrap();
            let cmap = read_cmap(&p).unwrap();
            let table = ttf_parser::cmap::Table::parse(&cmap).unwrap();
            for &c in &probe {
                let alone = table
                    .subtables
                    .into_iter()
                    .filter(|t| t.is_unicode())
                    .find_map(|t| t.glyph_index(u32::from(c)));
                assert_eq!(alone, face.glyph_index(c), "{} on {c:?}", p.display());
            }
        }
        assert!(fonts_seen >= 4, "{fonts_seen} bundled fonts");
    }

    #[test]
    fn a_file_that_is_no_font_is_refused() {
        let dir = std::env::temp_dir().join(format!("cmap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("x.ttf");
        std::fs::write(&p, b"#read(\"/etc/passwd\") not a font").unwrap();
        assert!(read_cmap(&p).is_err());
        std::fs::write(&p, [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
        assert!(read_cmap(&p).is_err(), "a table directory cut short");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
