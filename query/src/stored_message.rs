//! `message` rendered from a segment's stored columns.
//!
//! Segments store `message` as its shape and variables
//! ([`strata_engine::segment::message_codec`]); those written before that
//! encoding, or with it turned off, store the text. The Parquet scan reads
//! [`file_schema`]: the table's columns plus the shape and variables
//! columns, each null in files that lack it. Where a query asks for
//! `message`, a projection over the scan renders it with
//! [`RenderMessage`]: the text where the file stores it, else the shape
//! rendered with the variables.

use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::physical_expr::ScalarFunctionExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use strata_engine::schema::col;
use strata_engine::segment::message_codec::{self, SHAPE_COLUMN, VARS_COLUMN};

use crate::table_schema::table_schema;

static FILE_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let table = table_schema();
    // `message` is nullable here: files that store shape and variables
    // lack it
    let mut fields: Vec<Field> = table
        .fields()
        .iter()
        .map(|f| match f.name() == col::MESSAGE {
            true => f.as_ref().clone().with_nullable(true),
            false => f.as_ref().clone(),
        })
        .collect();
    for name in [SHAPE_COLUMN, VARS_COLUMN] {
        fields.push(Field::new(name, DataType::Utf8View, true));
    }
    Arc::new(Schema::new_with_metadata(fields, table.metadata().clone()))
});

/// The schema the Parquet scan reads segments with: the table's columns,
/// then [`SHAPE_COLUMN`] and [`VARS_COLUMN`].
pub fn file_schema() -> SchemaRef {
    Arc::clone(&FILE_SCHEMA)
}

/// The columns of [`file_schema`] to read for the table's columns
/// `projection` (every column when `None`): those, and the shape and
/// variables columns too when `message` is among them.
pub fn file_projection(projection: Option<&Vec<usize>>) -> (Vec<usize>, bool) {
    let table = table_schema();
    let mut columns: Vec<usize> = match projection {
        Some(p) => p.clone(),
        None => (0..table.fields().len()).collect(),
    };
    let message = table.index_of(col::MESSAGE).expect("logs has a message");
    let renders = columns.contains(&message);
    if renders {
        columns.push(table.fields().len());
        columns.push(table.fields().len() + 1);
    }
    (columns, renders)
}

/// `scan` (of [`file_projection`]'s columns, `message` among them) under a
/// projection to the table's columns with `message` rendered.
pub fn render_over(scan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    let input = scan.schema();
    let n = input.fields().len() - 2;
    let column = |i: usize| Arc::new(Column::new(input.field(i).name(), i));
    let udf = Arc::new(ScalarUDF::new_from_impl(RenderMessage::new()));
    let mut exprs = Vec::with_capacity(n);
    for (i, f) in input.fields().iter().take(n).enumerate() {
        if f.name() == col::MESSAGE {
            let render = ScalarFunctionExpr::try_new(
                Arc::clone(&udf),
                vec![column(i), column(n), column(n + 1)],
                &input,
                Arc::new(Default::default()),
            )?;
            exprs.push(ProjectionExpr::new(
                Arc::new(render),
                col::MESSAGE.to_string(),
            ));
        } else {
            exprs.push(ProjectionExpr::new(column(i), f.name().clone()));
        }
    }
    Ok(Arc::new(ProjectionExec::try_new(exprs, scan)?))
}

/// `message` of a row from its stored columns: `(message, shape, vars)`.
/// Not registered as a SQL function; the scan builds it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RenderMessage {
    signature: Signature,
}

impl RenderMessage {
    pub fn new() -> Self {
        RenderMessage {
            signature: Signature::exact(vec![DataType::Utf8View; 3], Volatility::Immutable),
        }
    }
}

impl Default for RenderMessage {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for RenderMessage {
    fn name(&self) -> &str {
        "strata_render_message"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8View)
    }

    /// The table's `message` field, so the rendered column has the type and
    /// nullability the table declares.
    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(
            table_schema().field_with_name(col::MESSAGE)?.clone(),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [text, shapes, vars] = arrays.as_slice() else {
            return Err(DataFusionError::Internal(
                "strata_render_message takes three columns".into(),
            ));
        };
        Ok(ColumnarValue::Array(render(text, shapes, vars)?))
    }
}

/// Each row's text where it has one, else its shape rendered with its
/// variables.
fn render(text: &ArrayRef, shapes: &ArrayRef, vars: &ArrayRef) -> Result<ArrayRef> {
    if text.null_count() == 0 {
        return Ok(Arc::clone(text));
    }
    let rendered = message_codec::decode(shapes, vars, "of this scan")
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
    let rendered = arrow::compute::cast(&rendered, &DataType::Utf8View)?;
    if text.null_count() == text.len() {
        return Ok(rendered);
    }
    // a batch of rows from files of both kinds
    let has_text = arrow::compute::is_not_null(text)?;
    Ok(arrow::compute::kernels::zip::zip(
        &has_text, text, &rendered,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, StringArray, StringViewArray};

    #[test]
    fn rows_render_from_whichever_columns_hold_them() {
        let messages = StringArray::from(vec!["job 17 done", "no variables", "x=3.5 y=4"]);
        let (shapes, vars) = message_codec::encode(&messages);
        let view = |a: &dyn Array| arrow::compute::cast(a, &DataType::Utf8View).unwrap();
        // rows 0 and 2 from shape and variables, row 1 stored as text
        let text: ArrayRef = Arc::new(StringViewArray::from(vec![
            None,
            Some("no variables"),
            None,
        ]));
        let out = render(&text, &view(&shapes), &view(&vars)).unwrap();
        let out: Vec<_> = out.as_string_view().iter().flatten().collect();
        assert_eq!(out, vec!["job 17 done", "no variables", "x=3.5 y=4"]);
        // all text: returned as it is; all encoded: rendered
        let all_text = view(&messages);
        assert_eq!(
            &render(&all_text, &view(&shapes), &view(&vars)).unwrap(),
            &all_text
        );
        let none: ArrayRef = Arc::new(StringViewArray::from(vec![None::<&str>; 3]));
        assert_eq!(
            &render(&none, &view(&shapes), &view(&vars)).unwrap(),
            &all_text
        );
    }

    #[test]
    fn file_projection_adds_the_stored_columns_only_for_message() {
        let table = table_schema();
        let message = table.index_of(col::MESSAGE).unwrap();
        let n = table.fields().len();
        assert_eq!(file_projection(Some(&vec![0, 3])), (vec![0, 3], false));
        assert_eq!(
            file_projection(Some(&vec![message])),
            (vec![message, n, n + 1], true)
        );
        let (all, renders) = file_projection(None);
        assert!(renders);
        assert_eq!(all.len(), n + 2);
        assert_eq!(file_schema().field(n).name(), SHAPE_COLUMN);
    }
}
