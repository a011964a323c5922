//! The header row of a 问卷星 download, column by column: what each column holds.
//!
//! Forms seen in real downloads (fixtures of each in `tests/fixtures/wjx-real/`):
//!
//! * metadata, matched by name in any order: `序号`, `提交答卷时间`, `所用时间`, `来源`,
//!   `来源详情`, `来自IP`, and `总分` when the survey scores answers;
//! * `N、题干` — a question's only column (single choice, text, number; multiple choice in text
//!   mode, options joined with `┋`); trailing spaces and a type note such as ` (多选题 *必答)`
//!   are part of older headers;
//! * code mode, multiple choice, one 0/1 column per option, in two forms:
//!   `N、题干(选项1)` followed by `N、(选项2)` … (since about 2019; also `N(选项k)`), and the
//!   older `第N题(选项)` for every option;
//! * matrix questions and fill-ins with several blanks: the same `N、` on several columns,
//!   `N、题干—行1`, `N、行2` …, or `N、(1)题干`, `N、(2)…`; each column is then a question of
//!   its own, keyed `N.1`, `N.2` …. Headed like a multiple choice's option columns instead, they
//!   are made questions when the mapping keys them `N.1`, `N.2` … ([`as_questions`]).
//!
//! Option texts may hold parentheses themselves (`数据泄露防护(DLP)`); a column's option runs from
//! the parenthesis that balances the last one.

use crate::mapping::MetadataColumns;

/// Standard 问卷星 metadata columns besides those a mapping names (read past by default).
pub const KNOWN_METADATA: &[&str] = &["总分", "答题序号", "用户ID", "填写设备", "填写状态"];

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Platform metadata (id, time, duration, source, IP, score…).
    Meta,
    /// Listed in the mapping's `ignore_columns`.
    Ignored,
    /// The only column of question `key` (`"7"`), or one row of a matrix or blank (`"7.2"`).
    Question {
        key: String,
        number: u32,
        /// The header's text after `N、`, type note removed.
        text: String,
        /// A type note of older downloads, e.g. `多选题`.
        note: Option<String>,
    },
    /// One option column of a code-mode multiple-choice question.
    Option {
        number: u32,
        option: String,
        /// The question text, on the first column of the modern form.
        text: Option<String>,
    },
    /// Not a form this reader knows.
    Unknown,
}

/// Trim spaces, tabs and full-width spaces.
pub fn clean(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}')
}

fn open(c: char) -> bool {
    matches!(c, '(' | '（')
}

fn close(c: char) -> bool {
    matches!(c, ')' | '）')
}

/// Byte index of the parenthesis that opens the group closed by the last character of `s`.
fn group_start(s: &str) -> Option<usize> {
    if !s.chars().next_back().is_some_and(close) {
        return None;
    }
    let mut depth = 0i32;
    for (i, ch) in s.char_indices().rev() {
        if close(ch) {
            depth += 1;
        } else if open(ch) {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// `(选项)` → `选项` when the whole of `s` is one parenthesised group.
pub fn whole_group(s: &str) -> Option<&str> {
    let s = clean(s);
    let start = group_start(s)?;
    if start != 0 {
        return None;
    }
    let first = s.chars().next()?.len_utf8();
    let last = s.chars().next_back()?.len_utf8();
    Some(clean(&s[first..s.len() - last]))
}

/// `题干(选项1)` → (`题干`, `选项1`).
pub fn trailing_group(s: &str) -> Option<(&str, &str)> {
    let s = clean(s);
    let start = group_start(s)?;
    if start == 0 {
        return None;
    }
    let open_len = s[start..].chars().next()?.len_utf8();
    let last = s.chars().next_back()?.len_utf8();
    Some((
        clean(&s[..start]),
        clean(&s[start + open_len..s.len() - last]),
    ))
}

/// `N、rest` → (N, rest, true); `N(…)` → (N, `(…)`, false).
fn numbered(h: &str) -> Option<(u32, &str, bool)> {
    let h = clean(h);
    let digits = h.find(|c: char| !c.is_ascii_digit()).unwrap_or(h.len());
    if digits == 0 || digits > 6 {
        return None;
    }
    let n: u32 = h[..digits].parse().ok()?;
    let rest = &h[digits..];
    if let Some(r) = rest.strip_prefix('、') {
        return Some((n, r, true));
    }
    if rest.starts_with(open) {
        return Some((n, rest, false));
    }
    None
}

/// `第N题(选项)` → (N, 选项).
pub fn legacy_option(h: &str) -> Option<(u32, &str)> {
    let h = clean(h);
    let rest = h.strip_prefix('第')?;
    let (n, rest) = rest.split_once('题')?;
    let n: u32 = clean(n).parse().ok()?;
    Some((n, whole_group(rest)?))
}

/// A type note at the end of an older header: `题干 (多选题 *必答)` → (`题干`, `多选题`).
fn type_note(text: &str) -> (String, Option<String>) {
    const KINDS: &[&str] = &[
        "单选题",
        "多选题",
        "填空题",
        "多项填空题",
        "矩阵单选题",
        "矩阵多选题",
        "矩阵量表题",
        "量表题",
        "排序题",
        "比重题",
        "滑动条",
        "下拉框",
        "问答题",
    ];
    if let Some((head, g)) = trailing_group(text) {
        let word = clean(g.split(['*', ' ']).next().unwrap_or_default());
        if KINDS.contains(&word) {
            return (head.to_owned(), Some(word.to_owned()));
        }
    }
    (clean(text).to_owned(), None)
}

/// The role of every column of a header row.
pub fn classify(
    headers: &[String],
    meta: &MetadataColumns,
    id: &str,
    ignore: &[String],
) -> Vec<Role> {
    enum First {
        Meta,
        Ignored,
        Legacy(u32, String),
        Continuation(u32, String),
        Question(u32, String),
        Unknown,
    }
    let meta_names = [
        id,
        &meta.submitted_at,
        &meta.duration,
        &meta.source,
        &meta.source_detail,
        &meta.ip,
    ];
    let first: Vec<First> = headers
        .iter()
        .map(|h| {
            let name = clean(h);
            if meta_names.contains(&name) || KNOWN_METADATA.contains(&name) {
                First::Meta
            } else if ignore.iter().any(|i| clean(i) == name) {
                First::Ignored
            } else if let Some((n, opt)) = legacy_option(h) {
                First::Legacy(n, opt.to_owned())
            } else if let Some((n, rest, _)) = numbered(h) {
                match whole_group(rest) {
                    Some(opt) => First::Continuation(n, opt.to_owned()),
                    None if !rest.starts_with(open) || h.contains('、') => {
                        First::Question(n, rest.to_owned())
                    }
                    None => First::Unknown,
                }
            } else {
                First::Unknown
            }
        })
        .collect();
    let mut roles: Vec<Option<Role>> = vec![None; headers.len()];
    let mut c = 0;
    while c < first.len() {
        match &first[c] {
            First::Meta => roles[c] = Some(Role::Meta),
            First::Ignored => roles[c] = Some(Role::Ignored),
            First::Unknown => roles[c] = Some(Role::Unknown),
            First::Legacy(n, opt) => {
                roles[c] = Some(Role::Option {
                    number: *n,
                    option: opt.clone(),
                    text: None,
                })
            }
            First::Continuation(n, opt) => {
                roles[c] = Some(Role::Option {
                    number: *n,
                    option: opt.clone(),
                    text: None,
                })
            }
            First::Question(n, text) => {
                let follows = matches!(first.get(c + 1), Some(First::Continuation(m, _)) if m == n);
                match (follows, trailing_group(text)) {
                    (true, Some((head, opt))) => {
                        let (head, _) = type_note(head);
                        roles[c] = Some(Role::Option {
                            number: *n,
                            option: opt.to_owned(),
                            text: Some(head),
                        });
                    }
                    _ => {
                        let (text, note) = type_note(text);
                        roles[c] = Some(Role::Question {
                            key: n.to_string(),
                            number: *n,
                            text,
                            note,
                        });
                    }
                }
            }
        }
        c += 1;
    }
    // A number on several question columns: the rows of a matrix or the blanks of a fill-in.
    let mut count = std::collections::HashMap::new();
    for r in roles.iter().flatten() {
        if let Role::Question { number, .. } = r {
            *count.entry(*number).or_insert(0u32) += 1;
        }
    }
    let mut seen = std::collections::HashMap::new();
    roles
        .into_iter()
        .map(|r| match r.expect("every column classified") {
            Role::Question {
                number, text, note, ..
            } if count[&number] > 1 => {
                let k = seen.entry(number).or_insert(0u32);
                *k += 1;
                Role::Question {
                    key: format!("{number}.{k}"),
                    number,
                    text,
                    note,
                }
            }
            r => r,
        })
        .collect()
}

/// The option columns of the questions `split` names made questions of their own, keyed
/// `N.1`, `N.2` … in column order, as matrix rows and blanks are: for a download whose matrix
/// or fill-in columns are headed like a multiple choice's (`N、题干(行1)`, `N、(行2)`). The first
/// column's text is then `题干—行1`, as in the matrix form.
pub fn as_questions(roles: Vec<Role>, split: impl Fn(u32) -> bool) -> Vec<Role> {
    let mut seen = std::collections::HashMap::new();
    roles
        .into_iter()
        .map(|r| match r {
            Role::Option {
                number,
                option,
                text,
            } if split(number) => {
                let k = seen.entry(number).or_insert(0u32);
                *k += 1;
                Role::Question {
                    key: format!("{number}.{k}"),
                    number,
                    text: match text {
                        Some(head) if !head.is_empty() => format!("{head}—{option}"),
                        _ => option,
                    },
                    note: None,
                }
            }
            r => r,
        })
        .collect()
}

/// Whether the header row has code-mode (按序号) option columns.
pub fn has_option_columns(roles: &[Role]) -> bool {
    roles.iter().any(|r| matches!(r, Role::Option { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(h: &[&str]) -> Vec<Role> {
        let h: Vec<String> = h.iter().map(|s| s.to_string()).collect();
        classify(&h, &MetadataColumns::default(), "序号", &[])
    }

    #[test]
    fn option_columns_become_rows_when_asked() {
        let r = roles(&[
            "序号",
            "4、门诊与住院量(门诊量)",
            "4、(住院量)",
            "5、题(甲)",
            "5、(乙)",
        ]);
        let r = as_questions(r, |n| n == 4);
        assert_eq!(
            r[1],
            Role::Question {
                key: "4.1".into(),
                number: 4,
                text: "门诊与住院量—门诊量".into(),
                note: None
            }
        );
        assert_eq!(
            r[2],
            Role::Question {
                key: "4.2".into(),
                number: 4,
                text: "住院量".into(),
                note: None
            }
        );
        assert!(matches!(&r[3], Role::Option { number: 5, .. }));
    }

    #[test]
    fn modern_code_mode_multiple_choice() {
        let r = roles(&[
            "序号",
            "总分",
            "1、您的性别",
            "3、您通常参与哪些校园活动？(学术研究或项目)",
            "3、(社团或学生组织活动)",
            "3(其他)",
            "5、数据泄露防护(DLP)的使用(已部署(全院))",
            "5、(未部署)",
        ]);
        assert_eq!(r[0], Role::Meta);
        assert_eq!(r[1], Role::Meta);
        assert!(matches!(&r[2], Role::Question { key, .. } if key == "1"));
        assert_eq!(
            r[3],
            Role::Option {
                number: 3,
                option: "学术研究或项目".into(),
                text: Some("您通常参与哪些校园活动？".into())
            }
        );
        assert!(
            matches!(&r[4], Role::Option { number: 3, option, text: None } if option == "社团或学生组织活动")
        );
        assert!(matches!(&r[5], Role::Option { number: 3, option, .. } if option == "其他"));
        assert!(
            matches!(&r[6], Role::Option { number: 5, option, text: Some(t) } if option == "已部署(全院)" && t == "数据泄露防护(DLP)的使用")
        );
    }

    #[test]
    fn legacy_code_mode_matrices_and_notes() {
        let r = roles(&[
            "第6题(ACG文化(动漫、游戏等))",
            "4、你对以下出行方式的偏好是—地铁/公交车",
            "4、出租车/网约车",
            "7、题干 (多选题 *必答)",
            "8、医院所在省份（直辖市）",
            "备注",
        ]);
        assert!(
            matches!(&r[0], Role::Option { number: 6, option, .. } if option == "ACG文化(动漫、游戏等)")
        );
        assert!(matches!(&r[1], Role::Question { key, .. } if key == "4.1"));
        assert!(matches!(&r[2], Role::Question { key, .. } if key == "4.2"));
        assert!(
            matches!(&r[3], Role::Question { key, text, note: Some(n), .. } if key == "7" && text == "题干" && n == "多选题")
        );
        assert!(
            matches!(&r[4], Role::Question { key, text, .. } if key == "8" && text == "医院所在省份（直辖市）")
        );
        assert_eq!(r[5], Role::Unknown);
    }
}
