//! `message`, `attributes` and `stack_trace` rendered from a segment's
//! stored columns.
//!
//! Segments store these columns as shapes and variables
//! ([`strata_engine::segment::text_shapes`]); those written before that
//! encoding, or with it turned off, store the text. The Parquet scan reads
//! [`file_schema`]: the table's columns plus each shaped column's shape and
//! variables columns, each null in files that lack it. Where a query asks
//! for a shaped column, the scan also reads the fields its texts may refer
//! to ([`text_shapes::references`]), and a projection over the scan renders
//! it with [`RenderText`]: the text where the file stores it, else the
//! shape rendered with the variables and those fields.

use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use strata_engine::segment::text_shapes::{
    self, SHAPED_COLUMNS, references, shape_column, vars_column,
};

use crate::table_schema::table_schema;

static FILE_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let table = table_schema();
    // The shaped columns are nullable here: files that store shapes and
    // variables lack them.
    let mut fields: Vec<Field> = table
        .fields()
        .iter()
        .map(|f| match SHAPED_COLUMNS.contains(&f.name().as_str()) {
            true => f.as_ref().clone().with_nullable(true),
            false => f.as_ref().clone(),
        })
        .collect();
    for c in SHAPED_COLUMNS {
        fields.push(Field::new(shape_column(c), DataType::Utf8View, true));
        fields.push(Field::new(vars_column(c), DataType::Utf8View, true));
    }
    Arc::new(Schema::new_with_metadata(fields, table.metadata().clone()))
});

/// The schema the Parquet scan reads segments with: the table's columns,
/// then the shape and variables columns of each of [`SHAPED_COLUMNS`].
pub fn file_schema() -> SchemaRef {
    Arc::clone(&FILE_SCHEMA)
}

/// The columns of [`file_schema`] to read for the table's columns
/// `projection` (every column when `None`): those, then the shape and
/// variables columns of the shaped ones among them and the fields those
/// may refer to that `projection` lacks; and whether there are any shaped
/// ones.
pub fn file_projection(projection: Option<&Vec<usize>>) -> (Vec<usize>, bool) {
    let (table, file) = (table_schema(), file_schema());
    let mut columns: Vec<usize> = match projection {
        Some(p) => p.clone(),
        None => (0..table.fields().len()).collect(),
    };
    let mut renders = false;
    for c in SHAPED_COLUMNS {
        let i = table.index_of(c).expect("a column of logs");
        if columns.contains(&i) {
            renders = true;
            columns.push(file.index_of(&shape_column(c)).expect("in the file schema"));
            columns.push(file.index_of(&vars_column(c)).expect("in the file schema"));
            for r in references(c) {
                let r = table.index_of(r).expect("a column of logs");
                if !columns.contains(&r) {
                    columns.push(r);
                }
            }
        }
    }
    (columns, renders)
}

/// `scan` (of [`file_projection`]'s columns) under a projection to its
/// first `requested` columns (the table's the query asked for), the shaped
/// ones rendered.
pub fn render_over(
    scan: Arc<dyn ExecutionPlan>,
    requested: usize,
) -> Result<Arc<dyn ExecutionPlan>> {
    let input = scan.schema();
    let column = |name: &str| -> Result<Arc<dyn PhysicalExpr>> {
        Ok(Arc::new(Column::new(name, input.index_of(name)?)))
    };
    let mut exprs = Vec::with_capacity(requested);
    for f in input.fields().iter().take(requested) {
        let name = f.name();
        if !SHAPED_COLUMNS.contains(&name.as_str()) {
            exprs.push(ProjectionExpr::new(column(name)?, name.clone()));
            continue;
        }
        let udf = Arc::new(ScalarUDF::new_from_impl(RenderText::new(name)));
        let mut args = vec![
            column(name)?,
            column(&shape_column(name))?,
            column(&vars_column(name))?,
        ];
        for r in references(name) {
            args.push(column(r)?);
        }
        let render = ScalarFunctionExpr::try_new(udf, args, &input, Arc::new(Default::default()))?;
        exprs.push(ProjectionExpr::new(Arc::new(render), name.clone()));
    }
    Ok(Arc::new(ProjectionExec::try_new(exprs, scan)?))
}

/// A shaped column of a row from its stored columns: `(text, shape, vars,
/// referenced fields...)`. Not registered as a SQL function; the scan
/// builds it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RenderText {
    column: String,
    signature: Signature,
}

impl RenderText {
    /// Renders `column` (one of [`SHAPED_COLUMNS`]).
    pub fn new(column: &str) -> Self {
        RenderText {
            column: column.to_string(),
            signature: Signature::exact(
                vec![DataType::Utf8View; 3 + references(column).len()],
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for RenderText {
    fn name(&self) -> &str {
        "strata_render_text"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8View)
    }

    /// The table's field, so the rendered column has the type and
    /// nullability the table declares.
    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(
            table_schema().field_with_name(&self.column)?.clone(),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [text, shapes, vars, refs @ ..] = arrays.as_slice() else {
            return Err(DataFusionError::Internal(
                "strata_render_text takes at least three columns".into(),
            ));
        };
        Ok(ColumnarValue::Array(render(
            &self.column,
            text,
            shapes,
            vars,
            refs,
        )?))
    }
}

/// Each row's text where it has one, else its shape rendered with its
/// variables and `refs`, the fields `column` may refer to.
fn render(
    column: &str,
    text: &ArrayRef,
    shapes: &ArrayRef,
    vars: &ArrayRef,
    refs: &[ArrayRef],
) -> Result<ArrayRef> {
    if text.null_count() == 0 {
        return Ok(Arc::clone(text));
    }
    let refs: Vec<(&str, Option<&dyn Array>)> = references(column)
        .iter()
        .zip(refs)
        .map(|(name, r)| (*name, Some(r.as_ref())))
        .collect();
    let rendered = text_shapes::decode(shapes, vars, &refs, "(one of this scan's)")
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
    use strata_engine::schema::col;

    #[test]
    fn rows_render_from_whichever_columns_hold_them() {
        let messages = StringArray::from(vec!["job 17 done", "no variables", "x=3.5 y=4"]);
        let (shapes, vars) = text_shapes::encode(&messages, &[]);
        let view = |a: &dyn Array| arrow::compute::cast(a, &DataType::Utf8View).unwrap();
        // rows 0 and 2 from shape and variables, row 1 stored as text
        let text: ArrayRef = Arc::new(StringViewArray::from(vec![
            None,
            Some("no variables"),
            None,
        ]));
        let out = render("attributes", &text, &view(&shapes), &view(&vars), &[]).unwrap();
        let out: Vec<_> = out.as_string_view().iter().flatten().collect();
        assert_eq!(out, vec!["job 17 done", "no variables", "x=3.5 y=4"]);
        // all text: returned as it is; all encoded: rendered
        let all_text = view(&messages);
        assert_eq!(
            &render("attributes", &all_text, &view(&shapes), &view(&vars), &[]).unwrap(),
            &all_text
        );
        let none: ArrayRef = Arc::new(StringViewArray::from(vec![None::<&str>; 3]));
        assert_eq!(
            &render("attributes", &none, &view(&shapes), &view(&vars), &[]).unwrap(),
            &all_text
        );
    }

    /// A stack trace quoting its row's error message renders from the
    /// error message the scan read beside it.
    #[test]
    fn rows_render_with_the_fields_they_refer_to() {
        let errors = StringArray::from(vec![Some("disk full at 12"), None]);
        let traces = StringArray::from(vec![Some("IOError: disk full at 12\n  at f"), None]);
        let (shapes, vars) = text_shapes::encode(&traces, &[&errors]);
        assert!(vars.value(0).starts_with('\u{12}'), "{:?}", vars.value(0));
        let view = |a: &dyn Array| arrow::compute::cast(a, &DataType::Utf8View).unwrap();
        let none: ArrayRef = Arc::new(StringViewArray::from(vec![None::<&str>; 2]));
        let out = render(
            col::STACK_TRACE,
            &none,
            &view(&shapes),
            &view(&vars),
            &[view(&errors)],
        )
        .unwrap();
        assert_eq!(&out, &view(&traces));
    }

    #[test]
    fn file_projection_adds_the_stored_columns_of_shaped_columns_only() {
        let (table, file) = (table_schema(), file_schema());
        let at = |name: &str| file.index_of(name).unwrap();
        let message = table.index_of(col::MESSAGE).unwrap();
        let attributes = table.index_of(col::ATTRIBUTES).unwrap();
        let agent = table.index_of(col::AGENT_ID).unwrap();
        let execution = table.index_of(col::EXECUTION_ID).unwrap();
        assert_eq!(file_projection(Some(&vec![0, 3])), (vec![0, 3], false));
        // `message` also reads the execution it may refer to; its agent
        // is read already
        assert_eq!(
            file_projection(Some(&vec![attributes, message, agent])),
            (
                vec![
                    attributes,
                    message,
                    agent,
                    at("message_shape"),
                    at("message_vars"),
                    execution,
                    at("attributes_shape"),
                    at("attributes_vars")
                ],
                true
            )
        );
        let (all, renders) = file_projection(None);
        assert!(renders);
        assert_eq!(all.len(), table.fields().len() + 2 * SHAPED_COLUMNS.len());
    }
}
