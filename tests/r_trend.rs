//! Comparisons between survey waves against R, on the figures the reports print:
//!
//! * the shipped trend example (`reports/chima-2026-data-security-trend`, unweighted, earlier
//!   wave from the published 2025 tables): every printed difference, Newcombe interval and
//!   p-value against `prop.test` (with and without continuity correction, as each table is
//!   configured), the Newcombe formula from `prop.test`'s Wilson intervals, and `chisq.test`
//!   for homogeneity;
//! * a weighted trend (the follow-up report, raked, against an earlier wave known only from
//!   its published counts): the difference and its interval against `svyby` + `svycontrast`,
//!   the per-option and whole-question tests against `svychisq`, on the two waves stacked.
//!
//! R is required: `cargo xtask test` installs r-base-core and r-cran-survey.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use survey_print::{CellValue, PrintedTable, TableKind, TablesFile, TestMethod};
use workspace_tests::{close, close_printed, copy_dir, root, run_r};

fn build(report: &Path, tag: &str) -> TablesFile {
    build_in(report, tag).0
}

/// The tables and the folder of the build.
fn build_in(report: &Path, tag: &str) -> (TablesFile, PathBuf) {
    let out =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("r-trend-build-{tag}"));
    let _ = std::fs::remove_dir_all(&out);
    let typst = xtask::setup::typst().expect("the pinned typst (cargo xtask test installs it)");
    let r = xtask::report::build(&root(), report, &out, &typst, None).unwrap();
    let tables =
        serde_json::from_str(&std::fs::read_to_string(r.out_dir.join("tables.json")).unwrap())
            .unwrap();
    (tables, r.out_dir)
}

/// A printed trend row's difference and interval (percentage points) and its test's p-value.
fn printed(t: &PrintedTable, code: &str) -> Option<(f64, f64, f64, f64)> {
    let row = t.rows.iter().find(|r| r.code.as_deref() == Some(code))?;
    let CellValue::Number { value } = row.cells[3].value else {
        return None;
    };
    let CellValue::Interval { lower, upper } = row.cells[4].value else {
        panic!("no interval beside a difference");
    };
    let p = t
        .tests
        .iter()
        .find(|x| x.subject.as_deref() == Some(code))
        .and_then(|x| x.p_value)
        .expect("a per-option test");
    Some((value, lower, upper, p))
}

const UNWEIGHTED: &str = r#"
d <- read.csv(commandArgs(TRUE)[1], stringsAsFactors = FALSE)
# Each wave's Wilson interval, continuity-corrected with the test (Newcombe's method 11 then);
# at x = n/2 R's prop.test leaves the interval uncorrected, so there Newcombe's closed form.
ci <- function(x, n, cc) {
  if (cc && 2 * x == n) {
    z <- qnorm(0.975); p <- x / n; q <- 1 - p
    c((2*n*p + z^2 - 1 - z*sqrt(z^2 - 2 - 1/n + 4*p*(n*q + 1))) / (2*(n + z^2)),
      (2*n*p + z^2 + 1 + z*sqrt(z^2 + 2 - 1/n + 4*p*(n*q - 1))) / (2*(n + z^2)))
  } else prop.test(x, n, correct = cc)$conf.int
}
out <- function(k, v) cat(k, sprintf("%.17g", v), "\n")
for (i in seq_len(nrow(d))) {
  r <- d[i, ]
  k <- paste0(r$table, "_", r$code)
  if (r$x_then < 0) next
  pt <- prop.test(c(r$x_now, r$x_then), c(r$n_now, r$n_then), correct = as.logical(r$correct))
  cc <- as.logical(r$correct)
  a <- ci(r$x_now, r$n_now, cc)
  b <- ci(r$x_then, r$n_then, cc)
  p1 <- r$x_now / r$n_now; p2 <- r$x_then / r$n_then
  lo <- p1 - p2 - sqrt((p1 - a[1])^2 + (b[2] - p2)^2)
  hi <- p1 - p2 + sqrt((a[2] - p1)^2 + (p2 - b[1])^2)
  out(k, c(100 * (p1 - p2), 100 * lo, 100 * hi, pt$p.value))
}
for (t in unique(d$table[d$single == 1])) {
  s <- d[d$table == t, ]
  if (any(s$x_then < 0)) next
  ct <- chisq.test(rbind(s$x_then, s$x_now), correct = as.logical(s$correct[1]))
  out(paste0(t, "_chisq"), c(ct$statistic, ct$p.value))
}
"#;

#[test]
fn trend_tables_match_r() {
    let dir = root().join("reports/chima-2026-data-security-trend");
    let tables = build(&dir, "example");
    let (_, _, datasets) = survey_report::load_datasets(&dir).unwrap();
    let d = &datasets["t"];
    let published =
        survey_published::Published::load(&dir.join("waves/chima-2025.published.json")).unwrap();
    let crosswalk: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("waves/2025.crosswalk.json")).unwrap(),
    )
    .unwrap();
    let trends: Vec<&PrintedTable> = tables
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Trend)
        .collect();
    assert!(
        trends.len() >= 3,
        "the example prints at least three trend tables"
    );
    // Counts now (from the data) and then (from the published tables, through the crosswalk),
    // written for R; whether each table corrects for continuity is read from its test.
    let mut csv = String::from("table,code,x_now,n_now,x_then,n_then,correct,single\n");
    for t in &trends {
        let q = &t.questions[0];
        let f = d
            .aggregate
            .frequency(&d.index, q, survey_aggregate::RowOrder::Questionnaire)
            .unwrap();
        let link = &crosswalk["questions"][q];
        let from = link["from"].as_str().unwrap();
        let then = published
            .tables
            .iter()
            .find(|x| x.questionnaire == "main" && x.question == from)
            .unwrap();
        let correct = t
            .tests
            .iter()
            .any(|x| x.method == TestMethod::TwoProportionZCorrected);
        let single = d.index.get(q).unwrap().kind.is_single();
        for row in &f.rows {
            let earlier: Option<Vec<String>> = match link.get("options") {
                None => Some(vec![row.code.clone()]),
                Some(m) => {
                    let l: Vec<String> = m[&row.code]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_owned())
                        .collect();
                    (!l.is_empty()).then_some(l)
                }
            };
            let x_then: i64 = match &earlier {
                Some(l) => l
                    .iter()
                    .map(|c| then.rows.iter().find(|r| &r.option == c).unwrap().count as i64)
                    .sum(),
                None => -1,
            };
            writeln!(
                csv,
                "{},{},{},{},{},{},{},{}",
                t.number.as_deref().unwrap(),
                row.code,
                row.count,
                f.base,
                x_then,
                then.base,
                if correct { "TRUE" } else { "FALSE" },
                u8::from(single)
            )
            .unwrap();
        }
    }
    let r = run_r(UNWEIGHTED, &csv, "u");
    let mut compared = 0;
    for t in &trends {
        let number = t.number.as_deref().unwrap();
        for row in &t.rows {
            let code = row.code.as_deref().unwrap();
            let key = format!("{number}_{code}");
            match (printed(t, code), r.get(&key)) {
                (Some((diff, lo, hi, p)), Some(want)) => {
                    close(&format!("{key} difference"), diff, want[0]);
                    close(&format!("{key} lower"), lo, want[1]);
                    close(&format!("{key} upper"), hi, want[2]);
                    close(&format!("{key} p"), p, want[3]);
                    compared += 1;
                }
                (None, None) => {
                    // Not comparable: printed as such.
                    assert_eq!(row.cells[3].text, "—", "{key}");
                }
                (a, b) => panic!("{key}: printed {a:?}, R {b:?}"),
            }
        }
        if let Some(want) = r.get(&format!("{number}_chisq")) {
            let chi = t
                .tests
                .iter()
                .find(|x| x.method == TestMethod::PearsonChiSquare)
                .unwrap();
            close(
                &format!("{number} chi-square"),
                chi.statistic.unwrap(),
                want[0],
            );
            close(
                &format!("{number} chi-square p"),
                chi.p_value.unwrap(),
                want[1],
            );
        }
    }
    assert!(compared >= 20, "compared {compared} options");
}

const WEIGHTED: &str = r#"
suppressMessages(library(survey))
d <- read.csv(commandArgs(TRUE)[1], stringsAsFactors = FALSE)
out <- function(k, v) cat(k, sprintf("%.17g", v), "\n")
d$wave <- factor(d$wave, levels = c("now", "then"))
des <- svydesign(ids = ~1, weights = ~w, data = d)
for (o in c("yes", "pilot", "no")) {
  d$y <- as.numeric(d$uses_llm == o)
  des <- svydesign(ids = ~1, weights = ~w, data = d)
  b <- svyby(~y, ~wave, des, svymean, covmat = TRUE)
  c <- svycontrast(b, c(1, -1))
  se <- sqrt(attr(c, "var"))
  z <- qnorm(0.975)
  t <- svychisq(~y + wave, des, statistic = "F")
  out(o, c(100 * coef(c), 100 * (coef(c) - z * se), 100 * (coef(c) + z * se), t$p.value))
}
t <- svychisq(~uses_llm + wave, des, statistic = "F")
out("whole", c(t$statistic, t$parameter, t$p.value))
"#;

#[test]
fn weighted_trend_matches_r() {
    // The follow-up report, raked, compared with an earlier wave of which only the counts are
    // published: 100 hospitals, 20 yes, 35 pilot, 45 no.
    let dir: PathBuf = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("r-trend-weighted");
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root().join("reports/chima-2026-ai-followup"), &dir);
    std::fs::create_dir_all(dir.join("waves")).unwrap();
    std::fs::copy(
        dir.join("questionnaires/followup.questionnaire.json"),
        dir.join("waves/earlier.questionnaire.json"),
    )
    .unwrap();
    std::fs::write(
        dir.join("waves/earlier.published.json"),
        r#"{"source": "an invented earlier wave", "note": "test", "figures_without_table": [],
            "collected": {"f": 100}, "valid": {"f": 100},
            "tables": [{"number": "1", "caption": "上线情况", "questionnaire": "f",
              "question": "uses_llm", "header": "h", "count_header": "数量",
              "percent_header": "比例[N=100]", "base": 100, "cited_at": "test", "figure": null,
              "rows": [{"label": "是", "option": "yes", "count": 20, "percent": "20.00%"},
                       {"label": "试点中", "option": "pilot", "count": 35, "percent": "35.00%"},
                       {"label": "否", "option": "no", "count": 45, "percent": "45.00%"}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("waves/earlier.crosswalk.json"),
        r#"{"from": "chima-2026-ai-followup", "to": "chima-2026-ai-followup",
            "questions": {"uses_llm": {"from": "uses_llm"}, "level": {"from": "level"},
                "llm_controls": {"from": "llm_controls"}, "governance": {"from": "governance"},
                "top_concern": {"from": "top_concern"}}}"#,
    )
    .unwrap();
    let spec = std::fs::read_to_string(dir.join("report.toml")).unwrap();
    let spec = spec.replacen(
        "[[blocks]]",
        "[[waves]]\nname = \"earlier\"\nlabel = \"上一期\"\ncurrent_label = \"本期\"\ncrosswalk = \"waves/earlier.crosswalk.json\"\npublished = \"waves/earlier.published.json\"\nquestionnaire = \"waves/earlier.questionnaire.json\"\n\n[[blocks]]",
        1,
    );
    std::fs::write(dir.join("report.toml"), spec).unwrap();
    let narrative = dir.join("narrative/report.md");
    let text = std::fs::read_to_string(&narrative).unwrap().replace(
        "@part 附录",
        "与上一期相比，上线的医院占比（本期{trend.uses_llm.yes.now}）变化{trend.uses_llm.yes.diff}个百分点（{trend.uses_llm.yes.p}）。\n\n@trend uses_llm {caption = \"上线情况：上一期与本期（加权）\", weights = \"national\"}\n\n@part 附录",
    );
    std::fs::write(&narrative, text).unwrap();
    let (tables, out_dir) = build_in(&dir, "weighted");
    let t = tables
        .tables
        .iter()
        .find(|t| t.kind == TableKind::Trend)
        .expect("the weighted trend table");
    assert_eq!(t.weights.as_deref(), Some("national"));

    // The stacked data R sees: this wave's respondents with their weights over the mean, the
    // earlier wave's 100 with weight 1.
    let (spec, folder, datasets) = survey_report::load_datasets(&dir).unwrap();
    let weights = survey_report::weights::compute(&folder, &spec.weights, &datasets).unwrap();
    let ws = &weights["national"];
    let d = &datasets["f"];
    let q = d.index.position("uses_llm").unwrap();
    let codes = ["yes", "pilot", "no"];
    let mut now: Vec<(String, f64)> = Vec::new();
    d.records
        .each(|r| {
            if let survey_schema::Value::Choice(c) = r.values[q] {
                now.push((
                    codes[c as usize].to_owned(),
                    ws.calibration.weight(ws.pattern(r).unwrap()),
                ));
            }
        })
        .unwrap();
    let mean = now.iter().map(|x| x.1).sum::<f64>() / now.len() as f64;
    let mut csv = String::from("wave,uses_llm,w\n");
    for (c, w) in &now {
        writeln!(csv, "now,{c},{:.17e}", w / mean).unwrap();
    }
    for (c, n) in [("yes", 20), ("pilot", 35), ("no", 45)] {
        for _ in 0..n {
            writeln!(csv, "then,{c},1").unwrap();
        }
    }
    let r = run_r(WEIGHTED, &csv, "w");
    for c in codes {
        let (diff, lo, hi, p) = printed(t, c).unwrap();
        // Weighted figures are kept as printed (one decimal) in every file.
        close_printed(&format!("{c} difference"), diff, r[c][0], 1);
        close_printed(&format!("{c} lower"), lo, r[c][1], 1);
        close_printed(&format!("{c} upper"), hi, r[c][2], 1);
        close(&format!("{c} p"), p, r[c][3]);
    }
    // The narrative's reference, written before the table, prints the table's weighted
    // figures, not the unweighted default (which differ here).
    let (diff, _, _, p) = printed(t, "yes").unwrap();
    // Text runs in the source are joined as strings: `"#"` between them.
    let typ = std::fs::read_to_string(out_dir.join("report.typ"))
        .unwrap()
        .replace("\"#\"", "");
    // The share as the table prints it (one decimal), the weighted estimate.
    let now_cell = &t
        .rows
        .iter()
        .find(|r| r.code.as_deref() == Some("yes"))
        .unwrap()
        .cells[2]
        .text;
    let weighted = format!(
        "本期{now_cell}）变化{}个百分点（{}）",
        survey_print::fmt::signed(diff, 1),
        survey_print::fmt::p_value(p)
    );
    let yes_now = now.iter().filter(|(c, _)| c == "yes").count() as u64;
    let unweighted = survey_stats::change::prop_test(yes_now, now.len() as u64, 20, 100, false)
        .unwrap()
        .p_value;
    assert_ne!(
        survey_print::fmt::p_value(unweighted),
        survey_print::fmt::p_value(p),
        "the test needs the weighted and unweighted p-values to print differently"
    );
    assert!(
        typ.contains(&weighted),
        "the narrative should print {weighted}"
    );
    let whole = t
        .tests
        .iter()
        .find(|x| x.method == TestMethod::RaoScottF)
        .unwrap();
    close("whole F", whole.statistic.unwrap(), r["whole"][0]);
    close("whole ndf", whole.df.unwrap(), r["whole"][1]);
    close("whole ddf", whole.df2.unwrap(), r["whole"][2]);
    close("whole p", whole.p_value.unwrap(), r["whole"][3]);
    let _ = std::fs::remove_dir_all(&dir);
}
