//! SQL and search() over memtable + several segments, before and after
//! compaction and restart, against brute-force scans of the same records.

use std::collections::BTreeSet;

use strata_engine::StructuredLog;
use strata_query::datafusion::prelude::SessionContext;
use strata_query::{QueryConfig, session};
use strata_tests::{counts, has_phrase, has_prefix, has_word, oracle_counts, strings};

const N: usize = 24_000;

fn corpus() -> Vec<StructuredLog> {
    strata_tests::corpus(N, 6 * 3_600_000_000)
}

type Oracle = Box<dyn Fn(&StructuredLog) -> bool>;

/// (SQL condition on logs, the same condition as a brute-force predicate)
fn conditions(records: &[StructuredLog]) -> Vec<(String, Oracle)> {
    let some_trace = records
        .iter()
        .find_map(|r| r.trace_id.clone())
        .expect("corpus has traces");
    let some_agent = records
        .iter()
        .find(|r| has_word(&r.message, "error"))
        .expect("corpus has error messages")
        .agent_id
        .clone();
    let t0 = records[N / 4].timestamp_us;
    let t1 = records[N / 2].timestamp_us;
    let ts = |us: i64| {
        chrono::DateTime::from_timestamp_micros(us)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    let trace = some_trace.clone();
    let agent = some_agent.clone();
    // one record's whole message, quoted for SQL
    let exact = records[N / 3].message.clone();
    let exact_sql = exact.replace('\'', "''");
    vec![
        ("true".into(), Box::new(|_| true)),
        // `message` itself, rendered from the stored shape and variables:
        // compared, matched and measured by DataFusion, not the index
        (
            format!("message = '{exact_sql}'"),
            Box::new(move |r| r.message == exact),
        ),
        (
            "attributes LIKE '%\"region\":\"us-west-2\"%' AND json_get_str(attributes, 'region') = 'us-west-2'".into(),
            Box::new(|r| {
                r.attributes.as_deref().is_some_and(|a| {
                    let v: serde_json::Value = serde_json::from_str(a).unwrap();
                    v["region"] == "us-west-2"
                })
            }),
        ),
        (
            "message LIKE '%timed out after%'".into(),
            Box::new(|r| r.message.contains("timed out after")),
        ),
        // a phrase on `stack_trace`, checked on the text rendered from its
        // shape, variables and error message
        (
            "search(stack_trace, '\"most recent call\"')".into(),
            Box::new(|r| {
                r.error
                    .as_ref()
                    .and_then(|e| e.stack_trace.as_deref())
                    .is_some_and(|t| has_phrase(t, &["most", "recent", "call"]))
            }),
        ),
        // `stack_trace`, rendered with the error message it quotes
        (
            "stack_trace LIKE '%Traceback%' AND strpos(stack_trace, error_message) > 0".into(),
            Box::new(|r| {
                r.error.as_ref().is_some_and(|e| {
                    let (Some(t), Some(m)) = (&e.stack_trace, &e.message) else {
                        return false;
                    };
                    t.contains("Traceback") && t.contains(m.as_str())
                })
            }),
        ),
        (
            "length(message) > 90 AND message NOT LIKE 'Execution%'".into(),
            Box::new(|r| r.message.chars().count() > 90 && !r.message.starts_with("Execution")),
        ),
        (
            "search(message, 'timeout')".into(),
            Box::new(|r| has_word(&r.message, "timeout")),
        ),
        (
            "search(message, '\"connection refused\"')".into(),
            Box::new(|r| has_phrase(&r.message, &["connection", "refused"])),
        ),
        (
            "search(message, 'cache AND NOT miss')".into(),
            Box::new(|r| has_word(&r.message, "cache") && !has_word(&r.message, "miss")),
        ),
        (
            "search(message, 'tool OR (rate AND limit)')".into(),
            Box::new(|r| {
                has_word(&r.message, "tool")
                    || (has_word(&r.message, "rate") && has_word(&r.message, "limit"))
            }),
        ),
        (
            "search(message, 'retriev*')".into(),
            Box::new(|r| has_prefix(&r.message, "retriev")),
        ),
        (
            format!("search(message, 'trace_id:{some_trace}')"),
            Box::new(move |r| r.trace_id.as_deref() == Some(trace.as_str())),
        ),
        (
            format!("search(message, 'agent_id:{some_agent} AND error')"),
            Box::new(move |r| r.agent_id == agent && has_word(&r.message, "error")),
        ),
        (
            "search(error_message, 'timed OR refused')".into(),
            Box::new(|r| {
                r.error
                    .as_ref()
                    .and_then(|e| e.message.as_deref())
                    .is_some_and(|m| has_word(m, "timed") || has_word(m, "refused"))
            }),
        ),
        (
            format!(
                "timestamp >= '{}' AND timestamp < '{}' AND search(message, 'documents')",
                ts(t0),
                ts(t1)
            ),
            Box::new(move |r| {
                r.timestamp_us >= t0 && r.timestamp_us < t1 && has_word(&r.message, "documents")
            }),
        ),
        (
            "workspace_id = 'ws-acme' AND log_level IN ('error', 'fatal')".into(),
            Box::new(|r| {
                r.context.workspace_id == "ws-acme"
                    && matches!(r.log_level.as_str(), "error" | "fatal")
            }),
        ),
    ]
}

async fn check(ctx: &SessionContext, records: &[StructuredLog], stage: &str) {
    let sql = |q: String| async move { strata_tests::run_sql(ctx, &q).await };
    for (cond, oracle) in conditions(records) {
        let got: BTreeSet<String> = strings(
            &sql(format!("SELECT log_id FROM logs WHERE {cond}")).await,
            "log_id",
        )
        .into_iter()
        .collect();
        let want: BTreeSet<String> = records
            .iter()
            .filter(|r| oracle(r))
            .map(|r| r.log_id.clone())
            .collect();
        assert!(!want.is_empty(), "{stage}: oracle empty for {cond}");
        assert_eq!(got.len(), want.len(), "{stage}: count for {cond}");
        assert_eq!(got, want, "{stage}: rows for {cond}");
    }
    // every message and attributes reads back as the records' batch holds
    // them
    let rows = sql("SELECT log_id, message, attributes FROM logs".into()).await;
    let texts = |batches: &[arrow::array::RecordBatch]| {
        let ids = strings(batches, "log_id");
        let pairs = strings(batches, "message")
            .into_iter()
            .zip(strings(batches, "attributes"));
        ids.into_iter()
            .zip(pairs)
            .collect::<std::collections::BTreeMap<String, (String, String)>>()
    };
    let want = texts(&[strata_engine::batch::records_to_batch(records).unwrap()]);
    assert!(
        texts(&rows) == want,
        "{stage}: texts differ from the records'"
    );
    // and every stack trace, read without the error message it refers to
    let rows =
        sql("SELECT log_id, stack_trace FROM logs WHERE stack_trace IS NOT NULL".into()).await;
    let got: std::collections::BTreeMap<String, String> = strings(&rows, "log_id")
        .into_iter()
        .zip(strings(&rows, "stack_trace"))
        .collect();
    let want: std::collections::BTreeMap<String, String> = records
        .iter()
        .filter_map(|r| Some((r.log_id.clone(), r.error.as_ref()?.stack_trace.clone()?)))
        .collect();
    assert!(!want.is_empty(), "{stage}: corpus has stack traces");
    assert!(
        got == want,
        "{stage}: stack traces differ from the records'"
    );
    let by_level = sql("SELECT log_level, count(*) AS n FROM logs GROUP BY log_level".into()).await;
    assert_eq!(
        counts(&by_level, "log_level", "n"),
        oracle_counts(records, |r| r.log_level.to_string()),
        "{stage}: group by level"
    );
    let by_service = sql(
        "SELECT service, count(*) AS n FROM logs WHERE workspace_id = 'ws-globex' GROUP BY service"
            .into(),
    )
    .await;
    assert_eq!(
        counts(&by_service, "service", "n"),
        oracle_counts(
            records
                .iter()
                .filter(|r| r.context.workspace_id == "ws-globex"),
            |r| r.service.clone().unwrap_or_else(|| "<null>".into())
        ),
        "{stage}: group by service"
    );
    // newest first with a limit
    let newest = sql(
        "SELECT log_id FROM logs WHERE search(message, 'completed') ORDER BY timestamp DESC, log_id LIMIT 7"
            .into(),
    )
    .await;
    let mut want: Vec<&StructuredLog> = records
        .iter()
        .filter(|r| has_word(&r.message, "completed"))
        .collect();
    want.sort_by(|a, b| {
        b.timestamp_us
            .cmp(&a.timestamp_us)
            .then(a.log_id.cmp(&b.log_id))
    });
    let want: Vec<String> = want.iter().take(7).map(|r| r.log_id.clone()).collect();
    assert_eq!(strings(&newest, "log_id"), want, "{stage}: newest first");
}

/// Ingests `records` in `parts` equal parts, flushing after each but the
/// last, which stays in the memtable.
async fn ingest_in_parts(engine: &strata_engine::Engine, records: &[StructuredLog], parts: usize) {
    for (i, chunk) in records.chunks(N / parts).enumerate() {
        engine.ingest(chunk).await.unwrap();
        if i + 1 < parts {
            engine.flush().await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_and_search_match_a_brute_force_scan_at_every_stage() {
    let records = corpus();
    let dir = tempfile::tempdir().unwrap();
    let engine = strata_tests::open_test_engine(dir.path()).await;
    // three flushes (many (workspace, hour) segments) and a memtable tail
    ingest_in_parts(&engine, &records, 4).await;
    let stats = engine.stats().unwrap();
    assert!(stats.segments >= 6, "{stats:?}");
    assert_eq!(stats.memtable_rows as usize, N / 4);
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    check(&ctx, &records, "memtable + segments").await;

    // a plan made before compaction still reads the same rows after it
    let cond = "search(message, 'timeout') OR log_level = 'fatal'";
    let plan = ctx
        .sql(&format!("SELECT log_id FROM logs WHERE {cond}"))
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    engine.flush().await.unwrap();
    let compacted = engine.compact().await.unwrap();
    assert!(compacted.segments_merged > 0, "{compacted:?}");
    let batches = strata_query::datafusion::physical_plan::collect(plan, ctx.task_ctx())
        .await
        .unwrap();
    let got: BTreeSet<String> = strings(&batches, "log_id").into_iter().collect();
    let want: BTreeSet<String> = records
        .iter()
        .filter(|r| has_word(&r.message, "timeout") || r.log_level.as_str() == "fatal")
        .map(|r| r.log_id.clone())
        .collect();
    assert_eq!(got, want, "plan from before compaction");
    check(&ctx, &records, "after compaction").await;

    engine.close().await.unwrap();
    drop(ctx);
    drop(engine);
    let engine = strata_tests::open_test_engine(dir.path()).await;
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    check(&ctx, &records, "after restart").await;
}

/// Segments that store `message`, `attributes` and `stack_trace` as text
/// (written before the shape encoding, or with it off) and segments that
/// store shapes and variables answer together, and after compaction merges
/// them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_with_text_columns_as_text_and_as_shapes_answer_together() {
    use strata_engine::{Engine, EngineConfig};
    let records = corpus();
    let dir = tempfile::tempdir().unwrap();
    let config = |text_shapes: bool| EngineConfig {
        text_shapes,
        ..strata_tests::test_config(dir.path())
    };
    {
        let engine = Engine::open(config(false)).await.unwrap();
        engine.ingest(&records[..N / 2]).await.unwrap();
        engine.flush().await.unwrap();
        engine.close().await.unwrap();
    }
    let engine = Engine::open(config(true)).await.unwrap();
    engine.ingest(&records[N / 2..N * 3 / 4]).await.unwrap();
    engine.flush().await.unwrap();
    engine.ingest(&records[N * 3 / 4..]).await.unwrap();
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    check(&ctx, &records, "text and shaped segments + memtable").await;
    engine.flush().await.unwrap();
    let compacted = engine.compact().await.unwrap();
    assert!(compacted.segments_merged > 0, "{compacted:?}");
    check(&ctx, &records, "compacted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_shows_pruning_and_bad_queries_are_named() {
    let records = corpus();
    let dir = tempfile::tempdir().unwrap();
    let engine = strata_tests::open_test_engine(dir.path()).await;
    engine.ingest(&records).await.unwrap();
    engine.flush().await.unwrap();
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    let total = engine.stats().unwrap().segments;
    let plan = ctx
        .sql("EXPLAIN SELECT count(*) FROM logs WHERE workspace_id = 'ws-acme' AND search(message, '\"connection refused\"')")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let text = strings(&plan, "plan").join("\n");
    let want_rows = records
        .iter()
        .filter(|r| {
            r.context.workspace_id == "ws-acme"
                && has_phrase(&r.message, &["connection", "refused"])
        })
        .count();
    let line = text
        .lines()
        .find(|l| l.contains("LogsScanExec"))
        .unwrap_or_else(|| panic!("no LogsScanExec in\n{text}"));
    assert!(line.contains(&format!("segments={total}")), "{line}");
    assert!(
        !line.contains("pruned_by_stats=0"),
        "workspace filter prunes: {line}"
    );
    assert!(
        line.contains(&format!("index_rows_selected={want_rows}")),
        "{line}"
    );

    // ORDER BY timestamp DESC LIMIT stops early: the TopK's dynamic filter
    // prunes older row groups, so few of the corpus' rows are read
    let analyzed = ctx
        .sql("EXPLAIN ANALYZE SELECT log_id FROM logs ORDER BY timestamp DESC LIMIT 5")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let text = strings(&analyzed, "plan").join("\n");
    let scan = text
        .lines()
        .find(|l| l.contains("DataSourceExec"))
        .unwrap_or_else(|| panic!("no DataSourceExec in\n{text}"));
    let read: usize = scan
        .split("output_rows=")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no output_rows in {scan}"));
    assert!(read < N / 4, "read {read} of {N} rows for a top-5: {scan}");

    let err = ctx
        .sql("SELECT * FROM logs WHERE search(message, 'foo AND')")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("search()"), "{err}");
    let err = ctx
        .sql("SELECT * FROM logs WHERE search(message, 'nosuchfield:x')")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("nosuchfield"), "{err}");
}

/// `percentile_cont` as DataFusion defines it: the values sorted, the two
/// around rank `p × (n - 1)` interpolated.
fn percentile_cont(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = p * (values.len() - 1) as f64;
    let (lo, hi) = (values[rank.floor() as usize], values[rank.ceil() as usize]);
    lo + (hi - lo) * (rank - rank.floor())
}

/// The benchmark's aggregates (p99 `duration_ms` by service, per-minute
/// level counts) equal a brute-force computation on one partition, and on
/// several, where the final aggregate merges partial states (an exact
/// percentile's state is every value).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percentiles_and_per_minute_counts_equal_a_brute_force_computation() {
    use std::collections::BTreeMap;

    let records = corpus();
    let dir = tempfile::tempdir().unwrap();
    let engine = strata_tests::open_test_engine(dir.path()).await;
    ingest_in_parts(&engine, &records, 3).await;
    let mut by_service: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in &records {
        if let (Some(s), Some(d)) = (&r.service, r.metrics.duration_ms) {
            by_service.entry(s.clone()).or_default().push(d);
        }
    }
    assert!(by_service.len() >= 4, "{:?}", by_service.keys());
    let want_p99: BTreeMap<String, f64> = by_service
        .into_iter()
        .map(|(s, v)| (s, percentile_cont(v, 0.99)))
        .collect();
    let want_minutes = oracle_counts(&records, |r| {
        format!("{} {}", r.timestamp_us / 60_000_000, r.log_level)
    });

    for partitions in [1, 2, 4] {
        let config = QueryConfig {
            target_partitions: Some(partitions),
            ..QueryConfig::default()
        };
        let ctx = session(&engine, &config).unwrap();
        let p99_sql = "SELECT service, percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99 \
                       FROM logs WHERE service IS NOT NULL GROUP BY service";
        let got = strata_tests::run_sql(&ctx, p99_sql).await;
        // The partial stage numbers the keys (the memtable is a partition
        // of its own, so there is one even on one partition).
        let plan = strata_tests::run_sql(&ctx, &format!("EXPLAIN {p99_sql}")).await;
        let plan = strings(&plan, "plan").join("\n");
        assert!(
            plan.contains("TextKeyAggregateExec"),
            "{partitions} partitions:\n{plan}"
        );
        let services = strings(&got, "service");
        let mut values = Vec::new();
        for b in &got {
            let idx = b.schema().index_of("p99").unwrap();
            let col = b.column(idx).as_any();
            let col = col
                .downcast_ref::<arrow::array::Float64Array>()
                .expect("p99 is f64");
            values.extend(col.iter().map(|v| v.expect("p99 of a group")));
        }
        let got: BTreeMap<String, f64> = services.into_iter().zip(values).collect();
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want_p99.keys().collect::<Vec<_>>(),
            "{partitions} partitions"
        );
        for (service, want) in &want_p99 {
            // DataFusion quantizes the interpolation weight to 1e-6
            let tolerance = 1e-5 * want.abs().max(1.0);
            assert!(
                (got[service] - want).abs() <= tolerance,
                "{partitions} partitions, {service}: {} against {want}",
                got[service]
            );
        }

        let minutes = strata_tests::run_sql(
            &ctx,
            "SELECT concat(CAST(CAST(to_unixtime(date_trunc('minute', timestamp)) AS BIGINT) / 60 AS VARCHAR), ' ', log_level) AS k, \
             count(*) AS n FROM logs GROUP BY 1",
        )
        .await;
        assert_eq!(
            counts(&minutes, "k", "n"),
            want_minutes,
            "{partitions} partitions: per-minute levels"
        );
    }
}
