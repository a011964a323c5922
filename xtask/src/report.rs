//! `cargo xtask build-report`: a report folder to `target/reports/<id>/`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use indexmap::IndexMap;
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
    let extras = IndexMap::new();
    let opts = BuildOptions {
        toolkit_version: toolkit_version(),
        typst_version,
        extras,
        progress,
    };
    let mut built = survey_report::build(report_dir, &registry, &opts)?;
    let out_dir = out_root.join(&built.spec.id);
    let warnings = survey_report::write(
        &mut built,
        &Output {
            dir: &out_dir,
            typst,
            fonts: &root.join("fonts"),
            extra_files: Vec::new(),
        },
    )?;
    Ok(Report {
        id: built.spec.id.clone(),
        out_dir,
        warnings,
        timings: built.timings,
    })
}
