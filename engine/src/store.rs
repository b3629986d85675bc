//! Object stores the engine writes segments and the manifest to.
//!
//! Every store the engine uses must uphold the `object_store` contract, and
//! in addition:
//! - a successful `put` is durable (survives a crash of the machine), and
//! - `PutMode::Create` fails with `AlreadyExists` if the key exists (the
//!   manifest relies on it for atomic commits).
//!
//! `InMemory` and S3-compatible stores satisfy both; `LocalFileSystem` does
//! not fsync, so local data goes through [`SyncedLocalStore`] (which also
//! reads small ranges the page cache holds on the calling thread instead of
//! tokio's blocking pool, see `INLINE_READ_BYTES`).

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
/// parent directory) before they return, and whose small ranged reads from
/// the page cache are made in place.
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
        let total: u64 = ranges.iter().map(|r| r.end.saturating_sub(r.start)).sum();
        if total > INLINE_READ_BYTES {
            return self.inner.get_ranges(location, ranges).await;
        }
        let path = self.inner.path_to_filesystem(location)?;
        let mut got = read_cached_ranges(&path, ranges)?;
        if got.len() < ranges.len() {
            // The rest from the first range the page cache could not serve.
            let rest = self
                .inner
                .get_ranges(location, &ranges[got.len()..])
                .await?;
            got.extend(rest);
        }
        Ok(got)
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

/// Reads of at most this many bytes in all are made on the calling thread
/// when the page cache holds them.
///
/// `LocalFileSystem` hands every read to tokio's blocking pool, so each one
/// wakes a pool thread and waits for it to wake the task again; a warm
/// query over many small segments spent more time in those hand-offs than
/// in the reads (a column chunk or a few pages each). A read the page cache
/// cannot serve whole still goes to the pool, where many wait on the disk
/// at once without holding up the query's threads. (The file is opened in
/// place either way: a path and inode not yet cached cost a metadata read
/// on this thread.)
const INLINE_READ_BYTES: u64 = 1 << 20;

/// Reads `ranges` of the file at `path` from the page cache on this thread
/// (`preadv2` with `RWF_NOWAIT`), in order, up to the first range it does
/// not hold whole (or every range, when the platform or file system cannot
/// say): the ranges read, the rest to be read through the pool.
/// A missing file is `NotFound`; an inverted range or one past the end of
/// the file is an error naming the file and the range.
#[cfg(target_os = "linux")]
fn read_cached_ranges(path: &FsPath, ranges: &[Range<u64>]) -> object_store::Result<Vec<Bytes>> {
    use rustix::io::{Errno, ReadWriteFlags, preadv2};
    use std::io::IoSliceMut;

    let generic = |what: String| object_store::Error::Generic {
        store: "SyncedLocalStore",
        source: format!("{}: {what}", path.display()).into(),
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(object_store::Error::NotFound {
                path: path.display().to_string(),
                source: Box::new(e),
            });
        }
        // Anything else: let `LocalFileSystem` report it.
        Err(_) => return Ok(Vec::new()),
    };
    let mut out = Vec::with_capacity(ranges.len());
    for r in ranges {
        if r.end < r.start {
            return Err(generic(format!("range {r:?} ends before it starts")));
        }
        let len = usize::try_from(r.end - r.start)
            .map_err(|_| generic(format!("range {r:?} too long")))?;
        let mut buf = vec![0_u8; len];
        let mut done = 0;
        while done < len {
            let offset = r.start + done as u64;
            let mut slice = [IoSliceMut::new(&mut buf[done..])];
            match preadv2(&file, &mut slice, offset, ReadWriteFlags::NOWAIT) {
                Ok(0) => {
                    return Err(generic(format!(
                        "range {r:?} extends past the end of the file"
                    )));
                }
                Ok(n) => done += n,
                Err(Errno::INTR) => {}
                // Not (all) in the page cache, or no RWF_NOWAIT here.
                Err(_) => return Ok(out),
            }
        }
        out.push(Bytes::from(buf));
    }
    Ok(out)
}

/// Elsewhere every read goes through the pool.
#[cfg(not(target_os = "linux"))]
fn read_cached_ranges(_path: &FsPath, _ranges: &[Range<u64>]) -> object_store::Result<Vec<Bytes>> {
    Ok(Vec::new())
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

    /// Ranged reads answer as `LocalFileSystem`'s own, on both sides of
    /// the inline threshold, and fail clearly on a missing file or a range
    /// past the end.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn ranged_reads_answer_as_local_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let store = SyncedLocalStore::try_new(dir.path()).unwrap();
        let plain = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
        let len = 3 * INLINE_READ_BYTES as usize;
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let p = Path::from("ws=a/seg.parquet");
        store
            .put(&p, Bytes::from(data.clone()).into())
            .await
            .unwrap();

        let small = [
            0..0,
            0..1,
            5..4096,
            1000..1010,
            (len as u64 - 3)..len as u64,
        ];
        let large = [10..INLINE_READ_BYTES + 11, 0..len as u64];
        for ranges in [&small[..], &large[..]] {
            let got = store.get_ranges(&p, ranges).await.unwrap();
            let want = plain.get_ranges(&p, ranges).await.unwrap();
            assert_eq!(got, want);
            for (r, b) in ranges.iter().zip(&got) {
                assert_eq!(&b[..], &data[r.start as usize..r.end as usize]);
            }
        }

        let missing = store
            .get_ranges(
                &Path::from("ws=a/none.parquet"),
                std::slice::from_ref(&(0..4)),
            )
            .await;
        assert!(
            matches!(missing, Err(object_store::Error::NotFound { .. })),
            "{missing:?}"
        );
        let past = store
            .get_ranges(&p, std::slice::from_ref(&(len as u64 - 2..len as u64 + 2)))
            .await;
        let msg = past.unwrap_err().to_string();
        assert!(
            msg.contains("past the end") && msg.contains("seg.parquet"),
            "{msg}"
        );
        #[allow(clippy::reversed_empty_ranges)]
        let inverted = store.get_ranges(&p, std::slice::from_ref(&(8..4))).await;
        let msg = inverted.unwrap_err().to_string();
        assert!(msg.contains("ends before it starts"), "{msg}");
    }

    /// Ranges the page cache no longer holds are read through the pool,
    /// with the same answer.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn ranges_out_of_the_page_cache_are_read_through_the_pool() {
        use rustix::fs::{Advice, fadvise};

        let dir = tempfile::tempdir().unwrap();
        let store = SyncedLocalStore::try_new(dir.path()).unwrap();
        let data: Vec<u8> = (0..200_000_u32).map(|i| (i % 253) as u8).collect();
        let p = Path::from("seg.parquet");
        store
            .put(&p, Bytes::from(data.clone()).into())
            .await
            .unwrap();
        let ranges = [0..10, 4096..70_000, 199_990..200_000];
        let fs_path = dir.path().join("seg.parquet");
        // Written and fsynced, so clean: DONTNEED drops it from the cache
        // (on file systems that keep one; tmpfs keeps the pages).
        let file = std::fs::File::open(&fs_path).unwrap();
        fadvise(&file, 0, None, Advice::DontNeed).unwrap();
        // Whatever prefix of the ranges is still cached is exact.
        let prefix = read_cached_ranges(&fs_path, &ranges).unwrap();
        for (r, b) in ranges.iter().zip(&prefix) {
            assert_eq!(&b[..], &data[r.start as usize..r.end as usize]);
        }
        let got = store.get_ranges(&p, &ranges).await.unwrap();
        for (r, b) in ranges.iter().zip(&got) {
            assert_eq!(&b[..], &data[r.start as usize..r.end as usize]);
        }
        // Read once, the file is cached again and read in place.
        let cached = read_cached_ranges(&fs_path, &ranges).unwrap();
        assert_eq!(cached, got);
    }

    #[tokio::test]
    async fn every_store_passes_the_contract() {
        contract(Arc::new(InMemory::new())).await;
        let dir = tempfile::tempdir().unwrap();
        contract(Arc::new(SyncedLocalStore::try_new(dir.path()).unwrap())).await;
    }
}
