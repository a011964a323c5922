//! A ranking question (问卷星's 排序题): its options' scores and places as one table and one
//! chart of bars.

use serde::Deserialize;
use survey_print::{
    Axis, AxisUnit, Bar, Category, Cell, ChartStyle, Column, ColumnKind, NumberKind, PrintedFigure,
    PrintedRow, PrintedTable, TableKind,
};

use super::{full_stop, tabulable, yes};
use crate::block::{Block, Context};

/// How the options of a ranking are listed.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RankingOrder {
    /// Highest score first, as 问卷星 lists a ranking.
    #[default]
    Score,
    /// As the options stand in the questionnaire.
    Questionnaire,
}

/// A ranking question held as one whole-number question per option (the place the respondent
/// gave it; see the mapping's `rankings`): a table of each option's score (问卷星's
/// 平均综合得分), the shares that placed it first (and in the first three), the share that
/// ranked it at all, and its mean place; above it, a bar per option by score.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankingBlock {
    #[serde(default)]
    pub dataset: Option<String>,
    /// The options' questions: at least two.
    pub questions: Vec<String>,
    pub caption: String,
    #[serde(default)]
    pub number: Option<String>,
    /// The first column's header (default 选项).
    #[serde(default)]
    pub header: Option<String>,
    #[serde(default)]
    pub order: RankingOrder,
    /// Also give the share of N that put each option at each place given, as 问卷星's own
    /// report does (default false).
    #[serde(default)]
    pub places: bool,
    /// Draw the bars above the table (default true).
    #[serde(default = "yes")]
    pub chart: bool,
}

/// An option's label: what its question's wording adds to the wording the options share.
fn labels(texts: &[&str]) -> Vec<String> {
    super::matrix::stem_and_rows(texts).1
}

impl Block for RankingBlock {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        if self.questions.len() < 2 {
            return Err("a ranking needs at least two questions (its options)".into());
        }
        let (name, d) = cx.dataset(self.dataset.as_deref())?;
        let mut texts = Vec::new();
        for qid in &self.questions {
            let q = tabulable(d, name, qid)?;
            if !matches!(q.kind, survey_schema::QuestionKind::Integer { .. }) {
                return Err(format!(
                    "`{qid}` is no `integer` question: each option of a ranking is one, holding the place given to it"
                ));
            }
            texts.push(q.text.zh.as_str());
        }
        let qids: Vec<&str> = self.questions.iter().map(String::as_str).collect();
        let t = d
            .aggregate
            .ranking(&d.index, &qids)
            .map_err(|e| e.to_string())?;
        let k = qids.len();
        let mut kinds = vec![NumberKind::Table];
        if self.chart {
            kinds.insert(0, NumberKind::Figure);
        }
        let number = cx.number(self.number.as_deref(), &kinds, &qids)?;
        for kind in &kinds {
            cx.note_order(
                match self.order {
                    RankingOrder::Score => super::Listed::Score,
                    RankingOrder::Questionnaire => super::Listed::Questionnaire,
                },
                *kind,
                &number,
            );
        }
        let labels = labels(&texts);
        let mut order: Vec<usize> = (0..k).collect();
        if self.order == RankingOrder::Score {
            // Stable: ties keep the questionnaire's order.
            order.sort_by(|&a, &b| {
                let s = |i: usize| t.rows[i].score.unwrap_or(0.0);
                s(b).total_cmp(&s(a))
            });
        }
        let partial = t.rows.iter().any(|r| r.ranked < t.base);
        // The last place anyone gave: a top-3 ranking of six options gives places 1 to 3.
        let deepest = (0..k)
            .rev()
            .find(|&p| t.rows.iter().any(|r| r.places[p] > 0))
            .map_or(0, |p| p + 1);
        let top3 = k > 3 && deepest > 3;
        let mut columns = vec![
            Column::new(
                self.header.clone().unwrap_or_else(|| "选项".into()),
                ColumnKind::Label,
            ),
            Column::new("综合得分", ColumnKind::Number),
            Column::new("排第一位", ColumnKind::Percent),
        ];
        if top3 {
            columns.push(Column::new("排前三位", ColumnKind::Percent));
        }
        if partial {
            columns.push(Column::new("参与排序", ColumnKind::Percent));
        }
        columns.push(Column::new("平均名次", ColumnKind::Number));
        if self.places {
            for p in 1..=deepest {
                columns.push(Column::new(format!("第{p}位"), ColumnKind::Percent));
            }
        }
        let mut rows = Vec::new();
        let mut categories = Vec::new();
        for &i in &order {
            let r = &t.rows[i];
            let mut cells = vec![
                Cell::text(labels[i].clone()),
                r.score.map_or_else(Cell::missing, |s| Cell::number(s, 2)),
                Cell::percent_of(r.places[0], t.base, 2),
            ];
            if top3 {
                cells.push(Cell::percent_of(r.places[..3].iter().sum(), t.base, 2));
            }
            if partial {
                cells.push(Cell::percent_of(r.ranked, t.base, 2));
            }
            cells.push(
                r.mean_place
                    .map_or_else(Cell::missing, |m| Cell::number(m, 2)),
            );
            if self.places {
                for &n in &r.places[..deepest] {
                    cells.push(Cell::percent_of(n, t.base, 2));
                }
            }
            rows.push(PrintedRow::option(&r.question, cells));
            categories.push(Category {
                label: labels[i].clone(),
                code: Some(r.question.clone()),
                bars: vec![Bar {
                    value: r.score,
                    text: r.score.map_or_else(|| "—".into(), |s| format!("{s:.2}")),
                }],
            });
        }
        let mut notes = vec![
            format!("N={}，为至少排了一项的应答者", t.base),
            format!(
                "综合得分：排第一位计{k}分，第二位计{}分，依次递减，各项得分合计后除以N；满分{k}分",
                k - 1
            ),
            "平均名次以排了该项的应答者为基数，数值越小越靠前".to_owned(),
        ];
        if let Some(u) = super::unreached(t.not_shown, t.skipped) {
            notes.push(u);
        }
        full_stop(&mut notes);
        let table = PrintedTable {
            number: Some(number.clone()),
            caption: Some(self.caption.clone()),
            dataset: Some(name.to_owned()),
            questions: self.questions.clone(),
            rows,
            notes,
            ..PrintedTable::new(TableKind::Ranking, columns)
        };
        let chart = self.chart.then(|| PrintedFigure {
            number: Some(number),
            caption: self.caption.clone(),
            title: None,
            style: ChartStyle::Bars,
            axis: Axis {
                unit: AxisUnit::Score,
                max: k as f64,
            },
            series: vec!["综合得分".into()],
            categories,
            note: Some(format!("综合得分，满分{k}分，N={}", t.base)),
            alt: String::new(),
            dataset: Some(name.to_owned()),
            questions: self.questions.clone(),
        });
        super::chart_and_table(cx, chart, table);
        Ok(())
    }
}
