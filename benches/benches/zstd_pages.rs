//! What reading a few rows of a zstd segment costs (BENCHMARKS.md, round
//! 16): creating zstd contexts, against decompressing a page with one, and
//! one or a hundred rows of every column read from a 100k-row segment
//! through the patched parquet (vendor/README.md), which opens a codec per
//! column chunk and decompresses with the thread's one context.

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::file::metadata::PageIndexPolicy;
use strata_engine::batch::{records_to_batch, sort_by_timestamp};
use strata_engine::sample::{SampleConfig, generate};
use strata_engine::segment::SegmentLayout;
use strata_engine::segment::row_selection::rows_to_read;
use strata_engine::segment::writer::write_parquet;

const ROWS: usize = 100_000;

fn contexts(c: &mut Criterion) {
    // A page of log-like text, as a segment's text pages hold.
    let page: Vec<u8> = (0..)
        .map(|i| format!("{i} tool call finished in {} ms; ", i % 977))
        .flat_map(String::into_bytes)
        .take(32 << 10)
        .collect();
    let compressed = zstd::bulk::compress(&page, 3).expect("compress");
    let mut decompressor = zstd::bulk::Decompressor::new().expect("context");

    let mut group = c.benchmark_group("zstd_contexts");
    group.bench_function("compressor_new", |b| {
        b.iter(|| zstd::bulk::Compressor::new(3).expect("context"));
    });
    group.bench_function("decompressor_new", |b| {
        b.iter(|| zstd::bulk::Decompressor::new().expect("context"));
    });
    group.bench_function("decompress_32k_page", |b| {
        b.iter(|| {
            decompressor
                .decompress(&compressed, page.len())
                .expect("decompress")
        });
    });
    group.finish();
}

fn segment_rows(c: &mut Criterion) {
    let records = generate(
        &SampleConfig {
            total: ROWS,
            duration_us: 3_600_000_000,
            ..SampleConfig::default()
        },
        ROWS,
    );
    let batch = sort_by_timestamp(&records_to_batch(&records).expect("batch")).expect("sort");
    let (parquet, _) = write_parquet(&batch, &SegmentLayout::default(), "bench").expect("parquet");
    let file = Bytes::from(parquet);
    // Footer and page index parsed once, as the engine caches them.
    let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
    let metadata = ArrowReaderMetadata::load(&file, options).expect("metadata");
    let columns = metadata.schema().fields().len();
    let group_rows: Vec<u64> = metadata
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_rows() as u64)
        .collect();
    // As the engine reads given rows: the row groups holding them, single
    // rows selected within.
    let read = |rows: &[u32]| -> usize {
        let read = rows_to_read(&group_rows, |_| true, Some(rows));
        ParquetRecordBatchReaderBuilder::new_with_metadata(file.clone(), metadata.clone())
            .with_row_groups(read.row_groups)
            .with_row_selection(read.selection)
            .build()
            .expect("reader")
            .map(|b| b.expect("rows").num_rows())
            .sum()
    };
    let one = [ROWS as u32 / 2];
    let hundred: Vec<u32> = (0..100).map(|i| i * (ROWS as u32 / 100) + 17).collect();
    assert_eq!(read(&one), 1);
    assert_eq!(read(&hundred), 100);

    let mut group = c.benchmark_group("segment_rows_100k");
    group.bench_function(format!("one_row_{columns}_columns"), |b| {
        b.iter(|| read(&one));
    });
    group.bench_function(format!("hundred_spread_rows_{columns}_columns"), |b| {
        b.iter(|| read(&hundred));
    });
    group.finish();
}

criterion_group!(benches, contexts, segment_rows);
criterion_main!(benches);
