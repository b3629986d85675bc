//! Reading a segment's Parquet file from the object store by byte ranges.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use object_store::ObjectStore;
use object_store::path::Path;
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};

use super::SegmentMeta;
use crate::error::Error;

/// Bytes read from a file's end to find its footer: most footers of
/// segments fit, so the metadata takes one read instead of two.
const FOOTER_PREFETCH_BYTES: usize = 64 << 10;

/// An [`AsyncFileReader`] over one object of known size: the footer and
/// then only the column chunks (and bloom filters) a read needs are fetched.
#[derive(Debug, Clone)]
pub struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
}

impl ObjectReader {
    pub fn new(store: Arc<dyn ObjectStore>, path: Path, size: u64) -> Self {
        ObjectReader { store, path, size }
    }
}

fn store_err(e: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for ObjectReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes>> {
        // One range through `get_ranges`, not `get_range`: a local store
        // reads a small one in place when the page cache holds it
        // (`store::SyncedLocalStore`).
        async move {
            let mut got = self
                .store
                .get_ranges(&self.path, std::slice::from_ref(&range))
                .await
                .map_err(store_err)?;
            got.pop().ok_or_else(|| {
                ParquetError::General(format!("{}: no bytes for range {range:?}", self.path))
            })
        }
        .boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, Result<Vec<Bytes>>> {
        async move {
            self.store
                .get_ranges(&self.path, &ranges)
                .await
                .map_err(store_err)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new()
                .with_prefetch_hint(Some(FOOTER_PREFETCH_BYTES))
                .with_arrow_reader_options(options)
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

/// A segment's Parquet file, opened once: its footer (and page index, when
/// asked for) read, and as many readers built over them as a lookup needs
/// (the timestamps of candidate rows, then their text).
#[derive(Debug, Clone)]
pub struct SegmentFile {
    reader: ObjectReader,
    metadata: ArrowReaderMetadata,
}

impl SegmentFile {
    /// Opens the segment's file. With `page_index`, reads of a few rows
    /// fetch only the pages holding them.
    pub async fn open(
        store: Arc<dyn ObjectStore>,
        meta: &SegmentMeta,
        page_index: bool,
    ) -> crate::error::Result<SegmentFile> {
        let mut reader = ObjectReader::new(store, meta.parquet_location(), meta.parquet_bytes);
        let policy = match page_index {
            true => PageIndexPolicy::Optional,
            false => PageIndexPolicy::Skip,
        };
        let options = ArrowReaderOptions::new().with_page_index_policy(policy);
        let metadata = ArrowReaderMetadata::load_async(&mut reader, options)
            .await
            .map_err(parquet_err(meta))?;
        Ok(SegmentFile { reader, metadata })
    }

    /// A reader of the file.
    pub fn builder(&self) -> ParquetRecordBatchStreamBuilder<ObjectReader> {
        ParquetRecordBatchStreamBuilder::new_with_metadata(
            self.reader.clone(),
            self.metadata.clone(),
        )
    }
}

/// A Parquet error met reading segment `meta`, naming it.
pub fn parquet_err(meta: &SegmentMeta) -> impl Fn(ParquetError) -> Error + '_ {
    |source| Error::Parquet {
        segment_id: meta.id.clone(),
        source,
    }
}
