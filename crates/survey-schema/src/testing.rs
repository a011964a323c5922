//! Random questionnaires and valid records for property tests (feature `testing`).
//!
//! Shared by the property tests of every crate in the flow, so that they all exercise the same
//! space of questionnaires: every question kind, exclusive and other options, selection bounds,
//! number bounds and display conditions on earlier answers.

use proptest::prelude::*;

use crate::{
    ChoiceOption, Condition, Index, Label, OptionSet, Question, QuestionKind, Questionnaire,
    Record, Section, Value,
};

/// A small deterministic generator (SplitMix64), so that a record is a pure function of a seed.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

fn arb_label() -> impl Strategy<Value = Label> {
    (
        prop::sample::select(vec![
            "是",
            "否",
            "非常了解",
            "其他",
            "数据备份",
            "零信任",
            "Label \"quoted\"",
            "#read(\"/etc/passwd\")",
        ]),
        0u8..50,
        prop::option::of(prop::sample::select(vec!["Yes", "No", "Other"])),
    )
        .prop_map(|(zh, n, en)| Label {
            zh: format!("{zh}{n}"),
            en: en.map(str::to_owned),
        })
}

/// Options with distinct codes; `multi` allows exclusive flags.
fn arb_options(multi: bool) -> impl Strategy<Value = Vec<ChoiceOption>> {
    let n = if multi { 2..10usize } else { 1..8usize };
    (
        prop::collection::vec((arb_label(), any::<bool>(), 0u8..6), n),
        any::<bool>(),
    )
        .prop_map(move |(raw, has_other)| {
            let len = raw.len();
            let mut exclusive_left = if multi { 2 } else { 0 };
            raw.into_iter()
                .enumerate()
                .map(|(i, (label, pin, roll))| {
                    let mut o = ChoiceOption {
                        code: format!("o{i}"),
                        label,
                        exclusive: false,
                        other: false,
                        pinned_last: if roll == 0 { Some(pin) } else { None },
                        note: None,
                        score: None,
                    };
                    if has_other && i + 1 == len {
                        o.other = true;
                    } else if exclusive_left > 0 && roll == 1 && i > 0 {
                        o.exclusive = true;
                        exclusive_left -= 1;
                    }
                    o
                })
                .collect()
        })
}

fn arb_kind() -> impl Strategy<Value = QuestionKind> {
    prop_oneof![
        3 => arb_options(false).prop_map(|options| QuestionKind::SingleChoice { options }),
        2 => arb_options(false).prop_map(|options| QuestionKind::Ordinal { options }),
        4 => (arb_options(true), 0u32..4, 0u32..4).prop_map(|(options, a, b)| {
            let plain = options.iter().filter(|o| !o.exclusive).count() as u32;
            let has_exclusive = options.iter().any(|o| o.exclusive);
            // An exclusive option is chosen alone, so with one the minimum must be 1.
            let min = if has_exclusive || a == 0 { None } else { Some(a.min(plain).max(1)) };
            let lo = min.unwrap_or(1);
            let max = if b == 0 { None } else { Some((lo + b).min(options.len() as u32)) };
            QuestionKind::MultipleChoice { options, min_selections: min, max_selections: max }
        }),
        1 => (prop::option::of(-5i64..5), prop::option::of(0i64..50)).prop_map(|(min, span)| {
            QuestionKind::Integer { min, max: span.map(|s| min.unwrap_or(0) + s) }
        }),
        1 => (prop::option::of(-5.0f64..5.0), prop::option::of(0.5f64..50.0)).prop_map(|(min, span)| {
            QuestionKind::Number { min, max: span.map(|s| min.unwrap_or(0.0) + s) }
        }),
        1 => prop::option::of(3u32..40).prop_map(|max_length| QuestionKind::Text { max_length }),
    ]
}

/// A random questionnaire that passes [`Index::new`].
pub fn arb_questionnaire() -> impl Strategy<Value = Questionnaire> {
    prop::collection::vec(
        prop::collection::vec(
            (arb_kind(), any::<bool>(), 0u8..4, any::<u64>(), arb_label()),
            1..7,
        ),
        1..4,
    )
    .prop_map(|sections| {
        let mut qn = Questionnaire {
            schema: None,
            id: "prop-survey".into(),
            title: Label::new("随机问卷"),
            organisation: "测试".into(),
            year: 2025,
            wave: None,
            language: "zh-CN".into(),
            note: None,
            sections: Vec::new(),
        };
        let mut earlier: Vec<Question> = Vec::new();
        for (si, qs) in sections.into_iter().enumerate() {
            let mut section = Section {
                id: format!("s{si}"),
                title: Label::new(format!("第{si}部分")),
                questions: Vec::new(),
            };
            for (kind, required, cond_roll, pick, text) in qs {
                let id = format!("q{}", earlier.len());
                let choice_earlier: Vec<&Question> =
                    earlier.iter().filter(|q| q.kind.is_choice()).collect();
                let show_if = if cond_roll == 0 && !choice_earlier.is_empty() {
                    let t = choice_earlier[(pick % choice_earlier.len() as u64) as usize];
                    let opts = t.kind.options();
                    let o = &opts[((pick >> 8) % opts.len() as u64) as usize];
                    Some(if pick & 1 == 0 {
                        Condition::Chosen {
                            question: t.id.clone(),
                            option: o.code.clone(),
                        }
                    } else {
                        Condition::Not(Box::new(Condition::Chosen {
                            question: t.id.clone(),
                            option: o.code.clone(),
                        }))
                    })
                } else if cond_roll == 1 && !earlier.is_empty() {
                    let t = &earlier[(pick % earlier.len() as u64) as usize];
                    Some(Condition::Answered {
                        question: t.id.clone(),
                    })
                } else {
                    None
                };
                let q = Question {
                    id,
                    text,
                    kind,
                    required,
                    show_if,
                    identifying: false,
                    note: None,
                };
                earlier.push(q.clone());
                section.questions.push(q);
            }
            qn.sections.push(section);
        }
        qn
    })
}

/// A random checked questionnaire.
pub fn arb_index() -> impl Strategy<Value = Index> {
    arb_questionnaire()
        .prop_map(|q| Index::new(q).expect("generated questionnaires are consistent"))
}

/// A valid answer to question `i` (ignoring its display condition).
pub fn valid_value(index: &Index, i: usize, rng: &mut Rng) -> Value {
    let q = index.question(i);
    match &q.kind {
        QuestionKind::SingleChoice { options } | QuestionKind::Ordinal { options } => {
            Value::Choice(rng.below(options.len() as u64) as u16)
        }
        QuestionKind::MultipleChoice { options, .. } => {
            let (min, max) = q.kind.selection_bounds();
            let exclusive: Vec<usize> = (0..options.len())
                .filter(|&o| options[o].exclusive)
                .collect();
            let plain: Vec<usize> = (0..options.len())
                .filter(|&o| !options[o].exclusive)
                .collect();
            if !exclusive.is_empty() && (plain.len() < min as usize || rng.chance(1, 4)) {
                return Value::Choices(
                    [exclusive[rng.below(exclusive.len() as u64) as usize]]
                        .into_iter()
                        .collect(),
                );
            }
            let hi = (max as usize).min(plain.len());
            let k = min as usize + rng.below((hi - min as usize + 1) as u64) as usize;
            let mut pool = plain.clone();
            let mut set = OptionSet::default();
            for _ in 0..k {
                let j = rng.below(pool.len() as u64) as usize;
                set.insert(pool.swap_remove(j));
            }
            Value::Choices(set)
        }
        QuestionKind::Integer { min, max } => {
            let lo = min.unwrap_or(-1000);
            let hi = max.unwrap_or(lo.max(0) + 1000);
            Value::Number((lo + rng.below((hi - lo + 1) as u64) as i64) as f64)
        }
        QuestionKind::Number { min, max } => {
            let lo = min.unwrap_or(-1000.0);
            let hi = max.unwrap_or(lo.max(0.0) + 1000.0);
            let t = rng.below(1_000_001) as f64 / 1_000_000.0;
            Value::Number((lo + (hi - lo) * t).clamp(lo, hi))
        }
        QuestionKind::Text { max_length } => {
            let words = ["三级医院", "abc", "\"#emph[x]\"", "无", "$x$", "医院"];
            let mut s = String::new();
            for _ in 0..1 + rng.below(3) {
                s.push_str(words[rng.below(words.len() as u64) as usize]);
            }
            if let Some(m) = max_length {
                s = s.chars().take(*m as usize).collect();
            }
            Value::Text(s)
        }
    }
}

/// A record that satisfies every rule of the questionnaire, built from a seed.
pub fn valid_record(index: &Index, id: &str, seed: u64) -> Record {
    let mut rng = Rng(seed);
    let mut r = Record::blank(id, index.len());
    for i in 0..index.len() {
        if !index.display_condition_holds(&r, i) {
            continue;
        }
        let q = index.question(i);
        r.values[i] = if !q.required && rng.chance(1, 5) {
            Value::Skipped
        } else {
            valid_value(index, i, &mut rng)
        };
        if let Some(o) = q.other_option()
            && r.values[i].includes(o)
            && rng.chance(1, 2)
        {
            r.other_text
                .push((i as u16, format!("其他说明{}", rng.below(100))));
        }
    }
    r
}
