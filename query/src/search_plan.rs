//! The physical plan of a search, built directly.
//!
//! A search is always the same query over `logs`: a few conjuncts, newest
//! (or oldest) first, a limit. DataFusion's logical and physical optimizers
//! turn it into a scan, a filter and a TopK, but spend as long doing so as a
//! warm trace lookup spends reading its rows (BENCHMARKS.md, "Optimization
//! round 12"). [`search_plan`] builds that plan itself, asking the table
//! which filters it answers exactly, as DataFusion's planner does; the
//! answers are the optimized plan's (`tests/tests/search_plan.rs`).

use std::sync::Arc;

use arrow::compute::SortOptions;
use datafusion::common::DFSchema;
use datafusion::error::Result;
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
use strata_engine::schema::col as c;

use crate::search::{SearchParams, check_limit, filters};

/// The search's physical plan: the `logs` scan with every filter pushed to
/// it, a filter re-checking those the scan only narrows by, and a TopK
/// (per partition, then merged).
pub async fn search_plan(ctx: &SessionContext, p: &SearchParams) -> Result<Arc<dyn ExecutionPlan>> {
    check_limit(p)?;
    let state = ctx.state();
    let table = ctx.table_provider("logs").await?;
    let schema = table.schema();
    let filters = filters(ctx, p)?;
    let refs: Vec<_> = filters.iter().collect();
    let support = table.supports_filters_pushdown(&refs)?;
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
    let sort = |name: &str, descending: bool| -> Result<PhysicalSortExpr> {
        Ok(PhysicalSortExpr::new(
            column(name, &schema)?,
            SortOptions::new(descending, false),
        ))
    };
    let ordering = LexOrdering::new([
        sort(c::TIMESTAMP, !p.oldest_first)?,
        sort(c::LOG_ID, false)?,
    ])
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
