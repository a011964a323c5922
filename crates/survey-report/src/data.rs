//! Respondent-level data out: each dataset's cleaned, valid respondents as SPSS `.sav`, Stata
//! `.dta` and Parquet, with a codebook, under `data/` of the report's output folder. Written by
//! `cargo xtask export-data` and by `build-report --data` alike.

use std::fs::File;
use std::path::Path;

use indexmap::IndexMap;
use survey_microdata::{Targets, WeightColumn};

use crate::ReportError;
use crate::dataset::Dataset;
use crate::weights::WeightSet;

/// The notice written into every file that carries identifying questions.
pub const CONFIDENTIAL: &str = "CONFIDENTIAL: includes identifying answers (hospital names, codes). For the survey team only; never publish or pass on.";

/// Write the files of `data/` into `dir` (created if need be); returns their names, relative
/// to `dir`. Datasets without their records (loaded without keeping them) are an error. The
/// records are read from the dataset's store a chunk at a time: memory stays bounded however
/// many respondents there are.
pub fn write(
    datasets: &IndexMap<String, Dataset>,
    weights: &IndexMap<String, WeightSet>,
    identifying: bool,
    date: &str,
    dir: &Path,
) -> Result<Vec<String>, ReportError> {
    // The report's date, not the clock: same inputs, same bytes.
    let created = format!("{date} 00:00:00");
    std::fs::create_dir_all(dir).map_err(|e| io(dir, &e))?;
    let mut names = Vec::new();
    let mut cuts = Vec::new();
    let mut books: Vec<(String, survey_microdata::codebook::Codebook)> = Vec::new();
    let tag = if identifying { ".CONFIDENTIAL" } else { "" };
    let mut readme = String::from(
        "# Respondent-level data\n\nEach dataset's cleaned, valid respondents, written by the CHIMA survey toolkit.\n\n",
    );
    if identifying {
        readme.push_str(&format!("**{CONFIDENTIAL}**\n\nFree-text answers (other, please specify; open questions) are included as typed; respondents sometimes write names into them too.\n\n"));
    } else {
        readme.push_str("Identifying questions (names, codes) are left out. Free-text answers (other, please specify; open questions) are included as typed: read them before passing the files on, since respondents sometimes write names into them. The questions left out are listed under each dataset below; check that every question naming a hospital or a person is among them. The files hold respondents, not tables: small-cell suppression, which protects the published tables, does not apply to them, and a cell hidden in the report can be counted here.\n\n");
    }
    readme.push_str("| file | what |\n|---|---|\n");
    for (name, d) in datasets {
        if d.records.is_empty() && d.cleaning.funnel.valid > 0 {
            return Err(ReportError::Output(format!(
                "dataset `{name}` was loaded without its records; the data export needs them"
            )));
        }
        let cols: Vec<WeightColumn> = weights
            .values()
            .filter(|w| w.dataset == *name)
            .map(|w| WeightColumn {
                name: format!("w_{}", w.name),
                label: format!("权重“{}”", w.label),
                // Every respondent of the dataset was raked: each has a pattern.
                weight: Box::new(move |r| w.calibration.weight(w.pattern(r).expect("raked"))),
            })
            .collect();
        let stem = format!("{name}{tag}");
        let open = |ext: &str| -> Result<(String, File), ReportError> {
            let file = format!("{stem}.{ext}");
            let p = dir.join(&file);
            File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&p)
                .map(|f| (file, f))
                .map_err(|e| io(&p, &e))
        };
        let (sav, dta, parquet) = (open("sav")?, open("dta")?, open("parquet")?);
        let (codebook, cut) = survey_microdata::export(
            &d.index,
            &d.records,
            identifying,
            cols,
            &d.rankings
                .iter()
                .map(|(_, qs)| qs.clone())
                .collect::<Vec<_>>(),
            &created,
            Targets {
                sav: sav.1,
                dta: dta.1,
                parquet: parquet.1,
            },
        )
        .map_err(|e| ReportError::Output(format!("dataset `{name}`: {e}")))?;
        names.extend([sav.0, dta.0, parquet.0]);
        books.push((name.clone(), codebook.clone()));
        let file = format!("{stem}.codebook.json");
        std::fs::write(dir.join(&file), codebook.to_json())
            .map_err(|e| io(&dir.join(&file), &e))?;
        names.push(file);
        let f = &d.cleaning.funnel;
        readme.push_str(&format!(
            "| `{name}{tag}.sav`, `.dta`, `.parquet` | {} respondents, {} variables of `{}`: the valid submissions of the {} collected, after the cleaning rules set {} aside (the report's cleaning funnel gives why); `resp_id` is each submission's id in the download ({}) |\n| `{name}{tag}.codebook.json` | every variable: question, codes and labels, missing codes, counts |\n",
            codebook.respondents,
            codebook.variables.len(),
            codebook.questionnaire,
            f.collected,
            f.collected - f.valid,
            match d.source.layout {
                survey_import::SourceLayout::Records => "the records' `id`",
                _ => "the column the mapping names `respondent_id`, 问卷星's 序号 unless set",
            }
        ));
        // Which questions were left out, by name: a name question the questionnaire does not
        // mark identifying shows here by its absence.
        if !identifying {
            let left_out: Vec<String> = d
                .index
                .questions()
                .iter()
                .filter(|q| q.identifying)
                .map(|q| format!("`{}` «{}»", q.id, q.text.zh))
                .collect();
            readme.push_str(&if left_out.is_empty() {
                format!("| | no question of `{name}` is marked identifying (`\"identifying\": true` in its questionnaire): every question is in its files |\n")
            } else {
                format!("| | left out of `{name}` as identifying: {} |\n", left_out.join(", "))
            });
        }
        for w in weights.values().filter(|w| w.dataset == *name) {
            let (n, total) = w.total();
            readme.push_str(&format!(
                "| | `w_{}` of `{name}`: raked to {}; {} |\n",
                w.name,
                w.spec.source,
                if w.average_one() {
                    "the margins are shares, so the weights average 1 and add up to the respondents".to_owned()
                } else {
                    format!(
                        "the margins are population counts, so the weights add up to the population, {} (mean {:.2} over {n} respondents): use them for totals, or divide by the mean for weights that average 1",
                        survey_print::fmt::grouped(total, 0, 5),
                        total / n as f64
                    )
                }
            ));
        }
        for w in weights.values().filter(|w| w.dataset == *name) {
            // What a user needs to reproduce the report's weighted intervals from the file.
            let margins: Vec<String> = w
                .spec
                .margins
                .iter()
                .map(|(q, m)| {
                    format!(
                        "`{q}` ({})",
                        m.iter()
                            .map(|(c, v)| format!(
                                "{c} {}",
                                survey_print::fmt::number_f64(*v, 4)
                                    .trim_end_matches('0')
                                    .trim_end_matches('.')
                            ))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .collect();
            readme.push_str(&format!(
                "| | the report's weighted estimates with `w_{}`: raking (R: `survey::calibrate(svydesign(ids = ~1, weights = ~w0, data = d), formula, population, calfun = \"raking\"{})`, with `w0` the mean weight, 1 when the margins are shares) on {}{}; intervals and tests use {}, and its weighted Wilson and Clopper–Pearson intervals are taken at the effective sample size p(1−p)/variance (logit intervals are R's `svyciprop(method = \"logit\")`) |\n",
                w.name,
                match w.spec.bounds {
                    Some([lo, hi]) => format!(", bounds = c({lo}, {hi})"),
                    None => String::new(),
                },
                margins.join(" and "),
                match w.spec.bounds {
                    Some([lo, hi]) => format!(", every weight kept within {lo}–{hi} times the mean"),
                    None => String::new(),
                },
                match w.variance {
                    survey_stats::design::VarianceModel::Calibrated => "the linearised variance of the calibrated design (R: the design `calibrate()` returns; `svydesign(weights = ~w)` treats the weights as fixed and its intervals differ slightly)",
                    survey_stats::design::VarianceModel::Weighted => "the weights as fixed sampling weights (R: `svydesign(ids = ~1, weights = ~w)`)",
                },
            ));
        }
        for (qid, readings) in &d.number_answers {
            // How many and how read, never what was typed: a typed answer can name the
            // respondent (430（某某医院本部）); the mapping lists them.
            let read = readings.values().filter(|v| v.is_some()).count();
            readme.push_str(&format!(
                "| | `{qid}` of `{name}`: {} different text(s) typed otherwise than as a number (a text several respondents typed counts once) are read as the mapping's `number_answers` says: {read} as the number meant, {} as not answered (the typed texts are in the mapping, not here: they can name the respondent) |\n",
                readings.len(),
                readings.len() - read,
            ));
        }
        for (number, qs) in &d.rankings {
            readme.push_str(&format!(
                "| | ranking (排序题) {number} of `{name}`: {} each hold the place given to one option (1 = first); an option left out of a ranking the respondent answered is missing as not ranked (-1 未排入, `.c`, `not_ranked`), and a ranking not answered at all as not answered (-2, `.b`) |\n",
                qs.iter().map(|q| format!("`{q}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        for (var, n) in &cut {
            cuts.push(format!(
                "- `{name}{tag}.dta`, `{var}`: {n} answer(s) longer than {} bytes, cut there (a Stata string of this file holds at most that); the `.sav` and `.parquet` hold them whole.\n",
                survey_microdata::dta::STR_MAX
            ));
        }
    }
    let clashes = same_names_other_meanings(&books);
    if !clashes.is_empty() {
        readme.push_str("\nStacking datasets (two waves, say): these variables have one name in two datasets but not one meaning for each code. Match such answers by their labels (or recode them with the report's crosswalk) before appending one file to the other:\n\n");
        clashes.iter().for_each(|c| readme.push_str(c));
    }
    if !cuts.is_empty() {
        readme.push_str("\nLong texts:\n\n");
        cuts.iter().for_each(|c| readme.push_str(c));
    }
    readme.push_str(
        "\nMissing answers: not shown (display logic) is -3 in `.sav` (user-missing), `.a` in `.dta`, null with `not_shown` in the question's `__status` column in Parquet; shown but not answered is -2, `.b`, `not_answered`. Multiple-choice questions are 0/1 variables per option, grouped as an SPSS multiple-response set. Parquet categories are dictionary-encoded and not flagged as ordered: the writer stores a dictionary in order of appearance, so each column's `levels` metadata holds the options in questionnaire order and its `measure` metadata says whether the options are ordinal. In pandas: `f = pyarrow.parquet.read_schema(path).field(c)`, then `df[c] = df[c].cat.set_categories(json.loads(f.metadata[b\"levels\"]), ordered=f.metadata[b\"measure\"] == b\"ordinal\")`. In R, the `.sav` read with haven (`haven::as_factor(haven::read_sav(path)$q)`) gives a factor whose levels are the two missing-value labels, then the options in questionnaire order (`droplevels` removes the unused ones); the missing answers themselves read as `NA` unless `user_na = TRUE` is given to `read_sav`, which keeps them as -3 and -2 with their labels. The `.sav` and `.dta` codes are the options' positions in questionnaire order (1, 2, …), or a scored scale's scores (0–10, or 1–5 for a scale in words), which the Parquet `codes` metadata also give. Variable labels longer than SPSS's 255 bytes or Stata's 80 characters are cut within the question's wording, marked «…», keeping the option or row that ends them; the codebook and the Parquet metadata hold them whole.\n",
    );
    std::fs::write(dir.join("README.md"), readme).map_err(|e| io(&dir.join("README.md"), &e))?;
    names.push("README.md".into());
    Ok(names)
}

/// Variables of one name in two datasets whose codes stand for other answers (an option
/// inserted, the options reordered) or that stand for another option: one line each.
fn same_names_other_meanings(
    books: &[(String, survey_microdata::codebook::Codebook)],
) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (a, book_a)) in books.iter().enumerate() {
        for (b, book_b) in &books[i + 1..] {
            for va in &book_a.variables {
                let Some(vb) = book_b.variables.iter().find(|v| v.name == va.name) else {
                    continue;
                };
                let differ: Vec<String> = va
                    .values
                    .iter()
                    .filter(|x| x.code >= 0)
                    .filter_map(|x| {
                        let then = vb.values.iter().find(|y| y.code == x.code);
                        match then {
                            Some(y) if y.label == x.label => None,
                            Some(y) => Some(format!(
                                "{} is «{}» in `{a}`, «{}» in `{b}`",
                                x.code, x.label, y.label
                            )),
                            None => Some(format!(
                                "{} is «{}» in `{a}`, unused in `{b}`",
                                x.code, x.label
                            )),
                        }
                    })
                    .collect();
                // A 0/1 variable of a multiple choice's option: named by the option's code.
                let option_differs = va.values.is_empty()
                    && vb.values.is_empty()
                    && va.storage == survey_microdata::codebook::Storage::Numeric
                    && va.option.is_some()
                    && va.label != vb.label;
                if !differ.is_empty() {
                    let more = differ.len().saturating_sub(3);
                    out.push(format!(
                        "- `{}`: code {}{}.\n",
                        va.name,
                        differ[..differ.len().min(3)].join("; code "),
                        if more > 0 {
                            format!("; and {more} more")
                        } else {
                            String::new()
                        }
                    ));
                } else if option_differs {
                    out.push(format!(
                        "- `{}`: «{}» in `{a}`, «{}» in `{b}`.\n",
                        va.name, va.label, vb.label
                    ));
                }
            }
        }
    }
    out
}

fn io(p: &Path, e: &std::io::Error) -> ReportError {
    ReportError::Output(format!("cannot write {}: {e}", p.display()))
}
