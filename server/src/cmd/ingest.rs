//! `strata ingest`: NDJSON files into the data directory or a server.

use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use strata_engine::{Engine, Error as EngineError, Rejection, ndjson};
use strata_server::client::Client;

use super::open_engine;
use strata_server::config::ServerConfig;
use strata_server::error::{Error, Result};

/// Where records go.
enum Target {
    Local {
        engine: Engine,
        max_record_bytes: usize,
    },
    Remote(Client),
}

impl Target {
    /// Stores one chunk of NDJSON; returns (accepted, rejections with
    /// indexes relative to the chunk) once the accepted ones are durable.
    async fn send(&mut self, chunk: &[u8]) -> Result<(u64, Vec<Rejection>)> {
        match self {
            Target::Local {
                engine,
                max_record_bytes,
            } => {
                let decoded = ndjson::decode_batch(chunk, *max_record_bytes);
                loop {
                    match engine.ingest(&decoded.records).await {
                        Ok(o) => return Ok((o.accepted as u64, decoded.rejections)),
                        Err(EngineError::Overloaded(_)) => {
                            engine.flush().await?;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Target::Remote(client) => {
                let mut backoff = Duration::from_millis(50);
                loop {
                    match client.ingest_ndjson(chunk.to_vec()).await {
                        Ok(r) => {
                            let rejections = r
                                .rejected
                                .into_iter()
                                .map(|x| Rejection {
                                    index: x.index as usize,
                                    reason: x.reason,
                                })
                                .collect();
                            return Ok((r.accepted, rejections));
                        }
                        Err(Error::Rpc(s)) if s.code() == tonic::Code::ResourceExhausted => {
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(2));
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }
}

/// Totals of one ingest run.
#[derive(Debug, Default)]
struct Totals {
    accepted: u64,
    rejected: u64,
}

pub async fn run(
    cfg: ServerConfig,
    files: Vec<PathBuf>,
    checkpoints: bool,
    batch: usize,
    server: Option<String>,
) -> Result<ExitCode> {
    if batch == 0 {
        return Err(Error::Usage("--batch must be at least 1".into()));
    }
    let mut target = match &server {
        Some(url) => Target::Remote(Client::connect(url).await?),
        None => Target::Local {
            engine: open_engine(&cfg).await?,
            max_record_bytes: cfg.engine.max_record_bytes,
        },
    };
    let mut totals = Totals::default();
    let result = ingest_files(&mut target, &files, checkpoints, batch, &mut totals).await;
    if let Target::Local { engine, .. } = &target {
        let closed = engine.close().await;
        result?;
        closed?;
    } else {
        result?;
    }
    println!(
        "accepted {} record(s), rejected {}",
        totals.accepted, totals.rejected
    );
    Ok(if totals.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn ingest_files(
    target: &mut Target,
    files: &[PathBuf],
    checkpoints: bool,
    batch: usize,
    totals: &mut Totals,
) -> Result<()> {
    for path in files {
        let (reader, size): (Box<dyn Read>, Option<u64>) = if path.as_os_str() == "-" {
            (Box::new(std::io::stdin().lock()), None)
        } else {
            let f = std::fs::File::open(path).map_err(|source| Error::Io {
                what: path.display().to_string(),
                source,
            })?;
            let size = f.metadata().ok().map(|m| m.len());
            (Box::new(f), size)
        };
        let bar = progress_bar(size);
        let reader = BufReader::with_capacity(1 << 20, reader);
        ingest_stream(target, path, reader, checkpoints, batch, totals, &bar).await?;
        bar.finish_and_clear();
    }
    Ok(())
}

fn progress_bar(size: Option<u64>) -> ProgressBar {
    match size {
        Some(len) if len > 8 << 20 && std::io::stderr().is_terminal() => {
            let bar = ProgressBar::new(len);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        }
        _ => ProgressBar::hidden(),
    }
}

async fn ingest_stream(
    target: &mut Target,
    path: &Path,
    mut reader: impl BufRead,
    checkpoints: bool,
    batch: usize,
    totals: &mut Totals,
    bar: &ProgressBar,
) -> Result<()> {
    let name = path.display().to_string();
    let mut chunk = Vec::with_capacity(batch * 512);
    let mut lines_in_chunk = 0usize;
    let mut first_line = 0usize; // zero-based line number of the chunk's first line
    loop {
        let before = chunk.len();
        let n = reader
            .read_until(b'\n', &mut chunk)
            .map_err(|source| Error::Io {
                what: name.clone(),
                source,
            })?;
        if n > 0 {
            lines_in_chunk += 1;
            bar.inc((chunk.len() - before) as u64);
        }
        if lines_in_chunk == batch || (n == 0 && lines_in_chunk > 0) {
            let (accepted, rejections) = target.send(&chunk).await?;
            for r in &rejections {
                println!("rejected {name}:{}: {}", first_line + r.index + 1, r.reason);
            }
            totals.rejected += rejections.len() as u64;
            totals.accepted += accepted;
            first_line += lines_in_chunk;
            if checkpoints {
                println!("durable {name} {first_line}");
            }
            chunk.clear();
            lines_in_chunk = 0;
        }
        if n == 0 {
            return Ok(());
        }
    }
}
