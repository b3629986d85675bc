//! Writing one segment: sorted rows to Parquet bytes and an index bundle.

use std::collections::{BTreeMap, BTreeSet};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Schema, TimestampMicrosecondType};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::decimal_floats;
use super::text_shapes::{self, SHAPED_COLUMNS, shape_column, vars_column};
use super::{ColumnStats, MAX_DISTINCT_IN_STATS, SegmentMeta, index, object_base};
use crate::batch::timestamp_index;
use crate::error::{Error, Result};
use crate::schema::{STATS_COLUMNS, col};

/// The bytes of a segment ready to upload, and its catalog entry.
#[derive(Debug)]
pub struct SegmentFiles {
    pub meta: SegmentMeta,
    pub parquet: bytes::Bytes,
    pub index: bytes::Bytes,
}

/// Columns with Parquet bloom filters (point lookups by id).
const BLOOM_COLUMNS: &[&str] = &[
    col::TRACE_ID,
    col::AGENT_ID,
    col::EXECUTION_ID,
    col::LOG_ID,
    col::SPAN_ID,
    col::PARENT_SPAN_ID,
];

/// Wide free-text columns: most of a segment's bytes, with their own zstd
/// level.
const TEXT_COLUMNS: &[&str] = &[
    col::MESSAGE,
    col::ATTRIBUTES,
    col::ERROR_MESSAGE,
    col::STACK_TRACE,
];

/// Random ids: wide when decoded (a 32-character trace id per row) and
/// incompressible beyond their alphabet, so their pages are cut at
/// `id_page_bytes`, smaller than the text columns': a lookup that returns a
/// row decompresses one page of each column, and zstd gains nothing from a
/// longer page of random characters (BENCHMARKS.md, round 7).
const ID_COLUMNS: &[&str] = &[
    col::LOG_ID,
    col::TRACE_ID,
    col::SPAN_ID,
    col::PARENT_SPAN_ID,
];

/// Columns zstd does not shrink, stored uncompressed so a reader creates
/// no zstd context for them and decompresses nothing: low-cardinality
/// dictionary columns (their pages are a few bit-packed dictionary
/// indices, their dictionaries a few short names) and `timestamp`, whose
/// delta-packed pages zstd left 0.05% larger at 10M records (round 10).
const UNCOMPRESSED_COLUMNS: &[&str] = &[
    col::TIMESTAMP,
    col::WORKSPACE_ID,
    col::ENVIRONMENT,
    col::VERSION,
    col::DEPLOYMENT_ID,
    col::SERVICE,
    col::COMPONENT,
];

/// Columns stored plain (zstd over each page) rather than dictionary
/// encoded: ids and numbers whose values barely repeat (a dictionary would
/// only grow the file), and the high-cardinality text and ids whose
/// dictionary is most of their column chunk. A lookup that reads a few rows
/// must decode a column chunk's whole dictionary before any of its pages,
/// so for these it would decode nearly the whole column to return one row;
/// plain pages let it decode one page. zstd still folds the repeats within a
/// page.
const NO_DICTIONARY_COLUMNS: &[&str] = &[
    col::LOG_ID,
    col::SPAN_ID,
    col::TIMESTAMP,
    col::DURATION_MS,
    col::MEMORY_MB,
    col::TRACE_ID,
    col::PARENT_SPAN_ID,
    col::MESSAGE,
    col::ATTRIBUTES,
    col::ERROR_MESSAGE,
    col::STACK_TRACE,
];

/// Column encodings other than dictionary-then-plain: the sorted
/// timestamps as deltas (a few bits per row), and ids that share a prefix
/// with their neighbours (ULIDs start with their millisecond) with the
/// prefix stored once.
const ENCODED_COLUMNS: &[(&str, Encoding)] = &[
    (col::TIMESTAMP, Encoding::DELTA_BINARY_PACKED),
    (col::LOG_ID, Encoding::DELTA_BYTE_ARRAY),
    (col::SPAN_ID, Encoding::DELTA_BYTE_ARRAY),
];

/// The metrics (the floats as decimals where [`decimal_floats`] allows),
/// stored with their bytes split into streams and no dictionary: the high
/// bytes of values of one magnitude repeat, and zstd folds them once they
/// are apart from the random low bytes (on the benchmark corpus the three
/// float metrics take 1.94 B/record less than as plain doubles, 0.50 less
/// than as plain decimals; the two sizes 0.32 less than with a dictionary;
/// BENCHMARKS.md, round 15). Only with `text_shapes`: a file's decimal
/// types depend on its values, which tools merging the schemas of several
/// files get wrong, and split integer pages need a Parquet reader of
/// format 2.11 or later.
const SPLIT_METRIC_COLUMNS: &[&str] = &[
    col::DURATION_MS,
    col::MEMORY_MB,
    col::CPU_PERCENT,
    col::REQUEST_SIZE_BYTES,
    col::RESPONSE_SIZE_BYTES,
];

/// Shaped columns whose shapes are stored plain, not dictionary-encoded:
/// a stack trace's shape is hundreds of bytes and a row group holds
/// hundreds of them, so a lookup of a few rows would decode a dictionary
/// of `SHAPE_DICTIONARY_BYTES` per row group it reads (a rare-term search
/// at 1M records took 43–46 ms against 38, BENCHMARKS.md round 14); plain,
/// it decompresses one page, and zstd folds the repeats within it.
const PLAIN_SHAPE_COLUMNS: &[&str] = &[col::STACK_TRACE];

/// Largest dictionary of a shape column per row group, in bytes (the
/// benchmark corpus's are ~25 KiB uncompressed; shapes that rarely repeat
/// would otherwise grow it to Parquet's 1 MiB default).
const SHAPE_DICTIONARY_BYTES: usize = 128 << 10;

/// How a segment's Parquet file is laid out and compressed.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentLayout {
    /// Rows per row group.
    pub row_group_rows: usize,
    /// Largest number of rows in one data page.
    pub page_rows: usize,
    /// Largest uncompressed data page of the text columns, in bytes.
    pub text_page_bytes: usize,
    /// Largest uncompressed data page of the shaped columns' variables.
    pub vars_page_bytes: usize,
    /// Largest uncompressed data page of the random-id columns, in bytes.
    pub id_page_bytes: usize,
    /// zstd level of every column but the wide text ones.
    pub zstd_level: i32,
    /// zstd level of `message`, `attributes` (or their variables),
    /// `error_message`, `stack_trace`.
    pub text_zstd_level: i32,
    /// Store `message`, `attributes` and `stack_trace` as shapes and variables
    /// ([`text_shapes`](super::text_shapes)) rather than as text.
    pub text_shapes: bool,
}

impl Default for SegmentLayout {
    fn default() -> Self {
        crate::EngineConfig::default().segment_layout()
    }
}

fn zstd(level: i32) -> Result<Compression> {
    let level = ZstdLevel::try_new(level).map_err(|e| Error::Config(e.to_string()))?;
    Ok(Compression::ZSTD(level))
}

fn writer_properties(layout: &SegmentLayout, schema: &Schema) -> Result<WriterProperties> {
    let mut b = WriterProperties::builder()
        .set_compression(zstd(layout.zstd_level)?)
        .set_dictionary_enabled(true)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(layout.row_group_rows))
        .set_data_page_row_count_limit(layout.page_rows)
        .set_sorting_columns(Some(vec![SortingColumn {
            column_idx: schema.index_of(col::TIMESTAMP)? as i32,
            descending: false,
            nulls_first: false,
        }]));
    for c in BLOOM_COLUMNS {
        b = b.set_column_bloom_filter_enabled(ColumnPath::from(*c), true);
    }
    let text = zstd(layout.text_zstd_level)?;
    for c in TEXT_COLUMNS {
        b = b
            .set_column_compression(ColumnPath::from(*c), text)
            .set_column_data_page_size_limit(ColumnPath::from(*c), layout.text_page_bytes);
    }
    for c in ID_COLUMNS {
        b = b.set_column_data_page_size_limit(ColumnPath::from(*c), layout.id_page_bytes);
    }
    // Shapes repeat: a dictionary, capped so that a lookup of a few rows
    // decodes at most `SHAPE_DICTIONARY_BYTES` of it per row group (past
    // the cap the writer falls back to plain pages for the rest of the
    // column chunk), with pages cut like the text's. Variables are laid out
    // as the text they replace, in shorter pages (`vars_page_bytes`): a
    // returned row decompresses one page of each, and they shrink nearly as
    // well in 16 KiB as in 64 KiB (BENCHMARKS.md, round 10).
    for c in SHAPED_COLUMNS {
        b = b
            .set_column_dictionary_enabled(
                ColumnPath::from(shape_column(c)),
                !PLAIN_SHAPE_COLUMNS.contains(c),
            )
            .set_column_dictionary_page_size_limit(
                ColumnPath::from(shape_column(c)),
                SHAPE_DICTIONARY_BYTES,
            )
            .set_column_data_page_size_limit(
                ColumnPath::from(shape_column(c)),
                layout.text_page_bytes,
            );
        b = b
            .set_column_compression(ColumnPath::from(vars_column(c)), text)
            .set_column_data_page_size_limit(
                ColumnPath::from(vars_column(c)),
                layout.vars_page_bytes,
            )
            .set_column_dictionary_enabled(ColumnPath::from(vars_column(c)), false);
    }
    for c in UNCOMPRESSED_COLUMNS {
        b = b.set_column_compression(ColumnPath::from(*c), Compression::UNCOMPRESSED);
    }
    for c in NO_DICTIONARY_COLUMNS {
        b = b.set_column_dictionary_enabled(ColumnPath::from(*c), false);
    }
    for (c, encoding) in ENCODED_COLUMNS {
        b = b.set_column_encoding(ColumnPath::from(*c), *encoding);
    }
    if layout.text_shapes {
        for c in SPLIT_METRIC_COLUMNS {
            b = b
                .set_column_dictionary_enabled(ColumnPath::from(*c), false)
                .set_column_encoding(ColumnPath::from(*c), Encoding::BYTE_STREAM_SPLIT);
        }
    }
    Ok(b.build())
}

fn column_stats(batch: &RecordBatch, name: &str) -> Result<ColumnStats> {
    let idx = batch.schema().index_of(name)?;
    let arr = batch.column(idx).as_string::<i32>();
    let mut distinct = BTreeSet::new();
    let (mut min, mut max): (Option<&str>, Option<&str>) = (None, None);
    for v in arr.iter().flatten() {
        if min.is_none_or(|m| v < m) {
            min = Some(v);
        }
        if max.is_none_or(|m| v > m) {
            max = Some(v);
        }
        if distinct.len() <= MAX_DISTINCT_IN_STATS {
            distinct.insert(v);
        }
    }
    Ok(ColumnStats {
        min: min.map(str::to_string),
        max: max.map(str::to_string),
        null_count: arr.null_count() as u64,
        distinct: (distinct.len() <= MAX_DISTINCT_IN_STATS)
            .then(|| distinct.into_iter().map(str::to_string).collect()),
    })
}

/// `batch` as the Parquet bytes of segment `segment_id`, laid out by
/// `layout`, and the row count of each row group (the Parquet half of
/// [`write_segment`]).
pub fn write_parquet(
    batch: &RecordBatch,
    layout: &SegmentLayout,
    segment_id: &str,
) -> Result<(Vec<u8>, Vec<u64>)> {
    // Text as shapes and variables, the float metrics as decimals where
    // they allow; `text_shapes = false` keeps both as they are, for files
    // other tools read directly.
    let stored;
    let batch = if layout.text_shapes {
        stored = decimal_floats::to_stored(&text_shapes::to_stored(batch)?)?;
        &stored
    } else {
        batch
    };
    let props = writer_properties(layout, &batch.schema())?;
    let write = || {
        let mut buf = Vec::with_capacity(batch.get_array_memory_size() / 4);
        let mut writer = ArrowWriter::try_new(&mut buf, batch.schema(), Some(props))?;
        writer.write(batch)?;
        let metadata = writer.close()?;
        let row_groups = metadata
            .row_groups()
            .iter()
            .map(|rg| rg.num_rows() as u64)
            .collect();
        Ok((buf, row_groups))
    };
    write().map_err(|source| Error::Parquet {
        segment_id: segment_id.to_string(),
        source,
    })
}

/// Writes `batch` (rows of one workspace and hour, sorted by timestamp) as a
/// segment with a fresh id.
pub fn write_segment(
    batch: &RecordBatch,
    workspace_id: &str,
    layout: &SegmentLayout,
) -> Result<SegmentFiles> {
    let id = ulid::Ulid::generate().to_string();
    let ts = batch
        .column(timestamp_index())
        .as_primitive::<TimestampMicrosecondType>();
    let (min_ts, max_ts) = match (arrow::compute::min(ts), arrow::compute::max(ts)) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(Error::Corrupt {
                what: "segment input".into(),
                reason: "an empty batch cannot become a segment".into(),
            });
        }
    };
    // The index and the Parquet file are built side by side.
    let (index, parquet) = std::thread::scope(|scope| {
        let index = scope.spawn(|| index::build_bundle(batch, &id));
        let parquet = write_parquet(batch, layout, &id);
        let index = index.join().unwrap_or_else(|_| {
            Err(Error::Corrupt {
                what: format!("index of segment {id}"),
                reason: "the index build panicked".into(),
            })
        });
        (index, parquet)
    });
    let (buf, row_groups) = parquet?;
    let index = index?;
    let mut stats = BTreeMap::new();
    for c in STATS_COLUMNS {
        stats.insert(c.to_string(), column_stats(batch, c)?);
    }
    let base = object_base(workspace_id, min_ts, &id);
    let meta = SegmentMeta {
        id,
        workspace_id: workspace_id.to_string(),
        min_ts,
        max_ts,
        rows: batch.num_rows() as u64,
        row_groups,
        parquet_bytes: buf.len() as u64,
        index_bytes: index.len() as u64,
        tier: "hot".into(),
        parquet_path: format!("{base}.parquet"),
        index_path: format!("{base}.index"),
        stats,
        template_dict_version: None,
        created_us: chrono::Utc::now().timestamp_micros(),
        index_format: super::index::INDEX_FORMAT,
    };
    Ok(SegmentFiles {
        meta,
        parquet: bytes::Bytes::from(buf),
        index: bytes::Bytes::from(index),
    })
}

#[cfg(test)]
mod tests {
    use arrow::compute::concat_batches;
    use arrow::datatypes::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::Encoding;
    use parquet::file::metadata::{PageIndexPolicy, ParquetMetaDataReader};

    use super::*;
    use crate::batch::{records_to_batch, sort_by_timestamp};
    use crate::sample::{SampleConfig, generate};
    use crate::segment::reader;

    #[test]
    fn layout_sets_page_rows_and_encodings_and_rows_read_back_unchanged() {
        let records = generate(&SampleConfig::default(), 10_000);
        let batch = sort_by_timestamp(&records_to_batch(&records).unwrap()).unwrap();
        let layout = SegmentLayout {
            row_group_rows: 6_000,
            page_rows: 2_048,
            ..SegmentLayout::default()
        };
        let files = write_segment(&batch, "ws-acme", &layout).unwrap();
        assert_eq!(files.meta.row_groups, vec![6_000, 4_000]);

        let meta = ParquetMetaDataReader::new()
            .with_page_index_policy(PageIndexPolicy::Required)
            .parse_and_finish(&files.parquet)
            .unwrap();
        let schema = text_shapes::stored_schema();
        let offsets = meta.offset_index().expect("offset index");
        for (rg, rg_offsets) in meta.row_groups().iter().zip(offsets) {
            for (c, pages) in rg_offsets.iter().enumerate() {
                let name = schema.field(c).name();
                let starts: Vec<i64> = pages
                    .page_locations()
                    .iter()
                    .map(|p| p.first_row_index)
                    .chain([rg.num_rows()])
                    .collect();
                let rows: Vec<i64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
                assert!(
                    rows.len() >= 2,
                    "{name}: one page for {} rows",
                    rg.num_rows()
                );
                // parquet-rs checks the limit between write batches of
                // 1,024 values: a page cut early by its bytes shifts the
                // next cuts off the batches' boundaries
                assert!(
                    rows.iter().all(|&r| r < 2_048 + 1_024),
                    "{name}: pages of {rows:?} rows"
                );
            }
            let encodings = |name: &str| {
                let idx = schema.index_of(name).unwrap();
                rg.column(idx).encodings().collect::<Vec<_>>()
            };
            assert!(encodings(col::TIMESTAMP).contains(&Encoding::DELTA_BINARY_PACKED));
            for (c, column) in schema.fields().iter().zip(rg.columns()) {
                let plain = UNCOMPRESSED_COLUMNS.contains(&c.name().as_str());
                assert_eq!(
                    matches!(column.compression(), Compression::UNCOMPRESSED),
                    plain,
                    "{}: {:?}",
                    c.name(),
                    column.compression()
                );
            }
            assert!(encodings(col::LOG_ID).contains(&Encoding::DELTA_BYTE_ARRAY));
            for c in SPLIT_METRIC_COLUMNS {
                assert!(!encodings(c).contains(&Encoding::RLE_DICTIONARY), "{c}");
                assert!(encodings(c).contains(&Encoding::BYTE_STREAM_SPLIT), "{c}");
            }
            assert!(encodings(col::SERVICE).contains(&Encoding::RLE_DICTIONARY));
            assert!(!encodings(col::TRACE_ID).contains(&Encoding::RLE_DICTIONARY));
            for c in SHAPED_COLUMNS {
                assert!(
                    !encodings(&vars_column(c)).contains(&Encoding::RLE_DICTIONARY),
                    "{c}"
                );
                assert_eq!(
                    encodings(&shape_column(c)).contains(&Encoding::RLE_DICTIONARY),
                    !PLAIN_SHAPE_COLUMNS.contains(c),
                    "{c}"
                );
            }
        }

        // the sample's metrics have two decimals (one for CPU)
        let stored = ParquetRecordBatchReaderBuilder::try_new(files.parquet.clone())
            .unwrap()
            .schema()
            .clone();
        let stored_type = |c: &str| stored.field_with_name(c).unwrap().data_type().clone();
        assert_eq!(stored_type(col::DURATION_MS), DataType::Decimal32(9, 2));
        assert_eq!(stored_type(col::MEMORY_MB), DataType::Decimal32(9, 2));
        assert_eq!(stored_type(col::CPU_PERCENT), DataType::Decimal32(9, 1));

        let read = reader::read_all(files.parquet.clone(), &files.meta.id).unwrap();
        assert_eq!(concat_batches(&batch.schema(), &read).unwrap(), batch);
    }

    /// `message`, `attributes` and `stack_trace` are stored as shapes and
    /// variables unless the layout turns that off; the rows read back the
    /// same either way, and each column takes far fewer bytes than the
    /// text.
    #[test]
    fn shaped_columns_are_stored_as_shapes_and_variables_unless_turned_off() {
        let records = generate(&SampleConfig::default(), 20_000);
        let batch = sort_by_timestamp(&records_to_batch(&records).unwrap()).unwrap();
        let column_bytes = |text_shapes: bool| {
            let layout = SegmentLayout {
                text_shapes,
                ..SegmentLayout::default()
            };
            let files = write_segment(&batch, "ws-acme", &layout).unwrap();
            let read = reader::read_all(files.parquet.clone(), &files.meta.id).unwrap();
            assert_eq!(concat_batches(&batch.schema(), &read).unwrap(), batch);
            let meta = ParquetMetaDataReader::new()
                .parse_and_finish(&files.parquet)
                .unwrap();
            let mut bytes = BTreeMap::new();
            for rg in meta.row_groups() {
                for c in rg.columns() {
                    *bytes.entry(c.column_path().string()).or_insert(0) += c.compressed_size();
                }
            }
            bytes
        };
        let text = column_bytes(false);
        let shaped = column_bytes(true);
        for c in SHAPED_COLUMNS {
            assert!(text.contains_key(*c), "{text:?}");
            assert!(!text.contains_key(&vars_column(c)), "{text:?}");
            assert!(!shaped.contains_key(*c), "{shaped:?}");
            let plain = text[*c];
            let encoded = shaped[&vars_column(c)] + shaped[&shape_column(c)];
            assert!(
                encoded * 4 < plain * 3,
                "{c}: shape + variables {encoded} B against {plain} B of text"
            );
        }
    }

    /// With `text_shapes` off (files other tools read directly) the metrics
    /// keep the table's types in every file, in plain or dictionary pages.
    #[test]
    fn files_for_other_tools_keep_the_metrics_as_doubles() {
        let records = generate(&SampleConfig::default(), 5_000);
        let batch = sort_by_timestamp(&records_to_batch(&records).unwrap()).unwrap();
        let layout = SegmentLayout {
            text_shapes: false,
            ..SegmentLayout::default()
        };
        let (parquet, _) = write_parquet(&batch, &layout, "seg").unwrap();
        let parquet = bytes::Bytes::from(parquet);
        let builder = ParquetRecordBatchReaderBuilder::try_new(parquet.clone()).unwrap();
        assert_eq!(builder.schema().as_ref(), batch.schema().as_ref());
        let meta = builder.metadata();
        for rg in meta.row_groups() {
            for c in rg.columns() {
                let encodings: Vec<_> = c.encodings().collect();
                assert!(
                    !encodings.contains(&Encoding::BYTE_STREAM_SPLIT),
                    "{}: {encodings:?}",
                    c.column_path()
                );
            }
        }
        let read = reader::read_all(parquet, "seg").unwrap();
        assert_eq!(concat_batches(&batch.schema(), &read).unwrap(), batch);
    }

    /// The text columns' data pages are cut near `text_page_bytes`
    /// uncompressed, the shaped columns' variables' near `vars_page_bytes`
    /// and the id columns' near `id_page_bytes` (the writer
    /// checks the size between mini-batches of values, so a page of wide
    /// values may pass the limit by half or more); the other columns' pages
    /// are cut by neither.
    #[test]
    fn wide_pages_are_cut_at_their_byte_limits() {
        use parquet::column::page::Page;
        use parquet::file::reader::{FileReader, SerializedFileReader};

        let records = generate(&SampleConfig::default(), 4_000);
        let batch = sort_by_timestamp(&records_to_batch(&records).unwrap()).unwrap();
        let layout = SegmentLayout {
            text_page_bytes: 8 << 10,
            vars_page_bytes: 2 << 10,
            id_page_bytes: 4 << 10,
            ..SegmentLayout::default()
        };
        let files = write_segment(&batch, "ws-acme", &layout).unwrap();
        let reader = SerializedFileReader::new(files.parquet.clone()).unwrap();
        let schema = text_shapes::stored_schema();
        let pages = |name: &str| {
            let c = schema.index_of(name).unwrap();
            let mut sizes = Vec::new();
            let pages = reader.get_row_group(0).unwrap();
            for page in pages.get_column_page_reader(c).unwrap() {
                if let Page::DataPage { buf, .. } = page.unwrap() {
                    sizes.push(buf.len());
                }
            }
            sizes
        };
        // the shaped columns by their variables, cut at their own limit
        let unshaped = TEXT_COLUMNS.iter().filter(|c| !SHAPED_COLUMNS.contains(c));
        let limits = unshaped
            .map(|c| (c.to_string(), 8 << 10))
            .chain(SHAPED_COLUMNS.iter().map(|c| (vars_column(c), 2 << 10)))
            .chain(ID_COLUMNS.iter().map(|c| (c.to_string(), 4 << 10)));
        for (c, limit) in limits {
            let c = c.as_str();
            let sizes = pages(c);
            assert!(sizes.len() >= 2, "{c}: {sizes:?}");
            let cap = 3 * limit;
            assert!(sizes.iter().all(|&b| b <= cap), "{c}: {sizes:?} over {cap}");
        }

        // a 32-character trace id per row: 4,000 rows are over 100 KiB
        assert!(
            pages(col::TRACE_ID).len() >= 25,
            "{:?}",
            pages(col::TRACE_ID)
        );
        // 4,000 rows of a narrow column fit one 4,096-row page
        assert_eq!(pages(col::SERVICE).len(), 1);
        assert_eq!(pages(col::MEMORY_MB).len(), 1);
        let read = reader::read_all(files.parquet, &files.meta.id).unwrap();
        assert_eq!(concat_batches(&batch.schema(), &read).unwrap(), batch);
    }

    /// Shapes that rarely repeat (texts without digits are their own
    /// shape) stop growing the dictionary at `SHAPE_DICTIONARY_BYTES`; the
    /// rest of the column chunk is plain and every row reads back.
    #[test]
    fn shape_dictionaries_stop_at_their_cap() {
        use parquet::column::page::Page;
        use parquet::file::reader::{FileReader, SerializedFileReader};

        let mut records = generate(&SampleConfig::default(), 20_000);
        let letters = |mut i: usize| {
            let mut w = String::new();
            loop {
                w.push((b'a' + (i % 26) as u8) as char);
                i /= 26;
                if i == 0 {
                    return w;
                }
            }
        };
        for (i, r) in records.iter_mut().enumerate() {
            r.message = format!("job {} finished without digits", letters(i));
        }
        let batch = sort_by_timestamp(&records_to_batch(&records).unwrap()).unwrap();
        let files = write_segment(&batch, "ws-acme", &SegmentLayout::default()).unwrap();
        let reader = SerializedFileReader::new(files.parquet.clone()).unwrap();
        let schema = text_shapes::stored_schema();
        let column = schema.index_of(&shape_column(col::MESSAGE)).unwrap();
        let (mut dictionary, mut plain_pages) = (None, 0);
        let row_group = reader.get_row_group(0).unwrap();
        for page in row_group.get_column_page_reader(column).unwrap() {
            match page.unwrap() {
                Page::DictionaryPage { buf, .. } => dictionary = Some(buf.len()),
                Page::DataPage { encoding, .. } | Page::DataPageV2 { encoding, .. } => {
                    plain_pages += usize::from(encoding == Encoding::PLAIN);
                }
            }
        }
        let dictionary = dictionary.expect("a dictionary page");
        // 20,000 distinct shapes of ~35 bytes are ~700 KB
        assert!(dictionary <= 136 << 10, "{dictionary} B of dictionary");
        assert!(plain_pages > 0, "no fallback to plain pages");
        let read = reader::read_all(files.parquet, &files.meta.id).unwrap();
        assert_eq!(concat_batches(&batch.schema(), &read).unwrap(), batch);
    }

    #[test]
    fn a_bad_zstd_level_is_a_config_error() {
        let records = generate(&SampleConfig::default(), 10);
        let batch = records_to_batch(&records).unwrap();
        let layout = SegmentLayout {
            text_zstd_level: 99,
            ..SegmentLayout::default()
        };
        let err = write_segment(&batch, "ws-acme", &layout).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
    }
}
