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
    let timestamps =
        TimestampMicrosecondArray::from_iter_values(records.iter().map(|r| r.timestamp_us));
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
                // no slack beyond the allocator's rounding
                assert!(
                    values.capacity() < values.len() + 64,
                    "{}: {} bytes allocated for {}",
                    field.name(),
                    values.capacity(),
                    values.len()
                );
            }
        }
        // every record's values in its row, column by column
        type Text = fn(&StructuredLog) -> Option<String>;
        let texts: [(&str, Text); 20] = [
            (col::LOG_ID, |r| Some(r.log_id.clone())),
            (col::AGENT_ID, |r| Some(r.agent_id.clone())),
            (col::EXECUTION_ID, |r| r.execution_id.clone()),
            (col::LOG_LEVEL, |r| Some(r.log_level.as_str().to_string())),
            (col::MESSAGE, |r| Some(r.message.clone())),
            (col::SERVICE, |r| r.service.clone()),
            (col::COMPONENT, |r| r.component.clone()),
            (col::TRACE_ID, |r| r.trace_id.clone()),
            (col::SPAN_ID, |r| r.span_id.clone()),
            (col::PARENT_SPAN_ID, |r| r.parent_span_id.clone()),
            (col::USER_ID, |r| r.context.user_id.clone()),
            (col::WORKSPACE_ID, |r| Some(r.context.workspace_id.clone())),
            (col::ENVIRONMENT, |r| r.context.environment.clone()),
            (col::VERSION, |r| r.context.version.clone()),
            (col::DEPLOYMENT_ID, |r| r.context.deployment_id.clone()),
            (col::ERROR_TYPE, |r| r.error.as_ref()?.error_type.clone()),
            (col::ERROR_MESSAGE, |r| r.error.as_ref()?.message.clone()),
            (col::ERROR_CODE, |r| r.error.as_ref()?.error_code.clone()),
            (col::STACK_TRACE, |r| r.error.as_ref()?.stack_trace.clone()),
            (col::ATTRIBUTES, |r| r.attributes.clone()),
        ];
        type Float = fn(&StructuredLog) -> Option<f64>;
        let floats: [(&str, Float); 3] = [
            (col::DURATION_MS, |r| r.metrics.duration_ms),
            (col::MEMORY_MB, |r| r.metrics.memory_mb),
            (col::CPU_PERCENT, |r| r.metrics.cpu_percent),
        ];
        type Int = fn(&StructuredLog) -> Option<i64>;
        let ints: [(&str, Int); 3] = [
            (col::REQUEST_SIZE_BYTES, |r| r.metrics.request_size_bytes),
            (col::RESPONSE_SIZE_BYTES, |r| r.metrics.response_size_bytes),
            (col::TIMESTAMP, |r| Some(r.timestamp_us)),
        ];
        let column = |name: &str| batch.column_by_name(name).unwrap().clone();
        let retriable = column(col::IS_RETRIABLE);
        let retriable = retriable.as_boolean();
        let template = column(col::TEMPLATE_ID);
        let template = template.as_primitive::<arrow::datatypes::Int64Type>();
        for (i, r) in records.iter().enumerate() {
            for (name, value) in &texts {
                assert_eq!(text(&batch, name, i), value(r), "{name} of row {i}");
            }
            for (name, value) in &floats {
                let c = column(name);
                let c = c.as_primitive::<arrow::datatypes::Float64Type>();
                assert_eq!(c.is_valid(i).then(|| c.value(i)), value(r), "{name}");
            }
            for (name, value) in &ints {
                let c = arrow::compute::cast(&column(name), &arrow::datatypes::DataType::Int64);
                let c = c.unwrap();
                let c = c.as_primitive::<arrow::datatypes::Int64Type>();
                assert_eq!(c.is_valid(i).then(|| c.value(i)), value(r), "{name}");
            }
            let flag = r.error.as_ref().and_then(|e| e.is_retriable);
            assert_eq!(retriable.is_valid(i).then(|| retriable.value(i)), flag);
            assert_eq!(template.value(i), i as i64);
        }
        assert_eq!(
            texts.len() + floats.len() + ints.len() + 2,
            batch.num_columns()
        );
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
