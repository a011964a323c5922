//! Reading questionnaires from files, with errors that say where.

use std::path::{Path, PathBuf};

use crate::index::{Index, SchemaIssue};
use crate::model::Questionnaire;

/// Why a questionnaire file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: cannot read the questionnaire: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}:{line}:{column}: not a valid questionnaire: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: the questionnaire is inconsistent:\n{}", path.display(), issues.iter().map(|i| format!("  - {i}")).collect::<Vec<_>>().join("\n"))]
    Inconsistent {
        path: PathBuf,
        issues: Vec<SchemaIssue>,
    },
}

const COMMON_FIELDS: &[&str] = &[
    "id",
    "text",
    "kind",
    "required",
    "show_if",
    "identifying",
    "note",
];

fn kind_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "single_choice" | "ordinal" => &["options"],
        "multiple_choice" => &["options", "min_selections", "max_selections"],
        "integer" | "number" => &["min", "max"],
        "text" => &["max_length"],
        _ => &[],
    }
}

/// Question fields serde cannot reject itself (the kind is flattened into the question).
fn unknown_question_fields(raw: &serde_json::Value) -> Vec<SchemaIssue> {
    let mut issues = Vec::new();
    let sections = raw.get("sections").and_then(|s| s.as_array());
    for q in sections
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("questions")?.as_array())
        .flatten()
    {
        let Some(obj) = q.as_object() else { continue };
        let kind = obj.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
        let id = obj.get("id").and_then(|k| k.as_str()).unwrap_or("?");
        for key in obj.keys() {
            if !COMMON_FIELDS.contains(&key.as_str()) && !kind_fields(kind).contains(&key.as_str())
            {
                issues.push(SchemaIssue {
                    location: format!("question {id}"),
                    message: format!("unknown field `{key}` for a {kind} question"),
                });
            }
        }
    }
    issues
}

/// Parse a questionnaire from JSON text; `path` is only used in messages.
pub fn parse_questionnaire(text: &str, path: &Path) -> Result<Index, LoadError> {
    let parse_err = |e: serde_json::Error| LoadError::Parse {
        path: path.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    };
    let raw: serde_json::Value = serde_json::from_str(text).map_err(parse_err)?;
    let q: Questionnaire = serde_json::from_str(text).map_err(parse_err)?;
    let mut issues = unknown_question_fields(&raw);
    match Index::new(q) {
        Ok(index) if issues.is_empty() => Ok(index),
        Ok(_) => Err(LoadError::Inconsistent {
            path: path.to_owned(),
            issues,
        }),
        Err(more) => {
            issues.extend(more);
            Err(LoadError::Inconsistent {
                path: path.to_owned(),
                issues,
            })
        }
    }
}

/// Read, parse and check a questionnaire file.
pub fn load_questionnaire(path: &Path) -> Result<Index, LoadError> {
    let text = read_regular(path, MAX_QUESTIONNAIRE_BYTES).map_err(|error| LoadError::Io {
        path: path.to_owned(),
        error,
    })?;
    parse_questionnaire(&text, path)
}

/// The most of a questionnaire file that is read: a questionnaire is a few hundred KiB.
pub const MAX_QUESTIONNAIRE_BYTES: u64 = 64 << 20;

/// A regular file's text, refusing anything else (a FIFO would wait for a writer, a device
/// never ends) and anything past `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> std::io::Result<String> {
    String::from_utf8(read_regular_bytes(path, limit)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// [`read_regular`]'s bytes, undecoded.
pub fn read_regular_bytes(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "not a regular file (a folder, device or pipe)",
        ));
    }
    let too_big = || {
        Error::new(
            ErrorKind::InvalidData,
            format!("larger than {} MiB", limit >> 20),
        )
    };
    if meta.len() > limit {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}
