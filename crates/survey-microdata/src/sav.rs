//! SPSS `.sav` through the `ambers` crate: variable labels, value labels (with 未显示/未作答 on
//! the two user-missing codes -3 and -2), measurement level, multiple-response sets (7/7),
//! long names (7/13), the UTF-8 encoding record (7/20) and code page 65001.

use std::sync::Arc;

use ambers::{
    MissingSpec, MrSet, MrType, SpssMetadata, Value,
    constants::{Alignment, Compression, Measure as AMeasure},
};
use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use crate::model::{
    Cell, Export, Measure, NOT_ANSWERED, NOT_ANSWERED_LABEL, NOT_SHOWN, NOT_SHOWN_LABEL, VarType,
};

/// Byte-safe truncation (never split a UTF-8 sequence).
pub fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The `.sav` bytes of an export: UTF-8, bytecode-compressed.
/// `created` (`YYYY-MM-DD HH:MM:SS`) goes into the header in place of the clock: same inputs,
/// same bytes.
pub fn to_bytes(ds: &Export, created: &str) -> Result<Vec<u8>, String> {
    let mut fields = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    let mut meta = SpssMetadata {
        // The header's file label is 64 bytes.
        file_label: truncate_bytes(&ds.label, 64).to_string(),
        creation_time: created.to_owned(),
        ..Default::default()
    };
    for v in &ds.vars {
        let name = v.name.clone();
        meta.variable_names.push(name.clone());
        // 255 bytes, cut on a UTF-8 boundary, is safe in every SPSS version.
        meta.variable_labels
            .insert(name.clone(), truncate_bytes(&v.label, 255).to_string());
        meta.variable_measures.insert(
            name.clone(),
            match v.measure {
                Measure::Nominal => AMeasure::Nominal,
                Measure::Ordinal => AMeasure::Ordinal,
                Measure::Scale => AMeasure::Scale,
            },
        );
        match &v.vtype {
            VarType::Numeric { integer } => {
                let data: Vec<Option<f64>> = v
                    .cells
                    .iter()
                    .map(|c| match c {
                        Cell::Num(x) => Some(*x),
                        Cell::NotShown => Some(f64::from(NOT_SHOWN)),
                        Cell::NotAnswered => Some(f64::from(NOT_ANSWERED)),
                        Cell::Text(_) => None,
                    })
                    .collect();
                fields.push(Field::new(&name, DataType::Float64, true));
                cols.push(Arc::new(Float64Array::from(data)));
                meta.variable_formats.insert(
                    name.clone(),
                    if *integer {
                        "F8.0".into()
                    } else {
                        "F12.6".into()
                    },
                );
                let mut labels = indexmap_labels(&v.value_labels);
                if v.has_missing {
                    // Not shown and not answered: two user-missing codes, labelled.
                    meta.variable_missing_values.insert(
                        name.clone(),
                        vec![
                            MissingSpec::Value(f64::from(NOT_SHOWN)),
                            MissingSpec::Value(f64::from(NOT_ANSWERED)),
                        ],
                    );
                    labels.insert(Value::Numeric(f64::from(NOT_SHOWN)), NOT_SHOWN_LABEL.into());
                    labels.insert(
                        Value::Numeric(f64::from(NOT_ANSWERED)),
                        NOT_ANSWERED_LABEL.into(),
                    );
                }
                if !labels.is_empty() {
                    meta.variable_value_labels.insert(name.clone(), labels);
                }
            }
            VarType::Text { width_bytes } => {
                let data: Vec<Option<&str>> = v
                    .cells
                    .iter()
                    .map(|c| match c {
                        Cell::Text(t) => Some(t.as_str()),
                        _ => Some(""),
                    })
                    .collect();
                fields.push(Field::new(&name, DataType::Utf8, true));
                cols.push(Arc::new(StringArray::from(data)));
                // Widths are in bytes (a Chinese character takes 3), rounded up to a slot.
                let w = width_bytes.div_ceil(8) * 8;
                meta.variable_formats.insert(name.clone(), format!("A{w}"));
                meta.variable_storage_widths.insert(name.clone(), w);
                meta.variable_alignments
                    .insert(name.clone(), Alignment::Left);
            }
        }
    }
    for s in &ds.mr_sets {
        meta.mr_sets.insert(
            s.name.clone(),
            MrSet {
                name: s.name.clone(),
                label: s.label.clone(),
                mr_type: MrType::MultipleDichotomy,
                counted_value: Some("1".into()),
                variables: s.variables.clone(),
            },
        );
    }
    let batch =
        RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(|e| e.to_string())?;
    let mut buf = std::io::Cursor::new(Vec::new());
    ambers::write_sav_to_writer(&mut buf, &batch, &meta, Compression::Bytecode, None)
        .map_err(|e| e.to_string())?;
    // ambers 0.4.6 writes every multiple-response set twice: in record 7/7 (short names) and
    // again in 7/19 (long names). The system-file format keeps 7/19 for the counted-values
    // kind of set; readers that resolve its long names as short ones (PSPP) then find a set
    // with no variables. Drop the 7/19 copy.
    strip_ext_record(&buf.into_inner(), 19)
}

fn rd_i32(b: &[u8], pos: usize) -> Result<i32, String> {
    b.get(pos..pos + 4)
        .map(|s| i32::from_le_bytes(s.try_into().unwrap()))
        .ok_or_else(|| format!("truncated dictionary at byte {pos}"))
}

/// Remove all type-7 records of subtype `sub` from a little-endian `$FL2`
/// (uncompressed or bytecode) .sav. Safe because the dictionary holds no
/// file offsets; NOT valid for `$FL3` (.zsav), whose zheader stores
/// absolute offsets.
pub fn strip_ext_record(b: &[u8], sub: i32) -> Result<Vec<u8>, String> {
    if &b[..4] != b"$FL2" || rd_i32(b, 64)? != 2 {
        return Err("only little-endian $FL2 files are supported".into());
    }
    let mut out = b[..176].to_vec();
    let mut pos = 176;
    loop {
        let start = pos;
        let rt = rd_i32(b, pos)?;
        pos += 4;
        match rt {
            2 => {
                let has_label = rd_i32(b, pos + 4)?;
                let n_missing = rd_i32(b, pos + 8)?;
                pos += 20 + 8; // type, has_label, n_missing, print, write, name[8]
                if has_label == 1 {
                    let len = rd_i32(b, pos)? as usize;
                    pos += 4 + len.div_ceil(4) * 4;
                }
                pos += 8 * n_missing.unsigned_abs() as usize;
            }
            3 => {
                let n = rd_i32(b, pos)? as usize;
                pos += 4;
                for _ in 0..n {
                    let len = *b.get(pos + 8).ok_or("truncated value label")? as usize;
                    pos += 8 + (len + 1).div_ceil(8) * 8;
                }
                if rd_i32(b, pos)? != 4 {
                    return Err("type 3 not followed by type 4".into());
                }
                let nv = rd_i32(b, pos + 4)? as usize;
                pos += 8 + 4 * nv;
            }
            6 => {
                let n = rd_i32(b, pos)? as usize;
                pos += 4 + 80 * n;
            }
            7 => {
                let st = rd_i32(b, pos)?;
                let size = rd_i32(b, pos + 4)? as usize;
                let count = rd_i32(b, pos + 8)? as usize;
                pos += 12 + size * count;
                if st == sub {
                    continue; // drop this record
                }
            }
            999 => {
                out.extend_from_slice(&b[start..]);
                return Ok(out);
            }
            other => return Err(format!("unknown record type {other} at byte {start}")),
        }
        out.extend_from_slice(&b[start..pos]);
    }
}

fn indexmap_labels(v: &[(i32, String)]) -> indexmap::IndexMap<Value, String> {
    v.iter()
        // SPSS value labels: 120 bytes max (ambers truncates at 120 bytes but
        // not on a character boundary, so do it here first).
        .map(|(c, l)| {
            (
                Value::Numeric(*c as f64),
                truncate_bytes(l, 120).to_string(),
            )
        })
        .collect()
}
