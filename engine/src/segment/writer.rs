//! Writing one segment: sorted rows to Parquet bytes and an index bundle.

use std::collections::{BTreeMap, BTreeSet};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::TimestampMicrosecondType;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::{ColumnStats, MAX_DISTINCT_IN_STATS, SegmentMeta, index, object_base};
use crate::batch::timestamp_index;
use crate::error::{Error, Result};
use crate::schema::{STATS_COLUMNS, col};

/// The bytes of a segment ready to upload, and its catalog entry.
#[derive(Debug)]
pub struct SegmentFiles {
    pub meta: SegmentMeta,
    pub parquet: bytes::Bytes,
    pub index: bytes::Bytes,
}

/// Columns with Parquet bloom filters (point lookups by id).
const BLOOM_COLUMNS: &[&str] = &[
    col::TRACE_ID,
    col::AGENT_ID,
    col::EXECUTION_ID,
    col::LOG_ID,
    col::SPAN_ID,
    col::PARENT_SPAN_ID,
];

fn writer_properties(row_group_rows: usize, zstd_level: i32) -> Result<WriterProperties> {
    let level = ZstdLevel::try_new(zstd_level).map_err(|e| Error::Config(e.to_string()))?;
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_dictionary_enabled(true)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(row_group_rows))
        .set_sorting_columns(Some(vec![SortingColumn {
            column_idx: timestamp_index() as i32,
            descending: false,
            nulls_first: false,
        }]));
    for c in BLOOM_COLUMNS {
        b = b.set_column_bloom_filter_enabled(ColumnPath::from(*c), true);
    }
    // ids are unique-ish: dictionary pages would only grow the file
    for c in [col::LOG_ID, col::SPAN_ID] {
        b = b.set_column_dictionary_enabled(ColumnPath::from(c), false);
    }
    Ok(b.build())
}

fn column_stats(batch: &RecordBatch, name: &str) -> Result<ColumnStats> {
    let idx = batch.schema().index_of(name)?;
    let arr = batch.column(idx).as_string::<i32>();
    let mut distinct = BTreeSet::new();
    let (mut min, mut max): (Option<&str>, Option<&str>) = (None, None);
    for v in arr.iter().flatten() {
        if min.is_none_or(|m| v < m) {
            min = Some(v);
        }
        if max.is_none_or(|m| v > m) {
            max = Some(v);
        }
        if distinct.len() <= MAX_DISTINCT_IN_STATS {
            distinct.insert(v);
        }
    }
    Ok(ColumnStats {
        min: min.map(str::to_string),
        max: max.map(str::to_string),
        null_count: arr.null_count() as u64,
        distinct: (distinct.len() <= MAX_DISTINCT_IN_STATS)
            .then(|| distinct.into_iter().map(str::to_string).collect()),
    })
}

/// `batch` as Parquet bytes, and the row count of each row group.
fn write_parquet(
    batch: &RecordBatch,
    props: WriterProperties,
) -> std::result::Result<(Vec<u8>, Vec<u64>), parquet::errors::ParquetError> {
    let mut buf = Vec::with_capacity(batch.get_array_memory_size() / 4);
    let mut writer = ArrowWriter::try_new(&mut buf, batch.schema(), Some(props))?;
    writer.write(batch)?;
    let metadata = writer.close()?;
    let row_groups = metadata
        .row_groups()
        .iter()
        .map(|rg| rg.num_rows() as u64)
        .collect();
    Ok((buf, row_groups))
}

/// Writes `batch` (rows of one workspace and hour, sorted by timestamp) as a
/// segment with a fresh id.
pub fn write_segment(
    batch: &RecordBatch,
    workspace_id: &str,
    row_group_rows: usize,
    zstd_level: i32,
) -> Result<SegmentFiles> {
    let id = ulid::Ulid::generate().to_string();
    let ts = batch
        .column(timestamp_index())
        .as_primitive::<TimestampMicrosecondType>();
    let (min_ts, max_ts) = match (arrow::compute::min(ts), arrow::compute::max(ts)) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(Error::Corrupt {
                what: "segment input".into(),
                reason: "an empty batch cannot become a segment".into(),
            });
        }
    };
    let parquet_err = |source| Error::Parquet {
        segment_id: id.clone(),
        source,
    };
    let props = writer_properties(row_group_rows, zstd_level)?;
    // The index and the Parquet file are built side by side.
    let (index, parquet) = std::thread::scope(|scope| {
        let index = scope.spawn(|| index::build_bundle(batch, &id));
        let parquet = write_parquet(batch, props).map_err(parquet_err);
        let index = index.join().unwrap_or_else(|_| {
            Err(Error::Corrupt {
                what: format!("index of segment {id}"),
                reason: "the index build panicked".into(),
            })
        });
        (index, parquet)
    });
    let (buf, row_groups) = parquet?;
    let index = index?;
    let mut stats = BTreeMap::new();
    for c in STATS_COLUMNS {
        stats.insert(c.to_string(), column_stats(batch, c)?);
    }
    let base = object_base(workspace_id, min_ts, &id);
    let meta = SegmentMeta {
        id,
        workspace_id: workspace_id.to_string(),
        min_ts,
        max_ts,
        rows: batch.num_rows() as u64,
        row_groups,
        parquet_bytes: buf.len() as u64,
        index_bytes: index.len() as u64,
        tier: "hot".into(),
        parquet_path: format!("{base}.parquet"),
        index_path: format!("{base}.index"),
        stats,
        template_dict_version: None,
        created_us: chrono::Utc::now().timestamp_micros(),
    };
    Ok(SegmentFiles {
        meta,
        parquet: bytes::Bytes::from(buf),
        index: bytes::Bytes::from(index),
    })
}
