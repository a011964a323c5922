//! The PDF is accessible: it declares PDF/UA-1 beside PDF/A-2b, its language is zh-CN, it is
//! tagged, its tables mark their header cells, and every chart carries a text alternative
//! written from its data. veraPDF is not installable from the registries this project may use
//! (it comes from Maven), so these checks read the structure tree with lopdf; typst itself
//! refuses to write a PDF that breaks the PDF/UA-1 rules it checks (heading order, alt text).

use std::collections::HashMap;
use std::path::PathBuf;

use lopdf::{Document, Object, ObjectId};
use survey_print::TablesFile;
use workspace_tests::root;

fn text_of(o: &Object) -> Option<String> {
    let Object::String(b, _) = o else { return None };
    Some(if b.starts_with(&[0xFE, 0xFF]) {
        let u: Vec<u16> = b[2..]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16_lossy(&u)
    } else {
        String::from_utf8_lossy(b).into_owned()
    })
}

/// Every structure element's type, with its /Alt where it has one.
fn structure(doc: &Document) -> Vec<(String, Option<String>)> {
    let catalog = doc.catalog().unwrap();
    let root = catalog
        .get(b"StructTreeRoot")
        .unwrap()
        .as_reference()
        .unwrap();
    let mut out = Vec::new();
    let mut stack: Vec<ObjectId> = vec![root];
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Ok(dict) = doc.get_dictionary(id) else {
            continue;
        };
        if let Ok(s) = dict.get(b"S").and_then(Object::as_name) {
            let alt = dict.get(b"Alt").ok().and_then(text_of);
            out.push((String::from_utf8_lossy(s).into_owned(), alt));
        }
        let kids = match dict.get(b"K") {
            Ok(Object::Array(a)) => a.clone(),
            Ok(o) => vec![o.clone()],
            Err(_) => Vec::new(),
        };
        for k in kids {
            if let Object::Reference(r) = k {
                stack.push(r);
            }
        }
    }
    out
}

#[test]
fn the_pdf_is_tagged_declares_ua_and_describes_every_chart() {
    for report in [
        "reports/chima-2025-data-security",
        "reports/chima-2026-ai-followup",
        "reports/chima-2026-data-security-trend",
    ] {
        let out: PathBuf = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("a11y-{}", report.len()));
        let _ = std::fs::remove_dir_all(&out);
        let typst = xtask::setup::typst().expect("the pinned typst (cargo xtask test installs it)");
        let r = xtask::report::build(&root(), &root().join(report), &out, &typst, None).unwrap();
        let pdf = Document::load(r.out_dir.join("report.pdf")).unwrap();
        let catalog = pdf.catalog().unwrap();
        assert_eq!(
            catalog.get(b"Lang").ok().and_then(text_of).as_deref(),
            Some("zh-CN"),
            "{report}: the document language"
        );
        let marked = catalog
            .get(b"MarkInfo")
            .and_then(|m| pdf.dereference(m).map(|(_, o)| o.clone()))
            .and_then(|m| m.as_dict().cloned())
            .and_then(|m| m.get(b"Marked").cloned())
            .unwrap();
        assert_eq!(marked, Object::Boolean(true), "{report}: tagged");
        // The XMP metadata declares both standards.
        let meta = catalog.get(b"Metadata").unwrap().as_reference().unwrap();
        let xmp = match pdf.get_object(meta).unwrap() {
            Object::Stream(s) => String::from_utf8_lossy(&s.content).into_owned(),
            o => panic!("{o:?}"),
        };
        let declares = |ns: &str, part: &str| {
            xmp.contains(&format!("<{ns}:part>{part}</{ns}:part>"))
                || xmp.contains(&format!("{ns}:part=\"{part}\""))
        };
        assert!(declares("pdfuaid", "1"), "{report}: PDF/UA-1 not declared");
        assert!(declares("pdfaid", "2"), "{report}: PDF/A-2 not declared");
        // Structure: headings, tables with header cells, figures with their alt text.
        let tree = structure(&pdf);
        let mut kinds: HashMap<&str, usize> = HashMap::new();
        for (k, _) in &tree {
            *kinds.entry(k.as_str()).or_default() += 1;
        }
        let tables: TablesFile =
            serde_json::from_str(&std::fs::read_to_string(r.out_dir.join("tables.json")).unwrap())
                .unwrap();
        assert!(
            kinds.get("H1").copied().unwrap_or(0) > 0,
            "{report}: {kinds:?}"
        );
        assert!(
            kinds.get("Table").copied().unwrap_or(0) >= tables.tables.len(),
            "{report}: {kinds:?}"
        );
        assert!(
            kinds.get("TH").copied().unwrap_or(0) >= 2 * tables.tables.len(),
            "{report}: header cells {kinds:?}"
        );
        let alts: Vec<&str> = tree
            .iter()
            .filter(|(k, _)| k == "Figure")
            .filter_map(|(_, a)| a.as_deref())
            .collect();
        assert!(!tables.figures.is_empty());
        for f in &tables.figures {
            assert!(
                alts.contains(&f.alt.as_str()),
                "{report}: figure {:?} has no alt text «{}» in the PDF",
                f.number,
                f.alt
            );
            // The alt text carries the chart's computed numbers.
            for c in &f.categories {
                for b in c.bars.iter().filter(|b| b.value.is_some()) {
                    assert!(
                        f.alt.contains(&b.text),
                        "{report}: {} lacks {}",
                        f.alt,
                        b.text
                    );
                }
            }
        }
        // Charts as images: one SVG and one PNG per numbered figure.
        for f in &tables.figures {
            let n = f.number.as_deref().unwrap();
            for ext in ["svg", "png"] {
                let p = r.out_dir.join(format!("charts/fig-{n}.{ext}"));
                assert!(p.is_file(), "{}", p.display());
            }
        }
        let _ = std::fs::remove_dir_all(&out);
    }
}
