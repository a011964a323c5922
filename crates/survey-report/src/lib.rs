//! # survey-report
//!
//! The report builder at the end of the flow. It reads a report folder — `report.toml` (the
//! ordered blocks), questionnaires, raw exports, mappings, cleaning rules, narrative text —
//! loads each dataset (import → clean → aggregate), lets each block compute its part of the
//! document ([`survey_print::Document`]: paragraphs with resolved numbers, printed tables and
//! figures), and has `survey-export` draw that document as Typst and write the table files.
//!
//! Blocks are plugins: a new kind is a type implementing [`Block`] (plus `Deserialize` for its
//! spec parameters) registered in a [`Registry`] under a name; the builder core never changes.
//! A block may also be written where it prints, as a directive in the narrative text
//! (`@question law_awareness`). Narrative numbers are references to computed figures
//! ([`refs`]), never typed by hand. Everything a report folder names is read through
//! [`folder::Folder`], which keeps reads inside the folder.
//!
//! It computes and decides (numbers, suppression, order); it never draws: no Typst is written
//! here.

pub mod block;
pub mod blocks;
pub mod build;
mod builtin;
pub mod data;
pub mod dataset;
pub mod folder;
mod linked;
pub mod narrative;
pub mod output;
pub mod refs;
pub mod spec;
pub mod waves;
pub mod weights;

pub use block::{Block, Context, Env, Provenance, Registry};
pub use build::{
    BuildOptions, Built, Parsed, Timings, build, load_datasets, load_datasets_with, parse,
};
pub use dataset::{Dataset, DatasetDecl};
pub use output::{Output, write};
pub use spec::{ReportSpec, SpecError};

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// An input file (questionnaire, mapping, rules, export) is unusable.
    #[error("{0}")]
    Input(String),
    /// The spec, a block or a narrative reference is wrong.
    #[error("{0}")]
    Spec(SpecError),
    /// Several blocks of the spec are wrong.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Specs(Vec<SpecError>),
    /// Writing the outputs or compiling the PDF failed.
    #[error("{0}")]
    Output(String),
}

/// A value shown in a message, cut to `max` characters.
pub fn short(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        s.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    } else {
        s.to_owned()
    }
}

/// A TOML error with its line and column.
pub(crate) fn toml_error(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(s) => {
            let before = &text[..s.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line} column {col}: {}", e.message())
        }
        None => e.message().to_owned(),
    }
}

/// Split a block parameter error into the field it concerns and the message, when serde
/// names the field (`missing field `caption``, `unknown field `captoin``); a message about a
/// value (`invalid type: floating point `2.1``) names no field.
pub(crate) fn field_of(msg: &str) -> (Option<String>, String) {
    let field = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|p| msg.split_once(p))
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(f, _)| f.to_owned());
    (field, msg.to_owned())
}
