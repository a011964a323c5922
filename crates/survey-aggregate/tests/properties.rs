//! Property tests: the accumulator against a deliberately naive reference, the merge law,
//! order independence, and the arithmetic of bases and percentages.

use proptest::prelude::*;
use survey_aggregate::{Aggregate, CrossTabSpec, RowOrder, aggregate};
use survey_schema::testing::{arb_index, valid_record};
use survey_schema::{Index, QuestionKind, Record, Value};

fn records(index: &Index, seeds: &[u64]) -> Vec<Record> {
    seeds
        .iter()
        .enumerate()
        .map(|(n, s)| valid_record(index, &format!("R{n}"), *s))
        .collect()
}

/// Every pair of choice questions, as cross-tab declarations.
fn all_crosstabs(index: &Index) -> Vec<CrossTabSpec> {
    let choice: Vec<&str> = index
        .questions()
        .iter()
        .filter(|q| q.kind.is_choice())
        .map(|q| q.id.as_str())
        .collect();
    let mut out = Vec::new();
    for r in &choice {
        for c in &choice {
            if r != c {
                out.push(CrossTabSpec {
                    row: r.to_string(),
                    col: c.to_string(),
                });
            }
        }
    }
    out.truncate(12);
    out
}

/// The naive reference: loop over records for every number asked.
mod naive {
    use super::*;

    pub fn chose(v: &Value, o: usize) -> bool {
        match v {
            Value::Choice(c) => *c as usize == o,
            Value::Choices(s) => s.iter().any(|x| x == o),
            _ => false,
        }
    }

    pub fn base(recs: &[Record], i: usize) -> u64 {
        recs.iter()
            .filter(|r| {
                matches!(
                    r.values[i],
                    Value::Choice(_) | Value::Choices(_) | Value::Number(_) | Value::Text(_)
                )
            })
            .count() as u64
    }

    pub fn count(recs: &[Record], i: usize, o: usize) -> u64 {
        recs.iter().filter(|r| chose(&r.values[i], o)).count() as u64
    }

    pub fn state(recs: &[Record], i: usize, not_shown: bool) -> u64 {
        recs.iter()
            .filter(|r| {
                if not_shown {
                    r.values[i] == Value::NotShown
                } else {
                    r.values[i] == Value::Skipped
                }
            })
            .count() as u64
    }

    pub fn quantile(sorted: &[f64], p: f64) -> f64 {
        let h = (sorted.len() - 1) as f64 * p;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(sorted.len() - 1);
        sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn agrees_with_the_naive_reference(index in arb_index(), seeds in prop::collection::vec(any::<u64>(), 0..60)) {
        let recs = records(&index, &seeds);
        let specs = all_crosstabs(&index);
        let agg = aggregate(&index, &specs, &recs).unwrap();
        prop_assert_eq!(agg.records(), recs.len() as u64);
        for (i, q) in index.questions().iter().enumerate() {
            if q.kind.is_choice() {
                let t = agg.frequency(&index, &q.id, RowOrder::Questionnaire).unwrap();
                prop_assert_eq!(t.base, naive::base(&recs, i));
                prop_assert_eq!(t.not_shown, naive::state(&recs, i, true));
                prop_assert_eq!(t.skipped, naive::state(&recs, i, false));
                prop_assert_eq!(t.base + t.not_shown + t.skipped, recs.len() as u64);
                for (o, row) in t.rows.iter().enumerate() {
                    prop_assert_eq!(row.count, naive::count(&recs, i, o));
                    // percent = count / base, unrounded
                    match row.percent {
                        Some(p) => prop_assert_eq!(p, row.count as f64 * 100.0 / t.base as f64),
                        None => prop_assert_eq!(t.base, 0),
                    }
                }
                if q.kind.is_single() {
                    prop_assert_eq!(t.rows.iter().map(|r| r.count).sum::<u64>(), t.base);
                }
                // "at least one of" the first two options
                let codes: Vec<&str> = q.kind.options().iter().take(2).map(|o| o.code.as_str()).collect();
                let f = agg.any_of(&index, &q.id, &codes).unwrap();
                let expect = recs.iter().filter(|r| (0..codes.len()).any(|o| naive::chose(&r.values[i], o))).count() as u64;
                prop_assert_eq!(f.count, expect);
                prop_assert_eq!(f.base, t.base);
            } else if matches!(q.kind, QuestionKind::Integer { .. } | QuestionKind::Number { .. }) {
                let s = agg.numeric(&index, &q.id).unwrap();
                let mut xs: Vec<f64> = recs.iter().filter_map(|r| match r.values[i] { Value::Number(x) => Some(x), _ => None }).collect();
                xs.sort_by(f64::total_cmp);
                prop_assert_eq!(s.n, xs.len() as u64);
                if xs.is_empty() {
                    prop_assert!(s.mean.is_none() && s.median.is_none());
                } else {
                    prop_assert!(close(s.mean.unwrap(), xs.iter().sum::<f64>() / xs.len() as f64));
                    prop_assert_eq!(s.min.unwrap(), xs[0]);
                    prop_assert_eq!(s.max.unwrap(), *xs.last().unwrap());
                    prop_assert!(close(s.q1.unwrap(), naive::quantile(&xs, 0.25)));
                    prop_assert!(close(s.median.unwrap(), naive::quantile(&xs, 0.5)));
                    prop_assert!(close(s.q3.unwrap(), naive::quantile(&xs, 0.75)));
                }
            }
        }
        for spec in &specs {
            let ct = agg.crosstab(&index, &spec.row, &spec.col).unwrap();
            let (ri, ci) = (index.position(&spec.row).unwrap(), index.position(&spec.col).unwrap());
            let both: Vec<&Record> = recs.iter().filter(|r| r.values[ri].is_answered() && r.values[ci].is_answered()).collect();
            prop_assert_eq!(ct.total, both.len() as u64);
            for (r, row) in ct.counts.iter().enumerate() {
                for (c, &n) in row.iter().enumerate() {
                    let expect = both.iter().filter(|x| naive::chose(&x.values[ri], r) && naive::chose(&x.values[ci], c)).count() as u64;
                    prop_assert_eq!(n, expect);
                }
            }
            for (c, &b) in ct.col_bases.iter().enumerate() {
                prop_assert_eq!(b, both.iter().filter(|x| naive::chose(&x.values[ci], c)).count() as u64);
            }
        }
    }

    #[test]
    fn merge_of_parts_equals_the_whole(index in arb_index(), seeds in prop::collection::vec(any::<u64>(), 0..60), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4)) {
        let recs = records(&index, &seeds);
        let specs = all_crosstabs(&index);
        let whole = aggregate(&index, &specs, &recs).unwrap();
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(recs.len() + 1)).collect();
        points.push(0);
        points.push(recs.len());
        points.sort();
        // Merge the parts in reverse order, to show the order does not matter either.
        let mut merged = Aggregate::new(&index, &specs).unwrap();
        for w in points.windows(2).rev() {
            let part = aggregate(&index, &specs, &recs[w[0]..w[1]]).unwrap();
            merged.merge(&part).unwrap();
        }
        prop_assert_eq!(merged, whole);
    }

    #[test]
    fn taking_a_part_back_equals_never_adding_it(index in arb_index(), seeds in prop::collection::vec(any::<u64>(), 0..60), out in prop::collection::vec(any::<bool>(), 60), stranger in any::<u64>()) {
        // Count everyone, then take back the aggregate of a subset: what is left is exactly
        // the aggregate of the others, minimum, maximum and quantiles included.
        let recs = records(&index, &seeds);
        let specs = all_crosstabs(&index);
        let mut agg = aggregate(&index, &specs, &recs).unwrap();
        let gone: Vec<&Record> = recs.iter().zip(&out).filter(|(_, o)| **o).map(|(r, _)| r).collect();
        let kept: Vec<&Record> = recs.iter().zip(&out).filter(|(_, o)| !**o).map(|(r, _)| r).collect();
        agg.subtract(&aggregate(&index, &specs, gone).unwrap()).unwrap();
        let expect = aggregate(&index, &specs, kept).unwrap();
        prop_assert_eq!(&agg, &expect);
        prop_assert_eq!(
            serde_json::to_string(&survey_aggregate::Results::of(&index, &agg).unwrap()).unwrap(),
            serde_json::to_string(&survey_aggregate::Results::of(&index, &expect).unwrap()).unwrap()
        );
        // A part that was never counted (one respondent more than is left) fails and changes
        // nothing.
        let before = agg.clone();
        let extra = aggregate(&index, &specs, [&valid_record(&index, "stranger", stranger)]).unwrap();
        let mut twice = agg.clone();
        twice.merge(&extra).unwrap();
        twice.subtract(&extra).unwrap();
        prop_assert_eq!(&twice, &agg);
        let mut after = agg.clone();
        match after.subtract(&extra) {
            Err(_) => prop_assert_eq!(&after, &before),
            Ok(()) => prop_assert_eq!(after.records() + 1, before.records()),
        }
        let empty = Aggregate::new(&index, &specs).unwrap();
        let mut e = empty.clone();
        prop_assert!(e.subtract(&extra).is_err());
        prop_assert_eq!(e, empty);
    }

    #[test]
    fn shuffling_respondents_changes_nothing(index in arb_index(), seeds in prop::collection::vec(any::<u64>(), 0..60), perm_seed in any::<u64>()) {
        let recs = records(&index, &seeds);
        let mut shuffled = recs.clone();
        let mut rng = survey_schema::testing::Rng(perm_seed);
        for i in (1..shuffled.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            shuffled.swap(i, j);
        }
        let specs = all_crosstabs(&index);
        let a = aggregate(&index, &specs, &recs).unwrap();
        let b = aggregate(&index, &specs, &shuffled).unwrap();
        prop_assert_eq!(&a, &b);
        let ra = survey_aggregate::Results::of(&index, &a).unwrap();
        let rb = survey_aggregate::Results::of(&index, &b).unwrap();
        prop_assert_eq!(serde_json::to_string(&ra).unwrap(), serde_json::to_string(&rb).unwrap());
    }

    #[test]
    fn count_descending_keeps_pinned_options_last(index in arb_index(), seeds in prop::collection::vec(any::<u64>(), 1..40)) {
        let recs = records(&index, &seeds);
        let agg = aggregate(&index, &[], &recs).unwrap();
        for q in index.questions().iter().filter(|q| q.kind.is_choice()) {
            let t = agg.frequency(&index, &q.id, RowOrder::CountDescending).unwrap();
            let first_pinned = t.rows.iter().position(|r| r.pinned_last).unwrap_or(t.rows.len());
            prop_assert!(t.rows[first_pinned..].iter().all(|r| r.pinned_last));
            prop_assert!(t.rows[..first_pinned].windows(2).all(|w| w[0].count >= w[1].count));
        }
    }
}
