//! The Arrow schema of the `logs` table: the flattened `StructuredLog`.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Column names of the `logs` table, in schema order.
pub mod col {
    pub const LOG_ID: &str = "log_id";
    pub const AGENT_ID: &str = "agent_id";
    pub const EXECUTION_ID: &str = "execution_id";
    pub const TIMESTAMP: &str = "timestamp";
    pub const LOG_LEVEL: &str = "log_level";
    pub const MESSAGE: &str = "message";
    pub const SERVICE: &str = "service";
    pub const COMPONENT: &str = "component";
    pub const TRACE_ID: &str = "trace_id";
    pub const SPAN_ID: &str = "span_id";
    pub const PARENT_SPAN_ID: &str = "parent_span_id";
    pub const USER_ID: &str = "user_id";
    pub const WORKSPACE_ID: &str = "workspace_id";
    pub const ENVIRONMENT: &str = "environment";
    pub const VERSION: &str = "version";
    pub const DEPLOYMENT_ID: &str = "deployment_id";
    pub const DURATION_MS: &str = "duration_ms";
    pub const MEMORY_MB: &str = "memory_mb";
    pub const CPU_PERCENT: &str = "cpu_percent";
    pub const REQUEST_SIZE_BYTES: &str = "request_size_bytes";
    pub const RESPONSE_SIZE_BYTES: &str = "response_size_bytes";
    pub const ERROR_TYPE: &str = "error_type";
    pub const ERROR_MESSAGE: &str = "error_message";
    pub const ERROR_CODE: &str = "error_code";
    pub const IS_RETRIABLE: &str = "is_retriable";
    pub const STACK_TRACE: &str = "stack_trace";
    pub const ATTRIBUTES: &str = "attributes";
    pub const TEMPLATE_ID: &str = "template_id";
}

/// The timestamp type of the `logs` table: microseconds, UTC.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

static LOGS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    use col::*;
    let s = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let f = |name: &str| Field::new(name, DataType::Float64, true);
    let i = |name: &str| Field::new(name, DataType::Int64, true);
    Arc::new(Schema::new(vec![
        s(LOG_ID, false),
        s(AGENT_ID, false),
        s(EXECUTION_ID, true),
        Field::new(TIMESTAMP, timestamp_type(), false),
        s(LOG_LEVEL, false),
        s(MESSAGE, false),
        s(SERVICE, true),
        s(COMPONENT, true),
        s(TRACE_ID, true),
        s(SPAN_ID, true),
        s(PARENT_SPAN_ID, true),
        s(USER_ID, true),
        s(WORKSPACE_ID, false),
        s(ENVIRONMENT, true),
        s(VERSION, true),
        s(DEPLOYMENT_ID, true),
        f(DURATION_MS),
        f(MEMORY_MB),
        f(CPU_PERCENT),
        i(REQUEST_SIZE_BYTES),
        i(RESPONSE_SIZE_BYTES),
        s(ERROR_TYPE, true),
        s(ERROR_MESSAGE, true),
        s(ERROR_CODE, true),
        Field::new(IS_RETRIABLE, DataType::Boolean, true),
        s(STACK_TRACE, true),
        s(ATTRIBUTES, true),
        i(TEMPLATE_ID),
    ]))
});

/// The schema of the `logs` table (and of every segment and memtable batch).
pub fn logs_schema() -> SchemaRef {
    Arc::clone(&LOGS_SCHEMA)
}

/// Columns indexed as single raw terms in the full-text index, queryable as
/// `field:value` in a search query. The per-record ids
/// ([`UNINDEXED_RAW_COLUMNS`]) are left out: they would be most of the
/// index's terms (half its size, half its build time) for lookups that the
/// Parquet bloom filters answer as well.
pub const RAW_TERM_COLUMNS: &[&str] = &[
    col::AGENT_ID,
    col::EXECUTION_ID,
    col::TRACE_ID,
    col::SERVICE,
    col::COMPONENT,
    col::LOG_LEVEL,
    col::USER_ID,
    col::ERROR_TYPE,
    col::ERROR_CODE,
];

/// Raw search fields found through Parquet (bloom filter, then the column)
/// rather than the full-text index.
pub const UNINDEXED_RAW_COLUMNS: &[&str] = &[col::LOG_ID, col::SPAN_ID, col::PARENT_SPAN_ID];

/// Columns indexed as tokenized full text.
pub const TEXT_COLUMNS: &[&str] = &[col::MESSAGE, col::ERROR_MESSAGE, col::STACK_TRACE];

/// String columns for which segments keep min/max statistics in the manifest,
/// used to prune segments before opening them.
pub const STATS_COLUMNS: &[&str] = &[
    col::AGENT_ID,
    col::SERVICE,
    col::LOG_LEVEL,
    col::TRACE_ID,
    col::EXECUTION_ID,
    col::COMPONENT,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_raw_search_field_is_indexed_or_found_through_parquet() {
        let mut both: Vec<&str> = RAW_TERM_COLUMNS
            .iter()
            .chain(UNINDEXED_RAW_COLUMNS)
            .copied()
            .collect();
        both.sort_unstable();
        let mut fields = crate::text_query::RAW_FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(both, fields, "each raw field in exactly one of the lists");
    }

    #[test]
    fn schema_has_the_28_design_columns_in_order() {
        let names: Vec<_> = logs_schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let expected = "log_id, agent_id, execution_id, timestamp, log_level, message, service, \
             component, trace_id, span_id, parent_span_id, user_id, workspace_id, \
             environment, version, deployment_id, duration_ms, memory_mb, cpu_percent, \
             request_size_bytes, response_size_bytes, error_type, error_message, \
             error_code, is_retriable, stack_trace, attributes, template_id";
        assert_eq!(names.join(", "), expected);
    }
}
