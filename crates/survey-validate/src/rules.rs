//! The rules JSON Schema cannot express, checked on coded records.

use survey_schema::{Condition, Index, Record, Value};

use crate::{Finding, Rule};

/// Check the cross-field rules of one coded record: exclusive options, display conditions and
/// other-text. Rules that the response JSON Schema already covers (codes, bounds, types,
/// required answers) are not repeated here.
pub fn check_record(index: &Index, record: &Record) -> Vec<Finding> {
    check_record_except(index, record, &[])
}

/// As [`check_record`], but display conditions that mention one of the `uncodable` questions
/// (answers the schema already rejected) are not judged: their truth is unknown.
pub(crate) fn check_record_except(
    index: &Index,
    record: &Record,
    uncodable: &[&str],
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, q) in index.questions().iter().enumerate() {
        let value = &record.values[i];
        let opts = q.kind.options();
        if let Some(cond) = &q.show_if
            && (uncodable.is_empty()
                || !cond
                    .references()
                    .iter()
                    .any(|(qid, _)| uncodable.contains(qid)))
        {
            let holds = index.display_condition_holds(record, i);
            if !holds && !matches!(value, Value::NotShown) {
                out.push(
                    Finding::new(
                        Rule::HiddenButAnswered,
                        &record.id,
                        format!(
                            "{} is shown only when {}, which is false for this respondent, yet the record holds {}",
                            q.id,
                            describe_condition(index, cond),
                            if matches!(value, Value::Skipped) { "null (shown, not answered)" } else { "an answer" },
                        ),
                    )
                    .question(&q.id)
                    .value(value_json(index, i, value)),
                );
            }
            if holds && matches!(value, Value::NotShown) {
                out.push(
                    Finding::new(
                        Rule::ShownButMissing,
                        &record.id,
                        format!(
                            "{} is shown when {}, which holds for this respondent, but the record has no entry for it (use null if it was left unanswered)",
                            q.id,
                            describe_condition(index, cond)
                        ),
                    )
                    .question(&q.id),
                );
            }
        }
        if let Value::Choices(set) = value
            && set.len() > 1
            && set.0 & index.exclusive_options(i) != 0
        {
            for o in set.iter().filter(|&o| opts[o].exclusive) {
                let others: Vec<String> = set
                    .iter()
                    .filter(|&p| p != o)
                    .map(|p| format!("“{}” ({})", opts[p].label.zh, opts[p].code))
                    .collect();
                out.push(
                    Finding::new(
                        Rule::ExclusiveCombined,
                        &record.id,
                        format!(
                            "“{}” ({}) rules out every other option but was chosen together with {}",
                            opts[o].label.zh,
                            opts[o].code,
                            others.join("、")
                        ),
                    )
                    .question(&q.id)
                    .value(value_json(index, i, value)),
                );
            }
        }
        if let Some(text) = record.other_text(i)
            && let Some(o) = q.other_option()
            && !value.includes(o)
        {
            out.push(
                Finding::new(
                    Rule::OtherTextWithoutOther,
                    &record.id,
                    format!(
                        "text {} was typed for “{}” ({}) but that option was not chosen; the text is ignored",
                        serde_json::to_string(text).unwrap_or_default(),
                        opts[o].label.zh,
                        opts[o].code
                    ),
                )
                .question(&q.id)
                .value(value_json(index, i, value)),
            );
        }
    }
    out
}

/// A condition in plain words, with option labels.
pub(crate) fn describe_condition(index: &Index, c: &Condition) -> String {
    let label = |q: &str, o: &str| {
        index
            .get(q)
            .and_then(|qq| {
                qq.option_index(o)
                    .map(|i| qq.kind.options()[i].label.zh.clone())
            })
            .unwrap_or_else(|| o.to_owned())
    };
    match c {
        Condition::Answered { question } => format!("{question} is answered"),
        Condition::Chosen { question, option } => {
            format!("{question} includes “{}”", label(question, option))
        }
        Condition::AnyChosen { question, options } => format!(
            "{question} includes any of {}",
            options
                .iter()
                .map(|o| format!("“{}”", label(question, o)))
                .collect::<Vec<_>>()
                .join("、")
        ),
        Condition::Not(c) => format!("not ({})", describe_condition(index, c)),
        Condition::All(cs) => cs
            .iter()
            .map(|c| describe_condition(index, c))
            .collect::<Vec<_>>()
            .join(" and "),
        Condition::Any(cs) => cs
            .iter()
            .map(|c| describe_condition(index, c))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// A coded value as the JSON a response file would hold.
pub(crate) fn value_json(index: &Index, i: usize, v: &Value) -> String {
    let opts = index.question(i).kind.options();
    match v {
        Value::NotShown => "(not shown)".into(),
        Value::Skipped => "null".into(),
        Value::Choice(c) => format!("\"{}\"", opts[*c as usize].code),
        Value::Choices(s) => format!(
            "[{}]",
            s.iter()
                .map(|o| format!("\"{}\"", opts[o].code))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Value::Number(n) => format!("{n}"),
        Value::Text(t) => serde_json::to_string(t).unwrap_or_default(),
    }
}
