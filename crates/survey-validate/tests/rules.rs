//! One test per rule, file-level errors, and property tests over random questionnaires.

use std::path::Path;

use proptest::prelude::*;
use serde_json::{Value as Json, json};
use survey_schema::testing::{arb_index, valid_record};
use survey_schema::{Index, QuestionKind, Value, parse_questionnaire};
use survey_validate::{FileError, Rule, Severity, Validator, validate_text};

fn fixture() -> Index {
    let q = json!({
        "id": "fixture", "title": "测试问卷", "organisation": "CHIMA", "year": 2025, "language": "zh-CN",
        "sections": [{"id": "s", "title": "S", "questions": [
            {"id": "uses_ai", "text": "是否使用AI", "kind": "single_choice",
             "options": [{"code": "yes", "label": "是"}, {"code": "no", "label": "否"}]},
            {"id": "measures", "text": "措施", "kind": "multiple_choice",
             "show_if": {"chosen": {"question": "uses_ai", "option": "yes"}},
             "options": [{"code": "backup", "label": "数据备份"}, {"code": "audit", "label": "数据库审计"},
                         {"code": "none", "label": "暂未使用", "exclusive": true},
                         {"code": "other", "label": "其他", "other": true}]},
            {"id": "staff", "text": "人数", "kind": "integer", "min": 0, "max": 50, "required": false},
            {"id": "top2", "text": "最多两项", "kind": "multiple_choice", "max_selections": 2,
             "options": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}, {"code": "c", "label": "C"}]},
            {"id": "comment", "text": "意见", "kind": "text", "max_length": 10, "required": false}
        ]}]
    });
    parse_questionnaire(&q.to_string(), Path::new("fixture.json")).unwrap()
}

fn good() -> Json {
    json!({"id": "H001", "answers": {
        "uses_ai": "yes", "measures": ["backup", "other"], "staff": 3, "top2": ["a"], "comment": null
    }, "other_text": {"measures": "军事国防"}})
}

fn rules_of(index: &Index, record: &Json) -> Vec<Rule> {
    let v = Validator::new(index);
    v.validate_json(1, None, record)
        .iter()
        .map(|f| f.rule)
        .collect()
}

fn with(mut rec: Json, f: impl FnOnce(&mut Json)) -> Json {
    f(&mut rec);
    rec
}

#[test]
fn a_good_record_has_no_findings() {
    assert_eq!(rules_of(&fixture(), &good()), vec![]);
}

#[test]
fn each_rule_fires_alone() {
    let idx = fixture();
    let cases: Vec<(Json, Rule)> = vec![
        (
            with(good(), |r| {
                r["answers"]["measures"] = json!(["none", "backup"]);
                r["other_text"] = json!({});
            }),
            Rule::ExclusiveCombined,
        ),
        (
            with(good(), |r| {
                r["answers"]["uses_ai"] = json!("no");
                r["other_text"] = json!({});
            }),
            Rule::HiddenButAnswered,
        ),
        (
            with(good(), |r| {
                r["answers"].as_object_mut().unwrap().remove("measures");
                r["other_text"] = json!({});
            }),
            Rule::ShownButMissing,
        ),
        (
            with(good(), |r| r["answers"]["measures"] = json!(["backup"])),
            Rule::OtherTextWithoutOther,
        ),
        (
            with(good(), |r| r["other_text"] = json!({"top2": "x"})),
            Rule::OtherTextNotAllowed,
        ),
        (
            with(good(), |r| r["answers"]["top2"] = Json::Null),
            Rule::RequiredMissing,
        ),
        (
            with(good(), |r| {
                r["answers"].as_object_mut().unwrap().remove("top2");
            }),
            Rule::MissingAnswer,
        ),
        (
            with(good(), |r| r["answers"]["top2"] = json!(["a", "zz"])),
            Rule::UnknownOption,
        ),
        (
            with(good(), |r| r["answers"]["uses_ai"] = json!("maybe")),
            Rule::UnknownOption,
        ),
        (
            with(good(), |r| r["answers"]["staff"] = json!("three")),
            Rule::WrongType,
        ),
        (
            with(good(), |r| r["answers"]["staff"] = json!(2.5)),
            Rule::WrongType,
        ),
        (
            with(good(), |r| r["answers"]["staff"] = json!(51)),
            Rule::OutOfRange,
        ),
        (
            with(good(), |r| r["answers"]["top2"] = json!(["a", "b", "c"])),
            Rule::TooManySelections,
        ),
        (
            with(good(), |r| r["answers"]["top2"] = json!([])),
            Rule::TooFewSelections,
        ),
        (
            with(good(), |r| r["answers"]["top2"] = json!(["a", "a"])),
            Rule::DuplicateSelection,
        ),
        (
            with(good(), |r| {
                r["answers"]["comment"] = json!("一二三四五六七八九十十一")
            }),
            Rule::TextTooLong,
        ),
        (
            with(good(), |r| r["answers"]["ghost"] = json!(1)),
            Rule::UnknownQuestion,
        ),
        (with(good(), |r| r["extra"] = json!(1)), Rule::Malformed),
        (json!([1, 2]), Rule::Malformed),
    ];
    for (rec, rule) in cases {
        assert_eq!(rules_of(&idx, &rec), vec![rule], "record {rec}");
    }
}

#[test]
fn findings_name_respondent_question_value_and_rule() {
    let idx = fixture();
    let v = Validator::new(&idx);
    let rec = with(good(), |r| {
        r["answers"]["measures"] = json!(["none", "backup"])
    });
    let f = &v.validate_json(7, Some(12), &rec)[0];
    let text = f.to_string();
    assert_eq!(f.respondent, "H001");
    assert_eq!(f.question.as_deref(), Some("measures"));
    assert_eq!(f.value.as_deref(), Some(r#"["backup","none"]"#));
    assert_eq!(f.record, 7);
    assert!(
        text.contains("record 7 (line 12), respondent H001, question measures"),
        "{text}"
    );
    assert!(text.contains("“暂未使用” (none) rules out every other option but was chosen together with “数据备份” (backup)"), "{text}");
}

#[test]
fn all_findings_are_collected() {
    let idx = fixture();
    let rec = with(good(), |r| {
        r["answers"]["measures"] = json!(["none", "audit"]);
        r["answers"]["staff"] = json!(99);
        r["answers"]["top2"] = json!(["a", "q"]);
    });
    let mut rules = rules_of(&idx, &rec);
    rules.sort();
    // The cross-field rules still run although the schema rejected other answers in the record.
    assert_eq!(
        rules,
        vec![
            Rule::UnknownOption,
            Rule::OutOfRange,
            Rule::ExclusiveCombined,
            Rule::OtherTextWithoutOther
        ]
    );
}

#[test]
fn other_text_without_other_is_only_a_warning() {
    let idx = fixture();
    let v = Validator::new(&idx);
    let f = v.validate_json(
        1,
        None,
        &with(good(), |r| r["answers"]["measures"] = json!(["backup"])),
    );
    assert_eq!(f[0].severity, Severity::Warning);
}

#[test]
fn files_as_arrays_carry_line_numbers() {
    let idx = fixture();
    let v = Validator::new(&idx);
    let text = format!(
        "[\n  {},\n  {}\n]",
        good(),
        with(good(), |r| r["answers"]["staff"] = json!(-1))
    );
    let report = validate_text(&v, &text, Path::new("r.json")).unwrap();
    assert_eq!(report.records, 2);
    assert_eq!(report.findings.len(), 2, "{:#?}", report.findings);
    let rules: Vec<Rule> = report.findings.iter().map(|f| f.rule).collect();
    assert!(rules.contains(&Rule::OutOfRange) && rules.contains(&Rule::DuplicateRespondent));
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.record == 2 && f.line == Some(3))
    );
}

#[test]
fn json_lines_keep_going_past_a_bad_line() {
    let idx = fixture();
    let v = Validator::new(&idx);
    let g2 = with(good(), |r| r["id"] = json!("H002"));
    let text = format!("{}\n{{\"id\": \"H009\", \"answers\": \n{}\n", good(), g2);
    let report = validate_text(&v, &text, Path::new("r.jsonl")).unwrap();
    assert_eq!(report.records, 3);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].rule, Rule::Malformed);
    assert_eq!(report.findings[0].line, Some(2));
}

#[test]
fn unreadable_files_are_located_errors() {
    let idx = fixture();
    let v = Validator::new(&idx);
    let e = validate_text(&v, "  \n", Path::new("empty.json")).unwrap_err();
    assert!(matches!(e, FileError::Empty { .. }), "{e}");
    let e = validate_text(&v, "[\n {\"id\": 1,\n ]", Path::new("bad.json")).unwrap_err();
    assert!(e.to_string().starts_with("bad.json:3:"), "{e}");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("survey-validate-test");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("gbk.json");
    std::fs::write(&p, b"[{\"id\": \"\xc4\xe3\"}]").unwrap();
    let e = survey_validate::validate_file(&v, &p).unwrap_err();
    assert!(
        e.to_string()
            .contains("gbk.json:1:10: not valid JSON: the file is not UTF-8"),
        "{e}"
    );
    let e = survey_validate::validate_file(&v, &dir.join("missing.json")).unwrap_err();
    assert!(e.to_string().contains("missing.json: cannot read"), "{e}");
}

/// Question ids that no display condition mentions, so changing them changes nothing else.
fn unreferenced(index: &Index) -> Vec<usize> {
    let referenced: Vec<String> = index
        .questions()
        .iter()
        .filter_map(|q| q.show_if.as_ref())
        .flat_map(|c| {
            c.references()
                .into_iter()
                .map(|(q, _)| q.to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    (0..index.len())
        .filter(|&i| !referenced.contains(&index.question(i).id))
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum Mutation {
    Exclusive,
    UnknownOption,
    RequiredNull,
    HiddenAnswered,
    OtherTextAlone,
    OutOfRange,
    UnknownQuestion,
    MissingKey,
}

/// Apply a mutation to a valid record's JSON; `None` when this record offers no target.
fn mutate(
    index: &Index,
    rec: &survey_schema::Record,
    m: Mutation,
    pick: usize,
) -> Option<(Json, Rule)> {
    let mut json = serde_json::to_value(index.decode(rec)).unwrap();
    let free = unreferenced(index);
    let targets: Vec<usize> = free
        .iter()
        .copied()
        .filter(|&i| {
            let q = index.question(i);
            let v = &rec.values[i];
            match m {
                Mutation::Exclusive => {
                    q.kind.is_multiple()
                        && v.is_answered()
                        && q.kind.options().iter().any(|o| o.exclusive)
                        && q.kind.options().iter().any(|o| !o.exclusive)
                        && q.kind.selection_bounds().1 >= 2
                }
                Mutation::UnknownOption => q.kind.is_single() && v.is_answered(),
                Mutation::RequiredNull => q.required && v.is_answered(),
                Mutation::HiddenAnswered => q.show_if.is_some() && matches!(v, Value::NotShown),
                Mutation::OtherTextAlone => {
                    q.other_option()
                        .is_some_and(|o| v.is_answered() && !v.includes(o))
                        && rec.other_text(i).is_none()
                }
                Mutation::OutOfRange => {
                    v.is_answered()
                        && matches!(
                            q.kind,
                            QuestionKind::Integer { max: Some(_), .. }
                                | QuestionKind::Number { max: Some(_), .. }
                        )
                }
                Mutation::UnknownQuestion => true,
                Mutation::MissingKey => q.show_if.is_none() && v.is_answered(),
            }
        })
        .collect();
    if targets.is_empty() {
        return None;
    }
    let i = targets[pick % targets.len()];
    let q = index.question(i);
    let answers = json["answers"].as_object_mut().unwrap();
    let rule = match m {
        Mutation::Exclusive => {
            let opts = q.kind.options();
            let ex = opts.iter().find(|o| o.exclusive).unwrap();
            let plain = opts.iter().find(|o| !o.exclusive).unwrap();
            answers.insert(q.id.clone(), json!([plain.code, ex.code]));
            // The plain option chosen may not be "other"; drop any other-text so that only
            // the exclusive rule is broken.
            json.get_mut("other_text")
                .and_then(|t| t.as_object_mut())
                .map(|t| t.remove(&q.id));
            Rule::ExclusiveCombined
        }
        Mutation::UnknownOption => {
            answers.insert(q.id.clone(), json!("zz_not_an_option"));
            json.get_mut("other_text")
                .and_then(|t| t.as_object_mut())
                .map(|t| t.remove(&q.id));
            Rule::UnknownOption
        }
        Mutation::RequiredNull => {
            answers.insert(q.id.clone(), Json::Null);
            json.get_mut("other_text")
                .and_then(|t| t.as_object_mut())
                .map(|t| t.remove(&q.id));
            Rule::RequiredMissing
        }
        Mutation::HiddenAnswered => {
            let mut rng = survey_schema::testing::Rng(pick as u64);
            let v = survey_schema::testing::valid_value(index, i, &mut rng);
            let mut r2 = rec.clone();
            r2.values = vec![Value::NotShown; index.len()];
            r2.values[i] = v;
            r2.other_text.clear();
            let one = serde_json::to_value(index.decode(&r2)).unwrap();
            answers.insert(q.id.clone(), one["answers"][&q.id].clone());
            Rule::HiddenButAnswered
        }
        Mutation::OtherTextAlone => {
            let obj = json.as_object_mut().unwrap();
            let texts = obj.entry("other_text").or_insert_with(|| json!({}));
            texts[&q.id] = json!("自填");
            Rule::OtherTextWithoutOther
        }
        Mutation::OutOfRange => {
            let max = match q.kind {
                QuestionKind::Integer { max: Some(m), .. } => m as f64,
                QuestionKind::Number { max: Some(m), .. } => m,
                _ => unreachable!(),
            };
            answers.insert(q.id.clone(), json!(max + 1.0));
            Rule::OutOfRange
        }
        Mutation::UnknownQuestion => {
            answers.insert("zz_ghost".into(), json!("x"));
            Rule::UnknownQuestion
        }
        Mutation::MissingKey => {
            answers.remove(&q.id);
            json.get_mut("other_text")
                .and_then(|t| t.as_object_mut())
                .map(|t| t.remove(&q.id));
            Rule::MissingAnswer
        }
    };
    Some((json, rule))
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop::sample::select(vec![
        Mutation::Exclusive,
        Mutation::UnknownOption,
        Mutation::RequiredNull,
        Mutation::HiddenAnswered,
        Mutation::OtherTextAlone,
        Mutation::OutOfRange,
        Mutation::UnknownQuestion,
        Mutation::MissingKey,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_valid_record_passes(index in arb_index(), seeds in prop::collection::vec(any::<u64>(), 1..8)) {
        let v = Validator::new(&index);
        for (n, seed) in seeds.iter().enumerate() {
            let rec = valid_record(&index, &format!("R{n}"), *seed);
            let findings = v.validate_record(n + 1, &rec);
            prop_assert!(findings.is_empty(), "{:#?}\n{:#?}", findings, index.decode(&rec));
        }
    }

    #[test]
    fn each_mutation_yields_exactly_its_finding(index in arb_index(), seed in any::<u64>(), m in arb_mutation(), pick in any::<usize>()) {
        let rec = valid_record(&index, "R1", seed);
        if let Some((json, rule)) = mutate(&index, &rec, m, pick) {
            let v = Validator::new(&index);
            let got: Vec<Rule> = v.validate_json(1, None, &json).iter().map(|f| f.rule).collect();
            prop_assert_eq!(got, vec![rule], "{:?} on {}", m, json);
        }
    }
}
