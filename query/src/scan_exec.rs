//! [`LogsScanExec`]: the root of every `logs` scan.
//!
//! A transparent wrapper over the Parquet + memtable union that
//! - keeps the engine snapshot alive while the scan runs (so compaction does
//!   not delete files under it), and
//! - shows in `EXPLAIN` how the scan was narrowed: segments in the snapshot,
//!   pruned by catalog statistics, pruned by the full-text index, scanned,
//!   and rows selected by the index.
//!
//! Filters, limits and projections pass through it to the child.

use std::fmt;
use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::execution_plan::CardinalityEffect;
use datafusion::physical_plan::filter_pushdown::{
    ChildPushdownResult, FilterDescription, FilterPushdownPhase, FilterPushdownPropagation,
};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
};
use strata_engine::Snapshot;
use strata_engine::scan::ScanStats;

/// Wrapper that holds the snapshot of a `logs` scan and reports its pruning.
#[derive(Debug, Clone)]
pub struct LogsScanExec {
    input: Arc<dyn ExecutionPlan>,
    stats: ScanStats,
    snapshot: Arc<Snapshot>,
}

impl LogsScanExec {
    pub fn new(input: Arc<dyn ExecutionPlan>, stats: ScanStats, snapshot: Arc<Snapshot>) -> Self {
        LogsScanExec {
            input,
            stats,
            snapshot,
        }
    }

    /// How the scan was narrowed.
    pub fn stats(&self) -> ScanStats {
        self.stats
    }

    /// The engine snapshot the scan reads.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }
}

impl DisplayAs for LogsScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.stats;
        write!(
            f,
            "LogsScanExec: segments={}, pruned_by_stats={}, pruned_by_index={}, \
             pruned_by_bloom={}, scanned={}, index_rows_selected={}, memtable_rows={}",
            s.segments_total,
            s.segments_pruned_by_stats,
            s.segments_pruned_by_index,
            s.segments_pruned_by_bloom,
            s.segments_scanned,
            s.index_rows_selected,
            s.memtable_rows
        )
    }
}

impl ExecutionPlan for LogsScanExec {
    fn name(&self) -> &str {
        "LogsScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return Err(datafusion::error::DataFusionError::Internal(format!(
                "LogsScanExec takes one child, got {}",
                children.len()
            )));
        }
        Ok(Arc::new(LogsScanExec {
            input: children.swap_remove(0),
            stats: self.stats,
            snapshot: self.snapshot.clone(),
        }))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.input.execute(partition, context)
    }

    fn supports_limit_pushdown(&self) -> bool {
        true
    }

    fn cardinality_effect(&self) -> CardinalityEffect {
        CardinalityEffect::Equal
    }

    fn gather_filters_for_pushdown(
        &self,
        _phase: FilterPushdownPhase,
        parent_filters: Vec<Arc<dyn PhysicalExpr>>,
        _config: &ConfigOptions,
    ) -> Result<FilterDescription> {
        FilterDescription::from_children(parent_filters, &self.children())
    }

    fn handle_child_pushdown_result(
        &self,
        _phase: FilterPushdownPhase,
        child_pushdown_result: ChildPushdownResult,
        _config: &ConfigOptions,
    ) -> Result<FilterPushdownPropagation<Arc<dyn ExecutionPlan>>> {
        Ok(FilterPushdownPropagation::if_all(child_pushdown_result))
    }
}
