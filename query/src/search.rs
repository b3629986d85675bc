//! Search: the query of `strata search` and the gRPC `Search` call, as one
//! DataFusion plan over `logs`.

use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{Expr, SortExpr};
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::{DataFrame, SessionContext, col, lit};
use strata_engine::scan::ScanStats;
use strata_engine::schema::col as c;

use crate::pushdown::SEARCH_FUNCTION;
use crate::scan_exec::LogsScanExec;
pub use crate::search_bounds::{Narrowed, time_bounds};
pub use crate::search_plan::search_plan;

/// Default number of records a search returns.
pub const DEFAULT_LIMIT: usize = 100;
/// Most records a search may return.
pub const MAX_LIMIT: usize = 10_000;

/// What to search for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchParams {
    /// Query in the `search()` syntax over `message`; empty matches all.
    pub query: String,
    pub agent_id: Option<String>,
    pub workspace_id: Option<String>,
    /// Inclusive start, microseconds.
    pub start_us: Option<i64>,
    /// Exclusive end, microseconds.
    pub end_us: Option<i64>,
    pub limit: usize,
    /// Newest first (default) or oldest first.
    pub oldest_first: bool,
}

/// Records found and how the scan was narrowed.
#[derive(Debug, Clone)]
pub struct SearchResult {
    pub batches: Vec<RecordBatch>,
    pub stats: ScanStats,
}

fn ts(us: i64) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(Some(us), Some("UTC".into()))
}

/// The search as a DataFrame over `logs` (all columns): what
/// [`search_plan`] builds directly, planned by DataFusion's optimizers.
pub async fn search_frame(ctx: &SessionContext, p: &SearchParams) -> Result<DataFrame> {
    check_limit(p)?;
    let mut df = ctx.table("logs").await?;
    for f in filters(ctx, p)? {
        df = df.filter(f)?;
    }
    df.sort(order(p))?.limit(0, Some(p.limit))
}

/// Fails on a limit outside `1..=MAX_LIMIT`, naming it.
pub(crate) fn check_limit(p: &SearchParams) -> Result<()> {
    if p.limit == 0 || p.limit > MAX_LIMIT {
        return Err(DataFusionError::Plan(format!(
            "limit must be between 1 and {MAX_LIMIT}, got {}",
            p.limit
        )));
    }
    Ok(())
}

/// The search's filters over `logs`, each one conjunct.
pub(crate) fn filters(ctx: &SessionContext, p: &SearchParams) -> Result<Vec<Expr>> {
    let mut filters = Vec::new();
    if !p.query.trim().is_empty() {
        let search = ctx.udf(SEARCH_FUNCTION)?;
        filters.push(search.call(vec![col(c::MESSAGE), lit(p.query.clone())]));
    }
    if let Some(s) = p.start_us {
        filters.push(col(c::TIMESTAMP).gt_eq(lit(ts(s))));
    }
    if let Some(e) = p.end_us {
        filters.push(col(c::TIMESTAMP).lt(lit(ts(e))));
    }
    if let Some(a) = &p.agent_id {
        filters.push(col(c::AGENT_ID).eq(lit(a.clone())));
    }
    if let Some(w) = &p.workspace_id {
        filters.push(col(c::WORKSPACE_ID).eq(lit(w.clone())));
    }
    Ok(filters)
}

/// Whether the search's order puts nulls first (it puts them last).
pub(crate) const NULLS_FIRST: bool = false;

/// The search's order as (column, ascending), nulls last: newest (or
/// oldest) first, ties by `log_id`.
pub(crate) fn order_keys(p: &SearchParams) -> [(&'static str, bool); 2] {
    [(c::TIMESTAMP, p.oldest_first), (c::LOG_ID, true)]
}

fn order(p: &SearchParams) -> Vec<SortExpr> {
    let keys = order_keys(p).map(|(name, ascending)| col(name).sort(ascending, NULLS_FIRST));
    keys.to_vec()
}

/// Finds the `logs` scan in an executed plan.
pub fn scan_stats(plan: &Arc<dyn ExecutionPlan>) -> ScanStats {
    let mut total = ScanStats::default();
    let mut stack = vec![plan.clone()];
    while let Some(p) = stack.pop() {
        if let Some(scan) = (p.as_ref() as &dyn std::any::Any).downcast_ref::<LogsScanExec>() {
            let s = scan.stats();
            total.segments_total += s.segments_total;
            total.segments_pruned_by_stats += s.segments_pruned_by_stats;
            total.segments_pruned_by_index += s.segments_pruned_by_index;
            total.segments_pruned_by_bloom += s.segments_pruned_by_bloom;
            total.segments_scanned += s.segments_scanned;
            total.index_rows_selected += s.index_rows_selected;
            total.memtable_rows += s.memtable_rows;
        }
        stack.extend(p.children().into_iter().cloned());
    }
    total
}

/// The WAL sequence of the snapshot the plan's `logs` scan reads.
pub fn snapshot_seq(plan: &Arc<dyn ExecutionPlan>) -> Option<u64> {
    let mut stack = vec![plan.clone()];
    while let Some(p) = stack.pop() {
        if let Some(scan) = (p.as_ref() as &dyn std::any::Any).downcast_ref::<LogsScanExec>() {
            return Some(scan.snapshot().last_seq);
        }
        stack.extend(p.children().into_iter().cloned());
    }
    None
}

/// Runs a search.
///
/// Newest first (or oldest first) with a limit, most matches lie in the
/// few newest (oldest) segments, and in their last (first) pages. Before
/// the search proper, the indexes are asked which rows each segment may
/// contribute, and the search runs bounded in time, first to the
/// timestamp of the `limit`-th newest (oldest) candidate row (so segments
/// and pages past it are pruned before any is decoded), then to the span
/// of the fewest segments that may hold `limit` matches. A bounded run
/// that finds fewer than `limit` records (a candidate was not a match) gives
/// way to the next, and the last to the unbounded search. Either way the
/// answer is the unbounded search's: a run bounded to `timestamp >= t` that
/// finds `limit` records has found the newest `limit`. Where the indexes
/// select fewer than `limit` rows in all, the one run is bounded to their
/// span, which holds every match.
pub async fn search(ctx: &SessionContext, p: &SearchParams) -> Result<SearchResult> {
    for bounded in time_bounds(ctx, p).await? {
        let result = run(ctx, &bounded.params).await?;
        let rows: usize = result.batches.iter().map(RecordBatch::num_rows).sum();
        if rows >= p.limit || bounded.complete {
            return Ok(result);
        }
    }
    run(ctx, p).await
}

async fn run(ctx: &SessionContext, p: &SearchParams) -> Result<SearchResult> {
    let plan = search_plan(ctx, p).await?;
    let batches = collect(plan.clone(), ctx.task_ctx()).await?;
    Ok(SearchResult {
        batches,
        stats: scan_stats(&plan),
    })
}
