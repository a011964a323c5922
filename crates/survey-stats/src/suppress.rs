//! Small-cell suppression for tables broken down below the whole sample.
//!
//! * **Primary**: every cell with 0 < count < threshold is hidden and printed `<threshold`; a
//!   row or column whose total is below the threshold is hidden whole, its total printed
//!   `<threshold` too.
//! * **Complementary**: further cells are hidden (printed with their own marker, never `<5`)
//!   until no hidden non-zero cell can be worked out from everything the table prints. First
//!   every line whose cells add up to a printed total gets at least two hidden cells (the
//!   smallest visible one, non-zero first); then an exact audit ([`crate::disclosure`], integer
//!   linear programming over every printed cell and total) finds any hidden cell still pinned
//!   down and hides one more neighbour — a cell, or failing that a total — until none is.
//! * **Zeros** are printed as 0 and are not protected: a cell known to be empty names no one. A
//!   zero is chosen as a complement only when nothing else is left.
//!
//! With multiple choice on one side, cells do not add up to the totals of that side (a
//! respondent counts in several rows); only the sums that hold are used, by the suppression and
//! by the audit alike.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::disclosure::{PrintedTable, Shown, disclosed_cells};

/// Which cells and totals to hide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Suppression {
    pub threshold: u64,
    /// `hidden[r][c]`.
    pub hidden: Vec<Vec<bool>>,
    /// `small[r][c]`: hidden because the cell or its row or column total is small.
    pub small: Vec<Vec<bool>>,
    /// Row totals hidden: small ones are printed `<threshold`, others hidden as complements.
    pub hidden_row_totals: Vec<bool>,
    pub small_row_totals: Vec<bool>,
    pub hidden_col_totals: Vec<bool>,
    pub small_col_totals: Vec<bool>,
    /// Cells hidden because they are small.
    pub primary: usize,
    /// Cells hidden so that small ones cannot be worked out.
    pub secondary: usize,
    /// Totals hidden so that small cells cannot be worked out.
    pub secondary_totals: usize,
    /// The grand total is hidden too (only when nothing else protects a small cell).
    pub hidden_grand: bool,
}

impl Suppression {
    /// The same suppression with rows and columns swapped.
    pub fn transposed(&self) -> Suppression {
        let flip = |m: &[Vec<bool>]| -> Vec<Vec<bool>> {
            let nc = m.first().map_or(0, Vec::len);
            (0..nc).map(|c| m.iter().map(|r| r[c]).collect()).collect()
        };
        Suppression {
            threshold: self.threshold,
            hidden: flip(&self.hidden),
            small: flip(&self.small),
            hidden_row_totals: self.hidden_col_totals.clone(),
            small_row_totals: self.small_col_totals.clone(),
            hidden_col_totals: self.hidden_row_totals.clone(),
            small_col_totals: self.small_row_totals.clone(),
            primary: self.primary,
            secondary: self.secondary,
            secondary_totals: self.secondary_totals,
            hidden_grand: self.hidden_grand,
        }
    }

    pub fn total(&self) -> usize {
        self.primary + self.secondary + self.secondary_totals
    }

    fn shown(hidden: bool, small: bool) -> Shown {
        match (hidden, small) {
            (false, _) => Shown::Printed,
            (true, true) => Shown::Small,
            (true, false) => Shown::Hidden,
        }
    }

    /// How each row total is printed.
    pub fn row_shown(&self, row_totals: &[u64]) -> Vec<(u64, Shown)> {
        row_totals
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                (
                    t,
                    Suppression::shown(self.hidden_row_totals[i], self.small_row_totals[i]),
                )
            })
            .collect()
    }

    /// How each column total is printed.
    pub fn col_shown(&self, col_totals: &[u64]) -> Vec<(u64, Shown)> {
        col_totals
            .iter()
            .enumerate()
            .map(|(j, &t)| {
                (
                    t,
                    Suppression::shown(self.hidden_col_totals[j], self.small_col_totals[j]),
                )
            })
            .collect()
    }
}

/// A table to suppress: its counts, totals, and which sums hold.
#[derive(Debug, Clone)]
pub struct Table<'a> {
    pub counts: &'a [Vec<u64>],
    pub row_totals: &'a [u64],
    pub col_totals: &'a [u64],
    /// Row totals are the sums of their cells (the column question is single choice).
    pub rows_add_up: bool,
    /// Column totals are the sums of their cells (the row question is single choice).
    pub cols_add_up: bool,
    /// The grand total printed with the table.
    pub grand: u64,
}

/// Decide which cells of a single-choice by single-choice table to hide.
pub fn suppress(
    counts: &[Vec<u64>],
    row_totals: &[u64],
    col_totals: &[u64],
    threshold: u64,
) -> Suppression {
    suppress_table(
        &Table {
            counts,
            row_totals,
            col_totals,
            rows_add_up: true,
            cols_add_up: true,
            grand: row_totals.iter().sum(),
        },
        threshold,
    )
}

/// Decide which cells and totals of a table to hide. A threshold below 3 protects nothing: a
/// cell printed `<2` can only be 1.
pub fn suppress_table(t: &Table, threshold: u64) -> Suppression {
    let counts = t.counts;
    let r = counts.len();
    let c = counts.first().map_or(0, Vec::len);
    let small = |v: u64| v > 0 && v < threshold;
    let small_row_totals: Vec<bool> = t.row_totals.iter().map(|&x| small(x)).collect();
    let small_col_totals: Vec<bool> = t.col_totals.iter().map(|&x| small(x)).collect();
    let mut hidden_row_totals = small_row_totals.clone();
    let mut hidden_col_totals = small_col_totals.clone();
    let mut hidden = vec![vec![false; c]; r];
    let mut primary = 0;
    for i in 0..r {
        for j in 0..c {
            // A line no one is in (total 0) holds known zeros: nothing there is hidden.
            let empty = t.row_totals[i] == 0 || t.col_totals[j] == 0;
            if !empty && (small(counts[i][j]) || small_row_totals[i] || small_col_totals[j]) {
                hidden[i][j] = true;
                primary += 1;
            }
        }
    }
    let small_cells = hidden.clone();
    let mut secondary = 0;
    let mut secondary_totals = 0;
    loop {
        let mut changed = false;
        // A line that adds up to a printed total with exactly one hidden cell gives it away.
        if t.rows_add_up {
            for i in (0..r).filter(|&i| !hidden_row_totals[i] && t.row_totals[i] > 0) {
                // Cells of columns no one is in stay out: they are known zeros.
                let line: Vec<Candidate> = (0..c)
                    .filter(|&j| hidden[i][j] || t.col_totals[j] > 0)
                    .map(|j| Candidate {
                        at: j,
                        count: counts[i][j],
                        hidden: hidden[i][j],
                        pairs: t.cols_add_up
                            && !hidden_col_totals[j]
                            && (0..r).filter(|&ii| hidden[ii][j]).count() == 1,
                    })
                    .collect();
                if let Some(j) = second_cell(&line) {
                    hidden[i][j] = true;
                    secondary += 1;
                    changed = true;
                }
            }
        }
        if t.cols_add_up {
            for j in (0..c).filter(|&j| !hidden_col_totals[j] && t.col_totals[j] > 0) {
                let line: Vec<Candidate> = (0..r)
                    .filter(|&i| hidden[i][j] || t.row_totals[i] > 0)
                    .map(|i| Candidate {
                        at: i,
                        count: counts[i][j],
                        hidden: hidden[i][j],
                        pairs: t.rows_add_up
                            && !hidden_row_totals[i]
                            && (0..c).filter(|&jj| hidden[i][jj]).count() == 1,
                    })
                    .collect();
                if let Some(i) = second_cell(&line) {
                    hidden[i][j] = true;
                    secondary += 1;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    // The exact audit: while a hidden non-zero cell is pinned down, hide one more neighbour.
    let audit = |hidden: &[Vec<bool>], hr: &[bool], hc: &[bool], hg: bool| -> Vec<(usize, usize)> {
        let rows: Vec<(u64, Shown)> = t
            .row_totals
            .iter()
            .enumerate()
            .map(|(i, &x)| (x, Suppression::shown(hr[i], small_row_totals[i])))
            .collect();
        let cols: Vec<(u64, Shown)> = t
            .col_totals
            .iter()
            .enumerate()
            .map(|(j, &x)| (x, Suppression::shown(hc[j], small_col_totals[j])))
            .collect();
        let p = PrintedTable {
            counts,
            hidden,
            small: &small_cells,
            row_totals: &rows,
            col_totals: &cols,
            rows_add_up: t.rows_add_up,
            cols_add_up: t.cols_add_up,
            grand: (!hg).then_some(t.grand),
            threshold,
        };
        // An audit that cannot be solved counts as a disclosure: hide more rather than less.
        match disclosed_cells(&p) {
            Ok(d) => d.into_iter().filter(|&(i, j)| counts[i][j] > 0).collect(),
            Err(_) => (0..r)
                .flat_map(|i| (0..c).map(move |j| (i, j)))
                .filter(|&(i, j)| hidden[i][j] && counts[i][j] > 0)
                .take(1)
                .collect(),
        }
    };
    let mut hidden_grand = false;
    for _ in 0..(r * c + r + c + 1) {
        let disclosed = audit(
            &hidden,
            &hidden_row_totals,
            &hidden_col_totals,
            hidden_grand,
        );
        let Some(&(i, j)) = disclosed.first() else {
            break;
        };
        #[derive(Clone, Copy)]
        enum Pick {
            Cell(usize, usize),
            RowTotal(usize),
            ColTotal(usize),
            Grand,
        }
        // A cell or total of a line no one is in is a known zero however it is printed:
        // hiding it protects nothing, and trying each of a thousand unused options made the
        // search take minutes (trial 38).
        let mut cells: Vec<(usize, usize)> = (0..c)
            .filter(|&jj| !hidden[i][jj] && t.col_totals[jj] > 0)
            .map(|jj| (i, jj))
            .chain(
                (0..r)
                    .filter(|&ii| !hidden[ii][j] && t.row_totals[ii] > 0)
                    .map(|ii| (ii, j)),
            )
            .collect();
        cells.sort_by_key(|&(a, b)| (counts[a][b] == 0, counts[a][b], a, b));
        let mut candidates: Vec<Pick> = cells.iter().map(|&(a, b)| Pick::Cell(a, b)).collect();
        if !hidden_row_totals[i] {
            candidates.push(Pick::RowTotal(i));
        }
        if !hidden_col_totals[j] {
            candidates.push(Pick::ColTotal(j));
        }
        // Failing the neighbours: any other printed total, and last the grand total.
        candidates.extend(
            (0..r)
                .filter(|&a| a != i && !hidden_row_totals[a] && t.row_totals[a] > 0)
                .map(Pick::RowTotal),
        );
        candidates.extend(
            (0..c)
                .filter(|&b| b != j && !hidden_col_totals[b] && t.col_totals[b] > 0)
                .map(Pick::ColTotal),
        );
        if !hidden_grand {
            candidates.push(Pick::Grand);
        }
        let apply = |p: Pick,
                     h: &mut Vec<Vec<bool>>,
                     hr: &mut Vec<bool>,
                     hc: &mut Vec<bool>,
                     hg: &mut bool| match p {
            Pick::Cell(a, b) => h[a][b] = true,
            Pick::RowTotal(a) => hr[a] = true,
            Pick::ColTotal(b) => hc[b] = true,
            Pick::Grand => *hg = true,
        };
        let protects = |p: Pick| {
            let (mut h, mut hr, mut hc, mut hg) = (
                hidden.clone(),
                hidden_row_totals.clone(),
                hidden_col_totals.clone(),
                hidden_grand,
            );
            apply(p, &mut h, &mut hr, &mut hc, &mut hg);
            !audit(&h, &hr, &hc, hg).contains(&(i, j))
        };
        // Non-zero cells first; then totals; zeros last.
        let order: Vec<Pick> = candidates
            .iter()
            .copied()
            .filter(|p| matches!(p, Pick::Cell(a, b) if counts[*a][*b] > 0))
            .chain(
                candidates
                    .iter()
                    .copied()
                    .filter(|p| !matches!(p, Pick::Cell(..))),
            )
            .chain(
                candidates
                    .iter()
                    .copied()
                    .filter(|p| matches!(p, Pick::Cell(a, b) if counts[*a][*b] == 0)),
            )
            .collect();
        let Some(&first) = order.first() else {
            break;
        };
        let pick = order
            .iter()
            .copied()
            .find(|&p| protects(p))
            .unwrap_or(first);
        match pick {
            Pick::Cell(..) => secondary += 1,
            _ => secondary_totals += 1,
        }
        apply(
            pick,
            &mut hidden,
            &mut hidden_row_totals,
            &mut hidden_col_totals,
            &mut hidden_grand,
        );
    }
    Suppression {
        threshold,
        hidden,
        small: small_cells,
        hidden_row_totals,
        small_row_totals,
        hidden_col_totals,
        small_col_totals,
        primary,
        secondary,
        secondary_totals,
        hidden_grand,
    }
}

/// A cell of a line, as [`second_cell`] weighs it.
struct Candidate {
    /// Its place in the line.
    at: usize,
    count: u64,
    hidden: bool,
    /// The crossing line (its column, for a row) adds up and holds one hidden cell alone:
    /// hiding this cell pairs that one too.
    pairs: bool,
}

/// When a line has exactly one hidden cell, the visible cell to hide with it: one that pairs
/// a lone hidden cell of its crossing line as well, if any (else each line's partner asks for
/// a partner of its own: trial 41 lost six cells of a 5×2 table where four protect), then the
/// smallest, zeros last.
fn second_cell(line: &[Candidate]) -> Option<usize> {
    let hidden = line.iter().filter(|x| x.hidden).count();
    if hidden != 1 {
        return None;
    }
    line.iter()
        .filter(|x| !x.hidden)
        .min_by_key(|x| (!x.pairs, x.count == 0, x.count))
        .map(|x| x.at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_no_one_is_in_change_no_hidden_cell_and_hold_no_unknown() {
        // Trial 38 (B5): a column question with a thousand unused options took minutes, the
        // search trying each empty column's zeros and total as a complementary cell. A line
        // printed with a total of 0 holds known zeros: hiding there protects nothing, and the
        // audit counts no unknown there.
        let t = vec![vec![12, 3, 20], vec![9, 14, 2], vec![3, 1, 0]];
        let (rt, ct) = totals(&t);
        let s = suppress(&t, &rt, &ct, 5);
        // The same table with two empty rows and 200 empty columns around and between.
        let (rows, cols) = ([1usize, 2, 4], [0usize, 100, 201]);
        let mut wide = vec![vec![0u64; 202]; 5];
        for (i, line) in t.iter().enumerate() {
            for (j, &v) in line.iter().enumerate() {
                wide[rows[i]][cols[j]] = v;
            }
        }
        let (wrt, wct) = totals(&wide);
        let w = suppress(&wide, &wrt, &wct, 5);
        for (i, &wi) in rows.iter().enumerate() {
            assert_eq!(w.hidden_row_totals[wi], s.hidden_row_totals[i]);
            for (j, &wj) in cols.iter().enumerate() {
                assert_eq!(w.hidden[wi][wj], s.hidden[i][j], "{i} {j}");
            }
        }
        for (j, &wj) in cols.iter().enumerate() {
            assert_eq!(w.hidden_col_totals[wj], s.hidden_col_totals[j]);
        }
        assert!(
            (0..202)
                .filter(|j| !cols.contains(j))
                .all(|j| !w.hidden_col_totals[j])
        );
        // Nor does the audit count an unknown in an empty line.
        let knowledge = |t: &[Vec<u64>], s: &Suppression, rt: &[u64], ct: &[u64]| {
            let (rows, cols) = (s.row_shown(rt), s.col_shown(ct));
            let p = PrintedTable {
                counts: t,
                hidden: &s.hidden,
                small: &s.small,
                row_totals: &rows,
                col_totals: &cols,
                rows_add_up: true,
                cols_add_up: true,
                grand: (!s.hidden_grand).then(|| rt.iter().sum()),
                threshold: 5,
            };
            crate::disclosure::table_knowledge(&p).0.len()
        };
        assert!(!w.hidden[4][50], "a zero of an empty column is no secret");
        assert_eq!(
            knowledge(&wide, &w, &wrt, &wct),
            knowledge(&t, &s, &rt, &ct)
        );
    }

    fn totals(t: &[Vec<u64>]) -> (Vec<u64>, Vec<u64>) {
        let rows = t.iter().map(|r| r.iter().sum()).collect();
        let cols = (0..t[0].len())
            .map(|j| t.iter().map(|r| r[j]).sum())
            .collect();
        (rows, cols)
    }

    /// Every table agreeing with what is printed (visible cells and totals; small cells and
    /// small totals in 1..5; other hidden cells and totals ≥ 0), by depth-first enumeration:
    /// whether each hidden non-zero cell can take two or more values. A cell that closes a row
    /// or column with a printed total takes the value the total leaves; the others try every
    /// value. `None` when the search would be too long.
    fn undetermined_by_enumeration(t: &[Vec<u64>], s: &Suppression) -> Option<bool> {
        let (r, c) = (t.len(), t[0].len());
        let cells: Vec<(usize, usize)> = (0..r)
            .flat_map(|i| (0..c).map(move |j| (i, j)))
            .filter(|&(i, j)| s.hidden[i][j])
            .collect();
        if cells.is_empty() {
            return Some(true);
        }
        let (rt, ct) = totals(t);
        let grand: u64 = rt.iter().sum();
        let closes_row = |k: usize| {
            let (i, _) = cells[k];
            !s.hidden_row_totals[i] && cells[k + 1..].iter().all(|&(a, _)| a != i)
        };
        let closes_col = |k: usize| {
            let (_, j) = cells[k];
            !s.hidden_col_totals[j] && cells[k + 1..].iter().all(|&(_, b)| b != j)
        };
        let free = (0..cells.len())
            .filter(|&k| !closes_row(k) && !closes_col(k))
            .count();
        if free > 3 {
            return None;
        }
        let range = |k: usize| {
            let (i, j) = cells[k];
            if s.small[i][j] && !s.small_row_totals[i] && !s.small_col_totals[j] {
                1..=s.threshold - 1
            } else if s.small[i][j] {
                0..=s.threshold - 1
            } else {
                0..=grand
            }
        };
        let mut seen: Vec<std::collections::BTreeSet<u64>> = vec![Default::default(); cells.len()];
        let mut vals = vec![0u64; cells.len()];
        fn value(
            cells: &[(usize, usize)],
            vals: &[u64],
            upto: usize,
            t: &[Vec<u64>],
            i: usize,
            j: usize,
        ) -> Option<u64> {
            match cells.iter().position(|&x| x == (i, j)) {
                Some(p) if p < upto => Some(vals[p]),
                Some(_) => None,
                None => Some(t[i][j]),
            }
        }
        #[allow(clippy::too_many_arguments)]
        fn go(
            k: usize,
            cells: &[(usize, usize)],
            vals: &mut Vec<u64>,
            seen: &mut Vec<std::collections::BTreeSet<u64>>,
            t: &[Vec<u64>],
            s: &Suppression,
            rt: &[u64],
            ct: &[u64],
            closes: &dyn Fn(usize) -> (bool, bool),
            range: &dyn Fn(usize) -> std::ops::RangeInclusive<u64>,
        ) {
            let (r, c) = (t.len(), t[0].len());
            if k == cells.len() {
                let full = |i: usize, j: usize| value(cells, vals, cells.len(), t, i, j).unwrap();
                let ok = |sum: u64, total: u64, hidden: bool, small: bool| match (hidden, small) {
                    (false, _) => sum == total,
                    (true, true) => (1..s.threshold).contains(&sum),
                    (true, false) => true,
                };
                let rows = (0..r).all(|i| {
                    ok(
                        (0..c).map(|j| full(i, j)).sum(),
                        rt[i],
                        s.hidden_row_totals[i],
                        s.small_row_totals[i],
                    )
                });
                let cols = (0..c).all(|j| {
                    ok(
                        (0..r).map(|i| full(i, j)).sum(),
                        ct[j],
                        s.hidden_col_totals[j],
                        s.small_col_totals[j],
                    )
                });
                let total: u64 = (0..r)
                    .map(|i| (0..c).map(|j| full(i, j)).sum::<u64>())
                    .sum();
                if rows && cols && (s.hidden_grand || total == rt.iter().sum::<u64>()) {
                    for (p, v) in vals.iter().enumerate() {
                        seen[p].insert(*v);
                    }
                }
                return;
            }
            let (i, j) = cells[k];
            let (cr, cc) = closes(k);
            let forced = if cr {
                let others: u64 = (0..c)
                    .filter(|&b| b != j)
                    .map(|b| value(cells, vals, k, t, i, b).unwrap_or(0))
                    .sum();
                Some(rt[i].checked_sub(others))
            } else if cc {
                let others: u64 = (0..r)
                    .filter(|&a| a != i)
                    .map(|a| value(cells, vals, k, t, a, j).unwrap_or(0))
                    .sum();
                Some(ct[j].checked_sub(others))
            } else {
                None
            };
            match forced {
                Some(Some(v)) => {
                    vals[k] = v;
                    go(k + 1, cells, vals, seen, t, s, rt, ct, closes, range);
                }
                Some(None) => {}
                None => {
                    for v in range(k) {
                        vals[k] = v;
                        go(k + 1, cells, vals, seen, t, s, rt, ct, closes, range);
                    }
                }
            }
        }
        let closes = |k: usize| (closes_row(k), closes_col(k));
        go(
            0, &cells, &mut vals, &mut seen, t, s, &rt, &ct, &closes, &range,
        );
        Some(
            cells
                .iter()
                .zip(&seen)
                .all(|(&(i, j), vals)| t[i][j] == 0 || vals.len() >= 2),
        )
    }

    #[test]
    fn a_small_cell_takes_a_partner_in_its_row_and_column() {
        let t = vec![vec![20, 3, 15], vec![30, 12, 25], vec![9, 40, 11]];
        let (rt, ct) = totals(&t);
        let s = suppress(&t, &rt, &ct, 5);
        assert_eq!(s.primary, 1);
        assert!(s.hidden[0][1]);
        assert!(s.secondary >= 2);
        assert_eq!(undetermined_by_enumeration(&t, &s), Some(true));
    }

    #[test]
    fn a_row_of_zeros_is_protected_by_hiding_a_total() {
        let t = vec![vec![5, 4, 5], vec![0, 0, 0]];
        let (rt, ct) = totals(&t);
        let s = suppress(&t, &rt, &ct, 5);
        assert_eq!(undetermined_by_enumeration(&t, &s), Some(true), "{s:?}");
        assert!(s.secondary_totals > 0, "{s:?}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        /// On random tables and thresholds, no hidden non-zero cell can be worked out from the
        /// printed cells and totals: checked by brute force, independently of the LP audit.
        #[test]
        fn no_hidden_cell_is_recoverable_from_what_is_printed(
            t in proptest::collection::vec(proptest::collection::vec(0u64..12, 2..5), 2..5),
            threshold in 3u64..7,
        ) {
            let c = t[0].len();
            let t: Vec<Vec<u64>> = t.into_iter().map(|mut r| { r.resize(c, 0); r }).collect();
            let (rt, ct) = totals(&t);
            let s = suppress(&t, &rt, &ct, threshold);
            for (row, hidden) in t.iter().zip(&s.hidden) {
                for (v, h) in row.iter().zip(hidden) {
                    if *v > 0 && *v < threshold { proptest::prop_assert!(*h); }
                }
            }
            if let Some(ok) = undetermined_by_enumeration(&t, &s) {
                proptest::prop_assert!(ok, "{:?} {:?}", t, s);
            }
            // Whatever the threshold, the LP audit finds nothing left to work out.
            let rows = s.row_shown(&rt);
            let cols = s.col_shown(&ct);
            let p = PrintedTable {
                counts: &t,
                hidden: &s.hidden,
                small: &s.small,
                row_totals: &rows,
                col_totals: &cols,
                rows_add_up: true,
                cols_add_up: true,
                grand: (!s.hidden_grand).then(|| rt.iter().sum()),
                threshold,
            };
            let d: Vec<(usize, usize)> = disclosed_cells(&p).unwrap().into_iter().filter(|&(i, j)| t[i][j] > 0).collect();
            proptest::prop_assert!(d.is_empty(), "{:?} {:?} {:?}", t, s, d);
        }
    }
}
#[cfg(test)]
mod scratch_s18 {
    #[test]
    fn scratch() {
        for t in [
            vec![
                vec![167u64, 24],
                vec![43, 7],
                vec![51, 42],
                vec![20, 28],
                vec![2, 5],
            ],
            vec![vec![167u64, 43, 51, 20, 2], vec![24, 7, 42, 28, 5]],
        ] {
            let rt: Vec<u64> = t.iter().map(|r| r.iter().sum()).collect();
            let ct: Vec<u64> = (0..t[0].len())
                .map(|j| t.iter().map(|r| r[j]).sum())
                .collect();
            let s = super::suppress(&t, &rt, &ct, 5);
            eprintln!(
                "{:?} primary {} secondary {}",
                s.hidden, s.primary, s.secondary
            );
        }
    }
}
