#!/usr/bin/env python3
"""The report's tables from a 问卷星 code-mode CSV, with pandas or polars, for comparison with
`cargo xtask bench-tables`. Prints one JSON line: engine, seconds (read + tabulate), tables.

    python3 bench/peers.py pandas|polars FILE [--tables OUT.json]

For every tabulated question number N (from FILE's .layout.json): a single-choice column
`N、…` holds option numbers 1..k (-2/-3 missing); a multiple-choice question is one 0/1 column
per option headed `第N题(…)`. The base is the respondents who answered.
"""
import json
import re
import sys
import time

engine, path = sys.argv[1], sys.argv[2]
out = sys.argv[sys.argv.index("--tables") + 1] if "--tables" in sys.argv else None
layout = json.load(open(path[: -len(".csv")] + ".layout.json"))

if engine == "pandas":
    import pandas as pd
elif engine == "polars":
    import polars as pl
else:
    sys.exit(f"unknown engine {engine}")

with open(path, encoding="utf-8") as f:
    header = next(iter(__import__("csv").reader(f)))
singles, multis = {}, {}
for col in header:
    m = re.match(r"^\s*(\d+)、", col)
    if m and m.group(1) in layout and layout[m.group(1)]["kind"] == "single":
        singles[m.group(1)] = col
    m = re.match(r"^\s*第(\d+)题\(", col)
    if m and m.group(1) in layout:
        multis.setdefault(m.group(1), []).append(col)

t0 = time.perf_counter()
tables = {}
if engine == "pandas":
    df = pd.read_csv(path)
    for num, col in singles.items():
        vc = df[col].value_counts()
        k = layout[num]["options"]
        tables[num] = [int((df[col] >= 1).sum()), [int(vc.get(i, 0)) for i in range(1, k + 1)]]
    for num, cols in multis.items():
        answered = ~df[cols[0]].isin([-2, -3])
        tables[num] = [int(answered.sum()), [int((df[c] == 1).sum()) for c in cols]]
else:
    exprs = []
    for num, col in singles.items():
        exprs.append((pl.col(col) >= 1).sum().alias(f"{num}|base"))
        exprs += [(pl.col(col) == i).sum().alias(f"{num}|{i}") for i in range(1, layout[num]["options"] + 1)]
    for num, cols in multis.items():
        exprs.append((~pl.col(cols[0]).is_in([-2, -3])).sum().alias(f"{num}|base"))
        exprs += [(pl.col(c) == 1).sum().alias(f"{num}|{i + 1}") for i, c in enumerate(cols)]
    row = pl.scan_csv(path).select(exprs).collect().row(0, named=True)
    for num in list(singles) + list(multis):
        k = layout[num]["options"]
        tables[num] = [int(row[f"{num}|base"]), [int(row[f"{num}|{i}"]) for i in range(1, k + 1)]]
seconds = time.perf_counter() - t0
if out:
    json.dump(tables, open(out, "w"))
print(json.dumps({"engine": engine, "seconds": seconds, "tables": len(tables)}))
