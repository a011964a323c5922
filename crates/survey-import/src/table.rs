//! Tabular files (CSV in any common encoding, XLSX, XLS) as a header and a stream of rows.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
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
    /// Text encoding (CSV only), e.g. `UTF-8`, `UTF-8 with BOM`, `GB18030`.
    pub encoding: Option<&'static str>,
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
    match ext.as_str() {
        "csv" | "txt" => open_csv(path, size),
        "xlsx" | "xlsm" | "xls" | "ods" => open_workbook(path, sheet, size),
        other => Err(ImportError::file(
            path,
            format!(
                "cannot tell the format from the extension `.{other}`; expected .csv, .xlsx, .xls, .json or .jsonl"
            ),
        )),
    }
}

/// The encoding of a CSV file: a BOM decides; otherwise UTF-8 if the first 64 KiB are valid
/// UTF-8 (a character cut at the end of the sample is allowed), else GB18030 (the superset
/// of GBK that Excel on Chinese Windows writes).
pub fn detect_encoding(sample: &[u8]) -> (&'static encoding_rs::Encoding, &'static str) {
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return (encoding_rs::UTF_8, "UTF-8 with BOM");
    }
    if sample.starts_with(&[0xFF, 0xFE]) {
        return (encoding_rs::UTF_16LE, "UTF-16LE");
    }
    if sample.starts_with(&[0xFE, 0xFF]) {
        return (encoding_rs::UTF_16BE, "UTF-16BE");
    }
    match std::str::from_utf8(sample) {
        Ok(_) => (encoding_rs::UTF_8, "UTF-8"),
        Err(e) if e.error_len().is_none() && sample.len() - e.valid_up_to() < 4 => {
            (encoding_rs::UTF_8, "UTF-8")
        }
        Err(_) => (encoding_rs::GB18030, "GB18030"),
    }
}

/// Text in GB18030 (a questionnaire saved by Chinese Windows tools), decoded.
pub fn decode_gb18030(bytes: &[u8]) -> String {
    encoding_rs::GB18030.decode(bytes).0.into_owned()
}

fn open_csv(path: &Path, size: u64) -> Result<Table, ImportError> {
    let io = |e: std::io::Error| ImportError::file(path, format!("cannot read: {e}"));
    let mut file = File::open(path).map_err(io)?;
    let mut sample = vec![0u8; 64 * 1024];
    let mut n = 0;
    while n < sample.len() {
        let k = file.read(&mut sample[n..]).map_err(io)?;
        if k == 0 {
            break;
        }
        n += k;
    }
    sample.truncate(n);
    let (encoding, name) = detect_encoding(&sample);
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .build(BufReader::with_capacity(1 << 16, file));
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(decoded);
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
        if rec.len() != width {
            return Err(ImportError {
                file: file_path.clone(),
                row: Some(row),
                column: None,
                value: None,
                message: format!(
                    "the row has {} fields but the header has {width} (a ragged row)",
                    rec.len()
                ),
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
        encoding: Some(name),
        size,
    })
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
        Some(h) if !h.trim().is_empty() => format!("{letters} «{}»", h.trim()),
        _ => letters,
    }
}

fn open_workbook(path: &Path, sheet: Option<&str>, size: u64) -> Result<Table, ImportError> {
    let mut wb = calamine::open_workbook_auto(path)
        .map_err(|e| ImportError::file(path, format!("not a readable workbook: {e}")))?;
    let names = wb.sheet_names();
    let name = match sheet {
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
            s.to_owned()
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| ImportError::file(path, "the workbook has no worksheets"))?,
    };
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
