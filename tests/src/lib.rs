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
