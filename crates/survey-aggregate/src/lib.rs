//! # survey-aggregate
//!
//! The statistical heart of the flow: turns coded respondent records into frequency tables
//! (single choice, ordinal, multiple choice with both percent bases), numeric summaries,
//! derived figures (sums, "at least one of", top k, ranks, differences) and cross-tabs.
//!
//! * **Exact**: counts are integers; percentages are carried unrounded; only renderers round.
//! * **Streaming**: [`Aggregate::add`] takes one record at a time; memory depends on the
//!   questionnaire (and distinct answer patterns), not on the number of respondents.
//! * **Mergeable**: [`Aggregate::merge`] of aggregates of disjoint parts equals the aggregate of
//!   the whole, in any order, so work splits across threads or files.
//!
//! It reads records from `survey-schema` only; it knows nothing of files, cleaning or reports.

mod acc;
mod tables;

pub use acc::{Aggregate, CrossTabSpec};
pub use tables::{
    Answered, CrossTab, Figure, FrequencyRow, FrequencyTable, NumericSummary, RankingRow,
    RankingTable, RowOrder, is_categorical, percent, ranks, top,
};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_schema::{Index, Record};

/// Why a table or figure could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AggregateError {
    #[error("{questionnaire} has no question `{question}`")]
    UnknownQuestion {
        questionnaire: String,
        question: String,
    },
    #[error("question `{question}` has no option `{option}`")]
    UnknownOption { question: String, option: String },
    #[error("question `{question}` is not a choice question, so it has no frequency table")]
    NotCategorical { question: String },
    #[error("question `{question}` is not numeric")]
    NotNumeric { question: String },
    #[error("the cross-tab of `{row}` by `{col}` was not declared before aggregation")]
    UndeclaredCrossTab { row: String, col: String },
    #[error(
        "respondent {respondent}: the record has {found} answers, the questionnaire {expected} questions"
    )]
    RecordShape {
        respondent: String,
        expected: usize,
        found: usize,
    },
    #[error("respondent {respondent}: answer #{position} ({value}) does not fit its question")]
    ValueKind {
        respondent: String,
        position: usize,
        value: String,
    },
    #[error("the counts to take back from the aggregate of `{questionnaire}` are not a part of it")]
    NotAPart { questionnaire: String },
    #[error("aggregates of `{left}` and `{right}` cannot be combined")]
    Incompatible { left: String, right: String },
    #[error("`{questions}` do not hold a ranking: {reason}")]
    NotARanking { questions: String, reason: String },
}

/// Aggregate a stream of records in one pass.
pub fn aggregate<'r>(
    index: &Index,
    crosstabs: &[CrossTabSpec],
    records: impl IntoIterator<Item = &'r Record>,
) -> Result<Aggregate, AggregateError> {
    let mut agg = Aggregate::new(index, crosstabs)?;
    for r in records {
        agg.add(r)?;
    }
    Ok(agg)
}

/// Every table of a questionnaire: what `schemas/aggregate-results.schema.json` describes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Results {
    pub questionnaire: String,
    pub records: u64,
    pub frequencies: Vec<FrequencyTable>,
    pub numeric: Vec<NumericSummary>,
    pub crosstabs: Vec<CrossTab>,
}

impl Results {
    /// Tabulate every choice and numeric question (identifying questions excluded) and every
    /// declared cross-tab, choice questions in questionnaire order.
    pub fn of(index: &Index, agg: &Aggregate) -> Result<Results, AggregateError> {
        let mut frequencies = Vec::new();
        let mut numeric = Vec::new();
        for q in index.questions().iter().filter(|q| !q.identifying) {
            if q.kind.is_choice() {
                frequencies.push(agg.frequency(index, &q.id, RowOrder::Questionnaire)?);
            } else if matches!(
                q.kind,
                survey_schema::QuestionKind::Integer { .. }
                    | survey_schema::QuestionKind::Number { .. }
            ) {
                numeric.push(agg.numeric(index, &q.id)?);
            }
        }
        let crosstabs = agg
            .crosstabs
            .iter()
            .map(|c| agg.crosstab(index, &c.spec.row, &c.spec.col))
            .collect::<Result<_, _>>()?;
        Ok(Results {
            questionnaire: index.id().to_owned(),
            records: agg.records(),
            frequencies,
            numeric,
            crosstabs,
        })
    }

    /// The JSON Schema of these results.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Results)).expect("schema serialises")
    }
}
