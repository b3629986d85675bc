//! `search(column, 'query')`: full-text search.
//!
//! As a `WHERE` conjunct on a `logs` text column (`message`,
//! `error_message`, `stack_trace`) the table provider answers it with the
//! segments' indexes. Anywhere else (e.g. in a `SELECT` list) this function
//! evaluates the query on the values it is given, with the same tokenizer
//! and semantics; `field:value` clauses on other columns need the pushed
//! down form.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use strata_engine::text_query::{TEXT_FIELDS, TextQuery};

use crate::pushdown::SEARCH_FUNCTION;

/// `search(column, 'query') -> boolean`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SearchFunc {
    signature: Signature,
}

impl Default for SearchFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl SearchFunc {
    pub fn new() -> Self {
        let sig = |a: DataType, b: DataType| TypeSignature::Exact(vec![a, b]);
        let strings = [DataType::Utf8, DataType::Utf8View, DataType::LargeUtf8];
        let mut variants = Vec::new();
        for a in &strings {
            for b in &strings {
                variants.push(sig(a.clone(), b.clone()));
            }
        }
        SearchFunc {
            signature: Signature::one_of(variants, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for SearchFunc {
    fn name(&self) -> &str {
        SEARCH_FUNCTION
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let query = match &args.args[1] {
            ColumnarValue::Scalar(
                ScalarValue::Utf8(Some(q))
                | ScalarValue::Utf8View(Some(q))
                | ScalarValue::LargeUtf8(Some(q)),
            ) => q.clone(),
            _ => {
                return Err(DataFusionError::Plan(
                    "search(): the query must be a non-null string literal".into(),
                ));
            }
        };
        let name = args.arg_fields[0].name();
        let Some(field) = TEXT_FIELDS.iter().copied().find(|f| f == name) else {
            return Err(DataFusionError::Plan(format!(
                "search(): the first argument must be one of the columns {}, not '{name}'",
                TEXT_FIELDS.join(", ")
            )));
        };
        let q = TextQuery::parse(&query, field)
            .map_err(|e| DataFusionError::Plan(format!("search(): {e}")))?;
        if let Some(other) = q.fields().into_iter().find(|f| f != field) {
            return Err(DataFusionError::Plan(format!(
                "search(): the clause on field '{other}' can only be answered when search() \
                 filters the logs table directly (in WHERE)"
            )));
        }
        let values: ArrayRef = match &args.args[0] {
            ColumnarValue::Array(a) => a.clone(),
            ColumnarValue::Scalar(s) => s.to_array_of_size(args.number_rows)?,
        };
        let values = arrow::compute::cast(&values, &DataType::Utf8)?;
        let schema = Schema::new(vec![Field::new(field, DataType::Utf8, true)]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![values.clone()])?;
        let mask = q.evaluate(&batch)?;
        // a null input is not a match, but stays null like other predicates
        let mask: ArrayRef = if values.null_count() > 0 {
            arrow::compute::nullif(&mask, &arrow::compute::is_null(&values)?)?
        } else {
            Arc::new(mask)
        };
        Ok(ColumnarValue::Array(mask))
    }
}
