//! The printed-table and figure model, and `tables.json`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fmt;

/// What a table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// Counts and shares of one choice question.
    Frequency,
    /// n, mean, quartiles and extremes of numeric questions.
    NumericSummary,
    /// A question by a categorical question.
    CrossTab,
    /// A question weighted to population margins beside the unweighted shares.
    Weighted,
    /// Raking targets against achieved shares.
    Weighting,
    /// A question compared across survey waves.
    Trend,
    /// The cleaning funnel.
    Funnel,
    /// Every variable of a dataset (codebook / data appendix).
    Variables,
    /// Input files and their checksums.
    Provenance,
    /// Findings of a publication audit.
    Audit,
    /// The rows of a matrix question, each with its shares of the same options.
    Matrix,
    /// A ranking question: each option's score and the places it was given.
    Ranking,
}

/// What a column holds; the drawer chooses width and alignment from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Row labels (options, steps): takes the remaining width, left-aligned.
    Label,
    /// Running text in a cell: takes a share of the width, left-aligned.
    Text,
    /// A short code or identifier (question id, checksum), left-aligned, small.
    Code,
    /// A short word (a question's kind), left-aligned, as wide as it needs.
    Tag,
    Count,
    Percent,
    Interval,
    Number,
}

impl ColumnKind {
    /// Whether cells of this kind are numbers (right-aligned).
    pub fn numeric(self) -> bool {
        matches!(
            self,
            ColumnKind::Count | ColumnKind::Percent | ColumnKind::Interval | ColumnKind::Number
        )
    }
}

/// One column: its header as printed and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Column {
    pub header: String,
    pub kind: ColumnKind,
    /// Option code when the column stands for an option (the columns of a cross-tab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl Column {
    pub fn new(header: impl Into<String>, kind: ColumnKind) -> Column {
        Column {
            header: header.into(),
            kind,
            code: None,
        }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Column {
        self.code = Some(code.into());
        self
    }
}

/// Why a cell is not printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// Fewer respondents than the threshold.
    Small,
    /// Hidden so that a small cell cannot be worked out from totals or linked tables.
    Complementary,
}

/// A cell's value, typed. A suppressed cell holds no number at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CellValue {
    /// A row label or other text.
    Text,
    Count {
        count: u64,
    },
    /// A percentage (0–100), unrounded; a weighted estimate holds its printed digits.
    Percent {
        percent: f64,
    },
    Number {
        value: f64,
    },
    /// An interval in percent (0–100).
    Interval {
        lower: f64,
        upper: f64,
    },
    Suppressed {
        reason: SuppressionReason,
    },
    /// Not applicable or not computable (printed —).
    Missing,
}

/// An interval printed under a cell's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IntervalNote {
    /// Bounds in percent (0–100).
    pub lower: f64,
    pub upper: f64,
    pub text: String,
}

/// One cell: the text printed and the value behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cell {
    /// Exactly as printed.
    pub text: String,
    pub value: CellValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<IntervalNote>,
}

impl Cell {
    fn of(text: String, value: CellValue) -> Cell {
        Cell {
            text,
            value,
            interval: None,
        }
    }

    pub fn text(s: impl Into<String>) -> Cell {
        Cell::of(s.into(), CellValue::Text)
    }

    pub fn count(n: u64) -> Cell {
        Cell::of(n.to_string(), CellValue::Count { count: n })
    }

    /// `count / base` in percent, printed with `decimals` places, rounded half up exactly.
    pub fn percent_of(count: u64, base: u64, decimals: u32) -> Cell {
        match crate::fmt::percent_number(count, base, decimals) {
            Some(s) => Cell::of(
                format!("{s}%"),
                CellValue::Percent {
                    percent: count as f64 * 100.0 / base as f64,
                },
            ),
            None => Cell::missing(),
        }
    }

    /// A percentage (0–100) computed elsewhere (weighted, a difference).
    pub fn percent(p: f64, decimals: u32) -> Cell {
        if p.is_finite() {
            Cell::of(
                fmt::percent_f64(p, decimals),
                CellValue::Percent { percent: p },
            )
        } else {
            Cell::missing()
        }
    }

    pub fn number(x: f64, decimals: u32) -> Cell {
        if x.is_finite() {
            Cell::of(fmt::number_f64(x, decimals), CellValue::Number { value: x })
        } else {
            Cell::missing()
        }
    }

    /// A number grouped in threes ([`fmt::grouped`]): `326,726.27`.
    pub fn grouped(x: f64, decimals: u32, from_digits: usize) -> Cell {
        if x.is_finite() {
            Cell::of(
                fmt::grouped(x, decimals, from_digits),
                CellValue::Number { value: x },
            )
        } else {
            Cell::missing()
        }
    }

    /// A p-value in a column headed p值: `0.034`, `<0.001`, holding the exact value for the
    /// files.
    pub fn p_value(p: f64) -> Cell {
        if p.is_finite() {
            let t = fmt::p_value(p);
            let t = t
                .strip_prefix("p=")
                .or_else(|| t.strip_prefix('p'))
                .unwrap_or(&t);
            Cell::of(t.to_owned(), CellValue::Number { value: p })
        } else {
            Cell::missing()
        }
    }

    /// A change, printed signed: `+3.2`, `−1.5`.
    pub fn signed(x: f64, decimals: u32) -> Cell {
        if x.is_finite() {
            Cell::of(fmt::signed(x, decimals), CellValue::Number { value: x })
        } else {
            Cell::missing()
        }
    }

    /// An interval of a change, printed signed: `[−1.2, +5.3]`.
    pub fn signed_interval(lower: f64, upper: f64, decimals: u32) -> Cell {
        Cell::of(
            fmt::signed_interval(lower, upper, decimals),
            CellValue::Interval { lower, upper },
        )
    }

    /// An interval in percent, printed `[l, u]`.
    pub fn interval(lower: f64, upper: f64, decimals: u32) -> Cell {
        Cell::of(
            fmt::interval(lower, upper, decimals),
            CellValue::Interval { lower, upper },
        )
    }

    pub fn suppressed(reason: SuppressionReason, marker: impl Into<String>) -> Cell {
        Cell::of(marker.into(), CellValue::Suppressed { reason })
    }

    /// Not applicable: printed —.
    pub fn missing() -> Cell {
        Cell::of("—".into(), CellValue::Missing)
    }

    /// Print an interval (percent) under the value.
    /// The cell with its value and interval as its text prints them. Weighted estimates are
    /// kept so in every file: with their full digits and the weights, the counts behind them
    /// (a finer table the report does not print) could be worked out.
    pub fn as_printed(mut self) -> Cell {
        fn read(t: &str) -> Option<f64> {
            let t: String = t
                .trim()
                .trim_end_matches('%')
                .chars()
                .filter(|c| *c != ',' && *c != '+')
                .map(|c| if c == '−' { '-' } else { c })
                .collect();
            t.parse().ok()
        }
        fn pair(t: &str) -> Option<(f64, f64)> {
            let (a, b) = t
                .trim()
                .strip_prefix('[')?
                .strip_suffix(']')?
                .split_once(',')?;
            Some((read(a)?, read(b)?))
        }
        match &mut self.value {
            CellValue::Percent { percent } => {
                if let Some(v) = read(&self.text) {
                    *percent = v;
                }
            }
            CellValue::Number { value } => {
                if let Some(v) = read(&self.text) {
                    *value = v;
                }
            }
            CellValue::Interval { lower, upper } => {
                if let Some((a, b)) = pair(&self.text) {
                    (*lower, *upper) = (a, b);
                }
            }
            _ => {}
        }
        if let Some(i) = &mut self.interval
            && let Some((a, b)) = pair(&i.text)
        {
            (i.lower, i.upper) = (a, b);
        }
        self
    }

    pub fn with_interval(mut self, lower: f64, upper: f64, decimals: u32) -> Cell {
        if !matches!(self.value, CellValue::Suppressed { .. }) {
            self.interval = Some(IntervalNote {
                lower,
                upper,
                text: fmt::interval(lower, upper, decimals),
            });
        }
        self
    }

    pub fn is_suppressed(&self) -> bool {
        matches!(self.value, CellValue::Suppressed { .. })
    }
}

/// Body row or total row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowRole {
    #[default]
    Body,
    /// A total or result line (printed bold).
    Total,
}

/// One row; its first cell is usually the label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PrintedRow {
    /// Option code when the row stands for an option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "is_body")]
    pub role: RowRole,
    pub cells: Vec<Cell>,
}

fn is_body(r: &RowRole) -> bool {
    *r == RowRole::Body
}

impl PrintedRow {
    pub fn new(cells: Vec<Cell>) -> PrintedRow {
        PrintedRow {
            code: None,
            role: RowRole::Body,
            cells,
        }
    }

    pub fn option(code: impl Into<String>, cells: Vec<Cell>) -> PrintedRow {
        PrintedRow {
            code: Some(code.into()),
            role: RowRole::Body,
            cells,
        }
    }

    pub fn total(cells: Vec<Cell>) -> PrintedRow {
        PrintedRow {
            code: None,
            role: RowRole::Total,
            cells,
        }
    }
}

/// Who a table's percentages are of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Base {
    /// Respondents shown the question who answered it.
    pub n: u64,
    pub not_shown: u64,
    pub skipped: u64,
}

/// A test printed with a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TestResult {
    pub method: TestMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<f64>,
    /// Degrees of freedom (numerator for F).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
    /// Denominator degrees of freedom (F tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub df2: Option<f64>,
    /// The p-value, when printed exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// Where the p-value lies, when only that is printed (on tables with hidden cells, where
    /// the exact statistic could help work them out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_band: Option<PBand>,
    /// What the table row or option the test belongs to (for per-option tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// Which test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestMethod {
    PearsonChiSquare,
    FisherExact,
    RaoScottF,
    RaoScottChiSquare,
    TwoProportionZ,
    TwoProportionZCorrected,
    DesignTwoProportion,
}

/// A band a p-value is reported in instead of its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PBand {
    #[serde(rename = "p<0.001")]
    Below001,
    #[serde(rename = "p<0.01")]
    Below01,
    #[serde(rename = "p<0.05")]
    Below05,
    #[serde(rename = "p>=0.05")]
    AtLeast05,
}

impl PBand {
    pub fn of(p: f64) -> PBand {
        if p < 0.001 {
            PBand::Below001
        } else if p < 0.01 {
            PBand::Below01
        } else if p < 0.05 {
            PBand::Below05
        } else {
            PBand::AtLeast05
        }
    }

    /// As printed: `p<0.05`, `p≥0.05`.
    pub fn zh(self) -> &'static str {
        match self {
            PBand::Below001 => "p<0.001",
            PBand::Below01 => "p<0.01",
            PBand::Below05 => "p<0.05",
            PBand::AtLeast05 => "p≥0.05",
        }
    }
}

/// Suppression applied to a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SuppressionNote {
    pub threshold: u64,
    /// Cells hidden because they are small.
    pub small: usize,
    /// Cells hidden so that small ones cannot be worked out.
    pub complementary: usize,
    pub small_marker: String,
    pub complementary_marker: String,
}

/// One table as the report prints it, and as every table file writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PrintedTable {
    /// Number as printed (`3.1.1`); unnumbered tables (lists in appendices) have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    pub kind: TableKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Questions the table shows (row question first for a cross-tab).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Base>,
    /// Weights the percentages are weighted with, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<PrintedRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<SuppressionNote>,
    /// Notes printed under the table, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Small print for long lists (appendices): smaller text, may break across pages.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub compact: bool,
}

impl PrintedTable {
    pub fn new(kind: TableKind, columns: Vec<Column>) -> PrintedTable {
        PrintedTable {
            number: None,
            caption: None,
            kind,
            dataset: None,
            questions: Vec::new(),
            base: None,
            weights: None,
            columns,
            rows: Vec::new(),
            tests: Vec::new(),
            suppression: None,
            notes: Vec::new(),
            compact: false,
        }
    }

    /// Whether `tables.json`, the CSVs and the workbook carry this table: every numbered one.
    pub fn published(&self) -> bool {
        self.number.is_some()
    }

    /// The note under the table as printed: notes joined with `；`, ending with `。`.
    pub fn note_text(&self) -> Option<String> {
        (!self.notes.is_empty()).then(|| {
            let parts: Vec<&str> = self
                .notes
                .iter()
                .map(|n| n.trim_end_matches(['。', '；']))
                .collect();
            parts.join("；") + "。"
        })
    }
}

/// Chart styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChartStyle {
    /// Horizontal bars, labels on the left: multiple choice and long labels.
    Bars,
    /// Vertical columns: short ordered scales.
    Columns,
    /// A ring divided by share: short single choice.
    Donut,
    /// Horizontal bars, one per series within each category (waves side by side).
    GroupedBars,
    /// One horizontal bar per category divided by the series' shares (a matrix question's
    /// rows, each divided by its options), in distinct colours.
    StackedBars,
    /// The same for series that are the steps of a scale: colours from the least to the most.
    StackedScale,
    /// The same for a scale listed from its most to its least (非常满意 first): the colours
    /// still say the same step, the most blue and the least red.
    StackedScaleDown,
}

impl ChartStyle {
    /// Whether the chart draws its value axis with ticks (bars); columns and stacked bars
    /// print their values without one, and a donut has none.
    pub fn draws_axis(self) -> bool {
        matches!(self, ChartStyle::Bars | ChartStyle::GroupedBars)
    }

    pub fn zh(self) -> &'static str {
        match self {
            ChartStyle::Bars => "条形图",
            ChartStyle::Columns => "柱形图",
            ChartStyle::Donut => "环形图",
            ChartStyle::GroupedBars => "分组条形图",
            ChartStyle::StackedBars | ChartStyle::StackedScale | ChartStyle::StackedScaleDown => {
                "堆积条形图"
            }
        }
    }
}

/// What the value axis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AxisUnit {
    Percent,
    Count,
    /// A score or a mean: a plain number that is no count.
    Score,
}

/// The value axis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Axis {
    pub unit: AxisUnit,
    /// The axis runs from 0 to this.
    pub max: f64,
}

/// One bar (or slice): its length and the text printed by it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Bar {
    /// `None` when the value is not available (not asked in that wave, suppressed).
    pub value: Option<f64>,
    pub text: String,
}

/// One category of a chart with a bar per series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Category {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub bars: Vec<Bar>,
}

/// A chart as the report prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PrintedFigure {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub caption: String,
    /// Title printed above the chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub style: ChartStyle,
    pub axis: Axis,
    /// Names of the series (one for a plain chart; the waves of a trend chart).
    pub series: Vec<String>,
    pub categories: Vec<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Text alternative for readers who cannot see the chart, written from the data.
    pub alt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
}

impl PrintedFigure {
    /// The text alternative from the figure's own data: `条形图，<caption>：A 83.75%，B 77.08%。`
    /// (series named when there are several).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{}，{}：",
            self.style.zh(),
            self.caption.trim_end_matches(['：', ':'])
        );
        let parts: Vec<String> = self
            .categories
            .iter()
            .map(|c| {
                if self.series.len() <= 1 {
                    format!(
                        "{} {}",
                        c.label,
                        c.bars.first().map(|b| b.text.as_str()).unwrap_or("—")
                    )
                } else {
                    let per: Vec<String> = self
                        .series
                        .iter()
                        .zip(&c.bars)
                        .map(|(name, b)| format!("{name} {}", b.text))
                        .collect();
                    format!("{}（{}）", c.label, per.join("，"))
                }
            })
            .collect();
        s.push_str(&parts.join("；"));
        s.push('。');
        s
    }
}

/// Raking of one dataset: targets against what the weights achieve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeightingSummary {
    pub name: String,
    pub dataset: String,
    pub variables: Vec<WeightingVariable>,
    pub kish_n: f64,
    pub deff: f64,
    /// Weights changed by the bounds.
    pub trimmed: usize,
    pub converged: bool,
    pub iterations: usize,
    /// Lower and upper bound as multiples of the mean weight, when bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeightingVariable {
    pub question: String,
    pub categories: Vec<WeightingCategory>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeightingCategory {
    pub code: String,
    pub label: String,
    /// Shares on a 0–1 scale.
    pub target_share: f64,
    pub achieved_share: f64,
    pub sample_share: f64,
}

/// `tables.json`: every numbered table of a report, as printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TablesFile {
    /// Report id.
    pub report: String,
    pub tables: Vec<PrintedTable>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub figures: Vec<PrintedFigure>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weighting: Vec<WeightingSummary>,
}

impl TablesFile {
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(TablesFile)).expect("schema serialises")
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("tables serialise") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suppressed_cell_carries_no_number() {
        let c = Cell::suppressed(SuppressionReason::Small, "<5").with_interval(1.0, 9.0, 1);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"text":"<5","value":{"type":"suppressed","reason":"small"}}"#
        );
    }

    #[test]
    fn percent_cells_round_exactly() {
        assert_eq!(Cell::percent_of(210, 720, 2).text, "29.17%");
        assert_eq!(Cell::percent_of(1, 0, 2).text, "—");
        assert_eq!(Cell::percent(12.5, 0).text, "13%");
    }
}
