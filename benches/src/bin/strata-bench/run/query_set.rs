//! The fixed search query set and how each system asks it.
//!
//! Every search returns the newest [`LIMIT`] matching records (what
//! `strata search` and the gRPC `Search` do); its match count is asked
//! separately (untimed) so the three systems can be checked against each
//! other and against the count taken while scanning the corpus.

use serde::{Deserialize, Serialize};
use strata_query::search::SearchParams;

/// Records a timed search returns.
pub const LIMIT: usize = 100;

/// What is searched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SearchKind {
    /// A word of the messages (case-insensitive).
    Term { term: String },
    /// Two adjacent words of the messages.
    Phrase { phrase: String },
    /// Every record of one trace.
    TraceId { trace_id: String },
    /// Records at level `error` of one agent.
    AgentErrors { agent_id: String },
    /// A word within one UTC hour; `hour` is `YYYY-MM-DDTHH`.
    TermInHour {
        term: String,
        hour: String,
        start_us: i64,
    },
}

/// One query of the set, with its match count in the corpus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// What it stands for: "rare term", "phrase", ...
    pub name: String,
    pub kind: SearchKind,
    /// Records of the corpus that match, counted while picking the query.
    pub corpus_matches: u64,
    /// Whether token match, substring match in the message and substring
    /// match in the raw NDJSON line agree on this query's records.
    pub agrees: bool,
}

const HOUR_US: i64 = 3_600_000_000;

impl SearchQuery {
    /// Short label for the table: name and value.
    pub fn label(&self) -> String {
        match &self.kind {
            SearchKind::Term { term } => format!("{} `{term}`", self.name),
            SearchKind::Phrase { phrase } => format!("{} `\"{phrase}\"`", self.name),
            SearchKind::TraceId { trace_id } => format!("{} `{trace_id}`", self.name),
            SearchKind::AgentErrors { agent_id } => format!("{} (`{agent_id}`)", self.name),
            SearchKind::TermInHour { term, hour, .. } => {
                format!("{} (`{term}`, 1 h from {hour}:00Z)", self.name)
            }
        }
    }

    /// Records a timed search returns when all systems agree.
    pub fn expected_rows(&self) -> u64 {
        self.corpus_matches.min(LIMIT as u64)
    }

    /// The query string of Strata's `search()` syntax.
    fn strata_query(&self) -> String {
        match &self.kind {
            SearchKind::Term { term } | SearchKind::TermInHour { term, .. } => term.clone(),
            SearchKind::Phrase { phrase } => format!("\"{phrase}\""),
            SearchKind::TraceId { trace_id } => format!("trace_id:{trace_id}"),
            SearchKind::AgentErrors { .. } => "log_level:error".into(),
        }
    }

    /// Strata: the in-process search (`strata_query::search::search`).
    pub fn strata_params(&self) -> SearchParams {
        let mut p = SearchParams {
            query: self.strata_query(),
            limit: LIMIT,
            ..SearchParams::default()
        };
        match &self.kind {
            SearchKind::AgentErrors { agent_id } => p.agent_id = Some(agent_id.clone()),
            SearchKind::TermInHour { start_us, .. } => {
                p.start_us = Some(*start_us);
                p.end_us = Some(start_us + HOUR_US);
            }
            _ => {}
        }
        p
    }

    /// Strata: SQL counting every match (not timed).
    pub fn strata_count_sql(&self) -> String {
        let mut sql = format!(
            "SELECT count(*) FROM logs WHERE search(message, '{}')",
            self.strata_query()
        );
        match &self.kind {
            SearchKind::AgentErrors { agent_id } => {
                sql.push_str(&format!(" AND agent_id = '{agent_id}'"));
            }
            SearchKind::TermInHour { start_us, .. } => sql.push_str(&format!(
                " AND timestamp >= to_timestamp_micros({start_us}) \
                 AND timestamp < to_timestamp_micros({})",
                start_us + HOUR_US
            )),
            _ => {}
        }
        sql
    }

    /// DuckDB: the `WHERE` clause over its Parquet of the corpus.
    pub fn duckdb_where(&self) -> String {
        match &self.kind {
            SearchKind::Term { term } => format!("message ILIKE '%{term}%'"),
            SearchKind::Phrase { phrase } => format!("message ILIKE '%{phrase}%'"),
            SearchKind::TraceId { trace_id } => format!("trace_id = '{trace_id}'"),
            SearchKind::AgentErrors { agent_id } => {
                format!("agent_id = '{agent_id}' AND log_level = 'error'")
            }
            SearchKind::TermInHour { term, hour, .. } => format!(
                "timestamp >= TIMESTAMPTZ '{0}:00:00+00' \
                 AND timestamp < TIMESTAMPTZ '{0}:00:00+00' + INTERVAL 1 HOUR \
                 AND message ILIKE '%{term}%'",
                hour.replace('T', " ")
            ),
        }
    }

    /// DuckDB: the timed query.
    pub fn duckdb_sql(&self) -> String {
        format!(
            "SELECT * FROM logs WHERE {} ORDER BY timestamp DESC LIMIT {LIMIT}",
            self.duckdb_where()
        )
    }

    /// ripgrep: flags and pattern (the file follows). Terms are fixed
    /// strings matched anywhere in the line, case-insensitively; the
    /// picked terms occur in no other field of any line.
    pub fn rg_args(&self) -> Vec<String> {
        let (flags, pattern): (&[&str], String) = match &self.kind {
            SearchKind::Term { term } => (&["-i", "-F"], term.clone()),
            SearchKind::Phrase { phrase } => (&["-i", "-F"], phrase.clone()),
            SearchKind::TraceId { trace_id } => (&["-F"], trace_id.clone()),
            SearchKind::AgentErrors { agent_id } => (
                &[],
                format!(
                    "\"agent_id\":\"{}\",.*\"log_level\":\"error\"",
                    regex_escape(agent_id)
                ),
            ),
            SearchKind::TermInHour { term, hour, .. } => (
                &["-i"],
                format!(
                    "\"timestamp\":\"{}:.*{}",
                    regex_escape(hour),
                    regex_escape(term)
                ),
            ),
        };
        let mut args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
        args.push("-e".into());
        args.push(pattern);
        args
    }

    /// The ripgrep command line, for the report.
    pub fn rg_command(&self) -> String {
        let args: Vec<String> = self
            .rg_args()
            .into_iter()
            .map(|a| {
                if a.starts_with('-') {
                    a
                } else {
                    format!("'{a}'")
                }
            })
            .collect();
        format!("rg {} FILE | tail -n {LIMIT}", args.join(" "))
    }
}

/// Escapes the regex metacharacters of `s`.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: SearchKind) -> SearchQuery {
        SearchQuery {
            name: "q".into(),
            kind,
            corpus_matches: 7,
            agrees: true,
        }
    }

    #[test]
    fn each_system_asks_the_same_question() {
        let hour = q(SearchKind::TermInHour {
            term: "model".into(),
            hour: "2026-01-05T15".into(),
            start_us: 1_767_625_200_000_000,
        });
        let p = hour.strata_params();
        assert_eq!(p.query, "model");
        assert_eq!(p.end_us.zip(p.start_us).map(|(e, s)| e - s), Some(HOUR_US));
        assert!(
            hour.duckdb_where()
                .contains("TIMESTAMPTZ '2026-01-05 15:00:00+00'")
        );
        assert_eq!(
            hour.rg_args(),
            ["-i", "-e", "\"timestamp\":\"2026\\-01\\-05T15:.*model"]
        );

        let agent = q(SearchKind::AgentErrors {
            agent_id: "agent-x-1".into(),
        });
        assert_eq!(agent.strata_params().agent_id.as_deref(), Some("agent-x-1"));
        assert!(
            agent
                .strata_count_sql()
                .ends_with("AND agent_id = 'agent-x-1'")
        );
        assert_eq!(
            agent.rg_args()[1],
            "\"agent_id\":\"agent\\-x\\-1\",.*\"log_level\":\"error\""
        );

        let phrase = q(SearchKind::Phrase {
            phrase: "prompt tokens".into(),
        });
        assert_eq!(phrase.strata_params().query, "\"prompt tokens\"");
        assert_eq!(phrase.duckdb_where(), "message ILIKE '%prompt tokens%'");
        assert_eq!(
            phrase.rg_command(),
            "rg -i -F -e 'prompt tokens' FILE | tail -n 100"
        );
    }
}
