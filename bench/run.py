#!/usr/bin/env python3
"""Time the report's tables on 100k and 1M synthetic respondents: this toolkit (2 threads and
1 thread) against pandas and polars on the same file, in the same run. Writes BENCHMARKS.md.

Run through bench/run.sh, which installs pandas and polars from PyPI into target/bench/venv.
"""
import json
import os
import platform
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XTASK = os.path.join(ROOT, "target/release/xtask")
PY = os.path.join(ROOT, "target/bench/venv/bin/python")
SIZES = [int(x) for x in os.environ.get("N_LIST", "100000 1000000").split()]
RUNS = int(os.environ.get("RUNS", "5"))


def timed(cmd):
    """Run cmd under GNU time: (its JSON line, peak RSS in MiB)."""
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M"] + cmd, capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}")
    line = [l for l in p.stdout.splitlines() if l.startswith("{")][-1]
    rss = int([l for l in p.stderr.splitlines() if l.startswith("MAXRSS")][-1].split()[1]) / 1024
    return json.loads(line), rss


def main():
    results = {}
    for n in SIZES:
        data = os.path.join(ROOT, f"target/bench/main-{n}.csv")
        if not (os.path.exists(data) and os.path.exists(data[: -len(".csv")] + ".layout.json")):
            subprocess.run([XTASK, "bench-data", "--n", str(n), "--out", data], check=True)
        engines = {
            "toolkit (2 threads)": lambda out: [XTASK, "bench-tables", "--file", data, "--threads", "2", "--tables", out],
            "toolkit (1 thread)": lambda out: [XTASK, "bench-tables", "--file", data, "--threads", "1", "--tables", out],
            "polars": lambda out: [PY, "bench/peers.py", "polars", data, "--tables", out],
            "pandas": lambda out: [PY, "bench/peers.py", "pandas", data, "--tables", out],
        }
        tables = {}
        for run in range(RUNS):
            # Interleave engines so that machine noise falls on all of them alike.
            for name, cmd in engines.items():
                out = os.path.join(ROOT, f"target/bench/tables-{n}-{name.split()[0]}-{name.count('1')}.json")
                j, rss = timed(cmd(out))
                results.setdefault((n, name), []).append((j["seconds"], rss))
                tables[name] = json.load(open(out))
                print(f"n={n} run {run + 1}/{RUNS} {name}: {j['seconds']:.3f}s, {rss:.0f} MiB", flush=True)
        ref = tables["toolkit (2 threads)"]
        for name, t in tables.items():
            if {k: v for k, v in t.items()} != ref:
                sys.exit(f"{name} computed different tables than the toolkit at n={n}")
        print(f"n={n}: all engines computed the same {len(ref)} tables", flush=True)

    lines = [
        "# Benchmarks",
        "",
        "Every table of the CHIMA 2025 report's main questionnaire (29 choice questions, 175",
        "columns) computed from a 问卷星 code-mode CSV of synthetic respondents: this toolkit",
        "(`cargo xtask bench-tables`: the parallel streaming reader, `Aggregate`, merge) against",
        "pandas (`read_csv`, then `value_counts`/sums) and polars (`scan_csv` with one `select` of",
        "every count, so it may skip the columns it does not need) on the same file, in the same",
        "run, engines interleaved. Seconds are measured inside each program from the start of",
        "reading to the finished tables (interpreter start-up and imports excluded); peak memory",
        "is the process's maximum resident set (GNU time). Each engine's tables are checked equal",
        "to the toolkit's before any time is reported.",
        "",
        f"Reproduce: `bench/run.sh` (installs pandas and polars from PyPI; {RUNS} runs per engine and size).",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, Linux {platform.release()}, Python {platform.python_version()}; "
        f"pandas {subprocess.run([PY, '-c', 'import pandas; print(pandas.__version__)'], capture_output=True, text=True).stdout.strip()}, "
        f"polars {subprocess.run([PY, '-c', 'import polars; print(polars.__version__)'], capture_output=True, text=True).stdout.strip()}.",
        "",
        "| respondents | file | engine | median seconds | min–max | peak memory (MiB) | pandas ÷ engine | polars ÷ engine |",
        "|---:|---:|---|---:|---|---:|---:|---:|",
    ]
    for n in SIZES:
        size = os.path.getsize(os.path.join(ROOT, f"target/bench/main-{n}.csv")) / 2**20
        med = {name: statistics.median(s for s, _ in results[(n, name)]) for (m, name) in results if m == n}
        for (m, name), runs in results.items():
            if m != n:
                continue
            secs = [s for s, _ in runs]
            rss = statistics.median(r for _, r in runs)
            lines.append(
                f"| {n:,} | {size:.0f} MiB | {name} | {med[name]:.3f} | {min(secs):.3f}–{max(secs):.3f} | {rss:.0f} | "
                f"{med['pandas'] / med[name]:.1f}× | {med['polars'] / med[name]:.2f}× |"
            )
    lines += ["", "A ratio above 1 means the engine is that many times faster than pandas (or polars).", ""]
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
