//! DuckDB and Drain3, through the Python scripts in `benches/peers/`: DuckDB
//! answers one command per line (so its samples interleave with Strata's),
//! Drain3 prints its results as JSON at the end.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

use super::corpus::Corpus;
use super::peers::peers_dir;
use super::search::SearchTimes;
use super::sql::SqlTimes;

/// `python script args`, run from the peers' directory with standard input
/// and output piped (standard error is the run's).
fn spawn_script(python: &Path, script: &str, args: &[&OsStr]) -> Result<Child, String> {
    let path = peers_dir().join(script);
    Command::new(python)
        .arg(&path)
        .args(args)
        .current_dir(peers_dir())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", path.display()))
}

/// Runs `python script args` to its end and parses its JSON output.
fn run_script<T: for<'de> Deserialize<'de>>(
    python: &Path,
    script: &str,
    args: &[&OsStr],
) -> Result<T, String> {
    let mut child = spawn_script(python, script, args)?;
    drop(child.stdin.take());
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{script}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{script} exited with {}", out.status));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{script} output: {e}"))
}

/// What DuckDB measured.
#[derive(Debug, Clone)]
pub struct DuckDbResults {
    pub version: String,
    pub parquet_bytes: u64,
    pub searches: Vec<SearchTimes>,
    pub sql: Vec<SqlTimes>,
}

#[derive(Deserialize)]
struct Hello {
    version: String,
    parquet_bytes: u64,
}

#[derive(Deserialize)]
struct Answer {
    ms: Option<f64>,
    rows: Option<u64>,
    count: Option<u64>,
    error: Option<String>,
}

/// `duckdb_bench.py` running, answering one command at a time, so that its
/// samples can be taken between Strata's.
pub struct DuckDb {
    child: Child,
    /// `None` once closed, which ends the script's loop.
    input: Option<ChildStdin>,
    output: BufReader<ChildStdout>,
    pub version: String,
    pub parquet_bytes: u64,
}

impl DuckDb {
    /// Starts the script; it converts the corpus to DuckDB's Parquet (once,
    /// kept next to the corpus) before it answers.
    pub fn start(python: &Path, corpus: &Corpus) -> Result<DuckDb, String> {
        let args = [corpus.ndjson.as_os_str(), corpus.duckdb_parquet.as_os_str()];
        let mut child = spawn_script(python, "duckdb_bench.py", &args)?;
        let input = Some(child.stdin.take().ok_or("duckdb_bench.py has no stdin")?);
        let output = BufReader::new(child.stdout.take().ok_or("duckdb_bench.py has no stdout")?);
        let mut duck = DuckDb {
            child,
            input,
            output,
            version: String::new(),
            parquet_bytes: 0,
        };
        let hello: Hello = duck.read_line()?;
        duck.version = hello.version;
        duck.parquet_bytes = hello.parquet_bytes;
        Ok(duck)
    }

    fn read_line<T: for<'de> Deserialize<'de>>(&mut self) -> Result<T, String> {
        let mut line = String::new();
        let n = self
            .output
            .read_line(&mut line)
            .map_err(|e| format!("reading duckdb_bench.py: {e}"))?;
        if n == 0 {
            let status = match self.child.try_wait() {
                Ok(Some(status)) => status.to_string(),
                _ => "closed its output".to_string(),
            };
            return Err(format!("duckdb_bench.py exited: {status}"));
        }
        serde_json::from_str(&line).map_err(|e| format!("duckdb_bench.py answered {line:?}: {e}"))
    }

    fn ask(&mut self, op: &str, sql: &str) -> Result<Answer, String> {
        let command = json!({"op": op, "sql": sql}).to_string();
        let input = self
            .input
            .as_mut()
            .ok_or("duckdb_bench.py's input is closed")?;
        writeln!(input, "{command}")
            .and_then(|()| input.flush())
            .map_err(|e| format!("writing to duckdb_bench.py: {e}"))?;
        let answer: Answer = self.read_line()?;
        match answer.error {
            Some(e) => Err(format!("DuckDB, {op} `{sql}`: {e}")),
            None => Ok(answer),
        }
    }

    fn timed(&mut self, op: &str, sql: &str) -> Result<(f64, u64), String> {
        let a = self.ask(op, sql)?;
        match (a.ms, a.rows) {
            (Some(ms), Some(rows)) => Ok((ms, rows)),
            _ => Err(format!(
                "DuckDB, {op} `{sql}`: no time or rows in the answer"
            )),
        }
    }

    /// One run on the script's one connection; (ms, rows).
    pub fn warm(&mut self, sql: &str) -> Result<(f64, u64), String> {
        self.timed("warm", sql)
    }

    /// One run on a new database after the Parquet is dropped from the OS
    /// page cache; (ms, rows).
    pub fn cold(&mut self, sql: &str) -> Result<(f64, u64), String> {
        self.timed("cold", sql)
    }

    /// The single integer a `SELECT count(*)` answers.
    pub fn count(&mut self, sql: &str) -> Result<u64, String> {
        self.ask("count", sql)?
            .count
            .ok_or_else(|| format!("DuckDB, count `{sql}`: no count in the answer"))
    }
}

impl Drop for DuckDb {
    fn drop(&mut self) {
        // Closing standard input ends the script's loop; a script still
        // running after 5 s (a query that hangs) is killed.
        drop(self.input.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What Drain3 measured.
#[derive(Debug, Clone, Deserialize)]
pub struct Drain3Results {
    pub learn_per_sec: Vec<f64>,
    pub match_per_sec: Vec<f64>,
    pub templates: usize,
}

/// Drain3 learning and matching the corpus's messages, `runs` times.
pub fn drain3(python: &Path, messages: &Path, runs: usize) -> Result<Drain3Results, String> {
    let messages = messages
        .canonicalize()
        .map_err(|e| format!("{}: {e}", messages.display()))?;
    let runs = runs.to_string();
    run_script(
        python,
        "drain3_corpus.py",
        &[messages.as_os_str(), OsStr::new(&runs)],
    )
}
