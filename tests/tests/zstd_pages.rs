//! Strata builds a patched parquet (vendor/README.md): a zstd codec creates
//! its compression context on first use, and every codec of a thread
//! decompresses with the thread's one decompression context. Pages of
//! several columns and files read in turns on one thread, and on two
//! threads at once, come back as written; a corrupt page fails the read
//! without spoiling the shared context for the reads after it. And the
//! build uses that copy, not the registry's.

use std::sync::Arc;
use std::thread;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, UInt32Array};
use arrow::compute::{concat_batches, take_record_batch};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata_engine::segment::row_selection::rows_to_read;

const ROWS: usize = 20_000;

/// Random ids and texts: nothing for zstd to find between two files.
fn batch(seed: u64) -> RecordBatch {
    let mut rng = StdRng::seed_from_u64(seed);
    let ids: Int64Array = (0..ROWS).map(|_| Some(rng.random::<i64>())).collect();
    let texts: StringArray = (0..ROWS)
        .map(|i| Some(format!("row {i} of file {seed}: {:x}", rng.random::<u64>())))
        .collect();
    RecordBatch::try_from_iter([
        ("id", Arc::new(ids) as ArrayRef),
        ("text", Arc::new(texts) as ArrayRef),
    ])
    .expect("batch")
}

/// `batch` as zstd Parquet: four row groups of pages of 500 rows.
fn file(batch: &RecordBatch) -> Bytes {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).expect("level")))
        .set_dictionary_enabled(false)
        .set_data_page_row_count_limit(500)
        .set_write_batch_size(500)
        .set_max_row_group_row_count(Some(ROWS / 4))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).expect("writer");
    writer.write(batch).expect("write");
    writer.close().expect("close");
    Bytes::from(out)
}

fn reader(file: &Bytes, batch_size: usize, rows: Option<&[u32]>) -> ParquetRecordBatchReader {
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file.clone())
        .expect("metadata")
        .with_batch_size(batch_size);
    if let Some(rows) = rows {
        // What the engine reads for given rows: the row groups holding
        // them, single rows selected within.
        let group_rows: Vec<u64> = builder
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows() as u64)
            .collect();
        let read = rows_to_read(&group_rows, |_| true, Some(rows));
        builder = builder
            .with_row_groups(read.row_groups)
            .with_row_selection(read.selection);
    }
    builder.build().expect("reader")
}

/// Reads the readers in turns, one batch each, until all are done; each
/// reader's batches concatenated.
fn read_in_turns(mut readers: Vec<ParquetRecordBatchReader>) -> Vec<RecordBatch> {
    let mut read: Vec<Vec<RecordBatch>> = vec![Vec::new(); readers.len()];
    let mut open = readers.len();
    while open > 0 {
        open = 0;
        for (reader, batches) in readers.iter_mut().zip(&mut read) {
            if let Some(batch) = reader.next() {
                batches.push(batch.expect("decodes"));
                open += 1;
            }
        }
    }
    read.into_iter()
        .map(|batches| concat_batches(&batches[0].schema(), &batches).expect("concat"))
        .collect()
}

fn scattered_rows(seed: u64) -> Vec<u32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rows: Vec<u32> = (0..300).map(|_| rng.random_range(0..ROWS as u32)).collect();
    rows.sort_unstable();
    rows.dedup();
    rows
}

#[test]
fn the_build_uses_the_patched_crates() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).expect("Cargo.lock");
    for (name, patched) in [
        ("parquet", "vendor/parquet/src/compression.rs"),
        (
            "tantivy-sstable",
            "vendor/tantivy-sstable/src/block_reader.rs",
        ),
        ("tantivy-sstable", "vendor/tantivy-sstable/src/delta.rs"),
    ] {
        let entries: Vec<&str> = lock
            .split("[[package]]")
            .filter(|p| p.contains(&format!("\nname = \"{name}\"\n")))
            .collect();
        assert_eq!(entries.len(), 1, "one {name} in Cargo.lock");
        assert!(
            !entries[0].contains("source ="),
            "{name} comes from vendor/ (a path), not a registry: {}",
            entries[0]
        );
        let source = std::fs::read_to_string(root.join(patched)).expect(patched);
        assert!(
            source.contains("Strata patch"),
            "{patched}: the patch is applied"
        );
    }
}

#[test]
fn pages_of_files_read_in_turns_come_back_as_written() {
    let batches = [batch(1), batch(2), batch(3)];
    let files: Vec<Bytes> = batches.iter().map(file).collect();
    // Whole files in batches that end inside pages, so the columns'
    // decompressions alternate, and the files' too.
    let readers = files
        .iter()
        .zip([333, 777, 1_000])
        .map(|(f, size)| reader(f, size, None))
        .collect();
    assert_eq!(read_in_turns(readers), batches);

    // Scattered single rows, as a search reads them: a page here and
    // there of every column.
    let picks: Vec<Vec<u32>> = (0..3).map(|s| scattered_rows(10 + s)).collect();
    let readers = files
        .iter()
        .zip(&picks)
        .map(|(f, rows)| reader(f, 64, Some(rows)))
        .collect();
    let expected: Vec<RecordBatch> = batches
        .iter()
        .zip(&picks)
        .map(|(b, rows)| take_record_batch(b, &UInt32Array::from(rows.clone())).expect("take"))
        .collect();
    assert_eq!(read_in_turns(readers), expected);
}

#[test]
fn threads_reading_at_once_each_decode_their_pages() {
    let batches = [batch(4), batch(5)];
    let files: Vec<Bytes> = batches.iter().map(file).collect();
    let read = thread::scope(|scope| {
        let running: Vec<_> = (0..2)
            .map(|t| {
                let files = &files;
                scope.spawn(move || {
                    // Each thread reads both files, in the other order.
                    let order = if t == 0 { [0, 1] } else { [1, 0] };
                    let readers = order
                        .iter()
                        .map(|&i| reader(&files[i], 250, None))
                        .collect();
                    let mut read = read_in_turns(readers);
                    if t == 1 {
                        read.reverse();
                    }
                    read
                })
            })
            .collect();
        running
            .into_iter()
            .map(|t| t.join().expect("thread"))
            .collect::<Vec<_>>()
    });
    for from_thread in read {
        assert_eq!(from_thread, batches);
    }
}

#[test]
fn a_corrupt_page_fails_and_reads_after_it_still_decode() {
    let good = batch(6);
    let good_file = file(&good);
    let corrupt = corrupt_second_row_groups_text_page(&file(&batch(7)));

    // Read up to the corrupt page, with the good file's pages in between.
    let mut readers = vec![
        reader(&corrupt, 1_000, None),
        reader(&good_file, 1_000, None),
    ];
    let mut failed = None;
    'read: loop {
        for reader in &mut readers {
            match reader.next() {
                Some(Err(e)) => {
                    failed = Some(e.to_string());
                    break 'read;
                }
                Some(Ok(_)) => {}
                None => break 'read,
            }
        }
    }
    let failed = failed.expect("the corrupt page fails the read");
    assert!(
        failed.to_lowercase().contains("corrupt"),
        "zstd names the corrupt block: {failed}"
    );

    // Same thread, same shared context: the good file reads whole.
    assert_eq!(read_in_turns(vec![reader(&good_file, 1_000, None)]), [good]);
}

/// `file` with the first zstd block of row group 1's first `text` page
/// marked as a reserved block type, which zstd refuses mid-frame (after
/// reading the frame header into its context).
fn corrupt_second_row_groups_text_page(file: &Bytes) -> Bytes {
    let metadata = ParquetRecordBatchReaderBuilder::try_new(file.clone())
        .expect("metadata")
        .metadata()
        .clone();
    let page = metadata.row_group(1).column(1).data_page_offset() as usize;
    let magic = [0x28, 0xb5, 0x2f, 0xfd];
    let frame = page
        + file[page..]
            .windows(4)
            .position(|w| w == magic)
            .expect("a zstd frame in the page");
    let descriptor = file[frame + 4];
    let single_segment = descriptor & 0x20 != 0;
    let window = usize::from(!single_segment);
    let dictionary = [0, 1, 2, 4][usize::from(descriptor & 0x03)];
    let content_size = match descriptor >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let block = frame + 5 + window + dictionary + content_size;
    let mut bytes = file.to_vec();
    bytes[block] |= 0b110; // block type 3: reserved
    Bytes::from(bytes)
}
