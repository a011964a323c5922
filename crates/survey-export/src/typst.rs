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
        format!("label(\"{}\")", self.marker_name(prefix))
    }

    /// The name of such a label (`t-5`), for a mark that carries it as a value.
    pub fn marker_name(&mut self, prefix: &str) -> String {
        self.markers += 1;
        format!("{prefix}-{}", self.markers)
    }

    /// A string literal for `s` as printed (Chinese punctuation normalised, see
    /// [`survey_print::fmt::zh_punctuation`]), recording its characters.
    pub fn str(&mut self, s: &str) -> String {
        let s = survey_print::fmt::zh_punctuation(s);
        // Control characters and direction overrides from a download print as nothing (no
        // font has a glyph for them, and an override would disguise the text around it).
        let s: String = s
            .chars()
            .filter(|&c| !invisible(c))
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
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
/// A character a string from outside never prints: a control character other than a line
/// break or tab, or a bidirectional format character (U+202A–U+202E, U+2066–U+2069, marks).
fn invisible(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t'))
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        // Noncharacters (U+FFFF, U+FDD0…) stand for nothing, and PDF/A refuses them (trial 38:
        // an option label holding U+FFFF failed the build at a line of the generated source).
        || (c as u32 & 0xFFFE) == 0xFFFE
        || ('\u{FDD0}'..='\u{FDEF}').contains(&c)
}

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
    fn noncharacters_print_as_nothing() {
        let mut d = Doc::new();
        assert_eq!(d.str("三级\u{ffff}医院\u{fdd0}\u{10fffe}"), lit("三级医院"));
        assert!(!d.chars().contains(&'\u{ffff}'));
    }

    #[test]
    fn control_and_direction_characters_print_as_nothing() {
        let mut doc = Doc::new();
        assert_eq!(
            doc.str("三级\u{1}甲等\u{202E}医院\t名称"),
            lit("三级甲等医院 名称")
        );
    }

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
