//! The questionnaire model: what a survey asks, in what order, and of whom.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A questionnaire: metadata plus ordered sections of questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    /// Path or URL of the JSON Schema this file follows, for editors.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Stable identifier, e.g. `chima-2025-main`. Lower-case letters, digits and `-`.
    pub id: String,
    /// Title as the questionnaire was fielded.
    pub title: Label,
    /// Organisation that ran the survey.
    pub organisation: String,
    /// Survey year.
    pub year: u16,
    /// Wave or round name within the year, e.g. `main` or `ai-special`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<String>,
    /// Language tag of the labels, e.g. `zh-CN`.
    pub language: String,
    /// Free notes on how the questionnaire was transcribed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Sections in fielded order.
    pub sections: Vec<Section>,
}

/// A text in the questionnaire's language with an optional English rendering.
///
/// Written either as a plain string (`"非常了解"`) or as `{"zh": "非常了解", "en": "Very familiar"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(from = "LabelRepr", into = "LabelRepr")]
#[schemars(with = "LabelRepr")]
pub struct Label {
    pub zh: String,
    pub en: Option<String>,
}

impl Label {
    pub fn new(zh: impl Into<String>) -> Self {
        Label {
            zh: zh.into(),
            en: None,
        }
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.zh)
    }
}

/// Wire form of [`Label`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LabelRepr {
    /// Just the label in the questionnaire's language.
    Plain(String),
    /// The label with an English rendering.
    Bilingual {
        zh: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        en: Option<String>,
    },
}

impl From<LabelRepr> for Label {
    fn from(r: LabelRepr) -> Self {
        match r {
            LabelRepr::Plain(zh) => Label { zh, en: None },
            LabelRepr::Bilingual { zh, en } => Label { zh, en },
        }
    }
}

impl From<Label> for LabelRepr {
    fn from(l: Label) -> Self {
        match l.en {
            None => LabelRepr::Plain(l.zh),
            Some(en) => LabelRepr::Bilingual {
                zh: l.zh,
                en: Some(en),
            },
        }
    }
}

/// A titled group of questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: Label,
    pub questions: Vec<Question>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One question.
// `deny_unknown_fields` does not combine with the flattened kind; the loader checks the field
// names itself (see `load.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Question {
    /// Stable identifier that reads well in code and narrative, e.g. `law_awareness`.
    pub id: String,
    /// The question as asked.
    pub text: Label,
    /// What kind of answer it takes.
    #[serde(flatten)]
    pub kind: QuestionKind,
    /// Whether a respondent who is shown the question must answer it.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub required: bool,
    /// Display condition on earlier answers; when absent the question is shown to everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// The answer identifies the respondent (hospital name, organisation code). Identifying
    /// answers never reach a report or a published table.
    #[serde(default, skip_serializing_if = "is_false")]
    pub identifying: bool,
    /// Transcription note (source, known typos kept as published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The kind of answer a question takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuestionKind {
    /// Exactly one option.
    SingleChoice { options: Vec<ChoiceOption> },
    /// Exactly one option from an ordered scale; options are listed in scale order.
    Ordinal { options: Vec<ChoiceOption> },
    /// Any number of options within the selection bounds.
    MultipleChoice {
        options: Vec<ChoiceOption>,
        /// Fewest options an answer may select (at least 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_selections: Option<u32>,
        /// Most options an answer may select.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_selections: Option<u32>,
    },
    /// A whole number within optional bounds.
    Integer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    /// A number within optional bounds.
    Number {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    /// Free text.
    Text {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
    },
}

impl QuestionKind {
    /// Options of a choice question, empty for the other kinds.
    pub fn options(&self) -> &[ChoiceOption] {
        match self {
            QuestionKind::SingleChoice { options }
            | QuestionKind::Ordinal { options }
            | QuestionKind::MultipleChoice { options, .. } => options,
            _ => &[],
        }
    }

    pub fn is_choice(&self) -> bool {
        matches!(
            self,
            QuestionKind::SingleChoice { .. }
                | QuestionKind::Ordinal { .. }
                | QuestionKind::MultipleChoice { .. }
        )
    }

    pub fn is_single(&self) -> bool {
        matches!(
            self,
            QuestionKind::SingleChoice { .. } | QuestionKind::Ordinal { .. }
        )
    }

    pub fn is_multiple(&self) -> bool {
        matches!(self, QuestionKind::MultipleChoice { .. })
    }

    /// The scores of a scale: the options' `score`s when every option has one (很不满意 1 …
    /// 很满意 5), else, when its options are labelled with whole numbers in rising order,
    /// `0`…`10` (a recommendation scale) or `1`…`5` (a rating; a trailing `分` is allowed),
    /// those numbers. Option `k` scores `scores[k]`. Such a scale has a mean, and its
    /// respondent-level files hold the scores. None for any other question.
    pub fn scores(&self) -> Option<Vec<u32>> {
        let QuestionKind::Ordinal { options } = self else {
            return None;
        };
        if options.iter().any(|o| o.score.is_some()) {
            return options.iter().map(|o| o.score).collect();
        }
        let score = |label: &str| {
            let t = label.trim();
            let t = t.strip_suffix('分').unwrap_or(t);
            (!t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<u32>().ok())
                .flatten()
        };
        let scores: Vec<u32> = options
            .iter()
            .map(|o| score(&o.label.zh))
            .collect::<Option<_>>()?;
        (scores.len() >= 2 && scores.windows(2).all(|w| w[0] < w[1])).then_some(scores)
    }

    /// Short name of the kind as written in questionnaire files.
    pub fn name(&self) -> &'static str {
        match self {
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::Ordinal { .. } => "ordinal",
            QuestionKind::MultipleChoice { .. } => "multiple_choice",
            QuestionKind::Integer { .. } => "integer",
            QuestionKind::Number { .. } => "number",
            QuestionKind::Text { .. } => "text",
        }
    }

    /// Effective (min, max) selections of a multiple-choice question.
    #[inline]
    pub fn selection_bounds(&self) -> (u32, u32) {
        match self {
            QuestionKind::MultipleChoice {
                options,
                min_selections,
                max_selections,
            } => (
                min_selections.unwrap_or(1).max(1),
                max_selections.unwrap_or(options.len() as u32),
            ),
            QuestionKind::SingleChoice { .. } | QuestionKind::Ordinal { .. } => (1, 1),
            _ => (0, 0),
        }
    }
}

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// Stable code, distinct from the label; what response records store.
    pub code: String,
    /// Label as published.
    pub label: Label,
    /// Multiple choice only: choosing this option rules out every other (无, 暂无计划, 暂未使用…).
    #[serde(default, skip_serializing_if = "is_false")]
    pub exclusive: bool,
    /// "Other, please specify": the respondent may add free text.
    #[serde(default, skip_serializing_if = "is_false")]
    pub other: bool,
    /// In count-descending tables, list this option after the ranked ones. Defaults to true for
    /// `other` and `exclusive` options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_last: Option<bool>,
    /// Transcription note, e.g. a typo kept as published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Ordinal only: the option's score (问卷星 scores a 量表题 1–5 behind its words). A scale
    /// whose every option has a score has a mean, and its data files hold the scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
}

impl ChoiceOption {
    pub fn new(code: impl Into<String>, label: impl Into<String>) -> Self {
        ChoiceOption {
            code: code.into(),
            label: Label::new(label),
            exclusive: false,
            other: false,
            pinned_last: None,
            note: None,
            score: None,
        }
    }

    /// Whether count-descending tables list this option last.
    pub fn is_pinned_last(&self) -> bool {
        self.pinned_last.unwrap_or(self.other || self.exclusive)
    }
}

/// A display condition on earlier answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The question was shown and answered.
    Answered { question: String },
    /// The answer to a choice question includes this option.
    Chosen { question: String, option: String },
    /// The answer to a choice question includes at least one of these options.
    AnyChosen {
        question: String,
        options: Vec<String>,
    },
    /// The inner condition does not hold.
    Not(Box<Condition>),
    /// Every inner condition holds.
    All(Vec<Condition>),
    /// At least one inner condition holds.
    Any(Vec<Condition>),
}

impl Condition {
    /// Every (question, option) the condition mentions; option is `None` for `answered`.
    pub fn references(&self) -> Vec<(&str, Option<&str>)> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<(&'a str, Option<&'a str>)>) {
        match self {
            Condition::Answered { question } => out.push((question, None)),
            Condition::Chosen { question, option } => out.push((question, Some(option))),
            Condition::AnyChosen { question, options } => out.extend(
                options
                    .iter()
                    .map(|o| (question.as_str(), Some(o.as_str()))),
            ),
            Condition::Not(c) => c.collect(out),
            Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| c.collect(out)),
        }
    }
}

impl Questionnaire {
    /// All questions in fielded order.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }
}

/// A question's wording as a heading, caption or column title: without the colon it ends with
/// before its answer, and without a closing note telling respondents how to answer
/// (（最多选3项）, （可多选）, （请填写）): `下一步建设重点（最多选3项）：` → `下一步建设重点`. A
/// note saying what the question covers (（含医保移动支付）) stays; a question is stated
/// (`…有哪些？` → `…`, `…备案？` → `…备案`) and an opening instruction (请评价) dropped. Words
/// addressing the respondent name what they stand for (`贵院的医院等级` → `医院等级`,
/// `贵院所在省份` → `医院所在省份`), and a stem left open for the answer loses its dangling
/// verb (`运维模式是：` → `运维模式`).
pub fn title(wording: &str) -> String {
    let addressed = readers_words(&without_instructions(&without_blanks(wording.trim())));
    // 推荐本院互联网医院平台: the hospital is named already (trial 46).
    let addressed = match addressed.find("本院") {
        Some(at) if at > 0 && names_a_hospital(&addressed[at + "本院".len()..]) => {
            format!("{}{}", &addressed[..at], &addressed[at + "本院".len()..])
        }
        _ => addressed,
    };
    // 您对本院…的满意度 is about the hospital's service, not the respondent: 医院…的满意度.
    // (您对…是否了解 keeps its subject.)
    let addressed = match addressed.strip_prefix("您对") {
        Some(rest)
            if !rest.contains("是否") && rest.contains('的') && rest.chars().count() >= 4 =>
        {
            match rest.strip_prefix("本院") {
                // 您对本院互联网医院…: the hospital is named already (trial 46).
                Some(r) if names_a_hospital(r) => r.to_owned(),
                Some(r) => format!("医院{r}"),
                None => rest.to_owned(),
            }
        }
        _ => addressed,
    };
    // 以下/下列 points at the questionnaire's list (贵院以下智慧服务的建设成效): a title stands
    // without it. After a number it is a bound (50人以下) and stays.
    let addressed = {
        let mut t = addressed;
        for unit in ["医院", "单位", "本院"] {
            for pointer in ["以下", "下列"] {
                // 医院以下方面的落实情况 → 医院各方面的落实情况.
                t = t.replace(&format!("{unit}{pointer}方面"), &format!("{unit}各方面"));
                t = t.replace(&format!("{unit}{pointer}"), unit);
            }
        }
        // …在以下方面的应用 → …在各方面的应用: the list is the table's rows.
        for pointer in ["以下", "下列"] {
            t = t.replace(&format!("{pointer}方面"), "各方面");
        }
        match ["以下", "下列"].iter().find_map(|p| t.strip_prefix(p)) {
            Some(rest) if rest.chars().count() >= 4 => rest.to_owned(),
            _ => t,
        }
    };
    // A ranking's instruction names what is ranked and by what: 请按重要性对以下改进方向排序
    // → 改进方向按重要性排序.
    if let Some(ranked) = ranking_title(&addressed) {
        return ranked;
    }
    // 请选择…三大障碍并排序 names what is ranked; the rest tells how to answer (trial 42).
    let addressed = ["并进行排序", "并排序"]
        .iter()
        .find_map(|s| {
            addressed
                .trim_end_matches(['？', '?', '。'])
                .strip_suffix(s)
                .filter(|rest| rest.chars().count() >= 4)
        })
        .map_or(addressed.clone(), str::to_owned);
    // 请评价以下说法 is about each statement the table lists: 对各项说法的评价, not 以下说法
    // (trial 42).
    if let Some(rest) = addressed.strip_prefix("请评价")
        && let Some(what) = ["以下", "下列"].iter().find_map(|p| rest.strip_prefix(p))
    {
        let what = what.trim_end_matches(['？', '?', '。', '：', ':']);
        if (1..=4).contains(&what.chars().count()) {
            return format!("对各项{what}的评价");
        }
    }
    // An instruction to the respondent opens it: 请评价…, 请选择….
    let addressed = [
        "请评价",
        "请选择",
        "请选出",
        "请问",
        "请估计",
        "请填写",
        "请列出",
        "请输入",
    ]
    .iter()
    .find_map(|p| {
        addressed
            .strip_prefix(p)
            .filter(|rest| rest.chars().count() >= 4)
    })
    .map_or(addressed.clone(), str::to_owned);
    let t = without_notes(&addressed);
    let ended_open = t.len() < addressed.trim_end().len();
    if ended_open {
        for dangling in ["约为", "是", "将"] {
            if let Some(stem) = t.strip_suffix(dangling)
                && stem.chars().count() >= 2
            {
                return stem.to_owned();
            }
        }
    }
    // A title states, as CHIMA's tables do: 医院是否完成定级备案, not …备案？; and
    // 防护措施有哪些？ is 防护措施.
    let stated = t.trim_end_matches(['？', '?']);
    for asks in ["有多大", "有多高", "如何"] {
        // 推荐…的可能性有多大 → 推荐…的可能性.
        if let Some(stem) = stated.strip_suffix(asks)
            && stem.ends_with('性')
            && stem.chars().count() >= 4
        {
            return stem.to_owned();
        }
    }
    for asks in ["有哪些", "包括哪些", "是哪些", "是什么"] {
        if let Some(stem) = stated.strip_suffix(asks)
            && stem.chars().count() >= 4
        {
            return stem.to_owned();
        }
    }
    // 医院等级是？ and 床位数是多少？ state 医院等级, 床位数 (trial 35: «重复提交（医院名称是
    // 相同）的答卷»).
    for asks in ["是多少", "为多少", "是"] {
        if let Some(stem) = stated.strip_suffix(asks)
            && stem.chars().count() >= 2
            && !stem.ends_with(['的', '不', '否'])
        {
            return stem.to_owned();
        }
    }
    if let Some(named) = which_named(stated) {
        return named;
    }
    if stated.chars().count() >= 2 {
        stated.to_owned()
    } else {
        t
    }
}

/// A question asking which of a few things, stated: 运维主要采用哪种模式 → 运维主要采用的模式,
/// 涵盖哪些内容 → 涵盖的内容, 医院有哪些措施 → 医院的措施, 开展了哪些项目 → 开展的项目.
fn which_named(stated: &str) -> Option<String> {
    let (at, asks) = ["哪几种", "哪几类", "哪一种", "哪种", "哪类", "哪些", "哪个"]
        .iter()
        .filter_map(|a| stated.rfind(a).map(|i| (i, *a)))
        .max_by_key(|(i, a)| (*i, a.len()))?;
    let (before, after) = (&stated[..at], &stated[at + asks.len()..]);
    // What is asked for is a short noun closing the question (模式, 内容, 防护措施).
    let n = after.chars().count();
    if !(1..=6).contains(&n)
        || after.contains(['了', '的', '，', '、'])
        || before.chars().count() < 2
    {
        return None;
    }
    let before = ["有", "是", "了"]
        .iter()
        .find_map(|v| before.strip_suffix(v))
        .filter(|b| b.chars().count() >= 2)
        .unwrap_or(before);
    Some(format!("{before}的{after}"))
}

/// The wording without instructions in brackets inside it: 信息科人员构成（请填写人数）：软件开发人员
/// → 信息科人员构成：软件开发人员.
fn without_instructions(wording: &str) -> String {
    let mut out = wording.to_owned();
    for (open, close) in [('（', '）'), ('(', ')')] {
        let mut from = 0;
        while let Some(a) = out[from..].find(open).map(|i| i + from) {
            let inner_at = a + open.len_utf8();
            let Some(b) = out[inner_at..].find(close).map(|i| i + inner_at) else {
                break;
            };
            let inner = &out[inner_at..b];
            // Something before it, and it tells the respondent what to do (请填写人数), or
            // what the answers add up to (合计100: a 比重题's).
            if a > 0
                && ["请", "合计", "总计", "总和"]
                    .iter()
                    .any(|w| inner.starts_with(w))
                && inner.chars().count() <= 12
            {
                out.replace_range(a..b + close.len_utf8(), "");
                from = a;
            } else {
                from = b;
            }
        }
    }
    out
}

/// `请按A对以下B排序`, `请对以下B按A排序`, `请将B按A进行排序` → `B按A排序`.
fn ranking_title(wording: &str) -> Option<String> {
    let t = without_notes(wording);
    let t = t.trim_end_matches(['？', '?', '。']);
    let rest = t.strip_prefix('请')?;
    let body = rest
        .strip_suffix("进行排序")
        .or_else(|| rest.strip_suffix("排序"))?;
    let by_what = |s: &str| s.strip_prefix('按').map(str::to_owned);
    let (what, by) = if let Some(after) = body.strip_prefix('按') {
        let (by, what) = after.split_once('对')?;
        (what.to_owned(), by.to_owned())
    } else {
        let after = body
            .strip_prefix('对')
            .or_else(|| body.strip_prefix('将'))?;
        match after.rfind('按') {
            Some(at) => (after[..at].to_owned(), by_what(&after[at..])?),
            // 请对…主要困难进行排序 → …主要困难排序 (trial 44).
            None => {
                let what = after.trim_start_matches("以下").trim_start_matches("下列");
                return (what.chars().count() >= 4).then(|| format!("{what}排序"));
            }
        }
    };
    let what = what.trim_start_matches("以下").trim_start_matches("下列");
    (what.chars().count() >= 2 && by.chars().count() >= 2).then(|| format!("{what}按{by}排序"))
}

/// A fill-in's blanks as a title reads them: the blank closing the wording, or a part after
/// `：`, goes, and a unit after it goes into brackets (`(1)专职人员___人` → `专职人员（人）`); the
/// number opening a part (`(1)`, `（2）`, `3.`) goes too. Blanks inside the wording stay.
fn without_blanks(wording: &str) -> String {
    let is_blank = |s: &str| s.starts_with("{_}") || s.starts_with("__");
    if !(wording.contains("__") || wording.contains("{_}")) {
        return wording.to_owned();
    }
    let part = |p: &str| -> String {
        // The opening number: (1), （1）, 1., 1、.
        let mut p = p.trim();
        for (open, close) in [("(", ")"), ("（", "）")] {
            if let Some(rest) = p.strip_prefix(open)
                && let Some((n, after)) = rest.split_once(close)
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && !after.trim().is_empty()
            {
                p = after.trim();
            }
        }
        // The closing blank, and the unit after it (人, 万元, %).
        let Some(at) = p.find(['_', '{']).filter(|&at| is_blank(&p[at..])) else {
            return p.to_owned();
        };
        let before = p[..at].trim_end();
        let after = p[at..]
            .trim_start_matches("{_}")
            .trim_start_matches('_')
            .trim();
        if before.is_empty() || after.contains('_') || after.chars().count() > 3 {
            return p.to_owned();
        }
        let before = before.trim_end_matches(['：', ':']);
        if after.is_empty() {
            before.to_owned()
        } else {
            format!("{before}（{after}）")
        }
    };
    match wording.split_once('：') {
        Some((stem, row)) => format!("{}：{}", stem, part(row)),
        None => part(wording),
    }
}

/// The respondent's words for their hospital or unit (贵院, 您所在医院, 您单位) as a reader's,
/// and for themselves where the rest still reads (您的岗位 → 岗位, 您所在的地区 → 所在地区).
/// Whether `after` opens with a name of a hospital of its own (互联网医院, 分院医院), so that
/// a 贵院/本院 before it needs no 医院: a short run of characters ending in 医院, with no word
/// between that would make it another hospital (与其他医院, 对医院).
fn names_a_hospital(after: &str) -> bool {
    after.find("医院").is_some_and(|at| {
        let run = &after[..at];
        (1..=4).contains(&run.chars().count())
            && !run.contains([
                '与', '和', '及', '、', '，', '的', '对', '在', '向', '同', '其', '他',
            ])
    })
}

fn readers_words(wording: &str) -> String {
    let wording = ["您的", "您"]
        .iter()
        .find_map(|p| {
            wording
                .strip_prefix(p)
                .filter(|rest| rest.chars().count() >= 2)
                // 您对…是否了解 keeps its subject; 您向同事推荐… reads without it.
                .filter(|rest| *p == "您的" || rest.starts_with('向'))
        })
        .unwrap_or(wording);
    const ADDRESSED: [(&str, &str); 14] = [
        ("您所在的医院的", "医院"),
        ("您所在医院的", "医院"),
        ("您所在的医院", "医院"),
        ("您所在医院", "医院"),
        ("您所在的单位", "单位"),
        ("您所在单位", "单位"),
        ("贵院的", "医院"),
        ("贵院", "医院"),
        ("您院的", "医院"),
        ("您院", "医院"),
        ("贵单位的", "单位"),
        ("贵单位", "单位"),
        ("您所在的", "所在"),
        ("您所在", "所在"),
    ];
    let mut out = String::with_capacity(wording.len());
    let mut rest = wording;
    'scan: while !rest.is_empty() {
        for (said, meant) in ADDRESSED {
            if let Some(after) = rest.strip_prefix(said) {
                // `贵院的医院等级`, `贵院互联网医院…`: the noun follows already.
                let named =
                    after.starts_with(meant) || (meant == "医院" && names_a_hospital(after));
                if !named {
                    out.push_str(meant);
                }
                rest = after;
                continue 'scan;
            }
        }
        let c = rest.chars().next().expect("not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The wording without its closing colon and notes on how to answer.
fn without_notes(wording: &str) -> String {
    const HOW: [&str; 6] = ["选", "填写", "请", "必答", "排序", "拖动"];
    let mut t = wording.trim();
    loop {
        let before = t;
        t = t.trim_end_matches(|c: char| c == '：' || c == ':' || c.is_whitespace());
        for (open, close) in [('（', '）'), ('(', ')')] {
            if let Some(rest) = t.strip_suffix(close)
                && let Some(at) = rest.rfind(open)
            {
                let note = &rest[at + open.len_utf8()..];
                if at > 0 && note.chars().count() <= 12 && HOW.iter().any(|h| note.contains(h)) {
                    t = &rest[..at];
                }
            }
        }
        if t == before {
            return t.to_owned();
        }
    }
}

impl Question {
    /// Position of an option code within this question.
    pub fn option_index(&self, code: &str) -> Option<usize> {
        self.kind.options().iter().position(|o| o.code == code)
    }

    /// The option that carries "other, please specify" text, if any.
    pub fn other_option(&self) -> Option<usize> {
        self.kind.options().iter().position(|o| o.other)
    }
}

#[cfg(test)]
mod tests {
    use super::title;

    #[test]
    fn titles_of_fill_ins_shares_and_rankings_read_as_titles() {
        // Trial 44's wordings.
        assert_eq!(
            title("请估计近三年护理信息化投入中各部分所占比重（合计100）：硬件设备"),
            "近三年护理信息化投入中各部分所占比重：硬件设备"
        );
        assert_eq!(
            title("请对护理信息化建设面临的主要困难进行排序"),
            "护理信息化建设面临的主要困难排序"
        );
        assert_eq!(
            title("医院护理信息化人员配置：(1)护理信息科专职人员___人"),
            "医院护理信息化人员配置：护理信息科专职人员（人）"
        );
        assert_eq!(title("年度投入{_}万元"), "年度投入（万元）");
        assert_eq!(title("（2）兼职人员____"), "兼职人员");
        // A blank inside the wording, or before more than a unit, stays.
        assert_eq!(title("近___年来的变化"), "近___年来的变化");
        assert_eq!(
            title("人员___人，其中护士___人"),
            "人员___人，其中护士___人"
        );
    }

    #[test]
    fn titles_lose_the_colon_and_the_note_on_how_to_answer() {
        // Trial 42's instructions.
        assert_eq!(title("请评价以下说法"), "对各项说法的评价");
        assert_eq!(title("请评价下列措施："), "对各项措施的评价");
        assert_eq!(
            title("请选择互联网医院发展的三大障碍并排序"),
            "互联网医院发展的三大障碍"
        );
        assert_eq!(title("您所在医院的等级是："), "医院等级");
        assert_eq!(title("贵院的等级是？"), "医院等级");
        assert_eq!(title("贵院名称是？"), "医院名称");
        assert_eq!(title("贵院编制床位数是多少？"), "医院编制床位数");
        assert_eq!(title("您认为最重要的是？"), "您认为最重要的是");
        assert_eq!(title("贵院的医院等级："), "医院等级");
        // The hospital named already (trial 46), or another hospital named.
        assert_eq!(
            title("您对本院互联网医院以下方面的满意度"),
            "互联网医院各方面的满意度"
        );
        assert_eq!(title("贵院互联网医院的建设模式"), "互联网医院的建设模式");
        assert_eq!(
            title("您向同行推荐本院互联网医院平台的可能性"),
            "向同行推荐互联网医院平台的可能性"
        );
        assert_eq!(
            title("贵院与其他医院的协作方式"),
            "医院与其他医院的协作方式"
        );
        assert_eq!(
            title("请选出互联网医院建设面临的最主要的3项困难并排序"),
            "互联网医院建设面临的最主要的3项困难"
        );
        assert_eq!(title("贵院所在省份"), "医院所在省份");
        assert_eq!(title("贵院的运维模式是："), "医院运维模式");
        assert_eq!(
            title("导致上述故障的主要原因是："),
            "导致上述故障的主要原因"
        );
        assert_eq!(
            title("未来三年贵院信息化投入将：（单选）"),
            "未来三年医院信息化投入"
        );
        assert_eq!(
            title("贵院2024年度信息化总投入约为："),
            "医院2024年度信息化总投入"
        );
        assert_eq!(title("这是"), "这是");
        assert_eq!(title("数据安全违规行为："), "数据安全违规行为");
        assert_eq!(title("您对数据安全法是否了解"), "您对数据安全法是否了解");
        assert_eq!(title("医院所在省份: "), "医院所在省份");
        assert_eq!(
            title("下一步信息化建设重点（最多选3项）"),
            "下一步信息化建设重点"
        );
        assert_eq!(title("已开展的项目（可多选）："), "已开展的项目");
        assert_eq!(title("开展了哪些项目？"), "开展的项目");
        assert_eq!(
            title("贵院信息系统运维主要采用哪种模式？"),
            "医院信息系统运维主要采用的模式"
        );
        assert_eq!(
            title("外包运维服务涵盖哪些内容？（可多选）"),
            "外包运维服务涵盖的内容"
        );
        assert_eq!(title("医院有哪些防护措施"), "医院的防护措施");
        assert_eq!(
            title("护理信息系统在以下方面的应用程度"),
            "护理信息系统在各方面的应用程度"
        );
        assert_eq!(title("在哪些方面开展了工作"), "在哪些方面开展了工作");
        assert_eq!(
            title("您对本院信息系统运维服务的整体满意度："),
            "医院信息系统运维服务的整体满意度"
        );
        assert_eq!(
            title("信息科人员构成（请填写人数）：软件开发人员"),
            "信息科人员构成：软件开发人员"
        );
        assert_eq!(
            title("贵院已部署的网络安全防护措施有哪些？"),
            "医院已部署的网络安全防护措施"
        );
        assert_eq!(
            title("贵院是否完成等保定级备案？"),
            "医院是否完成等保定级备案"
        );
        assert_eq!(
            title("请评价贵院以下方面的落实情况："),
            "医院各方面的落实情况"
        );
        // 以下 pointing at the questionnaire's list goes; as a bound it stays.
        assert_eq!(
            title("请评价贵院以下智慧服务的建设成效："),
            "医院智慧服务的建设成效"
        );
        assert_eq!(
            title("信息科人员在5人以下的原因"),
            "信息科人员在5人以下的原因"
        );
        assert_eq!(
            title("诊间支付（含医保移动支付）"),
            "诊间支付（含医保移动支付）"
        );
        assert_eq!(title("您的岗位类别"), "岗位类别");
        assert_eq!(title("您所在的地区"), "所在地区");
        assert_eq!(
            title("您向同事推荐本院信息系统的可能性有多大？"),
            "向同事推荐本院信息系统的可能性"
        );
        assert_eq!(
            title("请按重要性对以下改进方向排序"),
            "改进方向按重要性排序"
        );
        assert_eq!(
            title("请对以下因素按重要程度进行排序："),
            "因素按重要程度排序"
        );
        assert_eq!(title("请排序"), "请排序");
        assert_eq!(title("时间：上午"), "时间：上午");
        assert_eq!(title("（请填写）"), "（请填写）");
    }
}
