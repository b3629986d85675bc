//! # strata-engine
//!
//! The storage engine of Strata: it validates `StructuredLog` records at the
//! edge, makes them durable in a write-ahead log, keeps them queryable in a
//! memtable, and settles them into immutable, time-partitioned segments (a
//! Parquet file plus a tantivy full-text index bundle) catalogued by a
//! manifest on an object store.
//!
//! ```text
//! ingest(batch) ─> validate ─> WAL append (group commit, fsync) ─> memtable ─> ack
//! flush: memtable ─> per (workspace, hour): sort by timestamp
//!        ─> Parquet segment + index bundle ─> object store
//!        ─> manifest commit ─> WAL truncated up to the flushed sequence
//! ```
//!
//! ```no_run
//! # async fn demo() -> strata_engine::Result<()> {
//! use strata_engine::{Engine, EngineConfig, ndjson};
//! let engine = Engine::open(EngineConfig::new("./strata-data")).await?;
//! let decoded = ndjson::decode_batch(br#"{"agent_id":"a1","timestamp":"2026-01-01T00:00:00Z","log_level":"info","message":"hello","context":{"workspace_id":"ws1"}}"#, 1 << 20);
//! let outcome = engine.ingest(&decoded.records).await?; // durable when this returns
//! assert_eq!(outcome.accepted, 1);
//! engine.flush().await?;
//! engine.close().await?;
//! # Ok(()) }
//! ```
//!
//! Core types:
//! - [`StructuredLog`]: one validated record; [`ndjson`] decodes them.
//! - [`Engine`]: open a data directory, ingest, flush, compact, snapshot.
//! - [`Snapshot`] and [`ScanPredicate`]: the read entry point; a query layer
//!   turns its filters into a predicate and gets back a [`ScanPlan`] of
//!   segments (with row selections from the full-text index) and memtable rows.
//! - [`text_query::TextQuery`]: the search language (terms, phrases,
//!   AND/OR/NOT, prefix*, field:value).

pub mod batch;
pub mod config;
pub mod engine;
pub mod error;
pub mod lock;
pub mod manifest;
pub mod memtable;
pub mod ndjson;
pub mod patterns;
pub mod predicate;
pub mod record;
pub mod sample;
pub mod scan;
pub mod schema;
pub mod segment;
pub mod store;
pub mod template;
pub mod template_store;
pub mod text_query;
pub mod wal;

pub use config::EngineConfig;
pub use engine::{Committed, Engine, EngineStats, IngestOutcome};
pub use error::{Error, Result};
pub use predicate::{ScanPredicate, TimeRange};
pub use record::{LogLevel, Rejection, StructuredLog};
pub use scan::{ScanPlan, SegmentScan, Snapshot};
