//! Validating whole response files: a JSON array of records, or JSON Lines.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::value::RawValue;

use crate::{Finding, Rule, Severity, Validator};

/// A response file that cannot be read as JSON at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
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

/// Validate a response file: a JSON array of records, or one record per line (JSON Lines).
pub fn validate_file(validator: &Validator, path: &Path) -> Result<FileReport, FileError> {
    let bytes = std::fs::read(path).map_err(|source| FileError::Io {
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = upto.len() - upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        FileError::Parse {
            path: path.to_owned(),
            line,
            column,
            message: "the file is not UTF-8 text".into(),
        }
    })?;
    validate_text(validator, &text, path)
}

/// Validate response records held in a string; `path` is only used in messages.
pub fn validate_text(
    validator: &Validator,
    text: &str,
    path: &Path,
) -> Result<FileReport, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(FileError::Empty {
            path: path.to_owned(),
        });
    }
    let mut findings = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut records = 0;
    let mut check =
        |no: usize, line: usize, value: &serde_json::Value, findings: &mut Vec<Finding>| {
            findings.extend(validator.validate_json(no, Some(line), value));
            if let Some(id) = value.get("id").and_then(|v| v.as_str()) {
                if let Some(first) = ids.get(id) {
                    let mut f = Finding::new(
                        Rule::DuplicateRespondent,
                        id,
                        format!("record {first} already uses this respondent id"),
                    );
                    f.record = no;
                    f.line = Some(line);
                    findings.push(f);
                } else {
                    ids.insert(id.to_owned(), no);
                }
            }
        };
    if trimmed.starts_with('[') {
        let raws: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| FileError::Parse {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        for (n, raw) in raws.iter().enumerate() {
            let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
            let line = text[..offset].matches('\n').count() + 1;
            let value: serde_json::Value =
                serde_json::from_str(raw.get()).expect("a raw JSON value re-parses");
            check(n + 1, line, &value, &mut findings);
            records += 1;
        }
    } else {
        for (l, line_text) in text.lines().enumerate() {
            if line_text.trim().is_empty() {
                continue;
            }
            records += 1;
            match serde_json::from_str::<serde_json::Value>(line_text) {
                Ok(value) => check(records, l + 1, &value, &mut findings),
                Err(e) => {
                    let mut f = Finding::new(
                        Rule::Malformed,
                        format!("(record {records})"),
                        format!("line {} column {}: not valid JSON: {e}", l + 1, e.column()),
                    );
                    f.record = records;
                    f.line = Some(l + 1);
                    findings.push(f);
                }
            }
        }
    }
    Ok(FileReport { records, findings })
}
