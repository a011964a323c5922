//! Scratch storage with a memory budget, so that what a build must keep of every row (cleaning's
//! footprints and log, the records some blocks read one by one) takes a fixed amount of
//! memory whatever the size of the export.
//!
//! A [`Spool`] takes segments of encoded records, each tagged with the row it starts at, in any
//! order. Segments stay in memory until the budget is spent; later ones go to one unnamed
//! temporary file (removed by the system when it is closed, even after a crash). Once sealed, the
//! segments are read back in row order, as many times as needed.

use std::fs::File;
use std::io::{self, Write};

/// Segments of encoded records, read back in the order of their first rows.
#[derive(Debug)]
pub struct Spool {
    budget: usize,
    held: usize,
    segments: Vec<Stored>,
    file: Option<File>,
    file_len: u64,
    sealed: bool,
}

#[derive(Debug)]
struct Stored {
    first_row: u64,
    place: Place,
}

#[derive(Debug)]
enum Place {
    Memory(Vec<u8>),
    File { offset: u64, len: usize },
}

impl Spool {
    /// A spool holding at most `budget` bytes in memory.
    pub fn new(budget: usize) -> Spool {
        Spool {
            budget,
            held: 0,
            segments: Vec::new(),
            file: None,
            file_len: 0,
            sealed: false,
        }
    }

    /// Add a segment whose records start at `first_row`. Segments must not interleave: every
    /// row of one comes before every row of the next in row order.
    pub fn append(&mut self, first_row: u64, bytes: Vec<u8>) -> io::Result<()> {
        debug_assert!(!self.sealed, "a sealed spool takes no more segments");
        if bytes.is_empty() {
            return Ok(());
        }
        let place = if self.held + bytes.len() <= self.budget {
            self.held += bytes.len();
            Place::Memory(bytes)
        } else {
            let file = match &mut self.file {
                Some(f) => f,
                none => none.insert(tempfile::tempfile()?),
            };
            file.write_all(&bytes)?;
            let offset = self.file_len;
            self.file_len += bytes.len() as u64;
            Place::File {
                offset,
                len: bytes.len(),
            }
        };
        self.segments.push(Stored { first_row, place });
        Ok(())
    }

    /// Put the segments in row order (a stable sort: equal first rows keep their order); after
    /// this the spool is only read.
    pub fn seal(&mut self) {
        self.segments.sort_by_key(|s| s.first_row);
        self.sealed = true;
    }

    /// Hand every segment's bytes to `f`, in row order.
    pub fn for_each<E: From<io::Error>>(
        &self,
        mut f: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_tagged(|_, b| f(b))
    }

    /// As [`Spool::for_each`], with each segment's first row. A spool may also be used with
    /// any ordering tag in place of a row (the same tag for several segments): segments with
    /// equal tags come back in the order they were appended.
    pub fn for_each_tagged<E: From<io::Error>>(
        &self,
        mut f: impl FnMut(u64, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        debug_assert!(self.sealed, "seal the spool before reading it");
        let mut buf = Vec::new();
        for s in &self.segments {
            match &s.place {
                Place::Memory(b) => f(s.first_row, b)?,
                Place::File { offset, len } => {
                    let file = self.file.as_ref().ok_or_else(|| {
                        io::Error::other("a spilled segment without its scratch file")
                    })?;
                    buf.resize(*len, 0);
                    read_at(file, *offset, &mut buf)?;
                    f(s.first_row, &buf)?;
                }
            }
        }
        Ok(())
    }

    /// Bytes held in memory, and bytes spilled to the scratch file.
    pub fn sizes(&self) -> (usize, u64) {
        (self.held, self.file_len)
    }
}

/// Fill `buf` from `offset` of `file` without moving the file's own position, so that
/// several threads may read one sealed spool at once.
#[cfg(unix)]
fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(any(unix, windows)))]
fn read_at(_: &File, _: u64, _: &mut [u8]) -> io::Result<()> {
    Err(io::Error::other(
        "reading a spilled segment needs positional reads, which this platform lacks",
    ))
}

#[cfg(windows)]
fn read_at(file: &File, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            k => {
                buf = &mut buf[k..];
                offset += k as u64;
            }
        }
    }
    Ok(())
}

/// Bytes of records gathered before they become one segment of a spool.
pub const SEGMENT_BYTES: usize = 256 << 10;

/// Records written one row at a time, waiting to become one segment of a [`Spool`]: a segment
/// is handed back when it is full, and, for a run that must follow on (one of several writers
/// taking blocks of consecutive rows), where a row does not follow the last one seen, so that
/// segments of different writers never interleave.
#[derive(Debug, Default)]
pub struct Run {
    bytes: Vec<u8>,
    first: u64,
    next: u64,
    count: usize,
    follow_on: bool,
}

/// A finished segment: its first row, its bytes and how many records it holds.
#[derive(Debug)]
pub struct Segment {
    pub first: u64,
    pub bytes: Vec<u8>,
    pub count: usize,
}

impl Run {
    /// A run for the only writer of a spool, its rows ascending (gaps allowed, a row may take
    /// several records).
    pub fn single() -> Run {
        Run::default()
    }

    /// A run for one of several writers, each taking blocks of consecutive rows.
    pub fn following_on() -> Run {
        Run {
            follow_on: true,
            ..Run::default()
        }
    }

    /// Row `row` was read: `write` appends its record (or nothing, for a row not kept). Returns
    /// the segment so far when it had to be handed over first.
    pub fn push(&mut self, row: u64, write: impl FnOnce(&mut Vec<u8>)) -> Option<Segment> {
        let done = if self.bytes.len() >= SEGMENT_BYTES || (self.follow_on && row != self.next) {
            self.take()
        } else {
            None
        };
        if self.bytes.is_empty() {
            self.first = row;
        }
        let before = self.bytes.len();
        write(&mut self.bytes);
        self.count += usize::from(self.bytes.len() > before);
        self.next = row.wrapping_add(1);
        done
    }

    /// What the run holds, if anything.
    pub fn take(&mut self) -> Option<Segment> {
        (!self.bytes.is_empty()).then(|| Segment {
            first: self.first,
            bytes: std::mem::take(&mut self.bytes),
            count: std::mem::take(&mut self.count),
        })
    }
}

/// Little-endian readers over a byte slice, for records this crate wrote itself; a short slice
/// is an error, never a panic.
pub struct Bytes<'a> {
    pub rest: &'a [u8],
}

#[cold]
fn short() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "a scratch record is cut short",
    )
}

impl<'a> Bytes<'a> {
    #[inline]
    pub fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.rest.len() < n {
            return Err(short());
        }
        let (a, b) = self.rest.split_at(n);
        self.rest = b;
        Ok(a)
    }

    #[inline]
    pub fn array<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| short())
    }

    #[inline]
    pub fn u8(&mut self) -> io::Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    #[inline]
    pub fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    #[inline]
    pub fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    #[inline]
    pub fn u128(&mut self) -> io::Result<u128> {
        Ok(u128::from_le_bytes(self.array()?))
    }

    /// A length-prefixed UTF-8 string.
    pub fn str(&mut self) -> io::Result<&'a str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, "a scratch string is not UTF-8")
        })
    }
}

/// Write a length-prefixed UTF-8 string, as [`Bytes::str`] reads it.
#[inline]
pub fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_come_back_in_row_order_from_memory_and_file_alike() {
        let mut s = Spool::new(10);
        s.append(30, b"ccc".to_vec()).unwrap();
        s.append(10, b"aaaaaaa".to_vec()).unwrap();
        s.append(20, b"bbbbb".to_vec()).unwrap(); // past the budget: spilled
        s.append(40, Vec::new()).unwrap();
        assert_eq!(s.sizes(), (10, 5));
        s.seal();
        for _ in 0..2 {
            let mut got = Vec::new();
            s.for_each(|b| {
                got.push(String::from_utf8(b.to_vec()).unwrap());
                Ok::<_, io::Error>(())
            })
            .unwrap();
            assert_eq!(got, ["aaaaaaa", "bbbbb", "ccc"]);
        }
    }

    #[test]
    fn segments_with_one_tag_keep_the_order_they_came_in() {
        let mut s = Spool::new(4);
        for (tag, bytes) in [(1, "b1"), (0, "a1"), (1, "b2"), (0, "a2"), (1, "b3")] {
            s.append(tag, bytes.as_bytes().to_vec()).unwrap(); // the last three spilled
        }
        s.seal();
        let mut got = Vec::new();
        s.for_each_tagged(|tag, b| {
            got.push((tag, String::from_utf8(b.to_vec()).unwrap()));
            Ok::<_, io::Error>(())
        })
        .unwrap();
        let want = [(0, "a1"), (0, "a2"), (1, "b1"), (1, "b2"), (1, "b3")];
        assert_eq!(got, want.map(|(t, b)| (t, b.to_string())));
    }

    #[test]
    fn short_records_are_errors() {
        let mut b = Bytes { rest: &[1, 0, 0] };
        assert!(b.u32().is_err());
        let mut b = Bytes {
            rest: &[5, 0, 0, 0, b'a'],
        };
        assert!(b.str().is_err());
    }

    #[test]
    fn a_following_run_breaks_where_rows_stop_following_on() {
        let mut r = Run::following_on();
        assert!(r.push(5, |b| b.push(5)).is_none());
        assert!(
            r.push(6, |_| {}).is_none(),
            "a row not kept still counts as seen"
        );
        assert!(r.push(7, |b| b.push(7)).is_none());
        let seg = r.push(20, |b| b.push(20)).expect("20 does not follow 7");
        assert_eq!((seg.first, seg.bytes, seg.count), (5, vec![5, 7], 2));
        let seg = r.take().unwrap();
        assert_eq!((seg.first, seg.count), (20, 1));
        assert!(r.take().is_none());
        // The only writer's run breaks only when full.
        let mut r = Run::single();
        assert!(r.push(5, |b| b.push(5)).is_none());
        assert!(r.push(9, |b| b.push(9)).is_none());
        assert!(r.push(9, |b| b.push(9)).is_none());
        assert!(r.push(10, |b| b.resize(SEGMENT_BYTES, 0)).is_none());
        let seg = r.push(11, |b| b.push(11)).expect("full");
        assert_eq!((seg.first, seg.count), (5, 4));
    }
}
