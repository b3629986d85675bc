//! `strata-bench run`: the macro benchmark, Strata next to its peers on one
//! generated corpus, in one invocation.
//!
//! ```text
//! corpus (gen, reused) ─> query set picked from it (corpus_scan)
//!   │
//!   ├─> strata ingest ×runs (child process) ─> data dir ─> storage
//!   ├─> gzip / zstd sizes                            (raw NDJSON)
//!   ├─> searches and SQL, sample by sample side by side (side_by_side):
//!   │     Strata in process, ripgrep over the raw NDJSON,
//!   │     DuckDB over its Parquet               (benches/peers/duckdb_bench.py)
//!   └─> messages ─> Strata's miner, Drain3           (benches/peers/drain3_corpus.py)
//!                        │
//!                        v
//!        Markdown table ─> stdout and BENCHMARKS.md (between markers)
//! ```

mod corpus;
mod corpus_scan;
mod ingest;
mod machine;
mod markdown;
pub(crate) mod page_cache;
mod patterns;
mod peers;
mod python_peers;
mod query_set;
mod report;
mod results;
mod ripgrep;
pub(crate) mod search;
mod side_by_side;
mod sql;
pub(crate) mod stats;
mod storage;

use std::path::PathBuf;

use corpus::Corpus;
use peers::Peers;
use python_peers::DuckDb;
use results::Results;
use side_by_side::{DuckDbSide, RipgrepSide, Samples};

/// Warm search samples of each peer per run: a ripgrep or DuckDB sample
/// over 10M records takes up to ~11 s, so peers get fewer than Strata.
const PEER_WARM_SAMPLES_PER_RUN: usize = 10;

/// Flags of `strata-bench run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Records of the generated corpus.
    #[arg(long, default_value_t = 1_000_000)]
    pub records: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Repetitions: ingest runs, cold search samples and mining runs
    /// (medians reported); the peers' warm search samples are 10 per run.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Strata's warm samples per search query (its p99 is the 99th of
    /// them by nearest rank; with 10 it would be the slowest).
    #[arg(long, default_value_t = 100)]
    pub strata_warm_samples: usize,
    /// Timed runs of each SQL query, Strata's and DuckDB's (median reported).
    #[arg(long, default_value_t = 5)]
    pub sql_samples: usize,
    /// Directory of the corpus (reused when present) and the data dir.
    #[arg(long, default_value = "target/bench-run")]
    pub work_dir: PathBuf,
    /// Measure Strata alone (no install, no ripgrep, DuckDB, Drain3, gzip, zstd).
    #[arg(long)]
    pub skip_peers: bool,
    /// Markdown file whose marked section receives the results.
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub md: PathBuf,
}

/// Runs the benchmark and writes the results.
pub async fn run(args: RunArgs) -> Result<(), String> {
    if args.records == 0 || args.runs == 0 || args.strata_warm_samples == 0 || args.sql_samples == 0
    {
        return Err(
            "--records, --runs, --strata-warm-samples and --sql-samples must be at least 1".into(),
        );
    }
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    std::fs::create_dir_all(&args.work_dir)
        .map_err(|e| format!("{}: {e}", args.work_dir.display()))?;
    let work_dir = args
        .work_dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", args.work_dir.display()))?;
    let strata = ingest::strata_binary()?;
    let corpus = Corpus::new(&work_dir, args.records, args.seed);
    let corpus_bytes = corpus.ensure_ndjson()?;
    let queries = corpus_scan::query_set(&corpus)?;
    let peers = if args.skip_peers {
        Peers::skipped("--skip-peers")
    } else {
        Peers::install_and_find()
    };

    let mut ingest_runs = Vec::new();
    for i in 1..=args.runs {
        eprintln!("ingest run {i}/{}", args.runs);
        ingest_runs.push(ingest::ingest_once(
            &strata,
            &corpus.ndjson,
            &corpus.data_dir,
            args.records,
            &work_dir.join("ingest.log"),
        )?);
    }
    let storage = storage::strata_storage(&corpus.data_dir).await?;
    if storage.rows != args.records as u64 {
        return Err(format!(
            "the data dir holds {} rows in segments, expected {}",
            storage.rows, args.records
        ));
    }
    let compressed = if args.skip_peers {
        storage::COMPRESSORS
            .iter()
            .map(|(label, _, _)| (label.to_string(), Err("--skip-peers".to_string())))
            .collect()
    } else {
        let find = |program: &str| {
            let peer = match program {
                "gzip" => &peers.gzip,
                _ => &peers.zstd,
            };
            peer.as_ref().ok().map(|f| f.path.clone())
        };
        storage::compressed_sizes(&corpus.ndjson, &corpus.compressed, find)?
    };

    let mut duck = peers.duckdb.clone().and_then(|py| {
        eprintln!("DuckDB: starting (writes its Parquet of the corpus once)");
        DuckDb::start(&py.path, &corpus).map(|d| DuckDbSide::new(d, queries.len()))
    });
    let rg_path = peers.ripgrep.clone().map(|rg| rg.path);
    let mut rg = rg_path
        .as_ref()
        .map_err(Clone::clone)
        .map(|path| RipgrepSide {
            rg: path,
            file: &corpus.ndjson,
            times: vec![search::SearchTimes::default(); queries.len()],
        });
    let samples = Samples {
        cold: args.runs,
        strata_warm: args.strata_warm_samples,
        peer_warm: PEER_WARM_SAMPLES_PER_RUN * args.runs,
        sql: args.sql_samples,
    };
    let strata =
        side_by_side::measure(&corpus.data_dir, &queries, samples, &mut rg, &mut duck).await?;
    let ripgrep = rg.map(|r| r.times);
    let duckdb = duck.map(DuckDbSide::results);

    eprintln!("pattern mining");
    let messages = patterns::read_messages(&corpus.messages)?;
    let strata_mining = patterns::strata(&messages, args.runs);
    drop(messages);
    let drain3 = peers
        .drain3
        .clone()
        .and_then(|py| python_peers::drain3(&py.path, &corpus.messages, args.runs));

    let results = Results {
        command,
        date,
        machine: machine::Machine::describe(),
        records: args.records,
        seed: args.seed,
        runs: args.runs,
        corpus_bytes,
        peers,
        ingest: ingest_runs,
        storage,
        compressed,
        queries,
        strata_search: strata.searches,
        ripgrep,
        duckdb,
        strata_sql: strata.sql,
        strata_mining,
        drain3,
    };
    let section = results.section();
    println!("{section}");
    markdown::write_section(&args.md, &section)?;
    eprintln!("wrote the results into {}", args.md.display());
    Ok(())
}
