//! # xtask
//!
//! The project's commands (`cargo xtask …`), kept as a library so that tests can run exactly
//! what the commands run. It sits at the top of the flow and only wires the crates together.

pub mod bench;
pub mod fuzz;
pub mod preview;
pub mod report;
pub mod scaffold;
pub mod schemas;
pub mod setup;
pub mod synth;

use std::path::{Path, PathBuf};

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}
