//! The generated corpus and the files derived from it, in the work dir.
//!
//! ```text
//! <work-dir>/corpus-<records>-s<seed>.ndjson            the corpus (strata-bench gen)
//!            corpus-<records>-s<seed>.messages.jsonl    its messages, one JSON string a line
//!            corpus-<records>-s<seed>.queries.json      the query set picked from it
//!            corpus-<records>-s<seed>.compressed.json   its gzip / zstd sizes
//!            corpus-<records>-s<seed>.duckdb.parquet    the same rows written by DuckDB
//!            data/                                      Strata's data dir (last ingest run)
//! ```
//!
//! The generator is deterministic, so every file is reused when present;
//! each is written under a temporary name and renamed once complete.

use std::path::{Path, PathBuf};

/// Paths of the corpus of (`records`, `seed`) under a work dir.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub records: usize,
    pub seed: u64,
    pub ndjson: PathBuf,
    pub messages: PathBuf,
    pub queries: PathBuf,
    pub compressed: PathBuf,
    pub duckdb_parquet: PathBuf,
    pub data_dir: PathBuf,
}

impl Corpus {
    pub fn new(work_dir: &Path, records: usize, seed: u64) -> Self {
        let stem = format!("corpus-{records}-s{seed}");
        let file = |suffix: &str| work_dir.join(format!("{stem}.{suffix}"));
        Corpus {
            records,
            seed,
            ndjson: file("ndjson"),
            messages: file("messages.jsonl"),
            queries: file("queries.json"),
            compressed: file("compressed.json"),
            duckdb_parquet: file("duckdb.parquet"),
            data_dir: work_dir.join("data"),
        }
    }

    /// Writes the NDJSON corpus unless it exists; returns its size in bytes.
    pub fn ensure_ndjson(&self) -> Result<u64, String> {
        if !self.ndjson.exists() {
            eprintln!(
                "generating {} records (seed {}) into {}",
                self.records,
                self.seed,
                self.ndjson.display()
            );
            let tmp = tmp_path(&self.ndjson);
            crate::generate::write_ndjson(self.records, self.seed, &tmp.to_string_lossy())
                .map_err(|e| format!("writing {}: {e}", tmp.display()))?;
            std::fs::rename(&tmp, &self.ndjson)
                .map_err(|e| format!("renaming {}: {e}", tmp.display()))?;
        }
        file_len(&self.ndjson)
    }
}

/// `<path>.tmp`: where a file is written before being renamed into place.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

pub fn file_len(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}
