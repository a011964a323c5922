#!/usr/bin/env bash
# Benchmark the report: its tables against pandas and polars, the whole build against typst
# alone, preview updates against cold builds, and (PARTS=data) the data export against pandas;
# writes BENCHMARKS.md. PARTS ("scale report preview"; or "data"), N_LIST, RUNS and REPORT_RUNS
# may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
# Peak memory comes from GNU time (Debian's `time` package); the report's page count from
# poppler's pdfinfo.
if [ ! -x /usr/bin/time ] || ! command -v pdfinfo >/dev/null; then
  echo "installing GNU time and poppler-utils (apt-get)" >&2
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq time poppler-utils
fi
python3 -m venv target/bench/venv
target/bench/venv/bin/pip install --quiet --disable-pip-version-check pandas polars python-calamine fastexcel pyreadstat pyarrow
cargo build --release --quiet -p xtask
exec target/bench/venv/bin/python bench/run.py
