//! Tabular files (CSV in any common encoding, XLSX, XLS) as a header and a stream of rows.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use calamine::{Data, Reader};

use crate::ImportError;

/// Data rows as strings, each with its row number as a spreadsheet shows it (header = 1).
pub type Rows = Box<dyn Iterator<Item = Result<(usize, Vec<String>), ImportError>>>;

/// A tabular file opened for reading: its header and a stream of data rows.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Rows,
    pub format: crate::SourceFormat,
    /// Text encoding (CSV only).
    pub encoding: Option<crate::encoding::TextEncoding>,
    /// Bytes in the file, for progress reports.
    pub size: u64,
}

/// Open a CSV or workbook by its extension.
pub fn open_table(path: &Path, sheet: Option<&str>) -> Result<Table, ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let size = std::fs::metadata(path)
        .map_err(|e| ImportError::file(path, format!("cannot read: {e}")))?
        .len();
    if size == 0 {
        return Err(ImportError::file(path, "the file is empty"));
    }
    let table = match ext.as_str() {
        "csv" | "txt" => open_csv(path, size),
        "xlsx" | "xlsm" | "xls" | "ods" => open_workbook(path, sheet, size),
        "" => Err(ImportError::file(
            path,
            "cannot tell the format: the file name has no extension; a 问卷星 download is .csv, .xlsx or .xls",
        )),
        other => Err(ImportError::file(
            path,
            format!(
                "cannot tell the format from the extension `.{other}`; a 问卷星 download is .csv, .xlsx or .xls"
            ),
        )),
    }?;
    // A row with nothing in any cell (left when answers are cleared in a spreadsheet) is no
    // submission; it keeps its row number, so the rows after it are named as the sheet does.
    Ok(Table {
        rows: Box::new(
            table
                .rows
                .filter(|r| !matches!(r, Ok((_, cells)) if is_blank_row(cells))),
        ),
        ..table
    })
}

/// Whether a row holds nothing: every cell empty or white space.
pub fn is_blank_row<S: AsRef<str>>(cells: &[S]) -> bool {
    cells.iter().all(|c| c.as_ref().trim().is_empty())
}

/// Text in GB18030 (a questionnaire saved by Chinese Windows tools), decoded.
pub fn decode_gb18030(bytes: &[u8]) -> String {
    encoding_rs::GB18030.decode(bytes).0.into_owned()
}

fn open_csv(path: &Path, size: u64) -> Result<Table, ImportError> {
    let io = |e: std::io::Error| ImportError::file(path, format!("cannot read: {e}"));
    let enc = crate::encoding::sniff(path)?;
    let name = enc.name();
    check_csv_header(path, &header_start(path)?, enc)?;
    let file = File::open(path).map_err(io)?;
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(enc.encoding()))
        .bom_override(true)
        .build(BufReader::with_capacity(1 << 16, file));
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(LineLimit {
            inner: decoded,
            run: 0,
            line: 1,
        });
    let file_path: PathBuf = path.to_owned();
    let mut records = reader.into_records();
    let headers = match records.next() {
        None => return Err(ImportError::file(path, "the file has no header row")),
        Some(Err(e)) => return Err(csv_error(&file_path, e)),
        Some(Ok(h)) => h.iter().map(str::to_owned).collect::<Vec<_>>(),
    };
    check_text(&file_path, 1, &headers, &headers, name)?;
    let width = headers.len();
    let hdrs = headers.clone();
    let rows = records.enumerate().map(move |(i, r)| {
        let row = i + 2;
        let rec = r.map_err(|e| csv_error(&file_path, e))?;
        // Nothing in it, however many commas: left out by `open_table`, ragged or not.
        if rec.iter().all(|c| c.trim().is_empty()) {
            return Ok((row, Vec::new()));
        }
        if rec.len() != width {
            return Err(ImportError {
                file: file_path.clone(),
                row: Some(row),
                column: None,
                value: None,
                message: ragged(rec.iter(), rec.len(), &hdrs),
            });
        }
        let cells: Vec<String> = rec.iter().map(str::to_owned).collect();
        check_text(&file_path, row, &hdrs, &cells, name)?;
        Ok((row, cells))
    });
    Ok(Table {
        headers,
        rows: Box::new(rows),
        format: crate::SourceFormat::Csv,
        encoding: Some(enc),
        size,
    })
}

/// Why a CSV record has `fields` fields where the header has others: a ragged row, or a
/// quote left open, which reads on over line ends to the next quote (trial 38: an unclosed
/// quote was called a ragged row, the cell that opened it unnamed).
pub fn ragged<'a>(
    cells: impl Iterator<Item = &'a str>,
    fields: usize,
    headers: &[String],
) -> String {
    let width = headers.len();
    match cells.enumerate().find(|(_, c)| c.contains('\n')) {
        Some((c, cell)) => format!(
            "the record has {fields} fields but the header has {width}: the cell in column {} opens a quote (\"{}) that is not closed on its line, so the record runs on over {} line end{} to the next quote; close the quote, or double a quote meant as text (\"\")",
            column_name(c, headers),
            crate::shorten(cell.lines().next().unwrap_or_default(), 40),
            cell.matches('\n').count(),
            if cell.matches('\n').count() == 1 {
                ""
            } else {
                "s"
            },
        ),
        None => format!("the row has {fields} fields but the header has {width} (a ragged row)"),
    }
}

/// A decoder replaces bytes it cannot decode with U+FFFD; refuse such text rather than keep
/// it silently corrupted.
fn check_text(
    file: &Path,
    row: usize,
    headers: &[String],
    cells: &[String],
    encoding: &str,
) -> Result<(), ImportError> {
    for (c, cell) in cells.iter().enumerate() {
        if cell.contains('\u{FFFD}') {
            return Err(ImportError {
                file: file.to_owned(),
                row: Some(row),
                column: Some(column_name(c, headers)),
                value: Some(cell.clone()),
                message: format!(
                    "holds bytes that are not valid {encoding}; re-export the file as UTF-8 or GB18030"
                ),
            });
        }
    }
    Ok(())
}

/// The longest line of a CSV: no 问卷星 row comes near (trial 40: a last line of 600 MiB
/// aborted trying to allocate 5 GB).
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// A reader of decoded text that fails on a line longer than [`MAX_LINE_BYTES`], so that the
/// CSV reader never buffers more than that for one record's line.
struct LineLimit<R> {
    inner: R,
    /// Bytes since the last line end.
    run: usize,
    /// The line being read (1: the header).
    line: usize,
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        let mut from = 0;
        for i in memchr::memchr_iter(b'\n', &buf[..k]) {
            self.run = 0;
            self.line += 1;
            from = i + 1;
        }
        self.run += k - from;
        if self.run > MAX_LINE_BYTES {
            return Err(std::io::Error::other(format!(
                "line {} is longer than {} MiB; no row of a 问卷星 download comes near (is this the download?)",
                self.line,
                MAX_LINE_BYTES >> 20
            )));
        }
        Ok(k)
    }
}

fn csv_error(file: &Path, e: csv::Error) -> ImportError {
    let row = e.position().map(|p| p.line() as usize);
    ImportError {
        file: file.to_owned(),
        row,
        column: None,
        value: None,
        message: format!("not readable as CSV: {e}"),
    }
}

/// `C «3、医院所在省»`: spreadsheet letter plus header.
pub fn column_name(c: usize, headers: &[String]) -> String {
    let mut letters = String::new();
    let mut n = c + 1;
    while n > 0 {
        let r = (n - 1) % 26;
        letters.insert(0, (b'A' + r as u8) as char);
        n = (n - 1) / 26;
    }
    match headers.get(c) {
        Some(h) if !h.trim().is_empty() => {
            format!("{letters} «{}»", crate::shorten(h.trim(), 40))
        }
        _ => letters,
    }
}

/// An XLSX part may decompress to at most this (a zip bomb is refused before it is read).
pub const MAX_XLSX_PART: u64 = 4 << 30;

/// How far a workbook part may unpack against its packed size (beyond 16 MiB).
const MAX_PACKING: u64 = 200;

/// A part packing tighter than this against its packed size (beyond 16 MiB) is read through
/// once before the workbook is opened, for runs without markup (a sheet of answers packs
/// about ten to one, so this costs an ordinary workbook nothing).
const SCAN_PACKING: u64 = 25;

/// The longest text or tag an XML part may hold: Excel's longest cell text is 32,767
/// characters, so a run of a mebibyte without `<` or `>` is filler the XML reader would
/// hold whole.
const MAX_XML_RUN: u64 = 1 << 20;

/// Legacy .xls and .ods files are read whole; larger ones are refused (export CSV or XLSX).
pub const MAX_WHOLE_WORKBOOK: u64 = 64 << 20;

/// Rows of a workbook sheet are streamed this many at a time from the reading thread.
const ROWS_IN_FLIGHT: usize = 256;

/// The widest row a sheet may have (Excel's own limit), and the widest CSV header.
pub const MAX_COLUMNS: u32 = 16_384;

/// The longest CSV header row: [`MAX_COLUMNS`] headers of 1 KiB each.
const MAX_HEADER_BYTES: usize = 16 << 20;

/// Check a CSV's header row from the bytes the file starts with (at least
/// [`MAX_HEADER_BYTES`] + 1 of them, or all), before it is split: a header wider than
/// [`MAX_COLUMNS`] columns or longer than [`MAX_HEADER_BYTES`] is refused, so that what a
/// header costs to hold stays bounded (trial 38: 16 million empty columns, a 16 MB file,
/// took 2.9 GB). Commas, quotes and line ends are one byte in UTF-8 and GB18030 and one
/// unit of two bytes in UTF-16.
pub fn check_csv_header(
    path: &Path,
    start: &[u8],
    encoding: crate::encoding::TextEncoding,
) -> Result<(), ImportError> {
    use crate::encoding::TextEncoding;
    let unit = |i: usize| -> Option<u16> {
        match encoding {
            TextEncoding::Utf16Le => Some(u16::from_le_bytes([
                *start.get(2 * i)?,
                *start.get(2 * i + 1)?,
            ])),
            TextEncoding::Utf16Be => Some(u16::from_be_bytes([
                *start.get(2 * i)?,
                *start.get(2 * i + 1)?,
            ])),
            _ => start.get(i).map(|&b| u16::from(b)),
        }
    };
    let width = match encoding {
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => 2,
        _ => 1,
    };
    let refused = |message: String| ImportError {
        file: path.to_owned(),
        row: Some(1),
        column: None,
        value: None,
        message,
    };
    let mut fields: u64 = 1;
    let mut quoted = false;
    let mut i = 0;
    while let Some(u) = unit(i) {
        if i * width > MAX_HEADER_BYTES {
            return Err(refused(format!(
                "the header row is longer than {} MiB; a 问卷星 download's header names each of its columns once (is this the download?)",
                MAX_HEADER_BYTES >> 20
            )));
        }
        match u {
            0x22 => quoted = !quoted,
            0x2C if !quoted => fields += 1,
            0x0A if !quoted => break,
            _ => {}
        }
        if fields > u64::from(MAX_COLUMNS) {
            return Err(refused(format!(
                "the header row has more than {MAX_COLUMNS} columns (Excel's limit, and more than any 问卷星 download has); is this the download, or a file whose header ends in a run of commas?"
            )));
        }
        i += 1;
    }
    Ok(())
}

/// The start of a file, as much as [`check_csv_header`] needs.
pub fn header_start(path: &Path) -> Result<Vec<u8>, ImportError> {
    let io = |e: std::io::Error| ImportError::file(path, format!("cannot read: {e}"));
    let mut start = Vec::new();
    File::open(path)
        .map_err(io)?
        .take(2 * MAX_HEADER_BYTES as u64 + 8)
        .read_to_end(&mut start)
        .map_err(io)?;
    Ok(start)
}

/// Refuse a workbook whose parts would decompress to more than [`MAX_XLSX_PART`].
fn check_zip(path: &Path) -> Result<(), ImportError> {
    let f = File::open(path).map_err(|e| ImportError::file(path, format!("cannot read: {e}")))?;
    let mut z = zip::ZipArchive::new(BufReader::new(f))
        .map_err(|e| ImportError::file(path, format!("not a readable workbook: {e}")))?;
    for i in 0..z.len() {
        let entry = z
            .by_index_raw(i)
            .map_err(|e| ImportError::file(path, format!("not a readable workbook: {e}")))?;
        // A sheet of answers packs about ten to one; a part that unpacks hundreds of times its
        // size is filler (one text run of gigabytes, which the XML reader would hold whole).
        if entry.size() > 16 << 20 && entry.size() / entry.compressed_size().max(1) > MAX_PACKING {
            return Err(ImportError::file(
                path,
                format!(
                    "part {} would decompress to {} bytes, {} times its packed size; a workbook a spreadsheet program writes does not pack beyond {MAX_PACKING} to one (re-save it, or export CSV)",
                    crate::shorten(
                        &entry.name().map(|n| n.into_owned()).unwrap_or_default(),
                        60
                    ),
                    entry.size(),
                    entry.size() / entry.compressed_size().max(1)
                ),
            ));
        }
        let scan =
            entry.size() > 16 << 20 && entry.size() / entry.compressed_size().max(1) > SCAN_PACKING;
        if entry.size() > MAX_XLSX_PART {
            return Err(ImportError::file(
                path,
                format!(
                    "part {} would decompress to {} bytes; a workbook larger than {} GiB is refused (export CSV)",
                    crate::shorten(
                        &entry.name().map(|n| n.into_owned()).unwrap_or_default(),
                        60
                    ),
                    entry.size(),
                    MAX_XLSX_PART >> 30
                ),
            ));
        }
        drop(entry);
        if scan {
            longest_run(path, &mut z, i)?;
        }
    }
    Ok(())
}

/// Read part `i` of a workbook through, refusing a run of more than [`MAX_XML_RUN`] bytes
/// without `<` or `>` (trial 38: 2 GiB of white space packed 190 to one, and one shared string
/// of 512 MiB, each held whole by the XML reader until the allocation failed).
fn longest_run<R: Read + std::io::Seek>(
    path: &Path,
    z: &mut zip::ZipArchive<R>,
    i: usize,
) -> Result<(), ImportError> {
    let bad = |e: &dyn std::fmt::Display| {
        ImportError::file(path, format!("not a readable workbook: {e}"))
    };
    let mut part = z.by_index(i).map_err(|e| bad(&e))?;
    let name = crate::shorten(&part.name().map(|n| n.into_owned()).unwrap_or_default(), 60);
    let mut buf = vec![0u8; 1 << 16];
    // Bytes since the last `<` or `>`.
    let mut run: u64 = 0;
    loop {
        let k = part.read(&mut buf).map_err(|e| bad(&e))?;
        if k == 0 {
            return Ok(());
        }
        let mut from = 0;
        for m in memchr::memchr2_iter(b'<', b'>', &buf[..k]) {
            run += (m - from) as u64;
            if run > MAX_XML_RUN {
                break;
            }
            run = 0;
            from = m + 1;
        }
        if run <= MAX_XML_RUN {
            run += (k - from) as u64;
        }
        if run > MAX_XML_RUN {
            return Err(ImportError::file(
                path,
                format!(
                    "part {name} holds a run of more than {} KiB without markup; no cell of a spreadsheet holds that much (re-save the workbook, or export CSV)",
                    MAX_XML_RUN >> 10
                ),
            ));
        }
    }
}

/// An XLSX sheet streamed row by row from a reading thread: memory holds a few hundred rows,
/// however large the sheet.
fn open_xlsx(path: &Path, sheet: Option<&str>, size: u64) -> Result<Table, ImportError> {
    use calamine::Reader;
    check_zip(path)?;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path)
        .map_err(|e| ImportError::file(path, format!("not a readable workbook: {e}")))?;
    let names = wb.sheet_names();
    let name = pick_sheet(path, &names, sheet)?;
    let (tx, rx) =
        std::sync::mpsc::sync_channel::<Result<(usize, Vec<String>), ImportError>>(ROWS_IN_FLIGHT);
    let file: PathBuf = path.to_owned();
    let sheet_name = name.clone();
    std::thread::spawn(move || {
        let err = |m: String| ImportError::file(&file, m);
        let mut reader = match wb.worksheet_cells_reader(&sheet_name) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Err(err(format!(
                    "cannot read worksheet `{sheet_name}`: {e}"
                ))));
                return;
            }
        };
        let mut row: Option<u32> = None;
        let mut last_col: Option<u32> = None;
        let mut cells: Vec<String> = Vec::new();
        let mut headers: Vec<String> = Vec::new();
        let emit = |r: u32, cells: &mut Vec<String>, headers: &mut Vec<String>| -> bool {
            let line = r as usize + 1;
            let out = std::mem::take(cells);
            if headers.is_empty() && line == 1 {
                *headers = out.clone();
            }
            tx.send(Ok((line, out))).is_ok()
        };
        loop {
            let cell = match reader.next_cell() {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Err(err(format!(
                        "cannot read worksheet `{sheet_name}`: {e}"
                    ))));
                    return;
                }
            };
            let (r, c) = cell.get_position();
            if c >= MAX_COLUMNS {
                let _ = tx.send(Err(ImportError {
                    file: file.clone(),
                    row: Some(r as usize + 1),
                    column: None,
                    value: None,
                    message: format!("a cell in column {} (beyond Excel's last column)", c + 1),
                }));
                return;
            }
            match row {
                Some(cur) if cur == r => {}
                Some(cur) if r < cur => {
                    let _ = tx.send(Err(ImportError {
                        file: file.clone(),
                        row: Some(r as usize + 1),
                        column: None,
                        value: None,
                        message: "the sheet's rows are out of order".into(),
                    }));
                    return;
                }
                Some(cur) => {
                    if !emit(cur, &mut cells, &mut headers) {
                        return;
                    }
                    row = Some(r);
                    last_col = None;
                }
                None => row = Some(r),
            }
            // A cell written twice, or before one to its left, would have the last value win
            // silently (trial 40: 49 printed figures changed, no message).
            if last_col.is_some_and(|l| c <= l) {
                let _ = tx.send(Err(ImportError {
                    file: file.clone(),
                    row: Some(r as usize + 1),
                    column: Some(column_name(c as usize, &headers)),
                    value: None,
                    message: "the cell appears twice in its row, or after a cell to its right; a spreadsheet program writes each cell once, left to right (re-save the workbook, or export CSV)".into(),
                }));
                return;
            }
            last_col = Some(c);
            // Text and whole numbers (almost every cell of a 问卷星 download) straight from the
            // parser's borrowed value; anything else through the owned one.
            let fast = match cell.get_value() {
                calamine::DataRef::SharedString(t) => Some(Ok((*t).to_owned())),
                calamine::DataRef::Empty => Some(Ok(String::new())),
                calamine::DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                    Some(Ok((*f as i64).to_string()))
                }
                _ => None,
            };
            let text = fast.unwrap_or_else(|| cell_text(&Data::from(cell.get_value().clone())));
            match text {
                Ok(t) => {
                    if cells.len() <= c as usize {
                        cells.resize(c as usize + 1, String::new());
                    }
                    cells[c as usize] = t;
                }
                Err(m) => {
                    let shown = format!("{}", Data::from(cell.get_value().clone()));
                    let _ = tx.send(Err(ImportError {
                        file: file.clone(),
                        row: Some(r as usize + 1),
                        column: Some(column_name(c as usize, &headers)),
                        value: Some(crate::shorten(&shown, 60)),
                        message: m,
                    }));
                    return;
                }
            }
        }
        if let Some(cur) = row {
            emit(cur, &mut cells, &mut headers);
        }
    });
    // The header: the first row that arrives; blank rows before it are skipped like any blank.
    let mut rows = rx.into_iter();
    let (first_line, headers) = loop {
        match rows.next() {
            None => {
                return Err(ImportError::file(
                    path,
                    format!("worksheet `{name}` is empty"),
                ));
            }
            Some(Err(e)) => return Err(e),
            Some(Ok((line, cells))) if cells.iter().all(|c| c.is_empty()) => {
                let _ = line;
                continue;
            }
            Some(Ok((line, cells))) => break (line, cells),
        }
    };
    let width = headers.len();
    let file: PathBuf = path.to_owned();
    let hdrs = headers.clone();
    let body = rows.filter_map(move |r| match r {
        Err(e) => Some(Err(e)),
        Ok((line, mut cells)) => {
            // Trailing blank rows of a sheet are not records.
            if cells.iter().all(|c| c.is_empty()) {
                return None;
            }
            if cells.len() > width {
                if cells[width..].iter().any(|c| !c.is_empty()) {
                    return Some(Err(ImportError {
                        file: file.clone(),
                        row: Some(line),
                        column: Some(column_name(width, &hdrs)),
                        value: None,
                        message: format!("the row has cells beyond the header's {width} columns"),
                    }));
                }
                cells.truncate(width);
            }
            cells.resize(width, String::new());
            Some(Ok((line, cells)))
        }
    });
    let _ = first_line;
    Ok(Table {
        headers,
        rows: Box::new(body),
        format: crate::SourceFormat::Xlsx,
        encoding: None,
        size,
    })
}

/// The worksheet to read: the one named, or the first.
fn pick_sheet(path: &Path, names: &[String], sheet: Option<&str>) -> Result<String, ImportError> {
    match sheet {
        Some(s) => {
            if !names.iter().any(|n| n == s) {
                return Err(ImportError::file(
                    path,
                    format!(
                        "has no worksheet `{s}`; its worksheets are {}",
                        names.join(", ")
                    ),
                ));
            }
            Ok(s.to_owned())
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| ImportError::file(path, "the workbook has no worksheets")),
    }
}

/// The worksheets of a workbook, in order; `None` for a file that is no workbook.
pub fn sheet_names(path: &Path) -> Option<Vec<String>> {
    let mut head = [0u8; 8];
    let got = File::open(path)
        .and_then(|mut f| read_head(&mut f, &mut head))
        .ok()?;
    crate::encoding::workbook_kind(&head[..got])?;
    calamine::open_workbook_auto(path)
        .ok()
        .map(|wb| wb.sheet_names())
}

/// Why a header row without the respondent id column `id` (`序号`) is refused, with what to do:
/// the header row's first cells, and the workbook's sheets when it has several.
pub fn no_id_column(path: &Path, headers: &[String], id: &str) -> String {
    let first: Vec<String> = headers
        .iter()
        .take(3)
        .map(|h| format!("«{}»", crate::shorten(h.trim(), 20)))
        .collect();
    let sheets = match sheet_names(path) {
        Some(names) if names.len() > 1 => format!(
            "; the workbook's sheets are {}, and the first is read unless the mapping's `sheet` names another",
            names.join(", ")
        ),
        _ => String::new(),
    };
    format!(
        "the header row (row 1, starting {}) has no respondent id column «{id}»: a 问卷星 download's header is its first row and starts with 序号, 提交答卷时间, 所用时间; delete any line added above it{sheets}",
        first.join(", ")
    )
}

/// Up to `buf.len()` bytes from the start of `f`; how many were read.
fn read_head(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read;
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..])? {
            0 => break,
            k => got += k,
        }
    }
    Ok(got)
}

fn open_workbook(path: &Path, sheet: Option<&str>, size: u64) -> Result<Table, ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    // A CSV download renamed .xlsx: say so, not "invalid Zip archive".
    let mut head = [0u8; 8];
    let got = File::open(path)
        .and_then(|mut f| read_head(&mut f, &mut head))
        .map_err(|e| ImportError::file(path, format!("cannot read: {e}")))?;
    if crate::encoding::workbook_kind(&head[..got]).is_none() {
        return Err(ImportError::file(
            path,
            format!(
                "is not an Excel workbook: its first bytes are not those of a .{ext} file; if it is a CSV download, give it the extension .csv"
            ),
        ));
    }
    if ext == "xlsx" || ext == "xlsm" {
        return open_xlsx(path, sheet, size);
    }
    if size > MAX_WHOLE_WORKBOOK {
        return Err(ImportError::file(
            path,
            format!(
                "a .{ext} file is read whole, and this one is {} MiB; save it as .xlsx or CSV (larger than {} MiB is refused)",
                size >> 20,
                MAX_WHOLE_WORKBOOK >> 20
            ),
        ));
    }
    let mut wb = calamine::open_workbook_auto(path)
        .map_err(|e| ImportError::file(path, format!("not a readable workbook: {e}")))?;
    let names = wb.sheet_names();
    let name = pick_sheet(path, &names, sheet)?;
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| ImportError::file(path, format!("cannot read worksheet `{name}`: {e}")))?;
    let format = match path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .as_deref()
    {
        Some("xls") => crate::SourceFormat::Xls,
        Some("ods") => crate::SourceFormat::Ods,
        _ => crate::SourceFormat::Xlsx,
    };
    // Spreadsheet row numbers count from the sheet's first row, even if it is blank.
    let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let mut rows = range.rows();
    let headers: Vec<String> = match rows.next() {
        Some(h) => h.iter().map(|d| cell_text(d).unwrap_or_default()).collect(),
        None => {
            return Err(ImportError::file(
                path,
                format!("worksheet `{name}` is empty"),
            ));
        }
    };
    let file: PathBuf = path.to_owned();
    let mut out = Vec::new();
    for (i, r) in rows.enumerate() {
        let row = first_row + i + 2;
        let mut cells = Vec::with_capacity(headers.len());
        for (c, d) in r.iter().enumerate() {
            match cell_text(d) {
                Ok(t) => cells.push(t),
                Err(msg) => {
                    out.push(Err(ImportError {
                        file: file.clone(),
                        row: Some(row),
                        column: Some(column_name(c, &headers)),
                        value: Some(format!("{d}")),
                        message: msg,
                    }));
                    break;
                }
            }
        }
        if cells.len() == r.len() {
            // Trailing blank rows of a sheet are not records.
            if cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            out.push(Ok((row, cells)));
        }
    }
    Ok(Table {
        headers,
        rows: Box::new(out.into_iter()),
        format,
        encoding: None,
        size,
    })
}

/// A workbook cell as the text 问卷星 would have written to CSV.
fn cell_text(d: &Data) -> Result<String, String> {
    Ok(match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) => t.format("%Y/%-m/%-d %H:%M:%S").to_string(),
            None => format!("{}", dt.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(format!("the cell holds a spreadsheet error ({e:?})")),
    })
}

/// Write a table as CSV in UTF-8 (optionally with a BOM) or GB18030, atomically.
pub fn write_csv(
    path: &Path,
    headers: &[String],
    rows: &[Vec<String>],
    encoding: CsvEncoding,
) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(headers)?;
    for r in rows {
        w.write_record(r)?;
    }
    let utf8 = w
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let bytes = match encoding {
        CsvEncoding::Utf8 => utf8,
        CsvEncoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], &utf8].concat(),
        CsvEncoding::Gb18030 => {
            let text = String::from_utf8(utf8).map_err(std::io::Error::other)?;
            let (out, _, unmappable) = encoding_rs::GB18030.encode(&text);
            if unmappable {
                return Err(std::io::Error::other("text not representable in GB18030"));
            }
            out.into_owned()
        }
    };
    write_atomic(path, &bytes)
}

/// Text encodings [`write_csv`] can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvEncoding {
    Utf8,
    Utf8Bom,
    Gb18030,
}

/// Write a table as a one-sheet XLSX workbook, numbers as numbers (as 问卷星 does), atomically
/// and reproducibly (fixed document timestamps).
pub fn write_xlsx(
    path: &Path,
    sheet: &str,
    headers: &[String],
    rows: &[Vec<String>],
) -> Result<(), String> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
    let mut wb = Workbook::new();
    let when = ExcelDateTime::from_ymd(2025, 1, 1).map_err(|e| e.to_string())?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&when));
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(|e| e.to_string())?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, h).map_err(|e| e.to_string())?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell.parse::<f64>() {
                // Only cells that read back identically (no leading zeros, no 18-digit codes).
                Ok(x) if x.is_finite() && format!("{x}") == *cell => {
                    ws.write_number(r, c, x).map_err(|e| e.to_string())?;
                }
                _ if cell.is_empty() => {}
                _ => {
                    ws.write_string(r, c, cell).map_err(|e| e.to_string())?;
                }
            }
        }
    }
    let bytes = wb.save_to_buffer().map_err(|e| e.to_string())?;
    write_atomic(path, &bytes).map_err(|e| e.to_string())
}

/// Write through a temporary file in the same folder and rename, so that a failure leaves
/// either the old file or none, never half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod packing_tests {
    use std::io::Write;

    #[test]
    fn a_part_packed_far_beyond_a_spreadsheets_is_refused_before_it_is_read() {
        let p = std::env::temp_dir().join(format!("packing-{}.xlsx", std::process::id()));
        let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("xl/worksheets/sheet1.xml", deflated).unwrap();
        let spaces = vec![b' '; 1 << 20];
        for _ in 0..20 {
            z.write_all(&spaces).unwrap();
        }
        z.finish().unwrap();
        let e = super::check_zip(&p).unwrap_err().to_string();
        let _ = std::fs::remove_file(&p);
        assert!(
            e.contains("xl/worksheets/sheet1.xml would decompress to 20971520 bytes")
                && e.contains("does not pack beyond 200 to one"),
            "{e}"
        );
    }

    /// A part of 40 MiB of white space in runs of `run` bytes between tags, packed below the
    /// 200:1 guard by an attribute of text that does not pack.
    fn padded(name: &str, run: usize) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("{name}-{}.xlsx", std::process::id()));
        let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("xl/sharedStrings.xml", deflated).unwrap();
        // A xorshift stream of letters: about 6 bits a byte, which deflate cannot squeeze.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: Vec<u8> = (0..400_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b'A' + (x % 52) as u8
            })
            .map(|b| if b > b'Z' { b + 6 } else { b })
            .collect();
        z.write_all(b"<sst a=\"").unwrap();
        z.write_all(&noise).unwrap();
        z.write_all(b"\">").unwrap();
        let spaces = vec![b' '; run];
        for _ in 0..(40 << 20) / run {
            z.write_all(&spaces).unwrap();
            z.write_all(b"<x/>").unwrap();
        }
        z.write_all(b"</sst>").unwrap();
        z.finish().unwrap();
        p
    }

    #[test]
    fn a_run_without_markup_longer_than_any_cell_is_refused_before_it_is_read() {
        // Trial 38 (B1): 2 GiB of white space packed 190 to one, under the guard above, which
        // the XML reader held whole until the allocation failed.
        let p = padded("xml-run", 40 << 20);
        let packing = {
            let mut z = zip::ZipArchive::new(std::fs::File::open(&p).unwrap()).unwrap();
            let e = z.by_index_raw(0).unwrap();
            e.size() / e.compressed_size()
        };
        assert!((26..200).contains(&packing), "{packing}");
        let e = super::check_zip(&p).unwrap_err().to_string();
        let _ = std::fs::remove_file(&p);
        assert!(
            e.contains(
                "part xl/sharedStrings.xml holds a run of more than 1024 KiB without markup"
            ),
            "{e}"
        );
        // Runs of a mebibyte are read through and pass: no real cell comes near.
        let p = padded("xml-run-ok", 1 << 20);
        let ok = super::check_zip(&p);
        let _ = std::fs::remove_file(&p);
        ok.unwrap();
    }
}

#[cfg(test)]
mod cell_order_tests {
    use std::io::{Read, Write};

    #[test]
    fn a_cell_written_twice_in_a_row_is_refused_not_overwritten() {
        // Trial 40: a second <c r="B2"> after C2 changed an answer with no message, since the
        // last value won. Excel calls such a file corrupt.
        let dir = std::env::temp_dir().join(format!("cell-order-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = dir.join("plain.xlsx");
        let headers: Vec<String> = ["序号", "级别", "人数"].map(String::from).to_vec();
        let rows = vec![["1", "三级", "5"].map(String::from).to_vec()];
        super::write_xlsx(&plain, "Sheet1", &headers, &rows).unwrap();
        let mut z = zip::ZipArchive::new(std::fs::File::open(&plain).unwrap()).unwrap();
        let twice = dir.join("twice.xlsx");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&twice).unwrap());
        for i in 0..z.len() {
            let mut part = z.by_index(i).unwrap();
            let name = part.name().unwrap().into_owned();
            let mut bytes = Vec::new();
            part.read_to_end(&mut bytes).unwrap();
            if name == "xl/worksheets/sheet1.xml" {
                let text = String::from_utf8(bytes).unwrap();
                // A second B2 at the end of row 2.
                let at = text.rfind("</row>").unwrap();
                bytes = format!(
                    "{}<c r=\"B2\" t=\"inlineStr\"><is><t>二级</t></is></c>{}",
                    &text[..at],
                    &text[at..]
                )
                .into_bytes();
            }
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&bytes).unwrap();
        }
        w.finish().unwrap();
        let read = |p: &std::path::Path| -> Result<Vec<Vec<String>>, String> {
            let t = super::open_table(p, None).map_err(|e| e.to_string())?;
            t.rows
                .map(|r| r.map(|(_, cells)| cells).map_err(|e| e.to_string()))
                .collect()
        };
        assert_eq!(read(&plain).unwrap(), rows);
        let e = read(&twice).unwrap_err();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            e.contains("row 2, column B «级别»") && e.contains("the cell appears twice in its row"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod header_tests {
    use super::{MAX_COLUMNS, check_csv_header};
    use crate::encoding::TextEncoding;
    use std::path::Path;

    #[test]
    fn a_header_wider_than_excel_is_refused_before_it_is_split() {
        let p = Path::new("wide.csv");
        let header = |n: u32| {
            format!(
                "序号{}\r\n1{}\r\n",
                ",x".repeat(n as usize - 1),
                ",".repeat(n as usize - 1)
            )
        };
        // Excel's widest row is read; one column more is not.
        assert!(check_csv_header(p, header(MAX_COLUMNS).as_bytes(), TextEncoding::Utf8).is_ok());
        let e = check_csv_header(p, header(MAX_COLUMNS + 1).as_bytes(), TextEncoding::Utf8)
            .unwrap_err();
        assert_eq!(e.row, Some(1));
        assert!(
            e.message.contains("more than 16384 columns"),
            "{}",
            e.message
        );
        // Commas inside quotes are text; what follows the header does not count.
        let quoted = format!(
            "序号,\"{}\",x\r\n{}\r\n",
            ",".repeat(40_000),
            ",".repeat(40_000)
        );
        assert!(check_csv_header(p, quoted.as_bytes(), TextEncoding::Utf8).is_ok());
        // UTF-16 counts in units of two bytes.
        let wide: Vec<u8> = header(MAX_COLUMNS + 1)
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(check_csv_header(p, &wide, TextEncoding::Utf16Le).is_err());
        let narrow: Vec<u8> = header(100)
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert!(check_csv_header(p, &narrow, TextEncoding::Utf16Be).is_ok());
        // A data line longer than any row is refused before the CSV reader holds it (trial 40:
        // a last line of 600 MiB aborted at 5 GB), by the sequential reader and the parallel.
        let dir = std::env::temp_dir().join(format!("long-line-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("long.csv");
        std::fs::write(
            &f,
            format!("序号,级别\n1,三级\n2,{}\n", "x".repeat(17 << 20)),
        )
        .unwrap();
        let rows: Result<Vec<_>, _> = super::open_table(&f, None).unwrap().rows.collect();
        let _ = std::fs::remove_dir_all(&dir);
        let e = rows.unwrap_err().to_string();
        assert!(e.contains("line 3 is longer than 16 MiB"), "{e}");
        // A header without end, longer than any header, is refused by its length.
        let long = "x".repeat(17 << 20);
        let e = check_csv_header(p, long.as_bytes(), TextEncoding::Utf8).unwrap_err();
        assert!(e.message.contains("longer than 16 MiB"), "{}", e.message);
    }
}
