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

/// A figure kept as printed (`decimals` places; weighted estimates are) is R's rounded: within
/// half a unit of its last place of R's.
pub fn close_printed(name: &str, ours: f64, r: f64, decimals: u32) {
    let half = 0.5 * 10f64.powi(-(decimals as i32));
    assert!(
        (ours - r).abs() <= half + 1e-9 * (1.0 + r.abs()),
        "{name}: ours {ours} (printed to {decimals} places) R {r:.17}"
    );
    assert_eq!(
        survey_print::fmt::number_f64(ours, decimals)
            .parse::<f64>()
            .unwrap(),
        ours,
        "{name}: {ours} is not as printed"
    );
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

/// Every file under a folder, sorted.
pub fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else {
            v.push(p);
        }
    }
    v.sort();
    v
}
