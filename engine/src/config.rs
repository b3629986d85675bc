//! Engine configuration.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::segment::SegmentLayout;

/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./strata-data";
/// Default limit on one record's size.
pub const DEFAULT_MAX_RECORD_BYTES: usize = crate::ndjson::DEFAULT_MAX_RECORD_BYTES;
/// Default memtable size that triggers a flush.
pub const DEFAULT_FLUSH_BYTES: usize = 128 << 20;
/// Default memtable age that triggers a flush.
pub const DEFAULT_FLUSH_INTERVAL_SECS: u64 = 60;
/// Default unflushed data past which ingest is refused as overloaded: two
/// flushes' worth, one being written and one filling. It bounds the memory
/// of a sustained load (a 10M-record bulk load peaked at 874–988 MiB of RSS,
/// as fast as with a 1 GiB backlog; BENCHMARKS.md, "Optimization round 6").
pub const DEFAULT_MAX_UNFLUSHED_BYTES: usize = 256 << 20;
/// Default size at which a WAL file is closed and a new one started.
pub const DEFAULT_WAL_FILE_BYTES: u64 = 64 << 20;
/// Default depth of the queue in front of the WAL writer.
pub const DEFAULT_WAL_QUEUE_DEPTH: usize = 256;
/// Default rows per Parquet row group.
pub const DEFAULT_ROW_GROUP_ROWS: usize = 64 * 1024;
/// Default largest number of rows in one Parquet data page.
pub const DEFAULT_PAGE_ROWS: usize = 4096;
/// Default zstd level of Parquet pages.
pub const DEFAULT_ZSTD_LEVEL: i32 = 3;
/// Default largest uncompressed data page of the wide text columns.
pub const DEFAULT_TEXT_PAGE_BYTES: usize = 64 << 10;
/// Default largest uncompressed data page of the variables of `message`
/// and `attributes` (stored as shapes and variables): ~750 rows.
pub const DEFAULT_VARS_PAGE_BYTES: usize = 16 << 10;
/// Default largest uncompressed data page of the random-id columns
/// (`log_id`, `trace_id`, `span_id`, `parent_span_id`): ~500-1,000 rows.
pub const DEFAULT_ID_PAGE_BYTES: usize = 16 << 10;
/// Default zstd level of the pages of the wide text columns. Level 6 stores
/// ~3% less in total but costs ~8% more ingest CPU (BENCHMARKS.md); ingest
/// speed wins by default.
pub const DEFAULT_TEXT_ZSTD_LEVEL: i32 = 3;
/// Default number of small segments of one partition that triggers compaction.
pub const DEFAULT_COMPACTION_MIN_SEGMENTS: usize = 4;
/// Default row count under which a segment counts as small.
pub const DEFAULT_COMPACTION_SMALL_ROWS: u64 = 500_000;
/// Default number of opened full-text indexes kept in memory.
pub const DEFAULT_INDEX_CACHE_SEGMENTS: usize = 1024;
/// Default bytes of opened full-text indexes kept in memory.
pub const DEFAULT_INDEX_CACHE_BYTES: usize = 512 << 20;

/// Configuration of an [`crate::Engine`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Directory of the WAL, the lock and (by default) the hot-tier segments.
    pub data_dir: PathBuf,
    /// Records larger than this many bytes are rejected.
    pub max_record_bytes: usize,
    /// Flush the memtable when it holds this many bytes.
    pub flush_bytes: usize,
    /// Flush the memtable when its oldest row is this many seconds old.
    pub flush_interval_secs: u64,
    /// Refuse ingest (overloaded) while this many bytes are unflushed.
    pub max_unflushed_bytes: usize,
    /// Start a new WAL file past this size.
    pub wal_file_bytes: u64,
    /// Requests queued in front of the WAL writer before ingest waits.
    pub wal_queue_depth: usize,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// Largest number of rows in one Parquet data page. Smaller pages let
    /// a lookup that selects a few rows decode less.
    pub page_rows: usize,
    /// Largest uncompressed data page, in bytes, of the wide text columns
    /// (`message`, `attributes`, `error_message`, `stack_trace`; of the
    /// shapes of the first two where those are stored as shapes and
    /// variables, see `vars_page_bytes`): a lookup decodes one such page
    /// per column for the rows it returns.
    pub text_page_bytes: usize,
    /// Largest uncompressed data page, in bytes, of the variables of
    /// `message`, `attributes` and `stack_trace` where those are stored as shapes and
    /// variables (`text_shapes`): what is left of the text once its shape
    /// is taken out shrinks nearly as well in short pages, and a lookup
    /// decodes one such page per column for each row it returns.
    pub vars_page_bytes: usize,
    /// Largest uncompressed data page, in bytes, of the random-id columns
    /// (`log_id`, `trace_id`, `span_id`, `parent_span_id`), which zstd
    /// shrinks no further in longer pages.
    pub id_page_bytes: usize,
    /// zstd compression level of Parquet pages (1..=22).
    pub zstd_level: i32,
    /// zstd level of the wide text columns (`message`, `attributes`,
    /// `error_message`, `stack_trace`), which hold most of the bytes and
    /// gain the most from a higher level (1..=22).
    pub text_zstd_level: i32,
    /// Store `message`, `attributes` and `stack_trace` in segments as their
    /// shapes (the text with the variables masked) and variables, as CLP
    /// does, with a reference in place of what repeats the row's execution
    /// id, agent id or error message, rather than as text: about half the
    /// bytes of those columns; and the float metrics as decimals where that
    /// loses nothing, with the metrics' bytes split into streams. SQL,
    /// search and every reader see the text and doubles either way; set it
    /// to false for segments whose Parquet other tools read directly.
    pub text_shapes: bool,
    /// Compact a partition once it has this many small segments.
    pub compaction_min_segments: usize,
    /// Segments with fewer rows than this are small.
    pub compaction_small_rows: u64,
    /// Opened full-text indexes kept in memory (least recently used out).
    /// Segments this process writes enter the cache as they are written.
    pub index_cache_segments: usize,
    /// Bytes of opened full-text indexes kept in memory (least recently
    /// used out; the most recent one stays even when larger).
    pub index_cache_bytes: usize,
    /// Run flushes and compactions in the background.
    pub background_tasks: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            flush_bytes: DEFAULT_FLUSH_BYTES,
            flush_interval_secs: DEFAULT_FLUSH_INTERVAL_SECS,
            max_unflushed_bytes: DEFAULT_MAX_UNFLUSHED_BYTES,
            wal_file_bytes: DEFAULT_WAL_FILE_BYTES,
            wal_queue_depth: DEFAULT_WAL_QUEUE_DEPTH,
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
            page_rows: DEFAULT_PAGE_ROWS,
            text_page_bytes: DEFAULT_TEXT_PAGE_BYTES,
            vars_page_bytes: DEFAULT_VARS_PAGE_BYTES,
            id_page_bytes: DEFAULT_ID_PAGE_BYTES,
            zstd_level: DEFAULT_ZSTD_LEVEL,
            text_zstd_level: DEFAULT_TEXT_ZSTD_LEVEL,
            text_shapes: true,
            compaction_min_segments: DEFAULT_COMPACTION_MIN_SEGMENTS,
            compaction_small_rows: DEFAULT_COMPACTION_SMALL_ROWS,
            index_cache_segments: DEFAULT_INDEX_CACHE_SEGMENTS,
            index_cache_bytes: DEFAULT_INDEX_CACHE_BYTES,
            background_tasks: true,
        }
    }
}

impl EngineConfig {
    /// The default configuration with `data_dir`.
    pub fn new(data_dir: impl AsRef<Path>) -> Self {
        EngineConfig {
            data_dir: data_dir.as_ref().to_path_buf(),
            ..EngineConfig::default()
        }
    }

    /// Checks every field; the error names the offending one.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::Config(m.to_string()));
        if self.data_dir.as_os_str().is_empty() {
            return bad("data_dir must not be empty");
        }
        if self.max_record_bytes == 0 {
            return bad("max_record_bytes must be at least 1");
        }
        if self.flush_bytes == 0 {
            return bad("flush_bytes must be at least 1");
        }
        if self.flush_interval_secs == 0 {
            return bad("flush_interval_secs must be at least 1");
        }
        if self.max_unflushed_bytes < self.flush_bytes {
            return bad("max_unflushed_bytes must be at least flush_bytes");
        }
        if self.wal_file_bytes < 4096 {
            return bad("wal_file_bytes must be at least 4096");
        }
        if self.wal_queue_depth == 0 {
            return bad("wal_queue_depth must be at least 1");
        }
        if self.row_group_rows == 0 {
            return bad("row_group_rows must be at least 1");
        }
        if self.page_rows == 0 {
            return bad("page_rows must be at least 1");
        }
        if self.text_page_bytes < 1024 {
            return bad("text_page_bytes must be at least 1024");
        }
        if self.vars_page_bytes < 1024 {
            return bad("vars_page_bytes must be at least 1024");
        }
        if self.id_page_bytes < 1024 {
            return bad("id_page_bytes must be at least 1024");
        }
        if !(1..=22).contains(&self.zstd_level) {
            return bad("zstd_level must be between 1 and 22");
        }
        if !(1..=22).contains(&self.text_zstd_level) {
            return bad("text_zstd_level must be between 1 and 22");
        }
        if self.compaction_min_segments < 2 {
            return bad("compaction_min_segments must be at least 2");
        }
        if self.index_cache_segments == 0 {
            return bad("index_cache_segments must be at least 1");
        }
        if self.index_cache_bytes == 0 {
            return bad("index_cache_bytes must be at least 1");
        }
        Ok(())
    }

    /// The WAL directory.
    pub fn wal_dir(&self) -> PathBuf {
        self.data_dir.join("wal")
    }

    /// How segments written under this configuration lay out their Parquet.
    pub fn segment_layout(&self) -> SegmentLayout {
        SegmentLayout {
            row_group_rows: self.row_group_rows,
            page_rows: self.page_rows,
            text_page_bytes: self.text_page_bytes,
            vars_page_bytes: self.vars_page_bytes,
            id_page_bytes: self.id_page_bytes,
            zstd_level: self.zstd_level,
            text_zstd_level: self.text_zstd_level,
            text_shapes: self.text_shapes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_bad_fields_are_named() {
        EngineConfig::default().validate().unwrap();
        let cases: Vec<(EngineConfig, &str)> = vec![
            (
                EngineConfig {
                    zstd_level: 0,
                    ..EngineConfig::default()
                },
                "zstd_level",
            ),
            (
                EngineConfig {
                    text_zstd_level: 23,
                    ..EngineConfig::default()
                },
                "text_zstd_level",
            ),
            (
                EngineConfig {
                    page_rows: 0,
                    ..EngineConfig::default()
                },
                "page_rows",
            ),
            (
                EngineConfig {
                    text_page_bytes: 100,
                    ..EngineConfig::default()
                },
                "text_page_bytes",
            ),
            (
                EngineConfig {
                    vars_page_bytes: 512,
                    ..EngineConfig::default()
                },
                "vars_page_bytes",
            ),
            (
                EngineConfig {
                    id_page_bytes: 1023,
                    ..EngineConfig::default()
                },
                "id_page_bytes",
            ),
            (
                EngineConfig {
                    flush_bytes: 0,
                    ..EngineConfig::default()
                },
                "flush_bytes",
            ),
            (
                EngineConfig {
                    compaction_min_segments: 1,
                    ..EngineConfig::default()
                },
                "compaction_min_segments",
            ),
            (
                EngineConfig {
                    index_cache_bytes: 0,
                    ..EngineConfig::default()
                },
                "index_cache_bytes",
            ),
        ];
        for (cfg, field) in cases {
            let err = cfg.validate().unwrap_err().to_string();
            assert!(err.contains(field), "{err}");
        }
    }

    #[test]
    fn parses_from_toml_with_defaults() {
        let cfg: EngineConfig = serde_json::from_str(r#"{"flush_bytes": 1000}"#).unwrap();
        assert_eq!(cfg.flush_bytes, 1000);
        assert_eq!(cfg.zstd_level, DEFAULT_ZSTD_LEVEL);
    }
}
