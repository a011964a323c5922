//! The shipped example data, through the project's own import, cleaning and aggregation,
//! returns every published count, and regenerating it gives identical files.

use indexmap::IndexMap;
use survey_aggregate::RowOrder;
use survey_import::{SourceFormat, SourceLayout};
use survey_published::Published;
use survey_report::folder::Folder;
use survey_report::{Dataset, DatasetDecl};
use workspace_tests::{chima, copy_dir};

fn decl(name: &str, data: &str) -> DatasetDecl {
    DatasetDecl {
        name: name.into(),
        questionnaire: format!("questionnaires/{name}.questionnaire.json"),
        data: format!("data/{data}"),
        mapping: format!("import/{name}.mapping.json"),
        cleaning: format!("cleaning/{name}.rules.json"),
    }
}

fn datasets() -> Vec<Dataset> {
    let folder = Folder::open(&chima()).unwrap();
    vec![
        Dataset::load(
            &folder,
            &decl("main", "synthetic-main-wjx-text.xlsx"),
            &[],
            false,
            None,
        )
        .unwrap(),
        Dataset::load(
            &folder,
            &decl("ai", "synthetic-ai-wjx-code-gb18030.csv"),
            &[],
            false,
            None,
        )
        .unwrap(),
    ]
}

#[test]
fn shipped_data_tabulates_to_every_published_count() {
    let published = Published::load(&chima().join("published/tables.json")).unwrap();
    let ds = datasets();
    let mut checked = 0;
    for t in &published.tables {
        let d = ds.iter().find(|d| d.name == t.questionnaire).unwrap();
        let table = d
            .aggregate
            .frequency(&d.index, &t.question, RowOrder::Questionnaire)
            .unwrap();
        assert_eq!(table.base, t.base, "table {} base", t.number);
        for row in &t.rows {
            let got = table.row(&row.option).unwrap().count;
            assert_eq!(got, row.count, "table {} row «{}»", t.number, row.label);
            checked += 1;
        }
    }
    assert_eq!(published.tables.len(), 38);
    assert_eq!(
        checked,
        published.tables.iter().map(|t| t.rows.len()).sum::<usize>()
    );
    assert_eq!(checked, 214);
}

#[test]
fn the_funnel_is_769_to_720_and_176_to_176() {
    let ds = datasets();
    let main = &ds[0];
    assert_eq!(main.cleaning.funnel.collected, 769);
    assert_eq!(main.cleaning.funnel.valid, 720);
    let per_rule: IndexMap<&str, u64> = main
        .cleaning
        .funnel
        .steps
        .iter()
        .map(|s| (s.rule.name(), s.excluded))
        .collect();
    assert_eq!(per_rule["duplicate_identifier"], 21);
    assert_eq!(per_rule["duplicate_answers"], 5);
    assert_eq!(per_rule["incomplete"], 15);
    assert_eq!(per_rule["min_duration"], 8);
    assert_eq!(main.cleaning.log_len(), 49);
    assert!(
        main.cleaning
            .log_csv()
            .unwrap()
            .starts_with("# CONFIDENTIAL")
    );
    assert_eq!(main.source.format, SourceFormat::Xlsx);
    assert_eq!(main.source.layout, SourceLayout::WjxText);
    let ai = &ds[1];
    assert_eq!(
        (ai.cleaning.funnel.collected, ai.cleaning.funnel.valid),
        (176, 176)
    );
    assert_eq!(
        ai.source.encoding,
        Some(survey_import::encoding::TextEncoding::Gb18030)
    );
    assert_eq!(ai.source.layout, SourceLayout::WjxCode);
}

#[test]
fn provinces_fit_the_published_description() {
    let ds = datasets();
    let main = &ds[0];
    let t = main
        .aggregate
        .frequency(&main.index, "province", RowOrder::Questionnaire)
        .unwrap();
    assert_eq!(t.rows.len(), 31);
    assert_eq!(t.base, 720);
    assert!(t.rows.iter().all(|r| r.count >= 1));
    let count = |label: &str| t.rows.iter().find(|r| r.label == label).unwrap().count;
    let big = ["河北省", "天津市", "山西省", "北京市"];
    let mid = [
        "甘肃省",
        "广东省",
        "辽宁省",
        "新疆维吾尔自治区",
        "江苏省",
        "浙江省",
        "四川省",
        "重庆市",
        "云南省",
        "山东省",
    ];
    for p in big {
        assert!(count(p) >= 50, "{p}");
    }
    for p in mid {
        assert!((21..=50).contains(&count(p)), "{p}");
    }
    let rest: Vec<_> = t
        .rows
        .iter()
        .filter(|r| !big.contains(&r.label.as_str()) && !mid.contains(&r.label.as_str()))
        .collect();
    assert_eq!(rest.len(), 17);
    assert!(rest.iter().all(|r| r.count <= 20));
}

#[test]
fn shipped_records_pass_validation_and_rejects_break_their_rule() {
    for (name, file) in [
        ("main", "synthetic-main-wjx-text.xlsx"),
        ("ai", "synthetic-ai-wjx-code-gb18030.csv"),
    ] {
        let d = decl(name, file);
        let index = survey_schema::load_questionnaire(&chima().join(&d.questionnaire)).unwrap();
        let mapping = survey_import::Mapping::load(&chima().join(&d.mapping)).unwrap();
        let rules = survey_clean::Rules::load(&chima().join(&d.cleaning), &index).unwrap();
        let (_, items) = survey_import::read_all(
            &index,
            &mapping,
            &chima().join(&d.mapping),
            &chima().join(&d.data),
            10,
        )
        .unwrap();
        let cleaning = survey_clean::clean(&index, &rules, &items).unwrap();
        let v = survey_validate::Validator::new(&index);
        for it in items.iter().filter(|it| cleaning.is_kept(it.meta.row)) {
            let f = v.validate_record(it.meta.row, &it.record);
            assert!(f.is_empty(), "{name} row {}: {f:?}", it.meta.row);
        }
    }
}

#[test]
fn regenerating_with_the_same_seed_gives_identical_files() {
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("synth-regen");
    let _ = std::fs::remove_dir_all(&tmp);
    copy_dir(&chima(), &tmp);
    let written = xtask::synth::run(&tmp).unwrap();
    assert!(written.len() >= 3);
    for p in written {
        let rel = p.strip_prefix(&tmp).unwrap();
        let shipped = std::fs::read(chima().join(rel)).unwrap();
        let again = std::fs::read(&p).unwrap();
        assert!(
            shipped == again,
            "{} differs when regenerated",
            rel.display()
        );
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}
