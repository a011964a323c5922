//! The generator meets feasible targets exactly and names the target it cannot meet.

use indexmap::IndexMap;
use proptest::prelude::*;
use survey_aggregate::{RowOrder, aggregate};
use survey_schema::testing::{arb_questionnaire, valid_record};
use survey_schema::{Index, QuestionKind, Value, parse_questionnaire};
use survey_synth::{QuestionTarget, Targets, generate};

/// Targets that some dataset meets: the tabulation of random valid records.
fn targets_of(index: &Index, seeds: &[u64]) -> Targets {
    let recs: Vec<_> = seeds
        .iter()
        .enumerate()
        .map(|(n, s)| valid_record(index, &n.to_string(), *s))
        .collect();
    let agg = aggregate(index, &[], &recs).unwrap();
    let mut t = Targets {
        respondents: recs.len() as u64,
        questions: IndexMap::new(),
    };
    for (i, q) in index.questions().iter().enumerate() {
        let skipped = recs
            .iter()
            .filter(|r| r.values[i] == Value::Skipped)
            .count() as u64;
        let mut qt = QuestionTarget {
            skipped,
            ..QuestionTarget::default()
        };
        if q.kind.is_choice() {
            let f = agg
                .frequency(index, &q.id, RowOrder::Questionnaire)
                .unwrap();
            qt.counts = f.rows.iter().map(|r| (r.code.clone(), r.count)).collect();
        } else if let QuestionKind::Text { max_length } = q.kind {
            qt.text = Some(if max_length.is_some_and(|m| m < 5) {
                "x".into()
            } else {
                "t{n}".into()
            });
        } else {
            for r in &recs {
                if let Value::Number(x) = r.values[i] {
                    *qt.values.entry(format!("{x}")).or_insert(0) += 1;
                }
            }
        }
        t.questions.insert(q.id.clone(), qt);
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn feasible_targets_are_met_exactly(mut q in arb_questionnaire(), seeds in prop::collection::vec(any::<u64>(), 1..80), seed in any::<u64>()) {
        // Targets of conditional questions depend on the joint answers; see the hand test below.
        for s in &mut q.sections { for qq in &mut s.questions { qq.show_if = None; } }
        let index = Index::new(q).unwrap();
        let t = targets_of(&index, &seeds);
        let recs = generate(&index, &t, seed).unwrap();
        prop_assert_eq!(recs.len() as u64, t.respondents);
        let agg = aggregate(&index, &[], &recs).unwrap();
        let v = survey_validate::Validator::new(&index);
        for (n, r) in recs.iter().enumerate() {
            let f = v.validate_record(n + 1, r);
            prop_assert!(f.is_empty(), "{:?}", f);
        }
        for q in index.questions().iter().filter(|q| q.kind.is_choice()) {
            let f = agg.frequency(&index, &q.id, RowOrder::Questionnaire).unwrap();
            for row in &f.rows {
                prop_assert_eq!(row.count, t.questions[&q.id].counts[&row.code]);
            }
            prop_assert_eq!(f.skipped, t.questions[&q.id].skipped);
        }
        // Same seed, same records.
        prop_assert_eq!(generate(&index, &t, seed).unwrap(), recs);
    }
}

fn fixture() -> Index {
    let q = serde_json::json!({
        "id": "synth-fixture", "title": "合成", "organisation": "CHIMA", "year": 2025, "language": "zh-CN",
        "sections": [{"id": "s", "title": "S", "questions": [
            {"id": "uses", "text": "是否使用", "kind": "single_choice", "options": [{"code": "yes", "label": "是"}, {"code": "no", "label": "否"}]},
            {"id": "which", "text": "哪些", "kind": "multiple_choice", "max_selections": 2,
             "show_if": {"chosen": {"question": "uses", "option": "yes"}},
             "options": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}, {"code": "c", "label": "C"}, {"code": "none", "label": "无", "exclusive": true}]}
        ]}]
    });
    parse_questionnaire(&q.to_string(), std::path::Path::new("q.json")).unwrap()
}

fn t(uses: [u64; 2], which: &[(&str, u64)]) -> Targets {
    let mut q = IndexMap::new();
    q.insert(
        "uses".into(),
        QuestionTarget {
            counts: [("yes".to_string(), uses[0]), ("no".to_string(), uses[1])]
                .into_iter()
                .collect(),
            ..Default::default()
        },
    );
    q.insert(
        "which".into(),
        QuestionTarget {
            counts: which.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
            ..Default::default()
        },
    );
    Targets {
        respondents: uses[0] + uses[1],
        questions: q,
    }
}

#[test]
fn display_conditions_set_the_base() {
    let idx = fixture();
    let recs = generate(
        &idx,
        &t([30, 10], &[("a", 20), ("b", 15), ("c", 10), ("none", 5)]),
        7,
    )
    .unwrap();
    let agg = aggregate(&idx, &[], &recs).unwrap();
    let f = agg
        .frequency(&idx, "which", RowOrder::Questionnaire)
        .unwrap();
    assert_eq!((f.base, f.not_shown), (30, 10));
    assert_eq!(
        f.rows.iter().map(|r| r.count).collect::<Vec<_>>(),
        [20, 15, 10, 5]
    );
}

#[test]
fn infeasible_targets_name_the_target() {
    let idx = fixture();
    let cases: Vec<(Targets, &str)> = vec![
        (
            t([30, 10], &[("a", 31)]),
            "option `a` needs 31 respondents, but only 30 answer without an exclusive option",
        ),
        (
            t([30, 10], &[("a", 30), ("b", 30), ("c", 30)]),
            "chosen 90 times in all, more than 30 respondents × at most 2 selections allow",
        ),
        (
            t([30, 10], &[("none", 25), ("a", 3)]),
            "chosen 3 times in all, too few for 5 respondents choosing at least 1 each",
        ),
        (
            t([30, 10], &[("none", 31)]),
            "exclusive option `none` needs 31 respondents, but only 30 of 30 are left",
        ),
        (t([30, 10], &[("zz", 1)]), "`zz` is not one of its options"),
    ];
    for (targets, expect) in cases {
        let e = generate(&idx, &targets, 1).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot meet the target for `which`"),
            "{e}"
        );
        assert!(e.to_string().contains(expect), "{e}\nexpected: {expect}");
    }
    let e = generate(&idx, &t([30, 11], &[]), 1).unwrap_err();
    // 41 respondents, but uses counts sum to 41 – fine; which has no targets for 30 answerers:
    assert!(e.to_string().contains("too few for 30 respondents"), "{e}");
    let mut bad = t([30, 10], &[("a", 30)]);
    bad.respondents = 45;
    let e = generate(&idx, &bad, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot meet the target for `uses`: single-choice counts sum to 40, but 45 respondents answer it (45 shown, 0 skipped)"
    );
}
