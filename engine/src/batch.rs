//! Conversion of validated records into Arrow batches of the `logs` schema.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringBuilder,
    TimestampMicrosecondArray,
};

use crate::error::Result;
use crate::record::{ErrorInfo, StructuredLog};
use crate::schema::logs_schema;

/// Builds one `logs` batch from `records`, in their order, with a null
/// `template_id`.
pub fn records_to_batch(records: &[StructuredLog]) -> Result<RecordBatch> {
    records_to_batch_with_templates(records, None)
}

/// Builds one `logs` batch from `records` and their template ids (one per
/// record, from the template miner).
///
/// Columns are built one at a time with buffers of exactly the size they
/// need: the batch lives on in the memtable until it is flushed, and
/// growing builders left up to half of every string buffer unused
/// (BENCHMARKS.md, "Optimization round 6").
pub fn records_to_batch_with_templates(
    records: &[StructuredLog],
    template_ids: Option<&[i64]>,
) -> Result<RecordBatch> {
    let text = |value: fn(&StructuredLog) -> Option<&str>| string_column(records, value);
    let error = |value: fn(&ErrorInfo) -> Option<&str>| {
        string_column(records, move |r| r.error.as_ref().and_then(value))
    };
    let float = |value: fn(&StructuredLog) -> Option<f64>| -> ArrayRef {
        Arc::new(records.iter().map(value).collect::<Float64Array>())
    };
    let int = |value: fn(&StructuredLog) -> Option<i64>| -> ArrayRef {
        Arc::new(records.iter().map(value).collect::<Int64Array>())
    };
    let timestamps: TimestampMicrosecondArray =
        records.iter().map(|r| Some(r.timestamp_us)).collect();
    let retriable: BooleanArray = records
        .iter()
        .map(|r| r.error.as_ref().and_then(|e| e.is_retriable))
        .collect();
    let templates: Int64Array = (0..records.len())
        .map(|i| template_ids.and_then(|t| t.get(i).copied()))
        .collect();
    let columns: Vec<ArrayRef> = vec![
        text(|r| Some(&r.log_id)),
        text(|r| Some(&r.agent_id)),
        text(|r| r.execution_id.as_deref()),
        Arc::new(timestamps.with_timezone("UTC")),
        text(|r| Some(r.log_level.as_str())),
        text(|r| Some(&r.message)),
        text(|r| r.service.as_deref()),
        text(|r| r.component.as_deref()),
        text(|r| r.trace_id.as_deref()),
        text(|r| r.span_id.as_deref()),
        text(|r| r.parent_span_id.as_deref()),
        text(|r| r.context.user_id.as_deref()),
        text(|r| Some(&r.context.workspace_id)),
        text(|r| r.context.environment.as_deref()),
        text(|r| r.context.version.as_deref()),
        text(|r| r.context.deployment_id.as_deref()),
        float(|r| r.metrics.duration_ms),
        float(|r| r.metrics.memory_mb),
        float(|r| r.metrics.cpu_percent),
        int(|r| r.metrics.request_size_bytes),
        int(|r| r.metrics.response_size_bytes),
        error(|e| e.error_type.as_deref()),
        error(|e| e.message.as_deref()),
        error(|e| e.error_code.as_deref()),
        Arc::new(retriable),
        error(|e| e.stack_trace.as_deref()),
        text(|r| r.attributes.as_deref()),
        Arc::new(templates),
    ];
    Ok(RecordBatch::try_new(logs_schema(), columns)?)
}

/// One string column of `records`, its value buffer sized exactly.
fn string_column<'a>(
    records: &'a [StructuredLog],
    value: impl Fn(&'a StructuredLog) -> Option<&'a str>,
) -> ArrayRef {
    let bytes = records.iter().map(|r| value(r).map_or(0, str::len)).sum();
    let mut column = StringBuilder::with_capacity(records.len(), bytes);
    for r in records {
        column.append_option(value(r));
    }
    Arc::new(column.finish())
}

/// Rows of a batch sorted by `timestamp` (stable), as a new batch.
pub fn sort_by_timestamp(batch: &RecordBatch) -> Result<RecordBatch> {
    let ts = batch.column(timestamp_index());
    let indices = arrow::compute::sort_to_indices(ts, None, None)?;
    Ok(arrow::compute::take_record_batch(batch, &indices)?)
}

/// Position of the `timestamp` column in the `logs` schema.
pub fn timestamp_index() -> usize {
    3
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::col;
    use arrow::array::{Array, AsArray};

    fn text(batch: &RecordBatch, name: &str, row: usize) -> Option<String> {
        let c = batch.column_by_name(name).unwrap().as_string::<i32>();
        c.is_valid(row).then(|| c.value(row).to_string())
    }

    #[test]
    fn string_buffers_are_sized_exactly_and_hold_the_records() {
        let records = crate::sample::generate(&crate::sample::SampleConfig::default(), 2_000);
        let ids: Vec<i64> = (0..records.len() as i64).collect();
        let batch = records_to_batch_with_templates(&records, Some(&ids)).unwrap();
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            if let Some(strings) = column.as_string_opt::<i32>() {
                let values = strings.values();
                // capacities are rounded up to 64 bytes, no further
                assert!(
                    values.capacity() < values.len() + 64,
                    "{}: {} bytes allocated for {}",
                    field.name(),
                    values.capacity(),
                    values.len()
                );
            }
        }
        // every record's values in its row
        let duration = batch.column_by_name(col::DURATION_MS).unwrap();
        let duration = duration.as_primitive::<arrow::datatypes::Float64Type>();
        let retriable = batch
            .column_by_name(col::IS_RETRIABLE)
            .unwrap()
            .as_boolean();
        let template = batch.column_by_name(col::TEMPLATE_ID).unwrap();
        let template = template.as_primitive::<arrow::datatypes::Int64Type>();
        for (i, r) in records.iter().enumerate() {
            let at = |name| text(&batch, name, i);
            let e = r.error.as_ref();
            assert_eq!(at(col::LOG_ID).as_deref(), Some(r.log_id.as_str()));
            assert_eq!(at(col::LOG_LEVEL).as_deref(), Some(r.log_level.as_str()));
            assert_eq!(at(col::MESSAGE).as_deref(), Some(r.message.as_str()));
            assert_eq!(at(col::SERVICE), r.service);
            assert_eq!(at(col::PARENT_SPAN_ID), r.parent_span_id);
            assert_eq!(at(col::DEPLOYMENT_ID), r.context.deployment_id);
            assert_eq!(at(col::ATTRIBUTES), r.attributes);
            assert_eq!(at(col::STACK_TRACE), e.and_then(|e| e.stack_trace.clone()));
            assert_eq!(at(col::ERROR_CODE), e.and_then(|e| e.error_code.clone()));
            let flag = e.and_then(|e| e.is_retriable);
            assert_eq!(retriable.is_valid(i).then(|| retriable.value(i)), flag);
            let d = r.metrics.duration_ms;
            assert_eq!(duration.is_valid(i).then(|| duration.value(i)), d);
            assert_eq!(template.value(i), i as i64);
        }
        assert!(records.iter().any(|r| r.error.is_some()));
        assert!(records.iter().any(|r| r.parent_span_id.is_none()));
    }

    #[test]
    fn timestamp_index_matches_schema() {
        assert_eq!(
            logs_schema().index_of(col::TIMESTAMP).ok(),
            Some(timestamp_index())
        );
    }
}
