//! Disclosure audit: what an intruder can work out about hidden cells from everything printed.
//!
//! The intruder's knowledge is a set of non-negative integer unknowns (the hidden cells), each
//! within bounds (a cell printed `<5` lies in 1..=4), tied by linear equations (a printed row
//! total minus its printed cells equals the sum of its hidden cells; a weighted percentage is
//! a linear combination of counts with known weights). For each unknown, the smallest and the
//! largest value consistent with all of it is found by integer linear programming
//! (`good_lp` with the pure-Rust `microlp` solver). A hidden cell whose smallest and largest
//! values coincide is disclosed.
//!
//! Printed figures that are not linear in the cells (a test's p-value) are checked by a bounded
//! search ([`Knowledge::alternatives`]): for each hidden cell, another completion of the table
//! that agrees with every printed figure and gives the cell a different value must exist.

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable, microlp,
    variable,
};

/// Σ coefficient·unknown, as (unknown, coefficient) pairs.
type Terms = Vec<(usize, f64)>;

/// What an intruder knows about some hidden cells.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    /// Per unknown: lower and upper bound (`None` above: unbounded).
    bounds: Vec<(f64, Option<f64>)>,
    /// Σ coef·x = value.
    equations: Vec<(Terms, f64)>,
    /// lower ≤ Σ coef·x ≤ upper (a rounded figure).
    between: Vec<(Terms, f64, f64)>,
    /// Whether the unknowns are counts (integers); weighted totals are not.
    integer: Vec<bool>,
}

/// The range each unknown can take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    /// Whether the value is pinned down (to within `tol`).
    pub fn disclosed(&self, tol: f64) -> bool {
        self.max - self.min <= tol
    }
}

impl Knowledge {
    pub fn new() -> Knowledge {
        Knowledge::default()
    }

    /// Add an unknown count within `min..=max`; returns its index.
    pub fn count(&mut self, min: u64, max: Option<u64>) -> usize {
        self.bounds.push((min as f64, max.map(|m| m as f64)));
        self.integer.push(true);
        self.bounds.len() - 1
    }

    /// Add an unknown real quantity (a weighted total) within bounds; returns its index.
    pub fn real(&mut self, min: f64, max: Option<f64>) -> usize {
        self.bounds.push((min, max));
        self.integer.push(false);
        self.bounds.len() - 1
    }

    /// Σ coef·unknown = value.
    pub fn equation(&mut self, terms: Vec<(usize, f64)>, value: f64) {
        self.equations.push((terms, value));
    }

    /// lower ≤ Σ coef·unknown ≤ upper: what a rounded figure says.
    pub fn between(&mut self, terms: Vec<(usize, f64)>, lower: f64, upper: f64) {
        self.between.push((terms, lower, upper));
    }

    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    fn solve(&self, target: usize, maximise: bool) -> Result<f64, String> {
        let mut vars = ProblemVariables::new();
        let xs: Vec<Variable> = self
            .bounds
            .iter()
            .zip(&self.integer)
            .map(|(&(lo, hi), &int)| {
                let mut v = variable().min(lo);
                if let Some(h) = hi {
                    v = v.max(h);
                }
                if int {
                    v = v.integer();
                }
                vars.add(v)
            })
            .collect();
        let objective: Expression = xs[target].into();
        let mut model = if maximise {
            vars.maximise(objective).using(microlp)
        } else {
            vars.minimise(objective).using(microlp)
        };
        for (terms, value) in &self.equations {
            let mut e = Expression::with_capacity(terms.len());
            for &(i, c) in terms {
                e.add_mul(c, xs[i]);
            }
            model = model.with(e.eq(*value));
        }
        for (terms, lo, hi) in &self.between {
            let mut e = Expression::with_capacity(terms.len());
            for &(i, c) in terms {
                e.add_mul(c, xs[i]);
            }
            if lo.is_finite() {
                model = model.with(e.clone().geq(*lo));
            }
            if hi.is_finite() {
                model = model.with(e.leq(*hi));
            }
        }
        match model.solve() {
            Ok(s) => Ok(s.value(xs[target])),
            // Unbounded above: the cell is certainly not pinned down.
            Err(ResolutionError::Unbounded) => Ok(if maximise {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            }),
            Err(e) => Err(format!("the disclosure audit could not be solved: {e}")),
        }
    }

    /// The range of every unknown.
    pub fn ranges(&self) -> Result<Vec<Range>, String> {
        (0..self.len())
            .map(|i| {
                Ok(Range {
                    min: self.solve(i, false)?,
                    max: self.solve(i, true)?,
                })
            })
            .collect()
    }

    /// Whether each of `targets` can take at least two values among the integer completions
    /// that satisfy every equation and range and that `agrees` accepts (the figures a
    /// completion would print are the ones printed). The search enumerates the unknowns within
    /// `ranges` (from [`Knowledge::ranges`]) depth first, stops as soon as every target has
    /// shown two values, and gives up after `budget` completions are tried.
    pub fn alternatives(
        &self,
        ranges: &[Range],
        targets: &[usize],
        agrees: &mut dyn FnMut(&[f64]) -> bool,
        budget: u64,
    ) -> Search {
        let n = self.len();
        if ranges.len() != n
            || ranges
                .iter()
                .any(|r| !r.min.is_finite() || !r.max.is_finite())
            || self.integer.iter().any(|i| !i)
        {
            return Search::Unbounded;
        }
        // Equations and rounded figures, each checked as soon as its last unknown is set.
        let mut checks: Vec<Vec<usize>> = vec![Vec::new(); n];
        let constraints: Vec<(&Terms, f64, f64)> = self
            .equations
            .iter()
            .map(|(t, v)| (t, *v, *v))
            .chain(self.between.iter().map(|(t, l, h)| (t, *l, *h)))
            .collect();
        for (k, (terms, _, _)) in constraints.iter().enumerate() {
            if let Some(last) = terms.iter().map(|&(i, _)| i).max() {
                checks[last].push(k);
            }
        }
        let mut seen: Vec<Vec<f64>> = vec![Vec::new(); targets.len()];
        let mut x = vec![0.0; n];
        let mut tried = 0u64;
        #[allow(clippy::too_many_arguments)]
        fn walk(
            i: usize,
            x: &mut Vec<f64>,
            ranges: &[Range],
            checks: &[Vec<usize>],
            constraints: &[(&Terms, f64, f64)],
            targets: &[usize],
            seen: &mut Vec<Vec<f64>>,
            agrees: &mut dyn FnMut(&[f64]) -> bool,
            tried: &mut u64,
            budget: u64,
        ) -> bool {
            if seen.iter().all(|s| s.len() >= 2) || *tried >= budget {
                return true;
            }
            if i == x.len() {
                *tried += 1;
                if agrees(x) {
                    for (s, &t) in seen.iter_mut().zip(targets) {
                        if !s.iter().any(|v| (v - x[t]).abs() < 1e-9) && s.len() < 2 {
                            s.push(x[t]);
                        }
                    }
                }
                return false;
            }
            let (lo, hi) = (ranges[i].min.round(), ranges[i].max.round());
            let mut v = lo;
            while v <= hi {
                x[i] = v;
                let ok = checks[i].iter().all(|&k| {
                    let (terms, l, h) = constraints[k];
                    let s: f64 = terms.iter().map(|&(j, c)| c * x[j]).sum();
                    s >= l - 1e-9 && s <= h + 1e-9
                });
                if ok
                    && walk(
                        i + 1,
                        x,
                        ranges,
                        checks,
                        constraints,
                        targets,
                        seen,
                        agrees,
                        tried,
                        budget,
                    )
                {
                    return true;
                }
                v += 1.0;
            }
            false
        }
        walk(
            0,
            &mut x,
            ranges,
            &checks,
            &constraints,
            targets,
            &mut seen,
            agrees,
            &mut tried,
            budget,
        );
        if seen.iter().all(|s| s.len() >= 2) {
            Search::Protected { tried }
        } else if tried >= budget {
            Search::GaveUp { tried }
        } else {
            Search::Pinned {
                targets: targets
                    .iter()
                    .zip(&seen)
                    .filter(|(_, s)| s.len() < 2)
                    .map(|(&t, s)| (t, s.first().copied()))
                    .collect(),
                tried,
            }
        }
    }
}

/// The outcome of [`Knowledge::alternatives`].
#[derive(Debug, Clone, PartialEq)]
pub enum Search {
    /// Every target takes two values or more.
    Protected { tried: u64 },
    /// These targets take one value only (or none: no completion agrees).
    Pinned {
        targets: Vec<(usize, Option<f64>)>,
        tried: u64,
    },
    /// The budget ran out before every target showed two values.
    GaveUp { tried: u64 },
    /// Some unknown has no finite range or is not a count: nothing to enumerate.
    Unbounded,
}

/// How a table's total is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The number itself.
    Printed,
    /// As `<threshold`: the reader knows it lies in 1..threshold.
    Small,
    /// Hidden to protect a small cell (no bound beyond ≥ 0).
    Hidden,
}

/// A two-way table as printed: which cells and totals show, and which sums hold.
#[derive(Debug, Clone)]
pub struct PrintedTable<'a> {
    pub counts: &'a [Vec<u64>],
    pub hidden: &'a [Vec<bool>],
    /// Hidden cells printed as `<threshold` (the reader knows they lie in 1..threshold, or in
    /// 0..threshold when their row or column total is small too).
    pub small: &'a [Vec<bool>],
    pub row_totals: &'a [(u64, Shown)],
    pub col_totals: &'a [(u64, Shown)],
    /// A row total is the sum of the row's cells (the column question is single choice).
    pub rows_add_up: bool,
    /// A column total is the sum of the column's cells (the row question is single choice).
    pub cols_add_up: bool,
    /// The grand total, printed.
    pub grand: Option<u64>,
    pub threshold: u64,
}

/// Where each cell and total of a table stands in a [`Knowledge`]: a known value or an unknown.
#[derive(Debug, Clone)]
pub struct Layout {
    pub cells: Vec<Vec<Term>>,
    pub rows: Vec<Term>,
    pub cols: Vec<Term>,
}

/// The intruder's knowledge of a printed table: every visible cell and total is known; hidden
/// cells are unknowns (small ones within 1..threshold), hidden totals too; every sum that holds
/// is an equation. Returns the knowledge and, per hidden cell, its unknown's index.
pub fn table_knowledge(t: &PrintedTable) -> (Knowledge, Vec<(usize, usize, usize)>) {
    let (k, layout) = table_layout(t);
    let mut cells = Vec::new();
    for (i, line) in layout.cells.iter().enumerate() {
        for (j, term) in line.iter().enumerate() {
            if let Term::Unknown(v) = term {
                cells.push((i, j, *v));
            }
        }
    }
    (k, cells)
}

/// As [`table_knowledge`], with every cell's and total's place in the knowledge, so that
/// figures printed elsewhere can be added to it.
pub fn table_layout(t: &PrintedTable) -> (Knowledge, Layout) {
    let r = t.counts.len();
    let c = t.counts.first().map_or(0, Vec::len);
    let small_max = Some(t.threshold.saturating_sub(1).max(1));
    let mut k = Knowledge::new();
    // Each cell: a known value or an unknown.
    let mut cell = vec![vec![Term::Known(0.0); c]; r];
    for (i, line) in cell.iter_mut().enumerate() {
        for (j, slot) in line.iter_mut().enumerate() {
            // A cell counts respondents of its row and of its column, so a line printed with
            // a total of 0 (an option no one chose) holds known zeros, hidden or not.
            let zero_line = matches!(t.row_totals[i], (0, Shown::Printed))
                || matches!(t.col_totals[j], (0, Shown::Printed));
            *slot = if t.hidden[i][j] && !zero_line {
                // `<5` says 1..5, except in a line whose total is itself small: zeros there are
                // hidden with the rest of the line.
                let in_small_line =
                    t.row_totals[i].1 == Shown::Small || t.col_totals[j].1 == Shown::Small;
                let v = if t.small[i][j] {
                    k.count(if in_small_line { 0 } else { 1 }, small_max)
                } else {
                    k.count(0, None)
                };
                Term::Unknown(v)
            } else {
                Term::Known(t.counts[i][j] as f64)
            };
        }
    }
    let total = |k: &mut Knowledge, (v, shown): (u64, Shown)| match shown {
        Shown::Printed => Term::Known(v as f64),
        Shown::Small => Term::Unknown(k.count(1, small_max)),
        Shown::Hidden => Term::Unknown(k.count(0, None)),
    };
    let rows: Vec<Term> = t.row_totals.iter().map(|&x| total(&mut k, x)).collect();
    let cols: Vec<Term> = t.col_totals.iter().map(|&x| total(&mut k, x)).collect();
    // Σ terms = total, as Σ unknowns − unknown total = known total − Σ knowns.
    let sum_to = |k: &mut Knowledge, parts: Vec<Term>, whole: Term| {
        let mut terms = Vec::new();
        let mut rhs = 0.0;
        for p in parts {
            match p {
                Term::Known(x) => rhs -= x,
                Term::Unknown(u) => terms.push((u, 1.0)),
            }
        }
        match whole {
            Term::Known(x) => rhs += x,
            Term::Unknown(u) => terms.push((u, -1.0)),
        }
        if !terms.is_empty() {
            k.equation(terms, rhs);
        }
    };
    if t.rows_add_up {
        for i in 0..r {
            sum_to(&mut k, cell[i].clone(), rows[i]);
        }
        if let Some(g) = t.grand {
            sum_to(&mut k, rows.clone(), Term::Known(g as f64));
        }
    }
    if t.cols_add_up {
        for j in 0..c {
            sum_to(&mut k, (0..r).map(|i| cell[i][j]).collect(), cols[j]);
        }
        if let Some(g) = t.grand {
            sum_to(&mut k, cols.clone(), Term::Known(g as f64));
        }
    }
    (
        k,
        Layout {
            cells: cell,
            rows,
            cols,
        },
    )
}

/// A figure of a table as the intruder has it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Term {
    Known(f64),
    /// The index of an unknown.
    Unknown(usize),
}

/// The hidden cells of a printed table that its printed numbers pin down.
pub fn disclosed_cells(t: &PrintedTable) -> Result<Vec<(usize, usize)>, String> {
    let (k, cells) = table_knowledge(t);
    if cells.is_empty() {
        return Ok(Vec::new());
    }
    let ranges = k.ranges()?;
    Ok(cells
        .iter()
        .filter(|&&(_, _, v)| ranges[v].disclosed(1e-6))
        .map(|&(i, j, _)| (i, j))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed<'a>(
        counts: &'a [Vec<u64>],
        hidden: &'a [Vec<bool>],
        small: &'a [Vec<bool>],
        rows: &'a [(u64, Shown)],
        cols: &'a [(u64, Shown)],
    ) -> PrintedTable<'a> {
        PrintedTable {
            counts,
            hidden,
            small,
            row_totals: rows,
            col_totals: cols,
            rows_add_up: true,
            cols_add_up: true,
            grand: Some(counts.iter().flatten().sum()),
            threshold: 5,
        }
    }

    #[test]
    fn one_hidden_cell_in_a_row_is_disclosed() {
        let counts = vec![vec![10, 3, 7], vec![8, 9, 6]];
        let hidden = vec![vec![false, true, false], vec![false, false, false]];
        let rows = [(20, Shown::Printed), (23, Shown::Printed)];
        let cols = [
            (18, Shown::Printed),
            (12, Shown::Printed),
            (13, Shown::Printed),
        ];
        let t = printed(&counts, &hidden, &hidden, &rows, &cols);
        assert_eq!(disclosed_cells(&t).unwrap(), vec![(0, 1)]);
        let (k, _) = table_knowledge(&t);
        assert_eq!(k.ranges().unwrap()[0].min, 3.0);
    }

    #[test]
    fn a_rectangle_of_hidden_cells_is_not() {
        let counts = vec![vec![10, 3, 7], vec![8, 9, 6]];
        let hidden = vec![vec![true, true, false], vec![true, true, false]];
        let small = vec![vec![false, true, false], vec![false, false, false]];
        let rows = [(20, Shown::Printed), (23, Shown::Printed)];
        let cols = [
            (18, Shown::Printed),
            (12, Shown::Printed),
            (13, Shown::Printed),
        ];
        let t = printed(&counts, &hidden, &small, &rows, &cols);
        assert!(disclosed_cells(&t).unwrap().is_empty());
    }

    #[test]
    fn a_zero_row_gives_its_neighbours_away_unless_a_total_is_hidden() {
        // Column 1's total is small, so its cells are hidden; row 1 is all zeros.
        let counts = vec![vec![5, 4, 5], vec![0, 0, 0]];
        let hidden = vec![vec![false, true, false], vec![false, true, false]];
        let small = hidden.clone();
        let rows = [(14, Shown::Printed), (0, Shown::Printed)];
        let mut cols = [(5, Shown::Printed), (4, Shown::Small), (5, Shown::Printed)];
        let t = printed(&counts, &hidden, &small, &rows, &cols);
        assert!(!disclosed_cells(&t).unwrap().is_empty());
        cols[2].1 = Shown::Hidden;
        let hidden2 = vec![vec![false, true, true], vec![false, true, true]];
        let t = printed(&counts, &hidden2, &small, &rows, &cols);
        let d = disclosed_cells(&t).unwrap();
        assert!(!d.contains(&(0, 1)), "{d:?}");
    }
}
