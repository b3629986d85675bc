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

mod execution;
mod generator;
mod ids;
mod stack_trace;
mod template;
mod timeline;
mod vocab;
mod wire;

pub use generator::SampleGenerator;
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
        }
    }
}

/// The first `n` records of `config`.
pub fn generate(config: &SampleConfig, n: usize) -> Vec<StructuredLog> {
    SampleGenerator::new(config.clone()).generate(n)
}

#[cfg(test)]
mod tests;
