//! The format-neutral export: a questionnaire's valid respondents flattened once into export
//! variables (one per single-choice, ordinal, numeric and text question; one 0/1 dichotomy per
//! option of a multiple-choice question, grouped in a multiple-response set; a string for every
//! "other, please specify" text), then handed to each format's writer.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_schema::{Index, QuestionKind, Record, Value};

use crate::naming::NameAllocator;

/// Code of "the question was not shown to this respondent" (display logic).
pub const NOT_SHOWN: i32 = -3;
/// Code of "shown but not answered".
pub const NOT_ANSWERED: i32 = -2;
pub const NOT_SHOWN_LABEL: &str = "未显示";
pub const NOT_ANSWERED_LABEL: &str = "未作答";

/// Measurement level, as SPSS declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Nominal,
    Ordinal,
    Scale,
}

/// What an export variable holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The respondent's id in the export.
    Id,
    /// The code of the option chosen (single choice, ordinal).
    Choice,
    /// 1 if the option was chosen, 0 if not (multiple choice).
    Dichotomy,
    /// A number answered.
    Number,
    /// A text answered.
    Text,
    /// The text of an "other, please specify" option.
    OtherText,
    /// A respondent's weight.
    Weight,
}

/// One cell of an export variable.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Num(f64),
    NotShown,
    NotAnswered,
    Text(String),
}

/// Numeric or string storage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VarType {
    /// `integer`: every valid value is a whole number.
    Numeric { integer: bool },
    /// Width: the longest value in UTF-8 bytes (at least 1).
    Text { width_bytes: usize },
}

/// One variable of the export.
#[derive(Clone, Debug)]
pub struct ExportVar {
    /// Valid in SPSS and Stata alike (see [`crate::naming`]).
    pub name: String,
    pub label: String,
    pub role: Role,
    pub measure: Measure,
    pub vtype: VarType,
    /// Labels of the valid codes; the missing codes' labels are added by each format.
    pub value_labels: Vec<(i32, String)>,
    /// The question it comes from, by id.
    pub question: Option<String>,
    /// The option it stands for (dichotomies, other texts), by code.
    pub option: Option<String>,
    /// Whether the missing codes apply (questions, not the id or weights).
    pub has_missing: bool,
    pub cells: Vec<Cell>,
}

/// A multiple-response set: a multiple-choice question's dichotomies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MultiSet {
    /// Without SPSS's leading `$`.
    pub name: String,
    pub label: String,
    pub question: String,
    pub variables: Vec<String>,
}

/// A dataset ready to write.
#[derive(Clone, Debug)]
pub struct Export {
    /// The questionnaire's title (the file label).
    pub label: String,
    pub questionnaire: String,
    pub vars: Vec<ExportVar>,
    pub mr_sets: Vec<MultiSet>,
    /// Respondents.
    pub n: usize,
    /// Identifying questions are in the export.
    pub identifying: bool,
}

/// Weights to add as variables: name, label, one weight per record.
pub struct WeightColumn {
    pub name: String,
    pub label: String,
    pub values: Vec<f64>,
}

/// The text typed beside option `o` ("other, please specify") of question `q` at `qi`.
fn other_text_var(
    names: &mut NameAllocator,
    q: &survey_schema::Question,
    qi: usize,
    o: &survey_schema::ChoiceOption,
    text: &str,
    records: &[Record],
) -> ExportVar {
    let cells = records
        .iter()
        .map(|r| Cell::Text(r.other_text(qi).unwrap_or_default().to_owned()))
        .collect();
    text_var(
        names,
        &format!("{}_{}_text", q.id, o.code),
        format!("{text} - {}（文本）", o.label.zh),
        Role::OtherText,
        &q.id,
        Some(&o.code),
        cells,
    )
}

fn text_var(
    names: &mut NameAllocator,
    name: &str,
    label: String,
    role: Role,
    question: &str,
    option: Option<&str>,
    cells: Vec<Cell>,
) -> ExportVar {
    let width_bytes = cells
        .iter()
        .map(|c| match c {
            Cell::Text(t) => t.len(),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
        .max(1);
    ExportVar {
        name: names.alloc(name),
        label,
        role,
        measure: Measure::Nominal,
        vtype: VarType::Text { width_bytes },
        value_labels: Vec::new(),
        question: Some(question.to_owned()),
        option: option.map(str::to_owned),
        has_missing: false,
        cells,
    }
}

/// Flatten a questionnaire's valid records into export variables. Identifying questions
/// (hospital names, codes) are left out unless `identifying`.
pub fn flatten(
    index: &Index,
    records: &[Record],
    identifying: bool,
    weights: &[WeightColumn],
) -> Export {
    let mut names = NameAllocator::new();
    let mut vars = Vec::new();
    let mut mr_sets = Vec::new();
    let ids_numeric = records.iter().all(|r| r.id.parse::<i64>().is_ok());
    vars.push(ExportVar {
        name: names.alloc("resp_id"),
        label: "答卷编号".into(),
        role: Role::Id,
        measure: if ids_numeric {
            Measure::Scale
        } else {
            Measure::Nominal
        },
        vtype: if ids_numeric {
            VarType::Numeric { integer: true }
        } else {
            VarType::Text {
                width_bytes: records.iter().map(|r| r.id.len()).max().unwrap_or(1).max(1),
            }
        },
        value_labels: Vec::new(),
        question: None,
        option: None,
        has_missing: false,
        cells: records
            .iter()
            .map(|r| match r.id.parse::<f64>() {
                Ok(x) if ids_numeric => Cell::Num(x),
                _ => Cell::Text(r.id.clone()),
            })
            .collect(),
    });
    let missing = |v: &Value| match v {
        Value::NotShown => Some(Cell::NotShown),
        Value::Skipped => Some(Cell::NotAnswered),
        _ => None,
    };
    for (qi, q) in index.questions().iter().enumerate() {
        if q.identifying && !identifying {
            continue;
        }
        let text = q.text.zh.clone();
        let opts = q.kind.options();
        match &q.kind {
            QuestionKind::SingleChoice { .. } | QuestionKind::Ordinal { .. } => {
                let cells = records
                    .iter()
                    .map(|r| {
                        missing(&r.values[qi]).unwrap_or(match r.values[qi] {
                            Value::Choice(c) => Cell::Num(c as f64 + 1.0),
                            _ => Cell::NotAnswered,
                        })
                    })
                    .collect();
                vars.push(ExportVar {
                    name: names.alloc(&q.id),
                    label: text.clone(),
                    role: Role::Choice,
                    measure: if matches!(q.kind, QuestionKind::Ordinal { .. }) {
                        Measure::Ordinal
                    } else {
                        Measure::Nominal
                    },
                    vtype: VarType::Numeric { integer: true },
                    value_labels: opts
                        .iter()
                        .enumerate()
                        .map(|(k, o)| (k as i32 + 1, o.label.zh.clone()))
                        .collect(),
                    question: Some(q.id.clone()),
                    option: None,
                    has_missing: true,
                    cells,
                });
                if let Some(o) = opts.iter().find(|o| o.other) {
                    vars.push(other_text_var(&mut names, q, qi, o, &text, records));
                }
            }
            QuestionKind::MultipleChoice { .. } => {
                let mut set = Vec::new();
                for (k, o) in opts.iter().enumerate() {
                    let cells = records
                        .iter()
                        .map(|r| {
                            missing(&r.values[qi])
                                .unwrap_or(Cell::Num(f64::from(u8::from(r.values[qi].includes(k)))))
                        })
                        .collect();
                    let name = names.alloc(&format!("{}_{}", q.id, o.code));
                    set.push(name.clone());
                    vars.push(ExportVar {
                        name,
                        label: format!("{text} - {}", o.label.zh),
                        role: Role::Dichotomy,
                        measure: Measure::Nominal,
                        vtype: VarType::Numeric { integer: true },
                        value_labels: vec![(0, "未选".into()), (1, "选中".into())],
                        question: Some(q.id.clone()),
                        option: Some(o.code.clone()),
                        has_missing: true,
                        cells,
                    });
                    if o.other {
                        vars.push(other_text_var(&mut names, q, qi, o, &text, records));
                    }
                }
                if set.len() >= 2 {
                    mr_sets.push(MultiSet {
                        name: names.alloc_set(&q.id),
                        label: text.clone(),
                        question: q.id.clone(),
                        variables: set,
                    });
                }
            }
            QuestionKind::Integer { .. } | QuestionKind::Number { .. } => {
                let cells: Vec<Cell> = records
                    .iter()
                    .map(|r| {
                        missing(&r.values[qi]).unwrap_or(match r.values[qi] {
                            Value::Number(x) => Cell::Num(x),
                            _ => Cell::NotAnswered,
                        })
                    })
                    .collect();
                let integer = cells.iter().all(|c| match c {
                    Cell::Num(x) => x.fract() == 0.0 && x.abs() < 2e9,
                    _ => true,
                });
                vars.push(ExportVar {
                    name: names.alloc(&q.id),
                    label: text,
                    role: Role::Number,
                    measure: Measure::Scale,
                    vtype: VarType::Numeric { integer },
                    value_labels: Vec::new(),
                    question: Some(q.id.clone()),
                    option: None,
                    has_missing: true,
                    cells,
                });
            }
            QuestionKind::Text { .. } => {
                let cells = records
                    .iter()
                    .map(|r| match &r.values[qi] {
                        Value::Text(t) => Cell::Text(t.clone()),
                        _ => Cell::Text(String::new()),
                    })
                    .collect();
                vars.push(text_var(
                    &mut names,
                    &q.id,
                    text,
                    Role::Text,
                    &q.id,
                    None,
                    cells,
                ));
            }
        }
    }
    for w in weights {
        vars.push(ExportVar {
            name: names.alloc(&w.name),
            label: w.label.clone(),
            role: Role::Weight,
            measure: Measure::Scale,
            vtype: VarType::Numeric { integer: false },
            value_labels: Vec::new(),
            question: None,
            option: None,
            has_missing: false,
            cells: w.values.iter().map(|x| Cell::Num(*x)).collect(),
        });
    }
    Export {
        label: index.questionnaire().title.zh.clone(),
        questionnaire: index.questionnaire().id.clone(),
        vars,
        mr_sets,
        n: records.len(),
        identifying,
    }
}
