//! The physical plan of a search, built directly.
//!
//! A search is always the same query over `logs`: a few conjuncts, newest
//! (or oldest) first, a limit. DataFusion's logical and physical optimizers
//! turn it into a scan, a filter and a TopK, and took a fifth of a warm
//! 10M trace lookup's CPU doing so (BENCHMARKS.md, "Optimization round
//! 12"). [`search_plan`] builds that plan itself, asking the table which
//! filters it answers exactly, as DataFusion's planner does; its answers
//! are the optimized plan's (`tests/tests/search_limits.rs`).

use std::sync::Arc;

use arrow::compute::SortOptions;
use datafusion::common::DFSchema;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::TableProviderFilterPushDown;
use datafusion::logical_expr::utils::conjunction;
use datafusion::physical_expr::expressions::col as column;
use datafusion::physical_expr::{LexOrdering, PhysicalSortExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::filter_pushdown::FilterPushdown;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};
use datafusion::prelude::SessionContext;

use crate::search::{NULLS_FIRST, SearchParams, check_limit, filters, order_keys};

/// The search's physical plan: the `logs` scan with every filter the table
/// takes, a filter re-checking those it only narrows by (or does not take),
/// and a TopK (per partition, then merged).
pub async fn search_plan(ctx: &SessionContext, p: &SearchParams) -> Result<Arc<dyn ExecutionPlan>> {
    check_limit(p)?;
    let state = ctx.state();
    let table = ctx.table_provider("logs").await?;
    let schema = table.schema();
    let filters = filters(ctx, p)?;
    let refs: Vec<_> = filters.iter().collect();
    let support = table.supports_filters_pushdown(&refs)?;
    if support.len() != filters.len() {
        return Err(DataFusionError::Internal(format!(
            "logs: {} pushdown answers for {} filters",
            support.len(),
            filters.len()
        )));
    }
    let (mut pushed, mut residual) = (Vec::new(), Vec::new());
    for (f, s) in filters.into_iter().zip(support) {
        match s {
            TableProviderFilterPushDown::Exact => pushed.push(f),
            TableProviderFilterPushDown::Inexact => {
                pushed.push(f.clone());
                residual.push(f);
            }
            TableProviderFilterPushDown::Unsupported => residual.push(f),
        }
    }
    let mut plan = table.scan(&state, None, &pushed, None).await?;
    if let Some(expr) = conjunction(residual) {
        let df_schema = DFSchema::try_from(schema.as_ref().clone())?;
        let predicate = state.create_physical_expr(expr, &df_schema)?;
        plan = Arc::new(FilterExec::try_new(predicate, plan)?);
    }
    let keys = order_keys(p).map(|(name, ascending)| {
        let options = SortOptions::new(!ascending, NULLS_FIRST);
        Ok(PhysicalSortExpr::new(column(name, &schema)?, options))
    });
    let ordering = LexOrdering::new(keys.into_iter().collect::<Result<Vec<_>>>()?)
        .expect("a non-empty ordering");
    let partitions = plan.output_partitioning().partition_count();
    let top = SortExec::new(ordering.clone(), plan).with_fetch(Some(p.limit));
    let plan: Arc<dyn ExecutionPlan> = if partitions > 1 {
        let top = Arc::new(top.with_preserve_partitioning(true));
        Arc::new(SortPreservingMergeExec::new(ordering, top).with_fetch(Some(p.limit)))
    } else {
        Arc::new(top)
    };
    // The TopK's threshold, pushed to the Parquet scan as it tightens,
    // prunes row groups and pages older (newer) than the rows it holds.
    FilterPushdown::new_post_optimization().optimize(plan, state.config_options())
}
