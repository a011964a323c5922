//! Weighted results of the shipped follow-up report against R's survey package, on the
//! report's own cleaned respondents: bounded raking (weights and margins), the failure where
//! the bounds cannot hold, weighted totals, domain intervals within the whole design, the
//! calibration-aware variance (as `calibrate()` and `rake()` designs give it), and the
//! Rao–Scott tests. Then the printed report: its weighted figures are R's, to the printed digits.
//! R is required: `cargo xtask test` installs r-base-core and r-cran-survey.

use std::fmt::Write as _;
use std::path::PathBuf;

use survey_print::{CellValue, TablesFile};
use survey_report::weights::WeightSet;
use survey_schema::Value;
use survey_stats::design::{Flag, VarianceModel};
use survey_stats::hypothesis::rao_scott;
use survey_stats::weighting::{Patterns, RakeError, Settings, Variable, calibrate};
use workspace_tests::{close, close_printed, root, run_r};

const R_SCRIPT: &str = r#"
suppressMessages(library(survey))
d <- read.csv(commandArgs(TRUE)[1], stringsAsFactors = FALSE)
out <- function(k, v) cat(k, sprintf("%.17g", v), "\n")
lv <- c("tertiary", "secondary", "other")
d$level <- factor(d$level, levels = lv)
d$uses_llm <- factor(d$uses_llm, levels = c("yes", "pilot", "no"))
n <- nrow(d)
u <- suppressWarnings(svydesign(ids = ~1, data = d))
share <- c(tertiary = 0.25, secondary = 0.35, other = 0.40)
pop <- c("(Intercept)" = n, levelsecondary = 0.35 * n, levelother = 0.40 * n)
cal <- calibrate(u, ~level, pop, calfun = "raking", bounds = c(0.4, 3), epsilon = 1e-10, maxit = 50)
out("weights", weights(cal))
out("margins", coef(svymean(~level, cal)))
# The shares the shipped margins ask for cannot be met within [0.7, 1.5].
r <- tryCatch({calibrate(u, ~level, pop, calfun = "raking", bounds = c(0.7, 1.5), maxit = 50); 1},
              error = function(e) 0, warning = function(w) 0)
out("tight_converges", r)
# The issue's original margins and bounds: R's iteration stalls (its derivative is 0 below
# e^(lower - 1)), although the bounds can be met.
old <- c("(Intercept)" = n, levelsecondary = 0.30 * n, levelother = 0.60 * n)
r <- tryCatch({calibrate(u, ~level, old, calfun = "raking", bounds = c(0.2, 5), maxit = 50); 1},
              error = function(e) 0, warning = function(w) 0)
out("old_converges", r)
# Weighted totals of uses_llm (the cross-tab's 合计 column), calibration-aware variance.
m <- svymean(~uses_llm, cal)
out("total", coef(m)); out("total_var", diag(vcov(m)))
# The same from rake(): one margin, so the same projection.
rk <- rake(u, list(~level), list(data.frame(level = factor(lv, levels = lv), Freq = share * n)),
           control = list(maxit = 100, epsilon = 1e-12))
out("rake_total_var", diag(vcov(svymean(~uses_llm, rk))))
# Plain weighted design with the same weights.
d$w <- weights(cal)
wd <- svydesign(ids = ~1, weights = ~w, data = d)
out("plain_total_var", diag(vcov(svymean(~uses_llm, wd))))
# Domain intervals: each option within each level, logit, on both designs.
for (l in lv) for (o in levels(d$uses_llm)) {
  f <- as.formula(sprintf("~I(uses_llm == '%s')", o))
  a <- svyciprop(f, subset(cal, level == l), method = "logit")
  out(paste0("cal_", l, "_", o), c(coef(a), attr(a, "ci"), vcov(a)))
  b <- svyciprop(f, subset(wd, level == l), method = "logit")
  out(paste0("plain_", l, "_", o), c(coef(b), attr(b, "ci"), vcov(b)))
}
rs <- svychisq(~uses_llm + level, cal, statistic = "F")
out("rs_f", c(rs$statistic, rs$parameter, rs$p.value))
rc <- svychisq(~uses_llm + level, cal, statistic = "Chisq")
out("rs_chisq", c(rc$statistic, rc$p.value))
"#;

fn followup() -> PathBuf {
    root().join("reports/chima-2026-ai-followup")
}

/// A record's option code of a single-choice question.
fn code(d: &survey_report::Dataset, rec: &survey_schema::Record, q: &str) -> String {
    let p = d.index.position(q).unwrap();
    match rec.values[p] {
        Value::Choice(c) => d.index.question(p).kind.options()[c as usize].code.clone(),
        ref v => panic!("{q}: {v:?}"),
    }
}

#[test]
// Cells are indexed by (row, column) as R's tables are.
#[allow(clippy::needless_range_loop)]
fn weighted_results_match_r_on_the_followup_data() {
    let (spec, folder, datasets) = survey_report::load_datasets(&followup()).unwrap();
    let weights = survey_report::weights::compute(&folder, &spec.weights, &datasets).unwrap();
    let ws: &WeightSet = &weights["national"];
    let d = &datasets[&ws.dataset];
    let recs = &d.records;
    let mut all = Vec::new();
    recs.each(|r| all.push(r.clone())).unwrap();
    let n = all.len();
    assert_eq!(n, recs.len());
    assert!(n > 100, "the follow-up has {n} valid respondents");
    let mut csv = String::from("level,uses_llm\n");
    for rec in &all {
        writeln!(
            csv,
            "{},{}",
            code(d, rec, "level"),
            code(d, rec, "uses_llm")
        )
        .unwrap();
    }
    let r = run_r(R_SCRIPT, &csv, "weights");

    // Bounded raking: every weight, and the margins it reaches.
    let cal = &ws.calibration;
    assert!(cal.converged);
    for (i, rec) in all.iter().enumerate() {
        let w = cal.weight(ws.pattern(rec).unwrap());
        close(&format!("weight {i}"), w, r["weights"][i]);
    }
    for (k, c) in cal.shares[0].categories.iter().enumerate() {
        close(&format!("margin {}", c.code), c.achieved, r["margins"][k]);
        assert!((c.achieved - c.target).abs() < 0.0005, "{c:?}");
    }

    // Bounds that cannot hold: both refuse.
    let level = d.index.position("level").unwrap();
    let mut patterns = Patterns::new(1);
    for rec in &all {
        patterns.add(&[match rec.values[level] {
            Value::Choice(c) => Some(c as usize),
            _ => None,
        }]);
    }
    let var = |shares: [f64; 3]| Variable {
        name: "level".into(),
        categories: vec!["tertiary".into(), "secondary".into(), "other".into()],
        targets: shares.iter().map(|s| Some(*s)).collect(),
    };
    let settings = |lo: f64, hi: f64| Settings {
        epsilon: 1e-10,
        max_iterations: 50,
        bounds: Some([lo, hi]),
        allow_unconverged: false,
    };
    let e = calibrate(&[var([0.25, 0.35, 0.40])], &patterns, settings(0.7, 1.5)).unwrap_err();
    assert!(matches!(e, RakeError::NotConverged { .. }), "{e}");
    assert!(
        e.to_string().contains("tertiary target 25.00% reached"),
        "{e}"
    );
    assert_eq!(r["tight_converges"][0], 0.0, "R should fail too");
    // The issue's original settings: met within the bounds here; R's Newton step stalls.
    let old = calibrate(&[var([0.10, 0.30, 0.60])], &patterns, settings(0.2, 5.0)).unwrap();
    assert_eq!(r["old_converges"][0], 0.0, "R's iteration stalls on these");
    for c in &old.shares[0].categories {
        assert!((c.achieved - c.target).abs() < 1e-9, "{c:?}");
    }
    assert!(old.g.iter().all(|g| (0.2..=5.0).contains(g)));

    // Weighted totals of uses_llm, with the calibration-aware variance (= rake()'s here).
    let uses = d.index.position("uses_llm").unwrap();
    let flags = |rec: &survey_schema::Record| -> Vec<Flag> {
        let v = &rec.values[uses];
        (0..3)
            .map(|o| {
                if !v.is_answered() {
                    Flag::Out
                } else if v.includes(o) {
                    Flag::Chosen
                } else {
                    Flag::In
                }
            })
            .collect()
    };
    let e = ws.estimates(recs, 3, flags).unwrap();
    for o in 0..3 {
        let p = e.proportion(o).unwrap();
        close(&format!("total {o}"), p.estimate, r["total"][o]);
        close(&format!("total var {o}"), p.variance, r["total_var"][o]);
        close(
            &format!("rake() var {o}"),
            p.variance,
            r["rake_total_var"][o],
        );
    }
    let mut plain = ws.clone();
    plain.variance = VarianceModel::Weighted;
    let e = plain.estimates(recs, 3, flags).unwrap();
    for o in 0..3 {
        close(
            &format!("plain var {o}"),
            e.proportion(o).unwrap().variance,
            r["plain_total_var"][o],
        );
    }

    // Domain intervals: each option within each level, on both designs.
    let levels = ["tertiary", "secondary", "other"];
    let options = ["yes", "pilot", "no"];
    for (model, set) in [("cal", ws), ("plain", &plain)] {
        let e = set
            .estimates(recs, 9, |rec| {
                let (lv, v) = (&rec.values[level], &rec.values[uses]);
                let mut f = Vec::new();
                for l in 0..3 {
                    for o in 0..3 {
                        f.push(if !(lv.includes(l) && v.is_answered()) {
                            Flag::Out
                        } else if v.includes(o) {
                            Flag::Chosen
                        } else {
                            Flag::In
                        });
                    }
                }
                f
            })
            .unwrap();
        for l in 0..3 {
            for o in 0..3 {
                let key = format!("{model}_{}_{}", levels[l], options[o]);
                let p = e.proportion(l * 3 + o).unwrap();
                let ci = p.logit(0.95).unwrap();
                close(&format!("{key} p"), p.estimate, r[&key][0]);
                close(&format!("{key} lower"), ci.lower, r[&key][1]);
                close(&format!("{key} upper"), ci.upper, r[&key][2]);
            }
        }
    }

    // Rao–Scott on the calibrated design: uses_llm × level, cells rows fastest.
    let e = ws
        .estimates(recs, 9, |rec| {
            let (lv, v) = (&rec.values[level], &rec.values[uses]);
            let mut f = vec![Flag::In; 9];
            for c in 0..3 {
                for o in 0..3 {
                    if lv.includes(c) && v.includes(o) {
                        f[o + 3 * c] = Flag::Chosen;
                    }
                }
            }
            f
        })
        .unwrap();
    let p: Vec<f64> = e.estimate.iter().map(|x| x.unwrap()).collect();
    let rs = rao_scott(3, 3, &p, &e.covariance, n as u64, n as f64 - 1.0).unwrap();
    close("Rao-Scott F", rs.f_statistic, r["rs_f"][0]);
    close("Rao-Scott ndf", rs.d0, r["rs_f"][1]);
    close("Rao-Scott ddf", rs.ddf, r["rs_f"][2]);
    close("Rao-Scott F p", rs.f_p_value, r["rs_f"][3]);
    close("Rao-Scott chisq p", rs.chisq_p_value, r["rs_chisq"][1]);

    // The printed report carries R's figures: the weighted cross-tab's totals and cells (R's
    // svyciprop fits by iteration, so 1e-6 on the percent scale, far below the printed 0.1),
    // and the weighting summary in tables.json.
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("r-weights-build");
    let _ = std::fs::remove_dir_all(&out);
    let typst = xtask::setup::typst().expect("the pinned typst (cargo xtask test installs it)");
    let built = xtask::report::build(&root(), &followup(), &out, &typst, None).unwrap();
    let tables: TablesFile =
        serde_json::from_str(&std::fs::read_to_string(built.out_dir.join("tables.json")).unwrap())
            .unwrap();
    let ct = tables
        .tables
        .iter()
        .find(|t| t.weights.is_some() && t.questions == ["uses_llm", "level"])
        .expect("the weighted cross-tab of uses_llm by level");
    let pct = |v: &CellValue| match v {
        CellValue::Percent { percent, .. } => *percent,
        other => panic!("{other:?}"),
    };
    // Weighted figures are kept as printed (one decimal) in every file: R's, rounded.
    for (o, row) in ct.rows.iter().enumerate() {
        let total = pct(&row.cells[4].value);
        close_printed("合计", total, r["total"][o] * 100.0, 1);
        for l in 0..3 {
            let key = format!("cal_{}_{}", levels[l], options[o]);
            close_printed(&key, pct(&row.cells[1 + l].value), r[&key][0] * 100.0, 1);
            let i = row.cells[1 + l].interval.as_ref().expect("an interval");
            close_printed(&key, i.lower, r[&key][1] * 100.0, 1);
            close_printed(&key, i.upper, r[&key][2] * 100.0, 1);
        }
    }
    let f = ct.tests.iter().find(|t| t.statistic.is_some()).unwrap();
    assert!((f.statistic.unwrap() - r["rs_f"][0]).abs() < 1e-9);
    assert!((f.df2.unwrap() - r["rs_f"][2]).abs() < 1e-6);
    let summary = &tables.weighting[0];
    assert!(summary.converged);
    for c in &summary.variables[0].categories {
        assert!(
            (c.achieved_share - c.target_share).abs() * 100.0 < 0.05,
            "{c:?}"
        );
    }
    assert!((summary.kish_n - cal.kish_n).abs() < 1e-12);
}
