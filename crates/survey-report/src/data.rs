//! Respondent-level data out: each dataset's cleaned, valid respondents as SPSS `.sav`, Stata
//! `.dta` and Parquet, with a codebook, under `data/` of the report's output folder. Written by
//! `cargo xtask export-data` and by `build-report --data` alike.

use indexmap::IndexMap;
use survey_microdata::WeightColumn;

use crate::ReportError;
use crate::dataset::Dataset;
use crate::weights::WeightSet;

/// The notice written into every file that carries identifying questions.
pub const CONFIDENTIAL: &str = "CONFIDENTIAL: includes identifying answers (hospital names, codes). For the survey team only; never publish or pass on.";

/// The files of `data/`: (path relative to the report's output folder, bytes). Datasets
/// without their records (loaded without keeping them) are an error.
pub fn files(
    datasets: &IndexMap<String, Dataset>,
    weights: &IndexMap<String, WeightSet>,
    identifying: bool,
    date: &str,
) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    // The report's date, not the clock: same inputs, same bytes.
    let created = format!("{date} 00:00:00");
    let mut out = Vec::new();
    let tag = if identifying { ".CONFIDENTIAL" } else { "" };
    let mut readme = String::from(
        "# Respondent-level data\n\nEach dataset's cleaned, valid respondents, written by the CHIMA survey toolkit.\n\n",
    );
    if identifying {
        readme.push_str(&format!("**{CONFIDENTIAL}**\n\n"));
    } else {
        readme.push_str("Identifying questions (names, codes) are left out. Free-text answers (other, please specify; open questions) are included as typed: read them before passing the files on, since respondents sometimes write names into them. The files hold respondents, not tables: small-cell suppression, which protects the published tables, does not apply to them, and a cell hidden in the report can be counted here.\n\n");
    }
    readme.push_str("| file | what |\n|---|---|\n");
    for (name, d) in datasets {
        if d.records.is_empty() && d.cleaning.funnel.valid > 0 {
            return Err(ReportError::Output(format!(
                "dataset `{name}` was loaded without its records; the data export needs them"
            )));
        }
        // The writers of .sav, .dta and .parquet take every record at once.
        let records = d.records.to_vec().map_err(ReportError::Output)?;
        let cols: Vec<WeightColumn> = weights
            .values()
            .filter(|w| w.dataset == *name)
            .map(|w| WeightColumn {
                name: format!("w_{}", w.name),
                label: format!("权重“{}”（{}）", w.name, w.spec.source),
                values: records
                    .iter()
                    .map(|r| w.calibration.weight(w.pattern(r).expect("raked")))
                    .collect(),
            })
            .collect();
        let f = survey_microdata::export(&d.index, &records, identifying, &cols, &created)
            .map_err(|e| ReportError::Output(format!("dataset `{name}`: {e}")))?;
        let stem = format!("data/{name}{tag}");
        out.push((format!("{stem}.sav"), f.sav));
        out.push((format!("{stem}.dta"), f.dta));
        out.push((format!("{stem}.parquet"), f.parquet));
        out.push((
            format!("{stem}.codebook.json"),
            f.codebook.to_json().into_bytes(),
        ));
        readme.push_str(&format!(
            "| `{name}{tag}.sav`, `.dta`, `.parquet` | {} respondents, {} variables of `{}` |\n| `{name}{tag}.codebook.json` | every variable: question, codes and labels, missing codes, counts |\n",
            f.codebook.respondents,
            f.codebook.variables.len(),
            f.codebook.questionnaire
        ));
    }
    readme.push_str(
        "\nMissing answers: not shown (display logic) is -3 in `.sav` (user-missing), `.a` in `.dta`, null with `not_shown` in the question's `__status` column in Parquet; shown but not answered is -2, `.b`, `not_answered`. Multiple-choice questions are 0/1 variables per option, grouped as an SPSS multiple-response set. Parquet categories are dictionary-encoded and not flagged as ordered: the writer stores a dictionary in order of appearance, so each column's `levels` metadata holds the options in questionnaire order and its `measure` metadata says whether the options are ordinal. In pandas: `f = pyarrow.parquet.read_schema(path).field(c)`, then `df[c] = df[c].cat.set_categories(json.loads(f.metadata[b\"levels\"]), ordered=f.metadata[b\"measure\"] == b\"ordinal\")`. The `.sav` and `.dta` codes follow the questionnaire order.\n",
    );
    out.push(("data/README.md".into(), readme.into_bytes()));
    Ok(out)
}
