//! Segments: one immutable Parquet file plus one full-text index bundle per
//! (workspace, hour) partition flush, catalogued by [`SegmentMeta`].

pub mod decimal_floats;
mod group_postings;
pub mod index;
mod object_reader;
pub mod reader;
pub mod row_filter;
pub mod row_selection;
pub mod template_groups;
pub mod text_shapes;
pub mod timestamps;
pub mod writer;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use object_store::path::Path;
use serde::{Deserialize, Serialize};

pub use index::SegmentIndex;
pub use object_reader::SegmentFile;
pub use writer::{SegmentFiles, SegmentLayout, write_segment};

/// Summary statistics of one string column of a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    pub min: Option<String>,
    pub max: Option<String>,
    pub null_count: u64,
    /// Every distinct non-null value, when there are at most
    /// [`MAX_DISTINCT_IN_STATS`] of them.
    pub distinct: Option<Vec<String>>,
}

/// Distinct values kept in [`ColumnStats::distinct`] at most.
pub const MAX_DISTINCT_IN_STATS: usize = 32;

/// Catalog entry of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentMeta {
    /// ULID of the segment.
    pub id: String,
    pub workspace_id: String,
    /// Smallest and largest `timestamp` (microseconds), inclusive.
    pub min_ts: i64,
    pub max_ts: i64,
    pub rows: u64,
    /// Rows of each Parquet row group, in order.
    pub row_groups: Vec<u64>,
    pub parquet_bytes: u64,
    pub index_bytes: u64,
    /// Storage tier the files live in (`hot` for now).
    pub tier: String,
    /// Object keys of the Parquet file and the index bundle.
    pub parquet_path: String,
    pub index_path: String,
    /// Statistics of [`crate::schema::STATS_COLUMNS`].
    pub stats: BTreeMap<String, ColumnStats>,
    /// Version of the template dictionary the rows' `template_id`s refer to.
    pub template_dict_version: Option<u64>,
    /// When the segment was written (microseconds).
    pub created_us: i64,
    /// Format of the index bundle ([`index::INDEX_FORMAT`] for segments this
    /// build writes; 0, the default, for entries written before the format
    /// was recorded, whose bundles keep FST term dictionaries).
    #[serde(default)]
    pub index_format: u32,
}

impl SegmentMeta {
    /// Object key of the Parquet file.
    pub fn parquet_location(&self) -> Path {
        Path::from(self.parquet_path.as_str())
    }

    /// Object key of the index bundle.
    pub fn index_location(&self) -> Path {
        Path::from(self.index_path.as_str())
    }

    /// The (workspace, date, hour) partition key.
    pub fn partition(&self) -> (String, String) {
        (self.workspace_id.clone(), partition_dir(self.min_ts))
    }
}

/// `dt=YYYY-MM-DD/hr=HH` of a timestamp in microseconds.
pub fn partition_dir(ts_us: i64) -> String {
    let dt = DateTime::<Utc>::from_timestamp_micros(ts_us).unwrap_or_default();
    dt.format("dt=%Y-%m-%d/hr=%H").to_string()
}

/// The hour bucket of a timestamp in microseconds.
pub fn hour_of(ts_us: i64) -> i64 {
    ts_us.div_euclid(3_600_000_000)
}

/// Object key base `ws=<workspace>/dt=<date>/hr=<HH>/<id>` (workspace
/// percent-encoded as one path segment).
pub fn object_base(workspace: &str, ts_us: i64, id: &str) -> String {
    let ws = Path::from_iter([format!("ws={workspace}")]);
    format!("{ws}/{}/{id}", partition_dir(ts_us))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_design_layout() {
        // 2026-01-05T10:30:00Z
        let ts = 1_767_609_000_000_000;
        assert_eq!(
            object_base("acme", ts, "01ABC"),
            "ws=acme/dt=2026-01-05/hr=10/01ABC"
        );
        assert_eq!(
            object_base("a/b", ts, "X"),
            "ws=a%2Fb/dt=2026-01-05/hr=10/X"
        );
        assert_eq!(hour_of(ts), hour_of(ts + 29 * 60 * 1_000_000));
        assert_ne!(hour_of(ts), hour_of(ts + 30 * 60 * 1_000_000));
    }
}
