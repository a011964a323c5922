//! 问卷星 “下载答卷数据” layouts, text mode (按文本) and code mode (按序号), both directions.
//!
//! Text mode: a column `N、题干` per question; single choice as the option text; multiple
//! choice as option texts joined with `┋`; "other" free text inside `〖…〗` after the option
//! text (`其他【请注明】〖军事国防〗`).
//!
//! Code mode: single choice as the option number (`7`, or `7.0` after a spreadsheet round
//! trip); multiple choice as one 0/1 column per option headed `第N题(选项文本)`, the option
//! text running from the first `(` to the last `)`; other text as `N^文本` or `N〖文本〗`.
//!
//! In both, `-3`/`(跳过)` mean not shown and `-2`/`(空)`/empty mean shown but not answered
//! (configurable in the mapping).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use survey_schema::{Index, OptionSet, QuestionKind, Record, Value};

use crate::mapping::{Mapping, WjxMode};
use crate::table::column_name;
use crate::{ImportError, Meta};

/// A row's cells, by column.
pub trait Cells {
    fn cell(&self, i: usize) -> &str;
    /// The cell's bytes (the fast paths look at these without making a `str`).
    fn bytes(&self, i: usize) -> &[u8] {
        self.cell(i).as_bytes()
    }
    fn count(&self) -> usize;
}

impl Cells for [&str] {
    fn cell(&self, i: usize) -> &str {
        self[i]
    }
    fn count(&self) -> usize {
        self.len()
    }
}

/// A record's fields as ranges of `data`: field i ends at `ends[i]` and the next starts `gap`
/// bytes later (1 for a line split at its commas, 0 for `csv_core`'s output). Fields end at
/// ASCII separators, so every field of valid text is valid text.
pub struct RawRow<'a> {
    pub data: &'a str,
    pub ends: &'a [usize],
    pub gap: usize,
}

impl Cells for RawRow<'_> {
    fn cell(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.gap
        };
        self.data.get(start..self.ends[i]).unwrap_or_default()
    }
    fn bytes(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.gap
        };
        &self.data.as_bytes()[start..self.ends[i]]
    }
    fn count(&self) -> usize {
        self.ends.len()
    }
}

/// The multiple-choice separator 问卷星 writes in text mode.
pub const MULTI_SEPARATOR: char = '┋';

/// Trim spaces, tabs and full-width spaces.
fn clean(s: &str) -> &str {
    // Fast path: nothing to trim when both ends are visible ASCII or the start of a non-space
    // multi-byte character (a full-width space starts with 0xE3 0x80 0x80).
    let b = s.as_bytes();
    let plain = |x: u8| x.is_ascii_graphic() || (x >= 0xC0 && x != 0xE3);
    match (b.first(), b.last()) {
        (Some(&f), Some(&l))
            if plain(f)
                && (l.is_ascii_graphic()
                    || (l >= 0x80 && !s.ends_with('\u{3000}') && !s.ends_with('\u{a0}'))) =>
        {
            s
        }
        _ => s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}'),
    }
}

#[derive(Debug)]
enum Slot {
    Single {
        q: usize,
        col: usize,
    },
    MultiText {
        q: usize,
        col: usize,
    },
    MultiCode {
        q: usize,
        cols: Vec<(usize, usize)>,
    },
    /// `markers`: the question's lowest answer is above every numeric missing-value marker, so
    /// a `-3` in it is 问卷星's "not shown", not an answer.
    Number {
        q: usize,
        col: usize,
        markers: bool,
    },
    Text {
        q: usize,
        col: usize,
    },
    /// One option's column of a code-mode ranking (`N、(选项)`): the place given to the option.
    Rank {
        q: usize,
        col: usize,
    },
    /// The one column of a text-mode ranking: the ranked options in order, joined with `→`.
    RankText {
        group: usize,
        col: usize,
    },
}

/// A ranking question (排序题): one whole-number question per option, holding its place.
#[derive(Debug)]
struct RankGroup {
    /// 问卷星 question number.
    number: String,
    /// The options' questions, in the mapping's order.
    qs: Vec<usize>,
    /// Option text, as [`option_key`] writes it → index into `qs` (several texts may name one
    /// option).
    labels: HashMap<String, usize>,
    /// The option texts, in the mapping's order, for messages.
    names: Vec<String>,
}

impl RankGroup {
    /// The option a text names.
    fn option(&self, text: &str) -> Option<usize> {
        self.labels.get(&option_key(text)).copied()
    }

    fn listed(&self) -> String {
        self.names.join(" / ")
    }
}

/// An option text as a ranking matches it: full-width letters, digits and punctuation as their
/// ASCII forms (`（第三方）` as `(第三方)`), without spaces. 问卷星's own files and a
/// questionnaire retyped in Word differ in just these.
pub fn option_key(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
            c if c.is_whitespace() => None,
            c => Some(c),
        })
        .collect()
}

/// How the columns of one export map onto a questionnaire.
#[derive(Debug)]
pub struct Plan {
    pub mode: WjxMode,
    /// Columns whose header asks something other than the question their number maps them
    /// to (see [`wording_differences`]): the column and what to say.
    pub wording: Vec<(usize, String)>,
    /// Questions with a display condition and their columns, in questionnaire order: a row
    /// whose cells are all blank there, and for which the condition is false, was not shown
    /// the question.
    blank_unshown: Vec<(usize, Vec<usize>)>,
    file: PathBuf,
    headers: Vec<String>,
    id_col: usize,
    submitted: Option<usize>,
    duration: Option<usize>,
    source: Option<usize>,
    ip: Option<usize>,
    slots: Vec<Slot>,
    /// Per question: option text → option position (labels and aliases).
    texts: Vec<HashMap<String, usize>>,
    /// Per question: 问卷星 option number → option position.
    numbers: Vec<Vec<Option<usize>>>,
    /// Missing-value markers, each with whether it is numeric (those apply to choices only).
    not_shown: Vec<(String, bool)>,
    skipped: Vec<(String, bool)>,
    questions: usize,
    /// Questions decoded as text (their buffers are reused between rows).
    text_slot: Vec<bool>,
    /// Questions whose not-shown markers count as unanswered (no display condition declared).
    skips_as_unanswered: Vec<usize>,
    /// Some missing-value marker starts with a digit (so digits need the full check).
    digit_markers: bool,
    /// Multiple-choice questions decoded from 0/1 columns.
    multi_qs: Vec<usize>,
    /// Fast path of code-mode rows: the 0/1 columns of each multiple-choice question, which
    /// 问卷星 writes side by side: (first column, index into `multi_qs`, options in column order,
    /// the first option when the options run consecutively);
    fast_multi: Vec<(usize, usize, Vec<u32>, Option<u32>)>,
    /// the 0/1 columns of questions whose columns are not side by side: (column, index, option);
    fast_multi_loose: Vec<(usize, usize, u32)>,
    /// (column, question) of every code column of a single-choice question,
    fast_single: Vec<(usize, usize)>,
    /// (column, question) of every text column; `None` when some column needs the full path.
    fast_text: Option<Vec<(usize, usize)>>,
    /// The ranking questions of the mapping.
    rankings: Vec<RankGroup>,
    /// Per question: answers typed otherwise than as numbers → the number meant, or none for
    /// not answered (the mapping's `number_answers`).
    number_answers: Vec<HashMap<String, Option<f64>>>,
}

/// The header row read as 问卷星 writes it: no header longer than [`MAX_HEADER_CHARS`], and no
/// two columns of one name (a mapping names columns by their header, so the second could not be
/// told from the first). The draft and the build both ask this, so a header the build refuses
/// is never drafted.
pub fn check_headers(headers: &[String], file: &Path) -> Result<(), ImportError> {
    let err_col = |c: usize, message: String| header_error(headers, file, c, message);
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for (c, h) in headers.iter().enumerate() {
        // A header is a question's number and wording: one of thousands of characters is
        // no 问卷星 header, and would be carried into every title, note and label.
        let chars = h.chars().count();
        if chars > MAX_HEADER_CHARS {
            return Err(ImportError {
                value: Some(crate::shorten(h, 60)),
                ..err_col(
                    c,
                    format!(
                        "a header of {chars} characters; a 问卷星 header holds a question's number and wording (at most {MAX_HEADER_CHARS} characters here)"
                    ),
                )
            });
        }
        // Blank headers are each a column that cannot be placed (or a note line above the
        // header row), said so where columns are placed.
        if clean(h).is_empty() {
            continue;
        }
        if let Some(prev) = first_seen.insert(clean(h), c) {
            return Err(err_col(
                c,
                format!(
                    "duplicate header: column {} has the same name",
                    column_name(prev, headers)
                ),
            ));
        }
    }
    Ok(())
}

/// What is wrong with header `c`: row 1, that column, its text.
fn header_error(headers: &[String], file: &Path, c: usize, message: String) -> ImportError {
    ImportError {
        file: file.to_owned(),
        row: Some(1),
        column: Some(column_name(c, headers)),
        value: Some(headers[c].clone()),
        message,
    }
}

/// The longest header read (a question's number and wording, a matrix row's stem and row).
pub const MAX_HEADER_CHARS: usize = 2_000;

impl Plan {
    /// Place every column of the header, or say which one cannot be placed.
    pub fn new(
        index: &Index,
        mapping: &Mapping,
        headers: &[String],
        file: &Path,
    ) -> Result<Plan, ImportError> {
        check_headers(headers, file)?;
        let err_col = |c: usize, message: String| header_error(headers, file, c, message);
        let roles = crate::headers::classify(
            headers,
            &mapping.metadata,
            &mapping.respondent_id,
            &mapping.ignore_columns,
        );
        let mode = match mapping.mode {
            WjxMode::Auto if crate::headers::has_option_columns(&roles) => WjxMode::Code,
            WjxMode::Auto => WjxMode::Text,
            m => m,
        };
        // Option columns the mapping keys `N.1`, `N.2` …: matrix rows or blanks headed like a
        // multiple choice's options.
        let roles = crate::headers::as_questions(roles, |n| {
            let n = n.to_string();
            mapping.questions.contains_key(&format!("{n}.1"))
                && !mapping.questions.contains_key(&n)
                && !mapping.rankings.contains_key(&n)
        });
        let roles = rows_by_wording(roles, mapping, index);
        let by_key: HashMap<&str, usize> = mapping
            .questions
            .iter()
            .filter_map(|(n, qid)| Some((n.as_str(), index.position(qid)?)))
            .collect();
        let find = |name: &str| headers.iter().position(|h| clean(h) == name);
        let id_col = find(&mapping.respondent_id).ok_or_else(|| {
            ImportError::file(
                file,
                format!(
                    "{}; if the id column has another name, set `respondent_id` in the mapping",
                    crate::table::no_id_column(file, headers, &mapping.respondent_id)
                ),
            )
        })?;
        let meta = &mapping.metadata;
        let mut texts = Vec::new();
        let mut numbers = Vec::new();
        for q in index.questions() {
            let mut t = HashMap::new();
            let mut n = HashMap::new();
            for (i, o) in q.kind.options().iter().enumerate() {
                t.insert(o.label.zh.clone(), i);
                n.insert(i as u32 + 1, i);
            }
            if let Some(aliases) = mapping.option_aliases.get(&q.id) {
                for (text, code) in aliases {
                    if let Some(i) = q.option_index(code) {
                        t.insert(text.clone(), i);
                    }
                }
            }
            if let Some(nums) = mapping.option_numbers.get(&q.id) {
                n.clear();
                for (num, code) in nums {
                    if let (Ok(k), Some(i)) = (num.parse::<u32>(), q.option_index(code)) {
                        n.insert(k, i);
                    }
                }
            }
            texts.push(t);
            // Indexed by option number, for a lookup without hashing on every cell.
            let size = n.keys().max().map_or(0, |k| *k as usize + 1);
            let mut by_number = vec![None; size];
            for (k, i) in n {
                by_number[k as usize] = Some(i);
            }
            numbers.push(by_number);
        }
        let mut single_cols: HashMap<usize, usize> = HashMap::new();
        let mut multi_cols: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
        let rankings: Vec<RankGroup> = mapping
            .rankings
            .iter()
            .map(|(number, options)| {
                let mut qs: Vec<usize> = Vec::new();
                let mut labels = HashMap::new();
                let mut names = Vec::new();
                for (label, qid) in options {
                    if let Some(q) = index.position(qid) {
                        let k = qs.iter().position(|&x| x == q).unwrap_or_else(|| {
                            qs.push(q);
                            qs.len() - 1
                        });
                        labels.insert(option_key(label), k);
                        names.push(clean(label).to_owned());
                    }
                }
                RankGroup {
                    number: number.clone(),
                    qs,
                    labels,
                    names,
                }
            })
            .collect();
        let ranking_of = |number: &str| rankings.iter().position(|g| g.number == number);
        // Per ranking, its text-mode column; per option question, its code-mode column.
        let mut rank_text_cols: HashMap<usize, usize> = HashMap::new();
        let mut rank_cols: HashMap<usize, usize> = HashMap::new();
        // A column whose number the mapping lacks: when its wording is that of a question the
        // mapping reads from another number, the download's numbers have likely shifted (a
        // question added or dropped), and that is what the message says.
        let not_mapped = |key: &str, c: usize| {
            if let Some(qid) = mapping.questions.get(key)
                && mapping.absent_questions.contains(qid)
            {
                return format!(
                    "question {key} is in the download, but the mapping lists `{qid}` in `absent_questions` (questions the download does not carry): take it out of that list"
                );
            }
            let header = match &roles[c] {
                crate::headers::Role::Question { text, .. } => Some(text.as_str()),
                crate::headers::Role::Option { text, .. } => text.as_deref(),
                _ => None,
            };
            let asked = header.and_then(|h| {
                mapping.questions.iter().find(|(n, qid)| {
                    n.as_str() != key
                        && index
                            .position(qid)
                            .is_some_and(|q| same_wording(h, &index.question(q).text.zh))
                })
            });
            match asked {
                Some((n, qid)) => format!(
                    "question {key} is not in the mapping's `questions`, but this column asks what `{qid}` asks, which the mapping reads from question {n}: if this download numbers its questions otherwise (one added or dropped before it), key `questions` by this download's numbers (\"{key}\": \"{qid}\", and so on for the others)"
                ),
                None => format!(
                    "question {key} is not in the mapping's `questions` (add \"{key}\": \"<question id>\", or list the column in `ignore_columns`)"
                ),
            }
        };
        for (c, role) in roles.iter().enumerate() {
            use crate::headers::Role;
            match role {
                Role::Meta | Role::Ignored => {}
                Role::Option { number, option, .. }
                    if ranking_of(&number.to_string()).is_some() =>
                {
                    let group = &rankings[ranking_of(&number.to_string()).unwrap_or_default()];
                    let k = group.option(option).ok_or_else(|| {
                        err_col(
                            c,
                            format!(
                                "option text «{}» is not one of ranking {}'s options in the mapping's `rankings` ({}); if it names one of them, add it there with that option's question",
                                crate::shorten(option, 60),
                                group.number,
                                group.listed()
                            ),
                        )
                    })?;
                    let q = group.qs[k];
                    if let Some(prev) = rank_cols.insert(q, c) {
                        return Err(err_col(
                            c,
                            format!(
                                "option «{}» of ranking {} already has column {}",
                                crate::shorten(option, 60),
                                group.number,
                                column_name(prev, headers)
                            ),
                        ));
                    }
                }
                Role::Question { key, .. } if ranking_of(key).is_some() => {
                    let g = ranking_of(key).unwrap_or_default();
                    if let Some(prev) = rank_text_cols.insert(g, c) {
                        return Err(err_col(
                            c,
                            format!(
                                "ranking {key} already has column {}",
                                column_name(prev, headers)
                            ),
                        ));
                    }
                }
                Role::Option { number, option, .. } => {
                    let key = number.to_string();
                    let q = *by_key
                        .get(key.as_str())
                        .ok_or_else(|| err_col(c, not_mapped(&key, c)))?;
                    let qq = index.question(q);
                    if !qq.kind.is_multiple() {
                        return Err(err_col(
                            c,
                            format!(
                                "an option column belongs to a multiple-choice question, but `{}` is {}",
                                qq.id,
                                qq.kind.name()
                            ),
                        ));
                    }
                    let o = *texts[q].get(option.as_str()).ok_or_else(|| {
                        err_col(c, format!("option text «{}» is not an option of `{}`: if the download offers an option the questionnaire lacks (one added during collection), add it to `{}`'s options in the questionnaire; if it is one of them in other words, map these words to it in the mapping's `option_aliases`", crate::shorten(option, 60), qq.id, qq.id))
                    })?;
                    let cols = multi_cols.entry(q).or_default();
                    if let Some(&(prev, _)) = cols.iter().find(|(_, oo)| *oo == o) {
                        return Err(err_col(
                            c,
                            format!(
                                "option «{}» of `{}` already has column {}",
                                crate::shorten(option, 60),
                                qq.id,
                                column_name(prev, headers)
                            ),
                        ));
                    }
                    cols.push((c, o));
                }
                Role::Question { key, .. } => {
                    let q = *by_key
                        .get(key.as_str())
                        .ok_or_else(|| err_col(c, not_mapped(key, c)))?;
                    if let Some(prev) = single_cols.insert(q, c) {
                        return Err(err_col(
                            c,
                            format!(
                                "`{}` already has column {}",
                                index.question(q).id,
                                column_name(prev, headers)
                            ),
                        ));
                    }
                }
                Role::Unknown if clean(&headers[c]).is_empty() => {
                    return Err(err_col(
                        c,
                        "this column has no header (row numbers a spreadsheet or pandas wrote, say): delete it, or list \"\" in the mapping's `ignore_columns` to read past it".into(),
                    ));
                }
                Role::Unknown => {
                    // A metadata column under another header: say which the file lacks, so
                    // that it is named rather than read past (which would turn a rule such as
                    // a time limit off).
                    let missing: Vec<String> = [
                        ("submitted_at", &meta.submitted_at),
                        ("duration", &meta.duration),
                        ("source", &meta.source),
                        ("source_detail", &meta.source_detail),
                        ("ip", &meta.ip),
                    ]
                    .iter()
                    .filter(|(_, name)| find(name).is_none())
                    .map(|(field, name)| format!("`metadata.{field}` («{name}»)"))
                    .collect();
                    let hint = if missing.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; the file has no column for the mapping's {}: if this column is one of them, set that field to «{}»",
                            missing.join(", "),
                            clean(&headers[c])
                        )
                    };
                    // `9.题干`, `9 题干`: a number with another mark than 问卷星's `、`.
                    let h = clean(&headers[c]);
                    let digits = h.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(h.len());
                    let typo = if digits > 0
                        && h[digits..].starts_with(['.', '．', ',', '，', ' ', '　', ':', '：'])
                    {
                        let rest = h[digits..]
                            .trim_start_matches(['.', '．', ',', '，', ' ', '　', ':', '：']);
                        format!(
                            "; a 问卷星 header numbers its question `{}、`: if this is question {}, correct the header to «{}、{}»",
                            &h[..digits],
                            &h[..digits],
                            &h[..digits],
                            crate::shorten(rest, 30)
                        )
                    } else {
                        String::new()
                    };
                    return Err(err_col(
                        c,
                        format!(
                            "this column cannot be placed: it is neither a 问卷星 metadata column, nor `N、题干`, nor an option column `N、(选项)` / `第N题(选项)`{hint}{typo}; otherwise list it in the mapping's `ignore_columns` to read past it"
                        ),
                    ));
                }
            }
        }
        let mut slots = Vec::new();
        for (g, group) in rankings.iter().enumerate() {
            let text = rank_text_cols.get(&g).copied();
            let coded: Vec<usize> = group
                .qs
                .iter()
                .filter_map(|q| rank_cols.get(q).copied())
                .collect();
            match (text, coded.first()) {
                (Some(col), Some(&other)) => {
                    return Err(err_col(
                        col,
                        format!(
                            "ranking {} has both this column and option columns such as {}",
                            group.number,
                            column_name(other, headers)
                        ),
                    ));
                }
                (Some(col), None) => slots.push(Slot::RankText { group: g, col }),
                (None, Some(_)) => {
                    for &q in &group.qs {
                        let col = rank_cols.get(&q).copied().ok_or_else(|| {
                            ImportError::file(
                                file,
                                format!(
                                    "ranking {} has no column for `{}`: in code mode every option has one (`{}、(选项)`)",
                                    group.number,
                                    index.question(q).id,
                                    group.number
                                ),
                            )
                        })?;
                        slots.push(Slot::Rank { q, col });
                    }
                }
                (None, None) => {
                    if group
                        .qs
                        .iter()
                        .all(|&q| mapping.absent_questions.contains(&index.question(q).id))
                    {
                        continue;
                    }
                    return Err(ImportError::file(
                        file,
                        format!(
                            "ranking {} (`rankings` in the mapping) has no column in the export",
                            group.number
                        ),
                    ));
                }
            }
        }
        // A question's number in the download, as the mapping keys it.
        let number_of = |qid: &str| {
            mapping
                .questions
                .iter()
                .find(|(_, id)| id.as_str() == qid)
                .map(|(n, _)| n.as_str())
        };
        let in_ranking: Vec<bool> = (0..index.len())
            .map(|q| rankings.iter().any(|g| g.qs.contains(&q)))
            .collect();
        for (q, question) in index.questions().iter().enumerate() {
            if in_ranking[q] {
                continue;
            }
            let single = single_cols.get(&q).copied();
            let multi = multi_cols.remove(&q);
            let slot = match (&question.kind, single, multi, mode) {
                (_, Some(_), Some(_), _) => {
                    return Err(ImportError::file(
                        file,
                        format!(
                            "question `{}` has both an `N、题干` column and option columns",
                            question.id
                        ),
                    ));
                }
                (QuestionKind::MultipleChoice { options, .. }, None, Some(cols), _) => {
                    // Every option has its 0/1 column: one without would count as chosen by
                    // nobody.
                    if let Some((k, o)) = options
                        .iter()
                        .enumerate()
                        .find(|(k, _)| !cols.iter().any(|&(_, oo)| oo == *k))
                    {
                        let n = number_of(&question.id).unwrap_or("N");
                        return Err(ImportError::file(
                            file,
                            format!(
                                "option {} «{}» of `{}` has no column `{n}({})` in the export (its other options have one each): if a column was deleted, download the file again; if the download has the option under other words, add those words to the mapping's `option_aliases`; if the download never offered it, take it out of the questionnaire",
                                k + 1,
                                crate::shorten(&o.label.zh, 60),
                                question.id,
                                crate::shorten(&o.label.zh, 60),
                            ),
                        ));
                    }
                    Slot::MultiCode { q, cols }
                }
                (QuestionKind::MultipleChoice { .. }, Some(col), None, WjxMode::Text) => {
                    Slot::MultiText { q, col }
                }
                (QuestionKind::MultipleChoice { .. }, Some(col), None, _) => {
                    return Err(err_col(
                        col,
                        format!(
                            "`{}` is multiple choice; in code mode it needs one column per option (`N、题干(选项1)`, `N、(选项2)`…). One column holding the chosen options' texts is how a 按文本 download writes it: if this is one, set `mode` to `text` in the mapping, or download the answers 按序号",
                            question.id
                        ),
                    ));
                }
                (
                    QuestionKind::SingleChoice { .. } | QuestionKind::Ordinal { .. },
                    Some(col),
                    None,
                    _,
                ) => Slot::Single { q, col },
                (
                    QuestionKind::Integer { .. } | QuestionKind::Number { .. },
                    Some(col),
                    None,
                    _,
                ) => Slot::Number {
                    q,
                    col,
                    markers: numeric_markers_are_missing(&question.kind, &mapping.missing),
                },
                (QuestionKind::Text { .. }, Some(col), None, _) => Slot::Text { q, col },
                (_, None, None, _) if mapping.absent_questions.contains(&question.id) => continue,
                (_, None, None, _) => {
                    let n = number_of(&question.id).unwrap_or_default();
                    return Err(ImportError::file(
                        file,
                        format!(
                            "question `{}` (问卷星 number {n}) has no column in the export: if a column was deleted, download the file again; if this download does not carry the question, list \"{}\" in the mapping's `absent_questions`, which leaves it out of this dataset",
                            question.id, question.id
                        ),
                    ));
                }
                _ => unreachable!(),
            };
            slots.push(slot);
        }
        let text_slot = (0..index.len())
            .map(|q| {
                slots
                    .iter()
                    .any(|s| matches!(s, Slot::Text { q: t, .. } if *t == q))
            })
            .collect();
        let mut multi_qs = Vec::new();
        let mut fast_multi = Vec::new();
        let mut fast_multi_loose = Vec::new();
        let mut fast_single = Vec::new();
        let mut fast_text = Some(Vec::new());
        for slot in &slots {
            match *slot {
                Slot::Single { q, col } if mode == WjxMode::Code => fast_single.push((col, q)),
                Slot::MultiCode { q, ref cols } => {
                    let first = cols[0].0;
                    if first > 0 && cols.iter().enumerate().all(|(j, &(c, _))| c == first + j) {
                        let options: Vec<u32> = cols.iter().map(|&(_, o)| o as u32).collect();
                        let run = options
                            .iter()
                            .enumerate()
                            .all(|(j, &o)| o == options[0] + j as u32)
                            .then_some(options[0]);
                        fast_multi.push((first, multi_qs.len(), options, run));
                    } else {
                        for &(col, o) in cols {
                            fast_multi_loose.push((col, multi_qs.len(), o as u32));
                        }
                    }
                    multi_qs.push(q);
                }
                Slot::Text { q, col } => {
                    if let Some(t) = &mut fast_text {
                        t.push((col, q));
                    }
                }
                // Numbers, rankings and text-mode answers take the full path.
                Slot::Single { .. }
                | Slot::MultiText { .. }
                | Slot::Number { .. }
                | Slot::Rank { .. }
                | Slot::RankText { .. } => fast_text = None,
            }
        }
        let wording = wording_differences(index, headers, &roles, &by_key)
            .map_err(|(c, message)| header_error(headers, file, c, message))?;
        let mut blank_unshown: Vec<(usize, Vec<usize>)> = slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::Single { q, col }
                | Slot::Number { q, col, .. }
                | Slot::Text { q, col }
                | Slot::MultiText { q, col } => Some((*q, vec![*col])),
                Slot::MultiCode { q, cols } => Some((*q, cols.iter().map(|&(c, _)| c).collect())),
                Slot::Rank { .. } | Slot::RankText { .. } => None,
            })
            .filter(|(q, _)| index.question(*q).show_if.is_some())
            .collect();
        blank_unshown.sort_by_key(|(q, _)| *q);
        Ok(Plan {
            blank_unshown,
            wording,
            mode,
            file: file.to_owned(),
            headers: headers.to_vec(),
            id_col,
            submitted: find(&meta.submitted_at),
            duration: find(&meta.duration),
            source: find(&meta.source),
            ip: find(&meta.ip),
            slots,
            texts,
            numbers,
            not_shown: mapping
                .missing
                .not_shown
                .iter()
                .map(|m| (m.clone(), parse_number(m).is_some()))
                .collect(),
            skipped: mapping
                .missing
                .skipped
                .iter()
                .map(|m| (m.clone(), parse_number(m).is_some()))
                .collect(),
            questions: index.len(),
            text_slot,
            skips_as_unanswered: mapping
                .skips_as_unanswered
                .iter()
                .filter_map(|q| index.position(q))
                .collect(),
            multi_qs,
            fast_multi,
            fast_multi_loose,
            fast_single,
            fast_text,
            rankings,
            number_answers: index
                .questions()
                .iter()
                .map(|q| {
                    mapping
                        .number_answers
                        .get(&q.id)
                        .map(|m| m.iter().map(|(t, x)| (clean(t).to_owned(), *x)).collect())
                        .unwrap_or_default()
                })
                .collect(),
            digit_markers: mapping
                .missing
                .not_shown
                .iter()
                .chain(&mapping.missing.skipped)
                .any(|m| m.starts_with(|c: char| c.is_ascii_digit())),
        })
    }

    /// The missing value a cell stands for. Numeric markers (`-2`, `-3`) apply to choice
    /// questions, to number questions whose range is above them, and to text questions of a
    /// code-mode download (`numeric`); elsewhere, in a number or text answer, they are answers.
    fn missing(&self, cell: &str, numeric: bool) -> Option<Value> {
        // Fast path: a plain number other than a marker (most cells of a code-mode export).
        if let Some(&b) = cell.as_bytes().first()
            && b.is_ascii_digit()
            && !self.digit_markers
        {
            return None;
        }
        let c = clean(cell);
        let hit = |list: &[(String, bool)]| {
            list.iter()
                .any(|(m, is_number)| (numeric || !is_number) && m == c)
        };
        if hit(&self.not_shown) {
            Some(Value::NotShown)
        } else if hit(&self.skipped) {
            Some(Value::Skipped)
        } else {
            None
        }
    }

    /// Decode one data row into a record and its metadata.
    pub fn decode(
        &self,
        index: &Index,
        row: usize,
        cells: &[String],
    ) -> Result<(Record, Meta), ImportError> {
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        let mut record = Record::blank(String::new(), self.questions);
        let mut meta = Meta::default();
        self.decode_into(index, row, cells.as_slice(), &mut record, &mut meta)?;
        Ok((record, meta))
    }

    /// Number of columns the header has.
    pub fn width(&self) -> usize {
        self.headers.len()
    }

    /// Decode a row of plain cells column by column (codes, 0/1 flags and text, no missing
    /// markers, no other-text); anything else goes to [`Plan::decode_into`], which reports errors.
    pub fn decode_raw(
        &self,
        index: &Index,
        row: usize,
        cells: &RawRow,
        record: &mut Record,
        meta: &mut Meta,
    ) -> Result<(), ImportError> {
        const MAX_MULTI: usize = 64;
        let Some(texts) = &self.fast_text else {
            return self.decode_into(index, row, cells, record, meta);
        };
        if self.digit_markers
            || cells.count() != self.headers.len()
            || record.values.len() != self.questions
            || self.multi_qs.len() > MAX_MULTI
        {
            return self.decode_into(index, row, cells, record, meta);
        }
        let (data, ends, gap) = (cells.data.as_bytes(), cells.ends, cells.gap);
        let start = |col: usize| if col == 0 { 0 } else { ends[col - 1] + gap };
        let mut bits = [0u64; MAX_MULTI];
        for (first, m, options, run) in &self.fast_multi {
            // k one-byte fields side by side span exactly 2k−1 bytes (k−1 commas between).
            let k = options.len();
            let p = start(*first);
            if gap != 1 || ends[first + k - 1] != p + 2 * k - 1 {
                return self.decode_into(index, row, cells, record, meta);
            }
            match read_01(data, p, options, *run) {
                Some(set) => bits[m & (MAX_MULTI - 1)] |= set,
                None => return self.decode_into(index, row, cells, record, meta),
            }
        }
        for &(col, m, o) in &self.fast_multi_loose {
            let s = start(col);
            if ends[col] != s + 1 {
                return self.decode_into(index, row, cells, record, meta);
            }
            match data[s] {
                b'0' => {}
                b'1' => bits[m & (MAX_MULTI - 1)] |= 1 << o,
                _ => return self.decode_into(index, row, cells, record, meta),
            }
        }
        for &(col, q) in &self.fast_single {
            match self.plain_number(q, &data[start(col)..ends[col]]) {
                Some(o) => record.values[q] = Value::Choice(o as u16),
                None => return self.decode_into(index, row, cells, record, meta),
            }
        }
        for &(col, q) in texts {
            let t = cells.cell(col);
            let c = clean(t);
            if c.is_empty() || self.missing(t, self.mode == WjxMode::Code).is_some() {
                return self.decode_into(index, row, cells, record, meta);
            }
            match &mut record.values[q] {
                Value::Text(buf) => {
                    buf.clear();
                    buf.push_str(c);
                }
                v => *v = Value::Text(c.to_owned()),
            }
        }
        for (m, &q) in self.multi_qs.iter().enumerate() {
            record.values[q] = Value::Choices(OptionSet(bits[m]));
        }
        record.other_text.clear();
        self.id_and_meta(row, cells, record, meta)
    }

    /// Decode one data row into `record`, reusing its buffers (the fast path for large files).
    pub fn decode_into<C: Cells + ?Sized>(
        &self,
        index: &Index,
        row: usize,
        cells: &C,
        record: &mut Record,
        meta: &mut Meta,
    ) -> Result<(), ImportError> {
        let err = |c: usize, message: String| self.cell_error(row, c, cells.cell(c), message);
        if cells.count() != self.headers.len() {
            return Err(ImportError {
                file: self.file.clone(),
                row: Some(row),
                column: None,
                value: None,
                message: crate::table::ragged(
                    (0..cells.count()).map(|c| cells.cell(c)),
                    cells.count(),
                    &self.headers,
                ),
            });
        }
        record.other_text.clear();
        if record.values.len() != self.questions {
            record.values = vec![Value::NotShown; self.questions];
        }
        // Every slot writes its question; keep text buffers of text questions for reuse.
        for (i, v) in record.values.iter_mut().enumerate() {
            if !(self.text_slot[i] && matches!(v, Value::Text(_))) {
                *v = Value::NotShown;
            }
        }
        for slot in &self.slots {
            match *slot {
                Slot::Single { q, col } => {
                    // Fast path: a plain option number in code mode.
                    if self.mode == WjxMode::Code
                        && let Some(o) = self.plain_number(q, cells.bytes(col))
                    {
                        record.values[q] = Value::Choice(o as u16);
                        continue;
                    }
                    let cell = cells.cell(col);
                    if let Some(v) = self.missing(cell, true) {
                        record.values[q] = v;
                        continue;
                    }
                    let (o, other) = match self.mode {
                        WjxMode::Code => self.code_choice(q, cell).map_err(|m| err(col, m))?,
                        _ => self.text_choice(q, cell).map_err(|m| err(col, m))?,
                    };
                    record.values[q] = Value::Choice(o as u16);
                    self.other(index, record, q, o, other)
                        .map_err(|m| err(col, m))?;
                }
                Slot::MultiText { q, col } => {
                    let cell = cells.cell(col);
                    if let Some(v) = self.missing(cell, true) {
                        record.values[q] = v;
                        continue;
                    }
                    let mut set = OptionSet::default();
                    for part in cell.split(MULTI_SEPARATOR) {
                        let (o, other) = self.text_choice(q, part).map_err(|m| err(col, m))?;
                        if set.contains(o) {
                            return Err(err(
                                col,
                                format!(
                                    "option «{}» is listed twice",
                                    crate::shorten(clean(part), 60)
                                ),
                            ));
                        }
                        set.insert(o);
                        self.other(index, record, q, o, other)
                            .map_err(|m| err(col, m))?;
                    }
                    record.values[q] = Value::Choices(set);
                }
                Slot::MultiCode { q, ref cols } => {
                    let mut set = OptionSet::default();
                    let mut missing: Option<(Value, usize)> = None;
                    let mut answered: Option<usize> = None;
                    // A 按文本 download may split a multiple choice too: each column holds its
                    // option's text when chosen and (空) when not.
                    let mut blank = false;
                    for &(col, o) in cols {
                        // Fast path: plain 0 or 1.
                        match cells.bytes(col) {
                            b"0" if !self.digit_markers => {
                                answered = Some(col);
                                continue;
                            }
                            b"1" if !self.digit_markers => {
                                answered = Some(col);
                                set.insert(o);
                                continue;
                            }
                            _ => {}
                        }
                        let cell = cells.cell(col);
                        if matches!(clean(cell), "(空)" | "") {
                            blank = true;
                            continue;
                        }
                        if let Some(v) = self.missing(cell, true) {
                            if let Some((prev, pc)) = &missing
                                && *prev != v
                            {
                                return Err(err(
                                    col,
                                    format!(
                                        "disagrees with column {}, which marks the question {}",
                                        column_name(*pc, &self.headers),
                                        describe(prev)
                                    ),
                                ));
                            }
                            missing = Some((v, col));
                            continue;
                        }
                        answered = Some(col);
                        let (flag, other) = split_other(clean(cell));
                        match parse_number(flag) {
                            Some(1.0) => {
                                set.insert(o);
                                self.other(index, record, q, o, other)
                                    .map_err(|m| err(col, m))?;
                            }
                            Some(x) if x == 0.0 && other.is_none() => {}
                            // The option's own text: chosen.
                            _ if let Ok((k, other)) = self.text_choice(q, clean(cell))
                                && k == o =>
                            {
                                set.insert(o);
                                self.other(index, record, q, o, other)
                                    .map_err(|m| err(col, m))?;
                            }
                            // An “other, please specify” column holding the typed text in
                            // place of the 1: chosen, with that text.
                            None if other.is_none()
                                && index.question(q).kind.options()[o].other =>
                            {
                                set.insert(o);
                                self.other(index, record, q, o, Some(clean(cell)))
                                    .map_err(|m| err(col, m))?;
                            }
                            _ => {
                                return Err(err(
                                    col,
                                    "expected 0 or 1 (chosen or not), `1^文本` or `1〖文本〗` (chosen, with an “other” option's text), the column's option text (chosen), (空) (not chosen), or a missing-value code"
                                        .into(),
                                ));
                            }
                        }
                    }
                    record.values[q] = match (missing, answered) {
                        (None, None) if blank => Value::Skipped,
                        // Every option 0: 问卷星 takes no answer that chooses nothing, so the
                        // question was left unanswered (an optional one, or an incomplete
                        // submission).
                        (None, Some(_)) if set.is_empty() => Value::Skipped,
                        (Some((_, mc)), Some(ac)) => {
                            return Err(err(
                                ac,
                                format!(
                                    "column {} marks this question as missing, yet this column answers it",
                                    column_name(mc, &self.headers)
                                ),
                            ));
                        }
                        (Some((v, _)), None) => v,
                        _ => Value::Choices(set),
                    };
                }
                Slot::Number { q, col, markers } => {
                    let cell = cells.cell(col);
                    record.values[q] = match self.missing(cell, markers) {
                        Some(v) => v,
                        None => match (
                            parse_number(clean(cell)),
                            self.number_answers[q].get(clean(cell)),
                        ) {
                            (Some(x), _) => Value::Number(x),
                            (None, Some(Some(x))) => Value::Number(*x),
                            (None, Some(None)) => Value::Skipped,
                            (None, None) => {
                                return Err(err(
                                    col,
                                    format!(
                                        "`{id}` takes a number; to read this answer as one (or as not answered), add it to the mapping's `number_answers`: \"{id}\": {{\"{}\": <the number, or null>}} (null reads it as not answered, which sets the submission aside as incomplete if `{id}` is required)",
                                        crate::shorten(clean(cell), 200).replace('"', "\\\""),
                                        id = index.question(q).id
                                    ),
                                ));
                            }
                        },
                    };
                }
                Slot::Text { q, col } => {
                    let cell = cells.cell(col);
                    // 问卷星's 按序号 downloads write `-3` and `-2` into a fill-in column too
                    // (not shown, not answered); in 按文本 ones they are typed text.
                    let markers = self.mode == WjxMode::Code;
                    match (self.missing(cell, markers), &mut record.values[q]) {
                        (Some(v), slot) => *slot = v,
                        (None, Value::Text(t)) => {
                            t.clear();
                            t.push_str(clean(cell));
                        }
                        (None, slot) => *slot = Value::Text(clean(cell).to_owned()),
                    }
                }
                Slot::Rank { q, col } => {
                    let cell = cells.cell(col);
                    let c = clean(cell);
                    record.values[q] = match self.missing(cell, true) {
                        Some(v) => v,
                        None if c == "0" => Value::Skipped,
                        None => {
                            let most = self
                                .rankings
                                .iter()
                                .find(|g| g.qs.contains(&q))
                                .map_or(0, |g| g.qs.len());
                            match c.parse::<usize>() {
                                Ok(p) if (1..=most).contains(&p) => Value::Number(p as f64),
                                _ => {
                                    return Err(err(
                                        col,
                                        format!(
                                            "expected the place given to this option (1…{most}), or 0 when it was not ranked"
                                        ),
                                    ));
                                }
                            }
                        }
                    };
                }
                Slot::RankText { group, col } => {
                    let g = &self.rankings[group];
                    let cell = cells.cell(col);
                    if let Some(v) = self.missing(cell, false) {
                        for &q in &g.qs {
                            record.values[q] = v.clone();
                        }
                        continue;
                    }
                    for &q in &g.qs {
                        record.values[q] = Value::Skipped;
                    }
                    for (place, part) in cell.split(crate::mapping::RANK_SEPARATOR).enumerate() {
                        let label = clean(part);
                        let k = g.option(label).ok_or_else(|| {
                            err(
                                col,
                                format!(
                                    "«{}» is not one of ranking {}'s options in the mapping's `rankings` ({}); if it names one of them (a misspelling), add it there with that option's question{}",
                                    crate::shorten(label, 60),
                                    g.number,
                                    g.listed(),
                                    self.respondent(cells)
                                ),
                            )
                        })?;
                        let q = g.qs[k];
                        if record.values[q] != Value::Skipped {
                            return Err(err(
                                col,
                                format!(
                                    "option «{}» is ranked twice{}",
                                    crate::shorten(label, 60),
                                    self.respondent(cells)
                                ),
                            ));
                        }
                        record.values[q] = Value::Number(place as f64 + 1.0);
                    }
                }
            }
        }
        self.check_rankings(row, cells, &mut record.values)?;
        // A blank cell is a skip marker lost (the file saved again by a spreadsheet or pandas):
        // where the question's display condition is false for this row, it was not shown.
        for (q, cols) in &self.blank_unshown {
            if record.values[*q] == Value::Skipped
                && cols.iter().all(|&c| clean(cells.cell(c)).is_empty())
                && !index.display_condition_holds(record, *q)
            {
                record.values[*q] = Value::NotShown;
            }
        }
        for &q in &self.skips_as_unanswered {
            if record.values[q] == Value::NotShown {
                record.values[q] = Value::Skipped;
            }
        }
        self.id_and_meta(row, cells, record, meta)
    }

    /// The places a respondent gave in a code-mode ranking run 1, 2, 3… without a gap or a
    /// repeat. A ranking is shown or not as a whole: an option marked not shown (`-3`) beside
    /// options given places was left out of the ranking.
    fn check_rankings<C: Cells + ?Sized>(
        &self,
        row: usize,
        cells: &C,
        values: &mut [Value],
    ) -> Result<(), ImportError> {
        for group in &self.rankings {
            // Text-mode rankings are in order by construction.
            let cols: Vec<(usize, usize)> = self
                .slots
                .iter()
                .filter_map(|s| match *s {
                    Slot::Rank { q, col } if group.qs.contains(&q) => Some((q, col)),
                    _ => None,
                })
                .collect();
            if cols.is_empty() {
                continue;
            }
            let err = |c: usize, message: String| self.cell_error(row, c, cells.cell(c), message);
            if cols.iter().any(|&(q, _)| values[q] == Value::NotShown)
                && cols
                    .iter()
                    .any(|&(q, _)| matches!(values[q], Value::Number(_)))
            {
                for &(q, _) in &cols {
                    if values[q] == Value::NotShown {
                        values[q] = Value::Skipped;
                    }
                }
            }
            let mut by_place: Vec<Option<usize>> = vec![None; cols.len()];
            for &(q, col) in &cols {
                if let Value::Number(p) = values[q] {
                    let p = p as usize;
                    if let Some(prev) = by_place[p - 1] {
                        return Err(err(
                            col,
                            format!(
                                "place {p} of ranking {} is also given in column {}: each place goes to one option (问卷星 never gives one twice: should many rows do so, 第{}题 is no 排序题 but a matrix of rows sharing one scale, say, and the report folder's questionnaire should say so, e.g. drafted again with `--questionnaire`){}",
                                group.number,
                                column_name(prev, &self.headers),
                                group.number,
                                self.respondent(cells)
                            ),
                        ));
                    }
                    by_place[p - 1] = Some(col);
                }
            }
            let ranked = by_place.iter().filter(|p| p.is_some()).count();
            if let Some(gap) = by_place[..ranked].iter().position(Option::is_none)
                && let Some(&Some(col)) = by_place[ranked..].iter().find(|p| p.is_some())
            {
                return Err(err(
                    col,
                    format!(
                        "ranking {} skips place {}: the places given run 1, 2, 3… without a gap{}",
                        group.number,
                        gap + 1,
                        self.respondent(cells)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// ` (序号 17): correct the submission in the download, or delete it there`: which
    /// submission an answer that is no ranking belongs to, and what to do.
    fn respondent<C: Cells + ?Sized>(&self, cells: &C) -> String {
        format!(
            " ({} {}): correct the submission in the download, or delete it there",
            clean(&self.headers[self.id_col]),
            clean(cells.cell(self.id_col))
        )
    }

    /// An error located at a cell of this export: file, row, column header and value.
    fn cell_error(&self, row: usize, col: usize, value: &str, message: String) -> ImportError {
        // A value that does not fit a column read as another question than its header asks:
        // the mapping's numbering is the likelier fault.
        let message = match self.wording.iter().find(|(c, _)| *c == col) {
            Some((_, w)) => format!("{message}; but {w}"),
            None => message,
        };
        ImportError {
            file: self.file.clone(),
            row: Some(row),
            column: Some(column_name(col, &self.headers)),
            value: Some(value.to_string()),
            message,
        }
    }

    /// The respondent id and the platform's metadata of a row, reusing the previous strings.
    fn id_and_meta<C: Cells + ?Sized>(
        &self,
        row: usize,
        cells: &C,
        record: &mut Record,
        meta: &mut Meta,
    ) -> Result<(), ImportError> {
        let err = |c: usize, message: String| self.cell_error(row, c, cells.cell(c), message);
        let id = whole_number(clean(cells.cell(self.id_col)));
        if id.is_empty() {
            return Err(err(self.id_col, "the respondent id is empty".into()));
        }
        record.id.clear();
        record.id.push_str(id);
        let put = |slot: &mut Option<String>, c: Option<usize>| {
            let v = c.map(|c| clean(cells.cell(c))).unwrap_or_default();
            if v.is_empty() {
                *slot = None;
            } else {
                let s = slot.get_or_insert_with(String::new);
                s.clear();
                s.push_str(v);
            }
        };
        meta.row = row;
        // 问卷星 writes both on every submission: a row without them is a line added in a
        // spreadsheet (合计, a note), and read as a submission it would be counted, and pass a
        // time limit unjudged.
        for (c, what) in [
            (self.submitted, "submission time"),
            (self.duration, "completion time"),
        ] {
            if let Some(c) = c
                && clean(cells.cell(c)).is_empty()
            {
                return Err(err(c, empty_time(what)));
            }
        }
        put(&mut meta.submitted_at, self.submitted);
        // The duplicate rules keep the first or last submission by this time: one that cannot
        // be read would silently decide wrong.
        meta.submitted_key = match (self.submitted, &meta.submitted_at) {
            (Some(_), Some(at)) => parse_time(at),
            _ => None,
        };
        if let (Some(c), Some(_)) = (self.submitted, &meta.submitted_at)
            && meta.submitted_key.is_none()
        {
            return Err(err(
                c,
                "expected a submission time such as `2025/3/28 10:05:00` or `2025-03-28 10:05`"
                    .into(),
            ));
        }
        put(&mut meta.source, self.source);
        put(&mut meta.ip, self.ip);
        meta.duration_secs = match self.duration {
            Some(c) if !clean(cells.cell(c)).is_empty() => {
                Some(parse_duration(cells.cell(c)).ok_or_else(|| {
                    err(
                        c,
                        "expected a completion time of zero or more seconds, such as `80秒`, `1分20秒` or `80`".into(),
                    )
                })?)
            }
            _ => None,
        };
        Ok(())
    }

    fn text_choice<'c>(&self, q: usize, cell: &'c str) -> Result<(usize, Option<&'c str>), String> {
        let (label, other) = split_other(clean(cell));
        let label = clean(label);
        match self.texts[q].get(label) {
            Some(&o) => Ok((o, other)),
            None => Err(format!(
                "«{}» is not an option text of this question (add it to the mapping's option_aliases)",
                crate::shorten(label, 60)
            )),
        }
    }

    /// The option of a cell that is just digits naming an existing option, when no missing
    /// marker starts with a digit.
    fn plain_number(&self, q: usize, b: &[u8]) -> Option<usize> {
        if self.digit_markers || b.is_empty() || b.len() > 4 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let k = b
            .iter()
            .fold(0usize, |acc, d| acc * 10 + (d - b'0') as usize);
        self.numbers[q].get(k).copied().flatten()
    }

    fn code_choice<'c>(&self, q: usize, cell: &'c str) -> Result<(usize, Option<&'c str>), String> {
        // Fast path: a plain option number.
        if !cell.is_empty() && cell.len() <= 4 && cell.bytes().all(|b| b.is_ascii_digit()) {
            let k: u32 = cell.parse().unwrap_or(0);
            if let Some(&Some(o)) = self.numbers[q].get(k as usize) {
                return Ok((o, None));
            }
        }
        let (num, other) = split_other(clean(cell));
        let k = match parse_number(num) {
            Some(x) if x.fract() == 0.0 && x >= 1.0 => x,
            // A number no option has: the question asks for a quantity.
            Some(_) => return Err(format!(
                "expected an option number (from 1), not {}: if the question asks for a number, make it an `integer` or `number` question in the questionnaire",
                clean(num)
            )),
            // Text where a number was expected: an option's text or alias names its option
            // (问卷星 writes a 地区题 as text in 按序号 too).
            None if self.texts[q].contains_key(clean(num)) => {
                return Ok((self.texts[q][clean(num)], other));
            }
            None => return Err("expected an option number: the mapping reads this download as 按序号 (`\"mode\": \"code\"`); if it is a 按文本 download, set `\"mode\": \"text\"` in the mapping".to_string()),
        };
        match self.numbers[q].get(k as usize) {
            Some(&Some(o)) => Ok((o, other)),
            _ => Err(format!(
                "option number {k} does not exist; this question has {} options",
                self.numbers[q].iter().filter(|x| x.is_some()).count()
            )),
        }
    }

    fn other(
        &self,
        index: &Index,
        record: &mut Record,
        q: usize,
        o: usize,
        text: Option<&str>,
    ) -> Result<(), String> {
        if let Some(t) = text {
            let opt = &index.question(q).kind.options()[o];
            if !opt.other {
                return Err(format!(
                    "carries free text 〖{}〗 on «{}», which is not an “other, please specify” option",
                    crate::shorten(t, 40),
                    opt.label.zh
                ));
            }
            if !t.is_empty() {
                record.other_text.push((q as u16, t.to_owned()));
            }
        }
        Ok(())
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::NotShown => "not shown",
        _ => "skipped",
    }
}

/// `其他【请注明】〖军事国防〗` → (`其他【请注明】`, Some(`军事国防`)); also `7^军事国防`.
fn split_other(cell: &str) -> (&str, Option<&str>) {
    if let (Some(a), Some(b)) = (cell.find('〖'), cell.rfind('〗'))
        && b > a
    {
        return (&cell[..a], Some(&cell[a + '〖'.len_utf8()..b]));
    }
    if let Some((n, t)) = cell.split_once('^')
        && parse_number(clean(n)).is_some()
    {
        return (n, Some(t));
    }
    (cell, None)
}

/// `7`, `7.0`, ` 7 ` → 7.0. A number too small to hold (`1e-400`, which parses as 0) is none.
pub fn parse_number(s: &str) -> Option<f64> {
    let s = clean(s);
    let x = s.parse::<f64>().ok().filter(|x| x.is_finite())?;
    let mantissa = s.split(['e', 'E']).next().unwrap_or_default();
    if x == 0.0 && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        return None;
    }
    Some(x)
}

/// `2026/4/18 08:00:00` or `2026-04-18 08:00` → `20260418080000`, which sorts as the times do
/// (None when the text is not such a time, or a part is out of range). An Excel date serial
/// (`46084.2201…`) is the time it stands for.
pub fn parse_time(s: &str) -> Option<u64> {
    // An Excel date serial (days since 1899-12-30, the time a fraction of a day): what a
    // spreadsheet leaves in a column that lost its date format, 46084.22 for 2026/3/3 5:17.
    // (Only text a float could be made of is tried as one: a time such as `2025/3/28 10:05`
    // is not, and is read below without the float parse's cost on every row.)
    let trimmed = s.trim();
    if trimmed
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
        && let Ok(serial) = trimmed.parse::<f64>()
        && (20_000.0..80_000.0).contains(&serial)
    {
        return Some(from_serial(serial));
    }
    // The runs of ASCII digits, in order; a run too long for a u64 saturates, and so fails
    // its limit below.
    let mut parts = [0u64; 6];
    let mut n = 0;
    let mut in_run = false;
    for b in s.bytes() {
        if b.is_ascii_digit() {
            if !in_run {
                if n == 6 {
                    break; // fractions of a second do not decide
                }
                in_run = true;
                n += 1;
            }
            let p = &mut parts[n - 1];
            *p = p.saturating_mul(10).saturating_add(u64::from(b - b'0'));
        } else {
            in_run = false;
        }
    }
    let limits = [9999, 12, 31, 23, 59, 60];
    if n < 3 || parts.iter().zip(limits).any(|(&v, max)| v > max) {
        return None;
    }
    Some(parts.iter().fold(0, |acc, &v| acc * 100 + v))
}

/// An Excel date serial as `parse_time`'s number YYYYMMDDhhmmss.
fn from_serial(serial: f64) -> u64 {
    let mut secs = (serial * 86_400.0).round() as i64;
    let days = secs.div_euclid(86_400) - 25_569; // days from 1970-01-01
    secs = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    [
        y as u64,
        m,
        d,
        (secs / 3600) as u64,
        (secs / 60 % 60) as u64,
        (secs % 60) as u64,
    ]
    .iter()
    .fold(0, |acc, &v| acc * 100 + v)
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u64, u64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `80秒`, `80`, `1分20秒`, `1小时2分3秒` → seconds.
pub fn parse_duration(s: &str) -> Option<f64> {
    let s = clean(s);
    if let Some(n) = s.strip_suffix('秒')
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        return n.parse::<u64>().ok().map(|v| v as f64);
    }
    if let Some(x) = parse_number(s) {
        return (x >= 0.0).then_some(x);
    }
    let mut total = 0.0;
    let mut num = String::new();
    let mut any = false;
    for ch in s.chars() {
        if ch.is_ascii_digit() || ch == '.' {
            num.push(ch);
            continue;
        }
        let unit = match ch {
            '秒' => 1.0,
            '分' => 60.0,
            '时' => 3600.0,
            '小' => continue,
            _ => return None,
        };
        total += num.parse::<f64>().ok()? * unit;
        num.clear();
        any = true;
    }
    (any && num.is_empty()).then_some(total)
}

// ---------------------------------------------------------------------------------------------
// Writing: the inverse, for example data and test fixtures.

/// What a 问卷星 question number of the writer holds.
enum Written {
    /// A question at this position.
    Question(usize),
    /// A ranking: its options' texts and questions, and the wording they share.
    Ranking(Vec<(String, usize)>, String),
}

/// Write records in a 问卷星 layout: the header row, then one row per record.
pub struct WjxWriter<'a> {
    index: &'a Index,
    mode: WjxMode,
    /// (question number, what it holds) in 问卷星 order.
    order: Vec<(String, Written)>,
    /// Per question: option position → text written (an alias if the mapping has one).
    texts: Vec<Vec<String>>,
    /// Per question: option position → 问卷星 option number.
    numbers: Vec<Vec<u32>>,
    mapping: &'a Mapping,
    legacy: bool,
}

impl<'a> WjxWriter<'a> {
    pub fn new(index: &'a Index, mapping: &'a Mapping, mode: WjxMode) -> WjxWriter<'a> {
        let mut order: Vec<(String, Written)> = mapping
            .questions
            .iter()
            .filter_map(|(n, qid)| Some((n.clone(), Written::Question(index.position(qid)?))))
            .collect();
        for (n, options) in &mapping.rankings {
            // An option's first text; the others name it too (misspellings read back).
            let mut written: Vec<(String, usize)> = Vec::new();
            for (label, qid) in options {
                if let Some(q) = index.position(qid)
                    && !written.iter().any(|(_, w)| *w == q)
                {
                    written.push((label.clone(), q));
                }
            }
            let options = written;
            // The wording of the first option's question, its option cut off.
            let stem = options.first().map_or_else(String::new, |(label, q)| {
                let t = &index.question(*q).text.zh;
                t.strip_suffix(label.as_str())
                    .map_or(t.as_str(), |s| s.trim_end_matches(['：', ':', '—', '-']))
                    .to_owned()
            });
            order.push((n.clone(), Written::Ranking(options, stem)));
        }
        order.sort_by_key(|(n, _)| n.parse::<u32>().unwrap_or(u32::MAX));
        let texts = index
            .questions()
            .iter()
            .map(|q| {
                q.kind
                    .options()
                    .iter()
                    .map(|o| {
                        mapping
                            .option_aliases
                            .get(&q.id)
                            .and_then(|a| {
                                a.iter()
                                    .find(|(_, code)| **code == o.code)
                                    .map(|(t, _)| t.clone())
                            })
                            .unwrap_or_else(|| o.label.zh.clone())
                    })
                    .collect()
            })
            .collect();
        let numbers = index
            .questions()
            .iter()
            .map(|q| {
                q.kind
                    .options()
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        mapping
                            .option_numbers
                            .get(&q.id)
                            .and_then(|m| {
                                m.iter()
                                    .find(|(_, code)| **code == o.code)
                                    .and_then(|(n, _)| n.parse().ok())
                            })
                            .unwrap_or(i as u32 + 1)
                    })
                    .collect()
            })
            .collect();
        WjxWriter {
            index,
            mode: if mode == WjxMode::Auto {
                WjxMode::Text
            } else {
                mode
            },
            order,
            texts,
            numbers,
            mapping,
            legacy: false,
        }
    }

    /// Write code-mode option columns in the older `第N题(选项)` form instead of
    /// `N、题干(选项1)`, `N、(选项2)`….
    pub fn legacy_headers(mut self, yes: bool) -> WjxWriter<'a> {
        self.legacy = yes;
        self
    }

    pub fn headers(&self) -> Vec<String> {
        let m = &self.mapping.metadata;
        let mut h = vec![
            self.mapping.respondent_id.clone(),
            m.submitted_at.clone(),
            m.duration.clone(),
            m.source.clone(),
            m.source_detail.clone(),
            m.ip.clone(),
        ];
        for (n, w) in &self.order {
            let q = match w {
                Written::Question(q) => q,
                Written::Ranking(options, stem) => {
                    if self.mode == WjxMode::Code {
                        for (k, (t, _)) in options.iter().enumerate() {
                            h.push(match (self.legacy, k) {
                                (true, _) => format!("第{n}题({t})"),
                                (false, 0) => format!("{n}、{stem}({t})"),
                                (false, _) => format!("{n}、({t})"),
                            });
                        }
                    } else {
                        h.push(format!("{n}、{stem}"));
                    }
                    continue;
                }
            };
            let question = self.index.question(*q);
            if self.mode == WjxMode::Code && question.kind.is_multiple() {
                for (k, t) in self.texts[*q].iter().enumerate() {
                    h.push(match (self.legacy, k) {
                        (true, _) => format!("第{n}题({t})"),
                        (false, 0) => format!("{n}、{}({t})", question.text.zh),
                        (false, _) => format!("{n}、({t})"),
                    });
                }
            } else {
                h.push(format!("{n}、{}", question.text.zh));
            }
        }
        h
    }

    /// The marker for a missing answer: numeric codes for choice questions in code mode, text
    /// markers otherwise (a number or text answer could itself be `-2`).
    fn missing(&self, v: &Value, choice: bool) -> String {
        let numeric = self.mode == WjxMode::Code && choice;
        let list = match v {
            Value::NotShown => &self.mapping.missing.not_shown,
            _ => &self.mapping.missing.skipped,
        };
        list.iter()
            .find(|m| parse_number(m).is_some() == numeric)
            .cloned()
            .unwrap_or_default()
    }

    /// One record's row.
    pub fn row(&self, record: &Record, meta: &Meta) -> Vec<String> {
        let mut row = vec![
            record.id.clone(),
            meta.submitted_at.clone().unwrap_or_default(),
            meta.duration_secs
                .map(|d| format!("{d}秒"))
                .unwrap_or_default(),
            meta.source.clone().unwrap_or_default(),
            String::new(),
            meta.ip.clone().unwrap_or_default(),
        ];
        for (_, w) in &self.order {
            let q = match w {
                Written::Question(q) => *q,
                Written::Ranking(options, _) => {
                    self.ranking(record, options, &mut row);
                    continue;
                }
            };
            let v = &record.values[q];
            let other = record.other_text(q);
            let with_other = |o: usize, base: String| match other {
                Some(t) if self.index.question(q).kind.options()[o].other => {
                    format!("{base}〖{t}〗")
                }
                _ => base,
            };
            match (v, self.mode) {
                (Value::Choices(set), WjxMode::Code) => {
                    for o in 0..self.texts[q].len() {
                        row.push(if set.contains(o) {
                            with_other(o, "1".into())
                        } else {
                            "0".into()
                        });
                    }
                }
                (Value::NotShown | Value::Skipped, WjxMode::Code)
                    if self.index.question(q).kind.is_multiple() =>
                {
                    for _ in 0..self.texts[q].len() {
                        row.push(self.missing(v, true));
                    }
                }
                (Value::NotShown | Value::Skipped, _) => {
                    row.push(self.missing(v, self.index.question(q).kind.is_choice()))
                }
                (Value::Choice(o), WjxMode::Code) => row.push(with_other(
                    *o as usize,
                    self.numbers[q][*o as usize].to_string(),
                )),
                (Value::Choice(o), _) => {
                    row.push(with_other(*o as usize, self.texts[q][*o as usize].clone()))
                }
                (Value::Choices(set), _) => row.push(
                    set.iter()
                        .map(|o| with_other(o, self.texts[q][o].clone()))
                        .collect::<Vec<_>>()
                        .join(&MULTI_SEPARATOR.to_string()),
                ),
                (Value::Number(x), _) => row.push(format!("{x}")),
                (Value::Text(t), _) => row.push(t.clone()),
            }
        }
        row
    }
}

impl WjxWriter<'_> {
    /// A ranking's cells: in code mode each option's place (0 when not ranked), in text mode
    /// the ranked options in order joined with `→`.
    fn ranking(&self, record: &Record, options: &[(String, usize)], row: &mut Vec<String>) {
        let places: Vec<(usize, &str)> = {
            let mut p: Vec<(usize, &str)> = options
                .iter()
                .filter_map(|(t, q)| match record.values[*q] {
                    Value::Number(x) => Some((x as usize, t.as_str())),
                    _ => None,
                })
                .collect();
            p.sort();
            p
        };
        let missing = options
            .iter()
            .map(|(_, q)| &record.values[*q])
            .find(|v| **v == Value::NotShown)
            .or((places.is_empty()).then_some(&Value::Skipped));
        match (missing, self.mode) {
            (Some(v), WjxMode::Code) => {
                row.extend(options.iter().map(|_| self.missing(v, true)));
            }
            (Some(v), _) => row.push(self.missing(v, false)),
            (None, WjxMode::Code) => {
                row.extend(options.iter().map(|(_, q)| match record.values[*q] {
                    Value::Number(x) => format!("{x}"),
                    _ => "0".into(),
                }))
            }
            (None, _) => row.push(
                places
                    .iter()
                    .map(|(_, t)| *t)
                    .collect::<Vec<_>>()
                    .join(&crate::mapping::RANK_SEPARATOR.to_string()),
            ),
        }
    }
}

/// The options set by k one-byte `0`/`1` fields starting at `p` (digits at even offsets, the
/// separators between them), or `None` when any field is not `0` or `1`. Branch-free: the digits
/// of survey answers are as good as random, so a branch per field would mispredict half the time.
/// When the options run consecutively from `run`, four fields are read per 8-byte word.
fn read_01(data: &[u8], p: usize, options: &[u32], run: Option<u32>) -> Option<u64> {
    const DIGITS: u64 = 0x00FF_00FF_00FF_00FF;
    const ZEROS: u64 = 0x0030_0030_0030_0030;
    const HIGH: u64 = 0x00FE_00FE_00FE_00FE;
    const LOW: u64 = 0x0001_0001_0001_0001;
    // Moves the low bits of the four 16-bit lanes to bits 45..48, with no carries.
    const GATHER: u64 = 1 | 1 << 15 | 1 << 30 | 1 << 45;
    let k = options.len();
    let mut set = 0u64;
    let mut bad = 0u64;
    let mut j = 0;
    if let Some(o0) = run {
        while j + 4 <= k && p + 2 * j + 8 <= data.len() {
            let w: [u8; 8] = data[p + 2 * j..p + 2 * j + 8].try_into().ok()?;
            let d = u64::from_le_bytes(w) & DIGITS;
            bad |= (d ^ ZEROS) & HIGH;
            let nibble = ((d & LOW).wrapping_mul(GATHER) >> 45) & 0xF;
            set |= nibble << (o0 + j as u32);
            j += 4;
        }
    }
    for (j, &o) in options.iter().enumerate().skip(j) {
        let v = data[p + 2 * j];
        bad |= u64::from((v ^ b'0') & 0xFE);
        set |= u64::from(v & 1) << o;
    }
    (bad == 0).then_some(set)
}

/// Columns whose header has little of the wording of the question their number maps them to,
/// as sentences to show: a download of a renumbered questionnaire read with last year's
/// mapping. Only letters, digits and Chinese characters are compared; a header that holds the
/// question's wording or is held in it (a note added, a stem cut), or that has at least half
/// of its characters (a stem reworded), agrees.
///
/// A header that is word for word another question's wording, not its own, is an error (the
/// column and the message): it reads that other question's answers.
fn wording_differences(
    index: &Index,
    headers: &[String],
    roles: &[crate::headers::Role],
    by_key: &HashMap<&str, usize>,
) -> Result<Vec<(usize, String)>, (usize, String)> {
    use crate::headers::Role;
    let mut out = Vec::new();
    // Each question's wording, as compared: a header that is word for word another
    // question's, not its own, reads the other question's answers (trial 43: questions 12 and
    // 13 swapped, both 是/否 and sharing most of their words).
    let mut worded: HashMap<String, Option<usize>> = HashMap::new();
    for q in 0..index.len() {
        worded
            .entry(words(&index.question(q).text.zh))
            .and_modify(|e| *e = None)
            .or_insert(Some(q));
    }
    for (c, role) in roles.iter().enumerate() {
        let (key, text) = match role {
            Role::Question { key, text, .. } if key.contains('.') => {
                // A row read by its place whose wording is not its question's, in a matrix
                // whose other rows are their questions' (the rows could not be keyed by
                // wording, see `rows_by_wording`).
                let Some(&q) = by_key.get(key.as_str()) else {
                    continue;
                };
                let label = words(row_label(text));
                let row_of = |q: usize| words(&index.question(q).text.zh).ends_with(&label);
                let number = key.split('.').next().unwrap_or_default();
                let siblings_match = roles.iter().any(|r| {
                    matches!(r, Role::Question { key: k, text: t, .. }
                    if k != key && k.split('.').next() == Some(number)
                        && by_key.get(k.as_str()).is_some_and(|&o| {
                            let l = words(row_label(t));
                            !l.is_empty() && words(&index.question(o).text.zh).ends_with(&l)
                        }))
                });
                if !label.is_empty() && !row_of(q) && siblings_match {
                    out.push((
                        c,
                        format!(
                            "column {} is read as `{}` by its place among question {number}'s columns, but `{}` asks «{}»: if a column of this question was deleted or added, download the file again, or key `questions` in the mapping so that each column reads its own row",
                            column_name(c, headers),
                            index.question(q).id,
                            index.question(q).id,
                            crate::shorten(&index.question(q).text.zh, 40),
                        ),
                    ));
                }
                continue;
            }
            Role::Question { key, text, .. } => (key.clone(), text),
            Role::Option {
                number,
                text: Some(text),
                ..
            } => (number.to_string(), text),
            _ => continue,
        };
        let Some(&q) = by_key.get(key.as_str()) else {
            continue;
        };
        let question = index.question(q);
        let (h, w) = (words(text), words(&question.text.zh));
        if !h.is_empty()
            && h != w
            && let Some(&Some(other)) = worded.get(&h)
            && other != q
        {
            return Err((
                c,
                format!(
                    "the column is read as `{}` by its number, but its header is word for word the question `{}` («{}»), so it holds that question's answers: the questionnaire was renumbered or its questions reordered; correct `questions` in the mapping",
                    question.id,
                    index.question(other).id,
                    crate::shorten(&index.question(other).text.zh, 40),
                ),
            ));
        }
        if h.is_empty() || w.is_empty() || same_wording(text, &question.text.zh) {
            continue;
        }
        // A reworded stem (贵院 for 医院) keeps most of the question's characters.
        let kept = w.chars().filter(|ch| h.contains(*ch)).count();
        if kept * 2 >= w.chars().count() {
            continue;
        }
        out.push((
            c,
            format!(
                "column {} is read as `{}` by its number, but `{}` asks «{}»; if the questionnaire was renumbered, correct `questions` in the mapping",
                column_name(c, headers),
                question.id,
                question.id,
                crate::shorten(&question.text.zh, 40),
            ),
        ));
    }
    Ok(out)
}

/// The row a matrix or fill-in column names: the text after the stem's `—` on the first
/// column (`题干—行1`), the whole text on the others (`行2`).
fn row_label(text: &str) -> &str {
    text.rsplit('—').next().unwrap_or(text)
}

/// Letters and digits only.
fn words(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Rows of a matrix (or blanks of a fill-in) are keyed `N.1`, `N.2` … by their place among the
/// columns numbered N. When each column's row wording ends the text of exactly one question the
/// mapping reads from `N.k`, and no two columns name the same one, the columns are keyed by
/// that wording instead: a row column deleted from the download is then named as the row that
/// is missing, rather than shifting the rows after it onto the wrong questions.
fn rows_by_wording(
    mut roles: Vec<crate::headers::Role>,
    mapping: &Mapping,
    index: &Index,
) -> Vec<crate::headers::Role> {
    use crate::headers::Role;
    let mut groups: HashMap<u32, Vec<usize>> = HashMap::new();
    for (c, r) in roles.iter().enumerate() {
        if let Role::Question { key, number, .. } = r
            && key.contains('.')
        {
            groups.entry(*number).or_default().push(c);
        }
    }
    for (number, cols) in groups {
        let prefix = format!("{number}.");
        let candidates: Vec<(&str, String)> = mapping
            .questions
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, qid)| Some((k.as_str(), words(&index.get(qid)?.text.zh))))
            .collect();
        let mut keys: Vec<&str> = Vec::new();
        for &c in &cols {
            let Role::Question { text, .. } = &roles[c] else {
                unreachable!()
            };
            let label = words(row_label(text));
            let mut hits = candidates
                .iter()
                .filter(|(_, w)| !label.is_empty() && w.ends_with(&label));
            match (hits.next(), hits.next()) {
                (Some((k, _)), None) if !keys.contains(k) => keys.push(k),
                _ => break,
            }
        }
        if keys.len() == cols.len() {
            for (&c, k) in cols.iter().zip(keys) {
                if let Role::Question { key, .. } = &mut roles[c] {
                    *key = k.to_owned();
                }
            }
        }
    }
    roles
}

/// Why a row without a submission or completion time (`what`) is refused: 问卷星 writes both on
/// every submission.
pub fn empty_time(what: &str) -> String {
    format!(
        "the {what} is empty, and 问卷星 writes one for every submission: if this row is no submission (a 合计 or a note added in a spreadsheet), delete it; if the file has no such times at all, delete the column"
    )
}

/// Whether a header's wording is a question's: the same letters and digits, or one holding the
/// other with at least half of it (a note or a colon added, a stem shortened a little).
fn same_wording(header: &str, question: &str) -> bool {
    let (h, w) = (words(header), words(question));
    if h.is_empty() || w.is_empty() {
        return false;
    }
    let (short, long) = if h.chars().count() <= w.chars().count() {
        (&h, &w)
    } else {
        (&w, &h)
    };
    long.contains(short.as_str()) && short.chars().count() * 2 >= long.chars().count()
}

/// `17.0` as `17`: a 序号 a spreadsheet re-saved as a decimal (trial 36: the data files and
/// the cleaning log said «1.0»). Anything else as it is.
fn whole_number(id: &str) -> &str {
    match id.split_once('.') {
        Some((whole, zeros))
            if !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && !zeros.is_empty()
                && zeros.bytes().all(|b| b == b'0') =>
        {
            whole
        }
        _ => id,
    }
}

/// Whether a number question's declared range lies above every numeric missing-value marker
/// of the mapping (`-3`, `-2`), so that such a cell cannot be an answer: 问卷星's 按序号
/// downloads write them into fill-in columns a respondent was not shown or left empty.
fn numeric_markers_are_missing(
    kind: &QuestionKind,
    missing: &crate::mapping::MissingValues,
) -> bool {
    let lowest = match kind {
        QuestionKind::Integer { min, .. } => min.map(|m| m as f64),
        QuestionKind::Number { min, .. } => *min,
        _ => None,
    };
    lowest.is_some_and(|lowest| {
        missing
            .not_shown
            .iter()
            .chain(&missing.skipped)
            .filter_map(|m| parse_number(m))
            .all(|v| v < lowest)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_serial_number_saved_as_a_decimal_is_the_whole_number() {
        assert_eq!(super::whole_number("17.0"), "17");
        assert_eq!(super::whole_number("17.00"), "17");
        assert_eq!(super::whole_number("17"), "17");
        assert_eq!(super::whole_number("17.5"), "17.5");
        assert_eq!(super::whole_number("A17.0"), "A17.0");
        assert_eq!(super::whole_number(".0"), ".0");
        assert_eq!(super::whole_number("17."), "17.");
    }

    #[test]
    fn a_number_too_small_to_hold_is_no_number() {
        // Trial 38 (C7): `1e-400` parsed as 0 and was accepted as a whole number.
        assert_eq!(super::parse_number("1e-400"), None);
        assert_eq!(super::parse_number("-2.5E-999"), None);
        assert_eq!(super::parse_number("0e-400"), Some(0.0));
        assert_eq!(super::parse_number("0.000"), Some(0.0));
        assert_eq!(super::parse_number(" 7 "), Some(7.0));
        assert_eq!(super::parse_number("1e23"), Some(1e23));
    }

    #[test]
    fn excel_date_serials_read_as_times() {
        // 2026/3/3 5:17:00, as Excel stores it when the column lost its date format.
        assert_eq!(parse_time("46084.22013888889"), Some(20260303051700));
        assert_eq!(
            parse_time("46084.22013888889"),
            parse_time("2026/3/3 5:17:00")
        );
        assert_eq!(parse_time("45658"), parse_time("2025-01-01 00:00"));
        assert_eq!(parse_time("45747.999988"), parse_time("2025/3/31 23:59:59"));
        // A count or a year is no date.
        assert_eq!(parse_time("120"), None);
        assert_eq!(parse_time("2026"), None);
    }
    use super::{parse_time, read_01, same_wording};
    use proptest::prelude::*;

    #[test]
    fn a_header_shortened_to_less_than_half_is_another_wording() {
        assert!(same_wording("您的性别：", "您的性别"));
        assert!(same_wording(
            "参与调研医院的开放床位数（张）",
            "参与调研医院的开放床位数"
        ));
        assert!(same_wording(
            "调研医院的开放床位数",
            "参与调研医院的开放床位数"
        ));
        assert!(!same_wording("床位", "参与调研医院的开放床位数"));
        assert!(!same_wording("医院级别", "开放床位数"));
        assert!(!same_wording("", "开放床位数"));
    }

    /// The obvious reading, one field at a time.
    fn naive(data: &[u8], p: usize, options: &[u32]) -> Option<u64> {
        let mut set = 0;
        for (j, &o) in options.iter().enumerate() {
            match data[p + 2 * j] {
                b'0' => {}
                b'1' => set |= 1 << o,
                _ => return None,
            }
        }
        Some(set)
    }

    /// `parse_time` as it was before its byte scanner: the text split at non-digits.
    fn parse_time_by_split(s: &str) -> Option<u64> {
        if let Ok(serial) = s.trim().parse::<f64>()
            && (20_000.0..80_000.0).contains(&serial)
        {
            return Some(super::from_serial(serial));
        }
        let mut parts = [0u64; 6];
        let mut n = 0;
        for p in s
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
        {
            if n == 6 {
                break;
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

    proptest! {
        #[test]
        fn times_read_as_the_split_read_them(
            s in "[0-9 /:.年月日eE+-]{0,24}|[0-9]{1,3}/[0-9]{1,2}/[0-9]{1,2} [0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,30})?|[2-7][0-9]{4}(\\.[0-9]{1,8})?|inf|NaN",
        ) {
            prop_assert_eq!(parse_time(&s), parse_time_by_split(&s), "{:?}", s);
        }

        #[test]
        fn word_reads_agree_with_field_reads(
            fields in prop::collection::vec(prop::sample::select(vec![b'0', b'1', b'0', b'1', b'2', b'-', b'/', b'q']), 1..40),
            o0 in 0u32..20,
            lead in 0usize..3,
            tail in 0usize..3,
        ) {
            let mut data = vec![b','; lead];
            for (j, f) in fields.iter().enumerate() {
                if j > 0 { data.push(b','); }
                data.push(*f);
            }
            data.extend(std::iter::repeat_n(b'\n', tail));
            let options: Vec<u32> = (0..fields.len() as u32).map(|j| o0 + j).collect();
            let want = naive(&data, lead, &options);
            prop_assert_eq!(read_01(&data, lead, &options, Some(o0)), want);
            prop_assert_eq!(read_01(&data, lead, &options, None), want);
        }
    }
}
