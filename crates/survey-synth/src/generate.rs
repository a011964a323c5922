//! Respondents that meet target counts exactly.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use survey_schema::{Index, OptionSet, Question, QuestionKind, Record, Value};

use crate::{QuestionTarget, SynthError, Targets, err};

/// Generate `targets.respondents` records meeting every target exactly. Records are numbered
/// `S000001`, `S000002`… in generation order.
pub fn generate(index: &Index, targets: &Targets, seed: u64) -> Result<Vec<Record>, SynthError> {
    for qid in targets.questions.keys() {
        if index.get(qid).is_none() {
            return Err(err(qid, format!("{} has no such question", index.id())));
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = targets.respondents as usize;
    let mut records: Vec<Record> = (0..n)
        .map(|i| Record::blank(format!("S{:06}", i + 1), index.len()))
        .collect();
    let empty = QuestionTarget::default();
    for (qi, q) in index.questions().iter().enumerate() {
        let t = targets.questions.get(&q.id).unwrap_or(&empty);
        let mut eligible: Vec<usize> = (0..n)
            .filter(|&r| index.display_condition_holds(&records[r], qi))
            .collect();
        if t.skipped > 0 && q.required {
            return Err(err(
                &q.id,
                format!(
                    "the question is required, so {} respondent(s) cannot skip it",
                    t.skipped
                ),
            ));
        }
        if t.skipped as usize > eligible.len() {
            return Err(err(
                &q.id,
                format!(
                    "{} skipped, but only {} respondents are shown the question",
                    t.skipped,
                    eligible.len()
                ),
            ));
        }
        eligible.shuffle(&mut rng);
        let (skippers, answerers) = eligible.split_at(t.skipped as usize);
        for &r in skippers {
            records[r].values[qi] = Value::Skipped;
        }
        let shown = eligible.len();
        let base = answerers.len();
        let values = answer_values(q, t, base, shown, &mut rng)?;
        for (&r, v) in answerers.iter().zip(values) {
            records[r].values[qi] = v;
        }
        if let Some(text) = &t.text {
            for &r in answerers {
                let value = text.replace("{n}", &format!("{:04}", r + 1));
                if let QuestionKind::Text {
                    max_length: Some(m),
                } = q.kind
                    && value.chars().count() > m as usize
                {
                    return Err(err(
                        &q.id,
                        format!(
                            "pattern `{text}` gives `{value}`, longer than the {m} characters allowed"
                        ),
                    ));
                }
                records[r].values[qi] = Value::Text(value);
            }
        }
        if let Some(o) = q.other_option()
            && !t.other_texts.is_empty()
        {
            for &r in answerers {
                if records[r].values[qi].includes(o) {
                    let text = t.other_texts[rng.random_range(0..t.other_texts.len())].clone();
                    records[r].other_text.push((qi as u16, text));
                }
            }
        }
    }
    Ok(records)
}

/// The answers of `base` respondents to one question, in random order.
fn answer_values(
    q: &Question,
    t: &QuestionTarget,
    base: usize,
    shown: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<Value>, SynthError> {
    let opts = q.kind.options();
    let counts = || -> Result<Vec<u64>, SynthError> {
        let mut c = vec![0u64; opts.len()];
        for (code, n) in &t.counts {
            let o = q
                .option_index(code)
                .ok_or_else(|| err(&q.id, format!("`{code}` is not one of its options")))?;
            c[o] = *n;
        }
        Ok(c)
    };
    let base_note = || {
        format!(
            "{base} respondents answer it ({shown} shown, {} skipped)",
            t.skipped
        )
    };
    match &q.kind {
        QuestionKind::SingleChoice { .. } | QuestionKind::Ordinal { .. } => {
            let c = counts()?;
            let sum: u64 = c.iter().sum();
            if sum != base as u64 {
                return Err(err(
                    &q.id,
                    format!("single-choice counts sum to {sum}, but {}", base_note()),
                ));
            }
            let mut v: Vec<Value> = c
                .iter()
                .enumerate()
                .flat_map(|(o, &k)| std::iter::repeat_n(Value::Choice(o as u16), k as usize))
                .collect();
            v.shuffle(rng);
            Ok(v)
        }
        QuestionKind::MultipleChoice { .. } => {
            let c = counts()?;
            let (min, max) = q.kind.selection_bounds();
            let sets = multi(q, &c, base, min as usize, max as usize, rng)?;
            Ok(sets.into_iter().map(Value::Choices).collect())
        }
        QuestionKind::Integer { .. } | QuestionKind::Number { .. } => {
            let (lo, hi) = match &q.kind {
                QuestionKind::Integer { min, max } => {
                    (min.map(|x| x as f64), max.map(|x| x as f64))
                }
                QuestionKind::Number { min, max } => (*min, *max),
                _ => unreachable!(),
            };
            let mut v = Vec::new();
            for (value, k) in &t.values {
                let x: f64 = value
                    .parse()
                    .map_err(|_| err(&q.id, format!("`{value}` is not a number")))?;
                if lo.is_some_and(|l| x < l)
                    || hi.is_some_and(|h| x > h)
                    || (matches!(q.kind, QuestionKind::Integer { .. }) && x.fract() != 0.0)
                {
                    return Err(err(
                        &q.id,
                        format!("value {value} is outside what the question allows"),
                    ));
                }
                v.extend(std::iter::repeat_n(Value::Number(x), *k as usize));
            }
            if v.len() != base {
                return Err(err(
                    &q.id,
                    format!("value counts sum to {}, but {}", v.len(), base_note()),
                ));
            }
            v.shuffle(rng);
            Ok(v)
        }
        QuestionKind::Text { .. } => {
            if t.text.is_none() && base > 0 {
                return Err(err(&q.id, "a text question needs a `text` pattern"));
            }
            Ok(vec![Value::Skipped; base])
        }
    }
}

/// Option sets for `base` respondents meeting the option counts exactly, exclusive options
/// alone, every other respondent within [min, max] selections.
fn multi(
    q: &Question,
    counts: &[u64],
    base: usize,
    min: usize,
    max: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<OptionSet>, SynthError> {
    let opts = q.kind.options();
    let mut sets = vec![OptionSet::default(); base];
    let mut order: Vec<usize> = (0..base).collect();
    order.shuffle(rng);
    // Exclusive options first: disjoint groups of respondents choosing only that option.
    let mut next = 0;
    for (o, opt) in opts.iter().enumerate().filter(|(_, o)| o.exclusive) {
        let k = counts[o] as usize;
        if next + k > base {
            return Err(err(
                &q.id,
                format!(
                    "exclusive option `{}` needs {k} respondents, but only {} of {base} are left after the other exclusive options",
                    opt.code,
                    base - next
                ),
            ));
        }
        for &r in &order[next..next + k] {
            sets[r].insert(o);
        }
        next += k;
    }
    let pool: Vec<usize> = order[next..].to_vec();
    let plain: Vec<usize> = (0..opts.len()).filter(|&o| !opts[o].exclusive).collect();
    let p = pool.len();
    let max = max.min(plain.len());
    let total: u64 = plain.iter().map(|&o| counts[o]).sum();
    for &o in &plain {
        if counts[o] as usize > p {
            return Err(err(
                &q.id,
                format!(
                    "option `{}` needs {} respondents, but only {p} answer without an exclusive option",
                    opts[o].code, counts[o]
                ),
            ));
        }
    }
    if p > 0 && (total as usize) < min * p {
        return Err(err(
            &q.id,
            format!(
                "the non-exclusive options are chosen {total} times in all, too few for {p} respondents choosing at least {min} each"
            ),
        ));
    }
    if total as usize > max * p {
        return Err(err(
            &q.id,
            format!(
                "the non-exclusive options are chosen {total} times in all, more than {p} respondents × at most {max} selections allow"
            ),
        ));
    }
    // Random assignment, then repair: moving one option from a respondent with more than
    // enough to one with too few keeps every option count.
    let mut deg = vec![0usize; p];
    for &o in &plain {
        let mut idx: Vec<usize> = (0..p).collect();
        let (chosen, _) = idx.partial_shuffle(rng, counts[o] as usize);
        for &i in chosen.iter() {
            sets[pool[i]].insert(o);
            deg[i] += 1;
        }
    }
    repair(&mut sets, &pool, &mut deg, min, max, rng);
    Ok(sets)
}

fn repair(
    sets: &mut [OptionSet],
    pool: &[usize],
    deg: &mut [usize],
    min: usize,
    max: usize,
    rng: &mut ChaCha8Rng,
) {
    // Too few: take from donors above the minimum.
    let mut donors: Vec<usize> = (0..pool.len()).filter(|&i| deg[i] > min).collect();
    for i in 0..pool.len() {
        while deg[i] < min {
            let d = rng.random_range(0..donors.len());
            let k = donors[d];
            let movable = sets[pool[k]].0 & !sets[pool[i]].0;
            let o = pick_bit(movable, rng);
            sets[pool[k]].0 &= !(1 << o);
            sets[pool[i]].0 |= 1 << o;
            deg[k] -= 1;
            deg[i] += 1;
            if deg[k] <= min {
                donors.swap_remove(d);
            }
        }
    }
    // Too many: give to takers below the maximum.
    let mut takers: Vec<usize> = (0..pool.len()).filter(|&i| deg[i] < max).collect();
    for i in 0..pool.len() {
        while deg[i] > max {
            let t = rng.random_range(0..takers.len());
            let k = takers[t];
            let movable = sets[pool[i]].0 & !sets[pool[k]].0;
            let o = pick_bit(movable, rng);
            sets[pool[i]].0 &= !(1 << o);
            sets[pool[k]].0 |= 1 << o;
            deg[i] -= 1;
            deg[k] += 1;
            if deg[k] >= max {
                takers.swap_remove(t);
            }
        }
    }
}

/// A random set bit of a non-empty mask.
fn pick_bit(mask: u64, rng: &mut ChaCha8Rng) -> usize {
    debug_assert!(
        mask != 0,
        "a donor with more options always has one the taker lacks"
    );
    let k = rng.random_range(0..mask.count_ones());
    let mut m = mask;
    for _ in 0..k {
        m &= m - 1;
    }
    m.trailing_zeros() as usize
}

/// A random record that satisfies the questionnaire (used for submissions cleaning rejects).
/// `text` gives the answer to each text question that is shown and answered.
pub fn random_valid(
    index: &Index,
    id: &str,
    rng: &mut ChaCha8Rng,
    text: &mut dyn FnMut(&Question) -> String,
) -> Record {
    let mut r = Record::blank(id, index.len());
    for (i, q) in index.questions().iter().enumerate() {
        if !index.display_condition_holds(&r, i) {
            continue;
        }
        let opts = q.kind.options();
        r.values[i] = match &q.kind {
            QuestionKind::SingleChoice { .. } | QuestionKind::Ordinal { .. } => {
                Value::Choice(rng.random_range(0..opts.len()) as u16)
            }
            QuestionKind::MultipleChoice { .. } => {
                let (min, max) = q.kind.selection_bounds();
                let plain: Vec<usize> = (0..opts.len()).filter(|&o| !opts[o].exclusive).collect();
                let excl: Vec<usize> = (0..opts.len()).filter(|&o| opts[o].exclusive).collect();
                if !excl.is_empty() && (plain.len() < min as usize || rng.random_range(0..8) == 0) {
                    Value::Choices(
                        [excl[rng.random_range(0..excl.len())]]
                            .into_iter()
                            .collect(),
                    )
                } else {
                    let hi = (max as usize).min(plain.len());
                    let k = rng.random_range(min as usize..=hi);
                    let mut pick = plain.clone();
                    let (chosen, _) = pick.partial_shuffle(rng, k);
                    Value::Choices(chosen.iter().copied().collect())
                }
            }
            QuestionKind::Integer { min, max } => {
                Value::Number(rng.random_range(min.unwrap_or(0)..=max.unwrap_or(100)) as f64)
            }
            QuestionKind::Number { min, max } => {
                Value::Number(rng.random_range(min.unwrap_or(0.0)..=max.unwrap_or(100.0)))
            }
            QuestionKind::Text { .. } => Value::Text(text(q)),
        };
    }
    r
}
