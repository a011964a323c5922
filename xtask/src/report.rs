//! `cargo xtask build-report`: a report folder to `target/reports/<id>/`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use survey_report::{BuildOptions, Output, Registry, Timings};

/// The CHIMA 2025 report folder, relative to the workspace root.
pub const DEFAULT_REPORT: &str = "reports/chima-2025-data-security";

/// What a build produced.
#[derive(Debug)]
pub struct Report {
    pub id: String,
    pub out_dir: PathBuf,
    pub warnings: Vec<String>,
    pub timings: Timings,
}

/// The toolkit's version as printed in the provenance note.
pub fn toolkit_version() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

/// Build a report folder with the pinned typst into `<out_root>/<id>/`.
pub fn build(
    root: &Path,
    report_dir: &Path,
    out_root: &Path,
    typst: &Path,
    progress: Option<&dyn Fn(&str)>,
) -> Result<Report> {
    let typst_version = survey_export::compile::version(typst).unwrap_or_else(|| "typst".into());
    let registry = Registry::with_builtins();
    // A progress bar for large exports on an interactive terminal (none in CI logs).
    use std::io::IsTerminal;
    let bar: std::cell::RefCell<Option<indicatif::ProgressBar>> = std::cell::RefCell::new(None);
    let on_rows = |name: &str, bytes: u64, n: u64| {
        if bytes < 32 << 20 || !std::io::stderr().is_terminal() {
            return;
        }
        let mut b = bar.borrow_mut();
        let pb = b.get_or_insert_with(|| {
            let pb = indicatif::ProgressBar::new_spinner();
            pb.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} rows ({per_sec})")
                    .expect("a valid template"),
            );
            pb
        });
        pb.set_message(format!("reading {name}"));
        pb.set_position(n);
    };
    let opts = BuildOptions {
        toolkit_version: toolkit_version(),
        typst_version,
        progress,
        rows: Some(&on_rows),
    };
    let mut built = survey_report::build(report_dir, &registry, &opts)?;
    if let Some(pb) = bar.borrow_mut().take() {
        pb.finish_and_clear();
    }
    let out_dir = out_root.join(&built.spec.id);
    // A report folder that transcribes a publication gets its audit beside the PDF.
    let mut extra_files = Vec::new();
    if let Some((tables, claims)) = published_files(report_dir) {
        let audit = survey_report::audit::run(report_dir, tables, claims, &built.datasets)
            .map_err(anyhow::Error::msg)?;
        extra_files.push((
            "audit.json".to_owned(),
            (serde_json::to_string_pretty(&audit)? + "\n").into_bytes(),
        ));
    }
    let warnings = survey_report::write(
        &mut built,
        &Output {
            dir: &out_dir,
            typst,
            fonts: &root.join("fonts"),
            extra_files,
        },
    )?;
    Ok(Report {
        id: built.spec.id.clone(),
        out_dir,
        warnings,
        timings: built.timings,
    })
}

/// `published/tables.json` (and `published/claims.json`) when the folder has them.
pub fn published_files(report_dir: &Path) -> Option<(&'static str, Option<&'static str>)> {
    report_dir.join("published/tables.json").is_file().then(|| {
        (
            "published/tables.json",
            report_dir
                .join("published/claims.json")
                .is_file()
                .then_some("published/claims.json"),
        )
    })
}

/// `cargo xtask audit`: audit the publication transcribed in a report folder, print the
/// findings and write `audit.json` to the report's output folder.
pub fn audit(report_dir: &Path, out_root: &Path) -> Result<(survey_audit::Audit, PathBuf)> {
    let (tables, claims) = published_files(report_dir).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: no published/tables.json to audit",
            report_dir.display()
        )
    })?;
    let (spec, datasets) = survey_report::load_datasets(report_dir)?;
    let audit = survey_report::audit::run(report_dir, tables, claims, &datasets)
        .map_err(anyhow::Error::msg)?;
    let path = out_root.join(&spec.id).join("audit.json");
    survey_import::table::write_atomic(
        &path,
        (serde_json::to_string_pretty(&audit)? + "\n").as_bytes(),
    )?;
    Ok((audit, path))
}
