//! `cargo xtask fuzz`: mutation fuzzing of every reader of untrusted input, on stable Rust.
//!
//! Each target starts from seeds taken from the project's own files (the shipped exports,
//! questionnaires, specs, mappings, narratives, response files) and feeds it mutated inputs —
//! bit flips, random bytes, tokens of the format (`┋`, `〖`, `-3`, `@question`, `[[blocks]]`…),
//! deletions, duplications and splices of two seeds — for a bounded time. A panic is a crash:
//! the input is saved under `target/fuzz/<target>/` and reported. Errors are fine; panics,
//! hangs and unbounded memory are not. (cargo-fuzz needs a nightly toolchain, which this
//! project does not assume; this harness is not coverage-guided, so it runs many cheap
//! executions instead.)

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// One fuzz target's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub target: String,
    pub executions: u64,
    pub seconds: f64,
    pub crashes: usize,
    /// Files holding the crashing inputs.
    pub saved: Vec<PathBuf>,
}

/// The targets, by name.
pub const TARGETS: &[&str] = &[
    "wjx-csv",
    "wjx-xlsx",
    "questionnaire",
    "mapping",
    "spec",
    "narrative",
    "references",
    "validate",
];

const TOKENS: &[&str] = &[
    ",",
    "\"",
    "\n",
    "\r\n",
    "┋",
    "〖",
    "〗",
    "-3",
    "-2",
    "(跳过)",
    "(空)",
    "、",
    "第1题(",
    ")",
    "(",
    "（",
    "）",
    "秒",
    "分",
    "{",
    "}",
    "[",
    "]",
    "@question ",
    "@part ",
    "[[blocks]]\n",
    "kind = ",
    "=",
    "\"\"",
    "0",
    "1",
    "9999999999999999999",
    "-1",
    "NaN",
    "\u{feff}",
    "\u{0}",
    "医",
    "𠮷",
    "{main.",
    ".pct}",
    "{ref:tbl:",
    "**",
    "## ",
    "//",
    "\\",
    "true",
    "null",
    "e9999",
    "..",
    "/etc/passwd",
];

fn mutate(rng: &mut SmallRng, seeds: &[Vec<u8>], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&seeds[rng.random_range(0..seeds.len())]);
    for _ in 0..rng.random_range(1..=8) {
        let len = out.len();
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                out[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.random_range(0..len);
                out[i] = rng.random();
            }
            2 => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())].as_bytes();
                let i = rng.random_range(0..=len);
                out.splice(i..i, t.iter().copied());
            }
            3 if len > 1 => {
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(1..=64.min(len - a))).min(len);
                out.drain(a..b);
            }
            4 if len > 1 => {
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(1..=256.min(len - a))).min(len);
                let piece: Vec<u8> = out[a..b].to_vec();
                let i = rng.random_range(0..=len);
                out.splice(i..i, piece);
            }
            5 => {
                let other = &seeds[rng.random_range(0..seeds.len())];
                if !other.is_empty() && len > 0 {
                    let cut = rng.random_range(0..len);
                    let from = rng.random_range(0..other.len());
                    out.truncate(cut);
                    out.extend_from_slice(&other[from..]);
                }
            }
            _ => {
                // Repeat a token many times (deep nesting, long cells).
                let t = TOKENS[rng.random_range(0..TOKENS.len())].as_bytes();
                let n = rng.random_range(1..2000);
                let i = rng.random_range(0..=len);
                let rep: Vec<u8> = t.iter().copied().cycle().take(t.len() * n).collect();
                out.splice(i..i, rep);
            }
        }
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}

/// Run one target for `seconds`; `seed` fixes the mutations.
pub fn run(root: &Path, target: &str, seconds: f64, seed: u64) -> Result<Outcome> {
    let follow = root.join("reports/chima-2026-ai-followup");
    let chima = root.join("reports/chima-2025-data-security");
    let fixtures = root.join("crates/survey-import/tests/fixtures");
    let work = root.join("target/fuzz").join(target);
    std::fs::create_dir_all(&work)?;
    let index = survey_schema::load_questionnaire(&fixtures.join("fixture.questionnaire.json"))?;
    let mapping = survey_import::Mapping::load(&fixtures.join("fixture.mapping.json"))?;
    let seeds: Vec<Vec<u8>> = match target {
        "wjx-csv" => {
            // The fixture questionnaire's rows in both modes, and the shipped exports.
            let mut v = Vec::new();
            for mode in ["text", "code"] {
                let rows: Vec<Vec<String>> =
                    serde_json::from_slice(&read(&fixtures.join(format!("wjx-{mode}.rows.json"))))?;
                let mut w = csv::Writer::from_writer(Vec::new());
                for r in &rows {
                    w.write_record(r)?;
                }
                v.push(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?);
            }
            v.push(read(&follow.join("data/synthetic-followup-wjx-text.csv")));
            v
        }
        "wjx-xlsx" => vec![
            read(&chima.join("data/synthetic-main-wjx-text.xlsx")),
            read(&fixtures.join("wjx-text.xls")),
            read(&fixtures.join("wjx-code.xls")),
        ],
        "questionnaire" => vec![
            read(&fixtures.join("fixture.questionnaire.json")),
            read(&follow.join("questionnaires/followup.questionnaire.json")),
        ],
        "mapping" => vec![
            read(&fixtures.join("fixture.mapping.json")),
            read(&chima.join("import/ai.mapping.json")),
        ],
        "spec" => vec![
            read(&follow.join("report.toml")),
            read(&chima.join("report.toml")),
        ],
        "narrative" | "references" => vec![
            read(&follow.join("narrative/report.md")),
            read(&chima.join("narrative/03-findings.md")),
        ],
        "validate" => vec![
            read(&fixtures.join("fixture.records.jsonl")),
            read(&chima.join("examples/ai-responses.example.jsonl")),
            format!(
                "[{}]",
                String::from_utf8_lossy(&read(&fixtures.join("fixture.records.jsonl")))
                    .lines()
                    .collect::<Vec<_>>()
                    .join(",")
            )
            .into_bytes(),
        ],
        other => anyhow::bail!(
            "unknown fuzz target `{other}`; targets: {}",
            TARGETS.join(", ")
        ),
    };
    let datasets = if target == "references" {
        let (_, _, d) = survey_report::load_datasets(&follow)?;
        Some(d)
    } else {
        None
    };
    let registry = survey_report::Registry::with_builtins();
    let validator = survey_validate::Validator::new(&index);
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut input = Vec::new();
    let mut outcome = Outcome {
        target: target.into(),
        executions: 0,
        seconds: 0.0,
        crashes: 0,
        saved: Vec::new(),
    };
    let file = work.join(match target {
        "wjx-xlsx" => "input.xlsx",
        "wjx-csv" => "input.csv",
        _ => "input",
    });
    let start = Instant::now();
    let budget = Duration::from_secs_f64(seconds);
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    while start.elapsed() < budget {
        mutate(&mut rng, &seeds, &mut input);
        outcome.executions += 1;
        let r = catch_unwind(AssertUnwindSafe(|| match target {
            "wjx-csv" | "wjx-xlsx" => {
                std::fs::write(&file, &input).expect("the fuzz folder is writable");
                if let Ok(imp) =
                    survey_import::open(&index, &mapping, Path::new("fixture.mapping.json"), &file)
                {
                    for r in imp.take(10_000) {
                        let _ = r;
                    }
                }
                if target == "wjx-csv" {
                    let _ = survey_import::parallel::fold_csv_only(
                        &index,
                        &mapping,
                        Path::new("fixture.mapping.json"),
                        &file,
                        2,
                        97,
                        &|_| true,
                        || 0u64,
                        |n, _, _| {
                            *n += 1;
                            Ok(())
                        },
                        None,
                    );
                }
            }
            "questionnaire" => {
                let _ = survey_schema::parse_questionnaire(
                    &String::from_utf8_lossy(&input),
                    Path::new("q.json"),
                );
            }
            "mapping" => {
                if let Ok(m) = survey_import::Mapping::parse(
                    &String::from_utf8_lossy(&input),
                    Path::new("m.json"),
                ) {
                    let _ = m.check(&index, Path::new("m.json"));
                    let _ = survey_import::wjx::Plan::new(
                        &index,
                        &m,
                        &["序号".to_string(), "1、医院名称".to_string()],
                        Path::new("x.csv"),
                    );
                }
            }
            "spec" => {
                if let Ok((_, raw)) = survey_report::ReportSpec::parse(
                    &String::from_utf8_lossy(&input),
                    Path::new("report.toml"),
                ) {
                    for b in raw {
                        let _ = registry.parse(&b.kind, b.params);
                    }
                }
            }
            "narrative" => {
                if let Ok(n) = survey_report::narrative::Narrative::parse(
                    &String::from_utf8_lossy(&input),
                    Path::new("n.md"),
                ) {
                    for p in n.passages.iter().flat_map(|p| &p.paras) {
                        if let survey_report::narrative::Para::Directive(d) = p {
                            let _ = registry.directive(d);
                        }
                    }
                }
            }
            "references" => {
                let text = String::from_utf8_lossy(&input);
                let ds = datasets.as_ref().expect("loaded");
                for piece in text.split('{').skip(1).take(200) {
                    let expr = piece.split('}').next().unwrap_or_default();
                    let _ = survey_report::refs::resolve(expr, ds);
                }
            }
            _ => {
                let _ =
                    survey_validate::validate_reader(&validator, &input[..], Path::new("r.json"));
            }
        }));
        if r.is_err() {
            outcome.crashes += 1;
            let p = work.join(format!("crash-{}", outcome.crashes));
            std::fs::write(&p, &input)?;
            outcome.saved.push(p);
            if outcome.crashes >= 20 {
                break;
            }
        }
    }
    std::panic::set_hook(quiet);
    outcome.seconds = start.elapsed().as_secs_f64();
    Ok(outcome)
}
