//! Disclosure control across the whole report.
//!
//! A cross-tab's suppression protects its small cells against its own printed cells and
//! totals. Other figures of the report can undo that: the weighted share of an option is a sum
//! of that option's cells with unequal (known) weights, and an exact test statistic narrows
//! what the hidden cells can be. So:
//!
//! * before any block is built, every printed cross-tab is suppressed ([`protected`]), and the
//!   options with a hidden cell are known report-wide; blocks hide their weighted shares;
//! * after every block is built, [`audit`] gives each table with hidden cells to the exact
//!   disclosure audit (`survey_stats::disclosure`) together with everything linked to it: its
//!   printed cells and totals, every unweighted count of its two questions (assumed known from
//!   the frequency tables), every weighted share printed for its options where the weights are
//!   constant within its cells (an interval constraint, the printed rounding's width), the N
//!   printed over the columns of a cross-tab of a question shown only to some of its options
//!   (a sum of its cells, or a bound on one), and the
//!   band of the p-value printed under it (checked by searching for another completion of the
//!   table that prints the same band). A hidden non-zero cell pinned down by all of it fails
//!   the build.
//!
//! Weighted shares whose weights vary within the table's cells combine cells of a finer
//! classification that the report does not print; they are hidden for protected options all
//! the same (in a weighted frequency table, and in a weighted cross-tab raked on a question
//! outside it: every share of the option's row, since its total is their sum), but are not part
//! of the linear audit. A weighted cross-tab whose weights are constant within its cells prints
//! a protected option's shares and total: they are functions of its own printed counts.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use survey_aggregate::{CrossTab, CrossTabSpec, RowOrder};
use survey_print::PBand;
use survey_stats::design::{Class, Flag, ratios};
use survey_stats::disclosure::{PrintedTable, Search, Term, table_layout};
use survey_stats::hypothesis::rao_scott;
use survey_stats::suppress::Suppression;

use crate::block::{Fact, SuppressedTable, TestCheck};
use crate::blocks::inference::{Unweighted, suppression_of};
use crate::dataset::Dataset;
use crate::weights::WeightSet;

/// Coefficient·term pairs of a linear expression.
type Parts = Vec<(f64, Term)>;

/// Completions of a table the test-band search may try.
const SEARCH_BUDGET: u64 = 400_000;

/// Datasets that hold the same respondents: each dataset's name, mapped to the first declared
/// dataset reading files of the same content (download, questionnaire, mapping and cleaning
/// rules). What one of them prints tells of the others' cells, so protection and the audit
/// treat them as one.
#[derive(Debug, Default, Clone)]
pub(crate) struct Same(HashMap<String, String>);

impl Same {
    /// `first_of[name]`: the first dataset holding the same respondents as `name`.
    pub fn new(first_of: HashMap<String, String>) -> Same {
        Same(first_of)
    }

    /// The name standing for `dataset` and every dataset holding its respondents.
    pub fn of<'a>(&'a self, dataset: &'a str) -> &'a str {
        self.0.get(dataset).map_or(dataset, String::as_str)
    }
}

/// Options with a hidden cell in some printed cross-tab, each with the cross-tabs (row and
/// column question) that hide one of its cells.
#[derive(Debug, Default)]
pub(crate) struct Protected {
    hidden: HashMap<(String, String, String), HashSet<(String, String)>>,
    same: Same,
}

impl Protected {
    fn key(&self, dataset: &str, question: &str, option: &str) -> (String, String, String) {
        (
            self.same.of(dataset).to_owned(),
            question.to_owned(),
            option.to_owned(),
        )
    }

    fn insert(&mut self, dataset: &str, question: &str, option: &str, by: &CrossTabSpec) {
        let key = self.key(dataset, question, option);
        self.hidden
            .entry(key)
            .or_default()
            .insert((by.row.clone(), by.col.clone()));
    }

    pub fn is_empty(&self) -> bool {
        self.hidden.is_empty()
    }

    /// Whether some cross-tab hides a cell of the option.
    pub fn contains(&self, dataset: &str, question: &str, option: &str) -> bool {
        self.hidden
            .contains_key(&self.key(dataset, question, option))
    }

    /// Whether a cross-tab other than `row` × `col` hides a cell of the option.
    pub fn elsewhere(
        &self,
        dataset: &str,
        question: &str,
        option: &str,
        row: &str,
        col: &str,
    ) -> bool {
        self.hidden
            .get(&self.key(dataset, question, option))
            .is_some_and(|by| by.iter().any(|(r, c)| r != row || c != col))
    }
}

/// Options with a hidden cell in some printed cross-tab.
pub(crate) fn protected(
    printed: &[crate::build::Printed],
    datasets: &IndexMap<String, Dataset>,
    same: &Same,
) -> Result<Protected, String> {
    let mut out = Protected {
        hidden: HashMap::new(),
        same: same.clone(),
    };
    for crate::build::Printed {
        dataset: ds,
        crosstab: spec,
        suppress: threshold,
        ..
    } in printed
    {
        if *threshold == 0 {
            continue;
        }
        let Some(d) = datasets.get(ds) else { continue };
        // A cross-tab that cannot be made is reported by its block.
        let Ok(ct) = d.aggregate.crosstab(&d.index, &spec.row, &spec.col) else {
            continue;
        };
        let single = |q: &str| d.index.get(q).is_some_and(|q| q.kind.is_single());
        let Ok(Some(s)) = suppression_of(&ct, single(&spec.row), single(&spec.col), *threshold)
        else {
            continue;
        };
        for (r, line) in s.hidden.iter().enumerate() {
            for (c, &h) in line.iter().enumerate() {
                if h {
                    out.insert(ds, &spec.row, &ct.row_codes[r], spec);
                    out.insert(ds, &spec.col, &ct.col_codes[c], spec);
                }
            }
        }
    }
    Ok(out)
}

/// Respondents who answered `question`, from its frequency table.
fn answered(d: &Dataset, question: &str) -> Option<(u64, Vec<(String, u64)>)> {
    let t = d
        .aggregate
        .frequency(&d.index, question, RowOrder::Questionnaire)
        .ok()?;
    Some((
        t.base,
        t.rows.iter().map(|r| (r.code.clone(), r.count)).collect(),
    ))
}

/// Σ coef·term as (unknown terms, known constant).
fn linear(parts: impl Iterator<Item = (f64, Term)>) -> (Vec<(usize, f64)>, f64) {
    let mut terms = Vec::new();
    let mut constant = 0.0;
    for (coef, t) in parts {
        match t {
            Term::Known(v) => constant += coef * v,
            Term::Unknown(u) => terms.push((u, coef)),
        }
    }
    (terms, constant)
}

/// Audit every table with hidden cells against everything printed; one line per disclosure.
pub(crate) fn audit(
    tables: &[SuppressedTable],
    facts: &[Fact],
    datasets: &IndexMap<String, Dataset>,
    weights: &IndexMap<String, WeightSet>,
    same: &Same,
) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    for t in tables {
        if let Err(e) = audit_one(t, facts, datasets, weights, same) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A weighted share printed for one line (row or column) of a table with hidden cells, where
/// the weight of every cell is known.
pub(crate) struct Share {
    /// The line is a row (else a column).
    pub by_row: bool,
    pub line: usize,
    /// `weights[r][c]`: the weight of every respondent of cell (r, c).
    pub weights: Vec<Vec<f64>>,
    /// As printed, in percent.
    pub percent: f64,
    pub decimals: u32,
}

/// The band of a test's p-value for a completion of a table.
pub(crate) type BandOf<'a> = &'a dyn Fn(&[Vec<u64>]) -> Option<PBand>;

/// Everything printed that bears on one table's hidden cells.
pub(crate) struct Linked<'a> {
    pub number: &'a str,
    pub ct: &'a CrossTab,
    pub suppression: &'a Suppression,
    pub rows_add_up: bool,
    pub cols_add_up: bool,
    pub grand_hidden: bool,
    /// Unweighted counts of the row and column options printed elsewhere.
    pub row_counts: Option<Vec<u64>>,
    pub col_counts: Option<Vec<u64>>,
    pub shares: Vec<Share>,
    /// Sums of its cells other tables' column bases give away.
    pub sums: Vec<KnownSum>,
    /// The band printed under the table and how to compute it.
    pub test: Option<(PBand, BandOf<'a>)>,
}

fn audit_one(
    t: &SuppressedTable,
    facts: &[Fact],
    datasets: &IndexMap<String, Dataset>,
    weights: &IndexMap<String, WeightSet>,
    same: &Same,
) -> Result<(), String> {
    let ct = &t.internal.crosstab;
    let d = &datasets[&t.internal.dataset];
    let (nr, nc) = (ct.row_codes.len(), ct.col_codes.len());
    // Unweighted counts of both questions, known from their frequency tables where every
    // respondent who answered one answered the other.
    let mut shares = Vec::new();
    if let (Some(ri), Some(ci)) = (
        d.index.position(&ct.row_question),
        d.index.position(&ct.col_question),
    ) {
        for f in facts {
            let Fact::WeightedShare {
                dataset,
                weights: wname,
                question,
                option,
                percent,
                decimals,
            } = f
            else {
                continue;
            };
            if same.of(dataset) != same.of(&t.internal.dataset) {
                continue;
            }
            let Some(w) = weights.get(wname) else {
                continue;
            };
            let Some(cells) = w.per_cell(ri, ci, nr, nc) else {
                continue;
            };
            let by_row = if question == &ct.row_question {
                true
            } else if question == &ct.col_question {
                false
            } else {
                continue;
            };
            let lines = if by_row { &ct.row_codes } else { &ct.col_codes };
            let Some(line) = lines.iter().position(|c| c == option) else {
                continue;
            };
            // The share's base must be the table's respondents.
            if answered(d, question).is_none_or(|(base, _)| base != ct.total) {
                continue;
            }
            shares.push(Share {
                by_row,
                line,
                weights: cells
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|p| p.map_or(0.0, |p| w.calibration.weight(p)))
                            .collect()
                    })
                    .collect(),
                percent: *percent,
                decimals: *decimals,
            });
        }
    }
    let band_of = |counts: &[Vec<u64>]| -> Option<PBand> {
        match t.test.as_ref()? {
            TestCheck::Unweighted { .. } => Unweighted::of(counts).map(|u| PBand::of(u.p())),
            TestCheck::RaoScott { weights: wname, .. } => {
                rao_scott_band(weights.get(wname)?, d, ct, counts)
            }
        }
    };
    let test = t.test.as_ref().map(|c| {
        (
            match c {
                TestCheck::Unweighted { band } | TestCheck::RaoScott { band, .. } => *band,
            },
            &band_of as BandOf,
        )
    });
    check(&Linked {
        number: &t.internal.number,
        ct,
        suppression: &t.suppression,
        rows_add_up: t.rows_add_up,
        cols_add_up: t.cols_add_up,
        grand_hidden: t.grand_hidden,
        row_counts: known_counts(d, ct, &ct.row_question),
        col_counts: known_counts(d, ct, &ct.col_question),
        shares,
        sums: shown_sums(&t.internal.dataset, d, ct, facts, same),
        test,
    })
}

/// What the column bases of other cross-tabs say of this table's cells (trial 38). A question
/// shown only to respondents who chose some options of this table's row (or column) question
/// is answered, in each option of the other question, by at most as many respondents as this
/// table counts in those options' cells, and by exactly as many when everyone shown it
/// answered: a cross-tab of it printing its N column by column adds those sums to what a
/// reader knows.
fn shown_sums(
    dataset: &str,
    d: &Dataset,
    ct: &CrossTab,
    facts: &[Fact],
    same: &Same,
) -> Vec<KnownSum> {
    let mut out = Vec::new();
    for f in facts {
        let Fact::ColumnBases {
            dataset: fd,
            row_question,
            col_question,
            bases,
        } = f
        else {
            continue;
        };
        if same.of(fd) != same.of(dataset) {
            continue;
        }
        // The condition's question is one side of this table, the other side is the column
        // question of the other table.
        let (by_rows, lines) = if col_question == &ct.col_question {
            (true, &ct.row_codes)
        } else if col_question == &ct.row_question {
            (false, &ct.col_codes)
        } else {
            continue;
        };
        let condition_q = if by_rows {
            &ct.row_question
        } else {
            &ct.col_question
        };
        let Some(q) = d.index.get(row_question) else {
            continue;
        };
        let shown_to: Vec<&str> = match &q.show_if {
            Some(survey_schema::Condition::Chosen { question, option })
                if question == condition_q =>
            {
                vec![option.as_str()]
            }
            Some(survey_schema::Condition::AnyChosen { question, options })
                if question == condition_q =>
            {
                options.iter().map(String::as_str).collect()
            }
            _ => continue,
        };
        let picked: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, c)| shown_to.contains(&c.as_str()))
            .map(|(i, _)| i)
            .collect();
        if picked.is_empty() {
            continue;
        }
        let others = if by_rows {
            &ct.col_codes
        } else {
            &ct.row_codes
        };
        for (code, base) in bases {
            let (Some(n), Some(k)) = (base, others.iter().position(|c| c == code)) else {
                continue;
            };
            let cells: Vec<(usize, usize)> = picked
                .iter()
                .map(|&i| if by_rows { (i, k) } else { (k, i) })
                .collect();
            let total: u64 = cells.iter().map(|&(r, c)| ct.counts[r][c]).sum();
            out.push(KnownSum {
                cells,
                value: *n,
                exact: total == *n,
            });
        }
    }
    out
}

/// A sum of a table's cells known from elsewhere in the report: equal to `value`, or (not
/// `exact`) at least it.
pub(crate) struct KnownSum {
    pub cells: Vec<(usize, usize)>,
    pub value: u64,
    pub exact: bool,
}

/// Whether printing `band` under a table with hidden cells would let them be worked out from
/// the table, the counts of its options and the band (a block asks before printing a test).
#[allow(clippy::too_many_arguments)]
pub(crate) fn band_leaks(
    ct: &CrossTab,
    suppression: &Suppression,
    rows_add_up: bool,
    cols_add_up: bool,
    row_counts: Option<Vec<u64>>,
    col_counts: Option<Vec<u64>>,
    band: PBand,
    band_of: BandOf,
) -> bool {
    check(&Linked {
        number: "",
        ct,
        suppression,
        rows_add_up,
        cols_add_up,
        grand_hidden: suppression.hidden_grand,
        row_counts,
        col_counts,
        shares: Vec::new(),
        sums: Vec::new(),
        test: Some((band, band_of)),
    })
    .is_err()
}

/// The unweighted counts of a question's options, when everyone who answered it is in the
/// cross-tab (so the counts are the table's totals on that side).
pub(crate) fn known_counts(d: &Dataset, ct: &CrossTab, question: &str) -> Option<Vec<u64>> {
    answered(d, question)
        .filter(|(base, _)| *base == ct.total)
        .map(|(_, c)| c.into_iter().map(|(_, n)| n).collect())
}

/// Whether any hidden non-zero cell of a table can be worked out from everything linked to it.
pub(crate) fn check(l: &Linked) -> Result<(), String> {
    let ct = l.ct;
    let s = l.suppression;
    let number = l.number;
    let (nr, nc) = (ct.row_codes.len(), ct.col_codes.len());
    let rows_shown = s.row_shown(&ct.row_bases);
    let cols_shown = s.col_shown(&ct.col_bases);
    let printed = PrintedTable {
        counts: &ct.counts,
        hidden: &s.hidden,
        small: &s.small,
        row_totals: &rows_shown,
        col_totals: &cols_shown,
        rows_add_up: l.rows_add_up,
        cols_add_up: l.cols_add_up,
        grand: (!l.grand_hidden).then_some(ct.total),
        threshold: s.threshold,
    };
    let (mut k, layout) = table_layout(&printed);
    for (counts, totals) in [(&l.row_counts, &layout.rows), (&l.col_counts, &layout.cols)] {
        if let Some(counts) = counts {
            for (term, &count) in totals.iter().zip(counts) {
                if let Term::Unknown(u) = term {
                    k.equation(vec![(*u, 1.0)], count as f64);
                }
            }
        }
    }
    for sum in &l.sums {
        let (terms, constant) = linear(sum.cells.iter().map(|&(r, c)| (1.0, layout.cells[r][c])));
        if terms.is_empty() {
            continue;
        }
        let value = sum.value as f64 - constant;
        if sum.exact {
            k.equation(terms, value);
        } else {
            k.between(terms, value, f64::INFINITY);
        }
    }
    for sh in &l.shares {
        // What a reader knows: the share lies within half a unit of the printed digits.
        let half = 0.5 * 10f64.powi(-(sh.decimals as i32)) / 100.0;
        let printed = survey_print::fmt::number_f64(sh.percent, sh.decimals)
            .parse::<f64>()
            .unwrap_or(sh.percent);
        let (lo, hi) = (printed / 100.0 - half, printed / 100.0 + half);
        // (line on the share's side, line on the other side) → (row, column).
        let at = |a: usize, b: usize| -> (usize, usize) { if sh.by_row { (a, b) } else { (b, a) } };
        let (n_lines, n_other) = if sh.by_row { (nr, nc) } else { (nc, nr) };
        // Whether each side is single choice (a respondent is in one line of it).
        let (side_single, other_single) = if sh.by_row {
            (l.cols_add_up, l.rows_add_up)
        } else {
            (l.rows_add_up, l.cols_add_up)
        };
        let side_total = |a: usize| {
            if sh.by_row {
                layout.rows[a]
            } else {
                layout.cols[a]
            }
        };
        let other_total = |b: usize| {
            if sh.by_row {
                layout.cols[b]
            } else {
                layout.rows[b]
            }
        };
        let cell_term = |a: usize, b: usize| {
            let (r, c) = at(a, b);
            (sh.weights[r][c], layout.cells[r][c])
        };
        let (num, den): (Parts, Parts) = match (side_single, other_single) {
            // Every respondent in one cell.
            (true, true) => (
                (0..n_other).map(|b| cell_term(sh.line, b)).collect(),
                (0..n_lines)
                    .flat_map(|a| (0..n_other).map(move |b| (a, b)))
                    .map(|(a, b)| cell_term(a, b))
                    .collect(),
            ),
            // The other side is multiple choice, so the weights depend on this side only:
            // the line totals carry them.
            (true, false) => (
                vec![(cell_term(sh.line, 0).0, side_total(sh.line))],
                (0..n_lines)
                    .map(|a| (cell_term(a, 0).0, side_total(a)))
                    .collect(),
            ),
            // This side is multiple choice: the weights depend on the other side only.
            (false, true) => (
                (0..n_other).map(|b| cell_term(sh.line, b)).collect(),
                (0..n_other)
                    .map(|b| (cell_term(0, b).0, other_total(b)))
                    .collect(),
            ),
            (false, false) => continue,
        };
        // lo ≤ num/den ≤ hi  ⇔  num − lo·den ≥ 0  and  num − hi·den ≤ 0.
        for (a, lower) in [(lo, true), (hi, false)] {
            let parts = num
                .iter()
                .copied()
                .chain(den.iter().map(|&(c, t)| (-a * c, t)));
            let (terms, constant) = linear(parts);
            if terms.is_empty() {
                continue;
            }
            if lower {
                k.between(terms, -constant, f64::INFINITY);
            } else {
                k.between(terms, f64::NEG_INFINITY, -constant);
            }
        }
    }
    let ranges = k.ranges().map_err(|e| format!("table {number}: {e}"))?;
    let mut pinned = Vec::new();
    let mut targets = Vec::new();
    let mut names = Vec::new();
    for r in 0..nr {
        for c in 0..nc {
            if let Term::Unknown(u) = layout.cells[r][c]
                && ct.counts[r][c] > 0
            {
                let name = format!("«{}»/«{}»", ct.row_labels[r], ct.col_labels[c]);
                if ranges[u].disclosed(1e-6) {
                    pinned.push(format!("{name} = {}", ranges[u].min.round()));
                }
                targets.push(u);
                names.push(name);
            }
        }
    }
    if !pinned.is_empty() {
        return Err(format!(
            "table {number}: {} can be worked out from the table with the report's other figures (its counts, weighted shares, and the N over the columns of a cross-tab of a question shown only to some of its options)",
            pinned.join(", ")
        ));
    }
    let Some((band, band_of)) = &l.test else {
        return Ok(());
    };
    let counts_of = |x: &[f64]| -> Vec<Vec<u64>> {
        (0..nr)
            .map(|r| {
                (0..nc)
                    .map(|c| match layout.cells[r][c] {
                        Term::Known(v) => v as u64,
                        Term::Unknown(u) => x[u].round().max(0.0) as u64,
                    })
                    .collect()
            })
            .collect()
    };
    if band_of(&ct.counts) != Some(*band) {
        return Err(format!(
            "table {number}: the audit does not reproduce the printed test band {} (an internal error)",
            band.zh()
        ));
    }
    let mut agrees = |x: &[f64]| band_of(&counts_of(x)) == Some(*band);
    match k.alternatives(&ranges, &targets, &mut agrees, SEARCH_BUDGET) {
        Search::Protected { .. } | Search::Unbounded => Ok(()),
        Search::Pinned { targets: p, .. } => Err(format!(
            "table {number}: with the test's {} the hidden cells {} can take one value only; set `test = false` or merge small categories",
            band.zh(),
            p.iter()
                .filter_map(|(u, _)| targets
                    .iter()
                    .position(|t| t == u)
                    .map(|i| names[i].clone()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Search::GaveUp { tried } => Err(format!(
            "table {number}: could not show within {tried} completions that the test's {} leaves every hidden cell two values; set `test = false` or merge small categories",
            band.zh()
        )),
    }
}

/// The Rao–Scott band of a completion of a table whose weights are constant within cells.
pub(crate) fn rao_scott_band(
    w: &WeightSet,
    d: &Dataset,
    ct: &CrossTab,
    counts: &[Vec<u64>],
) -> Option<PBand> {
    let (nr, nc) = (counts.len(), counts.first().map_or(0, Vec::len));
    let ri = d.index.position(&ct.row_question)?;
    let ci = d.index.position(&ct.col_question)?;
    let cells = w.per_cell(ri, ci, nr, nc)?;
    // Only the rows and columns someone is in are estimated (the test leaves the others
    // out, and the estimates' cost grows with the square of their number).
    let live_r: Vec<usize> = (0..nr)
        .filter(|&r| counts[r].iter().any(|&n| n > 0))
        .collect();
    let live_c: Vec<usize> = (0..nc)
        .filter(|&c| counts.iter().any(|row| row[c] > 0))
        .collect();
    let (lr, lc) = (live_r.len(), live_c.len());
    let k = lr * lc;
    let mut used = vec![0u64; w.patterns.counts.len()];
    let mut classes = Vec::new();
    for (cj, &c) in live_c.iter().enumerate() {
        for (ri, &r) in live_r.iter().enumerate() {
            let n = counts[r][c];
            if n == 0 {
                continue;
            }
            let p = cells[r][c]?;
            used[p] += n;
            let mut flags = vec![Flag::In; k];
            flags[ri + lr * cj] = Flag::Chosen;
            classes.push(Class {
                count: n,
                weight: w.calibration.weight(p),
                pattern: p,
                flags,
            });
        }
    }
    // Respondents outside the table, by pattern.
    for (p, (&all, &u)) in w.patterns.counts.iter().zip(&used).enumerate() {
        if u > all {
            return None;
        }
        if all > u {
            classes.push(Class {
                count: all - u,
                weight: w.calibration.weight(p),
                pattern: p,
                flags: vec![Flag::Out; k],
            });
        }
    }
    let n: u64 = counts.iter().flatten().sum();
    let e = ratios(&classes, k, w.variance, Some(&w.calibration));
    let p: Vec<f64> = (0..k).map(|j| e.estimate[j].unwrap_or(0.0)).collect();
    let rs = rao_scott(lr, lc, &p, &e.covariance, n, n as f64 - 1.0)?;
    Some(PBand::of(rs.f_p_value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_stats::suppress::{Table, suppress_table};

    fn crosstab(counts: Vec<Vec<u64>>) -> CrossTab {
        let (nr, nc) = (counts.len(), counts[0].len());
        let row_bases: Vec<u64> = counts.iter().map(|r| r.iter().sum()).collect();
        let col_bases: Vec<u64> = (0..nc).map(|c| counts.iter().map(|r| r[c]).sum()).collect();
        let total = row_bases.iter().sum();
        CrossTab {
            questionnaire: "q".into(),
            row_question: "r".into(),
            col_question: "c".into(),
            row_labels: (0..nr).map(|i| format!("row{i}")).collect(),
            row_codes: (0..nr).map(|i| format!("r{i}")).collect(),
            col_labels: (0..nc).map(|i| format!("col{i}")).collect(),
            col_codes: (0..nc).map(|i| format!("c{i}")).collect(),
            counts,
            col_bases,
            row_bases,
            total,
            col_percent: Vec::new(),
            row_percent: Vec::new(),
            row_total_percent: Vec::new(),
        }
    }

    fn suppressed(ct: &CrossTab) -> Suppression {
        suppress_table(
            &Table {
                counts: &ct.counts,
                row_totals: &ct.row_bases,
                col_totals: &ct.col_bases,
                rows_add_up: true,
                cols_add_up: true,
                grand: ct.total,
            },
            5,
        )
    }

    fn linked<'a>(ct: &'a CrossTab, s: &'a Suppression, shares: Vec<Share>) -> Linked<'a> {
        Linked {
            number: "1",
            ct,
            suppression: s,
            rows_add_up: true,
            cols_add_up: true,
            grand_hidden: false,
            row_counts: Some(ct.row_bases.clone()),
            col_counts: Some(ct.col_bases.clone()),
            shares,
            sums: Vec::new(),
            test: None,
        }
    }

    #[test]
    fn a_weighted_share_of_a_row_with_hidden_cells_gives_them_away() {
        let ct = crosstab(vec![vec![20, 12, 3], vec![15, 2, 9], vec![11, 14, 8]]);
        let s = suppressed(&ct);
        assert!(s.total() > 0);
        assert!(check(&linked(&ct, &s, Vec::new())).is_ok());
        // Raked on the column question: one weight per column.
        let w = [0.6, 1.3, 2.2];
        let weights: Vec<Vec<f64>> = (0..3).map(|_| w.to_vec()).collect();
        let row = (0..3).find(|&r| s.hidden[r].iter().any(|&h| h)).unwrap();
        let num: f64 = (0..3).map(|c| w[c] * ct.counts[row][c] as f64).sum();
        let den: f64 = (0..3).map(|c| w[c] * ct.col_bases[c] as f64).sum();
        let share = Share {
            by_row: true,
            line: row,
            weights,
            percent: (num / den * 10000.0).round() / 100.0,
            decimals: 2,
        };
        let e = check(&linked(&ct, &s, vec![share])).unwrap_err();
        assert!(e.contains("can be worked out"), "{e}");
    }

    #[test]
    fn a_test_band_that_only_the_true_table_prints_is_caught() {
        let ct = crosstab(vec![vec![20, 12, 3], vec![15, 2, 9], vec![11, 14, 8]]);
        let s = suppressed(&ct);
        let truth = ct.counts.clone();
        // A band every completion prints: protected.
        let any = |_: &[Vec<u64>]| Some(PBand::AtLeast05);
        let mut l = linked(&ct, &s, Vec::new());
        l.test = Some((PBand::AtLeast05, &any));
        let r = check(&l);
        assert!(r.is_ok(), "{r:?}");
        // A band only the true table prints: every hidden cell is pinned.
        let only = move |c: &[Vec<u64>]| {
            Some(if c == truth.as_slice() {
                PBand::Below05
            } else {
                PBand::AtLeast05
            })
        };
        l.test = Some((PBand::Below05, &only));
        let e = check(&l).unwrap_err();
        assert!(e.contains("can take one value only"), "{e}");
        // The real Pearson band does the same here: the hidden cells form one rectangle with a
        // single free count, and of its few completions only the true one has p < 0.01.
        let pearson = |c: &[Vec<u64>]| Unweighted::of(c).map(|u| PBand::of(u.p()));
        let band = pearson(&ct.counts).unwrap();
        assert_eq!(band, PBand::Below01);
        l.test = Some((band, &pearson));
        let e = check(&l).unwrap_err();
        assert!(e.contains("«row0»/«col1»"), "{e}");
    }
}
