#!/usr/bin/env python3
"""The peer of `cargo xtask build-report` on a large export: the same cleaning and the same
frequency tables with pandas or polars, from a 问卷星 code-mode CSV written by
`cargo xtask bench-data`. Prints one JSON line: engine, seconds, valid, tables.

    python3 bench/pipeline.py pandas|polars|pandas-export FILE MAPPING.json [ENCODING]

ENCODING (default utf-8) is the CSV's text encoding, e.g. gb18030: pandas decodes it as it
reads; polars reads UTF-8 only, so the file is decoded in Python first (inside the timing).
A FILE ending in .xlsx is 问卷星's Excel download, read with the calamine engine by both.

Cleaning, as the CHIMA 2025 rules (cleaning/main.rules.json) do it: submissions sharing an
organisation code (统一社会信用代码, trimmed, upper-case; empty codes never match) keep the
last; submissions with identical answers to every non-identifying question keep the first;
所用时间 under 60 seconds is excluded. The toolkit also checks every answer against the
questionnaire (incomplete answers, exclusive options), which this peer does not do: on the
synthetic data nothing is excluded by those rules, and the valid counts are compared.

Tables: per 问卷星 question number of the layout, the base and the count of each option.
"""
import json
import re
import sys
import time

engine, path, mapping_path = sys.argv[1], sys.argv[2], sys.argv[3]
encoding = sys.argv[4] if len(sys.argv) > 4 else "utf-8"
import os

layout = json.load(open(os.path.splitext(path)[0] + ".layout.json"))
xlsx = path.endswith(".xlsx")
mapping = json.load(open(mapping_path))
identifying = {n for n, q in mapping["questions"].items() if q in ("hospital_name", "org_code")}
code_number = next(n for n, q in mapping["questions"].items() if q == "org_code")

if xlsx:
    from python_calamine import CalamineWorkbook

    header = [str(h) for h in next(iter(CalamineWorkbook.from_path(path).get_sheet_by_index(0).iter_rows()))]
else:
    with open(path, encoding=encoding) as f:
        header = next(iter(__import__("csv").reader(f)))
singles, multis, answers = {}, {}, []
code_col = None
for col in header:
    m = re.match(r"^\s*(\d+)、", col) or re.match(r"^\s*第(\d+)题\(", col)
    if not m:
        continue
    num = m.group(1)
    if num == code_number:
        code_col = col
    if num not in identifying:
        answers.append(col)
    if num in layout:
        if layout[num]["kind"] == "single" and col.startswith(f"{num}、"):
            singles[num] = col
        elif layout[num]["kind"] == "multiple":
            multis.setdefault(num, []).append(col)

t0 = time.perf_counter()
tables = {}
if engine in ("pandas", "pandas-export"):
    import pandas as pd

    if xlsx:
        df = pd.read_excel(path, engine="calamine", dtype={code_col: str})
    else:
        df = pd.read_csv(path, dtype={code_col: str}, encoding=encoding)
    code = df[code_col].fillna("").str.strip().str.upper()
    dup_code = code.duplicated(keep="last") & (code != "")
    df = df[~dup_code]
    df = df[~df.duplicated(subset=answers, keep="first")]
    seconds_taken = df["所用时间"].str.rstrip("秒").astype(float)
    df = df[seconds_taken >= 60]
if engine == "pandas-export":
    # The peer of `cargo xtask export-data`: the valid respondents, identifying questions left
    # out, as .sav (pyreadstat), .dta 118 (pandas) and Parquet (pyarrow), into OUT_DIR. Short
    # ASCII names and no value labels: less than the toolkit writes.
    import pyreadstat

    out_dir = os.environ["OUT_DIR"]
    keep = [c for c in df.columns if not any(c.startswith(f"{n}、") for n in identifying)]
    df = df[keep]
    df.columns = [f"v{i}" for i in range(len(keep))]
    pyreadstat.write_sav(df, os.path.join(out_dir, "main.sav"), compress=True)
    df.to_stata(os.path.join(out_dir, "main.dta"), version=118, write_index=False)
    df.to_parquet(os.path.join(out_dir, "main.parquet"), index=False)
    valid = len(df)
elif engine == "pandas":
    for num, col in singles.items():
        vc = df[col].value_counts()
        k = layout[num]["options"]
        tables[num] = [int((df[col] >= 1).sum()), [int(vc.get(i, 0)) for i in range(1, k + 1)]]
    for num, cols in multis.items():
        answered = ~df[cols[0]].isin([-2, -3])
        tables[num] = [int(answered.sum()), [int((df[c] == 1).sum()) for c in cols]]
    valid = len(df)
elif engine == "polars":
    import polars as pl

    import io

    if xlsx:
        df = pl.read_excel(path, engine="calamine", schema_overrides={code_col: pl.Utf8}, infer_schema_length=None)
    else:
        source = path if encoding == "utf-8" else io.BytesIO(open(path, "rb").read().decode(encoding).encode())
        df = pl.read_csv(source, schema_overrides={code_col: pl.Utf8})
    code = pl.col(code_col).fill_null("").str.strip_chars().str.to_uppercase()
    df = df.with_columns(code.alias("__code"), pl.int_range(pl.len()).alias("__row"))
    # Keep the last of each non-empty code: the rows that are their code's last.
    last = (pl.col("__code") == "") | (pl.col("__row") == pl.col("__row").max().over("__code"))
    df = df.filter(last)
    df = df.filter(pl.struct(answers).is_first_distinct())
    df = df.filter(pl.col("所用时间").str.strip_chars_end("秒").cast(pl.Float64) >= 60)
    exprs = []
    for num, col in singles.items():
        exprs.append((pl.col(col) >= 1).sum().alias(f"{num}|base"))
        exprs += [(pl.col(col) == i).sum().alias(f"{num}|{i}") for i in range(1, layout[num]["options"] + 1)]
    for num, cols in multis.items():
        exprs.append((~pl.col(cols[0]).is_in([-2, -3])).sum().alias(f"{num}|base"))
        exprs += [(pl.col(c) == 1).sum().alias(f"{num}|{i + 1}") for i, c in enumerate(cols)]
    row = df.select(exprs).row(0, named=True)
    for num in list(singles) + list(multis):
        k = layout[num]["options"]
        tables[num] = [int(row[f"{num}|base"]), [int(row[f"{num}|{i}"]) for i in range(1, k + 1)]]
    valid = df.height
else:
    sys.exit(f"unknown engine {engine}")
seconds = time.perf_counter() - t0
print(json.dumps({"engine": engine, "seconds": seconds, "valid": valid, "tables": tables}))
