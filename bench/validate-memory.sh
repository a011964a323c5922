#!/usr/bin/env bash
# Peak memory of `cargo xtask validate` on a large JSON Lines file (MIB, default 200 MiB of
# records), and on the same records as one JSON array. Prints the peak resident set in KiB.
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${MIB:-200}
cargo build --quiet --release -p xtask
dir=$(mktemp -d)
q=reports/chima-2025-data-security/questionnaires/ai.questionnaire.json
rec=$(head -1 reports/chima-2025-data-security/examples/ai-responses.example.jsonl)
python3 - "$dir" "$MIB" "$rec" <<'PY'
import json, sys
d, mib, rec = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
target = mib << 20
with open(f"{d}/big.jsonl", "w") as f, open(f"{d}/big.json", "w") as g:
    g.write("[\n")
    n, size = 0, 0
    while size < target:
        rec["id"] = f"R{n:08d}"
        line = json.dumps(rec, ensure_ascii=False)
        f.write(line + "\n")
        g.write(("," if n else "") + line + "\n")
        size += len(line.encode()) + 1
        n += 1
    g.write("]\n")
print(f"{n} records, {size >> 20} MiB", file=sys.stderr)
PY
for f in big.jsonl big.json; do
  /usr/bin/time -f "$f: peak %M KiB, %e s" target/release/xtask validate "$q" "$dir/$f" > /dev/null || true
done
rm -rf "$dir"
