//! End to end: the shipped raw data to the finished PDF, with the typst CLI. Never skipped:
//! `cargo xtask test` installs typst and poppler-utils before running this.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use survey_print::{CellValue, PrintedRow, TablesFile};
use survey_published::Published;
use workspace_tests::{chima, copy_dir, root, walk};

fn typst() -> PathBuf {
    xtask::setup::typst().expect("the pinned typst (cargo xtask test installs it)")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn build(report: &Path, out: &Path) -> anyhow::Result<xtask::report::Report> {
    xtask::report::build(&root(), report, out, &typst(), None)
}

fn tool(cmd: &str, args: &[&str]) -> String {
    let o = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} (poppler-utils; cargo xtask test installs it): {e}"));
    assert!(
        o.status.success(),
        "{cmd} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// pdftotext output with all whitespace removed (CJK text gets spaces between scripts).
fn text_of(pdf: &Path) -> String {
    tool("pdftotext", &[pdf.to_str().unwrap(), "-"])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The count in a frequency table's row.
fn count_of(r: &PrintedRow) -> u64 {
    match r.cells[1].value {
        CellValue::Count { count } => count,
        ref v => panic!("not a count: {v:?}"),
    }
}

/// The unrounded share in a frequency table's row.
fn percent_of(r: &PrintedRow) -> f64 {
    match r.cells[2].value {
        CellValue::Percent { percent } => percent,
        ref v => panic!("not a percentage: {v:?}"),
    }
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walk(dir) {
        out.insert(
            e.strip_prefix(dir).unwrap().display().to_string(),
            std::fs::read(&e).unwrap(),
        );
    }
    out
}

/// The tables a build wrote.
fn tables_in(out: &Path) -> survey_print::TablesFile {
    serde_json::from_str(&std::fs::read_to_string(out.join("tables.json")).unwrap()).unwrap()
}

#[test]
fn chima_report_from_raw_exports_to_pdf() {
    let out1 = tmp("a");
    let r = build(&chima(), &out1).unwrap();
    let dir = r.out_dir.clone();
    let pdf = dir.join("report.pdf");
    for f in [
        "report.pdf",
        "report.typ",
        "tables.json",
        "tables.xlsx",
        "cleaning-log-main.csv",
        "cleaning-log-ai.csv",
        "tables/table-3.1.1.csv",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }

    // Page count and PDF properties.
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!((38..=60).contains(&pages), "{pages} pages");
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(info.contains("Page size:       595.276 x 841.89 pts (A4)"));
    assert!(
        info.contains("CreationDate:    Tue Jul  1 00:00:00 2025 UTC"),
        "{info}"
    );
    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    assert!(
        fonts
            .lines()
            .skip(2)
            .all(|l| l.contains("NotoS") || l.contains("HanaMin")),
        "only the project's fonts:\n{fonts}"
    );

    // The text layer carries every caption and a sample of computed numbers.
    let text = text_of(&pdf);
    let published = Published::load(&chima().join("published/tables.json")).unwrap();
    for t in &published.tables {
        assert!(
            text.contains(&squash(&format!("表{} {}", t.number, t.caption))),
            "table {} caption missing",
            t.number
        );
        if let Some(f) = &t.figure {
            assert!(
                text.contains(&squash(&format!("图{} {}", f.number, f.caption))),
                "figure {} caption missing",
                f.number
            );
        }
    }
    assert!(text.contains(&squash("图2.3_1 各行政区域参与调查医院数量分布")));
    for n in [
        "共回收答卷769份",
        "有效答卷720份",
        "29.17%",
        "55.42%",
        "86.53%",
        "比例[N=720]",
        "比例[N=176]",
        "编写说明",
        "课题组织架构",
        "政策与管理建议",
        "方法与数据说明",
    ] {
        assert!(text.contains(&squash(n)), "text lacks {n}");
    }
    // Print-ready text: no build noise, one kind of quotation marks, citations a reader can
    // follow (the publication's parts and tables, not line numbers of a transcription).
    for bad in ["unknowncommit", "«", "»", "seedline", "−0"] {
        assert!(!text.contains(bad), "the PDF prints {bad}");
    }
    assert!(
        !(text.contains("原文第") && text.contains("行（")),
        "the PDF cites line numbers"
    );
    // One percentage format: two decimals everywhere (axis ticks are whole percentages).
    // Option labels may hold percentages of their own (“低于0.1%”); they are not ours.
    let mut scrubbed = text.clone();
    for q in ["main", "ai"] {
        let idx = survey_schema::load_questionnaire(
            &chima().join(format!("questionnaires/{q}.questionnaire.json")),
        )
        .unwrap();
        for question in idx.questions() {
            for o in question.kind.options() {
                let printed = survey_print::fmt::zh_punctuation(&o.label.zh);
                scrubbed = scrubbed.replace(&squash(&printed), "");
            }
        }
    }
    let chars: Vec<char> = scrubbed.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c != '%' {
            continue;
        }
        let mut j = i;
        while j > 0 && chars[j - 1].is_ascii_digit() {
            j -= 1;
        }
        let mut k = j;
        if k > 0 && chars[k - 1] == '.' {
            k -= 1;
            while k > 0 && chars[k - 1].is_ascii_digit() {
                k -= 1;
            }
            let decimals = i - j;
            let shown: String = chars[k..=i].iter().collect();
            assert_eq!(decimals, 2, "a percentage printed as {shown}");
        }
    }
    // Privacy: no respondent identifier reaches the report or the tables.
    let tables_json = std::fs::read_to_string(dir.join("tables.json")).unwrap();
    let csvs: String = walk(&dir.join("tables"))
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for secret in [
        "合成示例医院",
        "SYNTH0",
        "192.0.2.",
        "198.51.100.",
        "203.0.113.",
        "2025/3/",
    ] {
        assert!(!text.contains(secret), "the PDF prints {secret}");
        assert!(
            !tables_json.contains(secret) && !csvs.contains(secret),
            "the tables hold {secret}"
        );
    }
    assert!(
        std::fs::read_to_string(dir.join("cleaning-log-main.csv"))
            .unwrap()
            .starts_with("# CONFIDENTIAL")
    );

    // tables.json: valid against its schema, and every count is the published count.
    let json: serde_json::Value = serde_json::from_str(&tables_json).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/tables.schema.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    assert!(
        v.is_valid(&json),
        "{:?}",
        v.iter_errors(&json)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    let tables: TablesFile = serde_json::from_value(json).unwrap();
    assert_eq!(tables.report, "chima-2025-data-security");
    // The methodology's note on short axes names exactly the charts that draw a percent
    // axis ending below 100% (trial 31: it named donuts, which draw none).
    let short: Vec<String> = tables
        .figures
        .iter()
        .filter(|f| {
            f.style.draws_axis()
                && f.axis.unit == survey_print::AxisUnit::Percent
                && f.axis.max < 100.0
        })
        .map(|f| format!("图{}", f.number.as_deref().unwrap()))
        .collect();
    assert!(!short.is_empty());
    // A donut's slices are counts and its axis their whole (trial 44: it said a percent axis
    // ending at 40 for slices of hundreds).
    let donuts: Vec<_> = tables
        .figures
        .iter()
        .filter(|f| f.style == survey_print::ChartStyle::Donut)
        .collect();
    assert!(!donuts.is_empty());
    for f in donuts {
        let whole: f64 = f.categories.iter().filter_map(|c| c.bars[0].value).sum();
        assert_eq!(
            (f.axis.unit, f.axis.max),
            (survey_print::AxisUnit::Count, whole),
            "{:?}",
            f.number
        );
    }
    assert!(
        text.contains(&squash(&format!(
            "坐标轴提前截止（{}止于40%）",
            short.join("、")
        ))),
        "{short:?}"
    );
    // The 38 frequency tables of the publication, and the cleaning funnel of the appendix.
    assert_eq!(
        tables
            .tables
            .iter()
            .filter(|t| t.kind == survey_print::TableKind::Frequency)
            .count(),
        38
    );
    assert_eq!(tables.tables.len(), 39);
    for t in &published.tables {
        let ours = tables
            .tables
            .iter()
            .find(|x| x.number.as_deref() == Some(t.number.as_str()))
            .unwrap_or_else(|| panic!("table {} missing from tables.json", t.number));
        assert_eq!(ours.base.as_ref().unwrap().n, t.base, "table {}", t.number);
        for row in &t.rows {
            let got = ours
                .rows
                .iter()
                .find(|r| r.code.as_deref() == Some(row.option.as_str()))
                .unwrap();
            assert_eq!(
                count_of(got),
                row.count,
                "table {} «{}»",
                t.number,
                row.label
            );
            assert_eq!(percent_of(got), row.count as f64 * 100.0 / t.base as f64);
        }
    }
    // 2.3_5 prints the bed counts in scale order, not the published string sort.
    let beds: Vec<&str> = tables
        .tables
        .iter()
        .find(|t| t.number.as_deref() == Some("2.3_5"))
        .unwrap()
        .rows
        .iter()
        .map(|r| r.cells[0].text.as_str())
        .collect();
    assert_eq!(
        beds,
        [
            "≤250",
            "251-500",
            "501-1000",
            "1001-2000",
            "2001-3000",
            "3001-5000",
            "大于5000"
        ]
    );

    // Same inputs, same bytes.
    let out2 = tmp("b");
    let r2 = build(&chima(), &out2).unwrap();
    let (a, b) = (files(&dir), files(&r2.out_dir));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, bytes) in &a {
        assert!(bytes == &b[k], "{k} differs between two builds");
    }
    // The comparison covers the charts written as images, one SVG and one PNG per figure.
    for ext in ["svg", "png"] {
        let n = a
            .keys()
            .filter(|k| k.starts_with("charts/fig-") && k.ends_with(ext))
            .count();
        assert_eq!(n, tables.figures.len(), "charts/*.{ext}");
    }
    // Rebuilt in place, the images drawn before are taken over: still the same bytes.
    build(&chima(), &out1).unwrap();
    let c = files(&dir);
    assert_eq!(c.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, bytes) in &b {
        assert!(bytes == &c[k], "{k} differs after a rebuild in place");
    }
    std::fs::remove_dir_all(&out1).unwrap();
    std::fs::remove_dir_all(&out2).unwrap();
}

#[test]
fn a_failed_build_names_the_place_and_keeps_the_last_good_pdf() {
    let src = tmp("src");
    copy_dir(&root().join("reports/chima-2026-ai-followup"), &src);
    let out = tmp("out");
    let good = build(&src, &out).unwrap();
    let pdf = std::fs::read(good.out_dir.join("report.pdf")).unwrap();

    // A narrative reference to a missing option: the file, line and column, and nothing replaced.
    let narr = src.join("narrative/report.md");
    let text = std::fs::read_to_string(&narr).unwrap();
    std::fs::write(
        &narr,
        text.replace("{f.uses_llm.yes.pct}", "{f.uses_llm.maybe.pct}"),
    )
    .unwrap();
    let e = build(&src, &out).unwrap_err().to_string();
    assert!(
        e.contains("narrative/report.md:15:") && e.contains("`uses_llm` has no option `maybe`"),
        "{e}"
    );
    assert_eq!(std::fs::read(good.out_dir.join("report.pdf")).unwrap(), pdf);
    // A table referred to by a made-up key: the key it likely means, with its number.
    std::fs::write(
        &narr,
        text.replace("{ref:tbl:llm_controls}", "{ref:tbl:table.llm_controls}"),
    )
    .unwrap();
    let e = build(&src, &out).unwrap_err().to_string();
    assert!(
        e.contains("the report has no table numbered or keyed `table.llm_controls`; did you mean `llm_controls` ("),
        "{e}"
    );
    std::fs::write(&narr, &text).unwrap();

    // A spec error names the file, the block and the field.
    let spec = src.join("report.toml");
    let t = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, t.replacen("subtitle = ", "subtitel = ", 1)).unwrap();
    let e = build(&src, &out).unwrap_err().to_string();
    assert!(
        e.contains("report.toml:")
            && e.contains("block 1 (cover")
            && e.contains("field `subtitel`")
            && e.contains("unknown field"),
        "{e}"
    );
    // A wrong type names the field, not the value.
    std::fs::write(&spec, t.replacen("edition = \"2026\"", "edition = 2.1", 1)).unwrap();
    let e = build(&src, &out).unwrap_err().to_string();
    assert!(
        e.contains("field `edition`") && e.contains("invalid type"),
        "{e}"
    );
    std::fs::write(&spec, &t).unwrap();
    // A block written in the narrative is located at its line there.
    std::fs::write(
        &narr,
        text.replace("@table level {caption", "@table level {captoin"),
    )
    .unwrap();
    let e = build(&src, &out).unwrap_err().to_string();
    assert!(
        e.contains("narrative/report.md:7") && e.contains("field `captoin`"),
        "{e}"
    );
    std::fs::write(&narr, &text).unwrap();

    // A character no bundled font covers fails the build; the message names it, the text it
    // stands in, and what to do.
    std::fs::write(&narr, text.replace("本次跟踪调查", "本次😀跟踪调查")).unwrap();
    let e = build(&src, &out).unwrap_err().to_string();
    assert!(
        e.contains("U+1F600")
            && e.contains("本次😀跟踪调查")
            && e.contains("change it where it comes from"),
        "{e}"
    );
    assert_eq!(std::fs::read(good.out_dir.join("report.pdf")).unwrap(), pdf);
}

#[test]
fn strings_from_questionnaires_and_specs_are_text_never_markup() {
    let out = tmp("inj");
    let r = build(&root().join("tests/fixtures/injection"), &out).unwrap();
    let raw = tool(
        "pdftotext",
        &[r.out_dir.join("report.pdf").to_str().unwrap(), "-"],
    );
    assert!(raw.contains("#read(\"/etc/passwd\")"), "{raw}");
    assert!(raw.contains("]#panic(\"boom\")["), "{raw}");
    assert!(raw.contains("*不是粗体* $x^2$ <lbl> @ref"), "{raw}");
    assert!(!raw.contains("root:"), "the file was read");
    let src = std::fs::read_to_string(r.out_dir.join("report.typ")).unwrap();
    assert!(src.contains(r##""#read(\"/etc/passwd\")""##));
}

#[test]
fn the_second_report_builds_with_no_code_of_its_own() {
    let out = tmp("followup");
    let r = build(&root().join("reports/chima-2026-ai-followup"), &out).unwrap();
    let text = text_of(&r.out_dir.join("report.pdf"));
    assert!(text.contains(&squash("答卷清洗过程")));
    assert!(text.contains("不同级别医院的制度制定情况"));
    // The data files' variables (表A.6.1) go on to the next page, which says so over it; the
    // data appendix's table of bases, unnumbered, goes on too, and its page says 续表 alone
    // over the repeated header. No other page says it.
    let pdf = r.out_dir.join("report.pdf");
    let pages: usize = tool("pdfinfo", &[pdf.to_str().unwrap()])
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    let page_text = |p: usize| {
        squash(&tool(
            "pdftotext",
            &[
                "-f",
                &p.to_string(),
                "-l",
                &p.to_string(),
                pdf.to_str().unwrap(),
                "-",
            ],
        ))
    };
    let continued: Vec<(usize, String)> = (1..=pages)
        .map(|p| (p, page_text(p)))
        .filter(|(_, t)| t.contains("续表"))
        .collect();
    assert_eq!(continued.len(), 2, "{continued:?}");
    let (p, t) = &continued[1];
    assert!(t.contains("续表A.6.1"), "{t}");
    assert!(page_text(p - 1).contains("表A.6.1"));
    let (p, t) = &continued[0];
    assert!(t.contains("续表题号题目题目标识"), "{t}");
    assert!(page_text(p - 1).contains("各题基数"));
    let tables: TablesFile = tables_in(&r.out_dir);
    let controls = tables
        .tables
        .iter()
        .find(|t| t.questions == ["llm_controls"])
        .unwrap();
    // The numeric summary says whom its N leaves out (an editor's read: N=108 of 120, and
    // not a word of the 12).
    let staff = tables
        .tables
        .iter()
        .find(|t| t.kind == survey_print::TableKind::NumericSummary && t.questions == ["ai_staff"])
        .unwrap();
    let n: u64 = staff.rows[0].cells[1].text.parse().unwrap();
    assert!(
        staff.note_text().unwrap().contains(&format!(
            "N为作答的应答者人数，未计入“专职负责AI应用安全的人员数”未作答{}人；",
            120 - n
        )),
        "{:?}",
        staff.note_text()
    );
    // Shown only to hospitals using or piloting a large model: the base says so, and the
    // note says to whom the question was shown (trial 45: it said only how many did not
    // see it).
    let base = controls.base.as_ref().unwrap();
    assert_eq!(base.n + base.not_shown, 120);
    assert!(base.not_shown > 0);
    assert!(
        controls.note_text().unwrap().contains(&format!(
            "未显示本题{}人（本题只向在“医院是否已上线大模型类应用”一题中选择“是”或“试点中”的应答者显示）",
            base.not_shown
        )),
        "{:?}",
        controls.note_text()
    );
    // Cross-tabs by hospital level with intervals and a test; weighted ones, one with hidden
    // cells whose weighted shares are hidden across tables; the weighting summary.
    assert_eq!(
        tables
            .tables
            .iter()
            .filter(|t| t.kind == survey_print::TableKind::CrossTab)
            .count(),
        3
    );
    assert_eq!(tables.weighting.len(), 1);
    // A whole-number question's minimum and maximum print as whole numbers, its mean with two
    // decimals.
    let staff = tables
        .tables
        .iter()
        .find(|t| t.kind == survey_print::TableKind::NumericSummary)
        .unwrap();
    let cells: Vec<&str> = staff.rows[0]
        .cells
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert!(
        !cells[3].contains('.') && !cells[7].contains('.'),
        "{cells:?}"
    );
    assert!(cells[2].contains('.'), "{cells:?}");
    for s in [
        "Pearsonχ²=",
        "95%置信区间（Wilson）",
        "小格保护",
        "<5",
        "Rao–Scott二阶校正F=",
        "Rao–Scott二阶校正F检验p",
        "raking校准",
        "每个权重限制在平均权重的0.40至3.00倍之间",
        "Kish有效样本量",
        "其加权比例由各类别按不同权重相加",
        "加权说明：目标结构与加权后结构",
    ] {
        assert!(text.contains(s), "the follow-up report lacks {s}");
    }
    // Table 2.2 asks for a Wilson interval per option: each row's interval, from its own count
    // and base, is printed.
    assert!(text.contains(&squash("置信区间为Wilson法95%区间")));
    for row in &controls.rows {
        let i = survey_stats::intervals::interval(
            survey_stats::intervals::Method::Wilson,
            count_of(row),
            base.n,
            0.95,
        )
        .unwrap();
        let want = format!(
            "[{},{}]",
            survey_print::fmt::number_f64(i.lower * 100.0, 1),
            survey_print::fmt::number_f64(i.upper * 100.0, 1)
        );
        assert!(
            text.contains(&want),
            "no interval {want} for {}",
            row.cells[0].text
        );
    }
}

#[test]
fn a_crosswalk_naming_a_missing_question_or_option_is_located() {
    let src = root().join("reports/chima-2026-data-security-trend");
    let dir = tmp("crosswalk");
    let work = dir.join("report");
    copy_dir(&src, &work);
    let out = dir.join("out");
    let cw = work.join("waves/2025.crosswalk.json");
    let text = std::fs::read_to_string(&cw).unwrap();
    let line_of = |t: &str, needle: &str| t[..t.find(needle).unwrap()].matches('\n').count() + 1;
    for (from, to, name) in [
        // An earlier option that does not exist.
        ("\"p10_20\",", "\"p10_25\",", "p10_25"),
        // An earlier question that does not exist.
        (
            "\"from\": \"law_training\"",
            "\"from\": \"law_trainings\"",
            "law_trainings",
        ),
        // A question of this wave that does not exist.
        ("\"difficulties\": {", "\"difficulty\": {", "difficulty"),
    ] {
        let bad = text.replacen(from, to, 1);
        std::fs::write(&cw, &bad).unwrap();
        let e = build(&work, &out).unwrap_err().to_string();
        let line = line_of(&bad, &format!("\"{name}\""));
        assert!(
            e.contains(&format!("2025.crosswalk.json:{line}:")) && e.contains(&format!("`{name}`")),
            "{e}"
        );
    }
    // A question of this wave left out of the crosswalk is named (trial 35: it built, and the
    // appendix said its earlier question was not asked again), with the earlier question of
    // the same wording to link it to.
    let without = text.replacen(
        "    \"law_training\": {\n      \"from\": \"law_training\"\n    },\n",
        "",
        1,
    );
    assert_ne!(without, text);
    std::fs::write(&cw, &without).unwrap();
    let e = build(&work, &out).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "2025.crosswalk.json:{}: `law_training`",
            line_of(&without, "\"questions\"")
        )) && e.contains("is a choice question of this wave but not in `questions`")
            && e.contains("`\"law_training\": {\"from\": \"law_training\"}`"),
        "{e}"
    );
    // An option of this wave left out of a listed mapping is named, never matched silently.
    std::fs::write(&cw, text.replacen("\"gt_10\": [", "\"gt_1O\": [", 1)).unwrap();
    let e = build(&work, &out).unwrap_err().to_string();
    assert!(e.contains("option `gt_10` is not listed"), "{e}");
    std::fs::write(&cw, &text).unwrap();
    // The same codes for other options (the earlier wave's 是 and 否 swapped): named, with
    // the map by label to paste, never compared code by code.
    let earlier = work.join("waves/chima-2025-main.questionnaire.json");
    let q = std::fs::read_to_string(&earlier).unwrap();
    let at = q.find("\"id\": \"law_training\"").unwrap();
    let (head, tail) = q.split_at(at);
    let tail = tail
        .replacen("\"label\": \"是\"", "\"label\": \"@\"", 1)
        .replacen("\"label\": \"否\"", "\"label\": \"是\"", 1)
        .replacen("\"label\": \"@\"", "\"label\": \"否\"", 1);
    std::fs::write(&earlier, format!("{head}{tail}")).unwrap();
    let e = build(&work, &out).unwrap_err().to_string();
    assert!(
        e.contains("`law_training` and `law_training` use the same option codes with different labels (`yes` is «是» now, «否» then")
            && e.contains("\"options\": {\"yes\": [\"no\"], \"no\": [\"yes\"]}"),
        "{e}"
    );
    std::fs::write(&earlier, &q).unwrap();
    // An option reworded in this wave: the map to paste pairs it with the earlier option whose
    // label its own holds, and says so; once pasted, the comparison's notes show both
    // wordings (the crosswalk's `note` is the team's, never printed).
    let current = work.join("questionnaires/trend2026.questionnaire.json");
    let cq = std::fs::read_to_string(&current).unwrap();
    let at = cq.find("\"id\": \"law_training\"").unwrap();
    let (head, tail) = cq.split_at(at);
    let tail = tail.replacen("\"label\": \"是\"", "\"label\": \"是（含线上学习）\"", 1);
    std::fs::write(&current, format!("{head}{tail}")).unwrap();
    // The download still says 是.
    let mpath = work.join("import/trend2026.mapping.json");
    let mut mapping: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&mpath).unwrap()).unwrap();
    mapping["option_aliases"]["law_training"] = serde_json::json!({"是": "yes"});
    std::fs::write(&mpath, mapping.to_string()).unwrap();
    let e = build(&work, &out).unwrap_err().to_string();
    assert!(
        e.contains("\"options\": {\"yes\": [\"yes\"], \"no\": [\"no\"]}")
            && e.contains("`yes` «是（含线上学习）» ← `yes` «是» is paired as renamed"),
        "{e}"
    );
    std::fs::write(
        &cw,
        text.replacen(
            "\"from\": \"law_training\"",
            "\"from\": \"law_training\", \"options\": {\"yes\": [\"yes\"], \"no\": [\"no\"]}, \"note\": \"2026年起线上学习计入\"",
            1,
        ),
    )
    .unwrap();
    let r = build(&work, &out).unwrap();
    let tables: survey_print::TablesFile = tables_in(&r.out_dir);
    let notes = &tables
        .tables
        .iter()
        .find(|t| t.kind == survey_print::TableKind::Trend && t.questions == ["law_training"])
        .unwrap()
        .notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("“是（含线上学习）”2025年为“是”"))
            && !notes.iter().any(|n| n.contains("2026年起线上学习计入")),
        "{notes:?}"
    );
    // What of the earlier survey is not compared is named in the appendix: the crosswalk's
    // dropped questions and every other earlier choice question no question links to.
    let typ = std::fs::read_to_string(r.out_dir.join("report.typ"))
        .unwrap()
        .replace("\"#\"", "");
    let earlier: serde_json::Value = serde_json::from_str(&q).unwrap();
    let crosswalk: serde_json::Value = serde_json::from_str(&text).unwrap();
    let linked: Vec<&str> = crosswalk["questions"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|l| l["from"].as_str())
        .collect();
    let mut unlinked = 0;
    for section in earlier["sections"].as_array().unwrap() {
        for question in section["questions"].as_array().unwrap() {
            let choice = matches!(
                question["kind"].as_str(),
                Some("single_choice" | "multiple_choice" | "ordinal")
            );
            if choice && !linked.contains(&question["id"].as_str().unwrap()) {
                unlinked += 1;
            }
        }
    }
    assert!(
        typ.contains(&format!("以下{unlinked}题本次未再询问或题型已变，不作比较"))
            && typ.contains("“参与调研的医院性质”"),
        "the appendix does not name the {unlinked} earlier questions left uncompared"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A question shown both by its own table and chart and by a comparison with the earlier wave:
/// `{ref:tbl:q}` and `{ref:fig:q}` are its own, `{ref:tbl:trend.q}` the comparison.
/// The trend example, edited in a folder of its own (`edit` gets the folder), then built:
/// its Typst source and its tables.
fn trend_variant(tag: &str, edit: impl FnOnce(&Path)) -> (String, survey_print::TablesFile) {
    let dir = tmp(tag);
    let work = dir.join("report");
    copy_dir(
        &root().join("reports/chima-2026-data-security-trend"),
        &work,
    );
    edit(&work);
    let r = build(&work, &dir.join("out")).unwrap();
    let typ = std::fs::read_to_string(r.out_dir.join("report.typ")).unwrap();
    let tables = tables_in(&r.out_dir);
    (typ, tables)
}

/// Edit a file of a report folder in place.
fn edit_file(work: &Path, rel: &str, f: impl FnOnce(String) -> String) {
    let p = work.join(rel);
    std::fs::write(&p, f(std::fs::read_to_string(&p).unwrap())).unwrap();
}

/// The number of the table of `kind` showing `question`.
fn number_of(
    tables: &survey_print::TablesFile,
    question: &str,
    kind: survey_print::TableKind,
) -> String {
    tables
        .tables
        .iter()
        .find(|t| t.questions.iter().any(|q| q == question) && t.kind == kind)
        .and_then(|t| t.number.clone())
        .unwrap()
}

#[test]
fn a_question_in_a_cross_table_and_a_comparison_is_the_cross_table() {
    // `law_awareness` is shown in a cross-table (keyed by both its questions) and compared
    // with 2025 (keyed by it and `trend.law_awareness`): by its id it is the cross-table.
    let (typ, tables) = trend_variant("trend-crosstab-keys", |work| {
        edit_file(work, "narrative/report.md", |text| {
            text.replacen(
                "@trend law_awareness {",
                "见{ref:tbl:law_awareness}与{ref:tbl:trend.law_awareness}。\n\n@crosstab {row = \"law_awareness\", col = \"hospital_level\", caption = \"不同级别医院对两部法律的了解程度\"}\n\n@trend law_awareness {",
                1,
            )
        })
    });
    let cross = number_of(&tables, "law_awareness", survey_print::TableKind::CrossTab);
    let trend = number_of(&tables, "law_awareness", survey_print::TableKind::Trend);
    assert!(
        typ.contains(&format!("#ref(<tbl-{cross}>)#\"与\"#ref(<tbl-{trend}>)")),
        "{cross} {trend}"
    );
}

#[test]
fn a_question_with_a_trend_block_is_still_referred_to_by_its_id() {
    let (typ, tables) = trend_variant("trend-keys", |work| {
        edit_file(work, "narrative/report.md", |text| {
            text.replace(
                "@trend law_training {",
                "见{ref:fig:law_training}、{ref:tbl:law_training}与{ref:tbl:trend.law_training}。\n\n@question law_training\n\n@trend law_training {",
            )
        });
        // This wave asks it in other words: the comparison says how it was asked then.
        edit_file(work, "questionnaires/trend2026.questionnaire.json", |q| {
            q.replace(
                "\"是否有组织过《数据安全法》和《个人信息保护法》的学习和宣贯\"",
                "\"本年度是否组织过两部法律的学习和宣贯\"",
            )
        });
    });
    let own = number_of(&tables, "law_training", survey_print::TableKind::Frequency);
    let trend = number_of(&tables, "law_training", survey_print::TableKind::Trend);
    assert_ne!(own, trend);
    let notes = &tables
        .tables
        .iter()
        .find(|t| t.number.as_deref() == Some(trend.as_str()))
        .unwrap()
        .notes;
    assert!(
        notes
            .iter()
            .any(|n| n
                .contains("题干为“是否有组织过《数据安全法》和《个人信息保护法》的学习和宣贯”")),
        "{notes:?}"
    );
    assert!(
        typ.contains(&format!(
            "#ref(<fig-{own}>)#\"、\"#ref(<tbl-{own}>)#\"与\"#ref(<tbl-{trend}>)"
        )),
        "{own} {trend}"
    );
}

#[test]
fn the_codebook_says_what_the_weights_add_up_to() {
    // Margins as shares give weights that average 1; as population counts, weights that add
    // up to the population, and the codebook says so rather than «平均为1».
    let weight_text = |out: &Path| -> String {
        let tables: survey_print::TablesFile = tables_in(out);
        tables
            .tables
            .iter()
            .flat_map(|t| &t.rows)
            .find(|r| r.cells[0].text == "w_national")
            .map(|r| r.cells[3].text.clone())
            .expect("the codebook lists the weight")
    };
    let src = tmp("weight-scale-src");
    copy_dir(&root().join("reports/chima-2026-ai-followup"), &src);
    let out = tmp("weight-scale-out");
    let shares = build(&src, &out).unwrap();
    assert_eq!(weight_text(&shares.out_dir), "权重（平均为1）");
    let m = src.join("weights/national.margins.json");
    let text = std::fs::read_to_string(&m).unwrap();
    let counts = text.replace(
        r#"{"tertiary": 0.25, "secondary": 0.35, "other": 0.40}"#,
        r#"{"tertiary": 2500, "secondary": 3500, "other": 4000}"#,
    );
    assert_ne!(counts, text);
    std::fs::write(&m, counts).unwrap();
    let counted = build(&src, &out).unwrap();
    let t = weight_text(&counted.out_dir);
    assert!(t.starts_with("权重（合计10,000，为总体规模；平均"), "{t}");
}

#[test]
fn a_rebuild_says_it_took_the_exported_data_with_the_old_report() {
    let src = root().join("reports/chima-2026-ai-followup");
    let out = tmp("data-dropped");
    let first = build(&src, &out).unwrap();
    assert!(first.notes.is_empty(), "{:?}", first.notes);
    let (data, _) = xtask::report::export_data(&src, &out, false).unwrap();
    assert!(data.is_dir());
    let again = build(&src, &out).unwrap();
    assert!(!data.exists());
    assert!(
        again
            .notes
            .iter()
            .any(|n| n.contains("the data/ folder written beside the earlier build")),
        "{:?}",
        again.notes
    );
}

#[test]
fn the_narrative_cites_a_weighted_share_as_its_table_prints_it_and_never_a_hidden_one() {
    let src = tmp("weighted-ref-src");
    copy_dir(&root().join("reports/chima-2026-ai-followup"), &src);
    let out = tmp("weighted-ref-out");
    let narr = src.join("narrative/report.md");
    let text = std::fs::read_to_string(&narr).unwrap();
    let with = |sentence: &str| {
        std::fs::write(
            &narr,
            text.replacen(
                "@weighted_table uses_llm",
                &format!("{sentence}\n\n@weighted_table uses_llm"),
                1,
            ),
        )
        .unwrap();
    };
    with(
        "加权后，已上线大模型应用的医院占{weighted.national.uses_llm.yes.pct}（一位小数{weighted.national.uses_llm.yes.pct1}）。",
    );
    let r = build(&src, &out).unwrap();
    let tables: survey_print::TablesFile = tables_in(&r.out_dir);
    let printed = tables
        .tables
        .iter()
        .find(|t| t.kind == survey_print::TableKind::Weighted && t.questions == ["uses_llm"])
        .unwrap()
        .rows
        .iter()
        .find(|r| r.code.as_deref() == Some("yes"))
        .unwrap()
        .cells[3]
        .clone();
    let CellValue::Percent { percent: value } = printed.value else {
        panic!("{printed:?}")
    };
    let pdf = text_of(&r.out_dir.join("report.pdf"));
    let want = format!(
        "已上线大模型应用的医院占{}（一位小数{}）",
        printed.text,
        survey_print::fmt::percent_f64(value, 1)
    );
    assert!(squash(&pdf).contains(&squash(&want)), "{want}");
    // A share the weighted table hides is not printed by the narrative either.
    with("合规责任不清占{weighted.national.top_concern.compliance.pct}。");
    let e = build(&src, &out).unwrap_err().to_string();
    assert!(
        e.contains("{weighted.national.top_concern.compliance.pct}: this weighted share is hidden"),
        "{e}"
    );
    // A raking variable's weighted shares are its margins, printed in the weighting summary:
    // never hidden.
    std::fs::write(
        &narr,
        text.replacen(
            "@weighted_table uses_llm",
            "三级医院加权后占{weighted.national.level.tertiary.pct}。\n\n@weighted_table level {weights = \"national\", caption = \"医院级别：未加权与加权比较\"}\n\n@weighted_table uses_llm",
            1,
        ),
    )
    .unwrap();
    let r = build(&src, &out).unwrap();
    assert!(
        squash(&text_of(&r.out_dir.join("report.pdf"))).contains(&squash("三级医院加权后占25.00%"))
    );
    // Weights the report does not have, and a share no table prints.
    with("{weighted.province.uses_llm.yes.pct}");
    let e = build(&src, &out).unwrap_err().to_string();
    assert!(
        e.contains("unknown weights `province`; the report's weights are `national`"),
        "{e}"
    );
    with("{weighted.national.governance.issued.pct}");
    let e = build(&src, &out).unwrap_err().to_string();
    assert!(
        e.contains("the report prints no weighted share of `governance` with weights `national`; add `@weighted_table governance"),
        "{e}"
    );
}

#[test]
fn a_weighted_cross_table_raked_outside_it_hides_every_share_of_a_protected_option() {
    // `top_concern` × `level` hides small cells of three options. Weighted by level, a
    // cross-tab of `top_concern` by `governance` adds up, in each of its cells, respondents of
    // every level with different weights: each of those rows' shares (and so their total) ties
    // the hidden counts to the printed ones, so none is printed. Options with no hidden cell
    // anywhere print as before.
    let src = tmp("weighted-guard-src");
    copy_dir(&root().join("reports/chima-2026-ai-followup"), &src);
    let out = tmp("weighted-guard-out");
    let narr = src.join("narrative/report.md");
    let text = std::fs::read_to_string(&narr).unwrap();
    std::fs::write(
        &narr,
        text.replacen(
            "@table top_concern",
            "@crosstab {row = \"top_concern\", col = \"governance\", caption = \"不同制度进展的医院最担心的问题（加权）\", weights = \"national\", suppress = 0}\n\n@table top_concern",
            1,
        ),
    )
    .unwrap();
    let r = build(&src, &out).unwrap();
    let tables: survey_print::TablesFile = tables_in(&r.out_dir);
    let by_level = tables
        .tables
        .iter()
        .find(|t| t.questions == ["top_concern", "level"])
        .unwrap();
    let hidden_somewhere: Vec<&str> = by_level
        .rows
        .iter()
        .filter(|r| {
            r.cells[1..r.cells.len() - 1]
                .iter()
                .any(|c| matches!(c.value, CellValue::Suppressed { .. }))
        })
        .filter_map(|r| r.code.as_deref())
        .collect();
    assert!(hidden_somewhere.len() >= 2, "{hidden_somewhere:?}");
    let t = tables
        .tables
        .iter()
        .find(|t| t.questions == ["top_concern", "governance"])
        .unwrap();
    let mut shown = 0;
    for row in &t.rows {
        let code = row.code.as_deref().unwrap();
        let hidden = row.cells[1..]
            .iter()
            .filter(|c| matches!(c.value, CellValue::Suppressed { .. }))
            .count();
        if hidden_somewhere.contains(&code) {
            assert_eq!(hidden, row.cells.len() - 1, "{code}: {row:?}");
        } else {
            assert_eq!(hidden, 0, "{code}: {row:?}");
            shown += 1;
        }
    }
    assert!(shown >= 2);
    let note = format!(
        "{}行的选项在其他交叉表中有隐藏的小格",
        hidden_somewhere.len()
    );
    assert!(t.notes.iter().any(|n| n.contains(&note)), "{:?}", t.notes);
    assert!(squash(&text_of(&r.out_dir.join("report.pdf"))).contains(&squash(&note)));
}

#[test]
fn a_weighted_column_whose_rows_weigh_differently_hides_all_of_it_when_it_hides_a_cell() {
    // Trial 32: weighted by level, level × top_concern printed 三级 as 26.2% of the
    // 合规责任不清 column; with the level weights and 三级's count from table 2.3.4, that
    // pinned the hidden 二级 and 其他 cells (6 and 4). Such a column is now hidden whole; the
    // rows' totals are the raking margins, printed as such. And weights with `show = "count"`
    // (which prints unweighted counts) are an error, not a table noted as weighted.
    let src = tmp("weighted-mixed-src");
    copy_dir(&root().join("reports/chima-2026-ai-followup"), &src);
    let out = tmp("weighted-mixed-out");
    let narr = src.join("narrative/report.md");
    let text = std::fs::read_to_string(&narr).unwrap();
    let with = |block: &str| {
        std::fs::write(
            &narr,
            text.replacen("@part 附录", &format!("{block}\n\n@part 附录"), 1),
        )
        .unwrap();
    };
    with(
        "@crosstab {row = \"level\", col = \"top_concern\", weights = \"national\", caption = \"各类担忧中不同级别医院的构成（加权）\"}",
    );
    let r = build(&src, &out).unwrap();
    let tables: survey_print::TablesFile = tables_in(&r.out_dir);
    let t = tables
        .tables
        .iter()
        .find(|t| t.questions == ["level", "top_concern"])
        .unwrap();
    let hidden =
        |r: usize, c: usize| matches!(t.rows[r].cells[c].value, CellValue::Suppressed { .. });
    let cols = t.columns.len() - 2;
    let mut whole = 0;
    for c in 1..=cols {
        let n = (0..t.rows.len()).filter(|&r| hidden(r, c)).count();
        assert!(n == 0 || n == t.rows.len(), "column {c}: {n} hidden");
        whole += usize::from(n > 0);
    }
    assert!(whole >= 1);
    assert!(
        t.notes
            .iter()
            .any(|n| n.contains(&format!("{whole}列含隐藏的单元格，且列中各行的权重不同"))),
        "{:?}",
        t.notes
    );
    let margins: Vec<&str> = t
        .rows
        .iter()
        .map(|r| r.cells.last().unwrap().text.as_str())
        .collect();
    assert_eq!(margins, ["25.0%", "35.0%", "40.0%"]);
    with(
        "@crosstab {row = \"governance\", col = \"level\", weights = \"national\", show = \"count\", caption = \"制度（加权人数）\"}",
    );
    let e = build(&src, &out).unwrap_err().to_string();
    assert!(
        e.contains("`weights` apply to column percentages: a cross-tab with `show = \"count\"` prints unweighted counts"),
        "{e}"
    );
}

#[test]
fn weighted_estimates_carry_no_more_digits_in_any_file_than_the_pdf() {
    // Trial 32/33: the full-precision weighted shares in tables.json, the CSVs and the
    // workbook, with the level weights, gave back every count of a three-way table the
    // report does not print (cells of 0, 1 and 2). Weighted cells now hold what they print.
    let out = tmp("weighted-digits");
    let r = build(&root().join("reports/chima-2026-ai-followup"), &out).unwrap();
    let tables: survey_print::TablesFile = tables_in(&r.out_dir);
    let digits = |t: &str| {
        t.trim_end_matches('%')
            .split('.')
            .nth(1)
            .map_or(0, str::len)
    };
    let mut seen = 0;
    for t in tables.tables.iter().filter(|t| t.weights.is_some()) {
        for row in &t.rows {
            for c in &row.cells {
                let printed = |v: f64, text: &str| {
                    let d = digits(text) as u32;
                    assert_eq!(
                        survey_print::fmt::number_f64(v, d).parse::<f64>().unwrap(),
                        v,
                        "table {:?}: {v} printed «{text}»",
                        t.number
                    );
                };
                if let CellValue::Percent { percent } = c.value {
                    printed(percent, &c.text);
                    seen += 1;
                }
                if let Some(i) = &c.interval {
                    let (a, b) = i.text[1..i.text.len() - 1].split_once(", ").unwrap();
                    printed(i.lower, a);
                    printed(i.upper, b);
                }
            }
        }
        // The CSV holds the same.
        let csv = std::fs::read_to_string(
            r.out_dir
                .join(format!("tables/table-{}.csv", t.number.as_deref().unwrap())),
        )
        .unwrap();
        for line in csv.lines().skip(1) {
            for f in line.split(',').skip(2) {
                if let Ok(v) = f.parse::<f64>() {
                    let d = f.split('.').nth(1).map_or(0, str::len);
                    assert!(d <= 2, "table {:?}: {f} in the CSV", t.number);
                    let _ = v;
                }
            }
        }
    }
    assert!(seen > 10, "{seen} weighted cells");
}

#[test]
fn a_table_that_hides_most_of_its_figures_is_named_at_build_time() {
    // Trial 33: a weighted cross-tab whose every share but two came out «×» built with exit 0
    // and not a word; the reader of the console heard nothing until the PDF. The shipped
    // follow-up hides no more than half of any table's figures and gets no such line.
    let out = tmp("mostly-hidden-out");
    let shipped = build(&root().join("reports/chima-2026-ai-followup"), &out).unwrap();
    assert!(
        !shipped.notes.iter().any(|n| n.contains("figures")),
        "{:?}",
        shipped.notes
    );
    let src = tmp("mostly-hidden-src");
    copy_dir(&root().join("reports/chima-2026-ai-followup"), &src);
    edit_file(&src, "narrative/report.md", |text| {
        text.replacen(
            "@part 附录",
            "@crosstab {row = \"top_concern\", col = \"uses_llm\", caption = \"按上线情况的担忧（加权）\", weights = \"national\"}\n\n@part 附录",
            1,
        )
    });
    edit_file(&src, "report.toml", |spec| {
        spec.replace(
            "id = \"chima-2026-ai-followup\"",
            "id = \"followup-mostly-hidden\"",
        )
    });
    let r = build(&src, &out).unwrap();
    let tables: survey_print::TablesFile = tables_in(&r.out_dir);
    let t = tables
        .tables
        .iter()
        .find(|t| t.caption.as_deref() == Some("按上线情况的担忧（加权）"))
        .unwrap();
    let figures: Vec<_> = t
        .rows
        .iter()
        .flat_map(|r| &r.cells)
        .filter(|c| !matches!(c.value, CellValue::Text | CellValue::Missing))
        .collect();
    let hidden = figures
        .iter()
        .filter(|c| matches!(c.value, CellValue::Suppressed { .. }))
        .count();
    assert!(2 * hidden > figures.len());
    let line = format!(
        "表{} «按上线情况的担忧（加权）» hides {hidden} of its {} figures",
        t.number.as_deref().unwrap(),
        figures.len()
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with(&line)
                && n.contains("a weighted share hides with any small cell")),
        "{line}\n{:?}",
        r.notes
    );
}

/// In a copy of the follow-up report, declare its own answers again as dataset `w` (cleaned by
/// `rules`) and as the earlier wave `earlier` of dataset `f`, read from respondents, with the
/// crosswalk `waves/earlier.crosswalk.json`.
fn declare_earlier_wave(src: &Path, rules: &str) {
    edit_file(src, "report.toml", |spec| {
        spec.replacen(
            "[[weights]]",
            &format!("[[datasets]]\nname = \"w\"\nquestionnaire = \"questionnaires/followup.questionnaire.json\"\ndata = \"data/synthetic-followup-wjx-text.csv\"\nmapping = \"import/followup.mapping.json\"\ncleaning = \"{rules}\"\n\n[[waves]]\nname = \"earlier\"\nlabel = \"上一期\"\ncurrent_label = \"本期\"\ndataset = \"f\"\ncrosswalk = \"waves/earlier.crosswalk.json\"\nearlier_dataset = \"w\"\n\n[[weights]]"),
            1,
        )
    });
}

#[test]
fn an_earlier_wave_read_from_respondents_compares_and_says_when_its_rules_differ() {
    // The respondent route of a comparison (`earlier_dataset`), which trial 35 took: the same
    // follow-up answers declared again as the earlier wave, cleaned by another time limit.
    // The comparison prints, and the methodology names the rule each wave alone applied.
    let src = tmp("earlier-dataset-src");
    copy_dir(&root().join("reports/chima-2026-ai-followup"), &src);
    let rules = std::fs::read_to_string(src.join("cleaning/followup.rules.json")).unwrap();
    assert!(rules.contains("\"seconds\": 45"));
    std::fs::write(
        src.join("cleaning/earlier.rules.json"),
        rules.replace("\"seconds\": 45", "\"seconds\": 30"),
    )
    .unwrap();
    std::fs::create_dir_all(src.join("waves")).unwrap();
    std::fs::write(
        src.join("waves/earlier.crosswalk.json"),
        r#"{"from": "chima-2026-ai-followup", "to": "chima-2026-ai-followup",
            "questions": {"level": {"from": "level"}, "uses_llm": {"from": "uses_llm"},
                "llm_controls": {"from": "llm_controls"}, "governance": {"from": "governance"},
                "top_concern": {"from": "top_concern"}}}"#,
    )
    .unwrap();
    declare_earlier_wave(&src, "cleaning/earlier.rules.json");
    edit_file(&src, "narrative/report.md", |text| {
        text.replacen(
            "@part 附录",
            "@trend uses_llm {caption = \"上线情况：上一期与本期\"}\n\n@part 附录",
            1,
        )
    });
    let out = tmp("earlier-dataset-out");
    let r = build(&src, &out).unwrap();
    let tables: survey_print::TablesFile = tables_in(&r.out_dir);
    let t = tables
        .tables
        .iter()
        .find(|t| t.caption.as_deref() == Some("上线情况：上一期与本期"))
        .unwrap();
    assert_eq!(t.rows.len(), 3, "{t:?}");
    let pdf = squash(&text_of(&r.out_dir.join("report.pdf")));
    for said in [
        "两次调查的清洗规则有所不同",
        "只用于本期的规则为“作答用时不足45秒（恰为45秒的保留）”",
        "只用于上一期的规则为“作答用时不足30秒（恰为30秒的保留）”",
    ] {
        assert!(pdf.contains(&squash(said)), "{said}");
    }
    // The same rules: nothing said.
    std::fs::write(src.join("cleaning/earlier.rules.json"), &rules).unwrap();
    let r = build(&src, &out).unwrap();
    let pdf = squash(&text_of(&r.out_dir.join("report.pdf")));
    assert!(!pdf.contains(&squash("清洗规则有所不同")));
}

#[test]
fn merged_options_of_a_multiple_choice_question_compare_with_who_chose_any_of_them() {
    // Trial 48: a crosswalk merging two earlier options of a multiple-choice question printed
    // their summed counts (96.2% where 76.2% of hospitals ticked either; 175% with three). The
    // earlier wave here is this wave's own answers under the same rules, so the merged earlier
    // share must be the current share of those choosing at least one of the two, as the
    // narrative's `any(…)` reference prints it.
    let src = tmp("merged-multiple-src");
    copy_dir(&root().join("reports/chima-2026-ai-followup"), &src);
    std::fs::create_dir_all(src.join("waves")).unwrap();
    std::fs::write(
        src.join("waves/earlier.crosswalk.json"),
        r#"{"from": "chima-2026-ai-followup", "to": "chima-2026-ai-followup",
            "questions": {"level": {"from": "level"}, "uses_llm": {"from": "uses_llm"},
                "llm_controls": {"from": "llm_controls", "options": {
                    "private_deploy": ["private_deploy", "input_filter"], "input_filter": [],
                    "output_review": ["output_review"], "access_log": ["access_log"],
                    "masking": ["masking"], "none": ["none"], "other": ["other"]}},
                "governance": {"from": "governance"}, "top_concern": {"from": "top_concern"}}}"#,
    )
    .unwrap();
    declare_earlier_wave(&src, "cleaning/followup.rules.json");
    edit_file(&src, "narrative/report.md", |text| {
        text.replacen(
            "@part 附录",
            "合并核对：{f.llm_controls.any(private_deploy,input_filter).pct}，单项{f.llm_controls.private_deploy.pct}与{f.llm_controls.input_filter.pct}。\n\n@trend llm_controls {caption = \"管控措施：上一期与本期\"}\n\n@funnel w\n\n@part 附录",
            1,
        )
    });
    let out = tmp("merged-multiple-out");
    let r = build(&src, &out).unwrap();
    let pdf = squash(&text_of(&r.out_dir.join("report.pdf")));
    let said = pdf
        .split("合并核对：")
        .nth(1)
        .expect("the check sentence is printed");
    let pct = |s: &str| -> f64 { s.split('%').next().unwrap().parse().unwrap() };
    let any = pct(said);
    let (one, other) = {
        let rest = said.split("单项").nth(1).unwrap();
        (pct(rest), pct(rest.split('与').nth(1).unwrap()))
    };
    assert!(
        any < one + other - 0.01,
        "{any} {one} {other}: some chose both"
    );
    assert!(
        pdf.contains("合并比较：")
            && pdf.contains("对应上一期选择")
            && pdf.contains("中任一项的比例"),
        "the note under the table says what the merged option compares with"
    );
    // Two datasets: a funnel without a caption says whose it is.
    assert!(
        pdf.contains("数据清洗过程：医院AI应用数据安全治理跟踪调查（示例）"),
        "{pdf}"
    );
    let tables: survey_print::TablesFile = tables_in(&r.out_dir);
    let t = tables
        .tables
        .iter()
        .find(|t| t.caption.as_deref() == Some("管控措施：上一期与本期"))
        .unwrap();
    let row = t
        .rows
        .iter()
        .find(|r| r.code.as_deref() == Some("private_deploy"))
        .unwrap();
    let then = serde_json::to_value(&row.cells[1].value).unwrap();
    let then = then["percent"].as_f64().unwrap_or_else(|| panic!("{then}"));
    assert!(
        (then - any).abs() < 0.005,
        "earlier {then}, any of the two {any}"
    );

    // From published tables the union is unknown: the build says so instead of summing.
    std::fs::copy(
        r.out_dir.join("tables.json"),
        src.join("waves/earlier.tables.json"),
    )
    .unwrap();
    edit_file(&src, "report.toml", |spec| {
        spec.replacen(
            "earlier_dataset = \"w\"",
            "published = \"waves/earlier.tables.json\"\nquestionnaire = \"questionnaires/followup.questionnaire.json\"",
            1,
        )
    });
    let e = format!("{:#}", build(&src, &out).unwrap_err());
    assert!(
        e.contains("waves/earlier.crosswalk.json")
            && e.contains("`llm_controls` option `private_deploy` merges the earlier options `private_deploy`, `input_filter`")
            && e.contains("earlier_dataset"),
        "{e}"
    );
}
