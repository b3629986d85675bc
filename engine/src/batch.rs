//! Conversion of validated records into Arrow batches of the `logs` schema.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
    TimestampMicrosecondBuilder,
};

use crate::error::Result;
use crate::record::StructuredLog;
use crate::schema::logs_schema;

/// Builds one `logs` batch from `records`, in their order, with a null
/// `template_id`.
pub fn records_to_batch(records: &[StructuredLog]) -> Result<RecordBatch> {
    records_to_batch_with_templates(records, None)
}

/// Builds one `logs` batch from `records` and their template ids (one per
/// record, from the template miner).
pub fn records_to_batch_with_templates(
    records: &[StructuredLog],
    template_ids: Option<&[i64]>,
) -> Result<RecordBatch> {
    let n = records.len();
    let strings = || StringBuilder::with_capacity(n, n * 16);
    let mut log_id = strings();
    let mut agent_id = strings();
    let mut execution_id = strings();
    let mut timestamp = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut log_level = strings();
    let mut message = StringBuilder::with_capacity(n, n * 64);
    let mut service = strings();
    let mut component = strings();
    let mut trace_id = strings();
    let mut span_id = strings();
    let mut parent_span_id = strings();
    let mut user_id = strings();
    let mut workspace_id = strings();
    let mut environment = strings();
    let mut version = strings();
    let mut deployment_id = strings();
    let mut duration_ms = Float64Builder::with_capacity(n);
    let mut memory_mb = Float64Builder::with_capacity(n);
    let mut cpu_percent = Float64Builder::with_capacity(n);
    let mut request_size = Int64Builder::with_capacity(n);
    let mut response_size = Int64Builder::with_capacity(n);
    let mut error_type = strings();
    let mut error_message = strings();
    let mut error_code = strings();
    let mut is_retriable = BooleanBuilder::with_capacity(n);
    let mut stack_trace = strings();
    let mut attributes = strings();
    let mut template_id = Int64Builder::with_capacity(n);

    for (i, r) in records.iter().enumerate() {
        log_id.append_value(&r.log_id);
        agent_id.append_value(&r.agent_id);
        execution_id.append_option(r.execution_id.as_deref());
        timestamp.append_value(r.timestamp_us);
        log_level.append_value(r.log_level.as_str());
        message.append_value(&r.message);
        service.append_option(r.service.as_deref());
        component.append_option(r.component.as_deref());
        trace_id.append_option(r.trace_id.as_deref());
        span_id.append_option(r.span_id.as_deref());
        parent_span_id.append_option(r.parent_span_id.as_deref());
        let c = &r.context;
        user_id.append_option(c.user_id.as_deref());
        workspace_id.append_value(&c.workspace_id);
        environment.append_option(c.environment.as_deref());
        version.append_option(c.version.as_deref());
        deployment_id.append_option(c.deployment_id.as_deref());
        let m = &r.metrics;
        duration_ms.append_option(m.duration_ms);
        memory_mb.append_option(m.memory_mb);
        cpu_percent.append_option(m.cpu_percent);
        request_size.append_option(m.request_size_bytes);
        response_size.append_option(m.response_size_bytes);
        let e = r.error.as_ref();
        error_type.append_option(e.and_then(|e| e.error_type.as_deref()));
        error_message.append_option(e.and_then(|e| e.message.as_deref()));
        error_code.append_option(e.and_then(|e| e.error_code.as_deref()));
        is_retriable.append_option(e.and_then(|e| e.is_retriable));
        stack_trace.append_option(e.and_then(|e| e.stack_trace.as_deref()));
        attributes.append_option(r.attributes.as_deref());
        template_id.append_option(template_ids.and_then(|t| t.get(i).copied()));
    }

    let columns: Vec<ArrayRef> = vec![
        Arc::new(log_id.finish()),
        Arc::new(agent_id.finish()),
        Arc::new(execution_id.finish()),
        Arc::new(timestamp.finish()),
        Arc::new(log_level.finish()),
        Arc::new(message.finish()),
        Arc::new(service.finish()),
        Arc::new(component.finish()),
        Arc::new(trace_id.finish()),
        Arc::new(span_id.finish()),
        Arc::new(parent_span_id.finish()),
        Arc::new(user_id.finish()),
        Arc::new(workspace_id.finish()),
        Arc::new(environment.finish()),
        Arc::new(version.finish()),
        Arc::new(deployment_id.finish()),
        Arc::new(duration_ms.finish()),
        Arc::new(memory_mb.finish()),
        Arc::new(cpu_percent.finish()),
        Arc::new(request_size.finish()),
        Arc::new(response_size.finish()),
        Arc::new(error_type.finish()),
        Arc::new(error_message.finish()),
        Arc::new(error_code.finish()),
        Arc::new(is_retriable.finish()),
        Arc::new(stack_trace.finish()),
        Arc::new(attributes.finish()),
        Arc::new(template_id.finish()),
    ];
    Ok(RecordBatch::try_new(logs_schema(), columns)?)
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

    #[test]
    fn timestamp_index_matches_schema() {
        assert_eq!(
            logs_schema().index_of(col::TIMESTAMP).ok(),
            Some(timestamp_index())
        );
    }
}
