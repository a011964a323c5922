//! Parquet through Arrow (`parquet` with the `arrow` feature only: no codecs, so files are
//! uncompressed but dictionary- and run-length encoded).
//!
//! * A single-choice or ordinal question is a dictionary column (Int16 keys → option labels,
//!   not flagged ordered, see below). Not shown and not answered are null.
//! * A multiple-choice option is a nullable Boolean; an "other" text is a string.
//! * A number is Int64 or Float64, null when missing.
//! * Per question, `<name>__status` (answered / not_shown / not_answered) keeps apart what the
//!   `.sav` and `.dta` keep apart with their missing codes.
//! * Field metadata: `label` (the question text), `question`, `option`, and for dictionary
//!   columns `levels` (labels in code order), `codes` (the codes) and `measure` (`ordinal` or
//!   `nominal`). arrow-rs writes a
//!   column's dictionary again from the values it meets (first appearance, unseen labels
//!   dropped; apache/arrow-rs#10465), so readers restore the order from `levels`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int64Array, StringArray,
};
use arrow::datatypes::{DataType, Field, Int8Type, Int16Type, Schema};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use crate::model::{Cell, Export, Measure, Role, VarType};

/// The Parquet bytes of an export.
pub fn to_bytes(ds: &Export) -> Result<Vec<u8>, String> {
    to_bytes_inner(ds).map_err(|e| e.to_string())
}

fn to_bytes_inner(ds: &Export) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut fields: Vec<Field> = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    let num = |c: &Cell| if let Cell::Num(x) = c { Some(*x) } else { None };
    for v in &ds.vars {
        let mut md = HashMap::new();
        md.insert("label".to_string(), v.label.clone());
        if let Some(q) = &v.question {
            md.insert("question".to_string(), q.clone());
        }
        if let Some(o) = &v.option {
            md.insert("option".to_string(), o.clone());
        }
        match (v.role, &v.vtype) {
            (_, VarType::Text { .. }) => {
                let data: Vec<Option<&str>> = v
                    .cells
                    .iter()
                    .map(|c| match c {
                        Cell::Text(t) if !t.is_empty() => Some(t.as_str()),
                        _ => None,
                    })
                    .collect();
                fields.push(Field::new(&v.name, DataType::Utf8, true).with_metadata(md));
                cols.push(Arc::new(StringArray::from(data)));
            }
            (Role::Dichotomy, _) => {
                let data: Vec<Option<bool>> =
                    v.cells.iter().map(|c| num(c).map(|x| x == 1.0)).collect();
                fields.push(Field::new(&v.name, DataType::Boolean, true).with_metadata(md));
                cols.push(Arc::new(BooleanArray::from(data)));
            }
            (Role::Choice, _) => {
                let labels: Vec<&str> = v.value_labels.iter().map(|(_, l)| l.as_str()).collect();
                let keys: Vec<Option<i16>> = v
                    .cells
                    .iter()
                    .map(|c| {
                        num(c).and_then(|x| {
                            v.value_labels
                                .iter()
                                .position(|(code, _)| f64::from(*code) == x)
                                .map(|p| p as i16)
                        })
                    })
                    .collect();
                let arr = DictionaryArray::<Int16Type>::try_new(
                    keys.into(),
                    Arc::new(StringArray::from(labels.clone())),
                )?;
                md.insert("levels".into(), serde_json::to_string(&labels)?);
                md.insert(
                    "measure".into(),
                    if v.measure == Measure::Ordinal {
                        "ordinal"
                    } else {
                        "nominal"
                    }
                    .into(),
                );
                md.insert(
                    "codes".into(),
                    serde_json::to_string(
                        &v.value_labels.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
                    )?,
                );
                fields.push(
                    Field::new_dictionary(&v.name, DataType::Int16, DataType::Utf8, true)
                        // Not flagged ordered: the Parquet writer rewrites a dictionary in order of
                        // appearance (arrow-rs #10465), so an ordered flag would rank options
                        // wrongly; the `levels` metadata gives the questionnaire order.
                        .with_dict_is_ordered(false)
                        .with_metadata(md),
                );
                cols.push(Arc::new(arr));
            }
            (_, VarType::Numeric { integer: true }) => {
                fields.push(Field::new(&v.name, DataType::Int64, true).with_metadata(md));
                cols.push(Arc::new(Int64Array::from(
                    v.cells
                        .iter()
                        .map(|c| num(c).map(|x| x as i64))
                        .collect::<Vec<_>>(),
                )));
            }
            (_, VarType::Numeric { integer: false }) => {
                fields.push(Field::new(&v.name, DataType::Float64, true).with_metadata(md));
                cols.push(Arc::new(Float64Array::from(
                    v.cells.iter().map(num).collect::<Vec<_>>(),
                )));
            }
        }
    }
    // Per question with missing codes, whether each respondent answered, was not shown it, or
    // skipped it (read from its first variable: every variable of a question shares it).
    let status_labels = ["answered", "not_shown", "not_answered"];
    let mut done: Vec<&str> = Vec::new();
    for v in ds.vars.iter().filter(|v| v.has_missing) {
        let Some(q) = v.question.as_deref() else {
            continue;
        };
        if done.contains(&q) {
            continue;
        }
        done.push(q);
        let keys: Vec<Option<i8>> = v
            .cells
            .iter()
            .map(|c| {
                Some(match c {
                    Cell::NotShown => 1,
                    Cell::NotAnswered => 2,
                    _ => 0,
                })
            })
            .collect();
        let arr = DictionaryArray::<Int8Type>::try_new(
            keys.into(),
            Arc::new(StringArray::from(status_labels.to_vec())),
        )?;
        let mut md = HashMap::new();
        md.insert("label".to_string(), "作答状态".to_string());
        md.insert("question".to_string(), q.to_owned());
        let stem = v
            .name
            .strip_suffix(&format!("_{}", v.option.as_deref().unwrap_or("")))
            .filter(|_| v.option.is_some())
            .unwrap_or(&v.name);
        fields.push(
            Field::new_dictionary(
                format!("{stem}__status"),
                DataType::Int8,
                DataType::Utf8,
                false,
            )
            .with_metadata(md),
        );
        cols.push(Arc::new(arr));
    }
    let mut smd = HashMap::new();
    smd.insert("survey.label".to_string(), ds.label.clone());
    smd.insert("survey.questionnaire".to_string(), ds.questionnaire.clone());
    smd.insert(
        "survey.mr_sets".to_string(),
        serde_json::to_string(&ds.mr_sets)?,
    );
    let schema = Arc::new(Schema::new_with_metadata(fields, smd));
    let batch = RecordBatch::try_new(schema.clone(), cols)?;
    let mut out = Vec::new();
    let props = WriterProperties::builder().build();
    let mut w = ArrowWriter::try_new(&mut out, schema, Some(props))?;
    w.write(&batch)?;
    w.close()?;
    Ok(out)
}
