//! `strata-bench parquet-usage DIR`: what the Parquet files under a data
//! directory spend their bytes on, per column, in bytes per record (from
//! the files' footers; nothing is decoded).

use std::collections::BTreeMap;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::data_files::files_with_extension;

/// Bytes of one column over every file.
#[derive(Default)]
struct ColumnBytes {
    /// Column chunks as stored (pages and their headers, dictionary
    /// included).
    compressed: u64,
    /// The same pages decompressed (still encoded).
    uncompressed: u64,
    /// Bloom filters and page indexes (column and offset indexes).
    side: u64,
}

/// Prints what the files hold besides their column chunks, then a
/// Markdown table of Parquet bytes per column, largest first; bytes per
/// record divide by `records`, else by the files' rows.
pub fn run(dir: &Path, records: Option<u64>) -> Result<(), String> {
    let paths = files_with_extension(dir, "parquet")?;
    let mut columns: BTreeMap<String, ColumnBytes> = BTreeMap::new();
    let (mut total, mut rows) = (0u64, 0u64);
    for path in &paths {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        total += file.metadata().map_err(|e| e.to_string())?.len();
        let reader =
            SerializedFileReader::new(file).map_err(|e| format!("{}: {e}", path.display()))?;
        let meta = reader.metadata();
        rows += meta.file_metadata().num_rows() as u64;
        for group in meta.row_groups() {
            for chunk in group.columns() {
                let c = columns.entry(chunk.column_path().string()).or_default();
                c.compressed += chunk.compressed_size() as u64;
                c.uncompressed += chunk.uncompressed_size() as u64;
                c.side += [
                    chunk.bloom_filter_length(),
                    chunk.column_index_length(),
                    chunk.offset_index_length(),
                ]
                .into_iter()
                .flatten()
                .map(|n| n as u64)
                .sum::<u64>();
            }
        }
    }
    let records = records.unwrap_or(rows);
    let per = |n: u64| n as f64 / records.max(1) as f64;
    let chunks: u64 = columns.values().map(|c| c.compressed).sum();
    let side: u64 = columns.values().map(|c| c.side).sum();
    println!(
        "{} files, {rows} rows, {:.1} MB, {:.2} B/record: column chunks {:.2}, \
         bloom filters and page indexes {:.2}, footers and the rest {:.2}",
        paths.len(),
        total as f64 / 1e6,
        per(total),
        per(chunks),
        per(side),
        per(total.saturating_sub(chunks + side))
    );
    let mut sorted: Vec<_> = columns.into_iter().collect();
    sorted.sort_by_key(|(_, c)| std::cmp::Reverse(c.compressed));
    println!(
        "| column | MB | B/record | decompressed B/record | blooms + page indexes B/record |\n\
         |---|---:|---:|---:|---:|"
    );
    for (name, c) in sorted {
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} |",
            c.compressed as f64 / 1e6,
            per(c.compressed),
            per(c.uncompressed),
            per(c.side)
        );
    }
    Ok(())
}
