//! Server configuration: TOML file, then environment variables, then flags.
//!
//! ```toml
//! data_dir = "./strata-data"
//! listen = "127.0.0.1:50051"
//!
//! [engine]
//! flush_bytes = 134217728
//! zstd_level = 3
//! ```
//!
//! Environment: `STRATA_DATA_DIR`, `STRATA_LISTEN`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use strata_engine::EngineConfig;

use crate::error::{Error, Result};

/// Default address of `strata serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";

/// Configuration of the `strata` binary.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Data directory (WAL, lock, hot-tier segments).
    pub data_dir: PathBuf,
    /// Address `strata serve` listens on.
    pub listen: String,
    /// Largest gRPC request accepted, in bytes.
    pub max_request_bytes: usize,
    /// Ingest calls served at once; more get RESOURCE_EXHAUSTED.
    pub max_concurrent_ingests: usize,
    /// Records buffered per Tail client before it is dropped as too slow.
    pub tail_buffer_records: usize,
    /// Engine tunables; `data_dir` above overrides `engine.data_dir`.
    pub engine: EngineConfig,
}

/// Default largest gRPC request.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 64 << 20;
/// Default number of ingest calls served at once.
pub const DEFAULT_MAX_CONCURRENT_INGESTS: usize = 64;
/// Default Tail buffer per client.
pub const DEFAULT_TAIL_BUFFER_RECORDS: usize = 10_000;

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            data_dir: PathBuf::from(strata_engine::config::DEFAULT_DATA_DIR),
            listen: DEFAULT_LISTEN.to_string(),
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_concurrent_ingests: DEFAULT_MAX_CONCURRENT_INGESTS,
            tail_buffer_records: DEFAULT_TAIL_BUFFER_RECORDS,
            engine: EngineConfig::default(),
        }
    }
}

/// Values given on the command line, which win over file and environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
}

impl ServerConfig {
    /// Loads the file (if any), applies the environment, then the flags.
    pub fn load(o: &Overrides) -> Result<ServerConfig> {
        let mut cfg = match &o.config {
            Some(path) => Self::from_file(path)?,
            None => ServerConfig::default(),
        };
        if let Ok(v) = std::env::var("STRATA_DATA_DIR") {
            cfg.data_dir = PathBuf::from(v);
        }
        if let Ok(v) = std::env::var("STRATA_LISTEN") {
            cfg.listen = v;
        }
        if let Some(d) = &o.data_dir {
            cfg.data_dir = d.clone();
        }
        if let Some(l) = &o.listen {
            cfg.listen = l.clone();
        }
        cfg.engine.data_dir = cfg.data_dir.clone();
        cfg.validate()?;
        Ok(cfg)
    }

    fn from_file(path: &Path) -> Result<ServerConfig> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigFile {
            path: path.to_path_buf(),
            reason: source.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| Error::ConfigFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        self.listen_addr()?;
        if self.max_request_bytes < 1024 {
            return Err(Error::Usage(
                "max_request_bytes must be at least 1024".into(),
            ));
        }
        if self.max_concurrent_ingests == 0 {
            return Err(Error::Usage(
                "max_concurrent_ingests must be at least 1".into(),
            ));
        }
        if self.tail_buffer_records == 0 {
            return Err(Error::Usage(
                "tail_buffer_records must be at least 1".into(),
            ));
        }
        self.engine.validate()?;
        Ok(())
    }

    /// The parsed listen address.
    pub fn listen_addr(&self) -> Result<SocketAddr> {
        self.listen
            .parse()
            .map_err(|e| Error::Usage(format!("listen address {:?} is invalid: {e}", self.listen)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flags_in_order_of_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("strata.toml");
        std::fs::write(
            &path,
            "data_dir = \"/from/file\"\nlisten = \"127.0.0.1:6000\"\n[engine]\nzstd_level = 9\n",
        )
        .unwrap();
        let cfg = ServerConfig::load(&Overrides {
            config: Some(path.clone()),
            data_dir: Some("/from/flag".into()),
            listen: None,
        })
        .unwrap();
        assert_eq!(cfg.data_dir, PathBuf::from("/from/flag"));
        assert_eq!(cfg.engine.data_dir, PathBuf::from("/from/flag"));
        assert_eq!(cfg.listen, "127.0.0.1:6000");
        assert_eq!(cfg.engine.zstd_level, 9);

        std::fs::write(&path, "bogus = 1\n").unwrap();
        let err = ServerConfig::load(&Overrides {
            config: Some(path),
            ..Overrides::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("bogus"), "{err}");
    }
}
