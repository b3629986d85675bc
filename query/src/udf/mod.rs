//! Strata's SQL functions.

pub mod search;

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionContext;

pub use search::SearchFunc;

/// Every scalar function Strata adds.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![Arc::new(ScalarUDF::new_from_impl(SearchFunc::new()))]
}

/// Registers Strata's functions and the JSON functions over `attributes`.
pub fn register_all(ctx: &mut SessionContext) -> Result<()> {
    for f in functions() {
        ctx.register_udf(f.as_ref().clone());
    }
    datafusion_functions_json::register_all(ctx)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::execution::FunctionRegistry;

    #[test]
    fn function_names_are_unique_and_not_builtin() {
        let ctx = SessionContext::new();
        let mut seen = std::collections::HashSet::new();
        for f in functions() {
            assert!(seen.insert(f.name().to_string()), "duplicate {}", f.name());
            assert!(
                ctx.udf(f.name()).is_err(),
                "{} shadows a DataFusion function",
                f.name()
            );
        }
    }
}
