//! Weighting respondents to population margins: bounded raking as R's survey package computes
//! it with `calibrate(calfun = "raking", bounds = c(lo, hi))`, i.e. the Newton iteration of
//! `survey:::grake` on the raking distance with weight ratios kept within the bounds.
//!
//! Raking and bounding happen together: the weights meet every margin *and* stay within the
//! bounds, or the iteration does not converge and the caller is told so with the shares it did
//! reach. Trimming after raking, which breaks the margins again, is not offered.
//!
//! Respondents with the same categories on every raking variable get the same weight, so the
//! whole computation runs on the counts of these patterns ([`Patterns`]) and never holds a
//! record.

use std::collections::HashMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::linalg::{Mat, ginv, mat_vec};

/// Population margins of the raking variables, declared in a report folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarginsSpec {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Where the population figures come from.
    pub source: String,
    /// One margin per raking variable: question id → option code → population count or share.
    pub margins: IndexMap<String, IndexMap<String, f64>>,
    /// Convergence: every margin met to within `epsilon` × (1 + its population total), R's
    /// `calibrate(epsilon = )`.
    #[serde(default = "default_epsilon")]
    pub epsilon: f64,
    /// Newton steps before giving up (R's `maxit`).
    #[serde(default = "default_max_iter")]
    pub max_iterations: u32,
    /// Bounds on each weight as a multiple of the mean weight, e.g. [0.3, 3.0]. Raking keeps
    /// every weight within them while meeting the margins, or reports that it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<[f64; 2]>,
}

fn default_epsilon() -> f64 {
    1e-7
}
fn default_max_iter() -> u32 {
    50
}

/// A category's target, achieved and sample share, for messages and summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CategoryShares {
    pub code: String,
    /// Population share (0–1).
    pub target: f64,
    /// Weighted share the weights reach (0–1).
    pub achieved: f64,
    /// Unweighted share in the sample (0–1).
    pub sample: f64,
}

/// The shares of one raking variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MarginShares {
    pub variable: String,
    pub categories: Vec<CategoryShares>,
}

fn describe_shares(margins: &[MarginShares]) -> String {
    margins
        .iter()
        .map(|m| {
            let cats: Vec<String> = m
                .categories
                .iter()
                .map(|c| {
                    format!(
                        "{} target {:.2}% reached {:.2}%",
                        c.code,
                        c.target * 100.0,
                        c.achieved * 100.0
                    )
                })
                .collect();
            format!("`{}`: {}", m.variable, cats.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why raking could not give weights.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RakeError {
    #[error(
        "the margins of `{variable}` sum to {sum}, those of `{first}` to {first_sum}: every margin must describe the same population"
    )]
    MarginsDisagree {
        variable: String,
        sum: f64,
        first: String,
        first_sum: f64,
    },
    #[error(
        "`{variable}`: {count} respondent(s) have no value (not shown or not answered); raking needs every respondent classified"
    )]
    Missing { variable: String, count: u64 },
    #[error(
        "`{variable}`: category `{category}` has {count} respondent(s) but no population margin"
    )]
    NotInMargins {
        variable: String,
        category: String,
        count: u64,
    },
    #[error(
        "`{variable}`: category `{category}` has a population margin of {target} but no respondent; merge it with a neighbour"
    )]
    NotInSample {
        variable: String,
        category: String,
        target: f64,
    },
    #[error("`{variable}`: margin `{category}` is {target}; margins must be positive numbers")]
    BadTarget {
        variable: String,
        category: String,
        target: f64,
    },
    #[error(
        "bounds [{lower}, {upper}] must satisfy 0 ≤ lower < 1 < upper (multiples of the mean weight)"
    )]
    BadBounds { lower: f64, upper: f64 },
    #[error(
        "raking {bounds}did not meet the margins after {iterations} iterations (largest relative misfit {misfit:.3e}, tolerance {epsilon:.1e}): {}; widen the bounds, merge small categories, or drop a raking variable",
        describe_shares(shares)
    )]
    NotConverged {
        iterations: u32,
        misfit: f64,
        epsilon: f64,
        bounds: String,
        shares: Vec<MarginShares>,
    },
    #[error("there are no respondents to rake")]
    Empty,
}

/// One raking variable: its categories and the population total or share of each.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    pub categories: Vec<String>,
    pub targets: Vec<Option<f64>>,
}

/// Respondents counted by their categories on the raking variables. Respondents in one pattern
/// get one weight.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Patterns {
    vars: usize,
    index: HashMap<Vec<usize>, usize>,
    /// Each pattern's category per variable.
    pub keys: Vec<Vec<usize>>,
    /// Respondents per pattern.
    pub counts: Vec<u64>,
    /// Respondents without a value, per variable.
    pub missing: Vec<u64>,
}

impl Patterns {
    pub fn new(vars: usize) -> Patterns {
        Patterns {
            vars,
            missing: vec![0; vars],
            ..Patterns::default()
        }
    }

    /// Count one respondent; `None` where the respondent has no value. Returns the pattern.
    pub fn add(&mut self, categories: &[Option<usize>]) -> Option<usize> {
        assert_eq!(
            categories.len(),
            self.vars,
            "one category per raking variable"
        );
        let mut key = Vec::with_capacity(self.vars);
        let mut complete = true;
        for (v, c) in categories.iter().enumerate() {
            match c {
                Some(c) => key.push(*c),
                None => {
                    self.missing[v] += 1;
                    complete = false;
                }
            }
        }
        if !complete {
            return None;
        }
        let next = self.keys.len();
        let p = *self.index.entry(key.clone()).or_insert(next);
        if p == next {
            self.keys.push(key);
            self.counts.push(0);
        }
        self.counts[p] += 1;
        Some(p)
    }

    /// The pattern of a respondent with these categories, if any respondent had them.
    pub fn find(&self, categories: &[usize]) -> Option<usize> {
        self.index.get(categories).copied()
    }

    pub fn respondents(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// How to rake.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub epsilon: f64,
    pub max_iterations: u32,
    /// Weight bounds as multiples of the mean weight.
    pub bounds: Option<[f64; 2]>,
    /// Return the last iterate instead of an error when the margins are not met.
    pub allow_unconverged: bool,
}

impl Settings {
    pub fn of(spec: &MarginsSpec, allow_unconverged: bool) -> Settings {
        Settings {
            epsilon: spec.epsilon,
            max_iterations: spec.max_iterations,
            bounds: spec.bounds,
            allow_unconverged,
        }
    }
}

/// Raked weights, one per pattern, and what it took to get them.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// Every respondent's starting weight: the population total over the sample size (1 when
    /// the margins are shares).
    pub start: f64,
    /// Per pattern: the weight ratio g, so that each respondent's weight is `start · g`.
    pub g: Vec<f64>,
    pub converged: bool,
    /// Newton iterations, counted as R counts them.
    pub iterations: u32,
    /// Largest |misfit| / (1 + population total) at the end.
    pub misfit: f64,
    /// Respondents whose weight sits on a bound.
    pub trimmed: u64,
    /// Kish's effective sample size (Σw)²/Σw².
    pub kish_n: f64,
    /// Kish's design effect n / effective n.
    pub deff: f64,
    pub shares: Vec<MarginShares>,
    /// The calibration model: per pattern, its row of the model matrix (intercept and one
    /// indicator per non-reference category of each variable).
    model: Vec<Vec<f64>>,
    /// (Σᵢ startᵢ mᵢ mᵢᵀ)⁺, for the calibration-aware variance.
    gram_inverse: Mat,
}

impl Calibration {
    /// The weight of a respondent in `pattern`.
    pub fn weight(&self, pattern: usize) -> f64 {
        self.start * self.g[pattern]
    }

    /// The weight ratio of a respondent in `pattern`.
    pub fn ratio(&self, pattern: usize) -> f64 {
        self.g[pattern]
    }

    pub fn model_row(&self, pattern: usize) -> &[f64] {
        &self.model[pattern]
    }

    pub fn gram_inverse(&self) -> &Mat {
        &self.gram_inverse
    }
}

/// The bounded raking function g = clamp(exp(u), lo, hi) and its derivative. R's `cal.raking`
/// sets the derivative to 0 outside `lo − 1 < u < hi − 1`, comparing the log-ratio u with the
/// ratio bounds (a slip carried over from the linear distance); its Newton steps then stall on
/// weights between lo and e^(lo−1), and it reports failure for bounds that can be met. The
/// exact derivative is used here. Where R converges the weights agree, because the bounded
/// raking solution is unique (the distance is strictly convex).
fn g_of(u: f64, lo: f64, hi: f64) -> (f64, f64) {
    let e = u.exp();
    let g = e.max(lo).min(hi);
    (g, if e > lo && e < hi { e } else { 0.0 })
}

/// Rake the counted respondents to the variables' margins, keeping weights within the bounds.
/// Margins may be counts or shares; shares give weights that average 1.
pub fn calibrate(
    vars: &[Variable],
    patterns: &Patterns,
    settings: Settings,
) -> Result<Calibration, RakeError> {
    let n = patterns.respondents();
    for (v, &m) in vars.iter().zip(&patterns.missing) {
        if m > 0 {
            return Err(RakeError::Missing {
                variable: v.name.clone(),
                count: m,
            });
        }
    }
    if n == 0 {
        return Err(RakeError::Empty);
    }
    let (lo, hi) = match settings.bounds {
        Some([lo, hi]) => {
            if !((0.0..1.0).contains(&lo) && hi > 1.0) {
                return Err(RakeError::BadBounds {
                    lower: lo,
                    upper: hi,
                });
            }
            (lo, hi)
        }
        None => (f64::NEG_INFINITY, f64::INFINITY),
    };
    // Sample counts per category, and the checks of the margins against them.
    let mut first: Option<(String, f64)> = None;
    let mut sample: Vec<Vec<u64>> = Vec::new();
    for (vi, v) in vars.iter().enumerate() {
        let mut counts = vec![0u64; v.categories.len()];
        for (key, &c) in patterns.keys.iter().zip(&patterns.counts) {
            counts[key[vi]] += c;
        }
        for (k, cat) in v.categories.iter().enumerate() {
            match v.targets[k] {
                None if counts[k] > 0 => {
                    return Err(RakeError::NotInMargins {
                        variable: v.name.clone(),
                        category: cat.clone(),
                        count: counts[k],
                    });
                }
                Some(t) if !(t.is_finite() && t > 0.0) && counts[k] > 0 => {
                    return Err(RakeError::BadTarget {
                        variable: v.name.clone(),
                        category: cat.clone(),
                        target: t,
                    });
                }
                Some(t) if t > 0.0 && counts[k] == 0 => {
                    return Err(RakeError::NotInSample {
                        variable: v.name.clone(),
                        category: cat.clone(),
                        target: t,
                    });
                }
                _ => {}
            }
        }
        let sum: f64 = v.targets.iter().flatten().sum();
        match &first {
            None => first = Some((v.name.clone(), sum)),
            Some((fname, fsum)) if (sum - fsum).abs() > 1e-9 * fsum.abs().max(1.0) => {
                return Err(RakeError::MarginsDisagree {
                    variable: v.name.clone(),
                    sum,
                    first: fname.clone(),
                    first_sum: *fsum,
                });
            }
            _ => {}
        }
        sample.push(counts);
    }
    let nf = n as f64;
    let target_sum = first.as_ref().map_or(1.0, |f| f.1);
    // Shares describe a population of the sample's size; counts, one of their own.
    let total = if (target_sum - 1.0).abs() < 1e-9 || vars.is_empty() {
        nf
    } else {
        target_sum
    };
    let start = total / nf;
    let scale = total / target_sum;
    // The model matrix: an intercept and an indicator for every category with respondents but
    // the first, as R's `model.matrix(~a + b)` builds it; and the population totals.
    let mut population = vec![total];
    let mut columns: Vec<(usize, usize)> = Vec::new();
    for (vi, v) in vars.iter().enumerate() {
        let present: Vec<usize> = (0..v.categories.len())
            .filter(|&k| sample[vi][k] > 0)
            .collect();
        for &k in present.iter().skip(1) {
            columns.push((vi, k));
            population.push(v.targets[k].unwrap_or(0.0) * scale);
        }
    }
    let p = population.len();
    let model: Vec<Vec<f64>> = patterns
        .keys
        .iter()
        .map(|key| {
            let mut row = Vec::with_capacity(p);
            row.push(1.0);
            row.extend(
                columns
                    .iter()
                    .map(|&(vi, k)| if key[vi] == k { 1.0 } else { 0.0 }),
            );
            row
        })
        .collect();
    let ww: Vec<f64> = patterns.counts.iter().map(|&c| c as f64 * start).collect();
    let mut sample_total = vec![0.0; p];
    for (row, &w) in model.iter().zip(&ww) {
        for (s, &x) in sample_total.iter_mut().zip(row) {
            *s += w * x;
        }
    }
    // The weights solve the calibration equations Σ wᵢ g(mᵢ·η) mᵢ = totals. They are the
    // stationary point of the convex dual F(η) = Σ wᵢ Φ(mᵢ·η) − η·totals with Φ' = g, found by
    // Newton's method with a Levenberg–Marquardt safeguard and a backtracking line search on
    // F: where every weight a direction moves sits on a bound, F is flat in it and a plain
    // Newton step (R's) cannot move the weights off the bound again.
    let mut eta = vec![0.0; p];
    let (llo, lhi) = (lo.ln(), hi.ln());
    let phi = |u: f64| -> f64 {
        if u <= llo {
            lo * (u - llo) + lo
        } else if u >= lhi {
            hi * (u - lhi) + hi
        } else {
            u.exp()
        }
    };
    let us = |eta: &[f64]| -> Vec<f64> {
        model
            .iter()
            .map(|row| row.iter().zip(eta).map(|(a, b)| a * b).sum())
            .collect()
    };
    let objective = |eta: &[f64]| -> f64 {
        let u = us(eta);
        u.iter().zip(&ww).map(|(&x, &w)| w * phi(x)).sum::<f64>()
            - eta.iter().zip(&population).map(|(a, b)| a * b).sum::<f64>()
    };
    let state = |eta: &[f64]| -> (Vec<f64>, Vec<f64>) {
        us(eta).into_iter().map(|u| g_of(u, lo, hi)).unzip()
    };
    let misfit_of = |g: &[f64]| -> Vec<f64> {
        let mut m = population.clone();
        for ((row, &w), &gi) in model.iter().zip(&ww).zip(g) {
            for (mj, &x) in m.iter_mut().zip(row) {
                *mj -= w * x * gi;
            }
        }
        m
    };
    let met = |m: &[f64]| {
        m.iter()
            .zip(&population)
            .all(|(a, b)| a.abs() / (1.0 + b.abs()) < settings.epsilon)
    };
    let scale_h = model
        .iter()
        .zip(&ww)
        .map(|(row, w)| w * row.iter().map(|x| x * x).sum::<f64>())
        .fold(0.0, f64::max)
        .max(1.0);
    let mut mu = 1e-6 * scale_h;
    let (mut g, mut deriv) = state(&eta);
    let mut misfit = misfit_of(&g);
    let mut iter: u32 = 0;
    let mut converged = met(&misfit);
    let mut f_now = objective(&eta);
    while !converged && iter < settings.max_iterations {
        iter += 1;
        let mut h = vec![vec![0.0; p]; p];
        for ((row, &w), &d) in model.iter().zip(&ww).zip(&deriv) {
            let f = w * d;
            if f == 0.0 {
                continue;
            }
            for a in 0..p {
                if row[a] != 0.0 {
                    for b in 0..p {
                        h[a][b] += f * row[a] * row[b];
                    }
                }
            }
        }
        // Newton step on the dual, −∇F = misfit; shifted by μ where F is flat.
        let mut accepted = false;
        for _ in 0..60 {
            let mut shifted = h.clone();
            for (a, row) in shifted.iter_mut().enumerate() {
                row[a] += mu;
            }
            let step = mat_vec(&ginv(&shifted, 256.0 * f64::EPSILON), &misfit);
            let slope: f64 = -step.iter().zip(&misfit).map(|(a, b)| a * b).sum::<f64>();
            let mut t = 1.0;
            while t > 1e-12 {
                let trial: Vec<f64> = eta.iter().zip(&step).map(|(e, s)| e + t * s).collect();
                let f_trial = objective(&trial);
                if f_trial.is_finite() && f_trial <= f_now + 1e-4 * t * slope {
                    eta = trial;
                    f_now = f_trial;
                    accepted = true;
                    break;
                }
                t /= 2.0;
            }
            if accepted {
                if t == 1.0 {
                    mu = (mu / 10.0).max(1e-12 * scale_h);
                }
                break;
            }
            mu *= 10.0;
        }
        (g, deriv) = state(&eta);
        misfit = misfit_of(&g);
        converged = met(&misfit);
        if !accepted {
            break;
        }
    }
    // What the weights reach, per category.
    let weights: Vec<f64> = g.iter().map(|x| x * start).collect();
    let sw: f64 = weights
        .iter()
        .zip(&patterns.counts)
        .map(|(w, &c)| w * c as f64)
        .sum();
    let sw2: f64 = weights
        .iter()
        .zip(&patterns.counts)
        .map(|(w, &c)| w * w * c as f64)
        .sum();
    let shares: Vec<MarginShares> = vars
        .iter()
        .enumerate()
        .map(|(vi, v)| {
            let mut achieved = vec![0.0; v.categories.len()];
            for ((key, &c), w) in patterns.keys.iter().zip(&patterns.counts).zip(&weights) {
                achieved[key[vi]] += c as f64 * w;
            }
            MarginShares {
                variable: v.name.clone(),
                categories: v
                    .categories
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| sample[vi][k] > 0 || v.targets[k].is_some_and(|t| t > 0.0))
                    .map(|(k, code)| CategoryShares {
                        code: code.clone(),
                        target: v.targets[k].unwrap_or(0.0) / target_sum,
                        achieved: achieved[k] / sw,
                        sample: sample[vi][k] as f64 / nf,
                    })
                    .collect(),
            }
        })
        .collect();
    let misfit = misfit
        .iter()
        .zip(&population)
        .map(|(a, b)| a.abs() / (1.0 + b.abs()))
        .fold(0.0, f64::max);
    let iter = iter.max(1);
    if !converged && !settings.allow_unconverged {
        return Err(RakeError::NotConverged {
            iterations: iter.min(settings.max_iterations),
            misfit,
            epsilon: settings.epsilon,
            bounds: match settings.bounds {
                Some([lo, hi]) => format!("within bounds [{lo}, {hi}] × the mean weight "),
                None => String::new(),
            },
            shares,
        });
    }
    let at_bound = |x: f64| {
        settings.bounds.is_some_and(|[lo, hi]| {
            (x - lo).abs() <= 1e-12 * lo.max(1.0) || (x - hi).abs() <= 1e-12 * hi
        })
    };
    let trimmed = g
        .iter()
        .zip(&patterns.counts)
        .filter(|(x, _)| at_bound(**x))
        .map(|(_, &c)| c)
        .sum();
    let mut gram = vec![vec![0.0; p]; p];
    for (row, &w) in model.iter().zip(&ww) {
        for a in 0..p {
            for b in 0..p {
                gram[a][b] += w * row[a] * row[b];
            }
        }
    }
    let kish_n = sw * sw / sw2;
    Ok(Calibration {
        start,
        g,
        converged,
        iterations: iter.min(settings.max_iterations),
        misfit,
        trimmed,
        kish_n,
        deff: nf / kish_n,
        shares,
        model,
        gram_inverse: ginv(&gram, 256.0 * f64::EPSILON),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(rows: &[&[usize]]) -> Patterns {
        let mut p = Patterns::new(rows[0].len());
        for r in rows {
            p.add(&r.iter().map(|&c| Some(c)).collect::<Vec<_>>());
        }
        p
    }

    fn settings(bounds: Option<[f64; 2]>) -> Settings {
        Settings {
            epsilon: 1e-10,
            max_iterations: 50,
            bounds,
            allow_unconverged: false,
        }
    }

    #[test]
    fn one_variable_is_post_stratification() {
        let p = patterns(&[&[0], &[0], &[0], &[1]]);
        let v = Variable {
            name: "a".into(),
            categories: vec!["x".into(), "y".into()],
            targets: vec![Some(0.5), Some(0.5)],
        };
        let c = calibrate(&[v], &p, settings(None)).unwrap();
        assert!(c.converged);
        let w0 = c.weight(p.find(&[0]).unwrap());
        let w1 = c.weight(p.find(&[1]).unwrap());
        assert!((w0 - 2.0 / 3.0).abs() < 1e-12 && (w1 - 2.0).abs() < 1e-12);
        assert_eq!(c.trimmed, 0);
        assert!((c.shares[0].categories[1].achieved - 0.5).abs() < 1e-12);
    }

    #[test]
    fn bounds_that_cannot_hold_are_reported_with_the_shares_reached() {
        let p = patterns(&[&[0], &[0], &[0], &[0], &[0], &[0], &[0], &[0], &[0], &[1]]);
        let v = Variable {
            name: "a".into(),
            categories: vec!["x".into(), "y".into()],
            targets: vec![Some(0.5), Some(0.5)],
        };
        let e = calibrate(std::slice::from_ref(&v), &p, settings(Some([0.5, 2.0]))).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, RakeError::NotConverged { .. }), "{msg}");
        assert!(msg.contains("`a`: x target 50.00% reached"), "{msg}");
        let mut s = settings(Some([0.5, 2.0]));
        s.allow_unconverged = true;
        let c = calibrate(&[v], &p, s).unwrap();
        assert!(!c.converged);
        assert!(c.shares[0].categories[1].achieved < 0.5);
    }

    #[test]
    fn two_variables_with_binding_bounds_meet_the_margins_inside_them() {
        let mut rows: Vec<Vec<usize>> = Vec::new();
        for i in 0..200usize {
            rows.push(vec![usize::from(i % 5 == 0), (i * 7 % 3).min(2)]);
        }
        let refs: Vec<&[usize]> = rows.iter().map(Vec::as_slice).collect();
        let p = patterns(&refs);
        let a = Variable {
            name: "a".into(),
            categories: vec!["0".into(), "1".into()],
            targets: vec![Some(0.6), Some(0.4)],
        };
        let b = Variable {
            name: "b".into(),
            categories: vec!["0".into(), "1".into(), "2".into()],
            targets: vec![Some(0.2), Some(0.3), Some(0.5)],
        };
        let free = calibrate(&[a.clone(), b.clone()], &p, settings(None)).unwrap();
        let max_free = free.g.iter().copied().fold(0.0, f64::max);
        let hi = max_free * 0.95;
        let c = calibrate(&[a, b], &p, settings(Some([0.3, hi]))).unwrap();
        assert!(c.converged && c.trimmed > 0, "{c:?}");
        for m in &c.shares {
            for k in &m.categories {
                assert!((k.achieved - k.target).abs() < 1e-8, "{m:?}");
            }
        }
        assert!(c.g.iter().all(|&x| (0.3 - 1e-12..=hi + 1e-12).contains(&x)));
    }
}
