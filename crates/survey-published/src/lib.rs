//! # survey-published
//!
//! A published report's figures, transcribed as printed (not corrected): for each table its
//! number, caption, base and, per row, the published label, count and percentage string, each
//! tied to a questionnaire option and citing where it stands. It is the reference that example
//! data is generated to match and that audits compare against. It depends only on
//! `survey-schema` (to check that every row names a real option). It also holds the
//! narrative's claims ([`Claims`]): each count or percentage the prose states, as data.

use std::collections::BTreeMap;
use std::path::Path;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_schema::Index;

/// One printed row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedRow {
    /// Label as printed.
    pub label: String,
    /// The questionnaire option the row stands for.
    pub option: String,
    pub count: u64,
    /// Percentage as printed, e.g. `55.42%`.
    pub percent: String,
}

/// A figure printed beside a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedFigure {
    pub number: String,
    pub caption: String,
    pub cited_at: String,
}

/// One printed table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedTable {
    /// Number as printed, e.g. `2.3_2` or `3.5.9`.
    pub number: String,
    pub caption: String,
    /// Short name of the questionnaire in the report folder (`main`, `ai`).
    pub questionnaire: String,
    pub question: String,
    /// Column headers as printed.
    pub header: String,
    pub count_header: String,
    pub percent_header: String,
    /// Base N as printed in the percent header.
    pub base: u64,
    /// Where the table stands in the source.
    pub cited_at: String,
    pub figure: Option<PublishedFigure>,
    /// Rows in published order.
    pub rows: Vec<PublishedRow>,
}

/// A figure described only in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribedFigure {
    pub number: String,
    pub caption: String,
    pub questionnaire: String,
    pub question: String,
    pub cited_at: String,
    /// What the text says of it.
    pub described: String,
}

/// The whole transcription, `published/tables.json` in a report folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Published {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub source: String,
    pub note: String,
    #[serde(default)]
    pub figures_without_table: Vec<DescribedFigure>,
    /// Submissions collected, per questionnaire.
    pub collected: BTreeMap<String, u64>,
    /// Valid submissions after cleaning, per questionnaire.
    pub valid: BTreeMap<String, u64>,
    pub tables: Vec<PublishedTable>,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PublishedError {
    pub path: String,
    pub message: String,
}

impl Published {
    pub fn load(path: &Path) -> Result<Published, PublishedError> {
        let err = |message: String| PublishedError {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        serde_json::from_str(&text)
            .map_err(|e| err(format!("line {} column {}: {e}", e.line(), e.column())))
    }

    pub fn table(&self, number: &str) -> Option<&PublishedTable> {
        self.tables.iter().find(|t| t.number == number)
    }

    /// Check every table against its questionnaire: the question exists and every option is
    /// listed exactly once. `questionnaires` maps short names to indexes.
    pub fn check(&self, questionnaires: &IndexMap<String, Index>) -> Vec<String> {
        let mut problems = Vec::new();
        for t in &self.tables {
            let Some(index) = questionnaires.get(&t.questionnaire) else {
                problems.push(format!(
                    "table {}: no questionnaire `{}`",
                    t.number, t.questionnaire
                ));
                continue;
            };
            let Some(q) = index.get(&t.question) else {
                problems.push(format!(
                    "table {}: `{}` has no question `{}`",
                    t.number, t.questionnaire, t.question
                ));
                continue;
            };
            let mut seen = Vec::new();
            for r in &t.rows {
                if q.option_index(&r.option).is_none() {
                    problems.push(format!(
                        "table {}: `{}` has no option `{}` (row «{}»)",
                        t.number, t.question, r.option, r.label
                    ));
                }
                if seen.contains(&r.option) {
                    problems.push(format!(
                        "table {}: option `{}` listed twice",
                        t.number, r.option
                    ));
                }
                seen.push(r.option.clone());
            }
            for o in q.kind.options() {
                if !seen.contains(&o.code) {
                    problems.push(format!(
                        "table {}: option `{}` of `{}` has no row",
                        t.number, o.code, t.question
                    ));
                }
            }
        }
        problems
    }

    /// Published counts per question of one questionnaire: question → option code → count.
    pub fn counts(&self, questionnaire: &str) -> IndexMap<String, IndexMap<String, u64>> {
        self.tables
            .iter()
            .filter(|t| t.questionnaire == questionnaire)
            .map(|t| {
                (
                    t.question.clone(),
                    t.rows.iter().map(|r| (r.option.clone(), r.count)).collect(),
                )
            })
            .collect()
    }

    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Published)).expect("schema serialises")
    }
}

/// What a narrative claim states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    /// The options' combined count over the table's base, as a percentage.
    Share,
    /// The options' combined count.
    Count,
    /// The options are the leading ones, in this order.
    Top,
    /// The options' combined share exceeds the value.
    ShareAbove,
    /// The table's base.
    Base,
    /// Submissions collected for a questionnaire.
    Collected,
    /// Valid submissions for a questionnaire.
    Valid,
    /// How many options of a question have at least one respondent.
    OptionsAnswered,
    /// How many options of a question have a count within [min, max].
    OptionsWhere,
    /// A pointer to tables or figures.
    Reference,
    /// A figure from outside the survey, not checkable against it.
    External,
}

/// One claim of the narrative (the claim, not the sentence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub id: String,
    /// Where it stands, e.g. `seed line 312 (03 数据安全认知情况)`.
    pub cited_at: String,
    /// The words that carry the claim.
    pub text: String,
    pub kind: ClaimKind,
    /// The value as printed, e.g. `70.83%`, `399`, `capability, staff_and_process`.
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub questionnaire: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
    /// For references: the tables or figures named, as printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The narrative's claims, `published/claims.json` in a report folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub source: String,
    pub note: String,
    pub claims: Vec<Claim>,
}

impl Claims {
    pub fn load(path: &Path) -> Result<Claims, PublishedError> {
        let err = |message: String| PublishedError {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        serde_json::from_str(&text)
            .map_err(|e| err(format!("line {} column {}: {e}", e.line(), e.column())))
    }

    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Claims)).expect("schema serialises")
    }
}
