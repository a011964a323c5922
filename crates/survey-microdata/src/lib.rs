//! # survey-microdata
//!
//! Respondent-level data for statistical packages: a dataset's cleaned, valid respondents with
//! their labels, written as SPSS `.sav`, Stata `.dta` (format 118, UTF-8) and Parquet, with a
//! codebook. One variable name serves every format ([`naming`]: valid in SPSS and Stata alike).
//! "Not shown" and "not answered" stay apart in each: user-missing codes -3 and -2 in `.sav`,
//! `.a` and `.b` in `.dta`, null plus a `__status` column in Parquet. Multiple-choice questions
//! are 0/1 dichotomies grouped in a multiple-response set. Identifying questions are left out
//! unless asked for.
//!
//! It takes a questionnaire index and records and returns bytes; it knows nothing of files,
//! reports or how tables are printed.

pub mod codebook;
pub mod dta;
pub mod model;
pub mod naming;
pub mod parquet_out;
pub mod sav;

pub use codebook::{Codebook, codebook};
pub use model::{Export, Measure, Role, WeightColumn, flatten};
use survey_schema::{Index, Record};

/// The files of one dataset.
pub struct Files {
    pub sav: Vec<u8>,
    pub dta: Vec<u8>,
    pub parquet: Vec<u8>,
    pub codebook: Codebook,
}

/// Why a dataset could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{format}: {message}")]
pub struct ExportError {
    pub format: &'static str,
    pub message: String,
}

/// Every file of one dataset's export; `created` (`YYYY-MM-DD HH:MM:SS`) is the date the
/// `.sav` header records.
pub fn export(
    index: &Index,
    records: &[Record],
    identifying: bool,
    weights: &[WeightColumn],
    created: &str,
) -> Result<Files, ExportError> {
    let ds = flatten(index, records, identifying, weights);
    let err = |format: &'static str| move |message: String| ExportError { format, message };
    Ok(Files {
        sav: sav::to_bytes(&ds, created).map_err(err("SPSS .sav"))?,
        dta: dta::to_bytes(&ds).map_err(err("Stata .dta"))?,
        parquet: parquet_out::to_bytes(&ds).map_err(err("Parquet"))?,
        codebook: codebook(&ds, |q| {
            index
                .get(q)
                .map(|q| q.kind.options().iter().map(|o| o.code.clone()).collect())
                .unwrap_or_default()
        }),
    })
}
