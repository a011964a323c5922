#!/usr/bin/env bash
# Benchmark the report's tables against pandas and polars; writes BENCHMARKS.md.
# N_LIST (default "100000 1000000") and RUNS (default 5) may be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv target/bench/venv
target/bench/venv/bin/pip install --quiet --disable-pip-version-check pandas polars
cargo build --release --quiet -p xtask
exec target/bench/venv/bin/python bench/run.py
