//! DuckDB and Drain3, through the Python scripts in `benches/peers/`, each
//! printing JSON results on standard output.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::Deserialize;
use serde_json::json;

use super::corpus::Corpus;
use super::peers::peers_dir;
use super::query_set::SearchQuery;
use super::search::SearchTimes;
use super::sql::{QUERIES, SqlTimes};

/// Runs `python script args`, feeding `stdin`, and parses its JSON output.
fn run_script<T: for<'de> Deserialize<'de>>(
    python: &Path,
    script: &str,
    args: &[&str],
    stdin: &[u8],
) -> Result<T, String> {
    let path = peers_dir().join(script);
    let mut child = Command::new(python)
        .arg(&path)
        .args(args)
        .current_dir(peers_dir())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", path.display()))?;
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin)
            .map_err(|e| format!("writing to {script}: {e}"))?;
    }
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
struct DuckDbOut {
    version: String,
    parquet_bytes: u64,
    searches: Vec<DuckDbSearch>,
    sql: Vec<DuckDbSql>,
}

#[derive(Deserialize)]
struct DuckDbSearch {
    warm_ms: Vec<f64>,
    cold_ms: Vec<f64>,
    rows: u64,
    matches: u64,
}

#[derive(Deserialize)]
struct DuckDbSql {
    ms: Vec<f64>,
    rows: u64,
}

/// Converts the corpus to DuckDB's Parquet (once) and runs the searches and
/// SQL queries on it.
pub fn duckdb(
    python: &Path,
    corpus: &Corpus,
    queries: &[SearchQuery],
    warm_samples: usize,
    cold_samples: usize,
    sql_samples: usize,
) -> Result<DuckDbResults, String> {
    let job = json!({
        "ndjson": corpus.ndjson,
        "parquet": corpus.duckdb_parquet,
        "warm_samples": warm_samples,
        "cold_samples": cold_samples,
        "sql_runs": sql_samples,
        "searches": queries.iter().map(|q| json!({
            "name": q.label(),
            "timed": q.duckdb_sql(),
            "count": format!("SELECT count(*) FROM logs WHERE {}", q.duckdb_where()),
        })).collect::<Vec<_>>(),
        "sql": QUERIES.iter().map(|q| json!({"name": q.name, "sql": q.duckdb})).collect::<Vec<_>>(),
    });
    let out: DuckDbOut = run_script(python, "duckdb_bench.py", &[], job.to_string().as_bytes())?;
    if out.searches.len() != queries.len() || out.sql.len() != QUERIES.len() {
        return Err("duckdb_bench.py answered a different number of queries".into());
    }
    Ok(DuckDbResults {
        version: out.version,
        parquet_bytes: out.parquet_bytes,
        searches: out
            .searches
            .into_iter()
            .map(|s| SearchTimes {
                warm_ms: s.warm_ms,
                cold_ms: s.cold_ms,
                rows: s.rows,
                matches: s.matches,
            })
            .collect(),
        sql: out
            .sql
            .into_iter()
            .map(|s| SqlTimes {
                ms: s.ms,
                rows: s.rows,
            })
            .collect(),
    })
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
    run_script(
        python,
        "drain3_corpus.py",
        &[&messages.to_string_lossy(), &runs.to_string()],
        b"",
    )
}
