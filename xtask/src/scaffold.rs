//! `cargo xtask new-report`: draft a report folder from a 问卷星 download.

use std::path::Path;

use anyhow::{Context, Result, bail};
use survey_scaffold::{Draft, Options, draft, id_from};

/// A drafted folder, and why it does not build yet when the trial build of it failed.
pub struct Drafted {
    pub draft: Draft,
    /// The first error of building the draft as it is (REVIEW.md opens with it).
    pub build_error: Option<String>,
}

/// Draft `dir` from `download` (and the questionnaire text, if given). The folder is written
/// whole or not at all: into a staging folder beside it, then renamed into place. Before the
/// rename the draft is built as it is (without typst), so that REVIEW.md says truly whether it
/// builds, and when not, opens with the build's own message.
pub fn new_report(
    dir: &Path,
    download: &Path,
    questionnaire: Option<&Path>,
    force: bool,
) -> Result<Drafted> {
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
        for (rel, from) in &d.copies {
            let p = staging.join(rel);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).with_context(|| format!("{}", d.display()))?;
            }
            std::fs::copy(from, &p)
                .with_context(|| format!("copying {} to {}", from.display(), p.display()))?;
        }
        Ok(())
    })();
    let build_error = written.and_then(|()| trial_build(&staging, dir));
    let build_error = match build_error {
        Ok(e) => e,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    }
    std::fs::rename(&staging, dir).with_context(|| format!("{}", dir.display()))?;
    Ok(Drafted {
        draft: d,
        build_error,
    })
}

/// Build the draft in `staging` as `build-report` would, short of typst. When it fails (and
/// REVIEW.md claimed it builds), REVIEW.md opens with the message, its paths those of `dir`.
fn trial_build(staging: &Path, dir: &Path) -> Result<Option<String>> {
    let review_path = staging.join("REVIEW.md");
    let review = std::fs::read_to_string(&review_path)
        .with_context(|| format!("{}", review_path.display()))?;
    if !survey_scaffold::claims_to_build(&review) {
        // Submissions to correct are listed already; the build stops at the first of them.
        return Ok(None);
    }
    let opts = survey_report::BuildOptions {
        toolkit_version: crate::report::toolkit_version(),
        typst_version: String::new(),
        progress: None,
        rows: None,
        keep_records: false,
        reuse: None,
    };
    let Err(e) = survey_report::build(staging, &survey_report::Registry::with_builtins(), &opts)
    else {
        return Ok(None);
    };
    let message = e
        .to_string()
        .replace(&staging.display().to_string(), &dir.display().to_string());
    std::fs::write(
        &review_path,
        survey_scaffold::does_not_build(&review, &message),
    )
    .with_context(|| format!("{}", review_path.display()))?;
    Ok(Some(message))
}
