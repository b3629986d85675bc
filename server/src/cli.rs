//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use strata_server::config::Overrides;

/// Strata: log storage and analytics for fleets of AI agents.
#[derive(Debug, Parser)]
#[command(name = "strata", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command that opens a data directory takes.
#[derive(Debug, Args, Clone, Default)]
pub struct Common {
    /// TOML configuration file (flags and STRATA_* environment variables win over it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory: WAL, lock and hot-tier segments [default: ./strata-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

impl Common {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            listen: None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gRPC API (strata.v1, health, reflection) until SIGINT/SIGTERM.
    Serve {
        #[command(flatten)]
        common: Common,
        /// Address to listen on [default: 127.0.0.1:50051]; port 0 picks a free one.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Load generated sample data first if the data directory is empty.
        #[arg(long)]
        demo: bool,
        /// Sample records loaded by --demo.
        #[arg(long, default_value_t = 200_000, value_name = "N")]
        demo_records: usize,
    },
    /// Ingest NDJSON files (or '-' for standard input).
    ///
    /// Prints each rejected record (file:line: reason) and the totals; exits
    /// with status 1 if any record was rejected.
    Ingest {
        #[command(flatten)]
        common: Common,
        /// NDJSON files, one StructuredLog per line; '-' reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print "durable FILE LINE" each time every record up to that line is durable.
        #[arg(long)]
        checkpoints: bool,
        /// Records per write-ahead-log batch (per request with --server).
        #[arg(long, default_value_t = 8192, value_name = "N")]
        batch: usize,
        /// Send to this server instead of opening the data directory.
        #[arg(long, value_name = "URL")]
        server: Option<String>,
    },
    /// Run SQL: one statement with -c, or an interactive shell.
    Sql {
        #[command(flatten)]
        common: Common,
        /// Run this statement and exit.
        #[arg(short = 'c', long = "command", value_name = "SQL")]
        command: Option<String>,
        /// Output format: table, csv, json or ndjson.
        #[arg(long, default_value = "table", value_name = "FORMAT")]
        format: String,
        /// Run on this server instead of opening the data directory (needs -c).
        #[arg(long, value_name = "URL")]
        server: Option<String>,
    },
    /// Follow live records from a server, with the filters of search.
    Tail {
        /// Query in the search syntax; empty follows everything.
        #[arg(value_name = "QUERY", default_value = "")]
        query: String,
        /// Replay records from the last DURATION before following.
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        #[arg(long, value_name = "ID")]
        agent: Option<String>,
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        /// Output format: table (one line per record) or ndjson.
        #[arg(long, default_value = "table", value_name = "FORMAT")]
        format: String,
        /// Server to follow.
        #[arg(long, default_value = strata_server::client::DEFAULT_SERVER, value_name = "URL")]
        server: String,
    },
    /// Full-text search, newest records first.
    Search(SearchArgs),
    /// Top log templates (message patterns) of a time range.
    Patterns {
        #[command(flatten)]
        common: Common,
        /// Only records from the last DURATION (e.g. 1h, 7d); default all.
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        /// Only records of this service.
        #[arg(long, value_name = "NAME")]
        service: Option<String>,
        /// Only records of this workspace.
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        /// Most templates to print.
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
    },
    /// Generate realistic sample logs, ingest them, and show a search and a query.
    Demo {
        #[command(flatten)]
        common: Common,
        /// How many sample records to generate.
        #[arg(long, default_value_t = 200_000, value_name = "N")]
        records: usize,
    },
}

/// Arguments of `strata search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    pub common: Common,
    /// Query: terms, "phrases", AND/OR/NOT, prefix*, field:value (e.g. trace_id:abc).
    #[arg(value_name = "QUERY")]
    pub query: String,
    /// Only records from the last DURATION (e.g. 15m, 1h, 7d).
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["from", "to"])]
    pub since: Option<String>,
    /// Only records at or after this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only records before this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Only records of this agent.
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    /// Only records of this workspace.
    #[arg(long, value_name = "ID")]
    pub workspace: Option<String>,
    /// Most records to print.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
    /// Output format: table, csv, json or ndjson (json formats carry every column).
    #[arg(long, default_value = "table", value_name = "FORMAT")]
    pub format: String,
    /// Search on this server instead of opening the data directory.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
}
