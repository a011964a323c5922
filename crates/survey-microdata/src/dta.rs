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
use std::io::Cursor;

use dta::stata::dta::{
    byte_order::ByteOrder, dta_writer::DtaWriter, header::Header, release::Release, schema::Schema,
    value::Value, variable::Variable, variable_type::VariableType,
};
use dta::stata::missing_value::MissingValue;
use dta::stata::stata_byte::StataByte;
use dta::stata::stata_double::StataDouble;
use dta::stata::stata_int::StataInt;
use dta::stata::stata_long::StataLong;

use crate::model::{Cell, Export, ExportVar, NOT_ANSWERED_LABEL, NOT_SHOWN_LABEL, VarType};

/// Stata stores `.a`, `.b`, … in value-label tables as the *long* encoding
/// of the extended missing value: `.` = 2147483621, `.a` = 2147483622, …
pub fn label_value(mv: MissingValue) -> i32 {
    // MissingValue is repr(u8): System = 0, A = 1, B = 2, ...
    2_147_483_621 + mv as i32
}
const NOT_SHOWN_MV: MissingValue = MissingValue::A;
const NOT_ANSWERED_MV: MissingValue = MissingValue::B;

/// Stata 118 limits labels to 80 *characters* (stored in 321 bytes).
fn truncate_chars(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

#[derive(Clone, Copy)]
enum Storage {
    Byte,
    Int,
    Long,
    Double,
    Str,
}

fn storage_for(v: &ExportVar) -> Storage {
    match v.vtype {
        VarType::Text { .. } => Storage::Str,
        VarType::Numeric { integer: false } => Storage::Double,
        VarType::Numeric { integer: true } => {
            let (mut lo, mut hi) = (0f64, 0f64);
            for c in &v.cells {
                if let Cell::Num(x) = c {
                    lo = lo.min(*x);
                    hi = hi.max(*x);
                }
            }
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

/// The `.dta` (format 118, UTF-8) bytes of an export.
pub fn to_bytes(ds: &Export) -> Result<Vec<u8>, String> {
    to_bytes_inner(ds).map_err(|e| e.to_string())
}

fn to_bytes_inner(ds: &Export) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let storages: Vec<Storage> = ds.vars.iter().map(storage_for).collect();

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
                // (which dta 0.6.0 cannot create from scratch).
                let w = width_bytes.clamp(1, 2045);
                (
                    VariableType::FixedString(w as u16),
                    format!("%-{}s", w.min(244)),
                )
            }
        };
        let mut b = Variable::builder(vt, v.name.clone())
            .format(fmt)
            .label(truncate_chars(&v.label, 80));
        if !v.value_labels.is_empty() && !matches!(st, Storage::Str) {
            // value-label set named like the variable (≤32 chars, same rules)
            b = b.value_label_name(v.name.clone());
        }
        sb = sb.add_variable(b);
    }
    let schema = sb.build()?;

    let mut rw = DtaWriter::new()
        .from_writer(Cursor::new(Vec::new()))
        .write_header(header)?
        .write_schema(schema)?
        .into_record_writer()?;

    for row in 0..ds.n {
        let mut vals: Vec<Value> = Vec::with_capacity(ds.vars.len());
        for (v, st) in ds.vars.iter().zip(&storages) {
            let c = &v.cells[row];
            let mv = match c {
                Cell::NotShown => Some(NOT_SHOWN_MV),
                Cell::NotAnswered => Some(NOT_ANSWERED_MV),
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
                    Cell::Text(t) => Cow::Owned(t.clone()),
                    _ => Cow::Borrowed(""),
                }),
            });
        }
        rw.write_record(&vals)?;
    }
    let cursor = rw
        .into_long_string_writer()?
        .into_value_label_writer()?
        .finish()?;
    let mut bytes = cursor.into_inner();

    // ---- hand-written value labels -------------------------------------
    let mut section = Vec::new();
    for (v, st) in ds.vars.iter().zip(&storages) {
        // Numbers carry no label set: `.a`/`.b` are missing all the same, and a label set would
        // make pandas read the column as a category.
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
    splice_value_labels(&mut bytes, &section)?;
    Ok(bytes)
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

/// Insert `section` between `<value_labels>` and `</value_labels>` of a
/// finished 117+ file and patch map entries 12 (`</stata_dta>`) and 13 (EOF).
pub fn splice_value_labels(bytes: &mut Vec<u8>, section: &[u8]) -> Result<(), String> {
    let map_tag = find(bytes, b"<map>").ok_or("no <map>")?;
    let map = map_tag + 5;
    let rd = |b: &Vec<u8>, i: usize| {
        u64::from_le_bytes(b[map + 8 * i..map + 8 * i + 8].try_into().unwrap())
    };
    let vl = rd(bytes, 11) as usize;
    const OPEN: &[u8] = b"<value_labels>";
    const CLOSE: &[u8] = b"</value_labels>";
    if &bytes[vl..vl + OPEN.len()] != OPEN
        || &bytes[vl + OPEN.len()..vl + OPEN.len() + CLOSE.len()] != CLOSE
    {
        return Err("value_labels section not where the map says, or not empty".into());
    }
    let at = vl + OPEN.len();
    bytes.splice(at..at, section.iter().copied());
    for i in [12usize, 13] {
        let v = rd(bytes, i) + section.len() as u64;
        bytes[map + 8 * i..map + 8 * i + 8].copy_from_slice(&v.to_le_bytes());
    }
    if rd(bytes, 13) as usize != bytes.len() {
        return Err("EOF map entry mismatch after splice".into());
    }
    Ok(())
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}
