//! # survey-report
//!
//! The report builder at the end of the flow: reads a report folder's spec, loads its datasets
//! (import → clean → aggregate), resolves the narrative's references to computed figures, and
//! lets each block of the spec render itself through `survey-export`. Blocks are plugins: a new
//! kind implements [`Block`]'s trait and is registered, without touching the builder.

pub mod dataset;

pub use dataset::{Dataset, DatasetDecl};

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// An input file (questionnaire, mapping, rules, export) is unusable.
    #[error("{0}")]
    Input(String),
}
