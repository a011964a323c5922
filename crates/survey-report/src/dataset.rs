//! A dataset: one questionnaire's export, imported, cleaned and aggregated.

use std::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_aggregate::{Aggregate, CrossTabSpec};
use survey_clean::{Cleaner, Cleaning, Rules};
use survey_import::{Mapping, SourceInfo};
use survey_schema::Index;

use crate::ReportError;
use crate::folder::Folder;

/// A dataset as the report spec declares it; paths are relative to the report folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetDecl {
    /// Short name used in references (`main`, `ai`).
    pub name: String,
    pub questionnaire: String,
    /// The raw export.
    pub data: String,
    /// How the export's columns tie to the questionnaire.
    pub mapping: String,
    /// Cleaning rules.
    pub cleaning: String,
}

/// A loaded dataset.
pub struct Dataset {
    pub name: String,
    pub index: Index,
    pub source: SourceInfo,
    pub cleaning: Cleaning,
    pub aggregate: Aggregate,
    /// The valid records, kept only when asked for (weighting needs them); empty otherwise.
    pub records: Vec<survey_schema::Record>,
    /// Time spent reading rows (both passes), checking and cleaning, and aggregating.
    pub timings: DatasetTimings,
}

/// Where loading a dataset spent its time.
#[derive(Debug, Clone, Copy, Default)]
pub struct DatasetTimings {
    /// Read by the parallel reader (a large 问卷星 CSV).
    pub parallel: bool,
    pub import: std::time::Duration,
    pub clean: std::time::Duration,
    pub aggregate: std::time::Duration,
}

/// Exports up to this many rows are held in memory between the two passes.
const HOLD_ROWS: usize = 50_000;

/// Called with (bytes of the file, rows read so far) as rows are read.
pub type Progress<'a> = &'a dyn Fn(ReadProgress);

/// Where the reading of a dataset stands.
#[derive(Debug, Clone, Copy)]
pub struct ReadProgress {
    /// Size of the export.
    pub file_bytes: u64,
    /// Bytes read so far over every pass, when the reader knows them (the parallel reader
    /// reads the file twice: out of `2 × file_bytes`).
    pub done_bytes: Option<u64>,
    /// Rows read so far in this pass.
    pub rows: u64,
}

impl Dataset {
    /// Import the export twice, streaming: the first pass decides which rows are valid, the
    /// second aggregates them. No pass holds every record in memory.
    pub fn load(
        folder: &Folder,
        decl: &DatasetDecl,
        crosstabs: &[CrossTabSpec],
        keep_records: bool,
        progress: Option<Progress>,
    ) -> Result<Dataset, ReportError> {
        let input = |e: &dyn std::fmt::Display| ReportError::Input(e.to_string());
        let qpath = folder.shown(&decl.questionnaire);
        let text = folder
            .read_text(&decl.questionnaire)
            .map_err(ReportError::Input)?;
        let index = survey_schema::parse_questionnaire(&text, &qpath).map_err(|e| input(&e))?;
        let mpath = folder.shown(&decl.mapping);
        let text = folder
            .read_text(&decl.mapping)
            .map_err(ReportError::Input)?;
        let mapping = Mapping::parse(&text, &mpath).map_err(|e| input(&e))?;
        let rpath = folder.shown(&decl.cleaning);
        let text = folder
            .read_text(&decl.cleaning)
            .map_err(ReportError::Input)?;
        let rules = Rules::parse(&text, &rpath, &index).map_err(|e| input(&e))?;
        let real = folder
            .resolve_data(&decl.data)
            .map_err(ReportError::Input)?;
        folder
            .record(&decl.data, &real)
            .map_err(ReportError::Input)?;
        let dpath = real;
        // A large 问卷星 CSV is read on every core, twice (cleaning, then counting), with
        // memory bounded by the blocks in flight. Should it fail, the sequential reader below
        // reads the file again and gives its exact, located error.
        if parallel_csv(&dpath, &mapping)
            && let Ok(d) = load_parallel(
                decl,
                &index,
                &mapping,
                &mpath,
                &rules,
                &dpath,
                crosstabs,
                keep_records,
                progress,
            )
        {
            return Ok(d);
        }
        let mut timings = DatasetTimings::default();

        // Pass 1: import and clean.
        let mut cleaner = Cleaner::new(&index, &rules);
        let t = Instant::now();
        let mut importer =
            survey_import::open(&index, &mapping, &mpath, &dpath).map_err(|e| input(&e))?;
        timings.import += t.elapsed();
        let source = importer.info.clone();
        let mut n = 0u64;
        // A small export is kept from the first pass rather than read twice; past the cap the
        // second pass reads the file again, so memory stays bounded.
        let mut held: Option<Vec<survey_import::Imported>> = Some(Vec::new());
        loop {
            let t = Instant::now();
            let Some(item) = importer.next() else { break };
            timings.import += t.elapsed();
            let item = item.map_err(|e| input(&e))?;
            let t = Instant::now();
            cleaner.add(&item);
            timings.clean += t.elapsed();
            if let Some(h) = &mut held {
                if h.len() < HOLD_ROWS {
                    h.push(item);
                } else {
                    held = None;
                }
            }
            n += 1;
            if let Some(p) = progress
                && n.is_multiple_of(4096)
            {
                p(ReadProgress {
                    file_bytes: source.bytes,
                    done_bytes: None,
                    rows: n,
                });
            }
        }
        drop(importer);
        let t = Instant::now();
        let cleaning = cleaner
            .finish()
            .map_err(|e| ReportError::Input(format!("{}: {e}", dpath.display())))?;
        timings.clean += t.elapsed();

        // Pass 2: import again and aggregate the valid rows.
        let mut records = Vec::new();
        let mut aggregate = Aggregate::new(&index, crosstabs)
            .map_err(|e| ReportError::Input(format!("{}: {e}", decl.name)))?;
        let t = Instant::now();
        let mut second: Box<
            dyn Iterator<Item = Result<survey_import::Imported, survey_import::ImportError>>,
        > = match held {
            Some(h) => Box::new(h.into_iter().map(Ok)),
            None => Box::new(
                survey_import::open(&index, &mapping, &mpath, &dpath).map_err(|e| input(&e))?,
            ),
        };
        timings.import += t.elapsed();
        loop {
            let t = Instant::now();
            let Some(item) = second.next() else { break };
            timings.import += t.elapsed();
            let item = item.map_err(|e| input(&e))?;
            let t = Instant::now();
            if cleaning.is_kept(item.meta.row) {
                aggregate
                    .add(&item.record)
                    .map_err(|e| ReportError::Input(format!("{}: {e}", dpath.display())))?;
                if keep_records {
                    records.push(item.record);
                }
            }
            timings.aggregate += t.elapsed();
        }
        drop(second);
        Ok(Dataset {
            records,
            name: decl.name.clone(),
            index,
            source,
            cleaning,
            aggregate,
            timings,
        })
    }
}

/// Files at least this large are read in parallel: below it, threads cost more than they save.
const PARALLEL_MIN_BYTES: u64 = 8 << 20;

/// Set (to anything) to read every export with the sequential reader: a diagnostic switch,
/// and how the tests hold the two readers to the same result.
pub const SEQUENTIAL_ENV: &str = "SURVEY_SEQUENTIAL_READ";

/// Whether the parallel reader takes this file: a 问卷星 CSV of some size.
fn parallel_csv(path: &std::path::Path, mapping: &Mapping) -> bool {
    if std::env::var_os(SEQUENTIAL_ENV).is_some() {
        return false;
    }
    let csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    csv && mapping.layout == survey_import::Layout::Wjx
        && std::fs::metadata(path).is_ok_and(|m| m.len() >= PARALLEL_MIN_BYTES)
}

/// The two passes on every core: footprints for the cleaning rules (put back in row order, so
/// "first" and "last" mean what they mean sequentially), then the kept rows counted into one
/// aggregate per worker and merged (counts add exactly, in any order).
#[allow(clippy::too_many_arguments)]
fn load_parallel(
    decl: &DatasetDecl,
    index: &Index,
    mapping: &Mapping,
    mpath: &std::path::Path,
    rules: &Rules,
    dpath: &std::path::Path,
    crosstabs: &[CrossTabSpec],
    keep_records: bool,
    progress: Option<Progress>,
) -> Result<Dataset, ReportError> {
    use survey_import::{ImportError, parallel::fold_csv};
    let file_bytes = std::fs::metadata(dpath).map_or(0, |m| m.len());
    let pass = |k: u64| {
        move |done: u64, rows: u64| {
            if let Some(p) = progress {
                p(ReadProgress {
                    file_bytes,
                    done_bytes: Some(k * file_bytes + done),
                    rows,
                });
            }
        }
    };
    let (first, second) = (pass(0), pass(1));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut timings = DatasetTimings {
        parallel: true,
        ..Default::default()
    };
    let mut cleaner = Cleaner::new(index, rules);
    let t = Instant::now();
    let (source, parts) = {
        let c = &cleaner;
        fold_csv(
            index,
            mapping,
            mpath,
            dpath,
            threads,
            Vec::new,
            |runs: &mut Vec<Vec<survey_clean::Footprint>>, rec, meta| {
                // A new run wherever the rows stop being consecutive (a new block).
                let fp = c.footprint(rec, meta);
                match runs.last_mut() {
                    Some(run) if run.last().is_some_and(|l| l.row() + 1 == fp.row()) => {
                        run.push(fp)
                    }
                    _ => runs.push(vec![fp]),
                }
                Ok(())
            },
            Some(&first),
        )
        .map_err(|e| ReportError::Input(e.to_string()))?
    };
    timings.import += t.elapsed();
    let t = Instant::now();
    cleaner.push_runs(parts.into_iter().flatten().collect());
    let cleaning = cleaner
        .finish()
        .map_err(|e| ReportError::Input(format!("{}: {e}", dpath.display())))?;
    timings.clean += t.elapsed();
    let empty = Aggregate::new(index, crosstabs)
        .map_err(|e| ReportError::Input(format!("{}: {e}", decl.name)))?;
    let t = Instant::now();
    let (_, parts) = fold_csv(
        index,
        mapping,
        mpath,
        dpath,
        threads,
        || (empty.clone(), Vec::new()),
        |(agg, kept), rec, meta| {
            if cleaning.is_kept(meta.row) {
                agg.add(rec).map_err(|e| ImportError {
                    file: dpath.to_owned(),
                    row: Some(meta.row),
                    column: None,
                    value: None,
                    message: e.to_string(),
                })?;
                if keep_records {
                    kept.push((meta.row, rec.clone()));
                }
            }
            Ok(())
        },
        Some(&second),
    )
    .map_err(|e| ReportError::Input(e.to_string()))?;
    timings.import += t.elapsed();
    let t = Instant::now();
    let mut aggregate = empty;
    let mut records = Vec::new();
    for (agg, kept) in parts {
        aggregate
            .merge(&agg)
            .map_err(|e| ReportError::Input(format!("{}: {e}", decl.name)))?;
        records.extend(kept);
    }
    records.sort_by_key(|(row, _)| *row);
    timings.aggregate += t.elapsed();
    Ok(Dataset {
        records: records.into_iter().map(|(_, r)| r).collect(),
        name: decl.name.clone(),
        index: index.clone(),
        source,
        cleaning,
        aggregate,
        timings,
    })
}
