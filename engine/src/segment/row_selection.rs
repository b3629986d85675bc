//! Reading given rows of a segment's Parquet file: the row groups that hold
//! them and the selection over those groups that reads exactly them.

use parquet::arrow::arrow_reader::{RowSelection, RowSelector};

/// What to read for a set of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct RowsToRead {
    /// Row groups to read, ascending.
    pub row_groups: Vec<usize>,
    /// The ordinals read, in the order the reader returns them.
    pub ordinals: Vec<u32>,
    /// Selection over the concatenation of `row_groups`.
    pub selection: RowSelection,
}

/// Rows among `rows` (ascending ordinals; `None`: every row) of the row
/// groups (`group_rows`: rows of each) that `keep` accepts. Groups holding
/// none of them are not read.
pub fn rows_to_read(
    group_rows: &[u64],
    keep: impl Fn(usize) -> bool,
    rows: Option<&[u32]>,
) -> RowsToRead {
    let mut row_groups = Vec::new();
    let mut ordinals = Vec::new();
    let mut selectors: Vec<RowSelector> = Vec::new();
    for part in group_parts(group_rows, rows) {
        if !keep(part.group) || part.picked.is_some_and(<[u32]>::is_empty) {
            continue;
        }
        row_groups.push(part.group);
        match part.picked {
            None => ordinals.extend(part.lo as u32..part.hi as u32),
            Some(picked) => ordinals.extend_from_slice(picked),
        }
        selectors.extend(part.selectors());
    }
    RowsToRead {
        row_groups,
        ordinals,
        // `RowSelection::from_iter` merges adjacent runs of one kind.
        selection: RowSelection::from_iter(selectors),
    }
}

/// For each row group (`group_rows`: rows of each), the selection within
/// it that reads exactly its rows among `rows` (ascending ordinals), or
/// `None` where it holds none of them.
pub fn group_selections(group_rows: &[u64], rows: &[u32]) -> Vec<Option<RowSelection>> {
    group_parts(group_rows, Some(rows))
        .map(|part| {
            let any = part.picked.is_some_and(|p| !p.is_empty());
            any.then(|| RowSelection::from_iter(part.selectors()))
        })
        .collect()
}

/// One row group's ordinals `lo..hi` and the given rows within it.
struct GroupPart<'a> {
    group: usize,
    lo: u64,
    hi: u64,
    /// `None`: every row of the group.
    picked: Option<&'a [u32]>,
}

impl GroupPart<'_> {
    /// Skip/select runs over the group's rows (not merged).
    fn selectors(&self) -> Vec<RowSelector> {
        let Some(picked) = self.picked else {
            return vec![RowSelector::select((self.hi - self.lo) as usize)];
        };
        let mut out = Vec::new();
        let mut at = self.lo;
        for &r in picked {
            let r = u64::from(r);
            if r > at {
                out.push(RowSelector::skip((r - at) as usize));
            }
            out.push(RowSelector::select(1));
            at = r + 1;
        }
        if self.hi > at {
            out.push(RowSelector::skip((self.hi - at) as usize));
        }
        out
    }
}

/// The row groups in order, each with the part of `rows` inside it.
fn group_parts<'a>(
    group_rows: &'a [u64],
    rows: Option<&'a [u32]>,
) -> impl Iterator<Item = GroupPart<'a>> + 'a {
    let mut lo = 0u64;
    group_rows.iter().enumerate().map(move |(group, &n)| {
        let hi = lo + n;
        let picked = rows.map(|r| {
            &r[r.partition_point(|&x| u64::from(x) < lo)..r.partition_point(|&x| u64::from(x) < hi)]
        });
        let part = GroupPart {
            group,
            lo,
            hi,
            picked,
        };
        lo = hi;
        part
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(s: &RowSelection) -> Vec<(bool, usize)> {
        s.iter().map(|r| (r.skip, r.row_count)).collect()
    }

    #[test]
    fn reads_exactly_the_given_rows_of_the_kept_groups() {
        // groups of 4, 4, 4 rows; rows 1, 2 (g0), 8, 11 (g2); g1 holds none
        let r = rows_to_read(&[4, 4, 4], |_| true, Some(&[1, 2, 8, 11]));
        assert_eq!(r.row_groups, vec![0, 2]);
        assert_eq!(r.ordinals, vec![1, 2, 8, 11]);
        assert_eq!(
            runs(&r.selection),
            vec![
                (true, 1),
                (false, 2),
                (true, 1),
                (false, 1),
                (true, 2),
                (false, 1)
            ]
        );

        // every row of the groups `keep` accepts
        let r = rows_to_read(&[4, 4, 4], |g| g != 1, None);
        assert_eq!(r.row_groups, vec![0, 2]);
        assert_eq!(r.ordinals, [0, 1, 2, 3, 8, 9, 10, 11]);
        assert_eq!(runs(&r.selection), vec![(false, 8)]);

        // a dropped group drops its rows
        let r = rows_to_read(&[4, 4, 4], |g| g != 2, Some(&[1, 8, 11]));
        assert_eq!(r.row_groups, vec![0]);
        assert_eq!(r.ordinals, vec![1]);

        let r = rows_to_read(&[4, 4], |_| true, Some(&[]));
        assert!(r.row_groups.is_empty() && r.ordinals.is_empty());
    }
}
