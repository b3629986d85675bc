//! Rows of a segment that match a text query, found by reading the query's
//! columns from the segment's Parquet file.
//!
//! This answers clauses on fields the full-text index does not hold: ids
//! that are unique per record (`log_id`, `span_id`, `parent_span_id`) would
//! make up most of the index's terms while being looked up one at a time, so
//! they are found through Parquet instead. Row groups whose bloom filter
//! rules out an id the query requires are skipped unread; only the query's
//! columns of the remaining (or the given candidate) rows are decoded.

use std::sync::Arc;

use futures::TryStreamExt;
use object_store::ObjectStore;
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{RowSelection, RowSelector};

use super::SegmentMeta;
use super::object_reader::ObjectReader;
use crate::error::{Error, Result};
use crate::text_query::TextQuery;

/// Row ordinals (ascending) of the segment `meta` that match `query`,
/// among `candidates` (ascending ordinals) when given, else among all rows.
pub async fn matching_rows(
    store: Arc<dyn ObjectStore>,
    meta: &SegmentMeta,
    query: &TextQuery,
    candidates: Option<&[u32]>,
) -> Result<Vec<u32>> {
    let err = |source| Error::Parquet {
        segment_id: meta.id.clone(),
        source,
    };
    let reader = ObjectReader::new(store, meta.parquet_location(), meta.parquet_bytes);
    let mut builder = ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .map_err(err)?;

    let fields = query.fields();
    let schema = builder.schema().clone();
    let mut roots = Vec::with_capacity(fields.len());
    for f in &fields {
        roots.push(schema.index_of(f)?);
    }
    let required = query.required_equalities();

    // Row groups that may hold a match, with their first row ordinal.
    let mut kept: Vec<(usize, u32, u32)> = Vec::new();
    let mut start = 0u32;
    let row_groups: Vec<u32> = builder
        .metadata()
        .row_groups()
        .iter()
        .map(|rg| rg.num_rows() as u32)
        .collect();
    for (rg, &rows) in row_groups.iter().enumerate() {
        let mut possible = true;
        for (field, value) in &required {
            let Ok(column) = schema.index_of(field) else {
                continue;
            };
            if let Some(bloom) = builder
                .get_row_group_column_bloom_filter(rg, column)
                .await
                .map_err(err)?
                && !bloom.check(*value)
            {
                possible = false;
                break;
            }
        }
        if possible {
            kept.push((rg, start, start + rows));
        }
        start += rows;
    }

    // The ordinals read, in order, and the selection that reads them
    // (over the kept row groups; RowSelection merges runs and drops empty
    // ones).
    let mut ordinals: Vec<u32> = Vec::new();
    let mut selectors: Vec<RowSelector> = Vec::new();
    for &(_, lo, hi) in &kept {
        let Some(c) = candidates else {
            ordinals.extend(lo..hi);
            selectors.push(RowSelector::select((hi - lo) as usize));
            continue;
        };
        let mut at = lo;
        for &r in &c[c.partition_point(|&r| r < lo)..c.partition_point(|&r| r < hi)] {
            selectors.push(RowSelector::skip((r - at) as usize));
            selectors.push(RowSelector::select(1));
            ordinals.push(r);
            at = r + 1;
        }
        selectors.push(RowSelector::skip((hi - at) as usize));
    }
    if ordinals.is_empty() {
        return Ok(Vec::new());
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let stream = builder
        .with_row_groups(kept.iter().map(|k| k.0).collect())
        .with_row_selection(RowSelection::from_iter(selectors))
        .with_projection(mask)
        .with_batch_size(64 * 1024)
        .build()
        .map_err(err)?;
    let batches: Vec<_> = stream.try_collect().await.map_err(err)?;

    let mut out = Vec::new();
    let mut at = 0usize;
    for batch in &batches {
        let hits = query.evaluate(batch)?;
        for i in 0..batch.num_rows() {
            if hits.value(i) {
                out.push(ordinals[at + i]);
            }
        }
        at += batch.num_rows();
    }
    Ok(out)
}
