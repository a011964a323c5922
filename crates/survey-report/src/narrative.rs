//! Narrative files: editable text in the report folder whose numbers are references to
//! computed figures, never typed by hand.
//!
//! A file is plain text. Paragraphs are separated by blank lines; a line starting with `- `
//! is a list item; `**…**` is bold; a line `@passage name` starts a named passage that a spec
//! block can print on its own; lines starting with `//` are comments. A reference is written in
//! braces, e.g. `{main.law_awareness.very.pct}`; see [`crate::refs`] for the forms. `{{` and
//! `}}` print literal braces.

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

/// A paragraph or a list.
#[derive(Debug, Clone, PartialEq)]
pub enum Para {
    Para(Vec<Run>),
    List(Vec<Vec<Run>>),
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
