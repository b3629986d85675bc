//! [`LogsTableProvider`]: the `logs` table.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::DFSchema;
use datafusion::datasource::TableProvider;
use datafusion::datasource::TableType;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::physical_plan::parquet::{
    CachedParquetFileReaderFactory, ParquetAccessPlan,
};
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::union::UnionExec;
use strata_engine::segment::row_selection::group_selections;
use strata_engine::{Engine, SegmentScan};

use crate::engine_err;
use crate::page_index_reader::PageIndexReaderFactory;
use crate::pushdown;
use crate::scan_exec::LogsScanExec;
use crate::stored_text;
use crate::table_schema::{table_schema, to_table_batch};

/// The `logs` table over an engine: a snapshot of segments plus memtable.
#[derive(Debug, Clone)]
pub struct LogsTableProvider {
    engine: Engine,
    store_url: ObjectStoreUrl,
}

impl LogsTableProvider {
    /// A provider reading segments through the store registered at `store_url`.
    pub fn new(engine: Engine, store_url: ObjectStoreUrl) -> Self {
        LogsTableProvider { engine, store_url }
    }

    /// The engine the table reads.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// The Parquet access plan reading only `rows` (ascending ordinals).
pub fn access_plan(row_groups: &[u64], rows: &[u32]) -> ParquetAccessPlan {
    let mut plan = ParquetAccessPlan::new_all(row_groups.len());
    for (g, selection) in group_selections(row_groups, rows).into_iter().enumerate() {
        match selection {
            Some(s) => plan.scan_selection(g, s),
            None => plan.skip(g),
        }
    }
    plan
}

fn partitioned_file(s: &SegmentScan) -> PartitionedFile {
    let file = PartitionedFile::new(s.meta.parquet_path.clone(), s.meta.parquet_bytes);
    match &s.rows {
        Some(rows) => file.with_extension(access_plan(&s.meta.row_groups, rows)),
        None => file,
    }
}

#[async_trait]
impl TableProvider for LogsTableProvider {
    fn schema(&self) -> SchemaRef {
        table_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters.iter().map(|f| pushdown::classify(f)).collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = table_schema();
        let predicate = pushdown::to_predicate(filters)?;
        let snapshot = self.engine.snapshot().map_err(engine_err)?;
        let plan = self
            .engine
            .plan_scan(snapshot, &predicate)
            .await
            .map_err(engine_err)?;

        let mut children: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
        if !plan.segments.is_empty() {
            // Footers and page indexes of the immutable segments are kept in
            // the session's metadata cache, so a warm query parses none.
            let runtime = state.runtime_env();
            // Files read with a row selection also keep their page index
            // there, so only the selected rows' pages are fetched.
            let factory = PageIndexReaderFactory::new(CachedParquetFileReaderFactory::new(
                runtime.object_store(&self.store_url)?,
                runtime.cache_manager.get_file_metadata_cache(),
            ));
            let file_schema = stored_text::file_schema();
            let mut source = ParquetSource::new(file_schema.clone())
                .with_enable_page_index(true)
                .with_parquet_file_reader_factory(Arc::new(factory));
            // Statistics pruning (row groups, pages) from the non-search
            // filters (never on `message`: those are not pushed down, see
            // `pushdown::classify`; files storing shape and variables lack
            // the column).
            let prunable: Vec<Expr> = filters
                .iter()
                .filter(|f| !pushdown::is_search(f))
                .cloned()
                .collect();
            if let Some(expr) = conjunction(prunable) {
                let df_schema = DFSchema::try_from(file_schema.as_ref().clone())?;
                source = source.with_predicate(state.create_physical_expr(expr, &df_schema)?);
            }
            // Newest segments first in every group, so a TopK on timestamp
            // tightens its dynamic filter early and prunes older files.
            let partitions = state.config().target_partitions().max(1);
            let groups_n = partitions.min(plan.segments.len());
            let mut groups: Vec<Vec<PartitionedFile>> = vec![Vec::new(); groups_n];
            for (i, s) in plan.segments.iter().enumerate() {
                groups[i % groups_n].push(partitioned_file(s));
            }
            let (columns, renders) = stored_text::file_projection(projection);
            let config = FileScanConfigBuilder::new(self.store_url.clone(), Arc::new(source))
                .with_file_groups(groups.into_iter().map(FileGroup::new).collect())
                .with_projection_indices(Some(columns))?
                .with_limit(limit)
                .build();
            let scan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
            children.push(if renders {
                let requested = projection.map_or(schema.fields().len(), Vec::len);
                stored_text::render_over(scan, requested)?
            } else {
                scan
            });
        }
        if !plan.memtable.is_empty() {
            let memtable = plan
                .memtable
                .iter()
                .map(to_table_batch)
                .collect::<Result<Vec<_>>>()?;
            let mem = MemorySourceConfig::try_new(
                std::slice::from_ref(&memtable),
                schema.clone(),
                projection.cloned(),
            )?
            .with_limit(limit);
            children.push(DataSourceExec::from_data_source(mem));
        }
        let input: Arc<dyn ExecutionPlan> = match children.len() {
            0 => {
                let projected = match projection {
                    Some(p) => Arc::new(schema.project(p)?),
                    None => schema,
                };
                Arc::new(EmptyExec::new(projected))
            }
            1 => children.remove(0),
            _ => UnionExec::try_new(children)?,
        };
        Ok(Arc::new(LogsScanExec::new(
            input,
            plan.stats,
            Arc::new(plan.snapshot),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::datasource::physical_plan::parquet::RowGroupAccess;
    use datafusion::parquet::arrow::arrow_reader::RowSelector;

    /// A run of consecutive rows across a row-group boundary is split at
    /// it (at 10M records a common term selected rows 65,535 and 65,536 of
    /// a segment, and the first group's selection covered 65,537 rows).
    #[test]
    fn access_plan_splits_runs_at_row_group_boundaries() {
        let plan = access_plan(&[4, 4], &[2, 3, 4, 5]);
        let groups = plan.inner();
        let sel = |g: usize| match &groups[g] {
            RowGroupAccess::Selection(s) => s.iter().cloned().collect::<Vec<_>>(),
            other => panic!("group {g}: {other:?}"),
        };
        assert_eq!(sel(0), vec![RowSelector::skip(2), RowSelector::select(2)]);
        assert_eq!(sel(1), vec![RowSelector::select(2), RowSelector::skip(2)]);
    }

    #[test]
    fn access_plan_selects_exactly_the_rows() {
        // 3 row groups of 4 rows: rows 1,2 (g0), none (g1), 8, 11 (g2)
        let plan = access_plan(&[4, 4, 4], &[1, 2, 8, 11]);
        let groups = plan.inner();
        assert_eq!(groups[1], RowGroupAccess::Skip);
        let sel = |g: usize| match &groups[g] {
            RowGroupAccess::Selection(s) => s.iter().cloned().collect::<Vec<_>>(),
            other => panic!("group {g}: {other:?}"),
        };
        assert_eq!(
            sel(0),
            vec![
                RowSelector::skip(1),
                RowSelector::select(2),
                RowSelector::skip(1)
            ]
        );
        assert_eq!(
            sel(2),
            vec![
                RowSelector::select(1),
                RowSelector::skip(2),
                RowSelector::select(1)
            ]
        );
    }
}
