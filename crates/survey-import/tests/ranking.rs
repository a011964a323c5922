//! Ranking questions (问卷星's 排序题) in both download modes: one whole-number question per
//! option holds the place given to it. Written by the writer and read back, in both modes and
//! by both readers (sequential and parallel), the records are the ones written; a place given
//! twice, a gap, an unknown or repeated option stop the read at that cell.

use std::path::{Path, PathBuf};

use survey_import::table::{CsvEncoding, write_csv};
use survey_import::wjx::WjxWriter;
use survey_import::{Mapping, Meta, WjxMode, read_all};
use survey_schema::{Index, Record, Value, parse_questionnaire};

const OPTIONS: [&str; 4] = ["数据泄露", "勒索病毒", "内部人员违规", "供应链风险"];

fn index() -> Index {
    let rank_qs: Vec<String> = OPTIONS
        .iter()
        .enumerate()
        .map(|(j, o)| {
            format!(
                r#"{{"id": "r{}", "text": "请按严重程度排序：{o}", "kind": "integer", "min": 1, "max": 4, "required": false}}"#,
                j + 1
            )
        })
        .collect();
    let text = format!(
        r#"{{"id": "rank-fixture", "title": "排序", "organisation": "CHIMA", "year": 2026, "language": "zh-CN",
        "sections": [{{"id": "s", "title": "s", "questions": [
          {{"id": "level", "text": "医院级别", "kind": "single_choice", "options": [
            {{"code": "a", "label": "三级"}}, {{"code": "b", "label": "二级"}}]}},
          {}]}}]}}"#,
        rank_qs.join(",\n")
    );
    parse_questionnaire(&text, Path::new("rank.questionnaire.json")).unwrap()
}

fn mapping(mode: WjxMode) -> Mapping {
    let options: Vec<String> = OPTIONS
        .iter()
        .enumerate()
        .map(|(j, o)| format!(r#""{o}": "r{}""#, j + 1))
        .collect();
    let mode = match mode {
        WjxMode::Code => "code",
        _ => "text",
    };
    Mapping::parse(
        &format!(
            r#"{{"questionnaire": "rank-fixture", "layout": "wjx", "mode": "{mode}",
            "questions": {{"1": "level"}}, "rankings": {{"2": {{{}}}}}}}"#,
            options.join(", ")
        ),
        Path::new("rank.mapping.json"),
    )
    .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("survey-import-ranking");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Submission `i`: its level and the options it ranked, in place order (some partial, some
/// none).
fn ranking(i: usize) -> Vec<usize> {
    if i % 7 == 3 {
        return vec![];
    }
    let mut order: Vec<usize> = (0..4).collect();
    order.rotate_left(i % 4);
    if i % 5 == 1 {
        order.truncate(2);
    }
    order
}

fn records(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| {
            let mut r = Record::blank((i + 1).to_string(), 5);
            r.values[0] = Value::Choice((i % 2) as u16);
            let order = ranking(i);
            for o in 0..4 {
                r.values[1 + o] = match order.iter().position(|&x| x == o) {
                    Some(p) => Value::Number(p as f64 + 1.0),
                    None => Value::Skipped,
                };
            }
            r
        })
        .collect()
}

fn meta(k: usize) -> Meta {
    Meta {
        row: k + 2,
        submitted_at: Some(format!("2026/4/18 08:{:02}:00", k % 60)),
        submitted_key: Some(20260418080000 + (k % 60) as u64 * 100),
        duration_secs: Some(80.0 + k as f64),
        source: Some("手机提交".into()),
        ip: Some("192.0.2.7".into()),
    }
}

fn write(name: &str, mode: WjxMode, recs: &[Record]) -> (PathBuf, Vec<String>, Vec<Vec<String>>) {
    let idx = index();
    let m = mapping(mode);
    let w = WjxWriter::new(&idx, &m, mode);
    let headers = w.headers();
    let rows: Vec<Vec<String>> = recs
        .iter()
        .enumerate()
        .map(|(k, r)| w.row(r, &meta(k)))
        .collect();
    let path = tmp(name);
    write_csv(&path, &headers, &rows, CsvEncoding::Utf8Bom).unwrap();
    (path, headers, rows)
}

fn read(path: &Path, mode: WjxMode) -> Result<Vec<Record>, String> {
    read_all(
        &index(),
        &mapping(mode),
        Path::new("rank.mapping.json"),
        path,
        5,
    )
    .map(|(_, items)| items.into_iter().map(|i| i.record).collect())
    .map_err(|e| e[0].to_string())
}

#[test]
fn rankings_read_back_in_both_modes_and_by_both_readers() {
    let recs = records(60);
    for mode in [WjxMode::Text, WjxMode::Code] {
        let (path, headers, rows) = write(&format!("ok-{mode:?}.csv"), mode, &recs);
        match mode {
            WjxMode::Code => {
                assert_eq!(headers[7], "2、请按严重程度排序(数据泄露)");
                assert_eq!(headers[8], "2、(勒索病毒)");
                // Submission 2 ranks 内部人员违规, 供应链风险, 数据泄露, 勒索病毒.
                assert_eq!(rows[2][7..], ["3", "4", "1", "2"]);
                // Submission 1 ranks two; the others are 0.
                assert_eq!(rows[1][7..], ["0", "1", "2", "0"]);
            }
            _ => {
                assert_eq!(headers[7], "2、请按严重程度排序");
                assert_eq!(rows[2][7], "内部人员违规→供应链风险→数据泄露→勒索病毒");
                assert_eq!(rows[3][7], "(空)");
            }
        }
        let got = read(&path, mode).unwrap();
        assert_eq!(got, recs, "{mode:?}");
        // The parallel reader, in small blocks, agrees.
        let (_, states) = survey_import::parallel::fold_csv_only(
            &index(),
            &mapping(mode),
            Path::new("rank.mapping.json"),
            &path,
            2,
            256,
            &|_| true,
            Vec::new,
            |acc: &mut Vec<(usize, Record)>, rec, meta| {
                acc.push((meta.row, rec.clone()));
                Ok(())
            },
            None,
        )
        .unwrap();
        let mut par: Vec<(usize, Record)> = states.into_iter().flatten().collect();
        par.sort_by_key(|(row, _)| *row);
        assert_eq!(
            par.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
            recs,
            "{mode:?}"
        );
    }
}

/// Spoil one cell of a written file and read it: the error.
fn spoiled(mode: WjxMode, row: usize, col: usize, value: &str) -> String {
    let recs = records(12);
    let (path, headers, mut rows) = write(&format!("bad-{mode:?}-{row}-{col}.csv"), mode, &recs);
    rows[row][col] = value.to_owned();
    write_csv(&path, &headers, &rows, CsvEncoding::Utf8Bom).unwrap();
    read(&path, mode).unwrap_err()
}

#[test]
fn a_ranking_that_is_no_ranking_stops_at_its_cell() {
    // Code mode: row 0 is 1,2,3,4. A place given twice.
    let e = spoiled(WjxMode::Code, 0, 8, "1");
    assert!(
        e.contains("row 2")
            && e.contains("2、(勒索病毒)")
            && e.contains("place 1 of ranking 2 is also given in column"),
        "{e}"
    );
    assert!(
        e.ends_with("(序号 1): correct the submission in the download, or delete it there"),
        "{e}"
    );
    // A gap: places 1, 2, 4 (the third option unranked).
    let e = spoiled(WjxMode::Code, 0, 9, "0");
    assert!(e.contains("ranking 2 skips place 3"), "{e}");
    // A place past the options.
    let e = spoiled(WjxMode::Code, 0, 10, "5");
    assert!(
        e.contains("expected the place given to this option (1…4)"),
        "{e}"
    );
    // Text mode: an option that is none, and one ranked twice.
    let e = spoiled(WjxMode::Text, 0, 7, "数据泄露→网络攻击");
    assert!(
        e.contains("«网络攻击» is not one of ranking 2's options"),
        "{e}"
    );
    let e = spoiled(WjxMode::Text, 0, 7, "数据泄露→勒索病毒→数据泄露");
    assert!(e.contains("option «数据泄露» is ranked twice"), "{e}");
}

/// A code-mode option marked not shown (`-3`) beside options given places was left out of the
/// ranking: it reads as not ranked, and a ranking marked not shown throughout as not shown.
#[test]
fn not_shown_beside_places_is_not_ranked() {
    let mut recs = records(12);
    let (path, headers, mut rows) = write("not-shown.csv", WjxMode::Code, &recs);
    // Submission 1 ranked options 2 and 3; its other two are 0, now -3.
    assert_eq!(rows[1][7..], ["0", "1", "2", "0"]);
    rows[1][7] = "-3".into();
    rows[1][10] = "-3".into();
    for cell in &mut rows[2][7..11] {
        *cell = "-3".into();
    }
    write_csv(&path, &headers, &rows, CsvEncoding::Utf8Bom).unwrap();
    let got = read(&path, WjxMode::Code).unwrap();
    for q in 1..5 {
        recs[2].values[q] = Value::NotShown;
    }
    assert_eq!(got, recs);
}

/// A misspelt or differently typed option names its option when the mapping lists it; full-
/// and half-width forms and spaces are one.
#[test]
fn misspellings_listed_in_the_mapping_and_width_variants_name_their_option() {
    let recs = records(12);
    let (path, headers, mut rows) = write("aliases.csv", WjxMode::Text, &recs);
    assert_eq!(rows[0][7], "数据泄露→勒索病毒→内部人员违规→供应链风险");
    rows[0][7] = "数据泄漏→勒索病毒→内部人员 违规→供应链风险".into();
    write_csv(&path, &headers, &rows, CsvEncoding::Utf8Bom).unwrap();
    let e = read(&path, WjxMode::Text).unwrap_err();
    assert!(
        e.contains("«数据泄漏» is not one of ranking 2's options in the mapping's `rankings` (数据泄露 / 勒索病毒 / 内部人员违规 / 供应链风险); if it names one of them (a misspelling), add it there with that option's question (序号 1)"),
        "{e}"
    );
    let mut m = mapping(WjxMode::Text);
    m.rankings["2"].insert("数据泄漏".into(), "r1".into());
    m.check(&index(), Path::new("m.json")).unwrap();
    let got = read_all(&index(), &m, Path::new("m.json"), &path, 5)
        .unwrap()
        .1;
    assert_eq!(got.into_iter().map(|i| i.record).collect::<Vec<_>>(), recs);
    // The writer writes an option once, under its first text.
    let idx = index();
    let w = WjxWriter::new(&idx, &m, WjxMode::Code);
    assert_eq!(w.headers().len(), 11);
}

#[test]
fn the_mapping_checks_its_rankings() {
    let idx = index();
    let mut m = mapping(WjxMode::Code);
    m.rankings["2"].insert("网络攻击".into(), "level".into());
    let e = m.check(&idx, Path::new("m.json")).unwrap_err().to_string();
    assert!(
        e.contains("must be an `integer` question holding the option's place, not single_choice"),
        "{e}"
    );
    assert!(
        e.contains("question `level` is mapped from both number 1 and number 2"),
        "{e}"
    );
    let mut m = mapping(WjxMode::Code);
    m.rankings["2"].shift_remove("供应链风险");
    let e = m.check(&idx, Path::new("m.json")).unwrap_err().to_string();
    assert!(e.contains("question `r4` has no 问卷星 number"), "{e}");
    assert!(
        mapping(WjxMode::Text)
            .check(&idx, Path::new("m.json"))
            .is_ok()
    );
}
