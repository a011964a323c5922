//! Frequency tables and charts of one question, the figure-and-table pair of a question, and
//! numeric summaries.

use serde::Deserialize;
use survey_aggregate::FrequencyTable;
use survey_print::{
    Axis, AxisUnit, Bar, Base, Category, Cell, ChartStyle, Column, ColumnKind, Element, NumberKind,
    PrintedFigure, PrintedRow, PrintedTable, TableKind,
};
use survey_schema::QuestionKind;
use survey_stats::intervals::{self, Method};

use super::{Order, check_level, default_level, frequency, tabulable, together, yes};
use crate::block::{Block, Context};

/// A note on the base, when not every respondent answered; `shown_to` says to whom the
/// question is shown ([`super::shown_to`]).
fn base_note(t: &FrequencyTable, shown_to: Option<&str>) -> Option<String> {
    (t.not_shown + t.skipped > 0).then(|| {
        let mut s = format!("N={}：看到并回答本题的应答者", t.base);
        if t.not_shown > 0 {
            s.push_str(&format!("；未显示本题{}人", t.not_shown));
            if let Some(to) = shown_to {
                s.push_str(&format!("（本题{to}）"));
            }
        }
        if t.skipped > 0 {
            s.push_str(&format!("；未作答{}人", t.skipped));
        }
        s
    })
}

/// A caption or heading as the spec gives it, else the question's wording as a title.
fn or_title(given: &Option<String>, wording: &str) -> String {
    given
        .clone()
        .unwrap_or_else(|| survey_schema::title(wording))
}

/// The printed frequency table of a question: option, count, share of the base, optionally a
/// confidence interval per option.
pub(crate) fn frequency_table(
    t: &FrequencyTable,
    dataset: &str,
    number: &str,
    caption: &str,
    header: &str,
    intervals: Option<(Method, f64)>,
    shown_to: Option<&str>,
) -> PrintedTable {
    let mut columns = vec![
        Column::new(header, ColumnKind::Label),
        Column::new("数量", ColumnKind::Count),
        Column::new(format!("比例[N={}]", t.base), ColumnKind::Percent),
    ];
    let mut notes: Vec<String> = base_note(t, shown_to).into_iter().collect();
    if let Some((m, level)) = intervals {
        let l = survey_print::fmt::number_f64(level * 100.0, 0);
        columns.push(Column::new(format!("{l}%置信区间"), ColumnKind::Interval));
        notes.push(format!(
            "置信区间为{}法{l}%区间（%），按简单随机抽样计算，未计入非概率抽样的偏差",
            m.zh()
        ));
    }
    let rows = t
        .rows
        .iter()
        .map(|r| {
            let mut cells = vec![
                Cell::text(&r.label),
                Cell::count(r.count),
                Cell::percent_of(r.count, t.base, 2),
            ];
            if let Some((m, level)) = intervals {
                cells.push(match intervals::interval(m, r.count, t.base, level) {
                    Some(i) => Cell::interval(i.lower * 100.0, i.upper * 100.0, 1),
                    None => Cell::missing(),
                });
            }
            PrintedRow::option(&r.code, cells)
        })
        .collect();
    PrintedTable {
        number: Some(number.to_owned()),
        caption: Some(caption.to_owned()),
        dataset: Some(dataset.to_owned()),
        questions: vec![t.question.clone()],
        base: Some(Base {
            n: t.base,
            not_shown: t.not_shown,
            skipped: t.skipped,
        }),
        rows,
        notes,
        ..PrintedTable::new(TableKind::Frequency, columns)
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
    /// Bars for multiple choice and long labels, a donut for up to five unordered options,
    /// columns for short scales.
    #[default]
    Auto,
    Bars,
    Columns,
    Donut,
    /// No chart (the `question` block then prints only its table).
    None,
}

/// A round axis maximum at or above `max`: 1, 2, 2.5, 5 × 10^k.
pub fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= max - 1e-9 {
            return m * mag;
        }
    }
    10.0 * mag
}

/// How a chart is numbered, captioned and drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Look<'a> {
    pub number: &'a str,
    pub caption: &'a str,
    pub title: Option<&'a str>,
    pub style: Style,
    pub values: Values,
}

/// A percent axis: 0–100%, so that bars compare across figures, unless no share passes 40%;
/// then it ends at the first of 10, 20 and 40% above the largest (in quarters that print
/// whole or with one decimal), so that a long list of small shares (the provinces) is
/// not drawn as slivers. The ticks say which.
pub(crate) fn percent_axis(largest: f64) -> Axis {
    let max = [10.0, 20.0, 40.0]
        .into_iter()
        .find(|&m| largest <= m + 1e-9)
        .unwrap_or(100.0);
    Axis {
        unit: AxisUnit::Percent,
        max,
    }
}

/// The chart of a question's frequency table: percent axes as [`percent_axis`]; count axes
/// end at a round number above the largest count.
pub(crate) fn frequency_figure(
    t: &FrequencyTable,
    kind: &QuestionKind,
    dataset: &str,
    look: &Look,
) -> Result<PrintedFigure, String> {
    let Look {
        number,
        caption,
        title,
        style,
        values,
    } = *look;
    let longest = t
        .rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0);
    let style = match style {
        Style::None => return Err("`style = \"none\"` draws nothing; leave the chart out".into()),
        Style::Bars => ChartStyle::Bars,
        Style::Columns => ChartStyle::Columns,
        Style::Donut => ChartStyle::Donut,
        Style::Auto if kind.is_multiple() || longest > 14 => ChartStyle::Bars,
        Style::Auto if t.rows.len() <= 5 && !matches!(kind, QuestionKind::Ordinal { .. }) => {
            ChartStyle::Donut
        }
        Style::Auto if t.rows.len() <= 8 => ChartStyle::Columns,
        Style::Auto => ChartStyle::Bars,
    };
    if style == ChartStyle::Donut && kind.is_multiple() {
        return Err("a donut shows parts of a whole; a multiple-choice question's options overlap, so use bars".into());
    }
    let categories = t
        .rows
        .iter()
        .map(|r| {
            let pct = survey_print::fmt::percent(r.count, t.base, 2);
            let (value, text) = match (values, style) {
                (_, ChartStyle::Donut) => (r.count as f64, format!("{}（{pct}）", r.count)),
                (Values::Count, _) => (r.count as f64, r.count.to_string()),
                (Values::Percent, _) => (r.percent.unwrap_or(0.0), pct),
            };
            Category {
                label: r.label.clone(),
                code: Some(r.code.clone()),
                bars: vec![Bar {
                    value: Some(value),
                    text,
                }],
            }
        })
        .collect();
    let axis = match values {
        // A donut's slices are counts, and its whole is their sum (trial 44: the file said a
        // percent axis ending at 40 for slices of 192).
        _ if style == ChartStyle::Donut => Axis {
            unit: AxisUnit::Count,
            max: t.rows.iter().map(|r| r.count).sum::<u64>() as f64,
        },
        // Columns print no axis to say where they end: drawn to 100%, as the methodology says
        // charts are unless their ticks say otherwise.
        Values::Percent if style == ChartStyle::Columns => Axis {
            unit: AxisUnit::Percent,
            max: 100.0,
        },
        Values::Percent => {
            percent_axis(t.rows.iter().filter_map(|r| r.percent).fold(0.0, f64::max))
        }
        Values::Count => Axis {
            unit: AxisUnit::Count,
            max: nice_max(t.rows.iter().map(|r| r.count).max().unwrap_or(0) as f64),
        },
    };
    let note = if kind.is_multiple() {
        format!("多选题，N={}，各项比例合计超过100%", t.base)
    } else {
        format!("N={}", t.base)
    };
    let mut f = PrintedFigure {
        number: Some(number.to_owned()),
        caption: caption.to_owned(),
        title: title.map(str::to_owned),
        style,
        axis,
        series: vec![caption.to_owned()],
        categories,
        note: Some(note),
        alt: String::new(),
        dataset: Some(dataset.to_owned()),
        questions: vec![t.question.clone()],
    };
    f.alt = f.describe();
    Ok(f)
}

/// A numbered frequency table with the base in its header (`比例[N=720]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableBlock {
    /// The dataset; the report's default when absent.
    #[serde(default)]
    pub dataset: Option<String>,
    pub question: String,
    #[serde(default)]
    pub number: Option<String>,
    /// The question text when absent.
    #[serde(default)]
    pub caption: Option<String>,
    /// First column's header; the question text when absent.
    #[serde(default)]
    pub header: Option<String>,
    #[serde(default)]
    pub order: Order,
    /// Print a confidence interval for each option's share (`wilson`, `logit`,
    /// `clopper_pearson`); none when absent.
    #[serde(default)]
    pub intervals: Option<Method>,
    #[serde(default = "default_level")]
    pub level: f64,
}

impl Block for TableBlock {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        if self.intervals.is_some() {
            check_level(self.level)?;
        }
        let (name, d, t) = frequency(cx, self.dataset.as_deref(), &self.question, self.order)?;
        let shown_to = super::shown_to(&d.index, &self.question);
        let number = cx.number(
            self.number.as_deref(),
            &[NumberKind::Table],
            &[&self.question],
        )?;
        cx.note_order(self.order, NumberKind::Table, &number);
        let caption = or_title(&self.caption, &t.text);
        let header = or_title(&self.header, &t.text);
        let table = frequency_table(
            &t,
            name,
            &number,
            &caption,
            &header,
            self.intervals.map(|m| (m, self.level)),
            shown_to.as_deref(),
        );
        cx.push(Element::Table(Box::new(table)));
        Ok(())
    }
}

/// A numbered chart of a choice question.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartBlock {
    #[serde(default)]
    pub dataset: Option<String>,
    pub question: String,
    #[serde(default)]
    pub number: Option<String>,
    /// The question text when absent.
    #[serde(default)]
    pub caption: Option<String>,
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
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let (name, d, t) = frequency(cx, self.dataset.as_deref(), &self.question, self.order)?;
        let q = tabulable(d, name, &self.question)?;
        let number = cx.number(
            self.number.as_deref(),
            &[NumberKind::Figure],
            &[&self.question],
        )?;
        cx.note_order(self.order, NumberKind::Figure, &number);
        let caption = or_title(&self.caption, &t.text);
        let f = frequency_figure(
            &t,
            &q.kind,
            name,
            &Look {
                number: &number,
                caption: &caption,
                title: self.title.as_deref(),
                style: self.style,
                values: self.values,
            },
        )?;
        cx.push(Element::Figure(Box::new(f)));
        Ok(())
    }
}

/// A question's chart and table under one number and one caption, kept on one page when they
/// fit. Everything has a default: the caption is the question text, the number comes from where
/// the block stands, the chart style from the question.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionBlock {
    #[serde(default)]
    pub dataset: Option<String>,
    pub question: String,
    #[serde(default)]
    pub number: Option<String>,
    /// Caption of both the chart and the table; the question text when absent.
    #[serde(default)]
    pub caption: Option<String>,
    /// The table's first column header; the question text when absent.
    #[serde(default)]
    pub header: Option<String>,
    /// Chart style; `none` prints the table alone.
    #[serde(default)]
    pub chart: Style,
    /// Print the table (default true).
    #[serde(default = "yes")]
    pub table: bool,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub order: Order,
    /// What the chart draws.
    #[serde(default)]
    pub values: Values,
    #[serde(default)]
    pub intervals: Option<Method>,
    #[serde(default = "default_level")]
    pub level: f64,
}

impl Block for QuestionBlock {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        if !self.table && self.chart == Style::None {
            return Err("`table = false` and `chart = \"none\"` leave nothing to print".into());
        }
        if self.intervals.is_some() {
            check_level(self.level)?;
        }
        let (name, d, t) = frequency(cx, self.dataset.as_deref(), &self.question, self.order)?;
        let q = tabulable(d, name, &self.question)?;
        let shown_to = super::shown_to(&d.index, &self.question);
        let mut kinds = Vec::new();
        if self.chart != Style::None {
            kinds.push(NumberKind::Figure);
        }
        if self.table {
            kinds.push(NumberKind::Table);
        }
        let number = cx.number(self.number.as_deref(), &kinds, &[&self.question])?;
        for k in &kinds {
            cx.note_order(self.order, *k, &number);
        }
        let caption = or_title(&self.caption, &t.text);
        let header = or_title(&self.header, &t.text);
        let mut pair = Vec::new();
        if self.chart != Style::None {
            let f = frequency_figure(
                &t,
                &q.kind,
                name,
                &Look {
                    number: &number,
                    caption: &caption,
                    title: self.title.as_deref(),
                    style: self.chart,
                    values: self.values,
                },
            )?;
            pair.push(Element::Figure(Box::new(f)));
        }
        if self.table {
            pair.push(Element::Table(Box::new(frequency_table(
                &t,
                name,
                &number,
                &caption,
                &header,
                self.intervals.map(|m| (m, self.level)),
                shown_to.as_deref(),
            ))));
        }
        cx.push(together(pair));
        Ok(())
    }
}

/// A numbered summary of numeric questions: n, mean, quartiles, extremes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericSummary {
    #[serde(default)]
    pub dataset: Option<String>,
    pub questions: Vec<String>,
    #[serde(default)]
    pub number: Option<String>,
    pub caption: String,
}

impl Block for NumericSummary {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let (name, d) = cx.dataset(self.dataset.as_deref())?;
        // Keyed by each question and by `summary.<question>`: `{ref:tbl:q}` stays the
        // question's own table when it has one, even in a summary of that question alone.
        let summary: Vec<String> = self
            .questions
            .iter()
            .map(|q| format!("summary.{q}"))
            .collect();
        let keys: Vec<&str> = self
            .questions
            .iter()
            .chain(&summary)
            .map(String::as_str)
            .collect();
        let number = cx.number(self.number.as_deref(), &[NumberKind::Table], &keys)?;
        let columns = vec![
            Column::new("题目", ColumnKind::Label),
            Column::new("N", ColumnKind::Count),
            Column::new("均值", ColumnKind::Number),
            Column::new("最小值", ColumnKind::Number),
            Column::new("下四分位数", ColumnKind::Number),
            Column::new("中位数", ColumnKind::Number),
            Column::new("上四分位数", ColumnKind::Number),
            Column::new("最大值", ColumnKind::Number),
        ];
        let mut rows = Vec::new();
        let mut stats = Vec::new();
        for qid in &self.questions {
            let q = tabulable(d, name, qid)?;
            let s = d
                .aggregate
                .numeric(&d.index, qid)
                .map_err(|e| e.to_string())?;
            stats.push((qid, q, s));
        }
        // Commas group the whole part from five digits on, and from four in a table that has
        // longer numbers, so that a column reads alike.
        let long = stats.iter().any(|(_, _, s)| {
            [s.mean, s.min, s.q1, s.median, s.q3, s.max]
                .iter()
                .flatten()
                .any(|v| v.abs() >= 9999.995)
        });
        let from_digits = if long { 4 } else { 5 };
        // Who each question did not reach, said under the table as the methodology promises
        // (an editor's read: N=108 of 120 with no word of the 12).
        let unreached: Vec<String> = stats
            .iter()
            .filter_map(|(_, q, s)| {
                super::unreached(s.not_shown, s.skipped)
                    .map(|u| format!("“{}”{u}", survey_schema::title(&q.text.zh)))
            })
            .collect();
        for (qid, q, s) in stats {
            // Answers in whole numbers print their minimum and maximum as whole numbers (8,
            // not 8.00), and the quartiles too when all three are whole; otherwise the three
            // keep two decimals alike, as the mean does.
            let whole = matches!(q.kind, survey_schema::QuestionKind::Integer { .. })
                || q.kind.scores().is_some();
            let f = |x: Option<f64>, d: u32| {
                x.map_or_else(Cell::missing, |v| Cell::grouped(v, d, from_digits))
            };
            let places = |xs: &[Option<f64>]| {
                if whole && xs.iter().flatten().all(|v| v.fract() == 0.0) {
                    0
                } else {
                    2
                }
            };
            let ends = places(&[s.min, s.max]);
            let quartiles = places(&[s.q1, s.median, s.q3]);
            rows.push(PrintedRow::option(
                qid,
                vec![
                    Cell::text(survey_schema::title(&q.text.zh)),
                    Cell::count(s.n),
                    f(s.mean, 2),
                    f(s.min, ends),
                    f(s.q1, quartiles),
                    f(s.median, quartiles),
                    f(s.q3, quartiles),
                    f(s.max, ends),
                ],
            ));
        }
        let t = PrintedTable {
            number: Some(number),
            caption: Some(self.caption.clone()),
            dataset: Some(name.to_owned()),
            questions: self.questions.clone(),
            rows,
            notes: vec![format!(
                "N为作答的应答者人数{}；四分位数按相邻次序统计量线性插值（R默认的第7种定义）。",
                if unreached.is_empty() {
                    String::new()
                } else {
                    format!("，未计入{}", unreached.join("，"))
                }
            )],
            ..PrintedTable::new(TableKind::NumericSummary, columns)
        };
        cx.push(Element::Table(Box::new(t)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{nice_max, percent_axis};

    #[test]
    fn nice_maxima() {
        assert_eq!(nice_max(86.53), 100.0);
        assert_eq!(nice_max(47.16), 50.0);
        assert_eq!(nice_max(22.0), 25.0);
        assert_eq!(nice_max(98.0), 100.0);
        assert_eq!(nice_max(0.0), 1.0);
    }

    #[test]
    fn percent_axes_end_at_100_unless_every_share_is_small() {
        let max = |v: f64| percent_axis(v).max;
        assert_eq!(max(86.53), 100.0);
        assert_eq!(max(40.01), 100.0);
        assert_eq!(max(40.0), 40.0);
        assert_eq!(max(14.07), 20.0);
        assert_eq!(max(10.0), 10.0);
        assert_eq!(max(0.0), 10.0);
    }
}
