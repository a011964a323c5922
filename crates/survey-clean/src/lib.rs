//! # survey-clean
//!
//! The third step of the flow: decides which imported submissions are valid, by rules declared
//! in the report folder and applied in order, and logs every exclusion with its evidence.
//!
//! Cleaning runs in two passes so that a large export never has to sit in memory: [`Cleaner`]
//! reads each submission once and writes only a small footprint (keys, a hash of the answers,
//! completeness, completion time and validation findings); [`Cleaner::finish`] applies the rules
//! and returns a [`Cleaning`] that says, for any row, whether it is kept. The caller aggregates
//! the kept rows: by reading them again, or, having counted every row as it read, by taking
//! back the rows set aside.
//!
//! Memory is fixed by design, not by the export: footprints, the sorts that find duplicates and
//! the log are held in memory up to [`SCRATCH_MEMORY`] and go to unnamed temporary files past
//! it; what grows with the export is one bit per row (kept or not).
//!
//! Every validation error must be covered by a declared rule (excluded or flagged); a record
//! with an error no rule handles stops the cleaning, so invalid data never reaches a table.

mod rows;
mod sort;

use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_import::Imported;
use survey_schema::packed::{pack_text, pack_value};
use survey_schema::{Index, Value};
use survey_validate::{Rule as Check, Severity, Validator};

pub use rows::KeptRows;
use rows::RowSet;
use sort::{Item, Sorted, Sorter};
use survey_schema::spool::{Bytes, Run, Segment, Spool, put_str};

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
    /// Submissions named one by one by their respondent id (序号), for a reason the funnel
    /// prints: the test answers a survey's organisers submit before it opens, say. Every id
    /// listed must be in the export (a typo would otherwise keep the answer it meant).
    Listed {
        /// The 序号 of each, as the download writes it: `"17"` or `17`.
        #[serde(deserialize_with = "ids")]
        #[schemars(with = "Vec<IdSchema>")]
        respondents: Vec<String>,
        /// Why they are set aside (测试答卷), as the funnel and the methodology print it.
        reason: String,
    },
}

/// A 序号 in a rules file: text, or a whole number as JSON writes one (what the download
/// shows as `17` is the same submission either way).
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
enum IdSchema {
    Text(String),
    Number(u64),
}

fn ids<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Vec::<IdSchema>::deserialize(d)?
        .into_iter()
        .map(|id| match id {
            IdSchema::Text(t) => t,
            IdSchema::Number(n) => n.to_string(),
        })
        .collect())
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
    Listed,
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
            RuleKind::Listed => "listed",
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
            RuleSpec::Listed { .. } => RuleKind::Listed,
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
                // The wording without its note in brackets (贵院全称（请填写全称，用于去重）):
                // no brackets inside the rule's own.
                let q = index
                    .get(question)
                    .map(|q| {
                        let t = survey_schema::title(&q.text.zh);
                        match t.find(['（', '(']) {
                            Some(at) if at > 0 => t[..at].trim().to_owned(),
                            _ => t,
                        }
                    })
                    .unwrap_or_else(|| question.clone());
                format!("重复提交（{q}相同）的答卷，保留{}", keep_zh(*keep))
            }
            RuleSpec::DuplicateAnswers { keep } => {
                format!("答案完全相同的重复答卷，保留{}", keep_zh(*keep))
            }
            RuleSpec::Incomplete { .. } => "必答题未作答的不完整答卷".into(),
            RuleSpec::MinDuration { seconds, .. } => {
                format!("作答用时不足{seconds}秒（恰为{seconds}秒的保留）")
            }
            RuleSpec::ExclusiveViolation { .. } => "互斥选项与其他选项同时选择".into(),
            RuleSpec::Invalid { .. } => "其他不符合问卷规则的答卷".into(),
            RuleSpec::Listed { reason, .. } => format!("{}（按序号指定）", reason.trim()),
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
    #[error(
        "row {row}, question {question}: the identifier «{value}» is a number in scientific notation, as a spreadsheet rewrites a long code of digits when the file is saved from it (Excel keeps 15 digits and shows 6), so different identifiers read alike and the rule `duplicate_identifier` would set hospitals aside as duplicates of one another. Use 问卷星's own download again (its codes are text), or format the column as text before saving; or remove the rule"
    )]
    IdentifierAsNumber {
        row: usize,
        question: String,
        value: String,
    },
    #[error(
        "rule {rule} (listed) names the submission 序号 «{id}», which the export does not hold: a typo, or an id from another download of the survey; correct or remove it"
    )]
    ListedMissing { rule: usize, id: String },
    #[error("the export has a header but no submissions")]
    Empty,
    #[error(
        "the rule `min_duration` needs the time each submission took, and none of the {n} submissions has one: the download has no 所用时间 column, or the mapping's `metadata.duration` names another header; set it to the header holding the times, or remove the rule"
    )]
    NoDurations { n: u64 },
    #[error("the export has more rows than the 4,294,967,294 one export may hold")]
    TooManyRows,
    #[error(
        "cleaning could not use its scratch space in the temporary folder ({dir}; set TMPDIR to choose another): {0}",
        dir = std::env::temp_dir().display()
    )]
    Scratch(#[from] io::Error),
}

/// Why a rules file does not parse, placed where the mistake is. A rule is read whole before
/// its fields are (its `rule` says which fields it has), so serde places a mistake in a field at
/// the rule's end, with no field named (trial 46: `"seconds": "60s"` was reported at the next
/// rule's line as «expected f64»). The rule is found again, alone, and so is the field: the
/// one whose absence changes what is wrong.
fn rules_error(text: &str, e: &serde_json::Error) -> String {
    let bare = |e: &serde_json::Error| {
        let s = e.to_string();
        let at = format!(" at line {} column {}", e.line(), e.column());
        s.strip_suffix(&at)
            .unwrap_or(&s)
            .replace("expected f64", "expected a number")
            .replace("expected u32", "expected a whole number")
    };
    let whole = format!(
        "line {} column {}: not valid cleaning rules: {}",
        e.line(),
        e.column(),
        bare(e)
    );
    #[derive(Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        rules: Vec<&'a serde_json::value::RawValue>,
    }
    let Ok(raw) = serde_json::from_str::<Raw>(text) else {
        return whole;
    };
    let line_at = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    for (i, r) in raw.rules.iter().enumerate() {
        let Err(e) = serde_json::from_str::<RuleSpec>(r.get()) else {
            continue;
        };
        // Where the rule's text lies in the file.
        let start = (r.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let name = serde_json::from_str::<serde_json::Value>(r.get())
            .ok()
            .and_then(|v| v.get("rule").and_then(|n| n.as_str()).map(str::to_owned));
        let what = match &name {
            Some(n) => format!("rule {} ({n})", i + 1),
            None => format!("rule {}", i + 1),
        };
        let field = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(r.get())
            .ok()
            .and_then(|map| {
                map.keys()
                    .filter(|k| *k != "rule")
                    .find(|k| {
                        let mut without = map.clone();
                        without.remove(*k);
                        match serde_json::from_value::<RuleSpec>(without.into()) {
                            Ok(_) => true,
                            Err(other) => other.to_string().contains(&format!("`{k}`")),
                        }
                    })
                    .cloned()
            });
        return match field {
            Some(f) => {
                let at = r.get().find(&format!("\"{f}\"")).unwrap_or(0);
                format!(
                    "line {}: {what}, field `{f}`: {}",
                    line_at(start + at),
                    bare(&e)
                )
            }
            None => {
                let at = r.get().find("\"rule\"").unwrap_or(0);
                format!("line {}: {what}: {}", line_at(start + at), bare(&e))
            }
        };
    }
    whole
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
        let rules: Rules = serde_json::from_str(text).map_err(|e| err(rules_error(text, &e)))?;
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
            if let RuleSpec::Listed {
                respondents,
                reason,
            } = r
            {
                if reason.trim().is_empty() {
                    return Err(err(format!(
                        "rule {} (listed): give the reason the submissions are set aside (`reason`: \"测试答卷\", say); the funnel prints it",
                        i + 1
                    )));
                }
                if respondents.is_empty() {
                    return Err(err(format!(
                        "rule {} (listed) lists no submission; list their 序号 in `respondents`, or remove the rule",
                        i + 1
                    )));
                }
                let mut seen = std::collections::HashSet::new();
                if let Some(twice) = respondents.iter().find(|id| !seen.insert(id.trim())) {
                    return Err(err(format!(
                        "rule {} (listed) lists 序号 «{twice}» twice",
                        i + 1
                    )));
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
/// thread), then handed to [`Cleaner::push`] or a [`Sink`] in row order.
///
/// Footprints are not held as such: each is written to the cleaner's scratch spool in about 70
/// bytes (more only for a text 序号, further identifier rules or validation findings), which
/// stays in memory up to a fixed budget and goes to a temporary file past it.
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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

    fn put(&self, out: &mut Vec<u8>) {
        match self {
            RespondentId::Number(n) => {
                out.push(0);
                out.extend_from_slice(&n.to_le_bytes());
            }
            RespondentId::Text(t) => {
                out.push(1);
                put_str(out, t);
            }
        }
    }

    fn get(b: &mut Bytes) -> io::Result<RespondentId> {
        Ok(match b.u8()? {
            0 => RespondentId::Number(b.u64()?),
            _ => RespondentId::Text(b.str()?.into()),
        })
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

const HAS_IDENTIFIER: u8 = 1;
const HAS_MORE_IDENTIFIERS: u8 = 2;
const HAS_CHECKS: u8 = 4;

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

    /// Append the scratch form, as [`Footprint::read`] reads it back.
    fn write(&self, out: &mut Vec<u8>) {
        let mut flags = 0;
        if self.identifier != 0 {
            flags |= HAS_IDENTIFIER;
        }
        if !self.more_identifiers.is_empty() {
            flags |= HAS_MORE_IDENTIFIERS;
        }
        if !self.checks.is_empty() {
            flags |= HAS_CHECKS;
        }
        out.push(flags);
        out.extend_from_slice(&self.row.to_le_bytes());
        out.extend_from_slice(&self.answered.to_le_bytes());
        out.extend_from_slice(&self.answers_hash.to_le_bytes());
        out.extend_from_slice(&self.submitted.to_le_bytes());
        out.extend_from_slice(&self.duration.to_bits().to_le_bytes());
        if flags & HAS_IDENTIFIER != 0 {
            out.extend_from_slice(&self.identifier.to_le_bytes());
        }
        self.id.put(out);
        if flags & HAS_MORE_IDENTIFIERS != 0 {
            out.extend_from_slice(&(self.more_identifiers.len() as u32).to_le_bytes());
            for k in &self.more_identifiers {
                out.extend_from_slice(&k.to_le_bytes());
            }
        }
        if flags & HAS_CHECKS != 0 {
            out.extend_from_slice(&(self.checks.len() as u32).to_le_bytes());
            for (c, w) in &self.checks {
                out.push(c.position());
                put_str(out, w);
            }
        }
    }

    fn read(b: &mut Bytes) -> io::Result<Footprint> {
        let flags = b.u8()?;
        let row = b.u32()?;
        let answered = b.u32()?;
        let answers_hash = b.u128()?;
        let submitted = b.u64()?;
        let duration = f64::from_bits(b.u64()?);
        let identifier = if flags & HAS_IDENTIFIER != 0 {
            b.u128()?
        } else {
            0
        };
        let id = RespondentId::get(b)?;
        let mut more_identifiers = Vec::new();
        if flags & HAS_MORE_IDENTIFIERS != 0 {
            for _ in 0..b.u32()? {
                more_identifiers.push(b.u128()?);
            }
        }
        let mut checks = Vec::new();
        if flags & HAS_CHECKS != 0 {
            for _ in 0..b.u32()? {
                let c = Check::from_position(b.u8()?).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, "unknown check in scratch")
                })?;
                checks.push((c, b.str()?.to_owned()));
            }
        }
        Ok(Footprint {
            answers_hash,
            identifier,
            more_identifiers: more_identifiers.into(),
            checks: checks.into(),
            id,
            submitted,
            duration,
            row,
            answered,
        })
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

/// How much memory cleaning may hold for its scratch data, whatever the size of the export.
pub const SCRATCH_MEMORY: usize = 48 << 20;

/// The spool and what went wrong writing it, shared by the threads computing footprints.
#[derive(Debug)]
struct Shared {
    spool: Spool,
    error: Option<io::Error>,
    too_many_rows: bool,
}

impl Shared {
    fn append(&mut self, seg: Segment) {
        if self.error.is_none()
            && let Err(e) = self.spool.append(seg.first, seg.bytes)
        {
            self.error = Some(e);
        }
    }
}

/// Where one thread hands its footprints to a [`Cleaner`] (see [`Cleaner::sink`]): rows in
/// ascending order within a sink, and the rows of different sinks never interleaving (each
/// takes whole blocks of consecutive rows). What a sink still holds is handed over when it is
/// dropped.
pub struct Sink<'c> {
    shared: &'c Mutex<Shared>,
    run: Run,
}

impl Sink<'_> {
    pub fn push(&mut self, fp: &Footprint) {
        if fp.row == u32::MAX {
            lock(self.shared).too_many_rows = true;
            return;
        }
        if let Some(seg) = self.run.push(fp.row.into(), |b| fp.write(b)) {
            lock(self.shared).append(seg);
        }
    }
}

impl Drop for Sink<'_> {
    fn drop(&mut self) {
        if let Some(seg) = self.run.take() {
            lock(self.shared).append(seg);
        }
    }
}

fn lock(m: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    // A thread that panicked holding the lock left the spool as it was: still readable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The first pass: feed every imported submission, then [`Cleaner::finish`].
pub struct Cleaner<'a> {
    index: &'a Index,
    rules: &'a Rules,
    validator: Validator<'a>,
    id_questions: Vec<usize>,
    /// Per question position, whether it is identifying (left out of the answers' hash).
    identifying: Box<[bool]>,
    shared: Mutex<Shared>,
    run: Run,
    memory: usize,
    /// The first row (lowest) whose identifier a spreadsheet turned into a number in
    /// scientific notation, with the question's position and the text.
    as_number: Mutex<Option<(usize, usize, String)>>,
}

impl<'a> Cleaner<'a> {
    /// A finding as the cleaning log's evidence, in Chinese for the survey team: the question
    /// (id and the start of its wording), the value, and what is wrong. A finding on no
    /// question keeps the validator's own words.
    fn evidence(&self, f: &survey_validate::Finding) -> String {
        let Some(q) = &f.question else {
            return f.message.clone();
        };
        let question = self.index.get(q);
        let wording = question
            .map(|question| {
                let t: String = question.text.zh.trim().chars().take(16).collect();
                if t.chars().count() < question.text.zh.trim().chars().count() {
                    format!("（{t}…）")
                } else {
                    format!("（{t}）")
                }
            })
            .unwrap_or_default();
        // Option codes as the options' labels; a null (nothing recorded) says nothing more.
        let value = f.value.as_deref().filter(|v| *v != "null").map(|v| {
            let options = question.map_or(&[][..], |q| q.kind.options());
            let label = |c: &str| {
                options
                    .iter()
                    .find(|o| o.code == c)
                    .map_or_else(|| format!("“{c}”"), |o| format!("“{}”", o.label.zh))
            };
            match serde_json::from_str::<serde_json::Value>(v) {
                Ok(serde_json::Value::String(c)) => label(&c),
                Ok(serde_json::Value::Array(a)) if a.iter().all(|x| x.is_string()) => a
                    .iter()
                    .filter_map(|x| x.as_str())
                    .map(label)
                    .collect::<Vec<_>>()
                    .join("、"),
                _ => v.to_owned(),
            }
        });
        match value {
            Some(v) => format!("{q}{wording} = {v}：{}", f.rule.describe_zh()),
            None => format!("{q}{wording}：{}", f.rule.describe_zh()),
        }
    }

    pub fn new(index: &'a Index, rules: &'a Rules) -> Cleaner<'a> {
        Cleaner::with_memory(index, rules, SCRATCH_MEMORY)
    }

    /// A cleaner holding at most about `memory` bytes of scratch data (half for footprints, a
    /// quarter for sorting, an eighth each for the duplicates found and the log); past that it
    /// writes to temporary files. Small budgets let tests take the spilling paths. Besides the
    /// budget, each duplicate rule's sort gathers its items in 16 KiB buffers, one per
    /// partition (1 MiB).
    pub fn with_memory(index: &'a Index, rules: &'a Rules, memory: usize) -> Cleaner<'a> {
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
            identifying: (0..index.len())
                .map(|i| index.question(i).identifying)
                .collect(),
            shared: Mutex::new(Shared {
                spool: Spool::new(memory / 2),
                error: None,
                too_many_rows: false,
            }),
            run: Run::following_on(),
            memory,
            as_number: Mutex::new(None),
        }
    }

    /// Record one submission's footprint.
    pub fn add(&mut self, item: &Imported) {
        let fp = self.footprint(&item.record, &item.meta);
        self.push(fp);
    }

    /// A place for one thread to hand over footprints as it computes them.
    pub fn sink(&self) -> Sink<'_> {
        Sink {
            shared: &self.shared,
            run: Run::following_on(),
        }
    }

    /// Take a footprint computed by [`Cleaner::footprint`]; footprints must come in row order
    /// (the order decides which duplicate is first).
    pub fn push(&mut self, fp: Footprint) {
        let shared = self.shared.get_mut().unwrap_or_else(|p| p.into_inner());
        if fp.row == u32::MAX {
            shared.too_many_rows = true;
            return;
        }
        if let Some(seg) = self.run.push(fp.row.into(), |b| fp.write(b)) {
            shared.append(seg);
        }
    }

    /// What the rules need of one submission. Reads nothing but the submission, so several
    /// threads may compute footprints at once.
    pub fn footprint(&self, rec: &survey_schema::Record, meta: &survey_import::Meta) -> Footprint {
        // Every non-identifying answer, written unambiguously (a tag, then fixed-size or
        // length-prefixed contents), then hashed once; into the thread's own buffer.
        thread_local! {
            static PACKED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let answers_hash = PACKED.with_borrow_mut(|bytes| {
            bytes.clear();
            for (v, &identifying) in rec.values.iter().zip(self.identifying.iter()) {
                if !identifying {
                    pack_value(v, bytes);
                }
            }
            let mut others: Vec<&(u16, String)> = rec
                .other_text
                .iter()
                .filter(|(q, _)| !self.identifying.get(*q as usize).copied().unwrap_or(false))
                .collect();
            others.sort();
            for (q, t) in others {
                bytes.push(6);
                bytes.extend_from_slice(&q.to_le_bytes());
                pack_text(t, bytes);
            }
            fingerprint(bytes)
        });
        let mut identifiers = self.id_questions.iter().map(|&q| match &rec.values[q] {
            Value::Text(t) if in_scientific_notation(t) => {
                let mut first = self.as_number.lock().unwrap_or_else(|p| p.into_inner());
                if first.as_ref().is_none_or(|(row, _, _)| *row > meta.row) {
                    *first = Some((meta.row, q, t.trim().to_owned()));
                }
                0
            }
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
            .map(|f| (f.rule, self.evidence(&f)))
            .collect();
        Footprint {
            row: u32::try_from(meta.row).unwrap_or(u32::MAX),
            id: RespondentId::new(&rec.id),
            submitted: meta
                .submitted_key
                .or_else(|| {
                    meta.submitted_at
                        .as_deref()
                        .and_then(survey_import::wjx::parse_time)
                })
                .unwrap_or(0),
            identifier,
            more_identifiers,
            answers_hash,
            answered: rec.values.iter().filter(|v| v.is_answered()).count() as u32,
            duration: meta.duration_secs.unwrap_or(f64::NAN),
            checks,
        }
    }

    /// Apply the rules in order. Each duplicate rule sorts every submission that has its key
    /// (externally, past the memory budget) and keeps the keys that repeat, the rules' sorts
    /// side by side on threads of their own; the groups are then walked in rule order, passing
    /// over rows an earlier rule set aside. The other rules are decided row by row from the
    /// footprints, read back in row order; a last pass in row order writes the log.
    pub fn finish(mut self) -> Result<Cleaning, CleanError> {
        if let Some((row, q, value)) = self
            .as_number
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
        {
            return Err(CleanError::IdentifierAsNumber {
                row,
                question: self.index.question(q).id.clone(),
                value,
            });
        }
        let mut shared = self.shared.into_inner().unwrap_or_else(|p| p.into_inner());
        if let Some(seg) = self.run.take() {
            shared.append(seg);
        }
        if let Some(e) = shared.error {
            return Err(CleanError::Scratch(e));
        }
        if shared.too_many_rows {
            return Err(CleanError::TooManyRows);
        }
        let mut footprints = shared.spool;
        footprints.seal();
        let rules = &self.rules.rules;
        let reader = Footprints { spool: &footprints };
        // Each duplicate rule's submissions are sorted (by key, then with the one to keep
        // first) on a thread of its own, alongside the others; the sorts share a quarter of
        // the memory budget.
        let sorting: Vec<(Option<usize>, Keep)> = {
            let mut id_rule = 0;
            rules
                .iter()
                .filter_map(|rule| match rule {
                    RuleSpec::DuplicateIdentifier { keep, .. } => {
                        id_rule += 1;
                        Some((Some(id_rule - 1), *keep))
                    }
                    RuleSpec::DuplicateAnswers { keep } => Some((None, *keep)),
                    _ => None,
                })
                .collect()
        };
        // The first sort checks the row order in the same read of the footprints. Each sort
        // has an eighth of the budget for its items as gathered and as many for sorting.
        let sort_memory = self.memory / 8 / sorting.len().max(1);
        let sort_items = sort_memory / 64 / 2;
        let (checked, sorted) = std::thread::scope(|scope| {
            let threads: Vec<_> = sorting
                .iter()
                .enumerate()
                .map(|(k, &(slot, keep))| {
                    let reader = &reader;
                    scope.spawn(move || {
                        let mut check = (k == 0).then(RowCheck::default);
                        let sorted =
                            sort_rule(reader, slot, keep, sort_memory, sort_items, check.as_mut());
                        (sorted, check)
                    })
                })
                .collect();
            let mut checked = sorting.is_empty().then(|| {
                let mut check = RowCheck::default();
                reader.each(|fp| check.see(&fp)).map(|()| check)
            });
            let mut sorted = Vec::new();
            for t in threads {
                let (s, check) = t.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                match (s, check) {
                    // A read that failed part-way checked only part of the rows.
                    (Err(e), Some(_)) => checked = Some(Err(e)),
                    (s, check) => {
                        if let Some(c) = check {
                            checked = Some(Ok(c));
                        }
                        sorted.push(s);
                    }
                }
            }
            (checked, sorted)
        });
        let RowCheck {
            n, rising, timed, ..
        } = match checked {
            Some(c) => c?,
            None => unreachable!("the rows are checked by the first sort or alone"),
        };
        if !rising && let Some(e) = duplicate_respondent(&reader, self.memory / 4 / 64)? {
            return Err(e);
        }
        if n == 0 {
            return Err(CleanError::Empty);
        }
        // A time limit with no times would set nothing aside and print 0 as if checked.
        if timed == 0
            && rules
                .iter()
                .any(|r| matches!(r, RuleSpec::MinDuration { .. }))
        {
            return Err(CleanError::NoDurations { n });
        }
        let mut sorted = sorted.into_iter();
        let lists = lists(rules);
        // Which listed ids the export holds (each must).
        let mut found: Lists = vec![Default::default(); rules.len()];
        let listing = lists.iter().any(|l| !l.is_empty());

        // Rule by rule: the rows set aside so far, and the duplicates each with its kept one.
        let mut gone = RowSet::default();
        let mut duplicates = Sorter::new(self.memory / 8 / 48, |a: &Duplicate, b: &Duplicate| {
            a.row.cmp(&b.row)
        });
        for (ri, rule) in rules.iter().enumerate() {
            if !is_duplicate_rule(rule) {
                // Decided again, row by row, in the last pass; only needed now when a
                // duplicate rule comes later and must leave these rows out.
                if rules[ri + 1..].iter().any(is_duplicate_rule) {
                    reader.each(|fp| {
                        if !gone.contains(fp.row)
                            && let Some((Action::Exclude, _)) = row_rule(rule, &lists[ri], &fp)
                        {
                            gone.insert(fp.row);
                        }
                        Ok(())
                    })?;
                }
                continue;
            }
            // Every later member of a group is a duplicate of the group's first. Rows an
            // earlier rule set aside take no part: they were sorted all the same (the sort
            // began before the earlier rules were decided) and are passed over here.
            let Some(rule_sort) = sorted.next() else {
                unreachable!("a sort was started for every duplicate rule")
            };
            let mut group: Option<(u128, RespondentId)> = None;
            for k in rule_sort? {
                let k = k?;
                if gone.contains(k.row) {
                    continue;
                }
                match &group {
                    Some((key, kept)) if *key == k.key => {
                        gone.insert(k.row);
                        duplicates.push(Duplicate {
                            row: k.row,
                            rule: ri as u32,
                            kept: kept.clone(),
                        })?;
                    }
                    _ => group = Some((k.key, k.id)),
                }
            }
        }
        drop(gone);

        // The last pass, in row order: each row's fate, its log lines and the funnel.
        let mut steps: Vec<FunnelStep> = rules
            .iter()
            .map(|r| FunnelStep {
                rule: r.kind(),
                description: r.describe(self.index),
                excluded: 0,
                flagged: 0,
            })
            .collect();
        let mut duplicates = duplicates.done()?.peekable();
        let mut kept = RowSet::default();
        let mut log = LogWriter::new(self.memory / 8);
        let mut unhandled: (usize, Option<String>) = (0, None);
        reader.each(|fp| {
            let duplicate = match duplicates.next_if(|d| d.as_ref().is_ok_and(|d| d.row == fp.row))
            {
                Some(d) => Some(d?),
                None => None,
            };
            if listing {
                for (l, f) in lists.iter().zip(found.iter_mut()) {
                    if l.contains(&fp.id) {
                        f.insert(fp.id.clone());
                    }
                }
            }
            let mut flagged: Vec<(usize, String)> = Vec::new();
            let mut excluded: Option<(usize, String)> = None;
            for (ri, rule) in rules.iter().enumerate() {
                if let Some(d) = duplicate.as_ref().filter(|d| d.rule as usize == ri) {
                    excluded = Some((ri, duplicate_evidence(rule, &d.kept)));
                    break;
                }
                match row_rule(rule, &lists[ri], &fp) {
                    Some((Action::Exclude, ev)) => {
                        excluded = Some((ri, ev));
                        break;
                    }
                    Some((Action::Flag, ev)) => flagged.push((ri, ev)),
                    None => {}
                }
            }
            let entry = |ri: usize, action: Action, evidence: String| LogEntry {
                respondent: fp.id.to_string(),
                row: fp.row(),
                rule: rules[ri].kind(),
                action,
                evidence,
            };
            if let Some((ri, ev)) = excluded {
                steps[ri].excluded += 1;
                return log.push(&entry(ri, Action::Exclude, ev));
            }
            kept.insert(fp.row);
            // Every validation error of a kept submission must be handled (flagged counts).
            for (c, w) in fp.checks.iter() {
                if !flagged.iter().any(|(r, _)| covers(&rules[*r], *c)) {
                    unhandled.0 += 1;
                    unhandled.1.get_or_insert_with(|| {
                        format!(
                            "row {} (respondent {}): {}: {w}",
                            fp.row,
                            fp.id,
                            c.describe()
                        )
                    });
                }
            }
            for (ri, ev) in flagged {
                steps[ri].flagged += 1;
                log.push(&entry(ri, Action::Flag, ev))?;
            }
            Ok(())
        })?;
        if let Some(d) = duplicates.next() {
            d?;
            return Err(CleanError::Scratch(io::Error::other(
                "a duplicate was set aside for a row cleaning never read back",
            )));
        }
        if let (count, Some(first)) = unhandled {
            return Err(CleanError::Unhandled { count, first });
        }
        for (ri, rule) in rules.iter().enumerate() {
            if let RuleSpec::Listed { respondents, .. } = rule
                && let Some(id) = respondents
                    .iter()
                    .find(|id| !found[ri].contains(&RespondentId::new(id.trim())))
            {
                return Err(CleanError::ListedMissing {
                    rule: ri + 1,
                    id: id.clone(),
                });
            }
        }
        let valid = kept.len() as u64;
        Ok(Cleaning {
            funnel: Funnel {
                collected: n,
                valid,
                steps,
            },
            log: log.finish()?,
            kept,
        })
    }
}

/// How a duplicate rule's submissions are ordered: by key, then with the one to keep first.
/// A function item, not a pointer, so that the sort and the merge inline it.
fn by_key(a: &Keyed, b: &Keyed) -> std::cmp::Ordering {
    (a.key, a.rank).cmp(&(b.key, b.rank))
}

/// How many partitions a duplicate rule's sort items fall into, by their key's top bits: each
/// partition sorted on its own, the partitions taken in order, is the whole sort, and a
/// partition of a million submissions is small enough to sort in memory, in cache.
const PARTITION_BITS: u32 = 6;

/// Bytes of sort items gathered for a partition before they go to the rule's spool.
const PARTITION_BUFFER: usize = 16 << 10;

fn partition(key: u128) -> usize {
    (key >> (128 - PARTITION_BITS)) as usize
}

/// A duplicate rule's submissions that have its key (identifier `slot`, which a submission may
/// lack, or, with no slot, the answers), sorted [`by_key`], and of those only the ones whose
/// key another submission shares: a submission alone with its key can be no one's duplicate,
/// whatever earlier rules set aside. Done on the rule's own thread, so that what the rules
/// then decide one after another is only the groups (a few per cent of the rows).
///
/// The sort items are first gathered by partition into a spool holding `memory` bytes (a
/// temporary file past that), then sorted a partition at a time, in memory up to `items`
/// items and externally past that (one key shared by very many submissions, or an export of
/// tens of millions): no merge of runs across the whole export.
fn sort_rule(
    reader: &Footprints,
    slot: Option<usize>,
    keep: Keep,
    memory: usize,
    items: usize,
    mut check: Option<&mut RowCheck>,
) -> Result<Sorted<Keyed, impl Fn(&Keyed, &Keyed) -> std::cmp::Ordering + Copy + use<>>, CleanError>
{
    let mut spool = Spool::new(memory);
    let buffer = || Vec::with_capacity(PARTITION_BUFFER + 128);
    let mut bufs: Vec<Vec<u8>> = (0..1 << PARTITION_BITS).map(|_| buffer()).collect();
    reader.each(|fp| {
        if let Some(c) = check.as_deref_mut() {
            c.see(&fp)?;
        }
        let key = match slot {
            Some(s) => fp.identifier(s),
            None => Some(fp.answers_hash),
        };
        let Some(key) = key else { return Ok(()) };
        let part = partition(key);
        let buf = &mut bufs[part];
        Keyed {
            key,
            rank: rank(&fp, keep),
            row: fp.row,
            id: fp.id,
        }
        .put(buf);
        if buf.len() >= PARTITION_BUFFER {
            spool.append(part as u64, std::mem::replace(buf, buffer()))?;
        }
        Ok(())
    })?;
    for (part, buf) in bufs.into_iter().enumerate() {
        spool.append(part as u64, buf)?;
    }
    spool.seal();

    let mut out = Sorter::new(items, by_key);
    let mut part = Partition {
        items: Vec::new(),
        large: None,
        max: items,
        cmp: by_key,
    };
    let mut current = None;
    spool.for_each_tagged(|tag, bytes| {
        if current != Some(tag) {
            part.shared_into(&mut out)?;
            current = Some(tag);
        }
        let mut b = Bytes { rest: bytes };
        while !b.rest.is_empty() {
            part.push(Keyed::get(&mut b).map_err(CleanError::Scratch)?)?;
        }
        Ok::<(), CleanError>(())
    })?;
    part.shared_into(&mut out)?;
    Ok(out.done()?)
}

/// One partition's sort items as they are read.
struct Partition<F: Fn(&Keyed, &Keyed) -> std::cmp::Ordering> {
    items: Vec<Keyed>,
    /// Past `max` items, the partition's external sort.
    large: Option<Sorter<Keyed, F>>,
    max: usize,
    cmp: F,
}

impl<F: Fn(&Keyed, &Keyed) -> std::cmp::Ordering + Copy> Partition<F> {
    fn push(&mut self, k: Keyed) -> Result<(), CleanError> {
        match &mut self.large {
            Some(sorter) => sorter.push(k)?,
            None => {
                self.items.push(k);
                if self.items.len() >= self.max {
                    let mut sorter = Sorter::new(self.max, self.cmp);
                    for k in self.items.drain(..) {
                        sorter.push(k)?;
                    }
                    self.large = Some(sorter);
                }
            }
        }
        Ok(())
    }

    /// Sort what the partition holds, hand `out` the items whose key repeats, and empty it.
    fn shared_into(&mut self, out: &mut Sorter<Keyed, F>) -> Result<(), CleanError> {
        match self.large.take() {
            Some(sorter) => keep_shared(sorter.done()?, out),
            None => {
                self.items.sort_unstable_by(self.cmp);
                keep_shared(self.items.drain(..).map(Ok), out)
            }
        }
    }
}

/// Of items in key order, those whose key another shares, in the same order.
fn keep_shared<F: Fn(&Keyed, &Keyed) -> std::cmp::Ordering>(
    sorted: impl Iterator<Item = io::Result<Keyed>>,
    out: &mut Sorter<Keyed, F>,
) -> Result<(), CleanError> {
    let mut first: Option<Keyed> = None;
    let mut last_key: Option<u128> = None;
    for k in sorted {
        let k = k?;
        if last_key == Some(k.key) {
            if let Some(f) = first.take() {
                out.push(f)?;
            }
            out.push(k)?;
        } else {
            last_key = Some(k.key);
            first = Some(k);
        }
    }
    Ok(())
}

/// The number of rows, checked to come back in row order, and whether the 序号 rise with them
/// (问卷星 numbers submissions 1, 2, 3…, so then none can repeat).
struct RowCheck {
    n: u64,
    rising: bool,
    last: Option<(u32, u64)>,
    /// Submissions whose time taken is known.
    timed: u64,
}

impl Default for RowCheck {
    fn default() -> Self {
        RowCheck {
            n: 0,
            rising: true,
            last: None,
            timed: 0,
        }
    }
}

impl RowCheck {
    fn see(&mut self, fp: &Footprint) -> Result<(), CleanError> {
        if self.last.is_some_and(|(row, _)| row >= fp.row) {
            return Err(CleanError::Scratch(io::Error::other(
                "footprints came back out of row order",
            )));
        }
        self.rising &= match (&fp.id, self.last) {
            (RespondentId::Number(id), Some((_, before))) => before < *id,
            (RespondentId::Number(_), None) => true,
            _ => false,
        };
        self.last = Some((
            fp.row,
            if let RespondentId::Number(id) = fp.id {
                id
            } else {
                0
            },
        ));
        self.n += 1;
        self.timed += u64::from(fp.duration.is_finite());
        Ok(())
    }
}

/// The footprints of a sealed spool, read back in row order.
struct Footprints<'s> {
    spool: &'s Spool,
}

impl Footprints<'_> {
    fn each(
        &self,
        mut f: impl FnMut(Footprint) -> Result<(), CleanError>,
    ) -> Result<(), CleanError> {
        self.spool.for_each(|seg| {
            let mut b = Bytes { rest: seg };
            while !b.rest.is_empty() {
                f(Footprint::read(&mut b).map_err(CleanError::Scratch)?)?;
            }
            Ok(())
        })
    }
}

fn is_duplicate_rule(r: &RuleSpec) -> bool {
    matches!(
        r,
        RuleSpec::DuplicateIdentifier { .. } | RuleSpec::DuplicateAnswers { .. }
    )
}

/// The ids a `listed` rule names, per rule (empty for the other rules).
type Lists = Vec<std::collections::HashSet<RespondentId>>;

fn lists(rules: &[RuleSpec]) -> Lists {
    rules
        .iter()
        .map(|r| match r {
            RuleSpec::Listed { respondents, .. } => respondents
                .iter()
                .map(|id| RespondentId::new(id.trim()))
                .collect(),
            _ => Default::default(),
        })
        .collect()
}

/// What a rule decided row by row does with a submission, and why (None: it does not apply);
/// `listed` is the rule's ids when it is a `listed` rule.
fn row_rule(
    rule: &RuleSpec,
    listed: &std::collections::HashSet<RespondentId>,
    fp: &Footprint,
) -> Option<(Action, String)> {
    match rule {
        RuleSpec::Listed { reason, .. } => listed.contains(&fp.id).then(|| {
            (
                Action::Exclude,
                format!("序号 {} 列为“{}”", fp.id, reason.trim()),
            )
        }),
        RuleSpec::DuplicateIdentifier { .. } | RuleSpec::DuplicateAnswers { .. } => None,
        RuleSpec::Incomplete { action }
        | RuleSpec::ExclusiveViolation { action }
        | RuleSpec::Invalid { action } => {
            let mut matching = fp.checks.iter().filter(|(c, _)| covers(rule, *c));
            let (_, first) = matching.next()?;
            let more = matching.count();
            let more = if more > 0 {
                format!("（另有{more}处）")
            } else {
                String::new()
            };
            Some((*action, format!("{first}{more}")))
        }
        RuleSpec::MinDuration { seconds, action } => (fp.duration < *seconds).then(|| {
            (
                *action,
                format!("作答用时{}秒，少于{seconds}秒", fp.duration),
            )
        }),
    }
}

fn duplicate_evidence(rule: &RuleSpec, kept: &RespondentId) -> String {
    match rule {
        RuleSpec::DuplicateIdentifier { question, keep } => format!(
            "与答卷 {kept} 的 {question} 相同；保留{}（答卷 {kept}）",
            keep_zh(*keep)
        ),
        RuleSpec::DuplicateAnswers { keep } => format!(
            "全部非识别性题目的答案与答卷 {kept} 完全相同；保留{}",
            keep_zh(*keep)
        ),
        _ => String::new(),
    }
}

/// Where a member stands in its group: the one to keep sorts first. Submission time decides,
/// row order breaks ties and stands in when times are missing (unknown sorts earliest); for
/// the most complete, the number of answers comes before both.
fn rank(fp: &Footprint, keep: Keep) -> (u32, u64, u32) {
    match keep {
        Keep::First => (0, fp.submitted, fp.row),
        Keep::Last => (0, !fp.submitted, !fp.row),
        Keep::MostComplete => (!fp.answered, !fp.submitted, !fp.row),
    }
}

/// What a duplicate rule sorts of one submission.
struct Keyed {
    key: u128,
    rank: (u32, u64, u32),
    row: u32,
    id: RespondentId,
}

impl Item for Keyed {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key.to_le_bytes());
        out.extend_from_slice(&self.rank.0.to_le_bytes());
        out.extend_from_slice(&self.rank.1.to_le_bytes());
        out.extend_from_slice(&self.rank.2.to_le_bytes());
        out.extend_from_slice(&self.row.to_le_bytes());
        self.id.put(out);
    }

    fn get(b: &mut Bytes) -> io::Result<Keyed> {
        Ok(Keyed {
            key: b.u128()?,
            rank: (b.u32()?, b.u64()?, b.u32()?),
            row: b.u32()?,
            id: RespondentId::get(b)?,
        })
    }
}

/// A row a duplicate rule set aside, and the 序号 of the submission kept in its place.
struct Duplicate {
    row: u32,
    rule: u32,
    kept: RespondentId,
}

impl Item for Duplicate {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.row.to_le_bytes());
        out.extend_from_slice(&self.rule.to_le_bytes());
        self.kept.put(out);
    }

    fn get(b: &mut Bytes) -> io::Result<Duplicate> {
        Ok(Duplicate {
            row: b.u32()?,
            rule: b.u32()?,
            kept: RespondentId::get(b)?,
        })
    }
}

/// A 序号 and its row, sorted to find a 序号 used twice.
struct IdRow {
    id: RespondentId,
    row: u32,
}

impl Item for IdRow {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.row.to_le_bytes());
        self.id.put(out);
    }

    fn get(b: &mut Bytes) -> io::Result<IdRow> {
        Ok(IdRow {
            row: b.u32()?,
            id: RespondentId::get(b)?,
        })
    }
}

/// The first respondent id (序号) that two rows share, in row order of the second.
fn duplicate_respondent(
    reader: &Footprints,
    sort_items: usize,
) -> Result<Option<CleanError>, CleanError> {
    let mut sorter = Sorter::new(sort_items, |a: &IdRow, b: &IdRow| {
        (&a.id, a.row).cmp(&(&b.id, b.row))
    });
    reader.each(|fp| {
        sorter.push(IdRow {
            id: fp.id,
            row: fp.row,
        })?;
        Ok(())
    })?;
    // Per 序号, its first row; across them all, the earliest second row.
    let mut first: Option<IdRow> = None;
    let mut found: Option<(RespondentId, u32, u32)> = None;
    for x in sorter.done()? {
        let x = x?;
        match &first {
            Some(f) if f.id == x.id => {
                if found.as_ref().is_none_or(|(_, _, row)| x.row < *row) {
                    found = Some((x.id.clone(), f.row, x.row));
                }
            }
            _ => first = Some(x),
        }
    }
    Ok(
        found.map(|(id, first_row, row)| CleanError::DuplicateRespondent {
            id: id.to_string(),
            first_row: first_row as usize,
            row: row as usize,
        }),
    )
}

/// The log, written in row order to a spool of its own.
struct LogWriter {
    spool: Spool,
    run: Run,
    len: usize,
}

impl LogWriter {
    fn new(memory: usize) -> LogWriter {
        LogWriter {
            spool: Spool::new(memory),
            run: Run::single(),
            len: 0,
        }
    }

    fn push(&mut self, e: &LogEntry) -> Result<(), CleanError> {
        self.len += 1;
        let full = self.run.push(e.row as u64, |b| {
            put_str(b, &e.respondent);
            b.extend_from_slice(&(e.row as u64).to_le_bytes());
            b.push(e.rule as u8);
            b.push(e.action as u8);
            put_str(b, &e.evidence);
        });
        self.hand_over(full)
    }

    fn hand_over(&mut self, seg: Option<Segment>) -> Result<(), CleanError> {
        match seg {
            Some(seg) => self
                .spool
                .append(seg.first, seg.bytes)
                .map_err(CleanError::Scratch),
            None => Ok(()),
        }
    }

    fn finish(mut self) -> Result<Log, CleanError> {
        let rest = self.run.take();
        self.hand_over(rest)?;
        self.spool.seal();
        Ok(Log {
            spool: Arc::new(self.spool),
            len: self.len,
        })
    }
}

/// The cleaning log: every exclusion and flag, in row order, held like the footprints (in
/// memory up to a budget, in a temporary file past it).
#[derive(Debug, Clone)]
struct Log {
    spool: Arc<Spool>,
    len: usize,
}

const RULE_KINDS: [RuleKind; 7] = [
    RuleKind::DuplicateIdentifier,
    RuleKind::DuplicateAnswers,
    RuleKind::Incomplete,
    RuleKind::MinDuration,
    RuleKind::ExclusiveViolation,
    RuleKind::Invalid,
    RuleKind::Listed,
];

impl Log {
    fn each(&self, mut f: impl FnMut(LogEntry) -> io::Result<()>) -> io::Result<()> {
        let bad = || {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "a log line in scratch is damaged",
            )
        };
        self.spool.for_each(|seg| {
            let mut b = Bytes { rest: seg };
            while !b.rest.is_empty() {
                let respondent = b.str()?.to_owned();
                let row = b.u64()? as usize;
                let rule = *RULE_KINDS.get(b.u8()? as usize).ok_or_else(bad)?;
                let action = match b.u8()? {
                    0 => Action::Exclude,
                    1 => Action::Flag,
                    _ => return Err(bad()),
                };
                let evidence = b.str()?.to_owned();
                f(LogEntry {
                    respondent,
                    row,
                    rule,
                    action,
                    evidence,
                })?;
            }
            Ok(())
        })
    }
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

/// Whether an identifier is a number in scientific notation (`1.24401E+17`): what Excel
/// writes for a code of more than 11 digits in a General-formatted cell. No code a hospital
/// is known by has that shape (a `+` after an `E`).
pub fn in_scientific_notation(s: &str) -> bool {
    let s = s.trim();
    let Some((mantissa, exponent)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let Some(exponent) = exponent.strip_prefix('+') else {
        return false;
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    !whole.is_empty()
        && !exponent.is_empty()
        && [whole, fraction, exponent]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// Identifiers compare without spaces, case and full width (`91110000 1234` =
/// `911100001234` = `９１１１００００１２３４`, as a Chinese input method in full-width mode
/// types it). ASCII text (credit codes, as nearly always) is normalised byte by byte, and
/// borrowed when it already is normal.
pub fn normalise_identifier(s: &str) -> std::borrow::Cow<'_, str> {
    // The ASCII characters `char::is_whitespace` takes: tab to carriage return, and space.
    let space = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
    if !s.is_ascii() {
        // Full-width forms of ASCII (U+FF01–U+FF5E) as the ASCII they stand for.
        let narrow = |c: char| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        };
        return s
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(narrow)
            .flat_map(char::to_uppercase)
            .collect::<String>()
            .into();
    }
    if !s.bytes().any(|b| space(b) || b.is_ascii_lowercase()) {
        return s.into();
    }
    s.bytes()
        .filter(|&b| !space(b))
        .map(|b| char::from(b.to_ascii_uppercase()))
        .collect::<String>()
        .into()
}

/// A text cell as a spreadsheet will not run it: a cell opening with `=`, `+`, `@`, a tab or
/// a carriage return (or `-` before anything but a number) is a formula to Excel, so it is
/// written after an apostrophe, which Excel shows as text and hides.
fn inert(s: &str) -> std::borrow::Cow<'_, str> {
    let mut chars = s.chars();
    let formula = match chars.next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => chars
            .next()
            .is_some_and(|c| !(c.is_ascii_digit() || c == '.')),
        _ => false,
    };
    if formula {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// The outcome of cleaning: the funnel, which rows are kept (a bit per row) and the log.
#[derive(Debug, Clone)]
pub struct Cleaning {
    pub funnel: Funnel,
    kept: RowSet,
    log: Log,
}

/// The first line of `cleaning-log.csv`.
pub const LOG_NOTICE: &str = "# CONFIDENTIAL: this log names respondents (their export 序号 and row). It is for the survey team only; never publish it.";

impl Cleaning {
    pub fn is_kept(&self, row: usize) -> bool {
        u32::try_from(row).is_ok_and(|r| self.kept.contains(r))
    }

    /// The kept rows as a set of their own (a bit per row).
    pub fn kept(&self) -> KeptRows {
        KeptRows(self.kept.clone())
    }

    /// Rows of the export that are valid, ascending.
    pub fn kept_rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.kept.iter().map(|r| r as usize)
    }

    /// How many lines the log has.
    pub fn log_len(&self) -> usize {
        self.log.len
    }

    /// Every exclusion and flag, by row, handed to `f` one at a time.
    pub fn each_log_entry(&self, f: impl FnMut(LogEntry) -> io::Result<()>) -> io::Result<()> {
        self.log.each(f)
    }

    /// The whole log in memory (for small exports and tests; [`Cleaning::write_log_csv`]
    /// streams).
    pub fn log(&self) -> io::Result<Vec<LogEntry>> {
        let mut all = Vec::with_capacity(self.log.len);
        self.log.each(|e| {
            all.push(e);
            Ok(())
        })?;
        Ok(all)
    }

    /// The first entry `rule` logged, read back only as far as it (the console names it
    /// beside a rule that set many submissions aside).
    pub fn first_logged(&self, rule: RuleKind) -> io::Result<Option<LogEntry>> {
        let mut found = None;
        let read = self.log.each(|e| {
            if e.rule == rule {
                found = Some(e);
                // Stop reading: the entry is found.
                return Err(io::Error::other("found"));
            }
            Ok(())
        });
        match (read, found) {
            (_, Some(e)) => Ok(Some(e)),
            (Err(e), None) => Err(e),
            (Ok(()), None) => Ok(None),
        }
    }

    /// The log as CSV, headed by [`LOG_NOTICE`], written as it is read back.
    pub fn write_log_csv(&self, w: impl Write) -> io::Result<()> {
        let mut w = io::BufWriter::new(w);
        writeln!(w, "{LOG_NOTICE}")?;
        let mut w = csv::Writer::from_writer(w);
        w.write_record(["respondent", "row", "rule", "action", "evidence"])?;
        self.log.each(|e| {
            w.write_record([
                inert(e.respondent.as_str()).as_ref(),
                &e.row.to_string(),
                e.rule.name(),
                e.action.name(),
                inert(&e.evidence).as_ref(),
            ])?;
            Ok(())
        })?;
        w.flush()?;
        Ok(())
    }

    /// The log as CSV text (see [`Cleaning::write_log_csv`]).
    pub fn log_csv(&self) -> io::Result<String> {
        let mut out = Vec::new();
        self.write_log_csv(&mut out)?;
        String::from_utf8(out).map_err(io::Error::other)
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

    proptest::proptest! {
        #[test]
        fn identifiers_normalise_as_unicode_says_on_every_path(
            s in "[a-zA-Z0-9 \t\n\x0b\x0c\r\x1c-\x1f\u{85}\u{a0}\u{3000}ａｂＱ０９ß统一-]{0,12}"
        ) {
            // Full-width forms are the ASCII they stand for (U+FF01 is `!`, 0xFEE0 above it).
            let by_chars: String = s
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| match c {
                    '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap(),
                    c => c,
                })
                .flat_map(char::to_uppercase)
                .collect();
            proptest::prop_assert_eq!(normalise_identifier(&s), by_chars);
        }
    }

    #[test]
    fn a_mistake_in_a_rule_is_placed_at_its_field() {
        // Trial 46: serde placed both at the end of the rule, with no field named.
        let text = "{\n  \"rules\": [\n    {\"rule\": \"incomplete\"},\n    {\n      \"rule\": \"min_duration\",\n      \"seconds\": \"60s\"\n    },\n    {\"rule\": \"invalid\"}\n  ]\n}\n";
        let e = serde_json::from_str::<Rules>(text).unwrap_err();
        assert_eq!(
            rules_error(text, &e),
            "line 6: rule 2 (min_duration), field `seconds`: invalid type: string \"60s\", expected a number"
        );
        let text = text
            .replace("\"60s\"", "60")
            .replace("min_duration", "min_duraton");
        let e = serde_json::from_str::<Rules>(&text).unwrap_err();
        let message = rules_error(&text, &e);
        assert!(
            message.starts_with("line 5: rule 2 (min_duraton): unknown variant `min_duraton`")
                && !message.contains("column"),
            "{message}"
        );
        // Not a rules file at all: placed as serde places it.
        let e = serde_json::from_str::<Rules>("[1]").unwrap_err();
        assert!(rules_error("[1]", &e).starts_with("line 1 column"));
    }

    #[test]
    fn a_code_typed_in_full_width_is_the_code() {
        // Trial 45: a resubmission typed with a Chinese input method in full-width mode.
        assert_eq!(
            normalise_identifier("９１１１０１０８ＭＡ０１ｑ\u{3000}"),
            normalise_identifier("91110108ma01Q")
        );
        assert_eq!(normalise_identifier("９１\u{a0}１"), "911");
    }

    #[test]
    fn a_footprint_comes_back_as_it_went_in() {
        let fp = Footprint {
            answers_hash: u128::MAX - 7,
            identifier: 42,
            more_identifiers: Box::new([]),
            checks: Box::new([]),
            id: RespondentId::Number(720),
            submitted: 20250301090507,
            duration: 61.5,
            row: 9,
            answered: 120,
        };
        let mut out = Vec::new();
        fp.write(&mut out);
        // The usual case (numeric 序号, one identifier rule, no findings) in 66 bytes: the
        // figure behind the scratch budget in BENCHMARKS.md.
        assert_eq!(out.len(), 66);
        let rich = Footprint {
            identifier: 0,
            more_identifiers: Box::new([3, 0]),
            checks: Box::new([(Check::ExclusiveCombined, "q7 = [1, 5]: 无 与其他".into())]),
            id: RespondentId::Text("R-3".into()),
            duration: f64::NAN,
            ..fp.clone()
        };
        rich.write(&mut out);
        let mut b = Bytes { rest: &out };
        for want in [&fp, &rich] {
            let got = Footprint::read(&mut b).unwrap();
            assert_eq!(format!("{got:?}"), format!("{want:?}"));
        }
        assert!(b.rest.is_empty());
        let mut cut = Bytes { rest: &out[..70] };
        Footprint::read(&mut cut).unwrap();
        assert!(
            Footprint::read(&mut cut).is_err(),
            "a cut record is an error"
        );
    }

    #[test]
    fn packed_times_sort_as_the_times_do() {
        let t = |s| survey_import::wjx::parse_time(s).unwrap();
        assert_eq!(t("2025/3/1 9:05:07"), 20250301090507);
        assert_eq!(t("2025-03-01 09:05"), t("2025/3/1 9:05:00"));
        assert!(t("2025/3/1 23:59:59") < t("2025/3/2 0:00:00"));
        assert!(t("2025/12/31 23:59:59") < t("2026/1/1 0:00:00"));
        // Fractions of a second do not decide; nonsense is no time at all.
        assert_eq!(t("2025/3/1 9:05:07.250"), t("2025/3/1 9:05:07"));
        assert_eq!(survey_import::wjx::parse_time("2025/13/1"), None);
        assert_eq!(survey_import::wjx::parse_time("2025/3"), None);
        assert_eq!(survey_import::wjx::parse_time("昨天"), None);
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
