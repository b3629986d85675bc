//! Flush: frozen memtables to one segment per (workspace, hour) partition.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::{interleave, interleave_record_batch};
use arrow::datatypes::TimestampMicrosecondType;
use object_store::ObjectStoreExt;

use super::{Engine, TEMPLATES_PREFIX, poisoned};
use crate::batch::timestamp_index;
use crate::error::{Error, Result};
use crate::schema::col;
use crate::segment::{SegmentFiles, SegmentLayout, SegmentMeta, hour_of, write_segment};

/// What one flush wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushStats {
    pub rows: u64,
    pub segments: usize,
    /// WAL sequence through which everything is now in segments.
    pub flushed_seq: u64,
}

/// A workspace and the (batch, row) positions of some of its rows.
pub(crate) type Partition = (String, Vec<(usize, usize)>);

/// The rows of `batches` as (workspace, hour) partitions: for each, the
/// workspace and the (batch, row) positions of its rows in timestamp order.
/// Only positions are sorted, so no copy of the rows is made here.
pub(crate) fn partition(batches: &[RecordBatch]) -> Result<Vec<Partition>> {
    let mut workspaces: Vec<String> = Vec::new();
    // (workspace ordinal, hour, timestamp, batch, row)
    let mut keys: Vec<(u32, i64, i64, usize, usize)> = Vec::new();
    for (b, batch) in batches.iter().enumerate() {
        let ws = batch
            .column(batch.schema().index_of(col::WORKSPACE_ID)?)
            .as_string::<i32>();
        let ts = batch
            .column(timestamp_index())
            .as_primitive::<TimestampMicrosecondType>();
        let mut last: Option<(&str, u32)> = None;
        for row in 0..batch.num_rows() {
            let w = ws.value(row);
            let ord = match last {
                Some((name, ord)) if name == w => ord,
                _ => {
                    let ord = match workspaces.iter().position(|x| x == w) {
                        Some(i) => i as u32,
                        None => {
                            workspaces.push(w.to_string());
                            (workspaces.len() - 1) as u32
                        }
                    };
                    last = Some((w, ord));
                    ord
                }
            };
            let t = ts.value(row);
            keys.push((ord, hour_of(t), t, b, row));
        }
    }
    // ties keep arrival order (batch, row), like a stable sort on the rows
    keys.sort_unstable();
    let mut out: Vec<Partition> = Vec::new();
    let mut current: Option<(u32, i64)> = None;
    for (ord, hour, _, b, row) in keys {
        if current != Some((ord, hour)) {
            current = Some((ord, hour));
            out.push((workspaces[ord as usize].clone(), Vec::new()));
        }
        if let Some(last) = out.last_mut() {
            last.1.push((b, row));
        }
    }
    Ok(out)
}

/// (segment id, index bundle) of each written segment, for the index cache.
pub(crate) fn new_bundles(files: &[SegmentFiles]) -> Vec<(String, bytes::Bytes)> {
    files
        .iter()
        .map(|f| (f.meta.id.clone(), f.index.clone()))
        .collect()
}

/// Writes the segments of `batches` (CPU-bound, on blocking threads), one
/// partition per core at a time, so only that many partitions' sorted
/// copies are in memory. A segment's index build is the longer of its two
/// halves and runs on one thread: with one partition at a time a second
/// core idles once the Parquet half is done. Background flushes build on
/// every core too: leaving one to ingest raised the acknowledged rate of a
/// burst but not the rate at which records settle, and let unflushed data
/// (memory) grow (BENCHMARKS.md, "Optimization round 2").
pub(crate) async fn build_segments(
    batches: Vec<RecordBatch>,
    layout: SegmentLayout,
) -> Result<Vec<SegmentFiles>> {
    tokio::task::spawn_blocking(move || {
        let parts = partition(&batches)?;
        if let [(ws, positions)] = parts.as_slice() {
            // one partition (always so in a compaction): its copy can free
            // the inputs as it goes
            let part = interleave_consuming(batches, positions)?;
            return Ok(vec![write_segment(&part, ws, &layout)?]);
        }
        let refs: Vec<&RecordBatch> = batches.iter().collect();
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, parts.len().max(1));
        // Each worker takes the next unbuilt partition and keeps what it
        // built with the partition's index; a panic reaches the caller as a
        // failed task.
        let next = AtomicUsize::new(0);
        let work = || {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((ws, positions)) = parts.get(i) else {
                    return mine;
                };
                let segment = interleave_record_batch(&refs, positions)
                    .map_err(Error::from)
                    .and_then(|part| write_segment(&part, ws, &layout));
                mine.push((i, segment));
            }
        };
        let mut built: Vec<(usize, Result<SegmentFiles>)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        built.sort_unstable_by_key(|(i, _)| *i);
        built.into_iter().map(|(_, segment)| segment).collect()
    })
    .await
    .map_err(|e| Error::Corrupt {
        what: "segment build".into(),
        reason: format!("task failed: {e}"),
    })?
}

/// The rows of `batches` at `positions`, as one batch, built a column at a
/// time: each input column is dropped once its output column is built, so
/// where the inputs are owned here alone (a compaction's segments read back)
/// the peak is near one copy of the rows rather than two.
pub(crate) fn interleave_consuming(
    batches: Vec<RecordBatch>,
    positions: &[(usize, usize)],
) -> Result<RecordBatch> {
    let Some(schema) = batches.first().map(|b| b.schema()) else {
        return Ok(RecordBatch::new_empty(crate::schema::logs_schema()));
    };
    let mut inputs: Vec<std::vec::IntoIter<ArrayRef>> = batches
        .into_iter()
        .map(|b| b.into_parts().1.into_iter())
        .collect();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for _ in schema.fields() {
        // the next column of every batch, taken out of it
        let column: Vec<ArrayRef> = inputs.iter_mut().filter_map(Iterator::next).collect();
        let refs: Vec<&dyn Array> = column.iter().map(|a| a.as_ref()).collect();
        columns.push(interleave(&refs, positions)?);
    }
    Ok(RecordBatch::try_new(schema, columns)?)
}

impl Engine {
    /// Uploads segment files (Parquet, then index).
    pub(crate) async fn upload(&self, files: &[SegmentFiles]) -> Result<()> {
        for f in files {
            for (location, bytes) in [
                (f.meta.parquet_location(), &f.parquet),
                (f.meta.index_location(), &f.index),
            ] {
                self.inner
                    .store
                    .put(&location, bytes.clone().into())
                    .await
                    .map_err(|e| Error::store(&location, e))?;
            }
        }
        Ok(())
    }

    /// Writes everything in the memtable to segments, commits them to the
    /// manifest, and truncates the WAL. Returns what was written.
    pub async fn flush(&self) -> Result<FlushStats> {
        let _guard = self.inner.maintenance.lock().await;
        // The template store as of exactly the rotation point.
        let (templates, rotation) = {
            let _order = self.inner.ingest_order.lock().await;
            let saved = self
                .inner
                .templates
                .lock()
                .map_err(|_| poisoned())?
                .to_json()?;
            (saved, self.inner.wal.enqueue_rotate().await?)
        };
        let last = rotation.wait().await?;
        let batches: Vec<RecordBatch> = {
            let s = self.inner.state.read().map_err(|_| poisoned())?;
            s.frozen
                .iter()
                .filter(|f| f.last_seq <= last)
                .flat_map(|f| f.table.batches().cloned())
                .collect()
        };
        if batches.is_empty() {
            return Ok(FlushStats {
                flushed_seq: last,
                ..FlushStats::default()
            });
        }
        let rows: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
        let c = &self.inner.config;
        let files = build_segments(batches, c.segment_layout()).await?;
        self.upload(&files).await?;
        let bundles = new_bundles(&files);
        let metas: Vec<SegmentMeta> = files.into_iter().map(|f| f.meta).collect();
        let segments = metas.len();
        let templates_key = format!("{TEMPLATES_PREFIX}{last:020}.json");
        let location = object_store::path::Path::from(templates_key.as_str());
        self.inner
            .store
            .put(&location, templates.into())
            .await
            .map_err(|e| Error::store(&location, e))?;
        let previous = {
            let mut manifest = self.inner.manifest.lock().await;
            let previous = manifest.state().templates.clone();
            manifest
                .commit_with_templates(
                    metas.clone(),
                    Vec::new(),
                    Some(last),
                    Some(templates_key.clone()),
                )
                .await?;
            previous
        };
        if let Some(old) = previous.filter(|p| *p != templates_key) {
            // superseded; a leftover is removed at the next open
            let _ = self
                .inner
                .store
                .delete(&object_store::path::Path::from(old.as_str()))
                .await;
        }
        {
            let mut s = self.inner.state.write().map_err(|_| poisoned())?;
            for m in metas {
                s.segments.insert(m.id.clone(), Arc::new(m));
            }
            s.frozen.retain(|f| f.last_seq > last);
            s.flushed_seq = s.flushed_seq.max(last);
        }
        self.inner.room.notify_waiters();
        let removed = self.inner.wal.truncate_through(last)?;
        self.cache_new_indexes(bundles).await;
        tracing::debug!(rows, segments, last, removed, "flushed");
        Ok(FlushStats {
            rows,
            segments,
            flushed_seq: last,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::records_to_batch;
    use crate::sample::{SampleConfig, generate};

    #[test]
    fn interleave_consuming_builds_the_same_batch_as_interleave_record_batch() {
        let records = generate(&SampleConfig::default(), 3_000);
        let batches: Vec<RecordBatch> = records
            .chunks(700)
            .map(|c| records_to_batch(c).unwrap())
            .collect();
        let refs: Vec<&RecordBatch> = batches.iter().collect();
        let parts = partition(&batches).unwrap();
        assert!(parts.len() > 1);
        let mut all: Vec<(usize, usize)> = Vec::new();
        for (_, positions) in &parts {
            let expected = interleave_record_batch(&refs, positions).unwrap();
            let got = interleave_consuming(batches.clone(), positions).unwrap();
            assert_eq!(got, expected);
            all.extend(positions);
        }
        // every row, from every batch, in partition order
        all.reverse();
        let got = interleave_consuming(batches.clone(), &all).unwrap();
        assert_eq!(got, interleave_record_batch(&refs, &all).unwrap());
        assert_eq!(got.num_rows(), records.len());
        let empty = interleave_consuming(Vec::new(), &[]).unwrap();
        assert_eq!(empty.num_rows(), 0);
    }
}
