//! Strata benchmarks: criterion micro-benchmarks live in `benches/`; this
//! library holds what several of them set up alike.

use strata_engine::record::StructuredLog;
use strata_engine::sample::{SampleConfig, generate};
use strata_engine::{Engine, EngineConfig};
use tempfile::TempDir;

/// `rows` generated records over three hours in one workspace
/// (`ws-bench`), ingested and flushed into a fresh engine in a temporary
/// directory: three hourly segments. Background tasks are off.
pub fn three_hour_engine(
    rt: &tokio::runtime::Runtime,
    rows: usize,
) -> (TempDir, Engine, Vec<StructuredLog>) {
    let mut records = generate(
        &SampleConfig {
            total: rows,
            duration_us: 3 * 3_600_000_000,
            ..SampleConfig::default()
        },
        rows,
    );
    for r in &mut records {
        r.context.workspace_id = "ws-bench".into();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = rt.block_on(async {
        let engine = Engine::open(EngineConfig {
            background_tasks: false,
            ..EngineConfig::new(dir.path())
        })
        .await
        .expect("engine");
        engine.ingest(&records).await.expect("ingest");
        engine.flush().await.expect("flush");
        engine
    });
    (dir, engine, records)
}
