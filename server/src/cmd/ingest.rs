//! `strata ingest`: NDJSON files into the data directory or a server.

use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use strata_engine::{Engine, Rejection, ndjson};
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
    /// The decoder to run on the reader thread (local ingest decodes there,
    /// a server decodes what it receives).
    fn decoder(&self) -> Option<usize> {
        match self {
            Target::Local {
                max_record_bytes, ..
            } => Some(*max_record_bytes),
            Target::Remote(_) => None,
        }
    }

    /// Stores one chunk of NDJSON; returns (accepted, rejections with
    /// indexes relative to the chunk) once the accepted ones are durable.
    async fn send(&mut self, chunk: Chunk) -> Result<(u64, Vec<Rejection>)> {
        match self {
            Target::Local {
                engine,
                max_record_bytes,
            } => {
                let decoded = match chunk.decoded {
                    Some(d) => d,
                    None => ndjson::decode_batch(&chunk.bytes, *max_record_bytes),
                };
                let o = engine.ingest_waiting(&decoded.records).await?;
                Ok((o.accepted as u64, decoded.rejections))
            }
            Target::Remote(client) => {
                let mut backoff = Duration::from_millis(50);
                loop {
                    match client.ingest_ndjson(chunk.bytes.clone()).await {
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

/// The configuration a local bulk load opens the engine with: it never
/// searches, so it keeps no more than one opened index in memory (the
/// indexes it writes would otherwise stay cached for searches that never
/// come).
fn bulk_load_config(cfg: &ServerConfig) -> ServerConfig {
    let mut cfg = cfg.clone();
    cfg.engine.index_cache_segments = 1;
    cfg
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
            engine: open_engine(&bulk_load_config(&cfg)).await?,
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

/// A run of lines read (and, for local ingest, decoded) ahead of storing.
struct Chunk {
    bytes: Vec<u8>,
    lines: usize,
    decoded: Option<ndjson::Decoded>,
}

async fn ingest_files(
    target: &mut Target,
    files: &[PathBuf],
    checkpoints: bool,
    batch: usize,
    totals: &mut Totals,
) -> Result<()> {
    for path in files {
        let (reader, size): (Box<dyn Read + Send>, Option<u64>) = if path.as_os_str() == "-" {
            (Box::new(std::io::stdin()), None)
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

/// Reads `batch`-line chunks on a thread of its own (decoding them when
/// `decode` is set), at most two ahead of the writer.
fn spawn_reader(
    mut reader: impl BufRead + Send + 'static,
    name: String,
    batch: usize,
    decode: Option<usize>,
    bar: ProgressBar,
) -> tokio::sync::mpsc::Receiver<Result<Chunk>> {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    std::thread::spawn(move || {
        loop {
            let mut bytes = Vec::with_capacity(batch * 512);
            let mut lines = 0;
            while lines < batch {
                match reader.read_until(b'\n', &mut bytes) {
                    Ok(0) => break,
                    Ok(_) => lines += 1,
                    Err(source) => {
                        let _ = tx.blocking_send(Err(Error::Io {
                            what: name.clone(),
                            source,
                        }));
                        return;
                    }
                }
            }
            if lines == 0 {
                return;
            }
            bar.inc(bytes.len() as u64);
            let decoded = decode.map(|max| ndjson::decode_batch(&bytes, max));
            let chunk = Chunk {
                bytes,
                lines,
                decoded,
            };
            if tx.blocking_send(Ok(chunk)).is_err() {
                return;
            }
        }
    });
    rx
}

async fn ingest_stream(
    target: &mut Target,
    path: &Path,
    reader: impl BufRead + Send + 'static,
    checkpoints: bool,
    batch: usize,
    totals: &mut Totals,
    bar: &ProgressBar,
) -> Result<()> {
    let name = path.display().to_string();
    let mut chunks = spawn_reader(reader, name.clone(), batch, target.decoder(), bar.clone());
    let mut first_line = 0usize; // zero-based line number of the chunk's first line
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk?;
        let lines = chunk.lines;
        let (accepted, rejections) = target.send(chunk).await?;
        for r in &rejections {
            println!("rejected {name}:{}: {}", first_line + r.index + 1, r.reason);
        }
        totals.rejected += rejections.len() as u64;
        totals.accepted += accepted;
        first_line += lines;
        if checkpoints {
            println!("durable {name} {first_line}");
        }
    }
    Ok(())
}
