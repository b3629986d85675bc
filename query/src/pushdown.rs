//! DataFusion filters to the engine's [`ScanPredicate`].
//!
//! | filter | pushdown |
//! |---|---|
//! | `search(message\|error_message\|stack_trace, 'q')` | `Exact`: the index (segments) and evaluation (memtable) answer it |
//! | `timestamp` `<`, `<=`, `>`, `>=`, `=`, `BETWEEN` a literal | `Inexact`: prunes segments, and the rows a search selects in a segment it cuts into |
//! | `workspace_id`, `agent_id`, `service`, ... `=` / `IN` literals | `Inexact`: prunes segments |
//! | anything else | `Unsupported` |

use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use strata_engine::schema::{STATS_COLUMNS, col};
use strata_engine::text_query::{TEXT_FIELDS, TextQuery};
use strata_engine::{ScanPredicate, TimeRange};

/// Name of the full-text search function.
pub const SEARCH_FUNCTION: &str = "search";

/// How the provider handles `expr`.
pub fn classify(expr: &Expr) -> TableProviderFilterPushDown {
    if search_call(expr).is_some() {
        return TableProviderFilterPushDown::Exact;
    }
    if time_range(expr).is_some() || equals(expr).is_some() {
        return TableProviderFilterPushDown::Inexact;
    }
    TableProviderFilterPushDown::Unsupported
}

/// Builds the engine predicate from the filters DataFusion pushed down.
/// Fails on an invalid search query, naming what is wrong with it.
pub fn to_predicate(filters: &[Expr]) -> Result<ScanPredicate> {
    let mut p = ScanPredicate::default();
    for f in filters {
        if let Some((field, query)) = search_call(f) {
            let q = TextQuery::parse(&query, &field)
                .map_err(|e| DataFusionError::Plan(format!("search(): {e}")))?;
            p.text.push(q);
        } else if let Some(r) = time_range(f) {
            p.time.intersect(r);
        } else if let Some(eq) = equals(f) {
            p.equals.push(eq);
        }
    }
    Ok(p)
}

/// Whether `expr` is a search() call (pushed down, never evaluated by the
/// Parquet reader).
pub fn is_search(expr: &Expr) -> bool {
    search_call(expr).is_some()
}

/// `search(<text column>, '<literal>')` → (column, query).
fn search_call(expr: &Expr) -> Option<(String, String)> {
    let Expr::ScalarFunction(f) = expr else {
        return None;
    };
    if f.func.name() != SEARCH_FUNCTION || f.args.len() != 2 {
        return None;
    }
    let Expr::Column(c) = &f.args[0] else {
        return None;
    };
    if !TEXT_FIELDS.contains(&c.name.as_str()) {
        return None;
    }
    let query = string_literal(&f.args[1])?;
    Some((c.name.clone(), query))
}

fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Literal(ScalarValue::Utf8(Some(s)), _)
        | Expr::Literal(ScalarValue::Utf8View(Some(s)), _)
        | Expr::Literal(ScalarValue::LargeUtf8(Some(s)), _) => Some(s.clone()),
        _ => None,
    }
}

/// A timestamp literal in microseconds, rounded down, and whether it held
/// a fraction of a microsecond (a nanosecond literal).
fn timestamp_literal(expr: &Expr) -> Option<(i64, bool)> {
    let Expr::Literal(v, _) = expr else {
        return None;
    };
    match v {
        ScalarValue::TimestampSecond(Some(s), _) => Some((s.checked_mul(1_000_000)?, false)),
        ScalarValue::TimestampMillisecond(Some(ms), _) => Some((ms.checked_mul(1_000)?, false)),
        ScalarValue::TimestampMicrosecond(Some(us), _) => Some((*us, false)),
        ScalarValue::TimestampNanosecond(Some(ns), _) => {
            Some((ns.div_euclid(1_000), ns.rem_euclid(1_000) != 0))
        }
        _ => None,
    }
}

fn is_column(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Column(c) if c.name == name)
}

/// A comparison of `timestamp` with a literal, as a half-open range.
fn time_range(expr: &Expr) -> Option<TimeRange> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let ((ts, fraction), op) = if is_column(left, col::TIMESTAMP) {
                (timestamp_literal(right)?, *op)
            } else if is_column(right, col::TIMESTAMP) {
                (timestamp_literal(left)?, op.swap()?)
            } else {
                return None;
            };
            // Rounded down, `ts` bounds every other comparison safely (or
            // exactly); `< 1.5 µs` holds 1 µs, so its end rounds up.
            let (start_us, end_us) = match op {
                Operator::Gt => (ts.checked_add(1), None),
                Operator::GtEq => (Some(ts), None),
                Operator::Lt if fraction => (None, ts.checked_add(1)),
                Operator::Lt => (None, Some(ts)),
                Operator::LtEq => (None, ts.checked_add(1)),
                Operator::Eq => (Some(ts), ts.checked_add(1)),
                _ => return None,
            };
            Some(TimeRange { start_us, end_us })
        }
        Expr::Between(b) if !b.negated && is_column(&b.expr, col::TIMESTAMP) => {
            let (lo, _) = timestamp_literal(&b.low)?;
            let (hi, _) = timestamp_literal(&b.high)?;
            Some(TimeRange {
                start_us: Some(lo),
                end_us: hi.checked_add(1),
            })
        }
        _ => None,
    }
}

fn prunable_column(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Column(c)
            if c.name == col::WORKSPACE_ID || STATS_COLUMNS.contains(&c.name.as_str()) =>
        {
            Some(c.name.clone())
        }
        _ => None,
    }
}

/// `column = 'v'` or `column IN ('v', ...)` on a column with segment stats.
fn equals(expr: &Expr) -> Option<(String, Vec<String>)> {
    match expr {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Eq,
            right,
        }) => {
            if let (Some(c), Some(v)) = (prunable_column(left), string_literal(right)) {
                return Some((c, vec![v]));
            }
            let (c, v) = (prunable_column(right)?, string_literal(left)?);
            Some((c, vec![v]))
        }
        Expr::InList(l) if !l.negated => {
            let c = prunable_column(&l.expr)?;
            let values = l
                .list
                .iter()
                .map(string_literal)
                .collect::<Option<Vec<_>>>()?;
            Some((c, values))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col as c, lit};

    #[test]
    fn classifies_filters() {
        use TableProviderFilterPushDown::*;
        let ts = |v: i64| {
            lit(ScalarValue::TimestampMicrosecond(
                Some(v),
                Some("UTC".into()),
            ))
        };
        let cases: Vec<(Expr, TableProviderFilterPushDown)> = vec![
            (c("timestamp").gt_eq(ts(5)), Inexact),
            (ts(5).lt(c("timestamp")), Inexact),
            (c("workspace_id").eq(lit("w")), Inexact),
            (
                c("agent_id").in_list(vec![lit("a"), lit("b")], false),
                Inexact,
            ),
            (c("agent_id").in_list(vec![lit("a")], true), Unsupported),
            (c("message").eq(lit("x")), Unsupported),
            (c("duration_ms").gt(lit(5.0)), Unsupported),
        ];
        for (e, want) in cases {
            assert_eq!(classify(&e), want, "{e}");
        }
    }

    /// Nanosecond literals: the range holds every microsecond timestamp
    /// the comparison accepts (a range too tight would drop matching rows
    /// of a segment it cuts into).
    #[test]
    fn nanosecond_bounds_keep_every_accepted_microsecond() {
        let ns = |v: i64| lit(ScalarValue::TimestampNanosecond(Some(v), None));
        let range = |e: Expr| time_range(&e).expect("a time range");
        let exprs = [
            c("timestamp").lt(ns(1_500)),
            c("timestamp").lt_eq(ns(1_500)),
            c("timestamp").gt(ns(1_500)),
            c("timestamp").gt_eq(ns(1_500)),
            c("timestamp").lt(ns(2_000)),
            c("timestamp").gt(ns(2_000)),
            ns(1_500).gt(c("timestamp")),
        ];
        // what each accepts among 0..=4 µs, by the comparison itself
        let accepts: [fn(i64) -> bool; 7] = [
            |us: i64| us * 1_000 < 1_500,
            |us: i64| us * 1_000 <= 1_500,
            |us: i64| us * 1_000 > 1_500,
            |us: i64| us * 1_000 >= 1_500,
            |us: i64| us * 1_000 < 2_000,
            |us: i64| us * 1_000 > 2_000,
            |us: i64| us * 1_000 < 1_500,
        ];
        for (e, accepts) in exprs.into_iter().zip(accepts) {
            let r = range(e.clone());
            for us in 0..=4 {
                if accepts(us) {
                    assert!(r.contains(us), "{e}: {us} µs left out of {r:?}");
                }
            }
        }
        // and exactly where the literal is whole microseconds
        assert_eq!(
            range(c("timestamp").lt(ns(2_000))),
            TimeRange {
                start_us: None,
                end_us: Some(2)
            }
        );
    }

    #[test]
    fn builds_time_ranges_and_equalities() {
        let ts = |v: i64| lit(ScalarValue::TimestampMillisecond(Some(v), None));
        let p = to_predicate(&[
            c("timestamp").gt(ts(10)),
            c("timestamp").lt_eq(ts(20)),
            c("service").eq(lit("api")),
        ])
        .unwrap();
        assert_eq!(
            p.time,
            TimeRange {
                start_us: Some(10_001),
                end_us: Some(20_001)
            }
        );
        assert_eq!(
            p.equals,
            vec![("service".to_string(), vec!["api".to_string()])]
        );
    }
}
