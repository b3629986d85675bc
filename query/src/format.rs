//! Output formats of query results.

use std::io::Write;
use std::str::FromStr;

use arrow::array::RecordBatch;
use arrow::error::ArrowError;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// An aligned text table.
    #[default]
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
}

impl FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(OutputFormat::Table),
            "csv" => Ok(OutputFormat::Csv),
            "json" => Ok(OutputFormat::Json),
            "ndjson" => Ok(OutputFormat::Ndjson),
            _ => Err(format!(
                "unknown format {s:?} (expected table, csv, json or ndjson)"
            )),
        }
    }
}

/// Writes `batches` to `out` in `format`.
pub fn write_batches(
    out: &mut dyn Write,
    batches: &[RecordBatch],
    format: OutputFormat,
) -> Result<(), ArrowError> {
    match format {
        OutputFormat::Table => {
            let table = arrow::util::pretty::pretty_format_batches(batches)?;
            writeln!(out, "{table}")?;
        }
        OutputFormat::Csv => {
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            for b in batches {
                w.write(b)?;
            }
        }
        OutputFormat::Json => {
            let mut w = arrow::json::ArrayWriter::new(&mut *out);
            w.write_batches(&batches.iter().collect::<Vec<_>>())?;
            w.finish()?;
            writeln!(out)?;
        }
        OutputFormat::Ndjson => {
            let mut w = arrow::json::LineDelimitedWriter::new(out);
            w.write_batches(&batches.iter().collect::<Vec<_>>())?;
            w.finish()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    #[test]
    fn every_format_renders_the_rows() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("service", DataType::Utf8, false),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["api", "db"])),
                Arc::new(Int64Array::from(vec![3, 4])),
            ],
        )
        .unwrap();
        let render = |f| {
            let mut out = Vec::new();
            write_batches(&mut out, std::slice::from_ref(&batch), f).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert!(render(OutputFormat::Table).contains("| api     | 3 |"));
        assert_eq!(render(OutputFormat::Csv), "service,n\napi,3\ndb,4\n");
        assert_eq!(
            render(OutputFormat::Json).trim(),
            r#"[{"service":"api","n":3},{"service":"db","n":4}]"#
        );
        assert_eq!(
            render(OutputFormat::Ndjson),
            "{\"service\":\"api\",\"n\":3}\n{\"service\":\"db\",\"n\":4}\n"
        );
        assert!(
            "xml"
                .parse::<OutputFormat>()
                .unwrap_err()
                .contains("unknown format")
        );
    }
}
