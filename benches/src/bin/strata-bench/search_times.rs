//! `strata-bench search-times DIR`: latency of searches and SQL queries
//! over an existing data directory, in process, for profiling one query
//! (`perf record` around many samples) or comparing two data directories
//! or binaries side by side. Warm by default (one engine, after one
//! untimed run); `--cold` opens a fresh engine for every sample and drops
//! the data dir from the OS page cache before timing it, as
//! `strata-bench run` does for its cold figures.

use std::path::PathBuf;
use std::time::Instant;

use strata_query::search::{SearchParams, search};

use crate::run::page_cache;
use crate::run::search::{collect_sql, open_reader};
use crate::run::stats::percentile;

#[derive(clap::Args)]
pub struct SearchTimesArgs {
    /// A Strata data directory (no background flushes or compaction; closing
    /// the engine flushes rows replayed from the WAL, if there are any).
    pub dir: PathBuf,
    /// A search (the `search()` syntax), newest 100 first; repeatable.
    #[arg(long = "query")]
    pub queries: Vec<String>,
    /// An SQL query over `logs`; repeatable.
    #[arg(long)]
    pub sql: Vec<String>,
    /// Timed samples per query (warm: after one untimed run).
    #[arg(long, default_value_t = 30)]
    pub samples: usize,
    /// Cold search samples: a freshly opened engine and an evicted page
    /// cache for each (opening is not timed). SQL queries stay warm.
    #[arg(long)]
    pub cold: bool,
}

pub async fn run(args: SearchTimesArgs) -> Result<(), String> {
    if args.samples == 0 {
        return Err("--samples must be at least 1".into());
    }
    if args.queries.is_empty() && args.sql.is_empty() {
        return Err("give at least one --query or --sql".into());
    }
    // One engine for the warm samples; cold samples open their own (the
    // data dir takes one engine at a time), SQL runs warm after them.
    let mut warm = if args.cold {
        None
    } else {
        Some(open_reader(&args.dir).await?)
    };
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
        // warm: one untimed run first
        let untimed = usize::from(!args.cold);
        for i in 0..args.samples + untimed {
            let fresh = if args.cold {
                let opened = open_reader(&args.dir).await?;
                page_cache::evict(&args.dir)?;
                Some(opened)
            } else {
                None
            };
            let Some((_, ctx)) = fresh.as_ref().or(warm.as_ref()) else {
                return Err("no engine open".into());
            };
            let start = Instant::now();
            let result = search(ctx, &params)
                .await
                .map_err(|e| format!("search {q:?}: {e}"))?;
            let ms = start.elapsed().as_secs_f64() * 1e3;
            rows = result.batches.iter().map(|b| b.num_rows()).sum::<usize>();
            if i >= untimed {
                times.push(ms);
            }
            if let Some((fresh_engine, fresh_ctx)) = fresh {
                drop(fresh_ctx);
                fresh_engine.close().await.map_err(|e| e.to_string())?;
            }
        }
        print_row(&format!("search `{q}`"), rows, &times);
    }
    if warm.is_none() && !args.sql.is_empty() {
        warm = Some(open_reader(&args.dir).await?);
    }
    for sql in &args.sql {
        let Some((_, ctx)) = warm.as_ref() else {
            return Err("no engine open".into());
        };
        let mut rows = 0;
        let mut times = Vec::with_capacity(args.samples);
        for i in 0..=args.samples {
            let start = Instant::now();
            let batches = collect_sql(ctx, sql).await?;
            let ms = start.elapsed().as_secs_f64() * 1e3;
            rows = batches.iter().map(|b| b.num_rows()).sum::<usize>();
            if i > 0 {
                times.push(ms);
            }
        }
        print_row(&format!("`{sql}`"), rows, &times);
    }
    if let Some((engine, ctx)) = warm {
        drop(ctx);
        engine.close().await.map_err(|e| e.to_string())?;
    }
    Ok(())
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
