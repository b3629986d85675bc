//! Flush: frozen memtables to one segment per (workspace, hour) partition.

use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::{SortColumn, concat_batches, lexsort_to_indices, take_record_batch};
use arrow::datatypes::TimestampMicrosecondType;
use object_store::ObjectStoreExt;

use super::{Engine, TEMPLATES_PREFIX, poisoned};
use crate::batch::timestamp_index;
use crate::error::{Error, Result};
use crate::schema::{col, logs_schema};
use crate::segment::{SegmentFiles, SegmentMeta, hour_of, write_segment};

/// What one flush wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushStats {
    pub rows: u64,
    pub segments: usize,
    /// WAL sequence through which everything is now in segments.
    pub flushed_seq: u64,
}

/// Rows sorted by (workspace, timestamp), cut into (workspace, hour) runs.
pub(crate) fn partition(batch: &RecordBatch) -> Result<Vec<(String, RecordBatch)>> {
    let ws_idx = batch.schema().index_of(col::WORKSPACE_ID)?;
    let indices = lexsort_to_indices(
        &[
            SortColumn {
                values: batch.column(ws_idx).clone(),
                options: None,
            },
            SortColumn {
                values: batch.column(timestamp_index()).clone(),
                options: None,
            },
        ],
        None,
    )?;
    let sorted = take_record_batch(batch, &indices)?;
    let ws = sorted.column(ws_idx).as_string::<i32>();
    let ts = sorted
        .column(timestamp_index())
        .as_primitive::<TimestampMicrosecondType>();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=sorted.num_rows() {
        let boundary = i == sorted.num_rows()
            || ws.value(i) != ws.value(start)
            || hour_of(ts.value(i)) != hour_of(ts.value(start));
        if boundary {
            out.push((ws.value(start).to_string(), sorted.slice(start, i - start)));
            start = i;
        }
    }
    Ok(out)
}

/// Writes the segments of `batches` (CPU-bound, on a blocking thread).
pub(crate) async fn build_segments(
    batches: Vec<RecordBatch>,
    row_group_rows: usize,
    zstd_level: i32,
) -> Result<Vec<SegmentFiles>> {
    tokio::task::spawn_blocking(move || {
        let all = concat_batches(&logs_schema(), &batches)?;
        partition(&all)?
            .into_iter()
            .map(|(ws, part)| write_segment(&part, &ws, row_group_rows, zstd_level))
            .collect::<Result<Vec<_>>>()
    })
    .await
    .map_err(|e| Error::Corrupt {
        what: "segment build".into(),
        reason: format!("task failed: {e}"),
    })?
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
        let files = build_segments(batches, c.row_group_rows, c.zstd_level).await?;
        self.upload(&files).await?;
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
        let removed = self.inner.wal.truncate_through(last)?;
        tracing::debug!(rows, segments, last, removed, "flushed");
        Ok(FlushStats {
            rows,
            segments,
            flushed_seq: last,
        })
    }
}
