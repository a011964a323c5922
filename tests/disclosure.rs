//! What the PDF hides, every file hides: both shipped reports are built with the internal file of
//! unsuppressed counts, and for every hidden cell every output — `tables.json`, the CSVs, the
//! workbook, the Typst source, the PDF text — is checked to carry the marker, never the count.
//! Then what the tables print is handed to the exact disclosure audit: no hidden non-zero cell
//! can be worked out from the printed cells and totals.

use std::path::{Path, PathBuf};

use survey_print::{CellValue, PrintedTable, TableKind, TablesFile};
use survey_stats::disclosure::{PrintedTable as Knowledge, Shown, disclosed_cells};
use workspace_tests::root;

fn tmp(name: &str) -> PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("disclosure-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn build(report: &Path, out: &Path, internal: bool) -> xtask::report::Report {
    let typst = xtask::setup::typst().expect("the pinned typst (cargo xtask test installs it)");
    xtask::report::build_with(
        &root(),
        report,
        out,
        &typst,
        None,
        &xtask::report::Extras {
            internal,
            data: None,
        },
    )
    .unwrap()
}

fn pdf_text(pdf: &Path) -> String {
    let o = std::process::Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils; cargo xtask test installs it)");
    String::from_utf8_lossy(&o.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// A suppressed table's number and raw counts: cells, row bases, column bases, grand total.
type Raw = (String, Vec<Vec<u64>>, Vec<u64>, Vec<u64>, u64);

/// The raw counts of each suppressed table, from the internal file.
fn internal(dir: &Path) -> Vec<Raw> {
    let text = std::fs::read_to_string(dir.join("internal/unsuppressed.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v["notice"].as_str().unwrap().starts_with("CONFIDENTIAL"));
    v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let ct = &t["crosstab"];
            let nums = |x: &serde_json::Value| -> Vec<u64> {
                x.as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_u64().unwrap())
                    .collect()
            };
            (
                t["number"].as_str().unwrap().to_owned(),
                ct["counts"].as_array().unwrap().iter().map(nums).collect(),
                nums(&ct["row_bases"]),
                nums(&ct["col_bases"]),
                ct["total"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn is_hidden(t: &PrintedTable, r: usize, c: usize) -> bool {
    matches!(t.rows[r].cells[c].value, CellValue::Suppressed { .. })
}

#[test]
fn no_output_publishes_a_count_the_pdf_hides() {
    let mut hidden_seen = 0;
    for report in [
        "reports/chima-2026-ai-followup",
        "reports/chima-2025-data-security",
    ] {
        let out = tmp(report.rsplit('/').next().unwrap());
        // Without --internal, no internal file.
        let plain = build(&root().join(report), &out, false);
        assert!(!plain.out_dir.join("internal").exists());
        let r = build(&root().join(report), &out, true);
        let dir = r.out_dir.clone();
        let tables: TablesFile =
            serde_json::from_str(&std::fs::read_to_string(dir.join("tables.json")).unwrap())
                .unwrap();
        let json_text = std::fs::read_to_string(dir.join("tables.json")).unwrap();
        assert!(
            !json_text.contains("\"counts\""),
            "raw counts in tables.json"
        );
        let typ = std::fs::read_to_string(dir.join("report.typ")).unwrap();
        let pdf = pdf_text(&dir.join("report.pdf"));
        for (number, counts, row_bases, col_bases, total) in internal(&dir) {
            let t = tables
                .tables
                .iter()
                .find(|t| t.number.as_deref() == Some(number.as_str()))
                .unwrap_or_else(|| panic!("table {number} missing from tables.json"));
            assert_eq!(t.kind, TableKind::CrossTab);
            let (nr, nc) = (counts.len(), counts[0].len());
            let csv_path = dir.join(format!("tables/table-{number}.csv"));
            let mut csv = csv::Reader::from_path(&csv_path).unwrap();
            let csv_header: Vec<String> = csv
                .headers()
                .unwrap()
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').to_owned())
                .collect();
            let csv_rows: Vec<csv::StringRecord> = csv.records().map(|r| r.unwrap()).collect();
            let xlsx_rows: Vec<Vec<String>> = {
                use calamine::Reader;
                let mut wb = calamine::open_workbook_auto(dir.join("tables.xlsx")).unwrap();
                let range = wb.worksheet_range(&format!("表{number}")).unwrap();
                // Skip the title row: the headers, then the cells.
                range
                    .rows()
                    .skip(1)
                    .map(|r| r.iter().map(|d| d.to_string()).collect())
                    .collect()
            };
            let mut hidden = vec![vec![false; nc]; nr];
            let mut small = vec![vec![false; nc]; nr];
            let mut markers = 0;
            for ri in 0..nr {
                for ci in 0..nc {
                    if !is_hidden(t, ri, ci + 1) {
                        continue;
                    }
                    hidden[ri][ci] = true;
                    hidden_seen += 1;
                    markers += 1;
                    let cell = &t.rows[ri].cells[ci + 1];
                    small[ri][ci] = cell.text.starts_with('<');
                    assert!(cell.interval.is_none());
                    // CSV and workbook: the column of this cell (and its interval columns, if
                    // any) hold the marker, never the count.
                    let header = &t.columns[ci + 1].header;
                    for (k, h) in csv_header.iter().enumerate() {
                        if h.starts_with(header.as_str()) {
                            assert_eq!(
                                &csv_rows[ri][k], &cell.text,
                                "table {number} CSV column {h} row {ri}"
                            );
                        }
                    }
                    for (k, h) in xlsx_rows[0].iter().enumerate() {
                        if h.starts_with(header.as_str()) {
                            assert_eq!(
                                xlsx_rows[ri + 1][k],
                                cell.text,
                                "table {number} workbook column {h} row {ri}"
                            );
                        }
                    }
                }
            }
            // The Typst source and the PDF print the markers.
            for m in ["<5", "×"] {
                let n = t
                    .rows
                    .iter()
                    .flat_map(|r| &r.cells)
                    .filter(|c| c.text == m)
                    .count();
                if n > 0 {
                    assert!(typ.contains(&format!("[#\"{m}\"]")), "{m} not drawn");
                    assert!(pdf.contains(m), "{m} not in the PDF text");
                }
            }
            assert!(markers > 0);
            // What the reader knows: visible cells (percentages of printed bases give the
            // counts back), printed totals, the markers. Nothing hidden and non-zero is pinned.
            let row_hidden: Vec<(u64, Shown)> = t
                .rows
                .iter()
                .zip(&row_bases)
                .map(|(row, &b)| {
                    let c = row.cells.last().unwrap();
                    let shown = match &c.value {
                        CellValue::Suppressed { .. } if c.text.starts_with('<') => Shown::Small,
                        CellValue::Suppressed { .. } => Shown::Hidden,
                        _ => Shown::Printed,
                    };
                    (b, shown)
                })
                .collect();
            let col_hidden: Vec<(u64, Shown)> = t.columns[1..=nc]
                .iter()
                .zip(&col_bases)
                .map(|(col, &b)| {
                    let shown = if col.header.contains("N=<") {
                        Shown::Small
                    } else if col.header.contains("N=×") {
                        Shown::Hidden
                    } else {
                        Shown::Printed
                    };
                    (b, shown)
                })
                .collect();
            let grand_hidden = t.columns[nc + 1].header.contains("N=×");
            // Cross-tabs of single-choice questions: cells add up both ways.
            let k = Knowledge {
                counts: &counts,
                hidden: &hidden,
                small: &small,
                row_totals: &row_hidden,
                col_totals: &col_hidden,
                rows_add_up: true,
                cols_add_up: true,
                grand: (!grand_hidden).then_some(total),
                threshold: 5,
            };
            let found: Vec<(usize, usize)> = disclosed_cells(&k)
                .unwrap()
                .into_iter()
                .filter(|&(i, j)| counts[i][j] > 0)
                .collect();
            assert!(
                found.is_empty(),
                "table {number}: cells {found:?} can be worked out"
            );
            // No printed number in the table's rows equals a hidden count in the same place.
            for (ri, row) in counts.iter().enumerate() {
                for (ci, &v) in row.iter().enumerate() {
                    if hidden[ri][ci] {
                        assert_ne!(t.rows[ri].cells[ci + 1].text, v.to_string());
                    }
                }
            }
        }
        let _ = std::fs::remove_dir_all(&out);
    }
    assert!(hidden_seen > 0, "the shipped reports suppress something");
}

/// Every completion of a hidden table consistent with everything printed: its visible cells,
/// the counts of its options (from any table that prints them), and every weighted share of
/// its row options (weighted tables and weighted totals), with the weight of each column taken
/// from the printed weighting summary (achieved share / sample share). Enumerated by brute
/// force, independently of the build's own audit.
struct Completions {
    /// Per hidden cell, the values it takes across consistent completions.
    values: Vec<((usize, usize), std::collections::BTreeSet<u64>)>,
    completions: u64,
}

fn completions(
    counts: &[Vec<u64>],
    hidden: &[Vec<bool>],
    small: &[Vec<bool>],
    row_totals: &[u64],
    col_totals: &[u64],
    shares: &[(usize, f64, f64, Vec<f64>)],
) -> Completions {
    let cells: Vec<(usize, usize)> = (0..counts.len())
        .flat_map(|r| (0..counts[0].len()).map(move |c| (r, c)))
        .filter(|&(r, c)| hidden[r][c])
        .collect();
    let mut values = vec![std::collections::BTreeSet::new(); cells.len()];
    let mut x = counts.to_vec();
    let mut completions = 0;
    #[allow(clippy::too_many_arguments)]
    fn walk(
        i: usize,
        cells: &[(usize, usize)],
        x: &mut Vec<Vec<u64>>,
        small: &[Vec<bool>],
        rows: &[u64],
        cols: &[u64],
        shares: &[(usize, f64, f64, Vec<f64>)],
        values: &mut [std::collections::BTreeSet<u64>],
        completions: &mut u64,
    ) {
        if i == cells.len() {
            let sums_ok = x.iter().zip(rows).all(|(r, &t)| r.iter().sum::<u64>() == t)
                && (0..cols.len()).all(|c| x.iter().map(|r| r[c]).sum::<u64>() == cols[c]);
            if !sums_ok {
                return;
            }
            for (row, lo, hi, w) in shares {
                let num: f64 = (0..cols.len()).map(|c| w[c] * x[*row][c] as f64).sum();
                let den: f64 = (0..cols.len()).map(|c| w[c] * cols[c] as f64).sum();
                let s = num / den;
                if s < *lo - 1e-12 || s > *hi + 1e-12 {
                    return;
                }
            }
            *completions += 1;
            for (k, &(r, c)) in cells.iter().enumerate() {
                values[k].insert(x[r][c]);
            }
            return;
        }
        let (r, c) = cells[i];
        let max = rows[r].min(cols[c]);
        let (lo, hi) = if small[r][c] {
            (0, max.min(4))
        } else {
            (0, max)
        };
        for v in lo..=hi {
            x[r][c] = v;
            // Prune: a row or column already over its total.
            if x[r].iter().sum::<u64>() > rows[r] || x.iter().map(|q| q[c]).sum::<u64>() > cols[c] {
                continue;
            }
            walk(
                i + 1,
                cells,
                x,
                small,
                rows,
                cols,
                shares,
                values,
                completions,
            );
        }
        x[r][c] = 0;
    }
    for &(r, c) in &cells {
        x[r][c] = 0;
    }
    walk(
        0,
        &cells,
        &mut x,
        small,
        row_totals,
        col_totals,
        shares,
        &mut values,
        &mut completions,
    );
    Completions {
        values: cells.into_iter().zip(values).collect(),
        completions,
    }
}

#[test]
fn no_hidden_cell_follows_from_every_printed_figure_together() {
    let mut audited = 0;
    for report in [
        "reports/chima-2026-ai-followup",
        "reports/chima-2025-data-security",
    ] {
        let out = tmp(&format!("linked-{}", report.rsplit('/').next().unwrap()));
        let r = build(&root().join(report), &out, true);
        let dir = r.out_dir.clone();
        let tables: TablesFile =
            serde_json::from_str(&std::fs::read_to_string(dir.join("tables.json")).unwrap())
                .unwrap();
        let internal_json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("internal/unsuppressed.json")).unwrap(),
        )
        .unwrap();
        // Per-category weights of each weight set, from the printed summary.
        let weights_of = |name: &str, question: &str| -> Option<Vec<(String, f64)>> {
            let s = tables.weighting.iter().find(|w| w.name == name)?;
            let v = s.variables.iter().find(|v| v.question == question)?;
            (s.variables.len() == 1).then(|| {
                v.categories
                    .iter()
                    .map(|c| (c.code.clone(), c.achieved_share / c.sample_share))
                    .collect()
            })
        };
        for (number, counts, row_bases, col_bases, _) in internal(&dir) {
            let t = tables
                .tables
                .iter()
                .find(|t| t.number.as_deref() == Some(number.as_str()))
                .unwrap();
            let entry = internal_json["tables"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["number"] == number.as_str())
                .unwrap();
            let row_q = entry["crosstab"]["row_question"].as_str().unwrap();
            let col_q = entry["crosstab"]["col_question"].as_str().unwrap();
            let codes = |k: &str| -> Vec<String> {
                entry["crosstab"][k]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_owned())
                    .collect()
            };
            let (row_codes, col_codes) = (codes("row_codes"), codes("col_codes"));
            let (nr, nc) = (counts.len(), counts[0].len());
            let mut hidden = vec![vec![false; nc]; nr];
            let mut small = vec![vec![false; nc]; nr];
            for ri in 0..nr {
                for ci in 0..nc {
                    if is_hidden(t, ri, ci + 1) {
                        hidden[ri][ci] = true;
                        small[ri][ci] = t.rows[ri].cells[ci + 1].text.starts_with('<');
                    }
                }
            }
            // Weighted shares of the row options printed anywhere, with column weights.
            let mut shares = Vec::new();
            for other in &tables.tables {
                let Some(wname) = &other.weights else {
                    continue;
                };
                if other.questions.first().map(String::as_str) != Some(row_q) {
                    continue;
                }
                let Some(w) = weights_of(wname, col_q) else {
                    continue;
                };
                let wcol: Vec<f64> = col_codes
                    .iter()
                    .map(|c| w.iter().find(|(k, _)| k == c).map_or(0.0, |x| x.1))
                    .collect();
                // The weighted share column: the weighted table's 加权比例, the cross-tab's 合计.
                let at = match other.kind {
                    TableKind::Weighted => 3,
                    TableKind::CrossTab => other.columns.len() - 1,
                    _ => continue,
                };
                for row in &other.rows {
                    let Some(code) = &row.code else { continue };
                    let Some(ri) = row_codes.iter().position(|c| c == code) else {
                        continue;
                    };
                    // What the reader sees: the printed text, to its printed digits.
                    if let CellValue::Percent { .. } = row.cells[at].value {
                        let text = row.cells[at].text.trim_end_matches('%');
                        let decimals = text.split('.').nth(1).map_or(0, str::len) as i32;
                        let p: f64 = text.parse::<f64>().unwrap() / 100.0;
                        let half = 0.5 * 10f64.powi(-decimals) / 100.0;
                        shares.push((ri, p - half, p + half, wcol.clone()));
                    }
                }
            }
            let c = completions(&counts, &hidden, &small, &row_bases, &col_bases, &shares);
            assert!(
                c.completions > 0,
                "table {number}: the truth is a completion"
            );
            for ((r, col), vals) in &c.values {
                if counts[*r][*col] > 0 {
                    assert!(
                        vals.len() >= 2,
                        "table {number}: hidden cell ({r}, {col}) = {} follows from {} completions (shares: {})",
                        counts[*r][*col],
                        c.completions,
                        shares.len()
                    );
                }
            }
            audited += 1;
            eprintln!(
                "table {number}: {} completions, {} weighted shares linked",
                c.completions,
                shares.len()
            );
        }
        let _ = std::fs::remove_dir_all(&out);
    }
    assert!(audited > 0);
}

#[test]
fn a_conditional_question_s_column_bases_are_audited_with_its_condition_s_cells() {
    // Trial 38: `llm_controls` is shown only to hospitals that answered 是 or 试点中 to
    // `uses_llm`, so a cross-tab of it by level prints, over each column, how many of that
    // level answered 是 or 试点中. Beside `uses_llm` × `level`, those N gave back all four
    // hidden cells. The audit now counts them, and the build stops.
    let dir = tmp("conditional-bases");
    let src = dir.join("report");
    workspace_tests::copy_dir(&root().join("reports/chima-2026-ai-followup"), &src);
    let data = src.join("data/synthetic-followup-wjx-text.csv");
    let text = std::fs::read_to_string(&data).unwrap();
    let body = text.trim_start_matches('\u{feff}');
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes());
    let mut rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let col = |name: &str| rows[0].iter().position(|h| h.starts_with(name)).unwrap();
    let (level, uses, controls) = (col("2、"), col("4、"), col("5、"));
    // Three 其他-level hospitals that answered 否; the rest of them move to 是.
    let mut kept = 0;
    for row in rows.iter_mut().skip(1) {
        if row[level].starts_with("其他") && row[uses] == "否" {
            if kept < 3 {
                kept += 1;
            } else {
                row[uses] = "是".into();
                row[controls] = "输入内容敏感信息过滤".into();
            }
        }
    }
    assert_eq!(kept, 3);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in &rows {
        w.write_record(row).unwrap();
    }
    let mut out = b"\xef\xbb\xbf".to_vec();
    out.extend(w.into_inner().unwrap());
    std::fs::write(&data, out).unwrap();
    let narr = src.join("narrative/report.md");
    let n = std::fs::read_to_string(&narr).unwrap();
    let with = |second: &str| {
        n.replacen(
            "@table top_concern {",
            &format!("@crosstab {{row = \"uses_llm\", col = \"level\", caption = \"上线情况×级别（人数）\", show = \"count\"}}\n\n{second}@table top_concern {{"),
            1,
        )
    };
    // Alone, the table of uses_llm by level protects its cells.
    std::fs::write(&narr, with("")).unwrap();
    let typst = xtask::setup::typst().expect("the pinned typst (cargo xtask test installs it)");
    xtask::report::build(&root(), &src, &dir.join("out"), &typst, None).unwrap();
    // With the conditional question's table by level beside it, the audit stops the build.
    std::fs::write(
        &narr,
        with("@crosstab {row = \"llm_controls\", col = \"level\", caption = \"措施×级别（人数）\", show = \"count\"}\n\n"),
    )
    .unwrap();
    let e = xtask::report::build(&root(), &src, &dir.join("out"), &typst, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("«否»/«其他» = 3")
            && e.contains("the N over the columns of a cross-tab of a question shown only to some of its options"),
        "{e}"
    );
    // Trial 38: a second dataset reading the same download is the same respondents. The
    // conditional question's table printed from it undoes the first dataset's table just
    // the same.
    let toml = src.join("report.toml");
    let spec = std::fs::read_to_string(&toml).unwrap();
    let second = "[[datasets]]\nname = \"g\"\nquestionnaire = \"questionnaires/followup.questionnaire.json\"\ndata = \"data/synthetic-followup-wjx-text.csv\"\nmapping = \"import/followup.mapping.json\"\ncleaning = \"cleaning/followup.rules.json\"\n\n[[weights]]";
    std::fs::write(&toml, spec.replacen("[[weights]]", second, 1)).unwrap();
    std::fs::write(
        &narr,
        with("@crosstab {dataset = \"g\", row = \"llm_controls\", col = \"level\", caption = \"措施×级别（人数）\", show = \"count\"}\n\n"),
    )
    .unwrap();
    let e = xtask::report::build(&root(), &src, &dir.join("out"), &typst, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("«否»/«其他» = 3"), "{e}");
    // And printing the same pair from it unsuppressed is refused, naming both places.
    std::fs::write(
        &narr,
        with("@crosstab {dataset = \"g\", row = \"uses_llm\", col = \"level\", caption = \"上线情况×级别\", show = \"count\", suppress = 0}\n\n"),
    )
    .unwrap();
    let e = xtask::report::build(&root(), &src, &dir.join("out"), &typst, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("uses_llm × level is printed from dataset `f` with `suppress = 5`")
            && e.contains("from dataset `g` with `suppress = 0`")
            && e.contains("read the same download"),
        "{e}"
    );
}
