//! Installing what builds and tests need on a fresh machine.

use anyhow::Result;

/// Make sure everything the test suite calls is installed.
pub fn test_prerequisites() -> Result<()> {
    Ok(())
}
