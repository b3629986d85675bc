//! The record model: one `StructuredLog`, as validated at the edge.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// Severity of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl LogLevel {
    /// All levels, least severe first.
    pub const ALL: [LogLevel; 6] = [
        LogLevel::Trace,
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warn,
        LogLevel::Error,
        LogLevel::Fatal,
    ];

    /// The lowercase name stored in the `log_level` column.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Fatal => "fatal",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LogLevel {
    type Err = String;

    /// Parses a level case-insensitively; `warning` is accepted for `warn`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let level = match s.to_ascii_lowercase().as_str() {
            "trace" => LogLevel::Trace,
            "debug" => LogLevel::Debug,
            "info" => LogLevel::Info,
            "warn" | "warning" => LogLevel::Warn,
            "error" => LogLevel::Error,
            "fatal" => LogLevel::Fatal,
            _ => {
                return Err(format!(
                    "unknown log_level {s:?} (expected trace, debug, info, warn, error or fatal)"
                ));
            }
        };
        Ok(level)
    }
}

/// Deployment context of a record.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Context {
    pub user_id: Option<String>,
    pub workspace_id: String,
    pub environment: Option<String>,
    pub version: Option<String>,
    pub deployment_id: Option<String>,
}

/// Numeric measurements attached to a record.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metrics {
    pub duration_ms: Option<f64>,
    pub memory_mb: Option<f64>,
    pub cpu_percent: Option<f64>,
    pub request_size_bytes: Option<i64>,
    pub response_size_bytes: Option<i64>,
}

/// The error a record reports, if any.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ErrorInfo {
    #[serde(rename = "type")]
    pub error_type: Option<String>,
    pub message: Option<String>,
    pub stack_trace: Option<String>,
    pub error_code: Option<String>,
    pub is_retriable: Option<bool>,
}

/// One validated log record.
///
/// Constructed by [`crate::ndjson::decode_batch`] (or by a caller that
/// validated its own input with [`StructuredLog::validate`]); every record in
/// the engine satisfies the invariants checked there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StructuredLog {
    pub log_id: String,
    pub agent_id: String,
    pub execution_id: Option<String>,
    /// Microseconds since the Unix epoch, UTC.
    pub timestamp_us: i64,
    pub log_level: LogLevel,
    pub message: String,
    pub service: Option<String>,
    pub component: Option<String>,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub parent_span_id: Option<String>,
    pub context: Context,
    pub metrics: Metrics,
    pub error: Option<ErrorInfo>,
    /// A JSON object, as compact JSON text.
    pub attributes: Option<String>,
}

impl StructuredLog {
    /// Checks the invariants of a record built outside the NDJSON decoder
    /// (e.g. from protobuf): required fields present and non-empty.
    /// Returns the reason on failure.
    pub fn validate(&self) -> Result<(), String> {
        if self.context.workspace_id.is_empty() {
            return Err("missing context.workspace_id".into());
        }
        if self.agent_id.is_empty() {
            return Err("missing agent_id".into());
        }
        if self.message.is_empty() {
            return Err("missing message".into());
        }
        if self.log_id.is_empty() {
            return Err("empty log_id".into());
        }
        Ok(())
    }

    /// Approximate in-memory size in bytes, for memtable accounting.
    pub fn approx_size(&self) -> usize {
        let o = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        let e = self.error.as_ref().map_or(0, |e| {
            o(&e.error_type) + o(&e.message) + o(&e.stack_trace) + o(&e.error_code)
        });
        128 + self.log_id.len()
            + self.agent_id.len()
            + self.message.len()
            + o(&self.execution_id)
            + o(&self.trace_id)
            + o(&self.span_id)
            + o(&self.parent_span_id)
            + o(&self.attributes)
            + self.context.workspace_id.len()
            + e
    }
}

/// A record refused at the edge, with its position in the input and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// Zero-based position of the record in the batch (for NDJSON: the line
    /// index, counting blank lines).
    pub index: usize,
    pub reason: String,
}
