//! Each cleaning rule, its evidence, the order of rules, keep policies and the funnel.

use survey_clean::{Action, Keep, RuleKind, RuleSpec, Rules, clean};
use survey_import::{Imported, Meta};
use survey_schema::{Index, OptionSet, Record, Value, parse_questionnaire};

fn index() -> Index {
    let q = serde_json::json!({
        "id": "clean-fixture", "title": "清洗", "organisation": "CHIMA", "year": 2025, "language": "zh-CN",
        "sections": [{"id": "s", "title": "S", "questions": [
            {"id": "org_code", "text": "统一社会信用代码", "kind": "text", "identifying": true},
            {"id": "level", "text": "级别", "kind": "single_choice", "options": [{"code": "a", "label": "三级"}, {"code": "b", "label": "其他"}]},
            {"id": "measures", "text": "措施", "kind": "multiple_choice", "options": [
                {"code": "x", "label": "数据备份"}, {"code": "y", "label": "数据加密"}, {"code": "none", "label": "暂未使用", "exclusive": true}]}
        ]}]
    });
    parse_questionnaire(&q.to_string(), std::path::Path::new("q.json")).unwrap()
}

fn item(
    row: usize,
    org: &str,
    level: Value,
    measures: &[usize],
    time: &str,
    secs: f64,
) -> Imported {
    Imported {
        record: Record {
            id: (row - 1).to_string(),
            values: vec![
                Value::Text(org.into()),
                level,
                Value::Choices(measures.iter().copied().collect::<OptionSet>()),
            ],
            other_text: vec![],
        },
        meta: Meta {
            row,
            submitted_at: Some(time.into()),
            submitted_key: None,
            duration_secs: Some(secs),
            source: None,
            ip: None,
        },
    }
}

fn rules(r: Vec<RuleSpec>) -> Rules {
    Rules {
        schema: None,
        rules: r,
    }
}

#[test]
fn duplicates_by_identifier_keep_the_declared_one() {
    let idx = index();
    let items = vec![
        item(
            2,
            "ORG1",
            Value::Choice(0),
            &[0],
            "2025/3/3 09:00:00",
            300.0,
        ),
        item(
            3,
            "org 1",
            Value::Choice(1),
            &[1],
            "2025/3/4 09:00:00",
            300.0,
        ),
        item(
            4,
            "ORG2",
            Value::Choice(1),
            &[0, 1],
            "2025/3/2 09:00:00",
            300.0,
        ),
    ];
    for (keep, kept) in [(Keep::Last, 3), (Keep::First, 2)] {
        let c = clean(
            &idx,
            &rules(vec![RuleSpec::DuplicateIdentifier {
                question: "org_code".into(),
                keep,
            }]),
            &items,
        )
        .unwrap();
        assert_eq!(c.funnel.valid, 2);
        assert!(c.is_kept(kept) && c.is_kept(4));
        assert_eq!(c.log_len(), 1);
        assert!(
            c.log().unwrap()[0].evidence.contains("org_code 相同"),
            "{}",
            c.log().unwrap()[0].evidence
        );
        assert!(
            !c.log().unwrap()[0].evidence.contains("ORG1"),
            "the log never prints the identifier itself"
        );
    }
}

#[test]
fn codes_a_spreadsheet_turned_into_numbers_are_refused_not_taken_as_duplicates() {
    // Trial 42: credit codes re-saved by Excel read `1.24401E+17`; four hospitals sharing
    // their leading digits were set aside as duplicates of one another, and nothing said so.
    let idx = index();
    let items = vec![
        item(
            2,
            "ORG1",
            Value::Choice(0),
            &[0],
            "2025/3/3 09:00:00",
            300.0,
        ),
        item(
            3,
            "1.24401E+17",
            Value::Choice(1),
            &[1],
            "2025/3/4 09:00:00",
            300.0,
        ),
        item(
            4,
            "1.24401E+17",
            Value::Choice(1),
            &[0, 1],
            "2025/3/2 09:00:00",
            300.0,
        ),
    ];
    let dup = rules(vec![RuleSpec::DuplicateIdentifier {
        question: "org_code".into(),
        keep: Keep::Last,
    }]);
    let e = clean(&idx, &dup, &items).unwrap_err().to_string();
    assert!(
        e.contains("row 3") && e.contains("org_code") && e.contains("«1.24401E+17»"),
        "{e}"
    );
    // Without the rule, the identifier decides nothing, and the column is read as it is.
    let c = clean(&idx, &rules(vec![]), &items).unwrap();
    assert_eq!(c.funnel.valid, 3);
    // The shape: digits, a point, `E+`, digits; nothing else is taken for it.
    for yes in ["1.24401E+17", "9E+17", " 1.2e+5 "] {
        assert!(survey_clean::in_scientific_notation(yes), "{yes}");
    }
    for no in [
        "91110000E12345678",
        "1.2E17",
        "E+17",
        "1.2E+",
        "12345678901234567X",
        "1.2E+1a",
    ] {
        assert!(!survey_clean::in_scientific_notation(no), "{no}");
    }
}

#[test]
fn identical_answers_are_duplicates_whatever_the_identifier() {
    let idx = index();
    let items = vec![
        item(
            2,
            "A",
            Value::Choice(0),
            &[0, 1],
            "2025/3/3 09:00:00",
            300.0,
        ),
        item(
            3,
            "B",
            Value::Choice(0),
            &[0, 1],
            "2025/3/3 10:00:00",
            300.0,
        ),
        item(4, "C", Value::Choice(0), &[1], "2025/3/3 11:00:00", 300.0),
    ];
    let c = clean(
        &idx,
        &rules(vec![RuleSpec::DuplicateAnswers { keep: Keep::First }]),
        &items,
    )
    .unwrap();
    assert_eq!(c.kept_rows().collect::<Vec<_>>(), vec![2, 4]);
    assert_eq!(c.log().unwrap()[0].rule, RuleKind::DuplicateAnswers);
}

#[test]
fn incomplete_and_too_fast_submissions() {
    let idx = index();
    let items = vec![
        item(2, "A", Value::Skipped, &[0], "2025/3/3 09:00:00", 300.0),
        item(3, "B", Value::Choice(0), &[0], "2025/3/3 10:00:00", 35.0),
        item(4, "C", Value::Choice(1), &[1], "2025/3/3 11:00:00", 300.0),
    ];
    let c = clean(
        &idx,
        &rules(vec![
            RuleSpec::Incomplete {
                action: Action::Exclude,
            },
            RuleSpec::MinDuration {
                seconds: 60.0,
                action: Action::Exclude,
            },
        ]),
        &items,
    )
    .unwrap();
    assert_eq!(c.kept_rows().collect::<Vec<_>>(), vec![4]);
    assert_eq!(
        c.funnel
            .steps
            .iter()
            .map(|s| s.excluded)
            .collect::<Vec<_>>(),
        vec![1, 1]
    );
    // The survey team reads the log: the question by id and wording, what is wrong in Chinese.
    assert_eq!(
        c.log().unwrap()[0].evidence,
        "level（级别）：必答题已显示但未作答"
    );
    assert_eq!(c.log().unwrap()[1].evidence, "作答用时35秒，少于60秒");

    // With no times at all (the column read past, say), the rule is refused, not passed.
    let untimed: Vec<Imported> = items
        .into_iter()
        .map(|mut i| {
            i.meta.duration_secs = None;
            i
        })
        .collect();
    let e = clean(
        &idx,
        &rules(vec![RuleSpec::MinDuration {
            seconds: 60.0,
            action: Action::Exclude,
        }]),
        &untimed,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`min_duration`") && e.contains("none of the 3 submissions"),
        "{e}"
    );
}

#[test]
fn exclusive_violations_are_flagged_or_excluded_as_declared() {
    let idx = index();
    let items = vec![
        item(
            2,
            "A",
            Value::Choice(0),
            &[0, 2],
            "2025/3/3 09:00:00",
            300.0,
        ),
        item(3, "B", Value::Choice(0), &[1], "2025/3/3 09:00:00", 300.0),
    ];
    let flag = clean(
        &idx,
        &rules(vec![RuleSpec::ExclusiveViolation {
            action: Action::Flag,
        }]),
        &items,
    )
    .unwrap();
    assert_eq!(flag.funnel.valid, 2);
    assert_eq!(
        (flag.funnel.steps[0].excluded, flag.funnel.steps[0].flagged),
        (0, 1)
    );
    assert_eq!(flag.log().unwrap()[0].action, Action::Flag);
    let excl = clean(
        &idx,
        &rules(vec![RuleSpec::ExclusiveViolation {
            action: Action::Exclude,
        }]),
        &items,
    )
    .unwrap();
    assert_eq!(excl.kept_rows().collect::<Vec<_>>(), vec![3]);
    assert_eq!(
        excl.log().unwrap()[0].evidence,
        "measures（措施） = “数据备份”、“暂未使用”：互斥选项与其他选项同时选择"
    );
}

#[test]
fn an_error_no_rule_handles_stops_cleaning() {
    let idx = index();
    let items = vec![item(
        2,
        "A",
        Value::Choice(0),
        &[0, 2],
        "2025/3/3 09:00:00",
        300.0,
    )];
    let e = clean(
        &idx,
        &rules(vec![RuleSpec::Incomplete {
            action: Action::Exclude,
        }]),
        &items,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("1 submission(s) break questionnaire rules that no cleaning rule handles")
            && msg.contains("row 2 (respondent 1)"),
        "{msg}"
    );
}

#[test]
fn rules_apply_in_order_and_each_submission_counts_once() {
    let idx = index();
    // Row 3 is both a duplicate and too fast: the first rule listed takes it.
    let items = vec![
        item(2, "A", Value::Choice(0), &[0], "2025/3/3 09:00:00", 300.0),
        item(3, "A", Value::Choice(1), &[1], "2025/3/2 09:00:00", 20.0),
        item(4, "B", Value::Choice(1), &[0], "2025/3/3 09:00:00", 300.0),
    ];
    let dup = RuleSpec::DuplicateIdentifier {
        question: "org_code".into(),
        keep: Keep::Last,
    };
    let fast = RuleSpec::MinDuration {
        seconds: 60.0,
        action: Action::Exclude,
    };
    let a = clean(&idx, &rules(vec![dup.clone(), fast.clone()]), &items).unwrap();
    assert_eq!(
        a.funnel
            .steps
            .iter()
            .map(|s| s.excluded)
            .collect::<Vec<_>>(),
        vec![1, 0]
    );
    let b = clean(&idx, &rules(vec![fast, dup]), &items).unwrap();
    assert_eq!(
        b.funnel
            .steps
            .iter()
            .map(|s| s.excluded)
            .collect::<Vec<_>>(),
        vec![1, 0]
    );
    assert_eq!((a.funnel.collected, a.funnel.valid), (3, 2));
    let csv = a.log_csv().unwrap();
    assert!(csv.starts_with("# CONFIDENTIAL"));
    assert!(csv.contains("respondent,row,rule,action,evidence"));
}

#[test]
fn rules_files_are_checked() {
    let idx = index();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("clean-rules");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("r.json");
    std::fs::write(
        &p,
        r#"{"rules": [{"rule": "duplicate_identifier", "question": "level", "keep": "last"}]}"#,
    )
    .unwrap();
    let e = Rules::load(&p, &idx).unwrap_err().to_string();
    assert!(
        e.contains("needs a text question holding the identifier; `level` is single_choice"),
        "{e}"
    );
    std::fs::write(&p, r#"{"rules": [{"rule": "too_short"}]}"#).unwrap();
    let e = Rules::load(&p, &idx).unwrap_err().to_string();
    assert!(
        e.contains("line 1: rule 1 (too_short): unknown variant `too_short`"),
        "{e}"
    );
}

#[test]
fn listed_submissions_are_set_aside_with_their_reason_and_must_exist() {
    let idx = index();
    // Ids are the row less one: 1, 2, 3.
    let items = vec![
        item(
            2,
            "测试",
            Value::Choice(0),
            &[0],
            "2025/3/1 09:00:00",
            300.0,
        ),
        item(3, "A", Value::Choice(0), &[0], "2025/3/3 10:00:00", 300.0),
        item(4, "A", Value::Choice(1), &[1], "2025/3/3 11:00:00", 300.0),
    ];
    let listed = |ids: &[&str]| RuleSpec::Listed {
        respondents: ids.iter().map(|s| (*s).to_owned()).collect(),
        reason: "测试答卷".into(),
    };
    let c = clean(
        &idx,
        &rules(vec![
            listed(&["1"]),
            RuleSpec::DuplicateIdentifier {
                question: "org_code".into(),
                keep: Keep::Last,
            },
        ]),
        &items,
    )
    .unwrap();
    assert_eq!(c.kept_rows().collect::<Vec<_>>(), vec![4]);
    assert_eq!(c.funnel.steps[0].rule, RuleKind::Listed);
    assert_eq!(c.funnel.steps[0].excluded, 1);
    assert_eq!(c.funnel.steps[0].description, "测试答卷（按序号指定）");
    let log = c.log().unwrap();
    assert_eq!(
        (log[0].row, log[0].evidence.as_str()),
        (2, "序号 1 列为“测试答卷”")
    );

    // An id the export does not hold is a typo that would keep the answer it meant.
    let e = clean(&idx, &rules(vec![listed(&["1", "7"])]), &items)
        .unwrap_err()
        .to_string();
    assert!(e.contains("rule 1 (listed)") && e.contains("«7»"), "{e}");

    // 序号 as JSON numbers are the same submissions.
    let p0 = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("clean-listed-numbers.json");
    std::fs::write(
        &p0,
        r#"{"rules": [{"rule": "listed", "respondents": [1, "2"], "reason": "测试答卷"}]}"#,
    )
    .unwrap();
    let r = Rules::load(&p0, &idx).unwrap();
    assert!(
        matches!(&r.rules[0], RuleSpec::Listed { respondents, .. } if respondents == &["1", "2"])
    );

    // The rules file: a reason, at least one id, each once.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("clean-listed");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("r.json");
    for (text, says) in [
        (
            r#"{"rules": [{"rule": "listed", "respondents": ["1"], "reason": " "}]}"#,
            "give the reason",
        ),
        (
            r#"{"rules": [{"rule": "listed", "respondents": [], "reason": "测试答卷"}]}"#,
            "lists no submission",
        ),
        (
            r#"{"rules": [{"rule": "listed", "respondents": ["1", "1"], "reason": "测试答卷"}]}"#,
            "lists 序号 «1» twice",
        ),
    ] {
        std::fs::write(&p, text).unwrap();
        let e = Rules::load(&p, &idx).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
    }
}
