//! The `templates` table: every template mined so far.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::TableProvider;
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use strata_engine::Engine;
use strata_engine::schema::timestamp_type;

use crate::engine_err;

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("template_id", DataType::Int64, false),
        Field::new("canonical_id", DataType::Int64, false),
        Field::new("workspace_id", DataType::Utf8, false),
        Field::new("service", DataType::Utf8, false),
        Field::new("template", DataType::Utf8, false),
        Field::new("first_seen", timestamp_type(), false),
        Field::new("last_seen", timestamp_type(), false),
        Field::new("count", DataType::Int64, false),
        Field::new("example", DataType::Utf8, false),
    ]))
});

/// `templates(template_id, canonical_id, workspace_id, service, template,
/// first_seen, last_seen, count, example)`; `canonical_id` is the template
/// rows of `template_id` resolve to after generalisation.
#[derive(Debug, Clone)]
pub struct TemplatesTableProvider {
    engine: Engine,
}

impl TemplatesTableProvider {
    pub fn new(engine: Engine) -> Self {
        TemplatesTableProvider { engine }
    }

    /// The table's rows now.
    pub fn batch(&self) -> Result<RecordBatch> {
        let rows = self.engine.templates().map_err(engine_err)?;
        let ts = |v: Vec<i64>| TimestampMicrosecondArray::from(v).with_timezone("UTC");
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.template_id),
            )),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.canonical_id),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| &r.workspace_id),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| &r.service),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| &r.template),
            )),
            Arc::new(ts(rows.iter().map(|r| r.first_seen_us).collect())),
            Arc::new(ts(rows.iter().map(|r| r.last_seen_us).collect())),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.count as i64),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| &r.example),
            )),
        ];
        Ok(RecordBatch::try_new(SCHEMA.clone(), columns)?)
    }
}

#[async_trait]
impl TableProvider for TemplatesTableProvider {
    fn schema(&self) -> SchemaRef {
        SCHEMA.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        crate::batch_exec(self.batch()?, projection, limit)
    }
}
