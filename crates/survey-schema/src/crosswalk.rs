//! A crosswalk: which question and option of an earlier questionnaire each question and option
//! of this one compares with, so that two survey waves can be set side by side.
//!
//! It covers renamed options (a different code, the same meaning), merged options (one option
//! now for several earlier ones: it compares with the earlier respondents who chose any of
//! them, for a single choice their sum), new options and split options
//! (nothing to compare with: mapped to `[]`), new questions (`"from": null`), questions no longer
//! asked (`dropped`), and a changed base (other skip logic: `base_changed` says how). Nothing is
//! matched silently: a question without `options` must have exactly the same option codes in
//! both waves, each with the same label; with `options`, every option of this wave is listed.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Index;

/// The crosswalk file, e.g. `waves/2025.crosswalk.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Crosswalk {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The earlier questionnaire's id, e.g. `chima-2025-main`.
    pub from: String,
    /// This wave's questionnaire id.
    pub to: String,
    /// This wave's questions (by id), each with the earlier question it compares with.
    pub questions: IndexMap<String, QuestionLink>,
    /// Earlier questions no longer asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<String>,
}

/// One question's link to the earlier wave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionLink {
    /// The earlier question's id; `null` for a question new in this wave.
    pub from: Option<String>,
    /// Each option of this question → the earlier options it stands for: one (the same or a
    /// renamed option), several (merged: compared with the earlier respondents who chose any of them; for a
    /// single choice, their sum) or none (`[]`: new, or split
    /// from an earlier option, so not comparable). Absent: both questions have the same codes, with the same labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<IndexMap<String, Vec<String>>>,
    /// The base differs between the waves (another display condition, another population);
    /// says how. Comparisons of this question carry it as a note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_changed: Option<String>,
    /// A remark for the team keeping the crosswalk (why options were paired so); never
    /// printed. What readers must know goes in `base_changed`, or follows from the options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A crosswalk checked against both questionnaires.
#[derive(Debug, Clone, PartialEq)]
pub struct Links {
    pub crosswalk: Crosswalk,
}

/// How one option of this wave compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionLink<'a> {
    /// With the earlier respondents who chose any of these options (one for the same or a
    /// renamed option).
    Earlier(Vec<&'a str>),
    /// With nothing: new in this wave, or split from an earlier option.
    NotComparable,
}

impl Links {
    /// The earlier question a question of this wave compares with.
    pub fn earlier(&self, question: &str) -> Option<&str> {
        self.crosswalk
            .questions
            .get(question)
            .and_then(|l| l.from.as_deref())
    }

    pub fn link(&self, question: &str) -> Option<&QuestionLink> {
        self.crosswalk.questions.get(question)
    }

    /// How option `code` of `question` compares.
    pub fn option<'a>(&'a self, question: &str, code: &'a str) -> OptionLink<'a> {
        match self.crosswalk.questions.get(question) {
            Some(QuestionLink {
                from: Some(_),
                options: Some(map),
                ..
            }) => match map.get(code) {
                Some(list) if !list.is_empty() => {
                    OptionLink::Earlier(list.iter().map(String::as_str).collect())
                }
                _ => OptionLink::NotComparable,
            },
            Some(QuestionLink {
                from: Some(_),
                options: None,
                ..
            }) => OptionLink::Earlier(vec![code]),
            _ => OptionLink::NotComparable,
        }
    }

    /// Earlier options of the question's counterpart that no option of this wave uses.
    pub fn unused_earlier<'a>(&'a self, question: &str, earlier: &'a Index) -> Vec<&'a str> {
        let Some(from) = self.earlier(question) else {
            return Vec::new();
        };
        let Some(q) = earlier.get(from) else {
            return Vec::new();
        };
        q.kind
            .options()
            .iter()
            .map(|o| o.code.as_str())
            .filter(
                |c| match self.link(question).and_then(|l| l.options.as_ref()) {
                    Some(map) => !map.values().flatten().any(|x| x == c),
                    None => false,
                },
            )
            .collect()
    }
}

/// Why a crosswalk does not fit its questionnaires: the line of the file and the name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CrosswalkError {
    pub line: usize,
    pub message: String,
}

/// Two options' labels are the same option: equal but for spaces and a fill-in note
/// (`其他【请注明】` is `其他`).
fn same_label(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        let mut s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        for note in ["【请注明】", "（请注明）", "(请注明)"] {
            s = s.replace(note, "");
        }
        s
    };
    norm(a) == norm(b)
}

/// An `options` map matching this question's options to the earlier one's by label, to paste
/// into the crosswalk (an option without an earlier label of its own maps to `[]`).
///
/// An option no earlier label equals is paired with the one earlier option no other took whose
/// label holds its label or is held in it (诊间支付 → 诊间支付（含医保移动支付）): a renamed
/// option, to check. The pairs so guessed are returned beside the map.
fn by_label(q: &crate::Question, e: &crate::Question) -> (String, Vec<String>) {
    let now = q.kind.options();
    let then = e.kind.options();
    let (was, guessed) = pairing(q, e);
    let pairs: Vec<String> = now
        .iter()
        .zip(&was)
        .map(|(o, ks)| {
            let codes: Vec<String> = ks
                .iter()
                .map(|&k| format!("\"{}\"", then[k].code))
                .collect();
            format!("\"{}\": [{}]", o.code, codes.join(", "))
        })
        .collect();
    (format!("\"options\": {{{}}}", pairs.join(", ")), guessed)
}

/// For each option now, the earlier options it pairs with by label (see [`by_label`]), and the
/// pairs guessed as renamed.
fn pairing(q: &crate::Question, e: &crate::Question) -> (Vec<Vec<usize>>, Vec<String>) {
    let now = q.kind.options();
    let then = e.kind.options();
    let mut was: Vec<Vec<usize>> = now
        .iter()
        .map(|o| {
            (0..then.len())
                .filter(|&k| same_label(&o.label.zh, &then[k].label.zh))
                .collect()
        })
        .collect();
    let compact = |s: &str| -> String { s.chars().filter(|c| c.is_alphanumeric()).collect() };
    let mut guessed = Vec::new();
    for i in 0..now.len() {
        if !was[i].is_empty() {
            continue;
        }
        let a = compact(&now[i].label.zh);
        let free: Vec<usize> = (0..then.len())
            .filter(|k| !was.iter().any(|w| w.contains(k)))
            .filter(|&k| {
                let b = compact(&then[k].label.zh);
                !a.is_empty() && !b.is_empty() && (a.contains(&b) || b.contains(&a))
            })
            .collect();
        if let [k] = free.as_slice() {
            guessed.push(format!(
                "`{}` «{}» ← `{}` «{}»",
                now[i].code, now[i].label.zh, then[*k].code, then[*k].label.zh
            ));
            was[i].push(*k);
        }
    }
    (was, guessed)
}

/// [`by_label`]'s map, with the renamed options it guessed named for checking.
fn suggested(q: &crate::Question, e: &crate::Question) -> String {
    let (map, guessed) = by_label(q, e);
    if guessed.is_empty() {
        map
    } else {
        format!(
            "{map}; of these, {} {} paired as renamed because one label holds the other: check {}",
            guessed.join(", "),
            if guessed.len() == 1 { "is" } else { "are" },
            if guessed.len() == 1 { "it" } else { "them" }
        )
    }
}

/// An option by code and label: `qinghai` «青海省».
fn named(q: &crate::Question, code: &str) -> String {
    match q.kind.options().iter().find(|o| o.code == code) {
        Some(o) => format!("`{code}` «{}»", o.label.zh),
        None => format!("`{code}`"),
    }
}

/// The line of the first `"name"` in `text` after the `after` byte offset.
fn line_of(text: &str, name: &str, after: usize) -> (usize, usize) {
    let needle = format!("\"{name}\"");
    let at = text[after.min(text.len())..]
        .find(&needle)
        .map_or(after, |i| after + i);
    (text[..at].matches('\n').count() + 1, at)
}

/// The line of the first key `"name":` in `text` after the `after` byte offset (a question's
/// own entry, not a `from` naming it).
fn key_line_of(text: &str, name: &str, after: usize) -> (usize, usize) {
    let needle = format!("\"{name}\"");
    let mut from = after.min(text.len());
    while let Some(i) = text[from..].find(&needle) {
        let at = from + i;
        let rest = text[at + needle.len()..].trim_start();
        if rest.starts_with(':') {
            return (text[..at].matches('\n').count() + 1, at);
        }
        from = at + needle.len();
    }
    line_of(text, name, after)
}

/// Parse a crosswalk and check it against the earlier questionnaire and this wave's.
pub fn check_crosswalk(
    text: &str,
    earlier: &Index,
    current: &Index,
) -> Result<Links, Vec<CrosswalkError>> {
    let c: Crosswalk = serde_json::from_str(text).map_err(|e| {
        vec![CrosswalkError {
            line: e.line(),
            message: format!("column {}: {e}", e.column()),
        }]
    })?;
    let mut errors = Vec::new();
    let mut err = |line: usize, message: String| errors.push(CrosswalkError { line, message });
    let (from_id, to_id) = (&earlier.questionnaire().id, &current.questionnaire().id);
    if &c.from != from_id {
        err(
            line_of(text, "from", 0).0,
            format!(
                "`from` is `{}`, but the earlier questionnaire is `{from_id}`",
                c.from
            ),
        );
    }
    if &c.to != to_id {
        err(
            line_of(text, "to", 0).0,
            format!(
                "`to` is `{}`, but this wave's questionnaire is `{to_id}`",
                c.to
            ),
        );
    }
    let (_, questions_at) = line_of(text, "questions", 0);
    let mut used_earlier: Vec<&str> = Vec::new();
    for (qid, link) in &c.questions {
        let (qline, qat) = key_line_of(text, qid, questions_at);
        let Some(q) = current.get(qid) else {
            err(
                qline,
                format!("`{qid}` is not a question of this wave's questionnaire `{to_id}`"),
            );
            continue;
        };
        if !q.kind.is_choice() {
            err(
                qline,
                format!(
                    "`{qid}` is {}; only choice questions can be compared",
                    q.kind.name()
                ),
            );
            continue;
        }
        let Some(from) = &link.from else {
            if link.options.is_some() {
                err(
                    qline,
                    format!("`{qid}` is new (`from` is null) but lists options"),
                );
            }
            continue;
        };
        let (fline, fat) = line_of(text, from, qat);
        let Some(e) = earlier.get(from) else {
            err(
                fline,
                format!(
                    "`{qid}`: `{from}` is not a question of the earlier questionnaire `{from_id}`"
                ),
            );
            continue;
        };
        if used_earlier.contains(&from.as_str()) {
            err(
                fline,
                format!("`{qid}`: `{from}` is already linked to another question"),
            );
        }
        used_earlier.push(from);
        if !e.kind.is_choice() {
            err(
                fline,
                format!(
                    "`{qid}`: `{from}` is {}, not a choice question",
                    e.kind.name()
                ),
            );
            continue;
        }
        if e.kind.is_multiple() != q.kind.is_multiple() {
            err(
                fline,
                format!(
                    "`{qid}` is {} but `{from}` was {}: a distribution cannot be compared with per-option shares",
                    q.kind.name(),
                    e.kind.name()
                ),
            );
            continue;
        }
        let codes = |x: &crate::Question| -> Vec<String> {
            x.kind.options().iter().map(|o| o.code.clone()).collect()
        };
        let (now, then) = (codes(q), codes(e));
        match &link.options {
            None => {
                let missing: Vec<&String> = now.iter().filter(|c| !then.contains(c)).collect();
                let gone: Vec<&String> = then.iter().filter(|c| !now.contains(c)).collect();
                // The same codes must mean the same options: drafts number options in the
                // order answers first appear, so one wave's `o2` may be another's `o4`.
                let relabelled: Vec<String> = q
                    .kind
                    .options()
                    .iter()
                    .filter_map(|o| {
                        let was = e.kind.options().iter().find(|x| x.code == o.code)?;
                        (!same_label(&o.label.zh, &was.label.zh)).then(|| {
                            format!(
                                "`{}` is «{}» now, «{}» then",
                                o.code, o.label.zh, was.label.zh
                            )
                        })
                    })
                    .collect();
                if missing.is_empty() && gone.is_empty() && !relabelled.is_empty() {
                    err(
                        qline,
                        format!(
                            "`{qid}` and `{from}` use the same option codes with different labels ({}), so codes cannot be matched; list the options under `options`, by label: {}",
                            relabelled.join("; "),
                            suggested(q, e)
                        ),
                    );
                }
                if !missing.is_empty() || !gone.is_empty() {
                    // The earlier options no option now takes by its label: those only are
                    // offered for adding (trial 43: every earlier option was, matched or not).
                    let (was, _) = pairing(q, e);
                    let unpaired: Vec<&crate::ChoiceOption> = e
                        .kind
                        .options()
                        .iter()
                        .enumerate()
                        .filter(|(k, o)| {
                            gone.iter().any(|c| **c == o.code) && !was.iter().any(|w| w.contains(k))
                        })
                        .map(|(_, o)| o)
                        .collect();
                    err(
                        qline,
                        format!(
                            "`{qid}` and `{from}` have different options ({}{}); list every option of `{qid}` under `options`, mapping new or split ones to [] (by label: {}){}",
                            if missing.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    "only now: {}",
                                    missing
                                        .iter()
                                        .map(|s| named(q, s))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                            },
                            if gone.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    "{}only then: {}",
                                    if missing.is_empty() { "" } else { "; " },
                                    gone.iter()
                                        .map(|s| named(e, s))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                            },
                            suggested(q, e),
                            if unpaired.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    ". An earlier option offered again but chosen by no one this time (a drafted 地区题 lists only the provinces answered) is added by hand to `{qid}`'s options in this wave's questionnaire ({}), where it counts 0, and mapped to itself",
                                    unpaired
                                        .iter()
                                        .map(|o| format!(
                                            "{{\"code\": \"{}\", \"label\": \"{}\"}}",
                                            o.code, o.label.zh
                                        ))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                            }
                        ),
                    );
                }
            }
            Some(map) => {
                let (_, oat) = line_of(text, "options", fat);
                for code in &now {
                    if !map.contains_key(code) {
                        err(
                            line_of(text, "options", fat).0,
                            format!(
                                "`{qid}`: option `{code}` is not listed; map it to its earlier options, or to [] if it has none"
                            ),
                        );
                    }
                }
                let mut seen: Vec<&str> = Vec::new();
                for (code, list) in map {
                    let (oline, cat) = line_of(text, code, oat);
                    if !now.contains(code) {
                        err(oline, format!("`{qid}` has no option `{code}`"));
                    }
                    for x in list {
                        let (xline, _) = line_of(text, x, cat);
                        if !then.contains(x) {
                            err(
                                xline,
                                format!("`{qid}`.`{code}`: `{from}` had no option `{x}`"),
                            );
                        } else if seen.contains(&x.as_str()) {
                            err(
                                xline,
                                format!(
                                    "`{qid}`: earlier option `{x}` is mapped twice; an option split in two cannot be compared, map both parts to []"
                                ),
                            );
                        }
                        seen.push(x);
                    }
                }
            }
        }
    }
    let (_, dropped_at) = line_of(text, "dropped", 0);
    for d in &c.dropped {
        if earlier.get(d).is_none() {
            err(
                line_of(text, d, dropped_at).0,
                format!("dropped `{d}` is not a question of the earlier questionnaire `{from_id}`"),
            );
        }
        if used_earlier.contains(&d.as_str()) {
            err(
                line_of(text, d, dropped_at).0,
                format!("`{d}` is listed as dropped but a question of this wave compares with it"),
            );
        }
    }
    // Nothing left out silently: a choice question of this wave the crosswalk does not name
    // would go unmentioned, and the earlier question it continues would be reported as not
    // asked again. (Earlier questions no question of this wave links to are the ones not
    // asked again, `dropped` or not.)
    let questions_line = line_of(text, "questions", 0).0;
    for q in current.questions() {
        if q.kind.is_choice() && !c.questions.contains_key(&q.id) {
            let same = earlier.questions().iter().find(|e| {
                e.kind.is_choice()
                    && e.text.zh == q.text.zh
                    && !used_earlier.contains(&e.id.as_str())
            });
            err(
                questions_line,
                format!(
                    "`{}` («{}») is a choice question of this wave but not in `questions`: link it to its earlier question{}, or write `\"{}\": {{\"from\": null}}` if it is new",
                    q.id,
                    q.text.zh,
                    same.map_or(String::new(), |e| format!(
                        " (`{}` was worded the same: `\"{}\": {{\"from\": \"{}\"}}`)",
                        e.id, q.id, e.id
                    )),
                    q.id
                ),
            );
        }
    }
    if errors.is_empty() {
        Ok(Links { crosswalk: c })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(id: &str, options: serde_json::Value) -> Index {
        let q = serde_json::json!({
            "id": id, "title": "T", "organisation": "CHIMA", "year": 2026, "language": "zh-CN",
            "sections": [{"id": "s", "title": "S", "questions": [
                {"id": "q", "text": "是否开展培训", "kind": "single_choice", "options": options}
            ]}]
        });
        crate::parse_questionnaire(&q.to_string(), std::path::Path::new("q.json")).unwrap()
    }

    #[test]
    fn only_earlier_options_no_label_takes_are_offered_for_adding() {
        // Trial 43: with new codes for every option, the message offered every earlier option
        // for adding by hand, those its own by-label map had just paired too.
        let then = index(
            "then",
            serde_json::json!([
                {"code": "yes", "label": "是"}, {"code": "no", "label": "否"},
                {"code": "unsure", "label": "不清楚"}
            ]),
        );
        let now = index(
            "now",
            serde_json::json!([{"code": "o1", "label": "否"}, {"code": "o2", "label": "是"}]),
        );
        let text = r#"{"from": "then", "to": "now", "questions": {"q": {"from": "q"}}}"#;
        let e = check_crosswalk(text, &then, &now).unwrap_err();
        let m = &e[0].message;
        assert!(
            m.contains(r#"(by label: "options": {"o1": ["no"], "o2": ["yes"]})"#),
            "{m}"
        );
        assert!(
            m.contains(r#"in this wave's questionnaire ({"code": "unsure", "label": "不清楚"})"#),
            "{m}"
        );
        // Every earlier option paired: nothing to add.
        let then = index(
            "then",
            serde_json::json!([{"code": "yes", "label": "是"}, {"code": "no", "label": "否"}]),
        );
        let e = check_crosswalk(text, &then, &now).unwrap_err();
        assert!(!e[0].message.contains("added by hand"), "{}", e[0].message);
    }
}
