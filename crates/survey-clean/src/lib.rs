//! # survey-clean
//!
//! The third step of the flow: decides which imported submissions are valid, by rules declared
//! in the report folder and applied in order, and logs every exclusion with its evidence.
//!
//! Cleaning runs in two passes so that a large export never has to sit in memory: [`Cleaner`]
//! reads each submission once and keeps only a small footprint (keys, a hash of the answers,
//! completeness, completion time and validation findings); [`Cleaner::finish`] applies the rules
//! and returns a [`Cleaning`] that says, for any row, whether it is kept. The caller then streams
//! the export again and aggregates the kept rows.
//!
//! Every validation error must be covered by a declared rule (excluded or flagged); a record
//! with an error no rule handles stops the cleaning, so invalid data never reaches a table.

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_import::Imported;
use survey_schema::packed::{pack_text, pack_value};
use survey_schema::{Index, Value};
use survey_validate::{Rule as Check, Severity, Validator};

/// Which of several duplicate submissions to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// The earliest submitted.
    First,
    /// The latest submitted (a resubmission replaces the earlier one).
    Last,
    /// The one with the most questions answered; ties go to the latest.
    MostComplete,
}

/// What to do with a submission a rule catches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Remove it from the valid set.
    #[default]
    Exclude,
    /// Keep it, but list it in the log.
    Flag,
}

/// One cleaning rule, as declared in the report folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleSpec {
    /// Several submissions share an organisation identifier (e.g. 统一社会信用代码).
    DuplicateIdentifier {
        /// The identifying question that holds the identifier.
        question: String,
        keep: Keep,
    },
    /// Several submissions give identical answers to every non-identifying question.
    DuplicateAnswers { keep: Keep },
    /// Required answers are missing (validation: missing, required-missing, shown-but-missing).
    Incomplete {
        #[serde(default)]
        action: Action,
    },
    /// Completed faster than anyone could read the questionnaire.
    MinDuration {
        seconds: f64,
        #[serde(default)]
        action: Action,
    },
    /// An exclusive option (无, 暂无计划…) was chosen together with others.
    ExclusiveViolation {
        #[serde(default)]
        action: Action,
    },
    /// Any other validation error (unknown codes, out-of-range numbers, too many options…).
    Invalid {
        #[serde(default)]
        action: Action,
    },
}

/// Which rule, without its settings: what the log and the funnel name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    DuplicateIdentifier,
    DuplicateAnswers,
    Incomplete,
    MinDuration,
    ExclusiveViolation,
    Invalid,
}

impl RuleKind {
    /// Stable name used in the log and the funnel.
    pub fn name(self) -> &'static str {
        match self {
            RuleKind::DuplicateIdentifier => "duplicate_identifier",
            RuleKind::DuplicateAnswers => "duplicate_answers",
            RuleKind::Incomplete => "incomplete",
            RuleKind::MinDuration => "min_duration",
            RuleKind::ExclusiveViolation => "exclusive_violation",
            RuleKind::Invalid => "invalid",
        }
    }
}

impl Action {
    /// As the log writes it.
    pub fn name(self) -> &'static str {
        match self {
            Action::Exclude => "excluded",
            Action::Flag => "flagged",
        }
    }
}

impl RuleSpec {
    /// Which rule this is.
    pub fn kind(&self) -> RuleKind {
        match self {
            RuleSpec::DuplicateIdentifier { .. } => RuleKind::DuplicateIdentifier,
            RuleSpec::DuplicateAnswers { .. } => RuleKind::DuplicateAnswers,
            RuleSpec::Incomplete { .. } => RuleKind::Incomplete,
            RuleSpec::MinDuration { .. } => RuleKind::MinDuration,
            RuleSpec::ExclusiveViolation { .. } => RuleKind::ExclusiveViolation,
            RuleSpec::Invalid { .. } => RuleKind::Invalid,
        }
    }

    /// Stable name used in the log and the funnel.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// What the rule does, in words (for the funnel and the methodology note); questions are
    /// named by their text.
    pub fn describe(&self, index: &Index) -> String {
        match self {
            RuleSpec::DuplicateIdentifier { question, keep } => {
                let q = index
                    .get(question)
                    .map(|q| q.text.zh.clone())
                    .unwrap_or_else(|| question.clone());
                format!("重复提交（{q}相同）的答卷保留{}", keep_zh(*keep))
            }
            RuleSpec::DuplicateAnswers { keep } => {
                format!("答案完全相同的重复答卷保留{}", keep_zh(*keep))
            }
            RuleSpec::Incomplete { .. } => "必答题未作答的不完整答卷".into(),
            RuleSpec::MinDuration { seconds, .. } => {
                format!("作答用时不足{seconds}秒（恰为{seconds}秒的保留）")
            }
            RuleSpec::ExclusiveViolation { .. } => "互斥选项与其他选项同时选择".into(),
            RuleSpec::Invalid { .. } => "其他不符合问卷规则的答卷".into(),
        }
    }
}

fn keep_zh(k: Keep) -> &'static str {
    match k {
        Keep::First => "最早提交的一份",
        Keep::Last => "最后提交的一份",
        Keep::MostComplete => "作答最完整的一份",
    }
}

/// The cleaning rules of one questionnaire, e.g. `cleaning/main.rules.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Applied in this order; a submission is excluded by the first rule that catches it.
    pub rules: Vec<RuleSpec>,
}

/// Why cleaning could not run.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error("{path}: {message}")]
    Rules { path: String, message: String },
    #[error(
        "{count} submission(s) break questionnaire rules that no cleaning rule handles; declare an `incomplete`, `exclusive_violation` or `invalid` rule, or fix the data. First: {first}"
    )]
    Unhandled { count: usize, first: String },
    #[error(
        "rows {first_row} and {row} have the same respondent id «{id}» (序号); every submission needs its own, or the cleaning log cannot say which one it means"
    )]
    DuplicateRespondent {
        id: String,
        first_row: usize,
        row: usize,
    },
    #[error("the export has a header but no submissions")]
    Empty,
    #[error("the export has more rows than the 4,294,967,294 one export may hold")]
    TooManyRows,
}

impl Rules {
    /// Read and check a rules file against its questionnaire.
    pub fn load(path: &Path, index: &Index) -> Result<Rules, CleanError> {
        let text = std::fs::read_to_string(path).map_err(|e| CleanError::Rules {
            path: path.display().to_string(),
            message: format!("cannot read: {e}"),
        })?;
        Rules::parse(&text, path, index)
    }

    /// Parse and check rules from their JSON text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path, index: &Index) -> Result<Rules, CleanError> {
        let err = |message: String| CleanError::Rules {
            path: path.display().to_string(),
            message,
        };
        let rules: Rules = serde_json::from_str(text).map_err(|e| {
            err(format!(
                "line {} column {}: not valid cleaning rules: {e}",
                e.line(),
                e.column()
            ))
        })?;
        for (i, r) in rules.rules.iter().enumerate() {
            if let RuleSpec::DuplicateIdentifier { question, .. } = r {
                match index.get(question) {
                    None => {
                        return Err(err(format!(
                            "rule {} ({}) names `{question}`, which is not a question of {}",
                            i + 1,
                            r.name(),
                            index.id()
                        )));
                    }
                    Some(q) if !matches!(q.kind, survey_schema::QuestionKind::Text { .. }) => {
                        return Err(err(format!(
                            "rule {} ({}) needs a text question holding the identifier; `{question}` is {}",
                            i + 1,
                            r.name(),
                            q.kind.name()
                        )));
                    }
                    _ => {}
                }
            }
            if let RuleSpec::MinDuration { seconds, .. } = r
                && !(seconds.is_finite() && *seconds >= 0.0)
            {
                return Err(err(format!(
                    "rule {} (min_duration): seconds must be a non-negative number",
                    i + 1
                )));
            }
        }
        Ok(rules)
    }
}

/// What the first pass keeps of one submission: computed by [`Cleaner::footprint`] (on any
/// thread), then handed to [`Cleaner::push`] in row order.
///
/// Kept small on purpose, as a million of them sit in memory until [`Cleaner::finish`]: 112
/// bytes, and no heap at all for a submission with a numeric 序号, at most one identifier rule
/// and no validation findings.
#[derive(Debug, Clone)]
pub struct Footprint {
    /// A 128-bit fingerprint of every non-identifying answer (two different answer patterns
    /// share one with odds of 2^-128).
    answers_hash: u128,
    /// Per duplicate-identifier rule: a 128-bit fingerprint of the normalised identifier, 0 when
    /// it is blank. The first rule's is inline; further rules' are in `more_identifiers`.
    identifier: u128,
    more_identifiers: Box<[u128]>,
    checks: Box<[(Check, String)]>,
    id: RespondentId,
    /// Submission time packed as `YYYYMMDDhhmmss` (0: unknown, which sorts first).
    submitted: u64,
    /// Seconds taken (NaN: unknown).
    duration: f64,
    row: u32,
    answered: u32,
}

/// A respondent id (序号): a plain decimal number is held as one, anything else as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum RespondentId {
    Number(u64),
    Text(Box<str>),
}

impl RespondentId {
    fn new(s: &str) -> RespondentId {
        let canonical = !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s == "0" || !s.starts_with('0'));
        match s.parse() {
            Ok(n) if canonical => RespondentId::Number(n),
            _ => RespondentId::Text(s.into()),
        }
    }
}

impl std::fmt::Display for RespondentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RespondentId::Number(n) => write!(f, "{n}"),
            RespondentId::Text(t) => f.write_str(t),
        }
    }
}

impl Footprint {
    /// The submission's row in its export.
    pub fn row(&self) -> usize {
        self.row as usize
    }

    fn identifier(&self, slot: usize) -> Option<u128> {
        let k = if slot == 0 {
            self.identifier
        } else {
            self.more_identifiers.get(slot - 1).copied().unwrap_or(0)
        };
        (k != 0).then_some(k)
    }

    fn submitted(&self) -> Option<u64> {
        (self.submitted != 0).then_some(self.submitted)
    }
}

/// One line of the cleaning log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    /// Respondent id as exported (序号).
    pub respondent: String,
    /// Row of the export.
    pub row: usize,
    pub rule: RuleKind,
    pub action: Action,
    pub evidence: String,
}

/// One step of the funnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FunnelStep {
    pub rule: RuleKind,
    /// The rule in words.
    pub description: String,
    pub excluded: u64,
    pub flagged: u64,
}

/// collected → excluded per rule → valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Funnel {
    pub collected: u64,
    pub steps: Vec<FunnelStep>,
    pub valid: u64,
}

/// The first pass: feed every imported submission, then [`Cleaner::finish`].
pub struct Cleaner<'a> {
    index: &'a Index,
    rules: &'a Rules,
    validator: Validator<'a>,
    id_questions: Vec<usize>,
    seen: Vec<Footprint>,
    /// Whether a row came past what a footprint holds (2^32 − 1 rows).
    too_many_rows: bool,
}

impl<'a> Cleaner<'a> {
    pub fn new(index: &'a Index, rules: &'a Rules) -> Cleaner<'a> {
        let id_questions = rules
            .rules
            .iter()
            .filter_map(|r| match r {
                RuleSpec::DuplicateIdentifier { question, .. } => index.position(question),
                _ => None,
            })
            .collect();
        Cleaner {
            index,
            rules,
            validator: Validator::new(index),
            id_questions,
            seen: Vec::new(),
            too_many_rows: false,
        }
    }

    /// Record one submission's footprint.
    pub fn add(&mut self, item: &Imported) {
        let fp = self.footprint(&item.record, &item.meta);
        self.push(fp);
    }

    /// Take footprints computed in runs of consecutive rows (one per block a reader handed
    /// out), in any order of runs: they are put in row order, each run freed as it is moved,
    /// so memory holds the footprints about once.
    pub fn push_runs(&mut self, mut runs: Vec<Vec<Footprint>>) {
        runs.retain(|r| !r.is_empty());
        runs.sort_unstable_by_key(|r| r[0].row);
        self.seen
            .reserve_exact(runs.iter().map(Vec::len).sum::<usize>());
        for run in runs {
            for fp in run {
                self.push(fp);
            }
        }
    }

    /// Take a footprint computed by [`Cleaner::footprint`]; footprints must come in row order
    /// (the order decides which duplicate is first).
    pub fn push(&mut self, fp: Footprint) {
        self.too_many_rows |= fp.row == u32::MAX;
        debug_assert!(self.seen.last().is_none_or(|l| l.row < fp.row));
        self.seen.push(fp);
    }

    /// What the rules need of one submission. Reads nothing but the submission, so several
    /// threads may compute footprints at once.
    pub fn footprint(&self, rec: &survey_schema::Record, meta: &survey_import::Meta) -> Footprint {
        // Every non-identifying answer, written unambiguously (a tag, then fixed-size or
        // length-prefixed contents), then hashed once.
        let mut bytes: Vec<u8> = Vec::with_capacity(8 * rec.values.len() + 64);
        for (i, v) in rec.values.iter().enumerate() {
            if self.index.question(i).identifying {
                continue;
            }
            pack_value(v, &mut bytes);
        }
        let mut others: Vec<&(u16, String)> = rec
            .other_text
            .iter()
            .filter(|(q, _)| !self.index.question(*q as usize).identifying)
            .collect();
        others.sort();
        for (q, t) in others {
            bytes.push(6);
            bytes.extend_from_slice(&q.to_le_bytes());
            pack_text(t, &mut bytes);
        }
        let mut identifiers = self.id_questions.iter().map(|&q| match &rec.values[q] {
            Value::Text(t) => Some(normalise_identifier(t))
                .filter(|s| !s.is_empty())
                .map_or(0, |s| fingerprint(s.as_bytes())),
            _ => 0,
        });
        let identifier = identifiers.next().unwrap_or(0);
        let more_identifiers = identifiers.collect();
        let checks = self
            .validator
            .validate_record(meta.row, rec)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| {
                let what = match (&f.question, &f.value) {
                    (Some(q), Some(v)) => format!("{q} = {v}: {}", f.message),
                    (Some(q), None) => format!("{q}: {}", f.message),
                    _ => f.message.clone(),
                };
                (f.rule, what)
            })
            .collect();
        Footprint {
            row: u32::try_from(meta.row).unwrap_or(u32::MAX),
            id: RespondentId::new(&rec.id),
            submitted: meta
                .submitted_at
                .as_deref()
                .and_then(parse_time)
                .unwrap_or(0),
            identifier,
            more_identifiers,
            answers_hash: fingerprint(&bytes),
            answered: rec.values.iter().filter(|v| v.is_answered()).count() as u32,
            duration: meta.duration_secs.unwrap_or(f64::NAN),
            checks,
        }
    }

    /// The first respondent id (序号) that two rows share, in row order of the second.
    fn duplicate_respondent(&self) -> Option<CleanError> {
        // 问卷星 numbers submissions 1, 2, 3…: ids rising with the rows cannot repeat.
        let rising = self.seen.windows(2).all(|w| match (&w[0].id, &w[1].id) {
            (RespondentId::Number(a), RespondentId::Number(b)) => a < b,
            _ => false,
        });
        if rising {
            return None;
        }
        let mut order: Vec<u32> = (0..self.seen.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (&self.seen[a as usize], &self.seen[b as usize]);
            (&a.id, a.row).cmp(&(&b.id, b.row))
        });
        order
            .windows(2)
            .map(|w| (&self.seen[w[0] as usize], &self.seen[w[1] as usize]))
            .filter(|(a, b)| a.id == b.id)
            .min_by_key(|(_, b)| b.row)
            .map(|(a, b)| {
                // The first row of the id: the earliest of its group.
                let first = order
                    .iter()
                    .map(|&i| &self.seen[i as usize])
                    .find(|f| f.id == a.id)
                    .map_or(a.row, |f| f.row);
                CleanError::DuplicateRespondent {
                    id: a.id.to_string(),
                    first_row: first as usize,
                    row: b.row as usize,
                }
            })
    }

    /// Apply the rules in order.
    pub fn finish(self) -> Result<Cleaning, CleanError> {
        if self.too_many_rows {
            return Err(CleanError::TooManyRows);
        }
        if let Some(e) = self.duplicate_respondent() {
            return Err(e);
        }
        let n = self.seen.len();
        if n == 0 {
            return Err(CleanError::Empty);
        }
        // Per submission, the rule that excluded it (NONE: none did), the evidence apart.
        const NONE: u32 = u32::MAX;
        let mut decided: Vec<u32> = vec![NONE; n];
        let mut evidence: Vec<(u32, String)> = Vec::new();
        let mut flags: Vec<(usize, usize, String)> = Vec::new();
        let mut id_rule = 0;
        for (ri, rule) in self.rules.rules.iter().enumerate() {
            let alive: Vec<u32> = (0..n as u32)
                .filter(|&i| decided[i as usize] == NONE)
                .collect();
            let mut hit = |i: u32, action: Action, ev: String, decided: &mut Vec<u32>| match action
            {
                Action::Exclude => {
                    decided[i as usize] = ri as u32;
                    evidence.push((i, ev));
                }
                Action::Flag => flags.push((i as usize, ri, ev)),
            };
            match rule {
                RuleSpec::DuplicateIdentifier { question, keep } => {
                    let slot = id_rule;
                    id_rule += 1;
                    let keyed: Vec<u32> = alive
                        .iter()
                        .copied()
                        .filter(|&i| self.seen[i as usize].identifier(slot).is_some())
                        .collect();
                    let key = |i: u32| self.seen[i as usize].identifier(slot).unwrap_or(0);
                    for members in runs_of_equal_keys(keyed, key) {
                        let kept = self.pick(&members, *keep);
                        for &i in members.iter().filter(|&&i| i != kept) {
                            let ev = format!(
                                "与答卷 {} 的 {question} 相同；保留{}（答卷 {}）",
                                self.seen[kept as usize].id,
                                keep_zh(*keep),
                                self.seen[kept as usize].id
                            );
                            hit(i, Action::Exclude, ev, &mut decided);
                        }
                    }
                }
                RuleSpec::DuplicateAnswers { keep } => {
                    let key = |i: u32| self.seen[i as usize].answers_hash;
                    for members in runs_of_equal_keys(alive, key) {
                        let kept = self.pick(&members, *keep);
                        for &i in members.iter().filter(|&&i| i != kept) {
                            let ev = format!(
                                "全部非识别性题目的答案与答卷 {} 完全相同；保留{}",
                                self.seen[kept as usize].id,
                                keep_zh(*keep)
                            );
                            hit(i, Action::Exclude, ev, &mut decided);
                        }
                    }
                }
                RuleSpec::Incomplete { action }
                | RuleSpec::ExclusiveViolation { action }
                | RuleSpec::Invalid { action } => {
                    for &i in &alive {
                        let matching: Vec<&String> = self.seen[i as usize]
                            .checks
                            .iter()
                            .filter(|(c, _)| covers(rule, *c))
                            .map(|(_, w)| w)
                            .collect();
                        if !matching.is_empty() {
                            let more = if matching.len() > 1 {
                                format!("（另有{}处）", matching.len() - 1)
                            } else {
                                String::new()
                            };
                            hit(i, *action, format!("{}{more}", matching[0]), &mut decided);
                        }
                    }
                }
                RuleSpec::MinDuration { seconds, action } => {
                    for &i in &alive {
                        let d = self.seen[i as usize].duration;
                        if d < *seconds {
                            hit(
                                i,
                                *action,
                                format!("作答用时{d}秒，少于{seconds}秒"),
                                &mut decided,
                            );
                        }
                    }
                }
            }
        }
        // Every validation error of a kept submission must have been handled (flagged counts).
        let mut unhandled: Vec<String> = Vec::new();
        for i in (0..n).filter(|&i| decided[i] == NONE) {
            let handled: Vec<usize> = flags
                .iter()
                .filter(|(f, _, _)| *f == i)
                .map(|(_, r, _)| *r)
                .collect();
            let fp = &self.seen[i];
            for (c, w) in &fp.checks {
                if !handled.iter().any(|&r| covers(&self.rules.rules[r], *c)) {
                    unhandled.push(format!(
                        "row {} (respondent {}): {}: {w}",
                        fp.row,
                        fp.id,
                        c.describe()
                    ));
                }
            }
        }
        if !unhandled.is_empty() {
            return Err(CleanError::Unhandled {
                count: unhandled.len(),
                first: unhandled[0].clone(),
            });
        }
        let mut log = Vec::new();
        let mut steps: Vec<FunnelStep> = self
            .rules
            .rules
            .iter()
            .map(|r| FunnelStep {
                rule: r.kind(),
                description: r.describe(self.index),
                excluded: 0,
                flagged: 0,
            })
            .collect();
        let keep: Vec<bool> = decided.iter().map(|&d| d == NONE).collect();
        for (i, ev) in evidence {
            let (ri, fp) = (decided[i as usize] as usize, &self.seen[i as usize]);
            steps[ri].excluded += 1;
            log.push(LogEntry {
                respondent: fp.id.to_string(),
                row: fp.row(),
                rule: self.rules.rules[ri].kind(),
                action: Action::Exclude,
                evidence: ev,
            });
        }
        flags.sort_by_key(|(i, r, _)| (*i, *r));
        flags.dedup_by_key(|(i, r, _)| (*i, *r));
        for (i, ri, ev) in flags {
            if keep[i] {
                steps[ri].flagged += 1;
                log.push(LogEntry {
                    respondent: self.seen[i].id.to_string(),
                    row: self.seen[i].row(),
                    rule: self.rules.rules[ri].kind(),
                    action: Action::Flag,
                    evidence: ev,
                });
            }
        }
        log.sort_by_key(|e| e.row);
        let kept_rows = (0..n)
            .filter(|&i| keep[i])
            .map(|i| self.seen[i].row())
            .collect();
        Ok(Cleaning {
            funnel: Funnel {
                collected: n as u64,
                valid: keep.iter().filter(|k| **k).count() as u64,
                steps,
            },
            log,
            kept_rows,
        })
    }

    /// The member to keep; submission time decides, row order breaks ties and stands in when
    /// times are missing.
    fn pick(&self, members: &[u32], keep: Keep) -> u32 {
        let key = |i: &u32| {
            let f = &self.seen[*i as usize];
            (f.submitted(), f.row)
        };
        match keep {
            Keep::First => *members.iter().min_by_key(|i| key(i)).expect("non-empty"),
            Keep::Last => *members.iter().max_by_key(|i| key(i)).expect("non-empty"),
            Keep::MostComplete => *members
                .iter()
                .max_by_key(|i| (self.seen[**i as usize].answered, key(i)))
                .expect("non-empty"),
        }
    }
}

/// The groups of two or more of `members` that share a key, each in ascending position.
/// Positions are sorted by the key's top 64 bits (16 bytes a submission, sorted in place, no
/// allocation per submission: a million submissions are a million groups, almost all of one);
/// only positions that share those bits are compared on the whole key.
fn runs_of_equal_keys(members: Vec<u32>, key: impl Fn(u32) -> u128) -> Vec<Vec<u32>> {
    let mut keyed: Vec<(u64, u32)> = members
        .iter()
        .map(|&i| ((key(i) >> 64) as u64, i))
        .collect();
    drop(members);
    keyed.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        while end < keyed.len() && keyed[end].0 == keyed[start].0 {
            end += 1;
        }
        if end - start > 1 {
            let mut group: Vec<(u128, u32)> = keyed[start..end]
                .iter()
                .map(|&(_, i)| (key(i), i))
                .collect();
            group.sort_unstable();
            for run in group.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
                out.push(run.iter().map(|&(_, i)| i).collect());
            }
        }
        start = end;
    }
    out
}

fn covers(rule: &RuleSpec, check: Check) -> bool {
    match rule {
        RuleSpec::Incomplete { .. } => matches!(
            check,
            Check::MissingAnswer
                | Check::RequiredMissing
                | Check::ShownButMissing
                | Check::TooFewSelections
        ),
        RuleSpec::ExclusiveViolation { .. } => check == Check::ExclusiveCombined,
        RuleSpec::Invalid { .. } => true,
        _ => false,
    }
}

/// A 128-bit fingerprint (XXH3-128) of some bytes; never 0, which stands for "blank".
fn fingerprint(bytes: &[u8]) -> u128 {
    twox_hash::XxHash3_128::oneshot(bytes).max(1)
}

/// Identifiers compare without spaces and case (`91110000 1234` = `911100001234`).
fn normalise_identifier(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// `2026/4/18 08:00:00` or `2026-04-18 08:00` → `20260418080000`, which sorts as the times do
/// (None when the text is not such a time, or a part is out of range).
fn parse_time(s: &str) -> Option<u64> {
    let mut parts = [0u64; 6];
    let mut n = 0;
    for p in s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
    {
        if n == 6 {
            break; // fractions of a second do not decide
        }
        parts[n] = p.parse().ok()?;
        n += 1;
    }
    let limits = [9999, 12, 31, 23, 59, 60];
    if n < 3 || parts.iter().zip(limits).any(|(&v, max)| v > max) {
        return None;
    }
    Some(parts.iter().fold(0, |acc, &v| acc * 100 + v))
}

/// The outcome of cleaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleaning {
    pub funnel: Funnel,
    /// Every exclusion and flag, by row.
    pub log: Vec<LogEntry>,
    /// Rows of the export that are valid, ascending.
    pub kept_rows: Vec<usize>,
}

/// The first line of `cleaning-log.csv`.
pub const LOG_NOTICE: &str = "# CONFIDENTIAL: this log names respondents (their export 序号 and row). It is for the survey team only; never publish it.";

impl Cleaning {
    pub fn is_kept(&self, row: usize) -> bool {
        self.kept_rows.binary_search(&row).is_ok()
    }

    /// The log as CSV, headed by [`LOG_NOTICE`].
    pub fn log_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["respondent", "row", "rule", "action", "evidence"])
            .expect("in-memory write");
        for e in &self.log {
            w.write_record([
                e.respondent.as_str(),
                &e.row.to_string(),
                e.rule.name(),
                e.action.name(),
                &e.evidence,
            ])
            .expect("in-memory write");
        }
        let body = String::from_utf8(w.into_inner().expect("in-memory write"))
            .expect("UTF-8 in, UTF-8 out");
        format!("{LOG_NOTICE}\n{body}")
    }
}

/// Clean a stream of imported submissions in one call (first pass only; see the crate docs).
pub fn clean<'a>(
    index: &Index,
    rules: &Rules,
    items: impl IntoIterator<Item = &'a Imported>,
) -> Result<Cleaning, CleanError> {
    let mut c = Cleaner::new(index, rules);
    for it in items {
        c.add(it);
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_footprint_stays_small() {
        // A million of these are held until `finish`: the figure in BENCHMARKS.md rests on it.
        assert_eq!(std::mem::size_of::<Footprint>(), 112);
    }

    #[test]
    fn packed_times_sort_as_the_times_do() {
        let t = |s| parse_time(s).unwrap();
        assert_eq!(t("2025/3/1 9:05:07"), 20250301090507);
        assert_eq!(t("2025-03-01 09:05"), t("2025/3/1 9:05:00"));
        assert!(t("2025/3/1 23:59:59") < t("2025/3/2 0:00:00"));
        assert!(t("2025/12/31 23:59:59") < t("2026/1/1 0:00:00"));
        // Fractions of a second do not decide; nonsense is no time at all.
        assert_eq!(t("2025/3/1 9:05:07.250"), t("2025/3/1 9:05:07"));
        assert_eq!(parse_time("2025/13/1"), None);
        assert_eq!(parse_time("2025/3"), None);
        assert_eq!(parse_time("昨天"), None);
    }

    #[test]
    fn respondent_ids_keep_their_text() {
        for s in ["1", "720", "0", "007", "R-3", "", "18446744073709551616"] {
            assert_eq!(RespondentId::new(s).to_string(), s);
        }
        assert_eq!(RespondentId::new("12"), RespondentId::Number(12));
        assert_ne!(RespondentId::new("012"), RespondentId::new("12"));
    }
}
