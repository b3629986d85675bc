//! Segment write (Parquet + full-text index) and full-text queries on one segment.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use strata_engine::batch::{records_to_batch_with_templates, sort_by_timestamp};
use strata_engine::sample::{SampleConfig, generate};
use strata_engine::segment::index::build_bundle;
use strata_engine::segment::writer::write_parquet;
use strata_engine::segment::{SegmentIndex, SegmentLayout, write_segment};
use strata_engine::template::MinerConfig;
use strata_engine::template_store::TemplateStore;
use strata_engine::text_query::TextQuery;

const ROWS: usize = 100_000;

/// An hour of generated records.
fn hour_of_records() -> Vec<strata_engine::StructuredLog> {
    generate(
        &SampleConfig {
            total: ROWS,
            duration_us: 3_600_000_000,
            ..SampleConfig::default()
        },
        ROWS,
    )
}

fn segment(c: &mut Criterion) {
    let records = hour_of_records();
    // Template ids mined as at ingest: the index shares each template's
    // static message tokens.
    let template_ids = TemplateStore::new(MinerConfig::default()).assign(&records);
    let batch = sort_by_timestamp(
        &records_to_batch_with_templates(&records, Some(&template_ids)).expect("batch"),
    )
    .expect("sort");

    let mut group = c.benchmark_group("segment_write");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("parquet_and_index_100k", |b| {
        b.iter(|| write_segment(&batch, "ws-acme", &SegmentLayout::default()).expect("segment"));
    });
    // The two halves of a segment write (they run side by side), and the
    // Parquet half with the text columns at zstd 6 instead of 3.
    let layouts = [
        ("default", SegmentLayout::default()),
        (
            "text_zstd6",
            SegmentLayout {
                text_zstd_level: 6,
                ..SegmentLayout::default()
            },
        ),
    ];
    for (name, layout) in &layouts {
        group.bench_function(format!("parquet_only_{name}"), |b| {
            b.iter(|| write_parquet(&batch, layout, "bench").expect("parquet"));
        });
    }
    group.bench_function("index_only", |b| {
        b.iter(|| build_bundle(&batch, "bench").expect("index"));
    });
    group.finish();

    let files = write_segment(&batch, "ws-acme", &SegmentLayout::default()).expect("segment");
    let index = SegmentIndex::open(&files.index, &files.meta.id).expect("index");
    let trace = records
        .iter()
        .find_map(|r| r.trace_id.clone())
        .expect("a trace id");
    let mut group = c.benchmark_group("fulltext_query_100k_rows");
    for (name, q) in [
        ("rare_term", "refused".to_string()),
        ("common_term", "completed".to_string()),
        // The index holds no positions: a phrase asks it for the rows
        // holding all its tokens, then checks them on the Parquet column.
        ("phrase_tokens", "connection AND refused".to_string()),
        ("boolean", "cache AND NOT miss".to_string()),
        ("prefix", "retriev*".to_string()),
        ("trace_id", format!("trace_id:{trace}")),
    ] {
        let query = TextQuery::parse(&q, "message").expect("query");
        group.bench_function(name, |b| b.iter(|| index.search(&query).expect("search")));
    }
    group.finish();
}

/// `message`, `attributes` and `stack_trace` to shapes and variables
/// (segment write) and back (every read of them from a segment), with the
/// fields they refer to.
fn text_shapes(c: &mut Criterion) {
    use arrow::array::{Array, ArrayRef, AsArray, StringArray};
    use arrow::datatypes::DataType;
    use strata_engine::segment::text_shapes::{SHAPED_COLUMNS, decode, encode, references};

    let records = hour_of_records();
    let batch = records_to_batch_with_templates(&records, None).expect("batch");
    let text = |name: &str| -> StringArray {
        let column = batch.column_by_name(name).expect("column");
        column.as_string::<i32>().clone()
    };
    let view = |a: &dyn Array| -> ArrayRef {
        arrow::compute::cast(a, &DataType::Utf8View).expect("views")
    };
    let mut group = c.benchmark_group("text_shapes_100k");
    group.throughput(Throughput::Elements(ROWS as u64));
    for &column in SHAPED_COLUMNS {
        let texts = text(column);
        let refs: Vec<StringArray> = references(column).iter().map(|r| text(r)).collect();
        let refs: Vec<&StringArray> = refs.iter().collect();
        let (shapes, vars) = encode(&texts, &refs);
        let ref_views: Vec<ArrayRef> = refs.iter().map(|r| view(*r)).collect();
        let names = references(column).iter().copied();
        let plain: Vec<(&str, Option<&dyn Array>)> = names
            .clone()
            .zip(refs.iter().map(|r| Some(*r as &dyn Array)))
            .collect();
        let views: Vec<(&str, Option<&dyn Array>)> = names
            .zip(ref_views.iter().map(|r| Some(r.as_ref())))
            .collect();
        let (shape_views, var_views) = (view(&shapes), view(&vars));
        group.bench_function(format!("{column}_encode"), |b| {
            b.iter(|| encode(&texts, &refs))
        });
        if !refs.is_empty() {
            // what searching the referenced fields costs, side by side
            group.bench_function(format!("{column}_encode_without_references"), |b| {
                b.iter(|| encode(&texts, &[]))
            });
        }
        group.bench_function(format!("{column}_decode"), |b| {
            b.iter(|| decode(&shapes, &vars, &plain, "bench").expect("decode"))
        });
        group.bench_function(format!("{column}_decode_views"), |b| {
            b.iter(|| decode(&shape_views, &var_views, &views, "bench").expect("decode"))
        });
    }
    group.finish();
}

/// The metrics to decimals (segment write) and back to floats (every read
/// of them from a segment).
fn decimal_floats(c: &mut Criterion) {
    use strata_engine::segment::decimal_floats::{DECIMAL_COLUMNS, to_float, to_stored};

    let records = hour_of_records();
    let batch = records_to_batch_with_templates(&records, None).expect("batch");
    let stored = to_stored(&batch).expect("decimals");
    let mut group = c.benchmark_group("decimal_floats_100k");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("to_stored", |b| {
        b.iter(|| to_stored(&batch).expect("decimals"))
    });
    group.bench_function("to_float", |b| {
        b.iter(|| {
            for c in DECIMAL_COLUMNS {
                to_float(stored.column_by_name(c).expect("column")).expect("floats");
            }
        })
    });
    group.finish();
}

criterion_group!(benches, segment, text_shapes, decimal_floats);
criterion_main!(benches);
