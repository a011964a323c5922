//! A questionnaire checked for internal consistency and indexed for lookups.

use std::collections::HashMap;
use std::fmt;

use crate::model::{Condition, Question, QuestionKind, Questionnaire};

/// Most options a multiple-choice question may have (answers are stored as a 64-bit set).
pub const MAX_MULTIPLE_OPTIONS: usize = 64;

/// A structural problem in a questionnaire: duplicate ids, dangling conditions, bad bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaIssue {
    /// Where in the questionnaire, e.g. `question law_impact, option other`.
    pub location: String,
    pub message: String,
}

impl fmt::Display for SchemaIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// A checked questionnaire with its questions flattened in fielded order.
#[derive(Debug, Clone)]
pub struct Index {
    questionnaire: Questionnaire,
    flat: Vec<Question>,
    section_of: Vec<usize>,
    by_id: HashMap<String, usize>,
    /// Per question, its exclusive options as a set of positions (multiple choice only).
    exclusive: Vec<u64>,
}

fn valid_id(id: &str, extra: char) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == extra)
}

impl Index {
    /// Check a questionnaire and index it. Every problem is reported, not just the first.
    pub fn new(questionnaire: Questionnaire) -> Result<Index, Vec<SchemaIssue>> {
        let mut issues = Vec::new();
        let mut push =
            |location: String, message: String| issues.push(SchemaIssue { location, message });
        if !valid_id(&questionnaire.id, '-') {
            push(
                "questionnaire id".into(),
                format!(
                    "`{}` must start with a lower-case letter and use only a-z, 0-9, `-` and `_`",
                    questionnaire.id
                ),
            );
        }
        let mut flat = Vec::new();
        let mut section_of = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut section_ids = HashMap::new();
        for (si, section) in questionnaire.sections.iter().enumerate() {
            if section_ids.insert(section.id.clone(), si).is_some() {
                push(
                    format!("section {}", section.id),
                    "section id is used twice".into(),
                );
            }
            for q in &section.questions {
                let loc = format!("question {}", q.id);
                if !valid_id(&q.id, '_') {
                    push(
                        loc.clone(),
                        "a question id must start with a lower-case letter and use only a-z, 0-9 and `_`".into(),
                    );
                }
                if by_id.contains_key(&q.id) {
                    push(loc.clone(), "question id is used twice".into());
                }
                check_question(q, &by_id, &flat, &mut push);
                by_id.insert(q.id.clone(), flat.len());
                flat.push(q.clone());
                section_of.push(si);
            }
        }
        if flat.is_empty() {
            push("questionnaire".into(), "has no questions".into());
        }
        if issues.is_empty() {
            let exclusive = flat
                .iter()
                .map(|q| match &q.kind {
                    QuestionKind::MultipleChoice { options, .. } => options
                        .iter()
                        .take(MAX_MULTIPLE_OPTIONS)
                        .enumerate()
                        .filter(|(_, o)| o.exclusive)
                        .fold(0u64, |set, (k, _)| set | 1 << k),
                    _ => 0,
                })
                .collect();
            Ok(Index {
                questionnaire,
                flat,
                section_of,
                by_id,
                exclusive,
            })
        } else {
            Err(issues)
        }
    }

    pub fn questionnaire(&self) -> &Questionnaire {
        &self.questionnaire
    }

    pub fn id(&self) -> &str {
        &self.questionnaire.id
    }

    /// Number of questions.
    pub fn len(&self) -> usize {
        self.flat.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flat.is_empty()
    }

    /// Questions in fielded order.
    pub fn questions(&self) -> &[Question] {
        &self.flat
    }

    pub fn question(&self, i: usize) -> &Question {
        &self.flat[i]
    }

    /// The exclusive options of question `i` (“none of the above” and the like) as a set of
    /// option positions, bit `k` for option `k`; empty unless it is a multiple-choice question.
    pub fn exclusive_options(&self, i: usize) -> u64 {
        self.exclusive.get(i).copied().unwrap_or(0)
    }

    /// Position of a question id in fielded order.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&Question> {
        self.position(id).map(|i| &self.flat[i])
    }

    /// Index of the section a question belongs to.
    pub fn section_of(&self, i: usize) -> usize {
        self.section_of[i]
    }
}

fn check_question(
    q: &Question,
    earlier: &HashMap<String, usize>,
    flat: &[Question],
    push: &mut impl FnMut(String, String),
) {
    let loc = format!("question {}", q.id);
    if q.text.zh.trim().is_empty() {
        push(loc.clone(), "question text is empty".into());
    }
    let options = q.kind.options();
    if q.kind.is_choice() && options.is_empty() {
        push(
            loc.clone(),
            "a choice question needs at least one option".into(),
        );
    }
    let mut codes = HashMap::new();
    let mut others = 0;
    for o in options {
        let oloc = format!("{loc}, option {}", o.code);
        if !valid_id(&o.code, '_') {
            push(
                oloc.clone(),
                "an option code must start with a lower-case letter and use only a-z, 0-9 and `_`"
                    .into(),
            );
        }
        if codes.insert(o.code.as_str(), ()).is_some() {
            push(oloc.clone(), "option code is used twice".into());
        }
        if o.label.zh.trim().is_empty() {
            push(oloc.clone(), "option label is empty".into());
        }
        if o.exclusive && !q.kind.is_multiple() {
            push(
                oloc.clone(),
                "`exclusive` only applies to multiple-choice questions".into(),
            );
        }
        if o.other {
            others += 1;
        }
    }
    if others > 1 {
        push(
            loc.clone(),
            "more than one option is marked `other`; a question carries one free-text other".into(),
        );
    }
    match &q.kind {
        QuestionKind::MultipleChoice {
            options,
            min_selections,
            max_selections,
        } => {
            if options.len() > crate::MAX_MULTIPLE_OPTIONS {
                push(
                    loc.clone(),
                    format!(
                        "has {} options; a multiple-choice question may have at most {}",
                        options.len(),
                        crate::MAX_MULTIPLE_OPTIONS
                    ),
                );
            }
            let min = min_selections.unwrap_or(1);
            let max = max_selections.unwrap_or(options.len() as u32);
            if min == 0 {
                push(
                    loc.clone(),
                    "min_selections must be at least 1 (leave the question unanswered instead)"
                        .into(),
                );
            }
            if min > 1 && options.iter().any(|o| o.exclusive) {
                push(
                    loc.clone(),
                    format!(
                        "an exclusive option is chosen alone, so min_selections cannot be {min}"
                    ),
                );
            }
            if min > max {
                push(
                    loc.clone(),
                    format!("min_selections {min} exceeds max_selections {max}"),
                );
            }
            if max as usize > options.len() {
                push(
                    loc.clone(),
                    format!("max_selections {max} exceeds the {} options", options.len()),
                );
            }
        }
        QuestionKind::Integer {
            min: Some(a),
            max: Some(b),
        } if a > b => push(loc.clone(), format!("min {a} exceeds max {b}")),
        QuestionKind::Number { min, max } => {
            for v in [min, max].into_iter().flatten() {
                if !v.is_finite() {
                    push(loc.clone(), format!("bound {v} is not a finite number"));
                }
            }
            if let (Some(a), Some(b)) = (min, max)
                && a > b
            {
                push(loc.clone(), format!("min {a} exceeds max {b}"));
            }
        }
        _ => {}
    }
    if let Some(cond) = &q.show_if {
        check_condition(cond, &loc, earlier, flat, push);
    }
}

fn check_condition(
    cond: &Condition,
    loc: &str,
    earlier: &HashMap<String, usize>,
    flat: &[Question],
    push: &mut impl FnMut(String, String),
) {
    for (qid, opt) in cond.references() {
        let Some(&i) = earlier.get(qid) else {
            push(
                format!("{loc}, show_if"),
                format!("refers to `{qid}`, which is not an earlier question"),
            );
            continue;
        };
        let target = &flat[i];
        if let Some(code) = opt {
            if !target.kind.is_choice() {
                push(
                    format!("{loc}, show_if"),
                    format!(
                        "`{qid}` is not a choice question, so option `{code}` cannot be chosen"
                    ),
                );
            } else if target.option_index(code).is_none() {
                push(
                    format!("{loc}, show_if"),
                    format!("`{qid}` has no option `{code}`"),
                );
            }
        }
    }
    if let Condition::All(cs) | Condition::Any(cs) = cond
        && cs.is_empty()
    {
        push(
            format!("{loc}, show_if"),
            "an empty `all`/`any` list says nothing".into(),
        );
    }
}
