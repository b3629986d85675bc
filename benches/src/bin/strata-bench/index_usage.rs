//! `strata-bench index-usage DIR`: what the index bundles under a data
//! directory spend their bytes on, per field and part, in bytes per record.

use std::collections::BTreeMap;
use std::path::Path;

use strata_engine::segment::SegmentIndex;

use crate::data_files::files_with_extension;

/// Prints a Markdown table of index bytes per (field, part), largest first.
pub fn run(dir: &Path, records: u64) -> Result<(), String> {
    let paths = files_with_extension(dir, "index")?;
    let mut bytes: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut total = 0u64;
    for path in &paths {
        let data =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        total += data.len() as u64;
        let name = path.display().to_string();
        let index = SegmentIndex::open(&data, &name).map_err(|e| e.to_string())?;
        for (field, part, n) in index.space_by_part().map_err(|e| e.to_string())? {
            *bytes.entry((field, part)).or_default() += n;
        }
    }
    let mut rows: Vec<_> = bytes.into_iter().filter(|(_, n)| *n > 0).collect();
    rows.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let per = |n: u64| n as f64 / records.max(1) as f64;
    println!(
        "{} bundles, {:.1} MB, {:.1} B/record",
        paths.len(),
        total as f64 / 1e6,
        per(total)
    );
    println!("| field | part | MB | B/record |\n|---|---|---|---|");
    for ((field, part), n) in rows {
        println!(
            "| {field} | {part} | {:.2} | {:.2} |",
            n as f64 / 1e6,
            per(n)
        );
    }
    Ok(())
}
