//! `cargo xtask preview`: a live preview while the report is written. The report folder is
//! watched; on a change the report is rebuilt reusing every dataset whose inputs did not change
//! (a narrative or spec edit never re-reads the data), the Typst source is rewritten only where
//! it changed, and one long-lived `typst watch` (the pinned typst, the project's fonts, the
//! flags of `build-report`) recompiles incrementally. The preview writes only to its own folder
//! (`target/preview/<id>/`); a failed update says where and leaves the last good PDF in place.

use std::cell::RefCell;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use survey_export::compile::{Compile, watch};
use survey_report::build::Reuse;
use survey_report::{BuildOptions, Registry};

/// What one `typst watch` compile came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Compiled {
    /// With typst's own time for the compile, and its warnings.
    Ok {
        typst_ms: f64,
        warnings: Vec<String>,
    },
    Failed(String),
}

/// One update of the preview.
#[derive(Debug)]
pub struct Update {
    /// Time in our part: reading the folder, the datasets that changed, the blocks, the
    /// source and writing what changed.
    pub ours: Duration,
    /// From writing the source to typst reporting the compile (none when nothing changed).
    pub typst_wall: Option<Duration>,
    pub compiled: Option<Compiled>,
    /// Datasets reused, and datasets read again.
    pub reused: Vec<String>,
    pub reread: Vec<String>,
    /// Files of the preview folder rewritten.
    pub rewritten: Vec<String>,
    pub pdf: PathBuf,
}

/// The long-lived `typst watch` and what it reports.
struct Watcher {
    child: std::process::Child,
    lines: Receiver<String>,
    /// The flags it runs with; a change (the spec's PDF standard, say) restarts it.
    flags: (PathBuf, i64, String),
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `compiled successfully in 19.13 ms` → 19.13; `… in 1.2 s` → 1200.
fn parse_ms(s: &str) -> Option<f64> {
    let t = s.rsplit(" in ").next()?.trim();
    let (num, unit) = t.split_once(' ').unwrap_or((t, "ms"));
    let n: f64 = num.trim().parse().ok()?;
    Some(match unit.trim() {
        "s" => n * 1000.0,
        "µs" | "us" => n / 1000.0,
        "ns" => n / 1e6,
        _ => n,
    })
}

/// Pass typst watch's standard error on, line by line, without the terminal codes it may
/// print to clear the screen.
fn read_lines(stderr: std::process::ChildStderr, tx: Sender<String>) {
    for line in std::io::BufReader::new(stderr)
        .lines()
        .map_while(|l| l.ok())
    {
        let line = line.replace("\u{1b}[2J", "").replace("\u{1b}[1;1H", "");
        if tx.send(line).is_err() {
            break;
        }
    }
}

/// What a line of typst watch says.
#[derive(Debug, PartialEq)]
enum Status {
    Compiling,
    Succeeded(Option<f64>),
    Failed,
    /// "watching …", "writing to …", blank lines.
    Frame,
    Other,
}

fn status(line: &str) -> Status {
    if line.contains("] compiling") {
        Status::Compiling
    } else if line.contains("] compiled with errors") {
        Status::Failed
    } else if line.contains("] compiled successfully") || line.contains("] compiled with warnings")
    {
        Status::Succeeded(parse_ms(line))
    } else if line.trim().is_empty()
        || line.starts_with("watching ")
        || line.starts_with("writing to ")
    {
        Status::Frame
    } else {
        Status::Other
    }
}

/// A preview of one report folder.
pub struct Preview {
    report_dir: PathBuf,
    out_root: PathBuf,
    typst: PathBuf,
    fonts: PathBuf,
    typst_version: String,
    registry: Registry,
    reuse: RefCell<Reuse>,
    watcher: Option<Watcher>,
}

/// How long to wait for typst to report a compile.
const TYPST_TIMEOUT: Duration = Duration::from_secs(120);

impl Preview {
    /// `out_root` is where the preview folders go (`target/preview`).
    pub fn new(root: &Path, report_dir: &Path, out_root: &Path, typst: &Path) -> Preview {
        Preview {
            report_dir: report_dir.to_owned(),
            out_root: out_root.to_owned(),
            typst: typst.to_owned(),
            fonts: root.join("fonts"),
            typst_version: crate::report::typst_version(typst),
            registry: Registry::with_builtins(),
            reuse: RefCell::new(Reuse::default()),
            watcher: None,
        }
    }

    /// Rebuild and wait for typst. An error (a bad reference, a bad spec field, a character no
    /// font has, a typst error) is located as in `build-report`; the last good PDF stays.
    pub fn update(&mut self) -> Result<Update> {
        let t0 = Instant::now();
        let opts = BuildOptions {
            toolkit_version: crate::report::toolkit_version(),
            typst_version: self.typst_version.clone(),
            progress: None,
            rows: None,
            keep_records: false,
            reuse: Some(&self.reuse),
        };
        let mut built = survey_report::build(&self.report_dir, &self.registry, &opts)?;
        let (reused, reread) = {
            let r = self.reuse.borrow();
            let all: Vec<String> = built.datasets.keys().cloned().collect();
            let reread = all
                .iter()
                .filter(|d| !r.reused.contains(d))
                .cloned()
                .collect();
            (r.reused.clone(), reread)
        };
        let source = survey_report::output::typst_source(&mut built, &self.fonts);
        let id = built.spec.id.clone();
        let timestamp = built.spec.timestamp();
        let standards = built.spec.pdf_standards();
        self.reuse
            .borrow_mut()
            .keep(std::mem::take(&mut built.datasets));
        let source = source?;
        let dir = self.out_root.join(&id);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // Drop what typst reported before this update.
        if let Some(w) = &self.watcher {
            while w.lines.try_recv().is_ok() {}
        }
        // Assets first, the source last, each replaced in one step and only when it changed,
        // so typst sees small, complete changes.
        let mut rewritten = Vec::new();
        let files = source
            .assets
            .iter()
            .map(|(rel, b)| (rel.as_str(), b.as_slice()))
            .chain(std::iter::once(("report.typ", source.text.as_bytes())));
        for (rel, bytes) in files {
            let p = dir.join(rel);
            if std::fs::read(&p).ok().as_deref() == Some(bytes) {
                continue;
            }
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d)?;
            }
            let tmp = p.with_extension("preview-tmp");
            std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, &p).with_context(|| format!("writing {}", p.display()))?;
            rewritten.push(rel.to_owned());
        }
        let ours = t0.elapsed();
        let pdf = dir.join("report.pdf");
        let flags = (dir.clone(), timestamp, standards.clone());
        let restart = self.watcher.as_ref().is_none_or(|w| w.flags != flags);
        if !restart && rewritten.is_empty() {
            return Ok(Update {
                ours,
                typst_wall: None,
                compiled: None,
                reused,
                reread,
                rewritten,
                pdf,
            });
        }
        let t1 = Instant::now();
        if restart {
            self.watcher = None;
            let mut child = watch(&Compile {
                typst: &self.typst,
                root: &dir,
                input: &dir.join("report.typ"),
                output: &pdf,
                font_dir: &self.fonts,
                timestamp,
                pdf_standard: Some(&standards),
            })?;
            let stderr = child
                .stderr
                .take()
                .context("typst watch has no standard error")?;
            let (tx, rx) = channel();
            std::thread::spawn(move || read_lines(stderr, tx));
            self.watcher = Some(Watcher {
                child,
                lines: rx,
                flags,
            });
        }
        let w = self.watcher.as_ref().expect("started above");
        let mut compiled = wait_done(&w.lines, TYPST_TIMEOUT)?;
        // Several files changed: typst may have compiled before the last one landed; take the
        // compile that follows, if one starts at once.
        if rewritten.len() > 1 {
            while let Ok(l) = w.lines.recv_timeout(Duration::from_millis(150)) {
                if status(&l) == Status::Compiling {
                    compiled = wait_done(&w.lines, TYPST_TIMEOUT)?;
                }
            }
        }
        let typst_wall = t1.elapsed();
        if let Compiled::Ok { warnings, .. } = &compiled
            && let Some(w) = warnings.iter().find(|w| w.contains("unknown font family"))
        {
            compiled = Compiled::Failed(format!(
                "typst could not find a font the document asks for (the build only uses fonts/):\n{w}"
            ));
        }
        Ok(Update {
            ours,
            typst_wall: Some(typst_wall),
            compiled: Some(compiled),
            reused,
            reread,
            rewritten,
            pdf,
        })
    }
}

/// Wait for typst to report a compile, then take the diagnostics printed after it (they
/// follow the status line at once).
fn wait_done(lines: &Receiver<String>, timeout: Duration) -> Result<Compiled> {
    let deadline = Instant::now() + timeout;
    let outcome = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(l) => match status(&l) {
                Status::Succeeded(ms) => break Some(ms),
                Status::Failed => break None,
                _ => continue,
            },
            Err(RecvTimeoutError::Timeout) => {
                anyhow::bail!("typst watch reported no compile within {timeout:?}")
            }
            Err(RecvTimeoutError::Disconnected) => anyhow::bail!("typst watch stopped"),
        }
    };
    let mut diag = Vec::new();
    while let Ok(l) = lines.recv_timeout(Duration::from_millis(15)) {
        match status(&l) {
            Status::Other => diag.push(l),
            Status::Frame => {}
            _ => break,
        }
    }
    Ok(match outcome {
        Some(ms) => Compiled::Ok {
            typst_ms: ms.unwrap_or(0.0),
            warnings: diag,
        },
        None => Compiled::Failed(diag.join("\n")),
    })
}

/// The one line printed per update; `after_error` when the update before it failed.
pub fn describe(changed: &[String], u: &Result<Update>, after_error: bool) -> String {
    let what = if changed.is_empty() {
        "first build".to_owned()
    } else if changed.len() > 3 {
        format!("{}, … ({} files)", changed[..3].join(", "), changed.len())
    } else {
        changed.join(", ")
    };
    match u {
        Err(e) => format!("{what}: error (the last good PDF stays)\n{e:#}"),
        Ok(u) => {
            let data = match (u.reused.is_empty(), u.reread.is_empty()) {
                (_, true) if !u.reused.is_empty() => "data reused".to_owned(),
                (true, _) => format!("data read: {}", u.reread.join(", ")),
                _ => format!(
                    "data read: {}; reused: {}",
                    u.reread.join(", "),
                    u.reused.join(", ")
                ),
            };
            let ours = u.ours.as_millis();
            match (&u.compiled, u.typst_wall) {
                (None, _) if after_error => format!(
                    "{what}: ours {ours} ms ({data}); the error is cleared and the PDF already shows this text"
                ),
                (None, _) => format!("{what}: ours {ours} ms ({data}); the PDF is unchanged"),
                (Some(Compiled::Ok { typst_ms, warnings }), Some(wall)) => {
                    let mut s = format!(
                        "{what}: ours {ours} ms ({data}) · typst {} ms (its compile {typst_ms:.0} ms) → {}",
                        wall.as_millis(),
                        u.pdf.display()
                    );
                    for w in warnings {
                        s.push_str(&format!("\n  {w}"));
                    }
                    s
                }
                (Some(Compiled::Failed(e)), _) => format!(
                    "{what}: ours {ours} ms ({data}) · typst failed (the last good PDF stays):\n{e}"
                ),
                (Some(Compiled::Ok { .. }), None) => unreachable!("a compile has a time"),
            }
        }
    }
}

/// Files whose changes do not matter: editors' swap and backup files, hidden files.
fn ignored(rel: &Path) -> bool {
    rel.components().any(|c| {
        let s = c.as_os_str().to_string_lossy();
        s.starts_with('.') || s.ends_with('~') || s.ends_with(".swp") || s.ends_with(".tmp")
    })
}

/// `cargo xtask preview`: watch the folder and update on every change until interrupted.
pub fn run(root: &Path, report_dir: &Path, out_root: &Path, typst: &Path) -> Result<()> {
    use notify::{RecursiveMode, Watcher as _};
    let folder = report_dir
        .canonicalize()
        .with_context(|| format!("{}", report_dir.display()))?;
    let (tx, rx) = channel();
    let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if let Ok(ev) = ev
            && !matches!(ev.kind, notify::EventKind::Access(_))
        {
            let _ = tx.send(ev.paths);
        }
    })?;
    watcher.watch(&folder, RecursiveMode::Recursive)?;
    let mut p = Preview::new(root, report_dir, out_root, typst);
    println!(
        "previewing {} into {} (Ctrl-C stops)",
        report_dir.display(),
        out_root.display()
    );
    let u = p.update();
    println!("{}", survey_import::visible(&describe(&[], &u, false)));
    let mut failed = u.is_err();
    while let Ok(first) = rx.recv() {
        let mut paths = first;
        // An editor's save is often several events: take what arrives together.
        while let Ok(more) = rx.recv_timeout(Duration::from_millis(30)) {
            paths.extend(more);
        }
        paths.sort();
        paths.dedup();
        // Name the files that changed; a file that came and went (an editor's or sed's
        // temporary file) is named only if nothing else changed.
        let (now, gone): (Vec<&PathBuf>, Vec<&PathBuf>) = paths.iter().partition(|p| p.exists());
        let shown = if now.iter().any(|p| p.is_file()) {
            now
        } else {
            gone
        };
        let mut changed: Vec<String> = shown
            .into_iter()
            .filter(|p| !p.is_dir())
            .filter_map(|p| p.strip_prefix(&folder).ok())
            .filter(|r| !r.as_os_str().is_empty() && !ignored(r))
            .map(|r| r.display().to_string())
            .collect();
        changed.sort();
        changed.dedup();
        if changed.is_empty() {
            continue;
        }
        let u = p.update();
        println!(
            "{}",
            survey_import::visible(&describe(&changed, &u, failed))
        );
        failed = u.is_err()
            || matches!(
                u,
                Ok(Update {
                    compiled: Some(Compiled::Failed(_)),
                    ..
                })
            );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typst_times_are_read_in_milliseconds() {
        assert_eq!(
            parse_ms("[00:45:38] compiled successfully in 19.13 ms"),
            Some(19.13)
        );
        assert_eq!(
            parse_ms("[00:45:38] compiled with warnings in 1.5 s"),
            Some(1500.0)
        );
        assert_eq!(
            parse_ms("[00:45:38] compiled successfully in 250 µs"),
            Some(0.25)
        );
    }

    #[test]
    fn a_fix_that_restores_the_last_good_source_says_the_error_is_cleared() {
        let u = || {
            Ok(Update {
                ours: Duration::from_millis(12),
                typst_wall: None,
                compiled: None,
                reused: vec!["main".into()],
                reread: Vec::new(),
                rewritten: Vec::new(),
                pdf: PathBuf::from("report.pdf"),
            })
        };
        let changed = ["narrative/report.md".to_owned()];
        let after = describe(&changed, &u(), true);
        assert!(after.contains("error is cleared"), "{after}");
        let plain = describe(&changed, &u(), false);
        assert!(
            plain.contains("the PDF is unchanged") && plain.contains("data reused"),
            "{plain}"
        );
    }

    #[test]
    fn editor_files_are_ignored() {
        assert!(ignored(Path::new("narrative/.report.md.swp")));
        assert!(ignored(Path::new("narrative/report.md~")));
        assert!(!ignored(Path::new("narrative/report.md")));
    }
}
