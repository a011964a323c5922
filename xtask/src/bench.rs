//! Benchmarks: a large synthetic export of the CHIMA main questionnaire, and the tables of the
//! report computed from it (`cargo xtask bench-data`, `cargo xtask bench-tables`). The driver
//! `bench/run.sh` times these against pandas and polars on the same file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indexmap::IndexMap;
use survey_aggregate::{Aggregate, RowOrder};
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

/// Write `n` synthetic respondents of the CHIMA main questionnaire as a 问卷星 code-mode CSV.
pub fn data(root: &Path, n: u64, out: &Path) -> Result<()> {
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
    let records = survey_synth::generate(&c.index, &t, 2025)?;
    let writer = WjxWriter::new(&c.index, &c.mapping, WjxMode::Code);
    if let Some(d) = out.parent() {
        std::fs::create_dir_all(d)?;
    }
    let tmp = out.with_extension("csv.tmp");
    let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&tmp)?,
    ));
    w.write_record(writer.headers())?;
    for (k, r) in records.iter().enumerate() {
        let meta = Meta {
            row: k + 2,
            submitted_at: Some(format!(
                "2025/3/{} {:02}:{:02}:{:02}",
                3 + k % 28,
                k % 24,
                k % 60,
                (k * 7) % 60
            )),
            duration_secs: Some(120.0 + (k % 900) as f64),
            source: Some("链接".into()),
            ip: Some(format!("203.0.113.{}", 1 + k % 250)),
        };
        w.write_record(writer.row(r, &meta))?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .flush()?;
    std::fs::rename(&tmp, out)?;
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

/// Per 问卷星 question number: (base, count per option in questionnaire order).
pub type TableCounts = IndexMap<String, (u64, Vec<u64>)>;

/// One timed run: the file read on `threads` workers and every table of the report computed.
pub fn tables(root: &Path, file: &Path, threads: usize) -> Result<(Duration, TableCounts)> {
    let c = chima(root)?;
    let t0 = Instant::now();
    let (_, states) = survey_import::parallel::fold_csv(
        &c.index,
        &c.mapping,
        &c.mapping_path,
        file,
        threads,
        || Aggregate::new(&c.index, &[]).expect("no cross-tabs"),
        |agg, rec, meta| {
            agg.add(rec).map_err(|e| survey_import::ImportError {
                file: file.to_owned(),
                row: Some(meta.row),
                column: None,
                value: None,
                message: e.to_string(),
            })
        },
    )?;
    let mut it = states.into_iter();
    let mut agg = it.next().context("no worker")?;
    for s in it {
        agg.merge(&s)?;
    }
    // Every choice question's table, keyed by 问卷星 question number as the peers key theirs.
    let mut out = IndexMap::new();
    for (num, qid) in &c.mapping.questions {
        let q = c.index.get(qid).expect("mapped");
        if q.kind.is_choice() && !q.identifying {
            let f = agg.frequency(&c.index, qid, RowOrder::Questionnaire)?;
            out.insert(
                num.clone(),
                (f.base, f.rows.iter().map(|r| r.count).collect()),
            );
        }
    }
    Ok((t0.elapsed(), out))
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
            pdf_standard: spec.pdf_standard.as_deref(),
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
