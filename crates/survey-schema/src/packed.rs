//! One compact, unambiguous byte form of answers: a tag, then fixed-size or length-prefixed
//! contents. Cleaning fingerprints answers in it; a build holds rows in it between its passes.

use crate::record::{OptionSet, Value};

/// Append a text: its length in bytes, then the bytes.
#[inline]
pub fn pack_text(t: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(t.len() as u64).to_le_bytes());
    out.extend_from_slice(t.as_bytes());
}

/// Append a value.
#[inline]
pub fn pack_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::NotShown => out.push(0),
        Value::Skipped => out.push(1),
        Value::Choice(c) => {
            out.push(2);
            out.extend_from_slice(&c.to_le_bytes());
        }
        Value::Choices(s) => {
            out.push(3);
            out.extend_from_slice(&s.0.to_le_bytes());
        }
        Value::Number(x) => {
            out.push(4);
            out.extend_from_slice(&x.to_bits().to_le_bytes());
        }
        Value::Text(t) => {
            out.push(5);
            pack_text(t, out);
        }
    }
}

/// Reads back what the `pack_*` functions wrote, in the order they wrote it. Reading past the
/// end or a text that is not UTF-8 means the bytes were not packed here: that panics.
pub struct Unpack<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Unpack<'b> {
    pub fn new(bytes: &'b [u8], at: usize) -> Unpack<'b> {
        Unpack { bytes, at }
    }

    /// Where the next read starts.
    pub fn at(&self) -> usize {
        self.at
    }

    fn take(&mut self, n: usize) -> &'b [u8] {
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        s
    }

    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().expect("eight bytes, as packed"))
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take(2).try_into().expect("two bytes, as packed"))
    }

    pub fn text(&mut self) -> String {
        let n = self.u64() as usize;
        String::from_utf8(self.take(n).to_vec()).expect("packed from a String")
    }

    pub fn value(&mut self) -> Value {
        match self.take(1)[0] {
            0 => Value::NotShown,
            1 => Value::Skipped,
            2 => Value::Choice(self.u16()),
            3 => Value::Choices(OptionSet(self.u64())),
            4 => Value::Number(f64::from_bits(self.u64())),
            _ => Value::Text(self.text()),
        }
    }
}
