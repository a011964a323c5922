#!/usr/bin/env bash
# Fuzz every reader of untrusted input for SECONDS (default 60) per target and print one JSON
# line per target: executions, crashes, where crashing inputs were saved (target/fuzz/).
# Memory is capped so that an input that makes a reader allocate without bound fails the run
# instead of the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-60}
cargo build --quiet --release -p xtask
ulimit -v 8000000
target/release/xtask fuzz --seconds "$SECONDS_PER_TARGET" "$@"
