//! Engine tests: durability, recovery, crash between flush steps, compaction.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use arrow::array::{Array, AsArray, RecordBatch};
use async_trait::async_trait;
use futures::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

use super::*;
use crate::batch::timestamp_index;
use crate::predicate::TimeRange;
use crate::sample::{SampleConfig, generate};
use crate::text_query::TextQuery;

mod index_upgrade;

fn config(dir: &std::path::Path) -> EngineConfig {
    EngineConfig {
        background_tasks: false,
        compaction_min_segments: 2,
        ..EngineConfig::new(dir)
    }
}

/// log_id -> occurrences over a snapshot (segments read back + memtable).
async fn ids(engine: &Engine) -> HashMap<String, usize> {
    let snap = engine.snapshot().unwrap();
    let mut batches: Vec<RecordBatch> = snap.memtable.clone();
    for s in &snap.segments {
        let bytes = engine
            .store()
            .get(&s.parquet_location())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        batches.extend(crate::segment::reader::read_all(bytes, &s.id).unwrap());
    }
    let mut out = HashMap::new();
    for b in batches {
        for id in b.column(0).as_string::<i32>().iter().flatten() {
            *out.entry(id.to_string()).or_default() += 1;
        }
    }
    out
}

fn sample(n: usize) -> Vec<StructuredLog> {
    generate(
        &SampleConfig {
            total: n,
            ..SampleConfig::default()
        },
        n,
    )
}

fn assert_exactly_once(found: &HashMap<String, usize>, records: &[StructuredLog]) {
    assert_eq!(found.len(), records.len(), "distinct ids");
    for r in records {
        assert_eq!(found.get(&r.log_id), Some(&1), "record {}", r.log_id);
    }
}

#[tokio::test]
async fn acknowledged_records_survive_a_crash_and_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let records = sample(3000);
    {
        let engine = Engine::open(config(dir.path())).await.unwrap();
        engine.ingest(&records[..1000]).await.unwrap();
        engine.flush().await.unwrap();
        engine.ingest(&records[1000..2000]).await.unwrap();
        engine.ingest(&records[2000..]).await.unwrap();
        // "crash": drop without close; nothing flushed since the first 1000
    }
    // a torn frame at the end of the newest WAL file
    let (_, last) = wal::list_files(&dir.path().join("wal"))
        .unwrap()
        .pop()
        .unwrap();
    let mut data = std::fs::read(&last).unwrap();
    data.extend_from_slice(&[9, 0, 0, 0, 1, 2]);
    std::fs::write(&last, data).unwrap();

    let engine = Engine::open(config(dir.path())).await.unwrap();
    assert_exactly_once(&ids(&engine).await, &records);
    engine.flush().await.unwrap();
    engine.close().await.unwrap();
    let engine = Engine::open(config(dir.path())).await.unwrap();
    assert_eq!(engine.stats().unwrap().memtable_rows, 0);
    assert_exactly_once(&ids(&engine).await, &records);
}

/// A store that fails puts under a prefix while `fail` is set, and
/// counts the reads in flight at once (each read taking `read_delay`, a
/// store further away than memory).
#[derive(Debug, Default)]
struct FaultyStore {
    inner: InMemory,
    prefix: &'static str,
    fail: AtomicBool,
    read_delay: std::time::Duration,
    reads_in_flight: AtomicUsize,
    most_reads_in_flight: AtomicUsize,
}

impl FaultyStore {
    fn failing(prefix: &'static str, fail: bool) -> FaultyStore {
        FaultyStore {
            prefix,
            fail: AtomicBool::new(fail),
            ..FaultyStore::default()
        }
    }
}

impl std::fmt::Display for FaultyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FaultyStore")
    }
}

#[async_trait]
impl ObjectStore for FaultyStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        if self.fail.load(Ordering::SeqCst) && location.as_ref().starts_with(self.prefix) {
            return Err(object_store::Error::Generic {
                store: "FaultyStore",
                source: "injected failure".into(),
            });
        }
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }
    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        if self.read_delay.is_zero() {
            return self.inner.get_opts(location, options).await;
        }
        // Counted out on drop, so a read abandoned mid-way leaves no count.
        struct InFlight<'a>(&'a AtomicUsize);
        impl Drop for InFlight<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let now = self.reads_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let _in_flight = InFlight(&self.reads_in_flight);
        self.most_reads_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.read_delay).await;
        self.inner.get_opts(location, options).await
    }
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[tokio::test]
async fn a_crash_between_upload_and_commit_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FaultyStore::failing("_manifest", false));
    let records = sample(2000);
    {
        let engine = Engine::open_with_store(config(dir.path()), store.clone())
            .await
            .unwrap();
        engine.ingest(&records[..1200]).await.unwrap();
        engine.flush().await.unwrap();
        engine.ingest(&records[1200..]).await.unwrap();
        store.fail.store(true, Ordering::SeqCst);
        // segments are uploaded, the manifest commit fails
        let err = engine.flush().await.unwrap_err();
        assert!(err.to_string().contains("injected failure"), "{err}");
        // still queryable from the memtable, exactly once
        assert_exactly_once(&ids(&engine).await, &records);
    }
    store.fail.store(false, Ordering::SeqCst);
    let engine = Engine::open_with_store(config(dir.path()), store.clone())
        .await
        .unwrap();
    assert_exactly_once(&ids(&engine).await, &records);
    // the orphaned segment files of the failed flush were removed
    use futures::TryStreamExt;
    let keys: Vec<String> = store
        .list(None)
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    let referenced = engine.stats().unwrap().segments * 2;
    let data_files = keys
        .iter()
        .filter(|k| !k.starts_with("_manifest") && !k.starts_with("_templates"))
        .count();
    // only the template store the manifest references is left
    assert_eq!(
        keys.iter().filter(|k| k.starts_with("_templates")).count(),
        1
    );
    assert_eq!(data_files, referenced, "{keys:?}");
    engine.flush().await.unwrap();
    assert_exactly_once(&ids(&engine).await, &records);
}

#[tokio::test]
async fn compaction_keeps_rows_and_snapshots_keep_files() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(config(dir.path())).await.unwrap();
    let records = sample(4000);
    for chunk in records.chunks(1000) {
        engine.ingest(chunk).await.unwrap();
        engine.flush().await.unwrap();
    }
    let before = engine.stats().unwrap().segments;
    let held = engine.snapshot().unwrap();
    let stats = engine.compact().await.unwrap();
    assert!(stats.segments_merged >= 2, "{stats:?}");
    assert!(engine.stats().unwrap().segments < before);
    assert_eq!(
        stats.files_deleted, 0,
        "a snapshot still holds the old files"
    );
    // the held snapshot can still read every old file
    for s in &held.segments {
        engine.store().head(&s.parquet_location()).await.unwrap();
    }
    drop(held);
    assert_eq!(
        engine.collect_garbage().await.unwrap(),
        stats.segments_merged * 2
    );
    assert_exactly_once(&ids(&engine).await, &records);

    // segments stay sorted by time and partitioned by workspace and hour
    for s in engine.snapshot().unwrap().segments {
        assert_eq!(
            crate::segment::hour_of(s.min_ts),
            crate::segment::hour_of(s.max_ts)
        );
        assert!(
            s.parquet_path
                .starts_with(&format!("ws={}/", s.workspace_id))
        );
    }
}

/// (rows the segment indexes select, memtable rows that match) for the
/// message query `q` over the current snapshot.
async fn selected_rows(engine: &Engine, q: &str) -> (u64, u64) {
    let pred = ScanPredicate {
        text: vec![TextQuery::parse(q, "message").unwrap()],
        ..ScanPredicate::default()
    };
    let plan = engine
        .plan_scan(engine.snapshot().unwrap(), &pred)
        .await
        .unwrap();
    (plan.stats.index_rows_selected, plan.stats.memtable_rows)
}

/// An engine holding 3,000 sample records: the first 1,500 flushed to
/// segments, the rest in the memtable.
async fn half_flushed(dir: &std::path::Path) -> (Engine, Vec<StructuredLog>) {
    let engine = Engine::open(config(dir)).await.unwrap();
    let records = sample(3000);
    engine.ingest(&records[..1500]).await.unwrap();
    engine.flush().await.unwrap();
    engine.ingest(&records[1500..]).await.unwrap();
    (engine, records)
}

#[tokio::test]
async fn text_predicates_agree_between_index_and_memtable() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, records) = half_flushed(dir.path()).await;
    for q in [
        "timeout",
        "\"connection refused\"",
        "cache AND NOT miss",
        "retriev*",
    ] {
        let (from_index, from_mem) = selected_rows(&engine, q).await;
        assert_eq!(
            from_index,
            brute_force_matches(&records[..1500], q),
            "{q}: segments"
        );
        assert_eq!(
            from_mem,
            brute_force_matches(&records[1500..], q),
            "{q}: memtable"
        );
    }
}

#[tokio::test]
async fn a_second_opener_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _engine = Engine::open(config(dir.path())).await.unwrap();
    let err = Engine::open(config(dir.path())).await.unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err}");
}

/// log_id -> template_id over a snapshot.
async fn template_ids(engine: &Engine) -> HashMap<String, i64> {
    use arrow::datatypes::Int64Type;
    let snap = engine.snapshot().unwrap();
    let mut batches: Vec<RecordBatch> = snap.memtable.clone();
    for s in &snap.segments {
        let bytes = engine.read_object(&s.parquet_location()).await.unwrap();
        batches.extend(crate::segment::reader::read_all(bytes, &s.id).unwrap());
    }
    let mut out = HashMap::new();
    for b in batches {
        let ids = b.column(0).as_string::<i32>();
        let t = b.column(27).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            out.insert(ids.value(i).to_string(), t.value(i));
        }
    }
    out
}

#[tokio::test]
async fn template_ids_survive_flush_crash_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    let records = sample(3000);
    let before = {
        let engine = Engine::open(config(dir.path())).await.unwrap();
        engine.ingest(&records[..1500]).await.unwrap();
        engine.flush().await.unwrap();
        engine.ingest(&records[1500..]).await.unwrap();
        template_ids(&engine).await
        // crash: the last 1500 are only in the WAL
    };
    assert_eq!(before.len(), 3000);
    let engine = Engine::open(config(dir.path())).await.unwrap();
    assert_eq!(template_ids(&engine).await, before, "stored ids are kept");
    // the same messages, sent again, get the same templates
    let again: Vec<StructuredLog> = records
        .iter()
        .step_by(7)
        .map(|r| StructuredLog {
            log_id: format!("again-{}", r.log_id),
            ..r.clone()
        })
        .collect();
    engine.ingest(&again).await.unwrap();
    let after = template_ids(&engine).await;
    for r in &again {
        let original = before[r.log_id.trim_start_matches("again-")];
        assert_eq!(
            engine.canonical_template(after[&r.log_id]).unwrap(),
            engine.canonical_template(original).unwrap(),
            "{}",
            r.message
        );
    }
    let templates = engine.templates().unwrap();
    assert!(templates.len() > 20, "{} templates", templates.len());
    assert!(templates.iter().any(|t| t.template.contains("<*>")));
}

/// Queries on the ids the index leaves out (log_id, span_id,
/// parent_span_id), alone and mixed with indexed clauses, select exactly
/// the rows a brute-force scan of the records selects.
#[tokio::test]
async fn unindexed_id_clauses_select_the_same_rows_as_a_scan() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineConfig {
        row_group_rows: 256, // several row groups, so bloom filters prune
        ..config(dir.path())
    })
    .await
    .unwrap();
    let records = sample(3000);
    engine.ingest(&records).await.unwrap();
    engine.flush().await.unwrap();

    let child = records
        .iter()
        .rev()
        .find(|r| r.parent_span_id.is_some())
        .unwrap();
    let parent = child.parent_span_id.clone().unwrap();
    let span = records[1200].span_id.clone().unwrap();
    let service = records[1200].service.clone().unwrap();
    let queries = vec![
        format!("log_id:{}", records[10].log_id),
        format!(
            "log_id:{} OR log_id:{}",
            records[5].log_id, records[2999].log_id
        ),
        format!("span_id:{span}"),
        format!("span_id:{span} AND service:{service}"),
        format!("span_id:{span} AND NOT service:{service}"),
        format!("parent_span_id:{parent}"),
        format!("parent_span_id:{parent} completed"),
        format!("NOT log_id:{}", records[7].log_id),
        format!("started -span_id:{span}"),
        "span_id:*".to_string(),
        "log_id:01NOSUCHID0000000000000000".to_string(),
    ];
    for q in &queries {
        let query = TextQuery::parse(q, "message").unwrap();
        assert_eq!(
            selected_log_ids(&engine, &query).await,
            brute_force_log_ids(&records, &query),
            "{q}"
        );
    }
}

/// A record's value of a search field, for brute-force matching.
fn field_of<'a>(r: &'a StructuredLog, field: &str) -> Option<&'a str> {
    let error = r.error.as_ref();
    match field {
        "log_id" => Some(r.log_id.as_str()),
        "span_id" => r.span_id.as_deref(),
        "trace_id" => r.trace_id.as_deref(),
        "execution_id" => r.execution_id.as_deref(),
        "parent_span_id" => r.parent_span_id.as_deref(),
        "agent_id" => Some(r.agent_id.as_str()),
        "user_id" => r.context.user_id.as_deref(),
        "service" => r.service.as_deref(),
        "component" => r.component.as_deref(),
        "log_level" => Some(r.log_level.as_str()),
        "error_type" => error.and_then(|e| e.error_type.as_deref()),
        "error_code" => error.and_then(|e| e.error_code.as_deref()),
        "message" => Some(r.message.as_str()),
        "error_message" => error.and_then(|e| e.message.as_deref()),
        "stack_trace" => error.and_then(|e| e.stack_trace.as_deref()),
        _ => None,
    }
}

/// Sorted log ids of the records matching `query`, by brute force.
fn brute_force_log_ids(records: &[StructuredLog], query: &TextQuery) -> Vec<String> {
    let mut ids: Vec<String> = records
        .iter()
        .filter(|r| query.matches(&|f: &str| field_of(r, f)))
        .map(|r| r.log_id.clone())
        .collect();
    ids.sort();
    ids
}

/// Sorted log ids of the flushed rows the engine's scan plan selects for
/// `query` (read back from the segments).
async fn selected_log_ids(engine: &Engine, query: &TextQuery) -> Vec<String> {
    selected_log_ids_with(engine, query, false).await
}

/// [`selected_log_ids`], with the index alone deciding when `index_only`.
async fn selected_log_ids_with(
    engine: &Engine,
    query: &TextQuery,
    index_only: bool,
) -> Vec<String> {
    plan_log_ids(engine, &text_plan(engine, query, index_only).await).await
}

/// Sorted log ids of the flushed rows `plan` selects (read back from the
/// segments).
async fn plan_log_ids(engine: &Engine, plan: &crate::ScanPlan) -> Vec<String> {
    let mut got = Vec::new();
    for s in &plan.segments {
        let bytes = engine
            .read_object(&s.meta.parquet_location())
            .await
            .unwrap();
        let rows = crate::segment::reader::read_all(bytes, &s.meta.id).unwrap();
        let all = arrow::compute::concat_batches(&rows[0].schema(), &rows).unwrap();
        let ids = all.column(0).as_string::<i32>();
        match &s.rows {
            Some(sel) => got.extend(sel.iter().map(|&i| ids.value(i as usize).to_string())),
            None => got.extend(ids.iter().flatten().map(str::to_string)),
        }
    }
    got.sort();
    got
}

/// An engine holding 3,000 sample records, all flushed to segments.
async fn all_flushed() -> (tempfile::TempDir, Engine, Vec<StructuredLog>) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(config(dir.path())).await.unwrap();
    let records = sample(3000);
    engine.ingest(&records).await.unwrap();
    engine.flush().await.unwrap();
    (dir, engine, records)
}

/// A scan plan of `query` over the engine's current snapshot.
async fn text_plan(engine: &Engine, query: &TextQuery, index_only: bool) -> crate::ScanPlan {
    let pred = ScanPredicate {
        text: vec![query.clone()],
        index_only,
        ..ScanPredicate::default()
    };
    engine
        .plan_scan(engine.snapshot().unwrap(), &pred)
        .await
        .unwrap()
}

/// Whether a plan of `query` flags every segment's rows exact.
async fn plan_exact(engine: &Engine, query: &TextQuery, index_only: bool) -> bool {
    let plan = text_plan(engine, query, index_only).await;
    plan.segments.iter().all(|s| s.rows_exact)
}

/// The analyzed tokens of `text`, in order.
fn tokens_of(text: &str) -> Vec<String> {
    crate::text_query::analyze(text)
        .into_iter()
        .map(|(_, t)| t)
        .collect()
}

/// Under a time range that cuts into the segments, terms the index answers
/// and clauses checked on Parquet (a phrase, a `log_id`) select exactly the
/// matches in range: the selected rows' (or candidates', or the Parquet
/// matches') timestamps are read and the rows outside left out.
#[tokio::test]
async fn clauses_checked_on_parquet_within_a_time_range_select_the_matches_in_range() {
    let (_dir, engine, records) = all_flushed().await;
    let mut stamps: Vec<i64> = records.iter().map(|r| r.timestamp_us).collect();
    stamps.sort_unstable();
    let time = TimeRange {
        start_us: Some(stamps[stamps.len() / 3]),
        end_us: Some(stamps[2 * stamps.len() / 3]),
    };
    let (start, end) = (time.start_us.unwrap(), time.end_us.unwrap());
    let in_range = |ts: i64| start <= ts && ts < end;
    let segments = engine.snapshot().unwrap().segments;
    assert!(
        segments
            .iter()
            .any(|m| time.overlaps(m.min_ts, m.max_ts) && (m.min_ts < start || m.max_ts >= end)),
        "the range cuts into a segment"
    );
    let words = tokens_of(&records[0].message);
    let inside = records.iter().find(|r| in_range(r.timestamp_us)).unwrap();
    let outside = records.iter().find(|r| !in_range(r.timestamp_us)).unwrap();
    let queries = [
        // answered by the index, then narrowed to the range
        words[0].clone(),
        format!("service:{}", inside.service.as_deref().unwrap()),
        // checked on Parquet
        format!("\"{} {}\"", words[0], words[1]),
        format!("log_id:{}", inside.log_id),
        format!("log_id:{} OR log_id:{}", inside.log_id, outside.log_id),
    ];
    for q in &queries {
        let query = TextQuery::parse(q, "message").unwrap();
        let mut expect: Vec<String> = records
            .iter()
            .filter(|r| in_range(r.timestamp_us))
            .filter(|r| query.matches(&|f: &str| field_of(r, f)))
            .map(|r| r.log_id.clone())
            .collect();
        expect.sort();
        assert!(!expect.is_empty(), "{q}: no match in range");
        let pred = ScanPredicate {
            text: vec![query],
            time,
            ..ScanPredicate::default()
        };
        let plan = engine
            .plan_scan(engine.snapshot().unwrap(), &pred)
            .await
            .unwrap();
        assert_eq!(plan_log_ids(&engine, &plan).await, expect, "{q}");
    }
}

/// Phrases on `stack_trace` and `error_message`, indexed without
/// positions, are checked on the Parquet column: the same rows as a
/// brute-force scan, including phrases whose tokens all occur but not in
/// that order.
#[tokio::test]
async fn phrases_on_fields_without_positions_select_the_same_rows_as_a_scan() {
    let (_dir, engine, records) = all_flushed().await;
    let tokens = tokens_of;

    let error = records
        .iter()
        .filter_map(|r| r.error.as_ref())
        .find(|e| e.stack_trace.is_some() && e.message.is_some())
        .unwrap();
    let stack = tokens(error.stack_trace.as_deref().unwrap());
    let message = tokens(error.message.as_deref().unwrap());
    let queries = vec![
        format!("stack_trace:\"{} {}\"", stack[3], stack[4]),
        format!("stack_trace:\"{} {}\"", stack[4], stack[3]),
        format!(
            "stack_trace:\"{} {} {}\" completed",
            stack[0], stack[1], stack[2]
        ),
        format!("error_message:\"{} {}\"", message[0], message[1]),
        format!("error_message:\"{} {}\"", message[1], message[0]),
        format!(
            "error_message:\"{} {}\" OR stack_trace:\"{} {}\"",
            message[0], message[1], stack[1], stack[2]
        ),
        format!("NOT stack_trace:\"{} {}\"", stack[3], stack[4]),
        // single terms and prefixes, answered through template groups
        format!("stack_trace:{}", stack[0]),
        format!("stack_trace:{}*", &stack[1][..stack[1].len().min(3)]),
        format!("error_message:{} -stack_trace:{}", message[0], stack[2]),
        format!(
            "NOT error_message:{}*",
            &message[1][..message[1].len().min(2)]
        ),
    ];
    let mut reordered_differs = false;
    for q in &queries {
        let query = TextQuery::parse(q, "message").unwrap();
        let expect = brute_force_log_ids(&records, &query);
        assert_eq!(selected_log_ids(&engine, &query).await, expect, "{q}");
        // The index alone gives a superset (it reads no Parquet).
        let estimate = selected_log_ids_with(&engine, &query, true).await;
        assert!(
            expect.iter().all(|id| estimate.binary_search(id).is_ok()),
            "{q}: index_only lost a match"
        );
        // Rows flagged exact are exactly the matches.
        let exact = plan_exact(&engine, &query, true).await;
        if exact {
            assert_eq!(estimate, expect, "{q}: flagged exact");
        }
        assert!(
            plan_exact(&engine, &query, false).await,
            "{q}: checked rows"
        );
        if q == &queries[1] {
            assert!(!exact, "{q}: an unchecked phrase flagged exact");
            assert!(estimate.len() > expect.len(), "{q}: nothing left to check");
            // the tokens of the reversed phrase all occur in some row
            let loose = TextQuery::parse(
                &format!("stack_trace:{} stack_trace:{}", stack[4], stack[3]),
                "message",
            )
            .unwrap();
            reordered_differs = brute_force_log_ids(&records, &loose).len() > expect.len();
        }
    }
    assert!(
        reordered_differs,
        "the reversed phrase must not match every row holding its tokens"
    );
}

/// `message` tokens shared by every row of a template are indexed once per
/// template group, not per row: terms, prefixes, phrases and negations on
/// them, on a row's own tokens, and across the two select the same rows
/// as a brute-force scan.
#[tokio::test]
async fn message_tokens_of_template_groups_select_the_same_rows_as_a_scan() {
    let (_dir, engine, records) = all_flushed().await;
    let tokens = tokens_of;

    // A template whose messages differ: its shared tokens and a row's own.
    let template_of = template_ids(&engine).await;
    let mut by_template: HashMap<i64, Vec<&StructuredLog>> = HashMap::new();
    for r in &records {
        by_template
            .entry(template_of[&r.log_id])
            .or_default()
            .push(r);
    }
    let (shared, row) = by_template
        .values()
        .filter(|rows| rows.len() >= 3)
        .find_map(|rows| {
            let mut shared = tokens(&rows[0].message);
            shared.retain(|t| rows.iter().all(|r| tokens(&r.message).contains(t)));
            let row = rows.iter().find(|r| {
                let own = tokens(&r.message);
                own.windows(2)
                    .any(|w| shared.contains(&w[0]) && !shared.contains(&w[1]))
            })?;
            Some((shared, *row))
        })
        .expect("a template with shared and own tokens");
    let own = tokens(&row.message);
    let pair = own
        .windows(2)
        .find(|w| shared.contains(&w[0]) && !shared.contains(&w[1]))
        .unwrap();
    let (fixed, variable) = (&pair[0], &pair[1]);
    let service = row.service.clone().unwrap();
    let component = row.component.clone().unwrap();
    let error_type = records
        .iter()
        .find_map(|r| r.error.as_ref()?.error_type.clone())
        .unwrap();
    let queries = vec![
        fixed.clone(),
        variable.clone(),
        format!("\"{fixed} {variable}\""),
        format!("\"{variable} {fixed}\""),
        format!("{}*", &fixed[..fixed.len().min(3)]),
        format!("{}*", &variable[..variable.len().min(2)]),
        format!("NOT {fixed}"),
        format!("{fixed} AND NOT {variable}"),
        format!("{fixed} OR {variable}"),
        format!("service:{service} {fixed}"),
        format!("-service:{service} -{fixed}"),
        format!("component:{component} OR error_code:* OR log_level:warn"),
        format!("{variable} OR error_type:{error_type}"),
    ];
    for q in &queries {
        let query = TextQuery::parse(q, "message").unwrap();
        let expect = brute_force_log_ids(&records, &query);
        assert_eq!(selected_log_ids(&engine, &query).await, expect, "{q}");
    }
    let rows_with_fixed =
        brute_force_log_ids(&records, &TextQuery::parse(fixed, "message").unwrap());
    assert!(
        rows_with_fixed.len() >= 3,
        "{fixed} is shared by a template"
    );
}

/// Rows of `records` whose message matches `q`.
fn brute_force_matches(records: &[StructuredLog], q: &str) -> u64 {
    let query = TextQuery::parse(q, "message").unwrap();
    records
        .iter()
        .filter(|r| query.matches(&|f: &str| (f == "message").then_some(r.message.as_str())))
        .count() as u64
}

#[tokio::test]
async fn flushed_and_compacted_indexes_are_searched_without_reading_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, records) = half_flushed(dir.path()).await;
    engine.flush().await.unwrap();

    // Remove every index bundle behind the engine's back: searches can
    // only be answered by indexes cached when their segments were written.
    let remove_bundles = || async {
        for s in engine.snapshot().unwrap().segments {
            match engine.store().delete(&s.index_location()).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
    };
    let selected = |q: &'static str| {
        let engine = engine.clone();
        async move {
            let (from_index, from_mem) = selected_rows(&engine, q).await;
            assert_eq!(from_mem, 0);
            from_index
        }
    };
    remove_bundles().await;
    for q in ["timeout", "\"connection refused\"", "retriev*"] {
        assert_eq!(selected(q).await, brute_force_matches(&records, q), "{q}");
    }

    let stats = engine.compact().await.unwrap();
    assert!(stats.segments_written >= 1, "{stats:?}");
    // The indexes of the merged segments left the cache with them.
    let live = segment_ids(&engine);
    let cached = engine.cached_indexes().unwrap();
    assert!(cached.iter().all(|id| live.contains(id)), "{cached:?}");
    assert_eq!(cached.len(), live.len());
    remove_bundles().await;
    for q in ["timeout", "cache AND NOT miss"] {
        assert_eq!(selected(q).await, brute_force_matches(&records, q), "{q}");
    }
}

/// The index cache holds at most `index_cache_bytes` of indexes (bundle
/// sizes from the manifest), keeps the most recently used one even when
/// it alone is larger, and searches past it read the evicted bundles back.
#[tokio::test]
async fn index_cache_keeps_to_its_byte_budget() {
    for budget_in_bundles in [0usize, 2, 3] {
        let dir = tempfile::tempdir().unwrap();
        let (engine, records) = half_flushed(dir.path()).await;
        engine.flush().await.unwrap();
        let mut sizes: Vec<(String, u64)> = engine
            .snapshot()
            .unwrap()
            .segments
            .iter()
            .map(|s| (s.id.clone(), s.index_bytes))
            .collect();
        assert!(sizes.len() > 3, "{} segments", sizes.len());
        sizes.sort_by_key(|(_, b)| std::cmp::Reverse(*b));
        let budget = sizes[..budget_in_bundles]
            .iter()
            .map(|(_, b)| *b as usize)
            .sum::<usize>()
            .max(1);
        engine.close().await.unwrap();
        let engine = Engine::open(EngineConfig {
            index_cache_bytes: budget,
            ..config(dir.path())
        })
        .await
        .unwrap();
        for q in ["timeout", "\"connection refused\"", "cache AND NOT miss"] {
            let (from_index, _) = selected_rows(&engine, q).await;
            assert_eq!(from_index, brute_force_matches(&records, q), "{q}");
            let cached = engine.cached_indexes().unwrap();
            let bytes: u64 = cached
                .iter()
                .map(|id| sizes.iter().find(|(s, _)| s == id).unwrap().1)
                .sum();
            assert!(!cached.is_empty());
            assert!(
                cached.len() == 1 || bytes as usize <= budget,
                "{} indexes of {bytes} bytes cached under a budget of {budget}",
                cached.len()
            );
            // Any budget of at least the n largest bundles holds n.
            assert!(cached.len() >= budget_in_bundles.max(1), "{cached:?}");
        }
    }
}

/// `row_timestamps` returns the timestamps of exactly the rows asked for,
/// across row groups and pages it skips: checked against each segment's
/// file read back whole.
#[tokio::test]
async fn row_timestamps_are_those_of_the_rows_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineConfig {
        row_group_rows: 40,
        page_rows: 8,
        ..config(dir.path())
    })
    .await
    .unwrap();
    engine.ingest(&sample(3000)).await.unwrap();
    engine.flush().await.unwrap();
    let snap = engine.snapshot().unwrap();
    assert!(snap.segments.iter().any(|s| s.row_groups.len() > 2));
    for s in &snap.segments {
        let bytes = engine.read_object(&s.parquet_location()).await.unwrap();
        let all: Vec<i64> = crate::segment::reader::read_all(bytes, &s.id)
            .unwrap()
            .iter()
            .flat_map(|b| {
                let ts = b.column(timestamp_index());
                ts.as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                    .values()
                    .to_vec()
            })
            .collect();
        let last = s.rows as u32 - 1;
        let picks: [Vec<u32>; 4] = [
            (0..=last).step_by(7).collect(),
            vec![last],
            (0..=last).collect(),
            Vec::new(),
        ];
        for rows in picks {
            let want: Vec<i64> = rows.iter().map(|&r| all[r as usize]).collect();
            let got = engine.row_timestamps(s, &rows).await.unwrap();
            assert_eq!(
                got,
                want,
                "segment {} rows {:?}",
                s.id,
                &rows[..rows.len().min(5)]
            );
        }
        // a row past the file is an error, not a short answer
        let err = engine.row_timestamps(s, &[last + 1]).await.unwrap_err();
        assert!(err.to_string().contains(&s.id), "{err}");
    }
}

/// Ingests `chunks` one after another, waiting for room whenever the engine
/// refuses one as overloaded; returns how many refusals there were.
async fn ingest_counting_refusals(
    engine: &Engine,
    chunks: std::slice::Chunks<'_, StructuredLog>,
) -> usize {
    let mut refused = 0;
    for chunk in chunks {
        loop {
            match engine.ingest(chunk).await {
                Ok(o) => {
                    assert_eq!(o.accepted, chunk.len());
                    break;
                }
                Err(Error::Overloaded(reason)) => {
                    assert!(reason.contains("await flushing"), "{reason}");
                    refused += 1;
                    engine.wait_for_room().await.unwrap();
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    refused
}

#[tokio::test]
async fn an_overloaded_ingest_resumes_once_a_flush_makes_room() {
    let records = sample(6_000);
    for background_tasks in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(EngineConfig {
            background_tasks,
            flush_bytes: 200_000,
            max_unflushed_bytes: 400_000,
            ..EngineConfig::new(dir.path())
        })
        .await
        .unwrap();
        // a wait that never ends fails the test instead of hanging it
        let refused = tokio::time::timeout(
            std::time::Duration::from_secs(120),
            ingest_counting_refusals(&engine, records.chunks(500)),
        )
        .await
        .expect("ingest waited for room for two minutes");
        // each 500-record batch is ~0.3 MB: the cap is passed again and again
        assert!(
            refused >= 3,
            "background {background_tasks}: {refused} refusals"
        );
        let s = engine.stats().unwrap();
        assert!(
            s.segments > 0,
            "background {background_tasks}: nothing flushed"
        );
        assert_exactly_once(&ids(&engine).await, &records);
        engine.close().await.unwrap();
    }
}

#[tokio::test]
async fn waiting_for_room_while_background_flushes_fail_returns_their_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FaultyStore::failing("_manifest", true));
    let config = EngineConfig {
        background_tasks: true,
        flush_bytes: 200_000,
        max_unflushed_bytes: 400_000,
        ..EngineConfig::new(dir.path())
    };
    let engine = Engine::open_with_store(config, store.clone())
        .await
        .unwrap();
    let records = sample(3_000);
    let waited = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        for chunk in records.chunks(500) {
            engine.ingest_waiting(chunk).await?;
        }
        Ok::<(), Error>(())
    })
    .await
    .expect("waited for room for two minutes while every flush failed");
    let err = waited.unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    // what was accepted stays queryable, and lands once the store recovers
    let accepted = engine.stats().unwrap().memtable_rows as usize;
    assert!(accepted >= 500 && accepted < records.len(), "{accepted}");
    store.fail.store(false, Ordering::SeqCst);
    engine.flush().await.unwrap();
    assert_exactly_once(&ids(&engine).await, &records[..accepted]);
    engine.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_admitted_together_cannot_overshoot_the_unflushed_limit() {
    let dir = tempfile::tempdir().unwrap();
    let max = 400_000;
    let engine = Engine::open(EngineConfig {
        flush_bytes: max,
        max_unflushed_bytes: max,
        ..config(dir.path())
    })
    .await
    .unwrap();
    let records = sample(8_000);
    let largest = records
        .chunks(500)
        .map(|c| {
            crate::batch::records_to_batch(c)
                .unwrap()
                .get_array_memory_size()
        })
        .max()
        .unwrap();
    // sixteen calls at once, nothing flushing: admitted until the limit
    let calls: Vec<_> = records
        .chunks(500)
        .map(|chunk| {
            let (engine, chunk) = (engine.clone(), chunk.to_vec());
            tokio::spawn(async move { engine.ingest(&chunk).await.map(|o| o.accepted) })
        })
        .collect();
    let mut admitted = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(n) => admitted += n,
            Err(Error::Overloaded(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    let unflushed = engine.stats().unwrap().memtable_bytes as usize;
    assert!(admitted > 0);
    assert!(
        unflushed <= max + largest,
        "{admitted} records admitted, {unflushed} bytes unflushed against a limit of {max}"
    );
    assert_eq!(engine.stats().unwrap().memtable_rows as usize, admitted);
}

/// A cold lookup over many segments keeps several store reads in flight
/// (bloom filters, indexes), instead of waiting for each segment's reads
/// in turn: on an object store each read is a round trip.
#[tokio::test]
async fn a_cold_lookup_reads_many_segments_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FaultyStore {
        read_delay: std::time::Duration::from_millis(10),
        ..FaultyStore::default()
    });
    let records = sample(4_000);
    {
        let engine = Engine::open_with_store(config(dir.path()), store.clone())
            .await
            .unwrap();
        for chunk in records.chunks(500) {
            engine.ingest(chunk).await.unwrap();
            engine.flush().await.unwrap();
        }
        engine.close().await.unwrap();
    }
    let engine = Engine::open_with_store(config(dir.path()), store.clone())
        .await
        .unwrap();
    let segments = engine.snapshot().unwrap().segments.len();
    assert!(segments >= 8, "{segments} segments");
    for q in [
        format!("trace_id:{}", records[2_222].trace_id.clone().unwrap()),
        "timeout".to_string(),
    ] {
        let query = TextQuery::parse(&q, "message").unwrap();
        store.most_reads_in_flight.store(0, Ordering::SeqCst);
        let plan = text_plan(&engine, &query, false).await;
        let most = store.most_reads_in_flight.load(Ordering::SeqCst);
        assert!(
            most >= 4,
            "{q}: at most {most} reads in flight over {segments} segments"
        );
        assert!(plan.stats.segments_scanned > 0, "{q}");
        assert_eq!(
            selected_log_ids(&engine, &query).await,
            brute_force_log_ids(&records, &query),
            "{q}"
        );
    }
}

/// With a cold index cache, a lookup of one id asks the Parquet bloom
/// filters first and loads only the indexes of segments they allow: every
/// segment holding the id is still scanned, the rows equal a brute-force
/// scan, and an id held nowhere loads (almost) no index. With every index
/// cached the kept filters still answer first.
#[tokio::test]
async fn a_cold_id_lookup_loads_only_the_indexes_its_bloom_filters_allow() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, records) = half_flushed(dir.path()).await;
    engine.flush().await.unwrap();
    engine.close().await.unwrap();
    drop(engine);
    let engine = Engine::open(config(dir.path())).await.unwrap();
    assert!(engine.cached_indexes().unwrap().is_empty());
    let segments = engine.snapshot().unwrap().segments;
    assert!(segments.len() > 3, "{} segments", segments.len());

    // the segments holding each row, by log id
    let mut segment_of = HashMap::new();
    for s in &segments {
        let bytes = engine.read_object(&s.parquet_location()).await.unwrap();
        for b in crate::segment::reader::read_all(bytes, &s.id).unwrap() {
            for id in b.column(0).as_string::<i32>().iter().flatten() {
                segment_of.insert(id.to_string(), s.id.clone());
            }
        }
    }
    let trace = records[2000].trace_id.clone().expect("a trace id");
    let query = TextQuery::parse(&format!("trace_id:{trace}"), "message").unwrap();
    let holding: std::collections::BTreeSet<String> = records
        .iter()
        .filter(|r| r.trace_id.as_deref() == Some(trace.as_str()))
        .map(|r| segment_of[&r.log_id].clone())
        .collect();
    assert!(!holding.is_empty());

    let plan = text_plan(&engine, &query, false).await;
    let s = plan.stats;
    assert!(
        s.segments_pruned_by_bloom >= segments.len() - holding.len() - 1,
        "{s:?} with {} segments holding the trace",
        holding.len()
    );
    let scanned: std::collections::BTreeSet<String> =
        plan.segments.iter().map(|s| s.meta.id.clone()).collect();
    assert!(
        holding.is_subset(&scanned),
        "{holding:?} not in {scanned:?}"
    );
    // only indexes the filters allowed were loaded
    let cached = engine.cached_indexes().unwrap();
    assert_eq!(cached.len(), segments.len() - s.segments_pruned_by_bloom);
    assert_eq!(
        selected_log_ids(&engine, &query).await,
        brute_force_log_ids(&records, &query)
    );
    // and with an AND, the filter still prunes on the id it requires
    let both = TextQuery::parse(&format!("trace_id:{trace} AND NOT timeout"), "message").unwrap();
    assert_eq!(
        selected_log_ids(&engine, &both).await,
        brute_force_log_ids(&records, &both)
    );

    // a second id column's filters join the first's
    let execution = records[1000].execution_id.clone().expect("an execution id");
    let by_execution = TextQuery::parse(&format!("execution_id:{execution}"), "message").unwrap();
    let plan = text_plan(&engine, &by_execution, false).await;
    assert!(plan.stats.segments_pruned_by_bloom > 0, "{:?}", plan.stats);
    assert_eq!(
        selected_log_ids(&engine, &by_execution).await,
        brute_force_log_ids(&records, &by_execution)
    );
    let cached = engine.cached_indexes().unwrap();

    let missing = TextQuery::parse("trace_id:0123456789abcdef0123456789abcdef", "message").unwrap();
    let plan = text_plan(&engine, &missing, false).await;
    assert!(plan.segments.is_empty(), "{:?}", plan.stats);
    assert!(plan.stats.segments_pruned_by_bloom >= segments.len() - cached.len() - 1);

    // The filters are kept (a few KB a segment): with the Parquet files of
    // the segments whose indexes are not cached gone, lookups still rule
    // those segments out without reading anything.
    let bloom_bytes = engine.cached_bloom_bytes().unwrap();
    assert!(
        bloom_bytes > 0 && bloom_bytes < 16 * 1024 * segments.len(),
        "{bloom_bytes} bytes of filters for {} segments",
        segments.len()
    );
    let cached_now = engine.cached_indexes().unwrap();
    for s in &segments {
        if !cached_now.contains(&s.id) {
            engine.store().delete(&s.parquet_location()).await.unwrap();
        }
    }
    for id in [
        "fedcba9876543210fedcba9876543210",
        "00000000000000000000000000000000",
    ] {
        let q = TextQuery::parse(&format!("trace_id:{id}"), "message").unwrap();
        let plan = text_plan(&engine, &q, false).await;
        assert!(plan.segments.is_empty(), "{id}: {:?}", plan.stats);
    }
    // (the files left are those of the segments holding the trace, which
    // the rest of the test reads)

    // every index cached: the kept filters still rule segments out before
    // their term dictionaries are asked
    let (from_index, _) = selected_rows(&engine, "timeout").await;
    assert_eq!(from_index, brute_force_matches(&records, "timeout"));
    assert_eq!(engine.cached_indexes().unwrap().len(), segments.len());
    let plan = text_plan(&engine, &query, false).await;
    assert!(
        plan.stats.segments_pruned_by_bloom >= segments.len() - holding.len() - 1,
        "{:?}",
        plan.stats
    );
    assert_eq!(
        selected_log_ids(&engine, &query).await,
        brute_force_log_ids(&records, &query)
    );
}

/// Each of `queries` (on `message`) selects the rows a brute-force scan of
/// `records` does; the first, third and fifth match something.
async fn assert_selects_brute_force(
    engine: &Engine,
    records: &[StructuredLog],
    queries: &[String],
) {
    for (i, q) in queries.iter().enumerate() {
        let query = TextQuery::parse(q, "message").unwrap();
        let expect = brute_force_log_ids(records, &query);
        if [0, 2, 4].contains(&i) {
            assert!(!expect.is_empty(), "{q} matches something");
        }
        assert_eq!(selected_log_ids(engine, &query).await, expect, "{q}");
    }
}

/// Ids of the segments of the engine's current snapshot.
fn segment_ids(engine: &Engine) -> Vec<String> {
    engine
        .snapshot()
        .unwrap()
        .segments
        .iter()
        .map(|s| s.id.clone())
        .collect()
}

/// Column names of a segment's Parquet file.
async fn file_columns(engine: &Engine, meta: &crate::segment::SegmentMeta) -> Vec<String> {
    let bytes = engine.read_object(&meta.parquet_location()).await.unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
    reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

/// Segments written with `message` and `attributes` as text (before the
/// shape encoding, or with it off) and as shapes and variables are searched
/// together, phrases checked on either kind of file, and compaction
/// rewrites both into the encoding: the same rows as a brute-force scan
/// throughout, and the same texts read back.
#[tokio::test]
async fn segments_with_text_columns_as_text_and_as_shapes_are_read_together() {
    use crate::segment::text_shapes::{SHAPED_COLUMNS, shape_column, vars_column};
    let dir = tempfile::tempdir().unwrap();
    let records = sample(4000);
    let as_text = EngineConfig {
        text_shapes: false,
        ..config(dir.path())
    };
    {
        let engine = Engine::open(as_text).await.unwrap();
        engine.ingest(&records[..2000]).await.unwrap();
        engine.flush().await.unwrap();
        engine.close().await.unwrap();
    }
    let engine = Engine::open(config(dir.path())).await.unwrap();
    engine.ingest(&records[2000..]).await.unwrap();
    engine.flush().await.unwrap();

    let (mut text, mut shaped) = (0, 0);
    for s in engine.snapshot().unwrap().segments.iter() {
        let columns = file_columns(&engine, s).await;
        if columns.iter().any(|c| c == "message") {
            assert!(columns.iter().any(|c| c == "attributes"), "{columns:?}");
            text += 1;
        } else {
            for c in SHAPED_COLUMNS {
                assert!(!columns.iter().any(|n| n == c), "{columns:?}");
                assert!(columns.contains(&shape_column(c)), "{columns:?}");
                assert!(columns.contains(&vars_column(c)), "{columns:?}");
            }
            shaped += 1;
        }
    }
    assert!(text > 0 && shaped > 0, "{text} as text, {shaped} shaped");

    // phrases (checked on the Parquet column), including a message's
    // variables and the text between them
    let message = &records[2500].message;
    let tokens = tokens_of(message);
    let mut queries = vec![
        format!("\"{} {}\"", tokens[0], tokens[1]),
        format!("\"{} {}\"", tokens[1], tokens[0]),
        format!("\"{}\"", tokens.join(" ")),
        format!("NOT \"{} {}\"", tokens[0], tokens[1]),
    ];
    let other = &records[100].message;
    queries.push(format!("\"{}\"", tokens_of(other).join(" ")));
    // phrases whose check renders a reference: a message naming its
    // execution, a stack trace quoting its error message, and one that
    // refers to no field (the check reads no referenced column for it)
    let naming = records
        .iter()
        .find(|r| {
            r.execution_id
                .as_ref()
                .is_some_and(|e| r.message.contains(e.as_str()))
        })
        .expect("a message naming its execution");
    let quoting = records
        .iter()
        .filter_map(|r| r.error.as_ref())
        .find(|e| {
            e.message.as_ref().is_some_and(|m| tokens_of(m).len() >= 3) && e.stack_trace.is_some()
        })
        .expect("a stack trace");
    let quoted = tokens_of(quoting.message.as_ref().unwrap()).join(" ");
    let referring = [
        format!("\"{}\"", tokens_of(&naming.message).join(" ")),
        format!("stack_trace:\"{quoted}\""),
        "stack_trace:\"most recent call\"".to_string(),
        "\"prompt tokens\"".to_string(),
    ];
    for q in &referring {
        let query = TextQuery::parse(q, "message").unwrap();
        assert!(
            !brute_force_log_ids(&records, &query).is_empty(),
            "{q} matches something"
        );
    }
    queries.extend(referring);
    assert_selects_brute_force(&engine, &records, &queries).await;
    assert_exactly_once(&ids(&engine).await, &records);
    // every record's message and attributes read back as the records'
    // batch holds them, from both kinds
    let want = texts_by_id(&crate::batch::records_to_batch(&records).unwrap());
    assert!(want.values().filter(|(_, a)| a.is_some()).count() > 1000);
    assert!(read_back_messages(&engine).await == want, "texts read back");

    let before = segment_ids(&engine);
    let stats = engine.compact().await.unwrap();
    assert!(stats.segments_merged >= 2, "{stats:?}");
    let mut written = 0;
    for s in engine.snapshot().unwrap().segments.iter() {
        if !before.contains(&s.id) {
            written += 1;
            let columns = file_columns(&engine, s).await;
            assert!(columns.contains(&shape_column("message")), "{columns:?}");
        }
    }
    assert!(written > 0, "compaction wrote no segment");
    assert_selects_brute_force(&engine, &records, &queries).await;
    assert!(read_back_messages(&engine).await == want, "texts read back");
}

/// log_id -> (message, attributes) of every flushed row, read back from
/// the segments.
async fn read_back_messages(engine: &Engine) -> HashMap<String, (String, Option<String>)> {
    let mut out = HashMap::new();
    for s in engine.snapshot().unwrap().segments.iter() {
        let bytes = engine.read_object(&s.parquet_location()).await.unwrap();
        for b in crate::segment::reader::read_all(bytes, &s.id).unwrap() {
            out.extend(texts_by_id(&b));
        }
    }
    out
}

/// log_id -> (message, attributes) of the rows of `batch`.
fn texts_by_id(b: &RecordBatch) -> HashMap<String, (String, Option<String>)> {
    let column = |name| b.column_by_name(name).unwrap().as_string::<i32>();
    let (ids, messages, attributes) = (column("log_id"), column("message"), column("attributes"));
    (0..b.num_rows())
        .map(|i| {
            let attrs = attributes
                .is_valid(i)
                .then(|| attributes.value(i).to_string());
            (
                ids.value(i).to_string(),
                (messages.value(i).to_string(), attrs),
            )
        })
        .collect()
}
