//! The format-neutral export: a questionnaire's export variables (one per single-choice,
//! ordinal, numeric and text question; one 0/1 dichotomy per option of a multiple-choice
//! question, grouped in a multiple-response set; a string for every "other, please specify"
//! text) and what the files' headers need to know of the data (text widths, whether numbers
//! are whole, their range, the codebook's counts), found in one pass over the records. The
//! writers then take the records a [`Chunk`] at a time: no step holds every respondent.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_schema::{Index, QuestionKind, Record, Value};

use crate::naming::NameAllocator;

/// Code of "the question was not shown to this respondent" (display logic).
pub const NOT_SHOWN: i32 = -3;
/// Code of "shown but not answered".
pub const NOT_ANSWERED: i32 = -2;
pub const NOT_SHOWN_LABEL: &str = "未显示";
pub const NOT_ANSWERED_LABEL: &str = "未作答";
/// Code of "an option the respondent left out of a ranking (排序题) that they answered".
pub const NOT_RANKED: i32 = -1;
pub const NOT_RANKED_LABEL: &str = "未排入";

/// Measurement level, as SPSS declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Nominal,
    Ordinal,
    Scale,
}

/// What an export variable holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The respondent's id in the export.
    Id,
    /// The code of the option chosen (single choice, ordinal).
    Choice,
    /// 1 if the option was chosen, 0 if not (multiple choice).
    Dichotomy,
    /// A number answered.
    Number,
    /// A text answered.
    Text,
    /// The text of an "other, please specify" option.
    OtherText,
    /// A respondent's weight.
    Weight,
}

/// One cell of an export variable.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Num(f64),
    NotShown,
    NotAnswered,
    /// An option left out of a ranking the respondent answered.
    NotRanked,
    Text(String),
}

/// Numeric or string storage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VarType {
    /// `integer`: every valid value is a whole number.
    Numeric { integer: bool },
    /// Width: the longest value in UTF-8 bytes (at least 1).
    Text { width_bytes: usize },
}

/// Where a variable's values come from in a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The respondent's id: a number when every id is a plainly written whole number a double
    /// holds exactly, else a text.
    Id,
    /// The chosen option's value (its position plus one, or the score of a scale labelled with
    /// numbers, as in the variable's value labels) of the question at this position.
    Choice {
        question: usize,
    },
    /// Whether option `option` of the multiple-choice question at `question` was chosen.
    Dichotomy {
        question: usize,
        option: usize,
    },
    /// The text typed beside the question's "other, please specify" option.
    OtherText {
        question: usize,
    },
    Number {
        question: usize,
    },
    /// The place given to one option of ranking `ranking` (an index into
    /// [`Export::rankings`]), held by the number question at `question`.
    Place {
        question: usize,
        ranking: usize,
    },
    Text {
        question: usize,
    },
    /// The weight column at this position of the export's weights.
    Weight {
        column: usize,
    },
}

/// One variable of the export.
#[derive(Clone, Debug)]
pub struct ExportVar {
    /// Valid in SPSS and Stata alike (see [`crate::naming`]).
    pub name: String,
    pub label: String,
    pub role: Role,
    pub measure: Measure,
    pub vtype: VarType,
    /// Labels of the valid codes; the missing codes' labels are added by each format.
    pub value_labels: Vec<(i32, String)>,
    /// The question it comes from, by id.
    pub question: Option<String>,
    /// The option it stands for (dichotomies, other texts), by code.
    pub option: Option<String>,
    /// Whether the missing codes apply (questions, not the id or weights).
    pub has_missing: bool,
    pub source: Source,
}

/// What the pass over the records found of one variable.
#[derive(Clone, Debug, PartialEq)]
pub struct VarStats {
    /// Respondents with a value (a text variable: a non-empty text).
    pub valid: u64,
    pub not_shown: u64,
    pub not_answered: u64,
    /// Options left out of a ranking the respondent answered (place variables only).
    pub not_ranked: u64,
    /// Respondents per value label, in the order of the variable's `value_labels`.
    pub label_counts: Vec<u64>,
    /// The smallest and largest number, each starting from 0.
    pub lo: f64,
    pub hi: f64,
    /// Every number is whole and within ±2·10⁹.
    pub integer: bool,
    /// The longest text, in UTF-8 bytes.
    pub longest: usize,
    /// Texts longer than a `.dta` string holds ([`crate::dta::STR_MAX`] bytes): cut there in
    /// the `.dta` only.
    pub cut_in_dta: u64,
}

impl VarStats {
    fn new(labels: usize) -> VarStats {
        VarStats {
            valid: 0,
            not_shown: 0,
            not_answered: 0,
            not_ranked: 0,
            label_counts: vec![0; labels],
            lo: 0.0,
            hi: 0.0,
            integer: true,
            longest: 0,
            cut_in_dta: 0,
        }
    }
}

/// A multiple-response set: a multiple-choice question's dichotomies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MultiSet {
    /// Without SPSS's leading `$`.
    pub name: String,
    pub label: String,
    pub question: String,
    pub variables: Vec<String>,
}

/// A weight to add as a variable: name, label, and the weight of a record.
pub struct WeightColumn<'w> {
    pub name: String,
    pub label: String,
    pub weight: Box<dyn Fn(&Record) -> f64 + Sync + 'w>,
}

/// Records handed over in row order, as often as asked (the export reads them twice).
pub trait RecordSource {
    /// Hand every record to `f` in row order, stopping at the first error.
    fn each_record(&self, f: &mut dyn FnMut(&Record) -> Result<(), String>) -> Result<(), String>;
}

impl RecordSource for [Record] {
    fn each_record(&self, f: &mut dyn FnMut(&Record) -> Result<(), String>) -> Result<(), String> {
        self.iter().try_for_each(f)
    }
}

/// What the writers' cell buffers may take at once: rows per [`Chunk`] are this divided by a
/// row's size.
const CHUNK_BYTES: usize = 8 << 20;

/// A dataset ready to write.
pub struct Export<'w> {
    /// The questionnaire's title (the file label).
    pub label: String,
    pub questionnaire: String,
    pub vars: Vec<ExportVar>,
    /// One per variable.
    pub stats: Vec<VarStats>,
    pub mr_sets: Vec<MultiSet>,
    /// Respondents.
    pub n: usize,
    /// Identifying questions are in the export.
    pub identifying: bool,
    /// Rows the writers take at a time (a test may lower it; the files do not change).
    pub chunk_rows: usize,
    weights: Vec<WeightColumn<'w>>,
    /// The rankings (排序题): each the positions of the questions holding its options' places.
    pub rankings: Vec<Vec<usize>>,
}

impl ExportVar {
    /// Whether the variable holds a ranking option's place (and so has the not-ranked code).
    pub fn is_place(&self) -> bool {
        matches!(self.source, Source::Place { .. })
    }
}

/// Rows of cells, column by column, handed to the writers.
#[derive(Debug, Default)]
pub struct Chunk {
    pub rows: usize,
    /// One column per export variable.
    pub columns: Vec<Vec<Cell>>,
}

/// A cell as found in a record, before it is copied into a [`Chunk`].
#[derive(Clone, Copy, Debug, PartialEq)]
enum CellRef<'r> {
    Num(f64),
    NotShown,
    NotAnswered,
    NotRanked,
    Text(&'r str),
}

impl CellRef<'_> {
    fn owned(self) -> Cell {
        match self {
            CellRef::Num(x) => Cell::Num(x),
            CellRef::NotShown => Cell::NotShown,
            CellRef::NotAnswered => Cell::NotAnswered,
            CellRef::NotRanked => Cell::NotRanked,
            CellRef::Text(t) => Cell::Text(t.to_owned()),
        }
    }
}

/// An id written as a number: a whole number as plainly written (no sign but a minus, no
/// leading zero, so that `0002` and `2` stay apart) that a double holds exactly.
fn numeric(id: &str) -> Option<f64> {
    const EXACT: i64 = 1 << 53;
    id.parse::<i64>()
        .ok()
        .filter(|x| x.to_string() == id && (-EXACT..=EXACT).contains(x))
        .map(|x| x as f64)
}

fn missing(v: &Value) -> Option<CellRef<'static>> {
    match v {
        Value::NotShown => Some(CellRef::NotShown),
        Value::Skipped => Some(CellRef::NotAnswered),
        _ => None,
    }
}

impl Export<'_> {
    /// Variable `v`'s cell of record `r`; `numeric_id`: the id is written as a number.
    fn cell<'r>(&self, v: &ExportVar, r: &'r Record, numeric_id: bool) -> CellRef<'r> {
        match v.source {
            Source::Id => match numeric(&r.id) {
                Some(x) if numeric_id => CellRef::Num(x),
                _ => CellRef::Text(&r.id),
            },
            Source::Choice { question } => {
                missing(&r.values[question]).unwrap_or(match r.values[question] {
                    // The option's value: its position plus one, or a scale's score.
                    Value::Choice(c) => v
                        .value_labels
                        .get(usize::from(c))
                        .map_or(CellRef::NotAnswered, |(value, _)| {
                            CellRef::Num(f64::from(*value))
                        }),
                    _ => CellRef::NotAnswered,
                })
            }
            Source::Dichotomy { question, option } => missing(&r.values[question]).unwrap_or(
                CellRef::Num(f64::from(u8::from(r.values[question].includes(option)))),
            ),
            Source::OtherText { question } => {
                CellRef::Text(r.other_text(question).unwrap_or_default())
            }
            Source::Number { question } => {
                missing(&r.values[question]).unwrap_or(match r.values[question] {
                    Value::Number(x) => CellRef::Num(x),
                    _ => CellRef::NotAnswered,
                })
            }
            // Unanswered beside options given places: left out of the ranking.
            Source::Place { question, ranking } => match r.values[question] {
                Value::Number(x) => CellRef::Num(x),
                Value::Skipped
                    if self.rankings[ranking]
                        .iter()
                        .any(|&q| matches!(r.values[q], Value::Number(_))) =>
                {
                    CellRef::NotRanked
                }
                ref v => missing(v).unwrap_or(CellRef::NotAnswered),
            },
            Source::Text { question } => match &r.values[question] {
                Value::Text(t) => CellRef::Text(t),
                _ => CellRef::Text(""),
            },
            Source::Weight { column } => CellRef::Num((self.weights[column].weight)(r)),
        }
    }

    /// Whether the id is written as a number.
    fn numeric_id(&self) -> bool {
        matches!(self.vars[0].vtype, VarType::Numeric { .. })
    }

    /// An empty chunk with room for [`Export::chunk_rows`] rows.
    pub fn chunk(&self) -> Chunk {
        Chunk {
            rows: 0,
            columns: self
                .vars
                .iter()
                .map(|_| Vec::with_capacity(self.chunk_rows))
                .collect(),
        }
    }

    /// Add record `r` to `chunk`. A text longer than the pass over the records found means the
    /// records changed between the two reads: an error, not a file with a cut text.
    pub fn push(&self, chunk: &mut Chunk, r: &Record) -> Result<(), String> {
        let numeric_id = self.numeric_id();
        for (v, col) in self.vars.iter().zip(&mut chunk.columns) {
            let c = self.cell(v, r, numeric_id);
            if let (CellRef::Text(t), VarType::Text { width_bytes }) = (c, v.vtype)
                && t.len() > width_bytes
            {
                return Err(format!(
                    "respondent {}: variable {} holds {} bytes, more than the {} found when the records were first read (did the records change?)",
                    r.id,
                    v.name,
                    t.len(),
                    width_bytes
                ));
            }
            col.push(c.owned());
        }
        chunk.rows += 1;
        Ok(())
    }
}

/// The text typed beside option `o` ("other, please specify") of question `q` at `qi`.
fn other_text_var(
    names: &mut NameAllocator,
    q: &survey_schema::Question,
    qi: usize,
    o: &survey_schema::ChoiceOption,
    text: &str,
) -> ExportVar {
    text_var(
        names,
        &format!("{}_{}_text", q.id, o.code),
        format!("{text} - {}（文本）", o.label.zh),
        Role::OtherText,
        &q.id,
        Some(&o.code),
        Source::OtherText { question: qi },
    )
}

fn text_var(
    names: &mut NameAllocator,
    name: &str,
    label: String,
    role: Role,
    question: &str,
    option: Option<&str>,
    source: Source,
) -> ExportVar {
    ExportVar {
        name: names.alloc(name),
        label,
        role,
        measure: Measure::Nominal,
        // The width is set once the records are read.
        vtype: VarType::Text { width_bytes: 1 },
        value_labels: Vec::new(),
        question: Some(question.to_owned()),
        option: option.map(str::to_owned),
        has_missing: false,
        source,
    }
}

/// The export variables of a questionnaire, and what one pass over its valid records finds of
/// them. Identifying questions (hospital names, codes) are left out unless `identifying`.
pub fn flatten<'w, R: RecordSource + ?Sized>(
    index: &Index,
    records: &R,
    identifying: bool,
    weights: Vec<WeightColumn<'w>>,
) -> Result<Export<'w>, String> {
    flatten_ranked(index, records, identifying, weights, &[])
}

/// [`flatten`], with the rankings (排序题) of the export: each the number questions, by id,
/// holding the places given to its options. An option left out of a ranking the respondent
/// answered is then [`NOT_RANKED`], not [`NOT_ANSWERED`].
pub fn flatten_ranked<'w, R: RecordSource + ?Sized>(
    index: &Index,
    records: &R,
    identifying: bool,
    weights: Vec<WeightColumn<'w>>,
    rankings: &[Vec<String>],
) -> Result<Export<'w>, String> {
    let rankings: Vec<Vec<usize>> = rankings
        .iter()
        .map(|qs| qs.iter().filter_map(|q| index.position(q)).collect())
        .collect();
    let ranking_of = |qi: usize| rankings.iter().position(|qs| qs.contains(&qi));
    let mut names = NameAllocator::new();
    let mut vars = Vec::new();
    let mut mr_sets = Vec::new();
    vars.push(ExportVar {
        name: names.alloc("resp_id"),
        label: "答卷编号".into(),
        role: Role::Id,
        // Set once the records are read.
        measure: Measure::Scale,
        vtype: VarType::Numeric { integer: true },
        value_labels: Vec::new(),
        question: None,
        option: None,
        has_missing: false,
        source: Source::Id,
    });
    for (qi, q) in index.questions().iter().enumerate() {
        if q.identifying && !identifying {
            continue;
        }
        // The wording as a label: without the colon before the answer.
        let text = survey_schema::title(&q.text.zh);
        let opts = q.kind.options();
        match &q.kind {
            QuestionKind::SingleChoice { .. } | QuestionKind::Ordinal { .. } => {
                vars.push(ExportVar {
                    name: names.alloc(&q.id),
                    label: text.clone(),
                    role: Role::Choice,
                    measure: if matches!(q.kind, QuestionKind::Ordinal { .. }) {
                        Measure::Ordinal
                    } else {
                        Measure::Nominal
                    },
                    vtype: VarType::Numeric { integer: true },
                    // A scale labelled 0…10 holds its scores, so that its mean is the mean
                    // score; any other choice its options' positions from 1.
                    value_labels: match q.kind.scores() {
                        Some(scores) => scores
                            .iter()
                            .zip(opts)
                            .map(|(s, o)| (*s as i32, o.label.zh.clone()))
                            .collect(),
                        None => opts
                            .iter()
                            .enumerate()
                            .map(|(k, o)| (k as i32 + 1, o.label.zh.clone()))
                            .collect(),
                    },
                    question: Some(q.id.clone()),
                    option: None,
                    has_missing: true,
                    source: Source::Choice { question: qi },
                });
                if let Some(o) = opts.iter().find(|o| o.other) {
                    vars.push(other_text_var(&mut names, q, qi, o, &text));
                }
            }
            QuestionKind::MultipleChoice { .. } => {
                let mut set = Vec::new();
                for (k, o) in opts.iter().enumerate() {
                    let name = names.alloc(&format!("{}_{}", q.id, o.code));
                    set.push(name.clone());
                    vars.push(ExportVar {
                        name,
                        label: format!("{text} - {}", o.label.zh),
                        role: Role::Dichotomy,
                        measure: Measure::Nominal,
                        vtype: VarType::Numeric { integer: true },
                        value_labels: vec![(0, "未选".into()), (1, "选中".into())],
                        question: Some(q.id.clone()),
                        option: Some(o.code.clone()),
                        has_missing: true,
                        source: Source::Dichotomy {
                            question: qi,
                            option: k,
                        },
                    });
                    if o.other {
                        vars.push(other_text_var(&mut names, q, qi, o, &text));
                    }
                }
                if set.len() >= 2 {
                    mr_sets.push(MultiSet {
                        name: names.alloc_set(&q.id),
                        label: text.clone(),
                        question: q.id.clone(),
                        variables: set,
                    });
                }
            }
            QuestionKind::Integer { .. } | QuestionKind::Number { .. } => {
                vars.push(ExportVar {
                    name: names.alloc(&q.id),
                    label: text,
                    role: Role::Number,
                    measure: Measure::Scale,
                    // Set once the records are read.
                    vtype: VarType::Numeric { integer: true },
                    value_labels: Vec::new(),
                    question: Some(q.id.clone()),
                    option: None,
                    has_missing: true,
                    source: match ranking_of(qi) {
                        Some(ranking) => Source::Place {
                            question: qi,
                            ranking,
                        },
                        None => Source::Number { question: qi },
                    },
                });
            }
            QuestionKind::Text { .. } => {
                vars.push(text_var(
                    &mut names,
                    &q.id,
                    text,
                    Role::Text,
                    &q.id,
                    None,
                    Source::Text { question: qi },
                ));
            }
        }
    }
    for (column, w) in weights.iter().enumerate() {
        vars.push(ExportVar {
            name: names.alloc(&w.name),
            label: w.label.clone(),
            role: Role::Weight,
            measure: Measure::Scale,
            vtype: VarType::Numeric { integer: false },
            value_labels: Vec::new(),
            question: None,
            option: None,
            has_missing: false,
            source: Source::Weight { column },
        });
    }
    let mut ds = Export {
        label: index.questionnaire().title.zh.clone(),
        questionnaire: index.questionnaire().id.clone(),
        stats: vars
            .iter()
            .map(|v| VarStats::new(v.value_labels.len()))
            .collect(),
        vars,
        mr_sets,
        n: 0,
        identifying,
        chunk_rows: 1,
        weights,
        rankings,
    };
    // The one pass: every cell is looked at, the id as a number where it is one.
    let mut ids_numeric = true;
    let mut n = 0usize;
    let mut stats = std::mem::take(&mut ds.stats);
    records.each_record(&mut |r| {
        n += 1;
        ids_numeric &= numeric(&r.id).is_some();
        for (v, s) in ds.vars.iter().zip(stats.iter_mut()) {
            let c = ds.cell(v, r, true);
            match c {
                CellRef::Num(x) => {
                    s.valid += 1;
                    s.lo = s.lo.min(x);
                    s.hi = s.hi.max(x);
                    s.integer &= x.fract() == 0.0 && x.abs() < 2e9;
                    if let Some(k) = v.value_labels.iter().position(|(c, _)| f64::from(*c) == x) {
                        s.label_counts[k] += 1;
                    }
                }
                CellRef::NotShown => s.not_shown += 1,
                CellRef::NotAnswered => s.not_answered += 1,
                CellRef::NotRanked => s.not_ranked += 1,
                CellRef::Text(t) => {
                    s.valid += u64::from(!t.is_empty());
                    s.longest = s.longest.max(t.len());
                    s.cut_in_dta += u64::from(t.len() > crate::dta::STR_MAX);
                }
            }
            match v.source {
                Source::Id => s.longest = s.longest.max(r.id.len()),
                // A text question's file cell is an empty text either way; the codebook still
                // tells not shown from not answered.
                Source::Text { question } => match r.values[question] {
                    Value::NotShown => s.not_shown += 1,
                    Value::Skipped => s.not_answered += 1,
                    _ => {}
                },
                _ => {}
            }
        }
        Ok(())
    })?;
    ds.stats = stats;
    ds.n = n;
    for (v, s) in ds.vars.iter_mut().zip(&ds.stats) {
        match v.source {
            Source::Id if !ids_numeric => {
                v.measure = Measure::Nominal;
                v.vtype = VarType::Text {
                    width_bytes: s.longest.max(1),
                };
            }
            Source::Number { .. } | Source::Place { .. } => {
                v.vtype = VarType::Numeric { integer: s.integer };
            }
            Source::OtherText { .. } | Source::Text { .. } => {
                v.vtype = VarType::Text {
                    width_bytes: s.longest.max(1),
                };
            }
            _ => {}
        }
    }
    let row_bytes: usize = ds
        .vars
        .iter()
        .map(|v| {
            std::mem::size_of::<Cell>()
                + match v.vtype {
                    VarType::Text { width_bytes } => width_bytes,
                    VarType::Numeric { .. } => 0,
                }
        })
        .sum();
    ds.chunk_rows = (CHUNK_BYTES / row_bytes.max(1)).max(1);
    Ok(ds)
}

/// A variable label cut to fit `max` as `len` measures it (bytes for SPSS, characters for
/// Stata), the cut marked «…». A label that names an option or a row after its question
/// (`题干 - 选项`, `题干：行`) is cut in the question's wording, never in the end that tells
/// the variables of one question apart.
pub fn clip_label_by(s: &str, max: usize, len: impl Fn(&str) -> usize) -> String {
    if len(s) <= max {
        return s.to_owned();
    }
    let ell = len("…");
    // The longest start of `t` that fits in `room` with «…» after it.
    let cut = |t: &str, room: usize| -> String {
        let mut end = 0;
        for (i, ch) in t.char_indices() {
            if len(&t[..i + ch.len_utf8()]) + ell > room {
                break;
            }
            end = i + ch.len_utf8();
        }
        format!("{}…", &t[..end])
    };
    let sep = [" - ", "：", ":"].iter().filter_map(|p| s.rfind(p)).max();
    if let Some(i) = sep {
        let tail = &s[i..];
        // Some of the question's wording stays before the end.
        if len(tail) + ell + len("题干") <= max {
            return format!("{}{tail}", cut(&s[..i], max - len(tail)));
        }
    }
    cut(s, max)
}

#[cfg(test)]
mod label_tests {
    use super::clip_label_by;

    #[test]
    fn a_long_question_keeps_its_options_apart_in_cut_labels() {
        // Trial 32: three options of a long multiple choice got the same cut label in .sav
        // and .dta; the cut now falls in the question's wording.
        let stem =
            "贵院在数据分类分级、数据安全风险评估、个人信息保护影响评估与数据出境安全评估等方面"
                .repeat(3);
        let bytes = |o: &str| clip_label_by(&format!("{stem} - {o}"), 255, str::len);
        let chars = |o: &str| clip_label_by(&format!("{stem} - {o}"), 80, |t| t.chars().count());
        let (a, b) = (bytes("已开展"), bytes("正在开展"));
        assert!(a.len() <= 255 && b.len() <= 255, "{a} {b}");
        assert!(
            a.ends_with("… - 已开展") && b.ends_with("… - 正在开展"),
            "{a} {b}"
        );
        assert!(a.starts_with("贵院在数据分类分级"));
        let (a, b) = (chars("已开展"), chars("正在开展"));
        assert!(
            a.chars().count() <= 80 && b.chars().count() == 80,
            "{a} {b}"
        );
        assert!(
            a.ends_with("… - 已开展") && b.ends_with("… - 正在开展"),
            "{a} {b}"
        );
        // A label that fits is kept; one with no separator is cut at its end.
        assert_eq!(
            clip_label_by("医院级别 - 三级", 80, str::len),
            "医院级别 - 三级"
        );
        let plain = clip_label_by(&stem, 80, |t| t.chars().count());
        assert!(plain.ends_with('…') && plain.chars().count() == 80);
    }
}
