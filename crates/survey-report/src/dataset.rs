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
    pub import: std::time::Duration,
    pub clean: std::time::Duration,
    pub aggregate: std::time::Duration,
}

/// Exports up to this many rows are held in memory between the two passes.
const HOLD_ROWS: usize = 50_000;

/// Called with (bytes of the file, rows read so far) as rows are read.
pub type Progress<'a> = &'a dyn Fn(u64, u64);

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
                p(source.bytes, n);
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
