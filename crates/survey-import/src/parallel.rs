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

use crate::mapping::{Layout, Mapping};
use crate::table::detect_encoding;
use crate::wjx::Plan;
use crate::{ImportError, Meta, SourceInfo, WjxMode};

/// Bytes per block handed to a worker.
pub const BLOCK: usize = 4 << 20;

struct Block {
    /// Spreadsheet row number of the block's first record.
    first_row: usize,
    bytes: Vec<u8>,
}

/// Fold `f` over every record of a 问卷星 CSV export, on `threads` workers each starting from
/// `init()`. Returns the per-worker states (merge them) and what was read. The first error
/// stops the fold and is returned with its row and column.
pub fn fold_csv<S, I, F>(
    index: &Index,
    mapping: &Mapping,
    mapping_path: &Path,
    path: &Path,
    threads: usize,
    init: I,
    f: F,
) -> Result<(SourceInfo, Vec<S>), ImportError>
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &Record, &Meta) -> Result<(), ImportError> + Sync,
{
    fold_csv_blocks(index, mapping, mapping_path, path, threads, BLOCK, init, f)
}

/// As [`fold_csv`] with a chosen block size (small blocks exercise the cutting in tests).
#[allow(clippy::too_many_arguments)]
pub fn fold_csv_blocks<S, I, F>(
    index: &Index,
    mapping: &Mapping,
    mapping_path: &Path,
    path: &Path,
    threads: usize,
    block: usize,
    init: I,
    f: F,
) -> Result<(SourceInfo, Vec<S>), ImportError>
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &Record, &Meta) -> Result<(), ImportError> + Sync,
{
    let block = block.max(1);
    mapping.check(index, mapping_path)?;
    if mapping.layout != Layout::Wjx {
        return Err(ImportError::file(path, "the parallel reader reads 问卷星 CSV exports"));
    }
    let io = |e: std::io::Error| ImportError::file(path, format!("cannot read: {e}"));
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size == 0 {
        return Err(ImportError::file(path, "the file is empty"));
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut carry: Vec<u8> = Vec::with_capacity(block * 2);
    fill(&mut file, &mut carry, block.max(64 * 1024)).map_err(io)?;
    let (encoding, enc_name) = detect_encoding(&carry[..carry.len().min(64 * 1024)]);
    if encoding != encoding_rs::UTF_8 && encoding != encoding_rs::GB18030 {
        return Err(ImportError::file(path, format!("the parallel reader reads UTF-8 or GB18030, not {enc_name}")));
    }
    if carry.starts_with(&[0xEF, 0xBB, 0xBF]) {
        carry.drain(..3);
    }
    // The header: the first record.
    let (header_end, _) = cut(&carry, false).ok_or_else(|| ImportError::file(path, "the file has no complete header row"))?;
    let header_text = decode(&carry[..header_end], encoding).ok_or_else(|| ImportError { file: path.to_owned(), row: Some(1), column: None, value: None, message: format!("the header is not valid {enc_name}") })?;
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
        format: "csv",
        encoding: Some(enc_name),
        layout: if plan.mode == WjxMode::Code { "wjx-code" } else { "wjx-text" },
        bytes: size,
    };
    carry.drain(..header_end);

    let threads = threads.max(1);
    let (tx, rx) = mpsc::sync_channel::<Block>(threads * 2);
    let rx = Arc::new(Mutex::new(rx));
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
                let (plan, init, f, stop, fail) = (&plan, &init, &f, &stop, &fail);
                scope.spawn(move || {
                    let mut state = init();
                    let mut record = Record::blank(String::new(), index.len());
                    let mut meta = Meta::default();
                    let mut fields = csv::StringRecord::new();
                    loop {
                        let block = match rx.lock().expect("no panics hold this lock").recv() {
                            Ok(b) => b,
                            Err(_) => break,
                        };
                        if stop.load(Ordering::Relaxed) {
                            continue;
                        }
                        // UTF-8 is checked record by record as the CSV reader reads it.
                        let text = if encoding == encoding_rs::UTF_8 { Some(std::borrow::Cow::Borrowed(&block.bytes[..])) } else { decode(&block.bytes, encoding).map(|t| match t {
                            std::borrow::Cow::Borrowed(b) => std::borrow::Cow::Borrowed(b.as_bytes()),
                            std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.into_bytes()),
                        }) };
                        let Some(text) = text else {
                            fail(ImportError { file: path.to_owned(), row: Some(block.first_row), column: None, value: None, message: format!("a row from here on is not valid {enc_name}") });
                            continue;
                        };
                        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&text[..]);
                        let mut row = block.first_row;
                        loop {
                            match reader.read_record(&mut fields) {
                                Ok(false) => break,
                                Ok(true) => {}
                                Err(e) => {
                                    fail(ImportError { file: path.to_owned(), row: Some(row), column: None, value: None, message: format!("not readable as CSV: {e}") });
                                    break;
                                }
                            }
                            let outcome = plan.decode_into(index, row, &fields, &mut record, &mut meta).and_then(|()| f(&mut state, &record, &meta));
                            if let Err(e) = outcome {
                                fail(e);
                                break;
                            }
                            row += 1;
                        }
                    }
                    state
                })
            })
            .collect();
        // This thread reads and cuts blocks.
        let mut next_row = 2;
        let mut in_quotes = false;
        let mut eof = false;
        loop {
            if !eof && carry.len() < block {
                match fill(&mut file, &mut carry, block) {
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
            let window = &carry[..carry.len().min(block)];
            let found = cut_block(window, in_quotes).or_else(|| if window.len() < carry.len() { cut_block(&carry, in_quotes) } else { None });
            let (end, records, quotes_after) = match found {
                Some(c) => c,
                // No complete record in a full buffer: read more, or take the tail at the end.
                None if eof => (carry.len(), count_records(&carry, in_quotes).0 + 1, false),
                None => {
                    if fill(&mut file, &mut carry, block).map_err(io).map_err(&fail).is_err() {
                        break;
                    }
                    continue;
                }
            };
            let rest = carry.split_off(end);
            let bytes = std::mem::replace(&mut carry, rest);
            in_quotes = quotes_after;
            if tx.send(Block { first_row: next_row, bytes }).is_err() {
                break;
            }
            next_row += records;
            if eof && carry.is_empty() {
                break;
            }
        }
        drop(tx);
        workers.into_iter().map(|w| w.join().expect("a worker panicked")).collect()
    });
    match first_error.into_inner().expect("no panics hold this lock") {
        Some(e) => Err(e),
        None => Ok((info, states)),
    }
}

/// Read up to `n` more bytes onto the end of `buf`.
fn fill(file: &mut std::fs::File, buf: &mut Vec<u8>, n: usize) -> std::io::Result<usize> {
    let start = buf.len();
    buf.resize(start + n, 0);
    let mut got = 0;
    while got < n {
        let k = file.read(&mut buf[start + got..])?;
        if k == 0 {
            break;
        }
        got += k;
    }
    buf.truncate(start + got);
    Ok(got)
}

fn decode<'b>(bytes: &'b [u8], encoding: &'static encoding_rs::Encoding) -> Option<std::borrow::Cow<'b, str>> {
    if encoding == encoding_rs::UTF_8 {
        return std::str::from_utf8(bytes).ok().map(std::borrow::Cow::Borrowed);
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

/// Records (non-empty lines outside quotes) in `buf`, and the quote state at its end.
fn count_records(buf: &[u8], mut in_quotes: bool) -> (usize, bool) {
    let mut n = 0;
    let mut line_start = 0;
    for i in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf[i] == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            if buf[line_start..i].iter().any(|&b| b != b'\r') {
                n += 1;
            }
            line_start = i + 1;
        }
    }
    (n, in_quotes)
}

/// Cut `buf` after its last complete record: (end, records in it, quote state after it).
fn cut_block(buf: &[u8], in_quotes: bool) -> Option<(usize, usize, bool)> {
    let mut q = in_quotes;
    let mut last_end = None;
    for i in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf[i] == b'"' {
            q = !q;
        } else if !q {
            last_end = Some(i + 1);
        }
    }
    let end = last_end?;
    let (records, after) = count_records(&buf[..end], in_quotes);
    Some((end, records, after))
}
