//! survey-stats against R (base R and the survey package) on the same data, to 1e-9 where the
//! method is the same. R is required: `cargo xtask test` installs r-base-core and r-cran-survey.

use std::fmt::Write as _;

use survey_stats::design::{Class, Flag, VarianceModel, ratios};
use survey_stats::hypothesis::{fisher_2x2, pearson, rao_scott};
use survey_stats::intervals;
use survey_stats::weighting::{Patterns, Settings, Variable, calibrate};
use workspace_tests::{close, run_r};

/// A reproducible data set: three categorical variables and a positive weight.
struct Data {
    a: Vec<usize>, // 3 categories
    b: Vec<usize>, // 2 categories
    c: Vec<usize>, // 4 categories
    w: Vec<f64>,
}

fn data(n: usize) -> Data {
    let mut s: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut d = Data {
        a: vec![],
        b: vec![],
        c: vec![],
        w: vec![],
    };
    for _ in 0..n {
        let a = (next() % 100) as usize;
        let a = if a < 50 {
            0
        } else if a < 80 {
            1
        } else {
            2
        };
        // b and c lean on a, so the tests have something to find.
        let b = usize::from(next() % 100 < 30 + 20 * a as u64);
        let c = ((next() % 4) as usize + a) % 4;
        let w = 0.5 + (next() % 2500) as f64 / 1000.0;
        d.a.push(a);
        d.b.push(b);
        d.c.push(c);
        d.w.push(w);
    }
    d
}

const R_SCRIPT: &str = r#"
suppressMessages(library(survey))
d <- read.csv(commandArgs(TRUE)[1])
out <- function(k, v) cat(k, sprintf("%.17g", v), "\n")
d$y <- as.numeric(d$a == 1)
x <- sum(d$y); n <- nrow(d)
out("wilson", prop.test(x, n, correct = FALSE)$conf.int)
out("cp", binom.test(x, n)$conf.int)
srs <- svydesign(ids = ~1, data = d)
out("logit_srs", attr(svyciprop(~y, srs, method = "xlogit"), "ci"))
wd <- svydesign(ids = ~1, weights = ~w, data = d)
out("logit_w", attr(svyciprop(~y, wd, method = "xlogit"), "ci"))
out("beta_w", attr(svyciprop(~y, wd, method = "beta"), "ci"))
out("p_w", coef(svymean(~y, wd)))
out("var_w", vcov(svymean(~y, wd)))
ct <- chisq.test(table(d$a, d$c), correct = FALSE)
out("chisq", c(ct$statistic, ct$p.value))
ft <- fisher.test(table(d$b[d$a != 2], d$a[d$a != 2]))
out("fisher", ft$p.value)
d$af <- factor(d$a); d$cf <- factor(d$c)
wd <- svydesign(ids = ~1, weights = ~w, data = d)
rsF <- svychisq(~af + cf, wd, statistic = "F")
out("rs_f", c(rsF$statistic, rsF$parameter, rsF$p.value))
rsC <- svychisq(~af + cf, wd, statistic = "Chisq")
out("rs_chisq", rsC$p.value)
u <- svydesign(ids = ~1, data = d)
pa <- data.frame(af = factor(0:2), Freq = c(0.3, 0.45, 0.25) * n)
pc <- data.frame(cf = factor(0:3), Freq = c(0.1, 0.2, 0.3, 0.4) * n)
rk <- rake(u, list(~af, ~cf), list(pa, pc), control = list(maxit = 100, epsilon = 1e-10))
out("rake", weights(rk))
pop <- c(n, 0.45 * n, 0.25 * n, 0.2 * n, 0.3 * n, 0.4 * n)
cb <- calibrate(u, ~af + cf, pop, calfun = "raking", bounds = c(0.1, 2.0), epsilon = 1e-12, maxit = 100)
out("bounded", weights(cb))
"#;

#[test]
// The data are parallel columns indexed by respondent, as R sees them.
#[allow(clippy::needless_range_loop)]
fn matches_r_to_1e9() {
    let n = 400;
    let d = data(n);
    let mut csv = String::from("a,b,c,w\n");
    for i in 0..n {
        writeln!(csv, "{},{},{},{:.3}", d.a[i], d.b[i], d.c[i], d.w[i]).unwrap();
    }
    // R reads the weights as printed; use the same values.
    let w: Vec<f64> = d.w.iter().map(|x| (x * 1000.0).round() / 1000.0).collect();
    let r = run_r(R_SCRIPT, &csv, "ref");

    // Intervals, unweighted.
    let x = d.a.iter().filter(|&&a| a == 1).count() as u64;
    let wil = intervals::wilson(x, n as u64, 0.95).unwrap();
    close("wilson lower", wil.lower, r["wilson"][0]);
    close("wilson upper", wil.upper, r["wilson"][1]);
    let cp = intervals::clopper_pearson(x, n as u64, 0.95).unwrap();
    close("cp lower", cp.lower, r["cp"][0]);
    close("cp upper", cp.upper, r["cp"][1]);
    let lg = intervals::logit(x, n as u64, 0.95).unwrap();
    close("logit lower", lg.lower, r["logit_srs"][0]);
    close("logit upper", lg.upper, r["logit_srs"][1]);

    // Intervals, weighted: every respondent a class of one.
    let one = |i: usize, flags: Vec<Flag>| Class {
        count: 1,
        weight: w[i],
        pattern: 0,
        flags,
    };
    let classes: Vec<Class> = (0..n)
        .map(|i| one(i, vec![if d.a[i] == 1 { Flag::Chosen } else { Flag::In }]))
        .collect();
    let wp = ratios(&classes, 1, VarianceModel::Weighted, None)
        .proportion(0)
        .unwrap();
    close("weighted p", wp.estimate, r["p_w"][0]);
    close("weighted variance", wp.variance, r["var_w"][0]);
    let lw = wp.logit(0.95).unwrap();
    close("weighted logit lower", lw.lower, r["logit_w"][0]);
    close("weighted logit upper", lw.upper, r["logit_w"][1]);
    let bw = wp.clopper_pearson(0.95).unwrap();
    close("Korn-Graubard lower", bw.lower, r["beta_w"][0]);
    close("Korn-Graubard upper", bw.upper, r["beta_w"][1]);

    // Pearson chi-square of a × c.
    let mut t = vec![vec![0.0; 4]; 3];
    for i in 0..n {
        t[d.a[i]][d.c[i]] += 1.0;
    }
    let chi = pearson(&t).unwrap();
    close("chi-square", chi.statistic, r["chisq"][0]);
    close("chi-square p", chi.p_value, r["chisq"][1]);

    // Fisher's exact test of b × a among a ∈ {0, 1}.
    let mut f = [[0u64; 2]; 2];
    for i in 0..n {
        if d.a[i] != 2 {
            f[d.b[i]][d.a[i]] += 1;
        }
    }
    close(
        "fisher p",
        fisher_2x2(f[0][0], f[0][1], f[1][0], f[1][1]),
        r["fisher"][0],
    );

    // Rao-Scott, weighted a × c: the cell proportions (rows fastest) and their covariance.
    let cells: Vec<Class> = (0..n)
        .map(|i| {
            let mut f = vec![Flag::In; 12];
            f[d.a[i] + 3 * d.c[i]] = Flag::Chosen;
            one(i, f)
        })
        .collect();
    let e = ratios(&cells, 12, VarianceModel::Weighted, None);
    let p: Vec<f64> = e.estimate.iter().map(|x| x.unwrap()).collect();
    let rs = rao_scott(3, 4, &p, &e.covariance, n as u64, n as f64 - 1.0).unwrap();
    close("Rao-Scott F", rs.f_statistic, r["rs_f"][0]);
    close("Rao-Scott ndf", rs.d0, r["rs_f"][1]);
    close("Rao-Scott ddf", rs.d0 * (n as f64 - 1.0), r["rs_f"][2]);
    close("Rao-Scott F p", rs.f_p_value, r["rs_f"][3]);
    close("Rao-Scott chisq p", rs.chisq_p_value, r["rs_chisq"][0]);

    // Raking to two margins, unbounded (as `rake()`) and within bounds (as `calibrate()`).
    let nf = n as f64;
    let vars = vec![
        Variable {
            name: "a".into(),
            categories: (0..3).map(|k| k.to_string()).collect(),
            targets: [0.3, 0.45, 0.25].iter().map(|s| Some(s * nf)).collect(),
        },
        Variable {
            name: "c".into(),
            categories: (0..4).map(|k| k.to_string()).collect(),
            targets: [0.1, 0.2, 0.3, 0.4].iter().map(|s| Some(s * nf)).collect(),
        },
    ];
    let mut patterns = Patterns::new(2);
    let of: Vec<usize> = (0..n)
        .map(|i| patterns.add(&[Some(d.a[i]), Some(d.c[i])]).unwrap())
        .collect();
    let settings = |bounds| Settings {
        epsilon: 1e-12,
        max_iterations: 100,
        bounds,
        allow_unconverged: false,
    };
    for (key, bounds) in [("rake", None), ("bounded", Some([0.1, 2.0]))] {
        let cal = calibrate(&vars, &patterns, settings(bounds)).unwrap();
        assert!(cal.converged);
        assert_eq!(r[key].len(), n);
        for (i, b) in r[key].iter().enumerate() {
            close(&format!("{key} weight {i}"), cal.weight(of[i]), *b);
        }
        if bounds.is_some() {
            assert!(cal.trimmed > 0, "the bounds should bind somewhere");
        }
    }
}
