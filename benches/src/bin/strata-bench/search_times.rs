//! `strata-bench search-times DIR`: warm latency of searches and SQL
//! queries over an existing data directory, in process, for profiling one
//! query (`perf record` around many samples) or comparing two data
//! directories side by side.

use std::path::PathBuf;
use std::time::Instant;

use strata_query::search::{SearchParams, search};

use crate::run::search::open_reader;
use crate::run::stats::percentile;

#[derive(clap::Args)]
pub struct SearchTimesArgs {
    /// A Strata data directory (opened read-only: no flushes, no compaction).
    pub dir: PathBuf,
    /// A search (the `search()` syntax), newest 100 first; repeatable.
    #[arg(long = "query")]
    pub queries: Vec<String>,
    /// An SQL query over `logs`; repeatable.
    #[arg(long)]
    pub sql: Vec<String>,
    /// Timed samples per query, after one untimed run.
    #[arg(long, default_value_t = 30)]
    pub samples: usize,
}

pub async fn run(args: SearchTimesArgs) -> Result<(), String> {
    if args.samples == 0 {
        return Err("--samples must be at least 1".into());
    }
    if args.queries.is_empty() && args.sql.is_empty() {
        return Err("give at least one --query or --sql".into());
    }
    let (engine, ctx) = open_reader(&args.dir).await?;
    println!("| query | rows | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    for q in &args.queries {
        let params = SearchParams {
            query: q.clone(),
            limit: strata_query::search::DEFAULT_LIMIT,
            ..SearchParams::default()
        };
        let mut rows = 0;
        let mut times = Vec::with_capacity(args.samples);
        for i in 0..=args.samples {
            let start = Instant::now();
            let result = search(&ctx, &params)
                .await
                .map_err(|e| format!("search {q:?}: {e}"))?;
            let ms = start.elapsed().as_secs_f64() * 1e3;
            rows = result.batches.iter().map(|b| b.num_rows()).sum::<usize>();
            if i > 0 {
                times.push(ms);
            }
        }
        print_row(&format!("search `{q}`"), rows, &times);
    }
    for sql in &args.sql {
        let mut rows = 0;
        let mut times = Vec::with_capacity(args.samples);
        for i in 0..=args.samples {
            let start = Instant::now();
            let batches = ctx
                .sql(sql)
                .await
                .map_err(|e| format!("{sql}: {e}"))?
                .collect()
                .await
                .map_err(|e| format!("{sql}: {e}"))?;
            let ms = start.elapsed().as_secs_f64() * 1e3;
            rows = batches.iter().map(|b| b.num_rows()).sum::<usize>();
            if i > 0 {
                times.push(ms);
            }
        }
        print_row(&format!("`{sql}`"), rows, &times);
    }
    drop(ctx);
    engine.close().await.map_err(|e| e.to_string())
}

fn print_row(label: &str, rows: usize, times: &[f64]) {
    let p = |q: f64| percentile(times, q).unwrap_or(f64::NAN);
    println!(
        "| {label} | {rows} | {:.2} | {:.2} | {:.2} |",
        p(0.5),
        p(0.99),
        p(1.0)
    );
}
