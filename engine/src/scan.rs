//! The read entry point: snapshots and scan plans.

use std::sync::Arc;

use arrow::array::RecordBatch;

use crate::segment::SegmentMeta;

/// A consistent view: the live segments and the memtable rows at one instant.
/// Holding a snapshot keeps its segments' files from being deleted by
/// compaction.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Live segments, newest (`max_ts`) first.
    pub segments: Vec<Arc<SegmentMeta>>,
    /// Rows not yet in segments (active and frozen memtables).
    pub memtable: Vec<RecordBatch>,
    /// Highest WAL sequence whose rows the snapshot includes.
    pub last_seq: u64,
}

impl Snapshot {
    /// Rows in the snapshot.
    pub fn rows(&self) -> u64 {
        self.segments.iter().map(|s| s.rows).sum::<u64>()
            + self
                .memtable
                .iter()
                .map(|b| b.num_rows() as u64)
                .sum::<u64>()
    }
}

/// One segment to read, with the rows to read if the index narrowed them.
#[derive(Debug, Clone)]
pub struct SegmentScan {
    pub meta: Arc<SegmentMeta>,
    /// Ascending row ordinals selected by the full-text index (left out,
    /// where the predicate's time range cuts into the segment, those
    /// outside it, except in an `index_only` plan); `None` means every row.
    pub rows: Option<Vec<u32>>,
    /// Whether `rows` are exactly the rows matching the text predicates
    /// (within the time range where it cuts into the segment); false only
    /// for an [`index_only`](crate::ScanPredicate::index_only) plan where
    /// the index could not decide a clause (the rows are then a superset).
    pub rows_exact: bool,
}

/// Counters of how a scan was narrowed, for `EXPLAIN` and search responses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub segments_total: usize,
    pub segments_pruned_by_stats: usize,
    pub segments_pruned_by_index: usize,
    /// Segments whose Parquet bloom filters ruled out an id the text
    /// predicate requires (checked instead of loading an uncached index).
    pub segments_pruned_by_bloom: usize,
    pub segments_scanned: usize,
    /// Rows the full-text index selected in scanned segments (within the
    /// time range, where it cuts into a segment).
    pub index_rows_selected: u64,
    pub memtable_rows: u64,
}

/// What to read for one scan: segments (newest first) and memtable rows
/// (already filtered by the text predicates).
#[derive(Debug, Clone, Default)]
pub struct ScanPlan {
    pub segments: Vec<SegmentScan>,
    pub memtable: Vec<RecordBatch>,
    pub stats: ScanStats,
    /// The snapshot the plan reads; keep it alive while reading.
    pub snapshot: Snapshot,
}
