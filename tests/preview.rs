//! `cargo xtask preview` gives what `build-report` gives: after the first build and after each
//! edit, the preview's `report.typ` and `report.pdf` are byte-identical to a cold build of the
//! same folder. Narrative edits reuse the datasets; a data edit reads them again; a bad edit is
//! located and leaves the last good PDF in place; nothing is written outside the preview folder.

use std::path::Path;

use workspace_tests::{copy_dir, root};
use xtask::preview::{Compiled, Preview};

fn same_as_build(src: &Path, preview_dir: &Path, out: &Path, typst: &Path) {
    let r = xtask::report::build(&root(), src, out, typst, None).unwrap();
    for f in ["report.typ", "report.pdf"] {
        let a = std::fs::read(preview_dir.join(f)).unwrap();
        let b = std::fs::read(r.out_dir.join(f)).unwrap();
        assert!(a == b, "{f}: the preview differs from build-report");
    }
}

#[test]
fn the_preview_matches_build_report_and_reuses_unchanged_data() {
    let typst = xtask::setup::typst().expect("the pinned typst (cargo xtask test installs it)");
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("preview-test");
    let _ = std::fs::remove_dir_all(&tmp);
    let src = tmp.join("report");
    copy_dir(&root().join("reports/chima-2025-data-security"), &src);
    let mut p = Preview::new(&root(), &src, &tmp.join("preview"), &typst);
    let dir = tmp.join("preview/chima-2025-data-security");

    // The first update reads everything and compiles.
    let u = p.update().unwrap();
    assert_eq!(u.reread, ["main", "ai"]);
    assert!(u.reused.is_empty());
    assert!(
        matches!(u.compiled, Some(Compiled::Ok { .. })),
        "{:?}",
        u.compiled
    );
    same_as_build(&src, &dir, &tmp.join("build"), &typst);

    // A one-word narrative edit: the data are reused, only the source is rewritten.
    let narr = src.join("narrative/03-findings.md");
    let text = std::fs::read_to_string(&narr).unwrap();
    let edited = text.replacen("专项调查仍采用问卷方式", "专项调查仍使用问卷方式", 1);
    assert_ne!(text, edited);
    std::fs::write(&narr, &edited).unwrap();
    let u = p.update().unwrap();
    assert_eq!(u.reused, ["main", "ai"]);
    assert!(u.reread.is_empty());
    assert_eq!(u.rewritten, ["report.typ"]);
    assert!(
        matches!(u.compiled, Some(Compiled::Ok { .. })),
        "{:?}",
        u.compiled
    );
    same_as_build(&src, &dir, &tmp.join("build"), &typst);
    let good = std::fs::read(dir.join("report.pdf")).unwrap();

    // A chart style change.
    let styled = edited.replacen(
        "@question law_awareness {number = \"3.1.1\", chart = \"donut\"}",
        "@question law_awareness {number = \"3.1.1\", chart = \"bars\"}",
        1,
    );
    assert_ne!(styled, edited);
    std::fs::write(&narr, &styled).unwrap();
    let u = p.update().unwrap();
    assert_eq!(u.reused, ["main", "ai"]);
    same_as_build(&src, &dir, &tmp.join("build"), &typst);
    let styled_pdf = std::fs::read(dir.join("report.pdf")).unwrap();
    assert!(styled_pdf != good, "the chart style change reached the PDF");

    // A bad reference: located, and the last good PDF stays.
    std::fs::write(&narr, styled.replacen("{ai.valid}", "{ai.nosuch}", 1)).unwrap();
    let e = format!("{:#}", p.update().unwrap_err());
    assert!(
        e.contains("03-findings.md:") && e.contains("{ai.nosuch}"),
        "{e}"
    );
    assert!(std::fs::read(dir.join("report.pdf")).unwrap() == styled_pdf);

    // Fixed again: the data are still reused; nothing to recompile.
    std::fs::write(&narr, &styled).unwrap();
    let u = p.update().unwrap();
    assert_eq!(u.reused, ["main", "ai"]);
    assert!(u.compiled.is_none() && u.rewritten.is_empty());

    // A data file rewritten (a new download): that dataset is read again, the other reused.
    let data = src.join("data/synthetic-ai-wjx-code-gb18030.csv");
    let bytes = std::fs::read(&data).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&data, &bytes).unwrap();
    let u = p.update().unwrap();
    assert_eq!(u.reread, ["ai"]);
    assert_eq!(u.reused, ["main"]);
    same_as_build(&src, &dir, &tmp.join("build"), &typst);

    // The preview wrote only into its own folder.
    let mut names: Vec<String> = std::fs::read_dir(tmp.join("preview"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["chima-2025-data-security"]);
    drop(p);
    let _ = std::fs::remove_dir_all(&tmp);
}
