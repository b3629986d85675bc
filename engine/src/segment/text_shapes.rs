//! Template-aware storage of `message` and `attributes`, in the spirit of
//! CLP.
//!
//! Segments do not store these columns as text. Each value is split into
//! its *shape* (the text with every variable replaced by a placeholder)
//! and its *variables* (joined by a separator), stored as two columns,
//! `<column>_shape`, dictionary-encoded (a segment holds a few hundred
//! shapes, so a row costs a dictionary index), and `<column>_vars`, plain
//! and zstd-compressed. A variable is a maximal run of ASCII letters,
//! digits, `_`, `-` and `.` that holds a digit (`exec-019b8b74…`, `4.91`,
//! `agent-security-4`, `us-west-2`); the rest (words, punctuation, JSON
//! keys, spaces) is the shape. Splitting is exact: rendering a shape with
//! its variables gives the value back byte for byte. A value holding the
//! placeholder or the separator (control characters) is stored whole in
//! the variables column with no shape.
//!
//! Readers see the text again: [`to_logs`] renders stored batches into the
//! engine's schema, and segments that store the columns as text (written
//! before this encoding, or with `text_shapes` off) are read as they are.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayAccessor, ArrayRef, AsArray, BooleanBufferBuilder, RecordBatch, StringArray,
    StringBuilder,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};
use crate::schema::{col, logs_schema};

/// Stands for one variable in a shape.
const PLACEHOLDER: char = '\u{11}';
/// Separates the variables of one message.
const SEPARATOR: char = '\u{1f}';

/// Bytes a variable is made of: ASCII letters, digits, `_`, `-`, `.`.
const IN_VARIABLE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.';
        b += 1;
    }
    t
};

/// Whether `text` holds the placeholder or the separator (both ASCII, so a
/// byte test is exact).
fn holds_reserved(text: &str) -> bool {
    text.bytes().fold(false, |seen, b| {
        seen | (b == PLACEHOLDER as u8) | (b == SEPARATOR as u8)
    })
}

/// Appends the shape and the variables of `message` to `shape` and `vars`;
/// false (nothing appended) when the message holds the placeholder or the
/// separator, so cannot be split.
pub fn split(message: &str, shape: &mut String, vars: &mut String) -> bool {
    if holds_reserved(message) {
        return false;
    }
    let bytes = message.as_bytes();
    let (mut at, mut copied, mut first) = (0, 0, true);
    while at < bytes.len() {
        if !IN_VARIABLE[bytes[at] as usize] {
            at += 1;
            continue;
        }
        let start = at;
        let mut digit = false;
        while at < bytes.len() && IN_VARIABLE[bytes[at] as usize] {
            digit |= bytes[at].is_ascii_digit();
            at += 1;
        }
        if digit {
            // runs are ASCII, so both ends are char boundaries
            shape.push_str(&message[copied..start]);
            shape.push(PLACEHOLDER);
            if !first {
                vars.push(SEPARATOR);
            }
            vars.push_str(&message[start..at]);
            first = false;
            copied = at;
        }
    }
    shape.push_str(&message[copied..]);
    true
}

/// Appends `shape` rendered with `vars` to `out`: each placeholder
/// replaced by the next separator-delimited value; false unless the values
/// and the placeholders pair up exactly (a corrupt row).
fn render_bytes(shape: &[u8], vars: &[u8], out: &mut Vec<u8>) -> bool {
    let (mut from, mut next, mut used) = (0, 0, 0);
    for (at, &b) in shape.iter().enumerate() {
        if b != PLACEHOLDER as u8 {
            continue;
        }
        if next > vars.len() {
            return false;
        }
        let end = vars[next..]
            .iter()
            .position(|&c| c == SEPARATOR as u8)
            .map_or(vars.len(), |p| next + p);
        if end == next {
            // a variable holds a digit: an empty one is damage
            return false;
        }
        out.extend_from_slice(&shape[from..at]);
        out.extend_from_slice(&vars[next..end]);
        (from, next, used) = (at + 1, end + 1, used + 1);
    }
    out.extend_from_slice(&shape[from..]);
    // every value used: one past the last; none: no values at all
    match used {
        0 => vars.is_empty(),
        _ => next == vars.len() + 1,
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

/// The messages of the `shapes` and `vars` columns ([`encode`]'s inverse),
/// each `Utf8` or `Utf8View`. `segment` names the segment in the error a
/// corrupt row gives.
pub fn decode(shapes: &dyn Array, vars: &dyn Array, segment: &str) -> Result<StringArray> {
    match (shapes.data_type(), vars.data_type()) {
        (DataType::Utf8, DataType::Utf8) => {
            decode_typed(shapes.as_string::<i32>(), vars.as_string::<i32>(), segment)
        }
        (DataType::Utf8View, DataType::Utf8View) => {
            decode_typed(shapes.as_string_view(), vars.as_string_view(), segment)
        }
        (s, v) => Err(Error::Corrupt {
            what: format!("segment {segment}"),
            reason: format!("message columns must hold strings of one layout, found {s} and {v}"),
        }),
    }
}

/// Bytes of row `i` of a string column (0 when null).
fn text_len<'a, A: ArrayAccessor<Item = &'a str>>(a: &A, i: usize) -> usize {
    if a.is_null(i) { 0 } else { a.value(i).len() }
}

fn decode_typed<'a, S, V>(shapes: S, vars: V, segment: &str) -> Result<StringArray>
where
    S: ArrayAccessor<Item = &'a str>,
    V: ArrayAccessor<Item = &'a str>,
{
    let n = vars.len();
    // a text is no longer than its shape and variables together
    let bytes: usize = (0..n)
        .map(|i| text_len(&vars, i) + text_len(&shapes, i))
        .sum();
    let mut values = Vec::with_capacity(bytes);
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0i32);
    let mut valid = BooleanBufferBuilder::new(n);
    for i in 0..n {
        if vars.is_null(i) {
            valid.append(false);
        } else if shapes.is_null(i) {
            values.extend_from_slice(vars.value(i).as_bytes());
            valid.append(true);
        } else {
            if !render_bytes(
                shapes.value(i).as_bytes(),
                vars.value(i).as_bytes(),
                &mut values,
            ) {
                return Err(Error::Corrupt {
                    what: format!("segment {segment}"),
                    reason: format!("row {i}'s variables do not fit its shape"),
                });
            }
            valid.append(true);
        }
        let end = i32::try_from(values.len()).map_err(|_| Error::Corrupt {
            what: format!("segment {segment}"),
            reason: "over 2 GiB of text in one batch".into(),
        })?;
        offsets.push(end);
    }
    let nulls = NullBuffer::new(valid.finish());
    // UTF-8 is checked once for the batch: pieces of valid strings cut at
    // ASCII bytes are valid
    Ok(StringArray::try_new(
        OffsetBuffer::new(offsets.into()),
        values.into(),
        (nulls.null_count() > 0).then_some(nulls),
    )?)
}

/// The text columns segments store as shape and variables.
pub const SHAPED_COLUMNS: &[&str] = &[col::MESSAGE, col::ATTRIBUTES];

/// Name of the column holding the shapes of `column`.
pub fn shape_column(column: &str) -> String {
    format!("{column}_shape")
}

/// Name of the column holding the variables of `column`.
pub fn vars_column(column: &str) -> String {
    format!("{column}_vars")
}

/// The schema segments are written with: the engine's, with each of
/// [`SHAPED_COLUMNS`] replaced by its shape and variables columns at the
/// end.
pub fn stored_schema() -> SchemaRef {
    let logs = logs_schema();
    let mut fields: Vec<Field> = logs
        .fields()
        .iter()
        .filter(|f| !SHAPED_COLUMNS.contains(&f.name().as_str()))
        .map(|f| f.as_ref().clone())
        .collect();
    for c in SHAPED_COLUMNS {
        fields.push(Field::new(shape_column(c), DataType::Utf8, true));
        fields.push(Field::new(vars_column(c), DataType::Utf8, true));
    }
    Arc::new(Schema::new_with_metadata(fields, logs.metadata().clone()))
}

/// Indices in a segment's file `schema` of the columns that hold `field`:
/// its own, or its shape and variables columns where the file stores it
/// so.
pub fn stored_columns(schema: &Schema, field: &str) -> Result<Vec<usize>> {
    if SHAPED_COLUMNS.contains(&field) && schema.index_of(field).is_err() {
        return Ok(vec![
            schema.index_of(&shape_column(field))?,
            schema.index_of(&vars_column(field))?,
        ]);
    }
    Ok(vec![schema.index_of(field)?])
}

/// A batch of the engine's schema as segments store it ([`stored_schema`]).
pub fn to_stored(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns() + 2);
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        if !SHAPED_COLUMNS.contains(&f.name().as_str()) {
            columns.push(c.clone());
        }
    }
    for name in SHAPED_COLUMNS {
        let text = batch.column_by_name(name).ok_or_else(|| Error::Corrupt {
            what: "batch".into(),
            reason: format!("no {name} column"),
        })?;
        let (shapes, vars) = encode(text.as_string::<i32>());
        columns.push(Arc::new(shapes));
        columns.push(Arc::new(vars));
    }
    Ok(RecordBatch::try_new(stored_schema(), columns)?)
}

/// A batch read from a segment (all its columns or some) with each shaped
/// column rendered from its shape and variables columns, in the place of
/// the shape column; columns a segment stores as text come back as they
/// are.
pub fn to_logs(batch: &RecordBatch, segment: &str) -> Result<RecordBatch> {
    let schema = batch.schema();
    let logs = logs_schema();
    // (shape column index, vars column index, the rendered field and text)
    let mut rendered = Vec::new();
    for name in SHAPED_COLUMNS {
        if let (Ok(s), Ok(v)) = (
            schema.index_of(&shape_column(name)),
            schema.index_of(&vars_column(name)),
        ) {
            let text = decode(batch.column(s), batch.column(v), segment)?;
            rendered.push((s, v, logs.field_with_name(name)?.clone(), text));
        }
    }
    if rendered.is_empty() {
        return Ok(batch.clone());
    }
    let (mut fields, mut columns) = (Vec::new(), Vec::<ArrayRef>::new());
    for (i, (f, c)) in schema.fields().iter().zip(batch.columns()).enumerate() {
        if let Some((_, _, field, text)) = rendered.iter().find(|r| r.0 == i) {
            fields.push(field.clone());
            columns.push(Arc::new(text.clone()));
        } else if !rendered.iter().any(|r| r.1 == i) {
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

    fn render(shape: &str, vars: &str, out: &mut String) -> Option<()> {
        let mut bytes = Vec::new();
        render_bytes(shape.as_bytes(), vars.as_bytes(), &mut bytes).then_some(())?;
        out.push_str(std::str::from_utf8(&bytes).unwrap());
        Some(())
    }

    /// Random texts over an alphabet of variable bytes, delimiters,
    /// non-ASCII and the reserved characters round-trip through the
    /// columns.
    #[test]
    fn random_texts_round_trip() {
        use rand::{Rng, SeedableRng};
        let alphabet: Vec<char> = "aZ09_-. =,:/()\"{}\tß日\u{11}\u{1f}".chars().collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let texts: Vec<Option<String>> = (0..5_000)
            .map(|i| {
                (i % 97 != 0).then(|| {
                    let len = rng.random_range(0..40);
                    (0..len)
                        .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                        .collect()
                })
            })
            .collect();
        let column = StringArray::from(texts);
        let (shapes, vars) = encode(&column);
        assert!(
            shapes.null_count() > column.null_count(),
            "some unsplittable"
        );
        assert_eq!(decode(&shapes, &vars, "s").unwrap(), column);
    }

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
            vec![Some("1\u{1f}"), Some("")],
            vec![Some("\u{1f}2"), Some("")],
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
        for c in SHAPED_COLUMNS {
            assert!(stored.schema().index_of(c).is_err(), "{c}");
        }
        assert_eq!(stored.schema(), stored_schema());
        assert_eq!(to_logs_schema(&stored, "s").unwrap(), batch);
        // a projection holding one column's shape and variables only
        for c in SHAPED_COLUMNS {
            let some = stored
                .project(&stored_columns(&stored.schema(), c).unwrap())
                .unwrap();
            let logs = to_logs(&some, "s").unwrap();
            assert_eq!(logs.schema().fields().len(), 1);
            assert_eq!(logs.schema().field(0).name(), c);
            assert_eq!(logs.column(0), batch.column_by_name(c).unwrap(), "{c}");
        }
        // a batch with `message` as text (older segments) is read as it is
        assert_eq!(to_logs_schema(&batch, "s").unwrap(), batch);
    }
}
