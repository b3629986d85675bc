//! Storage: what Strata keeps on disk for the corpus, and what the same
//! NDJSON takes compressed by general-purpose tools.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use strata_engine::{Engine, EngineConfig};

/// Strata's bytes for the corpus, from the manifest.
#[derive(Debug, Clone, Copy)]
pub struct StrataStorage {
    pub segments: usize,
    pub rows: u64,
    pub parquet_bytes: u64,
    pub index_bytes: u64,
    /// Every file of the data dir: segments, manifest, template
    /// dictionary, WAL, lock.
    pub data_dir_bytes: u64,
}

/// Opens `data_dir` (which drops files the manifest does not reference) and
/// sums its segments' Parquet and index sizes as the manifest records them.
pub async fn strata_storage(data_dir: &Path) -> Result<StrataStorage, String> {
    let engine = Engine::open(EngineConfig {
        background_tasks: false,
        ..EngineConfig::new(data_dir)
    })
    .await
    .map_err(|e| format!("opening {}: {e}", data_dir.display()))?;
    let stats = engine.stats().map_err(|e| e.to_string())?;
    engine.close().await.map_err(|e| e.to_string())?;
    Ok(StrataStorage {
        segments: stats.segments,
        rows: stats.segment_rows,
        parquet_bytes: stats.parquet_bytes,
        index_bytes: stats.index_bytes,
        data_dir_bytes: dir_bytes(data_dir, &[])?,
    })
}

/// Bytes of the files under `dir` (recursively) whose name ends in one of
/// `suffixes`, or of every file when `suffixes` is empty.
pub fn dir_bytes(dir: &Path, suffixes: &[&str]) -> Result<u64, String> {
    let mut total = 0;
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        let meta = entry
            .metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.is_dir() {
            total += dir_bytes(&path, suffixes)?;
        } else if suffixes.is_empty()
            || suffixes.iter().any(|s| path.to_string_lossy().ends_with(s))
        {
            total += meta.len();
        }
    }
    Ok(total)
}

/// The compressors compared, as (label, program, arguments before the file).
pub const COMPRESSORS: &[(&str, &str, &[&str])] = &[
    ("gzip -6", "gzip", &["-6", "-c"]),
    ("zstd -3", "zstd", &["-3", "-c", "-q"]),
    ("zstd -19 -T0", "zstd", &["-19", "-T0", "-c", "-q"]),
];

/// Size of `program args file` on standard output.
fn compressed_size(program: &Path, args: &[&str], file: &Path) -> Result<u64, String> {
    let mut child = Command::new(program)
        .args(args)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", program.display()))?;
    let mut out = child
        .stdout
        .take()
        .ok_or_else(|| "compressor has no stdout".to_string())?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        match out.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n as u64,
            Err(e) => return Err(format!("reading {}: {e}", program.display())),
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!(
            "{} {args:?} exited with {status}",
            program.display()
        ));
    }
    Ok(total)
}

/// Compressed sizes by compressor label, in [`COMPRESSORS`] order, or why
/// one is missing.
pub type CompressedSizes = Vec<(String, Result<u64, String>)>;

/// Sizes of the corpus under each compressor whose program is found
/// (`find` maps a program name to its path), cached in `cache` since the
/// corpus is deterministic (zstd -19 of 10M records takes a while).
pub fn compressed_sizes(
    ndjson: &Path,
    cache: &Path,
    find: impl Fn(&str) -> Option<std::path::PathBuf>,
) -> Result<CompressedSizes, String> {
    let mut known: std::collections::BTreeMap<String, u64> = std::fs::read(cache)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (label, program, args) in COMPRESSORS {
        let size = match (known.get(*label), find(program)) {
            (Some(&n), _) => Ok(n),
            (None, None) => Err(format!("{program} not found on PATH")),
            (None, Some(path)) => {
                eprintln!("compressing the corpus with {label}");
                let n = compressed_size(&path, args, ndjson)?;
                known.insert(label.to_string(), n);
                let json = serde_json::to_vec_pretty(&known).map_err(|e| e.to_string())?;
                std::fs::write(cache, json).map_err(|e| format!("{}: {e}", cache.display()))?;
                Ok(n)
            }
        };
        out.push((label.to_string(), size));
    }
    Ok(out)
}
