//! Tests of association for two-way tables.
//!
//! * Pearson's chi-square without continuity correction (R's `chisq.test(correct = FALSE)`),
//!   with a warning when an expected count is below 5;
//! * Fisher's exact test for 2×2 tables (R's `fisher.test`, two-sided);
//! * the Rao–Scott corrections for weighted tables, as R's `svychisq` computes them for a
//!   one-stage design: the second-order F test (default) and the first-order chi-square.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
}

/// Pearson's chi-square on a table of counts (rows × columns). Rows and columns that are
/// entirely zero carry no information and are dropped first. `None` when fewer than two rows
/// or columns remain.
pub fn pearson(table: &[Vec<f64>]) -> Option<ChiSquare> {
    let t = drop_empty(table);
    let (r, c) = (t.len(), t.first().map_or(0, Vec::len));
    if r < 2 || c < 2 {
        return None;
    }
    let rows: Vec<f64> = t.iter().map(|row| row.iter().sum()).collect();
    let cols: Vec<f64> = (0..c).map(|j| t.iter().map(|row| row[j]).sum()).collect();
    let n: f64 = rows.iter().sum();
    let mut x2 = 0.0;
    let mut min_e = f64::INFINITY;
    for i in 0..r {
        for j in 0..c {
            let e = rows[i] * cols[j] / n;
            min_e = min_e.min(e);
            x2 += (t[i][j] - e) * (t[i][j] - e) / e;
        }
    }
    let df = ((r - 1) * (c - 1)) as u32;
    Some(ChiSquare {
        statistic: x2,
        df,
        p_value: chisq_upper(x2, df as f64),
        min_expected: min_e,
        small_expected: min_e < 5.0,
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
    /// F = X² / tr(Δ), on (d0, d0·(n−1)) degrees of freedom.
    pub f_statistic: f64,
    pub f_p_value: f64,
    /// First-order: X² / mean(δ) against chi-square on (r−1)(c−1) df.
    pub chisq_p_value: f64,
    pub df: u32,
}

/// Per-cell sums for a weighted table: Σw and Σw² of the respondents in each cell.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedCells {
    pub rows: usize,
    pub cols: usize,
    pub sw: Vec<f64>,
    pub sw2: Vec<f64>,
    pub n: u64,
}

impl WeightedCells {
    pub fn new(rows: usize, cols: usize) -> WeightedCells {
        WeightedCells {
            rows,
            cols,
            sw: vec![0.0; rows * cols],
            sw2: vec![0.0; rows * cols],
            n: 0,
        }
    }
    pub fn add(&mut self, row: usize, col: usize, w: f64) {
        let k = row + self.rows * col;
        self.sw[k] += w;
        self.sw2[k] += w * w;
        self.n += 1;
    }
}

type Mat = Vec<Vec<f64>>;

fn matmul(a: &Mat, b: &Mat) -> Mat {
    let (n, m, p) = (a.len(), b.len(), b.first().map_or(0, Vec::len));
    let mut out = vec![vec![0.0; p]; n];
    for i in 0..n {
        for k in 0..m {
            let aik = a[i][k];
            if aik != 0.0 {
                for j in 0..p {
                    out[i][j] += aik * b[k][j];
                }
            }
        }
    }
    out
}

fn transpose(a: &Mat) -> Mat {
    let (n, m) = (a.len(), a.first().map_or(0, Vec::len));
    (0..m).map(|j| (0..n).map(|i| a[i][j]).collect()).collect()
}

/// A⁻¹B by Gauss–Jordan elimination with partial pivoting.
fn solve(a: &Mat, b: &Mat) -> Option<Mat> {
    let n = a.len();
    let p = b.first().map_or(0, Vec::len);
    let mut aug: Mat = a
        .iter()
        .zip(b)
        .map(|(ra, rb)| ra.iter().chain(rb).copied().collect())
        .collect();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| aug[i][col].abs().total_cmp(&aug[j][col].abs()))?;
        if aug[piv][col].abs() < 1e-300 {
            return None;
        }
        aug.swap(col, piv);
        let d = aug[col][col];
        for v in aug[col].iter_mut() {
            *v /= d;
        }
        for r in 0..n {
            if r != col {
                let f = aug[r][col];
                if f != 0.0 {
                    let pivot_row = aug[col].clone();
                    for (v, pv) in aug[r].iter_mut().zip(&pivot_row) {
                        *v -= f * pv;
                    }
                }
            }
        }
    }
    Some(aug.into_iter().map(|row| row[n..n + p].to_vec()).collect())
}

/// The Rao–Scott tests of a weighted r×c table from a one-stage design with `n` respondents,
/// computed as R's `svychisq` does.
pub fn rao_scott(cells: &WeightedCells) -> Option<RaoScott> {
    let (r, c) = (cells.rows, cells.cols);
    if r < 2 || c < 2 || cells.n < 2 {
        return None;
    }
    let k = r * c;
    let nf = cells.n as f64;
    let w: f64 = cells.sw.iter().sum();
    let t2: f64 = cells.sw2.iter().sum();
    let p: Vec<f64> = cells.sw.iter().map(|s| s / w).collect();
    // Design covariance of the cell proportions: n/(n−1) Σ z zᵀ with z = w (e − p)/Σw.
    let f = nf / (nf - 1.0) / (w * w);
    let v: Mat = (0..k)
        .map(|a| {
            (0..k)
                .map(|b| {
                    f * ((if a == b { cells.sw2[a] } else { 0.0 })
                        - cells.sw2[a] * p[b]
                        - p[a] * cells.sw2[b]
                        + t2 * p[a] * p[b])
                })
                .collect()
        })
        .collect();
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
    let numr = matmul(&transpose(&idc), &matmul(&v, &idc));
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
        f_p_value: f_upper(fstat, d0, d0 * (nf - 1.0)),
        chisq_p_value: chisq_upper(x2 / (tr / m as f64), m as f64),
        df: m as u32,
    })
}
