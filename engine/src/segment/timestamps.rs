//! The `timestamp` of given rows of a segment, read from its Parquet file
//! alone (one narrow column, only the pages holding those rows).

use std::sync::Arc;

use arrow::array::AsArray;
use arrow::datatypes::TimestampMicrosecondType;
use futures::TryStreamExt;
use object_store::ObjectStore;
use parquet::arrow::ProjectionMask;

use super::SegmentMeta;
use super::object_reader::{SegmentFile, parquet_err};
use super::row_selection::rows_to_read;
use crate::batch::timestamp_index;
use crate::error::{Error, Result};

/// Timestamps (microseconds) of `rows` (ascending ordinals) of segment
/// `meta`, in the same order. Ordinals must lie below `meta.rows`: one past
/// the rows the file holds is reported as a corrupt segment.
pub async fn row_timestamps(
    store: Arc<dyn ObjectStore>,
    meta: &SegmentMeta,
    rows: &[u32],
) -> Result<Vec<i64>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // The page index lets the reader skip the pages it does not need
    // without decompressing them.
    let file = SegmentFile::open(store, meta, true).await?;
    timestamps_in(&file, meta, rows).await
}

/// [`row_timestamps`] of a segment already opened as `file` (with its page
/// index, for a read of only the pages holding `rows`).
pub async fn timestamps_in(
    file: &SegmentFile,
    meta: &SegmentMeta,
    rows: &[u32],
) -> Result<Vec<i64>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let err = parquet_err(meta);
    let builder = file.builder();
    let read = rows_to_read(&meta.row_groups, |_| true, Some(rows));
    let mask = ProjectionMask::roots(builder.parquet_schema(), [timestamp_index()]);
    let batches: Vec<_> = builder
        .with_row_groups(read.row_groups)
        .with_row_selection(read.selection)
        .with_projection(mask)
        .with_batch_size(rows.len())
        .build()
        .map_err(&err)?
        .try_collect()
        .await
        .map_err(&err)?;
    let mut out = Vec::with_capacity(rows.len());
    for batch in &batches {
        let ts = batch.column(0).as_primitive::<TimestampMicrosecondType>();
        out.extend(ts.values().iter().copied());
    }
    if out.len() != rows.len() {
        return Err(Error::Corrupt {
            what: format!("segment {}", meta.id),
            reason: format!(
                "read {} timestamps for {} rows (file of {} rows in the catalog)",
                out.len(),
                rows.len(),
                meta.rows
            ),
        });
    }
    Ok(out)
}
