//! `strata search`: full-text search, newest first.

use std::process::ExitCode;

use std::io::Write;

use arrow::array::RecordBatch;
use strata_engine::StructuredLog;
use strata_engine::batch::records_to_batch;
use strata_engine::sample::to_ndjson_line;
use strata_proto::v1::SearchRequest;
use strata_query::format::{OutputFormat, write_batches};
use strata_query::search::{SearchParams, search};
use strata_query::{QueryConfig, session};
use strata_server::client::{Client, to_records};

use super::open_engine;
use crate::cli::SearchArgs;
use strata_server::config::ServerConfig;
use strata_server::error::{Error, Result};

/// The columns `--format table` shows.
const TABLE_COLUMNS: [&str; 5] = ["timestamp", "log_level", "agent_id", "service", "message"];

/// `batch`'s columns that `--format table` shows.
fn table_view(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    let columns = TABLE_COLUMNS.map(|name| schema.index_of(name));
    let columns = columns.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(batch.project(&columns)?)
}

/// Parses "30s", "15m", "1h", "7d" into microseconds.
pub fn parse_duration(text: &str) -> Result<i64> {
    strata_server::grpc::parse_duration(text).map_err(Error::Usage)
}

fn parse_time(text: &str, flag: &str) -> Result<i64> {
    strata_engine::ndjson::parse_timestamp_text(text)
        .map_err(|e| Error::Usage(format!("--{flag}: {e}")))
}

/// The search parameters of the command line.
pub fn params(args: &SearchArgs) -> Result<SearchParams> {
    let mut p = SearchParams {
        query: args.query.clone(),
        agent_id: args.agent.clone(),
        workspace_id: args.workspace.clone(),
        limit: args.limit,
        ..SearchParams::default()
    };
    if let Some(since) = &args.since {
        p.start_us = Some(chrono::Utc::now().timestamp_micros() - parse_duration(since)?);
    }
    if let Some(from) = &args.from {
        p.start_us = Some(parse_time(from, "from")?);
    }
    if let Some(to) = &args.to {
        p.end_us = Some(parse_time(to, "to")?);
    }
    Ok(p)
}

/// Prints records: `ndjson` in the wire shape, otherwise as a table of
/// timestamp, level, agent, service and message (`header` for a full table).
pub fn print_records(records: &[StructuredLog], ndjson: bool, header: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if ndjson {
        for r in records {
            writeln!(out, "{}", to_ndjson_line(r)).map_err(|source| Error::Io {
                what: "stdout".into(),
                source,
            })?;
        }
        return Ok(());
    }
    if header {
        let batch = table_view(&records_to_batch(records)?)?;
        write_batches(&mut out, &[batch], OutputFormat::Table)?;
        return Ok(());
    }
    for r in records {
        let ts = chrono::DateTime::from_timestamp_micros(r.timestamp_us)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default();
        writeln!(
            out,
            "{ts} {:5} {} {} {}",
            r.log_level.as_str(),
            r.agent_id,
            r.service.as_deref().unwrap_or("-"),
            r.message
        )
        .map_err(|source| Error::Io {
            what: "stdout".into(),
            source,
        })?;
    }
    Ok(())
}

async fn run_remote(url: &str, args: &SearchArgs, format: OutputFormat) -> Result<ExitCode> {
    let p = params(args)?;
    let mut client = Client::connect(url).await?;
    let resp = client
        .search(SearchRequest {
            query: p.query,
            agent_id: p.agent_id,
            workspace_id: p.workspace_id,
            timeframe: None,
            start_us: p.start_us,
            end_us: p.end_us,
            limit: Some(p.limit as u32),
            order: 0,
        })
        .await?;
    let records = to_records(resp.records);
    match format {
        OutputFormat::Table => print_records(&records, false, true)?,
        OutputFormat::Ndjson | OutputFormat::Json => print_records(&records, true, false)?,
        OutputFormat::Csv => {
            let batch = records_to_batch(&records)?;
            write_batches(&mut std::io::stdout().lock(), &[batch], OutputFormat::Csv)?;
        }
    }
    eprintln!(
        "{} record(s) in {:.1} ms (segments scanned {}, pruned {}, rows matched {})",
        records.len(),
        resp.took_ms,
        resp.segments_scanned,
        resp.segments_pruned,
        resp.rows_matched
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn run(cfg: ServerConfig, args: SearchArgs) -> Result<ExitCode> {
    let format: OutputFormat = args.format.parse().map_err(Error::Usage)?;
    if let Some(url) = &args.server {
        return run_remote(url, &args, format).await;
    }
    let engine = open_engine(&cfg).await?;
    let ctx = session(&engine, &QueryConfig::default())?;
    let result = async {
        let mut batches = search(&ctx, &params(&args)?).await?.batches;
        if format == OutputFormat::Table {
            batches = batches.iter().map(table_view).collect::<Result<_>>()?;
        }
        let mut out = std::io::stdout().lock();
        write_batches(&mut out, &batches, format)?;
        Ok::<_, Error>(())
    }
    .await;
    engine.close().await?;
    result.map(|()| ExitCode::SUCCESS)
}
