//! Benchmarks of the commands users run: a large synthetic export of the CHIMA main
//! questionnaire (`cargo xtask bench-data`) for `build-report` at scale, full builds against
//! typst alone (`bench-report`), and preview updates (`bench-preview`). The driver
//! `bench/run.sh` times `build-report` against pandas and polars doing the same work.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indexmap::IndexMap;
use survey_import::wjx::WjxWriter;
use survey_import::{Mapping, Meta, WjxMode};
use survey_synth::{QuestionTarget, Targets};

/// The CHIMA main questionnaire, its 问卷星 mapping and published counts.
pub struct Chima {
    pub index: survey_schema::Index,
    pub mapping: Mapping,
    pub mapping_path: PathBuf,
    pub targets: Targets,
}

pub fn chima(root: &Path) -> Result<Chima> {
    let report = root.join(crate::report::DEFAULT_REPORT);
    let spec = crate::synth::load_spec(&report)?;
    let q = spec
        .questionnaires
        .iter()
        .find(|q| q.questionnaire == "main")
        .context("synth.json has no main questionnaire")?;
    let index =
        survey_schema::load_questionnaire(&report.join("questionnaires/main.questionnaire.json"))?;
    let targets = crate::synth::targets(&report, &spec, q, &index)?;
    let mapping_path = report.join("import/main.mapping.json");
    let mut mapping = Mapping::load(&mapping_path)?;
    // The report's export is in text mode; bench files are in code mode. Let the header decide.
    mapping.mode = WjxMode::Auto;
    Ok(Chima {
        index,
        mapping,
        mapping_path,
        targets,
    })
}

/// Scale counts to `n` respondents keeping their proportions: largest remainders, so that the
/// counts of a single-choice question still add up to `n`.
fn scale(
    counts: &IndexMap<String, u64>,
    from: u64,
    n: u64,
    exact_total: bool,
) -> IndexMap<String, u64> {
    let exact: Vec<(String, f64)> = counts
        .iter()
        .map(|(k, &c)| (k.clone(), c as f64 * n as f64 / from as f64))
        .collect();
    let mut out: IndexMap<String, u64> = exact
        .iter()
        .map(|(k, x)| (k.clone(), x.floor() as u64))
        .collect();
    if exact_total {
        let short = n - out.values().sum::<u64>();
        let mut order: Vec<&(String, f64)> = exact.iter().collect();
        order.sort_by(|a, b| {
            (b.1 - b.1.floor())
                .total_cmp(&(a.1 - a.1.floor()))
                .then(a.0.cmp(&b.0))
        });
        for (k, _) in order.into_iter().take(short as usize) {
            *out.get_mut(k).expect("same keys") += 1;
        }
    } else {
        for (k, x) in &exact {
            out[k] = x.round() as u64;
        }
    }
    out
}

/// Submissions in a benchmark export that the CHIMA 2025 cleaning rules exclude, planted at
/// fixed strides so that cleaning has real work at any size: about 1% resubmissions of an
/// organisation (the later is kept), 1.1% copies of another submission's answers (the first is
/// kept) and 1% too fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defects {
    Planted,
    None,
}

/// 2025/3/3 00:00:00 plus `secs` seconds, as 问卷星 prints submission times.
fn wjx_time(secs: u64) -> String {
    const DAYS: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut month, mut day) = (2usize, 2 + secs / 86_400);
    while day >= DAYS[month % 12] {
        day -= DAYS[month % 12];
        month += 1;
    }
    let t = secs % 86_400;
    format!(
        "{}/{}/{} {:02}:{:02}:{:02}",
        2025 + month / 12,
        month % 12 + 1,
        day + 1,
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// Write `n` synthetic respondents of the CHIMA main questionnaire as a 问卷星 code-mode CSV
/// (or, for an `.xlsx` path, Excel), submitted one second apart from 2025/3/3, with or without
/// planted [`Defects`].
pub fn data(root: &Path, n: u64, out: &Path, defects: Defects) -> Result<()> {
    let c = chima(root)?;
    let from = c.targets.respondents;
    let mut t = Targets {
        respondents: n,
        questions: IndexMap::new(),
    };
    for (qid, qt) in &c.targets.questions {
        let q = c.index.get(qid).context("target of an unknown question")?;
        let mut s = QuestionTarget {
            text: qt.text.clone(),
            ..QuestionTarget::default()
        };
        if !qt.counts.is_empty() {
            s.counts = scale(&qt.counts, from, n, q.kind.is_single());
        }
        t.questions.insert(qid.clone(), s);
    }
    let mut records = survey_synth::generate(&c.index, &t, 2025)?;
    let org = c
        .index
        .position("org_code")
        .context("the CHIMA questionnaire has org_code")?;
    for (k, r) in records.iter_mut().enumerate() {
        // 问卷星 numbers submissions 1, 2, 3…
        r.id = (k + 1).to_string();
    }
    if defects == Defects::Planted {
        for k in 5..records.len() {
            if k % 97 == 50 {
                // The same organisation as the submission before: a resubmission.
                records[k].values[org] = records[k - 1].values[org].clone();
            } else if k % 89 == 30 {
                // Every non-identifying answer copied from five submissions earlier.
                let (head, tail) = records.split_at_mut(k);
                let (from, to) = (&head[k - 5], &mut tail[0]);
                for (i, v) in from.values.iter().enumerate() {
                    if !c.index.question(i).identifying {
                        to.values[i] = v.clone();
                    }
                }
                to.other_text.clone_from(&from.other_text);
            }
        }
    }
    let writer = WjxWriter::new(&c.index, &c.mapping, WjxMode::Code);
    if let Some(d) = out.parent() {
        std::fs::create_dir_all(d)?;
    }
    let meta = |k: usize| Meta {
        row: k + 2,
        submitted_at: Some(wjx_time(k as u64)),
        submitted_key: None,
        duration_secs: Some(if defects == Defects::Planted && k % 101 == 7 {
            30.0
        } else {
            120.0 + (k % 900) as f64
        }),
        source: Some("链接".into()),
        ip: Some(format!("203.0.113.{}", 1 + k % 250)),
    };
    let xlsx = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if xlsx {
        // As 问卷星's Excel download: one sheet, numbers as numbers (held in memory to write).
        let rows: Vec<Vec<String>> = records
            .iter()
            .enumerate()
            .map(|(k, r)| writer.row(r, &meta(k)))
            .collect();
        survey_import::table::write_xlsx(out, "Sheet1", &writer.headers(), &rows)
            .map_err(anyhow::Error::msg)?;
    } else {
        let tmp = out.with_extension("csv.tmp");
        let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(&tmp)?,
        ));
        w.write_record(writer.headers())?;
        for (k, r) in records.iter().enumerate() {
            w.write_record(writer.row(r, &meta(k)))?;
        }
        w.into_inner()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .flush()?;
        std::fs::rename(&tmp, out)?;
    }
    // What the peers need to know of the questionnaire: which 问卷星 numbers to tabulate,
    // single choice with how many options, or multiple choice.
    let mut layout = serde_json::Map::new();
    for (num, qid) in &c.mapping.questions {
        let q = c.index.get(qid).expect("mapped");
        if q.kind.is_choice() && !q.identifying {
            layout.insert(num.clone(), serde_json::json!({"kind": if q.kind.is_multiple() { "multiple" } else { "single" }, "options": q.kind.options().len()}));
        }
    }
    std::fs::write(
        out.with_extension("layout.json"),
        serde_json::to_string_pretty(&layout)?,
    )?;
    Ok(())
}

/// Peak resident memory of this process so far (Linux), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Medians, in seconds, of `runs` full builds of a report and of typst alone on its source.
#[derive(Debug, serde::Serialize)]
pub struct ReportBench {
    pub report: String,
    pub runs: usize,
    pub pages: Option<usize>,
    /// `cargo xtask build-report`'s work, in process: raw exports to PDF, tables and logs.
    pub build: f64,
    pub import: f64,
    pub clean: f64,
    pub aggregate: f64,
    pub render: f64,
    /// typst as the build runs it (overlapping with writing the tables).
    pub typst_in_build: f64,
    /// The peer: the same typst on the same `report.typ` with the same flags, nothing else.
    pub typst_alone: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Build `report_dir` `runs` times into a scratch folder, interleaved with typst alone compiling
/// the same source, and return the medians.
pub fn report(root: &Path, report_dir: &Path, typst: &Path, runs: usize) -> Result<ReportBench> {
    anyhow::ensure!(runs > 0, "--runs must be at least 1");
    let scratch = root.join("target/bench/report");
    let mut cols: [Vec<f64>; 7] = Default::default();
    let mut pages = None;
    for _ in 0..runs {
        let t0 = Instant::now();
        let r = crate::report::build(root, report_dir, &scratch, typst, None)?;
        let wall = t0.elapsed().as_secs_f64();
        let t = &r.timings;
        for (c, v) in cols.iter_mut().zip([
            wall,
            t.import.as_secs_f64(),
            t.clean.as_secs_f64(),
            t.aggregate.as_secs_f64(),
            t.render.as_secs_f64(),
            t.typst.as_secs_f64(),
        ]) {
            c.push(v);
        }
        let spec = survey_report::spec::ReportSpec::load(&report_dir.join("report.toml"))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .0;
        let pdf = scratch.join("typst-alone.pdf");
        let t0 = Instant::now();
        survey_export::compile::compile(&survey_export::compile::Compile {
            typst,
            root: &r.out_dir,
            input: &r.out_dir.join("report.typ"),
            output: &pdf,
            font_dir: &root.join("fonts"),
            timestamp: spec.timestamp(),
            pdf_standard: Some(&spec.pdf_standards()),
        })?;
        cols[6].push(t0.elapsed().as_secs_f64());
        let bytes = std::fs::read(&pdf)?;
        anyhow::ensure!(
            bytes == std::fs::read(r.out_dir.join("report.pdf"))?,
            "typst alone made a different PDF from the build's"
        );
        pages = count_pages(&pdf);
    }
    let [
        build,
        import,
        clean,
        aggregate,
        render,
        typst_in_build,
        typst_alone,
    ] = cols.map(median);
    Ok(ReportBench {
        report: report_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        runs,
        pages,
        build,
        import,
        clean,
        aggregate,
        render,
        typst_in_build,
        typst_alone,
    })
}

/// Pages in a PDF, from poppler's `pdfinfo` when it is installed.
fn count_pages(pdf: &Path) -> Option<usize> {
    let out = std::process::Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
}

/// One kind of edit the preview benchmark makes: a file and two versions of a piece of it,
/// swapped on every edit so each is a real change.
struct Edit {
    what: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
}

/// The edits on CHIMA 2025. A data edit drops the AI export's last submission (and puts it
/// back on the next edit), as a fresh download with one answer more or less would.
const EDITS: [Edit; 4] = [
    Edit {
        what: "narrative: one word",
        file: "narrative/03-findings.md",
        from: "专项调查仍采用问卷方式",
        to: "专项调查仍使用问卷方式",
    },
    Edit {
        what: "caption",
        file: "narrative/02-basics.md",
        from: "caption = \"参与调查的医院级别\"",
        to: "caption = \"参与调查医院的级别\"",
    },
    Edit {
        what: "chart style",
        file: "narrative/03-findings.md",
        from: "@question law_awareness {number = \"3.1.1\", chart = \"donut\"}",
        to: "@question law_awareness {number = \"3.1.1\", chart = \"bars\"}",
    },
    Edit {
        what: "data",
        file: "data/synthetic-ai-wjx-code-gb18030.csv",
        from: "",
        to: "",
    },
];

/// `cargo xtask bench-preview`: run the real `cargo xtask preview` on a copy of the report,
/// make each kind of edit `runs` times, and time from the write to the preview's line saying
/// the PDF is updated; against cold `build-report` runs of the same folder in the same run.
pub fn preview(root: &Path, report_dir: &Path, _typst: &Path, runs: usize) -> Result<String> {
    use std::io::BufRead;
    anyhow::ensure!(runs > 0, "--runs must be at least 1");
    let scratch = root.join("target/bench/preview");
    let _ = std::fs::remove_dir_all(&scratch);
    let src = scratch.join("report");
    copy_dir(report_dir, &src)?;
    let exe = std::env::current_exe()?;
    // The peers: the command users run, as a process, rebuilding in place (chart images taken
    // over when unchanged) and into an empty folder (everything drawn).
    let mut cold = Vec::new();
    let mut empty = Vec::new();
    for k in 0..runs {
        for (dir, times) in [("cold", &mut cold), ("empty", &mut empty)] {
            let dest = scratch.join(dir);
            if dir == "empty" {
                let _ = std::fs::remove_dir_all(&dest);
            }
            let t0 = Instant::now();
            let out = std::process::Command::new(&exe)
                .arg("build-report")
                .arg("--report")
                .arg(&src)
                .arg("--out")
                .arg(&dest)
                .output()?;
            anyhow::ensure!(
                out.status.success(),
                "build-report failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            // The first rebuild in place has nothing to take over.
            if !(dir == "cold" && k == 0) || runs == 1 {
                times.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let mut child = std::process::Command::new(&exe)
        .arg("preview")
        .arg("--report")
        .arg(&src)
        .arg("--out")
        .arg(scratch.join("preview"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().context("preview has no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(|l| l.ok())
        {
            let _ = tx.send(l);
        }
    });
    let next_update = |rx: &std::sync::mpsc::Receiver<String>| -> Result<String> {
        loop {
            let l = rx
                .recv_timeout(Duration::from_secs(120))
                .context("the preview printed no update within 2 minutes")?;
            if l.contains(": ours ") || l.contains(": error") {
                return Ok(l);
            }
        }
    };
    let first = next_update(&rx)?;
    anyhow::ensure!(first.contains("typst"), "the first preview failed: {first}");
    let ms_after = |l: &str, key: &str| -> Option<f64> {
        l.split(key)
            .nth(1)?
            .split(" ms")
            .next()?
            .trim()
            .parse()
            .ok()
    };
    let mut rows = Vec::new();
    for e in &EDITS {
        let path = src.join(e.file);
        let original = std::fs::read(&path)?;
        let mut wall = Vec::new();
        let mut ours = Vec::new();
        let mut typst = Vec::new();
        for k in 0..runs {
            let bytes = if e.from.is_empty() {
                let body = original.strip_suffix(b"\n").unwrap_or(&original);
                let cut = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                if k % 2 == 0 {
                    original[..cut].to_vec()
                } else {
                    original.clone()
                }
            } else {
                let text = String::from_utf8(original.clone())?;
                anyhow::ensure!(text.contains(e.from), "{}: «{}» not found", e.file, e.from);
                if k % 2 == 0 {
                    text.replacen(e.from, e.to, 1).into_bytes()
                } else {
                    text.into_bytes()
                }
            };
            // Let the file system's clock move on, so a same-bytes rewrite is a new version.
            std::thread::sleep(Duration::from_millis(60));
            let t0 = Instant::now();
            std::fs::write(&path, &bytes)?;
            let line = next_update(&rx)?;
            wall.push(t0.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(!line.contains(": error"), "{}: {line}", e.what);
            ours.push(ms_after(&line, ": ours ").unwrap_or(f64::NAN));
            typst.push(ms_after(&line, "· typst ").unwrap_or(0.0));
            if e.from.is_empty() {
                anyhow::ensure!(
                    line.contains("data read"),
                    "a data edit reused the data: {line}"
                );
            } else {
                anyhow::ensure!(line.contains("data reused"), "{}: {line}", e.what);
            }
        }
        std::fs::write(&path, &original)?;
        let _ = next_update(&rx);
        rows.push((e.what, median(wall), median(ours), median(typst)));
    }
    let _ = child.kill();
    let _ = child.wait();
    let cold = median(cold);
    let empty = median(empty);
    let mut md = format!(
        "| update ({runs} edits each, median) | edit → PDF updated | ours | typst | vs `build-report` rebuilding in place ({cold:.0} ms) | vs `build-report` into an empty folder ({empty:.0} ms) |\n|---|---:|---:|---:|---:|---:|\n"
    );
    for (what, wall, ours, typst) in rows {
        md.push_str(&format!(
            "| {what} | {wall:.0} ms | {ours:.0} ms | {typst:.0} ms | {:.1}× faster | {:.1}× faster |\n",
            cold / wall,
            empty / wall
        ));
    }
    Ok(md)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let p = e.path();
        let t = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&p, &t)?;
        } else {
            std::fs::copy(&p, &t)?;
        }
    }
    Ok(())
}
