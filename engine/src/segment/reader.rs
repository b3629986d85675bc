//! Reading a whole segment back (compaction, verification), in the
//! engine's schema.

use arrow::array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{decimal_floats, text_shapes};
use crate::error::{Error, Result};
use crate::schema::logs_schema;

/// Decodes every row of a segment's Parquet bytes, in file order, in the
/// engine's schema ([`to_logs_schema`]).
pub fn read_all(parquet: Bytes, segment_id: &str) -> Result<Vec<RecordBatch>> {
    let err = |source| Error::Parquet {
        segment_id: segment_id.to_string(),
        source,
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(parquet)
        .map_err(err)?
        .with_batch_size(64 * 1024)
        .build()
        .map_err(err)?;
    let mut out = Vec::new();
    for b in reader {
        out.push(to_logs_schema(&b?, segment_id)?);
    }
    Ok(out)
}

/// A whole stored row batch in the engine's schema and column order:
/// `message`, `attributes` and `stack_trace` rendered from their stored
/// shapes and variables, the metrics stored as decimals back as floats.
pub fn to_logs_schema(batch: &RecordBatch, segment: &str) -> Result<RecordBatch> {
    let batch = text_shapes::to_logs(batch, segment)?;
    let logs = logs_schema();
    let columns = logs
        .fields()
        .iter()
        .map(|f| decimal_floats::to_float(batch.column(batch.schema().index_of(f.name())?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(logs, columns)?)
}
