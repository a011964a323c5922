//! JSON Schema validation of response records, with findings in plain words.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value as Json;
use survey_schema::{Index, QuestionKind, Record, Response};

use crate::{Finding, Rule, rules::check_record_except};

/// Validates response records against one questionnaire.
pub struct Validator<'a> {
    index: &'a Index,
    schema: jsonschema::Validator,
}

impl<'a> Validator<'a> {
    /// Compile the questionnaire's response schema.
    pub fn new(index: &'a Index) -> Validator<'a> {
        let schema = jsonschema::validator_for(&index.response_schema())
            .expect("the generated response schema is a valid draft 2020-12 schema");
        Validator { index, schema }
    }

    pub fn index(&self) -> &Index {
        self.index
    }

    /// Validate one record given as JSON. `record_no` is its 1-based position in its file.
    pub fn validate_json(
        &self,
        record_no: usize,
        line: Option<usize>,
        value: &Json,
    ) -> Vec<Finding> {
        let respondent = value
            .get("id")
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("(record {record_no})"));
        let mut out = self.schema_findings(&respondent, value);
        // The cross-field rules run on whatever part of the record can be coded, so that a
        // record the schema rejects still has its other problems reported.
        if let Ok(response) = serde_json::from_value::<Response>(value.clone()) {
            let (record, issues) = self.index.encode_partial(&response);
            let uncodable: Vec<&str> = issues.iter().map(|i| i.question.as_str()).collect();
            out.extend(check_record_except(self.index, &record, &uncodable));
        }
        for f in &mut out {
            f.record = record_no;
            f.line = line;
        }
        out
    }

    /// Validate one coded record (as produced by an importer): it goes through the same JSON
    /// Schema as a response file would.
    pub fn validate_record(&self, record_no: usize, record: &Record) -> Vec<Finding> {
        let json = serde_json::to_value(self.index.decode(record)).expect("a response serialises");
        let respondent = if record.id.is_empty() {
            format!("(record {record_no})")
        } else {
            record.id.clone()
        };
        // A coded record codes fully, so the cross-field rules read it directly.
        let mut out = self.schema_findings(&respondent, &json);
        out.extend(check_record_except(self.index, record, &[]));
        for f in &mut out {
            f.record = record_no;
        }
        out
    }

    /// What the JSON Schema finds, in plain words (nothing for a valid record, cheaply).
    fn schema_findings(&self, respondent: &str, value: &Json) -> Vec<Finding> {
        let mut out = Vec::new();
        if self.schema.is_valid(value) {
            return out;
        }
        for e in self.schema.iter_errors(value) {
            self.translate(
                respondent,
                e.instance_path().as_str(),
                e.kind(),
                e.instance(),
                &mut out,
            );
        }
        out
    }

    fn translate(
        &self,
        respondent: &str,
        path: &str,
        kind: &ValidationErrorKind,
        instance: &Json,
        out: &mut Vec<Finding>,
    ) {
        let segs: Vec<String> = path
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let value = serde_json::to_string(instance).unwrap_or_default();
        let seg = |i: usize| segs.get(i).map(String::as_str);
        match (seg(0), seg(1), kind) {
            (Some("answers"), None, ValidationErrorKind::Required { property }) => {
                let qid = property.as_str().unwrap_or_default();
                out.push(
                    Finding::new(
                        Rule::MissingAnswer,
                        respondent,
                        format!("every respondent is shown {qid}, but the record has no entry for it (use null if it was left unanswered)"),
                    )
                    .question(qid),
                );
            }
            (Some("answers"), None, ValidationErrorKind::AdditionalProperties { unexpected }) => {
                for qid in unexpected {
                    out.push(
                        Finding::new(
                            Rule::UnknownQuestion,
                            respondent,
                            format!("{qid} is not a question of {}", self.index.id()),
                        )
                        .question(qid.as_str())
                        .value(
                            instance
                                .get(qid)
                                .map(|v| v.to_string())
                                .unwrap_or_default(),
                        ),
                    );
                }
            }
            (Some("other_text"), None, ValidationErrorKind::AdditionalProperties { unexpected }) => {
                for qid in unexpected {
                    let msg = match self.index.get(qid) {
                        Some(_) => format!("{qid} has no “other, please specify” option"),
                        None => format!("{qid} is not a question of {}", self.index.id()),
                    };
                    out.push(
                        Finding::new(Rule::OtherTextNotAllowed, respondent, msg)
                            .question(qid.as_str())
                            .value(instance.get(qid).map(|v| v.to_string()).unwrap_or_default()),
                    );
                }
            }
            (Some("answers"), Some(qid), _) => {
                self.translate_answer(respondent, qid, segs.get(2).is_some(), kind, instance, value, out)
            }
            (Some("other_text"), Some(qid), _) => out.push(
                Finding::new(Rule::WrongType, respondent, "other-text must be a string")
                    .question(qid)
                    .value(value),
            ),
            (Some("id"), _, _) => out.push(
                Finding::new(Rule::Malformed, respondent, "`id` must be a non-empty string")
                    .value(value),
            ),
            (None, _, ValidationErrorKind::Required { property }) => out.push(Finding::new(
                Rule::Malformed,
                respondent,
                format!("the record has no `{}`", property.as_str().unwrap_or_default()),
            )),
            (None, _, ValidationErrorKind::AdditionalProperties { unexpected }) => {
                out.push(Finding::new(
                    Rule::Malformed,
                    respondent,
                    format!(
                        "unexpected field(s) {}; a record holds only `id`, `answers` and `other_text`",
                        unexpected.join(", ")
                    ),
                ))
            }
            _ => out.push(
                Finding::new(
                    Rule::Malformed,
                    respondent,
                    format!("at {}: {}", if path.is_empty() { "/" } else { path }, describe_kind(kind)),
                )
                .value(truncate(value)),
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn translate_answer(
        &self,
        respondent: &str,
        qid: &str,
        in_list: bool,
        kind: &ValidationErrorKind,
        instance: &Json,
        value: String,
        out: &mut Vec<Finding>,
    ) {
        let Some(q) = self.index.get(qid) else {
            return;
        };
        let f = |rule: Rule, msg: String| {
            Finding::new(rule, respondent, msg)
                .question(qid)
                .value(value.clone())
        };
        let finding = match kind {
            // An optional answer is `anyOf [answer, null]`: report what is wrong with the answer.
            ValidationErrorKind::AnyOf { context } => {
                if let Some(first) = context.first() {
                    for e in first {
                        self.translate(
                            respondent,
                            e.instance_path().as_str(),
                            e.kind(),
                            e.instance(),
                            out,
                        );
                    }
                }
                return;
            }
            _ if instance.is_null() && !in_list => f(
                Rule::RequiredMissing,
                format!("{qid} must be answered when shown, but the record holds null"),
            ),
            ValidationErrorKind::Enum { .. } if instance.is_string() => f(
                Rule::UnknownOption,
                format!(
                    "{value} is not an option of {qid}; its options are {}",
                    option_list(q)
                ),
            ),
            ValidationErrorKind::Enum { .. } | ValidationErrorKind::Type { .. } => f(
                Rule::WrongType,
                format!(
                    "{qid} is a {} question and takes {}",
                    q.kind.name(),
                    expected(&q.kind)
                ),
            ),
            ValidationErrorKind::MinItems { limit } => f(
                Rule::TooFewSelections,
                format!("{qid} needs at least {limit} option(s) chosen"),
            ),
            ValidationErrorKind::MaxItems { limit } => f(
                Rule::TooManySelections,
                format!("{qid} allows at most {limit} option(s)"),
            ),
            ValidationErrorKind::UniqueItems => f(
                Rule::DuplicateSelection,
                format!("{qid} lists the same option more than once"),
            ),
            ValidationErrorKind::Minimum { limit }
            | ValidationErrorKind::ExclusiveMinimum { limit } => {
                f(Rule::OutOfRange, format!("{qid} must be at least {limit}"))
            }
            ValidationErrorKind::Maximum { limit }
            | ValidationErrorKind::ExclusiveMaximum { limit } => {
                f(Rule::OutOfRange, format!("{qid} must be at most {limit}"))
            }
            ValidationErrorKind::MaxLength { limit } => f(
                Rule::TextTooLong,
                format!("{qid} allows at most {limit} characters"),
            ),
            other => f(Rule::Malformed, describe_kind(other)),
        };
        out.push(finding);
    }
}

fn option_list(q: &survey_schema::Question) -> String {
    q.kind
        .options()
        .iter()
        .map(|o| format!("{} (“{}”)", o.code, o.label.zh))
        .collect::<Vec<_>>()
        .join(", ")
}

fn expected(kind: &QuestionKind) -> &'static str {
    match kind {
        QuestionKind::SingleChoice { .. } | QuestionKind::Ordinal { .. } => {
            "one option code as a string"
        }
        QuestionKind::MultipleChoice { .. } => "a list of option codes",
        QuestionKind::Integer { .. } => "a whole number",
        QuestionKind::Number { .. } => "a number",
        QuestionKind::Text { .. } => "a string",
    }
}

fn describe_kind(kind: &ValidationErrorKind) -> String {
    match kind {
        ValidationErrorKind::Type { kind } => {
            let names: Vec<String> = match kind {
                TypeKind::Single(t) => vec![format!("{t:?}").to_lowercase()],
                TypeKind::Multiple(ts) => {
                    ts.iter().map(|t| format!("{t:?}").to_lowercase()).collect()
                }
            };
            format!("expected {}", names.join(" or "))
        }
        other => format!("{other:?}"),
    }
}

fn truncate(mut s: String) -> String {
    if s.chars().count() > 120 {
        s = s.chars().take(117).collect::<String>() + "...";
    }
    s
}
