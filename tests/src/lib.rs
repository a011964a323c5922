//! Helpers shared by the workspace-level tests in this folder.

use std::path::PathBuf;

/// The workspace root.
pub fn root() -> PathBuf {
    xtask::workspace_root()
}

/// The CHIMA 2025 report folder.
pub fn chima() -> PathBuf {
    root().join("reports/chima-2025-data-security")
}

/// Copy a folder tree (a report folder to break or extend in a test).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Run an R script on a CSV (its first argument) and read what it prints: one line per result,
/// a name and then numbers. `tag` keeps the scratch files of concurrent tests apart.
pub fn run_r(script: &str, csv: &str, tag: &str) -> std::collections::HashMap<String, Vec<f64>> {
    let dir = std::env::temp_dir().join(format!("r-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("d.csv"), csv).unwrap();
    std::fs::write(dir.join("s.R"), script).unwrap();
    let out = std::process::Command::new("Rscript")
        .arg(dir.join("s.R"))
        .arg(dir.join("d.csv"))
        .output()
        .expect("Rscript (cargo xtask test installs r-base-core and r-cran-survey)");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "R failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let k = it.next()?.to_owned();
            Some((k, it.map(|v| v.parse().unwrap()).collect()))
        })
        .collect()
}

/// Ours equals R's to 1e-9, relative to R's magnitude.
pub fn close(name: &str, ours: f64, r: f64) {
    let tol = 1e-9 * (1.0 + r.abs());
    assert!(
        (ours - r).abs() <= tol,
        "{name}: ours {ours:.17} R {r:.17} (diff {:.3e})",
        (ours - r).abs()
    );
}
