//! A questionnaire checked for internal consistency and indexed for lookups.

use std::collections::HashMap;
use std::fmt;

use crate::model::{Condition, Question, QuestionKind, Questionnaire};
use crate::record::Record;

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
    /// Per question, its display condition with ids and codes resolved to positions.
    shown: Vec<Option<Shown>>,
}

/// A display condition with its question ids and option codes resolved to positions once, so
/// that judging it for a record looks nothing up by name. A question or code the
/// questionnaire does not have resolves to what [`Index::display_condition_holds`] has always
/// made of it: not answered, not chosen.
#[derive(Debug, Clone)]
enum Shown {
    Answered(Option<usize>),
    /// The question (if it exists) includes any of these option positions.
    Chosen(Option<usize>, Vec<usize>),
    Not(Box<Shown>),
    All(Vec<Shown>),
    Any(Vec<Shown>),
}

impl Shown {
    fn new(c: &Condition, flat: &[Question], by_id: &HashMap<String, usize>) -> Shown {
        let chosen = |qid: &str, codes: &mut dyn Iterator<Item = &String>| {
            let at = by_id.get(qid).copied();
            let options = match at {
                Some(p) => codes.filter_map(|c| flat[p].option_index(c)).collect(),
                None => Vec::new(),
            };
            Shown::Chosen(at, options)
        };
        match c {
            Condition::Answered { question } => Shown::Answered(by_id.get(question).copied()),
            Condition::Chosen { question, option } => {
                chosen(question, &mut std::iter::once(option))
            }
            Condition::AnyChosen { question, options } => chosen(question, &mut options.iter()),
            Condition::Not(c) => Shown::Not(Box::new(Shown::new(c, flat, by_id))),
            Condition::All(cs) => {
                Shown::All(cs.iter().map(|c| Shown::new(c, flat, by_id)).collect())
            }
            Condition::Any(cs) => {
                Shown::Any(cs.iter().map(|c| Shown::new(c, flat, by_id)).collect())
            }
        }
    }

    fn holds(&self, r: &Record) -> bool {
        match self {
            Shown::Answered(at) => at.is_some_and(|p| r.values[p].is_answered()),
            Shown::Chosen(at, options) => {
                at.is_some_and(|p| options.iter().any(|&o| r.values[p].includes(o)))
            }
            Shown::Not(c) => !c.holds(r),
            Shown::All(cs) => cs.iter().all(|c| c.holds(r)),
            Shown::Any(cs) => cs.iter().any(|c| c.holds(r)),
        }
    }
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
            let shown = flat
                .iter()
                .map(|q| q.show_if.as_ref().map(|c| Shown::new(c, &flat, &by_id)))
                .collect();
            Ok(Index {
                questionnaire,
                flat,
                section_of,
                by_id,
                exclusive,
                shown,
            })
        } else {
            Err(issues)
        }
    }

    pub fn questionnaire(&self) -> &Questionnaire {
        &self.questionnaire
    }

    /// The questionnaire without the questions `ids` names (a download that does not carry
    /// them), checked again: a display condition on a question left out is an issue. Ids that
    /// are not questions are issues too.
    pub fn without(&self, ids: &[String]) -> Result<Index, Vec<SchemaIssue>> {
        let unknown: Vec<SchemaIssue> = ids
            .iter()
            .filter(|id| !self.by_id.contains_key(id.as_str()))
            .map(|id| SchemaIssue {
                location: format!("question {id}"),
                message: "is not a question of the questionnaire".into(),
            })
            .collect();
        if !unknown.is_empty() {
            return Err(unknown);
        }
        let mut q = self.questionnaire.clone();
        for s in &mut q.sections {
            s.questions.retain(|x| !ids.contains(&x.id));
        }
        Index::new(q)
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

    /// Whether question `i`'s display condition holds for this record (true when it has none).
    /// Only earlier answers are consulted.
    pub fn display_condition_holds(&self, record: &Record, i: usize) -> bool {
        match self.shown.get(i) {
            Some(Some(c)) => c.holds(record),
            _ => true,
        }
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
        if o.score.is_some() && !matches!(q.kind, QuestionKind::Ordinal { .. }) {
            push(
                oloc.clone(),
                "`score` only applies to ordinal questions".into(),
            );
        }
    }
    let scored = q
        .kind
        .options()
        .iter()
        .filter(|o| o.score.is_some())
        .count();
    if scored > 0 && scored < q.kind.options().len() {
        push(
            loc.clone(),
            format!(
                "{scored} of its {} options have a `score`: give every option one, or none",
                q.kind.options().len()
            ),
        );
    }
    if let Some(scores) = q.kind.scores().filter(|_| scored > 0) {
        let mut distinct = scores.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < scores.len() || scores.iter().any(|s| *s > 9999) {
            push(
                loc.clone(),
                "option scores must differ from each other and be at most 9999".into(),
            );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Value;
    use crate::testing::{Rng, arb_index, valid_record};
    use proptest::prelude::*;

    /// The conditions as they were judged before they were resolved: by id and code, looked
    /// up afresh every time.
    fn by_name(index: &Index, c: &Condition, r: &Record) -> bool {
        let chosen = |qid: &str, code: &str| match index.position(qid) {
            Some(p) => index
                .question(p)
                .option_index(code)
                .is_some_and(|o| r.values[p].includes(o)),
            None => false,
        };
        match c {
            Condition::Answered { question } => index
                .position(question)
                .is_some_and(|p| r.values[p].is_answered()),
            Condition::Chosen { question, option } => chosen(question, option),
            Condition::AnyChosen { question, options } => {
                options.iter().any(|o| chosen(question, o))
            }
            Condition::Not(c) => !by_name(index, c, r),
            Condition::All(cs) => cs.iter().all(|c| by_name(index, c, r)),
            Condition::Any(cs) => cs.iter().any(|c| by_name(index, c, r)),
        }
    }

    /// A random condition over the index's questions, with now and then a question id or an
    /// option code the questionnaire does not have.
    fn condition(index: &Index, rng: &mut Rng, depth: u32) -> Condition {
        let question = |rng: &mut Rng| {
            if rng.chance(1, 8) {
                "nowhere".to_owned()
            } else {
                index
                    .question(rng.below(index.len() as u64) as usize)
                    .id
                    .clone()
            }
        };
        let code = |rng: &mut Rng, q: &str| match index.get(q).map(|q| q.kind.options()) {
            Some(opts) if !opts.is_empty() && !rng.chance(1, 8) => {
                opts[rng.below(opts.len() as u64) as usize].code.clone()
            }
            _ => "zz".to_owned(),
        };
        match rng.below(if depth == 0 { 3 } else { 6 }) {
            0 => Condition::Answered {
                question: question(rng),
            },
            1 => {
                let q = question(rng);
                let option = code(rng, &q);
                Condition::Chosen {
                    question: q,
                    option,
                }
            }
            2 => {
                let q = question(rng);
                let options = (0..rng.below(4)).map(|_| code(rng, &q)).collect();
                Condition::AnyChosen {
                    question: q,
                    options,
                }
            }
            3 => Condition::Not(Box::new(condition(index, rng, depth - 1))),
            4 => Condition::All(
                (0..rng.below(3))
                    .map(|_| condition(index, rng, depth - 1))
                    .collect(),
            ),
            _ => Condition::Any(
                (0..rng.below(3))
                    .map(|_| condition(index, rng, depth - 1))
                    .collect(),
            ),
        }
    }

    proptest! {
        /// Resolving a condition once changes nothing in what it says of a record, whatever it
        /// names, including questions and codes that do not exist.
        #[test]
        fn resolved_conditions_judge_as_by_name(index in arb_index(), seed in any::<u64>()) {
            let mut rng = Rng(seed);
            let mut rec = valid_record(&index, "r", seed);
            for v in &mut rec.values {
                match rng.below(4) {
                    0 => *v = Value::NotShown,
                    1 => *v = Value::Skipped,
                    _ => {}
                }
            }
            for _ in 0..16 {
                let c = condition(&index, &mut rng, 3);
                let shown = Shown::new(&c, &index.flat, &index.by_id);
                prop_assert_eq!(shown.holds(&rec), by_name(&index, &c, &rec), "{:?}", c);
            }
            for i in 0..index.len() {
                let want = index.question(i).show_if.as_ref().is_none_or(|c| by_name(&index, c, &rec));
                prop_assert_eq!(index.display_condition_holds(&rec, i), want);
            }
        }
    }
}
