//! Generating the JSON Schemas committed under `schemas/` and beside each questionnaire.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Every generated schema: where it lives and what it must contain.
pub fn generate_all(root: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut out = vec![
        (
            root.join("schemas/questionnaire.schema.json"),
            pretty(&survey_schema::questionnaire_schema()),
        ),
        (
            root.join("schemas/aggregate-results.schema.json"),
            pretty(&survey_aggregate::Results::json_schema()),
        ),
        (
            root.join("schemas/import-mapping.schema.json"),
            pretty(&schema_of::<survey_import::Mapping>()),
        ),
        (
            root.join("schemas/cleaning-rules.schema.json"),
            pretty(&schema_of::<survey_clean::Rules>()),
        ),
        (
            root.join("schemas/published-tables.schema.json"),
            pretty(&survey_published::Published::json_schema()),
        ),
        (
            root.join("schemas/tables.schema.json"),
            pretty(&survey_print::TablesFile::json_schema()),
        ),
        (
            root.join("schemas/published-claims.schema.json"),
            pretty(&survey_published::Claims::json_schema()),
        ),
        (
            root.join("schemas/audit.schema.json"),
            pretty(&survey_audit::Audit::json_schema()),
        ),
        (
            root.join("schemas/margins.schema.json"),
            pretty(&schema_of::<survey_stats::weighting::MarginsSpec>()),
        ),
        (
            root.join("schemas/codebook.schema.json"),
            pretty(&survey_microdata::Codebook::json_schema()),
        ),
        (
            root.join("schemas/crosswalk.schema.json"),
            pretty(&schema_of::<survey_schema::Crosswalk>()),
        ),
        (
            root.join("schemas/synth.schema.json"),
            pretty(&schema_of::<survey_synth::SynthSpec>()),
        ),
    ];
    for q in questionnaire_files(root)? {
        let index = survey_schema::load_questionnaire(&q)?;
        out.push((response_schema_path(&q), pretty(&index.response_schema())));
    }
    Ok(out)
}

/// `reports/*/questionnaires/*.questionnaire.json`, sorted.
pub fn questionnaire_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let reports = root.join("reports");
    for report in read_dir_sorted(&reports)? {
        let dir = report.join("questionnaires");
        if !dir.is_dir() {
            continue;
        }
        for f in read_dir_sorted(&dir)? {
            if f.to_string_lossy().ends_with(".questionnaire.json") {
                files.push(f);
            }
        }
    }
    Ok(files)
}

/// `x.questionnaire.json` → `x.response.schema.json` in the same folder.
pub fn response_schema_path(questionnaire: &Path) -> PathBuf {
    let name = questionnaire
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .replace(".questionnaire.json", ".response.schema.json")
        })
        .unwrap_or_default();
    questionnaire.with_file_name(name)
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list the folder", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

fn schema_of<T: schemars::JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(T)).expect("a schema serialises")
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON serialises");
    s.push('\n');
    s
}

/// Write every schema; returns the paths that changed.
pub fn write_all(root: &Path) -> Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    for (path, text) in generate_all(root)? {
        let old = std::fs::read_to_string(&path).ok();
        if old.as_deref() != Some(text.as_str()) {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, &text)
                .with_context(|| format!("{}: cannot write", path.display()))?;
            changed.push(path);
        }
    }
    Ok(changed)
}
