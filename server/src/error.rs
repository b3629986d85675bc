//! Errors of the `strata` binary and server.

use std::path::PathBuf;

/// Errors of the CLI and server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Engine(#[from] strata_engine::Error),

    #[error(transparent)]
    Query(#[from] strata_query::datafusion::error::DataFusionError),

    #[error("config file {path}: {reason}")]
    ConfigFile { path: PathBuf, reason: String },

    #[error("{0}")]
    Usage(String),

    #[error("I/O error on {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },

    #[error("output error: {0}")]
    Output(#[from] arrow::error::ArrowError),

    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: tonic::transport::Error,
    },

    #[error("server error: {0}")]
    Transport(#[from] tonic::transport::Error),

    #[error("{}: {}", .0.code(), .0.message())]
    Rpc(#[from] tonic::Status),
}

/// Result alias of the binary.
pub type Result<T, E = Error> = std::result::Result<T, E>;
