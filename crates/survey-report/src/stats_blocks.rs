//! Blocks that print inference: a cross-tab with intervals, a test and small-cell
//! suppression; a weighted table beside the unweighted one.

use serde::Deserialize;
use survey_aggregate::CrossTabSpec;
use survey_export::blocks;
use survey_export::files::CrossTabEntry;
use survey_export::fmt;
use survey_schema::Value;
use survey_stats::hypothesis::{WeightedCells, fisher_2x2, pearson, rao_scott};
use survey_stats::intervals::{self, Interval, Method, ProportionSums};
use survey_stats::suppress::suppress;

use crate::block::{Block, Context, declare};
use crate::builtin::{Order, frequency};
use crate::weights::WeightSet;

/// What a cross-tab prints in its cells.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Show {
    #[default]
    ColPercent,
    RowPercent,
    Count,
}

fn default_suppress() -> u64 {
    5
}
pub(crate) fn default_level() -> f64 {
    0.95
}

/// A confidence level must lie strictly between 0 and 1.
pub(crate) fn check_level(level: f64) -> Result<(), String> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(format!("level {level} is not between 0 and 1"))
    }
}

/// A numbered cross-tab of a question by a categorical question, optionally with confidence
/// intervals, a test of association and weights. Cells under `suppress` respondents (default
/// 5; 0 turns it off) are printed as `<5`, with secondary suppression.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossTabBlock {
    pub dataset: String,
    pub row: String,
    pub col: String,
    #[serde(default)]
    pub number: Option<String>,
    pub caption: String,
    #[serde(default)]
    pub show: Show,
    /// Interval printed under each column percentage: `wilson`, `logit` or `clopper_pearson`.
    #[serde(default)]
    pub intervals: Option<Method>,
    #[serde(default = "default_level")]
    pub level: f64,
    /// Print a test of association under the table.
    #[serde(default)]
    pub test: bool,
    #[serde(default = "default_suppress")]
    pub suppress: u64,
    /// Weights declared in the spec (`[[weights]]`) to weight the percentages with.
    #[serde(default)]
    pub weights: Option<String>,
}

fn pct1(p: f64) -> String {
    fmt::percent_f64(p * 100.0, 1)
}

fn p_value(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".into()
    } else {
        format!("p={}", fmt::number_f64(p, 3))
    }
}

pub(crate) fn interval_text(i: Option<Interval>) -> String {
    match i {
        Some(i) => format!(
            "[{}, {}]",
            fmt::number_f64(i.lower * 100.0, 1),
            fmt::number_f64(i.upper * 100.0, 1)
        ),
        None => "—".into(),
    }
}

fn weight_set<'a>(
    cx: &Context<'a>,
    name: &Option<String>,
    dataset: &str,
) -> Result<Option<&'a WeightSet>, String> {
    match name {
        None => Ok(None),
        Some(n) => {
            let w = cx.weights.get(n).ok_or_else(|| {
                format!(
                    "no weights `{n}`; the spec declares {}",
                    cx.weights
                        .keys()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            if w.dataset != dataset {
                return Err(format!(
                    "weights `{n}` belong to dataset `{}`, not `{dataset}`",
                    w.dataset
                ));
            }
            Ok(Some(w))
        }
    }
}

fn chosen(v: &Value, o: usize) -> bool {
    v.includes(o)
}

impl Block for CrossTabBlock {
    fn crosstabs(&self) -> Vec<(String, CrossTabSpec)> {
        vec![(
            self.dataset.clone(),
            CrossTabSpec {
                row: self.row.clone(),
                col: self.col.clone(),
            },
        )]
    }

    fn declares(&self) -> Vec<(String, String)> {
        declare("tbl", &self.number)
    }

    // The cell loop reads several parallel arrays (counts, bases, weighted sums, suppression).
    #[allow(clippy::needless_range_loop)]
    fn render(&self, cx: &mut Context) -> Result<(), String> {
        let d = cx.dataset(&self.dataset)?;
        for q in [&self.row, &self.col] {
            match d.index.get(q) {
                None => return Err(format!("dataset `{}` has no question `{q}`", self.dataset)),
                Some(qq) if qq.identifying => {
                    return Err(format!(
                        "`{q}` identifies respondents; it is never tabulated"
                    ));
                }
                _ => {}
            }
        }
        check_level(self.level)?;
        let ws = weight_set(cx, &self.weights, &self.dataset)?;
        let ct = d
            .aggregate
            .crosstab(&d.index, &self.row, &self.col)
            .map_err(|e| e.to_string())?;
        let (nr, nc) = (ct.row_labels.len(), ct.col_labels.len());
        let (ri, ci) = (
            d.index.position(&self.row).expect("checked"),
            d.index.position(&self.col).expect("checked"),
        );
        let single = d.index.question(ri).kind.is_single() && d.index.question(ci).kind.is_single();
        // Weighted column percentages and their intervals, from the records.
        let mut wsums = vec![vec![ProportionSums::default(); nc]; nr];
        let mut cells = WeightedCells::new(nr, nc);
        if let Some(w) = ws {
            for (rec, &wt) in d.records.iter().zip(&w.raked.weights) {
                let (rv, cv) = (&rec.values[ri], &rec.values[ci]);
                if !(rv.is_answered() && cv.is_answered()) {
                    continue;
                }
                for c in (0..nc).filter(|&c| chosen(cv, c)) {
                    for (r, sums) in wsums.iter_mut().enumerate() {
                        sums[c].add(wt, chosen(rv, r));
                    }
                }
                if let (Value::Choice(r), Value::Choice(c)) = (rv, cv) {
                    cells.add(*r as usize, *c as usize, wt);
                }
            }
        }
        let sup = if self.suppress > 0 {
            Some(suppress(
                &ct.counts,
                &ct.row_bases,
                &ct.col_bases,
                self.suppress,
            ))
        } else {
            None
        };
        let hidden = |r: usize, c: usize| sup.as_ref().is_some_and(|s| s.hidden[r][c]);
        let small = format!("<{}", self.suppress);
        let number = cx.number("tbl", self.number.as_deref())?;
        let n = cx.doc.str(&number);
        let cap = cx.doc.str(&self.caption);
        let rq = d.index.question(ri).text.zh.clone();
        let mut header = vec![format!("[#{}]", cx.doc.str(&rq))];
        for (c, l) in ct.col_labels.iter().enumerate() {
            let base = if sup.as_ref().is_some_and(|s| s.hidden_col_totals[c]) {
                small.clone()
            } else {
                ct.col_bases[c].to_string()
            };
            header.push(format!("[#{}]", cx.doc.str(&format!("{l}\n(N={base})"))));
        }
        header.push(format!(
            "[#{}]",
            cx.doc.str(&format!("合计\n(N={})", ct.total))
        ));
        let mut body = Vec::new();
        for (r, label) in ct.row_labels.iter().enumerate() {
            body.push(format!("[#{}]", cx.doc.str(label)));
            for c in 0..nc {
                if hidden(r, c) {
                    body.push(format!("[#{}]", cx.doc.str(&small)));
                    continue;
                }
                let (value, interval) = match (self.show, ws) {
                    (Show::Count, _) => (ct.counts[r][c].to_string(), None),
                    (Show::RowPercent, _) => {
                        (fmt::percent(ct.counts[r][c], ct.row_bases[r], 1), None)
                    }
                    (Show::ColPercent, Some(_)) => {
                        let wp = wsums[r][c].finish();
                        (
                            wp.map(|p| pct1(p.estimate)).unwrap_or_else(|| "—".into()),
                            self.intervals
                                .map(|m| interval_text(wp.and_then(|p| p.interval(m, self.level)))),
                        )
                    }
                    (Show::ColPercent, None) => (
                        fmt::percent(ct.counts[r][c], ct.col_bases[c], 1),
                        self.intervals.map(|m| {
                            interval_text(intervals::interval(
                                m,
                                ct.counts[r][c],
                                ct.col_bases[c],
                                self.level,
                            ))
                        }),
                    ),
                };
                let v = cx.doc.str(&value);
                match interval {
                    Some(iv) => {
                        let iv = cx.doc.str(&iv);
                        body.push(format!(
                            "[#{v}\\ #text(size: 6.5pt, fill: luma(100), {iv})]"
                        ));
                    }
                    None => body.push(format!("[#{v}]")),
                }
            }
            let total = if sup.as_ref().is_some_and(|s| s.hidden_row_totals[r]) {
                small.clone()
            } else {
                match self.show {
                    Show::Count | Show::RowPercent => ct.row_bases[r].to_string(),
                    Show::ColPercent => fmt::percent(ct.row_bases[r], ct.total, 1),
                }
            };
            body.push(format!("[#{}]", cx.doc.str(&total)));
        }
        let cols = nc + 2;
        cx.doc.line(&format!(
            "#numbered(table, [#\"表\"], {n}, [#{cap}], table(columns: (1fr, {}), align: (left + horizon, {}), table.header({}), {})){}",
            vec!["auto"; cols - 1].join(", "),
            vec!["right + horizon"; cols - 1].join(", "),
            header.join(", "),
            body.join(", "),
            blocks::label_for("tbl", &number)
        ));
        // Notes: what the cells are, the test, the suppression.
        let mut notes = vec![match self.show {
            Show::ColPercent => "单元格为列百分比（占该列应答者的比例）".to_owned(),
            Show::RowPercent => "单元格为行百分比".to_owned(),
            Show::Count => "单元格为人数".to_owned(),
        }];
        if let Some(w) = ws {
            notes.push(format!("比例按权重“{}”加权，N为未加权人数", w.name));
        }
        if let Some(m) = self.intervals {
            notes.push(format!(
                "方括号内为{}%置信区间（{}{}）",
                fmt::number_f64(self.level * 100.0, 0),
                m.zh(),
                if ws.is_some() {
                    "，按设计效应调整"
                } else {
                    ""
                }
            ));
        }
        if self.test {
            let t = if !single {
                "多选题的选项互不排斥，不作卡方检验".to_owned()
            } else if let Some(w) = ws {
                let _ = w;
                match rao_scott(&cells) {
                    Some(rs) => format!(
                        "Rao–Scott二阶校正F={}，df=({}, {})，{}",
                        fmt::number_f64(rs.f_statistic, 2),
                        fmt::number_f64(rs.d0, 2),
                        fmt::number_f64(rs.d0 * (cells.n as f64 - 1.0), 1),
                        p_value(rs.f_p_value)
                    ),
                    None => "样本不足，无法检验".to_owned(),
                }
            } else {
                let table: Vec<Vec<f64>> = ct
                    .counts
                    .iter()
                    .map(|r| r.iter().map(|&v| v as f64).collect())
                    .collect();
                match pearson(&table) {
                    Some(chi) if chi.df == 1 && nr == 2 && nc == 2 => format!(
                        "Fisher精确检验{}（Pearson χ²={}，{}）",
                        p_value(fisher_2x2(
                            ct.counts[0][0],
                            ct.counts[0][1],
                            ct.counts[1][0],
                            ct.counts[1][1]
                        )),
                        fmt::number_f64(chi.statistic, 2),
                        p_value(chi.p_value)
                    ),
                    Some(chi) => format!(
                        "Pearson χ²={}，df={}，{}{}",
                        fmt::number_f64(chi.statistic, 2),
                        chi.df,
                        p_value(chi.p_value),
                        if chi.small_expected {
                            format!(
                                "；有期望频数小于5的单元格（最小{}），卡方近似可能不准确",
                                fmt::number_f64(chi.min_expected, 1)
                            )
                        } else {
                            String::new()
                        }
                    ),
                    None => "有效行或列不足两个，无法检验".to_owned(),
                }
            };
            notes.push(t);
        }
        if let Some(s) = &sup
            && s.total() > 0
        {
            notes.push(format!(
                "小格保护：{}个人数少于{}的单元格以“{small}”显示，另有{}个单元格为防止由合计反推而一并隐藏",
                s.primary, self.suppress, s.secondary
            ));
        }
        notes.push("N为同时回答两题的应答者".to_owned());
        let note = cx.doc.str(&(notes.join("；") + "。"));
        cx.doc.line(&format!("#block(above: -0.9em, below: 1.2em, width: 100%, align(left, text(font: sans, size: 7.5pt, fill: luma(110), {note})))"));
        cx.crosstabs.push(CrossTabEntry {
            number,
            dataset: self.dataset.clone(),
            title: self.caption.clone(),
            table: ct,
        });
        Ok(())
    }
}

/// A frequency table weighted to population margins, beside the unweighted one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedTable {
    pub dataset: String,
    pub question: String,
    pub weights: String,
    #[serde(default)]
    pub number: Option<String>,
    pub caption: String,
    #[serde(default)]
    pub order: Order,
    #[serde(default)]
    pub intervals: Method,
    #[serde(default = "default_level")]
    pub level: f64,
}

impl Block for WeightedTable {
    fn declares(&self) -> Vec<(String, String)> {
        declare("tbl", &self.number)
    }

    fn render(&self, cx: &mut Context) -> Result<(), String> {
        check_level(self.level)?;
        let t = frequency(cx, &self.dataset, &self.question, self.order)?;
        let ws = weight_set(cx, &Some(self.weights.clone()), &self.dataset)?.expect("named");
        let d = cx.dataset(&self.dataset)?;
        let qi = d.index.position(&self.question).expect("checked");
        let opts = d.index.question(qi).kind.options();
        let number = cx.number("tbl", self.number.as_deref())?;
        let n = cx.doc.str(&number);
        let cap = cx.doc.str(&self.caption);
        let h: Vec<String> = [
            "选项",
            "人数",
            "未加权比例",
            "加权比例",
            &format!("加权{}%置信区间", fmt::number_f64(self.level * 100.0, 0)),
        ]
        .iter()
        .map(|x| format!("[#{}]", cx.doc.str(x)))
        .collect();
        let mut body = Vec::new();
        for row in &t.rows {
            let o = opts
                .iter()
                .position(|x| x.code == row.code)
                .expect("same question");
            let mut s = ProportionSums::default();
            for (rec, &w) in d.records.iter().zip(&ws.raked.weights) {
                if rec.values[qi].is_answered() {
                    s.add(w, rec.values[qi].includes(o));
                }
            }
            let wp = s.finish();
            let cells = [
                row.label.clone(),
                row.count.to_string(),
                fmt::percent(row.count, t.base, 2),
                wp.map(|p| fmt::percent_f64(p.estimate * 100.0, 2))
                    .unwrap_or_else(|| "—".into()),
                interval_text(wp.and_then(|p| p.interval(self.intervals, self.level))),
            ];
            for c in cells {
                body.push(format!("[#{}]", cx.doc.str(&c)));
            }
        }
        cx.doc.line(&format!(
            "#numbered(table, [#\"表\"], {n}, [#{cap}], table(columns: (1fr, auto, auto, auto, auto), align: (left + horizon, right + horizon, right + horizon, right + horizon, right + horizon), table.header({}), {})){}",
            h.join(", "),
            body.join(", "),
            blocks::label_for("tbl", &number)
        ));
        let r = &ws.raked;
        let vars: Vec<String> = ws
            .spec
            .margins
            .keys()
            .map(|q| {
                d.index
                    .get(q)
                    .map(|qq| qq.text.zh.clone())
                    .unwrap_or_else(|| q.clone())
            })
            .collect();
        let note = format!(
            "加权方法：按{}的总体结构，对{}进行迭代比例拟合（raking），{}轮后收敛{}；Kish有效样本量{}（设计效应{}）。区间为{}法。N={}。",
            ws.spec.source,
            vars.join("、"),
            r.iterations + 1,
            if r.trimmed > 0 {
                format!("，{}个权重按上下限截尾", r.trimmed)
            } else {
                String::new()
            },
            fmt::number_f64(r.kish_n, 1),
            fmt::number_f64(r.deff, 2),
            self.intervals.zh(),
            t.base
        );
        let note = cx.doc.str(&note);
        cx.doc.line(&format!("#block(above: -0.9em, below: 1.2em, width: 100%, align(left, text(font: sans, size: 7.5pt, fill: luma(110), {note})))"));
        Ok(())
    }
}
