//! Confidence intervals for proportions.
//!
//! Unweighted counts (x of n): Wilson's score interval (the default; R's
//! `prop.test(correct = FALSE)`), the exact Clopper–Pearson interval (R's `binom.test`), and the
//! logit interval of R's survey package for a simple random sample (`svyciprop(method =
//! "xlogit")`: t with n−1 degrees of freedom, design variance p(1−p)/(n−1)).
//!
//! Weighted proportions ([`WeightedProportion`], from [`crate::design::ratios`]) carry their
//! design-based variance and degrees of freedom: the logit interval, the Korn–Graubard version
//! of Clopper–Pearson (`svyciprop(method = "beta")`), and Wilson's interval on the effective
//! sample size p(1−p)/var.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::special::{beta_quantile, norm_quantile, t_quantile};

/// Which interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    #[default]
    Wilson,
    Logit,
    ClopperPearson,
}

impl Method {
    pub fn zh(self) -> &'static str {
        match self {
            Method::Wilson => "Wilson",
            Method::Logit => "logit",
            Method::ClopperPearson => "Clopper–Pearson",
        }
    }
}

/// An interval for a proportion (0–1 scale).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Interval {
    pub method: Method,
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
    pub level: f64,
}

/// Wilson score interval for x of n.
pub fn wilson(x: u64, n: u64, level: f64) -> Option<Interval> {
    (n > 0 && x <= n).then(|| {
        let p = x as f64 / n as f64;
        let (lower, upper) = wilson_bounds(p, n as f64, level);
        Interval {
            method: Method::Wilson,
            estimate: p,
            lower,
            upper,
            level,
        }
    })
}

/// Wilson score interval with continuity correction for x of n (Newcombe 1998, method 4):
/// each bound is the Wilson bound at p ∓ 1/(2n), 0 for x = 0 and 1 for x = n. R's
/// `prop.test(x, n, correct = TRUE)$conf.int` is the same, except at x = n/2, where R
/// applies no correction.
pub fn wilson_corrected(x: u64, n: u64, level: f64) -> Option<Interval> {
    (n > 0 && x <= n).then(|| {
        let (p, nf) = (x as f64 / n as f64, n as f64);
        let shift = 0.5 / nf;
        let lower = if x == 0 {
            0.0
        } else {
            wilson_bounds(p - shift, nf, level).0
        };
        let upper = if x == n {
            1.0
        } else {
            wilson_bounds(p + shift, nf, level).1
        };
        Interval {
            method: Method::Wilson,
            estimate: p,
            lower,
            upper,
            level,
        }
    })
}

fn wilson_bounds(p: f64, n: f64, level: f64) -> (f64, f64) {
    let z = norm_quantile(1.0 - (1.0 - level) / 2.0);
    let z22n = z * z / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z22n / (2.0 * n)).sqrt();
    let upper = if p >= 1.0 {
        1.0
    } else {
        (p + z22n + half) / (1.0 + 2.0 * z22n)
    };
    let lower = if p <= 0.0 {
        0.0
    } else {
        (p + z22n - half) / (1.0 + 2.0 * z22n)
    };
    (lower.max(0.0), upper.min(1.0))
}

/// Exact Clopper–Pearson interval for x of n.
pub fn clopper_pearson(x: u64, n: u64, level: f64) -> Option<Interval> {
    (n > 0 && x <= n).then(|| {
        let a = 1.0 - level;
        let (xf, nf) = (x as f64, n as f64);
        let lower = if x == 0 {
            0.0
        } else {
            beta_quantile(a / 2.0, xf, nf - xf + 1.0)
        };
        let upper = if x == n {
            1.0
        } else {
            beta_quantile(1.0 - a / 2.0, xf + 1.0, nf - xf)
        };
        Interval {
            method: Method::ClopperPearson,
            estimate: xf / nf,
            lower,
            upper,
            level,
        }
    })
}

/// The survey package's logit interval for x of n from a simple random sample.
pub fn logit(x: u64, n: u64, level: f64) -> Option<Interval> {
    WeightedProportion::unweighted(x, n)?.logit(level)
}

/// The interval of `method` for x of n.
pub fn interval(method: Method, x: u64, n: u64, level: f64) -> Option<Interval> {
    match method {
        Method::Wilson => wilson(x, n, level),
        Method::Logit => logit(x, n, level),
        Method::ClopperPearson => clopper_pearson(x, n, level),
    }
}

/// A weighted proportion with its design-based standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeightedProportion {
    pub estimate: f64,
    /// Design-based variance of the estimate.
    pub variance: f64,
    /// Respondents.
    pub n: u64,
    /// Degrees of freedom: n − 1 for a one-stage design.
    pub df: f64,
    /// Kish's effective sample size of the weights, (Σw)²/Σw².
    pub kish_n: f64,
}

/// Sums for an unweighted proportion seen as a design with every weight 1.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct ProportionSums {
    n: u64,
    sw: f64,
    swy: f64,
    sw2: f64,
    sw2y: f64,
}

impl ProportionSums {
    /// The estimate with its linearization variance: n/(n−1) · Σ w²(y−p)² / (Σw)².
    fn finish(&self) -> Option<WeightedProportion> {
        (self.n > 1 && self.sw > 0.0).then(|| {
            let p = self.swy / self.sw;
            // Σ w²(y−p)² = Σw²y (1−p)² + (Σw² − Σw²y) p²  (y is 0 or 1)
            let ss = self.sw2y * (1.0 - p) * (1.0 - p) + (self.sw2 - self.sw2y) * p * p;
            let n = self.n as f64;
            WeightedProportion {
                estimate: p,
                variance: n / (n - 1.0) * ss / (self.sw * self.sw),
                n: self.n,
                df: n - 1.0,
                kish_n: self.sw * self.sw / self.sw2,
            }
        })
    }
}

impl WeightedProportion {
    /// x of n with every weight 1.
    pub fn unweighted(x: u64, n: u64) -> Option<WeightedProportion> {
        if x > n {
            return None;
        }
        let mut s = ProportionSums {
            n,
            sw: n as f64,
            swy: x as f64,
            sw2: n as f64,
            sw2y: x as f64,
        };
        s.n = n;
        s.finish()
    }

    /// Logit interval: expit(logit p ± t · se / (p(1−p))), as `svyciprop(method = "xlogit")`.
    pub fn logit(&self, level: f64) -> Option<Interval> {
        let p = self.estimate;
        if !(p > 0.0 && p < 1.0) {
            return None;
        }
        let t = t_quantile(1.0 - (1.0 - level) / 2.0, self.df);
        let se = self.variance.sqrt() / (p * (1.0 - p));
        let l = (p / (1.0 - p)).ln();
        let expit = |v: f64| 1.0 / (1.0 + (-v).exp());
        Some(Interval {
            method: Method::Logit,
            estimate: p,
            lower: expit(l - t * se),
            upper: expit(l + t * se),
            level,
        })
    }

    /// Korn–Graubard interval, as `svyciprop(method = "beta")`.
    pub fn clopper_pearson(&self, level: f64) -> Option<Interval> {
        let p = self.estimate;
        if !(p > 0.0 && p < 1.0) || self.variance <= 0.0 {
            return None;
        }
        let a = 1.0 - level;
        let n_eff = p * (1.0 - p) / self.variance;
        Some(Interval {
            method: Method::ClopperPearson,
            estimate: p,
            lower: beta_quantile(a / 2.0, n_eff * p, n_eff * (1.0 - p) + 1.0),
            upper: beta_quantile(1.0 - a / 2.0, n_eff * p + 1.0, n_eff * (1.0 - p)),
            level,
        })
    }

    /// Wilson's interval on the effective sample size p(1−p)/var (Kish's when p is 0 or 1).
    pub fn wilson(&self, level: f64) -> Option<Interval> {
        let p = self.estimate;
        let n_eff = if p > 0.0 && p < 1.0 && self.variance > 0.0 {
            p * (1.0 - p) / self.variance
        } else {
            self.kish_n
        };
        let (lower, upper) = wilson_bounds(p, n_eff, level);
        Some(Interval {
            method: Method::Wilson,
            estimate: p,
            lower,
            upper,
            level,
        })
    }

    pub fn interval(&self, method: Method, level: f64) -> Option<Interval> {
        match method {
            Method::Wilson => self.wilson(level),
            Method::Logit => self.logit(level),
            Method::ClopperPearson => self.clopper_pearson(level),
        }
    }
}
