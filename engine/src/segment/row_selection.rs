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
    let mut out = RowsToRead {
        row_groups: Vec::new(),
        ordinals: Vec::new(),
        selection: RowSelection::from(Vec::new()),
    };
    let mut selectors: Vec<RowSelector> = Vec::new();
    let mut lo = 0u64;
    for (g, &n) in group_rows.iter().enumerate() {
        let hi = lo + n;
        let in_group = rows.map(|r| {
            &r[r.partition_point(|&x| u64::from(x) < lo)..r.partition_point(|&x| u64::from(x) < hi)]
        });
        if !keep(g) || in_group.is_some_and(<[u32]>::is_empty) {
            lo = hi;
            continue;
        }
        out.row_groups.push(g);
        match in_group {
            None => {
                out.ordinals.extend(lo as u32..hi as u32);
                selectors.push(RowSelector::select(n as usize));
            }
            Some(picked) => {
                let mut at = lo;
                for &r in picked {
                    let r = u64::from(r);
                    if r > at {
                        selectors.push(RowSelector::skip((r - at) as usize));
                    }
                    selectors.push(RowSelector::select(1));
                    at = r + 1;
                }
                if hi > at {
                    selectors.push(RowSelector::skip((hi - at) as usize));
                }
                out.ordinals.extend_from_slice(picked);
            }
        }
        lo = hi;
    }
    // `RowSelection::from_iter` merges adjacent runs of one kind.
    out.selection = RowSelection::from_iter(selectors);
    out
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
