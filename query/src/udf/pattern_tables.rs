//! Pattern table functions:
//!
//! ```sql
//! SELECT * FROM message_patterns('2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z' [, min_frequency]);
//! SELECT * FROM error_patterns(start, end [, min_frequency]);
//! SELECT * FROM sequence_patterns(start, end [, min_support [, max_len]]);
//! SELECT * FROM temporal_patterns(start, end [, burst_ratio]);      -- bursts
//! SELECT * FROM hourly_profile(start, end);                         -- records per UTC hour
//! SELECT * FROM new_templates(start, end, baseline_start, baseline_end);
//! ```
//!
//! Bounds are RFC 3339 strings, timestamps or NULL (unbounded); start is
//! inclusive, end exclusive. Defaults: min_frequency 0.01, min_support 0.01,
//! max_len 5, burst_ratio 3.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, ListBuilder, RecordBatch, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableFunctionImpl};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableProvider;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use strata_engine::Engine;
use strata_engine::patterns;
use strata_engine::schema::timestamp_type;

use crate::patterns::{PatternScope, load, template_texts};

/// Which analysis a table function runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    Message,
    Error,
    Sequence,
    Temporal,
    Hourly,
    NewTemplates,
}

impl PatternKind {
    /// Every kind with its SQL name.
    pub const ALL: [(PatternKind, &'static str); 6] = [
        (PatternKind::Message, "message_patterns"),
        (PatternKind::Error, "error_patterns"),
        (PatternKind::Sequence, "sequence_patterns"),
        (PatternKind::Temporal, "temporal_patterns"),
        (PatternKind::Hourly, "hourly_profile"),
        (PatternKind::NewTemplates, "new_templates"),
    ];

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("patterns", |(_, n)| n)
    }

    fn schema(self) -> SchemaRef {
        let s = |n: &str| Field::new(n, DataType::Utf8, true);
        let i = |n: &str| Field::new(n, DataType::Int64, true);
        let f = |n: &str| Field::new(n, DataType::Float64, true);
        let t = |n: &str| Field::new(n, timestamp_type(), true);
        let list = |n: &str, d: DataType| {
            Field::new(
                n,
                DataType::List(Arc::new(Field::new("item", d, true))),
                true,
            )
        };
        let fields = match self {
            PatternKind::Message => vec![
                i("template_id"),
                s("template"),
                i("count"),
                f("frequency"),
                t("first_seen"),
                t("last_seen"),
                f("significance"),
                s("severity"),
                s("recommendation"),
                list("examples", DataType::Utf8),
            ],
            PatternKind::Error => vec![
                i("template_id"),
                s("template"),
                i("count"),
                f("frequency"),
                s("error_types"),
                s("services"),
                i("fatal"),
                s("severity"),
                s("recommendation"),
                list("examples", DataType::Utf8),
            ],
            PatternKind::Sequence => vec![
                list("template_ids", DataType::Int64),
                s("templates"),
                i("support"),
                f("frequency"),
                f("confidence"),
                f("lift"),
            ],
            PatternKind::Temporal => vec![
                t("start"),
                t("end"),
                i("count"),
                f("baseline_per_minute"),
                f("ratio"),
                i("template_id"),
            ],
            PatternKind::Hourly => vec![i("hour"), i("count")],
            PatternKind::NewTemplates => vec![
                i("template_id"),
                s("template"),
                i("count"),
                t("first_seen"),
                s("severity"),
                list("examples", DataType::Utf8),
            ],
        };
        Arc::new(Schema::new(fields))
    }
}

/// A pattern table function bound to an engine.
#[derive(Debug)]
pub struct PatternTableFunc {
    kind: PatternKind,
    engine: Engine,
}

impl PatternTableFunc {
    pub fn new(kind: PatternKind, engine: Engine) -> Self {
        PatternTableFunc { kind, engine }
    }
}

fn bound(e: &Expr, name: &str, arg: usize) -> Result<Option<i64>> {
    let bad = || {
        DataFusionError::Plan(format!(
            "{name}(): argument {} must be an RFC 3339 string, a timestamp or NULL",
            arg + 1
        ))
    };
    let Expr::Literal(v, _) = e else {
        return Err(bad());
    };
    Ok(match v {
        ScalarValue::Null
        | ScalarValue::Utf8(None)
        | ScalarValue::TimestampMicrosecond(None, _) => None,
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => {
            Some(strata_engine::ndjson::parse_timestamp_text(s).map_err(|e| {
                DataFusionError::Plan(format!("{name}(): argument {}: {e}", arg + 1))
            })?)
        }
        ScalarValue::TimestampSecond(Some(v), _) => Some(v * 1_000_000),
        ScalarValue::TimestampMillisecond(Some(v), _) => Some(v * 1_000),
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(v / 1_000),
        _ => return Err(bad()),
    })
}

fn number(e: &Expr, name: &str, arg: usize) -> Result<f64> {
    let bad = || DataFusionError::Plan(format!("{name}(): argument {} must be a number", arg + 1));
    let Expr::Literal(v, _) = e else {
        return Err(bad());
    };
    match v {
        ScalarValue::Float64(Some(x)) => Ok(*x),
        ScalarValue::Float32(Some(x)) => Ok(f64::from(*x)),
        ScalarValue::Int64(Some(x)) => Ok(*x as f64),
        ScalarValue::Int32(Some(x)) => Ok(f64::from(*x)),
        ScalarValue::UInt64(Some(x)) => Ok(*x as f64),
        _ => Err(bad()),
    }
}

impl TableFunctionImpl for PatternTableFunc {
    fn call(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        let name = self.kind.name();
        let (min, max) = match self.kind {
            PatternKind::NewTemplates => (4, 4),
            PatternKind::Hourly => (2, 2),
            PatternKind::Sequence => (2, 4),
            _ => (2, 3),
        };
        if args.len() < min || args.len() > max {
            return Err(DataFusionError::Plan(format!(
                "{name}() takes {min} to {max} arguments, got {}",
                args.len()
            )));
        }
        let mut bounds = Vec::new();
        let n_bounds = if self.kind == PatternKind::NewTemplates {
            4
        } else {
            2
        };
        for (i, a) in args.iter().take(n_bounds).enumerate() {
            bounds.push(bound(a, name, i)?);
        }
        let mut params = Vec::new();
        for (i, a) in args.iter().enumerate().skip(n_bounds) {
            params.push(number(a, name, i)?);
        }
        if let Some(p) = params.first()
            && !(0.0..=1.0).contains(p)
            && self.kind != PatternKind::Temporal
        {
            return Err(DataFusionError::Plan(format!(
                "{name}(): argument 3 must be a fraction between 0 and 1, got {p}"
            )));
        }
        Ok(Arc::new(PatternTable {
            kind: self.kind,
            engine: self.engine.clone(),
            bounds,
            params,
        }))
    }
}

/// The table a pattern function returns; computed when scanned.
#[derive(Debug)]
struct PatternTable {
    kind: PatternKind,
    engine: Engine,
    bounds: Vec<Option<i64>>,
    params: Vec<f64>,
}

fn scope(start: Option<i64>, end: Option<i64>) -> PatternScope {
    PatternScope {
        start_us: start,
        end_us: end,
        ..PatternScope::default()
    }
}

fn examples_list(rows: &[Vec<String>]) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for r in rows {
        for e in r {
            b.values().append_value(e);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

fn ts_col(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    let mut b = TimestampMicrosecondBuilder::new().with_timezone("UTC");
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

fn i64_col(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    let mut b = Int64Builder::new();
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

fn f64_col(values: impl Iterator<Item = f64>) -> ArrayRef {
    let mut b = Float64Builder::new();
    for v in values {
        b.append_value(v);
    }
    Arc::new(b.finish())
}

fn str_col<S: AsRef<str>>(values: impl Iterator<Item = Option<S>>) -> ArrayRef {
    let mut b = StringBuilder::new();
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

impl PatternTable {
    async fn compute(&self) -> Result<RecordBatch> {
        let ctx = crate::session(&self.engine, &crate::QueryConfig::default())?;
        let texts = template_texts(&self.engine)?;
        let text = |id: u64| texts.get(&(id as i64)).cloned();
        let rows = load(&ctx, &self.engine, &scope(self.bounds[0], self.bounds[1])).await?;
        let rows = rows.rows();
        let p = |i: usize, default: f64| self.params.get(i).copied().unwrap_or(default);
        let columns: Vec<ArrayRef> = match self.kind {
            PatternKind::Message => {
                let ps = patterns::message_patterns(&rows, p(0, 0.01), usize::MAX);
                vec![
                    i64_col(ps.iter().map(|x| Some(x.template_id as i64))),
                    str_col(ps.iter().map(|x| text(x.template_id))),
                    i64_col(ps.iter().map(|x| Some(x.count as i64))),
                    f64_col(ps.iter().map(|x| x.frequency)),
                    ts_col(ps.iter().map(|x| Some(x.first_seen_us))),
                    ts_col(ps.iter().map(|x| Some(x.last_seen_us))),
                    f64_col(ps.iter().map(|x| x.significance)),
                    str_col(ps.iter().map(|x| x.severity.map(|s| s.as_str()))),
                    str_col(ps.iter().map(|x| x.recommendation.as_deref())),
                    examples_list(&ps.iter().map(|x| x.examples.clone()).collect::<Vec<_>>()),
                ]
            }
            PatternKind::Error => {
                let ps = patterns::error_patterns(&rows, p(0, 0.01));
                let pairs = |v: &[(String, u64)]| {
                    v.iter()
                        .map(|(k, n)| format!("{k}:{n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                vec![
                    i64_col(ps.iter().map(|x| Some(x.template_id as i64))),
                    str_col(ps.iter().map(|x| text(x.template_id))),
                    i64_col(ps.iter().map(|x| Some(x.count as i64))),
                    f64_col(ps.iter().map(|x| x.frequency)),
                    str_col(ps.iter().map(|x| Some(pairs(&x.error_types)))),
                    str_col(ps.iter().map(|x| Some(pairs(&x.services)))),
                    i64_col(ps.iter().map(|x| Some(x.fatal as i64))),
                    str_col(ps.iter().map(|x| Some(x.severity.as_str()))),
                    str_col(ps.iter().map(|x| Some(x.recommendation.as_str()))),
                    examples_list(&ps.iter().map(|x| x.examples.clone()).collect::<Vec<_>>()),
                ]
            }
            PatternKind::Sequence => {
                let max_len = p(1, 5.0).clamp(2.0, 16.0) as usize;
                let ps = patterns::sequence_patterns(&rows, p(0, 0.01), max_len);
                let mut ids = ListBuilder::new(Int64Builder::new());
                for x in &ps {
                    for t in &x.templates {
                        ids.values().append_value(*t as i64);
                    }
                    ids.append(true);
                }
                vec![
                    Arc::new(ids.finish()),
                    str_col(ps.iter().map(|x| {
                        Some(
                            x.templates
                                .iter()
                                .map(|t| text(*t).unwrap_or_else(|| t.to_string()))
                                .collect::<Vec<_>>()
                                .join(" -> "),
                        )
                    })),
                    i64_col(ps.iter().map(|x| Some(x.support as i64))),
                    f64_col(ps.iter().map(|x| x.frequency)),
                    f64_col(ps.iter().map(|x| x.confidence)),
                    f64_col(ps.iter().map(|x| x.lift)),
                ]
            }
            PatternKind::Temporal => {
                let prof = patterns::temporal_patterns(&rows, p(0, 3.0));
                let b = &prof.bursts;
                vec![
                    ts_col(b.iter().map(|x| Some(x.start_us))),
                    ts_col(b.iter().map(|x| Some(x.end_us))),
                    i64_col(b.iter().map(|x| Some(x.count as i64))),
                    f64_col(b.iter().map(|x| x.baseline_per_minute)),
                    f64_col(b.iter().map(|x| x.ratio)),
                    i64_col(b.iter().map(|x| x.template_id.map(|t| t as i64))),
                ]
            }
            PatternKind::Hourly => {
                let prof = patterns::temporal_patterns(&rows, 3.0);
                vec![
                    i64_col((0..24).map(Some)),
                    i64_col(prof.hour_of_day.iter().map(|n| Some(*n as i64))),
                ]
            }
            PatternKind::NewTemplates => {
                let baseline =
                    load(&ctx, &self.engine, &scope(self.bounds[2], self.bounds[3])).await?;
                let ps = patterns::new_templates(&rows, &baseline.rows());
                vec![
                    i64_col(ps.iter().map(|x| Some(x.template_id as i64))),
                    str_col(ps.iter().map(|x| text(x.template_id))),
                    i64_col(ps.iter().map(|x| Some(x.count as i64))),
                    ts_col(ps.iter().map(|x| Some(x.first_seen_us))),
                    str_col(ps.iter().map(|x| Some(x.severity.as_str()))),
                    examples_list(&ps.iter().map(|x| x.examples.clone()).collect::<Vec<_>>()),
                ]
            }
        };
        Ok(RecordBatch::try_new(self.kind.schema(), columns)?)
    }
}

#[async_trait]
impl TableProvider for PatternTable {
    fn schema(&self) -> SchemaRef {
        self.kind.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        crate::batch_exec(self.compute().await?, projection, limit)
    }
}
