//! An external merge sort with a fixed memory budget.
//!
//! Items are gathered up to a number that fits the budget, sorted, and written as a run to an
//! unnamed temporary file; the runs are then merged, the smallest head found by scanning the
//! heads (a handful of runs in practice). At most [`FAN_IN`] runs are open at once:
//! when that many are written, they are merged into one first. Below the budget nothing is
//! written and the items come back from memory.
//!
//! (The `extsort` crate was tried first and dropped: in 0.5.0 a push count that is a multiple of
//! the segment size plus one leaves the buffer empty at the end, and the sorted iterator then
//! ignores every segment on disk.)

use std::cmp::Ordering;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use survey_schema::spool::Bytes;

/// An item the sorter can write to a run and read back.
pub(crate) trait Item: Sized {
    fn put(&self, out: &mut Vec<u8>);
    fn get(b: &mut Bytes) -> io::Result<Self>;
}

/// Most runs merged at once (each holds a read buffer while merging).
pub(crate) const FAN_IN: usize = 64;

/// Sorts items by a comparison; items that compare equal come back in no particular order.
pub(crate) struct Sorter<T, F>
where
    F: Fn(&T, &T) -> Ordering,
{
    buf: Vec<T>,
    max: usize,
    runs: Vec<File>,
    cmp: F,
    scratch: Vec<u8>,
}

impl<T: Item, F: Fn(&T, &T) -> Ordering> Sorter<T, F> {
    /// A sorter holding at most `max` items (at least 1) in memory.
    pub(crate) fn new(max: usize, cmp: F) -> Self {
        Sorter {
            buf: Vec::new(),
            max: max.max(1),
            runs: Vec::new(),
            cmp,
            scratch: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, item: T) -> io::Result<()> {
        self.buf.push(item);
        if self.buf.len() >= self.max {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buf.sort_unstable_by(&self.cmp);
        let mut w = BufWriter::new(tempfile::tempfile()?);
        for item in self.buf.drain(..) {
            write_framed(&mut w, &item, &mut self.scratch)?;
        }
        self.runs.push(w.into_inner().map_err(|e| e.into_error())?);
        if self.runs.len() >= FAN_IN {
            let runs = std::mem::take(&mut self.runs);
            let mut w = BufWriter::new(tempfile::tempfile()?);
            let mut merge = Merge::new(runs, &self.cmp)?;
            while let Some(item) = merge.next_item()? {
                write_framed(&mut w, &item, &mut self.scratch)?;
            }
            self.runs.push(w.into_inner().map_err(|e| e.into_error())?);
        }
        Ok(())
    }

    /// Every item pushed, in key order.
    pub(crate) fn done(mut self) -> io::Result<Sorted<T, F>> {
        if self.runs.is_empty() {
            self.buf.sort_unstable_by(&self.cmp);
            return Ok(Sorted::Memory(self.buf.into_iter()));
        }
        if !self.buf.is_empty() {
            self.spill()?;
        }
        let runs = std::mem::take(&mut self.runs);
        Ok(Sorted::Merge(Merge::new(runs, self.cmp)?))
    }
}

fn write_framed<T: Item>(w: &mut impl Write, item: &T, scratch: &mut Vec<u8>) -> io::Result<()> {
    scratch.clear();
    item.put(scratch);
    w.write_all(&(scratch.len() as u32).to_le_bytes())?;
    w.write_all(scratch)
}

/// The next item of a run, or None at its end.
fn read_framed<T: Item>(r: &mut impl Read, scratch: &mut Vec<u8>) -> io::Result<Option<T>> {
    let mut len = [0; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    scratch.resize(u32::from_le_bytes(len) as usize, 0);
    r.read_exact(scratch)?;
    let mut b = Bytes { rest: scratch };
    T::get(&mut b).map(Some)
}

/// The runs merged, smallest first.
pub(crate) struct Merge<T, G> {
    runs: Vec<BufReader<File>>,
    heads: Vec<Option<T>>,
    cmp: G,
    scratch: Vec<u8>,
}

impl<T: Item, G: Fn(&T, &T) -> Ordering> Merge<T, G> {
    fn new(files: Vec<File>, cmp: G) -> io::Result<Self> {
        let mut m = Merge {
            runs: Vec::with_capacity(files.len()),
            heads: Vec::with_capacity(files.len()),
            cmp,
            scratch: Vec::new(),
        };
        for mut f in files {
            f.seek(SeekFrom::Start(0))?;
            let mut r = BufReader::with_capacity(16 << 10, f);
            m.heads.push(read_framed(&mut r, &mut m.scratch)?);
            m.runs.push(r);
        }
        Ok(m)
    }

    fn next_item(&mut self) -> io::Result<Option<T>> {
        let mut least: Option<usize> = None;
        for (i, h) in self.heads.iter().enumerate() {
            if let Some(h) = h
                && least.is_none_or(|l| {
                    self.heads[l]
                        .as_ref()
                        .is_some_and(|l| (self.cmp)(h, l) == Ordering::Less)
                })
            {
                least = Some(i);
            }
        }
        let Some(i) = least else { return Ok(None) };
        let next = read_framed(&mut self.runs[i], &mut self.scratch)?;
        Ok(std::mem::replace(&mut self.heads[i], next))
    }
}

/// The sorted items: from memory, or merged from runs on disk.
pub(crate) enum Sorted<T, F> {
    Memory(std::vec::IntoIter<T>),
    Merge(Merge<T, F>),
}

impl<T: Item, F: Fn(&T, &T) -> Ordering> Iterator for Sorted<T, F> {
    type Item = io::Result<T>;

    fn next(&mut self) -> Option<io::Result<T>> {
        match self {
            Sorted::Memory(items) => items.next().map(Ok),
            Sorted::Merge(m) => m.next_item().transpose(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    impl Item for (u32, String) {
        fn put(&self, out: &mut Vec<u8>) {
            out.extend_from_slice(&self.0.to_le_bytes());
            survey_schema::spool::put_str(out, &self.1);
        }
        fn get(b: &mut Bytes) -> io::Result<Self> {
            Ok((b.u32()?, b.str()?.to_owned()))
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 64,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Every budget, including one item and counts that fill the memory exactly, and more
        /// runs than are merged at once, gives back every item in order.
        #[test]
        fn items_come_back_sorted(
            keys in prop::collection::vec(0u32..50, 0..400),
            max in prop_oneof![1usize..4, Just(5usize), 5usize..500],
        ) {
            let mut s = Sorter::new(max, |a: &(u32, String), b: &(u32, String)| a.cmp(b));
            for (i, k) in keys.iter().enumerate() {
                s.push((*k, format!("喆{i}"))).unwrap();
            }
            let got: Vec<(u32, String)> = s.done().unwrap().map(Result::unwrap).collect();
            let mut want: Vec<(u32, String)> =
                keys.iter().enumerate().map(|(i, k)| (*k, format!("喆{i}"))).collect();
            want.sort();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn more_runs_than_the_fan_in_are_merged_in_stages() {
        let n = (FAN_IN * 3 + 7) as u32;
        let mut s = Sorter::new(1, |a: &(u32, String), b: &(u32, String)| a.0.cmp(&b.0));
        for k in (0..n).rev() {
            s.push((k, String::new())).unwrap();
        }
        assert!(s.runs.len() < FAN_IN);
        let got: Vec<u32> = s.done().unwrap().map(|x| x.unwrap().0).collect();
        assert_eq!(got, (0..n).collect::<Vec<_>>());
    }
}
