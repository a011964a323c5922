//! `cargo xtask new-report`: draft a report folder from a 问卷星 download.

use std::path::Path;

use anyhow::{Context, Result, bail};
use survey_scaffold::{Draft, Options, draft, id_from};

/// Draft `dir` from `download` (and the questionnaire text, if given). The folder is written
/// whole or not at all: into a staging folder beside it, then renamed into place.
pub fn new_report(
    dir: &Path,
    download: &Path,
    questionnaire: Option<&Path>,
    force: bool,
) -> Result<Draft> {
    if dir.exists()
        && !force
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty; choose another folder or add --force to replace it",
            dir.display()
        );
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("{}: not a folder name", dir.display()))?;
    let d = draft(&Options {
        download,
        questionnaire_text: questionnaire,
        id: id_from(&name),
    })?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("{}", parent.display()))?;
    let staging = parent.join(format!(".{name}.new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let written = (|| -> Result<()> {
        for (rel, bytes) in &d.files {
            let p = staging.join(rel);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).with_context(|| format!("{}", d.display()))?;
            }
            std::fs::write(&p, bytes).with_context(|| format!("{}", p.display()))?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    }
    std::fs::rename(&staging, dir).with_context(|| format!("{}", dir.display()))?;
    Ok(d)
}
