//! The committed schemas are what the code generates now, and the CHIMA 2025 questionnaires
//! hold what the published report asks.

use survey_schema::{QuestionKind, load_questionnaire};
use workspace_tests::{chima, root};

#[test]
fn committed_schemas_are_current() {
    let generated = xtask::schemas::generate_all(&root()).unwrap();
    assert!(
        generated.len() >= 3,
        "expected the questionnaire schema and two response schemas"
    );
    for (path, text) in generated {
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask schemas`", path.display()));
        assert!(
            committed == text,
            "{} is stale: run `cargo xtask schemas`",
            path.display()
        );
    }
}

#[test]
fn chima_questionnaires_load_and_match_the_publication_shape() {
    let main = load_questionnaire(&chima().join("questionnaires/main.questionnaire.json")).unwrap();
    let ai = load_questionnaire(&chima().join("questionnaires/ai.questionnaire.json")).unwrap();
    // 28 published tables of the main survey + the province question + 2 identifiers.
    assert_eq!(main.len(), 31);
    // 10 published tables of the AI survey + the hospital name.
    assert_eq!(ai.len(), 11);
    let beds = main.get("beds").unwrap();
    assert!(
        matches!(beds.kind, QuestionKind::Ordinal { .. }),
        "beds is an ordered scale"
    );
    let labels: Vec<&str> = beds
        .kind
        .options()
        .iter()
        .map(|o| o.label.zh.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "≤250",
            "251-500",
            "501-1000",
            "1001-2000",
            "2001-3000",
            "3001-5000",
            "大于5000"
        ]
    );
    assert_eq!(main.get("province").unwrap().kind.options().len(), 31);
    let excl = |idx: &survey_schema::Index, q: &str| -> Vec<String> {
        idx.get(q)
            .unwrap()
            .kind
            .options()
            .iter()
            .filter(|o| o.exclusive)
            .map(|o| o.label.zh.clone())
            .collect()
    };
    assert_eq!(excl(&main, "plans_next_year"), ["暂无计划"]);
    assert_eq!(excl(&main, "protection_measures"), ["暂未使用"]);
    assert_eq!(excl(&main, "research_privacy"), ["无"]);
    assert_eq!(excl(&ai, "ai_scenarios"), ["尚未考虑应用AI技术"]);
    assert!(main.questions().iter().filter(|q| q.identifying).count() == 2);
}

#[test]
fn validate_command_reports_and_fails_on_errors() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("workspace-tests-validate");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.jsonl");
    std::fs::write(
        &file,
        "{\"id\": \"A1\", \"answers\": {\"ai_scenarios\": [\"not_considered\", \"dlp\"]}}\n",
    )
    .unwrap();
    let index = load_questionnaire(&chima().join("questionnaires/ai.questionnaire.json")).unwrap();
    let v = survey_validate::Validator::new(&index);
    let report = survey_validate::validate_file(&v, &file).unwrap();
    let rules: Vec<_> = report.findings.iter().map(|f| f.rule).collect();
    assert!(
        rules.contains(&survey_validate::Rule::ExclusiveCombined),
        "{rules:?}"
    );
    assert!(
        rules.contains(&survey_validate::Rule::MissingAnswer),
        "{rules:?}"
    );
    assert!(report.errors() > 0);
}

/// The example file the README points newcomers to: A001 and A002 are clean, A003 and A004
/// carry the mistakes the README describes, and each is reported where it is.
#[test]
fn shipped_example_responses_show_each_kind_of_mistake() {
    use survey_validate::Rule;
    let index = load_questionnaire(&chima().join("questionnaires/ai.questionnaire.json")).unwrap();
    let v = survey_validate::Validator::new(&index);
    let report =
        survey_validate::validate_file(&v, &chima().join("examples/ai-responses.example.jsonl"))
            .unwrap();
    let got: Vec<(String, Rule, Option<String>)> = report
        .findings
        .iter()
        .map(|f| (f.respondent.clone(), f.rule, f.question.clone()))
        .collect();
    let want = |id: &str, rule: Rule, q: &str| {
        assert!(
            got.contains(&(id.into(), rule, Some(q.into()))),
            "{id} {rule:?} {q} not in {got:?}"
        )
    };
    want("A003", Rule::UnknownOption, "hospital_level");
    want("A003", Rule::RequiredMissing, "ai_investment");
    want("A003", Rule::ExclusiveCombined, "ai_scenarios");
    want("A004", Rule::MissingAnswer, "ai_investment");
    want("A004", Rule::OtherTextWithoutOther, "ai_challenges");
    assert!(
        got.iter().all(|(id, _, _)| id != "A001" && id != "A002"),
        "clean examples flagged: {got:?}"
    );
    assert_eq!((report.errors(), report.findings.len()), (4, 5));
}
