//! A segment's ranged read from the local store (BENCHMARKS.md, round 19):
//! `object_store`'s `LocalFileSystem`, which hands every read to tokio's
//! blocking pool, against Strata's `SyncedLocalStore`, which reads what the
//! page cache holds in place. Three 16 KiB ranges of a cached 8 MiB file,
//! as a column chunk's pages are read.

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use strata_engine::store::SyncedLocalStore;

fn ranged_reads(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let synced = SyncedLocalStore::try_new(dir.path()).expect("store");
    let plain = LocalFileSystem::new_with_prefix(dir.path()).expect("store");
    let data: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
    let path = Path::from("ws=a/segment.parquet");
    rt.block_on(synced.put(&path, Bytes::from(data).into()))
        .expect("put");
    let ranges = [
        1 << 20..(1 << 20) + (16 << 10),
        3 << 20..(3 << 20) + (16 << 10),
        7 << 20..(7 << 20) + (16 << 10),
    ];
    // Both answer alike, and the file is in the page cache.
    let a = rt.block_on(plain.get_ranges(&path, &ranges)).expect("read");
    let b = rt
        .block_on(synced.get_ranges(&path, &ranges))
        .expect("read");
    assert_eq!(a, b);

    let mut group = c.benchmark_group("local_ranged_read_3x16k");
    group.bench_function("local_file_system", |bench| {
        bench.iter(|| rt.block_on(plain.get_ranges(&path, &ranges)).expect("read"));
    });
    group.bench_function("synced_local_store", |bench| {
        bench.iter(|| {
            rt.block_on(synced.get_ranges(&path, &ranges))
                .expect("read")
        });
    });
    group.finish();
}

criterion_group!(benches, ranged_reads);
criterion_main!(benches);
