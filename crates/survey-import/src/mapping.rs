//! The mapping file: how an export's columns tie to a questionnaire's questions.

use std::path::Path;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_schema::Index;

use crate::ImportError;

/// How the export lays out its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// 问卷星 “下载答卷数据”: metadata columns, then questions headed `N、题干`.
    Wjx,
    /// Response records keyed by question id (JSON array or JSON Lines).
    Records,
}

/// Which of 问卷星's two download modes a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WjxMode {
    /// Decide from the headers: `第N题(选项)` columns mean code mode.
    #[default]
    Auto,
    /// 按文本: option texts, multiple choice joined with `┋`.
    Text,
    /// 按序号: option numbers, multiple choice as 0/1 columns.
    Code,
}

fn default_id_column() -> String {
    "序号".into()
}

/// Names of 问卷星's metadata columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataColumns {
    pub submitted_at: String,
    pub duration: String,
    pub source: String,
    pub source_detail: String,
    pub ip: String,
}

impl Default for MetadataColumns {
    fn default() -> Self {
        MetadataColumns {
            submitted_at: "提交答卷时间".into(),
            duration: "所用时间".into(),
            source: "来源".into(),
            source_detail: "来源详情".into(),
            ip: "来自IP".into(),
        }
    }
}

/// Cell values that stand for a missing answer.
///
/// In real 问卷星 downloads a question skipped by display logic is `(跳过)` in text mode and `-3`
/// in code mode (in every option column of a multiple-choice question); an optional question
/// left empty is `(空)` (in both modes for open text) or `-2`, or an empty cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingValues {
    /// The question was not shown (问卷星: `(跳过)`, `-3`).
    pub not_shown: Vec<String>,
    /// Shown but not answered (问卷星: `(空)`, `-2`, an empty cell).
    pub skipped: Vec<String>,
}

impl Default for MissingValues {
    fn default() -> Self {
        MissingValues {
            not_shown: vec!["(跳过)".into(), "-3".into()],
            skipped: vec!["(空)".into(), "-2".into(), "".into()],
        }
    }
}

/// A key of the mapping's `questions`: `7`, or `7.2` for a matrix row or a blank.
pub fn valid_key(k: &str) -> bool {
    let mut parts = k.split('.');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
    };
    match (parts.next(), parts.next(), parts.next()) {
        (a, None, None) => ok(a),
        (a, b @ Some(_), None) => ok(a) && ok(b),
        _ => false,
    }
}

/// Ties an export's columns to a questionnaire. Lives in the report folder, e.g.
/// `import/main.mapping.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Id of the questionnaire the export answers.
    pub questionnaire: String,
    pub layout: Layout,
    /// 问卷星 download mode.
    #[serde(default)]
    pub mode: WjxMode,
    /// Worksheet to read from a workbook; the first one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Column holding the respondent id.
    #[serde(default = "default_id_column")]
    pub respondent_id: String,
    #[serde(default)]
    pub metadata: MetadataColumns,
    /// Further columns to read past. The standard 问卷星 columns (序号, 提交答卷时间, 所用时间,
    /// 来源, 来源详情, 来自IP, 总分) are recognised without being listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_columns: Vec<String>,
    /// 问卷星 question number (the `N` of `N、题干`) → question id; `N.k` for the k-th column
    /// of a question spread over several (the rows of a matrix, the blanks of a fill-in).
    #[serde(default)]
    pub questions: IndexMap<String, String>,
    /// Per question id: export option text → option code, where the export's wording differs
    /// from the questionnaire's label (e.g. `其他【请注明】` → `other`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub option_aliases: IndexMap<String, IndexMap<String, String>>,
    /// Per question id: export option number → option code, where 问卷星's numbering differs
    /// from the questionnaire's option order. By default option N is the questionnaire's N-th.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub option_numbers: IndexMap<String, IndexMap<String, String>>,
    #[serde(default)]
    pub missing: MissingValues,
    /// Questions of the questionnaire that the export does not carry: a report leaves them out
    /// of this dataset (they are questions of no record, not questions nobody answered).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent_questions: Vec<String>,
    /// Questions whose not-shown markers (`(跳过)`, `-3`) are read as shown but not answered,
    /// because the questionnaire declares no display condition that explains them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skips_as_unanswered: Vec<String>,
    /// Ranking questions (问卷星's 排序题), by 问卷星 question number: each option's text → the
    /// whole-number question that holds the place the respondent gave that option (1 for the
    /// first); an option left out of the ranking is unanswered. In code mode (按序号) every
    /// option has a column `N、(选项)` holding its place, `0`, `-2` or an empty cell when it
    /// was not ranked; in text mode (按文本) the one column `N、题干` lists the ranked options
    /// in order, joined with `→`. A respondent's places must run 1, 2, 3… without a gap or a
    /// repeat.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub rankings: IndexMap<String, IndexMap<String, String>>,
    /// Per number question: an answer typed otherwise than as a number (`约20人`, `15-20`,
    /// `二十`) → the number it stands for, or `null` to read it as not answered. The download
    /// stays as it came; the reading of each such answer is written here, where it can be
    /// reviewed.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub number_answers: IndexMap<String, IndexMap<String, Option<f64>>>,
}

/// The separator of a text-mode ranking answer (`数据泄露→勒索病毒→内部违规`).
pub const RANK_SEPARATOR: char = '→';

impl Mapping {
    /// A mapping for response records keyed by question id.
    pub fn records(questionnaire: &str) -> Mapping {
        Mapping {
            schema: None,
            questionnaire: questionnaire.into(),
            layout: Layout::Records,
            mode: WjxMode::Auto,
            sheet: None,
            respondent_id: default_id_column(),
            metadata: MetadataColumns::default(),
            ignore_columns: vec![],
            questions: IndexMap::new(),
            option_aliases: IndexMap::new(),
            option_numbers: IndexMap::new(),
            missing: MissingValues::default(),
            absent_questions: vec![],
            skips_as_unanswered: vec![],
            rankings: IndexMap::new(),
            number_answers: IndexMap::new(),
        }
    }

    /// Read a mapping file.
    pub fn load(path: &Path) -> Result<Mapping, ImportError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ImportError::file(path, format!("cannot read the mapping: {e}")))?;
        Mapping::parse(&text, path)
    }

    /// Parse a mapping from its JSON text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Mapping, ImportError> {
        serde_json::from_str(text).map_err(|e| ImportError {
            file: path.to_owned(),
            row: Some(e.line()),
            column: Some(format!("character {}", e.column())),
            value: None,
            message: format!("not a valid mapping: {e}"),
        })
    }

    /// Check the mapping against its questionnaire: every question it names exists, every
    /// option code it names exists. `path` is used in messages.
    pub fn check(&self, index: &Index, path: &Path) -> Result<(), ImportError> {
        let mut problems = Vec::new();
        if self.questionnaire != index.id() {
            problems.push(format!(
                "names questionnaire `{}` but is used with `{}`",
                self.questionnaire,
                index.id()
            ));
        }
        let mut seen = std::collections::HashMap::new();
        for (n, qid) in &self.questions {
            if !valid_key(n) {
                problems.push(format!(
                    "`{n}` is not a 问卷星 question number (`7`, or `7.2` for the second row of a matrix or blank)"
                ));
            }
            // A question the download does not carry may be left out of the questionnaire it is
            // read with (`Index::without`).
            if index.get(qid).is_none() && !self.absent_questions.contains(qid) {
                problems.push(format!(
                    "question number {n} maps to `{qid}`, which is not a question of {}",
                    index.id()
                ));
            }
            if let Some(other) = seen.insert(qid.clone(), n.clone()) {
                problems.push(format!(
                    "question `{qid}` is mapped from both number {other} and number {n}"
                ));
            }
        }
        for (n, options) in &self.rankings {
            if !valid_key(n) || n.contains('.') {
                problems.push(format!(
                    "rankings: `{n}` is not a 问卷星 question number (`7`)"
                ));
            }
            if self.questions.contains_key(n) {
                problems.push(format!(
                    "question number {n} is both under `questions` and under `rankings`"
                ));
            }
            let distinct: std::collections::HashSet<&String> = options.values().collect();
            if distinct.len() < 2 {
                problems.push(format!(
                    "rankings: question number {n} has {} option(s); a ranking needs at least two",
                    distinct.len()
                ));
            }
            for (label, qid) in options {
                match index.get(qid) {
                    None if self.absent_questions.contains(qid) => {}
                    None => problems.push(format!(
                        "rankings: option «{label}» of number {n} maps to `{qid}`, which is not a question of {}",
                        index.id()
                    )),
                    Some(q) if !matches!(q.kind, survey_schema::QuestionKind::Integer { .. }) => {
                        problems.push(format!(
                            "rankings: `{qid}` (option «{label}» of number {n}) must be an `integer` question holding the option's place, not {}",
                            q.kind.name()
                        ))
                    }
                    Some(_) => {}
                }
                // Several texts of one ranking may name the same option (a misspelling).
                if let Some(other) = seen.insert(qid.clone(), n.clone())
                    && other != *n
                {
                    problems.push(format!(
                        "question `{qid}` is mapped from both number {other} and number {n}"
                    ));
                }
            }
        }
        for (qid, answers) in &self.number_answers {
            match index.get(qid) {
                None if self.absent_questions.contains(qid) => {}
                None => problems.push(format!(
                    "number_answers names `{qid}`, which is not a question of {}",
                    index.id()
                )),
                Some(q)
                    if !matches!(
                        q.kind,
                        survey_schema::QuestionKind::Integer { .. }
                            | survey_schema::QuestionKind::Number { .. }
                    ) =>
                {
                    problems.push(format!(
                        "number_answers names `{qid}`, which is no `integer` or `number` question but {}",
                        q.kind.name()
                    ))
                }
                Some(_) => {
                    for (typed, x) in answers {
                        if x.is_some_and(|x| !x.is_finite()) {
                            problems.push(format!(
                                "number_answers of `{qid}` reads «{typed}» as a number that is not finite"
                            ));
                        }
                    }
                }
            }
        }
        let check_codes = |what: &str,
                           table: &IndexMap<String, IndexMap<String, String>>,
                           problems: &mut Vec<String>| {
            for (qid, map) in table {
                match index.get(qid) {
                    None if self.absent_questions.contains(qid) => {}
                    None => problems.push(format!(
                        "{what} names `{qid}`, which is not a question of {}",
                        index.id()
                    )),
                    Some(q) => {
                        for (k, code) in map {
                            if q.option_index(code).is_none() {
                                problems.push(format!("{what} of `{qid}` maps `{k}` to `{code}`, which is not one of its options"));
                            }
                        }
                    }
                }
            }
        };
        check_codes("option_aliases", &self.option_aliases, &mut problems);
        check_codes("option_numbers", &self.option_numbers, &mut problems);
        // `absent_questions` may name questions left out of `index`; those that are no question
        // at all are found where they are left out (`Index::without`), or as the question they
        // were meant for having no column.
        for (field, list) in [("skips_as_unanswered", &self.skips_as_unanswered)] {
            for qid in list {
                if index.get(qid).is_none() && !self.absent_questions.contains(qid) {
                    problems.push(format!(
                        "{field} names `{qid}`, which is not a question of {}",
                        index.id()
                    ));
                }
            }
        }
        if self.layout == Layout::Wjx {
            for q in index.questions() {
                if !seen.contains_key(&q.id) && !self.absent_questions.contains(&q.id) {
                    problems.push(format!(
                        "question `{}` has no 问卷星 number; map it under `questions` or list it in `absent_questions`",
                        q.id
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ImportError::file(
                path,
                format!(
                    "the mapping does not fit the questionnaire:\n  - {}",
                    problems.join("\n  - ")
                ),
            ))
        }
    }
}
