//! SPSS `.sav` through the `ambers` crate: variable labels, value labels (with 未显示/未作答 on
//! the two user-missing codes -3 and -2), measurement level, multiple-response sets (7/7),
//! long names (7/13), the UTF-8 encoding record (7/20) and code page 65001.

use std::io::Write;
use std::sync::Arc;

use ambers::{
    MissingSpec, MrSet, MrType, SpssMetadata, Value,
    constants::{
        Alignment, COMPRESS_EIGHT_SPACES, COMPRESS_END_OF_FILE, COMPRESS_RAW_FOLLOWS,
        COMPRESS_SKIP, COMPRESS_SYSMIS, Compression, Measure as AMeasure, SYSMIS_BITS,
    },
};
use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use crate::model::{
    Cell, Chunk, Export, Measure, NOT_ANSWERED, NOT_ANSWERED_LABEL, NOT_SHOWN, NOT_SHOWN_LABEL,
    VarType, clip_label_by,
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

/// A label cut to `max` bytes on a UTF-8 boundary, the cut marked with «…» so that a reader
/// knows the label goes on (the codebook has it whole).
pub fn clip_label(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    format!("{}…", truncate_bytes(s, max - '…'.len_utf8()))
}

/// The dictionary of an export: the Arrow schema of its columns and the SPSS metadata.
/// `created` (`YYYY-MM-DD HH:MM:SS`) goes into the header in place of the clock: same inputs,
/// same bytes.
fn dictionary(ds: &Export, created: &str) -> (Arc<Schema>, SpssMetadata) {
    let mut fields = Vec::new();
    let mut meta = SpssMetadata {
        // The header's file label is 64 bytes.
        file_label: clip_label(&ds.label, 64),
        creation_time: created.to_owned(),
        ..Default::default()
    };
    for v in &ds.vars {
        let name = v.name.clone();
        meta.variable_names.push(name.clone());
        // 255 bytes, cut on a UTF-8 boundary, is safe in every SPSS version.
        meta.variable_labels
            .insert(name.clone(), clip_label_by(&v.label, 255, str::len));
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
                fields.push(Field::new(&name, DataType::Float64, true));
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
                    // Not shown and not answered: two user-missing codes, labelled; a
                    // ranking's option also not ranked, a third.
                    let mut codes = vec![
                        MissingSpec::Value(f64::from(NOT_SHOWN)),
                        MissingSpec::Value(f64::from(NOT_ANSWERED)),
                    ];
                    labels.insert(Value::Numeric(f64::from(NOT_SHOWN)), NOT_SHOWN_LABEL.into());
                    labels.insert(
                        Value::Numeric(f64::from(NOT_ANSWERED)),
                        NOT_ANSWERED_LABEL.into(),
                    );
                    if v.is_place() {
                        codes.push(MissingSpec::Value(f64::from(crate::model::NOT_RANKED)));
                        labels.insert(
                            Value::Numeric(f64::from(crate::model::NOT_RANKED)),
                            crate::model::NOT_RANKED_LABEL.into(),
                        );
                    }
                    meta.variable_missing_values.insert(name.clone(), codes);
                }
                if !labels.is_empty() {
                    meta.variable_value_labels.insert(name.clone(), labels);
                }
            }
            VarType::Text { width_bytes } => {
                fields.push(Field::new(&name, DataType::Utf8, true));
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
    (Arc::new(Schema::new(fields)), meta)
}

/// The Arrow columns of a chunk.
fn batch(ds: &Export, schema: &Arc<Schema>, chunk: &Chunk) -> Result<RecordBatch, String> {
    let cols: Vec<ArrayRef> = ds
        .vars
        .iter()
        .zip(&chunk.columns)
        .map(|(v, cells)| -> ArrayRef {
            match v.vtype {
                VarType::Numeric { .. } => {
                    Arc::new(Float64Array::from_iter(cells.iter().map(|c| match c {
                        Cell::Num(x) => Some(*x),
                        Cell::NotShown => Some(f64::from(NOT_SHOWN)),
                        Cell::NotAnswered => Some(f64::from(NOT_ANSWERED)),
                        Cell::NotRanked => Some(f64::from(crate::model::NOT_RANKED)),
                        Cell::Text(_) => None,
                    })))
                }
                VarType::Text { .. } => {
                    Arc::new(StringArray::from_iter(cells.iter().map(|c| match c {
                        Cell::Text(t) => Some(t.as_str()),
                        _ => Some(""),
                    })))
                }
            }
        })
        .collect();
    RecordBatch::try_new(schema.clone(), cols).map_err(|e| e.to_string())
}

/// The `.sav` `ambers` writes from one chunk holding every row (the reference the streamed
/// file must equal).
#[cfg(test)]
pub(crate) fn at_once(ds: &Export, chunk: &Chunk, created: &str) -> Vec<u8> {
    let (schema, meta) = dictionary(ds, created);
    let batch = batch(ds, &schema, chunk).expect("batch");
    let mut buf = std::io::Cursor::new(Vec::new());
    ambers::write_sav_to_writer(&mut buf, &batch, &meta, Compression::Bytecode, None)
        .expect("ambers writes");
    strip_ext_record(&buf.into_inner(), 19).expect("strips")
}

/// Writes an export's `.sav` (UTF-8, bytecode-compressed) a chunk at a time.
///
/// `ambers` writes a file from one Arrow batch. Here it writes the dictionary (from a batch of
/// no rows) and then each chunk's rows uncompressed, in its own slot layout; the rows are
/// compressed by [`Bytecode`], which carries its half-filled command block from one chunk to
/// the next. The file is byte for byte the one `ambers` writes from all rows at once.
pub struct Writer<'d, 'w, W: Write> {
    out: W,
    ds: &'d Export<'w>,
    schema: Arc<Schema>,
    meta: SpssMetadata,
    /// 8-byte slots per row.
    slots: usize,
    bytecode: Bytecode,
    scratch: Vec<u8>,
    rows: usize,
}

impl<'d, 'w, W: Write> Writer<'d, 'w, W> {
    /// Write the dictionary.
    pub fn new(mut out: W, ds: &'d Export<'w>, created: &str) -> Result<Self, String> {
        let cases = i32::try_from(ds.n)
            .map_err(|_| format!("{} respondents: a .sav holds at most {}", ds.n, i32::MAX))?;
        let (schema, meta) = dictionary(ds, created);
        let mut buf = std::io::Cursor::new(Vec::new());
        ambers::write_sav_to_writer(
            &mut buf,
            &RecordBatch::new_empty(schema.clone()),
            &meta,
            Compression::Bytecode,
            None,
        )
        .map_err(|e| e.to_string())?;
        let mut dict = buf.into_inner();
        // No rows: the data is the end-of-file command block alone.
        if !dict.ends_with(&[COMPRESS_END_OF_FILE, 0, 0, 0, 0, 0, 0, 0]) {
            return Err("ambers wrote an unexpected end of file for no rows".into());
        }
        dict.truncate(dict.len() - 8);
        // ambers 0.4.6 writes every multiple-response set twice: in record 7/7 (short names) and
        // again in 7/19 (long names). The system-file format keeps 7/19 for the counted-values
        // kind of set; readers that resolve its long names as short ones (PSPP) then find a set
        // with no variables. Drop the 7/19 copy.
        let mut dict = strip_ext_record(&dict, 19)?;
        let slots = usize::try_from(rd_i32(&dict, 68)?).map_err(|e| e.to_string())?;
        // The number of cases, at byte 80 of the header, and the compression bias after it.
        dict[80..84].copy_from_slice(&cases.to_le_bytes());
        let bias = f64::from_le_bytes(dict[84..92].try_into().expect("8 bytes"));
        out.write_all(&dict).map_err(|e| e.to_string())?;
        Ok(Writer {
            out,
            ds,
            schema,
            meta,
            slots,
            bytecode: Bytecode::new(bias),
            scratch: Vec::new(),
            rows: 0,
        })
    }

    /// Write a chunk's rows.
    pub fn write(&mut self, chunk: &Chunk) -> Result<(), String> {
        if chunk.rows == 0 {
            return Ok(());
        }
        let batch = batch(self.ds, &self.schema, chunk)?;
        self.scratch.clear();
        ambers::write_sav_to_writer(
            std::io::Cursor::new(&mut self.scratch),
            &batch,
            &self.meta,
            Compression::None,
            None,
        )
        .map_err(|e| e.to_string())?;
        let data = chunk.rows * self.slots * 8;
        let Some(at) = self.scratch.len().checked_sub(data) else {
            return Err("ambers wrote fewer rows than it was given".into());
        };
        let mut encoded = Vec::with_capacity(data + data / 8);
        for slot in self.scratch[at..].chunks_exact(8) {
            self.bytecode
                .slot(slot.try_into().expect("8 bytes"), &mut encoded);
        }
        self.rows += chunk.rows;
        self.out.write_all(&encoded).map_err(|e| e.to_string())
    }

    /// End the data; every row the dictionary announced must have been written.
    pub fn finish(mut self) -> Result<W, String> {
        if self.rows != self.ds.n {
            return Err(format!(
                "{} rows written, {} announced",
                self.rows, self.ds.n
            ));
        }
        let mut end = Vec::new();
        self.bytecode.end(&mut end);
        self.out
            .write_all(&end)
            .and_then(|()| self.out.flush())
            .map_err(|e| e.to_string())?;
        Ok(self.out)
    }
}

/// SPSS's bytecode compression of 8-byte slots, with the bias the header declares (100 in
/// `ambers`): a whole number from 1 - bias to 251 - bias is one command byte, eight spaces and
/// the system-missing value are one each, anything else is command 253 and the slot as it is.
/// Commands go in blocks of eight, each block followed by the slots of its 253 commands.
struct Bytecode {
    bias: f64,
    commands: [u8; 8],
    used: usize,
    raw: Vec<u8>,
}

impl Bytecode {
    fn new(bias: f64) -> Bytecode {
        Bytecode {
            bias,
            commands: [COMPRESS_SKIP; 8],
            used: 0,
            raw: Vec::new(),
        }
    }

    fn slot(&mut self, slot: &[u8; 8], out: &mut Vec<u8>) {
        let command = if *slot == SYSMIS_BITS.to_le_bytes() {
            COMPRESS_SYSMIS
        } else if *slot == [b' '; 8] {
            COMPRESS_EIGHT_SPACES
        } else {
            let x = f64::from_le_bytes(*slot);
            let biased = x + self.bias;
            if x.is_finite()
                && x == x.floor()
                && (1.0..=251.0).contains(&biased)
                && (f64::from(biased as u8) - self.bias).to_le_bytes() == *slot
            {
                biased as u8
            } else {
                COMPRESS_RAW_FOLLOWS
            }
        };
        self.commands[self.used] = command;
        self.used += 1;
        if command == COMPRESS_RAW_FOLLOWS {
            self.raw.extend_from_slice(slot);
        }
        if self.used == 8 {
            self.flush(out);
        }
    }

    fn flush(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.commands);
        out.extend_from_slice(&self.raw);
        self.raw.clear();
        self.commands = [COMPRESS_SKIP; 8];
        self.used = 0;
    }

    /// The end-of-file command, the rest of its block padded.
    fn end(&mut self, out: &mut Vec<u8>) {
        self.commands[self.used] = COMPRESS_END_OF_FILE;
        self.flush(out)
    }
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
        .map(|(c, l)| (Value::Numeric(*c as f64), clip_label(l, 120)))
        .collect()
}
