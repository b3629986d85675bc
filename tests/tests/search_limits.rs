//! `search()` (the Search RPC's and `strata search`'s query) with limits,
//! in both orders, over many hourly segments plus memtable rows: the first
//! `limit` records equal a brute-force sort of the matching records, and a
//! small limit on a common term reads only the newest segments.

use strata_engine::StructuredLog;
use strata_query::search::{SearchParams, search};
use strata_query::{QueryConfig, session};
use strata_tests::{has_phrase, has_word, strings};

const N: usize = 12_000;

type Oracle = Box<dyn Fn(&StructuredLog) -> bool>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limited_searches_equal_a_brute_force_sort() {
    let records = strata_tests::corpus(N, 8 * 3_600_000_000);
    let dir = tempfile::tempdir().unwrap();
    let engine = strata_tests::open_test_engine(dir.path()).await;
    // segments for the first three quarters, the rest in the memtable
    for chunk in records[..N * 3 / 4].chunks(N / 4) {
        engine.ingest(chunk).await.unwrap();
        engine.flush().await.unwrap();
    }
    engine.ingest(&records[N * 3 / 4..]).await.unwrap();
    assert!(engine.stats().unwrap().segments >= 8);
    let ctx = session(&engine, &QueryConfig::default()).unwrap();

    let agent = records
        .iter()
        .find(|r| has_word(&r.message, "completed"))
        .unwrap()
        .agent_id
        .clone();
    let window = (records[N / 3].timestamp_us, records[N / 2].timestamp_us);
    let a = agent.clone();
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
            matching.sort_by(|x, y| {
                let t = if oldest_first {
                    x.timestamp_us.cmp(&y.timestamp_us)
                } else {
                    y.timestamp_us.cmp(&x.timestamp_us)
                };
                t.then(x.log_id.cmp(&y.log_id))
            });
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
}
