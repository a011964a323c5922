//! Which rows a rule has set aside, or cleaning kept: a bit per row.

/// One bit per row: which rows a rule has set aside. A million rows take 125 KiB.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RowSet {
    words: Vec<u64>,
}

impl RowSet {
    pub(crate) fn insert(&mut self, row: u32) {
        let (w, b) = (row as usize / 64, row % 64);
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= 1 << b;
    }

    pub(crate) fn contains(&self, row: u32) -> bool {
        let (w, b) = (row as usize / 64, row % 64);
        self.words.get(w).is_some_and(|x| x & (1 << b) != 0)
    }

    /// The rows, ascending.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &x)| {
            (0..64)
                .filter(move |b| x & (1u64 << b) != 0)
                .map(move |b| (w * 64 + b) as u32)
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
}

/// Which rows of an export cleaning kept, a bit per row, apart from the rest of the outcome:
/// what a store of every row read needs to hand back only the valid ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeptRows(pub(crate) RowSet);

impl FromIterator<usize> for KeptRows {
    /// The rows given (row numbers past `u32::MAX` cannot be rows of an export, and are left
    /// out).
    fn from_iter<I: IntoIterator<Item = usize>>(rows: I) -> KeptRows {
        let mut set = RowSet::default();
        for r in rows {
            if let Ok(r) = u32::try_from(r) {
                set.insert(r);
            }
        }
        KeptRows(set)
    }
}

impl KeptRows {
    /// Whether the row (as numbered in the export) was kept.
    pub fn contains(&self, row: usize) -> bool {
        u32::try_from(row).is_ok_and(|r| self.0.contains(r))
    }

    /// How many rows were kept.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.words.iter().all(|w| *w == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_set_holds_its_rows() {
        let mut r = RowSet::default();
        for row in [0, 63, 64, 1_000_001, 5] {
            r.insert(row);
        }
        assert!(r.contains(64) && r.contains(1_000_001) && !r.contains(65));
        assert!(!r.contains(u32::MAX));
        assert_eq!(r.iter().collect::<Vec<_>>(), [0, 5, 63, 64, 1_000_001]);
        assert_eq!(r.len(), 5);
    }
}
