#!/usr/bin/env bash
# The command's own peak memory on a weighted report at scale: the CHIMA 2025 folder with its
# main export replaced by a generated code-mode CSV of N respondents (N_LIST, default "100000
# 1000000"), raked to two margins (hospital level, ownership) and with a weighted table and a
# weighted cross-tab, so that weighting, the design estimates and the Rao–Scott test all read
# every valid record. Prints, per N, the command's own peak (VmHWM, as --timings reports it)
# and its stage times. Run by hand and quoted; not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
N_LIST=${N_LIST:-"100000 1000000"}
cargo build --quiet --release -p xtask
x=target/release/xtask
for n in $N_LIST; do
  data=target/bench/main-$n.csv
  [ -f "$data" ] || "$x" bench-data --n "$n" --out "$data"
  dir=target/bench/report-$n-weighted
  rm -rf "$dir"
  python3 - "$dir" "$data" <<'PY'
import json, os, shutil, sys
dest, data = sys.argv[1], sys.argv[2]
shutil.copytree("reports/chima-2025-data-security", dest)
os.remove(os.path.join(dest, "data/synthetic-main-wjx-text.xlsx"))
os.link(data, os.path.join(dest, "data/main.csv"))
spec = os.path.join(dest, "report.toml")
text = open(spec).read().replace("data/synthetic-main-wjx-text.xlsx", "data/main.csv")
text += '\n[[weights]]\nname = "level"\ndataset = "main"\nmargins = "weights/level.margins.json"\n'
open(spec, "w").write(text)
mp = os.path.join(dest, "import/main.mapping.json")
m = json.load(open(mp))
m["mode"] = "code"
json.dump(m, open(mp, "w"), ensure_ascii=False, indent=1)
os.makedirs(os.path.join(dest, "weights"))
json.dump({
    "source": "基准测试用的示例总体结构（三级30%、三级以下70%；公立80%、非公立20%）",
    "margins": {"hospital_level": {"tertiary": 0.30, "below_tertiary": 0.70},
                "ownership": {"public": 0.80, "private": 0.20}},
    "epsilon": 1e-10, "max_iterations": 50, "bounds": [0.2, 5.0],
}, open(os.path.join(dest, "weights/level.margins.json"), "w"), ensure_ascii=False)
with open(os.path.join(dest, "narrative/04-analysis.md"), "a") as f:
    f.write('\n@weighted_table law_training {weights = "level", caption = "是否组织学习宣贯：未加权与加权比较"}\n')
    f.write('\n@crosstab {row = "law_training", col = "hospital_level", caption = "不同级别医院的学习宣贯（加权）", intervals = "logit", test = true, weights = "level"}\n')
PY
  out=$(mktemp -d)
  echo "$n respondents, weighted:"
  "$x" build-report --report "$dir" --out "$out" --timings 2>&1 | grep '^timings'
  rm -rf "$out"
done
