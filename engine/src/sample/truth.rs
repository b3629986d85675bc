//! [`GroundTruth`]: what was injected where, one JSON line per anomaly.

use chrono::{DateTime, SecondsFormat};
use serde::{Deserialize, Serialize};

use super::anomaly::{AnomalyKind, EntityKind, Window};
use crate::error::{Error, Result};

/// One injected anomaly as it happened; see the [module docs](super) for
/// the JSON form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    #[serde(rename = "type")]
    pub kind: AnomalyKind,
    /// The agent id or service name affected.
    pub entity: String,
    /// The record field `entity` is a value of.
    pub entity_kind: EntityKind,
    /// Start of the window, microseconds since the epoch (inclusive).
    pub start_us: i64,
    /// End of the window, microseconds since the epoch (exclusive).
    pub end_us: i64,
    /// `start_us` in RFC 3339 (microseconds, `Z`).
    pub start: String,
    /// `end_us` in RFC 3339 (microseconds, `Z`).
    pub end: String,
    pub details: AnomalyDetails,
}

/// Kind-specific facts; fields a kind does not use are absent from the JSON.
/// Counts are final once generation has passed the window's end.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnomalyDetails {
    /// `volume_spike`: rate multiple; `latency_shift`: duration multiple.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// `error_burst`: share of span records forced to error;
    /// `new_template`: share of info span records replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// `error_burst`, `new_template`: the level of the affected records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// `new_template`: the message with its variables as `<*>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// `new_template`: fixed text found in every such message and no other.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub literal: Option<String>,
    /// `latency_shift`: the record field that shifted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `broken_sequence`: the step the executions miss.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_step: Option<String>,
    /// Records the anomaly added (`volume_spike`) or changed (the others
    /// but `broken_sequence`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    /// `broken_sequence`: every execution that misses the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_ids: Option<Vec<String>>,
}

impl GroundTruth {
    pub(super) fn new(
        kind: AnomalyKind,
        entity: String,
        window: Window,
        details: AnomalyDetails,
    ) -> Self {
        GroundTruth {
            kind,
            entity,
            entity_kind: kind.entity_kind(),
            start_us: window.start_us,
            end_us: window.end_us,
            start: rfc3339(window.start_us),
            end: rfc3339(window.end_us),
            details,
        }
    }

    /// The window `[start_us, end_us)`.
    pub fn window(&self) -> Window {
        Window {
            start_us: self.start_us,
            end_us: self.end_us,
        }
    }

    /// The JSON line of this truth, without the trailing `\n`.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self)
            .expect("invariant: a GroundTruth serializes (string keys, finite floats)")
    }

    /// Reads a line written by [`to_json_line`](Self::to_json_line).
    pub fn from_json_line(line: &str) -> Result<Self> {
        serde_json::from_str(line).map_err(|source| Error::GroundTruth { source })
    }
}

/// RFC 3339 with microseconds and `Z`; beyond chrono's range, the
/// microseconds as a decimal string.
fn rfc3339(timestamp_us: i64) -> String {
    match DateTime::from_timestamp_micros(timestamp_us) {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Micros, true),
        None => timestamp_us.to_string(),
    }
}
