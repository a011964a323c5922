//! Which encoding a CSV export is in, decided for the whole file with evidence.
//!
//! 问卷星 and Excel write UTF-8 (with or without a byte-order mark) or, on Chinese Windows,
//! GB18030/GBK. Every byte of the file is looked at: a file that is valid UTF-8 throughout is
//! UTF-8; a file whose non-ASCII text is mostly valid UTF-8 but has some bytes that are not holds
//! rows from two sources, and is refused at the first such row and column; otherwise the file is
//! GB18030, and a cell that is itself well-formed UTF-8 Chinese inside it (a row pasted from a
//! UTF-8 file) is refused too — decoding it as GB18030 would silently garble it.
//!
//! [`sniff`] reads the whole file to decide. The parallel reader decides from the start
//! ([`utf8_start`], [`gb18030_start`]) and checks every later block as it reads it
//! ([`GbCheck`] for GB18030), so that its verdict is [`sniff`]'s without that first read.

use std::io::Read;
use std::path::Path;

use crate::ImportError;

/// A text encoding of a CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Gb18030,
    Utf16Le,
    Utf16Be,
}

impl TextEncoding {
    /// As users name it.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 with BOM",
            TextEncoding::Gb18030 => "GB18030",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
        }
    }

    pub fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => encoding_rs::UTF_8,
            TextEncoding::Gb18030 => encoding_rs::GB18030,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
        }
    }
}

const CHUNK: usize = 1 << 20;

/// UTF-8 (with or without its BOM) when the start of a file is valid UTF-8, for a reader that
/// checks every later byte itself and gives way to [`sniff`] when one is not: a file that is
/// valid UTF-8 throughout is what [`sniff`] calls UTF-8, so the two agree without a read of the
/// whole file first. `complete`: `start` is the whole file (else a character cut at its end
/// is no fault). None: not known from the start alone.
pub fn utf8_start(start: &[u8], complete: bool) -> Option<TextEncoding> {
    if start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF]) {
        return None;
    }
    let valid = match simdutf8::compat::from_utf8(start) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && !complete,
    };
    valid.then(|| {
        if start.starts_with(&[0xEF, 0xBB, 0xBF]) {
            TextEncoding::Utf8Bom
        } else {
            TextEncoding::Utf8
        }
    })
}

/// What bytes say of UTF-8: valid multi-byte characters, and bytes that begin none. Separators
/// (`,`, `"`, newlines) are ASCII and never part of either, so the evidence of a file is the
/// sum of the evidence of its cells, however the file is cut at them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    pub multibyte: u64,
    pub invalid: u64,
}

impl Evidence {
    /// Count `data`, up to a character cut at its end unless `at_end`; returns how many bytes
    /// were looked at and where the first invalid one is.
    fn count(&mut self, data: &[u8], at_end: bool) -> (usize, Option<usize>) {
        let len = data.len();
        let mut first = None;
        let mut i = 0;
        while i < len {
            let b = data[i];
            if b < 0x80 {
                i += 1;
                continue;
            }
            let need = match b {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF4 => 4,
                _ => 0,
            };
            if need > 0 && i + need > len && !at_end {
                break; // cut at the chunk's end: carried over
            }
            if need > 0 && i + need <= len && std::str::from_utf8(&data[i..i + need]).is_ok() {
                self.multibyte += 1;
                i += need;
            } else {
                self.invalid += 1;
                first.get_or_insert(i);
                i += 1;
            }
        }
        (i, first)
    }

    pub fn add(&mut self, other: Evidence) {
        self.multibyte += other.multibyte;
        self.invalid += other.invalid;
    }

    /// What [`sniff`] decides of a whole file without a byte-order mark: GB18030 when some
    /// bytes are not UTF-8 and valid multi-byte characters are fewer than four times those.
    pub fn says_gb18030(&self) -> bool {
        self.invalid > 0 && self.multibyte < 4 * self.invalid
    }
}

/// GB18030 when the start of a file says so, for a reader that checks every later cell with
/// a [`GbCheck`] and adds up its evidence: when the whole file's evidence
/// ([`Evidence::says_gb18030`]) agrees and no cell is refused, [`sniff`] would have decided
/// GB18030 and passed every cell too, so the two agree without a read of the whole file
/// first. None: not known from the start alone (a byte-order mark, UTF-8 text, mostly UTF-8
/// evidence, or bytes GB18030 cannot decode).
pub fn gb18030_start(start: &[u8], complete: bool) -> Option<TextEncoding> {
    if [&[0xFF, 0xFE][..], &[0xFE, 0xFF], &[0xEF, 0xBB, 0xBF]]
        .iter()
        .any(|bom| start.starts_with(bom))
    {
        return None;
    }
    // Whole lines only: a character may be cut at the end of what was read.
    let whole = if complete {
        start
    } else {
        &start[..memchr::memrchr(b'\n', start)? + 1]
    };
    let mut check = GbCheck::default();
    let fits = simdutf8::basic::from_utf8(whole).is_err()
        && check.cells(whole).is_ok()
        && check.evidence.says_gb18030()
        && !encoding_rs::GB18030.decode_without_bom_handling(whole).1;
    fits.then_some(TextEncoding::Gb18030)
}

/// What [`sniff`] and [`check_gb18030`] look at in a file read as GB18030, cell by cell: the
/// UTF-8 evidence, and cells that are well-formed UTF-8 Chinese.
#[derive(Debug, Default)]
pub struct GbCheck {
    pub evidence: Evidence,
}

impl GbCheck {
    /// Look at every cell of `bytes` (whole records); the offset of the first cell that is
    /// UTF-8 Chinese (or that holds a quote a CSV reader would read as a letter), if one is.
    pub fn cells(&mut self, bytes: &[u8]) -> Result<(), usize> {
        if memchr::memchr(b'"', bytes).is_none() {
            self.unquoted_cells(bytes)
        } else {
            self.quoted_cells(bytes)
        }
    }

    /// [`GbCheck::cells`] of bytes without a quote, where every `,` and newline ends a cell.
    /// Only cells with a byte past ASCII can add evidence or be refused, so only they are
    /// found: from each such byte back and forward to the separators around it. (问卷星 quotes
    /// no cell in its CSV downloads, so this is the common case.)
    fn unquoted_cells(&mut self, bytes: &[u8]) -> Result<(), usize> {
        let mut refused = None;
        let mut from = 0;
        while let Some(at) = next_non_ascii(bytes, from) {
            let start =
                memchr::memrchr2(b',', b'\n', &bytes[from..at]).map_or(from, |k| from + k + 1);
            let end = memchr::memchr2(b',', b'\n', &bytes[at..]).map_or(bytes.len(), |k| at + k);
            let c = &bytes[start..end];
            self.evidence.count(c, true);
            if refused.is_none()
                && let Ok(s) = simdutf8::basic::from_utf8(c)
                && s.chars().any(cjk)
            {
                refused = Some(start);
            }
            from = end;
        }
        refused.map_or(Ok(()), Err)
    }

    /// [`GbCheck::cells`] of bytes with quotes: every cell, the quotes followed.
    fn quoted_cells(&mut self, bytes: &[u8]) -> Result<(), usize> {
        let mut in_quotes = false;
        let mut start = 0;
        // Just past the quote that last closed a quoted stretch (a `""` inside quotes is a
        // quote closing and one opening again).
        let mut closed = usize::MAX;
        let mut refused = None;
        let mut cell = |this: &mut Self, from: usize, to: usize| {
            let c = &bytes[from..to];
            if c.is_ascii() {
                return;
            }
            this.evidence.count(c, true);
            if refused.is_none()
                && let Ok(s) = simdutf8::basic::from_utf8(c)
                && s.chars().any(cjk)
            {
                refused = Some(from);
            }
        };
        for i in memchr::memchr3_iter(b'"', b',', b'\n', bytes) {
            match bytes[i] {
                // A quote inside an unquoted cell is a letter to a CSV reader, not the start
                // of a quoted cell: the cells here would not be its cells, so vouch for none.
                b'"' if !in_quotes && i != start && i != closed => return Err(start),
                b'"' => {
                    in_quotes = !in_quotes;
                    if !in_quotes {
                        closed = i + 1;
                    }
                }
                _ if in_quotes => {}
                _ => {
                    cell(self, start, i);
                    start = i + 1;
                }
            }
        }
        cell(self, start, bytes.len());
        refused.map_or(Ok(()), Err)
    }
}

/// Decide the encoding of a CSV file, reading all of it.
/// What a file's first bytes say it is, when it is a workbook: `xlsx` (a zip, as .xlsx and .ods
/// are) or `xls` (an OLE compound file, as Excel 97–2003 writes).
pub fn workbook_kind(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"PK\x03\x04") {
        Some("xlsx")
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some("xls")
    } else {
        None
    }
}

pub fn sniff(path: &Path) -> Result<TextEncoding, ImportError> {
    let io = |e: std::io::Error| ImportError::file(path, format!("cannot read: {e}"));
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut buf = vec![0u8; CHUNK + 4];
    let mut carry = 0usize;
    let mut offset = 0u64; // bytes of the file before buf[0]
    let mut first = true;
    let mut bom = false;
    // Evidence: valid multi-byte UTF-8 characters, invalid positions, the first of those.
    let mut evidence = Evidence::default();
    let mut first_invalid: Option<u64> = None;
    loop {
        let n = read_full(&mut f, &mut buf[carry..carry + CHUNK]).map_err(io)?;
        let len = carry + n;
        if first {
            first = false;
            if let Some(kind) = workbook_kind(&buf[..len]) {
                return Err(ImportError::file(
                    path,
                    format!(
                        "is an Excel workbook ({kind}), not CSV text; give it the extension .{}",
                        if kind == "xlsx" { "xlsx" } else { "xls" }
                    ),
                ));
            }
            if buf[..len].starts_with(&[0xFF, 0xFE]) {
                return Ok(TextEncoding::Utf16Le);
            }
            if buf[..len].starts_with(&[0xFE, 0xFF]) {
                return Ok(TextEncoding::Utf16Be);
            }
            bom = buf[..len].starts_with(&[0xEF, 0xBB, 0xBF]);
        }
        let at_end = n == 0 || len < CHUNK;
        let data = &buf[..len];
        // Fast path: the chunk is valid UTF-8 (but for a character cut at its end).
        let (valid_len, tail) = match simdutf8::compat::from_utf8(data) {
            Ok(_) => (len, 0),
            Err(e) if e.error_len().is_none() && !at_end => {
                (e.valid_up_to(), len - e.valid_up_to())
            }
            Err(_) => {
                // Slow path: count the evidence in this chunk.
                let (looked, first) = evidence.count(data, at_end);
                if let Some(i) = first {
                    first_invalid.get_or_insert(offset + i as u64);
                }
                (looked, len - looked)
            }
        };
        if tail > 0 {
            buf.copy_within(valid_len..len, 0);
        }
        offset += valid_len as u64;
        carry = tail;
        if at_end {
            break;
        }
    }
    let Some(bad) = first_invalid else {
        return Ok(if bom {
            TextEncoding::Utf8Bom
        } else {
            TextEncoding::Utf8
        });
    };
    if bom || !evidence.says_gb18030() {
        let (row, col) = locate(path, bad)?;
        return Err(ImportError {
            file: path.to_owned(),
            row: Some(row),
            column: Some(col),
            value: None,
            message: format!(
                "the file is UTF-8 text, but this cell holds {} byte(s) that are not (probably a row pasted from a GB18030/GBK file); save the whole file in one encoding",
                evidence.invalid
            ),
        });
    }
    check_gb18030(path)?;
    Ok(TextEncoding::Gb18030)
}

fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let k = f.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(n)
}

/// Whether a character is a CJK ideograph or CJK punctuation.
/// Where the first byte past ASCII at or after `from` is, 32 bytes at a time.
fn next_non_ascii(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 32) {
        if !chunk.is_ascii() {
            break;
        }
        i += 32;
    }
    bytes[i.min(bytes.len())..]
        .iter()
        .position(|b| !b.is_ascii())
        .map(|k| i + k)
}

fn cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x323AF)
}

/// In a file decided to be GB18030: refuse bytes GB18030 cannot decode, and cells that are
/// well-formed UTF-8 Chinese (a UTF-8 row pasted in), at their row and column.
fn check_gb18030(path: &Path) -> Result<(), ImportError> {
    let io = |e: std::io::Error| ImportError::file(path, format!("cannot read: {e}"));
    let f = std::fs::File::open(path).map_err(io)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, f));
    let mut rec = csv::ByteRecord::new();
    let mut row = 0usize;
    let mut headers: Vec<String> = Vec::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(ImportError {
                    file: path.to_owned(),
                    row: e.position().map(|p| p.line() as usize),
                    column: None,
                    value: None,
                    message: format!("not readable as CSV: {e}"),
                });
            }
        }
        row += 1;
        if row == 1 {
            headers = rec
                .iter()
                .map(|c| {
                    encoding_rs::GB18030
                        .decode_without_bom_handling(c)
                        .0
                        .into_owned()
                })
                .collect();
        }
        for (c, cell) in rec.iter().enumerate() {
            if cell.is_ascii() {
                continue;
            }
            let located = |message: String, value: String| ImportError {
                file: path.to_owned(),
                row: Some(row),
                column: Some(crate::table::column_name(c, &headers)),
                value: Some(value),
                message,
            };
            if let Ok(s) = std::str::from_utf8(cell)
                && s.chars().any(cjk)
            {
                return Err(located(
                    "this cell is UTF-8 text in a file that is otherwise GB18030 (a row pasted from another file?); save the whole file in one encoding".into(),
                    s.to_owned(),
                ));
            }
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(cell);
            if had_errors {
                return Err(located(
                    "holds bytes that are neither UTF-8 nor GB18030; re-export the file as UTF-8 or GB18030".into(),
                    text.into_owned(),
                ));
            }
        }
    }
    Ok(())
}

/// The row (header = 1) and column of a byte offset of a CSV file.
fn locate(path: &Path, offset: u64) -> Result<(usize, String), ImportError> {
    let io = |e: std::io::Error| ImportError::file(path, format!("cannot read: {e}"));
    let f = std::fs::File::open(path).map_err(io)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, f));
    let mut rec = csv::ByteRecord::new();
    let mut headers: Vec<String> = Vec::new();
    let mut row = 0usize;
    let mut prev_end = 0u64;
    while rdr.read_byte_record(&mut rec).unwrap_or(false) {
        row += 1;
        if row == 1 {
            headers = rec
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
        }
        let end = rdr.position().byte();
        if offset < end {
            // The field holding the offset: the first whose bytes, in order, reach it.
            let start = rec.position().map_or(prev_end, |p| p.byte());
            let mut at = start;
            for (c, cell) in rec.iter().enumerate() {
                let end = at + cell.len() as u64;
                if offset < end {
                    return Ok((row, crate::table::column_name(c, &headers)));
                }
                at = end + 1;
            }
            return Ok((
                row,
                crate::table::column_name(rec.len().saturating_sub(1), &headers),
            ));
        }
        prev_end = end;
    }
    Ok((row.max(1), "?".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("enc-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn whole_files_decide() {
        let utf8 = "序号,1、医院级别\n1,三级医院\n2,二级医院\n".as_bytes();
        assert_eq!(sniff(&file("u.csv", utf8)).unwrap(), TextEncoding::Utf8);
        let gb = encoding_rs::GB18030
            .encode("序号,1、医院级别\n1,三级医院\n2,二级医院\n")
            .0;
        assert_eq!(sniff(&file("g.csv", &gb)).unwrap(), TextEncoding::Gb18030);
    }

    #[test]
    fn gb18030_is_decided_from_a_start_whose_cells_pass() {
        let gb = |s: &str| encoding_rs::GB18030.encode(s).0.into_owned();
        let start = gb(
            "序号,1、医院名称,2、备注\n1,三级医院,\"加强培训，\"\"每年\"\"两次,至少\"\n2,二级医院,无\n",
        );
        assert_eq!(gb18030_start(&start, true), Some(TextEncoding::Gb18030));
        // Not from a start cut inside its first line, nor from UTF-8 or a byte-order mark.
        assert_eq!(gb18030_start(&start[..9], false), None);
        assert_eq!(gb18030_start("序号,名称\n1,三级\n".as_bytes(), true), None);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(&start);
        assert_eq!(gb18030_start(&bom, true), None);
        // The cells of a quoted stretch with doubled quotes are cells; a quote inside an
        // unquoted cell is not vouched for; a UTF-8 Chinese cell is refused where it starts.
        let mut check = GbCheck::default();
        assert_eq!(check.cells(b"1,\"a\"\"b,c\"\"\",d\n"), Ok(()));
        assert_eq!(check.cells(b"1,a\"b,c\n"), Err(2));
        let mut row = gb("3,三级医院,");
        let at = row.len();
        row.extend_from_slice("数据中心\n".as_bytes());
        assert_eq!(check.cells(&row), Err(at));
    }

    #[test]
    fn mixed_files_are_refused_where_they_mix() {
        // A GB18030 row in a UTF-8 file.
        let mut bytes = "序号,1、医院级别,2、备注\n1,三级医院,无\n2,二级医院,无\n3,三级医院,无\n"
            .as_bytes()
            .to_vec();
        bytes.extend_from_slice(b"4,");
        bytes.extend_from_slice(&encoding_rs::GB18030.encode("二级医院").0);
        bytes.extend_from_slice(",x\n".as_bytes());
        let e = sniff(&file("mix1.csv", &bytes)).unwrap_err();
        assert_eq!(e.row, Some(5), "{e}");
        assert!(
            e.column.as_deref().unwrap().starts_with("B «1、医院级别»"),
            "{e}"
        );
        // A UTF-8 cell in a GB18030 file.
        let mut bytes = encoding_rs::GB18030
            .encode("序号,1、医院级别,2、备注\n1,三级医院,无\n2,二级医院,无\n")
            .0
            .into_owned();
        bytes.extend_from_slice("3,三级医院,数据中心\n".as_bytes());
        let e = sniff(&file("mix2.csv", &bytes)).unwrap_err();
        assert_eq!(e.row, Some(4), "{e}");
        assert!(
            e.message
                .contains("UTF-8 text in a file that is otherwise GB18030"),
            "{e}"
        );
    }

    /// Pieces of a CSV block: separators, ASCII, a GB18030 and a UTF-8 Chinese word, bytes
    /// that begin or continue no character, and (when asked) quotes.
    fn pieces(quotes: bool) -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let gb = encoding_rs::GB18030.encode("三级医院").0.into_owned();
        let mut parts: Vec<Vec<u8>> = vec![
            b",".to_vec(),
            b"\n".to_vec(),
            b"\r\n".to_vec(),
            b"12".to_vec(),
            b"abc xyz 0123456789 abcdefghijklmnopqrstuvwxyz".to_vec(),
            gb.clone(),
            gb[..1].to_vec(),
            "数据中心".as_bytes().to_vec(),
            "数".as_bytes()[..2].to_vec(),
            vec![0x80],
            vec![0xFF, 0xC3],
            "é".as_bytes().to_vec(),
        ];
        if quotes {
            parts.push(b"\"".to_vec());
        }
        prop::collection::vec(prop::sample::select(parts), 0..80).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        /// Without quotes, looking only at the cells past ASCII finds what following every
        /// cell finds: the same evidence and the same refused cell.
        #[test]
        fn unquoted_blocks_are_checked_as_every_cell_is(bytes in pieces(false)) {
            let (mut fast, mut every) = (GbCheck::default(), GbCheck::default());
            proptest::prop_assert_eq!(fast.cells(&bytes), every.quoted_cells(&bytes));
            proptest::prop_assert_eq!(fast.evidence, every.evidence);
        }
    }
}
