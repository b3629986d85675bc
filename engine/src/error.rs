//! The engine's error type.

use std::path::PathBuf;

/// Errors of the storage engine.
///
/// Variants carry the context a caller needs (which file, which segment) and
/// the typed source. Bad input is reported per record through
/// [`crate::Rejection`], not through this type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid; the message names the field.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// The data directory is held by another process.
    #[error("data directory {dir} is locked by another strata process ({holder})")]
    Locked { dir: PathBuf, holder: String },

    /// A filesystem operation on a path failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The write-ahead log could not be written or read.
    #[error("write-ahead log error: {0}")]
    Wal(String),

    /// An object store operation failed.
    #[error("object store error on {path}: {source}")]
    ObjectStore {
        path: String,
        #[source]
        source: object_store::Error,
    },

    /// Building or reading Arrow data failed.
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow::error::ArrowError),

    /// Writing or reading a Parquet segment failed.
    #[error("parquet error in segment {segment_id}: {source}")]
    Parquet {
        segment_id: String,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// Building or reading a full-text index failed.
    #[error("full-text index error in segment {segment_id}: {source}")]
    Index {
        segment_id: String,
        #[source]
        source: tantivy::TantivyError,
    },

    /// An index bundle or manifest file is malformed.
    #[error("corrupt {what}: {reason}")]
    Corrupt { what: String, reason: String },

    /// A full-text query string could not be parsed.
    #[error("invalid search query: {0}")]
    Query(#[from] crate::text_query::QueryParseError),

    /// Manifest (de)serialization failed.
    #[error("manifest error in {path}: {source}")]
    Manifest {
        path: String,
        #[source]
        source: serde_json::Error,
    },

    /// A ground-truth line of the sample generator could not be read.
    #[error("invalid ground-truth line: {source}")]
    GroundTruth {
        #[source]
        source: serde_json::Error,
    },

    /// The engine was shut down while the operation was pending.
    #[error("the engine is shut down")]
    Shutdown,

    /// Too much unflushed data is pending; retry later.
    #[error("overloaded: {0}")]
    Overloaded(String),
}

/// Result alias of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn store(path: impl ToString, source: object_store::Error) -> Self {
        Error::ObjectStore {
            path: path.to_string(),
            source,
        }
    }
}
