//! Compaction of small segments and deletion of obsolete files.

use std::collections::BTreeMap;
use std::sync::Arc;

use object_store::ObjectStoreExt;

use super::flush::{build_segments, new_bundles};
use super::{Engine, poisoned};
use crate::error::{Error, Result};
use crate::segment::index::INDEX_FORMAT;
use crate::segment::{SegmentMeta, hour_of, reader};

/// What one compaction pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactStats {
    pub partitions: usize,
    pub segments_merged: usize,
    pub segments_written: usize,
    pub files_deleted: usize,
}

impl Engine {
    /// Merges the small segments of every partition that has at least
    /// `compaction_min_segments` of them. Readers holding a snapshot keep
    /// reading the old files, which are deleted once no snapshot holds them.
    pub async fn compact(&self) -> Result<CompactStats> {
        let _guard = self.inner.maintenance.lock().await;
        let c = self.inner.config.clone();
        let mut groups: BTreeMap<(String, i64), Vec<Arc<SegmentMeta>>> = BTreeMap::new();
        {
            let s = self.inner.state.read().map_err(|_| poisoned())?;
            for m in s.segments.values() {
                if m.rows < c.compaction_small_rows {
                    groups
                        .entry((m.workspace_id.clone(), hour_of(m.min_ts)))
                        .or_default()
                        .push(m.clone());
                }
            }
        }
        let mut stats = CompactStats::default();
        for (_, group) in groups {
            if group.len() < c.compaction_min_segments {
                continue;
            }
            stats.segments_written += self.rewrite_segments(&group).await?;
            tracing::debug!(
                workspace = %group[0].workspace_id,
                merged = group.len(),
                rows = group.iter().map(|m| m.rows).sum::<u64>(),
                "compacted"
            );
            stats.partitions += 1;
            stats.segments_merged += group.len();
        }
        stats.files_deleted = self.collect_garbage().await?;
        Ok(stats)
    }

    /// Rewrites every segment whose index bundle predates this build's
    /// format ([`SegmentMeta::index_format`] below
    /// [`INDEX_FORMAT`](crate::segment::index::INDEX_FORMAT): FST term
    /// dictionaries, which this build of tantivy cannot read) from its
    /// Parquet rows, one segment at a time, as compaction rewrites them:
    /// the new files are committed in one manifest commit that also drops
    /// the old entry, whose files are then deleted. A crash midway leaves
    /// each segment either old (rewritten at the next open) or new.
    /// Returns the number of segments rewritten; a segment that cannot be
    /// rewritten is logged and left as it is. Runs when the engine opens.
    pub async fn upgrade_indexes(&self) -> Result<usize> {
        let _guard = self.inner.maintenance.lock().await;
        let old: Vec<Arc<SegmentMeta>> = {
            let s = self.inner.state.read().map_err(|_| poisoned())?;
            s.segments
                .values()
                .filter(|m| m.index_format < INDEX_FORMAT)
                .cloned()
                .collect()
        };
        if old.is_empty() {
            return Ok(0);
        }
        tracing::info!(
            segments = old.len(),
            rows = old.iter().map(|m| m.rows).sum::<u64>(),
            "rewriting segments whose index predates this build's format"
        );
        let total = old.len();
        let mut rewritten = 0;
        for (i, m) in old.into_iter().enumerate() {
            let id = m.id.clone();
            match self.rewrite_segments(std::slice::from_ref(&m)).await {
                Ok(_) => {
                    rewritten += 1;
                    tracing::info!(segment = %id, done = i + 1, of = total, "rewrote segment");
                }
                // One unreadable segment does not keep the directory from
                // opening (ingest and every other segment go on); its files
                // stay, searches reaching it fail naming its index format,
                // and the next open tries again.
                Err(e) => tracing::error!(
                    segment = %id,
                    error = %e,
                    "cannot rewrite a segment whose index predates this build's format"
                ),
            }
            // The old files go as soon as they are replaced, so the rewrite
            // needs room for one segment more, not a second copy of all.
            drop(m);
            if let Err(e) = self.collect_garbage().await {
                tracing::warn!(error = %e, "cannot delete the files of a rewritten segment");
            }
        }
        Ok(rewritten)
    }

    /// Replaces `group` (segments of one workspace) by segments written
    /// from their rows in this build's formats, in one manifest commit;
    /// returns the number written.
    async fn rewrite_segments(&self, group: &[Arc<SegmentMeta>]) -> Result<usize> {
        let c = &self.inner.config;
        let mut batches = Vec::new();
        for m in group {
            let bytes = self.read_object(&m.parquet_location()).await?;
            batches.extend(reader::read_all(bytes, &m.id)?);
        }
        let files = build_segments(batches, c.segment_layout()).await?;
        self.upload(&files).await?;
        let bundles = new_bundles(&files);
        let metas: Vec<SegmentMeta> = files.into_iter().map(|f| f.meta).collect();
        let removed: Vec<String> = group.iter().map(|m| m.id.clone()).collect();
        self.inner
            .manifest
            .lock()
            .await
            .commit(metas.clone(), removed.clone(), None)
            .await?;
        let written = metas.len();
        {
            let mut s = self.inner.state.write().map_err(|_| poisoned())?;
            for id in &removed {
                if let Some(old) = s.segments.remove(id) {
                    s.graveyard.push(old);
                }
            }
            for m in metas {
                s.segments.insert(m.id.clone(), Arc::new(m));
            }
        }
        self.uncache_indexes(&removed)?;
        self.cache_new_indexes(bundles).await;
        Ok(written)
    }

    /// Deletes the files of removed segments that no snapshot holds anymore.
    pub async fn collect_garbage(&self) -> Result<usize> {
        let unreferenced: Vec<Arc<SegmentMeta>> = {
            let mut s = self.inner.state.write().map_err(|_| poisoned())?;
            let (free, held): (Vec<_>, Vec<_>) = std::mem::take(&mut s.graveyard)
                .into_iter()
                .partition(|m| Arc::strong_count(m) == 1);
            s.graveyard = held;
            free
        };
        let mut deleted = 0;
        for m in unreferenced {
            for location in [m.parquet_location(), m.index_location()] {
                match self.inner.store.delete(&location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => deleted += 1,
                    Err(e) => return Err(Error::store(&location, e)),
                }
            }
        }
        Ok(deleted)
    }
}
