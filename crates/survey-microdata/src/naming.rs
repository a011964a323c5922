//! Variable names that are valid in SPSS *and* Stata at the same time, so one
//! name is used for a variable in every output format.
//!
//! Rules applied (intersection of both packages):
//! * ASCII only: `[A-Za-z][A-Za-z0-9_]*`. SPSS (Unicode mode) and Stata 14+
//!   accept non-ASCII letters, but SPSS's 8-byte short names, many R/Python
//!   tools and older Stata releases do not; question texts stay in labels.
//! * ≤ 32 characters (Stata limit; SPSS allows 64 bytes).
//! * must not end in `_` or `.` (SPSS warns / some procedures reject).
//! * not an SPSS reserved word (ALL AND BY EQ GE GT LE LT NE NOT OR TO WITH)
//!   and not a Stata reserved name (byte int long float double str#
//!   strL if in using with _all _n _N _b _cons ...). Compared case-insensitively.
//! * unique *case-insensitively* (SPSS names are case-insensitive; Stata's
//!   are case-sensitive, so case-insensitive uniqueness is the safe side).

use std::collections::HashSet;

pub const MAX_LEN: usize = 32;

const SPSS_RESERVED: &[&str] = &[
    "ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH",
];
const STATA_RESERVED: &[&str] = &[
    "_ALL", "_B", "BYTE", "_COEF", "_CONS", "DOUBLE", "FLOAT", "IF", "IN", "INT", "LONG", "_N",
    "_PI", "_PRED", "_RC", "_SKIP", "STRL", "USING", "WITH",
];

fn is_reserved(upper: &str) -> bool {
    if SPSS_RESERVED.contains(&upper) || STATA_RESERVED.contains(&upper) {
        return true;
    }
    // Stata: str1 … str2045 are type names.
    upper
        .strip_prefix("STR")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
}

/// Turn an arbitrary question/option id into a valid base name (not yet unique).
pub fn sanitize(raw: &str) -> String {
    let mut s: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    // collapse runs of '_' and trim them at both ends
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    let mut s = s.trim_matches('_').to_string();
    if s.is_empty() {
        s = "v".into();
    }
    if !s.as_bytes()[0].is_ascii_alphabetic() {
        s.insert(0, 'v');
    }
    s.truncate(MAX_LEN);
    let mut s = s.trim_end_matches('_').to_string();
    if is_reserved(&s.to_ascii_uppercase()) {
        s.truncate(MAX_LEN - 2);
        s.push_str("_v");
    }
    s
}

#[derive(Default)]
pub struct NameAllocator {
    used: HashSet<String>,
    used_sets: HashSet<String>,
}

impl NameAllocator {
    pub fn new() -> Self {
        Self::default()
    }

    fn unique(used: &mut HashSet<String>, base: String) -> String {
        let mut cand = base.clone();
        let mut i = 2;
        while used.contains(&cand.to_ascii_uppercase()) {
            let suffix = format!("_{i}");
            let mut stem = base.clone();
            stem.truncate(MAX_LEN - suffix.len());
            cand = format!("{}{suffix}", stem.trim_end_matches('_'));
            i += 1;
        }
        used.insert(cand.to_ascii_uppercase());
        cand
    }

    /// Allocate a variable name.
    pub fn alloc(&mut self, raw: &str) -> String {
        Self::unique(&mut self.used, sanitize(raw))
    }

    /// Allocate an SPSS multiple-response set name (without the `$`; the
    /// writer adds it). Sets live in their own namespace.
    pub fn alloc_set(&mut self, raw: &str) -> String {
        Self::unique(&mut self.used_sets, sanitize(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_examples() {
        assert_eq!(sanitize("Q1"), "Q1");
        assert_eq!(sanitize("1a"), "v1a");
        assert_eq!(sanitize("年龄"), "v");
        assert_eq!(sanitize("q 3.other-text"), "q_3_other_text");
        assert_eq!(sanitize("AND"), "AND_v");
        assert_eq!(sanitize("with"), "with_v");
        assert_eq!(sanitize("str12"), "str12_v");
        assert_eq!(sanitize("_n"), "n");
        assert_eq!(sanitize(&"x".repeat(80)).len(), 32);
        assert!(!sanitize("abc_____________________________d_e").ends_with('_'));
    }

    #[test]
    fn uniqueness_is_case_insensitive() {
        let mut a = NameAllocator::new();
        assert_eq!(a.alloc("Q1"), "Q1");
        assert_eq!(a.alloc("q1"), "q1_2");
        assert_eq!(a.alloc("Q1"), "Q1_3");
        let long = "y".repeat(40);
        let first = a.alloc(&long);
        let second = a.alloc(&long);
        assert_eq!(first.len(), 32);
        assert_eq!(second.len(), 32);
        assert_ne!(first, second);
    }
}
