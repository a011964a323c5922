//! # survey-report
//!
//! The report builder at the end of the flow. It reads a report folder — `report.toml` (the
//! ordered blocks), questionnaires, raw exports, mappings, cleaning rules, narrative text —
//! loads each dataset (import → clean → aggregate), and lets each block render itself into a
//! Typst document through `survey-export`; then it writes the PDF and the tables.
//!
//! Blocks are plugins: a new kind is a type implementing [`Block`] (plus `Deserialize` for its
//! spec parameters) registered in a [`Registry`] under a name; the builder core never changes.
//! Narrative numbers are references to computed figures ([`refs`]), never typed by hand.

pub mod audit;
pub mod block;
pub mod build;
mod builtin;
pub mod dataset;
pub mod narrative;
pub mod refs;
pub mod spec;
pub mod stats_blocks;
pub mod weights;

pub use block::{Block, Context, Provenance, Registry};
pub use build::{BuildOptions, Built, Output, Timings, build, load_datasets, parse_blocks, write};
pub use builtin::*;
pub use dataset::{Dataset, DatasetDecl};
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
