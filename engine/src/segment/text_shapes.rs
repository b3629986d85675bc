//! Template-aware storage of `message`, `attributes` and `stack_trace`, in
//! the spirit of CLP.
//!
//! Segments do not store these columns as text. Each value is split into
//! its *shape* (the text with every variable replaced by a placeholder)
//! and its *variables* (joined by a separator), stored as two columns,
//! `<column>_shape`, dictionary-encoded (a segment holds a few hundred
//! shapes, so a row costs a dictionary index), and `<column>_vars`, plain
//! and zstd-compressed. A variable is a maximal run of ASCII letters,
//! digits, `_`, `-` and `.` that holds a digit (`exec-019b8b74…`, `4.91`,
//! `agent-security-4`, `us-west-2`); the rest (words, punctuation, JSON
//! keys, spaces) is the shape.
//!
//! A text that repeats one of its own row's fields ([`references`]: a
//! message naming its execution and agent, a stack trace quoting its
//! error message) stores a *reference* to that field in place of the
//! repeated bytes: a variable of two bytes, U+0012 and the field's number.
//! Splitting is exact: rendering a shape with its variables (and the row's
//! referenced fields) gives the value back byte for byte. A value holding
//! the placeholder, the separator or the reference mark (control
//! characters) is stored whole in the variables column with no shape.
//!
//! Readers see the text again: [`to_logs`] renders stored batches into the
//! engine's schema, and segments that store the columns as text (written
//! before this encoding, or with `text_shapes` off) are read as they are.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayAccessor, ArrayRef, AsArray, BooleanBufferBuilder, RecordBatch, StringArray,
    StringBuilder, StringViewArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};
use crate::schema::{col, logs_schema};

/// Stands for one variable in a shape.
const PLACEHOLDER: char = '\u{11}';
/// Separates the variables of one message.
const SEPARATOR: char = '\u{1f}';
/// Starts a variable that is a reference: the next byte is the referenced
/// field's number in [`references`], as an ASCII digit.
const REFERENCE: char = '\u{12}';

/// Shortest field value a text's bytes are replaced by a reference to (a
/// reference takes two bytes and a separator).
const MIN_REFERENCED_BYTES: usize = 4;

/// The text columns segments store as shape and variables.
pub const SHAPED_COLUMNS: &[&str] = &[col::MESSAGE, col::ATTRIBUTES, col::STACK_TRACE];

/// The fields of the same row whose values a shaped `column`'s texts are
/// searched for, numbered in this order; a reader of the column reads
/// them too. None of them is shaped, and there are at most ten.
pub fn references(column: &str) -> &'static [&'static str] {
    match column {
        col::MESSAGE => &[col::EXECUTION_ID, col::AGENT_ID],
        col::STACK_TRACE => &[col::ERROR_MESSAGE],
        _ => &[],
    }
}

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

/// Whether `text` holds the placeholder, the separator or the reference
/// mark (all ASCII, so a byte test is exact).
fn holds_reserved(text: &str) -> bool {
    text.bytes().fold(false, |seen, b| {
        seen | (b == PLACEHOLDER as u8) | (b == SEPARATOR as u8) | (b == REFERENCE as u8)
    })
}

/// Appends one variable to `vars`, after a separator unless it is the
/// first.
fn push_var(vars: &mut String, first: &mut bool, var: &str) {
    if !*first {
        vars.push(SEPARATOR);
    }
    vars.push_str(var);
    *first = false;
}

/// Appends the shape and the variables of `text` (a piece of a value) to
/// `shape` and `vars`.
fn split_variables(text: &str, shape: &mut String, vars: &mut String, first: &mut bool) {
    let bytes = text.as_bytes();
    let (mut at, mut copied) = (0, 0);
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
            shape.push_str(&text[copied..start]);
            shape.push(PLACEHOLDER);
            push_var(vars, first, &text[start..at]);
            copied = at;
        }
    }
    shape.push_str(&text[copied..]);
}

/// Whether `text[start..end]` neither starts nor ends inside a run of
/// variable bytes, so replacing it leaves every variable of the rest
/// whole.
fn on_run_boundaries(text: &[u8], start: usize, end: usize) -> bool {
    let inside =
        |a: usize, b: usize| IN_VARIABLE[text[a] as usize] && IN_VARIABLE[text[b] as usize];
    (start == 0 || !inside(start - 1, start)) && (end == text.len() || !inside(end - 1, end))
}

/// The first occurrence in `text` at or after `from` of one of `refs` (at
/// least [`MIN_REFERENCED_BYTES`] long, on run boundaries): its span and
/// number; the longest where several start at the same byte.
///
/// A field that starts with a variable byte can only occur on a boundary
/// where a run starts, so those (ids, most error messages) are compared at
/// run starts in one pass; others are searched for.
fn next_reference(text: &str, from: usize, refs: &[Option<&str>]) -> Option<(usize, usize, u8)> {
    let bytes = text.as_bytes();
    let usable = || {
        refs.iter()
            .enumerate()
            .filter_map(|(k, r)| Some((k as u8, r.filter(|r| r.len() >= MIN_REFERENCED_BYTES)?)))
    };
    let better = |best: Option<(usize, usize, u8)>, (s, e, k): (usize, usize, u8)| match best {
        Some((bs, be, _)) if bs < s || (bs == s && be >= e) => best,
        _ => Some((s, e, k)),
    };
    let starts_run = |r: &str| IN_VARIABLE[r.as_bytes()[0] as usize];
    let mut best = None;
    for (k, r) in usable().filter(|(_, r)| !starts_run(r)) {
        let found = text[from..]
            .match_indices(r)
            .map(|(at, _)| (from + at, from + at + r.len()))
            .find(|&(s, e)| on_run_boundaries(bytes, s, e));
        if let Some((s, e)) = found {
            best = better(best, (s, e, k));
        }
    }
    let mut at = from;
    while at < best.map_or(bytes.len(), |(s, _, _)| s + 1) && at < bytes.len() {
        if !IN_VARIABLE[bytes[at] as usize] {
            at += 1;
            continue;
        }
        if at == 0 || !IN_VARIABLE[bytes[at - 1] as usize] {
            for (k, r) in usable().filter(|(_, r)| starts_run(r)) {
                let end = at + r.len();
                if bytes[at..].starts_with(r.as_bytes()) && on_run_boundaries(bytes, at, end) {
                    best = better(best, (at, end, k));
                }
            }
            if best.is_some_and(|(s, _, _)| s <= at) {
                break;
            }
        }
        while at < bytes.len() && IN_VARIABLE[bytes[at] as usize] {
            at += 1;
        }
    }
    best
}

/// Appends the shape and the variables of `text` to `shape` and `vars`,
/// each occurrence of one of `refs` (the row's referenced fields, in the
/// order of [`references`]) as a reference; false (nothing appended) when
/// the text holds a reserved character, so cannot be split.
pub fn split(text: &str, refs: &[Option<&str>], shape: &mut String, vars: &mut String) -> bool {
    if holds_reserved(text) {
        return false;
    }
    let (mut at, mut first) = (0, true);
    while let Some((start, end, k)) = next_reference(text, at, refs) {
        split_variables(&text[at..start], shape, vars, &mut first);
        shape.push(PLACEHOLDER);
        let mark = [REFERENCE as u8, b'0' + k];
        push_var(vars, &mut first, std::str::from_utf8(&mark).expect("ASCII"));
        at = end;
    }
    split_variables(&text[at..], shape, vars, &mut first);
    true
}

/// Why a row's variables could not be rendered.
#[derive(Debug, PartialEq)]
enum Misfit {
    /// The values and the placeholders do not pair up, or a value is empty
    /// or a malformed reference.
    Shape,
    /// The row refers to its field number `k`, which is null (or was not
    /// read).
    Reference(u8),
}

/// Appends `shape` rendered with `vars` to `out`: each placeholder
/// replaced by the next separator-delimited value, a reference by the
/// row's field in `refs`.
fn render_bytes(
    shape: &[u8],
    vars: &[u8],
    refs: &[Option<&[u8]>],
    out: &mut Vec<u8>,
) -> std::result::Result<(), Misfit> {
    let (mut from, mut next, mut used) = (0, 0, 0);
    for (at, &b) in shape.iter().enumerate() {
        if b != PLACEHOLDER as u8 {
            continue;
        }
        if next > vars.len() {
            return Err(Misfit::Shape);
        }
        let end = vars[next..]
            .iter()
            .position(|&c| c == SEPARATOR as u8)
            .map_or(vars.len(), |p| next + p);
        let var = &vars[next..end];
        out.extend_from_slice(&shape[from..at]);
        match var {
            // a variable holds a digit: an empty one is damage
            [] => return Err(Misfit::Shape),
            [mark, k] if *mark == REFERENCE as u8 => {
                let k = k.wrapping_sub(b'0');
                let field = refs.get(k as usize).ok_or(Misfit::Shape)?;
                out.extend_from_slice(field.ok_or(Misfit::Reference(k))?);
            }
            [mark, ..] if *mark == REFERENCE as u8 => return Err(Misfit::Shape),
            _ => out.extend_from_slice(var),
        }
        (from, next, used) = (at + 1, end + 1, used + 1);
    }
    out.extend_from_slice(&shape[from..]);
    // every value used: one past the last; none: no values at all
    let all_used = match used {
        0 => vars.is_empty(),
        _ => next == vars.len() + 1,
    };
    all_used.then_some(()).ok_or(Misfit::Shape)
}

/// The shape and variables columns of `texts` (null where the text is
/// null; a text that cannot be split has a null shape and itself as
/// variables). `refs` are the columns of the fields [`references`] names
/// for this column, in its order.
pub fn encode(texts: &StringArray, refs: &[&StringArray]) -> (StringArray, StringArray) {
    let n = texts.len();
    let bytes = texts.value_data().len();
    let mut shapes = StringBuilder::with_capacity(n, bytes);
    let mut vars = StringBuilder::with_capacity(n, bytes / 2);
    let (mut shape, mut var) = (String::new(), String::new());
    let mut row_refs: Vec<Option<&str>> = Vec::with_capacity(refs.len());
    for (i, t) in texts.iter().enumerate() {
        let Some(t) = t else {
            shapes.append_null();
            vars.append_null();
            continue;
        };
        shape.clear();
        var.clear();
        row_refs.clear();
        row_refs.extend(refs.iter().map(|r| r.is_valid(i).then(|| r.value(i))));
        if split(t, &row_refs, &mut shape, &mut var) {
            shapes.append_value(&shape);
            vars.append_value(&var);
        } else {
            shapes.append_null();
            vars.append_value(t);
        }
    }
    (shapes.finish(), vars.finish())
}

/// A string column of either layout, read by row.
enum Texts<'a> {
    Utf8(&'a StringArray),
    View(&'a StringViewArray),
}

impl<'a> Texts<'a> {
    fn of(a: &'a dyn Array, what: &str, segment: &str) -> Result<Self> {
        match a.data_type() {
            DataType::Utf8 => Ok(Texts::Utf8(a.as_string::<i32>())),
            DataType::Utf8View => Ok(Texts::View(a.as_string_view())),
            other => Err(Error::Corrupt {
                what: format!("segment {segment}"),
                reason: format!("{what} must hold strings, found {other}"),
            }),
        }
    }

    fn bytes(&self, i: usize) -> Option<&'a [u8]> {
        match self {
            Texts::Utf8(a) => a.is_valid(i).then(|| a.value(i).as_bytes()),
            Texts::View(a) => a.is_valid(i).then(|| a.value(i).as_bytes()),
        }
    }
}

/// The texts of the `shapes` and `vars` columns ([`encode`]'s inverse),
/// each `Utf8` or `Utf8View`, with `refs` the referenced fields in
/// [`references`]' order, each named and with its column where it was read
/// (a row referring to one not read is an error). `segment` names the
/// segment in the error a corrupt row gives.
pub fn decode(
    shapes: &dyn Array,
    vars: &dyn Array,
    refs: &[(&str, Option<&dyn Array>)],
    segment: &str,
) -> Result<StringArray> {
    let refs = refs
        .iter()
        .map(|&(name, r)| Ok((name, r.map(|r| Texts::of(r, name, segment)).transpose()?)))
        .collect::<Result<Vec<_>>>()?;
    match (shapes.data_type(), vars.data_type()) {
        (DataType::Utf8, DataType::Utf8) => decode_typed(
            shapes.as_string::<i32>(),
            vars.as_string::<i32>(),
            &refs,
            segment,
        ),
        (DataType::Utf8View, DataType::Utf8View) => decode_typed(
            shapes.as_string_view(),
            vars.as_string_view(),
            &refs,
            segment,
        ),
        (s, v) => Err(Error::Corrupt {
            what: format!("segment {segment}"),
            reason: format!("text columns must hold strings of one layout, found {s} and {v}"),
        }),
    }
}

/// Bytes of row `i` of a string column (0 when null).
fn text_len<'a, A: ArrayAccessor<Item = &'a str>>(a: &A, i: usize) -> usize {
    if a.is_null(i) { 0 } else { a.value(i).len() }
}

fn decode_typed<'a, S, V>(
    shapes: S,
    vars: V,
    refs: &[(&str, Option<Texts<'_>>)],
    segment: &str,
) -> Result<StringArray>
where
    S: ArrayAccessor<Item = &'a str>,
    V: ArrayAccessor<Item = &'a str>,
{
    let n = vars.len();
    let corrupt = |reason: String| Error::Corrupt {
        what: format!("segment {segment}"),
        reason,
    };
    // a text is no longer than its shape and variables together, but for
    // the fields it refers to
    let mut bytes: usize = (0..n)
        .map(|i| text_len(&vars, i) + text_len(&shapes, i))
        .sum();
    if !refs.is_empty() {
        bytes += bytes / 2;
    }
    let mut values = Vec::with_capacity(bytes);
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0i32);
    let mut valid = BooleanBufferBuilder::new(n);
    let mut row_refs: Vec<Option<&[u8]>> = Vec::with_capacity(refs.len());
    for i in 0..n {
        if vars.is_null(i) {
            valid.append(false);
        } else if shapes.is_null(i) {
            values.extend_from_slice(vars.value(i).as_bytes());
            valid.append(true);
        } else {
            row_refs.clear();
            row_refs.extend(
                refs.iter()
                    .map(|(_, r)| r.as_ref().and_then(|r| r.bytes(i))),
            );
            let shape = shapes.value(i).as_bytes();
            match render_bytes(shape, vars.value(i).as_bytes(), &row_refs, &mut values) {
                Ok(()) => valid.append(true),
                Err(Misfit::Shape) => {
                    return Err(corrupt(format!("row {i}'s variables do not fit its shape")));
                }
                Err(Misfit::Reference(k)) => {
                    let field = refs[k as usize].0;
                    return Err(corrupt(format!(
                        "row {i} refers to its {field}, which is null or was not read"
                    )));
                }
            }
        }
        let end = i32::try_from(values.len())
            .map_err(|_| corrupt("over 2 GiB of text in one batch".into()))?;
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

/// Whether a segment's file `schema` stores `field` as shape and
/// variables.
fn is_shaped_in(schema: &Schema, field: &str) -> bool {
    SHAPED_COLUMNS.contains(&field) && schema.index_of(field).is_err()
}

/// Indices in a segment's file `schema` of the columns that hold `field`:
/// its own, or its shape and variables columns where the file stores it
/// so (rendering those may also need [`referenced_columns`]).
pub fn stored_columns(schema: &Schema, field: &str) -> Result<Vec<usize>> {
    if is_shaped_in(schema, field) {
        return Ok(vec![
            schema.index_of(&shape_column(field))?,
            schema.index_of(&vars_column(field))?,
        ]);
    }
    Ok(vec![schema.index_of(field)?])
}

/// Indices in a segment's file `schema` of the fields rendering `field`
/// may need: its [`references`] where the file stores it as shape and
/// variables, else none.
pub fn referenced_columns(schema: &Schema, field: &str) -> Result<Vec<usize>> {
    if !is_shaped_in(schema, field) {
        return Ok(Vec::new());
    }
    Ok(references(field)
        .iter()
        .map(|r| schema.index_of(r))
        .collect::<std::result::Result<_, _>>()?)
}

/// Whether a row of `batch` (read from a segment) stores a reference in the
/// variables of a shaped column, so rendering it needs the field.
pub fn holds_references(batch: &RecordBatch) -> bool {
    SHAPED_COLUMNS.iter().any(|c| {
        batch.column_by_name(&vars_column(c)).is_some_and(|vars| {
            let mark = REFERENCE as u8;
            match vars.data_type() {
                DataType::Utf8 => vars.as_string::<i32>().values().contains(&mark),
                DataType::Utf8View => {
                    let views = vars.as_string_view();
                    views.iter().flatten().any(|v| v.as_bytes().contains(&mark))
                }
                // not a column this module wrote: rendering will say so
                _ => true,
            }
        })
    })
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
    // `as_string` panics on another type: the engine's schema makes these Utf8
    let text_column = |name: &str| {
        let column = batch.column_by_name(name).ok_or_else(|| Error::Corrupt {
            what: "batch".into(),
            reason: format!("no {name} column"),
        })?;
        Ok(column.as_string::<i32>())
    };
    for name in SHAPED_COLUMNS {
        let text = text_column(name)?;
        let refs = references(name)
            .iter()
            .map(|r| text_column(r))
            .collect::<Result<Vec<_>>>()?;
        let (shapes, vars) = encode(text, &refs);
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
            let refs: Vec<(&str, Option<&dyn Array>)> = references(name)
                .iter()
                .map(|r| (*r, batch.column_by_name(r).map(|c| c.as_ref())))
                .collect();
            let text = decode(batch.column(s), batch.column(v), &refs, segment)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn render(shape: &str, vars: &str, out: &mut String) -> Option<()> {
        let mut bytes = Vec::new();
        render_bytes(shape.as_bytes(), vars.as_bytes(), &[], &mut bytes).ok()?;
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
        let (shapes, vars) = encode(&column, &[]);
        assert!(
            shapes.null_count() > column.null_count(),
            "some unsplittable"
        );
        assert_eq!(decode(&shapes, &vars, &[], "s").unwrap(), column);
    }

    fn parts(m: &str) -> Option<(String, String)> {
        let (mut shape, mut vars) = (String::new(), String::new());
        split(m, &[], &mut shape, &mut vars).then_some((shape, vars))
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
            "holds the reference mark \u{12}0 3",
        ];
        for m in cases {
            let split_ok = parts(m);
            if let Some((shape, vars)) = &split_ok {
                let mut out = String::new();
                render(shape, vars, &mut out).unwrap();
                assert_eq!(out, m);
            } else {
                assert!(m.contains(['\u{11}', '\u{1f}', '\u{12}']), "{m:?}");
            }
        }
        let mut values: Vec<Option<&str>> = cases.iter().map(|m| Some(*m)).collect();
        values.insert(3, None);
        let messages = StringArray::from(values.clone());
        let (shapes, vars) = encode(&messages, &[]);
        assert_eq!(shapes.null_count(), 5, "null and the four unsplittable");
        let back = decode(&shapes, &vars, &[], "s").unwrap();
        assert_eq!(back, messages);
        // views decode the same
        let view = |a: &StringArray| arrow::compute::cast(a, &DataType::Utf8View).unwrap();
        assert_eq!(
            decode(&view(&shapes), &view(&vars), &[], "s").unwrap(),
            messages
        );
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
            let err = decode(&shapes, &StringArray::from(vars), &[], "seg-1").unwrap_err();
            assert!(err.to_string().contains("segment seg-1: row 0"), "{err}");
        }
        let err = decode(
            &StringArray::from(vec![Some("x")]),
            &StringArray::from(vec![Some("1")]),
            &[],
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
        assert_eq!(
            crate::segment::reader::to_logs_schema(&stored, "s").unwrap(),
            batch
        );
        // a projection holding one column's shape and variables only
        for c in SHAPED_COLUMNS {
            let mut columns = stored_columns(&stored.schema(), c).unwrap();
            columns.extend(referenced_columns(&stored.schema(), c).unwrap());
            let some = stored.project(&columns).unwrap();
            let logs = to_logs(&some, "s").unwrap();
            let names: Vec<&str> = logs
                .schema_ref()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect();
            let mut want = vec![*c];
            want.extend(references(c));
            assert_eq!(names, want);
            assert_eq!(logs.column(0), batch.column_by_name(c).unwrap(), "{c}");
        }
        // the sample's messages name their execution and agent, and its
        // stack traces quote their error message: stored as references
        for (c, at_least) in [(col::MESSAGE, 2), (col::STACK_TRACE, 1)] {
            let vars = stored.column_by_name(&vars_column(c)).unwrap();
            let references = vars
                .as_string::<i32>()
                .iter()
                .flatten()
                .map(|v| v.matches(REFERENCE).count())
                .sum::<usize>();
            let rows = batch.column_by_name(c).unwrap();
            let rows = rows.len() - rows.null_count();
            assert!(
                references >= rows / 10 * at_least / 2,
                "{c}: {references} of {rows}"
            );
        }
        // a batch with `message` as text (older segments) is read as it is
        assert_eq!(
            crate::segment::reader::to_logs_schema(&batch, "s").unwrap(),
            batch
        );
        for c in SHAPED_COLUMNS {
            assert_eq!(stored_columns(&batch.schema(), c).unwrap().len(), 1);
            assert!(referenced_columns(&batch.schema(), c).unwrap().is_empty());
        }
        // references: in the sample's messages, not in its attributes
        let only = |c: &str| {
            let v = stored.schema().index_of(&vars_column(c)).unwrap();
            stored.project(&[v]).unwrap()
        };
        assert!(holds_references(&only(col::MESSAGE)));
        assert!(!holds_references(&only(col::ATTRIBUTES)));
        assert!(!holds_references(&batch));
    }

    fn parts_with(text: &str, refs: &[Option<&str>]) -> (String, String) {
        let (mut shape, mut vars) = (String::new(), String::new());
        assert!(split(text, refs, &mut shape, &mut vars), "{text:?}");
        (shape, vars)
    }

    #[test]
    fn texts_that_repeat_their_rows_fields_store_references() {
        let refs = [Some("exec-019b"), Some("agent-security-4")];
        assert_eq!(
            parts_with(
                "Execution exec-019b started for agent agent-security-4 (max_steps=20)",
                &refs
            ),
            (
                "Execution \u{11} started for agent \u{11} (max_steps=\u{11})".into(),
                "\u{12}0\u{1f}\u{12}1\u{1f}20".into()
            )
        );
        // every occurrence; never a part of a longer variable
        assert_eq!(
            parts_with("exec-019b, exec-019b2 and exec-019b", &refs),
            (
                "\u{11}, \u{11} and \u{11}".into(),
                "\u{12}0\u{1f}exec-019b2\u{1f}\u{12}0".into()
            )
        );
        // a field that is longer text: quoted whole, its own variables too
        let error = "disk full at block 7602";
        assert_eq!(
            parts_with(
                "IOError: disk full at block 7602\n  at write (io.py:42)",
                &[Some(error)]
            ),
            (
                "IOError: \u{11}\n  at write (io.py:\u{11})".into(),
                "\u{12}0\u{1f}42".into()
            )
        );
        // the longest of two starting at one byte; short and null fields
        // are not referred to
        assert_eq!(
            parts_with("x abcd-12 y", &[Some("abcd-1"), Some("abcd-12")]).1,
            "\u{12}1"
        );
        assert_eq!(
            parts_with("run 7 of job-9", &[Some("7"), None, Some("job-9")]).1,
            "7\u{1f}\u{12}2"
        );
        // the same text without fields is split by variables alone
        assert_eq!(
            parts_with("Execution exec-019b started", &[]).1,
            "exec-019b"
        );
    }

    /// Texts built from their rows' fields (null or not), random bytes and
    /// the reserved characters round-trip through the columns, with the
    /// fields as text or as views; a reference needs its field.
    #[test]
    fn texts_with_references_round_trip_and_need_their_fields() {
        use rand::{Rng, SeedableRng};
        let alphabet: Vec<char> = "aZ09_-. =:\n\u{11}\u{12}".chars().collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let piece = |rng: &mut rand::rngs::StdRng| -> String {
            let len = rng.random_range(0..12);
            (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect()
        };
        let (mut texts, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..3_000 {
            let fa = (i % 5 != 0).then(|| format!("id-{}", rng.random_range(0..1000)));
            let fb = (i % 7 != 0).then(|| piece(&mut rng) + " x9 " + &piece(&mut rng));
            let mut text = String::new();
            for _ in 0..rng.random_range(0..5) {
                match rng.random_range(0..3) {
                    0 => text += fa.as_deref().unwrap_or("id-5"),
                    1 => text += fb.as_deref().unwrap_or("x9"),
                    _ => text += &piece(&mut rng),
                }
                text.push(' ');
            }
            texts.push((i % 31 != 0).then_some(text));
            a.push(fa);
            b.push(fb);
        }
        let (texts, a, b) = (
            StringArray::from(texts),
            StringArray::from(a),
            StringArray::from(b),
        );
        let (shapes, vars) = encode(&texts, &[&a, &b]);
        let referring = vars
            .iter()
            .flatten()
            .filter(|v| v.contains(REFERENCE))
            .count();
        assert!(referring > 1_000, "{referring}");
        let fields: [(&str, Option<&dyn Array>); 2] = [("a", Some(&a)), ("b", Some(&b))];
        assert_eq!(decode(&shapes, &vars, &fields, "s").unwrap(), texts);
        let view = |x: &StringArray| arrow::compute::cast(x, &DataType::Utf8View).unwrap();
        let (av, bv) = (view(&a), view(&b));
        let views: [(&str, Option<&dyn Array>); 2] = [("a", Some(&av)), ("b", Some(&bv))];
        assert_eq!(
            decode(&view(&shapes), &view(&vars), &views, "s").unwrap(),
            texts
        );
        // a field not read, or null in the row, fails naming it
        let err = decode(&shapes, &vars, &[("a", Some(&a)), ("b", None)], "seg-3").unwrap_err();
        assert!(err.to_string().contains("segment seg-3: row"), "{err}");
        assert!(err.to_string().contains("refers to its b"), "{err}");
        let no_a = StringArray::from(vec![None::<&str>; a.len()]);
        let err = decode(&shapes, &vars, &[("a", Some(&no_a)), ("b", Some(&b))], "s").unwrap_err();
        assert!(err.to_string().contains("refers to its a"), "{err}");
    }

    #[test]
    fn malformed_references_are_an_error() {
        let shapes = StringArray::from(vec!["x \u{11} y"]);
        let field = StringArray::from(vec!["abcd"]);
        let fields: [(&str, Option<&dyn Array>); 1] = [("f", Some(&field))];
        let ok = decode(&shapes, &StringArray::from(vec!["\u{12}0"]), &fields, "s").unwrap();
        assert_eq!(ok.value(0), "x abcd y");
        for vars in ["\u{12}", "\u{12}1", "\u{12}00", "\u{12}x"] {
            let err = decode(&shapes, &StringArray::from(vec![vars]), &fields, "s").unwrap_err();
            assert!(
                err.to_string().contains("row 0's variables do not fit"),
                "{vars:?}: {err}"
            );
        }
    }

    #[test]
    fn referenced_fields_are_plain_columns() {
        let logs = logs_schema();
        for c in SHAPED_COLUMNS {
            assert!(references(c).len() <= 10, "{c}");
            for r in references(c) {
                assert!(!SHAPED_COLUMNS.contains(r), "{c} refers to shaped {r}");
                assert_eq!(
                    logs.field_with_name(r).unwrap().data_type(),
                    &DataType::Utf8
                );
            }
        }
    }
}
