//! `cargo xtask audit` on CHIMA 2025 lists every internal inconsistency of the publication.

use survey_audit::{Area, Cause};
use workspace_tests::{chima, root};

#[test]
fn chima_2025_audit_finds_the_publications_inconsistencies() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("audit");
    let (audit, path) = xtask::report::audit(&chima(), &out).unwrap();
    assert!(path.ends_with("chima-2025-data-security/audit.json") && path.is_file());
    assert_eq!((audit.checked.tables, audit.checked.rows), (38, 214));
    assert_eq!(audit.checked.external_claims, 2);
    let find = |area: Area, loc: &str| {
        audit
            .findings
            .iter()
            .find(|f| f.area == area && f.location.contains(loc))
            .unwrap_or_else(|| panic!("{loc}: {:#?}", audit.findings))
    };
    let f = find(Area::Publication, "表2.3_3 «其他»");
    assert_eq!(
        (f.published.as_str(), f.recomputed.as_str(), f.cause),
        ("6.38%", "6.39%", Cause::RoundingForcedToTotal)
    );
    let f = find(Area::Publication, "表3.5.3 «其他»");
    assert_eq!(
        (f.published.as_str(), f.recomputed.as_str(), f.cause),
        ("1.75%", "1.70%", Cause::OtherBase)
    );
    let f = find(Area::Publication, "比例为18.74%");
    assert_eq!(
        (f.recomputed.as_str(), f.cause),
        ("18.47%", Cause::TransposedDigits)
    );
    let f = find(Area::Publication, "二级医疗机构22家，占比12.49%");
    assert_eq!(
        (f.recomputed.as_str(), f.cause),
        ("12.50%", Cause::SumOfRoundedParts)
    );
    let f = find(Area::Publication, "39.21%");
    assert_eq!(
        (f.recomputed.as_str(), f.cause),
        ("39.20%", Cause::SumOfRoundedParts)
    );
    assert_eq!(find(Area::Presentation, "表2.3_5").cause, Cause::Order);
    assert_eq!(
        find(Area::Presentation, "表3.5.7，表3.5.7").cause,
        Cause::DuplicateReference
    );
    assert_eq!(
        find(Area::Presentation, "表表3.5.2_3").cause,
        Cause::DoubledWord
    );
    // Table 3.5.7 prints six percentages that fit a count one higher than printed.
    let off: Vec<_> = audit
        .findings
        .iter()
        .filter(|f| {
            f.area == Area::Publication
                && f.location.starts_with("表3.5.7")
                && f.cause == Cause::OffByOne
        })
        .collect();
    assert_eq!(off.len(), 6);
    let by = audit.by_cause();
    assert_eq!(
        audit
            .findings
            .iter()
            .filter(|f| f.area == Area::Publication)
            .count(),
        13
    );
    assert_eq!(by[&Cause::RepeatsTableError], 2);
    // Claims only the data can check (31 provinces, 4 with 50 or more, …) hold for the shipped data.
    assert!(
        !audit
            .findings
            .iter()
            .any(|f| f.area == Area::Data && f.cause == Cause::DataDiffer),
        "{:#?}",
        audit.findings
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/audit.schema.json")).unwrap(),
    )
    .unwrap();
    assert!(jsonschema::validator_for(&schema).unwrap().is_valid(&json));
    std::fs::remove_dir_all(&out).unwrap();
}
