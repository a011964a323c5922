//! # survey-synth
//!
//! Makes example data: synthetic respondents whose tabulation gives exactly the target counts
//! (every single-choice count, every multiple-choice option count, exclusive options never
//! combined, selection bounds kept, display conditions honoured), plus extra submissions built
//! to be caught by a declared cleaning rule set, so that a raw export runs through the real
//! import and cleaning path. Everything is a pure function of a seed (ChaCha8).
//!
//! Infeasible targets are an error naming the question and the target, never an approximation.
//! Synthetic data reproduces marginals only: cross-tabulations of it mean nothing.
//!
//! This crate is a side tool, not a step of the flow: it reads the flow's declarations
//! (questionnaire, cleaning rules, the import layer's metadata type) and nothing depends on it.

mod generate;
mod rejects;

pub use generate::{generate, random_valid};
pub use rejects::{Submission, SubmissionPlan, submissions};

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Target of one question.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionTarget {
    /// Choice questions: option code → respondents choosing it.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub counts: IndexMap<String, u64>,
    /// Numeric questions: value → respondents giving it.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub values: IndexMap<String, u64>,
    /// Text questions: a pattern where `{n}` is the respondent's number (zero-padded to 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Respondents shown the question who leave it unanswered (optional questions only).
    #[serde(default)]
    pub skipped: u64,
    /// Free texts to draw from for "other, please specify".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_texts: Vec<String>,
}

/// Targets for a whole questionnaire.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub respondents: u64,
    pub questions: IndexMap<String, QuestionTarget>,
}

/// Why targets cannot be met exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot meet the target for `{question}`: {message}")]
pub struct SynthError {
    pub question: String,
    pub message: String,
}

pub(crate) fn err(question: &str, message: impl Into<String>) -> SynthError {
    SynthError {
        question: question.to_owned(),
        message: message.into(),
    }
}

/// Where a report folder's example data comes from: `synth.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SynthSpec {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// What the data is, in words (copied into the data folder's README).
    pub note: String,
    pub seed: u64,
    /// The transcription of published figures whose counts are the targets, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    pub questionnaires: Vec<SynthQuestionnaire>,
}

/// Example data for one questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SynthQuestionnaire {
    /// Short name: `questionnaires/<name>.questionnaire.json`.
    pub questionnaire: String,
    /// Valid respondents to generate.
    pub respondents: u64,
    /// Targets beyond (or instead of) the published counts; they override published ones.
    #[serde(default)]
    pub extra_targets: IndexMap<String, QuestionTarget>,
    pub plan: SubmissionPlan,
    pub output: SynthOutput,
}

/// The raw export to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SynthOutput {
    /// Path in the report folder; the extension picks the format (.xlsx, .csv, .jsonl).
    pub file: String,
    /// The import mapping the file follows.
    pub mapping: String,
    /// The cleaning rules the rejects are built for.
    pub rules: String,
    /// 问卷星 mode: `text` or `code`.
    #[serde(default)]
    pub mode: survey_import::WjxMode,
    /// CSV only: `utf-8`, `utf-8-bom` or `gb18030`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}
