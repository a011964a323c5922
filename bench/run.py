#!/usr/bin/env python3
"""Three benchmarks, each written to its own section of BENCHMARKS.md:

- report: `cargo xtask build-report` end to end against typst alone compiling the same source;
- preview: `cargo xtask preview` update latency against cold builds of the same report;
- scale: `cargo xtask build-report` on generated exports of N_LIST respondents (default 100k
  and 1M; also the smallest as GB18030 CSV and as Excel, VARIANTS) against pandas and polars doing the same
  cleaning and tables.

- data: `cargo xtask export-data` (.sav, .dta, .parquet) at N_LIST respondents against pandas
  doing the same cleaning and writing the same formats (run only when asked: PARTS=data).

PARTS (default "scale report preview") picks which to run. Run through bench/run.sh, which installs
pandas, polars and their calamine Excel readers from PyPI into target/bench/venv.
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
PARTS = os.environ.get("PARTS", "scale report preview").split()
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
    pages = f" ({b['pages']} pages)" if b.get("pages") else ""
    lines = [
        "## Report: raw exports to PDF",
        "",
        f"`cargo xtask bench-report` builds `{b['report']}`{pages} {b['runs']} times in one",
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


def scale_folder(n, data, tag=""):
    """A copy of the CHIMA 2025 report folder whose main dataset is the generated code-mode CSV."""
    import shutil
    dest = os.path.join(ROOT, f"target/bench/report-{n}{tag}")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "reports/chima-2025-data-security"), dest)
    ext = os.path.splitext(data)[1]
    shutil.copy(data, os.path.join(dest, f"data/main{ext}"))
    spec = os.path.join(dest, "report.toml")
    text = open(spec).read().replace("data/synthetic-main-wjx-text.xlsx", f"data/main{ext}")
    open(spec, "w").write(text)
    mp = os.path.join(dest, "import/main.mapping.json")
    m = json.load(open(mp))
    m["mode"] = "code"
    json.dump(m, open(mp, "w"), ensure_ascii=False, indent=1)
    return dest


def product_tables(tables_json, mapping, questionnaire):
    """The toolkit's main-dataset frequency tables as {问卷星 number: [base, counts in option order]}."""
    options = {}
    for sec in questionnaire["sections"]:
        for q in sec["questions"]:
            options[q["id"]] = [o["code"] for o in q.get("options", [])]
    number = {q: n for n, q in mapping["questions"].items()}
    out = {}
    for t in tables_json["tables"]:
        if t.get("kind") != "frequency" or t.get("dataset") != "main" or len(t.get("questions", [])) != 1:
            continue
        qid = t["questions"][0]
        counts = {}
        for r in t["rows"]:
            c = [x["value"]["count"] for x in r["cells"] if x["value"]["type"] == "count"]
            if r.get("code") and c:
                counts[r["code"]] = c[0]
        out[number[qid]] = [t["base"]["n"], [counts.get(o, 0) for o in options[qid]]]
    return out


def scale():
    """build-report on generated exports of N respondents against pandas and polars doing the
    same cleaning and tables, in the same run."""
    runs = int(os.environ.get("SCALE_RUNS", "3"))
    rows, notes = [], []
    # Every size as UTF-8 CSV; the smallest also as GB18030 CSV (how Excel on a Chinese Windows
    # saves) and as 问卷星's Excel download (VARIANTS).
    cases = [(n, "utf-8") for n in SIZES] + [(SIZES[0], e) for e in os.environ.get("VARIANTS", "gb18030 xlsx").split()]
    for n, encoding in cases:
        data = os.path.join(ROOT, f"target/bench/main-{n}.csv")
        if not (os.path.exists(data) and os.path.exists(data[: -len(".csv")] + ".layout.json")):
            subprocess.run([XTASK, "bench-data", "--n", str(n), "--out", data], check=True)
        tag = "" if encoding == "utf-8" else f"-{encoding}"
        if encoding == "xlsx":
            data = os.path.join(ROOT, f"target/bench/main-{n}.xlsx")
            if not os.path.exists(data):
                subprocess.run([XTASK, "bench-data", "--n", str(n), "--out", data], check=True)
        elif tag:
            import shutil
            utf8 = data
            data = os.path.join(ROOT, f"target/bench/main-{n}{tag}.csv")
            with open(utf8, encoding="utf-8", newline="") as src, open(data, "w", encoding=encoding, newline="") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            shutil.copy(utf8[: -len(".csv")] + ".layout.json", data[: -len(".csv")] + ".layout.json")
        folder = scale_folder(n, data, tag)
        out = os.path.join(ROOT, f"target/bench/out-{n}{tag}")
        mapping = json.load(open(os.path.join(folder, "import/main.mapping.json")))
        questionnaire = json.load(open(os.path.join(folder, "questionnaires/main.questionnaire.json")))
        # The copy just written is flushed to disk and one untimed build reads it, so that no
        # engine pays for the copy's write-back or a cold cache; then the engines take turns,
        # run by run, so that a slow spell of the machine falls on all of them alike.
        os.sync()
        subprocess.run([XTASK, "build-report", "--report", folder, "--out", out], capture_output=True, cwd=ROOT, check=True)
        walls, rss, own, stages = [], [], [], []
        peers = {"pandas": ([], []), "polars": ([], [])}

        def toolkit_run():
            t0 = time.perf_counter()
            p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", XTASK, "build-report", "--report", folder, "--out", out, "--timings"],
                               capture_output=True, text=True, cwd=ROOT)
            walls.append(time.perf_counter() - t0)
            if p.returncode != 0:
                sys.exit(f"build-report failed:\n{p.stderr}")
            rss.append(int([l for l in p.stderr.splitlines() if l.startswith("MAXRSS")][-1].split()[1]) / 1024)
            t = [l for l in p.stdout.splitlines() if l.startswith("timings:")][-1]
            stages.append({k: float(v.rstrip("s")) for k, v in re.findall(r"(\w+) ([0-9.]+s)", t)})
            own.append(float(re.search(r"own peak ([0-9.]+) MiB", t).group(1)))

        peer_runs = []

        def peer_run(engine):
            (j, r) = timed([PY, "bench/pipeline.py", engine, data, os.path.join(folder, "import/main.mapping.json"), "utf-8" if encoding == "xlsx" else encoding])
            peers[engine][0].append(j["seconds"])
            peers[engine][1].append(r)
            peer_runs.append((engine, j))

        for k in range(runs):
            order = ["toolkit", "pandas", "polars"]
            for who in order[k % 3:] + order[: k % 3]:
                toolkit_run() if who == "toolkit" else peer_run(who)
        tj = json.load(open(os.path.join(out, "chima-2025-data-security/tables.json")))
        mine = product_tables(tj, mapping, questionnaire)
        log = open(os.path.join(out, "chima-2025-data-security/cleaning-log-main.csv")).read().splitlines()
        excluded = sum(1 for l in log[2:] if ",excluded," in l)
        if excluded == 0:
            sys.exit(f"nothing excluded at {n}: the generated export should hold planted duplicates")
        valid = n - excluded
        med = lambda k: statistics.median(s[k] for s in stages)
        tool = statistics.median(walls)
        typst = med("typst")
        result = {"toolkit": (tool, max(rss))}
        for engine, j in peer_runs:
            if j["valid"] != valid:
                sys.exit(f"{engine} at {n}: {j['valid']} valid, the toolkit {valid}")
            compared = [k for k in j["tables"] if k in mine]
            bad = [k for k in compared if j["tables"][k] != mine[k]]
            if bad or len(compared) < 20:
                sys.exit(f"{engine} at {n}: tables differ from the toolkit's: {bad[:5]} ({len(compared)} compared)")
        for engine, (ws, rs) in peers.items():
            result[engine] = (statistics.median(ws), max(rs))
        label_n = f"{n:,}" + {"utf-8": "", "xlsx": " (Excel)"}.get(encoding, f" ({encoding.upper()})")
        notes.append(f"{label_n}: {valid:,} valid, {len(compared)} tables compared, all equal")
        size = os.path.getsize(data) / 2**20
        data_s = med('import') + med('clean') + med('aggregate')
        for engine, (sec, mem) in result.items():
            label = "`build-report` (whole command: import, clean, aggregate, tables, PDF)" if engine == "toolkit" else engine
            rows.append(f"| {label_n} | {size:.0f} MiB | {label} | {sec:.2f} | {mem:.0f} | {result['pandas'][0] / sec:.1f}× | {result['polars'][0] / sec:.1f}× |")
        rows.append(f"| {label_n} | | of which typst (PDF and chart images) | {typst:.2f} | | | |")
        rows.append(f"| {label_n} | | of which import + clean + aggregate | {data_s:.2f} | {max(own):.0f} (the command alone) | {result['pandas'][0] / data_s:.1f}× | {result['polars'][0] / data_s:.1f}× |")
    lines = [
        "## Report at scale: `build-report` against pandas and polars",
        "",
        "The CHIMA 2025 report folder with its main export replaced by a generated 问卷星 code-mode",
        "CSV of N synthetic respondents (`cargo xtask bench-data`: numeric 序号, about 3% planted for the",
        "cleaning rules to exclude as resubmissions, copied answers or too fast), built with `build-report` as a user",
        "runs it (wall clock of the process, PDF included), against pandas and polars pipelines",
        "(`bench/pipeline.py`) that read the same CSV, apply the same duplicate and duration rules and",
        "count every frequency table (wall time inside Python, from reading to the counts; interpreter",
        "start-up and imports excluded). The toolkit also validates every answer against the",
        "questionnaire, which the peers do not. Before any time is reported, each peer's valid count",
        "and every main-dataset frequency table are checked equal to the toolkit's `tables.json`.",
        "Peak memory is GNU time's maximum resident set; for `build-report` it is the largest of the",
        "command and the typst it runs, and on the \"of which import\" row the command's own peak",
        "(its VmHWM, as `--timings` prints it). The ratios on that row set the peers' whole time",
        "against the toolkit's data stages alone, typst apart. Cleaning holds at most 48 MiB of scratch",
        "data (footprints of about 66 bytes a submission, the duplicate rules' sort items, the log)",
        "and writes the rest to unnamed temporary files in TMPDIR, so the command's own memory does",
        "not grow with the export beyond one bit per row. A CSV this large is read once in full on",
        "every core (each row validated, fingerprinted for cleaning and counted); the rows cleaning",
        "set aside are then read again, each alone from its place when the file is UTF-8 and they",
        "are at most one row in 16 (else by a scan that decodes only them), and taken back from the",
        "counts. Each export is copied into the folder and flushed to disk, one untimed build",
        "reads it, and then the three engines take turns, run by run, the first of each round",
        "rotating; the figures are medians of their runs.",
        "",
        f"Reproduce: `PARTS=scale N_LIST=\"{' '.join(map(str, SIZES))}\" bench/run.sh` (VARIANTS, SCALE_RUNS={runs}). Machine: {machine()}.",
        "",
        "| respondents | file | engine | median seconds | peak memory (MiB) | pandas ÷ engine | polars ÷ engine |",
        "|---:|---:|---|---:|---:|---:|---:|",
    ] + rows + ["", "Checked: " + "; ".join(notes) + ".", ""]
    write_section("scale", lines)


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


def data():
    """`cargo xtask export-data` (.sav, .dta, .parquet and codebook of the valid respondents) on
    generated exports of N respondents, against pandas reading, cleaning and writing the same
    three formats (pyreadstat for .sav), in the same run."""
    import shutil
    runs = int(os.environ.get("SCALE_RUNS", "3"))
    rows, notes = [], []
    for n in SIZES:
        csv = os.path.join(ROOT, f"target/bench/main-{n}.csv")
        if not (os.path.exists(csv) and os.path.exists(csv[: -len(".csv")] + ".layout.json")):
            subprocess.run([XTASK, "bench-data", "--n", str(n), "--out", csv], check=True)
        folder = scale_folder(n, csv)
        out = os.path.join(ROOT, f"target/bench/data-out-{n}")
        peer_out = os.path.join(ROOT, f"target/bench/data-peer-{n}")
        walls, rss = [], []
        for _ in range(runs):
            shutil.rmtree(out, ignore_errors=True)
            t0 = time.perf_counter()
            p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", XTASK, "export-data", "--report", folder, "--out", out],
                               capture_output=True, text=True, cwd=ROOT)
            walls.append(time.perf_counter() - t0)
            if p.returncode != 0:
                sys.exit(f"export-data failed:\n{p.stderr}")
            rss.append(int([l for l in p.stderr.splitlines() if l.startswith("MAXRSS")][-1].split()[1]) / 1024)
        book = json.load(open(os.path.join(out, "chima-2025-data-security/data/main.codebook.json")))
        valid = book["respondents"]
        sizes = sum(os.path.getsize(os.path.join(out, "chima-2025-data-security/data", f"main.{e}")) for e in ("sav", "dta", "parquet")) / 2**20
        ws, rs = [], []
        for _ in range(runs):
            shutil.rmtree(peer_out, ignore_errors=True)
            os.makedirs(peer_out)
            p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", PY, "bench/pipeline.py", "pandas-export", csv, os.path.join(folder, "import/main.mapping.json")],
                               capture_output=True, text=True, cwd=ROOT, env={**os.environ, "OUT_DIR": peer_out})
            if p.returncode != 0:
                sys.exit(f"pandas-export failed:\n{p.stderr}")
            j = json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][-1])
            if j["valid"] != valid:
                sys.exit(f"pandas at {n}: {j['valid']} valid, the toolkit {valid}")
            ws.append(j["seconds"])
            rs.append(int([l for l in p.stderr.splitlines() if l.startswith("MAXRSS")][-1].split()[1]) / 1024)
        tool, peer = statistics.median(walls), statistics.median(ws)
        rows.append(f"| {n:,} | {valid:,} | {len(book['variables'])} | {sizes:.0f} MiB | {tool:.2f} | {max(rss):.0f} | {peer:.2f} | {max(rs):.0f} | {peer / tool:.1f}× |")
        shutil.rmtree(peer_out, ignore_errors=True)
    lines = [
        "## Respondent-level data at scale: `export-data` against pandas",
        "",
        "`cargo xtask export-data` on the generated exports of the scale benchmark (the CHIMA 2025 folder, its",
        "main dataset replaced): import, cleaning, then every valid respondent of both datasets as `.sav`,",
        "`.dta` and `.parquet` with a codebook. The peer: pandas reads the same CSV, does the same cleaning,",
        "and writes the main dataset's valid respondents, identifying questions left out, as `.sav`",
        "(pyreadstat, compressed), `.dta` 118 and Parquet (pyarrow), with no value labels, missing codes or",
        "multiple-response sets (less than the toolkit writes). The valid counts are checked equal first.",
        f"Medians of {runs} runs; peak memory is the largest of the runs (GNU time, whole process).",
        "",
        "| respondents | valid | variables | files (main) | `export-data` s | peak MiB | pandas s | peak MiB | pandas ÷ toolkit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Reproduce: `PARTS=data N_LIST=\"{' '.join(map(str, SIZES))}\" bench/run.sh` (SCALE_RUNS={runs}). Machine: {machine()}.",
        "",
    ]
    write_section("data", lines)


def main():
    if "data" in PARTS:
        data()
    if "report" in PARTS:
        report()
    if "scale" in PARTS:
        scale()
    if "preview" in PARTS:
        preview()


if __name__ == "__main__":
    main()
