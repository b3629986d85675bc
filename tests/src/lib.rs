//! Shared fixtures of Strata's end-to-end tests: generated corpora and
//! independent oracles (brute-force scans of the same records).

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use strata_engine::sample::{SampleConfig, generate};
use strata_engine::{Engine, EngineConfig, StructuredLog};
use strata_query::datafusion::prelude::SessionContext;

/// Lowercased alphanumeric words of `text`: the oracle's own tokenizer.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `text` contains the word.
pub fn has_word(text: &str, word: &str) -> bool {
    words(text).iter().any(|w| w == word)
}

/// Whether `text` contains the words consecutively.
pub fn has_phrase(text: &str, phrase: &[&str]) -> bool {
    let w = words(text);
    w.windows(phrase.len())
        .any(|win| win.iter().zip(phrase).all(|(a, b)| a == b))
}

/// Whether `text` has a word starting with `prefix`.
pub fn has_prefix(text: &str, prefix: &str) -> bool {
    words(text).iter().any(|w| w.starts_with(prefix))
}

/// Every value of a string column over batches, in order.
pub fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        let idx = b.schema().index_of(column).expect("column in result");
        let arr = arrow::compute::cast(b.column(idx), &DataType::Utf8).expect("castable to text");
        let arr = arr.as_string::<i32>();
        for i in 0..arr.len() {
            out.push(if arr.is_null(i) {
                "<null>".to_string()
            } else {
                arr.value(i).to_string()
            });
        }
    }
    out
}

/// A (key column, count column) result as a map.
pub fn counts(batches: &[RecordBatch], key: &str, count: &str) -> BTreeMap<String, i64> {
    let keys = strings(batches, key);
    let mut values = Vec::new();
    for b in batches {
        let idx = b.schema().index_of(count).expect("count column");
        let arr = arrow::compute::cast(b.column(idx), &DataType::Int64).expect("integer count");
        values.extend(
            arr.as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.unwrap_or(0)),
        );
    }
    keys.into_iter().zip(values).collect()
}

/// Brute-force group-by count over records.
pub fn oracle_counts<'a>(
    records: impl IntoIterator<Item = &'a StructuredLog>,
    key: impl Fn(&StructuredLog) -> String,
) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for r in records {
        *out.entry(key(r)).or_default() += 1;
    }
    out
}

/// `n` generated records spread over `duration_us`.
pub fn corpus(n: usize, duration_us: i64) -> Vec<StructuredLog> {
    generate(
        &SampleConfig {
            total: n,
            duration_us,
            ..SampleConfig::default()
        },
        n,
    )
}

/// The configuration of an engine on `dir` without background flushes
/// (tests flush by hand) and compacting partitions of two or more small
/// segments.
pub fn test_config(dir: &std::path::Path) -> EngineConfig {
    EngineConfig {
        background_tasks: false,
        compaction_min_segments: 2,
        ..EngineConfig::new(dir)
    }
}

/// An engine with [`test_config`].
pub async fn open_test_engine(dir: &std::path::Path) -> Engine {
    Engine::open(test_config(dir)).await.expect("engine opens")
}

/// Runs one statement, panicking with the statement on error.
pub async fn run_sql(ctx: &SessionContext, q: &str) -> Vec<RecordBatch> {
    ctx.sql(q)
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"))
}
