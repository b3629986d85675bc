//! [`TextKeyAggregation`]: a physical optimizer rule putting
//! [`TextKeyAggregateExec`] in place of each aggregate that reads its input
//! (partial, or single-stage) grouped by one `Utf8View` key (see
//! [`crate::text_key_aggregate_exec`]). Everything above it (repartition,
//! final aggregate) is unchanged: the stage's output is the replaced
//! aggregate's, column for column.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;

use crate::text_key_aggregate_exec::TextKeyAggregateExec;

/// Aggregates by one text key group by dense key ids.
#[derive(Debug, Default)]
pub struct TextKeyAggregation;

impl PhysicalOptimizerRule for TextKeyAggregation {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(agg) = (node.as_ref() as &dyn std::any::Any).downcast_ref::<AggregateExec>()
            else {
                return Ok(Transformed::no(node));
            };
            Ok(match TextKeyAggregateExec::try_replace(agg)? {
                Some(exec) => Transformed::yes(Arc::new(exec) as Arc<dyn ExecutionPlan>),
                None => Transformed::no(node),
            })
        })
        .data()
    }

    fn name(&self) -> &str {
        "text_key_aggregation"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
