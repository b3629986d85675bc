//! The real server under concurrent ingest: `kill -9` and SIGTERM lose
//! nothing that was acknowledged, and nothing is stored twice.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use strata_engine::sample::{SampleConfig, generate};
use strata_proto::v1::log_service_client::LogServiceClient;
use strata_proto::v1::{IngestRequest, LogRecords, SqlRequest, ingest_request};
use strata_server::grpc::record_to_proto;

mod common;
use common::start_server as start;

/// Four clients ingesting batches until told to stop; returns the log ids
/// of every batch whose Ingest returned OK.
async fn ingest_until(url: &str, stop_after: Duration, kill: impl FnOnce()) -> Vec<String> {
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for client_no in 0..4u64 {
        let url = url.to_string();
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = LogServiceClient::connect(url).await.unwrap();
            for batch_no in 0.. {
                let records = generate(
                    &SampleConfig {
                        seed: client_no * 1_000_003 + batch_no,
                        total: 500,
                        ..SampleConfig::default()
                    },
                    500,
                );
                let req = IngestRequest {
                    payload: Some(ingest_request::Payload::Records(LogRecords {
                        records: records.iter().map(record_to_proto).collect(),
                    })),
                };
                match c.ingest(req).await {
                    Ok(r) => {
                        assert_eq!(r.into_inner().accepted, 500);
                        acked
                            .lock()
                            .unwrap()
                            .extend(records.into_iter().map(|r| r.log_id));
                    }
                    Err(_) => return, // the server went away
                }
            }
        }));
    }
    tokio::time::sleep(stop_after).await;
    kill();
    for t in tasks {
        let _ = t.await;
    }
    Arc::try_unwrap(acked).unwrap().into_inner().unwrap()
}

async fn stored_ids(url: &str) -> HashMap<String, usize> {
    use futures::StreamExt;
    let mut c = LogServiceClient::connect(url.to_string())
        .await
        .unwrap()
        .max_decoding_message_size(usize::MAX);
    let mut s = c
        .sql(SqlRequest {
            sql: "SELECT log_id FROM logs".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut ipc = Vec::new();
    while let Some(m) = s.next().await {
        ipc.extend(m.unwrap().arrow_ipc);
    }
    let mut out = HashMap::new();
    for b in arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(ipc), None).unwrap() {
        let b = b.unwrap();
        use arrow::array::AsArray;
        for id in b.column(0).as_string::<i32>().iter().flatten() {
            *out.entry(id.to_string()).or_insert(0) += 1;
        }
    }
    out
}

fn check(acked: &[String], stored: &HashMap<String, usize>) {
    assert!(!acked.is_empty(), "some batches were acknowledged");
    for id in acked {
        assert_eq!(stored.get(id), Some(&1), "acknowledged {id}");
    }
    assert!(stored.values().all(|&n| n == 1), "a record is stored twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_concurrent_ingest_loses_no_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = start(dir.path());
    let acked = ingest_until(&url, Duration::from_millis(2500), || {
        child.kill().unwrap(); // SIGKILL
    })
    .await;
    child.wait().unwrap();
    let (mut again, url) = start(dir.path());
    check(&acked, &stored_ids(&url).await);
    again.kill().unwrap();
    again.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_ingest_shuts_down_cleanly_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = start(dir.path());
    let pid = child.id().to_string();
    let acked = ingest_until(&url, Duration::from_millis(2000), || {
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    })
    .await;
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    // a clean shutdown flushed everything: the WAL holds no unflushed frame
    let (mut again, url) = start(dir.path());
    check(&acked, &stored_ids(&url).await);
    again.kill().unwrap();
    again.wait().unwrap();
}
