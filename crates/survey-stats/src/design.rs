//! Design-based estimates of weighted proportions and their covariance, as R's survey package
//! computes them for a one-stage design (`svydesign(ids = ~1, weights = ~w)`), with or without
//! the raking calibration the weights came from.
//!
//! A proportion is a ratio Σ w·y / Σ w over a *domain* (say, the hospitals of one level). Its
//! variance is taken over the whole design, as `svyciprop(…, subset(design, …))` does: every
//! respondent of the dataset counts in n/(n−1), those outside the domain with an influence of
//! zero. With [`VarianceModel::Calibrated`] the influences are first replaced by their residuals
//! on the calibration model, as `svyrecvar` does for `calibrate()` and `rake()` designs, which
//! gives the smaller variance that calibration to known margins earns.
//!
//! Respondents who look the same to every estimate (same weight pattern, same answers) form a
//! [`Class`]; the computation runs on classes, never on records.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::intervals::WeightedProportion;
use crate::linalg::{Mat, mat_vec};
use crate::weighting::Calibration;

/// Which variance weighted estimates get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VarianceModel {
    /// Linearised variance that accounts for the raking: what R gives for a design from
    /// `calibrate()` or `rake()`.
    #[default]
    Calibrated,
    /// The weights taken as fixed sampling weights: R's `svydesign(ids = ~1, weights = ~w)`.
    Weighted,
}

impl VarianceModel {
    pub fn zh(self) -> &'static str {
        match self {
            VarianceModel::Calibrated => "考虑加权校准的线性化方差",
            VarianceModel::Weighted => "把权重视为固定抽样权重的线性化方差",
        }
    }
}

/// Where a class stands for one estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// Outside the estimate's domain.
    Out,
    /// In the domain, not counted in the numerator.
    In,
    /// In the domain and in the numerator.
    Chosen,
}

/// Respondents alike for every estimate at hand.
#[derive(Debug, Clone, PartialEq)]
pub struct Class {
    pub count: u64,
    /// Each respondent's weight.
    pub weight: f64,
    /// The weight pattern (for the calibration model); ignored without calibration.
    pub pattern: usize,
    /// Per estimate: where these respondents stand.
    pub flags: Vec<Flag>,
}

/// Several ratio estimates with their joint design covariance.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    /// Per estimate; `None` when its domain has no weight.
    pub estimate: Vec<Option<f64>>,
    pub covariance: Mat,
    /// Respondents in the design.
    pub n: u64,
    /// Respondents in each estimate's domain.
    pub n_domain: Vec<u64>,
    /// Kish's effective size of each domain.
    pub kish_domain: Vec<f64>,
}

impl Estimates {
    /// Estimate `j` as a proportion with its design variance and R's degrees of freedom for
    /// the domain (`degf(subset(design, …))`: its respondents less one).
    pub fn proportion(&self, j: usize) -> Option<WeightedProportion> {
        let p = self.estimate[j]?;
        let n = self.n_domain[j];
        (n > 1).then(|| WeightedProportion {
            estimate: p,
            variance: self.covariance[j][j],
            n,
            df: n as f64 - 1.0,
            kish_n: self.kish_domain[j],
        })
    }
}

/// Ratio estimates over `classes` (which must hold every respondent of the design), with the
/// covariance of `model`; `calibration` is required for [`VarianceModel::Calibrated`] and
/// gives the classes' patterns their meaning.
pub fn ratios(
    classes: &[Class],
    estimates: usize,
    model: VarianceModel,
    calibration: Option<&Calibration>,
) -> Estimates {
    let n: u64 = classes.iter().map(|c| c.count).sum();
    let mut sw = vec![0.0; estimates];
    let mut swy = vec![0.0; estimates];
    let mut sw2 = vec![0.0; estimates];
    let mut n_domain = vec![0u64; estimates];
    for c in classes {
        let (m, w) = (c.count as f64, c.weight);
        for (j, f) in c.flags.iter().enumerate() {
            if *f != Flag::Out {
                sw[j] += m * w;
                sw2[j] += m * w * w;
                n_domain[j] += c.count;
                if *f == Flag::Chosen {
                    swy[j] += m * w;
                }
            }
        }
    }
    let estimate: Vec<Option<f64>> = (0..estimates)
        .map(|j| (sw[j] > 0.0).then(|| swy[j] / sw[j]))
        .collect();
    // Each class's influence on each estimate: w (y − p) / Σw inside the domain, 0 outside.
    let mut z: Vec<Vec<f64>> = classes
        .iter()
        .map(|c| {
            c.flags
                .iter()
                .enumerate()
                .map(|(j, f)| match (f, estimate[j]) {
                    (Flag::Out, _) | (_, None) => 0.0,
                    (Flag::In, Some(p)) => c.weight * (0.0 - p) / sw[j],
                    (Flag::Chosen, Some(p)) => c.weight * (1.0 - p) / sw[j],
                })
                .collect()
        })
        .collect();
    if model == VarianceModel::Calibrated
        && let Some(cal) = calibration
    {
        // Residuals on the calibration model, as `svyrecvar` takes them for a calibrated
        // design: z − w · m·β with β = (Σ d m mᵀ)⁺ Σ m z / g.
        for j in 0..estimates {
            let p = cal.model_row(0).len();
            let mut rhs = vec![0.0; p];
            for (c, zc) in classes.iter().zip(&z) {
                let f = c.count as f64 * zc[j] / cal.ratio(c.pattern);
                if f != 0.0 {
                    for (r, x) in rhs.iter_mut().zip(cal.model_row(c.pattern)) {
                        *r += f * x;
                    }
                }
            }
            let beta = mat_vec(cal.gram_inverse(), &rhs);
            for (c, zc) in classes.iter().zip(z.iter_mut()) {
                let fit: f64 = cal
                    .model_row(c.pattern)
                    .iter()
                    .zip(&beta)
                    .map(|(a, b)| a * b)
                    .sum();
                zc[j] -= c.weight * fit;
            }
        }
    }
    // n/(n−1) Σ (z − z̄)(z − z̄)ᵀ over every respondent of the design.
    let nf = n as f64;
    let mut mean = vec![0.0; estimates];
    for (c, zc) in classes.iter().zip(&z) {
        for (m, v) in mean.iter_mut().zip(zc) {
            *m += c.count as f64 * v / nf;
        }
    }
    let mut cov = vec![vec![0.0; estimates]; estimates];
    if n > 1 {
        let f = nf / (nf - 1.0);
        for (c, zc) in classes.iter().zip(&z) {
            let m = c.count as f64;
            let d: Vec<f64> = zc.iter().zip(&mean).map(|(a, b)| a - b).collect();
            for a in 0..estimates {
                if d[a] != 0.0 {
                    for b in 0..estimates {
                        cov[a][b] += f * m * d[a] * d[b];
                    }
                }
            }
        }
    }
    Estimates {
        estimate,
        covariance: cov,
        n,
        kish_domain: (0..estimates)
            .map(|j| {
                if sw2[j] > 0.0 {
                    sw[j] * sw[j] / sw2[j]
                } else {
                    0.0
                }
            })
            .collect(),
        n_domain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_weights_give_the_simple_random_sample_variance() {
        // 30 of 100 chosen, every weight 1: p(1−p)/(n−1).
        let classes = vec![
            Class {
                count: 30,
                weight: 1.0,
                pattern: 0,
                flags: vec![Flag::Chosen],
            },
            Class {
                count: 70,
                weight: 1.0,
                pattern: 0,
                flags: vec![Flag::In],
            },
        ];
        let e = ratios(&classes, 1, VarianceModel::Weighted, None);
        let p = e.proportion(0).unwrap();
        assert!((p.estimate - 0.3).abs() < 1e-15);
        assert!((p.variance - 0.3 * 0.7 / 99.0).abs() < 1e-15);
        assert_eq!(p.df, 99.0);
    }

    #[test]
    fn a_domain_is_estimated_within_the_whole_design() {
        // A domain of 10 inside 100: the factor is 100/99, not 10/9.
        let classes = vec![
            Class {
                count: 4,
                weight: 1.0,
                pattern: 0,
                flags: vec![Flag::Chosen],
            },
            Class {
                count: 6,
                weight: 1.0,
                pattern: 0,
                flags: vec![Flag::In],
            },
            Class {
                count: 90,
                weight: 1.0,
                pattern: 0,
                flags: vec![Flag::Out],
            },
        ];
        let e = ratios(&classes, 1, VarianceModel::Weighted, None);
        let p = e.proportion(0).unwrap();
        let ss = 4.0 * 0.6f64.powi(2) + 6.0 * 0.4f64.powi(2);
        assert!((p.variance - 100.0 / 99.0 * ss / 100.0).abs() < 1e-15);
        assert_eq!((p.n, p.df), (10, 9.0));
    }
}
