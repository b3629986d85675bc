//! Opening a data directory written before sstable term dictionaries.
//!
//! `engine/tests/fixtures/fst-index/data` was written by the Strata build of
//! commit ac044d6 (`strata ingest` of `records.ndjson.zst`, 400 records of
//! `strata-bench gen --records 400 --seed 5 --duration 2h`): six segments
//! whose bundles are `STRIDX03`, with FST term dictionaries this build
//! cannot read, and manifest entries without `index_format`.

use std::path::{Path as FsPath, PathBuf};

use arrow::compute::{SortOptions, cast, concat_batches, sort_to_indices, take};
use arrow::datatypes::DataType;

use super::*;
use crate::batch::records_to_batch;
use crate::segment::index::INDEX_FORMAT;

fn fixture() -> PathBuf {
    FsPath::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fst-index")
}

fn copy_dir(from: &FsPath, to: &FsPath) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn fixture_records() -> Vec<StructuredLog> {
    let packed = std::fs::read(fixture().join("records.ndjson.zst")).unwrap();
    let text = zstd::decode_all(packed.as_slice()).unwrap();
    text.split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| crate::ndjson::decode_line(line, 1 << 20).unwrap())
        .collect()
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &FsPath) -> Vec<String> {
    fn walk(root: &FsPath, dir: &FsPath, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The rows of every segment, every column as text, ordered by log id.
async fn rows_as_text(engine: &Engine, columns: &[&str]) -> Vec<Vec<Option<String>>> {
    let mut batches = Vec::new();
    for s in engine.snapshot().unwrap().segments {
        let bytes = engine.read_object(&s.parquet_location()).await.unwrap();
        batches.extend(crate::segment::reader::read_all(bytes, &s.id).unwrap());
    }
    text_columns(
        &concat_batches(&batches[0].schema(), &batches).unwrap(),
        columns,
    )
}

fn text_columns(batch: &RecordBatch, columns: &[&str]) -> Vec<Vec<Option<String>>> {
    let order = sort_to_indices(
        batch.column(batch.schema().index_of(col::LOG_ID).unwrap()),
        Some(SortOptions::default()),
        None,
    )
    .unwrap();
    columns
        .iter()
        .map(|name| {
            let column = take(
                batch.column(batch.schema().index_of(name).unwrap()),
                &order,
                None,
            )
            .unwrap();
            // (a zoned timestamp is compared as its microseconds)
            let column = match column.data_type() {
                DataType::Timestamp(..) => cast(&column, &DataType::Int64).unwrap(),
                _ => column,
            };
            let text = cast(&column, &DataType::Utf8).unwrap();
            text.as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn segments_with_fst_dictionaries_are_rewritten_when_the_engine_opens() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture().join("data"), dir.path());
    let records = fixture_records();
    assert_eq!(records.len(), 400);
    let before = files_under(dir.path());
    let old_bundles: Vec<&String> = before.iter().filter(|f| f.ends_with(".index")).collect();
    assert_eq!(old_bundles.len(), 6, "{before:?}");
    for b in &old_bundles {
        let bytes = std::fs::read(dir.path().join(b)).unwrap();
        assert!(bytes.starts_with(b"STRIDX03"), "{b}");
        // this build cannot read them
        let err = SegmentIndex::open(&bytes, "old").unwrap_err().to_string();
        assert!(err.contains("STRIDX03"), "{err}");
    }

    let engine = Engine::open(config(dir.path())).await.unwrap();
    let segments = engine.snapshot().unwrap().segments;
    assert!(!segments.is_empty());
    for s in &segments {
        assert_eq!(s.index_format, INDEX_FORMAT, "{}", s.id);
        let bundle = engine.read_object(&s.index_location()).await.unwrap();
        assert!(bundle.starts_with(b"STRIDX05"), "{}", s.id);
    }
    assert_eq!(segments.iter().map(|s| s.rows).sum::<u64>(), 400);
    // the old files are gone once rewritten
    let after = files_under(dir.path());
    for b in &old_bundles {
        assert!(!after.contains(b), "{b} left behind: {after:?}");
    }

    // every record comes back whole (its template id is mined at ingest,
    // so it is not compared)
    let expected = records_to_batch(&records).unwrap();
    let columns: Vec<String> = expected
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .filter(|n| n != col::TEMPLATE_ID)
        .collect();
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    assert_eq!(
        rows_as_text(&engine, &columns).await,
        text_columns(&expected, &columns)
    );

    // and the new indexes answer like a brute-force scan of the records
    let trace = records[123].trace_id.clone().unwrap();
    let execution = records[321].execution_id.clone().unwrap();
    for q in [
        "timeout".to_string(),
        "retriev*".to_string(),
        "\"prompt tokens\"".to_string(),
        format!("trace_id:{trace}"),
        format!("trace_id:{}*", &trace[..5]),
        format!("execution_id:{execution} AND NOT completed"),
        "service:llm-gateway OR error".to_string(),
    ] {
        let query = TextQuery::parse(&q, "message").unwrap();
        let expected = brute_force_log_ids(&records, &query);
        assert!(!expected.is_empty(), "{q} matches nothing");
        assert_eq!(selected_log_ids(&engine, &query).await, expected, "{q}");
    }

    // a second open finds nothing to rewrite
    let mut ids: Vec<String> = segments.iter().map(|s| s.id.clone()).collect();
    ids.sort();
    engine.close().await.unwrap();
    drop(engine);
    let engine = Engine::open(config(dir.path())).await.unwrap();
    assert_eq!(engine.upgrade_indexes().await.unwrap(), 0);
    let mut again: Vec<String> = engine
        .snapshot()
        .unwrap()
        .segments
        .iter()
        .map(|s| s.id.clone())
        .collect();
    again.sort();
    assert_eq!(again, ids);
}

/// A segment that cannot be rewritten (its Parquet file is gone) does not
/// keep the directory from opening: the others are rewritten, it stays as
/// it was, its index names its format when asked, and each later open
/// tries it again.
#[tokio::test]
async fn an_unreadable_old_segment_is_left_and_the_rest_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture().join("data"), dir.path());
    let parquet: Vec<String> = files_under(dir.path())
        .into_iter()
        .filter(|f| f.ends_with(".parquet"))
        .collect();
    assert_eq!(parquet.len(), 6);
    std::fs::remove_file(dir.path().join(&parquet[0])).unwrap();

    let engine = Engine::open(config(dir.path())).await.unwrap();
    let segments = engine.snapshot().unwrap().segments;
    let old: Vec<&Arc<crate::segment::SegmentMeta>> = segments
        .iter()
        .filter(|s| s.index_format < INDEX_FORMAT)
        .collect();
    assert_eq!(old.len(), 1, "{segments:?}");
    assert!(parquet[0].contains(&old[0].id), "{}", parquet[0]);
    assert_eq!(
        segments
            .iter()
            .filter(|s| s.index_format == INDEX_FORMAT)
            .count(),
        5
    );
    let err = engine.open_index(old[0]).await.unwrap_err().to_string();
    assert!(
        err.contains("STRIDX03") && err.contains(&old[0].id),
        "{err}"
    );
    assert_eq!(engine.upgrade_indexes().await.unwrap(), 0);
    assert!(
        files_under(dir.path())
            .iter()
            .any(|f| f.contains(&old[0].id) && f.ends_with(".index")),
        "the unreadable segment's bundle is kept"
    );
}
