//! Result values: frequency tables, numeric summaries, derived figures, cross-tabs.
//!
//! Percentages are carried unrounded (`count / base × 100`); only renderers round.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use survey_schema::{Index, Question, QuestionKind};

use crate::AggregateError;
use crate::acc::{Aggregate, Data, Num};
use std::collections::BTreeMap;

/// How the rows of a frequency table are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowOrder {
    /// As the options stand in the questionnaire.
    #[default]
    Questionnaire,
    /// Scale order for ordinal questions (the questionnaire lists scales in scale order).
    Natural,
    /// Most chosen first (ties keep questionnaire order); options marked pinned-last (其他,
    /// 无, 暂无计划…) follow in questionnaire order.
    CountDescending,
}

/// Percentage of `count` in `base`, unrounded; `None` when the base is zero.
pub fn percent(count: u64, base: u64) -> Option<f64> {
    (base > 0).then(|| count as f64 * 100.0 / base as f64)
}

/// How many respondents answered a question, were not shown it, or skipped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    pub base: u64,
    pub not_shown: u64,
    pub skipped: u64,
}

/// One option's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FrequencyRow {
    pub code: String,
    pub label: String,
    pub count: u64,
    /// Percent of the base (respondents), unrounded.
    pub percent: Option<f64>,
    /// Multiple choice only: percent of all selections made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_of_responses: Option<f64>,
    /// Listed after the ranked options in count-descending order.
    pub pinned_last: bool,
}

/// Counts of a choice question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FrequencyTable {
    pub questionnaire: String,
    pub question: String,
    /// The question as asked.
    pub text: String,
    /// `single_choice`, `ordinal` or `multiple_choice`.
    pub kind: String,
    /// Respondents shown the question who answered it: the denominator of `percent`.
    pub base: u64,
    /// Respondents the question was not shown to.
    pub not_shown: u64,
    /// Respondents shown the question who did not answer it.
    pub skipped: u64,
    /// Selections made in all (equals `base` for single choice).
    pub responses: u64,
    pub order: RowOrder,
    pub rows: Vec<FrequencyRow>,
}

impl FrequencyTable {
    pub fn row(&self, code: &str) -> Option<&FrequencyRow> {
        self.rows.iter().find(|r| r.code == code)
    }
}

/// Summary of a numeric question. Quartiles interpolate linearly between order statistics
/// (Hyndman & Fan type 7, as R's default and numpy's `linear`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NumericSummary {
    pub questionnaire: String,
    pub question: String,
    pub text: String,
    pub n: u64,
    pub not_shown: u64,
    pub skipped: u64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub q1: Option<f64>,
    pub median: Option<f64>,
    pub q3: Option<f64>,
    pub max: Option<f64>,
}

/// A ranking question (排序题), one row per option in the order asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RankingTable {
    pub questionnaire: String,
    /// Respondents who ranked at least one option.
    pub base: u64,
    /// Respondents the ranking was not shown to.
    pub not_shown: u64,
    /// Respondents shown the ranking who ranked nothing.
    pub skipped: u64,
    pub rows: Vec<RankingRow>,
}

/// One option of a ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RankingRow {
    /// The question holding the option's place.
    pub question: String,
    pub text: String,
    /// How many gave the option place 1, 2, … (index 0 is the first place).
    pub places: Vec<u64>,
    /// How many ranked the option at all.
    pub ranked: u64,
    /// The mean place among those who ranked it (1 is the top).
    pub mean_place: Option<f64>,
    /// 问卷星's 平均综合得分: each place weighted k for the first, k − 1 for the second … 1
    /// for the last (k options), summed over the base, so higher is ranked higher.
    pub score: Option<f64>,
}

/// A derived figure: a count over a base, with its unrounded percentage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Figure {
    pub count: u64,
    pub base: u64,
    pub percent: Option<f64>,
}

impl Figure {
    pub fn new(count: u64, base: u64) -> Figure {
        Figure {
            count,
            base,
            percent: percent(count, base),
        }
    }
}

/// A cross-tabulation of a row question by a categorical column question.
///
/// With multiple choice on either side a respondent counts in every cell of the options
/// chosen, so bases are kept per row and per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CrossTab {
    pub questionnaire: String,
    pub row_question: String,
    pub col_question: String,
    pub row_labels: Vec<String>,
    pub row_codes: Vec<String>,
    pub col_labels: Vec<String>,
    pub col_codes: Vec<String>,
    /// `counts[r][c]`: respondents choosing row option r and column option c.
    pub counts: Vec<Vec<u64>>,
    /// Per column: respondents in that column who answered the row question (column % base).
    pub col_bases: Vec<u64>,
    /// Per row: respondents choosing that row option who answered the column question.
    pub row_bases: Vec<u64>,
    /// Respondents who answered both questions.
    pub total: u64,
    /// `col_percent[r][c] = counts[r][c] / col_bases[c] × 100`.
    pub col_percent: Vec<Vec<Option<f64>>>,
    /// `row_percent[r][c] = counts[r][c] / row_bases[r] × 100`.
    pub row_percent: Vec<Vec<Option<f64>>>,
    /// Row totals over all columns as a percent of `total`.
    pub row_total_percent: Vec<Option<f64>>,
}

fn question<'a>(index: &'a Index, qid: &str) -> Result<(usize, &'a Question), AggregateError> {
    let p = index
        .position(qid)
        .ok_or_else(|| AggregateError::UnknownQuestion {
            questionnaire: index.id().to_owned(),
            question: qid.to_owned(),
        })?;
    Ok((p, index.question(p)))
}

impl Aggregate {
    fn check_index(&self, index: &Index) -> Result<(), AggregateError> {
        if index.id() != self.questionnaire || index.len() != self.questions.len() {
            return Err(AggregateError::Incompatible {
                left: self.questionnaire.clone(),
                right: index.id().to_owned(),
            });
        }
        Ok(())
    }

    /// Of any question: respondents who answered it (its base), were not shown it, and were
    /// shown it but skipped it.
    pub fn answered(&self, index: &Index, qid: &str) -> Result<Answered, AggregateError> {
        self.check_index(index)?;
        let (p, _) = question(index, qid)?;
        let acc = self.q(p);
        Ok(Answered {
            base: self.records() - acc.not_shown - acc.skipped,
            not_shown: acc.not_shown,
            skipped: acc.skipped,
        })
    }

    /// Option counts of a choice question, in questionnaire order, with its base.
    pub fn option_counts(
        &self,
        index: &Index,
        qid: &str,
    ) -> Result<(Vec<u64>, u64), AggregateError> {
        self.check_index(index)?;
        let (p, q) = question(index, qid)?;
        let acc = self.q(p);
        match &acc.data {
            Data::Single(c) => Ok((c.clone(), c.iter().sum())),
            Data::Multi(pat) => {
                let mut counts = vec![0u64; q.kind.options().len()];
                let mut base = 0;
                for (bits, n) in pat.iter() {
                    base += n;
                    let mut b = bits;
                    while b != 0 {
                        counts[b.trailing_zeros() as usize] += n;
                        b &= b - 1;
                    }
                }
                Ok((counts, base))
            }
            _ => Err(AggregateError::NotCategorical {
                question: qid.to_owned(),
            }),
        }
    }

    /// The frequency table of a choice question.
    pub fn frequency(
        &self,
        index: &Index,
        qid: &str,
        order: RowOrder,
    ) -> Result<FrequencyTable, AggregateError> {
        let (counts, base) = self.option_counts(index, qid)?;
        let (p, q) = question(index, qid)?;
        let acc = self.q(p);
        let multi = q.kind.is_multiple();
        let responses: u64 = counts.iter().sum();
        let opts = q.kind.options();
        let mut rows: Vec<FrequencyRow> = opts
            .iter()
            .zip(&counts)
            .map(|(o, &count)| FrequencyRow {
                code: o.code.clone(),
                label: o.label.zh.clone(),
                count,
                percent: percent(count, base),
                percent_of_responses: if multi {
                    percent(count, responses)
                } else {
                    None
                },
                pinned_last: o.is_pinned_last(),
            })
            .collect();
        if order == RowOrder::CountDescending {
            // Stable sort: ties keep questionnaire order; pinned rows keep theirs at the end.
            rows.sort_by_key(|r| {
                (
                    r.pinned_last,
                    if r.pinned_last { 0 } else { u64::MAX - r.count },
                )
            });
        }
        Ok(FrequencyTable {
            questionnaire: index.id().to_owned(),
            question: q.id.clone(),
            text: q.text.zh.clone(),
            kind: q.kind.name().to_owned(),
            base,
            not_shown: acc.not_shown,
            skipped: acc.skipped,
            responses,
            order,
            rows,
        })
    }

    /// Summary statistics of a numeric question, or of a scale scored by its option labels
    /// ([`QuestionKind::scores`]: `0`…`10`).
    pub fn numeric(&self, index: &Index, qid: &str) -> Result<NumericSummary, AggregateError> {
        self.check_index(index)?;
        let (p, q) = question(index, qid)?;
        let acc = self.q(p);
        let scored: BTreeMap<Num, u64>;
        let map = match (&acc.data, q.kind.scores()) {
            (Data::Numeric(map), _) => map,
            (Data::Single(counts), Some(scores)) => {
                scored = scores
                    .iter()
                    .zip(counts)
                    .filter(|(_, n)| **n > 0)
                    .map(|(s, n)| (Num(f64::from(*s)), *n))
                    .collect();
                &scored
            }
            _ => {
                return Err(AggregateError::NotNumeric {
                    question: qid.to_owned(),
                });
            }
        };
        let n: u64 = map.values().sum();
        // The k-th smallest value (0-based), walking the distinct values.
        let nth = |k: u64| {
            let mut seen = 0;
            for (v, c) in map {
                seen += c;
                if k < seen {
                    return v.0;
                }
            }
            unreachable!("k < n")
        };
        let quantile = |prob: f64| {
            (n > 0).then(|| {
                let h = (n - 1) as f64 * prob;
                let lo = h.floor() as u64;
                let (a, b) = (nth(lo), nth((lo + 1).min(n - 1)));
                a + (h - lo as f64) * (b - a)
            })
        };
        // Summing in value order makes the mean independent of record order.
        let mean =
            (n > 0).then(|| map.iter().map(|(v, c)| v.0 * *c as f64).sum::<f64>() / n as f64);
        Ok(NumericSummary {
            questionnaire: index.id().to_owned(),
            question: q.id.clone(),
            text: q.text.zh.clone(),
            n,
            not_shown: acc.not_shown,
            skipped: acc.skipped,
            mean,
            min: map.keys().next().map(|v| v.0),
            q1: quantile(0.25),
            median: quantile(0.5),
            q3: quantile(0.75),
            max: map.keys().next_back().map(|v| v.0),
        })
    }

    /// A ranking question (排序题) held as one whole-number question per option, each the
    /// place the respondent gave that option (1 for the first), unanswered when it was left
    /// out. Every respondent who ranked anything gave place 1 to exactly one option, so the
    /// base is the count of first places; the places given must thin out from the first on
    /// (no more second places than first), or the questions hold no ranking.
    pub fn ranking(&self, index: &Index, qids: &[&str]) -> Result<RankingTable, AggregateError> {
        self.check_index(index)?;
        let k = qids.len();
        let not_a_ranking = |reason: String| AggregateError::NotARanking {
            questions: qids.join("`, `"),
            reason,
        };
        if k < 2 {
            return Err(not_a_ranking("a ranking has at least two options".into()));
        }
        let mut rows = Vec::new();
        let mut not_shown = None;
        for qid in qids {
            let (p, q) = question(index, qid)?;
            let acc = self.q(p);
            let Data::Numeric(map) = &acc.data else {
                return Err(AggregateError::NotNumeric {
                    question: (*qid).to_owned(),
                });
            };
            if *not_shown.get_or_insert(acc.not_shown) != acc.not_shown {
                return Err(not_a_ranking(format!(
                    "`{qid}` was not shown to {} respondents, `{}` to {}: a ranking is shown as a whole",
                    acc.not_shown,
                    qids[0],
                    not_shown.unwrap_or_default()
                )));
            }
            let mut places = vec![0u64; k];
            for (v, &c) in map {
                let place = v.0;
                if place.fract() != 0.0 || place < 1.0 || place > k as f64 {
                    return Err(not_a_ranking(format!(
                        "`{qid}` holds {place}, which is no place from 1 to {k}"
                    )));
                }
                places[place as usize - 1] += c;
            }
            let ranked: u64 = places.iter().sum();
            let mean_place = (ranked > 0).then(|| {
                places
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| (i + 1) as f64 * c as f64)
                    .sum::<f64>()
                    / ranked as f64
            });
            rows.push(RankingRow {
                question: q.id.clone(),
                text: q.text.zh.clone(),
                places,
                ranked,
                mean_place,
                score: None,
            });
        }
        let given: Vec<u64> = (0..k)
            .map(|i| rows.iter().map(|r| r.places[i]).sum())
            .collect();
        if let Some(i) = (1..k).find(|&i| given[i] > given[i - 1]) {
            return Err(not_a_ranking(format!(
                "place {} is given {} times but place {} only {}: a respondent who ranks n options gives places 1 to n",
                i + 1,
                given[i],
                i,
                given[i - 1]
            )));
        }
        let base = given[0];
        for r in &mut rows {
            r.score = (base > 0).then(|| {
                r.places
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| (k - i) as f64 * c as f64)
                    .sum::<f64>()
                    / base as f64
            });
        }
        let not_shown = not_shown.unwrap_or_default();
        Ok(RankingTable {
            questionnaire: index.id().to_owned(),
            base,
            not_shown,
            skipped: self.records() - not_shown - base,
            rows,
        })
    }

    /// Answered respondents and how many chose at least one of `codes`.
    pub fn any_of(
        &self,
        index: &Index,
        qid: &str,
        codes: &[&str],
    ) -> Result<Figure, AggregateError> {
        self.check_index(index)?;
        let (p, q) = question(index, qid)?;
        let mut mask = 0u64;
        for c in codes {
            let o = q
                .option_index(c)
                .ok_or_else(|| AggregateError::UnknownOption {
                    question: qid.to_owned(),
                    option: (*c).to_owned(),
                })?;
            mask |= 1 << o;
        }
        match &self.q(p).data {
            Data::Single(counts) => {
                let hit = counts
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, c)| c)
                    .sum();
                Ok(Figure::new(hit, counts.iter().sum()))
            }
            Data::Multi(pat) => {
                let (mut hit, mut base) = (0, 0);
                for (bits, n) in pat.iter() {
                    base += n;
                    if bits & mask != 0 {
                        hit += n;
                    }
                }
                Ok(Figure::new(hit, base))
            }
            _ => Err(AggregateError::NotCategorical {
                question: qid.to_owned(),
            }),
        }
    }

    /// Sum of the counts of several options over the question's base. For single choice this
    /// equals [`Aggregate::any_of`]; for multiple choice it adds selections (and may pass 100%).
    pub fn sum_of(
        &self,
        index: &Index,
        qid: &str,
        codes: &[&str],
    ) -> Result<Figure, AggregateError> {
        let (counts, base) = self.option_counts(index, qid)?;
        let (_, q) = question(index, qid)?;
        let mut total = 0;
        for c in codes {
            let o = q
                .option_index(c)
                .ok_or_else(|| AggregateError::UnknownOption {
                    question: qid.to_owned(),
                    option: (*c).to_owned(),
                })?;
            total += counts[o];
        }
        Ok(Figure::new(total, base))
    }

    /// Distribution of the number of options chosen in a multiple-choice question:
    /// `result[k]` respondents chose exactly k options.
    pub fn selections_per_respondent(
        &self,
        index: &Index,
        qid: &str,
    ) -> Result<Vec<u64>, AggregateError> {
        self.check_index(index)?;
        let (p, q) = question(index, qid)?;
        let Data::Multi(pat) = &self.q(p).data else {
            return Err(AggregateError::NotCategorical {
                question: qid.to_owned(),
            });
        };
        let mut out = vec![0u64; q.kind.options().len() + 1];
        for (bits, n) in pat.iter() {
            out[bits.count_ones() as usize] += n;
        }
        Ok(out)
    }

    /// The declared cross-tab of `row` by `col`.
    pub fn crosstab(
        &self,
        index: &Index,
        row: &str,
        col: &str,
    ) -> Result<CrossTab, AggregateError> {
        self.check_index(index)?;
        let ct = self
            .crosstabs
            .iter()
            .find(|c| c.spec.row == row && c.spec.col == col)
            .ok_or_else(|| AggregateError::UndeclaredCrossTab {
                row: row.to_owned(),
                col: col.to_owned(),
            })?;
        let rq = index.question(ct.row);
        let cq = index.question(ct.col);
        let rows = rq.kind.options().len();
        let counts: Vec<Vec<u64>> = (0..rows)
            .map(|r| ct.cells[r * ct.cols..(r + 1) * ct.cols].to_vec())
            .collect();
        let col_percent = counts
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&ct.col_base)
                    .map(|(&n, &b)| percent(n, b))
                    .collect()
            })
            .collect();
        let row_percent = counts
            .iter()
            .zip(&ct.row_base)
            .map(|(row, &b)| row.iter().map(|&n| percent(n, b)).collect())
            .collect();
        Ok(CrossTab {
            questionnaire: index.id().to_owned(),
            row_question: rq.id.clone(),
            col_question: cq.id.clone(),
            row_labels: rq
                .kind
                .options()
                .iter()
                .map(|o| o.label.zh.clone())
                .collect(),
            row_codes: rq.kind.options().iter().map(|o| o.code.clone()).collect(),
            col_labels: cq
                .kind
                .options()
                .iter()
                .map(|o| o.label.zh.clone())
                .collect(),
            col_codes: cq.kind.options().iter().map(|o| o.code.clone()).collect(),
            counts,
            col_bases: ct.col_base.clone(),
            row_bases: ct.row_base.clone(),
            total: ct.both,
            col_percent,
            row_percent,
            row_total_percent: ct.row_base.iter().map(|&b| percent(b, ct.both)).collect(),
        })
    }
}

/// Rank of each option in count-descending order among the options not pinned last
/// (competition ranking: ties share a rank, the next rank skips). Pinned options get `None`.
pub fn ranks(table: &FrequencyTable) -> Vec<(String, Option<u32>)> {
    table
        .rows
        .iter()
        .map(|r| {
            let rank = (!r.pinned_last).then(|| {
                1 + table
                    .rows
                    .iter()
                    .filter(|o| !o.pinned_last && o.count > r.count)
                    .count() as u32
            });
            (r.code.clone(), rank)
        })
        .collect()
}

/// The `k` most chosen options (not pinned last), most chosen first.
pub fn top(table: &FrequencyTable, k: usize) -> Vec<FrequencyRow> {
    let mut rows: Vec<FrequencyRow> = table
        .rows
        .iter()
        .filter(|r| !r.pinned_last)
        .cloned()
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.count));
    rows.truncate(k);
    rows
}

/// Whether a question kind is tabulated as a frequency table.
pub fn is_categorical(kind: &QuestionKind) -> bool {
    kind.is_choice()
}
