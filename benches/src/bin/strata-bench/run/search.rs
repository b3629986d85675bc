//! Search latency of Strata, in process, through `strata_query::search`.
//!
//! - warm: one engine and session for all samples, after one untimed search
//!   of the query (segment indexes cached, files in the OS page cache);
//! - cold: per sample, a freshly opened engine and session (empty index
//!   cache, no DataFusion state), then the data dir's files dropped from the
//!   OS page cache, then the timed search. Opening is not timed.
//!
//! Each time covers planning and running the search and collecting its
//! record batches.

use std::path::Path;
use std::time::Instant;

use strata_engine::{Engine, EngineConfig};
use strata_query::datafusion::prelude::SessionContext;
use strata_query::search::search;

use super::page_cache;
use super::query_set::SearchQuery;

/// Latency samples (ms) of one query and what it found.
#[derive(Debug, Clone, Default)]
pub struct SearchTimes {
    pub warm_ms: Vec<f64>,
    pub cold_ms: Vec<f64>,
    /// Records the timed search returned.
    pub rows: u64,
    /// Every match, counted with SQL.
    pub matches: u64,
}

/// An engine over `data_dir` that reads only (no background flushes or
/// compactions).
pub async fn open_reader(data_dir: &Path) -> Result<(Engine, SessionContext), String> {
    let engine = Engine::open(EngineConfig {
        background_tasks: false,
        ..EngineConfig::new(data_dir)
    })
    .await
    .map_err(|e| format!("opening {}: {e}", data_dir.display()))?;
    let ctx = strata_query::session(&engine, &strata_query::QueryConfig::default())
        .map_err(|e| format!("session: {e}"))?;
    Ok((engine, ctx))
}

/// Runs `q` once; returns (ms, records returned).
pub async fn timed(ctx: &SessionContext, q: &SearchQuery) -> Result<(f64, u64), String> {
    let params = q.strata_params();
    let start = Instant::now();
    let result = search(ctx, &params)
        .await
        .map_err(|e| format!("search {}: {e}", q.label()))?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let rows = result.batches.iter().map(|b| b.num_rows() as u64).sum();
    Ok((ms, rows))
}

/// The record batches of one SQL query, an error naming it.
pub async fn collect_sql(
    ctx: &SessionContext,
    sql: &str,
) -> Result<Vec<arrow::array::RecordBatch>, String> {
    ctx.sql(sql)
        .await
        .map_err(|e| format!("{sql}: {e}"))?
        .collect()
        .await
        .map_err(|e| format!("{sql}: {e}"))
}

/// `SELECT count(*)` of one query's matches.
pub async fn count(ctx: &SessionContext, sql: &str) -> Result<u64, String> {
    use arrow::array::{Array, Int64Array};
    let batches = collect_sql(ctx, sql).await?;
    let column = batches
        .first()
        .and_then(|b| b.columns().first().cloned())
        .ok_or_else(|| format!("{sql}: no result"))?;
    let ints = column
        .as_any()
        .downcast_ref::<Int64Array>()
        .filter(|a| a.len() == 1)
        .ok_or_else(|| format!("{sql}: not one count"))?;
    Ok(ints.value(0) as u64)
}

/// One cold sample: a freshly opened engine, the data dir's files dropped
/// from the OS page cache, then the timed search; ms.
pub async fn cold(data_dir: &Path, q: &SearchQuery) -> Result<f64, String> {
    let (engine, ctx) = open_reader(data_dir).await?;
    page_cache::evict(data_dir)?;
    let (ms, _) = timed(&ctx, q).await?;
    drop(ctx);
    engine.close().await.map_err(|e| e.to_string())?;
    Ok(ms)
}
