//! `strata demo`: sample data in, a search and an aggregate out.

use std::process::ExitCode;
use std::time::Instant;

use strata_query::format::{OutputFormat, write_batches};
use strata_query::{QueryConfig, session, shell};

use super::open_engine;
use strata_server::config::ServerConfig;
use strata_server::error::Result;

const SEARCH: &str = "SELECT timestamp, agent_id, service, message FROM logs \
     WHERE search(message, 'timeout OR \"connection refused\"') \
     ORDER BY timestamp DESC LIMIT 5";

const AGGREGATE: &str = "SELECT service, \
     count(*) AS records, \
     sum(CASE WHEN log_level IN ('error', 'fatal') THEN 1 ELSE 0 END) AS errors, \
     round(approx_percentile_cont(duration_ms, 0.99), 1) AS p99_ms \
     FROM logs GROUP BY service ORDER BY records DESC";

pub async fn run(cfg: ServerConfig, records: usize) -> Result<ExitCode> {
    let engine = open_engine(&cfg).await?;
    let before = engine.stats()?;
    if before.segment_rows + before.memtable_rows == 0 {
        println!("Generating and ingesting {records} sample agent-platform records ...");
    }
    let start = Instant::now();
    if super::serve::load_demo(&engine, records).await? {
        let secs = start.elapsed().as_secs_f64();
        println!(
            "Ingested {records} records in {secs:.2}s ({:.0} records/s, durable and indexed).\n",
            records as f64 / secs
        );
    } else {
        println!(
            "{} already holds {} records; showing them.\n",
            cfg.data_dir.display(),
            before.segment_rows + before.memtable_rows
        );
    }
    let ctx = session(&engine, &QueryConfig::default())?;
    let mut out = std::io::stdout().lock();
    for (title, sql) in [("Full-text search", SEARCH), ("SQL aggregate", AGGREGATE)] {
        println!("{title}:\n  {sql}");
        let start = Instant::now();
        let batches = shell::run_statement(&ctx, sql).await?;
        write_batches(&mut out, &batches, OutputFormat::Table)?;
        println!("({:.1} ms)\n", start.elapsed().as_secs_f64() * 1000.0);
    }
    let s = engine.stats()?;
    println!(
        "Data lives in {}: {} segment(s) under {}/segments (Parquet {} bytes, full-text index {} bytes), \
         write-ahead log in {}/wal.",
        cfg.data_dir.display(),
        s.segments,
        cfg.data_dir.display(),
        s.parquet_bytes,
        s.index_bytes,
        cfg.data_dir.display()
    );
    println!(
        "Try: strata sql --data-dir {} -c \"SELECT log_level, count(*) FROM logs GROUP BY 1\"",
        cfg.data_dir.display()
    );
    drop(out);
    engine.close().await?;
    Ok(ExitCode::SUCCESS)
}
