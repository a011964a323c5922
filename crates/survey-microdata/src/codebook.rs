//! The codebook written beside the data files: every variable with its question, role,
//! measurement level, codes and labels, missing codes and counts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{
    Export, Measure, MultiSet, NOT_ANSWERED, NOT_ANSWERED_LABEL, NOT_SHOWN, NOT_SHOWN_LABEL, Role,
    VarType,
};

/// `codebook.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Codebook {
    /// The questionnaire's id and title.
    pub questionnaire: String,
    pub title: String,
    /// Valid respondents in the files.
    pub respondents: u64,
    /// Whether identifying questions (names, codes) are in the files: then they are
    /// CONFIDENTIAL.
    pub identifying_included: bool,
    /// How each file writes a question not shown and one not answered.
    pub missing: Vec<MissingCode>,
    pub variables: Vec<Variable>,
    /// Multiple-choice questions as multiple-response sets of their dichotomies.
    pub mr_sets: Vec<MultiSet>,
}

/// One kind of missing answer, as each format writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MissingCode {
    pub label: String,
    /// In `.sav`: a user-missing code.
    pub spss: i32,
    /// In `.dta`: an extended missing value.
    pub stata: String,
    /// In Parquet: null, with this value in the question's `__status` column.
    pub parquet_status: String,
}

/// One variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Variable {
    pub name: String,
    pub label: String,
    pub role: Role,
    pub measure: Measure,
    pub storage: Storage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    /// Codes and their labels (choices, dichotomies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ValueLabel>,
    /// Whether the missing codes apply.
    pub missing_codes: bool,
    /// Respondents with a value (a text variable: a non-empty text); not shown; not answered.
    /// An open question's files hold an empty text for both of the last two; the counts here
    /// still keep them apart.
    pub valid: u64,
    pub not_shown: u64,
    pub not_answered: u64,
    /// A ranking's option (排序题): respondents who answered the ranking but left it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_ranked: Option<u64>,
}

/// How a variable is stored in the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Storage {
    Numeric,
    String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ValueLabel {
    pub code: i32,
    pub label: String,
    /// The questionnaire's option code, where the value stands for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    /// Respondents with this value.
    pub count: u64,
}

impl Codebook {
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Codebook)).expect("schema serialises")
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("codebook serialises") + "\n"
    }
}

/// The codebook of an export; `options` gives, per choice variable, the option codes in code
/// order.
pub fn codebook(ds: &Export, options: impl Fn(&str) -> Vec<String>) -> Codebook {
    let variables = ds
        .vars
        .iter()
        .zip(&ds.stats)
        .map(|(v, s)| {
            let codes = match (v.role, &v.question) {
                (Role::Choice, Some(q)) => options(q),
                _ => Vec::new(),
            };
            Variable {
                name: v.name.clone(),
                label: v.label.clone(),
                role: v.role,
                measure: v.measure,
                storage: match v.vtype {
                    VarType::Numeric { .. } => Storage::Numeric,
                    VarType::Text { .. } => Storage::String,
                },
                question: v.question.clone(),
                option: v.option.clone(),
                values: v
                    .value_labels
                    .iter()
                    .zip(&s.label_counts)
                    .enumerate()
                    .map(|(k, ((code, label), count))| ValueLabel {
                        code: *code,
                        label: label.clone(),
                        option: codes.get(k).cloned(),
                        count: *count,
                    })
                    .collect(),
                missing_codes: v.has_missing,
                valid: s.valid,
                not_shown: s.not_shown,
                not_answered: s.not_answered,
                not_ranked: v.is_place().then_some(s.not_ranked),
            }
        })
        .collect();
    let mut missing = vec![
        MissingCode {
            label: NOT_SHOWN_LABEL.into(),
            spss: NOT_SHOWN,
            stata: ".a".into(),
            parquet_status: "not_shown".into(),
        },
        MissingCode {
            label: NOT_ANSWERED_LABEL.into(),
            spss: NOT_ANSWERED,
            stata: ".b".into(),
            parquet_status: "not_answered".into(),
        },
    ];
    if ds.vars.iter().any(crate::model::ExportVar::is_place) {
        missing.push(MissingCode {
            label: crate::model::NOT_RANKED_LABEL.into(),
            spss: crate::model::NOT_RANKED,
            stata: ".c".into(),
            parquet_status: "not_ranked".into(),
        });
    }
    Codebook {
        questionnaire: ds.questionnaire.clone(),
        title: ds.label.clone(),
        respondents: ds.n as u64,
        identifying_included: ds.identifying,
        missing,
        variables,
        mr_sets: ds.mr_sets.clone(),
    }
}
