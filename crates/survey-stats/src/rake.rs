//! Raking (iterative proportional fitting) of respondents to population margins, as R's
//! survey package's `rake()` does it, with weight trimming as `trimWeights()` does it.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
    /// Convergence: the largest change of any weighted cell between sweeps. Below 1 it is a
    /// fraction of the total weight (R's `epsilon`).
    #[serde(default = "default_epsilon")]
    pub epsilon: f64,
    #[serde(default = "default_max_iter")]
    pub max_iterations: u32,
    /// Weight bounds relative to the mean weight, e.g. [0.3, 3.0]; weights outside are trimmed
    /// to the bound and the excess spread over the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<[f64; 2]>,
}

fn default_epsilon() -> f64 {
    1e-8
}
fn default_max_iter() -> u32 {
    100
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
    Missing { variable: String, count: usize },
    #[error(
        "`{variable}`: category `{category}` has {count} respondent(s) but no population margin"
    )]
    NotInMargins {
        variable: String,
        category: String,
        count: usize,
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
        "raking did not converge after {iterations} sweeps: a weighted cell still moved by {change:.3e} (tolerance {epsilon:.3e}); raise max_iterations or check the margins"
    )]
    NotConverged {
        iterations: u32,
        change: f64,
        epsilon: f64,
    },
    #[error("there are no respondents to rake")]
    Empty,
}

/// One raking variable: each respondent's category (index into `categories`), and the
/// population total of each category.
pub struct Variable {
    pub name: String,
    pub categories: Vec<String>,
    pub of_respondent: Vec<Option<usize>>,
    pub targets: Vec<Option<f64>>,
}

/// The outcome of raking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Raked {
    pub weights: Vec<f64>,
    pub converged: bool,
    /// Sweeps that did not yet converge (as R counts them).
    pub iterations: u32,
    /// Largest weighted-cell change in the last sweep.
    pub last_change: f64,
    /// Weights moved to a bound by trimming.
    pub trimmed: usize,
    /// Kish's effective sample size (Σw)²/Σw².
    pub kish_n: f64,
    /// Kish's design effect n / effective n.
    pub deff: f64,
}

/// Rake `n` respondents (starting weights `start`) to the variables' margins. Margins may be
/// counts or shares; shares are scaled to the total of the starting weights.
pub fn rake(
    vars: &[Variable],
    start: &[f64],
    epsilon: f64,
    max_iterations: u32,
    bounds: Option<[f64; 2]>,
) -> Result<Raked, RakeError> {
    let n = start.len();
    if n == 0 {
        return Err(RakeError::Empty);
    }
    let total_start: f64 = start.iter().sum();
    let mut targets: Vec<Vec<f64>> = Vec::new();
    let mut first: Option<(String, f64)> = None;
    for v in vars {
        let missing = v.of_respondent.iter().filter(|c| c.is_none()).count();
        if missing > 0 {
            return Err(RakeError::Missing {
                variable: v.name.clone(),
                count: missing,
            });
        }
        let mut counts = vec![0usize; v.categories.len()];
        for c in v.of_respondent.iter().flatten() {
            counts[*c] += 1;
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
        let shares = (sum - 1.0).abs() < 1e-9;
        targets.push(
            v.targets
                .iter()
                .map(|t| t.unwrap_or(0.0) * if shares { total_start } else { 1.0 })
                .collect(),
        );
    }
    let eps = if epsilon < 1.0 {
        epsilon * total_start
    } else {
        epsilon
    };
    // The joint table of all raking variables, for the convergence check.
    let joint_key: Vec<usize> = (0..n)
        .map(|i| {
            let mut key = 0usize;
            for v in vars {
                key = key * v.categories.len() + v.of_respondent[i].expect("checked");
            }
            key
        })
        .collect();
    let joint_size: usize = vars.iter().map(|v| v.categories.len()).product();
    let joint = |w: &[f64]| {
        let mut t = vec![0.0; joint_size];
        for i in 0..n {
            t[joint_key[i]] += w[i];
        }
        t
    };
    let mut w = start.to_vec();
    let mut old = joint(&w);
    let mut iterations = 0;
    let mut converged = false;
    let mut change = f64::INFINITY;
    while iterations < max_iterations {
        for (v, tg) in vars.iter().zip(&targets) {
            let mut sums = vec![0.0; v.categories.len()];
            for (c, wi) in v.of_respondent.iter().zip(&w) {
                sums[c.expect("checked")] += wi;
            }
            for (c, wi) in v.of_respondent.iter().zip(w.iter_mut()) {
                let c = c.expect("checked");
                *wi *= tg[c] / sums[c];
            }
        }
        let new = joint(&w);
        change = old
            .iter()
            .zip(&new)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        if change < eps {
            converged = true;
            break;
        }
        old = new;
        iterations += 1;
    }
    if !converged {
        return Err(RakeError::NotConverged {
            iterations,
            change,
            epsilon: eps,
        });
    }
    let mut trimmed = 0;
    if let Some([lo, hi]) = bounds {
        let mean = w.iter().sum::<f64>() / n as f64;
        let (lo, hi) = (lo * mean, hi * mean);
        trimmed = trim(&mut w, lo, hi);
    }
    let sw: f64 = w.iter().sum();
    let sw2: f64 = w.iter().map(|x| x * x).sum();
    let kish_n = sw * sw / sw2;
    Ok(Raked {
        weights: w,
        converged,
        iterations,
        last_change: change,
        trimmed,
        kish_n,
        deff: n as f64 / kish_n,
    })
}

/// Trim weights to [lower, upper] and spread the excess equally over the weights inside, once,
/// as R's `trimWeights(strict = FALSE)`. Returns how many weights were moved.
pub fn trim(w: &mut [f64], lower: f64, upper: f64) -> usize {
    let outside: Vec<bool> = w.iter().map(|&x| x < lower || x > upper).collect();
    let count = outside.iter().filter(|o| **o).count();
    if count == 0 || count == w.len() {
        return 0;
    }
    let mut excess = 0.0;
    for (x, o) in w.iter_mut().zip(&outside) {
        if *o {
            let clipped = x.clamp(lower, upper);
            excess += *x - clipped;
            *x = clipped;
        }
    }
    let share = excess / (w.len() - count) as f64;
    for (x, o) in w.iter_mut().zip(&outside) {
        if !*o {
            *x += share;
        }
    }
    count
}
