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
/// few newest (oldest) segments, and in their last (first) pages. Before
/// the search proper, the indexes are asked which rows each segment may
/// contribute, and the search runs bounded in time, first to the
/// timestamp of the `limit`-th newest (oldest) candidate row (so segments
/// and pages past it are pruned before any is decoded), then to the span
/// of the fewest segments that may hold `limit` matches. A bounded run
/// that finds fewer than `limit` records (a candidate was not a match) gives
/// way to the next, and the last to the unbounded search. Either way the
/// answer is the unbounded search's: a run bounded to `timestamp >= t` that
/// finds `limit` records has found the newest `limit`.
pub async fn search(ctx: &SessionContext, p: &SearchParams) -> Result<SearchResult> {
    for bounded in time_bounds(ctx, p).await? {
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

/// Candidates per taken chunk past which the row-level bound pays for its
/// timestamp reads: with fewer, the taken segments hold little more than
/// `limit` candidates and are read nearly whole either way.
const ROW_BOUND_MIN_CANDIDATES: usize = 4;

/// Where a search's candidate rows come from.
enum Source {
    /// `plan.segments[i]`.
    Segment(usize),
    /// `plan.memtable[i]`.
    Memtable(usize),
}

/// The narrowed searches [`search`] tries before `p` itself: `p` bounded
/// in time, tightest first, to the `limit`-th newest (oldest) candidate row
/// (when the newest chunks hold many more candidates than `limit`), then to
/// the span of the fewest chunks (segments or memtable batches) that may
/// hold `limit` matches. Empty when no bound would prune anything.
///
/// Candidates are the rows the indexes select for the query and the
/// agent, so where those are exact (terms, prefixes, raw fields) the first
/// bound is exactly the `limit`-th match's timestamp.
pub async fn time_bounds(ctx: &SessionContext, p: &SearchParams) -> Result<Vec<SearchParams>> {
    let provider = ctx.table_provider("logs").await?;
    let Some(logs) = (provider.as_ref() as &dyn std::any::Any).downcast_ref::<LogsTableProvider>()
    else {
        return Ok(Vec::new());
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
    // The agent is a raw term of the index: its rows are then candidates
    // only where they are the agent's.
    if let Some(agent) = &p.agent_id {
        predicate.text.push(TextQuery::RawEq {
            field: c::AGENT_ID.to_string(),
            value: agent.clone(),
        });
    }
    let engine = logs.engine();
    let snapshot = engine.snapshot().map_err(engine_err)?;
    let plan = engine
        .plan_scan(snapshot, &predicate)
        .await
        .map_err(engine_err)?;

    // (source, most matches, oldest and newest timestamp) of each chunk of
    // rows: segments' rows may overcount (index_only).
    let mut chunks: Vec<(Source, usize, i64, i64)> = Vec::new();
    for (i, s) in plan.segments.iter().enumerate() {
        let n = s.rows.as_ref().map_or(s.meta.rows as usize, Vec::len);
        chunks.push((Source::Segment(i), n, s.meta.min_ts, s.meta.max_ts));
    }
    for (i, batch) in plan.memtable.iter().enumerate() {
        let ts = batch
            .column(timestamp_index())
            .as_primitive::<TimestampMicrosecondType>();
        if let (Some(lo), Some(hi)) = (arrow::compute::min(ts), arrow::compute::max(ts)) {
            chunks.push((Source::Memtable(i), batch.num_rows(), lo, hi));
        }
    }
    if p.oldest_first {
        chunks.sort_by_key(|&(_, _, lo, _)| lo);
    } else {
        chunks.sort_by_key(|&(_, _, _, hi)| std::cmp::Reverse(hi));
    }
    // The fewest chunks that may hold `limit` matches; every row of them
    // lies at or after (oldest first: at or before) `bound`.
    let (mut seen, mut bound) = (0usize, if p.oldest_first { i64::MIN } else { i64::MAX });
    let mut taken = 0;
    for &(_, n, lo, hi) in &chunks {
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
    if seen < p.limit {
        return Ok(Vec::new()); // fewer candidates than the limit: no bound
    }
    let mut bounds = Vec::new();
    // Only where the candidates are matches: where a phrase was left
    // unchecked, the `limit`-th candidate may lie past the `limit`-th match.
    let exact = plan.segments.iter().all(|s| s.rows_exact);
    if exact && seen >= ROW_BOUND_MIN_CANDIDATES * p.limit {
        let row_bound = candidate_bound(engine, &plan, &chunks, taken, p).await?;
        if let Some(b) = row_bound.filter(|&b| b != bound) {
            bounds.push(b);
        }
    }
    if taken < chunks.len() {
        bounds.push(bound);
    }
    Ok(bounds.into_iter().map(|b| narrowed(p, b)).collect())
}

/// `p` limited to records at or after `bound` (oldest first: at or before).
fn narrowed(p: &SearchParams, bound: i64) -> SearchParams {
    let mut bounded = p.clone();
    if p.oldest_first {
        let end = bound.saturating_add(1);
        bounded.end_us = Some(p.end_us.map_or(end, |e| e.min(end)));
    } else {
        bounded.start_us = Some(p.start_us.map_or(bound, |s| s.max(bound)));
    }
    bounded
}

/// The timestamp of the `limit`-th newest (oldest) candidate row: at least
/// `limit` candidates lie at or after (before) it. `chunks` are sorted
/// newest (oldest) first and the first `taken` hold `limit` candidates; the
/// later ones are looked at only where their time span reaches past the
/// bound the taken ones give. A segment's rows are sorted by time, so its
/// newest `limit` candidates are its last `limit`: only their timestamps
/// are read.
async fn candidate_bound(
    engine: &strata_engine::Engine,
    plan: &strata_engine::ScanPlan,
    chunks: &[(Source, usize, i64, i64)],
    taken: usize,
    p: &SearchParams,
) -> Result<Option<i64>> {
    let mut stamps = chunk_stamps(engine, plan, &chunks[..taken], p).await?;
    let Some(bound) = nth_stamp(&mut stamps, p) else {
        return Ok(None);
    };
    let reaching = chunks[taken..]
        .iter()
        .take_while(|&&(_, _, lo, hi)| {
            if p.oldest_first {
                lo <= bound
            } else {
                hi >= bound
            }
        })
        .count();
    let more = &chunks[taken..taken + reaching];
    stamps.extend(chunk_stamps(engine, plan, more, p).await?);
    Ok(nth_stamp(&mut stamps, p))
}

/// The `limit`-th newest (oldest) of `stamps`, if there are that many.
fn nth_stamp(stamps: &mut [i64], p: &SearchParams) -> Option<i64> {
    let n = p.limit.checked_sub(1).filter(|&n| n < stamps.len())?;
    Some(if p.oldest_first {
        *stamps.select_nth_unstable(n).1
    } else {
        *stamps.select_nth_unstable_by(n, |a, b| b.cmp(a)).1
    })
}

/// Timestamps of the newest (oldest) `limit` candidates of each chunk that
/// fall in the searched range.
async fn chunk_stamps(
    engine: &strata_engine::Engine,
    plan: &strata_engine::ScanPlan,
    chunks: &[(Source, usize, i64, i64)],
    p: &SearchParams,
) -> Result<Vec<i64>> {
    let limit = p.limit;
    let ends = move |n: usize| {
        if p.oldest_first {
            0..n.min(limit)
        } else {
            n.saturating_sub(limit)..n
        }
    };
    let reads = chunks.iter().filter_map(|(source, ..)| match source {
        Source::Segment(i) => Some(&plan.segments[*i]),
        Source::Memtable(_) => None,
    });
    let reads = reads.map(|s| async move {
        let picked: Vec<u32> = match &s.rows {
            Some(rows) => rows[ends(rows.len())].to_vec(),
            None => {
                let r = ends(s.meta.rows as usize);
                (r.start as u32..r.end as u32).collect()
            }
        };
        engine.row_timestamps(&s.meta, &picked).await
    });
    let mut stamps: Vec<i64> = futures::future::try_join_all(reads)
        .await
        .map_err(engine_err)?
        .concat();
    for (source, ..) in chunks {
        if let Source::Memtable(i) = source {
            let ts = plan.memtable[*i].column(timestamp_index());
            stamps.extend(ts.as_primitive::<TimestampMicrosecondType>().values());
        }
    }
    // A chunk that straddles the searched range holds candidates outside it.
    stamps.retain(|&t| p.start_us.is_none_or(|s| t >= s) && p.end_us.is_none_or(|e| t < e));
    Ok(stamps)
}
