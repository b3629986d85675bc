//! Row-level evaluation of a [`TextQuery`], with the index's semantics, for
//! rows that have no index yet: one row at a time ([`TextQuery::matches`]) or
//! a whole Arrow batch ([`TextQuery::evaluate`]).

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBufferBuilder, LargeStringArray, StringArray,
    StringViewArray,
};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use tantivy::tokenizer::{MAX_TOKEN_LEN, TextAnalyzer};

use super::{TextQuery, TokenBuf, default_analyzer};

impl TextQuery {
    /// Evaluate the query on one row, with the same result the index would
    /// give. `get(field)` returns the row's value of that column; `None` is
    /// null, which never matches a positive clause (so `NOT x` matches it).
    pub fn matches<'v>(&self, get: &dyn Fn(&str) -> Option<&'v str>) -> bool {
        let fields = self.field_refs();
        let mut row = RowEval::new(fields.len());
        row.set_row(fields.iter().map(|f| get(f)));
        row.eval(&fields, self)
    }

    /// Evaluate the query on every row of `batch`, whose columns are named
    /// after the fields (`Utf8`, `LargeUtf8`, `Utf8View`, a dictionary of one
    /// of those, or `Null`). Returns one non-null bool per row; a column the
    /// query reads that is missing or not a string column is an error.
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<BooleanArray, ArrowError> {
        let fields = self.field_refs();
        let columns = fields
            .iter()
            .map(|f| StrColumn::try_new(batch, f))
            .collect::<Result<Vec<_>, _>>()?;
        let mut row = RowEval::new(fields.len());
        let mut out = BooleanBufferBuilder::new(batch.num_rows());
        for i in 0..batch.num_rows() {
            row.set_row(columns.iter().map(|c| c.value(i)));
            out.append(row.eval(&fields, self));
        }
        Ok(BooleanArray::new(out.finish(), None))
    }
}

/// One row's field values (indexed like the query's `field_refs()`) and their
/// tokens, analyzed lazily, at most once per field and row, into buffers that
/// are reused across rows.
struct RowEval<'v> {
    values: Vec<Option<&'v str>>,
    tokens: Vec<TokenBuf>,
    analyzed: Vec<bool>,
    analyzer: TextAnalyzer,
}

impl<'v> RowEval<'v> {
    fn new(num_fields: usize) -> Self {
        RowEval {
            values: Vec::with_capacity(num_fields),
            tokens: (0..num_fields).map(|_| TokenBuf::default()).collect(),
            analyzed: vec![false; num_fields],
            analyzer: default_analyzer(),
        }
    }

    fn set_row(&mut self, values: impl Iterator<Item = Option<&'v str>>) {
        self.values.clear();
        self.values.extend(values);
        self.analyzed.fill(false);
    }

    fn slot(fields: &[&str], field: &str) -> usize {
        fields
            .iter()
            .position(|f| *f == field)
            .expect("invariant: field_refs() lists every field the query reads")
    }

    fn text(&mut self, fields: &[&str], field: &str) -> Option<&TokenBuf> {
        let i = Self::slot(fields, field);
        let value = self.values[i]?;
        if !self.analyzed[i] {
            self.tokens[i].fill(&mut self.analyzer, value);
            self.analyzed[i] = true;
        }
        Some(&self.tokens[i])
    }

    /// The raw value as the index sees it: tantivy drops a token longer than
    /// `MAX_TOKEN_LEN` bytes, so such a value matches nothing.
    fn raw(&self, fields: &[&str], field: &str) -> Option<&'v str> {
        self.values[Self::slot(fields, field)].filter(|v| v.len() <= MAX_TOKEN_LEN)
    }

    fn eval(&mut self, fields: &[&str], q: &TextQuery) -> bool {
        match q {
            TextQuery::Phrase { field, tokens } => self
                .text(fields, field)
                .is_some_and(|t| t.contains_phrase(tokens)),
            TextQuery::Prefix { field, prefix } => self
                .text(fields, field)
                .is_some_and(|t| t.contains_prefix(prefix)),
            TextQuery::RawEq { field, value } => {
                self.raw(fields, field).is_some_and(|v| v == value)
            }
            TextQuery::RawPrefix { field, prefix } => self
                .raw(fields, field)
                .is_some_and(|v| v.starts_with(prefix.as_str())),
            TextQuery::And(children) => children.iter().all(|c| self.eval(fields, c)),
            TextQuery::Or(children) => children.iter().any(|c| self.eval(fields, c)),
            TextQuery::Not(inner) => !self.eval(fields, inner),
        }
    }
}

/// A string column of a batch, whatever its string layout.
enum StrColumn {
    Utf8(StringArray),
    LargeUtf8(LargeStringArray),
    Utf8View(StringViewArray),
    Null,
}

impl StrColumn {
    fn try_new(batch: &RecordBatch, name: &str) -> Result<Self, ArrowError> {
        let column = batch.column_by_name(name).ok_or_else(|| {
            ArrowError::SchemaError(format!(
                "text query reads column `{name}`, which the batch does not have"
            ))
        })?;
        let column: ArrayRef = match column.data_type() {
            DataType::Dictionary(_, values)
                if matches!(
                    values.as_ref(),
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) =>
            {
                cast(column, values)?
            }
            _ => column.clone(),
        };
        Ok(match column.data_type() {
            DataType::Utf8 => StrColumn::Utf8(column.as_string::<i32>().clone()),
            DataType::LargeUtf8 => StrColumn::LargeUtf8(column.as_string::<i64>().clone()),
            DataType::Utf8View => StrColumn::Utf8View(column.as_string_view().clone()),
            DataType::Null => StrColumn::Null,
            other => {
                return Err(ArrowError::InvalidArgumentError(format!(
                    "text query needs column `{name}` to hold strings, but it is {other}"
                )));
            }
        })
    }

    fn value(&self, i: usize) -> Option<&str> {
        match self {
            StrColumn::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            StrColumn::LargeUtf8(a) => a.is_valid(i).then(|| a.value(i)),
            StrColumn::Utf8View(a) => a.is_valid(i).then(|| a.value(i)),
            StrColumn::Null => None,
        }
    }
}
