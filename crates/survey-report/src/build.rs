//! Building a report: spec → datasets → blocks → Typst source and tables, then the PDF.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use survey_aggregate::CrossTabSpec;
use survey_export::compile::{Compile, check_coverage, start};
use survey_export::files::TablesFile;
use survey_export::template::{Meta, preamble};

use crate::ReportError;
use crate::block::{Block, Context, Provenance, Registry};
use crate::dataset::{Dataset, sha256_file};
use crate::spec::{ReportSpec, SpecError};

/// Time spent in each stage.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub import: Duration,
    pub clean: Duration,
    pub aggregate: Duration,
    pub render: Duration,
    pub typst: Duration,
}

/// A built report before it is written: the Typst source, the characters it prints, its tables.
pub struct Built {
    pub spec: ReportSpec,
    pub dir: PathBuf,
    pub source: String,
    pub chars: BTreeSet<char>,
    pub tables: TablesFile,
    pub datasets: IndexMap<String, Dataset>,
    pub timings: Timings,
}

/// Row progress callback: (dataset, file bytes read, rows read).
pub type RowsProgress<'a> = &'a dyn Fn(&str, u64, u64);

/// What the builder needs besides the report folder.
pub struct BuildOptions<'a> {
    pub toolkit_version: String,
    pub typst_version: String,
    pub progress: Option<&'a dyn Fn(&str)>,
    /// Called every few thousand rows while a dataset is read: (dataset, file bytes, rows).
    pub rows: Option<RowsProgress<'a>>,
}

/// Parse the spec's blocks with the registry; every bad block is reported.
pub fn parse_blocks(
    spec_path: &Path,
    registry: &Registry,
) -> Result<(ReportSpec, Vec<Box<dyn Block>>), ReportError> {
    let (spec, raw) = ReportSpec::load(spec_path).map_err(ReportError::Spec)?;
    let mut blocks = Vec::new();
    let mut errors = Vec::new();
    for rb in raw {
        let loc = |field: Option<String>, message: String| SpecError {
            file: spec_path.to_owned(),
            line: Some(rb.line),
            block: Some(rb.describe()),
            field,
            message,
        };
        match registry.parse(&rb.kind, rb.params.clone()) {
            None => errors.push(loc(
                Some("kind".into()),
                format!(
                    "unknown block kind `{}`; known kinds: {}",
                    rb.kind,
                    registry.kinds().collect::<Vec<_>>().join(", ")
                ),
            )),
            Some(Err(msg)) => {
                let field = msg.split('`').nth(1).map(str::to_owned);
                errors.push(loc(field, msg));
            }
            Some(Ok(b)) => blocks.push(b),
        }
    }
    if !errors.is_empty() {
        return Err(ReportError::Specs(errors));
    }
    Ok((spec, blocks))
}

/// Every file of the report folder with its SHA-256, sorted by path.
fn provenance_files(dir: &Path) -> Result<Vec<(String, String)>, ReportError> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) -> Result<(), ReportError> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| ReportError::Input(format!("{}: {e}", dir.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if p.is_dir() {
                walk(&p, root, out)?;
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, sha256_file(&p)?));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    Ok(out)
}

/// Read a report folder's spec and load its datasets (no cross-tabs), e.g. for an audit.
pub fn load_datasets(dir: &Path) -> Result<(ReportSpec, IndexMap<String, Dataset>), ReportError> {
    let (spec, _) = ReportSpec::load(&dir.join("report.toml")).map_err(ReportError::Spec)?;
    let mut datasets = IndexMap::new();
    for decl in &spec.datasets {
        datasets.insert(
            decl.name.clone(),
            Dataset::load(dir, decl, &[], false, None)?,
        );
    }
    Ok((spec, datasets))
}

/// Build a report folder into Typst source and tables (no PDF yet).
pub fn build(dir: &Path, registry: &Registry, opts: &BuildOptions) -> Result<Built, ReportError> {
    let say = |s: &str| {
        if let Some(p) = opts.progress {
            p(s)
        }
    };
    let spec_path = dir.join("report.toml");
    let (spec, blocks) = parse_blocks(&spec_path, registry)?;
    let mut needs: IndexMap<String, Vec<CrossTabSpec>> = IndexMap::new();
    for b in &blocks {
        for (ds, ct) in b.crosstabs() {
            let v = needs.entry(ds).or_default();
            if !v.contains(&ct) {
                v.push(ct);
            }
        }
    }
    let mut timings = Timings::default();
    let mut datasets = IndexMap::new();
    for decl in &spec.datasets {
        say(&format!("reading dataset {} ({})", decl.name, decl.data));
        let cts = needs.get(&decl.name).cloned().unwrap_or_default();
        let keep = spec.weights.iter().any(|w| w.dataset == decl.name);
        let name = decl.name.clone();
        let rows = opts
            .rows
            .map(|f| move |bytes: u64, n: u64| f(&name, bytes, n));
        let d = Dataset::load(
            dir,
            decl,
            &cts,
            keep,
            rows.as_ref().map(|f| f as &dyn Fn(u64, u64)),
        )?;
        timings.import += d.timings.import;
        timings.clean += d.timings.clean;
        timings.aggregate += d.timings.aggregate;
        datasets.insert(decl.name.clone(), d);
    }
    for ds in needs.keys() {
        if !datasets.contains_key(ds) {
            return Err(ReportError::Input(format!(
                "{}: a cross-tab names dataset `{ds}`, which the spec does not declare",
                spec_path.display()
            )));
        }
    }
    let weights = crate::weights::compute(dir, &spec.weights, &datasets)?;
    let t0 = Instant::now();
    let provenance = Provenance {
        toolkit: opts.toolkit_version.clone(),
        typst: opts.typst_version.clone(),
        files: provenance_files(dir)?,
    };
    let mut cx = Context::new(dir, &spec, &datasets, &provenance, &weights);
    cx.declare_forward(
        blocks
            .iter()
            .flat_map(|b| b.declares())
            .collect::<HashSet<_>>(),
    );
    preamble(
        &mut cx.doc,
        &Meta {
            title: &spec.title,
            author: &spec.author,
            keywords: &spec.keywords,
        },
    );
    let (_, raw) = ReportSpec::load(&spec_path).map_err(ReportError::Spec)?;
    for (b, rb) in blocks.iter().zip(&raw) {
        b.render(&mut cx).map_err(|message| {
            ReportError::Spec(SpecError {
                file: spec_path.clone(),
                line: Some(rb.line),
                block: Some(rb.describe()),
                field: None,
                message,
            })
        })?;
    }
    let tables = TablesFile {
        report: spec.id.clone(),
        tables: std::mem::take(&mut cx.tables),
        crosstabs: std::mem::take(&mut cx.crosstabs),
    };
    let source = cx.doc.source().to_owned();
    let chars = cx.doc.chars().clone();
    drop(cx);
    timings.render = t0.elapsed();
    Ok(Built {
        spec,
        dir: dir.to_owned(),
        source,
        chars,
        tables,
        datasets,
        timings,
    })
}

/// Where and how to produce the PDF.
pub struct Output<'a> {
    /// `target/reports/<id>/`.
    pub dir: &'a Path,
    pub typst: &'a Path,
    pub fonts: &'a Path,
    /// Extra files to write beside the report (name, bytes), e.g. `audit.json`.
    pub extra_files: Vec<(String, Vec<u8>)>,
}

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
    let result = (|| -> Result<Vec<String>, ReportError> {
        std::fs::create_dir_all(staging.join("tables")).map_err(|e| io(&staging, e))?;
        let put = |rel: &str, bytes: &[u8]| {
            std::fs::write(staging.join(rel), bytes).map_err(|e| io(&staging.join(rel), e))
        };
        put("report.typ", built.source.as_bytes())?;
        check_coverage(out.fonts, &built.chars).map_err(|e| ReportError::Output(e.to_string()))?;
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
        let files = (|| -> Result<(), ReportError> {
            put("tables.json", built.tables.to_json().as_bytes())?;
            for t in &built.tables.tables {
                put(
                    &format!("tables/{}", TablesFile::csv_name(&t.number)),
                    &TablesFile::table_csv(t),
                )?;
            }
            put(
                "tables.xlsx",
                &built
                    .tables
                    .xlsx(&built.spec.title)
                    .map_err(ReportError::Output)?,
            )?;
            for (n, d) in &built.datasets {
                put(
                    &format!("cleaning-log-{n}.csv"),
                    d.cleaning.log_csv().as_bytes(),
                )?;
            }
            for (n, b) in &out.extra_files {
                put(n, b)?;
            }
            Ok(())
        })();
        let warnings = running
            .wait()
            .map_err(|e| ReportError::Output(e.to_string()));
        files?;
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
