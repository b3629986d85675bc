//! `strata sql`: one statement, or the interactive shell.

use std::process::ExitCode;

use strata_query::format::{OutputFormat, write_batches};
use strata_query::{QueryConfig, session, shell};
use strata_server::client::Client;

use super::open_engine;
use strata_server::config::ServerConfig;
use strata_server::error::{Error, Result};

pub async fn run(
    cfg: ServerConfig,
    command: Option<String>,
    format: &str,
    server: Option<String>,
) -> Result<ExitCode> {
    let format: OutputFormat = format.parse().map_err(Error::Usage)?;
    if let Some(url) = server {
        let Some(sql) = command else {
            return Err(Error::Usage(
                "--server runs one statement: give it with -c".into(),
            ));
        };
        let batches = Client::connect(&url).await?.sql(&sql).await?;
        let mut out = std::io::stdout().lock();
        write_batches(&mut out, &batches, format)?;
        return Ok(ExitCode::SUCCESS);
    }
    let engine = open_engine(&cfg).await?;
    let ctx = session(&engine, &QueryConfig::default())?;
    let result = match command {
        Some(sql) => match shell::run_statement(&ctx, &sql).await {
            Ok(batches) => {
                let mut out = std::io::stdout().lock();
                write_batches(&mut out, &batches, format).map_err(Error::from)
            }
            Err(e) => Err(e.into()),
        },
        None => {
            let history = cfg.data_dir.join(".sql_history");
            shell::run_shell(&ctx, format, Some(history))
                .await
                .map_err(Error::from)
        }
    };
    engine.close().await?;
    result.map(|()| ExitCode::SUCCESS)
}
