//! `percentile_cont` (alias `quantile_cont`): DataFusion's function with a
//! cheaper grouped accumulator, [`PercentileGroups`].
//!
//! DataFusion 55 keeps a growing `Vec` per group and pushes every value into
//! it, flattens the vectors into a list for the partial state through an
//! iterator that reallocates as it goes, and partitions each group twice to
//! find the two values it interpolates between. A profile of
//! `percentile_cont(0.99) ... GROUP BY service` over 10M rows had a third of
//! its CPU there. [`PercentileGroups`] keeps the input arrays as they come
//! (with each row's group as a `u32`, or each state list's group) and lays
//! the values out per group once, when they are emitted, by a counting sort:
//! one pass counts, one writes each value into its group's place. It finds
//! the upper value of an interpolation as the least value above the lower
//! one. Answers are DataFusion's, bit for bit: the same order (`total_cmp`)
//! and the same quantized interpolation weight (`Float16` and `Float32`
//! values are worked on as the `f64`s DataFusion interpolates them in).
//! `DISTINCT`, windows and the ungrouped accumulator are DataFusion's own.
//!
//! Rows the accumulator keeps are the input's, nulls and rows a `FILTER`
//! drops included, unless they are most of a batch. A percentile given by
//! anything but a literal (the planner folds constants into one) goes to
//! DataFusion's accumulator.
//!
//! DataFusion 55's grouped accumulator also panics when a partial
//! aggregate with many groups switches to passing rows on as states
//! (`convert_to_state` asserts one argument and is given three); this one
//! takes the first, the values.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListArray};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::functions_aggregate::percentile_cont::PercentileCont;
use datafusion::logical_expr::function::{
    AccumulatorArgs, AggregateFunctionSimplification, StateFieldsArgs,
};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, Signature,
};
use datafusion::physical_expr::expressions::Literal;

/// DataFusion's interpolation weight is rounded down to this many steps.
const INTERPOLATION_PRECISION: f64 = 1_000_000.0;

/// `percentile_cont` with [`PercentileGroups`] for grouped aggregates.
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct PercentileContFunc {
    inner: PercentileCont,
}

impl PercentileContFunc {
    /// The function, to register with `SessionContext::register_udaf`.
    pub fn new() -> Self {
        Self::default()
    }
}

impl AggregateUDFImpl for PercentileContFunc {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.inner.state_fields(args)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.inner.accumulator(args)
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.inner.groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        let data_type = args.expr_fields[0].data_type();
        let float = matches!(
            data_type,
            DataType::Float16 | DataType::Float32 | DataType::Float64
        );
        match percentile(&args) {
            Some(p) if float && !args.is_distinct => {
                Ok(Box::new(PercentileGroups::new(p, data_type.clone())))
            }
            // DataFusion's accumulator, or its error for a bad percentile.
            _ => self.inner.create_groups_accumulator(args),
        }
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        self.inner.simplify()
    }

    fn supports_within_group_clause(&self) -> bool {
        self.inner.supports_within_group_clause()
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}

/// The percentile a call asks for, as DataFusion reads it: a `Float32` or
/// `Float64` literal in [0, 1], mirrored for a descending order.
fn percentile(args: &AccumulatorArgs) -> Option<f64> {
    let literal = (args.exprs.get(1)?.as_ref() as &dyn std::any::Any).downcast_ref::<Literal>()?;
    let p = match literal.value() {
        ScalarValue::Float64(Some(p)) => *p,
        ScalarValue::Float32(Some(p)) => f64::from(*p),
        _ => return None,
    };
    if !(0.0..=1.0).contains(&p) {
        return None;
    }
    let descending = args.order_bys.first().is_some_and(|s| s.options.descending);
    Some(if descending { 1.0 - p } else { p })
}

/// Values kept for emission: input rows with their groups, or state lists
/// with theirs.
#[derive(Debug)]
enum Chunk {
    /// Row `i` of `values` (if valid) belongs to group `groups[i]`.
    Rows {
        values: Float64Array,
        groups: Vec<u32>,
    },
    /// Every value of list `i` belongs to group `groups[i]`.
    Lists { lists: ListArray, groups: Vec<u32> },
}

/// The grouped exact percentile of floating-point values; see the module
/// docs.
#[derive(Debug)]
pub struct PercentileGroups {
    percentile: f64,
    /// The values' type (and the answer's): `Float16`, `Float32`, `Float64`.
    data_type: DataType,
    chunks: Vec<Chunk>,
    /// Values per group kept so far.
    counts: Vec<usize>,
    /// Memory the chunks hold.
    chunk_bytes: usize,
}

impl PercentileGroups {
    /// An accumulator of `percentile` (in [0, 1], already mirrored for a
    /// descending order) over values of `data_type`.
    pub fn new(percentile: f64, data_type: DataType) -> Self {
        PercentileGroups {
            percentile,
            data_type,
            chunks: Vec::new(),
            counts: Vec::new(),
            chunk_bytes: 0,
        }
    }

    /// The values of the groups `emit_to` names, laid out group after
    /// group, with each group's end offset; the values of later groups are
    /// kept, renumbered from 0.
    fn take_groups(&mut self, emit_to: EmitTo) -> Result<(Vec<usize>, Vec<f64>)> {
        let emitted = match emit_to {
            EmitTo::All => self.counts.len(),
            EmitTo::First(n) => n.min(self.counts.len()),
        };
        let mut ends = Vec::with_capacity(self.counts.len());
        let mut total = 0usize;
        for count in &self.counts {
            total += count;
            ends.push(total);
        }
        let mut cursor: Vec<usize> = ends.iter().zip(&self.counts).map(|(e, c)| e - c).collect();
        let mut out = vec![0.0f64; total];
        self.chunk_bytes = 0;
        for chunk in std::mem::take(&mut self.chunks) {
            match chunk {
                Chunk::Rows { values, groups } => {
                    let data = values.values();
                    let mut place = |row: usize| {
                        let g = groups[row] as usize;
                        out[cursor[g]] = data[row];
                        cursor[g] += 1;
                    };
                    match values.nulls() {
                        None => (0..values.len()).for_each(&mut place),
                        Some(nulls) => nulls.valid_indices().for_each(&mut place),
                    }
                }
                Chunk::Lists { lists, groups } => {
                    let inner = lists.values().as_primitive::<Float64Type>();
                    for (row, &g) in groups.iter().enumerate() {
                        if lists.is_null(row) {
                            continue;
                        }
                        let range = lists.value_offsets()[row] as usize
                            ..lists.value_offsets()[row + 1] as usize;
                        let g = g as usize;
                        let n = range.len();
                        out[cursor[g]..cursor[g] + n].copy_from_slice(&inner.values()[range]);
                        cursor[g] += n;
                    }
                }
            }
        }
        if cursor != ends {
            return Err(DataFusionError::Internal(
                "percentile_cont: values placed do not match the counts".into(),
            ));
        }
        if emitted < self.counts.len() {
            let split = if emitted == 0 { 0 } else { ends[emitted - 1] };
            let rest = out.split_off(split);
            let groups = self.counts[emitted..]
                .iter()
                .enumerate()
                .flat_map(|(g, &count)| std::iter::repeat_n(g as u32, count))
                .collect();
            self.push(Chunk::Rows {
                values: Float64Array::from(rest),
                groups,
            });
        }
        self.counts.drain(..emitted);
        ends.truncate(emitted);
        Ok((ends, out))
    }

    fn push(&mut self, chunk: Chunk) {
        // The rows and values a chunk uses (a slice's parent buffers may be
        // shared with other chunks).
        self.chunk_bytes += match &chunk {
            Chunk::Rows { values, groups } => {
                values.len() * 8 + values.len() / 8 + groups.len() * 4
            }
            Chunk::Lists { lists, groups } => {
                let offsets = lists.value_offsets();
                let used = offsets
                    .last()
                    .zip(offsets.first())
                    .map_or(0, |(l, f)| l - f);
                used as usize * 8 + offsets.len() * 4 + groups.len() * 4
            }
        };
        self.chunks.push(chunk);
    }

    /// `f64` values as the accumulator's type.
    fn to_own_type(&self, values: Float64Array) -> Result<ArrayRef> {
        let values: ArrayRef = Arc::new(values);
        if self.data_type == DataType::Float64 {
            return Ok(values);
        }
        if self.data_type == DataType::Float16 {
            // Rounded once, as DataFusion's `f16::from_f64` (a cast goes
            // through `f32`).
            type Half =
                <arrow::datatypes::Float16Type as arrow::datatypes::ArrowPrimitiveType>::Native;
            let halves: arrow::array::Float16Array =
                values.as_primitive::<Float64Type>().unary(Half::from_f64);
            return Ok(Arc::new(halves));
        }
        Ok(arrow::compute::cast(&values, &self.data_type)?)
    }

    /// The state: a list of the accumulator's type per group, list `i`
    /// ending at `ends[i]` of `values`.
    fn state_lists(
        &self,
        ends: impl IntoIterator<Item = usize>,
        values: Float64Array,
        nulls: Option<NullBuffer>,
    ) -> Result<ArrayRef> {
        let offsets = std::iter::once(Ok(0))
            .chain(ends.into_iter().map(|end| {
                i32::try_from(end).map_err(|_| {
                    DataFusionError::ResourcesExhausted(
                        "percentile_cont: a state of 2^31 values or more".into(),
                    )
                })
            }))
            .collect::<Result<Vec<i32>>>()?;
        let lists = ListArray::try_new(
            Arc::new(Field::new_list_field(self.data_type.clone(), true)),
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            self.to_own_type(values)?,
            nulls,
        )?;
        Ok(Arc::new(lists))
    }

    fn grow(&mut self, total_num_groups: usize) -> Result<()> {
        if u32::try_from(total_num_groups).is_err() {
            return Err(DataFusionError::ResourcesExhausted(
                "percentile_cont: 2^32 groups or more".into(),
            ));
        }
        self.counts.resize(total_num_groups, 0);
        Ok(())
    }
}

impl GroupsAccumulator for PercentileGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups)?;
        let values = as_f64(&values[0])?;
        let nulls = NullBuffer::union(values.nulls(), filter_mask(opt_filter).as_ref());
        let (values, groups) = match &nulls {
            // Mostly nulls or filtered out: keep only the rows that count.
            Some(valid) if valid.null_count() * 2 > valid.len() => {
                let rows: Vec<usize> = valid.valid_indices().collect();
                let kept: Float64Array = rows.iter().map(|&r| values.values()[r]).collect();
                let groups: Vec<u32> = rows.iter().map(|&r| group_indices[r] as u32).collect();
                (kept, groups)
            }
            _ => (
                Float64Array::new(values.values().clone(), nulls),
                group_indices.iter().map(|&g| g as u32).collect(),
            ),
        };
        match values.nulls() {
            None => groups.iter().for_each(|&g| self.counts[g as usize] += 1),
            Some(valid) => valid
                .valid_indices()
                .for_each(|row| self.counts[groups[row] as usize] += 1),
        }
        self.push(Chunk::Rows { values, groups });
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups)?;
        let lists = values[0].as_list::<i32>();
        let lists = ListArray::try_new(
            Arc::new(Field::new_list_field(DataType::Float64, true)),
            lists.offsets().clone(),
            Arc::new(as_f64(lists.values())?),
            lists.nulls().cloned(),
        )?;
        // The lists' values never hold nulls (states are built without).
        if let Some(nulls) = lists.values().nulls() {
            let offsets = lists.value_offsets();
            let used = (0..lists.len()).filter(|&row| !lists.is_null(row));
            for row in used {
                let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                if nulls.slice(start, end - start).null_count() > 0 {
                    return Err(DataFusionError::Internal(
                        "percentile_cont: a state list holds nulls".into(),
                    ));
                }
            }
        }
        let groups: Vec<u32> = group_indices.iter().map(|&g| g as u32).collect();
        for (row, &g) in groups.iter().enumerate() {
            if !lists.is_null(row) {
                self.counts[g as usize] += lists.value_length(row) as usize;
            }
        }
        self.push(Chunk::Lists { lists, groups });
        Ok(())
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (ends, values) = self.take_groups(emit_to)?;
        Ok(vec![self.state_lists(
            ends,
            Float64Array::from(values),
            None,
        )?])
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (ends, mut values) = self.take_groups(emit_to)?;
        let mut start = 0;
        let out: Float64Array = ends
            .into_iter()
            .map(|end| {
                let p = percentile_of(&mut values[start..end], self.percentile);
                start = end;
                p
            })
            .collect();
        self.to_own_type(out)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row its own group: a one-value list, or null.
        let input = as_f64(&values[0])?;
        let nulls = NullBuffer::union(input.nulls(), filter_mask(opt_filter).as_ref());
        let values = Float64Array::new(input.values().clone(), None);
        Ok(vec![self.state_lists(1..=input.len(), values, nulls)?])
    }

    fn size(&self) -> usize {
        self.chunk_bytes + self.counts.capacity() * size_of::<usize>()
    }
}

/// Floating-point values as `f64`s (exactly: every `f16` and `f32` is one).
fn as_f64(values: &ArrayRef) -> Result<Float64Array> {
    // A cast to the array's own type returns it.
    let cast = arrow::compute::cast(values, &DataType::Float64)?;
    Ok(cast.as_primitive::<Float64Type>().clone())
}

/// Rows a `FILTER (WHERE ...)` keeps (null counts as false).
fn filter_mask(filter: Option<&BooleanArray>) -> Option<NullBuffer> {
    let filter = filter?;
    let keep = match filter.nulls() {
        Some(nulls) => filter.values() & nulls.inner(),
        None => filter.values().clone(),
    };
    Some(NullBuffer::new(keep))
}

/// The interpolated percentile of `values` (reordered), as DataFusion
/// computes it: rank `p * (n - 1)` under `f64::total_cmp`, the weight
/// rounded down to a millionth.
pub(crate) fn percentile_of(values: &mut [f64], p: f64) -> Option<f64> {
    let cmp = |a: &f64, b: &f64| a.total_cmp(b);
    match values.len() {
        0 => None,
        1 => Some(values[0]),
        _ if p == 0.0 => values.iter().copied().min_by(cmp),
        _ if p == 1.0 => values.iter().copied().max_by(cmp),
        n => {
            let index = p * ((n - 1) as f64);
            let lower = index.floor() as usize;
            let upper = index.ceil() as usize;
            let (_, lower_value, above) = values.select_nth_unstable_by(lower, cmp);
            let lower_value = *lower_value;
            if lower == upper {
                return Some(lower_value);
            }
            let upper_value = above.iter().copied().min_by(cmp)?;
            let fraction = index - lower as f64;
            let weight =
                ((fraction * INTERPOLATION_PRECISION) as usize) as f64 / INTERPOLATION_PRECISION;
            Some(lower_value + (upper_value - lower_value) * weight)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, StringArray};
    use arrow::datatypes::Schema;
    use arrow::record_batch::RecordBatch;
    use datafusion::datasource::MemTable;
    use datafusion::logical_expr::AggregateUDF;
    use datafusion::prelude::SessionContext;

    use crate::test_util::{config, explain_analyze, skipped_aggregation_rows, sorted};

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// The definition, by sorting: rank `p (n - 1)`, the weight rounded
    /// down to a millionth as DataFusion does.
    fn sorted_percentile(values: &[f64], p: f64) -> Option<f64> {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n == 0 {
            return None;
        }
        let index = p * (n - 1) as f64;
        let (lo, hi) = (index.floor() as usize, index.ceil() as usize);
        if lo == hi {
            return Some(v[lo]);
        }
        let weight = ((index - index.floor()) * 1e6).floor() / 1e6;
        Some(v[lo] + (v[hi] - v[lo]) * weight)
    }

    /// Values with repeats, negatives, zeros of both signs, infinities,
    /// NaN and nulls.
    fn values(rng: &mut StdRng, n: usize) -> Vec<Option<f64>> {
        (0..n)
            .map(|_| match rng.random_range(0..10) {
                0 => None,
                9 if rng.random_range(0..20) == 0 => Some(
                    [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][rng.random_range(0..3) as usize],
                ),
                1 => Some(-0.0),
                2 => Some(0.0),
                3 => Some((rng.random_range(0..5) as f64) * 1.5),
                _ => Some((rng.random_range(0..2_000_000) as f64 - 1e6) / 100.0),
            })
            .collect()
    }

    #[test]
    fn percentile_of_matches_sorting() {
        let mut rng = StdRng::seed_from_u64(7);
        for n in [1usize, 2, 3, 10, 101, 1000] {
            for p in [0.0, 0.01, 0.25, 0.5, 0.99, 0.999, 1.0] {
                let v: Vec<f64> = values(&mut rng, n).into_iter().flatten().collect();
                let got = percentile_of(&mut v.clone(), p);
                assert_eq!(
                    got.map(f64::to_bits),
                    sorted_percentile(&v, p).map(f64::to_bits),
                    "n {n}, p {p}"
                );
            }
        }
        assert_eq!(percentile_of(&mut [], 0.5), None);
    }

    /// Groups fed in batches with a filter, states of two partial
    /// accumulators merged into a final one, emitted whole and in parts
    /// (`EmitTo::First`): every group's answer is the sorting oracle's.
    #[test]
    fn grouped_partials_merged_and_emitted_in_parts_match_sorting() {
        let mut rng = StdRng::seed_from_u64(42);
        for p in [0.0, 0.5, 0.99, 1.0, 0.37] {
            let groups = 7;
            let mut want: Vec<Vec<f64>> = vec![Vec::new(); groups];
            let mut partials = [
                PercentileGroups::new(p, DataType::Float64),
                PercentileGroups::new(p, DataType::Float64),
            ];
            // Partial i sees groups in its own order: its group g is
            // global group (g + 3 i) % groups.
            for batch in 0..6 {
                let i = batch % 2;
                let n = 1 + rng.random_range(0..300) as usize;
                let vals = values(&mut rng, n);
                let local: Vec<usize> = (0..n)
                    .map(|_| rng.random_range(0..groups as u64) as usize)
                    .collect();
                let keep: Vec<Option<bool>> = (0..n)
                    .map(|_| match rng.random_range(0..8) {
                        0 => None,
                        1 => Some(false),
                        _ => Some(true),
                    })
                    .collect();
                for row in 0..n {
                    if let (Some(v), Some(true)) = (vals[row], keep[row]) {
                        want[(local[row] + 3 * i) % groups].push(v);
                    }
                }
                let array: ArrayRef = Arc::new(Float64Array::from(vals));
                let filter = BooleanArray::from(keep);
                partials[i]
                    .update_batch(&[array], &local, Some(&filter), groups)
                    .unwrap();
            }
            let mut last = PercentileGroups::new(p, DataType::Float64);
            for (i, partial) in partials.iter_mut().enumerate() {
                // Emit groups 0..3 first, then the rest (renumbered from 0).
                let first = partial.state(EmitTo::First(3)).unwrap();
                let rest = partial.state(EmitTo::All).unwrap();
                let to_global = |g: usize| (g + 3 * i) % groups;
                let ids: Vec<usize> = (0..3).map(to_global).collect();
                last.merge_batch(&first, &ids, groups).unwrap();
                let ids: Vec<usize> = (3..groups).map(to_global).collect();
                last.merge_batch(&rest, &ids, groups).unwrap();
            }
            let head = last.evaluate(EmitTo::First(2)).unwrap();
            let tail = last.evaluate(EmitTo::All).unwrap();
            let got: Vec<Option<u64>> = [head, tail]
                .iter()
                .flat_map(|a| a.as_primitive::<Float64Type>().iter().collect::<Vec<_>>())
                .map(|v| v.map(f64::to_bits))
                .collect();
            let want: Vec<Option<u64>> = want
                .iter()
                .map(|v| sorted_percentile(v, p).map(f64::to_bits))
                .collect();
            assert_eq!(got, want, "p {p}");
        }
    }

    /// Queries over the same table answered by DataFusion's own
    /// `percentile_cont` and by Strata's agree exactly, on one partition
    /// and several, with Strata's partial aggregation skipped (every row
    /// its own state) and not. (DataFusion's own panics when it skips:
    /// its `convert_to_state` asserts one argument and gets three.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sql_answers_equal_datafusions_own() {
        let mut rng = StdRng::seed_from_u64(3);
        let schema = Arc::new(Schema::new(vec![
            Field::new("g", DataType::Utf8, true),
            Field::new("v", DataType::Float64, true),
            Field::new("r", DataType::Float32, true),
            Field::new("h", DataType::Float16, true),
        ]));
        let batches: Vec<RecordBatch> = (0..8)
            .map(|_| {
                let n = 500;
                let g: StringArray = (0..n)
                    .map(|_| match rng.random_range(0..12) {
                        0 => None,
                        k => Some(format!("g{}", k % 6)),
                    })
                    .collect();
                let v = Float64Array::from(values(&mut rng, n));
                let r: arrow::array::Float32Array = (0..n)
                    .map(|_| Some(rng.random_range(0..1000) as f32 / 7.0))
                    .collect();
                let h = arrow::compute::cast(&r, &DataType::Float16).unwrap();
                RecordBatch::try_new(
                    schema.clone(),
                    vec![Arc::new(g), Arc::new(v), Arc::new(r), h],
                )
                .unwrap()
            })
            .collect();
        let queries = [
            "SELECT g, percentile_cont(0.99) WITHIN GROUP (ORDER BY v) FROM t GROUP BY g",
            "SELECT g, percentile_cont(0.25) WITHIN GROUP (ORDER BY v DESC) FROM t GROUP BY g",
            "SELECT g, percentile_cont(v, 0.5) FROM t GROUP BY g",
            "SELECT g, quantile_cont(v, 0.9) FILTER (WHERE r > 50) FROM t GROUP BY g",
            // (p = 0 and p = 1 become min and max before planning.)
            "SELECT g, percentile_cont(0.75) WITHIN GROUP (ORDER BY v) FROM t WHERE v IS NULL GROUP BY g",
            "SELECT g, percentile_cont(0.6) WITHIN GROUP (ORDER BY r) FROM t GROUP BY g",
            "SELECT g, percentile_cont(DISTINCT v, 0.5) FROM t GROUP BY g",
            "SELECT g, percentile_cont(0.5000015) WITHIN GROUP (ORDER BY h), percentile_cont(0.3) WITHIN GROUP (ORDER BY r) FILTER (WHERE v > 0) FROM t GROUP BY g",
            "SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY v) FROM t",
            "SELECT v, percentile_cont(0.5) WITHIN GROUP (ORDER BY r) FROM t GROUP BY v",
        ];
        for partitions in [1, 3] {
            for skip_partial in [false, true] {
                let theirs = SessionContext::new_with_config(config(partitions, 128, None));
                let ours = SessionContext::new_with_config(config(
                    partitions,
                    128,
                    skip_partial.then_some((10, 0.0)),
                ));
                ours.register_udaf(AggregateUDF::new_from_impl(PercentileContFunc::new()));
                for ctx in [&theirs, &ours] {
                    let parts: Vec<Vec<RecordBatch>> =
                        batches.chunks(2).map(|c| c.to_vec()).collect();
                    let table = MemTable::try_new(schema.clone(), parts).unwrap();
                    ctx.register_table("t", Arc::new(table)).unwrap();
                }
                if skip_partial && partitions > 1 {
                    // The partial aggregate did pass rows on as states.
                    let text = explain_analyze(&ours, queries[0]).await;
                    assert!(skipped_aggregation_rows(&text) > 0, "{text}");
                }
                for q in queries {
                    let (want, got) = (sorted(&theirs, q).await, sorted(&ours, q).await);
                    assert!(want.num_rows() > 0, "{q}");
                    assert_eq!(
                        got, want,
                        "{q}, {partitions} partitions, skip {skip_partial}"
                    );
                }
            }
        }
    }
}
