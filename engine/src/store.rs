//! Object stores the engine writes segments and the manifest to.
//!
//! Every store the engine uses must uphold the `object_store` contract, and
//! in addition:
//! - a successful `put` is durable (survives a crash of the machine), and
//! - `PutMode::Create` fails with `AlreadyExists` if the key exists (the
//!   manifest relies on it for atomic commits).
//!
//! `InMemory` and S3-compatible stores satisfy both; `LocalFileSystem` does
//! not fsync, so local data goes through [`SyncedLocalStore`].

use std::fmt;
use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};

use crate::error::{Error, Result};

/// A `LocalFileSystem` whose puts, copies and renames are fsynced (file and
/// parent directory) before they return.
#[derive(Debug)]
pub struct SyncedLocalStore {
    inner: LocalFileSystem,
    root: PathBuf,
}

impl SyncedLocalStore {
    /// A store rooted at `root`, which is created if missing.
    pub fn try_new(root: &FsPath) -> Result<Self> {
        std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
        let inner = LocalFileSystem::new_with_prefix(root)
            .map_err(|e| Error::store(root.display(), e))?
            .with_automatic_cleanup(true);
        Ok(SyncedLocalStore {
            inner,
            root: root.to_path_buf(),
        })
    }

    async fn sync(&self, location: &Path) -> object_store::Result<()> {
        let path = self.inner.path_to_filesystem(location)?;
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::File::open(&path)?.sync_all()?;
            if let Some(parent) = path.parent() {
                std::fs::File::open(parent)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| object_store::Error::Generic {
            store: "SyncedLocalStore",
            source: Box::new(e),
        })?
        .map_err(|e| object_store::Error::Generic {
            store: "SyncedLocalStore",
            source: Box::new(e),
        })
    }
}

impl fmt::Display for SyncedLocalStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SyncedLocalStore({})", self.root.display())
    }
}

#[async_trait]
impl ObjectStore for SyncedLocalStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let r = self.inner.put_opts(location, payload, opts).await?;
        self.sync(location).await?;
        Ok(r)
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
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
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

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
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
        self.inner.copy_opts(from, to, options).await?;
        self.sync(to).await
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.inner.rename_opts(from, to, options).await?;
        self.sync(to).await
    }
}

/// The hot-tier store of a data directory: `<data_dir>/segments`.
pub fn local_hot_store(data_dir: &FsPath) -> Result<Arc<dyn ObjectStore>> {
    Ok(Arc::new(SyncedLocalStore::try_new(
        &data_dir.join("segments"),
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;
    use object_store::{ObjectStoreExt, PutMode};

    /// The contract the engine needs from every store.
    async fn contract(store: Arc<dyn ObjectStore>) {
        let p = Path::from("_manifest/00000000000000000001.json");
        store
            .put(&p, Bytes::from_static(b"one").into())
            .await
            .unwrap();
        let create = PutOptions::from(PutMode::Create);
        let again = store
            .put_opts(&p, Bytes::from_static(b"two").into(), create)
            .await;
        assert!(
            matches!(again, Err(object_store::Error::AlreadyExists { .. })),
            "{again:?}"
        );
        let got = store.get(&p).await.unwrap().bytes().await.unwrap();
        assert_eq!(&got[..], b"one");
        let ws = Path::from_iter(["ws=a/b", "dt=2026-01-01", "x.parquet"]);
        store
            .put(&ws, Bytes::from_static(b"p").into())
            .await
            .unwrap();
        use futures::TryStreamExt;
        let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|m| m.location == ws));
        store.delete(&ws).await.unwrap();
        assert!(store.head(&ws).await.is_err());
    }

    #[tokio::test]
    async fn every_store_passes_the_contract() {
        contract(Arc::new(InMemory::new())).await;
        let dir = tempfile::tempdir().unwrap();
        contract(Arc::new(SyncedLocalStore::try_new(dir.path()).unwrap())).await;
    }
}
