//! NDJSON decoding and validation at the edge.
//!
//! Each line is one `StructuredLog` in its nested wire shape. A line that is
//! not valid UTF-8, not a JSON object of that shape, larger than the size
//! limit, missing `context.workspace_id`, `agent_id`, `message` or a valid
//! `timestamp`, or with an unknown `log_level` is rejected alone with its
//! line index and a reason; the other lines are accepted. Blank lines are
//! skipped.

use chrono::DateTime;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::record::{Context, ErrorInfo, LogLevel, Metrics, Rejection, StructuredLog};

/// Default limit on the size of one record, in bytes.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

/// The outcome of decoding a batch of NDJSON lines.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The valid records, in input order.
    pub records: Vec<StructuredLog>,
    /// For each record in `records`, its line index in the input.
    pub line_of: Vec<usize>,
    /// The refused lines with their reasons, in input order.
    pub rejections: Vec<Rejection>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawTimestamp {
    Int(i64),
    Float(f64),
    Text(String),
}

#[derive(Deserialize, Default)]
struct RawContext {
    user_id: Option<String>,
    workspace_id: Option<String>,
    environment: Option<String>,
    version: Option<String>,
    deployment_id: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawMetrics {
    duration_ms: Option<f64>,
    memory_mb: Option<f64>,
    cpu_percent: Option<f64>,
    request_size_bytes: Option<i64>,
    response_size_bytes: Option<i64>,
}

#[derive(Deserialize, Default)]
struct RawError {
    #[serde(rename = "type")]
    error_type: Option<String>,
    message: Option<String>,
    stack_trace: Option<String>,
    error_code: Option<String>,
    is_retriable: Option<bool>,
}

#[derive(Deserialize)]
struct RawLog<'a> {
    log_id: Option<String>,
    agent_id: Option<String>,
    execution_id: Option<String>,
    timestamp: Option<RawTimestamp>,
    log_level: Option<String>,
    message: Option<String>,
    service: Option<String>,
    component: Option<String>,
    trace_id: Option<String>,
    span_id: Option<String>,
    parent_span_id: Option<String>,
    context: Option<RawContext>,
    metrics: Option<RawMetrics>,
    error: Option<RawError>,
    #[serde(borrow)]
    attributes: Option<&'a RawValue>,
}

/// Decodes NDJSON `input` (one record per line), validating every record.
pub fn decode_batch(input: &[u8], max_record_bytes: usize) -> Decoded {
    let mut out = Decoded::default();
    for (index, line) in input.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match decode_line(line, max_record_bytes) {
            Ok(record) => {
                out.records.push(record);
                out.line_of.push(index);
            }
            Err(reason) => out.rejections.push(Rejection { index, reason }),
        }
    }
    out
}

/// Decodes and validates one NDJSON line; the error is the rejection reason.
pub fn decode_line(line: &[u8], max_record_bytes: usize) -> Result<StructuredLog, String> {
    if line.len() > max_record_bytes {
        return Err(format!(
            "record is {} bytes, over the limit of {max_record_bytes} bytes",
            line.len()
        ));
    }
    let text = std::str::from_utf8(line)
        .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
    let raw: RawLog<'_> =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON record: {e}"))?;
    from_raw(raw)
}

fn required(value: Option<String>, name: &str) -> Result<String, String> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(format!("missing {name}")),
    }
}

/// Parses a wire timestamp: RFC 3339 text, or epoch milliseconds (number or
/// digit string). Returns microseconds since the epoch.
pub fn parse_timestamp_text(text: &str) -> Result<i64, String> {
    if let Ok(ms) = text.parse::<i64>() {
        return millis_to_micros(ms);
    }
    let dt = DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("timestamp {text:?} is not RFC 3339 or epoch milliseconds: {e}"))?;
    Ok(dt.timestamp_micros())
}

fn millis_to_micros(ms: i64) -> Result<i64, String> {
    ms.checked_mul(1000)
        .ok_or_else(|| format!("timestamp {ms} ms is out of range"))
}

fn parse_timestamp(raw: Option<RawTimestamp>) -> Result<i64, String> {
    match raw {
        None => Err("missing timestamp".into()),
        Some(RawTimestamp::Int(ms)) => millis_to_micros(ms),
        Some(RawTimestamp::Float(ms)) if ms.is_finite() && ms.abs() < 9.0e15 => {
            Ok((ms * 1000.0).round() as i64)
        }
        Some(RawTimestamp::Float(ms)) => Err(format!("timestamp {ms} ms is out of range")),
        Some(RawTimestamp::Text(t)) => parse_timestamp_text(&t),
    }
}

fn from_raw(raw: RawLog<'_>) -> Result<StructuredLog, String> {
    let ctx = raw.context.unwrap_or_default();
    let workspace_id = required(ctx.workspace_id, "context.workspace_id")?;
    let agent_id = required(raw.agent_id, "agent_id")?;
    let message = required(raw.message, "message")?;
    let timestamp_us = parse_timestamp(raw.timestamp)?;
    let log_level = match raw.log_level {
        None => return Err("missing log_level".into()),
        Some(l) => l.parse::<LogLevel>()?,
    };
    let attributes = match raw.attributes {
        None => None,
        Some(v) if v.get() == "null" => None,
        Some(v) if v.get().trim_start().starts_with('{') => Some(v.get().to_string()),
        Some(_) => return Err("attributes must be a JSON object".into()),
    };
    let log_id = match raw.log_id {
        Some(id) if !id.is_empty() => id,
        _ => ulid::Ulid::generate().to_string(),
    };
    let m = raw.metrics.unwrap_or_default();
    Ok(StructuredLog {
        log_id,
        agent_id,
        execution_id: raw.execution_id,
        timestamp_us,
        log_level,
        message,
        service: raw.service,
        component: raw.component,
        trace_id: raw.trace_id,
        span_id: raw.span_id,
        parent_span_id: raw.parent_span_id,
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
        error: raw.error.map(|e| ErrorInfo {
            error_type: e.error_type,
            message: e.message,
            stack_trace: e.stack_trace,
            error_code: e.error_code,
            is_retriable: e.is_retriable,
        }),
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"{"log_id":"L1","agent_id":"a1","timestamp":"2026-01-05T10:00:00.123456Z","log_level":"INFO","message":"hello","context":{"workspace_id":"ws1"},"attributes":{"k":1}}"#;

    #[test]
    fn accepts_a_valid_record_and_keeps_every_field() {
        let d = decode_batch(OK.as_bytes(), DEFAULT_MAX_RECORD_BYTES);
        assert!(d.rejections.is_empty(), "{:?}", d.rejections);
        let r = &d.records[0];
        assert_eq!(r.log_id, "L1");
        assert_eq!(r.log_level, LogLevel::Info);
        assert_eq!(r.timestamp_us, 1_767_607_200_123_456);
        assert_eq!(r.attributes.as_deref(), Some(r#"{"k":1}"#));
    }

    #[test]
    fn rejects_bad_lines_alone_with_index_and_reason() {
        let lines = [
            OK.to_string(),
            r#"{"agent_id":"a","timestamp":1,"log_level":"info","message":"m","context":{}}"#.into(),
            r#"{"agent_id":"a","timestamp":1,"log_level":"info","context":{"workspace_id":"w"}}"#.into(),
            r#"{"timestamp":1,"log_level":"info","message":"m","context":{"workspace_id":"w"}}"#.into(),
            r#"{"agent_id":"a","timestamp":"yesterday","log_level":"info","message":"m","context":{"workspace_id":"w"}}"#.into(),
            r#"{"agent_id":"a","timestamp":1,"log_level":"loud","message":"m","context":{"workspace_id":"w"}}"#.into(),
            "not json".into(),
            String::new(),
            r#"{"agent_id":"a","timestamp":1700000000000,"log_level":"warn","message":"m","context":{"workspace_id":"w"}}"#.into(),
            r#"{"agent_id":"a","timestamp":1,"log_level":"info","message":"m","context":{"workspace_id":"w"},"attributes":[1]}"#.into(),
        ];
        let mut input = lines.join("\n").into_bytes();
        input.extend_from_slice(b"\n\xff\xfe\n");
        let d = decode_batch(&input, DEFAULT_MAX_RECORD_BYTES);
        assert_eq!(d.line_of, vec![0, 8]);
        let got: Vec<(usize, &str)> = d
            .rejections
            .iter()
            .map(|r| (r.index, r.reason.as_str()))
            .collect();
        let expect_contains = [
            (1, "missing context.workspace_id"),
            (2, "missing message"),
            (3, "missing agent_id"),
            (4, "not RFC 3339"),
            (5, "unknown log_level"),
            (6, "invalid JSON"),
            (9, "attributes must be a JSON object"),
            (10, "invalid UTF-8"),
        ];
        assert_eq!(got.len(), expect_contains.len(), "{got:?}");
        for ((gi, gr), (ei, er)) in got.iter().zip(expect_contains) {
            assert_eq!(*gi, ei);
            assert!(gr.contains(er), "line {gi}: {gr:?} should mention {er:?}");
        }
        assert_eq!(d.records[1].timestamp_us, 1_700_000_000_000_000);
    }

    #[test]
    fn oversized_record_is_rejected_and_missing_log_id_generated() {
        let d = decode_batch(OK.as_bytes(), 10);
        assert!(
            d.rejections[0]
                .reason
                .contains("over the limit of 10 bytes")
        );
        let no_id = OK.replace(r#""log_id":"L1","#, "");
        let d = decode_batch(no_id.as_bytes(), DEFAULT_MAX_RECORD_BYTES);
        assert_eq!(d.records[0].log_id.len(), 26);
    }
}
