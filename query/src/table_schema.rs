//! The schema of the `logs` table as SQL sees it: the engine's schema with
//! every string column as `Utf8View`.
//!
//! Parquet pages decode into views without copying the strings (a
//! dictionary page's values are shared by every row that uses them), and
//! DataFusion groups, hashes and compares views of short strings as
//! integers: a `GROUP BY service` over 10M rows took ~0.11 s instead of
//! ~0.22 s (BENCHMARKS.md, "Optimization round 5"). Segments keep `Utf8`
//! on disk; memtable batches are cast on the way in.

use std::sync::{Arc, LazyLock};

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::error::Result;
use strata_engine::schema::logs_schema;

static TABLE_SCHEMA: LazyLock<SchemaRef> =
    LazyLock::new(|| retyped(&logs_schema(), &DataType::Utf8, DataType::Utf8View));

/// `schema` with its columns of type `from` as `to`.
fn retyped(schema: &Schema, from: &DataType, to: DataType) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            t if t == from => f.as_ref().clone().with_data_type(to.clone()),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// The `logs` table's schema.
pub fn table_schema() -> SchemaRef {
    Arc::clone(&TABLE_SCHEMA)
}

/// `schema` with `Utf8View` columns as `Utf8`: what clients that read
/// results as Arrow IPC (the `Sql` RPC) receive, since not every Arrow
/// reader knows view types.
pub fn without_views(schema: &Schema) -> SchemaRef {
    retyped(schema, &DataType::Utf8View, DataType::Utf8)
}

/// `batch` cast to `schema` (from [`without_views`] of its schema).
pub fn cast_to(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| arrow::compute::cast(c, f.data_type()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// A batch of the engine's schema (a memtable batch) in the table's.
pub fn to_table_batch(batch: &RecordBatch) -> Result<RecordBatch> {
    cast_to(batch, &table_schema())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::AsArray;

    #[test]
    fn strings_become_views_and_nothing_else_changes() {
        let (base, table) = (logs_schema(), table_schema());
        assert_eq!(base.fields().len(), table.fields().len());
        for (b, t) in base.fields().iter().zip(table.fields()) {
            assert_eq!(b.name(), t.name());
            assert_eq!(b.is_nullable(), t.is_nullable());
            let want = match b.data_type() {
                DataType::Utf8 => &DataType::Utf8View,
                other => other,
            };
            assert_eq!(t.data_type(), want, "{}", b.name());
        }
        let records =
            strata_engine::sample::generate(&strata_engine::sample::SampleConfig::default(), 50);
        let batch = strata_engine::batch::records_to_batch(&records).unwrap();
        let cast = to_table_batch(&batch).unwrap();
        let idx = base.index_of(strata_engine::schema::col::MESSAGE).unwrap();
        let views = cast.column(idx).as_string_view();
        for (i, r) in records.iter().enumerate() {
            assert_eq!(views.value(i), r.message);
        }
        // and back: the engine's schema and values again
        let plain = cast_to(&cast, &without_views(&table)).unwrap();
        assert_eq!(plain.schema().fields(), base.fields());
        assert_eq!(plain.columns(), batch.columns());
    }
}
