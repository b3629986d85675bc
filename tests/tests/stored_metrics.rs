//! The float metrics (`duration_ms`, `memory_mb`, `cpu_percent`) come back
//! bit for bit through SQL whether a segment stores them as decimals or
//! as floats, and filters (in the scan, pruning by statistics) and
//! aggregates on them match a brute-force scan, before and after
//! compaction merges both kinds.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};
use strata_engine::StructuredLog;
use strata_query::datafusion::prelude::SessionContext;
use strata_query::{QueryConfig, session};

const N: usize = 12_000;

/// The corpus (two-decimal durations and memory, one-decimal CPU), with
/// memory of 13 digits in its first quarter (64-bit decimals), a quarter
/// of its durations divided by 3 (no decimal holds those), and a quarter
/// with whole CPU percentages, four-decimal memory and negative
/// durations.
fn records() -> Vec<StructuredLog> {
    let mut records = strata_tests::corpus(N, 4 * 3_600_000_000);
    let decimal = |text: String| -> f64 { text.parse().unwrap() };
    for r in &mut records[..N / 4] {
        r.metrics.memory_mb = r
            .metrics
            .memory_mb
            .map(|m| decimal(format!("1234567{m:.2}")));
    }
    for r in &mut records[N / 4..N / 2] {
        r.metrics.duration_ms = r.metrics.duration_ms.map(|d| d / 3.0);
    }
    for r in &mut records[N / 2..N * 3 / 4] {
        r.metrics.cpu_percent = r.metrics.cpu_percent.map(f64::round);
        r.metrics.memory_mb = r.metrics.memory_mb.map(|m| decimal(format!("{m:.2}01")));
        r.metrics.duration_ms = r.metrics.duration_ms.map(|d| -d);
    }
    records
}

/// An engine on `dir` with row groups of 250 rows, so that a filter on a
/// metric can prune some by their statistics.
async fn open_engine(dir: &Path) -> strata_engine::Engine {
    strata_engine::Engine::open(strata_engine::EngineConfig {
        row_group_rows: 250,
        ..strata_tests::test_config(dir)
    })
    .await
    .expect("engine opens")
}

type Metric = fn(&StructuredLog) -> Option<f64>;

const METRICS: [(&str, Metric); 3] = [
    ("duration_ms", |r| r.metrics.duration_ms),
    ("memory_mb", |r| r.metrics.memory_mb),
    ("cpu_percent", |r| r.metrics.cpu_percent),
];

fn floats(batches: &[RecordBatch], column: &str) -> Vec<Option<f64>> {
    batches
        .iter()
        .flat_map(|b| {
            let c = b.column_by_name(column).expect("column");
            let c = c.as_primitive::<Float64Type>();
            (0..c.len())
                .map(|i| c.is_valid(i).then(|| c.value(i)))
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn check(ctx: &SessionContext, records: &[StructuredLog], stage: &str) {
    let rows = strata_tests::run_sql(
        ctx,
        "SELECT log_id, duration_ms, memory_mb, cpu_percent FROM logs",
    )
    .await;
    let ids = strata_tests::strings(&rows, "log_id");
    for (name, metric) in METRICS {
        let got: BTreeMap<&String, Option<u64>> = ids
            .iter()
            .zip(floats(&rows, name))
            .map(|(id, v)| (id, v.map(f64::to_bits)))
            .collect();
        let want: BTreeMap<&String, Option<u64>> = records
            .iter()
            .map(|r| (&r.log_id, metric(r).map(f64::to_bits)))
            .collect();
        assert!(got == want, "{stage}: {name} differs from the records'");

        let values: Vec<f64> = records.iter().filter_map(metric).collect();
        let max = values.iter().copied().fold(f64::MIN, f64::max);
        let min = values.iter().copied().fold(f64::MAX, f64::min);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let agg = strata_tests::run_sql(
            ctx,
            &format!(
                "SELECT max({name}) AS hi, min({name}) AS lo, count({name}) AS n, \
             count(*) FILTER (WHERE {name} > {median}) AS above, \
             count(*) FILTER (WHERE {name} = {median}) AS at \
             FROM logs"
            ),
        )
        .await;
        let one = |c: &str| floats(&agg, c)[0];
        assert_eq!(
            one("hi").map(f64::to_bits),
            Some(max.to_bits()),
            "{stage}: max({name})"
        );
        assert_eq!(
            one("lo").map(f64::to_bits),
            Some(min.to_bits()),
            "{stage}: min({name})"
        );
        let count = |c: &str| {
            agg[0]
                .column_by_name(c)
                .unwrap()
                .as_primitive::<arrow::datatypes::Int64Type>()
                .value(0) as usize
        };
        assert_eq!(count("n"), values.len(), "{stage}: count({name})");
        assert_eq!(
            count("above"),
            values.iter().filter(|v| **v > median).count(),
            "{stage}: {name} > {median}"
        );
        let at = values.iter().filter(|v| **v == median).count();
        assert!(at > 0);
        assert_eq!(count("at"), at, "{stage}: {name} = {median}");

        // the same conditions as scan filters (pushed into the Parquet
        // scan, pruning row groups and pages by their statistics)
        type Cond = Box<dyn Fn(Option<f64>) -> bool>;
        let conditions: [(String, Cond); 5] = [
            (
                format!("{name} > {median}"),
                Box::new(move |v| v.is_some_and(|v| v > median)),
            ),
            (
                format!("{name} = {median}"),
                Box::new(move |v| v == Some(median)),
            ),
            (
                format!("{name} < 0"),
                Box::new(|v| v.is_some_and(|v| v < 0.0)),
            ),
            (
                format!("{name} >= {max}"),
                Box::new(move |v| v.is_some_and(|v| v >= max)),
            ),
            (format!("{name} IS NULL"), Box::new(|v| v.is_none())),
        ];
        for (cond, oracle) in conditions {
            let got =
                strata_tests::run_sql(ctx, &format!("SELECT log_id FROM logs WHERE {cond}")).await;
            let mut got = strata_tests::strings(&got, "log_id");
            got.sort();
            let mut want: Vec<String> = records
                .iter()
                .filter(|r| oracle(metric(r)))
                .map(|r| r.log_id.clone())
                .collect();
            want.sort();
            assert_eq!(got, want, "{stage}: WHERE {cond}");
        }
    }
}

/// The type each segment file stores `column` as.
fn stored_types(dir: &Path, column: &str) -> Vec<DataType> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                let file = std::fs::File::open(&p).unwrap();
                let builder =
                    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                        .unwrap();
                let schema = builder.schema();
                out.push(schema.field_with_name(column).unwrap().data_type().clone());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_read_back_exactly_from_decimal_and_float_segments() {
    let records = records();
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(dir.path()).await;
    for (i, part) in records.chunks(N / 4).enumerate() {
        engine.ingest(part).await.unwrap();
        if i < 3 {
            engine.flush().await.unwrap();
        }
    }
    let durations = stored_types(dir.path(), "duration_ms");
    assert!(
        durations.contains(&DataType::Decimal32(9, 2)),
        "{durations:?}"
    );
    assert!(durations.contains(&DataType::Float64), "{durations:?}");
    let cpu = stored_types(dir.path(), "cpu_percent");
    assert!(cpu.contains(&DataType::Decimal32(9, 1)), "{cpu:?}");
    assert!(cpu.contains(&DataType::Decimal32(9, 0)), "{cpu:?}");
    let memory = stored_types(dir.path(), "memory_mb");
    assert!(memory.contains(&DataType::Decimal32(9, 4)), "{memory:?}");
    assert!(memory.contains(&DataType::Decimal64(18, 2)), "{memory:?}");

    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    check(&ctx, &records, "segments + memtable").await;
    engine.flush().await.unwrap();
    let compacted = engine.compact().await.unwrap();
    assert!(compacted.segments_merged > 0, "{compacted:?}");
    check(&ctx, &records, "compacted").await;
    engine.close().await.unwrap();
    drop((ctx, engine));
    let engine = open_engine(dir.path()).await;
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    check(&ctx, &records, "after restart").await;
}
