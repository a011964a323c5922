//! A matrix question (问卷星's 矩阵单选/矩阵量表/矩阵多选): its rows, each a single-choice (or
//! each a multiple-choice) question with the same options, as one table of row percentages and
//! one chart: stacked bars, or for multiple choices (whose shares add up past 100%) grouped.

use serde::Deserialize;
use survey_aggregate::RowOrder;
use survey_print::{
    Axis, AxisUnit, Bar, Category, Cell, ChartStyle, Column, ColumnKind, NumberKind, PrintedFigure,
    PrintedRow, PrintedTable, TableKind, fmt,
};

use super::{full_stop, tabulable, yes};
use crate::block::{Block, Context};

/// Rows of a matrix, one single-choice question each (or one multiple-choice question each),
/// all with the same options: a table of each row's shares (of those who answered that row)
/// with its N, and a mean for a scale scored by its labels; above it, a bar per row divided by
/// share, or for multiple choices a bar per row and option.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixBlock {
    #[serde(default)]
    pub dataset: Option<String>,
    /// The matrix's rows, in order: at least two questions.
    pub questions: Vec<String>,
    pub caption: String,
    #[serde(default)]
    pub number: Option<String>,
    /// The first column's header; the wording the rows share when absent.
    #[serde(default)]
    pub header: Option<String>,
    /// Draw the stacked bars above the table (default true).
    #[serde(default = "yes")]
    pub chart: bool,
}

/// The wording every text starts with, cut back to a whole character, and what each text adds
/// to it (its row label: the whole text when they share nothing).
pub(crate) fn stem_and_rows(texts: &[&str]) -> (String, Vec<String>) {
    let first = texts.first().copied().unwrap_or_default();
    let mut stem: &str = first;
    for t in &texts[1..] {
        let common = stem
            .char_indices()
            .zip(t.chars())
            .find(|((_, a), b)| a != b)
            .map_or(stem.len().min(t.len()), |((i, _), _)| i);
        stem = &stem[..common.min(stem.len())];
    }
    // A stem ends at punctuation (the rows of 您对以下系统的满意度：门诊系统 and
    // ：住院系统 share "…满意度："), not inside a word they happen to share.
    let cut = stem
        .char_indices()
        .rev()
        .find(|(_, c)| "：:—-－、，,？?）)".contains(*c))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let stem = &first[..cut];
    let rows: Vec<String> = texts
        .iter()
        .map(|t| {
            let rest = t[cut..].trim();
            if rest.is_empty() {
                (*t).to_owned()
            } else {
                rest.to_owned()
            }
        })
        .collect();
    let trimmed = stem
        .trim_end_matches(|c: char| "：:—-－、，, ".contains(c))
        .to_owned();
    (trimmed, rows)
}

impl Block for MatrixBlock {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        if self.questions.len() < 2 {
            return Err("a matrix needs at least two questions (its rows)".into());
        }
        let (name, d) = cx.dataset(self.dataset.as_deref())?;
        let mut qs = Vec::new();
        for qid in &self.questions {
            let q = tabulable(d, name, qid)?;
            if !q.kind.is_single() && !q.kind.is_multiple() {
                return Err(format!(
                    "`{qid}` is not a choice question: every row of a matrix is one"
                ));
            }
            qs.push(q);
        }
        // 矩阵多选: every row a multiple choice, or none.
        let multiple = qs[0].kind.is_multiple();
        if let Some((qid, _)) = self
            .questions
            .iter()
            .zip(&qs)
            .find(|(_, q)| q.kind.is_multiple() != multiple)
        {
            return Err(format!(
                "`{qid}` is a {} question, but `{}` is a {} one: the rows of a matrix are all single choices or all multiple choices",
                if multiple {
                    "single-choice"
                } else {
                    "multiple-choice"
                },
                self.questions[0],
                if multiple {
                    "multiple-choice"
                } else {
                    "single-choice"
                },
            ));
        }
        let labels = |q: &survey_schema::Question| -> Vec<String> {
            q.kind
                .options()
                .iter()
                .map(|o| o.label.zh.clone())
                .collect()
        };
        let options = labels(qs[0]);
        for (qid, q) in self.questions.iter().zip(&qs).skip(1) {
            if labels(q) != options {
                return Err(format!(
                    "`{qid}`'s options ({}) are not `{}`'s ({}): the rows of a matrix share their options",
                    labels(q).join(" / "),
                    self.questions[0],
                    options.join(" / ")
                ));
            }
        }
        let scores = qs[0].kind.scores();
        let keys: Vec<&str> = self.questions.iter().map(String::as_str).collect();
        let mut kinds = vec![NumberKind::Table];
        if self.chart {
            kinds.insert(0, NumberKind::Figure);
        }
        let number = cx.number(self.number.as_deref(), &kinds, &keys)?;
        let texts: Vec<&str> = qs.iter().map(|q| q.text.zh.as_str()).collect();
        let (stem, row_labels) = stem_and_rows(&texts);
        // The shared wording heads the rows when it is short; a whole question (which the
        // caption already gives) would wrap in the header.
        let header = self.header.clone().unwrap_or_else(|| {
            if stem.is_empty() || stem.chars().count() > 12 {
                "项目".into()
            } else {
                stem
            }
        });

        let mut columns = vec![Column::new(header, ColumnKind::Label)];
        for o in qs[0].kind.options() {
            columns.push(Column::new(o.label.zh.clone(), ColumnKind::Percent).with_code(&o.code));
        }
        columns.push(Column::new("N", ColumnKind::Count));
        if scores.is_some() {
            columns.push(Column::new("均值", ColumnKind::Number));
        }
        let mut rows = Vec::new();
        let mut categories = Vec::new();
        let mut unanswered = Vec::new();
        for ((qid, label), q) in self.questions.iter().zip(&row_labels).zip(&qs) {
            let t = d
                .aggregate
                .frequency(&d.index, qid, RowOrder::Questionnaire)
                .map_err(|e| e.to_string())?;
            if let Some(u) = super::unreached(t.not_shown, t.skipped) {
                unanswered.push((label.clone(), u));
            }
            let mut cells = vec![Cell::text(label)];
            let mut bars = Vec::new();
            for r in &t.rows {
                cells.push(Cell::percent_of(r.count, t.base, 2));
                let p = (t.base > 0).then(|| r.count as f64 / t.base as f64 * 100.0);
                bars.push(Bar {
                    value: p,
                    text: p.map_or_else(|| "—".into(), |p| fmt::percent_f64(p, 1)),
                });
            }
            cells.push(Cell::count(t.base));
            if scores.is_some() {
                let s = d
                    .aggregate
                    .numeric(&d.index, qid)
                    .map_err(|e| e.to_string())?;
                cells.push(s.mean.map_or_else(Cell::missing, |m| Cell::number(m, 2)));
            }
            rows.push(PrintedRow::option(&q.id, cells));
            categories.push(Category {
                label: label.clone(),
                code: Some(q.id.clone()),
                bars,
            });
        }
        let mut notes = vec!["各行比例以回答该行的应答者（N）为基数".to_owned()];
        if multiple {
            notes.push("各行可多选，比例之和可超过100%".to_owned());
        }
        if let Some(s) = &scores {
            // Each step with its score: which end is best is the reader's to see.
            let steps: Vec<String> = qs[0]
                .kind
                .options()
                .iter()
                .zip(s)
                .map(|(o, v)| format!("{}={v}", o.label.zh))
                .collect();
            notes.push(format!("均值按选项分值计算（{}）", steps.join("，")));
        }
        // The same rows' respondents missing from every row (a matrix shown by display logic)
        // are said once.
        let missing_alike = unanswered.len() == self.questions.len()
            && unanswered.windows(2).all(|w| w[0].1 == w[1].1);
        if missing_alike {
            notes.push(format!("各行均{}", unanswered[0].1));
        } else if !unanswered.is_empty() {
            notes.push(
                unanswered
                    .iter()
                    .map(|(label, u)| format!("“{label}”{u}"))
                    .collect::<Vec<_>>()
                    .join("；"),
            );
        }
        full_stop(&mut notes);
        let table = PrintedTable {
            number: Some(number.clone()),
            caption: Some(self.caption.clone()),
            dataset: Some(name.to_owned()),
            questions: self.questions.clone(),
            rows,
            notes,
            ..PrintedTable::new(TableKind::Matrix, columns)
        };
        let chart = self.chart.then(|| PrintedFigure {
            number: Some(number),
            caption: self.caption.clone(),
            title: None,
            style: if multiple {
                // Shares of one row add up past 100%: side by side, not stacked.
                ChartStyle::GroupedBars
            } else if matches!(qs[0].kind, survey_schema::QuestionKind::Ordinal { .. }) {
                // Colours follow the scale's meaning, not the order the questionnaire lists it.
                match scores.as_deref() {
                    Some([first, .., last]) if first > last => ChartStyle::StackedScaleDown,
                    _ => ChartStyle::StackedScale,
                }
            } else {
                ChartStyle::StackedBars
            },
            axis: Axis {
                unit: AxisUnit::Percent,
                max: 100.0,
            },
            series: options,
            categories,
            note: None,
            alt: String::new(),
            dataset: Some(name.to_owned()),
            questions: self.questions.clone(),
        });
        super::chart_and_table(cx, chart, table);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::stem_and_rows;

    #[test]
    fn rows_are_what_each_text_adds_to_the_shared_wording() {
        let (stem, rows) = stem_and_rows(&[
            "您对本院以下信息系统的满意度：门诊系统(HIS)",
            "您对本院以下信息系统的满意度：住院系统",
            "您对本院以下信息系统的满意度：电子病历(EMR)",
        ]);
        assert_eq!(stem, "您对本院以下信息系统的满意度");
        assert_eq!(rows, ["门诊系统(HIS)", "住院系统", "电子病历(EMR)"]);
        // Shared characters inside a word are no stem: 数据备份 and 数据加密 share 数据.
        let (stem, rows) = stem_and_rows(&["数据备份", "数据加密"]);
        assert_eq!(stem, "");
        assert_eq!(rows, ["数据备份", "数据加密"]);
        // The same text twice keeps it whole.
        let (_, rows) = stem_and_rows(&["满意度：", "满意度："]);
        assert_eq!(rows, ["满意度：", "满意度："]);
    }
}
