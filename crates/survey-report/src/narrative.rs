//! Narrative files: editable text in the report folder whose numbers are references to
//! computed figures, never typed by hand.
//!
//! A file is plain text. Paragraphs are separated by blank lines; a line starting with `- `
//! is a list item; `**…**` is bold; `## 标题` and `### 标题` are headings (`#` level 1);
//! a line `@passage name` starts a named passage that a spec block can print on its own;
//! lines starting with `//` are comments. A reference is written in braces, e.g.
//! `{main.law_awareness.very.pct}`; see [`crate::refs`] for the forms. `{{` and `}}` print
//! literal braces.
//!
//! A line `@kind …` is a directive: any block of the spec written where it prints, e.g.
//! `@question law_awareness {number = "3.1.1", chart = "donut"}`. After the kind comes an
//! optional bare value for the kind's main field (the question, a part's number…) and an
//! optional TOML inline table of further fields.

use std::path::{Path, PathBuf};

/// A piece of a paragraph.
#[derive(Debug, Clone, PartialEq)]
pub enum Run {
    Text(String),
    Strong(Vec<Run>),
    /// A reference, evaluated when the report is built.
    Ref {
        expr: String,
        line: usize,
        column: usize,
    },
}

/// A block written in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    pub kind: String,
    /// The bare value after the kind, for the kind's main field.
    pub positional: Option<String>,
    pub params: toml::Table,
    pub line: usize,
}

/// A paragraph, a list, a heading or a directive.
#[derive(Debug, Clone, PartialEq)]
pub enum Para {
    Para(Vec<Run>),
    List(Vec<Vec<Run>>),
    Heading {
        level: u8,
        title: String,
        line: usize,
    },
    Directive(Directive),
}

/// A named part of a narrative file.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub name: Option<String>,
    pub line: usize,
    pub paras: Vec<Para>,
}

/// A parsed narrative file.
#[derive(Debug, Clone, PartialEq)]
pub struct Narrative {
    pub file: PathBuf,
    pub passages: Vec<Passage>,
}

/// A problem in a narrative file, at a line and column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct NarrativeError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Narrative {
    pub fn load(path: &Path) -> Result<Narrative, NarrativeError> {
        let text = std::fs::read_to_string(path).map_err(|e| NarrativeError {
            file: path.to_owned(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        })?;
        Narrative::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Narrative, NarrativeError> {
        let mut passages = vec![Passage {
            name: None,
            line: 1,
            paras: Vec::new(),
        }];
        let mut para: Vec<(usize, String)> = Vec::new();
        let mut list: Vec<Vec<(usize, String)>> = Vec::new();
        let flush = |para: &mut Vec<(usize, String)>,
                     list: &mut Vec<Vec<(usize, String)>>,
                     out: &mut Vec<Para>|
         -> Result<(), NarrativeError> {
            if !para.is_empty() {
                out.push(Para::Para(runs(para, path)?));
                para.clear();
            }
            if !list.is_empty() {
                let items = list
                    .iter()
                    .map(|item| runs(item, path))
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(Para::List(items));
                list.clear();
            }
            Ok(())
        };
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let t = line.trim();
            if t.starts_with("//") {
                continue;
            }
            if let Some(name) = t.strip_prefix("@passage") {
                flush(
                    &mut para,
                    &mut list,
                    &mut passages.last_mut().expect("one passage").paras,
                )?;
                let name = name.trim();
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(NarrativeError {
                        file: path.to_owned(),
                        line: n,
                        column: 1,
                        message: "`@passage` needs a name of letters, digits, `_` and `-`".into(),
                    });
                }
                if passages.iter().any(|p| p.name.as_deref() == Some(name)) {
                    return Err(NarrativeError {
                        file: path.to_owned(),
                        line: n,
                        column: 1,
                        message: format!("passage `{name}` is defined twice"),
                    });
                }
                passages.push(Passage {
                    name: Some(name.to_owned()),
                    line: n,
                    paras: Vec::new(),
                });
                continue;
            }
            if let Some((level, title)) = heading(t) {
                let out = &mut passages.last_mut().expect("one passage").paras;
                flush(&mut para, &mut list, out)?;
                if title.is_empty() {
                    return Err(NarrativeError {
                        file: path.to_owned(),
                        line: n,
                        column: 1,
                        message: "a heading needs a title after the `#`s".into(),
                    });
                }
                out.push(Para::Heading {
                    level,
                    title: title.to_owned(),
                    line: n,
                });
                continue;
            }
            if let Some(rest) = t.strip_prefix('@')
                && rest.starts_with(|c: char| c.is_ascii_lowercase())
            {
                let out = &mut passages.last_mut().expect("one passage").paras;
                flush(&mut para, &mut list, out)?;
                let col = line.len() - line.trim_start().len() + 2;
                out.push(Para::Directive(directive(rest, n, col, path)?));
                continue;
            }
            if t.is_empty() {
                flush(
                    &mut para,
                    &mut list,
                    &mut passages.last_mut().expect("one passage").paras,
                )?;
                continue;
            }
            if let Some(item) = t.strip_prefix("- ") {
                if !para.is_empty() {
                    flush(
                        &mut para,
                        &mut Vec::new(),
                        &mut passages.last_mut().expect("one passage").paras,
                    )?;
                }
                let col = line.len() - line.trim_start().len() + 3;
                list.push(vec![(n * 100_000 + col, item.to_owned())]);
                continue;
            }
            let col = line.len() - line.trim_start().len() + 1;
            match list.last_mut() {
                // A continuation line of a list item.
                Some(item) if para.is_empty() && line.starts_with("  ") => {
                    item.push((n * 100_000 + col, t.to_owned()))
                }
                _ => {
                    if !list.is_empty() {
                        flush(
                            &mut Vec::new(),
                            &mut list,
                            &mut passages.last_mut().expect("one passage").paras,
                        )?;
                    }
                    para.push((n * 100_000 + col, t.to_owned()));
                }
            }
        }
        flush(
            &mut para,
            &mut list,
            &mut passages.last_mut().expect("one passage").paras,
        )?;
        if passages.len() > 1 && passages[0].paras.is_empty() {
            passages.remove(0);
        }
        Ok(Narrative {
            file: path.to_owned(),
            passages,
        })
    }

    /// The passage called `name`, or all text when `name` is `None`.
    pub fn passage(&self, name: Option<&str>) -> Option<Vec<&Para>> {
        match name {
            None => Some(self.passages.iter().flat_map(|p| p.paras.iter()).collect()),
            Some(n) => self
                .passages
                .iter()
                .find(|p| p.name.as_deref() == Some(n))
                .map(|p| p.paras.iter().collect()),
        }
    }
}

/// `## 标题` → (2, "标题"); up to three levels.
fn heading(t: &str) -> Option<(u8, &str)> {
    let hashes = t.chars().take_while(|&c| c == '#').count();
    if !(1..=3).contains(&hashes) {
        return None;
    }
    let rest = &t[hashes..];
    if !rest.starts_with(' ') && !rest.is_empty() {
        return None;
    }
    Some((hashes as u8, rest.trim()))
}

/// `question law_awareness {number = "3.1.1"}` (after the `@`) → a directive.
fn directive(
    rest: &str,
    line: usize,
    col: usize,
    path: &Path,
) -> Result<Directive, NarrativeError> {
    let err = |column: usize, message: String| NarrativeError {
        file: path.to_owned(),
        line,
        column,
        message,
    };
    let kind_len = rest
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        .unwrap_or(rest.len());
    let kind = &rest[..kind_len];
    let mut tail = rest[kind_len..].trim_start();
    let mut at = col + rest.len() - tail.len();
    let mut positional = None;
    if !tail.is_empty() && !tail.starts_with('{') {
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let end = tail[..end].find('{').unwrap_or(end);
        positional = Some(tail[..end].trim_matches('"').to_owned());
        tail = tail[end..].trim_start();
        at = col + rest.len() - tail.len();
    }
    let params = if tail.is_empty() {
        toml::Table::new()
    } else {
        if !tail.starts_with('{') || !tail.ends_with('}') {
            return Err(err(
                at,
                format!(
                    "after `@{kind}` come an optional value and an optional {{field = value, …}}; found «{}»",
                    crate::short(tail, 60)
                ),
            ));
        }
        let doc = format!("x = {tail}");
        let v: toml::Table = toml::from_str(&doc).map_err(|e| {
            let c = e.span().map(|s| s.start.saturating_sub(4)).unwrap_or(0);
            err(
                at + tail[..c.min(tail.len())].chars().count(),
                format!("in the fields of `@{kind}`: {}", e.message()),
            )
        })?;
        match v.get("x") {
            Some(toml::Value::Table(t)) => t.clone(),
            _ => return Err(err(at, "expected {field = value, …}".into())),
        }
    };
    Ok(Directive {
        kind: kind.to_owned(),
        positional,
        params,
        line,
    })
}

/// Parse the lines of one paragraph (each tagged with line·100000+column) into runs. Lines of
/// Chinese text join without a space.
fn runs(lines: &[(usize, String)], path: &Path) -> Result<Vec<Run>, NarrativeError> {
    let mut out: Vec<Run> = Vec::new();
    let mut strong: Option<Vec<Run>> = None;
    let mut strong_at = (0, 0);
    for (tag, text) in lines {
        let (line, col0) = (tag / 100_000, tag % 100_000);
        let chars: Vec<char> = text.chars().collect();
        let mut buf = String::new();
        let mut i = 0;
        let target = |strong: &mut Option<Vec<Run>>, out: &mut Vec<Run>, run: Run| match strong {
            Some(s) => s.push(run),
            None => out.push(run),
        };
        while i < chars.len() {
            let c = chars[i];
            let col = col0 + i;
            match c {
                '{' if chars.get(i + 1) == Some(&'{') => {
                    buf.push('{');
                    i += 2;
                }
                '}' if chars.get(i + 1) == Some(&'}') => {
                    buf.push('}');
                    i += 2;
                }
                // An input method in full-width mode types ｛｝: what reads as a reference is
                // refused rather than printed as typed.
                '｛' | '{'
                    if chars[i + 1..]
                        .iter()
                        .position(|&x| x == '｝')
                        .is_some_and(|end| {
                            let inner = &chars[i + 1..i + 1 + end];
                            !inner.is_empty()
                                && inner.iter().any(|c| c.is_ascii_alphabetic())
                                && inner
                                    .iter()
                                    .all(|c| c.is_ascii_alphanumeric() || "._:- ".contains(*c))
                        }) =>
                {
                    return Err(NarrativeError {
                        file: path.to_owned(),
                        line,
                        column: col,
                        message: "a reference is written with the half-width braces `{` and `}`; this one has a full-width `｛` or `｝` (an input method in full-width mode types them)".into(),
                    });
                }
                '{' => {
                    let end = chars[i + 1..]
                        .iter()
                        .position(|&x| x == '}')
                        .ok_or_else(|| NarrativeError {
                            file: path.to_owned(),
                            line,
                            column: col,
                            message: "a reference `{` is not closed on this line".into(),
                        })?;
                    if !buf.is_empty() {
                        target(&mut strong, &mut out, Run::Text(std::mem::take(&mut buf)));
                    }
                    let expr: String = chars[i + 1..i + 1 + end].iter().collect();
                    target(
                        &mut strong,
                        &mut out,
                        Run::Ref {
                            expr: expr.trim().to_owned(),
                            line,
                            column: col,
                        },
                    );
                    i += end + 2;
                }
                '}' => {
                    return Err(NarrativeError {
                        file: path.to_owned(),
                        line,
                        column: col,
                        message: "a lone `}`; write `}}` for a literal brace".into(),
                    });
                }
                '*' if chars.get(i + 1) == Some(&'*') => {
                    if !buf.is_empty() {
                        target(&mut strong, &mut out, Run::Text(std::mem::take(&mut buf)));
                    }
                    match strong.take() {
                        Some(s) => out.push(Run::Strong(s)),
                        None => {
                            strong = Some(Vec::new());
                            strong_at = (line, col);
                        }
                    }
                    i += 2;
                }
                c => {
                    buf.push(c);
                    i += 1;
                }
            }
        }
        if !buf.is_empty() {
            target(&mut strong, &mut out, Run::Text(buf));
        }
    }
    if strong.is_some() {
        return Err(NarrativeError {
            file: path.to_owned(),
            line: strong_at.0,
            column: strong_at.1,
            message: "`**` bold is not closed in this paragraph".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_lists_passages_and_refs() {
        let text = "// comment\n@passage intro\n非常了解的医院占{main.law_awareness.very.pct}，\n**合计{main.x.a+b.pct1}**。\n\n- 一是{ref:tbl:3.1.1}\n- 二是{{字面}}\n@passage next\n正文\n";
        let n = Narrative::parse(text, Path::new("n.md")).unwrap();
        assert_eq!(n.passages.len(), 2);
        let p = n.passage(Some("intro")).unwrap();
        assert_eq!(p.len(), 2);
        let Para::Para(runs) = p[0] else { panic!() };
        assert_eq!(runs[0], Run::Text("非常了解的医院占".into()));
        assert_eq!(
            runs[1],
            Run::Ref {
                expr: "main.law_awareness.very.pct".into(),
                line: 3,
                column: 9
            }
        );
        assert!(
            matches!(&runs[3], Run::Strong(s) if s.len() == 2),
            "{runs:?}"
        );
        let Para::List(items) = p[1] else { panic!() };
        assert_eq!(items.len(), 2);
        assert_eq!(items[1], vec![Run::Text("二是{字面}".into())]);
    }

    #[test]
    fn full_width_braces_around_a_reference_are_refused() {
        for text in [
            "有效答卷｛main.q2.base｝份\n",
            "有效答卷{main.q2.base｝份\n",
        ] {
            let e = Narrative::parse(text, Path::new("n.md")).unwrap_err();
            assert_eq!((e.line, e.column), (1, 5), "{text}");
            assert!(
                e.message.contains("full-width `｛` or `｝`"),
                "{}",
                e.message
            );
        }
        // Full-width braces around words are text.
        let n = Narrative::parse("见｛附录一｝\n", Path::new("n.md")).unwrap();
        let Para::Para(runs) = n.passage(None).unwrap()[0] else {
            panic!()
        };
        assert_eq!(runs[0], Run::Text("见｛附录一｝".into()));
    }

    #[test]
    fn headings_and_directives() {
        let text = "@part 03 {title = \"调查主要发现\"}\n\n## 数据安全认知情况\n正文\n@question law_awareness {number = \"3.1.1\", chart = \"donut\"}\n### 小节\n@toc\n";
        let n = Narrative::parse(text, Path::new("n.md")).unwrap();
        let p = n.passage(None).unwrap();
        let Para::Directive(d) = p[0] else {
            panic!("{p:?}")
        };
        assert_eq!(d.kind, "part");
        assert_eq!(d.positional.as_deref(), Some("03"));
        assert_eq!(d.params["title"].as_str(), Some("调查主要发现"));
        assert!(
            matches!(p[1], Para::Heading { level: 2, title, .. } if title == "数据安全认知情况")
        );
        assert!(matches!(p[2], Para::Para(_)));
        let Para::Directive(q) = p[3] else { panic!() };
        assert_eq!((q.kind.as_str(), q.line), ("question", 5));
        assert_eq!(q.params["chart"].as_str(), Some("donut"));
        assert!(matches!(p[4], Para::Heading { level: 3, .. }));
        let Para::Directive(t) = p[5] else { panic!() };
        assert!(t.positional.is_none() && t.params.is_empty());
    }

    #[test]
    fn a_bad_directive_says_where() {
        let e = Narrative::parse("正文\n\n@question q {number = 3.1.1}\n", Path::new("n.md"))
            .unwrap_err();
        assert!(e.to_string().starts_with("n.md:3:"), "{e}");
        assert!(e.to_string().contains("`@question`"), "{e}");
        let e = Narrative::parse("@table q number = 1\n", Path::new("n.md")).unwrap_err();
        assert!(e.to_string().contains("{field = value"), "{e}");
    }

    #[test]
    fn errors_say_where() {
        let e = Narrative::parse("第一行\n见{main.x\n", Path::new("n.md")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "n.md:2:2: a reference `{` is not closed on this line"
        );
        let e = Narrative::parse("**粗体未闭合\n", Path::new("n.md")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "n.md:1:1: `**` bold is not closed in this paragraph"
        );
    }
}
