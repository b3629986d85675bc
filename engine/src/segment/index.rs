//! The full-text index of a segment and its single-file bundle.
//!
//! The tantivy index holds one document per Parquet row; the u64 fast field
//! `_row` stores the row ordinal, so a hit maps to a Parquet row whatever
//! the number of tantivy segments. Each text column (`message`,
//! `error_message`, `stack_trace`) holds a row's tokens outside its
//! template group's static tokens, which the bundle keeps once per group
//! (see [`template_groups`](super::template_groups)); id columns are single
//! raw terms. No field keeps positions: a phrase takes the rows holding all
//! its tokens from the index and is checked on the Parquet column
//! (`engine/text_rows.rs`). Hits are ordered by timestamp, never scored, so
//! no field keeps fieldnorms (a byte per document and field). No field is
//! stored, so the doc store tantivy writes (an empty entry and a 4-byte
//! offset per document, ~2 bytes per record compressed) is never read: the
//! bundle keeps it as an empty file, and opening gives tantivy a store
//! holding no documents in its place. Term dictionaries are sstables whose
//! blocks are compressed with zstd (tantivy's `quickwit` feature with
//! `tantivy-sstable`'s `zstd-compression`): 46% of the bytes of the FST
//! dictionaries of bundles before `STRIDX05`, which this build cannot read.
//!
//! Bundle layout (little endian), see `docs/format.md`:
//!
//! ```text
//! "STRIDX05" | u32 file_count | file_count × (u16 name_len, name, u64 offset, u64 len)
//! | file bytes ... | u32 CRC32C of everything before it
//! ```

use std::path::{Path, PathBuf};

use std::sync::{Arc, OnceLock};

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::Int64Type;
use tantivy::IndexSettings;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::directory::{Directory, ManagedDirectory, RamDirectory};
use tantivy::schema::document::{Document, ReferenceValue, ReferenceValueLeaf, Value};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::store::{Compressor, StoreWriter, ZstdCompressor};
use tantivy::{DocId, Index, IndexReader, ReloadPolicy, Score, SegmentOrdinal, SegmentReader};

use super::group_postings::GroupPostings;
use super::template_groups::{
    GROUP_FIELD_PREFIX, GROUPS_FILE_PREFIX, Split, TemplateGroups, group_field, groups_file,
};
use crate::error::{Error, Result};
use crate::schema::{RAW_TERM_COLUMNS, TEXT_COLUMNS, col};
use crate::text_query::TextQuery;

/// Magic of this build's bundles: term dictionaries as zstd-compressed
/// sstables (tantivy's `quickwit` feature), no doc store.
const MAGIC: &[u8; 8] = b"STRIDX05";
/// Magics of older bundles, whose term dictionaries are FSTs this build of
/// tantivy cannot read: `STRIDX04` (ids indexed by hash, an experiment of
/// round 15 that was reverted), `STRIDX03` (no doc store), `STRIDX02`
/// (template groups), `STRIDX01` (every token per row). The engine
/// rewrites their segments when it opens a data directory
/// (`Engine::upgrade_indexes`).
const FST_MAGICS: [&[u8; 8]; 4] = [b"STRIDX04", b"STRIDX03", b"STRIDX02", b"STRIDX01"];
/// Index format of this build's bundles, recorded in each segment's
/// manifest entry ([`SegmentMeta::index_format`](super::SegmentMeta)); 0
/// for entries written before it was recorded (FST term dictionaries).
pub const INDEX_FORMAT: u32 = 5;
/// Name of the fast field holding the Parquet row ordinal.
pub const ROW_FIELD: &str = "_row";
const WRITER_HEAP_BYTES: usize = 64 << 20;

/// The tantivy schema of every segment index.
pub fn index_schema() -> Schema {
    let mut b = Schema::builder();
    let text = |tokenizer: &str, record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(record)
                .set_fieldnorms(false),
        )
    };
    for c in TEXT_COLUMNS {
        // Analyzed already (template_groups), space-separated.
        b.add_text_field(c, text("whitespace", IndexRecordOption::Basic));
        b.add_u64_field(&group_field(c), NumericOptions::default().set_indexed());
    }
    for c in RAW_TERM_COLUMNS {
        b.add_text_field(c, text("raw", IndexRecordOption::Basic));
    }
    b.add_u64_field(ROW_FIELD, FAST);
    b.build()
}

fn tantivy_err(segment_id: &str) -> impl Fn(tantivy::TantivyError) -> Error + '_ {
    move |source| Error::Index {
        segment_id: segment_id.to_string(),
        source,
    }
}

/// What the documents of a batch are read from: the raw columns in place
/// (indexing copies no strings) and the split text columns.
struct DocColumns {
    strings: Vec<(Field, StringArray)>,
    /// (text field, its group field, the column's split)
    texts: Vec<(Field, Field, Split)>,
    row_field: Field,
}

/// One row of a batch as a tantivy document.
struct RowDoc {
    columns: Arc<DocColumns>,
    row: usize,
}

/// A value of a [`RowDoc`]: a string, or a group number or row ordinal.
#[derive(Debug, Clone)]
enum RowValue<'a> {
    Str(&'a str),
    U64(u64),
}

impl<'a> Value<'a> for RowValue<'a> {
    type ArrayIter = std::iter::Empty<Self>;
    type ObjectIter = std::iter::Empty<(&'a str, Self)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        ReferenceValue::Leaf(match self {
            RowValue::Str(s) => ReferenceValueLeaf::Str(s),
            RowValue::U64(r) => ReferenceValueLeaf::U64(*r),
        })
    }
}

/// The non-null raw values of a [`RowDoc`], then the residual tokens and
/// group of each text column, then its row ordinal.
struct RowDocValues<'a> {
    doc: &'a RowDoc,
    next: usize,
}

impl<'a> Iterator for RowDocValues<'a> {
    type Item = (Field, RowValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let c = &*self.doc.columns;
        let row = self.doc.row;
        while self.next < c.strings.len() {
            let (field, array) = &c.strings[self.next];
            self.next += 1;
            if array.is_valid(row) {
                return Some((*field, RowValue::Str(array.value(row))));
            }
        }
        loop {
            let k = self.next - c.strings.len();
            self.next += 1;
            let Some((text, group, split)) = c.texts.get(k / 2) else {
                return (k == 2 * c.texts.len())
                    .then_some((c.row_field, RowValue::U64(row as u64)));
            };
            if k.is_multiple_of(2) {
                let residual = split.residual(row);
                if !residual.is_empty() {
                    return Some((*text, RowValue::Str(residual)));
                }
            } else if let Some(g) = split.group_of_row[row] {
                return Some((*group, RowValue::U64(u64::from(g))));
            }
        }
    }
}

impl Document for RowDoc {
    type Value<'a> = RowValue<'a>;
    type FieldsValuesIter<'a> = RowDocValues<'a>;

    fn iter_fields_and_values(&self) -> RowDocValues<'_> {
        RowDocValues { doc: self, next: 0 }
    }
}

/// Builds the index of `batch` and packs it into one bundle.
pub fn build_bundle(batch: &RecordBatch, segment_id: &str) -> Result<Vec<u8>> {
    let err = tantivy_err(segment_id);
    let schema = index_schema();
    let dir = RamDirectory::create();
    // One segment, built on this thread: no channel to indexing threads
    // and no merge afterwards.
    let mut writer = Index::builder()
        .schema(schema.clone())
        .settings(IndexSettings {
            docstore_compression: Compressor::Zstd(ZstdCompressor::default()),
            ..IndexSettings::default()
        })
        .single_segment_index_writer::<RowDoc>(dir.clone(), WRITER_HEAP_BYTES)
        .map_err(&err)?;
    let column = |name: &str| -> Result<&dyn Array> {
        Ok(batch.column(batch.schema().index_of(name)?).as_ref())
    };
    let field = |name: &str| schema.get_field(name).map_err(&err);
    let mut strings: Vec<(Field, StringArray)> = Vec::new();
    for name in RAW_TERM_COLUMNS {
        strings.push((field(name)?, column(name)?.as_string::<i32>().clone()));
    }
    let template_ids = column(col::TEMPLATE_ID)?.as_primitive::<Int64Type>();
    let mut texts = Vec::new();
    let mut group_files = Vec::new();
    for name in TEXT_COLUMNS {
        let split = Split::new(column(name)?.as_string::<i32>(), template_ids);
        group_files.push((groups_file(name), split.encode()));
        texts.push((field(name)?, field(&group_field(name))?, split));
    }
    let columns = Arc::new(DocColumns {
        strings,
        texts,
        row_field: field(ROW_FIELD)?,
    });
    for row in 0..batch.num_rows() {
        writer
            .add_document(RowDoc {
                columns: columns.clone(),
                row,
            })
            .map_err(&err)?;
    }
    drop(columns);
    let index = writer.finalize().map_err(&err)?;

    let mut files: Vec<PathBuf> = index.directory().list_managed_files().into_iter().collect();
    for extra in ["meta.json", ".managed.json"] {
        let p = PathBuf::from(extra);
        if !files.contains(&p)
            && dir.exists(&p).map_err(|e| Error::Corrupt {
                what: format!("index of segment {segment_id}"),
                reason: e.to_string(),
            })?
        {
            files.push(p);
        }
    }
    files.sort();
    let mut contents = Vec::with_capacity(files.len() + 1);
    for f in &files {
        if is_store(f) {
            contents.push(Vec::new());
            continue;
        }
        let data = dir.atomic_read(f).map_err(|e| Error::Corrupt {
            what: format!("index of segment {segment_id}"),
            reason: format!("cannot read {}: {e}", f.display()),
        })?;
        contents.push(data);
    }
    for (name, data) in group_files {
        files.push(PathBuf::from(name));
        contents.push(data);
    }
    let header_len: usize = 8
        + 4
        + files
            .iter()
            .map(|f| 2 + f.to_string_lossy().len() + 16)
            .sum::<usize>();
    let total: usize = header_len + contents.iter().map(Vec::len).sum::<usize>() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(files.len() as u32).to_le_bytes());
    let mut offset = header_len as u64;
    for (f, data) in files.iter().zip(&contents) {
        let name = f.to_string_lossy();
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        offset += data.len() as u64;
    }
    for data in &contents {
        out.extend_from_slice(data);
    }
    let crc = crc32c::crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// The (name, bytes) of every file a bundle holds, its magic and checksum
/// verified; the error says what is wrong.
fn bundle_files(bundle: &[u8]) -> std::result::Result<Vec<(&str, &[u8])>, String> {
    if let Some(old) = FST_MAGICS.iter().find(|m| bundle.starts_with(&m[..])) {
        return Err(format!(
            "bundle format {} keeps FST term dictionaries, which this build \
             cannot read (it writes {}); opening the data directory rewrites \
             such segments",
            String::from_utf8_lossy(&old[..]),
            String::from_utf8_lossy(MAGIC)
        ));
    }
    if bundle.len() < MAGIC.len() + 8 || !bundle.starts_with(MAGIC) {
        return Err("missing magic".into());
    }
    let (body, crc) = bundle.split_at(bundle.len() - 4);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if crc32c::crc32c(body) != stored {
        return Err("checksum mismatch".into());
    }
    let count = u32::from_le_bytes([body[8], body[9], body[10], body[11]]) as usize;
    let mut files = Vec::with_capacity(count);
    let mut pos = 12;
    for _ in 0..count {
        if pos + 2 > body.len() {
            return Err("truncated header".into());
        }
        let name_len = u16::from_le_bytes([body[pos], body[pos + 1]]) as usize;
        pos += 2;
        if pos + name_len + 16 > body.len() {
            return Err("truncated header".into());
        }
        let name = std::str::from_utf8(&body[pos..pos + name_len])
            .map_err(|_| "file name is not UTF-8".to_string())?;
        pos += name_len;
        let offset = read_u64(body, pos) as usize;
        let len = read_u64(body, pos + 8) as usize;
        pos += 16;
        let data = body
            .get(offset..offset.saturating_add(len))
            .ok_or_else(|| format!("{name}: file range out of bounds"))?;
        files.push((name, data));
    }
    Ok(files)
}

/// Whether `file` is a tantivy segment's doc store.
fn is_store(file: &Path) -> bool {
    file.extension().is_some_and(|e| e == "store")
}

/// A doc store holding no documents, as this tantivy version writes it:
/// what an opened index gets for the store its bundle leaves out. Nothing
/// reads a document from it (no field is stored, and hits are read from
/// the `_row` fast field), and opening checks no document count against
/// it.
fn empty_store() -> std::result::Result<&'static [u8], String> {
    static EMPTY: OnceLock<std::result::Result<Vec<u8>, String>> = OnceLock::new();
    let written = EMPTY.get_or_init(|| {
        // Written through a managed directory, which appends the footer
        // (version, checksum) tantivy checks on every segment file.
        let dir =
            ManagedDirectory::wrap(Box::new(RamDirectory::create())).map_err(|e| e.to_string())?;
        let path = Path::new("empty.store");
        let out = dir.open_write(path).map_err(|e| e.to_string())?;
        StoreWriter::new(
            out,
            Compressor::Zstd(ZstdCompressor::default()),
            16_384,
            false,
        )
        .and_then(StoreWriter::close)
        .map_err(|e| e.to_string())?;
        dir.atomic_read(path).map_err(|e| e.to_string())
    });
    written.as_deref().map_err(Clone::clone)
}

/// An opened segment index, ready to answer queries.
pub struct SegmentIndex {
    segment_id: String,
    reader: IndexReader,
    schema: Schema,
    /// Static tokens of each text column's row groups, and the postings
    /// of its group field.
    groups: Vec<(String, TemplateGroups, GroupPostings)>,
    groups_bytes: usize,
    /// The bundle holds no doc store (opened with an empty one).
    store_left_out: bool,
    bytes: usize,
}

impl std::fmt::Debug for SegmentIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentIndex")
            .field("segment_id", &self.segment_id)
            .field("bytes", &self.bytes)
            .finish()
    }
}

fn corrupt(segment_id: &str, reason: impl Into<String>) -> Error {
    Error::Corrupt {
        what: format!("index bundle of segment {segment_id}"),
        reason: reason.into(),
    }
}

fn read_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

impl SegmentIndex {
    /// Opens a bundle produced by [`build_bundle`], verifying its checksum.
    pub fn open(bundle: &[u8], segment_id: &str) -> Result<SegmentIndex> {
        let c = |r: &str| corrupt(segment_id, r);
        let dir = RamDirectory::create();
        let mut groups: Vec<(String, TemplateGroups)> = Vec::new();
        let mut groups_bytes = 0;
        let mut store_left_out = false;
        for (name, data) in bundle_files(bundle).map_err(|r| c(&r))? {
            if let Some(column) = name.strip_prefix(GROUPS_FILE_PREFIX) {
                groups_bytes += data.len();
                let decoded =
                    TemplateGroups::decode(data).map_err(|e| c(&format!("{name}: {e}")))?;
                groups.push((column.to_string(), decoded));
                continue;
            }
            let data = if data.is_empty() && is_store(Path::new(name)) {
                store_left_out = true;
                empty_store().map_err(|e| c(&format!("no empty doc store for {name}: {e}")))?
            } else {
                data
            };
            dir.atomic_write(Path::new(name), data)
                .map_err(|e| c(&format!("cannot load {name}: {e}")))?;
        }
        let err = tantivy_err(segment_id);
        let index = Index::open(dir).map_err(&err)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(&err)?;
        let schema = index.schema();
        // Every group field needs its column's static tokens, or terms
        // on that column would miss rows.
        for (_, entry) in schema.fields() {
            if let Some(column) = entry.name().strip_prefix(GROUP_FIELD_PREFIX)
                && !groups.iter().any(|(c, _)| c == column)
            {
                return Err(c(&format!(
                    "index field {} has no {}",
                    entry.name(),
                    groups_file(column)
                )));
            }
        }
        // One tantivy segment per bundle: its group fields' postings.
        let searcher = reader.searcher();
        let segment = match searcher.segment_readers() {
            [segment] => segment,
            readers => return Err(c(&format!("{} tantivy segments, not 1", readers.len()))),
        };
        // (and every column's static tokens need its group field, or
        // terms on that column would miss the groups' rows)
        let mut groups_with_postings = Vec::with_capacity(groups.len());
        for (column, decoded) in groups {
            let field = schema.get_field(&group_field(&column)).map_err(|_| {
                c(&format!(
                    "{} has no index field {}",
                    groups_file(&column),
                    group_field(&column)
                ))
            })?;
            let postings = GroupPostings::load(segment, field).map_err(&err)?;
            groups_with_postings.push((column, decoded, postings));
        }
        drop(searcher);
        let postings_bytes: usize = groups_with_postings
            .iter()
            .map(|(_, _, p)| p.size_bytes())
            .sum();
        Ok(SegmentIndex {
            segment_id: segment_id.to_string(),
            schema,
            groups: groups_with_postings,
            groups_bytes,
            store_left_out,
            reader,
            bytes: bundle.len() + postings_bytes,
        })
    }

    /// True if every field `query` reads is in this index, and every
    /// phrase of several tokens is on a field indexed with positions, so
    /// [`search`](Self::search) can answer it alone (no field keeps
    /// positions now, so a phrase of several tokens is checked on the
    /// Parquet column).
    pub fn answers(&self, query: &TextQuery) -> bool {
        query
            .field_refs()
            .iter()
            .all(|f| self.schema.get_field(f).is_ok())
            && query.phrase_fields().iter().all(|f| self.has_positions(f))
    }

    fn has_positions(&self, field: &str) -> bool {
        self.schema.get_field(field).is_ok_and(|f| {
            self.schema
                .get_field_entry(f)
                .field_type()
                .get_index_record_option()
                .is_some_and(|o| o.has_positions())
        })
    }

    /// Bytes of each (field, part) of the index: `termdict`, `postings`,
    /// `positions` and `fast` per field, then `store` and `groups` (the
    /// static tokens file), for finding what the index spends its bytes on.
    pub fn space_by_part(&self) -> Result<Vec<(String, String, u64)>> {
        let usage = self
            .reader
            .searcher()
            .space_usage()
            .map_err(|e| corrupt(&self.segment_id, e.to_string()))?;
        let mut out = Vec::new();
        for segment in usage.segments() {
            for (part, per_field) in [
                ("termdict", segment.termdict()),
                ("postings", segment.postings()),
                ("positions", segment.positions()),
                ("fast", segment.fast_fields()),
            ] {
                for f in per_field.fields() {
                    out.push((
                        f.field_name().to_string(),
                        part.to_string(),
                        f.total().get_bytes(),
                    ));
                }
            }
            // A store the bundle left out takes none of its bytes.
            let store = if self.store_left_out {
                0
            } else {
                segment.store().total().get_bytes()
            };
            out.push((String::new(), "store".to_string(), store));
        }
        out.push((
            String::new(),
            "groups".to_string(),
            self.groups_bytes as u64,
        ));
        Ok(out)
    }

    /// Size of the bundle this index was opened from, plus the group
    /// postings' term infos read at open.
    pub fn size_bytes(&self) -> usize {
        self.bytes
    }

    /// Row ordinals matching `query`, ascending.
    pub fn search(&self, query: &TextQuery) -> Result<Vec<u32>> {
        let err = tantivy_err(&self.segment_id);
        let q = query
            .to_tantivy_with(&self.schema, &|leaf| {
                self.groups.iter().find_map(|(column, g, postings)| {
                    let groups = g.groups_matching(column, leaf)?;
                    Some(postings.query(&groups))
                })
            })
            .map_err(&err)?;
        let searcher = self.reader.searcher();
        let mut rows = searcher.search(&q, &RowCollector).map_err(&err)?;
        rows.sort_unstable();
        Ok(rows)
    }
}

/// Collects the `_row` fast field of every matching document.
struct RowCollector;

struct RowSegmentCollector {
    column: Column<u64>,
    rows: Vec<u32>,
}

impl Collector for RowCollector {
    type Fruit = Vec<u32>;
    type Child = RowSegmentCollector;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<RowSegmentCollector> {
        let column = segment.fast_fields().u64(ROW_FIELD)?;
        Ok(RowSegmentCollector {
            column,
            rows: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<u32>>) -> tantivy::Result<Vec<u32>> {
        Ok(fruits.concat())
    }
}

impl SegmentCollector for RowSegmentCollector {
    type Fruit = Vec<u32>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(row) = self.column.first(doc) {
            self.rows.push(row as u32);
        }
    }

    fn harvest(self) -> Vec<u32> {
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{records_to_batch, sort_by_timestamp};
    use crate::sample::{SampleConfig, generate};

    #[test]
    fn bundles_leave_the_doc_store_out_and_answer_queries_like_the_rows() {
        let records = generate(&SampleConfig::default(), 6_000);
        let batch = sort_by_timestamp(&records_to_batch(&records).unwrap()).unwrap();
        let bundle = build_bundle(&batch, "seg-a").unwrap();
        assert!(bundle.starts_with(MAGIC));
        let stores: Vec<usize> = bundle_files(&bundle)
            .unwrap()
            .into_iter()
            .filter(|(name, _)| name.ends_with(".store"))
            .map(|(_, data)| data.len())
            .collect();
        assert_eq!(stores, vec![0], "one tantivy segment, its store empty");

        let trace = records[1_234].trace_id.clone().unwrap();
        let agent = records[77].agent_id.clone();
        let queries = [
            "timeout".to_string(),
            "retriev*".to_string(),
            format!("trace_id:{trace}"),
            format!("trace_id:{}*", &trace[..6]),
            format!("agent_id:{agent} AND error"),
            "service:llm-gateway OR NOT completed".to_string(),
        ];
        let index = SegmentIndex::open(&bundle, "seg-a").unwrap();
        let store_bytes: u64 = index
            .space_by_part()
            .unwrap()
            .iter()
            .filter(|(_, part, _)| part == "store")
            .map(|p| p.2)
            .sum();
        assert_eq!(store_bytes, 0);
        for q in &queries {
            let query = TextQuery::parse(q, col::MESSAGE).unwrap();
            assert!(index.answers(&query), "{q}");
            // Independent oracle: the query evaluated on the rows.
            let mask = query.evaluate(&batch).unwrap();
            let expected: Vec<u32> = (0..batch.num_rows() as u32)
                .filter(|&i| mask.value(i as usize))
                .collect();
            assert!(!expected.is_empty(), "{q} matches nothing");
            assert_eq!(index.search(&query).unwrap(), expected, "{q}");
        }
    }

    /// Bundles of the formats before sstable term dictionaries are refused
    /// with an error naming their format, not read as garbage.
    #[test]
    fn bundles_with_fst_dictionaries_are_refused_naming_their_format() {
        let records = generate(&SampleConfig::default(), 200);
        let batch = sort_by_timestamp(&records_to_batch(&records).unwrap()).unwrap();
        let bundle = build_bundle(&batch, "seg-a").unwrap();
        for old in FST_MAGICS {
            let mut relabelled = bundle.clone();
            relabelled[..8].copy_from_slice(&old[..]);
            let err = SegmentIndex::open(&relabelled, "seg-old").unwrap_err();
            let text = err.to_string();
            let name = String::from_utf8_lossy(&old[..]).into_owned();
            assert!(
                text.contains("seg-old") && text.contains(&name) && text.contains("FST"),
                "{text}"
            );
        }
        let mut unknown = bundle.clone();
        unknown[..8].copy_from_slice(b"NOTANIDX");
        let text = SegmentIndex::open(&unknown, "seg-x")
            .unwrap_err()
            .to_string();
        assert!(text.contains("missing magic"), "{text}");
    }

    /// A term dictionary spanning many sstable blocks (4,000 distinct
    /// trace ids), read by two threads at once: every id and prefix finds
    /// exactly its rows, and the dictionary is compressed (a hex id's 32
    /// characters hold 16 bytes; uncompressed sstable or FST keys take more).
    #[test]
    fn large_term_dictionaries_are_compressed_and_read_from_threads() {
        use rand::{Rng, SeedableRng};
        let mut records = generate(&SampleConfig::default(), 8_000);
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let ids: Vec<String> = (0..4_000)
            .map(|_| format!("{:032x}", rng.random::<u128>()))
            .collect();
        for (i, r) in records.iter_mut().enumerate() {
            r.trace_id = Some(ids[i % ids.len()].clone());
        }
        let batch = sort_by_timestamp(&records_to_batch(&records).unwrap()).unwrap();
        let index =
            Arc::new(SegmentIndex::open(&build_bundle(&batch, "seg-t").unwrap(), "seg-t").unwrap());
        let termdict: u64 = index
            .space_by_part()
            .unwrap()
            .iter()
            .filter(|(field, part, _)| field == col::TRACE_ID && part == "termdict")
            .map(|p| p.2)
            .sum();
        assert!(
            termdict > 0 && termdict < 4_000 * 24,
            "trace_id term dictionary of {termdict} bytes for 4,000 ids"
        );
        let traces = batch
            .column(batch.schema().index_of(col::TRACE_ID).unwrap())
            .as_string::<i32>()
            .clone();
        let rows_of = |pred: &dyn Fn(&str) -> bool| -> Vec<u32> {
            (0..traces.len() as u32)
                .filter(|&i| pred(traces.value(i as usize)))
                .collect()
        };
        std::thread::scope(|scope| {
            for half in 0..2 {
                let index = index.clone();
                let ids = &ids;
                let rows_of = &rows_of;
                scope.spawn(move || {
                    for id in ids.iter().skip(half).step_by(2) {
                        let query =
                            TextQuery::parse(&format!("trace_id:{id}"), col::MESSAGE).unwrap();
                        let expected = rows_of(&|t| t == id);
                        assert_eq!(expected.len(), 2);
                        assert_eq!(index.search(&query).unwrap(), expected, "{id}");
                    }
                    for prefix in ["0", "7f", "abc", "ffff"] {
                        let query =
                            TextQuery::parse(&format!("trace_id:{prefix}*"), col::MESSAGE).unwrap();
                        let expected = rows_of(&|t| t.starts_with(prefix));
                        assert_eq!(index.search(&query).unwrap(), expected, "{prefix}*");
                    }
                });
            }
        });
    }
}
