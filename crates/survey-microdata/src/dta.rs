//! Stata .dta (format 118, UTF-8) via the `dta` crate for header, schema
//! (names, types, formats, variable labels, value-label *names*) and data
//! rows (incl. extended missing values .a/.b).
//!
//! HAND-WRITTEN PART: the `<value_labels>` section. dta 0.6.0 can only
//! write `ValueLabelSet`s that it has read from another file — the
//! constructor is `pub(crate)` (same for `Characteristic` and `LongString`,
//! so notes/characteristics and strL cannot be created from scratch either).
//! We let `dta` finish the file with an empty `<value_labels></value_labels>`
//! section, then splice our own `<lbl>` tables in and patch the two map
//! entries that follow it (`</stata_dta>` and end-of-file).

use std::borrow::Cow;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use dta::stata::dta::{
    byte_order::ByteOrder, dta_writer::DtaWriter, header::Header, record_writer::RecordWriter,
    release::Release, schema::Schema, value::Value, variable::Variable,
    variable_type::VariableType,
};
use dta::stata::missing_value::MissingValue;
use dta::stata::stata_byte::StataByte;
use dta::stata::stata_double::StataDouble;
use dta::stata::stata_int::StataInt;
use dta::stata::stata_long::StataLong;

use crate::model::{
    Cell, Chunk, Export, ExportVar, NOT_ANSWERED_LABEL, NOT_SHOWN_LABEL, VarStats, VarType,
    clip_label_by,
};

/// The longest string a `.dta` of this writer holds, in UTF-8 bytes (`str2045`); a longer text
/// is cut there, on a character boundary, and counted ([`crate::model::VarStats::cut_in_dta`]).
pub const STR_MAX: usize = 2045;

/// Stata stores `.a`, `.b`, … in value-label tables as the *long* encoding
/// of the extended missing value: `.` = 2147483621, `.a` = 2147483622, …
pub fn label_value(mv: MissingValue) -> i32 {
    // MissingValue is repr(u8): System = 0, A = 1, B = 2, ...
    2_147_483_621 + mv as i32
}
const NOT_SHOWN_MV: MissingValue = MissingValue::A;
const NOT_ANSWERED_MV: MissingValue = MissingValue::B;
const NOT_RANKED_MV: MissingValue = MissingValue::C;

/// Stata 118 limits labels to 80 *characters* (stored in 321 bytes); a cut is marked «…».
fn truncate_chars(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max_chars - 1).collect();
    t.push('…');
    t
}

#[derive(Clone, Copy)]
enum Storage {
    Byte,
    Int,
    Long,
    Double,
    Str,
}

fn storage_for(v: &ExportVar, s: &VarStats) -> Storage {
    match v.vtype {
        VarType::Text { .. } => Storage::Str,
        VarType::Numeric { integer: false } => Storage::Double,
        VarType::Numeric { integer: true } => {
            // The smallest and largest number, each range starting from 0.
            let (lo, hi) = (s.lo, s.hi);
            // byte: -127..100, int: -32767..32740, long: ±2147483620
            if lo >= -127.0 && hi <= 100.0 {
                Storage::Byte
            } else if lo >= -32767.0 && hi <= 32740.0 {
                Storage::Int
            } else if lo >= -2_147_483_647.0 && hi <= 2_147_483_620.0 {
                Storage::Long
            } else {
                Storage::Double
            }
        }
    }
}

/// Writes an export's `.dta` (format 118, UTF-8) a chunk at a time: `dta` writes the header,
/// the schema and the rows as they come; [`Writer::finish`] adds the value labels.
pub struct Writer<'d, 'w, W: Write + Seek> {
    ds: &'d Export<'w>,
    storages: Vec<Storage>,
    records: RecordWriter<BufWriter<W>>,
}

impl<'d, 'w, W: Read + Write + Seek> Writer<'d, 'w, W> {
    /// Write the header and the schema.
    pub fn new(out: W, ds: &'d Export<'w>) -> Result<Self, String> {
        Self::start(out, ds).map_err(|e| e.to_string())
    }

    fn start(out: W, ds: &'d Export<'w>) -> Result<Self, Box<dyn std::error::Error>> {
        let storages: Vec<Storage> = ds
            .vars
            .iter()
            .zip(&ds.stats)
            .map(|(v, s)| storage_for(v, s))
            .collect();
        let header = Header::builder(Release::V118, ByteOrder::LittleEndian)
            .dataset_label(truncate_chars(&ds.label, 80))
            .build();
        let mut sb = Schema::builder();
        for (v, st) in ds.vars.iter().zip(&storages) {
            let (vt, fmt) = match st {
                Storage::Byte => (VariableType::Byte, "%8.0g".to_string()),
                Storage::Int => (VariableType::Int, "%8.0g".to_string()),
                Storage::Long => (VariableType::Long, "%12.0g".to_string()),
                Storage::Double => (VariableType::Double, "%10.0g".to_string()),
                Storage::Str => {
                    let VarType::Text { width_bytes } = v.vtype else {
                        unreachable!()
                    };
                    // str# width is in BYTES (UTF-8), 1..=2045; longer needs strL
                    // (which dta 0.6.0 cannot create from scratch): longer texts are cut.
                    let w = width_bytes.clamp(1, STR_MAX);
                    (
                        VariableType::FixedString(w as u16),
                        format!("%-{}s", w.min(244)),
                    )
                }
            };
            let mut b = Variable::builder(vt, v.name.clone())
                .format(fmt)
                .label(clip_label_by(&v.label, 80, |t| t.chars().count()));
            if !v.value_labels.is_empty() && !matches!(st, Storage::Str) {
                // value-label set named like the variable (≤32 chars, same rules)
                b = b.value_label_name(v.name.clone());
            }
            sb = sb.add_variable(b);
        }
        let records = DtaWriter::new()
            .from_writer(BufWriter::new(out))
            .write_header(header)?
            .write_schema(sb.build()?)?
            .into_record_writer()?;
        Ok(Writer {
            ds,
            storages,
            records,
        })
    }

    /// Write a chunk's rows.
    pub fn write(&mut self, chunk: &Chunk) -> Result<(), String> {
        let mut vals: Vec<Value> = Vec::with_capacity(self.ds.vars.len());
        for row in 0..chunk.rows {
            vals.clear();
            for (cells, st) in chunk.columns.iter().zip(&self.storages) {
                let c = &cells[row];
                let mv = match c {
                    Cell::NotShown => Some(NOT_SHOWN_MV),
                    Cell::NotAnswered => Some(NOT_ANSWERED_MV),
                    Cell::NotRanked => Some(NOT_RANKED_MV),
                    _ => None,
                };
                let x = if let Cell::Num(x) = c { *x } else { 0.0 };
                vals.push(match st {
                    Storage::Byte => {
                        Value::Byte(mv.map_or(StataByte::Present(x as i8), StataByte::Missing))
                    }
                    Storage::Int => {
                        Value::Int(mv.map_or(StataInt::Present(x as i16), StataInt::Missing))
                    }
                    Storage::Long => {
                        Value::Long(mv.map_or(StataLong::Present(x as i32), StataLong::Missing))
                    }
                    Storage::Double => {
                        Value::Double(mv.map_or(StataDouble::Present(x), StataDouble::Missing))
                    }
                    Storage::Str => Value::String(match c {
                        Cell::Text(t) => Cow::Borrowed(crate::sav::truncate_bytes(t, STR_MAX)),
                        _ => Cow::Borrowed(""),
                    }),
                });
            }
            self.records
                .write_record(&vals)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// End the rows and write the value labels.
    pub fn finish(self) -> Result<W, String> {
        self.end().map_err(|e| e.to_string())
    }

    fn end(self) -> Result<W, Box<dyn std::error::Error>> {
        let mut out = self
            .records
            .into_long_string_writer()?
            .into_value_label_writer()?
            .finish()?
            .into_inner()
            .map_err(|e| e.into_error())?;
        // ---- hand-written value labels -------------------------------------
        let mut section = Vec::new();
        for (v, st) in self.ds.vars.iter().zip(&self.storages) {
            // Numbers carry no label set: `.a`/`.b` are missing all the same, and a label set
            // would make pandas read the column as a category.
            if matches!(st, Storage::Str) || v.value_labels.is_empty() {
                continue;
            }
            let mut entries: Vec<(i32, String)> = v.value_labels.clone();
            if v.has_missing {
                entries.push((label_value(NOT_SHOWN_MV), NOT_SHOWN_LABEL.into()));
                entries.push((label_value(NOT_ANSWERED_MV), NOT_ANSWERED_LABEL.into()));
            }
            section.extend(lbl_table(&v.name, &entries));
        }
        splice_value_labels(&mut out, &section)?;
        Ok(out)
    }
}

/// One `<lbl>…</lbl>` block in format 117/118/119 layout (little-endian):
/// i32 len, char labname[129] (118+: 129 bytes), 3 pad bytes, then the table
/// `n, txtlen, off[n], val[n], txt[txtlen]` with NUL-terminated labels.
pub fn lbl_table(name: &str, entries: &[(i32, String)]) -> Vec<u8> {
    let mut entries = entries.to_vec();
    entries.sort_by_key(|e| e.0); // Stata keeps tables sorted by value
    let mut txt = Vec::new();
    let mut off = Vec::new();
    for (_, l) in &entries {
        off.push(txt.len() as i32);
        // Stata 118: a value label may hold up to 32,000 bytes
        txt.extend_from_slice(l.as_bytes());
        txt.push(0);
    }
    let n = entries.len() as i32;
    let mut table = Vec::new();
    table.extend(n.to_le_bytes());
    table.extend((txt.len() as i32).to_le_bytes());
    for o in &off {
        table.extend(o.to_le_bytes());
    }
    for (v, _) in &entries {
        table.extend(v.to_le_bytes());
    }
    table.extend(&txt);

    let mut out = Vec::new();
    out.extend(b"<lbl>");
    out.extend((table.len() as i32).to_le_bytes());
    let mut labname = [0u8; 129];
    let nb = name.as_bytes();
    // Names are at most 32 ASCII characters (crate::naming).
    let k = nb.len().min(128);
    labname[..k].copy_from_slice(&nb[..k]);
    out.extend(labname);
    out.extend([0u8; 3]);
    out.extend(table);
    out.extend(b"</lbl>");
    out
}

/// Insert `section` between `<value_labels>` and `</value_labels>` of a finished 117+ file
/// and patch map entries 12 (`</stata_dta>`) and 13 (EOF). Only the map and the file's short
/// tail are read: the rows before it stay where they are.
pub fn splice_value_labels<F: Read + Write + Seek>(
    file: &mut F,
    section: &[u8],
) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    // The header (release, sizes, a label of at most 80 characters, the time stamp) is short.
    let mut head = Vec::new();
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    Read::by_ref(file)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(io)?;
    let map = find(&head, b"<map>").ok_or("no <map>")? + 5;
    let entry = |i: usize| -> Result<u64, String> {
        head.get(map + 8 * i..map + 8 * i + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .ok_or_else(|| "the map is cut short".to_owned())
    };
    let (vl, close, eof) = (entry(11)?, entry(12)?, entry(13)?);
    const OPEN: &[u8] = b"<value_labels>";
    const CLOSE: &[u8] = b"</value_labels>";
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(vl)).map_err(io)?;
    Read::by_ref(file)
        .take(eof.saturating_sub(vl))
        .read_to_end(&mut tail)
        .map_err(io)?;
    let empty = OPEN.len() + CLOSE.len();
    if tail.len() as u64 != eof - vl
        || close != vl + empty as u64
        || !tail.starts_with(OPEN)
        || tail[OPEN.len()..empty] != *CLOSE
    {
        return Err("value_labels section not where the map says, or not empty".into());
    }
    file.seek(SeekFrom::Start(vl + OPEN.len() as u64))
        .map_err(io)?;
    file.write_all(section).map_err(io)?;
    file.write_all(&tail[OPEN.len()..]).map_err(io)?;
    let grown = section.len() as u64;
    file.seek(SeekFrom::Start((map + 8 * 12) as u64))
        .map_err(io)?;
    file.write_all(&(close + grown).to_le_bytes()).map_err(io)?;
    file.write_all(&(eof + grown).to_le_bytes()).map_err(io)?;
    let end = file.seek(SeekFrom::End(0)).map_err(io)?;
    if end != eof + grown {
        return Err("EOF map entry mismatch after splice".into());
    }
    file.flush().map_err(io)
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}
