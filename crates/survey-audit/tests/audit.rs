//! A clean publication yields no finding; each deliberate error yields its finding with the
//! right cause.

use indexmap::IndexMap;
use survey_audit::{Area, Audit, Cause, Computed, audit};
use survey_print::fmt::percent;
use survey_published::{Claim, ClaimKind, Claims, Published, PublishedRow, PublishedTable};
use survey_schema::{Index, parse_questionnaire};

fn questionnaires() -> IndexMap<String, Index> {
    let q = serde_json::json!({
        "id": "audit-fixture", "title": "核对", "organisation": "CHIMA", "year": 2025, "language": "zh-CN",
        "sections": [{"id": "s", "title": "S", "questions": [
            {"id": "kind", "text": "类别", "kind": "single_choice", "options": [
                {"code": "general", "label": "综合医院"}, {"code": "specialist", "label": "专科医院"}, {"code": "other", "label": "其他", "other": true}]},
            {"id": "level", "text": "级别", "kind": "single_choice", "options": [
                {"code": "a", "label": "二级甲等"}, {"code": "b", "label": "二级乙等"}, {"code": "c", "label": "二级其他"}, {"code": "d", "label": "其他"}]},
            {"id": "beds", "text": "床位", "kind": "ordinal", "options": [
                {"code": "s", "label": "≤250"}, {"code": "m", "label": "251-500"}, {"code": "l", "label": "501-1000"}, {"code": "xl", "label": "1001-2000"}]},
            {"id": "measures", "text": "措施", "kind": "multiple_choice", "options": [
                {"code": "fw", "label": "防火墙"}, {"code": "backup", "label": "数据备份"}, {"code": "enc", "label": "数据加密"}, {"code": "none", "label": "暂未使用", "exclusive": true}]}
        ]}]
    });
    let idx = parse_questionnaire(&q.to_string(), std::path::Path::new("q.json")).unwrap();
    [("m".to_string(), idx)].into_iter().collect()
}

fn table(number: &str, question: &str, base: u64, rows: &[(&str, &str, u64)]) -> PublishedTable {
    PublishedTable {
        number: number.into(),
        caption: format!("表题{number}"),
        questionnaire: "m".into(),
        question: question.into(),
        header: "题".into(),
        count_header: "数量".into(),
        percent_header: format!("比例[N={base}]"),
        base,
        cited_at: "fixture".into(),
        figure: None,
        rows: rows
            .iter()
            .map(|(code, label, n)| PublishedRow {
                label: (*label).into(),
                option: (*code).into(),
                count: *n,
                percent: percent(*n, base, 2),
            })
            .collect(),
    }
}

fn claim(kind: ClaimKind, table: &str, options: &[&str], value: &str) -> Claim {
    Claim {
        id: format!("c-{table}-{value}"),
        cited_at: "fixture line".into(),
        text: "正文".into(),
        kind,
        value: value.into(),
        table: Some(table.into()),
        options: options.iter().map(|s| s.to_string()).collect(),
        questionnaire: None,
        question: None,
        min: None,
        max: None,
        targets: vec![],
        note: None,
    }
}

fn clean() -> (Published, Claims) {
    let published = Published {
        schema: None,
        source: "fixture".into(),
        note: "".into(),
        figures_without_table: vec![],
        collected: [("m".to_string(), 730)].into_iter().collect(),
        valid: [("m".to_string(), 720)].into_iter().collect(),
        tables: vec![
            // 73.06 + 20.56 + 6.39 = 100.01: a column that rounds honestly past 100%.
            table(
                "1",
                "kind",
                720,
                &[
                    ("general", "综合医院", 526),
                    ("specialist", "专科医院", 148),
                    ("other", "其他", 46),
                ],
            ),
            table(
                "2",
                "level",
                176,
                &[
                    ("a", "二级甲等", 14),
                    ("b", "二级乙等", 3),
                    ("c", "二级其他", 5),
                    ("d", "其他", 154),
                ],
            ),
            table(
                "3",
                "beds",
                720,
                &[
                    ("s", "≤250", 186),
                    ("m", "251-500", 143),
                    ("l", "501-1000", 258),
                    ("xl", "1001-2000", 133),
                ],
            ),
            table(
                "4",
                "measures",
                720,
                &[
                    ("fw", "防火墙", 549),
                    ("backup", "数据备份", 538),
                    ("enc", "数据加密", 185),
                    ("none", "暂未使用", 11),
                ],
            ),
        ],
    };
    let mut reference = claim(ClaimKind::Reference, "1", &[], "表1，图1");
    reference.targets = vec!["表1".into(), "图1".into()];
    reference.table = None;
    let mut collected = claim(ClaimKind::Collected, "", &[], "730");
    collected.table = None;
    collected.questionnaire = Some("m".into());
    let claims = Claims {
        schema: None,
        source: "fixture".into(),
        note: "".into(),
        claims: vec![
            claim(ClaimKind::Share, "1", &["general"], "73.06%"),
            claim(ClaimKind::Count, "1", &["general"], "526"),
            claim(ClaimKind::Share, "2", &["a", "b", "c"], "12.50%"),
            claim(ClaimKind::Share, "3", &["xl"], "18.47%"),
            claim(ClaimKind::Share, "4", &["backup"], "74.72%"),
            claim(ClaimKind::Share, "3", &["s", "m"], "45.7%"),
            claim(ClaimKind::Top, "4", &["fw", "backup"], "fw, backup"),
            claim(ClaimKind::ShareAbove, "4", &["fw"], "50%"),
            claim(ClaimKind::Base, "4", &[], "720"),
            reference,
            collected,
        ],
    };
    (published, claims)
}

fn computed(p: &Published) -> Computed {
    let mut c = Computed::default();
    for t in &p.tables {
        c.tables.insert(
            ("m".into(), t.question.clone()),
            (
                t.base,
                t.rows.iter().map(|r| (r.option.clone(), r.count)).collect(),
            ),
        );
    }
    c.funnel.insert("m".into(), (730, 720));
    c
}

fn run(p: &Published, c: &Claims, data: &Computed) -> Audit {
    audit(p, Some(c), &questionnaires(), Some(data))
}

fn causes(a: &Audit, area: Area) -> Vec<Cause> {
    a.findings
        .iter()
        .filter(|f| f.area == area)
        .map(|f| f.cause)
        .collect()
}

#[test]
fn a_clean_publication_has_no_findings() {
    let (p, c) = clean();
    let a = run(&p, &c, &computed(&p));
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert_eq!(
        (a.checked.tables, a.checked.rows, a.checked.claims),
        (4, 15, 11)
    );
}

fn row<'a>(p: &'a mut Published, table: &str, code: &str) -> &'a mut PublishedRow {
    p.tables
        .iter_mut()
        .find(|t| t.number == table)
        .unwrap()
        .rows
        .iter_mut()
        .find(|r| r.option == code)
        .unwrap()
}

fn claim_mut<'a>(c: &'a mut Claims, table: &str, value: &str) -> &'a mut Claim {
    c.claims
        .iter_mut()
        .find(|x| x.table.as_deref() == Some(table) && x.value == value)
        .unwrap()
}

#[test]
fn each_deliberate_error_is_found_with_its_cause() {
    type Mutation = Box<dyn Fn(&mut Published, &mut Claims, &mut Computed)>;
    let cases: Vec<(&str, Mutation, Area, Cause)> = vec![
        (
            "rounding forced to 100%",
            Box::new(|p, _, _| row(p, "1", "other").percent = "6.38%".into()),
            Area::Publication,
            Cause::RoundingForcedToTotal,
        ),
        (
            "count and percentage off by one",
            Box::new(|p, _, _| row(p, "4", "enc").percent = "25.83%".into()),
            Area::Publication,
            Cause::OffByOne,
        ),
        (
            "transposed digits",
            Box::new(|_, c, _| claim_mut(c, "3", "18.47%").value = "18.74%".into()),
            Area::Publication,
            Cause::TransposedDigits,
        ),
        (
            "sum of rounded parts",
            Box::new(|_, c, _| claim_mut(c, "2", "12.50%").value = "12.49%".into()),
            Area::Publication,
            Cause::SumOfRoundedParts,
        ),
        (
            "another base",
            Box::new(|p, _, _| row(p, "2", "b").percent = "1.75%".into()),
            Area::Publication,
            Cause::OtherBase,
        ),
        (
            "counts that do not sum",
            Box::new(|p, _, _| {
                let r = row(p, "1", "specialist");
                r.count = 150;
                r.percent = percent(150, 720, 2);
            }),
            Area::Publication,
            Cause::CountsDoNotSum,
        ),
        (
            "options named as leading that are not",
            Box::new(|_, c, _| {
                claim_mut(c, "4", "fw, backup").options = vec!["backup".into(), "fw".into()]
            }),
            Area::Publication,
            Cause::NotLeading,
        ),
        (
            "an unexplained percentage",
            Box::new(|p, _, _| row(p, "2", "a").percent = "99.99%".into()),
            Area::Publication,
            Cause::Unexplained,
        ),
        (
            "a scale out of order",
            Box::new(|p, _, _| p.tables[2].rows.swap(1, 3)),
            Area::Presentation,
            Cause::Order,
        ),
        (
            "a reference named twice",
            Box::new(|_, c, _| {
                c.claims
                    .iter_mut()
                    .find(|x| x.kind == ClaimKind::Reference)
                    .unwrap()
                    .targets = vec!["表1".into(), "表1".into()]
            }),
            Area::Presentation,
            Cause::DuplicateReference,
        ),
        (
            "a doubled word",
            Box::new(|_, c, _| {
                c.claims
                    .iter_mut()
                    .find(|x| x.kind == ClaimKind::Reference)
                    .unwrap()
                    .targets = vec!["表表1".into(), "图1".into()]
            }),
            Area::Presentation,
            Cause::DoubledWord,
        ),
        (
            "data that differ",
            Box::new(|_, _, d| {
                d.tables
                    .get_mut(&("m".to_string(), "measures".to_string()))
                    .unwrap()
                    .1
                    .insert("fw".into(), 548);
            }),
            Area::Data,
            Cause::DataDiffer,
        ),
    ];
    for (name, mutate, area, cause) in cases {
        let (mut p, mut c) = clean();
        let mut d = computed(&p);
        mutate(&mut p, &mut c, &mut d);
        let a = run(&p, &c, &d);
        assert_eq!(causes(&a, area), vec![cause], "{name}: {:#?}", a.findings);
    }
}

#[test]
fn a_claim_repeating_a_wrong_table_value_says_so() {
    let (mut p, mut c) = clean();
    row(&mut p, "4", "backup").percent = "74.86%".into(); // 539/720: off by one
    claim_mut(&mut c, "4", "74.72%").value = "74.86%".into();
    let d = computed(&p);
    let a = run(&p, &c, &d);
    assert_eq!(
        causes(&a, Area::Publication),
        vec![Cause::OffByOne, Cause::RepeatsTableError]
    );
    let f = &a
        .findings
        .iter()
        .find(|f| f.cause == Cause::RepeatsTableError)
        .unwrap();
    assert_eq!(
        (f.published.as_str(), f.recomputed.as_str()),
        ("74.86%", "74.72%")
    );
    // The same printed value also disagrees with the data, for the same reason.
    assert_eq!(causes(&a, Area::Data), vec![Cause::OffByOne]);
}

#[test]
fn findings_carry_location_values_and_cause_in_json() {
    let (mut p, c) = clean();
    row(&mut p, "1", "other").percent = "6.38%".into();
    let a = run(&p, &c, &computed(&p));
    let json = serde_json::to_value(&a).unwrap();
    let f = &json["findings"][0];
    assert_eq!(f["location"], "表1 «其他»");
    assert_eq!(f["published"], "6.38%");
    assert_eq!(f["recomputed"], "6.39%");
    assert_eq!(f["cause"], "rounding_forced_to_total");
}
