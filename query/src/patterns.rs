//! Pattern analytics over a time range: the rows they read, and the
//! computations shared by the SQL table functions and the gRPC API.
//!
//! Rows are read through the `logs` table (so segment pruning applies) and
//! their `template_id`s are resolved to canonical templates before the
//! algorithms of [`strata_engine::patterns`] run.

use std::collections::HashMap;

use arrow::array::{Array, AsArray, RecordBatch, StringViewArray};
use arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::prelude::{SessionContext, col, lit};
use strata_engine::Engine;
use strata_engine::patterns::PatternRow;
use strata_engine::schema::col as c;

use crate::engine_err;

/// Which rows an analysis reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatternScope {
    /// Inclusive start, microseconds.
    pub start_us: Option<i64>,
    /// Exclusive end, microseconds.
    pub end_us: Option<i64>,
    pub workspace_id: Option<String>,
    pub agent_id: Option<String>,
    pub service: Option<String>,
}

/// The rows of a scope, in columns; borrow them as [`PatternRow`]s.
#[derive(Debug, Default)]
pub struct ScopeRows {
    batches: Vec<RecordBatch>,
    canonical: HashMap<i64, i64>,
}

fn ts(us: i64) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(Some(us), Some("UTC".into()))
}

/// Columns the analyses read, in the order [`ScopeRows::rows`] expects.
const COLUMNS: [&str; 7] = [
    c::TIMESTAMP,
    c::TEMPLATE_ID,
    c::LOG_LEVEL,
    c::SERVICE,
    c::EXECUTION_ID,
    c::ERROR_TYPE,
    c::MESSAGE,
];

/// Reads the rows of `scope` (timestamp order).
pub async fn load(
    ctx: &SessionContext,
    engine: &Engine,
    scope: &PatternScope,
) -> Result<ScopeRows> {
    let mut df = ctx.table("logs").await?;
    if let Some(s) = scope.start_us {
        df = df.filter(col(c::TIMESTAMP).gt_eq(lit(ts(s))))?;
    }
    if let Some(e) = scope.end_us {
        df = df.filter(col(c::TIMESTAMP).lt(lit(ts(e))))?;
    }
    for (column, value) in [
        (c::SERVICE, &scope.service),
        (c::WORKSPACE_ID, &scope.workspace_id),
        (c::AGENT_ID, &scope.agent_id),
    ] {
        if let Some(v) = value {
            df = df.filter(col(column).eq(lit(v.clone())))?;
        }
    }
    let df = df.select_columns(&COLUMNS)?;
    let batches = df
        .sort(vec![col(c::TIMESTAMP).sort(true, false)])?
        .collect()
        .await?;
    let mut canonical = HashMap::new();
    for b in &batches {
        let ids = b.column(1).as_primitive::<Int64Type>();
        for id in ids.iter().flatten() {
            if let std::collections::hash_map::Entry::Vacant(v) = canonical.entry(id) {
                v.insert(engine.canonical_template(id).map_err(engine_err)?);
            }
        }
    }
    Ok(ScopeRows { batches, canonical })
}

impl ScopeRows {
    /// The rows, borrowed (rows without a template are skipped).
    pub fn rows(&self) -> Vec<PatternRow<'_>> {
        let mut out = Vec::with_capacity(self.batches.iter().map(|b| b.num_rows()).sum());
        for b in &self.batches {
            let t = b.column(0).as_primitive::<TimestampMicrosecondType>();
            let id = b.column(1).as_primitive::<Int64Type>();
            let s = |i: usize| b.column(i).as_string_view();
            let (level, service, exec, etype, msg) = (s(2), s(3), s(4), s(5), s(6));
            fn opt(a: &StringViewArray, i: usize) -> Option<&str> {
                a.is_valid(i).then(|| a.value(i))
            }
            for i in 0..b.num_rows() {
                if id.is_null(i) {
                    continue;
                }
                let raw = id.value(i);
                out.push(PatternRow {
                    timestamp_us: t.value(i),
                    template_id: *self.canonical.get(&raw).unwrap_or(&raw) as u64,
                    level: level.value(i),
                    service: opt(service, i),
                    execution_id: opt(exec, i),
                    error_type: opt(etype, i),
                    message: msg.value(i),
                });
            }
        }
        out
    }
}

/// Template texts by id (canonical and folded alike).
pub fn template_texts(engine: &Engine) -> Result<HashMap<i64, String>> {
    Ok(engine
        .templates()
        .map_err(engine_err)?
        .into_iter()
        .map(|t| (t.template_id, t.template))
        .collect())
}
