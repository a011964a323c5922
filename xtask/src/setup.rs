//! Installing what builds and tests need on a fresh machine: the pinned typst CLI, and for the
//! tests poppler-utils (pdftotext, pdftoppm) and R with the survey package.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The typst version the report is built with.
pub const TYPST_VERSION: &str = "0.15.1";

/// Where the pinned typst is installed when it is not on PATH:
/// `$CHIMA_CACHE`, else `$XDG_CACHE_HOME/chima-survey`, else `~/.cache/chima-survey`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CHIMA_CACHE") {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("chima-survey")
}

fn version_of(bin: &Path) -> Option<String> {
    let text = survey_export::compile::version(bin)?;
    text.split_whitespace().nth(1).map(str::to_owned)
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The typst CLI to build with: `$CHIMA_TYPST`, or `typst` on PATH at the pinned version, or
/// the pinned version in the cache — installed there first if missing.
pub fn typst() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("CHIMA_TYPST") {
        let p = PathBuf::from(p);
        match version_of(&p) {
            Some(v) if v == TYPST_VERSION => return Ok(p),
            Some(v) => {
                eprintln!(
                    "warning: CHIMA_TYPST={} is typst {v}; this project pins {TYPST_VERSION}, so output bytes may differ",
                    p.display()
                );
                return Ok(p);
            }
            None => bail!("CHIMA_TYPST={} does not run", p.display()),
        }
    }
    if let Some(p) = on_path("typst") {
        match version_of(&p) {
            Some(v) if v == TYPST_VERSION => return Ok(p),
            Some(v) => eprintln!(
                "warning: typst on PATH ({}) is {v}; this project pins {TYPST_VERSION} and uses that instead",
                p.display()
            ),
            None => eprintln!(
                "warning: {} does not answer --version; ignoring it",
                p.display()
            ),
        }
    }
    let root = cache_dir().join(format!("typst-{TYPST_VERSION}"));
    let bin = root.join("bin").join("typst");
    if version_of(&bin).as_deref() == Some(TYPST_VERSION) {
        return Ok(bin);
    }
    eprintln!(
        "typst {TYPST_VERSION} is not installed; installing it into {} with `cargo install typst-cli` (once; about 10 minutes on 2 cores)…",
        root.display()
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "install",
            "typst-cli",
            "--locked",
            "--version",
            TYPST_VERSION,
            "--root",
        ])
        .arg(&root)
        .status()
        .context("cannot run cargo to install typst")?;
    if !status.success() || version_of(&bin).as_deref() != Some(TYPST_VERSION) {
        bail!(
            "installing typst {TYPST_VERSION} failed; install it by hand (`cargo install typst-cli --locked --version {TYPST_VERSION}`) or set CHIMA_TYPST"
        );
    }
    eprintln!("typst {TYPST_VERSION} installed at {}", bin.display());
    Ok(bin)
}

/// Install Debian packages (as root, or through sudo).
fn apt_install(packages: &[&str]) -> Result<()> {
    eprintln!("installing Debian packages {}…", packages.join(" "));
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let run = |args: &[&str]| -> Result<()> {
        let mut all: Vec<&str> = sudo.to_vec();
        all.extend_from_slice(args);
        let status = Command::new(all[0])
            .args(&all[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .with_context(|| format!("cannot run {}", all.join(" ")))?;
        if !status.success() {
            bail!("`{}` failed", all.join(" "));
        }
        Ok(())
    };
    run(&["apt-get", "update", "-qq"])?;
    let mut args = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(packages);
    run(&args)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Whether R's survey package loads, with MASS, which its `calibrate` needs (Debian ships it
/// as a recommendation only).
fn r_survey_ok() -> bool {
    Command::new("Rscript")
        .args(["-e", "suppressMessages({library(survey); library(MASS)})"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Whether R's haven package loads.
fn r_haven_ok() -> bool {
    Command::new("Rscript")
        .args(["-e", "suppressMessages(library(haven))"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Whether Python reads SPSS, Stata and Parquet files (pyreadstat, which returns pandas data
/// frames but no longer installs pandas itself, and pyarrow).
fn python_readers_ok() -> bool {
    Command::new("python3")
        .args(["-c", "import pyreadstat, pandas, pyarrow.parquet"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Make sure everything the test suite calls is installed: the pinned typst, poppler-utils
/// (pdftotext, pdftoppm, pdffonts), R with its survey, MASS and haven packages, and Python's
/// pyreadstat, pandas and pyarrow (to read the data files back). Returns the typst to use.
pub fn test_prerequisites() -> Result<PathBuf> {
    let typst = typst()?;
    let poppler = ["pdftotext", "pdftoppm", "pdffonts", "pdfinfo"];
    if poppler.iter().any(|c| on_path(c).is_none()) {
        apt_install(&["poppler-utils"])?;
        if let Some(c) = poppler.iter().find(|c| on_path(c).is_none()) {
            bail!("{c} is still missing after installing poppler-utils");
        }
    }
    if !r_survey_ok() {
        apt_install(&["r-base-core", "r-cran-survey", "r-cran-mass"])?;
        if !r_survey_ok() {
            bail!(
                "R's survey and MASS packages still do not load after installing r-cran-survey and r-cran-mass"
            );
        }
    }
    if !r_haven_ok() {
        apt_install(&["r-cran-haven"])?;
        if !r_haven_ok() {
            bail!("R's haven package still does not load after installing r-cran-haven");
        }
    }
    if !python_readers_ok() {
        if on_path("python3").is_none() {
            apt_install(&["python3", "python3-pip"])?;
        }
        eprintln!("installing pyreadstat, pandas and pyarrow (pip)…");
        let mut pip = Command::new("python3");
        pip.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "pyreadstat",
            "pandas",
            "pyarrow",
        ]);
        let ok = pip.status().map(|s| s.success()).unwrap_or(false)
            || Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--break-system-packages",
                    "pyreadstat",
                    "pandas",
                    "pyarrow",
                ])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
        if !ok || !python_readers_ok() {
            bail!(
                "Python cannot import pyreadstat, pandas and pyarrow, and `python3 -m pip install pyreadstat pandas pyarrow` did not help"
            );
        }
    }
    Ok(typst)
}
