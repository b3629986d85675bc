//! SQL analytics: the same questions to Strata (`logs`) and to DuckDB (its
//! Parquet of the corpus, as the view `logs`).

use std::time::Instant;

use strata_query::datafusion::prelude::SessionContext;

use super::search::collect_sql;

/// One analytics question in each system's SQL.
#[derive(Debug, Clone, Copy)]
pub struct SqlQuery {
    pub name: &'static str,
    pub strata: &'static str,
    pub duckdb: &'static str,
    /// How the two differ, if they do.
    pub note: Option<&'static str>,
}

pub const QUERIES: &[SqlQuery] = &[
    SqlQuery {
        name: "per-minute level distribution",
        strata: "SELECT date_trunc('minute', timestamp) AS minute, log_level, count(*) AS n \
                 FROM logs GROUP BY 1, 2",
        duckdb: "SELECT date_trunc('minute', timestamp) AS minute, log_level, count(*) AS n \
                 FROM logs GROUP BY 1, 2",
        note: None,
    },
    SqlQuery {
        name: "top 20 templates",
        strata: "SELECT template_id, count(*) AS n FROM logs \
                 GROUP BY template_id ORDER BY n DESC LIMIT 20",
        duckdb: "SELECT message, count(*) AS n FROM logs GROUP BY message ORDER BY n DESC LIMIT 20",
        note: Some(
            "Strata groups by the template mined at ingest (`template_id`); DuckDB, \
             which has no templates, groups by the exact message text",
        ),
    },
    SqlQuery {
        name: "p99 duration_ms by service",
        strata: "SELECT service, percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99 \
                 FROM logs GROUP BY service",
        duckdb: "SELECT service, quantile_cont(metrics.duration_ms, 0.99) AS p99 \
                 FROM logs GROUP BY service",
        note: Some(
            "both exact (interpolated); Strata stores `metrics.duration_ms` as the \
             column `duration_ms`, DuckDB reads the field of the STRUCT `metrics` \
             its `read_json` inferred",
        ),
    },
];

/// Latency samples (ms) of one query and its result size.
#[derive(Debug, Clone, Default)]
pub struct SqlTimes {
    pub ms: Vec<f64>,
    pub rows: u64,
}

/// Plans, runs and collects `sql` once; (ms, rows).
pub async fn strata(ctx: &SessionContext, sql: &str) -> Result<(f64, u64), String> {
    let start = Instant::now();
    let batches = collect_sql(ctx, sql).await?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    Ok((ms, batches.iter().map(|b| b.num_rows() as u64).sum()))
}
