//! JSON Schema validation of response records, with findings in plain words.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value as Json;
use survey_schema::{Index, QuestionKind, Record, Response, Value};

use crate::{Finding, Rule, rules::check_record_except};

/// Validates response records against one questionnaire.
pub struct Validator<'a> {
    index: &'a Index,
    schema: jsonschema::Validator,
    /// Per question, what the schema accepts of it, read off the questionnaire once.
    accepts: Vec<Accepts>,
    /// The questions with a display condition.
    conditional: Vec<usize>,
    /// The multiple-choice questions with an exclusive option, with those options.
    exclusive: Vec<(usize, u64)>,
    /// Per question, its "other, please specify" option.
    other: Vec<Option<usize>>,
}

/// What the response schema accepts for one question (see [`Index::response_schema`]), in the
/// coded form: the questionnaire looked up once, not for every record.
#[derive(Debug, Clone, Copy)]
struct Accepts {
    conditional: bool,
    required: bool,
    kind: Accepted,
}

#[derive(Debug, Clone, Copy)]
enum Accepted {
    /// One option among `options`.
    Choice {
        options: usize,
    },
    /// A set of `min..=max` options among `options`.
    Choices {
        options: usize,
        min: u32,
        max: u32,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Text {
        max_length: Option<u32>,
    },
}

impl Accepts {
    fn new(q: &survey_schema::Question) -> Accepts {
        let kind = match &q.kind {
            QuestionKind::SingleChoice { options } | QuestionKind::Ordinal { options } => {
                Accepted::Choice {
                    options: options.len(),
                }
            }
            QuestionKind::MultipleChoice { options, .. } => {
                let (min, max) = q.kind.selection_bounds();
                Accepted::Choices {
                    options: options.len(),
                    min,
                    max,
                }
            }
            QuestionKind::Integer { min, max } => Accepted::Integer {
                min: *min,
                max: *max,
            },
            QuestionKind::Number { min, max } => Accepted::Number {
                min: *min,
                max: *max,
            },
            QuestionKind::Text { max_length } => Accepted::Text {
                max_length: *max_length,
            },
        };
        Accepts {
            conditional: q.show_if.is_some(),
            required: q.required,
            kind,
        }
    }

    fn value(&self, v: &Value) -> bool {
        match (v, self.kind) {
            (Value::NotShown, _) => self.conditional,
            (Value::Skipped, _) => !self.required,
            (Value::Choice(c), Accepted::Choice { options }) => (*c as usize) < options,
            (Value::Choices(set), Accepted::Choices { options, min, max }) => {
                let n = set.len();
                // No option at or past `options`: the set's bits from there on are clear.
                (options >= 64 || set.0 >> options == 0) && n >= min && n <= max
            }
            (Value::Number(n), Accepted::Integer { min, max }) => {
                n.is_finite()
                    && n.fract() == 0.0
                    && n.abs() <= survey_schema::MAX_EXACT_INTEGER as f64
                    && min.is_none_or(|m| *n >= m as f64)
                    && max.is_none_or(|m| *n <= m as f64)
            }
            (Value::Number(n), Accepted::Number { min, max }) => {
                n.is_finite() && min.is_none_or(|m| *n >= m) && max.is_none_or(|m| *n <= m)
            }
            (Value::Text(t), Accepted::Text { max_length }) => {
                max_length.is_none_or(|m| t.len() <= m as usize || t.chars().count() <= m as usize)
            }
            _ => false,
        }
    }
}

impl<'a> Validator<'a> {
    /// Compile the questionnaire's response schema.
    pub fn new(index: &'a Index) -> Validator<'a> {
        let schema = jsonschema::validator_for(&index.response_schema())
            .expect("the generated response schema is a valid draft 2020-12 schema");
        let questions = index.questions();
        Validator {
            index,
            schema,
            accepts: questions.iter().map(Accepts::new).collect(),
            conditional: (0..questions.len())
                .filter(|&i| questions[i].show_if.is_some())
                .collect(),
            exclusive: (0..questions.len())
                .map(|i| (i, index.exclusive_options(i)))
                .filter(|&(_, set)| set != 0)
                .collect(),
            other: questions.iter().map(|q| q.other_option()).collect(),
        }
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
        // Most records pass: say so from the coded values, without building their JSON. Only
        // a record this check cannot vouch for goes through the schema, which words the
        // findings. (`schema_accepts_coded` agrees with the schema: see the property test.)
        let mut out = if self.schema_accepts_coded(record) {
            Vec::new()
        } else {
            let json =
                serde_json::to_value(self.index.decode(record)).expect("a response serialises");
            let respondent = if record.id.is_empty() {
                format!("(record {record_no})")
            } else {
                record.id.clone()
            };
            self.schema_findings(&respondent, &json)
        };
        // A coded record codes fully, so the cross-field rules read it directly; most records
        // break none, which `rules_pass` says without wording anything.
        if !self.rules_pass(record) {
            out.extend(check_record_except(self.index, record, &[]));
        }
        for f in &mut out {
            f.record = record_no;
        }
        out
    }

    /// Whether the response schema accepts this coded record, decided from the coded values
    /// (what [`Index::response_schema`] says, rule by rule). False whenever in doubt: the
    /// schema then decides.
    pub fn schema_accepts_coded(&self, record: &Record) -> bool {
        if record.id.is_empty() || record.values.len() != self.accepts.len() {
            return false;
        }
        record
            .values
            .iter()
            .zip(&self.accepts)
            .all(|(v, a)| a.value(v))
            && record
                .other_text
                .iter()
                .all(|(i, _)| self.other.get(*i as usize).is_some_and(|o| o.is_some()))
    }

    /// Whether the record breaks none of the cross-field rules (what [`check_record`] would
    /// find nothing in), judged without wording findings. False whenever in doubt.
    ///
    /// [`check_record`]: crate::check_record
    fn rules_pass(&self, record: &Record) -> bool {
        let values = &record.values;
        if values.len() != self.accepts.len() {
            return false;
        }
        self.conditional.iter().all(|&i| {
            self.index.display_condition_holds(record, i) != matches!(values[i], Value::NotShown)
        }) && self.exclusive.iter().all(|&(i, set)| match &values[i] {
            Value::Choices(chosen) => chosen.len() <= 1 || chosen.0 & set == 0,
            _ => true,
        }) && record.other_text.iter().all(|(i, _)| {
            match self.other.get(*i as usize) {
                Some(Some(o)) => values[*i as usize].includes(*o),
                // Not a question, or one without an "other" option: the rules say nothing.
                _ => true,
            }
        })
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
                        format!("{qid} has no display condition, so every respondent is shown it, but this record marks it not shown ((跳过) or -3 in a 问卷星 download): give {qid} its `show_if`, or list it in the mapping's `skips_as_unanswered`; in a JSON record, use null for an answer left blank"),
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
                    "{qid} is {} {} question and takes {}",
                    if q.kind.name().starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    },
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use survey_schema::OptionSet;
    use survey_schema::testing::{Rng, arb_index, valid_record};

    /// A record near the schema's edges: valid ones, and ones with a value of the wrong kind,
    /// out of range, too many or too few selections, over-long text, a missing required
    /// answer, a null where one is required, a stray other-text, an empty id.
    fn perturbed(index: &Index, seed: u64) -> Record {
        let mut rng = Rng(seed);
        let mut r = valid_record(index, "R1", seed);
        for _ in 0..rng.below(3) {
            let i = rng.below(index.len() as u64) as usize;
            let q = index.question(i);
            let n_opts = q.kind.options().len().max(1) as u64;
            // Option positions stay within the question's options: a coded record cannot
            // hold others (the importer codes into range, and `decode` relies on it).
            let single = matches!(
                q.kind,
                QuestionKind::SingleChoice { .. } | QuestionKind::Ordinal { .. }
            );
            let multiple = matches!(q.kind, QuestionKind::MultipleChoice { .. });
            r.values[i] = match rng.below(10) {
                0 => Value::NotShown,
                1 => Value::Skipped,
                2 if single => Value::Choice(rng.below(n_opts) as u16),
                3 if multiple => Value::Choices(OptionSet(rng.next_u64() & ((1u64 << n_opts) - 1))),
                4 => Value::Number(rng.below(2001) as f64 - 1000.0),
                5 => Value::Number((rng.below(2001) as f64 - 1000.0) / 7.0),
                // Beyond 2^53 − 1 no integer is held exactly: 1e23 and 2^53 are out of range.
                6 => Value::Number(
                    [
                        f64::NAN,
                        f64::INFINITY,
                        1e300,
                        -0.0,
                        1e23,
                        9_007_199_254_740_992.0,
                        9_007_199_254_740_991.0,
                        -9_007_199_254_740_992.0,
                    ][rng.below(8) as usize],
                ),
                7 => Value::Text("医".repeat(rng.below(60) as usize)),
                8 => Value::Text(String::new()),
                _ => r.values[i].clone(),
            };
        }
        if rng.chance(1, 8) {
            r.id.clear();
        }
        if rng.chance(1, 6) {
            let i = rng.below(index.len() as u64) as u16;
            r.other_text.push((i, "其他说明".into()));
        }
        r
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// The coded check says "accepted" exactly when the JSON Schema accepts the record.
        #[test]
        fn the_coded_check_agrees_with_the_schema(index in arb_index(), seed in any::<u64>()) {
            let v = Validator::new(&index);
            for k in 0..8u64 {
                let r = perturbed(&index, seed.wrapping_add(k));
                let json = serde_json::to_value(index.decode(&r)).unwrap();
                let schema = v.schema.is_valid(&json);
                let coded = v.schema_accepts_coded(&r);
                prop_assert!(!coded || schema, "unsound: the coded check accepts what the schema refuses: {json}");
                // JSON has no NaN or infinity (serde_json writes null, which the schema may
                // accept); the coded check refuses them, leaving the schema to decide.
                let representable = r
                    .values
                    .iter()
                    .all(|v| !matches!(v, Value::Number(n) if !n.is_finite()));
                if representable {
                    prop_assert_eq!(coded, schema, "{}", json);
                }
            }
        }

        /// The quick judgement of the cross-field rules passes a record exactly when the
        /// worded check finds nothing in it.
        #[test]
        fn the_quick_rules_check_agrees_with_the_worded_one(index in arb_index(), seed in any::<u64>()) {
            let v = Validator::new(&index);
            for k in 0..8u64 {
                let r = perturbed(&index, seed.wrapping_add(k));
                let found = crate::check_record(&index, &r);
                prop_assert_eq!(v.rules_pass(&r), found.is_empty(), "{:?}", found);
            }
        }
    }
}
