//! The files of a data directory that `index-usage` and `parquet-usage`
//! read.

use std::path::{Path, PathBuf};

/// Every file under `dir` (recursively) whose extension is `ext`; an
/// error when there is none.
pub fn files_with_extension(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, ext, out)?;
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, ext, &mut out).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    if out.is_empty() {
        return Err(format!("no .{ext} files under {}", dir.display()));
    }
    Ok(out)
}
