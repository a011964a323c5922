//! The report's tables as files: `tables.json`, one CSV per table, `tables.xlsx`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One row of a published table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TableRow {
    /// Option code in the questionnaire.
    pub code: String,
    pub label: String,
    pub count: u64,
    /// Percent of the base, unrounded.
    pub percent: Option<f64>,
}

/// One table as the report prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TableEntry {
    /// Number as the report prints it, e.g. `3.1.1`.
    pub number: String,
    /// Dataset (questionnaire short name) the table comes from.
    pub dataset: String,
    pub question: String,
    pub title: String,
    /// Respondents shown the question who answered it.
    pub base: u64,
    pub not_shown: u64,
    pub skipped: u64,
    /// Rows in printed order.
    pub rows: Vec<TableRow>,
}

/// A cross-tab as the report prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CrossTabEntry {
    pub number: String,
    pub dataset: String,
    pub title: String,
    pub table: survey_aggregate::CrossTab,
}

/// `tables.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TablesFile {
    /// Report id.
    pub report: String,
    pub tables: Vec<TableEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crosstabs: Vec<CrossTabEntry>,
}

impl TablesFile {
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(TablesFile)).expect("schema serialises")
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("tables serialise") + "\n"
    }

    /// File name of a table's CSV.
    pub fn csv_name(number: &str) -> String {
        format!("table-{number}.csv")
    }

    /// One table as CSV (UTF-8 with BOM, so that Excel opens the Chinese text correctly).
    pub fn table_csv(t: &TableEntry) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
        w.write_record(["code", "label", "count", "percent", "base"])
            .expect("in-memory write");
        for r in &t.rows {
            let p = r.percent.map(|p| format!("{p}")).unwrap_or_default();
            w.write_record([
                r.code.as_str(),
                &r.label,
                &r.count.to_string(),
                &p,
                &t.base.to_string(),
            ])
            .expect("in-memory write");
        }
        w.into_inner().expect("in-memory write")
    }

    /// Every table in one workbook: an index sheet, then one sheet per table. Reproducible: the
    /// document timestamps are fixed.
    pub fn xlsx(&self, title: &str) -> Result<Vec<u8>, String> {
        use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
        let e = |x: rust_xlsxwriter::XlsxError| x.to_string();
        let mut wb = Workbook::new();
        let when = ExcelDateTime::from_ymd(2025, 1, 1).map_err(e)?;
        wb.set_properties(
            &DocProperties::new()
                .set_title(title)
                .set_creation_datetime(&when),
        );
        let bold = Format::new().set_bold();
        let pct = Format::new().set_num_format("0.00");
        let index = wb.add_worksheet();
        index.set_name("目录").map_err(e)?;
        for (c, h) in ["表号", "标题", "数据集", "题目", "样本量(N)"]
            .iter()
            .enumerate()
        {
            index
                .write_string_with_format(0, c as u16, *h, &bold)
                .map_err(e)?;
        }
        for (i, t) in self.tables.iter().enumerate() {
            let r = i as u32 + 1;
            index
                .write_string(r, 0, format!("表{}", t.number))
                .map_err(e)?;
            index.write_string(r, 1, &t.title).map_err(e)?;
            index.write_string(r, 2, &t.dataset).map_err(e)?;
            index.write_string(r, 3, &t.question).map_err(e)?;
            index.write_number(r, 4, t.base as f64).map_err(e)?;
        }
        index.set_column_width(1, 60).map_err(e)?;
        for t in &self.tables {
            let ws = wb.add_worksheet();
            ws.set_name(sheet_name(&t.number)).map_err(e)?;
            ws.write_string_with_format(0, 0, format!("表{} {}", t.number, t.title), &bold)
                .map_err(e)?;
            for (c, h) in ["选项", "数量", &format!("比例(%)[N={}]", t.base)]
                .iter()
                .enumerate()
            {
                ws.write_string_with_format(1, c as u16, *h, &bold)
                    .map_err(e)?;
            }
            for (i, row) in t.rows.iter().enumerate() {
                let r = i as u32 + 2;
                ws.write_string(r, 0, &row.label).map_err(e)?;
                ws.write_number(r, 1, row.count as f64).map_err(e)?;
                if let Some(p) = row.percent {
                    ws.write_number_with_format(r, 2, p, &pct).map_err(e)?;
                }
            }
            ws.set_column_width(0, 56).map_err(e)?;
            ws.set_column_width(2, 16).map_err(e)?;
        }
        wb.save_to_buffer().map_err(e)
    }
}

/// A worksheet name for a table number: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(number: &str) -> String {
    let clean: String = format!("表{number}")
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .collect();
    clean.chars().take(31).collect()
}
