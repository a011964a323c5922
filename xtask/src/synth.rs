//! `cargo xtask synth`: regenerate a report folder's example data from its `synth.json`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use survey_import::table::{CsvEncoding, write_csv, write_xlsx};
use survey_import::{Mapping, wjx::WjxWriter};
use survey_report::folder::Folder;
use survey_synth::{QuestionTarget, SynthQuestionnaire, SynthSpec, Targets};

/// The most respondents a synth spec may ask for: example data, not a load test (for that,
/// `cargo xtask bench-data` streams any number).
const MAX_RESPONDENTS: u64 = 1_000_000;

/// Read a report folder's `synth.json`.
pub fn load_spec(report: &Path) -> Result<SynthSpec> {
    let folder = Folder::open(report).map_err(anyhow::Error::msg)?;
    let path = folder.shown("synth.json");
    let text = folder.read_text("synth.json").map_err(anyhow::Error::msg)?;
    let spec: SynthSpec = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a valid synth spec", path.display()))?;
    for q in &spec.questionnaires {
        if q.respondents > MAX_RESPONDENTS {
            bail!(
                "{}: questionnaire {} asks for {} respondents; example data is limited to {MAX_RESPONDENTS} (`cargo xtask bench-data` writes larger files)",
                path.display(),
                q.questionnaire,
                q.respondents
            );
        }
    }
    Ok(spec)
}

/// A file the synth spec names for reading, inside the report folder.
fn inside(folder: &Folder, rel: &str) -> Result<PathBuf> {
    folder
        .resolve(rel)
        .map_err(|e| anyhow::anyhow!("synth.json: {e}"))
}

/// The targets of one questionnaire: published counts, then the extra targets over them, then
/// the identifier patterns for identifying text questions.
pub fn targets(
    report: &Path,
    spec: &SynthSpec,
    q: &SynthQuestionnaire,
    index: &survey_schema::Index,
) -> Result<Targets> {
    let mut t = Targets {
        respondents: q.respondents,
        ..Targets::default()
    };
    if let Some(p) = &spec.published {
        let folder = Folder::open(report).map_err(anyhow::Error::msg)?;
        let published = survey_published::Published::load(&inside(&folder, p)?)?;
        for (qid, counts) in published.counts(&q.questionnaire) {
            t.questions.insert(
                qid,
                QuestionTarget {
                    counts,
                    ..QuestionTarget::default()
                },
            );
        }
    }
    for (qid, extra) in &q.extra_targets {
        let e = t.questions.entry(qid.clone()).or_default();
        if !extra.counts.is_empty() {
            e.counts = extra.counts.clone();
        }
        if !extra.values.is_empty() {
            e.values = extra.values.clone();
        }
        if extra.text.is_some() {
            e.text = extra.text.clone();
        }
        e.skipped = extra.skipped.max(e.skipped);
        e.other_texts.extend(extra.other_texts.iter().cloned());
    }
    for qq in index.questions().iter().filter(|qq| qq.identifying) {
        if let Some(p) = q.plan.identifiers.get(&qq.id) {
            t.questions.entry(qq.id.clone()).or_default().text = Some(p.clone());
        }
    }
    Ok(t)
}

/// Regenerate every example data file of a report folder; returns the files written.
pub fn run(report: &Path) -> Result<Vec<PathBuf>> {
    let spec = load_spec(report)?;
    let folder = Folder::open(report).map_err(anyhow::Error::msg)?;
    let mut written = Vec::new();
    let mut readme = format!(
        "# Example data (synthetic)\n\n{}\n\nEvery file here is written by `cargo xtask synth` from `../synth.json` (seed {}); do not edit by hand.\n\n| file | questionnaire | layout | rows |\n|---|---|---|---|\n",
        spec.note, spec.seed
    );
    for (k, q) in spec.questionnaires.iter().enumerate() {
        let qpath = inside(
            &folder,
            &format!("questionnaires/{}.questionnaire.json", q.questionnaire),
        )?;
        let index = survey_schema::load_questionnaire(&qpath)?;
        let targets = targets(report, &spec, q, &index)?;
        let seed = spec.seed.wrapping_add(k as u64);
        let valid = survey_synth::generate(&index, &targets, seed)
            .with_context(|| format!("questionnaire {}", q.questionnaire))?;
        let rules_path = inside(&folder, &q.output.rules)?;
        let rules = survey_clean::Rules::load(&rules_path, &index)?;
        let subs = survey_synth::submissions(&index, &rules, valid, &q.plan, seed)?;
        let mapping_path = inside(&folder, &q.output.mapping)?;
        let mapping = Mapping::load(&mapping_path)?;
        mapping.check(&index, &mapping_path)?;
        let writer = WjxWriter::new(&index, &mapping, q.output.mode);
        let headers = writer.headers();
        let rows: Vec<Vec<String>> = subs
            .iter()
            .map(|s| writer.row(&s.record, &s.meta))
            .collect();
        let out = folder
            .writable_data(&q.output.file)
            .map_err(|e| anyhow::anyhow!("synth.json: {e}"))?;
        let ext = out
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "xlsx" => write_xlsx(&out, "Sheet1", &headers, &rows).map_err(anyhow::Error::msg)?,
            "csv" => {
                let enc = match q.output.encoding.as_deref().unwrap_or("utf-8") {
                    "utf-8" => CsvEncoding::Utf8,
                    "utf-8-bom" => CsvEncoding::Utf8Bom,
                    "gb18030" => CsvEncoding::Gb18030,
                    other => bail!("synth.json: unknown CSV encoding `{other}`"),
                };
                write_csv(&out, &headers, &rows, enc)?
            }
            other => bail!("synth.json: cannot write a `.{other}` file"),
        }
        readme.push_str(&format!(
            "| `{}` | {} | 问卷星 {} mode | {} submissions: {} valid, {} built to be excluded by `{}` |\n",
            q.output.file.trim_start_matches("data/"),
            index.id(),
            match q.output.mode {
                survey_import::WjxMode::Code => "code (按序号)",
                _ => "text (按文本)",
            },
            subs.len(),
            q.respondents,
            subs.len() as u64 - q.respondents,
            q.output.rules
        ));
        written.push(out);
    }
    let readme_path = folder
        .writable_data("data/README.md")
        .map_err(anyhow::Error::msg)?;
    survey_import::table::write_atomic(&readme_path, readme.as_bytes())?;
    written.push(readme_path);
    Ok(written)
}
