#!/usr/bin/env python3
"""Two benchmarks, each written to its own section of BENCHMARKS.md:

- tables: the report's tables on 100k and 1M synthetic respondents, this toolkit (2 threads and
  1 thread) against pandas and polars on the same file, in the same run;
- report: `cargo xtask build-report` end to end against typst alone compiling the same source;
- preview: `cargo xtask preview` update latency against cold builds of the same report.

PARTS (default "tables report preview") picks which to run. Run through bench/run.sh, which installs
pandas and polars from PyPI into target/bench/venv.
"""
import re
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XTASK = os.path.join(ROOT, "target/release/xtask")
PY = os.path.join(ROOT, "target/bench/venv/bin/python")
SIZES = [int(x) for x in os.environ.get("N_LIST", "100000 1000000").split()]
RUNS = int(os.environ.get("RUNS", "5"))
REPORT_RUNS = int(os.environ.get("REPORT_RUNS", "11"))
PARTS = os.environ.get("PARTS", "tables report preview").split()
BENCH_MD = os.path.join(ROOT, "BENCHMARKS.md")


def write_section(name, lines):
    """Replace the section between <!-- name:start --> and <!-- name:end --> in BENCHMARKS.md."""
    text = open(BENCH_MD).read() if os.path.exists(BENCH_MD) else "# Benchmarks\n"
    block = f"<!-- {name}:start -->\n" + "\n".join(lines).strip() + f"\n<!-- {name}:end -->"
    pat = re.compile(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", re.S)
    text = pat.sub(lambda _: block, text) if pat.search(text) else text.rstrip() + "\n\n" + block + "\n"
    with open(BENCH_MD, "w") as f:
        f.write(text)
    print("\n".join(lines))


def machine():
    return f"{os.cpu_count()} CPUs, {platform.machine()}, Linux {platform.release()}"


def timed(cmd):
    """Run cmd under GNU time: (its JSON line, peak RSS in MiB)."""
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M"] + cmd, capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}")
    line = [l for l in p.stdout.splitlines() if l.startswith("{")][-1]
    rss = int([l for l in p.stderr.splitlines() if l.startswith("MAXRSS")][-1].split()[1]) / 1024
    return json.loads(line), rss


def tables():
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
        "## Tables: toolkit against pandas and polars",
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
        f"Machine: {machine()}, Python {platform.python_version()}; "
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
    write_section("tables", lines)


def report():
    p = subprocess.run([XTASK, "bench-report", "--runs", str(REPORT_RUNS)], capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        sys.exit(f"bench-report failed:\n{p.stdout}\n{p.stderr}")
    b = json.loads(p.stdout.strip().splitlines()[-1])
    own = b["build"] - b["typst_in_build"]
    # The command as a user runs it, process start included (the binary is built, typst installed).
    cmd = []
    for _ in range(REPORT_RUNS):
        t0 = time.perf_counter()
        subprocess.run([XTASK, "build-report"], check=True, capture_output=True, cwd=ROOT)
        cmd.append(time.perf_counter() - t0)
    b["command"] = statistics.median(cmd)
    # Into an empty folder: nothing to take over, every chart drawn as SVG and PNG.
    fresh = []
    for k in range(REPORT_RUNS):
        out = os.path.join(ROOT, f"target/bench/fresh-{k}")
        subprocess.run(["rm", "-rf", out], check=True)
        t0 = time.perf_counter()
        subprocess.run([XTASK, "build-report", "--out", out], check=True, capture_output=True, cwd=ROOT)
        fresh.append(time.perf_counter() - t0)
        subprocess.run(["rm", "-rf", out], check=True)
    b["fresh"] = statistics.median(fresh)
    rows = [
        ("`target/release/xtask build-report`, the command, process start included", b["command"]),
        ("the same command into an empty folder (every chart drawn as SVG and PNG too)", b["fresh"]),
        ("whole build, in process", b["build"]),
        ("import (the report's raw exports)", b["import"]),
        ("validate and clean", b["clean"]),
        ("aggregate", b["aggregate"]),
        ("render Typst source and tables", b["render"]),
        ("typst, as the build runs it (the PDF, and the charts as SVG and PNG beside it)", b["typst_in_build"]),
        ("peer: typst alone on the same report.typ", b["typst_alone"]),
    ]
    lines = [
        "## Report: raw exports to PDF",
        "",
        f"`cargo xtask bench-report` builds `{b['report']}` ({b['pages']} pages) {b['runs']} times in one",
        "process and, after each build, runs typst alone on the same `report.typ` with the same flags",
        "(the peer); each peer PDF is checked byte-identical to the build's. Then the built command",
        f"itself runs {REPORT_RUNS} times, warm (binary built, typst installed; cargo's start-up aside).",
        "Medians of the runs; stages are the builder's own timings (writing tables and checking font",
        "coverage overlap typst, so stages do not add up to the whole). A rebuild takes over the",
        "chart images (`charts/*.svg`, `*.png`) of the last build when their Typst source, the typst",
        "version and the fonts are unchanged; the second row draws them afresh every time.",
        "",
        f"Reproduce: `PARTS=report bench/run.sh` (or `cargo xtask bench-report --runs {b['runs']}`). Machine: {machine()}.",
        "",
        "| stage | median seconds | share of whole build |",
        "|---|---:|---:|",
    ]
    for name, v in rows:
        share = "" if name.startswith("`") or name.startswith("the same command") else f"{100 * v / b['build']:.0f}%"
        lines.append(f"| {name} | {v:.3f} | {share} |")
    lines += [
        "",
        f"The whole build takes {b['build'] / b['typst_alone']:.2f}× the time of typst alone; everything"
        f" that is not typst costs {own:.3f} s, {100 * own / b['build']:.0f}% of the build. The command"
        f" {'meets' if b['command'] < 1.0 else 'misses'} the 1-second target ({b['command']:.3f} s).",
        "",
    ]
    write_section("report", lines)


def preview():
    p = subprocess.run([XTASK, "bench-preview", "--runs", str(REPORT_RUNS)], capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        sys.exit(f"bench-preview failed:\n{p.stdout}\n{p.stderr}")
    table = [l for l in p.stdout.splitlines() if l.startswith("|")]
    lines = [
        "## Preview: an edit to the updated PDF",
        "",
        "`cargo xtask bench-preview` copies `chima-2025-data-security` to a scratch folder, runs the",
        f"`cargo xtask preview` command on it as a process, and makes each kind of edit {REPORT_RUNS} times",
        "(swapping between two versions, so each is a real change): a word in the narrative, a table",
        "caption, a chart's style, and a data edit (the AI export loses its last submission, then gets",
        "it back). Each time is from writing the file to the preview's line saying the PDF is updated;",
        "\"ours\" is the preview's own work (reading the folder, the datasets that changed, the blocks,",
        "the source), \"typst\" is from writing the source to typst reporting the compile. The peer is",
        "the cold `build-report` command on the same folder in the same run. `tests/preview.rs` checks",
        "the preview's PDF byte-identical to `build-report`'s after such edits.",
        "",
        f"Reproduce: `PARTS=preview bench/run.sh` (or `cargo xtask bench-preview --runs {REPORT_RUNS}`). Machine: {machine()}.",
        "",
    ] + table + [
        "",
        "`typst watch` waits about 100 ms after a change before it compiles (measured on a one-line",
        "document: 101–105 ms from the write to its \"compiling\" line), so an update cannot be faster",
        "than our part plus 100 ms plus typst's incremental compile.",
        "",
    ]
    write_section("preview", lines)


def main():
    if "tables" in PARTS:
        tables()
    if "report" in PARTS:
        report()
    if "preview" in PARTS:
        preview()


if __name__ == "__main__":
    main()
