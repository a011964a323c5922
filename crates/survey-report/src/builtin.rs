//! The built-in block kinds.

use serde::Deserialize;
use survey_aggregate::{FrequencyTable, RowOrder};
use survey_export::blocks::{self, Chart, ChartStyle, Row, Table};
use survey_export::files::{TableEntry, TableRow};
use survey_export::fmt;
use survey_export::typst::lit;

use survey_stats::intervals::{self, Method};

use crate::block::{Block, Context, Registry, declare};
use crate::stats_blocks;

impl Registry {
    /// Every built-in kind.
    pub fn with_builtins() -> Registry {
        let mut r = Registry::empty();
        r.register::<Cover>("cover")
            .register::<Part>("part")
            .register::<Heading>("heading")
            .register::<NarrativeBlock>("narrative")
            .register::<Committee>("committee")
            .register::<Toc>("toc")
            .register::<TableBlock>("table")
            .register::<ChartBlock>("chart")
            .register::<crate::stats_blocks::CrossTabBlock>("crosstab")
            .register::<crate::stats_blocks::WeightedTable>("weighted_table")
            .register::<NumericSummary>("numeric_summary")
            .register::<Funnel>("funnel")
            .register::<Methodology>("methodology")
            .register::<DataAppendix>("data_appendix")
            .register::<PageBreak>("page_break")
            .register::<crate::audit::AuditBlock>("audit");
        r
    }
}

/// The cover page; the pages after it are numbered in roman numerals until the first part.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cover {
    pub title: String,
    #[serde(default)]
    pub subtitle: Option<String>,
    pub organisation: String,
    #[serde(default)]
    pub edition: Option<String>,
    /// A notice printed on the cover (e.g. that the data are synthetic).
    #[serde(default)]
    pub note: Option<String>,
}

impl Block for Cover {
    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let title = cx.doc.str(&self.title);
        let org = cx.doc.str(&self.organisation);
        let sub = self.subtitle.as_deref().map(|s| cx.doc.str(s));
        let edition = self.edition.as_deref().map(|s| cx.doc.str(s));
        let note = self.note.as_deref().map(|s| cx.doc.str(s));
        cx.doc.line("#set page(numbering: none)");
        cx.doc
            .line("#page(margin: 0pt, header: none, footer: none, {");
        cx.doc
            .line("  place(top + left, rect(width: 100%, height: 42%, fill: accent))");
        cx.doc
            .line("  place(top + left, dx: 2.6cm, dy: 4.2cm, block(width: 15.5cm, {");
        cx.doc
            .line("    set par(first-line-indent: 0em, justify: false)");
        cx.doc.line(&format!(
            "    text(font: sans, size: 30pt, weight: \"bold\", fill: white, {title})"
        ));
        if let Some(s) = sub {
            cx.doc.line(&format!(
                "    v(0.6em); text(font: sans, size: 14pt, fill: white, {s})"
            ));
        }
        cx.doc
            .line("    v(0.8em); line(length: 5cm, stroke: 2pt + white)");
        cx.doc.line("  }))");
        cx.doc
            .line("  place(top + left, dx: 2.6cm, dy: 17.5cm, block(width: 15.5cm, {");
        cx.doc
            .line("    set par(first-line-indent: 0em, justify: false)");
        cx.doc.line(&format!(
            "    text(font: sans, size: 14pt, weight: \"bold\", fill: accent, {org})"
        ));
        if let Some(e) = edition {
            cx.doc.line(&format!(
                "    v(0.5em); text(font: sans, size: 12pt, fill: luma(80), {e})"
            ));
        }
        cx.doc.line("  }))");
        if let Some(n) = note {
            cx.doc.line(&format!(
                "  place(bottom + left, dx: 2.6cm, dy: -2.2cm, block(width: 15.8cm, inset: 8pt, stroke: 0.6pt + rgb(\"#c75146\"), radius: 2pt, {{ set par(first-line-indent: 0em); text(font: sans, size: 8.5pt, fill: rgb(\"#8a2f26\"), {n}) }}))"
            ));
        }
        cx.doc.line("})");
        cx.doc.line("#set page(numbering: \"I\")");
        cx.doc.line("#counter(page).update(1)");
        Ok(())
    }
}

/// A part: a new page with its number and title (01 PART 调查研究背景). The first part starts
/// the arabic page numbers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub number: String,
    pub title: String,
}

impl Block for Part {
    fn render(&self, cx: &mut Context) -> Result<(), String> {
        if cx.parts_seen == 0 {
            cx.doc.line("#set page(numbering: \"1\")");
            cx.doc.line("#counter(page).update(1)");
        }
        cx.parts_seen += 1;
        cx.doc.note_chars("PART");
        let n = cx.doc.str(&self.number);
        let t = cx.doc.str(&self.title);
        cx.doc.line(&format!("#part({n}, {t})\n"));
        Ok(())
    }
}

fn default_level() -> u8 {
    2
}
fn yes() -> bool {
    true
}

/// A heading. Level 1 headings outside parts (编写说明, 课题组织架构) may start a new page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heading {
    pub title: String,
    #[serde(default = "default_level")]
    pub level: u8,
    #[serde(default = "yes")]
    pub outlined: bool,
    #[serde(default)]
    pub new_page: bool,
}

impl Block for Heading {
    fn render(&self, cx: &mut Context) -> Result<(), String> {
        if !(1..=3).contains(&self.level) {
            return Err(format!("level {} is not 1, 2 or 3", self.level));
        }
        if self.new_page {
            cx.doc.line("#pagebreak(weak: true)");
        }
        let t = cx.doc.str(&self.title);
        cx.doc.line(&format!(
            "#heading(level: {}, outlined: {}, {t})",
            self.level, self.outlined
        ));
        Ok(())
    }
}

/// Narrative text from a file of the report folder (optionally one passage of it).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NarrativeBlock {
    pub file: String,
    #[serde(default)]
    pub passage: Option<String>,
}

impl Block for NarrativeBlock {
    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let n = cx.narrative(&self.file)?.clone();
        let paras = n.passage(self.passage.as_deref()).ok_or_else(|| {
            format!(
                "{} has no passage `{}`; its passages are {}",
                self.file,
                self.passage.as_deref().unwrap_or_default(),
                n.passages
                    .iter()
                    .filter_map(|p| p.name.as_deref())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let owned: Vec<_> = paras.into_iter().cloned().collect();
        cx.paras(&n.file, &owned)
    }
}

/// The committee list, from a TOML file of the report folder.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Committee {
    pub file: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommitteeFile {
    groups: Vec<Group>,
    #[serde(default)]
    notes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    role: String,
    members: Vec<Member>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Member {
    #[serde(default)]
    organisation: Option<String>,
    names: Vec<String>,
}

impl Block for Committee {
    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let path = cx.dir.join(&self.file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: cannot read: {e}", self.file))?;
        let c: CommitteeFile =
            toml::from_str(&text).map_err(|e| format!("{}: {}", self.file, e.message()))?;
        cx.doc.line("#block(inset: (left: 2em), {");
        cx.doc
            .line("  set par(first-line-indent: 0em, spacing: 0.7em)");
        for g in &c.groups {
            let role = cx.doc.str(&g.role);
            cx.doc.line(&format!("  block(above: 1.1em, below: 0.6em, text(font: sans, weight: \"bold\", fill: accent, {role}))"));
            for m in &g.members {
                let names = cx.doc.str(&m.names.join("、"));
                match &m.organisation {
                    Some(o) => {
                        let o = cx.doc.str(o);
                        cx.doc.line(&format!(
                            "  par(hanging-indent: 2em, [#{o}#h(1em)#{names}])"
                        ));
                    }
                    None => cx.doc.line(&format!("  par([#{names}])")),
                }
            }
        }
        for n in &c.notes {
            let n = cx.doc.str(n);
            cx.doc.line(&format!(
                "  block(above: 1.2em, text(size: 9.5pt, fill: luma(80), {n}))"
            ));
        }
        cx.doc.line("})");
        Ok(())
    }
}

fn toc_title() -> String {
    "目录".into()
}
fn toc_depth() -> u8 {
    2
}

/// The table of contents.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toc {
    #[serde(default = "toc_title")]
    pub title: String,
    #[serde(default = "toc_depth")]
    pub depth: u8,
}

impl Block for Toc {
    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let t = cx.doc.str(&self.title);
        cx.doc.line("#pagebreak(weak: true)");
        cx.doc.line(&format!(
            "#outline(title: {t}, depth: {}, indent: 2em)",
            self.depth
        ));
        Ok(())
    }
}

/// How rows are ordered, as written in a spec.
#[derive(Debug, Clone, Copy, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    #[default]
    Questionnaire,
    Natural,
    CountDescending,
}

impl From<Order> for RowOrder {
    fn from(o: Order) -> RowOrder {
        match o {
            Order::Questionnaire => RowOrder::Questionnaire,
            Order::Natural => RowOrder::Natural,
            Order::CountDescending => RowOrder::CountDescending,
        }
    }
}

pub(crate) fn frequency(
    cx: &Context,
    dataset: &str,
    question: &str,
    order: Order,
) -> Result<FrequencyTable, String> {
    let d = cx.dataset(dataset)?;
    let q = d
        .index
        .get(question)
        .ok_or_else(|| format!("dataset `{dataset}` has no question `{question}`"))?;
    if q.identifying {
        return Err(format!(
            "`{question}` identifies respondents; it is never tabulated"
        ));
    }
    d.aggregate
        .frequency(&d.index, question, order.into())
        .map_err(|e| e.to_string())
}

/// Rows as printed: counts, percentages of the base (two decimals, half up).
fn rows(t: &FrequencyTable, counts: bool) -> Vec<Row> {
    t.rows
        .iter()
        .map(|r| Row {
            label: r.label.clone(),
            count: r.count,
            percent: fmt::percent(r.count, t.base, 2),
            value: if counts {
                r.count as f64
            } else {
                r.percent.unwrap_or(0.0)
            },
        })
        .collect()
}

/// A note on the base, when not every respondent answered.
fn base_note(t: &FrequencyTable) -> Option<String> {
    (t.not_shown + t.skipped > 0).then(|| {
        let mut s = format!("N={}：看到并回答本题的应答者", t.base);
        if t.not_shown > 0 {
            s.push_str(&format!("；未显示本题{}人", t.not_shown));
        }
        if t.skipped > 0 {
            s.push_str(&format!("；未作答{}人", t.skipped));
        }
        s
    })
}

/// A numbered frequency table with the base in its header (`比例[N=720]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableBlock {
    pub dataset: String,
    pub question: String,
    #[serde(default)]
    pub number: Option<String>,
    pub caption: String,
    /// First column's header; the question text when absent.
    #[serde(default)]
    pub header: Option<String>,
    #[serde(default)]
    pub order: Order,
    /// Print a confidence interval for each option's share (`wilson`, `logit`,
    /// `clopper_pearson`); none when absent.
    #[serde(default)]
    pub intervals: Option<Method>,
    #[serde(default = "stats_blocks::default_level")]
    pub level: f64,
}

impl Block for TableBlock {
    fn declares(&self) -> Vec<(String, String)> {
        declare("tbl", &self.number)
    }

    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let t = frequency(cx, &self.dataset, &self.question, self.order)?;
        let number = cx.number("tbl", self.number.as_deref())?;
        let header = self.header.clone().unwrap_or_else(|| t.text.clone());
        let pct_header = format!("比例[N={}]", t.base);
        let rows = rows(&t, false);
        let mut note = base_note(&t);
        let ci = match self.intervals {
            Some(m) => {
                stats_blocks::check_level(self.level)?;
                let cells: Vec<String> = t
                    .rows
                    .iter()
                    .map(|r| {
                        stats_blocks::interval_text(intervals::interval(
                            m, r.count, t.base, self.level,
                        ))
                    })
                    .collect();
                let level = fmt::number_f64(self.level * 100.0, 0);
                let what = format!(
                    "置信区间为{}法{level}%区间（%），按简单随机抽样计算，未计入非概率抽样的偏差",
                    m.zh()
                );
                note = Some(match note {
                    Some(n) => format!("{n}；{what}"),
                    None => what,
                });
                Some((format!("{level}%置信区间"), cells))
            }
            None => None,
        };
        blocks::table(
            &mut cx.doc,
            &Table {
                number: &number,
                caption: &self.caption,
                headers: [&header, "数量", &pct_header],
                rows: &rows,
                note: note.as_deref(),
                extra: ci.as_ref().map(|(h, c)| (h.as_str(), c.as_slice())),
            },
        );
        cx.tables.push(TableEntry {
            number,
            dataset: self.dataset.clone(),
            question: self.question.clone(),
            title: self.caption.clone(),
            base: t.base,
            not_shown: t.not_shown,
            skipped: t.skipped,
            rows: t
                .rows
                .iter()
                .map(|r| TableRow {
                    code: r.code.clone(),
                    label: r.label.clone(),
                    count: r.count,
                    percent: r.percent,
                })
                .collect(),
        });
        Ok(())
    }
}

/// What a chart draws.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Values {
    #[default]
    Percent,
    Count,
}

/// Chart style as written in a spec.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    #[default]
    Auto,
    Bars,
    Columns,
    Donut,
}

/// A numbered chart of a choice question.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartBlock {
    pub dataset: String,
    pub question: String,
    #[serde(default)]
    pub number: Option<String>,
    pub caption: String,
    /// Title above the chart.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub style: Style,
    #[serde(default)]
    pub order: Order,
    #[serde(default)]
    pub values: Values,
}

impl Block for ChartBlock {
    fn declares(&self) -> Vec<(String, String)> {
        declare("fig", &self.number)
    }

    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let t = frequency(cx, &self.dataset, &self.question, self.order)?;
        let number = cx.number("fig", self.number.as_deref())?;
        let d = cx.dataset(&self.dataset)?;
        let q = d.index.get(&self.question).expect("checked by frequency");
        let longest = t
            .rows
            .iter()
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(0);
        let style = match self.style {
            Style::Bars => ChartStyle::Bars,
            Style::Columns => ChartStyle::Columns,
            Style::Donut => ChartStyle::Donut,
            Style::Auto if q.kind.is_multiple() || longest > 14 => ChartStyle::Bars,
            Style::Auto
                if t.rows.len() <= 5
                    && !matches!(q.kind, survey_schema::QuestionKind::Ordinal { .. }) =>
            {
                ChartStyle::Donut
            }
            Style::Auto if t.rows.len() <= 8 => ChartStyle::Columns,
            Style::Auto => ChartStyle::Bars,
        };
        if style == ChartStyle::Donut && q.kind.is_multiple() {
            return Err("a donut shows parts of a whole; a multiple-choice question's options overlap, so use bars".into());
        }
        let rows = rows(&t, self.values == Values::Count);
        let note = if q.kind.is_multiple() {
            Some(format!("多选题，N={}，各项比例合计超过100%", t.base))
        } else {
            Some(format!("N={}", t.base))
        };
        blocks::chart(
            &mut cx.doc,
            &Chart {
                number: &number,
                caption: &self.caption,
                title: self.title.as_deref(),
                style,
                rows: &rows,
                percent_axis: self.values == Values::Percent,
                note: note.as_deref(),
            },
        );
        Ok(())
    }
}

/// A numbered summary of numeric questions: n, mean, quartiles, extremes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericSummary {
    pub dataset: String,
    pub questions: Vec<String>,
    #[serde(default)]
    pub number: Option<String>,
    pub caption: String,
}

impl Block for NumericSummary {
    fn declares(&self) -> Vec<(String, String)> {
        declare("tbl", &self.number)
    }

    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let d = cx.dataset(&self.dataset)?;
        let number = cx.number("tbl", self.number.as_deref())?;
        let n = cx.doc.str(&number);
        let cap = cx.doc.str(&self.caption);
        let h: Vec<String> = [
            "题目",
            "N",
            "均值",
            "最小值",
            "下四分位数",
            "中位数",
            "上四分位数",
            "最大值",
        ]
        .iter()
        .map(|h| format!("[#{}]", cx.doc.str(h)))
        .collect();
        let mut cells = Vec::new();
        for qid in &self.questions {
            let q = d
                .index
                .get(qid)
                .ok_or_else(|| format!("dataset `{}` has no question `{qid}`", self.dataset))?;
            if q.identifying {
                return Err(format!(
                    "`{qid}` identifies respondents; it is never tabulated"
                ));
            }
            let s = d
                .aggregate
                .numeric(&d.index, qid)
                .map_err(|e| e.to_string())?;
            let f = |x: Option<f64>| {
                x.map(|v| fmt::number_f64(v, 2))
                    .unwrap_or_else(|| "—".into())
            };
            for v in [
                q.text.zh.clone(),
                s.n.to_string(),
                f(s.mean),
                f(s.min),
                f(s.q1),
                f(s.median),
                f(s.q3),
                f(s.max),
            ] {
                cells.push(format!("[#{}]", cx.doc.str(&v)));
            }
        }
        cx.doc.line(&format!(
            "#numbered(table, [#\"表\"], {n}, [#{cap}], table(columns: (1fr, auto, auto, auto, auto, auto, auto, auto), align: (left + horizon, ..(right + horizon,) * 7), table.header({}), {})){}",
            h.join(", "),
            cells.join(", "),
            blocks::label_for("tbl", &number)
        ));
        let note = cx
            .doc
            .str("N为作答的应答者人数；四分位数按相邻次序统计量线性插值（R默认的第7种定义）。");
        cx.doc.line(&format!("#block(above: -0.9em, below: 1.2em, width: 100%, align(right, text(font: sans, size: 7.5pt, fill: luma(110), {note})))"));
        Ok(())
    }
}

fn funnel_caption() -> String {
    "数据清洗过程".into()
}

/// The cleaning funnel of a dataset: collected → excluded per rule → valid.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Funnel {
    pub dataset: String,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default = "funnel_caption")]
    pub caption: String,
}

impl Block for Funnel {
    fn declares(&self) -> Vec<(String, String)> {
        declare("tbl", &self.number)
    }

    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let d = cx.dataset(&self.dataset)?;
        let f = &d.cleaning.funnel;
        let number = cx.number("tbl", self.number.as_deref())?;
        let n = cx.doc.str(&number);
        let cap = cx.doc.str(&self.caption);
        let mut cells = vec![format!(
            "[#{}], [], [#{}]",
            cx.doc.str("收集答卷"),
            cx.doc.str(&f.collected.to_string())
        )];
        for s in &f.steps {
            let desc = cx.doc.str(&s.description);
            let ex = cx.doc.str(&format!("−{}", s.excluded));
            let flag = if s.flagged > 0 {
                cx.doc.str(&format!("（另标记{}份）", s.flagged))
            } else {
                lit("")
            };
            cells.push(format!("[#{desc}#{flag}], [#{ex}], []"));
        }
        cells.push(format!(
            "[#strong({})], [], [#strong({})]",
            cx.doc.str("有效答卷"),
            cx.doc.str(&f.valid.to_string())
        ));
        let h = [cx.doc.str("步骤"), cx.doc.str("剔除"), cx.doc.str("答卷数")];
        cx.doc.line(&format!(
            "#numbered(table, [#\"表\"], {n}, [#{cap}], table(columns: (1fr, 5em, 5em), align: (left + horizon, right + horizon, right + horizon), table.header([#{}], [#{}], [#{}]), {})){}",
            h[0],
            h[1],
            h[2],
            cells.join(", "),
            blocks::label_for("tbl", &number)
        ));
        Ok(())
    }
}

/// The methodology note: data and cleaning, how each base is defined, provenance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Methodology {
    /// What the data are (e.g. that they are synthetic), printed first.
    pub data_note: String,
}

impl Block for Methodology {
    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let note = cx.doc.str(&self.data_note);
        cx.doc.line(&format!("#par({note})"));
        let sub = |cx: &mut Context, t: &str| {
            let t = cx.doc.str(t);
            cx.doc
                .line(&format!("#heading(level: 3, outlined: false, {t})"));
        };
        sub(cx, "数据与清洗");
        for (name, d) in cx.datasets.iter() {
            let f = &d.cleaning.funnel;
            let enc = d
                .source
                .encoding
                .map(|e| format!("，编码{e}"))
                .unwrap_or_default();
            let file = d
                .source
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut text = format!(
                "数据集“{name}”（问卷：{}）读自{file}（{}格式，{}布局{enc}）。共收集答卷{}份",
                d.index.questionnaire().title.zh,
                d.source.format,
                match d.source.layout {
                    "wjx-text" => "问卷星按文本下载",
                    "wjx-code" => "问卷星按序号下载",
                    _ => "逐条记录",
                },
                f.collected
            );
            for s in f.steps.iter().filter(|s| s.excluded > 0 || s.flagged > 0) {
                text.push_str(&format!("，按“{}”规则剔除{}份", s.description, s.excluded));
                if s.flagged > 0 {
                    text.push_str(&format!("、标记{}份", s.flagged));
                }
            }
            text.push_str(&format!("，得到有效答卷{}份。", f.valid));
            let t = cx.doc.str(&text);
            cx.doc.line(&format!("#par({t})"));
        }
        sub(cx, "基数与比例");
        for t in [
            "各表表头中的N为该题的基数：看到该题并作答的有效应答者人数。因显示条件未看到该题的应答者（未显示）与看到但未作答的应答者（未作答）均不计入基数；如有此类情况，表下注明人数。",
            "单选题各选项比例之和为100%（各项四舍五入后合计可能相差0.01个百分点）；多选题的比例为选择该项的应答者占基数的比例，各项之和可超过100%。所有比例由人数与基数直接计算，按四舍五入保留两位小数；正文中的合计比例（如“有所了解”）由合计人数计算，而非由各项的舍入值相加。",
            "表中选项顺序：单选题按问卷顺序（有序量表按量级顺序），多选题按选择人数从多到少，“其他”“无”“暂无计划”等选项列于最后。",
        ] {
            let t = cx.doc.str(t);
            cx.doc.line(&format!("#par({t})"));
        }
        sub(cx, "来源与可复现性");
        let prov = cx.provenance.clone();
        let t = cx.doc.str(&format!(
            "本报告由 CHIMA 调查工具包 {} 从报告文件夹中的问卷、原始导出、清洗规则与正文文件自动生成，排版使用 {}。相同的输入文件生成逐字节相同的PDF与表格文件。各输入文件的SHA-256校验值如下：",
            prov.toolkit, prov.typst
        ));
        cx.doc.line(&format!("#par({t})"));
        let mut cells = Vec::new();
        for (f, h) in &prov.files {
            cells.push(format!(
                "[#{}], [#text(size: 6.5pt, {})]",
                cx.doc.str(f),
                cx.doc.str(h)
            ));
        }
        let hh = [cx.doc.str("文件"), cx.doc.str("SHA-256")];
        cx.doc.line(&format!(
            "#block(breakable: true, {{ set text(size: 7.5pt); table(columns: (auto, 1fr), align: left + horizon, table.header([#{}], [#{}]), {}) }})",
            hh[0],
            hh[1],
            cells.join(", ")
        ));
        Ok(())
    }
}

/// Every question of every dataset with its base: the data appendix.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataAppendix {
    #[serde(default)]
    pub datasets: Option<Vec<String>>,
}

impl Block for DataAppendix {
    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let names: Vec<String> = match &self.datasets {
            Some(v) => v.clone(),
            None => cx.datasets.keys().cloned().collect(),
        };
        for name in names {
            let d = cx.dataset(&name)?;
            let title = cx
                .doc
                .str(&format!("{}（{}）", d.index.questionnaire().title.zh, name));
            cx.doc
                .line(&format!("#heading(level: 3, outlined: false, {title})"));
            let mut cells = Vec::new();
            for (i, q) in d.index.questions().iter().enumerate() {
                let kind = match q.kind.name() {
                    "single_choice" => "单选",
                    "ordinal" => "单选（有序）",
                    "multiple_choice" => "多选",
                    "integer" | "number" => "数值",
                    _ => "填空",
                };
                let (base, ns, sk) = if q.identifying {
                    ("—".to_owned(), "—".to_owned(), "—".to_owned())
                } else if q.kind.is_choice() {
                    let t = d
                        .aggregate
                        .frequency(&d.index, &q.id, RowOrder::Questionnaire)
                        .map_err(|e| e.to_string())?;
                    (
                        t.base.to_string(),
                        t.not_shown.to_string(),
                        t.skipped.to_string(),
                    )
                } else if matches!(
                    q.kind,
                    survey_schema::QuestionKind::Integer { .. }
                        | survey_schema::QuestionKind::Number { .. }
                ) {
                    let s = d
                        .aggregate
                        .numeric(&d.index, &q.id)
                        .map_err(|e| e.to_string())?;
                    (
                        s.n.to_string(),
                        s.not_shown.to_string(),
                        s.skipped.to_string(),
                    )
                } else {
                    ("—".to_owned(), "—".to_owned(), "—".to_owned())
                };
                let text = if q.identifying {
                    format!("{}（识别信息，不作统计）", q.text.zh)
                } else {
                    q.text.zh.clone()
                };
                for v in [
                    (i + 1).to_string(),
                    text,
                    q.id.clone(),
                    kind.to_owned(),
                    base,
                    ns,
                    sk,
                ] {
                    cells.push(format!("[#{}]", cx.doc.str(&v)));
                }
            }
            let h: Vec<String> = ["序", "题目", "题目标识", "题型", "N", "未显示", "未作答"]
                .iter()
                .map(|h| format!("[#{}]", cx.doc.str(h)))
                .collect();
            cx.doc.line(&format!(
                "#block(breakable: true, {{ set text(size: 7.5pt); table(columns: (auto, 1fr, auto, auto, auto, auto, auto), align: (right, left, left, left, right, right, right), table.header({}), {}) }})",
                h.join(", "),
                cells.join(", ")
            ));
        }
        Ok(())
    }
}

/// A page break.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageBreak {}

impl Block for PageBreak {
    fn render(&self, cx: &mut Context) -> Result<(), String> {
        cx.doc.line("#pagebreak(weak: true)");
        Ok(())
    }
}
