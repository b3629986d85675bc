//! The `strata` subcommands.

mod demo;
mod ingest;
mod patterns;
mod search;
mod serve;
mod sql;
mod tail;

use std::process::ExitCode;

use strata_engine::{Engine, EngineConfig};

use crate::cli::{Cli, Command};
use strata_server::config::ServerConfig;
use strata_server::error::Result;

/// Runs one parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve {
            common,
            listen,
            demo,
            demo_records,
        } => {
            let mut o = common.overrides();
            o.listen = listen;
            let demo = demo.then_some(demo_records);
            serve::run(ServerConfig::load(&o)?, demo).await
        }
        Command::Ingest {
            common,
            files,
            checkpoints,
            batch,
            server,
        } => {
            let cfg = ServerConfig::load(&common.overrides())?;
            ingest::run(cfg, files, checkpoints, batch, server).await
        }
        Command::Sql {
            common,
            command,
            format,
            server,
        } => {
            sql::run(
                ServerConfig::load(&common.overrides())?,
                command,
                &format,
                server,
            )
            .await
        }
        Command::Tail {
            query,
            since,
            agent,
            workspace,
            format,
            server,
        } => tail::run(&server, query, since, agent, workspace, &format).await,
        Command::Search(args) => {
            let cfg = ServerConfig::load(&args.common.overrides())?;
            search::run(cfg, args).await
        }
        Command::Patterns {
            common,
            since,
            service,
            workspace,
            limit,
        } => {
            let cfg = ServerConfig::load(&common.overrides())?;
            patterns::run(cfg, since, service, workspace, limit).await
        }
        Command::Demo { common, records } => {
            demo::run(ServerConfig::load(&common.overrides())?, records).await
        }
    }
}

/// Opens the engine of a command, with background flushes.
pub(crate) async fn open_engine(cfg: &ServerConfig) -> Result<Engine> {
    let config = EngineConfig {
        background_tasks: true,
        ..cfg.engine.clone()
    };
    Ok(Engine::open(config).await?)
}
