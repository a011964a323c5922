//! A raw export: valid respondents plus submissions built to be caught by cleaning rules.

use chrono::{Duration, NaiveDateTime};
use indexmap::IndexMap;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_clean::{Keep, RuleSpec, Rules};
use survey_import::Meta;
use survey_schema::{Index, QuestionKind, Record, Value};

use crate::{SynthError, err, random_valid};

/// How to dress valid records as a platform export and which rejects to add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionPlan {
    /// Cleaning rule name → submissions that rule should exclude (each caught by that rule and
    /// by no earlier one).
    #[serde(default)]
    pub rejects: IndexMap<String, u64>,
    /// Identifying text question → pattern; `{n}` is a running number (zero-padded to 4).
    #[serde(default)]
    pub identifiers: IndexMap<String, String>,
    /// First submission time, `YYYY-MM-DD HH:MM:SS`.
    pub start: String,
    /// Length of the collection window in days.
    pub days: u32,
    /// Completion time of genuine submissions, in seconds: [min, max].
    pub duration_secs: [u32; 2],
}

/// One submission of the raw export.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub record: Record,
    pub meta: Meta,
    /// `valid`, or the cleaning rule built to catch it.
    pub kind: String,
}

struct Dress {
    time: NaiveDateTime,
    duration: f64,
    kind: String,
}

/// Dress `valid` records as submissions, add the planned rejects, order everything by
/// submission time and number it 1, 2, … as 问卷星 does.
pub fn submissions(
    index: &Index,
    rules: &Rules,
    valid: Vec<Record>,
    plan: &SubmissionPlan,
    seed: u64,
) -> Result<Vec<Submission>, SynthError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_CAFE);
    let start = NaiveDateTime::parse_from_str(&plan.start, "%Y-%m-%d %H:%M:%S")
        .map_err(|e| err("(plan)", format!("start `{}`: {e}", plan.start)))?;
    let window = i64::from(plan.days.max(1)) * 86_400;
    let [dmin, dmax] = plan.duration_secs;
    if dmin > dmax {
        return Err(err("(plan)", "duration_secs: min exceeds max"));
    }
    let identifying: Vec<usize> = (0..index.len())
        .filter(|&i| index.question(i).identifying)
        .collect();
    for &i in &identifying {
        let q = index.question(i);
        if !plan.identifiers.contains_key(&q.id) {
            return Err(err(
                &q.id,
                "identifying question has no pattern under `identifiers`",
            ));
        }
        if !matches!(q.kind, QuestionKind::Text { .. }) {
            return Err(err(&q.id, "identifying questions must be text questions"));
        }
    }
    // A duplicate-answers rule must catch only the planted duplicates: make genuine answer
    // vectors distinct by swapping answers between respondents, which keeps every count.
    let mut valid = valid;
    if rules
        .rules
        .iter()
        .any(|r| matches!(r, RuleSpec::DuplicateAnswers { .. }))
    {
        make_distinct(index, &mut valid, &mut rng)?;
    }
    // Every submission gets its own number n; all its identifying answers share it.
    let mut counter = 0u64;
    let identify = |r: &mut Record, counter: &mut u64| {
        *counter += 1;
        for &i in &identifying {
            let q = index.question(i);
            r.values[i] =
                Value::Text(plan.identifiers[&q.id].replace("{n}", &format!("{:04}", *counter)));
        }
    };
    let mut out: Vec<(Record, Dress)> = Vec::new();
    for mut r in valid {
        identify(&mut r, &mut counter);
        let time = start + Duration::seconds(rng.random_range(0..window));
        let duration = f64::from(rng.random_range(dmin..=dmax));
        out.push((
            r,
            Dress {
                time,
                duration,
                kind: "valid".into(),
            },
        ));
    }
    let n_valid = out.len();
    let mut twins: Vec<usize> = (0..n_valid).collect();
    twins.shuffle(&mut rng);
    let mut twins = twins.into_iter();
    for (rule_name, &k) in &plan.rejects {
        let rule = rules
            .rules
            .iter()
            .find(|r| r.name() == rule_name)
            .ok_or_else(|| {
                err(
                    "(plan)",
                    format!("no cleaning rule named `{rule_name}` to build rejects for"),
                )
            })?;
        for _ in 0..k {
            let id = format!("X{:06}", out.len() + 1);
            let fresh = |rng: &mut ChaCha8Rng, counter: &mut u64| {
                let mut r = random_valid(index, &id, rng, &mut |_| "无".into());
                identify(&mut r, counter);
                r
            };
            let time = start + Duration::seconds(rng.random_range(0..window));
            let duration = f64::from(rng.random_range(dmin..=dmax));
            let (record, time, duration) = match rule {
                RuleSpec::DuplicateIdentifier { question, keep } => {
                    let t = twins.next().ok_or_else(|| {
                        err(
                            question,
                            "more duplicates planned than valid records to duplicate",
                        )
                    })?;
                    let mut r = fresh(&mut rng, &mut counter);
                    for &i in &identifying {
                        r.values[i] = out[t].0.values[i].clone();
                    }
                    let twin_time = out[t].1.time;
                    let time = match keep {
                        Keep::Last => {
                            twin_time - Duration::seconds(rng.random_range(600..86_400 * 3))
                        }
                        Keep::First => {
                            twin_time + Duration::seconds(rng.random_range(600..86_400 * 3))
                        }
                        Keep::MostComplete => {
                            return Err(err(
                                question,
                                "cannot build duplicates for keep = most_complete",
                            ));
                        }
                    };
                    (r, time, duration)
                }
                RuleSpec::DuplicateAnswers { keep } => {
                    let t = twins.next().ok_or_else(|| {
                        err(
                            "(plan)",
                            "more duplicates planned than valid records to duplicate",
                        )
                    })?;
                    let mut r = out[t].0.clone();
                    r.id = id.clone();
                    identify(&mut r, &mut counter);
                    let twin_time = out[t].1.time;
                    let time = match keep {
                        Keep::First => twin_time + Duration::seconds(rng.random_range(60..86_400)),
                        Keep::Last => twin_time - Duration::seconds(rng.random_range(60..86_400)),
                        Keep::MostComplete => {
                            return Err(err(
                                "(plan)",
                                "cannot build duplicates for keep = most_complete",
                            ));
                        }
                    };
                    (r, time, duration)
                }
                RuleSpec::Incomplete { .. } => {
                    let mut r = fresh(&mut rng, &mut counter);
                    let candidates: Vec<usize> = (0..index.len())
                        .filter(|&i| {
                            let q = index.question(i);
                            q.required
                                && q.show_if.is_none()
                                && !q.identifying
                                && !is_referenced(index, &q.id)
                        })
                        .collect();
                    if candidates.is_empty() {
                        return Err(err(
                            "(plan)",
                            "no required, unconditional question to leave unanswered",
                        ));
                    }
                    let gaps = rng.random_range(1..=3.min(candidates.len()));
                    let mut c = candidates.clone();
                    let (chosen, _) = c.partial_shuffle(&mut rng, gaps);
                    for &i in chosen.iter() {
                        r.values[i] = Value::Skipped;
                        r.other_text.retain(|(q, _)| *q as usize != i);
                    }
                    (r, time, duration)
                }
                RuleSpec::MinDuration { seconds, .. } => {
                    let r = fresh(&mut rng, &mut counter);
                    let hi = (*seconds as u32).max(2) - 1;
                    let d = f64::from(rng.random_range((hi / 4).max(1)..=hi));
                    (r, time, d)
                }
                RuleSpec::ExclusiveViolation { .. } => {
                    let mut r = fresh(&mut rng, &mut counter);
                    let candidates: Vec<usize> = (0..index.len())
                        .filter(|&i| {
                            let q = index.question(i);
                            q.kind.is_multiple()
                                && q.show_if.is_none()
                                && !is_referenced(index, &q.id)
                                && q.kind.options().iter().any(|o| o.exclusive)
                                && q.kind.selection_bounds().1 >= 2
                        })
                        .collect();
                    let &i = candidates.choose(&mut rng).ok_or_else(|| {
                        err(
                            "(plan)",
                            "no multiple-choice question with an exclusive option",
                        )
                    })?;
                    let opts = index.question(i).kind.options();
                    let ex = opts.iter().position(|o| o.exclusive).expect("has one");
                    let plain = opts
                        .iter()
                        .position(|o| !o.exclusive && !o.other)
                        .expect("has a plain option");
                    r.values[i] = Value::Choices([ex, plain].into_iter().collect());
                    r.other_text.retain(|(q, _)| *q as usize != i);
                    (r, time, duration)
                }
                RuleSpec::Invalid { .. } => {
                    return Err(err(
                        "(plan)",
                        "rejects for the `invalid` rule are not synthesised; plan specific faults instead",
                    ));
                }
                RuleSpec::Listed { .. } => {
                    return Err(err(
                        "(plan)",
                        "rejects for the `listed` rule are not synthesised: it names submissions of a real download by their 序号",
                    ));
                }
            };
            out.push((
                record,
                Dress {
                    time,
                    duration,
                    kind: rule_name.clone(),
                },
            ));
        }
    }
    out.sort_by(|a, b| a.1.time.cmp(&b.1.time).then_with(|| a.0.id.cmp(&b.0.id)));
    let octets = ["192.0.2", "198.51.100", "203.0.113"];
    let sources = ["手机提交", "链接", "微信"];
    Ok(out
        .into_iter()
        .enumerate()
        .map(|(k, (mut record, dress))| {
            record.id = (k + 1).to_string();
            let ip = format!(
                "{}.{}",
                octets[rng.random_range(0..octets.len())],
                rng.random_range(1..255)
            );
            Submission {
                meta: Meta {
                    row: k + 2,
                    submitted_at: Some(dress.time.format("%Y/%-m/%-d %H:%M:%S").to_string()),
                    submitted_key: None,
                    duration_secs: Some(dress.duration),
                    source: Some(sources[rng.random_range(0..sources.len())].into()),
                    ip: Some(ip),
                },
                record,
                kind: dress.kind,
            }
        })
        .collect())
}

/// Whether a display condition mentions the question (changing it would change others).
fn is_referenced(index: &Index, qid: &str) -> bool {
    index
        .questions()
        .iter()
        .filter_map(|q| q.show_if.as_ref())
        .any(|c| c.references().iter().any(|(q, _)| *q == qid))
}

/// The non-identifying answers of a record, as a comparable key.
fn answer_key(index: &Index, r: &Record) -> String {
    let mut key = String::new();
    for (i, v) in r.values.iter().enumerate() {
        if !index.question(i).identifying {
            key.push_str(&format!("{v:?}|"));
        }
    }
    let mut others: Vec<&(u16, String)> = r
        .other_text
        .iter()
        .filter(|(q, _)| !index.question(*q as usize).identifying)
        .collect();
    others.sort();
    key.push_str(&format!("{others:?}"));
    key
}

/// Swap answers between respondents until no two share every non-identifying answer. Only
/// questions shown to everyone that no display condition mentions are swapped, so every
/// count and every display state stays as it was.
fn make_distinct(
    index: &Index,
    recs: &mut [Record],
    rng: &mut ChaCha8Rng,
) -> Result<(), SynthError> {
    let swappable: Vec<usize> = (0..index.len())
        .filter(|&i| {
            let q = index.question(i);
            !q.identifying && q.show_if.is_none() && !is_referenced(index, &q.id)
        })
        .collect();
    for _round in 0..1000 {
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut clash = None;
        for (k, r) in recs.iter().enumerate() {
            if let Some(&first) = seen.get(&answer_key(index, r)) {
                clash = Some((first, k));
                break;
            }
            seen.insert(answer_key(index, r), k);
        }
        let Some((_, k)) = clash else { return Ok(()) };
        if swappable.is_empty() || recs.len() < 2 {
            break;
        }
        let q = swappable[rng.random_range(0..swappable.len())];
        let j = rng.random_range(0..recs.len());
        if j == k || recs[j].values[q] == recs[k].values[q] {
            continue;
        }
        let vk = recs[k].values[q].clone();
        recs[k].values[q] = std::mem::replace(&mut recs[j].values[q], vk);
        let take = |r: &mut Record| {
            let t: Vec<(u16, String)> = r
                .other_text
                .iter()
                .filter(|(x, _)| *x as usize == q)
                .cloned()
                .collect();
            r.other_text.retain(|(x, _)| *x as usize != q);
            t
        };
        let (tk, tj) = (take(&mut recs[k]), take(&mut recs[j]));
        recs[k].other_text.extend(tj);
        recs[j].other_text.extend(tk);
    }
    Err(err(
        "(plan)",
        "cannot make the genuine respondents' answers distinct, so a duplicate-answers rule would exclude some of them; add questions or respondents' variety",
    ))
}
