//! [`TextKeyAggregateExec`]: the stage of an aggregate that reads its input
//! (partial, or single-stage), grouped by one `Utf8View` key, with dense
//! key ids as group indices.
//!
//! DataFusion 55 groups a `Utf8View` key by hashing and comparing every
//! row's bytes (`ArrowBytesViewMap`): a fifth of `percentile_cont ... GROUP
//! BY service` over 10M rows and a third of `count(*) ... GROUP BY
//! service`. Here each row's key gets a dense id from [`TextKeyIds`] (a
//! lookup of its view, see there) and the ids are the accumulators' group
//! indices: no hash table at all. The stage is otherwise DataFusion's: the
//! same accumulators, arguments, `FILTER`s and output (the key, then each
//! accumulator's state, one row per group; a single-stage aggregate's
//! answers instead of states), and in a partial stage the same switch to
//! passing rows on as states when the probe finds nearly as many groups as
//! rows (`datafusion.execution.skip_partial_aggregation_probe_*`) and, when
//! the memory pool refuses more, the same early emission of what it has
//! (a single stage fails there instead: DataFusion's would spill). Keys of
//! more than one column go through DataFusion's group values.
//! [`crate::text_key_aggregation::TextKeyAggregation`] puts it in place of
//! `AggregateExec: mode=Partial` (or `Single`, `SinglePartitioned`) where it
//! applies.

use std::fmt;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BooleanArray};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::MemoryConsumer;
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::aggregate::AggregateFunctionExpr;
use datafusion::physical_plan::aggregates::{
    AggregateExec, AggregateMode, aggregate_expressions, evaluate_many,
};
use datafusion::physical_plan::metrics::{
    BaselineMetrics, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet,
};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties,
    ReplaceChildrenOptions, SendableRecordBatchStream,
};
use futures::StreamExt;

use crate::text_key_ids::TextKeyIds;

/// The aggregate it replaces (its input, key, aggregates, filters, schema
/// and plan properties are this stage's), and the stage's own metrics.
#[derive(Debug, Clone)]
pub struct TextKeyAggregateExec {
    agg: Arc<AggregateExec>,
    metrics: ExecutionPlanMetricsSet,
}

impl TextKeyAggregateExec {
    /// This stage in place of `agg`, or `None` where it does not apply: an
    /// aggregate reading unsorted input (partial or single-stage), grouped
    /// by one `Utf8View` expression, whose accumulators all group natively.
    pub fn try_replace(agg: &AggregateExec) -> Result<Option<Self>> {
        let group_by = agg.group_expr();
        let [(key, _)] = group_by.expr() else {
            return Ok(None);
        };
        let applies = matches!(
            agg.mode(),
            AggregateMode::Partial | AggregateMode::Single | AggregateMode::SinglePartitioned
        ) && group_by.is_single()
            && agg.limit_options().is_none()
            && matches!(
                agg.input_order_mode(),
                datafusion::physical_plan::InputOrderMode::Linear
            )
            && key.data_type(&agg.input().schema())? == arrow::datatypes::DataType::Utf8View
            && agg
                .aggr_expr()
                .iter()
                .all(|a| a.groups_accumulator_supported());
        if !applies {
            return Ok(None);
        }
        Ok(Some(TextKeyAggregateExec {
            agg: Arc::new(agg.clone()),
            metrics: ExecutionPlanMetricsSet::new(),
        }))
    }

    /// The one group key and its name (`try_replace` checked there is one).
    fn key(&self) -> &(Arc<dyn PhysicalExpr>, String) {
        &self.agg.group_expr().expr()[0]
    }
}

impl DisplayAs for TextKeyAggregateExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let aggs: Vec<&str> = self.agg.aggr_expr().iter().map(|a| a.name()).collect();
        let (key, name) = self.key();
        write!(
            f,
            "TextKeyAggregateExec: mode={:?}, gby=[{key} as {name}], aggr=[{}]",
            self.agg.mode(),
            aggs.join(", ")
        )
    }
}

impl ExecutionPlan for TextKeyAggregateExec {
    fn name(&self) -> &str {
        "TextKeyAggregateExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.agg.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![self.agg.input()]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.agg.apply_expressions(f)
    }

    fn cardinality_effect(&self) -> datafusion::physical_plan::execution_plan::CardinalityEffect {
        self.agg.cardinality_effect()
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // Rebuilt from the aggregate, properties recomputed; the aggregate
        // itself where the stage no longer applies.
        let agg = Arc::clone(&self.agg).replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )?;
        let Some(aggregate) = (agg.as_ref() as &dyn std::any::Any).downcast_ref::<AggregateExec>()
        else {
            return Ok(agg);
        };
        Ok(match TextKeyAggregateExec::try_replace(aggregate)? {
            Some(exec) => Arc::new(exec),
            None => agg,
        })
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let options = &context.session_config().options().execution;
        // A single-stage aggregate answers: it never passes rows on, and
        // its groups cannot be sent on early. A ratio of 1 or more turns
        // DataFusion's probe off.
        let evaluates = *self.agg.mode() != AggregateMode::Partial;
        let ratio_threshold = options.skip_partial_aggregation_probe_ratio_threshold;
        let probe = (!evaluates && ratio_threshold < 1.0).then_some(SkipProbe {
            rows_threshold: options.skip_partial_aggregation_probe_rows_threshold,
            ratio_threshold,
        });
        let reservation = MemoryConsumer::new(format!("TextKeyAggregateExec[{partition}]"))
            .register(context.memory_pool());
        let aggr_expr = self.agg.aggr_expr().to_vec();
        let state = AggregationState {
            key: Arc::clone(&self.key().0),
            arguments: aggregate_expressions(&aggr_expr, self.agg.mode(), 1)?,
            evaluates,
            filters: self.agg.filter_expr().to_vec(),
            accumulators: accumulators(&aggr_expr)?,
            aggr_expr,
            ids: TextKeyIds::default(),
            group_indices: Vec::new(),
            schema: self.agg.schema(),
            input_rows: 0,
            skipping: false,
            probe,
            baseline: BaselineMetrics::new(&self.metrics, partition),
            skipped_rows: MetricBuilder::new(&self.metrics)
                .counter("skipped_aggregation_rows", partition),
        };
        let input = self.agg.input().execute(partition, context)?;
        let stream = futures::stream::try_unfold(
            (input, state, reservation, false),
            |(mut input, mut state, reservation, mut done)| async move {
                while !done {
                    let out = match input.next().await.transpose()? {
                        Some(batch) => {
                            let out = state.add(&batch)?;
                            if state.evaluates {
                                reservation.try_resize(state.size())?;
                                out
                            } else if out.is_none() && reservation.try_resize(state.size()).is_err()
                            {
                                // Out of memory: send on what is aggregated
                                // so far (the final stage merges it), as
                                // DataFusion's partial stage does.
                                let early = state.emit()?;
                                reservation.resize(state.size());
                                early
                            } else {
                                reservation.resize(state.size());
                                out
                            }
                        }
                        None => {
                            done = true;
                            let out = state.emit()?;
                            reservation.free();
                            out
                        }
                    };
                    if let Some(out) = out {
                        return Ok(Some((out, (input, state, reservation, done))));
                    }
                }
                Ok(None)
            },
        );
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.agg.schema(),
            stream,
        )))
    }
}

fn accumulators(
    aggr_expr: &[Arc<AggregateFunctionExpr>],
) -> Result<Vec<Box<dyn GroupsAccumulator>>> {
    aggr_expr
        .iter()
        .map(|a| a.create_groups_accumulator())
        .collect()
}

/// DataFusion's probe: once `rows_threshold` input rows are in, stop
/// aggregating when there are more than `ratio_threshold` groups per row.
struct SkipProbe {
    rows_threshold: usize,
    ratio_threshold: f64,
}

/// One partition's aggregation.
struct AggregationState {
    key: Arc<dyn PhysicalExpr>,
    arguments: Vec<Vec<Arc<dyn PhysicalExpr>>>,
    /// Emits each group's answer (`Single`, `SinglePartitioned`) rather
    /// than its state (`Partial`).
    evaluates: bool,
    filters: Vec<Option<Arc<dyn PhysicalExpr>>>,
    accumulators: Vec<Box<dyn GroupsAccumulator>>,
    aggr_expr: Vec<Arc<AggregateFunctionExpr>>,
    ids: TextKeyIds,
    group_indices: Vec<usize>,
    schema: SchemaRef,
    input_rows: usize,
    skipping: bool,
    /// `None` where the probe is off (a single stage, or by configuration).
    probe: Option<SkipProbe>,
    baseline: BaselineMetrics,
    skipped_rows: datafusion::physical_plan::metrics::Count,
}

impl AggregationState {
    /// Aggregates `batch`; returns a batch to send on when the stage emits
    /// early (the probe switched it to passing rows on) or passes rows on.
    fn add(&mut self, batch: &RecordBatch) -> Result<Option<RecordBatch>> {
        let timer = self.baseline.elapsed_compute().timer();
        let key = self.key.evaluate(batch)?.into_array(batch.num_rows())?;
        let arguments = evaluate_many(&self.arguments, batch)?;
        let filters = self
            .filters
            .iter()
            .map(|f| {
                f.as_ref()
                    .map(|f| f.evaluate(batch)?.into_array(batch.num_rows()))
                    .transpose()
            })
            .collect::<Result<Vec<_>>>()?;
        if self.skipping {
            let mut columns = vec![key];
            for ((acc, args), filter) in self.accumulators.iter().zip(&arguments).zip(&filters) {
                columns.extend(acc.convert_to_state(args, boolean(filter)?)?);
            }
            self.skipped_rows.add(batch.num_rows());
            drop(timer);
            return self.output(RecordBatch::try_new(Arc::clone(&self.schema), columns)?);
        }
        let keys = key.as_string_view_opt().ok_or_else(|| {
            DataFusionError::Internal(format!("group key is {}, not Utf8View", key.data_type()))
        })?;
        self.ids.assign(keys, &mut self.group_indices);
        let groups = self.ids.len();
        for ((acc, args), filter) in self.accumulators.iter_mut().zip(&arguments).zip(&filters) {
            acc.update_batch(args, &self.group_indices, boolean(filter)?, groups)?;
        }
        self.input_rows += batch.num_rows();
        drop(timer);
        // DataFusion's probe, checked after every batch past the threshold
        // until it decides to skip.
        if self.probe.as_ref().is_some_and(|p| {
            self.input_rows >= p.rows_threshold
                && groups as f64 / self.input_rows as f64 > p.ratio_threshold
        }) {
            self.skipping = true;
            return self.emit();
        }
        Ok(None)
    }

    /// Every group's key and states, and a fresh start.
    fn emit(&mut self) -> Result<Option<RecordBatch>> {
        if self.ids.is_empty() {
            return Ok(None);
        }
        let timer = self.baseline.elapsed_compute().timer();
        let mut columns: Vec<ArrayRef> = vec![Arc::new(self.ids.take_keys())];
        for acc in &mut self.accumulators {
            if self.evaluates {
                columns.push(acc.evaluate(EmitTo::All)?);
            } else {
                columns.extend(acc.state(EmitTo::All)?);
            }
        }
        self.accumulators = accumulators(&self.aggr_expr)?;
        drop(timer);
        self.output(RecordBatch::try_new(Arc::clone(&self.schema), columns)?)
    }

    fn output(&self, batch: RecordBatch) -> Result<Option<RecordBatch>> {
        self.baseline.record_output(batch.num_rows());
        Ok(Some(batch))
    }

    /// Memory held by the key ids and accumulators.
    fn size(&self) -> usize {
        self.ids.size()
            + self.group_indices.capacity() * size_of::<usize>()
            + self.accumulators.iter().map(|a| a.size()).sum::<usize>()
    }
}

fn boolean(filter: &Option<ArrayRef>) -> Result<Option<&BooleanArray>> {
    filter
        .as_ref()
        .map(|f| {
            f.as_boolean_opt().ok_or_else(|| {
                DataFusionError::Internal(format!("aggregate FILTER is {}", f.data_type()))
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int64Array, StringViewArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::execution::session_state::SessionStateBuilder;
    use datafusion::prelude::SessionContext;

    use crate::test_util::{config, explain_analyze, skipped_aggregation_rows, sorted};
    use crate::text_key_aggregation::TextKeyAggregation;

    /// A table with a low-cardinality text key `k` (nulls, long and short
    /// strings), a nearly unique one `u`, and values with nulls.
    fn table(partitions: usize) -> MemTable {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8View, true),
            Field::new("u", DataType::Utf8View, true),
            Field::new("v", DataType::Float64, true),
            Field::new("n", DataType::Int64, true),
        ]));
        let mut seed = 11u64;
        let mut next = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        let names = [
            "orchestrator",
            "llm-gateway",
            "tool-executor-with-a-long-name",
            "db",
        ];
        let parts = (0..partitions)
            .map(|_| {
                (0..3)
                    .map(|_| {
                        let rows = 700;
                        let k: StringViewArray = (0..rows)
                            .map(|_| match next(9) {
                                0 => None,
                                i => Some(names[(i % 4) as usize]),
                            })
                            .collect();
                        let u: StringViewArray = (0..rows)
                            .map(|_| Some(format!("id-{}", next(5_000))))
                            .collect();
                        let v: Float64Array = (0..rows)
                            .map(|_| (next(4) > 0).then(|| next(100_000) as f64 / 100.0))
                            .collect();
                        let n: Int64Array = (0..rows).map(|_| Some(next(50) as i64)).collect();
                        RecordBatch::try_new(
                            schema.clone(),
                            vec![Arc::new(k), Arc::new(u), Arc::new(v), Arc::new(n)],
                        )
                        .unwrap()
                    })
                    .collect()
            })
            .collect();
        MemTable::try_new(schema, parts).unwrap()
    }

    /// Aggregates grouped by a text key answer exactly as DataFusion's own
    /// do (the same query without the rule), on one partition (a
    /// single-stage aggregate), two and three (partial and final), with
    /// partial aggregation skipped and not, and the rule did replace the
    /// aggregate reading the input.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn answers_equal_datafusions_partial_aggregate() {
        // Integer sums: a float sum's last bit depends on the order partial
        // states reach the final aggregate.
        let queries = [
            "SELECT k, count(*), count(v), sum(n), avg(n), min(v), max(v) FROM t GROUP BY k",
            "SELECT k, percentile_cont(0.9) WITHIN GROUP (ORDER BY v), count(*) FILTER (WHERE n > 25) FROM t GROUP BY k",
            "SELECT k, count(DISTINCT n), bool_and(v > 10) FROM t GROUP BY k HAVING count(*) > 10",
            "SELECT upper(k) AS big, max(n) FROM t WHERE n < 40 GROUP BY upper(k)",
            "SELECT u, count(*), sum(n), max(v) FROM t GROUP BY u",
            "SELECT k, count(*) FROM t WHERE n > 1000 GROUP BY k",
        ];
        for partitions in [1, 2, 3] {
            for skip in [false, true] {
                let config = config(partitions, 256, skip.then_some((300, 0.1)));
                let theirs = SessionContext::new_with_config(config.clone());
                let ours = SessionContext::new_with_state(
                    SessionStateBuilder::new()
                        .with_config(config)
                        .with_default_features()
                        .with_physical_optimizer_rule(Arc::new(TextKeyAggregation))
                        .build(),
                );
                for ctx in [&theirs, &ours] {
                    ctx.register_table("t", Arc::new(table(partitions)))
                        .unwrap();
                }
                for q in queries {
                    let want = sorted(&theirs, q).await;
                    let got = sorted(&ours, q).await;
                    assert_eq!(got, want, "{q}: {partitions} partitions, skip {skip}");
                    let text = explain_analyze(&ours, q).await;
                    assert!(text.contains("TextKeyAggregateExec"), "{q}\n{text}");
                }
                // Left to DataFusion: a number key, two keys, grouping sets.
                for q in [
                    "SELECT n, count(*) FROM t GROUP BY n",
                    "SELECT k, n, count(*) FROM t GROUP BY k, n",
                    "SELECT k, n, count(*) FROM t GROUP BY GROUPING SETS ((k), (n))",
                ] {
                    assert_eq!(sorted(&ours, q).await, sorted(&theirs, q).await, "{q}");
                    let text = explain_analyze(&ours, q).await;
                    assert!(!text.contains("TextKeyAggregateExec"), "{q}\n{text}");
                }
                // The nearly unique key made the probe pass rows on.
                let text = explain_analyze(&ours, queries[4]).await;
                let skipped = skipped_aggregation_rows(&text);
                // (A single-stage aggregate never passes rows on.)
                assert_eq!(skipped > 0, skip && partitions > 1, "{text}");
            }
        }
    }
}
