//! Tests of association for two-way tables.
//!
//! * Pearson's chi-square without continuity correction (R's `chisq.test(correct = FALSE)`),
//!   with a warning when an expected count is below 5;
//! * Fisher's exact test for 2×2 tables (R's `fisher.test`, two-sided);
//! * the Rao–Scott corrections for weighted tables, as R's `svychisq` computes them for a
//!   one-stage design: the second-order F test (default) and the first-order chi-square.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::linalg::{Mat, matmul, solve, transpose};
use crate::special::{chisq_upper, f_upper, ln_choose};

/// Pearson's chi-square test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChiSquare {
    pub statistic: f64,
    pub df: u32,
    pub p_value: f64,
    pub min_expected: f64,
    /// Some expected count is below 5: the chi-square approximation may be poor.
    pub small_expected: bool,
    /// Yates' continuity correction was applied (a 2×2 table, when asked for).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub yates: bool,
}

/// Pearson's chi-square on a table of counts (rows × columns). Rows and columns that are
/// entirely zero carry no information and are dropped first. `None` when fewer than two rows
/// or columns remain.
pub fn pearson(table: &[Vec<f64>]) -> Option<ChiSquare> {
    pearson_with(table, false)
}

/// Pearson's chi-square, with Yates' continuity correction when `yates` and the table (after
/// dropping empty rows and columns) is 2×2, as R's `chisq.test(correct = TRUE)`: each
/// |observed − expected| less min(0.5, |observed − expected|).
pub fn pearson_with(table: &[Vec<f64>], yates: bool) -> Option<ChiSquare> {
    let t = drop_empty(table);
    let (r, c) = (t.len(), t.first().map_or(0, Vec::len));
    if r < 2 || c < 2 {
        return None;
    }
    let rows: Vec<f64> = t.iter().map(|row| row.iter().sum()).collect();
    let cols: Vec<f64> = (0..c).map(|j| t.iter().map(|row| row[j]).sum()).collect();
    let n: f64 = rows.iter().sum();
    let yates = yates && r == 2 && c == 2;
    let correction = if yates {
        (0..2)
            .flat_map(|i| (0..2).map(move |j| (i, j)))
            .map(|(i, j)| (t[i][j] - rows[i] * cols[j] / n).abs())
            .fold(0.5, f64::min)
    } else {
        0.0
    };
    let mut x2 = 0.0;
    let mut min_e = f64::INFINITY;
    for i in 0..r {
        for j in 0..c {
            let e = rows[i] * cols[j] / n;
            min_e = min_e.min(e);
            let d = (t[i][j] - e).abs() - correction;
            x2 += d * d / e;
        }
    }
    let df = ((r - 1) * (c - 1)) as u32;
    Some(ChiSquare {
        statistic: x2,
        df,
        p_value: chisq_upper(x2, df as f64),
        min_expected: min_e,
        small_expected: min_e < 5.0,
        yates,
    })
}

fn drop_empty(table: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let c = table.first().map_or(0, Vec::len);
    let keep_cols: Vec<usize> = (0..c)
        .filter(|&j| table.iter().any(|row| row[j] != 0.0))
        .collect();
    table
        .iter()
        .filter(|row| row.iter().any(|&v| v != 0.0))
        .map(|row| keep_cols.iter().map(|&j| row[j]).collect())
        .collect()
}

/// Two-sided p-value of Fisher's exact test for [[a, b], [c, d]], as R computes it: the total
/// probability of tables no more likely than the observed one (with R's relative tolerance).
pub fn fisher_2x2(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let (m, n, k) = (a + c, b + d, a + b);
    let lo = k.saturating_sub(n);
    let hi = k.min(m);
    let ln_den = ln_choose(m + n, k);
    let logp = |x: u64| ln_choose(m, x) + ln_choose(n, k - x) - ln_den;
    let d_obs = logp(a).exp();
    let relerr = 1.0 + 1e-7;
    (lo..=hi)
        .map(|x| logp(x).exp())
        .filter(|&p| p <= d_obs * relerr)
        .sum::<f64>()
        .min(1.0)
}

/// Design-based test of a weighted two-way table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RaoScott {
    /// Pearson's X² on the weighted table scaled to the sample size.
    pub pearson: f64,
    /// Mean of the generalized design effects (first-order correction).
    pub mean_deff: f64,
    /// The second-order correction's degrees of freedom d0 = tr(Δ)²/tr(Δ²).
    pub d0: f64,
    /// F = X² / tr(Δ), on (d0, d0·df) degrees of freedom.
    pub f_statistic: f64,
    /// The F test's denominator degrees of freedom, d0 times the design's.
    pub ddf: f64,
    pub f_p_value: f64,
    /// First-order: X² / mean(δ) against chi-square on (r−1)(c−1) df.
    pub chisq_p_value: f64,
    pub df: u32,
}

/// The Rao–Scott tests of a weighted r×c table, computed as R's `svychisq` does: `p` holds the
/// estimated cell proportions (rows fastest), `v` their design covariance (from
/// [`crate::design::ratios`]), `n` the respondents in the table and `df` the design's degrees
/// of freedom (n − 1 for a one-stage design). Rows and columns no respondent is in are left
/// out first (as [`pearson`] does, and R after `droplevels`): they carry no information, and
/// an unused option list of a thousand would otherwise make the test's matrices a
/// million-fold larger.
pub fn rao_scott(r: usize, c: usize, p: &[f64], v: &Mat, n: u64, df: f64) -> Option<RaoScott> {
    if p.len() != r * c || v.len() != r * c {
        return None;
    }
    let live_r: Vec<usize> = (0..r)
        .filter(|&i| (0..c).any(|j| p[i + r * j] > 0.0))
        .collect();
    let live_c: Vec<usize> = (0..c)
        .filter(|&j| (0..r).any(|i| p[i + r * j] > 0.0))
        .collect();
    if live_r.len() == r && live_c.len() == c {
        return rao_scott_live(r, c, p, v, n, df);
    }
    // Rows fastest, as the full table.
    let cells: Vec<usize> = live_c
        .iter()
        .flat_map(|&j| live_r.iter().map(move |&i| i + r * j))
        .collect();
    let p: Vec<f64> = cells.iter().map(|&a| p[a]).collect();
    let v: Mat = cells
        .iter()
        .map(|&a| cells.iter().map(|&b| v[a][b]).collect())
        .collect();
    rao_scott_live(live_r.len(), live_c.len(), &p, &v, n, df)
}

fn rao_scott_live(r: usize, c: usize, p: &[f64], v: &Mat, n: u64, df: f64) -> Option<RaoScott> {
    if r < 2 || c < 2 || n < 2 || p.len() != r * c {
        return None;
    }
    let k = r * c;
    let nf = n as f64;
    // Main-effects design X1 and interaction contrasts, cells ordered rows fastest.
    let cell = |idx: usize| (idx % r, idx / r);
    let x1: Mat = (0..k)
        .map(|idx| {
            let (i, j) = cell(idx);
            let mut row = vec![1.0];
            row.extend((1..r).map(|a| if i == a { 1.0 } else { 0.0 }));
            row.extend((1..c).map(|b| if j == b { 1.0 } else { 0.0 }));
            row
        })
        .collect();
    let xi: Mat = (0..k)
        .map(|idx| {
            let (i, j) = cell(idx);
            let mut row = Vec::new();
            for b in 1..c {
                for a in 1..r {
                    row.push(if i == a && j == b { 1.0 } else { 0.0 });
                }
            }
            row
        })
        .collect();
    // C = residual of the interaction columns on X1.
    let x1t = transpose(&x1);
    let coef = solve(&matmul(&x1t, &x1), &matmul(&x1t, &xi))?;
    let fitted = matmul(&x1, &coef);
    let cm: Mat = xi
        .iter()
        .zip(&fitted)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x - y).collect())
        .collect();
    let idiag: Vec<f64> = p
        .iter()
        .map(|&q| if q == 0.0 { 0.0 } else { 1.0 / q })
        .collect();
    let scaled = |m: &Mat, s: f64| -> Mat {
        m.iter()
            .enumerate()
            .map(|(i, row)| row.iter().map(|v| v * idiag[i] * s).collect())
            .collect()
    };
    let ct = transpose(&cm);
    let denom = matmul(&ct, &scaled(&cm, 1.0 / nf));
    let idc = scaled(&cm, 1.0);
    let numr = matmul(&transpose(&idc), &matmul(v, &idc));
    let delta = solve(&denom, &numr)?;
    let m = delta.len();
    let tr: f64 = (0..m).map(|i| delta[i][i]).sum();
    let d2 = matmul(&delta, &delta);
    let tr2: f64 = (0..m).map(|i| d2[i][i]).sum();
    let d0 = tr * tr / tr2;
    // Pearson's X² on the weighted table scaled to n.
    let table: Vec<Vec<f64>> = (0..r)
        .map(|i| (0..c).map(|j| p[i + r * j] * nf).collect())
        .collect();
    let x2 = pearson(&table)?.statistic;
    let fstat = x2 / tr;
    Some(RaoScott {
        pearson: x2,
        mean_deff: tr / m as f64,
        d0,
        f_statistic: fstat,
        ddf: d0 * df,
        f_p_value: f_upper(fstat, d0, d0 * df),
        chisq_p_value: chisq_upper(x2 / (tr / m as f64), m as f64),
        df: m as u32,
    })
}

#[cfg(test)]
mod rao_scott_tests {
    use super::rao_scott;
    use crate::design::{Class, Flag, VarianceModel, ratios};

    /// The weighted cell proportions of a table (rows fastest) and their covariance, for
    /// respondents given as (row, column, weight, how many).
    fn estimates(
        r: usize,
        c: usize,
        people: &[(usize, usize, f64, u64)],
    ) -> (Vec<f64>, Vec<Vec<f64>>) {
        let classes: Vec<Class> = people
            .iter()
            .map(|&(i, j, w, n)| {
                let mut flags = vec![Flag::In; r * c];
                flags[i + r * j] = Flag::Chosen;
                Class {
                    count: n,
                    weight: w,
                    pattern: 0,
                    flags,
                }
            })
            .collect();
        let e = ratios(&classes, r * c, VarianceModel::Weighted, None);
        (
            e.estimate.iter().map(|p| p.unwrap_or(0.0)).collect(),
            e.covariance,
        )
    }

    #[test]
    fn rows_and_columns_no_one_is_in_leave_the_test_unchanged() {
        // Trial 38 (B5): a column question with a thousand unused options made the test's
        // matrices a million-fold larger. Empty rows and columns are left out, so the test of
        // a table with them is the test of the table without them.
        let people = [
            (0, 0, 1.2, 9),
            (0, 1, 0.8, 14),
            (1, 0, 1.5, 11),
            (1, 1, 0.7, 6),
            (2, 0, 1.1, 4),
            (2, 1, 0.9, 12),
            (0, 0, 2.0, 3),
            (1, 1, 1.9, 5),
        ];
        let n: u64 = people.iter().map(|p| p.3).sum();
        let (p, v) = estimates(3, 2, &people);
        let plain = rao_scott(3, 2, &p, &v, n, n as f64 - 1.0).unwrap();
        // The same people in a 4×5 table whose row 1 and columns 0, 2 and 4 no one is in.
        let (rows, cols) = ([0, 2, 3], [1, 3]);
        let moved: Vec<_> = people
            .iter()
            .map(|&(i, j, w, k)| (rows[i], cols[j], w, k))
            .collect();
        let (p, v) = estimates(4, 5, &moved);
        let wide = rao_scott(4, 5, &p, &v, n, n as f64 - 1.0).unwrap();
        assert_eq!(wide.df, plain.df);
        for (a, b) in [
            (wide.pearson, plain.pearson),
            (wide.f_statistic, plain.f_statistic),
            (wide.d0, plain.d0),
            (wide.f_p_value, plain.f_p_value),
        ] {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} {b}");
        }
    }
}
