//! JSON Schema of one respondent record, generated from a questionnaire.
//!
//! The schema says what JSON Schema can say: option-code enums, selection bounds, number
//! ranges, which answers must be present and non-null. Rules it cannot express (exclusive
//! options, display conditions, other-text without the other option) are checked by the
//! validation crate.

use serde_json::{Map, Value as Json, json};

use crate::index::Index;
use crate::model::QuestionKind;

/// The largest whole number an `integer` answer may be: 2^53 − 1, the last a double holds
/// exactly (1e23 would read back as 99,999,999,999,999,991,611,392).
pub const MAX_EXACT_INTEGER: i64 = 9_007_199_254_740_991;

impl Index {
    /// The JSON Schema (draft 2020-12) of one record of responses to this questionnaire.
    pub fn response_schema(&self) -> Json {
        let qn = self.questionnaire();
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut other_props = Map::new();
        for q in self.questions() {
            let mut s = answer_schema(&q.kind);
            let obj = s.as_object_mut().expect("answer schema is an object");
            let mut description = q.text.zh.clone();
            if let Some(en) = &q.text.en {
                description.push_str(" / ");
                description.push_str(en);
            }
            obj.insert("description".into(), json!(description));
            // `null` records "shown but not answered", allowed only where an answer is optional.
            if !q.required {
                s = json!({"anyOf": [s, {"type": "null"}]});
            }
            // Questions shown to everyone must be present; conditional ones may be absent.
            if q.show_if.is_none() {
                required.push(json!(q.id));
            }
            properties.insert(q.id.clone(), s);
            if let Some(o) = q.other_option() {
                other_props.insert(
                    q.id.clone(),
                    json!({
                        "type": "string",
                        "description": format!("Text typed beside option `{}` of {}", q.kind.options()[o].code, q.id),
                    }),
                );
            }
        }
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": format!("urn:survey-response:{}", qn.id),
            "title": format!("One respondent's answers to {} ({})", qn.title.zh, qn.id),
            "description": "Generated from the questionnaire by `cargo xtask schemas`; do not edit. An absent answer means the question was not shown; null means shown but not answered.",
            "type": "object",
            "required": ["id", "answers"],
            "additionalProperties": false,
            "properties": {
                "id": {"type": "string", "minLength": 1, "description": "Respondent identifier"},
                "answers": {
                    "type": "object",
                    "required": required,
                    "additionalProperties": false,
                    "properties": properties,
                },
                "other_text": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": other_props,
                },
            },
        })
    }
}

fn answer_schema(kind: &QuestionKind) -> Json {
    match kind {
        QuestionKind::SingleChoice { options } | QuestionKind::Ordinal { options } => {
            json!({"enum": options.iter().map(|o| o.code.as_str()).collect::<Vec<_>>()})
        }
        QuestionKind::MultipleChoice { options, .. } => {
            let (min, max) = kind.selection_bounds();
            json!({
                "type": "array",
                "items": {"enum": options.iter().map(|o| o.code.as_str()).collect::<Vec<_>>()},
                "uniqueItems": true,
                "minItems": min,
                "maxItems": max,
            })
        }
        QuestionKind::Integer { min, max } => {
            // A whole number a double holds exactly, within the question's own bounds.
            let mut m = Map::new();
            m.insert("type".into(), json!("integer"));
            m.insert(
                "minimum".into(),
                json!(min.unwrap_or(-MAX_EXACT_INTEGER).max(-MAX_EXACT_INTEGER)),
            );
            m.insert(
                "maximum".into(),
                json!(max.unwrap_or(MAX_EXACT_INTEGER).min(MAX_EXACT_INTEGER)),
            );
            Json::Object(m)
        }
        QuestionKind::Number { min, max } => {
            let mut m = Map::new();
            m.insert("type".into(), json!("number"));
            if let Some(v) = min {
                m.insert("minimum".into(), json!(v));
            }
            if let Some(v) = max {
                m.insert("maximum".into(), json!(v));
            }
            Json::Object(m)
        }
        QuestionKind::Text { max_length } => {
            let mut m = Map::new();
            m.insert("type".into(), json!("string"));
            if let Some(v) = max_length {
                m.insert("maxLength".into(), json!(v));
            }
            Json::Object(m)
        }
    }
}

/// The JSON Schema of the questionnaire format itself, from the Rust types.
pub fn questionnaire_schema() -> Json {
    let schema = schemars::schema_for!(crate::model::Questionnaire);
    serde_json::to_value(schema).expect("a schema serialises")
}
