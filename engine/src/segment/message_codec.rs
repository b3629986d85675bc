//! Template-aware storage of `message`, in the spirit of CLP.
//!
//! Segments do not store `message` as text. Each message is split into its
//! *shape* (the text with every variable replaced by a placeholder) and its
//! *variables* (joined by a separator), stored as two columns:
//! `message_shape`, dictionary-encoded (a segment holds a few hundred
//! shapes, so a row costs a dictionary index), and `message_vars`, plain and
//! zstd-compressed. A variable is a maximal run of ASCII letters, digits,
//! `_`, `-` and `.` that holds a digit (`exec-019b8b74…`, `4.91`,
//! `agent-security-4`, `v1.2`); the rest (words, punctuation, spaces) is the
//! shape. Splitting is exact: rendering a shape with its variables gives the
//! message back byte for byte. A message holding the placeholder or the
//! separator (control characters) is stored whole in `message_vars` with no
//! shape.
//!
//! Readers see `message` again: [`to_logs`] renders stored batches into the
//! engine's schema, and segments written before this encoding (with a
//! `message` column) are read as they are.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};
use crate::schema::{col, logs_schema};

/// Column of the message shapes.
pub const SHAPE_COLUMN: &str = "message_shape";
/// Column of the message variables.
pub const VARS_COLUMN: &str = "message_vars";

/// Stands for one variable in a shape.
const PLACEHOLDER: char = '\u{11}';
/// Separates the variables of one message.
const SEPARATOR: char = '\u{1f}';

fn in_variable(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Appends the shape and the variables of `message` to `shape` and `vars`;
/// false (nothing appended) when the message holds the placeholder or the
/// separator, so cannot be split.
pub fn split(message: &str, shape: &mut String, vars: &mut String) -> bool {
    if message.contains([PLACEHOLDER, SEPARATOR]) {
        return false;
    }
    let bytes = message.as_bytes();
    let (mut at, mut copied, mut first) = (0, 0, true);
    while at < bytes.len() {
        if !in_variable(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && in_variable(bytes[at]) {
            at += 1;
        }
        // runs are ASCII, so both ends are char boundaries
        let run = &message[start..at];
        if run.bytes().any(|b| b.is_ascii_digit()) {
            shape.push_str(&message[copied..start]);
            shape.push(PLACEHOLDER);
            if !first {
                vars.push(SEPARATOR);
            }
            vars.push_str(run);
            first = false;
            copied = at;
        }
    }
    shape.push_str(&message[copied..]);
    true
}

/// Appends the message of `shape` rendered with `vars` to `out`; `None`
/// when the variables do not fit the shape (a corrupt row).
pub fn render(shape: &str, vars: &str, out: &mut String) -> Option<()> {
    let mut values = vars.split(SEPARATOR);
    let mut pieces = shape.split(PLACEHOLDER);
    out.push_str(pieces.next()?);
    let mut used = 0;
    for piece in pieces {
        out.push_str(values.next()?);
        out.push_str(piece);
        used += 1;
    }
    // "" splits into one empty value: a shape without variables has vars ""
    match (used, values.next()) {
        (0, Some("")) | (_, None) => Some(()),
        _ => None,
    }
}

/// The shape and variables columns of `messages` (null where the message
/// is null; a message that cannot be split has a null shape and itself as
/// variables).
pub fn encode(messages: &StringArray) -> (StringArray, StringArray) {
    let n = messages.len();
    let bytes = messages.value_data().len();
    let mut shapes = StringBuilder::with_capacity(n, bytes);
    let mut vars = StringBuilder::with_capacity(n, bytes / 2);
    let (mut shape, mut var) = (String::new(), String::new());
    for m in messages.iter() {
        let Some(m) = m else {
            shapes.append_null();
            vars.append_null();
            continue;
        };
        shape.clear();
        var.clear();
        if split(m, &mut shape, &mut var) {
            shapes.append_value(&shape);
            vars.append_value(&var);
        } else {
            shapes.append_null();
            vars.append_value(m);
        }
    }
    (shapes.finish(), vars.finish())
}

/// Values of a string column of either layout (`Utf8` or `Utf8View`).
fn strings<'a>(a: &'a dyn Array) -> Result<Box<dyn Fn(usize) -> Option<&'a str> + 'a>> {
    match a.data_type() {
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            Ok(Box::new(move |i| s.is_valid(i).then(|| s.value(i))))
        }
        DataType::Utf8View => {
            let s = a.as_string_view();
            Ok(Box::new(move |i| s.is_valid(i).then(|| s.value(i))))
        }
        other => Err(Error::Corrupt {
            what: "message columns".into(),
            reason: format!("must hold strings, found {other}"),
        }),
    }
}

/// The messages of the `shapes` and `vars` columns ([`encode`]'s inverse).
/// `segment` names the segment in the error a corrupt row gives.
pub fn decode(shapes: &dyn Array, vars: &dyn Array, segment: &str) -> Result<StringArray> {
    let (shape_of, vars_of) = (strings(shapes)?, strings(vars)?);
    let mut out = StringBuilder::with_capacity(vars.len(), 0);
    let mut message = String::new();
    for i in 0..vars.len() {
        match (shape_of(i), vars_of(i)) {
            (_, None) => out.append_null(),
            (None, Some(whole)) => out.append_value(whole),
            (Some(shape), Some(v)) => {
                message.clear();
                render(shape, v, &mut message).ok_or_else(|| Error::Corrupt {
                    what: format!("segment {segment}"),
                    reason: format!("row {i}'s message variables do not fit its shape"),
                })?;
                out.append_value(&message);
            }
        }
    }
    Ok(out.finish())
}

/// The schema segments are written with: the engine's, with `message`
/// replaced by [`SHAPE_COLUMN`] and [`VARS_COLUMN`] at the end.
pub fn stored_schema() -> SchemaRef {
    let logs = logs_schema();
    let mut fields: Vec<Field> = logs
        .fields()
        .iter()
        .filter(|f| f.name() != col::MESSAGE)
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new(SHAPE_COLUMN, DataType::Utf8, true));
    fields.push(Field::new(VARS_COLUMN, DataType::Utf8, true));
    Arc::new(Schema::new_with_metadata(fields, logs.metadata().clone()))
}

/// Indices in a segment's file `schema` of the columns that hold `field`:
/// its own, or the shape and variables columns for `message` where the
/// file stores it so.
pub fn stored_columns(schema: &Schema, field: &str) -> Result<Vec<usize>> {
    if field == col::MESSAGE && schema.index_of(col::MESSAGE).is_err() {
        return Ok(vec![
            schema.index_of(SHAPE_COLUMN)?,
            schema.index_of(VARS_COLUMN)?,
        ]);
    }
    Ok(vec![schema.index_of(field)?])
}

/// A batch of the engine's schema as segments store it ([`stored_schema`]).
pub fn to_stored(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns() + 1);
    let mut message = None;
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        if f.name() == col::MESSAGE {
            message = Some(c.as_string::<i32>());
        } else {
            columns.push(c.clone());
        }
    }
    let message = message.ok_or_else(|| Error::Corrupt {
        what: "batch".into(),
        reason: "no message column".into(),
    })?;
    let (shapes, vars) = encode(message);
    columns.push(Arc::new(shapes));
    columns.push(Arc::new(vars));
    Ok(RecordBatch::try_new(stored_schema(), columns)?)
}

/// A batch read from a segment (all its columns or some) with `message`
/// rendered from the shape and variables columns in their place; batches
/// of segments that store `message` as text come back as they are. Column
/// order: the batch's, `message` where the shape column was.
pub fn to_logs(batch: &RecordBatch, segment: &str) -> Result<RecordBatch> {
    let schema = batch.schema();
    let (Ok(s), Ok(v)) = (schema.index_of(SHAPE_COLUMN), schema.index_of(VARS_COLUMN)) else {
        return Ok(batch.clone());
    };
    let message = decode(batch.column(s), batch.column(v), segment)?;
    let logs = logs_schema();
    let message_field = logs.field_with_name(col::MESSAGE)?.clone();
    let (mut fields, mut columns) = (Vec::new(), Vec::<ArrayRef>::new());
    for (i, (f, c)) in schema.fields().iter().zip(batch.columns()).enumerate() {
        if i == s {
            fields.push(message_field.clone());
            columns.push(Arc::new(message.clone()));
        } else if i != v {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
        columns,
    )?)
}

/// A whole stored row batch in the engine's schema and column order.
pub fn to_logs_schema(batch: &RecordBatch, segment: &str) -> Result<RecordBatch> {
    let batch = to_logs(batch, segment)?;
    let logs = logs_schema();
    let columns = logs
        .fields()
        .iter()
        .map(|f| Ok(batch.column(batch.schema().index_of(f.name())?).clone()))
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(logs, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(m: &str) -> Option<(String, String)> {
        let (mut shape, mut vars) = (String::new(), String::new());
        split(m, &mut shape, &mut vars).then_some((shape, vars))
    }

    #[test]
    fn variables_are_the_runs_holding_a_digit() {
        let (shape, vars) =
            parts("Execution exec-019b8b74 started for agent agent-security-4 (trigger=api, max_steps=20)")
                .unwrap();
        assert_eq!(
            shape,
            "Execution \u{11} started for agent \u{11} (trigger=api, max_steps=\u{11})"
        );
        assert_eq!(vars, "exec-019b8b74\u{1f}agent-security-4\u{1f}20");
        // none: the whole message is the shape, no variables
        assert_eq!(
            parts("Policy check passed").unwrap(),
            ("Policy check passed".into(), String::new())
        );
        // a variable at either end, and non-ASCII text beside one
        assert_eq!(
            parts("42 über 3.5ms").unwrap(),
            ("\u{11} über \u{11}".into(), "42\u{1f}3.5ms".into())
        );
    }

    /// Every message comes back byte for byte, through the columns too.
    #[test]
    fn messages_round_trip_exactly() {
        let cases = [
            "",
            " ",
            "7",
            "a",
            "  leading and trailing  ",
            "exec-1 exec-2  exec-3",
            "tokens=1024/4096 (25.0%) at 2026-01-05T00:00:00.014854Z",
            "path /v1/items/123?limit=5&page=2",
            "naïve café ß 日本語 123 — 4.5",
            "-.-_ 1-.-_",
            "tab\tand\nnewline 9",
            "holds the placeholder \u{11} 1",
            "holds the separator \u{1f} 2",
            "\u{11}\u{1f}",
        ];
        for m in cases {
            let split_ok = parts(m);
            if let Some((shape, vars)) = &split_ok {
                let mut out = String::new();
                render(shape, vars, &mut out).unwrap();
                assert_eq!(out, m);
            } else {
                assert!(m.contains(['\u{11}', '\u{1f}']), "{m:?}");
            }
        }
        let mut values: Vec<Option<&str>> = cases.iter().map(|m| Some(*m)).collect();
        values.insert(3, None);
        let messages = StringArray::from(values.clone());
        let (shapes, vars) = encode(&messages);
        assert_eq!(shapes.null_count(), 4, "null and the three unsplittable");
        let back = decode(&shapes, &vars, "s").unwrap();
        assert_eq!(back, messages);
        // views decode the same
        let view = |a: &StringArray| arrow::compute::cast(a, &DataType::Utf8View).unwrap();
        assert_eq!(decode(&view(&shapes), &view(&vars), "s").unwrap(), messages);
    }

    #[test]
    fn variables_that_do_not_fit_their_shape_are_an_error() {
        let shapes = StringArray::from(vec![Some("a \u{11} b \u{11}"), Some("x")]);
        for vars in [
            vec![Some("1"), Some("")],
            vec![Some("1\u{1f}2\u{1f}3"), Some("")],
        ] {
            let err = decode(&shapes, &StringArray::from(vars), "seg-1").unwrap_err();
            assert!(err.to_string().contains("segment seg-1: row 0"), "{err}");
        }
        let err = decode(
            &StringArray::from(vec![Some("x")]),
            &StringArray::from(vec![Some("1")]),
            "seg-2",
        )
        .unwrap_err();
        assert!(err.to_string().contains("row 0"), "{err}");
    }

    #[test]
    fn stored_batches_render_back_to_the_logs_schema() {
        let records = crate::sample::generate(&crate::sample::SampleConfig::default(), 500);
        let batch = crate::batch::records_to_batch(&records).unwrap();
        let stored = to_stored(&batch).unwrap();
        assert!(stored.schema().index_of(col::MESSAGE).is_err());
        assert_eq!(stored.schema(), stored_schema());
        assert_eq!(to_logs_schema(&stored, "s").unwrap(), batch);
        // a projection holding the two message columns only
        let some = stored
            .project(&[
                stored.schema().index_of(SHAPE_COLUMN).unwrap(),
                stored.schema().index_of(VARS_COLUMN).unwrap(),
            ])
            .unwrap();
        let logs = to_logs(&some, "s").unwrap();
        assert_eq!(logs.schema().field(0).name(), col::MESSAGE);
        let want = batch.column(batch.schema().index_of(col::MESSAGE).unwrap());
        assert_eq!(logs.column(0), want);
        // a batch with `message` as text (older segments) is read as it is
        assert_eq!(to_logs_schema(&batch, "s").unwrap(), batch);
    }
}
