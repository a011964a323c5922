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
