//! # strata-server
//!
//! The `strata` binary's library: configuration, the gRPC server of the
//! `strata.v1` API (ingest, search, SQL, live tail, health, reflection), and
//! the client the CLI uses with `--server`.
//!
//! ```no_run
//! # async fn demo() -> strata_server::error::Result<()> {
//! use strata_server::{config::ServerConfig, grpc};
//! let cfg = ServerConfig::default();
//! let engine = strata_engine::Engine::open(cfg.engine.clone()).await?;
//! let listener = tokio::net::TcpListener::bind(cfg.listen_addr()?).await.map_err(|e| {
//!     strata_server::error::Error::Io { what: "listen".into(), source: e }
//! })?;
//! grpc::serve(engine, &cfg, listener, std::future::pending()).await?;
//! # Ok(()) }
//! ```

pub mod client;
pub mod config;
pub mod error;
pub mod grpc;
