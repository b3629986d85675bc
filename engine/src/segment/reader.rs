//! Reading a whole segment back (compaction, verification), in the
//! engine's schema.

use arrow::array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::text_shapes;
use crate::error::{Error, Result};

/// Decodes every row of a segment's Parquet bytes, in file order, with
/// `message`, `attributes` and `stack_trace` rendered from their stored
/// shapes and variables.
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
        out.push(text_shapes::to_logs_schema(&b?, segment_id)?);
    }
    Ok(out)
}
