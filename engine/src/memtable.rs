//! The memtable: committed batches not yet in segments, visible to queries.

use std::time::Instant;

use arrow::record_batch::RecordBatch;

/// Batches appended since the last WAL rotation, in sequence order.
#[derive(Debug, Default)]
pub struct Memtable {
    batches: Vec<(u64, RecordBatch)>,
    rows: usize,
    bytes: usize,
    oldest: Option<Instant>,
}

impl Memtable {
    /// Adds a committed batch; `seq` must be greater than every earlier one.
    pub fn push(&mut self, seq: u64, batch: RecordBatch) {
        debug_assert!(self.batches.last().is_none_or(|(s, _)| *s < seq));
        self.rows += batch.num_rows();
        self.bytes += batch.get_array_memory_size();
        self.oldest.get_or_insert_with(Instant::now);
        self.batches.push((seq, batch));
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// When the oldest batch arrived.
    pub fn oldest(&self) -> Option<Instant> {
        self.oldest
    }

    /// The batches, in sequence order.
    pub fn batches(&self) -> impl Iterator<Item = &RecordBatch> {
        self.batches.iter().map(|(_, b)| b)
    }

    /// Sequence number of the last batch.
    pub fn last_seq(&self) -> Option<u64> {
        self.batches.last().map(|(s, _)| *s)
    }
}

/// A memtable frozen by a WAL rotation, waiting to be flushed.
#[derive(Debug)]
pub struct FrozenMemtable {
    /// Every batch with sequence `<= last_seq` not in an older frozen
    /// memtable or a segment is here.
    pub last_seq: u64,
    pub table: Memtable,
}
