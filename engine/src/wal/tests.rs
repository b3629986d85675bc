use std::sync::{Arc, Mutex};

use super::*;
use crate::batch::records_to_batch;
use crate::record::{Context, LogLevel, Metrics, StructuredLog};

#[derive(Default)]
struct Collect {
    seqs: Mutex<Vec<u64>>,
    rotations: Mutex<Vec<u64>>,
}

impl WalSink for Collect {
    fn committed(&self, seq: u64, _batch: RecordBatch) {
        self.seqs.lock().unwrap().push(seq);
    }
    fn rotated(&self, last_seq: u64) {
        self.rotations.lock().unwrap().push(last_seq);
    }
}

fn batch(tag: &str, n: usize) -> RecordBatch {
    let records: Vec<_> = (0..n)
        .map(|i| StructuredLog {
            log_id: format!("{tag}-{i}"),
            agent_id: "a".into(),
            execution_id: None,
            timestamp_us: i as i64,
            log_level: LogLevel::Info,
            message: format!("message {tag} {i}"),
            service: None,
            component: None,
            trace_id: None,
            span_id: None,
            parent_span_id: None,
            context: Context {
                workspace_id: "w".into(),
                ..Context::default()
            },
            metrics: Metrics::default(),
            error: None,
            attributes: None,
        })
        .collect();
    records_to_batch(&records).unwrap()
}

fn options() -> WalOptions {
    WalOptions {
        max_file_bytes: 4096,
        max_group_bytes: 1 << 20,
        queue_depth: 16,
    }
}

#[tokio::test]
async fn appends_are_recovered_in_order_and_tails_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(Collect::default());
    let wal = Wal::open(dir.path(), 1, options(), sink.clone()).unwrap();
    let mut handles = Vec::new();
    for i in 0..20 {
        let b = batch(&format!("b{i}"), 5);
        handles.push(wal.append(b));
    }
    let seqs: Vec<u64> = futures::future::join_all(handles)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let mut sorted = seqs.clone();
    sorted.sort();
    assert_eq!(sorted, (1..=20).collect::<Vec<_>>());
    assert_eq!(*sink.seqs.lock().unwrap(), (1..=20).collect::<Vec<_>>());
    wal.shutdown();
    assert!(
        list_files(dir.path()).unwrap().len() > 1,
        "small files rotate"
    );

    let rec = recover(dir.path(), 0).unwrap();
    assert_eq!(rec.next_seq, 21);
    assert_eq!(rec.batches.len(), 20);
    assert!(rec.batches.iter().map(|(s, _)| *s).eq(1..=20));
    assert_eq!(rec.batches[3].1.num_rows(), 5);

    // skip what was flushed
    let rec = recover(dir.path(), 12).unwrap();
    assert!(rec.batches.iter().map(|(s, _)| *s).eq(13..=20));

    // tear the last file mid-frame: recovery drops the torn frame only
    // the newest file holding frames (rotation may leave an empty one after it)
    let last = list_files(dir.path())
        .unwrap()
        .into_iter()
        .map(|(_, p)| p)
        .rfind(|p| std::fs::metadata(p).unwrap().len() > 8)
        .unwrap();
    let len = std::fs::metadata(&last).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
    f.set_len(len - 7).unwrap();
    drop(f);
    let rec = recover(dir.path(), 0).unwrap();
    assert_eq!(rec.batches.len(), 19);
    assert!(rec.truncated_bytes > 0);
    assert!(rec.batches.iter().map(|(s, _)| *s).eq(1..=19));
    // recovery is idempotent after truncation
    let again = recover(dir.path(), 0).unwrap();
    assert_eq!(again.truncated_bytes, 0);
    assert_eq!(again.batches.len(), 19);

    // appending continues after the recovered sequence
    let sink2 = Arc::new(Collect::default());
    let wal = Wal::open(dir.path(), again.next_seq, options(), sink2).unwrap();
    // (a torn frame may leave a gap in sequence numbers; they only need to grow)
    assert!(again.next_seq >= 20);
    assert_eq!(wal.append(batch("z", 1)).await.unwrap(), again.next_seq);
}

#[tokio::test]
async fn garbage_tail_is_cut_and_rotation_truncates() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(Collect::default());
    let wal = Wal::open(
        dir.path(),
        1,
        WalOptions {
            max_file_bytes: 1 << 30,
            ..options()
        },
        sink.clone(),
    )
    .unwrap();
    for i in 0..3 {
        wal.append(batch(&format!("x{i}"), 2)).await.unwrap();
    }
    assert_eq!(wal.rotate().await.unwrap(), 3);
    assert_eq!(*sink.rotations.lock().unwrap(), vec![3]);
    wal.append(batch("y", 2)).await.unwrap();
    // everything through 3 is in the first file, which can now go
    assert_eq!(wal.truncate_through(3).unwrap(), 1);
    wal.shutdown();
    let (_, last) = list_files(dir.path()).unwrap().pop().unwrap();
    let mut data = std::fs::read(&last).unwrap();
    data.extend_from_slice(&[
        0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
    ]);
    std::fs::write(&last, data).unwrap();
    let rec = recover(dir.path(), 0).unwrap();
    assert_eq!(rec.batches.len(), 1);
    assert_eq!(rec.batches[0].0, 4);
    assert_eq!(rec.truncated_bytes, 17);
}
