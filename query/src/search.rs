//! Search: the query of `strata search` and the gRPC `Search` call, as one
//! DataFusion plan over `logs`.

use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::TimestampMicrosecondType;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::FunctionRegistry;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::{DataFrame, SessionContext, col, lit};
use strata_engine::batch::timestamp_index;
use strata_engine::predicate::{ScanPredicate, TimeRange};
use strata_engine::scan::ScanStats;
use strata_engine::schema::col as c;
use strata_engine::text_query::TextQuery;

use crate::engine_err;
use crate::pushdown::SEARCH_FUNCTION;
use crate::scan_exec::LogsScanExec;
use crate::table_provider::LogsTableProvider;

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

/// The search as a DataFrame over `logs` (all columns).
pub async fn search_frame(ctx: &SessionContext, p: &SearchParams) -> Result<DataFrame> {
    if p.limit == 0 || p.limit > MAX_LIMIT {
        return Err(DataFusionError::Plan(format!(
            "limit must be between 1 and {MAX_LIMIT}, got {}",
            p.limit
        )));
    }
    let mut df = ctx.table("logs").await?;
    if !p.query.trim().is_empty() {
        let search = ctx.udf(SEARCH_FUNCTION)?;
        df = df.filter(search.call(vec![col(c::MESSAGE), lit(p.query.clone())]))?;
    }
    if let Some(s) = p.start_us {
        df = df.filter(col(c::TIMESTAMP).gt_eq(lit(ts(s))))?;
    }
    if let Some(e) = p.end_us {
        df = df.filter(col(c::TIMESTAMP).lt(lit(ts(e))))?;
    }
    if let Some(a) = &p.agent_id {
        df = df.filter(col(c::AGENT_ID).eq(lit(a.clone())))?;
    }
    if let Some(w) = &p.workspace_id {
        df = df.filter(col(c::WORKSPACE_ID).eq(lit(w.clone())))?;
    }
    let asc = p.oldest_first;
    df.sort(vec![
        col(c::TIMESTAMP).sort(asc, false),
        col(c::LOG_ID).sort(true, false),
    ])?
    .limit(0, Some(p.limit))
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
/// few newest (oldest) segments. The indexes are asked first how many rows
/// each segment may contribute; the search then runs bounded to the time
/// span of the fewest segments that may hold `limit` matches, so the other
/// segments are pruned before any Parquet is read. If the bounded run finds
/// fewer than `limit` records (other filters removed some) it runs again
/// unbounded. Either way the answer is the same as the unbounded search's.
pub async fn search(ctx: &SessionContext, p: &SearchParams) -> Result<SearchResult> {
    if let Some(bounded) = time_bounded(ctx, p).await? {
        let result = run(ctx, &bounded).await?;
        let rows: usize = result.batches.iter().map(RecordBatch::num_rows).sum();
        if rows >= p.limit {
            return Ok(result);
        }
    }
    run(ctx, p).await
}

async fn run(ctx: &SessionContext, p: &SearchParams) -> Result<SearchResult> {
    let plan = search_frame(ctx, p).await?.create_physical_plan().await?;
    let batches = collect(plan.clone(), ctx.task_ctx()).await?;
    Ok(SearchResult {
        batches,
        stats: scan_stats(&plan),
    })
}

/// `p` narrowed to the time span of the newest (oldest) data that may hold
/// `p.limit` matches, or `None` when that span is everything.
async fn time_bounded(ctx: &SessionContext, p: &SearchParams) -> Result<Option<SearchParams>> {
    let provider = ctx.table_provider("logs").await?;
    let Some(logs) = (provider.as_ref() as &dyn std::any::Any).downcast_ref::<LogsTableProvider>()
    else {
        return Ok(None);
    };
    // Upper bounds are enough here: reading Parquet to check phrases in
    // every segment would cost more than the bound saves.
    let mut predicate = ScanPredicate {
        time: TimeRange {
            start_us: p.start_us,
            end_us: p.end_us,
        },
        index_only: true,
        ..ScanPredicate::default()
    };
    if !p.query.trim().is_empty() {
        let query = TextQuery::parse(&p.query, c::MESSAGE)
            .map_err(|e| DataFusionError::Plan(format!("search(): {e}")))?;
        predicate.text.push(query);
    }
    for (column, value) in [
        (c::AGENT_ID, &p.agent_id),
        (c::WORKSPACE_ID, &p.workspace_id),
    ] {
        if let Some(v) = value {
            predicate.equals.push((column.to_string(), vec![v.clone()]));
        }
    }
    let engine = logs.engine();
    let snapshot = engine.snapshot().map_err(engine_err)?;
    let plan = engine
        .plan_scan(snapshot, &predicate)
        .await
        .map_err(engine_err)?;

    // (most matches, oldest and newest timestamp) of each source of rows:
    // segments' rows may overcount (index_only); then the bounded run finds
    // fewer than `limit` and the search runs again unbounded.
    let mut chunks: Vec<(usize, i64, i64)> = plan
        .segments
        .iter()
        .map(|s| {
            let n = s.rows.as_ref().map_or(s.meta.rows as usize, Vec::len);
            (n, s.meta.min_ts, s.meta.max_ts)
        })
        .collect();
    for batch in &plan.memtable {
        let ts = batch
            .column(timestamp_index())
            .as_primitive::<TimestampMicrosecondType>();
        if let (Some(lo), Some(hi)) = (arrow::compute::min(ts), arrow::compute::max(ts)) {
            chunks.push((batch.num_rows(), lo, hi));
        }
    }
    if p.oldest_first {
        chunks.sort_by_key(|&(_, lo, _)| lo);
    } else {
        chunks.sort_by_key(|&(_, _, hi)| std::cmp::Reverse(hi));
    }
    // The fewest chunks that may hold `limit` matches; every row of them
    // lies at or after (oldest first: at or before) `bound`.
    let (mut seen, mut bound) = (0usize, if p.oldest_first { i64::MIN } else { i64::MAX });
    let mut taken = 0;
    for &(n, lo, hi) in &chunks {
        if seen >= p.limit {
            break;
        }
        seen += n;
        bound = if p.oldest_first {
            bound.max(hi)
        } else {
            bound.min(lo)
        };
        taken += 1;
    }
    if seen < p.limit || taken == chunks.len() {
        return Ok(None); // the bound would cover everything
    }
    let mut bounded = p.clone();
    if p.oldest_first {
        let end = bound.saturating_add(1);
        bounded.end_us = Some(p.end_us.map_or(end, |e| e.min(end)));
    } else {
        bounded.start_us = Some(p.start_us.map_or(bound, |s| s.max(bound)));
    }
    Ok(Some(bounded))
}
