//! Parquet through Arrow (`parquet` with the `arrow` feature only: no codecs, so files are
//! uncompressed but dictionary- and run-length encoded).
//!
//! * A single-choice or ordinal question is a dictionary column (Int16 keys → option labels,
//!   not flagged ordered, see below). Not shown and not answered are null.
//! * A multiple-choice option is a nullable Boolean; an "other" text is a string.
//! * A number is Int64 or Float64, null when missing.
//! * Per question, `<name>__status` (answered / not_shown / not_answered, and not_ranked for
//!   a ranking's option left out of an answered ranking) keeps apart what the
//!   `.sav` and `.dta` keep apart with their missing codes.
//! * Field metadata: `label` (the question text), `question`, `option`, and for dictionary
//!   columns `levels` (labels in code order), `codes` (the codes) and `measure` (`ordinal` or
//!   `nominal`). arrow-rs writes a
//!   column's dictionary again from the values it meets (first appearance, unseen labels
//!   dropped; apache/arrow-rs#10465), so readers restore the order from `levels`.

use std::collections::HashMap;
use std::sync::Arc;

use std::io::Write;

use arrow::array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int8Array, Int16Array, Int64Array,
    StringArray,
};
use arrow::datatypes::{DataType, Field, Int8Type, Int16Type, Schema};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use crate::model::{Cell, Chunk, Export, Measure, Role, VarType};

/// How a variable becomes a Parquet column.
#[derive(Clone, Copy)]
enum Column {
    Text,
    Boolean,
    /// Keys into the variable's labels.
    Category,
    Int,
    Float,
    /// The question's answered / not shown / not answered, read from this variable.
    Status,
}

/// Writes an export's Parquet file a chunk at a time: one Arrow batch per chunk, row groups
/// of a fixed number of rows (set from the row's width, so that the writer's buffered row
/// group stays small), whatever the chunks.
pub struct Writer<'d, 'w, W: Write + Send> {
    ds: &'d Export<'w>,
    schema: Arc<Schema>,
    /// Per column: which variable, and how.
    columns: Vec<(usize, Column)>,
    writer: ArrowWriter<W>,
}

/// A row group holds this many bytes of rows at their raw size (8 bytes a number, a text's
/// width): its encoded, buffered form is smaller.
const ROW_GROUP_BYTES: usize = 32 << 20;
/// And at most this many rows, however narrow.
pub(crate) const MAX_GROUP_ROWS: usize = 1 << 17;

impl<'d, 'w, W: Write + Send> Writer<'d, 'w, W> {
    pub fn new(out: W, ds: &'d Export<'w>) -> Result<Self, String> {
        Self::start(out, ds).map_err(|e| e.to_string())
    }

    fn start(out: W, ds: &'d Export<'w>) -> Result<Self, Box<dyn std::error::Error>> {
        let mut fields: Vec<Field> = Vec::new();
        let mut columns = Vec::new();
        for (i, v) in ds.vars.iter().enumerate() {
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
                    fields.push(Field::new(&v.name, DataType::Utf8, true).with_metadata(md));
                    columns.push((i, Column::Text));
                }
                (Role::Dichotomy, _) => {
                    fields.push(Field::new(&v.name, DataType::Boolean, true).with_metadata(md));
                    columns.push((i, Column::Boolean));
                }
                (Role::Choice, _) => {
                    let labels: Vec<&str> =
                        v.value_labels.iter().map(|(_, l)| l.as_str()).collect();
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
                            // Not flagged ordered: the Parquet writer rewrites a dictionary in
                            // order of appearance (arrow-rs #10465), so an ordered flag would
                            // rank options wrongly; the `levels` metadata gives the
                            // questionnaire order.
                            .with_dict_is_ordered(false)
                            .with_metadata(md),
                    );
                    columns.push((i, Column::Category));
                }
                (_, VarType::Numeric { integer: true }) => {
                    fields.push(Field::new(&v.name, DataType::Int64, true).with_metadata(md));
                    columns.push((i, Column::Int));
                }
                (_, VarType::Numeric { integer: false }) => {
                    fields.push(Field::new(&v.name, DataType::Float64, true).with_metadata(md));
                    columns.push((i, Column::Float));
                }
            }
        }
        // Per question with missing codes, whether each respondent answered, was not shown it,
        // or skipped it (read from its first variable: every variable of a question shares it).
        let mut done: Vec<&str> = Vec::new();
        for (i, v) in ds.vars.iter().enumerate().filter(|(_, v)| v.has_missing) {
            let Some(q) = v.question.as_deref() else {
                continue;
            };
            if done.contains(&q) {
                continue;
            }
            done.push(q);
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
            columns.push((i, Column::Status));
        }
        let mut smd = HashMap::new();
        smd.insert("survey.label".to_string(), ds.label.clone());
        smd.insert("survey.questionnaire".to_string(), ds.questionnaire.clone());
        smd.insert(
            "survey.mr_sets".to_string(),
            serde_json::to_string(&ds.mr_sets)?,
        );
        let schema = Arc::new(Schema::new_with_metadata(fields, smd));
        // A row's raw size: eight bytes a number, a text's width.
        let row_bytes: usize = ds
            .vars
            .iter()
            .map(|v| match v.vtype {
                VarType::Text { width_bytes } => width_bytes.max(8),
                VarType::Numeric { .. } => 8,
            })
            .sum();
        let props = WriterProperties::builder()
            .set_max_row_group_size(
                (ROW_GROUP_BYTES / row_bytes.max(1)).clamp(1024, MAX_GROUP_ROWS),
            )
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props))?;
        Ok(Writer {
            ds,
            schema,
            columns,
            writer,
        })
    }

    /// Write a chunk's rows.
    pub fn write(&mut self, chunk: &Chunk) -> Result<(), String> {
        self.batch(chunk)
            .and_then(|b| Ok(self.writer.write(&b)?))
            .map_err(|e| e.to_string())
    }

    fn batch(&self, chunk: &Chunk) -> Result<RecordBatch, Box<dyn std::error::Error>> {
        let num = |c: &Cell| if let Cell::Num(x) = c { Some(*x) } else { None };
        // A ranking's options have a fourth status: left out of the ranking.
        let status_labels = ["answered", "not_shown", "not_answered", "not_ranked"];
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
        for &(i, how) in &self.columns {
            let (v, cells) = (&self.ds.vars[i], &chunk.columns[i]);
            cols.push(match how {
                Column::Text => Arc::new(StringArray::from_iter(cells.iter().map(|c| match c {
                    Cell::Text(t) if !t.is_empty() => Some(t.as_str()),
                    _ => None,
                }))),
                Column::Boolean => Arc::new(BooleanArray::from_iter(
                    cells.iter().map(|c| num(c).map(|x| x == 1.0)),
                )),
                Column::Category => {
                    let labels: Vec<&str> =
                        v.value_labels.iter().map(|(_, l)| l.as_str()).collect();
                    let keys: Int16Array = cells
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
                    Arc::new(DictionaryArray::<Int16Type>::try_new(
                        keys,
                        Arc::new(StringArray::from(labels)),
                    )?)
                }
                Column::Int => Arc::new(Int64Array::from_iter(
                    cells.iter().map(|c| num(c).map(|x| x as i64)),
                )),
                Column::Float => Arc::new(Float64Array::from_iter(cells.iter().map(num))),
                Column::Status => {
                    let keys: Int8Array = cells
                        .iter()
                        .map(|c| {
                            Some(match c {
                                Cell::NotShown => 1,
                                Cell::NotAnswered => 2,
                                Cell::NotRanked => 3,
                                _ => 0,
                            })
                        })
                        .collect();
                    Arc::new(DictionaryArray::<Int8Type>::try_new(
                        keys,
                        Arc::new(StringArray::from(
                            status_labels[..if v.is_place() { 4 } else { 3 }].to_vec(),
                        )),
                    )?)
                }
            });
        }
        Ok(RecordBatch::try_new(self.schema.clone(), cols)?)
    }

    /// Write the footer.
    pub fn finish(self) -> Result<W, String> {
        self.writer.into_inner().map_err(|e| e.to_string())
    }
}
