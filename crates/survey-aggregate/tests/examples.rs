//! Worked examples with hand-computed answers.

use survey_aggregate::{CrossTabSpec, RowOrder, aggregate, ranks, top};
use survey_schema::{Index, OptionSet, Record, Value, parse_questionnaire};

fn index() -> Index {
    let q = serde_json::json!({
        "id": "ex", "title": "例", "organisation": "CHIMA", "year": 2025, "language": "zh-CN",
        "sections": [{"id": "s", "title": "S", "questions": [
            {"id": "level", "text": "级别", "kind": "single_choice",
             "options": [{"code": "t3", "label": "三级医院"}, {"code": "lt3", "label": "三级以下医院"}]},
            {"id": "aware", "text": "了解程度", "kind": "ordinal",
             "options": [{"code": "very", "label": "非常了解"}, {"code": "some", "label": "了解一点"}, {"code": "no", "label": "不了解"}]},
            {"id": "measures", "text": "措施", "kind": "multiple_choice",
             "options": [{"code": "a", "label": "数据备份"}, {"code": "b", "label": "数据加密"},
                         {"code": "none", "label": "暂未使用", "exclusive": true}, {"code": "other", "label": "其他", "other": true}]},
            {"id": "staff", "text": "人数", "kind": "integer", "required": false}
        ]}]
    });
    parse_questionnaire(&q.to_string(), std::path::Path::new("ex.json")).unwrap()
}

fn rec(id: &str, level: u16, aware: Value, measures: &[usize], staff: Value) -> Record {
    Record {
        id: id.into(),
        values: vec![
            Value::Choice(level),
            aware,
            if measures.is_empty() {
                Value::Skipped
            } else {
                Value::Choices(measures.iter().copied().collect::<OptionSet>())
            },
            staff,
        ],
        other_text: vec![],
    }
}

#[test]
fn tables_figures_and_crosstabs_by_hand() {
    let idx = index();
    let recs = vec![
        rec("1", 0, Value::Choice(0), &[0, 1], Value::Number(1.0)),
        rec("2", 0, Value::Choice(1), &[0], Value::Number(2.0)),
        rec("3", 1, Value::Choice(1), &[2], Value::Number(4.0)),
        rec("4", 1, Value::Skipped, &[0, 3], Value::NotShown),
        rec("5", 0, Value::Choice(2), &[], Value::Number(10.0)),
    ];
    let specs = [CrossTabSpec {
        row: "measures".into(),
        col: "level".into(),
    }];
    let agg = aggregate(&idx, &specs, &recs).unwrap();

    let aware = agg.frequency(&idx, "aware", RowOrder::Natural).unwrap();
    assert_eq!((aware.base, aware.skipped, aware.not_shown), (4, 1, 0));
    assert_eq!(
        aware.rows.iter().map(|r| r.count).collect::<Vec<_>>(),
        [1, 2, 1]
    );
    assert_eq!(aware.rows[1].percent, Some(50.0));
    let some = agg.sum_of(&idx, "aware", &["very", "some"]).unwrap();
    assert_eq!((some.count, some.base, some.percent), (3, 4, Some(75.0)));

    let m = agg
        .frequency(&idx, "measures", RowOrder::CountDescending)
        .unwrap();
    assert_eq!(m.base, 4);
    assert_eq!(m.responses, 6);
    let order: Vec<&str> = m.rows.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(
        order,
        ["a", "b", "none", "other"],
        "exclusive and other options pinned last"
    );
    assert_eq!(m.row("a").unwrap().percent, Some(75.0));
    assert_eq!(m.row("a").unwrap().percent_of_responses, Some(50.0));
    let any = agg.any_of(&idx, "measures", &["a", "b"]).unwrap();
    assert_eq!((any.count, any.base), (3, 4));
    let sum = agg.sum_of(&idx, "measures", &["a", "b"]).unwrap();
    assert_eq!((sum.count, sum.percent), (4, Some(100.0)));
    assert_eq!(
        agg.selections_per_respondent(&idx, "measures").unwrap(),
        [0, 2, 2, 0, 0]
    );
    assert_eq!(top(&m, 1)[0].code, "a");
    assert_eq!(
        ranks(&m),
        [
            ("a".into(), Some(1)),
            ("b".into(), Some(2)),
            ("none".into(), None),
            ("other".into(), None)
        ]
    );

    let s = agg.numeric(&idx, "staff").unwrap();
    assert_eq!((s.n, s.not_shown), (4, 1));
    assert_eq!(s.mean, Some(4.25));
    assert_eq!(
        (s.min, s.q1, s.median, s.q3, s.max),
        (Some(1.0), Some(1.75), Some(3.0), Some(5.5), Some(10.0))
    );

    let ct = agg.crosstab(&idx, "measures", "level").unwrap();
    assert_eq!(ct.total, 4);
    assert_eq!(ct.col_bases, [2, 2]);
    assert_eq!(ct.counts[0], [2, 1]); // 数据备份: two tertiary, one below
    assert_eq!(ct.col_percent[0], [Some(100.0), Some(50.0)]);
    assert_eq!(ct.row_bases[0], 3);
    assert!(
        agg.crosstab(&idx, "level", "measures").is_err(),
        "undeclared cross-tab"
    );
}

#[test]
fn records_that_do_not_fit_are_errors_and_change_nothing() {
    let idx = index();
    let mut agg = survey_aggregate::Aggregate::new(&idx, &[]).unwrap();
    let bad = Record {
        id: "X".into(),
        values: vec![
            Value::Choice(7),
            Value::Skipped,
            Value::Skipped,
            Value::Skipped,
        ],
        other_text: vec![],
    };
    let before = agg.clone();
    let e = agg.add(&bad).unwrap_err();
    assert!(e.to_string().starts_with("respondent X: answer #0"), "{e}");
    assert_eq!(agg, before);
    // A bad answer late in the record undoes the answers counted before it.
    let late = Record {
        id: "Z".into(),
        values: vec![
            Value::Choice(0),
            Value::Choice(1),
            Value::Choices([0].into_iter().collect()),
            Value::Text("x".into()),
        ],
        other_text: vec![],
    };
    let e = agg.add(&late).unwrap_err();
    assert!(e.to_string().starts_with("respondent Z: answer #3"), "{e}");
    assert_eq!(agg, before);
    let short = Record {
        id: "Y".into(),
        values: vec![Value::Skipped],
        other_text: vec![],
    };
    assert!(
        agg.add(&short)
            .unwrap_err()
            .to_string()
            .contains("has 1 answers, the questionnaire 4 questions")
    );
    assert!(
        agg.frequency(&idx, "ghost", RowOrder::Questionnaire)
            .is_err()
    );
    assert!(
        agg.frequency(&idx, "staff", RowOrder::Questionnaire)
            .is_err()
    );
}

/// A 0–10 scale is summarised by its scores, not by its options' positions (option `k` is
/// score `k` here, and position `k + 1` in a 按序号 download); a scale in words has no mean.
#[test]
fn a_scale_labelled_0_to_10_is_summarised_by_its_scores() {
    let options: Vec<serde_json::Value> = (0..=10)
        .map(|k| serde_json::json!({"code": format!("s{k}"), "label": k.to_string()}))
        .collect();
    let q = serde_json::json!({
        "id": "nps", "title": "例", "organisation": "CHIMA", "year": 2025, "language": "zh-CN",
        "sections": [{"id": "s", "title": "S", "questions": [
            {"id": "recommend", "text": "推荐可能性", "kind": "ordinal", "required": false, "options": options},
            {"id": "aware", "text": "了解程度", "kind": "ordinal",
             "options": [{"code": "no", "label": "不了解"}, {"code": "some", "label": "了解一点"}, {"code": "very", "label": "非常了解"}]}
        ]}]
    });
    let idx = parse_questionnaire(&q.to_string(), std::path::Path::new("nps.json")).unwrap();
    let recs: Vec<Record> = [Some(0u16), Some(7), Some(10), Some(10), None]
        .iter()
        .enumerate()
        .map(|(k, s)| Record {
            id: k.to_string(),
            values: vec![s.map_or(Value::Skipped, Value::Choice), Value::Choice(1)],
            other_text: vec![],
        })
        .collect();
    let agg = aggregate(&idx, &[], &recs).unwrap();
    let s = agg.numeric(&idx, "recommend").unwrap();
    assert_eq!((s.n, s.skipped), (4, 1));
    assert_eq!(s.mean, Some(6.75));
    assert_eq!((s.min, s.median, s.max), (Some(0.0), Some(8.5), Some(10.0)));
    assert!(agg.numeric(&idx, "aware").is_err());
}
