//! The streaming accumulator: one pass, bounded memory, exact merge.

use std::collections::{BTreeMap, HashMap};

use survey_schema::{Index, QuestionKind, Record, Value};

use crate::AggregateError;

/// Multiple-choice answers are kept as counts per answer pattern (the set of options chosen).
/// Option counts, "at least one of" shares and selection counts all follow from them exactly.
/// Memory is bounded by the number of distinct patterns (at most 2^options), not by respondents.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Patterns {
    /// Indexed by the pattern's bits; used for up to [`DENSE_MAX_OPTIONS`] options.
    Dense(Vec<u64>),
    Sparse(HashMap<u64, u64>),
}

/// Questions with at most this many options keep a dense pattern table (2^12 counters).
pub(crate) const DENSE_MAX_OPTIONS: usize = 12;

impl Patterns {
    fn new(options: usize) -> Patterns {
        if options <= DENSE_MAX_OPTIONS {
            Patterns::Dense(vec![0; 1 << options])
        } else {
            Patterns::Sparse(HashMap::new())
        }
    }

    fn merge(&mut self, other: &Patterns) {
        match (self, other) {
            (Patterns::Dense(a), Patterns::Dense(b)) => {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y)
            }
            (Patterns::Sparse(a), Patterns::Sparse(b)) => {
                for (k, v) in b {
                    *a.entry(*k).or_insert(0) += v;
                }
            }
            _ => unreachable!("both sides were built from the same questionnaire"),
        }
    }

    /// Every (pattern, count) with a non-zero count.
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = (u64, u64)> + '_> {
        match self {
            Patterns::Dense(v) => Box::new(
                v.iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(k, c)| (k as u64, *c)),
            ),
            Patterns::Sparse(m) => Box::new(m.iter().map(|(k, c)| (*k, *c))),
        }
    }
}

/// A number with a total order, as a map key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Num(pub f64);
impl Eq for Num {}
impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Num {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Data {
    Single(Vec<u64>),
    Multi(Patterns),
    /// Distinct value → count: exact quantiles with memory bounded by distinct values.
    Numeric(BTreeMap<Num, u64>),
    Text(u64),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QAcc {
    pub not_shown: u64,
    pub skipped: u64,
    pub data: Data,
}

impl QAcc {
    /// Count (or, with `add` false, uncount) one answer. False, and nothing changed, when the
    /// answer does not fit the question.
    #[inline]
    fn apply(&mut self, v: &Value, add: bool) -> bool {
        let step = |n: &mut u64| if add { *n += 1 } else { *n -= 1 };
        match (v, &mut self.data) {
            (Value::NotShown, _) => step(&mut self.not_shown),
            (Value::Skipped, _) => step(&mut self.skipped),
            (Value::Choice(c), Data::Single(counts)) => match counts.get_mut(*c as usize) {
                Some(n) => step(n),
                None => return false,
            },
            (Value::Choices(s), Data::Multi(Patterns::Dense(p))) => match p.get_mut(s.0 as usize) {
                Some(n) => step(n),
                None => return false,
            },
            (Value::Choices(s), Data::Multi(Patterns::Sparse(m))) => {
                let n = m.entry(s.0).or_insert(0);
                step(n);
                if *n == 0 {
                    m.remove(&s.0);
                }
            }
            (Value::Number(x), Data::Numeric(m)) if x.is_finite() => {
                let n = m.entry(Num(*x)).or_insert(0);
                step(n);
                if *n == 0 {
                    m.remove(&Num(*x));
                }
            }
            (Value::Text(_), Data::Text(n)) => step(n),
            _ => return false,
        }
        true
    }
}

/// Which cross-tabulations to accumulate (they need the joint answers, so they are declared
/// before the pass).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct CrossTabSpec {
    /// Question whose options form the rows.
    pub row: String,
    /// Categorical question whose options form the columns (e.g. hospital level).
    pub col: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CrossAcc {
    pub spec: CrossTabSpec,
    pub row: usize,
    pub col: usize,
    pub cols: usize,
    /// rows × cols respondents choosing both.
    pub cells: Vec<u64>,
    /// Per row option: respondents choosing it who answered the column question.
    pub row_base: Vec<u64>,
    /// Per column option: respondents choosing it who answered the row question.
    pub col_base: Vec<u64>,
    /// Respondents who answered both.
    pub both: u64,
}

/// Running totals of one or more record streams over one questionnaire.
///
/// `add` one record at a time (memory does not grow with the number of records); `merge`
/// partial aggregates of disjoint parts, in any order, to get exactly the aggregate of the whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub(crate) questionnaire: String,
    pub(crate) records: u64,
    pub(crate) questions: Vec<QAcc>,
    pub(crate) crosstabs: Vec<CrossAcc>,
}

fn selection(v: &Value) -> u64 {
    match v {
        Value::Choice(c) => 1u64 << *c,
        Value::Choices(s) => s.0,
        _ => 0,
    }
}

impl Aggregate {
    /// An empty aggregate for `index`, accumulating the declared cross-tabs too.
    pub fn new(index: &Index, crosstabs: &[CrossTabSpec]) -> Result<Aggregate, AggregateError> {
        let questions = index
            .questions()
            .iter()
            .map(|q| QAcc {
                not_shown: 0,
                skipped: 0,
                data: match &q.kind {
                    QuestionKind::SingleChoice { options } | QuestionKind::Ordinal { options } => {
                        Data::Single(vec![0; options.len()])
                    }
                    QuestionKind::MultipleChoice { options, .. } => {
                        Data::Multi(Patterns::new(options.len()))
                    }
                    QuestionKind::Integer { .. } | QuestionKind::Number { .. } => {
                        Data::Numeric(BTreeMap::new())
                    }
                    QuestionKind::Text { .. } => Data::Text(0),
                },
            })
            .collect();
        let mut cts = Vec::new();
        for spec in crosstabs {
            let find = |qid: &str| {
                let p = index
                    .position(qid)
                    .ok_or_else(|| AggregateError::UnknownQuestion {
                        questionnaire: index.id().to_owned(),
                        question: qid.to_owned(),
                    })?;
                if !index.question(p).kind.is_choice() {
                    return Err(AggregateError::NotCategorical {
                        question: qid.to_owned(),
                    });
                }
                Ok(p)
            };
            let (row, col) = (find(&spec.row)?, find(&spec.col)?);
            let rows = index.question(row).kind.options().len();
            let cols = index.question(col).kind.options().len();
            cts.push(CrossAcc {
                spec: spec.clone(),
                row,
                col,
                cols,
                cells: vec![0; rows * cols],
                row_base: vec![0; rows],
                col_base: vec![0; cols],
                both: 0,
            });
        }
        Ok(Aggregate {
            questionnaire: index.id().to_owned(),
            records: 0,
            questions,
            crosstabs: cts,
        })
    }

    /// Number of records added.
    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn questionnaire(&self) -> &str {
        &self.questionnaire
    }

    /// Add one record. A record that does not fit the questionnaire (wrong length, a value of
    /// the wrong kind, an option out of range) is an error naming respondent and question, and
    /// leaves the aggregate unchanged.
    pub fn add(&mut self, record: &Record) -> Result<(), AggregateError> {
        if record.values.len() != self.questions.len() {
            return Err(AggregateError::RecordShape {
                respondent: record.id.clone(),
                expected: self.questions.len(),
                found: record.values.len(),
            });
        }
        // One pass that checks and counts each answer; a bad answer undoes the ones before it,
        // so that a bad record changes nothing.
        for (i, v) in record.values.iter().enumerate() {
            if !self.questions[i].apply(v, true) {
                for (j, w) in record.values[..i].iter().enumerate() {
                    self.questions[j].apply(w, false);
                }
                return Err(AggregateError::ValueKind {
                    respondent: record.id.clone(),
                    position: i,
                    value: format!("{v:?}"),
                });
            }
        }
        self.records += 1;
        self.add_crosstabs(record);
        Ok(())
    }

    /// Count a record's answers in the declared cross-tabs.
    fn add_crosstabs(&mut self, record: &Record) {
        for ct in &mut self.crosstabs {
            let (r, c) = (&record.values[ct.row], &record.values[ct.col]);
            if !(r.is_answered() && c.is_answered()) {
                continue;
            }
            ct.both += 1;
            let (rs, cs) = (selection(r), selection(c));
            let mut rb = rs;
            while rb != 0 {
                let ri = rb.trailing_zeros() as usize;
                rb &= rb - 1;
                ct.row_base[ri] += 1;
                let mut cb = cs;
                while cb != 0 {
                    let ci = cb.trailing_zeros() as usize;
                    cb &= cb - 1;
                    ct.cells[ri * ct.cols + ci] += 1;
                }
            }
            let mut cb = cs;
            while cb != 0 {
                let ci = cb.trailing_zeros() as usize;
                cb &= cb - 1;
                ct.col_base[ci] += 1;
            }
        }
    }

    /// Fold another partial aggregate of the same questionnaire and cross-tabs into this one.
    pub fn merge(&mut self, other: &Aggregate) -> Result<(), AggregateError> {
        self.compatible(other)?;
        self.records += other.records;
        for (a, b) in self.questions.iter_mut().zip(&other.questions) {
            a.not_shown += b.not_shown;
            a.skipped += b.skipped;
            match (&mut a.data, &b.data) {
                (Data::Single(x), Data::Single(y)) => {
                    x.iter_mut().zip(y).for_each(|(p, q)| *p += q)
                }
                (Data::Multi(x), Data::Multi(y)) => x.merge(y),
                (Data::Numeric(x), Data::Numeric(y)) => {
                    for (k, v) in y {
                        *x.entry(*k).or_insert(0) += v;
                    }
                }
                (Data::Text(x), Data::Text(y)) => *x += y,
                _ => unreachable!("same questionnaire"),
            }
        }
        for (a, b) in self.crosstabs.iter_mut().zip(&other.crosstabs) {
            a.both += b.both;
            a.cells.iter_mut().zip(&b.cells).for_each(|(p, q)| *p += q);
            a.row_base
                .iter_mut()
                .zip(&b.row_base)
                .for_each(|(p, q)| *p += q);
            a.col_base
                .iter_mut()
                .zip(&b.col_base)
                .for_each(|(p, q)| *p += q);
        }
        Ok(())
    }

    /// Take back a part counted before: `other` aggregates some of the records this one
    /// aggregates, and afterwards this one is exactly the aggregate of the others, as if they
    /// alone had been added. Counts are all an aggregate keeps (a number's distinct values
    /// with theirs), so nothing is approximate: a minimum, maximum or quantile the part set
    /// goes with it. A part that cannot have been counted here (a count larger than this one's)
    /// is an error and changes nothing.
    pub fn subtract(&mut self, other: &Aggregate) -> Result<(), AggregateError> {
        // Lower each count of map `x` by map `y`'s (which `x` holds); what reaches zero goes,
        // so the map is what adding only the rest builds (a hash map or a B-tree map alike).
        macro_rules! take_back {
            ($x:expr, $y:expr) => {
                for (k, q) in $y {
                    let left = $x.get(k).map_or(0, |p| p - q);
                    if left == 0 {
                        $x.remove(k);
                    } else {
                        $x.insert(*k, left);
                    }
                }
            };
        }
        self.compatible(other)?;
        if !self.holds(other) {
            return Err(AggregateError::NotAPart {
                questionnaire: self.questionnaire.clone(),
            });
        }
        self.records -= other.records;
        for (a, b) in self.questions.iter_mut().zip(&other.questions) {
            a.not_shown -= b.not_shown;
            a.skipped -= b.skipped;
            match (&mut a.data, &b.data) {
                (Data::Single(x), Data::Single(y))
                | (Data::Multi(Patterns::Dense(x)), Data::Multi(Patterns::Dense(y))) => {
                    x.iter_mut().zip(y).for_each(|(p, q)| *p -= q)
                }
                (Data::Multi(Patterns::Sparse(x)), Data::Multi(Patterns::Sparse(y))) => {
                    take_back!(x, y)
                }
                (Data::Numeric(x), Data::Numeric(y)) => take_back!(x, y),
                (Data::Text(x), Data::Text(y)) => *x -= y,
                _ => unreachable!("same questionnaire"),
            }
        }
        for (a, b) in self.crosstabs.iter_mut().zip(&other.crosstabs) {
            a.both -= b.both;
            for (x, y) in [
                (&mut a.cells, &b.cells),
                (&mut a.row_base, &b.row_base),
                (&mut a.col_base, &b.col_base),
            ] {
                x.iter_mut().zip(y).for_each(|(p, q)| *p -= q);
            }
        }
        Ok(())
    }

    /// Whether every count of `other` is at most this one's (what a part of it must meet).
    fn holds(&self, other: &Aggregate) -> bool {
        let le = |x: &[u64], y: &[u64]| x.iter().zip(y).all(|(p, q)| q <= p);
        self.records >= other.records
            && self.questions.iter().zip(&other.questions).all(|(a, b)| {
                b.not_shown <= a.not_shown
                    && b.skipped <= a.skipped
                    && match (&a.data, &b.data) {
                        (Data::Single(x), Data::Single(y))
                        | (Data::Multi(Patterns::Dense(x)), Data::Multi(Patterns::Dense(y))) => {
                            le(x, y)
                        }
                        (Data::Multi(Patterns::Sparse(x)), Data::Multi(Patterns::Sparse(y))) => {
                            y.iter().all(|(k, q)| x.get(k).is_some_and(|p| q <= p))
                        }
                        (Data::Numeric(x), Data::Numeric(y)) => {
                            y.iter().all(|(k, q)| x.get(k).is_some_and(|p| q <= p))
                        }
                        (Data::Text(x), Data::Text(y)) => y <= x,
                        _ => false,
                    }
            })
            && self.crosstabs.iter().zip(&other.crosstabs).all(|(a, b)| {
                b.both <= a.both
                    && le(&a.cells, &b.cells)
                    && le(&a.row_base, &b.row_base)
                    && le(&a.col_base, &b.col_base)
            })
    }

    /// Both sides count the same questionnaire into the same cross-tabs.
    fn compatible(&self, other: &Aggregate) -> Result<(), AggregateError> {
        let same_tabs = self.crosstabs.len() == other.crosstabs.len()
            && self
                .crosstabs
                .iter()
                .zip(&other.crosstabs)
                .all(|(a, b)| a.spec == b.spec);
        if self.questionnaire != other.questionnaire
            || self.questions.len() != other.questions.len()
            || !same_tabs
        {
            return Err(AggregateError::Incompatible {
                left: self.questionnaire.clone(),
                right: other.questionnaire.clone(),
            });
        }
        Ok(())
    }

    pub(crate) fn q(&self, i: usize) -> &QAcc {
        &self.questions[i]
    }
}
