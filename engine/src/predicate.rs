//! The engine's own small predicate language for scans.

use crate::segment::SegmentMeta;
use crate::text_query::TextQuery;

/// A half-open time range in microseconds: `start <= ts < end`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub start_us: Option<i64>,
    pub end_us: Option<i64>,
}

impl TimeRange {
    /// Narrows the range to also satisfy `other`.
    pub fn intersect(&mut self, other: TimeRange) {
        self.start_us = match (self.start_us, other.start_us) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.end_us = match (self.end_us, other.end_us) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// Whether any instant of `[min, max]` (inclusive) falls in the range.
    pub fn overlaps(&self, min: i64, max: i64) -> bool {
        self.start_us.is_none_or(|s| max >= s) && self.end_us.is_none_or(|e| min < e)
    }

    /// Whether the range leaves out part of `[min, max]` (inclusive) while
    /// holding some of it: a scan of a segment spanning it must drop rows.
    pub fn cuts_into(&self, min: i64, max: i64) -> bool {
        self.overlaps(min, max)
            && (self.start_us.is_some_and(|s| s > min) || self.end_us.is_some_and(|e| e <= max))
    }

    /// Whether `ts` falls in the range.
    pub fn contains(&self, ts: i64) -> bool {
        self.overlaps(ts, ts)
    }
}

/// What a scan must return, as far as the engine can tell: rows in `time`,
/// whose `column` is one of the listed values for every entry of `equals`,
/// and which match every query of `text`.
///
/// `time` prunes segments and, in a segment it cuts into, the rows the
/// text predicates select; `equals` only prunes segments (the caller
/// filters rows again for both);
/// `text` is answered exactly, for segments and memtable alike, unless
/// `index_only` is set.
#[derive(Debug, Clone, Default)]
pub struct ScanPredicate {
    pub time: TimeRange,
    pub equals: Vec<(String, Vec<String>)>,
    pub text: Vec<TextQuery>,
    /// Answer `text` on segments from their full-text indexes alone,
    /// reading no Parquet: where an index cannot decide (a phrase, which it
    /// holds without positions, or a field it does not hold) a segment's
    /// rows are a superset of its matches. For estimates, such as how far
    /// back a newest-first search must look.
    pub index_only: bool,
}

impl ScanPredicate {
    /// Whether the segment may hold a matching row, judged by its catalog
    /// entry alone.
    pub fn may_match(&self, meta: &SegmentMeta) -> bool {
        if !self.time.overlaps(meta.min_ts, meta.max_ts) {
            return false;
        }
        self.equals.iter().all(|(column, values)| {
            if column == crate::schema::col::WORKSPACE_ID {
                return values.contains(&meta.workspace_id);
            }
            let Some(stats) = meta.stats.get(column) else {
                return true;
            };
            values.iter().any(|v| {
                if let Some(d) = &stats.distinct {
                    return d.binary_search(v).is_ok();
                }
                let above_min = stats.min.as_ref().is_none_or(|m| v >= m);
                let below_max = stats.max.as_ref().is_none_or(|m| v <= m);
                above_min && below_max && stats.min.is_some()
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ranges_are_half_open() {
        let r = TimeRange {
            start_us: Some(10),
            end_us: Some(20),
        };
        let cases = [
            (0, 9, false),
            (0, 10, true),
            (19, 30, true),
            (20, 30, false),
        ];
        for (min, max, want) in cases {
            assert_eq!(r.overlaps(min, max), want, "[{min}, {max}]");
        }
        let mut n = TimeRange::default();
        n.intersect(r);
        n.intersect(TimeRange {
            start_us: Some(15),
            end_us: None,
        });
        assert_eq!(
            n,
            TimeRange {
                start_us: Some(15),
                end_us: Some(20)
            }
        );
    }

    /// A range `[10, 20)` cuts into a segment spanning `[min, max]`
    /// (inclusive) when it holds some of its instants but not all.
    #[test]
    fn a_range_cuts_into_a_span_it_holds_only_part_of() {
        let r = TimeRange {
            start_us: Some(10),
            end_us: Some(20),
        };
        let cases = [
            // wholly inside: [10, 19] is all of it
            (10, 19, false),
            (12, 15, false),
            // wholly outside
            (0, 9, false),
            (20, 30, false),
            // across an edge
            (9, 19, true),
            (10, 20, true),
            (0, 30, true),
        ];
        for (min, max, want) in cases {
            assert_eq!(r.cuts_into(min, max), want, "[{min}, {max}]");
        }
        assert!(!TimeRange::default().cuts_into(0, 100));
        let from = TimeRange {
            start_us: Some(10),
            end_us: None,
        };
        assert!(from.cuts_into(9, 100));
        assert!(!from.cuts_into(10, 100));
    }
}
