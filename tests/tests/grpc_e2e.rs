//! A real server on 127.0.0.1:0 and real tonic clients: ingest over both
//! RPCs (typed and NDJSON) with bad records mixed in, then Search, Sql and
//! Tail against brute-force oracles over the same records.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::time::Duration;

use futures::StreamExt;
use strata_engine::sample::{SampleConfig, generate, to_ndjson_line};
use strata_engine::{Engine, EngineConfig, StructuredLog};
use strata_proto::v1::log_service_client::LogServiceClient;
use strata_proto::v1::{
    IngestRequest, LogRecord, LogRecords, Order, SearchRequest, SqlRequest, TailRequest,
    ingest_request,
};
use strata_server::config::ServerConfig;
use strata_server::grpc::{record_to_proto, serve};
use strata_tests::{counts, has_phrase, has_word, oracle_counts, strings};
use tonic::Code;
use tonic::transport::Channel;

const N: usize = 20_000;

struct Server {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    engine: Engine,
    _dir: tempfile::TempDir,
}

async fn start() -> Server {
    start_with(|engine| EngineConfig {
        flush_bytes: 8 << 20,
        ..engine
    })
    .await
}

/// A server whose engine configuration is `engine` of the default one.
async fn start_with(engine: impl FnOnce(EngineConfig) -> EngineConfig) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ServerConfig {
        data_dir: dir.path().to_path_buf(),
        engine: engine(EngineConfig::new(dir.path())),
        ..ServerConfig::default()
    };
    let engine = Engine::open(cfg.engine.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let e = engine.clone();
    let task = tokio::spawn(async move {
        serve(e, &cfg, listener, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Server {
        url,
        stop: Some(stop),
        task,
        engine,
        _dir: dir,
    }
}

async fn client(url: &str) -> LogServiceClient<Channel> {
    for _ in 0..50 {
        if let Ok(c) = LogServiceClient::connect(url.to_string()).await {
            return c.max_decoding_message_size(usize::MAX);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server at {url} did not come up");
}

fn typed(records: &[StructuredLog]) -> IngestRequest {
    IngestRequest {
        payload: Some(ingest_request::Payload::Records(LogRecords {
            records: records.iter().map(record_to_proto).collect(),
        })),
    }
}

fn ndjson(records: &[StructuredLog]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend(to_ndjson_line(r).as_bytes());
        out.push(b'\n');
    }
    out
}

async fn sql(c: &mut LogServiceClient<Channel>, q: &str) -> Vec<arrow::array::RecordBatch> {
    let mut stream = c
        .sql(SqlRequest { sql: q.into() })
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .into_inner();
    let mut ipc = Vec::new();
    while let Some(m) = stream.next().await {
        ipc.extend(m.unwrap().arrow_ipc);
    }
    arrow::ipc::reader::StreamReader::try_new(Cursor::new(ipc), None)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_search_sql_and_tail_match_an_oracle() {
    let server = start().await;
    let mut c = client(&server.url).await;
    let records = generate(
        &SampleConfig {
            total: N,
            duration_us: 4 * 3_600_000_000,
            ..SampleConfig::default()
        },
        N,
    );
    let (first, second) = records.split_at(N / 2);

    // typed Ingest, with two bad records in the first batch
    let mut bad = typed(&first[..1000]);
    if let Some(ingest_request::Payload::Records(list)) = &mut bad.payload {
        list.records.insert(
            3,
            LogRecord {
                agent_id: String::new(),
                ..list.records[0].clone()
            },
        );
        list.records.insert(
            10,
            LogRecord {
                log_level: "loud".into(),
                ..list.records[0].clone()
            },
        );
    }
    let r = c.ingest(bad).await.unwrap().into_inner();
    assert_eq!(r.accepted, 1000);
    let rejected: Vec<(u64, bool)> = r
        .rejected
        .iter()
        .map(|x| {
            (
                x.index,
                x.reason.contains("agent_id") || x.reason.contains("log_level"),
            )
        })
        .collect();
    assert_eq!(rejected, vec![(3, true), (10, true)]);
    for chunk in first[1000..].chunks(1500) {
        let r = c.ingest(typed(chunk)).await.unwrap().into_inner();
        assert_eq!(r.accepted as usize, chunk.len());
        assert!(r.rejected.is_empty());
    }
    // everything acknowledged is visible now
    let total = sql(&mut c, "SELECT count(*) AS n FROM logs").await;
    assert_eq!(strings(&total, "n"), vec![(N / 2).to_string()]);

    // Tail from now on: ws-acme records mentioning timeout or completed
    let mut tail = client(&server.url)
        .await
        .tail(TailRequest {
            query: "timeout OR completed".into(),
            agent_id: None,
            workspace_id: Some("ws-acme".into()),
            start_us: None,
        })
        .await
        .unwrap()
        .into_inner();
    let tail_matches = |r: &StructuredLog| {
        r.context.workspace_id == "ws-acme"
            && (has_word(&r.message, "timeout") || has_word(&r.message, "completed"))
    };
    let want_tail: Vec<String> = second
        .iter()
        .filter(|r| tail_matches(r))
        .map(|r| r.log_id.clone())
        .collect();
    let collector = tokio::spawn(async move {
        let mut got = Vec::new();
        while got.len() < want_tail.len() {
            match tokio::time::timeout(Duration::from_secs(20), tail.next()).await {
                Ok(Some(Ok(r))) => got.push(r.log_id),
                other => panic!("tail ended early after {}: {other:?}", got.len()),
            }
        }
        (got, want_tail)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    // IngestStream of NDJSON with a bad line; indexes count across the stream
    let mut messages = Vec::new();
    for (i, chunk) in second.chunks(2500).enumerate() {
        let mut bytes = ndjson(chunk);
        if i == 1 {
            bytes.extend_from_slice(b"{\"broken\": \n");
        }
        messages.push(IngestRequest {
            payload: Some(ingest_request::Payload::Ndjson(bytes)),
        });
    }
    let r = c
        .ingest_stream(futures::stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.accepted as usize, second.len());
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].index, 5000, "{:?}", r.rejected);
    assert!(r.rejected[0].reason.contains("invalid JSON"));

    let (got, want) = collector.await.unwrap();
    assert_eq!(
        got, want,
        "tail delivers exactly the matching new records, in order"
    );

    // some of it flushed to segments, some still in the memtable
    server.engine.flush().await.unwrap();
    let more: Vec<StructuredLog> = generate(
        &SampleConfig {
            seed: 99,
            total: 500,
            ..SampleConfig::default()
        },
        500,
    );
    c.ingest(typed(&more)).await.unwrap();
    let all: Vec<StructuredLog> = records.iter().chain(&more).cloned().collect();

    // Search against a brute-force scan
    type Oracle = Box<dyn Fn(&StructuredLog) -> bool>;
    let cases: Vec<(SearchRequest, Oracle)> = vec![
        (
            SearchRequest {
                query: "timeout".into(),
                limit: Some(10_000),
                ..Default::default()
            },
            Box::new(|r| has_word(&r.message, "timeout")),
        ),
        (
            SearchRequest {
                query: "\"connection refused\"".into(),
                workspace_id: Some("ws-globex".into()),
                limit: Some(10_000),
                ..Default::default()
            },
            Box::new(|r| {
                r.context.workspace_id == "ws-globex"
                    && has_phrase(&r.message, &["connection", "refused"])
            }),
        ),
        (
            SearchRequest {
                query: "completed".into(),
                limit: Some(25),
                ..Default::default()
            },
            Box::new(|r| has_word(&r.message, "completed")),
        ),
        (
            SearchRequest {
                query: "completed".into(),
                limit: Some(25),
                order: Order::OldestFirst as i32,
                ..Default::default()
            },
            Box::new(|r| has_word(&r.message, "completed")),
        ),
    ];
    for (req, oracle) in cases {
        let limit = req.limit.unwrap() as usize;
        let oldest = req.order == Order::OldestFirst as i32;
        let resp = c.search(req.clone()).await.unwrap().into_inner();
        let mut want: Vec<&StructuredLog> = all.iter().filter(|r| oracle(r)).collect();
        want.sort_by(|a, b| {
            let t = if oldest {
                a.timestamp_us.cmp(&b.timestamp_us)
            } else {
                b.timestamp_us.cmp(&a.timestamp_us)
            };
            t.then(a.log_id.cmp(&b.log_id))
        });
        let want: Vec<String> = want.iter().take(limit).map(|r| r.log_id.clone()).collect();
        let got: Vec<String> = resp.records.iter().map(|r| r.log_id.clone()).collect();
        assert_eq!(got, want, "{req:?}");
        assert!(resp.took_ms > 0.0);
        assert!(resp.rows_matched as usize >= got.len());
    }

    // Sql: aggregates and a large streamed result
    let levels = sql(
        &mut c,
        "SELECT log_level, count(*) AS n FROM logs GROUP BY log_level",
    )
    .await;
    assert_eq!(
        counts(&levels, "log_level", "n"),
        oracle_counts(&all, |r| r.log_level.to_string())
    );
    let ids = sql(&mut c, "SELECT log_id FROM logs").await;
    let got: BTreeSet<String> = strings(&ids, "log_id").into_iter().collect();
    let want: BTreeSet<String> = all.iter().map(|r| r.log_id.clone()).collect();
    assert_eq!(got, want);
    let per_ws: BTreeMap<String, i64> = counts(
        &sql(
            &mut c,
            "SELECT workspace_id, count(*) AS n FROM logs GROUP BY 1",
        )
        .await,
        "workspace_id",
        "n",
    );
    assert_eq!(
        per_ws,
        oracle_counts(&all, |r| r.context.workspace_id.clone())
    );

    // pattern analytics over the same rows
    let mut analytics =
        strata_proto::v1::analytics_service_client::AnalyticsServiceClient::connect(
            server.url.clone(),
        )
        .await
        .unwrap();
    let report = analytics
        .patterns(strata_proto::v1::PatternsRequest {
            min_frequency: Some(0.0),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.records as usize, all.len());
    let temporal = report.temporal.expect("temporal patterns with ALL");
    assert_eq!(temporal.hour_of_day.iter().sum::<u64>() as usize, all.len());
    let message_total: u64 = report
        .patterns
        .iter()
        .filter(|p| p.kind == "message")
        .map(|p| p.count)
        .sum();
    assert!(message_total > 0 && message_total as usize <= all.len());
    let errors = all
        .iter()
        .filter(|r| matches!(r.log_level.as_str(), "error" | "fatal"))
        .count() as u64;
    let error_total: u64 = report
        .patterns
        .iter()
        .filter(|p| p.kind == "error")
        .map(|p| p.count)
        .sum();
    assert!(
        error_total > 0 && error_total <= errors,
        "{error_total} of {errors}"
    );
    assert!(
        report
            .patterns
            .iter()
            .filter(|p| p.kind == "error")
            .all(|p| p.severity != 0 && p.recommendation.is_some())
    );
    let e = analytics
        .patterns(strata_proto::v1::PatternsRequest {
            min_frequency: Some(2.0),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e}");

    // errors map to codes with reasons
    let e = c
        .search(SearchRequest {
            query: "foo AND".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e}");
    let e = c
        .sql(SqlRequest {
            sql: "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc/passwd'".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e}");
    let e = c
        .sql(SqlRequest {
            sql: "SELEC 1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e}");
    let e = c.ingest(IngestRequest { payload: None }).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e}");

    // health and reflection for generic clients
    let channel = Channel::from_shared(server.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "strata.v1.LogService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut reflection = ServerReflectionClient::new(channel);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut resp = reflection
        .server_reflection_info(futures::stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let Some(Ok(msg)) = resp.next().await else {
        panic!("no reflection reply")
    };
    let Some(MessageResponse::ListServicesResponse(list)) = msg.message_response else {
        panic!("unexpected reflection reply")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"strata.v1.LogService".to_string()),
        "{names:?}"
    );

    // a graceful stop ends live tails instead of waiting for them
    let mut idle_tail = client(&server.url)
        .await
        .tail(TailRequest::default())
        .await
        .unwrap()
        .into_inner();
    let Server { mut stop, task, .. } = server;
    let _ = stop.take().unwrap().send(());
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the server stops while a tail is open")
        .unwrap();
    match idle_tail.next().await {
        Some(Err(s)) => assert_eq!(s.code(), Code::Unavailable, "{s}"),
        None => {}
        other => panic!("unexpected tail item after shutdown: {other:?}"),
    }
}

/// Four clients ingest 8 MB of records into a server that holds at most
/// 0.4 MB unflushed: every call is accepted (held while flushes make room,
/// not refused) and every record is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overloaded_server_holds_ingest_calls_until_a_flush_makes_room() {
    let server = start_with(|engine| EngineConfig {
        flush_bytes: 200_000,
        max_unflushed_bytes: 400_000,
        ..engine
    })
    .await;
    // one workspace and one hour: each flush writes one small segment, so
    // a held call waits for little even in a debug build
    let records = generate(
        &SampleConfig {
            total: 16_000,
            workspaces: 1,
            duration_us: 3_600_000_000,
            ..SampleConfig::default()
        },
        16_000,
    );
    let clients: Vec<_> = records
        .chunks(4_000)
        .map(|part| {
            let (url, part) = (server.url.clone(), part.to_vec());
            tokio::spawn(async move {
                let mut c = client(&url).await;
                for chunk in part.chunks(500) {
                    let r = c
                        .ingest(typed(chunk))
                        .await
                        .unwrap_or_else(|s| panic!("refused: {s}"))
                        .into_inner();
                    assert_eq!(r.accepted as usize, chunk.len());
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    let mut c = client(&server.url).await;
    let totals = sql(
        &mut c,
        "SELECT count(*) AS n, count(DISTINCT log_id) AS ids FROM logs",
    )
    .await;
    assert_eq!(strings(&totals, "n"), ["16000"]);
    assert_eq!(strings(&totals, "ids"), ["16000"]);
    assert!(server.engine.stats().unwrap().segments > 1);
}
