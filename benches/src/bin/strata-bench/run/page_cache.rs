//! Dropping files from the OS page cache, for cold-cache measurements.
//!
//! `posix_fadvise(POSIX_FADV_DONTNEED)` on each file evicts its clean pages
//! (no root needed, other processes' files untouched), so the next read
//! comes from the disk (or from the hypervisor's cache, which this cannot
//! reach).

use std::path::Path;

use nix::fcntl::{PosixFadviseAdvice, posix_fadvise};

/// Evicts `path` (a file, or every file under a directory).
pub fn evict(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", path.display()))?;
            evict(&entry.path())?;
        }
        return Ok(());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    posix_fadvise(&file, 0, 0, PosixFadviseAdvice::POSIX_FADV_DONTNEED)
        .map_err(|e| format!("posix_fadvise {}: {e}", path.display()))
}
