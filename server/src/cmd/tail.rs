//! `strata tail`: follow live records from a server.

use std::io::Write;
use std::process::ExitCode;

use strata_proto::v1::TailRequest;
use strata_server::client::{Client, to_records};
use strata_server::error::{Error, Result};

use super::search::{parse_duration, print_records};

pub async fn run(
    server: &str,
    query: String,
    since: Option<String>,
    agent: Option<String>,
    workspace: Option<String>,
    format: &str,
) -> Result<ExitCode> {
    let ndjson = match format {
        "table" => false,
        "ndjson" => true,
        other => {
            return Err(Error::Usage(format!(
                "tail prints table or ndjson, not {other:?}"
            )));
        }
    };
    let start_us = match since {
        Some(s) => Some(chrono::Utc::now().timestamp_micros() - parse_duration(&s)?),
        None => None,
    };
    let mut client = Client::connect(server).await?;
    let req = TailRequest {
        query,
        agent_id: agent,
        workspace_id: workspace,
        start_us,
    };
    client
        .tail(req, |r| {
            print_records(&to_records(vec![r]), ndjson, false)?;
            std::io::stdout().flush().map_err(|source| Error::Io {
                what: "stdout".into(),
                source,
            })
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}
