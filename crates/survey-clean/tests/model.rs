//! The cleaner against a plain model of the rules: on random exports full of duplicate
//! identifiers, duplicate answers, tied submission times, fast submissions and repeated
//! respondent ids, it keeps, excludes and flags exactly the rows the model does, for every order
//! of rules and every keep policy.

use proptest::prelude::*;
use survey_clean::{Action, CleanError, Cleaner, Cleaning, Keep, RuleSpec, Rules, SCRATCH_MEMORY};
use survey_import::{Imported, Meta};
use survey_schema::{Index, OptionSet, Record, Value, parse_questionnaire};

fn index() -> Index {
    let q = serde_json::json!({
        "id": "clean-model", "title": "清洗", "organisation": "CHIMA", "year": 2025, "language": "zh-CN",
        "sections": [{"id": "s", "title": "S", "questions": [
            {"id": "org_code", "text": "统一社会信用代码", "kind": "text", "identifying": true, "required": false},
            {"id": "level", "text": "级别", "kind": "single_choice", "options": [{"code": "a", "label": "三级"}, {"code": "b", "label": "其他"}]},
            {"id": "measures", "text": "措施", "kind": "multiple_choice", "options": [
                {"code": "x", "label": "数据备份"}, {"code": "y", "label": "数据加密"}, {"code": "none", "label": "暂未使用", "exclusive": true}]},
            {"id": "note", "text": "备注", "kind": "text", "required": false}
        ]}]
    });
    parse_questionnaire(&q.to_string(), std::path::Path::new("q.json")).unwrap()
}

/// One generated submission, with what the model needs in plain form.
#[derive(Debug, Clone)]
struct Sub {
    id: String,
    org: &'static str,
    level: u16,
    measures: Vec<usize>,
    /// Answered or left blank (a text question may be).
    note: Option<&'static str>,
    /// (day, hour, minute): compared as a tuple.
    time: (u32, u32, u32),
    secs: f64,
}

const ORGS: [&str; 5] = ["", "A1", "a 1", "B2", "b2 "];
const NOTES: [&str; 2] = ["无", "有计划"];

fn sub() -> impl Strategy<Value = (u8, u8, Sub)> {
    (
        0u8..10,
        0u8..6,
        0usize..ORGS.len(),
        0u16..2,
        prop_oneof![
            Just(vec![0]),
            Just(vec![1]),
            Just(vec![0, 1]),
            Just(vec![2])
        ],
        prop::option::of(0usize..NOTES.len()),
        (1u32..3, 0u32..2, 0u32..2),
        prop_oneof![Just(20.0), Just(45.5), Just(300.0)],
    )
        .prop_map(|(kind, pick, org, level, measures, note, time, secs)| {
            let s = Sub {
                id: String::new(),
                org: ORGS[org],
                level,
                measures,
                note: note.map(|n| NOTES[n]),
                time,
                secs,
            };
            (kind, pick, s)
        })
}

/// Respondent ids: mostly 问卷星's 1, 2, 3…; now and then a text id, a zero-led number, a
/// number out of turn, or (when `repeats`) an id already used.
fn ids(kinds: &[(u8, u8)], repeats: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, &(kind, pick)) in kinds.iter().enumerate() {
        let id = match kind {
            0 => format!("R-{i}"),
            1 => format!("0{i}"),
            2 => format!("{}", 1000 + i * 7 % 13),
            3 if repeats && !out.is_empty() => out[pick as usize % out.len()].clone(),
            _ => (i + 1).to_string(),
        };
        out.push(id);
    }
    if !repeats {
        // Make every id unique, keeping its form.
        let mut seen = std::collections::HashSet::new();
        for (i, id) in out.iter_mut().enumerate() {
            if !seen.insert(id.clone()) {
                *id = format!("U-{i}");
                seen.insert(id.clone());
            }
        }
    }
    out
}

fn imported(subs: &[Sub]) -> Vec<Imported> {
    subs.iter()
        .enumerate()
        .map(|(i, s)| Imported {
            record: Record {
                id: s.id.clone(),
                values: vec![
                    if s.org.is_empty() {
                        Value::Skipped
                    } else {
                        Value::Text(s.org.into())
                    },
                    Value::Choice(s.level),
                    Value::Choices(s.measures.iter().copied().collect::<OptionSet>()),
                    s.note.map_or(Value::Skipped, |n| Value::Text(n.into())),
                ],
                other_text: vec![],
            },
            meta: Meta {
                row: i + 2,
                submitted_at: Some(format!(
                    "2025/3/{} {:02}:{:02}:00",
                    s.time.0, s.time.1, s.time.2
                )),
                submitted_key: None,
                duration_secs: Some(s.secs),
                source: None,
                ip: None,
            },
        })
        .collect()
}

/// The model's outcome: per row, the rule that excluded it and the respondent kept in its
/// place (for duplicates); and the flags, as (row, rule).
struct Outcome {
    excluded: Vec<Option<(usize, Option<String>)>>,
    flags: Vec<(usize, usize)>,
}

fn model(subs: &[Sub], rules: &[RuleSpec]) -> Outcome {
    let n = subs.len();
    let mut excluded: Vec<Option<(usize, Option<String>)>> = vec![None; n];
    let mut flags = Vec::new();
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect()
    };
    let answered = |s: &Sub| 3 + usize::from(s.note.is_some()) + usize::from(!s.org.is_empty());
    let pick = |members: &[usize], keep: Keep| -> usize {
        let key = |&i: &usize| (subs[i].time, i);
        match keep {
            Keep::First => *members.iter().min_by_key(|i| key(i)).unwrap(),
            Keep::Last => *members.iter().max_by_key(|i| key(i)).unwrap(),
            Keep::MostComplete => *members
                .iter()
                .max_by_key(|i| (answered(&subs[**i]), key(i)))
                .unwrap(),
        }
    };
    for (ri, rule) in rules.iter().enumerate() {
        let alive: Vec<usize> = (0..n).filter(|&i| excluded[i].is_none()).collect();
        let groups = |key: &dyn Fn(usize) -> Option<String>| -> Vec<Vec<usize>> {
            let mut g: Vec<(String, Vec<usize>)> = Vec::new();
            for &i in &alive {
                let Some(k) = key(i) else { continue };
                match g.iter_mut().find(|(gk, _)| *gk == k) {
                    Some((_, v)) => v.push(i),
                    None => g.push((k, vec![i])),
                }
            }
            g.into_iter()
                .map(|(_, v)| v)
                .filter(|v| v.len() > 1)
                .collect()
        };
        let mut dedupe = |members: Vec<Vec<usize>>, keep: Keep| {
            for m in members {
                let kept = pick(&m, keep);
                for i in m.into_iter().filter(|&i| i != kept) {
                    excluded[i] = Some((ri, Some(subs[kept].id.clone())));
                }
            }
        };
        match rule {
            RuleSpec::DuplicateIdentifier { keep, .. } => {
                let g = groups(&|i| Some(norm(subs[i].org)).filter(|s| !s.is_empty()));
                dedupe(g, *keep);
            }
            RuleSpec::DuplicateAnswers { keep } => {
                let g = groups(&|i| {
                    let s = &subs[i];
                    Some(format!("{}|{:?}|{:?}", s.level, s.measures, s.note))
                });
                dedupe(g, *keep);
            }
            RuleSpec::MinDuration { seconds, action } => {
                for &i in &alive {
                    if subs[i].secs < *seconds {
                        match action {
                            Action::Exclude => excluded[i] = Some((ri, None)),
                            Action::Flag => flags.push((i, ri)),
                        }
                    }
                }
            }
            RuleSpec::Listed { respondents, .. } => {
                for &i in &alive {
                    if respondents.contains(&subs[i].id) {
                        excluded[i] = Some((ri, None));
                    }
                }
            }
            _ => unreachable!("the generator makes no other rules"),
        }
    }
    let flags = flags
        .into_iter()
        .filter(|&(i, _)| excluded[i].is_none())
        .map(|(i, r)| (i + 2, r))
        .collect();
    Outcome { excluded, flags }
}

fn rule() -> impl Strategy<Value = RuleSpec> {
    let keep = prop_oneof![
        Just(Keep::First),
        Just(Keep::Last),
        Just(Keep::MostComplete)
    ];
    let action = prop_oneof![Just(Action::Exclude), Just(Action::Flag)];
    prop_oneof![
        keep.clone().prop_map(|keep| RuleSpec::DuplicateIdentifier {
            question: "org_code".into(),
            keep
        }),
        keep.prop_map(|keep| RuleSpec::DuplicateAnswers { keep }),
        action.prop_map(|action| RuleSpec::MinDuration {
            seconds: 45.5,
            action
        }),
        // Ids the generated exports often hold, and often do not (an error then).
        prop_oneof![
            Just(vec!["1".to_owned()]),
            Just(vec!["2".to_owned(), "R-0".to_owned()])
        ]
        .prop_map(|respondents| RuleSpec::Listed {
            respondents,
            reason: "测试答卷".into()
        }),
    ]
}

/// Clean with a scratch budget, the footprints handed over as a parallel read does: in blocks
/// of `block` rows, the blocks in reverse order and spread over two sinks.
fn clean_in_blocks(
    idx: &Index,
    rules: &Rules,
    items: &[Imported],
    memory: usize,
    block: usize,
) -> Result<Cleaning, CleanError> {
    let cleaner = Cleaner::with_memory(idx, rules, memory);
    {
        let mut sinks = [cleaner.sink(), cleaner.sink()];
        let blocks: Vec<&[Imported]> = items.chunks(block).collect();
        for (k, b) in blocks.iter().enumerate().rev() {
            for it in *b {
                sinks[k % 2].push(&cleaner.footprint(&it.record, &it.meta));
            }
        }
    }
    cleaner.finish()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_c1ea),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_cleaner_decides_as_the_model_does(
        generated in prop::collection::vec(sub(), 1..60),
        rules in prop::collection::vec(rule(), 1..5),
        repeats in prop::bool::weighted(0.2),
        memory in prop_oneof![Just(SCRATCH_MEMORY), 0usize..2048],
        block in 1usize..8,
        in_blocks in prop::bool::ANY,
    ) {
        let kinds: Vec<(u8, u8)> = generated.iter().map(|(k, p, _)| (*k, *p)).collect();
        let mut subs: Vec<Sub> = generated.into_iter().map(|(_, _, s)| s).collect();
        for (s, id) in subs.iter_mut().zip(ids(&kinds, repeats)) {
            s.id = id;
        }
        let idx = index();
        let set = Rules { schema: None, rules: rules.clone() };
        let items = imported(&subs);
        // Whatever the budget (0: every footprint, sort run and log line goes to scratch files)
        // and however the footprints are handed over, the outcome is the model's.
        let got = if in_blocks {
            clean_in_blocks(&idx, &set, &items, memory, block)
        } else {
            let mut c = Cleaner::with_memory(&idx, &set, memory);
            for it in &items {
                c.add(it);
            }
            c.finish()
        };

        // A respondent id used twice stops cleaning, naming the earliest pair to show it.
        let mut dup: Option<(usize, usize)> = None;
        for b in 0..subs.len() {
            if let Some(a) = (0..b).find(|&a| subs[a].id == subs[b].id) {
                dup = Some((a, b));
                break;
            }
        }
        if let Some((a, b)) = dup {
            match got {
                Err(CleanError::DuplicateRespondent { id, first_row, row }) => {
                    prop_assert_eq!(id, subs[a].id.clone());
                    prop_assert_eq!((first_row, row), (a + 2, b + 2));
                }
                other => prop_assert!(false, "expected a duplicate id error, got {other:?}"),
            }
            return Ok(());
        }
        // A listed id the export does not hold stops cleaning, naming the first such.
        let missing = rules.iter().enumerate().find_map(|(ri, r)| match r {
            RuleSpec::Listed { respondents, .. } => respondents
                .iter()
                .find(|id| !subs.iter().any(|s| &s.id == *id))
                .map(|id| (ri + 1, id.clone())),
            _ => None,
        });
        if let Some((rule, id)) = missing {
            match got {
                Err(CleanError::ListedMissing { rule: r, id: i }) => {
                    prop_assert_eq!((r, i), (rule, id));
                }
                other => prop_assert!(false, "expected a missing listed id, got {other:?}"),
            }
            return Ok(());
        }
        let got = got.unwrap();
        let want = model(&subs, &rules);

        let kept: Vec<usize> = (0..subs.len())
            .filter(|&i| want.excluded[i].is_none())
            .map(|i| i + 2)
            .collect();
        prop_assert_eq!(&got.kept_rows().collect::<Vec<_>>(), &kept);
        let log = got.log().unwrap();
        prop_assert_eq!(log.len(), got.log_len());
        prop_assert_eq!(got.funnel.collected, subs.len() as u64);
        prop_assert_eq!(got.funnel.valid, kept.len() as u64);
        for (ri, step) in got.funnel.steps.iter().enumerate() {
            let excluded = want.excluded.iter().flatten().filter(|(r, _)| *r == ri).count();
            let flagged = want.flags.iter().filter(|(_, r)| *r == ri).count();
            prop_assert_eq!((step.excluded, step.flagged), (excluded as u64, flagged as u64));
        }
        // The log: each exclusion with its rule and, for duplicates, the respondent kept.
        let exclusions: Vec<_> = log.iter().filter(|e| e.action == Action::Exclude).collect();
        prop_assert_eq!(exclusions.len(), want.excluded.iter().flatten().count());
        for e in exclusions {
            let (ri, kept_id) = want.excluded[e.row - 2].clone().expect("the model excluded it too");
            prop_assert_eq!(e.rule, rules[ri].kind());
            prop_assert_eq!(&e.respondent, &subs[e.row - 2].id);
            if let Some(k) = kept_id {
                prop_assert!(e.evidence.contains(&format!("答卷 {k} ")) || e.evidence.contains(&format!("答卷 {k}）")),
                    "{} should name {k}", e.evidence);
            }
        }
        // Flags: one entry per row and flagging rule, for rows that stay.
        let mut flagged: Vec<(usize, &str)> = log
            .iter()
            .filter(|e| e.action == Action::Flag)
            .map(|e| (e.row, e.rule.name()))
            .collect();
        flagged.sort();
        let mut want_flags: Vec<(usize, &str)> =
            want.flags.iter().map(|&(row, r)| (row, rules[r].kind().name())).collect();
        want_flags.sort();
        prop_assert_eq!(flagged, want_flags);
        prop_assert!(log.windows(2).all(|w| w[0].row <= w[1].row), "the log is in row order");
    }
}
