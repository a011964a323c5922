//! Blocks that print inference: a cross-tab with intervals, a test and small-cell
//! suppression; a weighted table beside the unweighted one.

use serde::Deserialize;
use survey_aggregate::CrossTabSpec;
use survey_print::fmt;
use survey_print::{
    Base, Cell, Column, ColumnKind, Element, NumberKind, PrintedRow, PrintedTable, SuppressionNote,
    SuppressionReason, TableKind, TestMethod, TestResult,
};
use survey_schema::Value;
use survey_stats::hypothesis::{WeightedCells, fisher_2x2, pearson, rao_scott};
use survey_stats::intervals::{self, Method, ProportionSums};
use survey_stats::suppress::{Table as SuppressTable, suppress_table};

use super::{Order, check_level, default_level, frequency, tabulable};
use crate::block::{Block, Context, Env};
use crate::weights::WeightSet;

/// What a cross-tab prints in its cells.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Show {
    #[default]
    ColPercent,
    RowPercent,
    Count,
}

fn default_suppress() -> u64 {
    5
}

/// The marker of a cell hidden because it is small: `<5`.
fn small_marker(threshold: u64) -> String {
    format!("<{threshold}")
}

/// The marker of a cell hidden so that a small one cannot be worked out.
pub const COMPLEMENTARY: &str = "×";

/// A numbered cross-tab of a question by a categorical question, optionally with confidence
/// intervals, a test of association and weights. Cells under `suppress` respondents (default
/// 5; 0 turns it off) are printed as `<5`, and the cells hidden with them so that they cannot
/// be worked out from the totals as `×`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossTabBlock {
    #[serde(default)]
    pub dataset: Option<String>,
    pub row: String,
    pub col: String,
    #[serde(default)]
    pub number: Option<String>,
    pub caption: String,
    #[serde(default)]
    pub show: Show,
    /// Interval printed under each column percentage: `wilson`, `logit` or `clopper_pearson`.
    #[serde(default)]
    pub intervals: Option<Method>,
    #[serde(default = "default_level")]
    pub level: f64,
    /// Print a test of association under the table.
    #[serde(default)]
    pub test: bool,
    #[serde(default = "default_suppress")]
    pub suppress: u64,
    /// Weights declared in the spec (`[[weights]]`) to weight the percentages with.
    #[serde(default)]
    pub weights: Option<String>,
}

fn weight_set<'a>(
    cx: &Context<'a>,
    name: Option<&str>,
    dataset: &str,
) -> Result<Option<&'a WeightSet>, String> {
    match name {
        None => Ok(None),
        Some(n) => {
            let w = cx.weights.get(n).ok_or_else(|| {
                format!(
                    "no weights `{n}`; the spec declares {}",
                    if cx.weights.is_empty() {
                        "none".to_owned()
                    } else {
                        cx.weights
                            .keys()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                )
            })?;
            if w.dataset != dataset {
                return Err(format!(
                    "weights `{n}` belong to dataset `{}`, not `{dataset}`",
                    w.dataset
                ));
            }
            Ok(Some(w))
        }
    }
}

fn pct1(p: f64) -> Cell {
    Cell::percent(p * 100.0, 1)
}

impl Block for CrossTabBlock {
    fn crosstabs(&self, _env: &Env) -> Result<Vec<(Option<String>, CrossTabSpec)>, String> {
        Ok(vec![(
            self.dataset.clone(),
            CrossTabSpec {
                row: self.row.clone(),
                col: self.col.clone(),
            },
        )])
    }

    // The cell loop reads several parallel arrays (counts, bases, weighted sums, suppression).
    #[allow(clippy::needless_range_loop)]
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let (name, d) = cx.dataset(self.dataset.as_deref())?;
        tabulable(d, name, &self.row)?;
        tabulable(d, name, &self.col)?;
        check_level(self.level)?;
        let ws = weight_set(cx, self.weights.as_deref(), name)?;
        let ct = d
            .aggregate
            .crosstab(&d.index, &self.row, &self.col)
            .map_err(|e| e.to_string())?;
        let (nr, nc) = (ct.row_labels.len(), ct.col_labels.len());
        let (ri, ci) = (
            d.index.position(&self.row).expect("checked"),
            d.index.position(&self.col).expect("checked"),
        );
        let single = d.index.question(ri).kind.is_single() && d.index.question(ci).kind.is_single();
        // Weighted column percentages and their intervals, from the records.
        let mut wsums = vec![vec![ProportionSums::default(); nc]; nr];
        let mut cells = WeightedCells::new(nr, nc);
        if let Some(w) = ws {
            for (rec, &wt) in d.records.iter().zip(&w.raked.weights) {
                let (rv, cv) = (&rec.values[ri], &rec.values[ci]);
                if !(rv.is_answered() && cv.is_answered()) {
                    continue;
                }
                for c in (0..nc).filter(|&c| cv.includes(c)) {
                    for (r, sums) in wsums.iter_mut().enumerate() {
                        sums[c].add(wt, rv.includes(r));
                    }
                }
                if let (Value::Choice(r), Value::Choice(c)) = (rv, cv) {
                    cells.add(*r as usize, *c as usize, wt);
                }
            }
        }
        if self.suppress > 0 && self.suppress < 3 {
            return Err(format!(
                "suppress = {} protects nothing (a cell printed <{0} can only be {}); use 3 or more, or 0 to turn suppression off",
                self.suppress,
                self.suppress - 1
            ));
        }
        let (rq_single, cq_single) = (
            d.index.question(ri).kind.is_single(),
            d.index.question(ci).kind.is_single(),
        );
        let sup = (self.suppress > 0).then(|| {
            suppress_table(
                &SuppressTable {
                    counts: &ct.counts,
                    row_totals: &ct.row_bases,
                    col_totals: &ct.col_bases,
                    // A row base adds up its cells across the columns when the column
                    // question is single choice; a column base when the row question is.
                    rows_add_up: cq_single,
                    cols_add_up: rq_single,
                    grand: ct.total,
                },
                self.suppress,
            )
        });
        let small = small_marker(self.suppress);
        let hidden_cell = |r: usize, c: usize| -> Option<SuppressionReason> {
            let s = sup.as_ref()?;
            if !s.hidden[r][c] {
                return None;
            }
            Some(if s.small[r][c] {
                SuppressionReason::Small
            } else {
                SuppressionReason::Complementary
            })
        };
        // How a total prints: its value, `<5` when small, `×` when hidden as a complement.
        let total_marker = |hidden: bool, small_total: bool| -> Option<String> {
            match (hidden, small_total) {
                (false, _) => None,
                (true, true) => Some(small.clone()),
                (true, false) => Some(COMPLEMENTARY.to_owned()),
            }
        };
        let marker = |reason: SuppressionReason| match reason {
            SuppressionReason::Small => small.clone(),
            SuppressionReason::Complementary => COMPLEMENTARY.to_owned(),
        };
        let number = cx.number(self.number.as_deref(), &[NumberKind::Table], &[&self.row])?;
        let rq = d.index.question(ri).text.zh.clone();
        let mut columns = vec![Column::new(rq, ColumnKind::Label)];
        let value_kind = match self.show {
            Show::Count => ColumnKind::Count,
            _ => ColumnKind::Percent,
        };
        for (c, l) in ct.col_labels.iter().enumerate() {
            let base = sup
                .as_ref()
                .and_then(|s| total_marker(s.hidden_col_totals[c], s.small_col_totals[c]))
                .unwrap_or_else(|| ct.col_bases[c].to_string());
            columns.push(
                Column::new(format!("{l}\n(N={base})"), value_kind).with_code(&ct.col_codes[c]),
            );
        }
        let grand = if sup.as_ref().is_some_and(|s| s.hidden_grand) {
            COMPLEMENTARY.to_owned()
        } else {
            ct.total.to_string()
        };
        columns.push(Column::new(format!("合计\n(N={grand})"), value_kind));
        let mut rows = Vec::new();
        for r in 0..nr {
            let mut row = vec![Cell::text(&ct.row_labels[r])];
            for c in 0..nc {
                if let Some(reason) = hidden_cell(r, c) {
                    row.push(Cell::suppressed(reason, marker(reason)));
                    continue;
                }
                let cell = match (self.show, ws) {
                    (Show::Count, _) => Cell::count(ct.counts[r][c]),
                    (Show::RowPercent, _) => Cell::percent_of(ct.counts[r][c], ct.row_bases[r], 1),
                    (Show::ColPercent, Some(_)) => {
                        let wp = wsums[r][c].finish();
                        let mut cell = wp.map(|p| pct1(p.estimate)).unwrap_or_else(Cell::missing);
                        if let Some(m) = self.intervals
                            && let Some(i) = wp.and_then(|p| p.interval(m, self.level))
                        {
                            cell = cell.with_interval(i.lower * 100.0, i.upper * 100.0, 1);
                        }
                        cell
                    }
                    (Show::ColPercent, None) => {
                        let mut cell = Cell::percent_of(ct.counts[r][c], ct.col_bases[c], 1);
                        if let Some(m) = self.intervals
                            && let Some(i) =
                                intervals::interval(m, ct.counts[r][c], ct.col_bases[c], self.level)
                        {
                            cell = cell.with_interval(i.lower * 100.0, i.upper * 100.0, 1);
                        }
                        cell
                    }
                };
                row.push(cell);
            }
            row.push(
                match sup
                    .as_ref()
                    .map(|s| (s.hidden_row_totals[r], s.small_row_totals[r]))
                {
                    Some((true, true)) => Cell::suppressed(SuppressionReason::Small, small.clone()),
                    Some((true, false)) => {
                        Cell::suppressed(SuppressionReason::Complementary, COMPLEMENTARY)
                    }
                    // A percentage of a hidden grand total would give the total away.
                    _ if sup.as_ref().is_some_and(|s| s.hidden_grand)
                        && self.show == Show::ColPercent =>
                    {
                        Cell::suppressed(SuppressionReason::Complementary, COMPLEMENTARY)
                    }
                    _ => match self.show {
                        Show::Count | Show::RowPercent => Cell::count(ct.row_bases[r]),
                        Show::ColPercent => Cell::percent_of(ct.row_bases[r], ct.total, 1),
                    },
                },
            );
            rows.push(PrintedRow::option(&ct.row_codes[r], row));
        }
        // Notes: what the cells are, the test, the suppression.
        let mut notes = vec![match self.show {
            Show::ColPercent => "单元格为列百分比（占该列应答者的比例）".to_owned(),
            Show::RowPercent => "单元格为行百分比".to_owned(),
            Show::Count => "单元格为人数".to_owned(),
        }];
        if let Some(w) = ws {
            notes.push(format!("比例按权重“{}”加权，N为未加权人数", w.name));
        }
        if let Some(m) = self.intervals {
            notes.push(format!(
                "方括号内为{}%置信区间（{}{}）",
                fmt::number_f64(self.level * 100.0, 0),
                m.zh(),
                if ws.is_some() {
                    "，按设计效应调整"
                } else {
                    ""
                }
            ));
        }
        let mut tests = Vec::new();
        if self.test {
            let t = if !single {
                "多选题的选项互不排斥，不作卡方检验".to_owned()
            } else if ws.is_some() {
                match rao_scott(&cells) {
                    Some(rs) => {
                        let df2 = rs.d0 * (cells.n as f64 - 1.0);
                        tests.push(TestResult {
                            method: TestMethod::RaoScottF,
                            statistic: Some(rs.f_statistic),
                            df: Some(rs.d0),
                            df2: Some(df2),
                            p_value: rs.f_p_value,
                            subject: None,
                        });
                        format!(
                            "Rao–Scott二阶校正F={}，df=({}, {})，{}",
                            fmt::number_f64(rs.f_statistic, 2),
                            fmt::number_f64(rs.d0, 2),
                            fmt::number_f64(df2, 1),
                            fmt::p_value(rs.f_p_value)
                        )
                    }
                    None => "样本不足，无法检验".to_owned(),
                }
            } else {
                let table: Vec<Vec<f64>> = ct
                    .counts
                    .iter()
                    .map(|r| r.iter().map(|&v| v as f64).collect())
                    .collect();
                match pearson(&table) {
                    Some(chi) if chi.df == 1 && nr == 2 && nc == 2 => {
                        let p = fisher_2x2(
                            ct.counts[0][0],
                            ct.counts[0][1],
                            ct.counts[1][0],
                            ct.counts[1][1],
                        );
                        tests.push(TestResult {
                            method: TestMethod::FisherExact,
                            statistic: None,
                            df: None,
                            df2: None,
                            p_value: p,
                            subject: None,
                        });
                        tests.push(TestResult {
                            method: TestMethod::PearsonChiSquare,
                            statistic: Some(chi.statistic),
                            df: Some(chi.df as f64),
                            df2: None,
                            p_value: chi.p_value,
                            subject: None,
                        });
                        format!(
                            "Fisher精确检验{}（Pearson χ²={}，{}）",
                            fmt::p_value(p),
                            fmt::number_f64(chi.statistic, 2),
                            fmt::p_value(chi.p_value)
                        )
                    }
                    Some(chi) => {
                        tests.push(TestResult {
                            method: TestMethod::PearsonChiSquare,
                            statistic: Some(chi.statistic),
                            df: Some(chi.df as f64),
                            df2: None,
                            p_value: chi.p_value,
                            subject: None,
                        });
                        format!(
                            "Pearson χ²={}，df={}，{}{}",
                            fmt::number_f64(chi.statistic, 2),
                            chi.df,
                            fmt::p_value(chi.p_value),
                            if chi.small_expected {
                                format!(
                                    "；有期望频数小于5的单元格（最小{}），卡方近似可能不准确",
                                    fmt::number_f64(chi.min_expected, 1)
                                )
                            } else {
                                String::new()
                            }
                        )
                    }
                    None => "有效行或列不足两个，无法检验".to_owned(),
                }
            };
            notes.push(t);
        }
        let mut suppression = None;
        if let Some(s) = &sup {
            let count = |reason: SuppressionReason| {
                (0..nr)
                    .flat_map(|r| (0..nc).map(move |c| (r, c)))
                    .filter(|&(r, c)| hidden_cell(r, c) == Some(reason))
                    .count()
            };
            let (primary, secondary) = (
                count(SuppressionReason::Small),
                count(SuppressionReason::Complementary),
            );
            let totals = s.secondary_totals;
            if s.total() > 0 {
                let mut n = format!(
                    "小格保护：人数少于{}的{primary}个单元格以“{small}”显示",
                    self.suppress
                );
                if secondary + totals > 0 {
                    let what = match (secondary, totals) {
                        (0, t) => format!("{t}个合计"),
                        (c, 0) => format!("{c}个单元格"),
                        (c, t) => format!("{c}个单元格和{t}个合计"),
                    };
                    n.push_str(&format!(
                        "，另有{what}为防止由表中其他数字反推而一并隐藏，以“{COMPLEMENTARY}”显示"
                    ));
                }
                n.push_str("；人数为0的单元格照常显示");
                notes.push(n);
            }
            suppression = Some(SuppressionNote {
                threshold: self.suppress,
                small: primary,
                complementary: secondary,
                small_marker: small.clone(),
                complementary_marker: COMPLEMENTARY.into(),
            });
        }
        notes.push("N为同时回答两题的应答者。".to_owned());
        if sup.as_ref().is_some_and(|s| s.total() > 0) {
            cx.keep_internal(crate::block::InternalTable {
                number: number.clone(),
                dataset: name.to_owned(),
                crosstab: ct.clone(),
            });
        }
        let t = PrintedTable {
            number: Some(number),
            caption: Some(self.caption.clone()),
            dataset: Some(name.to_owned()),
            questions: vec![self.row.clone(), self.col.clone()],
            base: Some(Base {
                n: ct.total,
                not_shown: 0,
                skipped: 0,
            }),
            weights: ws.map(|w| w.name.clone()),
            rows,
            tests,
            suppression,
            notes,
            ..PrintedTable::new(TableKind::CrossTab, columns)
        };
        cx.push(Element::Table(Box::new(t)));
        Ok(())
    }
}

/// A frequency table weighted to population margins, beside the unweighted one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedTable {
    #[serde(default)]
    pub dataset: Option<String>,
    pub question: String,
    pub weights: String,
    #[serde(default)]
    pub number: Option<String>,
    pub caption: String,
    #[serde(default)]
    pub order: Order,
    #[serde(default)]
    pub intervals: Method,
    #[serde(default = "default_level")]
    pub level: f64,
}

impl Block for WeightedTable {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        check_level(self.level)?;
        let (name, d, t) = frequency(cx, self.dataset.as_deref(), &self.question, self.order)?;
        let ws = weight_set(cx, Some(&self.weights), name)?.expect("named");
        let qi = d.index.position(&self.question).expect("checked");
        let opts = d.index.question(qi).kind.options();
        let number = cx.number(
            self.number.as_deref(),
            &[NumberKind::Table],
            &[&self.question],
        )?;
        cx.note_order(self.order, NumberKind::Table, &number);
        let columns = vec![
            Column::new("选项", ColumnKind::Label),
            Column::new("人数", ColumnKind::Count),
            Column::new("未加权比例", ColumnKind::Percent),
            Column::new("加权比例", ColumnKind::Percent),
            Column::new(
                format!("加权{}%置信区间", fmt::number_f64(self.level * 100.0, 0)),
                ColumnKind::Interval,
            ),
        ];
        let mut rows = Vec::new();
        for row in &t.rows {
            let o = opts
                .iter()
                .position(|x| x.code == row.code)
                .expect("same question");
            let mut s = ProportionSums::default();
            for (rec, &w) in d.records.iter().zip(&ws.raked.weights) {
                if rec.values[qi].is_answered() {
                    s.add(w, rec.values[qi].includes(o));
                }
            }
            let wp = s.finish();
            rows.push(PrintedRow::option(
                &row.code,
                vec![
                    Cell::text(&row.label),
                    Cell::count(row.count),
                    Cell::percent_of(row.count, t.base, 2),
                    wp.map(|p| Cell::percent(p.estimate * 100.0, 2))
                        .unwrap_or_else(Cell::missing),
                    match wp.and_then(|p| p.interval(self.intervals, self.level)) {
                        Some(i) => Cell::interval(i.lower * 100.0, i.upper * 100.0, 1),
                        None => Cell::missing(),
                    },
                ],
            ));
        }
        let r = &ws.raked;
        let vars: Vec<String> = ws
            .spec
            .margins
            .keys()
            .map(|q| {
                d.index
                    .get(q)
                    .map(|qq| qq.text.zh.clone())
                    .unwrap_or_else(|| q.clone())
            })
            .collect();
        let note = format!(
            "加权方法：按{}的总体结构，对{}进行迭代比例拟合（raking），{}轮后收敛{}；Kish有效样本量{}（设计效应{}）。区间为{}法。N={}。",
            ws.spec.source,
            vars.join("、"),
            r.iterations + 1,
            if r.trimmed > 0 {
                format!("，{}个权重按上下限截尾", r.trimmed)
            } else {
                String::new()
            },
            fmt::number_f64(r.kish_n, 1),
            fmt::number_f64(r.deff, 2),
            self.intervals.zh(),
            t.base
        );
        let table = PrintedTable {
            number: Some(number),
            caption: Some(self.caption.clone()),
            dataset: Some(name.to_owned()),
            questions: vec![self.question.clone()],
            base: Some(Base {
                n: t.base,
                not_shown: t.not_shown,
                skipped: t.skipped,
            }),
            weights: Some(ws.name.clone()),
            rows,
            notes: vec![note],
            ..PrintedTable::new(TableKind::Weighted, columns)
        };
        cx.push(Element::Table(Box::new(table)));
        Ok(())
    }
}
