//! `cargo xtask build-report`: a report folder to `target/reports/<id>/`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use survey_report::{BuildOptions, Output, Registry, Timings};

/// The CHIMA 2025 report folder, relative to the workspace root.
pub const DEFAULT_REPORT: &str = "reports/chima-2025-data-security";

/// What a build produced.
#[derive(Debug)]
pub struct Report {
    pub id: String,
    pub out_dir: PathBuf,
    pub warnings: Vec<String>,
    /// What the user should know of the build besides typst's warnings.
    pub notes: Vec<String>,
    pub timings: Timings,
}

/// The toolkit's version as printed in the provenance note.
pub fn toolkit_version() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

/// Choices of a build beyond where it reads and writes.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// Also write the CONFIDENTIAL `internal/unsuppressed.json`.
    pub internal: bool,
    /// Also write the respondent-level data (`data/`); `Some(true)` with the identifying
    /// questions (those files are marked CONFIDENTIAL).
    pub data: Option<bool>,
}

/// Build a report folder with the pinned typst into `<out_root>/<id>/`.
pub fn build(
    root: &Path,
    report_dir: &Path,
    out_root: &Path,
    typst: &Path,
    progress: Option<&dyn Fn(&str)>,
) -> Result<Report> {
    build_with(
        root,
        report_dir,
        out_root,
        typst,
        progress,
        &Extras::default(),
    )
}

/// As [`build`], with extras.
pub fn build_with(
    root: &Path,
    report_dir: &Path,
    out_root: &Path,
    typst: &Path,
    progress: Option<&dyn Fn(&str)>,
    extras: &Extras,
) -> Result<Report> {
    let typst_version = typst_version(typst);
    let registry = Registry::with_builtins();
    // A progress bar for large exports on an interactive terminal (none in CI logs).
    use std::io::IsTerminal;
    let bar: std::cell::RefCell<Option<indicatif::ProgressBar>> = std::cell::RefCell::new(None);
    let on_rows = |name: &str, p: survey_report::dataset::ReadProgress| {
        if p.file_bytes < 32 << 20 || !std::io::stderr().is_terminal() {
            return;
        }
        let mut b = bar.borrow_mut();
        match p.done_bytes {
            // The parallel reader knows how far through the file it is: a bar with an ETA.
            // (Its second, light read of the rows cleaning set aside is not shown: it is a
            // scan, a tenth of the time.)
            Some(done) => {
                let pb = b.get_or_insert_with(|| {
                    let pb = indicatif::ProgressBar::new(p.file_bytes);
                    pb.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{msg} [{bar:30}] {percent}% · {binary_bytes_per_sec} · ETA {eta}",
                        )
                        .expect("a valid template")
                        .progress_chars("=> "),
                    );
                    pb
                });
                let secs = pb.elapsed().as_secs_f64().max(0.25);
                pb.set_message(format!(
                    "reading {name} ({} rows, {:.0} rows/s)",
                    p.rows,
                    p.rows as f64 / secs
                ));
                pb.set_position(done);
            }
            None => {
                let pb = b.get_or_insert_with(|| {
                    let pb = indicatif::ProgressBar::new_spinner();
                    pb.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{spinner} {msg} {pos} rows ({per_sec})",
                        )
                        .expect("a valid template"),
                    );
                    pb
                });
                pb.set_message(format!("reading {name}"));
                pb.set_position(p.rows);
            }
        }
    };
    let opts = BuildOptions {
        toolkit_version: toolkit_version(),
        typst_version,
        progress,
        rows: Some(&on_rows),
        keep_records: extras.data.is_some(),
        reuse: None,
    };
    let mut built = survey_report::build(report_dir, &registry, &opts)?;
    if let Some(pb) = bar.borrow_mut().take() {
        pb.finish_and_clear();
    }
    let out_dir = out_root.join(&built.spec.id);
    claim(&out_dir, report_dir, &built.spec.id)?;
    // The data files an earlier `export-data` (or `--data`) wrote beside the report came from
    // the earlier inputs: they go with it, and the user hears of it.
    let data_dropped = extras.data.is_none() && out_dir.join("data").is_dir();
    let warnings = survey_report::write(
        &mut built,
        &Output {
            dir: &out_dir,
            typst,
            fonts: &root.join("fonts"),
            data: extras.data,
            internal: extras.internal,
        },
    )?;
    mark(&out_dir, report_dir);
    let mut notes = mostly_hidden(&built.tables);
    if data_dropped {
        notes.push(format!(
            "the data/ folder written beside the earlier build (export-data or --data) went with it, being the earlier inputs' data; write it again with `export-data` or build with `--data` ({})",
            out_dir.join("data").display()
        ));
    }
    Ok(Report {
        id: built.spec.id.clone(),
        out_dir,
        warnings,
        notes,
        timings: built.timings,
    })
}

/// `cargo xtask export-data`: write each dataset's cleaned, valid respondents (`.sav`, `.dta`,
/// Parquet, codebook) into `<out_root>/<id>/data/`, replacing what was there only once every
/// file is written. Returns the folder and the files.
pub fn export_data(
    report_dir: &Path,
    out_root: &Path,
    identifying: bool,
) -> Result<(PathBuf, Vec<String>)> {
    let (spec, folder, datasets) = survey_report::load_datasets_with(report_dir, true)?;
    let weights = survey_report::weights::compute(&folder, &spec.weights, &datasets)?;
    let report_out = out_root.join(&spec.id);
    claim(&report_out, report_dir, &spec.id)?;
    std::fs::create_dir_all(&report_out)
        .with_context(|| format!("cannot create {}", report_out.display()))?;
    remove_dead_staging(&report_out);
    let staging = report_out.join(format!(".data.staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let names =
        match survey_report::data::write(&datasets, &weights, identifying, &spec.date, &staging) {
            Ok(names) => names,
            Err(e) => {
                // No half-written data folder is left behind; the last good one stays.
                let _ = std::fs::remove_dir_all(&staging);
                return Err(e.into());
            }
        };
    let dest = report_out.join("data");
    let old = report_out.join(format!(".data.old-{}", std::process::id()));
    let swapped = (|| -> Result<()> {
        if dest.exists() && !dest.is_dir() {
            anyhow::bail!(
                "{} is a file, not a data folder: move it away, then export again",
                dest.display()
            );
        }
        if dest.exists() {
            std::fs::rename(&dest, &old)
                .with_context(|| format!("cannot move {} aside", dest.display()))?;
        }
        std::fs::rename(&staging, &dest)
            .with_context(|| format!("cannot move the new data into {}", dest.display()))
    })();
    if let Err(e) = swapped {
        // The files written stay out of the way; the last good data/ is put back if it moved.
        let _ = std::fs::remove_dir_all(&staging);
        if !dest.exists() {
            let _ = std::fs::rename(&old, &dest);
        }
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(&old);
    mark(&report_out, report_dir);
    Ok((dest, names))
}

/// A line for each printed table that shows more than half of its figures as «<5» or «×»: each table's
/// note says why, but a table that says little should be heard of before the PDF is read.
fn mostly_hidden(tables: &survey_print::TablesFile) -> Vec<String> {
    use survey_print::CellValue;
    tables
        .tables
        .iter()
        .filter_map(|t| {
            let number = t.number.as_ref()?;
            let (mut figures, mut hidden) = (0usize, 0usize);
            for cell in t.rows.iter().flat_map(|r| &r.cells) {
                match cell.value {
                    CellValue::Text | CellValue::Missing => {}
                    CellValue::Suppressed { .. } => {
                        figures += 1;
                        hidden += 1;
                    }
                    _ => figures += 1,
                }
            }
            (figures >= 4 && 2 * hidden > figures).then(|| {
                format!(
                    "表{number}{} hides {hidden} of its {figures} figures («<5» or «×»: small cells, and cells that would give them away{}); its note says which. Merging small options or rows shows more.",
                    t.caption
                        .as_ref()
                        .map_or(String::new(), |c| format!(" «{c}»")),
                    if t.weights.is_some() {
                        ": a weighted share hides with any small cell it is made of"
                    } else {
                        ""
                    }
                )
            })
        })
        .collect()
}

/// Remove the half-written data folders of exports that were killed (trial 38: SIGKILL left
/// `.data.staging-<pid>` with a partial .sav beside the report, and the next export kept it).
/// Only those whose process is gone, where the system says which are running (`/proc`).
fn remove_dead_staging(report_out: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(report_out) else {
        return;
    };
    let dead = |pid: Option<u32>| {
        pid.is_some_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        })
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if dead(
            name.strip_prefix(".data.staging-")
                .and_then(|p| p.parse().ok()),
        ) {
            let _ = std::fs::remove_dir_all(e.path());
        } else if dead(name.strip_prefix(".data.old-").and_then(|p| p.parse().ok())) {
            // Killed between moving the last good data aside and putting the new in place:
            // the last good data go back.
            let data = report_out.join("data");
            if data.exists() {
                let _ = std::fs::remove_dir_all(e.path());
            } else {
                let _ = std::fs::rename(e.path(), data);
            }
        }
    }
}

/// The file in an output folder that names the report folder written into it.
const BUILT_FROM: &str = ".built-from";

/// Refuse to write over another report folder's output. A folder copied to start a new
/// report keeps the original's `id` until it is changed, and the two would otherwise take turns
/// overwriting `<out>/<id>/`, each build's files under the other's name. An output whose folder
/// is gone (moved, or the workspace with it) is taken over.
fn claim(out_dir: &Path, report_dir: &Path, id: &str) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(out_dir.join(BUILT_FROM)) else {
        return Ok(());
    };
    let theirs = PathBuf::from(text.trim_end_matches('\n'));
    let me = std::fs::canonicalize(report_dir).unwrap_or_else(|_| report_dir.to_owned());
    if theirs == me || !theirs.join("report.toml").is_file() {
        return Ok(());
    }
    anyhow::bail!(
        "{} holds the report built from {}, and {} has the same id \"{id}\": give it an id of its own in {} (id = \"…\"), or write it elsewhere with --out <dir>",
        out_dir.display(),
        theirs.display(),
        me.display(),
        me.join("report.toml").display()
    )
}

/// Record which report folder the output folder now holds (see [`claim`]). Best effort: an
/// output without the record is simply not guarded.
fn mark(out_dir: &Path, report_dir: &Path) {
    let me = std::fs::canonicalize(report_dir).unwrap_or_else(|_| report_dir.to_owned());
    let _ = std::fs::write(
        out_dir.join(BUILT_FROM),
        format!("{}\n", me.to_string_lossy()),
    );
}

/// `typst 0.15.1`: the version as the provenance note prints it (a build without git metadata
/// says "(unknown commit)", which is noise to a reader).
pub fn typst_version(typst: &Path) -> String {
    let v = survey_export::compile::version(typst).unwrap_or_else(|| "typst".into());
    match v.split_once(" (") {
        Some((head, _)) => head.trim().to_owned(),
        None => v.trim().to_owned(),
    }
}

/// `cargo xtask audit`: audit the publication named by the spec's `[audit]`, print the
/// findings and write `audit.json` to the report's output folder.
pub fn audit(report_dir: &Path, out_root: &Path) -> Result<(survey_audit::Audit, PathBuf)> {
    let (spec, folder, datasets) = survey_report::load_datasets(report_dir)?;
    let decl = spec.audit.as_ref().ok_or_else(|| {
        anyhow::anyhow!(
            "{}: the spec names no publication to audit (add `[audit]` with `tables = \"published/tables.json\"`)",
            report_dir.join("report.toml").display()
        )
    })?;
    let audit =
        survey_report::blocks::audit::run(&folder, decl, &datasets).map_err(anyhow::Error::msg)?;
    let path = out_root.join(&spec.id).join("audit.json");
    survey_import::table::write_atomic(
        &path,
        (serde_json::to_string_pretty(&audit)? + "\n").as_bytes(),
    )?;
    Ok((audit, path))
}
