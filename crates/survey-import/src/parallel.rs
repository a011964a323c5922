//! Reading a large 问卷星 CSV export on several threads with flat memory.
//!
//! One thread reads the file in fixed-size blocks and cuts each block after its last record
//! (a newline outside quotes: in UTF-8 and in GB18030 both `"` and `\n` are single bytes that
//! never occur inside a multi-byte character). Worker threads decode their blocks and fold every
//! record into a state of their own (an aggregate, say); the caller merges the states. At most
//! `2 × threads` blocks are in flight, so memory does not grow with the file.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use survey_schema::{Index, Record};

use crate::encoding::GbCheck;
use crate::mapping::{Layout, Mapping};
use crate::wjx::{Cells, Plan};
use crate::{ImportError, Meta, SourceInfo, WjxMode};

/// Bytes per block handed to a worker.
pub const BLOCK: usize = 4 << 20;

struct Block {
    /// Spreadsheet row number of the block's first record.
    first_row: usize,
    /// Where the block starts in the file.
    offset: u64,
    bytes: Vec<u8>,
    /// Whether any `"` occurs (else every line is a record split at its commas).
    quotes: bool,
}

/// Fold `f` over the records of a 问卷星 CSV export whose spreadsheet row `want` accepts (every
/// row: `&|_| true`), on `threads` workers each starting from `init()`, the file cut into
/// blocks of about `block` bytes ([`BLOCK`] in builds; small blocks exercise the cutting in
/// tests). Returns the per-worker states (merge them) and what was read. The first error stops
/// the fold and is returned with its row and column. `progress` is called on the calling thread
/// as blocks are handed out: (bytes of the file handed out so far, records so far).
///
/// A record `want` refuses is only found (where it ends), not decoded: reading back a few rows
/// of a large export costs about a scan of its bytes. Rows are numbered exactly as the full
/// read numbers them, and every byte is still checked to be text in the file's encoding.
#[allow(clippy::too_many_arguments)]
pub fn fold_csv_only<S, I, F>(
    index: &Index,
    mapping: &Mapping,
    mapping_path: &Path,
    path: &Path,
    threads: usize,
    block: usize,
    want: &(dyn Fn(usize) -> bool + Sync),
    init: I,
    f: F,
    progress: Option<&dyn Fn(u64, u64)>,
) -> Result<(SourceInfo, Vec<S>), ImportError>
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &Record, &Meta) -> Result<(), ImportError> + Sync,
{
    fold_csv_inner(
        index,
        mapping,
        mapping_path,
        path,
        threads,
        block,
        want,
        init,
        |s, rec, meta, _| f(s, rec, meta),
        progress,
    )
}

/// Where a record lies in its file: the offset of its first byte and its length in bytes (its
/// line end included), for [`read_spans`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub offset: u64,
    pub len: u32,
}

/// As [`fold_csv_only`] of every row with [`BLOCK`]-byte blocks, also handing `f` each record's [`Span`] when the file is UTF-8 (None for
/// GB18030, whose records are found in the decoded text), so that chosen records can later be
/// read back alone with [`read_spans`].
#[allow(clippy::too_many_arguments)]
pub fn fold_csv_spans<S, I, F>(
    index: &Index,
    mapping: &Mapping,
    mapping_path: &Path,
    path: &Path,
    threads: usize,
    init: I,
    f: F,
    progress: Option<&dyn Fn(u64, u64)>,
) -> Result<(SourceInfo, Vec<S>), ImportError>
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &Record, &Meta, Option<Span>) -> Result<(), ImportError> + Sync,
{
    fold_csv_inner(
        index,
        mapping,
        mapping_path,
        path,
        threads,
        BLOCK,
        &|_| true,
        init,
        f,
        progress,
    )
}

/// The file opened and its header read: what the readers of records go on from.
struct Start {
    file: std::fs::File,
    /// What was read after the header.
    carry: Vec<u8>,
    /// Where `carry` starts in the file.
    offset: u64,
    encoding: &'static encoding_rs::Encoding,
    enc_name: &'static str,
    gb_check: bool,
    evidence: crate::encoding::Evidence,
    plan: Plan,
    info: SourceInfo,
}

/// Open a 问卷星 CSV export, decide its encoding from its start, and read its header.
fn start(
    index: &Index,
    mapping: &Mapping,
    mapping_path: &Path,
    path: &Path,
    block: usize,
) -> Result<Start, ImportError> {
    mapping.check(index, mapping_path)?;
    if mapping.layout != Layout::Wjx {
        return Err(ImportError::file(
            path,
            "the parallel reader reads 问卷星 CSV exports",
        ));
    }
    let io = |e: std::io::Error| ImportError::file(path, format!("cannot read: {e}"));
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size == 0 {
        return Err(ImportError::file(path, "the file is empty"));
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut carry: Vec<u8> = Vec::with_capacity(block + 64 * 1024);
    (&mut file)
        .take(block.max(64 * 1024) as u64)
        .read_to_end(&mut carry)
        .map_err(io)?;
    // Every block is checked as it is decoded, so a start that is UTF-8 is enough to go on:
    // should a later block not be, the read fails there (and the caller's sequential reader
    // reads the whole file to decide). GB18030 decided from the start is checked cell by cell
    // as the blocks are read, its UTF-8 evidence added up and compared at the end: what
    // `sniff` and its cell check would do. Anything else is decided by reading the whole file.
    let complete = carry.len() as u64 == size;
    let (enc, gb_check) = match crate::encoding::utf8_start(&carry, complete) {
        Some(e) => (e, false),
        None => match crate::encoding::gb18030_start(&carry, complete) {
            Some(e) => (e, true),
            None => (crate::encoding::sniff(path)?, false),
        },
    };
    let (encoding, enc_name) = (enc.encoding(), enc.name());
    if encoding != encoding_rs::UTF_8 && encoding != encoding_rs::GB18030 {
        return Err(ImportError::file(
            path,
            format!("the parallel reader reads UTF-8 or GB18030, not {enc_name}"),
        ));
    }
    // A header longer than what was read is checked on a read of its own.
    if cut(&carry, false).is_some() || complete {
        crate::table::check_csv_header(path, &carry, enc)?;
    } else {
        crate::table::check_csv_header(path, &crate::table::header_start(path)?, enc)?;
    }
    let had_bom = carry.starts_with(&[0xEF, 0xBB, 0xBF]);
    if had_bom {
        carry.drain(..3);
    }
    // The header: the first record.
    let (header_end, _) = cut(&carry, false)
        .ok_or_else(|| ImportError::file(path, "the file has no complete header row"))?;
    let header_text = decode(&carry[..header_end], encoding).ok_or_else(|| ImportError {
        file: path.to_owned(),
        row: Some(1),
        column: None,
        value: None,
        message: format!("the header is not valid {enc_name}"),
    })?;
    let headers: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header_text.as_bytes())
        .records()
        .next()
        .and_then(|r| r.ok())
        .map(|r| r.iter().map(str::to_owned).collect())
        .ok_or_else(|| ImportError::file(path, "the file has no header row"))?;
    let plan = Plan::new(index, mapping, &headers, path)?;
    let info = SourceInfo {
        file: path.to_owned(),
        format: crate::SourceFormat::Csv,
        encoding: Some(enc),
        layout: if plan.mode == WjxMode::Code {
            crate::SourceLayout::WjxCode
        } else {
            crate::SourceLayout::WjxText
        },
        bytes: size,
        wording: plan.wording.iter().map(|(_, w)| w.clone()).collect(),
    };
    // The header's evidence; the workers add the rows'.
    let mut header_check = GbCheck::default();
    if gb_check && header_check.cells(&carry[..header_end]).is_err() {
        return Err(gb_refused(path, 1));
    }
    let bom = if had_bom { 3 } else { 0 };
    carry.drain(..header_end);
    Ok(Start {
        file,
        carry,
        offset: (bom + header_end) as u64,
        encoding,
        enc_name,
        gb_check,
        evidence: header_check.evidence,
        plan,
        info,
    })
}

#[allow(clippy::too_many_arguments)]
fn fold_csv_inner<S, I, F>(
    index: &Index,
    mapping: &Mapping,
    mapping_path: &Path,
    path: &Path,
    threads: usize,
    block: usize,
    want: &(dyn Fn(usize) -> bool + Sync),
    init: I,
    f: F,
    progress: Option<&dyn Fn(u64, u64)>,
) -> Result<(SourceInfo, Vec<S>), ImportError>
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &Record, &Meta, Option<Span>) -> Result<(), ImportError> + Sync,
{
    let block = block.max(1);
    let Start {
        mut file,
        mut carry,
        offset: mut at,
        encoding,
        enc_name,
        gb_check,
        evidence,
        plan,
        info,
    } = start(index, mapping, mapping_path, path, block)?;
    let io = |e: std::io::Error| ImportError::file(path, format!("cannot read: {e}"));
    let evidence = Mutex::new(evidence);

    let threads = threads.max(1);
    let (tx, rx) = mpsc::sync_channel::<Block>(threads * 2);
    let rx = Arc::new(Mutex::new(rx));
    // Workers hand their block buffers back, so the reader reuses memory already paged in.
    let (give_back, pool) = mpsc::channel::<Vec<u8>>();
    let stop = AtomicBool::new(false);
    let first_error: Mutex<Option<ImportError>> = Mutex::new(None);
    let fail = |e: ImportError| {
        stop.store(true, Ordering::Relaxed);
        let mut slot = first_error.lock().expect("no panics hold this lock");
        // Keep the error of the earliest row.
        if slot.as_ref().is_none_or(|old| old.row > e.row) {
            *slot = Some(e);
        }
    };
    let states: Vec<S> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let rx = Arc::clone(&rx);
                let give_back = give_back.clone();
                let (plan, init, f, stop, fail) = (&plan, &init, &f, &stop, &fail);
                let evidence = &evidence;
                scope.spawn(move || {
                    let mut state = init();
                    let mut check = GbCheck::default();
                    let mut record = Record::blank(String::new(), index.len());
                    let mut meta = Meta::default();
                    let mut out = vec![0u8; 1 << 16];
                    let mut ends = vec![0usize; 256];
                    loop {
                        let block = match rx.lock().expect("no panics hold this lock").recv() {
                            Ok(b) => b,
                            Err(_) => break,
                        };
                        if stop.load(Ordering::Relaxed) {
                            continue;
                        }
                        if gb_check && check.cells(&block.bytes).is_err() {
                            fail(gb_refused(path, block.first_row));
                            continue;
                        }
                        // The block is checked or decoded to UTF-8 once, as a whole.
                        let text = decode(&block.bytes, encoding);
                        let Some(text) = text else {
                            fail(ImportError {
                                file: path.to_owned(),
                                row: Some(block.first_row),
                                column: None,
                                value: None,
                                message: format!("a row from here on is not valid {enc_name}"),
                            });
                            continue;
                        };
                        let mut row = block.first_row;
                        let text: &str = &text;
                        let mut rest: &str = text;
                        while !rest.is_empty() {
                            let line_end = memchr::memchr(b'\n', rest.as_bytes())
                                .map_or(rest.len(), |i| i + 1);
                            let line = &rest[..line_end];
                            let plain =
                                !block.quotes || memchr::memchr(b'"', line.as_bytes()).is_none();
                            if plain && !want(row) {
                                // Not wanted: counted as a record unless it holds nothing
                                // (what `split_plain` would find: no comma and no bytes).
                                let body = line.strip_suffix('\n').unwrap_or(line);
                                if !body.strip_suffix('\r').unwrap_or(body).is_empty() {
                                    row += 1;
                                }
                                rest = &rest[line_end..];
                                continue;
                            }
                            let quoted_text;
                            let (data, nend, used): (&str, usize, usize) = if plain {
                                // Fast path: no quotes, so fields are the bytes between commas.
                                let (body, n) = split_plain(line, &mut ends);
                                (body, n, line.len())
                            } else {
                                // Quoted fields (commas, quotes, newlines inside): csv_core reads one record.
                                let (nout, nend, used) =
                                    read_quoted(rest.as_bytes(), &mut out, &mut ends);
                                // Unquoting removes ASCII bytes only, so the text stays valid.
                                quoted_text = std::str::from_utf8(&out[..nout]).unwrap_or_default();
                                (quoted_text, nend, used)
                            };
                            let rest_after = &rest[used..];
                            let cells = crate::wjx::RawRow {
                                data,
                                ends: &ends[..nend],
                                gap: usize::from(plain),
                            };
                            // Lines holding nothing are not records, as for the sequential reader.
                            if nend == 0 || (nend == 1 && cells.bytes(0).is_empty()) {
                                rest = rest_after;
                                continue;
                            }
                            // Commas and nothing else: a row, no submission, as for the
                            // sequential reader (`table::is_blank_row`).
                            if (0..nend).all(|i| cells.cell(i).trim().is_empty()) {
                                rest = rest_after;
                                row += 1;
                                continue;
                            }
                            if !want(row) {
                                rest = rest_after;
                                row += 1;
                                continue;
                            }
                            // In UTF-8 the text is the file's bytes, so where the record lies
                            // in the text is where it lies in the file.
                            let span = (encoding == encoding_rs::UTF_8).then(|| Span {
                                offset: block.offset + (text.len() - rest.len()) as u64,
                                len: used as u32,
                            });
                            let outcome = plan
                                .decode_raw(index, row, &cells, &mut record, &mut meta)
                                .and_then(|()| f(&mut state, &record, &meta, span));
                            if let Err(e) = outcome {
                                fail(e);
                                break;
                            }
                            rest = rest_after;
                            row += 1;
                        }
                        let _ = give_back.send(block.bytes);
                    }
                    evidence
                        .lock()
                        .expect("no panics hold this lock")
                        .add(check.evidence);
                    state
                })
            })
            .collect();
        // This thread reads and cuts blocks: read about a block, send it up to its last complete
        // record, keep the tail (less than one record) for the next.
        let mut next_row = 2;
        let mut eof = false;
        loop {
            if !eof {
                match (&mut file).take(block as u64).read_to_end(&mut carry) {
                    Ok(0) => eof = true,
                    Ok(_) => {}
                    Err(e) => {
                        fail(io(e));
                        break;
                    }
                }
            }
            if stop.load(Ordering::Relaxed) || carry.is_empty() {
                break;
            }
            // Blocks start at record boundaries, so they start outside quotes.
            let scan = scan_block(&carry);
            let (end, records) = match scan.last_end {
                Some(end) => (end, scan.records),
                None if eof => (carry.len(), scan.records + 1),
                // A record longer than any row of a download: refused before it is held whole.
                None if carry.len() > crate::table::MAX_LINE_BYTES => {
                    fail(ImportError {
                        file: path.to_owned(),
                        row: Some(next_row),
                        column: None,
                        value: None,
                        message: format!(
                            "the row is longer than {} MiB; no row of a 问卷星 download comes near (is this the download?)",
                            crate::table::MAX_LINE_BYTES >> 20
                        ),
                    });
                    break;
                }
                // A record longer than what was read: read on.
                None => continue,
            };
            let mut next = pool
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(block + 64 * 1024));
            next.clear();
            next.extend_from_slice(&carry[end..]);
            carry.truncate(end);
            let bytes = std::mem::replace(&mut carry, next);
            let offset = at;
            at += bytes.len() as u64;
            if tx
                .send(Block {
                    first_row: next_row,
                    offset,
                    bytes,
                    quotes: scan.quotes,
                })
                .is_err()
            {
                break;
            }
            next_row += records;
            if let Some(p) = progress {
                p(at, (next_row - 2) as u64);
            }
            if eof && carry.is_empty() {
                break;
            }
        }
        drop(tx);
        drop(give_back);
        workers
            .into_iter()
            .map(|w| w.join().expect("a worker panicked"))
            .collect()
    });
    match first_error.into_inner().expect("no panics hold this lock") {
        Some(e) => Err(e),
        None if gb_check
            && !evidence
                .into_inner()
                .expect("no panics hold this lock")
                .says_gb18030() =>
        {
            Err(ImportError::file(
                path,
                "the file starts as GB18030 but most of its text is UTF-8: its encoding is decided by reading all of it",
            ))
        }
        None => Ok((info, states)),
    }
}

/// Read back the records at `spans` (each with its spreadsheet row, as [`fold_csv_spans`] gave
/// them) of a UTF-8 问卷星 CSV export, in the order given, and fold each into `f`: one small
/// read per record, so a few rows of a large export cost about what they hold. A span that
/// does not hold exactly one record, as the full read found it, is an error: the file changed.
pub fn read_spans(
    index: &Index,
    mapping: &Mapping,
    mapping_path: &Path,
    path: &Path,
    spans: impl IntoIterator<Item = (usize, Span)>,
    mut f: impl FnMut(&Record, &Meta) -> Result<(), ImportError>,
) -> Result<SourceInfo, ImportError> {
    let Start {
        file,
        encoding,
        plan,
        info,
        ..
    } = start(index, mapping, mapping_path, path, 64 << 10)?;
    if encoding != encoding_rs::UTF_8 {
        return Err(ImportError::file(
            path,
            "records are read back by their place only in UTF-8 files",
        ));
    }
    let changed = |row: usize| ImportError {
        file: path.to_owned(),
        row: Some(row),
        column: None,
        value: None,
        message: "the row is no longer where the full read found it: the file changed".into(),
    };
    let mut record = Record::blank(String::new(), index.len());
    let mut meta = Meta::default();
    let mut out = vec![0u8; 1 << 16];
    let mut ends = vec![0usize; 256];
    let mut buf = Vec::new();
    for (row, span) in spans {
        buf.resize(span.len as usize, 0);
        read_exact_at(&file, &mut buf, span.offset)
            .map_err(|e| ImportError::file(path, format!("cannot read: {e}")))?;
        let text = std::str::from_utf8(&buf).map_err(|_| changed(row))?;
        let plain = memchr::memchr(b'"', text.as_bytes()).is_none();
        let quoted_text;
        let (data, nend, used) = if plain {
            // One line, ending where the span ends.
            let line_end = memchr::memchr(b'\n', text.as_bytes()).map_or(text.len(), |i| i + 1);
            let (body, n) = split_plain(&text[..line_end], &mut ends);
            (body, n, line_end)
        } else {
            let (nout, nend, used) = read_quoted(text.as_bytes(), &mut out, &mut ends);
            quoted_text = std::str::from_utf8(&out[..nout]).map_err(|_| changed(row))?;
            (quoted_text, nend, used)
        };
        let cells = crate::wjx::RawRow {
            data,
            ends: &ends[..nend],
            gap: usize::from(plain),
        };
        if used != text.len() || nend == 0 || (nend == 1 && cells.bytes(0).is_empty()) {
            return Err(changed(row));
        }
        plan.decode_raw(index, row, &cells, &mut record, &mut meta)?;
        f(&record, &meta)?;
    }
    Ok(info)
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(mut file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// A cell the GB18030 check cannot pass (UTF-8 Chinese in a GB18030 file, or a quote inside
/// an unquoted cell): the sequential reader, which reads the file whole, says which and why.
fn gb_refused(path: &Path, row: usize) -> ImportError {
    ImportError {
        file: path.to_owned(),
        row: Some(row),
        column: None,
        value: None,
        message: "a cell from here on is not plainly GB18030 text: the encoding is decided by reading the whole file".into(),
    }
}

fn decode<'b>(
    bytes: &'b [u8],
    encoding: &'static encoding_rs::Encoding,
) -> Option<std::borrow::Cow<'b, str>> {
    // UTF-8 needs only a check; GB18030 is decoded (its separators are single bytes too).
    if encoding == encoding_rs::UTF_8 {
        // SIMD validation: this check is on every byte of the file.
        return simdutf8::basic::from_utf8(bytes)
            .ok()
            .map(std::borrow::Cow::Borrowed);
    }
    let (text, malformed) = encoding.decode_without_bom_handling(bytes);
    (!malformed).then_some(text)
}

/// The end (exclusive) of the first record, and whether it leaves quotes open.
fn cut(buf: &[u8], mut in_quotes: bool) -> Option<(usize, bool)> {
    for i in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf[i] == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            return Some((i + 1, false));
        }
    }
    None
}

/// One pass over a block that starts at a record boundary.
struct Scan {
    /// End of the last complete record (just past its newline).
    last_end: Option<usize>,
    /// Records (non-empty lines outside quotes) up to `last_end`.
    records: usize,
    quotes: bool,
}

fn scan_block(buf: &[u8]) -> Scan {
    let mut in_quotes = false;
    let mut quotes = false;
    let (mut records, mut line_start, mut last_end) = (0, 0, None);
    for i in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf[i] == b'"' {
            in_quotes = !in_quotes;
            quotes = true;
        } else if !in_quotes {
            if buf[line_start..i].iter().any(|&b| b != b'\r') {
                records += 1;
            }
            line_start = i + 1;
            last_end = Some(i + 1);
        }
    }
    Scan {
        last_end,
        records,
        quotes,
    }
}

/// The positions of the commas of a line without quotes, and its end, into `ends`; returns the
/// line without its `\r\n` or `\n`, and the number of fields.
fn split_plain<'l>(line: &'l str, ends: &mut Vec<usize>) -> (&'l str, usize) {
    let mut body = line.strip_suffix('\n').unwrap_or(line);
    body = body.strip_suffix('\r').unwrap_or(body);
    let bytes = body.as_bytes();
    if ends.len() < bytes.len() + 1 {
        ends.resize(bytes.len() + 1, 0);
    }
    const LO: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;
    let mut n = 0;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        // Eight bytes at a time: the high bit of each byte of `hits` is set where a comma is.
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes")) ^ COMMAS;
        let mut hits = !(((x & LO) + LO) | x | LO);
        while hits != 0 {
            ends[n] = base + (hits.trailing_zeros() / 8) as usize;
            n += 1;
            hits &= hits - 1;
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b',' {
            ends[n] = base + i;
            n += 1;
        }
    }
    ends[n] = bytes.len();
    (body, n + 1)
}

/// Read one record that holds quotes with `csv_core`. Returns (bytes, fields, input used).
fn read_quoted(input: &[u8], out: &mut Vec<u8>, ends: &mut Vec<usize>) -> (usize, usize, usize) {
    let mut reader = csv_core::Reader::new();
    if ends.len() < 256 {
        ends.resize(256, 0);
    }
    let (mut nout, mut nend, mut used) = (0, 0, 0);
    loop {
        let (res, nin, o, e) =
            reader.read_record(&input[used..], &mut out[nout..], &mut ends[nend..]);
        used += nin;
        nout += o;
        nend += e;
        match res {
            csv_core::ReadRecordResult::OutputFull => out.resize(out.len() * 2, 0),
            csv_core::ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => {
                return (nout, nend, used.max(1));
            }
            // Out of input inside the record: the block ends here; flush it.
            csv_core::ReadRecordResult::InputEmpty if used >= input.len() => {
                let (res, _, o, e) = reader.read_record(&[], &mut out[nout..], &mut ends[nend..]);
                let _ = res;
                return (nout + o, nend + e, input.len());
            }
            csv_core::ReadRecordResult::InputEmpty => {}
        }
    }
}
