//! Distribution functions and quantiles, accurate to about 1e-13 (R's own algorithms are the
//! reference): the regularized incomplete beta and gamma functions come from `statrs`;
//! quantiles are found by safeguarded Newton iteration on them.

use statrs::function::beta::beta_reg;
use statrs::function::gamma::{gamma_ur, ln_gamma};

/// Standard normal CDF, through the regularized incomplete gamma function (statrs' erfc is
/// only good to about 1e-12).
pub fn norm_cdf(x: f64) -> f64 {
    let tail = 0.5 * statrs::function::gamma::gamma_ur(0.5, x * x / 2.0);
    if x >= 0.0 { 1.0 - tail } else { tail }
}

/// Standard normal quantile.
pub fn norm_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let x0 = -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p);
    // One Newton step polishes the last bits.
    let pdf = (-0.5 * x0 * x0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    x0 - (norm_cdf(x0) - p) / pdf
}

/// Student's t CDF with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * beta_reg(df / 2.0, 0.5, x);
    if t > 0.0 { 1.0 - tail } else { tail }
}

/// Student's t quantile.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !df.is_finite() {
        return norm_quantile(p);
    }
    if p == 0.5 {
        return 0.0;
    }
    let sign = if p < 0.5 { -1.0 } else { 1.0 };
    let q = if p < 0.5 { p } else { 1.0 - p };
    // Solve 0.5 · I_x(df/2, 1/2) = q for x, then t = sqrt(df (1-x) / x).
    let x = beta_quantile(2.0 * q, df / 2.0, 0.5);
    sign * (df * (1.0 - x) / x).sqrt()
}

/// Density of Beta(a, b) at x.
fn beta_pdf(x: f64, a: f64, b: f64) -> f64 {
    ((a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln()
        - (ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)))
    .exp()
}

/// Quantile of Beta(a, b): the x with I_x(a, b) = p.
pub fn beta_quantile(p: f64, a: f64, b: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x = a / (a + b);
    for _ in 0..400 {
        let f = beta_reg(a, b, x) - p;
        if f.abs() < 1e-16 {
            return x;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let d = beta_pdf(x, a, b);
        let mut next = if d.is_finite() && d > 0.0 {
            x - f / d
        } else {
            f64::NAN
        };
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - x).abs() <= 1e-17 + 1e-15 * x.abs() {
            return next;
        }
        x = next;
    }
    x
}

/// Upper tail of the chi-square distribution: P(X > x).
pub fn chisq_upper(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    gamma_ur(df / 2.0, x / 2.0)
}

/// Upper tail of the F distribution: P(F > x).
pub fn f_upper(x: f64, d1: f64, d2: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    beta_reg(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * x))
}

/// log C(n, k).
pub fn ln_choose(n: u64, k: u64) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // The reference values are R's, printed with 17 digits.
    #[allow(clippy::excessive_precision)]
    fn known_values() {
        // Values from R: qnorm(0.975), qt(0.975, 10), qbeta(0.025, 3, 8), pchisq(3.84, 1, lower=F), pf(3, 2, 10, lower=F)
        assert!((norm_quantile(0.975) - 1.95996398454005361).abs() < 1e-13);
        assert!((t_quantile(0.975, 10.0) - 2.22813885198627393).abs() < 1e-12);
        assert!((t_quantile(0.025, 719.0) + 1.96326885487070846).abs() < 1e-12);
        assert!((beta_quantile(0.025, 3.0, 8.0) - 0.06673951117773447).abs() < 1e-13);
        assert!((chisq_upper(3.84, 1.0) - 0.05004352124870522).abs() < 1e-13);
        assert!((f_upper(3.0, 2.0, 10.0) - 0.09536743164062497).abs() < 1e-13);
    }
}
