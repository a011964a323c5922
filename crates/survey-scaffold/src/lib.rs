//! # survey-scaffold
//!
//! A first report from a 问卷星 download, before anyone writes a line of JSON: it reads the
//! download (text or code mode, XLSX or CSV in any encoding) and, when given, the
//! questionnaire's plain text ([`wjxtext`]), and drafts a complete report folder —
//! questionnaire, mapping, cleaning rules, report spec with a chart and a table per question,
//! a narrative whose every number is a reference — and `REVIEW.md`, which lists every guess
//! (question kinds, option order, scales, exclusive options, identifying questions, display
//! conditions, the too-fast threshold) for the analyst to confirm.
//!
//! It only proposes: the draft is ordinary files that the builder reads like any report folder.
//! It knows the 问卷星 layout through `survey-import` and the rules through `survey-clean`, and
//! nothing of aggregation or printing.

pub mod wjxtext;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use survey_clean::{Action, Keep, RuleSpec, Rules};
use survey_import::headers::{Role, classify, clean};
use survey_import::mapping::{
    Layout, Mapping, MetadataColumns, MissingValues, RANK_SEPARATOR, WjxMode,
};
use survey_import::wjx::option_key;
use survey_schema::{
    ChoiceOption, Condition, Label, Question, QuestionKind, Questionnaire, Section,
};

use crate::wjxtext::{TextKind, TextQuestionnaire};

/// Rows read to draft the questionnaire (the whole export is read by the build).
pub const MAX_ROWS: usize = 100_000;

/// Why no draft could be made.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(transparent)]
    Import(#[from] survey_import::ImportError),
    #[error("{file}: {message}")]
    Questionnaire { file: PathBuf, message: String },
    #[error("{0}")]
    Other(String),
}

/// What to draft from.
pub struct Options<'a> {
    pub download: &'a Path,
    /// 问卷星's plain-text questionnaire (批量导入 format), for types and option order.
    pub questionnaire_text: Option<&'a Path>,
    /// The report id (the output folder's name); from the folder name when absent.
    pub id: String,
}

/// A drafted report folder: files by relative path, plus what the analyst should check.
pub struct Draft {
    pub files: Vec<(String, Vec<u8>)>,
    /// Files copied as they are, by relative path and where they are now: the download, which
    /// is not held in memory (it may be larger than what drafting reads of it).
    pub copies: Vec<(String, std::path::PathBuf)>,
    /// One line per guess (also in REVIEW.md).
    pub guesses: Vec<String>,
    pub questions: usize,
    pub rows: usize,
    pub mode: WjxMode,
}

/// The submissions read to draft, kept column by column: each column's cells in one string,
/// cut where each ends. A `Vec<String>` a row held the 100,000 rows of the CHIMA 2025
/// questionnaire in about 1 GB, an allocation a cell; and drafting reads a column at a time
/// (a question over every submission), which this keeps in one run of memory.
#[derive(Default)]
struct Answers {
    columns: Vec<Column>,
    /// How many cells each row has (rows may be short).
    widths: Vec<u32>,
}

#[derive(Default)]
struct Column {
    text: String,
    ends: Vec<u32>,
}

/// One submission of [`Answers`].
#[derive(Clone, Copy)]
struct Row<'a> {
    answers: &'a Answers,
    at: usize,
}

impl Answers {
    /// Keep `cells` as the next row; `None` once a column's text passes 4 GiB, which no
    /// download read within [`MAX_ROWS`] comes near.
    fn push(&mut self, cells: &[String]) -> Option<()> {
        let at = self.widths.len();
        while self.columns.len() < cells.len() {
            // A column first met in this row: empty in the rows before.
            self.columns.push(Column {
                text: String::new(),
                ends: vec![0; at],
            });
        }
        for (k, column) in self.columns.iter_mut().enumerate() {
            if let Some(c) = cells.get(k) {
                column.text.push_str(c);
            }
            column.ends.push(u32::try_from(column.text.len()).ok()?);
        }
        self.widths.push(u32::try_from(cells.len()).ok()?);
        Some(())
    }

    fn len(&self) -> usize {
        self.widths.len()
    }

    fn is_empty(&self) -> bool {
        self.widths.is_empty()
    }

    fn row(&self, at: usize) -> Row<'_> {
        Row { answers: self, at }
    }

    fn iter(&self) -> impl Iterator<Item = Row<'_>> + '_ {
        (0..self.len()).map(|at| self.row(at))
    }
}

impl<'a> Row<'a> {
    /// The row's cell in column `c`, if the row reaches it.
    fn get(&self, c: usize) -> Option<&'a str> {
        if c >= *self.answers.widths.get(self.at)? as usize {
            return None;
        }
        let column = self.answers.columns.get(c)?;
        let end = *column.ends.get(self.at)? as usize;
        let start = match self.at {
            0 => 0,
            k => column.ends[k - 1] as usize,
        };
        column.text.get(start..end)
    }
}

/// A coded cell while drafting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    NotShown,
    Skipped,
    /// Options chosen (bit k: option k).
    Chosen(u64),
    /// A number or text answer.
    Given,
}

/// How a drafted question reads its column(s).
#[derive(Debug, Clone)]
enum Coder {
    /// Code-mode multiple choice: one 0/1 column per option.
    Options(Vec<usize>),
    /// Text mode: option texts (`┋`-joined when multiple) → option.
    Texts {
        col: usize,
        multi: bool,
        labels: HashMap<String, usize>,
    },
    /// Code mode: option numbers 1..=k.
    Codes {
        col: usize,
        k: usize,
    },
    Number(usize),
    Text(usize),
    /// One option of a ranking in code mode: its column holds the place given to it; the
    /// ranking was not shown when every column of it says so.
    RankCode {
        col: usize,
        all: Vec<usize>,
    },
    /// One option of a ranking in text mode: the column lists the ranked options joined with →;
    /// the option's texts (as `option_key` writes them).
    RankText {
        col: usize,
        keys: Vec<String>,
    },
}

struct DraftQ {
    key: String,
    id: String,
    /// Why the kind was chosen.
    why: String,
    text: String,
    kind: QuestionKind,
    required: bool,
    /// What the questionnaire text says: `*` required, `（选填）` optional, else nothing.
    marked: Option<bool>,
    identifying: bool,
    show_if: Option<Condition>,
    coder: Coder,
    /// Data texts that differ from the label they stand for (text → code).
    aliases: IndexMap<String, String>,
    /// For one option of a ranking (排序题): the ranking's 问卷星 number and the option's text.
    ranking: Option<(String, String)>,
    /// For a number question: answers typed otherwise → the number read, or none for not
    /// answered (the mapping's `number_answers`).
    typed: IndexMap<String, Option<f64>>,
}

fn is_not_shown(s: &str) -> bool {
    matches!(s, "(跳过)" | "-3")
}
fn is_skipped(s: &str) -> bool {
    matches!(s, "(空)" | "-2" | "")
}

/// `其他【请注明】〖军事国防〗` → (`其他【请注明】`, true); in a 按序号 download `5^未定级` or
/// `5〖未定级〗` → (`5`, true).
fn strip_other(s: &str) -> (&str, bool) {
    match (s.find('〖'), s.rfind('〗')) {
        (Some(a), Some(b)) if b > a => (clean(&s[..a]), true),
        _ => match s.split_once('^') {
            Some((n, _)) if numeric(n).is_some() => (clean(n), true),
            _ => (clean(s), false),
        },
    }
}

/// An option header written with its fill-in (`其他〖〗`, `其他【请注明】`).
fn is_fill_in(option: &str) -> bool {
    let o = clean(option);
    o.contains('〖') || wjxtext::without_note(o) != o
}

fn numeric(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The report id from a folder name: lower-case letters, digits and `-`.
pub fn id_from(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id = id.trim_matches('-').to_owned();
    let id = if id.is_empty() || !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        format!("survey-{id}").trim_end_matches('-').to_owned()
    } else {
        id
    };
    // Letters the id cannot hold (智慧医院调查, x_按文本) leave their mark as a short hash of
    // the name, so that two such folders do not build into one output folder.
    if name.chars().any(|c| c.is_alphanumeric() && !c.is_ascii()) {
        let h = name.bytes().fold(0x811c_9dc5u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        format!("{id}-{:06x}", h & 0xff_ffff)
    } else {
        id
    }
}

/// The survey's title from a download's file name: `392817465_按文本_医院网络安全调查_600_600.xlsx`
/// → `医院网络安全调查`.
pub fn title_from_file(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let parts: Vec<&str> = stem.split('_').collect();
    let keep: Vec<&str> = parts
        .iter()
        .copied()
        .filter(|p| {
            !p.is_empty()
                && !p.chars().all(|c| c.is_ascii_digit())
                && !matches!(*p, "按文本" | "按序号" | "按选项序号" | "按分数")
        })
        .collect();
    let t = keep.join("_");
    (!t.is_empty()).then_some(t)
}

/// Keywords of questions that identify a respondent.
const IDENTIFYING: &[&str] = &[
    "名称",
    "姓名",
    "信用代码",
    "机构代码",
    "组织机构",
    "联系人",
    "联系电话",
    "电话",
    "手机",
    "邮箱",
    "身份证",
    "地址",
    "全称",
    "医院名",
    "单位名",
];

/// Wording that asks for a score (推荐的可能性, 请打分) rather than a quantity.
fn rates(text: &str) -> bool {
    [
        "推荐",
        "可能性",
        "打分",
        "评分",
        "分值",
        "几分",
        "0-10",
        "0～10",
        "0~10",
        "NPS",
    ]
    .iter()
    .any(|k| text.contains(k))
}

/// Wording of open questions.
fn asks_for_text(text: &str) -> bool {
    [
        "建议",
        "意见",
        "原因",
        "请说明",
        "请描述",
        "请填写",
        "请简述",
        "看法",
        "想法",
        "备注",
    ]
    .iter()
    .any(|k| text.contains(k))
}

/// The limits a multiple-choice question's wording sets on how many options are chosen:
/// `（最多选3项）`, `至少选择2项`, `限选3项`.
fn selection_limits(text: &str) -> (Option<u32>, Option<u32>) {
    let after = |marks: &[&str]| -> Option<u32> {
        marks.iter().find_map(|m| {
            let rest = &text[text.find(m)? + m.len()..];
            let digits: String = rest
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok().filter(|n| *n > 0)
        })
    };
    (
        after(&["至少选择", "至少选"]),
        after(&[
            "最多选择",
            "最多选",
            "至多选择",
            "至多选",
            "限选",
            "最多可选",
        ]),
    )
}

/// Labels that usually rule out every other option.
fn looks_exclusive(label: &str) -> bool {
    let l = clean(label);
    l == "无"
        || [
            "暂无",
            "暂未",
            // 暂时无应对方案 (trial 43: drafted as one option among others).
            "暂时无",
            "暂时没有",
            "暂时未",
            "尚未",
            "从未",
            "没有",
            "都没有",
            "均无",
            "均未",
            "以上都不",
            "以上都没",
            "以上均没",
            "以上皆无",
            "以上均无",
            "以上均不",
            "不清楚",
            "无此",
            "无明显",
            "无任何",
            "无上述",
            "无以上",
        ]
        .iter()
        .any(|p| l.starts_with(p))
}

/// A rank for scale labels (higher = more), when every label has one.
fn scale_rank(label: &str) -> Option<i32> {
    let l = clean(label);
    const STRONG_NEG: &[&str] = &["非常不", "很不", "完全不", "极不", "根本不"];
    const WEAK_NEG: &[&str] = &["不太", "比较不", "较不", "不大"];
    const MID: &[&str] = &["一般", "中立", "说不清", "不确定", "普通"];
    const SLIGHT: &[&str] = &[
        "了解一点",
        "了解一些",
        "有所了解",
        "略有了解",
        "稍有了解",
        "部分了解",
        "听说过",
    ];
    const WEAK_POS: &[&str] = &["比较", "较为", "较", "基本", "有点", "偶尔"];
    const STRONG_POS: &[&str] = &["非常", "很", "十分", "完全", "极其", "经常"];
    // Ranks leave room between the steps, so that 非常不满意 < 不满意 < 不太满意 < 一般 and
    // no two options of one scale tie (a tie would fall back to the order of the data).
    if STRONG_NEG.iter().any(|p| l.starts_with(p)) {
        return Some(10);
    }
    if WEAK_NEG.iter().any(|p| l.starts_with(p)) {
        return Some(25);
    }
    if MID.iter().any(|p| l.starts_with(p)) {
        return Some(30);
    }
    if l.starts_with('不') || l.starts_with("没有") || l == "从不" {
        return Some(20);
    }
    if STRONG_POS.iter().any(|p| l.starts_with(p)) {
        return Some(50);
    }
    // A little (了解一些): above the middle, below 比较了解.
    if SLIGHT.iter().any(|p| l.starts_with(p)) {
        return Some(35);
    }
    if WEAK_POS.iter().any(|p| l.starts_with(p)) {
        return Some(40);
    }
    if ["满意", "同意", "重要", "了解", "熟悉", "有效"].contains(&l) {
        return Some(40);
    }
    None
}

/// The first number in a label, for ordering bands (`≤250`, `251-500`, `大于5000`); labels
/// meaning "at most" sort before equal numbers.
fn band_key(label: &str) -> Option<(f64, i32)> {
    let l = clean(label);
    let start = l.find(|c: char| c.is_ascii_digit())?;
    let digits: String = l[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    // A unit after the number: 1万 is ten thousand, 10万人次 a hundred thousand.
    // The unit may follow the band's second number (5–10万元), but not when the first number
    // is the larger without it: 1000~1万人次 runs from a thousand, not from ten million.
    let rest = &l[start + digits.len()..];
    let unit_at = rest.find(|c: char| "万千亿".contains(c));
    let unit = match unit_at.and_then(|i| rest[i..].chars().next()) {
        Some('万') => 1e4,
        Some('千') => 1e3,
        Some('亿') => 1e8,
        _ => 1.0,
    };
    let first: f64 = digits.parse().ok()?;
    let second: Option<f64> = unit_at.and_then(|i| {
        let before = &rest[..i];
        let tail: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        (!tail.is_empty()).then(|| tail.parse().ok()).flatten()
    });
    let v = match second {
        Some(second) if first > second => first,
        _ => first * unit,
    };
    // Spans of time compare in hours: 4小时以内 < 4～24小时 < 1～3天 (trial 45). The unit is the
    // one right after the number, or after the band's second number (1～3天); not one further
    // on (5-10万元/年 is money).
    let after =
        rest.trim_start_matches(|c: char| c.is_ascii_digit() || "~～-—－–.至到 ".contains(c));
    let hours = [
        ("分钟", 1.0 / 60.0),
        ("小时", 1.0),
        ("天", 24.0),
        ("日", 24.0),
        ("周", 168.0),
        ("个月", 720.0),
        ("月", 720.0),
        ("年", 8760.0),
    ]
    .iter()
    .find(|(u, _)| after.starts_with(u))
    .map_or(1.0, |(_, h)| *h);
    let v = v * hours;
    let low = [
        "≤", "<", "小于", "低于", "不足", "以下", "以内", "少于", "不到",
    ]
    .iter()
    .any(|p| l.contains(p));
    let high = ["≥", ">", "大于", "以上", "超过", "多于"]
        .iter()
        .any(|p| l.contains(p));
    Some((
        v,
        if low {
            -1
        } else if high {
            1
        } else {
            0
        },
    ))
}

/// A band saying there is none of what the others count (无专项预算, 没有, 暂无, 未设立).
fn means_none(label: &str) -> bool {
    let l = clean(label);
    [
        "无",
        "没有",
        "暂无",
        "未设",
        "未配",
        "未开展",
        "未参",
        "未评",
        "未造成",
        "未发生",
        "尚未",
        "零",
    ]
    .iter()
    .any(|p| l.starts_with(p))
        && !l.chars().any(|c| c.is_ascii_digit())
        && !outside_scale(label)
}

/// A rank for labels of magnitude (低 < 较低 < 一般 < 较高 < 高, 少 … 多, 差 … 好): a degree
/// word and one character saying which way.
fn magnitude_rank(label: &str) -> Option<i32> {
    let l = clean(label);
    if ["一般", "中等", "中", "适中", "居中"].contains(&l) {
        return Some(0);
    }
    const DEGREE: &[(&str, i32)] = &[
        ("非常", 3),
        ("很", 3),
        ("极", 3),
        ("特别", 3),
        ("比较", 1),
        ("较为", 1),
        ("较", 1),
        ("偏", 1),
        ("", 2),
    ];
    const LOW: &[char] = &['低', '少', '小', '差', '弱', '慢', '短', '浅'];
    const HIGH: &[char] = &['高', '多', '大', '好', '强', '快', '长', '深'];
    DEGREE.iter().find_map(|(p, d)| {
        let mut rest = l.strip_prefix(p)?.chars();
        match (rest.next(), rest.next()) {
            (Some(c), None) if LOW.contains(&c) => Some(-d),
            (Some(c), None) if HIGH.contains(&c) => Some(*d),
            _ => None,
        }
    })
}

/// A rank for a change (明显减少 < 略有减少 < 基本不变 < 略有增加 < 明显增加).
fn change_rank(label: &str) -> Option<i32> {
    let l = clean(label);
    if [
        "不变",
        "基本不变",
        "保持不变",
        "持平",
        "基本持平",
        "无变化",
        "没有变化",
        "变化不大",
    ]
    .contains(&l)
    {
        return Some(0);
    }
    const DEGREE: &[(&str, i32)] = &[
        ("明显", 3),
        ("大幅", 3),
        ("显著", 3),
        ("大大", 3),
        ("略有", 1),
        ("稍有", 1),
        ("有所", 1),
        ("小幅", 1),
        ("略", 1),
        ("", 2),
    ];
    const DOWN: &[&str] = &["减少", "下降", "降低", "缩减", "减小"];
    const UP: &[&str] = &["增加", "上升", "提高", "增长", "扩大"];
    DEGREE.iter().find_map(|(p, d)| {
        let rest = l.strip_prefix(p)?;
        if DOWN.contains(&rest) {
            Some(-d)
        } else if UP.contains(&rest) {
            Some(*d)
        } else {
            None
        }
    })
}

/// Answers that stand outside a scale or bands (不清楚, 说不清): put after them.
fn outside_scale(label: &str) -> bool {
    [
        "不清楚",
        "不知道",
        "不了解",
        "说不清",
        "无法判断",
        "难以判断",
        "不确定",
        "不适用",
    ]
    .contains(&clean(label))
}

/// A scale in words (满意, 重要, 了解; 高/低) scored 1, 2… from its least step, as 问卷星 scores
/// a 量表题: so that it has a mean, higher for more. A questionnaire listing it from the most
/// (非常满意 first) gets its scores the other way round. Bands (床位数) and numbered scales
/// are left as they are.
fn scored(mut opts: Vec<ChoiceOption>) -> Vec<ChoiceOption> {
    let ranks = |rank: fn(&str) -> Option<i32>| -> Option<Vec<i32>> {
        opts.iter().map(|o| rank(&o.label.zh)).collect()
    };
    let Some(ranks) = ranks(scale_rank).or_else(|| ranks(magnitude_rank)) else {
        return opts;
    };
    let numbered = opts
        .iter()
        .any(|o| o.label.zh.trim().bytes().all(|b| b.is_ascii_digit()));
    if opts.len() < 3 || numbered {
        return opts;
    }
    let falling = ranks.first() > ranks.last();
    let k = opts.len() as u32;
    for (i, o) in opts.iter_mut().enumerate() {
        o.score = Some(if falling { k - i as u32 } else { i as u32 + 1 });
    }
    opts
}

/// Whether some option stands off the scale (不清楚, 说不清) while the others are on one: the
/// options are ordered, but the question is no scale.
/// A scale's option saying there is none of it (未参评, 暂无, 尚未开展), which the draft takes
/// for its least step: a guess to confirm, for «not assessed» is no level below 0级.
fn none_step_guess(id: &str, key: &str, labels: &[String]) -> Option<String> {
    let none: Vec<&String> = labels
        .iter()
        .filter(|l| band_key(l).is_none() && means_none(l))
        .collect();
    let [l] = none.as_slice() else { return None };
    Some(format!(
        "`{id}` (第{key}题) is drafted as a scale whose least step is «{l}». If «{l}» is no step of the scale (not assessed, not applicable), make the question `single_choice` in the questionnaire, so that the data files do not rank it below the others."
    ))
}

fn off_scale(labels: &[String]) -> bool {
    ordered(labels).is_none() && labels.iter().any(|l| outside_scale(l))
}

/// The whole scale that `labels` (in scale order, least first) are some steps of, when they
/// are 3 or more of the 5 steps of a common one (非常不满意 / 不满意 / 一般 / 满意 / 非常满意,
/// with 很 for 非常, or 不太 and 比较): in a 按文本 download a step no one chose is missing.
fn complete_scale(labels: &[String]) -> Option<Vec<String>> {
    if labels.len() < 3 || labels.len() >= 5 {
        return None;
    }
    let core = |l: &str| -> Option<String> {
        let l = clean(l);
        if l == "一般" {
            return None;
        }
        let rest = ["非常不", "很不", "不太", "比较", "非常", "很", "不"]
            .iter()
            .find_map(|p| l.strip_prefix(p))
            .unwrap_or(l);
        (!rest.is_empty()).then(|| rest.to_owned())
    };
    let mut cores: Vec<String> = labels.iter().filter_map(|l| core(l)).collect();
    cores.sort();
    cores.dedup();
    let [x] = cores.as_slice() else { return None };
    let families: [[String; 5]; 3] = [
        [
            format!("非常不{x}"),
            format!("不{x}"),
            "一般".into(),
            x.clone(),
            format!("非常{x}"),
        ],
        [
            format!("很不{x}"),
            format!("不{x}"),
            "一般".into(),
            x.clone(),
            format!("很{x}"),
        ],
        [
            format!("非常不{x}"),
            format!("不太{x}"),
            "一般".into(),
            format!("比较{x}"),
            format!("非常{x}"),
        ],
    ];
    families
        .iter()
        .find(|f| labels.iter().all(|l| f.iter().any(|s| s == clean(l))))
        .map(|f| f.to_vec())
}

/// An order for the options of a scale or banded question, if every label gives one, or
/// every label but answers such as 不清楚, which then come last.
fn ordinal_order(labels: &[String]) -> Option<Vec<usize>> {
    ordered(labels).or_else(|| {
        let (outside, inside): (Vec<usize>, Vec<usize>) =
            (0..labels.len()).partition(|&i| outside_scale(&labels[i]));
        if outside.is_empty() {
            return None;
        }
        let kept: Vec<String> = inside.iter().map(|&i| labels[i].clone()).collect();
        let order = ordered(&kept)?;
        Some(order.iter().map(|&k| inside[k]).chain(outside).collect())
    })
}

/// The order a questionnaire lists some unordered options in, when the data cannot say: 是
/// before 否 (and 不清楚 last), and hospital levels from 三级 down (甲 before 乙, 未定级 and 其他
/// last). None unless every label has a place, no two the same.
fn conventional_order(labels: &[String]) -> Option<Vec<usize>> {
    let yes_no = |l: &str| match l {
        "是" | "有" => Some(0),
        "否" | "无" | "没有" => Some(1),
        "不清楚" | "不确定" | "不知道" | "说不清" => Some(2),
        _ => None,
    };
    let level = |l: &str| {
        let grade = |l: &str| {
            if l.contains('甲') {
                0
            } else if l.contains('乙') {
                1
            } else if l.contains('丙') {
                2
            } else {
                0
            }
        };
        if let Some(i) = ["三级", "二级", "一级"]
            .iter()
            .position(|k| l.starts_with(k))
        {
            Some(10 * i as i32 + grade(l))
        } else if l.starts_with("未定级") {
            Some(30)
        } else if l.starts_with("其他") || l.starts_with("其它") {
            Some(40)
        } else {
            None
        }
    };
    for rank in [
        &yes_no as &dyn Fn(&str) -> Option<i32>,
        &level as &dyn Fn(&str) -> Option<i32>,
    ] {
        let Some(ranks) = labels
            .iter()
            .map(|l| rank(l.trim()))
            .collect::<Option<Vec<i32>>>()
        else {
            continue;
        };
        let mut distinct = ranks.clone();
        distinct.sort();
        distinct.dedup();
        // Something to put in order, and at least two of the family's own (not 其他 alone).
        if distinct.len() == ranks.len() && ranks.iter().filter(|&&r| r < 30).count() >= 2 {
            let mut idx: Vec<usize> = (0..labels.len()).collect();
            idx.sort_by_key(|&i| ranks[i]);
            return Some(idx);
        }
    }
    None
}

/// [`ordinal_order`] when every label gives an order: bands, scales, magnitudes.
fn ordered(labels: &[String]) -> Option<Vec<usize>> {
    if labels.len() < 3 {
        return None;
    }
    let mut idx: Vec<usize> = (0..labels.len()).collect();
    // Bands, one of which may say there is none (无专项预算, 暂无): that one comes first.
    let none = labels
        .iter()
        .filter(|l| band_key(l).is_none() && means_none(l))
        .count();
    if let Some(keys) = labels
        .iter()
        .map(|l| band_key(l).or_else(|| (none == 1 && means_none(l)).then_some((0.0, -2))))
        .collect::<Option<Vec<_>>>()
    {
        idx.sort_by(|&a, &b| {
            keys[a]
                .0
                .partial_cmp(&keys[b].0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(keys[a].1.cmp(&keys[b].1))
        });
        return Some(idx);
    }
    // Degrees (很低…很高) and changes (明显减少…明显增加): every label ranked, no two alike.
    for rank in [magnitude_rank as fn(&str) -> Option<i32>, change_rank] {
        if let Some(ranks) = labels.iter().map(|l| rank(l)).collect::<Option<Vec<i32>>>() {
            let mut distinct = ranks.clone();
            distinct.sort();
            distinct.dedup();
            if distinct.len() == ranks.len() {
                idx.sort_by_key(|&i| ranks[i]);
                return Some(idx);
            }
        }
    }
    let ranks: Vec<i32> = labels
        .iter()
        .map(|l| scale_rank(l))
        .collect::<Option<_>>()?;
    let mut distinct = ranks.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() < 3 {
        return None;
    }
    idx.sort_by_key(|&i| ranks[i]);
    Some(idx)
}

/// The label in the questionnaire text a data value stands for, ignoring `【请注明】`-style notes
/// and spaces.
fn match_label(value: &str, labels: &[String]) -> Option<usize> {
    let norm = |s: &str| -> String {
        let mut s = clean(s).to_owned();
        for note in ["【请注明】", "(请注明)", "（请注明）", "请注明", "：", ":"] {
            s = s.replace(note, "");
        }
        s.chars().filter(|c| !c.is_whitespace()).collect()
    };
    let v = norm(value);
    labels
        .iter()
        .position(|l| clean(l) == clean(value))
        .or_else(|| labels.iter().position(|l| norm(l) == v))
}

/// China's provincial divisions in the national order (GB/T 2260), as 问卷星's 地区题 writes
/// them.
const PROVINCES: [&str; 34] = [
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "内蒙古自治区",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "广西壮族自治区",
    "海南省",
    "重庆市",
    "四川省",
    "贵州省",
    "云南省",
    "西藏自治区",
    "陕西省",
    "甘肃省",
    "青海省",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "台湾省",
    "香港特别行政区",
    "澳门特别行政区",
];

/// «除“其他”外，» before «the most chosen» of a question with options listed after the ranked
/// ones (其他, 无): `most1` ranks only the others, and one of those may have been chosen more
/// (trial 37: «选择最多的是“维修维护”（43.15%）» beside 其他 at 44.81%).
fn except_pinned(id: &str, options: &[ChoiceOption]) -> String {
    let pinned: Vec<String> = options
        .iter()
        .filter(|o| o.is_pinned_last())
        .map(|o| format!("“{{main.{id}.{}.label}}”", o.code))
        .collect();
    if pinned.is_empty() {
        String::new()
    } else {
        format!("除{}外，", pinned.join("、"))
    }
}

/// Excel's day numbers of 1970-01-01 and 2100-01-01: a whole number between them, answering a
/// question that asks for a date, is a date saved without its format.
const EXCEL_1970: f64 = 25569.0;
const EXCEL_2100: f64 = 73051.0;

/// Whether a question's wording asks for a date (上线时间, 成立日期), not a duration (用时,
/// 时长, 小时).
fn asks_for_a_date(wording: &str) -> bool {
    let duration = [
        "用时",
        "时长",
        "小时",
        "分钟",
        "耗时",
        "天数",
        "多长",
        "工作时间",
        "响应时间",
    ]
    .iter()
    .any(|d| wording.contains(d));
    !duration
        && ["日期", "时间", "年月", "何时", "哪一年", "哪年"]
            .iter()
            .any(|d| wording.contains(d))
}

/// Excel's day number as a date (`2023-02-04`), counted from 1899-12-30.
fn excel_date(serial: f64) -> String {
    // Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = serial as i64 - EXCEL_1970 as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The codes of [`PROVINCES`], as CHIMA's questionnaires have them: the same province has the
/// same code in every survey drafted, so two waves' 地区题 line up by code.
const PROVINCE_CODES: [&str; 34] = [
    "beijing",
    "tianjin",
    "hebei",
    "shanxi",
    "nei_mongol",
    "liaoning",
    "jilin",
    "heilongjiang",
    "shanghai",
    "jiangsu",
    "zhejiang",
    "anhui",
    "fujian",
    "jiangxi",
    "shandong",
    "henan",
    "hubei",
    "hunan",
    "guangdong",
    "guangxi",
    "hainan",
    "chongqing",
    "sichuan",
    "guizhou",
    "yunnan",
    "xizang",
    "shaanxi",
    "gansu",
    "qinghai",
    "ningxia",
    "xinjiang",
    "taiwan",
    "hong_kong",
    "macao",
];

/// The province a 地区题 answer names (`广东省-广州市-天河区`, `北京市`): its place in
/// [`PROVINCES`].
fn province_of(answer: &str) -> Option<usize> {
    let first = clean(answer.split(['-', '－']).next().unwrap_or(""));
    PROVINCES.iter().position(|p| *p == first)
}

/// The first question line of `path`, if it reads as a questionnaire in 问卷星's text form
/// (a small file only: a questionnaire's text is a few KiB).
fn questionnaire_text_in(path: &Path) -> Option<String> {
    let bytes = survey_schema::read_regular_bytes(path, 8 << 20).ok()?;
    let q = wjxtext::parse(&decode_text(&bytes)).ok()?;
    let first = q.questions.first()?;
    Some(format!("{}. {}", first.number, first.text))
}

/// Draft a report folder.
pub fn draft(opts: &Options) -> Result<Draft, ScaffoldError> {
    let text_q: Option<TextQuestionnaire> = match opts.questionnaire_text {
        Some(p) => {
            // A questionnaire's text is a few KiB: a device, a pipe or a huge file is refused.
            let bytes = survey_schema::read_regular_bytes(p, 8 << 20).map_err(|e| {
                ScaffoldError::Questionnaire {
                    file: p.to_owned(),
                    message: format!("cannot read: {e}"),
                }
            })?;
            // The two files given the other way round (trial 46): said so, not «no question».
            let swapped = |what: &str| ScaffoldError::Questionnaire {
                file: p.to_owned(),
                message: format!(
                    "{what}, not the questionnaire as text (问卷星's 批量导入 form, `1. 题干[单选题]` and its options line by line); give the download with --from and the questionnaire text with --questionnaire"
                ),
            };
            if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
                return Err(swapped("is an Excel workbook (a download?)"));
            }
            let text = decode_text(&bytes);
            let first = text
                .trim_start_matches('\u{feff}')
                .lines()
                .next()
                .unwrap_or("");
            if first.split([',', '\t']).next().map(clean) == Some("序号") {
                return Err(swapped(
                    "is a 问卷星 download (its header starts with 序号)",
                ));
            }
            Some(
                wjxtext::parse(&text).map_err(|message| ScaffoldError::Questionnaire {
                    file: p.to_owned(),
                    message,
                })?,
            )
        }
        None => None,
    };
    let table = survey_import::table::open_table(opts.download, None)?;
    let headers = table.headers.clone();
    // The questionnaire text given as the download (trial 46): said so, not «no 序号».
    if !headers.iter().any(|h| clean(h) == "序号")
        && let Some(line) = questionnaire_text_in(opts.download)
    {
        return Err(ScaffoldError::Other(format!(
            "{}: is the questionnaire as text («{}»…), not a download; give it with --questionnaire, and the download (问卷星's 下载答卷数据, .csv or .xlsx) with --from",
            opts.download.display(),
            short(&line, 30)
        )));
    }
    // What the build would refuse in the header, refused before anything is drafted.
    survey_import::wjx::check_headers(&headers, opts.download)?;
    let format = table.format;
    let encoding = table.encoding;
    let meta = MetadataColumns::default();
    let roles = classify(&headers, &meta, "序号", &[]);
    let find = |name: &str| headers.iter().position(|h| clean(h) == name);
    if find("序号").is_none() {
        return Err(ScaffoldError::Other(format!(
            "{}: {} (new-report drafts from the first sheet: move the download's sheet first, or save it as a file of its own)",
            opts.download.display(),
            survey_import::table::no_id_column(opts.download, &headers, "序号")
        )));
    }
    let mut rows = Answers::default();
    let mut total_rows = 0usize;
    let mut last_day: Option<(u16, u32, u32)> = None;
    let times = [
        (find("提交答卷时间"), "submission time"),
        (find("所用时间"), "completion time"),
    ];
    // Rows holding nothing are passed over by the reader (they keep their numbers): the gaps.
    let mut blank_rows: Vec<usize> = Vec::new();
    let mut next_row = 2;
    for r in table.rows {
        let (row, cells) = r?;
        if blank_rows.len() < 1000 {
            blank_rows.extend((next_row..row).take(1000));
        }
        next_row = row + 1;
        // A line added in a spreadsheet (合计, a note) is no submission: drafted from, it
        // would make every question look optional. The build refuses it so too.
        for (c, what) in times {
            if let Some(c) = c
                && cells.get(c).is_none_or(|v| clean(v).is_empty())
            {
                return Err(survey_import::ImportError {
                    file: opts.download.to_owned(),
                    row: Some(row),
                    column: Some(survey_import::table::column_name(c, &headers)),
                    value: Some(String::new()),
                    message: survey_import::wjx::empty_time(what),
                }
                .into());
            }
        }
        total_rows += 1;
        if let Some(day) = times[0]
            .0
            .and_then(|c| cells.get(c))
            .and_then(|v| day_of(v))
        {
            last_day = last_day.max(Some(day));
        }
        if rows.len() < MAX_ROWS {
            rows.push(&cells).ok_or_else(|| {
                ScaffoldError::Other(format!(
                    "{}: a column passes 4 GiB by row {row}; no 问卷星 download comes near (is this the download?)",
                    opts.download.display()
                ))
            })?;
        }
    }
    // The survey's year, and a first edition date: the last submission's.
    let (year, date) = last_day.map_or((2026, "2026-01-01".to_owned()), |(y, m, d)| {
        (y, format!("{y:04}-{m:02}-{d:02}"))
    });
    if rows.is_empty() {
        return Err(ScaffoldError::Other(format!(
            "{}: the export holds a header but no answers; download it again once responses have come in",
            opts.download.display()
        )));
    }
    let mut guesses: Vec<String> = Vec::new();
    if !blank_rows.is_empty() {
        let shown: Vec<String> = blank_rows.iter().take(5).map(usize::to_string).collect();
        guesses.push(format!(
            "{} row(s) hold nothing in any cell (row {}{}): no submission, so left out of the draft; the build leaves them out too, and 问卷星's count of answers should not include them.",
            if blank_rows.len() >= 1000 { "1,000 or more".to_owned() } else { blank_rows.len().to_string() },
            shown.join(", "),
            if blank_rows.len() > 5 { ", …" } else { "" }
        ));
    }
    // What stops the drafted folder from building (submissions that are no valid answers).
    let mut blocking: Vec<String> = Vec::new();
    let id_col = headers.iter().position(|h| clean(h) == "序号");
    let respondent = |r: Row| {
        format!(
            "序号 {}",
            id_col.and_then(|c| r.get(c)).map_or("?", |v| clean(v))
        )
    };
    let file_name = opts
        .download
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export.csv".into());
    let hint_code = file_name.contains("按序号") || file_name.contains("按选项序号");
    let hint_text = file_name.contains("按文本");
    // 问卷星 names the download after its mode; the name wins. Without it (a renamed file),
    // the answers say: one column per option (`N(选项)`) is 按序号's form of a multiple choice,
    // but 按文本 writes a matrix's rows and a fill-in's blanks so too. So the questions of one
    // column decide, when some look like choices: option numbers (1, 2, 3) are 按序号, option
    // texts (三级甲等, 全面开展) 按文本.
    let code_mode = hint_code
        || (!hint_text
            && survey_import::headers::has_option_columns(&roles)
            && answers_read_as_codes(&roles, &rows).unwrap_or(true));
    // Option columns that are each a question of their own, keyed N.1, N.2 … (the mapping
    // then says so): those the questionnaire calls a matrix, a fill-in or a kind of its own,
    // and, without it, those holding neither choices (0/1) nor places (1…number of options)
    // nor their own option's text, such as scale words or amounts.
    let split: std::collections::HashSet<u32> = {
        let mut cols_of: IndexMap<u32, Vec<(usize, &str)>> = IndexMap::new();
        for (c, r) in roles.iter().enumerate() {
            if let Role::Option { number, option, .. } = r {
                cols_of
                    .entry(*number)
                    .or_default()
                    .push((c, option.as_str()));
            }
        }
        cols_of
            .iter()
            .filter(|(n, cols)| {
                match text_q
                    .as_ref()
                    .and_then(|t| t.question(**n))
                    .map(|t| &t.kind)
                {
                    Some(
                        TextKind::MatrixSingle
                        | TextKind::MatrixMultiple
                        | TextKind::MultiFill
                        | TextKind::FillIn
                        | TextKind::Other(_),
                    ) => true,
                    Some(_) => false,
                    // A place above 1 given to two options in many rows: no ranking (问卷星
                    // gives each place once) but rows sharing a scale, a matrix.
                    None if places_repeat(cols, &rows) => true,
                    None => cols.iter().any(|&(c, option)| {
                        // An “other, please specify” column (其他〖〗) may hold the typed text
                        // in place of the 1.
                        let fill_in = is_fill_in(option);
                        rows.iter().any(|r| {
                            let v = clean(r.get(c).unwrap_or(""));
                            let v = strip_other(v).0;
                            !(v.is_empty()
                                || is_not_shown(v)
                                || is_skipped(v)
                                || clean(option) == v
                                || v.parse::<usize>().is_ok_and(|p| p <= cols.len())
                                || (fill_in && numeric(v).is_none()))
                        })
                    }),
                }
            })
            .map(|(n, _)| *n)
            .collect()
    };
    let roles = survey_import::headers::as_questions(roles, |n| split.contains(&n));
    // Group the columns by question.
    struct Group {
        key: String,
        number: u32,
        text: Option<String>,
        note: Option<String>,
        cols: Vec<(usize, Option<String>)>,
        options: bool,
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut ignore_columns = Vec::new();
    for (c, role) in roles.iter().enumerate() {
        match role {
            Role::Meta | Role::Ignored => {}
            Role::Unknown => {
                ignore_columns.push(clean(&headers[c]).to_owned());
                guesses.push(format!(
                    "Column {} «{}» is not a 问卷星 question or metadata column; the mapping reads past it (`ignore_columns`).",
                    survey_import::table::column_name(c, &headers),
                    clean(&headers[c])
                ));
            }
            Role::Option {
                number,
                option,
                text,
            } => match groups.iter_mut().find(|g| g.options && g.number == *number) {
                Some(g) => {
                    g.cols.push((c, Some(option.clone())));
                    if g.text.is_none() {
                        g.text = text.clone();
                    }
                }
                None => groups.push(Group {
                    key: number.to_string(),
                    number: *number,
                    text: text.clone(),
                    note: None,
                    cols: vec![(c, Some(option.clone()))],
                    options: true,
                }),
            },
            Role::Question {
                key,
                number,
                text,
                note,
            } => groups.push(Group {
                key: key.clone(),
                number: *number,
                text: Some(text.clone()),
                note: note.clone(),
                cols: vec![(c, None)],
                options: false,
            }),
        }
    }
    if groups.is_empty() {
        return Err(ScaffoldError::Other(format!(
            "{}: no question columns (`N、题干`) found",
            opts.download.display()
        )));
    }
    let col_values = |c: usize| rows.iter().map(move |r| r.get(c).unwrap_or(""));
    // Matrix stems: `题干—行1` gives the stem for the rows after it.
    let mut stems: HashMap<u32, String> = HashMap::new();
    let mut qs: Vec<DraftQ> = Vec::new();
    for g in &groups {
        let id = format!("q{}", g.key.replace('.', "_"));
        // Option columns holding ranks (2, 3…) rather than 0/1: a ranking question, unless
        // the questionnaire calls it something else.
        if g.options
            && text_q
                .as_ref()
                .and_then(|t| t.question(g.number))
                .is_none_or(|t| t.kind == TextKind::Ranking)
            && g.cols.iter().any(|(c, o)| {
                // Neither chosen or not (0/1) nor the column's own option text (a 按文本
                // download split by option): places.
                let own = clean(o.as_deref().unwrap_or_default());
                // An “other, please specify” column (其他〖〗) may hold the typed text in place
                // of the 1: chosen, not a place.
                let fill_in = is_fill_in(own);
                col_values(*c).map(clean).any(|v| {
                    let v = strip_other(v).0;
                    !(is_not_shown(v)
                        || is_skipped(v)
                        || matches!(v, "0" | "1")
                        || v == own
                        || (fill_in && numeric(v).is_none()))
                })
            })
        {
            let tq = text_q.as_ref().and_then(|t| t.question(g.number));
            let stem = tq
                .map(|t| t.text.clone())
                .or_else(|| g.text.as_deref().map(|t| clean(t).to_owned()))
                .unwrap_or_default();
            // Rows whose places repeat or leave a gap: the build stops at them.
            let cols: Vec<usize> = g.cols.iter().map(|(c, _)| *c).collect();
            let bad: Vec<String> = rows
                .iter()
                .filter(|r| {
                    let mut places: Vec<usize> = cols
                        .iter()
                        .filter_map(|&c| clean(r.get(c).unwrap_or("")).parse::<usize>().ok())
                        .filter(|&p| p > 0)
                        .collect();
                    places.sort_unstable();
                    places.iter().enumerate().any(|(i, &p)| p != i + 1)
                })
                .map(&respondent)
                .collect();
            let labels: Vec<(String, Coder)> = g
                .cols
                .iter()
                .map(|(c, o)| {
                    (
                        clean(o.as_deref().unwrap_or_default()).to_owned(),
                        Coder::RankCode {
                            col: *c,
                            all: g.cols.iter().map(|(c, _)| *c).collect(),
                        },
                    )
                })
                .collect();
            push_ranking(
                &mut qs,
                &mut guesses,
                &g.key,
                &stem,
                labels,
                "its option columns hold the places given (1 = first; 0, -2 or empty when not ranked)",
            );
            if !bad.is_empty() {
                blocking.push(format!(
                    "第{}题 (a ranking): {} submission(s) give one place to two options or leave a place out: {}. The build stops at the first of them; correct or delete them in the download.",
                    g.key,
                    bad.len(),
                    listed(&bad)
                ));
            }
            continue;
        }
        // A column of options joined with → in rank order: a ranking in a 按文本 download.
        if !g.options
            && !g.key.contains('.')
            && col_values(g.cols[0].0)
                .map(clean)
                .any(|v| v.contains(RANK_SEPARATOR))
            && col_values(g.cols[0].0).map(clean).all(|v| !v.contains('┋'))
        {
            let c = g.cols[0].0;
            let tq = text_q.as_ref().and_then(|t| t.question(g.number));
            let stem = tq
                .map(|t| t.text.clone())
                .or_else(|| g.text.as_deref().map(|t| clean(t).to_owned()))
                .unwrap_or_default();
            // The options: the questionnaire's, else every one ranked, as first met; a text
            // that differs only in full- or half-width forms or spaces is the same option.
            let mut labels: Vec<String> = tq.map(|t| t.options.clone()).unwrap_or_default();
            let asked = labels.len();
            let mut ranked_in = vec![0usize; labels.len()];
            let mut twice = Vec::new();
            let mut answering = 0usize;
            for (r, v) in col_values(c).map(clean).enumerate() {
                if is_not_shown(v) || is_skipped(v) {
                    continue;
                }
                answering += 1;
                let mut seen = Vec::new();
                for part in v.split(RANK_SEPARATOR).map(clean).filter(|p| !p.is_empty()) {
                    let key = option_key(part);
                    let k = match labels.iter().position(|l| option_key(l) == key) {
                        Some(k) => k,
                        None => {
                            labels.push(part.to_owned());
                            ranked_in.push(0);
                            labels.len() - 1
                        }
                    };
                    if seen.contains(&k) {
                        twice.push(respondent(rows.row(r)));
                    } else {
                        seen.push(k);
                        ranked_in[k] += 1;
                    }
                }
            }
            let most = ranked_in.iter().copied().max().unwrap_or(0);
            let rare: Vec<(String, usize)> = labels
                .iter()
                .zip(&ranked_in)
                .enumerate()
                .filter(|&(k, (_, &n))| {
                    k >= asked && n > 0 && n <= (answering / 50).max(1) && n * 10 <= most
                })
                .map(|(_, (l, &n))| (l.clone(), n))
                .collect();
            // One text in the data that no questionnaire option matches, and one option no one
            // ranked, the one text holding the other (供应链攻击 and 供应链攻击(第三方)): the same
            // option, worded otherwise.
            let mut renamed: Vec<(usize, String)> = Vec::new();
            let never: Vec<usize> = (0..asked).filter(|&k| ranked_in[k] == 0).collect();
            let extra: Vec<usize> = (asked..labels.len()).collect();
            if let ([k], [x]) = (never.as_slice(), extra.as_slice()) {
                let (a, b) = (option_key(&labels[*k]), option_key(&labels[*x]));
                if a.contains(&b) || b.contains(&a) {
                    renamed.push((*k, labels[*x].clone()));
                    ranked_in[*k] = ranked_in[*x];
                    labels.truncate(*x);
                    ranked_in.truncate(*x);
                }
            }
            let unknown: Vec<String> = labels[asked..].to_vec();
            let labels: Vec<(String, Coder)> = labels
                .into_iter()
                .enumerate()
                .map(|(k, l)| {
                    let mut keys = vec![option_key(&l)];
                    keys.extend(
                        renamed
                            .iter()
                            .filter(|(r, _)| *r == k)
                            .map(|(_, t)| option_key(t)),
                    );
                    (l, Coder::RankText { col: c, keys })
                })
                .collect();
            let first = qs.len();
            push_ranking(
                &mut qs,
                &mut guesses,
                &g.key,
                &stem,
                labels,
                "its column lists the ranked options in order, joined with →",
            );
            for (k, text) in &renamed {
                let q = &mut qs[first + k];
                q.aliases.insert(text.clone(), q.id.clone());
                guesses.push(format!(
                    "第{}题: the data write the option «{}» of the questionnaire as «{text}» (no one ranked «{}», and «{text}» is no option of the questionnaire): «{text}» is read as that option (`{}`, under `rankings` in the mapping). Check it.",
                    g.key,
                    q.ranking.as_ref().map_or("", |(_, l)| l.as_str()),
                    q.ranking.as_ref().map_or("", |(_, l)| l.as_str()),
                    q.id
                ));
            }
            let id_of = |label: &str| {
                qs[first..]
                    .iter()
                    .find(|q| q.ranking.as_ref().is_some_and(|(_, l)| l == label))
                    .map_or_else(String::new, |q| q.id.clone())
            };
            if asked == 0 {
                guesses.push(format!(
                    "第{}题's options are listed in the order they are first met in the data ({}), which need not be the questionnaire's: reorder them (the questions `{}`…, the mapping's `rankings` and the `@ranking` block), or draft again with `--questionnaire`.",
                    g.key,
                    listed(&unknown.iter().map(|l| format!("«{l}»")).collect::<Vec<_>>()),
                    qs[first].id
                ));
            } else if !unknown.is_empty() {
                guesses.push(format!(
                    "第{}题: {} in the data {} not an option in the questionnaire text; {} added as an option. If one is another option written otherwise, map it to that option's question in the mapping's `rankings` and drop its question.",
                    g.key,
                    listed(&unknown.iter().map(|l| format!("«{l}»")).collect::<Vec<_>>()),
                    if unknown.len() == 1 { "is" } else { "are" },
                    if unknown.len() == 1 { "it is" } else { "they are" }
                ));
            }
            for (l, n) in &rare {
                guesses.push(format!(
                    "第{}题: «{l}» is ranked in only {} of {answering} submissions, while another option is ranked in {most}. If it is a misspelling of an option, it must not count as an option of its own (every score would be out of one point more): in the mapping's `rankings`, map «{l}» to that option's question instead of `{}`, and remove `{}` from the questionnaire and from the `@ranking` block.",
                    g.key,
                    n,
                    id_of(l),
                    id_of(l)
                ));
            }
            if !twice.is_empty() {
                blocking.push(format!(
                    "第{}题 (a ranking): {} submission(s) rank an option twice: {}. The build stops at the first of them; correct or delete them in the download.",
                    g.key,
                    twice.len(),
                    listed(&twice)
                ));
            }
            continue;
        }
        let tq = text_q.as_ref().and_then(|t| t.question(g.number));
        let row_index: Option<usize> = g
            .key
            .split_once('.')
            .and_then(|(_, k)| k.parse::<usize>().ok())
            .map(|k| k - 1);
        let raw_text = g.text.clone().unwrap_or_default();
        let text = match row_index {
            Some(k) => {
                let (stem, row) = match raw_text.split_once('—') {
                    Some((s, r)) => {
                        stems.insert(g.number, clean(s).to_owned());
                        (clean(s).to_owned(), clean(r).to_owned())
                    }
                    None => (
                        stems
                            .get(&g.number)
                            .cloned()
                            .or_else(|| tq.map(|t| t.text.clone()))
                            .unwrap_or_default(),
                        clean(&raw_text).to_owned(),
                    ),
                };
                // A matrix's row is what the download's header says (the data follow the
                // headers); the questionnaire text's rows only name rows the header does not.
                let row = match tq.and_then(|t| t.rows.get(k).cloned()) {
                    Some(t_row)
                        if tq.is_some_and(|t| {
                            matches!(t.kind, TextKind::MatrixSingle | TextKind::MatrixMultiple)
                        }) && !row.is_empty() =>
                    {
                        if option_key(&t_row) != option_key(&row) {
                            guesses.push(format!(
                                "第{}题: row {} of the matrix is «{row}» in the download's header but «{t_row}» in the questionnaire text; the header's is used, since the data follow it. If the questionnaire text's rows are out of step (a matrix's first line there lists the scale, e.g. `非常不满意 不满意 一般 满意 非常满意`), correct it.",
                                g.number,
                                k + 1
                            ));
                        }
                        row
                    }
                    Some(t_row) => t_row,
                    None => row,
                };
                if stem.is_empty() {
                    row
                } else {
                    format!("{}：{row}", stem.trim_end_matches(['：', ':']))
                }
            }
            None => tq
                .map(|t| t.text.clone())
                .unwrap_or_else(|| clean(&raw_text).to_owned()),
        };
        let text = if text.is_empty() {
            // A matrix left unnamed is asked for where its narrative is drafted.
            if !g.key.contains('.') {
                guesses.push(format!(
                    "`{id}` (第{}题): the download's header gives no wording for this question (its columns are headed by their options only), so its text, heading and caption read «第{}题». Write its wording into the questionnaire's `text` and narrative/report.md, or draft again with --questionnaire.",
                    g.key, g.key
                ));
            }
            format!("第{}题", g.key)
        } else {
            text
        };
        let mut aliases = IndexMap::new();
        let mut typed_answers: IndexMap<String, Option<f64>> = IndexMap::new();
        // Options the data give a text beside (其他〖…〗, `1^…`), by label or number.
        let mut seen_other: Vec<String> = Vec::new();
        let (kind, coder, why) = if g.options {
            for (k, (c, _)) in g.cols.iter().enumerate() {
                if col_values(*c).any(|v| strip_other(clean(v)).1) {
                    seen_other.push((k + 1).to_string());
                }
            }
            // Code-mode multiple choice: options from the headers, in order.
            let labels: Vec<String> = match tq {
                Some(t) if t.options.len() == g.cols.len() => {
                    // A header's option text that is not the questionnaire's label (a note
                    // kept, a space) names that label.
                    for ((_, header), (k, label)) in g.cols.iter().zip(t.options.iter().enumerate())
                    {
                        if let Some(h) = header
                            && clean(h) != clean(label)
                        {
                            aliases.insert(h.clone(), format!("o{}", k + 1));
                        }
                    }
                    t.options.clone()
                }
                _ => g
                    .cols
                    .iter()
                    .map(|(_, o)| o.clone().unwrap_or_default())
                    .collect(),
            };
            (
                QuestionKind::MultipleChoice {
                    options: options(&labels),
                    min_selections: None,
                    max_selections: None,
                },
                Coder::Options(g.cols.iter().map(|(c, _)| *c).collect()),
                "multiple choice: one 0/1 column per option".to_owned(),
            )
        } else {
            let c = g.cols[0].0;
            let answered: Vec<&str> = col_values(c)
                .map(clean)
                .filter(|v| !is_not_shown(v) && !is_skipped(v))
                .collect();
            let multi_sep = answered.iter().any(|v| v.contains('┋'));
            // Numbers as they stand, or an option's number with its other text (`5^未定级`).
            let number = |v: &str| numeric(strip_other(v).0);
            let all_numeric = !answered.is_empty() && answered.iter().all(|v| number(v).is_some());
            let all_ints = all_numeric
                && answered
                    .iter()
                    .all(|v| number(v).is_some_and(|x| x.fract() == 0.0));
            let max_int = answered
                .iter()
                .filter_map(|v| number(v))
                .fold(0.0f64, f64::max);
            // The most options a 按序号 column of whole numbers is taken to number: 30, or 34
            // for a question on the province (a 下拉框 of 31 provinces, or 34 with 港澳台),
            // which no count of anything asks.
            let max_options = if asks_for_province(&text) { 34.0 } else { 30.0 };
            // A count or amount: no answer below zero.
            let none_negative = answered.iter().filter_map(|v| number(v)).all(|x| x >= 0.0);
            // Option numbers start at 1: a 0 (or less) is a number someone typed.
            let below_one = answered.iter().filter_map(|v| number(v)).any(|x| x < 1.0);
            let has_zero = answered.iter().filter_map(|v| number(v)).any(|x| x == 0.0);
            let below_zero = answered.iter().filter_map(|v| number(v)).any(|x| x < 0.0);
            // Distinct labels in order of first appearance (other text stripped).
            let mut distinct: Vec<String> = Vec::new();
            let mut counts: HashMap<String, usize> = HashMap::new();
            let mut other_labels: Vec<String> = Vec::new();
            let seen_other = &mut seen_other;
            for v in &answered {
                let parts: Vec<&str> = if multi_sep {
                    v.split('┋').collect()
                } else {
                    vec![v]
                };
                for p in parts {
                    let (label, other) = strip_other(p);
                    if other && !other_labels.iter().any(|o| o == label) {
                        other_labels.push(label.to_owned());
                    }
                    if !counts.contains_key(label) {
                        distinct.push(label.to_owned());
                    }
                    *counts.entry(label.to_owned()).or_default() += 1;
                }
            }
            seen_other.extend(other_labels.iter().cloned());
            let text_kind = tq.map(|t| match t.kind {
                TextKind::MatrixSingle if row_index.is_some() => TextKind::Single,
                // A 矩阵多选题's row: a multiple choice of the matrix's options, in a 按文本
                // download (a 按序号 one joins option numbers, which is drafted apart below).
                TextKind::MatrixMultiple if row_index.is_some() && !code_mode => TextKind::Multiple,
                _ => t.kind.clone(),
            });
            // Kinds the questionnaire text names but whose columns read like others': a
            // 多级下拉题 (省-市) is a 地区题 when its answers are places, and a 按序号 矩阵多选题's
            // rows are read as without the text. Drafted from the answers, rather than kept as
            // text and never tabulated (trial 36).
            let from_answers = matches!(&text_kind, Some(TextKind::MatrixMultiple))
                || matches!(&text_kind, Some(TextKind::Other(k)) if k == "多级下拉题");
            if from_answers && (!g.key.contains('.') || g.key.ends_with(".1")) {
                guesses.push(format!(
                    "第{}题 is a {} in the questionnaire text: {} drafted from {} answers, as it would be without the text; check the options and their order.",
                    g.number,
                    match &text_kind {
                        Some(TextKind::Other(k)) => k.as_str(),
                        Some(TextKind::MatrixMultiple) => "矩阵多选题",
                        _ => "",
                    },
                    if g.key.contains('.') { "each of its rows is" } else { "it is" },
                    if g.key.contains('.') { "that row's" } else { "its" },
                ));
            }
            let text_kind = if from_answers { None } else { text_kind };
            let tq = if from_answers { None } else { tq };
            let from_text: Option<Vec<String>> = tq
                .filter(|t| !t.options.is_empty())
                .map(|t| t.options.clone());
            match text_kind {
                Some(TextKind::Multiple) => {
                    let mut labels = from_text.unwrap_or_default();
                    add_unlisted(&mut labels, &distinct, &mut aliases, &mut guesses, &id);
                    (
                        QuestionKind::MultipleChoice {
                            options: options(&labels),
                            min_selections: None,
                            max_selections: None,
                        },
                        Coder::Texts {
                            col: c,
                            multi: true,
                            labels: HashMap::new(),
                        },
                        "multiple choice (questionnaire text)".to_owned(),
                    )
                }
                Some(TextKind::Single | TextKind::Scale | TextKind::MatrixSingle) => {
                    let mut labels = from_text.unwrap_or_default();
                    // In a 按序号 download, a number beyond the questionnaire's options is a
                    // mistaken answer, not an option of its own: the submissions are listed to
                    // correct, the others still read as option numbers.
                    let beyond: Vec<String> = if code_mode
                        && all_ints
                        && !hint_text
                        && !labels.is_empty()
                        && max_int as usize > labels.len()
                    {
                        col_values(c)
                            .enumerate()
                            .filter(|(_, v)| {
                                number(clean(v)).is_some_and(|x| x < 1.0 || x > labels.len() as f64)
                            })
                            .map(|(r, v)| format!("{} («{}»)", respondent(rows.row(r)), clean(v)))
                            .collect()
                    } else {
                        Vec::new()
                    };
                    if !beyond.is_empty() {
                        blocking.push(format!(
                            "第{}题: the questionnaire text gives it {} options, but {} submission(s) answer with an option number beyond them: {}. Correct them in the download, or, if the questionnaire has more options, add them to the questionnaire text and draft again.",
                            g.key,
                            labels.len(),
                            beyond.len(),
                            listed(&beyond)
                        ));
                    }
                    let codes = all_ints
                        && max_int >= 1.0
                        && (max_int as usize <= labels.len().max(1) || !beyond.is_empty())
                        && !hint_text;
                    if !codes {
                        add_unlisted(&mut labels, &distinct, &mut aliases, &mut guesses, &id);
                    }
                    // An answer off the scale (不清楚) makes the options ordered but not a scale.
                    let scale =
                        (matches!(text_kind, Some(TextKind::Scale | TextKind::MatrixSingle))
                            || ordinal_order(&labels).is_some())
                            && !off_scale(&labels);
                    let mut opts = options(&labels);
                    mark_other(&mut opts, &other_labels, codes);
                    if scale && let Some(g) = none_step_guess(&id, &g.key, &labels) {
                        guesses.push(g);
                    }
                    (
                        if scale {
                            QuestionKind::Ordinal {
                                options: scored(opts),
                            }
                        } else {
                            QuestionKind::SingleChoice { options: opts }
                        },
                        if codes {
                            Coder::Codes {
                                col: c,
                                k: labels.len(),
                            }
                        } else {
                            Coder::Texts {
                                col: c,
                                multi: false,
                                labels: HashMap::new(),
                            }
                        },
                        format!(
                            "{} (questionnaire text)",
                            if scale {
                                "single choice on a scale"
                            } else {
                                "single choice"
                            }
                        ),
                    )
                }
                // A 0–10 (or 1–5, 1–10) rating in a 按文本 download holds its scores as text:
                // a scale labelled with its scores, every step an option, chosen or not.
                None if !code_mode
                    && all_ints
                    && !below_zero
                    && (4.0..=10.0).contains(&max_int)
                    && rates(&text) =>
                {
                    let low = usize::from(!(has_zero || text.contains("推荐")));
                    let high = if max_int <= 5.0 && low == 1 { 5 } else { 10 };
                    let labels: Vec<String> = (low..=high).map(|k| k.to_string()).collect();
                    guesses.push(format!(
                        "`{id}` (第{}题) is taken for a rating from {low} to {high}: a scale whose options are the scores (every step an option, chosen or not), so that it has a table, a chart and, in the drafted `@numeric_summary`, a mean. If it asks for a quantity, make it an `integer` question.",
                        g.key
                    ));
                    (
                        QuestionKind::Ordinal {
                            options: options(&labels),
                        },
                        Coder::Texts {
                            col: c,
                            multi: false,
                            labels: HashMap::new(),
                        },
                        // Its own range (trial 47: a 1–5 rating was said to run 0 to 10).
                        format!(
                            "a rating: whole numbers from {low} to {high} to a question asking for a score"
                        ),
                    )
                }
                // A date question whose cells hold Excel's day numbers (a column re-saved in
                // General format): 44961 is 2023-02-04, and a mean of them is no answer.
                Some(TextKind::FillIn) | None
                    if all_ints
                        && !answered.is_empty()
                        && asks_for_a_date(&text)
                        && answered
                            .iter()
                            .filter_map(|v| number(v))
                            .all(|x| (EXCEL_1970..=EXCEL_2100).contains(&x)) =>
                {
                    let days: Vec<f64> = answered.iter().filter_map(|v| number(v)).collect();
                    let first = days.iter().copied().fold(f64::INFINITY, f64::min);
                    let last = days.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    guesses.push(format!(
                        "`{id}` (第{}题) asks for a date and every answer is a whole number from {first} to {last}: Excel's day numbers ({first} is {}, {last} is {}), as a date column saved in General format holds them. It is kept as text, never averaged; format the column as dates in Excel (or download again) to read the dates themselves.",
                        g.key,
                        excel_date(first),
                        excel_date(last)
                    ));
                    (
                        QuestionKind::Text { max_length: None },
                        Coder::Text(c),
                        "text: dates written as Excel day numbers".to_owned(),
                    )
                }
                Some(TextKind::FillIn | TextKind::MultiFill) | None
                    if all_numeric
                        && (!code_mode
                            || text_kind.is_some()
                            || max_int > max_options
                            || distinct.len() as f64 > max_options
                            || below_one) =>
                {
                    (
                        number_kind(all_ints, none_negative),
                        Coder::Number(c),
                        if none_negative {
                            "a number: every answer is numeric, none below 0 (so `min = 0`, and a `-3` or `-2` in it is a missing answer, not a number)".to_owned()
                        } else {
                            "a number: every answer is numeric".to_owned()
                        },
                    )
                }
                // Mostly numbers, a few typed otherwise (约20人, 10-15, 二十): a number question,
                // each typed answer read as the number it names, or as not answered.
                Some(TextKind::FillIn | TextKind::MultiFill) | None
                    if !answered.is_empty()
                        && !answered.iter().all(|v| number(v).is_some())
                        && answered.iter().filter(|v| number(v).is_none()).count() * 5
                            <= answered.len()
                        && answered
                            .iter()
                            .filter(|v| number(v).is_none())
                            .all(|v| v.chars().count() <= 12)
                        && (!code_mode
                            || text_kind.is_some()
                            || max_int > max_options
                            || below_one)
                        && !asks_for_text(&text) =>
                {
                    let mut typed: Vec<&str> = answered
                        .iter()
                        .copied()
                        .filter(|v| number(v).is_none())
                        .collect();
                    typed.sort_unstable();
                    typed.dedup();
                    let unit = wording_magnitude(&text);
                    for t in &typed {
                        typed_answers.insert((*t).to_owned(), typed_number(t, unit));
                    }
                    let whole = answered
                        .iter()
                        .filter_map(|v| number(v))
                        .chain(typed_answers.values().flatten().copied())
                        .all(|x| x.fract() == 0.0);
                    let largest = answered
                        .iter()
                        .filter_map(|v| number(v))
                        .fold(0.0_f64, f64::max);
                    // A reading far above every plain number is most likely a unit misread:
                    // it is listed first, and says so.
                    let suspect = |x: f64| largest > 0.0 && x > 20.0 * largest;
                    let mut listed: Vec<(&String, &Option<f64>)> = typed_answers.iter().collect();
                    listed.sort_by_key(|(_, x)| !x.is_some_and(suspect));
                    let readings: Vec<String> = listed
                        .into_iter()
                        .take(12)
                        .map(|(t, x)| match x {
                            Some(x) if suspect(*x) => format!(
                                "«{}» as {x} — **{:.0} times the largest answer typed as a plain number ({largest}): check the unit**",
                                short(t, 12),
                                x / largest
                            ),
                            Some(x) => format!("«{}» as {x}", short(t, 12)),
                            None => format!("«{}» as not answered", short(t, 12)),
                        })
                        .collect();
                    guesses.push(format!(
                        "`{id}` (第{}题): {} of its {} answers are numbers and {} {} typed otherwise, so it is drafted as a number question, each such answer read as the mapping's `number_answers` says: {}{}. Check each reading (write the number meant, or `null` for not answered). The question is marked optional so that a submission with an answer read as not answered is not set aside as incomplete.",
                        g.key,
                        answered.len() - answered.iter().filter(|v| number(v).is_none()).count(),
                        answered.len(),
                        answered.iter().filter(|v| number(v).is_none()).count(),
                        if answered.iter().filter(|v| number(v).is_none()).count() == 1 {
                            "is"
                        } else {
                            "are"
                        },
                        readings.join("; "),
                        if typed_answers.len() > 12 { "; …" } else { "" }
                    ));
                    (
                        number_kind(whole, none_negative),
                        Coder::Number(c),
                        "a number: most answers are numeric; the others are read through `number_answers`".to_owned(),
                    )
                }
                Some(TextKind::FillIn | TextKind::MultiFill) => (
                    QuestionKind::Text { max_length: None },
                    Coder::Text(c),
                    "free text (questionnaire text)".to_owned(),
                ),
                // A 地区题 (广东省-广州市): a single choice of the province, each answer read as
                // its province through `option_aliases`.
                _ if let Some(kind) = match &text_kind {
                    Some(TextKind::Other(k))
                        if ["地区题", "省市题", "省市区题"].contains(&k.as_str()) =>
                    {
                        Some(k.clone())
                    }
                    // Without the questionnaire: every answer a province, then a city.
                    None if answered.iter().all(|v| v.contains('-')) => Some("地区题".to_owned()),
                    _ => None,
                } && !answered.is_empty()
                    && answered.iter().all(|v| province_of(v).is_some()) =>
                {
                    let mut provinces: Vec<usize> =
                        answered.iter().filter_map(|v| province_of(v)).collect();
                    provinces.sort_unstable();
                    provinces.dedup();
                    let labels: Vec<String> =
                        provinces.iter().map(|&p| PROVINCES[p].to_owned()).collect();
                    let mut opts = options(&labels);
                    for (o, &p) in opts.iter_mut().zip(&provinces) {
                        o.code = PROVINCE_CODES[p].to_owned();
                    }
                    for v in &answered {
                        if let Some(p) = province_of(v)
                            && *v != PROVINCES[p]
                            && let Some(k) = provinces.iter().position(|&x| x == p)
                        {
                            aliases.insert((*v).to_owned(), opts[k].code.clone());
                        }
                    }
                    guesses.push(format!(
                        "`{id}` (第{}题) is a {kind}: drafted as a single choice of the province (the part of each answer before the first «-»), the {} provinces answered listed in the national order, each coded as in every CHIMA questionnaire (`guangdong`); each answer (广东省-广州市) is read as its province through the mapping's `option_aliases`, so a later download with a new city needs one more alias. Cities are not tabulated.",
                        g.key,
                        labels.len()
                    ));
                    (
                        QuestionKind::SingleChoice { options: opts },
                        Coder::Texts {
                            col: c,
                            multi: false,
                            labels: HashMap::new(),
                        },
                        format!("a single choice: the province of a {kind}"),
                    )
                }
                // A kind of its own (比重题, 滑动条) answered in numbers: numbers.
                Some(TextKind::Other(kind)) if all_numeric => {
                    if !g.key.contains('.') || g.key.ends_with(".1") {
                        guesses.push(format!(
                            "第{}题 is a {kind} in the questionnaire text and every answer is a number, so {} drafted as a number question{}; check that this is what it asks.",
                            g.number,
                            if g.key.contains('.') { "each of its columns is" } else { "it is" },
                            if g.key.contains('.') { ", one per column" } else { "" }
                        ));
                    }
                    (
                        number_kind(all_ints, none_negative),
                        Coder::Number(c),
                        format!(
                            "a number: the questionnaire calls it a {kind} and every answer is numeric"
                        ),
                    )
                }
                Some(TextKind::Ranking | TextKind::Other(_)) => {
                    guesses.push(format!(
                        "`{id}` (第{}题) is a {} question, which this toolkit does not tabulate; it is kept as text and never printed.",
                        g.key,
                        match &text_kind { Some(TextKind::Other(t)) => t.clone(), _ => "排序题".into() }
                    ));
                    (
                        QuestionKind::Text { max_length: None },
                        Coder::Text(c),
                        "kept as text".to_owned(),
                    )
                }
                // Options joined with ┋ in a 按序号 download (a 矩阵多选题's row): the reader
                // takes a multiple choice there only as one 0/1 column per option.
                None if multi_sep && code_mode => {
                    guesses.push(format!(
                        "`{id}` (第{}题) holds several option numbers joined with ┋ (a 矩阵多选题's row, say), which a 按序号 download is read with only as one 0/1 column per option: it is kept as text and never printed. Draft from the 按文本 download of the same survey to tabulate it.",
                        g.key
                    ));
                    (
                        QuestionKind::Text { max_length: None },
                        Coder::Text(c),
                        "kept as text: option numbers joined with ┋".to_owned(),
                    )
                }
                None if multi_sep => {
                    let labels = distinct.clone();
                    guesses.push(format!(
                        "`{id}` (第{}题): the option order is the order answers first appear in the data; put the options in questionnaire order in questionnaires/main.questionnaire.json, each keeping its code (the narrative names options by code: `o3` renumbered would name another), or draft again with --questionnaire.",
                        g.key
                    ));
                    (
                        QuestionKind::MultipleChoice {
                            options: options(&labels),
                            min_selections: None,
                            max_selections: None,
                        },
                        Coder::Texts {
                            col: c,
                            multi: true,
                            labels: HashMap::new(),
                        },
                        "multiple choice: answers are joined with ┋".to_owned(),
                    )
                }
                // Option numbers: up to 30, or 34 for a question on the province (a 下拉框
                // of 31 provinces, or 34 with 港澳台), which no count of anything asks.
                None if code_mode && all_ints && (1.0..=max_options).contains(&max_int) => {
                    let k = max_int as usize;
                    let labels: Vec<String> = (1..=k).map(|i| format!("选项{i}")).collect();
                    guesses.push(format!(
                        "`{id}` (第{}题): a code-mode download holds option numbers, not texts; its {k} options are named 选项1…选项{k}. Give their texts in the questionnaire, or draft again with --questionnaire <问卷文本.txt>.",
                        g.key
                    ));
                    (
                        QuestionKind::SingleChoice {
                            options: {
                                let mut opts = options(&labels);
                                mark_other(&mut opts, &other_labels, true);
                                opts
                            },
                        },
                        Coder::Codes { col: c, k },
                        "single choice: option numbers 1…k".to_owned(),
                    )
                }
                // Open questions by their wording, and answers too long to be options, unless
                // a few long answers come again and again (CHIMA's options run to 25
                // characters: 研究数据安全相关监管政策，进行风险评估，识别安全风险).
                None if asks_for_text(&text)
                    || (answered.iter().map(|v| v.chars().count()).sum::<usize>()
                        > 16 * answered.len().max(1)
                        && !(answered.len() >= 20
                            && distinct.len() <= 40
                            && distinct.len() * 4 <= answered.len()))
                    || answered.iter().any(|v| v.contains('→')) =>
                {
                    if answered.iter().any(|v| v.contains('→')) {
                        guesses.push(format!(
                            "`{id}` (第{}题) holds answers joined with → (a ranking question, 排序题), which this toolkit does not tabulate; it is kept as text and never printed.",
                            g.key
                        ));
                    }
                    (
                        QuestionKind::Text { max_length: None },
                        Coder::Text(c),
                        "free text: an open question".to_owned(),
                    )
                }
                // In a code-mode download a choice question holds numbers; text is text. Up to
                // 40 distinct answers, so that the 34 provinces are a choice.
                None if !code_mode
                    && !distinct.is_empty()
                    && distinct.len() <= 40
                    && (answered.len() < 20 || distinct.len() * 4 <= answered.len()) =>
                {
                    let mut labels = distinct.clone();
                    let order = ordinal_order(&labels);
                    let why = match &order {
                        Some(o) if off_scale(&labels) => {
                            labels = o.iter().map(|&i| distinct[i].clone()).collect();
                            guesses.push(format!(
                                "`{id}` (第{}题): its options are put in order ({}), the answers off the scale last; it is tabulated as a single choice, not a scale, so that «{}» is no step of it in the data files. Check the order against the questionnaire.",
                                g.key,
                                labels.join(" / "),
                                labels.iter().filter(|l| outside_scale(l)).cloned().collect::<Vec<_>>().join("、")
                            ));
                            "single choice in order, with answers off the scale (labels)".to_owned()
                        }
                        Some(o) => {
                            labels = o.iter().map(|&i| distinct[i].clone()).collect();
                            if let Some(full) = complete_scale(&labels) {
                                let added: Vec<String> = full
                                    .iter()
                                    .filter(|l| !labels.contains(l))
                                    .cloned()
                                    .collect();
                                guesses.push(format!(
                                    "`{id}` (第{}题): its answers are {} of the {} steps of a scale; «{}», which no one chose, is added so that the scale is whole and its codes run 1–{} in the data files.",
                                    g.key,
                                    labels.len(),
                                    full.len(),
                                    added.join("」「"),
                                    full.len()
                                ));
                                labels = full;
                            }
                            guesses.push(format!(
                                "`{id}` (第{}题) looks like a scale; its options are put in scale order, from the least to the most ({}), and it is tabulated as ordinal: option 1 is the least, as 问卷星 numbers a 量表题, so codes in the data files rise with the scale. Check the order against the questionnaire.",
                                g.key,
                                labels.join(" / ")
                            ));
                            if let Some(n) = none_step_guess(&id, &g.key, &labels) {
                                guesses.push(n);
                            }
                            "single choice on a scale (labels)".to_owned()
                        }
                        None => match conventional_order(&labels) {
                            Some(o) => {
                                labels = o.iter().map(|&i| distinct[i].clone()).collect();
                                guesses.push(format!(
                                    "`{id}` (第{}题): its options are put in the usual order ({}); put them in questionnaire order if it differs, each keeping its code (the narrative names options by code), or draft again with --questionnaire.",
                                    g.key,
                                    labels.join(" / ")
                                ));
                                "single choice in the usual order (labels)".to_owned()
                            }
                            None => {
                                guesses.push(format!(
                                    "`{id}` (第{}题): the option order is the order answers first appear in the data; put the options in questionnaire order, each keeping its code (the narrative names options by code), or draft again with --questionnaire.",
                                    g.key
                                ));
                                "single choice: few distinct answers".to_owned()
                            }
                        },
                    };
                    let mut opts = options(&labels);
                    mark_other(&mut opts, &other_labels, false);
                    (
                        if order.is_some() && !off_scale(&labels) {
                            QuestionKind::Ordinal {
                                options: scored(opts),
                            }
                        } else {
                            QuestionKind::SingleChoice { options: opts }
                        },
                        Coder::Texts {
                            col: c,
                            multi: false,
                            labels: HashMap::new(),
                        },
                        why,
                    )
                }
                _ => {
                    // Mostly numbers, with a few typed otherwise (约20人, 15-20, 二十): say so,
                    // rather than drop a count from the report without a word.
                    let typed: Vec<&str> = answered
                        .iter()
                        .copied()
                        .filter(|v| number(v).is_none())
                        .collect();
                    // A telephone or a code (identifying, see below) is no number to report.
                    let identifies = IDENTIFYING.iter().any(|k| text.contains(k));
                    if !answered.is_empty() && typed.len() * 5 <= answered.len() && !identifies {
                        let mut shown: Vec<&str> = typed.clone();
                        shown.dedup();
                        shown.truncate(5);
                        guesses.push(format!(
                            "`{id}` (第{}题): {} of its {} answers are numbers, but {} not ({}): it is drafted as free text, which is never printed. To report it as a number, make it an `integer` or `number` question and say in the mapping what each such answer stands for, under `number_answers` (the number meant, or `null` for not answered), e.g. `\"number_answers\": {{\"{id}\": {{\"{}\": null}}}}`; the build lists every cell it still cannot read, with its row.",
                            g.key,
                            answered.len() - typed.len(),
                            answered.len(),
                            if typed.len() == 1 { "1 is".to_owned() } else { format!("{} are", typed.len()) },
                            shown.iter().map(|t| format!("«{}»", short(t, 12))).collect::<Vec<_>>().join("、"),
                            typed[0].replace('"', "\\\"")
                        ));
                    }
                    (
                        QuestionKind::Text { max_length: None },
                        Coder::Text(c),
                        "free text: many different answers".to_owned(),
                    )
                }
            }
        };
        let mut kind = kind;
        // An option the questionnaire text writes with a fill-in (其他〖〗) takes free text,
        // whatever the data show of it.
        if let Some(t) = tq
            && let QuestionKind::SingleChoice { options }
            | QuestionKind::Ordinal { options }
            | QuestionKind::MultipleChoice { options, .. } = &mut kind
        {
            for (label, _) in t.options.iter().zip(&t.fill_ins).filter(|(_, f)| **f) {
                if let Some(o) = options
                    .iter_mut()
                    .find(|o| wjxtext::without_note(clean(&o.label.zh)) == clean(label))
                {
                    o.other = true;
                }
            }
        }
        // Every option the data give a text beside takes free text, whichever way it was
        // drafted (by label, or by number in a 按序号 download).
        if let QuestionKind::SingleChoice { options }
        | QuestionKind::Ordinal { options }
        | QuestionKind::MultipleChoice { options, .. } = &mut kind
        {
            for v in &seen_other {
                let bare = wjxtext::without_note(clean(v));
                let at = options
                    .iter()
                    .position(|o| wjxtext::without_note(clean(&o.label.zh)) == bare)
                    .or_else(|| {
                        v.parse::<usize>()
                            .ok()
                            .filter(|_| code_mode || g.options)
                            .and_then(|n| n.checked_sub(1))
                            .filter(|&k| k < options.len())
                    });
                if let Some(k) = at {
                    options[k].other = true;
                }
            }
        }
        // An option written with its fill-in note (其他【请注明】, from the data) prints without
        // it; the data's text stays an alias.
        if let QuestionKind::SingleChoice { options }
        | QuestionKind::Ordinal { options }
        | QuestionKind::MultipleChoice { options, .. } = &mut kind
        {
            let labels: Vec<String> = options.iter().map(|o| o.label.zh.clone()).collect();
            for o in options.iter_mut() {
                let bare = wjxtext::without_note(&o.label.zh).to_owned();
                if bare != o.label.zh && !labels.contains(&bare) {
                    aliases
                        .entry(o.label.zh.clone())
                        .or_insert_with(|| o.code.clone());
                    o.label.zh = bare;
                }
            }
        }
        // Limits the wording sets on how many options are chosen (（最多选3项）).
        if let QuestionKind::MultipleChoice {
            min_selections,
            max_selections,
            ..
        } = &mut kind
        {
            let (min, max) = selection_limits(&format!("{text} {raw_text}"));
            if min.is_some() || max.is_some() {
                *min_selections = min;
                *max_selections = max;
                guesses.push(format!(
                    "`{id}` (第{}题): its wording limits the options chosen ({}); a submission outside the limits is excluded.",
                    g.key,
                    [min.map(|n| format!("at least {n}")), max.map(|n| format!("at most {n}"))]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        // A scale labelled with its scores (0…10); a scale in words is scored in the
        // questionnaire and said so where it is put in order.
        if let Some(scores) = kind.scores()
            && kind
                .options()
                .iter()
                .all(|o| o.label.zh.trim().parse::<u32>().is_ok())
            && let (Some(first), Some(last)) = (scores.first(), scores.last())
        {
            guesses.push(format!(
                "`{id}` (第{}题) is a scale whose options are the scores {first}…{last}: its table counts each score, the drafted `@numeric_summary` gives its mean, and its .sav and .dta hold the scores. Keep it `ordinal`: made an `integer`, a 按序号 download's option numbers (1…{}) would be read as the scores.",
                g.key,
                scores.len()
            ));
        }
        let names_respondent = IDENTIFYING.iter().any(|k| text.contains(k));
        // A telephone number or a code written in digits is no quantity: it is text, and it
        // identifies (never averaged, printed or exported).
        let (kind, coder, why) = match (kind, coder) {
            (QuestionKind::Integer { .. } | QuestionKind::Number { .. }, Coder::Number(c))
                if names_respondent =>
            {
                (
                    QuestionKind::Text { max_length: None },
                    Coder::Text(c),
                    "free text: its answers are digits, but its wording asks for a contact or an identifier, which is no quantity".to_owned(),
                )
            }
            other => (other.0, other.1, why),
        };
        let identifying = matches!(kind, QuestionKind::Text { .. }) && names_respondent;
        if identifying {
            guesses.push(format!(
                "`{id}` «{}» identifies the respondent: it is never tabulated or printed, and the data files leave it out unless --include-identifying is given. Whether it finds duplicate submissions is said below, with the duplicate rules.",
                short(&text, 30)
            ));
        }
        // A 地区题 tabled by province is worded so (trial 46: «医院所在省份和城市» headed a
        // table of provinces).
        let text = if why.starts_with("a single choice: the province of a ") {
            let province = [
                ("省份和城市", "省份"),
                ("省份及城市", "省份"),
                ("省份、城市", "省份"),
                ("省市", "省份"),
                ("省、市", "省份"),
                ("所在地区", "所在省份"),
            ]
            .iter()
            .fold(text.clone(), |t, (both, one)| t.replace(both, one));
            if province != text {
                guesses.push(format!(
                    "`{id}` «{}» is drafted as «{}», since only its provinces are tabulated (its wording is in questionnaires/main.questionnaire.json).",
                    short(&text, 30),
                    short(&province, 30)
                ));
            }
            province
        } else {
            text
        };
        let why = match &g.note {
            Some(n) => format!("{why}; the header says {n}"),
            None => why,
        };
        qs.push(DraftQ {
            key: g.key.clone(),
            id,
            why,
            text,
            kind,
            required: typed_answers.is_empty(),
            marked: tq.and_then(|t| t.required),
            identifying,
            show_if: None,
            coder,
            aliases,
            ranking: None,
            typed: typed_answers,
        });
    }
    // The rows of a matrix share their options: in a 按文本 download, where options are known
    // only from the answers, a row no one answered with some option gets it from the others.
    // So do the rows of a 矩阵多选题 (trial 36: each row numbered its options as first met, so
    // `q8_1_o2` and `q8_2_o2` were different options in the data files).
    let by_text = |q: &DraftQ, multi: bool| {
        if multi {
            q.kind.is_multiple() && matches!(q.coder, Coder::Texts { multi: true, .. })
        } else {
            q.kind.is_single() && matches!(q.coder, Coder::Texts { multi: false, .. })
        }
    };
    let mut k = 0;
    while k < qs.len() {
        let stem = qs[k].key.split_once('.').map(|(s, _)| s.to_owned());
        let multi = qs[k].kind.is_multiple();
        let n = match &stem {
            Some(st) if by_text(&qs[k], multi) => qs[k..]
                .iter()
                .take_while(|q| {
                    by_text(q, multi) && q.key.split_once('.').map(|(s, _)| s) == Some(st)
                })
                .count(),
            _ => 1,
        };
        if n >= 2 && share_options(&mut qs[k..k + n]) {
            guesses.push(format!(
                "`{}`…`{}` (第{}题) are the rows of a matrix: each is given every option any row was answered with ({}), so that {}. Check the options against the questionnaire.",
                qs[k].id,
                qs[k + n - 1].id,
                stem.unwrap_or_default(),
                qs[k]
                    .kind
                    .options()
                    .iter()
                    .map(|o| o.label.zh.as_str())
                    .collect::<Vec<_>>()
                    .join(" / "),
                if multi {
                    "an option has one code in every row (the same `_o2` in each row's variables of the data files)"
                } else {
                    "they print as one table"
                }
            ));
        }
        k += n;
    }
    // Code every row, for required-ness, exclusive options and display conditions.
    for q in &mut qs {
        if let Coder::Texts { labels, .. } = &mut q.coder {
            for (i, o) in q.kind.options().iter().enumerate() {
                labels.insert(o.label.zh.clone(), i);
            }
            for (text, code) in &q.aliases {
                if let Some(i) = q.kind.options().iter().position(|o| o.code == *code) {
                    labels.insert(text.clone(), i);
                }
            }
        }
    }
    let vals: Vec<Vec<Val>> = qs
        .iter()
        .map(|q| rows.iter().map(|r| code(&q.coder, &r)).collect())
        .collect();
    // Submissions that answered no question but those naming the hospital (a row cleared in a
    // spreadsheet, answers lost): they say nothing of what was optional or when a question was
    // shown (trial 46: two such rows made every question optional, or hid a display condition
    // so that its follow-ups set 280 of 600 submissions aside), and hold no answers to count.
    let answered = |r: usize| {
        qs.iter()
            .zip(&vals)
            .any(|(q, v)| !q.identifying && matches!(v[r], Val::Chosen(_) | Val::Given))
    };
    let answered_none: Vec<bool> = if qs.iter().any(|q| !q.identifying) {
        (0..rows.len()).map(|r| !answered(r)).collect()
    } else {
        vec![false; rows.len()]
    };
    let answering = answered_none.iter().filter(|e| !**e).count();
    // Questions left unanswered somewhere: optional, unless the questionnaire text marks them
    // required (*) and few left them so (then those submissions are incomplete).
    let mut made_optional: Vec<String> = Vec::new();
    let mut kept_required: Vec<String> = Vec::new();
    let mut marked_but_optional: Vec<String> = Vec::new();
    let mut incomplete_rows = vec![false; rows.len()];
    for (qi, q) in qs.iter_mut().enumerate() {
        if q.marked == Some(false) {
            q.required = false;
        }
        let skipped = vals[qi]
            .iter()
            .zip(&answered_none)
            .filter(|(v, none)| **v == Val::Skipped && !**none)
            .count();
        if skipped == 0 || q.ranking.is_some() {
            if skipped > 0 {
                q.required = false;
            }
        } else if q.marked == Some(true) && q.required && skipped * 10 <= answering {
            kept_required.push(format!("`{}` ({skipped})", q.id));
            for (r, v) in vals[qi].iter().enumerate() {
                incomplete_rows[r] |= *v == Val::Skipped && !answered_none[r];
            }
        } else {
            if q.marked == Some(true) && q.typed.is_empty() {
                marked_but_optional.push(format!("`{}` ({skipped})", q.id));
            } else if q.typed.is_empty() {
                made_optional.push(format!("`{}` ({skipped})", q.id));
            }
            q.required = false;
        }
        if let QuestionKind::MultipleChoice { options, .. } = &mut q.kind {
            for (k, o) in options.iter_mut().enumerate() {
                if !looks_exclusive(&o.label.zh) || o.other {
                    continue;
                }
                let with_others = vals[qi]
                    .iter()
                    .filter(|v| matches!(v, Val::Chosen(b) if b & (1 << k) != 0 && *b != 1 << k))
                    .count();
                if with_others == 0 {
                    o.exclusive = true;
                    guesses.push(format!(
                        "`{}`: «{}» is taken as exclusive (it rules out the other options): its label says so and no submission combines it with others.",
                        q.id, o.label.zh
                    ));
                } else {
                    guesses.push(format!(
                        "`{}`: «{}» reads like an exclusive option, but {with_others} submission(s) chose it with others, so it is left non-exclusive. Mark it `\"exclusive\": true` if the questionnaire enforced it (those submissions are then excluded).",
                        q.id, o.label.zh
                    ));
                }
            }
        }
    }
    if !kept_required.is_empty() {
        guesses.push(format!(
            "The questionnaire text marks {} required (*), yet some submissions left them unanswered (how many in brackets): they stay required, so the `incomplete` rule sets those {} submission(s) aside. If a question was made required after collection began, mark it `\"required\": false` in the questionnaire.",
            kept_required.join(", "),
            incomplete_rows.iter().filter(|r| **r).count()
        ));
    }
    if !marked_but_optional.is_empty() {
        guesses.push(format!(
            "The questionnaire text marks {} required (*), but more than a tenth of the submissions left each unanswered (how many in brackets), so they are marked optional (`\"required\": false`) rather than set those submissions aside. If they were required throughout, mark them required: those submissions are then incomplete.",
            marked_but_optional.join(", ")
        ));
    }
    if !made_optional.is_empty() {
        guesses.push(format!(
            "{} {} left unanswered in some submissions (how many in brackets), so {} marked optional (`\"required\": false`); if a question was required, those submissions are incomplete.",
            made_optional.join(", "),
            if made_optional.len() == 1 { "was" } else { "were" },
            if made_optional.len() == 1 { "it is" } else { "they are" },
        ));
    }
    // Display conditions: a question not shown to some respondents is shown exactly to those
    // who chose one of some options of an earlier choice question. Of the earlier questions
    // that explain it, one where some of its options hide it wins over one answered at all
    // (any of its options): a follow-up to a follow-up is shown to those who answered the
    // first one, and a matrix's rows to those who answered the row before (trial 44), which
    // the options of the question that opened the branch say better. Then the one naming
    // fewest options wins, the nearest among equals.
    let mut skips_as_unanswered = Vec::new();
    for qi in 0..qs.len() {
        if !vals[qi].contains(&Val::NotShown) {
            continue;
        }
        let shown: Vec<bool> = vals[qi].iter().map(|v| *v != Val::NotShown).collect();
        let mut found = None;
        for pi in (0..qi).rev() {
            let n = qs[pi].kind.options().len();
            if n == 0 || n > 64 {
                continue;
            }
            let chosen = |r: usize| match vals[pi][r] {
                Val::Chosen(b) => b,
                _ => 0,
            };
            // Options every chooser of which was shown the question.
            let set: u64 = (0..n)
                .filter(|&k| {
                    let who: Vec<usize> = (0..rows.len())
                        .filter(|&r| chosen(r) & (1 << k) != 0 && !answered_none[r])
                        .collect();
                    !who.is_empty() && who.iter().all(|&r| shown[r])
                })
                .fold(0u64, |acc, k| acc | 1 << k);
            if set == 0 {
                continue;
            }
            // (Whether every option shows it, how many options): the smaller the better.
            let rank = |set: u64, n: usize| (set.count_ones() as usize == n, set.count_ones());
            if (0..rows.len())
                .filter(|&r| !answered_none[r])
                .all(|r| shown[r] == (chosen(r) & set != 0))
                && found.is_none_or(|(best_q, best): (usize, u64)| {
                    rank(set, n) < rank(best, qs[best_q].kind.options().len())
                })
            {
                found = Some((pi, set));
            }
        }
        match found {
            Some((pi, set)) => {
                let opts: Vec<String> = qs[pi]
                    .kind
                    .options()
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| set & (1 << k) != 0)
                    .map(|(_, o)| o.code.clone())
                    .collect();
                let labels: Vec<String> = qs[pi]
                    .kind
                    .options()
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| set & (1 << k) != 0)
                    .map(|(_, o)| format!("«{}»", o.label.zh))
                    .collect();
                // Most of the options: named by those that hide it (any but «以上都没有»).
                let all = qs[pi].kind.options();
                let which =
                    if labels.len() > 2 && labels.len() * 2 > all.len() && labels.len() < all.len()
                    {
                        let hiding: Vec<String> = all
                            .iter()
                            .enumerate()
                            .filter(|(k, _)| set & (1 << k) == 0)
                            .map(|(_, o)| format!("«{}»", o.label.zh))
                            .collect();
                        format!("any option but {}", hiding.join(" or "))
                    } else {
                        labels.join(" or ")
                    };
                guesses.push(format!(
                    "`{}` (第{}题) was skipped by display logic for some respondents; it is taken to be shown only to those who chose {which} in `{}` (第{}题), which every submission agrees with.",
                    qs[qi].id, qs[qi].key, qs[pi].id, qs[pi].key
                ));
                qs[qi].show_if = Some(Condition::AnyChosen {
                    question: qs[pi].id.clone(),
                    options: opts,
                });
            }
            None => {
                guesses.push(format!(
                    "`{}` (第{}题) was skipped by display logic for some respondents, and no earlier answer explains when; until a `show_if` is added, those skips count as unanswered (`skips_as_unanswered` in the mapping).",
                    qs[qi].id, qs[qi].key
                ));
                skips_as_unanswered.push(qs[qi].id.clone());
            }
        }
    }
    // The questionnaire.
    let from_text = text_q.as_ref().and_then(|t| t.title.clone());
    let title = from_text
        .clone()
        .or_else(|| title_from_file(opts.download))
        .unwrap_or_else(|| "问卷调查".into());
    if from_text.is_none() {
        guesses.push(format!(
            "The survey's title «{title}» comes from the download's file name. It prints on the cover, in the running header, in the methodology and in the data files' labels: set `title` in `questionnaires/main.questionnaire.json` and `report.toml`."
        ));
    }
    let qid = format!("{}-main", opts.id);
    let questionnaire = Questionnaire {
        schema: None,
        id: qid.clone(),
        title: Label::new(title.clone()),
        organisation: "（请填写组织调查的单位）".into(),
        year,
        wave: None,
        language: "zh-CN".into(),
        note: Some(format!(
            "由 cargo xtask new-report 从 {file_name} 起草{}；题型与选项见 REVIEW.md。",
            if text_q.is_some() {
                "（题型与选项顺序取自问卷文本）"
            } else {
                ""
            }
        )),
        sections: vec![Section {
            id: "main".into(),
            title: Label::new(title.clone()),
            questions: qs
                .iter()
                .map(|q| Question {
                    id: q.id.clone(),
                    // Wording for print: control characters and direction overrides a
                    // header held are left out (REVIEW.md shows them, as codes).
                    text: Label::new(survey_import::without_controls(&q.text)),
                    kind: q.kind.clone(),
                    required: q.required,
                    show_if: q.show_if.clone(),
                    identifying: q.identifying,
                    note: None,
                })
                .collect(),
        }],
    };
    if let Err(issues) = survey_schema::Index::new(questionnaire.clone()) {
        return Err(ScaffoldError::Other(format!(
            "the drafted questionnaire does not hold together: {}",
            issues
                .iter()
                .map(|i| format!("{}: {}", i.location, i.message))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let mapping = Mapping {
        schema: None,
        questionnaire: qid.clone(),
        layout: Layout::Wjx,
        mode: if code_mode {
            WjxMode::Code
        } else {
            WjxMode::Text
        },
        sheet: None,
        respondent_id: "序号".into(),
        metadata: MetadataColumns::default(),
        ignore_columns,
        questions: qs
            .iter()
            .filter(|q| q.ranking.is_none())
            .map(|q| (q.key.clone(), q.id.clone()))
            .collect(),
        option_aliases: qs
            .iter()
            .filter(|q| !q.aliases.is_empty() && q.ranking.is_none())
            .map(|q| (q.id.clone(), q.aliases.clone()))
            .collect(),
        option_numbers: IndexMap::new(),
        missing: MissingValues::default(),
        absent_questions: Vec::new(),
        skips_as_unanswered,
        number_answers: qs
            .iter()
            .filter(|q| !q.typed.is_empty())
            .map(|q| (q.id.clone(), q.typed.clone()))
            .collect(),
        rankings: {
            let mut r: IndexMap<String, IndexMap<String, String>> = IndexMap::new();
            for q in &qs {
                if let Some((number, label)) = &q.ranking {
                    let texts = r.entry(number.clone()).or_default();
                    texts.insert(label.clone(), q.id.clone());
                    for text in q.aliases.keys() {
                        texts.insert(text.clone(), q.id.clone());
                    }
                }
            }
            r
        },
    };
    // Cleaning rules: first those that judge a submission alone, then the duplicates among
    // the submissions they keep, so that a hospital whose last submission is too fast or
    // incomplete keeps its earlier one rather than vanish.
    let mut rules = Vec::new();
    let id_q = qs.iter().filter(|q| q.identifying).min_by_key(|q| {
        if q.text.contains("代码") || q.text.contains("编号") {
            0
        } else {
            1
        }
    });
    // Test submissions, found by what they call themselves (医院名称 «测试», «test»): set aside
    // first, as no one's answers, with a funnel row of their own.
    let tests: Vec<(String, String)> = rows
        .iter()
        .filter_map(|r| {
            let name = qs
                .iter()
                .filter(|q| q.identifying)
                .filter_map(|q| match q.coder {
                    Coder::Text(c) => r.get(c).map(clean),
                    _ => None,
                })
                .find(|v| looks_like_test(v))?;
            let id = clean(id_col.and_then(|c| r.get(c))?);
            (!id.is_empty()).then(|| (id.to_owned(), name.to_owned()))
        })
        .collect();
    if tests.is_empty() {
        guesses.push(
            "No submission calls itself a test (测试, 试填, test in an identifying answer). Any test answers you submitted before the survey opened are counted as hospitals: list their 序号 in a `listed` rule first in cleaning/main.rules.json (`{\"rule\": \"listed\", \"respondents\": [\"1\", \"2\"], \"reason\": \"测试答卷\"}`), and the funnel gives them a row of their own.".to_owned(),
        );
    } else {
        rules.push(RuleSpec::Listed {
            respondents: tests.iter().map(|(id, _)| id.clone()).collect(),
            reason: "测试答卷".into(),
        });
        guesses.push(format!(
            "{} submission(s) call themselves a test, so they are set aside first as 测试答卷 (the rule `listed` in cleaning/main.rules.json, its own row in the funnel): {}{}. Remove the 序号 of any that is a real answer; add those of tests these words did not find.",
            tests.len(),
            tests
                .iter()
                .take(8)
                .map(|(id, name)| format!("序号 {id} «{}»", short(name, 20)))
                .collect::<Vec<_>>()
                .join("; "),
            if tests.len() > 8 { "; …" } else { "" }
        ));
    }
    // Submissions that answered nothing: set aside by name, whether or not any question is
    // required, unless so many answered nothing that the download is misread.
    let blank: Vec<String> = rows
        .iter()
        .enumerate()
        .filter(|(r, _)| answered_none[*r])
        .filter_map(|(_, r)| Some(clean(id_col.and_then(|c| r.get(c))?).to_owned()))
        .filter(|id| !id.is_empty() && !tests.iter().any(|(t, _)| t == id))
        .collect();
    if !blank.is_empty() && blank.len() * 10 <= rows.len() {
        guesses.push(format!(
            "{} submission(s) answered no question, or only those naming the hospital: {}{}. They are set aside first as 空白答卷 (a `listed` rule in cleaning/main.rules.json, with a row of its own in the funnel), and left out when deciding which questions are optional and when a question was shown. Check them in the download; remove the 序号 of any that should count.",
            blank.len(),
            blank
                .iter()
                .take(8)
                .map(|id| format!("序号 {id}"))
                .collect::<Vec<_>>()
                .join(", "),
            if blank.len() > 8 { ", …" } else { "" }
        ));
        rules.push(RuleSpec::Listed {
            respondents: blank,
            reason: "空白答卷".into(),
        });
    } else if !blank.is_empty() {
        guesses.push(format!(
            "{} of {} submissions answered no question, or only those naming the hospital: too many to be stray rows. Check that the download is the survey's and that its mode (按序号 or 按文本) was read right (`mode` in import/main.mapping.json).",
            blank.len(),
            rows.len()
        ));
    }
    rules.push(RuleSpec::Incomplete {
        action: Action::Exclude,
    });
    let durations: Vec<f64> = match find(&meta.duration) {
        Some(c) => rows
            .iter()
            .filter_map(|r| r.get(c).and_then(survey_import::wjx::parse_duration))
            .collect(),
        None => Vec::new(),
    };
    if !durations.is_empty() {
        let mut d = durations.clone();
        d.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let median = d[d.len() / 2];
        let seconds = ((median / 3.0 / 10.0).floor() * 10.0).max(30.0);
        let caught = d.iter().filter(|x| **x < seconds).count();
        rules.push(RuleSpec::MinDuration {
            seconds,
            action: Action::Exclude,
        });
        guesses.push(format!(
            "Submissions faster than {seconds} s (a third of the median {median} s, rounded down, at least 30 s) are excluded as too fast: {caught} of {} in the download. Adjust `seconds` in cleaning/main.rules.json.",
            d.len()
        ));
    }
    if qs
        .iter()
        .any(|q| q.kind.options().iter().any(|o| o.exclusive))
    {
        rules.push(RuleSpec::ExclusiveViolation {
            action: Action::Exclude,
        });
    }
    rules.push(RuleSpec::Invalid {
        action: Action::Exclude,
    });
    if let Some(q) = id_q {
        rules.push(RuleSpec::DuplicateIdentifier {
            question: q.id.clone(),
            keep: Keep::Last,
        });
        guesses.push(format!(
            "Duplicate submissions are found by `{}` «{}» (spaces, case and full width ignored); the last one submitted is kept. Duplicates are looked for after the other rules, among the submissions they keep: a hospital whose last submission is incomplete or too fast keeps its earlier one.",
            q.id,
            short(&q.text, 30)
        ));
    }
    // An organisation's name beside the identifier: a hospital whose code was mistyped in one
    // submission is still one hospital, found by its name.
    if let Some(id) = id_q {
        for q in qs.iter().filter(|q| {
            q.identifying
                && q.id != id.id
                && ["名称", "全称", "医院名", "单位名"]
                    .iter()
                    .any(|k| q.text.contains(k))
        }) {
            let (pairs, names) = names_with_several_codes(&rows, q, id);
            if pairs.is_empty() {
                continue;
            }
            // The first few names, each with its codes.
            let some = |n: usize| {
                let shown: Vec<String> = pairs
                    .iter()
                    .take(n)
                    .map(|(name, codes)| format!("«{}»: {}", short(name, 20), codes.join(" / ")))
                    .collect();
                format!(
                    "{}{}",
                    shown.join("; "),
                    if pairs.len() > n { "; …" } else { "" }
                )
            };
            // A mistyped code is rare, and gives a name two codes. More than a few such names
            // (two, or one in 50), or a name with three codes, are names that hospitals share
            // (县人民医院): found by the name, different hospitals would be one (trial 47: 112
            // such names of 172 set 216 of 400 submissions aside).
            if pairs.len() > (names / 50).max(2) || pairs.iter().any(|(_, codes)| codes.len() > 2) {
                guesses.push(format!(
                    "{} of {names} name(s) in `{}` «{}» come with different `{}` in different submissions ({}): too many, or too many codes a name, to be mistyped codes, so hospitals share these names and duplicates are found by `{}` alone. If some are one hospital with a mistyped code, correct the code in the download or list the earlier submission in a `listed` rule.",
                    pairs.len(),
                    q.id,
                    short(&q.text, 20),
                    id.id,
                    some(4),
                    id.id
                ));
                continue;
            }
            rules.push(RuleSpec::DuplicateIdentifier {
                question: q.id.clone(),
                keep: Keep::Last,
            });
            guesses.push(format!(
                "{} name(s) in `{}` «{}» come with different `{}` in different submissions, so duplicates are also found by the name (the last kept): {}. Check each is one hospital with a mistyped code; if two hospitals share a name, delete the rule on `{}`.",
                pairs.len(),
                q.id,
                short(&q.text, 20),
                id.id,
                some(6),
                q.id
            ));
        }
    }
    // Identical answers mark a resubmission only where they are unlikely by chance: a short
    // questionnaire of few options gives many hospitals the same answers.
    // Each submission's answers are kept as a 128-bit hash of them, not as text: a chance
    // collision among 100,000 submissions is about 1 in 10^28.
    let mut seen = std::collections::HashSet::new();
    let mut pattern: Vec<u8> = Vec::new();
    let alike = rows
        .iter()
        .enumerate()
        .filter(|(at, _)| !answered_none[*at])
        .filter(|(_, r)| {
            pattern.clear();
            for q in qs.iter().filter(|q| !q.identifying) {
                let part = match q.coder {
                    Coder::Number(c) | Coder::Text(c) => clean(r.get(c).unwrap_or("")).to_owned(),
                    _ => format!("{:?}", code(&q.coder, r)),
                };
                // Each answer with its length, so no two patterns run together alike.
                pattern.extend_from_slice(&(part.len() as u64).to_le_bytes());
                pattern.extend_from_slice(part.as_bytes());
            }
            !seen.insert(twox_hash::XxHash3_128::oneshot(&pattern))
        })
        .count();
    if alike * 20 <= rows.len() {
        rules.push(RuleSpec::DuplicateAnswers { keep: Keep::First });
    } else {
        guesses.push(format!(
            "{alike} of {} submissions give exactly the answers of an earlier one: with so few questions or options that is chance, not resubmission, so no rule sets such submissions aside. Where identical answers do mark a resubmission, add `{{\"rule\": \"duplicate_answers\", \"keep\": \"first\"}}` to cleaning/main.rules.json.",
            rows.len()
        ));
    }
    let rules = Rules {
        schema: None,
        rules,
    };
    // The report and its narrative.
    let data_rel = format!("data/{file_name}");
    let report_toml = report_toml(&opts.id, &title, &data_rel, &date);
    let (narrative, unnamed) = narrative(&qs);
    for number in unnamed {
        guesses.push(format!(
            "第{number}题: the download's header gives only the matrix's rows, not its wording, so its heading and caption read «第{number}题». Name it in narrative/report.md (the heading and the `@matrix` caption), or draft again with --questionnaire."
        ));
    }
    let review = review(
        opts,
        &file_name,
        format.name(),
        encoding.map(|e| e.name()),
        code_mode,
        total_rows,
        rows.len(),
        &qs,
        &guesses,
        &blocking,
    );
    let pretty = |v: serde_json::Value| serde_json::to_string_pretty(&v).expect("JSON") + "\n";
    let files = vec![
        ("report.toml".to_owned(), report_toml.into_bytes()),
        (
            "questionnaires/main.questionnaire.json".to_owned(),
            pretty(serde_json::to_value(&questionnaire).expect("serialises")).into_bytes(),
        ),
        (
            "import/main.mapping.json".to_owned(),
            pretty(serde_json::to_value(&mapping).expect("serialises")).into_bytes(),
        ),
        (
            "cleaning/main.rules.json".to_owned(),
            pretty(serde_json::to_value(&rules).expect("serialises")).into_bytes(),
        ),
        // The narrative is text to print: headings and sentences quoting a header leave its
        // control characters out (trial 40), as the questionnaire's wording does.
        (
            "narrative/report.md".to_owned(),
            survey_import::without_controls(&narrative).into_bytes(),
        ),
        // Headers and answers are quoted as read: control characters and direction overrides
        // in them are shown as codes (trial 38).
        (
            "REVIEW.md".to_owned(),
            survey_import::visible(&review).into_bytes(),
        ),
    ];
    Ok(Draft {
        files,
        copies: vec![(data_rel, opts.download.to_owned())],
        guesses,
        questions: qs.len(),
        rows: total_rows,
        mode: if code_mode {
            WjxMode::Code
        } else {
            WjxMode::Text
        },
    })
}

/// Text of a questionnaire file: UTF-8 (with or without BOM), else GB18030.
fn decode_text(bytes: &[u8]) -> String {
    let b = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => survey_import::table::decode_gb18030(b),
    }
}

fn short(s: &str, n: usize) -> String {
    survey_import::shorten(s, n)
}

/// Whether the one-column questions that look like choices (a few answers, each given again
/// and again) hold option numbers rather than option texts; `None` when none looks like one.
fn answers_read_as_codes(roles: &[Role], rows: &Answers) -> Option<bool> {
    let (mut coded, mut worded) = (0usize, 0usize);
    for (c, role) in roles.iter().enumerate() {
        if !matches!(role, Role::Question { .. }) {
            continue;
        }
        let answers: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.get(c).map(clean))
            .filter(|v| !v.is_empty() && !is_not_shown(v) && !is_skipped(v))
            .collect();
        let mut distinct: Vec<&str> = answers.clone();
        distinct.sort_unstable();
        distinct.dedup();
        // A choice: at most 40 answers, each given four times on average.
        if answers.len() < 8 || distinct.len() > 40 || distinct.len() * 4 > answers.len() {
            continue;
        }
        let numbers = distinct
            .iter()
            .filter(|v| {
                let v = v.split('^').next().unwrap_or(v);
                v.parse::<u32>().is_ok_and(|n| (1..=60).contains(&n))
            })
            .count();
        if numbers == distinct.len() {
            coded += 1;
        } else if numbers == 0 {
            worded += 1;
        }
    }
    (coded + worded > 0).then_some(coded >= worded)
}

/// Options with codes `o1`, `o2`…; a "其他" option written with its fill-in note (其他【请注明】)
/// takes free text. A plain 其他 takes it only when the data give a text beside it
/// ([`mark_other`]), so that it gets no text variable always empty.
fn options(labels: &[String]) -> Vec<ChoiceOption> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut o = ChoiceOption::new(format!("o{}", i + 1), l.clone());
            let l = clean(l);
            o.other =
                (l.starts_with("其他") || l.starts_with("其它")) && wjxtext::without_note(l) != l;
            o
        })
        .collect()
}

/// Give every row of a matrix the options of all of them (in scale order when they have one),
/// keeping each option's marks and each row's aliases. False when they already share them.
fn share_options(rows: &mut [DraftQ]) -> bool {
    let sets: Vec<Vec<String>> = rows
        .iter()
        .map(|q| {
            q.kind
                .options()
                .iter()
                .map(|o| o.label.zh.clone())
                .collect()
        })
        .collect();
    if sets.windows(2).all(|w| w[0] == w[1]) {
        return false;
    }
    let mut union: Vec<String> = Vec::new();
    for l in sets.iter().flatten() {
        if !union.contains(l) {
            union.push(l.clone());
        }
    }
    let multi = rows.iter().all(|q| q.kind.is_multiple());
    let order = if multi { None } else { ordinal_order(&union) };
    if let Some(o) = &order {
        union = o.iter().map(|&i| union[i].clone()).collect();
        if let Some(full) = complete_scale(&union) {
            union = full;
        }
    }
    let order = order.filter(|_| !off_scale(&union));
    for q in rows.iter_mut() {
        let old = q.kind.options().to_vec();
        let mut opts = options(&union);
        for o in &mut opts {
            if let Some(p) = old.iter().find(|x| x.label.zh == o.label.zh) {
                o.other |= p.other;
                o.exclusive |= p.exclusive;
            }
        }
        for code in q.aliases.values_mut() {
            let label = old.iter().find(|x| x.code == *code).map(|x| &x.label.zh);
            if let Some(n) = label.and_then(|l| opts.iter().find(|x| &x.label.zh == l)) {
                *code = n.code.clone();
            }
        }
        q.kind = if let QuestionKind::MultipleChoice {
            min_selections,
            max_selections,
            ..
        } = q.kind
        {
            QuestionKind::MultipleChoice {
                options: opts,
                min_selections,
                max_selections,
            }
        } else if order.is_some() {
            QuestionKind::Ordinal {
                options: scored(opts),
            }
        } else {
            QuestionKind::SingleChoice { options: opts }
        };
    }
    true
}

/// Mark as "other, please specify" the options the data give a text beside (`5〖院内运维〗`,
/// `其他^…`): `seen` holds their option numbers (`codes`) or labels.
fn mark_other(opts: &mut [ChoiceOption], seen: &[String], codes: bool) {
    for v in seen {
        let at = if codes {
            v.parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .filter(|&k| k < opts.len())
        } else {
            opts.iter().position(|o| clean(&o.label.zh) == clean(v))
        };
        if let Some(k) = at {
            opts[k].other = true;
        }
    }
}

/// Values in the data that the questionnaire text does not list: matched to a label ignoring
/// notes such as 【请注明】 (an alias), or added as options (a guess to review).
fn add_unlisted(
    labels: &mut Vec<String>,
    seen: &[String],
    aliases: &mut IndexMap<String, String>,
    guesses: &mut Vec<String>,
    id: &str,
) {
    // The questionnaire text lists no options for it: they all come from the data.
    if labels.is_empty() && !seen.is_empty() {
        labels.extend(seen.iter().cloned());
        guesses.push(format!(
            "`{id}`: the questionnaire text gives no options, so they are the answers met in the data ({}). Check them against the questionnaire.",
            seen.join(" / ")
        ));
        return;
    }
    for v in seen {
        if labels.iter().any(|l| clean(l) == clean(v)) {
            continue;
        }
        match match_label(v, labels) {
            Some(i) => {
                aliases.insert(v.clone(), format!("o{}", i + 1));
            }
            None => {
                labels.push(v.clone());
                guesses.push(format!(
                    "`{id}`: the answer «{v}» is not an option in the questionnaire text; it is added as an option. Correct the text or the questionnaire."
                ));
            }
        }
    }
}

/// Names given in several submissions with different identifiers (spaces and case ignored,
/// as the duplicate rule compares them): each name, with the identifiers it comes with.
/// Whether the option columns `cols` of one question give one number above 1 to two of them
/// in more than a tenth of the rows that give such numbers (and in two rows at least). A
/// ranking never does (问卷星 gives each place once; a hand edit might, in a row or two); a
/// matrix whose rows share a 1–5 scale does in most rows.
fn places_repeat(cols: &[(usize, &str)], rows: &Answers) -> bool {
    let (mut placed, mut repeated) = (0usize, 0usize);
    for r in rows.iter() {
        let mut seen: Vec<usize> = cols
            .iter()
            .filter_map(|&(c, _)| clean(r.get(c).unwrap_or("")).parse().ok())
            .filter(|&p: &usize| p > 1)
            .collect();
        if seen.is_empty() {
            continue;
        }
        placed += 1;
        seen.sort_unstable();
        repeated += usize::from(seen.windows(2).any(|w| w[0] == w[1]));
    }
    repeated >= 2 && repeated * 10 > placed
}

/// Whether a question asks where the respondent is: 所在省份, 省（自治区、直辖市）, 所在地区.
fn asks_for_province(text: &str) -> bool {
    ["省份", "所在省", "自治区", "直辖市", "所在地区", "省市"]
        .iter()
        .any(|w| text.contains(w))
}

/// Whether an answer that names the respondent says it is a test: 测试, 试填 or 试答 anywhere
/// (no hospital is called so), or «test», «testing» or «ceshi» as a word of its own (not
/// «Contest»).
fn looks_like_test(answer: &str) -> bool {
    let a = answer.trim().to_lowercase();
    ["测试", "试填", "试答"].iter().any(|w| a.contains(w))
        || a.split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| matches!(w, "test" | "tests" | "testing" | "ceshi"))
}

/// The names that come with more than one code, each with its codes; and how many names there
/// are.
fn names_with_several_codes(
    rows: &Answers,
    name: &DraftQ,
    id: &DraftQ,
) -> (Vec<(String, Vec<String>)>, usize) {
    let (Coder::Text(n), Coder::Text(c)) = (&name.coder, &id.coder) else {
        return (Vec::new(), 0);
    };
    let norm = |s: &str| survey_clean::normalise_identifier(s).into_owned();
    let mut codes: IndexMap<String, (String, Vec<String>)> = IndexMap::new();
    for r in rows.iter() {
        let (Some(name), Some(code)) = (r.get(*n), r.get(*c)) else {
            continue;
        };
        let key = norm(name);
        if key.is_empty() || is_not_shown(name.trim()) || is_skipped(name.trim()) {
            continue;
        }
        let entry = codes
            .entry(key)
            .or_insert_with(|| (name.trim().to_owned(), Vec::new()));
        let code = code.trim().to_owned();
        if !entry.1.iter().any(|k| norm(k) == norm(&code)) {
            entry.1.push(code);
        }
    }
    let names = codes.len();
    let several = codes
        .into_values()
        .filter(|(_, codes)| codes.len() > 1)
        .collect();
    (several, names)
}

/// A drafted number question: whole or not, and from 0 when no answer is below it.
fn number_kind(whole: bool, none_negative: bool) -> QuestionKind {
    if whole {
        QuestionKind::Integer {
            min: none_negative.then_some(0),
            max: None,
        }
    } else {
        QuestionKind::Number {
            min: none_negative.then_some(0.0),
            max: None,
        }
    }
}

/// The power of ten a unit character stands for: 万, 千, 亿, 百.
fn magnitude(c: char) -> Option<f64> {
    match c {
        '万' => Some(1e4),
        '千' => Some(1e3),
        '亿' => Some(1e8),
        '百' => Some(1e2),
        _ => None,
    }
}

/// The magnitude a question counts in, from its wording: 万 in `年度投入（万元）`,
/// `单位：万人次`, `多少万元`; none when the wording names no such unit.
pub(crate) fn wording_magnitude(wording: &str) -> Option<char> {
    let chars: Vec<char> = wording.chars().collect();
    chars.iter().enumerate().find_map(|(i, &c)| {
        magnitude(c)?;
        let next = chars.get(i + 1).copied();
        let unit_follows = next.is_some_and(|n| "元人次份例台张辆件平".contains(n));
        let bracketed =
            i > 0 && "（(【[".contains(chars[i - 1]) && next.is_some_and(|n| "）)】]".contains(n));
        (unit_follows || bracketed).then_some(c)
    })
}

/// An answer written with thousands separators (`1,200`, `12，500.5`) as a plain number, else
/// the answer as it is.
fn without_separators(s: &str) -> std::borrow::Cow<'_, str> {
    let t = s.trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let groups: Vec<&str> = int.split([',', '，']).collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
        && frac.chars().all(|c| c.is_ascii_digit());
    if grouped {
        let mut plain = groups.concat();
        if !frac.is_empty() || t.contains('.') {
            plain.push('.');
            plain.push_str(frac);
        }
        std::borrow::Cow::Owned(plain)
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The number an answer typed otherwise names, in the unit the question counts in (`unit`,
/// from [`wording_magnitude`]): `约20人`, `20左右` → 20 (one number and no range), `1,200` →
/// 1200, `2.5万` → 25000, or 2.5 when the question counts in 万; `二十`, `两个` → 20, 2 (Chinese
/// numerals up to 99); none for a range (`10-15`, `10至15`) or anything else.
fn typed_number(s: &str, unit: Option<char>) -> Option<f64> {
    let s = without_separators(s);
    let s = s.as_ref();
    if s.contains(['-', '~', '～', '至', '到', '—', '/', '、', ',', '，']) {
        return None;
    }
    let runs: Vec<&str> = s
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|r| r.chars().any(|c| c.is_ascii_digit()))
        .collect();
    match runs.as_slice() {
        // 2.5万, 3千: the unit after the number.
        [one] => {
            // A magnitude written after the number scales it to the question's unit; a bare
            // number is already in that unit.
            let scale = s[s.find(one).map_or(0, |i| i + one.len())..]
                .chars()
                .next()
                .and_then(magnitude)
                .map_or(1.0, |written| {
                    written / unit.and_then(magnitude).unwrap_or(1.0)
                });
            return one.parse::<f64>().ok().map(|x| x * scale);
        }
        [] => {}
        _ => return None,
    }
    let digit = |c: char| -> Option<u32> {
        match c {
            '零' | '〇' => Some(0),
            '一' => Some(1),
            '二' | '两' => Some(2),
            '三' => Some(3),
            '四' => Some(4),
            '五' => Some(5),
            '六' => Some(6),
            '七' => Some(7),
            '八' => Some(8),
            '九' => Some(9),
            _ => None,
        }
    };
    let numeral: String = s
        .chars()
        .skip_while(|&c| digit(c).is_none() && c != '十')
        .take_while(|&c| digit(c).is_some() || c == '十')
        .collect();
    // 一百, 三千: larger units are not read.
    let after = s
        .find(numeral.as_str())
        .map(|i| &s[i + numeral.len()..])
        .and_then(|rest| rest.chars().next());
    // 一整天, 一些, 一般, 一直: words, not quantities.
    if numeral.is_empty()
        || matches!(after, Some('百' | '千' | '万' | '亿'))
        || after.is_some_and(|c| "整些般直样起致切定同".contains(c))
    {
        return None;
    }
    let chars: Vec<char> = numeral.chars().collect();
    let value = match chars.iter().position(|&c| c == '十') {
        None if chars.len() == 1 => digit(chars[0])?,
        None => return None,
        Some(p) => {
            let tens = if p == 0 {
                1
            } else if p == 1 {
                digit(chars[0])?
            } else {
                return None;
            };
            let ones = match &chars[p + 1..] {
                [] => 0,
                [d] => digit(*d)?,
                _ => return None,
            };
            tens * 10 + ones
        }
    };
    Some(f64::from(value))
}

/// Up to ten items joined with 、, then how many more.
fn listed(items: &[String]) -> String {
    let mut s = items
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join("、");
    if items.len() > 10 {
        let _ = write!(s, " and {} more", items.len() - 10);
    }
    s
}

/// A ranking (排序题) drafted as one whole-number question per option, holding the place the
/// respondent gave it: `q{N}_1`…, each worded «stem：option», mapped under `rankings`.
fn push_ranking(
    qs: &mut Vec<DraftQ>,
    guesses: &mut Vec<String>,
    key: &str,
    stem: &str,
    options: Vec<(String, Coder)>,
    how: &str,
) {
    let k = options.len();
    let stem = if stem.is_empty() {
        format!("第{key}题")
    } else {
        stem.trim_end_matches(['：', ':']).to_owned()
    };
    let first = qs.len();
    for (j, (label, coder)) in options.into_iter().enumerate() {
        qs.push(DraftQ {
            key: format!("{key}.{}", j + 1),
            id: format!("q{key}_{}", j + 1),
            why: format!(
                "one option of a ranking (排序题): the place given to «{}», 1 for the first",
                short(&label, 20)
            ),
            text: format!("{stem}：{label}"),
            kind: QuestionKind::Integer {
                min: Some(1),
                max: Some(k as i64),
            },
            required: true,
            marked: None,
            identifying: false,
            show_if: None,
            coder,
            aliases: IndexMap::new(),
            ranking: Some((key.to_owned(), label)),
            typed: IndexMap::new(),
        });
    }
    guesses.push(format!(
        "第{key}题 is a ranking (排序题), read because {how}. Each of its {k} options is drafted as a whole-number question (`{}`…`{}`) holding the place the respondent gave it, listed under `rankings` in the mapping; they print as one table (`@ranking`) with 问卷星's 综合得分 (the first place counts {k}, the last 1, summed over those who ranked anything), the share that put each option first and its mean place. An option left out of a submission's ranking is unanswered there.",
        qs[first].id,
        qs[qs.len() - 1].id
    ));
}

/// One row's answer to a drafted question.
fn code(coder: &Coder, row: &Row) -> Val {
    let cell = |c: usize| clean(row.get(c).unwrap_or(""));
    match coder {
        Coder::Options(cols) => {
            let mut bits = 0u64;
            let mut any = false;
            for (k, &c) in cols.iter().enumerate() {
                let v = cell(c);
                if is_not_shown(v) {
                    return Val::NotShown;
                }
                if is_skipped(v) {
                    continue;
                }
                any = true;
                // 1, or the option's own text in a 按文本 download split by option.
                if numeric(strip_other(v).0) != Some(0.0) {
                    bits |= 1 << k;
                }
            }
            if any { Val::Chosen(bits) } else { Val::Skipped }
        }
        Coder::Texts { col, multi, labels } => {
            let v = cell(*col);
            if is_not_shown(v) {
                return Val::NotShown;
            }
            if is_skipped(v) {
                return Val::Skipped;
            }
            let parts: Vec<&str> = if *multi {
                v.split('┋').collect()
            } else {
                vec![v]
            };
            let mut bits = 0u64;
            for p in parts {
                if let Some(&k) = labels.get(strip_other(p).0)
                    && k < 64
                {
                    bits |= 1 << k;
                }
            }
            Val::Chosen(bits)
        }
        Coder::Codes { col, k } => {
            let v = cell(*col);
            if is_not_shown(v) {
                return Val::NotShown;
            }
            if is_skipped(v) {
                return Val::Skipped;
            }
            match numeric(strip_other(v).0) {
                Some(x) if x >= 1.0 && (x as usize) <= *k && x < 65.0 => {
                    Val::Chosen(1 << (x as usize - 1))
                }
                _ => Val::Given,
            }
        }
        Coder::RankCode { col, all } => {
            let v = cell(*col);
            if all.iter().all(|&c| is_not_shown(cell(c))) {
                Val::NotShown
            } else if is_skipped(v) || is_not_shown(v) || v == "0" {
                Val::Skipped
            } else {
                Val::Given
            }
        }
        Coder::RankText { col, keys } => {
            let v = cell(*col);
            if is_not_shown(v) {
                Val::NotShown
            } else if v
                .split(RANK_SEPARATOR)
                .any(|p| keys.contains(&option_key(p)))
            {
                Val::Given
            } else {
                Val::Skipped
            }
        }
        Coder::Number(c) | Coder::Text(c) => {
            let v = cell(*c);
            if is_not_shown(v) {
                Val::NotShown
            } else if is_skipped(v) {
                Val::Skipped
            } else {
                Val::Given
            }
        }
    }
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// The day of a submission time as 问卷星 writes it (`2025/3/9 10:04:00`, `2025-03-09 10:04`,
/// `2025年3月9日`): (year, month, day).
fn day_of(v: &str) -> Option<(u16, u32, u32)> {
    let mut parts = clean(v)
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty());
    let y: u16 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    ((1990..=2200).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
        .then_some((y, m, d))
}

fn report_toml(id: &str, title: &str, data: &str, date: &str) -> String {
    format!(
        r#"# Drafted by `cargo xtask new-report`. What the report is and where its data are; what it
# prints, in order, is written in narrative/report.md. Check REVIEW.md before publishing.

id = {id}
title = {title}
author = "（请填写编写单位）"
date = "{date}"
keywords = []
pdf_standard = "a-2b"

[[datasets]]
name = "main"
questionnaire = "questionnaires/main.questionnaire.json"
data = {data}
mapping = "import/main.mapping.json"
cleaning = "cleaning/main.rules.json"

[[blocks]]
kind = "cover"
title = {title}
organisation = "（请填写组织调查的单位）"
note = "初稿：本报告由工具包从问卷星下载数据自动起草，题型、选项顺序、清洗规则与正文均待确认（见报告文件夹中的 REVIEW.md）。确认后删去本说明。"

[[blocks]]
kind = "narrative"
file = "narrative/report.md"
"#,
        id = toml_str(id),
        title = toml_str(title),
        data = toml_str(data),
    )
}

/// A narrative skeleton: one sentence and a figure-and-table per tabulated question, every
/// number a reference.
/// The narrative, and the numbers of the matrices it could only call 第N题.
fn narrative(qs: &[DraftQ]) -> (String, Vec<String>) {
    let mut unnamed = Vec::new();
    let mut s = String::new();
    s.push_str("// Drafted by `cargo xtask new-report`: rewrite the sentences; keep numbers as {references}.\n\n@toc\n\n@part 01 {title = \"调查概况\"}\n\n本次调查共回收答卷{main.collected}份，按清洗规则剔除{main.excluded}份后，有效答卷{main.valid}份；各项规则剔除的答卷数如下表，规则的说明见附录。\n\n@funnel\n\n@part 02 {title = \"调查结果\"}\n\n");
    let mut numeric = Vec::new();
    let mut scored = false;
    let shown: Vec<&DraftQ> = qs.iter().filter(|q| !q.identifying).collect();
    // The rows of a matrix (7.1, 7.2…: single choices with the same options) print as one
    // table and one chart.
    let matrix_of = |k: usize| -> usize {
        let q = shown[k];
        let Some((stem, _)) = q.key.split_once('.') else {
            return 1;
        };
        // Rows of one kind (single choices, or multiple: a 矩阵多选题, trial 46) sharing options.
        let labels = |q: &DraftQ| -> Option<(bool, Vec<String>)> {
            (q.kind.is_single() || q.kind.is_multiple()).then(|| {
                (
                    q.kind.is_multiple(),
                    q.kind
                        .options()
                        .iter()
                        .map(|o| o.label.zh.clone())
                        .collect(),
                )
            })
        };
        let Some(first) = labels(q) else { return 1 };
        shown[k..]
            .iter()
            .take_while(|r| {
                r.key.split_once('.').map(|(s, _)| s) == Some(stem)
                    && labels(r).as_ref() == Some(&first)
            })
            .count()
    };
    let mut k = 0;
    while k < shown.len() {
        let q = shown[k];
        if let Some((number, label)) = &q.ranking {
            let options: Vec<&DraftQ> = shown[k..]
                .iter()
                .take_while(|r| r.ranking.as_ref().is_some_and(|(n, _)| n == number))
                .copied()
                .collect();
            let ids: Vec<String> = options.iter().map(|r| toml_str(&r.id)).collect();
            let stem = q
                .text
                .strip_suffix(label.as_str())
                .map_or(q.text.as_str(), |s| s.trim_end_matches('：'));
            let _ = writeln!(
                s,
                "## {}

本题为排序题，共{}个选项；各选项的综合得分、排在第一位的比例与平均名次见{{ref:tbl:{}}}。

@ranking {{questions = [{}], caption = {}}}
",
                heading(stem, number),
                options.len(),
                q.id,
                ids.join(", "),
                toml_str(&heading(stem, number)),
            );
            k += options.len();
            continue;
        }
        let rows = matrix_of(k);
        if rows >= 2 {
            let ids: Vec<String> = shown[k..k + rows].iter().map(|r| toml_str(&r.id)).collect();
            // The rows are worded «stem：row»; a header that gives only the row (`5(挂号预约)`)
            // leaves the matrix unnamed, and the heading says which question it is.
            let stem = q.text.split_once(['：', ':']).map_or("", |(s, _)| s);
            let number = q.key.split_once('.').map_or(q.key.as_str(), |(n, _)| n);
            if survey_schema::title(stem).is_empty() {
                unnamed.push(number.to_owned());
            }
            let _ = writeln!(
                s,
                "## {}\n\n本题为矩阵{}题，共{rows}个小题，各小题的回答分布见{{ref:fig:{}}}、{{ref:tbl:{}}}。\n\n@matrix {{questions = [{}], caption = {}}}\n",
                heading(stem, number),
                if q.kind.is_multiple() { "多选" } else { "" },
                q.id,
                q.id,
                ids.join(", "),
                toml_str(&heading(stem, number)),
            );
            k += rows;
            continue;
        }
        k += 1;
        let id = &q.id;
        match &q.kind {
            QuestionKind::SingleChoice { options } | QuestionKind::Ordinal { options } => {
                let _ = writeln!(s, "## {}\n", heading(&q.text, &q.key));
                let ranked = options.iter().filter(|o| !o.is_pinned_last()).count();
                let numbered = options
                    .iter()
                    .all(|o| o.label.zh.trim().bytes().all(|b| b.is_ascii_digit()));
                if q.kind.scores().is_some() && numbered {
                    // A 0–10 question on recommending: its Net Promoter Score too.
                    let nps = if q
                        .kind
                        .scores()
                        .is_some_and(|s| s.iter().copied().eq(0..=10))
                        && q.text.contains("推荐")
                    {
                        format!("净推荐值（NPS，9–10分的比例减0–6分的比例）为{{main.{id}.nps}}。")
                    } else {
                        // The mean, when no NPS is said: in the summary table (the NPS
                        // sentence would run past the two lines a lead keeps to its chart).
                        "平均分见本部分末的汇总表。".to_owned()
                    };
                    let _ = writeln!(
                        s,
                        "在回答本题的{{main.{id}.base}}份有效答卷中，打{{main.{id}.most1.names}}分的最多（{{main.{id}.most1.share}}；{{ref:fig:{id}}}、{{ref:tbl:{id}}}）；{nps}\n"
                    );
                } else if q.why.contains("地区题") || asks_for_province(&q.text) {
                    // Where the respondents are: 来自…的最多, not 选择.
                    let _ = writeln!(
                        s,
                        "{{main.{id}.base}}份有效答卷中，来自{{main.{id}.most1.names}}的最多（{{main.{id}.most1.share}}；{{ref:fig:{id}}}、{{ref:tbl:{id}}}）。\n"
                    );
                } else if let [a, b] = options.as_slice()
                    && ranked == 2
                {
                    // Two options (是/否): both shares, not «the most chosen» of two, which a
                    // tie would make «both the most».
                    let (a, b) = (&a.code, &b.code);
                    let _ = writeln!(
                        s,
                        "在回答本题的{{main.{id}.base}}份有效答卷中，选择“{{main.{id}.{a}.label}}”的占{{main.{id}.{a}.pct}}，选择“{{main.{id}.{b}.label}}”的占{{main.{id}.{b}.pct}}（{{ref:fig:{id}}}、{{ref:tbl:{id}}}）。\n"
                    );
                } else if ranked >= 1 {
                    let except = except_pinned(id, options);
                    let _ = writeln!(
                        s,
                        "在回答本题的{{main.{id}.base}}份有效答卷中，{except}选择{{main.{id}.most1.quoted}}的最多（{{main.{id}.most1.share}}；{{ref:fig:{id}}}、{{ref:tbl:{id}}}）。\n"
                    );
                }
                let _ = writeln!(s, "@question {id}\n");
                // A scale scored 0…10 has a mean too.
                if q.kind.scores().is_some() {
                    numeric.push(id.clone());
                    scored = true;
                }
            }
            QuestionKind::MultipleChoice { options, .. } => {
                let _ = writeln!(s, "## {}\n", heading(&q.text, &q.key));
                let ranked = options.iter().filter(|o| !o.is_pinned_last()).count();
                if ranked >= 2 {
                    let except = except_pinned(id, options);
                    let _ = writeln!(
                        s,
                        "本题为多选题。在回答本题的{{main.{id}.base}}份有效答卷中，{except}选择最多的是{{main.{id}.most1.quoted}}（{{main.{id}.most1.share}}；{{ref:fig:{id}}}、{{ref:tbl:{id}}}）。\n"
                    );
                } else if ranked == 1 {
                    let _ = writeln!(
                        s,
                        "本题为多选题。在回答本题的{{main.{id}.base}}份有效答卷中，选择“{{main.{id}.top1.label}}”的占{{main.{id}.top1.pct}}（{{ref:fig:{id}}}、{{ref:tbl:{id}}}）。\n"
                    );
                }
                let _ = writeln!(s, "@question {id}\n");
            }
            QuestionKind::Integer { .. } | QuestionKind::Number { .. } => numeric.push(id.clone()),
            QuestionKind::Text { .. } => {}
        }
    }
    if !numeric.is_empty() {
        let list: Vec<String> = numeric.iter().map(|q| toml_str(q)).collect();
        let _ = writeln!(
            s,
            "## {title}\n\n各题的作答人数、均值、最小值、四分位数与最大值见{{ref:tbl:summary.{}}}。\n\n@numeric_summary {{questions = [{}], caption = \"{title}的分布\"}}\n",
            numeric[0],
            list.join(", "),
            title = if scored {
                "数值题与评分题"
            } else {
                "数值题"
            }
        );
    }
    s.push_str("@part 附录 {title = \"方法与数据\"}\n\n@methodology {data_note = \"本报告的数据来自问卷星答卷下载。调查为网上自填，没有抽样设计，结果反映参与者的情况，不能直接推断总体。\"}\n\n@data_appendix\n");
    (s, unnamed)
}

/// A heading from a question text: the text itself, cut at 40 characters.
/// The longest heading drafted whole: two lines of a section heading.
const HEADING_CHARS: usize = 60;

fn heading(text: &str, key: &str) -> String {
    // Without the colon before the answer (您所在医院的等级是：) or a note on how to answer.
    let t: String = survey_schema::title(text)
        .chars()
        .filter(|c| *c != '\n')
        .collect();
    // Up to two lines whole; a longer one is cut at its last clause mark (，；：、) that keeps
    // at least 20 characters, never inside a word unless there is none.
    let chars: Vec<char> = t.chars().collect();
    if chars.len() > HEADING_CHARS {
        let cut = (20..HEADING_CHARS)
            .rev()
            .find(|&i| "，；：、,;:".contains(chars[i]))
            .unwrap_or(HEADING_CHARS - 1);
        format!("{}…", chars[..cut].iter().collect::<String>())
    } else if t.is_empty() {
        format!("第{key}题")
    } else {
        t
    }
}

/// What REVIEW.md says of a draft with no submission to correct.
const BUILDS: &str = "It builds as it is";

/// Whether a drafted REVIEW.md says the draft builds as it is.
pub fn claims_to_build(review: &str) -> bool {
    review.contains(BUILDS)
}

/// REVIEW.md for a draft whose trial build failed: it says so, and opens with the message.
pub fn does_not_build(review: &str, error: &str) -> String {
    let fixed = review.replacen(
        BUILDS,
        "It does not build yet, for the reason given next; once that is corrected, it builds",
        1,
    );
    // Before the first section, after the opening.
    let at = fixed.find("\n## ").map_or(fixed.len(), |i| i + 1);
    format!(
        "{}## Why the draft does not build yet\n\nBuilt as drafted, the report stops with this message (it names the file and place to correct):\n\n```text\n{}\n```\n\n{}",
        &fixed[..at],
        error.trim_end(),
        &fixed[at..]
    )
}

#[allow(clippy::too_many_arguments)]
fn review(
    opts: &Options,
    file_name: &str,
    format: &str,
    encoding: Option<&str>,
    code_mode: bool,
    total_rows: usize,
    read_rows: usize,
    qs: &[DraftQ],
    guesses: &[String],
    blocking: &[String],
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Review before publishing\n");
    let _ = writeln!(
        s,
        "`cargo xtask new-report` drafted this folder from `{file_name}` ({format}{}, {} mode, {total_rows} submissions{}){}. {}:\n\n```sh\ncargo xtask build-report --report <this folder>\n```\n\nbut everything below is a guess from the data. Confirm or correct each item in the file named, build again, and delete the draft notice from the cover (`note` in report.toml).\n",
        encoding.map(|e| format!(", {e}")).unwrap_or_default(),
        if code_mode {
            "code (按序号)"
        } else {
            "text (按文本)"
        },
        if read_rows < total_rows {
            format!("; the first {read_rows} were read to draft it")
        } else {
            String::new()
        },
        match opts.questionnaire_text {
            Some(p) => format!(
                " and the questionnaire text `{}`",
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            None => String::new(),
        },
        if blocking.is_empty() {
            BUILDS
        } else {
            "It does not build yet: some submissions are no valid answers (listed next), and the build stops at the first; once they are corrected or deleted in the download, it builds"
        }
    );
    if !blocking.is_empty() {
        let _ = writeln!(s, "## Submissions to correct first\n");
        for b in blocking {
            let _ = writeln!(s, "- {b}");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "## Questions (`questionnaires/main.questionnaire.json`)\n"
    );
    let _ = writeln!(
        s,
        "| 题 | id | kind | why | required | text | options |\n|---|---|---|---|---|---|---|"
    );
    for q in qs {
        let opts: Vec<String> = q
            .kind
            .options()
            .iter()
            .map(|o| {
                let mut l = o.label.zh.clone();
                if o.exclusive {
                    l.push_str(" (exclusive)");
                }
                if o.other {
                    l.push_str(" (other)");
                }
                l
            })
            .collect();
        let kind = if q.identifying {
            "text, identifying".to_owned()
        } else {
            q.kind.name().to_owned()
        };
        let _ = writeln!(
            s,
            "| {} | `{}` | {kind} | {} | {} | {} | {} |",
            q.key,
            q.id,
            q.why,
            if q.required { "yes" } else { "no" },
            short(&q.text, 40).replace('|', "｜"),
            short(&opts.join(" / "), 80).replace('|', "｜")
        );
    }
    let _ = writeln!(s, "\n## Guesses to confirm\n");
    if guesses.is_empty() {
        let _ = writeln!(s, "None: the questionnaire text decided every question.");
    }
    for g in guesses {
        let _ = writeln!(s, "- {g}");
    }
    let _ = writeln!(
        s,
        "\n## What else to fill in\n\n- `report.toml`: `author`, `date` (the edition date, printed in the PDF's metadata; drafted as the day of the last submission), the cover's `organisation`.\n- `questionnaires/main.questionnaire.json`: `organisation`, `year` (drafted as the year of the last submission); option codes (`o1`, `o2`…) may be renamed to words, together with the references in `narrative/report.md`.\n- `narrative/report.md`: the sentences are placeholders around computed numbers; write the report's own text, keeping numbers as `{{references}}` (see docs/new-survey.md).\n- Free-text answers are never printed; identifying answers are used only to find duplicates.\n"
    );
    let _ = write!(
        s,
        "\nQuestion numbers in `import/main.mapping.json` are 问卷星's (`N` of `N、题干`; `N.k` for the k-th column of a matrix or of a fill-in with several blanks).\n"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_of_a_draft_that_does_not_build_opens_with_why() {
        let review = format!(
            "# Review before publishing\n\nDrafted from x. {BUILDS}:\n\n```sh\ncargo xtask build-report\n```\n\nbut check.\n\n## Questions\n\n| 题 |\n"
        );
        assert!(claims_to_build(&review));
        let fixed = does_not_build(
            &review,
            "narrative/report.md:3:1: {main.q9.pct}: no such question\n",
        );
        assert!(!claims_to_build(&fixed));
        assert!(fixed.contains("It does not build yet, for the reason given next"));
        let why = fixed.find("## Why the draft does not build yet").unwrap();
        assert!(why < fixed.find("## Questions").unwrap());
        assert!(
            fixed[why..]
                .contains("```text\nnarrative/report.md:3:1: {main.q9.pct}: no such question\n```")
        );
    }

    #[test]
    fn bands_with_units_sort_by_their_numbers() {
        let labels: Vec<String> = [
            "1万–9.9万人次",
            "10万人次及以上",
            "1000人次以下",
            "1000–9999人次",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(ordinal_order(&labels), Some(vec![2, 3, 0, 1]));
        // «Not assessed» drafted as the least level is a guess to confirm.
        let levels: Vec<String> = ["未参评", "0级", "1级", "2级及以上"]
            .map(String::from)
            .to_vec();
        assert!(
            none_step_guess("q7", "7", &levels)
                .is_some_and(|g| g.contains("least step is «未参评»"))
        );
        assert!(none_step_guess("q7", "7", &labels).is_none());
        let labels: Vec<String> = ["5–10万元", "50万元以上", "5万元以下", "10–50万元"]
            .map(String::from)
            .to_vec();
        assert_eq!(ordinal_order(&labels), Some(vec![2, 0, 3, 1]));
        // A band saying there is none comes first; one that cannot judge comes last.
        assert_eq!(
            in_order(&["10–50万元", "无专项预算", "50万元以上", "10万元以下"]).unwrap(),
            ["无专项预算", "10万元以下", "10–50万元", "50万元以上"]
        );
        assert_eq!(
            in_order(&["1-5人", "无法判断", "5人以上", "暂无", "1人以下"]).unwrap(),
            ["暂无", "1人以下", "1-5人", "5人以上", "无法判断"]
        );
        // Two that say none are no order.
        assert!(in_order(&["无", "没有", "1-5人", "5人以上"]).is_none());
        // Levels of a grading, one of them not graded.
        assert_eq!(
            in_order(&["4级", "未参评", "6级及以上", "3级及以下", "5级"]).unwrap(),
            ["未参评", "3级及以下", "4级", "5级", "6级及以上"]
        );
    }

    #[test]
    fn answers_typed_otherwise_name_their_number_or_none() {
        for (typed, want) in [
            ("约20人", Some(20.0)),
            ("20左右", Some(20.0)),
            ("2.5万", Some(25000.0)),
            ("3千人", Some(3000.0)),
            ("二十", Some(20.0)),
            ("两个", Some(2.0)),
            ("十五人", Some(15.0)),
            ("三十七", Some(37.0)),
            ("十", Some(10.0)),
            ("10-15", None),
            ("10至15人", None),
            ("十到二十", None),
            ("不清楚", None),
            ("一百", None),
            ("一整天", None),
            ("一般", None),
            ("两小时", Some(2.0)),
        ] {
            assert_eq!(typed_number(typed, None), want, "{typed}");
        }
    }

    #[test]
    fn changes_are_scales() {
        let labels: Vec<String> = ["明显增加", "略有减少", "基本不变", "明显减少", "略有增加"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let order = super::ordered(&labels).unwrap();
        let sorted: Vec<&str> = order.iter().map(|&i| labels[i].as_str()).collect();
        assert_eq!(
            sorted,
            ["明显减少", "略有减少", "基本不变", "略有增加", "明显增加"]
        );
        assert!(super::looks_exclusive("无明显困难"));
        assert!(!super::looks_exclusive("无线网络覆盖"));
    }

    #[test]
    fn answers_in_the_questions_own_unit_and_with_separators() {
        assert_eq!(wording_magnitude("年度信息化投入（万元）："), Some('万'));
        assert_eq!(wording_magnitude("年门诊量（单位：万人次）"), Some('万'));
        assert_eq!(wording_magnitude("信息化投入（万）"), Some('万'));
        assert_eq!(wording_magnitude("编制床位数（张）"), None);
        assert_eq!(wording_magnitude("万物互联的建设投入（元）"), None);
        let wan = Some('万');
        for (typed, unit, want) in [
            ("1,200", wan, Some(1200.0)),
            ("3，500", None, Some(3500.0)),
            ("12,500.5", None, Some(12500.5)),
            ("200万", wan, Some(200.0)),
            ("200万元", wan, Some(200.0)),
            ("5千", wan, Some(0.5)),
            ("200万", None, Some(2_000_000.0)),
            ("约500", wan, Some(500.0)),
            ("1,2", None, None),
            ("1,20", None, None),
            ("10,20,30", None, None),
        ] {
            assert_eq!(typed_number(typed, unit), want, "{typed} in {unit:?}");
        }
    }

    #[test]
    fn ids_and_titles() {
        let chinese = id_from("我的调查 2026");
        assert!(
            chinese.starts_with("survey-2026-") && chinese.len() == 18,
            "{chinese}"
        );
        assert_ne!(id_from("x_按文本"), id_from("x_按序号"));
        assert_ne!(id_from("智慧医院调查"), id_from("护理信息化调查"));
        assert_eq!(id_from("cyber survey"), "cyber-survey");
        assert_eq!(id_from("cyber-2026_survey"), "cyber-2026-survey");
        assert_eq!(
            title_from_file(Path::new("392817465_按文本_医院网络安全调查_600_600.xlsx")).as_deref(),
            Some("医院网络安全调查")
        );
    }

    /// The labels in the order [`ordinal_order`] gives them, if it gives one.
    fn in_order(labels: &[&str]) -> Option<Vec<String>> {
        let l: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
        ordinal_order(&l).map(|o| o.iter().map(|&i| l[i].clone()).collect())
    }

    #[test]
    fn excel_day_numbers_are_dates() {
        assert_eq!(excel_date(44961.0), "2023-02-04");
        assert_eq!(excel_date(25569.0), "1970-01-01");
        assert_eq!(excel_date(45351.0), "2024-02-29");
        assert!(asks_for_a_date("系统正式上线时间"));
        assert!(asks_for_a_date("医院成立日期"));
        assert!(!asks_for_a_date("平均响应时间（分钟）"));
        assert!(!asks_for_a_date("医院编制床位数"));
    }

    #[test]
    fn yes_no_and_hospital_levels_take_their_usual_order() {
        // Trial 34: 否 before 是, and 二级乙等及以下 / 三级乙等 / 二级甲等 / 三级甲等, as the
        // answers first came.
        let order = |labels: &[&str]| {
            let l: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
            conventional_order(&l).map(|o| o.iter().map(|&i| l[i].clone()).collect::<Vec<_>>())
        };
        assert_eq!(order(&["否", "是"]).unwrap(), ["是", "否"]);
        assert_eq!(
            order(&["不清楚", "否", "是"]).unwrap(),
            ["是", "否", "不清楚"]
        );
        assert_eq!(
            order(&["二级乙等及以下", "三级乙等", "二级甲等", "三级甲等"]).unwrap(),
            ["三级甲等", "三级乙等", "二级甲等", "二级乙等及以下"]
        );
        assert_eq!(
            order(&["其他", "二级", "三级"]).unwrap(),
            ["三级", "二级", "其他"]
        );
        // No order to give: labels outside the families, two in one place, 其他 alone.
        assert!(order(&["是", "可能"]).is_none());
        assert!(order(&["三级", "三级甲等"]).is_none());
        assert!(order(&["其他", "三级"]).is_none());
        assert!(order(&["公立", "民营"]).is_none());
    }

    #[test]
    fn a_unit_after_the_second_number_of_a_band_is_not_the_first_number_s() {
        // Trial 35: «1000~1万人次» was put last, read as from ten million.
        assert_eq!(
            in_order(&[
                "1000人次以下",
                "1万~10万人次",
                "10万人次以上",
                "1000~1万人次"
            ])
            .unwrap(),
            [
                "1000人次以下",
                "1000~1万人次",
                "1万~10万人次",
                "10万人次以上"
            ]
        );
        // The unit still belongs to both numbers where the first is the smaller: 5–10万元.
        assert_eq!(
            in_order(&["10万元以上", "5-10万元", "5万元以下"]).unwrap(),
            ["5万元以下", "5-10万元", "10万元以上"]
        );
        assert_eq!(band_key("5-10万元"), Some((5e4, 0)));
        assert_eq!(band_key("5-10万元/年"), Some((5e4, 0)));
        // Spans of time in hours (trial 45).
        let order = ordered(
            &[
                "3天以上",
                "4小时以内",
                "未造成业务中断",
                "1～3天",
                "4～24小时",
            ]
            .map(String::from),
        )
        .unwrap();
        assert_eq!(order, vec![2, 1, 4, 3, 0]);
        assert_eq!(band_key("1000~1万人次"), Some((1000.0, 0)));
    }

    #[test]
    fn scales_and_bands_are_ordered() {
        // Scales run from the least to the most, as 问卷星 numbers a 量表题 (1 = 很不满意), so
        // that the codes in a .sav rise with the scale.
        assert_eq!(
            in_order(&["不了解", "非常了解", "了解一点"]).unwrap(),
            ["不了解", "了解一点", "非常了解"]
        );
        assert_eq!(
            in_order(&["比较了解", "不了解", "非常了解", "了解一些"]).unwrap(),
            ["不了解", "了解一些", "比较了解", "非常了解"]
        );
        assert_eq!(
            in_order(&["501-1000", "≤250", "大于5000", "251-500"]).unwrap(),
            ["≤250", "251-500", "501-1000", "大于5000"]
        );
        assert!(in_order(&["北京", "上海", "广东"]).is_none());
        // 非常不满意 and 不满意 never tie, whatever order the data met them in.
        for first in [["不满意", "非常不满意"], ["非常不满意", "不满意"]] {
            assert_eq!(
                in_order(&[first[0], "满意", "一般", "非常满意", first[1]]).unwrap(),
                ["非常不满意", "不满意", "一般", "满意", "非常满意"]
            );
        }
        // Magnitudes go from low to high, whatever order the data met them in.
        assert_eq!(
            in_order(&["较低", "较高", "低", "一般", "高"]).unwrap(),
            ["低", "较低", "一般", "较高", "高"]
        );
        // Bands with 不清楚: the bands in order, 不清楚 after them.
        assert_eq!(
            in_order(&["3%以上", "0.5%–1%", "低于0.5%", "不清楚", "1%–3%"]).unwrap(),
            ["低于0.5%", "0.5%–1%", "1%–3%", "3%以上", "不清楚"]
        );
        // A scale missing a step no one chose is made whole; a scale with an answer off it is
        // ordered but no scale.
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            complete_scale(&v(&["不满意", "一般", "满意", "非常满意"])),
            Some(v(&["非常不满意", "不满意", "一般", "满意", "非常满意"]))
        );
        assert_eq!(
            complete_scale(&v(&["不太重要", "一般", "比较重要"])),
            Some(v(&[
                "非常不重要",
                "不太重要",
                "一般",
                "比较重要",
                "非常重要"
            ]))
        );
        assert_eq!(
            complete_scale(&v(&["很不满意", "一般", "很满意"])),
            Some(v(&["很不满意", "不满意", "一般", "满意", "很满意"]))
        );
        assert_eq!(
            complete_scale(&v(&["不了解", "了解一点", "非常了解"])),
            None
        );
        assert_eq!(complete_scale(&v(&["低", "较低", "一般", "较高"])), None);
        assert_eq!(
            complete_scale(&v(&["非常不满意", "不满意", "一般", "满意", "非常满意"])),
            None
        );
        assert!(off_scale(&v(&[
            "0.5%以下",
            "0.5%-1%",
            "1%-2%",
            "2%以上",
            "不清楚"
        ])));
        assert!(!off_scale(&v(&["不了解", "了解一点", "非常了解"])));
        // Word scales are scored higher for more, whichever way they are listed.
        let scores = |l: &[&str]| {
            scored(options(&v(l)))
                .iter()
                .map(|o| o.score)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            scores(&["非常不满意", "不满意", "一般", "满意", "非常满意"]),
            [Some(1), Some(2), Some(3), Some(4), Some(5)]
        );
        assert_eq!(
            scores(&["非常重要", "比较重要", "一般", "不太重要", "非常不重要"]),
            [Some(5), Some(4), Some(3), Some(2), Some(1)]
        );
        assert_eq!(
            scores(&["500张以下", "500-999张", "1000张及以上"]),
            [None, None, None]
        );
        assert_eq!(scores(&["0", "1", "2"]), [None, None, None]);
        assert!(!off_scale(&v(&["≤250", "251-500"])));
        assert!(looks_exclusive("以上都没有"));
        assert_eq!(
            selection_limits("护理信息化建设面临的主要困难（最多选3项）"),
            (None, Some(3))
        );
        assert_eq!(
            selection_limits("至少选择2项，最多选5项"),
            (Some(2), Some(5))
        );
        assert_eq!(selection_limits("最多选几项合适？"), (None, None));
        // A 按序号 option with its other text, in both forms; text with a caret is text.
        assert_eq!(strip_other("5^未定级"), ("5", true));
        assert_eq!(strip_other("5〖未定级〗"), ("5", true));
        assert_eq!(strip_other("A^B"), ("A^B", false));
        assert!(looks_exclusive("暂无计划"));
        assert!(looks_exclusive("暂未使用"));
        assert!(looks_exclusive("暂时无应对方案"));
        assert!(looks_exclusive("暂时没有计划"));
        assert!(!looks_exclusive("暂时性措施"));
        assert!(!looks_exclusive("数据备份"));
    }
}
