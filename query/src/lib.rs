//! # strata-query
//!
//! SQL over Strata with Apache DataFusion: the `logs` table provider (segment
//! pruning, full-text row selection, memtable rows), the `search()` function,
//! JSON functions over `attributes`, and the interactive SQL shell.
//!
//! ```no_run
//! # async fn demo(engine: strata_engine::Engine) -> datafusion::error::Result<()> {
//! let ctx = strata_query::session(&engine, &strata_query::QueryConfig::default())?;
//! let df = ctx
//!     .sql("SELECT service, count(*) FROM logs WHERE search(message, '\"connection refused\"') GROUP BY service")
//!     .await?;
//! df.show().await?;
//! # Ok(()) }
//! ```
//!
//! Core types:
//! - [`LogsTableProvider`]: translates DataFusion filters into the engine's
//!   [`strata_engine::ScanPredicate`] ([`pushdown`]) and plans a
//!   `DataSourceExec` over Parquet with row selections plus the memtable,
//!   wrapped in [`LogsScanExec`] (which shows pruning in `EXPLAIN`).
//! - [`udf::SearchFunc`]: `search(column, 'query')`.
//! - [`text_key_aggregation::TextKeyAggregation`]: aggregates grouped by
//!   one text key group by dense key ids.
//! - [`shell`]: the `strata sql` REPL and output [`format`](mod@format)s.

pub mod config;
pub mod format;
pub mod page_index_reader;
pub mod patterns;
pub mod pushdown;
pub mod scan_exec;
pub mod search;
mod search_bounds;
mod search_plan;
pub mod shell;
pub mod stored_text;
pub mod table_provider;
pub mod table_schema;
pub mod templates_table;
#[cfg(test)]
mod test_util;
pub mod text_key_aggregate_exec;
pub mod text_key_aggregation;
pub mod text_key_ids;
pub mod udf;

use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use strata_engine::Engine;

pub use config::QueryConfig;
/// The DataFusion version this crate is built on, for callers' types.
pub use datafusion;
pub use scan_exec::LogsScanExec;
pub use table_provider::LogsTableProvider;

/// URL under which the engine's hot-tier store is registered in DataFusion.
pub const HOT_STORE_URL: &str = "strata://hot/";

/// A scan of one in-memory batch (tables computed when scanned).
pub(crate) fn batch_exec(
    batch: arrow::array::RecordBatch,
    projection: Option<&Vec<usize>>,
    limit: Option<usize>,
) -> Result<Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
    let schema = batch.schema();
    let mem = datafusion::datasource::memory::MemorySourceConfig::try_new(
        &[vec![batch]],
        schema,
        projection.cloned(),
    )?
    .with_limit(limit);
    Ok(datafusion::datasource::source::DataSourceExec::from_data_source(mem))
}

/// Wraps an engine error for DataFusion.
pub fn engine_err(e: strata_engine::Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// A DataFusion session with the `logs` table, `search()` and the JSON
/// functions registered.
pub fn session(engine: &Engine, config: &QueryConfig) -> Result<SessionContext> {
    config.validate()?;
    let mut sc = SessionConfig::new()
        .with_information_schema(true)
        .with_batch_size(config.batch_size);
    if let Some(n) = config.target_partitions {
        sc = sc.with_target_partitions(n);
    }
    // Each segment's row selection only makes sense for the whole file.
    sc.options_mut().optimizer.repartition_file_scans = false;
    let state = SessionStateBuilder::new()
        .with_config(sc)
        .with_default_features()
        .with_physical_optimizer_rule(Arc::new(text_key_aggregation::TextKeyAggregation))
        .build();
    let mut ctx = SessionContext::new_with_state(state);
    let url = ObjectStoreUrl::parse(HOT_STORE_URL)?;
    ctx.register_object_store(url.as_ref(), engine.store());
    ctx.register_table(
        "logs",
        Arc::new(LogsTableProvider::new(engine.clone(), url)),
    )?;
    ctx.register_table(
        "templates",
        Arc::new(templates_table::TemplatesTableProvider::new(engine.clone())),
    )?;
    udf::register_all(&mut ctx, engine)?;
    Ok(ctx)
}
