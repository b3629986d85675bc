//! `search()` (the Search RPC's and `strata search`'s query) with limits,
//! in both orders, over many hourly segments plus memtable rows: the first
//! `limit` records equal a brute-force sort of the matching records (also
//! when many records share a timestamp, so the bound a search narrows
//! itself to falls among ties), and a small limit on a common term reads
//! only the newest segments.

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use datafusion::physical_plan::{ExecutionPlanProperties, collect, displayable};
use strata_engine::{Engine, StructuredLog};
use strata_query::datafusion;
use strata_query::datafusion::prelude::SessionContext;
use strata_query::search::{SearchParams, search, search_frame, search_plan, time_bounds};
use strata_query::{QueryConfig, session};
use strata_tests::{has_phrase, has_word, strings};

const N: usize = 12_000;

type Oracle = Box<dyn Fn(&StructuredLog) -> bool>;

/// The agent of the first record whose message holds `word`.
fn agent_of_word(records: &[StructuredLog], word: &str) -> String {
    let first = records.iter().find(|r| has_word(&r.message, word));
    first.expect("a record with the word").agent_id.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limited_searches_equal_a_brute_force_sort() {
    limited_searches_over(strata_tests::corpus(N, 8 * 3_600_000_000)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limited_searches_equal_a_brute_force_sort_among_tied_timestamps() {
    // ~25 records per minute, all stamped at the start of their minute
    let mut records = strata_tests::corpus(N, 8 * 3_600_000_000);
    for r in &mut records {
        r.timestamp_us -= r.timestamp_us % 60_000_000;
    }
    limited_searches_over(records).await;
}

/// An engine on `dir` holding `records` (`N` of them): the first three
/// quarters flushed to segments, a quarter at a time, the rest in the
/// memtable.
async fn three_quarters_flushed(dir: &std::path::Path, records: &[StructuredLog]) -> Engine {
    let engine = strata_tests::open_test_engine(dir).await;
    for chunk in records[..N * 3 / 4].chunks(N / 4) {
        engine.ingest(chunk).await.unwrap();
        engine.flush().await.unwrap();
    }
    engine.ingest(&records[N * 3 / 4..]).await.unwrap();
    engine
}

/// An engine on `dir` holding `records` (`N` of them), all flushed, in
/// two halves.
async fn all_flushed(dir: &std::path::Path, records: &[StructuredLog]) -> Engine {
    let engine = strata_tests::open_test_engine(dir).await;
    for chunk in records.chunks(N / 2) {
        engine.ingest(chunk).await.unwrap();
        engine.flush().await.unwrap();
    }
    engine
}

fn one_batch(batches: &[RecordBatch]) -> RecordBatch {
    let schema = batches.first().expect("a batch").schema();
    concat_batches(&schema, batches).unwrap()
}

/// Runs the plan `search()` runs for `p` (of `partitions` output
/// partitions, if given), checks it answers as the plan DataFusion's
/// optimizers make of the same search, column for column, and returns its
/// batches.
async fn direct_plan_as_optimized(
    ctx: &SessionContext,
    p: &SearchParams,
    partitions: Option<usize>,
) -> Vec<RecordBatch> {
    let plan = search_plan(ctx, p).await.unwrap();
    if let Some(n) = partitions {
        assert_eq!(plan.output_partitioning().partition_count(), n, "{p:?}");
    }
    let direct = collect(plan, ctx.task_ctx()).await.unwrap();
    let optimized = search_frame(ctx, p).await.unwrap();
    let optimized = optimized.collect().await.unwrap();
    assert_eq!(one_batch(&direct), one_batch(&optimized), "{p:?}");
    direct
}

/// `records` in search order: newest (oldest) first, ties by `log_id`.
fn in_search_order(records: &mut [&StructuredLog], oldest_first: bool) {
    records.sort_by(|x, y| {
        let t = x.timestamp_us.cmp(&y.timestamp_us);
        let t = if oldest_first { t } else { t.reverse() };
        t.then(x.log_id.cmp(&y.log_id))
    });
}

async fn limited_searches_over(records: Vec<StructuredLog>) {
    let dir = tempfile::tempdir().unwrap();
    let engine = three_quarters_flushed(dir.path(), &records).await;
    assert!(engine.stats().unwrap().segments >= 8);
    let ctx = session(&engine, &QueryConfig::default()).unwrap();

    let agent = agent_of_word(&records, "completed");
    let window = (records[N / 3].timestamp_us, records[N / 2].timestamp_us);
    let a = agent.clone();
    // a service, and the component of a record holding "completed"
    let service = records[N / 3].service.clone().unwrap();
    let s = service.clone();
    let component = records
        .iter()
        .find(|r| has_word(&r.message, "completed"))
        .and_then(|r| r.component.clone())
        .unwrap();
    let c = component.clone();
    let cases: Vec<(SearchParams, Oracle)> = vec![
        (
            SearchParams {
                query: "completed".into(),
                ..SearchParams::default()
            },
            Box::new(|r| has_word(&r.message, "completed")),
        ),
        (
            SearchParams {
                query: "\"connection refused\"".into(),
                ..SearchParams::default()
            },
            Box::new(|r| has_phrase(&r.message, &["connection", "refused"])),
        ),
        (
            // the index over-counts what the agent filter keeps
            SearchParams {
                query: "completed".into(),
                agent_id: Some(agent.clone()),
                ..SearchParams::default()
            },
            Box::new(move |r| r.agent_id == a && has_word(&r.message, "completed")),
        ),
        (
            // a raw field alone, and negated beside a term
            SearchParams {
                query: format!("service:{service}"),
                ..SearchParams::default()
            },
            Box::new(move |r| r.service.as_deref() == Some(s.as_str())),
        ),
        (
            SearchParams {
                query: format!("completed AND NOT component:{component}"),
                ..SearchParams::default()
            },
            Box::new(move |r| {
                has_word(&r.message, "completed") && r.component.as_deref() != Some(c.as_str())
            }),
        ),
        (
            SearchParams {
                query: String::new(),
                start_us: Some(window.0),
                end_us: Some(window.1),
                ..SearchParams::default()
            },
            Box::new(move |r| r.timestamp_us >= window.0 && r.timestamp_us < window.1),
        ),
    ];
    for (base, oracle) in &cases {
        let mut matching: Vec<&StructuredLog> = records.iter().filter(|r| oracle(r)).collect();
        assert!(!matching.is_empty(), "{base:?}");
        for oldest_first in [false, true] {
            in_search_order(&mut matching, oldest_first);
            for limit in [1, 7, 100, 2_000] {
                let p = SearchParams {
                    limit,
                    oldest_first,
                    ..base.clone()
                };
                let got = search(&ctx, &p).await.unwrap();
                let want: Vec<String> = matching
                    .iter()
                    .take(limit)
                    .map(|r| r.log_id.clone())
                    .collect();
                assert_eq!(strings(&got.batches, "log_id"), want, "{p:?}");
                // The plan a search runs, unbounded, too.
                let direct = direct_plan_as_optimized(&ctx, &p, None).await;
                assert_eq!(strings(&direct, "log_id"), want, "{p:?}");
            }
        }
    }

    // A small limit on a common term leaves the older segments unread.
    let p = SearchParams {
        query: "completed".into(),
        limit: 10,
        ..SearchParams::default()
    };
    let got = search(&ctx, &p).await.unwrap();
    assert!(
        got.stats.segments_pruned_by_stats >= got.stats.segments_total / 2,
        "{:?}",
        got.stats
    );
    // The TopK's threshold reaches the Parquet scan, as in the optimized
    // plan, to prune what it passes as it tightens.
    let plan = search_plan(&ctx, &p).await.unwrap();
    let shown = displayable(plan.as_ref()).indent(true).to_string();
    assert!(shown.contains("DynamicFilter"), "{shown}");
}

/// Where the index answers exactly (a term, the agent), the tightest bound
/// a search narrows itself to is the timestamp of its `limit`-th match.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_row_bound_is_the_timestamp_of_the_limit_th_match() {
    let mut records = strata_tests::corpus(N, 8 * 3_600_000_000);
    for r in &mut records {
        r.timestamp_us -= r.timestamp_us % 1_000_000; // some ties
    }
    let dir = tempfile::tempdir().unwrap();
    let engine = all_flushed(dir.path(), &records).await;
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    let agent = agent_of_word(&records, "completed");
    for agent_id in [None, Some(agent)] {
        let mut stamps: Vec<i64> = records
            .iter()
            .filter(|r| has_word(&r.message, "completed"))
            .filter(|r| agent_id.as_ref().is_none_or(|a| &r.agent_id == a))
            .map(|r| r.timestamp_us)
            .collect();
        stamps.sort_unstable();
        for oldest_first in [false, true] {
            let limit = 3;
            assert!(stamps.len() >= 8 * limit, "{} matches", stamps.len());
            let p = SearchParams {
                query: "completed".into(),
                agent_id: agent_id.clone(),
                limit,
                oldest_first,
                ..SearchParams::default()
            };
            let bounds = time_bounds(&ctx, &p).await.unwrap();
            let first = bounds
                .first()
                .unwrap_or_else(|| panic!("no bound for {p:?}"));
            assert!(!first.complete);
            let first = &first.params;
            if oldest_first {
                assert_eq!(first.end_us, Some(stamps[limit - 1] + 1), "{p:?}");
                assert_eq!(first.start_us, None);
            } else {
                assert_eq!(first.start_us, Some(stamps[stamps.len() - limit]), "{p:?}");
                assert_eq!(first.end_us, None);
            }
            // and the search bounded so finds what the unbounded one does
            let got = search(&ctx, &p).await.unwrap();
            assert_eq!(
                strings(&got.batches, "log_id").len(),
                limit,
                "{p:?}: {:?}",
                got.stats
            );
        }
    }
}

/// A phrase's candidates are checked on Parquet, so its row bound is taken
/// at twice the limit: it lies at or before the `limit`-th match, so the run
/// it bounds finds the `limit` newest (oldest), and it is tighter than the
/// span of the newest segment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phrase_is_bounded_to_the_row_too() {
    let records = strata_tests::corpus(N, 8 * 3_600_000_000);
    let dir = tempfile::tempdir().unwrap();
    let engine = all_flushed(dir.path(), &records).await;
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    let words = ["prompt", "tokens"];
    let mut matching: Vec<&StructuredLog> = records
        .iter()
        .filter(|r| has_phrase(&r.message, &words))
        .collect();
    let limit = 3;
    assert!(matching.len() >= 8 * limit, "{} matches", matching.len());
    for oldest_first in [false, true] {
        in_search_order(&mut matching, oldest_first);
        let p = SearchParams {
            query: "\"prompt tokens\"".into(),
            limit,
            oldest_first,
            ..SearchParams::default()
        };
        let bounds = time_bounds(&ctx, &p).await.unwrap();
        assert_eq!(bounds.len(), 2, "a row bound, then the span: {bounds:?}");
        let nth = matching[limit - 1].timestamp_us;
        let first = &bounds[0].params;
        if oldest_first {
            assert!(first.end_us.unwrap() > nth, "{first:?} vs {nth}");
        } else {
            assert!(first.start_us.unwrap() <= nth, "{first:?} vs {nth}");
        }
        let got = search(&ctx, &p).await.unwrap();
        let want: Vec<String> = matching[..limit].iter().map(|r| r.log_id.clone()).collect();
        assert_eq!(strings(&got.batches, "log_id"), want, "{p:?}");
    }
}

/// A search whose indexes select fewer rows than its limit (a trace id, a
/// word found nowhere) runs once, over the span of the chunks holding its
/// candidates, and still finds every match, newest or oldest first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fewer_matches_than_the_limit_are_found_in_one_run_over_their_span() {
    let records = strata_tests::corpus(N, 8 * 3_600_000_000);
    let dir = tempfile::tempdir().unwrap();
    let engine = three_quarters_flushed(dir.path(), &records).await;
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    let trace_after = |i: usize| {
        let r = records[i..].iter().find(|r| r.trace_id.is_some());
        r.and_then(|r| r.trace_id.clone()).expect("a traced record")
    };
    // one trace in the segments, one in the memtable
    for (trace, in_segments) in [(trace_after(N / 10), true), (trace_after(N - 50), false)] {
        for oldest_first in [false, true] {
            let mut matching: Vec<&StructuredLog> = records
                .iter()
                .filter(|r| r.trace_id.as_ref() == Some(&trace))
                .collect();
            in_search_order(&mut matching, oldest_first);
            let p = SearchParams {
                query: format!("trace_id:{trace}"),
                limit: 100,
                oldest_first,
                ..SearchParams::default()
            };
            assert!(matching.len() < p.limit, "{} matches", matching.len());
            let bounds = time_bounds(&ctx, &p).await.unwrap();
            assert_eq!(bounds.len(), 1, "{bounds:?}");
            assert!(bounds[0].complete, "{bounds:?}");
            let (start, end) = (bounds[0].params.start_us, bounds[0].params.end_us);
            let (start, end) = (start.unwrap(), end.unwrap());
            assert!(
                matching
                    .iter()
                    .all(|r| r.timestamp_us >= start && r.timestamp_us < end),
                "{p:?}: [{start}, {end})"
            );
            // narrower than the corpus
            assert!(start > records[0].timestamp_us || end <= records[N - 1].timestamp_us);
            let got = search(&ctx, &p).await.unwrap();
            let want: Vec<String> = matching.iter().map(|r| r.log_id.clone()).collect();
            assert_eq!(strings(&got.batches, "log_id"), want, "{p:?}");
            if in_segments {
                assert!(got.stats.segments_pruned_by_stats > 0, "{:?}", got.stats);
            }
        }
    }
    // No candidate anywhere: one complete run over an empty window.
    let p = SearchParams {
        query: "nosuchwordanywhere".into(),
        limit: 10,
        ..SearchParams::default()
    };
    let bounds = time_bounds(&ctx, &p).await.unwrap();
    assert_eq!(bounds.len(), 1, "{bounds:?}");
    assert!(bounds[0].complete);
    let got = search(&ctx, &p).await.unwrap();
    assert!(strings(&got.batches, "log_id").is_empty());
    assert_eq!(got.stats.segments_scanned, 0, "{:?}", got.stats);
}

/// With every record still in the memtable (no segment yet), a search
/// finds its matches there: the pre-pass asks the memtable even when there
/// is no segment to ask.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_of_the_memtable_alone_finds_its_matches() {
    let records = strata_tests::corpus(2_000, 3_600_000_000);
    let dir = tempfile::tempdir().unwrap();
    let engine = strata_tests::open_test_engine(dir.path()).await;
    engine.ingest(&records).await.unwrap();
    assert_eq!(engine.stats().unwrap().segments, 0);
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    for (query, limit) in [("completed", 5), ("completed", 5_000), ("nosuchword", 5)] {
        let mut want: Vec<&StructuredLog> = records
            .iter()
            .filter(|r| has_word(&r.message, query))
            .collect();
        in_search_order(&mut want, false);
        let want: Vec<String> = want.iter().take(limit).map(|r| r.log_id.clone()).collect();
        let p = SearchParams {
            query: query.into(),
            limit,
            ..SearchParams::default()
        };
        let got = search(&ctx, &p).await.unwrap();
        assert_eq!(strings(&got.batches, "log_id"), want, "{p:?}");
    }
}

/// On one partition (no merge above the TopK) and with no filter at all,
/// the plan a search runs answers as the brute force and as the plan
/// DataFusion's optimizers make of the same search.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_direct_plan_on_one_partition_and_without_filters() {
    let records = strata_tests::corpus(N, 8 * 3_600_000_000);
    let dir = tempfile::tempdir().unwrap();
    let engine = all_flushed(dir.path(), &records).await;
    let config = QueryConfig {
        target_partitions: Some(1),
        ..QueryConfig::default()
    };
    let ctx = session(&engine, &config).unwrap();
    let agent = agent_of_word(&records, "completed");
    let cases: Vec<(SearchParams, Oracle)> = vec![
        (SearchParams::default(), Box::new(|_| true)),
        (
            SearchParams {
                query: "completed".into(),
                agent_id: Some(agent.clone()),
                start_us: Some(records[N / 4].timestamp_us),
                ..SearchParams::default()
            },
            Box::new({
                let since = records[N / 4].timestamp_us;
                move |r| {
                    r.agent_id == agent
                        && r.timestamp_us >= since
                        && has_word(&r.message, "completed")
                }
            }),
        ),
    ];
    for (base, oracle) in &cases {
        let mut matching: Vec<&StructuredLog> = records.iter().filter(|r| oracle(r)).collect();
        for oldest_first in [false, true] {
            in_search_order(&mut matching, oldest_first);
            let p = SearchParams {
                limit: 50,
                oldest_first,
                ..base.clone()
            };
            let direct = direct_plan_as_optimized(&ctx, &p, Some(1)).await;
            let want: Vec<String> = matching.iter().take(50).map(|r| r.log_id.clone()).collect();
            assert_eq!(want.len(), 50, "{p:?}");
            assert_eq!(strings(&direct, "log_id"), want, "{p:?}");
        }
    }
}
