//! [`Engine`]: a data directory opened for ingest and queries.

mod flush;
mod maintenance;
mod text_rows;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use arrow::array::RecordBatch;
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt};

use crate::batch::records_to_batch_with_templates;
use crate::config::EngineConfig;
use crate::error::{Error, Result};
use crate::lock::DirLock;
use crate::manifest::{self, Manifest};
use crate::memtable::{FrozenMemtable, Memtable};
use crate::predicate::ScanPredicate;
use crate::record::StructuredLog;
use crate::scan::{ScanPlan, ScanStats, SegmentScan, Snapshot};
use crate::schema::col;
use crate::segment::row_filter::SegmentBlooms;
use crate::segment::{SegmentIndex, SegmentMeta};
use crate::template::MinerConfig;
use crate::template_store::{TemplateRow, TemplateStore};
use crate::text_query::TextQuery;
use crate::wal::{self, Wal, WalOptions, WalSink};

pub use flush::FlushStats;
pub use maintenance::CompactStats;

/// What an ingest call stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Records now durable in the WAL and visible to queries.
    pub accepted: usize,
    /// WAL sequence number of the batch (0 when nothing was accepted).
    pub seq: u64,
}

/// Sizes of what the engine holds, for operators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub data_dir: PathBuf,
    pub segments: usize,
    pub segment_rows: u64,
    pub parquet_bytes: u64,
    pub index_bytes: u64,
    pub memtable_rows: u64,
    pub memtable_bytes: u64,
    pub flushed_seq: u64,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) active: Memtable,
    pub(crate) frozen: Vec<FrozenMemtable>,
    pub(crate) segments: BTreeMap<String, Arc<SegmentMeta>>,
    /// Segments removed from the catalog whose files await deletion until no
    /// snapshot holds them.
    pub(crate) graveyard: Vec<Arc<SegmentMeta>>,
    pub(crate) flushed_seq: u64,
    /// Highest sequence committed to the memtable (or flushed).
    pub(crate) last_seq: u64,
}

impl State {
    fn unflushed_bytes(&self) -> usize {
        self.active.bytes() + self.frozen.iter().map(|f| f.table.bytes()).sum::<usize>()
    }
}

/// An admitted batch's bytes in `queued_bytes`, until it is committed (or
/// fails): the count is then the memtable's (or nobody's), and a caller
/// waiting for room is woken.
struct Queued<'a> {
    inner: &'a Inner,
    bytes: usize,
}

impl<'a> Queued<'a> {
    fn new(inner: &'a Inner, bytes: usize) -> Self {
        inner.queued_bytes.fetch_add(bytes, Ordering::AcqRel);
        Queued { inner, bytes }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.inner
            .queued_bytes
            .fetch_sub(self.bytes, Ordering::AcqRel);
        self.inner.room.notify_waiters();
    }
}

/// A committed batch, as published to live subscribers.
#[derive(Debug, Clone)]
pub struct Committed {
    pub seq: u64,
    pub batch: RecordBatch,
}

/// Capacity of the live-tail channel, in batches; a subscriber that falls
/// further behind is told it lagged.
pub const TAIL_CHANNEL_BATCHES: usize = 1024;

struct Sink {
    state: Arc<RwLock<State>>,
    live: tokio::sync::broadcast::Sender<Committed>,
}

impl WalSink for Sink {
    fn committed(&self, seq: u64, batch: RecordBatch) {
        if let Ok(mut s) = self.state.write() {
            s.active.push(seq, batch.clone());
            s.last_seq = seq;
            // under the lock, so a snapshot and a subscription agree on `seq`
            let _ = self.live.send(Committed { seq, batch });
        }
    }

    fn rotated(&self, last_seq: u64) {
        if let Ok(mut s) = self.state.write()
            && !s.active.is_empty()
        {
            let table = std::mem::take(&mut s.active);
            s.frozen.push(FrozenMemtable { last_seq, table });
        }
    }
}

pub(crate) struct Inner {
    pub(crate) config: EngineConfig,
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) state: Arc<RwLock<State>>,
    pub(crate) manifest: tokio::sync::Mutex<Manifest>,
    pub(crate) wal: Wal,
    /// Serializes flushes and compactions.
    pub(crate) maintenance: tokio::sync::Mutex<()>,
    /// Template mining and WAL queueing happen in one order under this lock,
    /// so WAL order is mining order (what recovery replays).
    pub(crate) ingest_order: tokio::sync::Mutex<()>,
    pub(crate) templates: Mutex<TemplateStore>,
    index_cache: Mutex<Vec<(String, Arc<SegmentIndex>)>>,
    /// Bloom filters of the id columns raw terms look up, by segment id:
    /// read per column, once, the first time a lookup of that column
    /// reaches the segment (a few KB each), and asked before its index;
    /// dropped with the segment's index.
    bloom_cache: Mutex<HashMap<String, Arc<SegmentBlooms>>>,
    closed: AtomicBool,
    /// Woken whenever room may have been made: a flush landed, or a queued
    /// batch reached the memtable.
    room: tokio::sync::Notify,
    /// Bytes of batches admitted and queued for the WAL but not yet in the
    /// memtable: counted against `max_unflushed_bytes` so that calls
    /// admitted together cannot overshoot it.
    queued_bytes: AtomicUsize,
    /// Set while background flushes fail (cleared by the next that lands).
    flush_failing: AtomicBool,
    background: Mutex<Option<tokio::task::JoinHandle<()>>>,
    live: tokio::sync::broadcast::Sender<Committed>,
    /// Released by `close`, so another opener may proceed.
    lock: Mutex<Option<DirLock>>,
}

/// A data directory opened for ingest and queries. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("data_dir", &self.inner.config.data_dir)
            .finish()
    }
}

/// Segments a scan plans at once (index and bloom-filter reads in
/// flight together).
const PLAN_CONCURRENCY: usize = 16;

/// How one segment takes part in a scan.
enum Planned {
    PrunedByStats,
    PrunedByBloom,
    PrunedByIndex,
    Scan(SegmentScan),
}

/// Id columns with Parquet bloom filters that `field:value` search terms
/// look up through the full-text index: with a cold cache their filters
/// are asked first.
const BLOOM_LOOKUP_COLUMNS: &[&str] = &[col::TRACE_ID, col::AGENT_ID, col::EXECUTION_ID];

fn poisoned() -> Error {
    Error::Wal("engine state lock poisoned by a panic".into())
}

impl Engine {
    /// Opens (or creates) the data directory of `config`, with the hot tier
    /// on local disk under `<data_dir>/segments`.
    pub async fn open(config: EngineConfig) -> Result<Engine> {
        config.validate()?;
        let store = crate::store::local_hot_store(&config.data_dir)?;
        Self::open_with_store(config, store).await
    }

    /// Opens the data directory of `config` with segments and manifest on
    /// `store`. Recovers the WAL into the memtable and removes files a crash
    /// left behind that the manifest does not reference.
    pub async fn open_with_store(
        config: EngineConfig,
        store: Arc<dyn ObjectStore>,
    ) -> Result<Engine> {
        config.validate()?;
        let lock = DirLock::acquire(&config.data_dir)?;
        let manifest = Manifest::load(store.clone()).await?;
        let flushed_seq = manifest.state().flushed_seq;
        remove_orphans(store.as_ref(), &manifest).await?;

        let wal_dir = config.wal_dir();
        let recovered = {
            let dir = wal_dir.clone();
            tokio::task::spawn_blocking(move || wal::recover(&dir, flushed_seq))
                .await
                .map_err(|e| Error::Wal(format!("recovery task failed: {e}")))??
        };
        if recovered.truncated_bytes > 0 {
            tracing::warn!(
                bytes = recovered.truncated_bytes,
                "recovered the WAL after cutting a damaged tail"
            );
        }
        let mut templates = match &manifest.state().templates {
            Some(path) => {
                let location = object_store::path::Path::from(path.as_str());
                let bytes = store
                    .get(&location)
                    .await
                    .map_err(|e| Error::store(&location, e))?
                    .bytes()
                    .await
                    .map_err(|e| Error::store(&location, e))?;
                TemplateStore::from_json(&bytes, path)?
            }
            None => TemplateStore::new(MinerConfig::default()),
        };
        let mut state = State {
            flushed_seq,
            last_seq: flushed_seq,
            ..State::default()
        };
        let replayed = recovered.batches.len();
        let mut differ = 0;
        for (seq, batch) in recovered.batches {
            differ += templates.replay(&batch)?;
            state.active.push(seq, batch);
            state.last_seq = seq;
        }
        if differ > 0 {
            tracing::warn!(
                rows = differ,
                "replayed rows whose stored template id differs from the re-mined one"
            );
        }
        state.segments = manifest
            .state()
            .segments
            .values()
            .map(|s| (s.id.clone(), Arc::new(s.clone())))
            .collect();
        tracing::info!(
            data_dir = %config.data_dir.display(),
            segments = state.segments.len(),
            replayed_batches = replayed,
            "opened engine"
        );
        let state = Arc::new(RwLock::new(state));
        let (live, _) = tokio::sync::broadcast::channel(TAIL_CHANNEL_BATCHES);
        let wal = Wal::open(
            &wal_dir,
            recovered.next_seq,
            WalOptions {
                max_file_bytes: config.wal_file_bytes,
                max_group_bytes: 32 << 20,
                queue_depth: config.wal_queue_depth,
            },
            Arc::new(Sink {
                state: state.clone(),
                live: live.clone(),
            }),
        )?;
        let engine = Engine {
            inner: Arc::new(Inner {
                config,
                store,
                state,
                manifest: tokio::sync::Mutex::new(manifest),
                wal,
                maintenance: tokio::sync::Mutex::new(()),
                ingest_order: tokio::sync::Mutex::new(()),
                templates: Mutex::new(templates),
                index_cache: Mutex::new(Vec::new()),
                bloom_cache: Mutex::new(HashMap::new()),
                closed: AtomicBool::new(false),
                room: tokio::sync::Notify::new(),
                queued_bytes: AtomicUsize::new(0),
                flush_failing: AtomicBool::new(false),
                background: Mutex::new(None),
                live,
                lock: Mutex::new(Some(lock)),
            }),
        };
        engine.upgrade_indexes().await?;
        if engine.inner.config.background_tasks {
            engine.start_background();
        }
        Ok(engine)
    }

    /// The configuration the engine was opened with.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The hot-tier object store holding segments and the manifest.
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.inner.store.clone()
    }

    /// Makes `records` durable and visible. Returns once the WAL frame
    /// holding them is fsynced. Fails with [`Error::Overloaded`] while too
    /// much data awaits flushing.
    pub async fn ingest(&self, records: &[StructuredLog]) -> Result<IngestOutcome> {
        if records.is_empty() {
            return Ok(IngestOutcome {
                accepted: 0,
                seq: 0,
            });
        }
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(Error::Shutdown);
        }
        let (pending, _queued) = {
            // admission under the ingest lock: each admitted batch is
            // counted before the next call looks
            let _order = self.inner.ingest_order.lock().await;
            let backlog = self.backlog_bytes()?;
            if backlog > self.inner.config.max_unflushed_bytes {
                return Err(Error::Overloaded(format!(
                    "{backlog} bytes await flushing (limit {})",
                    self.inner.config.max_unflushed_bytes
                )));
            }
            let ids = self
                .inner
                .templates
                .lock()
                .map_err(|_| poisoned())?
                .assign(records);
            let batch = records_to_batch_with_templates(records, Some(&ids))?;
            let queued = Queued::new(&self.inner, batch.get_array_memory_size());
            (self.inner.wal.enqueue(batch).await?, queued)
        };
        let seq = pending.wait().await?;
        Ok(IngestOutcome {
            accepted: records.len(),
            seq,
        })
    }

    /// Like [`Engine::ingest`], but where the engine is overloaded it waits
    /// for room ([`Engine::wait_for_room`]) and tries again: for a caller
    /// that has nothing better to do than wait (a bulk load).
    pub async fn ingest_waiting(&self, records: &[StructuredLog]) -> Result<IngestOutcome> {
        loop {
            match self.ingest(records).await {
                Err(Error::Overloaded(_)) => self.wait_for_room().await?,
                done => return done,
            }
        }
    }

    /// Waits until the unflushed data is back under `max_unflushed_bytes`,
    /// for a caller whose ingest was refused as overloaded. With background
    /// tasks the background flushes make the room, so ingest resumes as soon
    /// as one lands, with the backlog that piled up meanwhile left for the
    /// next; without them, or while they fail, this flushes itself (and
    /// returns a failing flush's error rather than waiting forever).
    pub async fn wait_for_room(&self) -> Result<()> {
        loop {
            // registered before the check, so room made in between wakes it
            let room = self.inner.room.notified();
            if self.backlog_bytes()? <= self.inner.config.max_unflushed_bytes {
                return Ok(());
            }
            if self.inner.closed.load(Ordering::Acquire) {
                return Err(Error::Shutdown);
            }
            if !self.inner.config.background_tasks
                || self.inner.flush_failing.load(Ordering::Acquire)
            {
                self.flush().await?;
                continue;
            }
            // a failing background flush retries on its own; look again
            let _ = tokio::time::timeout(Duration::from_millis(250), room).await;
        }
    }

    /// Bytes of batches not yet in segments: in the memtable, or admitted
    /// and on their way to it.
    fn backlog_bytes(&self) -> Result<usize> {
        let unflushed = self
            .inner
            .state
            .read()
            .map_err(|_| poisoned())?
            .unflushed_bytes();
        Ok(unflushed + self.inner.queued_bytes.load(Ordering::Acquire))
    }

    /// A consistent view of segments and memtable rows.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let s = self.inner.state.read().map_err(|_| poisoned())?;
        let mut segments: Vec<_> = s.segments.values().cloned().collect();
        segments.sort_by(|a, b| b.max_ts.cmp(&a.max_ts).then(b.min_ts.cmp(&a.min_ts)));
        let mut memtable: Vec<RecordBatch> = Vec::new();
        for f in &s.frozen {
            memtable.extend(f.table.batches().cloned());
        }
        memtable.extend(s.active.batches().cloned());
        Ok(Snapshot {
            segments,
            memtable,
            last_seq: s.last_seq,
        })
    }

    /// A subscription to committed batches and a snapshot taken after it:
    /// every batch with sequence `> snapshot.last_seq` arrives on the
    /// receiver (which may also deliver older ones: skip those), so nothing
    /// falls between the two.
    pub fn snapshot_and_subscribe(
        &self,
    ) -> Result<(Snapshot, tokio::sync::broadcast::Receiver<Committed>)> {
        let rx = self.inner.live.subscribe();
        let snap = self.snapshot()?;
        Ok((snap, rx))
    }

    /// Plans a scan of `snapshot`: prunes segments by their catalog entry,
    /// answers the text predicates with each segment's index (and by
    /// evaluation on memtable rows), and leaves out the selected rows
    /// outside the time range of a segment it cuts into.
    pub async fn plan_scan(
        &self,
        snapshot: Snapshot,
        predicate: &ScanPredicate,
    ) -> Result<ScanPlan> {
        let mut stats = ScanStats {
            segments_total: snapshot.segments.len(),
            ..ScanStats::default()
        };
        // id equalities the text predicate requires, for the bloom filters
        let required: Vec<(&str, &str)> = predicate
            .text
            .iter()
            .flat_map(TextQuery::required_equalities)
            .filter(|(field, _)| BLOOM_LOOKUP_COLUMNS.contains(field))
            .collect();
        // Segments are planned concurrently (in order): an index or bloom
        // filter not in memory is a read from the store, and a lookup over
        // many segments would otherwise wait for each read in turn.
        // Segments decided from memory (catalog entry, kept bloom filters)
        // make no future: most of a warm id lookup's segments. With 16 in
        // flight, up to 16 index bundles (and their opened indexes) can be
        // in memory at once beyond the index cache's budget.
        // (The futures are collected first: a stream mapping through a
        // closure is not provably `Send` for the query's `async_trait`.)
        let mut outcomes: Vec<Option<Planned>> = Vec::with_capacity(snapshot.segments.len());
        let mut planning = Vec::new();
        let mut planning_at = Vec::new();
        for (i, meta) in snapshot.segments.iter().enumerate() {
            let decided = self.planned_in_memory(meta, predicate, &required)?;
            if decided.is_none() {
                planning_at.push(i);
                planning.push(self.plan_segment(meta, predicate, &required));
            }
            outcomes.push(decided);
        }
        let planned: Vec<Planned> = futures::stream::iter(planning)
            .buffered(PLAN_CONCURRENCY)
            .try_collect()
            .await?;
        for (i, p) in planning_at.into_iter().zip(planned) {
            outcomes[i] = Some(p);
        }
        let mut segments = Vec::new();
        for outcome in outcomes {
            match outcome.expect("every segment is decided or planned") {
                Planned::PrunedByStats => stats.segments_pruned_by_stats += 1,
                Planned::PrunedByBloom => stats.segments_pruned_by_bloom += 1,
                Planned::PrunedByIndex => stats.segments_pruned_by_index += 1,
                Planned::Scan(scan) => {
                    if let Some(r) = &scan.rows {
                        stats.index_rows_selected += r.len() as u64;
                    }
                    stats.segments_scanned += 1;
                    segments.push(scan);
                }
            }
        }
        let mut memtable = Vec::new();
        for batch in &snapshot.memtable {
            let mut batch = batch.clone();
            for q in &predicate.text {
                let mask = q.evaluate(&batch)?;
                batch = arrow::compute::filter_record_batch(&batch, &mask)?;
            }
            if batch.num_rows() > 0 {
                stats.memtable_rows += batch.num_rows() as u64;
                memtable.push(batch);
            }
        }
        Ok(ScanPlan {
            segments,
            memtable,
            stats,
            snapshot,
        })
    }

    /// How one segment takes part in a scan when that is known without
    /// reading anything or asking its index: pruned by its catalog entry or
    /// by bloom filters kept in memory, or read whole (no text predicate).
    fn planned_in_memory(
        &self,
        meta: &Arc<SegmentMeta>,
        predicate: &ScanPredicate,
        required: &[(&str, &str)],
    ) -> Result<Option<Planned>> {
        if !predicate.may_match(meta) {
            return Ok(Some(Planned::PrunedByStats));
        }
        if predicate.text.is_empty() {
            return Ok(Some(Planned::Scan(SegmentScan {
                meta: meta.clone(),
                rows: None,
                rows_exact: true,
            })));
        }
        let kept_rule_out = self.kept_bloom_verdict(meta, required)? == Some(true);
        Ok(kept_rule_out.then_some(Planned::PrunedByBloom))
    }

    /// How one segment that [`planned_in_memory`](Self::planned_in_memory)
    /// left undecided takes part in a scan (its catalog entry allows it, and
    /// a text predicate applies): pruned by its bloom filters or its index,
    /// or read with the rows the index selected.
    async fn plan_segment(
        &self,
        meta: &Arc<SegmentMeta>,
        predicate: &ScanPredicate,
        required: &[(&str, &str)],
    ) -> Result<Planned> {
        if self.bloom_rules_out(meta, required).await? {
            return Ok(Planned::PrunedByBloom);
        }
        let index = self.open_index(meta).await?;
        let mut rows: Option<Vec<u32>> = None;
        let mut rows_exact = true;
        for q in &predicate.text {
            let (hits, exact) = self
                .segment_rows(
                    meta,
                    &index,
                    q,
                    rows.as_deref(),
                    predicate.time,
                    predicate.index_only,
                )
                .await?;
            rows = Some(hits);
            rows_exact &= exact;
        }
        if rows.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Planned::PrunedByIndex);
        }
        Ok(Planned::Scan(SegmentScan {
            meta: meta.clone(),
            rows,
            rows_exact,
        }))
    }

    /// Timestamps (microseconds) of `rows` (ascending ordinals below
    /// `meta.rows`) of a segment, in the same order, read from its Parquet
    /// `timestamp` column alone.
    pub async fn row_timestamps(&self, meta: &SegmentMeta, rows: &[u32]) -> Result<Vec<i64>> {
        crate::segment::timestamps::row_timestamps(self.inner.store.clone(), meta, rows).await
    }

    /// True when the segment's Parquet bloom filters rule out the
    /// `required` id equalities (`trace_id:…`, `agent_id:…`,
    /// `execution_id:…`). A lookup of one id checks each segment's filters
    /// (read once per segment and kept: a few KB) before its index: with
    /// the index cache cold, that spares loading every index bundle
    /// (hundreds of KB per segment); with it warm, a term dictionary
    /// lookup per segment (a zstd-compressed sstable block decoded, ~5 µs,
    /// against ~0.1 µs for the filter).
    async fn bloom_rules_out(&self, meta: &SegmentMeta, required: &[(&str, &str)]) -> Result<bool> {
        if let Some(verdict) = self.kept_bloom_verdict(meta, required)? {
            return Ok(verdict);
        }
        let cached = self
            .inner
            .bloom_cache
            .lock()
            .map_err(|_| poisoned())?
            .get(&meta.id)
            .cloned();
        // Only the filters of the columns asked for are read, once each.
        let mut missing: Vec<&str> = required
            .iter()
            .map(|(field, _)| *field)
            .filter(|field| !cached.as_ref().is_some_and(|b| b.has(field)))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        let blooms = match cached {
            Some(b) if missing.is_empty() => b,
            cached => {
                let read = SegmentBlooms::read(self.inner.store.clone(), meta, &missing).await?;
                let b = Arc::new(match cached {
                    Some(c) => c.with(read),
                    None => read,
                });
                self.inner
                    .bloom_cache
                    .lock()
                    .map_err(|_| poisoned())?
                    .insert(meta.id.clone(), b.clone());
                b
            }
        };
        Ok(blooms.rules_out(required))
    }

    /// [`bloom_rules_out`](Self::bloom_rules_out) when it needs no read:
    /// false with no id required, the kept filters' verdict when every
    /// required column's filters are kept; `None` when some must be read.
    fn kept_bloom_verdict(
        &self,
        meta: &SegmentMeta,
        required: &[(&str, &str)],
    ) -> Result<Option<bool>> {
        if required.is_empty() {
            return Ok(Some(false));
        }
        let cache = self.inner.bloom_cache.lock().map_err(|_| poisoned())?;
        Ok(cache
            .get(&meta.id)
            .filter(|b| required.iter().all(|(field, _)| b.has(field)))
            .map(|b| b.rules_out(required)))
    }

    /// Bytes of the bloom filters kept for id lookups.
    pub fn cached_bloom_bytes(&self) -> Result<usize> {
        let cache = self.inner.bloom_cache.lock().map_err(|_| poisoned())?;
        Ok(cache.values().map(|b| b.size_bytes()).sum())
    }

    /// The whole object at `location` of the hot-tier store.
    pub(crate) async fn read_object(
        &self,
        location: &object_store::path::Path,
    ) -> Result<bytes::Bytes> {
        self.inner
            .store
            .get(location)
            .await
            .map_err(|e| Error::store(location, e))?
            .bytes()
            .await
            .map_err(|e| Error::store(location, e))
    }

    /// The opened full-text index of a segment (cached).
    pub async fn open_index(&self, meta: &SegmentMeta) -> Result<Arc<SegmentIndex>> {
        {
            let mut cache = self.inner.index_cache.lock().map_err(|_| poisoned())?;
            if let Some(pos) = cache.iter().position(|(id, _)| *id == meta.id) {
                let entry = cache.remove(pos);
                let index = entry.1.clone();
                cache.insert(0, entry);
                return Ok(index);
            }
        }
        let bytes = self.read_object(&meta.index_location()).await?;
        let id = meta.id.clone();
        let index = tokio::task::spawn_blocking(move || SegmentIndex::open(&bytes, &id))
            .await
            .map_err(|e| Error::Corrupt {
                what: format!("index of segment {}", meta.id),
                reason: format!("open task failed: {e}"),
            })??;
        let index = Arc::new(index);
        self.cache_index(&meta.id, index.clone())?;
        Ok(index)
    }

    /// Puts `index` first in the index cache, evicting the least recently
    /// used past the configured number of segments or bytes (the one just
    /// put stays, however large).
    fn cache_index(&self, id: &str, index: Arc<SegmentIndex>) -> Result<()> {
        let mut cache = self.inner.index_cache.lock().map_err(|_| poisoned())?;
        cache.retain(|(cached, _)| cached != id);
        cache.insert(0, (id.to_string(), index));
        let keep = self.indexes_that_fit(cache.iter().map(|(_, index)| index.size_bytes()));
        cache.truncate(keep);
        Ok(())
    }

    /// How many indexes of `sizes` (most recent first) the cache keeps:
    /// within `index_cache_segments` and `index_cache_bytes`, at least one.
    fn indexes_that_fit(&self, sizes: impl ExactSizeIterator<Item = usize>) -> usize {
        let c = &self.inner.config;
        let n = sizes.len();
        let mut bytes = 0usize;
        let mut sizes = sizes;
        sizes
            .position(|size| {
                bytes = bytes.saturating_add(size);
                bytes > c.index_cache_bytes
            })
            .unwrap_or(n)
            .clamp(1, c.index_cache_segments)
    }

    /// Drops the cached indexes of segments no longer in the manifest.
    pub(crate) fn uncache_indexes(&self, ids: &[String]) -> Result<()> {
        let mut cache = self.inner.index_cache.lock().map_err(|_| poisoned())?;
        cache.retain(|(cached, _)| !ids.contains(cached));
        let mut blooms = self.inner.bloom_cache.lock().map_err(|_| poisoned())?;
        blooms.retain(|id, _| !ids.contains(id));
        Ok(())
    }

    /// Ids of the segments whose indexes are cached, most recently used
    /// first.
    pub fn cached_indexes(&self) -> Result<Vec<String>> {
        let cache = self.inner.index_cache.lock().map_err(|_| poisoned())?;
        Ok(cache.iter().map(|(id, _)| id.clone()).collect())
    }

    /// Opens the indexes of segments just written, from the bundle bytes
    /// still in memory, and caches them: the first search after a flush or
    /// compaction then reads no bundle back from the store. A bundle that
    /// fails to open is left to [`open_index`](Self::open_index), which
    /// reports the error to the query that needs it. Only the last bundles
    /// that fit the cache are opened: the others would be evicted at once.
    pub(crate) async fn cache_new_indexes(&self, mut bundles: Vec<(String, bytes::Bytes)>) {
        let fit = self.indexes_that_fit(bundles.iter().rev().map(|(_, b)| b.len()));
        bundles.drain(..bundles.len().saturating_sub(fit));
        let opened = tokio::task::spawn_blocking(move || {
            bundles
                .into_iter()
                .filter_map(|(id, bytes)| match SegmentIndex::open(&bytes, &id) {
                    Ok(index) => Some((id, Arc::new(index))),
                    Err(e) => {
                        tracing::warn!(segment = %id, error = %e, "new index did not open");
                        None
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for (id, index) in opened {
            if self.cache_index(&id, index).is_err() {
                return;
            }
        }
    }

    /// Every template mined so far, as rows of the `templates` table.
    pub fn templates(&self) -> Result<Vec<TemplateRow>> {
        Ok(self.inner.templates.lock().map_err(|_| poisoned())?.rows())
    }

    /// The template (id, text) a message matches, without learning from
    /// it: in the miner of (workspace, service) when given, else in the
    /// first miner that has a match.
    pub fn match_template(
        &self,
        message: &str,
        scope: Option<(&str, &str)>,
    ) -> Result<Option<(i64, String)>> {
        let store = self.inner.templates.lock().map_err(|_| poisoned())?;
        Ok(match scope {
            Some((ws, service)) => store.match_in(ws, service, message),
            None => store.match_message(message),
        })
    }

    /// The id rows of template `id` resolve to after generalisation.
    pub fn canonical_template(&self, id: i64) -> Result<i64> {
        Ok(self
            .inner
            .templates
            .lock()
            .map_err(|_| poisoned())?
            .canonical(id))
    }

    /// Sizes of what the engine holds.
    pub fn stats(&self) -> Result<EngineStats> {
        let s = self.inner.state.read().map_err(|_| poisoned())?;
        let memtable_rows =
            s.active.rows() + s.frozen.iter().map(|f| f.table.rows()).sum::<usize>();
        Ok(EngineStats {
            data_dir: self.inner.config.data_dir.clone(),
            segments: s.segments.len(),
            segment_rows: s.segments.values().map(|m| m.rows).sum(),
            parquet_bytes: s.segments.values().map(|m| m.parquet_bytes).sum(),
            index_bytes: s.segments.values().map(|m| m.index_bytes).sum(),
            memtable_rows: memtable_rows as u64,
            memtable_bytes: s.unflushed_bytes() as u64,
            flushed_seq: s.flushed_seq,
        })
    }

    /// Flushes what is in memory, stops background work and the WAL writer,
    /// and releases the data directory. Ingest calls after this fail with
    /// [`Error::Shutdown`].
    pub async fn close(&self) -> Result<()> {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let bg = self.inner.background.lock().ok().and_then(|mut b| b.take());
        if let Some(bg) = bg {
            bg.abort();
            let _ = bg.await;
        }
        let flushed = self.flush().await;
        self.inner.wal.shutdown();
        if let Ok(mut lock) = self.inner.lock.lock() {
            lock.take();
        }
        flushed.map(|_| ())
    }

    fn start_background(&self) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let task = handle.spawn(async move {
            let mut ticks: u64 = 0;
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                ticks += 1;
                let Some(inner) = weak.upgrade() else { return };
                if inner.closed.load(Ordering::Acquire) {
                    return;
                }
                let engine = Engine { inner };
                if engine.flush_due() {
                    let failed = engine.flush().await.err();
                    if let Some(e) = &failed {
                        tracing::error!("background flush failed: {e}");
                    }
                    engine
                        .inner
                        .flush_failing
                        .store(failed.is_some(), Ordering::Release);
                }
                if ticks.is_multiple_of(40)
                    && let Err(e) = engine.compact().await
                {
                    tracing::error!("background compaction failed: {e}");
                }
            }
        });
        if let Ok(mut b) = self.inner.background.lock() {
            *b = Some(task);
        }
    }

    fn flush_due(&self) -> bool {
        let Ok(s) = self.inner.state.read() else {
            return false;
        };
        let c = &self.inner.config;
        let old = s
            .active
            .oldest()
            .is_some_and(|t| t.elapsed() >= Duration::from_secs(c.flush_interval_secs));
        // frozen memtables are left only by a failed flush: retry it
        s.unflushed_bytes() >= c.flush_bytes || old || !s.frozen.is_empty()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.wal.shutdown();
    }
}

/// Object key prefix of saved template stores.
pub(crate) const TEMPLATES_PREFIX: &str = "_templates/";

/// Intersection of two ascending lists.
fn intersect_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Deletes segment files the manifest does not reference (left by a crash
/// between upload and commit, or between commit and deletion).
async fn remove_orphans(store: &dyn ObjectStore, manifest: &Manifest) -> Result<()> {
    let mut live = std::collections::HashSet::new();
    for s in manifest.state().segments.values() {
        live.insert(s.parquet_path.clone());
        live.insert(s.index_path.clone());
    }
    let listed: Vec<_> = store
        .list(None)
        .try_collect()
        .await
        .map_err(|e| Error::store("<root>", e))?;
    if let Some(t) = &manifest.state().templates {
        live.insert(t.clone());
    }
    for meta in listed {
        let key = meta.location.to_string();
        if key.starts_with(manifest::PREFIX) || live.contains(&key) {
            continue;
        }
        if key.starts_with(TEMPLATES_PREFIX) {
            store
                .delete(&meta.location)
                .await
                .map_err(|e| Error::store(&key, e))?;
            continue;
        }
        if key.ends_with(".parquet") || key.ends_with(".index") {
            tracing::info!(key, "removing orphaned segment file");
            store
                .delete(&meta.location)
                .await
                .map_err(|e| Error::store(&key, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
