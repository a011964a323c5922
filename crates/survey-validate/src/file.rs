//! Validating whole response files: a JSON array of records, or JSON Lines.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Finding, Rule, Severity, Validator};

/// A response file that cannot be read as JSON at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{}: cannot read: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: the file is empty; expected a JSON array of records or JSON Lines", path.display())]
    Empty { path: PathBuf },
    #[error("{}:{line}:{column}: not valid JSON: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// What validating a file found.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub records: usize,
    pub findings: Vec<Finding>,
}

impl FileReport {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }
}

/// Findings kept in a report; past this many, only the count grows (memory stays bounded).
pub const MAX_FINDINGS: usize = 10_000;

/// A JSON array may nest records no deeper than this.
pub const MAX_DEPTH: usize = 64;

/// No single record (an array element or a line) may be larger than this.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// Validate a response file: a JSON array of records, or one record per line (JSON Lines). The
/// file is streamed: memory holds one record at a time and a fingerprint per respondent id.
pub fn validate_file(validator: &Validator, path: &Path) -> Result<FileReport, FileError> {
    // A pipe would wait for a writer and a device never ends: only a regular file is read.
    let regular = std::fs::metadata(path).and_then(|m| {
        if m.is_file() {
            Ok(())
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file (a folder, device or pipe)",
            ))
        }
    });
    regular.map_err(|error| FileError::Io {
        path: path.to_owned(),
        error,
    })?;
    let f = std::fs::File::open(path).map_err(|error| FileError::Io {
        path: path.to_owned(),
        error,
    })?;
    validate_reader(
        validator,
        std::io::BufReader::with_capacity(1 << 16, f),
        path,
    )
}

/// Validate response records held in a string; `path` is only used in messages.
pub fn validate_text(
    validator: &Validator,
    text: &str,
    path: &Path,
) -> Result<FileReport, FileError> {
    validate_reader(validator, text.as_bytes(), path)
}

/// A byte source that knows its line and column (1-based).
struct Cursor<R> {
    inner: R,
    line: usize,
    column: usize,
    path: PathBuf,
}

impl<R: BufRead> Cursor<R> {
    fn peek(&mut self) -> Result<Option<u8>, FileError> {
        let buf = self.inner.fill_buf().map_err(|error| FileError::Io {
            path: self.path.clone(),
            error,
        })?;
        Ok(buf.first().copied())
    }

    fn bump(&mut self) -> Result<Option<u8>, FileError> {
        let b = self.peek()?;
        if let Some(b) = b {
            self.inner.consume(1);
            if b == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if b & 0xC0 != 0x80 {
                self.column += 1;
            }
        }
        Ok(b)
    }

    fn skip_ws(&mut self) -> Result<(), FileError> {
        while let Some(b) = self.peek()? {
            if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                self.bump()?;
            } else {
                break;
            }
        }
        Ok(())
    }

    fn error(&self, message: impl Into<String>) -> FileError {
        FileError::Parse {
            path: self.path.clone(),
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}

/// Where the bytes of a record stop being UTF-8: (line, column) within the record, 1-based.
fn utf8_position(bytes: &[u8]) -> Option<(usize, usize)> {
    let e = std::str::from_utf8(bytes).err()?;
    let upto = &bytes[..e.valid_up_to()];
    let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&upto[start..]).chars().count() + 1;
    Some((line, column))
}

/// Validate records read from `reader`; `path` is used in messages.
pub fn validate_reader<R: BufRead>(
    validator: &Validator,
    reader: R,
    path: &Path,
) -> Result<FileReport, FileError> {
    let mut cur = Cursor {
        inner: reader,
        line: 1,
        column: 1,
        path: path.to_owned(),
    };
    // A byte-order mark is allowed.
    if cur.peek()? == Some(0xEF) {
        let buf = cur.inner.fill_buf().map_err(|error| FileError::Io {
            path: path.to_owned(),
            error,
        })?;
        if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            cur.inner.consume(3);
        }
    }
    cur.skip_ws()?;
    let first = match cur.peek()? {
        None => {
            return Err(FileError::Empty {
                path: path.to_owned(),
            });
        }
        Some(b) => b,
    };
    let mut report = FileReport {
        records: 0,
        findings: Vec::new(),
    };
    let mut more = 0usize;
    // Respondent ids seen; duplicates are found at the end, in bounded memory.
    let mut ids = IdLedger::new(path);
    let mut check = |no: usize, line: usize, value: &serde_json::Value| -> Vec<Finding> {
        let found = validator.validate_json(no, Some(line), value);
        if let Some(id) = value.get("id").and_then(|v| v.as_str()) {
            ids.add(id, no, line);
        }
        found
    };
    let keep = |report: &mut FileReport, more: &mut usize, found: Vec<Finding>| {
        for f in found {
            if report.findings.len() < MAX_FINDINGS {
                report.findings.push(f);
            } else {
                *more += 1;
            }
        }
    };
    if first == b'[' {
        cur.bump()?;
        loop {
            cur.skip_ws()?;
            match cur.peek()? {
                Some(b']') if report.records == 0 => {
                    cur.bump()?;
                    break;
                }
                None => return Err(cur.error("the array is not closed with `]`")),
                _ => {}
            }
            let (line, column) = (cur.line, cur.column);
            let buf = element(&mut cur)?;
            if let Some((l, c)) = utf8_position(&buf) {
                return Err(FileError::Parse {
                    path: path.to_owned(),
                    line: line + l - 1,
                    column: if l == 1 { column + c - 1 } else { c },
                    message: "the file is not UTF-8 text".into(),
                });
            }
            let value: serde_json::Value =
                serde_json::from_slice(&buf).map_err(|e| FileError::Parse {
                    path: path.to_owned(),
                    line: line + e.line() - 1,
                    column: if e.line() == 1 {
                        column + e.column() - 1
                    } else {
                        e.column()
                    },
                    message: e.to_string(),
                })?;
            report.records += 1;
            let no = report.records;
            let found = check(no, line, &value);
            keep(&mut report, &mut more, found);
            cur.skip_ws()?;
            match cur.bump()? {
                Some(b',') => continue,
                Some(b']') => break,
                Some(_) => return Err(cur.error("expected `,` or `]` after a record")),
                None => return Err(cur.error("the array is not closed with `]`")),
            }
        }
        cur.skip_ws()?;
        if cur.peek()?.is_some() {
            return Err(cur.error("text after the closing `]`"));
        }
    } else {
        // JSON Lines: one record per line.
        let mut line_no = cur.line;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = (&mut cur.inner)
                .take(MAX_RECORD_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|error| FileError::Io {
                    path: path.to_owned(),
                    error,
                })?;
            if n == 0 {
                break;
            }
            if buf.len() > MAX_RECORD_BYTES {
                return Err(FileError::Parse {
                    path: path.to_owned(),
                    line: line_no,
                    column: 1,
                    message: format!("a line longer than {} MiB", MAX_RECORD_BYTES >> 20),
                });
            }
            let this = line_no;
            line_no += 1;
            let text = match std::str::from_utf8(&buf) {
                Ok(t) => t,
                Err(_) => {
                    let (_, c) = utf8_position(&buf).unwrap_or((1, 1));
                    return Err(FileError::Parse {
                        path: path.to_owned(),
                        line: this,
                        column: c,
                        message: "the file is not UTF-8 text".into(),
                    });
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            report.records += 1;
            let no = report.records;
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) => {
                    let found = check(no, this, &value);
                    keep(&mut report, &mut more, found);
                }
                Err(e) => {
                    let mut f = Finding::new(
                        Rule::Malformed,
                        format!("(record {no})"),
                        format!("line {this} column {}: not valid JSON: {e}", e.column()),
                    );
                    f.record = no;
                    f.line = Some(this);
                    keep(&mut report, &mut more, vec![f]);
                }
            }
        }
    }
    let dups = ids.duplicates()?;
    keep(&mut report, &mut more, dups);
    report.findings.sort_by_key(|f| f.record);
    if more > 0 {
        let mut f = Finding::new(
            Rule::Malformed,
            "(file)",
            format!("{more} further finding(s) not listed (the first {MAX_FINDINGS} are)"),
        );
        f.severity = Severity::Warning;
        report.findings.push(f);
    }
    Ok(report)
}

/// One array element's bytes, read up to (not including) the `,` or `]` after it. The nesting
/// depth and the size are bounded, so a hostile file cannot exhaust the stack or memory.
fn element<R: BufRead>(cur: &mut Cursor<R>) -> Result<Vec<u8>, FileError> {
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    loop {
        let Some(b) = cur.peek()? else {
            return Err(cur.error("the file ends inside a record"));
        };
        if !in_string && depth == 0 && matches!(b, b',' | b']') {
            break;
        }
        if !in_string && depth == 0 && !buf.is_empty() && matches!(b, b' ' | b'\t' | b'\r' | b'\n')
        {
            break;
        }
        cur.bump()?;
        buf.push(b);
        if buf.len() > MAX_RECORD_BYTES {
            return Err(cur.error(format!(
                "a record larger than {} MiB",
                MAX_RECORD_BYTES >> 20
            )));
        }
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(cur.error(format!(
                        "nested deeper than {MAX_DEPTH} levels; a response record is an object of answers"
                    )));
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    Ok(buf)
}

/// Respondent ids of a file, kept as 128-bit fingerprints with their record and line. Up to
/// [`IdLedger::IN_MEMORY`] entries stay in memory; past that they spill into 64 temporary
/// files by fingerprint, each later checked on its own, so memory stays bounded however many
/// records the file holds.
struct IdLedger {
    entries: Vec<(u128, u32, u32, String)>,
    spill: Option<Vec<(PathBuf, std::io::BufWriter<std::fs::File>)>>,
    path: PathBuf,
}

impl IdLedger {
    const IN_MEMORY: usize = if cfg!(test) { 100 } else { 100_000 };
    const BUCKETS: usize = 64;

    fn new(path: &Path) -> IdLedger {
        IdLedger {
            entries: Vec::new(),
            spill: None,
            path: path.to_owned(),
        }
    }

    fn io(&self, e: std::io::Error) -> FileError {
        FileError::Io {
            path: self.path.clone(),
            error: e,
        }
    }

    fn add(&mut self, id: &str, record: usize, line: usize) {
        // An id longer than this is cut for the message; the fingerprint covers all of it.
        let shown: String = id.chars().take(80).collect();
        self.entries
            .push((fingerprint(id), record as u32, line as u32, shown));
        if self.entries.len() >= Self::IN_MEMORY {
            // A failure to spill surfaces in `duplicates`.
            let _ = self.flush();
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        if self.spill.is_none() {
            let dir = std::env::temp_dir();
            let mut files = Vec::new();
            for b in 0..Self::BUCKETS {
                let p = dir.join(format!(
                    "survey-validate-{}-{:p}-{b}",
                    std::process::id(),
                    self as *const _
                ));
                files.push((
                    p.clone(),
                    std::io::BufWriter::new(std::fs::File::create(&p)?),
                ));
            }
            self.spill = Some(files);
        }
        let files = self.spill.as_mut().expect("just made");
        for (fp, rec, line, id) in self.entries.drain(..) {
            let w = &mut files[(fp >> 122) as usize % Self::BUCKETS].1;
            w.write_all(&fp.to_le_bytes())?;
            w.write_all(&rec.to_le_bytes())?;
            w.write_all(&line.to_le_bytes())?;
            w.write_all(&(id.len() as u32).to_le_bytes())?;
            w.write_all(id.as_bytes())?;
        }
        Ok(())
    }

    /// Findings for every record whose id an earlier record already used.
    fn duplicates(mut self) -> Result<Vec<Finding>, FileError> {
        let mut out = Vec::new();
        let mut check = |mut v: Vec<(u128, u32, u32, String)>| {
            v.sort_by_key(|e| (e.0, e.1));
            let mut i = 0;
            while i < v.len() {
                let mut j = i + 1;
                while j < v.len() && v[j].0 == v[i].0 {
                    let mut f = Finding::new(
                        Rule::DuplicateRespondent,
                        &v[j].3,
                        format!("record {} already uses this respondent id", v[i].1),
                    );
                    f.record = v[j].1 as usize;
                    f.line = Some(v[j].2 as usize);
                    out.push(f);
                    j += 1;
                }
                i = j;
            }
        };
        if self.spill.is_none() {
            check(std::mem::take(&mut self.entries));
            return Ok(out);
        }
        self.flush().map_err(|e| self.io(e))?;
        let files = self.spill.take().expect("spilled");
        for (p, w) in files {
            drop(w.into_inner().map_err(|e| self.io(e.into_error()))?);
            let bytes = std::fs::read(&p).map_err(|e| self.io(e))?;
            let _ = std::fs::remove_file(&p);
            let mut v = Vec::new();
            let mut at = 0;
            while at + 28 <= bytes.len() {
                let fp = u128::from_le_bytes(bytes[at..at + 16].try_into().expect("16 bytes"));
                let rec = u32::from_le_bytes(bytes[at + 16..at + 20].try_into().expect("4 bytes"));
                let line = u32::from_le_bytes(bytes[at + 20..at + 24].try_into().expect("4 bytes"));
                let n = u32::from_le_bytes(bytes[at + 24..at + 28].try_into().expect("4 bytes"))
                    as usize;
                let id = String::from_utf8_lossy(&bytes[at + 28..(at + 28 + n).min(bytes.len())])
                    .into_owned();
                at += 28 + n;
                v.push((fp, rec, line, id));
            }
            check(v);
        }
        Ok(out)
    }
}

impl Drop for IdLedger {
    fn drop(&mut self) {
        if let Some(files) = self.spill.take() {
            for (p, _) in files {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// A 128-bit fingerprint of a respondent id (two independent 64-bit hashes).
fn fingerprint(id: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    (0x9E37_79B9_7F4A_7C15u64, id).hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_ids_are_found_in_memory_and_after_spilling() {
        for n in [50, 5_000] {
            let mut l = IdLedger::new(Path::new("r.jsonl"));
            for i in 0..n {
                l.add(&format!("R{i}"), i + 1, i + 1);
            }
            l.add("R7", n + 1, n + 1);
            l.add("R7", n + 2, n + 2);
            let d = l.duplicates().unwrap();
            assert_eq!(d.len(), 2, "{n}");
            assert_eq!((d[0].record, d[1].record), (n + 1, n + 2));
            assert!(
                d[0].message.contains("record 8 already"),
                "{}",
                d[0].message
            );
        }
    }
}
