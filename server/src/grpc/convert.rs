//! Conversions between `strata.v1` messages and engine types.

use std::collections::BTreeMap;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimestampMicrosecondType};
use prost_types::value::Kind;
use strata_engine::record::{Context, ErrorInfo, Metrics};
use strata_engine::schema::col;
use strata_engine::{LogLevel, StructuredLog};
use strata_proto::v1;

/// Validates and converts one typed record; the error is the rejection reason.
pub fn record_from_proto(r: v1::LogRecord) -> Result<StructuredLog, String> {
    let ctx = r.context.unwrap_or_default();
    let nonempty = |v: String, name: &str| {
        if v.trim().is_empty() {
            Err(format!("missing {name}"))
        } else {
            Ok(v)
        }
    };
    let workspace_id = nonempty(ctx.workspace_id, "context.workspace_id")?;
    let agent_id = nonempty(r.agent_id, "agent_id")?;
    let message = nonempty(r.message, "message")?;
    if r.timestamp_us == 0 {
        return Err("missing timestamp".into());
    }
    if r.log_level.is_empty() {
        return Err("missing log_level".into());
    }
    let log_level: LogLevel = r.log_level.parse()?;
    let attributes = r
        .attributes
        .map(|s| serde_json::Value::Object(struct_to_json(s)).to_string());
    let m = r.metrics.unwrap_or_default();
    Ok(StructuredLog {
        log_id: if r.log_id.is_empty() {
            ulid::Ulid::generate().to_string()
        } else {
            r.log_id
        },
        agent_id,
        execution_id: r.execution_id,
        timestamp_us: r.timestamp_us,
        log_level,
        message,
        service: r.service,
        component: r.component,
        trace_id: r.trace_id,
        span_id: r.span_id,
        parent_span_id: r.parent_span_id,
        context: Context {
            user_id: ctx.user_id,
            workspace_id,
            environment: ctx.environment,
            version: ctx.version,
            deployment_id: ctx.deployment_id,
        },
        metrics: Metrics {
            duration_ms: m.duration_ms,
            memory_mb: m.memory_mb,
            cpu_percent: m.cpu_percent,
            request_size_bytes: m.request_size_bytes,
            response_size_bytes: m.response_size_bytes,
        },
        error: r.error.map(|e| ErrorInfo {
            error_type: e.r#type,
            message: e.message,
            stack_trace: e.stack_trace,
            error_code: e.error_code,
            is_retriable: e.is_retriable,
        }),
        attributes,
    })
}

/// The typed form of a validated record.
pub fn record_to_proto(r: &StructuredLog) -> v1::LogRecord {
    let m = &r.metrics;
    v1::LogRecord {
        log_id: r.log_id.clone(),
        agent_id: r.agent_id.clone(),
        execution_id: r.execution_id.clone(),
        timestamp_us: r.timestamp_us,
        log_level: r.log_level.to_string(),
        message: r.message.clone(),
        service: r.service.clone(),
        component: r.component.clone(),
        trace_id: r.trace_id.clone(),
        span_id: r.span_id.clone(),
        parent_span_id: r.parent_span_id.clone(),
        context: Some(v1::Context {
            user_id: r.context.user_id.clone(),
            workspace_id: r.context.workspace_id.clone(),
            environment: r.context.environment.clone(),
            version: r.context.version.clone(),
            deployment_id: r.context.deployment_id.clone(),
        }),
        metrics: Some(v1::Metrics {
            duration_ms: m.duration_ms,
            memory_mb: m.memory_mb,
            cpu_percent: m.cpu_percent,
            request_size_bytes: m.request_size_bytes,
            response_size_bytes: m.response_size_bytes,
        }),
        error: r.error.as_ref().map(|e| v1::ErrorInfo {
            r#type: e.error_type.clone(),
            message: e.message.clone(),
            stack_trace: e.stack_trace.clone(),
            error_code: e.error_code.clone(),
            is_retriable: e.is_retriable,
        }),
        attributes: r.attributes.as_deref().and_then(json_text_to_struct),
    }
}

fn struct_to_json(s: prost_types::Struct) -> serde_json::Map<String, serde_json::Value> {
    s.fields
        .into_iter()
        .map(|(k, v)| (k, value_to_json(v)))
        .collect()
}

fn value_to_json(v: prost_types::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v.kind {
        None | Some(Kind::NullValue(_)) => J::Null,
        Some(Kind::BoolValue(b)) => J::Bool(b),
        Some(Kind::NumberValue(n)) => {
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                J::from(n as i64)
            } else {
                serde_json::Number::from_f64(n).map_or(J::Null, J::Number)
            }
        }
        Some(Kind::StringValue(s)) => J::String(s),
        Some(Kind::ListValue(l)) => J::Array(l.values.into_iter().map(value_to_json).collect()),
        Some(Kind::StructValue(s)) => J::Object(struct_to_json(s)),
    }
}

fn json_to_value(v: serde_json::Value) -> prost_types::Value {
    use serde_json::Value as J;
    let kind = match v {
        J::Null => Kind::NullValue(0),
        J::Bool(b) => Kind::BoolValue(b),
        J::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(0.0)),
        J::String(s) => Kind::StringValue(s),
        J::Array(a) => Kind::ListValue(prost_types::ListValue {
            values: a.into_iter().map(json_to_value).collect(),
        }),
        J::Object(o) => Kind::StructValue(json_to_struct(o)),
    };
    prost_types::Value { kind: Some(kind) }
}

fn json_to_struct(o: serde_json::Map<String, serde_json::Value>) -> prost_types::Struct {
    prost_types::Struct {
        fields: o
            .into_iter()
            .map(|(k, v)| (k, json_to_value(v)))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// Parses stored attributes text into a Struct (None if it is not an object).
pub fn json_text_to_struct(text: &str) -> Option<prost_types::Struct> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(o)) => Some(json_to_struct(o)),
        _ => None,
    }
}

/// A column of `batch` by name, cast to `to` (None if absent).
fn column(batch: &RecordBatch, name: &str, to: &DataType) -> Option<ArrayRef> {
    let idx = batch.schema().index_of(name).ok()?;
    arrow::compute::cast(batch.column(idx), to).ok()
}

/// The records of a `logs` batch (any projection containing its columns).
pub fn batch_to_proto(batch: &RecordBatch) -> Vec<v1::LogRecord> {
    let utf8 = DataType::Utf8;
    let s = |name: &str| column(batch, name, &utf8);
    let f = |name: &str| column(batch, name, &DataType::Float64);
    let i = |name: &str| column(batch, name, &DataType::Int64);
    let (log_id, agent_id, execution_id, level, message) = (
        s(col::LOG_ID),
        s(col::AGENT_ID),
        s(col::EXECUTION_ID),
        s(col::LOG_LEVEL),
        s(col::MESSAGE),
    );
    let (service, component, trace_id, span_id, parent) = (
        s(col::SERVICE),
        s(col::COMPONENT),
        s(col::TRACE_ID),
        s(col::SPAN_ID),
        s(col::PARENT_SPAN_ID),
    );
    let (user, ws, env, version, deployment) = (
        s(col::USER_ID),
        s(col::WORKSPACE_ID),
        s(col::ENVIRONMENT),
        s(col::VERSION),
        s(col::DEPLOYMENT_ID),
    );
    let (duration, memory, cpu, req, resp) = (
        f(col::DURATION_MS),
        f(col::MEMORY_MB),
        f(col::CPU_PERCENT),
        i(col::REQUEST_SIZE_BYTES),
        i(col::RESPONSE_SIZE_BYTES),
    );
    let (etype, emsg, ecode, stack, attrs) = (
        s(col::ERROR_TYPE),
        s(col::ERROR_MESSAGE),
        s(col::ERROR_CODE),
        s(col::STACK_TRACE),
        s(col::ATTRIBUTES),
    );
    let retriable = column(batch, col::IS_RETRIABLE, &DataType::Boolean);
    let ts = column(
        batch,
        col::TIMESTAMP,
        &strata_engine::schema::timestamp_type(),
    );
    let str_at = |a: &Option<ArrayRef>, row: usize| -> Option<String> {
        let a = a.as_ref()?;
        a.is_valid(row)
            .then(|| a.as_string::<i32>().value(row).to_string())
    };
    let f_at = |a: &Option<ArrayRef>, row: usize| -> Option<f64> {
        let a = a.as_ref()?;
        a.is_valid(row)
            .then(|| a.as_primitive::<Float64Type>().value(row))
    };
    let i_at = |a: &Option<ArrayRef>, row: usize| -> Option<i64> {
        let a = a.as_ref()?;
        a.is_valid(row)
            .then(|| a.as_primitive::<Int64Type>().value(row))
    };
    (0..batch.num_rows())
        .map(|row| {
            let has_error = [&etype, &emsg, &ecode, &stack]
                .iter()
                .any(|c| str_at(c, row).is_some());
            v1::LogRecord {
                log_id: str_at(&log_id, row).unwrap_or_default(),
                agent_id: str_at(&agent_id, row).unwrap_or_default(),
                execution_id: str_at(&execution_id, row),
                timestamp_us: ts
                    .as_ref()
                    .filter(|a| a.is_valid(row))
                    .map(|a| a.as_primitive::<TimestampMicrosecondType>().value(row))
                    .unwrap_or_default(),
                log_level: str_at(&level, row).unwrap_or_default(),
                message: str_at(&message, row).unwrap_or_default(),
                service: str_at(&service, row),
                component: str_at(&component, row),
                trace_id: str_at(&trace_id, row),
                span_id: str_at(&span_id, row),
                parent_span_id: str_at(&parent, row),
                context: Some(v1::Context {
                    user_id: str_at(&user, row),
                    workspace_id: str_at(&ws, row).unwrap_or_default(),
                    environment: str_at(&env, row),
                    version: str_at(&version, row),
                    deployment_id: str_at(&deployment, row),
                }),
                metrics: Some(v1::Metrics {
                    duration_ms: f_at(&duration, row),
                    memory_mb: f_at(&memory, row),
                    cpu_percent: f_at(&cpu, row),
                    request_size_bytes: i_at(&req, row),
                    response_size_bytes: i_at(&resp, row),
                }),
                error: has_error.then(|| v1::ErrorInfo {
                    r#type: str_at(&etype, row),
                    message: str_at(&emsg, row),
                    stack_trace: str_at(&stack, row),
                    error_code: str_at(&ecode, row),
                    is_retriable: retriable
                        .as_ref()
                        .filter(|a| a.is_valid(row))
                        .map(|a| a.as_boolean().value(row)),
                }),
                attributes: str_at(&attrs, row).as_deref().and_then(json_text_to_struct),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_engine::batch::records_to_batch;
    use strata_engine::sample::{SampleConfig, generate};

    #[test]
    fn records_round_trip_through_proto_and_batches() {
        let records = generate(&SampleConfig::default(), 500);
        let batch = records_to_batch(&records).unwrap();
        let protos = batch_to_proto(&batch);
        for (r, p) in records.iter().zip(protos) {
            assert_eq!(p, record_to_proto(r), "{}", r.log_id);
            let back = record_from_proto(p).unwrap();
            // attributes are re-serialized JSON: compare as values
            let norm = |a: &Option<String>| {
                a.as_deref()
                    .map(|t| serde_json::from_str::<serde_json::Value>(t).unwrap())
            };
            assert_eq!(norm(&back.attributes), norm(&r.attributes));
            assert_eq!(
                StructuredLog {
                    attributes: None,
                    ..back
                },
                StructuredLog {
                    attributes: None,
                    ..r.clone()
                }
            );
        }
    }

    #[test]
    fn invalid_typed_records_are_named() {
        let good = record_to_proto(&generate(&SampleConfig::default(), 1)[0]);
        let cases: Vec<(v1::LogRecord, &str)> = vec![
            (
                v1::LogRecord {
                    agent_id: String::new(),
                    ..good.clone()
                },
                "missing agent_id",
            ),
            (
                v1::LogRecord {
                    message: " ".into(),
                    ..good.clone()
                },
                "missing message",
            ),
            (
                v1::LogRecord {
                    timestamp_us: 0,
                    ..good.clone()
                },
                "missing timestamp",
            ),
            (
                v1::LogRecord {
                    log_level: "loud".into(),
                    ..good.clone()
                },
                "unknown log_level",
            ),
            (
                v1::LogRecord {
                    context: None,
                    ..good.clone()
                },
                "missing context.workspace_id",
            ),
        ];
        for (r, want) in cases {
            let err = record_from_proto(r).unwrap_err();
            assert!(err.contains(want), "{err} should mention {want}");
        }
    }
}
