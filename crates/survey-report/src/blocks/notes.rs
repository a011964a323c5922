//! Notes on the data: the cleaning funnel, the methodology note (with the files the report was
//! built from), and the data appendix.

use std::collections::HashMap;

use serde::Deserialize;
use survey_aggregate::RowOrder;
use survey_print::{
    Cell, CellValue, Column, ColumnKind, Element, Inline, NumberKind, PrintedRow, PrintedTable,
    TableKind,
};

use super::{Listed, Order};
use crate::block::{Block, Context, Deferred};

/// The cleaning funnel of a dataset: collected → excluded per rule → valid.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Funnel {
    #[serde(default)]
    pub dataset: Option<String>,
    #[serde(default)]
    pub number: Option<String>,
    /// Absent: «数据清洗过程», and when the report has several datasets, the questionnaire's
    /// title after it, so that two funnels (two waves, say) are told apart.
    #[serde(default)]
    pub caption: Option<String>,
}

/// `−21` (a true minus sign) for a step that removed 21 submissions; `0` when it removed none.
fn removed(n: u64) -> Cell {
    Cell {
        text: if n == 0 {
            "0".into()
        } else {
            format!("−{n}")
        },
        value: CellValue::Count { count: n },
        interval: None,
    }
}

impl Block for Funnel {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let (name, d) = cx.dataset(self.dataset.as_deref())?;
        let f = &d.cleaning.funnel;
        let number = cx.number(self.number.as_deref(), &[NumberKind::Table], &[])?;
        let columns = vec![
            Column::new("步骤", ColumnKind::Label),
            Column::new("剔除", ColumnKind::Count),
            Column::new("答卷数", ColumnKind::Count),
        ];
        let mut rows = vec![PrintedRow::new(vec![
            Cell::text("收集答卷"),
            Cell::text(""),
            Cell::count(f.collected),
        ])];
        for s in &f.steps {
            let mut label = s.description.clone();
            if s.flagged > 0 {
                label.push_str(&format!("（另标记{}份）", s.flagged));
            }
            rows.push(PrintedRow::option(
                s.rule.name(),
                vec![Cell::text(label), removed(s.excluded), Cell::text("")],
            ));
        }
        rows.push(PrintedRow::total(vec![
            Cell::text("有效答卷"),
            Cell::text(""),
            Cell::count(f.valid),
        ]));
        let t = PrintedTable {
            number: Some(number),
            caption: Some(match &self.caption {
                Some(c) => c.clone(),
                None if cx.datasets.len() > 1 => {
                    format!("数据清洗过程：{}", d.index.questionnaire().title.zh.trim())
                }
                None => "数据清洗过程".into(),
            }),
            dataset: Some(name.to_owned()),
            rows,
            ..PrintedTable::new(TableKind::Funnel, columns)
        };
        cx.push(Element::Table(Box::new(t)));
        Ok(())
    }
}

/// The methodology note: data and cleaning, how each base is defined, provenance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Methodology {
    /// What the data are (e.g. that they are synthetic), printed first.
    pub data_note: String,
}

fn sub(cx: &mut Context, t: &str) {
    cx.push(Element::Heading {
        level: 2,
        title: t.to_owned(),
        outlined: false,
        new_page: false,
    });
}

fn para(cx: &mut Context, t: impl Into<String>) {
    cx.push(Element::Paragraph(vec![Inline::text(t)]));
}

impl Block for Methodology {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        para(cx, &self.data_note);
        sub(cx, "数据与清洗");
        for (name, d) in cx.datasets.iter() {
            let f = &d.cleaning.funnel;
            let enc = d
                .source
                .encoding
                .map(|e| match e {
                    // In the report's language (trial 46 found «UTF-8 with BOM» printed).
                    survey_import::encoding::TextEncoding::Utf8Bom => {
                        "，带BOM的UTF-8编码".to_owned()
                    }
                    e => format!("，编码{}", e.name()),
                })
                .unwrap_or_default();
            let file = d
                .source
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let title = &d.index.questionnaire().title.zh;
            let _ = name;
            let mut text = format!(
                "《{title}》的答卷读自{file}（{}格式，{}{enc}），共{}份。",
                d.source.format.name(),
                d.source.layout.zh(),
                f.collected
            );
            let steps: Vec<String> = f
                .steps
                .iter()
                .filter(|s| s.excluded > 0 || s.flagged > 0)
                .map(|s| {
                    let mut t = format!("{}，剔除{}份", s.description, s.excluded);
                    if s.flagged > 0 {
                        t.push_str(&format!("、标记{}份", s.flagged));
                    }
                    t
                })
                .collect();
            if steps.is_empty() {
                text.push_str(&format!(
                    "清洗规则没有剔除任何答卷，有效答卷{}份。",
                    f.valid
                ));
            } else {
                text.push_str(&format!(
                    "清洗规则依次剔除：{}；得到有效答卷{}份。",
                    steps.join("；"),
                    f.valid
                ));
            }
            // Answers to a number question typed otherwise (约800张) and read as the mapping
            // says: the reader is told how many and how they were read, never what was typed
            // (a typed answer can name the hospital: 430（某某医院本部）).
            let typed: Vec<String> = d
                .number_answers
                .iter()
                .filter_map(|(qid, readings)| {
                    let q = d.index.position(qid).map(|i| d.index.question(i))?;
                    let read = readings.values().filter(|v| v.is_some()).count();
                    let unread = readings.len() - read;
                    let how = match (read, unread) {
                        (_, 0) => "均按映射中的约定读作数值".to_owned(),
                        (0, _) => "均视为未作答".to_owned(),
                        (r, u) => format!("{r}种按映射中的约定读作数值，{u}种视为未作答"),
                    };
                    Some(format!(
                        "“{}”有{}种以文字填写的答案，{how}",
                        survey_schema::title(&q.text.zh),
                        readings.len(),
                    ))
                })
                .collect();
            if !typed.is_empty() {
                text.push_str(&format!(
                    "数值题中，{}；原文只记在映射文件中，不在报告中列出，以免泄露应答者的信息。",
                    typed.join("；")
                ));
            }
            para(cx, text);
        }
        if !cx.waves.is_empty() {
            sub(cx, "跨期比较");
            let texts: Vec<String> = cx
                .waves
                .values()
                .map(|w| {
                    let mut t = wave_paragraph(w);
                    // Two waves cleaned by other rules (a threshold guessed apart for each
                    // draft) count other submissions: the reader is told (trial 35).
                    if let Some(earlier) = w.earlier_dataset()
                        && let (Some(now), Some(then)) =
                            (cx.datasets.get(&w.dataset), cx.datasets.get(earlier))
                    {
                        let rules = |d: &crate::Dataset| -> Vec<String> {
                            d.cleaning
                                .funnel
                                .steps
                                .iter()
                                .map(|s| s.description.clone())
                                .collect()
                        };
                        let (a, b) = (rules(now), rules(then));
                        let only = |label: &str, x: &[String], y: &[String]| {
                            let v: Vec<String> = x
                                .iter()
                                .filter(|r| !y.contains(r))
                                .map(|r| format!("“{r}”"))
                                .collect();
                            (!v.is_empty())
                                .then(|| format!("只用于{label}的规则为{}", v.join("、")))
                        };
                        let differ: Vec<String> =
                            [only(&w.current_label, &a, &b), only(&w.label, &b, &a)]
                                .into_iter()
                                .flatten()
                                .collect();
                        if !differ.is_empty() {
                            t.push_str(&format!(
                                "两次调查的清洗规则有所不同，比较时请留意：{}。",
                                differ.join("；")
                            ));
                        }
                    }
                    t
                })
                .collect();
            for t in texts {
                para(cx, t);
            }
        }
        sub(cx, "基数与比例");
        for t in [
            "各表表头中的N为该题的基数：看到该题并作答的有效应答者人数。因显示条件未看到该题的应答者（未显示）与看到但未作答的应答者（未作答）均不计入基数；如有此类情况，表下注明人数。",
            "单选题各选项比例之和为100%（各项四舍五入后合计可能相差0.01个百分点）；多选题的比例为选择该项的应答者占基数的比例，各项之和可超过100%。所有比例由人数与基数直接计算，按四舍五入保留两位小数；正文中几个选项的合计比例由合计人数计算，而非由各项的舍入值相加。",
        ] {
            para(cx, t);
        }
        cx.push_deferred(Deferred::Orders, Element::Paragraph(Vec::new()));
        match (cx.weights.is_empty(), cx.protected.is_empty()) {
            (false, false) => sub(cx, "加权与小格保护"),
            (false, true) => sub(cx, "加权"),
            (true, false) => sub(cx, "小格保护"),
            (true, true) => {}
        }
        for w in cx.weights.values() {
            let d = &cx.datasets[&w.dataset];
            let vars: Vec<String> = w
                .spec
                .margins
                .keys()
                .map(|q| {
                    d.index
                        .get(q)
                        .map(|x| format!("“{}”", survey_schema::title(&x.text.zh)))
                        .unwrap_or_else(|| q.clone())
                })
                .collect();
            para(
                cx,
                format!(
                    "权重“{}”按{}的结构，对{}进行raking校准（与R survey包calibrate函数的raking方法相同）：{}加权后各类别的比例与总体一致，达不到时不生成报告（或在用到权重的表下注明）。加权比例的置信区间与检验采用{}；某一子群（如某一级别）的比例在整个样本的设计中估计。",
                    w.label,
                    w.spec.source,
                    vars.join("、"),
                    match w.spec.bounds {
                        Some([lo, hi]) => format!(
                            "每个权重限制在平均权重的{}至{}倍之间，同时",
                            survey_print::fmt::number_f64(lo, 2),
                            survey_print::fmt::number_f64(hi, 2)
                        ),
                        None => "不设权重上下限，".to_owned(),
                    },
                    w.variance.zh()
                ),
            );
        }
        if !cx.protected.is_empty() {
            // What can give a hidden count away: weighted figures only where there are weights.
            let leaks = if cx.weights.is_empty() {
                "精确的检验统计量也可能泄露被隐藏的人数，因此只给出p值所在的区间，仍会泄露时不给出。"
            } else {
                "同一选项按不同权重相加的加权比例和加权合计，以及精确的检验统计量，也可能泄露被隐藏的人数：前者在所有表中一并隐藏，后者只给出p值所在的区间，仍会泄露时不给出。"
            };
            para(
                cx,
                format!(
                    "交叉表中人数少于阈值（一般为5）的单元格以“<5”显示，并隐藏必要的其他单元格（以“×”显示），使被隐藏的人数无法由合计反推；人数为0的单元格照常显示。{leaks}生成报告时，把所有印出的数字放在一起，以整数线性规划和穷举检验确认每个被隐藏的单元格都不能被唯一推算，否则报告不予生成。"
                ),
            );
        }
        sub(cx, "来源与可复现性");
        let prov = cx.provenance.clone();
        para(
            cx,
            format!(
                "本报告由 CHIMA 调查工具包 {} 从报告文件夹中的问卷、原始导出、清洗规则与正文文件自动生成，排版使用 {}。相同的输入文件生成逐字节相同的PDF与表格文件。报告读取的各输入文件及其SHA-256校验值如下：",
                prov.toolkit, prov.typst
            ),
        );
        let table = PrintedTable {
            compact: true,
            ..PrintedTable::new(
                TableKind::Provenance,
                vec![
                    Column::new("文件", ColumnKind::Label),
                    Column::new("SHA-256", ColumnKind::Code),
                ],
            )
        };
        cx.push_deferred(Deferred::Provenance, Element::Table(Box::new(table)));
        Ok(())
    }
}

/// What an earlier wave is compared on, and what of it is not: every choice question of the
/// earlier questionnaire that no question of this wave is linked to is named (dropped, or
/// changed beyond comparison), so that nothing of the earlier survey goes missing unsaid.
fn wave_paragraph(w: &crate::waves::Wave) -> String {
    let crosswalk = &w.links.crosswalk;
    let linked: std::collections::HashSet<&str> = crosswalk
        .questions
        .values()
        .filter_map(|l| l.from.as_deref())
        .collect();
    let choices: Vec<&survey_schema::Question> = w
        .earlier
        .questions()
        .iter()
        .filter(|q| q.kind.is_choice())
        .collect();
    let unlinked: Vec<String> = choices
        .iter()
        .filter(|q| !linked.contains(q.id.as_str()))
        .map(|q| format!("“{}”", survey_schema::title(&q.text.zh)))
        .collect();
    let new = crosswalk
        .questions
        .values()
        .filter(|l| l.from.is_none())
        .count();
    let mut t = format!(
        "与{}调查比较的数字取自{}，两次调查的问题与选项按对照表逐一对应：本次有{}题与{}的问题对应",
        w.label,
        w.source_note,
        linked.len(),
        w.label
    );
    if new > 0 {
        t.push_str(&format!("，{new}题为本次新增"));
    }
    t.push('。');
    if unlinked.is_empty() {
        t.push_str(&format!("{}调查的选择题均有对应。", w.label));
    } else {
        t.push_str(&format!(
            "{}调查的{}道选择题中，以下{}题本次未再询问或题型已变，不作比较：{}。",
            w.label,
            choices.len(),
            unlinked.len(),
            unlinked.join("、")
        ));
    }
    t.push_str("选项有增减、改名或合并的，在比较表下注明；新增的选项不与上次比较。");
    t
}

/// The paragraph that states how the rows of the report's tables and figures are ordered.
/// `short_axes`: the figures (as `图3.4.3`) whose percent axis ends below 100%, with where it
/// ends.
pub(crate) fn orders_paragraph(
    all: &[(Listed, NumberKind, String)],
    short_axes: &[(String, f64)],
) -> Element {
    let mut text = String::from("表中选项顺序：");
    let numbered = |l: Listed| -> Vec<String> {
        all.iter()
            .filter(|(o, _, _)| *o == l)
            .map(|(_, k, n)| format!("{}{n}", k.zh()))
            .collect()
    };
    let by_count = numbered(Listed::CountDescending);
    let by_score = numbered(Listed::Score);
    let orders: Vec<&(Listed, NumberKind, String)> =
        all.iter().filter(|(o, _, _)| *o != Listed::Score).collect();
    // A ranking's options are listed by score; the other tables are named apart from them.
    let all_of = if by_score.is_empty() {
        "各表、图"
    } else {
        text.push_str(&format!(
            "排序题{}的选项按综合得分从高到低排列",
            by_score.join("、")
        ));
        text.push_str(if orders.is_empty() { "。" } else { "；" });
        "其余各表、图"
    };
    if orders.is_empty() {
        if by_score.is_empty() {
            text.push_str("本报告没有选项表。");
        }
    } else if by_count.is_empty() {
        text.push_str(&format!("{all_of}均{}。", Order::Questionnaire.zh()));
    } else if by_count.len() == orders.len() {
        text.push_str(&format!("{all_of}均{}。", Order::CountDescending.zh()));
    } else {
        text.push_str(&format!(
            "{all_of}{}；{}{}。",
            Order::Questionnaire.zh(),
            by_count.join("、"),
            Order::CountDescending.zh()
        ));
    }
    if short_axes.is_empty() {
        text.push_str("以百分比绘制的图，坐标轴一律从0%到100%，便于各图之间比较长短。");
    } else {
        // Grouped by where the axis ends: 图2.1.1、图2.3.1止于20%，图3.4.3止于40%.
        let mut ends: Vec<(f64, Vec<&str>)> = Vec::new();
        for (fig, max) in short_axes {
            match ends.iter_mut().find(|(m, _)| m == max) {
                Some((_, figs)) => figs.push(fig),
                None => ends.push((*max, vec![fig])),
            }
        }
        ends.sort_by(|a, b| a.0.total_cmp(&b.0));
        let parts: Vec<String> = ends
            .iter()
            .map(|(max, figs)| {
                format!(
                    "{}止于{}%",
                    figs.join("、"),
                    survey_print::fmt::number_f64(*max, 0)
                )
            })
            .collect();
        text.push_str(&format!(
            "以百分比绘制的图，坐标轴一般从0%到100%，便于各图之间比较长短；各项比例都较小的图，坐标轴提前截止（{}），以免条形过短，比较时请留意刻度。",
            parts.join("，")
        ));
    }
    Element::Paragraph(vec![Inline::text(text)])
}

/// The rows of the provenance table: every file read, with its SHA-256. File names break
/// after `_`, `-`, `/` and `.` so that long export names wrap instead of running off the page.
pub(crate) fn provenance_rows(reads: &[(String, String)]) -> Vec<PrintedRow> {
    reads
        .iter()
        .map(|(f, h)| {
            let mut shown = String::new();
            for c in f.chars() {
                shown.push(c);
                if matches!(c, '_' | '-' | '/' | '.') {
                    shown.push('\u{200B}');
                }
            }
            PrintedRow::new(vec![Cell::text(shown), Cell::text(h)])
        })
        .collect()
}

/// Every question of every dataset with its base: the data appendix.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataAppendix {
    #[serde(default)]
    pub datasets: Option<Vec<String>>,
}

impl Block for DataAppendix {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let names: Vec<String> = match &self.datasets {
            Some(v) => v.clone(),
            None => cx.datasets.keys().cloned().collect(),
        };
        for name in names {
            let (name, d) = cx.dataset(Some(&name))?;
            // The dataset's name tells questionnaires apart; with one, the title alone.
            let title = &d.index.questionnaire().title.zh;
            let heading = if cx.datasets.len() > 1 {
                format!("各题基数：{title}（{name}）")
            } else {
                format!("各题基数：{title}")
            };
            sub(cx, &heading);
            // Questions go by their number in the download (题号) when the mapping gives
            // them one, as the questionnaire and its download number them.
            let numbered = d
                .index
                .questions()
                .iter()
                .any(|q| d.numbers.contains_key(&q.id));
            let mut rows = Vec::new();
            for (i, q) in d.index.questions().iter().enumerate() {
                let kind = match q.kind {
                    _ if d.ranking_of(&q.id).is_some() => "名次（排序）",
                    survey_schema::QuestionKind::SingleChoice { .. } => "单选",
                    survey_schema::QuestionKind::Ordinal { .. } => "单选（有序）",
                    survey_schema::QuestionKind::MultipleChoice { .. } => "多选",
                    survey_schema::QuestionKind::Integer { .. }
                    | survey_schema::QuestionKind::Number { .. } => "数值",
                    survey_schema::QuestionKind::Text { .. } => "填空",
                };
                let dash = || Cell::text("—");
                let (base, ns, sk) = if q.identifying {
                    (dash(), dash(), dash())
                } else if q.kind.is_choice() {
                    let t = d
                        .aggregate
                        .frequency(&d.index, &q.id, RowOrder::Questionnaire)
                        .map_err(|e| e.to_string())?;
                    (
                        Cell::count(t.base),
                        Cell::count(t.not_shown),
                        Cell::count(t.skipped),
                    )
                } else if matches!(
                    q.kind,
                    survey_schema::QuestionKind::Integer { .. }
                        | survey_schema::QuestionKind::Number { .. }
                ) {
                    let s = d
                        .aggregate
                        .numeric(&d.index, &q.id)
                        .map_err(|e| e.to_string())?;
                    (
                        Cell::count(s.n),
                        Cell::count(s.not_shown),
                        Cell::count(s.skipped),
                    )
                } else {
                    (dash(), dash(), dash())
                };
                let text = if q.identifying {
                    format!("{}（识别信息，不作统计）", q.text.zh)
                } else {
                    q.text.zh.clone()
                };
                rows.push(PrintedRow::option(
                    &q.id,
                    vec![
                        if numbered {
                            Cell::text(d.numbers.get(&q.id).map_or("—", String::as_str))
                        } else {
                            Cell::count(i as u64 + 1)
                        },
                        Cell::text(text),
                        Cell::text(&q.id),
                        Cell::text(kind),
                        base,
                        ns,
                        sk,
                    ],
                ));
            }
            let t = PrintedTable {
                dataset: Some(name.to_owned()),
                rows,
                compact: true,
                ..PrintedTable::new(
                    TableKind::Variables,
                    vec![
                        if numbered {
                            Column::new("题号", ColumnKind::Tag)
                        } else {
                            Column::new("序", ColumnKind::Count)
                        },
                        Column::new("题目", ColumnKind::Label),
                        Column::new("题目标识", ColumnKind::Code),
                        Column::new("题型", ColumnKind::Tag),
                        Column::new("N", ColumnKind::Count),
                        Column::new("未显示", ColumnKind::Count),
                        Column::new("未作答", ColumnKind::Count),
                    ],
                )
            };
            cx.push(Element::Table(Box::new(t)));
            if !d.rankings.is_empty() {
                cx.push(Element::Paragraph(vec![Inline::text(
                    "题型为“名次（排序）”的各题是排序题的选项，记该选项被排在第几位；N为排了该项的应答者。作答了排序题而未排入该项的，数据文件记为“未排入”（−1），本表与未作答排序题的一并计入“未作答”一栏。",
                )]));
            }
        }
        Ok(())
    }
}

/// The codebook of the respondent-level data files (`cargo xtask export-data`): every variable
/// with its name in the `.sav`, `.dta` and Parquet files, its label, its codes and labels, and
/// the missing codes. Identifying questions, which the files leave out, are not listed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodebookBlock {
    #[serde(default)]
    pub dataset: Option<String>,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
}

impl Block for CodebookBlock {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let (name, d) = cx.dataset(self.dataset.as_deref())?;
        sub(
            cx,
            &if cx.datasets.len() > 1 {
                format!("数据文件（{name}）")
            } else {
                "数据文件".to_owned()
            },
        );
        let weights: Vec<survey_microdata::WeightColumn> = cx
            .weights
            .values()
            .filter(|w| w.dataset == name)
            .map(|w| survey_microdata::WeightColumn {
                name: format!("w_{}", w.name),
                label: format!("权重“{}”", w.label),
                weight: Box::new(|_| 1.0),
            })
            .collect();
        // What a weight variable sums to: margins given as shares give weights that average
        // 1; margins given as population counts, weights that add up to the population.
        let scale: HashMap<String, String> = cx
            .weights
            .values()
            .filter(|w| w.dataset == name)
            .map(|w| {
                let (n, total) = w.total();
                let text = if w.average_one() {
                    "权重（平均为1）".to_owned()
                } else {
                    format!(
                        "权重（合计{}，为总体规模；平均{}）",
                        survey_print::fmt::grouped(total, 0, 5),
                        survey_print::fmt::number_f64(total / n as f64, 2)
                    )
                };
                (format!("w_{}", w.name), text)
            })
            .collect();
        // The variables do not depend on the answers: flatten no records.
        let no_records: &[survey_schema::Record] = &[];
        let rankings: Vec<Vec<String>> = d.rankings.iter().map(|(_, qs)| qs.clone()).collect();
        let export =
            survey_microdata::flatten_ranked(&d.index, no_records, false, weights, &rankings)?;
        let number = cx.number(self.number.as_deref(), &[NumberKind::Table], &[])?;
        let rows = export
            .vars
            .iter()
            .map(|v| {
                use survey_microdata::Role;
                let values = match v.role {
                    Role::Id => "答卷编号".to_owned(),
                    Role::Weight => scale
                        .get(&v.name)
                        .cloned()
                        .unwrap_or_else(|| "权重".to_owned()),
                    Role::Number => "数值".to_owned(),
                    Role::Text | Role::OtherText => "文本".to_owned(),
                    Role::Choice | Role::Dichotomy => v
                        .value_labels
                        .iter()
                        .map(|(c, l)| format!("{c}={l}"))
                        .collect::<Vec<_>>()
                        .join("；"),
                };
                use survey_microdata::Measure;
                let kind = match (v.role, v.measure) {
                    (Role::Id, _) => "标识",
                    (Role::Weight, _) => "权重",
                    (Role::Dichotomy, _) => "多选（0/1）",
                    (Role::Choice, Measure::Ordinal) => "有序单选",
                    (Role::Choice, _) => "单选",
                    (Role::Number, _) if v.is_place() => "名次（排序）",
                    (Role::Number, _) => "数值",
                    (Role::Text, _) => "文本",
                    (Role::OtherText, _) => "“其他”文本",
                };
                // The base: respondents who answered the question (a multiple-choice
                // question's dichotomies share it); the id and weights cover everyone.
                let base = match (v.role, &v.question) {
                    (Role::Id | Role::Weight, _) => Some(d.aggregate.records()),
                    (Role::OtherText, _) | (_, None) => None,
                    (_, Some(q)) => Some(
                        d.aggregate
                            .answered(&d.index, q)
                            .map_err(|e| e.to_string())?
                            .base,
                    ),
                };
                Ok(PrintedRow::new(vec![
                    Cell::text(&v.name),
                    Cell::text(&v.label),
                    Cell::text(kind),
                    Cell::text(values),
                    Cell::text(match (v.has_missing, v.is_place()) {
                        (true, true) => "−3，−2，−1",
                        (true, false) => "−3，−2",
                        _ => "—",
                    }),
                    base.map_or_else(|| Cell::text("—"), Cell::count),
                ]))
            })
            .collect::<Result<Vec<_>, String>>()?;
        // The questions that identify respondents, by their titles: left out of the files.
        let identifying: Vec<String> = d
            .index
            .questions()
            .iter()
            .filter(|q| q.identifying)
            .map(|q| format!("“{}”", survey_schema::title(&q.text.zh)))
            .collect();
        let table = PrintedTable {
            number: Some(number),
            caption: Some(self.caption.clone().unwrap_or_else(|| {
                format!("数据文件变量表：{}", d.index.questionnaire().title.zh)
            })),
            dataset: Some(name.to_owned()),
            rows,
            notes: vec![
                format!(
                    "数据文件有SPSS、Stata和Parquet三种格式（{}.sav、{}.dta、{}.parquet，另附{}.codebook.json），各格式的变量名相同",
                    name, name, name, name
                ),
                "缺失值：−3（Stata 为 .a）表示因显示条件未看到该题，−2（.b）表示看到但未作答；Parquet 中二者为空值，并在该题的 __status 列中注明".into(),
                "多选题每个选项为一个0/1变量，同题各变量组成SPSS多重响应集，共用该题的有效人数".into(),
                "数据文件逐份记录答卷，不做小格保护：报告表中隐藏的人数可由其算出，提供给调查组以外的人员前应先评估识别风险".into(),
                if identifying.is_empty() {
                    "数据文件只含上表所列变量。".into()
                } else {
                    format!(
                        "可识别应答者的{}不写入数据文件。",
                        identifying.join("、")
                    )
                },
            ],
            ..PrintedTable::new(
                TableKind::Variables,
                vec![
                    Column::new("变量名", ColumnKind::Code),
                    Column::new("标签", ColumnKind::Label),
                    Column::new("类型", ColumnKind::Tag),
                    Column::new("取值与标签", ColumnKind::Label),
                    Column::new("缺失值", ColumnKind::Tag),
                    Column::new("有效人数", ColumnKind::Count),
                ],
            )
        };
        // Only a dataset with rankings has the third missing code.
        let mut table = table;
        if !d.rankings.is_empty() {
            table.notes.insert(
                3,
                "排序题每个选项为一个变量，记该选项被排在第几位；应答者作答了该排序题但未排入该选项的，记为−1（.c，未排入）".into(),
            );
        }
        cx.push(Element::Table(Box::new(table)));
        Ok(())
    }
}
