//! Import tests on fixtures the project writes itself: every layout, encoding and format,
//! and every kind of bad input with its located error.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use survey_import::encoding::{TextEncoding, sniff};
use survey_import::headers::legacy_option;
use survey_import::table::{CsvEncoding, open_table, write_csv, write_xlsx};
use survey_import::wjx::{WjxWriter, parse_duration};
use survey_import::{Imported, Mapping, Meta, WjxMode, read_all};
use survey_import::{SourceFormat, SourceLayout};
use survey_schema::{Index, Record, Value, load_questionnaire};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn index() -> Index {
    load_questionnaire(&fixtures().join("fixture.questionnaire.json")).unwrap()
}

fn mapping() -> Mapping {
    Mapping::load(&fixtures().join("fixture.mapping.json")).unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("survey-import-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The fixture records, read through the JSON Lines importer.
fn expected() -> Vec<Record> {
    let idx = index();
    let (info, items) = read_all(
        &idx,
        &Mapping::records(idx.id()),
        Path::new("records"),
        &fixtures().join("fixture.records.jsonl"),
        10,
    )
    .unwrap();
    assert_eq!(info.layout, SourceLayout::Records);
    items.into_iter().map(|i| i.record).collect()
}

fn meta(k: usize) -> Meta {
    // A minute apart from 2026/4/18 08:00.
    let at = format!(
        "2026/4/{} {:02}:{:02}:00",
        18 + (480 + k) / 1440,
        (480 + k) / 60 % 24,
        k % 60
    );
    Meta {
        row: k + 2,
        submitted_key: survey_import::wjx::parse_time(&at),
        submitted_at: Some(at),
        duration_secs: Some(80.0 + k as f64),
        source: Some("手机提交".into()),
        ip: Some("192.0.2.7".into()),
    }
}

fn rows(idx: &Index, mode: WjxMode, records: &[Record]) -> (Vec<String>, Vec<Vec<String>>) {
    let m = mapping();
    let w = WjxWriter::new(idx, &m, mode);
    (
        w.headers(),
        records
            .iter()
            .enumerate()
            .map(|(k, r)| w.row(r, &meta(k)))
            .collect(),
    )
}

fn import(
    path: &Path,
) -> Result<(survey_import::SourceInfo, Vec<Imported>), Vec<survey_import::ImportError>> {
    read_all(
        &index(),
        &mapping(),
        &fixtures().join("fixture.mapping.json"),
        path,
        20,
    )
}

fn first_error(path: &Path) -> String {
    import(path).unwrap_err()[0].to_string()
}

#[test]
fn every_layout_and_encoding_reads_back_the_same_records() {
    let idx = index();
    let records = expected();
    for mode in [WjxMode::Text, WjxMode::Code] {
        let (h, r) = rows(&idx, mode, &records);
        let cases = [
            ("utf8.csv", CsvEncoding::Utf8, TextEncoding::Utf8),
            ("bom.csv", CsvEncoding::Utf8Bom, TextEncoding::Utf8Bom),
            ("gbk.csv", CsvEncoding::Gb18030, TextEncoding::Gb18030),
        ];
        for (name, enc, label) in cases {
            let p = tmp(&format!("{mode:?}-{name}"));
            write_csv(&p, &h, &r, enc).unwrap();
            let (info, items) = import(&p).unwrap();
            assert_eq!(info.encoding, Some(label), "{name}");
            assert_eq!(
                info.layout,
                if mode == WjxMode::Code {
                    SourceLayout::WjxCode
                } else {
                    SourceLayout::WjxText
                }
            );
            let got: Vec<Record> = items.iter().map(|i| i.record.clone()).collect();
            assert_eq!(got, records, "{mode:?} {name}");
            assert_eq!(items[1].meta.duration_secs, Some(81.0));
            assert_eq!(
                items[1].meta.submitted_at.as_deref(),
                Some("2026/4/18 08:01:00")
            );
        }
        let p = tmp(&format!("{mode:?}.xlsx"));
        write_xlsx(&p, "Sheet1", &h, &r).unwrap();
        let (info, items) = import(&p).unwrap();
        assert_eq!(info.format, SourceFormat::Xlsx);
        assert_eq!(
            items.iter().map(|i| i.record.clone()).collect::<Vec<_>>(),
            records,
            "{mode:?} xlsx"
        );
    }
}

#[test]
fn xls_fixture_rows_are_current() {
    // The committed .xls files are made from these rows by fixtures/make_xls.py.
    let idx = index();
    let records = expected();
    for (mode, name) in [(WjxMode::Text, "text"), (WjxMode::Code, "code")] {
        let (h, r) = rows(&idx, mode, &records);
        let mut all = vec![h];
        all.extend(r);
        let json = serde_json::to_string_pretty(&all).unwrap() + "\n";
        let path = fixtures().join(format!("wjx-{name}.rows.json"));
        if std::env::var_os("UPDATE_FIXTURES").is_some() {
            std::fs::write(&path, &json).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            json,
            "run UPDATE_FIXTURES=1 cargo test, then make_xls.py"
        );
    }
}

#[test]
fn legacy_xls_in_both_modes() {
    let records = expected();
    for name in ["text", "code"] {
        let (info, items) = import(&fixtures().join(format!("wjx-{name}.xls"))).unwrap();
        assert_eq!(info.format, SourceFormat::Xls);
        assert_eq!(
            info.layout,
            if name == "code" {
                SourceLayout::WjxCode
            } else {
                SourceLayout::WjxText
            }
        );
        assert_eq!(
            items.iter().map(|i| i.record.clone()).collect::<Vec<_>>(),
            records,
            "{name}"
        );
    }
}

#[test]
fn json_arrays_and_lines_import_alike() {
    let idx = index();
    let lines = std::fs::read_to_string(fixtures().join("fixture.records.jsonl")).unwrap();
    let array = format!("[\n{}\n]", lines.trim_end().replace('\n', ",\n"));
    let p = tmp("records.json");
    std::fs::write(&p, array).unwrap();
    let (info, items) =
        read_all(&idx, &Mapping::records(idx.id()), Path::new("m"), &p, 10).unwrap();
    assert_eq!(info.format, SourceFormat::Json);
    assert_eq!(
        items.iter().map(|i| i.record.clone()).collect::<Vec<_>>(),
        expected()
    );
    assert_eq!(items[2].meta.row, 4, "line of the third record");
}

#[test]
fn missing_values_stay_distinct_from_not_chosen() {
    let idx = index();
    let recs = expected();
    let ai = idx.position("ai_uses").unwrap();
    let staff = idx.position("staff").unwrap();
    assert_eq!(
        recs[1].values[ai],
        Value::NotShown,
        "-3 / (跳过): not shown"
    );
    assert_eq!(recs[1].values[staff], Value::Skipped, "-2 / (空): skipped");
    assert_eq!(recs[3].values[ai], Value::Skipped);
    // not chosen: record 1 chose anomaly only
    assert!(matches!(recs[0].values[ai], Value::Choices(s) if s.len() == 1));
    // and in code mode the 0/1 columns carry -3 for every option of a question not shown
    let (h, r) = rows(&idx, WjxMode::Code, &recs);
    let cols: Vec<usize> = h
        .iter()
        .enumerate()
        .filter(|(_, x)| x.starts_with("7、"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(cols.len(), 2);
    assert!(cols.iter().all(|&c| r[1][c] == "-3") && cols.iter().all(|&c| r[3][c] == "-2"));
}

#[test]
fn code_mode_reads_float_codes_and_messy_headers() {
    let idx = index();
    let recs = expected();
    let (mut h, mut r) = rows(&idx, WjxMode::Code, &recs);
    // "7.0"-style codes after a spreadsheet round trip, tabs and spaces in headers.
    let beds = h.iter().position(|x| x.starts_with("4、")).unwrap();
    for row in &mut r {
        row[beds] = format!("{}.0", row[beds]);
    }
    h[beds] = format!(" \t{}\t", h[beds]);
    let p = tmp("floats.csv");
    write_csv(&p, &h, &r, CsvEncoding::Utf8).unwrap();
    let (_, items) = import(&p).unwrap();
    assert_eq!(
        items.iter().map(|i| i.record.clone()).collect::<Vec<_>>(),
        recs
    );
}

#[test]
fn header_parsing() {
    assert_eq!(
        legacy_option("第5题(数据泄露防护(DLP)中的智能识别与阻断)"),
        Some((5, "数据泄露防护(DLP)中的智能识别与阻断"))
    );
    assert_eq!(
        legacy_option("第10题(其他【请注明】)"),
        Some((10, "其他【请注明】"))
    );
    assert_eq!(legacy_option("第5题"), None);
    assert_eq!(parse_duration("80秒"), Some(80.0));
    assert_eq!(parse_duration("1分20秒"), Some(80.0));
    assert_eq!(parse_duration("八十秒"), None);
}

#[test]
fn encoding_detection() {
    let p = tmp("bom-detect.csv");
    std::fs::write(&p, b"\xEF\xBB\xBFabc").unwrap();
    assert_eq!(sniff(&p).unwrap(), TextEncoding::Utf8Bom);
    std::fs::write(&p, "序号,名称".as_bytes()).unwrap();
    assert_eq!(sniff(&p).unwrap(), TextEncoding::Utf8);
    let (gbk, _, _) = encoding_rs::GB18030.encode("序号,名称");
    std::fs::write(&p, &gbk).unwrap();
    assert_eq!(sniff(&p).unwrap(), TextEncoding::Gb18030);
    // A file larger than one read, with a character cut at the read's end, is still UTF-8.
    let big = "医".repeat(400_000);
    std::fs::write(&p, big.as_bytes()).unwrap();
    assert_eq!(sniff(&p).unwrap(), TextEncoding::Utf8);
}

#[test]
fn a_workbook_and_a_csv_under_each_others_names_are_told_apart() {
    // A workbook saved as .csv, and a CSV download renamed .xlsx: each named for what it is.
    let zip = [b"PK\x03\x04".as_slice(), &[0u8; 60]].concat();
    let p = tmp("workbook-named.csv");
    std::fs::write(&p, &zip).unwrap();
    let e = open_table(&p, None).err().unwrap().to_string();
    assert!(
        e.contains("workbook-named.csv") && e.contains("is an Excel workbook (xlsx)"),
        "{e}"
    );
    let p = tmp("text-named.xlsx");
    std::fs::write(&p, "序号,提交答卷时间\n1,2025/3/1 10:00:00\n").unwrap();
    let e = open_table(&p, None).err().unwrap().to_string();
    assert!(
        e.contains("text-named.xlsx")
            && e.contains("is not an Excel workbook")
            && e.contains(".csv"),
        "{e}"
    );
}

// ---------------------------------------------------------------- bad input

fn text_csv(mutate: impl FnOnce(&mut Vec<String>, &mut Vec<Vec<String>>)) -> PathBuf {
    let idx = index();
    let (mut h, mut r) = rows(&idx, WjxMode::Text, &expected());
    mutate(&mut h, &mut r);
    let p = tmp(&format!(
        "bad-{}.csv",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    write_csv(&p, &h, &r, CsvEncoding::Utf8).unwrap();
    p
}

#[test]
fn unreadable_and_empty_files() {
    let p = tmp("empty.csv");
    std::fs::write(&p, "").unwrap();
    assert!(
        first_error(&p).ends_with("empty.csv: the file is empty"),
        "{}",
        first_error(&p)
    );
    let e = first_error(&tmp("does-not-exist.csv"));
    assert!(e.contains("does-not-exist.csv: cannot read"), "{e}");
    let p = tmp("notes.pdf");
    std::fs::write(&p, "x").unwrap();
    assert!(first_error(&p).contains("cannot tell the format from the extension `.pdf`"));
    // What a table reader reads, not what the import reads besides (trial 46).
    let e = open_table(&p, None).err().unwrap().to_string();
    assert!(
        e.contains("a 问卷星 download is .csv, .xlsx or .xls") && !e.contains("json"),
        "{e}"
    );
    let p = tmp("answers");
    std::fs::write(&p, "x").unwrap();
    assert!(
        first_error(&p).contains("the file name has no extension"),
        "{}",
        first_error(&p)
    );
    let p = tmp("garbage.xlsx");
    std::fs::write(&p, "this is not a workbook").unwrap();
    assert!(
        first_error(&p).contains("garbage.xlsx: is not an Excel workbook"),
        "{}",
        first_error(&p)
    );
    // A zip that holds no workbook.
    std::fs::write(&p, b"PK\x03\x04 and then nothing a workbook holds").unwrap();
    assert!(
        first_error(&p).contains("garbage.xlsx: not a readable workbook"),
        "{}",
        first_error(&p)
    );
}

#[test]
fn a_missing_sheet_lists_the_sheets() {
    let idx = index();
    let (h, r) = rows(&idx, WjxMode::Text, &expected());
    let p = tmp("sheets.xlsx");
    write_xlsx(&p, "答卷数据", &h, &r).unwrap();
    let mut m = mapping();
    m.sheet = Some("Sheet1".into());
    let e =
        read_all(&idx, &m, Path::new("fixture.mapping.json"), &p, 5).unwrap_err()[0].to_string();
    assert!(
        e.contains("has no worksheet `Sheet1`; its worksheets are 答卷数据"),
        "{e}"
    );
}

#[test]
fn ragged_rows_name_the_row() {
    let idx = index();
    let (h, r) = rows(&idx, WjxMode::Text, &expected());
    let p = tmp("ragged.csv");
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(&p)
        .unwrap();
    w.write_record(&h).unwrap();
    for (k, row) in r.iter().enumerate() {
        w.write_record(if k == 2 {
            &row[..row.len() - 1]
        } else {
            &row[..]
        })
        .unwrap();
    }
    drop(w);
    let e = first_error(&p);
    assert!(
        e.contains(": row 4: the row has 14 fields but the header has 15 (a ragged row)"),
        "{e}"
    );
}

#[test]
fn an_unclosed_quote_is_named_by_the_cell_that_opens_it() {
    // Trial 38 (C4): a quote opened and never closed read as a ragged row, the cell unnamed.
    // Both readers now say which cell opened it, in a file of thirty rows.
    let idx = index();
    let many = thirty();
    let (h, r) = rows(&idx, WjxMode::Text, &many);
    let c = h.iter().position(|x| x.starts_with("2、")).unwrap();
    let p = tmp("unclosed.csv");
    let mut text = format!("{}\n", h.join(","));
    for (k, row) in r.iter().enumerate() {
        let mut cells = row.clone();
        if k == 2 {
            cells[c] = format!("\"{}", cells[c]);
        }
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    std::fs::write(&p, text).unwrap();
    let says = |e: &str| {
        assert!(
            e.contains(": row 4: the record has")
                && e.contains("the cell in column H «2、")
                && e.contains("opens a quote")
                && e.contains("runs on over 1 line end to the next quote"),
            "{e}"
        );
    };
    says(&first_error(&p));
    says(&parallel_error(&idx, &p, 50).to_string());
}

/// Thirty records, the fixture's four in turn, numbered 1 to 30.
fn thirty() -> Vec<Record> {
    (0..30)
        .map(|k| {
            let mut r = expected()[k % 4].clone();
            r.id = (k + 1).to_string();
            r
        })
        .collect()
}

/// The first error of reading `p` on two threads in blocks of `block` bytes.
fn parallel_error(idx: &Index, p: &Path, block: usize) -> survey_import::ImportError {
    survey_import::parallel::fold_csv_only(
        idx,
        &mapping(),
        Path::new("m.json"),
        p,
        2,
        block,
        &|_| true,
        || (),
        |_, _, _| Ok(()),
        None,
    )
    .unwrap_err()
}

#[test]
fn unknown_option_text_names_row_column_and_value() {
    let p = text_csv(|h, r| {
        let c = h.iter().position(|x| x.starts_with("2、")).unwrap();
        r[1][c] = "三级甲等医院".into();
    });
    let e = first_error(&p);
    assert!(e.contains(": row 3, column H «2、医院级别», value \"三级甲等医院\": «三级甲等医院» is not an option text of this question"), "{e}");
}

#[test]
fn unknown_option_text_inside_a_multiple_choice_answer() {
    let p = text_csv(|h, r| {
        let c = h.iter().position(|x| x.starts_with("5、")).unwrap();
        r[0][c] = "数据备份┋数据加密".into();
    });
    let e = first_error(&p);
    assert!(
        e.contains("row 2, column K «5、现有的数据安全保护措施»")
            && e.contains("«数据加密» is not an option text"),
        "{e}"
    );
}

#[test]
fn unknown_option_code_in_code_mode() {
    let idx = index();
    let (h, mut r) = rows(&idx, WjxMode::Code, &expected());
    let c = h.iter().position(|x| x.starts_with("4、")).unwrap();
    r[0][c] = "9".into();
    let p = tmp("code9.csv");
    write_csv(&p, &h, &r, CsvEncoding::Utf8).unwrap();
    let e = first_error(&p);
    assert!(e.contains("row 2, column J «4、开放床位数», value \"9\": option number 9 does not exist; this question has 7 options"), "{e}");
    // A 0 is no option number: a quantity, not a text-mode download.
    r[0][c] = "0".into();
    let p = tmp("code0.csv");
    write_csv(&p, &h, &r, CsvEncoding::Utf8).unwrap();
    let e = first_error(&p);
    assert!(e.contains("value \"0\": expected an option number (from 1), not 0: if the question asks for a number, make it an `integer`"), "{e}");
    r[0][c] = "2".into();
    let multi = h.iter().position(|x| x.starts_with("5、")).unwrap();
    r[1][multi] = "yes".into();
    let p = tmp("code-multi.csv");
    write_csv(&p, &h, &r, CsvEncoding::Utf8).unwrap();
    let e = first_error(&p);
    assert!(
        e.contains("row 3") && e.contains("value \"yes\": expected 0 or 1"),
        "{e}"
    );
}

#[test]
fn text_where_a_number_is_expected() {
    let p = text_csv(|h, r| {
        let c = h.iter().position(|x| x.starts_with("8、")).unwrap();
        r[0][c] = "三人".into();
    });
    let e = first_error(&p);
    assert!(e.contains("value \"三人\": `staff` takes a number"), "{e}");
    let p = text_csv(|h, r| {
        let c = h.iter().position(|x| x == "所用时间").unwrap();
        r[0][c] = "很快".into();
    });
    assert!(
        first_error(&p).contains("column C «所用时间», value \"很快\": expected a completion time")
    );
}

#[test]
fn duplicate_and_unplaceable_headers() {
    let p = text_csv(|h, _| h[7] = h[6].clone());
    let e = first_error(&p);
    assert!(
        e.contains("row 1, column H «1、医院名称»")
            && e.contains("duplicate header: column G «1、医院名称» has the same name"),
        "{e}"
    );
    let p = text_csv(|h, _| h[7] = "备注".into());
    let e = first_error(&p);
    assert!(
        e.contains("column H «备注»") && e.contains("this column cannot be placed"),
        "{e}"
    );
    let p = text_csv(|h, _| h[7] = "12、多余的题".into());
    assert!(first_error(&p).contains("question 12 is not in the mapping"));
    // A number the mapping lacks on a question it reads from another number: renumbered.
    let p = text_csv(|h, _| h[7] = format!("12、{}", h[6].split_once('、').unwrap().1));
    let e = first_error(&p);
    assert!(
        e.contains("question 12 is not in the mapping's `questions`, but this column asks what")
            && e.contains("which the mapping reads from question 1")
            && e.contains("key `questions` by this download's numbers"),
        "{e}"
    );
    // 所用时间 under another header: the message names the field to set, not only
    // `ignore_columns` (which would turn a time limit off).
    let p = text_csv(|h, _| {
        let c = h.iter().position(|x| x == "所用时间").unwrap();
        h[c] = "答题时长".into();
    });
    let e = first_error(&p);
    assert!(
        e.contains("«答题时长»")
            && e.contains("`metadata.duration` («所用时间»)")
            && e.contains("set that field to «答题时长»"),
        "{e}"
    );
}

#[test]
fn a_mapping_that_names_a_missing_question() {
    let idx = index();
    let mut m = mapping();
    m.questions.insert("10".into(), "ghost".into());
    let p = text_csv(|_, _| {});
    let e = read_all(
        &idx,
        &m,
        Path::new("reports/x/import/fixture.mapping.json"),
        &p,
        5,
    )
    .unwrap_err()[0]
        .to_string();
    assert!(
        e.starts_with(
            "reports/x/import/fixture.mapping.json: the mapping does not fit the questionnaire"
        ),
        "{e}"
    );
    assert!(
        e.contains("question number 10 maps to `ghost`, which is not a question of import-fixture"),
        "{e}"
    );
    let mut m = mapping();
    m.questions.shift_remove("9");
    let e = read_all(&idx, &m, Path::new("m.json"), &p, 5).unwrap_err()[0].to_string();
    assert!(e.contains("question `advice` has no 问卷星 number"), "{e}");
}

#[test]
fn undecodable_bytes_are_refused() {
    let idx = index();
    let (h, r) = rows(&idx, WjxMode::Text, &expected());
    let p = tmp("broken-gbk.csv");
    write_csv(&p, &h, &r, CsvEncoding::Gb18030).unwrap();
    // A row whose second field holds a byte pair no GB18030 text contains.
    let mut bytes = std::fs::read(&p).unwrap();
    let mut bad = r[0].clone();
    bad[1] = "@@".into();
    let line = bad.join(",") + "\r\n";
    let (enc, _, _) = encoding_rs::GB18030.encode(&line);
    let mut enc = enc.to_vec();
    let at = enc.windows(2).position(|w| w == b"@@").unwrap();
    enc[at] = 0x81;
    enc[at + 1] = 0x20;
    bytes.extend_from_slice(&enc);
    std::fs::write(&p, &bytes).unwrap();
    let e = first_error(&p);
    assert!(
        e.contains("row 6, column B «提交答卷时间»") && e.contains("neither UTF-8 nor GB18030"),
        "{e}"
    );
}

#[test]
fn errors_in_several_rows_are_all_reported() {
    let p = text_csv(|h, r| {
        let c = h.iter().position(|x| x.starts_with("2、")).unwrap();
        r[0][c] = "甲".into();
        r[2][c] = "乙".into();
    });
    let errs = import(&p).unwrap_err();
    assert_eq!(errs.len(), 2);
    assert_eq!((errs[0].row, errs[1].row), (Some(2), Some(4)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    /// Any records of any questionnaire survive both 问卷星 modes.
    #[test]
    fn random_records_round_trip_through_both_modes(idx in survey_schema::testing::arb_index(), seeds in prop::collection::vec(any::<u64>(), 1..12), code in any::<bool>()) {
        let mut m = Mapping::records(idx.id());
        m.layout = survey_import::Layout::Wjx;
        m.questions = idx.questions().iter().enumerate().map(|(i, q)| ((i + 1).to_string(), q.id.clone())).collect();
        // Generated labels may repeat within a question; problem-free labels for the export:
        let mut recs: Vec<Record> = seeds.iter().enumerate().map(|(n, s)| survey_schema::testing::valid_record(&idx, &format!("{}", n + 1), *s)).collect();
        for r in &mut recs {
            for v in &mut r.values {
                if let Value::Text(t) = v && t.is_empty() { *v = Value::Skipped; }
            }
        }
        let mut labels_ok = true;
        for q in idx.questions() {
            let mut seen = std::collections::HashSet::new();
            for o in q.kind.options() {
                labels_ok &= seen.insert(o.label.zh.clone());
            }
        }
        prop_assume!(labels_ok);
        let mode = if code { WjxMode::Code } else { WjxMode::Text };
        m.mode = mode;
        let w = WjxWriter::new(&idx, &m, mode);
        let rows: Vec<Vec<String>> = recs.iter().enumerate().map(|(k, r)| w.row(r, &meta(k))).collect();
        let p = tmp(&format!("prop-{}.csv", seeds[0]));
        write_csv(&p, &w.headers(), &rows, CsvEncoding::Gb18030).unwrap();
        let (_, items) = read_all(&idx, &m, Path::new("m.json"), &p, 5).map_err(|e| TestCaseError::fail(format!("{}", e[0])))?;
        let got: Vec<Record> = items.into_iter().map(|i| i.record).collect();
        prop_assert_eq!(got, recs);
    }
}

/// Forty respondents, a quarter of them with text that needs quoting: a comma, quotes and a
/// newline, so blocks must be cut outside quotes.
fn forty_with_quoted_newlines(idx: &Index) -> Vec<Record> {
    let mut records = expected();
    let advice = idx.position("advice").unwrap();
    records[0].values[advice] = Value::Text("第一行,含逗号\n第二行 \"引号\"".into());
    (0..40)
        .map(|k| {
            let mut r = records[k % records.len()].clone();
            r.id = (k + 1).to_string();
            r
        })
        .collect()
}

/// The (row, record) pairs the parallel reader decodes of `path`, in row order.
fn rows_read(
    idx: &Index,
    path: &Path,
    threads: usize,
    block: usize,
    want: &(dyn Fn(usize) -> bool + Sync),
) -> (survey_import::SourceInfo, Vec<(usize, Record)>) {
    let (info, states) = survey_import::parallel::fold_csv_only(
        idx,
        &mapping(),
        &fixtures().join("fixture.mapping.json"),
        path,
        threads,
        block,
        want,
        Vec::new,
        |acc: &mut Vec<(usize, Record)>, rec, meta| {
            acc.push((meta.row, rec.clone()));
            Ok(())
        },
        None,
    )
    .unwrap();
    let mut got: Vec<(usize, Record)> = states.into_iter().flatten().collect();
    got.sort_by_key(|(row, _)| *row);
    (info, got)
}

/// The parallel reader gives exactly the sequential reader's records and row numbers, whatever
/// the block size, the encoding, the mode, and quoted fields holding commas, quotes and
/// newlines across block boundaries.
#[test]
fn the_parallel_reader_agrees_with_the_sequential_one() {
    let idx = index();
    let many = forty_with_quoted_newlines(&idx);
    for mode in [WjxMode::Text, WjxMode::Code] {
        for enc in [
            CsvEncoding::Utf8,
            CsvEncoding::Utf8Bom,
            CsvEncoding::Gb18030,
        ] {
            let (h, r) = rows(&idx, mode, &many);
            let p = tmp(&format!("par-{mode:?}-{enc:?}.csv"));
            write_csv(&p, &h, &r, enc).unwrap();
            let (_, seq) = import(&p).unwrap();
            let want: Vec<(usize, Record)> =
                seq.into_iter().map(|i| (i.meta.row, i.record)).collect();
            for (threads, block) in [(1, 1 << 20), (3, 97), (2, 13)] {
                let (info, got) = rows_read(&idx, &p, threads, block, &|_| true);
                assert_eq!(
                    got, want,
                    "{mode:?} {enc:?} threads {threads} block {block}"
                );
                assert_eq!(
                    info.layout,
                    if mode == WjxMode::Code {
                        SourceLayout::WjxCode
                    } else {
                        SourceLayout::WjxText
                    }
                );
            }
        }
    }
}

/// Reading only some rows back numbers every row exactly as the full read does: blank lines
/// (`\n`, `\r\n`) between records are not rows, and quoted records holding newlines count
/// once, whether the rows around them are wanted or not.
#[test]
fn reading_only_some_rows_numbers_them_as_the_full_read_does() {
    let idx = index();
    let many = forty_with_quoted_newlines(&idx);
    let (h, r) = rows(&idx, WjxMode::Text, &many);
    let p = tmp("only-rows.csv");
    write_csv(&p, &h, &r, CsvEncoding::Utf8).unwrap();
    // Blank lines at some record boundaries (found by the csv crate, so never inside quotes).
    let bytes = std::fs::read(&p).unwrap();
    let mut starts = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[..]);
    let mut rec = csv::ByteRecord::new();
    loop {
        let at = rdr.position().byte() as usize;
        if !rdr.read_byte_record(&mut rec).unwrap() {
            break;
        }
        starts.push(at);
    }
    let mut blank = Vec::new();
    let mut from = 0;
    for (k, &at) in starts.iter().enumerate().skip(1) {
        blank.extend_from_slice(&bytes[from..at]);
        from = at;
        match k % 5 {
            1 => blank.extend_from_slice(b"\r\n"),
            3 => blank.extend_from_slice(b"\n\n"),
            _ => {}
        }
    }
    blank.extend_from_slice(&bytes[from..]);
    blank.extend_from_slice(b"\n\r\n");
    std::fs::write(&p, &blank).unwrap();
    let fold =
        |block: usize, want: &(dyn Fn(usize) -> bool + Sync)| rows_read(&idx, &p, 2, block, want).1;
    let all = fold(1 << 20, &|_| true);
    assert_eq!(all.len(), 40);
    assert_eq!(all.first().unwrap().0, 2);
    assert_eq!(all.last().unwrap().0, 41);
    for (block, pick) in [(1 << 20, 3usize), (61, 4), (13, 7)] {
        let some = fold(block, &|row| row % pick == 1);
        let expect: Vec<(usize, Record)> = all
            .iter()
            .filter(|(row, _)| row % pick == 1)
            .cloned()
            .collect();
        assert!(!expect.is_empty());
        assert_eq!(some, expect, "block {block}, every {pick}th row");
    }
    assert!(fold(97, &|_| false).is_empty());
}

/// The records of `path` as the full parallel read decodes them, each with its row and span.
fn rows_with_spans(
    idx: &Index,
    path: &Path,
) -> Vec<(usize, Record, Meta, Option<survey_import::parallel::Span>)> {
    let (_, states) = survey_import::parallel::fold_csv_spans(
        idx,
        &mapping(),
        &fixtures().join("fixture.mapping.json"),
        path,
        2,
        Vec::new,
        |acc: &mut Vec<_>, rec, meta, span| {
            acc.push((meta.row, rec.clone(), meta.clone(), span));
            Ok(())
        },
        None,
    )
    .unwrap();
    let mut got: Vec<_> = states.into_iter().flatten().collect();
    got.sort_by_key(|r| r.0);
    got
}

/// A record read back by its span is the record the full read decoded, with its meta: with a
/// BOM, CRLF line ends, blank lines and quoted fields holding newlines. A span that no longer
/// holds its record (the file changed) is an error naming the row; GB18030 gives no spans.
#[test]
fn records_read_back_by_their_spans_are_the_full_reads() {
    let idx = index();
    let many = forty_with_quoted_newlines(&idx);
    let read_back = |p: &Path, spans: Vec<(usize, survey_import::parallel::Span)>| {
        let mut got = Vec::new();
        survey_import::parallel::read_spans(
            &idx,
            &mapping(),
            &fixtures().join("fixture.mapping.json"),
            p,
            spans,
            |rec, meta| {
                got.push((meta.row, rec.clone(), meta.clone()));
                Ok(())
            },
        )
        .map(|_| got)
    };
    for mode in [WjxMode::Text, WjxMode::Code] {
        for enc in [CsvEncoding::Utf8, CsvEncoding::Utf8Bom] {
            let (h, r) = rows(&idx, mode, &many);
            let p = tmp(&format!("spans-{mode:?}-{enc:?}.csv"));
            write_csv(&p, &h, &r, enc).unwrap();
            // CRLF line ends and blank lines between some records (outside quotes).
            let text = std::fs::read_to_string(&p).unwrap();
            let text = text.replace("\n2,", "\r\n\r\n2,").replace("\n9,", "\r\n9,");
            assert!(text.contains("\r\n\r\n2,") && text.contains("\r\n9,"));
            std::fs::write(&p, text).unwrap();
            let all = rows_with_spans(&idx, &p);
            assert_eq!(all.len(), 40, "{mode:?} {enc:?}");
            let (_, seq) = import(&p).unwrap();
            let want: Vec<(usize, Record)> =
                seq.into_iter().map(|i| (i.meta.row, i.record)).collect();
            let full: Vec<(usize, Record)> = all
                .iter()
                .map(|(row, rec, _, _)| (*row, rec.clone()))
                .collect();
            assert_eq!(full, want, "{mode:?} {enc:?}");
            for pick in [1usize, 3, 7] {
                let chosen: Vec<_> = all.iter().filter(|r| r.0 % pick == 0).collect();
                let spans = chosen.iter().map(|r| (r.0, r.3.expect("UTF-8 has spans")));
                let got = read_back(&p, spans.collect()).unwrap();
                let expect: Vec<_> = chosen
                    .iter()
                    .map(|(row, rec, meta, _)| (*row, rec.clone(), meta.clone()))
                    .collect();
                assert_eq!(got, expect, "{mode:?} {enc:?} every {pick}th row");
            }
            // A span one byte off, or past a record's end, holds no single record.
            let (row, _, _, span) = &all[5];
            let mut span = span.unwrap();
            span.offset += 1;
            let e = read_back(&p, vec![(*row, span)]).unwrap_err();
            assert_eq!(e.row, Some(*row), "{e}");
            assert!(e.to_string().contains("file changed"), "{e}");
            span.offset -= 1;
            span.len += 40;
            assert!(read_back(&p, vec![(*row, span)]).is_err());
        }
    }
    let (h, r) = rows(&idx, WjxMode::Text, &many);
    let p = tmp("spans-gb.csv");
    write_csv(&p, &h, &r, CsvEncoding::Gb18030).unwrap();
    assert!(rows_with_spans(&idx, &p).iter().all(|r| r.3.is_none()));
}

#[test]
fn the_parallel_reader_reports_the_row_of_a_bad_cell() {
    let idx = index();
    let many = thirty();
    let (h, mut r) = rows(&idx, WjxMode::Text, &many);
    let c = h.iter().position(|x| x.starts_with("2、")).unwrap();
    r[20][c] = "三级甲等医院".into();
    let p = tmp("par-bad.csv");
    write_csv(&p, &h, &r, CsvEncoding::Utf8).unwrap();
    let e = parallel_error(&idx, &p, 50);
    assert_eq!(e.row, Some(22));
    assert!(
        e.to_string()
            .contains("«三级甲等医院» is not an option text"),
        "{e}"
    );
}

/// A GB18030 export is taken as GB18030 from its start and checked cell by cell as it is read:
/// a clean file is read on every thread with the sequential reader's records; a UTF-8 Chinese
/// cell far past the start, or text past the start that is mostly UTF-8, stops the parallel
/// read (the caller then reads the file whole and gets the sequential reader's located error).
/// The UTF-8 text in both is chosen to decode as GB18030 too (中文: six bytes, three GB18030
/// pairs; é: one pair), so that only the cell check and the evidence can tell.
#[test]
fn a_gb18030_export_is_decided_from_its_start_and_checked_to_its_end() {
    let idx = index();
    // Code mode, every row as the first fixture row: its only non-ASCII cells are free text,
    // one of them quoted, with a comma and doubled quotes in it.
    let advice = idx.position("advice").unwrap();
    let many: Vec<Record> = (0..3000)
        .map(|k| {
            let mut r = expected()[0].clone();
            r.id = (k + 1).to_string();
            r.values[advice] = Value::Text("加强培训，\"每年\"两次,至少".into());
            r
        })
        .collect();
    let (h, r) = rows(&idx, WjxMode::Code, &many);
    let name = h.iter().position(|x| x.starts_with("1、")).unwrap();
    // Lines as a CSV writer writes them, each then encoded on its own.
    let line = |cells: &[String]| {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(cells).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    };
    let gb = |s: &str| encoding_rs::GB18030.encode(s).0.into_owned();
    let file = |name: &str, row: &dyn Fn(usize, &[String]) -> Vec<u8>| {
        let mut bytes = gb(&line(&h));
        let start = bytes.len() + (0..1000).map(|k| gb(&line(&r[k])).len()).sum::<usize>();
        assert!(
            start > 64 << 10,
            "the first thousand rows fill the start read"
        );
        for (k, cells) in r.iter().enumerate() {
            bytes.extend(row(k, cells));
        }
        let p = tmp(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let fold = |p: &Path| {
        survey_import::parallel::fold_csv_only(
            &idx,
            &mapping(),
            &fixtures().join("fixture.mapping.json"),
            p,
            2,
            4096,
            &|_| true,
            Vec::new,
            |acc: &mut Vec<(usize, Record)>, rec, meta| {
                acc.push((meta.row, rec.clone()));
                Ok(())
            },
            None,
        )
    };

    let clean = file("gb-clean.csv", &|_, cells| gb(&line(cells)));
    let (info, states) = fold(&clean).unwrap();
    assert_eq!(info.encoding, Some(TextEncoding::Gb18030));
    let mut got: Vec<(usize, Record)> = states.into_iter().flatten().collect();
    got.sort_by_key(|(row, _)| *row);
    let (_, seq) = import(&clean).unwrap();
    let want: Vec<(usize, Record)> = seq.into_iter().map(|i| (i.meta.row, i.record)).collect();
    assert_eq!(got, want);

    // One cell of GB18030 row `k` replaced by UTF-8 bytes.
    let with_utf8 = |cells: &[String], text: &str| {
        let mut cells = cells.to_vec();
        cells[name] = "@".into();
        let mut bytes = gb(&line(&cells));
        let at = bytes.iter().position(|&b| b == b'@').unwrap();
        bytes.splice(at..=at, text.bytes());
        bytes
    };
    // Row 2,502's hospital name pasted from a UTF-8 file.
    let pasted = file("gb-pasted.csv", &|k, cells| {
        if k == 2500 {
            with_utf8(cells, "中文")
        } else {
            gb(&line(cells))
        }
    });
    assert!(fold(&pasted).is_err());
    let e = first_error(&pasted);
    assert!(
        e.contains("row 2502") && e.contains("otherwise GB18030"),
        "{e}"
    );

    // After the first thousand rows, hospital names in UTF-8 of two hundred é each: the whole
    // file says UTF-8 with GB18030 in it, which the sequential reader refuses.
    let mostly_utf8 = file("gb-then-utf8.csv", &|k, cells| {
        if k < 1000 {
            gb(&line(cells))
        } else {
            with_utf8(cells, &"é".repeat(200))
        }
    });
    assert!(fold(&mostly_utf8).is_err());
    assert!(first_error(&mostly_utf8).contains("the file is UTF-8 text"));
}

#[test]
fn a_deleted_option_column_is_named_not_read_as_chosen_by_nobody() {
    let idx = index();
    let (mut h, mut r) = rows(&idx, WjxMode::Code, &expected());
    // The second option column of question 5 (数据安全保护措施), deleted as in a spreadsheet.
    let c = h
        .iter()
        .enumerate()
        .filter(|(_, x)| x.starts_with("5(") || x.starts_with("5、"))
        .map(|(c, _)| c)
        .nth(1)
        .unwrap();
    let gone = h.remove(c);
    for row in &mut r {
        row.remove(c);
    }
    let p = tmp("deleted-option-column.csv");
    write_csv(&p, &h, &r, CsvEncoding::Utf8).unwrap();
    let e = first_error(&p);
    let label = survey_import::headers::whole_group(gone.trim_start_matches(['5', '、'])).unwrap();
    assert!(
        e.contains(&format!(
            "option 2 «{label}» of `measures` has no column `5({label})` in the export"
        )) && e.contains("download the file again"),
        "{e}"
    );
}

/// A matrix of three rows (问卷星's `N、题干—行1`, `N、行2` …) and the file's columns.
fn matrix_read(
    rows_in_file: &[&str],
) -> Result<(survey_import::SourceInfo, Vec<Imported>), Vec<survey_import::ImportError>> {
    let q = |id: &str, row: &str| {
        format!(
            r#"{{"id": "{id}", "text": "请评价以下方面：{row}", "kind": "single_choice", "options": [{{"code": "good", "label": "好"}}, {{"code": "poor", "label": "差"}}]}}"#
        )
    };
    let questionnaire = format!(
        r#"{{"id": "matrix-fixture", "title": "矩阵", "organisation": "CHIMA", "year": 2026, "language": "zh-CN", "sections": [{{"id": "s", "title": "一", "questions": [{}, {}, {}]}}]}}"#,
        q("m_1", "甲制度"),
        q("m_2", "乙技术"),
        q("m_3", "丙运维")
    );
    let idx = survey_schema::parse_questionnaire(&questionnaire, Path::new("m.questionnaire.json"))
        .unwrap();
    let m = Mapping::parse(
        r#"{"questionnaire": "matrix-fixture", "layout": "wjx", "mode": "text", "questions": {"1.1": "m_1", "1.2": "m_2", "1.3": "m_3"}}"#,
        Path::new("m.mapping.json"),
    )
    .unwrap();
    let mut h: Vec<String> = ["序号", "提交答卷时间", "所用时间"]
        .map(String::from)
        .to_vec();
    for (k, row) in rows_in_file.iter().enumerate() {
        h.push(if k == 0 {
            format!("1、请评价以下方面—{row}")
        } else {
            format!("1、{row}")
        });
    }
    // Respondent 1 rates the row 甲制度 好 and every other row 差.
    let r: Vec<Vec<String>> = vec![
        ["1", "2026/4/18 08:00:00", "100秒"]
            .iter()
            .map(|s| s.to_string())
            .chain(
                rows_in_file
                    .iter()
                    .map(|row| if *row == "甲制度" { "好" } else { "差" }.to_string()),
            )
            .collect(),
    ];
    let p = tmp(&format!("matrix-{}.csv", rows_in_file.join("-")));
    write_csv(&p, &h, &r, CsvEncoding::Utf8).unwrap();
    read_all(&idx, &m, Path::new("m.mapping.json"), &p, 5)
}

#[test]
fn matrix_rows_are_read_by_their_wording() {
    let code = |items: &[Imported], q: usize| match &items[0].record.values[q] {
        Value::Choice(i) => *i,
        v => panic!("{v:?}"),
    };
    // In the questionnaire's order, and with the rows in another order: 甲制度 is m_1 either way.
    for order in [
        ["甲制度", "乙技术", "丙运维"],
        ["乙技术", "甲制度", "丙运维"],
    ] {
        let (_, items) = matrix_read(&order).unwrap();
        assert_eq!(
            [code(&items, 0), code(&items, 1), code(&items, 2)],
            [0, 1, 1],
            "{order:?}"
        );
    }
    // A row's column deleted: the row is named, not the last one (the rows after it would
    // otherwise shift onto the wrong questions).
    let e = matrix_read(&["甲制度", "丙运维"]).unwrap_err()[0].to_string();
    assert!(
        e.contains("question `m_2` (问卷星 number 1.2) has no column in the export")
            && e.contains("`absent_questions`"),
        "{e}"
    );
    // A row the questionnaire does not have: read by its place, and said so.
    let (info, _) = matrix_read(&["甲制度", "乙技术", "丁应急"]).unwrap();
    assert!(
        info.wording
            .iter()
            .any(|w| w.contains("«1、丁应急» is read as `m_3` by its place")),
        "{:?}",
        info.wording
    );
}

#[test]
fn a_totals_row_without_times_is_no_submission() {
    // A 合计 row added under the answers in a spreadsheet, and a row whose 所用时间 was cleared:
    // counted as submissions they would add to the total, and pass a time limit unjudged.
    let p = text_csv(|h, r| {
        let c = h.iter().position(|x| x == "所用时间").unwrap();
        r[2][c].clear();
        let mut total = vec![String::new(); h.len()];
        total[0] = "合计".into();
        total[6] = format!("共{}家医院", r.len());
        r.push(total);
    });
    let errors = import(&p).unwrap_err();
    let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        all[0].contains("row 4, column C «所用时间», value \"\": the completion time is empty"),
        "{all:?}"
    );
    let last = all.last().unwrap();
    assert!(
        last.contains("row 6, column B «提交答卷时间», value \"\": the submission time is empty")
            && last.contains("a 合计 or a note added in a spreadsheet"),
        "{all:?}"
    );
}

#[test]
fn a_blank_where_the_display_condition_is_false_was_not_shown() {
    // The file saved again by a spreadsheet or pandas, its (跳过) markers now blank cells.
    let idx = index();
    let ai = idx.position("ai_uses").unwrap();
    let uses = idx.position("uses_ai").unwrap();
    let want = expected();
    assert!(
        want.iter().any(|r| r.values[ai] == Value::NotShown),
        "the fixture has a respondent not shown ai_uses"
    );
    let p = text_csv(|_, r| {
        for row in r.iter_mut() {
            for cell in row.iter_mut() {
                if cell == "(跳过)" {
                    cell.clear();
                }
            }
        }
    });
    let (_, items) = import(&p).unwrap();
    let got: Vec<Record> = items.into_iter().map(|i| i.record).collect();
    assert_eq!(got, want);
    // A blank where the condition holds is shown and not answered.
    let yes = want
        .iter()
        .position(|r| r.values[uses] == Value::Choice(0))
        .unwrap();
    let p = text_csv(|h, r| {
        let c = h.iter().position(|x| x.starts_with("7、")).unwrap();
        r[yes][c].clear();
    });
    let (_, items) = import(&p).unwrap();
    assert_eq!(items[yes].record.values[ai], Value::Skipped);
}

#[test]
fn a_note_line_above_the_header_is_named_as_such() {
    let p = text_csv(|h, r| {
        r.insert(0, std::mem::take(h));
        *h = vec![String::new(); r[0].len()];
        h[0] = "注：数据导出于2026-03-09".into();
    });
    let e = first_error(&p);
    assert!(
        e.contains("the header row (row 1, starting «注：数据导出于2026-03-09»")
            && e.contains("has no respondent id column «序号»")
            && e.contains("delete any line added above it"),
        "{e}"
    );
}

#[test]
fn a_column_without_a_header_says_how_to_read_past_it() {
    // pandas' `to_excel` writes its index as a first column with no header.
    let p = text_csv(|h, r| {
        h.insert(0, String::new());
        for (i, row) in r.iter_mut().enumerate() {
            row.insert(0, i.to_string());
        }
    });
    let e = first_error(&p);
    assert!(
        e.contains("row 1, column A, value \"\": this column has no header")
            && e.contains("list \"\" in the mapping's `ignore_columns`"),
        "{e}"
    );
    let mut m = mapping();
    m.ignore_columns = vec![String::new()];
    let (_, items) = read_all(&index(), &m, Path::new("m.json"), &p, 5).unwrap();
    assert_eq!(items.len(), expected().len());
}

#[test]
fn a_header_numbered_with_a_full_stop_is_named_as_a_typo() {
    let p = text_csv(|h, _| h[7] = h[7].replacen('、', ".", 1));
    let e = first_error(&p);
    assert!(
        e.contains("this column cannot be placed")
            && e.contains("a 问卷星 header numbers its question `2、`: if this is question 2, correct the header to «2、"),
        "{e}"
    );
}

#[test]
fn the_parallel_reader_refuses_a_row_longer_than_any_download_s() {
    // Trial 40: a last line of 600 MiB was read on until it was whole, then aborted.
    let idx = index();
    let (h, r) = rows(&idx, WjxMode::Text, &expected());
    let p = tmp("par-long.csv");
    let mut text = format!("{}\n", h.join(","));
    for row in &r {
        text.push_str(&row.join(","));
        text.push('\n');
    }
    text.push_str(&"x".repeat(17 << 20));
    std::fs::write(&p, text).unwrap();
    let e = parallel_error(&idx, &p, 1 << 20);
    assert_eq!(e.row, Some(r.len() + 2));
    assert!(
        e.to_string().contains("the row is longer than 16 MiB"),
        "{e}"
    );
}
