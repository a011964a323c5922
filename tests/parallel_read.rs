//! A large 问卷星 CSV is read on every core; the result is the sequential reader's, to the byte:
//! tables, cleaning log, Typst source and the respondent-level data, on an export with duplicate
//! organisations, duplicate answers and too-fast submissions, whether cleaning sets aside few
//! rows (read back each where it lies) or many (read back by a scan), with rows of commas and
//! nothing else among them. (Its own binary: the
//! test sets an environment variable.)

use survey_report::dataset::ReadBack;

use workspace_tests::{copy_dir, root};

#[test]
fn the_parallel_read_gives_the_sequential_result() {
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("parallel-read");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let csv = tmp.join("main.csv");
    xtask::bench::data(&root(), 30_000, &csv, xtask::bench::Defects::None).unwrap();

    // Make work for every cleaning rule that reads the footprints.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let header: Vec<String> = lines[0].split(',').map(str::to_owned).collect();
    let col = |prefix: &str| header.iter().position(|h| h.starts_with(prefix)).unwrap();
    let (name_col, code_col, time_col) = (col("1、"), col("2、"), col("所用时间"));
    let mut extra = Vec::new();
    for (k, i) in (5..11).enumerate() {
        // Same organisation, submitted again: the later one is kept.
        let mut f: Vec<String> = lines[i].split(',').map(str::to_owned).collect();
        f[0] = format!("D{k:05}");
        f[1] = "2025/3/30 12:00:00".into();
        extra.push(f.join(","));
    }
    for (k, i) in (20..26).enumerate() {
        // Another organisation with exactly the same answers: the first is kept.
        let mut f: Vec<String> = lines[i].split(',').map(str::to_owned).collect();
        f[0] = format!("A{k:05}");
        f[name_col] = format!("复制医院{k}");
        f[code_col] = format!("COPY{k:04}");
        extra.push(f.join(","));
    }
    lines.extend(extra);
    // Too fast: every 997th row (few set aside), or every 9th (more than one in 16).
    let with_too_fast = |step: usize| {
        let mut lines = lines.clone();
        for i in (100..30_000).step_by(step) {
            let mut f: Vec<String> = lines[i].split(',').map(str::to_owned).collect();
            f[time_col] = "30秒".into();
            lines[i] = f.join(",");
        }
        // Rows whose answers were cleared in a spreadsheet, commas and spaces left: no
        // submissions, yet rows, so the rows after them keep their numbers in the log.
        let blank = ",".repeat(header.len() - 1);
        lines.insert(5_000, blank.clone());
        lines.insert(15_000, format!(" {blank} "));
        let data = lines.join("\n") + "\n";
        assert!(
            data.len() >= 8 << 20,
            "large enough for the parallel reader"
        );
        ((100..30_000).step_by(step).count(), data)
    };
    for (step, how) in [(997, ReadBack::ByPlace), (9, ReadBack::ByScan)] {
        let (too_fast, data) = with_too_fast(step);
        same_read_either_way(&tmp, data, 6 + 6 + too_fast, how);
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

fn same_read_either_way(tmp: &std::path::Path, data: String, excluded: usize, how: ReadBack) {
    let src = tmp.join("report");
    let _ = std::fs::remove_dir_all(&src);
    copy_dir(&root().join("reports/chima-2025-data-security"), &src);
    std::fs::write(src.join("data/main.csv"), data).unwrap();
    let spec = std::fs::read_to_string(src.join("report.toml")).unwrap();
    std::fs::write(
        src.join("report.toml"),
        spec.replace("data/synthetic-main-wjx-text.xlsx", "data/main.csv"),
    )
    .unwrap();
    let mp = src.join("import/main.mapping.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&mp).unwrap()).unwrap();
    m["mode"] = "code".into();
    std::fs::write(&mp, serde_json::to_string_pretty(&m).unwrap()).unwrap();

    let typst = xtask::setup::typst().expect("the pinned typst (cargo xtask test installs it)");
    // With the respondent-level data, so that the valid records are kept: the parallel read
    // packs every row it reads and hands back only the valid ones.
    let extras = xtask::report::Extras {
        internal: false,
        data: Some(false),
    };
    let build = |out: &str| {
        xtask::report::build_with(&root(), &src, &tmp.join(out), &typst, None, &extras)
            .unwrap_or_else(|e| panic!("{e:#}"))
    };
    let r = build("parallel");
    assert_eq!(
        r.timings.parallel,
        ["main"],
        "the large export took the parallel reader"
    );
    assert_eq!(r.timings.read_back, [("main".to_string(), how)]);
    let parallel = r.out_dir;
    // SAFETY: this binary has this one test, so no other thread reads the environment.
    unsafe { std::env::set_var(survey_report::dataset::SEQUENTIAL_ENV, "1") };
    let r = build("sequential");
    assert!(r.timings.parallel.is_empty());
    let sequential = r.out_dir;
    unsafe { std::env::remove_var(survey_report::dataset::SEQUENTIAL_ENV) };

    let log = std::fs::read_to_string(parallel.join("cleaning-log-main.csv")).unwrap();
    // 6 earlier submissions of an organisation, 6 copies of answers, and the too-fast ones.
    let found = log.lines().filter(|l| l.contains(",excluded,")).count();
    assert_eq!(found, excluded, "{log}");
    for f in [
        "tables.json",
        "cleaning-log-main.csv",
        "report.typ",
        "data/main.parquet",
        "data/main.sav",
        "data/main.dta",
        "data/main.codebook.json",
    ] {
        let a = std::fs::read(parallel.join(f)).unwrap();
        let b = std::fs::read(sequential.join(f)).unwrap();
        assert!(
            a == b,
            "{f} differs between the parallel and the sequential read ({how:?})"
        );
    }
}
