//! The respondent-level data files read back by the readers analysts use: R's haven (`.sav`,
//! `.dta`), Python's pyreadstat (`.sav`, `.dta`, with the multiple-response sets) and pyarrow
//! (Parquet). For every frequency table each shipped report prints, the counts computed from
//! each file equal the table's; labels, value labels, missing codes and the MR sets are what the
//! codebook says. `cargo xtask test` installs r-cran-haven, pyreadstat and pyarrow.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use survey_microdata::Codebook;
use survey_print::{CellValue, ColumnKind, TableKind, TablesFile};
use workspace_tests::root;

fn tmp(name: &str) -> PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("data-export-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const R_READ: &str = r#"
suppressMessages(library(haven))
for (f in commandArgs(TRUE)) {
  d <- if (grepl("\\.sav$", f)) read_sav(f, user_na = TRUE) else read_dta(f)
  for (n in names(d)) {
    x <- d[[n]]
    l <- attr(x, "label")
    if (!is.null(l)) cat("label", basename(f), n, l, sep = "\t"); cat("\n")
    labs <- attr(x, "labels")
    if (!is.null(labs)) for (i in seq_along(labs)) {
      v <- labs[[i]]
      k <- if (is.na(v)) paste0("NA_", na_tag(v)) else format(as.numeric(v))
      cat("vlabel", basename(f), n, k, names(labs)[i], sep = "\t"); cat("\n")
    }
    nav <- attr(x, "na_values")
    if (!is.null(nav)) { cat("na", basename(f), n, paste(nav, collapse = ","), sep = "\t"); cat("\n") }
    if (is.numeric(x)) {
      key <- ifelse(is.na(x), paste0("NA_", na_tag(x)), format(as.numeric(x), scientific = FALSE, trim = TRUE))
      t <- table(key)
      for (k in names(t)) { cat("freq", basename(f), n, k, t[[k]], sep = "\t"); cat("\n") }
    }
  }
}
"#;

const PY_READ: &str = r#"
import sys, pyreadstat, pyarrow.parquet as pq, json
for f in sys.argv[1:]:
    name = f.rsplit('/', 1)[-1]
    if f.endswith('.parquet'):
        t = pq.read_table(f)
        for field in t.schema:
            col = t.column(field.name).to_pylist()
            md = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
            counts = {}
            for v in col:
                k = 'null' if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
                counts[k] = counts.get(k, 0) + 1
            for k, c in counts.items():
                print('freq', name, field.name, k, c, sep='\t')
            if 'levels' in md:
                print('levels', name, field.name, md['levels'], sep='\t')
        continue
    if f.endswith('.sav'):
        df, meta = pyreadstat.read_sav(f, user_missing=True)
        for s, v in meta.mr_sets.items():
            print('mrset', name, s, ','.join(v['variable_list']), sep='\t')
        for v, m in meta.variable_measure.items():
            print('measure', name, v, m, sep='\t')
    else:
        df, meta = pyreadstat.read_dta(f, user_missing=True)
    for v, l in meta.column_names_to_labels.items():
        print('label', name, v, l, sep='\t')
    for col in df.columns:
        if df[col].dtype == object and not all(isinstance(x, (int, float)) or x in ('a', 'b') for x in df[col] if x is not None):
            continue
        for k, c in df[col].value_counts(dropna=False).items():
            key = ('NA_' + k) if isinstance(k, str) else format(float(k), 'g')
            print('freq', name, col, key, c, sep='\t')
"#;

/// (file, variable) → value → count; and the other facts by kind.
struct Read {
    freq: HashMap<(String, String), HashMap<String, u64>>,
    facts: Vec<Vec<String>>,
}

fn run(cmd: &str, script: &str, ext: &str, files: &[PathBuf]) -> Read {
    let dir = tmp(&format!("script-{ext}"));
    let s = dir.join(format!("read.{ext}"));
    std::fs::write(&s, script).unwrap();
    let out = Command::new(cmd)
        .arg(&s)
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (cargo xtask test installs it)"));
    assert!(
        out.status.success(),
        "{cmd} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut freq: HashMap<(String, String), HashMap<String, u64>> = HashMap::new();
    let mut facts = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let parts: Vec<String> = line.split('\t').map(str::to_owned).collect();
        if parts.len() < 3 {
            continue;
        }
        if parts[0] == "freq" && parts.len() == 5 {
            let n: u64 = parts[4].trim().parse().unwrap();
            freq.entry((parts[1].clone(), parts[2].clone()))
                .or_default()
                .insert(parts[3].trim().to_owned(), n);
        } else {
            facts.push(parts);
        }
    }
    Read { freq, facts }
}

fn count_of(row: &survey_print::PrintedRow, col: usize) -> u64 {
    match row.cells[col].value {
        CellValue::Count { count } => count,
        ref v => panic!("not a count: {v:?}"),
    }
}

/// Every frequency table: (dataset, question) → (base, option code → count).
fn expected(tables: &TablesFile) -> HashMap<(String, String), (u64, HashMap<String, u64>)> {
    let mut out = HashMap::new();
    for t in tables
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Frequency)
    {
        let ([q], Some(d), Some(base)) = (t.questions.as_slice(), &t.dataset, &t.base) else {
            continue;
        };
        let Some(col) = t.columns.iter().position(|c| c.kind == ColumnKind::Count) else {
            continue;
        };
        let counts = t
            .rows
            .iter()
            .filter_map(|r| Some((r.code.clone()?, count_of(r, col))))
            .collect();
        out.insert((d.clone(), q.clone()), (base.n, counts));
    }
    out
}

fn check_report(report: &Path) -> usize {
    let out = tmp(report.file_name().unwrap().to_str().unwrap());
    let typst = xtask::setup::typst().expect("the pinned typst (cargo xtask test installs it)");
    let built = xtask::report::build_with(
        &root(),
        report,
        &out,
        &typst,
        None,
        &xtask::report::Extras {
            internal: false,
            data: Some(false),
        },
    )
    .unwrap();
    let dir = built.out_dir.clone();
    let tables: TablesFile =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tables.json")).unwrap()).unwrap();
    let want = expected(&tables);
    let mut codebooks: Vec<(String, Codebook)> = Vec::new();
    for e in std::fs::read_dir(dir.join("data")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(ds) = name.strip_suffix(".codebook.json") {
            let cb: Codebook = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            assert!(!cb.identifying_included);
            codebooks.push((ds.to_owned(), cb));
        }
    }
    assert!(!codebooks.is_empty());
    // The README names what was left out, for each dataset, and how many were set aside.
    let readme = std::fs::read_to_string(dir.join("data/README.md")).unwrap();
    assert!(
        readme.contains("after the cleaning rules set")
            && (!report.ends_with("chima-2025-data-security")
                || readme.contains(
                    "720 respondents, 137 variables of `chima-2025-main`: the valid submissions of the 769 collected, after the cleaning rules set 49 aside"
                )),
        "{readme}"
    );
    for (ds, _) in &codebooks {
        assert!(
            readme.contains(&format!(
                "left out of `{ds}` as identifying: `hospital_name`"
            )),
            "{readme}"
        );
    }
    // A weighted report says how to reproduce its weighted intervals (trial 32).
    if report.ends_with("chima-2026-ai-followup") {
        assert!(
            readme.contains("calfun = \"raking\", bounds = c(0.4, 3))`")
                && readme.contains("on `level` (tertiary 0.25, secondary 0.35, other 0.4)")
                && readme.contains("effective sample size p(1−p)/variance"),
            "{readme}"
        );
    }
    // Every coded variable of one name in two datasets whose codes mean other answers there is
    // named under "Stacking datasets", from the codebooks read here; no other is.
    for (i, (a, ca)) in codebooks.iter().enumerate() {
        for (b, cb) in &codebooks[i + 1..] {
            for va in &ca.variables {
                let Some(vb) = cb.variables.iter().find(|v| v.name == va.name) else {
                    continue;
                };
                let clash = va.values.iter().filter(|x| x.code >= 0).any(|x| {
                    vb.values
                        .iter()
                        .find(|y| y.code == x.code)
                        .is_none_or(|y| y.label != x.label)
                });
                let named = readme.contains(&format!("- `{}`: code", va.name));
                assert_eq!(clash, named, "`{}` in `{a}` and `{b}`: {readme}", va.name);
            }
        }
    }
    if report.ends_with("chima-2025-data-security") {
        assert!(
            readme
                .contains("- `hospital_level`: code 1 is «三级医院» in `main`, «三级甲等» in `ai`"),
            "{readme}"
        );
    }
    let files = |ext: &str| -> Vec<PathBuf> {
        codebooks
            .iter()
            .map(|(ds, _)| dir.join(format!("data/{ds}.{ext}")))
            .collect()
    };
    let r = run(
        "Rscript",
        R_READ,
        "R",
        &[files("sav"), files("dta")].concat(),
    );
    let py = run(
        "python3",
        PY_READ,
        "py",
        &[files("sav"), files("dta"), files("parquet")].concat(),
    );
    let mut checked = 0;
    for (ds, cb) in &codebooks {
        // No identifying question is in the files.
        for v in &cb.variables {
            assert!(
                !matches!(v.question.as_deref(), Some("hospital_name" | "org_code")),
                "{ds}: identifying `{}` exported",
                v.name
            );
        }
        // Labels, value labels, missing codes, measurement and MR sets as the codebook says.
        for v in &cb.variables {
            for file in [format!("{ds}.sav"), format!("{ds}.dta")] {
                let label = r
                    .facts
                    .iter()
                    .find(|f| f[0] == "label" && f[1] == file && f[2] == v.name)
                    .unwrap_or_else(|| panic!("{file}: no label of {}", v.name));
                // Stata cuts variable labels at 80 characters, SPSS at 255 bytes, the cut
                // marked «…».
                let shown: String = v.label.chars().take(40).collect();
                assert!(label[3].starts_with(&shown), "{file} {}: {label:?}", v.name);
                let (whole, cut) = if file.ends_with(".dta") {
                    (
                        v.label.chars().count() <= 80,
                        label[3].chars().count() == 80,
                    )
                } else {
                    (v.label.len() <= 255, label[3].len() <= 255)
                };
                assert!(
                    if whole {
                        label[3] == v.label
                    } else {
                        cut && label[3].ends_with('…')
                    },
                    "{file} {}: {label:?} of «{}»",
                    v.name,
                    v.label
                );
                for val in &v.values {
                    assert!(
                        r.facts.iter().any(|f| f[0] == "vlabel"
                            && f[1] == file
                            && f[2] == v.name
                            && f[3] == val.code.to_string()
                            && f[4] == val.label),
                        "{file} {}: no value label {} = {}",
                        v.name,
                        val.code,
                        val.label
                    );
                }
            }
            if v.missing_codes {
                assert!(
                    r.facts.iter().any(|f| f[0] == "na"
                        && f[1] == format!("{ds}.sav")
                        && f[2] == v.name
                        && f[3] == "-3,-2"),
                    "{ds}.sav {}: user-missing -3, -2",
                    v.name
                );
                // Numbers carry no Stata label set (pandas would read them as categories);
                // coded variables label their extended missing values.
                let dta_labels = r
                    .facts
                    .iter()
                    .any(|f| f[0] == "vlabel" && f[1] == format!("{ds}.dta") && f[2] == v.name);
                if v.values.is_empty() {
                    assert!(
                        !dta_labels,
                        "{ds}.dta {}: a number with a label set",
                        v.name
                    );
                    continue;
                }
                for (tag, label) in [("NA_a", "未显示"), ("NA_b", "未作答")] {
                    assert!(
                        r.facts.iter().any(|f| f[0] == "vlabel"
                            && f[1] == format!("{ds}.dta")
                            && f[2] == v.name
                            && f[3] == tag
                            && f[4] == label),
                        "{ds}.dta {}: {tag} = {label}",
                        v.name
                    );
                }
            }
        }
        for set in &cb.mr_sets {
            let found = py
                .facts
                .iter()
                .find(|f| f[0] == "mrset" && f[1] == format!("{ds}.sav") && f[2] == set.name)
                .unwrap_or_else(|| panic!("{ds}.sav: no MR set {}", set.name));
            assert_eq!(found[3], set.variables.join(","));
        }
        // Frequencies from every file equal every frequency table of the report.
        for ((tds, q), (base, counts)) in &want {
            if tds != ds {
                continue;
            }
            let vars: Vec<&survey_microdata::codebook::Variable> = cb
                .variables
                .iter()
                .filter(|v| v.question.as_deref() == Some(q.as_str()))
                .filter(|v| {
                    matches!(
                        v.role,
                        survey_microdata::Role::Choice | survey_microdata::Role::Dichotomy
                    )
                })
                .collect();
            assert!(!vars.is_empty(), "{ds}: no variable of `{q}`");
            for (code, n) in counts {
                let (var, value, parquet_value) = match vars[0].role {
                    survey_microdata::Role::Choice => {
                        let v = vars[0];
                        let val = v
                            .values
                            .iter()
                            .find(|x| x.option.as_deref() == Some(code))
                            .unwrap();
                        (v, val.code.to_string(), val.label.clone())
                    }
                    _ => {
                        let v = vars
                            .iter()
                            .find(|v| v.option.as_deref() == Some(code))
                            .unwrap_or_else(|| panic!("{ds}: no dichotomy of `{q}`.`{code}`"));
                        (*v, "1".to_owned(), "true".to_owned())
                    }
                };
                for (reader, file, key) in [
                    (&r, format!("{ds}.sav"), value.clone()),
                    (&r, format!("{ds}.dta"), value.clone()),
                    (&py, format!("{ds}.sav"), value.clone()),
                    (&py, format!("{ds}.dta"), value.clone()),
                    (&py, format!("{ds}.parquet"), parquet_value.clone()),
                ] {
                    let got = reader
                        .freq
                        .get(&(file.clone(), var.name.clone()))
                        .and_then(|m| m.get(&key))
                        .copied()
                        .unwrap_or(0);
                    assert_eq!(got, *n, "{file} {} = {key}: table says {n}", var.name);
                }
                checked += 1;
            }
            // The base: respondents with a valid value of the question's first variable.
            let v = vars[0];
            let valid: u64 = r.freq[&(format!("{ds}.sav"), v.name.clone())]
                .iter()
                .filter(|(k, _)| !k.starts_with('-') && !k.starts_with("NA"))
                .map(|(_, n)| n)
                .sum();
            assert_eq!(valid, *base, "{ds}.sav `{q}` base");
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    checked
}

#[test]
fn every_report_s_data_reads_back_to_its_tables() {
    let mut checked = 0;
    for r in [
        "reports/chima-2025-data-security",
        "reports/chima-2026-ai-followup",
        "reports/chima-2026-data-security-trend",
    ] {
        checked += check_report(&root().join(r));
    }
    assert!(checked > 200, "compared {checked} counts");
}

#[test]
fn identifying_answers_only_on_request_and_marked() {
    let out = tmp("identifying");
    let report = root().join("reports/chima-2026-ai-followup");
    let (dir, files) = xtask::report::export_data(&report, &out, true).unwrap();
    assert!(
        files
            .iter()
            .all(|f| f == "README.md" || f.contains(".CONFIDENTIAL.")),
        "{files:?}"
    );
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(readme.contains("CONFIDENTIAL"));
    let cb: Codebook = serde_json::from_str(
        &std::fs::read_to_string(dir.join("f.CONFIDENTIAL.codebook.json")).unwrap(),
    )
    .unwrap();
    assert!(cb.identifying_included);
    assert!(
        cb.variables
            .iter()
            .any(|v| v.question.as_deref() == Some("hospital_name"))
    );
    // Without the flag, the same command writes files without them, replacing these.
    let (dir, files) = xtask::report::export_data(&report, &out, false).unwrap();
    assert!(files.iter().all(|f| !f.contains("CONFIDENTIAL")));
    assert!(!dir.join("f.CONFIDENTIAL.sav").exists());
    // Same inputs, same bytes: a second export a moment later (the .sav header holds a date
    // and time, which is the report's date, not the clock's).
    let first: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (dir, again) = xtask::report::export_data(&report, &out, false).unwrap();
    assert_eq!(files, again);
    for (f, bytes) in files.iter().zip(&first) {
        assert!(&std::fs::read(dir.join(f)).unwrap() == bytes, "{f} differs");
    }
    let _ = std::fs::remove_dir_all(&out);
}
