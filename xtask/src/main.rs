use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Project commands for the CHIMA survey toolkit.
#[derive(Parser)]
#[command(name = "cargo xtask", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the JSON Schemas in schemas/ and beside every questionnaire.
    Schemas {
        /// Only check that the committed schemas are current; exit 1 if not.
        #[arg(long)]
        check: bool,
    },
    /// Build a report folder into target/reports/<id>/ (PDF, Typst sources, tables, cleaning logs).
    BuildReport {
        /// The report folder (relative to the current folder; default: the CHIMA 2025 report).
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write into <out>/<id>/ instead of the workspace's target/reports/<id>/.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write internal/unsuppressed.json: the counts behind suppressed cells
        /// (CONFIDENTIAL, never to be published).
        #[arg(long)]
        internal: bool,
        /// Also write the respondent-level data into data/ (as `cargo xtask export-data`).
        #[arg(long)]
        data: bool,
        /// With --data: keep the identifying questions (names, codes); the files are marked
        /// CONFIDENTIAL.
        #[arg(long, requires = "data")]
        include_identifying: bool,
        /// Print where the time went.
        #[arg(long)]
        timings: bool,
    },
    /// Watch a report folder and keep a preview PDF up to date in target/preview/<id>/: spec
    /// and narrative edits reuse the computed tables, and typst recompiles incrementally.
    Preview {
        /// The report folder (relative to the current folder; default: the CHIMA 2025 report).
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write into <out>/<id>/ instead of the workspace's target/preview/<id>/.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Time preview updates (narrative, caption, chart style, data edits) against cold
    /// builds of the same report; print a Markdown table of medians.
    BenchPreview {
        /// The report folder (copied to a temporary folder before editing).
        #[arg(long)]
        report: Option<PathBuf>,
        /// Edits of each kind (the median is reported).
        #[arg(long, default_value_t = 11)]
        runs: usize,
    },
    /// Write each dataset's cleaned, valid respondents for statistical packages into
    /// target/reports/<id>/data/: SPSS .sav, Stata .dta, Parquet, and a codebook.
    ExportData {
        /// The report folder (relative to the current folder; default: the CHIMA 2025 report).
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write into <out>/<id>/data/ instead of the workspace's target/reports/<id>/data/.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Keep the identifying questions (names, codes); the files are marked CONFIDENTIAL.
        #[arg(long)]
        include_identifying: bool,
    },
    /// Draft a report folder from a 问卷星 download: questionnaire, mapping, cleaning rules,
    /// report spec, narrative skeleton, and REVIEW.md listing every guess. Then build it with
    /// `cargo xtask build-report --report <dir>`.
    NewReport {
        /// The report folder to create (relative to the current folder).
        dir: PathBuf,
        /// The 问卷星 download (下载答卷数据: 按文本 or 按序号, .xlsx or .csv).
        #[arg(long)]
        from: PathBuf,
        /// The questionnaire as 问卷星 plain text (批量导入 format): question types and option
        /// order come from it instead of being guessed from the data.
        #[arg(long)]
        questionnaire: Option<PathBuf>,
        /// Replace the folder if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Audit a publication: its numbers against themselves, its narrative against its tables,
    /// both against the data. Writes target/reports/<id>/audit.json.
    Audit {
        /// The report folder, whose report.toml names the publication under `[audit]`.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write into <out>/<id>/ instead of target/reports/<id>/.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write N synthetic respondents of the CHIMA main questionnaire as a 问卷星 code-mode CSV
    /// (Excel when OUT ends in .xlsx), with about 3% submissions for cleaning to exclude.
    BenchData {
        #[arg(long)]
        n: u64,
        #[arg(long)]
        out: PathBuf,
        /// Plant nothing for cleaning to exclude.
        #[arg(long)]
        clean: bool,
    },
    /// Time full report builds against typst alone on the same source; print JSON medians.
    BenchReport {
        /// The report folder.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Builds to time (the median is reported).
        #[arg(long, default_value_t = 11)]
        runs: usize,
    },
    /// Regenerate a report folder's synthetic example data from its synth.json.
    Synth {
        /// The report folder.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Fuzz the readers of untrusted input with mutated seeds for a bounded time; crashing
    /// inputs are saved under target/fuzz/<target>/. Prints JSON, one line per target.
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
        /// Targets to run (default: all).
        #[arg(long)]
        target: Vec<String>,
        /// Seed of the mutations.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Install what the tests need (if missing), then run the whole test suite.
    Test {
        /// Extra arguments passed to `cargo test`.
        #[arg(trailing_var_arg = true)]
        args: Vec<String>,
    },
    /// Validate a responses file (JSON array or JSON Lines) against a questionnaire.
    Validate {
        /// The questionnaire file (`*.questionnaire.json`).
        questionnaire: PathBuf,
        /// The responses file.
        responses: PathBuf,
        /// Print findings as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    // Output piped into a command that stops reading (`| head`) ends this process quietly, as
    // other command-line tools do, instead of a panic at the next line written. Outputs are
    // staged and moved into place whole, so stopping anywhere leaves none half-written.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", printable(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

/// A path as a shell reads it back: quoted when it holds a space, a quote or another
/// character the shell would take for its own.
fn shell_word(s: &str) -> String {
    let plain = |c: char| !c.is_ascii() || c.is_ascii_alphanumeric() || "/._-+:,=@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A message as the terminal should show it ([`survey_import::visible`]).
fn printable(message: &str) -> String {
    survey_import::visible(message)
}

/// A path from the command line, relative to the folder the command was run in (`cargo run`,
/// which `cargo xtask` is, keeps the caller's working folder).
fn from_cwd(p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        return p;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    cwd.join(p)
}

/// The report folder given, or the CHIMA 2025 report of this workspace.
fn report_dir(root: &std::path::Path, given: Option<PathBuf>) -> PathBuf {
    match given {
        Some(p) => from_cwd(p),
        None => root.join(xtask::report::DEFAULT_REPORT),
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let root = xtask::workspace_root();
    match cli.command {
        Command::Schemas { check } => {
            if check {
                let mut stale = Vec::new();
                for (path, text) in xtask::schemas::generate_all(&root)? {
                    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                        stale.push(path);
                    }
                }
                for p in &stale {
                    eprintln!("stale: {} (run `cargo xtask schemas`)", p.display());
                }
                return Ok(if stale.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                });
            }
            let changed = xtask::schemas::write_all(&root)?;
            if changed.is_empty() {
                println!("all schemas are current");
            }
            for p in changed {
                println!("wrote {}", p.strip_prefix(&root).unwrap_or(&p).display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::ExportData {
            report,
            out,
            include_identifying,
        } => {
            let report = report_dir(&root, report);
            let out_root = out
                .map(from_cwd)
                .unwrap_or_else(|| root.join("target/reports"));
            let (dir, files) = xtask::report::export_data(&report, &out_root, include_identifying)?;
            println!("wrote {}: {}", dir.display(), files.join(", "));
            if include_identifying {
                println!("  {}", survey_report::data::CONFIDENTIAL);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::BuildReport {
            report,
            out,
            internal,
            data,
            include_identifying,
            timings,
        } => {
            let report = report_dir(&root, report);
            let out_root = out
                .map(from_cwd)
                .unwrap_or_else(|| root.join("target/reports"));
            let typst = xtask::setup::typst()?;
            let say = |s: &str| eprintln!("{}", printable(s));
            let r = xtask::report::build_with(
                &root,
                &report,
                &out_root,
                &typst,
                Some(&say),
                &xtask::report::Extras {
                    internal,
                    data: data.then_some(include_identifying),
                },
            )?;
            for w in &r.warnings {
                eprintln!("typst: {}", printable(w));
            }
            for n in &r.notes {
                eprintln!("note: {}", printable(n));
            }
            let out = r.out_dir.display();
            println!("built {}: {out}/report.pdf", r.id);
            println!(
                "  also in {out}/: tables.json, tables.xlsx, tables/*.csv, charts/*.svg and *.png, report.typ, cleaning-log-*.csv (CONFIDENTIAL){}{}",
                if internal {
                    ", internal/unsuppressed.json (CONFIDENTIAL)"
                } else {
                    ""
                },
                match (data, include_identifying) {
                    (true, true) => ", data/ (CONFIDENTIAL: identifying answers)",
                    (true, false) => ", data/ (.sav, .dta, .parquet, codebook)",
                    _ => "",
                }
            );
            if timings {
                let t = &r.timings;
                println!(
                    "timings: import {:.3}s, clean {:.3}s, aggregate {:.3}s, render {:.3}s, typst {:.3}s{}{}{}",
                    t.import.as_secs_f64(),
                    t.clean.as_secs_f64(),
                    t.aggregate.as_secs_f64(),
                    t.render.as_secs_f64(),
                    t.typst.as_secs_f64(),
                    if data {
                        format!(", data {:.3}s (while typst runs)", t.data.as_secs_f64())
                    } else {
                        String::new()
                    },
                    xtask::bench::peak_rss_kib().map_or(String::new(), |k| format!(
                        ", own peak {:.0} MiB",
                        k as f64 / 1024.0
                    )),
                    if t.parallel.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({} read on every core; cleaning and counting run inside the reads)",
                            t.parallel.join(", ")
                        )
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Preview { report, out } => {
            let report = report_dir(&root, report);
            let out_root = out
                .map(from_cwd)
                .unwrap_or_else(|| root.join("target/preview"));
            let typst = xtask::setup::typst()?;
            xtask::preview::run(&root, &report, &out_root, &typst)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchPreview { report, runs } => {
            let report = report_dir(&root, report);
            let typst = xtask::setup::typst()?;
            let b = xtask::bench::preview(&root, &report, &typst, runs)?;
            println!("{b}");
            Ok(ExitCode::SUCCESS)
        }
        Command::NewReport {
            dir,
            from,
            questionnaire,
            force,
        } => {
            let dir = from_cwd(dir);
            let drafted = xtask::scaffold::new_report(
                &dir,
                &from_cwd(from),
                questionnaire.map(from_cwd).as_deref(),
                force,
            )?;
            let d = &drafted.draft;
            println!(
                "drafted {} from {} submissions: {} questions ({} mode)",
                dir.display(),
                d.rows,
                d.questions,
                if d.mode == survey_import::WjxMode::Code {
                    "code, 按序号"
                } else {
                    "text, 按文本"
                }
            );
            println!(
                "  {} guesses to confirm are listed in {}",
                d.guesses.len(),
                dir.join("REVIEW.md").display()
            );
            if let Some(e) = &drafted.build_error {
                println!(
                    "  the draft does not build yet (REVIEW.md opens with why):\n  {}",
                    printable(e).replace('\n', "\n  ")
                );
            }
            println!(
                "next: {}cargo xtask build-report --report {}",
                if drafted.build_error.is_some() {
                    "correct what REVIEW.md opens with, then "
                } else {
                    ""
                },
                shell_word(&dir.display().to_string())
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { report, out } => {
            let report = report_dir(&root, report);
            let out_root = out
                .map(from_cwd)
                .unwrap_or_else(|| root.join("target/reports"));
            let (audit, path) = xtask::report::audit(&report, &out_root)?;
            let c = &audit.checked;
            println!(
                "audited {} tables ({} rows) and {} narrative claims ({} from outside the survey, not checkable)",
                c.tables, c.rows, c.claims, c.external_claims
            );
            for (area, title) in [
                (
                    survey_audit::Area::Publication,
                    "the publication against itself",
                ),
                (survey_audit::Area::Data, "the publication against the data"),
                (survey_audit::Area::Presentation, "presentation"),
            ] {
                let fs: Vec<_> = audit.findings.iter().filter(|f| f.area == area).collect();
                println!("\n{title}: {} finding(s)", fs.len());
                for f in fs {
                    println!(
                        "  {}\n    printed {}, recomputed {} — {:?}: {}",
                        f.location, f.published, f.recomputed, f.cause, f.explanation
                    );
                }
            }
            println!("\nby cause:");
            for (cause, n) in audit.by_cause() {
                println!("  {n:>3}  {cause:?} ({})", cause.zh());
            }
            println!("wrote {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchData { n, out, clean } => {
            let defects = if clean {
                xtask::bench::Defects::None
            } else {
                xtask::bench::Defects::Planted
            };
            xtask::bench::data(&root, n, &out, defects)?;
            println!("wrote {} ({} respondents)", out.display(), n);
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchReport { report, runs } => {
            let report = report_dir(&root, report);
            let typst = xtask::setup::typst()?;
            let b = xtask::bench::report(&root, &report, &typst, runs)?;
            println!("{}", serde_json::to_string(&b)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Synth { report } => {
            let report = report_dir(&root, report);
            for p in xtask::synth::run(&report)? {
                println!("wrote {}", p.strip_prefix(&root).unwrap_or(&p).display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Fuzz {
            seconds,
            target,
            seed,
        } => {
            let targets: Vec<String> = if target.is_empty() {
                xtask::fuzz::TARGETS.iter().map(|s| s.to_string()).collect()
            } else {
                target
            };
            let mut crashed = false;
            for t in &targets {
                let o = xtask::fuzz::run(&root, t, seconds, seed)?;
                crashed |= o.crashes > 0;
                println!("{}", serde_json::to_string(&o)?);
            }
            Ok(if crashed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Test { args } => {
            xtask::setup::test_prerequisites()?;
            let status = std::process::Command::new(
                std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
            )
            .current_dir(&root)
            .args(["test", "--workspace", "--no-fail-fast"])
            .args(&args)
            .status()?;
            Ok(if status.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Validate {
            questionnaire,
            responses,
            json,
        } => {
            let index = survey_schema::load_questionnaire(&questionnaire)?;
            let validator = survey_validate::Validator::new(&index);
            let report = survey_validate::validate_file(&validator, &responses)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for f in &report.findings {
                    println!("{}: {f}", responses.display());
                }
                println!(
                    "{}: {} record(s) checked against {}: {} error(s), {} warning(s)",
                    responses.display(),
                    report.records,
                    index.id(),
                    report.errors(),
                    report.warnings()
                );
            }
            Ok(if report.errors() > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_with_spaces_are_quoted_for_the_shell() {
        assert_eq!(super::shell_word("/tmp/my-survey"), "/tmp/my-survey");
        assert_eq!(super::shell_word("/tmp/我的调查"), "/tmp/我的调查");
        assert_eq!(super::shell_word("/tmp/我的 调查"), "'/tmp/我的 调查'");
        assert_eq!(super::shell_word("/tmp/it's"), "'/tmp/it'\\''s'");
    }

    #[test]
    fn messages_show_control_characters_as_codes() {
        assert_eq!(
            super::printable("value \"8、\u{1b}[2J\u{202e}名称\"\nnext\tline"),
            "value \"8、\\u{1b}[2J\\u{202e}名称\"\nnext\tline"
        );
    }
}
