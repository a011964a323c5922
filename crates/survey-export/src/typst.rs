//! Writing Typst source safely: every string from a questionnaire, a spec or an answer becomes
//! an escaped Typst string literal, never markup.

use std::collections::BTreeSet;
use std::fmt::Write;

/// A Typst string literal holding `s` exactly: `#read("/etc/passwd")` stays text.
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Typst document being written. Text goes in only through [`Doc::str`], which escapes it
/// and records its characters for the font-coverage check.
#[derive(Debug, Default, Clone)]
pub struct Doc {
    src: String,
    chars: BTreeSet<char>,
    /// Markers placed so far (`<room-u-3>`), each named once.
    markers: usize,
}

impl Doc {
    pub fn new() -> Doc {
        Doc::default()
    }

    /// A label no other marker of the document has, as a Typst expression.
    pub fn marker(&mut self, prefix: &str) -> String {
        self.markers += 1;
        format!("label(\"{prefix}-{}\")", self.markers)
    }

    /// A string literal for `s` as printed (Chinese punctuation normalised, see
    /// [`survey_print::fmt::zh_punctuation`]), recording its characters.
    pub fn str(&mut self, s: &str) -> String {
        let s = survey_print::fmt::zh_punctuation(s);
        self.chars.extend(s.chars().filter(|c| printed(*c)));
        lit(&s)
    }

    /// Append Typst code the crate itself wrote (no outside strings in it).
    pub fn raw(&mut self, code: &str) {
        self.src.push_str(code);
    }

    pub fn line(&mut self, code: &str) {
        self.src.push_str(code);
        self.src.push('\n');
    }

    pub fn source(&self) -> &str {
        &self.src
    }

    /// Every visible character the document prints.
    pub fn chars(&self) -> &BTreeSet<char> {
        &self.chars
    }

    /// Record characters the template prints itself (e.g. "表", "图").
    pub fn note_chars(&mut self, s: &str) {
        self.chars.extend(s.chars().filter(|c| printed(*c)));
    }
}

/// Whether a character needs a glyph: not whitespace, not a control or format character
/// (zero-width space and joiners only steer line breaking).
fn printed(c: char) -> bool {
    !c.is_whitespace()
        && !c.is_control()
        && !matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes() {
        assert_eq!(
            lit(r#"#read("/etc/passwd")"#),
            r##""#read(\"/etc/passwd\")""##
        );
        assert_eq!(lit("a\\b\nc\u{7}"), r#""a\\b\nc\u{7}""#);
        assert_eq!(lit("*粗体* $x$ @ref <l>"), "\"*粗体* $x$ @ref <l>\"");
    }

    proptest! {
        /// Whatever the input, the literal is one token: it starts and ends with a quote and
        /// every inner quote and backslash is escaped.
        #[test]
        fn literals_never_end_early(s in ".*") {
            let l = lit(&s);
            prop_assert!(l.starts_with('"') && l.ends_with('"'));
            let inner = &l[1..l.len() - 1];
            let mut escaped = false;
            for c in inner.chars() {
                if escaped { escaped = false; continue; }
                if c == '\\' { escaped = true; continue; }
                prop_assert!(c != '"', "unescaped quote in {}", l);
                prop_assert!(!c.is_control(), "raw control char in {}", l);
            }
            prop_assert!(!escaped);
        }
    }
}
