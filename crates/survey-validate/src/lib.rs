//! # survey-validate
//!
//! Checks respondent records against a questionnaire, in two layers:
//!
//! 1. the response JSON Schema generated from the questionnaire (option-code enums, selection
//!    bounds, number ranges, required answers), run by the `jsonschema` crate;
//! 2. the rules JSON Schema cannot express ([`check_record`]): an exclusive option chosen with
//!    others, an answer to a question whose display condition is false, a conditional question
//!    missing although its condition holds, other-text without the other option.
//!
//! Every finding names the record, the respondent, the question, the offending value and the
//! rule in plain words; all findings are collected. Files that are not JSON at all give a
//! located [`FileError`]. This crate sits right after `survey-schema` in the flow and knows
//! nothing of imports, cleaning or tables.

mod file;
mod rules;
mod schema;

pub use file::{FileError, FileReport, validate_file, validate_reader, validate_text};
pub use rules::check_record;
pub use schema::Validator;

use serde::Serialize;
use std::fmt;

/// How serious a finding is. Errors make `validate` exit non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

/// The rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The record is not an object with `id` and `answers`, or a line is not JSON.
    Malformed,
    /// Two records share a respondent id.
    DuplicateRespondent,
    /// An answer to a question the questionnaire does not have.
    UnknownQuestion,
    /// A code that is not an option of the question.
    UnknownOption,
    /// A value of the wrong type for the question (text for a number, a list for one choice).
    WrongType,
    /// A question shown to every respondent has no entry at all.
    MissingAnswer,
    /// A required question was shown but not answered.
    RequiredMissing,
    /// Fewer options chosen than the question demands.
    TooFewSelections,
    /// More options chosen than the question allows.
    TooManySelections,
    /// The same option listed twice.
    DuplicateSelection,
    /// A number outside the question's bounds.
    OutOfRange,
    /// Free text longer than allowed.
    TextTooLong,
    /// An exclusive option (无, 暂无计划…) chosen together with other options.
    ExclusiveCombined,
    /// An answer (or `null`) recorded for a question whose display condition is false.
    HiddenButAnswered,
    /// A conditional question recorded as not shown although its condition holds.
    ShownButMissing,
    /// Other-text given although the "other" option was not chosen.
    OtherTextWithoutOther,
    /// Other-text given for a question that has no "other" option.
    OtherTextNotAllowed,
}

impl Rule {
    /// Every rule, in declaration order: `Rule::ALL[r as usize] == r`.
    pub const ALL: [Rule; 17] = [
        Rule::Malformed,
        Rule::DuplicateRespondent,
        Rule::UnknownQuestion,
        Rule::UnknownOption,
        Rule::WrongType,
        Rule::MissingAnswer,
        Rule::RequiredMissing,
        Rule::TooFewSelections,
        Rule::TooManySelections,
        Rule::DuplicateSelection,
        Rule::OutOfRange,
        Rule::TextTooLong,
        Rule::ExclusiveCombined,
        Rule::HiddenButAnswered,
        Rule::ShownButMissing,
        Rule::OtherTextWithoutOther,
        Rule::OtherTextNotAllowed,
    ];

    /// The rule's position in [`Rule::ALL`]: a compact form for scratch files, read back with
    /// [`Rule::from_position`].
    pub fn position(self) -> u8 {
        self as u8
    }

    /// The rule at a position of [`Rule::ALL`].
    pub fn from_position(p: u8) -> Option<Rule> {
        Rule::ALL.get(p as usize).copied()
    }

    /// The rule in plain words.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::Malformed => "record is malformed",
            Rule::DuplicateRespondent => "respondent id used twice",
            Rule::UnknownQuestion => "answer to an unknown question",
            Rule::UnknownOption => "unknown option code",
            Rule::WrongType => "value of the wrong type",
            Rule::MissingAnswer => "answer missing",
            Rule::RequiredMissing => "required answer missing",
            Rule::TooFewSelections => "too few options chosen",
            Rule::TooManySelections => "too many options chosen",
            Rule::DuplicateSelection => "option chosen twice",
            Rule::OutOfRange => "number out of range",
            Rule::TextTooLong => "text too long",
            Rule::ExclusiveCombined => "exclusive option combined with others",
            Rule::HiddenButAnswered => "answer to a question that was not shown",
            Rule::ShownButMissing => "question shown but marked not shown",
            Rule::OtherTextWithoutOther => "other-text without the other option",
            Rule::OtherTextNotAllowed => "other-text on a question without an other option",
        }
    }

    /// The rule in plain Chinese, as the cleaning log gives its evidence to the survey team.
    pub fn describe_zh(self) -> &'static str {
        match self {
            Rule::Malformed => "记录格式有误",
            Rule::DuplicateRespondent => "答卷编号重复",
            Rule::UnknownQuestion => "问卷中没有这道题",
            Rule::UnknownOption => "答案不是本题的选项",
            Rule::WrongType => "答案类型与题型不符",
            Rule::MissingAnswer => "缺少本题的答案",
            Rule::RequiredMissing => "必答题已显示但未作答",
            Rule::TooFewSelections => "选择的选项少于本题要求",
            Rule::TooManySelections => "选择的选项多于本题允许",
            Rule::DuplicateSelection => "同一选项选了两次",
            Rule::OutOfRange => "数值超出本题范围",
            Rule::TextTooLong => "文字超出本题字数上限",
            Rule::ExclusiveCombined => "互斥选项与其他选项同时选择",
            Rule::HiddenButAnswered => "本题按显示条件不应显示，却有答案",
            Rule::ShownButMissing => "本题按显示条件应显示，却记为未显示",
            Rule::OtherTextWithoutOther => "填写了“其他”说明，却未选“其他”",
            Rule::OtherTextNotAllowed => "本题没有“其他”选项，却有其说明文字",
        }
    }

    /// Stable machine-readable name, as serialised.
    pub fn code(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn severity(self) -> Severity {
        match self {
            Rule::OtherTextWithoutOther => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// One problem found in one record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub rule: Rule,
    /// 1-based position of the record in its file.
    pub record: usize,
    /// Line where the record starts, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Respondent id (or `record N` when the record has none).
    pub respondent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// The offending value as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
}

impl Finding {
    pub fn new(rule: Rule, respondent: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            severity: rule.severity(),
            rule,
            record: 0,
            line: None,
            respondent: respondent.into(),
            question: None,
            value: None,
            message: message.into(),
        }
    }

    pub fn question(mut self, q: impl Into<String>) -> Finding {
        self.question = Some(q.into());
        self
    }

    pub fn value(mut self, v: impl Into<String>) -> Finding {
        self.value = Some(v.into());
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev} [{}] record {}", self.rule.code(), self.record)?;
        if let Some(l) = self.line {
            write!(f, " (line {l})")?;
        }
        write!(f, ", respondent {}", self.respondent)?;
        if let Some(q) = &self.question {
            write!(f, ", question {q}")?;
        }
        if let Some(v) = &self.value {
            write!(f, ", value {v}")?;
        }
        write!(f, ": {}: {}", self.rule.describe(), self.message)
    }
}

// `Rule::ALL` ends with the last variant; a rule added after it must be added to `ALL` too.
const _: () = assert!(Rule::OtherTextNotAllowed as usize + 1 == Rule::ALL.len());

#[cfg(test)]
mod rule_positions {
    use super::Rule;

    #[test]
    fn every_rule_is_at_its_position() {
        for (i, r) in Rule::ALL.iter().enumerate() {
            assert_eq!(r.position() as usize, i);
            assert_eq!(Rule::from_position(i as u8), Some(*r));
        }
        assert_eq!(Rule::from_position(Rule::ALL.len() as u8), None);
    }
}
