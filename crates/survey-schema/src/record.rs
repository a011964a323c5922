//! Respondent records: the wire form keyed by question id, and the positional coded form.
//!
//! Three states are kept apart for every question:
//! * **not shown**: the key is absent (wire) / [`Value::NotShown`] (coded);
//! * **not answered**: the key is present with `null` / [`Value::Skipped`];
//! * **answered**: a value. In a multiple-choice answer, an option not in the list was
//!   **not chosen**, which is an answer, not a missing value.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::index::Index;
use crate::model::QuestionKind;

/// One respondent as stored in JSON or JSON Lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// Respondent identifier, unique within a data set.
    pub id: String,
    /// Answers keyed by question id. Absent: not shown. `null`: shown, not answered.
    pub answers: IndexMap<String, Option<AnswerValue>>,
    /// Free text typed beside an "other, please specify" option, keyed by question id.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub other_text: IndexMap<String, String>,
}

/// An answer as written in a response file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    /// An option code (single choice) or free text.
    Text(String),
    /// Option codes (multiple choice).
    Codes(Vec<String>),
    /// A number.
    Number(f64),
}

/// A set of chosen options of one multiple-choice question, by option position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OptionSet(pub u64);

impl OptionSet {
    pub fn contains(self, i: usize) -> bool {
        i < 64 && self.0 & (1u64 << i) != 0
    }
    pub fn insert(&mut self, i: usize) {
        debug_assert!(i < 64);
        self.0 |= 1u64 << i;
    }
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Positions of the chosen options, ascending.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                None
            } else {
                let i = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Some(i)
            }
        })
    }
}

impl FromIterator<usize> for OptionSet {
    fn from_iter<T: IntoIterator<Item = usize>>(iter: T) -> Self {
        let mut s = OptionSet::default();
        for i in iter {
            s.insert(i);
        }
        s
    }
}

/// A coded answer, positional by question.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// The question was not shown to this respondent.
    #[default]
    NotShown,
    /// Shown but not answered.
    Skipped,
    /// Position of the chosen option of a single-choice or ordinal question.
    Choice(u16),
    /// Chosen options of a multiple-choice question.
    Choices(OptionSet),
    /// A numeric answer.
    Number(f64),
    /// A free-text answer.
    Text(String),
}

impl Value {
    pub fn is_answered(&self) -> bool {
        !matches!(self, Value::NotShown | Value::Skipped)
    }
    /// Whether the option at position `i` is part of this answer.
    pub fn includes(&self, i: usize) -> bool {
        match self {
            Value::Choice(c) => *c as usize == i,
            Value::Choices(s) => s.contains(i),
            _ => false,
        }
    }
}

/// A respondent in coded form: one [`Value`] per question of the questionnaire, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    pub id: String,
    pub values: Vec<Value>,
    /// "Other, please specify" texts by question position.
    pub other_text: Vec<(u16, String)>,
}

impl Record {
    /// A record with every question not shown.
    pub fn blank(id: impl Into<String>, questions: usize) -> Record {
        Record {
            id: id.into(),
            values: vec![Value::NotShown; questions],
            other_text: Vec::new(),
        }
    }

    #[inline]
    pub fn other_text(&self, q: usize) -> Option<&str> {
        self.other_text
            .iter()
            .find(|(i, _)| *i as usize == q)
            .map(|(_, t)| t.as_str())
    }
}

/// Why a wire answer could not be coded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeIssue {
    /// Question id as written.
    pub question: String,
    /// The offending value, as JSON.
    pub value: String,
    pub problem: String,
}

impl Index {
    /// Code a wire response. Every problem is reported.
    pub fn encode(&self, response: &Response) -> Result<Record, Vec<EncodeIssue>> {
        let (record, issues) = self.encode_partial(response);
        if issues.is_empty() {
            Ok(record)
        } else {
            Err(issues)
        }
    }

    /// Code as much of a wire response as can be coded: an answer that cannot be coded is
    /// recorded as [`Value::Skipped`] (unknown codes in a list are dropped), an unknown
    /// question is left out. Used to keep checking the rest of a faulty record.
    pub fn encode_partial(&self, response: &Response) -> (Record, Vec<EncodeIssue>) {
        let mut record = Record::blank(response.id.clone(), self.len());
        let mut issues = Vec::new();
        for (qid, answer) in &response.answers {
            let Some(i) = self.position(qid) else {
                issues.push(EncodeIssue {
                    question: qid.clone(),
                    value: json_of(answer),
                    problem: "no such question in the questionnaire".into(),
                });
                continue;
            };
            match answer {
                None => record.values[i] = Value::Skipped,
                Some(v) => match self.encode_value(i, v) {
                    Ok(v) => record.values[i] = v,
                    Err(problem) => {
                        record.values[i] = match v {
                            AnswerValue::Codes(cs) => Value::Choices(
                                cs.iter()
                                    .filter_map(|c| self.question(i).option_index(c))
                                    .collect(),
                            ),
                            _ => Value::Skipped,
                        };
                        issues.push(EncodeIssue {
                            question: qid.clone(),
                            value: json_of(answer),
                            problem,
                        })
                    }
                },
            }
        }
        for (qid, text) in &response.other_text {
            match self.position(qid) {
                Some(i) => record.other_text.push((i as u16, text.clone())),
                None => issues.push(EncodeIssue {
                    question: qid.clone(),
                    value: serde_json::to_string(text).unwrap_or_default(),
                    problem: "other_text names no question in the questionnaire".into(),
                }),
            }
        }
        (record, issues)
    }

    fn encode_value(&self, i: usize, v: &AnswerValue) -> Result<Value, String> {
        let q = self.question(i);
        let code_of = |c: &str| {
            q.option_index(c)
                .ok_or_else(|| format!("`{c}` is not an option code of this question"))
        };
        match (&q.kind, v) {
            (
                QuestionKind::SingleChoice { .. } | QuestionKind::Ordinal { .. },
                AnswerValue::Text(c),
            ) => Ok(Value::Choice(code_of(c)? as u16)),
            (QuestionKind::MultipleChoice { .. }, AnswerValue::Codes(cs)) => {
                let mut set = OptionSet::default();
                for c in cs {
                    set.insert(code_of(c)?);
                }
                Ok(Value::Choices(set))
            }
            (QuestionKind::Integer { .. }, AnswerValue::Number(n)) if n.fract() == 0.0 => {
                Ok(Value::Number(*n))
            }
            (QuestionKind::Number { .. }, AnswerValue::Number(n)) => Ok(Value::Number(*n)),
            (QuestionKind::Text { .. }, AnswerValue::Text(t)) => Ok(Value::Text(t.clone())),
            (kind, _) => Err(format!("a {} question cannot take this value", kind.name())),
        }
    }

    /// Turn a coded record back into its wire form.
    pub fn decode(&self, record: &Record) -> Response {
        let mut answers = IndexMap::new();
        for (i, v) in record.values.iter().enumerate() {
            let q = self.question(i);
            let opts = q.kind.options();
            let wire = match v {
                Value::NotShown => continue,
                Value::Skipped => None,
                Value::Choice(c) => Some(AnswerValue::Text(opts[*c as usize].code.clone())),
                Value::Choices(s) => Some(AnswerValue::Codes(
                    s.iter().map(|o| opts[o].code.clone()).collect(),
                )),
                Value::Number(n) => Some(AnswerValue::Number(*n)),
                Value::Text(t) => Some(AnswerValue::Text(t.clone())),
            };
            answers.insert(q.id.clone(), wire);
        }
        let other_text = record
            .other_text
            .iter()
            .map(|(i, t)| (self.question(*i as usize).id.clone(), t.clone()))
            .collect();
        Response {
            id: record.id.clone(),
            answers,
            other_text,
        }
    }
}

fn json_of(v: &Option<AnswerValue>) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
