//! Strata's SQL functions.

pub mod pattern_tables;
pub mod percentile_cont;
pub mod search;
pub mod template_funcs;

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;
use strata_engine::Engine;

pub use percentile_cont::PercentileContFunc;
pub use search::SearchFunc;
pub use template_funcs::{TemplateFunc, TemplateFuncKind};

/// Every scalar function Strata adds, bound to `engine`.
pub fn functions(engine: &Engine) -> Vec<Arc<ScalarUDF>> {
    use TemplateFuncKind::*;
    let mut out = vec![Arc::new(ScalarUDF::new_from_impl(SearchFunc::new()))];
    for kind in [LogTemplate, TemplateId, MaskVariables, ExtractVariables] {
        out.push(Arc::new(ScalarUDF::new_from_impl(TemplateFunc::new(
            kind,
            engine.clone(),
        ))));
    }
    out
}

/// Registers Strata's functions, its `percentile_cont` in place of
/// DataFusion's, and the JSON functions over `attributes`.
pub fn register_all(ctx: &mut SessionContext, engine: &Engine) -> Result<()> {
    ctx.register_udaf(AggregateUDF::new_from_impl(PercentileContFunc::new()));
    for f in functions(engine) {
        ctx.register_udf(f.as_ref().clone());
    }
    for (kind, name) in pattern_tables::PatternKind::ALL {
        ctx.register_udtf(
            name,
            Arc::new(pattern_tables::PatternTableFunc::new(kind, engine.clone())),
        );
    }
    datafusion_functions_json::register_all(ctx)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::execution::FunctionRegistry;

    #[tokio::test]
    async fn function_names_are_unique_and_not_builtin() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(strata_engine::EngineConfig::new(dir.path()))
            .await
            .unwrap();
        let ctx = SessionContext::new();
        let mut seen = std::collections::HashSet::new();
        for f in functions(&engine) {
            assert!(seen.insert(f.name().to_string()), "duplicate {}", f.name());
            assert!(
                ctx.udf(f.name()).is_err(),
                "{} shadows a DataFusion function",
                f.name()
            );
        }
    }

    /// A session answers `percentile_cont` and its alias with Strata's
    /// grouped accumulator.
    #[tokio::test]
    async fn sessions_use_strata_percentile_cont() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(strata_engine::EngineConfig::new(dir.path()))
            .await
            .unwrap();
        let ctx = crate::session(&engine, &crate::QueryConfig::default()).unwrap();
        for name in ["percentile_cont", "quantile_cont"] {
            let f = ctx.udaf(name).unwrap();
            let inner = f.inner().as_ref() as &dyn std::any::Any;
            assert!(inner.is::<PercentileContFunc>(), "{name} is {f:?}");
        }
    }
}
