//! Helpers of the query crate's tests: sessions configured alike, answers
//! in a total order, and what `EXPLAIN ANALYZE` reports.

use std::sync::Arc;

use arrow::compute::{SortColumn, concat_batches, lexsort_to_indices, take_record_batch};
use arrow::record_batch::RecordBatch;
use datafusion::prelude::{SessionConfig, SessionContext};

/// A session config with `partitions` and `batch_size`; with `skip_probe`
/// (rows, ratio), partial aggregates pass rows on as states once `rows`
/// rows have more than `ratio` groups per row.
pub(crate) fn config(
    partitions: usize,
    batch_size: usize,
    skip_probe: Option<(usize, f64)>,
) -> SessionConfig {
    let mut config = SessionConfig::new()
        .with_target_partitions(partitions)
        .with_batch_size(batch_size);
    if let Some((rows, ratio)) = skip_probe {
        let exec = &mut config.options_mut().execution;
        exec.skip_partial_aggregation_probe_rows_threshold = rows;
        exec.skip_partial_aggregation_probe_ratio_threshold = ratio;
    }
    config
}

/// The query's rows in the order of all their columns: a total order.
pub(crate) async fn sorted(ctx: &SessionContext, q: &str) -> RecordBatch {
    let frame = ctx.sql(q).await.unwrap_or_else(|e| panic!("{q}: {e}"));
    let schema = Arc::clone(frame.schema().inner());
    let batches = frame.collect().await.unwrap_or_else(|e| panic!("{q}: {e}"));
    let all = concat_batches(&schema, &batches).unwrap();
    let keys: Vec<SortColumn> = all
        .columns()
        .iter()
        .map(|c| SortColumn {
            values: Arc::clone(c),
            options: None,
        })
        .collect();
    let order = lexsort_to_indices(&keys, None).unwrap();
    take_record_batch(&all, &order).unwrap()
}

/// `EXPLAIN ANALYZE` of the query, as text.
pub(crate) async fn explain_analyze(ctx: &SessionContext, q: &str) -> String {
    let batches = ctx
        .sql(&format!("EXPLAIN ANALYZE {q}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string()
}

/// Rows the first partial aggregate of an analyzed plan passed on as
/// states without aggregating them.
pub(crate) fn skipped_aggregation_rows(plan: &str) -> usize {
    plan.split("skipped_aggregation_rows=")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no skipped_aggregation_rows in\n{plan}"))
}
