use proptest::prelude::*;

use crate::testing::{Rng, arb_index, arb_questionnaire, valid_record};
use crate::*;

fn qn(json: serde_json::Value) -> Result<Index, Vec<String>> {
    let text = json.to_string();
    parse_questionnaire(&text, std::path::Path::new("t.json")).map_err(|e| match e {
        LoadError::Inconsistent { issues, .. } => issues.iter().map(|i| i.to_string()).collect(),
        other => vec![other.to_string()],
    })
}

fn base(questions: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": "t", "title": "测试", "organisation": "CHIMA", "year": 2025, "language": "zh-CN",
        "sections": [{"id": "s", "title": "S", "questions": questions}]
    })
}

#[test]
fn labels_read_plain_or_bilingual() {
    let l: Label = serde_json::from_str(r#""非常了解""#).unwrap();
    assert_eq!(
        l,
        Label {
            zh: "非常了解".into(),
            en: None
        }
    );
    let l: Label = serde_json::from_str(r#"{"zh": "是", "en": "Yes"}"#).unwrap();
    assert_eq!(l.en.as_deref(), Some("Yes"));
    assert_eq!(serde_json::to_string(&Label::new("否")).unwrap(), r#""否""#);
}

#[test]
fn inconsistencies_are_all_reported() {
    let errs = qn(base(serde_json::json!([
        {"id": "a", "text": "A", "kind": "single_choice", "options": [
            {"code": "x", "label": "X"}, {"code": "x", "label": "X2"}, {"code": "n", "label": "无", "exclusive": true}]},
        {"id": "a", "text": "B", "kind": "multiple_choice", "min_selections": 3, "max_selections": 2,
         "options": [{"code": "p", "label": "P"}, {"code": "q", "label": "Q"}]},
        {"id": "c", "text": "C", "kind": "text", "show_if": {"chosen": {"question": "a", "option": "zz"}}},
        {"id": "d", "text": "D", "kind": "text", "show_if": {"answered": {"question": "later"}}},
        {"id": "later", "text": "L", "kind": "integer", "min": 5, "max": 1},
        {"id": "Bad-Id", "text": "E", "kind": "text", "opitons": []}
    ])))
    .unwrap_err();
    let has = |s: &str| errs.iter().any(|e| e.contains(s));
    assert!(has("option x: option code is used twice"), "{errs:#?}");
    assert!(
        has("`exclusive` only applies to multiple-choice"),
        "{errs:#?}"
    );
    assert!(has("question a: question id is used twice"), "{errs:#?}");
    assert!(
        has("min_selections 3 exceeds max_selections 2"),
        "{errs:#?}"
    );
    assert!(has("`a` has no option `zz`"), "{errs:#?}");
    assert!(
        has("refers to `later`, which is not an earlier question"),
        "{errs:#?}"
    );
    assert!(has("min 5 exceeds max 1"), "{errs:#?}");
    assert!(
        has("question Bad-Id: a question id must start"),
        "{errs:#?}"
    );
    assert!(
        has("unknown field `opitons` for a text question"),
        "{errs:#?}"
    );
    assert_eq!(errs.len(), 9, "{errs:#?}");
}

#[test]
fn exclusive_option_forbids_a_minimum_above_one() {
    let errs = qn(base(serde_json::json!([
        {"id": "m", "text": "M", "kind": "multiple_choice", "min_selections": 2,
         "options": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}, {"code": "n", "label": "无", "exclusive": true}]}
    ])))
    .unwrap_err();
    assert_eq!(
        errs,
        vec!["question m: an exclusive option is chosen alone, so min_selections cannot be 2"]
    );
}

#[test]
fn parse_errors_say_line_and_column() {
    let e = parse_questionnaire("{\n  \"id\": 3\n}", std::path::Path::new("q.json")).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with("q.json:2:"), "{msg}");
}

#[test]
fn three_states_survive_the_wire() {
    let index = qn(base(serde_json::json!([
        {"id": "a", "text": "A", "kind": "single_choice", "required": false, "options": [{"code": "y", "label": "是"}, {"code": "n", "label": "否"}]},
        {"id": "b", "text": "B", "kind": "multiple_choice", "show_if": {"chosen": {"question": "a", "option": "y"}},
         "options": [{"code": "p", "label": "P"}, {"code": "o", "label": "其他", "other": true}]},
        {"id": "c", "text": "C", "kind": "number", "required": false}
    ])))
    .unwrap();
    let r: Response = serde_json::from_str(
        r#"{"id": "r1", "answers": {"a": "y", "b": ["o"], "c": null}, "other_text": {"b": "自填"}}"#,
    )
    .unwrap();
    let rec = index.encode(&r).unwrap();
    assert_eq!(rec.values[0], Value::Choice(0));
    assert_eq!(rec.values[1], Value::Choices([1].into_iter().collect()));
    assert_eq!(rec.values[2], Value::Skipped);
    assert_eq!(rec.other_text(1), Some("自填"));
    assert!(index.display_condition_holds(&rec, 1));
    assert_eq!(index.decode(&rec), r);

    let r2: Response = serde_json::from_str(r#"{"id": "r2", "answers": {"a": "n"}}"#).unwrap();
    let rec2 = index.encode(&r2).unwrap();
    assert_eq!(rec2.values[1], Value::NotShown);
    assert_eq!(rec2.values[2], Value::NotShown);
    assert!(!index.display_condition_holds(&rec2, 1));
    // Not chosen is an answer: option p is simply absent from b's list.
    assert!(!rec.values[1].includes(0));
}

#[test]
fn encode_reports_every_problem() {
    let index = qn(base(serde_json::json!([
        {"id": "a", "text": "A", "kind": "single_choice", "options": [{"code": "y", "label": "是"}]},
        {"id": "n", "text": "N", "kind": "integer"}
    ])))
    .unwrap();
    let r: Response = serde_json::from_str(
        r#"{"id": "r", "answers": {"a": "zz", "n": 1.5, "ghost": 1}, "other_text": {"nope": "x"}}"#,
    )
    .unwrap();
    let issues = index.encode(&r).unwrap_err();
    let qs: Vec<&str> = issues.iter().map(|i| i.question.as_str()).collect();
    assert_eq!(qs, ["a", "n", "ghost", "nope"]);
}

#[test]
fn option_sets_iterate_in_order() {
    let s: OptionSet = [5, 0, 63].into_iter().collect();
    assert_eq!(s.iter().collect::<Vec<_>>(), vec![0, 5, 63]);
    assert_eq!(s.len(), 3);
    assert!(s.contains(63) && !s.contains(1));
}

proptest! {
    #[test]
    fn questionnaires_round_trip_through_json(q in arb_questionnaire()) {
        let json = serde_json::to_string_pretty(&q).unwrap();
        let back: Questionnaire = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &q);
        // And the loader accepts what the types write.
        let index = parse_questionnaire(&json, std::path::Path::new("p.json")).unwrap();
        prop_assert_eq!(index.questionnaire(), &q);
    }

    #[test]
    fn records_round_trip_through_the_wire_form(index in arb_index(), seed in any::<u64>()) {
        let rec = valid_record(&index, "r", seed);
        let wire = index.decode(&rec);
        let json = serde_json::to_string(&wire).unwrap();
        let back: Response = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &wire);
        prop_assert_eq!(index.encode(&back).unwrap(), rec);
    }

    #[test]
    fn rng_below_stays_in_range(seed in any::<u64>(), n in 1u64..1000) {
        let mut r = Rng(seed);
        for _ in 0..50 { prop_assert!(r.below(n) < n); }
    }
}

/// A scale labelled with whole numbers in rising order is scored by them; words, falling or
/// repeated numbers, single choices and one-option scales are not.
#[test]
fn scales_labelled_with_rising_whole_numbers_are_scored() {
    let kind = |kind: &str, labels: &[&str]| -> QuestionKind {
        let options: Vec<serde_json::Value> = labels
            .iter()
            .enumerate()
            .map(|(k, l)| serde_json::json!({"code": format!("o{k}"), "label": l}))
            .collect();
        serde_json::from_value(serde_json::json!({"kind": kind, "options": options})).unwrap()
    };
    let nps: Vec<String> = (0..=10).map(|k| k.to_string()).collect();
    let nps: Vec<&str> = nps.iter().map(String::as_str).collect();
    assert_eq!(
        kind("ordinal", &nps).scores(),
        Some((0..=10).collect::<Vec<u32>>())
    );
    assert_eq!(
        kind("ordinal", &["1分", "2分", " 3 ", "5分"]).scores(),
        Some(vec![1, 2, 3, 5])
    );
    for (k, labels) in [
        (
            "ordinal",
            &["非常不满意", "不满意", "一般", "满意", "非常满意"][..],
        ),
        ("ordinal", &["5", "4", "3", "2", "1"]),
        ("ordinal", &["1", "1", "2"]),
        ("ordinal", &["1", "2", "3及以上"]),
        ("ordinal", &["-1", "0", "1"]),
        ("ordinal", &["7"]),
        ("single_choice", &["1", "2", "3"]),
    ] {
        assert_eq!(kind(k, labels).scores(), None, "{k} {labels:?}");
    }
}

/// Options may carry their scores (a 量表题 in words): every option of an ordinal question,
/// or none, distinct. Scores given win over numeric labels.
#[test]
fn options_may_carry_their_scores() {
    let q = |kind: &str, scores: &[Option<u32>]| {
        let options: Vec<serde_json::Value> = scores
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let mut o =
                    serde_json::json!({"code": format!("o{k}"), "label": format!("第{k}级")});
                if let Some(s) = s {
                    o["score"] = (*s).into();
                }
                o
            })
            .collect();
        serde_json::json!({
            "id": "t", "title": "T", "organisation": "O", "year": 2025, "language": "zh-CN",
            "sections": [{"id": "s", "title": "S", "questions": [
                {"id": "sat", "text": "满意度", "kind": kind, "options": options}]}]
        })
        .to_string()
    };
    let p = std::path::Path::new("t.json");
    let idx = parse_questionnaire(&q("ordinal", &[Some(1), Some(2), Some(3)]), p).unwrap();
    assert_eq!(idx.question(0).kind.scores(), Some(vec![1, 2, 3]));
    for (kind, scores, says) in [
        (
            "ordinal",
            &[Some(1), None, Some(3)][..],
            "2 of its 3 options have a `score`",
        ),
        ("ordinal", &[Some(1), Some(1), Some(3)], "must differ"),
        (
            "single_choice",
            &[Some(1), Some(2), Some(3)],
            "`score` only applies to ordinal",
        ),
    ] {
        let e = parse_questionnaire(&q(kind, scores), p)
            .map(|_| ())
            .unwrap_err();
        assert!(e.to_string().contains(says), "{kind} {scores:?}: {e}");
    }
}
