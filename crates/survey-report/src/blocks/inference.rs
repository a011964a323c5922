//! Blocks that print inference: a cross-tab with intervals, a test and small-cell
//! suppression; a weighted table beside the unweighted one; the weighting summary.
//!
//! Weighted figures are design-based (see `survey_stats::design`): domain estimates within the
//! whole design, with the calibration-aware variance unless the spec chooses otherwise. Where a
//! cross-tab hides cells, the figures that would give them away elsewhere are hidden too: the
//! weighted total of a row with a hidden cell (here and in every weighted table of the same
//! question), and the exact test statistic (only the band its p-value falls in is printed).
//! `crate::linked` then audits everything printed together.

use serde::Deserialize;
use survey_aggregate::{CrossTab, CrossTabSpec};
use survey_print::fmt;
use survey_print::{
    Base, Cell, Column, ColumnKind, Element, NumberKind, PBand, PrintedRow, PrintedTable,
    SuppressionNote, SuppressionReason, TableKind, TestMethod, TestResult,
};
use survey_stats::design::{Estimates, Flag};
use survey_stats::hypothesis::{ChiSquare, RaoScott, fisher_2x2, pearson, rao_scott};
use survey_stats::intervals::{self, Method, WeightedProportion};
use survey_stats::suppress::{Suppression, Table as SuppressTable, suppress_table};

use super::{Order, check_level, default_level, frequency, tabulable};
use crate::block::{
    Block, Context, CrossTabNeed, Env, Fact, InternalTable, SuppressedTable, TestCheck,
};
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
            let w = cx
                .weights
                .get(n)
                .ok_or_else(|| crate::block::undeclared("weights", n, cx.weights.keys()))?;
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

/// The small-cell suppression of a cross-tab. Also run before any block is built, so that
/// every table of the report knows which options have hidden cells.
pub(crate) fn suppression_of(
    ct: &CrossTab,
    row_single: bool,
    col_single: bool,
    threshold: u64,
) -> Result<Option<Suppression>, String> {
    if threshold > 0 && threshold < 3 {
        return Err(format!(
            "suppress = {threshold} protects nothing (a cell printed <{threshold} can only be {}); use 3 or more, or 0 to turn suppression off",
            threshold - 1
        ));
    }
    if threshold == 0 {
        return Ok(None);
    }
    // A pair of questions printed both ways round hides the same cells in both tables: the
    // suppression is decided with the questions in one order (their ids') and turned as needed.
    let turned = ct.row_question > ct.col_question;
    let flipped: Vec<Vec<u64>>;
    let (counts, row_totals, col_totals, row_single, col_single) = if turned {
        flipped = (0..ct.col_bases.len())
            .map(|c| ct.counts.iter().map(|r| r[c]).collect())
            .collect();
        (
            &flipped,
            &ct.col_bases,
            &ct.row_bases,
            col_single,
            row_single,
        )
    } else {
        (
            &ct.counts,
            &ct.row_bases,
            &ct.col_bases,
            row_single,
            col_single,
        )
    };
    let s = suppress_table(
        &SuppressTable {
            counts,
            row_totals,
            col_totals,
            // A row base adds up its cells across the columns when the column question is
            // single choice; a column base when the row question is.
            rows_add_up: col_single,
            cols_add_up: row_single,
            grand: ct.total,
        },
        threshold,
    );
    Ok(Some(if turned { s.transposed() } else { s }))
}

/// The unweighted test a cross-tab prints: Fisher's exact test for a 2×2 table (with Pearson
/// beside it), Pearson's chi-square otherwise.
pub(crate) enum Unweighted {
    Fisher { p: f64, chi: ChiSquare },
    Pearson(ChiSquare),
}

impl Unweighted {
    pub(crate) fn of(counts: &[Vec<u64>]) -> Option<Unweighted> {
        let table: Vec<Vec<f64>> = counts
            .iter()
            .map(|r| r.iter().map(|&v| v as f64).collect())
            .collect();
        let chi = pearson(&table)?;
        let two = counts.len() == 2 && counts.iter().all(|r| r.len() == 2);
        Some(if chi.df == 1 && two {
            Unweighted::Fisher {
                p: fisher_2x2(counts[0][0], counts[0][1], counts[1][0], counts[1][1]),
                chi,
            }
        } else {
            Unweighted::Pearson(chi)
        })
    }

    /// The p-value the table is judged by.
    pub(crate) fn p(&self) -> f64 {
        match self {
            Unweighted::Fisher { p, .. } => *p,
            Unweighted::Pearson(chi) => chi.p_value,
        }
    }
}

/// The Rao–Scott test of the cell proportions held in `e` from index `from` (rows fastest).
pub(crate) fn rao_scott_of(
    e: &Estimates,
    from: usize,
    nr: usize,
    nc: usize,
    n: u64,
) -> Option<RaoScott> {
    let k = nr * nc;
    let p: Vec<f64> = (from..from + k)
        .map(|j| e.estimate[j].unwrap_or(0.0))
        .collect();
    let v: Vec<Vec<f64>> = (from..from + k)
        .map(|a| (from..from + k).map(|b| e.covariance[a][b]).collect())
        .collect();
    rao_scott(nr, nc, &p, &v, n, n as f64 - 1.0)
}

fn interval_cell(wp: Option<WeightedProportion>, m: Option<Method>, level: f64) -> Cell {
    let mut cell = wp.map(|p| pct1(p.estimate)).unwrap_or_else(Cell::missing);
    if let Some(m) = m
        && let Some(i) = wp.and_then(|p| p.interval(m, level))
    {
        cell = cell.with_interval(i.lower * 100.0, i.upper * 100.0, 1);
    }
    // As printed, in every file: more digits, with the weights, give the counts behind the
    // estimate away (a finer table the report does not print).
    cell.as_printed()
}

/// The note a weighted table carries when raking could not meet the margins.
fn unconverged_note(w: &WeightSet) -> Option<String> {
    (!w.calibration.converged).then(|| {
        format!(
            "注意：权重“{}”未能在上下限内达到总体结构（迭代{}次后最大相对偏差{}），加权结果只能作参考",
            w.label,
            w.calibration.iterations,
            fmt::number_f64(w.calibration.misfit, 4)
        )
    })
}

impl Block for CrossTabBlock {
    fn crosstabs(&self, _env: &Env) -> Result<Vec<CrossTabNeed>, String> {
        Ok(vec![CrossTabNeed {
            dataset: self.dataset.clone(),
            spec: CrossTabSpec {
                row: self.row.clone(),
                col: self.col.clone(),
            },
            suppress: self.suppress,
            at: None,
        }])
    }

    // The cell loop reads several parallel arrays (counts, bases, estimates, suppression).
    #[allow(clippy::needless_range_loop)]
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let (name, d) = cx.dataset(self.dataset.as_deref())?;
        tabulable(d, name, &self.row)?;
        tabulable(d, name, &self.col)?;
        check_level(self.level)?;
        let ws = weight_set(cx, self.weights.as_deref(), name)?;
        if ws.is_some() && self.show != Show::ColPercent {
            return Err(format!(
                "`weights` apply to column percentages: a cross-tab with `show = \"{}\"` prints unweighted {}; drop `weights` or `show`",
                match self.show {
                    Show::Count => "count",
                    _ => "row_percent",
                },
                match self.show {
                    Show::Count => "counts",
                    _ => "row percentages",
                },
            ));
        }
        let ct = d
            .aggregate
            .crosstab(&d.index, &self.row, &self.col)
            .map_err(|e| e.to_string())?;
        let (nr, nc) = (ct.row_labels.len(), ct.col_labels.len());
        let (ri, ci) = (
            d.index.position(&self.row).expect("checked"),
            d.index.position(&self.col).expect("checked"),
        );
        let (rq_single, cq_single) = (
            d.index.question(ri).kind.is_single(),
            d.index.question(ci).kind.is_single(),
        );
        let single = rq_single && cq_single;
        let sup = suppression_of(&ct, rq_single, cq_single, self.suppress)?;
        let hides = sup.as_ref().is_some_and(|s| s.total() > 0);
        // Rows whose weighted total would combine a hidden cell of this table with known
        // weights.
        let own_hidden: Vec<bool> = (0..nr)
            .map(|r| sup.as_ref().is_some_and(|s| s.hidden[r].iter().any(|&h| h)))
            .collect();
        // Rows of an option with a hidden cell in another cross-tab. Where the weights are
        // constant within this table's cells, the row's weighted shares are functions of this
        // table's printed counts and tell nothing more. Where they vary (raked on a question
        // outside the table), each share adds up cells of a finer classification with different
        // weights, which can give those hidden counts away; the total is a sum of the shares.
        let varies = ws.is_some_and(|w| w.per_cell(ri, ci, nr, nc).is_none());
        // Columns with a hidden cell whose weights differ from row to row (raked on the row
        // question, or on one outside the table): each weighted share of such a column is a
        // ratio of its cells with known, unequal weights, which can give the hidden ones away.
        let cell_weights = ws.and_then(|w| {
            w.per_cell(ri, ci, nr, nc).map(|cells| {
                cells
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|p| p.map(|p| w.calibration.weight(p)))
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>()
            })
        });
        let raked_row = ws.is_some_and(|w| w.spec.margins.contains_key(&self.row));
        let mixed_col: Vec<bool> = (0..nc)
            .map(|c| {
                ws.is_some()
                    && sup
                        .as_ref()
                        .is_some_and(|s| (0..nr).any(|r| s.hidden[r][c]))
                    && cell_weights.as_ref().is_none_or(|cw| {
                        let w: Vec<f64> = (0..nr).filter_map(|r| cw[r][c]).collect();
                        w.windows(2)
                            .any(|p| (p[0] - p[1]).abs() > 1e-12 * p[0].abs())
                    })
            })
            .collect();
        let guarded: Vec<bool> = (0..nr)
            .map(|r| {
                varies
                    && cx.protected.elsewhere(
                        name,
                        &self.row,
                        &ct.row_codes[r],
                        &self.row,
                        &self.col,
                    )
            })
            .collect();
        // Weighted estimates: column percentages (r, c), row totals r, and for single-choice
        // tables the cell proportions the Rao–Scott test needs (rows fastest). They are
        // estimated for the options someone is in: a column no respondent is in has no
        // share, and a row no respondent chose is 0 with no variance in every column (its
        // domain that of any other row). The work grows with the square of the estimates, so
        // a thousand unused options (a 下拉框 of cities, say) must cost nothing (trial 38).
        let live_r: Vec<usize> = (0..nr)
            .filter(|&r| ct.counts[r].iter().any(|&n| n > 0))
            .collect();
        let live_c: Vec<usize> = (0..nc).filter(|&c| ct.col_bases[c] > 0).collect();
        let (lr, lc) = (live_r.len(), live_c.len());
        let cells_at = lr * lc + lr;
        let est = ws
            .map(|w| {
                let k = cells_at + if single { lr * lc } else { 0 };
                w.estimates(&d.records, k, |rec| {
                    let (rv, cv) = (&rec.values[ri], &rec.values[ci]);
                    let both = rv.is_answered() && cv.is_answered();
                    let flag = |inside: bool, chosen: bool| match (inside, chosen) {
                        (false, _) => Flag::Out,
                        (true, false) => Flag::In,
                        (true, true) => Flag::Chosen,
                    };
                    let mut f = Vec::with_capacity(k);
                    for &r in &live_r {
                        for &c in &live_c {
                            f.push(flag(both && cv.includes(c), rv.includes(r)));
                        }
                    }
                    for &r in &live_r {
                        f.push(flag(both, rv.includes(r)));
                    }
                    if single {
                        for &c in &live_c {
                            for &r in &live_r {
                                f.push(flag(both, rv.includes(r) && cv.includes(c)));
                            }
                        }
                    }
                    f
                })
            })
            .transpose()?;
        // Where each option stands among those estimated.
        let at_r: Vec<Option<usize>> = (0..nr)
            .map(|r| live_r.iter().position(|&x| x == r))
            .collect();
        let at_c: Vec<Option<usize>> = (0..nc)
            .map(|c| live_c.iter().position(|&x| x == c))
            .collect();
        // A row no one chose: 0, no variance, over the domain of a row estimated.
        let unchosen = |wp: Option<WeightedProportion>| {
            wp.map(|p| WeightedProportion {
                estimate: 0.0,
                variance: 0.0,
                ..p
            })
        };
        // The weighted share of row r in column c, and of row r overall.
        let cell_share = |e: &Estimates, r: usize, c: usize| -> Option<WeightedProportion> {
            let c = at_c[c]?;
            match at_r[r] {
                Some(r) => e.proportion(r * lc + c),
                None if lr > 0 => unchosen(e.proportion(c)),
                None => None,
            }
        };
        let row_share = |e: &Estimates, r: usize| -> Option<WeightedProportion> {
            match at_r[r] {
                Some(r) => e.proportion(lr * lc + r),
                None if lr > 0 => unchosen(e.proportion(lr * lc)),
                None => None,
            }
        };
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
        let number = cx.number(
            self.number.as_deref(),
            &[NumberKind::Table],
            &[&self.row, &self.col],
        )?;
        let rq = survey_schema::title(&d.index.question(ri).text.zh);
        let mut columns = vec![Column::new(rq, ColumnKind::Label)];
        let value_kind = match self.show {
            Show::Count => ColumnKind::Count,
            _ => ColumnKind::Percent,
        };
        // The column bases printed (unweighted, as the header prints them), for the
        // report-wide audit: a question shown only to some answers of another gives, column by
        // column, the count of those answers.
        if self.show != Show::RowPercent {
            cx.fact(Fact::ColumnBases {
                dataset: name.to_owned(),
                row_question: self.row.clone(),
                col_question: self.col.clone(),
                bases: (0..ct.col_codes.len())
                    .map(|c| {
                        let hidden = sup
                            .as_ref()
                            .is_some_and(|s| s.hidden_col_totals[c] || s.small_col_totals[c]);
                        (
                            ct.col_codes[c].clone(),
                            (!hidden).then_some(ct.col_bases[c]),
                        )
                    })
                    .collect(),
            });
        }
        for (c, l) in ct.col_labels.iter().enumerate() {
            let base = sup
                .as_ref()
                .and_then(|s| total_marker(s.hidden_col_totals[c], s.small_col_totals[c]))
                .unwrap_or_else(|| ct.col_bases[c].to_string());
            // Row percentages are not of the column: its size would read as their base.
            let header = if self.show == Show::RowPercent {
                l.clone()
            } else {
                format!("{l}\n(N={base})")
            };
            columns.push(Column::new(header, value_kind).with_code(&ct.col_codes[c]));
        }
        let grand = if sup.as_ref().is_some_and(|s| s.hidden_grand) {
            COMPLEMENTARY.to_owned()
        } else {
            ct.total.to_string()
        };
        // Each row of row percentages adds up to 100%: the last column gives its base.
        columns.push(match self.show {
            Show::RowPercent => Column::new(format!("N\n(合计{grand})"), ColumnKind::Count),
            Show::Count => Column::new(format!("合计\n(N={grand})"), ColumnKind::Count),
            Show::ColPercent => Column::new(format!("合计\n(N={grand})"), value_kind),
        });
        let mut rows = Vec::new();
        let mut protected_totals = 0;
        for r in 0..nr {
            let mut row = vec![Cell::text(&ct.row_labels[r])];
            for c in 0..nc {
                if let Some(reason) = hidden_cell(r, c) {
                    row.push(Cell::suppressed(reason, marker(reason)));
                    continue;
                }
                let cell = match (self.show, &est) {
                    (Show::ColPercent, Some(_)) if guarded[r] || mixed_col[c] => {
                        Cell::suppressed(SuppressionReason::Complementary, COMPLEMENTARY)
                    }
                    (Show::Count, _) => Cell::count(ct.counts[r][c]),
                    (Show::RowPercent, _) => Cell::percent_of(ct.counts[r][c], ct.row_bases[r], 1),
                    (Show::ColPercent, Some(e)) => {
                        interval_cell(cell_share(e, r, c), self.intervals, self.level)
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
                    _ => match (self.show, &est) {
                        (Show::ColPercent, Some(_)) if guarded[r] => {
                            Cell::suppressed(SuppressionReason::Complementary, COMPLEMENTARY)
                        }
                        // A raking variable's weighted shares are its margins, which the
                        // weighting summary prints.
                        (Show::ColPercent, Some(_)) if own_hidden[r] && !raked_row => {
                            protected_totals += 1;
                            Cell::suppressed(SuppressionReason::Complementary, COMPLEMENTARY)
                        }
                        (Show::ColPercent, Some(e)) => {
                            let wp = row_share(e, r);
                            if let (Some(p), Some(w)) = (wp, ws) {
                                cx.fact(Fact::WeightedShare {
                                    dataset: name.to_owned(),
                                    weights: w.name.clone(),
                                    question: self.row.clone(),
                                    option: ct.row_codes[r].clone(),
                                    percent: p.estimate * 100.0,
                                    decimals: 1,
                                });
                            }
                            interval_cell(wp, self.intervals, self.level)
                        }
                        (Show::Count | Show::RowPercent, _) => Cell::count(ct.row_bases[r]),
                        (Show::ColPercent, None) => Cell::percent_of(ct.row_bases[r], ct.total, 1),
                    },
                },
            );
            rows.push(PrintedRow::option(&ct.row_codes[r], row));
        }
        // Notes: what the cells are, the test, the suppression.
        let mut notes = vec![match self.show {
            Show::ColPercent => "单元格为列百分比（占该列应答者的比例）".to_owned(),
            Show::RowPercent => {
                "单元格为行百分比（占该行应答者的比例），N为该行应答者人数".to_owned()
            }
            Show::Count => "单元格为人数".to_owned(),
        }];
        if let Some(w) = ws {
            notes.push(format!("比例和合计按权重“{}”加权", w.label));
        }
        if let Some(m) = self.intervals {
            notes.push(format!(
                "方括号内为{}%置信区间（{}{}）",
                fmt::number_f64(self.level * 100.0, 0),
                m.zh(),
                match ws {
                    Some(w) => format!("，{}，各列作为总体中的子总体估计", w.variance.zh()),
                    None => String::new(),
                }
            ));
        }
        let mut tests = Vec::new();
        let mut check = None;
        // On a table with hidden cells only the band of the p-value is printed: an exact
        // statistic narrows down what the hidden cells can be.
        let banded = "表中有隐藏的单元格，为免据此反推，只给出p值所在区间";
        let withheld = "表中有隐藏的单元格，连p值所在区间也会泄露它们，不给出检验结果";
        // Whether even the band would give the hidden cells away (checked against the table
        // and the counts of its options; the report-wide audit checks again with the rest).
        let leaks = |band: PBand, band_of: crate::linked::BandOf| {
            sup.as_ref().is_some_and(|s| {
                crate::linked::band_leaks(
                    &ct,
                    s,
                    cq_single,
                    rq_single,
                    crate::linked::known_counts(d, &ct, &self.row),
                    crate::linked::known_counts(d, &ct, &self.col),
                    band,
                    band_of,
                )
            })
        };
        if self.test {
            let t = if !single {
                "多选题的选项互不排斥，不作卡方检验".to_owned()
            } else if let (Some(e), Some(w)) = (&est, ws) {
                match rao_scott_of(e, cells_at, lr, lc, ct.total) {
                    Some(rs) if !hides => {
                        tests.push(TestResult {
                            method: TestMethod::RaoScottF,
                            statistic: Some(rs.f_statistic),
                            df: Some(rs.d0),
                            df2: Some(rs.ddf),
                            p_value: Some(rs.f_p_value),
                            p_band: None,
                            subject: None,
                        });
                        tests.push(TestResult {
                            method: TestMethod::RaoScottChiSquare,
                            statistic: Some(rs.pearson),
                            df: Some(rs.df as f64),
                            df2: None,
                            p_value: Some(rs.chisq_p_value),
                            p_band: None,
                            subject: None,
                        });
                        format!(
                            "Rao–Scott二阶校正F={}，df=({}, {})，{}",
                            fmt::number_f64(rs.f_statistic, 2),
                            fmt::number_f64(rs.d0, 2),
                            fmt::number_f64(rs.ddf, 1),
                            fmt::p_value(rs.f_p_value)
                        )
                    }
                    Some(rs) if w.per_cell(ri, ci, nr, nc).is_some() => {
                        let band = PBand::of(rs.f_p_value);
                        let band_of = |c: &[Vec<u64>]| crate::linked::rao_scott_band(w, d, &ct, c);
                        if leaks(band, &band_of) {
                            withheld.to_owned()
                        } else {
                            tests.push(TestResult {
                                method: TestMethod::RaoScottF,
                                statistic: None,
                                df: None,
                                df2: None,
                                p_value: None,
                                p_band: Some(band),
                                subject: None,
                            });
                            check = Some(TestCheck::RaoScott {
                                weights: w.name.clone(),
                                band,
                            });
                            format!("Rao–Scott二阶校正F检验{}（{banded}）", band.zh())
                        }
                    }
                    Some(_) => "表中有隐藏的单元格，且权重随表外的变量变化，不作检验".to_owned(),
                    None => "样本不足，无法检验".to_owned(),
                }
            } else {
                match Unweighted::of(&ct.counts) {
                    Some(u) if hides => {
                        let band = PBand::of(u.p());
                        let band_of = |c: &[Vec<u64>]| Unweighted::of(c).map(|u| PBand::of(u.p()));
                        if leaks(band, &band_of) {
                            withheld.to_owned()
                        } else {
                            tests.push(TestResult {
                                method: match u {
                                    Unweighted::Fisher { .. } => TestMethod::FisherExact,
                                    Unweighted::Pearson(_) => TestMethod::PearsonChiSquare,
                                },
                                statistic: None,
                                df: None,
                                df2: None,
                                p_value: None,
                                p_band: Some(band),
                                subject: None,
                            });
                            check = Some(TestCheck::Unweighted { band });
                            // The caveat depends on the margins alone, which the table
                            // prints (trial 41: expected counts of 1.9 went unremarked).
                            let caveat = match &u {
                                Unweighted::Pearson(chi) if chi.small_expected => {
                                    "；有期望频数小于5的单元格，卡方近似可能不准确"
                                }
                                _ => "",
                            };
                            format!(
                                "{}{}（{banded}）{caveat}",
                                match u {
                                    Unweighted::Fisher { .. } => "Fisher精确检验",
                                    Unweighted::Pearson(_) => "Pearson χ²检验",
                                },
                                band.zh()
                            )
                        }
                    }
                    Some(Unweighted::Fisher { p, chi }) => {
                        tests.push(TestResult {
                            method: TestMethod::FisherExact,
                            statistic: None,
                            df: None,
                            df2: None,
                            p_value: Some(p),
                            p_band: None,
                            subject: None,
                        });
                        tests.push(TestResult {
                            method: TestMethod::PearsonChiSquare,
                            statistic: Some(chi.statistic),
                            df: Some(chi.df as f64),
                            df2: None,
                            p_value: Some(chi.p_value),
                            p_band: None,
                            subject: None,
                        });
                        format!(
                            "Fisher精确检验{}（Pearson χ²={}，{}）",
                            fmt::p_value(p),
                            fmt::number_f64(chi.statistic, 2),
                            fmt::p_value(chi.p_value)
                        )
                    }
                    Some(Unweighted::Pearson(chi)) => {
                        tests.push(TestResult {
                            method: TestMethod::PearsonChiSquare,
                            statistic: Some(chi.statistic),
                            df: Some(chi.df as f64),
                            df2: None,
                            p_value: Some(chi.p_value),
                            p_band: None,
                            subject: None,
                        });
                        pearson_text(&chi)
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
                if protected_totals > 0 {
                    n.push_str(&format!(
                        "；含隐藏单元格的{protected_totals}行，其加权合计由各列按不同权重相加，会泄露被隐藏的人数，也以“{COMPLEMENTARY}”显示"
                    ));
                }
                // A zero in a row or column whose total is small is hidden with it.
                let zero_hidden =
                    (0..nr).any(|r| (0..nc).any(|c| s.hidden[r][c] && ct.counts[r][c] == 0));
                n.push_str(if zero_hidden {
                    "；人数为0的单元格照常显示，但所在行或列的合计过小而整行或整列隐藏时，也一并隐藏"
                } else {
                    "；人数为0的单元格照常显示"
                });
                notes.push(n);
            }
            suppression = Some(SuppressionNote {
                threshold: self.suppress,
                small: primary,
                complementary: secondary,
                small_marker: small.clone(),
                complementary_marker: COMPLEMENTARY.into(),
            });
            if s.total() > 0 {
                cx.keep_suppressed(SuppressedTable {
                    internal: InternalTable {
                        number: number.clone(),
                        dataset: name.to_owned(),
                        crosstab: ct.clone(),
                    },
                    suppression: s.clone(),
                    rows_add_up: cq_single,
                    cols_add_up: rq_single,
                    grand_hidden: s.hidden_grand,
                    test: check,
                });
            }
        }
        let mixed = mixed_col.iter().filter(|&&m| m).count();
        if mixed > 0 {
            notes.push(format!(
                "{mixed}列含隐藏的单元格，且列中各行的权重不同，这些列其余单元格的加权比例会泄露被隐藏的人数，一并以“{COMPLEMENTARY}”显示"
            ));
        }
        let guarded_rows = guarded.iter().filter(|&&g| g).count();
        if est.is_some() && self.show == Show::ColPercent && guarded_rows > 0 {
            notes.push(format!(
                "{guarded_rows}行的选项在其他交叉表中有隐藏的小格；本表各单元格内的权重并不相同，这些行的加权比例与合计会泄露被隐藏的人数，一律以“{COMPLEMENTARY}”显示"
            ));
        }
        if let Some(w) = ws
            && let Some(n) = unconverged_note(w)
        {
            notes.push(n);
        }
        notes.push(if ws.is_some() {
            "N为同时回答两题的应答者人数（未加权）。".to_owned()
        } else {
            "N为同时回答两题的应答者。".to_owned()
        });
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
        // Keyed by the question and by `weighted.<question>`: `{ref:tbl:q}` stays the
        // question's own table when it has one.
        let weighted = format!("weighted.{}", self.question);
        let number = cx.number(
            self.number.as_deref(),
            &[NumberKind::Table],
            &[&self.question, &weighted],
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
        let k = opts.len();
        let est = ws.estimates(&d.records, k, |rec| {
            let v = &rec.values[qi];
            (0..k)
                .map(|o| match (v.is_answered(), v.includes(o)) {
                    (false, _) => Flag::Out,
                    (true, false) => Flag::In,
                    (true, true) => Flag::Chosen,
                })
                .collect()
        })?;
        let mut rows = Vec::new();
        let mut hidden = 0;
        for row in &t.rows {
            let o = opts
                .iter()
                .position(|x| x.code == row.code)
                .expect("same question");
            let wp = est.proportion(o);
            // A raking variable's weighted shares are its margins, which the weighting summary
            // prints: nothing to hide.
            let raked = ws.spec.margins.contains_key(&self.question);
            let (share, interval) = if !raked && cx.is_protected(name, &self.question, &row.code) {
                hidden += 1;
                (
                    Cell::suppressed(SuppressionReason::Complementary, COMPLEMENTARY),
                    Cell::suppressed(SuppressionReason::Complementary, COMPLEMENTARY),
                )
            } else {
                if let Some(p) = wp {
                    cx.fact(Fact::WeightedShare {
                        dataset: name.to_owned(),
                        weights: ws.name.clone(),
                        question: self.question.clone(),
                        option: row.code.clone(),
                        percent: p.estimate * 100.0,
                        decimals: 2,
                    });
                }
                // As printed, in every file (see `interval_cell`).
                (
                    wp.map(|p| Cell::percent(p.estimate * 100.0, 2).as_printed())
                        .unwrap_or_else(Cell::missing),
                    match wp.and_then(|p| p.interval(self.intervals, self.level)) {
                        Some(i) => Cell::interval(i.lower * 100.0, i.upper * 100.0, 1).as_printed(),
                        None => Cell::missing(),
                    },
                )
            };
            rows.push(PrintedRow::option(
                &row.code,
                vec![
                    Cell::text(&row.label),
                    Cell::count(row.count),
                    Cell::percent_of(row.count, t.base, 2).as_printed(),
                    share,
                    interval,
                ],
            ));
        }
        let mut notes = vec![
            format!("按权重“{}”加权（见加权说明）", ws.label),
            format!("区间为{}法，{}", self.intervals.zh(), ws.variance.zh()),
        ];
        if hidden > 0 {
            notes.push(format!(
                "{hidden}个选项在交叉表中有隐藏的小格，其加权比例由各类别按不同权重相加，会泄露被隐藏的人数，以“{COMPLEMENTARY}”显示"
            ));
        }
        if let Some(n) = unconverged_note(ws) {
            notes.push(n);
        }
        notes.push(format!("N={}。", t.base));
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
            notes,
            ..PrintedTable::new(TableKind::Weighted, columns)
        };
        cx.push(Element::Table(Box::new(table)));
        Ok(())
    }
}

/// How the weights were made and what they reach: per raking variable and category the target
/// share, the weighted share reached and the sample share; Kish's effective n, the design
/// effect, the weights on a bound, convergence and iterations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightingSummaryBlock {
    pub weights: String,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default = "default_summary_caption")]
    pub caption: String,
}

fn default_summary_caption() -> String {
    "加权说明：目标结构与加权后结构".into()
}

impl Block for WeightingSummaryBlock {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let ws = cx
            .weights
            .get(&self.weights)
            .ok_or_else(|| crate::block::undeclared("weights", &self.weights, cx.weights.keys()))?;
        let (_, d) = cx.dataset(Some(&ws.dataset))?;
        let summary = ws.summary(d);
        // Keyed by each raking variable and by `weights.<name>`: a variable's own table stays
        // what `{ref:tbl:<variable>}` names.
        let name = format!("weights.{}", self.weights);
        let keys: Vec<&str> = ws
            .spec
            .margins
            .keys()
            .map(String::as_str)
            .chain([name.as_str()])
            .collect();
        let number = cx.number(self.number.as_deref(), &[NumberKind::Table], &keys)?;
        let columns = vec![
            Column::new("加权变量", ColumnKind::Label),
            Column::new("类别", ColumnKind::Text),
            Column::new("总体目标比例", ColumnKind::Percent),
            Column::new("加权后比例", ColumnKind::Percent),
            Column::new("样本比例", ColumnKind::Percent),
        ];
        let mut rows = Vec::new();
        for v in &summary.variables {
            let text = d
                .index
                .get(&v.question)
                .map(|q| survey_schema::title(&q.text.zh))
                .unwrap_or_else(|| v.question.clone());
            for (i, c) in v.categories.iter().enumerate() {
                rows.push(PrintedRow::option(
                    format!("{}.{}", v.question, c.code),
                    vec![
                        Cell::text(if i == 0 { text.clone() } else { String::new() }),
                        Cell::text(&c.label),
                        Cell::percent(c.target_share * 100.0, 2).as_printed(),
                        Cell::percent(c.achieved_share * 100.0, 2).as_printed(),
                        Cell::percent(c.sample_share * 100.0, 2).as_printed(),
                    ],
                ));
            }
        }
        let cal = &ws.calibration;
        let mut notes = vec![format!(
            "总体结构来自{}；方法为raking校准（与R survey包的calibrate函数相同）{}",
            ws.spec.source,
            match ws.spec.bounds {
                Some([lo, hi]) => format!(
                    "，每个权重限制在平均权重的{}至{}倍之间，{}个权重落在上下限上",
                    fmt::number_f64(lo, 2),
                    fmt::number_f64(hi, 2),
                    cal.trimmed
                ),
                None => "，不设权重上下限".into(),
            }
        )];
        notes.push(if cal.converged {
            format!(
                "迭代{}次后收敛，各类别加权后比例与目标之差不超过{}个百分点",
                cal.iterations,
                fmt::number_f64(
                    summary
                        .variables
                        .iter()
                        .flat_map(|v| &v.categories)
                        .map(|c| (c.achieved_share - c.target_share).abs() * 100.0)
                        .fold(0.0, f64::max)
                        .max(0.005),
                    2
                )
            )
        } else {
            format!(
                "未收敛：迭代{}次后仍未在上下限内达到目标结构，加权结果只能作参考",
                cal.iterations
            )
        });
        notes.push(format!(
            "Kish有效样本量{}，设计效应{}；加权估计的方差为{}。",
            fmt::number_f64(cal.kish_n, 1),
            fmt::number_f64(cal.deff, 2),
            ws.variance.zh()
        ));
        let table = PrintedTable {
            number: Some(number),
            caption: Some(self.caption.clone()),
            dataset: Some(ws.dataset.clone()),
            questions: ws.spec.margins.keys().cloned().collect(),
            weights: Some(ws.name.clone()),
            rows,
            notes,
            ..PrintedTable::new(TableKind::Weighting, columns)
        };
        cx.push(Element::Table(Box::new(table)));
        Ok(())
    }
}

/// Pearson's chi-square as a note prints it, with the warning when an expected count is
/// below 5 (the approximation may then be poor).
pub(crate) fn pearson_text(chi: &ChiSquare) -> String {
    let mut t = format!(
        "Pearson χ²{}={}，df={}，{}",
        if chi.yates {
            "（连续性校正）"
        } else {
            ""
        },
        fmt::number_f64(chi.statistic, 2),
        chi.df,
        fmt::p_value(chi.p_value)
    );
    if chi.small_expected {
        t.push_str(&format!(
            "；有期望频数小于5的单元格（最小{}），卡方近似可能不准确",
            fmt::number_f64(chi.min_expected, 1)
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_square_note_warns_of_small_expected_counts() {
        let big = survey_stats::hypothesis::pearson(&[vec![40.0, 60.0], vec![55.0, 45.0]]).unwrap();
        assert!(!pearson_text(&big).contains("期望频数"));
        let small = survey_stats::hypothesis::pearson(&[vec![1.0, 60.0], vec![3.0, 45.0]]).unwrap();
        let t = pearson_text(&small);
        assert!(t.contains("有期望频数小于5的单元格（最小1.8）"), "{t}");
    }

    fn crosstab(row: &str, col: &str, counts: Vec<Vec<u64>>) -> CrossTab {
        let (nr, nc) = (counts.len(), counts[0].len());
        let row_bases: Vec<u64> = counts.iter().map(|r| r.iter().sum()).collect();
        let col_bases: Vec<u64> = (0..nc).map(|c| counts.iter().map(|r| r[c]).sum()).collect();
        CrossTab {
            questionnaire: "q".into(),
            row_question: row.into(),
            col_question: col.into(),
            row_labels: (0..nr).map(|i| format!("r{i}")).collect(),
            row_codes: (0..nr).map(|i| format!("r{i}")).collect(),
            col_labels: (0..nc).map(|i| format!("c{i}")).collect(),
            col_codes: (0..nc).map(|i| format!("c{i}")).collect(),
            total: row_bases.iter().sum(),
            counts,
            col_bases,
            row_bases,
            col_percent: Vec::new(),
            row_percent: Vec::new(),
            row_total_percent: Vec::new(),
        }
    }

    #[test]
    fn a_pair_printed_both_ways_round_hides_the_same_cells() {
        // Trial 31: q16 × q3 and q3 × q16 were suppressed apart, and each printed two counts
        // the other hid. The level × platform counts of that trial:
        let counts = vec![
            vec![43, 44, 39, 27],
            vec![19, 16, 15, 14],
            vec![8, 11, 9, 7],
            vec![47, 34, 28, 25],
            vec![12, 6, 8, 4],
        ];
        let ct = crosstab("q3", "q16", counts.clone());
        let flipped: Vec<Vec<u64>> = (0..4)
            .map(|c| counts.iter().map(|r| r[c]).collect())
            .collect();
        let tc = crosstab("q16", "q3", flipped);
        let a = suppression_of(&ct, true, true, 5).unwrap().unwrap();
        let b = suppression_of(&tc, true, true, 5).unwrap().unwrap();
        assert!(a.total() > 0);
        assert_eq!(a.hidden, b.transposed().hidden);
        assert_eq!(a.small, b.transposed().small);
        assert_eq!(a.hidden_row_totals, b.hidden_col_totals);
        assert_eq!(a.hidden_col_totals, b.hidden_row_totals);
    }
}
