//! The report's tables as files: `tables.json`, one CSV per table, `tables.xlsx`. All three are
//! written from the printed tables, so a cell the PDF hides is hidden in every file.

use survey_print::{CellValue, ColumnKind, PrintedTable, TablesFile};

/// File name of a table's CSV.
pub fn csv_name(number: &str) -> String {
    format!("table-{number}.csv")
}

/// One output column of a table file: which printed column, and which part of its cells.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Value,
    Lower,
    Upper,
}

/// The file columns of a table: a value column per printed column, and lower/upper columns
/// where cells carry intervals.
fn file_columns(t: &PrintedTable) -> Vec<(usize, Part, String)> {
    let mut out = Vec::new();
    for (i, c) in t.columns.iter().enumerate() {
        let cells = || t.rows.iter().filter_map(move |r| r.cells.get(i));
        if c.kind == ColumnKind::Interval
            || cells().all(|x| matches!(x.value, CellValue::Interval { .. }))
                && cells().next().is_some()
        {
            out.push((i, Part::Lower, format!("{}（下限）", c.header)));
            out.push((i, Part::Upper, format!("{}（上限）", c.header)));
            continue;
        }
        out.push((i, Part::Value, c.header.clone()));
        if cells().any(|x| x.interval.is_some()) {
            out.push((i, Part::Lower, format!("{}（区间下限）", c.header)));
            out.push((i, Part::Upper, format!("{}（区间上限）", c.header)));
        }
    }
    out
}

/// A cell of a table file: a number (unrounded) or text. Suppressed cells give their marker.
enum Out {
    Num(f64),
    Text(String),
    Empty,
}

fn out_cell(c: &survey_print::Cell, part: Part) -> Out {
    match (part, &c.value) {
        (Part::Value, CellValue::Count { count }) => Out::Num(*count as f64),
        (Part::Value, CellValue::Percent { percent }) => Out::Num(*percent),
        (Part::Value, CellValue::Number { value }) => Out::Num(*value),
        (Part::Value, CellValue::Missing) => Out::Empty,
        (Part::Value, _) => Out::Text(c.text.clone()),
        (_, CellValue::Interval { lower, upper }) => {
            Out::Num(if part == Part::Lower { *lower } else { *upper })
        }
        (_, CellValue::Suppressed { .. }) => Out::Text(c.text.clone()),
        (_, _) => match &c.interval {
            Some(iv) => Out::Num(if part == Part::Lower {
                iv.lower
            } else {
                iv.upper
            }),
            None => Out::Empty,
        },
    }
}

/// A text cell as a spreadsheet will not run it: a cell opening with `=`, `+`, `@`, a tab or
/// a carriage return (or `-` before anything but a number) is a formula to Excel, so it is
/// written after an apostrophe, which Excel shows as text and hides.
fn inert(s: &str) -> std::borrow::Cow<'_, str> {
    let mut chars = s.chars();
    let formula = match chars.next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => chars
            .next()
            .is_some_and(|c| !(c.is_ascii_digit() || c == '.')),
        _ => false,
    };
    if formula {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// One table as CSV (UTF-8 with BOM, so that Excel opens the Chinese text correctly): a `code`
/// column for option rows, then the printed columns; percentages unrounded. Text that a
/// spreadsheet would take for a formula is made [`inert`].
pub fn table_csv(t: &PrintedTable) -> Vec<u8> {
    let cols = file_columns(t);
    let coded = t.rows.iter().any(|r| r.code.is_some());
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut header: Vec<String> = Vec::new();
    if coded {
        header.push("code".into());
    }
    // A header's line break (三级\n(N=255)) is one space in a CSV, which pandas and a
    // spreadsheet read as one line.
    header.extend(
        cols.iter()
            .map(|(_, _, h)| inert(&h.replace('\n', " ")).into_owned()),
    );
    w.write_record(&header).expect("in-memory write");
    for r in &t.rows {
        let mut rec: Vec<String> = Vec::new();
        if coded {
            rec.push(r.code.clone().unwrap_or_default());
        }
        for (i, part, _) in &cols {
            rec.push(match r.cells.get(*i).map(|c| out_cell(c, *part)) {
                Some(Out::Num(x)) => format!("{x}"),
                Some(Out::Text(s)) => inert(&s).into_owned(),
                Some(Out::Empty) | None => String::new(),
            });
        }
        w.write_record(&rec).expect("in-memory write");
    }
    w.into_inner().expect("in-memory write")
}

/// Every published table in one workbook: an index sheet, then one sheet per table with its
/// notes under it. Reproducible: the document timestamps are fixed.
pub fn xlsx(file: &TablesFile, title: &str) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let e = |x: rust_xlsxwriter::XlsxError| x.to_string();
    let mut wb = Workbook::new();
    let when = ExcelDateTime::from_ymd(2025, 1, 1).map_err(e)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(title)
            .set_creation_datetime(&when),
    );
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.00");
    let small = Format::new().set_italic();
    let index = wb.add_worksheet();
    index.set_name("目录").map_err(e)?;
    for (c, h) in ["表号", "标题", "数据集", "题目", "样本量(N)"]
        .iter()
        .enumerate()
    {
        index
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(e)?;
    }
    let tables: Vec<&PrintedTable> = file.tables.iter().filter(|t| t.published()).collect();
    for (i, t) in tables.iter().enumerate() {
        let r = i as u32 + 1;
        index
            .write_string(
                r,
                0,
                format!("表{}", t.number.as_deref().unwrap_or_default()),
            )
            .map_err(e)?;
        index
            .write_string(r, 1, fit(t.caption.as_deref().unwrap_or_default()))
            .map_err(e)?;
        index
            .write_string(r, 2, t.dataset.as_deref().unwrap_or_default())
            .map_err(e)?;
        index
            .write_string(r, 3, fit(&t.questions.join(" × ")))
            .map_err(e)?;
        if let Some(b) = &t.base {
            index.write_number(r, 4, b.n as f64).map_err(e)?;
        }
    }
    index.set_column_width(1, 60).map_err(e)?;
    let mut used = std::collections::HashSet::new();
    for t in tables {
        let number = t.number.as_deref().unwrap_or_default();
        let ws = wb.add_worksheet();
        let mut name = sheet_name(number);
        while !used.insert(name.clone()) {
            name = format!("{}_", name.chars().take(30).collect::<String>());
        }
        ws.set_name(&name).map_err(e)?;
        ws.write_string_with_format(
            0,
            0,
            fit(&format!(
                "表{number} {}",
                t.caption.as_deref().unwrap_or_default()
            )),
            &bold,
        )
        .map_err(e)?;
        let mut cols = file_columns(t);
        // Excel's last column: a wider table keeps its first columns here (the CSV and
        // tables.json hold it all), and says so under it.
        let cut = cols.len() > MAX_SHEET_COLUMNS;
        cols.truncate(MAX_SHEET_COLUMNS);
        for (c, (_, _, h)) in cols.iter().enumerate() {
            ws.write_string_with_format(1, c as u16, fit(h), &bold)
                .map_err(e)?;
        }
        for (ri, row) in t.rows.iter().enumerate() {
            let r = ri as u32 + 2;
            for (c, (i, part, _)) in cols.iter().enumerate() {
                let kind = t.columns[*i].kind;
                match row.cells.get(*i).map(|x| out_cell(x, *part)) {
                    Some(Out::Num(x)) if kind == ColumnKind::Count && *part == Part::Value => {
                        ws.write_number(r, c as u16, x).map_err(e)?;
                    }
                    Some(Out::Num(x)) => {
                        ws.write_number_with_format(r, c as u16, x, &pct)
                            .map_err(e)?;
                    }
                    Some(Out::Text(s)) => {
                        ws.write_string(r, c as u16, fit(&s)).map_err(e)?;
                    }
                    Some(Out::Empty) | None => {}
                }
            }
        }
        if let Some(n) = t.note_text() {
            ws.write_string_with_format(t.rows.len() as u32 + 3, 0, fit(&n), &small)
                .map_err(e)?;
        }
        if cut {
            ws.write_string_with_format(
                t.rows.len() as u32 + 4,
                0,
                format!("本表超过Excel的{MAX_SHEET_COLUMNS}列，此处只列前{MAX_SHEET_COLUMNS}列；完整的表见 tables/ 下的CSV文件与 tables.json"),
                &small,
            )
            .map_err(e)?;
        }
        ws.set_column_width(0, 48).map_err(e)?;
        for c in 1..cols.len() {
            ws.set_column_width(c as u16, 16).map_err(e)?;
        }
    }
    wb.save_to_buffer().map_err(e)
}

/// Excel's widest sheet.
const MAX_SHEET_COLUMNS: usize = 16_384;

/// Excel's longest cell text, in UTF-16 units (a character beyond the BMP, 𠮷, takes two).
const MAX_CELL_CHARS: usize = 32_767;

/// Text as a workbook cell can hold it: longer than Excel allows (a note listing thousands of
/// options, trial 38), it is cut and says where the whole text is.
fn fit(text: &str) -> std::borrow::Cow<'_, str> {
    const TAIL: &str = "…（过长，全文见 tables.json）";
    if text.encode_utf16().count() <= MAX_CELL_CHARS {
        return std::borrow::Cow::Borrowed(text);
    }
    let room = MAX_CELL_CHARS - TAIL.encode_utf16().count();
    let mut used = 0;
    let kept: String = text
        .chars()
        .take_while(|c| {
            used += c.len_utf16();
            used <= room
        })
        .collect();
    std::borrow::Cow::Owned(kept + TAIL)
}

/// A worksheet name for a table number: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(number: &str) -> String {
    let clean: String = format!("表{number}")
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .collect();
    clean.chars().take(31).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_print::{Cell, Column, PrintedRow, SuppressionReason, TableKind};

    #[test]
    fn text_a_spreadsheet_would_run_is_written_inert() {
        for (given, written) in [
            (
                "=HYPERLINK(\"http://x\",\"x\")",
                "'=HYPERLINK(\"http://x\",\"x\")",
            ),
            ("+1+2", "'+1+2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("-cmd", "'-cmd"),
            ("-3", "-3"),
            ("-.5", "-.5"),
            ("-", "-"),
            ("三级甲等", "三级甲等"),
        ] {
            assert_eq!(inert(given), written);
        }
    }

    #[test]
    fn a_table_beyond_excel_s_limits_is_cut_in_the_workbook_not_refused() {
        // Trial 38 (C2): a 40,000-character text stopped the build with «String exceeds
        // Excel's limit of 32,767 characters», naming nothing; a cross-tab of 5,000 options
        // would pass Excel's 16,384 columns too.
        let long = "长".repeat(40_000);
        let cut = fit(&long);
        assert_eq!(cut.encode_utf16().count(), MAX_CELL_CHARS);
        // Characters beyond the BMP count twice, as Excel counts them (trial 40).
        let wide = "𠮷".repeat(16_500);
        assert!(fit(&wide).encode_utf16().count() <= MAX_CELL_CHARS);
        assert!(fit(&wide).ends_with("全文见 tables.json）"));
        assert!(cut.ends_with("全文见 tables.json）"));
        assert_eq!(fit("三级甲等"), "三级甲等");
        let mut columns = vec![Column::new("选项", ColumnKind::Label)];
        columns.extend(
            (0..MAX_SHEET_COLUMNS).map(|i| Column::new(format!("列{i}"), ColumnKind::Percent)),
        );
        let mut t = PrintedTable::new(TableKind::CrossTab, columns);
        t.number = Some("1".into());
        t.caption = Some(long.clone());
        let mut cells = vec![Cell::text(&long)];
        cells.extend((0..MAX_SHEET_COLUMNS).map(|_| Cell::percent_of(1, 3, 1)));
        t.rows.push(PrintedRow::option("a", cells));
        let file = TablesFile {
            report: "r".into(),
            tables: vec![t],
            figures: Vec::new(),
            weighting: Vec::new(),
        };
        assert!(xlsx(&file, "题").is_ok_and(|b| !b.is_empty()));
    }

    #[test]
    fn csv_writes_values_and_markers_never_hidden_counts() {
        let mut t = PrintedTable::new(
            TableKind::CrossTab,
            vec![
                Column::new("选项", ColumnKind::Label),
                Column::new("甲", ColumnKind::Percent),
            ],
        );
        t.number = Some("1".into());
        t.rows.push(PrintedRow::option(
            "a",
            vec![
                Cell::text("A"),
                Cell::percent_of(1, 3, 1).with_interval(1.0, 80.0, 1),
            ],
        ));
        t.rows.push(PrintedRow::option(
            "b",
            vec![
                Cell::text("B"),
                Cell::suppressed(SuppressionReason::Small, "<5"),
            ],
        ));
        let csv = String::from_utf8(table_csv(&t)).unwrap();
        assert_eq!(
            csv.trim_start_matches('\u{feff}'),
            "code,选项,甲,甲（区间下限）,甲（区间上限）\na,A,33.333333333333336,1,80\nb,B,<5,<5,<5\n"
        );
    }
}
