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
    let d = std::env::temp_dir().join(format!("disclosure-{}-{name}", std::process::id()));
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
        &xtask::report::Extras { internal },
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
