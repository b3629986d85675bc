//! A deterministic, seeded generator of realistic agent-platform logs, for
//! demos, tests and benchmarks.
//!
//! The simulated platform: `workspaces` tenants (`ws-acme`, `ws-globex`,
//! `ws-initech`, then `ws-4`, …), each with agents `agent-<role>-<n>` in
//! `production` or `staging`, whose deployments roll out a new version
//! part-way through the window. Agents run *executions*; each is one trace:
//!
//! ```text
//! orchestrator (root span: "Execution exec-… started" … "completed"/"failed")
//! ├── auth                      token / policy checks
//! ├── memory-store              load and save conversation memory
//! ├── planner ── llm-gateway    plan, with its LLM call
//! ├── llm-gateway               model calls (openai-client, anthropic-client, …)
//! ├── retriever ── vector-db    retrieval and its vector search
//! └── tool-executor ── auth     tool calls, with a policy check
//! ```
//!
//! Executions interleave (a pool of concurrent ones), alongside background
//! records (heartbeats, compactions, key rotations) that belong to none.
//! A parent span always logs before its children, so any prefix of the
//! output has consistent span trees. Levels come out near 2% debug, 80%
//! info, 10% warn, 7% error, 1% fatal, with trace rare; errors carry an
//! [`ErrorInfo`](crate::record::ErrorInfo) with a type, a code, retriability
//! and usually a Python- or Java-style stack trace. More than 90 message
//! templates fill in messages, metrics and `attributes`.
//!
//! Time: record `i` of [`SampleConfig::total`] is placed on a day-shaped
//! curve over `[start_us, start_us + duration_us)` (busiest around 15:00
//! UTC, quietest around 03:00), with sub-slot jitter; timestamps never
//! decrease, across calls too. Records past `total` continue into the
//! following windows with the same shape.
//!
//! Determinism: everything derives from [`SampleConfig::seed`] through one
//! `StdRng`, so the same config yields byte-identical output, and
//! generating in chunks yields the same records as generating at once.
//!
//! ```
//! use strata_engine::sample::{self, SampleConfig};
//! let config = SampleConfig { total: 1_000, ..SampleConfig::default() };
//! let records = sample::generate(&config, 1_000);
//! let first_line = sample::to_ndjson_line(&records[0]);
//! assert!(first_line.starts_with("{\"log_id\":"));
//! ```
//!
//! # Injected anomalies
//!
//! [`SampleConfig::anomalies`] (empty by default, and then the output is
//! byte for byte what it was before anomalies existed) lists [`Anomaly`]s to
//! inject, each of an [`AnomalyKind`] on one entity during one window
//! `[start_us, end_us)`:
//!
//! | kind | entity | inside the window |
//! |---|---|---|
//! | `volume_spike` | `agent_id` | the agent runs extra executions, for about [`SPIKE_FACTOR`] (10) times its average per-minute volume |
//! | `error_burst` | `service` | [`ERROR_BURST_SHARE`] (80%) of the service's span records are errors, with the service's usual error types, codes and stack traces (executions fail as a result) |
//! | `new_template` | `service` | [`NEW_TEMPLATE_SHARE`] (40%) of the service's info span records are instead a warn never said anywhere else: [`NEW_TEMPLATE_PATTERN`] |
//! | `latency_shift` | `service` | span durations (`metrics.duration_ms` and the ms in messages) are [`LATENCY_FACTOR`] (5) times longer |
//! | `broken_sequence` | `agent_id` | executions the agent starts never log their final record ("completed" / "failed" / "aborted", [`MISSING_STEP`]) |
//!
//! Unless given, entities and windows are drawn from the seed (through an
//! RNG of their own, so the platform stays the same): spikes hit one of
//! the 2nd to 4th busiest agents, broken sequences the busiest, the service
//! kinds distinct services other than `orchestrator`. Drawn windows are
//! `duration / 24` long (at most 30 minutes, on whole minutes from 10
//! minutes up), each in its own slot of the 5%–90% stretch of the window,
//! so they never overlap. Timestamps still never decrease, and `total`
//! records still fill the window: the regular stream is thinned by the
//! records a spike surely adds.
//!
//! [`SampleGenerator::ground_truth`] reports what was injected, one
//! [`GroundTruth`] per anomaly, written as one JSON line each by
//! [`GroundTruth::to_json_line`]:
//!
//! ```json
//! {"type":"volume_spike","entity":"agent-qa-1","entity_kind":"agent_id",
//!  "start_us":1767582720000000,"end_us":1767584520000000,
//!  "start":"2026-01-05T03:12:00.000000Z","end":"2026-01-05T03:42:00.000000Z",
//!  "details":{"factor":10.0,"records":1003}}
//! ```
//!
//! (the first line of `strata-bench gen --records 100000 --anomalies all`,
//! wrapped here).
//!
//! `entity_kind` names the record field holding `entity`. `details` per
//! kind ([`AnomalyDetails`]): `volume_spike` `factor`, `records` (added);
//! `error_burst` `share`, `level`, `records` (forced to error);
//! `new_template` `share`, `level`, `template`, `literal` (text found in
//! those messages only), `records`; `latency_shift` `factor`, `field`,
//! `records` (with a shifted duration); `broken_sequence` `missing_step`,
//! `execution_ids`. Windows and entities are fixed from the start; counts
//! and ids are final once generation has passed the window's end, whatever
//! is generated after.
//!
//! ```
//! use strata_engine::sample::{Anomaly, SampleConfig, SampleGenerator};
//! let config = SampleConfig {
//!     total: 20_000,
//!     anomalies: Anomaly::parse_list("volume_spike,latency_shift").unwrap(),
//!     ..SampleConfig::default()
//! };
//! let mut generator = SampleGenerator::try_new(config).unwrap();
//! let records = generator.generate(20_000);
//! let truth = generator.ground_truth();
//! assert_eq!(truth[0].entity_kind, strata_engine::sample::EntityKind::AgentId);
//! assert!(records.iter().any(|r| truth[0].window().contains(r.timestamp_us)));
//! ```

mod anomaly;
mod execution;
mod generator;
mod ids;
mod injector;
mod stack_trace;
mod template;
mod timeline;
mod truth;
mod vocab;
mod wire;

pub use anomaly::{
    Anomaly, AnomalyKind, ERROR_BURST_SHARE, EntityKind, LATENCY_FACTOR, MAX_WINDOW_US,
    MISSING_STEP, NEW_TEMPLATE_LITERAL, NEW_TEMPLATE_PATTERN, NEW_TEMPLATE_SHARE, SPIKE_FACTOR,
    Window,
};
pub use generator::SampleGenerator;
pub use truth::{AnomalyDetails, GroundTruth};
pub use wire::to_ndjson_line;

use crate::record::StructuredLog;

/// Default [`SampleConfig::seed`].
pub const DEFAULT_SEED: u64 = 42;
/// Default [`SampleConfig::start_us`]: 2026-01-05T00:00:00Z.
pub const DEFAULT_START_US: i64 = 1_767_571_200_000_000;
/// Default [`SampleConfig::duration_us`]: 24 hours.
pub const DEFAULT_DURATION_US: i64 = 86_400_000_000;
/// Default [`SampleConfig::workspaces`].
pub const DEFAULT_WORKSPACES: usize = 3;
/// Default [`SampleConfig::agents`].
pub const DEFAULT_AGENTS: usize = 40;
/// Default [`SampleConfig::total`].
pub const DEFAULT_TOTAL: usize = 100_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleConfig {
    /// Seed of the RNG everything derives from.
    pub seed: u64,
    /// Start of the time window, microseconds since the Unix epoch.
    pub start_us: i64,
    /// Length of the time window in microseconds (at least 1 is used).
    pub duration_us: i64,
    /// Number of workspaces (at least 1 is used).
    pub workspaces: usize,
    /// Number of agents across all workspaces (at least 1 is used).
    pub agents: usize,
    /// Number of records that fill the window exactly once (at least 1 is
    /// used); generating more continues into the next windows.
    pub total: usize,
    /// Anomalies to inject, with their ground truth; none by default, and
    /// without any the output is what it was before anomalies existed.
    pub anomalies: Vec<Anomaly>,
}

impl Default for SampleConfig {
    fn default() -> Self {
        SampleConfig {
            seed: DEFAULT_SEED,
            start_us: DEFAULT_START_US,
            duration_us: DEFAULT_DURATION_US,
            workspaces: DEFAULT_WORKSPACES,
            agents: DEFAULT_AGENTS,
            total: DEFAULT_TOTAL,
            anomalies: Vec::new(),
        }
    }
}

/// The first `n` records of `config`.
pub fn generate(config: &SampleConfig, n: usize) -> Vec<StructuredLog> {
    SampleGenerator::new(config.clone()).generate(n)
}

#[cfg(test)]
mod anomaly_tests;
#[cfg(test)]
mod tests;
