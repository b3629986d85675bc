//! A segment read for the few rows its full-text index selected fetches
//! only the pages holding them, through SQL and `search()`: the Parquet
//! bytes a trace lookup scans are a small part of what reading the same
//! segment whole scans (DataFusion's opener left the page index unloaded
//! without a page-pruning predicate, and then read every selected row
//! group's column chunks whole).

use std::sync::Arc;

use strata_engine::StructuredLog;
use strata_query::datafusion::physical_plan::{ExecutionPlan, collect};
use strata_query::datafusion::prelude::SessionContext;
use strata_query::search::{SearchParams, search_plan};
use strata_query::{QueryConfig, session};
use strata_tests::strings;

/// Records in one partition (one workspace, one hour), so one segment of
/// one row group: at least ten pages per column (4,096 rows at most, fewer
/// where the ids and text are cut by bytes).
const N: usize = 40_000;

/// Parquet bytes the plan's scans fetched (`bytes_scanned`, as `EXPLAIN
/// ANALYZE` shows it), after running it.
async fn rows_and_bytes_scanned(
    ctx: &SessionContext,
    plan: Arc<dyn ExecutionPlan>,
) -> (Vec<String>, usize) {
    let batches = collect(plan.clone(), ctx.task_ctx()).await.unwrap();
    let mut bytes = 0;
    let mut stack = vec![plan];
    while let Some(p) = stack.pop() {
        if let Some(m) = p.metrics() {
            bytes += m.sum_by_name("bytes_scanned").map_or(0, |v| v.as_usize());
        }
        stack.extend(p.children().into_iter().cloned());
    }
    let mut ids = strings(&batches, "log_id");
    ids.sort();
    (ids, bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_lookup_reads_only_the_pages_of_its_rows() {
    let mut records: Vec<StructuredLog> = strata_tests::corpus(N, 3_000_000_000);
    for r in &mut records {
        r.context.workspace_id = "ws-one".into();
    }
    let dir = tempfile::tempdir().unwrap();
    let engine = strata_tests::open_test_engine(dir.path()).await;
    engine.ingest(&records).await.unwrap();
    engine.flush().await.unwrap();
    assert_eq!(engine.snapshot().unwrap().segments.len(), 1);
    let ctx = session(&engine, &QueryConfig::default()).unwrap();

    // a trace from the middle of the hour
    let trace = records[N / 2].trace_id.clone().expect("a traced record");
    let mut expected: Vec<String> = records
        .iter()
        .filter(|r| r.trace_id.as_deref() == Some(trace.as_str()))
        .map(|r| r.log_id.clone())
        .collect();
    expected.sort();

    let plan = |sql: String| {
        let ctx = ctx.clone();
        async move {
            let df = ctx.sql(&sql).await.unwrap();
            df.create_physical_plan().await.unwrap()
        }
    };
    let (all, whole) = rows_and_bytes_scanned(&ctx, plan("SELECT * FROM logs".into()).await).await;
    assert_eq!(all.len(), N);
    let sql = format!("SELECT * FROM logs WHERE search(message, 'trace_id:{trace}')");
    let (found, sparse) = rows_and_bytes_scanned(&ctx, plan(sql).await).await;
    assert_eq!(found, expected);
    assert!(
        sparse * 4 < whole,
        "the trace's {} rows scanned {sparse} bytes, the whole segment {whole}",
        expected.len()
    );

    // the search of `strata search` and the Search RPC reads the same way,
    // also bounded to a window the segment's statistics settle (as
    // `search()` bounds itself to the span of the candidates' segments)
    let first = records.iter().map(|r| r.timestamp_us).min().unwrap();
    let last = records.iter().map(|r| r.timestamp_us).max().unwrap();
    for (start_us, end_us) in [(None, None), (Some(first), Some(last + 1))] {
        let params = SearchParams {
            query: format!("trace_id:{trace}"),
            start_us,
            end_us,
            limit: 100,
            ..SearchParams::default()
        };
        let plan = search_plan(&ctx, &params).await.unwrap();
        let (found, searched) = rows_and_bytes_scanned(&ctx, plan).await;
        assert_eq!(found, expected, "{params:?}");
        assert!(
            searched * 4 < whole,
            "{params:?} scanned {searched} bytes, the whole segment {whole}"
        );
    }
}
