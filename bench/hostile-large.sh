#!/usr/bin/env bash
# A 200,000-row 问卷星 CSV (large enough for the parallel reader) with one defect at a time in
# row 150,001: each build must stop with a located error, exit non-zero and leave no output.
# Not a timed test; run it by hand after touching the readers: bench/hostile-large.sh
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p xtask
X=target/release/xtask
D=target/bench/hostile-large
rm -rf "$D" && mkdir -p "$D"
$X bench-data --n 200000 --out "$D/main.csv" --clean >/dev/null
fail=0
for how in gb18030-cell option-out-of-range ragged-row negative-duration repeated-id; do
  r="$D/report-$how"
  cp -r reports/chima-2025-data-security "$r"
  sed -i 's#data/synthetic-main-wjx-text.xlsx#data/main.csv#' "$r/report.toml"
  python3 - "$r/import/main.mapping.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m["mode"] = "code"
json.dump(m, open(sys.argv[1], "w"), ensure_ascii=False, indent=1)
PY
  python3 - "$D/main.csv" "$r/data/main.csv" "$how" <<'PY'
import sys
src, dst, how = sys.argv[1:]
lines = open(src, "rb").read().split(b"\n")
f = lines[150000].split(b",")
if how == "gb18030-cell":
    f[6] = "北京喆医院".encode("gb18030")
elif how == "option-out-of-range":
    f[9] = b"9"
elif how == "ragged-row":
    f = f[:-1]
elif how == "negative-duration":
    f[2] = "-30秒".encode()
elif how == "repeated-id":
    f[0] = lines[5].split(b",")[0]
lines[150000] = b",".join(f)
open(dst, "wb").write(b"\n".join(lines))
PY
  $X build-report --report "$r" --out "$D/out-$how" >/dev/null 2>"$D/$how.err"
  code=$?
  msg=$(grep -v '^reading' "$D/$how.err" | head -1)
  if [ $code -ne 0 ] && [ ! -e "$D/out-$how" ] && [[ "$msg" == *"150001"* ]]; then
    echo "ok   $how: $msg"
  else
    echo "FAIL $how (exit $code): $msg"; fail=1
  fi
done
exit $fail
