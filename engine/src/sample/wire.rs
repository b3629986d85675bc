//! The NDJSON wire form of a record: the nested shape of the record model.

use chrono::{DateTime, SecondsFormat};
use serde::{Serialize, Serializer};

use crate::record::{Context, ErrorInfo, LogLevel, Metrics, StructuredLog};

/// `timestamp`: RFC 3339 with microseconds and `Z`.
struct Timestamp(i64);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match DateTime::from_timestamp_micros(self.0) {
            Some(t) => serializer.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Micros, true)),
            // Beyond chrono's ±262,000 years: epoch milliseconds, the wire's
            // numeric timestamp form.
            None => serializer.serialize_i64(self.0.div_euclid(1000)),
        }
    }
}

#[derive(Serialize)]
struct WireRecord<'a> {
    log_id: &'a str,
    agent_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_id: Option<&'a str>,
    timestamp: Timestamp,
    log_level: LogLevel,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    span_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<&'a str>,
    context: WireContext<'a>,
    #[serde(skip_serializing_if = "WireMetrics::is_empty")]
    metrics: WireMetrics,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<WireError<'a>>,
}

#[derive(Serialize)]
struct WireContext<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    workspace_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deployment_id: Option<&'a str>,
}

#[derive(Serialize)]
struct WireMetrics {
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memory_mb: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpu_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_size_bytes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_size_bytes: Option<i64>,
}

impl WireMetrics {
    fn is_empty(&self) -> bool {
        self.duration_ms.is_none()
            && self.memory_mb.is_none()
            && self.cpu_percent.is_none()
            && self.request_size_bytes.is_none()
            && self.response_size_bytes.is_none()
    }
}

#[derive(Serialize)]
struct WireError<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    error_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stack_trace: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_retriable: Option<bool>,
}

fn context(c: &Context) -> WireContext<'_> {
    WireContext {
        user_id: c.user_id.as_deref(),
        workspace_id: &c.workspace_id,
        environment: c.environment.as_deref(),
        version: c.version.as_deref(),
        deployment_id: c.deployment_id.as_deref(),
    }
}

/// Non-finite floats have no JSON form; they are left out.
fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|x| x.is_finite())
}

fn metrics(m: &Metrics) -> WireMetrics {
    WireMetrics {
        duration_ms: finite(m.duration_ms),
        memory_mb: finite(m.memory_mb),
        cpu_percent: finite(m.cpu_percent),
        request_size_bytes: m.request_size_bytes,
        response_size_bytes: m.response_size_bytes,
    }
}

fn error(e: &ErrorInfo) -> WireError<'_> {
    WireError {
        error_type: e.error_type.as_deref(),
        message: e.message.as_deref(),
        stack_trace: e.stack_trace.as_deref(),
        error_code: e.error_code.as_deref(),
        is_retriable: e.is_retriable,
    }
}

/// The NDJSON wire form of `record`, one line without the trailing `\n`.
///
/// Keys follow the record model's nesting and order: `log_id`, `agent_id`,
/// `execution_id`, `timestamp` (RFC 3339, microseconds, `Z`), `log_level`,
/// `message`, `service`, `component`, `trace_id`, `span_id`,
/// `parent_span_id`, `context{…}`, `metrics{…}`, `error{type, …}`,
/// `attributes`. Keys whose value is `None` are left out, as are `metrics`
/// when all its values are `None`, `error` when `None`, and non-finite
/// floats.
///
/// `attributes` is embedded as the JSON object it holds (line breaks, which
/// in valid JSON can only be whitespace, are dropped to keep one line). Text
/// that is not a JSON object is embedded as a JSON string instead, so the
/// line always parses (the NDJSON decoder then refuses that record). A
/// timestamp beyond chrono's range (±262,000 years) is written in the wire's
/// numeric form, an integer of epoch milliseconds.
pub fn to_ndjson_line(record: &StructuredLog) -> String {
    let wire = WireRecord {
        log_id: &record.log_id,
        agent_id: &record.agent_id,
        execution_id: record.execution_id.as_deref(),
        timestamp: Timestamp(record.timestamp_us),
        log_level: record.log_level,
        message: &record.message,
        service: record.service.as_deref(),
        component: record.component.as_deref(),
        trace_id: record.trace_id.as_deref(),
        span_id: record.span_id.as_deref(),
        parent_span_id: record.parent_span_id.as_deref(),
        context: context(&record.context),
        metrics: metrics(&record.metrics),
        error: record.error.as_ref().map(error),
    };
    let mut line = serde_json::to_string(&wire)
        .expect("invariant: a WireRecord serializes (string keys, finite floats)");
    if let Some(attributes) = &record.attributes {
        // `line` ends with the record's closing brace; reopen it.
        line.pop();
        line.push_str(",\"attributes\":");
        let text = attributes.trim();
        if text.starts_with('{') && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
            if text.contains(['\n', '\r']) {
                line.extend(text.chars().filter(|&c| c != '\n' && c != '\r'));
            } else {
                line.push_str(text);
            }
        } else {
            line.push_str(
                &serde_json::to_string(attributes).expect("invariant: a string serializes to JSON"),
            );
        }
        line.push('}');
    }
    line
}
