//! WAL append throughput: group commit with fsync, 1 and 4 concurrent writers.

use std::sync::Arc;

use arrow::array::RecordBatch;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use strata_engine::batch::records_to_batch;
use strata_engine::sample::{SampleConfig, generate};
use strata_engine::wal::{Wal, WalOptions, WalSink};

struct Discard;

impl WalSink for Discard {
    fn committed(&self, _seq: u64, _batch: RecordBatch) {}
    fn rotated(&self, _last_seq: u64) {}
}

fn wal_append(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let records = generate(&SampleConfig::default(), 1000);
    let batch = records_to_batch(&records).expect("batch");
    let mut group = c.benchmark_group("wal_append_1000_records");
    group.throughput(Throughput::Elements(1000));
    for writers in [1usize, 4] {
        let dir = tempfile::tempdir().expect("tempdir");
        let wal = Arc::new(
            Wal::open(
                dir.path(),
                1,
                WalOptions {
                    max_file_bytes: 64 << 20,
                    max_group_bytes: 32 << 20,
                    queue_depth: 256,
                },
                Arc::new(Discard),
            )
            .expect("wal"),
        );
        group.bench_with_input(BenchmarkId::from_parameter(writers), &writers, |b, &w| {
            b.to_async(&rt).iter(|| {
                let wal = wal.clone();
                let batch = batch.clone();
                async move {
                    let appends = (0..w).map(|_| wal.append(batch.clone()));
                    for r in futures::future::join_all(appends).await {
                        r.expect("append");
                    }
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, wal_append);
criterion_main!(benches);
