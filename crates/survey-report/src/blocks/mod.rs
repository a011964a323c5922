//! The built-in blocks, by family. Each computes printed elements; none draws.
//!
//! * [`front`]: cover, back cover, parts, headings, narrative, committee, contents, images;
//! * [`tables`]: frequency tables, charts, the figure-and-table of a question, numeric summaries;
//! * [`matrix`]: the rows of a matrix question as one table and one chart;
//! * [`ranking`]: a ranking question's scores and places as one table and one chart;
//! * [`inference`]: cross-tabs with intervals, tests and suppression; weighted tables;
//! * [`notes`]: the cleaning funnel, the methodology note, the data appendix;
//! * [`audit`]: the audit of a publication as an appendix.

pub mod audit;
pub mod front;
pub mod inference;
pub mod matrix;
pub mod notes;
pub mod ranking;
pub mod tables;
pub mod trend;

use serde::Deserialize;
use survey_aggregate::{FrequencyTable, RowOrder};
use survey_schema::Question;

use crate::block::Context;
use crate::dataset::Dataset;

/// How rows are ordered, as written in a spec.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// As the options stand in the questionnaire.
    #[default]
    Questionnaire,
    /// Scale order (ordinal questions are listed in scale order; the same as questionnaire).
    Natural,
    /// Most chosen first; 其他/无-style options last.
    CountDescending,
}

impl From<Order> for RowOrder {
    fn from(o: Order) -> RowOrder {
        match o {
            Order::Questionnaire => RowOrder::Questionnaire,
            Order::Natural => RowOrder::Natural,
            Order::CountDescending => RowOrder::CountDescending,
        }
    }
}

impl Order {
    /// The order in words, for the methodology note.
    pub fn zh(self) -> &'static str {
        match self {
            Order::Questionnaire | Order::Natural => "按问卷中的选项顺序（有序量表按量级顺序）",
            Order::CountDescending => "按选择人数从多到少排列（“其他”“无”一类选项如有，列于最后）",
        }
    }
}

/// How a printed table's rows run, as the methodology states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// As the options stand in the questionnaire (scales in scale order).
    Questionnaire,
    /// Most chosen first.
    CountDescending,
    /// A ranking's options, highest score first.
    Score,
}

impl From<Order> for Listed {
    fn from(o: Order) -> Listed {
        match o {
            Order::Questionnaire | Order::Natural => Listed::Questionnaire,
            Order::CountDescending => Listed::CountDescending,
        }
    }
}

/// A question of a dataset that may be tabulated.
pub(crate) fn tabulable<'a>(
    d: &'a Dataset,
    dataset: &str,
    qid: &str,
) -> Result<&'a Question, String> {
    let q = d
        .index
        .get(qid)
        .ok_or_else(|| format!("dataset `{dataset}` has no question `{qid}`"))?;
    if q.identifying {
        return Err(format!(
            "`{qid}` identifies respondents; it is never tabulated"
        ));
    }
    Ok(q)
}

/// The frequency table of a question, with the dataset's name and the dataset.
pub(crate) fn frequency<'a>(
    cx: &mut Context<'a>,
    dataset: Option<&str>,
    question: &str,
    order: Order,
) -> Result<(&'a str, &'a Dataset, FrequencyTable), String> {
    let (name, d) = cx.dataset(dataset)?;
    tabulable(d, name, question)?;
    let t = d
        .aggregate
        .frequency(&d.index, question, order.into())
        .map_err(|e| e.to_string())?;
    Ok((name, d, t))
}

/// A spec field that is on unless turned off.
pub(crate) fn yes() -> bool {
    true
}

/// One element alone, or several (a chart and its table) kept together on a page.
pub(crate) fn together(mut elements: Vec<survey_print::Element>) -> survey_print::Element {
    if elements.len() == 1 {
        elements.pop().expect("one element")
    } else {
        survey_print::Element::KeepTogether(elements)
    }
}

/// To whom a question is shown, in words, when its display condition is on one earlier
/// question: `只向在“已上线的系统”一题中选择“移动护理”或“护理病历”的应答者显示`, or, for most of
/// its options, `…选择了“以上都没有”以外选项的…` (trial 45: notes said how many did not
/// see a question, never why). None for conditions of several questions.
pub(crate) fn shown_to(index: &survey_schema::Index, question: &str) -> Option<String> {
    use survey_schema::Condition;
    let q = index.get(question)?;
    let (on, chosen): (&str, Vec<&str>) = match q.show_if.as_ref()? {
        Condition::Chosen { question, option } => (question, vec![option.as_str()]),
        Condition::AnyChosen { question, options } => {
            (question, options.iter().map(String::as_str).collect())
        }
        Condition::Answered { question } => {
            let p = index.get(question)?;
            return Some(format!(
                "只向回答了“{}”一题的应答者显示",
                survey_schema::title(&p.text.zh)
            ));
        }
        Condition::Not(_) | Condition::All(_) | Condition::Any(_) => return None,
    };
    let p = index.get(on)?;
    let options = p.kind.options();
    let label = |code: &str| {
        options
            .iter()
            .find(|o| o.code == code)
            .map(|o| format!("“{}”", o.label.zh))
    };
    let named: Vec<String> = chosen.iter().map(|c| label(c)).collect::<Option<_>>()?;
    let others: Vec<String> = options
        .iter()
        .filter(|o| !chosen.contains(&o.code.as_str()))
        .map(|o| format!("“{}”", o.label.zh))
        .collect();
    let which = if named.len() > 2 && !others.is_empty() && named.len() > others.len() {
        format!("选择了{}以外选项", others.join("、"))
    } else {
        format!("选择{}", named.join("或"))
    };
    Some(format!(
        "只向在“{}”一题中{which}的应答者显示",
        survey_schema::title(&p.text.zh)
    ))
}

/// `未显示3人、未作答2人`: who of the respondents a question did not reach, or nothing.
pub(crate) fn unreached(not_shown: u64, skipped: u64) -> Option<String> {
    let parts: Vec<String> = [
        (not_shown > 0).then(|| format!("未显示{not_shown}人")),
        (skipped > 0).then(|| format!("未作答{skipped}人")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join("、"))
}

/// A numbered table, with its chart above it when there is one (described for its alt text),
/// kept together on a page.
pub(crate) fn chart_and_table(
    cx: &mut Context,
    chart: Option<survey_print::PrintedFigure>,
    table: survey_print::PrintedTable,
) {
    let mut pair = Vec::new();
    if let Some(mut f) = chart {
        f.alt = f.describe();
        pair.push(survey_print::Element::Figure(Box::new(f)));
    }
    pair.push(survey_print::Element::Table(Box::new(table)));
    cx.push(together(pair));
}

/// End the last of a table's notes with a full stop (the notes print joined with `；`).
pub(crate) fn full_stop(notes: &mut [String]) {
    if let Some(last) = notes.last_mut() {
        last.push('。');
    }
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

#[cfg(test)]
mod tests {
    use super::shown_to;

    #[test]
    fn a_display_condition_on_one_question_is_said_in_words() {
        let q = serde_json::json!({
            "id": "t", "title": "T", "organisation": "CHIMA", "year": 2026, "language": "zh-CN",
            "sections": [{"id": "s", "title": "S", "questions": [
                {"id": "sys", "text": "贵院已上线哪些系统？", "kind": "multiple_choice", "options": [
                    {"code": "a", "label": "移动护理"}, {"code": "b", "label": "护理病历"},
                    {"code": "c", "label": "护理质控"}, {"code": "none", "label": "以上都没有", "exclusive": true}]},
                {"id": "most", "text": "满意度", "kind": "single_choice",
                 "options": [{"code": "y", "label": "满意"}, {"code": "n", "label": "不满意"}],
                 "show_if": {"any_chosen": {"question": "sys", "options": ["a", "b", "c"]}}},
                {"id": "few", "text": "移动护理覆盖率", "kind": "single_choice",
                 "options": [{"code": "y", "label": "全覆盖"}, {"code": "n", "label": "部分"}],
                 "show_if": {"chosen": {"question": "sys", "option": "a"}}},
                {"id": "both", "text": "其他", "kind": "single_choice",
                 "options": [{"code": "y", "label": "是"}, {"code": "n", "label": "否"}],
                 "show_if": {"not": {"chosen": {"question": "sys", "option": "a"}}}}
            ]}]
        });
        let index =
            survey_schema::parse_questionnaire(&q.to_string(), std::path::Path::new("q.json"))
                .unwrap();
        assert_eq!(
            shown_to(&index, "most").unwrap(),
            "只向在“医院已上线的系统”一题中选择了“以上都没有”以外选项的应答者显示"
        );
        assert_eq!(
            shown_to(&index, "few").unwrap(),
            "只向在“医院已上线的系统”一题中选择“移动护理”的应答者显示"
        );
        assert_eq!(shown_to(&index, "both"), None);
        assert_eq!(shown_to(&index, "sys"), None);
    }
}
