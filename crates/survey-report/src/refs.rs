//! References from narrative to computed figures.
//!
//! | form | prints |
//! |---|---|
//! | `{main.collected}`, `{main.valid}`, `{main.excluded}` | the cleaning funnel |
//! | `{main.law_awareness.base}` (`not_shown`, `skipped`, `options`, `answered_options`) | a question's base and counts |
//! | `{main.law_awareness.very.count}` / `.pct` / `.pct1` / `.pct0` / `.label` / `.rank` | one option |
//! | `{main.law_awareness.very+somewhat.pct1}` | the sum of several options |
//! | `{main.law_impact.any(capability,staff_and_process).pct}` | the share choosing at least one of them |
//! | `{main.law_impact.top1.label}` (`top2`, …) | the k-th most chosen option (options pinned last excluded; its label is an error when another option has its count) |
//! | `{main.law_impact.most1.quoted}` (`most2`, …; `names`, `share`, `n`, `count`, `pct`) | the k-th highest count and every option at it: `“甲”和“乙”`, `甲和乙`, `并列，各12.50%` (or the share alone for one option), how many |
//! | `{main.q12_1.score}` (`first`, `first1`, `ranked`, `ranked1`, `place`), `{main.q12_1.top1.label}` (`.score`, `.first`) | an option of a ranking (排序题): its 综合得分, share placed first, share ranking it, mean place; or its ranking's k-th option by score |
//! | `{main.recommend.nps}` | a 0–10 scale's Net Promoter Score: % scoring 9–10 less % scoring 0–6 (`+12.3`) |
//! | `{main.province.where(count>=21,count<=50).n}` / `.labels` / `.count` | the options meeting every condition |
//! | `{main.law_training.yes.pct - main.law_training.no.pct}` | a difference, in percentage points (the narrative writes 个百分点 after it) |
//! | `{ref:tbl:3.1.1}`, `{ref:fig:3.1.1}` | a cross-reference, printed 表3.1.1 / 图3.1.1 |
//! | `{ref:tbl:law_awareness}` | the table (or `fig`: figure) of a question, by its id; its own table when a cross-table shows it too |
//! | `{weighted.national.uses_llm.yes.pct}` (`pct1`, `pct0`) | a weighted share, as the report's `@weighted_table` of the question with those weights prints it (resolved in `crate::block`, never a share the table hides) |
//! | `{trend.law_awareness.very.change}` (`diff`, `ci`, `p`, `now`, `then`) | the change since an earlier wave, as the question's `@trend` table prints it (its level, correction and weights), or by default ([`crate::waves::resolve_trend`]) |
//!
//! `pct` has two decimals, like the tables; `pct1` one; `pct0` none; all round half up.

use indexmap::IndexMap;
use survey_aggregate::{FrequencyTable, RowOrder};
use survey_print::{NumberKind, fmt};

use crate::dataset::Dataset;

/// What a reference evaluates to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Text(String),
    /// A number that a difference can use: (value as a percent or count, decimals, is percent).
    Number {
        text: String,
        value: f64,
        decimals: u32,
        percent: bool,
    },
    /// A cross-reference to a table or figure, by number or by the question id it shows.
    CrossRef {
        kind: NumberKind,
        target: String,
    },
}

impl Resolved {
    pub fn text(&self) -> String {
        match self {
            Resolved::Text(t) | Resolved::Number { text: t, .. } => t.clone(),
            Resolved::CrossRef { kind, target } => format!("{}{target}", kind.zh()),
        }
    }
}

fn number(count: u64, base: u64, stat: &str) -> Result<Resolved, String> {
    let d = match stat {
        "pct" => 2,
        "pct1" => 1,
        "pct0" => 0,
        "count" => {
            return Ok(Resolved::Number {
                text: count.to_string(),
                value: count as f64,
                decimals: 0,
                percent: false,
            });
        }
        other => {
            return Err(format!(
                "unknown statistic `{other}`; use count, pct, pct1 or pct0"
            ));
        }
    };
    Ok(Resolved::Number {
        text: fmt::percent(count, base, d),
        value: if base == 0 {
            f64::NAN
        } else {
            count as f64 * 100.0 / base as f64
        },
        decimals: d,
        percent: true,
    })
}

/// A figure of a ranking's option: `score` (问卷星's 综合得分), `first` / `first1` (the share
/// of those ranking anything who put it first), `ranked` / `ranked1` (the share who ranked
/// it), `place` (its mean place); or `topK.label|score|first|first1` of the ranking's k-th
/// option by score, as its table lists them.
fn ranking_figure(
    ds: &Dataset,
    options: &[String],
    qid: &str,
    rest: &[&str],
) -> Result<Resolved, String> {
    let qids: Vec<&str> = options.iter().map(String::as_str).collect();
    let t = ds
        .aggregate
        .ranking(&ds.index, &qids)
        .map_err(|e| e.to_string())?;
    let decimal = |x: Option<f64>| match x {
        Some(x) => Ok(Resolved::Number {
            text: fmt::number_f64(x, 2),
            value: x,
            decimals: 2,
            percent: false,
        }),
        None => Err(format!("no one ranked `{qid}`")),
    };
    // An option's label as its table prints it: what its wording adds to the shared stem.
    let texts: Vec<&str> = t.rows.iter().map(|r| r.text.as_str()).collect();
    let labels = crate::blocks::matrix::stem_and_rows(&texts).1;
    let label_of = |row: &survey_aggregate::RankingRow| {
        t.rows
            .iter()
            .position(|r| r.question == row.question)
            .and_then(|i| labels.get(i).cloned())
            .unwrap_or_else(|| row.text.clone())
    };
    let figure = |row: &survey_aggregate::RankingRow, what: &str| match what {
        "label" => Ok(Resolved::Text(label_of(row))),
        "score" => decimal(row.score),
        "place" => decimal(row.mean_place),
        "first" | "first1" => number(
            row.places.first().copied().unwrap_or(0),
            t.base,
            if what == "first" { "pct" } else { "pct1" },
        ),
        "ranked" | "ranked1" => number(
            row.ranked,
            t.base,
            if what == "ranked" { "pct" } else { "pct1" },
        ),
        other => Err(format!(
            "unknown figure `{other}` of a ranking's option; use score, first, first1, ranked, ranked1, place or label"
        )),
    };
    match rest {
        [what] => {
            let row = t
                .rows
                .iter()
                .find(|r| r.question == qid)
                .ok_or_else(|| format!("`{qid}` is not in its ranking's table"))?;
            figure(row, what)
        }
        [top, what] => {
            let k: usize = top
                .strip_prefix("top")
                .and_then(|k| k.parse().ok())
                .filter(|&k| k >= 1)
                .ok_or_else(|| format!("`{top}`: a ranking's option by score is top1, top2, …"))?;
            let mut rows: Vec<&survey_aggregate::RankingRow> = t.rows.iter().collect();
            rows.sort_by(|a, b| {
                b.score
                    .unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&a.score.unwrap_or(f64::NEG_INFINITY))
            });
            let row = rows
                .get(k - 1)
                .ok_or_else(|| format!("the ranking has only {} options", rows.len()))?;
            let tied: Vec<&str> = rows
                .iter()
                .filter(|r| r.score.is_some() && r.score == row.score)
                .map(|r| r.question.as_str())
                .collect();
            if *what == "label" && tied.len() > 1 {
                return Err(format!(
                    "`{top}` of the ranking is not one option: {} have the same score, and «the highest» would name one of them only; name them by their ids",
                    tied.iter()
                        .map(|q| format!("`{q}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            figure(row, what)
        }
        _ => Err(
            "a ranking's reference reads dataset.option.figure or dataset.option.topK.figure"
                .into(),
        ),
    }
}

/// Evaluate one reference against the loaded datasets.
pub fn resolve(expr: &str, datasets: &IndexMap<String, Dataset>) -> Result<Resolved, String> {
    let expr = expr.trim();
    if let Some(rest) = expr.strip_prefix("ref:") {
        let (kind, target) = rest
            .split_once(':')
            .ok_or("a cross-reference is written ref:tbl:<number or question id> or ref:fig:<…>")?;
        let kind = NumberKind::from_short(kind)
            .ok_or_else(|| format!("unknown cross-reference kind `{kind}`; use tbl or fig"))?;
        if !survey_print::valid_number(target) {
            return Err(format!(
                "`{target}` is not a table or figure number, nor a question id"
            ));
        }
        return Ok(Resolved::CrossRef {
            kind,
            target: target.into(),
        });
    }
    if let Some((a, b)) = expr.split_once(" - ") {
        let (a, b) = (resolve(a, datasets)?, resolve(b, datasets)?);
        return match (a, b) {
            (
                Resolved::Number {
                    value: x,
                    decimals: d1,
                    percent: p1,
                    ..
                },
                Resolved::Number {
                    value: y,
                    decimals: d2,
                    percent: p2,
                    ..
                },
            ) if p1 == p2 => {
                let d = d1.max(d2);
                Ok(Resolved::Number {
                    text: fmt::number_f64(x - y, d),
                    value: x - y,
                    decimals: d,
                    percent: false,
                })
            }
            _ => Err(
                "a difference needs two numbers of the same kind (two percentages or two counts)"
                    .into(),
            ),
        };
    }
    let parts: Vec<&str> = expr.split('.').collect();
    let ds = datasets.get(parts[0]).ok_or_else(|| {
        format!(
            "unknown dataset `{}`; the report has {}",
            parts[0],
            datasets
                .keys()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let f = &ds.cleaning.funnel;
    if parts.len() == 2 {
        let n = match parts[1] {
            "collected" => f.collected,
            "valid" => f.valid,
            "excluded" => f.collected - f.valid,
            "records" => ds.aggregate.records(),
            other => {
                return Err(format!(
                    "unknown dataset figure `{other}`; use collected, valid, excluded or records"
                ));
            }
        };
        return Ok(Resolved::Number {
            text: n.to_string(),
            value: n as f64,
            decimals: 0,
            percent: false,
        });
    }
    if parts.len() < 2 || parts.len() > 4 {
        return Err("a reference reads dataset.question[.option].statistic".into());
    }
    let qid = parts[1];
    let q = ds
        .index
        .get(qid)
        .ok_or_else(|| format!("dataset `{}` has no question `{qid}`", ds.name))?;
    // An option of a ranking (排序题): its score, first places and mean place, and the
    // ranking's k-th option by score.
    if let Some((_, options)) = ds
        .rankings
        .iter()
        .find(|(_, qs)| qs.iter().any(|x| x == qid))
        && (parts.len() == 4
            || (parts.len() == 3
                && matches!(
                    parts[2],
                    "score" | "first" | "first1" | "ranked" | "ranked1" | "place" | "label"
                )))
    {
        return ranking_figure(ds, options, qid, &parts[2..]);
    }
    // Any question's base and missing counts; a number's summary statistics.
    if !q.kind.is_choice() && parts.len() == 3 {
        let whole = |n: u64| Resolved::Number {
            text: n.to_string(),
            value: n as f64,
            decimals: 0,
            percent: false,
        };
        let a = ds
            .aggregate
            .answered(&ds.index, qid)
            .map_err(|e| e.to_string())?;
        let numeric = matches!(
            q.kind,
            survey_schema::QuestionKind::Integer { .. }
                | survey_schema::QuestionKind::Number { .. }
        );
        // Printed as the numeric summary prints it: whole answers give whole extremes, and
        // whole quartiles when all three are; the mean has two decimals; commas from five
        // digits, or four beside longer numbers.
        let whole_answers = matches!(q.kind, survey_schema::QuestionKind::Integer { .. })
            || q.kind.scores().is_some();
        let stat = |figure: &str| {
            let s = ds
                .aggregate
                .numeric(&ds.index, qid)
                .map_err(|e| e.to_string())?;
            let whole =
                |xs: &[Option<f64>]| whole_answers && xs.iter().flatten().all(|v| v.fract() == 0.0);
            let (x, decimals) = match figure {
                "mean" => (s.mean, 2),
                "median" => (s.median, if whole(&[s.q1, s.median, s.q3]) { 0 } else { 2 }),
                "min" => (s.min, if whole(&[s.min, s.max]) { 0 } else { 2 }),
                _ => (s.max, if whole(&[s.min, s.max]) { 0 } else { 2 }),
            };
            let x = x.ok_or_else(|| format!("`{qid}` has no answers to summarise"))?;
            let long = [s.mean, s.min, s.q1, s.median, s.q3, s.max]
                .iter()
                .flatten()
                .any(|v| v.abs() >= 9999.995);
            Ok::<_, String>(Resolved::Number {
                text: survey_print::fmt::grouped(x, decimals, if long { 4 } else { 5 }),
                value: x,
                decimals,
                percent: false,
            })
        };
        return match (parts[2], numeric) {
            ("base", _) => Ok(whole(a.base)),
            ("not_shown", _) => Ok(whole(a.not_shown)),
            ("skipped", _) => Ok(whole(a.skipped)),
            (figure @ ("mean" | "median" | "min" | "max"), true) => stat(figure),
            (other, true) => Err(format!(
                "unknown figure `{other}` of the number question `{qid}`; use base, not_shown, skipped, mean, median, min or max"
            )),
            (other, false) => Err(format!(
                "unknown figure `{other}` of the {} question `{qid}`; use base, not_shown or skipped",
                q.kind.name()
            )),
        };
    }
    if !q.kind.is_choice() {
        return Err(format!(
            "`{qid}` is a {} question; references read choice questions",
            q.kind.name()
        ));
    }
    let table = ds
        .aggregate
        .frequency(&ds.index, qid, RowOrder::Questionnaire)
        .map_err(|e| e.to_string())?;
    // A 0–10 recommendation scale's Net Promoter Score: the share scoring 9 or 10 less the
    // share scoring 0 to 6, in points of the base.
    // `promoters` and `detractors` are those shares, as a table prints a share.
    if parts.len() == 3 && matches!(parts[2], "nps" | "promoters" | "detractors") {
        let scores = q
            .kind
            .scores()
            .filter(|s| s.iter().copied().eq(0..=10))
            .ok_or_else(|| {
                format!(
                    "`{qid}` is no scale scored 0 to 10, which `{}` reads",
                    parts[2]
                )
            })?;
        if table.base == 0 {
            return Err(format!("`{qid}` has no answers"));
        }
        let (mut promoters, mut detractors) = (0u64, 0u64);
        for (row, score) in table.rows.iter().zip(&scores) {
            match score {
                9.. => promoters += row.count,
                0..=6 => detractors += row.count,
                _ => {}
            }
        }
        let share = |count: u64| Resolved::Number {
            text: fmt::percent(count, table.base, 2),
            value: count as f64 * 100.0 / table.base as f64,
            decimals: 2,
            percent: true,
        };
        return Ok(match parts[2] {
            "promoters" => share(promoters),
            "detractors" => share(detractors),
            _ => {
                let value = (promoters as f64 - detractors as f64) / table.base as f64 * 100.0;
                Resolved::Number {
                    text: fmt::signed(value, 1),
                    value,
                    decimals: 1,
                    percent: false,
                }
            }
        });
    }
    // A scored scale's mean, as its table prints it (two decimals).
    if parts.len() == 3 && parts[2] == "mean" {
        if q.kind.scores().is_none() {
            return Err(format!(
                "`{qid}`'s options carry no scores, so it has no mean; give them a `score` in the questionnaire"
            ));
        }
        let s = ds
            .aggregate
            .numeric(&ds.index, qid)
            .map_err(|e| e.to_string())?;
        let x = s
            .mean
            .ok_or_else(|| format!("`{qid}` has no answers to summarise"))?;
        return Ok(Resolved::Number {
            text: fmt::grouped(x, 2, 5),
            value: x,
            decimals: 2,
            percent: false,
        });
    }
    if parts.len() == 3 {
        let n = match parts[2] {
            "base" => table.base,
            "not_shown" => table.not_shown,
            "skipped" => table.skipped,
            "options" => table.rows.len() as u64,
            "answered_options" => table.rows.iter().filter(|r| r.count > 0).count() as u64,
            "responses" => table.responses,
            other => {
                return Err(format!(
                    "unknown question figure `{other}`; use base, not_shown, skipped, options, answered_options, responses, mean for a scored scale, or nps, promoters and detractors for a 0–10 scale"
                ));
            }
        };
        return Ok(Resolved::Number {
            text: n.to_string(),
            value: n as f64,
            decimals: 0,
            percent: false,
        });
    }
    let (sel, stat) = (parts[2], parts[3]);
    selection(ds, &table, sel, stat)
}

fn option<'t>(
    table: &'t FrequencyTable,
    code: &str,
) -> Result<(usize, &'t survey_aggregate::FrequencyRow), String> {
    table
        .rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.code == code)
        .ok_or_else(|| {
            format!(
                "`{}` has no option `{code}`; its options are {}",
                table.question,
                table
                    .rows
                    .iter()
                    .map(|r| r.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// Options in count-descending order, pinned ones excluded, ties in questionnaire order.
fn ranked(table: &FrequencyTable) -> Vec<&survey_aggregate::FrequencyRow> {
    let mut v: Vec<_> = table.rows.iter().filter(|r| !r.pinned_last).collect();
    v.sort_by_key(|r| std::cmp::Reverse(r.count));
    v
}

fn selection(
    ds: &Dataset,
    table: &FrequencyTable,
    sel: &str,
    stat: &str,
) -> Result<Resolved, String> {
    let base = table.base;
    if let Some(k) = sel
        .strip_prefix("top")
        .and_then(|k| k.parse::<usize>().ok())
    {
        let r = ranked(table);
        let row = r
            .get(k.wrapping_sub(1))
            .ok_or_else(|| format!("`{}` has no option ranked {k}", table.question))?;
        // «The k-th most chosen» names one option only when no other has its count.
        let tied: Vec<_> = r.iter().filter(|x| x.count == row.count).collect();
        if stat == "label" && tied.len() > 1 {
            let (d, q) = (&ds.name, &table.question);
            let codes: Vec<String> = tied.iter().map(|x| format!("`{}`", x.code)).collect();
            return Err(format!(
                "`top{k}` of `{q}` is not one option: {} are tied at {} answers each ({}), and «the {}» would name one of them only; name them by their codes ({}), e.g. `{{{d}.{q}.{}.label}}与{{{d}.{q}.{}.label}}并列`, or write `{{{d}.{q}.mostN.quoted}}`（`{{{d}.{q}.mostN.share}}`）, which names every option at the N-th highest count",
                tied.iter()
                    .map(|x| format!("«{}»", x.label))
                    .collect::<Vec<_>>()
                    .join("、"),
                row.count,
                survey_print::fmt::percent(row.count, base, 2),
                match k {
                    1 => "most chosen".to_owned(),
                    2 => "second most chosen".to_owned(),
                    3 => "third most chosen".to_owned(),
                    k => format!("{k}th most chosen"),
                },
                codes.join(", "),
                tied[0].code,
                tied[1].code,
            ));
        }
        return match stat {
            "label" => Ok(Resolved::Text(row.label.clone())),
            s => number(row.count, base, s),
        };
    }
    // The k-th most chosen count and every option at it (ties named together).
    if let Some(k) = sel
        .strip_prefix("most")
        .and_then(|k| k.parse::<usize>().ok())
        .filter(|&k| k >= 1)
    {
        let r = ranked(table);
        let mut levels: Vec<u64> = r.iter().map(|x| x.count).collect();
        levels.dedup();
        let count = *levels.get(k - 1).ok_or_else(|| {
            format!(
                "`{}` has {} different counts among its options, so no `most{k}`",
                table.question,
                levels.len()
            )
        })?;
        let at: Vec<&str> = r
            .iter()
            .filter(|x| x.count == count)
            .map(|x| x.label.as_str())
            .collect();
        // 甲; 甲和乙; 甲、乙和丙.
        let join = |items: Vec<String>| -> String {
            match items.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{}和{last}", rest.join("、")),
                _ => items.concat(),
            }
        };
        return match stat {
            "names" => Ok(Resolved::Text(join(
                at.iter().map(|l| (*l).to_owned()).collect(),
            ))),
            "quoted" => Ok(Resolved::Text(join(
                at.iter().map(|l| format!("“{l}”")).collect(),
            ))),
            "n" => Ok(Resolved::Number {
                text: at.len().to_string(),
                value: at.len() as f64,
                decimals: 0,
                percent: false,
            }),
            "share" => {
                let pct = fmt::percent(count, base, 2);
                Ok(Resolved::Text(if at.len() > 1 {
                    format!("并列，各{pct}")
                } else {
                    pct
                }))
            }
            s => number(count, base, s)
                .map_err(|e| format!("{e}; or, for `most{k}`, names, quoted, share or n")),
        };
    }
    if let Some(inner) = sel.strip_prefix("any(").and_then(|s| s.strip_suffix(')')) {
        let codes: Vec<&str> = inner.split(',').map(str::trim).collect();
        for c in &codes {
            option(table, c)?;
        }
        let f = ds
            .aggregate
            .any_of(&ds.index, &table.question, &codes)
            .map_err(|e| e.to_string())?;
        return number(f.count, f.base, stat);
    }
    if let Some(inner) = sel.strip_prefix("where(").and_then(|s| s.strip_suffix(')')) {
        let mut rows: Vec<&survey_aggregate::FrequencyRow> = table.rows.iter().collect();
        for cond in inner.split(',').map(str::trim) {
            let (op, n) = ["<=", ">=", "<", ">", "="]
                .iter()
                .find_map(|op| cond.strip_prefix("count").and_then(|r| r.trim().strip_prefix(op)).map(|n| (*op, n.trim())))
                .ok_or_else(|| format!("condition `{cond}` should read count>=N, count<=N, count>N, count<N or count=N"))?;
            let n: u64 = n
                .parse()
                .map_err(|_| format!("`{n}` in `{cond}` is not a whole number"))?;
            rows.retain(|r| match op {
                "<=" => r.count <= n,
                ">=" => r.count >= n,
                "<" => r.count < n,
                ">" => r.count > n,
                _ => r.count == n,
            });
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.count));
        return match stat {
            "n" => Ok(Resolved::Number {
                text: rows.len().to_string(),
                value: rows.len() as f64,
                decimals: 0,
                percent: false,
            }),
            "labels" => Ok(Resolved::Text(
                rows.iter()
                    .map(|r| r.label.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
            )),
            s => number(rows.iter().map(|r| r.count).sum(), base, s),
        };
    }
    let codes: Vec<&str> = sel.split('+').map(str::trim).collect();
    if codes.len() > 1 {
        // An option named twice would be counted twice (trial 38: 156 of 120 answers).
        if let Some((_, c)) = codes
            .iter()
            .enumerate()
            .find(|(i, c)| codes[..*i].contains(c))
        {
            return Err(format!(
                "`{sel}` names option `{c}` twice; a sum names each option once"
            ));
        }
        let mut count = 0;
        for c in &codes {
            count += option(table, c)?.1.count;
        }
        return match stat {
            "label" => Ok(Resolved::Text(
                codes
                    .iter()
                    .map(|c| option(table, c).map(|(_, r)| r.label.clone()))
                    .collect::<Result<Vec<_>, _>>()?
                    .join("、"),
            )),
            s => number(count, base, s),
        };
    }
    let (_, row) = option(table, sel)?;
    match stat {
        "label" => Ok(Resolved::Text(row.label.clone())),
        "rank" => {
            if row.pinned_last {
                return Err(format!(
                    "option `{sel}` is listed last (其他/无-style) and has no rank"
                ));
            }
            let rank = 1 + ranked(table).iter().filter(|o| o.count > row.count).count();
            Ok(Resolved::Number {
                text: rank.to_string(),
                value: rank as f64,
                decimals: 0,
                percent: false,
            })
        }
        s => number(row.count, base, s),
    }
}
