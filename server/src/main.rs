//! `strata`: the command-line interface of Strata.

#![allow(clippy::print_stdout)]

mod cli;
mod cmd;

use std::process::ExitCode;

use clap::Parser;

/// Ingest allocates and frees many small strings and buffers on every
/// thread; glibc malloc spent ~20% of ingest CPU on them (see
/// BENCHMARKS.md), mimalloc a fraction of that. Built with `no_thp`: with
/// transparent huge pages, a buffer allocated after mimalloc purged freed
/// memory faulted in (and zeroed, sometimes after compaction) a whole 2 MiB
/// page: a trace lookup over 10M records had a p99 of 57-80 ms against
/// 12-19 ms without (BENCHMARKS.md, round 9). Built with `override`, it
/// also serves the C libraries' `malloc`: parquet-rs makes a zstd
/// decompression and compression context for every column chunk it reads,
/// and glibc returned their memory to the kernel between chunks, so a
/// search faulted it in again each time (10x the page faults and 12% more
/// CPU for a rare term at 10M; BENCHMARKS.md, round 12).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // The server reports what it does; one-shot commands only warnings.
    let default_filter = match cli.command {
        cli::Command::Serve { .. } => "warn,strata=info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STRATA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cmd::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
