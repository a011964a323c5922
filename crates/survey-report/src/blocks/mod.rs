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
