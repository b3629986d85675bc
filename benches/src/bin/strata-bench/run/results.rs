//! Everything one run measured, and the Markdown section it becomes.

use std::fmt::Write;

use super::ingest::IngestRun;
use super::machine::Machine;
use super::patterns::MiningTimes;
use super::peers::Peers;
use super::python_peers::{Drain3Results, DuckDbResults};
use super::query_set::{LIMIT, SearchKind, SearchQuery};
use super::report::{Better, Measured, PeerValue, Table, fmt_int, fmt_mb, fmt_p50_p99, fmt_sig};
use super::search::SearchTimes;
use super::sql::{QUERIES, SqlTimes};
use super::stats::{median, percentile};
use super::storage::{CompressedSizes, StrataStorage};

const FASTER: (&str, &str) = ("faster", "slower");
const SMALLER: (&str, &str) = ("smaller", "larger");

/// The measurements of one `strata-bench run`.
#[derive(Debug)]
pub struct Results {
    pub command: String,
    pub date: String,
    pub machine: Machine,
    pub records: usize,
    pub seed: u64,
    pub runs: usize,
    pub corpus_bytes: u64,
    pub peers: Peers,
    pub ingest: Vec<IngestRun>,
    pub storage: StrataStorage,
    pub compressed: CompressedSizes,
    pub queries: Vec<SearchQuery>,
    pub strata_search: Vec<SearchTimes>,
    pub ripgrep: Result<Vec<SearchTimes>, String>,
    pub duckdb: Result<DuckDbResults, String>,
    pub strata_sql: Vec<SqlTimes>,
    pub strata_mining: MiningTimes,
    pub drain3: Result<Drain3Results, String>,
}

fn med(samples: &[f64]) -> f64 {
    median(samples).unwrap_or(f64::NAN)
}

fn p50_p99(samples: &[f64]) -> Measured {
    let p50 = percentile(samples, 0.5).unwrap_or(f64::NAN);
    let p99 = percentile(samples, 0.99).unwrap_or(f64::NAN);
    Measured::new(fmt_p50_p99(p50, p99), &[p50, p99])
}

fn bytes_per_record(bytes: u64, records: usize) -> Measured {
    let per = bytes as f64 / records.max(1) as f64;
    Measured::new(
        format!("{} B ({} B/record)", fmt_int(bytes), fmt_sig(per)),
        &[bytes as f64],
    )
}

fn version(peer: &Result<super::peers::Found, String>) -> String {
    match peer {
        Ok(f) => f.version.clone(),
        Err(e) => format!("skipped ({e})"),
    }
}

/// How many samples each query got: "100", or "99–100" where they differ.
fn sample_count(lens: impl Iterator<Item = usize>) -> String {
    let lens: Vec<usize> = lens.collect();
    match (lens.iter().min(), lens.iter().max()) {
        (Some(lo), Some(hi)) if lo != hi => format!("{lo}–{hi}"),
        (Some(n), _) => n.to_string(),
        _ => "0".to_string(),
    }
}

impl Results {
    /// The peers' warm samples per query, as measured ("no peer measured"
    /// when both were skipped or failed).
    fn peer_warm_count(&self) -> String {
        let rg = self.ripgrep.iter().flatten();
        let duck = self.duckdb.iter().flat_map(|d| &d.searches);
        let lens: Vec<usize> = rg.chain(duck).map(|t| t.warm_ms.len()).collect();
        if lens.is_empty() {
            "no peer measured".to_string()
        } else {
            format!("×{} (each peer)", sample_count(lens.into_iter()))
        }
    }

    /// The results table.
    pub fn table(&self) -> Table {
        let mut t = Table::default();
        self.ingest_rows(&mut t);
        self.storage_rows(&mut t);
        self.search_rows(&mut t);
        self.sql_rows(&mut t);
        self.mining_rows(&mut t);
        t
    }

    fn ingest_rows(&self, t: &mut Table) {
        let seconds = med(&self.ingest.iter().map(|r| r.seconds).collect::<Vec<_>>());
        let rss = med(&self
            .ingest
            .iter()
            .map(|r| r.peak_rss_bytes as f64)
            .collect::<Vec<_>>());
        let n = self.ingest.len();
        t.alone(
            format!("ingest: records/s (`strata ingest`, fsync + index; median of {n})"),
            format!(
                "{} records/s",
                fmt_int((self.records as f64 / seconds) as u64)
            ),
        );
        t.alone(
            "ingest: MB/s of NDJSON",
            format!("{} MB/s", fmt_sig(self.corpus_bytes as f64 / seconds / 1e6)),
        );
        t.alone("ingest: wall time", format!("{} s", fmt_sig(seconds)));
        t.alone(
            format!("ingest: peak RSS (median of {n})"),
            fmt_mb(rss as u64),
        );
    }

    fn storage_rows(&self, t: &mut Table) {
        let s = &self.storage;
        let r = self.records;
        t.alone(
            format!("storage: Parquet ({} segments)", s.segments),
            bytes_per_record(s.parquet_bytes, r).text,
        );
        t.alone(
            "storage: full-text index",
            bytes_per_record(s.index_bytes, r).text,
        );
        let both = bytes_per_record(s.parquet_bytes + s.index_bytes, r);
        let figure = "storage: Parquet + index";
        t.versus(
            figure,
            &both,
            "raw NDJSON",
            &Ok(bytes_per_record(self.corpus_bytes, r)),
            Better::Lower,
            SMALLER,
            &[],
        );
        for (label, size) in &self.compressed {
            let value: PeerValue = size.clone().map(|b| bytes_per_record(b, r));
            t.versus(
                figure,
                &both,
                &format!("NDJSON, `{label}`"),
                &value,
                Better::Lower,
                SMALLER,
                &[],
            );
        }
        let duck: PeerValue = self
            .duckdb
            .as_ref()
            .map(|d| bytes_per_record(d.parquet_bytes, r))
            .map_err(Clone::clone);
        t.versus(
            figure,
            &both,
            "DuckDB Parquet (zstd)",
            &duck,
            Better::Lower,
            SMALLER,
            &[],
        );
        t.alone(
            "storage: whole data dir (segments, manifest, templates, WAL)",
            bytes_per_record(s.data_dir_bytes, r).text,
        );
    }

    fn peer_searches(&self) -> [(&'static str, Result<&[SearchTimes], String>); 2] {
        [
            ("ripgrep", self.ripgrep.as_deref().map_err(Clone::clone)),
            (
                "DuckDB",
                self.duckdb
                    .as_ref()
                    .map(|d| d.searches.as_slice())
                    .map_err(Clone::clone),
            ),
        ]
    }

    fn search_rows(&self, t: &mut Table) {
        let peers = self.peer_searches();
        for (i, q) in self.queries.iter().enumerate() {
            let strata = &self.strata_search[i];
            for (mode, pick) in [
                (
                    "warm",
                    (|s: &SearchTimes| s.warm_ms.clone()) as fn(&SearchTimes) -> Vec<f64>,
                ),
                ("cold", |s: &SearchTimes| s.cold_ms.clone()),
            ] {
                let figure = format!("search {mode} p50 / p99: {}", q.label());
                for (name, times) in &peers {
                    let value: PeerValue = times.clone().map(|ts| p50_p99(&pick(&ts[i])));
                    t.versus(
                        &figure,
                        &p50_p99(&pick(strata)),
                        name,
                        &value,
                        Better::Lower,
                        FASTER,
                        &["p50", "p99"],
                    );
                }
            }
            let found =
                |s: &SearchTimes| format!("{} matches, {} returned", fmt_int(s.matches), s.rows);
            let strata_ok = strata.matches == q.corpus_matches && strata.rows == q.expected_rows();
            let strata_cell = format!("{} (corpus: {})", found(strata), fmt_int(q.corpus_matches));
            let figure = format!("matches: {}", q.label());
            for (name, times) in &peers {
                match times {
                    Ok(ts) => {
                        let p = &ts[i];
                        let same = p.matches == strata.matches && p.rows == strata.rows;
                        let note = if same && strata_ok {
                            "same"
                        } else {
                            "⚠ WARNING: counts differ"
                        };
                        t.note(&figure, &strata_cell, name, &found(p), note);
                    }
                    Err(e) => t.note(&figure, &strata_cell, name, &format!("skipped: {e}"), ""),
                }
            }
            if !strata_ok {
                t.note(
                    &format!(
                        "⚠ WARNING: Strata's count differs from the corpus: {}",
                        q.label()
                    ),
                    &found(strata),
                    "corpus",
                    &format!(
                        "{} ({} expected)",
                        fmt_int(q.corpus_matches),
                        q.expected_rows()
                    ),
                    "",
                );
            }
        }
    }

    fn sql_rows(&self, t: &mut Table) {
        let duck = self.duckdb.as_ref().map(|d| d.sql.as_slice());
        for (i, q) in QUERIES.iter().enumerate() {
            let s = &self.strata_sql[i];
            let cell = |x: &SqlTimes| {
                let m = med(&x.ms);
                Measured::new(
                    format!("{} ms ({} rows)", fmt_sig(m), fmt_int(x.rows)),
                    &[m],
                )
            };
            let value: PeerValue = duck.map(|d| cell(&d[i])).map_err(Clone::clone);
            let figure = format!(
                "SQL (warm, median of {}): {}",
                sample_count(self.strata_sql.iter().map(|t| t.ms.len())),
                q.name
            );
            t.versus(
                &figure,
                &cell(s),
                "DuckDB",
                &value,
                Better::Lower,
                FASTER,
                &[],
            );
            if let Ok(d) = duck
                && d[i].rows != s.rows
            {
                t.note(
                    &format!("⚠ WARNING: result rows differ: {}", q.name),
                    &fmt_int(s.rows),
                    "DuckDB",
                    &fmt_int(d[i].rows),
                    "",
                );
            }
        }
    }

    fn mining_rows(&self, t: &mut Table) {
        let m = &self.strata_mining;
        let n = self.runs;
        let rate = |samples: &[f64]| {
            let x = med(samples);
            Measured::new(format!("{} msg/s", fmt_int(x as u64)), &[x])
        };
        let drain3 = self.drain3.as_ref().map_err(Clone::clone);
        for (what, strata, peer) in [
            (
                "learn",
                &m.learn_per_sec,
                drain3.clone().map(|d| rate(&d.learn_per_sec)),
            ),
            (
                "match",
                &m.match_per_sec,
                drain3.clone().map(|d| rate(&d.match_per_sec)),
            ),
        ] {
            t.versus(
                &format!("pattern mining: {what} (one miner, all messages; median of {n})"),
                &rate(strata),
                "Drain3",
                &peer,
                Better::Higher,
                FASTER,
                &[],
            );
        }
        let drain3_templates = match &drain3 {
            Ok(d) => fmt_int(d.templates as u64),
            Err(e) => format!("skipped: {e}"),
        };
        t.note(
            "pattern mining: templates found",
            &fmt_int(m.templates as u64),
            "Drain3",
            &drain3_templates,
            "",
        );
    }

    /// The whole Markdown section: header, table, definitions, queries.
    pub fn section(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let duck_version = match &self.duckdb {
            Ok(d) => d.version.clone(),
            Err(e) => format!("skipped ({e})"),
        };
        let _ = write!(
            out,
            "## Macro benchmark: `strata-bench run`\n\n\
             Written by `strata-bench run`, which replaces this section on its next run.\n\n\
             - command: `{}`\n\
             - date: {}\n\
             - machine: {} cores (nproc), {} memory, {}, {}\n\
             - build: {}\n\
             - corpus: {} generated records (seed {}), {} of NDJSON\n\
             - peers: ripgrep {}; DuckDB {} (Python); Drain3 {} (Python); gzip {}; zstd {}\n\
             - samples (as measured): ingest ×{}; search warm ×{} (Strata) and {}, cold ×{}, per query; SQL ×{}; mining ×{}\n",
            self.command,
            self.date,
            m.cores,
            m.memory,
            m.cpu,
            m.kernel,
            m.build,
            fmt_int(self.records as u64),
            self.seed,
            fmt_mb(self.corpus_bytes),
            version(&self.peers.ripgrep),
            duck_version,
            version(&self.peers.drain3),
            version(&self.peers.gzip),
            version(&self.peers.zstd),
            self.ingest.len(),
            sample_count(self.strata_search.iter().map(|t| t.warm_ms.len())),
            self.peer_warm_count(),
            sample_count(self.strata_search.iter().map(|t| t.cold_ms.len())),
            sample_count(self.strata_sql.iter().map(|t| t.ms.len())),
            self.runs,
        );
        if let Some(note) = &self.peers.install_note {
            let _ = writeln!(out, "- peers install: {note}");
        }
        out.push('\n');
        out.push_str(&self.table().to_markdown());
        out.push('\n');
        out.push_str(DEFINITIONS);
        out.push('\n');
        out.push_str(&self.queries_table());
        out
    }

    fn queries_table(&self) -> String {
        let mut out = format!(
            "Search queries (each returns the newest {LIMIT} matches; \
             matches are counted by a separate, untimed query):\n\n\
             | query | Strata (`search()`; count) | ripgrep (count: `-c`) | DuckDB (count: `count(*)`) |\n\
             |---|---|---|---|\n"
        );
        for q in &self.queries {
            let p = q.strata_params();
            let mut strata = format!("`{}`", p.query);
            if let Some(a) = &p.agent_id {
                let _ = write!(strata, ", agent_id `{a}`");
            }
            if let SearchKind::TermInHour { hour, .. } = &q.kind {
                let _ = write!(strata, ", {hour}:00 ≤ timestamp < +1 h");
            }
            let _ = writeln!(
                out,
                "| {} | {strata}, limit {LIMIT}, newest first; `{}` | `{}` | `{}` |",
                q.label(),
                q.strata_count_sql(),
                q.rg_command().replace('|', "\\|"),
                q.duckdb_sql()
            );
        }
        out.push_str("\nSQL queries (DuckDB's over the view `logs` of its Parquet):\n\n| query | Strata | DuckDB |\n|---|---|---|\n");
        for q in QUERIES {
            let name = match q.note {
                Some(n) => format!("{} ({n})", q.name),
                None => q.name.to_string(),
            };
            let _ = writeln!(out, "| {name} | `{}` | `{}` |", q.strata, q.duckdb);
        }
        out
    }
}

const DEFINITIONS: &str = "\
How each figure is measured:

- **Ingest**: the real `strata ingest --data-dir DIR CORPUS` as a child
  process, into an empty data dir each run, timed from spawn to exit (WAL
  fsync per batch, Parquet + full-text index written at close). MB/s counts
  the NDJSON bytes. Peak RSS is the child's `VmHWM` polled every 5 ms.
- **Storage**: Strata's Parquet and index bytes as the manifest records them
  after the last ingest run; the whole data dir (every file, including WAL,
  manifest and template dictionary) in the last storage row. Peers: the corpus NDJSON as is,
  through `gzip -6`, `zstd -3` and `zstd -19 -T0` (all cores), and DuckDB's
  own Parquet of the same rows (`read_json` with the schema inferred from all
  records — nested STRUCTs, `attributes` as a MAP — written with
  `COMPRESSION zstd`).
- **Search**: p50 and p99 by nearest rank (with few samples p99 is the
  slowest). Strata's warm samples are `--strata-warm-samples` (100 by
  default), each peer's 10 per `--runs`: a ripgrep or DuckDB sample over
  10M records takes up to ~11 s. The slowest of n samples sits near the
  n/(n+1) quantile, so a p99 from fewer samples is if anything flattered.
  The systems are measured side by side, query by query, in rounds that
  visit each in turn (cold: Strata, ripgrep, DuckDB per run; warm: one round
  per peer sample, each a block of Strata's samples spread evenly, then one
  of ripgrep's and one of DuckDB's), so that a shared machine's slow minutes
  fall on all of them. *Warm*: same engine / connection; every system's
  block of timed samples starts right after an untimed run of the same
  query on it (the others' samples in between go through the caches); files
  in the OS page cache. *Cold*: the system's files dropped from
  the OS page cache (`posix_fadvise(DONTNEED)`) before each sample, and for
  Strata a freshly opened engine (empty index cache) and for DuckDB a new
  in-memory database, opening not timed; every ripgrep sample is a new
  process either way. Strata runs in process (`strata_query::search`, what
  `strata search` and the gRPC Search call run); DuckDB through its Python
  API (`execute` + `fetchall`), one process answering one command at a time;
  ripgrep from spawn until its output is read.
  Terms were picked from the corpus so that Strata's token match, DuckDB's
  `ILIKE` on the message and ripgrep's case-insensitive fixed string over
  the whole line match the same records; the match rows check it.
- **SQL**: warm, median of `--sql-samples` (5 by default), Strata's and
  DuckDB's runs alternating, each right after an untimed run of the query
  on the same system; plan + run + collect. DuckDB runs on its Parquet.
- **Pattern mining**: one miner with its default configuration learning
  every message of the corpus in order from empty (learn), then matching
  every message (match); Strata's `TemplateMiner` in process, Drain3 in
  Python. Strata mines per (workspace, service) at ingest; here one miner
  sees everything, as Drain3 does.
";

#[cfg(test)]
mod tests {
    use super::sample_count;

    #[test]
    fn sample_counts_name_the_range_when_queries_differ() {
        assert_eq!(sample_count([100, 100, 100].into_iter()), "100");
        assert_eq!(sample_count([100, 99, 100].into_iter()), "99–100");
        assert_eq!(sample_count(std::iter::empty()), "0");
    }
}
