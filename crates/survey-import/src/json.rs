//! Response records keyed by question id: a JSON array, or JSON Lines (streamed).

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;
use survey_schema::{Index, Response};

use crate::{ImportError, Imported, Importer, Meta, SourceInfo};

fn record(index: &Index, file: &Path, line: usize, text: &str) -> Result<Imported, ImportError> {
    let located = |column: Option<String>, value: Option<String>, message: String| ImportError {
        file: file.to_owned(),
        row: Some(line),
        column,
        value,
        message,
    };
    let response: Response = serde_json::from_str(text).map_err(|e| {
        located(
            None,
            None,
            format!("not a response record (column {}): {e}", e.column()),
        )
    })?;
    let rec = index.encode(&response).map_err(|issues| {
        let i = &issues[0];
        let more = if issues.len() > 1 {
            format!(" (and {} more problem(s) in this record)", issues.len() - 1)
        } else {
            String::new()
        };
        located(
            Some(i.question.clone()),
            Some(i.value.clone()),
            format!("respondent {}: {}{more}", response.id, i.problem),
        )
    })?;
    Ok(Imported {
        record: rec,
        meta: Meta {
            row: line,
            ..Meta::default()
        },
    })
}

pub(crate) fn open<'a>(index: &'a Index, path: &Path) -> Result<Importer<'a>, ImportError> {
    let io = |e: std::io::Error| ImportError::file(path, format!("cannot read: {e}"));
    let bytes = std::fs::metadata(path).map_err(io)?.len();
    if bytes == 0 {
        return Err(ImportError::file(path, "the file is empty"));
    }
    let mut reader = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    let starts_array = {
        let buf = reader.fill_buf().map_err(io)?;
        let buf = buf.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(buf);
        buf.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
    };
    let file: PathBuf = path.to_owned();
    if starts_array {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ImportError::file(path, format!("cannot read as UTF-8 text: {e}")))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
        let raws: Vec<&RawValue> = serde_json::from_str(&text).map_err(|e| ImportError {
            file: file.clone(),
            row: Some(e.line()),
            column: Some(format!("character {}", e.column())),
            value: None,
            message: format!("not valid JSON: {e}"),
        })?;
        let items: Vec<Result<Imported, ImportError>> = raws
            .iter()
            .map(|raw| {
                let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
                let line = text[..offset].matches('\n').count() + 1;
                record(index, &file, line, raw.get())
            })
            .collect();
        return Ok(Importer {
            info: SourceInfo {
                file: file.clone(),
                format: crate::SourceFormat::Json,
                encoding: Some(crate::encoding::TextEncoding::Utf8),
                layout: crate::SourceLayout::Records,
                bytes,
                wording: Vec::new(),
            },
            inner: Box::new(items.into_iter()),
        });
    }
    let lines = reader.lines().enumerate().filter_map(move |(i, l)| {
        let line = i + 1;
        match l {
            Err(e) => Some(Err(ImportError {
                file: file.clone(),
                row: Some(line),
                column: None,
                value: None,
                message: format!("cannot read as UTF-8 text: {e}"),
            })),
            Ok(t) => {
                let t = t.trim_start_matches('\u{feff}');
                (!t.trim().is_empty()).then(|| record(index, &file, line, t))
            }
        }
    });
    Ok(Importer {
        info: SourceInfo {
            file: path.to_owned(),
            format: crate::SourceFormat::Jsonl,
            encoding: Some(crate::encoding::TextEncoding::Utf8),
            layout: crate::SourceLayout::Records,
            bytes,
            wording: Vec::new(),
        },
        inner: Box::new(lines),
    })
}
