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

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_import::Imported;
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
#[derive(Debug, Clone)]
pub struct Footprint {
    row: usize,
    id: String,
    submitted: Option<(u32, u32, u32, u32, u32, u32)>,
    /// Per duplicate-identifier rule: a 128-bit fingerprint of the normalised identifier
    /// (compact at a million rows; two different identifiers collide with odds of 2^-128).
    identifier: Vec<Option<u128>>,
    answers_hash: u64,
    answered: usize,
    duration: Option<f64>,
    checks: Vec<(Check, String)>,
}

impl Footprint {
    /// The submission's row in its export.
    pub fn row(&self) -> usize {
        self.row
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
    /// Respondent ids seen (128-bit fingerprints) → row; the first id seen twice.
    ids: HashMap<u128, usize>,
    duplicate_id: Option<(String, usize, usize)>,
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
            ids: HashMap::new(),
            duplicate_id: None,
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
        let start = self.seen.len();
        self.seen
            .reserve_exact(runs.iter().map(Vec::len).sum::<usize>());
        for run in runs {
            self.seen.extend(run);
        }
        debug_assert!(self.seen.windows(2).all(|w| w[0].row < w[1].row));
        for k in start..self.seen.len() {
            let (id, row) = (&self.seen[k].id, self.seen[k].row);
            let key = fingerprint(id);
            if let Some(&first) = self.ids.get(&key) {
                if self.duplicate_id.is_none() {
                    self.duplicate_id = Some((id.clone(), first, row));
                }
            } else {
                self.ids.insert(key, row);
            }
        }
    }

    /// Take a footprint computed by [`Cleaner::footprint`]; footprints must come in row order
    /// (the order decides which duplicate is first).
    pub fn push(&mut self, fp: Footprint) {
        let key = fingerprint(&fp.id);
        if let Some(&first) = self.ids.get(&key) {
            if self.duplicate_id.is_none() {
                self.duplicate_id = Some((fp.id.clone(), first, fp.row));
            }
        } else {
            self.ids.insert(key, fp.row);
        }
        self.seen.push(fp);
    }

    /// What the rules need of one submission. Reads nothing but the submission, so several
    /// threads may compute footprints at once.
    pub fn footprint(&self, rec: &survey_schema::Record, meta: &survey_import::Meta) -> Footprint {
        let mut h = DefaultHasher::new();
        for (i, v) in rec.values.iter().enumerate() {
            if self.index.question(i).identifying {
                continue;
            }
            hash_value(v, &mut h);
        }
        let mut others: Vec<&(u16, String)> = rec
            .other_text
            .iter()
            .filter(|(q, _)| !self.index.question(*q as usize).identifying)
            .collect();
        others.sort();
        others.hash(&mut h);
        let identifier = self
            .id_questions
            .iter()
            .map(|&q| match &rec.values[q] {
                Value::Text(t) => Some(normalise_identifier(t))
                    .filter(|s| !s.is_empty())
                    .map(|s| fingerprint(&s)),
                _ => None,
            })
            .collect();
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
            row: meta.row,
            id: rec.id.clone(),
            submitted: meta.submitted_at.as_deref().and_then(parse_time),
            identifier,
            answers_hash: h.finish(),
            answered: rec.values.iter().filter(|v| v.is_answered()).count(),
            duration: meta.duration_secs,
            checks,
        }
    }

    /// Apply the rules in order.
    pub fn finish(self) -> Result<Cleaning, CleanError> {
        if let Some((id, first_row, row)) = self.duplicate_id {
            return Err(CleanError::DuplicateRespondent { id, first_row, row });
        }
        let n = self.seen.len();
        if n == 0 {
            return Err(CleanError::Empty);
        }
        let mut decided: Vec<Option<(usize, Action, String)>> = vec![None; n];
        let mut flags: Vec<(usize, usize, String)> = Vec::new();
        let mut id_rule = 0;
        for (ri, rule) in self.rules.rules.iter().enumerate() {
            let alive: Vec<usize> = (0..n).filter(|&i| decided[i].is_none()).collect();
            let mut hit =
                |i: usize,
                 action: Action,
                 evidence: String,
                 decided: &mut Vec<Option<(usize, Action, String)>>| match action {
                    Action::Exclude => decided[i] = Some((ri, action, evidence)),
                    Action::Flag => flags.push((i, ri, evidence)),
                };
            match rule {
                RuleSpec::DuplicateIdentifier { question, keep } => {
                    let slot = id_rule;
                    id_rule += 1;
                    let keyed: Vec<(u128, usize)> = alive
                        .iter()
                        .filter_map(|&i| self.seen[i].identifier[slot].map(|k| (k, i)))
                        .collect();
                    for members in runs_of_equal_keys(keyed) {
                        let kept = self.pick(&members, *keep);
                        for &i in members.iter().filter(|&&i| i != kept) {
                            let ev = format!(
                                "与答卷 {} 的 {question} 相同；保留{}（答卷 {}）",
                                self.seen[kept].id,
                                keep_zh(*keep),
                                self.seen[kept].id
                            );
                            hit(i, Action::Exclude, ev, &mut decided);
                        }
                    }
                }
                RuleSpec::DuplicateAnswers { keep } => {
                    let keyed: Vec<(u64, usize)> = alive
                        .iter()
                        .map(|&i| (self.seen[i].answers_hash, i))
                        .collect();
                    for members in runs_of_equal_keys(keyed) {
                        let kept = self.pick(&members, *keep);
                        for &i in members.iter().filter(|&&i| i != kept) {
                            let ev = format!(
                                "全部非识别性题目的答案与答卷 {} 完全相同；保留{}",
                                self.seen[kept].id,
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
                        let matching: Vec<&String> = self.seen[i]
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
                        if let Some(d) = self.seen[i].duration
                            && d < *seconds
                        {
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
        for i in (0..n).filter(|&i| decided[i].is_none()) {
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
        let mut keep = vec![true; n];
        for i in 0..n {
            if let Some((ri, _, ev)) = &decided[i] {
                keep[i] = false;
                steps[*ri].excluded += 1;
                log.push(LogEntry {
                    respondent: self.seen[i].id.clone(),
                    row: self.seen[i].row,
                    rule: self.rules.rules[*ri].kind(),
                    action: Action::Exclude,
                    evidence: ev.clone(),
                });
            }
        }
        flags.sort_by_key(|(i, r, _)| (*i, *r));
        flags.dedup_by_key(|(i, r, _)| (*i, *r));
        for (i, ri, ev) in flags {
            if keep[i] {
                steps[ri].flagged += 1;
                log.push(LogEntry {
                    respondent: self.seen[i].id.clone(),
                    row: self.seen[i].row,
                    rule: self.rules.rules[ri].kind(),
                    action: Action::Flag,
                    evidence: ev,
                });
            }
        }
        log.sort_by_key(|e| e.row);
        let kept_rows = (0..n)
            .filter(|&i| keep[i])
            .map(|i| self.seen[i].row)
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
    fn pick(&self, members: &[usize], keep: Keep) -> usize {
        let key = |i: &usize| (self.seen[*i].submitted, self.seen[*i].row);
        match keep {
            Keep::First => *members.iter().min_by_key(|i| key(i)).expect("non-empty"),
            Keep::Last => *members.iter().max_by_key(|i| key(i)).expect("non-empty"),
            Keep::MostComplete => *members
                .iter()
                .max_by_key(|i| (self.seen[**i].answered, key(i)))
                .expect("non-empty"),
        }
    }
}

/// The groups of two or more that share a key, each in ascending position. Sorting pairs
/// keeps memory to one vector and no allocation per submission (a million submissions are a
/// million groups, almost all of one).
fn runs_of_equal_keys<K: Ord + Copy>(mut keyed: Vec<(K, usize)>) -> Vec<Vec<usize>> {
    keyed.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        while end < keyed.len() && keyed[end].0 == keyed[start].0 {
            end += 1;
        }
        if end - start > 1 {
            out.push(keyed[start..end].iter().map(|&(_, i)| i).collect());
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

/// A 128-bit fingerprint of a string (two independent 64-bit hashes).
fn fingerprint(s: &str) -> u128 {
    let mut a = DefaultHasher::new();
    s.hash(&mut a);
    let mut b = DefaultHasher::new();
    (0x9E37_79B9_7F4A_7C15u64, s).hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

fn hash_value(v: &Value, h: &mut DefaultHasher) {
    match v {
        Value::NotShown => 0u8.hash(h),
        Value::Skipped => 1u8.hash(h),
        Value::Choice(c) => (2u8, *c).hash(h),
        Value::Choices(s) => (3u8, s.0).hash(h),
        Value::Number(x) => (4u8, x.to_bits()).hash(h),
        Value::Text(t) => (5u8, t).hash(h),
    }
}

/// Identifiers compare without spaces and case (`91110000 1234` = `911100001234`).
fn normalise_identifier(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// `2026/4/18 08:00:00` or `2026-04-18 08:00` → sortable tuple.
fn parse_time(s: &str) -> Option<(u32, u32, u32, u32, u32, u32)> {
    let nums: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if nums.len() < 3 {
        return None;
    }
    let g = |i: usize| nums.get(i).copied().unwrap_or(0);
    Some((g(0), g(1), g(2), g(3), g(4), g(5)))
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
