//! `strata-bench`: macro benchmarks of Strata.
//!
//! `strata-bench grpc [--records N] [--clients 1,4]`: ingest throughput over
//! gRPC (typed Ingest calls of 1,000 records, fsync and index included) with
//! each client count, then Search latency p50/p99 over the whole corpus.

#![allow(clippy::print_stdout)]

mod data_files;
mod generate;
mod index_usage;
mod parquet_usage;
mod search_times;

use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use prost::Message;
use strata_engine::sample::{SampleConfig, SampleGenerator};
use strata_engine::{Engine, EngineConfig, StructuredLog};
use strata_proto::v1::log_service_client::LogServiceClient;
use strata_proto::v1::{IngestRequest, LogRecords, SearchRequest, ingest_request};
use strata_server::config::ServerConfig;
use strata_server::grpc::{record_to_proto, serve};

mod run;

/// The same allocator as the `strata` binary (serving the C libraries'
/// `malloc` too), so in-process servers measure what `strata serve` does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "strata-bench", about = "Macro benchmarks of Strata")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Pattern queries (SQL table functions) over a stored corpus.
    PatternQueries {
        /// Records stored before querying.
        #[arg(long, default_value_t = 1_000_000)]
        records: usize,
        /// Runs per query (median reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Template-mining accuracy (GA, PA) and speed on a Loghub-2k directory.
    Patterns {
        /// Directory holding one folder per dataset (e.g. ../shared/data/loghub-2k).
        dir: std::path::PathBuf,
    },
    /// Write generated agent-platform logs as StructuredLog NDJSON, with
    /// optional injected anomalies and their ground truth.
    Gen(generate::GenArgs),
    /// Bytes of the index bundles under a data directory, per field and
    /// part (term dictionary, postings, ...).
    IndexUsage {
        /// A Strata data directory (or any directory holding `.index` files).
        dir: std::path::PathBuf,
        /// Records stored there, for the bytes-per-record column.
        #[arg(long, default_value_t = 1_000_000)]
        records: u64,
    },
    /// Bytes of the Parquet files under a data directory, per column (from
    /// their footers: column chunks, bloom filters, page indexes).
    ParquetUsage {
        /// A Strata data directory (or any directory holding `.parquet` files).
        dir: std::path::PathBuf,
        /// Records to divide by for the bytes-per-record columns (default:
        /// the rows of the files).
        #[arg(long)]
        records: Option<u64>,
    },
    /// Ingest and search over gRPC against an in-process server.
    Grpc {
        /// Records ingested per client-count run.
        #[arg(long, default_value_t = 1_000_000)]
        records: usize,
        /// Client counts to run, comma separated.
        #[arg(long, default_value = "1,4", value_delimiter = ',')]
        clients: Vec<usize>,
        /// Searches per query for the latency figures.
        #[arg(long, default_value_t = 100)]
        searches: usize,
    },
    /// The macro benchmark: ingest, storage, search, SQL and pattern mining
    /// on a generated corpus, next to ripgrep, DuckDB, gzip/zstd and Drain3;
    /// writes a table into BENCHMARKS.md.
    Run(run::RunArgs),
    /// Latency (p50/p99/max) of searches and SQL queries over an existing
    /// data directory, warm or (`--cold`) with a fresh engine and page
    /// cache per search.
    SearchTimes(search_times::SearchTimesArgs),
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn start_server(dir: &std::path::Path) -> (String, Engine) {
    let cfg = ServerConfig {
        data_dir: dir.to_path_buf(),
        engine: EngineConfig::new(dir),
        ..ServerConfig::default()
    };
    let engine = Engine::open(cfg.engine.clone()).await.expect("engine");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let e = engine.clone();
    tokio::spawn(async move {
        serve(e, &cfg, listener, std::future::pending())
            .await
            .expect("serve");
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    (url, engine)
}

async fn grpc(records: usize, clients: Vec<usize>, searches: usize) {
    println!("| figure | value |\n|---|---|");
    let mut last_dir = None;
    for &n_clients in &clients {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, engine) = start_server(dir.path()).await;
        // pre-build requests so generation is not measured
        let mut generator = SampleGenerator::new(SampleConfig {
            total: records,
            ..SampleConfig::default()
        });
        let mut requests: Vec<Vec<IngestRequest>> = vec![Vec::new(); n_clients];
        let mut bytes = 0usize;
        let mut made = 0;
        let mut i = 0;
        while made < records {
            let batch: Vec<StructuredLog> = generator.generate(1000.min(records - made));
            made += batch.len();
            let req = IngestRequest {
                payload: Some(ingest_request::Payload::Records(LogRecords {
                    records: batch.iter().map(record_to_proto).collect(),
                })),
            };
            bytes += req.encoded_len();
            requests[i % n_clients].push(req);
            i += 1;
        }
        let start = Instant::now();
        let mut tasks = Vec::new();
        for reqs in requests {
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                let mut c = LogServiceClient::connect(url).await.expect("connect");
                for r in reqs {
                    c.ingest(r).await.expect("ingest");
                }
            }));
        }
        for t in tasks {
            t.await.expect("client");
        }
        let ingest = start.elapsed().as_secs_f64();
        engine.flush().await.expect("flush");
        let total = start.elapsed().as_secs_f64();
        println!(
            "| gRPC ingest, {n_clients} client(s), {records} records: acknowledged (durable) | {:.0} records/s, {:.1} MB/s |",
            records as f64 / ingest,
            bytes as f64 / ingest / 1e6
        );
        println!(
            "| ... including the final flush to Parquet + index | {:.0} records/s |",
            records as f64 / total
        );
        last_dir = Some((dir, url, engine));
    }
    let Some((_dir, url, _engine)) = last_dir else {
        return;
    };
    let mut c = LogServiceClient::connect(url)
        .await
        .expect("connect")
        .max_decoding_message_size(usize::MAX);
    let queries = [
        ("rare term", "refused"),
        ("common term", "completed"),
        ("phrase", "\"connection refused\""),
        ("boolean", "cache AND NOT miss"),
        ("prefix", "retriev*"),
    ];
    for (name, q) in queries {
        let mut times = Vec::with_capacity(searches);
        for _ in 0..searches {
            let start = Instant::now();
            c.search(SearchRequest {
                query: q.into(),
                limit: Some(100),
                ..Default::default()
            })
            .await
            .expect("search");
            times.push(start.elapsed());
        }
        times.sort();
        println!(
            "| Search `{q}` ({name}, limit 100) over {records} records | p50 {:.1} ms, p99 {:.1} ms |",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
}

fn patterns(dir: &std::path::Path) -> Result<(), String> {
    use strata_engine::template::eval::evaluate_dataset;
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    println!("| dataset | GA | PA | templates found / expected | learn msg/s | match msg/s |");
    println!("|---|---|---|---|---|---|");
    let (mut ga, mut n) = (0.0, 0.0);
    for name in names {
        let s = evaluate_dataset(dir, &name)?;
        println!(
            "| {name} | {:.3} | {:.3} | {} / {} | {:.0} | {:.0} |",
            s.grouping_accuracy,
            s.parsing_accuracy,
            s.templates_found,
            s.templates_expected,
            s.add_per_sec,
            s.match_per_sec
        );
        ga += s.grouping_accuracy;
        n += 1.0;
    }
    if n > 0.0 {
        println!("| average | {:.4} | | | | |", ga / n);
    }
    Ok(())
}

async fn pattern_queries(records: usize, runs: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(EngineConfig::new(dir.path()))
        .await
        .expect("engine");
    let mut generator = SampleGenerator::new(SampleConfig {
        total: records,
        ..SampleConfig::default()
    });
    let start = Instant::now();
    let mut left = records;
    while left > 0 {
        let n = left.min(8192);
        engine
            .ingest_waiting(&generator.generate(n))
            .await
            .expect("ingest");
        left -= n;
    }
    engine.flush().await.expect("flush");
    println!(
        "stored {records} records in {:.1} s (templates mined at ingest)\n",
        start.elapsed().as_secs_f64()
    );
    let ctx =
        strata_query::session(&engine, &strata_query::QueryConfig::default()).expect("session");
    println!("| query over {records} records | median of {runs} | rows |\n|---|---|---|");
    for q in [
        "SELECT * FROM message_patterns(NULL, NULL, 0.01)",
        "SELECT * FROM error_patterns(NULL, NULL, 0.01)",
        "SELECT * FROM sequence_patterns(NULL, NULL, 0.05, 5)",
        "SELECT * FROM temporal_patterns(NULL, NULL)",
        "SELECT * FROM hourly_profile(NULL, NULL)",
        "SELECT template_id, count(*) FROM logs GROUP BY template_id ORDER BY 2 DESC LIMIT 20",
    ] {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let batches = ctx
                .sql(q)
                .await
                .expect("plan")
                .collect()
                .await
                .expect("run");
            times.push(t.elapsed());
            rows = batches.iter().map(|b| b.num_rows()).sum::<usize>();
        }
        times.sort();
        println!("| `{q}` | {:.0} ms | {rows} |", percentile(&times, 0.5));
    }
}

#[tokio::main]
async fn main() {
    match Cli::parse().command {
        Cmd::PatternQueries { records, runs } => pattern_queries(records, runs).await,
        Cmd::Patterns { dir } => {
            if let Err(e) = patterns(&dir) {
                eprintln!("strata-bench patterns: {e}");
                std::process::exit(1);
            }
        }
        Cmd::IndexUsage { dir, records } => {
            if let Err(e) = index_usage::run(&dir, records) {
                eprintln!("strata-bench index-usage: {e}");
                std::process::exit(1);
            }
        }
        Cmd::ParquetUsage { dir, records } => {
            if let Err(e) = parquet_usage::run(&dir, records) {
                eprintln!("strata-bench parquet-usage: {e}");
                std::process::exit(1);
            }
        }
        Cmd::Gen(args) => {
            if let Err(e) = generate::run(args) {
                eprintln!("strata-bench gen: {e}");
                std::process::exit(1);
            }
        }
        Cmd::Grpc {
            records,
            clients,
            searches,
        } => grpc(records, clients, searches).await,
        Cmd::SearchTimes(args) => {
            if let Err(e) = search_times::run(args).await {
                eprintln!("strata-bench search-times: {e}");
                std::process::exit(1);
            }
        }
        Cmd::Run(args) => {
            if let Err(e) = run::run(args).await {
                eprintln!("strata-bench run: {e}");
                std::process::exit(1);
            }
        }
    }
}
