//! The manifest: the catalog of segments, as an append-only log of numbered
//! commit files plus periodic checkpoints on the object store.
//!
//! ```text
//! _manifest/00000000000000000001.commit.json   {add, remove, flushed_seq}
//! _manifest/00000000000000000002.commit.json
//! _manifest/00000000000000000016.checkpoint.json   full state as of commit 16
//! ```
//!
//! Each commit is written with `PutMode::Create`, so two writers can never
//! both publish commit N, and a crash leaves either the whole commit or none
//! of it. Segment files are uploaded before the commit that adds them and
//! deleted only after the commit that removes them, so the catalog never
//! references a missing file. `flushed_seq` is the WAL sequence through
//! which every record is in a committed segment.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::segment::SegmentMeta;

/// Format version written into every manifest file.
pub const FORMAT_VERSION: u32 = 1;
/// Object key prefix of the manifest.
pub const PREFIX: &str = "_manifest";
/// A checkpoint is written every this many commits.
pub const CHECKPOINT_EVERY: u64 = 16;

#[derive(Debug, Serialize, Deserialize)]
struct Commit {
    version: u32,
    commit: u64,
    flushed_seq: Option<u64>,
    /// Object key of the template store saved as of `flushed_seq`.
    #[serde(default)]
    templates: Option<String>,
    add: Vec<SegmentMeta>,
    remove: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Checkpoint {
    version: u32,
    commit: u64,
    flushed_seq: u64,
    #[serde(default)]
    templates: Option<String>,
    segments: Vec<SegmentMeta>,
}

/// The catalog as of the last commit.
#[derive(Debug, Clone, Default)]
pub struct ManifestState {
    /// Live segments by id.
    pub segments: BTreeMap<String, SegmentMeta>,
    /// WAL sequence through which every record is in a live segment.
    pub flushed_seq: u64,
    /// Number of the last commit applied (0: none).
    pub commit: u64,
    /// Object key of the template store as of `flushed_seq`.
    pub templates: Option<String>,
}

/// Writer of the manifest log.
pub struct Manifest {
    store: Arc<dyn ObjectStore>,
    state: ManifestState,
}

fn commit_path(n: u64) -> Path {
    Path::from(format!("{PREFIX}/{n:020}.commit.json"))
}

fn checkpoint_path(n: u64) -> Path {
    Path::from(format!("{PREFIX}/{n:020}.checkpoint.json"))
}

fn parse_name(location: &Path) -> Option<(u64, bool)> {
    let name = location.filename()?;
    if let Some(n) = name.strip_suffix(".commit.json") {
        return n.parse().ok().map(|n| (n, false));
    }
    let n = name.strip_suffix(".checkpoint.json")?;
    n.parse().ok().map(|n| (n, true))
}

async fn read_json<T: for<'de> Deserialize<'de>>(
    store: &dyn ObjectStore,
    path: &Path,
) -> Result<T> {
    let bytes = store
        .get(path)
        .await
        .map_err(|e| Error::store(path, e))?
        .bytes()
        .await
        .map_err(|e| Error::store(path, e))?;
    serde_json::from_slice(&bytes).map_err(|source| Error::Manifest {
        path: path.to_string(),
        source,
    })
}

impl Manifest {
    /// Loads the manifest: the newest checkpoint, then every later commit.
    pub async fn load(store: Arc<dyn ObjectStore>) -> Result<Manifest> {
        let prefix = Path::from(PREFIX);
        let listed: Vec<_> = store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| Error::store(&prefix, e))?;
        let mut commits = Vec::new();
        let mut checkpoint = None;
        for meta in &listed {
            match parse_name(&meta.location) {
                Some((n, true)) => checkpoint = checkpoint.max(Some(n)),
                Some((n, false)) => commits.push(n),
                None => {}
            }
        }
        commits.sort_unstable();
        let mut state = ManifestState::default();
        if let Some(n) = checkpoint {
            let cp: Checkpoint = read_json(store.as_ref(), &checkpoint_path(n)).await?;
            state.commit = cp.commit;
            state.flushed_seq = cp.flushed_seq;
            state.templates = cp.templates;
            state.segments = cp.segments.into_iter().map(|s| (s.id.clone(), s)).collect();
        }
        let base = state.commit;
        for n in commits.into_iter().filter(|&n| n > base) {
            if n != state.commit + 1 {
                return Err(Error::Corrupt {
                    what: "manifest".into(),
                    reason: format!("commit {} is missing (next found: {n})", state.commit + 1),
                });
            }
            let c: Commit = read_json(store.as_ref(), &commit_path(n)).await?;
            apply(&mut state, c);
        }
        Ok(Manifest { store, state })
    }

    /// The catalog as of the last commit.
    pub fn state(&self) -> &ManifestState {
        &self.state
    }

    /// Atomically publishes one commit: segments added and removed, and the
    /// new flushed WAL sequence if any.
    pub async fn commit(
        &mut self,
        add: Vec<SegmentMeta>,
        remove: Vec<String>,
        flushed_seq: Option<u64>,
    ) -> Result<()> {
        self.commit_with_templates(add, remove, flushed_seq, None)
            .await
    }

    /// [`Manifest::commit`], also recording the template store saved at
    /// `templates` as of `flushed_seq`.
    pub async fn commit_with_templates(
        &mut self,
        add: Vec<SegmentMeta>,
        remove: Vec<String>,
        flushed_seq: Option<u64>,
        templates: Option<String>,
    ) -> Result<()> {
        let n = self.state.commit + 1;
        let c = Commit {
            version: FORMAT_VERSION,
            commit: n,
            flushed_seq,
            templates,
            add,
            remove,
        };
        let path = commit_path(n);
        let body = serde_json::to_vec(&c).map_err(|source| Error::Manifest {
            path: path.to_string(),
            source,
        })?;
        self.store
            .put_opts(&path, body.into(), PutOptions::from(PutMode::Create))
            .await
            .map_err(|e| Error::store(&path, e))?;
        apply(&mut self.state, c);
        if n.is_multiple_of(CHECKPOINT_EVERY)
            && let Err(e) = self.checkpoint().await
        {
            // The commit is durable; a missing checkpoint only slows loading.
            tracing::warn!("manifest checkpoint at commit {n} failed: {e}");
        }
        Ok(())
    }

    async fn checkpoint(&self) -> Result<()> {
        let n = self.state.commit;
        let cp = Checkpoint {
            version: FORMAT_VERSION,
            commit: n,
            flushed_seq: self.state.flushed_seq,
            templates: self.state.templates.clone(),
            segments: self.state.segments.values().cloned().collect(),
        };
        let path = checkpoint_path(n);
        let body = serde_json::to_vec(&cp).map_err(|source| Error::Manifest {
            path: path.to_string(),
            source,
        })?;
        self.store
            .put(&path, body.into())
            .await
            .map_err(|e| Error::store(&path, e))?;
        // Older files are now redundant; losing this cleanup is harmless.
        let prefix = Path::from(PREFIX);
        let listed: Vec<_> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| Error::store(&prefix, e))?;
        for meta in listed {
            if let Some((m, _)) = parse_name(&meta.location)
                && (m < n || (m == n && meta.location != path))
            {
                let _ = self.store.delete(&meta.location).await;
            }
        }
        Ok(())
    }
}

fn apply(state: &mut ManifestState, c: Commit) {
    for id in &c.remove {
        state.segments.remove(id);
    }
    for s in c.add {
        state.segments.insert(s.id.clone(), s);
    }
    if let Some(seq) = c.flushed_seq {
        state.flushed_seq = state.flushed_seq.max(seq);
    }
    if c.templates.is_some() {
        state.templates = c.templates;
    }
    state.commit = c.commit;
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn seg(id: &str) -> SegmentMeta {
        SegmentMeta {
            id: id.into(),
            workspace_id: "w".into(),
            min_ts: 0,
            max_ts: 1,
            rows: 1,
            row_groups: vec![1],
            parquet_bytes: 1,
            index_bytes: 1,
            tier: "hot".into(),
            parquet_path: format!("{id}.parquet"),
            index_path: format!("{id}.index"),
            stats: BTreeMap::new(),
            template_dict_version: None,
            created_us: 0,
            index_format: crate::segment::index::INDEX_FORMAT,
        }
    }

    #[tokio::test]
    async fn commits_and_checkpoints_replay_to_the_same_state() {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let mut m = Manifest::load(store.clone()).await.unwrap();
        // 40 commits: add s{i}, remove s{i-2}, flushed_seq i*10
        for i in 1..=40u64 {
            let remove = if i > 2 {
                vec![format!("s{}", i - 2)]
            } else {
                vec![]
            };
            m.commit(vec![seg(&format!("s{i}"))], remove, Some(i * 10))
                .await
                .unwrap();
        }
        let reloaded = Manifest::load(store.clone()).await.unwrap();
        let ids: Vec<_> = reloaded.state().segments.keys().cloned().collect();
        assert_eq!(ids, vec!["s39".to_string(), "s40".to_string()]);
        assert_eq!(reloaded.state().flushed_seq, 400);
        assert_eq!(reloaded.state().commit, 40);
        // checkpoints pruned the old commit files
        let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
        assert!(listed.len() < 12, "{} manifest files left", listed.len());
    }

    #[tokio::test]
    async fn a_second_writer_cannot_publish_the_same_commit() {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let mut a = Manifest::load(store.clone()).await.unwrap();
        let mut b = Manifest::load(store.clone()).await.unwrap();
        a.commit(vec![seg("a")], vec![], Some(1)).await.unwrap();
        let err = b.commit(vec![seg("b")], vec![], Some(1)).await.unwrap_err();
        assert!(err.to_string().contains("00000000000000000001"), "{err}");
        let state = Manifest::load(store).await.unwrap().state().clone();
        assert_eq!(state.segments.keys().collect::<Vec<_>>(), vec!["a"]);
    }
}
