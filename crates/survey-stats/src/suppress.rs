//! Small-cell suppression for tables broken down below the whole sample.
//!
//! Primary suppression hides every cell with 0 < count < threshold. Secondary suppression then
//! hides further cells so that no hidden cell can be recovered from a visible row or column
//! total: every row and column with a hidden cell gets at least two, choosing the smallest
//! visible cell (non-zero first). Totals below the threshold are hidden with their whole row
//! or column.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which cells to print as `<threshold`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Suppression {
    pub threshold: u64,
    /// `hidden[r][c]`.
    pub hidden: Vec<Vec<bool>>,
    pub hidden_row_totals: Vec<bool>,
    pub hidden_col_totals: Vec<bool>,
    /// Cells hidden because they are small.
    pub primary: usize,
    /// Cells hidden so that small ones cannot be recovered.
    pub secondary: usize,
}

impl Suppression {
    pub fn total(&self) -> usize {
        self.primary + self.secondary
    }
}

/// Decide which cells of `counts` (rows × columns, with the given totals) to hide.
pub fn suppress(
    counts: &[Vec<u64>],
    row_totals: &[u64],
    col_totals: &[u64],
    threshold: u64,
) -> Suppression {
    let r = counts.len();
    let c = counts.first().map_or(0, Vec::len);
    let small = |v: u64| v > 0 && v < threshold;
    let hidden_row_totals: Vec<bool> = row_totals.iter().map(|&t| small(t)).collect();
    let hidden_col_totals: Vec<bool> = col_totals.iter().map(|&t| small(t)).collect();
    let mut hidden = vec![vec![false; c]; r];
    let mut primary = 0;
    for i in 0..r {
        for j in 0..c {
            if small(counts[i][j]) || hidden_row_totals[i] || hidden_col_totals[j] {
                hidden[i][j] = true;
                primary += 1;
            }
        }
    }
    let mut secondary = 0;
    loop {
        let mut changed = false;
        // Rows, then columns: a line with a visible total and exactly one hidden cell gives it away.
        for i in 0..r {
            if hidden_row_totals[i] {
                continue;
            }
            let line: Vec<(usize, u64, bool)> =
                (0..c).map(|j| (j, counts[i][j], hidden[i][j])).collect();
            if let Some(j) = second_cell(&line) {
                hidden[i][j] = true;
                secondary += 1;
                changed = true;
            }
        }
        for j in 0..c {
            if hidden_col_totals[j] {
                continue;
            }
            let line: Vec<(usize, u64, bool)> =
                (0..r).map(|i| (i, counts[i][j], hidden[i][j])).collect();
            if let Some(i) = second_cell(&line) {
                hidden[i][j] = true;
                secondary += 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Suppression {
        threshold,
        hidden,
        hidden_row_totals,
        hidden_col_totals,
        primary,
        secondary,
    }
}

/// When a line has exactly one hidden cell, the visible cell to hide with it.
fn second_cell(line: &[(usize, u64, bool)]) -> Option<usize> {
    let hidden = line.iter().filter(|x| x.2).count();
    if hidden != 1 {
        return None;
    }
    line.iter()
        .filter(|x| !x.2)
        .min_by_key(|x| (x.1 == 0, x.1))
        .map(|x| x.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(t: &[Vec<u64>]) -> (Vec<u64>, Vec<u64>) {
        let rows = t.iter().map(|r| r.iter().sum()).collect();
        let cols = (0..t[0].len())
            .map(|j| t.iter().map(|r| r[j]).sum())
            .collect();
        (rows, cols)
    }

    /// Whether a hidden cell is the only hidden cell in some line with a visible total.
    fn recoverable(s: &Suppression) -> bool {
        let r = s.hidden.len();
        let c = s.hidden[0].len();
        (0..r).any(|i| !s.hidden_row_totals[i] && s.hidden[i].iter().filter(|h| **h).count() == 1)
            || (0..c)
                .any(|j| !s.hidden_col_totals[j] && (0..r).filter(|&i| s.hidden[i][j]).count() == 1)
    }

    #[test]
    fn a_small_cell_takes_a_partner_in_its_row_and_column() {
        let t = vec![vec![20, 3, 15], vec![30, 12, 25], vec![9, 40, 11]];
        let (rt, ct) = totals(&t);
        let s = suppress(&t, &rt, &ct, 5);
        assert_eq!(s.primary, 1);
        assert!(s.hidden[0][1]);
        assert!(s.secondary >= 2);
        assert!(!recoverable(&s));
    }

    proptest::proptest! {
        #[test]
        fn no_hidden_cell_is_recoverable_from_totals(t in proptest::collection::vec(proptest::collection::vec(0u64..30, 2..6), 2..6)) {
            let c = t[0].len();
            let t: Vec<Vec<u64>> = t.into_iter().map(|mut r| { r.resize(c, 0); r }).collect();
            let (rt, ct) = totals(&t);
            let s = suppress(&t, &rt, &ct, 5);
            proptest::prop_assert!(!recoverable(&s));
            for (row, hidden) in t.iter().zip(&s.hidden) {
                for (v, h) in row.iter().zip(hidden) {
                    if *v > 0 && *v < 5 { proptest::prop_assert!(*h); }
                }
            }
        }
    }
}
