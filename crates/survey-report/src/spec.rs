//! The report spec (`report.toml`): what the report is, its datasets, and its ordered blocks.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::dataset::DatasetDecl;

/// A problem in the spec, located by file, line, block and field.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    pub file: PathBuf,
    pub line: Option<usize>,
    /// e.g. `block 12 (table 3.1.1)`.
    pub block: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(b) = &self.block {
            write!(f, ": {b}")?;
        }
        if let Some(x) = &self.field {
            write!(f, ", field `{x}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SpecError {}

/// The report as a whole.
/// The keys of [`ReportSpec`] that are single values, which a user may write by mistake after
/// a `[[datasets]]` or `[[blocks]]` header (TOML then reads them as that table's).
const TOP_LEVEL_KEYS: &[&str] = &[
    "id",
    "title",
    "author",
    "date",
    "keywords",
    "pdf_standard",
    "default_dataset",
    "allow_outside_data",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// Report id: the output folder `target/reports/<id>/`.
    pub id: String,
    pub title: String,
    /// Author as written into the PDF's metadata.
    pub author: String,
    /// Date of the edition, `YYYY-MM-DD`: the PDF's fixed creation timestamp.
    pub date: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// PDF standards to enforce, e.g. `a-2b` (several separated by commas).
    #[serde(default)]
    pub pdf_standard: Option<PdfStandards>,
    pub datasets: Vec<DatasetDecl>,
    /// The dataset blocks use when they name none; the first declared when absent.
    #[serde(default)]
    pub default_dataset: Option<String>,
    /// Data files may lie outside the report folder (absolute paths or `..`). Everything else
    /// a report names always lies inside it.
    #[serde(default)]
    pub allow_outside_data: bool,
    /// A publication to audit against itself and the data (`published/tables.json`…); the
    /// audit runs once per build and writes `audit.json`; an `audit` block prints it.
    #[serde(default)]
    pub audit: Option<AuditDecl>,
    /// Weights to rake the datasets to population margins.
    #[serde(default)]
    pub weights: Vec<crate::weights::WeightsDecl>,
    /// Earlier survey waves to compare with (`trend` blocks, `{trend.…}` references).
    #[serde(default)]
    pub waves: Vec<crate::waves::WaveDecl>,
    /// Blocks in print order; each has a `kind`.
    pub blocks: Vec<toml::Spanned<toml::Table>>,
}

/// `[audit]` in `report.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditDecl {
    /// The publication's tables as printed (`survey-published` format).
    pub tables: String,
    /// Its narrative claims, if transcribed.
    #[serde(default)]
    pub claims: Option<String>,
}

/// A block's raw parameters with where it stands.
pub struct RawBlock {
    pub index: usize,
    pub line: usize,
    pub kind: String,
    pub params: toml::Table,
}

impl RawBlock {
    /// `block 12 (table 3.1.1)`.
    pub fn describe(&self) -> String {
        let tag = ["number", "question", "file", "title", "row"]
            .iter()
            .find_map(|k| self.params.get(*k).and_then(|v| v.as_str()))
            .map(|s| format!(" {s}"))
            .unwrap_or_default();
        format!("block {} ({}{tag})", self.index + 1, self.kind)
    }
}

/// A PDF standard typst can enforce (`typst compile --pdf-standard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfStandard {
    V1_4,
    V1_5,
    V1_6,
    V1_7,
    V2_0,
    A1b,
    A1a,
    A2b,
    A2u,
    A2a,
    A3b,
    A3u,
    A3a,
    A4,
    A4f,
    A4e,
    Ua1,
}

impl PdfStandard {
    const ALL: [PdfStandard; 17] = [
        PdfStandard::V1_4,
        PdfStandard::V1_5,
        PdfStandard::V1_6,
        PdfStandard::V1_7,
        PdfStandard::V2_0,
        PdfStandard::A1b,
        PdfStandard::A1a,
        PdfStandard::A2b,
        PdfStandard::A2u,
        PdfStandard::A2a,
        PdfStandard::A3b,
        PdfStandard::A3u,
        PdfStandard::A3a,
        PdfStandard::A4,
        PdfStandard::A4f,
        PdfStandard::A4e,
        PdfStandard::Ua1,
    ];

    /// As typst names it.
    pub fn name(self) -> &'static str {
        match self {
            PdfStandard::V1_4 => "1.4",
            PdfStandard::V1_5 => "1.5",
            PdfStandard::V1_6 => "1.6",
            PdfStandard::V1_7 => "1.7",
            PdfStandard::V2_0 => "2.0",
            PdfStandard::A1b => "a-1b",
            PdfStandard::A1a => "a-1a",
            PdfStandard::A2b => "a-2b",
            PdfStandard::A2u => "a-2u",
            PdfStandard::A2a => "a-2a",
            PdfStandard::A3b => "a-3b",
            PdfStandard::A3u => "a-3u",
            PdfStandard::A3a => "a-3a",
            PdfStandard::A4 => "a-4",
            PdfStandard::A4f => "a-4f",
            PdfStandard::A4e => "a-4e",
            PdfStandard::Ua1 => "ua-1",
        }
    }
}

/// `pdf_standard = "a-2b"` or `"a-2b,ua-1"`: each one typst knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfStandards(pub Vec<PdfStandard>);

impl<'de> Deserialize<'de> for PdfStandards {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.split(',')
            .map(|part| {
                let part = part.trim();
                PdfStandard::ALL
                    .into_iter()
                    .find(|s| s.name() == part)
                    .ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            "unknown PDF standard `{part}`; typst knows {}",
                            PdfStandard::ALL.map(PdfStandard::name).join(", ")
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(PdfStandards)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl ReportSpec {
    /// The PDF standards typst enforces: the spec's (e.g. `a-2b`) and always PDF/UA-1, the
    /// accessibility standard (tagged structure, language, alt text, marked table headers).
    pub fn pdf_standards(&self) -> String {
        let mut all: Vec<PdfStandard> = self
            .pdf_standard
            .as_ref()
            .map(|s| s.0.clone())
            .unwrap_or_default();
        if !all.contains(&PdfStandard::Ua1) {
            all.push(PdfStandard::Ua1);
        }
        all.iter().map(|s| s.name()).collect::<Vec<_>>().join(",")
    }

    /// Read `report.toml` and split its blocks.
    pub fn load(path: &Path) -> Result<(ReportSpec, Vec<RawBlock>), SpecError> {
        let text = std::fs::read_to_string(path).map_err(|e| SpecError {
            file: path.to_owned(),
            line: None,
            block: None,
            field: None,
            message: format!("cannot read: {e}"),
        })?;
        ReportSpec::parse(&text, path)
    }

    /// Parse the text of `report.toml` (`path` is used in messages).
    pub fn parse(text: &str, path: &Path) -> Result<(ReportSpec, Vec<RawBlock>), SpecError> {
        let err = |line: Option<usize>, message: String| SpecError {
            file: path.to_owned(),
            line,
            block: None,
            field: None,
            message,
        };
        let de = toml::de::Deserializer::parse(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            err(line, e.message().to_owned())
        })?;
        let spec: ReportSpec = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let line = inner.span().map(|s| line_of(text, s.start));
            let mut message = inner.message().to_owned();
            // A top-level key written inside a table: say where it belongs.
            if let Some(key) = field.rsplit('.').next()
                && field.contains('.')
                && message.starts_with("unknown field")
                && TOP_LEVEL_KEYS.contains(&key)
            {
                message.push_str(&format!(
                    "; `{key}` is a key of the whole report: put it near the top of report.toml, before the first `[[…]]` table"
                ));
            }
            SpecError {
                field: (field != "." && !field.is_empty()).then_some(field),
                ..err(line, message)
            }
        })?;
        if spec.id.is_empty()
            || !spec
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(SpecError {
                field: Some("id".into()),
                ..err(
                    None,
                    "the report id names the output folder: use letters, digits, `-` and `_`"
                        .into(),
                )
            });
        }
        if date_timestamp(&spec.date).is_none() {
            return Err(SpecError {
                field: Some("date".into()),
                ..err(
                    None,
                    format!("`{}` is not a date written YYYY-MM-DD", spec.date),
                )
            });
        }
        let mut names = std::collections::HashSet::new();
        for d in &spec.datasets {
            if !names.insert(d.name.clone()) {
                return Err(err(None, format!("dataset `{}` is declared twice", d.name)));
            }
        }
        if let Some(d) = &spec.default_dataset
            && !names.contains(d)
        {
            return Err(SpecError {
                field: Some("default_dataset".into()),
                ..err(None, format!("`{d}` is not a declared dataset"))
            });
        }
        let mut raw = Vec::new();
        for (index, b) in spec.blocks.iter().enumerate() {
            let line = line_of(text, b.span().start);
            let mut params = b.get_ref().clone();
            let kind = match params.remove("kind") {
                Some(toml::Value::String(k)) => k,
                _ => {
                    return Err(SpecError {
                        file: path.to_owned(),
                        line: Some(line),
                        block: Some(format!("block {}", index + 1)),
                        field: Some("kind".into()),
                        message: "every block needs a `kind` (a string)".into(),
                    });
                }
            };
            raw.push(RawBlock {
                index,
                line,
                kind,
                params,
            });
        }
        Ok((spec, raw))
    }

    /// The dataset blocks use when they name none.
    pub fn default_dataset(&self) -> Option<&str> {
        self.default_dataset
            .as_deref()
            .or_else(|| self.datasets.first().map(|d| d.name.as_str()))
    }

    /// The fixed creation timestamp: midnight UTC of `date`.
    pub fn timestamp(&self) -> i64 {
        date_timestamp(&self.date).expect("checked on load")
    }
}

/// Seconds since the Unix epoch of `YYYY-MM-DD` at 00:00 UTC.
pub fn date_timestamp(date: &str) -> Option<i64> {
    let mut it = date.split('-');
    let (y, m, d): (i64, i64, i64) = (
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    );
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in_month = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    // Days past the month's end are no date (2026-02-30 was taken as 2026-03-02).
    if it.next().is_some()
        || !(1..=12).contains(&m)
        || !(1..=days_in_month).contains(&d)
        || !(1970..=9999).contains(&y)
    {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_timestamp("1970-01-01"), Some(0));
        assert_eq!(date_timestamp("2025-07-01"), Some(1_751_328_000));
        assert_eq!(date_timestamp("2025-13-01"), None);
        assert_eq!(date_timestamp("2025/07/01"), None);
        assert_eq!(date_timestamp("2026-02-30"), None);
        assert_eq!(date_timestamp("2026-02-29"), None);
        assert_eq!(date_timestamp("2026-04-31"), None);
        assert_eq!(date_timestamp("2024-02-29"), Some(1_709_164_800));
        assert_eq!(date_timestamp("2000-02-29"), Some(951_782_400));
        assert_eq!(date_timestamp("1900-02-29"), None);
    }

    /// A report-wide key after a `[[datasets]]` header is an error at its line that says where
    /// the key belongs; an unknown key of the dataset is not given that advice.
    #[test]
    fn a_report_key_inside_a_table_says_where_it_belongs() {
        let spec = |extra: &str| {
            format!(
                "id = \"r\"\ntitle = \"t\"\nauthor = \"a\"\ndate = \"2025-07-01\"\n\n[[datasets]]\nname = \"main\"\nquestionnaire = \"q.json\"\ndata = \"d.csv\"\nmapping = \"m.json\"\ncleaning = \"c.json\"\n{extra}\n\n[[blocks]]\nkind = \"cover\"\n"
            )
        };
        let err = |extra: &str| match ReportSpec::parse(&spec(extra), Path::new("report.toml")) {
            Ok(_) => panic!("{extra} passed"),
            Err(e) => e,
        };
        let e = err("allow_outside_data = true");
        assert_eq!(e.line, Some(12), "{e}");
        assert!(
            e.message
                .contains("`allow_outside_data` is a key of the whole report"),
            "{e}"
        );
        let e = err("colour = true");
        assert!(e.message.starts_with("unknown field `colour`"), "{e}");
        assert!(!e.message.contains("whole report"), "{e}");
    }
}
