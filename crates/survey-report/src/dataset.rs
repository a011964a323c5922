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

/// Pass 1 keeps the rows it read, packed, up to this many bytes, so that pass 2 need not read
/// the file again (what a large Excel export costs most); past it, pass 2 reads the file again,
/// so memory stays bounded.
const HOLD_BYTES: usize = 64 << 20;

/// Rows held between the passes, packed: a CHIMA 2025 submission takes about 300 bytes here
/// against some 3 KB as a [`survey_schema::Record`].
#[derive(Default)]
struct Held {
    bytes: Vec<u8>,
}

impl Held {
    /// Pack one row; false (and the row not held) once the budget is spent.
    fn push(&mut self, row: usize, rec: &survey_schema::Record) -> bool {
        use survey_schema::packed::{pack_text, pack_value};
        let b = &mut self.bytes;
        let start = b.len();
        b.extend_from_slice(&(row as u64).to_le_bytes());
        pack_text(&rec.id, b);
        b.extend_from_slice(&(rec.values.len() as u64).to_le_bytes());
        for v in &rec.values {
            pack_value(v, b);
        }
        b.extend_from_slice(&(rec.other_text.len() as u64).to_le_bytes());
        for (q, t) in &rec.other_text {
            b.extend_from_slice(&q.to_le_bytes());
            pack_text(t, b);
        }
        if b.len() > HOLD_BYTES {
            b.truncate(start);
            return false;
        }
        true
    }

    /// The rows as pushed: (row, record).
    fn into_rows(self) -> impl Iterator<Item = survey_import::Imported> {
        let mut at = 0;
        std::iter::from_fn(move || (at < self.bytes.len()).then(|| unpack(&self.bytes, &mut at)))
    }
}

/// One row as [`Held::push`] packed it.
fn unpack(b: &[u8], at: &mut usize) -> survey_import::Imported {
    use survey_schema::Record;
    let mut c = survey_schema::packed::Unpack::new(b, *at);
    let row = c.u64() as usize;
    let id = c.text();
    let n = c.u64() as usize;
    let values = (0..n).map(|_| c.value()).collect();
    let n = c.u64() as usize;
    let other_text = (0..n).map(|_| (c.u16(), c.text())).collect();
    *at = c.at();
    survey_import::Imported {
        record: Record {
            id,
            values,
            other_text,
        },
        meta: survey_import::Meta {
            row,
            ..Default::default()
        },
    }
}

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
        // The rows are kept from the first pass, packed, rather than read twice; past the cap
        // the second pass reads the file again, so memory stays bounded.
        let mut held: Option<Held> = Some(Held::default());
        loop {
            let t = Instant::now();
            let Some(item) = importer.next() else { break };
            timings.import += t.elapsed();
            let item = item.map_err(|e| input(&e))?;
            let t = Instant::now();
            cleaner.add(&item);
            timings.clean += t.elapsed();
            if let Some(h) = &mut held
                && !h.push(item.meta.row, &item.record)
            {
                held = None;
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
            Some(h) => Box::new(h.into_rows().map(Ok)),
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
    let cleaner = Cleaner::new(index, rules);
    let t = Instant::now();
    // Each worker hands its footprints to the cleaner as it goes, a block's rows together;
    // the cleaner keeps them within its memory budget and puts them back in row order.
    let source = {
        let c = &cleaner;
        let (source, sinks) = fold_csv(
            index,
            mapping,
            mpath,
            dpath,
            threads,
            || c.sink(),
            |sink, rec, meta| {
                sink.push(&c.footprint(rec, meta));
                Ok(())
            },
            Some(&first),
        )
        .map_err(|e| ReportError::Input(e.to_string()))?;
        drop(sinks);
        source
    };
    timings.import += t.elapsed();
    let t = Instant::now();
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

#[cfg(test)]
mod tests {
    use super::*;
    use survey_schema::{OptionSet, Record, Value};

    #[test]
    fn held_rows_come_back_as_they_went_in() {
        let records = [
            Record {
                id: "1".into(),
                values: vec![
                    Value::NotShown,
                    Value::Skipped,
                    Value::Choice(3),
                    Value::Choices(OptionSet(0b1011)),
                    Value::Number(-2.5e-7),
                    Value::Text("喆堃𠮷 #read(\"/etc/passwd\")".into()),
                    Value::Text(String::new()),
                ],
                other_text: vec![(3, "其他：云端".into()), (65535, String::new())],
            },
            Record {
                id: "S-0002".into(),
                values: vec![Value::Number(f64::MAX), Value::Choice(u16::MAX)],
                other_text: vec![],
            },
            Record::blank("", 0),
        ];
        let mut held = Held::default();
        for (k, r) in records.iter().enumerate() {
            assert!(held.push(k + 2, r));
        }
        let back: Vec<_> = held.into_rows().collect();
        assert_eq!(back.len(), records.len());
        for (k, (b, r)) in back.iter().zip(&records).enumerate() {
            assert_eq!(&b.record, r);
            assert_eq!(b.meta.row, k + 2);
        }
    }

    #[test]
    fn a_row_past_the_budget_is_not_held() {
        let big = Record {
            id: "1".into(),
            values: vec![Value::Text("x".repeat(HOLD_BYTES / 2))],
            other_text: vec![],
        };
        let mut held = Held::default();
        assert!(held.push(2, &big));
        let before = held.bytes.len();
        assert!(!held.push(3, &big), "a second half-budget row does not fit");
        assert_eq!(held.bytes.len(), before, "and leaves nothing of itself");
        assert_eq!(held.into_rows().count(), 1);
    }
}
