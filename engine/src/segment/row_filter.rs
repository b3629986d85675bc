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

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use futures::TryStreamExt;
use object_store::ObjectStore;
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::ProjectionMask;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::bloom_filter::Sbbf;
use parquet::errors::ParquetError;

use super::SegmentMeta;
use super::object_reader::{ObjectReader, SegmentFile, parquet_err};
use super::row_selection::{RowsToRead, rows_to_read};
use super::text_shapes;
use crate::error::Result;
use crate::text_query::TextQuery;

/// Row ordinals (ascending) of the segment `meta` (opened as `file`) that
/// match `query`, among `candidates` (ascending ordinals) when given, else
/// among all rows. Only the pages holding the candidates are fetched when
/// `file` was opened with its page index.
pub async fn matching_rows(
    file: &SegmentFile,
    meta: &SegmentMeta,
    query: &TextQuery,
    candidates: Option<&[u32]>,
) -> Result<Vec<u32>> {
    let err = parquet_err(meta);
    let mut builder = file.builder();

    let fields = query.fields();
    let schema = builder.schema().clone();
    // the fields' columns, and those their rendering may refer to (read
    // only when a row does)
    let (mut roots, mut referenced) = (Vec::new(), Vec::new());
    for f in &fields {
        roots.extend(text_shapes::stored_columns(&schema, f)?);
        referenced.extend(text_shapes::referenced_columns(&schema, f)?);
    }
    referenced.retain(|c| !roots.contains(c));
    referenced.sort_unstable();
    referenced.dedup();
    let required = query.required_equalities();

    let mut columns: Vec<&str> = required.iter().map(|(field, _)| *field).collect();
    columns.sort_unstable();
    columns.dedup();
    let possible = SegmentBlooms::from_builder(&mut builder, &columns)
        .await
        .map_err(&err)?
        .row_groups_allowing(&required);
    let group_rows: Vec<u64> = builder
        .metadata()
        .row_groups()
        .iter()
        .map(|rg| rg.num_rows() as u64)
        .collect();
    let read = rows_to_read(&group_rows, |g| possible[g], candidates);
    if read.ordinals.is_empty() {
        return Ok(Vec::new());
    }
    let mut batches = read_rows(builder, roots, &read, meta).await?;
    if !referenced.is_empty() && batches.iter().any(text_shapes::holds_references) {
        // the same rows, in the same batches, of the referenced columns
        let fields = read_rows(file.builder(), referenced, &read, meta).await?;
        batches = beside(&batches, &fields, meta)?;
    }

    let mut out = Vec::new();
    let mut at = 0usize;
    for batch in &batches {
        let hits = query.evaluate(&text_shapes::to_logs(batch, &meta.id)?)?;
        for i in 0..batch.num_rows() {
            if hits.value(i) {
                out.push(read.ordinals[at + i]);
            }
        }
        at += batch.num_rows();
    }
    Ok(out)
}

/// The columns `roots` of the rows `read` selects, in batches of up to
/// 64k rows.
async fn read_rows(
    builder: ParquetRecordBatchStreamBuilder<ObjectReader>,
    roots: Vec<usize>,
    read: &RowsToRead,
    meta: &SegmentMeta,
) -> Result<Vec<RecordBatch>> {
    let err = parquet_err(meta);
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let stream = builder
        .with_row_groups(read.row_groups.clone())
        .with_row_selection(read.selection.clone())
        .with_projection(mask)
        .with_batch_size(64 * 1024)
        .build()
        .map_err(&err)?;
    stream.try_collect().await.map_err(err)
}

/// Each of `batches` with the columns of the same rows in `more` beside
/// it (two reads of one row selection, split into batches alike).
fn beside(
    batches: &[RecordBatch],
    more: &[RecordBatch],
    meta: &SegmentMeta,
) -> Result<Vec<RecordBatch>> {
    let rows = |b: &[RecordBatch]| b.iter().map(RecordBatch::num_rows).collect::<Vec<_>>();
    if rows(batches) != rows(more) {
        return Err(crate::error::Error::Corrupt {
            what: format!("segment {}", meta.id),
            reason: "two reads of the same rows came back differently".into(),
        });
    }
    batches
        .iter()
        .zip(more)
        .map(|(b, m)| {
            let mut fields: Vec<_> = b.schema().fields().iter().cloned().collect();
            fields.extend(m.schema().fields().iter().cloned());
            let mut columns = b.columns().to_vec();
            columns.extend(m.columns().iter().cloned());
            Ok(RecordBatch::try_new(
                Arc::new(Schema::new(fields)),
                columns,
            )?)
        })
        .collect()
}

/// Bytes of one block of a split-block bloom filter (eight 32-bit words).
const BLOOM_BLOCK_BYTES: usize = 32;

/// The Parquet bloom filters of some of a segment's columns, one per row
/// group (`None` where a row group has none), kept in memory so that a
/// lookup can rule the segment out without reading anything.
#[derive(Debug)]
pub struct SegmentBlooms {
    row_groups: usize,
    columns: Vec<(String, Vec<Option<Sbbf>>)>,
}

impl SegmentBlooms {
    /// Reads the footer and the filters of `columns` (a column the file
    /// lacks is kept with none).
    pub async fn read(
        store: Arc<dyn ObjectStore>,
        meta: &SegmentMeta,
        columns: &[&str],
    ) -> Result<SegmentBlooms> {
        let mut builder = SegmentFile::open(store, meta, false).await?.builder();
        Self::from_builder(&mut builder, columns)
            .await
            .map_err(parquet_err(meta))
    }

    /// The filters of `columns` in the file `builder` has opened.
    async fn from_builder<T: AsyncFileReader + Send + 'static>(
        builder: &mut ParquetRecordBatchStreamBuilder<T>,
        columns: &[&str],
    ) -> std::result::Result<SegmentBlooms, ParquetError> {
        let schema = builder.schema().clone();
        let row_groups = builder.metadata().num_row_groups();
        let mut out = Vec::with_capacity(columns.len());
        for name in columns {
            let mut groups = Vec::with_capacity(row_groups);
            // a column the file lacks is kept as having no filter
            if let Ok(column) = schema.index_of(name) {
                for rg in 0..row_groups {
                    groups.push(
                        builder
                            .get_row_group_column_bloom_filter(rg, column)
                            .await?,
                    );
                }
            }
            out.push((name.to_string(), groups));
        }
        Ok(SegmentBlooms {
            row_groups,
            columns: out,
        })
    }

    /// For each row group, whether its filters allow every `(column,
    /// value)` of `required` (a column without filters here allows all).
    pub fn row_groups_allowing(&self, required: &[(&str, &str)]) -> Vec<bool> {
        (0..self.row_groups)
            .map(|rg| {
                required.iter().all(|(field, value)| {
                    self.columns
                        .iter()
                        .find(|(name, _)| name == field)
                        .and_then(|(_, groups)| groups.get(rg)?.as_ref())
                        .is_none_or(|bloom| bloom.check(*value))
                })
            })
            .collect()
    }

    /// True when no row group may hold a row with every `(column, value)`
    /// of `required`, so no row of the segment can match.
    pub fn rules_out(&self, required: &[(&str, &str)]) -> bool {
        !self.row_groups_allowing(required).contains(&true)
    }

    /// True when the filters of `column` were read (or found missing).
    pub fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|(name, _)| name == column)
    }

    /// These filters and `other`'s.
    pub fn with(&self, other: SegmentBlooms) -> SegmentBlooms {
        let mut columns = self.columns.clone();
        columns.extend(other.columns);
        SegmentBlooms {
            row_groups: self.row_groups,
            columns,
        }
    }

    /// Bytes the filters hold.
    pub fn size_bytes(&self) -> usize {
        self.columns
            .iter()
            .flat_map(|(_, groups)| groups.iter().flatten())
            .map(|b| b.num_blocks() * BLOOM_BLOCK_BYTES)
            .sum()
    }
}
