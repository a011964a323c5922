//! The trend block: one question in an earlier wave and in this one, side by side. Per option
//! both shares, the change in percentage points with its interval and a test of change; for a
//! single-choice question a test of homogeneity of the whole distribution; and a chart with the
//! waves side by side.
//!
//! Unweighted: Newcombe's hybrid score interval and R's `prop.test` (continuity correction as
//! configured), Pearson's chi-square for homogeneity. Weighted (this wave raked): the two waves
//! stacked in one design, each wave's weights scaled to a mean of 1 (the earlier wave's all 1
//! when only its counts are known), the difference with a Wald interval from the design
//! covariance (R: `svyby` + `svycontrast`), and Rao–Scott F tests per option and for the whole
//! question (R: `svychisq(~y + wave)`). Options that cannot be compared are printed as such.

use serde::Deserialize;
use survey_aggregate::RowOrder;
use survey_print::fmt;
use survey_print::{
    Bar, Base, Category, Cell, ChartStyle, Column, ColumnKind, Element, NumberKind, PrintedFigure,
    PrintedRow, PrintedTable, TableKind, TestMethod, TestResult,
};
use survey_schema::OptionLink;
use survey_stats::change::{design_difference, homogeneity};
use survey_stats::design::{Class, Flag, VarianceModel, ratios};
use survey_stats::hypothesis::rao_scott;

use super::{check_level, default_level, full_stop, tabulable, together, yes};
use crate::block::{Block, Context};
use crate::waves::{ChangeSettings, OptionChange, Wave};

/// `@trend law_awareness {wave = "2025", caption = "…"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendBlock {
    pub question: String,
    /// The earlier wave (`[[waves]]` name); the only one when the spec declares one.
    #[serde(default)]
    pub wave: Option<String>,
    pub caption: String,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default = "default_level")]
    pub level: f64,
    /// Yates' continuity correction in the two-sample test (R's `prop.test(correct = )`).
    #[serde(default)]
    pub correct: bool,
    /// Draw the waves side by side above the table.
    #[serde(default = "yes")]
    pub chart: bool,
    /// Weights of this wave (`[[weights]]`): design-based comparison.
    #[serde(default)]
    pub weights: Option<String>,
}

/// The printed change of one option, whichever way it was computed.
struct Row {
    code: String,
    label: String,
    then: Option<(f64, u64)>,
    now: f64,
    change: Option<OptionChange>,
}

fn wave<'a>(cx: &Context<'a>, name: Option<&str>) -> Result<&'a Wave, String> {
    match name {
        Some(n) => cx
            .waves
            .get(n)
            .ok_or_else(|| crate::block::undeclared("wave", n, cx.waves.keys())),
        None => match cx.waves.len() {
            1 => Ok(&cx.waves[0]),
            0 => Err("the spec declares no [[waves]] to compare with".into()),
            _ => Err("several waves are declared; name one with `wave`".into()),
        },
    }
}

impl Block for TrendBlock {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        check_level(self.level)?;
        let w = wave(cx, self.wave.as_deref())?;
        let d = &cx.datasets[&w.dataset];
        tabulable(d, &w.dataset, &self.question)?;
        let qi = d.index.position(&self.question).expect("checked");
        let q = d.index.question(qi);
        let t = d
            .aggregate
            .frequency(&d.index, &self.question, RowOrder::Questionnaire)
            .map_err(|e| e.to_string())?;
        let then = w.earlier_counts(&self.question, cx.datasets)?;
        let settings = ChangeSettings {
            level: self.level,
            correct: self.correct,
        };
        let ws = match &self.weights {
            Some(n) => {
                let s = cx
                    .weights
                    .get(n)
                    .ok_or_else(|| crate::block::undeclared("weights", n, cx.weights.keys()))?;
                if s.dataset != w.dataset {
                    return Err(format!(
                        "weights `{n}` belong to dataset `{}`, not `{}`",
                        s.dataset, w.dataset
                    ));
                }
                Some(s)
            }
            None => None,
        };
        let opts = q.kind.options();
        // Per option: the earlier count it compares with, if any.
        let earlier: Vec<Option<u64>> = opts
            .iter()
            .map(|o| w.earlier_count(&self.question, &o.code, &then, cx.datasets))
            .collect::<Result<_, _>>()?;
        let mut tests = Vec::new();
        let mut rows: Vec<Row> = Vec::new();
        let mut overall: Option<String> = None;
        match ws {
            None => {
                for (o, row) in opts.iter().zip(&t.rows) {
                    let i = rows.len();
                    let change = earlier[i].map(|x| {
                        OptionChange::unweighted((row.count, t.base), (x, then.base), settings)
                    });
                    rows.push(Row {
                        code: o.code.clone(),
                        label: row.label.clone(),
                        then: earlier[i].map(|x| (x as f64 / then.base as f64, x)),
                        now: row.count as f64 / t.base as f64,
                        change,
                    });
                }
                if q.kind.is_single() && earlier.iter().all(Option::is_some) {
                    let table = [
                        earlier.iter().map(|x| x.unwrap_or(0)).collect(),
                        t.rows.iter().map(|r| r.count).collect(),
                    ];
                    // With two options this is the rows' comparison: corrected as they are.
                    if let Some(chi) = homogeneity(&table, self.correct) {
                        tests.push(TestResult {
                            method: TestMethod::PearsonChiSquare,
                            statistic: Some(chi.statistic),
                            df: Some(chi.df as f64),
                            df2: None,
                            p_value: Some(chi.p_value),
                            p_band: None,
                            subject: None,
                        });
                        overall = Some(format!(
                            "两次调查的分布是否相同：{}",
                            super::inference::pearson_text(&chi)
                        ));
                    }
                }
            }
            Some(ws) => {
                // The waves stacked in one design: this wave's respondents by weight pattern
                // and answer, the earlier wave's by answer with weight 1.
                let mean = {
                    let (mut sw, mut n) = (0.0, 0u64);
                    d.records.each(|r| {
                        if r.values[qi].is_answered() {
                            sw += ws.calibration.weight(ws.pattern(r).expect("raked"));
                            n += 1;
                        }
                    })?;
                    sw / n as f64
                };
                let k = opts.len();
                let groups = {
                    let mut g: indexmap::IndexMap<(usize, Vec<bool>), u64> =
                        indexmap::IndexMap::new();
                    d.records.each(|r| {
                        let v = &r.values[qi];
                        if v.is_answered() {
                            let p = ws.pattern(r).expect("raked");
                            *g.entry((p, (0..k).map(|o| v.includes(o)).collect()))
                                .or_insert(0) += 1;
                        }
                    })?;
                    g
                };
                // Estimates for option o: index 2o (now), 2o+1 (then).
                let classes_for = |o: usize| -> Vec<Class> {
                    let mut cs: Vec<Class> = groups
                        .iter()
                        .map(|((p, chosen), &count)| Class {
                            count,
                            weight: ws.calibration.weight(*p) / mean,
                            pattern: 0,
                            flags: vec![if chosen[o] { Flag::Chosen } else { Flag::In }, Flag::Out],
                        })
                        .collect();
                    if let Some(x) = earlier[o] {
                        for (c, f) in [(x, Flag::Chosen), (then.base - x.min(then.base), Flag::In)]
                        {
                            if c > 0 {
                                cs.push(Class {
                                    count: c,
                                    weight: 1.0,
                                    pattern: 0,
                                    flags: vec![Flag::Out, f],
                                });
                            }
                        }
                    }
                    cs
                };
                for (o, row) in opts.iter().zip(&t.rows) {
                    let i = rows.len();
                    let cs = classes_for(i);
                    let e = ratios(&cs, 2, VarianceModel::Weighted, None);
                    let now = e.estimate[0].unwrap_or(0.0);
                    let change = earlier[i].and_then(|_| {
                        let then_p = e.estimate[1]?;
                        let (diff, _) = design_difference(
                            now,
                            e.covariance[0][0],
                            then_p,
                            e.covariance[1][1],
                            e.covariance[0][1],
                            self.level,
                        )?;
                        // The design-based test of the 2×2 (chosen × wave).
                        let cells: Vec<Class> = cs
                            .iter()
                            .map(|c| {
                                let wave = usize::from(c.flags[0] == Flag::Out);
                                let chosen = c.flags.contains(&Flag::Chosen);
                                let mut f = vec![Flag::In; 4];
                                f[usize::from(!chosen) + 2 * wave] = Flag::Chosen;
                                Class {
                                    flags: f,
                                    ..c.clone()
                                }
                            })
                            .collect();
                        let ce = ratios(&cells, 4, VarianceModel::Weighted, None);
                        let p: Vec<f64> = ce.estimate.iter().map(|x| x.unwrap_or(0.0)).collect();
                        let n: u64 = cells.iter().map(|c| c.count).sum();
                        let rs = rao_scott(2, 2, &p, &ce.covariance, n, n as f64 - 1.0)?;
                        Some(OptionChange {
                            now,
                            then: then_p,
                            difference: diff,
                            p_value: Some(rs.f_p_value),
                            level: self.level,
                        })
                    });
                    rows.push(Row {
                        code: o.code.clone(),
                        label: row.label.clone(),
                        then: earlier[i].map(|x| (x as f64 / then.base as f64, x)),
                        now,
                        change,
                    });
                }
                if q.kind.is_single() && earlier.iter().all(Option::is_some) {
                    // Rao–Scott on options × waves, cells options fastest.
                    let mut cells: Vec<Class> = Vec::new();
                    for ((_, chosen), &count) in &groups {
                        let o = chosen.iter().position(|&c| c).unwrap_or(0);
                        let mut f = vec![Flag::In; 2 * k];
                        f[o] = Flag::Chosen;
                        cells.push(Class {
                            count,
                            weight: 0.0,
                            pattern: 0,
                            flags: f,
                        });
                    }
                    for (cl, ((p, _), _)) in cells.iter_mut().zip(&groups) {
                        cl.weight = ws.calibration.weight(*p) / mean;
                    }
                    for (o, x) in earlier.iter().enumerate() {
                        let x = x.unwrap_or(0);
                        if x > 0 {
                            let mut f = vec![Flag::In; 2 * k];
                            f[o + k] = Flag::Chosen;
                            cells.push(Class {
                                count: x,
                                weight: 1.0,
                                pattern: 0,
                                flags: f,
                            });
                        }
                    }
                    let e = ratios(&cells, 2 * k, VarianceModel::Weighted, None);
                    let p: Vec<f64> = e.estimate.iter().map(|x| x.unwrap_or(0.0)).collect();
                    let n: u64 = cells.iter().map(|c| c.count).sum();
                    if let Some(rs) = rao_scott(k, 2, &p, &e.covariance, n, n as f64 - 1.0) {
                        tests.push(TestResult {
                            method: TestMethod::RaoScottF,
                            statistic: Some(rs.f_statistic),
                            df: Some(rs.d0),
                            df2: Some(rs.ddf),
                            p_value: Some(rs.f_p_value),
                            p_band: None,
                            subject: None,
                        });
                        overall = Some(format!(
                            "两次调查的分布是否相同：Rao–Scott二阶校正F={}，df=({}, {})，{}",
                            fmt::number_f64(rs.f_statistic, 2),
                            fmt::number_f64(rs.d0, 2),
                            fmt::number_f64(rs.ddf, 1),
                            fmt::p_value(rs.f_p_value)
                        ));
                    }
                }
            }
        }
        for r in &rows {
            if let Some(c) = &r.change {
                tests.push(TestResult {
                    method: match ws {
                        Some(_) => TestMethod::DesignTwoProportion,
                        None if self.correct => TestMethod::TwoProportionZCorrected,
                        None => TestMethod::TwoProportionZ,
                    },
                    statistic: None,
                    df: None,
                    df2: None,
                    p_value: c.p_value,
                    p_band: None,
                    subject: Some(r.code.clone()),
                });
            }
        }
        let mut kinds = vec![NumberKind::Table];
        if self.chart {
            kinds.insert(0, NumberKind::Figure);
        }
        // Keyed by the question and by `trend.<question>`: `{ref:tbl:q}` is the question's
        // own table when it has one, and this comparison otherwise.
        let trend_key = format!("trend.{}", self.question);
        let number = cx.number(
            self.number.as_deref(),
            &kinds,
            &[&self.question, &trend_key],
        )?;
        cx.trend_printed(
            &w.name,
            &self.question,
            &number,
            rows.iter()
                .filter_map(|r| r.change.map(|c| (r.code.clone(), c))),
        );
        let level = fmt::number_f64(self.level * 100.0, 0);
        let columns = vec![
            Column::new(survey_schema::title(&q.text.zh), ColumnKind::Label),
            Column::new(
                format!("{}\n(N={})", w.label, then.base),
                ColumnKind::Percent,
            ),
            Column::new(
                format!("{}\n(N={})", w.current_label, t.base),
                ColumnKind::Percent,
            ),
            Column::new("变化\n（百分点）", ColumnKind::Number),
            Column::new(
                format!("{level}%置信区间\n（百分点）"),
                ColumnKind::Interval,
            ),
            Column::new("p值", ColumnKind::Text),
        ];
        let printed_rows: Vec<PrintedRow> = rows
            .iter()
            .map(|r| {
                let now = Cell::percent(r.now * 100.0, 1);
                let cells = match (&r.then, &r.change) {
                    (Some((p, _)), Some(c)) => vec![
                        Cell::text(&r.label),
                        Cell::percent(p * 100.0, 1),
                        now,
                        Cell::signed(c.difference.estimate * 100.0, 1),
                        Cell::signed_interval(
                            c.difference.lower * 100.0,
                            c.difference.upper * 100.0,
                            1,
                        ),
                        c.p_value.map_or_else(Cell::missing, Cell::p_value),
                    ],
                    _ => vec![
                        Cell::text(&r.label),
                        Cell::text("—"),
                        now,
                        Cell::text("—"),
                        Cell::text("—"),
                        Cell::text("—"),
                    ],
                };
                // Weighted estimates as printed, in every file (more digits would give the
                // counts behind them away).
                let cells = if ws.is_some() {
                    cells.into_iter().map(Cell::as_printed).collect()
                } else {
                    cells
                };
                PrintedRow::option(&r.code, cells)
            })
            .collect();
        let mut notes = vec![format!(
            "{}的比例来自{}，{}的比例来自本次调查{}",
            w.label,
            w.source_note,
            w.current_label,
            if ws.is_some() { "（加权）" } else { "" }
        )];
        notes.push(match ws {
            None => format!(
                "变化为{}减{}，单位为百分点，由未舍入的比例相减（可能与两列舍入后之差相差0.1）；区间为Newcombe混合score法{level}%置信区间{}；p值为两样本比例检验（{}连续性校正）",
                w.current_label,
                w.label,
                if self.correct { "（连续性校正）" } else { "" },
                if self.correct { "有" } else { "无" }
            ),
            Some(s) => format!(
                "变化为{}减{}，单位为百分点，由未舍入的比例相减（可能与两列舍入后之差相差0.1）；两次调查合并为一个设计（各期权重均值为1，{}各家医院权重为1），区间为基于设计方差的Wald区间，p值为Rao–Scott F检验；本期权重为“{}”",
                w.current_label, w.label, w.label, s.name
            ),
        });
        if q.kind.is_multiple() {
            notes.push("多选题逐项比较，不作整体分布检验".into());
        } else if let Some(o) = overall {
            notes.push(o);
        } else {
            notes.push("有无法比较的选项，不作整体分布检验".into());
        }
        let not_comparable: Vec<&str> = rows
            .iter()
            .filter(|r| r.change.is_none())
            .map(|r| r.label.as_str())
            .collect();
        if !not_comparable.is_empty() {
            notes.push(format!(
                "“{}”在{}没有可比的选项（新增或由原选项拆分），以“—”表示",
                not_comparable.join("”“"),
                w.label
            ));
        }
        // A merged option of a multiple choice stands for those who chose any of the earlier
        // options (a respondent who chose two counts once); of a single choice, for their sum.
        let earlier_multiple = w.earlier_is_multiple(&self.question);
        let merged: Vec<String> = opts
            .iter()
            .filter_map(|o| match w.links.option(&self.question, &o.code) {
                OptionLink::Earlier(list) if list.len() > 1 => Some(format!(
                    "“{}”对应{}{}{}",
                    o.label.zh,
                    w.label,
                    if earlier_multiple { "选择" } else { "" },
                    list.iter()
                        .map(|c| {
                            w.earlier
                                .get(w.links.earlier(&self.question).unwrap_or_default())
                                .and_then(|eq| {
                                    eq.kind
                                        .options()
                                        .iter()
                                        .find(|x| x.code == *c)
                                        .map(|x| format!("“{}”", x.label.zh))
                                })
                                .unwrap_or_else(|| format!("`{c}`"))
                        })
                        .collect::<Vec<_>>()
                        .join("、")
                        + if earlier_multiple {
                            "中任一项的比例"
                        } else {
                            "之和"
                        }
                )),
                _ => None,
            })
            .collect();
        if !merged.is_empty() {
            notes.push(format!("合并比较：{}", merged.join("；")));
        }
        // An option compared with one worded otherwise then: the reader sees how.
        let earlier_q = w
            .earlier
            .get(w.links.earlier(&self.question).unwrap_or_default());
        let words = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let renamed: Vec<String> = opts
            .iter()
            .filter_map(|o| match w.links.option(&self.question, &o.code) {
                OptionLink::Earlier(list) if list.len() == 1 => {
                    let then = earlier_q?
                        .kind
                        .options()
                        .iter()
                        .find(|x| x.code == list[0])?;
                    (words(&then.label.zh) != words(&o.label.zh))
                        .then(|| format!("“{}”{}为“{}”", o.label.zh, w.label, then.label.zh))
                }
                _ => None,
            })
            .collect();
        if !renamed.is_empty() {
            notes.push(format!("选项措辞有变：{}", renamed.join("；")));
        }
        let unused = w.links.unused_earlier(&self.question, &w.earlier);
        if !unused.is_empty() {
            let eq = w
                .earlier
                .get(w.links.earlier(&self.question).unwrap_or_default());
            notes.push(format!(
                "{}的{}本次没有对应的选项，不作比较",
                w.label,
                unused
                    .iter()
                    .map(|c| eq
                        .and_then(|q| q.kind.options().iter().find(|o| o.code == *c))
                        .map(|o| format!("“{}”", o.label.zh))
                        .unwrap_or_else(|| format!("`{c}`")))
                    .collect::<Vec<_>>()
                    .join("")
            ));
        }
        // A reworded question: the reader sees both wordings.
        if let Some(e) = w
            .links
            .earlier(&self.question)
            .and_then(|from| w.earlier.get(from))
        {
            let words = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            if words(&e.text.zh) != words(&q.text.zh) {
                notes.push(format!("{}的题干为“{}”", w.label, e.text.zh));
            }
        }
        if let Some(b) = w
            .links
            .link(&self.question)
            .and_then(|l| l.base_changed.as_ref())
        {
            notes.push(format!("注意：两次调查的基数不同（{b}），比较时须谨慎"));
        }

        full_stop(&mut notes);
        let table = PrintedTable {
            number: Some(number.clone()),
            caption: Some(self.caption.clone()),
            dataset: Some(w.dataset.clone()),
            questions: vec![self.question.clone()],
            base: Some(Base {
                n: t.base,
                not_shown: t.not_shown,
                skipped: t.skipped,
            }),
            weights: ws.map(|s| s.name.clone()),
            rows: printed_rows,
            tests,
            notes,
            ..PrintedTable::new(TableKind::Trend, columns)
        };
        let mut pair = Vec::new();
        if self.chart {
            let categories = rows
                .iter()
                .map(|r| Category {
                    label: r.label.clone(),
                    code: Some(r.code.clone()),
                    bars: vec![
                        Bar {
                            value: r.then.map(|(p, _)| p * 100.0),
                            text: r
                                .then
                                .map(|(p, _)| fmt::percent_f64(p * 100.0, 1))
                                .unwrap_or_else(|| "—".into()),
                        },
                        Bar {
                            value: Some(r.now * 100.0),
                            text: fmt::percent_f64(r.now * 100.0, 1),
                        },
                    ],
                })
                .collect();
            let mut f = PrintedFigure {
                number: Some(number),
                caption: self.caption.clone(),
                title: None,
                style: ChartStyle::GroupedBars,
                axis: super::tables::percent_axis(
                    rows.iter()
                        .flat_map(|r| [r.then.map_or(0.0, |(p, _)| p), r.now])
                        .fold(0.0, f64::max)
                        * 100.0,
                ),
                series: vec![w.label.clone(), w.current_label.clone()],
                categories,
                note: Some(format!(
                    "{}N={}，{}N={}{}",
                    w.label,
                    then.base,
                    w.current_label,
                    t.base,
                    if q.kind.is_multiple() {
                        "；多选题，各项比例合计超过100%"
                    } else {
                        ""
                    }
                )),
                alt: String::new(),
                dataset: Some(w.dataset.clone()),
                questions: vec![self.question.clone()],
            };
            f.alt = f.describe();
            pair.push(Element::Figure(Box::new(f)));
        }
        pair.push(Element::Table(Box::new(table)));
        cx.push(together(pair));
        Ok(())
    }
}
