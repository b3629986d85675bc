//! `strata serve`: the gRPC server until SIGINT/SIGTERM.

use std::io::Write;
use std::process::ExitCode;

use strata_engine::Engine;
use strata_engine::sample::{SampleConfig, SampleGenerator};
use strata_server::config::ServerConfig;
use strata_server::error::{Error, Result};
use strata_server::grpc;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

/// Loads `records` generated sample records if the engine holds nothing.
pub async fn load_demo(engine: &Engine, records: usize) -> Result<bool> {
    let s = engine.stats()?;
    if s.segment_rows + s.memtable_rows > 0 {
        return Ok(false);
    }
    let mut generator = SampleGenerator::new(SampleConfig {
        total: records,
        ..SampleConfig::default()
    });
    let mut left = records;
    while left > 0 {
        let n = left.min(8192);
        engine.ingest_waiting(&generator.generate(n)).await?;
        left -= n;
    }
    engine.flush().await?;
    Ok(true)
}

pub async fn run(cfg: ServerConfig, demo: Option<usize>) -> Result<ExitCode> {
    let addr = cfg.listen_addr()?;
    let io = |what: &str| {
        let what = what.to_string();
        move |source| Error::Io { what, source }
    };
    // Handlers first: a signal from now on means a clean shutdown.
    let mut term = signal(SignalKind::terminate()).map_err(io("signal handler"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(io("signal handler"))?;
    let engine = super::open_engine(&cfg).await?;
    if let Some(n) = demo
        && load_demo(&engine, n).await?
    {
        tracing::info!(records = n, "loaded sample data");
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(io(&format!("listen address {addr}")))?;
    let local = listener.local_addr().map_err(io("listener"))?;
    println!(
        "strata listening on {local} (data dir {})",
        cfg.data_dir.display()
    );
    let _ = std::io::stdout().flush();
    tracing::info!(listen = %local, data_dir = %cfg.data_dir.display(), "serving strata.v1");
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("shutting down: finishing in-flight calls");
    };
    let served = grpc::serve(engine.clone(), &cfg, listener, shutdown).await;
    tracing::info!("flushing the memtable");
    let closed = engine.close().await;
    served?;
    closed?;
    Ok(ExitCode::SUCCESS)
}
