//! Ingest: the real `strata ingest` binary as a child process.
//!
//! Each run starts from an empty data directory and times the child from
//! spawn to exit: process start, engine open, NDJSON decode, WAL writes with
//! fsync, and the final flush to Parquet + full-text index at close. Peak
//! RSS is the child's `VmHWM` (`/proc/<pid>/status`), polled every 5 ms
//! while it runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One `strata ingest` run.
#[derive(Debug, Clone, Copy)]
pub struct IngestRun {
    pub seconds: f64,
    pub peak_rss_bytes: u64,
}

/// The `strata` binary next to this `strata-bench`.
pub fn strata_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let path = exe
        .parent()
        .map(|d| d.join("strata"))
        .ok_or_else(|| format!("{} has no parent directory", exe.display()))?;
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "no strata binary at {} (build it with strata-bench: cargo build --workspace --bins)",
            path.display()
        ))
    }
}

/// `VmHWM` of a live process, in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Ingests `corpus` into a fresh `data_dir` with `strata ingest`, logging
/// the child's output to `log`.
pub fn ingest_once(
    strata: &Path,
    corpus: &Path,
    data_dir: &Path,
    records: usize,
    log: &Path,
) -> Result<IngestRun, String> {
    if data_dir.exists() {
        std::fs::remove_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    }
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let started = Instant::now();
    let mut child = Command::new(strata)
        .arg("ingest")
        .arg("--data-dir")
        .arg(data_dir)
        .arg(corpus)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", strata.display()))?;
    let mut peak = 0u64;
    let status = loop {
        if let Some(rss) = peak_rss(child.id()) {
            peak = peak.max(rss);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for strata ingest: {e}")),
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let output = std::fs::read_to_string(log).unwrap_or_default();
    let accepted = format!("accepted {records} record(s), rejected 0");
    if !status.success() || !output.contains(&accepted) {
        let tail: Vec<&str> = output.lines().rev().take(10).collect();
        return Err(format!(
            "strata ingest exited with {status} without printing '{accepted}' (log {}):\n{}",
            log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    Ok(IngestRun {
        seconds,
        peak_rss_bytes: peak,
    })
}
