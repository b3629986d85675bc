//! ripgrep over the raw NDJSON: the same searches as a shell user would run.
//!
//! A timed search is `rg ... FILE | tail -n 100` (the file is in time order,
//! so the last lines are the newest records): the time runs from spawning
//! `rg` until its output has been read to the end. Cold samples first drop
//! the NDJSON from the OS page cache; every sample is a new process.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::page_cache;
use super::query_set::{LIMIT, SearchQuery};

fn command(rg: &Path, q: &SearchQuery) -> Command {
    let mut c = Command::new(rg);
    c.arg("--no-config").args(q.rg_args());
    c
}

/// One timed search; returns (ms, lines kept).
pub fn timed(rg: &Path, q: &SearchQuery, file: &Path) -> Result<(f64, u64), String> {
    let start = Instant::now();
    let mut child = command(rg, q)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", rg.display()))?;
    let out = child
        .stdout
        .take()
        .ok_or_else(|| "rg has no stdout".to_string())?;
    let mut last: VecDeque<Vec<u8>> = VecDeque::with_capacity(LIMIT + 1);
    let mut reader = BufReader::with_capacity(1 << 20, out);
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {
                if last.len() == LIMIT {
                    last.pop_front();
                }
                last.push_back(line);
            }
            Err(e) => return Err(format!("reading rg output: {e}")),
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    // 0 = matches, 1 = no match, 2 = error
    if status.code() != Some(0) && status.code() != Some(1) {
        return Err(format!("rg {:?} exited with {status}", q.rg_args()));
    }
    Ok((ms, last.len() as u64))
}

/// `rg -c`: matching lines.
pub fn count(rg: &Path, q: &SearchQuery, file: &Path) -> Result<u64, String> {
    let out = command(rg, q)
        .arg("-c")
        .arg(file)
        .output()
        .map_err(|e| format!("starting {}: {e}", rg.display()))?;
    match out.status.code() {
        Some(1) => Ok(0),
        Some(0) => String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|e| format!("rg -c output: {e}")),
        _ => Err(format!(
            "rg -c {:?} exited with {}: {}",
            q.rg_args(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// One sample after the NDJSON is dropped from the OS page cache; ms.
pub fn cold(rg: &Path, q: &SearchQuery, file: &Path) -> Result<f64, String> {
    page_cache::evict(file)?;
    Ok(timed(rg, q, file)?.0)
}
