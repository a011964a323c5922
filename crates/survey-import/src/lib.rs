//! # survey-import
//!
//! The second step of the flow: reads what a survey platform exported into coded
//! [`Record`]s of a questionnaire, streaming, one row at a time.
//!
//! * Files: CSV (UTF-8 with or without BOM, or GB18030/GBK as Excel on Chinese Windows writes
//!   it; the encoding is detected and reported), Excel (.xlsx, legacy .xls), JSON arrays and
//!   JSON Lines of response records.
//! * Layouts: 问卷星 “下载答卷数据” in text mode (按文本) and code mode (按序号), tied to the
//!   questionnaire by a [`Mapping`] file; and response records keyed by question id.
//!
//! Every problem is an [`ImportError`] naming the file, row, column and value. Nothing is
//! dropped silently: a column or option text the mapping cannot place is an error. Checking the
//! records against the questionnaire's rules and cleaning them are later steps.

pub mod encoding;
pub mod headers;
mod json;
pub mod mapping;
pub mod parallel;
pub mod table;
pub mod wjx;

use std::fmt;
use std::path::{Path, PathBuf};

pub use mapping::{Layout, Mapping, WjxMode};
use survey_schema::{Index, Record};

/// A located problem with an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: PathBuf,
    /// Row as a spreadsheet shows it (header = 1), or line of a JSON file.
    pub row: Option<usize>,
    /// Column letter and header, or question id.
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
}

impl ImportError {
    pub fn file(file: &Path, message: impl Into<String>) -> ImportError {
        ImportError {
            file: file.to_owned(),
            row: None,
            column: None,
            value: None,
            message: message.into(),
        }
    }
}

/// Text from a file as a terminal or an editor should show it: a header, option or cell may
/// hold control characters (an escape sequence that clears the screen or retitles the window,
/// NUL, BEL) or direction marks and overrides (U+202E) that would disguise the text around
/// them; each is written as its code, `\u{1b}`. Line ends and tabs stay.
pub fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if hides(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Whether a character would act on the terminal or the text around it rather than show
/// itself: a control character other than a line end or tab, or a direction mark, embedding,
/// override or isolate.
pub fn hides(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text for print without what [`hides`] itself: each terminal escape sequence left out whole
/// (`ESC [ … final`, `ESC ] … BEL` or `ESC ] … ESC \`, `ESC` and one character), and every
/// other such character dropped.
pub fn without_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            match chars.next() {
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            }
        } else if !hides(c) {
            out.push(c);
        }
    }
    out
}

/// A value shown in a message, cut to `max` characters.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        s.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    } else {
        s.to_owned()
    }
}

impl ImportError {
    /// The error without its file: `row 9, column L «4、人数», value "15-20": …`, for a list of
    /// errors in one file.
    pub fn in_file(&self) -> String {
        let mut s = self.to_string();
        let file = format!("{}: ", self.file.display());
        if s.starts_with(&file) {
            s.drain(..file.len());
        }
        s
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(r) = self.row {
            write!(f, ": row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        if let Some(v) = &self.value {
            let shown: String = if v.chars().count() > 60 {
                v.chars().take(57).collect::<String>() + "..."
            } else {
                v.clone()
            };
            write!(f, ", value {shown:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ImportError {}

/// What the platform recorded about a submission besides its answers. Only the cleaning step
/// and its log use it; it never reaches a table or a report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Meta {
    /// Row (or line) the record came from.
    pub row: usize,
    /// Submission time as exported, e.g. `2026/4/18 08:00:00`.
    pub submitted_at: Option<String>,
    /// The same time as a sortable key (`20260418080000`, [`wjx::parse_time`]), when the
    /// reader has read it already (so that cleaning need not read it again).
    pub submitted_key: Option<u64>,
    /// Completion time in seconds.
    pub duration_secs: Option<f64>,
    pub source: Option<String>,
    pub ip: Option<String>,
}

/// One imported respondent.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub record: Record,
    pub meta: Meta,
}

/// A file format the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    Csv,
    Xlsx,
    Xls,
    Ods,
    Json,
    Jsonl,
}

impl SourceFormat {
    /// As users name it: `CSV`, `XLSX`…
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::Csv => "CSV",
            SourceFormat::Xlsx => "XLSX",
            SourceFormat::Xls => "XLS",
            SourceFormat::Ods => "ODS",
            SourceFormat::Json => "JSON",
            SourceFormat::Jsonl => "JSON Lines",
        }
    }
}

/// How the answers are laid out in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceLayout {
    /// 问卷星 按文本.
    WjxText,
    /// 问卷星 按序号.
    WjxCode,
    /// Response records keyed by question id.
    Records,
}

impl SourceLayout {
    /// In Chinese, for the methodology note.
    pub fn zh(self) -> &'static str {
        match self {
            SourceLayout::WjxText => "问卷星按文本下载",
            SourceLayout::WjxCode => "问卷星按序号下载",
            SourceLayout::Records => "逐条记录",
        }
    }
}

/// What was read and how.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceInfo {
    pub file: PathBuf,
    pub format: SourceFormat,
    /// CSV only: the encoding detected.
    pub encoding: Option<encoding::TextEncoding>,
    pub layout: SourceLayout,
    pub bytes: u64,
    /// Columns whose header asks something other than the question they are read as.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wording: Vec<String>,
}

/// A streaming import: iterate to get records one by one.
pub struct Importer<'a> {
    pub info: SourceInfo,
    inner: Box<dyn Iterator<Item = Result<Imported, ImportError>> + 'a>,
}

impl Iterator for Importer<'_> {
    type Item = Result<Imported, ImportError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

/// Open an export for import. The mapping is checked against the questionnaire and the
/// file's header against the mapping before any row is read.
pub fn open<'a>(
    index: &'a Index,
    mapping: &Mapping,
    mapping_path: &Path,
    path: &Path,
) -> Result<Importer<'a>, ImportError> {
    mapping.check(index, mapping_path)?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext == "json" || ext == "jsonl" || ext == "ndjson" {
        return json::open(index, path);
    }
    if mapping.layout == Layout::Records {
        return Err(ImportError::file(
            path,
            "the mapping's layout is `records`, which reads .json or .jsonl files",
        ));
    }
    if !matches!(
        ext.as_str(),
        "csv" | "txt" | "xlsx" | "xlsm" | "xls" | "ods"
    ) {
        return Err(ImportError::file(
            path,
            if ext.is_empty() {
                "cannot tell the format: the file name has no extension; expected .csv, .xlsx or .xls (a 问卷星 download), or .json or .jsonl (records)".to_owned()
            } else {
                format!(
                    "cannot tell the format from the extension `.{ext}`; expected .csv, .xlsx or .xls (a 问卷星 download), or .json or .jsonl (records)"
                )
            },
        ));
    }
    let table = table::open_table(path, mapping.sheet.as_deref())?;
    let plan = wjx::Plan::new(index, mapping, &table.headers, path)?;
    let info = SourceInfo {
        file: path.to_owned(),
        format: table.format,
        encoding: table.encoding,
        layout: if plan.mode == WjxMode::Code {
            SourceLayout::WjxCode
        } else {
            SourceLayout::WjxText
        },
        bytes: table.size,
        wording: plan.wording.iter().map(|(_, w)| w.clone()).collect(),
    };
    let rows = table.rows;
    let inner = rows.map(move |r| {
        let (row, cells) = r?;
        let (record, meta) = plan.decode(index, row, &cells)?;
        Ok(Imported { record, meta })
    });
    Ok(Importer {
        info,
        inner: Box::new(inner),
    })
}

/// Import a whole file, collecting every record or the errors (up to `max_errors`).
pub fn read_all(
    index: &Index,
    mapping: &Mapping,
    mapping_path: &Path,
    path: &Path,
    max_errors: usize,
) -> Result<(SourceInfo, Vec<Imported>), Vec<ImportError>> {
    let importer = open(index, mapping, mapping_path, path).map_err(|e| vec![e])?;
    let info = importer.info.clone();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for r in importer {
        match r {
            Ok(x) => out.push(x),
            Err(e) => {
                errors.push(e);
                if errors.len() >= max_errors {
                    break;
                }
            }
        }
    }
    if errors.is_empty() {
        Ok((info, out))
    } else {
        Err(errors)
    }
}
