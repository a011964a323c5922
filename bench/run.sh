#!/usr/bin/env bash
# Benchmark the report: its tables against pandas and polars, and the whole build against typst
# alone; writes BENCHMARKS.md. PARTS ("tables report"), N_LIST, RUNS and REPORT_RUNS may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv target/bench/venv
target/bench/venv/bin/pip install --quiet --disable-pip-version-check pandas polars
cargo build --release --quiet -p xtask
exec target/bench/venv/bin/python bench/run.py
