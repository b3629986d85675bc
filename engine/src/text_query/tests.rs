//! The three evaluators (`to_tantivy`, `matches`, `evaluate`) against each
//! other and against a brute-force oracle that knows nothing of the parser.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, DictionaryArray, Int64Array, LargeStringArray, StringArray, StringViewArray,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema as ArrowSchema};
use arrow::record_batch::RecordBatch;
use tantivy::collector::DocSetCollector;
use tantivy::schema::{FAST, STRING, Schema, TEXT, TantivyDocument};
use tantivy::tokenizer::{TokenStream, TokenizerManager};
use tantivy::{Index, IndexWriter};

use super::{RAW_FIELDS, TEXT_FIELDS, TextQuery, analyze};

const LONG: &str = "Lllllllllllllllllllllllllllllllllllllllllllll"; // 45 bytes: not indexed
const EDGE_39: &str = "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"; // 39 bytes: indexed
const EDGE_40: &str = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"; // 40 bytes: not indexed

/// Words of the synthetic messages, besides `LONG`, `EDGE_39` and `EDGE_40`.
const VOCAB: &str = "timeout Timeout! TIMEOUT timer time timestamp retry retrying connection \
    reset refused user-42 user_7 User-42 42 420 héllo Straße İstanbul disk full main.rs:42 foo \
    bar alpha omega (x) -- ok, a b c … 日本語 ÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉ";
const SEPARATORS: &[&str] = &[" ", ", ", " - ", "/", "\t", "::", " \"", "'"];
const SPECIAL_MESSAGES: &[&str] = &[
    "connection reset by peer",
    "reset connection",
    "alpha omega",
    "alpha Lllllllllllllllllllllllllllllllllllllllllllll omega",
    "foo foo",
    "foo bar foo",
    "",
];

struct Row {
    /// Indexed like `all_fields()`.
    values: Vec<Option<String>>,
}

fn all_fields() -> Vec<&'static str> {
    TEXT_FIELDS.iter().chain(RAW_FIELDS).copied().collect()
}

impl Row {
    fn get(&self, field: &str) -> Option<&str> {
        let i = all_fields().iter().position(|f| *f == field)?;
        self.values[i].as_deref()
    }
}

/// xorshift64: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn sentence(&mut self, max_words: usize) -> String {
        let vocab: Vec<&str> = (VOCAB.split_whitespace())
            .chain([LONG, EDGE_39, EDGE_40])
            .collect();
        let mut out = String::new();
        for i in 0..self.below(max_words + 1) {
            if i > 0 {
                out.push_str(self.pick(SEPARATORS));
            }
            out.push_str(self.pick(&vocab));
        }
        out
    }
    /// `Some(value)` with probability `1 - 1/null_one_in`.
    fn maybe(&mut self, null_one_in: usize, value: String) -> Option<String> {
        (self.below(null_one_in) != 0).then_some(value)
    }
}

fn rows() -> Vec<Row> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let huge_service = format!("api{}", "x".repeat(65_530));
    (0..300)
        .map(|i| {
            let message = match i {
                i if i < SPECIAL_MESSAGES.len() => Some(SPECIAL_MESSAGES[i].to_owned()),
                _ => {
                    let sentence = rng.sentence(10);
                    rng.maybe(10, sentence)
                }
            };
            let sentence = rng.sentence(4);
            let error_message = rng.maybe(2, sentence);
            let stack_trace = rng.maybe(4, "at main (src/main.rs:42)\nat run".to_owned());
            let service = match i {
                7 => Some(huge_service.clone()),
                _ => {
                    let pick = rng.pick(&["api", "API", "api-gateway", "worker", "", "wörker"]);
                    rng.maybe(6, pick.to_owned())
                }
            };
            let mut values: Vec<Option<String>> = vec![message, error_message, stack_trace];
            for field in RAW_FIELDS {
                values.push(match *field {
                    "service" => service.clone(),
                    "log_level" => Some(rng.pick(&["info", "error", "ERROR", "warn"]).to_owned()),
                    "trace_id" => {
                        let id = rng.pick(&["a:b", "t-1", "t-2"]).to_owned();
                        rng.maybe(3, id)
                    }
                    "user_id" => {
                        let id = format!("user-{}", rng.below(5));
                        rng.maybe(2, id)
                    }
                    "log_id" => Some(format!("log-{i}")),
                    _ => None,
                });
            }
            Row { values }
        })
        .collect()
}

// ---- the oracle: split on non-alphanumerics, drop >= 40 bytes, lowercase ----

fn oracle_tokens(text: &str) -> HashSet<(usize, String)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .enumerate()
        .filter(|(_, word)| word.len() < 40)
        .map(|(position, word)| {
            (
                position,
                word.chars().flat_map(char::to_lowercase).collect(),
            )
        })
        .collect()
}

fn phrase(text: Option<&str>, words: &[&str]) -> bool {
    let Some(text) = text else { return false };
    let tokens = oracle_tokens(text);
    tokens.iter().any(|(start, _)| {
        (words.iter().enumerate()).all(|(k, w)| tokens.contains(&(start + k, w.to_string())))
    })
}

fn term(text: Option<&str>, word: &str) -> bool {
    phrase(text, &[word])
}

fn prefix(text: Option<&str>, p: &str) -> bool {
    text.is_some_and(|t| oracle_tokens(t).iter().any(|(_, tok)| tok.starts_with(p)))
}

/// tantivy does not index a raw token longer than 65530 bytes.
fn raw(value: Option<&str>) -> Option<&str> {
    value.filter(|v| v.len() <= 65_530)
}

type Oracle = fn(&Row) -> bool;

fn queries() -> Vec<(&'static str, Oracle)> {
    vec![
        ("timeout", |r| term(r.get("message"), "timeout")),
        ("TimeOut", |r| term(r.get("message"), "timeout")),
        ("\"connection reset\"", |r| {
            phrase(r.get("message"), &["connection", "reset"])
        }),
        ("user-42", |r| phrase(r.get("message"), &["user", "42"])),
        ("42", |r| term(r.get("message"), "42")),
        ("42*", |r| prefix(r.get("message"), "42")),
        ("time*", |r| prefix(r.get("message"), "time")),
        ("TIMER*", |r| prefix(r.get("message"), "timer")),
        ("héllo", |r| term(r.get("message"), "héllo")),
        ("STRASSE OR straße", |r| term(r.get("message"), "straße")),
        ("İstanbul", |r| term(r.get("message"), "i\u{307}stanbul")),
        ("yyyyyyyy*", |r| prefix(r.get("message"), "yyyyyyyy")),
        ("zzzzzzzz* OR foo", |r| {
            prefix(r.get("message"), "zzzzzzzz") || term(r.get("message"), "foo")
        }),
        ("ééé*", |r| prefix(r.get("message"), "ééé")),
        ("\"alpha omega\"", |r| {
            phrase(r.get("message"), &["alpha", "omega"])
        }),
        ("alpha omega", |r| {
            term(r.get("message"), "alpha") && term(r.get("message"), "omega")
        }),
        ("\"foo foo\"", |r| phrase(r.get("message"), &["foo", "foo"])),
        ("\"foo bar foo\"", |r| {
            phrase(r.get("message"), &["foo", "bar", "foo"])
        }),
        ("timeout AND retry", |r| {
            term(r.get("message"), "timeout") && term(r.get("message"), "retry")
        }),
        ("timeout OR retry", |r| {
            term(r.get("message"), "timeout") || term(r.get("message"), "retry")
        }),
        ("NOT timeout", |r| !term(r.get("message"), "timeout")),
        ("-timeout -retry", |r| {
            !term(r.get("message"), "timeout") && !term(r.get("message"), "retry")
        }),
        ("timeout -retry", |r| {
            term(r.get("message"), "timeout") && !term(r.get("message"), "retry")
        }),
        ("timeout OR refused disk", |r| {
            let m = r.get("message");
            term(m, "timeout") || (term(m, "refused") && term(m, "disk"))
        }),
        (
            "(timeout OR refused) AND NOT (retry OR \"connection reset\")",
            |r| {
                let m = r.get("message");
                (term(m, "timeout") || term(m, "refused"))
                    && !(term(m, "retry") || phrase(m, &["connection", "reset"]))
            },
        ),
        ("NOT (a OR b) c", |r| {
            let m = r.get("message");
            !(term(m, "a") || term(m, "b")) && term(m, "c")
        }),
        ("NOT NOT foo", |r| term(r.get("message"), "foo")),
        ("-foo OR bar", |r| {
            !term(r.get("message"), "foo") || term(r.get("message"), "bar")
        }),
        ("service:api", |r| raw(r.get("service")) == Some("api")),
        ("service:API", |r| raw(r.get("service")) == Some("API")),
        ("service:api*", |r| {
            raw(r.get("service")).is_some_and(|v| v.starts_with("api"))
        }),
        ("service:w*", |r| {
            raw(r.get("service")).is_some_and(|v| v.starts_with('w'))
        }),
        ("service:\"\"", |r| raw(r.get("service")) == Some("")),
        ("service:*", |r| raw(r.get("service")).is_some()),
        ("-service:api", |r| raw(r.get("service")) != Some("api")),
        ("NOT service:*", |r| raw(r.get("service")).is_none()),
        ("log_level:error OR log_level:ERROR", |r| {
            matches!(r.get("log_level"), Some("error" | "ERROR"))
        }),
        ("trace_id:a:b", |r| r.get("trace_id") == Some("a:b")),
        ("trace_id:\"t-1\" user_id:user-3", |r| {
            r.get("trace_id") == Some("t-1") && r.get("user_id") == Some("user-3")
        }),
        ("error_message:disk*", |r| {
            prefix(r.get("error_message"), "disk")
        }),
        ("error_message:\"disk full\"", |r| {
            phrase(r.get("error_message"), &["disk", "full"])
        }),
        ("error_message:TIMEOUT timeout", |r| {
            term(r.get("error_message"), "timeout") && term(r.get("message"), "timeout")
        }),
        ("stack_trace:\"main rs 42\"", |r| {
            phrase(r.get("stack_trace"), &["main", "rs", "42"])
        }),
        ("-(error_message:disk* OR service:worker) user*", |r| {
            !(prefix(r.get("error_message"), "disk") || raw(r.get("service")) == Some("worker"))
                && prefix(r.get("message"), "user")
        }),
        ("NOT stack_trace:main OR NOT service:*", |r| {
            !term(r.get("stack_trace"), "main") || raw(r.get("service")).is_none()
        }),
    ]
}

// ---- the three evaluators ----

fn build_index(rows: &[Row]) -> tantivy::Result<Index> {
    let mut builder = Schema::builder();
    for field in TEXT_FIELDS {
        builder.add_text_field(field, TEXT);
    }
    for field in RAW_FIELDS {
        builder.add_text_field(field, STRING);
    }
    let row_field = builder.add_u64_field("_row", FAST);
    let schema = builder.build();
    let index = Index::create_in_ram(schema.clone());
    let mut writer: IndexWriter = index.writer_with_num_threads(1, 50_000_000)?;
    for (i, row) in rows.iter().enumerate() {
        let mut doc = TantivyDocument::new();
        for (name, value) in all_fields().into_iter().zip(&row.values) {
            if let Some(value) = value {
                doc.add_text(schema.get_field(name)?, value);
            }
        }
        doc.add_u64(row_field, i as u64);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    Ok(index)
}

fn index_rows(index: &Index, query: &TextQuery) -> tantivy::Result<BTreeSet<usize>> {
    let searcher = index.reader()?.searcher();
    let tantivy_query = query.to_tantivy(&index.schema())?;
    let mut out = BTreeSet::new();
    for address in searcher.search(&*tantivy_query, &DocSetCollector)? {
        let column = searcher
            .segment_reader(address.segment_ord)
            .fast_fields()
            .u64("_row")?;
        let row = column.first(address.doc_id).expect("every doc has a _row");
        out.insert(row as usize);
    }
    Ok(out)
}

/// A batch with every string layout `evaluate` accepts.
fn build_batch(rows: &[Row]) -> RecordBatch {
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (i, name) in all_fields().into_iter().enumerate() {
        let values: Vec<Option<&str>> = rows.iter().map(|r| r.values[i].as_deref()).collect();
        let column: ArrayRef = match name {
            "message" => Arc::new(StringViewArray::from(values)),
            "error_message" => Arc::new(LargeStringArray::from(values)),
            "service" => Arc::new(values.into_iter().collect::<DictionaryArray<Int32Type>>()),
            _ => Arc::new(StringArray::from(values)),
        };
        fields.push(Field::new(name, column.data_type().clone(), true));
        columns.push(column);
    }
    RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), columns).expect("valid batch")
}

fn true_rows(mask: &arrow::array::BooleanArray) -> BTreeSet<usize> {
    assert_eq!(mask.null_count(), 0);
    (0..mask.len()).filter(|&i| mask.value(i)).collect()
}

#[test]
fn index_row_and_batch_evaluation_agree_with_the_oracle() {
    let rows = rows();
    let index = build_index(&rows).expect("index builds");
    let batch = build_batch(&rows);
    let (offset, length) = (13, 171);
    let slice = batch.slice(offset, length);
    for (query_text, oracle) in queries() {
        let query = TextQuery::parse(query_text, "message")
            .unwrap_or_else(|e| panic!("query {query_text:?} does not parse: {e}"));
        let expected: BTreeSet<usize> = (0..rows.len()).filter(|&i| oracle(&rows[i])).collect();
        assert!(
            !expected.is_empty() && expected.len() < rows.len(),
            "query {query_text:?} selects {} of {} rows: the data does not exercise it",
            expected.len(),
            rows.len()
        );

        let from_index = index_rows(&index, &query).expect("index search");
        assert_eq!(from_index, expected, "to_tantivy, query {query_text:?}");

        let from_matches: BTreeSet<usize> = (0..rows.len())
            .filter(|&i| query.matches(&|f| rows[i].get(f)))
            .collect();
        assert_eq!(from_matches, expected, "matches, query {query_text:?}");

        let from_batch = true_rows(&query.evaluate(&batch).expect("evaluate"));
        assert_eq!(from_batch, expected, "evaluate, query {query_text:?}");

        let from_slice: BTreeSet<usize> = true_rows(&query.evaluate(&slice).expect("evaluate"))
            .into_iter()
            .map(|i| i + offset)
            .collect();
        let expected_in_slice: BTreeSet<usize> =
            expected.range(offset..offset + length).copied().collect();
        assert_eq!(
            from_slice, expected_in_slice,
            "evaluate on a slice, query {query_text:?}"
        );
    }
}

#[test]
fn analyze_is_tantivys_default_analyzer() {
    let mut reference = TokenizerManager::default()
        .get("default")
        .expect("tantivy registers `default`");
    let texts = [
        "Hello, happy TAX payer!",
        "user-123 at main.rs:42",
        &format!("alpha {LONG} omega"),
        &format!("{EDGE_39} {EDGE_40}"),
        "Straße İstanbul ÉÉÉ 日本語 …",
        "",
        "---",
    ];
    for text in texts {
        let mut expected = Vec::new();
        let mut stream = reference.token_stream(text);
        while stream.advance() {
            expected.push((stream.token().position, stream.token().text.clone()));
        }
        assert_eq!(analyze(text), expected, "{text:?}");
    }
    // A dropped long token still takes a position.
    assert_eq!(
        analyze(&format!("Alpha {LONG} omega")),
        vec![(0, "alpha".to_owned()), (2, "omega".to_owned())]
    );
    assert_eq!(analyze("Straße").len(), 1);
}

#[test]
fn fields_are_deduplicated_in_order_of_use() {
    let q = TextQuery::parse("a service:x error_message:b -service:y c", "message").unwrap();
    assert_eq!(q.fields(), ["message", "service", "error_message"]);
}

#[test]
fn evaluate_rejects_missing_and_non_string_columns() {
    let batch = RecordBatch::try_new(
        Arc::new(ArrowSchema::new(vec![
            Field::new("message", DataType::Utf8, true),
            Field::new("service", DataType::Int64, true),
        ])),
        vec![
            Arc::new(StringArray::from(vec![Some("x")])),
            Arc::new(Int64Array::from(vec![Some(1)])),
        ],
    )
    .unwrap();
    let cases = [
        ("x", None),
        (
            "error_message:x",
            Some("column `error_message`, which the batch does not have"),
        ),
        (
            "x service:y",
            Some("column `service` to hold strings, but it is Int64"),
        ),
    ];
    for (query, error) in cases {
        let result = TextQuery::parse(query, "message").unwrap().evaluate(&batch);
        match (result, error) {
            (Ok(mask), None) => assert!(mask.value(0), "{query}"),
            (Err(e), Some(needle)) => assert!(e.to_string().contains(needle), "{query}: {e}"),
            (other, _) => panic!("{query}: unexpected {other:?}"),
        }
    }
}

#[test]
fn to_tantivy_rejects_fields_missing_from_the_schema() {
    let mut builder = Schema::builder();
    builder.add_text_field("message", TEXT);
    let schema = builder.build();
    let cases = [
        ("x", true),
        ("x -service:a", false),
        ("stack_trace:x*", false),
    ];
    for (query, ok) in cases {
        let q = TextQuery::parse(query, "message").unwrap();
        assert_eq!(q.to_tantivy(&schema).is_ok(), ok, "{query}");
    }
}

#[test]
fn hand_built_edge_queries_agree() {
    let rows = rows();
    let index = build_index(&rows).expect("index builds");
    let batch = build_batch(&rows);
    let cases = [
        (TextQuery::And(vec![]), rows.len()),
        (TextQuery::Or(vec![]), 0),
    ];
    for (query, count) in cases {
        let from_index = index_rows(&index, &query).expect("search");
        let from_batch = true_rows(&query.evaluate(&batch).unwrap());
        let from_matches = (0..rows.len()).filter(|&i| query.matches(&|f| rows[i].get(f)));
        assert_eq!(from_index.len(), count, "{query:?}");
        assert_eq!(from_batch, from_index, "{query:?}");
        assert_eq!(
            from_matches.collect::<BTreeSet<_>>(),
            from_index,
            "{query:?}"
        );
    }
}
