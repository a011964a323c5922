//! A dataset: one questionnaire's export, imported, cleaned and aggregated.

use std::fmt::Write as _;
use std::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_aggregate::{Aggregate, CrossTabSpec};
use survey_clean::{Cleaner, Cleaning, KeptRows, Rules};
use survey_import::parallel::Span;
use survey_import::{Mapping, SourceInfo};
use survey_schema::spool::{Run, Segment, Spool};
use survey_schema::{Index, Record};

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
    /// Packed, and past a fixed memory budget in a temporary file.
    pub records: Records,
    /// Time spent reading rows (every read), checking and cleaning, and aggregating.
    pub timings: DatasetTimings,
    /// The rankings (排序题) of the mapping: 问卷星 number and the questions holding the places
    /// given to its options, in order.
    pub rankings: Vec<(String, Vec<String>)>,
    /// The mapping's readings of answers typed otherwise than as numbers, per question.
    pub number_answers: indexmap::IndexMap<String, indexmap::IndexMap<String, Option<f64>>>,
    /// Each question's number in the download (问卷星's 题号: `7`, `8.1` for a matrix row, a
    /// ranking's number for each of its options), from the mapping.
    pub numbers: std::collections::HashMap<String, String>,
}

impl Dataset {
    /// The ranking (问卷星 number) whose option question `qid` is, if any.
    pub fn ranking_of(&self, qid: &str) -> Option<&str> {
        self.rankings
            .iter()
            .find(|(_, qs)| qs.iter().any(|q| q == qid))
            .map(|(n, _)| n.as_str())
    }
}

/// The questionnaire as this download carries it: the mapping's `absent_questions` left out,
/// so that they are questions of no record (not questions every record leaves unanswered).
fn without_absent(
    index: Index,
    mapping: &Mapping,
    mpath: &std::path::Path,
) -> Result<Index, ReportError> {
    if mapping.absent_questions.is_empty() {
        return Ok(index);
    }
    // The mapping fits the whole questionnaire first.
    mapping
        .check(&index, mpath)
        .map_err(|e| ReportError::Input(e.to_string()))?;
    index.without(&mapping.absent_questions).map_err(|issues| {
        ReportError::Input(format!(
            "{}: `absent_questions` leaves {} out of the questionnaire `{}`, but then {}",
            mpath.display(),
            mapping
                .absent_questions
                .iter()
                .map(|q| format!("`{q}`"))
                .collect::<Vec<_>>()
                .join(", "),
            index.id(),
            issues
                .iter()
                .map(|i| format!("{}: {}", i.location, i.message))
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })
}

/// Each question's number in the download: the mapping's key for it, or its ranking's.
fn numbers(mapping: &Mapping) -> std::collections::HashMap<String, String> {
    let mut out: std::collections::HashMap<String, String> = mapping
        .questions
        .iter()
        .map(|(n, q)| (q.clone(), n.clone()))
        .collect();
    for (n, options) in &mapping.rankings {
        for q in options.values() {
            out.entry(q.clone()).or_insert_with(|| n.clone());
        }
    }
    out
}

/// The rankings of a mapping, each option question once.
fn rankings(mapping: &Mapping) -> Vec<(String, Vec<String>)> {
    mapping
        .rankings
        .iter()
        .map(|(n, options)| {
            let mut qs: Vec<String> = Vec::new();
            for q in options.values() {
                if !qs.contains(q) {
                    qs.push(q.clone());
                }
            }
            (n.clone(), qs)
        })
        .collect()
}

/// Where loading a dataset spent its time.
#[derive(Debug, Clone, Copy, Default)]
pub struct DatasetTimings {
    /// Read by the parallel reader (a large 问卷星 CSV).
    pub parallel: bool,
    /// How the parallel reader read back the rows cleaning set aside, if any.
    pub read_back: Option<ReadBack>,
    pub import: std::time::Duration,
    pub clean: std::time::Duration,
    pub aggregate: std::time::Duration,
}

/// How the parallel reader read back the rows cleaning set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBack {
    /// Each alone, where the first read found it.
    ByPlace,
    /// By a scan of the whole file, decoding only them.
    ByScan,
}

/// How much memory a dataset's held rows may take; the rest waits in an unnamed temporary
/// file. A sequential read holds every row it read until cleaning has decided, so that the
/// export need not be read (and, for Excel, parsed) again; the records some blocks read one by
/// one are held the same way (the parallel read packs every row as it reads, and the store
/// hands back only the valid ones).
const RECORDS_MEMORY: usize = 64 << 20;

/// Rows packed ([`survey_schema::packed`]: a CHIMA 2025 submission takes about 300 bytes,
/// against some 3 KB as a [`Record`]), in memory up to [`RECORDS_MEMORY`] and in an unnamed
/// temporary file past it, read back in row order as often as needed.
#[derive(Debug)]
pub struct Records {
    spool: Spool,
    run: Run,
    len: usize,
    error: Option<std::io::Error>,
    /// When the store holds every row read, the rows to hand back.
    only: Option<KeptRows>,
}

impl Default for Records {
    fn default() -> Records {
        Records::with_memory(RECORDS_MEMORY)
    }
}

impl Records {
    fn with_memory(memory: usize) -> Records {
        Records {
            spool: Spool::new(memory),
            run: Run::single(),
            len: 0,
            error: None,
            only: None,
        }
    }

    /// A sealed store that holds every row read: from now on it hands back only the rows
    /// cleaning kept.
    fn only(mut self, kept: KeptRows) -> Records {
        self.len = kept.len();
        self.only = Some(kept);
        self
    }

    /// Add one row; rows come in row order.
    fn push(&mut self, row: usize, rec: &Record) {
        if let Some(seg) = self.run.push(row as u64, |b| pack_row(row, rec, b)) {
            self.append(seg);
        }
    }

    /// Take a segment: its rows follow every row taken before, or come from a writer whose
    /// rows never interleave with another's.
    fn append(&mut self, seg: Segment) {
        self.len += seg.count;
        if self.error.is_none()
            && let Err(e) = self.spool.append(seg.first, seg.bytes)
        {
            self.error = Some(e);
        }
    }

    /// Done adding: the rows are put in row order; a scratch file that could not be written
    /// is the error.
    fn seal(mut self) -> Result<Records, ReportError> {
        if let Some(seg) = self.run.take() {
            self.append(seg);
        }
        if let Some(e) = self.error.take() {
            return Err(scratch(&e));
        }
        self.spool.seal();
        Ok(self)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Hand every row to `f` in row order, as (row of the export, record), stopping at the
    /// first error (of `f`, or reading the scratch file back).
    pub fn try_each_row(
        &self,
        mut f: impl FnMut(usize, &Record) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut failed = None;
        self.spool
            .for_each(|seg| {
                let mut at = 0;
                while at < seg.len() && failed.is_none() {
                    let (row, rec) = unpack_row(seg, &mut at);
                    if self.only.as_ref().is_none_or(|k| k.contains(row)) {
                        failed = f(row, &rec).err();
                    }
                }
                Ok::<_, std::io::Error>(())
            })
            .map_err(|e| scratch(&e).to_string())?;
        failed.map_or(Ok(()), Err)
    }

    /// Hand every record to `f`, in row order.
    pub fn each(&self, mut f: impl FnMut(&Record)) -> Result<(), String> {
        self.try_each_row(|_, r| {
            f(r);
            Ok(())
        })
    }
}

/// The data export reads the store twice, in row order.
impl survey_microdata::RecordSource for Records {
    fn each_record(&self, f: &mut dyn FnMut(&Record) -> Result<(), String>) -> Result<(), String> {
        self.try_each_row(|_, r| f(r))
    }
}

fn scratch(e: &std::io::Error) -> ReportError {
    ReportError::Input(format!(
        "cannot use scratch space in the temporary folder ({}; set TMPDIR to choose another): {e}",
        std::env::temp_dir().display()
    ))
}

/// Pack one row: its row number, then the record.
fn pack_row(row: usize, rec: &Record, b: &mut Vec<u8>) {
    use survey_schema::packed::{pack_text, pack_value};
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
}

/// One row as [`pack_row`] packed it.
fn unpack_row(b: &[u8], at: &mut usize) -> (usize, Record) {
    let mut c = survey_schema::packed::Unpack::new(b, *at);
    let row = c.u64() as usize;
    let id = c.text();
    let n = c.u64() as usize;
    let values = (0..n).map(|_| c.value()).collect();
    let n = c.u64() as usize;
    let other_text = (0..n).map(|_| (c.u16(), c.text())).collect();
    *at = c.at();
    (
        row,
        Record {
            id,
            values,
            other_text,
        },
    )
}

/// Where one worker of the parallel reader packs the records of the blocks it reads; a segment
/// ends wherever its rows stop following on, so segments of different workers never
/// interleave.
struct RecordSink<'r> {
    shared: &'r std::sync::Mutex<Records>,
    run: Run,
}

impl<'r> RecordSink<'r> {
    fn new(shared: &'r std::sync::Mutex<Records>) -> RecordSink<'r> {
        RecordSink {
            shared,
            run: Run::following_on(),
        }
    }

    /// Pack a row read.
    fn push(&mut self, row: usize, rec: &Record) {
        let full = self.run.push(row as u64, |b| pack_row(row, rec, b));
        self.hand_over(full);
    }

    fn hand_over(&mut self, seg: Option<Segment>) {
        if let Some(seg) = seg {
            self.shared
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .append(seg);
        }
    }
}

impl Drop for RecordSink<'_> {
    fn drop(&mut self) {
        let rest = self.run.take();
        self.hand_over(rest);
    }
}

/// Memory for where every row of a large UTF-8 export lies (16 bytes a row), past which the
/// places go to a temporary file.
const SPANS_MEMORY: usize = 8 << 20;

/// Where each row a worker reads lies in the file ([`Span`]), so that the rows cleaning sets
/// aside can be read back alone; a row without its span (GB18030) is marked missing, for all
/// workers when the sink is dropped.
struct SpanSink<'r> {
    shared: &'r std::sync::Mutex<Spool>,
    missing: &'r std::sync::atomic::AtomicBool,
    missed: bool,
    run: Run,
}

impl<'r> SpanSink<'r> {
    fn push(&mut self, row: usize, span: Option<Span>) {
        if self.missed {
            return;
        }
        let (Some(span), Ok(r)) = (span, u32::try_from(row)) else {
            self.missed = true;
            return;
        };
        let full = self.run.push(row as u64, |b| {
            b.extend_from_slice(&r.to_le_bytes());
            b.extend_from_slice(&span.len.to_le_bytes());
            b.extend_from_slice(&span.offset.to_le_bytes());
        });
        self.hand_over(full);
    }

    fn hand_over(&mut self, seg: Option<Segment>) {
        if let Some(seg) = seg {
            let mut spool = self.shared.lock().unwrap_or_else(|p| p.into_inner());
            if spool.append(seg.first, seg.bytes).is_err() {
                self.missed = true;
            }
        }
    }
}

impl Drop for SpanSink<'_> {
    fn drop(&mut self) {
        let rest = self.run.take();
        self.hand_over(rest);
        if self.missed {
            self.missing
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// The rows of `spans` that `take` accepts, with their places, a batch at a time.
fn spans_where(
    spans: &Spool,
    take: impl Fn(usize) -> bool,
    mut batch: impl FnMut(Vec<(usize, Span)>) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    /// A failure reading the spool, or of a batch.
    enum Fail {
        Scratch(std::io::Error),
        Batch(ReportError),
    }
    impl From<std::io::Error> for Fail {
        fn from(e: std::io::Error) -> Fail {
            Fail::Scratch(e)
        }
    }
    const BATCH: usize = 1 << 16;
    let mut chosen = Vec::new();
    let read = spans.for_each(|seg| {
        let mut b = survey_schema::spool::Bytes { rest: seg };
        while !b.rest.is_empty() {
            let row = b.u32()? as usize;
            let len = b.u32()?;
            let offset = b.u64()?;
            if take(row) {
                chosen.push((row, Span { offset, len }));
                if chosen.len() == BATCH {
                    batch(std::mem::take(&mut chosen)).map_err(Fail::Batch)?;
                }
            }
        }
        Ok::<(), Fail>(())
    });
    match read {
        Ok(()) if chosen.is_empty() => Ok(()),
        Ok(()) => batch(chosen),
        Err(Fail::Batch(e)) => Err(e),
        Err(Fail::Scratch(e)) => Err(ReportError::Input(format!("scratch file: {e}"))),
    }
}

/// Called with (bytes of the file, rows read so far) as rows are read.
pub type Progress<'a> = &'a dyn Fn(ReadProgress);

/// Where the reading of a dataset stands.
#[derive(Debug, Clone, Copy)]
pub struct ReadProgress {
    /// Size of the export.
    pub file_bytes: u64,
    /// Bytes of the file read so far, when the reader knows them (the parallel reader's full
    /// read; its light read of the rows cleaning set aside is not reported).
    pub done_bytes: Option<u64>,
    /// Rows read so far.
    pub rows: u64,
}

impl Dataset {
    /// Import the export, streaming, and clean and aggregate it. No pass holds every record in
    /// memory. A large 问卷星 CSV is read once in full on every core (every row counted) and
    /// once more for the rows cleaning set aside, which are taken back; other exports are read
    /// once, their rows held (spooled) until cleaning has decided, then aggregated.
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
        let index = without_absent(index, &mapping, &mpath)?;
        let rpath = folder.shown(&decl.cleaning);
        let text = folder
            .read_text(&decl.cleaning)
            .map_err(ReportError::Input)?;
        let rules = Rules::parse(&text, &rpath, &index).map_err(|e| input(&e))?;
        let real = folder
            .resolve_data(&decl.data)
            .map_err(ReportError::Input)?;
        let dpath = real;
        // A large 问卷星 CSV is read on every core, once in full and once for the rows set
        // aside, with memory bounded by the blocks in flight. Should it fail (a bad cell, or
        // the file changing between the reads), the sequential reader below reads the file
        // again and gives its exact, located error, or the result.
        if parallel_csv(&dpath, &mapping)
            && let Ok((d, digest)) = load_parallel(
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
            folder.recorded(&decl.data, digest);
            return Ok(d);
        }
        folder
            .record(&decl.data, &dpath)
            .map_err(ReportError::Input)?;
        let mut timings = DatasetTimings::default();

        // Pass 1: import and clean.
        let mut cleaner = Cleaner::new(&index, &rules);
        let t = Instant::now();
        let mut importer =
            survey_import::open(&index, &mapping, &mpath, &dpath).map_err(|e| input(&e))?;
        timings.import += t.elapsed();
        let source = importer.info.clone();
        let mut n = 0u64;
        // The rows are kept from the first pass, packed (in a temporary file past the memory
        // budget), rather than read and parsed twice.
        let mut held = Records::default();
        loop {
            let t = Instant::now();
            let Some(item) = importer.next() else { break };
            timings.import += t.elapsed();
            let item = match item {
                Ok(item) => item,
                Err(first) => return Err(with_later_errors(first, &mut importer)),
            };
            let t = Instant::now();
            cleaner.add(&item);
            timings.clean += t.elapsed();
            held.push(item.meta.row, &item.record);
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
        let cleaning = cleaner.finish().map_err(|e| match e {
            // A mistake in the rules file, found by reading the export: named by the
            // rules file, which is where it is corrected.
            survey_clean::CleanError::ListedMissing { .. } => ReportError::Input(format!(
                "{}: {e} (read from {})",
                rpath.display(),
                dpath.display()
            )),
            e => ReportError::Input(format!("{}: {e}", dpath.display())),
        })?;
        timings.clean += t.elapsed();

        // Pass 2: the held rows again, the valid ones aggregated.
        let held = held.seal()?;
        let mut records = Records::default();
        let mut aggregate = Aggregate::new(&index, crosstabs)
            .map_err(|e| ReportError::Input(format!("{}: {e}", decl.name)))?;
        let t = Instant::now();
        held.try_each_row(|row, rec| {
            if cleaning.is_kept(row) {
                aggregate
                    .add(rec)
                    .map_err(|e| format!("{}: {e}", dpath.display()))?;
                if keep_records {
                    records.push(row, rec);
                }
            }
            Ok(())
        })
        .map_err(ReportError::Input)?;
        drop(held);
        let records = records.seal()?;
        timings.aggregate += t.elapsed();
        Ok(Dataset {
            records,
            name: decl.name.clone(),
            index,
            source,
            cleaning,
            aggregate,
            timings,
            rankings: rankings(&mapping),
            numbers: numbers(&mapping),
            number_answers: mapping.number_answers.clone(),
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

/// One read on every core, then a light one. The first read hands each row's footprint to the
/// cleaner (put back in row order, so "first" and "last" mean what they mean sequentially) and
/// counts every row into one aggregate per worker. Once cleaning has decided, the rows it set
/// aside are read again, counted apart and taken back: counts are all an aggregate keeps, so
/// what is left is exactly the aggregate of the valid rows. In a UTF-8 file where it set
/// aside at most one row in 16, each is read alone where the first read found it (its
/// [`Span`], 16 bytes a row, spooled); otherwise the file is scanned again and only those
/// rows decoded. When the records are wanted, every row read is packed and the store hands
/// back only the valid ones.
///
/// The export's SHA-256 (for the provenance) is computed on a thread of its own meanwhile.
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
) -> Result<(Dataset, String), ReportError> {
    use survey_import::parallel::{BLOCK, fold_csv_only, fold_csv_spans, read_spans};
    let input = |e: &dyn std::fmt::Display| ReportError::Input(e.to_string());
    let file_bytes = std::fs::metadata(dpath).map_or(0, |m| m.len());
    let stamp = || {
        std::fs::metadata(dpath)
            .ok()
            .map(|m| (m.len(), m.modified().ok()))
    };
    let before = stamp();
    let first = |done: u64, rows: u64| {
        if let Some(p) = progress {
            p(ReadProgress {
                file_bytes,
                done_bytes: Some(done),
                rows,
            });
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut timings = DatasetTimings {
        parallel: true,
        ..Default::default()
    };
    let cleaner = Cleaner::new(index, rules);
    let empty = Aggregate::new(index, crosstabs)
        .map_err(|e| ReportError::Input(format!("{}: {e}", decl.name)))?;
    let counting = |row: usize, e: survey_aggregate::AggregateError| survey_import::ImportError {
        file: dpath.to_owned(),
        row: Some(row),
        column: None,
        value: None,
        message: e.to_string(),
    };
    // The export's SHA-256 (for the provenance), on a thread of its own from the start: it
    // takes what the reads and cleaning's sorts leave of the cores.
    let digesting = crate::folder::Digesting::start(dpath);
    let t = Instant::now();
    // Each worker hands its footprints to the cleaner as it goes, a block's rows together (the
    // cleaner keeps them within its memory budget), counts every row, and packs every row into
    // the shared store when records are wanted. A decoded row always fits the questionnaire;
    // should one not, the read fails and the sequential reader gives the row's own verdict.
    let shared = std::sync::Mutex::new(Records::default());
    let spans = std::sync::Mutex::new(Spool::new(SPANS_MEMORY));
    let spans_missing = std::sync::atomic::AtomicBool::new(false);
    let (source, mut aggregate) = {
        let c = &cleaner;
        let span_sink = || SpanSink {
            shared: &spans,
            missing: &spans_missing,
            missed: false,
            run: Run::following_on(),
        };
        let (source, parts) = fold_csv_spans(
            index,
            mapping,
            mpath,
            dpath,
            threads,
            || {
                (
                    c.sink(),
                    empty.clone(),
                    RecordSink::new(&shared),
                    span_sink(),
                )
            },
            |(sink, agg, store, places), rec, meta, span| {
                sink.push(&c.footprint(rec, meta));
                agg.add(rec).map_err(|e| counting(meta.row, e))?;
                if keep_records {
                    store.push(meta.row, rec);
                }
                places.push(meta.row, span);
                Ok(())
            },
            Some(&first),
        )
        .map_err(|e| input(&e))?;
        let mut all = empty.clone();
        for (sink, agg, store, places) in parts {
            drop((sink, store, places));
            all.merge(&agg)
                .map_err(|e| ReportError::Input(format!("{}: {e}", decl.name)))?;
        }
        (source, all)
    };
    timings.import += t.elapsed();
    let t = Instant::now();
    let cleaning = cleaner
        .finish()
        .map_err(|e| ReportError::Input(format!("{}: {e}", dpath.display())))?;
    let digest = digesting
        .wait()
        .map_err(|e| ReportError::Input(format!("{}: {e}", dpath.display())))?;
    timings.clean += t.elapsed();
    let t = Instant::now();
    // Reading back found other rows than the full read, or the file's size or time moved: it
    // changed in between. The error is not shown: the sequential reader reads it afresh, alone.
    let changed = || {
        ReportError::Input(format!(
            "{}: the file changed while it was being read",
            dpath.display()
        ))
    };
    // The rows cleaning set aside: read again, counted apart, taken back. Few of them are
    // read alone, where the full read found them; many (or a file without places) by a
    // scan of the file that decodes only them.
    let set_aside = cleaning.funnel.collected - cleaning.funnel.valid;
    let mut spans = spans.into_inner().unwrap_or_else(|p| p.into_inner());
    let by_place =
        set_aside > 0 && set_aside <= cleaning.funnel.collected / 16 && !spans_missing.into_inner();
    if by_place {
        timings.read_back = Some(ReadBack::ByPlace);
        spans.seal();
        let mut out = empty.clone();
        let mut read = 0u64;
        spans_where(
            &spans,
            |row| !cleaning.is_kept(row),
            |batch| {
                // The batch shared out among the cores, each counting its part apart.
                let part = batch.len().div_ceil(threads);
                let parts = std::thread::scope(|scope| {
                    let workers: Vec<_> = batch
                        .chunks(part.max(1))
                        .map(|spans| {
                            let empty = &empty;
                            scope.spawn(move || {
                                let mut agg = empty.clone();
                                read_spans(
                                    index,
                                    mapping,
                                    mpath,
                                    dpath,
                                    spans.to_vec(),
                                    |rec, meta| agg.add(rec).map_err(|e| counting(meta.row, e)),
                                )
                                .map(|_| agg)
                            })
                        })
                        .collect();
                    workers
                        .into_iter()
                        .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                        .collect::<Vec<_>>()
                });
                for agg in parts {
                    let agg = agg.map_err(|e| input(&e))?;
                    read += agg.records();
                    out.merge(&agg)
                        .map_err(|e| ReportError::Input(format!("{}: {e}", decl.name)))?;
                }
                Ok(())
            },
        )?;
        if read != set_aside {
            return Err(changed());
        }
        aggregate.subtract(&out).map_err(|_| changed())?;
    } else if set_aside > 0 {
        timings.read_back = Some(ReadBack::ByScan);
        drop(spans);
        let (_, parts) = fold_csv_only(
            index,
            mapping,
            mpath,
            dpath,
            threads,
            BLOCK,
            &|row| !cleaning.is_kept(row),
            || empty.clone(),
            |agg, rec, meta| agg.add(rec).map_err(|e| counting(meta.row, e)),
            None,
        )
        .map_err(|e| input(&e))?;
        let mut out = empty.clone();
        for agg in &parts {
            out.merge(agg)
                .map_err(|e| ReportError::Input(format!("{}: {e}", decl.name)))?;
        }
        if out.records() != set_aside {
            return Err(changed());
        }
        aggregate.subtract(&out).map_err(|_| changed())?;
    }
    if stamp() != before {
        return Err(changed());
    }
    timings.import += t.elapsed();
    let records = shared
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .seal()?;
    let records = if keep_records {
        records.only(cleaning.kept())
    } else {
        records
    };
    Ok((
        Dataset {
            records,
            name: decl.name.clone(),
            index: index.clone(),
            source,
            cleaning,
            aggregate,
            timings,
            rankings: rankings(mapping),
            numbers: numbers(mapping),
            number_answers: mapping.number_answers.clone(),
        },
        digest,
    ))
}

/// Bad cells one failed read lists after the first, so that they can be mended in one go.
const LATER_ERRORS_SHOWN: usize = 9;

/// A read stops at its first bad cell; the error then also lists the next bad cells of the
/// file and how many there are in all, counting up to 1,000. Cells holding the first one's
/// value in its column are one mistake (an option text the mapping lacks, say) and are named
/// by their rows on one line; other bad cells follow, up to [`LATER_ERRORS_SHOWN`] of them.
/// An error of the whole file (no row) ends the list.
fn with_later_errors(
    first: survey_import::ImportError,
    rest: &mut dyn Iterator<Item = Result<survey_import::Imported, survey_import::ImportError>>,
) -> ReportError {
    const ROWS_NAMED: usize = 12;
    let mut later = Vec::new();
    let (mut more, mut others) = (0usize, 0usize);
    let mut same_rows: Vec<usize> = Vec::new();
    let mut same = 0usize;
    if first.row.is_some() {
        for e in rest.filter_map(Result::err) {
            if e.row.is_none() || more >= 999 {
                break;
            }
            more += 1;
            if first.column.is_some() && (&e.column, &e.value) == (&first.column, &first.value) {
                same += 1;
                if let Some(r) = e.row.filter(|_| same_rows.len() < ROWS_NAMED) {
                    same_rows.push(r);
                }
                continue;
            }
            others += 1;
            if later.len() < LATER_ERRORS_SHOWN {
                later.push(e.in_file());
            }
        }
    }
    let mut message = first.to_string();
    let capped = |n: usize| {
        if more >= 999 {
            format!("{n} or more")
        } else {
            n.to_string()
        }
    };
    if same > 0 {
        let _ = write!(
            message,
            "\nthe same value is in this column in {} more {}: {}{}",
            capped(same),
            if same == 1 { "row" } else { "rows" },
            same_rows
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if same > same_rows.len() { ", …" } else { "" }
        );
    }
    if others > 0 {
        let _ = write!(
            message,
            "\n{} more {} of this file cannot be read{}:",
            capped(others),
            if others == 1 { "row" } else { "rows" },
            if others > later.len() {
                format!(", the first {}", later.len())
            } else {
                String::new()
            }
        );
        for e in &later {
            let _ = write!(message, "\n  - {e}");
        }
    }
    ReportError::Input(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_schema::{OptionSet, Value};

    #[test]
    fn one_value_in_many_rows_is_one_line_of_rows_and_other_cells_follow() {
        let bad = |row: usize, column: &str, value: &str| survey_import::ImportError {
            file: "d.xlsx".into(),
            row: Some(row),
            column: Some(column.into()),
            value: Some(value.into()),
            message: format!("«{value}» is not an option text of this question"),
        };
        let mut rest = (5..40)
            .map(|r| Err(bad(r, "J «4、医院级别»", "三级甲等")))
            .chain([Err(bad(41, "K «5、类别»", "专科"))]);
        let ReportError::Input(m) =
            with_later_errors(bad(4, "J «4、医院级别»", "三级甲等"), &mut rest)
        else {
            panic!("an input error")
        };
        let lines: Vec<&str> = m.lines().collect();
        assert_eq!(lines.len(), 4, "{m}");
        assert!(lines[0].contains("row 4, column J"), "{m}");
        assert_eq!(
            lines[1],
            "the same value is in this column in 35 more rows: 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, …"
        );
        assert_eq!(lines[2], "1 more row of this file cannot be read:");
        assert!(
            lines[3].starts_with("  - row 41, column K «5、类别», value \"专科\""),
            "{m}"
        );
    }

    fn sample() -> Vec<Record> {
        vec![
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
        ]
    }

    fn rows(r: &Records) -> Vec<(usize, Record)> {
        let mut out = Vec::new();
        r.try_each_row(|row, rec| {
            out.push((row, rec.clone()));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn held_rows_come_back_as_they_went_in_from_memory_and_from_disk() {
        let records = sample();
        // 0 bytes: every segment goes to the scratch file.
        for memory in [RECORDS_MEMORY, 0] {
            let mut held = Records::with_memory(memory);
            for k in 0..3000 {
                held.push(k + 2, &records[k % 3]);
            }
            let held = held.seal().unwrap();
            assert_eq!(held.len(), 3000);
            let back = rows(&held);
            assert_eq!(back.len(), 3000);
            for (k, (row, rec)) in back.iter().enumerate() {
                assert_eq!((*row, rec), (k + 2, &records[k % 3]));
            }
            // As the data export reads it.
            let mut k = 0;
            survey_microdata::RecordSource::each_record(&held, &mut |r| {
                assert_eq!(r, &records[k % 3]);
                k += 1;
                Ok(())
            })
            .unwrap();
            assert_eq!(k, 3000);
        }
    }

    #[test]
    fn workers_segments_come_back_in_row_order() {
        // Two workers reading blocks of four rows out of order; odd rows are not valid, so
        // the store, holding every row, hands back only the even ones.
        let records = sample();
        let shared = std::sync::Mutex::new(Records::with_memory(100));
        {
            let mut sinks = [RecordSink::new(&shared), RecordSink::new(&shared)];
            for block in (0..6usize).rev() {
                for row in block * 4 + 2..block * 4 + 6 {
                    sinks[block % 2].push(row, &records[row % 3]);
                }
            }
        }
        let all = shared.into_inner().unwrap().seal().unwrap();
        assert_eq!(all.len(), 24);
        let held = all.only((2..26).filter(|r| r % 2 == 0).collect());
        let back = rows(&held);
        let want: Vec<usize> = (2..26).filter(|r| r % 2 == 0).collect();
        assert_eq!(back.iter().map(|(r, _)| *r).collect::<Vec<_>>(), want);
        assert!(back.iter().all(|(r, rec)| rec == &records[r % 3]));
        assert_eq!(held.len(), want.len());
    }

    #[test]
    fn an_error_stops_the_reading() {
        let mut held = Records::default();
        for k in 0..10 {
            held.push(k + 2, &sample()[0]);
        }
        let held = held.seal().unwrap();
        let mut seen = 0;
        let got = held.try_each_row(|row, _| {
            seen += 1;
            if row == 5 {
                Err(format!("row {row}"))
            } else {
                Ok(())
            }
        });
        assert_eq!(got, Err("row 5".into()));
        assert_eq!(seen, 4);
    }
}
