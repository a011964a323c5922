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
    /// Extra files to write beside the report (name, bytes).
    pub extra_files: Vec<(String, Vec<u8>)>,
    /// Also write `internal/unsuppressed.json`: the counts behind suppressed cells, marked
    /// CONFIDENTIAL. Never published.
    pub internal: bool,
}

/// The first key of `internal/unsuppressed.json`.
pub const INTERNAL_NOTICE: &str = "CONFIDENTIAL: unsuppressed counts behind cells the report hides. For the survey team only; never publish this file.";

/// Write every output into a staging folder, compile the PDF there, and only then replace
/// the output folder: a failed build leaves the last good report in place.
pub fn write(built: &mut Built, out: &Output) -> Result<Vec<String>, ReportError> {
    let io = |p: &Path, e: std::io::Error| ReportError::Output(format!("{}: {e}", p.display()));
    let parent = out
        .dir
        .parent()
        .ok_or_else(|| ReportError::Output("the output folder has no parent".into()))?;
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let name = out
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let t_draw = Instant::now();
    let source = draw::document(&built.document);
    built.timings.render += t_draw.elapsed();
    let result = (|| -> Result<Vec<String>, ReportError> {
        std::fs::create_dir_all(staging.join("tables")).map_err(|e| io(&staging, e))?;
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
        check_coverage(out.fonts, &source.chars).map_err(|e| {
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
        // typst runs while the table files are written.
        let t0 = Instant::now();
        let running = start(&Compile {
            typst: out.typst,
            root: &staging,
            input: &staging.join("report.typ"),
            output: &staging.join("report.pdf"),
            font_dir: out.fonts,
            timestamp: built.spec.timestamp(),
            pdf_standard: built.spec.pdf_standard.as_deref(),
        })
        .map_err(|e| ReportError::Output(e.to_string()))?;
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
                put(
                    &format!("cleaning-log-{n}.csv"),
                    d.cleaning.log_csv().as_bytes(),
                )?;
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
            for (n, b) in &out.extra_files {
                put(n, b)?;
            }
            Ok(())
        })();
        let warnings = running
            .wait()
            .map_err(|e| ReportError::Output(e.to_string()));
        written?;
        let warnings = warnings?;
        built.timings.typst = t0.elapsed();
        Ok(warnings)
    })();
    match result {
        Ok(w) => {
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&old);
            if out.dir.exists() {
                std::fs::rename(out.dir, &old).map_err(|e| io(out.dir, e))?;
            }
            std::fs::rename(&staging, out.dir).map_err(|e| io(out.dir, e))?;
            let _ = std::fs::remove_dir_all(&old);
            Ok(w)
        }
        Err(e) => {
            // Keep what was generated for inspection; the last good report stays in place.
            let failed = parent.join(format!(".{name}.failed"));
            let _ = std::fs::remove_dir_all(&failed);
            let kept = std::fs::rename(&staging, &failed).is_ok();
            let _ = std::fs::remove_dir_all(&staging);
            let msg = e.to_string().replace(
                &format!(".{name}.staging-{}", std::process::id()),
                &format!(".{name}.failed"),
            );
            Err(ReportError::Output(if kept {
                format!(
                    "{msg}\n(the generated sources are kept in {} for inspection)",
                    failed.display()
                )
            } else {
                msg
            }))
        }
    }
}
