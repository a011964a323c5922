//! Writing a built report: the Typst source drawn from the document, the PDF, the table files,
//! the cleaning logs and the audit, staged and swapped in only when everything succeeded.

use std::path::Path;
use std::time::Instant;

use survey_export::compile::{Compile, check_coverage, start};
use survey_export::{draw, files};

use crate::ReportError;
use crate::build::Built;

/// Where and how to produce the PDF.
pub struct Output<'a> {
    /// `target/reports/<id>/`.
    pub dir: &'a Path,
    pub typst: &'a Path,
    pub fonts: &'a Path,
    /// Also write the respondent-level data into `data/` ([`crate::data::write`]); `Some(true)`
    /// keeps the identifying questions.
    pub data: Option<bool>,
    /// Also write `internal/unsuppressed.json`: the counts behind suppressed cells, marked
    /// CONFIDENTIAL. Never published.
    pub internal: bool,
}

/// The first key of `internal/unsuppressed.json`.
pub const INTERNAL_NOTICE: &str = "CONFIDENTIAL: unsuppressed counts behind cells the report hides. For the survey team only; never publish this file.";

/// Name the charts' page files (`page-01.svg`, …) by figure number (`fig-3.1.1.svg`).
fn name_chart_pages(dir: &Path, numbers: &[String]) -> Result<(), ReportError> {
    let width = numbers.len().to_string().len();
    for (i, n) in numbers.iter().enumerate() {
        for ext in ["svg", "png"] {
            let from = dir.join(format!("page-{:0width$}.{ext}", i + 1));
            let to = dir.join(format!("fig-{n}.{ext}"));
            std::fs::rename(&from, &to)
                .map_err(|e| ReportError::Output(format!("{}: {e}", from.display())))?;
        }
    }
    Ok(())
}

/// The font files (names and sizes) the charts are drawn with, as a short key.
fn fonts_key(dir: &Path) -> String {
    let mut files: Vec<(String, u64)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    let m = e.metadata().ok()?;
                    m.is_file()
                        .then(|| (e.file_name().to_string_lossy().into_owned(), m.len()))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|(n, l)| format!("{n}:{l}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Hold the report's lock: a second build of the same report waits, saying who holds it.
fn lock(parent: &Path, name: &str) -> Result<std::fs::File, ReportError> {
    use std::io::{Read, Seek, Write};
    let path = parent.join(format!(".{name}.lock"));
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| ReportError::Output(format!("cannot write into {}: {e}", parent.display())))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = f.read_to_string(&mut holder);
            eprintln!(
                "waiting for another build of {name} (process {}) to finish…",
                holder.trim()
            );
            f.lock()
                .map_err(|e| ReportError::Output(format!("{}: {e}", path.display())))?;
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(ReportError::Output(format!("{}: {e}", path.display())));
        }
    }
    let _ = f.set_len(0);
    let _ = f.rewind();
    let _ = write!(f, "{}", std::process::id());
    Ok(f)
}

/// Remove what killed builds left behind (staging and old folders). Only called while holding
/// the report's lock, so no other build is using them.
fn clean_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(&format!(".{name}.staging-")) || n.starts_with(&format!(".{name}.old-")) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Put `new` where `dir` is, without a moment when `dir` is absent: swap the two folders in one
/// step (Linux `renameat2(RENAME_EXCHANGE)`), then remove the old one. Where the system cannot
/// swap, rename the old one aside first.
fn swap_in(new: &Path, dir: &Path, old: &Path) -> std::io::Result<()> {
    if !dir.exists() {
        return std::fs::rename(new, dir);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        if renameat_with(CWD, new, CWD, dir, RenameFlags::EXCHANGE).is_ok() {
            // `new` now holds the previous report.
            let _ = std::fs::remove_dir_all(new);
            return Ok(());
        }
    }
    std::fs::rename(dir, old)?;
    std::fs::rename(new, dir)?;
    let _ = std::fs::remove_dir_all(old);
    Ok(())
}

/// Check that the fonts print every character of the source; a missing one is named with
/// the text it is in.
pub fn check_fonts(source: &draw::Source, fonts: &Path) -> Result<(), ReportError> {
    check_coverage(fonts, &source.chars).map_err(|e| {
        ReportError::Output(match e {
            survey_export::compile::CompileError::Coverage { dir, missing, .. } => {
                let places = survey_export::compile::places(&source.text, &missing);
                survey_export::compile::CompileError::Coverage {
                    dir,
                    missing,
                    places,
                }
                .to_string()
            }
            e => e.to_string(),
        })
    })?;
    Ok(())
}

/// The report's Typst source and assets, checked against the fonts: exactly what [`write`]
/// compiles (the preview hands it to a long-lived `typst watch`).
pub fn typst_source(built: &mut Built, fonts: &Path) -> Result<draw::Source, ReportError> {
    let t = Instant::now();
    let source = draw::document(&built.document);
    built.timings.render += t.elapsed();
    check_fonts(&source, fonts)?;
    Ok(source)
}

/// Write every output into a staging folder, compile the PDF there, and only then swap it in
/// for the output folder: a failed build leaves the last good report in place.
pub fn write(built: &mut Built, out: &Output) -> Result<Vec<String>, ReportError> {
    let io = |p: &Path, e: std::io::Error| ReportError::Output(format!("{}: {e}", p.display()));
    let parent = out
        .dir
        .parent()
        .ok_or_else(|| ReportError::Output("the output folder has no parent".into()))?;
    std::fs::create_dir_all(parent)
        .map_err(|e| ReportError::Output(format!("cannot create {}: {e}", parent.display())))?;
    let name = out
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let _lock = lock(parent, &name)?;
    clean_leftovers(parent, &name);
    let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
    let t_draw = Instant::now();
    let source = draw::document(&built.document);
    built.timings.render += t_draw.elapsed();
    if let Err(e) = std::fs::create_dir_all(staging.join("tables")) {
        return Err(ReportError::Output(format!(
            "cannot write the report into {}: {e}",
            parent.display()
        )));
    }
    let result = (|| -> Result<Vec<String>, ReportError> {
        let put = |rel: &str, bytes: &[u8]| {
            let p = staging.join(rel);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
            }
            std::fs::write(&p, bytes).map_err(|e| io(&p, e))
        };
        put("report.typ", source.text.as_bytes())?;
        for (rel, bytes) in &source.assets {
            put(rel, bytes)?;
        }
        check_fonts(&source, out.fonts)?;
        // Charts as images: every numbered figure on a page of its own, compiled to SVG and to
        // PNG (one file per page), then named by figure number.
        let charts = draw::charts(&built.document).map(|(mut src, numbers)| {
            // What the images depend on besides the source: the typst and the fonts.
            src.text = format!(
                "// drawn by {}; fonts: {}\n{}",
                survey_export::compile::version(out.typst).unwrap_or_default(),
                fonts_key(out.fonts),
                src.text
            );
            (src, numbers)
        });
        let mut chart_runs = Vec::new();
        // The images of the last good build are taken over when they were drawn from the same
        // source by the same typst with the same fonts: same inputs, same bytes.
        let mut charts_reused = false;
        if let Some((src, numbers)) = &charts {
            put("charts.typ", src.text.as_bytes())?;
            std::fs::create_dir_all(staging.join("charts")).map_err(|e| io(&staging, e))?;
            charts_reused = std::fs::read(out.dir.join("charts.typ")).ok().as_deref()
                == Some(src.text.as_bytes())
                && numbers.iter().all(|n| {
                    ["svg", "png"].iter().all(|ext| {
                        let name = format!("charts/fig-{n}.{ext}");
                        std::fs::copy(out.dir.join(&name), staging.join(&name)).is_ok()
                    })
                });
        }
        if let Some((_, _)) = charts.as_ref().filter(|_| !charts_reused) {
            for ext in ["svg", "png"] {
                chart_runs.push(
                    start(&Compile {
                        typst: out.typst,
                        root: &staging,
                        input: &staging.join("charts.typ"),
                        output: &staging.join(format!("charts/page-{{0p}}.{ext}")),
                        font_dir: out.fonts,
                        timestamp: built.spec.timestamp(),
                        pdf_standard: None,
                    })
                    .map_err(|e| ReportError::Output(e.to_string()))?,
                );
            }
        }
        // typst runs while the table files are written.
        let t0 = Instant::now();
        let running = start(&Compile {
            typst: out.typst,
            root: &staging,
            input: &staging.join("report.typ"),
            output: &staging.join("report.pdf"),
            font_dir: out.fonts,
            timestamp: built.spec.timestamp(),
            pdf_standard: Some(&built.spec.pdf_standards()),
        })
        .map_err(|e| ReportError::Output(e.to_string()))?;
        let mut data_time = std::time::Duration::ZERO;
        // typst is waited for on a thread of its own, so that its time is its own while the
        // files are written.
        let ((warnings, chart_errors, typst_time), written) = std::thread::scope(|scope| {
            let waiter = scope.spawn(move || {
                let warnings = running
                    .wait()
                    .map_err(|e| ReportError::Output(e.to_string()));
                let mut chart_errors = Vec::new();
                for r in chart_runs {
                    if let Err(e) = r.wait() {
                        chart_errors.push(e.to_string());
                    }
                }
                (warnings, chart_errors, t0.elapsed())
            });
            let written = (|| -> Result<(), ReportError> {
                put("tables.json", built.tables.to_json().as_bytes())?;
                for t in &built.tables.tables {
                    if let Some(n) = &t.number {
                        put(
                            &format!("tables/{}", files::csv_name(n)),
                            &files::table_csv(t),
                        )?;
                    }
                }
                put(
                    "tables.xlsx",
                    &files::xlsx(&built.tables, &built.spec.title).map_err(ReportError::Output)?,
                )?;
                for (n, d) in &built.datasets {
                    // Streamed from the cleaning's own store: a long log is never one string.
                    let p = staging.join(format!("cleaning-log-{n}.csv"));
                    std::fs::File::create(&p)
                        .and_then(|f| d.cleaning.write_log_csv(f))
                        .map_err(|e| io(&p, e))?;
                }
                if let Some(a) = &built.audit {
                    let json = serde_json::to_string_pretty(a)
                        .map_err(|e| ReportError::Output(e.to_string()))?;
                    put("audit.json", (json + "\n").as_bytes())?;
                }
                if out.internal {
                    let json = serde_json::to_string_pretty(&serde_json::json!({
                        "notice": INTERNAL_NOTICE,
                        "tables": built.internal,
                    }))
                    .map_err(|e| ReportError::Output(e.to_string()))?;
                    put("internal/unsuppressed.json", (json + "\n").as_bytes())?;
                }
                if let Some(identifying) = out.data {
                    let t = Instant::now();
                    crate::data::write(
                        &built.datasets,
                        &built.weights,
                        identifying,
                        &built.spec.date,
                        &staging.join("data"),
                    )?;
                    data_time = t.elapsed();
                }
                Ok(())
            })();
            let waited = waiter.join().unwrap_or_else(|_| {
                (
                    Err(ReportError::Output("waiting for typst failed".into())),
                    Vec::new(),
                    t0.elapsed(),
                )
            });
            (waited, written)
        });
        written?;
        let warnings = warnings?;
        if !chart_errors.is_empty() {
            return Err(ReportError::Output(format!(
                "drawing the charts as images failed:\n{}",
                chart_errors.join("\n")
            )));
        }
        if let Some((_, numbers)) = charts.as_ref().filter(|_| !charts_reused) {
            name_chart_pages(&staging.join("charts"), numbers)?;
        }
        built.timings.typst = typst_time;
        built.timings.data = data_time;
        Ok(warnings)
    })();
    match result {
        Ok(w) => {
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            swap_in(&staging, out.dir, &old).map_err(|e| io(out.dir, e))?;
            Ok(w)
        }
        Err(e) => {
            // Keep what was generated for inspection; the last good report stays in place.
            let failed = parent.join(format!(".{name}.failed"));
            let _ = std::fs::remove_dir_all(&failed);
            let kept = std::fs::rename(&staging, &failed).is_ok();
            let _ = std::fs::remove_dir_all(&staging);
            let staged = format!(".{name}.staging-{}", std::process::id());
            Err(ReportError::Output(if kept {
                format!(
                    "{}\n(the generated sources are kept in {} for inspection)",
                    e.to_string().replace(&staged, &format!(".{name}.failed")),
                    failed.display()
                )
            } else {
                e.to_string()
            }))
        }
    }
}
