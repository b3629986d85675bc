//! What to inject: [`Anomaly`], its [`AnomalyKind`] and [`Window`], and the
//! magnitudes every injection uses. The injection itself lives in
//! `injector.rs`; what it reports, in [`GroundTruth`](super::GroundTruth).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A `volume_spike` agent emits about this many times its average rate.
pub const SPIKE_FACTOR: f64 = 10.0;
/// Share of an `error_burst` service's span records forced to error level.
pub const ERROR_BURST_SHARE: f64 = 0.8;
/// A `latency_shift` multiplies the service's span durations by this.
pub const LATENCY_FACTOR: f64 = 5.0;
/// Share of a `new_template` service's info span records that say the new
/// message instead.
pub const NEW_TEMPLATE_SHARE: f64 = 0.4;
/// The fixed text of the `new_template` message; it appears nowhere else.
pub const NEW_TEMPLATE_LITERAL: &str = "Dependency drift detected";
/// The `new_template` message with its variables as `<*>`.
pub const NEW_TEMPLATE_PATTERN: &str = "Dependency drift detected: <*> loaded libcrypto <*> but was built against <*> (digest sha256:<*>)";
/// The step a `broken_sequence` execution misses: its final record
/// ("… completed …", "… failed …" or "… aborted …").
pub const MISSING_STEP: &str = "execution_end";
/// Longest drawn window.
pub const MAX_WINDOW_US: i64 = 30 * 60_000_000;

/// The five kinds of injected anomaly; see the [module docs](super).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// One agent emits [`SPIKE_FACTOR`] times its average volume.
    VolumeSpike,
    /// One service's span records are mostly errors.
    ErrorBurst,
    /// One service says a message never seen anywhere else.
    NewTemplate,
    /// One service's span durations grow [`LATENCY_FACTOR`] times.
    LatencyShift,
    /// One agent's executions never log their final record.
    BrokenSequence,
}

impl AnomalyKind {
    /// Every kind, in the order `all` injects them.
    pub const ALL: [AnomalyKind; 5] = [
        AnomalyKind::VolumeSpike,
        AnomalyKind::ErrorBurst,
        AnomalyKind::NewTemplate,
        AnomalyKind::LatencyShift,
        AnomalyKind::BrokenSequence,
    ];

    /// The snake_case name used on the command line and in the truth.
    pub fn name(self) -> &'static str {
        match self {
            AnomalyKind::VolumeSpike => "volume_spike",
            AnomalyKind::ErrorBurst => "error_burst",
            AnomalyKind::NewTemplate => "new_template",
            AnomalyKind::LatencyShift => "latency_shift",
            AnomalyKind::BrokenSequence => "broken_sequence",
        }
    }

    /// Which record field names the anomaly's entity.
    pub fn entity_kind(self) -> EntityKind {
        match self {
            AnomalyKind::VolumeSpike | AnomalyKind::BrokenSequence => EntityKind::AgentId,
            AnomalyKind::ErrorBurst | AnomalyKind::NewTemplate | AnomalyKind::LatencyShift => {
                EntityKind::Service
            }
        }
    }
}

impl fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AnomalyKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        AnomalyKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = AnomalyKind::ALL.iter().map(|k| k.name()).collect();
                Error::Config(format!(
                    "unknown anomaly kind {s:?}; expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// The record field an anomaly's entity is a value of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// `agent_id`.
    AgentId,
    /// `service`.
    Service,
}

/// A half-open time range `[start_us, end_us)`, microseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub start_us: i64,
    pub end_us: i64,
}

impl Window {
    /// Whether `timestamp_us` falls inside.
    pub fn contains(&self, timestamp_us: i64) -> bool {
        (self.start_us..self.end_us).contains(&timestamp_us)
    }

    /// Length in microseconds.
    pub fn len_us(&self) -> i64 {
        self.end_us.saturating_sub(self.start_us)
    }
}

/// One anomaly to inject. Entity and window are drawn from the seed unless
/// given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    /// An agent id (`volume_spike`, `broken_sequence`) or a service name
    /// (the others) of the generated platform; `None`: drawn.
    pub entity: Option<String>,
    /// `None`: drawn inside the generated range, apart from the other drawn
    /// windows.
    pub window: Option<Window>,
}

impl Anomaly {
    /// An anomaly of `kind` with a drawn entity and window.
    pub fn new(kind: AnomalyKind) -> Self {
        Anomaly {
            kind,
            entity: None,
            window: None,
        }
    }

    /// Parses a plan: `none` (or an empty string), `all` (one of each kind)
    /// or a comma-separated list of kind names.
    pub fn parse_list(spec: &str) -> Result<Vec<Anomaly>> {
        match spec.trim() {
            "" | "none" => Ok(Vec::new()),
            "all" => Ok(AnomalyKind::ALL.into_iter().map(Anomaly::new).collect()),
            list => list
                .split(',')
                .map(|name| name.trim().parse().map(Anomaly::new))
                .collect(),
        }
    }
}
